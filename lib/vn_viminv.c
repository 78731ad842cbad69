#include "vn_viminv.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vn_vimprop.h"
#include "vn_xmlw.h"

const char *vn_inv_unescape(const char *name, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = name; *p && o + 1 < len; p++) {
        if (p[0] == '%' && p[1] && p[2]) {
            if (!strncasecmp(p, "%2f", 3) || !strncasecmp(p, "%5c", 3) || !strncmp(p, "%25", 3)) {
                buf[o++] = !strncasecmp(p, "%2f", 3) ? '/' : !strncasecmp(p, "%5c", 3) ? '\\' : '%';
                p += 2;
                continue;
            }
        }
        buf[o++] = *p;
    }
    buf[o] = '\0';
    return buf;
}

typedef struct find_ctx {
    const char *name; /* NULL: collect any */
    vn_mor first;
    char first_name[256];
    int count;
} find_ctx;

static int on_named(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    find_ctx *c = ctx;
    char raw[256], name[256];
    vn_inv_unescape(vn_prop_text(o, "name", raw, sizeof(raw)), name, sizeof(name));
    if (c->name && strcmp(name, c->name) != 0)
        return 0;
    if (c->count++ == 0) {
        c->first = *obj;
        snprintf(c->first_name, sizeof(c->first_name), "%s", name);
    }
    return 0;
}

static const char *const name_path[] = {"name", NULL};

/* An inventory path ("DC0/host/DC0_C0/Resources", as govc takes them)
 * through SearchIndex.FindByInventoryPath: no reply value means absent. */
static int find_by_path(vn_vim *vim, const char *path, const char *what, vn_mor *out, int optional,
                        vn_error *err)
{
    while (*path == '/')
        path++;
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "FindByInventoryPath", vim->search_index.type, vim->search_index.id);
    vn_xw_str(&b, "inventoryPath", path);
    vn_xw_call_end(&b, "FindByInventoryPath");
    vn_soap_reply reply;
    int rc = vn_vim_call(vim, &b, &reply, NULL, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    const vn_xnode *rv = vn_xn_first(reply.result, "returnval");
    if (rv)
        vn_mor_from(rv, out);
    vn_soap_reply_free(&reply);
    if (rv)
        return 1;
    if (optional)
        return 0;
    return vn_fail(err, VN_EINPUT, what, "no object at inventory path \"%s\" on %s", path,
                   vim->where);
}

int vn_inv_find(vn_vim *vim, const char *type, const char *name, const char *what, vn_mor *out,
                int optional, vn_error *err)
{
    if (strchr(name, '/'))
        return find_by_path(vim, name, what, out, optional, err);
    find_ctx c = {name, {{0}, {0}}, {0}, 0};
    int rc = vn_vim_retrieve_all(vim, NULL, type, name_path, on_named, &c, err);
    if (rc != VN_OK)
        return rc;
    if (c.count == 0) {
        if (optional)
            return 0;
        return vn_fail(err, VN_EINPUT, what, "no %s named \"%s\" on %s", type, name, vim->where);
    }
    if (c.count > 1)
        return vn_fail(err, VN_EINPUT, what,
                       "%d objects of type %s are named \"%s\" (expected one: give its inventory "
                       "path, e.g. DC0/host/CLUSTER/Resources)",
                       c.count, type, name);
    *out = c.first;
    return 1;
}

/* The only object of `type`, when the user named none. */
static int the_only(vn_vim *vim, const char *type, const char *what, vn_mor *out, char *name,
                    size_t namelen, vn_error *err)
{
    find_ctx c = {NULL, {{0}, {0}}, {0}, 0};
    int rc = vn_vim_retrieve_all(vim, NULL, type, name_path, on_named, &c, err);
    if (rc != VN_OK)
        return rc;
    if (c.count != 1)
        return vn_fail(err, VN_EINPUT, what,
                       c.count ? "%d objects of type %s exist (choose one with %s)"
                               : "%d objects of type %s exist (cannot place a VM without one: %s)",
                       c.count, type, what);
    *out = c.first;
    if (name)
        snprintf(name, namelen, "%s", c.first_name);
    return VN_OK;
}

/* Reads one MOR-valued property of one object. */
typedef struct mor_prop_ctx {
    const char *prop;
    vn_mor *out;
    char *text;
    size_t textlen;
} mor_prop_ctx;

static int on_mor_prop(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    mor_prop_ctx *c = ctx;
    const vn_xnode *v = vn_prop_find(o, c->prop);
    if (c->out)
        vn_mor_from(v, c->out);
    if (c->text)
        vn_xn_text(v, c->text, c->textlen);
    return 1;
}

static int read_prop(vn_vim *vim, const vn_mor *obj, const char *prop, vn_mor *out, char *text,
                     size_t textlen, vn_error *err)
{
    const char *paths[] = {prop, NULL};
    mor_prop_ctx c = {prop, out, text, textlen};
    if (out)
        memset(out, 0, sizeof(*out));
    int rc = vn_vim_retrieve_objs(vim, obj, 1, paths, on_mor_prop, &c, err);
    if (rc == VN_OK && out && !out->id[0])
        return vn_fail(err, VN_ERUNTIME, obj->id, "%s %s has no %s", obj->type, obj->id, prop);
    return rc;
}

static int find_or_only(vn_vim *vim, const char *type, const char *name, const char *what,
                        vn_mor *out, char *outname, size_t outlen, vn_error *err)
{
    if (name) {
        int rc = vn_inv_find(vim, type, name, what, out, 0, err);
        if (rc == 1 && outname)
            snprintf(outname, outlen, "%s", name);
        return rc == 1 ? VN_OK : rc;
    }
    return the_only(vim, type, what, out, outname, outlen, err);
}

int vn_inv_network(vn_vim *vim, const char *name, vn_placement *p, vn_error *err)
{
    snprintf(p->network_name, sizeof(p->network_name), "%s", name);
    int rc =
        vn_inv_find(vim, "DistributedVirtualPortgroup", name, "--network", &p->network, 1, err);
    if (rc < 0 || rc > 1)
        return rc;
    if (rc == 1) {
        p->is_dvpg = 1;
        vn_mor dvs;
        rc = read_prop(vim, &p->network, "key", NULL, p->portgroup_key, sizeof(p->portgroup_key),
                       err);
        if (rc == VN_OK)
            rc = read_prop(vim, &p->network, "config.distributedVirtualSwitch", &dvs, NULL, 0, err);
        if (rc == VN_OK)
            rc = read_prop(vim, &dvs, "uuid", NULL, p->switch_uuid, sizeof(p->switch_uuid), err);
        return rc;
    }
    rc = vn_inv_find(vim, "Network", name, "--network", &p->network, 0, err);
    return rc == 1 ? VN_OK : rc;
}

int vn_inv_parent_pool(vn_vim *vim, const vn_mor *host, vn_mor *cr, vn_mor *pool, vn_error *err)
{
    int rc = read_prop(vim, host, "parent", cr, NULL, 0, err);
    if (rc == VN_OK)
        rc = read_prop(vim, cr, "resourcePool", pool, NULL, 0, err);
    return rc;
}

int vn_inv_place(vn_vim *vim, const vn_place_req *req, vn_placement *p, vn_error *err)
{
    memset(p, 0, sizeof(*p));
    int rc = find_or_only(vim, "Datacenter", req->datacenter, "--datacenter", &p->datacenter, NULL,
                          0, err);
    if (rc != VN_OK)
        return rc;
    if (req->folder)
        rc = find_or_only(vim, "Folder", req->folder, "--folder", &p->folder, NULL, 0, err);
    else
        rc = read_prop(vim, &p->datacenter, "vmFolder", &p->folder, NULL, 0, err);
    if (rc == VN_OK && req->host) {
        rc = find_or_only(vim, "HostSystem", req->host, "--host", &p->host, NULL, 0, err);
        p->has_host = rc == VN_OK;
    }
    if (rc == VN_OK && req->pool) {
        rc = find_or_only(vim, "ResourcePool", req->pool, "--pool", &p->pool, NULL, 0, err);
    } else if (rc == VN_OK && p->has_host) {
        vn_mor cr;
        rc = vn_inv_parent_pool(vim, &p->host, &cr, &p->pool, err);
    } else if (rc == VN_OK) {
        vn_mor cr;
        rc = the_only(vim, "ComputeResource", "--pool or --host", &cr, NULL, 0, err);
        if (rc == VN_OK)
            rc = read_prop(vim, &cr, "resourcePool", &p->pool, NULL, 0, err);
    }
    if (rc == VN_OK)
        rc = find_or_only(vim, "Datastore", req->datastore, "--datastore", &p->datastore,
                          p->datastore_name, sizeof(p->datastore_name), err);
    if (rc == VN_OK && req->network)
        rc = vn_inv_network(vim, req->network, p, err);
    return rc;
}
