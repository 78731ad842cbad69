/* vn_soap: reading vim25 SOAP replies with libxml2, hardened: no network,
 * no entity expansion, no DTD accepted at all (SOAP 1.1 forbids them), a
 * failing external entity loader. Faults decode to their vim25 type (from
 * the detail's xsi:type, resolved by namespace URI) and message. */
#ifndef VN_SOAP_H
#define VN_SOAP_H

#include <libxml/tree.h>
#include <stddef.h>

#include "vn_error.h"

typedef struct vn_fault {
    char type[96];     /* "InvalidLogin", "NotAuthenticated", ... or "" */
    char message[512]; /* faultstring / localizedMessage, may be "" */
} vn_fault;

typedef struct vn_soap_reply {
    xmlDocPtr doc;
    xmlNodePtr result; /* the <METHODResponse> element */
} vn_soap_reply;

/* Parses a reply. On success fills `r` (free with vn_soap_reply_free).
 * A SOAP fault returns VN_ERUNTIME with `fault` filled and the error
 * "server fault TYPE: message"; anything that is not a SOAP envelope (a
 * proxy's HTML page, a truncated body) returns VN_ERUNTIME naming the HTTP
 * status. `where` (host:port) goes into the error. */
int vn_soap_parse(const char *data, size_t len, long http_status, const char *where,
                  vn_soap_reply *r, vn_fault *fault, vn_error *err);
void vn_soap_reply_free(vn_soap_reply *r);

/* First element child of `parent` with local name `name` (any when NULL). */
xmlNodePtr vn_xn_first(xmlNodePtr parent, const char *name);
/* Next element sibling after `node` with local name `name` (any when NULL). */
xmlNodePtr vn_xn_next(xmlNodePtr node, const char *name);
/* Follows a path of child names separated by '/': "about/apiVersion". */
xmlNodePtr vn_xn_path(xmlNodePtr parent, const char *path);
/* Text content copied into `buf` (truncated to fit); "" for NULL nodes. */
const char *vn_xn_text(xmlNodePtr node, char *buf, size_t len);
/* Heap copy of the text content (caller frees); NULL for a NULL node. */
char *vn_xn_strdup(xmlNodePtr node);
/* The local part of the node's xsi:type ("string" for xsd:string). */
const char *vn_xn_xsi_type(xmlNodePtr node, char *buf, size_t len);
/* The `type` attribute of a ManagedObjectReference element. */
const char *vn_xn_mor_type(xmlNodePtr node, char *buf, size_t len);

/* Decodes a LocalizedMethodFault (TaskInfo.error, missingSet fault). */
void vn_soap_method_fault(xmlNodePtr node, vn_fault *fault);

/* Once per process, before threads: installs the refusing entity loader. */
void vn_soap_init(void);

#endif
