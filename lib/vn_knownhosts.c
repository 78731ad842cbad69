/* vn_knownhosts: host names, certificate thumbprints and govc's known_hosts
 * files, for vn_http's pinning (see vn_http.h for the file format). */
#include "vn_knownhosts.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_http.h"
#include "vn_httpconn.h"

#define VN_KNOWN_HOSTS_MAX ((size_t)16 << 20)

/* "AA:bb:..." (any case) of 20 or 32 bytes -> bytes; returns the count or 0. */
size_t vn_parse_thumb(const char *s, size_t len, unsigned char out[32])
{
    if (len != 20 * 3 - 1 && len != 32 * 3 - 1)
        return 0;
    size_t n = (len + 1) / 3;
    for (size_t i = 0; i < n; i++) {
        int hi = vn_hexval((unsigned char)s[i * 3]), lo = vn_hexval((unsigned char)s[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i + 1 < n && s[i * 3 + 2] != ':'))
            return 0;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return n;
}

/* Parses a decimal port 1..65535 of exactly `len` digits; -1 if invalid. */
static long parse_port(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535 ? v : -1;
}

static int host_char_ok(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '%';
}

/* Splits "host", "host:port", "[v6]" or "[v6]:port" (`len` bytes) into a
 * normalized "host:port" (lower case, default `defport`). Returns 0, or -1
 * when it is not a host. */
int vn_norm_hostport(const char *s, size_t len, long defport, char *out, size_t n)
{
    size_t hlen;
    const char *rest;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close || close == s + 1)
            return -1;
        for (const char *p = s + 1; p < close; p++) {
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.' && *p != '%')
                return -1;
        }
        hlen = (size_t)(close - s) + 1;
        rest = close + 1;
    } else {
        hlen = 0;
        while (hlen < len && s[hlen] != ':')
            hlen++;
        if (hlen == 0)
            return -1;
        for (size_t i = 0; i < hlen; i++) {
            if (!host_char_ok((unsigned char)s[i]))
                return -1;
        }
        rest = s + hlen;
    }
    size_t rlen = len - (size_t)(rest - s);
    long port = defport;
    if (rlen > 0) {
        if (rest[0] != ':')
            return -1;
        port = parse_port(rest + 1, rlen - 1);
        if (port < 0)
            return -1;
    }
    if (hlen > VN_HOST_MAX || hlen + 7 > n)
        return -1;
    for (size_t i = 0; i < hlen; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    snprintf(out + hlen, n - hlen, ":%ld", port);
    return 0;
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

int vn_known_hosts_find(const char *text, size_t len, const char *name, const char *hostport,
                        char *thumb, size_t n, vn_error *err)
{
    char want[VN_HOST_MAX + 8];
    if (vn_norm_hostport(hostport, strlen(hostport), 443, want, sizeof(want)) != 0) {
        vn_fail(err, VN_EINPUT, hostport, "not a host name (expected host[:port])");
        return -1;
    }
    int found = 0;
    unsigned char best[32];
    size_t best_len = 0;
    size_t pos = 0;
    for (int line = 1; pos < len; line++) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        pos += l + (nl ? 1 : 0);
        if (l > 0 && s[l - 1] == '\r')
            l--;
        size_t i = 0;
        while (i < l && is_blank((unsigned char)s[i]))
            i++;
        if (i == l || s[i] == '#')
            continue;
        size_t h0 = i;
        while (i < l && !is_blank((unsigned char)s[i]))
            i++;
        size_t h1 = i;
        while (i < l && is_blank((unsigned char)s[i]))
            i++;
        size_t t0 = i;
        while (i < l && !is_blank((unsigned char)s[i]))
            i++;
        size_t t1 = i;
        while (i < l && is_blank((unsigned char)s[i]))
            i++;
        char got[VN_HOST_MAX + 8];
        unsigned char md[32];
        size_t mdlen = 0;
        if (vn_norm_hostport(s + h0, h1 - h0, 443, got, sizeof(got)) != 0) {
            vn_fail_at(err, VN_EINPUT, name, line,
                       "bad host \"%.*s\" (expected \"host[:port] AA:BB:...\")",
                       (int)(h1 - h0 > 80 ? 80 : h1 - h0), s + h0);
            return -1;
        }
        if (t0 == t1) {
            vn_fail_at(err, VN_EINPUT, name, line,
                       "no thumbprint after the host (expected \"host[:port] AA:BB:...\")");
            return -1;
        }
        mdlen = vn_parse_thumb(s + t0, t1 - t0, md);
        if (mdlen == 0) {
            vn_fail_at(err, VN_EINPUT, name, line,
                       "bad thumbprint \"%.*s\" (expected a SHA-256 or SHA-1 thumbprint "
                       "AA:BB:... of 32 or 20 hex bytes)",
                       (int)(t1 - t0 > 100 ? 100 : t1 - t0), s + t0);
            return -1;
        }
        if (i != l) {
            vn_fail_at(err, VN_EINPUT, name, line,
                       "unexpected text after the thumbprint (expected \"host[:port] "
                       "AA:BB:...\")");
            return -1;
        }
        if (strcmp(got, want) == 0) { /* a later line wins, as in govc */
            found = 1;
            memcpy(best, md, mdlen);
            best_len = mdlen;
        }
    }
    if (!found)
        return 0;
    if (n < best_len * 3) {
        vn_fail(err, VN_EINPUT, name, "no room for the thumbprint (expected %zu bytes)",
                best_len * 3);
        return -1;
    }
    vn_hex_colon(best, best_len, thumb, n);
    return 1;
}

/* Reads a whole file; *missing is set (and VN_OK returned) if it does not
 * exist. */
static int read_all(const char *path, char **data, size_t *len, int *missing, vn_error *err)
{
    *data = NULL;
    *len = 0;
    *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = 1;
            return VN_OK;
        }
        return vn_fail(err, VN_EINPUT, path, "cannot read (%s)", strerror(errno));
    }
    vn_buf b = VN_BUF_INIT;
    char chunk[8192];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            vn_buf_free(&b);
            return vn_fail(err, VN_EINPUT, path, "cannot read (%s)", strerror(e));
        }
        if (r == 0)
            break;
        if (b.len + (size_t)r > VN_KNOWN_HOSTS_MAX) {
            close(fd);
            vn_buf_free(&b);
            return vn_fail(err, VN_EINPUT, path, "file too large (expected at most 16 MiB)");
        }
        vn_buf_add(&b, chunk, (size_t)r);
    }
    close(fd);
    *data = vn_buf_detach(&b, len);
    return VN_OK;
}

int vn_known_hosts_pin(const char *list, const char *hostport, vn_pin *pin, vn_error *err)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ':');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l > 0) {
            char *path = vn_xstrndup(p, l);
            char *data;
            size_t len;
            int missing;
            int rc = read_all(path, &data, &len, &missing, err);
            if (rc != VN_OK) {
                free(path);
                return rc;
            }
            if (!missing) {
                char thumb[VN_THUMB_MAX];
                int f = vn_known_hosts_find(data, len, path, hostport, thumb, sizeof(thumb), err);
                free(data);
                if (f < 0) {
                    free(path);
                    return VN_EINPUT;
                }
                if (f == 1) {
                    pin->len = vn_parse_thumb(thumb, strlen(thumb), pin->md);
                    snprintf(pin->hex, sizeof(pin->hex), "%s", thumb);
                    free(pin->source);
                    pin->source = path;
                    path = NULL;
                }
            }
            free(path);
        }
        if (!end)
            break;
        p = end + 1;
    }
    return VN_OK;
}
