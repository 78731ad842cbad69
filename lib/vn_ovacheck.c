#include "vn_ovacheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"

const char **vn_ova_hrefs(const vn_ovf *ovf, long long **sizes)
{
    const char **h = vn_xcalloc(ovf->nfiles + 1, sizeof(*h));
    *sizes = vn_xcalloc(ovf->nfiles + 1, sizeof(**sizes));
    size_t n = 0;
    for (size_t i = 0; i < ovf->nfiles; i++) {
        if (!ovf->files[i].href)
            continue;
        (*sizes)[n] = ovf->files[i].size >= 0 ? ovf->files[i].size : -1;
        h[n++] = ovf->files[i].href;
    }
    return h;
}

static int verify_descriptor(vn_ova_report *r, vn_error *err)
{
    const vn_ova_digest *d = vn_ova_manifest_find(&r->ova, r->ova.ovf_name);
    const vn_ova_member *m = vn_ova_member_find(&r->ova, r->ova.ovf_name);
    if (!d || !m)
        return VN_OK;
    char hex[129];
    int rc = vn_ova_digest_member(&r->ova, m, d->alg, hex, err);
    if (rc != VN_OK)
        return rc;
    if (strcmp(hex, d->hex) != 0) {
        vn_finding *f = vn_findings_add(&r->findings, &vn_ova_rule_manifest, m->name, hex, d->hex);
        f->fixable = 0;
        f->note = vn_xstrdup("the descriptor's digest differs from the manifest");
    }
    return VN_OK;
}

int vn_ova_check(const char *path, const char *esxi, unsigned role, int verify, vn_ova_report *r,
                 vn_error *err)
{
    memset(r, 0, sizeof(*r));
    r->role = role;
    int rc = vn_ova_open(path, &r->ova, &r->findings, err);
    if (rc != VN_OK)
        return rc;
    char where[600];
    if (r->ova.is_archive)
        snprintf(where, sizeof(where), "%s(%s)", path, r->ova.ovf_name);
    else
        snprintf(where, sizeof(where), "%s", path);
    rc = vn_ovf_parse(r->ova.ovf, r->ova.ovf_len, where, &r->ovf, err);
    if (rc != VN_OK)
        return rc;
    if (esxi) {
        r->rel = vn_release_parse(esxi, "--esxi", err);
        if (!r->rel)
            return err->code;
        r->rel_source = "--esxi";
    } else if ((r->rel = vn_ovf_release(&r->ovf))) {
        r->rel_source = "vmw:osType";
    } else {
        r->rel = vn_release_get(VN_ESXI_DEFAULT);
        r->rel_source = "assumed";
    }
    long long *sizes;
    const char **hrefs = vn_ova_hrefs(&r->ovf, &sizes);
    size_t n = 0;
    while (hrefs[n])
        n++;
    vn_ova_check_files(&r->ova, hrefs, sizes, n, &r->findings);
    free(hrefs);
    free(sizes);
    rc = verify == VN_OVA_VERIFY_ALL ? vn_ova_verify_manifest(&r->ova, &r->findings, err)
                                     : verify_descriptor(r, err);
    if (rc != VN_OK)
        return rc;
    vn_ovf_validate(&r->ovf, &r->findings);
    vn_ovf_check(&r->ovf, r->rel, role, &r->findings);
    return VN_OK;
}

void vn_ova_report_free(vn_ova_report *r)
{
    vn_ova_close(&r->ova);
    vn_ovf_free(&r->ovf);
    vn_findings_free(&r->findings);
    memset(r, 0, sizeof(*r));
}
