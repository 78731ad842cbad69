/* The command-line framework shared by every subcommand.
 *
 * Each subcommand is one `cli_cmd` record: its words ("vmx check"), usage,
 * summary, description, examples and option table. That record is the single
 * place a command is described: `--help`, the man pages (`vnest __scdoc`)
 * and bash completion (`vnest __complete`) are all generated from it. */
#ifndef VN_CLI_H
#define VN_CLI_H

#include <jansson.h>

#include "vn_error.h"

#define CLI_MAX_OPTS 32
#define CLI_MAX_POS  64

typedef struct cli_ctx {
    int json;    /* --json: one JSON document on stdout */
    int verbose; /* -1 with -q, 0 normally, 1 with -v */
} cli_ctx;

typedef struct cli_opt {
    const char *name;  /* long name, without the dashes */
    char short_name;   /* 0 when none */
    const char *arg;   /* metavariable ("VER") or NULL for a flag */
    const char *help;  /* one line */
    const char *words; /* completion candidates, space-separated, or NULL */
} cli_opt;

typedef struct cli_args {
    const char *val[CLI_MAX_OPTS]; /* last value given, or "1" for a flag; NULL if absent */
    int count[CLI_MAX_OPTS];       /* how many times given */
    const char *multi[CLI_MAX_OPTS][CLI_MAX_POS]; /* every value of a repeated option */
    const char *pos[CLI_MAX_POS];                 /* positional arguments */
    int npos;
} cli_args;

struct cli_cmd;
typedef int (*cli_run_fn)(const struct cli_cmd *cmd, cli_ctx *ctx, cli_args *args);

typedef struct cli_cmd {
    const char *words;       /* "vmx check" */
    const char *usage;       /* "FILE.vmx [options]" */
    const char *summary;     /* one line, for listings */
    const char *description; /* paragraphs separated by blank lines */
    const char *examples;    /* lines "$ command" followed by explanation lines */
    int min_pos, max_pos;    /* allowed positional count (max -1: unlimited) */
    const cli_opt *opts;     /* terminated by {0} */
    cli_run_fn run;
} cli_cmd;

/* Every command, in the order `vnest --help` lists them (NULL-terminated). */
extern const cli_cmd *const cli_commands[];

/* Parses argv after the command words. On a usage error prints the one-line
 * error and returns VN_EINPUT; `--help` prints help and returns -1. */
int cli_parse(const cli_cmd *cmd, cli_ctx *ctx, int argc, char **argv, cli_args *args);

/* Index of option `name` in cmd->opts (for cli_args lookups). Aborts if the
 * command does not declare it: that is a programming error. */
int cli_opt_index(const cli_cmd *cmd, const char *name);
const char *cli_get(const cli_cmd *cmd, const cli_args *args, const char *name);
int cli_has(const cli_cmd *cmd, const cli_args *args, const char *name);

void cli_print_help(const cli_cmd *cmd, FILE *out);
void cli_print_scdoc(const cli_cmd *cmd, FILE *out);

/* Prints "vnest: WHERE: message" to stderr and returns err->code. */
int cli_report(const vn_error *err);
/* Same for a message built here, returns `code`. */
int cli_fail(int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints a JSON document to stdout (steals the reference) and a newline. */
void cli_json_emit(json_t *doc);

/* Verbose/quiet aware informational output to stderr. */
void cli_info(const cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Human table output: column widths computed from the rows. */
typedef struct cli_table cli_table;
cli_table *cli_table_new(int ncols, const char *const *headers);
void cli_table_row(cli_table *t, const char *const *cells);
void cli_table_print(cli_table *t, FILE *out);
void cli_table_free(cli_table *t);

#endif
