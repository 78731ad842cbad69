/* What `template` and `seal run` share: how the template steps are told. */
#ifndef VN_CMD_TEMPLATE_H
#define VN_CMD_TEMPLATE_H

#include "cli.h"

typedef struct note_ctx {
    const cli_ctx *ctx;
    const char *name; /* the VM, prefixed to every line */
} note_ctx;

/* A vn_template_note callback: progress (kind 0) on stdout unless quiet or
 * --json, warnings (kind 1) on stderr unless quiet. */
void template_note(void *ctx, int kind, const char *text);

#endif
