/* vnest lab status: each host of a lab as the inventory shows it. */
#include <stdio.h>
#include <string.h>

#include "cmd_lab_common.h"

static int run_status(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    lab_session s;
    int rc = lab_open(cmd, ctx, args, 1, &s);
    if (rc == VN_OK) {
        int ready = 0;
        for (int i = 0; i < s.lf.count; i++) {
            vn_lab_vm *v = &s.lab.vms[i];
            ready += v->ready;
            const char *r = v->state == VN_LAB_FOREIGN  ? "foreign"
                            : v->state == VN_LAB_ABSENT ? "absent"
                            : v->ready                  ? "ready"
                            : v->powered_on             ? "booting"
                                                        : "off";
            snprintf(v->result, sizeof(v->result), "%s", r);
            if (v->state == VN_LAB_FOREIGN)
                snprintf(v->detail, sizeof(v->detail),
                         "a VM of this name without this lab's marker");
        }
        json_t *extra = json_object();
        json_object_set_new(extra, "ready", json_integer(ready));
        lab_report(ctx, &s, "status", extra);
        if (!ctx->json && ctx->verbose >= 0)
            printf("%d of %d host(s) ready%s\n", ready, s.lf.count,
                   s.lab.nstrays ? " (and VMs of this lab no longer in the file)" : "");
        rc = ready == s.lf.count ? VN_OK : VN_FINDINGS;
    }
    lab_close(&s);
    return rc;
}

static const cli_opt opts[] = {
    LAB_COMMON_OPTS,
    {0},
};

const cli_cmd cmd_lab_status = {
    "lab status",
    "LAB.yaml",
    "Show each host of a lab: exists, powered on, identity reported",
    "Reads the lab's hosts from the inventory in one pass and shows for each whether it\n"
    "exists with the lab's marker, is powered on, and reports its planned host name and\n"
    "address through VMware Tools (ready). Exit status 0 when every host is ready, 1 when\n"
    "some are not (absent, off, booting, or foreign: a VM of that name without the "
    "marker)." LAB_CONN_HELP,
    "$ vnest lab status examples/lab.yaml",
    1,
    1,
    opts,
    run_status,
};
