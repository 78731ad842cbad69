/* vn_vimexport: exporting a powered-off VM or template through the vSphere
 * API as an OVA (`vnest ova export --vm NAME`).
 *
 * The VM's configuration is read with the profile's properties
 * (vn_profile_api: the API properties as .vmx keys), completed with what an
 * appliance descriptor also needs (displayName, each NIC's network name),
 * so the descriptor is written by the same code as the offline route
 * (vn_ovaexport from a VM folder). The disks come through the export lease:
 * VirtualMachine.ExportVm returns an HttpNfcLease; once it is ready its
 * info.deviceUrl lists one URL per disk (host "*" meaning the server) that
 * serves the disk as a streamOptimized VMDK. Each is downloaded, streamed to
 * a temporary file beside the OVA (.STEM-vmdiskN.XXXXXX), with
 * HttpNfcLeaseProgress while downloading (also every 30 s from a helper
 * thread, so that a long download does not let the lease time out) and
 * HttpNfcLeaseComplete after the last; any failure aborts the lease
 * (HttpNfcLeaseAbort). The downloaded disks are then read by vn_vmdkio and
 * re-encoded into the OVA exactly as in the offline route. The temporary
 * files are removed in every case. */
#ifndef VN_VIMEXPORT_H
#define VN_VIMEXPORT_H

#include "vn_http.h"
#include "vn_ovaexport.h"
#include "vn_vim.h"

typedef struct vn_vmexport_opts {
    const char *vm_name;  /* the VM or template, by inventory name */
    const char *out_path; /* OUT.ova */
    const vn_release *rel;
    unsigned props;
    int threads;
    const vn_tls *tls;           /* trust for disk URLs on another host (an ESXi behind vCenter) */
    vn_ovaexp_progress progress; /* while compressing, as vn_ova_export */
    void *progress_ctx;
    /* Downloading: disk index, count, bytes so far of this disk. */
    void (*download)(void *ctx, size_t disk, size_t ndisks, unsigned long long bytes);
    void *download_ctx;
} vn_vmexport_opts;

/* A VM that is not found is VN_EINPUT "NAME: no VM or template with this
 * name on HOST"; one that is not powered off is VN_ERUNTIME (exit 3) and
 * nothing is requested from the server. Lease and download failures are
 * VN_ERUNTIME naming the server. `res` as vn_ova_export's, with each
 * disk's source the datastore path of its backing file. */
int vn_vm_export(vn_vim *vim, const vn_vmexport_opts *o, vn_ovaexp_result *res, vn_error *err);

#endif
