/* vn_ovaimport: importing a checked OVF package into vCenter or ESXi.
 *
 * CreateImportSpec (entity name, network and property mappings, thin disks),
 * ImportVApp, then every disk through the HTTP NFC lease: each file item
 * goes to the deviceUrl whose importKey is its deviceId, and is verified
 * against the manifest in the same pass; a second connection keeps the
 * lease alive with HttpNfcLeaseProgress while a disk uploads. Any failure
 * after ImportVApp aborts the lease and removes the VM, so nothing
 * half-imported remains. After HttpNfcLeaseComplete the VM is read back and
 * what importers are known to drop is restored in one ReconfigVM_Task:
 * nested HV (always on: it is a Nested ESXi), the descriptor's firmware, and
 * its ExtraConfig entries. */
#ifndef VN_OVAIMPORT_H
#define VN_OVAIMPORT_H

#include "vn_ovacheck.h"
#include "vn_viminv.h"
#include "vn_vimovf.h"

/* Refuses (VN_EINPUT naming the package) a package with errors that would
 * make the import fail or lose data: missing, short or corrupt files,
 * dangling references, a bad manifest. The profile's findings do not
 * block: the import fixes nested HV itself. */
int vn_ova_import_ready(const vn_ova_report *pkg, vn_error *err);

/* Checks the --prop KEY=VALUE arguments against the descriptor's
 * properties and resolves them into *out (n new "KEY=VALUE" strings): a
 * VALUE of "@FILE" is read from FILE, which only its owner may read (mode
 * 0600 or stricter, one line). A property the descriptor marks as a
 * password must come that way: on the command line it would be visible to
 * every user of the machine. Free *out with vn_ova_import_props_free. */
int vn_ova_import_props(const vn_ovf *ovf, const char *const *kv, size_t n, char ***out,
                        vn_error *err);
void vn_ova_import_props_free(char **props, size_t n);

typedef void (*vn_import_progress_fn)(void *ctx, const char *file, size_t index, size_t count,
                                      unsigned long long done, unsigned long long total);

typedef struct vn_ova_import_req {
    const char *name;
    const char *const *props; /* "KEY=VALUE" */
    size_t nprops;
    const char *network; /* every descriptor network maps to it; NULL: same names */
    vn_place_req place;  /* its network is not used */
    const char *provisioning;
    const vn_tls *tls; /* for upload URLs on other hosts (ESXi behind vCenter) */
    vn_import_progress_fn progress;
    void *progress_ctx;
} vn_ova_import_req;

typedef struct vn_ova_import_result {
    vn_mor vm;
    size_t files;
    unsigned long long bytes;
    int nested_hv_set, firmware_set; /* restored after the import */
    size_t extra_restored;
    char *warnings; /* from CreateImportSpec, or NULL */
} vn_ova_import_result;

int vn_ova_import(vn_vim *vim, vn_ova_report *pkg, const vn_ova_import_req *req,
                  vn_ova_import_result *res, vn_error *err);
void vn_ova_import_result_free(vn_ova_import_result *res);

#endif
