#include "vn_profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_buf.h"

#define ALL  VN_REL_ALL
#define VMX  VN_SURF_VMX
#define API  VN_SURF_API
#define OVF  VN_SURF_OVF
#define HOST VN_ROLE_HOST
#define TMPL VN_ROLE_TEMPLATE
#define ANY  VN_ROLE_ANY
#define ERR  VN_SEV_ERROR
#define WARN VN_SEV_WARNING
#define INFO VN_SEV_INFO

/* The order here is the order findings are reported and new keys are
 * appended by `fix`, so keep related settings together. */
static const vn_rule rules[] = {
    {"guest-os", "S1", ERR, ALL, ANY, VMX | API | OVF,
     "guest OS type is the ESXi release's own (guestOS vmkernel65/vmkernel7/vmkernel8...)",
     "the guest type selects the virtual hardware presets and CPU features ESXi needs; a wrong "
     "type breaks things"},
    {"nested-hv", "S3,S18", ERR, ALL, ANY, VMX | API | OVF,
     "hardware-assisted virtualization is exposed to the guest (vhv.enable = TRUE)",
     "without it the installer warns and 64-bit VMs cannot start inside the nested host"},
    {"cpu-count", "", ERR, ALL, ANY, VMX | API | OVF, "at least 2 virtual CPUs",
     "the ESXi installer refuses to install on fewer than 2 CPU cores"},
    {"cpu-topology", "", ERR, ALL, ANY, VMX | API | OVF,
     "cores per socket divides the number of virtual CPUs",
     "VMware refuses to power on a VM whose vCPU count is not a multiple of its cores per socket"},
    {"memory-min", "", ERR, ALL, ANY, VMX | API | OVF,
     "memory at least the release's minimum (4 GB for 6.x, 8 GB from 7.0), a multiple of 4 MB",
     "the ESXi installer stops on less memory than its documented minimum"},
    {"firmware-efi", "", WARN, ALL, ANY, VMX | API | OVF, "EFI firmware",
     "legacy BIOS boot of ESXi is deprecated; the installer ISO remaster and boot options assume "
     "EFI"},
    {"secure-boot-off", "", WARN, ALL, ANY, VMX | API | OVF,
     "UEFI Secure Boot off (uefi.secureBoot.enabled = FALSE)",
     "kickstart %firstboot scripts and unsigned first-boot customization do not run under "
     "Secure Boot"},
    {"nic-vmxnet3", "S2", WARN, ALL, ANY, VMX | API | OVF, "network adapters are VMXNET3",
     "ESXi has a native vmxnet3 driver (and the ENS driver from 6.7U2 for NSX-T); other adapters "
     "are slower or unsupported"},
    {"nic-present", "S2", ERR, ALL, ANY, VMX | API | OVF, "at least one network adapter",
     "ESXi needs a NIC for its management network (vmk0)"},
    {"storage-pvscsi", "S2", WARN, ALL, ANY, VMX | API | OVF,
     "disk controllers are PVSCSI (or NVMe from 6.5)",
     "ESXi has native pvscsi (since 6.5) and NVMe drivers; LSI and BusLogic emulation is slower"},
    {"disk-uuid", "S10", WARN, ALL, ANY, VMX | API | OVF,
     "disk serial numbers exposed to the guest (disk.EnableUUID = TRUE)",
     "vSAN and device naming need stable disk identities; a cloned VMFS can then be "
     "resignatured"},
    {"virtual-ssd", "S15", WARN, ALL, ANY, VMX | API | OVF,
     "every disk but the boot disk is a virtual SSD (scsiX:Y.virtualSSD = 1)",
     "vSAN needs flash devices for its cache tier (and for all-flash capacity)"},
    {"hw-version", "", ERR, ALL, ANY, VMX | OVF,
     "virtual hardware version high enough for the features used",
     "nested HV needs version 9, EFI 8, NVMe and Secure Boot 13; an older version ignores them"},
    {"setup-once-cleared", "S4", ERR, ALL, TMPL, VMX | API,
     "force-entry-into-firmware-setup is not set in a template",
     "a forced setup entry must not survive into a sealed template, or every clone stops in "
     "the firmware menu"},
    {"no-install-media", "", ERR, ALL, TMPL, VMX | API | OVF,
     "no installer ISO connected at power-on in a template",
     "a template that boots its installer reinstalls or hangs at the installer prompt"},
    {"no-instance-identity", "S12", ERR, ALL, TMPL, VMX | API,
     "no instance identity in a template (uuid.bios, uuid.location, vc.uuid, generated MACs)",
     "clones that share a BIOS UUID or MAC address collide in vCenter and on the network"},
    {"clone-policy", "S17", ERR, VN_REL_FROM(VN_ESXI_70U2), TMPL, VMX | API | OVF,
     "no boot-disk template for ESXi 7.0 U2 or later",
     "from 7.0 U2 cloning an installed ESXi boot disk is unsupported and can corrupt shared VMFS "
     "(KB 84280, 84349); install each host fresh with a kickstart (vnest ks)"},
    {"portgroup-security", "S13", ERR, ALL, ANY, API,
     "the port group the nested hosts use (standard, or distributed before 6.6.0) accepts "
     "forged transmits and promiscuous mode",
     "nested VMs send and receive frames with MACs that are not the nested host's vNIC's; the "
     "outer switch drops them otherwise"},
    {"portgroup-mac-learning", "S14", WARN, ALL, ANY, API,
     "on a distributed switch 6.6.0 or later: MAC learning on, forged transmits accepted, "
     "promiscuous mode off",
     "vDS 6.6 learns the nested VMs' MACs, so promiscuous mode and its cost in throughput and "
     "security are no longer needed (settable only through the API)"},
    /* The offline boot disk's surface: what a sealed template disk must
     * not carry (S5, S7, S8, S9, S11); checked by `vnest disk inspect`. */
    {"disk-legacy-cpu", "S5", INFO, VN_REL_FROM(VN_ESXI_70), TMPL, VN_SURF_DISK | VN_SURF_KS,
     "allowLegacyCPU=true in the bootbank's kernelopt (hosts on CPUs 7.0 dropped)",
     "otherwise install/boot stops on unsupported CPUs"},
    {"disk-follow-hw-mac", "S7", ERR, ALL, TMPL, VN_SURF_DISK | VN_SURF_KS,
     "/Net/FollowHardwareMac = 1 in the template's configuration",
     "vmk0's MAC is software-assigned; without this every clone keeps the template's vmk0 MAC"},
    {"disk-only-vmk0", "S8", ERR, ALL, TMPL, VN_SURF_DISK | VN_SURF_KS,
     "no VMkernel port other than vmk0 in a template", "FollowHardwareMac only covers vmk0"},
    {"disk-no-local-vmfs", "S9", ERR, ALL, TMPL, VN_SURF_DISK | VN_SURF_KS,
     "no local VMFS datastore on a template's boot disk",
     "a VMFS gets a UUID at creation; vCenter refuses a second datastore with the same UUID"},
    {"disk-no-system-uuid", "S11", ERR, VN_REL_UPTO(VN_ESXI_70U1), TMPL, VN_SURF_DISK,
     "no /system/uuid in a template's esx.conf",
     "vCenter identifies hosts by this UUID; duplicates fail or misbehave"},
};

size_t vn_rule_count(void)
{
    return sizeof(rules) / sizeof(rules[0]);
}

const vn_rule *vn_rule_at(size_t i)
{
    return i < vn_rule_count() ? &rules[i] : NULL;
}

const vn_rule *vn_rule_find(const char *id)
{
    for (size_t i = 0; i < vn_rule_count(); i++)
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    return NULL;
}

int vn_rule_applies(const vn_rule *rule, vn_release_id release, unsigned role)
{
    return (rule->releases & VN_REL(release)) && (rule->roles & role);
}

const char *vn_severity_name(vn_severity sev)
{
    switch (sev) {
    case VN_SEV_ERROR:
        return "error";
    case VN_SEV_WARNING:
        return "warning";
    default:
        return "info";
    }
}

const char *vn_role_name(unsigned role)
{
    switch (role) {
    case VN_ROLE_HOST:
        return "host";
    case VN_ROLE_TEMPLATE:
        return "template";
    default:
        return "any";
    }
}

unsigned vn_role_parse(const char *text)
{
    if (text && strcasecmp(text, "host") == 0)
        return VN_ROLE_HOST;
    if (text && strcasecmp(text, "template") == 0)
        return VN_ROLE_TEMPLATE;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? vn_xstrdup(s) : NULL;
}

vn_finding *vn_findings_add(vn_findings *f, const vn_rule *rule, const char *key,
                            const char *current, const char *wanted)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = vn_xrealloc(f->v, f->cap * sizeof(*f->v));
    }
    vn_finding *x = &f->v[f->n++];
    memset(x, 0, sizeof(*x));
    x->rule = rule;
    x->severity = rule->severity;
    x->key = vn_xstrdup(key);
    x->current = dup_or_null(current);
    x->wanted = dup_or_null(wanted);
    x->fixable = 1;
    return x;
}

vn_finding *vn_findings_problem(vn_findings *f, const vn_rule *rule, vn_severity sev,
                                const char *key, int line, const char *fmt, ...)
{
    vn_finding *x = vn_findings_add(f, rule, key, "-", "-");
    x->severity = sev;
    x->fixable = 0;
    x->line = line;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    x->note = vn_xstrdup(msg);
    return x;
}

void vn_findings_free(vn_findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].key);
        free(f->v[i].current);
        free(f->v[i].wanted);
        free(f->v[i].note);
    }
    free(f->v);
    memset(f, 0, sizeof(*f));
}

size_t vn_findings_count(const vn_findings *f, vn_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].severity >= sev;
    return n;
}
