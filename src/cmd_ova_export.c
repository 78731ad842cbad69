/* vnest ova export: a powered-off Nested ESXi VM folder as an OVA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_conn.h"
#include "vn_ovaexport.h"
#include "vn_ovfw.h"
#include "vn_vimexport.h"

typedef struct progress {
    int shown;
    size_t disk;
    int percent; /* last shown: the line is redrawn only when it changes */
} progress;

static void on_progress(void *ctx, size_t disk, size_t ndisks, const char *href, uint64_t done,
                        uint64_t total)
{
    progress *p = ctx;
    int percent = total ? (int)(done * 100 / total) : 100;
    if (p->shown && p->disk == disk && p->percent == percent)
        return;
    p->shown = 1;
    p->disk = disk;
    p->percent = percent;
    fprintf(stderr, "\r\033[Kdisk %zu/%zu %s: %3d%% of %.1f GiB", disk + 1, ndisks, href, percent,
            (double)total / (1u << 30));
}

static double mib(uint64_t v)
{
    return (double)v / (1024.0 * 1024.0);
}

static json_t *props_json(unsigned mask)
{
    json_t *a = json_array();
    for (int i = 0; i < VN_PROP_COUNT; i++)
        if (mask & (1u << i)) {
            char key[64];
            snprintf(key, sizeof(key), "guestinfo.%s", vn_ovf_prop_name((vn_ovf_prop)i));
            json_array_append_new(a, json_string(key));
        }
    return a;
}

static void report(const cli_ctx *ctx, const char *out, unsigned props, const vn_ovaexp_result *r)
{
    if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "ova", json_string(out));
        json_object_set_new(o, "size", json_integer((json_int_t)r->ova_size));
        json_object_set_new(o, "name", json_string(r->name));
        json_object_set_new(o, "esxi", json_string(r->rel->name));
        json_object_set_new(o, "os_type", json_string(r->rel->guest_id));
        json_object_set_new(o, "ovf", json_string(r->ovf));
        json_object_set_new(o, "ovf_sha256", json_string(r->ovf_sha256));
        json_object_set_new(o, "manifest", json_string(r->mf));
        json_t *disks = json_array();
        for (size_t i = 0; i < r->ndisks; i++) {
            const vn_ovaexp_disk *d = &r->disks[i];
            json_t *x = json_object();
            json_object_set_new(x, "file", json_string(d->href));
            json_object_set_new(x, "source", json_string(d->source));
            json_object_set_new(x, "device", json_string(d->vmx_key));
            json_object_set_new(x, "capacity", json_integer((json_int_t)d->capacity));
            json_object_set_new(x, "populated", json_integer((json_int_t)d->populated));
            json_object_set_new(x, "size", json_integer((json_int_t)d->size));
            json_object_set_new(x, "sha256", json_string(d->sha256));
            json_array_append_new(disks, x);
        }
        json_object_set_new(o, "disks", disks);
        json_object_set_new(o, "properties", props_json(props));
        cli_json_emit(o);
        return;
    }
    if (ctx->verbose < 0)
        return;
    printf("exported Nested ESXi %s VM \"%s\" to %s (%.1f MiB):\n", r->rel->name, r->name, out,
           mib(r->ova_size));
    printf("  %s\n  %s\n", r->ovf, r->mf);
    for (size_t i = 0; i < r->ndisks; i++) {
        const vn_ovaexp_disk *d = &r->disks[i];
        printf("  %s  %.1f GiB disk %s (%s): %.1f MiB of data, %.1f MiB compressed\n", d->href,
               mib(d->capacity) / 1024, d->source, d->vmx_key, mib(d->populated), mib(d->size));
    }
    if (props) {
        printf("vApp properties:");
        for (int i = 0; i < VN_PROP_COUNT; i++)
            if (props & (1u << i))
                printf(" guestinfo.%s", vn_ovf_prop_name((vn_ovf_prop)i));
        printf("\n");
    }
}

static void on_download(void *ctx, size_t disk, size_t ndisks, unsigned long long bytes)
{
    (void)ctx;
    fprintf(stderr, "\r\033[Kdownloading disk %zu/%zu: %.1f MiB", disk + 1, ndisks,
            mib((uint64_t)bytes));
}

/* --vm NAME: the VM through the API (vn_vimexport), same options. */
static int run_vm_export(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args, const char *vm,
                         const vn_ovaexp_opts *eo, progress *shown)
{
    vn_conn conn;
    vn_vim *vim = NULL;
    int rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    if (rc != VN_OK) {
        vn_conn_free(&conn);
        return rc;
    }
    vn_vmexport_opts o = {.vm_name = vm,
                          .out_path = eo->out_path,
                          .rel = eo->rel,
                          .props = eo->props,
                          .threads = eo->threads,
                          .tls = &conn.tls,
                          .progress = eo->progress,
                          .progress_ctx = eo->progress_ctx};
    if (eo->progress) {
        o.download = on_download;
        shown->shown = 1;
    }
    vn_error err = {0};
    vn_ovaexp_result *r = calloc(1, sizeof(*r));
    if (!r)
        rc = cli_fail(VN_ERUNTIME, NULL, "out of memory");
    else
        rc = vn_vm_export(vim, &o, r, &err);
    if (shown->shown)
        fputs("\r\033[K", stderr);
    if (r && rc == VN_OK)
        report(ctx, eo->out_path, o.props, r);
    else if (r)
        cli_report(&err);
    free(r);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc;
}

static int run_export(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    const char *out = cli_get(cmd, args, "output");
    const char *vm = cli_get(cmd, args, "vm");
    if (vm && args->npos)
        return cli_fail(VN_EINPUT, args->pos[0],
                        "a VMX and --vm %s (expected one of FILE.vmx or --vm NAME)", vm);
    if (!vm && !args->npos)
        return cli_fail(VN_EINPUT, "ova export",
                        "nothing to export (expected FILE.vmx or --vm NAME)");
    if (vm && !*vm)
        return cli_fail(VN_EINPUT, "--vm", "empty (expected the VM's name)");
    static const char *const conn_opts[] = {
        "url",        "user",       "password-file", "insecure", "ca-file", "known-hosts",
        "thumbprint", "datacenter", "datastore",     "pool",     "folder",  "host",
        NULL};
    for (int i = 0; !vm && conn_opts[i]; i++)
        if (cli_has(cmd, args, conn_opts[i]))
            return cli_fail(VN_EINPUT, args->pos[0],
                            "--%s is a connection option (expected it only with --vm NAME)",
                            conn_opts[i]);
    if (!out)
        return cli_fail(VN_EINPUT, "--output", "missing (expected -o OUT.ova)");
    vn_error err = {0};
    vn_ovaexp_opts o = {
        .vmx_path = vm ? NULL : args->pos[0], .out_path = out, .props = VN_PROPS_ALL};
    const char *props = cli_get(cmd, args, "props");
    if (props && vn_ovf_props_parse(props, "--props", &o.props, &err) != VN_OK)
        return cli_report(&err);
    const char *esxi = cli_get(cmd, args, "esxi");
    if (esxi && !(o.rel = vn_release_parse(esxi, "--esxi", &err)))
        return cli_report(&err);
    const char *threads = cli_get(cmd, args, "threads");
    if (threads) {
        char *end = NULL;
        long n = strtol(threads, &end, 10);
        if (!*threads || *end || n < 1 || n > 64)
            return cli_fail(VN_EINPUT, "--threads", "\"%s\" is not a thread count (expected 1-64)",
                            threads);
        o.threads = (int)n;
    }
    progress shown = {0};
    if (isatty(2) && ctx->verbose >= 0 && !ctx->json) {
        o.progress = on_progress;
        o.progress_ctx = &shown;
    }
    if (vm)
        return run_vm_export(cmd, ctx, args, vm, &o, &shown);
    vn_ovaexp_result *r = calloc(1, sizeof(*r));
    if (!r)
        return cli_fail(VN_ERUNTIME, NULL, "out of memory");
    int rc = vn_ova_export(&o, r, &err);
    if (shown.shown)
        fputs("\r\033[K", stderr);
    if (rc == VN_OK)
        report(ctx, out, o.props, r);
    else
        cli_report(&err);
    free(r);
    return rc;
}

static const cli_opt opts[] = {
    {"output", 'o', "OUT.ova", "the OVA to write (required; replaced atomically)", NULL},
    {"props", 0, "LIST",
     "vApp properties to offer, comma-separated: hostname, ipaddress, netmask, gateway, dns, "
     "domain, ntp, ssh, password, createvmfs, all or none (default: all)",
     "all none hostname ipaddress netmask gateway dns domain ntp ssh password createvmfs"},
    {"esxi", 0, "VER", "the ESXi release inside (default: from the VMX's guestOS)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2+ 8.0 9.0"},
    {"threads", 0, "N", "threads compressing the disks (default: one per CPU)", NULL},
    {"vm", 0, "NAME",
     "export this powered-off VM or template through the vSphere API instead of a VMX", NULL},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_ova_export = {
    "ova export",
    "{FILE.vmx | --vm NAME} -o OUT.ova [--props LIST] [--esxi VER] [--threads N] "
    "[connection options]",
    "Export a powered-off Nested ESXi VM (folder or through the API) as an OVA",
    "Writes OUT.ova from FILE.vmx and the disks it names (scsi, nvme and sata fileName\n"
    "entries, relative to the VMX; raw images and every VMDK kind vnest reads). The archive\n"
    "is ustar, in the order importers want: NAME.ovf, NAME.mf (SHA256 lines for every other\n"
    "member), then NAME-diskN.vmdk as streamOptimized VMDKs (deflate-compressed 64 KiB\n"
    "grains, zero grains left out, compressed on every CPU).\n"
    "\n"
    "The descriptor keeps what a Nested ESXi needs and importers usually lose: guest type\n"
    "vmkernelN (OVF id 104), the hardware version, CPUs, memory, PVSCSI or NVMe, VMXNET3\n"
    "NICs and their networks, nestedHVEnabled, firmware and Secure Boot as vmw:Config (S3),\n"
    "disk.EnableUUID and the vSAN disks' virtualSSD as vmw:ExtraConfig, and vApp properties\n"
    "guestinfo.* (S16) with types, defaults and labels; the password is marked as one.\n"
    "CD-ROMs are left out.\n"
    "\n"
    "A running VM (a .lck lock beside the VMX) is refused. The OVA is written to\n"
    ".OUT.ova.part beside OUT and renamed when complete: after an error or a crash there is\n"
    "no partial OUT.ova. Progress is shown on a terminal.\n"
    "\n"
    "--vm NAME exports a powered-off VM or template through the vSphere API instead (vCenter\n"
    "or ESXi): the descriptor is made from its configuration (guest type, hardware version,\n"
    "CPUs, memory, controllers, disks, NICs and their networks, nested HV, firmware, Secure\n"
    "Boot, extraConfig) by the same code, and the disks come through an export lease\n"
    "(VirtualMachine.ExportVm, HttpNfcLease): each is downloaded as a streamOptimized VMDK to\n"
    "a temporary file beside OUT.ova, then re-encoded into the OVA as above. The lease is\n"
    "completed after the last download and aborted on any failure; the temporary files are\n"
    "removed in every case. A VM that is powered on or suspended is refused (exit "
    "3)." CLI_CONN_HELP,
    "$ vnest ova export esxi-01/esxi-01.vmx -o esxi-01.ova\n"
    "$ vnest ova export lab/esxi8/esxi8.vmx -o Nested_ESXi8.ova --props hostname,ipaddress,"
    "netmask,gateway,dns,password\n"
    "$ vnest --json ova export esxi-01/esxi-01.vmx -o esxi-01.ova | jq '.disks[].size'\n"
    "$ GOVC_URL=vc.lab vnest ova export --vm esxi8-template -o esxi8.ova",
    0,
    1,
    opts,
    run_export,
};
