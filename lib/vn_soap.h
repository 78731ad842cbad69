/* vn_soap: reading vim25 SOAP replies with vn_xml (no DTD accepted, so no
 * entity expansion and nothing fetched; SOAP 1.1 forbids DTDs anyway).
 * Faults decode to their vim25 type (from the detail's xsi:type, resolved
 * by namespace URI) and message. */
#ifndef VN_SOAP_H
#define VN_SOAP_H

#include <stddef.h>

#include "vn_error.h"
#include "vn_xml.h"

typedef struct vn_fault {
    char type[96];     /* "InvalidLogin", "NotAuthenticated", ... or "" */
    char message[512]; /* faultstring / localizedMessage, may be "" */
} vn_fault;

typedef struct vn_soap_reply {
    vn_xdoc *doc;
    const vn_xnode *result; /* the <METHODResponse> element */
} vn_soap_reply;

/* Parses a reply. On success fills `r` (free with vn_soap_reply_free).
 * A SOAP fault returns VN_ERUNTIME with `fault` filled and the error
 * "server fault TYPE: message"; anything that is not a SOAP envelope (a
 * proxy's HTML page, a truncated body) returns VN_ERUNTIME naming the HTTP
 * status. `where` (host:port) goes into the error. */
int vn_soap_parse(const char *data, size_t len, long http_status, const char *where,
                  vn_soap_reply *r, vn_fault *fault, vn_error *err);
void vn_soap_reply_free(vn_soap_reply *r);

/* The local part of the node's xsi:type ("string" for xsd:string). */
const char *vn_xn_xsi_type(const vn_xnode *node, char *buf, size_t len);
/* The `type` attribute of a ManagedObjectReference element. */
const char *vn_xn_mor_type(const vn_xnode *node, char *buf, size_t len);

/* Decodes a LocalizedMethodFault (TaskInfo.error, missingSet fault). */
void vn_soap_method_fault(const vn_xnode *node, vn_fault *fault);

#endif
