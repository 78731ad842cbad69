/* vn_deploy: clone N nested ESXi hosts from a template, each with its own
 * identity in guestinfo.* (S16: the keys of the widely used Nested ESXi
 * appliance: hostname, ipaddress, netmask, gateway, dns, domain, ntp, ssh,
 * password, createvmfs, vlan, syslog), a bounded number at a time.
 * Idempotent: a clone whose name exists and whose guestinfo matches is
 * skipped; one that exists but differs is reported and left alone. After
 * cloning, each clone is read back and whatever did not carry over (the
 * guestinfo, nested HV) is reconciled with one reconfigure. */
#ifndef VN_DEPLOY_H
#define VN_DEPLOY_H

#include "vn_viminv.h"

#define VN_DEPLOY_MAX_KV 32

typedef enum vn_deploy_status {
    VN_DEPLOY_PENDING,
    VN_DEPLOY_CREATED,
    VN_DEPLOY_SKIPPED,
    VN_DEPLOY_FAILED
} vn_deploy_status;

typedef struct vn_deploy_host {
    char name[128];
    const char *keys[VN_DEPLOY_MAX_KV]; /* "guestinfo.hostname"... */
    char *values[VN_DEPLOY_MAX_KV];
    int nkv;
    vn_deploy_status status;
    char detail[320];
    vn_mor vm;
    vn_mor task;
} vn_deploy_host;

typedef struct vn_deploy_plan {
    vn_mor template_vm;
    vn_placement place;
    vn_deploy_host *hosts;
    int count;
    int parallel;
    int power_on;
} vn_deploy_plan;

/* Called after each step with the number of hosts done so far. */
typedef void (*vn_deploy_progress)(void *ctx, const vn_deploy_host *h, int done, int total);

/* Adds guestinfo.KEY = VALUE to a host ("guestinfo." is prefixed when
 * missing); a later value for the same key replaces the earlier one. */
int vn_deploy_host_set(vn_deploy_host *h, const char *key, const char *value, vn_error *err);

/* Names from a printf-style format with one integer conversion ("esxi-%02d"),
 * numbered from 1. VN_EINPUT naming --name-format otherwise. */
int vn_deploy_name(const char *format, int index, char *out, size_t len, vn_error *err);

/* "10.0.0.11-10.0.0.42" -> the index-th address (0-based); VN_EINPUT when
 * the text is not a range or the range holds fewer than `count`. */
int vn_deploy_ip(const char *range, int index, int count, char *out, size_t len, vn_error *err);

/* Runs the plan. Per-host failures are in the hosts' status; the return is
 * an error only when nothing could be attempted. */
int vn_deploy_run(vn_vim *vim, vn_deploy_plan *plan, vn_deploy_progress progress, void *ctx,
                  vn_error *err);

void vn_deploy_plan_free(vn_deploy_plan *plan);

#endif
