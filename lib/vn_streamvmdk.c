/* vn_streamvmdk: streamOptimized VMDK writer (see the header for the layout
 * and formats.md 3.5-3.7 for the fields). */
#include "vn_streamvmdk.h"

#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "vn_buf.h"

#define SECTOR        512u
#define GRAIN_SECTORS 128u /* 64 KiB grains: what every VMware writer uses */
#define GRAIN_BYTES   (GRAIN_SECTORS * SECTOR)
#define GTES          512u /* grain table entries per table (fixed by the format) */
#define DESC_OFFSET   1u
#define DESC_SECTORS  20u
/* Metadata before the first grain, rounded up to a grain as VMware and
 * qemu do (qemu refuses a file shorter than overHead). */
#define OVERHEAD GRAIN_SECTORS
/* Grains per batch: the unit handed to a worker and written in one sink
 * call. It divides GTES, so a batch never straddles two grain tables. */
#define BATCH_GRAINS 8u
#define GD_AT_END    UINT64_C(0xffffffffffffffff)

#define FLAG_NL_TEST    (1u << 0)
#define FLAG_COMPRESSED (1u << 16)
#define FLAG_MARKERS    (1u << 17)

enum { MARKER_EOS = 0, MARKER_GT = 1, MARKER_GD = 2, MARKER_FOOTER = 3 };
enum { SLOT_FREE, SLOT_FILLED, SLOT_DONE };
#define NO_GRAIN UINT32_MAX

typedef struct slot {
    int state;
    int hole;           /* the batch reads as zeros: nothing to read or compress */
    size_t inlen;       /* valid source bytes (a multiple of SECTOR) */
    unsigned char *in;  /* BATCH_GRAINS grains of source */
    unsigned char *out; /* the batch's grain markers, each padded to a sector */
    size_t outlen;
    uint32_t rec[BATCH_GRAINS]; /* sector of each grain's marker in `out`, or NO_GRAIN */
} slot;

typedef struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a batch was filled, or stop */
    pthread_cond_t done; /* a batch was compressed */
    slot *slots;
    size_t nslots;
    uint64_t nfilled; /* batches 0..nfilled-1 have been handed out */
    uint64_t next;    /* the next batch a worker takes */
    size_t rec_bound; /* room for one grain's marker */
    int level;
    int stop;
    int alloc_failed;
} pipeline;

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

/* All-zero test: the first byte, then the buffer against itself shifted by
 * one (memcmp is vectorised; the overlap is allowed for reads). */
static int all_zero(const unsigned char *p, size_t len)
{
    return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* Pearson's chi-square of the byte histogram of p[0..len) against the
 * uniform one stands in for the order-0 entropy H (no libm):
 * 8 - H ~= chi2 / (2 len ln 2). Returns 1 when H >= 8 - deficit/10000, with
 * the chi2 scaled by 256 len to stay in integers. */
static int flat_histogram(const unsigned char *p, size_t len, uint64_t deficit)
{
    uint32_t h[256] = {0};
    for (size_t i = 0; i < len; i++)
        h[p[i]]++;
    uint64_t chi = 0;
    for (int i = 0; i < 256; i++) {
        int64_t d = (int64_t)h[i] * 256 - (int64_t)len;
        chi += (uint64_t)(d * d);
    }
    /* chi2 <= deficit * 2 ln 2 * len / 10000, i.e. (x 10000, with
     * 2 ln 2 ~= 1.386) chi / 256 * 10000 <= 1.386 * deficit * len^2. */
    return chi / 256 * 10000 <= (uint64_t)1386 * deficit * len * len / 1000;
}

/* Whether deflate would gain nothing on this grain: its byte histogram is
 * flat (order-0 entropy of at least 7.99 bits a byte, which 64 KiB of random
 * or already-compressed bytes have and a grain holding repeats does not).
 * Deflate's match search costs as much on such data as on text for no gain
 * (the encoder falls back to stored blocks anyway); ESXi's VIBs are
 * compressed already, so this saves much of the work on a real disk.
 * A grain that is flat in bytes but repeats itself at a distance (a random
 * 32 KiB block written twice) is stored uncompressed: still correct, only
 * larger. */
static int looks_incompressible(const unsigned char *p, size_t len)
{
    if (len < 16384)
        return 0;
    /* A first 8 KiB that is far from flat (text, code, tables: H < 7.5)
     * settles it at an eighth of the cost; random 8 KiB has H ~ 7.98. */
    if (!flat_histogram(p, 8192, 5000))
        return 0;
    return flat_histogram(p, len, 100); /* H >= 7.99 over the whole grain */
}

/* A zlib stream of stored (uncompressed) deflate blocks: header 78 01,
 * blocks of at most 65535 bytes, Adler-32 (RFC 1950/1951). Returns its size. */
static size_t store_zlib(const unsigned char *in, size_t len, unsigned char *out)
{
    size_t o = 0;
    out[o++] = 0x78;
    out[o++] = 0x01;
    size_t done = 0;
    do {
        size_t n = len - done > 65535 ? 65535 : len - done;
        out[o++] = done + n == len; /* BFINAL, BTYPE 00 */
        out[o++] = (unsigned char)n;
        out[o++] = (unsigned char)(n >> 8);
        out[o++] = (unsigned char)~n;
        out[o++] = (unsigned char)(~n >> 8);
        memcpy(out + o, in + done, n);
        o += n;
        done += n;
    } while (done < len);
    uint32_t a = libdeflate_adler32(1, in, len);
    out[o++] = (unsigned char)(a >> 24);
    out[o++] = (unsigned char)(a >> 16);
    out[o++] = (unsigned char)(a >> 8);
    out[o++] = (unsigned char)a;
    return o;
}

/* Compresses the grains of one batch into its marker records. */
static int compress_batch(struct libdeflate_compressor *c, slot *s, size_t rec_bound)
{
    size_t out = 0;
    for (unsigned g = 0; g < BATCH_GRAINS; g++) {
        size_t off = (size_t)g * GRAIN_BYTES;
        s->rec[g] = NO_GRAIN;
        if (off >= s->inlen || s->hole)
            continue;
        size_t len = s->inlen - off < GRAIN_BYTES ? s->inlen - off : GRAIN_BYTES;
        if (all_zero(s->in + off, len))
            continue;
        unsigned char *r = s->out + out;
        size_t z = looks_incompressible(s->in + off, len)
                       ? store_zlib(s->in + off, len, r + 12)
                       : libdeflate_zlib_compress(c, s->in + off, len, r + 12, rec_bound - 12);
        if (z == 0)
            return -1; /* cannot happen: the room is libdeflate's own bound */
        /* lba is filled in by the writer, which knows the batch's place. */
        put_le64(r, 0);
        put_le32(r + 8, (uint32_t)z);
        size_t rlen = (size_t)round_up(12 + z, SECTOR);
        memset(r + 12 + z, 0, rlen - 12 - z);
        s->rec[g] = (uint32_t)(out / SECTOR);
        out += rlen;
    }
    s->outlen = out;
    return 0;
}

static void *worker_main(void *arg)
{
    pipeline *p = arg;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(p->level);
    pthread_mutex_lock(&p->mu);
    if (!c)
        p->alloc_failed = 1;
    for (;;) {
        while (!p->stop && p->next >= p->nfilled)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->next >= p->nfilled)
            break; /* stop, and nothing left to do */
        slot *s = &p->slots[p->next % p->nslots];
        p->next++;
        pthread_mutex_unlock(&p->mu);
        int bad = !c || compress_batch(c, s, p->rec_bound) != 0;
        pthread_mutex_lock(&p->mu);
        if (bad) {
            p->alloc_failed = 1;
            s->outlen = 0;
        }
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    libdeflate_free_compressor(c);
    return NULL;
}

/* The writer's running state. */
typedef struct writer {
    vn_svmdk_sink sink;
    void *ctx;
    uint64_t sector; /* sectors emitted so far */
    uint32_t gt[GTES];
    int gt_used;
    uint32_t *gd;
    uint64_t ngd;
    uint64_t gdi; /* table the current gt belongs to */
    vn_svmdk_result res;
} writer;

static int emit(writer *w, const void *data, size_t len, vn_error *err)
{
    int rc = w->sink(w->ctx, data, len, err);
    if (rc == VN_OK) {
        w->sector += len / SECTOR;
        w->res.written += len;
    }
    return rc;
}

static int emit_marker(writer *w, uint64_t sectors, uint32_t type, vn_error *err)
{
    unsigned char m[SECTOR] = {0};
    put_le64(m, sectors);
    put_le32(m + 12, type);
    return emit(w, m, sizeof(m), err);
}

/* Writes the current grain table (if any grain of it is stored) and starts
 * the next one. A table without grains stays out: its GD entry 0 reads as
 * zeros everywhere (qemu, VMware and our reader agree). */
static int flush_gt(writer *w, vn_error *err)
{
    int rc = VN_OK;
    if (w->gt_used) {
        unsigned char t[GTES * 4];
        for (unsigned i = 0; i < GTES; i++)
            put_le32(t + 4 * i, w->gt[i]);
        rc = emit_marker(w, sizeof(t) / SECTOR, MARKER_GT, err);
        if (rc == VN_OK) {
            w->gd[w->gdi] = (uint32_t)w->sector;
            rc = emit(w, t, sizeof(t), err);
        }
    }
    memset(w->gt, 0, sizeof(w->gt));
    w->gt_used = 0;
    w->gdi++;
    return rc;
}

/* Emits a compressed batch: fixes each marker's lba and fills the GT. */
static int emit_batch(writer *w, slot *s, uint64_t seq, uint64_t ngrains, vn_error *err)
{
    if (w->sector > UINT32_MAX - s->outlen / SECTOR)
        return vn_fail(err, VN_EINPUT, NULL,
                       "compressed disk exceeds 2 TiB (expected a smaller disk: grain table "
                       "entries are 32-bit sector numbers)");
    uint64_t g0 = seq * BATCH_GRAINS;
    for (unsigned g = 0; g < BATCH_GRAINS && g0 + g < ngrains; g++) {
        if (s->rec[g] == NO_GRAIN)
            continue;
        unsigned char *r = s->out + (size_t)s->rec[g] * SECTOR;
        put_le64(r, (g0 + g) * GRAIN_SECTORS);
        w->gt[(g0 + g) % GTES] = (uint32_t)(w->sector + s->rec[g]);
        w->gt_used = 1;
        w->res.grains++;
        uint64_t left = (uint64_t)s->inlen - (uint64_t)g * GRAIN_BYTES;
        w->res.populated += left < GRAIN_BYTES ? left : GRAIN_BYTES;
    }
    int rc = s->outlen ? emit(w, s->out, s->outlen, err) : VN_OK;
    uint64_t next = g0 + BATCH_GRAINS;
    if (rc == VN_OK && (next % GTES == 0 || next >= ngrains))
        rc = flush_gt(w, err);
    return rc;
}

static void build_header(unsigned char *h, uint64_t capacity, uint64_t gd_offset)
{
    memset(h, 0, SECTOR);
    memcpy(h, "KDMV", 4);
    put_le32(h + 4, 3); /* ESXi refuses stream files older than version 3 */
    put_le32(h + 8, FLAG_NL_TEST | FLAG_COMPRESSED | FLAG_MARKERS);
    put_le64(h + 12, capacity);
    put_le64(h + 20, GRAIN_SECTORS);
    put_le64(h + 28, DESC_OFFSET);
    put_le64(h + 36, DESC_SECTORS);
    put_le32(h + 44, GTES);
    put_le64(h + 48, 0); /* no redundant directory in a stream */
    put_le64(h + 56, gd_offset);
    put_le64(h + 64, OVERHEAD);
    h[72] = 0;
    memcpy(h + 73, "\n \r\n", 4);
    h[77] = 1; /* compressAlgorithm: deflate (zlib streams) */
}

static int random_u32(uint32_t *v)
{
    unsigned char b[4];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return -1;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* The embedded descriptor; header lines without spaces around '=' and CID
 * before parentCID, as qemu's probe matches them literally (formats.md 3.1). */
static int build_descriptor(unsigned char *d, uint64_t capacity, const char *name,
                            const char *adapter, vn_error *err)
{
    uint32_t cid, l1, l2, l3;
    do {
        if (random_u32(&cid) || random_u32(&l1) || random_u32(&l2) || random_u32(&l3))
            return vn_fail(err, VN_ERUNTIME, NULL, "cannot get random bytes for the disk's CID");
    } while (cid == UINT32_C(0xffffffff)); /* ffffffff means "no parent" */
    unsigned heads = strcmp(adapter, "ide") == 0 ? 16 : 255;
    uint64_t cyl = (capacity + (uint64_t)heads * 63 - 1) / ((uint64_t)heads * 63);
    if (cyl > 65535)
        cyl = 65535;
    vn_buf b = VN_BUF_INIT;
    vn_buf_adds(&b, "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\n");
    vn_buf_addf(&b, "CID=%08x\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n\n", cid);
    vn_buf_addf(&b, "# Extent description\nRW %llu SPARSE \"%s\"\n\n", (unsigned long long)capacity,
                name);
    vn_buf_adds(&b, "# The Disk Data Base\n#DDB\n\n");
    vn_buf_addf(&b, "ddb.adapterType = \"%s\"\n", adapter);
    vn_buf_addf(&b, "ddb.geometry.cylinders = \"%llu\"\n", (unsigned long long)cyl);
    vn_buf_addf(&b, "ddb.geometry.heads = \"%u\"\nddb.geometry.sectors = \"63\"\n", heads);
    vn_buf_addf(&b, "ddb.longContentID = \"%08x%08x%08x%08x\"\n", l1, l2, l3, cid);
    /* What VMware's own stream writers put here: hardware version 4 means
     * "any", toolsVersion 2147483647 "unknown", installType 4 "none". */
    vn_buf_adds(&b, "ddb.toolsInstallType = \"4\"\nddb.toolsVersion = \"2147483647\"\n");
    vn_buf_adds(&b, "ddb.virtualHWVersion = \"4\"\n");
    int rc = VN_OK;
    if (b.len >= DESC_SECTORS * SECTOR)
        rc = vn_fail(err, VN_EINPUT, NULL,
                     "disk name \"%s\" is too long for the VMDK descriptor (expected a short "
                     "file name)",
                     name);
    else
        memcpy(d, b.data, b.len);
    vn_buf_free(&b);
    return rc;
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* Reads batch `seq` of the source into the slot (the tail past the source's
 * end, up to a whole sector, is zero). */
static int fill_slot(vn_blk *src, slot *s, uint64_t seq, uint64_t cap_bytes, const vn_svmdk_opts *o,
                     vn_error *err)
{
    uint64_t off = seq * BATCH_GRAINS * (uint64_t)GRAIN_BYTES;
    uint64_t want = cap_bytes - off;
    if (want > BATCH_GRAINS * (uint64_t)GRAIN_BYTES)
        want = BATCH_GRAINS * (uint64_t)GRAIN_BYTES;
    uint64_t have = src->size > off ? src->size - off : 0;
    if (have > want)
        have = want;
    s->inlen = (size_t)want;
    s->hole = have && o->maybe_data && !o->maybe_data(o->maybe_data_ctx, off, have);
    if (s->hole)
        return VN_OK;
    int rc = have ? vn_blk_read(src, off, s->in, (size_t)have, err) : VN_OK;
    if (want > have)
        memset(s->in + have, 0, (size_t)(want - have));
    return rc;
}

static int wait_done(pipeline *p, slot *s)
{
    pthread_mutex_lock(&p->mu);
    while (s->state != SLOT_DONE)
        pthread_cond_wait(&p->done, &p->mu);
    s->state = SLOT_FREE;
    int bad = p->alloc_failed;
    pthread_mutex_unlock(&p->mu);
    return bad;
}

/* Runs the ring: this thread reads and emits, the workers compress. */
static int run_pipeline(pipeline *p, vn_blk *src, writer *w, uint64_t cap_bytes, uint64_t ngrains,
                        const vn_svmdk_opts *o, vn_error *err)
{
    uint64_t nbatches = (ngrains + BATCH_GRAINS - 1) / BATCH_GRAINS;
    uint64_t emitted = 0;
    int rc = VN_OK;
    for (uint64_t seq = 0; seq < nbatches + p->nslots && rc == VN_OK; seq++) {
        /* The slot for batch seq last held batch seq - nslots: emit it. */
        if (seq >= p->nslots && emitted < nbatches) {
            slot *old = &p->slots[emitted % p->nslots];
            if (wait_done(p, old))
                return vn_fail(err, VN_ERUNTIME, NULL, "cannot start the deflate compressor");
            rc = emit_batch(w, old, emitted, ngrains, err);
            emitted++;
            if (rc == VN_OK && o->progress) {
                uint64_t done = emitted * BATCH_GRAINS * (uint64_t)GRAIN_BYTES;
                o->progress(o->progress_ctx, done < src->size ? done : src->size, src->size);
            }
        }
        if (seq >= nbatches || rc != VN_OK)
            continue;
        slot *s = &p->slots[seq % p->nslots];
        rc = fill_slot(src, s, seq, cap_bytes, o, err);
        if (rc != VN_OK)
            break;
        pthread_mutex_lock(&p->mu);
        s->state = SLOT_FILLED;
        p->nfilled = seq + 1;
        pthread_cond_signal(&p->work);
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}

static int finish_stream(writer *w, uint64_t capacity, vn_error *err)
{
    uint64_t gd_bytes = w->ngd ? round_up(w->ngd * 4, SECTOR) : SECTOR; /* empty disk: one sector */
    unsigned char *gd = vn_xcalloc(1, (size_t)gd_bytes);
    for (uint64_t i = 0; i < w->ngd; i++)
        put_le32(gd + 4 * i, w->gd[i]);
    int rc = emit_marker(w, gd_bytes / SECTOR, MARKER_GD, err);
    uint64_t gd_sector = w->sector;
    if (rc == VN_OK)
        rc = emit(w, gd, (size_t)gd_bytes, err);
    free(gd);
    unsigned char footer[SECTOR];
    build_header(footer, capacity, gd_sector);
    if (rc == VN_OK)
        rc = emit_marker(w, 1, MARKER_FOOTER, err);
    if (rc == VN_OK)
        rc = emit(w, footer, sizeof(footer), err);
    if (rc == VN_OK)
        rc = emit_marker(w, 0, MARKER_EOS, err);
    return rc;
}

int vn_svmdk_write(vn_blk *src, const vn_svmdk_opts *opts, vn_svmdk_sink sink, void *sink_ctx,
                   vn_svmdk_result *res, vn_error *err)
{
    vn_svmdk_opts o = {0};
    if (opts)
        o = *opts;
    int threads = o.threads > 0 ? o.threads : online_cpus();
    uint64_t capacity = (src->size + SECTOR - 1) / SECTOR; /* sectors */
    uint64_t cap_bytes = capacity * SECTOR;
    uint64_t ngrains = (capacity + GRAIN_SECTORS - 1) / GRAIN_SECTORS;

    writer w = {.sink = sink, .ctx = sink_ctx};
    w.ngd = (ngrains + GTES - 1) / GTES;
    w.gd = vn_xcalloc(w.ngd ? (size_t)w.ngd : 1, sizeof(uint32_t));
    w.res.capacity = cap_bytes;

    /* Header, descriptor and padding up to the first grain. */
    unsigned char *head = vn_xcalloc(OVERHEAD, SECTOR);
    build_header(head, capacity, GD_AT_END);
    int rc = build_descriptor(head + DESC_OFFSET * SECTOR, capacity, o.name ? o.name : "disk.vmdk",
                              o.adapter ? o.adapter : "lsilogic", err);
    if (rc == VN_OK)
        rc = emit(&w, head, OVERHEAD * SECTOR, err);
    free(head);

    pipeline p = {.level = o.level > 0 ? o.level : VN_SVMDK_LEVEL};
    p.nslots = (size_t)threads * 2 + 2; /* keeps every worker busy while one batch is emitted */
    p.slots = vn_xcalloc(p.nslots, sizeof(slot));
    struct libdeflate_compressor *probe = libdeflate_alloc_compressor(p.level);
    if (!probe && rc == VN_OK)
        rc = vn_fail(err, VN_EINPUT, NULL, "libdeflate has no level %d (expected 1-12)", p.level);
    /* Room for a grain: libdeflate's bound, or the stored form (2 + 5 per
     * 65535 bytes + 4), whichever is larger. */
    size_t bound = probe ? libdeflate_zlib_compress_bound(probe, GRAIN_BYTES) : 0;
    if (bound < GRAIN_BYTES + 64)
        bound = GRAIN_BYTES + 64;
    p.rec_bound = (size_t)round_up(12 + bound, SECTOR);
    libdeflate_free_compressor(probe);

    pthread_t *tids = vn_xcalloc((size_t)threads, sizeof(pthread_t));
    int started = 0;
    if (rc == VN_OK) {
        for (size_t i = 0; i < p.nslots; i++) {
            p.slots[i].in = vn_xmalloc(BATCH_GRAINS * (size_t)GRAIN_BYTES);
            p.slots[i].out = vn_xmalloc(BATCH_GRAINS * p.rec_bound);
        }
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.work, NULL);
        pthread_cond_init(&p.done, NULL);
        for (; started < threads; started++)
            if (pthread_create(&tids[started], NULL, worker_main, &p) != 0)
                break;
        if (started == 0)
            rc = vn_fail(err, VN_ERUNTIME, NULL, "cannot start a compression thread");
        else
            rc = run_pipeline(&p, src, &w, cap_bytes, ngrains, &o, err);
        pthread_mutex_lock(&p.mu);
        p.stop = 1;
        pthread_cond_broadcast(&p.work);
        pthread_mutex_unlock(&p.mu);
        for (int i = 0; i < started; i++)
            pthread_join(tids[i], NULL);
        pthread_mutex_destroy(&p.mu);
        pthread_cond_destroy(&p.work);
        pthread_cond_destroy(&p.done);
        for (size_t i = 0; i < p.nslots; i++) {
            free(p.slots[i].in);
            free(p.slots[i].out);
        }
    }
    free(tids);
    free(p.slots);
    if (rc == VN_OK)
        rc = finish_stream(&w, capacity, err);
    free(w.gd);
    if (res)
        *res = w.res;
    return rc;
}

int vn_svmdk_fd_sink(void *ctx, const void *data, size_t len, vn_error *err)
{
    int fd = *(int *)ctx;
    const unsigned char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return vn_fail(err, VN_ERUNTIME, "output", "cannot write (%s)",
                           n < 0 ? strerror(errno) : "no progress");
        p += n;
        len -= (size_t)n;
    }
    return VN_OK;
}
