/* libFuzzer target for the VMX surface of the profile: any document the
 * codec accepts must survive check -> apply -> write -> parse for every
 * release and role, and a second check after applying must find nothing
 * fixable (fix is idempotent). Aborts on a violation. */
#include <stdint.h>
#include <stdlib.h>

#include "vn_buf.h"
#include "vn_profile_vmx.h"
#include "vn_vmx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fixable(const vn_findings *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].fixable != 0;
    return n;
}

static void one(const uint8_t *data, size_t size, vn_release_id rel, unsigned role)
{
    vn_vmx *vmx = NULL;
    if (vn_vmx_parse((const char *)data, size, "fuzz.vmx", &vmx, NULL) != VN_OK)
        return;
    vn_findings f = {0};
    vn_profile_vmx_check(vmx, vn_release_get(rel), role, &f);
    vn_profile_vmx_apply(vmx, &f);
    vn_findings_free(&f);

    vn_buf out = VN_BUF_INIT;
    vn_vmx_write(vmx, &out);
    vn_vmx *again = NULL;
    if (vn_vmx_parse(out.data, out.len, "fuzz.vmx", &again, NULL) != VN_OK)
        abort(); /* fix produced a file the codec cannot read */
    vn_profile_vmx_check(again, vn_release_get(rel), role, &f);
    if (fixable(&f) != 0)
        abort(); /* fix left something it could have fixed */
    vn_findings_free(&f);
    vn_vmx_free(again);
    vn_buf_free(&out);
    vn_vmx_free(vmx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* The first byte picks the release and role, the rest is the file. */
    vn_release_id rel = (vn_release_id)(data[0] % VN_ESXI_COUNT);
    unsigned role = (data[0] & 0x80) ? VN_ROLE_TEMPLATE : VN_ROLE_HOST;
    one(data + 1, size - 1, rel, role);
    return 0;
}
