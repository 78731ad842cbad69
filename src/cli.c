/* Option parsing, help, man page text, errors and output helpers shared by
 * every subcommand (see cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"

/* Options every command accepts, documented once. */
static const cli_opt global_opts[] = {
    {"json", 0, NULL, "print one JSON document on standard output", NULL},
    {"quiet", 'q', NULL, "print only errors", NULL},
    {"verbose", 'v', NULL, "print more about what is done", NULL},
    {"help", 'h', NULL, "show this help", NULL},
    {0},
};

int cli_fail(int code, const char *where, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (where && *where)
        fprintf(stderr, "vnest: %s: %s\n", where, msg);
    else
        fprintf(stderr, "vnest: %s\n", msg);
    return code;
}

int cli_report(const vn_error *err)
{
    return cli_fail(err->code ? err->code : VN_ERUNTIME, err->where, "%s", err->msg);
}

void cli_info(const cli_ctx *ctx, const char *fmt, ...)
{
    if (ctx->verbose < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

void cli_json_emit(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
        free(text);
    }
    json_decref(doc);
}

int cli_opt_index(const cli_cmd *cmd, const char *name)
{
    for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
        if (strcmp(cmd->opts[i].name, name) == 0)
            return i;
    fprintf(stderr, "vnest: internal error: command '%s' has no option --%s\n", cmd->words, name);
    abort();
}

const char *cli_get(const cli_cmd *cmd, const cli_args *args, const char *name)
{
    return args->val[cli_opt_index(cmd, name)];
}

int cli_has(const cli_cmd *cmd, const cli_args *args, const char *name)
{
    return args->count[cli_opt_index(cmd, name)] > 0;
}

/* Finds an option by long name (len bytes) or short letter. */
static int find_opt(const cli_opt *opts, const char *name, size_t len, char short_name)
{
    for (int i = 0; opts && opts[i].name; i++) {
        if (short_name ? opts[i].short_name == short_name
                       : strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

/* Applies a global option; returns 1 if `i` named one, -1 for --help. */
static int apply_global(cli_ctx *ctx, int i)
{
    switch (global_opts[i].short_name) {
    case 'q':
        ctx->verbose = -1;
        return 1;
    case 'v':
        ctx->verbose = 1;
        return 1;
    case 'h':
        return -1;
    default:
        ctx->json = 1;
        return 1;
    }
}

static void store(cli_args *args, int i, const char *value)
{
    if (args->count[i] < CLI_MAX_POS)
        args->multi[i][args->count[i]] = value;
    args->count[i]++;
    args->val[i] = value;
}

int cli_parse(const cli_cmd *cmd, cli_ctx *ctx, int argc, char **argv, cli_args *args)
{
    memset(args, 0, sizeof(*args));
    int only_pos = 0;
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        if (only_pos || arg[0] != '-' || arg[1] == '\0') {
            if (args->npos >= CLI_MAX_POS)
                return cli_fail(VN_EINPUT, NULL, "too many arguments (at most %d)", CLI_MAX_POS);
            args->pos[args->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        const char *name = arg[1] == '-' ? arg + 2 : arg + 1;
        const char *eq = arg[1] == '-' ? strchr(name, '=') : NULL;
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        char shrt = arg[1] != '-' ? name[0] : 0;
        if (shrt && name[1] != '\0')
            return cli_fail(VN_EINPUT, arg, "unknown option (short options stand alone: -v -q)");
        int gi = find_opt(global_opts, name, len, shrt);
        if (gi >= 0) {
            if (eq)
                return cli_fail(VN_EINPUT, arg, "this option takes no value");
            if (apply_global(ctx, gi) < 0) {
                cli_print_help(cmd, stdout);
                return -1;
            }
            continue;
        }
        int i = find_opt(cmd->opts, name, len, shrt);
        if (i < 0)
            return cli_fail(VN_EINPUT, arg, "unknown option (see 'vnest %s --help')", cmd->words);
        const cli_opt *o = &cmd->opts[i];
        if (!o->arg) {
            if (eq)
                return cli_fail(VN_EINPUT, arg, "this option takes no value");
            store(args, i, "1");
        } else if (eq) {
            store(args, i, eq + 1);
        } else if (a + 1 < argc) {
            store(args, i, argv[++a]);
        } else {
            return cli_fail(VN_EINPUT, arg, "missing value (expected %s)", o->arg);
        }
    }
    if (args->npos < cmd->min_pos)
        return cli_fail(VN_EINPUT, NULL, "missing argument (usage: vnest %s %s)", cmd->words,
                        cmd->usage);
    if (cmd->max_pos >= 0 && args->npos > cmd->max_pos)
        return cli_fail(VN_EINPUT, args->pos[cmd->max_pos],
                        "unexpected argument (usage: vnest %s %s)", cmd->words, cmd->usage);
    return 0;
}

static void print_opts(const cli_opt *opts, FILE *out)
{
    for (int i = 0; opts && opts[i].name; i++) {
        char left[64];
        if (opts[i].short_name)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", opts[i].short_name, opts[i].name,
                     opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", opts[i].name, opts[i].arg ? " " : "",
                     opts[i].arg ? opts[i].arg : "");
        fprintf(out, "  %-28s %s\n", left, opts[i].help);
    }
}

/* Prints text with every line indented. */
static void print_indented(const char *text, const char *indent, FILE *out)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        if (n)
            fprintf(out, "%s%.*s\n", indent, (int)n, text);
        else
            fputc('\n', out);
        text += n + (nl != NULL);
    }
}

void cli_print_help(const cli_cmd *cmd, FILE *out)
{
    fprintf(out, "Usage: vnest %s %s\n\n%s.\n", cmd->words, cmd->usage, cmd->summary);
    if (cmd->description) {
        fputc('\n', out);
        print_indented(cmd->description, "", out);
    }
    if (cmd->opts && cmd->opts[0].name) {
        fputs("\nOptions:\n", out);
        print_opts(cmd->opts, out);
    }
    fputs("\nGlobal options:\n", out);
    print_opts(global_opts, out);
    if (cmd->examples) {
        fputs("\nExamples:\n", out);
        print_indented(cmd->examples, "  ", out);
    }
    fputs("\nExit status: 0 done or clean, 1 check found problems, 2 usage or input error, "
          "3 runtime failure.\n",
          out);
}

/* scdoc gives '*', '_' and, at the start of a line, '#', '-', '.', '[', '|',
 * '`' and space meaning (headings, lists, tables, literal blocks, an
 * indentation error); escape them in prose. */
static void scdoc_text(const char *s, FILE *out)
{
    int bol = 1;
    for (; *s; s++) {
        if ((*s == '*' || *s == '_' || *s == '\\') || (bol && strchr("#-.[|` ", *s)))
            fputc('\\', out);
        fputc(*s, out);
        bol = *s == '\n';
    }
}

static void scdoc_opts(const cli_opt *opts, FILE *out)
{
    for (int i = 0; opts && opts[i].name; i++) {
        if (opts[i].short_name)
            fprintf(out, "*-%c*, ", opts[i].short_name);
        fprintf(out, "*--%s*", opts[i].name);
        if (opts[i].arg) {
            fputs(" _", out);
            scdoc_text(opts[i].arg, out);
            fputc('_', out);
        }
        fputs("\n\t", out);
        scdoc_text(opts[i].help, out);
        fputs(".\n\n", out);
    }
}

void cli_print_scdoc(const cli_cmd *cmd, FILE *out)
{
    char page[128];
    snprintf(page, sizeof(page), "vnest-%s", cmd->words);
    for (char *p = page; *p; p++)
        if (*p == ' ')
            *p = '-';
    fprintf(out, "%s(1)\n\n# NAME\n\n%s - ", page, page);
    scdoc_text(cmd->summary, out);
    fprintf(out, "\n\n# SYNOPSIS\n\n*vnest %s* ", cmd->words);
    scdoc_text(cmd->usage, out);
    fputs("\n\n# DESCRIPTION\n\n", out);
    scdoc_text(cmd->summary, out);
    fputs(".\n\n", out);
    if (cmd->description) {
        scdoc_text(cmd->description, out);
        fputs("\n\n", out);
    }
    fputs("# OPTIONS\n\n", out);
    scdoc_opts(cmd->opts, out);
    scdoc_opts(global_opts, out);
    if (cmd->examples) {
        fputs("# EXAMPLES\n\n```\n", out);
        fputs(cmd->examples, out);
        fputs("\n```\n\n", out);
    }
    fputs("# EXIT STATUS\n\n0 done or clean; 1 a check found problems; 2 usage or input error; "
          "3 runtime failure (I/O, network, server fault, VM in use).\n\n"
          "# SEE ALSO\n\n*vnest*(1)\n",
          out);
}

/* ---- tables ---- */

struct cli_table {
    int ncols;
    char **cells; /* rows * ncols */
    size_t nrows, cap;
};

cli_table *cli_table_new(int ncols, const char *const *headers)
{
    cli_table *t = vn_xcalloc(1, sizeof(*t));
    t->ncols = ncols;
    cli_table_row(t, headers);
    return t;
}

void cli_table_row(cli_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = vn_xrealloc(t->cells, t->cap * (size_t)t->ncols * sizeof(char *));
    }
    for (int c = 0; c < t->ncols; c++)
        t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = vn_xstrdup(cells[c] ? cells[c] : "");
    t->nrows++;
}

void cli_table_print(cli_table *t, FILE *out)
{
    size_t width[16] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols && c < 16; c++) {
            size_t w = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * (size_t)t->ncols + (size_t)c];
            if (c == t->ncols - 1)
                fprintf(out, "%s\n", cell);
            else
                fprintf(out, "%-*s  ", (int)width[c < 16 ? c : 15], cell);
        }
    }
}

void cli_table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
