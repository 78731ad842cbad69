/* Pieces shared by the `vmx` subcommands. */
#ifndef VN_CMD_VMX_COMMON_H
#define VN_CMD_VMX_COMMON_H

#include "cli.h"
#include "vn_vmxop.h"

/* Reads --role (default host); 0 and an error message when invalid. */
unsigned vmx_role_arg(const char *text);

/* The JSON object describing a checked file (path, release, role, findings). */
json_t *vmx_report_json(const vn_vmx_report *r);

/* "esxi-01.vmx: ESXi 8.0 (from guestOS), role host" */
void vmx_report_header(const vn_vmx_report *r, FILE *out);

#endif
