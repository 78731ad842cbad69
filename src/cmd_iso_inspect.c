/* vnest iso inspect: what an ESXi installer ISO holds and how it boots. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cmd_iso_common.h"
#include "vn_iso.h"

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *cfg_json(const vn_iso_cfg *cfg, int full)
{
    if (!cfg->present)
        return json_null();
    json_t *o = json_object();
    const char *k = vn_bootcfg_get(cfg->doc, "kernelopt");
    json_object_set_new(o, "path", json_string(cfg->path));
    json_object_set_new(o, "kernelopt", k ? json_string(k) : json_null());
    json_object_set_new(o, "kernelopt_line", json_integer(vn_bootcfg_line(cfg->doc, "kernelopt")));
    const char *ks = vn_bootcfg_kopt_get(cfg->doc, "ks");
    json_object_set_new(o, "ks", ks ? json_string(ks) : json_null());
    const char *legacy = vn_bootcfg_kopt_get(cfg->doc, "allowLegacyCPU");
    json_object_set_new(o, "allow_legacy_cpu", json_boolean(legacy && !strcasecmp(legacy, "true")));
    if (full)
        json_object_set_new(o, "text", json_stringn(cfg->text, cfg->len));
    return o;
}

static json_t *info_json(const char *path, const vn_iso_info *info, const char *problems, int full)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "file", json_string(path));
    json_object_set_new(doc, "size", json_integer((json_int_t)info->size));
    json_object_set_new(doc, "volume_id", json_string(info->volume_id));
    json_t *esxi = json_object();
    json_object_set_new(esxi, "build_string", str_or_null(info->build));
    json_object_set_new(esxi, "version", str_or_null(info->version));
    json_object_set_new(esxi, "release", str_or_null(info->release));
    json_object_set_new(esxi, "build", str_or_null(info->build_number));
    json_object_set_new(esxi, "title", str_or_null(info->title));
    json_object_set_new(doc, "esxi", esxi);
    json_t *boot = iso_boot_json(info);
    json_object_set_new(doc, "boot", boot);
    json_t *cat = json_object();
    json_object_set_new(cat, "path", str_or_null(info->catalog_path));
    json_object_set_new(cat, "hidden", json_boolean(info->nboot && !info->catalog_path[0]));
    json_object_set_new(cat, "lba", json_integer(info->catalog_lba));
    json_object_set_new(doc, "boot_catalog", info->nboot ? cat : json_null());
    if (!info->nboot)
        json_decref(cat);
    json_t *cfgs = json_object();
    json_object_set_new(cfgs, "bios", cfg_json(&info->bios, full));
    json_object_set_new(cfgs, "uefi", cfg_json(&info->efi, full));
    json_object_set_new(doc, "bootcfg", cfgs);
    json_t *ks = json_object();
    json_object_set_new(ks, "wired", json_boolean(info->ks_wired));
    json_object_set_new(ks, "url", str_or_null(info->ks_url));
    json_object_set_new(ks, "path", str_or_null(info->ks_path));
    json_object_set_new(ks, "present", json_boolean(info->ks_present));
    json_object_set_new(ks, "bytes", json_integer((json_int_t)info->ks_size));
    json_object_set_new(doc, "kickstart", ks);
    json_t *p = json_array();
    vn_buf copy = VN_BUF_INIT;
    vn_buf_adds(&copy, problems);
    for (char *save = NULL, *t = strtok_r(copy.data, "\n", &save); t;
         t = strtok_r(NULL, "\n", &save))
        json_array_append_new(p, json_string(t));
    vn_buf_free(&copy);
    json_object_set_new(doc, "problems", p);
    return doc;
}

static void print_text(const char *path, const vn_iso_info *info, const char *problems, int full)
{
    printf("%s: ", path);
    if (info->version[0])
        printf("ESXi %s (%s), build %s\n", info->version, info->release,
               info->build_number[0] ? info->build_number : "?");
    else
        printf("ESXi installer, no build= in boot.cfg\n");
    printf("  %-19s %s\n", "volume id", info->volume_id);
    if (info->title[0])
        printf("  %-19s %s\n", "title", info->title);
    printf("  %-19s %s\n", "boot catalog", info->catalog_path[0] ? info->catalog_path : "(hidden)");
    char buf[8], label[32];
    for (int i = 0; i < info->nboot; i++) {
        const vn_iso_boot *b = &info->boot[i];
        snprintf(label, sizeof(label), "boot entry %d", i + 1);
        printf("  %-19s %-4s %-16s %s, load size %u, LBA %u%s%s\n", label,
               vn_iso_platform_name(b->platform, buf), b->path[0] ? b->path : "(no file)",
               vn_iso_media_name(b->media), b->load_size, (unsigned)b->lba,
               b->boot_info_table ? ", boot info table" : "", b->bootable ? "" : ", not bootable");
    }
    const vn_iso_cfg *cfgs[] = {&info->bios, &info->efi};
    const char *names[] = {"/BOOT.CFG", "/EFI/BOOT/BOOT.CFG"};
    for (int i = 0; i < 2; i++) {
        if (!cfgs[i]->present) {
            printf("  %-19s missing\n", names[i]);
            continue;
        }
        const char *k = vn_bootcfg_get(cfgs[i]->doc, "kernelopt");
        printf("  %-19s kernelopt=%s\n", cfgs[i]->path, k ? k : "(no kernelopt line)");
    }
    if (info->ks_wired)
        printf("  %-19s wired: ks=%s, %s is %llu bytes\n", "kickstart", info->ks_url, info->ks_path,
               (unsigned long long)info->ks_size);
    else if (info->ks_url[0])
        printf("  %-19s not wired (ks=%s)\n", "kickstart", info->ks_url);
    else
        printf("  %-19s none (no ks= in kernelopt)\n", "kickstart");
    for (int i = 0; full && i < 2; i++) {
        if (!cfgs[i]->present)
            continue;
        printf("\n%s:\n", cfgs[i]->path);
        fwrite(cfgs[i]->text, 1, cfgs[i]->len, stdout);
        if (cfgs[i]->len && cfgs[i]->text[cfgs[i]->len - 1] != '\n')
            putchar('\n');
    }
    if (full && *problems)
        putchar('\n');
    for (const char *p = problems; *p;) {
        const char *e = strchr(p, '\n');
        printf("problem: %.*s\n", (int)(e ? e - p : (long)strlen(p)), p);
        p = e ? e + 1 : p + strlen(p);
    }
}

static int run_inspect(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    const char *path = args->pos[0];
    int full = cli_has(cmd, args, "bootcfg");
    vn_iso_info info;
    vn_error err = {0};
    int rc = vn_iso_inspect(path, &info, &err);
    if (rc == VN_OK)
        rc = vn_iso_check_installer(&info, path, &err);
    if (rc != VN_OK) {
        vn_iso_info_free(&info);
        return cli_report(&err);
    }
    vn_buf problems = VN_BUF_INIT;
    int n = vn_iso_problems(&info, &problems);
    if (ctx->json)
        cli_json_emit(info_json(path, &info, problems.data, full));
    else if (ctx->verbose >= 0)
        print_text(path, &info, problems.data, full);
    vn_buf_free(&problems);
    vn_iso_info_free(&info);
    return n ? VN_FINDINGS : VN_OK;
}

static const cli_opt opts[] = {
    {"bootcfg", 0, NULL, "also print both boot.cfg files in full (JSON: their \"text\")", NULL},
    {0},
};

const cli_cmd cmd_iso_inspect = {
    "iso inspect",
    "FILE.iso [--bootcfg]",
    "Show an ESXi installer ISO's version, boot entries, kernelopt and kickstart",
    "Reads an ESXi installer ISO and prints its ESXi version and build (from the build= and\n"
    "title= lines of its boot.cfg), the El Torito boot entries (platform, image file,\n"
    "emulation, load size, boot info table), the kernelopt= line of /BOOT.CFG (BIOS boot)\n"
    "and of /EFI/BOOT/BOOT.CFG (UEFI boot), and whether a kickstart is wired in: every\n"
    "boot.cfg has the same ks=cdrom:PATH and PATH is on the ISO. With --bootcfg, both\n"
    "boot.cfg files follow in full.\n"
    "\n"
    "Exit status 1 when the ISO has a problem a remaster is known for: no BIOS or no UEFI\n"
    "boot entry, kernelopt differing between the two boot.cfg files, or ks= naming a file\n"
    "that is not there. An ISO that is not an ESXi installer is exit status 2.",
    "$ vnest iso inspect VMware-VMvisor-Installer-8.0U3-24022510.x86_64.iso\n"
    "$ vnest --json iso inspect esxi-ks.iso | jq .kickstart",
    1,
    1,
    opts,
    run_inspect,
};
