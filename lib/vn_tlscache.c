#include "vn_tlscache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MAX_SESSION_BYTES 16384

/* $XDG_CACHE_HOME/vnest/tls, or ~/.cache/vnest/tls. */
static int cache_dir(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int len;
    if (xdg && xdg[0] == '/')
        len = snprintf(out, n, "%s/vnest/tls", xdg);
    else if (home && home[0] == '/')
        len = snprintf(out, n, "%s/.cache/vnest/tls", home);
    else
        return -1;
    return len > 0 && (size_t)len < n ? 0 : -1;
}

/* Adds the CA file's bytes to the key: a new bundle must not reuse a
 * session that an old one verified. */
static int digest_file(EVP_MD_CTX *md, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[16384];
    ssize_t r;
    while ((r = read(fd, buf, sizeof(buf))) > 0)
        EVP_DigestUpdate(md, buf, (size_t)r);
    int saved = errno;
    close(fd);
    errno = saved;
    return r < 0 ? -1 : 0;
}

int vn_tlscache_path(const char *hostport, int insecure, const char *ca_file,
                     const unsigned char *pin, size_t pin_len, char *out, size_t n)
{
    const char *off = getenv("VNEST_TLS_CACHE");
    char dir[3900];
    if (insecure || (off && !strcmp(off, "0")) || cache_dir(dir, sizeof(dir)) != 0)
        return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return -1;
    }
    /* Fields separated by NULs so no two settings give the same input. */
    EVP_DigestUpdate(md, hostport, strlen(hostport) + 1);
    const char *mode = pin_len ? "pin" : ca_file ? "ca-file" : "system";
    EVP_DigestUpdate(md, mode, strlen(mode) + 1);
    if (pin_len)
        EVP_DigestUpdate(md, pin, pin_len);
    else if (ca_file && digest_file(md, ca_file) != 0) {
        EVP_MD_CTX_free(md);
        return -1;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    EVP_DigestFinal_ex(md, d, &dn);
    EVP_MD_CTX_free(md);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < dn && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    int len = snprintf(out, n, "%s/%.64s", dir, hex);
    return len > 0 && (size_t)len < n ? 0 : -1;
}

SSL_SESSION *vn_tlscache_load(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    unsigned char buf[MAX_SESSION_BYTES];
    ssize_t len = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        (st.st_mode & 077) == 0 && st.st_size > 0 && st.st_size <= MAX_SESSION_BYTES)
        len = read(fd, buf, sizeof(buf));
    close(fd);
    if (len <= 0)
        return NULL;
    const unsigned char *p = buf;
    SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, (long)len);
    if (s && (!SSL_SESSION_is_resumable(s) ||
              (time_t)(SSL_SESSION_get_time(s) + SSL_SESSION_get_timeout(s)) <= time(NULL))) {
        SSL_SESSION_free(s);
        s = NULL;
    }
    return s;
}

/* mkdir -p for the cache folder, each new level private. */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(path, 0700);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

void vn_tlscache_store(const char *path, SSL_SESSION *s)
{
    int len = i2d_SSL_SESSION(s, NULL);
    if (len <= 0 || len > MAX_SESSION_BYTES)
        return;
    unsigned char *der = malloc((size_t)len), *p = der;
    if (!der || i2d_SSL_SESSION(s, &p) != len) {
        free(der);
        return;
    }
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    int fd = -1;
    if (slash && make_dirs(dir) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        int ok = write(fd, der, (size_t)len) == len;
        ok = close(fd) == 0 && ok;
        /* rename: a reader sees the old file or the new one, never a mix */
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(der);
}
