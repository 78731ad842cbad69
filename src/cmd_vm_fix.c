/* vnest vm fix: ReconfigVM_Task with exactly the difference. */
#include <stdio.h>
#include <string.h>

#include "cli_conn.h"
#include "cli_spec.h"
#include "cmd_vm_common.h"
#include "render.h"
#include "vn_apivm.h"

static void print_plan(const vn_findings *f, int dry_run)
{
    for (size_t i = 0; i < f->n; i++) {
        const vn_finding *x = &f->v[i];
        if (x->fixable)
            printf("  %s %s: %s -> %s\n", dry_run ? "would set" : "set", x->key,
                   x->current ? x->current : "(absent)", x->wanted ? x->wanted : "(removed)");
    }
}

static int fix_one(vn_vim *vim, vn_api_vm *vm, const vn_release *rel, unsigned role, int dry_run,
                   const cli_ctx *ctx, vn_error *err)
{
    unsigned r = vm_role(vm, role);
    vn_findings f = {0};
    const vn_release *used;
    vn_profile_api_check(vm, rel, r, &f, &used);
    vn_buf spec = VN_BUF_INIT;
    size_t changes = vn_profile_api_spec(&f, &spec);
    int rc = VN_OK;
    if (changes && !dry_run) {
        if (vm->is_template)
            rc = vn_fail(err, VN_ERUNTIME, vm->name,
                         "is a template: mark it as a VM first (vnest template --undo %s)",
                         vm->name);
        else if (strcmp(vm->power, "poweredOff") != 0)
            rc = vn_fail(err, VN_ERUNTIME, vm->name,
                         "is %s: these settings need the VM powered off (shut it down first)",
                         vm->power);
        else {
            rc = vn_apivm_reconfigure(vim, &vm->mor, spec.data, err);
            if (rc != VN_OK) /* name the VM as the user did, not by its moref */
                snprintf(err->where, sizeof(err->where), "%s", vm->name);
        }
    }
    /* Report only what was done (or, with --dry-run, would be). */
    if (rc == VN_OK && ctx->verbose >= 0 && !ctx->json) {
        printf("%s (%s): ESXi %s, role %s\n", vm->name, vm->mor.id, used->name, vn_role_name(r));
        if (changes)
            print_plan(&f, dry_run);
        else
            puts("  nothing to change");
    }
    vn_findings left = {0};
    for (size_t i = 0; i < f.n; i++)
        if (!f.v[i].fixable) {
            vn_finding *x =
                vn_findings_add(&left, f.v[i].rule, f.v[i].key, f.v[i].current, f.v[i].wanted);
            x->fixable = 0;
            x->severity = f.v[i].severity;
            x->note = f.v[i].note ? vn_xstrdup(f.v[i].note) : NULL;
        }
    if (rc == VN_OK && ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(vm->name));
        json_object_set_new(o, "moref", json_string(vm->mor.id));
        json_object_set_new(o, "dry_run", json_boolean(dry_run));
        json_object_set_new(o, "changes", render_findings_json(&f));
        json_object_set_new(o, "changed", json_integer(dry_run ? 0 : (json_int_t)changes));
        json_object_set_new(o, "remaining", render_findings_json(&left));
        cli_json_emit(o);
    } else if (rc == VN_OK && left.n && ctx->verbose >= 0) {
        puts("left for you to do:");
        render_findings_text(&left, ctx->verbose, stdout);
    }
    if (rc == VN_OK)
        rc = render_check_status(&left);
    vn_findings_free(&left);
    vn_findings_free(&f);
    vn_buf_free(&spec);
    return rc;
}

static int run_fix(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    unsigned role;
    const vn_release *rel;
    vn_conn conn;
    vn_vim *vim = NULL;
    int rc = vm_cmd_open(cmd, ctx, args, &role, &rel, &conn, &vim);
    if (rc != VN_OK)
        return rc;
    vn_error err = {0};
    vm_list l;
    rc = vm_list_read(vim, args->pos, 1, &l, &err);
    if (rc == VN_OK)
        rc = fix_one(vim, &l.v[0], rel, role, cli_has(cmd, args, "dry-run"), ctx, &err);
    if (rc > VN_FINDINGS)
        cli_report(&err);
    vm_list_free(&l);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc;
}

static const cli_opt opts[] = {
    {"dry-run", 'n', NULL, "show what would change and change nothing", NULL},
    {"role", 0, "ROLE", "host or template (default: template for templates, else host)",
     "host template"},
    {"esxi", 0, "VER", "judge as this ESXi release (default: implied by the guest type)",
     CLI_RELEASE_WORDS},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_vm_fix = {
    "vm fix",
    "NAME [--dry-run] [--role host|template] [--esxi VER]",
    "Apply the Nested ESXi profile to a VM through the API",
    "Checks the VM like 'vnest vm check' and sends one ReconfigVM_Task holding exactly the\n"
    "difference (guestId, CPUs, memory, nested HV, boot options, extraConfig). Nothing is sent\n"
    "when nothing differs. These settings need the VM powered off: while it is on, fix refuses\n"
    "and says so. Device changes (NIC or controller type, hardware version) are listed for you\n"
    "to do, with how." CLI_CONN_HELP,
    "$ vnest vm fix --dry-run esxi-01\n"
    "$ vnest vm fix esxi-01",
    1,
    1,
    opts,
    run_fix,
};
