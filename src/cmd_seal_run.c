/* vnest seal run: the in-guest seal of `vnest seal script`, run inside the
 * nested ESXi through vSphere guest operations (VMware Tools for Nested
 * ESXi, S16), then the template of `vnest template`. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_conn.h"
#include "cmd_template.h"
#include "vn_guestops.h"
#include "vn_seal.h"
#include "vn_template.h"

#define SEAL_PATH   "/tmp/vnest-seal.sh"
#define SEAL_LOG    "/tmp/vnest-seal.log"
#define SEAL_USER   "root"
#define LOG_MAX     ((size_t)1 << 20)
#define TAIL_LINES  20
#define DEF_TIMEOUT 900

typedef struct seal_req {
    const vn_release *rel;
    vn_seal_set set;
    int allow;
    vn_buf script;
} seal_req;

/* The release, the selection and the script; errors are VN_EINPUT. */
static int make_script(const cli_cmd *cmd, const cli_args *args, seal_req *s, vn_error *err)
{
    int rc = vn_seal_policy(s->rel, s->allow, err);
    if (rc != VN_OK)
        return rc;
    int oi = cli_opt_index(cmd, "ops");
    size_t nspecs = (size_t)args->count[oi];
    if (nspecs > CLI_MAX_POS)
        return vn_fail(err, VN_EINPUT, "--ops", "given too often (at most %d times)", CLI_MAX_POS);
    rc = vn_seal_select(args->multi[oi], nspecs, s->rel->id, &s->set, err);
    if (rc == VN_OK)
        rc = vn_seal_script(s->rel, s->set, s->allow, &s->script, err);
    return rc;
}

typedef struct vm_info {
    char power[32];
    char tools[64];
    char guest[64];
    int is_template;
} vm_info;

static int on_vm(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    vm_info *v = ctx;
    char buf[16];
    vn_prop_text(o, "runtime.powerState", v->power, sizeof(v->power));
    vn_prop_text(o, "guest.toolsRunningStatus", v->tools, sizeof(v->tools));
    vn_prop_text(o, "config.guestId", v->guest, sizeof(v->guest));
    v->is_template = !strcmp(vn_prop_text(o, "config.template", buf, sizeof(buf)), "true");
    return 1;
}

/* Refuses a VM the seal cannot run in: a template, powered off, no Tools. */
static int check_vm(vn_vim *vim, const vn_mor *vm, const char *name, vm_info *v, vn_error *err)
{
    static const char *const paths[] = {"runtime.powerState", "guest.toolsRunningStatus",
                                        "config.guestId", "config.template", NULL};
    memset(v, 0, sizeof(*v));
    int rc = vn_vim_retrieve_objs(vim, vm, 1, paths, on_vm, v, err);
    if (rc != VN_OK)
        return rc;
    if (v->is_template)
        return vn_fail(err, VN_ERUNTIME, name,
                       "is a template: the seal runs inside a powered-on VM (make it a VM again "
                       "with 'vnest template --undo')");
    if (strcmp(v->power, "poweredOn") != 0)
        return vn_fail(err, VN_ERUNTIME, name,
                       "is %s: the seal runs inside the guest (power it on and wait for VMware "
                       "Tools)",
                       v->power[0] ? v->power : "not powered on");
    if (strcmp(v->tools, "guestToolsRunning") != 0)
        return vn_fail(err, VN_ERUNTIME, name,
                       "VMware Tools are not running in the guest (guest.toolsRunningStatus is "
                       "%s): install VMware Tools for Nested ESXi (S16) in the nested host, or "
                       "wait until it has booted",
                       v->tools[0] ? v->tools : "unset");
    return VN_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for poweredOff until `end` (monotonic seconds); 1 when reached. */
static int wait_off(vn_vim *vim, const vn_mor *vm, double end, vn_error *err)
{
    for (;;) {
        char power[32], tools[64];
        int rc = vn_guestops_vm_state(vim, vm, power, sizeof(power), tools, sizeof(tools), err);
        if (rc != VN_OK)
            return -rc;
        if (!strcmp(power, "poweredOff"))
            return 1;
        if (now_s() >= end)
            return 0;
        usleep(500 * 1000);
    }
}

/* The script prints "vnest-seal: [N/M] power-off: ..." before it shuts the
 * host down and "vnest-seal: step X failed" when a step fails. A script
 * that reached the power-off without failing may still end with a non-zero
 * status: the shutdown can stop it before it exits. */
static int log_reached_power_off(const char *log)
{
    return strstr(log, "] power-off: ") != NULL && strstr(log, "vnest-seal: step ") == NULL;
}

static void print_tail(const char *log, size_t len)
{
    size_t start = len, lines = 0;
    while (start > 0 && len > 0) {
        if (log[start - 1] == '\n' && start != len && ++lines >= TAIL_LINES)
            break;
        start--;
    }
    if (start == len) {
        fputs("  (the log is empty)\n", stderr);
        return;
    }
    const char *p = log + start;
    while (p < log + len) {
        const char *nl = memchr(p, '\n', (size_t)(log + len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(log + len - p);
        fprintf(stderr, "  | %.*s\n", (int)l, p);
        p += l + (nl ? 1 : 0);
    }
}

/* Errors of the guest operations name the VM by its id: name it by name. */
static int report_vm(vn_error *err, const vn_mor *vm, const char *name)
{
    if (!strcmp(err->where, vm->id))
        snprintf(err->where, sizeof(err->where), "%s", name);
    return cli_report(err);
}

/* Runs the uploaded script and waits. Returns VN_OK once the VM powered
 * itself off; a failed script is reported here with its log's tail. */
static int run_seal(vn_guestops *g, const vn_mor *vm, const char *name, int timeout,
                    const note_ctx *note, long long *pid)
{
    vn_error err = {0};
    int rc = vn_guestops_start(g, vm, "/bin/sh", SEAL_PATH " > " SEAL_LOG " 2>&1", pid, NULL, &err);
    if (rc != VN_OK)
        return report_vm(&err, vm, name);
    char text[160];
    snprintf(text, sizeof(text), "running it (pid %lld, output in %s)", *pid, SEAL_LOG);
    template_note((void *)note, 0, text);
    double end = now_s() + timeout;
    vn_guest_wait w;
    rc = vn_guestops_wait(g, vm, *pid, timeout, &w, &err);
    if (rc != VN_OK)
        return report_vm(&err, vm, name);
    if (w.powered_off)
        return VN_OK;

    /* A non-zero exit status with the VM still on: read the log. */
    vn_buf log = VN_BUF_INIT;
    vn_fault f;
    rc = vn_guestops_download(g, vm, SEAL_LOG, &log, LOG_MAX, &f, &err);
    int going_down = rc != VN_OK && vn_guestops_fault_guest_gone(&f);
    if (rc == VN_OK && log_reached_power_off(log.data))
        going_down = 1;
    if (going_down) {
        vn_error_clear(&err);
        int off = wait_off(g->vim, vm, end, &err);
        if (off == 1) {
            vn_buf_free(&log);
            return VN_OK;
        }
        if (off < 0) {
            vn_buf_free(&log);
            return report_vm(&err, vm, name);
        }
        vn_buf_free(&log);
        return cli_fail(VN_ERUNTIME, name,
                        "the seal script reached its power-off (exit status %d), but the VM was "
                        "still powered on after %d s",
                        w.exit_code, timeout);
    }
    if (rc != VN_OK) {
        vn_buf_free(&log);
        fprintf(stderr, "vnest: %s: the seal script failed in the guest (exit status %d)\n", name,
                w.exit_code);
        return report_vm(&err, vm, name);
    }
    fprintf(stderr,
            "vnest: %s: the seal script failed in the guest (exit status %d); no template made. "
            "The last lines of %s:\n",
            name, w.exit_code, SEAL_LOG);
    print_tail(log.data, log.len);
    vn_buf_free(&log);
    return VN_ERUNTIME;
}

static int run_seal_run(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_error err = {0};
    const char *name = args->pos[0];
    int timeout = DEF_TIMEOUT;
    const char *t = cli_get(cmd, args, "timeout");
    if (t && (sscanf(t, "%d", &timeout) != 1 || timeout <= 0))
        return cli_fail(VN_EINPUT, "--timeout", "invalid \"%s\" (expected seconds, e.g. 900)", t);
    const char *pwfile = cli_get(cmd, args, "guest-password-file");
    if (!pwfile)
        return cli_fail(VN_EINPUT, "--guest-password-file",
                        "missing (expected a file, mode 0600, holding the nested ESXi's root "
                        "password)");
    seal_req s = {NULL, 0, cli_has(cmd, args, "allow-unsupported-clone"), VN_BUF_INIT};
    const char *esxi = cli_get(cmd, args, "esxi");
    if (esxi) {
        /* Everything that needs no server is checked before connecting. */
        s.rel = vn_release_parse(esxi, "--esxi", &err);
        if (!s.rel || make_script(cmd, args, &s, &err) != VN_OK) {
            vn_buf_free(&s.script);
            return cli_report(&err);
        }
    }
    vn_conn guest = {0};
    if (vn_conn_password_file(&guest, pwfile, &err) != VN_OK) {
        vn_buf_free(&s.script);
        return cli_report(&err);
    }
    if (!guest.password || !guest.password[0]) {
        vn_conn_free(&guest);
        vn_buf_free(&s.script);
        return cli_fail(VN_EINPUT, pwfile,
                        "empty password file (expected the guest's root "
                        "password)");
    }

    vn_conn conn;
    vn_vim *vim = NULL;
    int rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    vn_mor vm;
    vm_info info;
    vn_guestops g;
    memset(&g, 0, sizeof(g));
    long long pid = 0;
    note_ctx note = {ctx, name};
    if (rc != VN_OK)
        goto out;
    rc = vn_inv_find(vim, "VirtualMachine", name, name, &vm, 0, &err);
    if (rc != 1) {
        rc = cli_report(&err);
        goto out;
    }
    rc = check_vm(vim, &vm, name, &info, &err);
    if (rc != VN_OK) {
        rc = cli_report(&err);
        goto out;
    }
    if (!s.rel) {
        /* No --esxi: the guest type says, conservatively (vmkernel7Guest
         * is read as 7.0U2+, whose clone is unsupported). */
        s.rel = vn_release_from_guest(info.guest);
        if (!s.rel) {
            rc = cli_fail(VN_EINPUT, "--esxi",
                          "%s has guest type \"%s\", not an ESXi one (expected --esxi VER: %s)",
                          name, info.guest, vn_release_list());
            goto out;
        }
        rc = make_script(cmd, args, &s, &err);
        if (rc != VN_OK) {
            if (!strcmp(err.where, "--esxi")) {
                size_t l = strlen(err.msg);
                snprintf(err.msg + l, sizeof(err.msg) - l,
                         " (release %s read from the VM's guest type %s; name it with --esxi)",
                         s.rel->name, info.guest);
            }
            rc = cli_report(&err);
            goto out;
        }
    }

    rc = vn_guestops_open(&g, vim, &conn.tls, SEAL_USER, guest.password, &err);
    if (rc != VN_OK) {
        rc = cli_report(&err);
        goto out;
    }
    rc = vn_guestops_upload(&g, &vm, SEAL_PATH, s.script.data, s.script.len, 0755, NULL, &err);
    if (rc != VN_OK) {
        rc = report_vm(&err, &vm, name);
        goto out;
    }
    {
        vn_buf ops = VN_BUF_INIT;
        vn_seal_set_text(s.set, ",", &ops);
        char text[640];
        snprintf(text, sizeof(text), "uploaded the seal for ESXi %s (%s) to %s", s.rel->name,
                 ops.data, SEAL_PATH);
        vn_buf_free(&ops);
        template_note(&note, 0, text);
    }
    rc = run_seal(&g, &vm, name, timeout, &note, &pid);
    if (rc != VN_OK)
        goto out;
    template_note(&note, 0, "sealed: the guest powered itself off");
    if (!cli_has(cmd, args, "no-template")) {
        rc = vn_template_make(vim, &vm, timeout, template_note, &note, &err);
        if (rc != VN_OK) {
            rc = report_vm(&err, &vm, name);
            goto out;
        }
    }
    if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "moref", json_string(vm.id));
        json_object_set_new(o, "esxi", json_string(s.rel->name));
        json_t *arr = json_array();
        for (size_t i = 0; i < vn_seal_count(); i++)
            if (s.set & (1ul << i))
                json_array_append_new(arr, json_string(vn_seal_at(i)->id));
        json_object_set_new(o, "operations", arr);
        json_object_set_new(o, "pid", json_integer(pid));
        json_object_set_new(o, "sealed", json_true());
        json_object_set_new(o, "template", json_boolean(!cli_has(cmd, args, "no-template")));
        cli_json_emit(o);
    }

out:
    vn_guestops_close(&g);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    vn_conn_free(&guest);
    vn_buf_free(&s.script);
    return rc;
}

static const cli_opt opts[] = {
    {"guest-password-file", 0, "FILE",
     "the nested ESXi's root password, in FILE of mode 0600 (required)", NULL},
    {"ops", 0, "LIST",
     "operations: NAME or +NAME adds, -NAME removes, all, none (comma-separated; repeatable)",
     "legacy-cpu ssh follow-hw-mac vmknics local-vmfs install-media dhcp-leases vsan-node-uuid "
     "auto-backup system-uuid"},
    {"esxi", 0, "VER", "ESXi release of the nested host (default: from the VM's guest type)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {"allow-unsupported-clone", 0, NULL,
     "seal 7.0 U2 or later anyway (S17: unsupported, can corrupt shared VMFS)", NULL},
    {"timeout", 0, "SECONDS", "how long the seal and the guest's power-off may take (default 900)",
     NULL},
    {"no-template", 0, NULL, "stop after the seal; leave the powered-off VM a VM", NULL},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_seal_run = {
    "seal run",
    "VM --guest-password-file FILE [--ops LIST] [--esxi VER] [--allow-unsupported-clone] "
    "[--timeout SECONDS] [--no-template]",
    "Seal a Nested ESXi VM through VMware Tools, then make it a template",
    "Runs the seal of 'vnest seal script' inside the nested ESXi through vSphere guest\n"
    "operations, which VMware Tools for Nested ESXi answer (S16): uploads it as\n"
    "/tmp/vnest-seal.sh (mode 0755), runs it as root with /bin/sh, its output going to\n"
    "/tmp/vnest-seal.log, and waits until the guest powers itself off, the script's last\n"
    "step. Then it makes the VM a template as 'vnest template' does (clears the forced EFI\n"
    "setup entry, S4; marks it, S12), unless --no-template.\n"
    "\n"
    "The VM must be powered on with VMware Tools running (guest.toolsRunningStatus); the\n"
    "guest user is root, its password read from --guest-password-file (mode 0600; never\n"
    "from the command line). The release comes from --esxi, else from the VM's guest type,\n"
    "read conservatively: vmkernel7Guest counts as 7.0U2 or later, so name 7.0 or 7.0U1\n"
    "with --esxi. From ESXi 7.0 Update 2 cloning a boot disk is unsupported (S17): the\n"
    "command refuses unless --allow-unsupported-clone, before anything runs in the guest.\n"
    "\n"
    "The transfer goes over HTTPS to the URL the server hands out: vCenter hands out one on\n"
    "the ESXi host that runs the VM, whose certificate must then be trusted too (--ca-file,\n"
    "or its thumbprint in the known-hosts file; --thumbprint pins only vCenter).\n"
    "\n"
    "When a step fails, the script stops and exits non-zero without powering off; vnest\n"
    "then prints the last lines of /tmp/vnest-seal.log, makes no template and exits 3. Fix\n"
    "the cause in the guest and run the command again: every step can run again." CLI_CONN_HELP,
    "$ vnest seal run esxi67-tmpl --guest-password-file ~/.esxi-root\n"
    "$ vnest seal run esxi70u1-tmpl --esxi 7.0U1 --ops legacy-cpu --guest-password-file pw\n"
    "    also persist allowLegacyCPU=true (S5)\n"
    "$ vnest seal run esxi67-tmpl --guest-password-file pw --no-template",
    1,
    1,
    opts,
    run_seal_run,
};
