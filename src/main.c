/* vnest: entry point. Finds the subcommand named by the leading words of
 * argv, parses its options and runs it. Hidden commands `__scdoc` and
 * `__complete` serve the man page build and bash completion from the same
 * command records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vn_buf.h"

#ifndef VNEST_VERSION
#define VNEST_VERSION "0.1.0"
#endif

extern const cli_cmd cmd_rules, cmd_vmx_check, cmd_vmx_fix, cmd_vmx_new, cmd_probe, cmd_api_about,
    cmd_vm_create, cmd_vm_check, cmd_vm_fix, cmd_net_check, cmd_net_fix, cmd_template, cmd_deploy,
    cmd_doctor, cmd_ks_new, cmd_ks_check, cmd_iso_build, cmd_iso_inspect, cmd_seal_list,
    cmd_seal_script, cmd_disk_inspect, cmd_seal_run, cmd_disk_seal, cmd_ova_export, cmd_ova_check,
    cmd_ova_import, cmd_lab_plan, cmd_lab_up, cmd_lab_status, cmd_lab_down;

const cli_cmd *const cli_commands[] = {
    &cmd_rules,      &cmd_vmx_check,    &cmd_vmx_new,   &cmd_vmx_fix,
    &cmd_probe,      &cmd_api_about,    &cmd_vm_create, &cmd_vm_check,
    &cmd_vm_fix,     &cmd_net_check,    &cmd_net_fix,   &cmd_template,
    &cmd_deploy,     &cmd_doctor,       &cmd_ks_new,    &cmd_ks_check,
    &cmd_iso_build,  &cmd_iso_inspect,  &cmd_seal_list, &cmd_seal_script,
    &cmd_seal_run,   &cmd_disk_inspect, &cmd_disk_seal, &cmd_ova_export,
    &cmd_ova_check,  &cmd_ova_import,   &cmd_lab_plan,  &cmd_lab_up,
    &cmd_lab_status, &cmd_lab_down,     NULL,
};

static const char overview[] =
    "vnest builds, checks, seals and deploys Nested ESXi (VMware ESXi running as a\n"
    "virtual machine) for vSphere labs. Every command applies one profile of rules\n"
    "(see 'vnest rules') to a surface: .vmx files, the vSphere API, OVF, kickstart\n"
    "ISOs, in-guest scripts and offline boot disks; 'vnest lab' composes them into a\n"
    "whole lab from one file.\n";

static void print_main_help(FILE *out)
{
    fprintf(out,
            "Usage: vnest [--json] [-q|-v] <command> [options] [arguments]\n\n%s\n"
            "Commands:\n",
            overview);
    for (int i = 0; cli_commands[i]; i++)
        fprintf(out, "  %-14s %s\n", cli_commands[i]->words, cli_commands[i]->summary);
    fputs("\nGlobal options (before or after the command):\n"
          "  --json         print one JSON document on standard output\n"
          "  -q, --quiet    print only errors\n"
          "  -v, --verbose  print more about what is done\n"
          "  -h, --help     show help (of a command: 'vnest vmx check --help')\n"
          "  --version      print the version\n\n"
          "Exit status: 0 done or clean, 1 check found problems, 2 usage or input error,\n"
          "3 runtime failure (I/O, network, server fault, VM in use).\n",
          out);
}

static void print_main_scdoc(FILE *out)
{
    fputs("vnest(1)\n\n# NAME\n\nvnest - build, check, seal and deploy Nested ESXi\n\n"
          "# SYNOPSIS\n\n*vnest* [--json] [-q|-v] _command_ [options] [arguments]\n\n"
          "# DESCRIPTION\n\n",
          out);
    fputs(overview, out);
    fputs("\n# COMMANDS\n\n", out);
    for (int i = 0; cli_commands[i]; i++) {
        char page[96];
        snprintf(page, sizeof(page), "vnest-%s", cli_commands[i]->words);
        for (char *p = page; *p; p++)
            if (*p == ' ')
                *p = '-';
        fprintf(out, "*%s*\n\t%s. See *%s*(1).\n\n", cli_commands[i]->words,
                cli_commands[i]->summary, page);
    }
    fputs("# EXIT STATUS\n\n0 done or clean; 1 a check found problems; 2 usage or input "
          "error; 3 runtime failure.\n",
          out);
}

/* How many leading words of argv name `cmd` (0 if they do not). */
static int match_words(const cli_cmd *cmd, int argc, char **argv)
{
    const char *w = cmd->words;
    int used = 0;
    while (*w) {
        size_t len = strcspn(w, " ");
        if (used >= argc || strlen(argv[used]) != len || strncmp(argv[used], w, len) != 0)
            return 0;
        used++;
        w += len;
        while (*w == ' ')
            w++;
    }
    return used;
}

static const cli_cmd *find_command(int argc, char **argv, int *used)
{
    for (int i = 0; cli_commands[i]; i++) {
        int n = match_words(cli_commands[i], argc, argv);
        if (n) {
            *used = n;
            return cli_commands[i];
        }
    }
    return NULL;
}

/* "vnest vmx" alone, or with an unknown verb: list the verbs of that noun. */
static int noun_help(const char *noun, int asked)
{
    int found = 0;
    size_t len = strlen(noun);
    for (int i = 0; cli_commands[i]; i++) {
        const char *w = cli_commands[i]->words;
        if (strncmp(w, noun, len) == 0 && w[len] == ' ') {
            if (!found)
                fprintf(asked ? stdout : stderr, "Usage: vnest %s <verb> ...\n\nVerbs:\n", noun);
            fprintf(asked ? stdout : stderr, "  %-14s %s\n", w, cli_commands[i]->summary);
            found = 1;
        }
    }
    return found;
}

int cli_complete(int argc, char **argv);

int main(int argc, char **argv)
{
    cli_ctx ctx = {0, 0};
    int a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        const char *o = argv[a];
        if (!strcmp(o, "--json"))
            ctx.json = 1;
        else if (!strcmp(o, "-q") || !strcmp(o, "--quiet"))
            ctx.verbose = -1;
        else if (!strcmp(o, "-v") || !strcmp(o, "--verbose"))
            ctx.verbose = 1;
        else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            print_main_help(stdout);
            return 0;
        } else if (!strcmp(o, "--version")) {
            printf("vnest %s\n", VNEST_VERSION);
            return 0;
        } else
            return cli_fail(VN_EINPUT, o, "unknown global option (see 'vnest --help')");
    }
    if (a >= argc) {
        print_main_help(stderr);
        return VN_EINPUT;
    }
    if (!strcmp(argv[a], "help")) {
        print_main_help(stdout);
        return 0;
    }
    if (!strcmp(argv[a], "__complete"))
        return cli_complete(argc - a - 1, argv + a + 1);
    if (!strcmp(argv[a], "__scdoc")) {
        int used = 0;
        const cli_cmd *cmd = find_command(argc - a - 1, argv + a + 1, &used);
        if (cmd)
            cli_print_scdoc(cmd, stdout);
        else
            print_main_scdoc(stdout);
        return 0;
    }
    int used = 0;
    const cli_cmd *cmd = find_command(argc - a, argv + a, &used);
    if (!cmd) {
        int asked = a + 1 < argc && (!strcmp(argv[a + 1], "--help") || !strcmp(argv[a + 1], "-h"));
        if (noun_help(argv[a], asked))
            return asked ? 0
                         : (a + 1 < argc ? cli_fail(VN_EINPUT, argv[a + 1], "unknown verb")
                                         : VN_EINPUT);
        return cli_fail(VN_EINPUT, argv[a], "unknown command (see 'vnest --help')");
    }
    cli_args *args = vn_xcalloc(1, sizeof(*args));
    int rc = cli_parse(cmd, &ctx, argc - a - used, argv + a + used, args);
    if (rc == 0)
        rc = cmd->run(cmd, &ctx, args);
    else if (rc < 0)
        rc = 0; /* --help was printed */
    free(args);
    return rc;
}
