/* vnest template: turn a prepared Nested ESXi VM into a template (S12). */
#include <stdio.h>
#include <string.h>

#include "cli_conn.h"
#include "cli_spec.h"
#include "vn_apivm.h"

typedef struct vm_state {
    char power[32];
    char tools[48];
    int is_template;
    int enter_setup;
    vn_mor host;
    char guest[64];
} vm_state;

static int on_state(void *ctx, const vn_mor *obj, xmlNodePtr o)
{
    (void)obj;
    vm_state *s = ctx;
    char buf[64];
    vn_prop_text(o, "runtime.powerState", s->power, sizeof(s->power));
    vn_prop_text(o, "guest.toolsRunningStatus", s->tools, sizeof(s->tools));
    s->is_template = !strcmp(vn_prop_text(o, "config.template", buf, sizeof(buf)), "true");
    vn_xn_text(vn_xn_first(vn_prop_find(o, "config.bootOptions"), "enterBIOSSetup"), buf,
               sizeof(buf));
    s->enter_setup = !strcmp(buf, "true");
    vn_mor_from(vn_prop_find(o, "runtime.host"), &s->host);
    vn_prop_text(o, "config.guestId", s->guest, sizeof(s->guest));
    return 1;
}

static int read_state(vn_vim *vim, const vn_mor *vm, vm_state *s, vn_error *err)
{
    static const char *const paths[] = {"runtime.powerState",
                                        "guest.toolsRunningStatus",
                                        "config.template",
                                        "config.bootOptions",
                                        "runtime.host",
                                        "config.guestId",
                                        NULL};
    memset(s, 0, sizeof(*s));
    return vn_vim_retrieve_objs(vim, vm, 1, paths, on_state, s, err);
}

static void say(const cli_ctx *ctx, const char *what, const char *name)
{
    if (ctx->verbose >= 0 && !ctx->json)
        printf("%s: %s\n", name, what);
}

static int make_template(vn_vim *vim, const vn_mor *vm, const char *name, int timeout,
                         const cli_ctx *ctx, vn_error *err)
{
    vm_state s;
    int rc = read_state(vim, vm, &s, err);
    if (rc != VN_OK)
        return rc;
    if (s.is_template) {
        say(ctx, "already a template", name);
        return VN_OK;
    }
    if (strcmp(s.power, "poweredOff") != 0) {
        if (!strcmp(s.tools, "guestToolsRunning")) {
            say(ctx, "shutting the guest down (VMware Tools running)", name);
            rc = vn_apivm_shutdown_guest(vim, vm, timeout, err);
        } else {
            say(ctx, "powering off (no VMware Tools to shut the guest down)", name);
            rc = vn_apivm_power(vim, vm, 0, err);
        }
        if (rc != VN_OK)
            return rc;
    }
    if (s.enter_setup) {
        /* S4: a template must not stop every clone in the firmware menu. */
        say(ctx, "clearing the forced EFI setup entry", name);
        rc = vn_apivm_reconfigure(
            vim, vm, "<bootOptions><enterBIOSSetup>false</enterBIOSSetup></bootOptions>", err);
        if (rc != VN_OK)
            return rc;
    }
    const vn_release *rel = vn_release_from_guest(s.guest);
    if (rel && !rel->template_clone_ok && ctx->verbose >= 0)
        fprintf(stderr,
                "vnest: warning: %s: ESXi %s boot disks must not be cloned (KB 84280, 84349); "
                "install each host with a kickstart instead (S17)\n",
                name, rel->name);
    rc = vn_apivm_mark_template(vim, vm, err);
    if (rc == VN_OK)
        say(ctx, "marked as template", name);
    return rc;
}

static int undo_template(vn_vim *vim, const vn_mor *vm, const char *name, const vn_conn *conn,
                         const cli_ctx *ctx, vn_error *err)
{
    vm_state s;
    int rc = read_state(vim, vm, &s, err);
    if (rc != VN_OK)
        return rc;
    if (!s.is_template) {
        say(ctx, "already a virtual machine", name);
        return VN_OK;
    }
    /* A VM needs a resource pool: the one named, else its host's. */
    vn_place_req req = {conn->datacenter, NULL, conn->pool, conn->host, NULL, NULL};
    vn_placement p;
    memset(&p, 0, sizeof(p));
    if (conn->pool || conn->host) {
        rc = vn_inv_place(vim, &req, &p, err);
    } else {
        vn_mor cr;
        rc = vn_inv_parent_pool(vim, &s.host, &cr, &p.pool, err);
        p.host = s.host;
    }
    if (rc == VN_OK)
        rc = vn_apivm_mark_vm(vim, vm, &p.pool, &s.host, err);
    if (rc == VN_OK)
        say(ctx, "marked as virtual machine", name);
    return rc;
}

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
    if (rc == 1)
        rc = cli_has(cmd, args, "undo") ? undo_template(vim, &vm, name, &conn, ctx, &err)
                                        : make_template(vim, &vm, name, timeout, ctx, &err);
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
