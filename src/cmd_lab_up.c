/* vnest lab up: build or finish a lab, idempotently. */
#include <stdio.h>
#include <string.h>

#include "cmd_lab_common.h"

static int run_up(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    lab_session s;
    int rc = lab_open(cmd, ctx, args, 0, &s);
    if (rc == VN_OK)
        rc = lab_int_opt(cmd, args, "timeout", 0, 86400, &s.opts.boot_timeout);
    if (rc != VN_OK) {
        lab_close(&s);
        return rc;
    }
    s.opts.no_wait = cli_has(cmd, args, "no-wait");
    vn_error err = {0};
    rc = vn_lab_up(s.vim, &s.lab, &s.opts, &err);
    lab_progress_end(&s);
    json_t *extra = json_object();
    json_object_set_new(extra, "created", json_integer(s.lab.created));
    json_object_set_new(extra, "powered_on", json_integer(s.lab.powered));
    json_object_set_new(extra, "portgroups_fixed", json_integer(s.lab.changed_pgs));
    json_object_set_new(extra, "iso_uploaded",
                        s.lab.iso_uploaded ? json_string(s.lab.iso_ds_path) : json_null());
    json_object_set_new(extra, "failed", json_integer(s.lab.failed));
    json_object_set_new(extra, "timed_out", json_integer(s.lab.timed_out));
    json_object_set_new(extra, "ok",
                        json_boolean(rc == VN_OK && !s.lab.failed && !s.lab.timed_out));
    if (rc != VN_OK)
        json_object_set_new(extra, "error", json_string(err.msg));
    lab_report(ctx, &s, "up", extra);
    if (rc != VN_OK)
        cli_report(&err);
    else if (s.lab.failed || s.lab.timed_out)
        rc = VN_ERUNTIME;
    if (!ctx->json && ctx->verbose >= 0 && rc == VN_OK)
        printf("lab %s is up: %d created, %d powered on, %d port group(s) fixed\n", s.lf.name,
               s.lab.created, s.lab.powered, s.lab.changed_pgs);
    lab_close(&s);
    return rc;
}

static const cli_opt opts[] = {
    {"timeout", 't', "SECS",
     "wait at most SECS for the hosts to report their identity (default: the lab file's "
     "hosts.boot-timeout, 1800)",
     NULL},
    {"no-wait", 0, NULL, "do not wait for the hosts to report their identity", NULL},
    LAB_COMMON_OPTS,
    {0},
};

const cli_cmd cmd_lab_up = {
    "lab up",
    "LAB.yaml [--parallel N] [--timeout SECS] [--no-wait]",
    "Build a whole Nested ESXi lab from a lab file, or finish one",
    "Makes the inventory match the lab file, in this order: the port groups are made fit for\n"
    "nested hosts (S13 promiscuous mode and forged transmits, or S14 MAC learning on a\n"
    "distributed switch 6.6 or later); for the kickstart route (ESXi 7.0 U2 and later, S17)\n"
    "the installer ISO is remastered with a kickstart that takes each host's identity from\n"
    "guestinfo (S16) and uploaded to the datastore, then each host is created empty with it;\n"
    "for the template route (6.x to 7.0 U1) each host is cloned from the sealed template. N\n"
    "hosts at a time. Each host carries guestinfo.hostname, guestinfo.ipaddress and the lab's\n"
    "other guestinfo keys, and the marker vnest.lab. Then they are powered on, and vnest waits\n"
    "until each reports its planned name and address through VMware Tools.\n"
    "\n"
    "Idempotent and resumable: the state is read from the inventory, so a second 'up' changes\n"
    "nothing, and 'up' after Ctrl-C or a crash finishes the job without duplicating a host.\n"
    "A VM with a host's name but without the lab's marker is never touched: that host is\n"
    "reported as refused. The final table says for each host what was done, or which step\n"
    "failed and why; the exit status is 3 if any host failed or timed out." LAB_CONN_HELP,
    "$ vnest lab up examples/lab.yaml\n"
    "$ vnest lab up lab.yaml --parallel 4 --timeout 900\n"
    "$ vnest --json lab up lab.yaml > result.json",
    1,
    1,
    opts,
    run_up,
};
