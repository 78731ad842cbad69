#include "cmd_vm_common.h"

#include <stdlib.h>
#include <string.h>

#include "cli_conn.h"
#include "render.h"

typedef struct read_ctx {
    vm_list *out;
    const char *const *names;
    int nnames;
} read_ctx;

static int wanted(const read_ctx *c, const vn_api_vm *vm)
{
    if (c->nnames == 0) {
        const char *g = vn_vmx_get(vm->vmx, "guestOS");
        return g && strncmp(g, "vmkernel", 8) == 0;
    }
    for (int i = 0; i < c->nnames; i++)
        if (strcmp(c->names[i], vm->name) == 0)
            return 1;
    return 0;
}

/* Cheap test on the raw properties before building a VM's full view: an
 * inventory of a thousand VMs usually holds a few dozen nested hosts. */
static int maybe_wanted(const read_ctx *c, const vn_xnode *o)
{
    char buf[256];
    if (c->nnames == 0)
        return strncmp(vn_prop_text(o, "config.guestId", buf, sizeof(buf)), "vmkernel", 8) == 0;
    vn_prop_text(o, "name", buf, sizeof(buf));
    for (int i = 0; i < c->nnames; i++)
        if (strcmp(c->names[i], buf) == 0)
            return 1;
    return 0;
}

static int on_vm(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    read_ctx *c = ctx;
    if (!maybe_wanted(c, o))
        return 0;
    vn_api_vm vm;
    vn_api_vm_read(&vm, obj, o);
    if (!wanted(c, &vm)) {
        vn_api_vm_free(&vm);
        return 0;
    }
    vm_list *l = c->out;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = vn_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = vm;
    return 0;
}

int vm_list_read(vn_vim *vim, const char *const *names, int nnames, vm_list *out, vn_error *err)
{
    memset(out, 0, sizeof(*out));
    read_ctx c = {out, names, nnames};
    int rc = vn_vim_retrieve_all(vim, NULL, "VirtualMachine", vn_api_vm_paths, on_vm, &c, err);
    for (int i = 0; rc == VN_OK && i < nnames; i++) {
        int found = 0;
        for (size_t j = 0; j < out->n; j++)
            found |= strcmp(out->v[j].name, names[i]) == 0;
        if (!found)
            rc = vn_fail(err, VN_EINPUT, names[i], "no VM or template with this name on %s",
                         vim->where);
    }
    return rc;
}

void vm_list_free(vm_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        vn_api_vm_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

int vm_cmd_open(const cli_cmd *cmd, const cli_ctx *ctx, const cli_args *args, unsigned *role,
                const vn_release **rel, vn_conn *conn, vn_vim **vim)
{
    *role = 0;
    *rel = NULL;
    const char *role_text = cli_get(cmd, args, "role");
    if (role_text && !(*role = vn_role_parse(role_text)))
        return cli_fail(VN_EINPUT, "--role", "unknown role \"%s\" (expected host or template)",
                        role_text);
    vn_error err = {0};
    const char *esxi = cli_get(cmd, args, "esxi");
    if (esxi && !(*rel = vn_release_parse(esxi, "--esxi", &err)))
        return cli_report(&err);
    int rc = cli_conn_open(cmd, ctx, args, conn, vim);
    if (rc != VN_OK)
        vn_conn_free(conn);
    return rc;
}

unsigned vm_role(const vn_api_vm *vm, unsigned asked)
{
    return asked ? asked : vm->is_template ? VN_ROLE_TEMPLATE : VN_ROLE_HOST;
}

json_t *vm_report_json(const vn_api_vm *vm, const vn_release *rel, unsigned role,
                       const vn_findings *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(vm->name));
    json_object_set_new(o, "moref", json_string(vm->mor.id));
    json_object_set_new(o, "template", json_boolean(vm->is_template));
    json_object_set_new(o, "power", json_string(vm->power));
    json_object_set_new(o, "esxi", json_string(rel->name));
    json_object_set_new(o, "role", json_string(vn_role_name(role)));
    json_object_set_new(o, "findings", render_findings_json(f));
    json_object_set_new(o, "summary", render_summary_json(f));
    return o;
}
