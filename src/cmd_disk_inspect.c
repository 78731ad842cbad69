/* vnest disk inspect: an ESXi boot disk image read offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "render.h"
#include "vn_diskseal.h"
#include "vn_esxdisk.h"

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *bank_json(const vn_esxbank *b, const char *role)
{
    json_t *o = json_object();
    json_object_set_new(o, "role", json_string(role));
    json_object_set_new(o, "partition", json_integer(b->part));
    json_object_set_new(o, "valid", json_boolean(b->valid));
    json_object_set_new(o, "vmware_fat16", json_boolean(b->vmware));
    json_object_set_new(o, "volume_uuid", str_or_null(b->uuid));
    json_object_set_new(o, "build", str_or_null(b->build));
    json_object_set_new(o, "updated", b->updated >= 0 ? json_integer(b->updated) : json_null());
    json_object_set_new(o, "bootstate",
                        b->bootstate >= 0 ? json_integer(b->bootstate) : json_null());
    json_object_set_new(o, "kernelopt", b->has_cfg ? json_string(b->kernelopt) : json_null());
    json_object_set_new(o, "state_tgz", json_boolean(b->has_state));
    json_object_set_new(o, "note", str_or_null(b->note));
    return o;
}

static const char *bank_role(const vn_esxdisk *d, int i)
{
    return i == d->active ? "bootbank" : i == d->alternate ? "altbootbank" : "invalid";
}

static json_t *conf_json(const vn_esxdisk *d)
{
    json_t *o = json_object();
    if (!d->conf) {
        json_object_set_new(o, "available", json_false());
        json_object_set_new(o, "note", str_or_null(d->conf_note));
        return o;
    }
    json_object_set_new(o, "available", json_true());
    json_object_set_new(o, "system_uuid", str_or_null(vn_esxconf_get(d->conf, "/system/uuid")));
    json_object_set_new(o, "follow_hardware_mac",
                        str_or_null(vn_esxconf_get(d->conf, "/adv/Net/FollowHardwareMac")));
    int ssh = vn_esxconf_ssh(d->conf);
    json_object_set_new(o, "ssh_enabled", ssh < 0 ? json_null() : json_boolean(ssh));
    json_t *nics = json_array();
    vn_esxconf_vmknic *v = NULL;
    size_t n = vn_esxconf_vmknics(d->conf, &v);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_object();
        json_object_set_new(x, "name", str_or_null(v[i].name));
        json_object_set_new(x, "mac", str_or_null(v[i].mac));
        json_object_set_new(x, "portgroup", str_or_null(v[i].portgroup));
        json_array_append_new(nics, x);
    }
    free(v);
    json_object_set_new(o, "vmknics", nics);
    return o;
}

static void print_text(const vn_esxdisk *d, const vn_release *rel)
{
    printf("%s: %s image, %.1f GiB, ESXi %s layout\n", d->path, d->format,
           (double)d->size / (1024.0 * 1024 * 1024), d->layout == 7 ? "7.0+" : "6.x");
    printf("release      %s\n", rel ? rel->name : "unknown");
    for (size_t i = 0; i < vn_gpt_count(d->gpt); i++) {
        const vn_gpt_part *p = vn_gpt_part_at(d->gpt, i);
        printf("partition %-2u %-14s %12llu-%-12llu %s\n", p->number,
               p->type_name ? p->type_name : p->type_str, (unsigned long long)p->first_lba,
               (unsigned long long)p->last_lba, p->name);
    }
    for (int i = 0; i < d->nbanks; i++) {
        const vn_esxbank *b = &d->bank[i];
        printf("%-12s partition %u, build %s, updated %ld, bootstate %ld%s%s\n", bank_role(d, i),
               b->part, b->build[0] ? b->build : "-", b->updated, b->bootstate,
               b->note[0] ? " - " : "", b->note);
        if (b->has_cfg)
            printf("             kernelopt=%s\n", b->kernelopt);
    }
    if (!d->conf) {
        printf("esx.conf     not available: %s\n", d->conf_note);
        return;
    }
    const char *uuid = vn_esxconf_get(d->conf, "/system/uuid");
    const char *fhm = vn_esxconf_get(d->conf, "/adv/Net/FollowHardwareMac");
    printf("system uuid  %s\n", uuid ? uuid : "(none: sealed)");
    printf("FollowHardwareMac %s\n", fhm ? fhm : "(unset: 0)");
    vn_esxconf_vmknic *v = NULL;
    size_t n = vn_esxconf_vmknics(d->conf, &v);
    for (size_t i = 0; i < n; i++)
        printf("vmknic       %s %s (%s)\n", v[i].name ? v[i].name : "?", v[i].mac ? v[i].mac : "?",
               v[i].portgroup ? v[i].portgroup : "?");
    free(v);
}

static int run_inspect(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    unsigned role = 0;
    const char *role_text = cli_get(cmd, args, "role");
    if (role_text && !(role = vn_role_parse(role_text)))
        return cli_fail(VN_EINPUT, "--role", "unknown role \"%s\" (expected host or template)",
                        role_text);
    vn_error err = {0};
    /* An interrupted `disk seal` left an undo journal: the image is half
     * written until it is rolled back, so do that before reading it. */
    int recovered = 0;
    if (vn_diskseal_recover(args->pos[0], &recovered, &err) != VN_OK)
        return cli_report(&err);
    if (recovered)
        fprintf(stderr, "vnest: %s: rolled back an interrupted seal first (undo journal)\n",
                args->pos[0]);
    vn_esxdisk *d = NULL;
    if (vn_esxdisk_inspect(args->pos[0], &d, &err) != VN_OK)
        return cli_report(&err);
    const vn_release *rel = vn_esxdisk_release(d);
    vn_findings f = {0};
    if (role)
        vn_esxdisk_check(d, role, &f);
    if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(d->path));
        json_object_set_new(o, "format", json_string(d->format));
        json_object_set_new(o, "size", json_integer((json_int_t)d->size));
        json_object_set_new(o, "layout", json_string(d->layout == 7 ? "7.0+" : "6.x"));
        json_object_set_new(o, "esxi", rel ? json_string(rel->name) : json_null());
        json_t *parts = json_array();
        for (size_t i = 0; i < vn_gpt_count(d->gpt); i++) {
            const vn_gpt_part *p = vn_gpt_part_at(d->gpt, i);
            json_t *x = json_object();
            json_object_set_new(x, "number", json_integer(p->number));
            json_object_set_new(x, "type", json_string(p->type_str));
            json_object_set_new(x, "type_name", str_or_null(p->type_name));
            json_object_set_new(x, "first_lba", json_integer((json_int_t)p->first_lba));
            json_object_set_new(x, "last_lba", json_integer((json_int_t)p->last_lba));
            json_object_set_new(x, "name", json_string(p->name));
            json_array_append_new(parts, x);
        }
        json_object_set_new(o, "partitions", parts);
        json_t *banks = json_array();
        for (int i = 0; i < d->nbanks; i++)
            json_array_append_new(banks, bank_json(&d->bank[i], bank_role(d, i)));
        json_object_set_new(o, "bootbanks", banks);
        json_object_set_new(o, "esx_conf", conf_json(d));
        if (role) {
            json_object_set_new(o, "role", json_string(vn_role_name(role)));
            json_object_set_new(o, "findings", render_findings_json(&f));
            json_object_set_new(o, "summary", render_summary_json(&f));
        }
        if (cli_has(cmd, args, "stats"))
            json_object_set_new(o, "bytes_read", json_integer((json_int_t)d->bytes_read));
        cli_json_emit(o);
    } else if (ctx->verbose >= 0) {
        print_text(d, rel);
        if (role) {
            printf("\nas a %s:\n", vn_role_name(role));
            render_findings_text(&f, ctx->verbose, stdout);
            render_summary_text(&f, stdout);
        }
        if (cli_has(cmd, args, "stats"))
            printf("read %llu bytes of the image\n", (unsigned long long)d->bytes_read);
    }
    int rc = role ? render_check_status(&f) : VN_OK;
    vn_findings_free(&f);
    vn_esxdisk_free(d);
    return rc;
}

static const cli_opt opts[] = {
    {"role", 0, "ROLE", "also judge the disk as a host or a sealed template (S5, S7-S9, S11)",
     "host template"},
    {"stats", 0, NULL, "report how many bytes of the image were read", NULL},
    {0},
};

const cli_cmd cmd_disk_inspect = {
    "disk inspect",
    "IMAGE [--role host|template] [--stats]",
    "Read an ESXi boot disk image offline",
    "Opens a raw image or any VMDK (descriptor + flat or sparse extents, monolithicSparse,\n"
    "streamOptimized) read-only and reports: the format and size, the partition table, the\n"
    "ESXi layout and release (from boot.cfg build=), both bootbanks and which one the boot\n"
    "loader would choose (VMware FAT16 magic, bootstate, the highest updated=), each bank's\n"
    "kernelopt, and, where the release keeps it in state.tgz, the host configuration\n"
    "(esx.conf): /system/uuid, /Net/FollowHardwareMac, the VMkernel NICs.\n"
    "\n"
    "With --role template the profile's findings for a sealed template disk are listed:\n"
    "S5 allowLegacyCPU, S7 FollowHardwareMac, S8 only vmk0, S9 no local VMFS, S11 no system\n"
    "UUID; those 'vnest disk seal' can fix offline say so.\n"
    "\n"
    "An image left with an undo journal by an interrupted 'disk seal' is rolled back to its\n"
    "original bytes first (said on stderr). Only the blocks needed are read (--stats says how\n"
    "many bytes).",
    "$ vnest disk inspect esxi67-template/esxi67-template-flat.vmdk --role template\n"
    "$ vnest --json disk inspect boot.vmdk | jq .bootbanks",
    1,
    1,
    opts,
    run_inspect,
};
