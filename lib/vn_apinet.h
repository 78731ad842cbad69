/* vn_apinet: the host side of the profile through the vSphere API: the
 * port groups nested hosts are connected to (SEEDS S13, S14).
 *
 * A nested ESXi host's VMs send and receive frames with MAC addresses that
 * are not the nested host's vNIC's own. The outer switch drops them unless
 *  - standard vSwitch or vDS before 6.6.0 (S13): promiscuous mode and forged
 *    transmits are accepted on the port group (MAC changes too, advisable);
 *  - vDS 6.6.0 or later (S14): forged transmits accepted and MAC learning
 *    on; promiscuous mode is then not needed (and costs throughput).
 *
 * Reading: one RetrievePropertiesEx over a ContainerView returns every
 * host's standard port groups, every distributed port group and every
 * distributed switch's version. Writing: HostNetworkSystem.UpdatePortGroup
 * per host (read-modify-write of the port group's spec) and
 * ReconfigureDVPortgroup_Task per distributed port group (configVersion as
 * read, retried on ConcurrentAccess). */
#ifndef VN_APINET_H
#define VN_APINET_H

#include "vn_profile.h"
#include "vn_vimprop.h"

/* Security settings as read: each -1 (unset), 0 (false) or 1 (true). */
typedef struct vn_netsec {
    int promiscuous;
    int mac_changes;
    int forged;
} vn_netsec;

/* A standard port group on one host. */
typedef struct vn_stdpg {
    vn_mor host;
    char host_name[256];
    vn_mor netsys; /* the host's HostNetworkSystem */
    char name[256];
    char vlan[16];      /* spec.vlanId as read */
    char vswitch[256];  /* spec.vswitchName */
    vn_netsec spec;     /* spec.policy.security: the port group's overrides */
    vn_netsec computed; /* computedPolicy.security: what is in effect */
    /* spec.policy's other children (nicTeaming, offloadPolicy,
     * shapingPolicy...) re-serialised as read, so an update keeps them. */
    char *policy_rest;
} vn_stdpg;

/* A distributed port group and its switch. */
typedef struct vn_dvpg {
    vn_mor mor;
    char name[256];
    char key[128];
    char config_version[64]; /* "" when the server reports none (vcsim) */
    vn_mor dvs;
    char dvs_name[256];
    char dvs_uuid[128];
    char dvs_version[32]; /* summary.productInfo.version, "" if unknown */
    /* config.defaultPortConfig.macManagementPolicy (API 6.7+) */
    int has_mac_policy;
    vn_netsec mac;
    int learning; /* macLearningPolicy.enabled */
    int flooding; /* macLearningPolicy.allowUnicastFlooding */
    long limit;   /* macLearningPolicy.limit, -1 unset */
    char limit_policy[16];
    /* config.defaultPortConfig.securityPolicy (the pre-6.7 form) */
    int has_security;
    vn_netsec legacy;
} vn_dvpg;

typedef struct vn_netpgs {
    vn_stdpg *std;
    size_t nstd, cap_std;
    vn_dvpg *dv;
    size_t ndv, cap_dv;
    /* every switch seen: to resolve each port group's switch afterwards */
    struct vn_netdvs *dvs;
    size_t ndvs, cap_dvs;
    char *name; /* the port group name looked for */
} vn_netpgs;

/* How a distributed port group is made fit for nested hosts. */
typedef enum vn_netmode {
    VN_NETMODE_AUTO,        /* MAC learning when the switch has it, else promiscuous */
    VN_NETMODE_PROMISCUOUS, /* S13: promiscuous + forged transmits + MAC changes */
    VN_NETMODE_MACLEARN,    /* S14: MAC learning + forged transmits, promiscuous off */
} vn_netmode;

/* "auto", "promiscuous", "maclearn"; -1 when unknown. */
int vn_netmode_parse(const char *text);
const char *vn_netmode_name(vn_netmode mode);

/* Compares dotted versions numerically ("6.6.0" < "6.10"): <0, 0, >0. */
int vn_version_cmp(const char *a, const char *b);

/* Reads every port group named `name`: the standard ones of every host
 * that has one and the distributed ones, in one RetrievePropertiesEx.
 * None anywhere: VN_EINPUT "no port group named ...". */
int vn_apinet_read(vn_vim *vim, const char *name, vn_netpgs *out, vn_error *err);
void vn_netpgs_free(vn_netpgs *p);

/* The pieces of vn_apinet_read, exposed for tests: start an empty set,
 * feed each <objects> node of a retrieve (HostSystem, distributed port
 * group or switch), then resolve each port group's switch. */
void vn_netpgs_init(vn_netpgs *p, const char *name);
void vn_netpgs_take(vn_netpgs *p, const vn_mor *obj, const vn_xnode *obj_node);
void vn_netpgs_finish(vn_netpgs *p);

/* True when the server's API knows macManagementPolicy (6.7 or later). */
int vn_apinet_api_mac(const vn_vim *vim);

/* True when the port group's switch is 6.6.0 or later (MAC learning). */
int vn_dvpg_can_learn(const vn_dvpg *pg);

/* The mode `asked` resolves to for this port group: auto becomes maclearn
 * when the switch is 6.6.0+ and the API 6.7+, else promiscuous. maclearn on
 * a switch or API without MAC learning is VN_EINPUT, saying why. */
int vn_dvpg_mode(const vn_dvpg *pg, vn_netmode asked, int api_mac, vn_netmode *used, vn_error *err);

/* The findings for a standard port group (S13 on its effective policy):
 * allowPromiscuous and forgedTransmits not true are errors, macChanges not
 * true is info. Each is fixable by vn_apinet_update_pg. */
void vn_apinet_check_std(const vn_stdpg *pg, vn_findings *out);

/* The findings for a distributed port group judged for `mode` (resolved,
 * not auto): the settings that differ from it, all fixable by
 * vn_apinet_reconfigure_dvpg in that mode. `api_mac` selects the property
 * names (macManagementPolicy or securityPolicy). */
void vn_apinet_check_dvpg(const vn_dvpg *pg, vn_netmode mode, int api_mac, vn_findings *out);

/* Request bodies (exposed for tests). UpdatePortGroup: the port group's
 * spec as read, with policy.security all true. */
void vn_apinet_update_pg_body(const vn_stdpg *pg, vn_buf *body);
/* ReconfigureDVPortgroup_Task: configVersion and name as read, and a
 * defaultPortConfig holding only the MAC management (or, before API 6.7,
 * security) policy of `mode`. */
void vn_apinet_dvpg_body(const vn_dvpg *pg, vn_netmode mode, int api_mac, vn_buf *body);

/* Runs UpdatePortGroup on the port group's host. */
int vn_apinet_update_pg(vn_vim *vim, const vn_stdpg *pg, vn_error *err);

/* Runs ReconfigureDVPortgroup_Task and waits for it. On ConcurrentAccess
 * (another change raced ours: our configVersion is stale) re-reads the port
 * group and, if it still differs, tries again, up to 3 retries. `pg` is
 * updated with what was re-read; `attempts` (may be NULL) gets the number
 * of calls made. */
int vn_apinet_reconfigure_dvpg(vn_vim *vim, vn_dvpg *pg, vn_netmode mode, int api_mac,
                               int *attempts, vn_error *err);

#endif
