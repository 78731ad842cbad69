/* vn_journal_util: the byte-level helpers both undo journal formats share
 * (vn_journal.c: one device; vn_journal_files.c: the files of an image).
 * Internal to the library. */
#ifndef VN_JOURNAL_UTIL_H
#define VN_JOURNAL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "vn_error.h"

uint32_t vn_jnl_crc32(uint32_t crc, const void *data, size_t len);
void vn_jnl_put32(unsigned char *p, uint32_t v);
void vn_jnl_put64(unsigned char *p, uint64_t v);
uint32_t vn_jnl_get32(const unsigned char *p);
uint64_t vn_jnl_get64(const unsigned char *p);

/* vn_crash_point at the N-th occurrence (VNEST_CRASH_COUNT=N) of the point
 * named by VNEST_CRASH_AT; without a count, at the first. The count is
 * shared by every journal of the process. */
void vn_jnl_crash_point(const char *name);

/* 0, or -1 with errno set. */
int vn_jnl_write_all(int fd, const void *data, size_t len);
/* Reads up to len bytes (fewer only at end of file); *got says how many. */
int vn_jnl_read_full(int fd, void *data, size_t len, size_t *got);

/* fsyncs the directory holding `path` (a created or removed entry is
 * durable on return). */
int vn_jnl_sync_dir(const char *path, vn_error *err);

/* A set of block numbers: which blocks a journal has saved already. */
typedef struct vn_jnl_set {
    uint64_t *slot;
    size_t cap, count;
} vn_jnl_set;

int vn_jnl_set_has(const vn_jnl_set *s, uint64_t blk);
void vn_jnl_set_add(vn_jnl_set *s, uint64_t blk);
void vn_jnl_set_clear(vn_jnl_set *s); /* empties it and frees its memory */

#endif
