#include "vn_fat.h"
#include "vn_utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ENT              32
#define ATTR_LFN         0x0F
#define ATTR_VOLUME      0x08
#define LFN_MAX_SLOTS    20 /* 20 x 13 = 260 >= 255 UTF-16 units */
#define VMWARE_FAT_MAGIC "VMWARE FAT16    "

struct vn_fat {
    vn_blk *dev;
    uint32_t ss, spc, csize, reserved, nfats, root_entries, fat_sectors;
    uint64_t total_sectors, root_off, data_off;
    uint32_t clusters; /* data clusters: numbers 2 .. clusters+1 */
    int bits;
    uint8_t *fat; /* first FAT copy, in memory */
    size_t fat_bytes, dirty_lo, dirty_hi;
    vn_fat_info info;
};

/* A directory in memory: its bytes and where each cluster of it lies. */
typedef struct fdir {
    uint32_t first; /* 0 = the fixed root directory */
    uint8_t *data;
    size_t n; /* entries */
    uint32_t *cl;
    size_t ncl;
} fdir;

/* One name found in a directory. */
typedef struct fent {
    vn_fat_dirent d;
    size_t idx;       /* index of the 8.3 entry */
    size_t lfn_first; /* index of the first LFN entry (== idx when none) */
} fent;

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

/* ---- the FAT ---- */

static uint32_t fat_get(const vn_fat *fs, uint32_t c)
{
    if (fs->bits == 16)
        return le16(fs->fat + 2 * (size_t)c);
    uint32_t v = le16(fs->fat + c + c / 2);
    return c & 1 ? v >> 4 : v & 0xFFF;
}

static void fat_set(vn_fat *fs, uint32_t c, uint32_t v)
{
    size_t off = fs->bits == 16 ? 2 * (size_t)c : c + c / 2;
    if (fs->bits == 16) {
        put16(fs->fat + off, v);
    } else if (c & 1) {
        fs->fat[off] = (uint8_t)((fs->fat[off] & 0x0F) | (v << 4 & 0xF0));
        fs->fat[off + 1] = (uint8_t)(v >> 4);
    } else {
        fs->fat[off] = (uint8_t)v;
        fs->fat[off + 1] = (uint8_t)((fs->fat[off + 1] & 0xF0) | (v >> 8 & 0x0F));
    }
    if (off < fs->dirty_lo)
        fs->dirty_lo = off;
    if (off + 2 > fs->dirty_hi)
        fs->dirty_hi = off + 2;
}

static uint32_t eoc(const vn_fat *fs)
{
    return fs->bits == 16 ? 0xFFFF : 0xFFF;
}

static int is_eoc(const vn_fat *fs, uint32_t v)
{
    return v >= (fs->bits == 16 ? 0xFFF8u : 0xFF8u);
}

static uint32_t count_free(const vn_fat *fs)
{
    uint32_t n = 0;
    for (uint32_t c = 2; c < fs->clusters + 2; c++)
        n += fat_get(fs, c) == 0;
    return n;
}

static uint64_t cluster_off(const vn_fat *fs, uint32_t c)
{
    return fs->data_off + (uint64_t)(c - 2) * fs->csize;
}

/* The clusters of a chain; a loop, a free or out-of-range link is a
 * damaged volume (VN_EINPUT). */
static int chain(vn_fat *fs, uint32_t first, uint32_t **out, size_t *n, vn_error *err)
{
    *out = NULL;
    *n = 0;
    if (first == 0)
        return VN_OK;
    uint32_t *v = vn_xmalloc(sizeof(uint32_t) * 16);
    size_t cap = 16, k = 0;
    for (uint32_t c = first;;) {
        if (c < 2 || c >= fs->clusters + 2 || k >= fs->clusters) {
            free(v);
            return vn_fail(err, VN_EINPUT, fs->dev->name,
                           "damaged cluster chain from cluster %u (link to %u; expected 2-%u)",
                           first, c, fs->clusters + 1);
        }
        if (k == cap)
            v = vn_xrealloc(v, sizeof(uint32_t) * (cap *= 2));
        v[k++] = c;
        uint32_t next = fat_get(fs, c);
        if (is_eoc(fs, next))
            break;
        c = next;
    }
    *out = v;
    *n = k;
    return VN_OK;
}

/* Writes the changed span of the in-memory FAT to every copy. */
static int flush_fat(vn_fat *fs, vn_error *err)
{
    if (fs->dirty_hi <= fs->dirty_lo)
        return VN_OK;
    size_t lo = fs->dirty_lo / fs->ss * fs->ss;
    size_t hi = (fs->dirty_hi + fs->ss - 1) / fs->ss * fs->ss;
    if (hi > fs->fat_bytes)
        hi = fs->fat_bytes;
    for (uint32_t i = 0; i < fs->nfats; i++) {
        uint64_t base = (uint64_t)(fs->reserved + (uint64_t)i * fs->fat_sectors) * fs->ss;
        int rc = vn_blk_write(fs->dev, base + lo, fs->fat + lo, hi - lo, err);
        if (rc != VN_OK)
            return rc;
    }
    fs->dirty_lo = SIZE_MAX;
    fs->dirty_hi = 0;
    fs->info.free_clusters = count_free(fs);
    return VN_OK;
}

/* Takes `n` free clusters, lowest first, linking nothing yet. */
static void take_free(vn_fat *fs, uint32_t *out, size_t n)
{
    size_t k = 0;
    for (uint32_t c = 2; k < n && c < fs->clusters + 2; c++)
        if (fat_get(fs, c) == 0) {
            out[k++] = c;
            fat_set(fs, c, eoc(fs)); /* reserved until linked */
        }
}

static void link_chain(vn_fat *fs, const uint32_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fat_set(fs, c[i], i + 1 < n ? c[i + 1] : eoc(fs));
}

/* ---- opening ---- */

static int parse_bpb(vn_fat *fs, const uint8_t *s, vn_error *err)
{
    const char *w = fs->dev->name;
    fs->ss = le16(s + 11);
    fs->spc = s[13];
    fs->reserved = le16(s + 14);
    fs->nfats = s[16];
    fs->root_entries = le16(s + 17);
    fs->total_sectors = le16(s + 19) ? le16(s + 19) : le32(s + 32);
    fs->fat_sectors = le16(s + 22);
    if (s[510] != 0x55 || s[511] != 0xAA)
        return vn_fail(err, VN_EINPUT, w, "not a FAT volume (no 55 AA boot signature)");
    if (fs->ss < 512 || fs->ss > 4096 || (fs->ss & (fs->ss - 1)))
        return vn_fail(err, VN_EINPUT, w, "bytes per sector %u (expected 512-4096, power of 2)",
                       fs->ss);
    if (fs->spc == 0 || (fs->spc & (fs->spc - 1)))
        return vn_fail(err, VN_EINPUT, w, "sectors per cluster %u (expected a power of 2)",
                       fs->spc);
    if (fs->fat_sectors == 0)
        return vn_fail(err, VN_EINPUT, w, "FAT32 or not FAT (expected FAT12/FAT16)");
    if (fs->reserved == 0 || fs->nfats == 0 || fs->root_entries == 0)
        return vn_fail(err, VN_EINPUT, w,
                       "reserved sectors %u, FATs %u, root entries %u (expected all > 0)",
                       fs->reserved, fs->nfats, fs->root_entries);
    fs->csize = fs->ss * fs->spc;
    uint64_t root_secs = ((uint64_t)fs->root_entries * ENT + fs->ss - 1) / fs->ss;
    uint64_t meta = fs->reserved + (uint64_t)fs->nfats * fs->fat_sectors + root_secs;
    if (fs->total_sectors <= meta || fs->total_sectors * fs->ss > fs->dev->size)
        return vn_fail(err, VN_EINPUT, w,
                       "%llu sectors do not fit (metadata %llu sectors, device %llu bytes)",
                       (unsigned long long)fs->total_sectors, (unsigned long long)meta,
                       (unsigned long long)fs->dev->size);
    uint64_t clusters = (fs->total_sectors - meta) / fs->spc;
    if (clusters >= 65525)
        return vn_fail(err, VN_EINPUT, w, "%llu clusters: FAT32 (expected FAT12/FAT16)",
                       (unsigned long long)clusters);
    if (clusters == 0)
        return vn_fail(err, VN_EINPUT, w, "no data clusters");
    fs->clusters = (uint32_t)clusters;
    fs->bits = clusters < 4085 ? 12 : 16;
    fs->fat_bytes = (size_t)fs->fat_sectors * fs->ss;
    size_t need = fs->bits == 16 ? 2 * (clusters + 2) : (clusters + 2) * 3 / 2 + 1;
    if (fs->fat_bytes < need)
        return vn_fail(err, VN_EINPUT, w, "FAT of %zu bytes too small for %u clusters",
                       fs->fat_bytes, fs->clusters);
    fs->root_off = ((uint64_t)fs->reserved + (uint64_t)fs->nfats * fs->fat_sectors) * fs->ss;
    fs->data_off = meta * fs->ss;
    return VN_OK;
}

static void trim_copy(char *out, const uint8_t *p, size_t n)
{
    memcpy(out, p, n);
    out[n] = '\0';
    for (size_t k = n; k > 0 && out[k - 1] == ' '; k--)
        out[k - 1] = '\0';
}

/* formats.md 2.4: magic + UUID in the second logical sector. */
static void read_vmware(vn_fat *fs)
{
    uint8_t m[32];
    vn_error e;
    if (fs->reserved < 2 || vn_blk_read(fs->dev, fs->ss, m, sizeof(m), &e) != VN_OK ||
        memcmp(m, VMWARE_FAT_MAGIC, 16) != 0)
        return;
    const uint8_t *u = m + 16;
    fs->info.vmware = 1;
    memcpy(fs->info.uuid, u, 16);
    snprintf(fs->info.uuid_str, sizeof(fs->info.uuid_str),
             "%08x-%08x-%04x-%02x%02x%02x%02x%02x%02x", le32(u), le32(u + 4), le16(u + 8), u[10],
             u[11], u[12], u[13], u[14], u[15]);
}

int vn_fat_open(vn_blk *dev, vn_fat **out, vn_error *err)
{
    *out = NULL;
    uint8_t s[512];
    if (dev->size < sizeof(s))
        return vn_fail(err, VN_EINPUT, dev->name,
                       "%llu bytes is too small for a FAT volume (expected a 512-byte boot sector)",
                       (unsigned long long)dev->size);
    int rc = vn_blk_read(dev, 0, s, sizeof(s), err);
    if (rc != VN_OK)
        return rc;
    vn_fat *fs = vn_xcalloc(1, sizeof(*fs));
    fs->dev = dev;
    rc = parse_bpb(fs, s, err);
    if (rc == VN_OK) {
        fs->fat = vn_xmalloc(fs->fat_bytes);
        rc = vn_blk_read(dev, (uint64_t)fs->reserved * fs->ss, fs->fat, fs->fat_bytes, err);
    }
    if (rc != VN_OK) {
        vn_fat_close(fs);
        return rc;
    }
    fs->dirty_lo = SIZE_MAX;
    vn_fat_info *i = &fs->info;
    i->bits = fs->bits;
    i->sector_size = fs->ss;
    i->cluster_size = fs->csize;
    i->clusters = fs->clusters;
    i->free_clusters = count_free(fs);
    /* The extended BPB (signature 0x29) carries serial and label. */
    if (s[38] == 0x29) {
        i->serial = le32(s + 39);
        trim_copy(i->label, s + 43, 11);
    }
    read_vmware(fs);
    *out = fs;
    return VN_OK;
}

void vn_fat_close(vn_fat *fs)
{
    if (!fs)
        return;
    free(fs->fat);
    free(fs);
}

void vn_fat_info_get(const vn_fat *fs, vn_fat_info *out)
{
    *out = fs->info;
}

/* ---- directories ---- */

static void dir_free(fdir *d)
{
    free(d->data);
    free(d->cl);
    memset(d, 0, sizeof(*d));
}

static int dir_load(vn_fat *fs, uint32_t first, fdir *d, vn_error *err)
{
    memset(d, 0, sizeof(*d));
    d->first = first;
    if (first == 0) {
        d->n = fs->root_entries;
        d->data = vn_xmalloc(d->n * ENT);
        return vn_blk_read(fs->dev, fs->root_off, d->data, d->n * ENT, err);
    }
    int rc = chain(fs, first, &d->cl, &d->ncl, err);
    if (rc != VN_OK)
        return rc;
    d->n = d->ncl * fs->csize / ENT;
    d->data = vn_xmalloc(d->ncl * fs->csize);
    for (size_t i = 0; i < d->ncl && rc == VN_OK; i++)
        rc = vn_blk_read(fs->dev, cluster_off(fs, d->cl[i]), d->data + i * fs->csize, fs->csize,
                         err);
    return rc;
}

static uint64_t dir_off(const vn_fat *fs, const fdir *d, size_t i)
{
    if (d->first == 0)
        return fs->root_off + i * ENT;
    size_t per = fs->csize / ENT;
    return cluster_off(fs, d->cl[i / per]) + (i % per) * ENT;
}

static int dir_write(vn_fat *fs, const fdir *d, size_t from, size_t count, vn_error *err)
{
    int rc = VN_OK;
    for (size_t i = from; i < from + count && rc == VN_OK; i++)
        rc = vn_blk_write(fs->dev, dir_off(fs, d, i), d->data + i * ENT, ENT, err);
    return rc;
}

static uint8_t lfn_checksum(const uint8_t *short11)
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + short11[i]);
    return sum;
}

static void short_display(const uint8_t *e, char out[13])
{
    char base[9], ext[4];
    trim_copy(base, e, 8);
    trim_copy(ext, e + 8, 3);
    if ((uint8_t)base[0] == 0x05)
        base[0] = (char)0xE5;
    /* Windows NT case flags: an all-lower 8.3 name without LFN. */
    for (char *p = base; *p; p++)
        if (e[12] & 0x08)
            *p = (char)tolower((unsigned char)*p);
    for (char *p = ext; *p; p++)
        if (e[12] & 0x10)
            *p = (char)tolower((unsigned char)*p);
    snprintf(out, 13, "%s%s%s", base, ext[0] ? "." : "", ext);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?'; /* code-page byte: not valid UTF-8 */
}

/* Long-name collection state while scanning a directory. */
typedef struct lfn_state {
    uint16_t u[LFN_MAX_SLOTS * 13];
    int expect; /* next sequence number expected, 0 = none */
    int slots;
    uint8_t cks;
    size_t first;
} lfn_state;

static void lfn_take(lfn_state *l, const uint8_t *e, size_t idx)
{
    static const int at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
    int seq = e[0] & 0x1F;
    if (e[0] & 0x40) {
        if (seq == 0 || seq > LFN_MAX_SLOTS) {
            l->expect = 0;
            return;
        }
        l->slots = seq;
        l->cks = e[13];
        l->first = idx;
        memset(l->u, 0, sizeof(l->u));
    } else if (l->expect == 0 || seq != l->expect - 1 || e[13] != l->cks) {
        l->expect = 0;
        return;
    }
    for (int k = 0; k < 13; k++)
        l->u[(seq - 1) * 13 + k] = le16(e + at[k]);
    l->expect = seq;
}

static void lfn_name(const lfn_state *l, char *out)
{
    size_t o = 0;
    for (int i = 0; i < l->slots * 13 && l->u[i] && l->u[i] != 0xFFFF; i++) {
        uint32_t c = l->u[i];
        o += vn_utf8_put(out + o, c >= 0xD800 && c < 0xE000 ? '?' : c);
    }
    out[o] = '\0';
}

static void fill_dirent(const uint8_t *e, vn_fat_dirent *d)
{
    short_display(e, d->short_name);
    d->attr = e[11];
    d->size = le32(e + 28);
    d->cluster = le16(e + 26);
    d->mtime = le16(e + 22);
    d->mdate = le16(e + 24);
}

/* Every visible name of a directory (not ".", "..", labels, deleted). */
static fent *dir_names(const fdir *d, size_t *count)
{
    fent *v = vn_xcalloc(d->n + 1, sizeof(fent));
    size_t k = 0;
    lfn_state *l = vn_xcalloc(1, sizeof(*l));
    for (size_t i = 0; i < d->n; i++) {
        const uint8_t *e = d->data + i * ENT;
        if (e[0] == 0x00)
            break;
        if (e[0] == 0xE5) {
            l->expect = 0;
            continue;
        }
        if ((e[11] & 0x3F) == ATTR_LFN) {
            lfn_take(l, e, i);
            continue;
        }
        int has_lfn = l->expect == 1 && lfn_checksum(e) == l->cks;
        l->expect = 0;
        if ((e[11] & ATTR_VOLUME) || e[0] == '.')
            continue;
        fent *f = &v[k++];
        fill_dirent(e, &f->d);
        f->idx = i;
        f->lfn_first = has_lfn ? l->first : i;
        if (has_lfn)
            lfn_name(l, f->d.name);
        else
            snprintf(f->d.name, sizeof(f->d.name), "%s", f->d.short_name);
    }
    free(l);
    *count = k;
    return v;
}

static const fent *find_name(const fent *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(v[i].d.name, name) == 0 || strcasecmp(v[i].d.short_name, name) == 0)
            return &v[i];
    return NULL;
}

/* Loads the directory that holds the last component of `path` into *d and
 * returns that component in *leaf (a pointer into `buf`). */
static int walk_parent(vn_fat *fs, const char *path, char *buf, size_t bufsz, fdir *d, char **leaf,
                       vn_error *err)
{
    if (strlen(path) >= bufsz)
        return vn_fail(err, VN_EINPUT, path, "path too long");
    snprintf(buf, bufsz, "%s", path);
    int rc = dir_load(fs, 0, d, err);
    char *save = NULL, *part = strtok_r(buf, "/", &save);
    *leaf = part;
    while (rc == VN_OK && part) {
        char *next = strtok_r(NULL, "/", &save);
        if (!next)
            break;
        size_t n;
        fent *v = dir_names(d, &n);
        const fent *f = find_name(v, n, part);
        if (!f || !(f->d.attr & VN_FAT_ATTR_DIR))
            rc = vn_fail(err, VN_EINPUT, fs->dev->name, "%s: directory \"%s\" not found", path,
                         part);
        uint32_t c = f ? f->d.cluster : 0;
        free(v);
        dir_free(d);
        if (rc == VN_OK)
            rc = dir_load(fs, c, d, err);
        part = next;
        *leaf = part;
    }
    return rc;
}

/* Resolves `path` to its entry; *found is NULL when the leaf is absent. */
static int lookup(vn_fat *fs, const char *path, fdir *d, fent **names, size_t *n,
                  const fent **found, vn_error *err)
{
    char buf[4096];
    char *leaf = NULL;
    *names = NULL;
    *found = NULL;
    int rc = walk_parent(fs, path, buf, sizeof(buf), d, &leaf, err);
    if (rc != VN_OK)
        return rc;
    *names = dir_names(d, n);
    if (leaf)
        *found = find_name(*names, *n, leaf);
    return VN_OK;
}

int vn_fat_list(vn_fat *fs, const char *path, vn_fat_dirent **out, size_t *count, vn_error *err)
{
    *out = NULL;
    *count = 0;
    fdir d;
    fent *v;
    size_t n;
    const fent *f;
    int rc = lookup(fs, path, &d, &v, &n, &f, err);
    int is_root = rc == VN_OK && strspn(path, "/") == strlen(path);
    if (rc == VN_OK && !is_root) {
        if (!f || !(f->d.attr & VN_FAT_ATTR_DIR)) {
            rc = vn_fail(err, VN_EINPUT, fs->dev->name, "%s: no such directory", path);
        } else {
            uint32_t c = f->d.cluster;
            free(v);
            dir_free(&d);
            v = NULL;
            rc = dir_load(fs, c, &d, err);
            if (rc == VN_OK)
                v = dir_names(&d, &n);
        }
    }
    if (rc == VN_OK) {
        *out = vn_xcalloc(n + 1, sizeof(vn_fat_dirent));
        for (size_t i = 0; i < n; i++)
            (*out)[i] = v[i].d;
        *count = n;
    }
    free(v);
    dir_free(&d);
    return rc;
}

int vn_fat_stat(vn_fat *fs, const char *path, vn_fat_dirent *out, vn_error *err)
{
    fdir d;
    fent *v;
    size_t n;
    const fent *f;
    int rc = lookup(fs, path, &d, &v, &n, &f, err);
    if (rc == VN_OK && !f)
        rc = vn_fail(err, VN_EINPUT, fs->dev->name, "%s: not found", path);
    if (rc == VN_OK)
        *out = f->d;
    free(v);
    dir_free(&d);
    return rc;
}

int vn_fat_read(vn_fat *fs, const char *path, vn_buf *out, vn_error *err)
{
    vn_fat_dirent st;
    int rc = vn_fat_stat(fs, path, &st, err);
    if (rc != VN_OK)
        return rc;
    if (st.attr & VN_FAT_ATTR_DIR)
        return vn_fail(err, VN_EINPUT, fs->dev->name, "%s: is a directory", path);
    uint32_t *c;
    size_t n;
    rc = chain(fs, st.cluster, &c, &n, err);
    if (rc != VN_OK)
        return rc;
    if ((uint64_t)n * fs->csize < st.size) {
        free(c);
        return vn_fail(err, VN_EINPUT, fs->dev->name,
                       "%s: %u bytes but only %zu clusters in its chain", path, st.size, n);
    }
    vn_buf_reset(out);
    vn_buf_grow(out, st.size);
    size_t left = st.size;
    for (size_t i = 0; i < n && left && rc == VN_OK; i++) {
        size_t k = left < fs->csize ? left : fs->csize;
        rc = vn_blk_read(fs->dev, cluster_off(fs, c[i]), out->data + out->len, k, err);
        out->len += k;
        left -= k;
    }
    out->data[out->len] = '\0';
    free(c);
    return rc;
}

/* ---- writing ---- */

static void fat_stamp(time_t when, uint16_t *date, uint16_t *tm)
{
    struct tm t;
    localtime_r(&when, &t);
    if (t.tm_year < 80) /* FAT dates start in 1980 */
        t = (struct tm){.tm_year = 80, .tm_mday = 1};
    *date = (uint16_t)((t.tm_year - 80) << 9 | (t.tm_mon + 1) << 5 | t.tm_mday);
    *tm = (uint16_t)(t.tm_hour << 11 | t.tm_min << 5 | t.tm_sec / 2);
}

static void set_times(uint8_t *e, time_t when)
{
    uint16_t date, tm;
    fat_stamp(when, &date, &tm);
    put16(e + 22, tm);
    put16(e + 24, date);
    put16(e + 18, date); /* last access */
}

static int no_space(vn_fat *fs, size_t need, vn_error *err)
{
    return vn_fail(err, VN_ERUNTIME, fs->dev->name,
                   "no space: %zu more clusters of %u bytes needed, %u free", need, fs->csize,
                   fs->info.free_clusters);
}

static int write_data(vn_fat *fs, const uint32_t *c, size_t n, const uint8_t *data, size_t len,
                      vn_error *err)
{
    uint8_t *pad = vn_xcalloc(1, fs->csize);
    int rc = VN_OK;
    for (size_t i = 0; i < n && rc == VN_OK; i++) {
        size_t off = i * fs->csize, k = len - off < fs->csize ? len - off : fs->csize;
        /* The tail of the last cluster is zeroed: no stale bytes leak. */
        memset(pad, 0, fs->csize);
        memcpy(pad, data + off, k);
        rc = vn_blk_write(fs->dev, cluster_off(fs, c[i]), pad, fs->csize, err);
    }
    free(pad);
    return rc;
}

/* Gives the chain `old` (n_old clusters) exactly `need` clusters and writes
 * `data` into them; *first receives the new first cluster. */
static int store(vn_fat *fs, const uint32_t *old, size_t n_old, const void *data, size_t len,
                 uint32_t *first, vn_error *err)
{
    size_t need = (len + fs->csize - 1) / fs->csize;
    if (need > n_old && need - n_old > fs->info.free_clusters)
        return no_space(fs, need - n_old, err);
    uint32_t *c = vn_xcalloc(need + 1, sizeof(uint32_t));
    size_t keep = need < n_old ? need : n_old;
    if (keep)
        memcpy(c, old, keep * sizeof(uint32_t));
    take_free(fs, c + keep, need - keep);
    link_chain(fs, c, need);
    for (size_t i = keep; i < n_old; i++)
        fat_set(fs, old[i], 0);
    /* Data before the FAT: a crash leaves the old chain pointing at its
     * clusters, never a chain into unwritten ones. */
    int rc = write_data(fs, c, need, data, len, err);
    if (rc == VN_OK)
        rc = flush_fat(fs, err);
    *first = need ? c[0] : 0;
    free(c);
    return rc;
}

int vn_fat_replace(vn_fat *fs, const char *path, const void *data, size_t len, time_t when,
                   vn_error *err)
{
    if (len > UINT32_MAX)
        return vn_fail(err, VN_EINPUT, path, "%zu bytes is too large for FAT", len);
    fdir d;
    fent *v;
    size_t n;
    const fent *f;
    int rc = lookup(fs, path, &d, &v, &n, &f, err);
    if (rc == VN_OK && (!f || (f->d.attr & VN_FAT_ATTR_DIR)))
        rc = vn_fail(err, VN_EINPUT, fs->dev->name, "%s: %s", path,
                     f ? "is a directory" : "not found");
    uint32_t *old = NULL, first = 0;
    size_t n_old = 0;
    if (rc == VN_OK)
        rc = chain(fs, f->d.cluster, &old, &n_old, err);
    if (rc == VN_OK)
        rc = store(fs, old, n_old, data, len, &first, err);
    if (rc == VN_OK) {
        uint8_t *e = d.data + f->idx * ENT;
        put16(e + 26, first);
        put16(e + 20, 0);
        put32(e + 28, (uint32_t)len);
        e[11] |= 0x20; /* archive: changed since the last backup */
        set_times(e, when);
        rc = dir_write(fs, &d, f->idx, 1, err);
    }
    free(old);
    free(v);
    dir_free(&d);
    return rc;
}

/* ---- new names ---- */

static int short_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("$%'-_@~`!(){}^#&", c);
}

/* A plain 8.3 name (upper case, valid characters): it needs no LFN. */
static int plain_83(const char *name, uint8_t out[11])
{
    const char *dot = strchr(name, '.');
    size_t nb = dot ? (size_t)(dot - name) : strlen(name), ne = dot ? strlen(dot + 1) : 0;
    if (nb == 0 || nb > 8 || ne > 3 || (dot && (ne == 0 || strchr(dot + 1, '.'))))
        return 0;
    for (const char *p = name; *p; p++)
        if (p != dot && !short_char((unsigned char)*p))
            return 0;
    memset(out, ' ', 11);
    memcpy(out, name, nb);
    memcpy(out + 8, dot ? dot + 1 : "", ne);
    return 1;
}

static int short_taken(const fdir *d, const uint8_t s[11])
{
    for (size_t i = 0; i < d->n; i++) {
        const uint8_t *e = d->data + i * ENT;
        if (e[0] == 0)
            break;
        if (e[0] != 0xE5 && (e[11] & 0x3F) != ATTR_LFN && memcmp(e, s, 11) == 0)
            return 1;
    }
    return 0;
}

static void squeeze(const char *from, size_t n, char *to, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++) {
        unsigned char c = (unsigned char)toupper((unsigned char)from[i]);
        if (c == ' ' || c == '.')
            continue;
        to[k++] = short_char(c) ? (char)c : '_';
    }
    to[k] = '\0';
}

/* Windows-style basis name with a numeric tail, unique in `d`. */
static int make_short(const fdir *d, const char *name, uint8_t out[11])
{
    const char *dot = strrchr(name, '.');
    if (dot == name)
        dot = NULL;
    char base[9], ext[4];
    squeeze(name, dot ? (size_t)(dot - name) : strlen(name), base, 8);
    squeeze(dot ? dot + 1 : "", dot ? strlen(dot + 1) : 0, ext, 3);
    if (!base[0])
        snprintf(base, sizeof(base), "FILE");
    for (unsigned n = 1; n < 1000000; n++) {
        char tail[9];
        int tl = snprintf(tail, sizeof(tail), "~%u", n);
        size_t keep = strlen(base) < (size_t)(8 - tl) ? strlen(base) : (size_t)(8 - tl);
        memset(out, ' ', 11);
        memcpy(out, base, keep);
        memcpy(out + keep, tail, (size_t)tl);
        memcpy(out + 8, ext, strlen(ext));
        if (!short_taken(d, out))
            return 0;
    }
    return -1;
}

/* UTF-8 -> UCS-2 (BMP); -1 on invalid UTF-8 or a character beyond it. */
static int to_ucs2(const char *s, uint16_t *u, size_t max, size_t *n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k = 0;
    while (*p) {
        uint32_t c;
        if (vn_utf8_next_bmp(&p, &c) != 0)
            return -1;
        if (k == max || (c >= 0xD800 && c < 0xE000))
            return -1;
        u[k++] = (uint16_t)c;
    }
    *n = k;
    return 0;
}

static int check_name(const char *name, vn_error *err)
{
    size_t n = strlen(name);
    if (n == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return vn_fail(err, VN_EINPUT, name, "empty or reserved file name");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || strchr("\"*/:<>?\\|", *p))
            return vn_fail(err, VN_EINPUT, name, "character 0x%02x not allowed in a FAT name", *p);
    if (name[n - 1] == ' ' || name[n - 1] == '.')
        return vn_fail(err, VN_EINPUT, name, "a FAT name cannot end with a space or a dot");
    uint16_t u[260];
    size_t nu;
    /* Checked before anything is written, so a bad name leaks nothing. */
    if (to_ucs2(name, u, 255, &nu) != 0)
        return vn_fail(err, VN_EINPUT, name,
                       "name is not valid UTF-8 of at most 255 UTF-16 units (BMP only)");
    return VN_OK;
}

static void lfn_entry(uint8_t *e, int seq, int last, uint8_t cks, const uint16_t *u, size_t n)
{
    static const int at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
    memset(e, 0, ENT);
    e[0] = (uint8_t)(seq | (last ? 0x40 : 0));
    e[11] = ATTR_LFN;
    e[13] = cks;
    for (int k = 0; k < 13; k++) {
        size_t i = (size_t)(seq - 1) * 13 + (size_t)k;
        put16(e + at[k], i < n ? u[i] : i == n ? 0x0000 : 0xFFFF);
    }
}

/* Index of a run of `slots` free entries, or of the free run at the end
 * (which the caller extends) with *extend = entries missing. */
static size_t free_run(const fdir *d, size_t slots, size_t *extend)
{
    size_t run = 0;
    for (size_t i = 0; i < d->n; i++) {
        uint8_t b = d->data[i * ENT];
        if (b == 0x00) { /* end marker: everything after is free */
            run += d->n - i;
            break;
        }
        run = b == 0xE5 ? run + 1 : 0;
        if (run == slots) {
            *extend = 0;
            return i + 1 - slots;
        }
    }
    *extend = run >= slots ? 0 : slots - run;
    return d->n - run;
}

/* Appends `k` zeroed clusters to a subdirectory. */
static int grow_dir(vn_fat *fs, fdir *d, size_t k, vn_error *err)
{
    uint32_t *c = vn_xcalloc(d->ncl + k, sizeof(uint32_t));
    memcpy(c, d->cl, d->ncl * sizeof(uint32_t));
    take_free(fs, c + d->ncl, k);
    link_chain(fs, c, d->ncl + k);
    uint8_t *zero = vn_xcalloc(1, fs->csize);
    int rc = VN_OK;
    for (size_t i = d->ncl; i < d->ncl + k && rc == VN_OK; i++)
        rc = vn_blk_write(fs->dev, cluster_off(fs, c[i]), zero, fs->csize, err);
    free(zero);
    free(d->cl);
    d->cl = c;
    d->ncl += k;
    d->data = vn_xrealloc(d->data, d->ncl * fs->csize);
    memset(d->data + d->n * ENT, 0, d->ncl * fs->csize - d->n * ENT);
    d->n = d->ncl * fs->csize / ENT;
    return rc;
}

static int add_entries(vn_fat *fs, fdir *d, const char *leaf, size_t len, uint32_t first,
                       time_t when, size_t *at, vn_error *err)
{
    uint8_t s[11];
    uint16_t u[260];
    size_t nu = 0;
    int lfn = !plain_83(leaf, s);
    if (lfn)
        to_ucs2(leaf, u, 255, &nu); /* validated by check_name */
    if (lfn && make_short(d, leaf, s) != 0)
        return vn_fail(err, VN_ERUNTIME, leaf, "no free short name");
    size_t nl = lfn ? (nu + 12) / 13 : 0, i = *at;
    uint8_t cks = lfn_checksum(s);
    for (size_t k = 0; k < nl; k++)
        lfn_entry(d->data + (i + k) * ENT, (int)(nl - k), k == 0, cks, u, nu);
    uint8_t *e = d->data + (i + nl) * ENT;
    memset(e, 0, ENT);
    memcpy(e, s, 11);
    e[11] = 0x20;
    put16(e + 26, first);
    put32(e + 28, (uint32_t)len);
    set_times(e, when);
    memcpy(e + 14, e + 22, 4); /* creation time and date */
    return dir_write(fs, d, i, nl + 1, err);
}

int vn_fat_create(vn_fat *fs, const char *path, const void *data, size_t len, time_t when,
                  vn_error *err)
{
    if (len > UINT32_MAX)
        return vn_fail(err, VN_EINPUT, path, "%zu bytes is too large for FAT", len);
    char buf[4096];
    char *leaf = NULL;
    fdir d;
    int rc = walk_parent(fs, path, buf, sizeof(buf), &d, &leaf, err);
    if (rc == VN_OK && !leaf)
        rc = vn_fail(err, VN_EINPUT, path, "no file name");
    if (rc == VN_OK)
        rc = check_name(leaf, err);
    size_t n = 0;
    fent *v = rc == VN_OK ? dir_names(&d, &n) : NULL;
    if (rc == VN_OK && find_name(v, n, leaf))
        rc = vn_fail(err, VN_EINPUT, fs->dev->name, "%s: already exists", path);
    uint8_t s[11];
    size_t nu = strlen(leaf ? leaf : ""), slots = plain_83(leaf ? leaf : "", s) ? 1 : nu / 13 + 2;
    size_t extend = 0, at = rc == VN_OK ? free_run(&d, slots, &extend) : 0;
    size_t dir_cl = (extend * ENT + fs->csize - 1) / fs->csize;
    size_t data_cl = (len + fs->csize - 1) / fs->csize;
    if (rc == VN_OK && extend && d.first == 0)
        rc = vn_fail(err, VN_ERUNTIME, fs->dev->name, "no space: root directory full (%u entries)",
                     fs->root_entries);
    if (rc == VN_OK && dir_cl + data_cl > fs->info.free_clusters)
        rc = no_space(fs, dir_cl + data_cl, err);
    if (rc == VN_OK && dir_cl)
        rc = grow_dir(fs, &d, dir_cl, err);
    uint32_t first = 0;
    if (rc == VN_OK)
        rc = store(fs, NULL, 0, data, len, &first, err);
    if (rc == VN_OK)
        rc = add_entries(fs, &d, leaf, len, first, when, &at, err);
    free(v);
    dir_free(&d);
    return rc;
}
