/* vn_esxdisk: an ESXi boot disk read offline (formats.md 2): the partition
 * table, the bootbanks (FAT16 with VMware's volume magic) and which of them
 * the boot loader would choose, each bank's boot.cfg, and the host's
 * configuration (esx.conf inside state.tgz → local.tgz) where the release
 * still keeps it there. Every read goes through vn_blk, so it works on raw
 * images and every VMDK variant alike, and touches only the blocks it needs. */
#ifndef VN_ESXDISK_H
#define VN_ESXDISK_H

#include "vn_blk.h"
#include "vn_esxconf.h"
#include "vn_gpt.h"
#include "vn_profile.h"

typedef struct vn_esxbank {
    unsigned part;  /* GPT partition number */
    int vmware;     /* VMware FAT16 magic present */
    char uuid[36];  /* its volume UUID */
    int has_cfg;    /* /boot.cfg read and parsed */
    char build[64]; /* build= */
    char kernelopt[1024];
    long updated;   /* updated= (-1 when absent) */
    long bootstate; /* bootstate= (-1 when absent) */
    int valid;      /* the boot loader's rules: magic, build, updated > 0, bootstate 0-2 */
    int has_state;  /* /state.tgz present */
    char note[200]; /* why it is not valid, or a read problem */
} vn_esxbank;

typedef struct vn_esxdisk {
    char path[512];
    char format[32]; /* "raw", "monolithicSparse", ... */
    uint64_t size;   /* virtual size in bytes */
    int layout;      /* 6 (6.x: no OSDATA), 7 (7.0+: VMFS-L OSDATA), 0 unknown */
    vn_gpt *gpt;
    vn_esxbank bank[4];
    int nbanks;
    int active;         /* index in bank[] of the bank the loader boots, -1 if none */
    int alternate;      /* the other valid bank, -1 if none */
    unsigned vmfs_part; /* the local VMFS datastore's partition, 0 if none */
    unsigned osdata_part;
    vn_esxconf *conf;    /* esx.conf of the active bank, NULL when not available */
    char conf_note[200]; /* why not (encrypted from 7.0 U2, no state.tgz, ...) */
    uint64_t bytes_read; /* from the image's files, metadata included */
} vn_esxdisk;

/* Opens the image read-only and reads all of the above. An image that is
 * not an ESXi boot disk (no GPT, no bootbank) is VN_EINPUT saying why. */
int vn_esxdisk_inspect(const char *path, vn_esxdisk **out, vn_error *err);
/* The same on an open device (`path` names it in messages and d->path). */
int vn_esxdisk_read(vn_blk *disk, const char *path, vn_esxdisk **out, vn_error *err);
void vn_esxdisk_free(vn_esxdisk *d);

/* The release family the active bank's build implies ("6.7", "7.0U2+"...),
 * NULL when unknown. */
const vn_release *vn_esxdisk_release(const vn_esxdisk *d);

/* The profile's findings for a template disk (S5, S7, S8, S9, S11); those
 * `vnest disk seal` can fix are marked fixable, naming the seal operation. */
void vn_esxdisk_check(const vn_esxdisk *d, unsigned role, vn_findings *out);

#endif
