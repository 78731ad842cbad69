/* vn_http: HTTPS transport for the vSphere client: HTTP/1.1 spoken here
 * over vn_httpconn's TCP/TLS connections (OpenSSL).
 *
 * What a vSphere client needs of HTTP is small: one server, keep-alive,
 * POST/GET/PUT with a known length, replies framed by Content-Length or
 * chunked encoding, one session cookie. Doing it here instead of through
 * libcurl removed most of the client's CPU per request and 25 shared
 * libraries from every start (issue 3, BENCHMARKS.md).
 *
 * A vn_http owns one connection at a time. Its dups share a vn_share: the
 * cookies (the session), the TLS context with its resumable session, and
 * the trust settings. A request on a kept-alive connection that the server
 * has closed meanwhile (nothing of the reply received) is sent again once
 * on a new connection, as browsers and libcurl do. No proxy is used. */
#include "vn_http.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vn_httpconn.h"
#include "vn_knownhosts.h"

#define VN_HTTP_MAX_RESPONSE ((size_t)256 << 20)
#define VN_HTTP_TIMEOUT_MS   (10L * 60 * 1000)
#define VN_HTTP_CONNECT_MS   (15L * 1000)
#define VN_HTTP_MAX_HEADERS  ((size_t)64 << 10)
#define VN_HTTP_MAX_COOKIES  32
#define VN_HTTP_MAX_COOKIE   4096
#define VN_SESSION_COOKIE    "vmware_soap_session"

typedef struct vn_cookie {
    char *name, *value;
} vn_cookie;

/* What a handle and its dups share; freed with the last of them. */
typedef struct vn_share {
    pthread_mutex_t mu; /* guards everything below */
    int refs;
    vn_tlsctx *tls; /* made at the first connection */
    vn_cookie cookies[VN_HTTP_MAX_COOKIES];
    int ncookies;
} vn_share;

struct vn_http {
    vn_share *share;
    vn_conn *conn;                  /* the kept-alive connection, or NULL */
    int plain;                      /* http:// (only with VNEST_ALLOW_HTTP=1) */
    char hostport[VN_HOST_MAX + 8]; /* "host:port", "[v6]:port" */
    char host[VN_HOST_MAX + 1];     /* for connect(): no brackets */
    char port[8];
    char *origin; /* "https://host:port" */
    int insecure;
    char *ca_file;
    vn_pin pin;
    long timeout_ms;
    long connect_timeout_ms;
    size_t max_response;
    long connects;
    long resumptions;
    vn_buf in; /* bytes read from the connection and not used yet */
    /* vn_http_parse_reply: the reply comes from memory, not a connection. */
    const char *mem;
    size_t mem_len, mem_pos;
    /* vn_http_get_url_fd: the body goes to sink_fd, not to memory. */
    int sinking;
    int sink_fd;
    int sink_errno;
    unsigned long long sink_bytes;
};

/* How a request ended, for the message. */
typedef enum {
    REQ_OK,
    REQ_CONNECT,   /* while connecting (diag says why) */
    REQ_SEND,      /* while sending */
    REQ_NO_REPLY,  /* closed before the status line */
    REQ_MID_REPLY, /* closed or failed after the status line */
    REQ_TIMEOUT,   /* the request deadline passed after sending */
    REQ_TOO_BIG,   /* the body passed max_response */
    REQ_NOT_HTTP,  /* the reply is not HTTP/1.x */
    REQ_SINK,      /* writing the body to the caller's file failed (sink_errno) */
} req_result;

void vn_http_global_cleanup(void)
{
    /* Nothing: OpenSSL frees its global state at exit by itself. */
}

/* ---- Shared state ---- */

static vn_share *share_new(void)
{
    vn_share *s = vn_xcalloc(1, sizeof(*s));
    s->refs = 1;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

static void share_ref(vn_share *s)
{
    pthread_mutex_lock(&s->mu);
    s->refs++;
    pthread_mutex_unlock(&s->mu);
}

static void clear_cookies_locked(vn_share *s)
{
    for (int i = 0; i < s->ncookies; i++) {
        free(s->cookies[i].name);
        free(s->cookies[i].value);
    }
    s->ncookies = 0;
}

static void share_unref(vn_share *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    int left = --s->refs;
    pthread_mutex_unlock(&s->mu);
    if (left > 0)
        return;
    clear_cookies_locked(s);
    vn_tlsctx_unref(s->tls);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- Cookies: "Set-Cookie: name=value; Path=/; ..." ---- */

static int ci_prefix(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(s, prefix, n) == 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* Takes one Set-Cookie value. A Max-Age of 0 or less deletes the cookie;
 * other attributes do not matter to a client of one server. */
static void take_cookie(vn_share *s, const char *v, size_t len)
{
    const char *semi = memchr(v, ';', len);
    size_t pair = semi ? (size_t)(semi - v) : len;
    const char *eq = memchr(v, '=', pair);
    if (!eq)
        return;
    const char *name = v, *value = eq + 1;
    size_t nlen = (size_t)(eq - v), vlen = pair - nlen - 1;
    trim(&name, &nlen);
    trim(&value, &vlen);
    if (nlen == 0 || nlen + vlen > VN_HTTP_MAX_COOKIE)
        return;
    int remove = 0;
    for (const char *a = semi; a && a < v + len;) {
        a++;
        const char *next = memchr(a, ';', (size_t)(v + len - a));
        const char *attr = a;
        size_t alen = (size_t)((next ? next : v + len) - a);
        trim(&attr, &alen);
        if (ci_prefix(attr, alen, "max-age=")) {
            const char *num = attr + 8;
            remove = *num == '-' || (alen == 9 && *num == '0');
        }
        a = next;
    }
    pthread_mutex_lock(&s->mu);
    int i = 0;
    while (i < s->ncookies &&
           !(strlen(s->cookies[i].name) == nlen && strncmp(s->cookies[i].name, name, nlen) == 0))
        i++;
    if (remove) {
        if (i < s->ncookies) {
            free(s->cookies[i].name);
            free(s->cookies[i].value);
            s->cookies[i] = s->cookies[--s->ncookies];
        }
    } else if (i < s->ncookies) {
        free(s->cookies[i].value);
        s->cookies[i].value = vn_xstrndup(value, vlen);
    } else if (s->ncookies < VN_HTTP_MAX_COOKIES) {
        s->cookies[i].name = vn_xstrndup(name, nlen);
        s->cookies[i].value = vn_xstrndup(value, vlen);
        s->ncookies++;
    }
    pthread_mutex_unlock(&s->mu);
}

static void add_cookie_header(vn_share *s, vn_buf *req)
{
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->ncookies; i++) {
        vn_buf_adds(req, i ? "; " : "Cookie: ");
        vn_buf_adds(req, s->cookies[i].name);
        vn_buf_addc(req, '=');
        vn_buf_adds(req, s->cookies[i].value);
    }
    if (s->ncookies)
        vn_buf_adds(req, "\r\n");
    pthread_mutex_unlock(&s->mu);
}

void vn_http_clear_cookies(vn_http *h)
{
    pthread_mutex_lock(&h->share->mu);
    clear_cookies_locked(h->share);
    pthread_mutex_unlock(&h->share->mu);
}

const char *vn_http_session_cookie(vn_http *h, char *buf, size_t len)
{
    if (len == 0)
        return "";
    buf[0] = '\0';
    vn_share *s = h->share;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->ncookies; i++) {
        if (strcmp(s->cookies[i].name, VN_SESSION_COOKIE) == 0 && strlen(s->cookies[i].value) < len)
            snprintf(buf, len, "%s", s->cookies[i].value);
    }
    pthread_mutex_unlock(&s->mu);
    return buf;
}

/* ---- URLs ---- */

static int env_allows_http(void)
{
    const char *v = getenv("VNEST_ALLOW_HTTP");
    return v && strcmp(v, "1") == 0;
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
    if (vn_norm_hostport(p, len, *plain ? 80 : 443, hostport, n) != 0)
        return vn_fail(err, VN_EINPUT, where,
                       "not a server URL (expected https://host[:port], without a path)");
    if (*plain && !env_allows_http())
        return vn_fail(err, VN_EINPUT, where, "plain http is refused; use https");
    return VN_OK;
}

static void format_ms(long ms, char *out, size_t n)
{
    if (ms % 1000 == 0)
        snprintf(out, n, "%ld s", ms / 1000);
    else
        snprintf(out, n, "%ld ms", ms);
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

/* ---- Handles ---- */

static void http_free(vn_http *h)
{
    if (!h)
        return;
    vn_conn_close(h->conn);
    share_unref(h->share);
    free(h->origin);
    free(h->ca_file);
    free(h->pin.source);
    vn_buf_free(&h->in);
    free(h);
}

/* host (brackets dropped) and port of "host:port" / "[v6]:port". */
static void split_hostport(vn_http *h)
{
    const char *hp = h->hostport;
    const char *colon = strrchr(hp, ':');
    size_t hlen = (size_t)(colon - hp);
    if (hp[0] == '[') {
        hp++;
        hlen -= 2;
    }
    snprintf(h->host, sizeof(h->host), "%.*s", (int)hlen, hp);
    snprintf(h->port, sizeof(h->port), "%s", colon + 1);
}

int vn_http_open(vn_http **out, const char *base, const vn_tls *tls, vn_error *err)
{
    *out = NULL;
    vn_tls none = {0};
    if (!tls)
        tls = &none;
    vn_http *h = vn_xcalloc(1, sizeof(*h));
    int rc = parse_base(base, &h->plain, h->hostport, sizeof(h->hostport), err);
    if (rc != VN_OK) {
        http_free(h);
        return rc;
    }
    split_hostport(h);
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
            h->pin.len = vn_parse_thumb(tls->thumbprint, strlen(tls->thumbprint), h->pin.md);
            if (!h->pin.len) {
                http_free(h);
                return vn_fail(err, VN_EINPUT, "--thumbprint",
                               "bad thumbprint (expected a SHA-256 or SHA-1 thumbprint "
                               "AA:BB:... of 32 or 20 hex bytes)");
            }
            vn_hex_colon(h->pin.md, h->pin.len, h->pin.hex, sizeof(h->pin.hex));
            h->pin.source = vn_xstrdup("--thumbprint");
        } else if (tls->known_hosts && *tls->known_hosts) {
            rc = vn_known_hosts_pin(tls->known_hosts, h->hostport, &h->pin, err);
            if (rc != VN_OK) {
                http_free(h);
                return rc;
            }
        }
    }
    h->share = share_new();
    *out = h;
    return VN_OK;
}

int vn_http_dup(vn_http *h, vn_http **out, vn_error *err)
{
    (void)err;
    vn_http *d = vn_xcalloc(1, sizeof(*d));
    d->plain = h->plain;
    memcpy(d->hostport, h->hostport, sizeof(d->hostport));
    memcpy(d->host, h->host, sizeof(d->host));
    memcpy(d->port, h->port, sizeof(d->port));
    d->origin = vn_xstrdup(h->origin);
    d->insecure = h->insecure;
    d->ca_file = h->ca_file ? vn_xstrdup(h->ca_file) : NULL;
    d->pin = h->pin;
    d->pin.source = h->pin.source ? vn_xstrdup(h->pin.source) : NULL;
    d->timeout_ms = h->timeout_ms;
    d->connect_timeout_ms = h->connect_timeout_ms;
    d->max_response = h->max_response;
    share_ref(h->share);
    d->share = h->share;
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

long vn_http_resumptions(const vn_http *h)
{
    return h->resumptions;
}

const char *vn_http_hostport(const vn_http *h)
{
    return h->hostport;
}

/* ---- Messages ---- */

/* The "host[:port] SHA256" line for known_hosts, port 443 left out as govc
 * writes it. */
static void known_hosts_line(const vn_http *h, const char *seen256, char *out, size_t n)
{
    size_t l = strlen(h->hostport);
    if (l > 4 && strcmp(h->hostport + l - 4, ":443") == 0)
        l -= 4;
    snprintf(out, n, "%.*s %s", (int)l, h->hostport, seen256);
}

/* A connection that could not be made, as one line saying what to do. */
static int connect_error(vn_http *h, const vn_conn_diag *d, vn_error *err)
{
    const char *w = h->hostport;
    char t[32];
    switch (d->status) {
    case VN_CONN_RESOLVE:
        return vn_fail(err, VN_ERUNTIME, w, "cannot resolve the host name (%s)", d->detail);
    case VN_CONN_CONNECT:
        return vn_fail(err, VN_ERUNTIME, w, "cannot connect (%s)", d->detail);
    case VN_CONN_TIMEOUT:
        format_ms(h->connect_timeout_ms, t, sizeof(t));
        return vn_fail(err, VN_ERUNTIME, w, "cannot connect (timed out after %s)", t);
    case VN_CONN_PIN_MISMATCH: {
        const char *seen = h->pin.len == 32 ? d->seen256 : d->seen1;
        return vn_fail(
            err, VN_ERUNTIME, w, "certificate thumbprint %s does not match the pinned %s (from %s)",
            seen[0] ? seen : "(unknown)", h->pin.hex, h->pin.source ? h->pin.source : "the pin");
    }
    case VN_CONN_UNTRUSTED:
    case VN_CONN_NAME_MISMATCH: {
        char line[VN_HOST_MAX + VN_THUMB_MAX + 8];
        char hint[VN_HOST_MAX + VN_THUMB_MAX + 64];
        if (d->seen256[0]) {
            known_hosts_line(h, d->seen256, line, sizeof(line));
            snprintf(hint, sizeof(hint), "add \"%s\" to the GOVC_TLS_KNOWN_HOSTS file", line);
        } else {
            snprintf(hint, sizeof(hint),
                     "pin its SHA-256 thumbprint in the GOVC_TLS_KNOWN_HOSTS file");
        }
        if (d->status == VN_CONN_NAME_MISMATCH)
            return vn_fail(err, VN_ERUNTIME, w,
                           "certificate does not match the host name (%s): connect by a name "
                           "the certificate lists, %s, or use --insecure",
                           d->detail, hint);
        return vn_fail(err, VN_ERUNTIME, w,
                       "certificate not trusted (%s): pass --ca-file, %s, or use --insecure",
                       d->detail, hint);
    }
    case VN_CONN_CA_FILE:
        return vn_fail(err, VN_ERUNTIME, w, "cannot use the CA file %s (%s)",
                       h->ca_file ? h->ca_file : "", d->detail);
    case VN_CONN_CLOSED:
        return vn_fail(err, VN_ERUNTIME, w, "the server closed the connection without a reply");
    default:
        return vn_fail(err, VN_ERUNTIME, w, "TLS handshake failed (%s)", d->detail);
    }
}

static int request_error(vn_http *h, req_result r, const vn_conn_diag *d, vn_error *err)
{
    const char *w = h->hostport;
    char t[32];
    switch (r) {
    case REQ_CONNECT:
        return connect_error(h, d, err);
    case REQ_TIMEOUT:
        format_ms(h->timeout_ms, t, sizeof(t));
        return vn_fail(err, VN_ERUNTIME, w, "no reply within %s (the request timeout)", t);
    case REQ_TOO_BIG:
        if (h->max_response % ((size_t)1 << 20) == 0)
            return vn_fail(err, VN_ERUNTIME, w,
                           "the response is larger than %zu MiB (expected a smaller reply)",
                           h->max_response >> 20);
        return vn_fail(err, VN_ERUNTIME, w,
                       "the response is larger than %zu bytes (expected a smaller reply)",
                       h->max_response);
    case REQ_SINK:
        return vn_fail(err, VN_ERUNTIME, w, "cannot write the download (%s)",
                       strerror(h->sink_errno));
    case REQ_NOT_HTTP:
        return vn_fail(err, VN_ERUNTIME, w,
                       "the server's reply is not HTTP (expected \"HTTP/1.1 NNN ...\")");
    case REQ_MID_REPLY:
        return vn_fail(err, VN_ERUNTIME, w,
                       "the server closed the connection in the middle of the reply");
    case REQ_SEND:
        if (d->status == VN_CONN_IO)
            return vn_fail(err, VN_ERUNTIME, w, "cannot send the request (%s)", d->detail);
        return vn_fail(err, VN_ERUNTIME, w, "the server closed the connection without a reply");
    default:
        return vn_fail(err, VN_ERUNTIME, w, "the server closed the connection without a reply");
    }
}

/* ---- Requests ---- */

static int ensure_tls(vn_http *h, vn_conn_diag *d)
{
    if (h->plain)
        return 0;
    vn_share *s = h->share;
    pthread_mutex_lock(&s->mu);
    if (!s->tls) {
        vn_trust t = {h->insecure, h->ca_file, h->pin.md, h->pin.len};
        s->tls = vn_tlsctx_new(&t, d);
    }
    int ok = s->tls != NULL;
    pthread_mutex_unlock(&s->mu);
    return ok ? 0 : -1;
}

static int connect_now(vn_http *h, int64_t deadline, vn_conn_diag *d)
{
    if (ensure_tls(h, d) != 0)
        return -1;
    int64_t cdl = vn_now_ms() + h->connect_timeout_ms;
    h->conn = vn_conn_open(h->host, h->port, h->plain ? NULL : h->share->tls,
                           cdl < deadline ? cdl : deadline, d);
    if (!h->conn)
        return -1;
    h->connects++;
    h->resumptions += vn_conn_resumed(h->conn);
    vn_buf_reset(&h->in);
    return 0;
}

/* Reads more bytes into h->in. 1 got some, 0 end of stream, -1 error. */
static int fill(vn_http *h, int64_t deadline, vn_conn_diag *d)
{
    vn_buf_grow(&h->in, 16384);
    ssize_t r;
    if (h->mem) {
        /* Odd-sized pieces, so framing split across reads is exercised. */
        r = (ssize_t)(h->mem_len - h->mem_pos < 1000 ? h->mem_len - h->mem_pos : 1000);
        memcpy(h->in.data + h->in.len, h->mem + h->mem_pos, (size_t)r);
        h->mem_pos += (size_t)r;
    } else {
        /* A streamed download may take longer than one request timeout:
         * there the timeout bounds each wait for more bytes. */
        if (h->sinking)
            deadline = vn_now_ms() + h->timeout_ms;
        r = vn_conn_read(h->conn, h->in.data + h->in.len, 16384, deadline, d);
    }
    if (r > 0) {
        h->in.len += (size_t)r;
        h->in.data[h->in.len] = '\0';
        return 1;
    }
    return r == 0 ? 0 : -1;
}

static void consume(vn_http *h, size_t n)
{
    memmove(h->in.data, h->in.data + n, h->in.len - n);
    h->in.len -= n;
    h->in.data[h->in.len] = '\0';
}

/* A read problem after the status line. */
static req_result mid_failure(const vn_conn_diag *d)
{
    return d->status == VN_CONN_TIMEOUT ? REQ_TIMEOUT : REQ_MID_REPLY;
}

/* The header block (up to the blank line) in h->in; its length in *hlen. */
static req_result read_head(vn_http *h, int64_t deadline, vn_conn_diag *d, size_t *hlen)
{
    for (;;) {
        char *end = h->in.len ? strstr(h->in.data, "\r\n\r\n") : NULL;
        if (end) {
            *hlen = (size_t)(end - h->in.data) + 4;
            return REQ_OK;
        }
        if (h->in.len > VN_HTTP_MAX_HEADERS)
            return REQ_NOT_HTTP;
        if (h->in.len >= 5 && strncmp(h->in.data, "HTTP/", 5) != 0)
            return REQ_NOT_HTTP;
        int f = fill(h, deadline, d);
        if (f > 0)
            continue;
        if (f < 0 && d->status == VN_CONN_TIMEOUT)
            return REQ_TIMEOUT;
        /* The status line complete means the reply had begun. */
        return memchr(h->in.data ? h->in.data : "", '\n', h->in.len) ? REQ_MID_REPLY : REQ_NO_REPLY;
    }
}

typedef struct reply_head {
    long status;
    int chunked;
    int has_length;
    unsigned long long length;
    int close; /* the connection ends after this reply */
} reply_head;

static req_result parse_head(vn_http *h, const char *p, size_t hlen, reply_head *r)
{
    memset(r, 0, sizeof(*r));
    /* "HTTP/1.x NNN reason": exactly one space, three digits, 100-999. */
    if (strncmp(p, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)p[7]) || p[8] != ' ' ||
        !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
        !isdigit((unsigned char)p[11]) || (p[12] != ' ' && p[12] != '\r') || p[9] == '0')
        return REQ_NOT_HTTP;
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    r->close = p[7] == '0';
    const char *line = strstr(p, "\r\n") + 2;
    const char *end = p + hlen - 2;
    while (line < end) {
        const char *eol = strstr(line, "\r\n");
        size_t len = (size_t)(eol - line);
        const char *colon = memchr(line, ':', len);
        if (colon) {
            size_t nlen = (size_t)(colon - line);
            const char *v = colon + 1;
            size_t vlen = len - nlen - 1;
            trim(&v, &vlen);
            if (nlen == 14 && strncasecmp(line, "content-length", 14) == 0) {
                char num[24];
                if (vlen == 0 || vlen >= sizeof(num) || strspn(v, "0123456789") < vlen)
                    return REQ_NOT_HTTP;
                memcpy(num, v, vlen);
                num[vlen] = '\0';
                r->length = strtoull(num, NULL, 10);
                r->has_length = 1;
            } else if (nlen == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
                r->chunked = vlen >= 7 && strncasecmp(v + vlen - 7, "chunked", 7) == 0;
            } else if (nlen == 10 && strncasecmp(line, "connection", 10) == 0) {
                if (vlen == 5 && strncasecmp(v, "close", 5) == 0)
                    r->close = 1;
                else if (vlen == 10 && strncasecmp(v, "keep-alive", 10) == 0)
                    r->close = 0;
            } else if (nlen == 10 && strncasecmp(line, "set-cookie", 10) == 0) {
                if (h->share) /* NULL when parsing from memory */
                    take_cookie(h->share, v, vlen);
            }
        }
        line = eol + 2;
    }
    return REQ_OK;
}

/* Appends n bytes of h->in to the reply body, within the limit. */
static req_result take_body(vn_http *h, vn_buf *resp, size_t n, size_t *got)
{
    if (h->sinking) {
        for (size_t off = 0; off < n;) {
            ssize_t w = write(h->sink_fd, h->in.data + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                h->sink_errno = w < 0 ? errno : EIO;
                return REQ_SINK;
            }
            off += (size_t)w;
        }
        h->sink_bytes += n;
        consume(h, n);
        return REQ_OK;
    }
    if (n > h->max_response - *got)
        return REQ_TOO_BIG;
    vn_buf_add(resp, h->in.data, n);
    *got += n;
    consume(h, n);
    return REQ_OK;
}

static req_result read_exact(vn_http *h, unsigned long long n, vn_buf *resp, size_t *got,
                             int64_t deadline, vn_conn_diag *d)
{
    while (n > 0) {
        if (h->in.len == 0 && fill(h, deadline, d) <= 0)
            return mid_failure(d);
        size_t take = h->in.len < n ? h->in.len : (size_t)n;
        req_result r = take_body(h, resp, take, got);
        if (r != REQ_OK)
            return r;
        n -= take;
    }
    return REQ_OK;
}

/* One CRLF-terminated line at the front of h->in (chunk sizes, trailers). */
static req_result read_line(vn_http *h, int64_t deadline, vn_conn_diag *d, size_t *len)
{
    for (;;) {
        char *eol = h->in.len ? strstr(h->in.data, "\r\n") : NULL;
        if (eol) {
            *len = (size_t)(eol - h->in.data);
            return REQ_OK;
        }
        if (h->in.len > 4096)
            return REQ_NOT_HTTP;
        if (fill(h, deadline, d) <= 0)
            return mid_failure(d);
    }
}

static req_result read_chunked(vn_http *h, vn_buf *resp, size_t *got, int64_t deadline,
                               vn_conn_diag *d)
{
    for (;;) {
        size_t len;
        req_result r = read_line(h, deadline, d, &len);
        if (r != REQ_OK)
            return r;
        char *endp;
        errno = 0;
        unsigned long long size = strtoull(h->in.data, &endp, 16);
        if (endp == h->in.data || errno || (*endp != ';' && *endp != '\r' && *endp != ' '))
            return REQ_NOT_HTTP;
        consume(h, len + 2);
        if (size == 0) {
            /* Trailers up to the blank line. */
            do {
                r = read_line(h, deadline, d, &len);
                if (r != REQ_OK)
                    return r;
                consume(h, len + 2);
            } while (len > 0);
            return REQ_OK;
        }
        if (size > h->max_response && !h->sinking)
            return REQ_TOO_BIG;
        r = read_exact(h, size, resp, got, deadline, d);
        if (r != REQ_OK)
            return r;
        r = read_line(h, deadline, d, &len);
        if (r != REQ_OK)
            return r;
        if (len != 0)
            return REQ_NOT_HTTP;
        consume(h, 2);
    }
}

static req_result read_until_close(vn_http *h, vn_buf *resp, size_t *got, int64_t deadline,
                                   vn_conn_diag *d)
{
    for (;;) {
        if (h->in.len) {
            req_result r = take_body(h, resp, h->in.len, got);
            if (r != REQ_OK)
                return r;
        }
        int f = fill(h, deadline, d);
        if (f == 0)
            return REQ_OK;
        if (f < 0)
            return mid_failure(d);
    }
}

/* Reads one reply: interim 1xx replies skipped, the body framed by
 * chunked encoding, Content-Length or the end of the connection. */
static req_result read_reply(vn_http *h, int head_only, vn_buf *resp, long *status, int *keep,
                             int64_t deadline, vn_conn_diag *d)
{
    reply_head rh;
    for (;;) {
        size_t hlen;
        req_result r = read_head(h, deadline, d, &hlen);
        if (r != REQ_OK)
            return r;
        r = parse_head(h, h->in.data, hlen, &rh);
        if (r != REQ_OK)
            return r;
        consume(h, hlen);
        if (rh.status >= 200)
            break;
    }
    *status = rh.status;
    size_t got = 0;
    req_result r = REQ_OK;
    *keep = !rh.close;
    if (head_only || rh.status == 204 || rh.status == 304)
        ;
    else if (rh.chunked)
        r = read_chunked(h, resp, &got, deadline, d);
    else if (rh.has_length)
        r = rh.length > h->max_response && !h->sinking
                ? REQ_TOO_BIG
                : read_exact(h, rh.length, resp, &got, deadline, d);
    else {
        *keep = 0;
        r = read_until_close(h, resp, &got, deadline, d);
    }
    if (r != REQ_OK)
        *keep = 0;
    return r;
}

/* A large body (a disk, an ISO) in 1 MiB pieces: the request timeout bounds
 * each piece, not the whole upload, which may rightly take longer on a
 * slow link. */
static int write_body(vn_http *h, const char *body, size_t len, vn_conn_diag *d)
{
    while (len > 0) {
        size_t n = len < ((size_t)1 << 20) ? len : ((size_t)1 << 20);
        if (vn_conn_write(h->conn, body, n, vn_now_ms() + h->timeout_ms, d) != 0)
            return -1;
        body += n;
        len -= n;
    }
    return 0;
}

/* Sends one request and reads its reply, reconnecting once when a
 * kept-alive connection turns out to be closed before any reply. */
static int perform(vn_http *h, const char *method, const char *path, const char *headers,
                   const void *body, size_t len, vn_buf *resp, long *status, vn_error *err)
{
    int64_t deadline = vn_now_ms() + h->timeout_ms;
    vn_buf req = VN_BUF_INIT;
    vn_buf_addf(&req, "%s %s HTTP/1.1\r\nHost: ", method, path);
    size_t hl = strlen(h->hostport);
    int default_port = (h->plain && hl > 3 && strcmp(h->hostport + hl - 3, ":80") == 0) ||
                       (!h->plain && hl > 4 && strcmp(h->hostport + hl - 4, ":443") == 0);
    vn_buf_add(&req, h->hostport,
               default_port ? (size_t)(strrchr(h->hostport, ':') - h->hostport) : hl);
    vn_buf_adds(&req, "\r\nUser-Agent: vnest\r\nAccept: */*\r\n");
    add_cookie_header(h->share, &req);
    if (headers)
        vn_buf_adds(&req, headers);
    if (body)
        vn_buf_addf(&req, "Content-Length: %zu\r\n", len);
    vn_buf_adds(&req, "\r\n");
    /* Small bodies go in the same write as the headers (one TLS record). */
    int inline_body = body && len <= 65536;
    if (inline_body)
        vn_buf_add(&req, body, len);
    vn_buf_grow(resp, 0);
    size_t resp_start = resp->len;
    vn_conn_diag d;
    req_result r = REQ_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        memset(&d, 0, sizeof(d));
        int reused = h->conn != NULL;
        if (reused && vn_conn_stale(h->conn)) {
            vn_conn_close(h->conn);
            h->conn = NULL;
            reused = 0;
        }
        if (!h->conn && connect_now(h, deadline, &d) != 0) {
            r = REQ_CONNECT;
            break;
        }
        r = REQ_OK;
        if (vn_conn_write(h->conn, req.data, req.len, deadline, &d) != 0 ||
            (body && !inline_body && write_body(h, body, len, &d) != 0))
            r = d.status == VN_CONN_TIMEOUT ? REQ_TIMEOUT : REQ_SEND;
        if (body && !inline_body)
            deadline = vn_now_ms() + h->timeout_ms; /* the reply's wait starts now */
        int keep = 0;
        if (r == REQ_OK)
            r = read_reply(h, strcmp(method, "HEAD") == 0, resp, status, &keep, deadline, &d);
        if (r != REQ_OK || !keep) {
            vn_conn_close(h->conn);
            h->conn = NULL;
        }
        if (reused && (r == REQ_SEND || r == REQ_NO_REPLY)) {
            resp->len = resp_start;
            continue; /* the server had closed the idle connection */
        }
        break;
    }
    vn_buf_free(&req);
    if (r == REQ_OK)
        return VN_OK;
    resp->len = resp_start;
    if (resp->data)
        resp->data[resp->len] = '\0';
    *status = 0;
    return request_error(h, r, &d, err);
}

int vn_http_post(vn_http *h, const char *path, const char *soap_action, const char *body,
                 size_t len, vn_buf *resp, long *status, vn_error *err)
{
    long st = 0;
    if (status)
        *status = 0;
    int ret = check_path(h, path, err);
    if (ret != VN_OK)
        return ret;
    if (soap_action && strpbrk(soap_action, "\r\n"))
        return vn_fail(err, VN_EINPUT, h->hostport, "bad SOAPAction (expected no line breaks)");
    if (len > (size_t)LONG_MAX)
        return vn_fail(err, VN_EINPUT, h->hostport, "request body too large");
    vn_buf hdr = VN_BUF_INIT;
    vn_buf_adds(&hdr, "Content-Type: text/xml; charset=utf-8\r\n");
    if (soap_action && *soap_action)
        vn_buf_addf(&hdr, "SOAPAction: %s\r\n", soap_action);
    ret = perform(h, "POST", path, hdr.data, body ? body : "", len, resp, &st, err);
    vn_buf_free(&hdr);
    if (status)
        *status = st;
    return ret;
}

int vn_http_get(vn_http *h, const char *path, vn_buf *resp, long *status, vn_error *err)
{
    long st = 0;
    if (status)
        *status = 0;
    int ret = check_path(h, path, err);
    if (ret == VN_OK)
        ret = perform(h, "GET", path, NULL, NULL, 0, resp, &st, err);
    if (status)
        *status = st;
    return ret;
}

int vn_http_put(vn_http *h, const char *path, const void *data, size_t len, vn_buf *resp,
                long *status, vn_error *err)
{
    long st = 0;
    if (status)
        *status = 0;
    int ret = check_path(h, path, err);
    if (ret != VN_OK)
        return ret;
    if (len > (size_t)LONG_MAX)
        return vn_fail(err, VN_EINPUT, h->hostport, "request body too large");
    ret = perform(h, "PUT", path, "Content-Type: application/octet-stream\r\n", data ? data : "",
                  len, resp, &st, err);
    if (status)
        *status = st;
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
        if (vn_norm_hostport(p, hlen, plain ? 80 : 443, hp, sizeof(hp)) != 0)
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

int vn_http_get_url_fd(vn_http *h, const vn_tls *other, const char *url, int fd,
                       unsigned long long *bytes, long *status, vn_error *err)
{
    if (status)
        *status = 0;
    if (bytes)
        *bytes = 0;
    vn_buf path = VN_BUF_INIT, scratch = VN_BUF_INIT;
    vn_http *use, *temp;
    int rc = url_handle(h, other, url, &path, &use, &temp, err);
    if (rc == VN_OK) {
        use->sinking = 1;
        use->sink_fd = fd;
        use->sink_errno = 0;
        use->sink_bytes = 0;
        rc = vn_http_get(use, path.data, &scratch, status, err);
        use->sinking = 0;
        if (bytes)
            *bytes = use->sink_bytes;
    }
    vn_http_close(temp);
    vn_buf_free(&path);
    vn_buf_free(&scratch);
    return rc;
}

int vn_http_parse_reply(const char *data, size_t len, size_t max, vn_buf *body, long *status,
                        vn_error *err)
{
    vn_http h;
    memset(&h, 0, sizeof(h));
    snprintf(h.hostport, sizeof(h.hostport), "reply");
    h.max_response = max;
    h.mem = data;
    h.mem_len = len;
    vn_conn_diag d;
    memset(&d, 0, sizeof(d));
    int keep = 0;
    *status = 0;
    size_t start = body->len;
    req_result r = read_reply(&h, 0, body, status, &keep, INT64_MAX, &d);
    vn_buf_free(&h.in);
    if (r == REQ_OK)
        return VN_OK;
    body->len = start;
    if (body->data)
        body->data[start] = '\0';
    *status = 0;
    return request_error(&h, r, &d, err);
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
    vn_conn_diag d;
    memset(&d, 0, sizeof(d));
    char s256[VN_THUMB_MAX], s1[VN_THUMB_MAX];
    if (connect_now(h, vn_now_ms() + h->timeout_ms, &d) != 0) {
        rc = connect_error(h, &d, err);
    } else {
        vn_conn_thumbprints(h->conn, s256, sizeof(s256), s1, sizeof(s1));
        if (!s256[0])
            rc = vn_fail(err, VN_ERUNTIME, h->hostport, "the server sent no certificate");
        else if (strlen(s256) >= n256 || strlen(s1) >= n1)
            rc = vn_fail(err, VN_EINPUT, h->hostport, "no room for the thumbprint");
        else {
            snprintf(sha256, n256, "%s", s256);
            snprintf(sha1, n1, "%s", s1);
        }
    }
    vn_http_close(h);
    return rc;
}
