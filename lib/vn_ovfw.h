/* vn_ovfw: the OVF descriptor (DMTF DSP0243) of a Nested ESXi appliance,
 * written from the VM's .vmx (formats.md section 4).
 *
 * What it carries and why:
 * - OperatingSystemSection id 104 (VMware ESXi) with the release's
 *   vmw:osType, VirtualSystemType vmx-NN from virtualHW.version;
 * - CPU (with cores per socket), memory, every disk controller (PVSCSI is
 *   ResourceSubType VirtualSCSI; NVMe and SATA are ResourceType 20), the
 *   disks on their controller and unit, the NICs (VmxNet3...) on networks
 *   listed in NetworkSection; CD-ROMs, floppies and serial ports are left
 *   out (an installer ISO does not travel with an appliance);
 * - vmw:Config nestedHVEnabled=true (S3: the API property, which importers
 *   apply; vhv.enable as ExtraConfig is dropped or refused by them), the
 *   firmware and Secure Boot as vmw:Config as well;
 * - vmw:ExtraConfig only for VMX-only knobs the profile wants:
 *   disk.EnableUUID and scsiX:Y.virtualSSD of the vSAN disks;
 * - a ProductSection of vApp properties for the chosen guestinfo.* keys
 *   (S16), delivered by the com.vmware.guestInfo transport.
 * Elements are written in the schema's sequence order; the rasd children of
 * every Item in alphabetical order, as the CIM schema requires. */
#ifndef VN_OVFW_H
#define VN_OVFW_H

#include <stddef.h>
#include <stdint.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_release.h"
#include "vn_vmx.h"

/* The vApp properties an appliance can offer (keys guestinfo.NAME, as the
 * widely used Nested ESXi appliance and its deployment scripts name them). */
typedef enum vn_ovf_prop {
    VN_PROP_HOSTNAME,
    VN_PROP_IPADDRESS,
    VN_PROP_NETMASK,
    VN_PROP_GATEWAY,
    VN_PROP_DNS,
    VN_PROP_DOMAIN,
    VN_PROP_NTP,
    VN_PROP_SSH,
    VN_PROP_PASSWORD,
    VN_PROP_CREATEVMFS,
    VN_PROP_COUNT
} vn_ovf_prop;

#define VN_PROPS_ALL ((1u << VN_PROP_COUNT) - 1u)

/* "hostname,ipaddress,..." (or "all", or "none") -> mask. An unknown name
 * is VN_EINPUT naming `where` and listing the accepted names. */
int vn_ovf_props_parse(const char *list, const char *where, unsigned *mask, vn_error *err);
const char *vn_ovf_prop_name(vn_ovf_prop p); /* "hostname" */

/* One disk of the appliance, in the order vn_vmx_hw_disks() gives. */
typedef struct vn_ovfw_disk {
    const char *href;   /* its file in the OVA: "esxi-01-disk1.vmdk" */
    uint64_t capacity;  /* virtual size, bytes */
    uint64_t size;      /* size of the streamOptimized file, bytes */
    uint64_t populated; /* bytes of data it holds (ovf:populatedSize) */
} vn_ovfw_disk;

typedef struct vn_ovfw_input {
    const vn_vmx *vmx;
    const char *vmx_name; /* for error messages */
    const vn_release *rel;
    const char *name; /* the VirtualSystem's name */
    const vn_ovfw_disk *disks;
    size_t ndisks;
    unsigned props; /* VN_PROP_* bits */
} vn_ovfw_input;

/* Appends the descriptor to `out`. VN_EINPUT, naming the VMX line, for
 * hardware that cannot be described (an unknown controller or NIC type, a
 * disk count that does not match the VMX). */
int vn_ovfw_render(const vn_ovfw_input *in, vn_buf *out, vn_error *err);

#endif
