/* vn_template: turning a prepared Nested ESXi VM into a template (S12) and
 * back, shared by `vnest template` and `vnest seal run`. */
#ifndef VN_TEMPLATE_H
#define VN_TEMPLATE_H

#include "vn_apivm.h"

/* What is being done, for the caller to show: kind 0 is progress ("shutting
 * the guest down (VMware Tools running)"), kind 1 a warning. */
typedef void (*vn_template_note)(void *ctx, int kind, const char *text);

/* Shuts the VM down when it runs (a guest shutdown when VMware Tools run,
 * waiting up to `timeout_s`, else a power-off), clears a forced EFI setup
 * entry (S4), warns when the guest's release must not be cloned (S17), and
 * marks the VM as a template. A template already is left alone ("already a
 * template"). `note` may be NULL. */
int vn_template_make(vn_vim *vim, const vn_mor *vm, int timeout_s, vn_template_note note, void *ctx,
                     vn_error *err);

/* Marks a template as a VM again, in `req`'s pool or host when it names
 * one, else in the resource pool of the host it was registered on. A VM
 * already is left alone ("already a virtual machine"). */
int vn_template_undo(vn_vim *vim, const vn_mor *vm, const vn_place_req *req, vn_template_note note,
                     void *ctx, vn_error *err);

#endif
