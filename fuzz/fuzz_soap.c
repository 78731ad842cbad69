/* libFuzzer target for what vnest reads from a vSphere server: the SOAP
 * reply parser (vn_xml, fault decoding) and, on a parsed reply,
 * the decoders that walk it: RetrieveResult objects into the API view of a
 * VM (devices, extraConfig, boot options), task updates and MOR reads.
 * Must never crash, leak or read out of bounds, whatever the server sends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_profile_api.h"
#include "vn_soap.h"
#include "vn_vimprop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_obj(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)ctx;
    vn_api_vm vm;
    vn_api_vm_read(&vm, obj, o);
    vn_findings f = {0};
    vn_profile_api_check(&vm, NULL, VN_ROLE_TEMPLATE, &f, NULL);
    vn_buf spec = VN_BUF_INIT;
    vn_profile_api_spec(&f, &spec);
    vn_buf_free(&spec);
    vn_findings_free(&f);
    vn_api_vm_free(&vm);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_soap_reply r;
    vn_fault fault;
    vn_error err = {0};
    if (vn_soap_parse((const char *)data, size, 200, "fuzz", &r, &fault, &err) != VN_OK)
        return 0;
    const vn_xnode *rv = vn_xn_first(r.result, "returnval");
    for (const vn_xnode *o = vn_xn_first(rv, "objects"); o; o = vn_xn_next(o, "objects")) {
        vn_mor mor;
        vn_mor_from(vn_xn_first(o, "obj"), &mor);
        on_obj(NULL, &mor, o);
    }
    vn_fault mf;
    vn_soap_method_fault(rv, &mf);
    vn_soap_reply_free(&r);
    return 0;
}
