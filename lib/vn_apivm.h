/* vn_apivm: VM operations through the vSphere API: create a Nested ESXi VM
 * that satisfies the profile, reconfigure, power, mark as template, clone. */
#ifndef VN_APIVM_H
#define VN_APIVM_H

#include "vn_profile_api.h"
#include "vn_viminv.h"
#include "vn_vimprop.h"
#include "vn_vmxop.h"

/* Appends the CreateVM_Task body for `spec` placed at `p`. `spec->iso` is a
 * datastore path ("[ds] iso/x.iso"). The VM gets: the release's guestId,
 * nested HV, EFI without Secure Boot, a first boot into EFI setup (S4),
 * PVSCSI with thin disks, vSAN disks marked virtualSSD (S15), VMXNET3 NICs,
 * disk.EnableUUID. */
void vn_apivm_create_body(vn_vim *vim, const vn_vm_spec *spec, const vn_placement *p, vn_buf *body);

/* Runs a task-returning method body and waits for it (timeout_s). On
 * success the task's result MOR goes to `result` (may be NULL). A task
 * fault is VN_ERUNTIME "TYPE: message" naming `what`. */
int vn_apivm_run_task(vn_vim *vim, const vn_buf *body, const char *what, int timeout_s,
                      vn_mor *result, vn_error *err);

/* Starts a ReconfigVM_Task without waiting (for many awaited together). */
int vn_apivm_start_reconfigure(vn_vim *vim, const vn_mor *vm, const char *spec_children,
                               vn_mor *task, vn_error *err);

/* ReconfigVM_Task with the given <spec> children (already in order). */
int vn_apivm_reconfigure(vn_vim *vim, const vn_mor *vm, const char *spec_children, vn_error *err);

int vn_apivm_power(vn_vim *vim, const vn_mor *vm, int on, vn_error *err);
/* ShutdownGuest (returns at once) then waits for poweredOff up to timeout_s. */
int vn_apivm_shutdown_guest(vn_vim *vim, const vn_mor *vm, int timeout_s, vn_error *err);
int vn_apivm_mark_template(vn_vim *vim, const vn_mor *vm, vn_error *err);
int vn_apivm_mark_vm(vn_vim *vim, const vn_mor *vm, const vn_mor *pool, const vn_mor *host,
                     vn_error *err);

/* Reads one VM by MOR (the profile's properties). */
int vn_apivm_read(vn_vim *vim, const vn_mor *vm, vn_api_vm *out, vn_error *err);

#endif
