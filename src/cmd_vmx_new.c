/* vnest vmx new: a ready-to-power-on Nested ESXi VM folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_vmx_common.h"
#include "vn_buf.h"
#include "vn_size.h"

static int int_arg(const char *text, const char *where, int *out)
{
    char *end;
    long n = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || n < 0 || n > 100000)
        return cli_fail(VN_EINPUT, where, "invalid number \"%s\" (expected a whole number)",
                        text ? text : "");
    *out = (int)n;
    return VN_OK;
}

static int size_arg(const cli_cmd *cmd, cli_args *args, const char *name, uint64_t bare,
                    uint64_t *out)
{
    const char *text = cli_get(cmd, args, name);
    if (!text)
        return VN_OK;
    char where[48];
    snprintf(where, sizeof(where), "--%s", name);
    vn_error err = {0};
    if (vn_size_parse(text, bare, where, out, &err) != VN_OK)
        return cli_report(&err);
    return VN_OK;
}

/* Reads the options into a spec; any error has been reported. */
static int read_spec(const cli_cmd *cmd, cli_args *args, vn_vm_spec *spec)
{
    vn_error err = {0};
    const vn_release *rel = vn_release_parse(cli_get(cmd, args, "esxi"), "--esxi", &err);
    if (!cli_get(cmd, args, "esxi"))
        return cli_fail(VN_EINPUT, "--esxi", "missing (expected the ESXi release to install: %s)",
                        vn_release_list());
    if (!rel)
        return cli_report(&err);
    const char *name = cli_get(cmd, args, "name");
    if (!name) {
        /* Default name: the folder's last component. */
        const char *dir = args->pos[0];
        size_t len = strlen(dir);
        while (len > 1 && dir[len - 1] == '/')
            len--;
        const char *slash = memrchr(dir, '/', len);
        const char *base = slash ? slash + 1 : dir;
        static char namebuf[256];
        snprintf(namebuf, sizeof(namebuf), "%.*s", (int)(dir + len - base), base);
        name = namebuf;
    }
    vn_vm_spec_defaults(spec, rel, name);
    int rc = VN_OK;
    if (cli_get(cmd, args, "cpus"))
        rc = int_arg(cli_get(cmd, args, "cpus"), "--cpus", &spec->cpus);
    if (!rc && cli_get(cmd, args, "nics"))
        rc = int_arg(cli_get(cmd, args, "nics"), "--nics", &spec->nics);
    if (!rc && cli_get(cmd, args, "hw-version"))
        rc = int_arg(cli_get(cmd, args, "hw-version"), "--hw-version", &spec->hw_version);
    if (!rc)
        rc = size_arg(cmd, args, "memory", VN_MIB, &spec->memory);
    if (!rc)
        rc = size_arg(cmd, args, "boot-disk", VN_GIB, &spec->boot_disk);
    if (!rc)
        rc = size_arg(cmd, args, "vsan-cache", VN_GIB, &spec->vsan_cache);
    if (!rc)
        rc = size_arg(cmd, args, "vsan-capacity", VN_GIB, &spec->vsan_capacity);
    spec->iso = cli_get(cmd, args, "iso");
    spec->network = cli_get(cmd, args, "network");
    return rc;
}

static int run_new(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_vm_spec spec;
    int rc = read_spec(cmd, args, &spec);
    if (rc != VN_OK)
        return rc;
    vn_error err = {0};
    vn_buf created = VN_BUF_INIT;
    rc = vn_vmxop_new(args->pos[0], &spec, &created, &err);
    if (rc != VN_OK) {
        vn_buf_free(&created);
        return cli_report(&err);
    }
    if (ctx->json) {
        json_t *doc = json_object();
        json_t *files = json_array();
        const char *vmx = NULL;
        for (char *save = NULL, *t = strtok_r(created.data, "\n", &save); t;
             t = strtok_r(NULL, "\n", &save)) {
            json_array_append_new(files, json_string(t));
            vmx = t;
        }
        json_object_set_new(doc, "vmx", json_string(vmx ? vmx : ""));
        json_object_set_new(doc, "files", files);
        json_object_set_new(doc, "esxi", json_string(spec.rel->name));
        json_object_set_new(doc, "name", json_string(spec.name));
        cli_json_emit(doc);
    } else if (ctx->verbose >= 0) {
        printf("created Nested ESXi %s VM \"%s\":\n", spec.rel->name, spec.name);
        for (char *save = NULL, *t = strtok_r(created.data, "\n", &save); t;
             t = strtok_r(NULL, "\n", &save))
            printf("  %s\n", t);
        puts("the first power-on enters the EFI setup menu (bios.forceSetupOnce), so the "
             "installer can be booted from the CD");
    }
    vn_buf_free(&created);
    return VN_OK;
}

#define RELEASE_WORDS "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"

static const cli_opt opts[] = {
    {"esxi", 0, "VER", "ESXi release to install (required)", RELEASE_WORDS},
    {"name", 0, "NAME", "VM and file name (default: the folder's name)", NULL},
    {"cpus", 0, "N", "virtual CPUs, one socket (default 2, the minimum)", NULL},
    {"memory", 0, "SIZE", "memory, e.g. 16G; a bare number is MiB (default: the release minimum)",
     NULL},
    {"boot-disk", 0, "SIZE", "boot disk; a bare number is GiB (default 32G from 7.0, 8G before)",
     NULL},
    {"vsan-cache", 0, "SIZE", "add a vSAN cache disk, marked as SSD", NULL},
    {"vsan-capacity", 0, "SIZE", "add a vSAN capacity disk, marked as SSD (all-flash)", NULL},
    {"nics", 0, "N", "VMXNET3 network adapters (default 1)", NULL},
    {"iso", 0, "PATH", "installer ISO connected at power-on", NULL},
    {"network", 0, "NAME", "port group (ESXi) or network name to connect to (default: NAT, hosted)", NULL},
    {"hw-version", 0, "N", "virtual hardware version (default: the release's own)", NULL},
    {0},
};

const cli_cmd cmd_vmx_new = {
    "vmx new",
    "DIR --esxi VER [--name NAME] [--cpus N] [--memory SIZE] [--boot-disk SIZE] "
    "[--vsan-cache SIZE] [--vsan-capacity SIZE] [--nics N] [--iso PATH] [--network NAME]",
    "Create a ready-to-power-on Nested ESXi VM folder",
    "Creates DIR (or uses it if it exists) with NAME.vmx and new, empty monolithicSparse\n"
    "disks: NAME.vmdk (boot), and with the vSAN options NAME-vsan-cache.vmdk and\n"
    "NAME-vsan-capacity.vmdk, both marked as virtual SSDs. The VM satisfies every rule of\n"
    "the profile ('vnest vmx check' reports nothing): the release's guest type, nested\n"
    "hardware virtualization, EFI without Secure Boot, PVSCSI, VMXNET3, disk UUIDs, and\n"
    "a first power-on that enters the EFI setup menu so the installer ISO can be booted.\n"
    "\n"
    "Sizes take K, M, G or T (binary units, an optional iB or B). Nothing is overwritten:\n"
    "an existing NAME.vmx or disk is an error, and a failure removes what was created.\n"
    "The disks are hosted (Workstation, Fusion, Player) format; on an ESXi datastore,\n"
    "convert them with vmkfstools -i, or create the VM with 'vnest vm create'.",
    "$ vnest vmx new esxi-01 --esxi 8.0 --iso ~/iso/VMware-VMvisor-Installer-8.0U3.iso\n"
    "$ vnest vmx new lab/esxi-02 --esxi 7.0U3 --cpus 4 --memory 16G --vsan-cache 20G \\\n"
    "      --vsan-capacity 100G --nics 2 --network 'Nested-Trunk'",
    1,
    1,
    opts,
    run_new,
};
