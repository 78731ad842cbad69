/* Unit tests for whole-file I/O (lib/vn_file.c) and the running-VM check
 * (lib/vn_vmlock.c). */
#define TH_SUITE "file"
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vn_error.h"
#include "vn_file.h"
#include "vn_vmlock.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh folder under /tmp in `dir` (PATH_MAX-ish); 0 on failure. */
static int make_dir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/vn_test_file_XXXXXX");
    return mkdtemp(dir) != NULL;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The whole content of `path` as a heap string, NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    size_t n = 0;
    vn_error err;
    vn_error_clear(&err);
    if (vn_file_read(path, &data, &n, &err) != VN_OK)
        return NULL;
    if (len)
        *len = n;
    return data;
}

static int holds(const char *path, const char *text)
{
    size_t n = 0;
    char *data = slurp(path, &n);
    int same = data && n == strlen(text) && memcmp(data, text, n) == 0;
    free(data);
    return same;
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0xFFFFu;
}

/* Number of entries in `dir` whose name contains `needle`. */
static int count_named(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, needle) != NULL;
    closedir(d);
    return n;
}

/* ---- vn_file_read --------------------------------------------------------- */

TEST(read_missing)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    snprintf(path, sizeof(path), "%s/missing.vmx", dir);
    char *data = (char *)"untouched";
    size_t len = 7;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_file_read(path, &data, &len, &err), VN_EINPUT);
    CHECK_INT(err.code, VN_EINPUT);
    CHECK_STR(err.where, path);
    CHECK(strstr(err.msg, "cannot read") != NULL);
    CHECK(strstr(err.msg, strerror(ENOENT)) != NULL);
    CHECK_STR(data, "untouched");
    CHECK_INT(len, 7);
    rm_tree(dir);
}

TEST(read_directory)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char *data = NULL;
    size_t len = 0;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_file_read(dir, &data, &len, &err), VN_EINPUT);
    CHECK_STR(err.where, dir);
    CHECK(strstr(err.msg, "directory") != NULL);
    CHECK(data == NULL);
    rm_tree(dir);
}

TEST(read_contents)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    snprintf(path, sizeof(path), "%s/bin", dir);
    /* Embedded NUL, CR, no final newline, and larger than one read. */
    size_t big = 200000;
    char *want = malloc(big);
    for (size_t i = 0; i < big; i++)
        want[i] = (char)(i * 7 + i / 251);
    memcpy(want, "a\0b\r", 4);
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(want);
        rm_tree(dir);
        SKIP("cannot write a file");
    }
    fwrite(want, 1, big, f);
    fclose(f);
    size_t len = 0;
    char *data = slurp(path, &len);
    CHECK(data != NULL);
    CHECK_INT(len, big);
    if (data && len == big) {
        CHECK(memcmp(data, want, big) == 0);
        CHECK(data[big] == '\0');
    }
    free(data);
    free(want);

    /* An empty file is an empty string, not NULL. */
    write_text(path, "");
    len = 99;
    data = slurp(path, &len);
    CHECK(data != NULL);
    CHECK_INT(len, 0);
    if (data)
        CHECK_STR(data, "");
    free(data);
    rm_tree(dir);
}

/* ---- vn_file_replace ------------------------------------------------------ */

TEST(replace_creates_with_mode)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    snprintf(path, sizeof(path), "%s/new.vmx", dir);
    /* A strict umask must not change the mode asked for. */
    mode_t old = umask(077);
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_file_replace(path, "hello\n", 6, 0640, &err), VN_OK);
    umask(old);
    CHECK(holds(path, "hello\n"));
    CHECK_INT(mode_of(path), 0640);
    CHECK_INT(count_named(dir, ".vnest-tmp."), 0);
    CHECK_INT(count_named(dir, "new.vmx"), 1);

    /* Zero bytes is a valid content. */
    snprintf(path, sizeof(path), "%s/empty", dir);
    CHECK_INT(vn_file_replace(path, "", 0, 0600, &err), VN_OK);
    CHECK(holds(path, ""));
    CHECK_INT(mode_of(path), 0600);
    rm_tree(dir);
}

TEST(replace_keeps_mode)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    snprintf(path, sizeof(path), "%s/vm.vmx", dir);
    write_text(path, "old contents that are longer than the new ones\n");
    chmod(path, 0600);
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_file_replace(path, "new\n", 4, 0644, &err), VN_OK);
    CHECK(holds(path, "new\n"));
    CHECK_INT(mode_of(path), 0600);

    chmod(path, 0755);
    CHECK_INT(vn_file_replace(path, "newer\n", 6, 0644, &err), VN_OK);
    CHECK(holds(path, "newer\n"));
    CHECK_INT(mode_of(path), 0755);
    CHECK_INT(count_named(dir, ".vnest-tmp."), 0);
    rm_tree(dir);
}

TEST(replace_errors)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    vn_error err;

    /* No such folder. */
    snprintf(path, sizeof(path), "%s/nope/vm.vmx", dir);
    vn_error_clear(&err);
    CHECK_INT(vn_file_replace(path, "x", 1, 0644, &err), VN_ERUNTIME);
    CHECK_STR(err.where, path);
    CHECK(strstr(err.msg, "temporary") != NULL);

    /* The target is a folder: the rename fails, the folder and its content
     * stay, and the temporary file is gone. */
    snprintf(path, sizeof(path), "%s/sub", dir);
    mkdir(path, 0755);
    char inner[160];
    snprintf(inner, sizeof(inner), "%s/keep", path);
    write_text(inner, "keep");
    vn_error_clear(&err);
    CHECK_INT(vn_file_replace(path, "x", 1, 0644, &err), VN_ERUNTIME);
    CHECK_STR(err.where, path);
    CHECK(holds(inner, "keep"));
    CHECK_INT(count_named(dir, ".vnest-tmp."), 0);
    rm_tree(dir);
}

/* A temporary file left by a crashed process whose PID this process now
 * has must not block every later replacement. */
TEST(replace_after_stale_temp)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128], stale[192];
    snprintf(path, sizeof(path), "%s/vm.vmx", dir);
    snprintf(stale, sizeof(stale), "%s.vnest-tmp.%ld", path, (long)getpid());
    write_text(path, "old");
    write_text(stale, "half-written by a process that died");
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_file_replace(path, "new", 3, 0644, &err);
    if (rc != VN_OK)
        FAILF("replace failed: %s: %s", err.where, err.msg);
    CHECK(holds(path, "new"));
    rm_tree(dir);
}

/* Runs vn_file_replace(path, "new") in a child with VNEST_CRASH_AT=point;
 * returns the child's wait status, or -1. */
static int replace_in_child(const char *path, const char *point, pid_t *child)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setenv("VNEST_CRASH_AT", point, 1);
        vn_error err;
        vn_error_clear(&err);
        int rc = vn_file_replace(path, "new", 3, 0644, &err);
        _exit(rc == VN_OK ? 0 : 10 + rc);
    }
    *child = pid;
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

TEST(crash_before_rename)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    snprintf(path, sizeof(path), "%s/vm.vmx", dir);
    write_text(path, "old");
    pid_t child = 0;
    int status = replace_in_child(path, "before-rename", &child);
    if (status == -1) {
        rm_tree(dir);
        SKIP("cannot fork");
    }
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(holds(path, "old"));
    /* The new content may sit in the child's temporary file: a separate
     * file beside the target, never the target itself. */
    char tmp[192];
    snprintf(tmp, sizeof(tmp), "%s.vnest-tmp.%ld", path, (long)child);
    struct stat a, b;
    if (stat(tmp, &b) == 0) {
        CHECK(stat(path, &a) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev));
        CHECK(holds(tmp, "new"));
    }
    CHECK(count_named(dir, ".vnest-tmp.") <= 1);
    CHECK_INT(count_named(dir, "vm.vmx"), 1 + (access(tmp, F_OK) == 0));

    /* The next replacement (another PID) is not disturbed by the leftover. */
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_file_replace(path, "newer", 5, 0644, &err), VN_OK);
    CHECK(holds(path, "newer"));
    rm_tree(dir);
}

TEST(crash_after_rename)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    snprintf(path, sizeof(path), "%s/vm.vmx", dir);
    write_text(path, "old");
    pid_t child = 0;
    int status = replace_in_child(path, "after-rename", &child);
    if (status == -1) {
        rm_tree(dir);
        SKIP("cannot fork");
    }
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(holds(path, "new"));
    CHECK_INT(count_named(dir, ".vnest-tmp."), 0);
    rm_tree(dir);
}

TEST(crash_point_unset_or_other)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char path[128];
    snprintf(path, sizeof(path), "%s/vm.vmx", dir);
    write_text(path, "old");
    /* A point that is not on the way is no crash. */
    pid_t child = 0;
    int status = replace_in_child(path, "nowhere", &child);
    if (status == -1) {
        rm_tree(dir);
        SKIP("cannot fork");
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(holds(path, "new"));
    CHECK_INT(count_named(dir, ".vnest-tmp."), 0);
    rm_tree(dir);
}

/* ---- vn_file_backup_once -------------------------------------------------- */

TEST(backup_once)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char src[128], dst[160];
    snprintf(src, sizeof(src), "%s/vm.vmx", dir);
    snprintf(dst, sizeof(dst), "%s.orig", src);
    write_text(src, "first\r\nversion");
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_file_backup_once(src, dst, &err), 1);
    CHECK(holds(dst, "first\r\nversion"));

    /* Never overwritten: the first original is the one kept. */
    write_text(src, "second");
    CHECK_INT(vn_file_backup_once(src, dst, &err), 0);
    CHECK(holds(dst, "first\r\nversion"));
    CHECK(holds(src, "second"));

    /* Even an empty existing backup is kept. */
    write_text(dst, "");
    CHECK_INT(vn_file_backup_once(src, dst, &err), 0);
    CHECK(holds(dst, ""));
    CHECK_INT(count_named(dir, ".vnest-tmp."), 0);
    rm_tree(dir);
}

TEST(backup_once_missing_source)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char src[128], dst[160];
    snprintf(src, sizeof(src), "%s/gone.vmx", dir);
    snprintf(dst, sizeof(dst), "%s.orig", src);
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_file_backup_once(src, dst, &err), VN_EINPUT);
    CHECK_STR(err.where, src);
    CHECK(access(dst, F_OK) != 0);
    rm_tree(dir);
}

/* ---- vn_vm_in_use --------------------------------------------------------- */

TEST(vm_in_use)
{
    char dir[64];
    if (!make_dir(dir, sizeof(dir)))
        SKIP("cannot create a temporary folder");
    char vmx[128], path[192];
    snprintf(vmx, sizeof(vmx), "%s/esx.vmx", dir);
    write_text(vmx, "a = 1\n");
    char lock[256];

    /* Nothing but the VM's own files (and near-miss names). */
    snprintf(path, sizeof(path), "%s/esx.lckx", dir);
    write_text(path, "");
    snprintf(path, sizeof(path), "%s/.lck", dir);
    write_text(path, "");
    snprintf(path, sizeof(path), "%s/lck-1", dir);
    write_text(path, "");
    strcpy(lock, "unchanged");
    CHECK_INT(vn_vm_in_use(vmx, lock, sizeof(lock)), 0);
    CHECK_STR(lock, "unchanged");

    /* Workstation/Fusion: NAME.vmx.lck folder. */
    snprintf(path, sizeof(path), "%s/esx.vmx.lck", dir);
    CHECK_INT(mkdir(path, 0755), 0);
    CHECK_INT(vn_vm_in_use(vmx, lock, sizeof(lock)), 1);
    CHECK_STR(lock, "esx.vmx.lck");
    /* A short buffer gets a truncated, terminated name. */
    char small[5];
    CHECK_INT(vn_vm_in_use(vmx, small, sizeof(small)), 1);
    CHECK_STR(small, "esx.");
    rmdir(path);
    CHECK_INT(vn_vm_in_use(vmx, lock, sizeof(lock)), 0);

    /* ESXi on NFS: .lck-XXXX files. */
    snprintf(path, sizeof(path), "%s/.lck-1234", dir);
    write_text(path, "");
    CHECK_INT(vn_vm_in_use(vmx, lock, sizeof(lock)), 1);
    CHECK_STR(lock, ".lck-1234");
    remove(path);

    /* A disk's lock counts as well. */
    snprintf(path, sizeof(path), "%s/esx.vmdk.lck", dir);
    CHECK_INT(mkdir(path, 0755), 0);
    CHECK_INT(vn_vm_in_use(vmx, lock, sizeof(lock)), 1);
    CHECK_STR(lock, "esx.vmdk.lck");
    rmdir(path);
    CHECK_INT(vn_vm_in_use(vmx, lock, sizeof(lock)), 0);

    /* A folder that does not exist holds no lock. */
    snprintf(path, sizeof(path), "%s/none/esx.vmx", dir);
    CHECK_INT(vn_vm_in_use(path, lock, sizeof(lock)), 0);
    rm_tree(dir);
}

int main(void)
{
    RUN(read_missing);
    RUN(read_directory);
    RUN(read_contents);
    RUN(replace_creates_with_mode);
    RUN(replace_keeps_mode);
    RUN(replace_errors);
    RUN(replace_after_stale_temp);
    RUN(crash_before_rename);
    RUN(crash_after_rename);
    RUN(crash_point_unset_or_other);
    RUN(backup_once);
    RUN(backup_once_missing_source);
    RUN(vm_in_use);
    TH_EXIT();
}
