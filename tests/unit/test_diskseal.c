/* vn_diskseal and what it stands on: the --ops grammar; the file-level undo
 * journal under a sparse VMDK that grows (grains appended, then a crash:
 * the rollback must cut them off and restore the tables, byte for byte);
 * torn and foreign journals; the detection of other writers of a file;
 * a seal and its dry run on an ESXi 6.7 fixture. qemu-img and the fixture
 * builder are the real peers; tests without them SKIP saying so. */
#define TH_SUITE "diskseal"
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_diskseal.h"
#include "vn_fdscan.h"
#include "vn_file.h"
#include "vn_journal.h"
#include "vn_journal_util.h"
#include "vn_vmdkio.h"

static char dir[64];

static char *path_in(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
    return buf[k];
}

static int same_file(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    size_t xl = 0, yl = 0;
    vn_error e = {0};
    int same = vn_file_read(a, &x, &xl, &e) == VN_OK && vn_file_read(b, &y, &yl, &e) == VN_OK &&
               xl == yl && memcmp(x, y, xl) == 0;
    free(x);
    free(y);
    return same;
}

static off_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : -1;
}

TEST(ops_parse)
{
    vn_error err = {0};
    unsigned ops = 0, ex = 0;
    CHECK_INT(vn_sealops_parse(NULL, "--ops", &ops, &ex, &err), VN_OK);
    CHECK_INT(ops, 0xF);
    CHECK_INT(ex, 0);
    CHECK_INT(vn_sealops_parse("legacy-cpu,local-vmfs", "--ops", &ops, &ex, &err), VN_OK);
    CHECK_INT(ops, (1u << VN_SEAL_LEGACY_CPU) | (1u << VN_SEAL_LOCAL_VMFS));
    CHECK_INT(ex, ops);
    CHECK_INT(vn_sealops_parse("-system-uuid", "--ops", &ops, &ex, &err), VN_OK);
    CHECK_INT(ops, 0xF & ~(1u << VN_SEAL_SYSTEM_UUID));
    CHECK_INT(ex, 0);
    CHECK_INT(vn_sealops_parse("follow-hw-mac,-follow-hw-mac", "--ops", &ops, &ex, &err), VN_OK);
    CHECK_INT(ops, 0);
    CHECK_INT(vn_sealops_parse("legacy-cpu,nope", "--ops", &ops, &ex, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "\"nope\"") != NULL);
    CHECK_STR(err.where, "--ops");
    CHECK_INT(vn_sealops_parse(",", "--ops", &ops, &ex, &err), VN_EINPUT);
    CHECK(vn_sealop_find("local-vmfs") && !strcmp(vn_sealop_find("local-vmfs")->seed, "S9"));
    CHECK(vn_sealop_find("legacy") == NULL);
}

/* Writes to unallocated grains of a sparse VMDK through the file journal,
 * in a child that dies at `point` (or commits when point is NULL). */
static void write_grains(const char *vmdk, const char *point)
{
    if (point)
        setenv("VNEST_CRASH_AT", point, 1);
    vn_error err = {0};
    vn_buf jp = VN_BUF_INIT;
    vn_journal *j = NULL;
    vn_blk *dev = NULL;
    unsigned char data[6000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 13 + 1);
    if (vn_journal_begin(vn_journal_path(vmdk, &jp), &j, &err) != VN_OK ||
        vn_vmdk_open_with(vmdk, 1, vn_journal_file, j, &dev, &err) != VN_OK ||
        vn_blk_write(dev, 1024 * 1024 - 100, data, sizeof(data), &err) != VN_OK ||
        vn_blk_write(dev, 40u * 1024 * 1024, data, 512, &err) != VN_OK ||
        vn_blk_flush(dev, &err) != VN_OK || vn_journal_end(j, &err) != VN_OK) {
        fprintf(stderr, "write_grains: %s: %s\n", err.where, err.msg);
        _exit(2);
    }
    vn_blk_close(dev);
    vn_journal_free(j);
    vn_buf_free(&jp);
    _exit(0);
}

static int child(const char *vmdk, const char *point)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        write_grains(vmdk, point);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

TEST(sparse_growth_rollback)
{
    if (!have_tool("qemu-img"))
        SKIP("qemu-img not installed (apt-get install qemu-utils)");
    const char *v = path_in("grow.vmdk"), *v0 = path_in("grow0.vmdk");
    char *out = NULL;
    if (run(&out, "qemu-img create -q -f vmdk -o subformat=monolithicSparse %s 64M && cp %s %s", v,
            v, v0) != 0) {
        FAILF("qemu-img create: %s", out);
        free(out);
        return;
    }
    free(out);
    off_t size0 = file_size(v);
    vn_buf jp = VN_BUF_INIT;
    vn_journal_path(v, &jp);
    const char *points[] = {"journal-before-target-write", "journal-after-target-write",
                            "journal-torn-record", "journal-before-remove"};
    for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
        CHECK_INT(child(v, points[i]), 128 + SIGKILL);
        CHECK(access(jp.data, F_OK) == 0);
        if (!strcmp(points[i], "journal-before-remove"))
            CHECK(file_size(v) > size0); /* grains and a table were appended */
        vn_error err = {0};
        int rec = 0;
        CHECK_INT(vn_journal_recover_files(jp.data, &rec, &err), VN_OK);
        CHECK_INT(rec, 1);
        CHECK(access(jp.data, F_OK) != 0);
        if (!same_file(v, v0))
            FAILF("after a crash at %s and recovery the file differs from the original", points[i]);
    }
    /* Committed: the grains are there and qemu-img reads them. */
    CHECK_INT(child(v, NULL), 0);
    CHECK(access(jp.data, F_OK) != 0);
    CHECK(file_size(v) > size0);
    CHECK_INT(run(&out, "qemu-img check -q %s", v), 0);
    free(out);
    const char *raw = path_in("grow.raw");
    CHECK_INT(run(&out,
                  "qemu-img convert -O raw %s %s && od -An -tu1 -j %d -N2 %s && "
                  "od -An -tu1 -j %d -N2 %s",
                  v, raw, 1024 * 1024 - 100, raw, 40 * 1024 * 1024, raw),
              0);
    /* data[0] = 1, data[1] = 14, at both places, as qemu-img reads them */
    CHECK(out && strstr(out, "   1  14\n   1  14") != NULL);
    free(out);
    vn_buf_free(&jp);
}

TEST(journal_torn_and_foreign)
{
    const char *img = path_in("t.img");
    vn_error err = {0};
    CHECK_INT(vn_file_replace(img, "abcdefgh", 8, 0644, &err), VN_OK);
    vn_buf jp = VN_BUF_INIT;
    vn_journal_path(img, &jp);
    /* Cut short in its header: nothing was written, it just goes. */
    CHECK_INT(vn_file_replace(jp.data, "VNJRNL02\x00\x10", 10, 0600, &err), VN_OK);
    int rec = 0;
    CHECK_INT(vn_journal_recover_files(jp.data, &rec, &err), VN_OK);
    CHECK_INT(rec, 1);
    CHECK(access(jp.data, F_OK) != 0);
    /* Not a journal: refused and kept. */
    CHECK_INT(vn_file_replace(jp.data, "something else entirely", 23, 0600, &err), VN_OK);
    CHECK_INT(vn_journal_recover_files(jp.data, &rec, &err), VN_EINPUT);
    CHECK(access(jp.data, F_OK) == 0);
    unlink(jp.data);
    /* A journal whose file is gone: refused and kept. */
    vn_journal *j = NULL;
    vn_blk *b = NULL;
    CHECK_INT(vn_journal_begin(jp.data, &j, &err), VN_OK);
    CHECK_INT(vn_journal_file(j, img, 1, &b, &err), VN_OK);
    CHECK_INT(vn_blk_write(b, 2, "XY", 2, &err), VN_OK);
    vn_blk_close(b);
    vn_journal_free(j);                                          /* not committed */
    CHECK_INT(vn_journal_begin(jp.data, &j, &err), VN_ERUNTIME); /* recover first */
    char moved[300];
    snprintf(moved, sizeof(moved), "%s.moved", img);
    CHECK_INT(rename(img, moved), 0);
    CHECK_INT(vn_journal_recover_files(jp.data, &rec, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "cannot be opened") != NULL);
    CHECK(access(jp.data, F_OK) == 0);
    CHECK_INT(rename(moved, img), 0);
    CHECK_INT(vn_journal_recover_files(jp.data, &rec, &err), VN_OK);
    char *data = NULL;
    size_t len = 0;
    CHECK_INT(vn_file_read(img, &data, &len, &err), VN_OK);
    CHECK(len == 8 && memcmp(data, "abcdefgh", 8) == 0);
    free(data);
    vn_buf_free(&jp);
}

/* A journal naming `name`, well formed (crcs right), of one file. */
static void plant_journal(const char *jpath, const char *name)
{
    unsigned char buf[512];
    size_t nlen = strlen(name);
    memcpy(buf, "VNJRNL02", 8);
    vn_jnl_put32(buf + 8, 4096);
    vn_jnl_put32(buf + 12, 1);
    vn_jnl_put32(buf + 16, vn_jnl_crc32(0, buf, 16));
    unsigned char *r = buf + 20;
    memcpy(r, "VNJF", 4);
    vn_jnl_put32(r + 4, 0);
    vn_jnl_put64(r + 8, 0); /* "truncate it to nothing" */
    vn_jnl_put32(r + 16, (uint32_t)nlen);
    vn_jnl_put32(r + 20, vn_jnl_crc32(vn_jnl_crc32(0, r + 4, 16), name, nlen));
    memcpy(r + 24, name, nlen);
    vn_error err = {0};
    if (vn_file_replace(jpath, buf, 44 + nlen, 0600, &err) != VN_OK)
        abort();
}

TEST(journal_stays_beside_the_image)
{
    vn_error err = {0};
    const char *img = path_in("side.img"), *victim = path_in("victim");
    CHECK_INT(vn_file_replace(img, "image", 5, 0644, &err), VN_OK);
    CHECK_INT(vn_file_replace(victim, "precious", 8, 0644, &err), VN_OK);
    vn_buf jp = VN_BUF_INIT;
    vn_journal_path(img, &jp);
    /* Planted journals naming files elsewhere are refused and kept. */
    const char *names[] = {"/etc/passwd", "../victim", "sub/victim", ".."};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        plant_journal(jp.data, names[i]);
        int rec = 0;
        CHECK_INT(vn_journal_recover_files(jp.data, &rec, &err), VN_EINPUT);
        CHECK(access(jp.data, F_OK) == 0);
    }
    /* A symbolic link beside the image is not followed. */
    char link[300];
    snprintf(link, sizeof(link), "%s/link.img", dir);
    CHECK_INT(symlink(victim, link), 0);
    plant_journal(jp.data, "link.img");
    int rec = 0;
    CHECK_INT(vn_journal_recover_files(jp.data, &rec, &err), VN_EINPUT);
    char *data = NULL;
    size_t len = 0;
    CHECK_INT(vn_file_read(victim, &data, &len, &err), VN_OK);
    CHECK(len == 8 && memcmp(data, "precious", 8) == 0);
    free(data);
    unlink(jp.data);
    /* Writing, a file outside the journal's folder is refused up front. */
    vn_journal *j = NULL;
    vn_blk *b = NULL;
    char other[300];
    snprintf(other, sizeof(other), "%s/elsewhere.vnest-journal", "/tmp");
    CHECK_INT(vn_journal_begin(other, &j, &err), VN_OK);
    CHECK_INT(vn_journal_file(j, img, 1, &b, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "outside the folder") != NULL);
    vn_journal_free(j);
    unlink(link);
    vn_buf_free(&jp);
}

/* A child holding `path` open with `flags` until the pipe closes. */
static pid_t holder(const char *path, int flags, int *release)
{
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0)
        abort();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]); /* else its own copy keeps the pipe from closing */
        int fd = open(path, flags);
        char c = fd >= 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    char c = 0;
    if (read(ready[0], &c, 1) != 1 || c != 'y')
        abort();
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    *release = go[1];
    return pid;
}

TEST(fd_writer)
{
    const char *f = path_in("busy.img");
    vn_error err = {0};
    CHECK_INT(vn_file_replace(f, "x", 1, 0644, &err), VN_OK);
    const char *paths[] = {path_in("nothing-here"), f};
    char who[128] = "";
    int mine = open(f, O_RDWR); /* this process never counts */
    CHECK_INT(vn_fd_writer(paths, 2, who, sizeof(who)), 0);
    close(mine); /* (the holders would inherit it) */
    int release;
    pid_t pid = holder(f, O_RDONLY, &release);
    CHECK_INT(vn_fd_writer(paths, 2, who, sizeof(who)), 0);
    close(release);
    waitpid(pid, NULL, 0);
    pid = holder(f, O_WRONLY | O_APPEND, &release);
    CHECK_INT(vn_fd_writer(paths, 2, who, sizeof(who)), 1);
    char want[32];
    snprintf(want, sizeof(want), "pid %ld (", (long)pid);
    CHECK(strncmp(who, want, strlen(want)) == 0);
    close(release);
    waitpid(pid, NULL, 0);
}

TEST(seal_fixture)
{
    if (!have_tool("sgdisk") || !have_tool("mkfs.vfat") || !have_tool("mcopy"))
        SKIP("sgdisk, mkfs.vfat or mcopy not installed (apt-get install gdisk dosfstools mtools)");
    const char *img = path_in("e67.img"), *copy = path_in("e67.orig");
    char *out = NULL;
    if (run(&out, "bash tests/diskimg/make-esxi-image.sh 6.7 %s 960M && cp --sparse=always %s %s",
            img, img, copy) != 0) {
        FAILF("fixture: %s", out);
        free(out);
        return;
    }
    free(out);
    vn_error err = {0};
    vn_seal_opts o = {0};
    vn_seal_result r;
    CHECK_INT(vn_sealops_parse(NULL, "--ops", &o.ops, &o.explicit_ops, &err), VN_OK);
    o.dry_run = 1;
    CHECK_INT(vn_diskseal(img, &o, &r, &err), VN_OK);
    CHECK_INT(r.nchanges, 5);
    CHECK_INT(r.written, 0);
    CHECK_INT(r.bytes_written, 0);
    CHECK(same_file(img, copy));
    vn_seal_result_free(&r);
    o.dry_run = 0;
    CHECK_INT(vn_diskseal(img, &o, &r, &err), VN_OK);
    CHECK_INT(r.written, 1);
    CHECK(r.bytes_written > 0 && r.bytes_written < 256 * 1024);
    CHECK_INT(r.status[VN_SEAL_LOCAL_VMFS], VN_SEAL_CHANGE);
    CHECK(r.rel && r.rel->id == VN_ESXI_67);
    vn_seal_result_free(&r);
    CHECK_INT(vn_diskseal(img, &o, &r, &err), VN_OK);
    CHECK_INT(r.nchanges, 0);
    CHECK_INT(r.bytes_written, 0);
    for (int i = 0; i < VN_SEAL_NOPS; i++)
        CHECK_INT(r.status[i], VN_SEAL_DONE);
    vn_seal_result_free(&r);
    /* Not an ESXi disk. */
    const char *junk = path_in("junk.img");
    CHECK_INT(vn_file_replace(junk, "\0\0\0\0\0\0\0\0", 8, 0644, &err), VN_OK);
    CHECK_INT(vn_diskseal(junk, &o, &r, &err), VN_EINPUT);
    vn_seal_result_free(&r);
    unlink(img);
    unlink(copy);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/vnest-seal.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(ops_parse);
    RUN(sparse_growth_rollback);
    RUN(journal_torn_and_foreign);
    RUN(journal_stays_beside_the_image);
    RUN(fd_writer);
    RUN(seal_fixture);
    char *out = NULL;
    run(&out, "rm -rf %s", dir);
    free(out);
    TH_EXIT();
}
