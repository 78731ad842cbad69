/* vn_ovaw: writing an OVA, the ustar archive that carries an appliance
 * (formats.md 4.5): plain ustar headers (GNU base-256 size only for a member
 * of 8 GiB or more), no directories, no pax records, mode 0644, owner 0.
 *
 * An OVA must start with the descriptor and the manifest, yet both name
 * sizes and digests of the disks that follow, known only once the disks are
 * written. So members can be *reserved*: their header and exact length are
 * laid down first and their content filled in later (the output is a
 * regular file, so it can seek back); streamed members are hashed (SHA-256)
 * while they are written and their header's size is patched at the end.
 *
 * Everything goes to a temporary file beside the target (".NAME.part",
 * locked while in use, reused by the next run after a crash); finish()
 * fsyncs it and renames it over the target, so a failure or a crash never
 * leaves a partial OVA under the target's name. */
#ifndef VN_OVAW_H
#define VN_OVAW_H

#include <stddef.h>
#include <stdint.h>

#include "vn_error.h"

typedef struct vn_ovaw vn_ovaw;

/* Creates the temporary file beside `path`. VN_ERUNTIME when the folder
 * cannot be written or another vnest is writing the same target. */
int vn_ovaw_open(const char *path, vn_ovaw **out, vn_error *err);

/* Reserves member `name` of exactly `len` bytes at the current position;
 * *slot identifies it for vn_ovaw_fill. */
int vn_ovaw_reserve(vn_ovaw *w, const char *name, uint64_t len, int *slot, vn_error *err);

/* Fills a reserved member; `len` must be the reserved length. */
int vn_ovaw_fill(vn_ovaw *w, int slot, const void *data, size_t len, vn_error *err);

/* A streamed member: begin, any number of writes, end. end() pads the
 * member to a block, patches its size into the header and returns the size
 * and the lowercase hex SHA-256 of the content. */
int vn_ovaw_begin(vn_ovaw *w, const char *name, vn_error *err);
int vn_ovaw_write(vn_ovaw *w, const void *data, size_t len, vn_error *err);
int vn_ovaw_end(vn_ovaw *w, uint64_t *size, char sha256_hex[65], vn_error *err);

/* Ends the archive, makes it durable and renames it over the target; frees
 * `w` whatever the outcome (on failure the temporary file is removed). The
 * crash-test point "ova-before-rename" (VNEST_CRASH_AT) sits just before the
 * rename. */
int vn_ovaw_finish(vn_ovaw *w, vn_error *err);

/* Removes the temporary file and frees `w` (NULL is fine). */
void vn_ovaw_abort(vn_ovaw *w);

/* SHA-256 of a buffer as lowercase hex (for reserved members). */
void vn_sha256_hex(const void *data, size_t len, char hex[65]);

/* The temporary file's path (for messages and tests). */
const char *vn_ovaw_temp_path(const vn_ovaw *w);

#endif
