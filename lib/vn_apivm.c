#include "vn_apivm.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vn_profile_api.h"
#include "vn_size.h"
#include "vn_xmlw.h"

/* Negative keys name new devices within one spec (controllerKey refers to
 * the controller's key); the server assigns the real ones. */
#define KEY_SCSI  -100
#define KEY_DISK  -101
#define KEY_NIC   -200
#define KEY_CDROM -400
#define IDE0_KEY  200 /* vCenter and ESXi add IDE 0 and 1 to every new VM */

static void connect_info(vn_buf *b, int start_connected)
{
    vn_xw_open(b, "connectable");
    vn_xw_bool(b, "startConnected", start_connected);
    vn_xw_bool(b, "allowGuestControl", 1);
    vn_xw_bool(b, "connected", 0);
    vn_xw_close(b, "connectable");
}

static void add_scsi(vn_buf *b, const vn_release *rel)
{
    vn_xw_open(b, "deviceChange");
    vn_xw_str(b, "operation", "add");
    /* ESXi 6.0 has no native PVSCSI driver to boot from (SEEDS S2). */
    vn_xw_open_type(b, "device",
                    rel->id >= VN_ESXI_65 ? "ParaVirtualSCSIController"
                                          : "VirtualLsiLogicSASController");
    vn_xw_int(b, "key", KEY_SCSI);
    vn_xw_int(b, "busNumber", 0);
    vn_xw_str(b, "sharedBus", "noSharing");
    vn_xw_close(b, "device");
    vn_xw_close(b, "deviceChange");
}

static void add_disk(vn_buf *b, int unit, uint64_t bytes)
{
    vn_xw_open(b, "deviceChange");
    vn_xw_str(b, "operation", "add");
    vn_xw_str(b, "fileOperation", "create");
    vn_xw_open_type(b, "device", "VirtualDisk");
    vn_xw_int(b, "key", KEY_DISK - unit);
    vn_xw_open_type(b, "backing", "VirtualDiskFlatVer2BackingInfo");
    vn_xw_str(b, "fileName", ""); /* the server names it after the VM */
    vn_xw_str(b, "diskMode", "persistent");
    vn_xw_bool(b, "thinProvisioned", 1);
    vn_xw_close(b, "backing");
    vn_xw_int(b, "controllerKey", KEY_SCSI);
    vn_xw_int(b, "unitNumber", unit);
    vn_xw_int(b, "capacityInKB", (long long)((bytes + 1023) / 1024));
    vn_xw_close(b, "device");
    vn_xw_close(b, "deviceChange");
}

static void add_nic(vn_buf *b, int index, const vn_placement *p)
{
    vn_xw_open(b, "deviceChange");
    vn_xw_str(b, "operation", "add");
    vn_xw_open_type(b, "device", "VirtualVmxnet3");
    vn_xw_int(b, "key", KEY_NIC - index);
    if (p->is_dvpg) {
        vn_xw_open_type(b, "backing", "VirtualEthernetCardDistributedVirtualPortBackingInfo");
        vn_xw_open(b, "port");
        vn_xw_str(b, "switchUuid", p->switch_uuid);
        vn_xw_str(b, "portgroupKey", p->portgroup_key);
        vn_xw_close(b, "port");
    } else {
        vn_xw_open_type(b, "backing", "VirtualEthernetCardNetworkBackingInfo");
        vn_xw_str(b, "deviceName", p->network_name);
        vn_xw_mor(b, "network", p->network.type, p->network.id);
    }
    vn_xw_close(b, "backing");
    connect_info(b, 1);
    vn_xw_str(b, "addressType", "generated");
    vn_xw_close(b, "device");
    vn_xw_close(b, "deviceChange");
}

static void add_cdrom(vn_buf *b, const char *iso)
{
    vn_xw_open(b, "deviceChange");
    vn_xw_str(b, "operation", "add");
    vn_xw_open_type(b, "device", "VirtualCdrom");
    vn_xw_int(b, "key", KEY_CDROM);
    vn_xw_open_type(b, "backing", "VirtualCdromIsoBackingInfo");
    vn_xw_str(b, "fileName", iso);
    vn_xw_close(b, "backing");
    connect_info(b, 1);
    vn_xw_int(b, "controllerKey", IDE0_KEY);
    vn_xw_int(b, "unitNumber", 0);
    vn_xw_close(b, "device");
    vn_xw_close(b, "deviceChange");
}

static void extra(vn_buf *b, const char *key, const char *value)
{
    vn_xw_open(b, "extraConfig");
    vn_xw_str(b, "key", key);
    vn_xw_any_str(b, "value", value);
    vn_xw_close(b, "extraConfig");
}

void vn_apivm_create_body(vn_vim *vim, const vn_vm_spec *s, const vn_placement *p, vn_buf *b)
{
    (void)vim;
    vn_xw_call_begin(b, "CreateVM_Task", p->folder.type, p->folder.id);
    /* VirtualMachineConfigSpec, in the schema's order. */
    vn_xw_open(b, "config");
    vn_xw_str(b, "name", s->name);
    if (s->hw_version) {
        char v[16];
        snprintf(v, sizeof(v), "vmx-%02d", s->hw_version);
        vn_xw_str(b, "version", v);
    }
    vn_xw_str(b, "guestId", s->rel->guest_id);
    vn_xw_open(b, "files");
    char ds[300];
    snprintf(ds, sizeof(ds), "[%s]", p->datastore_name);
    vn_xw_str(b, "vmPathName", ds);
    vn_xw_close(b, "files");
    vn_xw_int(b, "numCPUs", s->cpus);
    vn_xw_int(b, "numCoresPerSocket", s->cpus);
    vn_xw_int(b, "memoryMB", (long long)(s->memory / VN_MIB));
    add_scsi(b, s->rel);
    uint64_t disks[3] = {s->boot_disk, s->vsan_cache, s->vsan_capacity};
    int unit = 0;
    for (int i = 0; i < 3; i++)
        if (disks[i])
            add_disk(b, unit++, disks[i]);
    for (int n = 0; n < s->nics; n++)
        add_nic(b, n, p);
    if (s->iso)
        add_cdrom(b, s->iso);
    extra(b, "disk.EnableUUID", "TRUE");
    for (int u = 1; u < unit; u++) {
        char key[32];
        snprintf(key, sizeof(key), "scsi0:%d.virtualSSD", u);
        extra(b, key, "1");
    }
    vn_xw_open(b, "bootOptions");
    vn_xw_bool(b, "enterBIOSSetup", 1); /* S4: the first boot stops in EFI setup */
    vn_xw_bool(b, "efiSecureBootEnabled", 0);
    vn_xw_close(b, "bootOptions");
    vn_xw_str(b, "firmware", "efi");
    vn_xw_bool(b, "nestedHVEnabled", 1);
    vn_xw_close(b, "config");
    vn_xw_mor(b, "pool", p->pool.type, p->pool.id);
    if (p->has_host)
        vn_xw_mor(b, "host", p->host.type, p->host.id);
    vn_xw_call_end(b, "CreateVM_Task");
}

int vn_apivm_run_task(vn_vim *vim, const vn_buf *body, const char *what, int timeout_s,
                      vn_mor *result, vn_error *err)
{
    vn_soap_reply reply;
    vn_fault fault;
    int rc = vn_vim_call(vim, body, &reply, &fault, err);
    if (rc != VN_OK)
        return rc;
    vn_task_result t;
    memset(&t, 0, sizeof(t));
    vn_mor_from(vn_xn_first(reply.result, "returnval"), &t.task);
    vn_soap_reply_free(&reply);
    rc = vn_vim_wait_tasks(vim, &t, 1, timeout_s, err);
    if (rc != VN_OK)
        return rc;
    if (!t.ok)
        return vn_fail(err, VN_ERUNTIME, what, "%s%s%s", t.fault.type[0] ? t.fault.type : "failed",
                       t.fault.message[0] ? ": " : "", t.fault.message);
    if (result)
        *result = t.result;
    return VN_OK;
}

static void reconfigure_body(vn_buf *b, const vn_mor *vm, const char *spec_children)
{
    vn_xw_call_begin(b, "ReconfigVM_Task", vm->type, vm->id);
    vn_xw_open(b, "spec");
    vn_buf_adds(b, spec_children);
    vn_xw_close(b, "spec");
    vn_xw_call_end(b, "ReconfigVM_Task");
}

int vn_apivm_start_reconfigure(vn_vim *vim, const vn_mor *vm, const char *spec_children,
                               vn_mor *task, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    reconfigure_body(&b, vm, spec_children);
    vn_soap_reply reply;
    int rc = vn_vim_call(vim, &b, &reply, NULL, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    vn_mor_from(vn_xn_first(reply.result, "returnval"), task);
    vn_soap_reply_free(&reply);
    return VN_OK;
}

int vn_apivm_reconfigure(vn_vim *vim, const vn_mor *vm, const char *spec_children, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    reconfigure_body(&b, vm, spec_children);
    int rc = vn_apivm_run_task(vim, &b, vm->id, 600, NULL, err);
    vn_buf_free(&b);
    return rc;
}

static int call_void(vn_vim *vim, vn_buf *b, vn_fault *fault, vn_error *err)
{
    vn_soap_reply reply;
    int rc = vn_vim_call(vim, b, &reply, fault, err);
    if (rc == VN_OK)
        vn_soap_reply_free(&reply);
    return rc;
}

int vn_apivm_power(vn_vim *vim, const vn_mor *vm, int on, vn_error *err)
{
    const char *m = on ? "PowerOnVM_Task" : "PowerOffVM_Task";
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, m, vm->type, vm->id);
    vn_xw_call_end(&b, m);
    int rc = vn_apivm_run_task(vim, &b, vm->id, 600, NULL, err);
    vn_buf_free(&b);
    return rc;
}

static int power_state(vn_vim *vim, const vn_mor *vm, char *state, size_t len, vn_error *err);

int vn_apivm_shutdown_guest(vn_vim *vim, const vn_mor *vm, int timeout_s, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "ShutdownGuest", vm->type, vm->id);
    vn_xw_call_end(&b, "ShutdownGuest");
    vn_fault fault;
    int rc = call_void(vim, &b, &fault, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    char state[32];
    for (time_t end = time(NULL) + timeout_s;;) {
        rc = power_state(vim, vm, state, sizeof(state), err);
        if (rc != VN_OK || !strcmp(state, "poweredOff"))
            return rc;
        if (time(NULL) >= end)
            return vn_fail(err, VN_ERUNTIME, vm->id, "the guest did not shut down within %d s",
                           timeout_s);
        usleep(500 * 1000);
    }
}

int vn_apivm_mark_template(vn_vim *vim, const vn_mor *vm, vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "MarkAsTemplate", vm->type, vm->id);
    vn_xw_call_end(&b, "MarkAsTemplate");
    int rc = call_void(vim, &b, NULL, err);
    vn_buf_free(&b);
    return rc;
}

int vn_apivm_mark_vm(vn_vim *vim, const vn_mor *vm, const vn_mor *pool, const vn_mor *host,
                     vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "MarkAsVirtualMachine", vm->type, vm->id);
    vn_xw_mor(&b, "pool", pool->type, pool->id);
    if (host && host->id[0])
        vn_xw_mor(&b, "host", host->type, host->id);
    vn_xw_call_end(&b, "MarkAsVirtualMachine");
    int rc = call_void(vim, &b, NULL, err);
    vn_buf_free(&b);
    return rc;
}

typedef struct read_ctx {
    vn_api_vm *vm;
    char *state;
    size_t len;
} read_ctx;

static int on_vm(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    read_ctx *c = ctx;
    if (c->vm)
        vn_api_vm_read(c->vm, obj, o);
    if (c->state)
        vn_prop_text(o, "runtime.powerState", c->state, c->len);
    return 1;
}

static int power_state(vn_vim *vim, const vn_mor *vm, char *state, size_t len, vn_error *err)
{
    static const char *const paths[] = {"runtime.powerState", NULL};
    read_ctx c = {NULL, state, len};
    state[0] = '\0';
    return vn_vim_retrieve_objs(vim, vm, 1, paths, on_vm, &c, err);
}

int vn_apivm_read(vn_vim *vim, const vn_mor *vm, vn_api_vm *out, vn_error *err)
{
    read_ctx c = {out, NULL, 0};
    memset(out, 0, sizeof(*out));
    int rc = vn_vim_retrieve_objs(vim, vm, 1, vn_api_vm_paths, on_vm, &c, err);
    if (rc == VN_OK && !out->vmx)
        return vn_fail(err, VN_ERUNTIME, vm->id, "the VM disappeared");
    return rc;
}
