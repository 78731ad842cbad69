/* vnest ks check: lint ESXi kickstart files. */
#include <stdio.h>

#include "cli.h"
#include "render.h"
#include "vn_ks.h"

/* One finding per line, compiler style: FILE:LINE: severity: message [rule]. */
static void print_findings(const char *path, const vn_findings *f, int verbose)
{
    for (size_t i = 0; i < f->n; i++) {
        const vn_finding *x = &f->v[i];
        if (x->line)
            printf("%s:%d: ", path, x->line);
        else
            printf("%s: ", path);
        printf("%s: %s [%s]\n", vn_severity_name(x->severity), x->note ? x->note : x->rule->summary,
               x->rule->id);
        if (verbose > 0)
            printf("    why: %s\n", x->rule->rationale);
    }
    size_t e = 0, w = 0, n = 0;
    for (size_t i = 0; i < f->n; i++) {
        e += f->v[i].severity == VN_SEV_ERROR;
        w += f->v[i].severity == VN_SEV_WARNING;
        n += f->v[i].severity == VN_SEV_INFO;
    }
    if (f->n == 0)
        printf("%s: no findings\n", path);
    else
        printf("%s: %zu error%s, %zu warning%s, %zu info\n", path, e, e == 1 ? "" : "s", w,
               w == 1 ? "" : "s", n);
}

static int run_check(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_error err = {0};
    const vn_release *rel = NULL;
    const char *esxi = cli_get(cmd, args, "esxi");
    if (esxi && !(rel = vn_release_parse(esxi, "--esxi", &err)))
        return cli_report(&err);
    int status = VN_OK;
    json_t *files = json_array();
    for (int i = 0; i < args->npos; i++) {
        vn_findings f = {0};
        if (vn_ks_lint_file(args->pos[i], rel, &f, &err) != VN_OK) {
            vn_findings_free(&f);
            json_decref(files);
            return cli_report(&err);
        }
        int st = render_check_status(&f);
        if (ctx->json) {
            json_t *o = json_object();
            json_object_set_new(o, "file", json_string(args->pos[i]));
            json_object_set_new(o, "esxi", rel ? json_string(rel->name) : json_null());
            json_object_set_new(o, "findings", render_findings_json(&f));
            json_object_set_new(o, "summary", render_summary_json(&f));
            json_object_set_new(o, "clean", json_boolean(st == VN_OK));
            json_array_append_new(files, o);
        } else if (ctx->verbose >= 0) {
            print_findings(args->pos[i], &f, ctx->verbose);
        }
        if (st > status)
            status = st;
        vn_findings_free(&f);
    }
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "files", files);
        json_object_set_new(doc, "clean", json_boolean(status == VN_OK));
        cli_json_emit(doc);
    } else {
        json_decref(files);
    }
    return status;
}

static const cli_opt opts[] = {
    {"esxi", 0, "VER",
     "the ESXi release the file installs: options it lacks are reported, and on 7.0 U1 or "
     "older a local VMFS on the boot disk is a warning (S9)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {0},
};

const cli_cmd cmd_ks_check = {
    "ks check",
    "FILE... [--esxi VER]",
    "Lint ESXi kickstart files",
    "Reads each kickstart the way the ESXi installer does (commands split into words like\n"
    "Python's shlex; a %pre/%post/%firstboot script runs until the next line starting with\n"
    "%pre, %post, %firstboot, %include or include) and reports, with line numbers:\n"
    "unknown or misspelled commands and options (with a suggestion when one is close),\n"
    "malformed values, options that exclude each other, repeated commands, a missing\n"
    "vmaccepteula, rootpw or install, a clear-text root password or an --iscrypted value\n"
    "that is not a crypt hash, installer commands that ended up inside a script, %firstboot\n"
    "(which does not run under UEFI Secure Boot), and a local VMFS on the boot disk of a\n"
    "template (S9). A file with %include may get its commands from the included file,\n"
    "which is not read: what is missing is then reported as info.\n"
    "\n"
    "Each finding prints as FILE:LINE: SEVERITY: MESSAGE [RULE]. Passwords are never\n"
    "shown. The files are only read. Exit status 1 means an error or a warning was found;\n"
    "2 a file that cannot be read or is not text.",
    "$ vnest ks check KS.CFG\n"
    "$ vnest ks check --esxi 7.0U1 templates/*.cfg\n"
    "$ vnest --json ks check ks.cfg | jq '.files[0].findings[] | select(.severity == \"error\")'",
    1,
    -1,
    opts,
    run_check,
};
