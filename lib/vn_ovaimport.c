#include "vn_ovaimport.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vn_apivm.h"
#include "vn_buf.h"
#include "vn_ks.h"
#include "vn_xmlw.h"

int vn_ova_import_ready(const vn_ova_report *pkg, vn_error *err)
{
    for (size_t i = 0; i < pkg->findings.n; i++) {
        const vn_finding *f = &pkg->findings.v[i];
        if (f->severity != VN_SEV_ERROR)
            continue;
        if (f->rule != &vn_ova_rule_files && f->rule != &vn_ovf_rule_structure &&
            f->rule != &vn_ova_rule_manifest && f->rule != &vn_ova_rule_order)
            continue;
        return vn_fail(err, VN_EINPUT, pkg->ova.path,
                       "not importable: %s %s: %s (vnest ova check lists every problem)",
                       f->rule->id, f->key, f->note ? f->note : "");
    }
    return VN_OK;
}

int vn_ova_import_props(const vn_ovf *ovf, const char *const *kv, size_t n, char ***out,
                        vn_error *err)
{
    char **res = vn_xcalloc(n ? n : 1, sizeof(*res));
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '=');
        if (!eq || eq == kv[i]) {
            vn_ova_import_props_free(res, n);
            return vn_fail(err, VN_EINPUT, "--prop", "\"%.200s\" is not KEY=VALUE", kv[i]);
        }
        char key[256];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
        const vn_ovf_prop *p = vn_ovf_prop_find(ovf, key);
        if (!p) {
            vn_buf known = VN_BUF_INIT;
            for (size_t j = 0; j < ovf->nprops; j++)
                vn_buf_addf(&known, "%s%s", j ? ", " : "", ovf->props[j].key);
            vn_fail(err, VN_EINPUT, "--prop", "the descriptor has no property \"%s\" (it has: %s)",
                    key, known.len ? known.data : "none");
            vn_buf_free(&known);
            vn_ova_import_props_free(res, n);
            return VN_EINPUT;
        }
        if (eq[1] != '@' && p->password) {
            vn_ova_import_props_free(res, n);
            return vn_fail(err, VN_EINPUT, "--prop",
                           "%s is a password: on the command line it would be visible to other "
                           "users (expected %s=@FILE, a file only you can read)",
                           key, key);
        }
        vn_buf b = VN_BUF_INIT;
        vn_buf_addf(&b, "%s=", key);
        if (eq[1] == '@') {
            char *secret = NULL;
            if (vn_ks_read_password(eq + 2, &secret, err) != VN_OK) {
                vn_buf_free(&b);
                vn_ova_import_props_free(res, n);
                return VN_EINPUT;
            }
            vn_buf_adds(&b, secret);
            vn_ks_wipe_free(secret);
        } else {
            vn_buf_adds(&b, eq + 1);
        }
        res[i] = vn_buf_detach(&b, NULL);
    }
    *out = res;
    return VN_OK;
}

void vn_ova_import_props_free(char **props, size_t n)
{
    if (!props)
        return;
    for (size_t i = 0; i < n; i++)
        vn_ks_wipe_free(props[i]);
    free(props);
}

/* --- keeping the lease alive ---------------------------------------------- */

/* vCenter expires an idle lease (leaseTimeout, 300 s by default); one
 * upload can take longer, so a second connection on the same session
 * reports progress while the main one is busy sending. */
typedef struct keepalive {
    vn_vim *dup;
    vn_mor lease;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, percent, running;
} keepalive;

static void *keepalive_main(void *arg)
{
    keepalive *k = arg;
    pthread_mutex_lock(&k->mu);
    while (!k->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 20;
        pthread_cond_timedwait(&k->cv, &k->mu, &ts);
        if (k->stop)
            break;
        int pct = k->percent;
        pthread_mutex_unlock(&k->mu);
        vn_error e = {0};
        vn_vimovf_lease_progress(k->dup, &k->lease, pct, &e); /* best effort */
        pthread_mutex_lock(&k->mu);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

static void keepalive_start(keepalive *k, vn_vim *vim, const vn_mor *lease)
{
    memset(k, 0, sizeof(*k));
    k->lease = *lease;
    vn_error e = {0};
    if (vn_vim_dup(vim, &k->dup, &e) != VN_OK)
        return; /* no keep-alive: uploads that finish within the lease timeout still work */
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    k->running = pthread_create(&k->thread, NULL, keepalive_main, k) == 0;
    if (!k->running)
        vn_vim_close_dup(k->dup);
}

static void keepalive_set(keepalive *k, int percent)
{
    if (!k->running)
        return;
    pthread_mutex_lock(&k->mu);
    k->percent = percent;
    pthread_mutex_unlock(&k->mu);
}

static void keepalive_stop(keepalive *k)
{
    if (!k->running)
        return;
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
    vn_vim_close_dup(k->dup);
    k->running = 0;
}

/* --- placement and mappings --------------------------------------------------- */

static int map_networks(vn_vim *vim, const vn_ovf *ovf, const char *network, vn_ovf_netmap *maps,
                        size_t *n, vn_error *err)
{
    *n = 0;
    vn_placement given;
    if (network) {
        int rc = vn_inv_network(vim, network, &given, err);
        if (rc != VN_OK)
            return rc;
    }
    for (size_t i = 0; i < ovf->nnetworks; i++) {
        if (network) {
            maps[*n].name = ovf->networks[i];
            maps[(*n)++].network = given.network;
            continue;
        }
        /* Without --network, a network of the same name is used when the
         * inventory has one; otherwise the server picks its default. */
        vn_placement same;
        vn_error e = {0};
        if (vn_inv_network(vim, ovf->networks[i], &same, &e) == VN_OK) {
            maps[*n].name = ovf->networks[i];
            maps[(*n)++].network = same.network;
        }
    }
    return VN_OK;
}

static void split_props(const vn_ova_import_req *req, const char **keys, const char **values,
                        char **store)
{
    for (size_t i = 0; i < req->nprops; i++) {
        const char *eq = strchr(req->props[i], '=');
        store[i] = vn_xstrndup(req->props[i], (size_t)(eq - req->props[i]));
        keys[i] = store[i];
        values[i] = eq + 1;
    }
}

/* --- upload ---------------------------------------------------------------------- */

/* Every file goes up with PUT. govc POSTs a file item whose `create` is
 * false (an update of an existing file); an import only creates files, and
 * vCenter and ESXi mark them create=true. vcsim leaves `create` unset and
 * takes PUT like POST. */
static int upload_one(vn_vim *vim, vn_ova_report *pkg, const vn_ova_member *m, const char *url,
                      const vn_tls *tls, vn_error *err)
{
    const void *data;
    void *base;
    size_t maplen;
    int rc = vn_ova_map_member(&pkg->ova, m, &data, &base, &maplen, err);
    if (rc != VN_OK)
        return rc;
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    rc = vn_http_put_url(vim->http, tls, url, data, (size_t)m->size, &resp, &status, err);
    vn_ova_unmap(base, maplen);
    vn_buf_free(&resp);
    if (rc == VN_OK && (status < 200 || status > 299))
        rc = vn_fail(err, VN_ERUNTIME, m->name, "upload refused: HTTP %ld from the server", status);
    if (rc != VN_OK)
        return rc;
    /* The manifest is checked in the same pass: the member's pages were
     * just read for the upload, so this costs CPU, not another read. */
    const vn_ova_digest *d = vn_ova_manifest_find(&pkg->ova, m->name);
    if (!d)
        return VN_OK;
    char hex[129];
    rc = vn_ova_digest_member(&pkg->ova, m, d->alg, hex, err);
    if (rc == VN_OK && strcmp(hex, d->hex) != 0)
        rc = vn_fail(err, VN_EINPUT, m->name,
                     "%s digest differs from the manifest (%s line %d): the file is corrupt; "
                     "import aborted",
                     vn_digest_alg_name(d->alg), pkg->ova.mf_name, d->line);
    return rc;
}

static int upload_all(vn_vim *vim, vn_ova_report *pkg, const vn_import_spec *spec,
                      const vn_lease_info *info, const vn_mor *lease, const vn_ova_import_req *req,
                      vn_ova_import_result *res, vn_error *err)
{
    unsigned long long total = 0, done = 0;
    for (size_t i = 0; i < spec->nitems; i++) {
        const vn_ova_member *m = vn_ova_member_find(&pkg->ova, spec->items[i].path);
        if (!m)
            return vn_fail(err, VN_EINPUT, pkg->ova.path,
                           "the server asks for %s, which is not in the package",
                           spec->items[i].path);
        if (!vn_lease_url_find(info, spec->items[i].device_id))
            return vn_fail(err, VN_ERUNTIME, spec->items[i].path,
                           "the lease has no upload URL for device %s", spec->items[i].device_id);
        total += m->size;
    }
    keepalive k;
    keepalive_start(&k, vim, lease);
    int rc = VN_OK;
    for (size_t i = 0; i < spec->nitems && rc == VN_OK; i++) {
        const vn_ova_member *m = vn_ova_member_find(&pkg->ova, spec->items[i].path);
        const vn_lease_url *u = vn_lease_url_find(info, spec->items[i].device_id);
        if (req->progress)
            req->progress(req->progress_ctx, m->name, i, spec->nitems, done, total);
        rc = upload_one(vim, pkg, m, u->url, req->tls, err);
        if (rc != VN_OK)
            break;
        done += m->size;
        res->files++;
        res->bytes += m->size;
        int pct = total ? (int)(done * 100 / total) : 100;
        keepalive_set(&k, pct);
        rc = vn_vimovf_lease_progress(vim, lease, pct, err);
    }
    keepalive_stop(&k);
    if (rc == VN_OK && req->progress)
        req->progress(req->progress_ctx, NULL, spec->nitems, spec->nitems, total, total);
    return rc;
}

/* Removes what ImportVApp created. vCenter deletes the VM of an aborted
 * lease itself (then Destroy_Task finds nothing); the simulator leaves it,
 * and so may a server whose lease never became ready. */
static void discard(vn_vim *vim, const vn_mor *lease, const vn_mor *entity, const char *why)
{
    vn_error e = {0};
    vn_vimovf_lease_abort(vim, lease, why, &e);
    if (!entity || !entity->id[0])
        return;
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "Destroy_Task", entity->type, entity->id);
    vn_xw_call_end(&b, "Destroy_Task");
    vn_error e2 = {0};
    vn_apivm_run_task(vim, &b, entity->id, 600, NULL, &e2);
    vn_buf_free(&b);
}

/* --- after the import ------------------------------------------------------------- */

static const char *ovf_config(const vn_ovf *ovf, const char *key)
{
    for (size_t i = 0; i < ovf->nconfig; i++)
        if (!strcmp(ovf->config[i].key, key))
            return ovf->config[i].value;
    return NULL;
}

static int restore_settings(vn_vim *vim, const vn_ovf *ovf, vn_ova_import_result *res,
                            vn_error *err)
{
    vn_api_vm vm;
    int rc = vn_apivm_read(vim, &res->vm, &vm, err);
    if (rc != VN_OK) {
        vn_api_vm_free(&vm);
        return rc;
    }
    /* ConfigSpec order: extraConfig, firmware, nestedHVEnabled. */
    vn_buf spec = VN_BUF_INIT;
    for (size_t i = 0; i < ovf->nextra; i++) {
        const char *k = ovf->extra[i].key;
        if (!vn_vmx_key_valid(k) || !strcasecmp(k, "vhv.enable") || !strcasecmp(k, "firmware") ||
            !strcasecmp(k, "uefi.secureBoot.enabled") || vn_vmx_get(vm.vmx, k))
            continue;
        vn_xw_open(&spec, "extraConfig");
        vn_xw_str(&spec, "key", k);
        vn_xw_any_str(&spec, "value", ovf->extra[i].value);
        vn_xw_close(&spec, "extraConfig");
        res->extra_restored++;
    }
    const char *fw = ovf_config(ovf, "firmware");
    const char *cur_fw = vn_vmx_get(vm.vmx, "firmware");
    if (fw && (!strcasecmp(fw, "efi") || !strcasecmp(fw, "bios")) &&
        !(cur_fw && !strcasecmp(cur_fw, fw))) {
        vn_xw_str(&spec, "firmware", !strcasecmp(fw, "efi") ? "efi" : "bios");
        res->firmware_set = 1;
    }
    const char *hv = vn_vmx_get(vm.vmx, "vhv.enable");
    if (!hv || strcasecmp(hv, "TRUE") != 0) {
        vn_xw_bool(&spec, "nestedHVEnabled", 1);
        res->nested_hv_set = 1;
    }
    vn_api_vm_free(&vm);
    if (spec.len)
        rc = vn_apivm_reconfigure(vim, &res->vm, spec.data, err);
    vn_buf_free(&spec);
    return rc;
}

/* --- the import ------------------------------------------------------------------ */

int vn_ova_import(vn_vim *vim, vn_ova_report *pkg, const vn_ova_import_req *req,
                  vn_ova_import_result *res, vn_error *err)
{
    memset(res, 0, sizeof(*res));
    vn_mor existing;
    int rc = vn_inv_find(vim, "VirtualMachine", req->name, "--name", &existing, 1, err);
    if (rc == 1)
        return vn_fail(err, VN_EINPUT, req->name,
                       "a VM with this name already exists (%s); choose another --name",
                       existing.id);
    if (rc != 0)
        return rc;
    vn_place_req place = req->place;
    place.network = NULL;
    vn_placement p;
    rc = vn_inv_place(vim, &place, &p, err);
    if (rc != VN_OK)
        return rc;
    vn_ovf_netmap *nets = vn_xcalloc(pkg->ovf.nnetworks + 1, sizeof(*nets));
    const char **keys = vn_xcalloc(req->nprops + 1, sizeof(*keys));
    const char **values = vn_xcalloc(req->nprops + 1, sizeof(*values));
    char **store = vn_xcalloc(req->nprops + 1, sizeof(*store));
    size_t nnets = 0;
    vn_import_spec spec = {0};
    rc = map_networks(vim, &pkg->ovf, req->network, nets, &nnets, err);
    if (rc == VN_OK) {
        split_props(req, keys, values, store);
        vn_import_params ip = {pkg->ova.ovf,
                               req->name,
                               p.pool,
                               p.datastore,
                               p.has_host ? &p.host : NULL,
                               nets,
                               nnets,
                               keys,
                               values,
                               req->nprops,
                               req->provisioning ? req->provisioning : "thin"};
        rc = vn_vimovf_create_import_spec(vim, &ip, &spec, err);
    }
    vn_mor lease = {{0}, {0}};
    if (rc == VN_OK) {
        if (spec.warnings)
            res->warnings = vn_xstrdup(spec.warnings);
        rc = vn_vimovf_import_vapp(vim, &p.pool, &spec, &p.folder, p.has_host ? &p.host : NULL,
                                   &lease, err);
    }
    vn_lease_info info = {0};
    if (rc == VN_OK) {
        rc = vn_vimovf_lease_wait(vim, &lease, &info, 600, err);
        if (rc == VN_OK)
            res->vm = info.entity;
        if (rc == VN_OK)
            rc = upload_all(vim, pkg, &spec, &info, &lease, req, res, err);
        if (rc == VN_OK)
            rc = vn_vimovf_lease_complete(vim, &lease, err);
        if (rc != VN_OK) {
            discard(vim, &lease, info.entity.id[0] ? &info.entity : NULL, err->msg);
            memset(&res->vm, 0, sizeof(res->vm));
        }
    }
    if (rc == VN_OK)
        rc = restore_settings(vim, &pkg->ovf, res, err);
    vn_lease_info_free(&info);
    vn_import_spec_free(&spec);
    for (size_t i = 0; i < req->nprops; i++)
        free(store[i]);
    free(store);
    free(keys);
    free(values);
    free(nets);
    return rc;
}

void vn_ova_import_result_free(vn_ova_import_result *res)
{
    free(res->warnings);
    memset(res, 0, sizeof(*res));
}
