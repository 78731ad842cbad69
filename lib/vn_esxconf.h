/* vn_esxconf: lossless reader/editor of /etc/vmware/esx.conf.
 *
 * Every line is `/path/to/key = "value"` (research formats.md 2.10); empty
 * lines and `#` lines are kept as they are. Untouched lines are written back
 * byte for byte. Arrays are `child[NNNN]` path components. A key that
 * appears more than once reads as its last occurrence. */
#ifndef VN_ESXCONF_H
#define VN_ESXCONF_H

#include <stddef.h>

#include "vn_buf.h"
#include "vn_error.h"

typedef struct vn_esxconf vn_esxconf;

/* Parses `len` bytes; `name` is used in messages ("esx.conf:LINE: ...").
 * A bad line, or a NUL byte, is VN_EINPUT and *out stays NULL. */
int vn_esxconf_parse(const char *text, size_t len, const char *name, vn_esxconf **out,
                     vn_error *err);
void vn_esxconf_free(vn_esxconf *c);

/* Appends the document to out. */
void vn_esxconf_write(const vn_esxconf *c, vn_buf *out);

/* The value of `path` (exact, case-sensitive), or NULL. */
const char *vn_esxconf_get(const vn_esxconf *c, const char *path);
/* 1-based line number of `path` (its last occurrence), 0 when absent. */
int vn_esxconf_line(const vn_esxconf *c, const char *path);

/* Sets `path` (its last occurrence; a new key goes after the last line
 * that shares the longest parent path). Returns 1 if the document changed,
 * 0 if it already held that value, -1 (nothing changed) if the path is not
 * "/..." without spaces, '=' or quotes, or the value holds a quote or a
 * control character. */
int vn_esxconf_set(vn_esxconf *c, const char *path, const char *value);

/* Removes every line of `path`; returns how many. */
int vn_esxconf_remove(vn_esxconf *c, const char *path);

/* The number of settings, and the i-th path and value in file order. */
size_t vn_esxconf_count(const vn_esxconf *c);
const char *vn_esxconf_key_at(const vn_esxconf *c, size_t i);
const char *vn_esxconf_value_at(const vn_esxconf *c, size_t i);

/* A VMkernel NIC: /net/vmkernelnic/child[NNNN]/... Fields are NULL when
 * absent; the strings belong to the document (valid until it changes). */
typedef struct vn_esxconf_vmknic {
    unsigned index; /* NNNN */
    const char *name, *mac, *portgroup, *ipv4address, *ipv4netmask, *dhcp, *enable;
} vn_esxconf_vmknic;

/* The vmknics in order of first appearance: a heap array (caller frees). */
size_t vn_esxconf_vmknics(const vn_esxconf *c, vn_esxconf_vmknic **out);

/* SSH as far as esx.conf tells it: the sshServer firewall ruleset
 * (/firewall/services/sshServer/enabled; the service's own start policy is
 * in /etc/chkconfig.db or ConfigStore, not here). 1 true, 0 false, -1 when
 * absent or not a boolean. */
int vn_esxconf_ssh(const vn_esxconf *c);

#endif
