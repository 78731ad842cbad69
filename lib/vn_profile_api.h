/* vn_profile_api: the vSphere API surface of the profile.
 *
 * A VM read through the API (its config properties) is expressed as the
 * .vmx keys those properties stand for (guestId vmkernel8Guest -> guestOS
 * vmkernel8, nestedHVEnabled -> vhv.enable, devices -> scsi0.virtualDev,
 * scsi0:1.fileName, ...; extraConfig entries as themselves). The VMX
 * adapter's rules then judge it, so both surfaces give one answer. Findings
 * are renamed to the API's property names for display, and turned into a
 * ReconfigVM_Task spec holding exactly the difference. */
#ifndef VN_PROFILE_API_H
#define VN_PROFILE_API_H

#include "vn_profile.h"
#include "vn_vimprop.h"
#include "vn_vmx.h"

/* The VirtualMachine properties the adapter reads (NULL-terminated). */
extern const char *const vn_api_vm_paths[];

typedef struct vn_api_vm {
    vn_mor mor;
    char name[256];
    int is_template;
    char power[32];        /* poweredOn, poweredOff, suspended */
    vn_vmx *vmx;           /* the properties as .vmx keys */
    char networks[8][160]; /* MOR ids of the networks its NICs attach to */
    int nnetworks;
} vn_api_vm;

/* Builds the VMX-keyed view of one <objects> node of a retrieve. */
void vn_api_vm_read(vn_api_vm *vm, const vn_mor *mor, const vn_xnode *obj_node);
void vn_api_vm_free(vn_api_vm *vm);

/* Checks the VM for `role`; the release is taken from `rel`, or from the
 * guest type when NULL (the default release otherwise). Findings' keys are
 * API property paths, with the VMX key kept in the note where useful. */
void vn_profile_api_check(const vn_api_vm *vm, const vn_release *rel, unsigned role,
                          vn_findings *out, const vn_release **used);

/* Appends the ReconfigVM_Task <spec> children for the fixable findings to
 * `spec` (in schema order). Returns the number of changes; findings the API
 * cannot fix in place are marked not fixable with a note. */
size_t vn_profile_api_spec(vn_findings *f, vn_buf *spec);

#endif
