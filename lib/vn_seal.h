/* vn_seal: the in-guest seal of a Nested ESXi template (SEEDS S5-S11), as
 * a table of operations in the order they run and a generator of the POSIX
 * (busybox) shell script that performs them inside the nested host.
 *
 * The script always starts with a preflight (is this the ESXi the script was
 * made for; S17 for 7.0 U2 and later) and always ends with a clean power-off
 * (/sbin/shutdown.sh, whose backup.sh saves esx.conf, then /sbin/poweroff).
 * Between them run the selected operations, in table order whatever order
 * they were asked in. `system-uuid` is the last row: once /system/uuid is out
 * of esx.conf, nothing but the shutdown may run, since a reboot or
 * `esxcli system uuid get` brings it back (S11). */
#ifndef VN_SEAL_H
#define VN_SEAL_H

#include <stddef.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_release.h"

typedef struct vn_seal_op {
    const char *id;      /* stable, kebab-case: "follow-hw-mac" */
    const char *seed;    /* the SEEDS.md setting: "S7", or "" */
    int default_on;      /* selected when --ops does not say otherwise */
    unsigned releases;   /* VN_REL_* mask of the releases it applies to */
    const char *summary; /* one line, for `seal list` */
    const char *script;  /* shell fragment: the body of the step's function */
} vn_seal_op;

size_t vn_seal_count(void);
const vn_seal_op *vn_seal_at(size_t i);
/* The row named `id`, NULL when there is none. */
const vn_seal_op *vn_seal_find(const char *id);
/* The row's position in the table (its bit in a vn_seal_set). */
size_t vn_seal_index(const vn_seal_op *op);

/* A selection of operations: bit i is row i. */
typedef unsigned long vn_seal_set;

/* The operations on by default that apply to `rel`. */
vn_seal_set vn_seal_defaults(vn_release_id rel);

/* Applies `n` --ops values in order to the defaults of `rel`. Each value is
 * a comma-separated list of items: NAME or +NAME adds, -NAME removes, `all`
 * adds every operation that applies to the release, `none` removes all.
 * Errors (VN_EINPUT, where "--ops"): an unknown name (quoted, with the known
 * ones listed), an empty item, adding an operation that does not apply to
 * the release, and an empty selection. */
int vn_seal_select(const char *const *specs, size_t n, vn_release_id rel, vn_seal_set *out,
                   vn_error *err);

/* The clone policy (S17): a release without template_clone_ok (7.0 U2 and
 * later) is refused unless `allow_unsupported`, with a VN_EINPUT error on
 * "--esxi" that explains why and points to `vnest ks new`. */
int vn_seal_policy(const vn_release *rel, int allow_unsupported, vn_error *err);

/* Appends the seal script for `rel` running the operations in `set` to
 * `out`. Applies vn_seal_policy first. The script reads the environment
 * variable ESXSIM_ROOT (a test hook, unset on a real host): a directory put
 * in front of every path the script opens or runs by itself (esx.conf,
 * boot.cfg, DHCP leases, /sbin/auto-backup.sh, /sbin/shutdown.sh,
 * /sbin/poweroff), so the tests can run it in a simulated ESXi root. */
int vn_seal_script(const vn_release *rel, vn_seal_set set, int allow_unsupported, vn_buf *out,
                   vn_error *err);

/* The ids in `set`, in table order, joined by `sep` ("ssh,vmknics"). */
void vn_seal_set_text(vn_seal_set set, const char *sep, vn_buf *out);

#endif
