/* `vmx new`: a complete Nested ESXi VM folder. The structure (devices,
 * sizes, firmware, first-boot setup entry) is written here; every setting
 * the profile governs that the structure does not fix is then filled in by
 * the profile's own VMX adapter, so a new VM and `vmx fix` can never
 * disagree. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_file.h"
#include "vn_profile_vmx.h"
#include "vn_size.h"
#include "vn_vmdk.h"
#include "vn_vmxop.h"

void vn_vm_spec_defaults(vn_vm_spec *spec, const vn_release *rel, const char *name)
{
    memset(spec, 0, sizeof(*spec));
    spec->name = name;
    spec->rel = rel;
    spec->cpus = 2;
    spec->memory = (uint64_t)rel->min_memory_mb * VN_MIB;
    spec->boot_disk = (rel->id >= VN_ESXI_70 ? 32 : 8) * VN_GIB;
    spec->nics = 1;
}

int vn_vm_spec_validate(const vn_vm_spec *s, vn_error *err)
{
    if (!s->name || !*s->name || strchr(s->name, '/') || s->name[0] == '.')
        return vn_fail(err, VN_EINPUT, "--name",
                       "invalid VM name \"%s\" (expected a file name: no '/', not starting "
                       "with '.')",
                       s->name ? s->name : "");
    if (s->cpus < 2 || s->cpus > 768)
        return vn_fail(err, VN_EINPUT, "--cpus",
                       "%d CPUs (expected 2 to 768: the ESXi installer needs 2 cores)", s->cpus);
    uint64_t min = (uint64_t)s->rel->min_memory_mb * VN_MIB;
    if (s->memory < min)
        return vn_fail(err, VN_EINPUT, "--memory",
                       "%llu MiB is below ESXi %s's minimum (expected at least %d MiB)",
                       (unsigned long long)(s->memory / VN_MIB), s->rel->name,
                       s->rel->min_memory_mb);
    if (s->memory % (4 * VN_MIB))
        return vn_fail(err, VN_EINPUT, "--memory",
                       "memory is not a multiple of 4 MiB (expected a multiple of 4 MiB, as "
                       "VMware requires)");
    if (s->nics < 1 || s->nics > 10)
        return vn_fail(err, VN_EINPUT, "--nics", "%d NICs (expected 1 to 10)", s->nics);
    if (s->hw_version && (s->hw_version < 9 || s->hw_version > 22))
        return vn_fail(err, VN_EINPUT, "--hw-version",
                       "hardware version %d (expected 9 to 22: nested HV needs 9)", s->hw_version);
    if (s->boot_disk < VN_GIB)
        return vn_fail(err, VN_EINPUT, "--boot-disk",
                       "boot disk too small (expected at least 1 GiB; ESXi 7+ wants 32 GiB)");
    /* Hosted sparse disks address grains with 32-bit sector numbers. */
    const struct {
        uint64_t bytes;
        const char *flag;
    } disks[] = {{s->boot_disk, "--boot-disk"},
                 {s->vsan_cache, "--vsan-cache"},
                 {s->vsan_capacity, "--vsan-capacity"}};
    for (size_t i = 0; i < 3; i++)
        if (disks[i].bytes > 2 * VN_TIB)
            return vn_fail(err, VN_EINPUT, disks[i].flag,
                           "disk too large (expected at most 2 TiB, the limit of sparse VMDKs)");
    return VN_OK;
}

static void setf(vn_vmx *vmx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void setf(vn_vmx *vmx, const char *key, const char *fmt, ...)
{
    char value[PATH_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    vn_vmx_set(vmx, key, value);
}

typedef struct disk_plan {
    const char *suffix; /* file name suffix after NAME */
    uint64_t bytes;
} disk_plan;

static size_t plan_disks(const vn_vm_spec *s, disk_plan *d)
{
    size_t n = 0;
    d[n++] = (disk_plan){"", s->boot_disk};
    if (s->vsan_cache)
        d[n++] = (disk_plan){"-vsan-cache", s->vsan_cache};
    if (s->vsan_capacity)
        d[n++] = (disk_plan){"-vsan-capacity", s->vsan_capacity};
    return n;
}

static void build_vmx(vn_vmx *vmx, const vn_vm_spec *s, const disk_plan *disks, size_t ndisks)
{
    int hw = s->hw_version ? s->hw_version : s->rel->hw_version;
    setf(vmx, ".encoding", "UTF-8");
    setf(vmx, "config.version", "8");
    setf(vmx, "virtualHW.version", "%d", hw);
    setf(vmx, "displayName", "%s", s->name);
    setf(vmx, "guestOS", "%s", s->rel->guest_os);
    setf(vmx, "numvcpus", "%d", s->cpus);
    setf(vmx, "cpuid.coresPerSocket", "%d", s->cpus);
    setf(vmx, "memsize", "%llu", (unsigned long long)(s->memory / VN_MIB));
    setf(vmx, "firmware", "efi");
    setf(vmx, "uefi.secureBoot.enabled", "FALSE");
    /* S4: the first power-on stops in the firmware menu, so the installer
     * ISO can be chosen without racing the boot key; VMware clears it. */
    setf(vmx, "bios.forceSetupOnce", "TRUE");
    setf(vmx, "nvram", "%s.nvram", s->name);
    /* VMware's standard PCI topology: vmxnet3 and pvscsi sit on PCIe ports. */
    setf(vmx, "pciBridge0.present", "TRUE");
    for (int b = 4; b <= 7; b++) {
        char key[48];
        snprintf(key, sizeof(key), "pciBridge%d.present", b);
        setf(vmx, key, "TRUE");
        snprintf(key, sizeof(key), "pciBridge%d.virtualDev", b);
        setf(vmx, key, "pcieRootPort");
        snprintf(key, sizeof(key), "pciBridge%d.functions", b);
        setf(vmx, key, "8");
    }
    setf(vmx, "vmci0.present", "TRUE");
    setf(vmx, "hpet0.present", "TRUE");
    setf(vmx, "scsi0.present", "TRUE");
    /* ESXi 6.0 has no native PVSCSI driver to boot from (SEEDS S2). */
    setf(vmx, "scsi0.virtualDev", s->rel->id >= VN_ESXI_65 ? "pvscsi" : "lsisas1068");
    for (size_t i = 0; i < ndisks; i++) {
        char key[48];
        snprintf(key, sizeof(key), "scsi0:%zu.present", i);
        setf(vmx, key, "TRUE");
        snprintf(key, sizeof(key), "scsi0:%zu.deviceType", i);
        setf(vmx, key, "scsi-hardDisk");
        snprintf(key, sizeof(key), "scsi0:%zu.fileName", i);
        setf(vmx, key, "%s%s.vmdk", s->name, disks[i].suffix);
    }
    if (s->iso) {
        setf(vmx, "sata0.present", "TRUE");
        setf(vmx, "sata0:0.present", "TRUE");
        setf(vmx, "sata0:0.deviceType", "cdrom-image");
        setf(vmx, "sata0:0.fileName", "%s", s->iso);
        setf(vmx, "sata0:0.startConnected", "TRUE");
    }
    for (int n = 0; n < s->nics; n++) {
        char key[48];
        snprintf(key, sizeof(key), "ethernet%d.present", n);
        setf(vmx, key, "TRUE");
        snprintf(key, sizeof(key), "ethernet%d.virtualDev", n);
        setf(vmx, key, "vmxnet3");
        snprintf(key, sizeof(key), "ethernet%d.addressType", n);
        setf(vmx, key, "generated");
        if (s->network) {
            snprintf(key, sizeof(key), "ethernet%d.networkName", n);
            setf(vmx, key, "%s", s->network);
        } else {
            snprintf(key, sizeof(key), "ethernet%d.connectionType", n);
            setf(vmx, key, "nat");
        }
    }
    /* The rest (nested HV, disk UUIDs, virtual SSDs...) comes from the
     * profile table itself. */
    vn_findings f = {0};
    vn_profile_vmx_check(vmx, s->rel, VN_ROLE_HOST, &f);
    vn_profile_vmx_apply(vmx, &f);
    vn_findings_free(&f);
}

static void path_join(vn_buf *b, const char *dir, const char *name, const char *suffix)
{
    vn_buf_reset(b);
    vn_buf_addf(b, "%s/%s%s", dir, name, suffix);
}

/* A relative ISO path that exists here becomes absolute, since VMware
 * resolves relative paths against the VM's folder, not the shell's. */
static char *resolve_iso(const char *iso)
{
    if (!iso || iso[0] == '/')
        return iso ? vn_xstrdup(iso) : NULL;
    char *abs = realpath(iso, NULL);
    return abs ? abs : vn_xstrdup(iso);
}

int vn_vmxop_new(const char *dir, const vn_vm_spec *spec, vn_buf *created, vn_error *err)
{
    int rc = vn_vm_spec_validate(spec, err);
    if (rc != VN_OK)
        return rc;
    disk_plan disks[3];
    size_t ndisks = plan_disks(spec, disks);

    vn_buf path = VN_BUF_INIT;
    path_join(&path, dir, spec->name, ".vmx");
    if (access(path.data, F_OK) == 0) {
        rc = vn_fail(err, VN_EINPUT, path.data, "already exists (refusing to overwrite a VM)");
        vn_buf_free(&path);
        return rc;
    }
    int made_dir = mkdir(dir, 0755) == 0;
    if (!made_dir && errno != EEXIST) {
        rc = vn_fail(err, VN_ERUNTIME, dir, "cannot create folder (%s)", strerror(errno));
        vn_buf_free(&path);
        return rc;
    }

    size_t made = 0;
    for (; made < ndisks; made++) {
        char suffix[64];
        snprintf(suffix, sizeof(suffix), "%s.vmdk", disks[made].suffix);
        path_join(&path, dir, spec->name, suffix);
        rc = vn_vmdk_create_sparse(path.data, disks[made].bytes, "lsilogic", err);
        if (rc != VN_OK)
            break;
    }
    if (rc == VN_OK) {
        vn_vm_spec s = *spec;
        char *iso = resolve_iso(spec->iso);
        s.iso = iso;
        vn_vmx *vmx = vn_vmx_new();
        build_vmx(vmx, &s, disks, ndisks);
        free(iso);
        vn_buf text = VN_BUF_INIT;
        vn_vmx_write(vmx, &text);
        vn_vmx_free(vmx);
        path_join(&path, dir, spec->name, ".vmx");
        rc = vn_file_replace(path.data, text.data, text.len, 0644, err);
        vn_buf_free(&text);
    }
    /* Report what exists, or take back what was made: never half a VM. */
    for (size_t i = 0; i < made; i++) {
        char suffix[64];
        snprintf(suffix, sizeof(suffix), "%s.vmdk", disks[i].suffix);
        path_join(&path, dir, spec->name, suffix);
        if (rc != VN_OK)
            unlink(path.data);
        else if (created)
            vn_buf_addf(created, "%s\n", path.data);
    }
    if (rc != VN_OK && made_dir)
        rmdir(dir);
    if (rc == VN_OK && created) {
        path_join(&path, dir, spec->name, ".vmx");
        vn_buf_addf(created, "%s\n", path.data);
    }
    vn_buf_free(&path);
    return rc;
}
