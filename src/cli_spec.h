/* The VM sizing options shared by `vmx new` and `vm create`. */
#ifndef VN_CLI_SPEC_H
#define VN_CLI_SPEC_H

#include "cli.h"
#include "vn_vmxop.h"

#define CLI_RELEASE_WORDS "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"

#define CLI_VM_SPEC_OPTS                                                                           \
    {"esxi", 0, "VER", "ESXi release to install (required)", CLI_RELEASE_WORDS},                   \
        {"cpus", 0, "N", "virtual CPUs, one socket (default 2, the minimum)", NULL},               \
        {"memory", 0, "SIZE",                                                                      \
         "memory, e.g. 16G; a bare number is MiB (default: the release minimum)", NULL},           \
        {"boot-disk", 0, "SIZE",                                                                   \
         "boot disk; a bare number is GiB (default 32G from 7.0, 8G before)", NULL},               \
        {"vsan-cache", 0, "SIZE", "add a vSAN cache disk, marked as SSD", NULL},                   \
        {"vsan-capacity", 0, "SIZE", "add a vSAN capacity disk, marked as SSD (all-flash)", NULL}, \
        {"nics", 0, "N", "VMXNET3 network adapters (default 1)", NULL},                            \
    {                                                                                              \
        "hw-version", 0, "N", "virtual hardware version (default: the release's own)", NULL        \
    }

/* Reads the options into `spec` (name given); errors are reported. */
int cli_read_vm_spec(const cli_cmd *cmd, const cli_args *args, const char *name, vn_vm_spec *spec);

#endif
