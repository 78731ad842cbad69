/* vn_release: the ESXi releases vnest knows, and what each implies for the
 * VM that runs it (guest type, minimum memory, hardware version). One row per
 * release in vn_release.c; adding a release is one row there. */
#ifndef VN_RELEASE_H
#define VN_RELEASE_H

#include <stddef.h>

#include "vn_error.h"

typedef enum vn_release_id {
    VN_ESXI_60,
    VN_ESXI_65,
    VN_ESXI_67,
    VN_ESXI_70,
    VN_ESXI_70U1,
    VN_ESXI_70U2, /* 7.0 Update 2 and later updates: boot-disk cloning unsupported (S17) */
    VN_ESXI_80,
    VN_ESXI_90,
    VN_ESXI_COUNT
} vn_release_id;

/* A set of releases as a bit mask, for rule applicability. */
#define VN_REL(id)      (1u << (id))
#define VN_REL_ALL      ((1u << VN_ESXI_COUNT) - 1u)
#define VN_REL_FROM(id) (VN_REL_ALL & ~((1u << (id)) - 1u))
#define VN_REL_UPTO(id) ((1u << ((id) + 1)) - 1u)

typedef struct vn_release {
    vn_release_id id;
    const char *name;      /* canonical: "6.7", "7.0U2+" */
    const char *guest_os;  /* VMX guestOS: "vmkernel65" */
    const char *guest_id;  /* vSphere API guestId: "vmkernel65Guest" */
    int min_memory_mb;     /* VMware's documented install minimum */
    int hw_version;        /* virtual hardware version `vmx new` uses by default */
    int template_clone_ok; /* boot-disk clone route supported (S17: no from 7.0U2) */
} vn_release;

const vn_release *vn_release_get(vn_release_id id);

/* Parses "6.7", "7.0u3", "7.0U2+", "8", "8.0U2"...; updates fold onto the
 * row that governs them (7.0U3 -> 7.0U2+, 8.0U3 -> 8.0). NULL and an error
 * naming `where` (the flag or field) with the accepted values otherwise. */
const vn_release *vn_release_parse(const char *text, const char *where, vn_error *err);

/* The release a VMX guestOS (or API guestId) value implies, the newest of its
 * family (vmkernel7 -> 7.0U2+); NULL when it is not an ESXi guest type. */
const vn_release *vn_release_from_guest(const char *guest_os);

/* "6.0, 6.5, 6.7, 7.0, 7.0U1, 7.0U2+, 8.0, 9.0" */
const char *vn_release_list(void);

/* A set of releases for people: "all", or "7.0U2+..9.0" (first..last). */
void vn_release_mask_text(unsigned mask, char *out, size_t n);

/* The newest release, assumed when nothing says otherwise. */
#define VN_ESXI_DEFAULT VN_ESXI_80

#endif
