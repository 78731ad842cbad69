/* Tests for vn_streamvmdk: each disk written is checked by qemu-img (check,
 * and compare against the raw source), read back through our own
 * streamOptimized reader (vn_vmdk_open), and its layout is checked field by
 * field against formats.md 3.5-3.7. */
#define TH_SUITE "streamvmdk"
#include "harness.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_streamvmdk.h"
#include "vn_vmdkio.h"

#define KiB   (UINT64_C(1) << 10)
#define MiB   (UINT64_C(1) << 20)
#define GRAIN (64 * KiB)

static char *make_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/vnest-svmdk-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fill_random(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(rng() >> 24);
}

static void fill_text(unsigned char *p, size_t n)
{
    static const char words[] = "vmkernel nested esxi grain table sector ";
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)words[(i + (i / 97)) % (sizeof(words) - 1)];
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct written {
    char *dir, raw[4200], vmdk[4200];
    vn_svmdk_result res;
    int rc;
} written;

/* Writes `data` as DIR/src.raw and converts it to DIR/out.vmdk. */
static void write_disk(written *w, const unsigned char *data, size_t len, int threads)
{
    memset(w, 0, sizeof(*w));
    w->dir = make_dir();
    snprintf(w->raw, sizeof(w->raw), "%s/src.raw", w->dir);
    snprintf(w->vmdk, sizeof(w->vmdk), "%s/out.vmdk", w->dir);
    FILE *f = fopen(w->raw, "wb");
    if (len)
        fwrite(data, 1, len, f);
    fclose(f);
    vn_error err = {0};
    vn_blk *src = NULL;
    w->rc = vn_blk_open_raw(w->raw, 0, &src, &err);
    if (w->rc != VN_OK)
        return;
    int fd = open(w->vmdk, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    vn_svmdk_opts o = {.threads = threads, .name = "out.vmdk"};
    w->rc = vn_svmdk_write(src, &o, vn_svmdk_fd_sink, &fd, &w->res, &err);
    close(fd);
    vn_blk_close(src);
    if (w->rc != VN_OK)
        printf("     (writer: %s: %s)\n", err.where, err.msg);
}

static void cleanup(written *w)
{
    if (w->dir)
        run(NULL, "rm -rf '%s'", w->dir);
    free(w->dir);
}

/* qemu-img check, qemu-img compare against the source, and a read back
 * through vn_vmdk_open that must equal `data` (zeros past its end). */
static void verify(const char *fn, const written *w, const unsigned char *data, size_t len)
{
    char *o = NULL;
    if (w->rc != VN_OK) {
        fail_in(fn, __LINE__, "writer failed");
        return;
    }
    if (have_tool("qemu-img")) {
        if (run(&o, "qemu-img check '%s'", w->vmdk) != 0)
            fail_in(fn, __LINE__, "qemu-img check: %s", o);
        free(o);
        if (len % 512 == 0 && run(&o, "qemu-img compare -f raw -F vmdk '%s' '%s'", w->raw, w->vmdk))
            fail_in(fn, __LINE__, "qemu-img compare: %s", o);
        if (len % 512 == 0)
            free(o);
        if (run(&o, "qemu-img info '%s'", w->vmdk) != 0 || !strstr(o, "streamOptimized"))
            fail_in(fn, __LINE__, "qemu-img info does not see streamOptimized: %s", o);
        free(o);
    }
    vn_error err = {0};
    vn_blk *b = NULL;
    if (vn_vmdk_open(w->vmdk, 0, &b, &err) != VN_OK) {
        fail_in(fn, __LINE__, "vn_vmdk_open: %s: %s", err.where, err.msg);
        return;
    }
    vn_vmdk_info info;
    vn_vmdk_get_info(b, &info);
    if (strcmp(info.format, "streamOptimized") != 0)
        fail_in(fn, __LINE__, "our reader sees %s", info.format);
    uint64_t want = (len + 511) / 512 * 512;
    if (b->size != want)
        fail_in(fn, __LINE__, "capacity %llu, expected %llu", (unsigned long long)b->size,
                (unsigned long long)want);
    unsigned char *back = malloc(want ? want : 1);
    if (want && vn_blk_read(b, 0, back, want, &err) != VN_OK)
        fail_in(fn, __LINE__, "read back: %s", err.msg);
    else {
        if (len && memcmp(back, data, len) != 0)
            fail_in(fn, __LINE__, "read back differs from the source");
        for (uint64_t i = len; i < want; i++)
            if (back[i]) {
                fail_in(fn, __LINE__, "byte %llu past the source is not zero",
                        (unsigned long long)i);
                break;
            }
    }
    free(back);
    vn_blk_close(b);
}

TEST(all_zero_disk)
{
    size_t len = 3 * MiB;
    unsigned char *d = calloc(1, len);
    written w;
    write_disk(&w, d, len, 2);
    verify(__func__, &w, d, len);
    CHECK_INT(w.res.grains, 0);
    CHECK_INT(w.res.populated, 0);
    /* header + descriptor (one grain), GD marker + GD, footer marker +
     * footer, EOS: nothing else. */
    CHECK_INT(w.res.written, GRAIN + 2 * 512 + 2 * 512 + 512);
    cleanup(&w);
    free(d);
}

TEST(one_grain)
{
    size_t len = 4 * MiB;
    unsigned char *d = calloc(1, len);
    d[5 * GRAIN + 17] = 0x5a;
    written w;
    write_disk(&w, d, len, 2);
    verify(__func__, &w, d, len);
    CHECK_INT(w.res.grains, 1);
    CHECK_INT(w.res.populated, GRAIN);
    cleanup(&w);
    free(d);
}

TEST(last_partial_grain)
{
    size_t len = 3 * GRAIN + 3 * 512; /* whole sectors, not a whole grain */
    unsigned char *d = calloc(1, len);
    fill_text(d + 3 * GRAIN, 3 * 512);
    written w;
    write_disk(&w, d, len, 1);
    verify(__func__, &w, d, len);
    CHECK_INT(w.res.grains, 1);
    CHECK_INT(w.res.populated, 3 * 512);
    cleanup(&w);
    free(d);
}

TEST(size_not_whole_sectors)
{
    size_t len = 100001; /* rounds up to 196 sectors, the tail reads as zeros */
    unsigned char *d = malloc(len);
    fill_random(d, len);
    written w;
    write_disk(&w, d, len, 2);
    verify(__func__, &w, d, len);
    CHECK_INT(w.res.capacity, 196 * 512);
    cleanup(&w);
    free(d);
}

/* 80 MiB: three grain tables, the middle one without any grain (its GD
 * entry stays 0), random, text and zero grains mixed. */
static unsigned char *mixed_disk(size_t len)
{
    unsigned char *d = calloc(1, len);
    for (size_t off = 0; off < 32 * MiB; off += GRAIN) {
        uint64_t r = rng() % 4;
        if (r == 1)
            fill_random(d + off, GRAIN);
        else if (r == 2)
            fill_text(d + off, GRAIN);
        else if (r == 3)
            d[off + GRAIN - 1] = 1;
    }
    if (len >= 80 * MiB)
        fill_random(d + 70 * MiB + 512, 3 * GRAIN); /* unaligned: touches four grains */
    return d;
}

TEST(random_data_many_tables)
{
    size_t len = 80 * MiB;
    unsigned char *d = mixed_disk(len);
    written w;
    write_disk(&w, d, len, 3);
    verify(__func__, &w, d, len);
    CHECK(w.res.grains > 0);
    CHECK(w.res.written < len / 2); /* zero grains skipped, text compressed */
    /* Layout: header flags and GD_AT_END, footer at EOF-1536 with the real GD
     * offset, a GD whose middle entry is 0, and the end-of-stream marker. */
    char *raw = NULL;
    size_t n = 0;
    FILE *f = fopen(w.vmdk, "rb");
    struct stat st;
    stat(w.vmdk, &st);
    n = (size_t)st.st_size;
    raw = malloc(n);
    CHECK_INT(fread(raw, 1, n, f), n);
    fclose(f);
    const unsigned char *h = (const unsigned char *)raw;
    CHECK(memcmp(h, "KDMV", 4) == 0);
    CHECK_INT(le32(h + 4), 3);
    CHECK_INT(le32(h + 8), 0x30001);
    CHECK_INT(le64(h + 12), len / 512);
    CHECK_INT(le64(h + 20), 128);
    CHECK_INT(le64(h + 56), UINT64_MAX);
    CHECK_INT(h[77], 1);
    CHECK(strstr(raw + 512, "createType=\"streamOptimized\"") != NULL);
    CHECK(strstr(raw + 512, "ddb.adapterType = \"lsilogic\"") != NULL);
    CHECK(strstr(raw + 512, "RW 163840 SPARSE \"out.vmdk\"") != NULL);
    const unsigned char *fm = h + n - 1536, *ft = h + n - 1024, *eos = h + n - 512;
    CHECK_INT(le32(fm + 12), 3); /* footer marker */
    CHECK(memcmp(ft, "KDMV", 4) == 0);
    uint64_t gd = le64(ft + 56);
    CHECK(gd * 512 < n);
    for (int i = 0; i < 512; i++)
        if (eos[i])
            FAILF("end-of-stream marker is not all zero");
    if (gd * 512 + 12 <= n) {
        const unsigned char *gdm = h + gd * 512 - 512;
        CHECK_INT(le32(gdm + 12), 2); /* GD marker */
        const unsigned char *g = h + gd * 512;
        CHECK(le32(g) != 0);
        CHECK_INT(le32(g + 4), 0);
        CHECK(le32(g + 8) != 0);
    }
    free(raw);
    cleanup(&w);
    free(d);
}

/* The number of threads changes only the speed: the grains come out in the
 * same order with the same bytes (only the descriptor's CID differs). */
TEST(threads_do_not_change_the_output)
{
    size_t len = 40 * MiB;
    unsigned char *d = mixed_disk(len);
    written a, b;
    write_disk(&a, d, len, 1);
    write_disk(&b, d, len, 4);
    CHECK_INT(a.rc, VN_OK);
    CHECK_INT(b.rc, VN_OK);
    CHECK_INT(a.res.written, b.res.written);
    char *o = NULL;
    /* Everything after the descriptor is identical. */
    if (run(&o, "cmp -s -i 65536 '%s' '%s'", a.vmdk, b.vmdk) != 0)
        FAILF("outputs with 1 and 4 threads differ past the descriptor");
    free(o);
    cleanup(&a);
    cleanup(&b);
    free(d);
}

/* A source that says where its holes are: the writer neither reads nor
 * scans them, and the result is the same disk. The probe here claims the
 * second 8 MiB are a hole (they are zeros), and counts its calls. */
static int probe_calls;
static int hole_probe(void *ctx, uint64_t off, uint64_t len)
{
    (void)ctx;
    probe_calls++;
    return !(off >= 8 * MiB && off + len <= 16 * MiB);
}

TEST(holes_are_skipped)
{
    size_t len = 24 * MiB;
    unsigned char *d = calloc(1, len);
    fill_text(d, 8 * MiB);
    fill_random(d + 16 * MiB, 8 * MiB);
    vn_blk *src = NULL;
    vn_error err = {0};
    CHECK_INT(vn_blk_open_mem(d, len, 0, &src, &err), VN_OK);
    written w;
    write_disk(&w, d, len, 2); /* reference output without a probe */
    char out[4300];
    snprintf(out, sizeof(out), "%s/holes.vmdk", w.dir);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    probe_calls = 0;
    vn_svmdk_opts o = {.threads = 2, .maybe_data = hole_probe, .name = "out.vmdk"};
    vn_svmdk_result r;
    CHECK_INT(vn_svmdk_write(src, &o, vn_svmdk_fd_sink, &fd, &r, &err), VN_OK);
    close(fd);
    CHECK(probe_calls > 0);
    CHECK(src->bytes_read <= 16 * MiB); /* the hole was not read */
    CHECK_INT(r.written, w.res.written);
    CHECK_INT(r.grains, w.res.grains);
    char *o2 = NULL;
    if (run(&o2, "cmp -s -i 65536 '%s' '%s'", w.vmdk, out) != 0)
        FAILF("output with a hole probe differs from the one without");
    free(o2);
    vn_blk_close(src);
    cleanup(&w);
    free(d);
}

static size_t sink_budget;
static int failing_sink(void *ctx, const void *data, size_t len, vn_error *err)
{
    (void)ctx;
    (void)data;
    if (len > sink_budget)
        return vn_fail(err, VN_ERUNTIME, "out.ova", "cannot write (No space left on device)");
    sink_budget -= len;
    return VN_OK;
}

/* A sink that fails midway stops the writer with the sink's own error
 * (and every worker thread is joined: ASan would report a leak). */
TEST(sink_error_is_returned)
{
    size_t len = 16 * MiB;
    unsigned char *d = malloc(len);
    fill_random(d, len);
    vn_blk *src = NULL;
    vn_error err = {0};
    CHECK_INT(vn_blk_open_mem(d, len, 0, &src, &err), VN_OK);
    sink_budget = 3 * MiB;
    vn_svmdk_opts o = {.threads = 2};
    int rc = vn_svmdk_write(src, &o, failing_sink, NULL, NULL, &err);
    CHECK_INT(rc, VN_ERUNTIME);
    CHECK_STR(err.where, "out.ova");
    CHECK(strstr(err.msg, "No space left") != NULL);
    vn_blk_close(src);
    free(d);
}

/* A source whose reads fail past 5 MiB (a disk with a bad sector): the
 * writer stops with the source's error, after joining its threads. */
static int failing_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err)
{
    (void)b;
    if (off + len > 5 * MiB)
        return vn_fail(err, VN_ERUNTIME, "disk.raw", "cannot read (Input/output error)");
    memset(buf, 0x11, len);
    return VN_OK;
}

TEST(source_error_is_returned)
{
    static const vn_blk_ops ops = {failing_read, NULL, NULL, NULL};
    vn_blk src = {.ops = &ops, .size = 64 * MiB, .name = "disk.raw"};
    vn_error err = {0};
    sink_budget = SIZE_MAX;
    vn_svmdk_opts o = {.threads = 3};
    vn_svmdk_result r;
    CHECK_INT(vn_svmdk_write(&src, &o, failing_sink, NULL, &r, &err), VN_ERUNTIME);
    CHECK_STR(err.where, "disk.raw");
    CHECK(strstr(err.msg, "Input/output error") != NULL);
    CHECK(r.written < 5 * MiB);
}

/* The source can be any image our reader opens: a monolithicSparse VMDK
 * made by qemu-img becomes a stream holding the same bytes. */
TEST(from_sparse_vmdk)
{
    if (!have_tool("qemu-img"))
        SKIP("qemu-img not installed (apt-get install qemu-utils)");
    size_t len = 8 * MiB;
    unsigned char *d = mixed_disk(32 * MiB);
    written w;
    write_disk(&w, d, len, 2); /* gives us w.raw; its own output is unused */
    char sparse[4300], out[4300], *o = NULL;
    snprintf(sparse, sizeof(sparse), "%s/sparse.vmdk", w.dir);
    snprintf(out, sizeof(out), "%s/again.vmdk", w.dir);
    if (run(&o, "qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse '%s' '%s'", w.raw,
            sparse) != 0)
        FAILF("qemu-img convert: %s", o);
    free(o);
    vn_blk *src = NULL;
    vn_error err = {0};
    CHECK_INT(vn_vmdk_open(sparse, 0, &src, &err), VN_OK);
    if (src) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK_INT(vn_svmdk_write(src, NULL, vn_svmdk_fd_sink, &fd, NULL, &err), VN_OK);
        close(fd);
        vn_blk_close(src);
        if (run(&o, "qemu-img compare -f vmdk -F vmdk '%s' '%s'", sparse, out) != 0)
            FAILF("qemu-img compare: %s", o);
        free(o);
        if (run(&o, "qemu-img check '%s'", out) != 0)
            FAILF("qemu-img check: %s", o);
        free(o);
    }
    cleanup(&w);
    free(d);
}

int main(void)
{
    RUN(all_zero_disk);
    RUN(one_grain);
    RUN(last_partial_grain);
    RUN(size_not_whole_sectors);
    RUN(random_data_many_tables);
    RUN(threads_do_not_change_the_output);
    RUN(holes_are_skipped);
    RUN(sink_error_is_returned);
    RUN(source_error_is_returned);
    RUN(from_sparse_vmdk);
    TH_EXIT();
}
