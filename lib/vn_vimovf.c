#include "vn_vimovf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vn_buf.h"
#include "vn_vimprop.h"
#include "vn_xmlw.h"

static int call(vn_vim *vim, vn_buf *b, vn_soap_reply *reply, vn_error *err)
{
    vn_fault fault;
    int rc = vn_vim_call(vim, b, reply, &fault, err);
    vn_buf_free(b);
    return rc;
}

static int call_void(vn_vim *vim, vn_buf *b, vn_error *err)
{
    vn_soap_reply reply;
    int rc = call(vim, b, &reply, err);
    if (rc == VN_OK)
        vn_soap_reply_free(&reply);
    return rc;
}

/* OvfCreateImportSpecParams, in schema order: the OvfManagerCommonParams
 * (locale, deploymentOption) first, then entityName, hostSystem,
 * networkMapping, propertyMapping, diskProvisioning. */
static void cisp(vn_buf *b, const vn_import_params *p)
{
    vn_xw_open(b, "cisp");
    vn_xw_str(b, "locale", "");
    vn_xw_str(b, "deploymentOption", "");
    vn_xw_str(b, "entityName", p->entity_name);
    if (p->host)
        vn_xw_mor(b, "hostSystem", p->host->type, p->host->id);
    for (size_t i = 0; i < p->nnets; i++) {
        vn_xw_open(b, "networkMapping");
        vn_xw_str(b, "name", p->nets[i].name);
        vn_xw_mor(b, "network", p->nets[i].network.type, p->nets[i].network.id);
        vn_xw_close(b, "networkMapping");
    }
    for (size_t i = 0; i < p->nprops; i++) {
        vn_xw_open(b, "propertyMapping");
        vn_xw_str(b, "key", p->prop_keys[i]);
        vn_xw_str(b, "value", p->prop_values[i]);
        vn_xw_close(b, "propertyMapping");
    }
    vn_xw_str(b, "diskProvisioning", p->disk_provisioning);
    vn_xw_close(b, "cisp");
}

static void faults_text(const vn_xnode *rv, const char *name, vn_buf *out)
{
    for (const vn_xnode *e = vn_xn_first(rv, name); e; e = vn_xn_next(e, name)) {
        vn_fault f;
        vn_soap_method_fault(e, &f);
        if (out->len)
            vn_buf_adds(out, "; ");
        vn_buf_adds(out, f.message[0] ? f.message : f.type[0] ? f.type : "(no message)");
    }
}

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define XSD_NS "http://www.w3.org/2001/XMLSchema"

static void attr_escaped(vn_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            vn_buf_adds(b, "&amp;");
            break;
        case '<':
            vn_buf_adds(b, "&lt;");
            break;
        case '>':
            vn_buf_adds(b, "&gt;");
            break;
        case '"':
            vn_buf_adds(b, "&quot;");
            break;
        default:
            vn_buf_addc(b, *s);
        }
    }
}

/* xsi:type="P:T" with P bound in the reply: "xsd:T" for XML Schema types,
 * plain "T" for vim25's (the default namespace of a request body). */
static void xsi_type(vn_buf *b, const vn_xnode *el, const char *value)
{
    const char *colon = strchr(value, ':');
    const char *local = colon ? colon + 1 : value;
    int xsd = 0;
    if (colon) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "%.*s", (int)(colon - value), value);
        const char *uri = vn_xn_lookup_ns(el, prefix);
        xsd = uri && !strcmp(uri, XSD_NS);
    }
    vn_buf_adds(b, " xsi:type=\"");
    if (xsd)
        vn_buf_adds(b, "xsd:");
    attr_escaped(b, local);
    vn_buf_addc(b, '"');
}

/* The children of `node` written again, as a request body needs them: the
 * spec goes back in ImportVApp unchanged in content, but a reply's
 * namespace prefixes (vcsim writes "XMLSchema-instance:type") are not bound
 * in the request, so each element is re-emitted with the request's own
 * prefixes (xsi, xsd, and vim25 as the default namespace). */
static void children_xml(vn_buf *b, const vn_xnode *node, int depth)
{
    if (depth > 64)
        return; /* no ImportSpec is this deep; a hostile reply is cut */
    for (const vn_xnode *c = node->children; c; c = c->next) {
        vn_buf_addf(b, "<%s", c->name);
        for (const vn_xattr *a = c->attrs; a; a = a->next) {
            if (!strcmp(a->ns, XSI_NS) && !strcmp(a->name, "type")) {
                xsi_type(b, c, a->value);
            } else if (!a->ns[0]) {
                vn_buf_addf(b, " %s=\"", a->name);
                attr_escaped(b, a->value);
                vn_buf_addc(b, '"');
            }
        }
        vn_buf_addc(b, '>');
        if (c->children)
            children_xml(b, c, depth + 1);
        else
            vn_xw_text(b, c->text);
        vn_buf_addf(b, "</%s>", c->name);
    }
}

int vn_vimovf_create_import_spec(vn_vim *vim, const vn_import_params *p, vn_import_spec *out,
                                 vn_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!vim->ovf_manager.id[0])
        return vn_fail(err, VN_ERUNTIME, vim->where, "the server has no OvfManager");
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "CreateImportSpec", vim->ovf_manager.type, vim->ovf_manager.id);
    vn_xw_str(&b, "ovfDescriptor", p->descriptor);
    vn_xw_mor(&b, "resourcePool", p->pool.type, p->pool.id);
    vn_xw_mor(&b, "datastore", p->datastore.type, p->datastore.id);
    cisp(&b, p);
    vn_xw_call_end(&b, "CreateImportSpec");
    vn_soap_reply reply;
    int rc = call(vim, &b, &reply, err);
    if (rc != VN_OK)
        return rc;
    const vn_xnode *rv = vn_xn_first(reply.result, "returnval");
    vn_buf errors = VN_BUF_INIT, warnings = VN_BUF_INIT;
    faults_text(rv, "error", &errors);
    faults_text(rv, "warning", &warnings);
    const vn_xnode *spec = vn_xn_first(rv, "importSpec");
    if (errors.len) {
        rc = vn_fail(err, VN_EINPUT, p->entity_name, "the server refused the descriptor: %s",
                     errors.data);
    } else if (!spec) {
        rc = vn_fail(err, VN_ERUNTIME, vim->where, "CreateImportSpec returned no import spec");
    } else {
        vn_xn_xsi_type(spec, out->spec_type, sizeof(out->spec_type));
        vn_buf x = VN_BUF_INIT;
        children_xml(&x, spec, 0);
        out->spec_xml = x.len ? vn_buf_detach(&x, NULL) : vn_xstrdup("");
        for (const vn_xnode *f = vn_xn_first(rv, "fileItem"); f; f = vn_xn_next(f, "fileItem")) {
            out->items = vn_xrealloc(out->items, (out->nitems + 1) * sizeof(*out->items));
            vn_ovf_file_item *it = &out->items[out->nitems++];
            char buf[32];
            it->device_id = vn_xn_strdup(vn_xn_first(f, "deviceId"));
            it->path = vn_xn_strdup(vn_xn_first(f, "path"));
            if (!it->device_id)
                it->device_id = vn_xstrdup("");
            if (!it->path)
                it->path = vn_xstrdup("");
            vn_xn_text(vn_xn_first(f, "size"), buf, sizeof(buf));
            it->size = buf[0] ? strtoll(buf, NULL, 10) : -1;
            vn_xn_text(vn_xn_first(f, "create"), buf, sizeof(buf));
            it->create = strcmp(buf, "false") != 0;
        }
        if (warnings.len)
            out->warnings = vn_buf_detach(&warnings, NULL);
    }
    vn_buf_free(&errors);
    vn_buf_free(&warnings);
    vn_soap_reply_free(&reply);
    if (rc != VN_OK)
        vn_import_spec_free(out);
    return rc;
}

void vn_import_spec_free(vn_import_spec *s)
{
    for (size_t i = 0; i < s->nitems; i++) {
        free(s->items[i].device_id);
        free(s->items[i].path);
    }
    free(s->items);
    free(s->spec_xml);
    free(s->warnings);
    memset(s, 0, sizeof(*s));
}

int vn_vimovf_import_vapp(vn_vim *vim, const vn_mor *pool, const vn_import_spec *spec,
                          const vn_mor *folder, const vn_mor *host, vn_mor *lease, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "ImportVApp", pool->type, pool->id);
    vn_xw_open_type(&b, "spec", spec->spec_type[0] ? spec->spec_type : "VirtualMachineImportSpec");
    vn_buf_adds(&b, spec->spec_xml ? spec->spec_xml : "");
    vn_xw_close(&b, "spec");
    if (folder && folder->id[0])
        vn_xw_mor(&b, "folder", folder->type, folder->id);
    if (host && host->id[0])
        vn_xw_mor(&b, "host", host->type, host->id);
    vn_xw_call_end(&b, "ImportVApp");
    vn_soap_reply reply;
    int rc = call(vim, &b, &reply, err);
    if (rc != VN_OK)
        return rc;
    vn_mor_from(vn_xn_first(reply.result, "returnval"), lease);
    vn_soap_reply_free(&reply);
    if (!lease->id[0])
        return vn_fail(err, VN_ERUNTIME, vim->where, "ImportVApp returned no lease");
    return VN_OK;
}

typedef struct lease_read {
    char state[32];
    vn_fault fault;
    vn_lease_info *info;
} lease_read;

static int on_lease(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    lease_read *r = ctx;
    vn_prop_text(o, "state", r->state, sizeof(r->state));
    const vn_xnode *e = vn_prop_find(o, "error");
    if (e)
        vn_soap_method_fault(e, &r->fault);
    const vn_xnode *info = vn_prop_find(o, "info");
    if (!info || !r->info)
        return 0;
    vn_mor_from(vn_xn_first(info, "entity"), &r->info->entity);
    for (const vn_xnode *d = vn_xn_first(info, "deviceUrl"); d; d = vn_xn_next(d, "deviceUrl")) {
        r->info->urls = vn_xrealloc(r->info->urls, (r->info->nurls + 1) * sizeof(*r->info->urls));
        vn_lease_url *u = &r->info->urls[r->info->nurls++];
        u->import_key = vn_xn_strdup(vn_xn_first(d, "importKey"));
        u->url = vn_xn_strdup(vn_xn_first(d, "url"));
        if (!u->import_key)
            u->import_key = vn_xstrdup("");
        if (!u->url)
            u->url = vn_xstrdup("");
    }
    return 0;
}

int vn_vimovf_lease_wait(vn_vim *vim, const vn_mor *lease, vn_lease_info *info, int timeout_s,
                         vn_error *err)
{
    memset(info, 0, sizeof(*info));
    static const char *const state_paths[] = {"state", "error", NULL};
    static const char *const info_paths[] = {"state", "error", "info", NULL};
    time_t start = time(NULL);
    for (;;) {
        lease_read r = {0};
        int rc = vn_vim_retrieve_objs(vim, lease, 1, state_paths, on_lease, &r, err);
        if (rc != VN_OK)
            return rc;
        if (!strcmp(r.state, "error"))
            return vn_fail(err, VN_ERUNTIME, vim->where, "the import lease failed: %s%s%s",
                           r.fault.type[0] ? r.fault.type : "error", r.fault.message[0] ? ": " : "",
                           r.fault.message);
        if (!strcmp(r.state, "done"))
            return vn_fail(err, VN_ERUNTIME, vim->where, "the import lease ended before upload");
        if (!strcmp(r.state, "ready")) {
            r.info = info;
            rc = vn_vim_retrieve_objs(vim, lease, 1, info_paths, on_lease, &r, err);
            if (rc == VN_OK && !info->entity.id[0])
                rc = vn_fail(err, VN_ERUNTIME, vim->where, "the ready lease names no VM");
            return rc;
        }
        if (time(NULL) - start >= timeout_s)
            return vn_fail(err, VN_ERUNTIME, vim->where,
                           "the import lease is still \"%s\" after %d s", r.state, timeout_s);
        /* "initializing": the server is creating the VM's files. A lease
         * has no task to wait on, hence the poll. */
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
}

void vn_lease_info_free(vn_lease_info *info)
{
    for (size_t i = 0; i < info->nurls; i++) {
        free(info->urls[i].import_key);
        free(info->urls[i].url);
    }
    free(info->urls);
    memset(info, 0, sizeof(*info));
}

const vn_lease_url *vn_lease_url_find(const vn_lease_info *info, const char *import_key)
{
    for (size_t i = 0; i < info->nurls; i++)
        if (!strcmp(info->urls[i].import_key, import_key))
            return &info->urls[i];
    return NULL;
}

int vn_vimovf_lease_progress(vn_vim *vim, const vn_mor *lease, int percent, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "HttpNfcLeaseProgress", lease->type, lease->id);
    vn_xw_int(&b, "percent", percent < 0 ? 0 : percent > 100 ? 100 : percent);
    vn_xw_call_end(&b, "HttpNfcLeaseProgress");
    return call_void(vim, &b, err);
}

int vn_vimovf_lease_complete(vn_vim *vim, const vn_mor *lease, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "HttpNfcLeaseComplete", lease->type, lease->id);
    vn_xw_call_end(&b, "HttpNfcLeaseComplete");
    return call_void(vim, &b, err);
}

int vn_vimovf_lease_abort(vn_vim *vim, const vn_mor *lease, const char *why, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "HttpNfcLeaseAbort", lease->type, lease->id);
    if (why) {
        vn_xw_open(&b, "fault");
        vn_xw_open_type(&b, "fault", "SystemError");
        vn_xw_str(&b, "reason", why);
        vn_xw_close(&b, "fault");
        vn_xw_str(&b, "localizedMessage", why);
        vn_xw_close(&b, "fault");
    }
    vn_xw_call_end(&b, "HttpNfcLeaseAbort");
    return call_void(vim, &b, err);
}
