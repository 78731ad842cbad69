/* vn_ovaw: OVA (ustar) writer with reserved and streamed members. */
#include "vn_ovaw.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_file.h"

#define BLOCK        512u
#define MAX_RESERVED 8

typedef struct reserved {
    uint64_t data_off, len;
} reserved;

struct vn_ovaw {
    int fd;
    char *path, *tmp;
    uint64_t pos; /* end of what has been laid down */
    reserved res[MAX_RESERVED];
    int nres;
    /* the streamed member in progress */
    int streaming;
    char name[101];
    uint64_t hdr_off, size;
    EVP_MD_CTX *md;
    long mtime;
};

const char *vn_ovaw_temp_path(const vn_ovaw *w)
{
    return w->tmp;
}

static void octal(char *field, size_t width, uint64_t v)
{
    snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)v);
}

/* A ustar header for a regular file. Sizes of 8 GiB and more do not fit in
 * 11 octal digits: those use GNU's base-256 form, which tar, ovftool and
 * vCenter read. */
static void make_header(unsigned char *h, const char *name, uint64_t size, long mtime)
{
    memset(h, 0, BLOCK);
    memcpy(h, name, strlen(name));
    octal((char *)h + 100, 8, 0644);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    if (size < (UINT64_C(1) << 33)) {
        octal((char *)h + 124, 12, size);
    } else {
        h[124] = 0x80;
        for (int i = 0; i < 8; i++)
            h[135 - i] = (unsigned char)(size >> (8 * i));
    }
    octal((char *)h + 136, 12, (uint64_t)mtime);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6); /* magic "ustar\0", version "00" */
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned i = 0; i < BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum); /* six digits, NUL, space */
    h[155] = ' ';
}

static int pwrite_all(vn_ovaw *w, const void *data, size_t len, uint64_t off, vn_error *err)
{
    const unsigned char *p = data;
    while (len) {
        ssize_t n = pwrite(w->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return vn_fail(err, VN_ERUNTIME, w->tmp, "cannot write (%s)",
                           n < 0 ? strerror(errno) : "no progress");
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return VN_OK;
}

static int check_name(const vn_ovaw *w, const char *name, vn_error *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 99 || strchr(name, '/'))
        return vn_fail(err, VN_EINPUT, w->path,
                       "member name \"%s\" cannot be stored (expected 1-99 bytes, no '/')", name);
    return VN_OK;
}

static uint64_t padded(uint64_t len)
{
    return (len + BLOCK - 1) / BLOCK * BLOCK;
}

int vn_ovaw_open(const char *path, vn_ovaw **out, vn_error *err)
{
    *out = NULL;
    char *copy = vn_xstrdup(path);
    char *copy2 = vn_xstrdup(path);
    vn_buf tmp = VN_BUF_INIT;
    const char *dir = dirname(copy);
    vn_buf_addf(&tmp, "%s/.%s.part", dir, basename(copy2));
    free(copy);
    free(copy2);
    int fd = open(tmp.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        vn_fail(err, VN_ERUNTIME, path, "cannot create the temporary file %s (%s)", tmp.data,
                strerror(e));
        vn_buf_free(&tmp);
        return VN_ERUNTIME;
    }
    /* Two exports to the same target would write into one temporary file. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || ftruncate(fd, 0) != 0) {
        int e = errno;
        close(fd);
        vn_fail(err, VN_ERUNTIME, path,
                e == EWOULDBLOCK ? "another export to this file is running (%s is locked)"
                                 : "cannot use the temporary file %s",
                tmp.data);
        vn_buf_free(&tmp);
        return VN_ERUNTIME;
    }
    vn_ovaw *w = vn_xcalloc(1, sizeof(*w));
    w->fd = fd;
    w->path = vn_xstrdup(path);
    w->tmp = vn_buf_detach(&tmp, NULL);
    w->mtime = (long)time(NULL);
    *out = w;
    return VN_OK;
}

int vn_ovaw_reserve(vn_ovaw *w, const char *name, uint64_t len, int *slot, vn_error *err)
{
    if (check_name(w, name, err) != VN_OK)
        return VN_EINPUT;
    if (w->nres >= MAX_RESERVED || w->streaming)
        return vn_fail(err, VN_ERUNTIME, w->path, "internal: cannot reserve %s", name);
    unsigned char h[BLOCK];
    make_header(h, name, len, w->mtime);
    int rc = pwrite_all(w, h, BLOCK, w->pos, err);
    if (rc != VN_OK)
        return rc;
    *slot = w->nres;
    w->res[w->nres++] = (reserved){w->pos + BLOCK, len};
    /* The padding after the content must read as zeros: extend the file
     * over the reserved area now (a hole until filled). */
    w->pos += BLOCK + padded(len);
    if (ftruncate(w->fd, (off_t)w->pos) != 0)
        return vn_fail(err, VN_ERUNTIME, w->tmp, "cannot extend (%s)", strerror(errno));
    return VN_OK;
}

int vn_ovaw_fill(vn_ovaw *w, int slot, const void *data, size_t len, vn_error *err)
{
    if (slot < 0 || slot >= w->nres || w->res[slot].len != len)
        return vn_fail(err, VN_ERUNTIME, w->path,
                       "internal: %zu bytes for a member reserved with %llu", len,
                       slot >= 0 && slot < w->nres ? (unsigned long long)w->res[slot].len : 0ULL);
    return pwrite_all(w, data, len, w->res[slot].data_off, err);
}

int vn_ovaw_begin(vn_ovaw *w, const char *name, vn_error *err)
{
    if (check_name(w, name, err) != VN_OK)
        return VN_EINPUT;
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->hdr_off = w->pos;
    w->size = 0;
    w->pos += BLOCK; /* the header is written by end(), when the size is known */
    w->md = EVP_MD_CTX_new();
    if (!w->md || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1)
        return vn_fail(err, VN_ERUNTIME, NULL, "cannot start SHA-256 (OpenSSL)");
    w->streaming = 1;
    return VN_OK;
}

int vn_ovaw_write(vn_ovaw *w, const void *data, size_t len, vn_error *err)
{
    if (EVP_DigestUpdate(w->md, data, len) != 1)
        return vn_fail(err, VN_ERUNTIME, NULL, "SHA-256 failed (OpenSSL)");
    int rc = pwrite_all(w, data, len, w->pos, err);
    if (rc == VN_OK) {
        w->pos += len;
        w->size += len;
    }
    return rc;
}

int vn_ovaw_end(vn_ovaw *w, uint64_t *size, char hex[65], vn_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    int ok = EVP_DigestFinal_ex(w->md, md, &mdlen) == 1;
    EVP_MD_CTX_free(w->md);
    w->md = NULL;
    w->streaming = 0;
    if (!ok)
        return vn_fail(err, VN_ERUNTIME, NULL, "SHA-256 failed (OpenSSL)");
    for (unsigned i = 0; i < mdlen && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    unsigned char h[BLOCK] = {0};
    uint64_t pad = padded(w->size) - w->size;
    int rc = pad ? pwrite_all(w, h, (size_t)pad, w->pos, err) : VN_OK;
    w->pos += pad;
    make_header(h, w->name, w->size, w->mtime);
    if (rc == VN_OK)
        rc = pwrite_all(w, h, BLOCK, w->hdr_off, err);
    *size = w->size;
    return rc;
}

static void fsync_dir_of(const char *path)
{
    char *copy = vn_xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

static void free_w(vn_ovaw *w)
{
    if (w->md)
        EVP_MD_CTX_free(w->md);
    if (w->fd >= 0)
        close(w->fd);
    free(w->path);
    free(w->tmp);
    free(w);
}

void vn_ovaw_abort(vn_ovaw *w)
{
    if (!w)
        return;
    unlink(w->tmp);
    free_w(w);
}

int vn_ovaw_finish(vn_ovaw *w, vn_error *err)
{
    /* End of archive: two zero blocks, then up to tar's 10 KiB record. */
    uint64_t end = w->pos + 2 * BLOCK;
    end = (end + 10239) / 10240 * 10240;
    int rc = VN_OK;
    if (ftruncate(w->fd, (off_t)end) != 0)
        rc = vn_fail(err, VN_ERUNTIME, w->tmp, "cannot write (%s)", strerror(errno));
    if (rc == VN_OK && fsync(w->fd) != 0)
        rc = vn_fail(err, VN_ERUNTIME, w->tmp, "cannot write (fsync: %s)", strerror(errno));
    if (rc == VN_OK) {
        vn_crash_point("ova-before-rename");
        if (rename(w->tmp, w->path) != 0)
            rc = vn_fail(err, VN_ERUNTIME, w->path, "cannot rename %s into place (%s)", w->tmp,
                         strerror(errno));
    }
    if (rc != VN_OK) {
        vn_ovaw_abort(w);
        return rc;
    }
    fsync_dir_of(w->path);
    free_w(w);
    return VN_OK;
}

void vn_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < mdlen && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
}
