/* vn_ovaread: reading an OVF package, either an OVA (a tar archive: ustar,
 * with the pax and GNU extensions big disks need) or a plain .ovf with its
 * files beside it.
 *
 * The reader lists the members in archive order, bounded (no member may run
 * past the end of the file, no header is trusted for more than it says),
 * reads the descriptor and the manifest, and digests members by streaming
 * them, so a disk of any size is checked in constant memory. What is wrong
 * with the package (member order, manifest lines, digests) is reported as
 * findings against the package rules below, so `ova check` shows them in
 * the same table as the profile's; what makes the package unreadable (a
 * truncated or corrupt archive) is an error. */
#ifndef VN_OVAREAD_H
#define VN_OVAREAD_H

#include <stddef.h>

#include "vn_profile.h"

/* Rules of the package itself (not in the profile's table: they are about
 * the container, not the VM). */
extern const vn_rule vn_ova_rule_order;    /* "ova-order" */
extern const vn_rule vn_ova_rule_manifest; /* "ova-manifest" */
extern const vn_rule vn_ova_rule_files;    /* "ova-files": members vs References */

typedef struct vn_ova_member {
    char *name;                /* the member name (an href of the descriptor) */
    char *path;                /* a plain OVF's sibling file; NULL in an archive */
    unsigned long long offset; /* of the data in the archive */
    unsigned long long size;
} vn_ova_member;

typedef enum vn_digest_alg { VN_DIGEST_SHA1, VN_DIGEST_SHA256, VN_DIGEST_SHA512 } vn_digest_alg;

typedef struct vn_ova_digest {
    vn_digest_alg alg;
    char *name;
    char hex[129]; /* lower case */
    int line;      /* in the manifest */
} vn_ova_digest;

typedef struct vn_ova {
    char *path;               /* the package as given */
    int is_archive;           /* 1: .ova; 0: a plain .ovf with sibling files */
    int fd;                   /* the archive, or -1 */
    const unsigned char *mem; /* an archive held in memory (tests, fuzzing), or NULL */
    unsigned long long mem_len;
    vn_ova_member *m;
    size_t n, cap;
    char *ovf; /* the descriptor text, NUL-terminated */
    size_t ovf_len;
    char *ovf_name;
    char *mf_name; /* NULL when the package has no manifest */
    vn_ova_digest *dig;
    size_t ndig;
    int dig_overflow; /* lines past the limit were ignored */
} vn_ova;

/* Opens FILE.ova (any name: a tar is recognised by its content) or
 * FILE.ovf, lists the members, reads the descriptor and the manifest. Order
 * and manifest-syntax problems go to `out`; an unreadable package is
 * VN_EINPUT naming the file and the member. */
int vn_ova_open(const char *path, vn_ova *ova, vn_findings *out, vn_error *err);
/* The same on an archive in memory (kept by reference: it must outlive ova). */
int vn_ova_open_mem(const void *data, size_t len, const char *name, vn_ova *ova, vn_findings *out,
                    vn_error *err);
void vn_ova_close(vn_ova *ova);

/* The member called `name`, or NULL. For a plain OVF, a sibling file is
 * looked up (and added) on first use; names that leave the folder ("..",
 * "/", URLs) are never resolved. */
const vn_ova_member *vn_ova_member_find(vn_ova *ova, const char *name);

/* Checks that the references (the descriptor's File hrefs, in References
 * order, with their declared sizes, -1 when not declared) are present once
 * each, in that order, after the descriptor and manifest, with the declared
 * sizes, and that every other member is accounted for. */
void vn_ova_check_files(vn_ova *ova, const char *const *hrefs, const long long *sizes, size_t n,
                        vn_findings *out);

/* Verifies every manifest line against its member, streaming. Findings for
 * a mismatch, a missing member, a member the manifest does not list, or a
 * SHA-1 manifest. I/O failure is VN_ERUNTIME. */
int vn_ova_verify_manifest(vn_ova *ova, vn_findings *out, vn_error *err);

/* Streams member `m` through `cb` in pieces (for an upload or a digest);
 * `cb` returns non-zero to stop (that value is returned). */
typedef int (*vn_ova_chunk_fn)(void *ctx, const void *data, size_t len);
int vn_ova_read_member(vn_ova *ova, const vn_ova_member *m, vn_ova_chunk_fn cb, void *ctx,
                       vn_error *err);

/* Maps member `m` read-only (an upload from it needs no copy in memory).
 * Release with vn_ova_unmap(). */
int vn_ova_map_member(vn_ova *ova, const vn_ova_member *m, const void **data, void **map_base,
                      size_t *map_len, vn_error *err);
void vn_ova_unmap(void *map_base, size_t map_len);

/* The digest of member `m` with `alg`, as lower-case hex. */
int vn_ova_digest_member(vn_ova *ova, const vn_ova_member *m, vn_digest_alg alg, char hex[129],
                         vn_error *err);

/* The manifest line for `name`, or NULL. */
const vn_ova_digest *vn_ova_manifest_find(const vn_ova *ova, const char *name);

const char *vn_digest_alg_name(vn_digest_alg alg);

#endif
