/* Guest operations: the request bodies in vim25 order (exact text), the
 * transfer URLs the server hands out ("*" for the server itself), and
 * vn_http_put/get_url against a small plain-HTTP responder run in a forked
 * child (VNEST_ALLOW_HTTP=1), including that a POST after a PUT on the same
 * handle is a POST again. */
#define TH_SUITE "guestops"
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vn_guestops.h"

static const vn_mor fm = {"GuestFileManager", "guestOperationsFileManager"};
static const vn_mor pm = {"GuestProcessManager", "guestOperationsProcessManager"};
static const vn_mor vm = {"VirtualMachine", "vm-42"};

/* The method element of a body (after <soapenv:Body>, before its end). */
static const char *method_xml(const vn_buf *b, char *out, size_t n)
{
    const char *s = strstr(b->data, "<soapenv:Body>");
    const char *e = strstr(b->data, "</soapenv:Body>");
    if (!s || !e || e < s) {
        snprintf(out, n, "(no body)");
        return out;
    }
    s += strlen("<soapenv:Body>");
    snprintf(out, n, "%.*s", (int)(e - s), s);
    return out;
}

#define AUTH                                                                                       \
    "<auth xsi:type=\"NamePasswordAuthentication\"><interactiveSession>false</"                    \
    "interactiveSession><username>root</username><password>p&amp;w&lt;d</password></auth>"

TEST(upload_body_in_schema_order)
{
    vn_buf b = VN_BUF_INIT;
    char got[2048];
    vn_guestops_upload_body(&b, &fm, &vm, "root", "p&w<d", "/tmp/vnest-seal.sh", 4242, 0755, 1);
    CHECK_STR(method_xml(&b, got, sizeof(got)),
              "<InitiateFileTransferToGuest xmlns=\"urn:vim25\"><_this "
              "type=\"GuestFileManager\">guestOperationsFileManager</_this><vm "
              "type=\"VirtualMachine\">vm-42</vm>" AUTH
              "<guestFilePath>/tmp/vnest-seal.sh</guestFilePath><fileAttributes "
              "xsi:type=\"GuestPosixFileAttributes\"><permissions>493</permissions></"
              "fileAttributes><fileSize>4242</fileSize><overwrite>true</overwrite></"
              "InitiateFileTransferToGuest>");
    CHECK(strstr(b.data, "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"") != NULL);
    vn_buf_free(&b);
}

TEST(download_body_in_schema_order)
{
    vn_buf b = VN_BUF_INIT;
    char got[2048];
    vn_guestops_download_body(&b, &fm, &vm, "root", "p&w<d", "/tmp/vnest-seal.log");
    CHECK_STR(method_xml(&b, got, sizeof(got)),
              "<InitiateFileTransferFromGuest xmlns=\"urn:vim25\"><_this "
              "type=\"GuestFileManager\">guestOperationsFileManager</_this><vm "
              "type=\"VirtualMachine\">vm-42</vm>" AUTH
              "<guestFilePath>/tmp/vnest-seal.log</guestFilePath></"
              "InitiateFileTransferFromGuest>");
    vn_buf_free(&b);
}

TEST(start_body_in_schema_order)
{
    vn_buf b = VN_BUF_INIT;
    char got[2048];
    vn_guestops_start_body(&b, &pm, &vm, "root", "p&w<d", "/bin/sh",
                           "/tmp/vnest-seal.sh > /tmp/vnest-seal.log 2>&1", NULL);
    CHECK_STR(method_xml(&b, got, sizeof(got)),
              "<StartProgramInGuest xmlns=\"urn:vim25\"><_this "
              "type=\"GuestProcessManager\">guestOperationsProcessManager</_this><vm "
              "type=\"VirtualMachine\">vm-42</vm>" AUTH
              "<spec><programPath>/bin/sh</programPath><arguments>/tmp/vnest-seal.sh &gt; "
              "/tmp/vnest-seal.log 2&gt;&amp;1</arguments></spec></StartProgramInGuest>");
    vn_buf_reset(&b);
    vn_guestops_start_body(&b, &pm, &vm, "root", "x", "/bin/sh", NULL, "/tmp");
    CHECK(strstr(b.data, "<spec><programPath>/bin/sh</programPath><arguments></arguments>"
                         "<workingDirectory>/tmp</workingDirectory></spec>") != NULL);
    vn_buf_free(&b);
}

TEST(list_body_in_schema_order)
{
    vn_buf b = VN_BUF_INIT;
    char got[2048];
    long long pids[] = {4001, 17};
    vn_guestops_list_body(&b, &pm, &vm, "root", "p&w<d", pids, 2);
    CHECK_STR(method_xml(&b, got, sizeof(got)),
              "<ListProcessesInGuest xmlns=\"urn:vim25\"><_this "
              "type=\"GuestProcessManager\">guestOperationsProcessManager</_this><vm "
              "type=\"VirtualMachine\">vm-42</vm>" AUTH
              "<pids>4001</pids><pids>17</pids></ListProcessesInGuest>");
    vn_buf_free(&b);
}

TEST(guest_gone_faults)
{
    vn_fault f = {"", ""};
    const char *gone[] = {"GuestOperationsUnavailable", "ToolsUnavailable", "InvalidPowerState",
                          "InvalidState"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        snprintf(f.type, sizeof(f.type), "%s", gone[i]);
        CHECK(vn_guestops_fault_guest_gone(&f));
    }
    const char *not_gone[] = {"", "InvalidGuestLogin", "FileNotFound", "NotAuthenticated"};
    for (size_t i = 0; i < sizeof(not_gone) / sizeof(not_gone[0]); i++) {
        snprintf(f.type, sizeof(f.type), "%s", not_gone[i]);
        CHECK(!vn_guestops_fault_guest_gone(&f));
    }
}

/* ---- transfer URLs ---- */

static void split_ok(vn_http *h, const char *url, const char *origin, const char *path, int line)
{
    vn_buf o = VN_BUF_INIT, p = VN_BUF_INIT;
    vn_error err = {0};
    int rc = vn_http_split_url(h, url, &o, &p, &err);
    if (rc != VN_OK)
        fail_in("test_split_url", line, "%s: %s", url, err.msg);
    else if (strcmp(o.data, origin) != 0 || strcmp(p.data, path) != 0)
        fail_in("test_split_url", line, "%s: got %s + %s, expected %s + %s", url, o.data, p.data,
                origin, path);
    vn_buf_free(&o);
    vn_buf_free(&p);
}

static void split_bad(vn_http *h, const char *url, int line)
{
    vn_buf o = VN_BUF_INIT, p = VN_BUF_INIT;
    vn_error err = {0};
    int rc = vn_http_split_url(h, url, &o, &p, &err);
    if (rc != VN_EINPUT)
        fail_in("test_split_url", line, "%s: rc %d, expected VN_EINPUT", url, rc);
    else if (strcmp(err.where, "vc.lab:8443") != 0)
        fail_in("test_split_url", line, "%s: where \"%s\"", url, err.where);
    vn_buf_free(&o);
    vn_buf_free(&p);
}

TEST(split_url)
{
    vn_http *h = NULL;
    vn_error err = {0};
    if (vn_http_open(&h, "https://VC.lab:8443", NULL, &err) != VN_OK) {
        FAILF("open: %s", err.msg);
        return;
    }
    /* "*" is the server h talks to, its port included (as govc reads it). */
    split_ok(h, "https://*/guestFile?id=1&token=ab", "https://vc.lab:8443",
             "/guestFile?id=1&token=ab", __LINE__);
    split_ok(h, "https://*:443/guestFile?id=1", "https://vc.lab:8443", "/guestFile?id=1", __LINE__);
    split_ok(h, "https://ESX01.lab/guestFile?id=7", "https://esx01.lab:443", "/guestFile?id=7",
             __LINE__);
    split_ok(h, "https://esx01.lab:9443?id=7", "https://esx01.lab:9443", "/?id=7", __LINE__);
    split_ok(h, "https://[fe80::1]:9443/p#frag", "https://[fe80::1]:9443", "/p", __LINE__);
    split_ok(h, "HTTPS://vc.lab:8443/x", "https://vc.lab:8443", "/x", __LINE__);
    split_bad(h, "ftp://vc.lab/x", __LINE__);
    split_bad(h, "/guestFile?id=1", __LINE__);
    split_bad(h, "https:///x", __LINE__);
    split_bad(h, "https://user@vc.lab/x", __LINE__);
    split_bad(h, "https://vc.lab/a b", __LINE__);
    split_bad(h, "https://vc.lab:99999/x", __LINE__);
    split_bad(h, "https://bad host/x", __LINE__);
    vn_http_close(h);
}

TEST(other_host_refused_without_trust)
{
    vn_http *h = NULL;
    vn_error err = {0};
    if (vn_http_open(&h, "https://vc.lab:8443", NULL, &err) != VN_OK) {
        FAILF("open: %s", err.msg);
        return;
    }
    vn_buf resp = VN_BUF_INIT;
    long status = -1;
    CHECK_INT(
        vn_http_put_url(h, NULL, "https://esx01.lab/guestFile?id=1", "x", 1, &resp, &status, &err),
        VN_ERUNTIME);
    CHECK(strstr(err.msg, "https://esx01.lab:443") != NULL);
    CHECK_INT(status, 0);
    CHECK_INT(vn_http_connects(h), 0);
    vn_http_close(h);
    vn_buf_free(&resp);
}

/* ---- a plain-HTTP responder in a child: records each request ---- */

static char g_log[128];
static int g_port;
static pid_t g_pid = -1;

/* Reads one request from fd; 0 at EOF. */
static int serve_one(int fd, FILE *log)
{
    char buf[65536];
    size_t got = 0;
    char *end = NULL;
    while (!end) {
        ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (r <= 0)
            return 0;
        got += (size_t)r;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (!end && got >= sizeof(buf) - 1)
            return 0;
    }
    size_t head = (size_t)(end + 4 - buf);
    char method[16] = "", path[512] = "", ctype[128] = "-";
    sscanf(buf, "%15s %511s", method, path);
    long clen = 0;
    for (char *l = strstr(buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n")) {
        if (!strncasecmp(l + 2, "Content-Length:", 15))
            clen = strtol(l + 17, NULL, 10);
        if (!strncasecmp(l + 2, "Content-Type:", 13))
            sscanf(l + 15, " %127[^\r]", ctype);
    }
    while ((long)(got - head) < clen && got < sizeof(buf) - 1) {
        ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    buf[got] = '\0';
    fprintf(log, "%s %s %s %ld %s\n", method, path, ctype, clen, buf + head);
    fflush(log);
    const char *reply = !strncmp(path, "/missing", 8)
                            ? "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
                            : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    return write(fd, reply, strlen(reply)) > 0;
}

static void setup(void)
{
    snprintf(g_log, sizeof(g_log), "/tmp/vnest-guestops-%ld.log", (long)getpid());
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 8) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) != 0)
        return;
    g_port = ntohs(a.sin_port);
    g_pid = fork();
    if (g_pid == 0) {
        FILE *log = fopen(g_log, "w");
        alarm(60);
        for (;;) {
            int fd = accept(lfd, NULL, NULL);
            if (fd < 0)
                _exit(0);
            while (log && serve_one(fd, log))
                ;
            close(fd);
        }
    }
    close(lfd);
    setenv("VNEST_ALLOW_HTTP", "1", 1);
}

static void teardown(void)
{
    if (g_pid > 0) {
        kill(g_pid, SIGTERM);
        waitpid(g_pid, NULL, 0);
    }
    unlink(g_log);
}

static char *read_log(void)
{
    FILE *f = fopen(g_log, "r");
    if (!f)
        return NULL;
    static char text[8192];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

TEST(put_get_url_roundtrip)
{
    if (g_pid <= 0)
        SKIP("cannot start the local responder");
    char base[64], url[128];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", g_port);
    vn_http *h = NULL;
    vn_error err = {0};
    if (vn_http_open(&h, base, NULL, &err) != VN_OK) {
        FAILF("open: %s", err.msg);
        return;
    }
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    snprintf(url, sizeof(url), "http://*/guestFile?id=1&token=t");
    CHECK_INT(vn_http_put_url(h, NULL, url, "#!/bin/sh\necho hi\n", 18, &resp, &status, &err),
              VN_OK);
    CHECK_INT(status, 200);
    CHECK_STR(resp.data, "hello");
    vn_buf_reset(&resp);
    /* The same server by name: no new connection, no "other host". */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/guestFile?id=2", g_port);
    CHECK_INT(vn_http_get_url(h, NULL, url, &resp, &status, &err), VN_OK);
    CHECK_INT(status, 200);
    vn_buf_reset(&resp);
    CHECK_INT(vn_http_get_url(h, NULL, "http://*/missing", &resp, &status, &err), VN_OK);
    CHECK_INT(status, 404);
    vn_buf_reset(&resp);
    /* After a PUT the handle still POSTs and GETs as before. */
    CHECK_INT(vn_http_put(h, "/p", "", 0, &resp, &status, &err), VN_OK);
    CHECK_INT(vn_http_post(h, "/sdk", "urn:vim25/7.0", "<x/>", 4, &resp, &status, &err), VN_OK);
    CHECK_INT(vn_http_get(h, "/g", &resp, &status, &err), VN_OK);
    CHECK_INT(vn_http_connects(h), 1);
    vn_http_close(h);
    vn_buf_free(&resp);
    const char *log = read_log();
    CHECK(log != NULL);
    if (log) {
        CHECK_STR(log, "PUT /guestFile?id=1&token=t application/octet-stream 18 #!/bin/sh\necho "
                       "hi\n\n"
                       "GET /guestFile?id=2 - 0 \n"
                       "GET /missing - 0 \n"
                       "PUT /p application/octet-stream 0 \n"
                       "POST /sdk text/xml; charset=utf-8 4 <x/>\n"
                       "GET /g - 0 \n");
    }
}

int main(void)
{
    setup();
    RUN(upload_body_in_schema_order);
    RUN(download_body_in_schema_order);
    RUN(start_body_in_schema_order);
    RUN(list_body_in_schema_order);
    RUN(guest_gone_faults);
    RUN(split_url);
    RUN(other_host_refused_without_trust);
    RUN(put_get_url_roundtrip);
    teardown();
    vn_http_global_cleanup();
    TH_EXIT();
}
