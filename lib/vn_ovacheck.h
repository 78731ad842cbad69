/* vn_ovacheck: everything `ova check` (and `ova import`, before it sends
 * anything) knows about an OVF package: the archive and its manifest
 * (vn_ovaread), the descriptor's structure and its files (vn_ovf), and the
 * profile's findings on the virtual hardware it describes, in one list. */
#ifndef VN_OVACHECK_H
#define VN_OVACHECK_H

#include "vn_ovaread.h"
#include "vn_ovf.h"

typedef struct vn_ova_report {
    vn_ova ova;
    vn_ovf ovf;
    const vn_release *rel;
    const char *rel_source; /* "--esxi", "vmw:osType" or "assumed" */
    unsigned role;
    vn_findings findings; /* package, structure, then profile findings */
} vn_ova_report;

/* Digests to verify: every member (check), or only the descriptor's own
 * line (import, which verifies each disk while it uploads it). */
#define VN_OVA_VERIFY_ALL        1
#define VN_OVA_VERIFY_DESCRIPTOR 2

/* Opens and checks the package at `path`. `esxi` (NULL: from the
 * descriptor) is parsed as --esxi. Malformed input is VN_EINPUT; the
 * package's problems are findings. Free `r` in every case. */
int vn_ova_check(const char *path, const char *esxi, unsigned role, int verify, vn_ova_report *r,
                 vn_error *err);
void vn_ova_report_free(vn_ova_report *r);

/* The File hrefs of the descriptor in References order, for the archive
 * checks (borrowed pointers; free the array). */
const char **vn_ova_hrefs(const vn_ovf *ovf, long long **sizes);

#endif
