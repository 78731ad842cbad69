/* vn_knownhosts: the pieces of vn_http's trust set-up that are plain text
 * work: "host:port" normalization, thumbprint parsing and govc's
 * known_hosts files. vn_known_hosts_find() itself is declared in vn_http.h. */
#ifndef VN_KNOWNHOSTS_H
#define VN_KNOWNHOSTS_H

#include <stddef.h>

#include "vn_error.h"

#define VN_HOST_MAX  300
#define VN_THUMB_MAX 96 /* 32 bytes as "AA:" ... "FF" plus NUL */

/* A certificate pin: the digest, its "AA:BB:..." form and where it came
 * from ("--thumbprint" or a known_hosts path, owned). */
typedef struct vn_pin {
    unsigned char md[32];
    size_t len; /* 0: none; 20: SHA-1; 32: SHA-256 */
    char hex[VN_THUMB_MAX];
    char *source;
} vn_pin;

/* "AA:bb:..." (any case) of 20 or 32 bytes -> bytes; returns the count or 0. */
size_t vn_parse_thumb(const char *s, size_t len, unsigned char out[32]);

/* Splits "host", "host:port", "[v6]" or "[v6]:port" (`len` bytes) into a
 * normalized "host:port" (lower case, default `defport`). Returns 0, or -1
 * when it is not a host. */
int vn_norm_hostport(const char *s, size_t len, long defport, char *out, size_t n);

/* Looks `hostport` up in every file of the ':'-separated `list` (missing
 * files skipped, a later file wins) and fills `pin` when found. A bad line
 * is VN_EINPUT naming FILE:LINE. */
int vn_known_hosts_pin(const char *list, const char *hostport, vn_pin *pin, vn_error *err);

#endif
