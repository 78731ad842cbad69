/* Tests for vn_gpt: tables made by the real peer, sgdisk (gdisk), with the
 * ESXi 6.7 and 7.0/8.0 layouts of formats.md 2.2/2.3 at their exact
 * sectors; what vn_gpt reads is compared with `sgdisk -i`, and what it
 * writes must pass `sgdisk -v`. */
#define TH_SUITE "gpt"
#include "harness.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "vn_gpt.h"

#define NEED_SGDISK()                                                                              \
    do {                                                                                           \
        if (!have_tool("sgdisk"))                                                                  \
            SKIP("sgdisk not installed (apt-get install gdisk)");                                  \
    } while (0)

/* ---- helpers ---- */

static char dir[4096];
static char img[4200];

static void new_image(const char *size)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/vnest-gpt-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(img, sizeof(img), "%s/disk.img", dir);
    run(NULL, "truncate -s %s %s", size, img);
}

static void drop_image(void)
{
    run(NULL, "rm -rf '%s'", dir);
}

static const char *L67 =
    "-n 1:64:8191 -t 1:" VN_GPT_TYPE_ESP " -n 5:8224:520191 -t 5:" VN_GPT_TYPE_BASIC_DATA
    " -n 6:520224:1032191 -t 6:" VN_GPT_TYPE_BASIC_DATA
    " -n 7:1032224:1257471 -t 7:" VN_GPT_TYPE_VMKDIAG
    " -n 8:1257504:1843199 -t 8:" VN_GPT_TYPE_BASIC_DATA
    " -n 9:1843200:7086079 -t 9:" VN_GPT_TYPE_VMKDIAG
    " -n 2:7086080:15472639 -t 2:" VN_GPT_TYPE_BASIC_DATA " -n 3:15472640:0 -t 3:" VN_GPT_TYPE_VMFS;

static const char *L70 =
    "-n 1:64:204863 -t 1:" VN_GPT_TYPE_ESP " -c '1:system boot' -n 5:208896:8595455 -t "
    "5:" VN_GPT_TYPE_BASIC_DATA " -c 5:BOOTBANK1 -n 6:8597504:16984063 -t 6:" VN_GPT_TYPE_BASIC_DATA
    " -c 6:BOOTBANK2 -n 7:16986112:268435455 -t 7:" VN_GPT_TYPE_VMFSL
    " -c 7:OSDATA -n 8:268437504:0 -t 8:" VN_GPT_TYPE_VMFS;

static int make_layout(const char *size, const char *spec)
{
    new_image(size);
    return run(NULL, "sgdisk -a 1 %s %s", spec, img);
}

static vn_gpt *open_gpt(const char *fn, int line, vn_blk **b, int writable)
{
    vn_error err;
    vn_gpt *g = NULL;
    if (vn_blk_open_raw(img, writable, b, &err) != VN_OK) {
        fail_in(fn, line, "open: %s", err.msg);
        return NULL;
    }
    if (vn_gpt_read(*b, &g, &err) != VN_OK) {
        fail_in(fn, line, "vn_gpt_read: %s", err.msg);
        vn_blk_close(*b);
        *b = NULL;
    }
    return g;
}

/* The value after "label: " on a line of `sgdisk -i` output. */
static int field(const char *text, const char *label, char *out, size_t n)
{
    const char *p = strstr(text, label);
    if (!p)
        return -1;
    p += strlen(label);
    size_t k = strcspn(p, " \n");
    if (*p == '\'') {
        p++;
        k = strcspn(p, "'");
    }
    snprintf(out, n, "%.*s", (int)k, p);
    return 0;
}

/* Every partition as sgdisk sees it equals what vn_gpt reads. */
static void compare_with_sgdisk(const char *fn, const vn_gpt *g)
{
    for (size_t i = 0; i < vn_gpt_count(g); i++) {
        const vn_gpt_part *p = vn_gpt_part_at(g, i);
        char *out = NULL, type[64], uuid[64], first[32], last[32], name[128], mine[40];
        run(&out, "sgdisk -i %u %s", p->number, img);
        if (field(out, "Partition GUID code: ", type, sizeof(type)) ||
            field(out, "Partition unique GUID: ", uuid, sizeof(uuid)) ||
            field(out, "First sector: ", first, sizeof(first)) ||
            field(out, "Last sector: ", last, sizeof(last)) ||
            field(out, "Partition name: ", name, sizeof(name))) {
            fail_in(fn, __LINE__, "unexpected sgdisk -i output: %s", out);
            free(out);
            return;
        }
        vn_gpt_guid_str(p->guid, mine);
        if (strcmp(type, p->type_str) || strcmp(uuid, mine) ||
            strtoull(first, NULL, 10) != p->first_lba || strtoull(last, NULL, 10) != p->last_lba ||
            strcmp(name, p->name))
            fail_in(fn, __LINE__,
                    "partition %u: sgdisk says %s %s %s-%s '%s', vn_gpt %s %s %llu-%llu '%s'",
                    p->number, type, uuid, first, last, name, p->type_str, mine,
                    (unsigned long long)p->first_lba, (unsigned long long)p->last_lba, p->name);
        free(out);
    }
}

static int sgdisk_clean(void)
{
    char *out = NULL;
    run(&out, "sgdisk -v %s", img);
    int ok = strstr(out, "No problems found") != NULL;
    if (!ok)
        printf("     sgdisk -v: %s\n", out);
    free(out);
    return ok;
}

/* Flips one byte of the image. */
static void flip(uint64_t off)
{
    int fd = open(img, O_RDWR);
    unsigned char c;
    if (pread(fd, &c, 1, (off_t)off) == 1) {
        c ^= 0x5A;
        if (pwrite(fd, &c, 1, (off_t)off) != 1)
            abort();
    }
    close(fd);
}

/* ---- tests ---- */

TEST(esxi67_layout)
{
    NEED_SGDISK();
    if (make_layout("8G", L67) != 0) {
        FAILF("sgdisk could not create the 6.7 layout");
        drop_image();
        return;
    }
    vn_blk *b;
    vn_gpt *g = open_gpt(__func__, __LINE__, &b, 0);
    if (g) {
        CHECK_INT(vn_gpt_kind(g), VN_PT_GPT);
        CHECK_INT(vn_gpt_problem_count(g), 0);
        CHECK_INT(vn_gpt_count(g), 8);
        /* Entry order, not disk order: 1,2,3,5,6,7,8,9. */
        CHECK_INT(vn_gpt_part_at(g, 1)->number, 2);
        CHECK_STR(vn_gpt_find(g, 3)->type_name, "VMFS");
        CHECK_INT(vn_gpt_find(g, 3)->first_lba, 15472640);
        CHECK_INT(vn_gpt_find(g, 3)->last_lba, vn_gpt_last_usable(g));
        CHECK_STR(vn_gpt_find(g, 5)->type_name, "basic data");
        CHECK_STR(vn_gpt_find(g, 7)->type_name, "vmkDiagnostic");
        CHECK_STR(vn_gpt_find(g, 1)->type_name, "EFI system");
        CHECK_INT(vn_gpt_find(g, 9)->last_lba, 7086079);
        CHECK(vn_gpt_find(g, 4) == NULL);
        compare_with_sgdisk(__func__, g);
        CHECK(b->bytes_read < 64 * 1024);
        vn_gpt_free(g);
        vn_blk_close(b);
    }
    drop_image();
}

TEST(esxi70_layout_delete_vmfs)
{
    NEED_SGDISK();
    if (make_layout("140G", L70) != 0) {
        FAILF("sgdisk could not create the 7.0 layout");
        drop_image();
        return;
    }
    vn_blk *b;
    vn_gpt *g = open_gpt(__func__, __LINE__, &b, 1);
    if (!g) {
        drop_image();
        return;
    }
    CHECK_INT(vn_gpt_problem_count(g), 0);
    CHECK_INT(vn_gpt_count(g), 5);
    CHECK_STR(vn_gpt_find(g, 5)->name, "BOOTBANK1");
    CHECK_STR(vn_gpt_find(g, 1)->name, "system boot");
    CHECK_STR(vn_gpt_find(g, 7)->type_name, "VMFS-L");
    CHECK_STR(vn_gpt_find(g, 8)->type_name, "VMFS");
    compare_with_sgdisk(__func__, g);

    vn_error err;
    uint64_t before = b->bytes_written;
    CHECK_INT(vn_gpt_set_entry(g, b, 8, NULL, &err), VN_OK);
    CHECK_INT(b->bytes_written - before, 2 * (16384 + 512));
    CHECK_INT(vn_gpt_count(g), 4);
    vn_gpt_free(g);
    vn_blk_close(b);
    CHECK(sgdisk_clean());
    char *out = NULL;
    run(&out, "sgdisk -p %s", img);
    CHECK(strstr(out, "BOOTBANK2") != NULL);
    CHECK(strstr(out, "268437504") == NULL);
    free(out);
    run(&out, "sgdisk -i 8 %s", img);
    CHECK(strstr(out, "does not exist") != NULL);
    free(out);

    /* Re-read: healthy, four partitions left. */
    g = open_gpt(__func__, __LINE__, &b, 1);
    if (g) {
        CHECK_INT(vn_gpt_problem_count(g), 0);
        CHECK_INT(vn_gpt_count(g), 4);
        /* Add it back under a new name: sgdisk sees the edit. */
        vn_gpt_part p;
        memset(&p, 0, sizeof(p));
        vn_gpt_guid_parse(VN_GPT_TYPE_VMFS, p.type);
        vn_gpt_guid_parse("01234567-89AB-CDEF-0123-456789ABCDEF", p.guid);
        p.first_lba = 268437504;
        p.last_lba = vn_gpt_last_usable(g);
        snprintf(p.name, sizeof(p.name), "datastore1 \xc3\xa9");
        CHECK_INT(vn_gpt_set_entry(g, b, 8, &p, &err), VN_OK);
        /* An overlapping entry is refused and nothing is written. */
        p.first_lba = 16984063;
        before = b->bytes_written;
        CHECK_INT(vn_gpt_set_entry(g, b, 9, &p, &err), VN_EINPUT);
        CHECK(strstr(err.msg, "overlap") != NULL);
        CHECK_INT(b->bytes_written, before);
        compare_with_sgdisk(__func__, g);
        vn_gpt_free(g);
        vn_blk_close(b);
        CHECK(sgdisk_clean());
    }
    drop_image();
}

TEST(corrupt_primary_header)
{
    NEED_SGDISK();
    if (make_layout("140G", L70) != 0) {
        FAILF("sgdisk failed");
        drop_image();
        return;
    }
    flip(512 + 40); /* first usable LBA, covered by the header CRC */
    vn_blk *b;
    vn_gpt *g = open_gpt(__func__, __LINE__, &b, 1);
    if (g) {
        CHECK(vn_gpt_problem_count(g) >= 1);
        CHECK(strstr(vn_gpt_problem(g, 0), "primary header: CRC mismatch") != NULL);
        CHECK_INT(vn_gpt_count(g), 5); /* from the backup */
        CHECK_INT(vn_gpt_find(g, 6)->first_lba, 8597504);
        vn_error err;
        CHECK_INT(vn_gpt_set_entry(g, b, 8, NULL, &err), VN_EINPUT);
        CHECK(strstr(err.msg, "repair") != NULL);
        vn_gpt_free(g);
        vn_blk_close(b);
    }
    /* sgdisk agrees (it says "No problems found" about the partitions it
     * loaded from the backup, but reports the main header as broken). */
    char *out = NULL;
    run(&out, "sgdisk -v %s", img);
    CHECK(strstr(out, "Main header: ERROR") != NULL);
    free(out);

    /* Both headers gone: nothing left to read. */
    flip(140ull * 1024 * 1024 * 1024 - 512 + 40);
    vn_error err;
    CHECK_INT(vn_blk_open_raw(img, 0, &b, &err), VN_OK);
    CHECK_INT(vn_gpt_read(b, &g, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "no valid GPT header") != NULL);
    CHECK(g == NULL);
    vn_blk_close(b);
    drop_image();
}

TEST(corrupt_entry_array)
{
    NEED_SGDISK();
    if (make_layout("140G", L70) != 0) {
        FAILF("sgdisk failed");
        drop_image();
        return;
    }
    flip(1024 + 4 * 128 + 60); /* name of entry 5 in the primary array */
    vn_blk *b;
    vn_gpt *g = open_gpt(__func__, __LINE__, &b, 0);
    if (g) {
        CHECK(strstr(vn_gpt_problem(g, 0), "primary entry array: CRC mismatch") != NULL);
        CHECK_STR(vn_gpt_find(g, 5)->name, "BOOTBANK1");
        vn_gpt_free(g);
        vn_blk_close(b);
    }
    char *out = NULL;
    run(&out, "sgdisk -v %s", img);
    CHECK(strstr(out, "Main partition table: ERROR") != NULL);
    free(out);
    drop_image();
}

/* Rewrites entry `n`'s first LBA in both arrays and fixes every CRC, so
 * only the overlap is wrong. */
static void forge_first_lba(unsigned n, uint64_t lba, uint64_t last_lba)
{
    int fd = open(img, O_RDWR);
    uint64_t hdrs[2] = {1, last_lba};
    for (int c = 0; c < 2; c++) {
        unsigned char h[512], arr[16384];
        if (pread(fd, h, 512, (off_t)(hdrs[c] * 512)) != 512)
            abort();
        uint64_t ents = 0;
        memcpy(&ents, h + 72, 8); /* little-endian host assumed by the test */
        if (pread(fd, arr, sizeof(arr), (off_t)(ents * 512)) != (ssize_t)sizeof(arr))
            abort();
        memcpy(arr + (n - 1) * 128 + 32, &lba, 8);
        uint32_t ac = (uint32_t)crc32(0, arr, sizeof(arr));
        memcpy(h + 88, &ac, 4);
        memset(h + 16, 0, 4);
        uint32_t hc = (uint32_t)crc32(0, h, 92);
        memcpy(h + 16, &hc, 4);
        if (pwrite(fd, arr, sizeof(arr), (off_t)(ents * 512)) != (ssize_t)sizeof(arr) ||
            pwrite(fd, h, 512, (off_t)(hdrs[c] * 512)) != 512)
            abort();
    }
    close(fd);
}

TEST(overlap_and_out_of_range)
{
    NEED_SGDISK();
    if (make_layout("140G", L70) != 0) {
        FAILF("sgdisk failed");
        drop_image();
        return;
    }
    uint64_t last = 140ull * 1024 * 1024 * 2 - 1;
    forge_first_lba(5, 100000, last);
    forge_first_lba(1, 10, last);
    vn_blk *b;
    vn_gpt *g = open_gpt(__func__, __LINE__, &b, 0);
    if (g) {
        int overlap = 0, range = 0;
        for (size_t i = 0; i < vn_gpt_problem_count(g); i++) {
            overlap |= strstr(vn_gpt_problem(g, i), "partitions 1 and 5 overlap") != NULL;
            range |= strstr(vn_gpt_problem(g, i), "partition 1: LBAs 10-204863 outside") != NULL;
        }
        CHECK(overlap);
        CHECK(range);
        vn_gpt_free(g);
        vn_blk_close(b);
    }
    char *out = NULL;
    run(&out, "sgdisk -v %s", img);
    CHECK(strstr(out, "overlap") != NULL);
    free(out);
    drop_image();
}

TEST(legacy_mbr)
{
    unsigned char disk[64 * 512];
    memset(disk, 0, sizeof(disk));
    unsigned char *e = disk + 446;
    e[0] = 0x80;
    e[4] = 0x0C;
    uint32_t start = 2, count = 40;
    memcpy(e + 8, &start, 4);
    memcpy(e + 12, &count, 4);
    e += 16;
    e[4] = 0x83;
    start = 42, count = 22;
    memcpy(e + 8, &start, 4);
    memcpy(e + 12, &count, 4);
    disk[510] = 0x55;
    disk[511] = 0xAA;
    vn_blk *b;
    vn_gpt *g = NULL;
    vn_error err;
    CHECK_INT(vn_blk_open_mem(disk, sizeof(disk), 1, &b, &err), VN_OK);
    CHECK_INT(vn_gpt_read(b, &g, &err), VN_OK);
    if (g) {
        CHECK_INT(vn_gpt_kind(g), VN_PT_MBR);
        CHECK_INT(vn_gpt_count(g), 2);
        CHECK_STR(vn_gpt_part_at(g, 0)->type_str, "0x0C");
        CHECK_INT(vn_gpt_part_at(g, 0)->attrs, 0x80);
        CHECK_INT(vn_gpt_part_at(g, 1)->first_lba, 42);
        CHECK_INT(vn_gpt_part_at(g, 1)->last_lba, 63);
        CHECK_INT(vn_gpt_problem_count(g), 0);
        CHECK_INT(vn_gpt_set_entry(g, b, 1, NULL, &err), VN_EINPUT);
        CHECK(strstr(err.msg, "legacy MBR") != NULL);
        vn_gpt_free(g);
    }
    vn_blk_close(b);
}

TEST(bad_inputs)
{
    vn_blk *b;
    vn_gpt *g = NULL;
    vn_error err;
    unsigned char small[100] = {0};
    CHECK_INT(vn_blk_open_mem(small, sizeof(small), 0, &b, &err), VN_OK);
    CHECK_INT(vn_gpt_read(b, &g, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "too small") != NULL);
    vn_blk_close(b);

    static unsigned char noise[65536];
    srand(7);
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (unsigned char)rand();
    noise[510] = 0;
    CHECK_INT(vn_blk_open_mem(noise, sizeof(noise), 0, &b, &err), VN_OK);
    CHECK_INT(vn_gpt_read(b, &g, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "no partition table") != NULL);
    vn_blk_close(b);

    /* A protective MBR over noise: no GPT header. */
    noise[446 + 4] = 0xEE;
    noise[510] = 0x55;
    noise[511] = 0xAA;
    CHECK_INT(vn_blk_open_mem(noise, sizeof(noise), 0, &b, &err), VN_OK);
    CHECK_INT(vn_gpt_read(b, &g, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "no valid GPT header") != NULL);
    CHECK(strstr(err.msg, "bad signature") != NULL);
    CHECK(g == NULL);
    vn_blk_close(b);

    /* A valid header claiming a huge entry array is refused, not allocated. */
    unsigned char hdr[4096];
    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, noise, 512);
    memcpy(hdr + 512, "EFI PART", 8);
    uint32_t v = 92, n = 0x7fffffff, es = 128;
    uint64_t one = 1, alt = 7, fu = 2, lu = 6;
    memcpy(hdr + 512 + 12, &v, 4);
    memcpy(hdr + 512 + 24, &one, 8);
    memcpy(hdr + 512 + 32, &alt, 8);
    memcpy(hdr + 512 + 40, &fu, 8);
    memcpy(hdr + 512 + 48, &lu, 8);
    memcpy(hdr + 512 + 80, &n, 4);
    memcpy(hdr + 512 + 84, &es, 4);
    uint32_t hc = (uint32_t)crc32(0, hdr + 512, 92);
    memcpy(hdr + 512 + 16, &hc, 4);
    CHECK_INT(vn_blk_open_mem(hdr, sizeof(hdr), 0, &b, &err), VN_OK);
    CHECK_INT(vn_gpt_read(b, &g, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "entry array of") != NULL);
    vn_blk_close(b);
}

TEST(guid_text)
{
    uint8_t g[16];
    char s[37];
    CHECK_INT(vn_gpt_guid_parse(VN_GPT_TYPE_ESP, g), 0);
    CHECK_INT(g[0], 0x28); /* first field little-endian */
    CHECK_INT(g[8], 0xBA);
    vn_gpt_guid_str(g, s);
    CHECK_STR(s, VN_GPT_TYPE_ESP);
    CHECK_INT(vn_gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93", g), -1);
    CHECK_INT(vn_gpt_guid_parse("C12A7328+F81F-11D2-BA4B-00A0C93EC93B", g), -1);
    CHECK_INT(vn_gpt_guid_parse("G12A7328-F81F-11D2-BA4B-00A0C93EC93B", g), -1);
    CHECK_STR(vn_gpt_type_name("aa31e02a-400f-11db-9590-000c2911d1b8"), "VMFS");
    CHECK(vn_gpt_type_name("0FC63DAF-8483-4772-8E79-3D69D8477DE4") == NULL);
}

int main(void)
{
    RUN(esxi67_layout);
    RUN(esxi70_layout_delete_vmfs);
    RUN(corrupt_primary_header);
    RUN(corrupt_entry_array);
    RUN(overlap_and_out_of_range);
    RUN(legacy_mbr);
    RUN(bad_inputs);
    RUN(guid_text);
    TH_EXIT();
}
