/* vnest seal list: the seal operations, in the order they run. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vn_seal.h"

static json_t *releases_json(unsigned mask)
{
    json_t *arr = json_array();
    for (int r = 0; r < VN_ESXI_COUNT; r++)
        if (mask & VN_REL(r))
            json_array_append_new(arr, json_string(vn_release_get((vn_release_id)r)->name));
    return arr;
}

static int run_list(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_error err = {0};
    const vn_release *rel = NULL;
    const char *esxi = cli_get(cmd, args, "esxi");
    if (esxi && !(rel = vn_release_parse(esxi, "--esxi", &err)))
        return cli_report(&err);

    static const char *const head[] = {"OPERATION", "DEFAULT", "SEED", "RELEASES", "DESCRIPTION"};
    cli_table *t = cli_table_new(5, head);
    json_t *arr = json_array();
    for (size_t i = 0; i < vn_seal_count(); i++) {
        const vn_seal_op *op = vn_seal_at(i);
        int applies = !rel || (op->releases & VN_REL(rel->id));
        int on = op->default_on && applies;
        char rels[64];
        vn_release_mask_text(op->releases, rels, sizeof(rels));
        const char *cells[] = {op->id, applies ? (on ? "on" : "off") : "n/a",
                               *op->seed ? op->seed : "-", rels, op->summary};
        cli_table_row(t, cells);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(op->id));
        json_object_set_new(o, "default", json_boolean(on));
        json_object_set_new(o, "applies", json_boolean(applies));
        json_object_set_new(o, "seed", json_string(op->seed));
        json_object_set_new(o, "releases", releases_json(op->releases));
        json_object_set_new(o, "summary", json_string(op->summary));
        json_object_set_new(o, "script", json_string(op->script));
        json_array_append_new(arr, o);
    }
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "esxi", rel ? json_string(rel->name) : json_null());
        json_object_set_new(doc, "first", json_string("preflight"));
        json_object_set_new(doc, "operations", arr);
        json_object_set_new(doc, "last", json_string("power-off"));
        cli_json_emit(doc);
    } else {
        json_decref(arr);
        cli_table_print(t, stdout);
        if (ctx->verbose >= 0)
            puts("\nThe script starts with a preflight (the host runs the ESXi it is for; S17) "
                 "and ends\nwith the power-off (/sbin/shutdown.sh, which saves the "
                 "configuration, then\n/sbin/poweroff).");
        if (ctx->verbose > 0)
            for (size_t i = 0; i < vn_seal_count(); i++)
                printf("\n%s:\n%s", vn_seal_at(i)->id, vn_seal_at(i)->script);
    }
    cli_table_free(t);
    return VN_OK;
}

static const cli_opt opts[] = {
    {"esxi", 0, "VER", "show the defaults for this ESXi release (n/a: does not apply)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {0},
};

const cli_cmd cmd_seal_list = {
    "seal list",
    "[--esxi VER]",
    "List the in-guest seal operations, in the order they run",
    "Lists the operations of 'vnest seal script' in the order the script runs them, each\n"
    "with whether it is on by default, the SEEDS setting it implements, the ESXi releases\n"
    "it applies to and what it does, in the manner of virt-sysprep --list-operations. With\n"
    "-v the shell code of each operation follows the table.\n"
    "\n"
    "system-uuid is always last: without /system/uuid in /etc/vmware/esx.conf ESXi makes a\n"
    "new UUID at the next boot, and anything that reboots the host or asks for its UUID\n"
    "before the power-off brings the old one back (S11). auto-backup comes right before it\n"
    "and checks that the configuration can be saved; the power-off's shutdown saves the\n"
    "removal.",
    "$ vnest seal list\n"
    "$ vnest seal list --esxi 6.7\n"
    "    legacy-cpu shows n/a: allowLegacyCPU is an ESXi 7.0 boot option\n"
    "$ vnest seal list --json | jq -r '.operations[] | select(.default) | .id'",
    0,
    0,
    opts,
    run_list,
};
