/* vn_ovf: the OVF descriptor (DMTF DSP0243) of a Nested ESXi appliance,
 * read with vn_xml like SOAP replies (no DTD, so no entity expansion and
 * nothing fetched), namespace-aware.
 *
 * It keeps what an import and the profile need: References, DiskSection,
 * NetworkSection, the (first) VirtualSystem's OperatingSystemSection,
 * VirtualHardwareSection (System, Items, vmw:Config, vmw:ExtraConfig) and
 * ProductSection properties. vn_ovf_validate() checks the structure
 * (required elements, every reference resolving); vn_ovf_vmx() expresses the
 * hardware as the .vmx keys it stands for, so the VMX adapter of the
 * profile judges an OVF exactly as it judges a .vmx (the way
 * vn_profile_api.c does for API VMs), and vn_ovf_check() renames those
 * findings to the OVF element that carries each setting. */
#ifndef VN_OVF_H
#define VN_OVF_H

#include <stddef.h>

#include "vn_profile.h"
#include "vn_vmx.h"

extern const vn_rule vn_ovf_rule_structure; /* "ovf-structure" */

typedef struct vn_ovf_kv {
    char *key, *value;
    int line;
} vn_ovf_kv;

typedef struct vn_ovf_file {
    char *id, *href;
    long long size; /* -1 when ovf:size is absent */
    int line;
} vn_ovf_file;

typedef struct vn_ovf_disk {
    char *id, *file_ref, *format, *capacity, *units;
    unsigned long long capacity_bytes; /* 0 when not a number (e.g. "${prop}") */
    int line;
} vn_ovf_disk;

typedef struct vn_ovf_item {
    int type;         /* rasd:ResourceType, -1 when absent or not a number */
    char *instance;   /* rasd:InstanceID */
    char *name;       /* rasd:ElementName */
    char *subtype;    /* rasd:ResourceSubType */
    char *parent;     /* rasd:Parent */
    char *host;       /* rasd:HostResource (first) */
    char *connection; /* rasd:Connection (first) */
    char *address, *address_on_parent, *units, *automatic;
    long long quantity; /* rasd:VirtualQuantity, -1 when absent */
    long long cores;    /* vmw:CoresPerSocket, -1 when absent */
    vn_ovf_kv *config;  /* vmw:Config inside the item */
    size_t nconfig;
    int line;
    char prefix[48]; /* set by vn_ovf_vmx(): "scsi0", "ethernet1", "scsi0:0" */
} vn_ovf_item;

typedef struct vn_ovf_prop {
    char *key; /* the environment key: class.key.instance (class/instance when set) */
    char *type, *value, *label, *qualifiers;
    int password, user_configurable;
    int line;
} vn_ovf_prop;

typedef struct vn_ovf {
    vn_ovf_file *files;
    size_t nfiles;
    vn_ovf_disk *disks;
    size_t ndisks;
    char **networks;
    size_t nnetworks;
    char *vs_id, *vs_name;
    int is_collection; /* the first VirtualSystem of a VirtualSystemCollection was read */
    char *os_id, *os_version, *os_type;
    int os_line;
    char *system_type; /* vssd:VirtualSystemType: "vmx-20" or a list */
    int system_line, hw_line;
    char *transport; /* VirtualHardwareSection ovf:transport */
    vn_ovf_item *items;
    size_t nitems;
    vn_ovf_kv *config, *extra; /* hardware-level vmw:Config and vmw:ExtraConfig */
    size_t nconfig, nextra;
    vn_ovf_prop *props;
    size_t nprops;
} vn_ovf;

/* Parses a descriptor. Not XML, a DTD (refused: the entity attacks need one),
 * or not an OVF Envelope with a VirtualSystem is VN_EINPUT naming `name`
 * and the line. */
int vn_ovf_parse(const char *data, size_t len, const char *name, vn_ovf *ovf, vn_error *err);
void vn_ovf_free(vn_ovf *ovf);

/* Structural findings (rule ovf-structure): missing required parts,
 * references that do not resolve (Disk fileRef -> File, HostResource ->
 * Disk or File, Parent -> a controller's InstanceID, Connection -> Network),
 * duplicate ids, capacities that are not numbers with known units, settings
 * importers drop (vhv.enable as ExtraConfig). */
void vn_ovf_validate(const vn_ovf *ovf, vn_findings *out);

/* The hardware as .vmx keys (guestOS, virtualHW.version, numvcpus, memsize,
 * scsiN.virtualDev, scsiN:U.fileName, ethernetN.virtualDev, vhv.enable,
 * firmware, the ExtraConfig entries...). Fills each item's prefix. */
vn_vmx *vn_ovf_vmx(vn_ovf *ovf);

/* The release the descriptor names (vmw:osType, or id 104 with a version),
 * NULL when it does not say. */
const vn_release *vn_ovf_release(const vn_ovf *ovf);

/* The profile's findings for the rules the OVF surface carries, keys named
 * as the descriptor spells them ("vmw:Config nestedHVEnabled",
 * "Item 'Network adapter 1' ResourceSubType", ...) with the line. */
void vn_ovf_check(vn_ovf *ovf, const vn_release *rel, unsigned role, vn_findings *out);

/* Disk capacity in bytes from ovf:capacity and ovf:capacityAllocationUnits
 * ("byte * 2^30", "byte * 1024", "GigaBytes"...); 0 when not understood. */
unsigned long long vn_ovf_capacity(const char *capacity, const char *units);

/* The first File/Disk with that id, or NULL. */
const vn_ovf_file *vn_ovf_file_by_id(const vn_ovf *ovf, const char *id);
const vn_ovf_disk *vn_ovf_disk_by_id(const vn_ovf *ovf, const char *id);
const vn_ovf_prop *vn_ovf_prop_find(const vn_ovf *ovf, const char *key);

#endif
