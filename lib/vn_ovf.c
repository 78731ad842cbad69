#include "vn_ovf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_buf.h"
#include "vn_profile_vmx.h"
#include "vn_xml.h"

const vn_rule vn_ovf_rule_structure = {
    "ovf-structure",
    "",
    VN_SEV_ERROR,
    VN_REL_ALL,
    VN_ROLE_ANY,
    VN_SURF_OVF,
    "a complete descriptor whose references all resolve",
    "DSP0243; vCenter and ovftool refuse or half-import a descriptor with dangling references"};

#define OVF_NS1 "http://schemas.dmtf.org/ovf/envelope/1"
#define OVF_NS2 "http://schemas.dmtf.org/ovf/envelope/2"
#define VMW_NS  "http://www.vmware.com/schema/ovf"

#define VN_OVF_MAX_ENTRIES 4096

/* --- namespace-aware helpers --------------------------------------------- */

static int ovf_ns(const vn_xnode *n)
{
    return n && (!strcmp(n->ns, OVF_NS1) || !strcmp(n->ns, OVF_NS2));
}

static int vmw_ns(const vn_xnode *n)
{
    return n && !strcmp(n->ns, VMW_NS);
}

static int named(const vn_xnode *n, const char *name)
{
    return !strcmp(n->name, name);
}

/* The first OVF-namespace child element called `name` (any when NULL). */
static const vn_xnode *ovf_child(const vn_xnode *parent, const char *name)
{
    for (const vn_xnode *c = parent ? parent->children : NULL; c; c = c->next)
        if (ovf_ns(c) && (!name || named(c, name)))
            return c;
    return NULL;
}

static const vn_xnode *ovf_next(const vn_xnode *n, const char *name)
{
    for (const vn_xnode *c = n->next; c; c = c->next)
        if (ovf_ns(c) && named(c, name))
            return c;
    return NULL;
}

static char *take(const char *x)
{
    return x ? vn_xstrdup(x) : NULL;
}

/* An ovf:NAME attribute (envelope 1 or 2 namespace; unqualified as a
 * tolerated fallback, which some hand-written descriptors use). */
static char *ovf_attr(const vn_xnode *n, const char *name)
{
    const char *v = vn_xn_attr(n, OVF_NS1, name);
    if (!v)
        v = vn_xn_attr(n, OVF_NS2, name);
    if (!v)
        v = vn_xn_attr(n, NULL, name);
    return take(v);
}

static char *vmw_attr(const vn_xnode *n, const char *name)
{
    return take(vn_xn_attr(n, VMW_NS, name));
}

/* Text content without surrounding white space. */
static char *text_of(const vn_xnode *n)
{
    if (!n)
        return NULL;
    const char *b = n->text;
    while (isspace((unsigned char)*b))
        b++;
    size_t len = strlen(b);
    while (len && isspace((unsigned char)b[len - 1]))
        len--;
    return vn_xstrndup(b, len);
}

static int line_of(const vn_xnode *n)
{
    return n->line < 0x7fffffff ? (int)n->line : 0;
}

static int is_true(const char *s)
{
    return s && (!strcasecmp(s, "true") || !strcmp(s, "1"));
}

static long long parse_ll(const char *s)
{
    if (!s || !*s)
        return -1;
    char *e;
    long long v = strtoll(s, &e, 10);
    return *e == 0 && v >= 0 ? v : -1;
}

/* Appends one element: the capacity is the next power of two at or above the
 * count, so it doubles when the count reaches a power of two (no separate
 * capacity field, amortised constant time). */
static void *grow(void *arr, size_t n, size_t size)
{
    if (n == 0 || (n & (n - 1)) == 0)
        arr = vn_xrealloc(arr, (n ? 2 * n : 1) * size);
    return arr;
}

#define PUSH(arr, n) (arr = grow(arr, (n), sizeof(*(arr))), &(arr)[(n)++])

static void read_kv(const vn_xnode *n, vn_ovf_kv **arr, size_t *count)
{
    vn_ovf_kv *kv = PUSH(*arr, *count);
    kv->key = vmw_attr(n, "key");
    kv->value = vmw_attr(n, "value");
    kv->line = line_of(n);
    if (!kv->key)
        kv->key = vn_xstrdup("");
    if (!kv->value)
        kv->value = vn_xstrdup("");
}

/* --- sections -------------------------------------------------------------- */

static void read_references(vn_ovf *o, const vn_xnode *refs)
{
    for (const vn_xnode *f = ovf_child(refs, "File"); f; f = ovf_next(f, "File")) {
        vn_ovf_file *x = PUSH(o->files, o->nfiles);
        x->id = ovf_attr(f, "id");
        x->href = ovf_attr(f, "href");
        char *size = ovf_attr(f, "size");
        x->size = size ? parse_ll(size) : -1;
        if (size && x->size < 0)
            x->size = -2; /* present but not a number: validate() says so */
        free(size);
        x->line = line_of(f);
    }
}

static void read_disks(vn_ovf *o, const vn_xnode *sec)
{
    for (const vn_xnode *d = ovf_child(sec, "Disk"); d; d = ovf_next(d, "Disk")) {
        vn_ovf_disk *x = PUSH(o->disks, o->ndisks);
        x->id = ovf_attr(d, "diskId");
        x->file_ref = ovf_attr(d, "fileRef");
        x->format = ovf_attr(d, "format");
        x->capacity = ovf_attr(d, "capacity");
        x->units = ovf_attr(d, "capacityAllocationUnits");
        x->capacity_bytes = vn_ovf_capacity(x->capacity, x->units);
        x->line = line_of(d);
    }
}

static void read_networks(vn_ovf *o, const vn_xnode *sec)
{
    for (const vn_xnode *n = ovf_child(sec, "Network"); n; n = ovf_next(n, "Network")) {
        char **slot = PUSH(o->networks, o->nnetworks);
        *slot = ovf_attr(n, "name");
        if (!*slot)
            *slot = vn_xstrdup("");
    }
}

static void read_item(vn_ovf *o, const vn_xnode *it)
{
    vn_ovf_item *x = PUSH(o->items, o->nitems);
    memset(x, 0, sizeof(*x));
    x->type = -1;
    x->quantity = -1;
    x->cores = -1;
    x->line = line_of(it);
    /* rasd (OVF 1), epasd/sasd (OVF 2 EthernetPortItem/StorageItem) share
     * the element names; the namespace is not checked for these. */
    for (const vn_xnode *c = it->children; c; c = c->next) {
        const char *nm = c->name;
        if (vmw_ns(c) && !strcmp(nm, "Config")) {
            read_kv(c, &x->config, &x->nconfig);
            continue;
        }
        if (vmw_ns(c) && !strcmp(nm, "CoresPerSocket")) {
            char *t = text_of(c);
            x->cores = parse_ll(t);
            free(t);
            continue;
        }
        char **field = !strcmp(nm, "InstanceID")            ? &x->instance
                       : !strcmp(nm, "ElementName")         ? &x->name
                       : !strcmp(nm, "ResourceSubType")     ? &x->subtype
                       : !strcmp(nm, "Parent")              ? &x->parent
                       : !strcmp(nm, "HostResource")        ? &x->host
                       : !strcmp(nm, "Connection")          ? &x->connection
                       : !strcmp(nm, "Address")             ? &x->address
                       : !strcmp(nm, "AddressOnParent")     ? &x->address_on_parent
                       : !strcmp(nm, "AllocationUnits")     ? &x->units
                       : !strcmp(nm, "AutomaticAllocation") ? &x->automatic
                                                            : NULL;
        if (field && !*field) {
            *field = text_of(c);
        } else if (!strcmp(nm, "ResourceType")) {
            char *t = text_of(c);
            long long v = parse_ll(t);
            x->type = v >= 0 && v < 100000 ? (int)v : -1;
            free(t);
        } else if (!strcmp(nm, "VirtualQuantity")) {
            char *t = text_of(c);
            x->quantity = parse_ll(t);
            free(t);
        }
    }
}

static void read_hardware(vn_ovf *o, const vn_xnode *hw)
{
    o->hw_line = line_of(hw);
    o->transport = ovf_attr(hw, "transport");
    for (const vn_xnode *c = hw->children; c; c = c->next) {
        if (ovf_ns(c) && named(c, "System")) {
            for (const vn_xnode *s = c->children; s; s = s->next)
                if (named(s, "VirtualSystemType") && !o->system_type) {
                    o->system_type = text_of(s);
                    o->system_line = line_of(s);
                }
        } else if (ovf_ns(c) &&
                   (named(c, "Item") || named(c, "EthernetPortItem") || named(c, "StorageItem"))) {
            read_item(o, c);
        } else if (vmw_ns(c) && named(c, "Config")) {
            read_kv(c, &o->config, &o->nconfig);
        } else if (vmw_ns(c) && named(c, "ExtraConfig")) {
            read_kv(c, &o->extra, &o->nextra);
        }
    }
}

static void read_product(vn_ovf *o, const vn_xnode *ps)
{
    char *cls = ovf_attr(ps, "class"), *inst = ovf_attr(ps, "instance");
    for (const vn_xnode *p = ovf_child(ps, "Property"); p; p = ovf_next(p, "Property")) {
        vn_ovf_prop *x = PUSH(o->props, o->nprops);
        memset(x, 0, sizeof(*x));
        char *key = ovf_attr(p, "key");
        vn_buf k = VN_BUF_INIT;
        if (cls && *cls)
            vn_buf_addf(&k, "%s.", cls);
        vn_buf_adds(&k, key ? key : "");
        if (inst && *inst)
            vn_buf_addf(&k, ".%s", inst);
        x->key = vn_buf_detach(&k, NULL);
        free(key);
        x->type = ovf_attr(p, "type");
        x->value = ovf_attr(p, "value");
        x->qualifiers = ovf_attr(p, "qualifiers");
        char *pw = ovf_attr(p, "password"), *uc = ovf_attr(p, "userConfigurable");
        x->password = is_true(pw);
        x->user_configurable = is_true(uc);
        free(pw);
        free(uc);
        x->label = text_of(ovf_child(p, "Label"));
        x->line = line_of(p);
    }
    free(cls);
    free(inst);
}

static void read_system(vn_ovf *o, const vn_xnode *vs)
{
    o->vs_id = ovf_attr(vs, "id");
    o->vs_name = text_of(ovf_child(vs, "Name"));
    const vn_xnode *os = ovf_child(vs, "OperatingSystemSection");
    if (os) {
        o->os_id = ovf_attr(os, "id");
        o->os_version = ovf_attr(os, "version");
        o->os_type = vmw_attr(os, "osType");
        o->os_line = line_of(os);
    }
    const vn_xnode *hw = ovf_child(vs, "VirtualHardwareSection");
    if (hw)
        read_hardware(o, hw);
    for (const vn_xnode *ps = ovf_child(vs, "ProductSection"); ps;
         ps = ovf_next(ps, "ProductSection"))
        read_product(o, ps);
}

int vn_ovf_parse(const char *data, size_t len, const char *name, vn_ovf *o, vn_error *err)
{
    memset(o, 0, sizeof(*o));
    /* vn_xml refuses a document type declaration outright, which refuses
     * every entity-expansion and external-entity attack with it (entities
     * are declared in a DTD); nothing is ever fetched. */
    vn_error xe;
    vn_error_clear(&xe);
    vn_xdoc *doc = vn_xml_parse(data, len, name, &xe);
    if (!doc && vn_xml_refused_dtd(&xe))
        return vn_fail(err, VN_EINPUT, name,
                       "the descriptor carries a DTD (refused: an OVF needs none, and DTD "
                       "entities are how XML bombs and file disclosure work)");
    if (!doc)
        return vn_fail(err, VN_EINPUT, xe.where, "%.600s (an OVF descriptor is an XML document)",
                       xe.msg);
    int rc = VN_OK;
    const vn_xnode *root = vn_xml_root(doc);
    if (!root || !named(root, "Envelope") || !ovf_ns(root)) {
        rc = vn_fail_at(err, VN_EINPUT, name, root ? line_of(root) : 0,
                        "the root element is not an OVF Envelope (namespace %s)", OVF_NS1);
    } else {
        const vn_xnode *vs = ovf_child(root, "VirtualSystem");
        const vn_xnode *coll = ovf_child(root, "VirtualSystemCollection");
        if (!vs && coll) {
            vs = ovf_child(coll, "VirtualSystem");
            o->is_collection = 1;
        }
        if (!vs) {
            rc = vn_fail_at(err, VN_EINPUT, name, line_of(root),
                            "no VirtualSystem in the Envelope (a VM appliance has one)");
        } else {
            read_references(o, ovf_child(root, "References"));
            read_disks(o, ovf_child(root, "DiskSection"));
            read_networks(o, ovf_child(root, "NetworkSection"));
            read_system(o, vs);
            /* Validation compares references pairwise; a real appliance has
             * a few dozen of each, and a hostile one must not cost minutes. */
            size_t most = o->nfiles > o->ndisks ? o->nfiles : o->ndisks;
            most = o->nitems > most ? o->nitems : most;
            most = o->nprops > most ? o->nprops : most;
            most = o->nnetworks > most ? o->nnetworks : most;
            if (most > VN_OVF_MAX_ENTRIES)
                rc = vn_fail(err, VN_EINPUT, name,
                             "more than %d Files, Disks, Networks, Items or Properties (not a "
                             "VM appliance)",
                             VN_OVF_MAX_ENTRIES);
        }
    }
    vn_xml_free(doc);
    if (rc != VN_OK)
        vn_ovf_free(o);
    return rc;
}

static void free_kvs(vn_ovf_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void vn_ovf_free(vn_ovf *o)
{
    for (size_t i = 0; i < o->nfiles; i++) {
        free(o->files[i].id);
        free(o->files[i].href);
    }
    for (size_t i = 0; i < o->ndisks; i++) {
        vn_ovf_disk *d = &o->disks[i];
        free(d->id);
        free(d->file_ref);
        free(d->format);
        free(d->capacity);
        free(d->units);
    }
    for (size_t i = 0; i < o->nnetworks; i++)
        free(o->networks[i]);
    for (size_t i = 0; i < o->nitems; i++) {
        vn_ovf_item *x = &o->items[i];
        char *fields[] = {x->instance,   x->name,    x->subtype,           x->parent, x->host,
                          x->connection, x->address, x->address_on_parent, x->units,  x->automatic};
        for (size_t j = 0; j < sizeof(fields) / sizeof(fields[0]); j++)
            free(fields[j]);
        free_kvs(x->config, x->nconfig);
    }
    for (size_t i = 0; i < o->nprops; i++) {
        vn_ovf_prop *p = &o->props[i];
        free(p->key);
        free(p->type);
        free(p->value);
        free(p->label);
        free(p->qualifiers);
    }
    free_kvs(o->config, o->nconfig);
    free_kvs(o->extra, o->nextra);
    free(o->files);
    free(o->disks);
    free(o->networks);
    free(o->items);
    free(o->props);
    free(o->vs_id);
    free(o->vs_name);
    free(o->os_id);
    free(o->os_version);
    free(o->os_type);
    free(o->system_type);
    free(o->transport);
    memset(o, 0, sizeof(*o));
}

/* --- lookups and units ------------------------------------------------------ */

const vn_ovf_file *vn_ovf_file_by_id(const vn_ovf *o, const char *id)
{
    for (size_t i = 0; id && i < o->nfiles; i++)
        if (o->files[i].id && !strcmp(o->files[i].id, id))
            return &o->files[i];
    return NULL;
}

const vn_ovf_disk *vn_ovf_disk_by_id(const vn_ovf *o, const char *id)
{
    for (size_t i = 0; id && i < o->ndisks; i++)
        if (o->disks[i].id && !strcmp(o->disks[i].id, id))
            return &o->disks[i];
    return NULL;
}

const vn_ovf_prop *vn_ovf_prop_find(const vn_ovf *o, const char *key)
{
    for (size_t i = 0; i < o->nprops; i++)
        if (!strcmp(o->props[i].key, key))
            return &o->props[i];
    return NULL;
}

static const vn_ovf_item *item_by_instance(const vn_ovf *o, const char *id)
{
    for (size_t i = 0; id && i < o->nitems; i++)
        if (o->items[i].instance && !strcmp(o->items[i].instance, id))
            return &o->items[i];
    return NULL;
}

static int mul_ok(unsigned long long *v, unsigned long long f)
{
    if (f && *v > ~0ull / f)
        return 0;
    *v *= f;
    return 1;
}

/* The multiplier of a DSP0004 programmatic unit ("byte * 2^30",
 * "byte*1024", "byte") or a legacy name ("GigaBytes"); 0 when unknown. */
static unsigned long long unit_factor(const char *u)
{
    if (!u || !*u)
        return 1;
    static const struct {
        const char *name;
        unsigned shift;
    } legacy[] = {{"KiloBytes", 10}, {"MegaBytes", 20}, {"GigaBytes", 30}, {"TeraBytes", 40}};
    for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
        if (!strcasecmp(u, legacy[i].name))
            return 1ull << legacy[i].shift;
    while (isspace((unsigned char)*u))
        u++;
    if (strncasecmp(u, "byte", 4) != 0)
        return 0;
    u += 4;
    unsigned long long f = 1;
    for (;;) {
        while (isspace((unsigned char)*u))
            u++;
        if (!*u)
            return f;
        if (*u != '*')
            return 0;
        u++;
        while (isspace((unsigned char)*u))
            u++;
        char *e;
        unsigned long long base = strtoull(u, &e, 10);
        if (e == u)
            return 0;
        u = e;
        unsigned long long term = base;
        if (*u == '^') {
            unsigned long long exp = strtoull(u + 1, &e, 10);
            if (e == u + 1 || exp > 64)
                return 0;
            u = e;
            term = 1;
            for (unsigned long long i = 0; i < exp; i++)
                if (!mul_ok(&term, base))
                    return 0;
        }
        if (!mul_ok(&f, term))
            return 0;
    }
}

unsigned long long vn_ovf_capacity(const char *capacity, const char *units)
{
    long long c = parse_ll(capacity);
    unsigned long long f = unit_factor(units), v = (unsigned long long)c;
    if (c < 0 || !f || !mul_ok(&v, f))
        return 0;
    return v;
}

/* --- validation ---------------------------------------------------------------- */

static vn_finding *bad(vn_findings *out, vn_severity sev, const char *key, int line,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static vn_finding *bad(vn_findings *out, vn_severity sev, const char *key, int line,
                       const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vn_findings_problem(out, &vn_ovf_rule_structure, sev, key, line, "%s", msg);
}

static int is_controller(int type)
{
    return type == 5 || type == 6 || type == 20;
}

static int has_network(const vn_ovf *o, const char *name)
{
    for (size_t i = 0; i < o->nnetworks; i++)
        if (!strcmp(o->networks[i], name))
            return 1;
    return 0;
}

static void validate_references(const vn_ovf *o, vn_findings *out)
{
    for (size_t i = 0; i < o->nfiles; i++) {
        const vn_ovf_file *f = &o->files[i];
        if (!f->id || !f->href)
            bad(out, VN_SEV_ERROR, "References/File", f->line, "a File needs ovf:id and ovf:href");
        else if (vn_ovf_file_by_id(o, f->id) != f)
            bad(out, VN_SEV_ERROR, "References/File", f->line, "duplicate ovf:id \"%s\"", f->id);
        if (f->size == -2)
            bad(out, VN_SEV_ERROR, "References/File ovf:size", f->line, "not a number of bytes");
    }
    for (size_t i = 0; i < o->ndisks; i++) {
        const vn_ovf_disk *d = &o->disks[i];
        if (!d->id) {
            bad(out, VN_SEV_ERROR, "DiskSection/Disk", d->line, "a Disk needs ovf:diskId");
            continue;
        }
        if (vn_ovf_disk_by_id(o, d->id) != d)
            bad(out, VN_SEV_ERROR, "DiskSection/Disk", d->line, "duplicate ovf:diskId \"%s\"",
                d->id);
        if (d->file_ref && !vn_ovf_file_by_id(o, d->file_ref))
            bad(out, VN_SEV_ERROR, "DiskSection/Disk ovf:fileRef", d->line,
                "\"%s\" names no References/File", d->file_ref);
        if (d->capacity && !strncmp(d->capacity, "${", 2))
            bad(out, VN_SEV_INFO, "DiskSection/Disk ovf:capacity", d->line,
                "the capacity is a property (%s), set at deployment", d->capacity);
        else if (!d->capacity_bytes)
            bad(out, VN_SEV_ERROR, "DiskSection/Disk ovf:capacity", d->line,
                "\"%s\" with units \"%s\" is not a size (expected e.g. 32 with byte * 2^30)",
                d->capacity ? d->capacity : "(absent)", d->units ? d->units : "byte");
        if (d->file_ref && (!d->format || !strstr(d->format, "streamOptimized")))
            bad(out, VN_SEV_WARNING, "DiskSection/Disk ovf:format", d->line,
                "vSphere imports streamOptimized VMDKs (format ...vmdk.html#streamOptimized)");
    }
}

static void validate_item(const vn_ovf *o, const vn_ovf_item *x, vn_findings *out)
{
    char key[160];
    snprintf(key, sizeof(key), "Item '%.100s'", x->name ? x->name : "?");
    if (x->type < 0)
        bad(out, VN_SEV_ERROR, key, x->line, "no rasd:ResourceType (a number)");
    if (!x->instance)
        bad(out, VN_SEV_ERROR, key, x->line, "no rasd:InstanceID");
    else if (item_by_instance(o, x->instance) != x)
        bad(out, VN_SEV_ERROR, key, x->line, "duplicate rasd:InstanceID %s", x->instance);
    if (x->parent) {
        const vn_ovf_item *p = item_by_instance(o, x->parent);
        if (!p)
            bad(out, VN_SEV_ERROR, key, x->line, "rasd:Parent %s names no Item's InstanceID",
                x->parent);
        else if (!is_controller(p->type))
            bad(out, VN_SEV_ERROR, key, x->line,
                "rasd:Parent %s is not a controller (ResourceType 5, 6 or 20)", x->parent);
    }
    if (x->type == 17 || x->type == 15 || x->type == 16) {
        if (!x->parent && x->type == 17)
            bad(out, VN_SEV_ERROR, key, x->line, "a disk needs rasd:Parent (its controller)");
        if (x->host && !strncmp(x->host, "ovf:/disk/", 10)) {
            if (!vn_ovf_disk_by_id(o, x->host + 10))
                bad(out, VN_SEV_ERROR, key, x->line,
                    "rasd:HostResource %s names no DiskSection/Disk", x->host);
        } else if (x->host && !strncmp(x->host, "ovf:/file/", 10)) {
            if (!vn_ovf_file_by_id(o, x->host + 10))
                bad(out, VN_SEV_ERROR, key, x->line,
                    "rasd:HostResource %s names no References/File", x->host);
        } else if (x->type == 17) {
            bad(out, VN_SEV_ERROR, key, x->line,
                "a disk needs rasd:HostResource ovf:/disk/ID (found %s)",
                x->host ? x->host : "none");
        }
    }
    if (x->type == 10 && x->connection && !has_network(o, x->connection))
        bad(out, VN_SEV_ERROR, key, x->line,
            "rasd:Connection \"%s\" names no NetworkSection/Network", x->connection);
}

void vn_ovf_validate(const vn_ovf *o, vn_findings *out)
{
    validate_references(o, out);
    if (!o->hw_line) {
        bad(out, VN_SEV_ERROR, "VirtualHardwareSection", 0,
            "the VirtualSystem has no VirtualHardwareSection");
        return;
    }
    if (!o->system_type)
        bad(out, VN_SEV_WARNING, "System vssd:VirtualSystemType", o->hw_line,
            "absent (expected vmx-NN, the virtual hardware version)");
    for (size_t i = 0; i < o->nitems; i++)
        validate_item(o, &o->items[i], out);
    /* Importers drop these as ExtraConfig (ovftool: "Unsupported value
     * 'vhv.enable'"); the vmw:Config form is the one that survives. */
    static const struct {
        const char *extra, *config;
    } dropped[] = {{"vhv.enable", "nestedHVEnabled"},
                   {"firmware", "firmware"},
                   {"uefi.secureBoot.enabled", "bootOptions.efiSecureBootEnabled"}};
    for (size_t i = 0; i < o->nextra; i++)
        for (size_t j = 0; j < sizeof(dropped) / sizeof(dropped[0]); j++)
            if (!strcasecmp(o->extra[i].key, dropped[j].extra)) {
                char key[128];
                snprintf(key, sizeof(key), "vmw:ExtraConfig %s", dropped[j].extra);
                bad(out, VN_SEV_ERROR, key, o->extra[i].line,
                    "ovftool and vCenter drop or refuse this ExtraConfig key: use <vmw:Config "
                    "vmw:key=\"%s\">",
                    dropped[j].config);
            }
    for (size_t i = 0; i < o->nprops; i++) {
        const vn_ovf_prop *p = &o->props[i];
        if (!p->key[0] || p->key[strlen(p->key) - 1] == '.')
            bad(out, VN_SEV_ERROR, "ProductSection/Property", p->line, "no ovf:key");
        else if (vn_ovf_prop_find(o, p->key) != p)
            bad(out, VN_SEV_ERROR, "ProductSection/Property", p->line, "duplicate key %s", p->key);
    }
}

/* --- the hardware as .vmx keys --------------------------------------------------- */

static void setk(vn_vmx *v, const char *prefix, const char *field, const char *value)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.%s", prefix, field);
    if (value && *value && vn_vmx_key_valid(key))
        vn_vmx_set(v, key, value);
}

static const char *nic_dev(const char *sub)
{
    static const struct {
        const char *ovf, *vmx;
    } nics[] = {{"vmxnet3", "vmxnet3"}, {"e1000e", "e1000e"}, {"e1000", "e1000"},
                {"vmxnet2", "vmxnet2"}, {"vmxnet", "vmxnet"}, {"pcnet32", "vlance"}};
    for (size_t i = 0; sub && i < sizeof(nics) / sizeof(nics[0]); i++)
        if (!strcasecmp(sub, nics[i].ovf))
            return nics[i].vmx;
    return sub;
}

/* govmomi reads the SCSI subtype case-insensitively and takes the first
 * known token of a space- or comma-separated list; so does this. */
static const char *scsi_dev(const char *sub)
{
    static const struct {
        const char *ovf, *vmx;
    } ctl[] = {{"virtualscsi", "pvscsi"},     {"pvscsi", "pvscsi"},
               {"lsilogicsas", "lsisas1068"}, {"lsilogic-sas", "lsisas1068"},
               {"lsilogic", "lsilogic"},      {"buslogic", "buslogic"}};
    if (!sub)
        return NULL;
    char tok[64];
    for (const char *p = sub; *p;) {
        size_t n = strcspn(p, " ,");
        snprintf(tok, sizeof(tok), "%.*s", (int)(n < 63 ? n : 63), p);
        for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
            if (!strcasecmp(tok, ctl[i].ovf))
                return ctl[i].vmx;
        p += n;
        p += strspn(p, " ,");
    }
    return sub;
}

static void map_guest(const vn_ovf *o, vn_vmx *v)
{
    char g[96];
    if (o->os_type && *o->os_type) {
        snprintf(g, sizeof(g), "%s", o->os_type);
        size_t n = strlen(g);
        if (n > 5 && !strcmp(g + n - 5, "Guest"))
            g[n - 5] = 0;
        vn_vmx_set(v, "guestOS", g);
    } else if (o->os_id && !strcmp(o->os_id, "104") && o->os_version) {
        /* CIM 104 is VMware ESXi; the version is 6, 65, 7, 8 ... */
        size_t j = snprintf(g, sizeof(g), "vmkernel");
        for (const char *p = o->os_version; *p && j < sizeof(g) - 1; p++)
            if (isdigit((unsigned char)*p))
                g[j++] = *p;
        g[j] = 0;
        vn_vmx_set(v, "guestOS", g);
    }
}

static void map_hw_version(const vn_ovf *o, vn_vmx *v)
{
    long best = -1;
    for (const char *p = o->system_type; p && (p = strstr(p, "vmx-")); p += 4) {
        long n = strtol(p + 4, NULL, 10);
        if (n > best && n < 1000)
            best = n;
    }
    if (best > 0) {
        char b[16];
        snprintf(b, sizeof(b), "%ld", best);
        vn_vmx_set(v, "virtualHW.version", b);
    }
}

static void map_config(const vn_ovf_kv *kv, size_t n, vn_vmx *v)
{
    static const struct {
        const char *api, *vmx;
        int boolean;
    } keys[] = {{"nestedHVEnabled", "vhv.enable", 1},
                {"firmware", "firmware", 0},
                {"bootOptions.efiSecureBootEnabled", "uefi.secureBoot.enabled", 1},
                {"bootOptions.enterBIOSSetup", "bios.forceSetupOnce", 1}};
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
            if (!strcmp(kv[i].key, keys[j].api))
                vn_vmx_set(v, keys[j].vmx,
                           keys[j].boolean ? (is_true(kv[i].value) ? "TRUE" : "FALSE")
                                           : kv[i].value);
}

static void map_extra(const vn_ovf *o, vn_vmx *v)
{
    for (size_t i = 0; i < o->nextra; i++) {
        const char *k = o->extra[i].key;
        /* dropped by importers (validate says so): not what the VM gets */
        if (!strcasecmp(k, "vhv.enable") || !strcasecmp(k, "firmware") ||
            !strcasecmp(k, "uefi.secureBoot.enabled"))
            continue;
        if (vn_vmx_key_valid(k))
            vn_vmx_set(v, k, o->extra[i].value);
    }
}

static void map_cpu_memory(const vn_ovf_item *x, vn_vmx *v)
{
    char b[32];
    if (x->type == 3 && x->quantity >= 0) {
        snprintf(b, sizeof(b), "%lld", x->quantity);
        vn_vmx_set(v, "numvcpus", b);
        if (x->cores > 0) {
            snprintf(b, sizeof(b), "%lld", x->cores);
            vn_vmx_set(v, "cpuid.coresPerSocket", b);
        }
    }
    if (x->type == 4 && x->quantity >= 0) {
        char q[32];
        snprintf(q, sizeof(q), "%lld", x->quantity);
        unsigned long long bytes = vn_ovf_capacity(q, x->units ? x->units : "byte * 2^20");
        snprintf(b, sizeof(b), "%llu", bytes >> 20);
        vn_vmx_set(v, "memsize", b);
    }
}

static void map_controllers(vn_ovf *o, vn_vmx *v)
{
    int nscsi = 0, nide = 0, nsata = 0, nnvme = 0;
    for (size_t i = 0; i < o->nitems; i++) {
        vn_ovf_item *x = &o->items[i];
        const char *dev = NULL;
        if (x->type == 6) {
            snprintf(x->prefix, sizeof(x->prefix), "scsi%d", nscsi++);
            dev = scsi_dev(x->subtype);
        } else if (x->type == 5) {
            snprintf(x->prefix, sizeof(x->prefix), "ide%d", nide++);
        } else if (x->type == 20 && x->subtype && strcasestr(x->subtype, "nvme")) {
            snprintf(x->prefix, sizeof(x->prefix), "nvme%d", nnvme++);
        } else if (x->type == 20) {
            snprintf(x->prefix, sizeof(x->prefix), "sata%d", nsata++);
        } else {
            continue;
        }
        setk(v, x->prefix, "present", "TRUE");
        if (dev) {
            char low[64];
            snprintf(low, sizeof(low), "%s", dev);
            for (char *p = low; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            setk(v, x->prefix, "virtualDev", low);
        }
    }
}

static void map_attached(vn_ovf *o, vn_vmx *v)
{
    int next_unit[256] = {0};
    for (size_t i = 0; i < o->nitems; i++) {
        vn_ovf_item *x = &o->items[i];
        if (x->type != 17 && x->type != 15 && x->type != 16)
            continue;
        const vn_ovf_item *p = item_by_instance(o, x->parent);
        if (!p || !p->prefix[0])
            continue;
        size_t pi = (size_t)(p - o->items) % 256;
        long long unit = parse_ll(x->address_on_parent);
        if (unit < 0 || unit > 64)
            unit = next_unit[pi];
        if (unit >= next_unit[pi])
            next_unit[pi] = (int)unit + 1;
        snprintf(x->prefix, sizeof(x->prefix), "%.20s:%d", p->prefix, (int)unit);
        setk(v, x->prefix, "present", "TRUE");
        if (x->type == 17) {
            const vn_ovf_disk *d = x->host && !strncmp(x->host, "ovf:/disk/", 10)
                                       ? vn_ovf_disk_by_id(o, x->host + 10)
                                       : NULL;
            const vn_ovf_file *f = d ? vn_ovf_file_by_id(o, d->file_ref) : NULL;
            setk(v, x->prefix, "deviceType", "scsi-hardDisk");
            setk(v, x->prefix, "fileName", f && f->href ? f->href : "(new disk)");
        } else {
            int image = (x->host && !strncmp(x->host, "ovf:/file/", 10)) ||
                        (x->subtype && strcasestr(x->subtype, "iso"));
            setk(v, x->prefix, "deviceType", image ? "cdrom-image" : "cdrom-raw");
            if (x->host && !strncmp(x->host, "ovf:/file/", 10)) {
                const vn_ovf_file *f = vn_ovf_file_by_id(o, x->host + 10);
                setk(v, x->prefix, "fileName", f ? f->href : NULL);
            }
            setk(v, x->prefix, "startConnected", is_true(x->automatic) ? "TRUE" : "FALSE");
        }
    }
}

static void map_nics(vn_ovf *o, vn_vmx *v)
{
    int n = 0;
    for (size_t i = 0; i < o->nitems; i++) {
        vn_ovf_item *x = &o->items[i];
        if (x->type != 10)
            continue;
        snprintf(x->prefix, sizeof(x->prefix), "ethernet%d", n++);
        setk(v, x->prefix, "present", "TRUE");
        if (x->subtype) {
            char low[64];
            snprintf(low, sizeof(low), "%s", nic_dev(x->subtype));
            for (char *p = low; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            setk(v, x->prefix, "virtualDev", low);
        }
        setk(v, x->prefix, "networkName", x->connection);
        if (x->address && *x->address) {
            setk(v, x->prefix, "addressType", "static");
            setk(v, x->prefix, "address", x->address);
        }
    }
}

vn_vmx *vn_ovf_vmx(vn_ovf *o)
{
    vn_vmx *v = vn_vmx_new();
    map_guest(o, v);
    map_hw_version(o, v);
    for (size_t i = 0; i < o->nitems; i++)
        map_cpu_memory(&o->items[i], v);
    map_controllers(o, v);
    map_attached(o, v);
    map_nics(o, v);
    map_extra(o, v);
    map_config(o->config, o->nconfig, v);
    return v;
}

const vn_release *vn_ovf_release(const vn_ovf *o)
{
    vn_vmx *v = vn_vmx_new();
    map_guest(o, v);
    const vn_release *r = vn_profile_vmx_release(v);
    vn_vmx_free(v);
    return r;
}

/* --- findings named as the descriptor spells them ---------------------------------- */

static const vn_ovf_item *item_by_prefix(const vn_ovf *o, const char *key, size_t plen)
{
    for (size_t i = 0; i < o->nitems; i++)
        if (o->items[i].prefix[0] && strlen(o->items[i].prefix) == plen &&
            !strncmp(o->items[i].prefix, key, plen))
            return &o->items[i];
    return NULL;
}

static const vn_ovf_item *item_by_type(const vn_ovf *o, int type)
{
    for (size_t i = 0; i < o->nitems; i++)
        if (o->items[i].type == type)
            return &o->items[i];
    return NULL;
}

static int config_line(const vn_ovf *o, const char *api_key)
{
    for (size_t i = 0; i < o->nconfig; i++)
        if (!strcmp(o->config[i].key, api_key))
            return o->config[i].line;
    return 0;
}

static void replace(char **field, const char *value)
{
    free(*field);
    *field = value ? vn_xstrdup(value) : NULL;
}

static void lower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* The OVF spelling of a VMX device value, for the wanted column. */
static const char *ovf_subtype(const char *vmx_dev)
{
    if (!vmx_dev)
        return NULL;
    return !strcmp(vmx_dev, "pvscsi")       ? "VirtualSCSI"
           : !strcmp(vmx_dev, "vmxnet3")    ? "VmxNet3"
           : !strcmp(vmx_dev, "lsisas1068") ? "lsilogicsas"
                                            : vmx_dev;
}

static void rename_finding(vn_ovf *o, vn_finding *f)
{
    char key[256];
    const char *k = f->key;
    static const struct {
        const char *vmx, *api;
    } cfg[] = {{"vhv.enable", "nestedHVEnabled"},
               {"firmware", "firmware"},
               {"uefi.secureBoot.enabled", "bootOptions.efiSecureBootEnabled"},
               {"bios.forceSetupOnce", "bootOptions.enterBIOSSetup"}};
    for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
        if (strcasecmp(k, cfg[i].vmx) != 0)
            continue;
        snprintf(key, sizeof(key), "vmw:Config %s", cfg[i].api);
        replace(&f->key, key);
        lower(f->current);
        lower(f->wanted);
        f->line = config_line(o, cfg[i].api);
        return;
    }
    if (!strcmp(k, "guestOS")) {
        replace(&f->key, "OperatingSystemSection vmw:osType");
        char w[96];
        if (f->wanted) {
            snprintf(w, sizeof(w), "%sGuest", f->wanted);
            replace(&f->wanted, w);
        }
        replace(&f->current, o->os_type);
        f->line = o->os_line;
        return;
    }
    if (!strcmp(k, "virtualHW.version")) {
        replace(&f->key, "System vssd:VirtualSystemType");
        char w[32];
        snprintf(w, sizeof(w), "vmx-%s", f->wanted ? f->wanted : "?");
        replace(&f->wanted, w);
        replace(&f->current, o->system_type);
        f->line = o->system_line;
        return;
    }
    if (!strcmp(k, "numvcpus") || !strcmp(k, "cpuid.coresPerSocket") || !strcmp(k, "memsize")) {
        const vn_ovf_item *x = item_by_type(o, !strcmp(k, "memsize") ? 4 : 3);
        snprintf(key, sizeof(key), "Item (%s) %s", !strcmp(k, "memsize") ? "memory, MB" : "CPU",
                 !strcmp(k, "cpuid.coresPerSocket") ? "vmw:CoresPerSocket"
                                                    : "rasd:VirtualQuantity");
        replace(&f->key, key);
        f->line = x ? x->line : o->hw_line;
        return;
    }
    if (!strcmp(k, "ethernet0.present")) {
        replace(&f->key, "Item (ResourceType 10, ethernet)");
        f->line = o->hw_line;
        return;
    }
    const char *dot = strrchr(k, '.');
    const vn_ovf_item *x = dot ? item_by_prefix(o, k, (size_t)(dot - k)) : NULL;
    if (x && !strcmp(dot, ".virtualDev")) {
        snprintf(key, sizeof(key), "Item '%.100s' rasd:ResourceSubType", x->name ? x->name : "?");
        replace(&f->key, key);
        replace(&f->current, x->subtype);
        replace(&f->wanted, ovf_subtype(f->wanted));
        f->line = x->line;
        return;
    }
    if (x && !strcmp(dot, ".startConnected")) {
        snprintf(key, sizeof(key), "Item '%.100s' rasd:AutomaticAllocation",
                 x->name ? x->name : "?");
        replace(&f->key, key);
        lower(f->current);
        lower(f->wanted);
        f->line = x->line;
        return;
    }
    if (x && !strcmp(dot, ".fileName")) {
        snprintf(key, sizeof(key), "Item '%.100s' rasd:HostResource", x->name ? x->name : "?");
        replace(&f->key, key);
        replace(&f->current, x->host);
        f->line = x->line;
        return;
    }
    /* Everything else is a raw VMX key: the descriptor carries it as
     * ExtraConfig (disk.EnableUUID, scsi0:1.virtualSSD). */
    snprintf(key, sizeof(key), "vmw:ExtraConfig %s", k);
    f->line = 0;
    for (size_t i = 0; i < o->nextra; i++)
        if (!strcasecmp(o->extra[i].key, k))
            f->line = o->extra[i].line;
    replace(&f->key, key);
}

void vn_ovf_check(vn_ovf *o, const vn_release *rel, unsigned role, vn_findings *out)
{
    vn_vmx *v = vn_ovf_vmx(o);
    vn_findings all = {0};
    vn_profile_vmx_check(v, rel, role, &all);
    vn_vmx_free(v);
    for (size_t i = 0; i < all.n; i++) {
        vn_finding *f = &all.v[i];
        if (!(f->rule->surfaces & VN_SURF_OVF))
            continue; /* a rule the OVF surface does not carry */
        rename_finding(o, f);
        vn_finding *g = vn_findings_add(out, f->rule, f->key, f->current, f->wanted);
        g->severity = f->severity;
        g->line = f->line;
        g->fixable = 0; /* a check of a package: the fix is a new export */
        g->note = f->note ? vn_xstrdup(f->note) : NULL;
    }
    vn_findings_free(&all);
}
