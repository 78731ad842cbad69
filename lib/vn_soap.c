#include "vn_soap.h"

#include <stdio.h>
#include <string.h>

#define SOAP_NS "http://schemas.xmlsoap.org/soap/envelope/"

static const char *local_part(const char *qname)
{
    const char *colon = strchr(qname, ':');
    return colon ? colon + 1 : qname;
}

const char *vn_xn_xsi_type(const vn_xnode *node, char *buf, size_t len)
{
    /* By namespace URI: vcsim binds it to a prefix of its own. */
    const char *t = vn_xn_attr(node, VN_XML_NS_XSI, "type");
    snprintf(buf, len, "%s", t ? local_part(t) : "");
    return buf;
}

const char *vn_xn_mor_type(const vn_xnode *node, char *buf, size_t len)
{
    const char *t = vn_xn_attr(node, NULL, "type");
    snprintf(buf, len, "%s", t ? t : "");
    return buf;
}

/* The fault type from a <detail> child or a LocalizedMethodFault's
 * <fault>: its xsi:type, else its element name without "Fault". */
static void fault_type(const vn_xnode *n, vn_fault *fault)
{
    vn_xn_xsi_type(n, fault->type, sizeof(fault->type));
    if (!fault->type[0] && n) {
        snprintf(fault->type, sizeof(fault->type), "%s", n->name);
        size_t l = strlen(fault->type);
        if (l > 5 && strcmp(fault->type + l - 5, "Fault") == 0)
            fault->type[l - 5] = '\0';
    }
}

void vn_soap_method_fault(const vn_xnode *node, vn_fault *fault)
{
    memset(fault, 0, sizeof(*fault));
    fault_type(vn_xn_first(node, "fault"), fault);
    vn_xn_text(vn_xn_first(node, "localizedMessage"), fault->message, sizeof(fault->message));
}

static int soap_fault(const vn_xnode *fnode, const char *where, vn_fault *fault, vn_error *err)
{
    memset(fault, 0, sizeof(*fault));
    vn_xn_text(vn_xn_first(fnode, "faultstring"), fault->message, sizeof(fault->message));
    const vn_xnode *detail = vn_xn_first(vn_xn_first(fnode, "detail"), NULL);
    fault_type(detail, fault);
    if (!fault->type[0])
        snprintf(fault->type, sizeof(fault->type), "SystemError");
    return vn_fail(err, VN_ERUNTIME, where, "server fault %s%s%s", fault->type,
                   fault->message[0] ? ": " : "", fault->message);
}

int vn_soap_parse(const char *data, size_t len, long http_status, const char *where,
                  vn_soap_reply *r, vn_fault *fault, vn_error *err)
{
    memset(r, 0, sizeof(*r));
    memset(fault, 0, sizeof(*fault));
    vn_error xerr;
    vn_error_clear(&xerr);
    vn_xdoc *doc = vn_xml_parse(data, len, "reply", &xerr);
    if (!doc && vn_xml_refused_dtd(&xerr))
        return vn_fail(err, VN_ERUNTIME, where, "reply carries a DTD (refused: SOAP forbids it)");
    const vn_xnode *env = vn_xml_root(doc);
    const vn_xnode *body = vn_xn_first(env, "Body");
    if (!env || strcmp(env->name, "Envelope") != 0 || strcmp(env->ns, SOAP_NS) != 0 || !body) {
        vn_xml_free(doc);
        return vn_fail(err, VN_ERUNTIME, where,
                       "HTTP %ld with a reply that is not a SOAP envelope (is this the /sdk "
                       "endpoint of a vCenter or ESXi?)",
                       http_status);
    }
    const vn_xnode *first = vn_xn_first(body, NULL);
    if (first && strcmp(first->name, "Fault") == 0) {
        int rc = soap_fault(first, where, fault, err);
        vn_xml_free(doc);
        return rc;
    }
    if (!first || http_status != 200) {
        vn_xml_free(doc);
        return vn_fail(err, VN_ERUNTIME, where, "HTTP %ld with an empty SOAP body", http_status);
    }
    r->doc = doc;
    r->result = first;
    return VN_OK;
}

void vn_soap_reply_free(vn_soap_reply *r)
{
    vn_xml_free(r->doc);
    memset(r, 0, sizeof(*r));
}
