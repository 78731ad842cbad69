/* vn_http: HTTPS transport (libcurl with its OpenSSL backend).
 *
 * Trust model, per handle:
 *  - insecure: no verification at all;
 *  - pinned (explicit thumbprint, or a known_hosts entry for host:port):
 *    libcurl's own checks are off and an OpenSSL verify callback accepts
 *    exactly the leaf certificate whose SHA-256 (32-byte pin) or SHA-1
 *    (20-byte pin) digest is the pin, whatever the CA chain and host name
 *    say; a mismatch aborts the handshake before the request is sent;
 *  - otherwise: libcurl verifies the chain (CA file or system store) and the
 *    host name. The verify callback only watches, to record the leaf's
 *    thumbprint for the "not trusted" message.
 * The callback finds its vn_http through ex_data on the SSL_CTX, which
 * libcurl 7.88 creates per connection and hands to CURLOPT_SSL_CTX_FUNCTION. */
#include "vn_http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#define VN_HTTP_MAX_RESPONSE ((size_t)256 << 20)
#define VN_HTTP_TIMEOUT_MS   (10L * 60 * 1000)
#define VN_HTTP_CONNECT_MS   (15L * 1000)
#define VN_KNOWN_HOSTS_MAX   ((size_t)16 << 20)
#define VN_HOST_MAX          300
#define VN_THUMB_MAX         96 /* 32 bytes as "AA:" ... "FF" plus NUL */
#define VN_SESSION_COOKIE    "vmware_soap_session"

/* The cookie jar, TLS session cache and DNS cache shared by a handle and its
 * dups; freed with the last of them. */
typedef struct vn_share {
    CURLSH *sh;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t ref_mu;
    int refs;
} vn_share;

struct vn_http {
    CURL *curl;
    vn_share *share;
    int plain;                      /* http:// (only with VNEST_ALLOW_HTTP=1) */
    char hostport[VN_HOST_MAX + 8]; /* "host:port", "[v6]:port" */
    char *origin;                   /* "https://host:port" */
    int insecure;
    char *ca_file;
    unsigned char pin[32];
    size_t pin_len; /* 0: no pin; 20: SHA-1; 32: SHA-256 */
    char pin_hex[VN_THUMB_MAX];
    char *pin_source; /* "--thumbprint" or the known_hosts file */
    long timeout_ms;
    long connect_timeout_ms;
    size_t max_response;
    long connects;
    char errbuf[CURL_ERROR_SIZE];
    /* Per request. */
    vn_buf *resp;
    size_t got;
    int too_big;
    int pin_mismatch;
    char seen256[VN_THUMB_MAX]; /* leaf thumbprints seen in the last handshake */
    char seen1[VN_THUMB_MAX];
};

/* ---- One-time global setup ---- */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_init_rc = CURLE_FAILED_INIT;
static int g_ex_idx = -1;
static int g_openssl; /* libcurl's TLS backend is OpenSSL */

static void global_init(void)
{
    g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    g_ex_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    g_openssl = v && v->ssl_version && strncmp(v->ssl_version, "OpenSSL", 7) == 0;
}

static int ensure_init(vn_error *err)
{
    pthread_once(&g_once, global_init);
    if (g_init_rc != CURLE_OK)
        return vn_fail(err, VN_ERUNTIME, NULL, "cannot initialize libcurl (%s)",
                       curl_easy_strerror(g_init_rc));
    return VN_OK;
}

void vn_http_global_cleanup(void)
{
    pthread_once(&g_once, global_init);
    if (g_init_rc == CURLE_OK)
        curl_global_cleanup();
}

/* ---- Thumbprints ---- */

static void hex_colon(const unsigned char *md, size_t n, char *out, size_t len)
{
    static const char digits[] = "0123456789ABCDEF";
    if (len < n * 3) {
        if (len)
            out[0] = '\0';
        return;
    }
    for (size_t i = 0; i < n; i++) {
        out[i * 3] = digits[md[i] >> 4];
        out[i * 3 + 1] = digits[md[i] & 15];
        out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
    }
    if (n == 0)
        out[0] = '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "AA:bb:..." (any case) of 20 or 32 bytes -> bytes; returns the count or 0. */
static size_t parse_thumb(const char *s, size_t len, unsigned char out[32])
{
    if (len != 20 * 3 - 1 && len != 32 * 3 - 1)
        return 0;
    size_t n = (len + 1) / 3;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval((unsigned char)s[i * 3]), lo = hexval((unsigned char)s[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i + 1 < n && s[i * 3 + 2] != ':'))
            return 0;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return n;
}

/* Records the leaf's thumbprints and, when pinned, decides. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    vn_http *h = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), g_ex_idx) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(x);
    if (!h)
        return preverify_ok;
    unsigned char md256[EVP_MAX_MD_SIZE], md1[EVP_MAX_MD_SIZE];
    unsigned int n256 = 0, n1 = 0;
    int have = leaf && X509_digest(leaf, EVP_sha256(), md256, &n256) &&
               X509_digest(leaf, EVP_sha1(), md1, &n1);
    if (have) {
        hex_colon(md256, n256, h->seen256, sizeof(h->seen256));
        hex_colon(md1, n1, h->seen1, sizeof(h->seen1));
    }
    if (!h->pin_len)
        return preverify_ok;
    const unsigned char *md = h->pin_len == 32 ? md256 : md1;
    unsigned int n = h->pin_len == 32 ? n256 : n1;
    if (have && n == h->pin_len && memcmp(md, h->pin, n) == 0) {
        X509_STORE_CTX_set_error(x, X509_V_OK);
        return 1;
    }
    h->pin_mismatch = 1;
    X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

static CURLcode ssl_ctx_cb(CURL *curl, void *sslctx, void *userptr)
{
    (void)curl;
    SSL_CTX *ctx = sslctx;
    vn_http *h = userptr;
    if (!SSL_CTX_set_ex_data(ctx, g_ex_idx, h))
        return CURLE_SSL_CERTPROBLEM;
    int mode = h->pin_len ? SSL_VERIFY_PEER : SSL_CTX_get_verify_mode(ctx);
    SSL_CTX_set_verify(ctx, mode, verify_cb);
    return CURLE_OK;
}

/* ---- Shared state between dups ---- */

static void share_lock(CURL *curl, curl_lock_data data, curl_lock_access access, void *userptr)
{
    (void)curl;
    (void)access;
    vn_share *s = userptr;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&s->locks[data]);
}

static void share_unlock(CURL *curl, curl_lock_data data, void *userptr)
{
    (void)curl;
    vn_share *s = userptr;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&s->locks[data]);
}

static vn_share *share_new(void)
{
    CURLSH *sh = curl_share_init();
    if (!sh)
        return NULL;
    vn_share *s = vn_xcalloc(1, sizeof(*s));
    s->sh = sh;
    s->refs = 1;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&s->locks[i], NULL);
    pthread_mutex_init(&s->ref_mu, NULL);
    CURLSHcode rc = curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(sh, CURLSHOPT_USERDATA, s);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if (rc == CURLSHE_OK)
        rc = curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    if (rc != CURLSHE_OK) {
        s->refs = 0;
        curl_share_cleanup(sh);
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&s->locks[i]);
        pthread_mutex_destroy(&s->ref_mu);
        free(s);
        return NULL;
    }
    return s;
}

static void share_ref(vn_share *s)
{
    pthread_mutex_lock(&s->ref_mu);
    s->refs++;
    pthread_mutex_unlock(&s->ref_mu);
}

static void share_unref(vn_share *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->ref_mu);
    int left = --s->refs;
    pthread_mutex_unlock(&s->ref_mu);
    if (left > 0)
        return;
    curl_share_cleanup(s->sh);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&s->locks[i]);
    pthread_mutex_destroy(&s->ref_mu);
    free(s);
}

/* ---- URLs and host names ---- */

static int env_allows_http(void)
{
    const char *v = getenv("VNEST_ALLOW_HTTP");
    return v && strcmp(v, "1") == 0;
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
static int norm_hostport(const char *s, size_t len, long defport, char *out, size_t n)
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

/* "https://host[:port][/]" -> plain flag and "host:port". */
static int parse_base(const char *base, int *plain, char *hostport, size_t n, vn_error *err)
{
    const char *where = base;
    const char *p;
    if (strncasecmp(base, "https://", 8) == 0) {
        *plain = 0;
        p = base + 8;
    } else if (strncasecmp(base, "http://", 7) == 0) {
        *plain = 1;
        p = base + 7;
    } else {
        return vn_fail(err, VN_EINPUT, where, "not a server URL (expected https://host[:port])");
    }
    size_t len = strlen(p);
    if (len > 0 && p[len - 1] == '/')
        len--;
    if (norm_hostport(p, len, *plain ? 80 : 443, hostport, n) != 0)
        return vn_fail(err, VN_EINPUT, where,
                       "not a server URL (expected https://host[:port], without a path)");
    if (*plain && !env_allows_http())
        return vn_fail(err, VN_EINPUT, where, "plain http is refused; use https");
    return VN_OK;
}

/* ---- known_hosts ---- */

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

int vn_known_hosts_find(const char *text, size_t len, const char *name, const char *hostport,
                        char *thumb, size_t n, vn_error *err)
{
    char want[VN_HOST_MAX + 8];
    if (norm_hostport(hostport, strlen(hostport), 443, want, sizeof(want)) != 0) {
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
        if (norm_hostport(s + h0, h1 - h0, 443, got, sizeof(got)) != 0) {
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
        mdlen = parse_thumb(s + t0, t1 - t0, md);
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
    hex_colon(best, best_len, thumb, n);
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

/* Looks hostport up in every file of the ':'-separated list; a later file
 * wins. */
static int pin_from_known_hosts(vn_http *h, const char *list, vn_error *err)
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
                int f =
                    vn_known_hosts_find(data, len, path, h->hostport, thumb, sizeof(thumb), err);
                free(data);
                if (f < 0) {
                    free(path);
                    return VN_EINPUT;
                }
                if (f == 1) {
                    h->pin_len = parse_thumb(thumb, strlen(thumb), h->pin);
                    snprintf(h->pin_hex, sizeof(h->pin_hex), "%s", thumb);
                    free(h->pin_source);
                    h->pin_source = path;
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

/* ---- Handles ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userptr)
{
    vn_http *h = userptr;
    size_t n = size * nmemb;
    if (n > h->max_response - h->got) {
        h->too_big = 1;
        return 0; /* CURLE_WRITE_ERROR */
    }
    vn_buf_add(h->resp, data, n);
    h->got += n;
    return n;
}

#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)

/* Configures a fresh easy handle for `h` (shared by open and dup). */
static int setup_easy(vn_http *h, vn_error *err)
{
    CURL *c = curl_easy_init();
    if (!c)
        return vn_fail(err, VN_ERUNTIME, h->hostport, "cannot create a libcurl handle");
    h->curl = c;
    const char *protocols = h->plain ? "http" : "https";
    CURLcode rc = CURLE_OK;
    SETOPT(CURLOPT_SHARE, h->share->sh);
    SETOPT(CURLOPT_COOKIEFILE, ""); /* in-memory cookie engine */
    SETOPT(CURLOPT_ERRORBUFFER, h->errbuf);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, h);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_TIMEOUT_MS, h->timeout_ms);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
    SETOPT(CURLOPT_PROTOCOLS_STR, protocols);
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
#else
    SETOPT(CURLOPT_PROTOCOLS, h->plain ? (long)CURLPROTO_HTTP : (long)CURLPROTO_HTTPS);
    SETOPT(CURLOPT_REDIR_PROTOCOLS, h->plain ? (long)CURLPROTO_HTTP : (long)CURLPROTO_HTTPS);
#endif
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_USERAGENT, "vnest");
    SETOPT(CURLOPT_ACCEPT_ENCODING, "");
    if (!h->plain) {
        SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
        int curl_verifies = !h->insecure && !h->pin_len;
        SETOPT(CURLOPT_SSL_VERIFYPEER, curl_verifies ? 1L : 0L);
        SETOPT(CURLOPT_SSL_VERIFYHOST, curl_verifies ? 2L : 0L);
        if (h->ca_file && curl_verifies)
            SETOPT(CURLOPT_CAINFO, h->ca_file);
        if (g_openssl) {
            SETOPT(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
            SETOPT(CURLOPT_SSL_CTX_DATA, h);
        }
    }
    if (rc != CURLE_OK)
        return vn_fail(err, VN_ERUNTIME, h->hostport, "cannot configure libcurl (%s)",
                       curl_easy_strerror(rc));
    return VN_OK;
}

static void http_free(vn_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    share_unref(h->share);
    free(h->origin);
    free(h->ca_file);
    free(h->pin_source);
    free(h);
}

int vn_http_open(vn_http **out, const char *base, const vn_tls *tls, vn_error *err)
{
    *out = NULL;
    int rc = ensure_init(err);
    if (rc != VN_OK)
        return rc;
    vn_tls none = {0};
    if (!tls)
        tls = &none;
    vn_http *h = vn_xcalloc(1, sizeof(*h));
    rc = parse_base(base, &h->plain, h->hostport, sizeof(h->hostport), err);
    if (rc != VN_OK) {
        http_free(h);
        return rc;
    }
    size_t olen = strlen(h->hostport) + 16;
    h->origin = vn_xmalloc(olen);
    snprintf(h->origin, olen, "%s://%s", h->plain ? "http" : "https", h->hostport);
    h->insecure = tls->insecure != 0;
    h->ca_file = tls->ca_file && *tls->ca_file ? vn_xstrdup(tls->ca_file) : NULL;
    h->timeout_ms = tls->timeout_ms > 0 ? tls->timeout_ms : VN_HTTP_TIMEOUT_MS;
    h->connect_timeout_ms =
        tls->connect_timeout_ms > 0 ? tls->connect_timeout_ms : VN_HTTP_CONNECT_MS;
    h->max_response = VN_HTTP_MAX_RESPONSE;
    if (!h->plain && !h->insecure) {
        if (tls->thumbprint && *tls->thumbprint) {
            h->pin_len = parse_thumb(tls->thumbprint, strlen(tls->thumbprint), h->pin);
            if (!h->pin_len) {
                http_free(h);
                return vn_fail(err, VN_EINPUT, "--thumbprint",
                               "bad thumbprint (expected a SHA-256 or SHA-1 thumbprint "
                               "AA:BB:... of 32 or 20 hex bytes)");
            }
            hex_colon(h->pin, h->pin_len, h->pin_hex, sizeof(h->pin_hex));
            h->pin_source = vn_xstrdup("--thumbprint");
        } else if (tls->known_hosts && *tls->known_hosts) {
            rc = pin_from_known_hosts(h, tls->known_hosts, err);
            if (rc != VN_OK) {
                http_free(h);
                return rc;
            }
        }
        if (h->pin_len && !g_openssl) {
            http_free(h);
            return vn_fail(err, VN_ERUNTIME, h->hostport,
                           "thumbprint pinning needs libcurl built with OpenSSL");
        }
    }
    h->share = share_new();
    if (!h->share) {
        http_free(h);
        return vn_fail(err, VN_ERUNTIME, NULL, "cannot create a libcurl share");
    }
    rc = setup_easy(h, err);
    if (rc != VN_OK) {
        http_free(h);
        return rc;
    }
    *out = h;
    return VN_OK;
}

int vn_http_dup(vn_http *h, vn_http **out, vn_error *err)
{
    *out = NULL;
    vn_http *d = vn_xcalloc(1, sizeof(*d));
    d->plain = h->plain;
    memcpy(d->hostport, h->hostport, sizeof(d->hostport));
    d->origin = vn_xstrdup(h->origin);
    d->insecure = h->insecure;
    d->ca_file = h->ca_file ? vn_xstrdup(h->ca_file) : NULL;
    memcpy(d->pin, h->pin, sizeof(d->pin));
    d->pin_len = h->pin_len;
    memcpy(d->pin_hex, h->pin_hex, sizeof(d->pin_hex));
    d->pin_source = h->pin_source ? vn_xstrdup(h->pin_source) : NULL;
    d->timeout_ms = h->timeout_ms;
    d->connect_timeout_ms = h->connect_timeout_ms;
    d->max_response = h->max_response;
    share_ref(h->share);
    d->share = h->share;
    int rc = setup_easy(d, err);
    if (rc != VN_OK) {
        http_free(d);
        return rc;
    }
    *out = d;
    return VN_OK;
}

void vn_http_close(vn_http *h)
{
    http_free(h);
}

void vn_http_set_max_response(vn_http *h, size_t max)
{
    h->max_response = max;
}

long vn_http_connects(const vn_http *h)
{
    return h->connects;
}

const char *vn_http_hostport(const vn_http *h)
{
    return h->hostport;
}

void vn_http_clear_cookies(vn_http *h)
{
    curl_easy_setopt(h->curl, CURLOPT_COOKIELIST, "ALL");
}

const char *vn_http_session_cookie(vn_http *h, char *buf, size_t len)
{
    if (len == 0)
        return "";
    buf[0] = '\0';
    struct curl_slist *list = NULL;
    if (curl_easy_getinfo(h->curl, CURLINFO_COOKIELIST, &list) != CURLE_OK)
        return buf;
    /* Netscape format: domain, subdomains, path, secure, expiry, name, value. */
    for (struct curl_slist *l = list; l; l = l->next) {
        const char *f = l->data;
        for (int i = 0; i < 5 && f; i++) {
            f = strchr(f, '\t');
            if (f)
                f++;
        }
        if (!f)
            continue;
        const char *tab = strchr(f, '\t');
        if (!tab || (size_t)(tab - f) != strlen(VN_SESSION_COOKIE) ||
            strncmp(f, VN_SESSION_COOKIE, (size_t)(tab - f)) != 0)
            continue;
        const char *value = tab + 1;
        if (strlen(value) < len)
            snprintf(buf, len, "%s", value);
        break;
    }
    curl_slist_free_all(list);
    return buf;
}

/* ---- Requests ---- */

static const char *strip_prefix(const char *s, const char *prefix)
{
    const char *p = s;
    while (*prefix && *p == *prefix) {
        p++;
        prefix++;
    }
    return *prefix ? s : p;
}

static void format_ms(long ms, char *out, size_t n)
{
    if (ms % 1000 == 0)
        snprintf(out, n, "%ld s", ms / 1000);
    else
        snprintf(out, n, "%ld ms", ms);
}

/* The "host[:port] SHA256" line for known_hosts, port 443 left out as govc
 * writes it. */
static void known_hosts_line(const vn_http *h, char *out, size_t n)
{
    size_t l = strlen(h->hostport);
    if (l > 4 && strcmp(h->hostport + l - 4, ":443") == 0)
        l -= 4;
    snprintf(out, n, "%.*s %s", (int)l, h->hostport, h->seen256);
}

static int transport_error(vn_http *h, CURLcode cc, vn_error *err)
{
    const char *w = h->hostport;
    const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc);
    if (h->pin_mismatch) {
        const char *seen = h->pin_len == 32 ? h->seen256 : h->seen1;
        return vn_fail(
            err, VN_ERUNTIME, w, "certificate thumbprint %s does not match the pinned %s (from %s)",
            seen[0] ? seen : "(unknown)", h->pin_hex, h->pin_source ? h->pin_source : "the pin");
    }
    if (h->too_big) {
        if (h->max_response % ((size_t)1 << 20) == 0)
            return vn_fail(err, VN_ERUNTIME, w,
                           "the response is larger than %zu MiB (expected a smaller reply)",
                           h->max_response >> 20);
        return vn_fail(err, VN_ERUNTIME, w,
                       "the response is larger than %zu bytes (expected a smaller reply)",
                       h->max_response);
    }
    switch (cc) {
    case CURLE_COULDNT_CONNECT: {
        long os = 0;
        curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os);
        return vn_fail(err, VN_ERUNTIME, w, "cannot connect (%s)", os ? strerror((int)os) : detail);
    }
    case CURLE_COULDNT_RESOLVE_HOST:
        return vn_fail(err, VN_ERUNTIME, w, "cannot resolve the host name (%s)", detail);
    case CURLE_OPERATION_TIMEDOUT: {
        long sent = 0;
        char t[32];
        curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &sent);
        if (sent > 0) {
            format_ms(h->timeout_ms, t, sizeof(t));
            return vn_fail(err, VN_ERUNTIME, w, "no reply within %s (the request timeout)", t);
        }
        format_ms(h->connect_timeout_ms, t, sizeof(t));
        return vn_fail(err, VN_ERUNTIME, w, "cannot connect (timed out after %s)", t);
    }
    case CURLE_PEER_FAILED_VERIFICATION: {
        char line[VN_HOST_MAX + VN_THUMB_MAX + 8];
        char pin_hint[VN_HOST_MAX + VN_THUMB_MAX + 64];
        if (h->seen256[0]) {
            known_hosts_line(h, line, sizeof(line));
            snprintf(pin_hint, sizeof(pin_hint), "add \"%s\" to the GOVC_TLS_KNOWN_HOSTS file",
                     line);
        } else {
            snprintf(pin_hint, sizeof(pin_hint),
                     "pin its SHA-256 thumbprint in the GOVC_TLS_KNOWN_HOSTS file");
        }
        const char *why = strip_prefix(strip_prefix(detail, "SSL certificate problem: "), "SSL: ");
        if (strstr(detail, "subject name") || strstr(detail, "host name"))
            return vn_fail(err, VN_ERUNTIME, w,
                           "certificate does not match the host name (%s): connect by a name "
                           "the certificate lists, %s, or use --insecure",
                           why, pin_hint);
        return vn_fail(err, VN_ERUNTIME, w,
                       "certificate not trusted (%s): pass --ca-file, %s, or use --insecure", why,
                       pin_hint);
    }
    case CURLE_SSL_CACERT_BADFILE:
        return vn_fail(err, VN_ERUNTIME, w, "cannot use the CA file %s (%s)",
                       h->ca_file ? h->ca_file : "", detail);
    case CURLE_SSL_CONNECT_ERROR:
        return vn_fail(err, VN_ERUNTIME, w, "TLS handshake failed (%s)", detail);
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: /* closed before the Content-Length was read */
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR: {
        long code = 0;
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
        if (code > 0)
            return vn_fail(err, VN_ERUNTIME, w,
                           "the server closed the connection in the middle of the reply");
        return vn_fail(err, VN_ERUNTIME, w, "the server closed the connection without a reply");
    }
    case CURLE_UNSUPPORTED_PROTOCOL:
        return vn_fail(err, VN_ERUNTIME, w, "plain http is refused; use https");
    default:
        return vn_fail(err, VN_ERUNTIME, w, "%s (%s)", curl_easy_strerror(cc), detail);
    }
}

static int check_path(vn_http *h, const char *path, vn_error *err)
{
    if (path[0] != '/')
        return vn_fail(err, VN_EINPUT, h->hostport, "bad request path \"%.80s\" (expected /...)",
                       path);
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return vn_fail(err, VN_EINPUT, h->hostport,
                           "bad request path (expected no spaces or control characters)");
    }
    return VN_OK;
}

static int perform(vn_http *h, const char *path, struct curl_slist *hdrs, vn_buf *resp,
                   long *status, vn_error *err)
{
    size_t ulen = strlen(h->origin) + strlen(path) + 1;
    char *url = vn_xmalloc(ulen);
    snprintf(url, ulen, "%s%s", h->origin, path);
    CURL *c = h->curl;
    CURLcode rc = CURLE_OK;
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_HTTPHEADER, hdrs);
    vn_buf_grow(resp, 0);
    h->resp = resp;
    h->got = 0;
    h->too_big = 0;
    h->pin_mismatch = 0;
    h->seen256[0] = h->seen1[0] = '\0';
    h->errbuf[0] = '\0';
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c);
    long n = 0;
    if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK)
        h->connects += n;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    int ret = rc == CURLE_OK ? VN_OK : transport_error(h, rc, err);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    h->resp = NULL;
    free(url);
    if (status)
        *status = ret == VN_OK ? code : 0;
    return ret;
}

int vn_http_post(vn_http *h, const char *path, const char *soap_action, const char *body,
                 size_t len, vn_buf *resp, long *status, vn_error *err)
{
    if (status)
        *status = 0;
    int ret = check_path(h, path, err);
    if (ret != VN_OK)
        return ret;
    if (soap_action && strpbrk(soap_action, "\r\n"))
        return vn_fail(err, VN_EINPUT, h->hostport, "bad SOAPAction (expected no line breaks)");
    if (len > (size_t)LONG_MAX)
        return vn_fail(err, VN_EINPUT, h->hostport, "request body too large");
    struct curl_slist *hdrs = NULL, *t;
    vn_buf action = VN_BUF_INIT;
    int oom = 0;
    hdrs = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
    oom |= !hdrs;
    if (!oom && (t = curl_slist_append(hdrs, "Expect:")) != NULL)
        hdrs = t;
    else
        oom = 1;
    if (!oom && soap_action && *soap_action) {
        vn_buf_addf(&action, "SOAPAction: %s", soap_action);
        if ((t = curl_slist_append(hdrs, action.data)) != NULL)
            hdrs = t;
        else
            oom = 1;
    }
    vn_buf_free(&action);
    if (oom) {
        curl_slist_free_all(hdrs);
        return vn_fail(err, VN_ERUNTIME, h->hostport, "out of memory");
    }
    CURL *c = h->curl;
    CURLcode rc = CURLE_OK;
    SETOPT(CURLOPT_POST, 1L);
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    SETOPT(CURLOPT_POSTFIELDS, body ? body : "");
    if (rc != CURLE_OK) {
        curl_slist_free_all(hdrs);
        return vn_fail(err, VN_ERUNTIME, h->hostport, "cannot configure libcurl (%s)",
                       curl_easy_strerror(rc));
    }
    ret = perform(h, path, hdrs, resp, status, err);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(hdrs);
    return ret;
}

int vn_http_get(vn_http *h, const char *path, vn_buf *resp, long *status, vn_error *err)
{
    if (status)
        *status = 0;
    int ret = check_path(h, path, err);
    if (ret != VN_OK)
        return ret;
    CURL *c = h->curl;
    CURLcode rc = CURLE_OK;
    SETOPT(CURLOPT_HTTPGET, 1L);
    if (rc != CURLE_OK)
        return vn_fail(err, VN_ERUNTIME, h->hostport, "cannot configure libcurl (%s)",
                       curl_easy_strerror(rc));
    return perform(h, path, NULL, resp, status, err);
}

int vn_http_put(vn_http *h, const char *path, const void *data, size_t len, vn_buf *resp,
                long *status, vn_error *err)
{
    if (status)
        *status = 0;
    int ret = check_path(h, path, err);
    if (ret != VN_OK)
        return ret;
    if (len > (size_t)LONG_MAX)
        return vn_fail(err, VN_EINPUT, h->hostport, "request body too large");
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    struct curl_slist *t = hdrs ? curl_slist_append(hdrs, "Expect:") : NULL;
    if (!t) {
        curl_slist_free_all(hdrs);
        return vn_fail(err, VN_ERUNTIME, h->hostport, "out of memory");
    }
    hdrs = t;
    CURL *c = h->curl;
    CURLcode rc = CURLE_OK;
    /* A POST with its method renamed: libcurl sends the buffer as the body
     * of a PUT, with the Content-Length known up front. */
    SETOPT(CURLOPT_POST, 1L);
    SETOPT(CURLOPT_CUSTOMREQUEST, "PUT");
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    SETOPT(CURLOPT_POSTFIELDS, data ? data : "");
    if (rc == CURLE_OK)
        ret = perform(h, path, hdrs, resp, status, err);
    else
        ret = vn_fail(err, VN_ERUNTIME, h->hostport, "cannot configure libcurl (%s)",
                      curl_easy_strerror(rc));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    curl_slist_free_all(hdrs);
    return ret;
}

int vn_http_split_url(const vn_http *h, const char *url, vn_buf *origin, vn_buf *path,
                      vn_error *err)
{
    const char *p;
    int plain;
    if (strncasecmp(url, "https://", 8) == 0) {
        plain = 0;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        plain = 1;
        p = url + 7;
    } else {
        return vn_fail(err, VN_EINPUT, h->hostport,
                       "the server handed out \"%.120s\" (expected an https:// URL)", url);
    }
    size_t hlen = strcspn(p, "/?#");
    for (const char *q = url; *q; q++) {
        if ((unsigned char)*q <= ' ' || *q == 0x7f)
            return vn_fail(err, VN_EINPUT, h->hostport,
                           "the server handed out a URL with spaces or control characters");
    }
    if (hlen == 0 || memchr(p, '@', hlen))
        return vn_fail(err, VN_EINPUT, h->hostport,
                       "the server handed out \"%.120s\" (expected https://HOST/PATH)", url);
    vn_buf_reset(origin);
    vn_buf_reset(path);
    if (p[0] == '*' && (hlen == 1 || p[1] == ':')) {
        /* "*" (with or without a port): the server this handle talks to. */
        vn_buf_adds(origin, h->origin);
    } else {
        char hp[VN_HOST_MAX + 8];
        if (norm_hostport(p, hlen, plain ? 80 : 443, hp, sizeof(hp)) != 0)
            return vn_fail(err, VN_EINPUT, h->hostport,
                           "the server handed out \"%.120s\" (expected https://HOST/PATH)", url);
        vn_buf_addf(origin, "%s://%s", plain ? "http" : "https", hp);
    }
    const char *rest = p + hlen;
    size_t rlen = strcspn(rest, "#");
    if (rest[0] != '/')
        vn_buf_addc(path, '/');
    vn_buf_add(path, rest, rlen);
    return VN_OK;
}

/* The handle to use for `url`: `h` itself, or a new one in *temp. */
static int url_handle(vn_http *h, const vn_tls *other, const char *url, vn_buf *path, vn_http **use,
                      vn_http **temp, vn_error *err)
{
    vn_buf origin = VN_BUF_INIT;
    *use = *temp = NULL;
    int rc = vn_http_split_url(h, url, &origin, path, err);
    if (rc == VN_OK && strcmp(origin.data, h->origin) == 0) {
        *use = h;
    } else if (rc == VN_OK && !other) {
        rc = vn_fail(err, VN_ERUNTIME, h->hostport,
                     "the server handed out a URL on another host (%s), which this call does "
                     "not follow",
                     origin.data);
    } else if (rc == VN_OK) {
        vn_tls t = *other;
        t.thumbprint = NULL; /* it pins h's server, not this one */
        rc = vn_http_open(temp, origin.data, &t, err);
        *use = *temp;
    }
    vn_buf_free(&origin);
    return rc;
}

int vn_http_put_url(vn_http *h, const vn_tls *other, const char *url, const void *data, size_t len,
                    vn_buf *resp, long *status, vn_error *err)
{
    if (status)
        *status = 0;
    vn_buf path = VN_BUF_INIT;
    vn_http *use, *temp;
    int rc = url_handle(h, other, url, &path, &use, &temp, err);
    if (rc == VN_OK)
        rc = vn_http_put(use, path.data, data, len, resp, status, err);
    vn_http_close(temp);
    vn_buf_free(&path);
    return rc;
}

int vn_http_get_url(vn_http *h, const vn_tls *other, const char *url, vn_buf *resp, long *status,
                    vn_error *err)
{
    if (status)
        *status = 0;
    vn_buf path = VN_BUF_INIT;
    vn_http *use, *temp;
    int rc = url_handle(h, other, url, &path, &use, &temp, err);
    if (rc == VN_OK)
        rc = vn_http_get(use, path.data, resp, status, err);
    vn_http_close(temp);
    vn_buf_free(&path);
    return rc;
}

int vn_http_fetch_thumbprint(const char *base, char *sha256, size_t n256, char *sha1, size_t n1,
                             vn_error *err)
{
    if (n256)
        sha256[0] = '\0';
    if (n1)
        sha1[0] = '\0';
    vn_tls tls = {0};
    tls.insecure = 1;
    vn_http *h = NULL;
    int rc = vn_http_open(&h, base, &tls, err);
    if (rc != VN_OK)
        return rc;
    if (h->plain) {
        rc = vn_fail(err, VN_EINPUT, h->hostport, "plain http has no certificate (use https)");
        vn_http_close(h);
        return rc;
    }
    if (!g_openssl) {
        rc = vn_fail(err, VN_ERUNTIME, h->hostport,
                     "reading the thumbprint needs libcurl built with OpenSSL");
        vn_http_close(h);
        return rc;
    }
    CURL *c = h->curl;
    CURLcode cc = CURLE_OK;
    size_t ulen = strlen(h->origin) + 2;
    char *url = vn_xmalloc(ulen);
    snprintf(url, ulen, "%s/", h->origin);
    h->errbuf[0] = '\0';
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(c, CURLOPT_URL, url);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_perform(c);
    free(url);
    if (cc != CURLE_OK)
        rc = transport_error(h, cc, err);
    else if (!h->seen256[0])
        rc = vn_fail(err, VN_ERUNTIME, h->hostport, "the server sent no certificate");
    else if (strlen(h->seen256) >= n256 || strlen(h->seen1) >= n1)
        rc = vn_fail(err, VN_EINPUT, h->hostport, "no room for the thumbprint");
    else {
        snprintf(sha256, n256, "%s", h->seen256);
        snprintf(sha1, n1, "%s", h->seen1);
    }
    vn_http_close(h);
    return rc;
}
