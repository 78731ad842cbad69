/* vn_vmdkio: opening existing disk images as vn_blk devices
 * (formats.md 3.1-3.9).
 *
 * Supported: raw images; text descriptors with FLAT/VMFS/ZERO extents
 * (monolithicFlat, vmfs*, twoGbMaxExtentFlat) and hosted sparse extents
 * (twoGbMaxExtentSparse); hosted sparse files with an embedded descriptor
 * (monolithicSparse, read and write; streamOptimized, read only). Several
 * extents map consecutive sector ranges. Unallocated grains read as zeros;
 * writing one appends the grain to its file, makes it durable, and only then
 * points the grain table entries (primary and redundant) at it, so the file
 * stays valid for `qemu-img check` at every step.
 *
 * Refused with VN_EINPUT: snapshot deltas (vmfsSparse/COWD, seSparse, a
 * parentCID or parentFileNameHint), raw device mappings, unknown types,
 * writing a streamOptimized or otherwise read-only image. */
#ifndef VN_VMDKIO_H
#define VN_VMDKIO_H

#include <stddef.h>
#include <stdint.h>

#include "vn_blk.h"
#include "vn_error.h"

int vn_vmdk_open(const char *path, int writable, vn_blk **out, vn_error *err);

/* How each file of the image is opened (the raw image, the sparse file, or
 * each extent of a descriptor); vn_vmdk_open uses vn_blk_open_raw. The
 * device returned must read zeros past its end and let writes past it
 * extend the file (appended grains). `disk seal` passes vn_journal_file,
 * so that every byte written to any file of the image is journaled. The
 * descriptor itself is only ever read, directly. */
typedef int (*vn_vmdk_opener)(void *ctx, const char *path, int writable, vn_blk **out,
                              vn_error *err);
int vn_vmdk_open_with(const char *path, int writable, vn_vmdk_opener open_file, void *ctx,
                      vn_blk **out, vn_error *err);

/* A hosted sparse file held in memory (tests, fuzzing), read only;
 * `data` is copied. */
int vn_vmdk_open_mem(const void *data, size_t len, vn_blk **out, vn_error *err);

typedef struct vn_vmdk_info {
    const char *format;    /* "raw", "monolithicSparse", "streamOptimized", "monolithicFlat",
                              "vmfs", "twoGbMaxExtentSparse", ...: as the descriptor says */
    size_t extents;        /* 1 for a raw image */
    uint64_t file_read;    /* bytes read from the image's files, metadata included */
    uint64_t file_written; /* bytes written to them, metadata included */
} vn_vmdk_info;

/* Fills `info` for a device from vn_vmdk_open (any other is "raw"). */
void vn_vmdk_get_info(const vn_blk *b, vn_vmdk_info *info);

#endif
