/* Shared by vnest lab plan|up|status|down. */
#include "cmd_lab_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *lab_route_name(const vn_labfile *lf)
{
    return lf->route == VN_LAB_ROUTE_KICKSTART ? "kickstart" : "template";
}

int lab_int_opt(const cli_cmd *cmd, const cli_args *args, const char *name, int min, int max,
                int *out)
{
    const char *text = cli_get(cmd, args, name);
    if (!text)
        return VN_OK;
    char *end, flag[64];
    long v = strtol(text, &end, 10);
    snprintf(flag, sizeof(flag), "--%s", name);
    if (!*text || *end || v < min || v > max)
        return cli_fail(VN_EINPUT, flag, "invalid \"%s\" (expected a number from %d to %d)", text,
                        min, max);
    *out = (int)v;
    return VN_OK;
}

static void on_note(void *ctx, const char *line)
{
    lab_session *s = ctx;
    if (s->tty)
        fprintf(stderr, "\r\033[K%s", line);
    else if (s->lines)
        fprintf(stderr, "vnest: %s: %s\n", s->lf.name, line);
}

void lab_progress_end(lab_session *s)
{
    if (s->tty)
        fputs("\r\033[K", stderr);
}

/* The lab file names settings; a flag given on the command line wins,
 * what neither names comes from the govc environment. */
static void prefer(const cli_cmd *cmd, const cli_args *args, const char *flag, const char *lab,
                   char **field)
{
    if (lab && !cli_has(cmd, args, flag))
        vn_conn_set(field, lab);
}

static void target_default(char **lab_field, const char *conn_value, const cli_cmd *cmd,
                           const cli_args *args, const char *flag)
{
    if (conn_value && (!*lab_field || cli_has(cmd, args, flag))) {
        free(*lab_field);
        *lab_field = vn_xstrdup(conn_value);
    }
}

int lab_open(const cli_cmd *cmd, const cli_ctx *ctx, const cli_args *args, int vms_only,
             lab_session *s)
{
    memset(s, 0, sizeof(*s));
    s->opts.boot_timeout = -1;
    s->opts.parallel = 8;
    int rc = lab_int_opt(cmd, args, "parallel", 1, 64, &s->opts.parallel);
    if (rc != VN_OK)
        return rc;
    vn_error err = {0};
    if (vn_labfile_load(args->pos[0], &s->lf, &err) != VN_OK)
        return cli_report(&err);
    rc = cli_conn_settings(cmd, args, &s->conn);
    if (rc != VN_OK)
        return rc;
    vn_labfile *lf = &s->lf;
    vn_conn *c = &s->conn;
    prefer(cmd, args, "url", lf->url, &c->url);
    prefer(cmd, args, "user", lf->username, &c->user);
    prefer(cmd, args, "ca-file", lf->ca_file, (char **)&c->tls.ca_file);
    prefer(cmd, args, "known-hosts", lf->known_hosts, (char **)&c->tls.known_hosts);
    prefer(cmd, args, "thumbprint", lf->thumbprint, (char **)&c->tls.thumbprint);
    if (lf->insecure >= 0 && !cli_has(cmd, args, "insecure"))
        c->tls.insecure = lf->insecure;
    if (lf->password_file && !cli_has(cmd, args, "password-file") &&
        vn_conn_password_file(c, lf->password_file, &err) != VN_OK)
        return cli_report(&err);
    target_default(&lf->datacenter, c->datacenter, cmd, args, "datacenter");
    target_default(&lf->datastore, c->datastore, cmd, args, "datastore");
    target_default(&lf->pool, c->pool, cmd, args, "pool");
    target_default(&lf->folder, c->folder, cmd, args, "folder");
    target_default(&lf->host, c->host, cmd, args, "host");
    s->tty = !ctx->json && ctx->verbose >= 0 && isatty(2);
    s->lines = !ctx->json && ctx->verbose >= 0 && !s->tty;
    s->opts.note = on_note;
    s->opts.note_ctx = s;
    rc = cli_conn_connect(ctx, c, "insecure", &s->vim);
    if (rc != VN_OK)
        return rc;
    if (s->tty)
        fprintf(stderr, "reading the inventory of %s", s->vim->where);
    rc = vn_lab_read(s->vim, lf, &s->lab, vms_only, &err);
    lab_progress_end(s);
    if (rc != VN_OK)
        return cli_report(&err);
    return VN_OK;
}

void lab_close(lab_session *s)
{
    vn_lab_free(&s->lab);
    if (s->vim)
        vn_vim_close(s->vim);
    vn_conn_free(&s->conn);
    vn_labfile_free(&s->lf);
}

static const char *state_name(vn_lab_state st)
{
    return st == VN_LAB_OURS ? "exists" : st == VN_LAB_FOREIGN ? "foreign" : "absent";
}

static json_t *host_json(const vn_lab_vm *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(v->name));
    json_object_set_new(o, "ip", v->ip[0] ? json_string(v->ip) : json_null());
    json_object_set_new(o, "state", json_string(state_name(v->state)));
    json_object_set_new(o, "moref", v->vm.id[0] ? json_string(v->vm.id) : json_null());
    json_object_set_new(o, "marker", json_string(v->marker));
    json_object_set_new(o, "powered_on", json_boolean(v->powered_on));
    json_object_set_new(o, "guest_hostname", json_string(v->guest_host));
    json_object_set_new(o, "guest_ip", json_string(v->guest_ip));
    json_object_set_new(o, "ready", json_boolean(v->ready));
    json_t *acts = json_array();
    if (v->state == VN_LAB_FOREIGN)
        json_array_append_new(acts, json_string("refuse"));
    if (v->create)
        json_array_append_new(acts, json_string("create"));
    if (v->power_on)
        json_array_append_new(acts, json_string("power-on"));
    json_object_set_new(o, "actions", acts);
    json_object_set_new(o, "result", json_string(v->result));
    json_object_set_new(o, "detail", json_string(v->detail));
    return o;
}

void lab_report(const cli_ctx *ctx, lab_session *s, const char *what, json_t *extra)
{
    const vn_lab *lab = &s->lab;
    const vn_labfile *lf = &s->lf;
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "lab", json_string(lf->name));
        json_object_set_new(doc, "command", json_string(what));
        json_object_set_new(doc, "esxi", json_string(lf->rel->name));
        json_object_set_new(doc, "route", json_string(lab_route_name(lf)));
        json_t *pgs = json_array();
        for (int i = 0; i < lf->nportgroups; i++) {
            const vn_lab_pg *g = &lab->pgs[i];
            if (!g->name[0])
                continue; /* not read (status, down) */
            json_t *o = json_object();
            json_object_set_new(o, "name", json_string(g->name));
            json_object_set_new(o, "standard", json_integer(g->nstd));
            json_object_set_new(o, "distributed", json_integer(g->ndv));
            json_object_set_new(o, "findings", json_integer(g->findings));
            json_object_set_new(o, "changed", json_integer(g->changed));
            json_array_append_new(pgs, o);
        }
        json_object_set_new(doc, "portgroups", pgs);
        json_t *hosts = json_array();
        for (int i = 0; i < lf->count; i++)
            json_array_append_new(hosts, host_json(&lab->vms[i]));
        json_object_set_new(doc, "hosts", hosts);
        json_t *strays = json_array();
        for (int i = 0; i < lab->nstrays; i++)
            json_array_append_new(strays, json_string(lab->strays[i].name));
        json_object_set_new(doc, "unplanned", strays);
        json_object_set_new(doc, "soap_calls", json_integer(s->vim ? s->vim->calls : 0));
        if (extra) {
            json_object_update(doc, extra);
            json_decref(extra);
        }
        cli_json_emit(doc);
        return;
    }
    json_decref(extra);
    if (ctx->verbose < 0)
        return;
    static const char *const head[] = {"HOST", "RESULT", "POWER", "IDENTITY", "VM", "DETAIL"};
    cli_table *t = cli_table_new(6, head);
    for (int i = 0; i < lf->count; i++) {
        const vn_lab_vm *v = &lab->vms[i];
        char ident[400];
        if (v->guest_host[0] || v->guest_ip[0])
            snprintf(ident, sizeof(ident), "%s%s%s%s", v->guest_host[0] ? v->guest_host : "-",
                     v->guest_ip[0] ? " " : "", v->guest_ip, v->ready ? "" : " (not as planned)");
        else
            snprintf(ident, sizeof(ident), "-");
        const char *cells[] = {v->name,
                               v->result[0] ? v->result : state_name(v->state),
                               v->state == VN_LAB_ABSENT ? "-"
                               : v->powered_on           ? "on"
                                                         : "off",
                               ident,
                               v->vm.id[0] ? v->vm.id : "-",
                               v->detail};
        cli_table_row(t, cells);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
}
