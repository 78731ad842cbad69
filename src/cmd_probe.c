/* vnest probe: can this machine run a nested hypervisor? (S18) */
#include <stdio.h>

#include "cli.h"
#include "vn_probe.h"

static const char *tri(int v)
{
    return v == VN_YES ? "yes" : v == VN_NO ? "no" : "unknown";
}

static json_t *tri_json(int v)
{
    return v == VN_UNKNOWN ? json_null() : json_boolean(v == VN_YES);
}

static int run_probe(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_probe p;
    vn_error err = {0};
    const char *root = cli_get(cmd, args, "root");
    if (vn_probe_run(&p, root ? root : "/", &err) != VN_OK)
        return cli_report(&err);
    if (ctx->json) {
        json_t *o = json_object();
        json_object_set_new(o, "cpu_vendor", json_string(p.cpu_vendor));
        json_object_set_new(o, "cpu_model", json_string(p.cpu_model));
        json_object_set_new(o, "cpu_count", json_integer(p.cpu_count));
        json_object_set_new(o, "vmx", json_boolean(p.has_vmx));
        json_object_set_new(o, "svm", json_boolean(p.has_svm));
        json_object_set_new(o, "is_vm", tri_json(p.is_vm));
        json_object_set_new(o, "hypervisor", json_string(p.hypervisor));
        json_object_set_new(o, "kvm_device", json_boolean(p.kvm_device));
        json_object_set_new(o, "kvm_usable", json_boolean(p.kvm_usable));
        json_object_set_new(o, "kvm_reason", json_string(p.kvm_reason));
        json_object_set_new(o, "kvm_module", json_string(p.kvm_module));
        json_object_set_new(o, "kvm_nested", tri_json(p.kvm_nested));
        json_object_set_new(o, "can_nest", json_boolean(p.can_nest == VN_YES));
        json_object_set_new(o, "verdict", json_string(p.verdict));
        cli_json_emit(o);
    } else if (ctx->verbose >= 0) {
        printf("CPU              %s %s (%d logical)\n", p.cpu_vendor, p.cpu_model, p.cpu_count);
        printf("VT-x (vmx)       %s\n", p.has_vmx ? "yes" : "no");
        printf("AMD-V (svm)      %s\n", p.has_svm ? "yes" : "no");
        printf("virtual machine  %s%s%s\n", tri(p.is_vm), p.hypervisor[0] ? ", " : "",
               p.hypervisor);
        printf("/dev/kvm         %s%s%s\n", p.kvm_usable ? "usable" : "not usable",
               p.kvm_reason[0] ? ": " : "", p.kvm_reason);
        if (p.kvm_module[0])
            printf("KVM nested       %s (%s)\n", tri(p.kvm_nested), p.kvm_module);
        else
            printf("KVM nested       %s\n", tri(p.kvm_nested));
        printf("nested ESXi      %s\n", p.can_nest == VN_YES ? "can run here" : "cannot run here");
        printf("\n%s\n", p.verdict);
    }
    return p.can_nest == VN_YES ? VN_OK : VN_FINDINGS;
}

static const cli_opt opts[] = {
    {"root", 0, "DIR", "read proc/, sys/ and dev/ under DIR instead of / (for diagnosis)", NULL},
    {0},
};

const cli_cmd cmd_probe = {
    "probe",
    "[--root DIR]",
    "Check whether this machine can run a nested hypervisor",
    "Hardware virtualization must be exposed on every layer for Nested ESXi (S18). probe\n"
    "reads the CPU's virtualization flags (Intel VT-x 'vmx', AMD-V 'svm'), whether this\n"
    "machine is itself a VM and under which hypervisor (CPUID, DMI), whether /dev/kvm is\n"
    "usable, and the KVM module's 'nested' parameter, then says in one sentence whether a\n"
    "nested hypervisor can run here and what to change if not.\n"
    "\n"
    "Exit status 1 means a nested hypervisor cannot run here.",
    "$ vnest probe\n"
    "$ vnest --json probe | jq .can_nest",
    0,
    0,
    opts,
    run_probe,
};
