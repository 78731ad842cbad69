/* vn_diskseal: sealing an ESXi boot disk image offline (the template
 * settings that can be applied without booting it), crash-safely.
 *
 * The operations are a table (vn_sealop): legacy-cpu (S5), follow-hw-mac
 * (S7), system-uuid (S11), local-vmfs (S9). A seal first *plans*: it reads
 * the image and computes every change (operation, place, old -> new value);
 * an operation already satisfied plans nothing, so a second seal writes 0
 * bytes. A dry run stops there, having opened the image read-only.
 *
 * Crash safety. Every write goes through the undo journal at the file
 * level (vn_journal_file as the opener of vn_vmdk_open_with), beside the
 * image as IMAGE.vnest-journal: the original bytes of every block of every
 * image file overwritten (the raw image; the sparse file's grain tables,
 * grain directory entries and allocated grains; each extent of a
 * descriptor) are saved and fsynced before it is touched, and each file's
 * original length is recorded, so grains and tables appended to a sparse
 * file are cut off again by a rollback. Journaling the virtual disk
 * instead would miss exactly those metadata writes. The journal is removed
 * after every file is fsynced; until then any vnest command that opens the
 * image (disk seal, disk inspect) rolls the image back to its original
 * bytes first (vn_diskseal_recover).
 *
 * Before writing (or rolling back), the image is guarded: a VMware lock
 * beside it (vn_vmlock) or another process holding one of its files open
 * for writing (vn_fdscan) refuses the seal, and an exclusive flock on the
 * image path is held until the end, so two vnest processes never edit (or
 * roll back) the same image at once.
 *
 * esx.conf edits (S7, S11) apply only where state.tgz -> local.tgz ->
 * etc/vmware/esx.conf is still the host's configuration: up to 7.0 U1
 * (formats.md 2.7-2.9). Asked for on a later release they are refused with
 * the reason and the kickstart route (`vnest ks new`). */
#ifndef VN_DISKSEAL_H
#define VN_DISKSEAL_H

#include <stddef.h>
#include <stdint.h>

#include "vn_error.h"
#include "vn_release.h"

typedef enum vn_sealop_id {
    VN_SEAL_LEGACY_CPU,
    VN_SEAL_FOLLOW_HW_MAC,
    VN_SEAL_SYSTEM_UUID,
    VN_SEAL_LOCAL_VMFS,
    VN_SEAL_NOPS
} vn_sealop_id;

typedef struct vn_sealop {
    vn_sealop_id id;
    const char *name;     /* "legacy-cpu" */
    const char *seed;     /* "S5" */
    const char *rule;     /* the profile rule it satisfies: "disk-legacy-cpu" */
    const char *changes;  /* what it writes, one line */
    unsigned releases;    /* VN_REL() mask where it applies */
    const char *elsewise; /* why not on the other releases, and what to do instead */
} vn_sealop;

const vn_sealop *vn_sealop_get(vn_sealop_id id);
const vn_sealop *vn_sealop_find(const char *name);

/* "--ops a,b,-c": named operations only (when any is named without '-'),
 * else every operation minus the '-' ones. *explicit_ops holds those named
 * without '-' (refused rather than skipped when they cannot apply). NULL
 * text selects everything. An unknown name is VN_EINPUT naming `where`. */
int vn_sealops_parse(const char *text, const char *where, unsigned *ops, unsigned *explicit_ops,
                     vn_error *err);

enum vn_seal_status {
    VN_SEAL_OFF,     /* not selected */
    VN_SEAL_CHANGE,  /* changes planned (written unless a dry run) */
    VN_SEAL_DONE,    /* already satisfied: nothing to write */
    VN_SEAL_SKIPPED, /* does not apply to this image: note says why */
};

typedef struct vn_seal_change {
    vn_sealop_id op;
    char where[160]; /* "partition 5 /boot.cfg kernelopt" */
    char *old_value; /* NULL when absent */
    char *new_value; /* NULL when removed */
} vn_seal_change;

typedef struct vn_seal_opts {
    unsigned ops;          /* bit (1u << vn_sealop_id) per selected operation */
    unsigned explicit_ops; /* named explicitly: cannot-apply is an error */
    int dry_run;
} vn_seal_opts;

typedef struct vn_seal_result {
    char format[32];
    const vn_release *rel; /* NULL when unknown */
    int status[VN_SEAL_NOPS];
    char note[VN_SEAL_NOPS][300];
    vn_seal_change *changes;
    size_t nchanges;
    int recovered;            /* an interrupted seal was rolled back first */
    int written;              /* the changes were written and committed */
    uint64_t bytes_read;      /* from the image's files, metadata and saved blocks included */
    uint64_t bytes_written;   /* to the image's files */
    uint64_t journal_written; /* to the undo journal */
} vn_seal_result;

/* Plans and (unless opts->dry_run) applies the selected operations. On
 * failure nothing is left changed: an error while writing rolls the image
 * back before returning. */
int vn_diskseal(const char *path, const vn_seal_opts *opts, vn_seal_result *res, vn_error *err);
void vn_seal_result_free(vn_seal_result *res);

/* Rolls back an interrupted seal of `path` if its journal exists (taking
 * the same guards as a seal); *recovered says whether it did. No journal:
 * VN_OK without opening anything. */
int vn_diskseal_recover(const char *path, int *recovered, vn_error *err);

#endif
