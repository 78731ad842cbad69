/* vn_file: whole-file reads and crash-safe whole-file replacement.
 *
 * vn_file_replace() writes a sibling temporary file, fsyncs it, renames it
 * over the target and fsyncs the directory, so after a crash at any point the
 * path holds either the old content or the new, never a mix. */
#ifndef VN_FILE_H
#define VN_FILE_H

#include <stddef.h>

#include "vn_error.h"

/* Reads a whole file into a NUL-terminated heap buffer (caller frees).
 * Failure is VN_EINPUT ("cannot read (...)") naming the path. */
int vn_file_read(const char *path, char **data, size_t *len, vn_error *err);

/* Atomically replaces (or creates) `path` with `len` bytes. Keeps the mode
 * of an existing file (new files get `new_mode`). Failure is VN_ERUNTIME and
 * leaves the original untouched. */
int vn_file_replace(const char *path, const void *data, size_t len, int new_mode, vn_error *err);

/* Copies `src` to `dst` atomically unless `dst` already exists (used for the
 * one-time FILE.orig backup). Returns 1 if copied, 0 if dst existed. */
int vn_file_backup_once(const char *src, const char *dst, vn_error *err);

/* Test hook: when the environment variable VNEST_CRASH_AT names a point
 * ("before-rename", "after-rename"), the process is killed there with
 * SIGKILL, to prove that a crash leaves the old file in place. */
void vn_crash_point(const char *name);

#endif
