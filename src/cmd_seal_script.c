/* vnest seal script: the in-guest seal as a POSIX (busybox) shell script. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vn_buf.h"
#include "vn_file.h"
#include "vn_seal.h"

static int run_script(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_error err = {0};
    const char *esxi = cli_get(cmd, args, "esxi");
    if (!esxi)
        return cli_fail(VN_EINPUT, "--esxi",
                        "missing (expected the ESXi release of the nested host: %s)",
                        vn_release_list());
    const vn_release *rel = vn_release_parse(esxi, "--esxi", &err);
    if (!rel)
        return cli_report(&err);
    int allow = cli_has(cmd, args, "allow-unsupported-clone");
    if (vn_seal_policy(rel, allow, &err) != VN_OK)
        return cli_report(&err);

    int oi = cli_opt_index(cmd, "ops");
    size_t nspecs = (size_t)args->count[oi];
    if (nspecs > CLI_MAX_POS)
        return cli_fail(VN_EINPUT, "--ops", "given too often (at most %d times)", CLI_MAX_POS);
    vn_seal_set set;
    if (vn_seal_select(args->multi[oi], nspecs, rel->id, &set, &err) != VN_OK)
        return cli_report(&err);

    vn_buf script = VN_BUF_INIT;
    if (vn_seal_script(rel, set, allow, &script, &err) != VN_OK) {
        vn_buf_free(&script);
        return cli_report(&err);
    }

    const char *path = cli_get(cmd, args, "output");
    if (path && strcmp(path, "-") == 0)
        path = NULL;
    int rc = VN_OK;
    if (path) {
        rc = vn_file_replace(path, script.data, script.len, 0755, &err);
        /* An existing file keeps its mode through the replacement; the
         * script must still be executable. */
        if (rc == VN_OK && chmod(path, 0755) != 0)
            rc = cli_fail(VN_ERUNTIME, path, "cannot make it executable");
        else if (rc != VN_OK)
            rc = cli_report(&err);
    }
    if (rc == VN_OK) {
        vn_buf ops = VN_BUF_INIT;
        vn_seal_set_text(set, ",", &ops);
        if (ctx->json) {
            json_t *doc = json_object();
            json_object_set_new(doc, "esxi", json_string(rel->name));
            json_t *arr = json_array();
            json_t *steps = json_array();
            json_array_append_new(steps, json_string("preflight"));
            for (size_t i = 0; i < vn_seal_count(); i++)
                if (set & (1ul << i)) {
                    json_array_append_new(arr, json_string(vn_seal_at(i)->id));
                    json_array_append_new(steps, json_string(vn_seal_at(i)->id));
                }
            json_array_append_new(steps, json_string("power-off"));
            json_object_set_new(doc, "operations", arr);
            json_object_set_new(doc, "steps", steps);
            json_object_set_new(doc, "allow_unsupported_clone", json_boolean(allow));
            json_object_set_new(doc, "output", path ? json_string(path) : json_null());
            if (!path)
                json_object_set_new(doc, "script", json_string(script.data));
            cli_json_emit(doc);
        } else if (!path) {
            fwrite(script.data, 1, script.len, stdout);
        } else {
            cli_info(ctx,
                     "wrote %s: the seal of a Nested ESXi %s (%s); run it as root inside "
                     "the nested host\n",
                     path, rel->name, ops.data);
        }
        if (!rel->template_clone_ok)
            cli_info(ctx,
                     "warning: cloning an ESXi %s boot disk is unsupported (S17); prefer "
                     "'vnest ks new'\n",
                     rel->name);
        vn_buf_free(&ops);
    }
    vn_buf_free(&script);
    return rc;
}

static const cli_opt opts[] = {
    {"esxi", 0, "VER", "ESXi release of the nested host (required)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {"ops", 0, "LIST",
     "operations: NAME or +NAME adds, -NAME removes, all, none (comma-separated; repeatable)",
     "legacy-cpu ssh follow-hw-mac vmknics local-vmfs install-media dhcp-leases vsan-node-uuid "
     "auto-backup system-uuid"},
    {"output", 'o', "FILE", "write the script to FILE (mode 0755, atomically) instead of stdout",
     NULL},
    {"allow-unsupported-clone", 0, NULL,
     "make a script for 7.0 U2 or later anyway (S17: unsupported, can corrupt shared VMFS)", NULL},
    {0},
};

const cli_cmd cmd_seal_script = {
    "seal script",
    "--esxi VER [--ops LIST] [-o FILE] [--allow-unsupported-clone]",
    "Write the in-guest seal of a Nested ESXi template as a shell script",
    "Writes a POSIX shell script, for the busybox sh of ESXi, that prepares an installed\n"
    "nested ESXi for cloning (SEEDS S5-S11) and powers it off, ready to become a template\n"
    "('vnest template'). Run it as root inside the nested host (ESXi Shell or SSH). It runs\n"
    "a preflight (the host's release; S17), then the operations of 'vnest seal list' in that\n"
    "order, then a clean power-off (/sbin/shutdown.sh, which saves the configuration, then\n"
    "/sbin/poweroff). It prints each step and stops at the first failure, naming the step;\n"
    "every step can run again, so after a failure fix the cause and run it again.\n"
    "\n"
    "--ops changes the default selection: NAME or +NAME adds an operation, -NAME removes\n"
    "one, all selects every operation for the release, none clears the list. Whatever the\n"
    "order given, the script runs them in the table's order, system-uuid last.\n"
    "\n"
    "From ESXi 7.0 Update 2 cloning an installed boot disk is unsupported and can corrupt\n"
    "shared VMFS (S17, KB 84280, KB 84349): for those releases the command refuses unless\n"
    "--allow-unsupported-clone is given; install each host with a kickstart instead\n"
    "('vnest ks new').\n"
    "\n"
    "The script honours one environment variable, ESXSIM_ROOT, as a test hook: unset on a\n"
    "real host, it is put in front of every path the script opens or runs itself, so the\n"
    "tests can run it in a simulated ESXi root.",
    "$ vnest seal script --esxi 7.0U1 -o seal.sh\n"
    "$ vnest seal script --esxi 7.0 --ops legacy-cpu,-ssh -o seal.sh\n"
    "    also persist allowLegacyCPU=true; leave SSH and the ESXi Shell as they are\n"
    "$ scp seal.sh root@esxi-tmpl:/tmp/ && ssh root@esxi-tmpl sh /tmp/seal.sh",
    0,
    0,
    opts,
    run_script,
};
