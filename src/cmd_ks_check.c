/* Placeholder until the command lands: keeps the command table linkable. */
#include "cli.h"

static int run_stub(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    (void)ctx;
    (void)args;
    return cli_fail(VN_ERUNTIME, NULL, "'vnest %s' is not implemented yet", cmd->words);
}

static const cli_opt opts[] = {{0}};

const cli_cmd cmd_ks_check = {"ks check", "",      "Not implemented yet", NULL, NULL, 0, -1,
                              opts,       run_stub};
