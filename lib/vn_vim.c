#include "vn_vim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_file.h"
#include "vn_xmlw.h"

/* Our request builders follow the vim25 7.0 schema's element order; newer
 * servers accept older versions and serve 7.0 types. MAC learning on
 * distributed port groups needs at least 6.7. */
#define VN_VIM_VERSION "7.0"

static char *env_dup(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? vn_xstrdup(v) : NULL;
}

void vn_conn_set(char **field, const char *value)
{
    free(*field);
    *field = value ? vn_xstrdup(value) : NULL;
}

static int env_true(const char *name)
{
    const char *v = getenv(name);
    return v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"));
}

void vn_conn_from_env(vn_conn *c)
{
    memset(c, 0, sizeof(*c));
    c->url = env_dup("GOVC_URL");
    c->user = env_dup("GOVC_USERNAME");
    c->password = env_dup("GOVC_PASSWORD");
    c->tls.insecure = env_true("GOVC_INSECURE");
    c->tls.ca_file = env_dup("GOVC_TLS_CA_CERTS");
    c->tls.known_hosts = env_dup("GOVC_TLS_KNOWN_HOSTS");
    c->datacenter = env_dup("GOVC_DATACENTER");
    c->datastore = env_dup("GOVC_DATASTORE");
    c->network = env_dup("GOVC_NETWORK");
    c->pool = env_dup("GOVC_RESOURCE_POOL");
    c->folder = env_dup("GOVC_FOLDER");
    c->host = env_dup("GOVC_HOST");
}

void vn_conn_free(vn_conn *c)
{
    if (c->password)
        explicit_bzero(c->password, strlen(c->password));
    free(c->url);
    free(c->user);
    free(c->password);
    free((char *)c->tls.ca_file);
    free((char *)c->tls.known_hosts);
    free((char *)c->tls.thumbprint);
    free(c->datacenter);
    free(c->datastore);
    free(c->network);
    free(c->pool);
    free(c->folder);
    free(c->host);
    memset(c, 0, sizeof(*c));
}

int vn_conn_password_file(vn_conn *c, const char *path, vn_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return vn_fail(err, VN_EINPUT, path, "cannot read password file (%s)", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        close(fd);
        return vn_fail(err, VN_EINPUT, path,
                       "password file must be a regular file readable only by its owner "
                       "(chmod 600 %s)",
                       path);
    }
    close(fd);
    char *data = NULL;
    size_t len = 0;
    int rc = vn_file_read(path, &data, &len, err);
    if (rc != VN_OK)
        return rc;
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        data[--len] = '\0';
    if (c->password)
        explicit_bzero(c->password, strlen(c->password));
    free(c->password);
    c->password = data;
    return VN_OK;
}

void vn_mor_from(const vn_xnode *node, vn_mor *mor)
{
    vn_xn_mor_type(node, mor->type, sizeof(mor->type));
    vn_xn_text(node, mor->id, sizeof(mor->id));
}

/* "host", "host:port", "https://user@host/sdk" -> base "https://host:port"
 * and the user named in the URL, if any. A password in the URL is taken
 * only from the environment (the caller checks where the URL came from). */
static int split_url(const char *url, vn_buf *base, char **user, char **password, vn_error *err)
{
    const char *p = url;
    const char *scheme = "https://";
    if (!strncmp(p, "https://", 8))
        p += 8;
    else if (!strncmp(p, "http://", 7)) {
        p += 7;
        scheme = "http://";
    } else if (strstr(p, "://"))
        return vn_fail(err, VN_EINPUT, "GOVC_URL", "unsupported URL \"%s\" (expected https://HOST)",
                       url);
    size_t hostlen = strcspn(p, "/");
    const char *at = memrchr(p, '@', hostlen);
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
        *user = vn_xstrndup(p, ulen);
        if (colon)
            *password = vn_xstrndup(colon + 1, (size_t)(at - colon - 1));
        hostlen -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (hostlen == 0)
        return vn_fail(err, VN_EINPUT, "GOVC_URL", "no host in URL \"%s\"", url);
    vn_buf_adds(base, scheme);
    vn_buf_add(base, p, hostlen);
    return VN_OK;
}

static void record(const vn_buf *body)
{
    const char *dir = getenv("VNEST_RECORD_DIR");
    if (!dir || !*dir)
        return;
    static long seq;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%ld-%06ld.req.xml", dir, (long)getpid(),
             __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST));
    FILE *f = fopen(path, "w");
    if (f) {
        fwrite(body->data, 1, body->len, f);
        fclose(f);
    }
}

static int post(vn_vim *vim, const vn_buf *body, vn_soap_reply *reply, vn_fault *fault,
                vn_error *err)
{
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    char action[64];
    snprintf(action, sizeof(action), "urn:vim25/%s", vim->version);
    record(body);
    vim->calls++;
    int rc = vn_http_post(vim->http, "/sdk", action, body->data, body->len, &resp, &status, err);
    if (rc == VN_OK)
        rc = vn_soap_parse(resp.data, resp.len, status, vim->where, reply, fault, err);
    vn_buf_free(&resp);
    return rc;
}

/* Sends a body and returns the raw reply when it is a success (HTTP 200),
 * for callers that stream it; a fault is decoded as usual. */
static int post_raw(vn_vim *vim, const vn_buf *body, vn_buf *resp, vn_fault *fault, vn_error *err)
{
    long status = 0;
    char action[64];
    snprintf(action, sizeof(action), "urn:vim25/%s", vim->version);
    record(body);
    vim->calls++;
    vn_buf_reset(resp);
    int rc = vn_http_post(vim->http, "/sdk", action, body->data, body->len, resp, &status, err);
    if (rc != VN_OK || status == 200)
        return rc;
    vn_soap_reply reply;
    rc = vn_soap_parse(resp->data, resp->len, status, vim->where, &reply, fault, err);
    if (rc == VN_OK) {
        vn_soap_reply_free(&reply);
        rc = vn_fail(err, VN_ERUNTIME, vim->where, "HTTP %ld without a SOAP fault", status);
    }
    return rc;
}

static int login(vn_vim *vim, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "Login", vim->session_manager.type, vim->session_manager.id);
    vn_xw_str(&b, "userName", vim->user);
    vn_xw_str(&b, "password", vim->password);
    vn_xw_call_end(&b, "Login");
    vn_soap_reply reply;
    vn_fault fault;
    /* The body holds the password: it is not recorded. */
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    char action[64];
    snprintf(action, sizeof(action), "urn:vim25/%s", vim->version);
    vim->calls++;
    int rc = vn_http_post(vim->http, "/sdk", action, b.data, b.len, &resp, &status, err);
    explicit_bzero(b.data, b.len);
    vn_buf_free(&b);
    if (rc == VN_OK)
        rc = vn_soap_parse(resp.data, resp.len, status, vim->where, &reply, &fault, err);
    vn_buf_free(&resp);
    if (rc != VN_OK) {
        if (!strcmp(fault.type, "InvalidLogin"))
            return vn_fail(err, VN_ERUNTIME, vim->where,
                           "login failed for user \"%s\" (wrong user name or password)", vim->user);
        return rc;
    }
    vn_soap_reply_free(&reply);
    return VN_OK;
}

static void read_mor(const vn_xnode *rv, const char *name, vn_mor *mor)
{
    vn_mor_from(vn_xn_first(rv, name), mor);
}

static int service_content(vn_vim *vim, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "RetrieveServiceContent", "ServiceInstance", "ServiceInstance");
    vn_xw_call_end(&b, "RetrieveServiceContent");
    vn_soap_reply reply;
    vn_fault fault;
    int rc = post(vim, &b, &reply, &fault, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    const vn_xnode *rv = vn_xn_first(reply.result, "returnval");
    const vn_xnode *about = vn_xn_first(rv, "about");
    vn_xn_text(vn_xn_first(about, "apiType"), vim->api_type, sizeof(vim->api_type));
    vn_xn_text(vn_xn_first(about, "apiVersion"), vim->api_version, sizeof(vim->api_version));
    vn_xn_text(vn_xn_first(about, "fullName"), vim->product, sizeof(vim->product));
    vn_xn_text(vn_xn_first(about, "version"), vim->product_version, sizeof(vim->product_version));
    vn_xn_text(vn_xn_first(about, "build"), vim->build, sizeof(vim->build));
    read_mor(rv, "rootFolder", &vim->root);
    read_mor(rv, "propertyCollector", &vim->property_collector);
    read_mor(rv, "viewManager", &vim->view_manager);
    read_mor(rv, "sessionManager", &vim->session_manager);
    read_mor(rv, "searchIndex", &vim->search_index);
    read_mor(rv, "virtualDiskManager", &vim->virtual_disk_manager);
    read_mor(rv, "ovfManager", &vim->ovf_manager);
    read_mor(rv, "fileManager", &vim->file_manager);
    vn_soap_reply_free(&reply);
    if (!vim->session_manager.id[0] || !vim->property_collector.id[0])
        return vn_fail(err, VN_ERUNTIME, vim->where,
                       "the service content lacks a session manager or property collector");
    return VN_OK;
}

int vn_vim_connect(const vn_conn *c, vn_vim **out, vn_error *err)
{
    *out = NULL;
    if (!c->url)
        return vn_fail(err, VN_EINPUT, "GOVC_URL",
                       "no vCenter or ESXi given (set GOVC_URL or pass -u URL)");
    vn_buf base = VN_BUF_INIT;
    char *url_user = NULL, *url_password = NULL;
    int rc = split_url(c->url, &base, &url_user, &url_password, err);
    vn_vim *vim = vn_xcalloc(1, sizeof(*vim));
    snprintf(vim->version, sizeof(vim->version), "%s", VN_VIM_VERSION);
    vim->user = vn_xstrdup(c->user ? c->user : url_user ? url_user : "");
    vim->password = vn_xstrdup(c->password ? c->password : url_password ? url_password : "");
    if (url_password)
        explicit_bzero(url_password, strlen(url_password));
    free(url_user);
    free(url_password);
    if (rc == VN_OK && !vim->user[0])
        rc = vn_fail(err, VN_EINPUT, "GOVC_USERNAME",
                     "no user name (set GOVC_USERNAME, or user@ in the URL)");
    if (rc == VN_OK)
        rc = vn_http_open(&vim->http, base.data, &c->tls, err);
    if (rc == VN_OK) {
        snprintf(vim->where, sizeof(vim->where), "%s", vn_http_hostport(vim->http));
        rc = service_content(vim, err);
    }
    if (rc == VN_OK)
        rc = login(vim, err);
    vn_buf_free(&base);
    if (rc != VN_OK) {
        vn_vim_close(vim);
        return rc;
    }
    *out = vim;
    return VN_OK;
}

int vn_vim_call(vn_vim *vim, const vn_buf *body, vn_soap_reply *reply, vn_fault *fault,
                vn_error *err)
{
    vn_fault local;
    if (!fault)
        fault = &local;
    int rc = post(vim, body, reply, fault, err);
    if (rc != VN_OK && strcmp(fault->type, "NotAuthenticated") == 0 && vim->relogins < 3) {
        /* The session expired (idle timeout, vpxd restart): log in again
         * and resend once; the rejected call did not run. */
        vim->relogins++;
        vn_http_clear_cookies(vim->http);
        vn_error_clear(err);
        rc = login(vim, err);
        if (rc == VN_OK)
            rc = post(vim, body, reply, fault, err);
    }
    return rc;
}

int vn_vim_call_raw(vn_vim *vim, const vn_buf *body, vn_buf *resp, vn_fault *fault, vn_error *err)
{
    vn_fault local;
    if (!fault)
        fault = &local;
    memset(fault, 0, sizeof(*fault));
    int rc = post_raw(vim, body, resp, fault, err);
    if (rc != VN_OK && strcmp(fault->type, "NotAuthenticated") == 0 && vim->relogins < 3) {
        vim->relogins++;
        vn_http_clear_cookies(vim->http);
        vn_error_clear(err);
        rc = login(vim, err);
        if (rc == VN_OK)
            rc = post_raw(vim, body, resp, fault, err);
    }
    return rc;
}

int vn_vim_dup(vn_vim *vim, vn_vim **out, vn_error *err)
{
    vn_vim *d = vn_xmalloc(sizeof(*d));
    *d = *vim;
    d->user = vn_xstrdup(vim->user);
    d->password = vn_xstrdup(vim->password);
    d->calls = 0;
    d->relogins = 0;
    int rc = vn_http_dup(vim->http, &d->http, err);
    if (rc != VN_OK) {
        d->http = NULL;
        vn_vim_close_dup(d);
        return rc;
    }
    *out = d;
    return VN_OK;
}

void vn_vim_close_dup(vn_vim *d)
{
    if (!d)
        return;
    if (d->http)
        vn_http_close(d->http);
    explicit_bzero(d->password, strlen(d->password));
    free(d->password);
    free(d->user);
    free(d);
}

void vn_vim_close(vn_vim *vim)
{
    if (!vim)
        return;
    if (vim->http && vim->session_manager.id[0]) {
        vn_buf b = VN_BUF_INIT;
        vn_xw_call_begin(&b, "Logout", vim->session_manager.type, vim->session_manager.id);
        vn_xw_call_end(&b, "Logout");
        vn_soap_reply reply;
        vn_fault fault;
        vn_error ignored = {0};
        if (post(vim, &b, &reply, &fault, &ignored) == VN_OK)
            vn_soap_reply_free(&reply);
        vn_buf_free(&b);
    }
    if (vim->http)
        vn_http_close(vim->http);
    if (vim->password)
        explicit_bzero(vim->password, strlen(vim->password));
    free(vim->password);
    free(vim->user);
    free(vim);
}
