#include "vn_esxdisk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_bootcfg.h"
#include "vn_fat.h"
#include "vn_statetgz.h"
#include "vn_vmdkio.h"

static int is_type(const vn_gpt_part *p, const char *type)
{
    return strcmp(p->type_str, type) == 0;
}

/* Reads one bootbank: its magic, boot.cfg and whether state.tgz is there. */
static void read_bank(vn_blk *disk, const vn_gpt *g, const vn_gpt_part *p, vn_esxbank *bk)
{
    memset(bk, 0, sizeof(*bk));
    bk->part = p->number;
    bk->updated = bk->bootstate = -1;
    uint64_t ss = vn_gpt_sector_size(g);
    vn_blk *win = NULL;
    vn_fat *fs = NULL;
    vn_error e = {0};
    char name[600];
    snprintf(name, sizeof(name), "%s partition %u", disk->name, p->number);
    if (vn_blk_open_window(disk, p->first_lba * ss, (p->last_lba - p->first_lba + 1) * ss, name,
                           &win, &e) != VN_OK ||
        vn_fat_open(win, &fs, &e) != VN_OK) {
        snprintf(bk->note, sizeof(bk->note), "not FAT: %.180s", e.msg);
        vn_blk_close(win);
        return;
    }
    vn_fat_info info;
    vn_fat_info_get(fs, &info);
    bk->vmware = info.vmware;
    snprintf(bk->uuid, sizeof(bk->uuid), "%.35s", info.uuid_str);
    vn_buf text = VN_BUF_INIT;
    vn_bootcfg *cfg = NULL;
    if (vn_fat_read(fs, "/boot.cfg", &text, &e) == VN_OK &&
        vn_bootcfg_parse(text.data, text.len, "boot.cfg", &cfg, &e) == VN_OK) {
        bk->has_cfg = 1;
        const char *v;
        if ((v = vn_bootcfg_get(cfg, "build")))
            snprintf(bk->build, sizeof(bk->build), "%s", v);
        if ((v = vn_bootcfg_get(cfg, "kernelopt")))
            snprintf(bk->kernelopt, sizeof(bk->kernelopt), "%s", v);
        if ((v = vn_bootcfg_get(cfg, "updated")))
            bk->updated = strtol(v, NULL, 10);
        if ((v = vn_bootcfg_get(cfg, "bootstate")))
            bk->bootstate = strtol(v, NULL, 10);
    } else {
        snprintf(bk->note, sizeof(bk->note), "no readable /boot.cfg: %.160s", e.msg);
    }
    vn_fat_dirent st;
    vn_error ignored = {0};
    bk->has_state = vn_fat_stat(fs, "/state.tgz", &st, &ignored) == VN_OK;
    /* esx-boot's safeboot: magic, a parsable boot.cfg, a build, updated > 0
     * and a bootstate of 0, 1 or 2 (3 and anything else are invalid). */
    bk->valid = bk->vmware && bk->has_cfg && bk->build[0] && bk->updated > 0 &&
                bk->bootstate >= 0 && bk->bootstate <= 2;
    if (!bk->valid && !bk->note[0])
        snprintf(bk->note, sizeof(bk->note), "%s",
                 !bk->vmware        ? "no VMware FAT16 magic"
                 : !bk->build[0]    ? "no build= in boot.cfg"
                 : bk->updated <= 0 ? "updated= missing or not positive"
                                    : "bootstate is not 0-2 (invalid or empty bank)");
    vn_bootcfg_free(cfg);
    vn_buf_free(&text);
    vn_fat_close(fs);
    vn_blk_close(win);
}

/* esx.conf from the active bank's state.tgz → local.tgz. */
static void read_conf(vn_blk *disk, vn_esxdisk *d)
{
    if (d->active < 0) {
        snprintf(d->conf_note, sizeof(d->conf_note), "no valid bootbank");
        return;
    }
    const vn_esxbank *bk = &d->bank[d->active];
    if (!bk->has_state) {
        snprintf(d->conf_note, sizeof(d->conf_note), "the active bootbank has no state.tgz");
        return;
    }
    const vn_gpt_part *p = vn_gpt_find(d->gpt, bk->part);
    uint64_t ss = vn_gpt_sector_size(d->gpt);
    vn_blk *win = NULL;
    vn_fat *fs = NULL;
    vn_error e = {0};
    vn_buf tgz = VN_BUF_INIT;
    char *text = NULL;
    size_t len = 0;
    if (vn_blk_open_window(disk, p->first_lba * ss, (p->last_lba - p->first_lba + 1) * ss, NULL,
                           &win, &e) == VN_OK &&
        vn_fat_open(win, &fs, &e) == VN_OK && vn_fat_read(fs, "/state.tgz", &tgz, &e) == VN_OK &&
        vn_statetgz_get_esxconf(tgz.data, tgz.len, "state.tgz", &text, &len, &e) == VN_OK &&
        vn_esxconf_parse(text, len, "esx.conf", &d->conf, &e) == VN_OK) {
        d->conf_note[0] = '\0';
    } else {
        snprintf(d->conf_note, sizeof(d->conf_note), "%.190s", e.msg);
    }
    free(text);
    vn_buf_free(&tgz);
    vn_fat_close(fs);
    vn_blk_close(win);
}

int vn_esxdisk_read(vn_blk *disk, const char *path, vn_esxdisk **out, vn_error *err)
{
    *out = NULL;
    vn_esxdisk *d = vn_xcalloc(1, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "%s", path);
    vn_vmdk_info vi;
    vn_vmdk_get_info(disk, &vi);
    snprintf(d->format, sizeof(d->format), "%s", vi.format ? vi.format : "raw");
    d->size = disk->size;
    d->active = d->alternate = -1;
    int rc = vn_gpt_read(disk, &d->gpt, err);
    if (rc == VN_OK && vn_gpt_kind(d->gpt) != VN_PT_GPT)
        rc = vn_fail(err, VN_EINPUT, path, "an MBR disk (expected an ESXi boot disk with a GPT)");
    for (size_t i = 0; rc == VN_OK && i < vn_gpt_count(d->gpt); i++) {
        const vn_gpt_part *p = vn_gpt_part_at(d->gpt, i);
        if (is_type(p, VN_GPT_TYPE_VMFS) && !d->vmfs_part)
            d->vmfs_part = p->number;
        if (is_type(p, VN_GPT_TYPE_VMFSL))
            d->osdata_part = p->number;
        /* Bootbanks are partitions 5 and 6 in every layout since 5.x. */
        if (is_type(p, VN_GPT_TYPE_BASIC_DATA) && (p->number == 5 || p->number == 6) &&
            d->nbanks < 4)
            read_bank(disk, d->gpt, p, &d->bank[d->nbanks++]);
    }
    if (rc == VN_OK && d->nbanks == 0)
        rc = vn_fail(err, VN_EINPUT, path,
                     "no bootbank partitions (expected an ESXi boot disk: basic-data partitions 5 "
                     "and 6)");
    if (rc == VN_OK) {
        d->layout = d->osdata_part ? 7 : 6;
        for (int i = 0; i < d->nbanks; i++)
            if (d->bank[i].valid &&
                (d->active < 0 || d->bank[i].updated > d->bank[d->active].updated))
                d->active = i;
        for (int i = 0; i < d->nbanks; i++)
            if (i != d->active && d->bank[i].valid)
                d->alternate = i;
        read_conf(disk, d);
    }
    vn_vmdk_get_info(disk, &vi);
    d->bytes_read = vi.file_read ? vi.file_read : disk->bytes_read;
    if (rc != VN_OK) {
        vn_esxdisk_free(d);
        return rc;
    }
    *out = d;
    return VN_OK;
}

int vn_esxdisk_inspect(const char *path, vn_esxdisk **out, vn_error *err)
{
    *out = NULL;
    vn_blk *disk = NULL;
    int rc = vn_vmdk_open(path, 0, &disk, err);
    if (rc != VN_OK)
        return rc;
    rc = vn_esxdisk_read(disk, path, out, err);
    vn_blk_close(disk);
    return rc;
}

void vn_esxdisk_free(vn_esxdisk *d)
{
    if (!d)
        return;
    vn_gpt_free(d->gpt);
    vn_esxconf_free(d->conf);
    free(d);
}

const vn_release *vn_esxdisk_release(const vn_esxdisk *d)
{
    if (d->active < 0)
        return NULL;
    /* build=7.0.3-0.0.21424296: major.minor.update */
    int major = 0, minor = 0, update = 0;
    if (sscanf(d->bank[d->active].build, "%d.%d.%d", &major, &minor, &update) < 2)
        return NULL;
    char text[32];
    snprintf(text, sizeof(text), "%d.%dU%d", major, minor, update);
    vn_error ignored = {0};
    return vn_release_parse(text, "build", &ignored);
}

/* How a finding can be fixed: offline by `vnest disk seal` (op names the
 * seal operation), or, when op is NULL, only with the reason in `note`. */
static vn_finding *add(vn_findings *out, const char *rule, const char *key, const char *cur,
                       const char *want, int line, const char *op, const char *note)
{
    const vn_rule *r = vn_rule_find(rule);
    if (!r)
        return NULL;
    vn_finding *f = vn_findings_add(out, r, key, cur, want);
    f->line = line;
    f->fixable = op != NULL;
    if (op) {
        char text[160];
        snprintf(text, sizeof(text), "fix offline with 'vnest disk seal IMAGE --ops %s'", op);
        f->note = vn_xstrdup(text);
    } else {
        f->note = vn_xstrdup(note);
    }
    return f;
}

void vn_esxdisk_check(const vn_esxdisk *d, unsigned role, vn_findings *out)
{
    const vn_release *rel = vn_esxdisk_release(d);
    vn_release_id id = rel ? rel->id : VN_ESXI_DEFAULT;
    const vn_rule *r;
#define APPLIES(name) ((r = vn_rule_find(name)) && vn_rule_applies(r, id, role))
    if (APPLIES("disk-legacy-cpu") && d->active >= 0 &&
        !strstr(d->bank[d->active].kernelopt, "allowLegacyCPU=true"))
        add(out, "disk-legacy-cpu", "bootbank kernelopt", d->bank[d->active].kernelopt,
            "... allowLegacyCPU=true", 0, "legacy-cpu", NULL);
    if (APPLIES("disk-no-local-vmfs") && d->vmfs_part) {
        char key[48];
        snprintf(key, sizeof(key), "partition %u", d->vmfs_part);
        add(out, "disk-no-local-vmfs", key, "VMFS", NULL, 0, "local-vmfs", NULL);
    }
    if (!d->conf)
        return;
    /* esx.conf in state.tgz is the source of truth up to 7.0 U1 only. */
    int conf_ok = rel && rel->id <= VN_ESXI_70U1;
    const char *conf_note =
        "from ESXi 7.0 U2 the configuration lives in ConfigStore and an encrypted state.tgz: "
        "an offline edit would not stick; install fresh hosts with 'vnest ks new', or fix it "
        "inside the guest ('vnest seal script')";
    if (APPLIES("disk-follow-hw-mac")) {
        const char *v = vn_esxconf_get(d->conf, "/adv/Net/FollowHardwareMac");
        if (!v || strcmp(v, "1") != 0)
            add(out, "disk-follow-hw-mac", "/adv/Net/FollowHardwareMac", v, "1",
                vn_esxconf_line(d->conf, "/adv/Net/FollowHardwareMac"),
                conf_ok ? "follow-hw-mac" : NULL, conf_note);
    }
    if (APPLIES("disk-only-vmk0")) {
        vn_esxconf_vmknic *nics = NULL;
        size_t n = vn_esxconf_vmknics(d->conf, &nics);
        for (size_t i = 0; i < n; i++)
            if (nics[i].name && strcmp(nics[i].name, "vmk0") != 0) {
                add(out, "disk-only-vmk0", "vmknic", nics[i].name, NULL, 0, NULL,
                    "remove it inside the guest (esxcli network ip interface remove)");
            }
        free(nics);
    }
    if (APPLIES("disk-no-system-uuid") && vn_esxconf_get(d->conf, "/system/uuid"))
        add(out, "disk-no-system-uuid", "/system/uuid", vn_esxconf_get(d->conf, "/system/uuid"),
            NULL, vn_esxconf_line(d->conf, "/system/uuid"), conf_ok ? "system-uuid" : NULL,
            conf_note);
#undef APPLIES
}
