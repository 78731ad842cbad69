#include "vn_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_file.h"
#include "vn_journal_util.h"

#define HDR_SIZE 28u
#define REC_SIZE 20u

static const char hdr_magic[8] = {'V', 'N', 'J', 'R', 'N', 'L', '0', '1'};
static const char rec_magic[4] = {'V', 'N', 'J', 'B'};

/* ---- helpers ---- */

static uint32_t crc_table[256];
static int crc_ready;

uint32_t vn_jnl_crc32(uint32_t crc, const void *data, size_t len)
{
    if (!crc_ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
        crc_ready = 1;
    }
    const unsigned char *p = data;
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

void vn_jnl_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

void vn_jnl_put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

uint32_t vn_jnl_get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t vn_jnl_get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* vn_crash_point at the N-th occurrence (VNEST_CRASH_COUNT=N) of the point
 * named by VNEST_CRASH_AT; without a count, at the first. */
static unsigned long crash_seen;

void vn_jnl_crash_point(const char *name)
{
    const char *want = getenv("VNEST_CRASH_AT");
    if (!want || strcmp(want, name) != 0)
        return;
    const char *count = getenv("VNEST_CRASH_COUNT");
    if (count && *count) {
        unsigned long n = strtoul(count, NULL, 10);
        if (++crash_seen < n)
            return;
    }
    vn_crash_point(name);
}

int vn_jnl_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int vn_jnl_read_full(int fd, void *data, size_t len, size_t *got)
{
    char *p = data;
    *got = 0;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        p += n;
        len -= (size_t)n;
        *got += (size_t)n;
    }
    return 0;
}

int vn_jnl_sync_dir(const char *path, vn_error *err)
{
    vn_buf dir = VN_BUF_INIT;
    const char *slash = strrchr(path, '/');
    if (!slash)
        vn_buf_adds(&dir, ".");
    else if (slash == path)
        vn_buf_adds(&dir, "/");
    else
        vn_buf_add(&dir, path, (size_t)(slash - path));
    int fd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = VN_OK;
    if (fd < 0 || fsync(fd) != 0)
        rc = vn_fail(err, VN_ERUNTIME, dir.data, "cannot sync the directory (%s)", strerror(errno));
    if (fd >= 0)
        close(fd);
    vn_buf_free(&dir);
    return rc;
}

/* ---- a set of block numbers (open addressing, numbers stored + 1) ---- */

int vn_jnl_set_has(const vn_jnl_set *s, uint64_t blk)
{
    if (!s->cap)
        return 0;
    size_t mask = s->cap - 1;
    for (size_t i = (size_t)(blk * 0x9E3779B97F4A7C15ull) & mask;; i = (i + 1) & mask) {
        if (s->slot[i] == 0)
            return 0;
        if (s->slot[i] == blk + 1)
            return 1;
    }
}

void vn_jnl_set_add(vn_jnl_set *s, uint64_t blk)
{
    if ((s->count + 1) * 2 > s->cap) {
        size_t old_cap = s->cap;
        uint64_t *old = s->slot;
        s->cap = old_cap ? old_cap * 2 : 64;
        s->slot = vn_xcalloc(s->cap, sizeof(uint64_t));
        s->count = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i])
                vn_jnl_set_add(s, old[i] - 1);
        free(old);
    }
    size_t mask = s->cap - 1;
    size_t i = (size_t)(blk * 0x9E3779B97F4A7C15ull) & mask;
    while (s->slot[i] != 0)
        i = (i + 1) & mask;
    s->slot[i] = blk + 1;
    s->count++;
}

void vn_jnl_set_clear(vn_jnl_set *s)
{
    free(s->slot);
    s->slot = NULL;
    s->cap = s->count = 0;
}

const char *vn_journal_path(const char *image_path, vn_buf *buf)
{
    vn_buf_reset(buf);
    vn_buf_adds(buf, image_path);
    vn_buf_adds(buf, ".vnest-journal");
    return buf->data;
}

/* ---- the journaled view ---- */

typedef struct jnl_impl {
    vn_blk *target;
    char *path;
    int fd;           /* -1 until the first write (and after a commit) */
    int broken;       /* an append failed: the journal's tail is unusable */
    vn_jnl_set saved; /* blocks already saved */
} jnl_impl;

static int jnl_start(vn_blk *b, vn_error *err)
{
    jnl_impl *j = b->impl;
    int fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return vn_fail(err, VN_ERUNTIME, j->path, "cannot create the undo journal (%s)",
                       strerror(errno));
    unsigned char h[HDR_SIZE];
    memcpy(h, hdr_magic, 8);
    vn_jnl_put32(h + 8, VN_JOURNAL_BLOCK);
    vn_jnl_put32(h + 12, 0);
    vn_jnl_put64(h + 16, j->target->size);
    vn_jnl_put32(h + 24, vn_jnl_crc32(0, h, 24));
    if (vn_jnl_write_all(fd, h, sizeof(h)) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(j->path);
        return vn_fail(err, VN_ERUNTIME, j->path, "cannot write the undo journal (%s)",
                       strerror(e));
    }
    j->fd = fd;
    return vn_jnl_sync_dir(j->path, err);
}

static int jnl_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err)
{
    jnl_impl *j = b->impl;
    return vn_blk_read(j->target, off, buf, len, err);
}

/* Saves the original contents of the blocks of [off, off+len) not saved
 * yet; returns VN_OK with *appended set when the journal grew. */
static int save_blocks(vn_blk *b, uint64_t off, size_t len, int *appended, vn_error *err)
{
    jnl_impl *j = b->impl;
    *appended = 0;
    if (len == 0)
        return VN_OK;
    uint64_t first = off / VN_JOURNAL_BLOCK, last = (off + len - 1) / VN_JOURNAL_BLOCK;
    unsigned char *rec = vn_xmalloc(REC_SIZE + VN_JOURNAL_BLOCK);
    int rc = VN_OK;
    for (uint64_t blk = first; blk <= last && rc == VN_OK; blk++) {
        if (vn_jnl_set_has(&j->saved, blk))
            continue;
        if (j->fd < 0 && (rc = jnl_start(b, err)) != VN_OK)
            break;
        uint64_t boff = blk * VN_JOURNAL_BLOCK;
        uint64_t left = j->target->size - boff;
        uint32_t blen = left < VN_JOURNAL_BLOCK ? (uint32_t)left : VN_JOURNAL_BLOCK;
        if ((rc = vn_blk_read(j->target, boff, rec + REC_SIZE, blen, err)) != VN_OK)
            break;
        memcpy(rec, rec_magic, 4);
        vn_jnl_put32(rec + 4, blen);
        vn_jnl_put64(rec + 8, boff);
        uint32_t crc = vn_jnl_crc32(0, rec + 4, 12);
        vn_jnl_put32(rec + 16, vn_jnl_crc32(crc, rec + REC_SIZE, blen));
        size_t total = REC_SIZE + blen, half = total / 2;
        if (vn_jnl_write_all(j->fd, rec, half) != 0) {
            rc = vn_fail(err, VN_ERUNTIME, j->path, "cannot write the undo journal (%s)",
                         strerror(errno));
            break;
        }
        vn_jnl_crash_point("journal-torn-record");
        if (vn_jnl_write_all(j->fd, rec + half, total - half) != 0) {
            rc = vn_fail(err, VN_ERUNTIME, j->path, "cannot write the undo journal (%s)",
                         strerror(errno));
            break;
        }
        vn_jnl_set_add(&j->saved, blk);
        *appended = 1;
    }
    free(rec);
    return rc;
}

static int jnl_write(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err)
{
    jnl_impl *j = b->impl;
    if (j->broken)
        return vn_fail(err, VN_ERUNTIME, j->path,
                       "the undo journal could not be written; no further writes");
    int appended = 0;
    int rc = save_blocks(b, off, len, &appended, err);
    if (rc != VN_OK) {
        j->broken = j->fd >= 0; /* records after a partial one would be lost */
        return rc;
    }
    if (appended && fsync(j->fd) != 0) {
        j->broken = 1;
        return vn_fail(err, VN_ERUNTIME, j->path, "cannot flush the undo journal (%s)",
                       strerror(errno));
    }
    vn_jnl_crash_point("journal-before-target-write");
    rc = vn_blk_write(j->target, off, buf, len, err);
    vn_jnl_crash_point("journal-after-target-write");
    return rc;
}

static int jnl_flush(vn_blk *b, vn_error *err)
{
    jnl_impl *j = b->impl;
    return vn_blk_flush(j->target, err);
}

static void jnl_close(vn_blk *b)
{
    jnl_impl *j = b->impl;
    if (j->fd >= 0)
        close(j->fd);
    vn_jnl_set_clear(&j->saved);
    free(j->path);
    free(j);
    free(b);
}

static const vn_blk_ops jnl_ops = {jnl_read, jnl_write, jnl_flush, jnl_close};

int vn_journal_open(vn_blk *target, const char *journal_path, vn_blk **out, vn_error *err)
{
    *out = NULL;
    if (!target->writable)
        return vn_fail(err, VN_ERUNTIME, target->name, "opened read-only");
    struct stat st;
    if (lstat(journal_path, &st) == 0)
        return vn_fail(err, VN_ERUNTIME, journal_path,
                       "an undo journal from an interrupted run exists (recover the image first)");
    vn_blk *b = vn_xcalloc(1, sizeof(*b));
    jnl_impl *j = vn_xcalloc(1, sizeof(*j));
    j->target = target;
    j->path = vn_xstrdup(journal_path);
    j->fd = -1;
    b->ops = &jnl_ops;
    b->size = target->size;
    b->writable = 1;
    b->impl = j;
    snprintf(b->name, sizeof(b->name), "%s", target->name);
    *out = b;
    return VN_OK;
}

int vn_journal_commit(vn_blk *b, vn_error *err)
{
    if (b->ops != &jnl_ops)
        return vn_fail(err, VN_ERUNTIME, b->name, "not a journaled device");
    jnl_impl *j = b->impl;
    int rc = vn_blk_flush(j->target, err);
    if (rc != VN_OK || j->fd < 0)
        return rc;
    vn_jnl_crash_point("journal-before-remove");
    close(j->fd);
    j->fd = -1;
    vn_jnl_set_clear(&j->saved);
    if (unlink(j->path) != 0 && errno != ENOENT)
        return vn_fail(err, VN_ERUNTIME, j->path, "cannot remove the undo journal (%s)",
                       strerror(errno));
    return vn_jnl_sync_dir(j->path, err);
}

/* ---- recovery ---- */

typedef struct saved_rec {
    uint64_t off;
    uint32_t len;
    unsigned char *data;
} saved_rec;

int vn_journal_recover(vn_blk *target, const char *journal_path, int *recovered, vn_error *err)
{
    if (recovered)
        *recovered = 0;
    int fd = open(journal_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return VN_OK;
        return vn_fail(err, VN_ERUNTIME, journal_path, "cannot open the undo journal (%s)",
                       strerror(errno));
    }
    unsigned char h[HDR_SIZE];
    size_t got;
    if (vn_jnl_read_full(fd, h, sizeof(h), &got) != 0) {
        int e = errno;
        close(fd);
        return vn_fail(err, VN_ERUNTIME, journal_path, "cannot read the undo journal (%s)",
                       strerror(e));
    }
    int rc = VN_OK;
    saved_rec *recs = NULL;
    size_t count = 0, cap = 0;
    if (got < sizeof(h)) {
        /* Cut short while it was being created: nothing was written yet. */
        if (got > 0 && memcmp(h, hdr_magic, got < 8 ? got : 8) != 0)
            rc = vn_fail(err, VN_EINPUT, journal_path, "not a vnest undo journal (bad magic)");
    } else if (memcmp(h, hdr_magic, 8) != 0 || vn_jnl_get32(h + 24) != vn_jnl_crc32(0, h, 24) ||
               vn_jnl_get32(h + 8) != VN_JOURNAL_BLOCK) {
        rc = vn_fail(err, VN_EINPUT, journal_path, "not a vnest undo journal (bad header)");
    } else if (vn_jnl_get64(h + 16) != target->size) {
        rc = vn_fail(err, VN_EINPUT, journal_path,
                     "undo journal made for a device of %llu bytes, not this one (%llu bytes)",
                     (unsigned long long)vn_jnl_get64(h + 16), (unsigned long long)target->size);
    } else {
        for (;;) {
            unsigned char r[REC_SIZE];
            if (vn_jnl_read_full(fd, r, sizeof(r), &got) != 0) {
                rc = vn_fail(err, VN_ERUNTIME, journal_path, "cannot read the undo journal (%s)",
                             strerror(errno));
                break;
            }
            if (got < sizeof(r) || memcmp(r, rec_magic, 4) != 0)
                break; /* end, or a torn last record */
            uint32_t len = vn_jnl_get32(r + 4);
            uint64_t off = vn_jnl_get64(r + 8);
            if (len == 0 || len > VN_JOURNAL_BLOCK || off % VN_JOURNAL_BLOCK != 0 ||
                off > target->size || len > target->size - off)
                break;
            unsigned char *data = vn_xmalloc(len);
            if (vn_jnl_read_full(fd, data, len, &got) != 0 || got < len) {
                free(data);
                break;
            }
            uint32_t crc = vn_jnl_crc32(vn_jnl_crc32(0, r + 4, 12), data, len);
            if (crc != vn_jnl_get32(r + 16)) {
                free(data);
                break;
            }
            if (count == cap) {
                cap = cap ? cap * 2 : 64;
                recs = vn_xrealloc(recs, cap * sizeof(*recs));
            }
            recs[count++] = (saved_rec){off, len, data};
        }
    }
    close(fd);
    for (size_t i = count; i-- > 0 && rc == VN_OK;)
        rc = vn_blk_write(target, recs[i].off, recs[i].data, recs[i].len, err);
    for (size_t i = 0; i < count; i++)
        free(recs[i].data);
    free(recs);
    if (rc == VN_OK)
        rc = vn_blk_flush(target, err);
    if (rc != VN_OK)
        return rc;
    if (unlink(journal_path) != 0 && errno != ENOENT)
        return vn_fail(err, VN_ERUNTIME, journal_path, "cannot remove the undo journal (%s)",
                       strerror(errno));
    rc = vn_jnl_sync_dir(journal_path, err);
    if (rc == VN_OK && recovered)
        *recovered = 1;
    return rc;
}
