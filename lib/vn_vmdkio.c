/* vn_vmdkio: reading and writing existing VMDK (and raw) images.
 *
 * Every extent file is itself a vn_blk (a raw file, or memory for the
 * fuzzer); this module reads it with its own bounds rules (past the end
 * reads as zeros, as a sparse file would) and counts the bytes it moves.
 *
 * Hosted sparse extents (formats.md 3.5-3.7): the header is validated, the
 * grain directory (and, when writing, the redundant one) is loaded whole and
 * every entry checked to lie inside the file. One grain table and one
 * decompressed grain are cached. Writes are write-through: nothing is kept
 * dirty in memory, so close has nothing to lose.
 *
 * Allocation order for a write that needs new grains (or grain tables):
 *   1. append each new grain (old contents merged with the new bytes) at the
 *      end of the file; a new grain table is appended zeroed;
 *   2. fsync;
 *   3. write the redundant, then the primary table (or directory) entries.
 * A crash before 3 leaves only unreferenced space at the end of the file,
 * which `qemu-img check` accepts. */
#define _FILE_OFFSET_BITS 64

#include "vn_vmdkio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "vn_buf.h"
#include "vn_vmdk_desc.h"

#define SECTOR          512u
#define GD_AT_END       UINT64_C(0xffffffffffffffff)
#define FLAG_RGD        (1u << 1)
#define FLAG_ZERO_GTE   (1u << 2)
#define FLAG_COMPRESSED (1u << 16)
#define FLAG_MARKERS    (1u << 17)
#define MAX_GRAIN       UINT64_C(0x10000)   /* sectors: 32 MiB (real files: 128) */
#define MAX_GD_ENTRIES  UINT64_C(0x2000000) /* qemu's limit */
#define MAX_DESC_BYTES  (1024u * 1024u)     /* a text descriptor is a few KiB */

enum { K_FLAT, K_ZERO, K_SPARSE };

typedef struct sparse {
    vn_blk *f;
    uint32_t version, flags;
    uint64_t capacity, grain, gd_off, rgd_off, overhead; /* sectors */
    uint32_t gtes;                                       /* entries per grain table */
    uint64_t ngd;
    uint32_t *gd, *rgd; /* rgd only when writing and present */
    int compressed, markers;
    const char *readonly; /* why it cannot be written, or NULL */
    uint64_t gt_idx;      /* cached table: index+1, 0 = none */
    uint32_t *gt;
    uint64_t zg_idx; /* cached decompressed grain: index+1 */
    unsigned char *zg;
} sparse;

typedef struct extent {
    uint64_t start, sectors; /* virtual sectors */
    int kind;
    int writable;
    vn_blk *f;       /* NULL for ZERO */
    uint64_t offset; /* FLAT: byte offset in the file */
    sparse *sp;
} extent;

typedef struct vmdk {
    extent *ext;
    size_t n;
    char format[48];
} vmdk;

/* ---- little-endian fields ---- */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- extent files ---- */

static int f_read(vn_blk *f, uint64_t off, void *buf, size_t len, vn_error *err)
{
    size_t have = 0;
    if (off < f->size)
        have = f->size - off < len ? (size_t)(f->size - off) : len;
    if (have) {
        int rc = f->ops->read(f, off, buf, have, err);
        if (rc != VN_OK)
            return rc;
    }
    memset((char *)buf + have, 0, len - have);
    f->bytes_read += len;
    return VN_OK;
}

static int f_write(vn_blk *f, uint64_t off, const void *buf, size_t len, vn_error *err)
{
    if (!f->writable)
        return vn_fail(err, VN_ERUNTIME, f->name, "opened read-only");
    int rc = f->ops->write(f, off, buf, len, err);
    if (rc != VN_OK)
        return rc;
    if (off + len > f->size)
        f->size = off + len;
    f->bytes_written += len;
    return VN_OK;
}

static int f_flush(vn_blk *f, vn_error *err)
{
    return f->ops->flush ? f->ops->flush(f, err) : VN_OK;
}

/* ---- hosted sparse extents ---- */

static void sparse_free(sparse *s)
{
    if (!s)
        return;
    free(s->gd);
    free(s->rgd);
    free(s->gt);
    free(s->zg);
    free(s);
}

/* Loads a directory of s->ngd entries at `off` sectors, each 0 or a table
 * inside the file. */
static int load_dir(sparse *s, uint64_t off, const char *what, uint32_t **out, vn_error *err)
{
    uint64_t bytes = s->ngd * 4;
    if (off == 0 || off > s->f->size / SECTOR || bytes > s->f->size - off * SECTOR)
        return vn_fail(err, VN_EINPUT, s->f->name,
                       "%s at sector %llu (%llu entries) lies beyond the end of the file "
                       "(%llu bytes; expected it inside)",
                       what, (unsigned long long)off, (unsigned long long)s->ngd,
                       (unsigned long long)s->f->size);
    unsigned char *raw = vn_xmalloc((size_t)bytes);
    int rc = f_read(s->f, off * SECTOR, raw, (size_t)bytes, err);
    uint32_t *dir = vn_xcalloc((size_t)s->ngd, sizeof(*dir));
    for (uint64_t i = 0; rc == VN_OK && i < s->ngd; i++) {
        dir[i] = le32(raw + 4 * i);
        uint64_t gt = dir[i];
        if (gt && (gt > s->f->size / SECTOR || (uint64_t)s->gtes * 4 > s->f->size - gt * SECTOR))
            rc = vn_fail(err, VN_EINPUT, s->f->name,
                         "%s entry %llu points at sector %llu, beyond the end of the file "
                         "(%llu bytes; expected a grain table inside it)",
                         what, (unsigned long long)i, (unsigned long long)gt,
                         (unsigned long long)s->f->size);
    }
    free(raw);
    if (rc != VN_OK) {
        free(dir);
        return rc;
    }
    *out = dir;
    return VN_OK;
}

/* Parses and validates header fields; `hdr` is 512 bytes. */
static int parse_header(sparse *s, const unsigned char *hdr, vn_error *err)
{
    const char *name = s->f->name;
    if (memcmp(hdr, "KDMV", 4) != 0)
        return vn_fail(err, VN_EINPUT, name, "not a hosted sparse extent (expected magic KDMV)");
    s->version = le32(hdr + 4);
    s->flags = le32(hdr + 8);
    s->capacity = le64(hdr + 12);
    s->grain = le64(hdr + 20);
    s->gtes = le32(hdr + 44);
    s->rgd_off = le64(hdr + 48);
    s->gd_off = le64(hdr + 56);
    s->overhead = le64(hdr + 64);
    unsigned algo = (unsigned)hdr[77] | (unsigned)hdr[78] << 8;
    if (s->version < 1 || s->version > 3)
        return vn_fail(err, VN_EINPUT, name,
                       "sparse header version %u is not supported (expected 1, 2 or 3)",
                       (unsigned)s->version);
    if (s->grain == 0 || (s->grain & (s->grain - 1)) != 0 || s->grain > MAX_GRAIN)
        return vn_fail(err, VN_EINPUT, name,
                       "grain size %llu sectors (expected a power of 2 up to %llu)",
                       (unsigned long long)s->grain, (unsigned long long)MAX_GRAIN);
    if (s->gtes == 0 || s->gtes > 512)
        return vn_fail(err, VN_EINPUT, name, "%u grain table entries per table (expected 512)",
                       (unsigned)s->gtes);
    if (s->capacity == 0 || s->capacity > UINT64_MAX / SECTOR)
        return vn_fail(err, VN_EINPUT, name, "capacity of %llu sectors (expected a real size)",
                       (unsigned long long)s->capacity);
    s->compressed = (s->flags & FLAG_COMPRESSED) != 0;
    s->markers = (s->flags & FLAG_MARKERS) != 0;
    if (s->compressed && algo != 1)
        return vn_fail(err, VN_EINPUT, name,
                       "compressed grains with algorithm %u (expected 1, deflate)", algo);
    uint64_t span = (uint64_t)s->gtes * s->grain;
    s->ngd = s->capacity / span + (s->capacity % span != 0);
    if (s->ngd > MAX_GD_ENTRIES)
        return vn_fail(err, VN_EINPUT, name,
                       "grain directory of %llu entries (expected at most %llu)",
                       (unsigned long long)s->ngd, (unsigned long long)MAX_GD_ENTRIES);
    return VN_OK;
}

/* Opens the sparse extent in `f` (taken over, even on failure). When `desc`
 * is given, the embedded descriptor (if any) is parsed into it. */
static int sparse_open(vn_blk *f, int writable, vn_vmdk_desc **desc, sparse **out, vn_error *err)
{
    sparse *s = vn_xcalloc(1, sizeof(*s));
    s->f = f;
    unsigned char hdr[SECTOR];
    int rc = VN_OK;
    if (f->size < SECTOR)
        rc = vn_fail(err, VN_EINPUT, f->name,
                     "truncated sparse header (file is %llu bytes, expected at least 512)",
                     (unsigned long long)f->size);
    if (rc == VN_OK)
        rc = f_read(f, 0, hdr, SECTOR, err);
    if (rc == VN_OK)
        rc = parse_header(s, hdr, err);
    if (rc == VN_OK && s->gd_off == GD_AT_END) {
        /* streamOptimized written in one pass: footer marker, footer, EOS. */
        unsigned char m[SECTOR];
        if (f->size < 3 * SECTOR + SECTOR)
            rc = vn_fail(err, VN_EINPUT, f->name,
                         "grain directory is at the end but the file has no footer (expected "
                         "footer marker, footer and end-of-stream marker)");
        if (rc == VN_OK)
            rc = f_read(f, f->size - 3 * SECTOR, m, SECTOR, err);
        if (rc == VN_OK && (le32(m + 8) != 0 || le32(m + 12) != 3))
            rc = vn_fail(err, VN_EINPUT, f->name,
                         "no footer marker at 1536 bytes before the end (expected one: the "
                         "header says the grain directory is at the end)");
        if (rc == VN_OK)
            rc = f_read(f, f->size - 2 * SECTOR, hdr, SECTOR, err);
        if (rc == VN_OK)
            rc = parse_header(s, hdr, err);
        if (rc == VN_OK && s->gd_off == GD_AT_END)
            rc = vn_fail(err, VN_EINPUT, f->name,
                         "footer does not say where the grain directory is (expected its "
                         "sector)");
    }
    if (rc == VN_OK && (s->overhead > f->size / SECTOR))
        rc = vn_fail(err, VN_EINPUT, f->name,
                     "truncated: %llu bytes, but the metadata alone takes %llu sectors",
                     (unsigned long long)f->size, (unsigned long long)s->overhead);
    if (rc == VN_OK)
        rc = load_dir(s, s->gd_off, "grain directory", &s->gd, err);
    if (rc == VN_OK) {
        if (s->compressed)
            s->readonly = "read-only (streamOptimized)";
        else if (s->version == 3)
            s->readonly = "read-only (version 3 sparse extent: change tracking)";
        if (writable && s->readonly)
            rc = vn_fail(err, VN_EINPUT, f->name, "%s", s->readonly);
    }
    if (rc == VN_OK && writable && (s->flags & FLAG_RGD) && s->rgd_off != 0)
        rc = load_dir(s, s->rgd_off, "redundant grain directory", &s->rgd, err);
    if (rc == VN_OK && desc) {
        uint64_t doff = le64(hdr + 28), dsize = le64(hdr + 36);
        *desc = NULL;
        if (doff && dsize) {
            if (doff > f->size / SECTOR || dsize > (f->size - doff * SECTOR) / SECTOR)
                rc = vn_fail(err, VN_EINPUT, f->name,
                             "embedded descriptor at sector %llu (+%llu) lies beyond the end of "
                             "the file (expected it inside)",
                             (unsigned long long)doff, (unsigned long long)dsize);
            if (rc == VN_OK) {
                size_t n =
                    dsize * SECTOR > MAX_DESC_BYTES ? MAX_DESC_BYTES : (size_t)(dsize * SECTOR);
                char *text = vn_xmalloc(n);
                rc = f_read(f, doff * SECTOR, text, n, err);
                char where[600];
                snprintf(where, sizeof(where), "%s (embedded descriptor)", f->name);
                if (rc == VN_OK)
                    rc = vn_vmdk_desc_parse(text, n, where, desc, err);
                free(text);
            }
        }
    }
    if (rc != VN_OK) {
        vn_blk_close(f);
        sparse_free(s);
        return rc;
    }
    *out = s;
    return VN_OK;
}

static int load_gt(sparse *s, uint64_t gdi, vn_error *err)
{
    if (s->gt_idx == gdi + 1)
        return VN_OK;
    if (!s->gt)
        s->gt = vn_xcalloc(s->gtes, sizeof(*s->gt));
    unsigned char raw[512 * 4];
    s->gt_idx = 0;
    int rc = f_read(s->f, (uint64_t)s->gd[gdi] * SECTOR, raw, (size_t)s->gtes * 4, err);
    if (rc != VN_OK)
        return rc;
    for (uint32_t i = 0; i < s->gtes; i++)
        s->gt[i] = le32(raw + 4 * i);
    s->gt_idx = gdi + 1;
    return VN_OK;
}

/* The grain table entry for grain `g` (0 when its table is unallocated). */
static int lookup(sparse *s, uint64_t g, uint32_t *gte, vn_error *err)
{
    uint64_t gdi = g / s->gtes;
    *gte = 0;
    if (gdi >= s->ngd || s->gd[gdi] == 0)
        return VN_OK;
    int rc = load_gt(s, gdi, err);
    if (rc == VN_OK)
        *gte = s->gt[g % s->gtes];
    return rc;
}

static int inflate_grain(sparse *s, const unsigned char *in, size_t inlen, vn_error *err)
{
    size_t gbytes = (size_t)(s->grain * SECTOR);
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        return vn_fail(err, VN_ERUNTIME, s->f->name, "cannot start zlib");
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)inlen;
    z.next_out = s->zg;
    z.avail_out = (uInt)gbytes;
    int zr = inflate(&z, Z_FINISH);
    size_t got = gbytes - z.avail_out;
    inflateEnd(&z);
    if (zr != Z_STREAM_END)
        return vn_fail(err, VN_EINPUT, s->f->name,
                       zr == Z_BUF_ERROR && got == gbytes
                           ? "compressed grain inflates to more than a grain (expected %zu bytes)"
                           : "corrupt compressed grain (expected a zlib stream of %zu bytes)",
                       gbytes);
    memset(s->zg + got, 0, gbytes - got);
    return VN_OK;
}

static int read_compressed(sparse *s, uint64_t g, uint32_t gte, vn_error *err)
{
    if (s->zg_idx == g + 1)
        return VN_OK;
    size_t gbytes = (size_t)(s->grain * SECTOR);
    if (!s->zg)
        s->zg = vn_xmalloc(gbytes);
    s->zg_idx = 0;
    uint64_t at = (uint64_t)gte * SECTOR;
    size_t len = 2 * gbytes;
    if (s->markers) {
        unsigned char m[12];
        int rc = f_read(s->f, at, m, sizeof(m), err);
        if (rc != VN_OK)
            return rc;
        uint64_t lba = le64(m);
        len = le32(m + 8);
        if (lba != g * s->grain || len == 0 || len > 2 * gbytes)
            return vn_fail(err, VN_EINPUT, s->f->name,
                           "bad grain marker at sector %u (lba %llu, %zu bytes; expected lba "
                           "%llu and 1 to %zu bytes)",
                           (unsigned)gte, (unsigned long long)lba, len,
                           (unsigned long long)(g * s->grain), 2 * gbytes);
        at += 12;
    }
    if (at >= s->f->size)
        return vn_fail(err, VN_EINPUT, s->f->name,
                       "grain %llu at sector %u lies beyond the end of the file (expected it "
                       "inside)",
                       (unsigned long long)g, (unsigned)gte);
    if (len > s->f->size - at)
        len = (size_t)(s->f->size - at);
    unsigned char *in = vn_xmalloc(len);
    int rc = f_read(s->f, at, in, len, err);
    if (rc == VN_OK)
        rc = inflate_grain(s, in, len, err);
    free(in);
    if (rc == VN_OK)
        s->zg_idx = g + 1;
    return rc;
}

/* Reads len bytes at byte `off` of the extent (within one grain or more). */
static int sparse_read(sparse *s, uint64_t off, unsigned char *buf, size_t len, vn_error *err)
{
    uint64_t gbytes = s->grain * SECTOR;
    while (len) {
        uint64_t g = off / gbytes, in = off % gbytes;
        size_t n = gbytes - in < len ? (size_t)(gbytes - in) : len;
        uint32_t gte;
        int rc = lookup(s, g, &gte, err);
        if (rc != VN_OK)
            return rc;
        if (gte == 0 || gte == 1) {
            /* unallocated, or (version 2+) allocated but zero */
            memset(buf, 0, n);
        } else if (s->compressed) {
            rc = read_compressed(s, g, gte, err);
            if (rc != VN_OK)
                return rc;
            memcpy(buf, s->zg + in, n);
        } else {
            if ((uint64_t)gte * SECTOR >= s->f->size)
                return vn_fail(err, VN_EINPUT, s->f->name,
                               "grain %llu at sector %u lies beyond the end of the file (%llu "
                               "bytes; expected it inside)",
                               (unsigned long long)g, (unsigned)gte,
                               (unsigned long long)s->f->size);
            rc = f_read(s->f, (uint64_t)gte * SECTOR + in, buf, n, err);
            if (rc != VN_OK)
                return rc;
        }
        buf += n;
        off += n;
        len -= n;
    }
    return VN_OK;
}

/* Where the next allocation goes: the end of the file, in sectors. */
static int alloc_at(sparse *s, uint64_t bytes, uint32_t *sector, vn_error *err)
{
    uint64_t at = (s->f->size + SECTOR - 1) / SECTOR;
    if (at + (bytes + SECTOR - 1) / SECTOR > UINT32_MAX)
        return vn_fail(err, VN_ERUNTIME, s->f->name,
                       "sparse file full (grain tables hold 32-bit sector numbers)");
    *sector = (uint32_t)at;
    return VN_OK;
}

static int put_entry(sparse *s, uint64_t at_byte, uint32_t v, vn_error *err)
{
    unsigned char b[4];
    put32(b, v);
    return f_write(s->f, at_byte, b, 4, err);
}

/* Appends a zeroed grain table (and a redundant one), makes them durable,
 * then points the directories at them. */
static int alloc_gt(sparse *s, uint64_t gdi, vn_error *err)
{
    size_t bytes = ((size_t)s->gtes * 4 + SECTOR - 1) / SECTOR * SECTOR;
    unsigned char zero[512 * 4];
    memset(zero, 0, sizeof(zero));
    uint32_t at[2] = {0, 0};
    int copies = s->rgd ? 2 : 1;
    for (int i = 0; i < copies; i++) {
        int rc = alloc_at(s, bytes, &at[i], err);
        if (rc == VN_OK)
            rc = f_write(s->f, (uint64_t)at[i] * SECTOR, zero, bytes, err);
        if (rc != VN_OK)
            return rc;
    }
    int rc = f_flush(s->f, err);
    if (rc == VN_OK && s->rgd) {
        rc = put_entry(s, s->rgd_off * SECTOR + gdi * 4, at[1], err);
        if (rc == VN_OK)
            s->rgd[gdi] = at[1];
    }
    if (rc == VN_OK)
        rc = put_entry(s, s->gd_off * SECTOR + gdi * 4, at[0], err);
    if (rc == VN_OK)
        s->gd[gdi] = at[0];
    return rc;
}

typedef struct pending {
    uint64_t g;
    uint32_t sector;
} pending;

static int commit(sparse *s, const pending *p, size_t np, vn_error *err)
{
    if (!np)
        return VN_OK;
    int rc = f_flush(s->f, err); /* the grains before anything points at them */
    for (size_t i = 0; rc == VN_OK && i < np; i++) {
        uint64_t gdi = p[i].g / s->gtes, gti = p[i].g % s->gtes;
        if (s->rgd && s->rgd[gdi])
            rc = put_entry(s, (uint64_t)s->rgd[gdi] * SECTOR + gti * 4, p[i].sector, err);
        if (rc == VN_OK)
            rc = put_entry(s, (uint64_t)s->gd[gdi] * SECTOR + gti * 4, p[i].sector, err);
        if (rc == VN_OK && s->gt_idx == gdi + 1)
            s->gt[gti] = p[i].sector;
    }
    return rc;
}

static int sparse_write(sparse *s, uint64_t off, const unsigned char *buf, size_t len,
                        vn_error *err)
{
    uint64_t gbytes = s->grain * SECTOR;
    size_t cap = (size_t)(len / gbytes) + 2, np = 0;
    pending *p = vn_xcalloc(cap, sizeof(*p));
    unsigned char *grain = NULL;
    int rc = VN_OK;
    while (rc == VN_OK && len) {
        uint64_t g = off / gbytes, in = off % gbytes;
        size_t n = gbytes - in < len ? (size_t)(gbytes - in) : len;
        uint64_t gdi = g / s->gtes;
        if (gdi >= s->ngd) {
            rc = vn_fail(err, VN_EINPUT, s->f->name, "write beyond the sparse extent's capacity");
            break;
        }
        if (s->gd[gdi] == 0)
            rc = alloc_gt(s, gdi, err);
        uint32_t gte = 0;
        if (rc == VN_OK)
            rc = lookup(s, g, &gte, err);
        if (rc != VN_OK)
            break;
        if (gte > 1) {
            if ((uint64_t)gte * SECTOR >= s->f->size) {
                rc = vn_fail(err, VN_EINPUT, s->f->name,
                             "grain %llu at sector %u lies beyond the end of the file "
                             "(expected it inside)",
                             (unsigned long long)g, (unsigned)gte);
                break;
            }
            rc = f_write(s->f, (uint64_t)gte * SECTOR + in, buf, n, err);
        } else {
            if (!grain)
                grain = vn_xmalloc((size_t)gbytes);
            memset(grain, 0, (size_t)gbytes);
            memcpy(grain + in, buf, n);
            uint32_t at = 0;
            rc = alloc_at(s, gbytes, &at, err);
            if (rc == VN_OK)
                rc = f_write(s->f, (uint64_t)at * SECTOR, grain, (size_t)gbytes, err);
            if (rc == VN_OK)
                p[np++] = (pending){g, at};
        }
        buf += n;
        off += n;
        len -= n;
    }
    /* Whatever was appended before a failure is still committed: the data
     * is in place, and pointing at it is as valid as not. */
    int rc2 = commit(s, p, np, err);
    free(p);
    free(grain);
    return rc != VN_OK ? rc : rc2;
}

/* ---- the device ---- */

static int vmdk_io(vn_blk *b, uint64_t off, unsigned char *rbuf, const unsigned char *wbuf,
                   size_t len, vn_error *err)
{
    vmdk *v = b->impl;
    for (size_t i = 0; i < v->n && len; i++) {
        extent *e = &v->ext[i];
        uint64_t start = e->start * SECTOR, end = start + e->sectors * SECTOR;
        if (off >= end)
            continue;
        uint64_t rel = off - start;
        size_t n = end - off < len ? (size_t)(end - off) : len;
        int rc = VN_OK;
        if (wbuf && !e->writable)
            rc = vn_fail(err, VN_EINPUT, b->name, "extent %zu is read-only", i + 1);
        else if (e->kind == K_ZERO && rbuf)
            memset(rbuf, 0, n);
        else if (e->kind == K_ZERO)
            rc = vn_fail(err, VN_EINPUT, b->name, "extent %zu is a ZERO extent (read-only)", i + 1);
        else if (e->kind == K_FLAT)
            rc = rbuf ? f_read(e->f, e->offset + rel, rbuf, n, err)
                      : f_write(e->f, e->offset + rel, wbuf, n, err);
        else
            rc = rbuf ? sparse_read(e->sp, rel, rbuf, n, err)
                      : sparse_write(e->sp, rel, wbuf, n, err);
        if (rc != VN_OK)
            return rc;
        if (rbuf)
            rbuf += n;
        else
            wbuf += n;
        off += n;
        len -= n;
    }
    return VN_OK;
}

static int vmdk_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err)
{
    return vmdk_io(b, off, buf, NULL, len, err);
}

static int vmdk_write(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err)
{
    return vmdk_io(b, off, NULL, buf, len, err);
}

static int vmdk_flush(vn_blk *b, vn_error *err)
{
    vmdk *v = b->impl;
    for (size_t i = 0; i < v->n; i++) {
        vn_blk *f = v->ext[i].kind == K_SPARSE ? v->ext[i].sp->f : v->ext[i].f;
        if (f && f->writable) {
            int rc = f_flush(f, err);
            if (rc != VN_OK)
                return rc;
        }
    }
    return VN_OK;
}

static void free_extents(vmdk *v)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->ext[i].sp) {
            vn_blk_close(v->ext[i].sp->f);
            sparse_free(v->ext[i].sp);
        } else if (v->ext[i].f) {
            vn_blk_close(v->ext[i].f);
        }
    }
    free(v->ext);
    free(v);
}

static void vmdk_close(vn_blk *b)
{
    free_extents(b->impl);
    free(b);
}

static const vn_blk_ops vmdk_ops = {vmdk_read, vmdk_write, vmdk_flush, vmdk_close};

static vn_blk *make_dev(vmdk *v, const char *name, int writable)
{
    vn_blk *b = vn_xcalloc(1, sizeof(*b));
    uint64_t sectors = 0;
    for (size_t i = 0; i < v->n; i++) {
        v->ext[i].start = sectors;
        sectors += v->ext[i].sectors;
    }
    b->ops = &vmdk_ops;
    b->size = sectors * SECTOR;
    b->writable = writable;
    b->impl = v;
    snprintf(b->name, sizeof(b->name), "%s", name);
    return b;
}

static extent *add_extent(vmdk *v)
{
    v->ext = vn_xrealloc(v->ext, (v->n + 1) * sizeof(*v->ext));
    extent *e = &v->ext[v->n++];
    memset(e, 0, sizeof(*e));
    return e;
}

void vn_vmdk_get_info(const vn_blk *b, vn_vmdk_info *info)
{
    memset(info, 0, sizeof(*info));
    if (b->ops != &vmdk_ops) {
        info->format = "raw";
        info->extents = 1;
        info->file_read = b->bytes_read;
        info->file_written = b->bytes_written;
        return;
    }
    const vmdk *v = b->impl;
    info->format = v->format;
    info->extents = v->n;
    for (size_t i = 0; i < v->n; i++) {
        const vn_blk *f = v->ext[i].sp ? v->ext[i].sp->f : v->ext[i].f;
        if (f) {
            info->file_read += f->bytes_read;
            info->file_written += f->bytes_written;
        }
    }
}

/* ---- opening ---- */

static int open_sparse_file(vn_blk *f, int writable, const char *path, vn_blk **out, vn_error *err)
{
    sparse *s;
    vn_vmdk_desc *desc = NULL;
    int rc = sparse_open(f, writable, &desc, &s, err);
    if (rc != VN_OK)
        return rc;
    vmdk *v = vn_xcalloc(1, sizeof(*v));
    extent *e = add_extent(v);
    e->kind = K_SPARSE;
    e->sp = s;
    e->sectors = s->capacity;
    e->writable = writable;
    const char *type = s->compressed ? "streamOptimized"
                       : desc        ? desc->create_type
                                     : "monolithicSparse";
    snprintf(v->format, sizeof(v->format), "%s", type);
    vn_vmdk_desc_free(desc);
    *out = make_dev(v, path, writable);
    return VN_OK;
}

int vn_vmdk_open_mem(const void *data, size_t len, vn_blk **out, vn_error *err)
{
    vn_blk *f;
    *out = NULL;
    int rc = vn_blk_open_mem(data, len, 0, &f, err);
    if (rc != VN_OK)
        return rc;
    return open_sparse_file(f, 0, "(memory)", out, err);
}

static int starts_with_ci(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && strncasecmp(s, lit, l) == 0;
}

/* A text descriptor: no NUL before the first line that is not blank or a
 * comment, and that line is version=N (what qemu's probe looks for), or
 * the file starts with VMware's "# Disk DescriptorFile" comment. */
static int looks_like_descriptor(const char *p, size_t n)
{
    if (starts_with_ci(p, n, "# Disk DescriptorFile"))
        return 1;
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
            i++;
        if (i < n && p[i] == '#') {
            while (i < n && p[i] != '\n') {
                if (p[i] == '\0')
                    return 0;
                i++;
            }
            continue;
        }
        if (!starts_with_ci(p + i, n - i, "version"))
            return 0;
        i += 7;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        return i < n && p[i] == '=';
    }
    return 0;
}

static const char *const refused_types[] = {
    "vmfsSparse", "seSparse",   "vmfsSeSparse",
    "vmfsRDM",    "vmfsRDMP",   "vmfsPassthroughRawDeviceMap",
    "vmfsRaw",    "fullDevice", "partitionedDevice",
};

static const char *const supported_types[] = {
    "monolithicFlat",
    "vmfs",
    "vmfsPreallocated",
    "vmfsEagerZeroedThick",
    "vmfsThin",
    "vmfsThick",
    "twoGbMaxExtentFlat",
    "2GbMaxExtentFlat",
    "twoGbMaxExtentSparse",
    "2GbMaxExtentSparse",
    "monolithicSparse",
    "streamOptimized",
    "custom",
};

static int type_in(const char *t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(t, list[i]) == 0)
            return 1;
    return 0;
}

static char *extent_path(const char *desc_path, const char *file)
{
    if (file[0] == '/')
        return vn_xstrdup(file);
    const char *slash = strrchr(desc_path, '/');
    vn_buf b = VN_BUF_INIT;
    if (slash)
        vn_buf_add(&b, desc_path, (size_t)(slash - desc_path + 1));
    vn_buf_adds(&b, file);
    return vn_buf_detach(&b, NULL);
}

static int check_descriptor(const vn_vmdk_desc *d, const char *path, int writable, vn_error *err)
{
    const char *t = d->create_type;
    if (type_in(t, refused_types, sizeof(refused_types) / sizeof(refused_types[0])))
        return vn_fail(err, VN_EINPUT, path,
                       "disk type \"%s\" is not supported (snapshot deltas and raw device "
                       "mappings are refused; expected a flat or hosted sparse disk)",
                       t);
    if (!type_in(t, supported_types, sizeof(supported_types) / sizeof(supported_types[0])))
        return vn_fail(err, VN_EINPUT, path,
                       "unknown disk type \"%s\" (expected monolithicFlat, vmfs, "
                       "monolithicSparse, twoGbMaxExtentFlat, twoGbMaxExtentSparse or "
                       "streamOptimized)",
                       t);
    if ((d->has_parent_cid && d->parent_cid != UINT32_C(0xffffffff)) ||
        vn_vmdk_desc_get(d, "parentFileNameHint"))
        return vn_fail(err, VN_EINPUT, path,
                       "a delta disk with a parent (not supported; expected parentCID=ffffffff: "
                       "consolidate or clone it first)");
    for (size_t i = 0; i < d->n_extents; i++) {
        const vn_vmdk_extent *x = &d->extents[i];
        int ok = x->type == VN_VMDK_FLAT || x->type == VN_VMDK_VMFS || x->type == VN_VMDK_SPARSE ||
                 x->type == VN_VMDK_ZERO;
        if (!ok)
            return vn_fail_at(err, VN_EINPUT, path, x->line,
                              "%s extents are not supported (expected FLAT, VMFS, SPARSE or "
                              "ZERO)",
                              vn_vmdk_ext_type_name(x->type));
        if (x->access == VN_VMDK_NOACCESS)
            return vn_fail_at(err, VN_EINPUT, path, x->line,
                              "extent marked NOACCESS (expected RW or RDONLY)");
        if (writable && x->access == VN_VMDK_RDONLY)
            return vn_fail_at(err, VN_EINPUT, path, x->line,
                              "extent marked RDONLY (cannot open the disk for writing)");
    }
    return VN_OK;
}

static int open_descriptor(const char *path, vn_blk *probe, int writable, vn_vmdk_opener open_file,
                           void *ctx, vn_blk **out, vn_error *err)
{
    if (probe->size > MAX_DESC_BYTES) {
        vn_blk_close(probe);
        return vn_fail(err, VN_EINPUT, path,
                       "looks like a descriptor but is %llu bytes (expected at most %u)",
                       (unsigned long long)probe->size, MAX_DESC_BYTES);
    }
    size_t n = (size_t)probe->size;
    char *text = vn_xmalloc(n ? n : 1);
    int rc = f_read(probe, 0, text, n, err);
    vn_blk_close(probe);
    vn_vmdk_desc *d = NULL;
    if (rc == VN_OK)
        rc = vn_vmdk_desc_parse(text, n, path, &d, err);
    free(text);
    if (rc == VN_OK)
        rc = check_descriptor(d, path, writable, err);
    if (rc != VN_OK) {
        vn_vmdk_desc_free(d);
        return rc;
    }
    vmdk *v = vn_xcalloc(1, sizeof(*v));
    snprintf(v->format, sizeof(v->format), "%s", d->create_type);
    for (size_t i = 0; rc == VN_OK && i < d->n_extents; i++) {
        const vn_vmdk_extent *x = &d->extents[i];
        extent *e = add_extent(v);
        e->sectors = x->sectors;
        e->writable = writable;
        if (x->type == VN_VMDK_ZERO) {
            e->kind = K_ZERO;
            e->writable = 0;
            continue;
        }
        char *file = extent_path(path, x->file);
        vn_blk *f = NULL;
        rc = open_file(ctx, file, writable, &f, err);
        free(file);
        if (rc != VN_OK) {
            if (err)
                snprintf(err->where, sizeof(err->where), "%s:%d", path, x->line);
            break;
        }
        if (x->type == VN_VMDK_SPARSE) {
            e->kind = K_SPARSE;
            rc = sparse_open(f, writable, NULL, &e->sp, err);
            if (rc == VN_OK && e->sp->capacity < x->sectors)
                rc =
                    vn_fail_at(err, VN_EINPUT, path, x->line,
                               "sparse extent holds %llu sectors, less than the %llu the "
                               "descriptor maps (expected at least as many)",
                               (unsigned long long)e->sp->capacity, (unsigned long long)x->sectors);
        } else {
            e->kind = K_FLAT;
            e->f = f;
            e->offset = x->offset * SECTOR;
        }
    }
    vn_vmdk_desc_free(d);
    if (rc != VN_OK) {
        free_extents(v);
        return rc;
    }
    *out = make_dev(v, path, writable);
    return VN_OK;
}

static int open_raw(void *ctx, const char *path, int writable, vn_blk **out, vn_error *err)
{
    (void)ctx;
    return vn_blk_open_raw(path, writable, out, err);
}

int vn_vmdk_open(const char *path, int writable, vn_blk **out, vn_error *err)
{
    return vn_vmdk_open_with(path, writable, open_raw, NULL, out, err);
}

int vn_vmdk_open_with(const char *path, int writable, vn_vmdk_opener open_file, void *ctx,
                      vn_blk **out, vn_error *err)
{
    *out = NULL;
    vn_blk *probe;
    int rc = vn_blk_open_raw(path, 0, &probe, err);
    if (rc != VN_OK)
        return rc;
    unsigned char head[SECTOR];
    size_t n = probe->size < SECTOR ? (size_t)probe->size : SECTOR;
    rc = f_read(probe, 0, head, n, err);
    if (rc != VN_OK) {
        vn_blk_close(probe);
        return rc;
    }
    if (n >= 4 && memcmp(head, "KDMV", 4) == 0) {
        vn_blk_close(probe);
        vn_blk *f;
        rc = open_file(ctx, path, writable, &f, err);
        if (rc != VN_OK)
            return rc;
        return open_sparse_file(f, writable, path, out, err);
    }
    if (n >= 4 && memcmp(head, "COWD", 4) == 0) {
        vn_blk_close(probe);
        return vn_fail(err, VN_EINPUT, path,
                       "vmfsSparse (COWD) snapshot delta is not supported (expected a flat or "
                       "hosted sparse disk: consolidate or clone it first)");
    }
    if (n >= 8 && le64(head) == UINT64_C(0xcafebabe)) {
        vn_blk_close(probe);
        return vn_fail(err, VN_EINPUT, path,
                       "seSparse snapshot delta is not supported (expected a flat or hosted "
                       "sparse disk: consolidate or clone it first)");
    }
    if (looks_like_descriptor((const char *)head, n))
        return open_descriptor(path, probe, writable, open_file, ctx, out, err);
    vn_blk_close(probe);
    return open_file(ctx, path, writable, out, err);
}
