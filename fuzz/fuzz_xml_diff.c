/* Differential libFuzzer target: vn_xml against libxml2, the parser it
 * replaces. Whatever libxml2 accepts (with no DTD, no namespace error and
 * UTF-8 input: the three things vn_xml refuses on purpose, and save the
 * two leniencies of libxml2 below) vn_xml must accept too, with the same
 * tree; whatever vn_xml accepts libxml2 must accept. The trees are
 * compared exactly (libxml2 without NOBLANKS), texts included. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../tests/unit/xml_canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ascii_name(const char *e)
{
    return e && (!strcasecmp(e, "US-ASCII") || !strcasecmp(e, "ASCII"));
}

static int utf8_encoding_name(const char *e)
{
    return !strcasecmp(e, "UTF-8") || ascii_name(e);
}

/* Where libxml2 is lenient and vn_xml is not: a version "1." (XML wants
 * a digit after the dot), and bytes that are not ASCII in a document
 * declared US-ASCII, which libxml2's converter drops silently when they
 * come after the root element. */
static int libxml2_lenient(const vn_error *err, xmlDocPtr ld)
{
    return strstr(err->msg, "XML version is not 1.x") ||
           (ascii_name((const char *)ld->encoding) && strstr(err->msg, "declared US-ASCII"));
}

/* What libxml2 would read as another encoding from the first bytes. */
static int other_encoding_signature(const uint8_t *d, size_t n)
{
    if (n >= 2 && ((d[0] == 0xFE && d[1] == 0xFF) || (d[0] == 0xFF && d[1] == 0xFE)))
        return 1;
    if (n >= 4 && d[0] == 0x4C && d[1] == 0x6F && d[2] == 0xA7 && d[3] == 0x94)
        return 1; /* EBCDIC "<?xm" */
    return memchr(d, 0, n) != NULL;
}

/* libxml2 reports encoding errors on stderr even with NOERROR. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void differ(const char *what, const uint8_t *data, size_t size, const char *a, const char *b)
{
    fprintf(stderr, "vn_xml and libxml2 differ: %s\ninput: %.*s\n", what, (int)size,
            (const char *)data);
    if (a)
        fprintf(stderr, "--- vn_xml\n%s--- libxml2\n%s", a, b);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static xmlParserCtxtPtr ctxt;
    if (size > (1 << 20))
        return 0;
    if (!ctxt) {
        xmlInitParser();
        xmlSetGenericErrorFunc(NULL, quiet);
        ctxt = xmlNewParserCtxt();
    }
    vn_error err = {0};
    vn_xdoc *vd = vn_xml_parse((const char *)data, size, "fuzz", &err);
    xmlDocPtr ld = xmlCtxtReadMemory(ctxt, (const char *)data, (int)size, "fuzz.xml", NULL,
                                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int ns_ok = ctxt->nsWellFormed;
    int dtd = ld && (ld->intSubset || ld->extSubset);
    int encoding = other_encoding_signature(data, size) ||
                   (ld && ld->encoding && !utf8_encoding_name((const char *)ld->encoding));
    if (vd && !ld)
        differ("vn_xml accepts, libxml2 rejects", data, size, NULL, NULL);
    if (vd && dtd)
        differ("vn_xml accepts a DTD", data, size, NULL, NULL);
    if (ld && !vd && ns_ok && !dtd && !encoding && !libxml2_lenient(&err, ld)) {
        fprintf(stderr, "vn_xml: %s: %s\n", err.where, err.msg);
        differ("libxml2 accepts, vn_xml rejects", data, size, NULL, NULL);
    }
    if (vd && ld) {
        vn_buf a = VN_BUF_INIT, b = VN_BUF_INIT;
        canon_vn(vn_xml_root(vd), &a, CANON_EXACT);
        canon_lx(xmlDocGetRootElement(ld), &b, CANON_EXACT);
        if (strcmp(a.data ? a.data : "", b.data ? b.data : "") != 0)
            differ("different trees", data, size, a.data, b.data);
        vn_buf_free(&a);
        vn_buf_free(&b);
    }
    xmlFreeDoc(ld);
    vn_xml_free(vd);
    return 0;
}
