/* vn_viminv: finding inventory objects by name, and the placement of a new
 * VM (folder, resource pool, datastore, network), resolved before anything
 * is created: a missing name is an error up front, never a half-made VM. */
#ifndef VN_VIMINV_H
#define VN_VIMINV_H

#include "vn_vim.h"

/* Finds the one object of `type` named `name` (vCenter stores '/', '\' and
 * '%' escaped as %2f, %5c, %25: compared unescaped). Not found or more than
 * one is VN_EINPUT naming `what` (the flag or setting). Returns 1 when found,
 * 0 when absent and `optional`, else an error code. */
int vn_inv_find(vn_vim *vim, const char *type, const char *name, const char *what, vn_mor *out,
                int optional, vn_error *err);

typedef struct vn_placement {
    vn_mor datacenter, folder, pool, host, datastore;
    char datastore_name[256];
    int has_host;
    /* network backing */
    char network_name[256];
    vn_mor network;
    int is_dvpg;
    char switch_uuid[128];
    char portgroup_key[128];
} vn_placement;

typedef struct vn_place_req {
    const char *datacenter, *folder, *pool, *host, *datastore, *network;
} vn_place_req;

/* Resolves every part of a placement; each unnamed part defaults to the
 * only candidate, and an ambiguous default is an error asking for the flag. */
int vn_inv_place(vn_vim *vim, const vn_place_req *req, vn_placement *out, vn_error *err);

/* Resolves a network name to its backing (standard or distributed). */
int vn_inv_network(vn_vim *vim, const char *name, vn_placement *out, vn_error *err);

/* The resource pool of a host's compute resource (its cluster or itself):
 * `cr` gets the compute resource, `pool` its root pool. */
int vn_inv_parent_pool(vn_vim *vim, const vn_mor *host, vn_mor *cr, vn_mor *pool, vn_error *err);

/* "%2f" and friends back to characters, into buf. */
const char *vn_inv_unescape(const char *name, char *buf, size_t len);

#endif
