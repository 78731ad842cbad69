/* Tests for vn_fat: volumes made by the real peers (mkfs.vfat, mtools),
 * read with vn_fat and compared with the files copied in; every image vn_fat
 * writes must pass `fsck.fat -n` and read back identically with mtools. */
#define TH_SUITE "fat"
#include "harness.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vn_fat.h"

#define NEED_TOOLS()                                                                               \
    do {                                                                                           \
        if (!have_tool("mkfs.vfat") || !have_tool("fsck.fat"))                                     \
            SKIP("dosfstools not installed (apt-get install dosfstools)");                         \
        if (!have_tool("mcopy"))                                                                   \
            SKIP("mtools not installed (apt-get install mtools)");                                 \
    } while (0)

static char dir[4096];
static char img[4200];

static void new_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/vnest-fat-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(img, sizeof(img), "%s/fs.img", dir);
    setenv("MTOOLS_SKIP_CHECK", "1", 1);
}

static void drop_dir(void)
{
    run(NULL, "rm -rf '%s'", dir);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

/* The files put into every test volume, by mtools. */
static int populate(void)
{
    return run(NULL,
               "cd '%s' && printf 'bootstate=0\\ntitle=Loading VMware ESXi\\nkernel=b.b00\\n"
               "kernelopt=autoPartition=FALSE\\nbuild=7.0.3-0.0.1\\nupdated=1\\n' > boot.cfg && "
               "printf 'short' > S.TXT && printf 'long name content' > 'A Long File Name.txt' && "
               "printf 'deep' > deep.dat && head -c 150000 /dev/urandom > big.bin && "
               "head -c 3000 /dev/urandom > f1 && head -c 3000 /dev/urandom > f2 && "
               "head -c 20000 /dev/urandom > frag.bin && "
               "mcopy -i fs.img boot.cfg S.TXT 'A Long File Name.txt' big.bin f1 f2 :: && "
               "mmd -i fs.img ::/Dir1 ::/Dir1/sub && mcopy -i fs.img deep.dat ::/Dir1/sub/ && "
               "mdel -i fs.img ::/f1 && mcopy -i fs.img frag.bin :: ",
               dir);
}

static vn_fat *open_fs(const char *fn, int line, vn_blk **b, vn_blk **w, uint64_t off,
                       uint64_t size)
{
    vn_error err;
    vn_fat *fs = NULL;
    *w = NULL;
    if (vn_blk_open_raw(img, 1, b, &err) != VN_OK) {
        fail_in(fn, line, "open: %s", err.msg);
        return NULL;
    }
    if (vn_blk_open_window(*b, off, size ? size : (*b)->size - off, "fs", w, &err) != VN_OK ||
        vn_fat_open(*w, &fs, &err) != VN_OK) {
        fail_in(fn, line, "vn_fat_open: %s", err.msg);
        vn_blk_close(*w);
        vn_blk_close(*b);
    }
    return fs;
}

static void close_fs(vn_fat *fs, vn_blk *b, vn_blk *w)
{
    vn_fat_close(fs);
    vn_blk_close(w);
    vn_blk_close(b);
}

static void check_file(const char *fn, int line, vn_fat *fs, const char *path, const char *local)
{
    char p[8192];
    size_t n;
    snprintf(p, sizeof(p), "%s/%s", dir, local);
    char *want = slurp(p, &n);
    vn_buf got = VN_BUF_INIT;
    vn_error err;
    if (vn_fat_read(fs, path, &got, &err) != VN_OK)
        fail_in(fn, line, "read %s: %s", path, err.msg);
    else if (got.len != n || memcmp(got.data, want, n) != 0)
        fail_in(fn, line, "%s: %zu bytes differ from the %zu copied in", path, got.len, n);
    free(want);
    vn_buf_free(&got);
}

static int fsck_clean(const char *fn, int line, const char *image)
{
    char *out = NULL;
    int rc = run(&out, "fsck.fat -n '%s'", image);
    int ok = rc == 0 && !strstr(out, "differ") && !strstr(out, "eclaim") &&
             !strstr(out, "unused") && !strstr(out, "Free cluster");
    if (!ok)
        fail_in(fn, line, "fsck.fat -n %s: rc %d: %s", image, rc, out);
    free(out);
    return ok;
}

static void check_mtype(const char *fn, int line, const char *image, const char *path,
                        const void *want, size_t n)
{
    char *out = NULL;
    run(&out, "mtype -i '%s' '::%s'", image, path);
    if (strlen(out) != n || memcmp(out, want, n) != 0)
        fail_in(fn, line, "mtype %s: \"%s\", expected %zu bytes", path, out, n);
    free(out);
}

static void read_volume(const char *fn, int line, const char *mkfs)
{
    new_dir();
    if (run(NULL, "mkfs.vfat %s -C '%s' 4096 >/dev/null", mkfs, img) != 0 || populate() != 0) {
        fail_in(fn, line, "mkfs.vfat/mtools failed");
        drop_dir();
        return;
    }
    vn_blk *b, *w;
    vn_fat *fs = open_fs(fn, line, &b, &w, 0, 0);
    if (fs) {
        vn_fat_info info;
        vn_fat_info_get(fs, &info);
        if (info.bits != (strstr(mkfs, "-F 12") ? 12 : 16))
            fail_in(fn, line, "FAT%d detected", info.bits);
        check_file(fn, line, fs, "/boot.cfg", "boot.cfg");
        check_file(fn, line, fs, "/BOOT.CFG", "boot.cfg");
        check_file(fn, line, fs, "S.TXT", "S.TXT");
        check_file(fn, line, fs, "/a long file name.TXT", "A Long File Name.txt");
        check_file(fn, line, fs, "/big.bin", "big.bin");
        check_file(fn, line, fs, "/frag.bin", "frag.bin");
        check_file(fn, line, fs, "/dir1/SUB/deep.dat", "deep.dat");
        vn_fat_dirent *ents;
        size_t n;
        vn_error err;
        if (vn_fat_list(fs, "/", &ents, &n, &err) != VN_OK) {
            fail_in(fn, line, "list: %s", err.msg);
        } else {
            int seen = 0;
            for (size_t i = 0; i < n; i++) {
                seen += strcmp(ents[i].name, "A Long File Name.txt") == 0;
                seen += strcmp(ents[i].name, "Dir1") == 0 && (ents[i].attr & VN_FAT_ATTR_DIR);
                seen += strcmp(ents[i].name, "f1") == 0 ? 100 : 0; /* deleted */
            }
            if (n != 7 || seen != 2)
                fail_in(fn, line, "root lists %zu entries (seen %d)", n, seen);
            free(ents);
        }
        if (vn_fat_list(fs, "/Dir1/sub", &ents, &n, &err) != VN_OK || n != 1 ||
            strcmp(ents[0].name, "deep.dat") != 0)
            fail_in(fn, line, "list /Dir1/sub: %zu entries", n);
        free(ents);
        /* The fragmented file really is fragmented (it fills f1's hole). */
        vn_fat_dirent st;
        vn_fat_stat(fs, "/frag.bin", &st, &err);
        vn_fat_dirent f2;
        vn_fat_stat(fs, "/f2", &f2, &err);
        if (!(st.cluster < f2.cluster && st.size > 3000))
            fail_in(fn, line, "frag.bin at cluster %u, f2 at %u: not fragmented", st.cluster,
                    f2.cluster);
        if (vn_fat_read(fs, "/nope", &(vn_buf)VN_BUF_INIT, &err) != VN_EINPUT ||
            !strstr(err.msg, "not found"))
            fail_in(fn, line, "missing file: %s", err.msg);
        close_fs(fs, b, w);
    }
    drop_dir();
}

TEST(read_fat16)
{
    NEED_TOOLS();
    read_volume(__func__, __LINE__, "-F 16 -s 1");
}

TEST(read_fat12)
{
    NEED_TOOLS();
    read_volume(__func__, __LINE__, "-F 12");
}

static void replace_one(const char *fn, int line, const char *mkfs, const char *content)
{
    new_dir();
    if (run(NULL, "mkfs.vfat %s -C '%s' 4096 >/dev/null", mkfs, img) != 0 || populate() != 0) {
        fail_in(fn, line, "mkfs.vfat/mtools failed");
        drop_dir();
        return;
    }
    vn_blk *b, *w;
    vn_fat *fs = open_fs(fn, line, &b, &w, 0, 0);
    if (!fs) {
        drop_dir();
        return;
    }
    vn_fat_info before, after;
    vn_fat_info_get(fs, &before);
    vn_fat_dirent old;
    vn_error err;
    vn_fat_stat(fs, "/boot.cfg", &old, &err);
    size_t len = strlen(content);
    time_t when = 1700000000;
    if (vn_fat_replace(fs, "/Boot.cfg", content, len, when, &err) != VN_OK)
        fail_in(fn, line, "replace: %s", err.msg);
    vn_fat_info_get(fs, &after);
    long cs = (long)before.cluster_size;
    long used_old = ((long)old.size + cs - 1) / cs, used_new = ((long)len + cs - 1) / cs;
    if ((long)after.free_clusters != (long)before.free_clusters + used_old - used_new)
        fail_in(fn, line, "free clusters %u -> %u for %ld -> %ld clusters", before.free_clusters,
                after.free_clusters, used_old, used_new);
    vn_fat_dirent st;
    vn_fat_stat(fs, "/boot.cfg", &st, &err);
    struct tm t;
    localtime_r(&when, &t);
    if (st.size != len || st.mdate != ((t.tm_year - 80) << 9 | (t.tm_mon + 1) << 5 | t.tm_mday))
        fail_in(fn, line, "size %u date %04x", st.size, st.mdate);
    close_fs(fs, b, w);
    fsck_clean(fn, line, img);
    check_mtype(fn, line, img, "/boot.cfg", content, len);
    /* Its neighbours are untouched. */
    fs = open_fs(fn, line, &b, &w, 0, 0);
    if (fs) {
        check_file(fn, line, fs, "/big.bin", "big.bin");
        check_file(fn, line, fs, "/frag.bin", "frag.bin");
        close_fs(fs, b, w);
    }
    drop_dir();
}

TEST(replace_longer_and_shorter)
{
    NEED_TOOLS();
    static char longer[12000];
    size_t k = 0;
    k += (size_t)snprintf(longer, sizeof(longer),
                          "bootstate=0\ntitle=Loading VMware ESXi\nkernel=b.b00\n"
                          "kernelopt=autoPartition=FALSE allowLegacyCPU=true\nmodules=");
    while (k < sizeof(longer) - 64)
        k += (size_t)snprintf(longer + k, sizeof(longer) - k, "vib%04zu.v00 --- ", k);
    snprintf(longer + k, sizeof(longer) - k, "state.tgz\nbuild=7.0.3\nupdated=2\n");
    replace_one(__func__, __LINE__, "-F 16 -s 1", longer);
    replace_one(__func__, __LINE__, "-F 12", longer);
    replace_one(__func__, __LINE__, "-F 16 -s 1", "bootstate=0\nupdated=3\n");
    replace_one(__func__, __LINE__, "-F 12", "");
}

TEST(create_files)
{
    NEED_TOOLS();
    new_dir();
    if (run(NULL, "mkfs.vfat -F 16 -s 1 -C '%s' 16384 >/dev/null", img) != 0 || populate() != 0) {
        FAILF("mkfs.vfat/mtools failed");
        drop_dir();
        return;
    }
    vn_blk *b, *w;
    vn_fat *fs = open_fs(__func__, __LINE__, &b, &w, 0, 0);
    if (!fs) {
        drop_dir();
        return;
    }
    vn_error err;
    const char *a = "kickstart options\n";
    CHECK_INT(vn_fat_create(fs, "/Dir1/ks options.cfg", a, strlen(a), 1700000000, &err), VN_OK);
    CHECK_INT(vn_fat_create(fs, "/NEW.TXT", "x", 1, 1700000000, &err), VN_OK);
    CHECK_INT(vn_fat_create(fs, "/new.txt", "x", 1, 1700000000, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "already exists") != NULL);
    CHECK_INT(vn_fat_create(fs, "/nodir/x", "x", 1, 0, &err), VN_EINPUT);
    CHECK_INT(vn_fat_create(fs, "/bad:name", "x", 1, 0, &err), VN_EINPUT);
    /* Enough long names to grow the one-sector subdirectory several times. */
    for (int i = 0; i < 40; i++) {
        char p[128];
        snprintf(p, sizeof(p), "/Dir1/sub/generated file number %02d.conf", i);
        if (vn_fat_create(fs, p, p, strlen(p), 1700000000, &err) != VN_OK)
            FAILF("create %s: %s", p, err.msg);
    }
    check_file(__func__, __LINE__, fs, "/Dir1/sub/deep.dat", "deep.dat");
    close_fs(fs, b, w);
    fsck_clean(__func__, __LINE__, img);
    char *out = NULL;
    run(&out, "mdir -i '%s' ::/Dir1", img);
    CHECK(strstr(out, "ks options.cfg") != NULL);
    free(out);
    run(&out, "mdir -i '%s' ::/", img);
    CHECK(strstr(out, "NEW      TXT") != NULL);
    free(out);
    check_mtype(__func__, __LINE__, img, "/Dir1/ks options.cfg", a, strlen(a));
    const char *last = "/Dir1/sub/generated file number 39.conf";
    check_mtype(__func__, __LINE__, img, last, last, strlen(last));
    run(&out, "mdir -b -i '%s' ::/Dir1/sub | grep -c generated", img);
    CHECK_INT(atoi(out), 40);
    free(out);
    drop_dir();
}

TEST(full_volume)
{
    NEED_TOOLS();
    new_dir();
    if (run(NULL, "mkfs.vfat -F 12 -C '%s' 1024 >/dev/null", img) != 0 || populate() != 0) {
        FAILF("mkfs.vfat/mtools failed");
        drop_dir();
        return;
    }
    /* Fill what is left with one file. */
    run(NULL,
        "cd '%s' && free=$(mdir -i fs.img :: | awk '/bytes free/ {gsub(/ /,\"\",$0); "
        "print $0+0}'); head -c \"$free\" /dev/zero > fill && mcopy -i fs.img fill ::",
        dir);
    size_t n0, n1;
    char *orig = slurp(img, &n0);
    vn_blk *b, *w;
    vn_fat *fs = open_fs(__func__, __LINE__, &b, &w, 0, 0);
    if (fs) {
        vn_fat_info info;
        vn_fat_info_get(fs, &info);
        CHECK_INT(info.free_clusters, 0);
        static char big[64 * 1024];
        vn_error err;
        CHECK_INT(vn_fat_replace(fs, "/boot.cfg", big, sizeof(big), 0, &err), VN_ERUNTIME);
        CHECK(strstr(err.msg, "no space") != NULL);
        CHECK_INT(vn_fat_create(fs, "/more.bin", big, 10000, 0, &err), VN_ERUNTIME);
        CHECK(strstr(err.msg, "no space") != NULL);
        CHECK_INT(w->bytes_written, 0);
        close_fs(fs, b, w);
    }
    char *now = slurp(img, &n1);
    CHECK(n0 == n1 && memcmp(orig, now, n0) == 0);
    free(orig);
    free(now);
    drop_dir();
}

TEST(partition_window_and_vmware_uuid)
{
    NEED_TOOLS();
    new_dir();
    /* A 4 MiB disk, FAT16 at 1 MiB with the VMware magic in sector 1. */
    char part[4300];
    snprintf(part, sizeof(part), "%s/part.img", dir);
    if (run(NULL, "mkfs.vfat -F 16 -s 1 -R 4 -C '%s' 3072 >/dev/null", part) != 0) {
        FAILF("mkfs.vfat failed");
        drop_dir();
        return;
    }
    run(NULL,
        "printf 'VMWARE FAT16    "
        "\\001\\002\\003\\004\\005\\006\\007\\010\\011\\012\\013\\014\\015\\016\\017\\020' | dd "
        "of='%s' bs=1 seek=512 conv=notrunc 2>/dev/null && "
        "truncate -s 4M '%s' && dd if='%s' of='%s' bs=1M seek=1 conv=notrunc 2>/dev/null",
        part, img, part, img);
    vn_blk *b, *w;
    vn_fat *fs = open_fs(__func__, __LINE__, &b, &w, 1 << 20, 3 << 20);
    if (fs) {
        vn_fat_info info;
        vn_fat_info_get(fs, &info);
        CHECK_INT(info.vmware, 1);
        CHECK_STR(info.uuid_str, "04030201-08070605-0a09-0b0c0d0e0f10");
        vn_error err;
        const char *c = "bootstate=0\n";
        CHECK_INT(vn_fat_create(fs, "/boot.cfg", c, strlen(c), 1700000000, &err), VN_OK);
        CHECK(b->bytes_written > 0);
        close_fs(fs, b, w);
    }
    char at[4400];
    snprintf(at, sizeof(at), "%s@@1048576", img);
    check_mtype(__func__, __LINE__, at, "/boot.cfg", "bootstate=0\n", 12);
    run(NULL, "dd if='%s' of='%s' bs=1M skip=1 2>/dev/null", img, part);
    fsck_clean(__func__, __LINE__, part);
    drop_dir();
}

TEST(bad_inputs)
{
    vn_blk *b;
    vn_fat *fs = NULL;
    vn_error err;
    unsigned char small[100] = {0};
    CHECK_INT(vn_blk_open_mem(small, sizeof(small), 0, &b, &err), VN_OK);
    CHECK_INT(vn_fat_open(b, &fs, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "too small") != NULL);
    vn_blk_close(b);

    static unsigned char noise[65536];
    srand(3);
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (unsigned char)rand();
    noise[510] = 0x55;
    noise[511] = 0xAA;
    CHECK_INT(vn_blk_open_mem(noise, sizeof(noise), 0, &b, &err), VN_OK);
    CHECK_INT(vn_fat_open(b, &fs, &err), VN_EINPUT);
    CHECK(fs == NULL && err.msg[0] != '\0');
    vn_blk_close(b);

    if (!have_tool("mkfs.vfat"))
        return;
    new_dir();
    run(NULL, "mkfs.vfat -F 32 -C '%s' 40000 >/dev/null", img);
    CHECK_INT(vn_blk_open_raw(img, 0, &b, &err), VN_OK);
    CHECK_INT(vn_fat_open(b, &fs, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "FAT32") != NULL);
    vn_blk_close(b);

    /* A volume larger than its device, and a cluster chain looping on itself. */
    run(NULL, "rm -f '%s' && mkfs.vfat -F 16 -s 1 -C '%s' 4096 >/dev/null", img, img);
    if (have_tool("mcopy"))
        run(NULL, "head -c 5000 /dev/zero > '%s/z' && mcopy -i '%s' '%s/z' ::", dir, img, dir);
    vn_blk *w;
    CHECK_INT(vn_blk_open_raw(img, 1, &b, &err), VN_OK);
    CHECK_INT(vn_blk_open_window(b, 0, 1 << 20, "short", &w, &err), VN_OK);
    CHECK_INT(vn_fat_open(w, &fs, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "do not fit") != NULL);
    vn_blk_close(w);
    vn_fat_dirent st;
    if (have_tool("mcopy") && vn_fat_open(b, &fs, &err) == VN_OK) {
        CHECK_INT(vn_fat_stat(fs, "/z", &st, &err), VN_OK);
        vn_fat_close(fs);
        uint8_t s[512];
        vn_blk_read(b, 0, s, sizeof(s), &err);
        unsigned reserved = s[14] | s[15] << 8;
        uint8_t loop[2] = {(uint8_t)st.cluster, (uint8_t)(st.cluster >> 8)};
        vn_blk_write(b, (uint64_t)reserved * 512 + 2 * st.cluster, loop, 2, &err);
        CHECK_INT(vn_fat_open(b, &fs, &err), VN_OK);
        vn_buf out = VN_BUF_INIT;
        CHECK_INT(vn_fat_read(fs, "/z", &out, &err), VN_EINPUT);
        CHECK(strstr(err.msg, "damaged cluster chain") != NULL);
        CHECK_INT(vn_fat_replace(fs, "/z", "a", 1, 0, &err), VN_EINPUT);
        vn_buf_free(&out);
        vn_fat_close(fs);
    }
    vn_blk_close(b);
    drop_dir();
}

int main(void)
{
    RUN(read_fat16);
    RUN(read_fat12);
    RUN(replace_longer_and_shorter);
    RUN(create_files);
    RUN(full_volume);
    RUN(partition_window_and_vmware_uuid);
    RUN(bad_inputs);
    TH_EXIT();
}
