/* vnest vm create: a Nested ESXi VM through the vSphere API. */
#include <stdio.h>
#include <string.h>

#include "cli_conn.h"
#include "cli_spec.h"
#include "vn_apivm.h"

static int create(vn_vim *vim, const vn_conn *conn, const vn_vm_spec *spec, const char *network,
                  vn_mor *vm, vn_error *err)
{
    if (!network)
        return vn_fail(err, VN_EINPUT, "--network",
                       "no port group given (expected --network NAME or GOVC_NETWORK)");
    vn_mor existing;
    int rc = vn_inv_find(vim, "VirtualMachine", spec->name, "NAME", &existing, 1, err);
    if (rc == 1)
        return vn_fail(err, VN_EINPUT, spec->name,
                       "a VM with this name already exists (%s); choose another name", existing.id);
    if (rc != 0)
        return rc;
    vn_place_req req = {conn->datacenter, conn->folder,    conn->pool,
                        conn->host,       conn->datastore, network};
    vn_placement p;
    rc = vn_inv_place(vim, &req, &p, err);
    if (rc != VN_OK)
        return rc;
    vn_buf body = VN_BUF_INIT;
    vn_apivm_create_body(vim, spec, &p, &body);
    rc = vn_apivm_run_task(vim, &body, spec->name, 600, vm, err);
    vn_buf_free(&body);
    return rc;
}

static int run_create(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_vm_spec spec;
    int rc = cli_read_vm_spec(cmd, args, args->pos[0], &spec);
    if (rc != VN_OK)
        return rc;
    spec.iso = cli_get(cmd, args, "iso");
    vn_error err = {0};
    if (vn_vm_spec_validate(&spec, &err) != VN_OK)
        return cli_report(&err);
    vn_conn conn;
    vn_vim *vim = NULL;
    rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    if (rc != VN_OK) {
        vn_conn_free(&conn);
        return rc;
    }
    const char *network = cli_get(cmd, args, "network");
    if (!network)
        network = conn.network;
    vn_mor vm;
    rc = create(vim, &conn, &spec, network, &vm, &err);
    if (rc != VN_OK) {
        cli_report(&err);
    } else if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(spec.name));
        json_object_set_new(o, "moref", json_string(vm.id));
        json_object_set_new(o, "esxi", json_string(spec.rel->name));
        cli_json_emit(o);
    } else if (ctx->verbose >= 0) {
        printf("created Nested ESXi %s VM \"%s\" (%s)\n", spec.rel->name, spec.name, vm.id);
        puts("its first power-on enters the EFI setup menu, so the installer ISO can be chosen");
    }
    vn_vim_close(vim);
    vn_conn_free(&conn);
    return rc;
}

static const cli_opt opts[] = {
    CLI_VM_SPEC_OPTS,
    {"network", 0, "PG", "port group for the NICs, standard or distributed (GOVC_NETWORK)", NULL},
    {"iso", 0, "PATH", "installer ISO as a datastore path: \"[ds] iso/installer.iso\"", NULL},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_vm_create = {
    "vm create",
    "NAME --esxi VER [--cpus N] [--memory SIZE] [--boot-disk SIZE] [--vsan-cache SIZE] "
    "[--vsan-capacity SIZE] [--nics N] [--network PG] [--iso \"[ds] path\"] [--datastore DS] "
    "[--pool RP] [--folder F] [--host H]",
    "Create a Nested ESXi VM on vCenter or ESXi",
    "Creates the VM with CreateVM_Task and a configuration that satisfies every rule of the\n"
    "profile: the release's guestId, nested hardware virtualization, EFI without Secure Boot,\n"
    "a first boot into EFI setup, PVSCSI with thin disks, vSAN disks marked virtualSSD,\n"
    "VMXNET3 NICs on a standard or distributed port group, and disk.EnableUUID.\n"
    "\n"
    "Every name (datacenter, folder, pool or host, datastore, port group) is resolved before\n"
    "anything is created; an unnamed part defaults to the only candidate. A VM that already\n"
    "has the name is an error." CLI_CONN_HELP,
    "$ vnest vm create esxi-01 --esxi 8.0 --memory 16G --vsan-cache 20G --vsan-capacity 100G \\\n"
    "      --network Nested-Trunk --iso '[iso] VMware-VMvisor-Installer-8.0U3.x86_64.iso'",
    1,
    1,
    opts,
    run_create,
};
