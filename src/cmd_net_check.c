/* vnest net check: is a port group fit for nested hosts (S13, S14)? */
#include <stdio.h>
#include <stdlib.h>

#include "cli_conn.h"
#include "render.h"
#include "vn_apinet.h"

static json_t *tri_json(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

static json_t *sec_json(const vn_netsec *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "allowPromiscuous", tri_json(s->promiscuous));
    json_object_set_new(o, "macChanges", tri_json(s->mac_changes));
    json_object_set_new(o, "forgedTransmits", tri_json(s->forged));
    return o;
}

static json_t *std_json(const vn_stdpg *pg, const vn_findings *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "host", json_string(pg->host_name));
    json_object_set_new(o, "moref", json_string(pg->host.id));
    json_object_set_new(o, "vswitch", json_string(pg->vswitch));
    json_object_set_new(o, "vlan", json_integer(atoll(pg->vlan)));
    json_object_set_new(o, "security", sec_json(&pg->computed));
    json_object_set_new(o, "findings", render_findings_json(f));
    json_object_set_new(o, "summary", render_summary_json(f));
    return o;
}

static json_t *dv_json(const vn_dvpg *pg, vn_netmode mode, const vn_findings *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(pg->name));
    json_object_set_new(o, "moref", json_string(pg->mor.id));
    json_object_set_new(o, "key", json_string(pg->key));
    json_object_set_new(o, "switch", json_string(pg->dvs_name));
    json_object_set_new(o, "switch_uuid", json_string(pg->dvs_uuid));
    json_object_set_new(o, "switch_version", json_string(pg->dvs_version));
    json_object_set_new(o, "mac_learning_capable", json_boolean(vn_dvpg_can_learn(pg)));
    json_object_set_new(o, "mode", json_string(vn_netmode_name(mode)));
    json_object_set_new(o, "mac_management", pg->has_mac_policy ? sec_json(&pg->mac) : json_null());
    json_object_set_new(o, "mac_learning", tri_json(pg->learning));
    json_object_set_new(o, "security_policy",
                        pg->has_security ? sec_json(&pg->legacy) : json_null());
    json_object_set_new(o, "findings", render_findings_json(f));
    json_object_set_new(o, "summary", render_summary_json(f));
    return o;
}

static int run_check(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    const char *name = args->pos[0];
    if (!*name)
        return cli_fail(VN_EINPUT, NULL, "the port group name is empty");
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
    int status = VN_OK, printed = 0;
    json_t *std = json_array(), *dv = json_array();
    for (size_t i = 0; rc == VN_OK && i < pgs.nstd; i++) {
        const vn_stdpg *pg = &pgs.std[i];
        vn_findings f = {0};
        vn_apinet_check_std(pg, &f);
        if (ctx->json) {
            json_array_append_new(std, std_json(pg, &f));
        } else if (ctx->verbose >= 0) {
            printf("%s%s on %s (%s): standard port group on %s, VLAN %s\n", printed++ ? "\n" : "",
                   pg->name, pg->host_name, pg->host.id, pg->vswitch, pg->vlan);
            render_findings_text(&f, ctx->verbose, stdout);
            render_summary_text(&f, stdout);
        }
        if (render_check_status(&f) > status)
            status = render_check_status(&f);
        vn_findings_free(&f);
    }
    for (size_t i = 0; rc == VN_OK && i < pgs.ndv; i++) {
        const vn_dvpg *pg = &pgs.dv[i];
        vn_netmode mode;
        vn_dvpg_mode(pg, VN_NETMODE_AUTO, api_mac, &mode, NULL);
        vn_findings f = {0};
        vn_apinet_check_dvpg(pg, mode, api_mac, &f);
        if (ctx->json) {
            json_array_append_new(dv, dv_json(pg, mode, &f));
        } else if (ctx->verbose >= 0) {
            printf("%s%s (%s): distributed port group on %s, version %s: judged for %s\n",
                   printed++ ? "\n" : "", pg->name, pg->mor.id,
                   pg->dvs_name[0] ? pg->dvs_name : pg->dvs.id,
                   pg->dvs_version[0] ? pg->dvs_version : "unknown",
                   mode == VN_NETMODE_MACLEARN ? "MAC learning (S14)" : "promiscuous mode (S13)");
            render_findings_text(&f, ctx->verbose, stdout);
            render_summary_text(&f, stdout);
        }
        if (render_check_status(&f) > status)
            status = render_check_status(&f);
        vn_findings_free(&f);
    }
    if (rc != VN_OK) {
        cli_report(&err);
    } else if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "portgroup", json_string(name));
        json_object_set_new(doc, "standard", std);
        json_object_set_new(doc, "distributed", dv);
        std = dv = NULL;
        json_object_set_new(doc, "clean", json_boolean(status == VN_OK));
        cli_json_emit(doc);
    }
    json_decref(std);
    json_decref(dv);
    vn_netpgs_free(&pgs);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc != VN_OK ? rc : status;
}

static const cli_opt opts[] = {
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_net_check = {
    "net check",
    "PORTGROUP",
    "Check that a port group lets nested hosts' VMs talk (S13, S14)",
    "A nested ESXi host's VMs send and receive frames with MAC addresses that are not the\n"
    "nested host's own vNIC's, so the outer switch drops them unless the port group the\n"
    "nested hosts use is set for it:\n"
    "\n"
    "- a standard vSwitch, or a distributed switch before 6.6.0 (S13): Forged transmits and\n"
    "  Promiscuous mode = Accept (MAC address changes = Accept is advised too);\n"
    "- a distributed switch 6.6.0 or later (S14): Forged transmits = Accept and MAC learning\n"
    "  on, Promiscuous mode off: the switch learns the nested VMs' MACs, so promiscuous mode\n"
    "  and its cost in throughput are no longer needed. MAC learning can only be set through\n"
    "  the API (vnest net fix), not in the vSphere Client.\n"
    "\n"
    "Finds PORTGROUP as a standard port group on every host that has one (judged on its\n"
    "effective policy, computedPolicy) and as a distributed port group, reading everything\n"
    "in one PropertyCollector call. Exit status 1 when any error or warning, 2 when no port\n"
    "group has this name." CLI_CONN_HELP,
    "$ vnest net check 'VM Network'\n"
    "$ vnest --json net check nested-trunk | jq '.distributed[] | {name, mode, summary}'",
    1,
    1,
    opts,
    run_check,
};
