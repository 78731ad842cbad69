/* libFuzzer target for OVA archives: the bounded tar reader (ustar, pax,
 * GNU long names, base-256 sizes), the manifest parser, the member checks
 * against the descriptor's References and the streaming digest
 * verification. Every member must lie inside the archive, whatever the
 * headers claim. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_ovacheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_ova ova;
    vn_findings f = {0};
    vn_error err = {0};
    if (vn_ova_open_mem(data, size, "fuzz.ova", &ova, &f, &err) == VN_OK) {
        for (size_t i = 0; i < ova.n; i++)
            if (ova.m[i].offset > size || ova.m[i].size > size - ova.m[i].offset)
                abort(); /* a member outside the archive */
        vn_ovf o;
        vn_error e2 = {0};
        if (vn_ovf_parse(ova.ovf, ova.ovf_len, "fuzz.ovf", &o, &e2) == VN_OK) {
            long long *sizes;
            const char **hrefs = vn_ova_hrefs(&o, &sizes);
            size_t n = 0;
            while (hrefs[n])
                n++;
            vn_ova_check_files(&ova, hrefs, sizes, n, &f);
            free(hrefs);
            free(sizes);
            vn_ovf_free(&o);
        }
        vn_error e3 = {0};
        vn_ova_verify_manifest(&ova, &f, &e3);
    } else if (err.code != VN_EINPUT && err.code != VN_ERUNTIME) {
        abort();
    }
    vn_ova_close(&ova);
    vn_findings_free(&f);
    return 0;
}
