/* vn_journal: journaled writes, commit, and rollback after a crash at
 * every write point (the child is SIGKILLed by the VNEST_CRASH_AT hook). */
#define TH_SUITE "journal"
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vn_blk.h"
#include "vn_buf.h"
#include "vn_file.h"
#include "vn_journal.h"

#define IMG_SIZE (64u * 4096u + 1000u) /* a short last block */

static char dir[64];
static char img[128];
static vn_buf jpath = VN_BUF_INIT;
static unsigned char orig[IMG_SIZE];
static unsigned char want[IMG_SIZE];

static void make_image(void)
{
    for (size_t i = 0; i < IMG_SIZE; i++)
        orig[i] = (unsigned char)(i * 7 + (i >> 12));
    vn_error err;
    vn_error_clear(&err);
    if (vn_file_replace(img, orig, IMG_SIZE, 0644, &err) != VN_OK)
        abort();
    unlink(jpath.data);
}

static int image_is(const unsigned char *expect)
{
    char *data = NULL;
    size_t len = 0;
    vn_error err;
    if (vn_file_read(img, &data, &len, &err) != VN_OK)
        return 0;
    int same = len == IMG_SIZE && memcmp(data, expect, IMG_SIZE) == 0;
    free(data);
    return same;
}

/* The edit: writes that overlap, cross block boundaries, repeat a block,
 * and touch the short last block. Returns the number of writes. */
static const struct {
    uint64_t off;
    size_t len;
} edits[] = {
    {0, 10},
    {4090, 20},
    {4096 * 3, 4096 * 2},
    {100, 5000},
    {4096 * 10 + 1, 1},
    {4096 * 64, 1000},
    {4096 * 63 + 4000, 1096},
    {4096 * 20, 4096 * 8 + 7},
    {5, 3},
    {4096 * 40, 10},
};
#define N_EDITS (sizeof(edits) / sizeof(edits[0]))

static int do_edit(vn_blk *j, vn_error *err)
{
    unsigned char buf[4096 * 9];
    for (size_t i = 0; i < N_EDITS; i++) {
        for (size_t k = 0; k < edits[i].len; k++)
            buf[k] = (unsigned char)(0xA5 ^ (i * 31 + k));
        if (vn_blk_write(j, edits[i].off, buf, edits[i].len, err) != VN_OK)
            return -1;
    }
    return 0;
}

/* Blocks the edit touches, and their bytes (the last one is short). */
static size_t touched_blocks(size_t *bytes)
{
    int touched[66] = {0};
    size_t blocks = 0;
    *bytes = 0;
    for (size_t i = 0; i < N_EDITS; i++)
        for (uint64_t b = edits[i].off / 4096; b <= (edits[i].off + edits[i].len - 1) / 4096; b++)
            if (!touched[b]++) {
                blocks++;
                *bytes += b == 64 ? 1000 : 4096;
            }
    return blocks;
}

static void expected_new(void)
{
    memcpy(want, orig, IMG_SIZE);
    for (size_t i = 0; i < N_EDITS; i++)
        for (size_t k = 0; k < edits[i].len; k++)
            want[edits[i].off + k] = (unsigned char)(0xA5 ^ (i * 31 + k));
}

static int run_edit(int commit, vn_error *err)
{
    vn_blk *raw = NULL, *j = NULL;
    if (vn_blk_open_raw(img, 1, &raw, err) != VN_OK)
        return -1;
    int rc = vn_journal_open(raw, jpath.data, &j, err);
    if (rc == VN_OK)
        rc = do_edit(j, err) == 0 ? VN_OK : -1;
    if (rc == VN_OK && commit)
        rc = vn_journal_commit(j, err);
    vn_blk_close(j);
    vn_blk_close(raw);
    return rc;
}

static int recover(int *recovered, vn_error *err)
{
    vn_blk *raw = NULL;
    if (vn_blk_open_raw(img, 1, &raw, err) != VN_OK)
        return -1;
    int rc = vn_journal_recover(raw, jpath.data, recovered, err);
    vn_blk_close(raw);
    return rc;
}

TEST(path)
{
    vn_buf b = VN_BUF_INIT;
    CHECK_STR(vn_journal_path("/x/disk.img", &b), "/x/disk.img.vnest-journal");
    vn_buf_free(&b);
}

TEST(commit)
{
    make_image();
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(run_edit(1, &err), VN_OK);
    expected_new();
    CHECK(image_is(want));
    CHECK(access(jpath.data, F_OK) != 0);
    int rec = -1;
    CHECK_INT(recover(&rec, &err), VN_OK);
    CHECK_INT(rec, 0);
    CHECK(image_is(want));
}

TEST(rollback_without_commit)
{
    make_image();
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(run_edit(0, &err), VN_OK);
    expected_new();
    CHECK(image_is(want));
    CHECK(access(jpath.data, F_OK) == 0);
    /* A second run refuses while the journal is there. */
    vn_blk *raw = NULL, *j = NULL;
    CHECK_INT(vn_blk_open_raw(img, 1, &raw, &err), VN_OK);
    CHECK_INT(vn_journal_open(raw, jpath.data, &j, &err), VN_ERUNTIME);
    vn_blk_close(raw);
    int rec = 0;
    CHECK_INT(recover(&rec, &err), VN_OK);
    CHECK_INT(rec, 1);
    CHECK(image_is(orig));
    CHECK(access(jpath.data, F_OK) != 0);
}

TEST(each_block_saved_once)
{
    make_image();
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(run_edit(0, &err), VN_OK);
    struct stat st;
    CHECK(stat(jpath.data, &st) == 0);
    size_t bytes, blocks = touched_blocks(&bytes);
    CHECK_INT(st.st_size, 28 + blocks * 20 + bytes);
    int rec;
    CHECK_INT(recover(&rec, &err), VN_OK);
    CHECK(image_is(orig));
}

/* Runs the edit in a child killed at the n-th occurrence of `point`;
 * returns 1 if it was killed, 0 if it finished (n beyond the last), -1. */
static int crash_child(const char *point, int n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char count[16];
        snprintf(count, sizeof(count), "%d", n);
        setenv("VNEST_CRASH_AT", point, 1);
        setenv("VNEST_CRASH_COUNT", count, 1);
        vn_error err;
        vn_error_clear(&err);
        _exit(run_edit(1, &err) == VN_OK ? 0 : 1);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return 1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void crash_everywhere(const char *fn, const char *point, int expect_min)
{
    int kills = 0;
    expected_new();
    for (int n = 1; n < 1000; n++) {
        make_image();
        int r = crash_child(point, n);
        if (r < 0) {
            fail_in(fn, __LINE__, "%s #%d: child failed", point, n);
            return;
        }
        if (r == 0) { /* ran to the end: committed */
            if (!image_is(want) || access(jpath.data, F_OK) == 0)
                fail_in(fn, __LINE__, "%s: uninterrupted run did not commit", point);
            break;
        }
        kills++;
        vn_error err;
        vn_error_clear(&err);
        int rec = -1;
        if (recover(&rec, &err) != VN_OK) {
            fail_in(fn, __LINE__, "%s #%d: recover: %s: %s", point, n, err.where, err.msg);
            return;
        }
        if (!image_is(orig))
            fail_in(fn, __LINE__, "%s #%d: image differs from the original", point, n);
        if (access(jpath.data, F_OK) == 0)
            fail_in(fn, __LINE__, "%s #%d: journal left after recovery", point, n);
    }
    if (kills < expect_min)
        fail_in(fn, __LINE__, "%s: only %d crashes", point, kills);
}

TEST(crash_before_target_write)
{
    crash_everywhere(__func__, "journal-before-target-write", (int)N_EDITS);
}

TEST(crash_after_target_write)
{
    crash_everywhere(__func__, "journal-after-target-write", (int)N_EDITS);
}

TEST(crash_torn_record)
{
    size_t bytes;
    crash_everywhere(__func__, "journal-torn-record", (int)touched_blocks(&bytes));
}

TEST(crash_before_remove)
{
    crash_everywhere(__func__, "journal-before-remove", 1);
}

TEST(bad_journal)
{
    make_image();
    vn_error err;
    vn_error_clear(&err);
    /* Not a journal: refused and left alone. */
    CHECK_INT(vn_file_replace(jpath.data, "hello, this is not a journal at all", 35, 0600, &err),
              VN_OK);
    int rec = -1;
    CHECK_INT(recover(&rec, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "not a vnest undo journal") != NULL);
    CHECK(access(jpath.data, F_OK) == 0);
    /* A journal for a device of another size is refused. */
    unlink(jpath.data);
    CHECK_INT(run_edit(0, &err), VN_OK);
    vn_blk *mem = NULL;
    CHECK_INT(vn_blk_open_mem(orig, 8192, 1, &mem, &err), VN_OK);
    CHECK_INT(vn_journal_recover(mem, jpath.data, &rec, &err), VN_EINPUT);
    CHECK(strstr(err.msg, "device of") != NULL);
    vn_blk_close(mem);
    /* An empty journal (crash while creating it) is just removed. */
    CHECK_INT(recover(&rec, &err), VN_OK);
    CHECK(image_is(orig));
    CHECK_INT(vn_file_replace(jpath.data, "", 0, 0600, &err), VN_OK);
    CHECK_INT(recover(&rec, &err), VN_OK);
    CHECK_INT(rec, 1);
    CHECK(access(jpath.data, F_OK) != 0);
    CHECK(image_is(orig));
}

TEST(read_only_target)
{
    make_image();
    vn_error err;
    vn_blk *raw = NULL, *j = NULL;
    CHECK_INT(vn_blk_open_raw(img, 0, &raw, &err), VN_OK);
    CHECK_INT(vn_journal_open(raw, jpath.data, &j, &err), VN_ERUNTIME);
    CHECK(j == NULL);
    vn_blk_close(raw);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vnest-journal-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(img, sizeof(img), "%s/disk.img", dir);
    vn_journal_path(img, &jpath);
    RUN(path);
    RUN(commit);
    RUN(rollback_without_commit);
    RUN(each_block_saved_once);
    RUN(crash_before_target_write);
    RUN(crash_after_target_write);
    RUN(crash_torn_record);
    RUN(crash_before_remove);
    RUN(bad_journal);
    RUN(read_only_target);
    unlink(jpath.data);
    unlink(img);
    rmdir(dir);
    vn_buf_free(&jpath);
    TH_EXIT();
}
