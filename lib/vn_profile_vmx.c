#include "vn_profile_vmx.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_buf.h"
#include "vn_vmx_hw.h"

/* Everything an adapter needs to judge one document. */
typedef struct vmx_ctx {
    const vn_vmx *vmx;
    const vn_vmx_hw *hw;
    const vn_release *rel;
    const vn_rule *rule;
    vn_findings *out;
} vmx_ctx;

typedef void (*vmx_check_fn)(vmx_ctx *c);

static vn_finding *add(vmx_ctx *c, const char *key, const char *wanted)
{
    vn_finding *f = vn_findings_add(c->out, c->rule, key, vn_vmx_get(c->vmx, key), wanted);
    f->line = vn_vmx_line(c->vmx, key);
    return f;
}

static void note(vn_finding *f, const char *text)
{
    free(f->note);
    f->note = vn_xstrdup(text);
}

/* A boolean key must be TRUE (or FALSE); anything else is a finding. */
static void want_bool(vmx_ctx *c, const char *key, int want, int dflt)
{
    if (vn_vmx_bool(vn_vmx_get(c->vmx, key), dflt) != want)
        add(c, key, want ? "TRUE" : "FALSE");
}

static void check_guest_os(vmx_ctx *c)
{
    const char *cur = vn_vmx_get(c->vmx, "guestOS");
    if (cur && strcasecmp(cur, c->rel->guest_os) == 0)
        return;
    vn_finding *f = add(c, "guestOS", c->rel->guest_os);
    const vn_release *other = vn_release_from_guest(cur);
    if (other) {
        /* Another ESXi type works, but hides what the release expects. */
        f->severity = VN_SEV_WARNING;
        char text[160];
        snprintf(text, sizeof(text), "guestOS is the type for ESXi %s; the release is %s",
                 other->name, c->rel->name);
        note(f, text);
    }
}

static void check_nested_hv(vmx_ctx *c)
{
    want_bool(c, "vhv.enable", 1, 0);
}

/* VMware's default for an absent numvcpus is one CPU. */
static long vcpus(const vmx_ctx *c)
{
    return vn_vmx_long(c->vmx, "numvcpus", 1);
}

static void check_cpu_count(vmx_ctx *c)
{
    if (vcpus(c) < 2)
        add(c, "numvcpus", "2");
}

static void check_cpu_topology(vmx_ctx *c)
{
    long n = vcpus(c) < 2 ? 2 : vcpus(c);
    long cores = vn_vmx_long(c->vmx, "cpuid.coresPerSocket", 0);
    if (!vn_vmx_get(c->vmx, "cpuid.coresPerSocket") || (cores > 0 && n % cores == 0))
        return;
    char wanted[32];
    snprintf(wanted, sizeof(wanted), "%ld", n);
    add(c, "cpuid.coresPerSocket", wanted);
}

static void check_memory(vmx_ctx *c)
{
    long mb = vn_vmx_long(c->vmx, "memsize", 0);
    long want = mb < c->rel->min_memory_mb ? c->rel->min_memory_mb : mb;
    /* VMware and libvirt want a multiple of 4 MB: round up, or down where
     * up would overflow (a memsize near LONG_MAX) */
    if (want % 4)
        want = want > LONG_MAX - 3 ? want - want % 4 : want + 4 - want % 4;
    if (want == mb)
        return;
    char wanted[32];
    snprintf(wanted, sizeof(wanted), "%ld", want);
    add(c, "memsize", wanted);
}

static int is_efi(const vmx_ctx *c)
{
    const char *fw = vn_vmx_get(c->vmx, "firmware");
    return fw && strcasecmp(fw, "efi") == 0;
}

static void check_firmware(vmx_ctx *c)
{
    if (is_efi(c))
        return;
    vn_finding *f = add(c, "firmware", "efi");
    if (vn_vmx_hw_disks(c->hw, (const vn_vmx_dev *[1]){0}, 1) > 0) {
        /* An installed ESXi does not boot after a BIOS -> EFI switch. */
        f->fixable = 0;
        note(f, "changing the firmware of an installed ESXi makes it unbootable: set it before "
                "installing (or reinstall)");
    }
}

static void check_secure_boot(vmx_ctx *c)
{
    if (vn_vmx_bool(vn_vmx_get(c->vmx, "uefi.secureBoot.enabled"), 0))
        add(c, "uefi.secureBoot.enabled", "FALSE");
}

static void check_nic_vmxnet3(vmx_ctx *c)
{
    for (size_t i = 0; i < c->hw->nnics; i++) {
        const vn_vmx_nic *nic = &c->hw->nics[i];
        if (nic->dev && strcasecmp(nic->dev, "vmxnet3") == 0)
            continue;
        char key[64];
        snprintf(key, sizeof(key), "%s.virtualDev", nic->prefix);
        add(c, key, "vmxnet3");
    }
}

static void check_nic_present(vmx_ctx *c)
{
    if (c->hw->nnics > 0)
        return;
    vn_finding *f = add(c, "ethernet0.present", "TRUE");
    f->fixable = 0;
    note(f, "add a VMXNET3 adapter connected to the nested hosts' port group");
}

static void check_storage(vmx_ctx *c)
{
    int pvscsi_ok = c->rel->id >= VN_ESXI_65;
    for (size_t i = 0; i < c->hw->nctrls; i++) {
        const vn_vmx_ctrl *ctl = &c->hw->ctrls[i];
        char key[64];
        snprintf(key, sizeof(key), "%s.virtualDev", ctl->prefix);
        if (ctl->bus == VN_BUS_NVME && !pvscsi_ok) {
            vn_finding *f = add(c, key, NULL);
            f->fixable = 0;
            note(f, "ESXi 6.0 has no driver for the virtual NVMe controller: use LSI Logic SAS");
        }
        if (ctl->bus != VN_BUS_SCSI)
            continue;
        if (pvscsi_ok && !(ctl->dev && strcasecmp(ctl->dev, "pvscsi") == 0))
            add(c, key, "pvscsi");
        else if (!pvscsi_ok && ctl->dev && strcasecmp(ctl->dev, "buslogic") == 0)
            add(c, key, "lsisas1068"); /* 6.0 boots from LSI, not from PVSCSI */
    }
}

static void check_disk_uuid(vmx_ctx *c)
{
    want_bool(c, "disk.EnableUUID", 1, 0);
}

static void check_virtual_ssd(vmx_ctx *c)
{
    const vn_vmx_dev *disks[VN_VMX_HW_MAX];
    size_t n = vn_vmx_hw_disks(c->hw, disks, VN_VMX_HW_MAX);
    for (size_t i = 1; i < n; i++) { /* disks[0] is the boot disk */
        char key[64];
        snprintf(key, sizeof(key), "%s.virtualSSD", disks[i]->prefix);
        if (!vn_vmx_bool(vn_vmx_get(c->vmx, key), 0))
            add(c, key, "1");
    }
}

/* The lowest hardware version that has every feature this VM uses once the
 * profile is applied (nested HV is always wanted). */
static long hw_needed(const vmx_ctx *c, const char **why)
{
    long need = 9;
    *why = "nested hardware virtualization (vhv.enable) needs version 9";
    for (size_t i = 0; i < c->hw->nctrls; i++) {
        if (c->hw->ctrls[i].bus == VN_BUS_NVME) {
            need = 13;
            *why = "the NVMe controller needs version 13";
        }
    }
    if (need < 13 && vn_vmx_bool(vn_vmx_get(c->vmx, "uefi.secureBoot.enabled"), 0)) {
        need = 13;
        *why = "UEFI Secure Boot needs version 13";
    }
    return need;
}

static void check_hw_version(vmx_ctx *c)
{
    const char *why;
    long need = hw_needed(c, &why);
    /* VMware treats a missing virtualHW.version as version 4. */
    if (vn_vmx_long(c->vmx, "virtualHW.version", 4) >= need)
        return;
    char wanted[16];
    snprintf(wanted, sizeof(wanted), "%ld", need);
    vn_finding *f = add(c, "virtualHW.version", wanted);
    note(f, why);
}

static void check_setup_once(vmx_ctx *c)
{
    if (vn_vmx_bool(vn_vmx_get(c->vmx, "bios.forceSetupOnce"), 0))
        add(c, "bios.forceSetupOnce", NULL);
}

static void check_install_media(vmx_ctx *c)
{
    for (size_t i = 0; i < c->hw->ndevs; i++) {
        const vn_vmx_dev *d = &c->hw->devs[i];
        if (!d->is_cdrom || !d->start_connected || !d->type || strcasestr(d->type, "image") == NULL)
            continue;
        char key[64];
        snprintf(key, sizeof(key), "%s.startConnected", d->prefix);
        vn_finding *f = add(c, key, "FALSE");
        if (d->file)
            note(f, d->file);
    }
}

static void check_instance_identity(vmx_ctx *c)
{
    static const char *const keys[] = {"uuid.bios", "uuid.location", "vc.uuid"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (vn_vmx_get(c->vmx, keys[i]))
            add(c, keys[i], NULL);
    for (size_t i = 0; i < c->hw->nnics; i++) {
        const vn_vmx_nic *nic = &c->hw->nics[i];
        static const char *const fields[] = {"generatedAddress", "generatedAddressOffset"};
        for (size_t j = 0; j < 2; j++) {
            char key[64];
            snprintf(key, sizeof(key), "%s.%s", nic->prefix, fields[j]);
            if (vn_vmx_get(c->vmx, key))
                add(c, key, NULL);
        }
        if (nic->addrty && strcasecmp(nic->addrty, "static") == 0) {
            char key[64];
            snprintf(key, sizeof(key), "%s.addressType", nic->prefix);
            vn_finding *f = add(c, key, "generated");
            f->fixable = 0;
            note(f, "a static MAC address would be shared by every clone");
        }
    }
}

static void check_clone_policy(vmx_ctx *c)
{
    const vn_vmx_dev *boot[1];
    if (vn_vmx_hw_disks(c->hw, boot, 1) == 0)
        return;
    char key[64];
    snprintf(key, sizeof(key), "%s.fileName", boot[0]->prefix);
    vn_finding *f = add(c, key, "(a fresh kickstart install per host)");
    f->fixable = 0;
    note(f, "a template's installed boot disk must not be cloned for this release: deploy with "
            "a kickstart install per host (vnest ks new, vnest iso build)");
}

static const struct {
    const char *id;
    vmx_check_fn check;
} adapters[] = {
    {"guest-os", check_guest_os},
    {"nested-hv", check_nested_hv},
    {"cpu-count", check_cpu_count},
    {"cpu-topology", check_cpu_topology},
    {"memory-min", check_memory},
    {"firmware-efi", check_firmware},
    {"secure-boot-off", check_secure_boot},
    {"nic-vmxnet3", check_nic_vmxnet3},
    {"nic-present", check_nic_present},
    {"storage-pvscsi", check_storage},
    {"disk-uuid", check_disk_uuid},
    {"virtual-ssd", check_virtual_ssd},
    {"hw-version", check_hw_version},
    {"setup-once-cleared", check_setup_once},
    {"no-install-media", check_install_media},
    {"no-instance-identity", check_instance_identity},
    {"clone-policy", check_clone_policy},
};

#define NADAPTERS (sizeof(adapters) / sizeof(adapters[0]))

static vmx_check_fn adapter_for(const char *id)
{
    for (size_t i = 0; i < NADAPTERS; i++)
        if (strcmp(adapters[i].id, id) == 0)
            return adapters[i].check;
    return NULL;
}

int vn_profile_vmx_covers(const char *id)
{
    return adapter_for(id) != NULL;
}

void vn_profile_vmx_check(const vn_vmx *vmx, const vn_release *rel, unsigned role, vn_findings *out)
{
    vn_vmx_hw *hw = vn_xmalloc(sizeof(*hw));
    vn_vmx_hw_read(vmx, hw);
    vmx_ctx c = {vmx, hw, rel, NULL, out};
    for (size_t i = 0; i < vn_rule_count(); i++) {
        const vn_rule *rule = vn_rule_at(i);
        vmx_check_fn fn = adapter_for(rule->id);
        if (!fn || !vn_rule_applies(rule, rel->id, role))
            continue;
        c.rule = rule;
        fn(&c);
    }
    free(hw);
}

size_t vn_profile_vmx_apply(vn_vmx *vmx, const vn_findings *findings)
{
    size_t changed = 0;
    for (size_t i = 0; i < findings->n; i++) {
        const vn_finding *f = &findings->v[i];
        if (!f->fixable)
            continue;
        if (f->wanted)
            changed += vn_vmx_set(vmx, f->key, f->wanted) > 0;
        else
            changed += vn_vmx_unset(vmx, f->key) > 0;
    }
    return changed;
}

const vn_release *vn_profile_vmx_release(const vn_vmx *vmx)
{
    return vn_release_from_guest(vn_vmx_get(vmx, "guestOS"));
}
