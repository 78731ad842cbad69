/* libFuzzer target for OVF descriptors, which come from anyone's OVA: the
 * hardened parser (no DTD, no entities, no network), the structural
 * validation, the mapping to VMX keys and the profile's findings renamed to
 * OVF elements. Must never crash, leak or read out of bounds; every finding
 * must name a rule of the OVF surface and a key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_ovf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_findings(const vn_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (!f->v[i].rule || !f->v[i].key || !(f->v[i].rule->surfaces & VN_SURF_OVF))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_ovf o;
    vn_error err = {0};
    if (vn_ovf_parse((const char *)data, size, "fuzz.ovf", &o, &err) != VN_OK) {
        if (err.code != VN_EINPUT || !err.msg[0])
            abort(); /* a refusal is always an input error with a message */
        return 0;
    }
    vn_findings f = {0};
    vn_ovf_validate(&o, &f);
    const vn_release *rel = vn_ovf_release(&o);
    if (!rel)
        rel = vn_release_get(VN_ESXI_DEFAULT);
    vn_ovf_check(&o, rel, VN_ROLE_TEMPLATE, &f);
    check_findings(&f);
    for (size_t i = 0; i < o.ndisks; i++)
        (void)vn_ovf_disk_by_id(&o, o.disks[i].id);
    vn_findings_free(&f);
    vn_ovf_free(&o);
    return 0;
}
