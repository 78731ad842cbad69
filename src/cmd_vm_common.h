/* Reading VMs for the `vm` commands: one PropertyCollector pass for all. */
#ifndef VN_CMD_VM_COMMON_H
#define VN_CMD_VM_COMMON_H

#include "cli.h"
#include "vn_vim.h"
#include "vn_profile_api.h"

typedef struct vm_list {
    vn_api_vm *v;
    size_t n, cap;
} vm_list;

/* Reads every VM (names NULL/empty: all whose guest is ESXi; else exactly
 * the named ones, each of which must exist: VN_EINPUT otherwise). */
int vm_list_read(vn_vim *vim, const char *const *names, int nnames, vm_list *out, vn_error *err);
void vm_list_free(vm_list *l);

/* The role to judge a VM by: the one asked, else template for templates. */
unsigned vm_role(const vn_api_vm *vm, unsigned asked);

/* The start every `vm` check/fix shares: --role and --esxi read (role 0
 * and rel NULL when not given), then connect. Errors are reported; returns
 * the exit code. */
int vm_cmd_open(const cli_cmd *cmd, const cli_ctx *ctx, const cli_args *args, unsigned *role,
                const vn_release **rel, vn_conn *conn, vn_vim **vim);

/* JSON for one checked VM. */
json_t *vm_report_json(const vn_api_vm *vm, const vn_release *rel, unsigned role,
                       const vn_findings *f);

#endif
