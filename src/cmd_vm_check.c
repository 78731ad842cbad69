/* vnest vm check: the profile's findings for VMs and templates. */
#include <stdio.h>

#include "cli_conn.h"
#include "cli_spec.h"
#include "cmd_vm_common.h"
#include "render.h"

static int run_check(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    if (args->npos == 0 && !cli_has(cmd, args, "all"))
        return cli_fail(VN_EINPUT, NULL, "name the VMs to check, or --all for every ESXi VM");
    unsigned role;
    const vn_release *rel;
    vn_conn conn;
    vn_vim *vim = NULL;
    int rc = vm_cmd_open(cmd, ctx, args, &role, &rel, &conn, &vim);
    if (rc != VN_OK)
        return rc;
    vn_error err = {0};
    vm_list l;
    rc = vm_list_read(vim, args->pos, args->npos, &l, &err);
    int status = VN_OK;
    json_t *arr = json_array();
    for (size_t i = 0; rc == VN_OK && i < l.n; i++) {
        vn_api_vm *vm = &l.v[i];
        unsigned r = vm_role(vm, role);
        vn_findings f = {0};
        const vn_release *used;
        vn_profile_api_check(vm, rel, r, &f, &used);
        if (ctx->json) {
            json_array_append_new(arr, vm_report_json(vm, used, r, &f));
        } else if (ctx->verbose >= 0) {
            printf("%s%s (%s): ESXi %s, role %s\n", i ? "\n" : "", vm->name, vm->mor.id, used->name,
                   vn_role_name(r));
            render_findings_text(&f, ctx->verbose, stdout);
            render_summary_text(&f, stdout);
        }
        if (render_check_status(&f) > status)
            status = render_check_status(&f);
        vn_findings_free(&f);
    }
    if (rc != VN_OK) {
        cli_report(&err);
    } else if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "vms", arr);
        arr = NULL;
        json_object_set_new(doc, "clean", json_boolean(status == VN_OK));
        cli_json_emit(doc);
    } else if (l.n == 0 && ctx->verbose >= 0) {
        puts("no VM with an ESXi guest type found");
    }
    json_decref(arr);
    vm_list_free(&l);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc != VN_OK ? rc : status;
}

static const cli_opt opts[] = {
    {"all", 'a', NULL, "every VM and template whose guest type is ESXi", NULL},
    {"role", 0, "ROLE", "host or template (default: template for templates, else host)",
     "host template"},
    {"esxi", 0, "VER", "judge as this ESXi release (default: implied by the guest type)",
     CLI_RELEASE_WORDS},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_vm_check = {
    "vm check",
    "[NAME... | --all] [--role host|template] [--esxi VER]",
    "Check VMs and templates against the Nested ESXi profile",
    "Reads every VM in one PropertyCollector pass over a ContainerView (not one call per VM)\n"
    "and reports the same findings as 'vnest vmx check', named by API property: config.guestId,\n"
    "config.nestedHVEnabled, config.hardware.memoryMB, config.extraConfig[disk.EnableUUID]...\n"
    "Templates are judged as templates unless --role says otherwise. Exit status 1 when any\n"
    "VM has an error or a warning." CLI_CONN_HELP,
    "$ vnest vm check esxi-01 esxi-02\n"
    "$ vnest --json vm check --all | jq '.vms[] | select(.summary.errors > 0) | .name'",
    0,
    -1,
    opts,
    run_check,
};
