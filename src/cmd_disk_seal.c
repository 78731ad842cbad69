/* vnest disk seal: the template settings applied to an ESXi boot disk
 * image offline, crash-safely (lib/vn_diskseal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vn_diskseal.h"

static const char *status_name(int s)
{
    switch (s) {
    case VN_SEAL_CHANGE:
        return "change";
    case VN_SEAL_DONE:
        return "satisfied";
    case VN_SEAL_SKIPPED:
        return "not-applicable";
    default:
        return "deselected";
    }
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int list_ops(cli_ctx *ctx)
{
    if (ctx->json) {
        json_t *a = json_array();
        for (int i = 0; i < VN_SEAL_NOPS; i++) {
            const vn_sealop *op = vn_sealop_get((vn_sealop_id)i);
            char rel[64];
            vn_release_mask_text(op->releases, rel, sizeof(rel));
            json_t *o = json_object();
            json_object_set_new(o, "name", json_string(op->name));
            json_object_set_new(o, "seed", json_string(op->seed));
            json_object_set_new(o, "rule", json_string(op->rule));
            json_object_set_new(o, "changes", json_string(op->changes));
            json_object_set_new(o, "releases", json_string(rel));
            json_object_set_new(o, "otherwise", str_or_null(op->elsewise));
            json_array_append_new(a, o);
        }
        cli_json_emit(a);
        return VN_OK;
    }
    const char *head[] = {"OPERATION", "SEED", "RELEASES", "CHANGES"};
    cli_table *t = cli_table_new(4, head);
    for (int i = 0; i < VN_SEAL_NOPS; i++) {
        const vn_sealop *op = vn_sealop_get((vn_sealop_id)i);
        char rel[64];
        vn_release_mask_text(op->releases, rel, sizeof(rel));
        const char *row[] = {op->name, op->seed, rel, op->changes};
        cli_table_row(t, row);
    }
    cli_table_print(t, stdout);
    cli_table_free(t);
    for (int i = 0; i < VN_SEAL_NOPS; i++) {
        const vn_sealop *op = vn_sealop_get((vn_sealop_id)i);
        if (op->elsewise)
            printf("\n%s on later releases: %s.\n", op->name, op->elsewise);
    }
    return VN_OK;
}

static void print_text(const char *path, const vn_seal_opts *o, const vn_seal_result *r, int stats)
{
    printf("%s: %s image, ESXi %s\n", path, r->format, r->rel ? r->rel->name : "(unknown)");
    if (r->nchanges) {
        const char *head[] = {"OPERATION", "WHERE", "OLD", "NEW"};
        cli_table *t = cli_table_new(4, head);
        for (size_t i = 0; i < r->nchanges; i++) {
            const vn_seal_change *c = &r->changes[i];
            const char *row[] = {vn_sealop_get(c->op)->name, c->where,
                                 c->old_value ? c->old_value : "(absent)",
                                 c->new_value ? c->new_value : "(removed)"};
            cli_table_row(t, row);
        }
        cli_table_print(t, stdout);
        cli_table_free(t);
    }
    for (int i = 0; i < VN_SEAL_NOPS; i++)
        if (r->status[i] == VN_SEAL_DONE || r->status[i] == VN_SEAL_SKIPPED)
            printf("%-13s %s: %s\n", vn_sealop_get((vn_sealop_id)i)->name,
                   r->status[i] == VN_SEAL_DONE ? "already done" : "not applicable", r->note[i]);
    if (!r->nchanges)
        printf("nothing to change: nothing written\n");
    else if (o->dry_run)
        printf("dry run: %zu change(s) planned, nothing written\n", r->nchanges);
    else
        printf("sealed: %zu change(s) written\n", r->nchanges);
    if (stats)
        printf("read %llu bytes and wrote %llu bytes of the image files; undo journal %llu "
               "bytes\n",
               (unsigned long long)r->bytes_read, (unsigned long long)r->bytes_written,
               (unsigned long long)r->journal_written);
}

static json_t *result_json(const char *path, const vn_seal_opts *o, const vn_seal_result *r,
                           int stats)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "file", json_string(path));
    json_object_set_new(doc, "format", json_string(r->format));
    json_object_set_new(doc, "esxi", r->rel ? json_string(r->rel->name) : json_null());
    json_object_set_new(doc, "dry_run", json_boolean(o->dry_run));
    json_object_set_new(doc, "recovered", json_boolean(r->recovered));
    json_object_set_new(doc, "written", json_boolean(r->written));
    json_t *ops = json_array();
    for (int i = 0; i < VN_SEAL_NOPS; i++) {
        const vn_sealop *op = vn_sealop_get((vn_sealop_id)i);
        json_t *x = json_object();
        json_object_set_new(x, "name", json_string(op->name));
        json_object_set_new(x, "seed", json_string(op->seed));
        json_object_set_new(x, "status", json_string(status_name(r->status[i])));
        json_object_set_new(x, "note", r->note[i][0] ? json_string(r->note[i]) : json_null());
        json_array_append_new(ops, x);
    }
    json_object_set_new(doc, "ops", ops);
    json_t *ch = json_array();
    for (size_t i = 0; i < r->nchanges; i++) {
        const vn_seal_change *c = &r->changes[i];
        json_t *x = json_object();
        json_object_set_new(x, "op", json_string(vn_sealop_get(c->op)->name));
        json_object_set_new(x, "where", json_string(c->where));
        json_object_set_new(x, "old", str_or_null(c->old_value));
        json_object_set_new(x, "new", str_or_null(c->new_value));
        json_array_append_new(ch, x);
    }
    json_object_set_new(doc, "changes", ch);
    if (stats) {
        json_t *s = json_object();
        json_object_set_new(s, "bytes_read", json_integer((json_int_t)r->bytes_read));
        json_object_set_new(s, "bytes_written", json_integer((json_int_t)r->bytes_written));
        json_object_set_new(s, "journal_bytes", json_integer((json_int_t)r->journal_written));
        json_object_set_new(doc, "stats", s);
    }
    return doc;
}

static int run_recover(cli_ctx *ctx, const char *path)
{
    vn_error err = {0};
    int recovered = 0;
    if (vn_diskseal_recover(path, &recovered, &err) != VN_OK)
        return cli_report(&err);
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "file", json_string(path));
        json_object_set_new(doc, "recovered", json_boolean(recovered));
        cli_json_emit(doc);
    } else if (ctx->verbose >= 0) {
        printf("%s: %s\n", path,
               recovered ? "rolled back an interrupted seal; the image holds its original bytes"
                         : "no interrupted seal (no undo journal): nothing to do");
    }
    return VN_OK;
}

static int run_seal(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    if (cli_has(cmd, args, "list"))
        return list_ops(ctx);
    if (args->npos != 1)
        return cli_fail(VN_EINPUT, cmd->words, "expected one IMAGE (only --list goes without)");
    const char *path = args->pos[0];
    if (cli_has(cmd, args, "recover")) {
        if (cli_has(cmd, args, "ops") || cli_has(cmd, args, "dry-run"))
            return cli_fail(VN_EINPUT, "--recover",
                            "only rolls back (expected no --ops or --dry-run with it)");
        return run_recover(ctx, path);
    }
    vn_error err = {0};
    vn_seal_opts o = {0};
    if (vn_sealops_parse(cli_get(cmd, args, "ops"), "--ops", &o.ops, &o.explicit_ops, &err) !=
        VN_OK)
        return cli_report(&err);
    o.dry_run = cli_has(cmd, args, "dry-run");
    vn_seal_result r;
    int rc = vn_diskseal(path, &o, &r, &err);
    if (r.recovered)
        fprintf(stderr, "vnest: %s: rolled back an interrupted seal first (undo journal)\n", path);
    if (rc != VN_OK) {
        vn_seal_result_free(&r);
        return cli_report(&err);
    }
    int stats = cli_has(cmd, args, "stats");
    if (ctx->json)
        cli_json_emit(result_json(path, &o, &r, stats));
    else if (ctx->verbose >= 0)
        print_text(path, &o, &r, stats);
    vn_seal_result_free(&r);
    return VN_OK;
}

static const cli_opt opts[] = {
    {"ops", 0, "A,B,-C", "operations to run (default: all that apply); a '-' name deselects one",
     "legacy-cpu follow-hw-mac system-uuid local-vmfs"},
    {"dry-run", 'n', NULL, "print exactly what would change; open the image read-only", NULL},
    {"recover", 0, NULL, "only roll back an interrupted seal (undo journal beside the image)",
     NULL},
    {"list", 0, NULL, "list the operations, their seeds and releases (IMAGE not needed)", NULL},
    {"stats", 0, NULL, "report the bytes read and written of the image's files", NULL},
    {0},
};

const cli_cmd cmd_disk_seal = {
    "disk seal",
    "IMAGE [--ops A,B,-C] [--dry-run] [--stats] | IMAGE --recover | --list",
    "Seal an ESXi boot disk image offline, crash-safely",
    "Applies to a raw image or a VMDK (monolithicSparse, twoGbMaxExtentSparse, a descriptor\n"
    "with flat extents) the template settings that need no running host:\n"
    "\n"
    "legacy-cpu (S5): allowLegacyCPU=true in the kernelopt= of /boot.cfg in both bootbanks,\n"
    "every release (the boot loader reads boot.cfg itself). follow-hw-mac (S7):\n"
    "/adv/Net/FollowHardwareMac = 1, and system-uuid (S11): /system/uuid removed, both in\n"
    "esx.conf inside the active bootbank's state.tgz, for releases up to 7.0 U1 only; from\n"
    "7.0 U2 the configuration lives in ConfigStore and an encrypted archive, so they are\n"
    "refused with the reason (install fresh hosts with 'vnest ks new'). local-vmfs (S9): the\n"
    "local VMFS datastore's entry removed from both copies of the GPT.\n"
    "\n"
    "By default every operation that applies to the image's release runs; --ops names the\n"
    "ones to run, or with '-' the ones to leave out. Every change is planned first and shown\n"
    "(operation, place, old and new value); --dry-run stops there and writes nothing. An\n"
    "operation already satisfied writes nothing, so sealing twice writes 0 bytes.\n"
    "\n"
    "Never a half-written disk: the original bytes of every block of every image file are\n"
    "saved to an undo journal beside the image (IMAGE.vnest-journal, fsynced) before it is\n"
    "overwritten, with each file's length, so grains a sparse VMDK gains are cut off again. If\n"
    "the seal is interrupted, --recover, or any later 'disk seal' or 'disk inspect' of the\n"
    "image, rolls it back to its original bytes first and says so. A VMware lock beside the\n"
    "image, or another process holding it open for writing, refuses the seal, and an\n"
    "exclusive lock keeps two vnest processes apart. Only the blocks needed are read and\n"
    "written (--stats).",
    "$ vnest disk seal --list\n"
    "$ vnest disk seal esxi67-template/esxi67-template.vmdk --dry-run\n"
    "  shows each planned change; the image is not opened for writing\n"
    "$ vnest disk seal esxi67-template/esxi67-template.vmdk\n"
    "$ vnest disk seal boot.img --ops legacy-cpu,local-vmfs --stats\n"
    "$ vnest disk seal esxi70u1.vmdk --ops -system-uuid\n"
    "  everything but removing the system UUID\n"
    "$ vnest disk seal esxi67-template.vmdk --recover\n"
    "  after a crash or power loss during a seal: back to the original bytes",
    0,
    1,
    opts,
    run_seal,
};
