/* vn_ovaexport: a powered-off VM folder (.vmx and its disks) as an OVA.
 *
 * The pieces: vn_ovfw (descriptor), vn_streamvmdk (disks), vn_ovaw
 * (archive). The order inside the OVA is the one DSP0243 and VMware's
 * importers want: NAME.ovf, NAME.mf, then the disks in References order.
 * Both the descriptor and the manifest name the disks' sizes and digests,
 * known only after the disks are compressed, so their members are reserved
 * first and filled in last: the manifest has a fixed length (one
 * `SHA256(name)= <64 hex>` line per file), and the descriptor is reserved at
 * the length it has with 20-digit sizes and padded with trailing white
 * space (allowed after the root element) to that length.
 *
 * Everything that can be checked before writing is checked first (VM not
 * running, release known, every disk opens), so a bad input leaves neither
 * the target nor a temporary file. */
#ifndef VN_OVAEXPORT_H
#define VN_OVAEXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "vn_error.h"
#include "vn_release.h"
#include "vn_vmx.h"

#define VN_OVAEXP_MAX_DISKS 64

typedef void (*vn_ovaexp_progress)(void *ctx, size_t disk, size_t ndisks, const char *href,
                                   uint64_t done, uint64_t total);

typedef struct vn_ovaexp_opts {
    const char *vmx_path; /* the VM folder's .vmx (NULL when `vmx` is given) */
    const char *out_path;
    const vn_release *rel; /* NULL: the release the VMX's guestOS names */
    unsigned props;        /* VN_PROP_* bits (vn_ovfw.h) */
    int threads;           /* 0: every online CPU */
    vn_ovaexp_progress progress;
    void *progress_ctx;
    /* A VM read through the API instead of a folder (vn_vimexport): its
     * configuration as .vmx keys (displayName the VM's name), the local
     * file of each disk in vn_vmx_hw_disks() order (downloaded
     * streamOptimized VMDKs), and the name errors give as their place. No
     * lock check: the caller checked the power state. */
    const vn_vmx *vmx;
    const char *const *disk_files;
    const char *source;
} vn_ovaexp_opts;

typedef struct vn_ovaexp_disk {
    char href[160];   /* member name */
    char source[512]; /* the disk file it was read from */
    char vmx_key[32]; /* "scsi0:1" */
    uint64_t capacity, size, populated;
    char sha256[65];
} vn_ovaexp_disk;

typedef struct vn_ovaexp_result {
    char name[256]; /* the VirtualSystem's name */
    char ovf[160];  /* member names */
    char mf[160];
    char ovf_sha256[65];
    const vn_release *rel;
    vn_ovaexp_disk disks[VN_OVAEXP_MAX_DISKS];
    size_t ndisks;
    uint64_t ova_size;
} vn_ovaexp_result;

int vn_ova_export(const vn_ovaexp_opts *o, vn_ovaexp_result *res, vn_error *err);

#endif
