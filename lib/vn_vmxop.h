/* vn_vmxop: the VMX surface's operations on files: check a .vmx against the
 * profile, fix it in place (atomically, with a one-time .orig backup, never
 * while the VM runs), and create a new Nested ESXi VM folder. */
#ifndef VN_VMXOP_H
#define VN_VMXOP_H

#include <stdint.h>

#include "vn_profile.h"
#include "vn_vmx.h"

typedef struct vn_vmx_report {
    char *path;
    vn_vmx *vmx;
    const vn_release *rel;
    const char *release_from; /* "--esxi", "guestOS" or "default" */
    unsigned role;
    vn_findings findings;
    size_t changed; /* keys changed by fix (or that would be, with dry_run) */
    int written;    /* fix wrote the file */
    int backup;     /* fix created PATH.orig */
} vn_vmx_report;

/* Loads `path` and fills `r` with the findings. `esxi` (may be NULL) is the
 * release the user named; otherwise guestOS decides, else the default. */
int vn_vmxop_check(const char *path, const char *esxi, unsigned role, vn_vmx_report *r,
                   vn_error *err);

/* Applies the fixable findings of a checked report and writes the file
 * unless `dry_run`. Refuses (VN_ERUNTIME) when a lock shows the VM running,
 * unless `force`. */
int vn_vmxop_fix(vn_vmx_report *r, int dry_run, int force, vn_error *err);

void vn_vmx_report_free(vn_vmx_report *r);

typedef struct vn_vm_spec {
    const char *name;
    const vn_release *rel;
    int cpus;
    uint64_t memory;        /* bytes */
    uint64_t boot_disk;     /* bytes */
    uint64_t vsan_cache;    /* bytes, 0 for none */
    uint64_t vsan_capacity; /* bytes, 0 for none */
    int nics;
    const char *iso;     /* path of the installer ISO, or NULL */
    const char *network; /* port group / network name, or NULL (hosted: NAT) */
    int hw_version;      /* 0: the release's default */
} vn_vm_spec;

/* Fills a spec with the defaults for `rel`: 2 CPUs, the release's minimum
 * memory, 32 GiB boot disk (VMware's recommendation from 7.0; 8 GiB before),
 * one NIC. */
void vn_vm_spec_defaults(vn_vm_spec *spec, const vn_release *rel, const char *name);

/* Checks a spec against the profile's minimums (VN_EINPUT naming the
 * option that is wrong). */
int vn_vm_spec_validate(const vn_vm_spec *spec, vn_error *err);

/* Creates `dir` (or uses it if it is empty) with NAME.vmx and its disks.
 * Everything is created under temporary names and renamed at the end; on
 * failure whatever was created is removed. The list of files created goes to
 * `created` (newline-separated) when not NULL. */
int vn_vmxop_new(const char *dir, const vn_vm_spec *spec, vn_buf *created, vn_error *err);

#endif
