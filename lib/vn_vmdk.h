/* vn_vmdk: VMware virtual disk files (shared/research/formats.md section 3).
 *
 * This module creates new, empty disks for `vnest vmx new`. Reading,
 * writing through existing sparse files and streamOptimized output belong to
 * later modules (offline disk and OVA issues) and will sit beside it. */
#ifndef VN_VMDK_H
#define VN_VMDK_H

#include <stdint.h>

#include "vn_error.h"

/* Creates `path` as an empty hosted monolithicSparse disk ("KDMV" header
 * version 1, embedded descriptor, redundant and primary grain directories,
 * 64 KiB grains) of `bytes` virtual size (rounded up to whole sectors).
 * `adapter` goes into ddb.adapterType ("lsilogic", "buslogic", "ide",
 * "legacyESX"; "pvscsi" is written as "lsilogic", which is what VMware
 * hosted products do and what every reader accepts).
 * The file is written under a temporary name and renamed into place;
 * an existing `path` is refused (VN_EINPUT), never overwritten.
 * The result passes `qemu-img check`. */
int vn_vmdk_create_sparse(const char *path, uint64_t bytes, const char *adapter, vn_error *err);

#endif
