/* vnest iso build: an ESXi installer ISO that installs from a kickstart. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_iso_common.h"
#include "vn_iso.h"

/* Progress on a terminal: one line rewritten in place. */
static void on_progress(void *arg, const char *phase, uint64_t done, uint64_t total)
{
    int *shown = arg;
    if (strcmp(phase, "copy") == 0)
        fprintf(stderr, "\rvnest: copying the input %3d%% (%llu of %llu MiB)   ",
                total ? (int)(done * 100 / total) : 100, (unsigned long long)(done >> 20),
                (unsigned long long)(total >> 20));
    else if (strcmp(phase, "write") == 0)
        fprintf(stderr, "\rvnest: writing the new session                          ");
    else
        fprintf(stderr, "\rvnest: checking the output                              ");
    fflush(stderr);
    *shown = 1;
}

static const char *kernelopt(const vn_iso_cfg *cfg)
{
    const char *k = cfg->present ? vn_bootcfg_get(cfg->doc, "kernelopt") : NULL;
    return k ? k : "";
}

static void report(const cli_ctx *ctx, const vn_iso_build_req *req, const vn_iso_build_res *res)
{
    const vn_iso_info *in = &res->in, *out = &res->out;
    const vn_iso_cfg *before[] = {&in->bios, &in->efi}, *after[] = {&out->bios, &out->efi};
    vn_buf problems = VN_BUF_INIT;
    vn_iso_problems(out, &problems);
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "output", json_string(req->out));
        json_object_set_new(doc, "input", json_string(req->from));
        json_object_set_new(doc, "size", json_integer((json_int_t)out->size));
        json_object_set_new(doc, "esxi_build", json_string(in->build));
        json_t *cfgs = json_array();
        for (int i = 0; i < 2; i++) {
            if (!after[i]->present)
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "path", json_string(after[i]->path));
            json_object_set_new(o, "kernelopt_before", json_string(kernelopt(before[i])));
            json_object_set_new(o, "kernelopt", json_string(kernelopt(after[i])));
            json_array_append_new(cfgs, o);
        }
        json_object_set_new(doc, "bootcfg", cfgs);
        json_t *ks = json_object();
        json_object_set_new(ks, "path", json_string(out->ks_path));
        json_object_set_new(ks, "bytes", json_integer((json_int_t)res->ks_len));
        json_object_set_new(doc, "kickstart", ks);
        json_object_set_new(doc, "boot", iso_boot_json(out));
        json_t *p = json_array();
        for (char *save = NULL, *t = strtok_r(problems.data, "\n", &save); t;
             t = strtok_r(NULL, "\n", &save))
            json_array_append_new(p, json_string(t));
        json_object_set_new(doc, "problems", p);
        cli_json_emit(doc);
        vn_buf_free(&problems);
        return;
    }
    if (ctx->verbose < 0) {
        vn_buf_free(&problems);
        return;
    }
    /* What the input already lacked (a BIOS-only ISO...) is kept: say so. */
    for (char *save = NULL, *t = strtok_r(problems.data, "\n", &save); t;
         t = strtok_r(NULL, "\n", &save))
        fprintf(stderr, "vnest: %s: note: %s\n", req->out, t);
    vn_buf_free(&problems);
    printf("wrote %s (%llu bytes) from %s", req->out, (unsigned long long)out->size, req->from);
    if (in->version[0])
        printf(" (ESXi %s, build %s)", in->version, in->build_number[0] ? in->build_number : "?");
    printf("\n");
    for (int i = 0; i < 2; i++) {
        if (after[i]->present)
            printf("  %-20s kernelopt=%s (was: %s)\n", after[i]->path, kernelopt(after[i]),
                   kernelopt(before[i]));
    }
    printf("  %-20s %llu bytes\n", out->ks_path, (unsigned long long)res->ks_len);
    char buf[8];
    for (int i = 0; i < out->nboot; i++) {
        const vn_iso_boot *b = &out->boot[i];
        printf("  boot entry %d: %s %s, %s, load size %u%s, kept\n", i + 1,
               vn_iso_platform_name(b->platform, buf), b->path[0] ? b->path : "(no file)",
               vn_iso_media_name(b->media), b->load_size,
               b->boot_info_table ? ", boot info table" : "");
    }
}

static int run_build(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    static const struct {
        const char *opt, *what;
    } required[] = {
        {"from", "the VMware-VMvisor-Installer ISO to start from"},
        {"ks", "the kickstart file to put on the ISO as /KS.CFG"},
        {"output", "the ISO file to write"},
    };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!cli_get(cmd, args, required[i].opt)) {
            char flag[32];
            snprintf(flag, sizeof(flag), "--%s", required[i].opt);
            return cli_fail(VN_EINPUT, flag, "missing (expected %s)", required[i].what);
        }
    }
    int shown = 0;
    vn_iso_build_req req = {
        .from = cli_get(cmd, args, "from"),
        .ks_path = cli_get(cmd, args, "ks"),
        .out = cli_get(cmd, args, "output"),
        .legacy_cpu = cli_has(cmd, args, "legacy-cpu"),
    };
    if (isatty(2) && ctx->verbose >= 0 && !ctx->json) {
        req.progress = on_progress;
        req.progress_arg = &shown;
    }
    vn_iso_build_res res;
    vn_error err = {0};
    int rc = vn_iso_build(&req, &res, &err);
    if (shown)
        fputs("\r\033[K", stderr);
    if (rc == VN_OK)
        report(ctx, &req, &res);
    else
        cli_report(&err);
    vn_iso_build_res_free(&res);
    return rc;
}

static const cli_opt opts[] = {
    {"from", 0, "ISO", "the ESXi installer ISO (VMware-VMvisor-Installer-*.iso; required)", NULL},
    {"ks", 0, "FILE", "the kickstart file, stored as /KS.CFG (required)", NULL},
    {"output", 'o', "ISO", "the ISO to write; replaced at the end if it exists (required)", NULL},
    {"legacy-cpu", 0, NULL, "also add allowLegacyCPU=true to kernelopt (S5: an older outer CPU)",
     NULL},
    {0},
};

const cli_cmd cmd_iso_build = {
    "iso build",
    "--from INSTALLER.iso --ks ks.cfg -o OUT.iso [--legacy-cpu]",
    "Make an ESXi installer ISO that installs from a kickstart",
    "Copies the installer ISO with the kickstart added as /KS.CFG and the kernelopt= line\n"
    "of both /BOOT.CFG (read by the BIOS boot) and /EFI/BOOT/BOOT.CFG (read by the UEFI\n"
    "boot) pointing at it: ks=cdrom:/KS.CFG takes the place of cdromBoot (and of any other\n"
    "ks=), the other options stay. With --legacy-cpu, allowLegacyCPU=true is added too.\n"
    "Every other line of the boot.cfg files is kept byte for byte.\n"
    "\n"
    "Both El Torito boot entries stay exactly as the input had them (platform, image,\n"
    "emulation, load size, boot info table, catalog name): the output boots VMs with BIOS\n"
    "and with EFI firmware. The new files go into a session appended to a copy of the\n"
    "input, so the copy costs about what cp does; the output is read back and checked, then\n"
    "renamed into place, so OUT.iso is either the old file or the complete new one. The\n"
    "input is never written to.\n"
    "\n"
    "An input that is not an ESXi installer ISO (no boot catalog, no /BOOT.CFG) is refused\n"
    "with exit status 2.",
    "$ vnest iso build --from VMware-VMvisor-Installer-8.0U3-24022510.x86_64.iso \\\n"
    "      --ks ks.cfg -o esxi-ks.iso\n"
    "$ vnest ks new --esxi 8.0 --password-file pw -o ks.cfg && \\\n"
    "      vnest iso build --from installer.iso --ks ks.cfg --legacy-cpu -o lab.iso",
    0,
    0,
    opts,
    run_build,
};
