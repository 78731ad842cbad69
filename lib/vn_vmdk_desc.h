/* vn_vmdk_desc: the VMDK text descriptor (formats.md 3.1-3.4): header keys,
 * extent lines and the disk database, parsed without touching any file.
 * Keys and extent keywords are compared case-insensitively, as the technote
 * says (qemu is stricter; VMware and libvmdk are not). */
#ifndef VN_VMDK_DESC_H
#define VN_VMDK_DESC_H

#include <stddef.h>
#include <stdint.h>

#include "vn_error.h"

enum vn_vmdk_access { VN_VMDK_RW, VN_VMDK_RDONLY, VN_VMDK_NOACCESS };

enum vn_vmdk_ext_type {
    VN_VMDK_FLAT,
    VN_VMDK_SPARSE,
    VN_VMDK_ZERO,
    VN_VMDK_VMFS,
    VN_VMDK_VMFSSPARSE,
    VN_VMDK_VMFSRDM,
    VN_VMDK_VMFSRAW,
    VN_VMDK_SESPARSE,
};

typedef struct vn_vmdk_extent {
    int access;       /* enum vn_vmdk_access */
    int type;         /* enum vn_vmdk_ext_type */
    uint64_t sectors; /* 512-byte sectors of the virtual disk it maps */
    char *file;       /* as written: relative to the descriptor's folder */
    uint64_t offset;  /* FLAT/VMFS: sector offset inside the file */
    int line;
} vn_vmdk_extent;

typedef struct vn_vmdk_kv {
    char *key, *value; /* value without its quotes */
    int line;
} vn_vmdk_kv;

typedef struct vn_vmdk_desc {
    int version;       /* 1..3 */
    char *create_type; /* as written */
    uint32_t cid, parent_cid;
    int has_cid, has_parent_cid;
    vn_vmdk_extent *extents;
    size_t n_extents;
    vn_vmdk_kv *keys; /* every KEY=VALUE line (header and ddb.*), in order */
    size_t n_keys;
    uint64_t total_sectors; /* sum of the extents */
} vn_vmdk_desc;

/* Parses `len` bytes of descriptor text (an embedded descriptor ends at its
 * first NUL). Errors are VN_EINPUT at "WHERE:LINE" ("WHERE" for something
 * missing); `where` names the file in messages. */
int vn_vmdk_desc_parse(const char *text, size_t len, const char *where, vn_vmdk_desc **out,
                       vn_error *err);

/* The value of `key` (case-insensitive; the last one wins), or NULL. */
const char *vn_vmdk_desc_get(const vn_vmdk_desc *d, const char *key);

const char *vn_vmdk_ext_type_name(int type);

void vn_vmdk_desc_free(vn_vmdk_desc *d);

#endif
