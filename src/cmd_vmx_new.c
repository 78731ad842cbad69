/* vnest vmx new: a ready-to-power-on Nested ESXi VM folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_vmx_common.h"
#include "vn_buf.h"
#include "cli_spec.h"

/* Reads the options into a spec; any error has been reported. */
static int read_spec(const cli_cmd *cmd, cli_args *args, vn_vm_spec *spec)
{
    const char *name = cli_get(cmd, args, "name");
    static char namebuf[256];
    if (!name) {
        /* Default name: the folder's last component. */
        const char *dir = args->pos[0];
        size_t len = strlen(dir);
        while (len > 1 && dir[len - 1] == '/')
            len--;
        const char *slash = memrchr(dir, '/', len);
        const char *base = slash ? slash + 1 : dir;
        snprintf(namebuf, sizeof(namebuf), "%.*s", (int)(dir + len - base), base);
        name = namebuf;
    }
    int rc = cli_read_vm_spec(cmd, args, name, spec);
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

static const cli_opt opts[] = {
    CLI_VM_SPEC_OPTS,
    {"name", 0, "NAME", "VM and file name (default: the folder's name)", NULL},
    {"iso", 0, "PATH", "installer ISO connected at power-on", NULL},
    {"network", 0, "NAME", "port group (ESXi) or network name to connect to (default: NAT, hosted)",
     NULL},
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
