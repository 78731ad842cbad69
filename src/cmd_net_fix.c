/* vnest net fix: make a port group fit for nested hosts (S13, S14). */
#include <stdio.h>
#include <stdlib.h>

#include "cli_conn.h"
#include "render.h"
#include "vn_apinet.h"

static void print_plan(const vn_findings *f, int dry_run)
{
    for (size_t i = 0; i < f->n; i++) {
        const vn_finding *x = &f->v[i];
        printf("  %s %s: %s -> %s\n", dry_run ? "would set" : "set", x->key,
               x->current ? x->current : "(absent)", x->wanted ? x->wanted : "(removed)");
    }
    if (f->n == 0)
        puts("  nothing to change");
}

/* What one target's fix did, in JSON (the caller adds who it is). */
static json_t *result_json(const vn_findings *f, int dry_run, int rc, const vn_error *err)
{
    json_t *o = json_object();
    json_object_set_new(o, "changes", render_findings_json(f));
    json_object_set_new(o, "changed", json_integer(dry_run || rc != VN_OK ? 0 : (json_int_t)f->n));
    json_object_set_new(o, "error", rc == VN_OK ? json_null() : json_string(err->msg));
    return o;
}

typedef struct fix_run {
    const cli_ctx *ctx;
    int dry_run;
    int failed; /* any target failed */
    size_t changed;
    json_t *std, *dv;
} fix_run;

static void target_failed(fix_run *r, const vn_error *err)
{
    r->failed = 1;
    if (!r->ctx->json) {
        fflush(stdout); /* the error after the target's heading */
        cli_report(err);
    }
}

static void fix_std(vn_vim *vim, fix_run *r, const vn_stdpg *pg)
{
    vn_findings f = {0};
    vn_apinet_check_std(pg, &f);
    vn_error err = {0};
    int rc = VN_OK;
    if (f.n && !r->dry_run)
        rc = vn_apinet_update_pg(vim, pg, &err);
    if (rc == VN_OK && !r->dry_run)
        r->changed += f.n;
    if (r->ctx->json) {
        json_t *o = result_json(&f, r->dry_run, rc, &err);
        json_object_set_new(o, "host", json_string(pg->host_name));
        json_object_set_new(o, "moref", json_string(pg->host.id));
        json_object_set_new(o, "vswitch", json_string(pg->vswitch));
        json_array_append_new(r->std, o);
    } else if (r->ctx->verbose >= 0) {
        printf("%s on %s (%s): standard port group on %s, VLAN %s\n", pg->name, pg->host_name,
               pg->host.id, pg->vswitch, pg->vlan);
        if (rc == VN_OK)
            print_plan(&f, r->dry_run);
    }
    if (rc != VN_OK)
        target_failed(r, &err);
    vn_findings_free(&f);
}

static void fix_dv(vn_vim *vim, fix_run *r, vn_dvpg *pg, vn_netmode mode, int api_mac)
{
    vn_findings f = {0};
    vn_apinet_check_dvpg(pg, mode, api_mac, &f);
    vn_error err = {0};
    int rc = VN_OK, attempts = 0;
    if (f.n && !r->dry_run)
        rc = vn_apinet_reconfigure_dvpg(vim, pg, mode, api_mac, &attempts, &err);
    if (rc == VN_OK && !r->dry_run)
        r->changed += f.n;
    if (r->ctx->json) {
        json_t *o = result_json(&f, r->dry_run, rc, &err);
        json_object_set_new(o, "name", json_string(pg->name));
        json_object_set_new(o, "moref", json_string(pg->mor.id));
        json_object_set_new(o, "switch", json_string(pg->dvs_name));
        json_object_set_new(o, "switch_version", json_string(pg->dvs_version));
        json_object_set_new(o, "mode", json_string(vn_netmode_name(mode)));
        json_object_set_new(o, "calls", json_integer(attempts));
        json_array_append_new(r->dv, o);
    } else if (r->ctx->verbose >= 0) {
        printf("%s (%s): distributed port group on %s, version %s: %s\n", pg->name, pg->mor.id,
               pg->dvs_name[0] ? pg->dvs_name : pg->dvs.id,
               pg->dvs_version[0] ? pg->dvs_version : "unknown",
               mode == VN_NETMODE_MACLEARN ? "MAC learning (S14)" : "promiscuous mode (S13)");
        if (rc == VN_OK)
            print_plan(&f, r->dry_run);
        if (attempts > 1)
            printf("  (%d calls: the port group changed under us, re-read and retried)\n",
                   attempts);
    }
    if (rc != VN_OK)
        target_failed(r, &err);
    vn_findings_free(&f);
}

/* Every target's mode, checked before anything is changed. */
static int resolve_modes(const vn_netpgs *pgs, vn_netmode asked, int api_mac, vn_netmode *modes,
                         vn_error *err)
{
    if (asked == VN_NETMODE_MACLEARN && pgs->nstd)
        return vn_fail(err, VN_EINPUT, "--mode",
                       "\"%s\" is a standard port group on %s: standard switches have no MAC "
                       "learning (use --mode promiscuous or auto)",
                       pgs->std[0].name, pgs->std[0].host_name);
    for (size_t i = 0; i < pgs->ndv; i++) {
        int rc = vn_dvpg_mode(&pgs->dv[i], asked, api_mac, &modes[i], err);
        if (rc != VN_OK)
            return rc;
    }
    return VN_OK;
}

static int run_fix(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    const char *name = args->pos[0];
    if (!*name)
        return cli_fail(VN_EINPUT, NULL, "the port group name is empty");
    const char *mode_text = cli_get(cmd, args, "mode");
    int asked = mode_text ? vn_netmode_parse(mode_text) : VN_NETMODE_AUTO;
    if (asked < 0)
        return cli_fail(VN_EINPUT, "--mode",
                        "unknown mode \"%s\" (expected auto, promiscuous or maclearn)", mode_text);
    vn_conn conn;
    vn_vim *vim = NULL;
    int rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    if (rc != VN_OK) {
        vn_conn_free(&conn);
        return rc;
    }
    vn_error err = {0};
    vn_netpgs pgs;
    rc = vn_apinet_read(vim, name, &pgs, &err);
    int api_mac = vn_apinet_api_mac(vim);
    vn_netmode *modes = vn_xcalloc(pgs.ndv + 1, sizeof(*modes));
    if (rc == VN_OK)
        rc = resolve_modes(&pgs, (vn_netmode)asked, api_mac, modes, &err);
    fix_run r = {ctx, cli_has(cmd, args, "dry-run"), 0, 0, json_array(), json_array()};
    for (size_t i = 0; rc == VN_OK && i < pgs.nstd; i++)
        fix_std(vim, &r, &pgs.std[i]);
    for (size_t i = 0; rc == VN_OK && i < pgs.ndv; i++)
        fix_dv(vim, &r, &pgs.dv[i], modes[i], api_mac);
    if (rc != VN_OK) {
        cli_report(&err);
    } else {
        if (ctx->json) {
            json_t *doc = json_object();
            json_object_set_new(doc, "portgroup", json_string(name));
            json_object_set_new(doc, "mode", json_string(vn_netmode_name((vn_netmode)asked)));
            json_object_set_new(doc, "dry_run", json_boolean(r.dry_run));
            json_object_set_new(doc, "standard", r.std);
            json_object_set_new(doc, "distributed", r.dv);
            r.std = r.dv = NULL;
            json_object_set_new(doc, "changed", json_integer((json_int_t)r.changed));
            json_object_set_new(doc, "ok", json_boolean(!r.failed));
            cli_json_emit(doc);
        }
        rc = r.failed ? VN_ERUNTIME : VN_OK;
    }
    json_decref(r.std);
    json_decref(r.dv);
    free(modes);
    vn_netpgs_free(&pgs);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc;
}

static const cli_opt opts[] = {
    {"mode", 'm', "MODE",
     "auto (MAC learning on a vDS 6.6.0+, else promiscuous), promiscuous or maclearn",
     "auto promiscuous maclearn"},
    {"dry-run", 'n', NULL, "show what would change and change nothing", NULL},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_net_fix = {
    "net fix",
    "PORTGROUP [--mode auto|promiscuous|maclearn] [--dry-run]",
    "Set a port group up for nested hosts' VMs (S13, S14)",
    "Makes what 'vnest net check' reports true. Nested hosts' VMs use MAC addresses the outer\n"
    "switch has never seen, so it drops their frames unless the port group allows them.\n"
    "\n"
    "A standard port group (S13) gets Promiscuous mode, MAC address changes and Forged\n"
    "transmits = Accept with HostNetworkSystem.UpdatePortGroup on every host that has it. The\n"
    "call replaces the port group's whole spec, so the spec is sent back as read (VLAN, switch,\n"
    "NIC teaming, offload and shaping overrides) with only the security policy changed.\n"
    "\n"
    "A distributed port group gets one ReconfigureDVPortgroup_Task carrying its configVersion\n"
    "and only the MAC management policy. --mode auto (the default) chooses MAC learning (S14:\n"
    "learning on, Forged transmits = Accept, Promiscuous mode off) when the switch is at\n"
    "6.6.0 or later, where promiscuous mode is no longer needed and only costs throughput;\n"
    "otherwise promiscuous mode (S13). --mode maclearn on an older switch, or on a standard\n"
    "port group, is refused with exit status 2 and nothing is changed: upgrade the switch or\n"
    "use --mode promiscuous. When another change races ours (ConcurrentAccess) the port group\n"
    "is read again and the change retried, at most 3 times.\n"
    "\n"
    "Nothing is sent when nothing differs. Exit status 0 when done, 2 for a wrong name or\n"
    "mode, 3 when a call failed (the other hosts are still done)." CLI_CONN_HELP,
    "$ vnest net fix --dry-run 'VM Network'\n"
    "$ vnest net fix 'VM Network'\n"
    "$ vnest net fix --mode maclearn nested-trunk",
    1,
    1,
    opts,
    run_fix,
};
