#include "vn_deploy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_apivm.h"
#include "vn_vimpool.h"
#include "vn_xmlw.h"

int vn_deploy_host_set(vn_deploy_host *h, const char *key, const char *value, vn_error *err)
{
    char full[128];
    snprintf(full, sizeof(full), "%s%s", strncmp(key, "guestinfo.", 10) ? "guestinfo." : "", key);
    for (int i = 0; i < h->nkv; i++)
        if (!strcmp(h->keys[i], full)) {
            free(h->values[i]);
            h->values[i] = vn_xstrdup(value);
            return VN_OK;
        }
    if (h->nkv >= VN_DEPLOY_MAX_KV)
        return vn_fail(err, VN_EINPUT, "--guestinfo", "too many guestinfo keys (at most %d)",
                       VN_DEPLOY_MAX_KV);
    h->keys[h->nkv] = vn_xstrdup(full);
    h->values[h->nkv++] = vn_xstrdup(value);
    return VN_OK;
}

int vn_deploy_name(const char *format, int index, char *out, size_t len, vn_error *err)
{
    /* Exactly one conversion, %d or %0Nd, and no other '%' but "%%". */
    int convs = 0;
    for (const char *p = format; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        const char *q = p + 1;
        while (*q >= '0' && *q <= '9')
            q++;
        if (*q != 'd' || q - p > 3)
            return vn_fail(err, VN_EINPUT, "--name-format",
                           "\"%s\" (expected one %%d or %%0Nd, e.g. esxi-%%02d)", format);
        convs++;
        p = q;
    }
    if (convs != 1)
        return vn_fail(err, VN_EINPUT, "--name-format",
                       "\"%s\" (expected exactly one %%d or %%0Nd, e.g. esxi-%%02d)", format);
    int n = snprintf(out, len, format, index);
    if (n < 0 || (size_t)n >= len || n > 79)
        return vn_fail(err, VN_EINPUT, "--name-format",
                       "names too long (vSphere: < 80 characters)");
    return VN_OK;
}

int vn_deploy_ip(const char *range, int index, int count, char *out, size_t len, vn_error *err)
{
    char first[64], last[64];
    const char *dash = strchr(range, '-');
    struct in_addr a, b;
    if (!dash || (size_t)(dash - range) >= sizeof(first) || strlen(dash + 1) >= sizeof(last))
        return vn_fail(err, VN_EINPUT, "--ip-range",
                       "\"%s\" (expected FIRST-LAST, e.g. "
                       "10.0.0.11-10.0.0.42)",
                       range);
    snprintf(first, sizeof(first), "%.*s", (int)(dash - range), range);
    snprintf(last, sizeof(last), "%s", dash + 1);
    if (inet_pton(AF_INET, first, &a) != 1 || inet_pton(AF_INET, last, &b) != 1)
        return vn_fail(err, VN_EINPUT, "--ip-range", "\"%s\" (expected two IPv4 addresses)", range);
    unsigned long lo = ntohl(a.s_addr), hi = ntohl(b.s_addr);
    if (hi < lo || hi - lo + 1 < (unsigned long)count)
        return vn_fail(err, VN_EINPUT, "--ip-range",
                       "\"%s\" holds %lu addresses (expected at least %d, one per host)", range,
                       hi >= lo ? hi - lo + 1 : 0, count);
    struct in_addr x = {htonl((uint32_t)(lo + (unsigned long)index))};
    inet_ntop(AF_INET, &x, out, (socklen_t)len);
    return VN_OK;
}

/* ---- reading what exists ---- */

typedef struct existing_ctx {
    vn_deploy_plan *plan;
} existing_ctx;

static const char *extra_value(const vn_xnode *list, const char *key, char *buf, size_t len)
{
    char k[256];
    const char *found = NULL;
    for (const vn_xnode *o = vn_xn_first(list, NULL); o; o = vn_xn_next(o, NULL)) {
        if (!strcmp(vn_xn_text(vn_xn_first(o, "key"), k, sizeof(k)), key))
            found = vn_xn_text(vn_xn_first(o, "value"), buf, len); /* last one wins */
    }
    return found;
}

static int on_existing(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    vn_deploy_plan *plan = ((existing_ctx *)ctx)->plan;
    char name[256], buf[1024], tmpl[16];
    vn_prop_text(o, "name", name, sizeof(name));
    for (int i = 0; i < plan->count; i++) {
        vn_deploy_host *h = &plan->hosts[i];
        if (strcmp(h->name, name) != 0)
            continue;
        h->vm = *obj;
        if (!strcmp(vn_prop_text(o, "config.template", tmpl, sizeof(tmpl)), "true")) {
            h->status = VN_DEPLOY_FAILED;
            snprintf(h->detail, sizeof(h->detail), "a template with this name exists");
            continue;
        }
        const vn_xnode *extra = vn_prop_find(o, "config.extraConfig");
        for (int k = 0; k < h->nkv; k++) {
            const char *v = extra_value(extra, h->keys[k], buf, sizeof(buf));
            if (!v || strcmp(v, h->values[k]) != 0) {
                h->status = VN_DEPLOY_FAILED;
                snprintf(h->detail, sizeof(h->detail),
                         "exists with a different %s (left untouched)", h->keys[k]);
                break;
            }
        }
        if (h->status != VN_DEPLOY_FAILED) {
            h->status = VN_DEPLOY_SKIPPED;
            snprintf(h->detail, sizeof(h->detail), "exists and matches");
        }
    }
    return 0;
}

/* ---- cloning ---- */

static void clone_body(const vn_deploy_plan *plan, const vn_deploy_host *h, vn_buf *b)
{
    vn_xw_call_begin(b, "CloneVM_Task", plan->template_vm.type, plan->template_vm.id);
    vn_xw_mor(b, "folder", plan->place.folder.type, plan->place.folder.id);
    vn_xw_str(b, "name", h->name);
    vn_xw_open(b, "spec");
    /* VirtualMachineCloneSpec: location, template, config, customization,
     * powerOn; RelocateSpec: folder?, datastore, diskMoveType, pool, host. */
    vn_xw_open(b, "location");
    if (plan->place.datastore.id[0])
        vn_xw_mor(b, "datastore", plan->place.datastore.type, plan->place.datastore.id);
    vn_xw_mor(b, "pool", plan->place.pool.type, plan->place.pool.id);
    if (plan->place.has_host)
        vn_xw_mor(b, "host", plan->place.host.type, plan->place.host.id);
    vn_xw_close(b, "location");
    vn_xw_bool(b, "template", 0);
    vn_xw_open(b, "config");
    for (int k = 0; k < h->nkv; k++) {
        vn_xw_open(b, "extraConfig");
        vn_xw_str(b, "key", h->keys[k]);
        vn_xw_any_str(b, "value", h->values[k]);
        vn_xw_close(b, "extraConfig");
    }
    vn_xw_bool(b, "nestedHVEnabled", 1);
    vn_xw_close(b, "config");
    vn_xw_bool(b, "powerOn", 0);
    vn_xw_close(b, "spec");
    vn_xw_call_end(b, "CloneVM_Task");
}

static void fail_host(vn_deploy_host *h, const char *type, const char *msg)
{
    h->status = VN_DEPLOY_FAILED;
    snprintf(h->detail, sizeof(h->detail), "%.60s%s%.250s", type, msg[0] ? ": " : "", msg);
}

/* The hosts of a batch that a step applies to, with the context the
 * parallel sender needs to build each call. */
typedef struct step_ctx {
    vn_vimpool *pool;
    vn_deploy_plan *plan;
    int *idx;      /* host index of each call */
    vn_buf *specs; /* reconcile: per host index */
} step_ctx;

static void clone_call(void *ctx, int i, vn_buf *b)
{
    step_ctx *c = ctx;
    clone_body(c->plan, &c->plan->hosts[c->idx[i]], b);
}

/* Starts `n` calls (bodies from `build`) over the plan's connection pool
 * and awaits their tasks together. Hosts whose call or task failed are
 * marked failed with `what`; ok[k] says which succeeded and result[k] holds
 * each task's result. */
static int run_step(vn_vim *vim, vn_deploy_plan *plan, int *idx, int n, vn_body_fn build,
                    step_ctx *c, const char *what, int *ok, vn_mor *result, vn_error *err)
{
    if (n == 0)
        return VN_OK;
    vn_started st[n];
    vn_vimpool_start(c->pool, n, build, c, st);
    vn_task_result t[n];
    int tk[n], nt = 0;
    for (int k = 0; k < n; k++) {
        ok[k] = 0;
        if (!st[k].ok) {
            fail_host(&plan->hosts[idx[k]], st[k].fault.type[0] ? st[k].fault.type : what,
                      st[k].fault.type[0] ? st[k].fault.message : st[k].msg);
            continue;
        }
        memset(&t[nt], 0, sizeof(t[nt]));
        t[nt].task = st[k].task;
        tk[nt++] = k;
    }
    int rc = vn_vim_wait_tasks(vim, t, (size_t)nt, 3600, err);
    for (int j = 0; j < nt; j++) {
        int k = tk[j];
        if (rc != VN_OK)
            fail_host(&plan->hosts[idx[k]], what, err->msg);
        else if (!t[j].ok)
            fail_host(&plan->hosts[idx[k]], t[j].fault.type, t[j].fault.message);
        else {
            ok[k] = 1;
            if (result)
                result[k] = t[j].result;
        }
    }
    return rc;
}

/* Clones the pending hosts of [from, to) and waits for all of them. */
static int clone_batch(vn_vim *vim, vn_vimpool *pool, vn_deploy_plan *plan, int from, int to,
                       vn_error *err)
{
    int idx[to - from], n = 0;
    for (int i = from; i < to; i++)
        if (plan->hosts[i].status == VN_DEPLOY_PENDING)
            idx[n++] = i;
    if (n == 0)
        return VN_OK;
    step_ctx c = {pool, plan, idx, NULL};
    int ok[n];
    vn_mor result[n];
    int rc = run_step(vim, plan, idx, n, clone_call, &c, "clone", ok, result, err);
    for (int k = 0; k < n; k++)
        if (ok[k]) {
            vn_deploy_host *h = &plan->hosts[idx[k]];
            h->vm = result[k];
            h->status = VN_DEPLOY_CREATED;
            snprintf(h->detail, sizeof(h->detail), "cloned");
        }
    return rc;
}

/* What did not carry over to the clones (vcsim drops nested HV and may
 * drop extraConfig; vCenters do the same for hand-edited templates): read
 * them all back in one call, then reconfigure those that need it, all
 * tasks awaited together. */
typedef struct readback_ctx {
    vn_deploy_plan *plan;
    vn_buf *specs; /* one spec per host, by index */
} readback_ctx;

static int on_readback(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    readback_ctx *c = ctx;
    vn_deploy_host *h = NULL;
    int i = 0;
    for (; i < c->plan->count; i++)
        if (!strcmp(c->plan->hosts[i].vm.id, obj->id)) {
            h = &c->plan->hosts[i];
            break;
        }
    if (!h)
        return 0;
    vn_buf *spec = &c->specs[i];
    char buf[1024];
    const vn_xnode *extra = vn_prop_find(o, "config.extraConfig");
    for (int k = 0; k < h->nkv; k++) {
        const char *v = extra_value(extra, h->keys[k], buf, sizeof(buf));
        if (v && !strcmp(v, h->values[k]))
            continue;
        vn_xw_open(spec, "extraConfig");
        vn_xw_str(spec, "key", h->keys[k]);
        vn_xw_any_str(spec, "value", h->values[k]);
        vn_xw_close(spec, "extraConfig");
    }
    if (strcmp(vn_prop_text(o, "config.nestedHVEnabled", buf, sizeof(buf)), "true") != 0)
        vn_xw_bool(spec, "nestedHVEnabled", 1);
    return 0;
}

static void reconfig_call(void *ctx, int i, vn_buf *b)
{
    step_ctx *c = ctx;
    vn_deploy_host *h = &c->plan->hosts[c->idx[i]];
    vn_xw_call_begin(b, "ReconfigVM_Task", h->vm.type, h->vm.id);
    vn_xw_open(b, "spec");
    vn_buf_add(b, c->specs[c->idx[i]].data, c->specs[c->idx[i]].len);
    vn_xw_close(b, "spec");
    vn_xw_call_end(b, "ReconfigVM_Task");
}

static void reconcile_batch(vn_vim *vim, vn_vimpool *pool, vn_deploy_plan *plan, int from, int to)
{
    static const char *const paths[] = {"config.extraConfig", "config.nestedHVEnabled", NULL};
    int n = to - from;
    vn_mor vms[n];
    int idx[n], nvm = 0;
    for (int i = from; i < to; i++)
        if (plan->hosts[i].status == VN_DEPLOY_CREATED) {
            vms[nvm] = plan->hosts[i].vm;
            idx[nvm++] = i;
        }
    if (nvm == 0)
        return;
    vn_buf *specs = vn_xcalloc((size_t)plan->count, sizeof(*specs));
    readback_ctx rb = {plan, specs};
    vn_error e = {0};
    int rc = vn_vim_retrieve_objs(vim, vms, (size_t)nvm, paths, on_readback, &rb, &e);
    if (rc != VN_OK) {
        for (int k = 0; k < nvm; k++)
            fail_host(&plan->hosts[idx[k]], "reconcile", e.msg);
    } else {
        int todo[nvm], nt = 0;
        for (int k = 0; k < nvm; k++)
            if (specs[idx[k]].len)
                todo[nt++] = idx[k];
        step_ctx c = {pool, plan, todo, specs};
        int ok[nt > 0 ? nt : 1];
        run_step(vim, plan, todo, nt, reconfig_call, &c, "reconcile", ok, NULL, &e);
        for (int k = 0; k < nt; k++)
            if (ok[k])
                snprintf(plan->hosts[todo[k]].detail, sizeof(plan->hosts[0].detail),
                         "cloned; settings the clone lost were restored");
    }
    for (int i = 0; i < plan->count; i++)
        vn_buf_free(&specs[i]);
    free(specs);
}

static void power_call(void *ctx, int i, vn_buf *b)
{
    step_ctx *c = ctx;
    vn_deploy_host *h = &c->plan->hosts[c->idx[i]];
    vn_xw_call_begin(b, "PowerOnVM_Task", h->vm.type, h->vm.id);
    vn_xw_call_end(b, "PowerOnVM_Task");
}

static void progress_all(vn_deploy_plan *plan, vn_deploy_progress progress, void *ctx)
{
    int done = 0;
    for (int i = 0; i < plan->count; i++)
        done += plan->hosts[i].status != VN_DEPLOY_PENDING;
    if (progress)
        progress(ctx, NULL, done, plan->count);
}

static int run_steps(vn_vim *vim, vn_vimpool *pool, vn_deploy_plan *plan, int k,
                     vn_deploy_progress progress, void *ctx, vn_error *err);

int vn_deploy_run(vn_vim *vim, vn_deploy_plan *plan, vn_deploy_progress progress, void *ctx,
                  vn_error *err)
{
    static const char *const paths[] = {"name", "config.template", "config.extraConfig", NULL};
    existing_ctx ec = {plan};
    int rc = vn_vim_retrieve_all(vim, NULL, "VirtualMachine", paths, on_existing, &ec, err);
    if (rc != VN_OK)
        return rc;
    int k = plan->parallel > 0 ? plan->parallel : 8;
    vn_vimpool *pool = vn_vimpool_new(vim, k);
    rc = run_steps(vim, pool, plan, k, progress, ctx, err);
    vn_vimpool_free(pool);
    return rc;
}

/* The clone, reconcile and power-on steps, K hosts at a time. */
static int run_steps(vn_vim *vim, vn_vimpool *pool, vn_deploy_plan *plan, int k,
                     vn_deploy_progress progress, void *ctx, vn_error *err)
{
    int rc = VN_OK;
    for (int from = 0; from < plan->count; from += k) {
        int to = from + k < plan->count ? from + k : plan->count;
        rc = clone_batch(vim, pool, plan, from, to, err);
        if (rc == VN_OK)
            reconcile_batch(vim, pool, plan, from, to);
        progress_all(plan, progress, ctx);
        if (rc != VN_OK)
            return rc;
    }
    if (!plan->power_on)
        return VN_OK;
    /* Power on every clone made or matched; one already on is fine. */
    for (int from = 0; from < plan->count; from += k) {
        int to = from + k < plan->count ? from + k : plan->count;
        int idx[k], n = 0;
        for (int i = from; i < to; i++)
            if (plan->hosts[i].status == VN_DEPLOY_CREATED ||
                plan->hosts[i].status == VN_DEPLOY_SKIPPED)
                idx[n++] = i;
        if (n == 0)
            continue;
        vn_deploy_status before[n];
        char detail[n][sizeof(plan->hosts[0].detail)];
        for (int j = 0; j < n; j++) {
            before[j] = plan->hosts[idx[j]].status;
            memcpy(detail[j], plan->hosts[idx[j]].detail, sizeof(detail[j]));
        }
        step_ctx c = {pool, plan, idx, NULL};
        int ok[n];
        rc = run_step(vim, plan, idx, n, power_call, &c, "power on", ok, NULL, err);
        for (int j = 0; j < n; j++) {
            vn_deploy_host *h = &plan->hosts[idx[j]];
            if (!ok[j] && strstr(h->detail, "InvalidPowerState")) {
                h->status = before[j]; /* it was on already */
                memcpy(h->detail, detail[j], sizeof(h->detail));
            }
        }
        if (rc != VN_OK)
            return rc;
    }
    return VN_OK;
}

void vn_deploy_plan_free(vn_deploy_plan *plan)
{
    for (int i = 0; i < plan->count; i++)
        for (int k = 0; k < plan->hosts[i].nkv; k++) {
            free((char *)plan->hosts[i].keys[k]);
            free(plan->hosts[i].values[k]);
        }
    free(plan->hosts);
    memset(plan, 0, sizeof(*plan));
}
