#include "cli_spec.h"

#include <stdio.h>
#include <stdlib.h>

#include "vn_size.h"

static int int_arg(const char *text, const char *where, int *out)
{
    char *end;
    long n = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || n < 0 || n > 100000)
        return cli_fail(VN_EINPUT, where, "invalid number \"%s\" (expected a whole number)",
                        text ? text : "");
    *out = (int)n;
    return VN_OK;
}

static int size_arg(const cli_cmd *cmd, const cli_args *args, const char *name, uint64_t bare,
                    uint64_t *out)
{
    const char *text = cli_get(cmd, args, name);
    if (!text)
        return VN_OK;
    char where[48];
    snprintf(where, sizeof(where), "--%s", name);
    vn_error err = {0};
    if (vn_size_parse(text, bare, where, out, &err) != VN_OK)
        return cli_report(&err);
    return VN_OK;
}

int cli_read_vm_spec(const cli_cmd *cmd, const cli_args *args, const char *name, vn_vm_spec *spec)
{
    const char *esxi = cli_get(cmd, args, "esxi");
    if (!esxi)
        return cli_fail(VN_EINPUT, "--esxi", "missing (expected the ESXi release to install: %s)",
                        vn_release_list());
    vn_error err = {0};
    const vn_release *rel = vn_release_parse(esxi, "--esxi", &err);
    if (!rel)
        return cli_report(&err);
    vn_vm_spec_defaults(spec, rel, name);
    int rc = VN_OK;
    if (cli_get(cmd, args, "cpus"))
        rc = int_arg(cli_get(cmd, args, "cpus"), "--cpus", &spec->cpus);
    if (!rc && cli_get(cmd, args, "nics"))
        rc = int_arg(cli_get(cmd, args, "nics"), "--nics", &spec->nics);
    if (!rc && cli_get(cmd, args, "hw-version"))
        rc = int_arg(cli_get(cmd, args, "hw-version"), "--hw-version", &spec->hw_version);
    if (!rc)
        rc = size_arg(cmd, args, "memory", VN_MIB, &spec->memory);
    if (!rc)
        rc = size_arg(cmd, args, "boot-disk", VN_GIB, &spec->boot_disk);
    if (!rc)
        rc = size_arg(cmd, args, "vsan-cache", VN_GIB, &spec->vsan_cache);
    if (!rc)
        rc = size_arg(cmd, args, "vsan-capacity", VN_GIB, &spec->vsan_capacity);
    return rc;
}
