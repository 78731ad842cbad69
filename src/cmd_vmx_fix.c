/* vnest vmx fix: apply the profile to a .vmx in place. */
#include <stdio.h>

#include "cmd_vmx_common.h"
#include "render.h"

static void print_changes(const vn_vmx_report *r, int dry_run)
{
    int any = 0;
    for (size_t i = 0; i < r->findings.n; i++) {
        const vn_finding *f = &r->findings.v[i];
        if (!f->fixable)
            continue;
        printf("  %s %s: %s -> %s\n", dry_run ? "would set" : "set", f->key,
               f->current ? f->current : "(absent)", f->wanted ? f->wanted : "(removed)");
        any = 1;
    }
    if (!any)
        puts("  nothing to change");
}

static int run_fix(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    unsigned role = vmx_role_arg(cli_get(cmd, args, "role"));
    if (!role)
        return VN_EINPUT;
    int dry_run = cli_has(cmd, args, "dry-run");
    vn_error err = {0};
    vn_vmx_report r;
    int rc = vn_vmxop_check(args->pos[0], cli_get(cmd, args, "esxi"), role, &r, &err);
    if (rc == VN_OK)
        rc = vn_vmxop_fix(&r, dry_run, cli_has(cmd, args, "force"), &err);
    if (rc != VN_OK) {
        vn_vmx_report_free(&r);
        return cli_report(&err);
    }
    /* What remains after the fix: the findings that need a person. Their
     * lines are those of the file as it is now: removed lines shift them. */
    vn_vmx *now = NULL;
    vn_error ignored = {0};
    if (r.written && vn_vmx_load(r.path, &now, &ignored) != VN_OK)
        now = NULL;
    vn_findings left = {0};
    for (size_t i = 0; i < r.findings.n; i++) {
        const vn_finding *f = &r.findings.v[i];
        if (!f->fixable) {
            vn_finding *x = vn_findings_add(&left, f->rule, f->key, f->current, f->wanted);
            x->severity = f->severity;
            x->line = now ? vn_vmx_line(now, f->key) : f->line;
            x->fixable = 0;
            x->note = f->note ? vn_xstrdup(f->note) : NULL;
        }
    }
    vn_vmx_free(now);
    if (ctx->json) {
        json_t *doc = vmx_report_json(&r);
        json_object_set_new(doc, "dry_run", json_boolean(dry_run));
        json_object_set_new(doc, "changed", json_integer((json_int_t)r.changed));
        json_object_set_new(doc, "written", json_boolean(r.written));
        json_object_set_new(doc, "backup",
                            r.backup ? json_sprintf("%s.orig", r.path) : json_null());
        json_object_set_new(doc, "remaining", render_findings_json(&left));
        cli_json_emit(doc);
    } else if (ctx->verbose >= 0) {
        vmx_report_header(&r, stdout);
        print_changes(&r, dry_run);
        if (r.backup)
            printf("original kept as %s.orig\n", r.path);
        if (r.written)
            printf("wrote %s (%zu change%s)\n", r.path, r.changed, r.changed == 1 ? "" : "s");
        if (left.n) {
            puts("left for you to do:");
            render_findings_text(&left, ctx->verbose, stdout);
        }
    }
    rc = render_check_status(&left);
    vn_findings_free(&left);
    vn_vmx_report_free(&r);
    return rc;
}

static const cli_opt opts[] = {
    {"esxi", 0, "VER", "the ESXi release the VM runs (default: implied by guestOS)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {"role", 0, "ROLE", "host (default) or template: template also seals the VM", "host template"},
    {"dry-run", 'n', NULL, "show what would change and write nothing", NULL},
    {"force", 0, NULL, "write even though a lock file says the VM is running", NULL},
    {0},
};

const cli_cmd cmd_vmx_fix = {
    "vmx fix",
    "FILE.vmx [--esxi VER] [--role host|template] [--dry-run] [--force]",
    "Apply the Nested ESXi profile to a .vmx in place",
    "Applies every fixable finding of 'vnest vmx check' and prints what changed. Only the\n"
    "lines that change are touched; new keys are appended in the profile's order; every\n"
    "other byte of the file stays as it was.\n"
    "\n"
    "The file is replaced atomically (a temporary file is written, flushed to disk and\n"
    "renamed over it), so a crash leaves the old file or the new one. Before the first\n"
    "change the original is kept as FILE.vmx.orig (never overwritten later).\n"
    "\n"
    "A running VM rewrites its .vmx and would lose the edit, so fix refuses while a lock\n"
    "(NAME.vmx.lck, *.lck or .lck-*) sits beside the file; --force overrides a stale lock.\n"
    "Findings that need a person (such as switching an installed VM from BIOS to EFI) are\n"
    "listed at the end and make the exit status 1.",
    "$ vnest vmx fix --dry-run esxi-01/esxi-01.vmx\n"
    "$ vnest vmx fix --role template template/esxi67.vmx",
    1,
    1,
    opts,
    run_fix,
};
