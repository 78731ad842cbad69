#include "vn_diskseal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vn_bootcfg.h"
#include "vn_esxdisk.h"
#include "vn_fat.h"
#include "vn_fdscan.h"
#include "vn_journal.h"
#include "vn_statetgz.h"
#include "vn_vmdkio.h"
#include "vn_vmlock.h"

#define CONF_RELEASES VN_REL_UPTO(VN_ESXI_70U1)
#define CONF_ELSEWISE                                                                              \
    "from ESXi 7.0 U2 the host configuration lives in ConfigStore and an encrypted state.tgz, "    \
    "so an offline esx.conf edit would not stick (and cloning a 7.0 U2+ boot disk is "             \
    "unsupported, S17); install each host fresh from a kickstart instead: vnest ks new"

static const vn_sealop ops[VN_SEAL_NOPS] = {
    {VN_SEAL_LEGACY_CPU, "legacy-cpu", "S5", "disk-legacy-cpu",
     "allowLegacyCPU=true in the kernelopt= of /boot.cfg in both bootbanks", VN_REL_ALL, NULL},
    {VN_SEAL_FOLLOW_HW_MAC, "follow-hw-mac", "S7", "disk-follow-hw-mac",
     "/adv/Net/FollowHardwareMac = \"1\" in esx.conf (state.tgz of the active bootbank)",
     CONF_RELEASES, CONF_ELSEWISE},
    {VN_SEAL_SYSTEM_UUID, "system-uuid", "S11", "disk-no-system-uuid",
     "the /system/uuid line removed from esx.conf (state.tgz of the active bootbank)",
     CONF_RELEASES, CONF_ELSEWISE},
    {VN_SEAL_LOCAL_VMFS, "local-vmfs", "S9", "disk-no-local-vmfs",
     "the local VMFS datastore's entry removed from the GPT (primary and backup)", VN_REL_ALL,
     NULL},
};

const vn_sealop *vn_sealop_get(vn_sealop_id id)
{
    return (unsigned)id < VN_SEAL_NOPS ? &ops[id] : NULL;
}

const vn_sealop *vn_sealop_find(const char *name)
{
    for (size_t i = 0; i < VN_SEAL_NOPS; i++)
        if (strcmp(ops[i].name, name) == 0)
            return &ops[i];
    return NULL;
}

#define ALL_OPS ((1u << VN_SEAL_NOPS) - 1u)

int vn_sealops_parse(const char *text, const char *where, unsigned *sel, unsigned *explicit_ops,
                     vn_error *err)
{
    *sel = ALL_OPS;
    *explicit_ops = 0;
    if (!text)
        return VN_OK;
    unsigned plus = 0, minus = 0;
    char *copy = vn_xstrdup(text);
    int rc = VN_OK;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && rc == VN_OK;
         tok = strtok_r(NULL, ",", &save)) {
        int neg = tok[0] == '-';
        const vn_sealop *op = vn_sealop_find(tok + neg);
        if (!op)
            rc = vn_fail(err, VN_EINPUT, where,
                         "unknown seal operation \"%s\" (expected legacy-cpu, follow-hw-mac, "
                         "system-uuid or local-vmfs, each optionally prefixed by '-')",
                         tok + neg);
        else if (neg)
            minus |= 1u << op->id;
        else
            plus |= 1u << op->id;
    }
    if (rc == VN_OK && !plus && !minus)
        rc = vn_fail(err, VN_EINPUT, where,
                     "no operation named (expected a list such as "
                     "legacy-cpu,local-vmfs or -system-uuid)");
    free(copy);
    if (rc != VN_OK)
        return rc;
    *sel = (plus ? plus : ALL_OPS) & ~minus;
    *explicit_ops = plus & ~minus;
    return VN_OK;
}

/* ---- guarding the image ---- */

/* The files vn_vmdk_open_with opens, recorded on their way to the journal,
 * so that every one of them can be checked for other writers. */
typedef struct opener {
    vn_journal *j;
    char **paths;
    size_t n;
} opener;

static int open_recorded(void *ctx, const char *path, int writable, vn_blk **out, vn_error *err)
{
    opener *o = ctx;
    int rc = vn_journal_file(o->j, path, writable, out, err);
    if (rc == VN_OK) {
        o->paths = vn_xrealloc(o->paths, (o->n + 1) * sizeof(*o->paths));
        o->paths[o->n++] = vn_xstrdup(path);
    }
    return rc;
}

static void opener_free(opener *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->paths[i]);
    free(o->paths);
    vn_journal_free(o->j);
}

/* The exclusive lock every writer of `path` takes; -1 after an error. */
static int lock_image(const char *path, vn_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vn_fail(err, VN_EINPUT, path, "cannot open (%s)", strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        vn_fail(err, VN_ERUNTIME, path,
                e == EWOULDBLOCK ? "in use: another vnest process is editing this image"
                                 : "cannot lock (%s)",
                strerror(e));
        return -1;
    }
    return fd;
}

static int check_in_use(const char *path, const char *const *files, size_t n, vn_error *err)
{
    char what[300];
    if (vn_vm_in_use(path, what, sizeof(what)))
        return vn_fail(err, VN_ERUNTIME, path,
                       "in use: VMware lock \"%s\" beside it (power the VM off, or remove a "
                       "stale lock, first)",
                       what);
    if (vn_fd_writer(files, n, what, sizeof(what)))
        return vn_fail(err, VN_ERUNTIME, path,
                       "in use: %s has it open for writing (stop that process first)", what);
    return VN_OK;
}

/* With the lock held: rolls back a journal if there is one. */
static int recover_locked(const char *path, int *recovered, vn_error *err)
{
    vn_buf jpath = VN_BUF_INIT;
    vn_journal_path(path, &jpath);
    const char *files[1] = {path};
    int rc = check_in_use(path, files, 1, err);
    if (rc == VN_OK)
        rc = vn_journal_recover_files(jpath.data, recovered, err);
    vn_buf_free(&jpath);
    return rc;
}

int vn_diskseal_recover(const char *path, int *recovered, vn_error *err)
{
    *recovered = 0;
    vn_buf jpath = VN_BUF_INIT;
    struct stat st;
    int exists = lstat(vn_journal_path(path, &jpath), &st) == 0;
    vn_buf_free(&jpath);
    if (!exists)
        return VN_OK;
    int lock = lock_image(path, err);
    if (lock < 0)
        return err ? err->code : VN_ERUNTIME;
    int rc = recover_locked(path, recovered, err);
    close(lock);
    return rc;
}

/* ---- planning ---- */

typedef struct bank_edit {
    vn_blk *win;
    vn_fat *fs;
    unsigned part;
    vn_buf cfg;      /* new /boot.cfg, when changed */
    vn_buf state;    /* new /state.tgz, when changed */
    int cfg_changed; /* flags, since an edit can be empty */
    int state_changed;
} bank_edit;

typedef struct plan {
    vn_blk *dev;
    vn_esxdisk *d;
    bank_edit bank[4];
    unsigned drop[8]; /* GPT entries to remove */
    size_t ndrop;
    vn_seal_result *res;
    const vn_seal_opts *opts;
} plan;

static void add_change(vn_seal_result *r, vn_sealop_id op, const char *where, const char *old_value,
                       const char *new_value)
{
    r->changes = vn_xrealloc(r->changes, (r->nchanges + 1) * sizeof(*r->changes));
    vn_seal_change *c = &r->changes[r->nchanges++];
    c->op = op;
    snprintf(c->where, sizeof(c->where), "%s", where);
    c->old_value = old_value ? vn_xstrdup(old_value) : NULL;
    c->new_value = new_value ? vn_xstrdup(new_value) : NULL;
}

/* An operation that cannot apply: an error when it was asked for by name,
 * else skipped with the reason. */
static int cannot(plan *p, vn_sealop_id op, const char *why, vn_error *err)
{
    if (p->opts->explicit_ops & (1u << op))
        return vn_fail(err, VN_EINPUT, p->d->path, "%s: %s", ops[op].name, why);
    p->res->status[op] = VN_SEAL_SKIPPED;
    snprintf(p->res->note[op], sizeof(p->res->note[op]), "%s", why);
    return VN_OK;
}

static int open_bank(plan *p, int i, vn_error *err)
{
    bank_edit *b = &p->bank[i];
    if (b->fs)
        return VN_OK;
    const vn_gpt_part *part = vn_gpt_find(p->d->gpt, p->d->bank[i].part);
    uint64_t ss = vn_gpt_sector_size(p->d->gpt);
    char name[600];
    snprintf(name, sizeof(name), "%s partition %u", p->d->path, part->number);
    b->part = part->number;
    int rc = vn_blk_open_window(p->dev, part->first_lba * ss,
                                (part->last_lba - part->first_lba + 1) * ss, name, &b->win, err);
    if (rc == VN_OK)
        rc = vn_fat_open(b->win, &b->fs, err);
    return rc;
}

static int plan_legacy_cpu(plan *p, vn_error *err)
{
    int banks = 0, changed = 0;
    for (int i = 0; i < p->d->nbanks; i++) {
        if (!p->d->bank[i].has_cfg)
            continue; /* an empty bank (never upgraded): nothing boots from it */
        banks++;
        bank_edit *b = &p->bank[i];
        vn_buf text = VN_BUF_INIT;
        vn_bootcfg *cfg = NULL;
        int rc = open_bank(p, i, err);
        if (rc == VN_OK)
            rc = vn_fat_read(b->fs, "/boot.cfg", &text, err);
        if (rc == VN_OK)
            rc = vn_bootcfg_parse(text.data, text.len, "boot.cfg", &cfg, err);
        if (rc == VN_OK) {
            const char *old = vn_bootcfg_get(cfg, "kernelopt");
            char *old_copy = old ? vn_xstrdup(old) : NULL;
            if (vn_bootcfg_allow_legacy_cpu(cfg) == 1) {
                char where[160];
                snprintf(where, sizeof(where), "partition %u /boot.cfg kernelopt", b->part);
                vn_bootcfg_write(cfg, &b->cfg);
                b->cfg_changed = 1;
                add_change(p->res, VN_SEAL_LEGACY_CPU, where, old_copy,
                           vn_bootcfg_get(cfg, "kernelopt"));
                changed++;
            }
            free(old_copy);
        }
        vn_bootcfg_free(cfg);
        vn_buf_free(&text);
        if (rc != VN_OK)
            return rc;
    }
    if (!banks)
        return cannot(p, VN_SEAL_LEGACY_CPU, "no bootbank holds a readable /boot.cfg", err);
    p->res->status[VN_SEAL_LEGACY_CPU] = changed ? VN_SEAL_CHANGE : VN_SEAL_DONE;
    if (!changed)
        snprintf(p->res->note[VN_SEAL_LEGACY_CPU], sizeof(p->res->note[0]),
                 "allowLegacyCPU=true already in every bootbank's kernelopt");
    return VN_OK;
}

/* S7 and S11 together: one esx.conf, one new state.tgz. */
static int plan_esxconf(plan *p, vn_error *err)
{
    unsigned want = p->opts->ops & ((1u << VN_SEAL_FOLLOW_HW_MAC) | (1u << VN_SEAL_SYSTEM_UUID));
    if (!want)
        return VN_OK;
    const vn_release *rel = p->res->rel;
    const char *why = NULL;
    char buf[300];
    if (!rel)
        why = "the ESXi release is unknown (no valid bootbank build=), so whether esx.conf "
              "still holds the configuration cannot be told";
    else if (!(CONF_RELEASES & VN_REL(rel->id)))
        why = CONF_ELSEWISE;
    else if (!p->d->conf) {
        snprintf(buf, sizeof(buf), "esx.conf is not available: %.240s", p->d->conf_note);
        why = buf;
    }
    for (int op = VN_SEAL_FOLLOW_HW_MAC; why && op <= VN_SEAL_SYSTEM_UUID; op++) {
        int rc = (want & (1u << op)) ? cannot(p, (vn_sealop_id)op, why, err) : VN_OK;
        if (rc != VN_OK)
            return rc;
    }
    if (why)
        return VN_OK;
    vn_esxconf *c = p->d->conf;
    int i = p->d->active;
    bank_edit *b = &p->bank[i];
    char where[160];
    int changed = 0;
    if (want & (1u << VN_SEAL_FOLLOW_HW_MAC)) {
        const char *key = "/adv/Net/FollowHardwareMac";
        const char *old = vn_esxconf_get(c, key);
        char *old_copy = old ? vn_xstrdup(old) : NULL;
        if (vn_esxconf_set(c, key, "1") == 1) {
            snprintf(where, sizeof(where), "partition %u /state.tgz esx.conf %s",
                     p->d->bank[i].part, key);
            add_change(p->res, VN_SEAL_FOLLOW_HW_MAC, where, old_copy, "1");
            p->res->status[VN_SEAL_FOLLOW_HW_MAC] = VN_SEAL_CHANGE;
            changed = 1;
        } else {
            p->res->status[VN_SEAL_FOLLOW_HW_MAC] = VN_SEAL_DONE;
            snprintf(p->res->note[VN_SEAL_FOLLOW_HW_MAC], sizeof(p->res->note[0]),
                     "%s is already \"1\"", key);
        }
        free(old_copy);
    }
    if (want & (1u << VN_SEAL_SYSTEM_UUID)) {
        const char *key = "/system/uuid";
        const char *old = vn_esxconf_get(c, key);
        if (old) {
            snprintf(where, sizeof(where), "partition %u /state.tgz esx.conf %s",
                     p->d->bank[i].part, key);
            add_change(p->res, VN_SEAL_SYSTEM_UUID, where, old, NULL);
            vn_esxconf_remove(c, key);
            p->res->status[VN_SEAL_SYSTEM_UUID] = VN_SEAL_CHANGE;
            changed = 1;
        } else {
            p->res->status[VN_SEAL_SYSTEM_UUID] = VN_SEAL_DONE;
            snprintf(p->res->note[VN_SEAL_SYSTEM_UUID], sizeof(p->res->note[0]),
                     "no /system/uuid in esx.conf");
        }
    }
    if (!changed)
        return VN_OK;
    /* The new state.tgz is built now, so a dry run meets any problem too. */
    vn_buf tgz = VN_BUF_INIT, text = VN_BUF_INIT;
    void *out = NULL;
    size_t out_len = 0;
    int rc = open_bank(p, i, err);
    if (rc == VN_OK)
        rc = vn_fat_read(b->fs, "/state.tgz", &tgz, err);
    if (rc == VN_OK) {
        vn_esxconf_write(c, &text);
        rc = vn_statetgz_set_esxconf(tgz.data, tgz.len, "state.tgz", text.data, text.len, &out,
                                     &out_len, err);
    }
    if (rc == VN_OK) {
        vn_buf_add(&b->state, out, out_len);
        b->state_changed = 1;
    }
    free(out);
    vn_buf_free(&tgz);
    vn_buf_free(&text);
    return rc;
}

static int plan_local_vmfs(plan *p, vn_error *err)
{
    vn_gpt *g = p->d->gpt;
    uint64_t ss = vn_gpt_sector_size(g);
    for (size_t i = 0; i < vn_gpt_count(g) && p->ndrop < 8; i++) {
        const vn_gpt_part *part = vn_gpt_part_at(g, i);
        if (strcmp(part->type_str, VN_GPT_TYPE_VMFS) != 0)
            continue;
        char where[160], old[200];
        snprintf(where, sizeof(where), "GPT partition %u (primary and backup table)", part->number);
        snprintf(old, sizeof(old), "VMFS, LBA %llu-%llu (%.1f GiB)%s%s",
                 (unsigned long long)part->first_lba, (unsigned long long)part->last_lba,
                 (double)((part->last_lba - part->first_lba + 1) * ss) / (1024.0 * 1024 * 1024),
                 part->name[0] ? ", " : "", part->name);
        add_change(p->res, VN_SEAL_LOCAL_VMFS, where, old, NULL);
        p->drop[p->ndrop++] = part->number;
    }
    if (!p->ndrop) {
        p->res->status[VN_SEAL_LOCAL_VMFS] = VN_SEAL_DONE;
        snprintf(p->res->note[VN_SEAL_LOCAL_VMFS], sizeof(p->res->note[0]),
                 "no VMFS partition in the GPT");
        return VN_OK;
    }
    if (vn_gpt_problem_count(g))
        return vn_fail(err, VN_EINPUT, p->d->path,
                       "local-vmfs: the GPT has problems (first: %s); repair it (sgdisk -v) "
                       "before sealing",
                       vn_gpt_problem(g, 0));
    p->res->status[VN_SEAL_LOCAL_VMFS] = VN_SEAL_CHANGE;
    return VN_OK;
}

static int make_plan(plan *p, vn_error *err)
{
    vn_seal_result *r = p->res;
    for (int op = 0; op < VN_SEAL_NOPS; op++)
        r->status[op] = VN_SEAL_OFF;
    snprintf(r->format, sizeof(r->format), "%s", p->d->format);
    int rc = VN_OK;
    if (p->opts->ops & (1u << VN_SEAL_LEGACY_CPU))
        rc = plan_legacy_cpu(p, err);
    if (rc == VN_OK)
        rc = plan_esxconf(p, err);
    if (rc == VN_OK && (p->opts->ops & (1u << VN_SEAL_LOCAL_VMFS)))
        rc = plan_local_vmfs(p, err);
    return rc;
}

static int apply(plan *p, vn_error *err)
{
    /* SOURCE_DATE_EPOCH (reproducible-builds.org) pins the files' new
     * modification time, so that two seals of one image give equal bytes. */
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    time_t now = sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
    int rc = VN_OK;
    for (int i = 0; rc == VN_OK && i < p->d->nbanks; i++) {
        bank_edit *b = &p->bank[i];
        if (b->cfg_changed)
            rc = vn_fat_replace(b->fs, "/boot.cfg", b->cfg.data, b->cfg.len, now, err);
        if (rc == VN_OK && b->state_changed)
            rc = vn_fat_replace(b->fs, "/state.tgz", b->state.data, b->state.len, now, err);
    }
    for (size_t i = 0; rc == VN_OK && i < p->ndrop; i++)
        rc = vn_gpt_set_entry(p->d->gpt, p->dev, p->drop[i], NULL, err);
    if (rc == VN_OK)
        rc = vn_blk_flush(p->dev, err);
    return rc;
}

static void plan_close(plan *p)
{
    for (int i = 0; i < 4; i++) {
        vn_fat_close(p->bank[i].fs);
        vn_blk_close(p->bank[i].win);
        vn_buf_free(&p->bank[i].cfg);
        vn_buf_free(&p->bank[i].state);
        p->bank[i].fs = NULL;
        p->bank[i].win = NULL;
    }
    vn_esxdisk_free(p->d);
    p->d = NULL;
}

static void count_bytes(vn_seal_result *r, vn_blk *dev, const vn_journal *j)
{
    vn_vmdk_info vi;
    vn_vmdk_get_info(dev, &vi);
    r->bytes_read = vi.file_read;
    r->bytes_written = vi.file_written;
    if (j) {
        uint64_t saved = 0, jw = 0;
        vn_journal_stats(j, &saved, &jw);
        r->bytes_read += saved;
        r->journal_written = jw;
    }
}

/* A dry run: read-only, nothing locked or written. */
static int seal_dry(const char *path, plan *p, vn_error *err)
{
    int rc = vn_vmdk_open(path, 0, &p->dev, err);
    if (rc == VN_OK)
        rc = vn_esxdisk_read(p->dev, path, &p->d, err);
    if (rc == VN_OK) {
        p->res->rel = vn_esxdisk_release(p->d);
        rc = make_plan(p, err);
    }
    plan_close(p);
    if (p->dev)
        count_bytes(p->res, p->dev, NULL);
    vn_blk_close(p->dev);
    return rc;
}

static int seal_write(const char *path, plan *p, vn_error *err)
{
    vn_seal_result *r = p->res;
    vn_buf jpath = VN_BUF_INIT;
    vn_journal_path(path, &jpath);
    opener o = {0};
    int rc = vn_journal_begin(jpath.data, &o.j, err);
    if (rc == VN_OK)
        rc = vn_vmdk_open_with(path, 1, open_recorded, &o, &p->dev, err);
    if (rc == VN_OK)
        rc = check_in_use(path, (const char *const *)o.paths, o.n, err);
    if (rc == VN_OK)
        rc = vn_esxdisk_read(p->dev, path, &p->d, err);
    if (rc == VN_OK) {
        r->rel = vn_esxdisk_release(p->d);
        rc = make_plan(p, err);
    }
    int applied = 0;
    if (rc == VN_OK && r->nchanges) {
        applied = 1;
        rc = apply(p, err);
        if (rc == VN_OK)
            rc = vn_journal_end(o.j, err);
        if (rc == VN_OK)
            r->written = 1;
    }
    plan_close(p);
    if (p->dev)
        count_bytes(r, p->dev, o.j);
    vn_blk_close(p->dev);
    p->dev = NULL;
    opener_free(&o);
    if (rc != VN_OK && applied) {
        /* Leave nothing half-done: roll back now (the lock is still held). */
        vn_error e2 = {0};
        int rec = 0;
        if (vn_journal_recover_files(jpath.data, &rec, &e2) != VN_OK && err)
            snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
                     "; rolling back failed too: %s (run 'vnest disk seal --recover')", e2.msg);
    }
    vn_buf_free(&jpath);
    return rc;
}

int vn_diskseal(const char *path, const vn_seal_opts *opts, vn_seal_result *res, vn_error *err)
{
    memset(res, 0, sizeof(*res));
    plan p = {0};
    p.res = res;
    p.opts = opts;
    vn_buf jpath = VN_BUF_INIT;
    struct stat st;
    int pending = lstat(vn_journal_path(path, &jpath), &st) == 0;
    vn_buf_free(&jpath);
    int lock = -1, rc = VN_OK;
    if (!opts->dry_run || pending) {
        lock = lock_image(path, err);
        if (lock < 0)
            return err ? err->code : VN_ERUNTIME;
    }
    if (pending)
        rc = recover_locked(path, &res->recovered, err);
    if (rc == VN_OK)
        rc = opts->dry_run ? seal_dry(path, &p, err) : seal_write(path, &p, err);
    if (lock >= 0)
        close(lock);
    return rc;
}

void vn_seal_result_free(vn_seal_result *res)
{
    for (size_t i = 0; i < res->nchanges; i++) {
        free(res->changes[i].old_value);
        free(res->changes[i].new_value);
    }
    free(res->changes);
    res->changes = NULL;
    res->nchanges = 0;
}
