#include "vn_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"

static int bounds(vn_blk *b, uint64_t off, size_t len, vn_error *err)
{
    if (off > b->size || len > b->size - off)
        return vn_fail(err, VN_EINPUT, b->name,
                       "access at byte %llu (+%zu) beyond the end (size %llu bytes)",
                       (unsigned long long)off, len, (unsigned long long)b->size);
    return VN_OK;
}

int vn_blk_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err)
{
    int rc = bounds(b, off, len, err);
    if (rc == VN_OK)
        rc = b->ops->read(b, off, buf, len, err);
    if (rc == VN_OK)
        b->bytes_read += len;
    return rc;
}

int vn_blk_write(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err)
{
    if (!b->writable)
        return vn_fail(err, VN_ERUNTIME, b->name, "opened read-only");
    int rc = bounds(b, off, len, err);
    if (rc == VN_OK)
        rc = b->ops->write(b, off, buf, len, err);
    if (rc == VN_OK)
        b->bytes_written += len;
    return rc;
}

int vn_blk_flush(vn_blk *b, vn_error *err)
{
    return b->ops->flush ? b->ops->flush(b, err) : VN_OK;
}

void vn_blk_close(vn_blk *b)
{
    if (b)
        b->ops->close(b);
}

/* ---- raw files ---- */

typedef struct raw_impl {
    int fd;
} raw_impl;

static int raw_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err)
{
    raw_impl *r = b->impl;
    char *p = buf;
    while (len) {
        ssize_t n = pread(r->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vn_fail(err, VN_ERUNTIME, b->name, "cannot read (%s)", strerror(errno));
        if (n == 0) /* a sparse or short file reads as zeros past its end */
            memset(p, 0, len), n = (ssize_t)len;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return VN_OK;
}

static int raw_write(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err)
{
    raw_impl *r = b->impl;
    const char *p = buf;
    while (len) {
        ssize_t n = pwrite(r->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vn_fail(err, VN_ERUNTIME, b->name, "cannot write (%s)", strerror(errno));
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return VN_OK;
}

static int raw_flush(vn_blk *b, vn_error *err)
{
    raw_impl *r = b->impl;
    if (fsync(r->fd) != 0)
        return vn_fail(err, VN_ERUNTIME, b->name, "cannot flush (%s)", strerror(errno));
    return VN_OK;
}

static void raw_close(vn_blk *b)
{
    raw_impl *r = b->impl;
    close(r->fd);
    free(r);
    free(b);
}

static const vn_blk_ops raw_ops = {raw_read, raw_write, raw_flush, raw_close};

int vn_blk_open_raw(const char *path, int writable, vn_blk **out, vn_error *err)
{
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return vn_fail(err, VN_EINPUT, path, "cannot open (%s)", strerror(errno));
    struct stat st;
    uint64_t size = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else {
        off_t end = lseek(fd, 0, SEEK_END);
        size = end > 0 ? (uint64_t)end : 0;
    }
    vn_blk *b = vn_xcalloc(1, sizeof(*b));
    raw_impl *r = vn_xcalloc(1, sizeof(*r));
    r->fd = fd;
    b->ops = &raw_ops;
    b->size = size;
    b->writable = writable;
    b->impl = r;
    snprintf(b->name, sizeof(b->name), "%s", path);
    *out = b;
    return VN_OK;
}

/* ---- windows ---- */

typedef struct win_impl {
    vn_blk *parent;
    uint64_t offset;
} win_impl;

static int win_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err)
{
    win_impl *w = b->impl;
    return vn_blk_read(w->parent, w->offset + off, buf, len, err);
}

static int win_write(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err)
{
    win_impl *w = b->impl;
    return vn_blk_write(w->parent, w->offset + off, buf, len, err);
}

static int win_flush(vn_blk *b, vn_error *err)
{
    win_impl *w = b->impl;
    return vn_blk_flush(w->parent, err);
}

static void win_close(vn_blk *b)
{
    free(b->impl);
    free(b);
}

static const vn_blk_ops win_ops = {win_read, win_write, win_flush, win_close};

int vn_blk_open_window(vn_blk *parent, uint64_t offset, uint64_t size, const char *name,
                       vn_blk **out, vn_error *err)
{
    if (offset > parent->size || size > parent->size - offset)
        return vn_fail(err, VN_EINPUT, parent->name,
                       "region at byte %llu (+%llu) lies beyond the end of the image",
                       (unsigned long long)offset, (unsigned long long)size);
    vn_blk *b = vn_xcalloc(1, sizeof(*b));
    win_impl *w = vn_xcalloc(1, sizeof(*w));
    w->parent = parent;
    w->offset = offset;
    b->ops = &win_ops;
    b->size = size;
    b->writable = parent->writable;
    b->impl = w;
    snprintf(b->name, sizeof(b->name), "%s", name ? name : parent->name);
    *out = b;
    return VN_OK;
}

/* ---- memory ---- */

static int mem_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err)
{
    (void)err;
    memcpy(buf, (char *)b->impl + off, len);
    return VN_OK;
}

static int mem_write(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err)
{
    (void)err;
    memcpy((char *)b->impl + off, buf, len);
    return VN_OK;
}

static void mem_close(vn_blk *b)
{
    free(b->impl);
    free(b);
}

static const vn_blk_ops mem_ops = {mem_read, mem_write, NULL, mem_close};

int vn_blk_open_mem(const void *data, size_t len, int writable, vn_blk **out, vn_error *err)
{
    (void)err;
    vn_blk *b = vn_xcalloc(1, sizeof(*b));
    b->impl = vn_xmalloc(len ? len : 1);
    if (len)
        memcpy(b->impl, data, len);
    b->ops = &mem_ops;
    b->size = len;
    b->writable = writable;
    snprintf(b->name, sizeof(b->name), "(memory)");
    *out = b;
    return VN_OK;
}
