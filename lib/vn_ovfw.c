/* vn_ovfw: OVF descriptor writer (see the header for what goes in). */
#include "vn_ovfw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_vmx_hw.h"
#include "vn_xmlw.h"

/* ---- vApp properties (S16) ---- */

typedef struct prop_def {
    const char *name;  /* guestinfo.NAME */
    const char *type;  /* ovf:type */
    const char *value; /* default */
    const char *category;
    const char *label;
    const char *description;
} prop_def;

/* Booleans default to "True"/"False" with that casing: the appliance's
 * first-boot script compares the strings literally (formats.md 8.6). */
static const prop_def props[VN_PROP_COUNT] = {
    {"hostname", "string", "", "Networking", "Hostname",
     "Fully qualified host name of this ESXi host (empty: the installer's default)"},
    {"ipaddress", "string", "", "Networking", "IP Address",
     "IPv4 address of the management interface vmk0 (empty: DHCP)"},
    {"netmask", "string", "", "Networking", "Netmask",
     "Netmask of the management network, e.g. 255.255.255.0 (empty with DHCP)"},
    {"gateway", "string", "", "Networking", "Gateway",
     "Default gateway of the management network (empty with DHCP)"},
    {"dns", "string", "", "Networking", "DNS Server",
     "DNS server address(es), comma-separated (empty with DHCP)"},
    {"domain", "string", "", "Networking", "DNS Domain", "DNS search domain"},
    {"ntp", "string", "", "Networking", "NTP Server", "NTP server(s), comma-separated"},
    {"ssh", "boolean", "True", "Services", "Enable SSH", "Start the SSH service on first boot"},
    {"password", "string", "", "Credentials", "Root Password",
     "Password of the root account, set on first boot"},
    {"createvmfs", "boolean", "False", "Storage", "Create VMFS Datastore",
     "Create a local VMFS datastore on the boot disk's free space (leave False for vSAN)"},
};

const char *vn_ovf_prop_name(vn_ovf_prop p)
{
    return (unsigned)p < VN_PROP_COUNT ? props[p].name : "";
}

int vn_ovf_props_parse(const char *list, const char *where, unsigned *mask, vn_error *err)
{
    *mask = 0;
    if (strcmp(list, "all") == 0) {
        *mask = VN_PROPS_ALL;
        return VN_OK;
    }
    if (strcmp(list, "none") == 0 || !*list)
        return VN_OK;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = -1;
        for (int i = 0; i < VN_PROP_COUNT; i++)
            if (strlen(props[i].name) == n && strncasecmp(p, props[i].name, n) == 0)
                found = i;
        /* "guestinfo.hostname" is accepted as well as "hostname". */
        if (found < 0 && n > 10 && strncasecmp(p, "guestinfo.", 10) == 0)
            for (int i = 0; i < VN_PROP_COUNT; i++)
                if (strlen(props[i].name) == n - 10 &&
                    strncasecmp(p + 10, props[i].name, n - 10) == 0)
                    found = i;
        if (found < 0) {
            vn_buf names = VN_BUF_INIT;
            for (int i = 0; i < VN_PROP_COUNT; i++)
                vn_buf_addf(&names, "%s%s", i ? ", " : "", props[i].name);
            vn_fail(err, VN_EINPUT, where, "unknown property \"%.*s\" (expected %s, all or none)",
                    (int)n, p, names.data);
            vn_buf_free(&names);
            return VN_EINPUT;
        }
        *mask |= 1u << found;
        p += n;
        if (*p == ',')
            p++;
    }
    return VN_OK;
}

/* ---- small XML helpers ---- */

static void attr(vn_buf *b, const char *name, const char *value)
{
    vn_buf_addf(b, " %s=\"", name);
    vn_xw_text(b, value);
    vn_buf_addc(b, '"');
}

static void elem(vn_buf *b, int indent, const char *tag, const char *text)
{
    vn_buf_addf(b, "%*s<%s>", indent, "", tag);
    vn_xw_text(b, text);
    vn_buf_addf(b, "</%s>\n", tag);
}

static void elem_u(vn_buf *b, int indent, const char *tag, unsigned long long v)
{
    vn_buf_addf(b, "%*s<%s>%llu</%s>\n", indent, "", tag, v, tag);
}

/* The rasd children of one Item, kept in the CIM schema's (alphabetical)
 * sequence: each field is written only when set. */
typedef struct rasd {
    const char *address, *address_on_parent, *allocation_units, *automatic_allocation;
    const char *connection, *description, *element_name, *host_resource;
    int instance_id, parent; /* parent 0: none */
    const char *resource_subtype;
    int resource_type;
    long long virtual_quantity; /* < 0: none */
} rasd;

static void item(vn_buf *b, const rasd *r, const char *extra)
{
    const int in = 8;
    vn_buf_adds(b, "      <Item>\n");
    if (r->address)
        elem(b, in, "rasd:Address", r->address);
    if (r->address_on_parent)
        elem(b, in, "rasd:AddressOnParent", r->address_on_parent);
    if (r->allocation_units)
        elem(b, in, "rasd:AllocationUnits", r->allocation_units);
    if (r->automatic_allocation)
        elem(b, in, "rasd:AutomaticAllocation", r->automatic_allocation);
    if (r->connection)
        elem(b, in, "rasd:Connection", r->connection);
    if (r->description)
        elem(b, in, "rasd:Description", r->description);
    elem(b, in, "rasd:ElementName", r->element_name);
    if (r->host_resource)
        elem(b, in, "rasd:HostResource", r->host_resource);
    elem_u(b, in, "rasd:InstanceID", (unsigned long long)r->instance_id);
    if (r->parent)
        elem_u(b, in, "rasd:Parent", (unsigned long long)r->parent);
    if (r->resource_subtype)
        elem(b, in, "rasd:ResourceSubType", r->resource_subtype);
    elem_u(b, in, "rasd:ResourceType", (unsigned long long)r->resource_type);
    if (r->virtual_quantity >= 0)
        elem_u(b, in, "rasd:VirtualQuantity", (unsigned long long)r->virtual_quantity);
    if (extra)
        vn_buf_adds(b, extra);
    vn_buf_adds(b, "      </Item>\n");
}

static void config(vn_buf *b, const char *tag, const char *key, const char *value)
{
    vn_buf_addf(b, "      <%s ovf:required=\"false\"", tag);
    attr(b, "vmw:key", key);
    attr(b, "vmw:value", value);
    vn_buf_adds(b, "/>\n");
}

/* ---- hardware mapping ---- */

typedef struct ctrl_map {
    vn_bus bus;
    int index;
    int instance;
} ctrl_map;

/* ResourceType and ResourceSubType of a disk controller. */
static int controller_type(vn_bus bus, const char *dev, int *type, const char **sub)
{
    static const struct {
        const char *vmx, *ovf;
    } scsi[] = {{"pvscsi", "VirtualSCSI"},
                {"lsilogic", "lsilogic"},
                {"lsisas1068", "lsilogicsas"},
                {"buslogic", "buslogic"}};
    switch (bus) {
    case VN_BUS_SCSI:
        *type = 6;
        if (!dev) {
            *sub = "lsilogic"; /* VMware's default when virtualDev is absent */
            return 0;
        }
        for (size_t i = 0; i < sizeof(scsi) / sizeof(scsi[0]); i++)
            if (strcasecmp(dev, scsi[i].vmx) == 0) {
                *sub = scsi[i].ovf;
                return 0;
            }
        return -1;
    case VN_BUS_NVME:
        *type = 20;
        *sub = "vmware.nvme.controller";
        return 0;
    case VN_BUS_SATA:
        *type = 20;
        *sub = "vmware.sata.ahci";
        return 0;
    case VN_BUS_IDE:
    default:
        *type = 5;
        *sub = NULL;
        return 0;
    }
}

static const char *nic_type(const char *dev)
{
    if (!dev)
        return "E1000"; /* VMware's default when virtualDev is absent */
    if (strcasecmp(dev, "vmxnet3") == 0)
        return "VmxNet3";
    if (strcasecmp(dev, "e1000") == 0)
        return "E1000";
    if (strcasecmp(dev, "e1000e") == 0)
        return "E1000e";
    return NULL;
}

static const char *nic_network(const vn_vmx *vmx, const vn_vmx_nic *nic)
{
    char key[64];
    snprintf(key, sizeof(key), "%s.networkName", nic->prefix);
    const char *n = vn_vmx_get(vmx, key);
    return n && *n ? n : "VM Network";
}

/* Distinct network names of the NICs, in NIC order. */
static size_t networks(const vn_vmx *vmx, const vn_vmx_hw *hw, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < hw->nnics; i++) {
        const char *net = nic_network(vmx, &hw->nics[i]);
        size_t j = 0;
        while (j < n && strcmp(out[j], net) != 0)
            j++;
        if (j == n)
            out[n++] = net;
    }
    return n;
}

static int nic_cmp(const void *a, const void *b)
{
    return ((const vn_vmx_nic *)a)->index - ((const vn_vmx_nic *)b)->index;
}

/* ---- sections ---- */

static void references_and_disks(vn_buf *b, const vn_ovfw_input *in)
{
    vn_buf_adds(b, "  <References>\n");
    for (size_t i = 0; i < in->ndisks; i++) {
        vn_buf_adds(b, "    <File");
        attr(b, "ovf:href", in->disks[i].href);
        vn_buf_addf(b, " ovf:id=\"file%zu\" ovf:size=\"%llu\"/>\n", i + 1,
                    (unsigned long long)in->disks[i].size);
    }
    vn_buf_adds(b, "  </References>\n");
    vn_buf_adds(b, "  <DiskSection>\n    <Info>Virtual disk information</Info>\n");
    for (size_t i = 0; i < in->ndisks; i++)
        vn_buf_addf(b,
                    "    <Disk ovf:capacity=\"%llu\" ovf:capacityAllocationUnits=\"byte\" "
                    "ovf:diskId=\"vmdisk%zu\" ovf:fileRef=\"file%zu\" "
                    "ovf:format=\"http://www.vmware.com/interfaces/specifications/"
                    "vmdk.html#streamOptimized\" ovf:populatedSize=\"%llu\"/>\n",
                    (unsigned long long)in->disks[i].capacity, i + 1, i + 1,
                    (unsigned long long)in->disks[i].populated);
    vn_buf_adds(b, "  </DiskSection>\n");
}

static void network_section(vn_buf *b, const char **nets, size_t n)
{
    vn_buf_adds(b, "  <NetworkSection>\n    <Info>The list of logical networks</Info>\n");
    for (size_t i = 0; i < n; i++) {
        vn_buf_adds(b, "    <Network");
        attr(b, "ovf:name", nets[i]);
        vn_buf_adds(b, ">\n      <Description>The ");
        vn_xw_text(b, nets[i]);
        vn_buf_adds(b, " network</Description>\n    </Network>\n");
    }
    vn_buf_adds(b, "  </NetworkSection>\n");
}

static void os_section(vn_buf *b, const vn_release *rel)
{
    /* ovf:version is the guest type's release suffix: vmkernel65 -> 65. */
    const char *ver = rel->guest_os + strlen("vmkernel");
    vn_buf_addf(b,
                "    <OperatingSystemSection ovf:id=\"104\" ovf:version=\"%s\" "
                "vmw:osType=\"%s\">\n",
                ver, rel->guest_id);
    vn_buf_adds(b, "      <Info>The kind of installed guest operating system</Info>\n");
    vn_buf_addf(b, "      <Description>VMware ESXi %s</Description>\n", rel->name);
    vn_buf_adds(b, "    </OperatingSystemSection>\n");
}

static void product_section(vn_buf *b, const vn_release *rel, unsigned mask)
{
    if (!mask)
        return;
    vn_buf_adds(b, "    <ProductSection ovf:required=\"false\">\n");
    vn_buf_adds(b, "      <Info>Settings applied by the ESXi host on first boot</Info>\n");
    vn_buf_adds(b, "      <Product>VMware ESXi</Product>\n");
    vn_buf_adds(b, "      <Vendor>VMware, Inc.</Vendor>\n");
    vn_buf_addf(b, "      <Version>%s</Version>\n", rel->name);
    const char *category = NULL;
    for (int i = 0; i < VN_PROP_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        const prop_def *p = &props[i];
        if (!category || strcmp(category, p->category) != 0) {
            category = p->category;
            vn_buf_addf(b, "      <Category>%s</Category>\n", category);
        }
        vn_buf_addf(b, "      <Property ovf:key=\"guestinfo.%s\"", p->name);
        if (i == VN_PROP_PASSWORD)
            vn_buf_adds(b, " ovf:password=\"true\"");
        vn_buf_addf(b, " ovf:type=\"%s\" ovf:userConfigurable=\"true\"", p->type);
        attr(b, "ovf:value", p->value);
        vn_buf_adds(b, ">\n");
        vn_buf_addf(b, "        <Label>%s</Label>\n", p->label);
        vn_buf_adds(b, "        <Description>");
        vn_xw_text(b, p->description);
        vn_buf_adds(b, "</Description>\n      </Property>\n");
    }
    vn_buf_adds(b, "    </ProductSection>\n");
}

/* The controllers the disks sit on, in bus/index order, with their Items. */
static int controllers(vn_buf *b, const vn_ovfw_input *in, const vn_vmx_hw *hw,
                       const vn_vmx_dev **disks, ctrl_map *map, size_t *nmap, int *next_id,
                       vn_error *err)
{
    *nmap = 0;
    for (size_t i = 0; i < in->ndisks; i++) {
        size_t j = 0;
        while (j < *nmap && !(map[j].bus == disks[i]->bus && map[j].index == disks[i]->ctrl))
            j++;
        if (j == *nmap)
            map[(*nmap)++] = (ctrl_map){disks[i]->bus, disks[i]->ctrl, 0};
    }
    static const char *const names[] = {"SCSI", "NVMe", "SATA", "IDE"};
    for (int bus = 0; bus < VN_BUS_COUNT; bus++)
        for (size_t j = 0; j < *nmap; j++) {
            if ((int)map[j].bus != bus)
                continue;
            const char *dev = NULL;
            for (size_t k = 0; k < hw->nctrls; k++)
                if (hw->ctrls[k].bus == map[j].bus && hw->ctrls[k].index == map[j].index)
                    dev = hw->ctrls[k].dev;
            int type;
            const char *sub;
            if (controller_type(map[j].bus, dev, &type, &sub) != 0) {
                char key[48];
                snprintf(key, sizeof(key), "%s%d.virtualDev", vn_bus_name(map[j].bus),
                         map[j].index);
                return vn_fail_at(err, VN_EINPUT, in->vmx_name, vn_vmx_line(in->vmx, key),
                                  "%s = \"%s\" has no OVF controller type (expected pvscsi, "
                                  "lsilogic, lsisas1068 or buslogic)",
                                  key, dev);
            }
            map[j].instance = (*next_id)++;
            char addr[16], ename[48], desc[48];
            snprintf(addr, sizeof(addr), "%d", map[j].index);
            snprintf(ename, sizeof(ename), "%s Controller %d", names[bus], map[j].index);
            snprintf(desc, sizeof(desc), "%s Controller", names[bus]);
            rasd r = {.address = addr,
                      .description = desc,
                      .element_name = ename,
                      .instance_id = map[j].instance,
                      .resource_subtype = sub,
                      .resource_type = type,
                      .virtual_quantity = -1};
            item(b, &r, NULL);
        }
    return VN_OK;
}

static int hardware_section(vn_buf *b, const vn_ovfw_input *in, const vn_vmx_hw *hw, vn_error *err)
{
    const vn_vmx *vmx = in->vmx;
    const vn_vmx_dev *disks[VN_VMX_HW_MAX];
    size_t nd = vn_vmx_hw_disks(hw, disks, VN_VMX_HW_MAX);
    if (nd != in->ndisks)
        return vn_fail(err, VN_EINPUT, in->vmx_name,
                       "%zu disks in the VMX but %zu given (expected one file per disk)", nd,
                       in->ndisks);
    long hwv = vn_vmx_long(vmx, "virtualHW.version", in->rel->hw_version);
    vn_buf_adds(b, "    <VirtualHardwareSection ovf:transport=\"com.vmware.guestInfo\">\n");
    vn_buf_adds(b, "      <Info>Virtual hardware requirements</Info>\n      <System>\n");
    vn_buf_adds(b, "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n");
    vn_buf_adds(b, "        <vssd:InstanceID>0</vssd:InstanceID>\n");
    elem(b, 8, "vssd:VirtualSystemIdentifier", in->name);
    vn_buf_addf(b, "        <vssd:VirtualSystemType>vmx-%02ld</vssd:VirtualSystemType>\n", hwv);
    vn_buf_adds(b, "      </System>\n");

    int id = 1;
    long cpus = vn_vmx_long(vmx, "numvcpus", 1);
    long cps = vn_vmx_long(vmx, "cpuid.coresPerSocket", 0);
    char ename[96], extra[128] = "";
    snprintf(ename, sizeof(ename), "%ld virtual CPU(s)", cpus);
    if (cps > 0)
        snprintf(extra, sizeof(extra),
                 "        <vmw:CoresPerSocket ovf:required=\"false\">%ld</vmw:CoresPerSocket>\n",
                 cps);
    rasd cpu = {.allocation_units = "hertz * 10^6",
                .description = "Number of Virtual CPUs",
                .element_name = ename,
                .instance_id = id++,
                .resource_type = 3,
                .virtual_quantity = cpus};
    item(b, &cpu, cps > 0 ? extra : NULL);
    long mem = vn_vmx_long(vmx, "memsize", in->rel->min_memory_mb);
    snprintf(ename, sizeof(ename), "%ldMB of memory", mem);
    rasd memr = {.allocation_units = "byte * 2^20",
                 .description = "Memory Size",
                 .element_name = ename,
                 .instance_id = id++,
                 .resource_type = 4,
                 .virtual_quantity = mem};
    item(b, &memr, NULL);

    ctrl_map map[VN_VMX_HW_MAX];
    size_t nmap = 0;
    int rc = controllers(b, in, hw, disks, map, &nmap, &id, err);
    if (rc != VN_OK)
        return rc;
    for (size_t i = 0; i < nd; i++) {
        int parent = 0;
        for (size_t j = 0; j < nmap; j++)
            if (map[j].bus == disks[i]->bus && map[j].index == disks[i]->ctrl)
                parent = map[j].instance;
        char unit[16], host[48];
        snprintf(unit, sizeof(unit), "%d", disks[i]->unit);
        snprintf(host, sizeof(host), "ovf:/disk/vmdisk%zu", i + 1);
        snprintf(ename, sizeof(ename), "Hard disk %zu", i + 1);
        rasd r = {.address_on_parent = unit,
                  .description = "Hard disk",
                  .element_name = ename,
                  .host_resource = host,
                  .instance_id = id++,
                  .parent = parent,
                  .resource_type = 17,
                  .virtual_quantity = -1};
        item(b, &r, NULL);
    }
    vn_vmx_nic nics[VN_VMX_HW_MAX];
    memcpy(nics, hw->nics, hw->nnics * sizeof(nics[0]));
    qsort(nics, hw->nnics, sizeof(nics[0]), nic_cmp);
    for (size_t i = 0; i < hw->nnics; i++) {
        const char *type = nic_type(nics[i].dev);
        if (!type) {
            char key[48];
            snprintf(key, sizeof(key), "%s.virtualDev", nics[i].prefix);
            return vn_fail_at(err, VN_EINPUT, in->vmx_name, vn_vmx_line(vmx, key),
                              "%s = \"%s\" has no OVF network adapter type (expected vmxnet3, "
                              "e1000e or e1000)",
                              key, nics[i].dev);
        }
        const char *net = nic_network(vmx, &nics[i]);
        char desc[256];
        snprintf(desc, sizeof(desc), "%s ethernet adapter on \"%s\"", type, net);
        snprintf(ename, sizeof(ename), "Network adapter %zu", i + 1);
        rasd r = {.automatic_allocation = "true",
                  .connection = net,
                  .description = desc,
                  .element_name = ename,
                  .instance_id = id++,
                  .resource_subtype = type,
                  .resource_type = 10,
                  .virtual_quantity = -1};
        item(b, &r, NULL);
    }

    /* S3 as the API property; firmware and Secure Boot the same way. */
    config(b, "vmw:Config", "nestedHVEnabled", "true");
    const char *fw = vn_vmx_get(vmx, "firmware");
    int efi = fw && strcasecmp(fw, "efi") == 0;
    config(b, "vmw:Config", "firmware", efi ? "efi" : "bios");
    if (efi)
        config(b, "vmw:Config", "bootOptions.efiSecureBootEnabled",
               vn_vmx_bool(vn_vmx_get(vmx, "uefi.secureBoot.enabled"), 0) ? "true" : "false");
    config(b, "vmw:ExtraConfig", "disk.EnableUUID", "TRUE");
    for (size_t i = 0; i < nd; i++) {
        char key[64];
        snprintf(key, sizeof(key), "%s.virtualSSD", disks[i]->prefix);
        if (vn_vmx_bool(vn_vmx_get(vmx, key), 0))
            config(b, "vmw:ExtraConfig", key, "1");
    }
    vn_buf_adds(b, "    </VirtualHardwareSection>\n");
    return VN_OK;
}

int vn_ovfw_render(const vn_ovfw_input *in, vn_buf *out, vn_error *err)
{
    vn_vmx_hw *hw = vn_xmalloc(sizeof(*hw));
    vn_vmx_hw_read(in->vmx, hw);
    vn_buf b = VN_BUF_INIT;
    vn_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    vn_buf_adds(&b, "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\""
                    " xmlns:cim=\"http://schemas.dmtf.org/wbem/wscim/1/common\""
                    " xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\""
                    " xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                    "CIM_ResourceAllocationSettingData\""
                    " xmlns:vmw=\"http://www.vmware.com/schema/ovf\""
                    " xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
                    "CIM_VirtualSystemSettingData\""
                    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n");
    references_and_disks(&b, in);
    const char *nets[VN_VMX_HW_MAX];
    network_section(&b, nets, networks(in->vmx, hw, nets));
    vn_buf_adds(&b, "  <VirtualSystem");
    attr(&b, "ovf:id", in->name);
    vn_buf_adds(&b, ">\n    <Info>A Nested ESXi virtual machine</Info>\n");
    elem(&b, 4, "Name", in->name);
    os_section(&b, in->rel);
    int rc = hardware_section(&b, in, hw, err);
    if (rc == VN_OK) {
        product_section(&b, in->rel, in->props);
        vn_buf_adds(&b, "  </VirtualSystem>\n</Envelope>\n");
        vn_buf_add(out, b.data, b.len);
    }
    vn_buf_free(&b);
    free(hw);
    return rc;
}
