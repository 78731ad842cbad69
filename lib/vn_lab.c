/* vn_lab: reading a lab's state from the inventory and planning `up`. */
#include "vn_lab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_buf.h"
#include "vn_soap.h"

/* The value of extraConfig `key`; vcsim appends keys instead of updating
 * them, so the last one wins, as on a real VM where there is only one. */
static const char *extra_value(const vn_xnode *list, const char *key, char *buf, size_t len)
{
    char k[256];
    const char *found = NULL;
    for (const vn_xnode *o = vn_xn_first(list, NULL); o; o = vn_xn_next(o, NULL))
        if (!strcmp(vn_xn_text(vn_xn_first(o, "key"), k, sizeof(k)), key))
            found = vn_xn_text(vn_xn_first(o, "value"), buf, len);
    return found;
}

static const char *const vm_paths[] = {
    "name",           "config.template", "config.extraConfig",       "runtime.powerState",
    "guest.hostName", "guest.ipAddress", "guest.toolsRunningStatus", NULL};

static void take_guest(vn_lab_vm *v, const vn_xnode *o)
{
    char buf[32];
    v->powered_on = !strcmp(vn_prop_text(o, "runtime.powerState", buf, sizeof(buf)), "poweredOn");
    vn_prop_text(o, "guest.hostName", v->guest_host, sizeof(v->guest_host));
    vn_prop_text(o, "guest.ipAddress", v->guest_ip, sizeof(v->guest_ip));
    vn_prop_text(o, "guest.toolsRunningStatus", v->tools, sizeof(v->tools));
}

/* The guest reports the planned identity: its host name (short or fully
 * qualified) and, with an address plan, its address. */
static int identity_ok(const vn_lab_vm *v)
{
    if (!v->powered_on || !v->guest_host[0])
        return 0;
    size_t n = strlen(v->name);
    if (strncasecmp(v->guest_host, v->name, n) != 0 ||
        (v->guest_host[n] != 0 && v->guest_host[n] != '.'))
        return 0;
    return !v->ip[0] || !strcmp(v->guest_ip, v->ip);
}

static int on_vm(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    vn_lab *lab = ctx;
    char name[256], marker[256], tmpl[16];
    vn_prop_text(o, "name", name, sizeof(name));
    const char *m = extra_value(vn_prop_find(o, "config.extraConfig"), VN_LAB_MARKER_KEY, marker,
                                sizeof(marker));
    int ours = m && !strcmp(m, lab->lf->name);
    for (int i = 0; i < lab->lf->count; i++) {
        vn_lab_vm *v = &lab->vms[i];
        if (strcmp(v->name, name) != 0)
            continue;
        /* Two VMs of one name (vcsim allows it; vCenter only across
         * folders): a marked one wins, a foreign one is remembered only
         * when nothing else was found. */
        if (v->state == VN_LAB_OURS || (v->state == VN_LAB_FOREIGN && !ours))
            return 0;
        v->state = ours ? VN_LAB_OURS : VN_LAB_FOREIGN;
        v->vm = *obj;
        snprintf(v->marker, sizeof(v->marker), "%s", m ? m : "");
        v->template = !strcmp(vn_prop_text(o, "config.template", tmpl, sizeof(tmpl)), "true");
        take_guest(v, o);
        v->ready = identity_ok(v);
        return 0;
    }
    if (ours) {
        lab->strays = realloc(lab->strays, (size_t)(lab->nstrays + 1) * sizeof(*lab->strays));
        if (!lab->strays)
            abort();
        vn_lab_stray *s = &lab->strays[lab->nstrays++];
        memset(s, 0, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", name);
        s->vm = *obj;
        char buf[32];
        s->powered_on =
            !strcmp(vn_prop_text(o, "runtime.powerState", buf, sizeof(buf)), "poweredOn");
    }
    return 0;
}

/* Port groups: how many settings `up` would change on each. */
static int read_pgs(vn_vim *vim, vn_lab *lab, vn_error *err)
{
    const vn_labfile *lf = lab->lf;
    int api_mac = vn_apinet_api_mac(vim);
    for (int i = 0; i < lf->nportgroups; i++) {
        vn_lab_pg *g = &lab->pgs[i];
        snprintf(g->name, sizeof(g->name), "%s", lf->portgroups[i]);
        vn_netpgs pgs;
        int rc = vn_apinet_read(vim, g->name, &pgs, err);
        if (rc == VN_OK && pgs.nstd + pgs.ndv == 0)
            rc = vn_fail(err, VN_EINPUT, lf->path,
                         "network.portgroups: no port group named \"%s\" on %s (expected an "
                         "existing standard or distributed port group)",
                         g->name, vim->where);
        for (size_t k = 0; rc == VN_OK && k < pgs.nstd; k++) {
            vn_findings f = {0};
            vn_apinet_check_std(&pgs.std[k], &f);
            g->findings += (int)f.n;
            vn_findings_free(&f);
        }
        for (size_t k = 0; rc == VN_OK && k < pgs.ndv; k++) {
            vn_netmode mode;
            rc = vn_dvpg_mode(&pgs.dv[k], (vn_netmode)lf->netmode, api_mac, &mode, err);
            if (rc != VN_OK)
                break;
            vn_findings f = {0};
            vn_apinet_check_dvpg(&pgs.dv[k], mode, api_mac, &f);
            g->findings += (int)f.n;
            vn_findings_free(&f);
        }
        g->nstd = (int)pgs.nstd;
        g->ndv = (int)pgs.ndv;
        vn_netpgs_free(&pgs);
        if (rc != VN_OK)
            return rc;
    }
    return VN_OK;
}

static int place(vn_vim *vim, vn_lab *lab, vn_error *err)
{
    const vn_labfile *lf = lab->lf;
    vn_buf pool = VN_BUF_INIT;
    const char *pool_name = lf->pool;
    if (lf->cluster && !pool_name && !lf->host) {
        /* A cluster's VMs go to its root resource pool. */
        if (!lf->datacenter) {
            vn_buf_free(&pool);
            return vn_fail(err, VN_EINPUT, lf->path,
                           "target.cluster needs target.datacenter (expected both)");
        }
        vn_buf_addf(&pool, "%s/host/%s/Resources", lf->datacenter, lf->cluster);
        pool_name = pool.data;
    }
    vn_place_req req = {lf->datacenter, lf->folder,    pool_name,
                        lf->host,       lf->datastore, lf->nportgroups ? lf->portgroups[0] : NULL};
    int rc = vn_inv_place(vim, &req, &lab->place, err);
    vn_buf_free(&pool);
    if (rc != VN_OK && !strncmp(err->where, "--", 2)) {
        /* vn_inv_place names the flags of `vm create`; say the lab file's key */
        static const char *const keys[][2] = {
            {"--network", "network.portgroups"}, {"--datacenter", "target.datacenter"},
            {"--datastore", "target.datastore"}, {"--pool", "target.cluster/resource-pool"},
            {"--folder", "target.folder"},       {"--host", "target.host"}};
        const char *key = err->where + 2;
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (!strcmp(err->where, keys[i][0]))
                key = keys[i][1];
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%.60s: %.600s", key, err->msg);
        vn_fail(err, rc, lf->path, "%s", msg);
    }
    return rc;
}

int vn_lab_read(vn_vim *vim, const vn_labfile *lf, vn_lab *lab, int vms_only, vn_error *err)
{
    memset(lab, 0, sizeof(*lab));
    lab->lf = lf;
    lab->vms = vn_xcalloc((size_t)lf->count, sizeof(*lab->vms));
    for (int i = 0; i < lf->count; i++) {
        snprintf(lab->vms[i].name, sizeof(lab->vms[i].name), "%s", lf->hosts[i].name);
        snprintf(lab->vms[i].ip, sizeof(lab->vms[i].ip), "%s", lf->hosts[i].ip);
    }
    long calls0 = vim->calls;
    int rc = vms_only ? VN_OK : place(vim, lab, err);
    if (rc == VN_OK && !vms_only)
        rc = read_pgs(vim, lab, err);
    if (rc == VN_OK && !vms_only && lf->route == VN_LAB_ROUTE_TEMPLATE)
        rc = vn_inv_find(vim, "VirtualMachine", lf->template_name, "template", &lab->template_vm, 0,
                         err) == 1
                 ? VN_OK
                 : err->code;
    if (rc == VN_OK)
        rc = vn_vim_retrieve_all(vim, NULL, "VirtualMachine", vm_paths, on_vm, lab, err);
    if (rc != VN_OK)
        return rc;
    for (int i = 0; i < lf->count; i++) {
        vn_lab_vm *v = &lab->vms[i];
        v->create = v->state == VN_LAB_ABSENT;
        v->power_on = v->create || (v->state == VN_LAB_OURS && !v->powered_on && !v->template);
        v->wait = v->state != VN_LAB_FOREIGN && !v->template;
        lab->iso_needed |= v->create;
    }
    if (lf->route == VN_LAB_ROUTE_KICKSTART)
        snprintf(lab->iso_ds_path, sizeof(lab->iso_ds_path), "[%s] %s/%s-ks.iso",
                 lab->place.datastore_name, lf->iso_folder, lf->name);
    lab->calls = vim->calls - calls0;
    return VN_OK;
}

typedef struct refresh_ctx {
    vn_lab *lab;
} refresh_ctx;

static int on_refresh(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    vn_lab *lab = ((refresh_ctx *)ctx)->lab;
    for (int i = 0; i < lab->lf->count; i++) {
        vn_lab_vm *v = &lab->vms[i];
        if (v->state == VN_LAB_OURS && !strcmp(v->vm.id, obj->id)) {
            take_guest(v, o);
            v->ready = identity_ok(v);
        }
    }
    return 0;
}

int vn_lab_refresh(vn_vim *vim, vn_lab *lab, vn_error *err)
{
    vn_mor *vms = vn_xcalloc((size_t)lab->lf->count + 1, sizeof(*vms));
    size_t n = 0;
    for (int i = 0; i < lab->lf->count; i++)
        if (lab->vms[i].state == VN_LAB_OURS)
            vms[n++] = lab->vms[i].vm;
    static const char *const paths[] = {"runtime.powerState", "guest.hostName", "guest.ipAddress",
                                        "guest.toolsRunningStatus", NULL};
    refresh_ctx c = {lab};
    int rc = n ? vn_vim_retrieve_objs(vim, vms, n, paths, on_refresh, &c, err) : VN_OK;
    free(vms);
    return rc;
}

void vn_lab_free(vn_lab *lab)
{
    free(lab->vms);
    free(lab->strays);
    memset(lab, 0, sizeof(*lab));
}
