/* vn_journal_files: the undo journal over the files of an image (format
 * and rules in vn_journal.h, "the files of an image"). */
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_journal.h"
#include "vn_journal_util.h"

#define HDR_SIZE  20u
#define FREC_SIZE 24u
#define BREC_SIZE 24u
#define MAX_FILES 4096u /* twoGbMaxExtent* images of several TiB */

static const char hdr_magic[8] = {'V', 'N', 'J', 'R', 'N', 'L', '0', '2'};
static const char frec_magic[4] = {'V', 'N', 'J', 'F'};
static const char brec_magic[4] = {'V', 'N', 'J', 'B'};

typedef struct jfile {
    char *path; /* as opened */
    char *name; /* as recorded: relative to the journal's folder, or absolute */
    int fd;
    uint64_t orig; /* length when the journal started (or when opened) */
    int written;
    vn_jnl_set saved;
} jfile;

struct vn_journal {
    char *path;
    int fd; /* -1 until the first write */
    int broken;
    jfile *files;
    size_t n;
    uint64_t saved_read, journal_written;
};

typedef struct view {
    vn_journal *j;
    size_t idx;
} view;

/* ---- names ---- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return vn_xstrdup(".");
    if (slash == path)
        return vn_xstrdup("/");
    vn_buf b = VN_BUF_INIT;
    vn_buf_add(&b, path, (size_t)(slash - path));
    return vn_buf_detach(&b, NULL);
}

/* The name a file is recorded under: its plain name, since it must lie in
 * the journal's folder itself (resolved, not through a symbolic link).
 * Recovery then only ever touches plain names beside the journal, so a
 * journal planted beside an image cannot make vnest write anywhere else.
 * NULL when the file lies elsewhere. */
static char *record_name(const char *journal_path, const char *file)
{
    char *jdir = dir_of(journal_path);
    char rj[PATH_MAX], rf[PATH_MAX];
    char *name = NULL;
    if (realpath(jdir, rj) && realpath(file, rf)) {
        char *slash = strrchr(rf, '/');
        size_t n = (size_t)(slash - rf);
        if ((n == strlen(rj) && strncmp(rf, rj, n) == 0) || (n == 0 && strcmp(rj, "/") == 0))
            name = vn_xstrdup(slash + 1);
    }
    free(jdir);
    return name;
}

/* A recorded name is a plain file name: no folder part, not "." or "..". */
static int plain_name(const char *name)
{
    return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static char *resolve_name(const char *journal_path, const char *name)
{
    char *jdir = dir_of(journal_path);
    vn_buf b = VN_BUF_INIT;
    vn_buf_adds(&b, jdir);
    vn_buf_adds(&b, "/");
    vn_buf_adds(&b, name);
    free(jdir);
    return vn_buf_detach(&b, NULL);
}

/* ---- writing the journal ---- */

static int jfail(vn_journal *j, vn_error *err, const char *what)
{
    return vn_fail(err, VN_ERUNTIME, j->path, "cannot %s the undo journal (%s)", what,
                   strerror(errno));
}

/* Creates the journal: header and file table, durable with its directory
 * entry before any file is touched. */
static int start(vn_journal *j, vn_error *err)
{
    int fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return jfail(j, err, "create");
    vn_buf b = VN_BUF_INIT;
    unsigned char h[HDR_SIZE];
    memcpy(h, hdr_magic, 8);
    vn_jnl_put32(h + 8, VN_JOURNAL_BLOCK);
    vn_jnl_put32(h + 12, (uint32_t)j->n);
    vn_jnl_put32(h + 16, vn_jnl_crc32(0, h, 16));
    vn_buf_add(&b, h, sizeof(h));
    for (size_t i = 0; i < j->n; i++) {
        unsigned char r[FREC_SIZE];
        size_t nlen = strlen(j->files[i].name);
        memcpy(r, frec_magic, 4);
        vn_jnl_put32(r + 4, (uint32_t)i);
        vn_jnl_put64(r + 8, j->files[i].orig);
        vn_jnl_put32(r + 16, (uint32_t)nlen);
        uint32_t crc = vn_jnl_crc32(0, r + 4, 16);
        vn_jnl_put32(r + 20, vn_jnl_crc32(crc, j->files[i].name, nlen));
        vn_buf_add(&b, r, sizeof(r));
        vn_buf_add(&b, j->files[i].name, nlen);
    }
    int rc = VN_OK;
    if (vn_jnl_write_all(fd, b.data, b.len) != 0 || fsync(fd) != 0) {
        rc = jfail(j, err, "write");
        close(fd);
        unlink(j->path);
    } else {
        j->fd = fd;
        j->journal_written += b.len;
        rc = vn_jnl_sync_dir(j->path, err);
    }
    vn_buf_free(&b);
    return rc;
}

/* Saves the original bytes of every block of [off, off+len) that lies
 * below the file's original length and is not saved yet. */
static int save(vn_journal *j, size_t idx, uint64_t off, size_t len, int *appended, vn_error *err)
{
    jfile *f = &j->files[idx];
    *appended = 0;
    if (len == 0 || off >= f->orig)
        return VN_OK;
    uint64_t end = off + len < f->orig ? off + len : f->orig;
    uint64_t first = off / VN_JOURNAL_BLOCK, last = (end - 1) / VN_JOURNAL_BLOCK;
    unsigned char *rec = vn_xmalloc(BREC_SIZE + VN_JOURNAL_BLOCK);
    int rc = VN_OK;
    for (uint64_t blk = first; blk <= last; blk++) {
        if (vn_jnl_set_has(&f->saved, blk))
            continue;
        uint64_t boff = blk * VN_JOURNAL_BLOCK;
        uint32_t blen =
            f->orig - boff < VN_JOURNAL_BLOCK ? (uint32_t)(f->orig - boff) : VN_JOURNAL_BLOCK;
        size_t got = 0;
        if (lseek(f->fd, (off_t)boff, SEEK_SET) < 0 ||
            vn_jnl_read_full(f->fd, rec + BREC_SIZE, blen, &got) != 0) {
            rc = vn_fail(err, VN_ERUNTIME, f->path, "cannot read (%s)", strerror(errno));
            break;
        }
        memset(rec + BREC_SIZE + got, 0, blen - got); /* a file shrunk behind our back */
        j->saved_read += blen;
        memcpy(rec, brec_magic, 4);
        vn_jnl_put32(rec + 4, blen);
        vn_jnl_put64(rec + 8, boff);
        vn_jnl_put32(rec + 16, (uint32_t)idx);
        uint32_t crc = vn_jnl_crc32(0, rec + 4, 16);
        vn_jnl_put32(rec + 20, vn_jnl_crc32(crc, rec + BREC_SIZE, blen));
        size_t total = BREC_SIZE + blen, half = total / 2;
        if (vn_jnl_write_all(j->fd, rec, half) != 0) {
            rc = jfail(j, err, "write");
            break;
        }
        vn_jnl_crash_point("journal-torn-record");
        if (vn_jnl_write_all(j->fd, rec + half, total - half) != 0) {
            rc = jfail(j, err, "write");
            break;
        }
        j->journal_written += total;
        vn_jnl_set_add(&f->saved, blk);
        *appended = 1;
    }
    free(rec);
    return rc;
}

/* ---- the file devices ---- */

static int v_read(vn_blk *b, uint64_t off, void *buf, size_t len, vn_error *err)
{
    view *v = b->impl;
    jfile *f = &v->j->files[v->idx];
    char *p = buf;
    while (len) {
        ssize_t n = pread(f->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vn_fail(err, VN_ERUNTIME, f->path, "cannot read (%s)", strerror(errno));
        if (n == 0) /* past the end reads as zeros, as in a sparse file */
            memset(p, 0, len), n = (ssize_t)len;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return VN_OK;
}

static int v_write(vn_blk *b, uint64_t off, const void *buf, size_t len, vn_error *err)
{
    view *v = b->impl;
    vn_journal *j = v->j;
    jfile *f = &j->files[v->idx];
    if (j->broken)
        return vn_fail(err, VN_ERUNTIME, j->path,
                       "the undo journal could not be written; no further writes");
    int rc = VN_OK;
    if (j->fd < 0 && (rc = start(j, err)) != VN_OK)
        return rc;
    int appended = 0;
    if ((rc = save(j, v->idx, off, len, &appended, err)) != VN_OK) {
        j->broken = 1;
        return rc;
    }
    if (appended && fsync(j->fd) != 0) {
        j->broken = 1;
        return jfail(j, err, "flush");
    }
    vn_jnl_crash_point("journal-before-target-write");
    const char *p = buf;
    uint64_t at = off;
    size_t left = len;
    f->written = 1;
    while (left) {
        ssize_t n = pwrite(f->fd, p, left, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vn_fail(err, VN_ERUNTIME, f->path, "cannot write (%s)", strerror(errno));
        p += n;
        at += (uint64_t)n;
        left -= (size_t)n;
    }
    if (off + len > b->size)
        b->size = off + len;
    vn_jnl_crash_point("journal-after-target-write");
    return VN_OK;
}

static int v_flush(vn_blk *b, vn_error *err)
{
    view *v = b->impl;
    jfile *f = &v->j->files[v->idx];
    if (fsync(f->fd) != 0)
        return vn_fail(err, VN_ERUNTIME, f->path, "cannot flush (%s)", strerror(errno));
    return VN_OK;
}

static void v_close(vn_blk *b)
{
    free(b->impl);
    free(b);
}

static const vn_blk_ops view_ops = {v_read, v_write, v_flush, v_close};

int vn_journal_begin(const char *journal_path, vn_journal **out, vn_error *err)
{
    *out = NULL;
    struct stat st;
    if (lstat(journal_path, &st) == 0)
        return vn_fail(err, VN_ERUNTIME, journal_path,
                       "an undo journal from an interrupted run exists (recover the image first)");
    vn_journal *j = vn_xcalloc(1, sizeof(*j));
    j->path = vn_xstrdup(journal_path);
    j->fd = -1;
    *out = j;
    return VN_OK;
}

int vn_journal_file(void *ctx, const char *path, int writable, vn_blk **out, vn_error *err)
{
    vn_journal *j = ctx;
    *out = NULL;
    if (!writable)
        return vn_blk_open_raw(path, 0, out, err);
    if (j->fd >= 0)
        return vn_fail(err, VN_ERUNTIME, path,
                       "cannot join an undo journal that has started (open every file first)");
    if (j->n >= MAX_FILES)
        return vn_fail(err, VN_EINPUT, path, "more than %u files in one image", MAX_FILES);
    char *name = record_name(j->path, path);
    if (!name)
        return vn_fail(err, VN_EINPUT, path,
                       "lies outside the folder of the image (or is reached through a symbolic "
                       "link); only files beside the image are written, journaled");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        free(name);
        if (fd < 0)
            return vn_fail(err, VN_EINPUT, path, "cannot open (%s)", strerror(e));
        close(fd);
        return vn_fail(err, VN_EINPUT, path,
                       "not a regular file (the journaled writer handles image files only)");
    }
    j->files = vn_xrealloc(j->files, (j->n + 1) * sizeof(*j->files));
    jfile *f = &j->files[j->n];
    memset(f, 0, sizeof(*f));
    f->path = vn_xstrdup(path);
    f->name = name;
    f->fd = fd;
    f->orig = (uint64_t)st.st_size;
    vn_blk *b = vn_xcalloc(1, sizeof(*b));
    view *v = vn_xcalloc(1, sizeof(*v));
    v->j = j;
    v->idx = j->n++;
    b->ops = &view_ops;
    b->size = f->orig;
    b->writable = 1;
    b->impl = v;
    snprintf(b->name, sizeof(b->name), "%s", path);
    *out = b;
    return VN_OK;
}

int vn_journal_end(vn_journal *j, vn_error *err)
{
    if (j->fd < 0)
        return VN_OK; /* nothing was written */
    for (size_t i = 0; i < j->n; i++)
        if (j->files[i].written && fsync(j->files[i].fd) != 0)
            return vn_fail(err, VN_ERUNTIME, j->files[i].path, "cannot flush (%s)",
                           strerror(errno));
    vn_jnl_crash_point("journal-before-remove");
    close(j->fd);
    j->fd = -1;
    for (size_t i = 0; i < j->n; i++) {
        jfile *f = &j->files[i];
        struct stat st;
        vn_jnl_set_clear(&f->saved);
        f->written = 0;
        if (fstat(f->fd, &st) == 0)
            f->orig = (uint64_t)st.st_size;
    }
    if (unlink(j->path) != 0 && errno != ENOENT)
        return jfail(j, err, "remove");
    return vn_jnl_sync_dir(j->path, err);
}

void vn_journal_stats(const vn_journal *j, uint64_t *saved_read, uint64_t *journal_written)
{
    *saved_read = j->saved_read;
    *journal_written = j->journal_written;
}

void vn_journal_free(vn_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    for (size_t i = 0; i < j->n; i++) {
        close(j->files[i].fd);
        free(j->files[i].path);
        free(j->files[i].name);
        vn_jnl_set_clear(&j->files[i].saved);
    }
    free(j->files);
    free(j->path);
    free(j);
}

/* ---- recovery ---- */

typedef struct rec {
    uint32_t file, len;
    uint64_t off;
    unsigned char *data;
} rec;

typedef struct rfile {
    char *path;
    uint64_t orig;
    int fd;
} rfile;

/* Reads the file table; *complete = 0 when it was cut short (no file was
 * written then). */
static int read_table(int fd, const char *jpath, rfile *files, uint32_t n, int *complete,
                      vn_error *err)
{
    *complete = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char r[FREC_SIZE];
        size_t got;
        if (vn_jnl_read_full(fd, r, sizeof(r), &got) != 0)
            return vn_fail(err, VN_ERUNTIME, jpath, "cannot read the undo journal (%s)",
                           strerror(errno));
        if (got < sizeof(r))
            return VN_OK;
        uint32_t nlen = vn_jnl_get32(r + 16);
        if (memcmp(r, frec_magic, 4) != 0 || vn_jnl_get32(r + 4) != i || nlen == 0 ||
            nlen > PATH_MAX)
            return VN_OK;
        char *name = vn_xmalloc(nlen + 1);
        if (vn_jnl_read_full(fd, name, nlen, &got) != 0 || got < nlen ||
            vn_jnl_crc32(vn_jnl_crc32(0, r + 4, 16), name, nlen) != vn_jnl_get32(r + 20) ||
            memchr(name, '\0', nlen)) {
            free(name);
            return VN_OK;
        }
        name[nlen] = '\0';
        if (!plain_name(name)) {
            int rc = vn_fail(err, VN_EINPUT, jpath,
                             "names \"%.100s\", not a file beside it (journal kept)", name);
            free(name);
            return rc;
        }
        files[i].path = resolve_name(jpath, name);
        files[i].orig = vn_jnl_get64(r + 8);
        free(name);
    }
    *complete = 1;
    return VN_OK;
}

static void read_blocks(int fd, const rfile *files, uint32_t n, rec **out, size_t *count)
{
    size_t cap = 0;
    for (;;) {
        unsigned char r[BREC_SIZE];
        size_t got;
        if (vn_jnl_read_full(fd, r, sizeof(r), &got) != 0 || got < sizeof(r) ||
            memcmp(r, brec_magic, 4) != 0)
            break; /* the end, or a torn last record */
        uint32_t len = vn_jnl_get32(r + 4), file = vn_jnl_get32(r + 16);
        uint64_t off = vn_jnl_get64(r + 8);
        if (file >= n || len == 0 || len > VN_JOURNAL_BLOCK || off % VN_JOURNAL_BLOCK != 0 ||
            off > files[file].orig || len > files[file].orig - off)
            break;
        unsigned char *data = vn_xmalloc(len);
        if (vn_jnl_read_full(fd, data, len, &got) != 0 || got < len ||
            vn_jnl_crc32(vn_jnl_crc32(0, r + 4, 16), data, len) != vn_jnl_get32(r + 20)) {
            free(data);
            break;
        }
        if (*count == cap) {
            cap = cap ? cap * 2 : 64;
            *out = vn_xrealloc(*out, cap * sizeof(**out));
        }
        (*out)[(*count)++] = (rec){file, len, off, data};
    }
}

static int pwrite_all(int fd, const void *data, size_t len, uint64_t off)
{
    const char *p = data;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* Opens every file and checks it can be what the journal describes. */
static int open_files(rfile *files, uint32_t n, const char *jpath, vn_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        files[i].fd = open(files[i].path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (files[i].fd < 0)
            return vn_fail(err, VN_EINPUT, jpath,
                           "the image file %s it names cannot be opened (%s); journal kept",
                           files[i].path, strerror(errno));
        if (fstat(files[i].fd, &st) != 0 || !S_ISREG(st.st_mode) ||
            (uint64_t)st.st_size < files[i].orig)
            return vn_fail(err, VN_EINPUT, jpath,
                           "%s is shorter than the %llu bytes the journal recorded (not the "
                           "journaled image?); journal kept",
                           files[i].path, (unsigned long long)files[i].orig);
    }
    return VN_OK;
}

int vn_journal_recover_files(const char *journal_path, int *recovered, vn_error *err)
{
    if (recovered)
        *recovered = 0;
    int fd = open(journal_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return VN_OK;
        return vn_fail(err, VN_ERUNTIME, journal_path, "cannot open the undo journal (%s)",
                       strerror(errno));
    }
    unsigned char h[HDR_SIZE];
    size_t got = 0;
    int rc = VN_OK, complete = 0;
    uint32_t n = 0;
    rfile *files = NULL;
    rec *recs = NULL;
    size_t count = 0;
    if (vn_jnl_read_full(fd, h, sizeof(h), &got) != 0) {
        rc = vn_fail(err, VN_ERUNTIME, journal_path, "cannot read the undo journal (%s)",
                     strerror(errno));
    } else if (got < sizeof(h)) {
        /* Cut short while it was being created: no file was written. */
        if (got > 0 && memcmp(h, hdr_magic, got < 8 ? got : 8) != 0)
            rc = vn_fail(err, VN_EINPUT, journal_path, "not a vnest undo journal (bad magic)");
    } else if (memcmp(h, hdr_magic, 8) != 0 || vn_jnl_get32(h + 16) != vn_jnl_crc32(0, h, 16) ||
               vn_jnl_get32(h + 8) != VN_JOURNAL_BLOCK || vn_jnl_get32(h + 12) > MAX_FILES) {
        rc = vn_fail(err, VN_EINPUT, journal_path,
                     "not an image undo journal (bad header; expected VNJRNL02)");
    } else {
        n = vn_jnl_get32(h + 12);
        files = vn_xcalloc(n ? n : 1, sizeof(*files));
        for (uint32_t i = 0; i < n; i++)
            files[i].fd = -1;
        rc = read_table(fd, journal_path, files, n, &complete, err);
        if (rc == VN_OK && complete) {
            read_blocks(fd, files, n, &recs, &count);
            rc = open_files(files, n, journal_path, err);
        }
    }
    close(fd);
    /* Last saved first, then the appended tail goes. */
    for (size_t i = count; i-- > 0 && rc == VN_OK;)
        if (pwrite_all(files[recs[i].file].fd, recs[i].data, recs[i].len, recs[i].off) != 0)
            rc = vn_fail(err, VN_ERUNTIME, files[recs[i].file].path, "cannot write (%s)",
                         strerror(errno));
    for (uint32_t i = 0; rc == VN_OK && complete && i < n; i++) {
        struct stat st;
        if (fstat(files[i].fd, &st) == 0 && (uint64_t)st.st_size > files[i].orig &&
            ftruncate(files[i].fd, (off_t)files[i].orig) != 0)
            rc = vn_fail(err, VN_ERUNTIME, files[i].path, "cannot truncate (%s)", strerror(errno));
        if (rc == VN_OK && fsync(files[i].fd) != 0)
            rc = vn_fail(err, VN_ERUNTIME, files[i].path, "cannot flush (%s)", strerror(errno));
    }
    for (size_t i = 0; i < count; i++)
        free(recs[i].data);
    free(recs);
    for (uint32_t i = 0; i < n; i++) {
        if (files[i].fd >= 0)
            close(files[i].fd);
        free(files[i].path);
    }
    free(files);
    if (rc != VN_OK)
        return rc;
    if (unlink(journal_path) != 0 && errno != ENOENT)
        return vn_fail(err, VN_ERUNTIME, journal_path, "cannot remove the undo journal (%s)",
                       strerror(errno));
    rc = vn_jnl_sync_dir(journal_path, err);
    if (rc == VN_OK && recovered)
        *recovered = 1;
    return rc;
}
