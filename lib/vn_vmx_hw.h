/* vn_vmx_hw: the virtual hardware a .vmx describes (NICs, controllers,
 * disks, CD-ROMs), read from its `<device>.present` keys. Profile rules ask
 * questions of this model rather than of raw keys. */
#ifndef VN_VMX_HW_H
#define VN_VMX_HW_H

#include <stddef.h>

#include "vn_vmx.h"

#define VN_VMX_HW_MAX 256 /* far above VMware's limits (10 NICs, 4x64 SCSI...) */

typedef enum vn_bus { VN_BUS_SCSI, VN_BUS_NVME, VN_BUS_SATA, VN_BUS_IDE, VN_BUS_COUNT } vn_bus;

typedef struct vn_vmx_nic {
    int index;          /* N of ethernetN */
    char prefix[24];    /* "ethernet0" */
    const char *dev;    /* ethernetN.virtualDev, NULL if absent */
    const char *addrty; /* ethernetN.addressType, NULL if absent */
} vn_vmx_nic;

typedef struct vn_vmx_ctrl {
    vn_bus bus;
    int index;
    char prefix[24]; /* "scsi0" */
    const char *dev; /* scsiN.virtualDev (SCSI only), NULL if absent */
} vn_vmx_ctrl;

typedef struct vn_vmx_dev {
    vn_bus bus;
    int ctrl, unit;
    char prefix[32];     /* "scsi0:1" */
    const char *type;    /* deviceType, NULL if absent */
    const char *file;    /* fileName, NULL if absent */
    int is_cdrom;        /* deviceType cdrom-* or atapi-cdrom */
    int start_connected; /* startConnected (default TRUE) */
} vn_vmx_dev;

typedef struct vn_vmx_hw {
    vn_vmx_nic nics[VN_VMX_HW_MAX];
    size_t nnics;
    vn_vmx_ctrl ctrls[VN_VMX_HW_MAX];
    size_t nctrls;
    vn_vmx_dev devs[VN_VMX_HW_MAX]; /* sorted: bus order above, controller, unit */
    size_t ndevs;
} vn_vmx_hw;

/* Fills `hw` (pointers refer into `vmx`: valid until it changes). */
void vn_vmx_hw_read(const vn_vmx *vmx, vn_vmx_hw *hw);

/* The disks (not CD-ROMs), in order; the first is the boot disk. */
size_t vn_vmx_hw_disks(const vn_vmx_hw *hw, const vn_vmx_dev **out, size_t max);

const char *vn_bus_name(vn_bus bus);

/* VMware booleans: "TRUE"/"true"/"1"/"yes" -> 1, "FALSE"/"0"/"no" -> 0,
 * absent or anything else -> `dflt`. */
int vn_vmx_bool(const char *value, int dflt);

/* Decimal value of `key`, or `dflt` when absent or not a number. */
long vn_vmx_long(const vn_vmx *vmx, const char *key, long dflt);

#endif
