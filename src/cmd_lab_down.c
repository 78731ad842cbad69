/* vnest lab down: remove what a lab made, and nothing else. */
#include <stdio.h>
#include <string.h>

#include "cmd_lab_common.h"

static int run_down(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    lab_session s;
    int rc = lab_open(cmd, ctx, args, 1, &s);
    if (rc != VN_OK) {
        lab_close(&s);
        return rc;
    }
    int ours = s.lab.nstrays;
    for (int i = 0; i < s.lf.count; i++)
        ours += s.lab.vms[i].state == VN_LAB_OURS;
    if (!cli_has(cmd, args, "yes")) {
        if (!ctx->json && ctx->verbose >= 0) {
            for (int i = 0; i < s.lf.count; i++)
                if (s.lab.vms[i].state == VN_LAB_OURS)
                    printf("would remove %s (%s)\n", s.lab.vms[i].name, s.lab.vms[i].vm.id);
            for (int i = 0; i < s.lab.nstrays; i++)
                printf("would remove %s (%s)\n", s.lab.strays[i].name, s.lab.strays[i].vm.id);
        }
        lab_close(&s);
        return cli_fail(VN_EINPUT, "--yes",
                        "%d VM(s) of this lab would be powered off and destroyed (expected "
                        "--yes to do it)",
                        ours);
    }
    int removed = 0;
    vn_error err = {0};
    rc = vn_lab_down(s.vim, &s.lab, &s.opts, &removed, &err);
    lab_progress_end(&s);
    json_t *extra = json_object();
    json_object_set_new(extra, "removed", json_integer(removed));
    json_object_set_new(extra, "failed", json_integer(s.lab.failed));
    lab_report(ctx, &s, "down", extra);
    if (rc != VN_OK)
        cli_report(&err);
    else if (s.lab.failed)
        rc = VN_ERUNTIME;
    if (!ctx->json && ctx->verbose >= 0 && rc == VN_OK)
        printf("lab %s is down: %d VM(s) removed\n", s.lf.name, removed);
    lab_close(&s);
    return rc;
}

static const cli_opt opts[] = {
    {"yes", 'y', NULL, "really power off and destroy the lab's VMs", NULL},
    LAB_COMMON_OPTS,
    {0},
};

const cli_cmd cmd_lab_down = {
    "lab down",
    "LAB.yaml --yes",
    "Power off and destroy the VMs a lab made, and nothing else",
    "Finds every VM carrying this lab's marker (the extraConfig key vnest.lab with the lab's\n"
    "name), powers off those that run and destroys them, N at a time. A VM without the marker\n"
    "is never touched, even when its name is one of the lab's hosts; VMs of the lab whose\n"
    "names left the lab file (a lower hosts.count) are removed too. Without --yes nothing is\n"
    "done: the VMs that would go are listed and the exit status is 2. The uploaded kickstart\n"
    "ISO stays on the datastore." LAB_CONN_HELP,
    "$ vnest lab down examples/lab.yaml --yes",
    1,
    1,
    opts,
    run_down,
};
