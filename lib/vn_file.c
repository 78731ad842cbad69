#include "vn_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"

void vn_crash_point(const char *name)
{
    const char *want = getenv("VNEST_CRASH_AT");
    if (want && strcmp(want, name) == 0)
        kill(getpid(), SIGKILL);
}

int vn_file_read(const char *path, char **data, size_t *len, vn_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vn_fail(err, VN_EINPUT, path, "cannot read (%s)", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return vn_fail(err, VN_EINPUT, path, "is a directory (expected a file)");
    }
    vn_buf b = VN_BUF_INIT;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            vn_buf_free(&b);
            return vn_fail(err, VN_EINPUT, path, "cannot read (%s)", strerror(e));
        }
        if (n == 0)
            break;
        vn_buf_add(&b, chunk, (size_t)n);
    }
    close(fd);
    *data = vn_buf_detach(&b, len);
    return VN_OK;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fsync_parent_dir(const char *path)
{
    char *copy = vn_xstrdup(path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* best effort: some filesystems refuse fsync on dirs */
        close(dfd);
    }
    free(copy);
}

int vn_file_replace(const char *path, const void *data, size_t len, int new_mode, vn_error *err)
{
    struct stat st;
    int mode = new_mode;
    if (stat(path, &st) == 0)
        mode = st.st_mode & 07777;

    vn_buf tmp = VN_BUF_INIT;
    vn_buf_addf(&tmp, "%s.vnest-tmp.%ld", path, (long)getpid());
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST) {
        /* Named after this PID, so left by a process that died (a crash
         * before the rename, PID reused): remove it rather than fail for
         * good. O_EXCL still refuses whatever appears in between. */
        unlink(tmp.data);
        fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    }
    if (fd < 0) {
        int e = errno;
        vn_buf_free(&tmp);
        return vn_fail(err, VN_ERUNTIME, path, "cannot create temporary file (%s)", strerror(e));
    }
    fchmod(fd, (mode_t)mode); /* open() applied the umask; keep the file's mode */
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp.data);
        vn_buf_free(&tmp);
        return vn_fail(err, VN_ERUNTIME, path, "cannot write (%s)", strerror(e));
    }
    close(fd);
    vn_crash_point("before-rename");
    if (rename(tmp.data, path) != 0) {
        int e = errno;
        unlink(tmp.data);
        vn_buf_free(&tmp);
        return vn_fail(err, VN_ERUNTIME, path, "cannot replace (%s)", strerror(e));
    }
    vn_buf_free(&tmp);
    fsync_parent_dir(path);
    vn_crash_point("after-rename");
    return VN_OK;
}

int vn_file_backup_once(const char *src, const char *dst, vn_error *err)
{
    if (access(dst, F_OK) == 0)
        return 0;
    char *data = NULL;
    size_t len = 0;
    int rc = vn_file_read(src, &data, &len, err);
    if (rc != VN_OK)
        return rc;
    struct stat st;
    int mode = stat(src, &st) == 0 ? (int)(st.st_mode & 07777) : 0600;
    rc = vn_file_replace(dst, data, len, mode, err); /* as private as the original */
    free(data);
    return rc == VN_OK ? 1 : rc;
}
