#include "vn_soap.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XSI_NS  "http://www.w3.org/2001/XMLSchema-instance"
#define SOAP_NS "http://schemas.xmlsoap.org/soap/envelope/"

/* External entities are never loaded, whatever a document asks for. */
static xmlParserInputPtr refuse_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* One parser context per thread, reused for every reply: setting one up
 * (its dictionary, SAX handlers and input stack) cost as much as parsing a
 * small reply. A thread's context is freed when the thread ends. */
static pthread_key_t ctxt_key;

static void free_ctxt(void *c)
{
    xmlFreeParserCtxt(c);
}

static void init_libxml(void)
{
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_entity);
    pthread_key_create(&ctxt_key, free_ctxt);
}

static xmlParserCtxtPtr thread_ctxt(void)
{
    xmlParserCtxtPtr c = pthread_getspecific(ctxt_key);
    if (!c) {
        c = xmlNewParserCtxt();
        if (c && pthread_setspecific(ctxt_key, c) != 0) {
            xmlFreeParserCtxt(c);
            c = NULL;
        }
    }
    return c;
}

void vn_soap_init(void)
{
    pthread_once(&init_once, init_libxml);
}

static int is_elem(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && (!name || strcmp((const char *)n->name, name) == 0);
}

xmlNodePtr vn_xn_first(xmlNodePtr parent, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

xmlNodePtr vn_xn_next(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr c = node ? node->next : NULL; c; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

xmlNodePtr vn_xn_path(xmlNodePtr parent, const char *path)
{
    char part[128];
    while (parent && *path) {
        size_t n = strcspn(path, "/");
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        parent = vn_xn_first(parent, part);
        path += n + (path[n] == '/');
    }
    return parent;
}

const char *vn_xn_text(xmlNodePtr node, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!node)
        return buf;
    xmlChar *t = xmlNodeGetContent(node);
    if (t) {
        snprintf(buf, len, "%s", (const char *)t);
        xmlFree(t);
    }
    return buf;
}

char *vn_xn_strdup(xmlNodePtr node)
{
    if (!node)
        return NULL;
    xmlChar *t = xmlNodeGetContent(node);
    char *s = strdup(t ? (const char *)t : "");
    xmlFree(t);
    if (!s)
        abort();
    return s;
}

static const char *local_part(const char *qname)
{
    const char *colon = strchr(qname, ':');
    return colon ? colon + 1 : qname;
}

const char *vn_xn_xsi_type(xmlNodePtr node, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!node)
        return buf;
    /* By namespace URI: vcsim binds it to a prefix of its own. */
    xmlChar *t = xmlGetNsProp(node, (const xmlChar *)"type", (const xmlChar *)XSI_NS);
    if (t) {
        snprintf(buf, len, "%s", local_part((const char *)t));
        xmlFree(t);
    }
    return buf;
}

const char *vn_xn_mor_type(xmlNodePtr node, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!node)
        return buf;
    xmlChar *t = xmlGetNoNsProp(node, (const xmlChar *)"type");
    if (t) {
        snprintf(buf, len, "%s", (const char *)t);
        xmlFree(t);
    }
    return buf;
}

/* The fault type from a <detail> child or a LocalizedMethodFault's
 * <fault>: its xsi:type, else its element name without "Fault". */
static void fault_type(xmlNodePtr n, vn_fault *fault)
{
    vn_xn_xsi_type(n, fault->type, sizeof(fault->type));
    if (!fault->type[0] && n) {
        snprintf(fault->type, sizeof(fault->type), "%s", (const char *)n->name);
        size_t l = strlen(fault->type);
        if (l > 5 && strcmp(fault->type + l - 5, "Fault") == 0)
            fault->type[l - 5] = '\0';
    }
}

void vn_soap_method_fault(xmlNodePtr node, vn_fault *fault)
{
    memset(fault, 0, sizeof(*fault));
    fault_type(vn_xn_first(node, "fault"), fault);
    vn_xn_text(vn_xn_first(node, "localizedMessage"), fault->message, sizeof(fault->message));
}

static int soap_fault(xmlNodePtr fnode, const char *where, vn_fault *fault, vn_error *err)
{
    memset(fault, 0, sizeof(*fault));
    vn_xn_text(vn_xn_first(fnode, "faultstring"), fault->message, sizeof(fault->message));
    xmlNodePtr detail = vn_xn_first(vn_xn_first(fnode, "detail"), NULL);
    fault_type(detail, fault);
    if (!fault->type[0])
        snprintf(fault->type, sizeof(fault->type), "SystemError");
    return vn_fail(err, VN_ERUNTIME, where, "server fault %s%s%s", fault->type,
                   fault->message[0] ? ": " : "", fault->message);
}

int vn_soap_parse(const char *data, size_t len, long http_status, const char *where,
                  vn_soap_reply *r, vn_fault *fault, vn_error *err)
{
    vn_soap_init();
    memset(r, 0, sizeof(*r));
    memset(fault, 0, sizeof(*fault));
    if (len > (size_t)0x7fffffff)
        return vn_fail(err, VN_ERUNTIME, where, "reply too large");
    /* COMPACT keeps short texts inside their nodes: fewer allocations for
     * replies made of many small values; the tree is never modified. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
               XML_PARSE_COMPACT;
    xmlParserCtxtPtr ctxt = thread_ctxt();
    xmlDocPtr doc = ctxt ? xmlCtxtReadMemory(ctxt, data, (int)len, "reply.xml", NULL, opts)
                         : xmlReadMemory(data, (int)len, "reply.xml", NULL, opts);
    xmlNodePtr env = doc ? xmlDocGetRootElement(doc) : NULL;
    if (doc && (doc->intSubset || doc->extSubset)) {
        xmlFreeDoc(doc);
        return vn_fail(err, VN_ERUNTIME, where, "reply carries a DTD (refused: SOAP forbids it)");
    }
    xmlNodePtr body = vn_xn_first(env, "Body");
    if (!env || strcmp((const char *)env->name, "Envelope") != 0 || !env->ns ||
        strcmp((const char *)env->ns->href, SOAP_NS) != 0 || !body) {
        xmlFreeDoc(doc);
        return vn_fail(err, VN_ERUNTIME, where,
                       "HTTP %ld with a reply that is not a SOAP envelope (is this the /sdk "
                       "endpoint of a vCenter or ESXi?)",
                       http_status);
    }
    xmlNodePtr first = vn_xn_first(body, NULL);
    if (first && strcmp((const char *)first->name, "Fault") == 0) {
        int rc = soap_fault(first, where, fault, err);
        xmlFreeDoc(doc);
        return rc;
    }
    if (!first || http_status != 200) {
        xmlFreeDoc(doc);
        return vn_fail(err, VN_ERUNTIME, where, "HTTP %ld with an empty SOAP body", http_status);
    }
    r->doc = doc;
    r->result = first;
    return VN_OK;
}

void vn_soap_reply_free(vn_soap_reply *r)
{
    if (r->doc)
        xmlFreeDoc(r->doc);
    memset(r, 0, sizeof(*r));
}
