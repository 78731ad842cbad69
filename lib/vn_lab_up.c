/* vn_lab_up: carrying a lab's plan out, and taking a lab down. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vn_apivm.h"
#include "vn_buf.h"
#include "vn_deploy.h"
#include "vn_file.h"
#include "vn_lab.h"
#include "vn_lab_iso.h"
#include "vn_vimpool.h"
#include "vn_xmlw.h"

static void notef(const vn_lab_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void notef(const vn_lab_opts *o, const char *fmt, ...)
{
    if (!o->note)
        return;
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    o->note(o->note_ctx, line);
}

static void host_failed(vn_lab *lab, vn_lab_vm *v, const char *what, const char *why)
{
    snprintf(v->result, sizeof(v->result), "failed");
    snprintf(v->detail, sizeof(v->detail), "%.40s: %.270s", what, why);
    lab->failed++;
}

/* ---- port groups ---- */

static int fix_pgs(vn_vim *vim, vn_lab *lab, const vn_lab_opts *o, vn_error *err)
{
    int api_mac = vn_apinet_api_mac(vim);
    for (int i = 0; i < lab->lf->nportgroups; i++) {
        vn_lab_pg *g = &lab->pgs[i];
        if (!g->findings)
            continue;
        notef(o, "port group %s: %d setting(s) to change for nested hosts", g->name, g->findings);
        vn_netpgs pgs;
        int rc = vn_apinet_read(vim, g->name, &pgs, err);
        for (size_t k = 0; rc == VN_OK && k < pgs.nstd; k++) {
            vn_findings f = {0};
            vn_apinet_check_std(&pgs.std[k], &f);
            if (f.n)
                rc = vn_apinet_update_pg(vim, &pgs.std[k], err);
            if (rc == VN_OK)
                g->changed += (int)f.n;
            vn_findings_free(&f);
        }
        for (size_t k = 0; rc == VN_OK && k < pgs.ndv; k++) {
            vn_netmode mode;
            rc = vn_dvpg_mode(&pgs.dv[k], (vn_netmode)lab->lf->netmode, api_mac, &mode, err);
            vn_findings f = {0};
            if (rc == VN_OK)
                vn_apinet_check_dvpg(&pgs.dv[k], mode, api_mac, &f);
            int attempts = 0;
            if (rc == VN_OK && f.n)
                rc = vn_apinet_reconfigure_dvpg(vim, &pgs.dv[k], mode, api_mac, &attempts, err);
            if (rc == VN_OK)
                g->changed += (int)f.n;
            vn_findings_free(&f);
        }
        vn_netpgs_free(&pgs);
        if (rc != VN_OK) {
            g->failed = 1;
            snprintf(g->detail, sizeof(g->detail), "%.300s", err->msg);
            return rc;
        }
        lab->changed_pgs++;
    }
    return VN_OK;
}

/* ---- the kickstart route: empty VMs booting the lab's ISO ---- */

typedef struct create_ctx {
    vn_vim *vim;
    vn_lab *lab;
    int *idx;
} create_ctx;

/* The host's identity and the lab's marker go into the CreateVM spec
 * itself, after the extraConfig entries vn_apivm writes (the schema keeps
 * extraConfig together), so no VM of the lab ever exists unmarked. */
static void identity_extra(const vn_lab *lab, const vn_lab_vm *v, vn_buf *x)
{
    const vn_labfile *lf = lab->lf;
    const char *keys[VN_LAB_MAX_GINFO + 3], *vals[VN_LAB_MAX_GINFO + 3];
    char gk[VN_LAB_MAX_GINFO][128];
    int n = 0;
    keys[n] = VN_LAB_MARKER_KEY;
    vals[n++] = lf->name;
    keys[n] = "guestinfo.hostname";
    vals[n++] = v->name;
    if (v->ip[0]) {
        keys[n] = "guestinfo.ipaddress";
        vals[n++] = v->ip;
    }
    for (int i = 0; i < lf->ngi; i++) {
        snprintf(gk[i], sizeof(gk[i]), "guestinfo.%s", lf->gi_keys[i]);
        keys[n] = gk[i];
        vals[n++] = lf->gi_values[i];
    }
    for (int i = 0; i < n; i++) {
        vn_xw_open(x, "extraConfig");
        vn_xw_str(x, "key", keys[i]);
        vn_xw_any_str(x, "value", vals[i]);
        vn_xw_close(x, "extraConfig");
    }
}

static void create_call(void *ctx, int i, vn_buf *b)
{
    create_ctx *c = ctx;
    const vn_labfile *lf = c->lab->lf;
    vn_lab_vm *v = &c->lab->vms[c->idx[i]];
    vn_vm_spec spec;
    vn_vm_spec_defaults(&spec, lf->rel, v->name);
    if (lf->cpus)
        spec.cpus = lf->cpus;
    if (lf->memory)
        spec.memory = lf->memory;
    if (lf->boot_disk)
        spec.boot_disk = lf->boot_disk;
    spec.vsan_cache = lf->vsan_cache;
    spec.vsan_capacity = lf->vsan_capacity;
    if (lf->nics)
        spec.nics = lf->nics;
    spec.iso = c->lab->iso_ds_path;
    spec.network = lf->portgroups[0];
    vn_buf body = VN_BUF_INIT, extra = VN_BUF_INIT;
    vn_apivm_create_body(c->vim, &spec, &c->lab->place, &body);
    identity_extra(c->lab, v, &extra);
    /* after the last </extraConfig> vn_apivm wrote (disk.EnableUUID at least) */
    const char *end = NULL;
    for (const char *p = body.data; (p = strstr(p, "</extraConfig>")); p++)
        end = p;
    size_t at = end ? (size_t)(end - body.data) + strlen("</extraConfig>") : body.len;
    vn_buf_add(b, body.data, at);
    vn_buf_add(b, extra.data, extra.len);
    vn_buf_add(b, body.data + at, body.len - at);
    vn_buf_free(&body);
    vn_buf_free(&extra);
}

/* Starts n task calls over the pool and waits for them; per-host faults go
 * to the host. ok[k] and result[k] per call. */
static void run_tasks(vn_vim *vim, vn_vimpool *pool, vn_lab *lab, int *idx, int n, vn_body_fn fn,
                      void *ctx, const char *what, int *ok, vn_mor *result)
{
    vn_started *st = vn_xcalloc((size_t)n, sizeof(*st));
    vn_task_result *t = vn_xcalloc((size_t)n, sizeof(*t));
    int *tk = vn_xcalloc((size_t)n, sizeof(*tk)), nt = 0;
    vn_vimpool_start(pool, n, fn, ctx, st);
    for (int k = 0; k < n; k++) {
        ok[k] = 0;
        if (!st[k].ok) {
            host_failed(lab, &lab->vms[idx[k]], what,
                        st[k].fault.type[0] ? st[k].fault.message : st[k].msg);
            continue;
        }
        t[nt].task = st[k].task;
        tk[nt++] = k;
    }
    vn_error e = {0};
    int rc = vn_vim_wait_tasks(vim, t, (size_t)nt, 3600, &e);
    for (int j = 0; j < nt; j++) {
        int k = tk[j];
        if (rc != VN_OK) {
            host_failed(lab, &lab->vms[idx[k]], what, e.msg);
        } else if (!t[j].ok) {
            char why[300];
            snprintf(why, sizeof(why), "%.60s%s%.220s", t[j].fault.type,
                     t[j].fault.message[0] ? ": " : "", t[j].fault.message);
            host_failed(lab, &lab->vms[idx[k]], what, why);
        } else {
            ok[k] = 1;
            if (result)
                result[k] = t[j].result;
        }
    }
    free(st);
    free(t);
    free(tk);
}

static void create_hosts(vn_vim *vim, vn_vimpool *pool, vn_lab *lab, const vn_lab_opts *o)
{
    int count = lab->lf->count, k = o->parallel > 0 ? o->parallel : 8;
    int *idx = vn_xcalloc((size_t)count, sizeof(*idx));
    int batches = 0;
    for (int from = 0; from < count; from += k) {
        int n = 0;
        for (int i = from; i < count && i < from + k; i++)
            if (lab->vms[i].create)
                idx[n++] = i;
        if (!n)
            continue;
        if (batches++)
            vn_crash_point("lab-after-first-batch"); /* tests: a crash midway */
        notef(o, "creating %d host(s): %s%s", n, lab->vms[idx[0]].name, n > 1 ? "..." : "");
        int ok[n];
        vn_mor result[n];
        create_ctx c = {vim, lab, idx};
        run_tasks(vim, pool, lab, idx, n, create_call, &c, "create", ok, result);
        for (int j = 0; j < n; j++)
            if (ok[j]) {
                vn_lab_vm *v = &lab->vms[idx[j]];
                v->vm = result[j];
                v->state = VN_LAB_OURS;
                snprintf(v->result, sizeof(v->result), "created");
                lab->created++;
            }
    }
    free(idx);
}

/* ---- the template route: vn_deploy's clones ---- */

typedef struct deploy_note {
    const vn_lab_opts *o;
    int calls;
} deploy_note;

static void on_deploy(void *ctx, const vn_deploy_host *h, int done, int total)
{
    (void)h;
    deploy_note *d = ctx;
    notef(d->o, "cloned or checked %d of %d host(s)", done, total);
    if (d->calls++ == 0 && done < total)
        vn_crash_point("lab-after-first-batch"); /* tests: a crash midway */
}

static int set_kv(vn_deploy_host *h, const char *key, const char *value)
{
    if (h->nkv >= VN_DEPLOY_MAX_KV)
        return -1;
    h->keys[h->nkv] = vn_xstrdup(key);
    h->values[h->nkv++] = vn_xstrdup(value);
    return 0;
}

static int clone_hosts(vn_vim *vim, vn_lab *lab, const vn_lab_opts *o, vn_error *err)
{
    const vn_labfile *lf = lab->lf;
    vn_deploy_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.template_vm = lab->template_vm;
    plan.place = lab->place;
    plan.parallel = o->parallel > 0 ? o->parallel : 8;
    plan.power_on = 0; /* powered on below, only those that are off */
    plan.hosts = vn_xcalloc((size_t)lf->count, sizeof(*plan.hosts));
    int *map = vn_xcalloc((size_t)lf->count, sizeof(*map));
    char *pw = NULL;
    int rc = VN_OK;
    if (lf->root_password_file) {
        vn_conn tmp;
        memset(&tmp, 0, sizeof(tmp));
        rc = vn_conn_password_file(&tmp, lf->root_password_file, err);
        if (rc == VN_OK)
            pw = vn_xstrdup(tmp.password);
        vn_conn_free(&tmp);
    }
    for (int i = 0; rc == VN_OK && i < lf->count; i++) {
        vn_lab_vm *v = &lab->vms[i];
        if (!v->create)
            continue;
        vn_deploy_host *h = &plan.hosts[plan.count];
        map[plan.count++] = i;
        snprintf(h->name, sizeof(h->name), "%s", v->name);
        /* The marker is not a guestinfo key: the guest has no business
         * with it. vn_deploy restores it like the guestinfo if the clone
         * lost it. */
        int bad = set_kv(h, VN_LAB_MARKER_KEY, lf->name);
        bad |= set_kv(h, "guestinfo.hostname", v->name);
        if (v->ip[0])
            bad |= set_kv(h, "guestinfo.ipaddress", v->ip);
        for (int k = 0; k < lf->ngi; k++) {
            char key[128];
            snprintf(key, sizeof(key), "guestinfo.%s", lf->gi_keys[k]);
            bad |= set_kv(h, key, lf->gi_values[k]);
        }
        if (pw)
            bad |= set_kv(h, "guestinfo.password", pw);
        if (bad)
            rc = vn_fail(err, VN_EINPUT, lf->path, "too many guestinfo keys (at most %d)",
                         VN_DEPLOY_MAX_KV - 4);
    }
    if (pw) {
        memset(pw, 0, strlen(pw));
        free(pw);
    }
    if (rc == VN_OK && plan.count) {
        notef(o, "cloning %d host(s) from %s", plan.count, lf->template_name);
        deploy_note d = {o, 0};
        rc = vn_deploy_run(vim, &plan, on_deploy, &d, err);
        for (int j = 0; j < plan.count; j++) {
            vn_lab_vm *v = &lab->vms[map[j]];
            vn_deploy_host *h = &plan.hosts[j];
            if (h->status == VN_DEPLOY_CREATED) {
                v->vm = h->vm;
                v->state = VN_LAB_OURS;
                snprintf(v->result, sizeof(v->result), "created");
                snprintf(v->detail, sizeof(v->detail), "%s", h->detail);
                lab->created++;
            } else if (h->status == VN_DEPLOY_FAILED) {
                host_failed(lab, v, "clone", h->detail);
            } else if (h->status == VN_DEPLOY_SKIPPED) {
                v->vm = h->vm; /* made meanwhile by another run */
                v->state = VN_LAB_OURS;
            } else {
                host_failed(lab, v, "clone", rc != VN_OK ? err->msg : "not attempted");
            }
        }
    }
    free(map);
    vn_deploy_plan_free(&plan);
    return rc;
}

/* ---- power and identity ---- */

static void power_call(void *ctx, int i, vn_buf *b)
{
    create_ctx *c = ctx;
    vn_lab_vm *v = &c->lab->vms[c->idx[i]];
    vn_xw_call_begin(b, "PowerOnVM_Task", v->vm.type, v->vm.id);
    vn_xw_call_end(b, "PowerOnVM_Task");
}

static void power_on(vn_vim *vim, vn_vimpool *pool, vn_lab *lab, const vn_lab_opts *o)
{
    int count = lab->lf->count;
    int *idx = vn_xcalloc((size_t)count, sizeof(*idx)), n = 0;
    for (int i = 0; i < count; i++) {
        vn_lab_vm *v = &lab->vms[i];
        if (v->power_on && v->state == VN_LAB_OURS && strcmp(v->result, "failed") != 0)
            idx[n++] = i;
    }
    if (n) {
        notef(o, "powering on %d host(s)", n);
        int *ok = vn_xcalloc((size_t)n, sizeof(*ok));
        create_ctx c = {vim, lab, idx};
        run_tasks(vim, pool, lab, idx, n, power_call, &c, "power on", ok, NULL);
        for (int j = 0; j < n; j++)
            if (ok[j]) {
                lab->vms[idx[j]].powered_on = 1;
                lab->powered++;
            }
        free(ok);
    }
    free(idx);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls the guests' identity (one property read for all) until every host
 * reports its planned name and address, or the timeout. */
static int wait_identity(vn_vim *vim, vn_lab *lab, const vn_lab_opts *o, vn_error *err)
{
    int timeout = o->boot_timeout >= 0 ? o->boot_timeout : lab->lf->boot_timeout;
    double start = now_s();
    int last_ready = -1;
    for (;;) {
        int rc = vn_lab_refresh(vim, lab, err);
        if (rc != VN_OK)
            return rc;
        int waiting = 0, ready = 0;
        for (int i = 0; i < lab->lf->count; i++) {
            vn_lab_vm *v = &lab->vms[i];
            if (v->state != VN_LAB_OURS || !v->wait || !strcmp(v->result, "failed"))
                continue;
            if (v->ready)
                ready++;
            else
                waiting++;
        }
        if (ready != last_ready && (waiting || last_ready >= 0))
            notef(o, "%d of %d host(s) report their identity", ready, ready + waiting);
        last_ready = ready;
        if (!waiting)
            return VN_OK;
        if (now_s() - start >= timeout) {
            for (int i = 0; i < lab->lf->count; i++) {
                vn_lab_vm *v = &lab->vms[i];
                if (v->state != VN_LAB_OURS || !v->wait || v->ready || !strcmp(v->result, "failed"))
                    continue;
                snprintf(v->result, sizeof(v->result), "timeout");
                snprintf(v->detail, sizeof(v->detail),
                         "no identity from VMware Tools after %d s (reported host name \"%.60s\", "
                         "address \"%.40s\", tools %.30s)",
                         timeout, v->guest_host, v->guest_ip, v->tools[0] ? v->tools : "unknown");
                lab->timed_out++;
            }
            return VN_OK;
        }
        struct timespec ts = {0, 500 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int vn_lab_up(vn_vim *vim, vn_lab *lab, const vn_lab_opts *o, vn_error *err)
{
    long calls0 = vim->calls;
    int rc = fix_pgs(vim, lab, o, err);
    for (int i = 0; i < lab->lf->count; i++) {
        vn_lab_vm *v = &lab->vms[i];
        if (v->state == VN_LAB_FOREIGN) {
            snprintf(v->result, sizeof(v->result), "refused");
            snprintf(v->detail, sizeof(v->detail),
                     "a VM of this name exists without this lab's marker (%s%s%s): left "
                     "untouched",
                     v->marker[0] ? "it belongs to lab \"" : "not made by vnest lab", v->marker,
                     v->marker[0] ? "\"" : "");
            lab->failed++;
        } else if (v->template) {
            snprintf(v->result, sizeof(v->result), "refused");
            snprintf(v->detail, sizeof(v->detail), "is a template: left as it is");
            lab->failed++;
        }
    }
    if (rc != VN_OK)
        return rc;
    vn_vimpool *pool = vn_vimpool_new(vim, o->parallel > 0 ? o->parallel : 4);
    if (lab->lf->route == VN_LAB_ROUTE_KICKSTART && lab->iso_needed) {
        rc = vn_lab_iso_prepare(vim, lab, o->note, o->note_ctx, err);
        if (rc == VN_OK) {
            lab->iso_uploaded = 1;
            create_hosts(vim, pool, lab, o);
        }
    } else if (lab->lf->route == VN_LAB_ROUTE_TEMPLATE) {
        rc = clone_hosts(vim, lab, o, err);
    }
    if (rc == VN_OK)
        power_on(vim, pool, lab, o);
    vn_vimpool_free(pool);
    if (rc == VN_OK && !o->no_wait)
        rc = wait_identity(vim, lab, o, err);
    for (int i = 0; i < lab->lf->count; i++) {
        vn_lab_vm *v = &lab->vms[i];
        if (v->result[0])
            continue;
        snprintf(v->result, sizeof(v->result), "%s", v->power_on ? "powered on" : "unchanged");
    }
    lab->calls += vim->calls - calls0;
    return rc;
}

/* ---- down ---- */

static void destroy_call(void *ctx, int i, vn_buf *b)
{
    vn_mor *vms = ctx;
    vn_xw_call_begin(b, "Destroy_Task", vms[i].type, vms[i].id);
    vn_xw_call_end(b, "Destroy_Task");
}

static void off_call(void *ctx, int i, vn_buf *b)
{
    vn_mor *vms = ctx;
    vn_xw_call_begin(b, "PowerOffVM_Task", vms[i].type, vms[i].id);
    vn_xw_call_end(b, "PowerOffVM_Task");
}

/* Starts the calls and waits; returns how many tasks succeeded. */
static int run_plain(vn_vim *vim, vn_vimpool *pool, vn_mor *vms, int n, vn_body_fn fn, int *ok,
                     char (*why)[300])
{
    vn_started *st = vn_xcalloc((size_t)n + 1, sizeof(*st));
    vn_task_result *t = vn_xcalloc((size_t)n + 1, sizeof(*t));
    int *tk = vn_xcalloc((size_t)n + 1, sizeof(*tk)), nt = 0, good = 0;
    vn_vimpool_start(pool, n, fn, vms, st);
    for (int k = 0; k < n; k++) {
        ok[k] = 0;
        if (!st[k].ok) {
            snprintf(why[k], sizeof(why[k]), "%.290s", st[k].msg);
            continue;
        }
        t[nt].task = st[k].task;
        tk[nt++] = k;
    }
    vn_error e = {0};
    int rc = vn_vim_wait_tasks(vim, t, (size_t)nt, 3600, &e);
    for (int j = 0; j < nt; j++) {
        int k = tk[j];
        if (rc == VN_OK && t[j].ok) {
            ok[k] = 1;
            good++;
        } else {
            snprintf(why[k], sizeof(why[k]), "%.60s %.220s", rc ? "" : t[j].fault.type,
                     rc ? e.msg : t[j].fault.message);
        }
    }
    free(st);
    free(t);
    free(tk);
    return good;
}

int vn_lab_down(vn_vim *vim, vn_lab *lab, const vn_lab_opts *o, int *removed, vn_error *err)
{
    (void)err;
    int total = lab->lf->count + lab->nstrays, n = 0, non = 0;
    vn_mor *vms = vn_xcalloc((size_t)total + 1, sizeof(*vms));
    vn_mor *on = vn_xcalloc((size_t)total + 1, sizeof(*on));
    for (int i = 0; i < lab->lf->count; i++) {
        vn_lab_vm *v = &lab->vms[i];
        if (v->state != VN_LAB_OURS) {
            snprintf(v->result, sizeof(v->result), "%s",
                     v->state == VN_LAB_FOREIGN ? "not ours" : "absent");
            if (v->state == VN_LAB_FOREIGN)
                snprintf(v->detail, sizeof(v->detail), "no marker of this lab: left untouched");
            continue;
        }
        vms[n++] = v->vm;
        if (v->powered_on)
            on[non++] = v->vm;
    }
    for (int i = 0; i < lab->nstrays; i++) {
        vms[n++] = lab->strays[i].vm;
        if (lab->strays[i].powered_on)
            on[non++] = lab->strays[i].vm;
    }
    *removed = 0;
    vn_vimpool *pool = vn_vimpool_new(vim, o->parallel > 0 ? o->parallel : 4);
    int *ok = vn_xcalloc((size_t)total + 1, sizeof(*ok));
    char(*why)[300] = vn_xcalloc((size_t)total + 1, sizeof(*why));
    if (non) {
        notef(o, "powering off %d host(s)", non);
        run_plain(vim, pool, on, non, off_call, ok, why); /* failures show in the destroy */
    }
    if (n) {
        /* Destroy calls go one after the other on one connection (their
         * tasks are still awaited together): vcsim 0.24 races when it
         * destroys VMs of one folder from concurrent calls (spurious
         * ManagedObjectNotFound, connections dropped), and `down` is not
         * where time matters. */
        notef(o, "destroying %d host(s)", n);
        vn_vimpool *one = vn_vimpool_new(vim, 1);
        *removed = run_plain(vim, one, vms, n, destroy_call, ok, why);
        vn_vimpool_free(one);
    }
    for (int k = 0; k < n; k++)
        for (int i = 0; i < lab->lf->count; i++) {
            vn_lab_vm *v = &lab->vms[i];
            if (v->state != VN_LAB_OURS || strcmp(v->vm.id, vms[k].id) != 0)
                continue;
            if (ok[k]) {
                snprintf(v->result, sizeof(v->result), "removed");
                v->powered_on = v->ready = 0;
                v->guest_host[0] = v->guest_ip[0] = 0;
            } else {
                snprintf(v->result, sizeof(v->result), "failed");
                snprintf(v->detail, sizeof(v->detail), "destroy: %s", why[k]);
                lab->failed++;
            }
        }
    for (int k = 0; k < n; k++)
        if (!ok[k] && k >= n - lab->nstrays)
            lab->failed++;
    vn_vimpool_free(pool);
    free(vms);
    free(on);
    free(ok);
    free(why);
    return VN_OK;
}
