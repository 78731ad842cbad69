#include "vn_profile_api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_profile_vmx.h"
#include "vn_xmlw.h"

const char *const vn_api_vm_paths[] = {
    "name",
    "config.template",
    "config.guestId",
    "config.version",
    "config.hardware.numCPU",
    "config.hardware.numCoresPerSocket",
    "config.hardware.memoryMB",
    "config.hardware.device",
    "config.firmware",
    "config.nestedHVEnabled",
    "config.bootOptions",
    "config.extraConfig",
    "runtime.powerState",
    "network",
    NULL,
};

/* API property <-> VMX key, for display and for building the fix. */
static const struct {
    const char *vmx;
    const char *api;
} key_map[] = {
    {"guestOS", "config.guestId"},
    {"vhv.enable", "config.nestedHVEnabled"},
    {"numvcpus", "config.hardware.numCPU"},
    {"cpuid.coresPerSocket", "config.hardware.numCoresPerSocket"},
    {"memsize", "config.hardware.memoryMB"},
    {"firmware", "config.firmware"},
    {"uefi.secureBoot.enabled", "config.bootOptions.efiSecureBootEnabled"},
    {"bios.forceSetupOnce", "config.bootOptions.enterBIOSSetup"},
    {"virtualHW.version", "config.version"},
};

static const char *api_name(const char *vmx_key)
{
    for (size_t i = 0; i < sizeof(key_map) / sizeof(key_map[0]); i++)
        if (!strcasecmp(key_map[i].vmx, vmx_key))
            return key_map[i].api;
    return NULL;
}

static void set(vn_vmx *vmx, const char *key, const char *value)
{
    if (value && *value)
        vn_vmx_set(vmx, key, value);
}

static const char *bool_vmx(const char *api_bool)
{
    return !strcmp(api_bool, "true") ? "TRUE" : !strcmp(api_bool, "false") ? "FALSE" : NULL;
}

/* Controller xsi:types and the .vmx bus and virtualDev they stand for. */
static const struct {
    const char *type, *bus, *dev;
} controllers[] = {
    {"ParaVirtualSCSIController", "scsi", "pvscsi"},
    {"VirtualLsiLogicController", "scsi", "lsilogic"},
    {"VirtualLsiLogicSASController", "scsi", "lsisas1068"},
    {"VirtualBusLogicController", "scsi", "buslogic"},
    {"VirtualNVMEController", "nvme", NULL},
    {"VirtualAHCIController", "sata", NULL},
    {"VirtualIDEController", "ide", NULL},
};

static const struct {
    const char *type, *dev;
} nics[] = {
    {"VirtualVmxnet3", "vmxnet3"}, {"VirtualVmxnet3Vrdma", "vmxnet3"},
    {"VirtualE1000e", "e1000e"},   {"VirtualE1000", "e1000"},
    {"VirtualVmxnet2", "vmxnet2"}, {"VirtualVmxnet", "vmxnet"},
    {"VirtualPCNet32", "vlance"},  {"VirtualSriovEthernetCard", "sriov"},
};

#define MAX_CTRL 64

typedef struct ctrl_map {
    long key[MAX_CTRL];
    char prefix[MAX_CTRL][16];
    size_t n;
} ctrl_map;

static long child_long(const vn_xnode *n, const char *name, long dflt)
{
    char buf[32];
    vn_xn_text(vn_xn_first(n, name), buf, sizeof(buf));
    return buf[0] ? strtol(buf, NULL, 10) : dflt;
}

static void read_controllers(const vn_xnode *devs, vn_vmx *vmx, ctrl_map *m)
{
    char type[64], key[64];
    for (const vn_xnode *d = vn_xn_first(devs, NULL); d; d = vn_xn_next(d, NULL)) {
        vn_xn_xsi_type(d, type, sizeof(type));
        for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++) {
            if (strcmp(type, controllers[i].type) != 0 || m->n >= MAX_CTRL)
                continue;
            long bus = child_long(d, "busNumber", 0);
            m->key[m->n] = child_long(d, "key", -1);
            snprintf(m->prefix[m->n], sizeof(m->prefix[0]), "%s%ld", controllers[i].bus, bus);
            snprintf(key, sizeof(key), "%s.present", m->prefix[m->n]);
            set(vmx, key, "TRUE");
            if (controllers[i].dev) {
                snprintf(key, sizeof(key), "%s.virtualDev", m->prefix[m->n]);
                set(vmx, key, controllers[i].dev);
            }
            m->n++;
        }
    }
}

static const char *ctrl_prefix(const ctrl_map *m, long key)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->key[i] == key)
            return m->prefix[i];
    return NULL;
}

static void read_attached(const vn_xnode *d, const char *type, vn_vmx *vmx, const ctrl_map *m)
{
    int disk = !strcmp(type, "VirtualDisk"), cd = !strcmp(type, "VirtualCdrom");
    if (!disk && !cd)
        return;
    const char *prefix = ctrl_prefix(m, child_long(d, "controllerKey", -1));
    if (!prefix)
        return;
    char dev[48], key[80], file[1024], btype[64];
    snprintf(dev, sizeof(dev), "%s:%ld", prefix, child_long(d, "unitNumber", 0));
    const vn_xnode *backing = vn_xn_first(d, "backing");
    vn_xn_text(vn_xn_first(backing, "fileName"), file, sizeof(file));
    vn_xn_xsi_type(backing, btype, sizeof(btype));
    snprintf(key, sizeof(key), "%s.present", dev);
    set(vmx, key, "TRUE");
    snprintf(key, sizeof(key), "%s.deviceType", dev);
    if (disk)
        set(vmx, key, "scsi-hardDisk");
    else
        set(vmx, key, strstr(btype, "Iso") ? "cdrom-image" : "cdrom-raw");
    snprintf(key, sizeof(key), "%s.fileName", dev);
    set(vmx, key, file[0] ? file : (disk ? "(new disk)" : NULL));
    if (cd) {
        char sc[16];
        vn_xn_text(vn_xn_path(d, "connectable/startConnected"), sc, sizeof(sc));
        snprintf(key, sizeof(key), "%s.startConnected", dev);
        set(vmx, key, bool_vmx(sc));
    }
}

static void read_devices(const vn_xnode *devs, vn_vmx *vmx)
{
    ctrl_map m = {0};
    read_controllers(devs, vmx, &m);
    char type[64], key[64];
    int nic_index = 0;
    for (const vn_xnode *d = vn_xn_first(devs, NULL); d; d = vn_xn_next(d, NULL)) {
        vn_xn_xsi_type(d, type, sizeof(type));
        read_attached(d, type, vmx, &m);
        for (size_t i = 0; i < sizeof(nics) / sizeof(nics[0]); i++) {
            if (strcmp(type, nics[i].type) != 0)
                continue;
            snprintf(key, sizeof(key), "ethernet%d.present", nic_index);
            set(vmx, key, "TRUE");
            snprintf(key, sizeof(key), "ethernet%d.virtualDev", nic_index);
            set(vmx, key, nics[i].dev);
            nic_index++;
            break;
        }
    }
}

static void read_extra_config(const vn_xnode *list, vn_vmx *vmx)
{
    char k[256], v[1024];
    for (const vn_xnode *o = vn_xn_first(list, NULL); o; o = vn_xn_next(o, NULL)) {
        vn_xn_text(vn_xn_first(o, "key"), k, sizeof(k));
        vn_xn_text(vn_xn_first(o, "value"), v, sizeof(v));
        /* Keys a ConfigSpec field governs are ignored by vCenter in
         * extraConfig; the field is the truth. Last occurrence wins. */
        if (k[0] && vn_vmx_key_valid(k) && !api_name(k))
            vn_vmx_set(vmx, k, v);
    }
}

void vn_api_vm_read(vn_api_vm *vm, const vn_mor *mor, const vn_xnode *o)
{
    memset(vm, 0, sizeof(*vm));
    vm->mor = *mor;
    vm->vmx = vn_vmx_new();
    char buf[256];
    vn_prop_text(o, "name", vm->name, sizeof(vm->name));
    vm->is_template = !strcmp(vn_prop_text(o, "config.template", buf, sizeof(buf)), "true");
    vn_prop_text(o, "runtime.powerState", vm->power, sizeof(vm->power));

    vn_vmx *x = vm->vmx;
    vn_prop_text(o, "config.guestId", buf, sizeof(buf));
    size_t l = strlen(buf);
    if (l > 5 && !strcmp(buf + l - 5, "Guest"))
        buf[l - 5] = '\0'; /* vmkernel8Guest -> vmkernel8 */
    set(x, "guestOS", buf);
    vn_prop_text(o, "config.version", buf, sizeof(buf));
    set(x, "virtualHW.version", strncmp(buf, "vmx-", 4) == 0 ? buf + 4 : NULL);
    set(x, "numvcpus", vn_prop_text(o, "config.hardware.numCPU", buf, sizeof(buf)));
    set(x, "cpuid.coresPerSocket",
        vn_prop_text(o, "config.hardware.numCoresPerSocket", buf, sizeof(buf)));
    set(x, "memsize", vn_prop_text(o, "config.hardware.memoryMB", buf, sizeof(buf)));
    set(x, "firmware", vn_prop_text(o, "config.firmware", buf, sizeof(buf)));
    set(x, "vhv.enable", bool_vmx(vn_prop_text(o, "config.nestedHVEnabled", buf, sizeof(buf))));
    const vn_xnode *boot = vn_prop_find(o, "config.bootOptions");
    set(x, "uefi.secureBoot.enabled",
        bool_vmx(vn_xn_text(vn_xn_first(boot, "efiSecureBootEnabled"), buf, sizeof(buf))));
    set(x, "bios.forceSetupOnce",
        bool_vmx(vn_xn_text(vn_xn_first(boot, "enterBIOSSetup"), buf, sizeof(buf))));
    read_devices(vn_prop_find(o, "config.hardware.device"), x);
    const vn_xnode *nets = vn_prop_find(o, "network");
    for (const vn_xnode *n = vn_xn_first(nets, NULL); n && vm->nnetworks < 8;
         n = vn_xn_next(n, NULL))
        vn_xn_text(n, vm->networks[vm->nnetworks++], sizeof(vm->networks[0]));
    read_extra_config(vn_prop_find(o, "config.extraConfig"), x);
}

void vn_api_vm_free(vn_api_vm *vm)
{
    vn_vmx_free(vm->vmx);
    memset(vm, 0, sizeof(*vm));
}

/* Device-level changes need a device edit the API adapter does not make in
 * place: say what to do instead. */
static const char *manual_note(const char *vmx_key)
{
    if (strstr(vmx_key, "virtualDev"))
        return "change the adapter type by replacing the device (vSphere Client: remove and "
               "add it), with the VM powered off";
    if (!strcasecmp(vmx_key, "virtualHW.version"))
        return "upgrade the compatibility (vSphere Client: Compatibility > Upgrade, or "
               "UpgradeVM_Task) with the VM powered off";
    if (strstr(vmx_key, "startConnected"))
        return "disconnect the installer ISO (CD/DVD drive: untick Connect At Power On)";
    return NULL;
}

static void lower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Settings that the API carries as extraConfig entries. */
static int in_extra_config(const char *vmx_key)
{
    return strncasecmp(vmx_key, "disk.", 5) == 0 || strcasestr(vmx_key, ".virtualSSD") != NULL;
}

void vn_profile_api_check(const vn_api_vm *vm, const vn_release *rel, unsigned role,
                          vn_findings *out, const vn_release **used)
{
    if (!rel)
        rel = vn_profile_vmx_release(vm->vmx);
    if (!rel)
        rel = vn_release_get(VN_ESXI_DEFAULT);
    if (used)
        *used = rel;
    size_t first = out->n;
    vn_profile_vmx_check(vm->vmx, rel, role, out);
    for (size_t i = first; i < out->n; i++) {
        vn_finding *f = &out->v[i];
        f->line = 0;
        const char *api = api_name(f->key);
        const char *mnote = manual_note(f->key);
        if (mnote && f->fixable) {
            f->fixable = 0;
            free(f->note);
            f->note = vn_xstrdup(mnote);
        }
        if (api) {
            char *k = vn_xstrdup(api);
            free(f->key);
            f->key = k;
        } else if (!mnote && in_extra_config(f->key)) {
            char *k = vn_xmalloc(strlen(f->key) + 32);
            sprintf(k, "config.extraConfig[%s]", f->key);
            free(f->key);
            f->key = k;
        }
        if (!strcmp(f->key, "config.nestedHVEnabled") ||
            !strncmp(f->key, "config.bootOptions.", 19)) {
            lower(f->wanted);
            lower(f->current); /* API booleans are xsd:boolean: true/false */
        }
        if (!strcmp(f->key, "config.guestId") && f->wanted) {
            char *w = vn_xmalloc(strlen(f->wanted) + 8);
            sprintf(w, "%sGuest", f->wanted);
            free(f->wanted);
            f->wanted = w;
            if (f->current) {
                char *c = vn_xmalloc(strlen(f->current) + 8);
                sprintf(c, "%sGuest", f->current);
                free(f->current);
                f->current = c;
            }
        }
    }
}

static const char *find_wanted(const vn_findings *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].fixable && !strcmp(f->v[i].key, key))
            return f->v[i].wanted ? f->v[i].wanted : "";
    return NULL;
}

static int api_bool(const char *vmx_bool)
{
    return vmx_bool && (!strcasecmp(vmx_bool, "TRUE") || !strcmp(vmx_bool, "1"));
}

size_t vn_profile_api_spec(vn_findings *f, vn_buf *spec)
{
    size_t n = 0;
    const char *v;
    /* VirtualMachineConfigSpec order: guestId, numCPUs, numCoresPerSocket,
     * memoryMB, extraConfig, bootOptions, firmware, nestedHVEnabled. */
    if ((v = find_wanted(f, "config.guestId")))
        vn_xw_str(spec, "guestId", v), n++;
    if ((v = find_wanted(f, "config.hardware.numCPU")))
        vn_xw_str(spec, "numCPUs", v), n++;
    if ((v = find_wanted(f, "config.hardware.numCoresPerSocket")))
        vn_xw_str(spec, "numCoresPerSocket", v), n++;
    if ((v = find_wanted(f, "config.hardware.memoryMB")))
        vn_xw_str(spec, "memoryMB", v), n++;
    for (size_t i = 0; i < f->n; i++) {
        const char *k = f->v[i].key;
        if (!f->v[i].fixable || strncmp(k, "config.extraConfig[", 19) != 0)
            continue;
        vn_xw_open(spec, "extraConfig");
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(strlen(k) - 20), k + 19);
        vn_xw_str(spec, "key", name);
        vn_xw_any_str(spec, "value", f->v[i].wanted ? f->v[i].wanted : "");
        vn_xw_close(spec, "extraConfig");
        n++;
    }
    const char *sb = find_wanted(f, "config.bootOptions.efiSecureBootEnabled");
    const char *setup = find_wanted(f, "config.bootOptions.enterBIOSSetup");
    if (sb || setup) {
        vn_xw_open(spec, "bootOptions");
        if (setup)
            vn_xw_bool(spec, "enterBIOSSetup", api_bool(setup)), n++;
        if (sb)
            vn_xw_bool(spec, "efiSecureBootEnabled", api_bool(sb)), n++;
        vn_xw_close(spec, "bootOptions");
    }
    if ((v = find_wanted(f, "config.firmware")))
        vn_xw_str(spec, "firmware", v), n++;
    if ((v = find_wanted(f, "config.nestedHVEnabled")))
        vn_xw_bool(spec, "nestedHVEnabled", api_bool(v)), n++;
    return n;
}
