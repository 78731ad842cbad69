/* vn_blk: byte-addressed block access to a disk image, whatever its format.
 * Every offline-disk module (GPT, FAT, boot.cfg, state.tgz) reads and
 * writes through this interface, so the same code works on a raw image, a
 * VMDK (vn_vmdk_open), a partition window, or a journaled (crash-safe) view.
 * Counters of bytes read and written make `--stats` honest. */
#ifndef VN_BLK_H
#define VN_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "vn_error.h"

typedef struct vn_blk vn_blk;

typedef struct vn_blk_ops {
    int (*read)(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err);
    int (*write)(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err);
    int (*flush)(vn_blk *b, vn_error *err); /* data durable on return */
    void (*close)(vn_blk *b);               /* frees b */
} vn_blk_ops;

struct vn_blk {
    const vn_blk_ops *ops;
    uint64_t size; /* virtual size in bytes */
    int writable;
    char name[512];      /* for messages: the file, or "FILE partition N" */
    uint64_t bytes_read; /* through this handle */
    uint64_t bytes_written;
    void *impl;
};

/* Reads/writes exactly len bytes at off; beyond `size` is VN_EINPUT. */
int vn_blk_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err);
int vn_blk_write(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err);
int vn_blk_flush(vn_blk *b, vn_error *err);
void vn_blk_close(vn_blk *b);

/* A raw image file (or block device). */
int vn_blk_open_raw(const char *path, int writable, vn_blk **out, vn_error *err);

/* [offset, offset+size) of `parent` as a device of its own (a partition);
 * the parent must outlive it and is not closed with it. */
int vn_blk_open_window(vn_blk *parent, uint64_t offset, uint64_t size, const char *name,
                       vn_blk **out, vn_error *err);

/* A memory-backed device (tests, fuzzing): `data` is copied. */
int vn_blk_open_mem(const void *data, size_t len, int writable, vn_blk **out, vn_error *err);

#endif
