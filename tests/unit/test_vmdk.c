/* Tests for vn_vmdk: new monolithicSparse disks are checked against the real
 * peer, qemu-img (and qemu-io), and against an independent decoding of the
 * header written here. */
#define TH_SUITE "vmdk"
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vn_vmdk.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

#define NEED_QEMU()                                                                                \
    do {                                                                                           \
        if (!have_tool("qemu-img"))                                                                \
            SKIP("qemu-img not installed (apt-get install qemu-utils)");                           \
    } while (0)

/* ---- helpers: they report through `why` so the failure line names the test */

static char *make_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/vnest-vmdk-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void remove_dir(char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[8192];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Runs a shell command, returns its exit status (-1 if it did not exit) and
 * its combined output in *out (caller frees; may be NULL). */
static int read_at(const char *path, void *buf, size_t len, uint64_t off)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, buf, len, (off_t)off);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The KDMV header, decoded field by field from the offsets in formats.md 3.5. */
typedef struct kdmv {
    char magic[5];
    uint32_t version, flags, gtes_per_gt;
    uint64_t capacity, grain, desc_offset, desc_size, rgd, gd, overhead;
    unsigned unclean, compress;
    unsigned char nl[4];
} kdmv;

static int read_header(const char *path, kdmv *h)
{
    unsigned char s[512];
    if (read_at(path, s, sizeof(s), 0) != 0)
        return -1;
    memcpy(h->magic, s, 4);
    h->magic[4] = '\0';
    h->version = le32(s + 4);
    h->flags = le32(s + 8);
    h->capacity = le64(s + 12);
    h->grain = le64(s + 20);
    h->desc_offset = le64(s + 28);
    h->desc_size = le64(s + 36);
    h->gtes_per_gt = le32(s + 44);
    h->rgd = le64(s + 48);
    h->gd = le64(s + 56);
    h->overhead = le64(s + 64);
    h->unclean = s[72];
    memcpy(h->nl, s + 73, 4);
    h->compress = (unsigned)s[77] | (unsigned)s[78] << 8;
    for (int i = 79; i < 512; i++)
        if (s[i] != 0)
            return -1;
    return 0;
}

/* The embedded descriptor text (caller frees), checking the NUL padding. */
static char *read_descriptor(const char *path)
{
    char *d = calloc(1, 20 * 512 + 1);
    if (read_at(path, d, 20 * 512, 512) != 0) {
        free(d);
        return NULL;
    }
    size_t len = strlen(d);
    for (size_t i = len; i < 20 * 512; i++) {
        if (d[i] != '\0') {
            free(d);
            return NULL;
        }
    }
    return d;
}

/* Value of `key = "value"` or `key=value` in the descriptor, into out. */
static int desc_value(const char *desc, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    for (const char *line = desc; line && *line; line = strchr(line, '\n'), line += !!line) {
        if (strncmp(line, key, klen) != 0)
            continue;
        const char *p = line + klen;
        while (*p == ' ')
            p++;
        if (*p++ != '=')
            continue;
        while (*p == ' ')
            p++;
        int quoted = *p == '"';
        p += quoted;
        size_t n = 0;
        while (p[n] && p[n] != '\n' && !(quoted && p[n] == '"'))
            n++;
        if (n >= outlen)
            return -1;
        memcpy(out, p, n);
        out[n] = '\0';
        return 0;
    }
    return -1;
}

static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return 0;
    return 1;
}

/* "60 00 C2 9x xx xx xx xx-xx xx xx xx xx xx xx xx" */
static int is_vmware_uuid(const char *s)
{
    if (strlen(s) != 47 || strncmp(s, "60 00 C2 9", 9) != 0)
        return 0;
    for (size_t i = 0; i < 16; i++) {
        const char *b = s + 3 * i;
        if (!isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1]))
            return 0;
        if (i < 15 && b[2] != (i == 7 ? '-' : ' '))
            return 0;
    }
    return 1;
}

/* The independent layout computation for a capacity, in sectors. */
typedef struct expect {
    uint64_t num_gts, gd_sectors, rgd, gd, overhead;
} expect;

static expect expected_layout(uint64_t capacity)
{
    expect e;
    e.num_gts = (capacity + 65535) / 65536;
    e.gd_sectors = (e.num_gts * 4 + 511) / 512;
    e.rgd = 21;
    e.gd = 21 + e.gd_sectors + e.num_gts * 4;
    e.overhead = (e.gd + e.gd_sectors + e.num_gts * 4 + 127) / 128 * 128;
    return e;
}

/* Checks header, directories and file length of a fresh disk. */
static int verify_layout(const char *path, uint64_t bytes, char *why, size_t wl)
{
    kdmv h;
    uint64_t cap = (bytes + 511) / 512;
    expect e = expected_layout(cap);
    if (read_header(path, &h) != 0)
        return snprintf(why, wl, "header unreadable or padding not zero"), -1;
    if (strcmp(h.magic, "KDMV") != 0 || h.version != 1 || h.flags != 3 || h.capacity != cap ||
        h.grain != 128 || h.desc_offset != 1 || h.desc_size != 20 || h.gtes_per_gt != 512 ||
        h.rgd != e.rgd || h.gd != e.gd || h.overhead != e.overhead || h.unclean != 0 ||
        memcmp(h.nl, "\n \r\n", 4) != 0 || h.compress != 0)
        return snprintf(
                   why, wl,
                   "header fields: magic %s v%u flags %u cap %llu grain %llu rgd %llu gd %llu "
                   "overhead %llu nl %02x%02x%02x%02x unclean %u compress %u (expected cap %llu "
                   "rgd %llu gd %llu overhead %llu)",
                   h.magic, h.version, h.flags, (unsigned long long)h.capacity,
                   (unsigned long long)h.grain, (unsigned long long)h.rgd, (unsigned long long)h.gd,
                   (unsigned long long)h.overhead, h.nl[0], h.nl[1], h.nl[2], h.nl[3], h.unclean,
                   h.compress, (unsigned long long)cap, (unsigned long long)e.rgd,
                   (unsigned long long)e.gd, (unsigned long long)e.overhead),
               -1;
    struct stat st;
    if (stat(path, &st) != 0 || (uint64_t)st.st_size != e.overhead * 512)
        return snprintf(why, wl, "file length %lld, expected overHead*512 = %llu",
                        (long long)st.st_size, (unsigned long long)(e.overhead * 512)),
               -1;

    /* Both directories point at consecutive grain tables right behind them,
     * the unused tail of their last sector is zero, and the tables are zero. */
    const uint64_t dirs[2] = {e.rgd, e.gd};
    size_t dlen = (size_t)(e.gd_sectors * 512), tlen = (size_t)(e.num_gts * 2048);
    unsigned char *dir = malloc(dlen), *tables = malloc(tlen);
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        if (read_at(path, dir, dlen, dirs[k] * 512) != 0 ||
            read_at(path, tables, tlen, (dirs[k] + e.gd_sectors) * 512) != 0) {
            rc = -1;
            snprintf(why, wl, "directory %d unreadable", k);
            break;
        }
        for (uint64_t i = 0; i < e.num_gts; i++) {
            if (le32(dir + 4 * i) != dirs[k] + e.gd_sectors + 4 * i) {
                rc = -1;
                snprintf(why, wl, "directory %d entry %llu = %u", k, (unsigned long long)i,
                         le32(dir + 4 * i));
                break;
            }
        }
        for (size_t i = (size_t)e.num_gts * 4; rc == 0 && i < dlen; i++)
            if (dir[i])
                rc = -1, snprintf(why, wl, "directory %d padding not zero", k);
        for (size_t i = 0; rc == 0 && i < tlen; i++)
            if (tables[i])
                rc = -1, snprintf(why, wl, "grain table byte %zu of copy %d not zero", i, k);
    }
    free(dir);
    free(tables);
    return rc;
}

/* qemu-img check passes and qemu-img info agrees on format, size and type. */
static int verify_with_qemu(const char *path, uint64_t bytes, char *why, size_t wl)
{
    char *out = NULL;
    int st = run(&out, "qemu-img check '%s'", path);
    if (st != 0) {
        snprintf(why, wl, "qemu-img check exited %d: %.300s", st, out);
        free(out);
        return -1;
    }
    free(out);
    st = run(&out, "qemu-img info --output=json '%s'", path);
    char size[64];
    snprintf(size, sizeof(size), "\"virtual-size\": %llu,",
             (unsigned long long)((bytes + 511) / 512 * 512));
    int ok = st == 0 && strstr(out, "\"format\": \"vmdk\"") && strstr(out, size) &&
             strstr(out, "\"create-type\": \"monolithicSparse\"") && !strstr(out, "corrupt");
    if (!ok)
        snprintf(why, wl, "qemu-img info (exit %d) unexpected: %.400s", st, out);
    free(out);
    return ok ? 0 : -1;
}

/* Creates DIR/NAME and runs all the checks above on it. */
static int create_and_verify(const char *name, uint64_t bytes, char *why, size_t wl)
{
    char *dir = make_dir();
    if (!dir)
        return snprintf(why, wl, "mkdtemp failed"), -1;
    char *path = join(dir, name);
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_vmdk_create_sparse(path, bytes, "lsilogic", &err);
    if (rc != VN_OK) {
        snprintf(why, wl, "create failed: %d %.300s: %.600s", rc, err.where, err.msg);
        rc = -1;
    } else if (verify_layout(path, bytes, why, wl) == 0 &&
               verify_with_qemu(path, bytes, why, wl) == 0) {
        rc = count_entries(dir) == 1 ? 0 : (snprintf(why, wl, "temporary files left behind"), -1);
    } else {
        rc = -1;
    }
    free(path);
    remove_dir(dir);
    return rc;
}

static int create_in(const char *dir, const char *name, uint64_t bytes, const char *adapter,
                     vn_error *err, char **path_out)
{
    char *path = join(dir, name);
    vn_error_clear(err);
    int rc = vn_vmdk_create_sparse(path, bytes, adapter, err);
    if (path_out)
        *path_out = path;
    else
        free(path);
    return rc;
}

/* ---- tests against qemu ---- */

TEST(qemu_1mib_check_info_and_zero_content)
{
    NEED_QEMU();
    char why[1024];
    if (create_and_verify("small.vmdk", 1 * MiB, why, sizeof(why)) != 0)
        FAILF("%s", why);

    /* Converting to raw must yield exactly 1 MiB of zeros. */
    char *dir = make_dir(), *path = NULL, *out = NULL;
    vn_error err;
    CHECK_INT(create_in(dir, "small.vmdk", 1 * MiB, "lsilogic", &err, &path), VN_OK);
    char *raw = join(dir, "small.raw");
    int st = run(&out, "qemu-img convert -O raw '%s' '%s'", path, raw);
    if (st != 0)
        FAILF("qemu-img convert exited %d: %s", st, out);
    free(out);
    struct stat sb;
    CHECK(stat(raw, &sb) == 0 && sb.st_size == (off_t)MiB);
    unsigned char *buf = calloc(1, MiB);
    CHECK(read_at(raw, buf, MiB, 0) == 0);
    size_t nonzero = 0;
    for (size_t i = 0; i < MiB; i++)
        nonzero += buf[i] != 0;
    CHECK_INT(nonzero, 0);
    free(buf);
    free(raw);
    free(path);
    remove_dir(dir);
}

TEST(qemu_40gib)
{
    NEED_QEMU();
    char why[1024];
    if (create_and_verify("forty.vmdk", 40 * GiB, why, sizeof(why)) != 0)
        FAILF("%s", why);
}

/* 3.5 GiB is not a multiple of the 32 MiB a grain table covers. */
TEST(qemu_3_5gib_partial_table)
{
    NEED_QEMU();
    char why[1024];
    if (create_and_verify("odd.vmdk", 3 * GiB + 512 * MiB, why, sizeof(why)) != 0)
        FAILF("%s", why);
}

TEST(qemu_1tib_and_stays_small)
{
    NEED_QEMU();
    char why[1024];
    if (create_and_verify("big.vmdk", 1 * TiB, why, sizeof(why)) != 0)
        FAILF("%s", why);

    /* The grain tables (64 MiB per copy) are holes: the file is metadata only. */
    char *dir = make_dir(), *path = NULL;
    vn_error err;
    CHECK_INT(create_in(dir, "big.vmdk", 1 * TiB, "lsilogic", &err, &path), VN_OK);
    kdmv h;
    struct stat st;
    CHECK(read_header(path, &h) == 0);
    CHECK(stat(path, &st) == 0);
    CHECK_INT(st.st_size, h.overhead * 512);
    CHECK((uint64_t)st.st_size > 128 * MiB); /* two copies of 64 MiB of tables */
    if ((uint64_t)st.st_blocks * 512 >= 32 * MiB)
        FAILF("1 TiB disk uses %llu bytes on disk, expected holes (< 32 MiB)",
              (unsigned long long)st.st_blocks * 512);
    free(path);
    remove_dir(dir);
}

TEST(qemu_2tib_is_the_maximum)
{
    NEED_QEMU();
    char why[1024];
    if (create_and_verify("max.vmdk", 2 * TiB, why, sizeof(why)) != 0)
        FAILF("%s", why);
    char *dir = make_dir();
    vn_error err;
    CHECK_INT(create_in(dir, "over.vmdk", 2 * TiB + 1, "lsilogic", &err, NULL), VN_EINPUT);
    CHECK(strstr(err.msg, "too large") != NULL);
    CHECK_INT(count_entries(dir), 0);
    remove_dir(dir);
}

/* A size that is not a whole number of sectors is rounded up. */
TEST(qemu_size_rounded_to_sector)
{
    NEED_QEMU();
    char why[1024];
    if (create_and_verify("tiny.vmdk", 1000, why, sizeof(why)) != 0)
        FAILF("%s", why);
}

/* Same header bytes and directory positions as qemu-img's own creation. */
TEST(layout_matches_qemu_img_create)
{
    NEED_QEMU();
    const uint64_t sizes[] = {1 * MiB, 3 * GiB + 512 * MiB, 40 * GiB};
    char *dir = make_dir();
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char name[64], *ours = NULL, *out = NULL;
        snprintf(name, sizeof(name), "ours%zu.vmdk", i);
        vn_error err;
        CHECK_INT(create_in(dir, name, sizes[i], "lsilogic", &err, &ours), VN_OK);
        char *theirs = join(dir, "theirs.vmdk");
        unlink(theirs);
        int st = run(&out, "qemu-img create -q -f vmdk -o subformat=monolithicSparse '%s' %llu",
                     theirs, (unsigned long long)sizes[i]);
        if (st != 0)
            FAILF("qemu-img create exited %d: %s", st, out);
        free(out);
        unsigned char a[512], b[512];
        CHECK(read_at(ours, a, 512, 0) == 0 && read_at(theirs, b, 512, 0) == 0);
        if (memcmp(a, b, 512) != 0)
            FAILF("header of a %llu-byte disk differs from qemu-img's",
                  (unsigned long long)sizes[i]);
        struct stat sa, sb;
        CHECK(stat(ours, &sa) == 0 && stat(theirs, &sb) == 0);
        CHECK_INT(sa.st_size, sb.st_size);
        kdmv h;
        CHECK(read_header(ours, &h) == 0);
        unsigned char da[512], db[512];
        CHECK(read_at(ours, da, 512, h.gd * 512) == 0 && read_at(theirs, db, 512, h.gd * 512) == 0);
        CHECK(memcmp(da, db, 512) == 0);
        CHECK(read_at(ours, da, 512, h.rgd * 512) == 0 &&
              read_at(theirs, db, 512, h.rgd * 512) == 0);
        CHECK(memcmp(da, db, 512) == 0);
        free(theirs);
        free(ours);
    }
    remove_dir(dir);
}

/* qemu-io can write grains into the new disk (first and last grain, through
 * both directories) and read them back; the result still checks clean. */
TEST(qemu_io_write_read_back)
{
    NEED_QEMU();
    if (!have_tool("qemu-io"))
        SKIP("qemu-io not installed (apt-get install qemu-utils)");
    char *dir = make_dir(), *path = NULL, *out = NULL;
    vn_error err;
    uint64_t bytes = 3 * GiB + 512 * MiB;
    CHECK_INT(create_in(dir, "rw.vmdk", bytes, "lsilogic", &err, &path), VN_OK);
    int st =
        run(&out,
            "qemu-io -f vmdk -c 'write -P 0xab 0 64k' -c 'write -P 0xcd %llu 64k' "
            "-c 'read -P 0xab 0 64k' -c 'read -P 0xcd %llu 64k' -c 'read -P 0 64k 64k' '%s'",
            (unsigned long long)(bytes - 64 * KiB), (unsigned long long)(bytes - 64 * KiB), path);
    if (st != 0 || strstr(out, "Pattern verification failed") || strstr(out, "error"))
        FAILF("qemu-io exited %d: %s", st, out);
    free(out);
    st = run(&out, "qemu-img check '%s'", path);
    if (st != 0)
        FAILF("qemu-img check after writes exited %d: %s", st, out);
    free(out);
    free(path);
    remove_dir(dir);
}

/* ---- tests of our own output ---- */

TEST(descriptor_content)
{
    char *dir = make_dir(), *path = NULL;
    vn_error err;
    CHECK_INT(create_in(dir, "disk one.vmdk", 3 * GiB + 512 * MiB, "lsilogic", &err, &path), VN_OK);
    char *d = read_descriptor(path);
    if (!d) {
        FAILF("descriptor unreadable or not NUL-padded");
        free(path);
        remove_dir(dir);
        return;
    }
    const char *head = "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=";
    CHECK(strncmp(d, head, strlen(head)) == 0);
    CHECK(strstr(d, "\nparentCID=ffffffff\ncreateType=\"monolithicSparse\"\n") != NULL);
    CHECK(strstr(d, "\n# Extent description\nRW 7340032 SPARSE \"disk one.vmdk\"\n") != NULL);
    CHECK(strstr(d, "\n# The Disk Data Base\n#DDB\n") != NULL);
    CHECK(strstr(d, "\r") == NULL);
    char cid[64], v[128];
    CHECK(desc_value(d, "CID", cid, sizeof(cid)) == 0 && is_hex(cid, 8));
    CHECK(desc_value(d, "ddb.adapterType", v, sizeof(v)) == 0 && strcmp(v, "lsilogic") == 0);
    /* ceil(7340032 / (255 * 63)) */
    CHECK(desc_value(d, "ddb.geometry.cylinders", v, sizeof(v)) == 0 && strcmp(v, "457") == 0);
    CHECK(desc_value(d, "ddb.geometry.heads", v, sizeof(v)) == 0 && strcmp(v, "255") == 0);
    CHECK(desc_value(d, "ddb.geometry.sectors", v, sizeof(v)) == 0 && strcmp(v, "63") == 0);
    CHECK(desc_value(d, "ddb.virtualHWVersion", v, sizeof(v)) == 0 && strcmp(v, "4") == 0);
    CHECK(desc_value(d, "ddb.longContentID", v, sizeof(v)) == 0 && is_hex(v, 32) &&
          strcmp(v + 24, cid) == 0);
    CHECK(desc_value(d, "ddb.uuid", v, sizeof(v)) == 0 && is_vmware_uuid(v));
    if (have_tool("qemu-img")) {
        /* qemu reads the same CID. */
        char *out = NULL, want[64];
        run(&out, "qemu-img info --output=json '%s'", path);
        snprintf(want, sizeof(want), "\"cid\": %lu,", strtoul(cid, NULL, 16));
        if (!strstr(out, want))
            FAILF("qemu-img info does not show %s: %s", want, out);
        free(out);
    }
    free(d);
    free(path);
    remove_dir(dir);
}

TEST(cylinders_capped_at_65535)
{
    char *dir = make_dir(), *path = NULL;
    vn_error err;
    CHECK_INT(create_in(dir, "c.vmdk", 1 * TiB, "buslogic", &err, &path), VN_OK);
    char *d = read_descriptor(path), v[64];
    CHECK(d && desc_value(d, "ddb.geometry.cylinders", v, sizeof(v)) == 0 &&
          strcmp(v, "65535") == 0);
    CHECK(d && desc_value(d, "ddb.adapterType", v, sizeof(v)) == 0 && strcmp(v, "buslogic") == 0);
    free(d);
    free(path);
    remove_dir(dir);
}

TEST(adapters)
{
    static const struct {
        const char *in, *written, *heads, *cylinders;
    } cases[] = {
        {"lsilogic", "lsilogic", "255", "1"},
        {"buslogic", "buslogic", "255", "1"},
        {"ide", "ide", "16", "3"}, /* ceil(2048 / (16 * 63)) */
        {"legacyESX", "legacyESX", "255", "1"},
        {"pvscsi", "lsilogic", "255", "1"},
    };
    char *dir = make_dir();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[64], *path = NULL, v[64];
        snprintf(name, sizeof(name), "a%zu.vmdk", i);
        vn_error err;
        int rc = create_in(dir, name, 1 * MiB, cases[i].in, &err, &path);
        if (rc != VN_OK) {
            FAILF("adapter %s refused: %s", cases[i].in, err.msg);
            free(path);
            continue;
        }
        char *d = read_descriptor(path);
        if (!d || desc_value(d, "ddb.adapterType", v, sizeof(v)) != 0 ||
            strcmp(v, cases[i].written) != 0)
            FAILF("adapter %s written as %s, expected %s", cases[i].in, d ? v : "?",
                  cases[i].written);
        CHECK(d && desc_value(d, "ddb.geometry.heads", v, sizeof(v)) == 0 &&
              strcmp(v, cases[i].heads) == 0);
        CHECK(d && desc_value(d, "ddb.geometry.cylinders", v, sizeof(v)) == 0 &&
              strcmp(v, cases[i].cylinders) == 0);
        free(d);
        free(path);
    }
    remove_dir(dir);
}

TEST(two_disks_get_different_ids)
{
    char *dir = make_dir(), *p1 = NULL, *p2 = NULL;
    vn_error err;
    CHECK_INT(create_in(dir, "one.vmdk", 1 * MiB, "lsilogic", &err, &p1), VN_OK);
    CHECK_INT(create_in(dir, "two.vmdk", 1 * MiB, "lsilogic", &err, &p2), VN_OK);
    char *d1 = read_descriptor(p1), *d2 = read_descriptor(p2);
    const char *keys[] = {"CID", "ddb.uuid", "ddb.longContentID"};
    for (size_t i = 0; d1 && d2 && i < 3; i++) {
        char a[128], b[128];
        CHECK(desc_value(d1, keys[i], a, sizeof(a)) == 0);
        CHECK(desc_value(d2, keys[i], b, sizeof(b)) == 0);
        if (strcmp(a, b) == 0)
            FAILF("%s is the same in both disks: %s", keys[i], a);
    }
    CHECK(d1 && d2);
    free(d1);
    free(d2);
    free(p1);
    free(p2);
    remove_dir(dir);
}

/* ---- refusals ---- */

TEST(existing_path_refused_and_untouched)
{
    char *dir = make_dir(), *path = join(dir, "taken.vmdk");
    FILE *f = fopen(path, "w");
    fputs("precious", f);
    fclose(f);
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_vmdk_create_sparse(path, 1 * MiB, "lsilogic", &err), VN_EINPUT);
    CHECK(strstr(err.msg, "already exists (refusing to overwrite)") != NULL);
    CHECK_STR(err.where, path);
    char buf[64] = {0};
    CHECK(read_at(path, buf, 8, 0) == 0 && memcmp(buf, "precious", 8) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 8);
    CHECK_INT(count_entries(dir), 1);

    /* A dangling symlink is a name in use too: writing through it would
     * create a file somewhere else. */
    char *link_path = join(dir, "link.vmdk");
    CHECK(symlink("nowhere.vmdk", link_path) == 0);
    CHECK_INT(vn_vmdk_create_sparse(link_path, 1 * MiB, "lsilogic", &err), VN_EINPUT);
    CHECK_INT(count_entries(dir), 2);
    free(link_path);
    free(path);
    remove_dir(dir);
}

TEST(bad_adapter_refused)
{
    char *dir = make_dir();
    vn_error err;
    CHECK_INT(create_in(dir, "x.vmdk", 1 * MiB, "virtio", &err, NULL), VN_EINPUT);
    CHECK(strstr(err.msg, "unknown adapter type") != NULL);
    CHECK(strstr(err.msg, "virtio") != NULL);
    CHECK_INT(create_in(dir, "x.vmdk", 1 * MiB, "", &err, NULL), VN_EINPUT);
    CHECK_INT(create_in(dir, "x.vmdk", 1 * MiB, NULL, &err, NULL), VN_EINPUT);
    CHECK_INT(count_entries(dir), 0);
    remove_dir(dir);
}

TEST(zero_size_refused)
{
    char *dir = make_dir();
    vn_error err;
    CHECK_INT(create_in(dir, "x.vmdk", 0, "lsilogic", &err, NULL), VN_EINPUT);
    CHECK(err.msg[0] != '\0');
    CHECK_INT(count_entries(dir), 0);
    remove_dir(dir);
}

TEST(unwritable_names_refused)
{
    char *dir = make_dir();
    vn_error err;
    CHECK_INT(create_in(dir, "a\"b.vmdk", 1 * MiB, "lsilogic", &err, NULL), VN_EINPUT);
    CHECK_INT(create_in(dir, "a\nb.vmdk", 1 * MiB, "lsilogic", &err, NULL), VN_EINPUT);
    CHECK_INT(create_in(dir, "", 1 * MiB, "lsilogic", &err, NULL), VN_EINPUT);
    CHECK_INT(count_entries(dir), 0);
    remove_dir(dir);
}

TEST(missing_directory_is_runtime_error)
{
    char *dir = make_dir(), *path = join(dir, "no/such/dir/x.vmdk");
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_vmdk_create_sparse(path, 1 * MiB, "lsilogic", &err), VN_ERUNTIME);
    CHECK(strstr(err.msg, strerror(ENOENT)) != NULL);
    CHECK_INT(count_entries(dir), 0);
    free(path);
    remove_dir(dir);
}

/* A failure after the temporary file exists (here: the file size limit
 * makes ftruncate fail) is a runtime error and leaves nothing behind. */
TEST(write_failure_leaves_nothing)
{
    char *dir = make_dir(), *path = join(dir, "x.vmdk");
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {1 * MiB, 1 * MiB};
        signal(SIGXFSZ, SIG_IGN); /* get EFBIG instead of being killed */
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        vn_error err;
        vn_error_clear(&err);
        int rc = vn_vmdk_create_sparse(path, 40 * GiB, "lsilogic", &err);
        if (rc != VN_ERUNTIME)
            _exit(11);
        _exit(strstr(err.msg, strerror(EFBIG)) && strcmp(err.where, path) == 0 ? 0 : 12);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), 0);
    CHECK_INT(count_entries(dir), 0);
    free(path);
    remove_dir(dir);
}

/* Many processes creating the same disk at once: exactly one wins, the
 * rest are refused, and the winner's file is intact. */
TEST(concurrent_creation_has_one_winner)
{
    enum { N = 8 };
    char *dir = make_dir(), *path = join(dir, "race.vmdk");
    pid_t pids[N];
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char go;
            close(pipefd[1]);
            if (read(pipefd[0], &go, 1) < 0) /* start together when the pipe closes */
                _exit(9);
            vn_error err;
            vn_error_clear(&err);
            _exit(vn_vmdk_create_sparse(path, 40 * GiB, "lsilogic", &err));
        }
    }
    close(pipefd[0]);
    close(pipefd[1]);
    int won = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        int st = 0;
        waitpid(pids[i], &st, 0);
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        won += code == VN_OK;
        refused += code == VN_EINPUT;
    }
    CHECK_INT(won, 1);
    CHECK_INT(refused, N - 1);
    CHECK_INT(count_entries(dir), 1);
    char why[1024];
    if (verify_layout(path, 40 * GiB, why, sizeof(why)) != 0)
        FAILF("%s", why);
    free(path);
    remove_dir(dir);
}

int main(void)
{
    RUN(qemu_1mib_check_info_and_zero_content);
    RUN(qemu_40gib);
    RUN(qemu_3_5gib_partial_table);
    RUN(qemu_1tib_and_stays_small);
    RUN(qemu_2tib_is_the_maximum);
    RUN(qemu_size_rounded_to_sector);
    RUN(layout_matches_qemu_img_create);
    RUN(qemu_io_write_read_back);
    RUN(descriptor_content);
    RUN(cylinders_capped_at_65535);
    RUN(adapters);
    RUN(two_disks_get_different_ids);
    RUN(existing_path_refused_and_untouched);
    RUN(bad_adapter_refused);
    RUN(zero_size_refused);
    RUN(unwritable_names_refused);
    RUN(missing_directory_is_runtime_error);
    RUN(write_failure_leaves_nothing);
    RUN(concurrent_creation_has_one_winner);
    TH_EXIT();
}
