/* vn_profile_vmx: the VMX surface of the profile. Reads each rule's state
 * from a .vmx document and writes the wanted state back. */
#ifndef VN_PROFILE_VMX_H
#define VN_PROFILE_VMX_H

#include "vn_profile.h"
#include "vn_vmx.h"

/* Appends to `out` a finding for every applicable rule the document does
 * not satisfy, in rule-table order. */
void vn_profile_vmx_check(const vn_vmx *vmx, const vn_release *rel, unsigned role,
                          vn_findings *out);

/* Applies every fixable finding (set or remove its key). Returns the number
 * of keys changed. */
size_t vn_profile_vmx_apply(vn_vmx *vmx, const vn_findings *findings);

/* Whether the VMX surface has an adapter for rule `id` (for the tests that
 * keep the rule table and the adapters in step). */
int vn_profile_vmx_covers(const char *id);

/* The release a document implies (from guestOS); NULL if it does not say. */
const vn_release *vn_profile_vmx_release(const vn_vmx *vmx);

#endif
