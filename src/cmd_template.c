/* vnest template: turn a prepared Nested ESXi VM into a template (S12). */
#include <stdio.h>
#include <string.h>

#include "cli_conn.h"
#include "cmd_template.h"
#include "cli_spec.h"
#include "vn_template.h"

static int run_template(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    int timeout = 300;
    const char *t = cli_get(cmd, args, "timeout");
    if (t && (sscanf(t, "%d", &timeout) != 1 || timeout <= 0))
        return cli_fail(VN_EINPUT, "--timeout", "invalid \"%s\" (expected seconds, e.g. 300)", t);
    vn_conn conn;
    vn_vim *vim = NULL;
    int rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    if (rc != VN_OK) {
        vn_conn_free(&conn);
        return rc;
    }
    vn_error err = {0};
    const char *name = args->pos[0];
    vn_mor vm;
    rc = vn_inv_find(vim, "VirtualMachine", name, name, &vm, 0, &err);
    note_ctx note = {ctx, name};
    vn_place_req req = {conn.datacenter, NULL, conn.pool, conn.host, NULL, NULL};
    if (rc == 1)
        rc = cli_has(cmd, args, "undo")
                 ? vn_template_undo(vim, &vm, &req, template_note, &note, &err)
                 : vn_template_make(vim, &vm, timeout, template_note, &note, &err);
    if (rc != VN_OK)
        cli_report(&err);
    else if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "moref", json_string(vm.id));
        json_object_set_new(o, "template", json_boolean(!cli_has(cmd, args, "undo")));
        cli_json_emit(o);
    }
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc;
}

static const cli_opt opts[] = {
    {"undo", 0, NULL, "mark the template back as a virtual machine", NULL},
    {"timeout", 0, "SECONDS", "how long to wait for the guest to shut down (default 300)", NULL},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_template = {
    "template",
    "NAME [--undo] [--timeout SECONDS]",
    "Make a Nested ESXi VM a template, or a template a VM again",
    "Shuts the VM down (a guest shutdown when VMware Tools run in the nested ESXi, else a\n"
    "power-off), clears the forced EFI setup entry so clones do not stop in the firmware\n"
    "menu (S4), and marks it as a template (S12): it then shows only in the VMs and Templates\n"
    "view. With --undo the template becomes a VM again, in its host's resource pool (or\n"
    "--pool/--host). Seal the guest first (S5-S11: 'vnest seal'); for ESXi 7.0 U2 and later,\n"
    "cloning a boot disk is unsupported (S17) and vnest warns." CLI_CONN_HELP,
    "$ vnest template esxi67-template\n"
    "$ vnest template --undo esxi67-template",
    1,
    1,
    opts,
    run_template,
};

/* Progress on stdout, warnings on stderr, as the template steps happen. */
void template_note(void *ctx, int kind, const char *text)
{
    const note_ctx *n = ctx;
    if (kind == 1) {
        if (n->ctx->verbose >= 0)
            fprintf(stderr, "vnest: warning: %s: %s\n", n->name, text);
    } else if (n->ctx->verbose >= 0 && !n->ctx->json) {
        printf("%s: %s\n", n->name, text);
    }
}
