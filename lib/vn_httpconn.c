/* vn_httpconn: TCP + TLS connections for vn_http (see vn_httpconn.h). */
#include "vn_httpconn.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "vn_buf.h"
#include "vn_tlserr.h"

struct vn_tlsctx {
    SSL_CTX *ctx;
    pthread_mutex_t mu; /* guards refs and session */
    int refs;
    SSL_SESSION *session; /* the newest the server handed out, offered for resumption */
    int insecure;
    int verify_name; /* check the host name (not insecure, not pinned) */
    unsigned char pin[32];
    size_t pin_len;
};

struct vn_conn {
    int fd;
    SSL *ssl;
    vn_tlsctx *tls;
    vn_conn_diag *diag; /* during the handshake, for the verify callback */
    int pin_mismatch;
};

int64_t vn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vn_hex_colon(const unsigned char *md, size_t n, char *out, size_t len)
{
    static const char digits[] = "0123456789ABCDEF";
    if (len == 0)
        return;
    out[0] = '\0';
    if (n == 0 || len < n * 3)
        return;
    for (size_t i = 0; i < n; i++) {
        out[i * 3] = digits[md[i] >> 4];
        out[i * 3 + 1] = digits[md[i] & 15];
        out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
    }
}

static void set_diag(vn_conn_diag *d, vn_conn_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_diag(vn_conn_diag *d, vn_conn_status st, const char *fmt, ...)
{
    d->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
    va_end(ap);
}

/* ---- Process-wide setup: ex_data slots and the socket BIO ---- */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_ctx_idx = -1, g_conn_idx = -1;
static BIO_METHOD *g_bio;

/* A socket BIO that writes with MSG_NOSIGNAL: a server closing the
 * connection must give an error, not kill the process with SIGPIPE. */
static int bio_write(BIO *b, const char *data, int len)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t r = send(fd, data, (size_t)len, MSG_NOSIGNAL);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)r;
}

static int bio_read(BIO *b, char *data, int len)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t r = recv(fd, data, (size_t)len, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)r;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int on_new_session(SSL *ssl, SSL_SESSION *s);

static void global_init(void)
{
    vn_tlserr_init();
    g_ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    g_conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    g_bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "vnest socket");
    if (g_bio) {
        BIO_meth_set_write(g_bio, bio_write);
        BIO_meth_set_read(g_bio, bio_read);
        BIO_meth_set_ctrl(g_bio, bio_ctrl);
        BIO_meth_set_create(g_bio, bio_create);
    }
}

/* ---- Verification ---- */

static void leaf_thumbprints(X509 *leaf, char *s256, size_t n256, char *s1, size_t n1,
                             unsigned char md256[32], unsigned char md1[20])
{
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    unsigned int na = 0, nb = 0;
    if (!leaf || !X509_digest(leaf, EVP_sha256(), a, &na) || !X509_digest(leaf, EVP_sha1(), b, &nb))
        return;
    vn_hex_colon(a, na, s256, n256);
    vn_hex_colon(b, nb, s1, n1);
    if (md256 && na == 32)
        memcpy(md256, a, 32);
    if (md1 && nb == 20)
        memcpy(md1, b, 20);
}

/* Called by OpenSSL for each certificate of the chain: records the leaf's
 * thumbprints and, when pinned, decides alone. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    vn_conn *c = ssl ? SSL_get_ex_data(ssl, g_conn_idx) : NULL;
    if (!c || !c->diag)
        return preverify_ok;
    unsigned char md256[32], md1[20];
    memset(md256, 0, sizeof(md256));
    memset(md1, 0, sizeof(md1));
    leaf_thumbprints(X509_STORE_CTX_get0_cert(x), c->diag->seen256, sizeof(c->diag->seen256),
                     c->diag->seen1, sizeof(c->diag->seen1), md256, md1);
    if (!c->tls->pin_len)
        return preverify_ok;
    const unsigned char *md = c->tls->pin_len == 32 ? md256 : md1;
    if (c->diag->seen256[0] && memcmp(md, c->tls->pin, c->tls->pin_len) == 0) {
        X509_STORE_CTX_set_error(x, X509_V_OK);
        return 1;
    }
    c->pin_mismatch = 1;
    X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

/* The server handed out a session (a TLS 1.3 ticket arrives after the
 * handshake): keep the newest for the next connection. */
static int on_new_session(SSL *ssl, SSL_SESSION *s)
{
    vn_tlsctx *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), g_ctx_idx);
    if (!t)
        return 0;
    pthread_mutex_lock(&t->mu);
    SSL_SESSION *old = t->session;
    t->session = s;
    pthread_mutex_unlock(&t->mu);
    SSL_SESSION_free(old);
    return 1; /* the reference is ours now */
}

vn_tlsctx *vn_tlsctx_new(const vn_trust *trust, vn_conn_diag *diag)
{
    pthread_once(&g_once, global_init);
    memset(diag, 0, sizeof(*diag));
    if (!g_bio || g_ctx_idx < 0 || g_conn_idx < 0) {
        set_diag(diag, VN_CONN_TLS, "cannot initialize OpenSSL");
        return NULL;
    }
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        set_diag(diag, VN_CONN_TLS, "cannot create a TLS context");
        return NULL;
    }
    vn_tlsctx *t = vn_xcalloc(1, sizeof(*t));
    t->ctx = ctx;
    t->refs = 1;
    pthread_mutex_init(&t->mu, NULL);
    t->insecure = trust->insecure != 0;
    if (!t->insecure && trust->pin_len) {
        memcpy(t->pin, trust->pin, trust->pin_len);
        t->pin_len = trust->pin_len;
    }
    t->verify_name = !t->insecure && !t->pin_len;
    SSL_CTX_set_ex_data(ctx, g_ctx_idx, t);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* A peer that closes without close_notify ends the stream like a
     * plain EOF; HTTP framing says whether the reply was complete. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    SSL_CTX_set_verify(ctx, t->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, verify_cb);
    if (t->verify_name) {
        int ok = trust->ca_file ? SSL_CTX_load_verify_locations(ctx, trust->ca_file, NULL)
                                : SSL_CTX_set_default_verify_paths(ctx);
        if (ok != 1) {
            char why[160];
            vn_tlserr_reason(why, sizeof(why));
            set_diag(diag, trust->ca_file ? VN_CONN_CA_FILE : VN_CONN_TLS, "%s", why);
            vn_tlsctx_unref(t);
            return NULL;
        }
    }
    return t;
}

void vn_tlsctx_ref(vn_tlsctx *t)
{
    pthread_mutex_lock(&t->mu);
    t->refs++;
    pthread_mutex_unlock(&t->mu);
}

void vn_tlsctx_unref(vn_tlsctx *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    int left = --t->refs;
    pthread_mutex_unlock(&t->mu);
    if (left > 0)
        return;
    SSL_SESSION_free(t->session);
    SSL_CTX_free(t->ctx);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* ---- Connections ---- */

/* Waits until fd is ready for `events` or the deadline passes (0). */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - vn_now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static int is_ip_literal(const char *host)
{
    unsigned char a[16];
    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static int tcp_connect(const char *host, const char *port, int64_t deadline, vn_conn_diag *d)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        set_diag(d, VN_CONN_RESOLVE, "%s", g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
        return -1;
    }
    int fd = -1, last = ECONNREFUSED, timed_out = 0;
    for (struct addrinfo *ai = res; ai && fd < 0 && !timed_out; ai = ai->ai_next) {
        int s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s < 0) {
            last = errno;
            continue;
        }
        if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
            fd = s;
            break;
        }
        if (errno != EINPROGRESS) {
            last = errno;
            close(s);
            continue;
        }
        int w = wait_fd(s, POLLOUT, deadline);
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (w == 0) {
            timed_out = 1;
        } else if (w < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
            last = errno;
        } else if (soerr != 0) {
            last = soerr;
        } else {
            fd = s;
            break;
        }
        close(s);
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (timed_out)
            set_diag(d, VN_CONN_TIMEOUT, "connect");
        else
            set_diag(d, VN_CONN_CONNECT, "%s", strerror(last));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    return fd;
}

/* Waits as OpenSSL asks after a call returned `ret`: 1 to retry, 2 at the
 * peer's end of stream, 0 with the diagnosis set when it cannot go on. */
static int ssl_wait(vn_conn *c, int ret, int64_t deadline, vn_conn_diag *d)
{
    int e = SSL_get_error(c->ssl, ret);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
        if (w > 0)
            return 1;
        if (w == 0)
            set_diag(d, VN_CONN_TIMEOUT, "timed out");
        else
            set_diag(d, VN_CONN_IO, "%s", strerror(errno));
        return 0;
    }
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
        return 2;
    if (e == SSL_ERROR_SYSCALL)
        set_diag(d, errno == ECONNRESET || errno == EPIPE ? VN_CONN_CLOSED : VN_CONN_IO, "%s",
                 strerror(errno));
    else {
        char why[160];
        vn_tlserr_reason(why, sizeof(why));
        set_diag(d, VN_CONN_IO, "%s", why);
    }
    return 0;
}

static int handshake(vn_conn *c, const char *host, int64_t deadline, vn_conn_diag *d)
{
    vn_tlsctx *t = c->tls;
    c->ssl = SSL_new(t->ctx);
    BIO *bio = c->ssl ? BIO_new(g_bio) : NULL;
    if (!bio) {
        set_diag(d, VN_CONN_TLS, "cannot create a TLS connection");
        return -1;
    }
    BIO_set_data(bio, (void *)(intptr_t)c->fd);
    SSL_set_bio(c->ssl, bio, bio);
    SSL_set_ex_data(c->ssl, g_conn_idx, c);
    int ip = is_ip_literal(host);
    if (!ip)
        SSL_set_tlsext_host_name(c->ssl, host);
    if (t->verify_name) {
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host)
                    : SSL_set1_host(c->ssl, host);
        if (ok != 1) {
            set_diag(d, VN_CONN_TLS, "cannot set the host name to verify");
            return -1;
        }
    }
    pthread_mutex_lock(&t->mu);
    if (t->session)
        SSL_set_session(c->ssl, t->session);
    pthread_mutex_unlock(&t->mu);
    SSL_set_connect_state(c->ssl);
    c->diag = d;
    for (;;) {
        ERR_clear_error();
        int r = SSL_do_handshake(c->ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (w > 0)
                continue;
            c->diag = NULL;
            set_diag(d, w == 0 ? VN_CONN_TIMEOUT : VN_CONN_IO, "%s",
                     w == 0 ? "handshake" : strerror(errno));
            return -1;
        }
        c->diag = NULL;
        long v = SSL_get_verify_result(c->ssl);
        if (c->pin_mismatch)
            set_diag(d, VN_CONN_PIN_MISMATCH, "pin");
        else if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
            set_diag(d, VN_CONN_NAME_MISMATCH, "%s", X509_verify_cert_error_string(v));
        else if (v != X509_V_OK)
            set_diag(d, VN_CONN_UNTRUSTED, "%s", X509_verify_cert_error_string(v));
        else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
            set_diag(d, VN_CONN_TLS, "the server closed the connection during the handshake");
        else {
            char why[160];
            vn_tlserr_reason(why, sizeof(why));
            set_diag(d, VN_CONN_TLS, "%s", why);
        }
        return -1;
    }
    c->diag = NULL;
    return 0;
}

vn_conn *vn_conn_open(const char *host, const char *port, vn_tlsctx *tls, int64_t deadline,
                      vn_conn_diag *diag)
{
    memset(diag, 0, sizeof(*diag));
    int fd = tcp_connect(host, port, deadline, diag);
    if (fd < 0)
        return NULL;
    vn_conn *c = vn_xcalloc(1, sizeof(*c));
    c->fd = fd;
    if (tls) {
        c->tls = tls;
        vn_tlsctx_ref(tls);
        if (handshake(c, host, deadline, diag) != 0) {
            vn_conn_close(c);
            return NULL;
        }
    }
    return c;
}

void vn_conn_close(vn_conn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        /* A polite close_notify, without waiting for the peer's. */
        if (SSL_is_init_finished(c->ssl))
            SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->fd >= 0)
        close(c->fd);
    vn_tlsctx_unref(c->tls);
    free(c);
}

int vn_conn_write(vn_conn *c, const void *data, size_t len, int64_t deadline, vn_conn_diag *d)
{
    const char *p = data;
    while (len > 0) {
        if (c->ssl) {
            size_t done = 0;
            ERR_clear_error();
            int r = SSL_write_ex(c->ssl, p, len, &done);
            if (r == 1) {
                p += done;
                len -= done;
                continue;
            }
            int w = ssl_wait(c, r, deadline, d);
            if (w == 1)
                continue;
            if (w == 2)
                set_diag(d, VN_CONN_CLOSED, "closed");
            return -1;
        }
        ssize_t r = send(c->fd, p, len, MSG_NOSIGNAL);
        if (r >= 0) {
            p += r;
            len -= (size_t)r;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_fd(c->fd, POLLOUT, deadline);
            if (w > 0)
                continue;
            set_diag(d, w == 0 ? VN_CONN_TIMEOUT : VN_CONN_IO, "%s",
                     w == 0 ? "timed out" : strerror(errno));
            return -1;
        }
        set_diag(d, errno == EPIPE || errno == ECONNRESET ? VN_CONN_CLOSED : VN_CONN_IO, "%s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

ssize_t vn_conn_read(vn_conn *c, void *buf, size_t len, int64_t deadline, vn_conn_diag *d)
{
    for (;;) {
        if (c->ssl) {
            size_t got = 0;
            ERR_clear_error();
            int r = SSL_read_ex(c->ssl, buf, len, &got);
            if (r == 1)
                return (ssize_t)got;
            int w = ssl_wait(c, r, deadline, d);
            if (w == 1)
                continue;
            return w == 2 ? 0 : -1;
        }
        ssize_t r = recv(c->fd, buf, len, 0);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_fd(c->fd, POLLIN, deadline);
            if (w > 0)
                continue;
            set_diag(d, w == 0 ? VN_CONN_TIMEOUT : VN_CONN_IO, "%s",
                     w == 0 ? "timed out" : strerror(errno));
            return -1;
        }
        set_diag(d, errno == ECONNRESET ? VN_CONN_CLOSED : VN_CONN_IO, "%s", strerror(errno));
        return -1;
    }
}

int vn_conn_stale(vn_conn *c)
{
    struct pollfd p = {c->fd, POLLIN, 0};
    if (c->ssl && SSL_pending(c->ssl) > 0)
        return 1;
    if (poll(&p, 1, 0) <= 0)
        return 0;
    if (!c->ssl)
        return 1;
    /* Readable: a session ticket or other TLS housekeeping is harmless;
     * application data, an alert or the end of the stream is not. */
    char b;
    size_t got = 0;
    ERR_clear_error();
    int r = SSL_read_ex(c->ssl, &b, 1, &got);
    if (r == 1)
        return 1;
    int e = SSL_get_error(c->ssl, r);
    return !(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE);
}

void vn_conn_thumbprints(vn_conn *c, char *sha256, size_t n256, char *sha1, size_t n1)
{
    if (n256)
        sha256[0] = '\0';
    if (n1)
        sha1[0] = '\0';
    if (c->ssl)
        leaf_thumbprints(SSL_get0_peer_certificate(c->ssl), sha256, n256, sha1, n1, NULL, NULL);
}

int vn_conn_resumed(vn_conn *c)
{
    return c->ssl && SSL_session_reused(c->ssl);
}
