/* Unit tests for the HTTPS transport (lib/vn_http.c), against real local
 * servers: a small HTTP/1.1 responder written here with OpenSSL, run in
 * forked children over a self-signed RSA-2048 certificate (CN and SAN
 * 127.0.0.1) made with the `openssl` command, plus a plain-http twin.
 *
 * The responder keeps connections alive, answers every request with one
 * line describing what it received (request count on the connection, the
 * Cookie, SOAPAction, Content-Type and Expect headers, the body length) and
 * logs every request body to a file, so a test can prove that a refused
 * handshake sent nothing. Paths with a meaning: /login sets the session
 * cookie, /fault answers 500, /big sends 2000 bytes, /close and /drop close
 * the connection without a reply (with and without a TLS close_notify),
 * /hang never answers. */
#define TH_SUITE "http"
#include "harness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_http.h"

static char g_dir[64];
static char g_cert[128], g_key[128], g_log[128];
static char g_sha256[128], g_sha1[128];
static int g_ready;                         /* certificate made and servers running */
static int g_tls_port;                      /* the TLS responder */
static int g_plain_port;                    /* the plain-http responder */
static int g_closed_fd = -1, g_closed_port; /* bound, never listening */
static pid_t g_tls_pid = -1, g_plain_pid = -1;

/* ---- Helpers for checks ---- */

#define CHECK_HAS(hay, needle)                                                                     \
    do {                                                                                           \
        const char *th_h = (hay), *th_n = (needle);                                                \
        if (!th_h || !strstr(th_h, th_n))                                                          \
            fail_in(__func__, __LINE__, "\"%s\" lacks \"%s\"", th_h ? th_h : "(null)", th_n);      \
    } while (0)

#define CHECK_LACKS(hay, needle)                                                                   \
    do {                                                                                           \
        const char *th_h = (hay), *th_n = (needle);                                                \
        if (th_h && strstr(th_h, th_n))                                                            \
            fail_in(__func__, __LINE__, "\"%s\" has \"%s\"", th_h, th_n);                          \
    } while (0)

#define NEED_SERVERS()                                                                             \
    do {                                                                                           \
        if (!g_ready)                                                                              \
            SKIP("no openssl command to make a test certificate");                                 \
    } while (0)

static void tls_url(char *out, size_t n)
{
    snprintf(out, n, "https://127.0.0.1:%d", g_tls_port);
}

static const char *hostport(int port)
{
    static char buf[64];
    snprintf(buf, sizeof(buf), "127.0.0.1:%d", port);
    return buf;
}

static vn_http *open_tls(const vn_tls *tls, vn_error *err)
{
    char url[64];
    tls_url(url, sizeof(url));
    vn_http *h = NULL;
    vn_error_clear(err);
    if (vn_http_open(&h, url, tls, err) != VN_OK)
        return NULL;
    return h;
}

/* POSTs a small SOAP-like body; returns the vn_http_post result. */
static int post(vn_http *h, const char *path, const char *body, vn_buf *resp, long *status,
                vn_error *err)
{
    vn_error_clear(err);
    vn_buf_reset(resp);
    return vn_http_post(h, path, "urn:vim25/7.0", body, strlen(body), resp, status, err);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vn_xstrdup("");
    vn_buf b = VN_BUF_INIT;
    vn_buf_add(&b, "", 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        vn_buf_add(&b, chunk, n);
    fclose(f);
    return vn_buf_detach(&b, NULL);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

/* The pin with its first byte changed. */
static void wrong_pin(const char *pin, char *out, size_t n)
{
    snprintf(out, n, "%s", pin);
    out[0] = out[0] == '0' ? '1' : '0';
}

/* ---- The responder (runs in forked children) ---- */

typedef struct conn {
    int fd;
    SSL *ssl;
} conn;

static ssize_t conn_read(conn *c, char *buf, size_t n)
{
    if (c->ssl) {
        int r = SSL_read(c->ssl, buf, (int)n);
        return r > 0 ? r : -1;
    }
    for (;;) {
        ssize_t r = read(c->fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        return r > 0 ? r : -1;
    }
}

static int conn_write(conn *c, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w;
        if (c->ssl) {
            int r = SSL_write(c->ssl, buf, (int)n);
            w = r > 0 ? r : -1;
        } else {
            w = write(c->fd, buf, n);
            if (w < 0 && errno == EINTR)
                continue;
        }
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Value of header `name` in the request head, or "". */
static void header_value(const char *head, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t l = e ? (size_t)(e - v) : strlen(v);
            snprintf(out, n, "%.*s", (int)l, v);
            return;
        }
    }
}

static void log_request(const char *method, const char *path, const char *body, size_t len)
{
    vn_buf b = VN_BUF_INIT;
    vn_buf_addf(&b, "REQ %s %s\n", method, path);
    vn_buf_add(&b, body, len);
    vn_buf_adds(&b, "\n");
    int fd = open(g_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, b.data, b.len);
        (void)w;
        close(fd);
    }
    vn_buf_free(&b);
}

static void serve_conn(conn *c)
{
    static char buf[65536];
    size_t have = 0;
    for (int count = 1;; count++) {
        char *end;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            if (have == sizeof(buf) - 1)
                return;
            ssize_t r = conn_read(c, buf + have, sizeof(buf) - 1 - have);
            if (r <= 0)
                return;
            have += (size_t)r;
        }
        size_t head_len = (size_t)(end - buf) + 4;
        char head[8192];
        snprintf(head, sizeof(head), "%.*s", (int)(head_len - 2), buf);
        char method[16] = "", path[256] = "";
        if (sscanf(head, "%15s %255s", method, path) != 2)
            return;
        char clen[32], cookie[512], action[256], ctype[256], expect[64];
        header_value(head, "Content-Length", clen, sizeof(clen));
        header_value(head, "Cookie", cookie, sizeof(cookie));
        header_value(head, "SOAPAction", action, sizeof(action));
        header_value(head, "Content-Type", ctype, sizeof(ctype));
        header_value(head, "Expect", expect, sizeof(expect));
        size_t body_len = (size_t)strtoul(clen, NULL, 10);
        if (head_len + body_len > sizeof(buf) - 1)
            return;
        while (have < head_len + body_len) {
            ssize_t r = conn_read(c, buf + have, sizeof(buf) - 1 - have);
            if (r <= 0)
                return;
            have += (size_t)r;
        }
        log_request(method, path, buf + head_len, body_len);

        if (strcmp(path, "/close") == 0) {
            if (c->ssl)
                SSL_shutdown(c->ssl);
            return;
        }
        if (strcmp(path, "/drop") == 0)
            return;
        if (strcmp(path, "/hang") == 0) {
            for (;;)
                pause();
        }
        if (strcmp(path, "/continue") == 0 &&
            conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
            return;
        if (strcmp(path, "/chunked") == 0 || strcmp(path, "/eof") == 0) {
            char line[128];
            int l = snprintf(line, sizeof(line), "n=%d %s\n", count, path);
            vn_buf r = VN_BUF_INIT;
            if (strcmp(path, "/eof") == 0) {
                /* No length: the body ends with the connection. */
                vn_buf_addf(&r, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n%s", line);
            } else {
                /* Two chunks (one with an extension) and a trailer. */
                vn_buf_addf(&r,
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "%x\r\n%.*s\r\n%x;ext=1\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n",
                            3, 3, line, (unsigned)(l - 3), line + 3);
            }
            int w = conn_write(c, r.data, r.len);
            vn_buf_free(&r);
            if (w != 0 || strcmp(path, "/eof") == 0)
                return;
            memmove(buf, buf + head_len + body_len, have - head_len - body_len);
            have -= head_len + body_len;
            continue;
        }
        vn_buf body = VN_BUF_INIT;
        if (strcmp(path, "/big") == 0) {
            for (int i = 0; i < 2000; i++)
                vn_buf_addc(&body, 'x');
        } else {
            vn_buf_addf(&body,
                        "n=%d method=%s cookie=[%s] action=[%s] ctype=[%s] expect=[%s] len=%zu\n",
                        count, method, cookie, action, ctype, expect, body_len);
        }
        vn_buf resp = VN_BUF_INIT;
        vn_buf_addf(&resp, "HTTP/1.1 %s\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n",
                    strcmp(path, "/fault") == 0 ? "500 Internal Server Error" : "200 OK", body.len);
        if (strcmp(path, "/login") == 0)
            vn_buf_adds(&resp, "Set-Cookie: vmware_soap_session=\"abc123\"; Path=/; HttpOnly; "
                               "Secure\r\n");
        if (strcmp(path, "/logout") == 0)
            vn_buf_adds(&resp, "Set-Cookie: vmware_soap_session=; Path=/; Max-Age=0\r\n");
        vn_buf_adds(&resp, "\r\n");
        vn_buf_add(&resp, body.data, body.len);
        int w = conn_write(c, resp.data, resp.len);
        vn_buf_free(&resp);
        vn_buf_free(&body);
        /* /then-close: a complete keep-alive reply, then the server drops
         * the idle connection (as servers do after their idle timeout). */
        if (w != 0 || strcmp(path, "/then-close") == 0)
            return;
        memmove(buf, buf + head_len + body_len, have - head_len - body_len);
        have -= head_len + body_len;
    }
}

/* The accept loop; one forked handler per connection. Never returns. */
static void serve(int lfd, int tls)
{
    signal(SIGCHLD, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = NULL;
    if (tls) {
        ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx || SSL_CTX_use_certificate_file(ctx, g_cert, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, g_key, SSL_FILETYPE_PEM) != 1)
            _exit(1);
    }
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pid_t pid = fork();
        if (pid != 0) {
            close(fd);
            continue;
        }
        close(lfd);
        conn c = {fd, NULL};
        if (tls) {
            c.ssl = SSL_new(ctx);
            SSL_set_fd(c.ssl, fd);
            if (SSL_accept(c.ssl) != 1)
                _exit(0);
        }
        serve_conn(&c);
        close(fd);
        _exit(0);
    }
}

static int listen_local(int *port, int do_listen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || (do_listen && listen(fd, 64) != 0) ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static pid_t start_server(int tls, int *port)
{
    int lfd = listen_local(port, 1);
    if (lfd < 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        serve(lfd, tls);
        _exit(0);
    }
    if (pid > 0)
        setpgid(pid, pid);
    close(lfd);
    return pid;
}

static void stop_server(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* "sha256 Fingerprint=AA:..." -> "AA:..." */
static int fingerprint(const char *alg, char *out, size_t n)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -noout -fingerprint -%s", g_cert, alg);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[256] = "";
    char *got = fgets(line, sizeof(line), p);
    int rc = pclose(p);
    char *eq = got ? strchr(line, '=') : NULL;
    if (rc != 0 || !eq)
        return -1;
    eq++;
    eq[strcspn(eq, "\r\n")] = '\0';
    snprintf(out, n, "%s", eq);
    return 0;
}

static void setup(void)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/vnest-http-XXXXXX");
    if (!mkdtemp(g_dir))
        return;
    snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_dir);
    snprintf(g_key, sizeof(g_key), "%s/key.pem", g_dir);
    snprintf(g_log, sizeof(g_log), "%s/requests.log", g_dir);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             g_key, g_cert);
    if (system(cmd) != 0)
        return;
    if (fingerprint("sha256", g_sha256, sizeof(g_sha256)) != 0 ||
        fingerprint("sha1", g_sha1, sizeof(g_sha1)) != 0)
        return;
    g_tls_pid = start_server(1, &g_tls_port);
    g_plain_pid = start_server(0, &g_plain_port);
    g_closed_fd = listen_local(&g_closed_port, 0);
    g_ready = g_tls_pid > 0 && g_plain_pid > 0 && g_closed_fd >= 0;
}

static void teardown(void)
{
    stop_server(g_tls_pid);
    stop_server(g_plain_pid);
    if (g_closed_fd >= 0)
        close(g_closed_fd);
    if (g_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
        if (system(cmd) != 0)
            printf("note: could not remove %s\n", g_dir);
    }
}

/* ---- Trust ---- */

TEST(default_verification_fails)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = -1;
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_ERUNTIME);
    CHECK_INT(err.code, VN_ERUNTIME);
    CHECK_STR(err.where, hostport(g_tls_port));
    CHECK_HAS(err.msg, "certificate not trusted (self-signed certificate)");
    CHECK_HAS(err.msg, "--ca-file");
    CHECK_HAS(err.msg, "--insecure");
    CHECK_HAS(err.msg, "GOVC_TLS_KNOWN_HOSTS");
    CHECK_HAS(err.msg, g_sha256);
    char line[256];
    snprintf(line, sizeof(line), "\"%s %s\"", hostport(g_tls_port), g_sha256);
    CHECK_HAS(err.msg, line);
    CHECK(strchr(err.msg, '\n') == NULL);
    CHECK_INT(status, 0);
    CHECK_INT(resp.len, 0);
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(ca_file_trusts)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.ca_file = g_cert;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/sdk", "<hello/>", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    CHECK_HAS(resp.data, "n=1 method=POST");
    CHECK_HAS(resp.data, "action=[urn:vim25/7.0]");
    CHECK_HAS(resp.data, "ctype=[text/xml; charset=utf-8]");
    CHECK_HAS(resp.data, "expect=[]");
    CHECK_HAS(resp.data, "len=8");
    CHECK_STR(vn_http_hostport(h), hostport(g_tls_port));
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(insecure_skips_verification)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.insecure = 1;
    tls.thumbprint = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33";
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    vn_buf_free(&resp);
    vn_http_close(h);
}

static void expect_pin_ok(const char *pin, const char *fn, int line)
{
    vn_error err;
    vn_tls tls = {0};
    tls.thumbprint = pin;
    vn_http *h = open_tls(&tls, &err);
    if (!h) {
        fail_in(fn, line, "open with pin %s: %s: %s", pin, err.where, err.msg);
        return;
    }
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    if (post(h, "/sdk", "<x/>", &resp, &status, &err) != VN_OK || status != 200)
        fail_in(fn, line, "pin %s: status %ld: %s: %s", pin, status, err.where, err.msg);
    vn_buf_free(&resp);
    vn_http_close(h);
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

TEST(pin_sha256)
{
    NEED_SERVERS();
    expect_pin_ok(g_sha256, __func__, __LINE__);
    char low[128];
    snprintf(low, sizeof(low), "%s", g_sha256);
    lower(low);
    expect_pin_ok(low, __func__, __LINE__);
}

TEST(pin_sha1)
{
    NEED_SERVERS();
    expect_pin_ok(g_sha1, __func__, __LINE__);
    char low[128];
    snprintf(low, sizeof(low), "%s", g_sha1);
    lower(low);
    expect_pin_ok(low, __func__, __LINE__);
}

/* A wrong pin is refused during the handshake, with both thumbprints in the
 * message, whether or not the CA file would vouch for the certificate; the
 * request body never reaches the server. */
static void expect_pin_refused(const char *pin, const char *ca_file, const char *actual,
                               const char *fn, int line)
{
    vn_error err;
    vn_tls tls = {0};
    tls.thumbprint = pin;
    tls.ca_file = ca_file;
    vn_http *h = open_tls(&tls, &err);
    if (!h) {
        fail_in(fn, line, "open: %s", err.msg);
        return;
    }
    vn_buf resp = VN_BUF_INIT;
    long status = -1;
    int rc = post(h, "/sdk", "<secret>WRONG-PIN-BODY</secret>", &resp, &status, &err);
    char want[300];
    snprintf(want, sizeof(want), "certificate thumbprint %s does not match the pinned", actual);
    if (rc != VN_ERUNTIME || err.code != VN_ERUNTIME || !strstr(err.msg, want) ||
        !strcasestr(err.msg, pin) || strcmp(err.where, hostport(g_tls_port)) != 0 || status != 0)
        fail_in(fn, line, "rc=%d status=%ld where=%s msg=%s", rc, status, err.where, err.msg);
    vn_buf_free(&resp);
    vn_http_close(h);
    char *log = read_text(g_log);
    if (strstr(log, "WRONG-PIN-BODY"))
        fail_in(fn, line, "the request body reached the server");
    free(log);
}

TEST(wrong_pin_refused)
{
    NEED_SERVERS();
    char bad[128];
    wrong_pin(g_sha256, bad, sizeof(bad));
    expect_pin_refused(bad, NULL, g_sha256, __func__, __LINE__);
    wrong_pin(g_sha1, bad, sizeof(bad));
    expect_pin_refused(bad, NULL, g_sha1, __func__, __LINE__);
}

TEST(ca_valid_but_wrong_pin_refused)
{
    NEED_SERVERS();
    char bad[128];
    wrong_pin(g_sha256, bad, sizeof(bad));
    expect_pin_refused(bad, g_cert, g_sha256, __func__, __LINE__);
}

TEST(bad_explicit_pin)
{
    vn_http *h = NULL;
    vn_error err;
    vn_error_clear(&err);
    vn_tls tls = {0};
    tls.thumbprint = "AA:BB:CC";
    CHECK_INT(vn_http_open(&h, "https://127.0.0.1:1", &tls, &err), VN_EINPUT);
    CHECK(h == NULL);
    CHECK_STR(err.where, "--thumbprint");
    CHECK_HAS(err.msg, "bad thumbprint");
}

TEST(known_hosts_file)
{
    NEED_SERVERS();
    char path[160], missing[160], list[400], content[512];
    snprintf(path, sizeof(path), "%s/known_hosts", g_dir);
    snprintf(missing, sizeof(missing), "%s/absent", g_dir);
    snprintf(content, sizeof(content),
             "# vnest test\n\nvc.example.com %s\n127.0.0.1:%d %s\n127.0.0.1 %s\n", g_sha1,
             g_tls_port, g_sha256, g_sha1);
    write_text(path, content);

    vn_error err;
    vn_tls tls = {0};
    tls.known_hosts = path;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    if (h) {
        CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
        CHECK_INT(status, 200);
        vn_http_close(h);
    }

    /* A list, as in GOVC_TLS_KNOWN_HOSTS; missing files are skipped. */
    snprintf(list, sizeof(list), "%s:%s", missing, path);
    tls.known_hosts = list;
    h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (h) {
        CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
        vn_http_close(h);
    }

    /* No entry for this host: back to the CA check. */
    tls.known_hosts = missing;
    h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (h) {
        CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_ERUNTIME);
        CHECK_HAS(err.msg, "certificate not trusted");
        vn_http_close(h);
    }

    /* A wrong entry wins over a valid CA, and the message names the file. */
    char bad[128];
    wrong_pin(g_sha256, bad, sizeof(bad));
    snprintf(content, sizeof(content), "127.0.0.1:%d %s\n", g_tls_port, bad);
    write_text(path, content);
    tls.known_hosts = path;
    tls.ca_file = g_cert;
    h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (h) {
        CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_ERUNTIME);
        CHECK_HAS(err.msg, "does not match the pinned");
        CHECK_HAS(err.msg, g_sha256);
        CHECK_HAS(err.msg, bad);
        CHECK_HAS(err.msg, path);
        vn_http_close(h);
    }

    /* A malformed file is an input error at open, naming the line. */
    write_text(path, "# header\n127.0.0.1 not-a-thumbprint\n");
    h = open_tls(&tls, &err);
    CHECK(h == NULL);
    CHECK_INT(err.code, VN_EINPUT);
    char where[200];
    snprintf(where, sizeof(where), "%s:2", path);
    CHECK_STR(err.where, where);
    vn_buf_free(&resp);
}

TEST(host_name_mismatch)
{
    NEED_SERVERS();
    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%d", g_tls_port);
    vn_tls tls = {0};
    tls.ca_file = g_cert;
    vn_http *h = NULL;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_http_open(&h, url, &tls, &err), VN_OK);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    int rc = post(h, "/sdk", "<x/>", &resp, &status, &err);
    if (strstr(err.msg, "resolve")) {
        vn_buf_free(&resp);
        vn_http_close(h);
        SKIP("localhost does not resolve");
    }
    CHECK_INT(rc, VN_ERUNTIME);
    CHECK_HAS(err.msg, "certificate does not match the host name");
    CHECK_HAS(err.msg, g_sha256);
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(fetch_thumbprint)
{
    NEED_SERVERS();
    char url[64], s256[128], s1[128];
    tls_url(url, sizeof(url));
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_http_fetch_thumbprint(url, s256, sizeof(s256), s1, sizeof(s1), &err), VN_OK);
    CHECK_STR(s256, g_sha256);
    CHECK_STR(s1, g_sha1);

    snprintf(url, sizeof(url), "https://127.0.0.1:%d", g_closed_port);
    CHECK_INT(vn_http_fetch_thumbprint(url, s256, sizeof(s256), s1, sizeof(s1), &err), VN_ERUNTIME);
    CHECK_HAS(err.msg, "cannot connect");
    CHECK_STR(s256, "");
}

/* ---- Protocols and URLs ---- */

TEST(plain_http_refused_unless_allowed)
{
    NEED_SERVERS();
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", g_plain_port);
    vn_http *h = NULL;
    vn_error err;
    vn_error_clear(&err);
    unsetenv("VNEST_ALLOW_HTTP");
    CHECK_INT(vn_http_open(&h, url, NULL, &err), VN_EINPUT);
    CHECK(h == NULL);
    CHECK_HAS(err.msg, "plain http is refused; use https");

    setenv("VNEST_ALLOW_HTTP", "0", 1);
    CHECK_INT(vn_http_open(&h, url, NULL, &err), VN_EINPUT);
    CHECK(h == NULL);

    setenv("VNEST_ALLOW_HTTP", "1", 1);
    vn_error_clear(&err);
    CHECK_INT(vn_http_open(&h, url, NULL, &err), VN_OK);
    unsetenv("VNEST_ALLOW_HTTP");
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    CHECK_HAS(resp.data, "action=[urn:vim25/7.0]");
    char s256[128], s1[128];
    CHECK_INT(vn_http_fetch_thumbprint(url, s256, sizeof(s256), s1, sizeof(s1), &err), VN_EINPUT);
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(bad_urls)
{
    static const char *bad[] = {
        "ftp://127.0.0.1", "127.0.0.1",          "https://",         "https://host/sdk",
        "https://host:0",  "https://host:99999", "https://host:",    "https://user@host",
        "https://ho st",   "https://[::1",       "https://host?x=1", "https://host:443:1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vn_http *h = NULL;
        vn_error err;
        vn_error_clear(&err);
        int rc = vn_http_open(&h, bad[i], NULL, &err);
        if (rc != VN_EINPUT || h != NULL || strcmp(err.where, bad[i]) != 0)
            fail_in(__func__, __LINE__, "%s: rc=%d where=%s msg=%s", bad[i], rc, err.where,
                    err.msg);
        vn_http_close(h);
    }
    static const struct {
        const char *url, *hostport;
    } good[] = {
        {"https://VC.Example.com", "vc.example.com:443"},
        {"https://vc:8443/", "vc:8443"},
        {"HTTPS://[::1]", "[::1]:443"},
        {"https://[fe80::1]:9443", "[fe80::1]:9443"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        vn_http *h = NULL;
        vn_error err;
        vn_error_clear(&err);
        int rc = vn_http_open(&h, good[i].url, NULL, &err);
        if (rc != VN_OK || !h || strcmp(vn_http_hostport(h), good[i].hostport) != 0)
            fail_in(__func__, __LINE__, "%s: rc=%d msg=%s hostport=%s", good[i].url, rc, err.msg,
                    h ? vn_http_hostport(h) : "-");
        vn_http_close(h);
    }
}

TEST(bad_request_arguments)
{
    vn_http *h = NULL;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_http_open(&h, "https://127.0.0.1:1", NULL, &err), VN_OK);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(vn_http_post(h, "sdk", "a", "x", 1, &resp, &status, &err), VN_EINPUT);
    CHECK_INT(vn_http_post(h, "/s dk", "a", "x", 1, &resp, &status, &err), VN_EINPUT);
    CHECK_INT(vn_http_post(h, "/sdk", "a\r\nX-Evil: 1", "x", 1, &resp, &status, &err), VN_EINPUT);
    CHECK_HAS(err.msg, "SOAPAction");
    CHECK_INT(vn_http_get(h, "/a\nb", &resp, &status, &err), VN_EINPUT);
    vn_buf_free(&resp);
    vn_http_close(h);
}

/* ---- Transport failures ---- */

TEST(connection_refused)
{
    NEED_SERVERS();
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", g_closed_port);
    vn_http *h = NULL;
    vn_error err;
    vn_error_clear(&err);
    CHECK_INT(vn_http_open(&h, url, NULL, &err), VN_OK);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = -1;
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_ERUNTIME);
    CHECK_INT(err.code, VN_ERUNTIME);
    CHECK_STR(err.where, hostport(g_closed_port));
    CHECK_STR(err.msg, "cannot connect (Connection refused)");
    CHECK_INT(status, 0);
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(closed_without_reply)
{
    NEED_SERVERS();
    static const char *paths[] = {"/close", "/drop"};
    for (int i = 0; i < 2; i++) {
        vn_error err;
        vn_tls tls = {0};
        tls.insecure = 1;
        vn_http *h = open_tls(&tls, &err);
        CHECK(h != NULL);
        if (!h)
            return;
        vn_buf resp = VN_BUF_INIT;
        long status = -1;
        CHECK_INT(post(h, paths[i], "<x/>", &resp, &status, &err), VN_ERUNTIME);
        CHECK_STR(err.where, hostport(g_tls_port));
        CHECK_STR(err.msg, "the server closed the connection without a reply");
        CHECK_INT(status, 0);
        vn_buf_free(&resp);
        vn_http_close(h);
    }
}

TEST(request_timeout)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.insecure = 1;
    tls.timeout_ms = 700;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = -1;
    CHECK_INT(post(h, "/hang", "<x/>", &resp, &status, &err), VN_ERUNTIME);
    CHECK_STR(err.msg, "no reply within 700 ms (the request timeout)");
    vn_buf_free(&resp);
    vn_http_close(h);
}

/* ---- Replies ---- */

TEST(any_status_is_a_reply)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.thumbprint = g_sha256;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/fault", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 500);
    CHECK_HAS(resp.data, "method=POST");
    vn_buf_reset(&resp);
    CHECK_INT(vn_http_get(h, "/sdk/vimServiceVersions.xml", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    CHECK_HAS(resp.data, "n=2 method=GET");
    CHECK_HAS(resp.data, "len=0");
    /* The response is appended to what the buffer holds. */
    CHECK_INT(vn_http_get(h, "/", &resp, &status, &err), VN_OK);
    CHECK_HAS(resp.data, "n=2 method=GET");
    CHECK_HAS(resp.data, "n=3 method=GET");
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(response_limit)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.ca_file = g_cert;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(vn_http_get(h, "/big", &resp, &status, &err), VN_OK);
    CHECK_INT(resp.len, 2000);
    vn_http_set_max_response(h, 1000);
    vn_buf_reset(&resp);
    vn_error_clear(&err);
    CHECK_INT(vn_http_get(h, "/big", &resp, &status, &err), VN_ERUNTIME);
    CHECK_STR(err.msg, "the response is larger than 1000 bytes (expected a smaller reply)");
    CHECK(resp.len <= 1000);
    /* The handle still works afterwards. */
    vn_buf_reset(&resp);
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    vn_buf_free(&resp);
    vn_http_close(h);
}

/* vn_http_get_url_fd: the body goes to a file as it arrives, with no
 * response limit, framed by Content-Length or chunks; a write error is one
 * line, and the handle works afterwards. */
TEST(get_url_fd)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.ca_file = g_cert;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_http_set_max_response(h, 1000);
    char path[128];
    snprintf(path, sizeof(path), "%s/dl", g_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    unsigned long long bytes = 0;
    long status = 0;
    CHECK_INT(vn_http_get_url_fd(h, NULL, "https://*/big", fd, &bytes, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    CHECK_INT(bytes, 2000);
    CHECK_INT(vn_http_get_url_fd(h, NULL, "https://*/chunked", fd, &bytes, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    close(fd);
    char *text = read_text(path);
    CHECK(text != NULL);
    if (text) {
        CHECK_INT(strlen(text), 2000 + bytes);
        CHECK(strspn(text, "x") == 2000);
        CHECK_HAS(text + 2000, "/chunked\n");
    }
    free(text);
    fd = open(path, O_RDONLY);
    vn_error_clear(&err);
    CHECK_INT(vn_http_get_url_fd(h, NULL, "https://*/big", fd, &bytes, &status, &err), VN_ERUNTIME);
    CHECK_HAS(err.msg, "cannot write the download (");
    close(fd);
    vn_buf resp = VN_BUF_INIT;
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    vn_buf_free(&resp);
    vn_http_close(h);
}

/* ---- Keep-alive, cookies, dup ---- */

TEST(keep_alive)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.thumbprint = g_sha256;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    CHECK_INT(vn_http_connects(h), 0);
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    for (int i = 1; i <= 5; i++) {
        CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
        char want[16];
        snprintf(want, sizeof(want), "n=%d ", i);
        CHECK_HAS(resp.data, want);
    }
    CHECK_INT(vn_http_connects(h), 1);
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(cookies_shared_with_dup)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.ca_file = g_cert;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    char cookie[128];
    CHECK_STR(vn_http_session_cookie(h, cookie, sizeof(cookie)), "");
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/login", "<Login/>", &resp, &status, &err), VN_OK);
    CHECK_HAS(resp.data, "cookie=[]");
    CHECK_STR(vn_http_session_cookie(h, cookie, sizeof(cookie)), "\"abc123\"");
    CHECK_STR(vn_http_session_cookie(h, cookie, 5), ""); /* does not fit */
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_HAS(resp.data, "cookie=[vmware_soap_session=\"abc123\"]");

    vn_http *d = NULL;
    vn_error_clear(&err);
    CHECK_INT(vn_http_dup(h, &d, &err), VN_OK);
    if (d) {
        CHECK_STR(vn_http_hostport(d), hostport(g_tls_port));
        CHECK_STR(vn_http_session_cookie(d, cookie, sizeof(cookie)), "\"abc123\"");
        CHECK_INT(post(d, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
        CHECK_HAS(resp.data, "n=1 ");
        CHECK_HAS(resp.data, "cookie=[vmware_soap_session=\"abc123\"]");
        CHECK_INT(vn_http_connects(d), 1);
        CHECK_INT(vn_http_connects(h), 1);

        /* Clearing on the dup logs both out. */
        vn_http_clear_cookies(d);
        CHECK_STR(vn_http_session_cookie(h, cookie, sizeof(cookie)), "");
        CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
        CHECK_HAS(resp.data, "cookie=[]");
        /* A new login through the dup is seen by the original. */
        CHECK_INT(post(d, "/login", "<Login/>", &resp, &status, &err), VN_OK);
        CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
        CHECK_HAS(resp.data, "cookie=[vmware_soap_session=\"abc123\"]");
    }
    /* The original may go first; the dup keeps the shared state alive. */
    vn_http_close(h);
    if (d) {
        CHECK_INT(post(d, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
        CHECK_HAS(resp.data, "cookie=[vmware_soap_session=\"abc123\"]");
        vn_http_close(d);
    }
    vn_buf_free(&resp);
}

typedef struct worker {
    vn_http *h;
    int ok;
    int with_cookie;
    pthread_t tid;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    vn_buf resp = VN_BUF_INIT;
    for (int i = 0; i < 5; i++) {
        vn_error err;
        long status = 0;
        if (post(w->h, "/sdk", "<x/>", &resp, &status, &err) == VN_OK && status == 200)
            w->ok++;
        if (strstr(resp.data, "cookie=[vmware_soap_session=\"abc123\"]"))
            w->with_cookie++;
    }
    vn_buf_free(&resp);
    return NULL;
}

TEST(dups_in_threads)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.thumbprint = g_sha1;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/login", "<Login/>", &resp, &status, &err), VN_OK);
    vn_buf_free(&resp);
    enum { N = 4 };
    worker w[N];
    memset(w, 0, sizeof(w));
    int started = 0;
    for (int i = 0; i < N; i++) {
        if (vn_http_dup(h, &w[i].h, &err) != VN_OK)
            break;
        if (pthread_create(&w[i].tid, NULL, work, &w[i]) != 0) {
            vn_http_close(w[i].h);
            break;
        }
        started++;
    }
    CHECK_INT(started, N);
    for (int i = 0; i < started; i++) {
        pthread_join(w[i].tid, NULL);
        CHECK_INT(w[i].ok, 5);
        CHECK_INT(w[i].with_cookie, 5);
        CHECK_INT(vn_http_connects(w[i].h), 1);
        vn_http_close(w[i].h);
    }
    vn_http_close(h);
}

/* ---- Framing, reconnects, sessions ---- */

TEST(chunked_and_eof_framing)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.ca_file = g_cert;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/chunked", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_STR(resp.data, "n=1 /chunked\n");
    /* The connection stays usable after a chunked reply. */
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_HAS(resp.data, "n=2 ");
    CHECK_INT(post(h, "/eof", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_STR(resp.data, "n=3 /eof\n");
    CHECK_INT(post(h, "/continue", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    CHECK_HAS(resp.data, "n=1 "); /* a new connection after the /eof reply */
    CHECK_INT(vn_http_connects(h), 2);
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(reconnect_after_server_close)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.ca_file = g_cert;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/then-close", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_HAS(resp.data, "n=1 ");
    usleep(100 * 1000); /* let the server's close arrive */
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    CHECK_HAS(resp.data, "n=1 ");
    CHECK_INT(vn_http_connects(h), 2);
    /* The second connection resumed the first one's TLS session. */
    CHECK_INT(vn_http_resumptions(h), 1);
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(dups_resume_the_session)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.thumbprint = g_sha256;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_INT(vn_http_resumptions(h), 0);
    vn_http *d = NULL;
    CHECK_INT(vn_http_dup(h, &d, &err), VN_OK);
    if (d) {
        CHECK_INT(post(d, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
        CHECK_INT(status, 200);
        CHECK_INT(vn_http_resumptions(d), 1);
        vn_http_close(d);
    }
    vn_buf_free(&resp);
    vn_http_close(h);
}

TEST(cookie_removed_by_max_age)
{
    NEED_SERVERS();
    vn_error err;
    vn_tls tls = {0};
    tls.ca_file = g_cert;
    vn_http *h = open_tls(&tls, &err);
    CHECK(h != NULL);
    if (!h)
        return;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    char cookie[64];
    CHECK_INT(post(h, "/login", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_STR(vn_http_session_cookie(h, cookie, sizeof(cookie)), "\"abc123\"");
    CHECK_INT(post(h, "/logout", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_STR(vn_http_session_cookie(h, cookie, sizeof(cookie)), "");
    CHECK_INT(post(h, "/sdk", "<x/>", &resp, &status, &err), VN_OK);
    CHECK_HAS(resp.data, "cookie=[]");
    vn_buf_free(&resp);
    vn_http_close(h);
}

/* Replies parsed from memory: the framing cases no test server sends. */
static int parse(const char *raw, size_t max, vn_buf *body, long *status, vn_error *err)
{
    vn_buf_reset(body);
    vn_error_clear(err);
    return vn_http_parse_reply(raw, strlen(raw), max, body, status, err);
}

TEST(reply_parsing)
{
    vn_buf body = VN_BUF_INIT;
    long status = 0;
    vn_error err;
    CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 100, &body, &status, &err),
              VN_OK);
    CHECK_STR(body.data, "hello");
    CHECK_INT(status, 200);
    CHECK_INT(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Oops\r\ncontent-length: 2\r\n\r\nno",
                    100, &body, &status, &err),
              VN_OK);
    CHECK_INT(status, 500);
    CHECK_STR(body.data, "no");
    CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "2\r\nab\r\nA ; x=y\r\n0123456789\r\n0\r\nT: 1\r\n\r\n",
                    100, &body, &status, &err),
              VN_OK);
    CHECK_STR(body.data, "ab0123456789");
    CHECK_INT(parse("HTTP/1.0 200 OK\r\n\r\nuntil the end", 100, &body, &status, &err), VN_OK);
    CHECK_STR(body.data, "until the end");
    CHECK_INT(parse("HTTP/1.1 204 No Content\r\n\r\n", 100, &body, &status, &err), VN_OK);
    CHECK_STR(body.data, "");
    /* Broken replies: one line each, nothing kept of the body. */
    CHECK_INT(parse("SSH-2.0-OpenSSH\r\n\r\n", 100, &body, &status, &err), VN_ERUNTIME);
    CHECK_HAS(err.msg, "not HTTP");
    CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", 100, &body, &status, &err),
              VN_ERUNTIME);
    CHECK_STR(err.msg, "the server closed the connection in the middle of the reply");
    CHECK_STR(body.data, "");
    CHECK_INT(status, 0);
    CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100, &body,
                    &status, &err),
              VN_ERUNTIME);
    CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", 100, &body, &status, &err),
              VN_ERUNTIME);
    CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", 100, &body, &status, &err),
              VN_ERUNTIME);
    CHECK_HAS(err.msg, "larger than 100 bytes");
    CHECK_INT(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n", 100, &body,
                    &status, &err),
              VN_ERUNTIME);
    CHECK_HAS(err.msg, "larger than 100 bytes");
    CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Le", 100, &body, &status, &err), VN_ERUNTIME);
    CHECK_HAS(err.msg, "in the middle of the reply");
    CHECK_INT(parse("", 100, &body, &status, &err), VN_ERUNTIME);
    CHECK_HAS(err.msg, "without a reply");
    vn_buf_free(&body);
}

/* ---- known_hosts parsing ---- */

#define KH(text, hp, thumb) vn_known_hosts_find(text, sizeof(text) - 1, "kh", hp, thumb, 96, &err)

#define T256                                                                                       \
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"   \
    "88:99"
#define T1 "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67"

TEST(known_hosts_parse)
{
    vn_error err;
    vn_error_clear(&err);
    char t[96];
    static const char text[] = "# govc known_hosts\n"
                               "\n"
                               "   \t\n"
                               "vc.example.com " T256 "\n"
                               "esx1.example.com:8443\t" T1 "\r\n"
                               "  # indented comment\n"
                               "[fe80::1] " T1 "\n"
                               "10.0.0.5:443 " T256 "  \n"
                               "last.example.com " T1;
    CHECK_INT(KH(text, "vc.example.com:443", t), 1);
    CHECK_STR(t, T256);
    CHECK_INT(KH(text, "vc.example.com", t), 1);
    CHECK_INT(KH(text, "VC.EXAMPLE.COM:443", t), 1);
    CHECK_INT(KH(text, "vc.example.com:8443", t), 0);
    CHECK_INT(KH(text, "esx1.example.com:8443", t), 1);
    CHECK_STR(t, T1);
    CHECK_INT(KH(text, "esx1.example.com", t), 0);
    CHECK_INT(KH(text, "[fe80::1]:443", t), 1);
    CHECK_INT(KH(text, "10.0.0.5", t), 1);
    CHECK_STR(t, T256);
    CHECK_INT(KH(text, "last.example.com:443", t), 1);
    CHECK_STR(t, T1);
    CHECK_INT(KH(text, "other:443", t), 0);
    CHECK_INT(err.code, VN_OK);
    CHECK_INT(vn_known_hosts_find("", 0, "kh", "a:443", t, sizeof(t), &err), 0);
}

TEST(known_hosts_case_and_order)
{
    vn_error err;
    vn_error_clear(&err);
    char t[96];
    /* Lower case is accepted and given back in upper case; a later line
     * wins (govc loads the file into a map). */
    static const char text[] = "h 01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67\n"
                               "H:443 " T256 "\n";
    CHECK_INT(KH(text, "h:443", t), 1);
    CHECK_STR(t, T256);
    static const char one[] = "h 01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67\n";
    CHECK_INT(KH(one, "h:443", t), 1);
    CHECK_STR(t, T1);
    char small[20];
    CHECK_INT(vn_known_hosts_find(one, sizeof(one) - 1, "kh", "h", small, sizeof(small), &err), -1);
}

static void expect_kh_bad(const char *text, const char *where, const char *needle, const char *fn,
                          int line)
{
    vn_error err;
    vn_error_clear(&err);
    char t[96];
    int rc = vn_known_hosts_find(text, strlen(text), "kh", "h:443", t, sizeof(t), &err);
    if (rc != -1 || err.code != VN_EINPUT || strcmp(err.where, where) != 0 ||
        !strstr(err.msg, needle) || !strchr(err.msg, '('))
        fail_in(fn, line, "[%s]: rc=%d where=%s msg=%s", text, rc, err.where, err.msg);
}

#define KH_BAD(text, where, needle) expect_kh_bad(text, where, needle, __func__, __LINE__)

TEST(known_hosts_bad_lines)
{
    KH_BAD("hostonly\n", "kh:1", "no thumbprint");
    KH_BAD("# c\n\nh AA:BB\n", "kh:3", "bad thumbprint \"AA:BB\"");
    KH_BAD("h " T256 " extra\n", "kh:1", "unexpected text");
    KH_BAD("ok " T1 "\nh:x " T1 "\n", "kh:2", "bad host");
    KH_BAD("h:0 " T1 "\n", "kh:1", "bad host");
    KH_BAD("h:70000 " T1 "\n", "kh:1", "bad host");
    KH_BAD("[::1 " T1 "\n", "kh:1", "bad host");
    KH_BAD("h " T256 ":00\n", "kh:1", "bad thumbprint");
    KH_BAD("h AA-BB-CC-DD-EE-FF-00-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD\n", "kh:1",
           "bad thumbprint");
    KH_BAD("h GG:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67\n", "kh:1",
           "bad thumbprint");
    /* A bad line is reported even after a match. */
    KH_BAD("h " T1 "\nbroken\n", "kh:2", "no thumbprint");
    /* A NUL byte is not a host character. */
    vn_error err;
    vn_error_clear(&err);
    char t[96];
    static const char nul[] = "h\0x " T1 "\n";
    CHECK_INT(KH(nul, "h:443", t), -1);
    CHECK_STR(err.where, "kh:1");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* A proxy from the environment would take the local servers away. */
    static const char *proxies[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                    "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        unsetenv(proxies[i]);
    setup();

    RUN(default_verification_fails);
    RUN(ca_file_trusts);
    RUN(insecure_skips_verification);
    RUN(pin_sha256);
    RUN(pin_sha1);
    RUN(wrong_pin_refused);
    RUN(ca_valid_but_wrong_pin_refused);
    RUN(bad_explicit_pin);
    RUN(known_hosts_file);
    RUN(host_name_mismatch);
    RUN(fetch_thumbprint);
    RUN(plain_http_refused_unless_allowed);
    RUN(bad_urls);
    RUN(bad_request_arguments);
    RUN(connection_refused);
    RUN(closed_without_reply);
    RUN(request_timeout);
    RUN(any_status_is_a_reply);
    RUN(response_limit);
    RUN(get_url_fd);
    RUN(keep_alive);
    RUN(cookies_shared_with_dup);
    RUN(dups_in_threads);
    RUN(chunked_and_eof_framing);
    RUN(reconnect_after_server_close);
    RUN(dups_resume_the_session);
    RUN(cookie_removed_by_max_age);
    RUN(reply_parsing);
    RUN(known_hosts_parse);
    RUN(known_hosts_case_and_order);
    RUN(known_hosts_bad_lines);

    teardown();
    vn_http_global_cleanup();
    TH_EXIT();
}
