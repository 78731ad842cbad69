/* vn_labfile: the lab file, one YAML document describing a whole Nested
 * ESXi lab: where it goes (connection, datacenter, cluster or host,
 * datastore, folder, resource pool), the port groups the nested hosts use,
 * the ESXi release and the route (a kickstart ISO per S17 for 7.0 U2 and
 * later, a sealed template before), how many hosts, their names, addresses
 * and guestinfo.* identity (S16), and their hardware (S15 vSAN disks).
 *
 * Everything is checked here, before anything touches vSphere: unknown
 * keys, wrong types and impossible plans (too few addresses for the hosts,
 * duplicate names, count 0) are VN_EINPUT with "FILE:LINE:COLUMN" in
 * err->where and what was expected in the message. */
#ifndef VN_LABFILE_H
#define VN_LABFILE_H

#include <stddef.h>
#include <stdint.h>

#include "vn_error.h"
#include "vn_release.h"

#define VN_LAB_MAX_HOSTS  1000
#define VN_LAB_MAX_PG     8
#define VN_LAB_MAX_GINFO  24
#define VN_LAB_MARKER_KEY "vnest.lab" /* extraConfig key; value: the lab's name */

typedef enum vn_lab_route {
    VN_LAB_ROUTE_KICKSTART, /* create each host empty, boot a kickstart ISO */
    VN_LAB_ROUTE_TEMPLATE,  /* clone a sealed template (6.x to 7.0 U1 only, S17) */
} vn_lab_route;

typedef struct vn_lab_host {
    char name[80];
    char ip[64]; /* "" without an address plan */
} vn_lab_host;

typedef struct vn_labfile {
    char *path; /* as given, for messages */
    char *dir;  /* relative paths in the file are relative to its folder */
    char *name; /* the lab's name: the marker value of every VM it makes */
    /* connection: NULL (insecure -1) falls back to the govc environment */
    char *url, *username, *password_file, *thumbprint, *ca_file, *known_hosts;
    int insecure;
    /* target */
    char *datacenter, *cluster, *host, *datastore, *folder, *pool;
    /* network: every port group is made fit for nested hosts; the hosts'
     * NICs go on the first */
    char *portgroups[VN_LAB_MAX_PG];
    int nportgroups;
    int netmode; /* vn_netmode (vn_apinet.h) */
    /* release and route */
    const vn_release *rel;
    vn_lab_route route;
    char *iso;           /* kickstart: the local installer ISO (absolute) */
    char *iso_folder;    /* kickstart: datastore folder for the built ISO */
    char *template_name; /* template route */
    int allow_unsupported_clone;
    /* hosts */
    int count;
    char *name_format;
    vn_lab_host *hosts;
    int cpus, nics;
    uint64_t memory, boot_disk, vsan_cache, vsan_capacity; /* bytes; 0: default/none */
    char *root_password_file; /* absolute; kickstart rootpw and guestinfo.password */
    int ssh;                  /* -1 unset */
    /* identity shared by every host (guestinfo.KEY without the prefix) */
    char *gi_keys[VN_LAB_MAX_GINFO];
    char *gi_values[VN_LAB_MAX_GINFO];
    int ngi;
    /* timeouts */
    int boot_timeout; /* seconds to wait for the guest to report its identity */
} vn_labfile;

/* Parses `len` bytes of YAML named `path` (for messages and relative
 * paths). On failure `lf` is left empty (vn_labfile_free is still safe). */
int vn_labfile_parse(const char *path, const char *text, size_t len, vn_labfile *lf, vn_error *err);

/* Reads and parses a file. */
int vn_labfile_load(const char *path, vn_labfile *lf, vn_error *err);

void vn_labfile_free(vn_labfile *lf);

#endif
