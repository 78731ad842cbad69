#include "vn_gpt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vn_buf.h"
#include "vn_utf8.h"

/* Entry arrays larger than this are not from any real partitioner (sgdisk
 * and ESXi write 128 x 128 bytes); the cap keeps a hostile header from
 * making us allocate gigabytes. */
#define MAX_ARRAY_BYTES (4u << 20)
#define HDR_MIN         92u

typedef struct gpt_hdr {
    int valid;
    uint64_t my_lba, alt_lba, first_usable, last_usable, entries_lba;
    uint32_t n_entries, entry_size, entries_crc;
    uint8_t disk_guid[16];
    uint8_t raw[512]; /* first 512 bytes of the header sector, as read */
    uint32_t hdr_size;
    uint8_t *entries; /* n_entries * entry_size, NULL when unreadable */
} gpt_hdr;

struct vn_gpt {
    int kind;
    uint32_t ss; /* logical sector size */
    uint64_t disk_lbas;
    gpt_hdr pri, bak;
    const gpt_hdr *use; /* the copy the partitions come from */
    vn_gpt_part *parts;
    size_t count;
    char **problems;
    size_t nproblems;
};

/* ---- little-endian helpers ---- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t crc(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(0L, p, (uInt)n);
}

static void problem(vn_gpt *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(vn_gpt *g, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    g->problems = vn_xrealloc(g->problems, (g->nproblems + 1) * sizeof(char *));
    g->problems[g->nproblems++] = vn_xstrdup(msg);
}

/* ---- GUIDs and names ---- */

void vn_gpt_guid_str(const uint8_t g[16], char out[37])
{
    snprintf(out, 37, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", le32(g),
             (unsigned)(g[4] | g[5] << 8), (unsigned)(g[6] | g[7] << 8), g[8], g[9], g[10], g[11],
             g[12], g[13], g[14], g[15]);
}

int vn_gpt_guid_parse(const char *s, uint8_t g[16])
{
    /* Text order of the 16 bytes: the first three fields are stored
     * little-endian, the last two big-endian. */
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    if (strlen(s) != 36)
        return -1;
    int k = 0;
    for (int i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-')
                return -1;
            continue;
        }
        int hi = vn_hexval((unsigned char)s[i]), lo = vn_hexval((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        g[order[k++]] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return 0;
}

const char *vn_gpt_type_name(const char *type_str)
{
    static const struct {
        const char *guid, *name;
    } known[] = {
        {VN_GPT_TYPE_ESP, "EFI system"},        {VN_GPT_TYPE_BASIC_DATA, "basic data"},
        {VN_GPT_TYPE_VMKDIAG, "vmkDiagnostic"}, {VN_GPT_TYPE_VMFS, "VMFS"},
        {VN_GPT_TYPE_VMFSL, "VMFS-L"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcasecmp(type_str, known[i].guid) == 0)
            return known[i].name;
    return NULL;
}

/* 36 UTF-16LE code units -> UTF-8; a lone surrogate becomes U+FFFD. */
static void name_from_utf16(const uint8_t *p, char out[112])
{
    size_t o = 0;
    for (int i = 0; i < 36; i++) {
        uint32_t c = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8);
        if (c == 0)
            break;
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < 36) {
            uint32_t d = (uint32_t)(p[2 * i + 2] | p[2 * i + 3] << 8);
            if (d >= 0xDC00 && d < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
                i++;
            } else {
                c = 0xFFFD;
            }
        } else if (c >= 0xD800 && c < 0xE000) {
            c = 0xFFFD;
        }
        o += vn_utf8_put(out + o, c);
    }
    out[o] = '\0';
}

/* UTF-8 -> 36 UTF-16LE units (BMP only); -1 when it does not fit or is
 * not valid UTF-8. */
static int name_to_utf16(const char *s, uint8_t out[72])
{
    memset(out, 0, 72);
    const unsigned char *u = (const unsigned char *)s;
    int n = 0;
    while (*u) {
        uint32_t c;
        if (vn_utf8_next_bmp(&u, &c) != 0)
            return -1;
        if (n == 36)
            return -1;
        out[2 * n] = (uint8_t)c;
        out[2 * n + 1] = (uint8_t)(c >> 8);
        n++;
    }
    return 0;
}

/* ---- reading ---- */

static int is_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Checks one header sector read at `lba`; a reason is recorded for the
 * first thing wrong. */
static int parse_header(vn_gpt *g, gpt_hdr *h, uint64_t lba, const char *which)
{
    const uint8_t *r = h->raw;
    if (memcmp(r, "EFI PART", 8) != 0) {
        problem(g, "%s header (LBA %llu): bad signature (expected \"EFI PART\")", which,
                (unsigned long long)lba);
        return 0;
    }
    h->hdr_size = le32(r + 12);
    if (h->hdr_size < HDR_MIN || h->hdr_size > 512) {
        problem(g, "%s header: header size %u out of range (expected 92-512)", which, h->hdr_size);
        return 0;
    }
    uint8_t tmp[512];
    memcpy(tmp, r, h->hdr_size);
    memset(tmp + 16, 0, 4);
    uint32_t want = le32(r + 16), got = crc(tmp, h->hdr_size);
    if (want != got) {
        problem(g, "%s header: CRC mismatch (stored 0x%08x, computed 0x%08x)", which, want, got);
        return 0;
    }
    h->my_lba = le64(r + 24);
    h->alt_lba = le64(r + 32);
    h->first_usable = le64(r + 40);
    h->last_usable = le64(r + 48);
    memcpy(h->disk_guid, r + 56, 16);
    h->entries_lba = le64(r + 72);
    h->n_entries = le32(r + 80);
    h->entry_size = le32(r + 84);
    h->entries_crc = le32(r + 88);
    if (h->my_lba != lba) {
        problem(g, "%s header: says it is at LBA %llu but was read at LBA %llu", which,
                (unsigned long long)h->my_lba, (unsigned long long)lba);
        return 0;
    }
    if (h->entry_size < 128 || h->entry_size % 128 || h->n_entries == 0 ||
        (uint64_t)h->n_entries * h->entry_size > MAX_ARRAY_BYTES) {
        problem(g,
                "%s header: entry array of %u x %u bytes (expected entries of 128*2^n bytes, "
                "at most %u bytes in all)",
                which, h->n_entries, h->entry_size, MAX_ARRAY_BYTES);
        return 0;
    }
    if (h->first_usable > h->last_usable || h->last_usable >= g->disk_lbas) {
        problem(g, "%s header: usable LBAs %llu-%llu do not fit a disk of %llu sectors", which,
                (unsigned long long)h->first_usable, (unsigned long long)h->last_usable,
                (unsigned long long)g->disk_lbas);
        return 0;
    }
    return 1;
}

static uint64_t array_sectors(const vn_gpt *g, const gpt_hdr *h)
{
    uint64_t bytes = (uint64_t)h->n_entries * h->entry_size;
    return (bytes + g->ss - 1) / g->ss;
}

static int read_entries(vn_gpt *g, vn_blk *b, gpt_hdr *h, const char *which)
{
    uint64_t n = array_sectors(g, h);
    if (h->entries_lba < 2 || h->entries_lba >= g->disk_lbas || n > g->disk_lbas - h->entries_lba) {
        problem(g, "%s entry array at LBA %llu (%llu sectors) is outside the disk", which,
                (unsigned long long)h->entries_lba, (unsigned long long)n);
        return 0;
    }
    size_t bytes = (size_t)h->n_entries * h->entry_size;
    h->entries = vn_xmalloc(bytes);
    vn_error e;
    if (vn_blk_read(b, h->entries_lba * g->ss, h->entries, bytes, &e) != VN_OK) {
        problem(g, "%s entry array: unreadable (%s)", which, e.msg);
        return 0;
    }
    uint32_t got = crc(h->entries, bytes);
    if (got != h->entries_crc) {
        problem(g, "%s entry array: CRC mismatch (stored 0x%08x, computed 0x%08x)", which,
                h->entries_crc, got);
        return 0;
    }
    return 1;
}

static int load_header(vn_gpt *g, vn_blk *b, gpt_hdr *h, uint64_t lba, const char *which)
{
    vn_error e;
    if (lba >= g->disk_lbas || vn_blk_read(b, lba * g->ss, h->raw, 512, &e) != VN_OK) {
        problem(g, "%s header: LBA %llu is beyond the end of the disk", which,
                (unsigned long long)lba);
        return 0;
    }
    h->valid = parse_header(g, h, lba, which) && read_entries(g, b, h, which);
    return h->valid;
}

/* Both copies valid: they must describe the same table. */
static void compare_copies(vn_gpt *g)
{
    const gpt_hdr *p = &g->pri, *k = &g->bak;
    if (p->first_usable != k->first_usable || p->last_usable != k->last_usable ||
        memcmp(p->disk_guid, k->disk_guid, 16) != 0 || p->n_entries != k->n_entries ||
        p->entry_size != k->entry_size)
        problem(g, "primary and backup headers disagree (usable LBAs, disk GUID or entry array "
                   "geometry differ)");
    else if (memcmp(p->entries, k->entries, (size_t)p->n_entries * p->entry_size) != 0)
        problem(g, "primary and backup entry arrays differ");
    if (k->alt_lba != p->my_lba)
        problem(g, "backup header points to LBA %llu as the primary (expected %llu)",
                (unsigned long long)k->alt_lba, (unsigned long long)p->my_lba);
}

/* Where each header's array lies must not collide with partitions. */
static void check_layout(vn_gpt *g)
{
    const gpt_hdr *h = g->use;
    if (g->pri.valid && g->pri.alt_lba != g->disk_lbas - 1)
        problem(g, "backup header is at LBA %llu, not at the last LBA %llu (disk resized?)",
                (unsigned long long)g->pri.alt_lba, (unsigned long long)(g->disk_lbas - 1));
    if (g->pri.valid && g->pri.entries_lba + array_sectors(g, h) > h->first_usable)
        problem(g, "primary entry array overlaps the usable LBAs");
    if (g->bak.valid && g->bak.entries_lba <= h->last_usable)
        problem(g, "backup entry array overlaps the usable LBAs");
}

static int cmp_first(const void *a, const void *b)
{
    const vn_gpt_part *x = *(const vn_gpt_part *const *)a, *y = *(const vn_gpt_part *const *)b;
    return x->first_lba < y->first_lba ? -1 : x->first_lba > y->first_lba;
}

static void check_parts(vn_gpt *g)
{
    const gpt_hdr *h = g->use;
    for (size_t i = 0; i < g->count; i++) {
        const vn_gpt_part *p = &g->parts[i];
        if (p->first_lba > p->last_lba)
            problem(g, "partition %u: first LBA %llu after last LBA %llu", p->number,
                    (unsigned long long)p->first_lba, (unsigned long long)p->last_lba);
        else if (p->first_lba < h->first_usable || p->last_lba > h->last_usable)
            problem(g, "partition %u: LBAs %llu-%llu outside the usable LBAs %llu-%llu", p->number,
                    (unsigned long long)p->first_lba, (unsigned long long)p->last_lba,
                    (unsigned long long)h->first_usable, (unsigned long long)h->last_usable);
    }
    /* Sorted by start, only neighbours can overlap first: O(n log n). */
    const vn_gpt_part **s = vn_xcalloc(g->count + 1, sizeof(*s));
    for (size_t i = 0; i < g->count; i++)
        s[i] = &g->parts[i];
    qsort(s, g->count, sizeof(*s), cmp_first);
    uint64_t end = 0;
    const vn_gpt_part *last = NULL;
    for (size_t i = 0; i < g->count; i++) {
        if (last && s[i]->first_lba <= end)
            problem(g, "partitions %u and %u overlap", last->number, s[i]->number);
        if (!last || s[i]->last_lba > end) {
            end = s[i]->last_lba;
            last = s[i];
        }
    }
    free(s);
}

static void decode_entry(const uint8_t *e, unsigned number, vn_gpt_part *p)
{
    memset(p, 0, sizeof(*p));
    p->number = number;
    memcpy(p->type, e, 16);
    memcpy(p->guid, e + 16, 16);
    vn_gpt_guid_str(p->type, p->type_str);
    p->type_name = vn_gpt_type_name(p->type_str);
    p->first_lba = le64(e + 32);
    p->last_lba = le64(e + 40);
    p->attrs = le64(e + 48);
    name_from_utf16(e + 56, p->name);
}

static void load_parts(vn_gpt *g)
{
    const gpt_hdr *h = g->use;
    free(g->parts);
    g->parts = vn_xcalloc(h->n_entries, sizeof(vn_gpt_part));
    g->count = 0;
    for (uint32_t i = 0; i < h->n_entries; i++) {
        const uint8_t *e = h->entries + (size_t)i * h->entry_size;
        if (!is_zero(e, 16))
            decode_entry(e, i + 1, &g->parts[g->count++]);
    }
}

static int has_protective(const uint8_t *mbr)
{
    for (int i = 0; i < 4; i++)
        if (mbr[446 + 16 * i + 4] == 0xEE)
            return 1;
    return 0;
}

static void load_mbr(vn_gpt *g, const uint8_t *mbr)
{
    g->kind = VN_PT_MBR;
    g->parts = vn_xcalloc(4, sizeof(vn_gpt_part));
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *e = mbr + 446 + 16 * i;
        uint32_t start = le32(e + 8), len = le32(e + 12);
        if (e[4] == 0 || len == 0)
            continue;
        vn_gpt_part *p = &g->parts[g->count++];
        p->number = i + 1;
        snprintf(p->type_str, sizeof(p->type_str), "0x%02X", e[4]);
        p->first_lba = start;
        p->last_lba = (uint64_t)start + len - 1;
        p->attrs = e[0]; /* 0x80 = active (boot) flag */
        if (p->last_lba >= g->disk_lbas)
            problem(g, "MBR partition %u: LBAs %llu-%llu beyond the end of the disk", p->number,
                    (unsigned long long)p->first_lba, (unsigned long long)p->last_lba);
    }
}

/* The GPT header may sit at 512 (512e) or 4096 (4Kn); try both. */
static int probe_gpt(vn_gpt *g, vn_blk *b)
{
    static const uint32_t sizes[] = {512, 4096};
    for (int i = 0; i < 2; i++) {
        uint8_t sig[8];
        vn_error e;
        if (b->size < 2ull * sizes[i] || vn_blk_read(b, sizes[i], sig, sizeof(sig), &e) != VN_OK)
            continue;
        if (memcmp(sig, "EFI PART", 8) == 0) {
            g->ss = sizes[i];
            return 1;
        }
    }
    g->ss = 512;
    return 0;
}

static int read_gpt(vn_gpt *g, vn_blk *b, vn_error *err)
{
    g->kind = VN_PT_GPT;
    g->disk_lbas = b->size / g->ss;
    if (load_header(g, b, &g->pri, 1, "primary")) {
        if (!load_header(g, b, &g->bak, g->pri.alt_lba, "backup"))
            problem(g, "backup GPT unusable; the primary copy is used");
    } else if (load_header(g, b, &g->bak, g->disk_lbas - 1, "backup")) {
        problem(g, "primary GPT unusable; the backup copy is used");
    }
    g->use = g->pri.valid ? &g->pri : g->bak.valid ? &g->bak : NULL;
    if (!g->use)
        return vn_fail(err, VN_EINPUT, b->name, "no valid GPT header: %s%s%s", g->problems[0],
                       g->nproblems > 1 ? "; " : "", g->nproblems > 1 ? g->problems[1] : "");
    if (g->pri.valid && g->bak.valid)
        compare_copies(g);
    load_parts(g);
    check_layout(g);
    check_parts(g);
    return VN_OK;
}

int vn_gpt_read(vn_blk *b, vn_gpt **out, vn_error *err)
{
    *out = NULL;
    if (b->size < 512)
        return vn_fail(err, VN_EINPUT, b->name,
                       "%llu bytes is too small for a partition table (expected at least one "
                       "512-byte sector)",
                       (unsigned long long)b->size);
    uint8_t mbr[512];
    int rc = vn_blk_read(b, 0, mbr, sizeof(mbr), err);
    if (rc != VN_OK)
        return rc;
    vn_gpt *g = vn_xcalloc(1, sizeof(*g));
    int gpt = probe_gpt(g, b);
    if (mbr[510] != 0x55 || mbr[511] != 0xAA) {
        if (!gpt) {
            vn_gpt_free(g);
            return vn_fail(err, VN_EINPUT, b->name,
                           "no partition table (no MBR signature 55 AA in sector 0, no GPT "
                           "header)");
        }
        problem(g, "protective MBR missing (no 55 AA signature in sector 0)");
    } else if (!has_protective(mbr) && !gpt) {
        g->disk_lbas = b->size / 512;
        load_mbr(g, mbr);
        *out = g;
        return VN_OK;
    } else if (!has_protective(mbr)) {
        problem(g, "MBR has no protective 0xEE partition (hybrid or legacy MBR beside a GPT)");
    }
    rc = read_gpt(g, b, err);
    if (rc != VN_OK) {
        vn_gpt_free(g);
        return rc;
    }
    *out = g;
    return VN_OK;
}

void vn_gpt_free(vn_gpt *g)
{
    if (!g)
        return;
    free(g->pri.entries);
    free(g->bak.entries);
    free(g->parts);
    for (size_t i = 0; i < g->nproblems; i++)
        free(g->problems[i]);
    free(g->problems);
    free(g);
}

/* ---- accessors ---- */

int vn_gpt_kind(const vn_gpt *g)
{
    return g->kind;
}

uint32_t vn_gpt_sector_size(const vn_gpt *g)
{
    return g->ss;
}

uint64_t vn_gpt_first_usable(const vn_gpt *g)
{
    return g->use ? g->use->first_usable : 0;
}

uint64_t vn_gpt_last_usable(const vn_gpt *g)
{
    return g->use ? g->use->last_usable : 0;
}

void vn_gpt_disk_guid(const vn_gpt *g, char out[37])
{
    static const uint8_t zero[16];
    vn_gpt_guid_str(g->use ? g->use->disk_guid : zero, out);
}

size_t vn_gpt_count(const vn_gpt *g)
{
    return g->count;
}

const vn_gpt_part *vn_gpt_part_at(const vn_gpt *g, size_t i)
{
    return i < g->count ? &g->parts[i] : NULL;
}

const vn_gpt_part *vn_gpt_find(const vn_gpt *g, unsigned number)
{
    for (size_t i = 0; i < g->count; i++)
        if (g->parts[i].number == number)
            return &g->parts[i];
    return NULL;
}

size_t vn_gpt_problem_count(const vn_gpt *g)
{
    return g->nproblems;
}

const char *vn_gpt_problem(const vn_gpt *g, size_t i)
{
    return i < g->nproblems ? g->problems[i] : NULL;
}

/* ---- editing ---- */

static int check_new_entry(const vn_gpt *g, unsigned number, const vn_gpt_part *p, vn_error *err)
{
    const gpt_hdr *h = g->use;
    if (p->first_lba > p->last_lba || p->first_lba < h->first_usable ||
        p->last_lba > h->last_usable)
        return vn_fail(err, VN_EINPUT, NULL,
                       "partition %u: LBAs %llu-%llu outside the usable LBAs %llu-%llu", number,
                       (unsigned long long)p->first_lba, (unsigned long long)p->last_lba,
                       (unsigned long long)h->first_usable, (unsigned long long)h->last_usable);
    if (is_zero(p->type, 16))
        return vn_fail(err, VN_EINPUT, NULL,
                       "partition %u: zero type GUID (use NULL to delete the entry)", number);
    for (size_t i = 0; i < g->count; i++) {
        const vn_gpt_part *o = &g->parts[i];
        if (o->number != number && o->first_lba <= p->last_lba && p->first_lba <= o->last_lba)
            return vn_fail(err, VN_EINPUT, NULL, "partition %u would overlap partition %u", number,
                           o->number);
    }
    return VN_OK;
}

static void encode_entry(uint8_t *e, size_t size, const vn_gpt_part *p, const uint8_t name[72])
{
    memset(e, 0, size);
    if (!p)
        return;
    memcpy(e, p->type, 16);
    memcpy(e + 16, p->guid, 16);
    put64(e + 32, p->first_lba);
    put64(e + 40, p->last_lba);
    put64(e + 48, p->attrs);
    memcpy(e + 56, name, 72);
}

/* One header sector for `my` with the other copy at `alt`. */
static void build_header(const vn_gpt *g, const gpt_hdr *src, uint8_t *sec, uint64_t my,
                         uint64_t alt, uint64_t entries_lba, uint32_t entries_crc)
{
    memset(sec, 0, g->ss);
    memcpy(sec, src->raw, src->hdr_size);
    put64(sec + 24, my);
    put64(sec + 32, alt);
    put64(sec + 72, entries_lba);
    put32(sec + 88, entries_crc);
    memset(sec + 16, 0, 4);
    put32(sec + 16, crc(sec, src->hdr_size));
}

static int write_copy(const vn_gpt *g, vn_blk *b, const uint8_t *arr, size_t bytes, uint64_t my,
                      uint64_t alt, uint64_t entries_lba, vn_error *err)
{
    uint8_t *sec = vn_xmalloc(g->ss);
    build_header(g, g->use, sec, my, alt, entries_lba, crc(arr, bytes));
    int rc = vn_blk_write(b, entries_lba * g->ss, arr, bytes, err);
    if (rc == VN_OK)
        rc = vn_blk_write(b, my * g->ss, sec, g->ss, err);
    free(sec);
    return rc;
}

int vn_gpt_set_entry(vn_gpt *g, vn_blk *b, unsigned number, const vn_gpt_part *p, vn_error *err)
{
    if (g->kind != VN_PT_GPT)
        return vn_fail(err, VN_EINPUT, b->name, "legacy MBR disk: only GPT entries can be edited");
    if (g->nproblems)
        return vn_fail(err, VN_EINPUT, b->name,
                       "the GPT has %zu problem(s), first: %s (repair it before editing)",
                       g->nproblems, g->problems[0]);
    const gpt_hdr *h = g->use;
    if (number < 1 || number > h->n_entries)
        return vn_fail(err, VN_EINPUT, b->name, "partition %u: no such entry (expected 1-%u)",
                       number, h->n_entries);
    uint8_t name[72] = {0};
    if (p && name_to_utf16(p->name, name) != 0)
        return vn_fail(err, VN_EINPUT, b->name,
                       "partition %u: name \"%s\" is not valid UTF-8 of at most 36 UTF-16 units",
                       number, p->name);
    int rc = p ? check_new_entry(g, number, p, err) : VN_OK;
    if (rc != VN_OK)
        return rc;
    size_t bytes = (size_t)h->n_entries * h->entry_size;
    uint8_t *arr = vn_xmalloc(bytes);
    memcpy(arr, h->entries, bytes);
    encode_entry(arr + (size_t)(number - 1) * h->entry_size, h->entry_size, p, name);
    /* Backup first: until the primary is rewritten, firmware and tools
     * still find the old, self-consistent primary. */
    rc = write_copy(g, b, arr, bytes, g->bak.my_lba, g->pri.my_lba, g->bak.entries_lba, err);
    if (rc == VN_OK)
        rc = write_copy(g, b, arr, bytes, g->pri.my_lba, g->bak.my_lba, g->pri.entries_lba, err);
    if (rc == VN_OK) {
        memcpy(g->pri.entries, arr, bytes);
        memcpy(g->bak.entries, arr, bytes);
        g->pri.entries_crc = g->bak.entries_crc = crc(arr, bytes);
        load_parts(g);
    }
    free(arr);
    return rc;
}
