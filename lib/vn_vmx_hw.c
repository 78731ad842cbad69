#include "vn_vmx_hw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const bus_names[VN_BUS_COUNT] = {"scsi", "nvme", "sata", "ide"};

const char *vn_bus_name(vn_bus bus)
{
    return bus < VN_BUS_COUNT ? bus_names[bus] : "?";
}

int vn_vmx_bool(const char *value, int dflt)
{
    if (!value)
        return dflt;
    if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") || !strcmp(value, "1"))
        return 1;
    if (!strcasecmp(value, "false") || !strcasecmp(value, "no") || !strcmp(value, "0"))
        return 0;
    return dflt;
}

long vn_vmx_long(const vn_vmx *vmx, const char *key, long dflt)
{
    const char *v = vn_vmx_get(vmx, key);
    if (!v || !*v)
        return dflt;
    char *end;
    long n = strtol(v, &end, 10);
    return *end ? dflt : n;
}

static const char *get_sub(const vn_vmx *vmx, const char *prefix, const char *field)
{
    char key[96];
    snprintf(key, sizeof(key), "%s.%s", prefix, field);
    return vn_vmx_get(vmx, key);
}

/* Reads a non-negative decimal number at *p, advancing it; -1 if none. */
static int read_num(const char **p)
{
    if (**p < '0' || **p > '9')
        return -1;
    long n = 0;
    while (**p >= '0' && **p <= '9' && n < 100000)
        n = n * 10 + (*(*p)++ - '0');
    return (int)n;
}

/* Recognises "<bus><N>" and "<bus><N>:<M>" device names (the part of a key
 * before ".present"). Returns 1 for a controller, 2 for a device, 0 else. */
static int parse_device_name(const char *name, size_t len, vn_bus *bus, int *ctrl, int *unit)
{
    for (int b = 0; b < VN_BUS_COUNT; b++) {
        size_t bl = strlen(bus_names[b]);
        if (len <= bl || strncasecmp(name, bus_names[b], bl) != 0)
            continue;
        const char *p = name + bl, *end = name + len;
        *bus = (vn_bus)b;
        *ctrl = read_num(&p);
        if (*ctrl < 0)
            return 0;
        if (p == end)
            return 1;
        if (*p++ != ':')
            return 0;
        *unit = read_num(&p);
        return (*unit >= 0 && p == end) ? 2 : 0;
    }
    return 0;
}

static int is_cdrom_type(const char *type)
{
    return type && (!strncasecmp(type, "cdrom", 5) || !strcasecmp(type, "atapi-cdrom"));
}

static void add_nic(const vn_vmx *vmx, vn_vmx_hw *hw, const char *name, size_t len)
{
    const char *p = name + 8; /* after "ethernet" */
    int index = read_num(&p);
    if (index < 0 || p != name + len || hw->nnics >= VN_VMX_HW_MAX)
        return;
    vn_vmx_nic *nic = &hw->nics[hw->nnics++];
    nic->index = index;
    snprintf(nic->prefix, sizeof(nic->prefix), "ethernet%d", index);
    nic->dev = get_sub(vmx, nic->prefix, "virtualDev");
    nic->addrty = get_sub(vmx, nic->prefix, "addressType");
}

static void add_ctrl(const vn_vmx *vmx, vn_vmx_hw *hw, vn_bus bus, int index)
{
    if (hw->nctrls >= VN_VMX_HW_MAX)
        return;
    vn_vmx_ctrl *c = &hw->ctrls[hw->nctrls++];
    c->bus = bus;
    c->index = index;
    snprintf(c->prefix, sizeof(c->prefix), "%s%d", vn_bus_name(bus), index);
    c->dev = get_sub(vmx, c->prefix, "virtualDev");
}

static void add_dev(const vn_vmx *vmx, vn_vmx_hw *hw, vn_bus bus, int ctrl, int unit)
{
    if (hw->ndevs >= VN_VMX_HW_MAX)
        return;
    vn_vmx_dev *d = &hw->devs[hw->ndevs++];
    d->bus = bus;
    d->ctrl = ctrl;
    d->unit = unit;
    snprintf(d->prefix, sizeof(d->prefix), "%s%d:%d", vn_bus_name(bus), ctrl, unit);
    d->type = get_sub(vmx, d->prefix, "deviceType");
    d->file = get_sub(vmx, d->prefix, "fileName");
    d->is_cdrom = is_cdrom_type(d->type);
    d->start_connected = vn_vmx_bool(get_sub(vmx, d->prefix, "startConnected"), 1);
}

static int dev_cmp(const void *a, const void *b)
{
    const vn_vmx_dev *x = a, *y = b;
    if (x->bus != y->bus)
        return (int)x->bus - (int)y->bus;
    if (x->ctrl != y->ctrl)
        return x->ctrl - y->ctrl;
    return x->unit - y->unit;
}

void vn_vmx_hw_read(const vn_vmx *vmx, vn_vmx_hw *hw)
{
    memset(hw, 0, sizeof(*hw));
    size_t n = vn_vmx_count(vmx);
    for (size_t i = 0; i < n; i++) {
        const char *key = vn_vmx_key_at(vmx, i);
        size_t klen = strlen(key);
        static const char suffix[] = ".present";
        size_t sl = sizeof(suffix) - 1;
        if (klen <= sl || strcasecmp(key + klen - sl, suffix) != 0)
            continue;
        if (!vn_vmx_bool(vn_vmx_value_at(vmx, i), 0))
            continue;
        size_t len = klen - sl;
        vn_bus bus;
        int ctrl = -1, unit = -1;
        if (len > 8 && strncasecmp(key, "ethernet", 8) == 0)
            add_nic(vmx, hw, key, len);
        else if (parse_device_name(key, len, &bus, &ctrl, &unit) == 1)
            add_ctrl(vmx, hw, bus, ctrl);
        else if (parse_device_name(key, len, &bus, &ctrl, &unit) == 2)
            add_dev(vmx, hw, bus, ctrl, unit);
    }
    qsort(hw->devs, hw->ndevs, sizeof(hw->devs[0]), dev_cmp);
}

size_t vn_vmx_hw_disks(const vn_vmx_hw *hw, const vn_vmx_dev **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < hw->ndevs && n < max; i++) {
        const vn_vmx_dev *d = &hw->devs[i];
        /* A disk is a device backed by a file that is not a CD image or a
         * passthrough device; hosted VMX files often omit deviceType. */
        if (d->is_cdrom || !d->file)
            continue;
        if (d->type && strcasestr(d->type, "disk") == NULL)
            continue;
        out[n++] = d;
    }
    return n;
}
