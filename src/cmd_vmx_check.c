/* vnest vmx check: the profile's findings for .vmx files. */
#include <stdio.h>

#include "cmd_vmx_common.h"
#include "render.h"

static int run_check(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    unsigned role = vmx_role_arg(cli_get(cmd, args, "role"));
    if (!role)
        return VN_EINPUT;
    int status = VN_OK;
    json_t *files = json_array();
    for (int i = 0; i < args->npos; i++) {
        vn_error err = {0};
        vn_vmx_report r;
        int rc = vn_vmxop_check(args->pos[i], cli_get(cmd, args, "esxi"), role, &r, &err);
        if (rc != VN_OK) {
            vn_vmx_report_free(&r);
            json_decref(files);
            return cli_report(&err);
        }
        if (ctx->json) {
            json_array_append_new(files, vmx_report_json(&r));
        } else if (ctx->verbose >= 0) {
            vmx_report_header(&r, stdout);
            render_findings_text(&r.findings, ctx->verbose, stdout);
            render_summary_text(&r.findings, stdout);
            if (i + 1 < args->npos)
                putchar('\n');
        }
        if (render_check_status(&r.findings) > status)
            status = render_check_status(&r.findings);
        vn_vmx_report_free(&r);
    }
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "files", files);
        json_object_set_new(doc, "clean", json_boolean(status == VN_OK));
        cli_json_emit(doc);
    } else {
        json_decref(files);
    }
    return status;
}

static const cli_opt opts[] = {
    {"esxi", 0, "VER", "the ESXi release the VM runs (default: implied by guestOS)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {"role", 0, "ROLE", "host (default) or template: a template must also be sealed",
     "host template"},
    {0},
};

const cli_cmd cmd_vmx_check = {
    "vmx check",
    "FILE.vmx... [--esxi VER] [--role host|template]",
    "Check .vmx files against the Nested ESXi profile",
    "Reads each .vmx (VMware Workstation, Fusion, Player, or a VM folder on an ESXi\n"
    "datastore) and reports every rule of the profile it does not satisfy: the rule,\n"
    "its severity, the key with its line, the current and the wanted value. Findings\n"
    "marked [manual] need a person (fix leaves them alone, with a note saying why).\n"
    "\n"
    "The ESXi release decides memory minimums and version policy. It is taken from\n"
    "--esxi, else from the guestOS key (vmkernel7 means 7.0U2+, the newest of its family),\n"
    "else 8.0 is assumed and the header says so.\n"
    "\n"
    "The file is only read. Exit status 1 means an error or a warning was found.",
    "$ vnest vmx check esxi-01/esxi-01.vmx\n"
    "$ vnest vmx check --role template --esxi 7.0U1 template/esxi67.vmx\n"
    "$ vnest --json vmx check */*.vmx | jq '.files[] | select(.clean == false)'",
    1,
    -1,
    opts,
    run_check,
};
