/* vnest ova import: an OVA deployed to vCenter or ESXi as a Nested ESXi VM,
 * through the API client (CreateImportSpec, ImportVApp, HTTP NFC lease). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_conn.h"
#include "vn_ovaimport.h"

typedef struct progress_ctx {
    int tty;
} progress_ctx;

/* One line per file; on a terminal it is redrawn in place. */
static void on_progress(void *ctx, const char *file, size_t index, size_t count,
                        unsigned long long done, unsigned long long total)
{
    progress_ctx *p = ctx;
    int pct = total ? (int)(done * 100 / total) : 100;
    if (!file) {
        fprintf(stderr, "%suploaded %zu file%s, %llu bytes (100%%)\n", p->tty ? "\r\033[K" : "",
                count, count == 1 ? "" : "s", total);
        return;
    }
    fprintf(stderr, "%suploading %s (%zu/%zu), %d%% done%s", p->tty ? "\r\033[K" : "", file,
            index + 1, count, pct, p->tty ? "" : "\n");
    fflush(stderr);
}

static json_t *result_json(const char *name, const vn_ova_import_result *r, const vn_ovf *ovf,
                           const cli_args *args, const cli_cmd *cmd)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "moref", json_string(r->vm.id));
    json_object_set_new(o, "files", json_integer((json_int_t)r->files));
    json_object_set_new(o, "bytes", json_integer((json_int_t)r->bytes));
    json_object_set_new(o, "nested_hv_set", json_boolean(r->nested_hv_set));
    json_object_set_new(o, "firmware_set", json_boolean(r->firmware_set));
    json_object_set_new(o, "extra_config_restored", json_integer((json_int_t)r->extra_restored));
    json_t *props = json_array();
    int pi = cli_opt_index(cmd, "prop");
    for (int i = 0; i < args->count[pi] && i < CLI_MAX_POS; i++) {
        const char *kv = args->multi[pi][i];
        const char *eq = strchr(kv, '=');
        json_array_append_new(props, json_stringn(kv, (size_t)(eq - kv)));
    }
    json_object_set_new(o, "properties", props);
    json_object_set_new(o, "warnings", r->warnings ? json_string(r->warnings) : json_null());
    (void)ovf;
    return o;
}

static int run_import(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    const char *name = cli_get(cmd, args, "name");
    if (!name || !*name)
        return cli_fail(VN_EINPUT, "--name", "the new VM needs a name (--name NAME)");
    int pi = cli_opt_index(cmd, "prop");
    size_t nprops = (size_t)(args->count[pi] < CLI_MAX_POS ? args->count[pi] : CLI_MAX_POS);
    const char *const *props = args->multi[pi];
    const char *prov = cli_get(cmd, args, "disk-provisioning");
    if (prov && strcmp(prov, "thin") && strcmp(prov, "thick") && strcmp(prov, "eagerZeroedThick"))
        return cli_fail(VN_EINPUT, "--disk-provisioning",
                        "unknown \"%s\" (expected thin, thick or eagerZeroedThick)", prov);

    /* Everything local first: a package that cannot import never reaches
     * the server. Disks are verified against the manifest while uploading. */
    vn_ova_report pkg;
    vn_error err = {0};
    int rc = vn_ova_check(args->pos[0], NULL, VN_ROLE_HOST, VN_OVA_VERIFY_DESCRIPTOR, &pkg, &err);
    if (rc == VN_OK)
        rc = vn_ova_import_ready(&pkg, &err);
    char **resolved = NULL;
    if (rc == VN_OK)
        rc = vn_ova_import_props(&pkg.ovf, props, nprops, &resolved, &err);
    if (rc != VN_OK) {
        vn_ova_report_free(&pkg);
        return cli_report(&err);
    }

    vn_conn conn;
    vn_vim *vim = NULL;
    /* A disk upload may take long: vn_http's request timeout bounds each
     * 1 MiB piece of it, not the whole. */
    rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    if (rc != VN_OK) {
        vn_conn_free(&conn);
        vn_ova_import_props_free(resolved, nprops);
        vn_ova_report_free(&pkg);
        return rc;
    }
    const char *network = cli_get(cmd, args, "network");
    progress_ctx pc = {isatty(2)};
    vn_ova_import_req req = {
        name,
        (const char *const *)resolved,
        nprops,
        network ? network : conn.network,
        {conn.datacenter, conn.folder, conn.pool, conn.host, conn.datastore, NULL},
        prov,
        &conn.tls,
        ctx->verbose >= 0 && !ctx->json ? on_progress : NULL,
        &pc,
    };
    vn_ova_import_result res;
    rc = vn_ova_import(vim, &pkg, &req, &res, &err);
    if (rc != VN_OK) {
        cli_report(&err);
    } else if (ctx->json) {
        cli_json_emit(result_json(name, &res, &pkg.ovf, args, cmd));
    } else if (ctx->verbose >= 0) {
        printf("imported \"%s\" (%s): %zu file%s, %llu bytes", name, res.vm.id, res.files,
               res.files == 1 ? "" : "s", res.bytes);
        if (nprops)
            printf(", %zu propert%s set", nprops, nprops == 1 ? "y" : "ies");
        putchar('\n');
        if (res.nested_hv_set || res.firmware_set || res.extra_restored)
            printf("restored what the import dropped:%s%s%s\n",
                   res.nested_hv_set ? " nestedHVEnabled=true" : "",
                   res.firmware_set ? " firmware" : "",
                   res.extra_restored ? " extraConfig entries" : "");
        if (res.warnings)
            printf("server warnings: %s\n", res.warnings);
        size_t profile = 0;
        for (size_t i = 0; i < pkg.findings.n; i++)
            profile += vn_rule_find(pkg.findings.v[i].rule->id) != NULL &&
                       pkg.findings.v[i].severity >= VN_SEV_WARNING;
        if (profile)
            printf("the descriptor has %zu profile finding%s (vnest ova check %s; vnest vm check "
                   "%s for the VM)\n",
                   profile, profile == 1 ? "" : "s", args->pos[0], name);
    }
    vn_ova_import_result_free(&res);
    vn_vim_close(vim);
    vn_conn_free(&conn);
    vn_ova_import_props_free(resolved, nprops);
    vn_ova_report_free(&pkg);
    return rc;
}

static const cli_opt opts[] = {
    {"name", 0, "NAME", "name of the new VM (required)", NULL},
    {"prop", 0, "KEY=VALUE",
     "set a vApp property of the descriptor's ProductSection (repeatable), e.g. "
     "guestinfo.hostname=esxi-01; KEY=@FILE reads the value from a 0600 file (required for "
     "password properties)",
     NULL},
    {"network", 0, "PG", "map every network of the descriptor to this port group (GOVC_NETWORK)",
     NULL},
    {"disk-provisioning", 0, "MODE", "thin (default), thick or eagerZeroedThick",
     "thin thick eagerZeroedThick"},
    CLI_CONN_OPTS,
    {0},
};

const cli_cmd cmd_ova_import = {
    "ova import",
    "FILE.ova|FILE.ovf --name NAME [--prop KEY=VALUE]... [--network PG] [--datastore DS] "
    "[--folder F] [--pool P] [--host H]",
    "Import an OVA as a Nested ESXi VM on vCenter or ESXi",
    "Checks the package first (as ova check does; disks are verified against the manifest\n"
    "while they upload) and refuses one with missing, short or corrupt files or dangling\n"
    "references before anything is sent. Then: OvfManager.CreateImportSpec with the name,\n"
    "the network mapping, the --prop values (propertyMapping) and thin disks;\n"
    "ResourcePool.ImportVApp; each disk uploaded to its HTTP NFC lease URL, with progress;\n"
    "HttpNfcLeaseComplete.\n"
    "\n"
    "If anything fails after ImportVApp (an upload, a digest that differs from the\n"
    "manifest), the lease is aborted and the half-made VM removed: nothing half-imported\n"
    "remains. A VM that already has the name is an error up front.\n"
    "\n"
    "Importers drop settings a Nested ESXi needs (ovftool strips nested HV; some servers\n"
    "ignore vmw:Config and vmw:ExtraConfig), so the VM is read back and, in one\n"
    "ReconfigVM_Task, gets nestedHVEnabled=true, the descriptor's firmware and its\n"
    "ExtraConfig entries if they are missing.\n"
    "\n"
    "Without --network, each network of the descriptor maps to the inventory network of the\n"
    "same name when there is one (otherwise the server chooses).\n"
    "\n"
    "A property the descriptor marks as a password (ovf:password) is taken only as\n"
    "--prop KEY=@FILE, from a file only its owner can read: a value on the command line is\n"
    "visible to every user of the machine (ps, /proc)." CLI_CONN_HELP,
    "$ vnest ova import Nested_ESXi8.0u3_Appliance.ova --name esxi-01 --network Nested-Trunk \\\n"
    "      --prop guestinfo.hostname=esxi-01 --prop guestinfo.ipaddress=10.0.0.11 \\\n"
    "      --prop guestinfo.password=@esxi-root.pw\n"
    "$ vnest --json ova import lab.ova --name esxi-02 --host esx1.lab --datastore vsanDatastore",
    1,
    1,
    opts,
    run_import,
};
