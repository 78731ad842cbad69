/* vn_vimovf: the vSphere calls of an OVF import: OvfManager.CreateImportSpec,
 * ResourcePool.ImportVApp and the HttpNfcLease that the disks are uploaded
 * through (wait until ready, progress, complete, abort). Request bodies
 * follow the vim25 schema's element order. */
#ifndef VN_VIMOVF_H
#define VN_VIMOVF_H

#include "vn_vim.h"

typedef struct vn_ovf_netmap {
    const char *name; /* the descriptor's Network ovf:name */
    vn_mor network;   /* the inventory network it maps to */
} vn_ovf_netmap;

typedef struct vn_import_params {
    const char *descriptor; /* the .ovf text */
    const char *entity_name;
    vn_mor pool, datastore;
    const vn_mor *host; /* NULL: the server chooses */
    const vn_ovf_netmap *nets;
    size_t nnets;
    const char *const *prop_keys; /* vApp property values (propertyMapping) */
    const char *const *prop_values;
    size_t nprops;
    const char *disk_provisioning; /* "thin", "thick", "eagerZeroedThick"... */
} vn_import_params;

typedef struct vn_ovf_file_item {
    char *device_id; /* matches a lease deviceUrl's importKey */
    char *path;      /* the descriptor's href */
    long long size;
    int create; /* 1: a new file; 0: an update of an existing one (vcsim: always 0) */
} vn_ovf_file_item;

typedef struct vn_import_spec {
    char spec_type[64]; /* xsi:type of importSpec: VirtualMachineImportSpec */
    char *spec_xml;     /* its children, as the server wrote them */
    vn_ovf_file_item *items;
    size_t nitems;
    char *warnings; /* "; "-separated, or NULL */
} vn_import_spec;

/* CreateImportSpec. The result's error list is VN_EINPUT naming the
 * descriptor (the server refused what it describes), with every message. */
int vn_vimovf_create_import_spec(vn_vim *vim, const vn_import_params *p, vn_import_spec *out,
                                 vn_error *err);
void vn_import_spec_free(vn_import_spec *s);

/* ImportVApp: creates the VM (not yet usable) and returns its lease. */
int vn_vimovf_import_vapp(vn_vim *vim, const vn_mor *pool, const vn_import_spec *spec,
                          const vn_mor *folder, const vn_mor *host, vn_mor *lease, vn_error *err);

typedef struct vn_lease_url {
    char *import_key, *url;
} vn_lease_url;

typedef struct vn_lease_info {
    vn_mor entity; /* the VM being imported */
    vn_lease_url *urls;
    size_t nurls;
} vn_lease_info;

/* Waits (polling its state, at most timeout_s) until the lease is ready,
 * then reads its info. A lease in state error is VN_ERUNTIME with its
 * fault. */
int vn_vimovf_lease_wait(vn_vim *vim, const vn_mor *lease, vn_lease_info *info, int timeout_s,
                         vn_error *err);
void vn_lease_info_free(vn_lease_info *info);
const vn_lease_url *vn_lease_url_find(const vn_lease_info *info, const char *import_key);

int vn_vimovf_lease_progress(vn_vim *vim, const vn_mor *lease, int percent, vn_error *err);
int vn_vimovf_lease_complete(vn_vim *vim, const vn_mor *lease, vn_error *err);
/* Abort with a reason (a LocalizedMethodFault SystemError carrying `why`). */
int vn_vimovf_lease_abort(vn_vim *vim, const vn_mor *lease, const char *why, vn_error *err);

#endif
