#include "vn_apinet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_xmlw.h"

/* MAC learning's defaults when the port group has none to keep: the
 * largest (and default) learned-MAC limit per port, and what happens past
 * it (drop: frames from unlearned MACs are dropped, not flooded). */
#define LEARN_LIMIT        4096
#define LEARN_LIMIT_POLICY "drop"
#define MAX_RETRIES        3 /* after ConcurrentAccess */
#define TASK_TIMEOUT_S     600

struct vn_netdvs {
    vn_mor mor;
    char name[256];
    char uuid[128];
    char version[32];
};

int vn_netmode_parse(const char *text)
{
    if (!text)
        return -1;
    if (!strcmp(text, "auto"))
        return VN_NETMODE_AUTO;
    if (!strcmp(text, "promiscuous"))
        return VN_NETMODE_PROMISCUOUS;
    if (!strcmp(text, "maclearn"))
        return VN_NETMODE_MACLEARN;
    return -1;
}

const char *vn_netmode_name(vn_netmode mode)
{
    switch (mode) {
    case VN_NETMODE_PROMISCUOUS:
        return "promiscuous";
    case VN_NETMODE_MACLEARN:
        return "maclearn";
    default:
        return "auto";
    }
}

int vn_version_cmp(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    for (int i = 0; i < 4; i++) {
        char *ea, *eb;
        long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
        if (x != y)
            return x < y ? -1 : 1;
        a = *ea == '.' ? ea + 1 : ea;
        b = *eb == '.' ? eb + 1 : eb;
    }
    return 0;
}

/* ---- reading ---- */

static int tri(const vn_xnode *parent, const char *name)
{
    char buf[16];
    vn_xn_text(vn_xn_first(parent, name), buf, sizeof(buf));
    return !strcmp(buf, "true") ? 1 : !strcmp(buf, "false") ? 0 : -1;
}

static vn_netsec read_sec(const vn_xnode *sec)
{
    vn_netsec s = {tri(sec, "allowPromiscuous"), tri(sec, "macChanges"),
                   tri(sec, "forgedTransmits")};
    return s;
}

/* A BoolPolicy's value: <x><inherited>..</inherited><value>..</value></x>. */
static vn_netsec read_bool_policies(const vn_xnode *sec)
{
    vn_netsec s = {tri(vn_xn_first(sec, "allowPromiscuous"), "value"),
                   tri(vn_xn_first(sec, "macChanges"), "value"),
                   tri(vn_xn_first(sec, "forgedTransmits"), "value")};
    return s;
}

/* vCenter stores '/', '\' and '%' in entity names as %2f, %5c, %25. */
static void unescape_name(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 1 < len; i++) {
        if (in[i] == '%' && in[i + 1] && in[i + 2]) {
            char hex[3] = {in[i + 1], in[i + 2], 0};
            char *end;
            long v = strtol(hex, &end, 16);
            if (*end == '\0' && (v == '/' || v == '\\' || v == '%')) {
                out[o++] = (char)v;
                i += 2;
                continue;
            }
        }
        out[o++] = in[i];
    }
    out[o] = '\0';
}

void vn_netpgs_init(vn_netpgs *p, const char *name)
{
    memset(p, 0, sizeof(*p));
    p->name = vn_xstrdup(name);
}

static void take_host(vn_netpgs *p, const vn_mor *obj, const vn_xnode *o)
{
    char host_name[256];
    vn_prop_text(o, "name", host_name, sizeof(host_name));
    vn_mor netsys;
    vn_mor_from(vn_prop_find(o, "configManager.networkSystem"), &netsys);
    const vn_xnode *list = vn_prop_find(o, "config.network.portgroup");
    for (const vn_xnode *hp = vn_xn_first(list, "HostPortGroup"); hp;
         hp = vn_xn_next(hp, "HostPortGroup")) {
        const vn_xnode *spec = vn_xn_first(hp, "spec");
        char name[256];
        if (strcmp(vn_xn_text(vn_xn_first(spec, "name"), name, sizeof(name)), p->name) != 0)
            continue;
        if (p->nstd == p->cap_std) {
            p->cap_std = p->cap_std ? p->cap_std * 2 : 8;
            p->std = vn_xrealloc(p->std, p->cap_std * sizeof(*p->std));
        }
        vn_stdpg *pg = &p->std[p->nstd++];
        memset(pg, 0, sizeof(*pg));
        pg->host = *obj;
        snprintf(pg->host_name, sizeof(pg->host_name), "%s", host_name);
        pg->netsys = netsys;
        snprintf(pg->name, sizeof(pg->name), "%s", name);
        vn_xn_text(vn_xn_first(spec, "vlanId"), pg->vlan, sizeof(pg->vlan));
        vn_xn_text(vn_xn_first(spec, "vswitchName"), pg->vswitch, sizeof(pg->vswitch));
        const vn_xnode *policy = vn_xn_first(spec, "policy");
        pg->spec = read_sec(vn_xn_first(policy, "security"));
        pg->computed = read_sec(vn_xn_path(hp, "computedPolicy/security"));
        vn_buf rest = VN_BUF_INIT;
        /* The other policies go back as they came, each dumped as a
         * fragment that declares the prefixes bound higher up in the reply
         * (vcsim binds xsi on each <val>, a vCenter on the envelope). */
        for (const vn_xnode *c = vn_xn_first(policy, NULL); c; c = vn_xn_next(c, NULL))
            if (strcmp(c->name, "security") != 0)
                vn_xn_dump(c, &rest);
        pg->policy_rest = vn_buf_detach(&rest, NULL);
    }
}

/* Fills the port group's own properties (not its switch's). */
static void read_dvpg(vn_dvpg *pg, const vn_mor *obj, const vn_xnode *o)
{
    pg->mor = *obj;
    vn_prop_text(o, "name", pg->name, sizeof(pg->name));
    vn_prop_text(o, "key", pg->key, sizeof(pg->key));
    vn_prop_text(o, "config.configVersion", pg->config_version, sizeof(pg->config_version));
    vn_mor_from(vn_prop_find(o, "config.distributedVirtualSwitch"), &pg->dvs);
    const vn_xnode *port = vn_prop_find(o, "config.defaultPortConfig");
    const vn_xnode *mm = vn_xn_first(port, "macManagementPolicy");
    pg->has_mac_policy = mm != NULL;
    pg->mac = read_sec(mm);
    const vn_xnode *ml = vn_xn_first(mm, "macLearningPolicy");
    pg->learning = tri(ml, "enabled");
    pg->flooding = tri(ml, "allowUnicastFlooding");
    char buf[32];
    vn_xn_text(vn_xn_first(ml, "limit"), buf, sizeof(buf));
    pg->limit = buf[0] ? strtol(buf, NULL, 10) : -1;
    vn_xn_text(vn_xn_first(ml, "limitPolicy"), pg->limit_policy, sizeof(pg->limit_policy));
    const vn_xnode *sp = vn_xn_first(port, "securityPolicy");
    pg->has_security = sp != NULL;
    pg->legacy = read_bool_policies(sp);
}

static void take_dvpg(vn_netpgs *p, const vn_mor *obj, const vn_xnode *o)
{
    char name[256], plain[256];
    vn_prop_text(o, "name", name, sizeof(name));
    unescape_name(name, plain, sizeof(plain));
    if (strcmp(name, p->name) != 0 && strcmp(plain, p->name) != 0)
        return;
    if (p->ndv == p->cap_dv) {
        p->cap_dv = p->cap_dv ? p->cap_dv * 2 : 4;
        p->dv = vn_xrealloc(p->dv, p->cap_dv * sizeof(*p->dv));
    }
    vn_dvpg *pg = &p->dv[p->ndv++];
    memset(pg, 0, sizeof(*pg));
    read_dvpg(pg, obj, o);
}

static void take_dvs(vn_netpgs *p, const vn_mor *obj, const vn_xnode *o)
{
    if (p->ndvs == p->cap_dvs) {
        p->cap_dvs = p->cap_dvs ? p->cap_dvs * 2 : 4;
        p->dvs = vn_xrealloc(p->dvs, p->cap_dvs * sizeof(*p->dvs));
    }
    struct vn_netdvs *d = &p->dvs[p->ndvs++];
    memset(d, 0, sizeof(*d));
    d->mor = *obj;
    vn_prop_text(o, "name", d->name, sizeof(d->name));
    vn_prop_text(o, "uuid", d->uuid, sizeof(d->uuid));
    vn_prop_text(o, "summary.productInfo.version", d->version, sizeof(d->version));
}

void vn_netpgs_take(vn_netpgs *p, const vn_mor *obj, const vn_xnode *obj_node)
{
    if (!strcmp(obj->type, "HostSystem"))
        take_host(p, obj, obj_node);
    else if (!strcmp(obj->type, "DistributedVirtualPortgroup"))
        take_dvpg(p, obj, obj_node);
    else if (strstr(obj->type, "DistributedVirtualSwitch"))
        take_dvs(p, obj, obj_node); /* vCenter: VmwareDistributedVirtualSwitch */
}

void vn_netpgs_finish(vn_netpgs *p)
{
    for (size_t i = 0; i < p->ndv; i++) {
        vn_dvpg *pg = &p->dv[i];
        for (size_t j = 0; j < p->ndvs; j++) {
            const struct vn_netdvs *d = &p->dvs[j];
            if (strcmp(d->mor.id, pg->dvs.id) != 0)
                continue;
            snprintf(pg->dvs_name, sizeof(pg->dvs_name), "%s", d->name);
            snprintf(pg->dvs_uuid, sizeof(pg->dvs_uuid), "%s", d->uuid);
            snprintf(pg->dvs_version, sizeof(pg->dvs_version), "%s", d->version);
        }
    }
}

void vn_netpgs_free(vn_netpgs *p)
{
    for (size_t i = 0; i < p->nstd; i++)
        free(p->std[i].policy_rest);
    free(p->std);
    free(p->dv);
    free(p->dvs);
    free(p->name);
    memset(p, 0, sizeof(*p));
}

static void prop_set(vn_buf *b, const char *type, const char *const *paths)
{
    vn_xw_open(b, "propSet");
    vn_xw_str(b, "type", type);
    vn_xw_bool(b, "all", 0);
    for (size_t i = 0; paths[i]; i++)
        vn_xw_str(b, "pathSet", paths[i]);
    vn_xw_close(b, "propSet");
}

static const char *const host_paths[] = {"name", "configManager.networkSystem",
                                         "config.network.portgroup", NULL};
/* config.defaultPortConfig whole: its declared type (DVPortSetting) has no
 * macManagementPolicy, so a path into it is not valid on vCenter. */
static const char *const dvpg_paths[] = {"name",
                                         "key",
                                         "config.configVersion",
                                         "config.distributedVirtualSwitch",
                                         "config.defaultPortConfig",
                                         NULL};
static const char *const dvs_paths[] = {"name", "uuid", "summary.productInfo.version", NULL};

static void take_result(vn_netpgs *p, const vn_xnode *rv, char *token, size_t toklen)
{
    for (const vn_xnode *o = vn_xn_first(rv, "objects"); o; o = vn_xn_next(o, "objects")) {
        vn_mor mor;
        vn_mor_from(vn_xn_first(o, "obj"), &mor);
        vn_netpgs_take(p, &mor, o);
    }
    vn_xn_text(vn_xn_first(rv, "token"), token, toklen);
}

static int call_reply(vn_vim *vim, vn_buf *b, vn_soap_reply *reply, vn_error *err)
{
    int rc = vn_vim_call(vim, b, reply, NULL, err);
    vn_buf_free(b);
    return rc;
}

/* One ContainerView over hosts, distributed port groups and switches, one
 * RetrievePropertiesEx with a property set per type (plus continuation
 * pages on a large inventory). */
static int retrieve_all(vn_vim *vim, vn_netpgs *p, vn_error *err)
{
    /* A standalone ESXi host has no distributed objects of its own. */
    int vc = strcmp(vim->api_type, "HostAgent") != 0;
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "CreateContainerView", vim->view_manager.type, vim->view_manager.id);
    vn_xw_mor(&b, "container", vim->root.type, vim->root.id);
    vn_xw_str(&b, "type", "HostSystem");
    if (vc) {
        vn_xw_str(&b, "type", "DistributedVirtualPortgroup");
        vn_xw_str(&b, "type", "DistributedVirtualSwitch");
    }
    vn_xw_bool(&b, "recursive", 1);
    vn_xw_call_end(&b, "CreateContainerView");
    vn_soap_reply reply;
    int rc = call_reply(vim, &b, &reply, err);
    if (rc != VN_OK)
        return rc;
    vn_mor view;
    vn_mor_from(vn_xn_first(reply.result, "returnval"), &view);
    vn_soap_reply_free(&reply);

    vn_xw_call_begin(&b, "RetrievePropertiesEx", vim->property_collector.type,
                     vim->property_collector.id);
    vn_xw_open(&b, "specSet");
    prop_set(&b, "HostSystem", host_paths);
    if (vc) {
        prop_set(&b, "DistributedVirtualPortgroup", dvpg_paths);
        prop_set(&b, "DistributedVirtualSwitch", dvs_paths);
    }
    vn_xw_open(&b, "objectSet");
    vn_xw_mor(&b, "obj", view.type, view.id);
    vn_xw_bool(&b, "skip", 1);
    vn_xw_open_type(&b, "selectSet", "TraversalSpec");
    vn_xw_str(&b, "name", "view");
    vn_xw_str(&b, "type", "ContainerView");
    vn_xw_str(&b, "path", "view");
    vn_xw_bool(&b, "skip", 0);
    vn_xw_close(&b, "selectSet");
    vn_xw_close(&b, "objectSet");
    vn_xw_close(&b, "specSet");
    vn_xw_open(&b, "options");
    vn_xw_close(&b, "options");
    vn_xw_call_end(&b, "RetrievePropertiesEx");
    char token[256] = "";
    rc = call_reply(vim, &b, &reply, err);
    if (rc == VN_OK) {
        take_result(p, vn_xn_first(reply.result, "returnval"), token, sizeof(token));
        vn_soap_reply_free(&reply);
    }
    while (rc == VN_OK && token[0]) {
        vn_xw_call_begin(&b, "ContinueRetrievePropertiesEx", vim->property_collector.type,
                         vim->property_collector.id);
        vn_xw_str(&b, "token", token);
        vn_xw_call_end(&b, "ContinueRetrievePropertiesEx");
        rc = call_reply(vim, &b, &reply, err);
        if (rc == VN_OK) {
            take_result(p, vn_xn_first(reply.result, "returnval"), token, sizeof(token));
            vn_soap_reply_free(&reply);
        }
    }

    vn_xw_call_begin(&b, "DestroyView", view.type, view.id);
    vn_xw_call_end(&b, "DestroyView");
    vn_error ignored = {0};
    if (call_reply(vim, &b, &reply, &ignored) == VN_OK)
        vn_soap_reply_free(&reply);
    return rc;
}

int vn_apinet_read(vn_vim *vim, const char *name, vn_netpgs *out, vn_error *err)
{
    vn_netpgs_init(out, name);
    int rc = retrieve_all(vim, out, err);
    if (rc != VN_OK)
        return rc;
    vn_netpgs_finish(out);
    if (out->nstd == 0 && out->ndv == 0)
        return vn_fail(err, VN_EINPUT, name,
                       "no port group named \"%s\" on %s (no host has a standard port group "
                       "and there is no distributed port group by that name)",
                       name, vim->where);
    return VN_OK;
}

/* ---- judging ---- */

int vn_apinet_api_mac(const vn_vim *vim)
{
    return vn_version_cmp(vim->api_version, "6.7") >= 0;
}

int vn_dvpg_can_learn(const vn_dvpg *pg)
{
    return pg->dvs_version[0] && vn_version_cmp(pg->dvs_version, "6.6.0") >= 0;
}

int vn_dvpg_mode(const vn_dvpg *pg, vn_netmode asked, int api_mac, vn_netmode *used, vn_error *err)
{
    int can = vn_dvpg_can_learn(pg) && api_mac;
    if (asked == VN_NETMODE_AUTO) {
        *used = can ? VN_NETMODE_MACLEARN : VN_NETMODE_PROMISCUOUS;
        return VN_OK;
    }
    if (asked == VN_NETMODE_MACLEARN && !vn_dvpg_can_learn(pg))
        return vn_fail(err, VN_EINPUT, "--mode",
                       "MAC learning needs a distributed switch at version 6.6.0 or later; "
                       "%s (switch %s) is at %s: use --mode promiscuous, or upgrade the switch",
                       pg->name, pg->dvs_name[0] ? pg->dvs_name : pg->dvs.id,
                       pg->dvs_version[0] ? pg->dvs_version : "an unknown version");
    if (asked == VN_NETMODE_MACLEARN && !api_mac)
        return vn_fail(err, VN_EINPUT, "--mode",
                       "MAC learning needs vSphere API 6.7 or later (macManagementPolicy); "
                       "this server's API is older: use --mode promiscuous");
    *used = asked;
    return VN_OK;
}

static const char *tri_text(int v)
{
    return v < 0 ? NULL : v ? "true" : "false";
}

/* Adds a finding when `cur` is not `want` (booleans as -1/0/1). Unset
 * counts as false, the vSphere default of every setting here (Reject, MAC
 * learning off), so it never differs from a wanted false. */
static void want_bool(vn_findings *out, const vn_rule *rule, vn_severity sev, const char *key,
                      int cur, int want, const char *note)
{
    if (!rule || cur == want || (cur < 0 && !want))
        return;
    vn_finding *f = vn_findings_add(out, rule, key, tri_text(cur), want ? "true" : "false");
    if (sev < f->severity)
        f->severity = sev; /* lowered, never raised */
    if (note)
        f->note = vn_xstrdup(note);
}

void vn_apinet_check_std(const vn_stdpg *pg, vn_findings *out)
{
    const vn_rule *r = vn_rule_find("portgroup-security");
    const vn_netsec *c = &pg->computed;
    want_bool(out, r, VN_SEV_ERROR, "computedPolicy.security.allowPromiscuous", c->promiscuous, 1,
              NULL);
    want_bool(out, r, VN_SEV_ERROR, "computedPolicy.security.forgedTransmits", c->forged, 1, NULL);
    want_bool(out, r, VN_SEV_INFO, "computedPolicy.security.macChanges", c->mac_changes, 1,
              "recommended: a nested host's VMs may change their MAC address too");
}

/* The port group's effective setting, from the policy the API version
 * speaks (vCenter reports both, in step). */
static vn_netsec dvpg_effective(const vn_dvpg *pg, int api_mac)
{
    vn_netsec none = {-1, -1, -1};
    if (api_mac && pg->has_mac_policy)
        return pg->mac;
    if (pg->has_security)
        return pg->legacy;
    return pg->has_mac_policy ? pg->mac : none;
}

void vn_apinet_check_dvpg(const vn_dvpg *pg, vn_netmode mode, int api_mac, vn_findings *out)
{
    vn_netsec e = dvpg_effective(pg, api_mac);
    const char *pfx = api_mac ? "macManagementPolicy" : "securityPolicy";
    char kp[96], kf[96], km[96];
    snprintf(kp, sizeof(kp), "%s.allowPromiscuous", pfx);
    snprintf(kf, sizeof(kf), "%s.forgedTransmits", pfx);
    snprintf(km, sizeof(km), "%s.macChanges", pfx);
    const char *mac_note = "recommended: a nested host's VMs may change their MAC address too";
    if (mode == VN_NETMODE_MACLEARN) {
        const vn_rule *r = vn_rule_find("portgroup-mac-learning");
        want_bool(out, r, VN_SEV_WARNING, kf, e.forged, 1,
                  e.forged != 1 ? "without it the nested hosts' VMs get no traffic" : NULL);
        want_bool(out, r, VN_SEV_WARNING, "macManagementPolicy.macLearningPolicy.enabled",
                  pg->learning, 1,
                  e.promiscuous != 1
                      ? "with promiscuous mode off too, the nested hosts' VMs get no traffic"
                      : NULL);
        want_bool(out, r, VN_SEV_WARNING, kp, e.promiscuous, 0,
                  "with MAC learning on, promiscuous mode only costs throughput");
        want_bool(out, r, VN_SEV_INFO, km, e.mac_changes, 1, mac_note);
    } else {
        const vn_rule *r = vn_rule_find("portgroup-security");
        want_bool(out, r, VN_SEV_ERROR, kp, e.promiscuous, 1, NULL);
        want_bool(out, r, VN_SEV_ERROR, kf, e.forged, 1, NULL);
        want_bool(out, r, VN_SEV_INFO, km, e.mac_changes, 1, mac_note);
    }
}

/* ---- writing ---- */

void vn_apinet_update_pg_body(const vn_stdpg *pg, vn_buf *b)
{
    vn_xw_call_begin(b, "UpdatePortGroup", pg->netsys.type, pg->netsys.id);
    vn_xw_str(b, "pgName", pg->name);
    /* HostPortGroupSpec: name, vlanId, vswitchName, policy (all required).
     * The spec replaces the port group's: everything is sent as read. */
    vn_xw_open(b, "portgrp");
    vn_xw_str(b, "name", pg->name);
    vn_xw_str(b, "vlanId", pg->vlan[0] ? pg->vlan : "0");
    vn_xw_str(b, "vswitchName", pg->vswitch);
    vn_xw_open(b, "policy");
    vn_xw_open(b, "security");
    vn_xw_bool(b, "allowPromiscuous", 1);
    vn_xw_bool(b, "macChanges", 1);
    vn_xw_bool(b, "forgedTransmits", 1);
    vn_xw_close(b, "security");
    if (pg->policy_rest)
        vn_buf_adds(b, pg->policy_rest); /* nicTeaming, offloadPolicy, shapingPolicy */
    vn_xw_close(b, "policy");
    vn_xw_close(b, "portgrp");
    vn_xw_call_end(b, "UpdatePortGroup");
}

static void bool_policy(vn_buf *b, const char *tag, int value)
{
    vn_xw_open(b, tag);
    vn_xw_bool(b, "inherited", 0);
    vn_xw_bool(b, "value", value);
    vn_xw_close(b, tag);
}

void vn_apinet_dvpg_body(const vn_dvpg *pg, vn_netmode mode, int api_mac, vn_buf *b)
{
    int learn = mode == VN_NETMODE_MACLEARN;
    vn_xw_call_begin(b, "ReconfigureDVPortgroup_Task", pg->mor.type, pg->mor.id);
    /* DVPortgroupConfigSpec: configVersion, name, ..., defaultPortConfig.
     * The name is resent as read: harmless on vCenter, and vcsim, which
     * replaces the whole config, would blank config.name otherwise. */
    vn_xw_open(b, "spec");
    if (pg->config_version[0])
        vn_xw_str(b, "configVersion", pg->config_version);
    vn_xw_str(b, "name", pg->name);
    /* A fresh VMwareDVSPortSetting with only what changes: unset parts
     * stay as they are on vCenter. */
    vn_xw_open_type(b, "defaultPortConfig", "VMwareDVSPortSetting");
    if (api_mac) {
        /* DVSMacManagementPolicy: inherited, allowPromiscuous, macChanges,
         * forgedTransmits, macLearningPolicy. */
        vn_xw_open(b, "macManagementPolicy");
        vn_xw_bool(b, "inherited", 0);
        vn_xw_bool(b, "allowPromiscuous", !learn);
        vn_xw_bool(b, "macChanges", 1);
        vn_xw_bool(b, "forgedTransmits", 1);
        /* Only a 6.6.0+ switch knows MAC learning; in promiscuous mode
         * its learning setting is kept as it is. */
        if (vn_dvpg_can_learn(pg)) {
            vn_xw_open(b, "macLearningPolicy");
            vn_xw_bool(b, "inherited", 0);
            vn_xw_bool(b, "enabled", learn || pg->learning == 1);
            vn_xw_bool(b, "allowUnicastFlooding", pg->flooding != 0);
            vn_xw_int(b, "limit", pg->limit >= 0 ? pg->limit : LEARN_LIMIT);
            vn_xw_str(b, "limitPolicy",
                      pg->limit_policy[0] ? pg->limit_policy : LEARN_LIMIT_POLICY);
            vn_xw_close(b, "macLearningPolicy");
        }
        vn_xw_close(b, "macManagementPolicy");
    } else {
        /* Before API 6.7: DVSSecurityPolicy of BoolPolicy values. */
        vn_xw_open(b, "securityPolicy");
        vn_xw_bool(b, "inherited", 0);
        bool_policy(b, "allowPromiscuous", 1);
        bool_policy(b, "macChanges", 1);
        bool_policy(b, "forgedTransmits", 1);
        vn_xw_close(b, "securityPolicy");
    }
    vn_xw_close(b, "defaultPortConfig");
    vn_xw_close(b, "spec");
    vn_xw_call_end(b, "ReconfigureDVPortgroup_Task");
}

int vn_apinet_update_pg(vn_vim *vim, const vn_stdpg *pg, vn_error *err)
{
    if (!pg->netsys.id[0])
        return vn_fail(err, VN_ERUNTIME, pg->host_name,
                       "the host reports no network system (is it disconnected?)");
    vn_buf b = VN_BUF_INIT;
    vn_apinet_update_pg_body(pg, &b);
    vn_soap_reply reply;
    vn_fault fault;
    int rc = vn_vim_call(vim, &b, &reply, &fault, err);
    vn_buf_free(&b);
    if (rc == VN_OK) {
        vn_soap_reply_free(&reply);
        return VN_OK;
    }
    if (!strcmp(fault.type, "MethodNotFound"))
        return vn_fail(err, VN_ERUNTIME, pg->host_name,
                       "the server lacks HostNetworkSystem.UpdatePortGroup (%s%s%s)", fault.type,
                       fault.message[0] ? ": " : "", fault.message);
    if (fault.type[0])
        return vn_fail(err, VN_ERUNTIME, pg->host_name, "UpdatePortGroup \"%s\": %s%s%s", pg->name,
                       fault.type, fault.message[0] ? ": " : "", fault.message);
    return rc;
}

/* Runs one ReconfigureDVPortgroup_Task; the fault (sync or task) in `f`. */
static int reconfigure_once(vn_vim *vim, const vn_dvpg *pg, vn_netmode mode, int api_mac,
                            vn_fault *f, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_apinet_dvpg_body(pg, mode, api_mac, &b);
    vn_soap_reply reply;
    int rc = vn_vim_call(vim, &b, &reply, f, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    vn_task_result t;
    memset(&t, 0, sizeof(t));
    vn_mor_from(vn_xn_first(reply.result, "returnval"), &t.task);
    vn_soap_reply_free(&reply);
    rc = vn_vim_wait_tasks(vim, &t, 1, TASK_TIMEOUT_S, err);
    if (rc != VN_OK)
        return rc;
    if (t.ok)
        return VN_OK;
    *f = t.fault;
    return vn_fail(err, VN_ERUNTIME, pg->name, "ReconfigureDVPortgroup_Task: %s%s%s",
                   f->type[0] ? f->type : "failed", f->message[0] ? ": " : "", f->message);
}

typedef struct reread_ctx {
    vn_dvpg *pg;
    int seen;
} reread_ctx;

static int on_reread(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    reread_ctx *c = ctx;
    vn_dvpg fresh = *c->pg; /* keeps the switch's name, uuid and version */
    read_dvpg(&fresh, obj, o);
    snprintf(fresh.name, sizeof(fresh.name), "%s", c->pg->name);
    *c->pg = fresh;
    c->seen = 1;
    return 1;
}

int vn_apinet_reconfigure_dvpg(vn_vim *vim, vn_dvpg *pg, vn_netmode mode, int api_mac,
                               int *attempts, vn_error *err)
{
    int calls = 0, rc;
    for (;;) {
        vn_fault f;
        memset(&f, 0, sizeof(f));
        calls++;
        rc = reconfigure_once(vim, pg, mode, api_mac, &f, err);
        if (rc == VN_OK || strcmp(f.type, "ConcurrentAccess") != 0 || calls > MAX_RETRIES)
            break;
        /* Someone changed the port group since we read configVersion:
         * read it again; if it now needs nothing, we are done. */
        vn_error_clear(err);
        reread_ctx c = {pg, 0};
        rc = vn_vim_retrieve_objs(vim, &pg->mor, 1, dvpg_paths, on_reread, &c, err);
        if (rc == VN_OK && !c.seen)
            rc = vn_fail(err, VN_ERUNTIME, pg->name, "the port group disappeared");
        if (rc != VN_OK)
            break;
        vn_findings left = {0};
        vn_apinet_check_dvpg(pg, mode, api_mac, &left);
        size_t n = left.n;
        vn_findings_free(&left);
        if (n == 0)
            break;
    }
    if (attempts)
        *attempts = calls;
    return rc;
}
