#include "cli_conn.h"

#include <stdio.h>
#include <string.h>

/* "user:secret@host" in a URL typed on the command line would show in
 * `ps` and shell history. */
static int url_has_password(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t hostlen = strcspn(p, "/");
    const char *at = memrchr(p, '@', hostlen);
    return at && memchr(p, ':', (size_t)(at - p)) != NULL;
}

static void opt(const cli_cmd *cmd, const cli_args *args, const char *name, char **field)
{
    const char *v = cli_get(cmd, args, name);
    if (v)
        vn_conn_set(field, v);
}

int cli_conn_settings(const cli_cmd *cmd, const cli_args *args, vn_conn *c)
{
    vn_conn_from_env(c);
    const char *url = cli_get(cmd, args, "url");
    if (url && url_has_password(url))
        return cli_fail(VN_EINPUT, "--url",
                        "a password in the URL would be visible to other users (expected "
                        "GOVC_PASSWORD or --password-file)");
    opt(cmd, args, "url", &c->url);
    opt(cmd, args, "user", &c->user);
    opt(cmd, args, "datacenter", &c->datacenter);
    opt(cmd, args, "datastore", &c->datastore);
    opt(cmd, args, "pool", &c->pool);
    opt(cmd, args, "folder", &c->folder);
    opt(cmd, args, "host", &c->host);
    const char *v;
    if ((v = cli_get(cmd, args, "ca-file")))
        vn_conn_set((char **)&c->tls.ca_file, v);
    if ((v = cli_get(cmd, args, "known-hosts")))
        vn_conn_set((char **)&c->tls.known_hosts, v);
    if ((v = cli_get(cmd, args, "thumbprint")))
        vn_conn_set((char **)&c->tls.thumbprint, v);
    if (cli_has(cmd, args, "insecure"))
        c->tls.insecure = 1;
    if ((v = cli_get(cmd, args, "password-file"))) {
        vn_error err = {0};
        if (vn_conn_password_file(c, v, &err) != VN_OK)
            return cli_report(&err);
    }
    return VN_OK;
}

int cli_conn_connect(const cli_ctx *ctx, vn_conn *conn, const char *insecure_source, vn_vim **vim)
{
    if (conn->tls.insecure && ctx->verbose >= 0)
        fprintf(stderr, "vnest: warning: the server certificate is not verified (%s)\n",
                insecure_source);
    vn_error err = {0};
    if (vn_vim_connect(conn, vim, &err) != VN_OK)
        return cli_report(&err);
    return VN_OK;
}

int cli_conn_open(const cli_cmd *cmd, const cli_ctx *ctx, const cli_args *args, vn_conn *conn,
                  vn_vim **vim)
{
    int rc = cli_conn_settings(cmd, args, conn);
    if (rc != VN_OK)
        return rc;
    return cli_conn_connect(ctx, conn, "--insecure", vim);
}
