/* vn_probe: SEEDS.md S18 for the machine vnest runs on. Can this machine
 * run a nested hypervisor? That needs CPU virtualization extensions visible
 * here (vmx/svm), and, if this machine is itself a VM, its hypervisor must
 * expose them; KVM users also need /dev/kvm and, to nest further, the kvm
 * module's `nested` parameter. */
#ifndef VN_PROBE_H
#define VN_PROBE_H

#include <stddef.h>

#include "vn_error.h"

enum vn_tristate { VN_NO = 0, VN_YES = 1, VN_UNKNOWN = -1 };

typedef struct vn_probe {
    int cpuinfo_read;        /* proc/cpuinfo could be read; 0 means every CPU fact is unknown */
    char cpu_vendor[32];     /* "GenuineIntel", "AuthenticAMD", ... or "" */
    char cpu_model[128];     /* model name */
    int cpu_count;           /* logical CPUs listed in cpuinfo */
    int has_vmx;             /* Intel VT-x flag "vmx" */
    int has_svm;             /* AMD-V flag "svm" */
    int has_hypervisor_flag; /* CPU flag "hypervisor": this OS runs under a hypervisor */
    int is_vm;               /* VN_YES when the "hypervisor" CPU flag, CPUID, sys/hypervisor or DMI
                              * says so; VN_NO when cpuinfo's flags say bare metal; else VN_UNKNOWN */
    char hypervisor[64];     /* "KVM", "VMware", "Microsoft Hyper-V", "Xen", ... or "" */
    char dmi_vendor[64];     /* sys/class/dmi/id/sys_vendor as read ("QEMU", "Amazon EC2") or "" */
    char dmi_product[64];    /* sys/class/dmi/id/product_name as read, or "" */
    int kvm_device;          /* /dev/kvm exists */
    int kvm_usable;          /* /dev/kvm opens read-write */
    char kvm_reason[128];    /* why not usable ("absent", "permission denied", ...) */
    int kvm_nested;          /* kvm_intel/kvm_amd "nested" parameter: VN_YES/VN_NO/VN_UNKNOWN */
    char kvm_module[16];     /* "kvm_intel", "kvm_amd" or "" */
    int can_nest;            /* overall verdict: VN_YES when a nested hypervisor can run here */
    char verdict[512];       /* one sentence explaining can_nest, with the fix when there is one */
} vn_probe;

/* Fills `p` from the files under `root` ("/" normally; tests pass a folder
 * with simulated proc/cpuinfo, sys/class/dmi/id/..., sys/module/.../nested,
 * dev/kvm). Missing files are not errors: the facts become unknown/absent.
 * Only for the real root ("/", "" or NULL) does it also ask the CPU itself
 * (CPUID leaf 0x40000000, x86 only) for the hypervisor's signature. Returns
 * VN_OK; VN_EINPUT only when `p` is NULL. */
int vn_probe_run(vn_probe *p, const char *root, vn_error *err);

/* Parses the text of /proc/cpuinfo (`len` bytes, need not be NUL-terminated,
 * may hold anything) into the CPU fields only: cpu_vendor, cpu_model,
 * cpu_count, has_vmx, has_svm, has_hypervisor_flag; the rest of `p` is left
 * alone. Returns 1 when a "flags" line was found (so the flag fields are
 * facts), 0 when there was none (not x86, or not cpuinfo at all). */
int vn_probe_parse_cpuinfo(vn_probe *p, const char *text, size_t len);

#endif
