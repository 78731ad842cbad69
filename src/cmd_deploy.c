/* vnest deploy: N nested ESXi hosts cloned from a template (S12, S16). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_conn.h"
#include "cli_spec.h"
#include "vn_deploy.h"
#include "vn_vimprop.h"

static const char *status_name(vn_deploy_status s)
{
    switch (s) {
    case VN_DEPLOY_CREATED:
        return "created";
    case VN_DEPLOY_SKIPPED:
        return "skipped";
    case VN_DEPLOY_FAILED:
        return "failed";
    default:
        return "not done";
    }
}

static void on_progress(void *ctx, const vn_deploy_host *h, int done, int total)
{
    (void)h;
    if (*(int *)ctx)
        fprintf(stderr, "\r[%d/%d] hosts cloned or checked", done, total);
}

static int int_opt(const char *text, const char *flag, int min, int max, int *out)
{
    char *end;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || v < min || v > max)
        return cli_fail(VN_EINPUT, flag, "invalid \"%s\" (expected a number from %d to %d)",
                        text ? text : "", min, max);
    *out = (int)v;
    return VN_OK;
}

/* The guestinfo every host gets, then its own name and address. */
static int build_hosts(const cli_cmd *cmd, const cli_args *args, vn_deploy_plan *plan,
                       vn_error *err)
{
    const char *fmt = cli_get(cmd, args, "name-format");
    const char *range = cli_get(cmd, args, "ip-range");
    int gi = cli_opt_index(cmd, "guestinfo");
    plan->hosts = vn_xcalloc((size_t)plan->count, sizeof(*plan->hosts));
    for (int i = 0; i < plan->count; i++) {
        vn_deploy_host *h = &plan->hosts[i];
        int rc = vn_deploy_name(fmt ? fmt : "esxi-%02d", i + 1, h->name, sizeof(h->name), err);
        if (rc == VN_OK)
            rc = vn_deploy_host_set(h, "hostname", h->name, err);
        for (int k = 0; rc == VN_OK && k < args->count[gi] && k < CLI_MAX_POS; k++) {
            const char *kv = args->multi[gi][k];
            const char *eq = strchr(kv, '=');
            if (!eq || eq == kv)
                return vn_fail(err, VN_EINPUT, "--guestinfo", "\"%s\" (expected KEY=VALUE)", kv);
            char key[96];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
            if (!strcmp(key, "password") || !strcmp(key, "guestinfo.password"))
                return vn_fail(err, VN_EINPUT, "--guestinfo",
                               "a password on the command line is visible to other users "
                               "(expected --password-guestinfo-file FILE)");
            rc = vn_deploy_host_set(h, key, eq + 1, err);
        }
        if (rc == VN_OK && range) {
            char ip[64];
            rc = vn_deploy_ip(range, i, plan->count, ip, sizeof(ip), err);
            if (rc == VN_OK)
                rc = vn_deploy_host_set(h, "ipaddress", ip, err);
        }
        if (rc != VN_OK)
            return rc;
    }
    const char *pwfile = cli_get(cmd, args, "password-guestinfo-file");
    if (pwfile) {
        vn_conn tmp;
        memset(&tmp, 0, sizeof(tmp));
        int rc = vn_conn_password_file(&tmp, pwfile, err);
        for (int i = 0; rc == VN_OK && i < plan->count; i++)
            rc = vn_deploy_host_set(&plan->hosts[i], "password", tmp.password, err);
        vn_conn_free(&tmp);
        if (rc != VN_OK)
            return rc;
    }
    return VN_OK;
}

typedef struct tmpl_info {
    char guest[64];
    int is_template;
} tmpl_info;

static int on_tmpl(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    tmpl_info *t = ctx;
    char buf[16];
    vn_prop_text(o, "config.guestId", t->guest, sizeof(t->guest));
    t->is_template = !strcmp(vn_prop_text(o, "config.template", buf, sizeof(buf)), "true");
    return 1;
}

/* S17: from 7.0 U2 a boot disk must not be cloned. */
static int clone_policy(const cli_cmd *cmd, const cli_args *args, const tmpl_info *t,
                        const char *name, vn_error *err)
{
    const vn_release *rel = NULL;
    const char *esxi = cli_get(cmd, args, "esxi");
    if (esxi && !(rel = vn_release_parse(esxi, "--esxi", err)))
        return err->code;
    if (!rel)
        rel = vn_release_from_guest(t->guest);
    if (rel && !rel->template_clone_ok && !cli_has(cmd, args, "allow-unsupported-clone"))
        return vn_fail(err, VN_EINPUT, name,
                       "is ESXi %s: cloning an installed ESXi boot disk is unsupported from 7.0 "
                       "U2 on and can corrupt shared VMFS (KB 84280, 84349); install each host "
                       "with a kickstart ('vnest ks new', 'vnest iso build'), or pass --esxi 7.0U1 "
                       "if the template is older, or --allow-unsupported-clone",
                       rel->name);
    return VN_OK;
}

static void report(const cli_ctx *ctx, const vn_deploy_plan *plan)
{
    if (ctx->json) {
        json_t *arr = json_array();
        for (int i = 0; i < plan->count; i++) {
            const vn_deploy_host *h = &plan->hosts[i];
            json_t *o = json_object();
            json_object_set_new(o, "name", json_string(h->name));
            json_object_set_new(o, "status", json_string(status_name(h->status)));
            json_object_set_new(o, "moref", h->vm.id[0] ? json_string(h->vm.id) : json_null());
            json_object_set_new(o, "detail", json_string(h->detail));
            json_t *gi = json_object();
            for (int k = 0; k < h->nkv; k++)
                if (strcmp(h->keys[k], "guestinfo.password") != 0)
                    json_object_set_new(gi, h->keys[k], json_string(h->values[k]));
            json_object_set_new(o, "guestinfo", gi);
            json_array_append_new(arr, o);
        }
        json_t *doc = json_object();
        json_object_set_new(doc, "hosts", arr);
        cli_json_emit(doc);
        return;
    }
    if (ctx->verbose < 0)
        return;
    static const char *const head[] = {"NAME", "STATUS", "VM", "DETAIL"};
    cli_table *t = cli_table_new(4, head);
    for (int i = 0; i < plan->count; i++) {
        const vn_deploy_host *h = &plan->hosts[i];
        const char *cells[] = {h->name, status_name(h->status), h->vm.id, h->detail};
        cli_table_row(t, cells);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
}

static int run_deploy(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_deploy_plan plan;
    memset(&plan, 0, sizeof(plan));
    int rc = int_opt(cli_get(cmd, args, "count"), "--count", 1, 1000, &plan.count);
    if (rc == VN_OK && cli_get(cmd, args, "parallel"))
        rc = int_opt(cli_get(cmd, args, "parallel"), "--parallel", 1, 64, &plan.parallel);
    if (rc != VN_OK)
        return rc;
    plan.power_on = cli_has(cmd, args, "power-on");
    vn_error err = {0};
    if (build_hosts(cmd, args, &plan, &err) != VN_OK) {
        vn_deploy_plan_free(&plan);
        return cli_report(&err);
    }
    vn_conn conn;
    vn_vim *vim = NULL;
    rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    if (rc != VN_OK) {
        vn_deploy_plan_free(&plan);
        vn_conn_free(&conn);
        return rc;
    }
    const char *tname = args->pos[0];
    rc = vn_inv_find(vim, "VirtualMachine", tname, tname, &plan.template_vm, 0, &err);
    tmpl_info ti = {{0}, 0};
    if (rc == 1) {
        static const char *const paths[] = {"config.guestId", "config.template", NULL};
        rc = vn_vim_retrieve_objs(vim, &plan.template_vm, 1, paths, on_tmpl, &ti, &err);
    }
    if (rc == VN_OK)
        rc = clone_policy(cmd, args, &ti, tname, &err);
    if (rc == VN_OK) {
        vn_place_req req = {conn.datacenter, conn.folder,    conn.pool,
                            conn.host,       conn.datastore, NULL};
        rc = vn_inv_place(vim, &req, &plan.place, &err);
        if (rc != VN_OK && !conn.datastore && !strcmp(err.where, "--datastore")) {
            /* No datastore named: clones stay with the template's. */
            memset(&plan.place.datastore, 0, sizeof(plan.place.datastore));
            rc = VN_OK;
        }
    }
    if (rc == VN_OK) {
        int tty = isatty(2) && ctx->verbose >= 0 && !ctx->json;
        rc = vn_deploy_run(vim, &plan, on_progress, &tty, &err);
        if (tty)
            fputc('\n', stderr);
        report(ctx, &plan);
        for (int i = 0; rc == VN_OK && i < plan.count; i++)
            if (plan.hosts[i].status == VN_DEPLOY_FAILED)
                rc = VN_ERUNTIME;
        if (rc == VN_ERUNTIME && !err.msg[0])
            err.code = 0; /* per-host failures are in the table */
    }
    if (rc != VN_OK && err.msg[0])
        cli_report(&err);
    vn_deploy_plan_free(&plan);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc;
}

static const cli_opt opts[] = {
    {"count", 'c', "N", "how many hosts (required)", NULL},
    {"name-format", 0, "FMT", "host names, one %d (default esxi-%02d, numbered from 1)", NULL},
    {"guestinfo", 0, "KEY=VALUE",
     "guestinfo for every host (hostname, netmask, gateway, dns, domain, ntp, ssh, vlan, "
     "createvmfs...); repeatable",
     NULL},
    {"ip-range", 0, "FIRST-LAST", "give each host the next address as guestinfo.ipaddress", NULL},
    {"password-guestinfo-file", 0, "FILE", "guestinfo.password from FILE (mode 0600)", NULL},
    {"parallel", 'j', "K", "clones at a time (default 8)", NULL},
    {"power-on", 0, NULL, "power the hosts on when they are ready", NULL},
    {"esxi", 0, "VER", "the template's ESXi release (default: implied by its guest type)",
     CLI_RELEASE_WORDS},
    {"allow-unsupported-clone", 0, NULL, "clone a 7.0 U2 or later boot disk anyway (S17)", NULL},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_deploy = {
    "deploy",
    "TEMPLATE --count N [--name-format 'esxi-%02d'] [--guestinfo KEY=VALUE]... "
    "[--ip-range FIRST-LAST] [--parallel K] [--power-on]",
    "Clone nested ESXi hosts from a template, each with its own guestinfo",
    "Clones the template N times with CloneVM_Task, K at a time, each clone carrying its own\n"
    "identity as guestinfo.* in extraConfig (S16): guestinfo.hostname is the clone's name,\n"
    "guestinfo.ipaddress the next address of --ip-range, and --guestinfo adds keys for all\n"
    "(the keys of the widely used Nested ESXi appliance). Each clone is read back and what\n"
    "did not carry over (guestinfo, nested HV) is set again.\n"
    "\n"
    "Idempotent: a host whose name exists with the same guestinfo is skipped; one that exists\n"
    "but differs is reported and left alone. The final table says what was created, skipped\n"
    "or failed, and why; the exit status is 3 if any host failed.\n"
    "\n"
    "For ESXi 7.0 U2 and later, cloning an installed boot disk is unsupported (S17, KB 84280)\n"
    "and refused unless --allow-unsupported-clone." CLI_CONN_HELP,
    "$ vnest deploy esxi67-template --count 4 --ip-range 10.0.0.11-10.0.0.14 \\\n"
    "      --guestinfo netmask=255.255.255.0 --guestinfo gateway=10.0.0.1 \\\n"
    "      --guestinfo dns=10.0.0.1 --guestinfo domain=lab.local --power-on",
    1,
    1,
    opts,
    run_deploy,
};
