/* Tests for vn_vmdkio (and vn_vmdk_desc): every format qemu-img writes is
 * opened and compared byte for byte with the raw image it came from; writes
 * are checked with `qemu-img check` and `qemu-img compare` against the same
 * writes applied to a raw copy. */
#define TH_SUITE "vmdkio"
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vn_vmdk.h"
#include "vn_vmdk_desc.h"
#include "vn_vmdkio.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* ---- helpers ---- */

static int have_qemu(void)
{
    return run(NULL, "command -v qemu-img >/dev/null") == 0;
}

#define NEED_QEMU()                                                                                \
    do {                                                                                           \
        if (!have_qemu())                                                                          \
            SKIP("qemu-img not installed (apt-get install qemu-utils)");                           \
    } while (0)

static char *make_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/vnest-vmdkio-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void remove_dir(char *dir)
{
    if (!dir)
        return;
    run(NULL, "rm -rf '%s'", dir);
    free(dir);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)(rng_state >> 33);
}

static void fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rnd();
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    return pwrite(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

/* A raw image of `size` bytes with pseudo-random data in `regions` (pairs of
 * offset, length) and holes elsewhere. */
static int make_raw(const char *path, uint64_t size, const uint64_t *regions, size_t n)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
        return -1;
    rng_state = 12345;
    for (size_t i = 0; i < n; i++) {
        unsigned char *b = malloc(regions[2 * i + 1]);
        fill(b, regions[2 * i + 1]);
        int rc = pwrite_all(fd, b, regions[2 * i + 1], regions[2 * i]);
        free(b);
        if (rc)
            return -1;
    }
    return close(fd);
}

/* Compares [from, to) of the device with the raw file, reading in odd-sized
 * chunks. Returns the first differing offset, or UINT64_MAX. */
static uint64_t compare_range(vn_blk *b, const char *raw, uint64_t from, uint64_t to, char *why,
                              size_t whylen)
{
    int fd = open(raw, O_RDONLY);
    static const size_t chunks[] = {12345, 65536 + 511, 777, 200001, 4096, 1};
    unsigned char *x = malloc(200001), *y = malloc(200001);
    uint64_t off = from, bad = UINT64_MAX;
    size_t k = 0;
    while (off < to && bad == UINT64_MAX) {
        size_t n = chunks[k++ % 6];
        if (n > to - off)
            n = (size_t)(to - off);
        vn_error err;
        vn_error_clear(&err);
        if (vn_blk_read(b, off, x, n, &err) != VN_OK) {
            snprintf(why, whylen, "read at %llu: %.200s: %.500s", (unsigned long long)off,
                     err.where, err.msg);
            bad = off;
            break;
        }
        ssize_t got = pread(fd, y, n, (off_t)off);
        if (got != (ssize_t)n) {
            snprintf(why, whylen, "raw read at %llu failed", (unsigned long long)off);
            bad = off;
            break;
        }
        for (size_t i = 0; i < n; i++)
            if (x[i] != y[i]) {
                bad = off + i;
                snprintf(why, whylen, "byte %llu differs", (unsigned long long)bad);
                break;
            }
        off += n;
    }
    free(x);
    free(y);
    close(fd);
    return bad;
}

static const uint64_t small_regions[] = {
    0,
    1536 * KiB, /* from the start */
    3 * MiB + 1000,
    2 * MiB - 1000, /* not grain aligned */
    32 * MiB - 100 * KiB,
    300 * KiB, /* across the first grain table boundary */
    39 * MiB + 7,
    512 * KiB - 7, /* near the end */
};
#define SMALL_SIZE (40 * MiB)

typedef struct wr {
    uint64_t off;
    size_t len;
} wr;

static const wr writes[] = {
    {10 * MiB + 3, 100000},          /* a hole: new grains */
    {100, 5000},                     /* overwrite existing data */
    {32 * MiB - 40 * KiB, 90 * KiB}, /* across the grain table boundary */
    {3 * MiB, 70 * KiB},             /* half data, half hole */
    {SMALL_SIZE - 1000, 1000},       /* the last bytes */
};

/* Applies `writes` to the device and to the raw file (same data). */
static int apply_writes(vn_blk *b, const char *raw, char *why, size_t whylen)
{
    int fd = open(raw, O_RDWR);
    rng_state = 999;
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        unsigned char *d = malloc(writes[i].len);
        fill(d, writes[i].len);
        vn_error err;
        vn_error_clear(&err);
        int rc = vn_blk_write(b, writes[i].off, d, writes[i].len, &err);
        if (rc != VN_OK)
            snprintf(why, whylen, "write %zu: %.200s: %.500s", i, err.where, err.msg);
        if (rc == VN_OK && pwrite_all(fd, d, writes[i].len, writes[i].off) != 0)
            rc = -1;
        free(d);
        if (rc != VN_OK) {
            close(fd);
            return -1;
        }
    }
    return close(fd);
}

static void round_trip(const char *fn, const char *subformat, int write)
{
    char *dir = make_dir();
    char *raw = join(dir, "src.raw"), *img = join(dir, "disk.vmdk"), *copy = join(dir, "copy.raw");
    char why[1024] = "";
    if (make_raw(raw, SMALL_SIZE, small_regions, 4) != 0) {
        fail_in(fn, __LINE__, "cannot make the raw image");
        goto out;
    }
    char *o = NULL;
    if (run(&o, "qemu-img convert -f raw -O vmdk -o subformat=%s '%s' '%s'", subformat, raw, img) !=
        0) {
        fail_in(fn, __LINE__, "qemu-img convert %s: %s", subformat, o);
        free(o);
        goto out;
    }
    free(o);
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_vmdk_open(img, 0, &b, &err) != VN_OK) {
        fail_in(fn, __LINE__, "%s: open: %s: %s", subformat, err.where, err.msg);
        goto out;
    }
    vn_vmdk_info info;
    vn_vmdk_get_info(b, &info);
    if (strcmp(info.format, subformat) != 0)
        fail_in(fn, __LINE__, "format %s, expected %s", info.format, subformat);
    if (b->size != SMALL_SIZE)
        fail_in(fn, __LINE__, "size %llu", (unsigned long long)b->size);
    else if (compare_range(b, raw, 0, SMALL_SIZE, why, sizeof(why)) != UINT64_MAX)
        fail_in(fn, __LINE__, "%s: %s", subformat, why);
    vn_blk_close(b);

    if (!write) {
        vn_error_clear(&err);
        int rc = vn_vmdk_open(img, 1, &b, &err);
        if (rc != VN_EINPUT || !strstr(err.msg, "read-only (streamOptimized)"))
            fail_in(fn, __LINE__, "writable open of %s: rc %d (%s)", subformat, rc, err.msg);
        if (rc == VN_OK)
            vn_blk_close(b);
        goto out;
    }
    run(NULL, "cp --sparse=always '%s' '%s'", raw, copy);
    vn_error_clear(&err);
    if (vn_vmdk_open(img, 1, &b, &err) != VN_OK) {
        fail_in(fn, __LINE__, "%s: writable open: %s: %s", subformat, err.where, err.msg);
        goto out;
    }
    if (apply_writes(b, copy, why, sizeof(why)) != 0)
        fail_in(fn, __LINE__, "%s: %s", subformat, why);
    vn_blk_close(b);
    if (run(&o, "qemu-img check '%s'", img) != 0)
        fail_in(fn, __LINE__, "%s: qemu-img check: %s", subformat, o);
    free(o);
    if (run(&o, "qemu-img compare -f raw -F vmdk '%s' '%s'", copy, img) != 0)
        fail_in(fn, __LINE__, "%s: qemu-img compare: %s", subformat, o);
    free(o);
    vn_error_clear(&err);
    if (vn_vmdk_open(img, 0, &b, &err) != VN_OK) {
        fail_in(fn, __LINE__, "reopen: %s", err.msg);
        goto out;
    }
    if (compare_range(b, copy, 0, SMALL_SIZE, why, sizeof(why)) != UINT64_MAX)
        fail_in(fn, __LINE__, "%s after writes: %s", subformat, why);
    vn_blk_close(b);
out:
    free(raw);
    free(img);
    free(copy);
    remove_dir(dir);
}

/* ---- qemu cross-checks ---- */

TEST(monolithic_sparse)
{
    NEED_QEMU();
    round_trip(__func__, "monolithicSparse", 1);
}

TEST(monolithic_flat)
{
    NEED_QEMU();
    round_trip(__func__, "monolithicFlat", 1);
}

TEST(two_gb_sparse)
{
    NEED_QEMU();
    round_trip(__func__, "twoGbMaxExtentSparse", 1);
}

TEST(two_gb_flat)
{
    NEED_QEMU();
    round_trip(__func__, "twoGbMaxExtentFlat", 1);
}

TEST(stream_optimized)
{
    NEED_QEMU();
    round_trip(__func__, "streamOptimized", 0);
}

/* Several extents: a disk just over 2 GiB, data and writes across the
 * extent boundary. Only windows are compared (the rest is holes). */
static void multi_extent(const char *fn, const char *subformat)
{
    char *dir = make_dir();
    char *raw = join(dir, "src.raw"), *img = join(dir, "disk.vmdk"), *copy = join(dir, "copy.raw");
    char why[1024] = "";
    const uint64_t size = 2 * GiB + 4 * MiB;
    const uint64_t regions[] = {2 * GiB - 300 * KiB, 700 * KiB, 5 * MiB, 100 * KiB};
    char *o = NULL;
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (make_raw(raw, size, regions, 2) != 0 ||
        run(&o, "qemu-img convert -f raw -O vmdk -o subformat=%s '%s' '%s'", subformat, raw, img) !=
            0) {
        fail_in(fn, __LINE__, "setup: %s", o ? o : "");
        goto out;
    }
    if (vn_vmdk_open(img, 1, &b, &err) != VN_OK) {
        fail_in(fn, __LINE__, "open: %s: %s", err.where, err.msg);
        goto out;
    }
    vn_vmdk_info info;
    vn_vmdk_get_info(b, &info);
    if (info.extents != 2)
        fail_in(fn, __LINE__, "%zu extents, expected 2", info.extents);
    if (b->size != size)
        fail_in(fn, __LINE__, "size %llu", (unsigned long long)b->size);
    if (compare_range(b, raw, 2 * GiB - 1 * MiB, 2 * GiB + 1 * MiB, why, sizeof(why)) !=
            UINT64_MAX ||
        compare_range(b, raw, 0, 6 * MiB, why, sizeof(why)) != UINT64_MAX ||
        compare_range(b, raw, size - 3 * MiB, size, why, sizeof(why)) != UINT64_MAX)
        fail_in(fn, __LINE__, "%s", why);
    /* a write across the extent boundary */
    unsigned char *d = malloc(300 * KiB);
    rng_state = 7;
    fill(d, 300 * KiB);
    if (vn_blk_write(b, 2 * GiB - 100 * KiB - 3, d, 300 * KiB, &err) != VN_OK)
        fail_in(fn, __LINE__, "write: %s", err.msg);
    vn_blk_close(b);
    run(NULL, "cp --sparse=always '%s' '%s'", raw, copy);
    int fd = open(copy, O_RDWR);
    pwrite_all(fd, d, 300 * KiB, 2 * GiB - 100 * KiB - 3);
    close(fd);
    free(d);
    free(o);
    o = NULL;
    if (run(&o, "qemu-img check '%s'", img) != 0)
        fail_in(fn, __LINE__, "qemu-img check: %s", o);
    free(o);
    o = NULL;
    if (run(&o, "qemu-img compare -f raw -F vmdk '%s' '%s'", copy, img) != 0)
        fail_in(fn, __LINE__, "qemu-img compare: %s", o);
out:
    free(o);
    free(raw);
    free(img);
    free(copy);
    remove_dir(dir);
}

TEST(two_gb_sparse_extent_boundary)
{
    NEED_QEMU();
    multi_extent(__func__, "twoGbMaxExtentSparse");
}

TEST(two_gb_flat_extent_boundary)
{
    NEED_QEMU();
    multi_extent(__func__, "twoGbMaxExtentFlat");
}

/* A 64 GiB disk: writing 1 MiB touches about 1 MiB of the file. */
TEST(big_sparse_writes_stay_small)
{
    NEED_QEMU();
    char *dir = make_dir();
    char *img = join(dir, "big.vmdk");
    vn_error err;
    vn_error_clear(&err);
    vn_blk *b = NULL;
    char *o = NULL;
    struct stat before, after;
    if (vn_vmdk_create_sparse(img, 64 * GiB, "lsilogic", &err) != VN_OK || stat(img, &before)) {
        FAILF("create: %s", err.msg);
        goto out;
    }
    if (vn_vmdk_open(img, 1, &b, &err) != VN_OK) {
        FAILF("open: %s: %s", err.where, err.msg);
        goto out;
    }
    CHECK_INT(b->size, 64 * GiB);
    unsigned char *d = malloc(MiB);
    rng_state = 3;
    fill(d, MiB);
    CHECK_INT(vn_blk_write(b, 40 * GiB + 12345, d, MiB, &err), VN_OK);
    unsigned char *back = malloc(MiB);
    CHECK_INT(vn_blk_read(b, 40 * GiB + 12345, back, MiB, &err), VN_OK);
    CHECK(memcmp(d, back, MiB) == 0);
    CHECK_INT(b->bytes_written, MiB);
    vn_vmdk_info info;
    vn_vmdk_get_info(b, &info);
    /* 17 grains (unaligned) + 34 table entries */
    CHECK(info.file_written <= MiB + 64 * KiB + 4 * KiB);
    CHECK(info.file_read <= 2 * MiB);
    vn_blk_close(b);
    stat(img, &after);
    long long grew = ((long long)after.st_blocks - (long long)before.st_blocks) * 512;
    if (grew > (long long)(3 * MiB))
        FAILF("file grew by %lld bytes on disk for a 1 MiB write", grew);
    if (run(&o, "qemu-img check '%s'", img) != 0)
        FAILF("qemu-img check: %s", o);
    free(o);
    o = NULL;
    /* qemu reads back what was written */
    char *chunk = join(dir, "chunk");
    int fd = open(chunk, O_WRONLY | O_CREAT, 0644);
    pwrite_all(fd, d, MiB, 0);
    close(fd);
    if (run(&o, "qemu-img convert -f vmdk -O raw '%s' '%s.raw' && cmp -n %llu '%s.raw' '%s' %llu 0",
            img, img, (unsigned long long)MiB, img, chunk,
            (unsigned long long)(40 * GiB + 12345)) != 0)
        FAILF("qemu does not read the write back: %s", o);
    free(chunk);
    free(d);
    free(back);
out:
    free(o);
    free(img);
    remove_dir(dir);
}

static void patch32(const char *path, uint64_t off, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    int fd = open(path, O_WRONLY);
    pwrite_all(fd, b, 4, off);
    close(fd);
}

static uint64_t read64(const char *path, uint64_t off)
{
    unsigned char b[8] = {0};
    int fd = open(path, O_RDONLY);
    if (pread(fd, b, 8, (off_t)off) != 8)
        memset(b, 0, 8);
    close(fd);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* A directory entry of 0 (grain table not allocated): a write allocates
 * the table in both copies, and qemu agrees. */
TEST(grain_table_allocation)
{
    NEED_QEMU();
    char *dir = make_dir();
    char *img = join(dir, "d.vmdk"), *raw = join(dir, "d.raw");
    vn_error err;
    vn_error_clear(&err);
    vn_blk *b = NULL;
    char *o = NULL;
    if (vn_vmdk_create_sparse(img, 100 * MiB, "lsilogic", &err) != VN_OK) {
        FAILF("create: %s", err.msg);
        goto out;
    }
    uint64_t rgd = read64(img, 48), gd = read64(img, 56);
    patch32(img, rgd * 512 + 4 * 2, 0); /* GT 2: 64..96 MiB */
    patch32(img, gd * 512 + 4 * 2, 0);
    if (vn_vmdk_open(img, 1, &b, &err) != VN_OK) {
        FAILF("open: %s", err.msg);
        goto out;
    }
    unsigned char d[5000];
    rng_state = 5;
    fill(d, sizeof(d));
    CHECK_INT(vn_blk_write(b, 70 * MiB + 9, d, sizeof(d), &err), VN_OK);
    vn_blk_close(b);
    int fd = open(raw, O_RDWR | O_CREAT, 0644);
    CHECK(ftruncate(fd, (off_t)(100 * MiB)) == 0);
    pwrite_all(fd, d, sizeof(d), 70 * MiB + 9);
    close(fd);
    if (run(&o, "qemu-img check '%s'", img) != 0)
        FAILF("qemu-img check: %s", o);
    free(o);
    o = NULL;
    if (run(&o, "qemu-img compare -f raw -F vmdk '%s' '%s'", raw, img) != 0)
        FAILF("qemu-img compare: %s", o);
out:
    free(o);
    free(img);
    free(raw);
    remove_dir(dir);
}

/* The in-memory open reads what the file open reads. */
TEST(memory_open)
{
    NEED_QEMU();
    char *dir = make_dir();
    char *raw = join(dir, "s.raw"), *img = join(dir, "s.vmdk");
    const uint64_t regions[] = {100 * KiB, 300 * KiB};
    char *o = NULL;
    if (make_raw(raw, 2 * MiB, regions, 1) != 0 ||
        run(&o, "qemu-img convert -f raw -O vmdk -o subformat=streamOptimized '%s' '%s'", raw,
            img) != 0) {
        FAILF("setup: %s", o ? o : "");
        goto out;
    }
    struct stat st;
    stat(img, &st);
    unsigned char *data = malloc((size_t)st.st_size);
    int fd = open(img, O_RDONLY);
    CHECK(read(fd, data, (size_t)st.st_size) == st.st_size);
    close(fd);
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_vmdk_open_mem(data, (size_t)st.st_size, &b, &err) != VN_OK)
        FAILF("open: %s", err.msg);
    char why[512];
    if (b && compare_range(b, raw, 0, 2 * MiB, why, sizeof(why)) != UINT64_MAX)
        FAILF("%s", why);
    vn_blk_close(b);
    b = NULL;
    /* The one-pass layout VMware writes: gdOffset GD_AT_END in the header,
     * the real one in a footer (marker, header copy, end-of-stream). */
    size_t n2 = (size_t)st.st_size + 1536;
    unsigned char *d2 = calloc(1, n2);
    memcpy(d2, data, (size_t)st.st_size);
    unsigned char *m = d2 + st.st_size;
    m[0] = 1;  /* one sector of metadata follows */
    m[12] = 3; /* type: footer */
    memcpy(m + 512, data, 512);
    memset(d2 + 56, 0xff, 8);
    vn_error_clear(&err);
    if (vn_vmdk_open_mem(d2, n2, &b, &err) != VN_OK)
        FAILF("open with footer: %s", err.msg);
    if (b && compare_range(b, raw, 0, 2 * MiB, why, sizeof(why)) != UINT64_MAX)
        FAILF("with footer: %s", why);
    vn_blk_close(b);
    b = NULL;
    /* without the footer: refused */
    vn_error_clear(&err);
    CHECK_INT(vn_vmdk_open_mem(d2, (size_t)st.st_size, &b, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "footer") != NULL);
    vn_blk_close(b);
    free(d2);
    free(data);
out:
    free(o);
    free(raw);
    free(img);
    remove_dir(dir);
}

/* ---- raw and refusals ---- */

static int write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    int rc = pwrite_all(fd, data, len, 0);
    close(fd);
    return rc;
}

TEST(raw_image)
{
    char *dir = make_dir();
    char *raw = join(dir, "r.img");
    const uint64_t regions[] = {0, 100000};
    make_raw(raw, 300000, regions, 1);
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_vmdk_open(raw, 1, &b, &err), VN_OK);
    if (b) {
        vn_vmdk_info info;
        vn_vmdk_get_info(b, &info);
        CHECK_STR(info.format, "raw");
        CHECK_INT(b->size, 300000);
        char why[512];
        if (compare_range(b, raw, 0, 300000, why, sizeof(why)) != UINT64_MAX)
            FAILF("%s", why);
        vn_blk_close(b);
    }
    free(raw);
    remove_dir(dir);
}

static void expect_refused(const char *fn, const char *path, int writable, const char *where,
                           const char *msg)
{
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmdk_open(path, writable, &b, &err);
    if (rc != VN_EINPUT)
        fail_in(fn, __LINE__, "%s: rc %d, expected VN_EINPUT (%s)", path, rc, err.msg);
    if (where && !strstr(err.where, where))
        fail_in(fn, __LINE__, "%s: where \"%s\", expected \"%s\"", path, err.where, where);
    if (msg && !strstr(err.msg, msg))
        fail_in(fn, __LINE__, "%s: message \"%s\", expected \"%s\"", path, err.msg, msg);
    if (b)
        vn_blk_close(b);
}

TEST(refused_types)
{
    char *dir = make_dir();
    char *p = join(dir, "d.vmdk"), *flat = join(dir, "d-flat.vmdk");
    write_file(flat, "", 0);
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"version=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"vmfsSparse\"\n"
         "RW 100 VMFSSPARSE \"d-flat.vmdk\"\n",
         "not supported"},
        {"version=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"seSparse\"\n"
         "RW 100 SESPARSE \"d-flat.vmdk\"\n",
         "not supported"},
        {"version=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"vmfsRDM\"\n"
         "RW 100 VMFSRDM \"d-flat.vmdk\"\n",
         "not supported"},
        {"version=1\nCID=12345678\nparentCID=12345678\ncreateType=\"vmfs\"\n"
         "RW 100 VMFS \"d-flat.vmdk\"\n",
         "parent"},
        {"version=1\ncreateType=\"vmfs\"\nRW 100 VMFSRAW \"d-flat.vmdk\"\n", "not supported"},
        {"version=1\ncreateType=\"weird\"\nRW 100 VMFS \"d-flat.vmdk\"\n", "unknown disk type"},
        {"version=1\ncreateType=\"vmfs\"\nNOACCESS 100 VMFS \"d-flat.vmdk\"\n", "NOACCESS"},
        {"version=1\ncreateType=\"vmfs\"\nRW 100 SPARSE \"d-flat.vmdk\"\n", "truncated"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file(p, cases[i].text, strlen(cases[i].text));
        expect_refused(__func__, p, 0, NULL, cases[i].msg);
    }
    write_file(p, "COWD\1\0\0\0", 8);
    expect_refused(__func__, p, 0, p, "COWD");
    /* RDONLY extents refuse a writable open */
    const char *ro = "version=1\ncreateType=\"vmfs\"\nRDONLY 100 VMFS \"d-flat.vmdk\"\n";
    write_file(p, ro, strlen(ro));
    expect_refused(__func__, p, 1, ":3", "RDONLY");
    free(p);
    free(flat);
    remove_dir(dir);
}

TEST(corrupt_sparse_files)
{
    NEED_QEMU();
    char *dir = make_dir();
    char *img = join(dir, "c.vmdk"), *raw = join(dir, "c.raw");
    const uint64_t regions[] = {0, 200 * KiB};
    char *o = NULL;
    if (make_raw(raw, 4 * MiB, regions, 1) != 0 ||
        run(&o, "qemu-img convert -f raw -O vmdk '%s' '%s'", raw, img) != 0) {
        FAILF("setup: %s", o ? o : "");
        goto out;
    }
    char *work = join(dir, "w.vmdk");
    /* truncated header */
    run(NULL, "head -c 100 '%s' > '%s'", img, work);
    expect_refused(__func__, work, 0, work, "truncated");
    /* truncated body (shorter than the metadata) */
    run(NULL, "head -c 20000 '%s' > '%s'", img, work);
    expect_refused(__func__, work, 0, work, "truncated");
    /* grain directory past the end */
    run(NULL, "cp '%s' '%s'", img, work);
    patch32(work, 56, 0x7fffffff);
    expect_refused(__func__, work, 0, work, "beyond the end");
    /* a directory entry past the end */
    run(NULL, "cp '%s' '%s'", img, work);
    patch32(work, read64(work, 56) * 512, 0x7ffffff0);
    expect_refused(__func__, work, 0, work, "beyond the end");
    /* bad version, grain size, table size */
    run(NULL, "cp '%s' '%s'", img, work);
    patch32(work, 4, 9);
    expect_refused(__func__, work, 0, work, "version");
    run(NULL, "cp '%s' '%s'", img, work);
    patch32(work, 20, 100);
    expect_refused(__func__, work, 0, work, "grain size");
    run(NULL, "cp '%s' '%s'", img, work);
    patch32(work, 44, 0);
    expect_refused(__func__, work, 0, work, "grain table entries");
    /* a grain table entry past the end: open works, reading that grain fails */
    run(NULL, "cp '%s' '%s'", img, work);
    uint64_t gt = 0;
    {
        unsigned char b4[4];
        int fd = open(work, O_RDONLY);
        if (pread(fd, b4, 4, (off_t)(read64(work, 56) * 512)) == 4)
            gt = (uint64_t)b4[0] | (uint64_t)b4[1] << 8 | (uint64_t)b4[2] << 16 |
                 (uint64_t)b4[3] << 24;
        close(fd);
    }
    patch32(work, gt * 512, 0x7ffffff0);
    vn_blk *b = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_vmdk_open(work, 0, &b, &err) == VN_OK) {
        unsigned char s[512];
        CHECK_INT(vn_blk_read(b, 0, s, sizeof(s), &err), VN_EINPUT);
        CHECK(strstr(err.msg, "beyond the end") != NULL);
        vn_blk_close(b);
    } else {
        FAILF("open: %s", err.msg);
    }
    free(work);
out:
    free(o);
    free(img);
    free(raw);
    remove_dir(dir);
}

/* ---- the descriptor parser ---- */

TEST(descriptor_errors_name_their_line)
{
    static const struct {
        const char *text;
        int line; /* 0: no line number */
        const char *msg;
    } cases[] = {
        {"version=1\ncreateType=\"vmfs\"\nRW abc VMFS \"x\"\n", 3, "bad extent size"},
        {"version=1\ncreateType=\"vmfs\"\nRW 10 BOGUS \"x\"\n", 3, "unknown extent type"},
        {"version=1\ncreateType=\"vmfs\"\n\n# c\nRW 10 VMFS \"x\n", 5, "unterminated"},
        {"version=1\ncreateType=\"vmfs\"\nRW 10 VMFS x\n", 3, "without a file name"},
        {"version=1\ncreateType=\"vmfs\"\nRW 10 SPARSE \"x\" 5\n", 3, "no offset"},
        {"version=1\ncreateType=\"vmfs\"\nRW 10 FLAT \"x\" 5 6\n", 3, "unexpected text"},
        {"version=9\n", 1, "version"},
        {"version=1\nCID=xyz\n", 2, "CID"},
        {"version=1\r\nthis is not a line\r\n", 2, "unrecognised line"},
        {"version=1\nddb.uuid = \"abc\n", 2, "unterminated"},
        {"version=1\nddb.uuid = \"abc\" junk\n", 2, "unexpected text"},
        {"version=1\n= \"x\"\n", 2, "empty key"},
        {"createType=\"vmfs\"\nRW 1 VMFS \"x\"\n", 0, "version"},
        {"version=1\nRW 1 VMFS \"x\"\n", 0, "createType"},
        {"version=1\ncreateType=\"vmfs\"\n", 0, "no extent"},
        {"version=1\ncreateType=\"vmfs\"\nRW 18446744073709551615 VMFS \"x\"\n", 3, "2^64"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vn_vmdk_desc *d = NULL;
        vn_error err;
        vn_error_clear(&err);
        int rc = vn_vmdk_desc_parse(cases[i].text, strlen(cases[i].text), "t.vmdk", &d, &err);
        char want[64];
        if (cases[i].line)
            snprintf(want, sizeof(want), "t.vmdk:%d", cases[i].line);
        else
            snprintf(want, sizeof(want), "t.vmdk");
        if (rc != VN_EINPUT || d || strcmp(err.where, want) != 0 || !strstr(err.msg, cases[i].msg))
            FAILF("case %zu: rc %d where \"%s\" msg \"%s\" (expected %s, \"%s\")", i, rc, err.where,
                  err.msg, want, cases[i].msg);
        vn_vmdk_desc_free(d);
    }
}

TEST(descriptor_parses)
{
    const char *t = "# Disk DescriptorFile\r\nversion=1\r\nencoding=\"UTF-8\"\r\nCID=0a0b0c0d\r\n"
                    "parentCID=ffffffff\r\ncreateType=\"twoGbMaxExtentFlat\"\r\n\r\n"
                    "RW 4192256 FLAT \"my disk-f001.vmdk\" 0\r\n"
                    "RDONLY 10 FLAT \"my disk-f002.vmdk\" 7\r\n  RW 5 ZERO\r\n"
                    "#DDB\r\nddb.adapterType = \"lsilogic\"\r\nddb.virtualHWVersion = 4\r\n";
    vn_vmdk_desc *d = NULL;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_vmdk_desc_parse(t, strlen(t), "t", &d, &err), VN_OK);
    if (!d) {
        FAILF("%s: %s", err.where, err.msg);
        return;
    }
    CHECK_INT(d->version, 1);
    CHECK_INT(d->cid, 0x0a0b0c0d);
    CHECK_INT(d->parent_cid, 0xffffffff);
    CHECK_STR(d->create_type, "twoGbMaxExtentFlat");
    CHECK_INT(d->n_extents, 3);
    CHECK_STR(d->extents[0].file, "my disk-f001.vmdk");
    CHECK_INT(d->extents[1].access, VN_VMDK_RDONLY);
    CHECK_INT(d->extents[1].offset, 7);
    CHECK_INT(d->extents[1].line, 9);
    CHECK_INT(d->extents[2].type, VN_VMDK_ZERO);
    CHECK_INT(d->total_sectors, 4192256 + 10 + 5);
    CHECK_STR(vn_vmdk_desc_get(d, "DDB.ADAPTERTYPE"), "lsilogic");
    CHECK_STR(vn_vmdk_desc_get(d, "ddb.virtualHWVersion"), "4");
    vn_vmdk_desc_free(d);
}

TEST(corpus_descriptor)
{
    const char *root = getenv("VNEST_CORPUS");
    char dirp[1024];
    DIR *dh = NULL;
    if (root && *root) {
        snprintf(dirp, sizeof(dirp), "%s/vmdk-descriptor", root);
        dh = opendir(dirp);
    }
    if (!dh)
        SKIP("shared corpus not present (../shared/corpus)");
    struct dirent *e;
    int files = 0;
    while ((e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dirp, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        char buf[65536];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        vn_vmdk_desc *d = NULL;
        vn_error err;
        vn_error_clear(&err);
        if (vn_vmdk_desc_parse(buf, n, path, &d, &err) != VN_OK) {
            FAILF("%s: %s", err.where, err.msg);
            continue;
        }
        files++;
        CHECK(d->n_extents >= 1);
        CHECK(d->create_type != NULL);
        if (strstr(e->d_name, "descriptor_file")) {
            CHECK_STR(d->create_type, "monolithicSparse");
            CHECK_INT(d->extents[0].sectors, 16777216);
            CHECK_INT(d->extents[0].type, VN_VMDK_SPARSE);
            CHECK_STR(d->extents[0].file, "test1.vmdk");
            CHECK_STR(vn_vmdk_desc_get(d, "ddb.adapterType"), "ide");
            CHECK_INT(d->cid, 0xfffffffe);
        }
        vn_vmdk_desc_free(d);
    }
    closedir(dh);
    CHECK(files > 0);
}

int main(void)
{
    RUN(monolithic_sparse);
    RUN(monolithic_flat);
    RUN(two_gb_sparse);
    RUN(two_gb_flat);
    RUN(stream_optimized);
    RUN(two_gb_sparse_extent_boundary);
    RUN(two_gb_flat_extent_boundary);
    RUN(big_sparse_writes_stay_small);
    RUN(grain_table_allocation);
    RUN(memory_open);
    RUN(raw_image);
    RUN(refused_types);
    RUN(corrupt_sparse_files);
    RUN(descriptor_errors_name_their_line);
    RUN(descriptor_parses);
    RUN(corpus_descriptor);
    TH_EXIT();
}
