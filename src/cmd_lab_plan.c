/* vnest lab plan: placeholder until the command lands. */
#include "cli.h"

static int run_stub(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    (void)ctx;
    (void)args;
    return cli_fail(VN_ERUNTIME, cmd->words, "not implemented yet");
}

static const cli_opt opts[] = {{0}};

const cli_cmd cmd_lab_plan = {
    "lab plan", "", "(not implemented yet)", "Not implemented yet.", "", 0, -1, opts, run_stub,
};
