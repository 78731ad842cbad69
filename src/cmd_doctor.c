/* vnest doctor: the whole inventory at once: every nested ESXi VM and
 * template against the profile, and every port group they attach to for
 * S13/S14. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_conn.h"
#include "cmd_vm_common.h"
#include "render.h"
#include "vn_apinet.h"

typedef struct net_names {
    char (*id)[160];
    char (*name)[256];
    size_t n, cap;
} net_names;

static int on_net(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    net_names *m = ctx;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->id = vn_xrealloc(m->id, m->cap * sizeof(*m->id));
        m->name = vn_xrealloc(m->name, m->cap * sizeof(*m->name));
    }
    snprintf(m->id[m->n], sizeof(m->id[0]), "%s", obj->id);
    vn_prop_text(o, "name", m->name[m->n], sizeof(m->name[0]));
    m->n++;
    return 0;
}

static const char *net_name(const net_names *m, const char *id)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->id[i], id))
            return m->name[i];
    return NULL;
}

/* The port groups the checked VMs use, each once. */
static size_t used_networks(const vm_list *l, const net_names *m, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        for (int k = 0; k < l->v[i].nnetworks; k++) {
            const char *name = net_name(m, l->v[i].networks[k]);
            int seen = 0;
            for (size_t j = 0; name && j < n; j++)
                seen |= !strcmp(out[j], name);
            if (name && !seen && n < max)
                out[n++] = name;
        }
    return n;
}

/* Says where each finding is: "VM Network@esx-01: computedPolicy..." */
static void name_findings(vn_findings *f, size_t first, const char *pg, const char *where)
{
    for (size_t i = first; i < f->n; i++) {
        size_t len = strlen(pg) + strlen(where) + strlen(f->v[i].key) + 4;
        char *k = vn_xmalloc(len);
        snprintf(k, len, "%s@%s: %s", pg, where, f->v[i].key);
        free(f->v[i].key);
        f->v[i].key = k;
    }
}

/* Findings of one port group, standard and distributed, into `f`. */
static int check_pg(vn_vim *vim, const char *name, vn_findings *f, vn_error *err)
{
    vn_netpgs pgs;
    int rc = vn_apinet_read(vim, name, &pgs, err);
    if (rc != VN_OK)
        return rc;
    for (size_t i = 0; i < pgs.nstd; i++) {
        size_t first = f->n;
        vn_apinet_check_std(&pgs.std[i], f);
        name_findings(f, first, name, pgs.std[i].host_name);
    }
    int api_mac = vn_apinet_api_mac(vim);
    for (size_t i = 0; i < pgs.ndv; i++) {
        vn_netmode mode;
        vn_error ignored = {0};
        size_t first = f->n;
        if (vn_dvpg_mode(&pgs.dv[i], VN_NETMODE_AUTO, api_mac, &mode, &ignored) == VN_OK)
            vn_apinet_check_dvpg(&pgs.dv[i], mode, api_mac, f);
        name_findings(f, first, name, pgs.dv[i].dvs_name);
    }
    vn_netpgs_free(&pgs);
    return VN_OK;
}

static int run_doctor(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_conn conn;
    vn_vim *vim = NULL;
    int rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    if (rc != VN_OK) {
        vn_conn_free(&conn);
        return rc;
    }
    vn_error err = {0};
    vm_list l;
    net_names nets = {0};
    static const char *const name_path[] = {"name", NULL};
    rc = vm_list_read(vim, NULL, 0, &l, &err);
    if (rc == VN_OK)
        rc = vn_vim_retrieve_all(vim, NULL, "Network", name_path, on_net, &nets, &err);
    int status = VN_OK;
    json_t *jvms = json_array(), *jpgs = json_array();
    size_t vm_errors = 0, vm_warnings = 0;
    static const char *const head[] = {"VM", "ESXI", "ROLE", "ERRORS", "WARNINGS", "FIXABLE"};
    cli_table *t = cli_table_new(6, head);
    for (size_t i = 0; rc == VN_OK && i < l.n; i++) {
        vn_api_vm *vm = &l.v[i];
        unsigned role = vm_role(vm, 0);
        vn_findings f = {0};
        const vn_release *used;
        vn_profile_api_check(vm, NULL, role, &f, &used);
        json_array_append_new(jvms, vm_report_json(vm, used, role, &f));
        json_t *sum = render_summary_json(&f);
        char e[16], w[16], fx[16];
        snprintf(e, sizeof(e), "%lld",
                 (long long)json_integer_value(json_object_get(sum, "errors")));
        snprintf(w, sizeof(w), "%lld",
                 (long long)json_integer_value(json_object_get(sum, "warnings")));
        snprintf(fx, sizeof(fx), "%lld",
                 (long long)json_integer_value(json_object_get(sum, "fixable")));
        json_decref(sum);
        const char *cells[] = {vm->name, used->name, vn_role_name(role), e, w, fx};
        cli_table_row(t, cells);
        vm_errors += vn_findings_count(&f, VN_SEV_ERROR);
        vm_warnings += vn_findings_count(&f, VN_SEV_WARNING) - vn_findings_count(&f, VN_SEV_ERROR);
        if (render_check_status(&f) > status)
            status = render_check_status(&f);
        vn_findings_free(&f);
    }
    const char *used_pgs[64];
    size_t npg = rc == VN_OK ? used_networks(&l, &nets, used_pgs, 64) : 0;
    vn_findings pgf = {0};
    for (size_t i = 0; rc == VN_OK && i < npg; i++) {
        size_t first = pgf.n;
        rc = check_pg(vim, used_pgs[i], &pgf, &err);
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(used_pgs[i]));
        vn_findings one = {pgf.v + first, pgf.n - first, 0};
        json_object_set_new(o, "findings", render_findings_json(&one));
        json_array_append_new(jpgs, o);
    }
    if (rc == VN_OK && render_check_status(&pgf) > status)
        status = render_check_status(&pgf);
    if (rc != VN_OK) {
        cli_report(&err);
    } else if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "vms", jvms);
        json_object_set_new(doc, "portgroups", jpgs);
        json_object_set_new(doc, "clean", json_boolean(status == VN_OK));
        jvms = jpgs = NULL;
        cli_json_emit(doc);
    } else if (ctx->verbose >= 0) {
        printf("%s: %zu nested ESXi VM%s and template%s\n", vim->where, l.n, l.n == 1 ? "" : "s",
               l.n == 1 ? "" : "s");
        if (l.n)
            cli_table_print(t, stdout);
        printf("\nport groups they use: %zu\n", npg);
        render_findings_text(&pgf, ctx->verbose, stdout);
        printf("\n%zu VM errors, %zu VM warnings, %zu port group findings%s\n", vm_errors,
               vm_warnings, pgf.n,
               status == VN_OK ? ""
                               : " ('vnest vm check NAME' and 'vnest net check PG' tell more)");
    }
    json_decref(jvms);
    json_decref(jpgs);
    cli_table_free(t);
    vn_findings_free(&pgf);
    free(nets.id);
    free(nets.name);
    vm_list_free(&l);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc != VN_OK ? rc : status;
}

static const cli_opt opts[] = {CLI_CONN_OPTS, {0}};

const cli_cmd cmd_doctor = {
    "doctor",
    "[connection options]",
    "Check every nested ESXi VM and the port groups they use",
    "Reads the whole inventory at once: every VM and template whose guest type is ESXi,\n"
    "checked against the profile (one PropertyCollector pass, streamed), and every port group\n"
    "those VMs attach to, checked for S13 (forged transmits and promiscuous mode on standard\n"
    "switches and older vDS) and S14 (MAC learning on vDS 6.6.0+). A table per VM, the port\n"
    "group findings, and exit status 1 when anything needs attention." CLI_CONN_HELP,
    "$ vnest doctor\n"
    "$ vnest --json doctor | jq '.vms[] | select(.summary.errors > 0) | .name'",
    0,
    0,
    opts,
    run_doctor,
};
