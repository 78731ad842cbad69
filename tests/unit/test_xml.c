/* vn_xml: the XML reader for SOAP replies and OVF descriptors. Well-formed
 * documents (namespaces, references, CDATA, line ends, text around
 * children), every refusal with the line it names, the tree accessors,
 * the dump and its round trip, and the streaming reader on a
 * RetrievePropertiesEx-shaped reply (ancestors, spine, errors part way,
 * memory that does not grow with the number of objects). */
#define TH_SUITE "xml"
#include "harness.h"

#include "vn_xml.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
/* From the ASan runtime (its header comes with clang, not with gcc). */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

#define SOAP_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define XML_NS  "http://www.w3.org/XML/1998/namespace"

static vn_xdoc *parse(const char *s, vn_error *e)
{
    memset(e, 0, sizeof(*e));
    return vn_xml_parse(s, strlen(s), "doc.xml", e);
}

/* Parses a document that must be refused; checks the message names the
 * problem and the line. */
static void refused_at(const char *fn, int tline, const char *doc, size_t len, int line,
                       const char *what)
{
    vn_error e = {0};
    vn_xdoc *d = vn_xml_parse(doc, len, "doc.xml", &e);
    char where[64];
    snprintf(where, sizeof(where), "doc.xml:%d", line);
    if (d) {
        fail_in(fn, tline, "accepted: %s", doc);
        vn_xml_free(d);
        return;
    }
    if (e.code != VN_EINPUT || strncmp(e.msg, "malformed XML: ", 15) != 0 || !strstr(e.msg, what))
        fail_in(fn, tline, "message \"%s\", expected one with \"%s\"", e.msg, what);
    if (strcmp(e.where, where) != 0)
        fail_in(fn, tline, "where \"%s\", expected \"%s\" (for %s)", e.where, where, what);
}

#define REFUSED(doc, line, what)        refused_at(__func__, __LINE__, doc, strlen(doc), line, what)
#define REFUSED_N(doc, len, line, what) refused_at(__func__, __LINE__, doc, len, line, what)

/* --- well-formed documents --- */

TEST(soap_reply_namespaces)
{
    vn_error e;
    vn_xdoc *d =
        parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<soapenv:Envelope xmlns:soapenv=\"" SOAP_NS "\" "
              "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"" VN_XML_NS_XSI "\">\n"
              "<soapenv:Body><R xmlns=\"urn:vim25\"><returnval><val "
              "xmlns:XMLSchema-instance=\"" VN_XML_NS_XSI "\" XMLSchema-instance:type=\"xsd:int\" "
              "type=\"HostSystem\">42</val></returnval></R></soapenv:Body></soapenv:Envelope>",
              &e);
    CHECK(d != NULL);
    const vn_xnode *env = vn_xml_root(d);
    CHECK_STR(env->name, "Envelope");
    CHECK_STR(env->prefix, "soapenv");
    CHECK_STR(env->ns, SOAP_NS);
    CHECK_INT(env->line, 2);
    CHECK(env->attrs == NULL); /* declarations are not attributes */
    int ndecl = 0;
    for (const vn_xnsdecl *nd = env->nsdecls; nd; nd = nd->next)
        ndecl++;
    CHECK_INT(ndecl, 3);
    CHECK_STR(env->nsdecls->prefix, "soapenv");
    const vn_xnode *r = vn_xn_path(env, "Body/R");
    CHECK_STR(r->ns, "urn:vim25");
    CHECK_STR(r->prefix, "");
    CHECK_STR(r->nsdecls->prefix, "");
    CHECK_STR(r->nsdecls->uri, "urn:vim25");
    const vn_xnode *val = vn_xn_path(r, "returnval/val");
    CHECK_STR(val->ns, "urn:vim25");
    CHECK_STR(val->text, "42");
    CHECK_INT(val->text_len, 2);
    /* xsi:type found by namespace whatever the prefix */
    CHECK_STR(vn_xn_attr(val, VN_XML_NS_XSI, "type"), "xsd:int");
    CHECK_STR(vn_xn_attr(val, NULL, "type"), "HostSystem");
    CHECK_STR(vn_xn_attr(val, "", "type"), "HostSystem");
    CHECK(vn_xn_attr(val, "urn:vim25", "type") == NULL);
    CHECK_STR(val->attrs->prefix, "XMLSchema-instance");
    CHECK_STR(val->attrs->ns, VN_XML_NS_XSI);
    CHECK_STR(val->attrs->next->ns, ""); /* unprefixed: no namespace, not the default */
    CHECK_STR(vn_xn_lookup_ns(val, "xsd"), "http://www.w3.org/2001/XMLSchema");
    CHECK_STR(vn_xn_lookup_ns(val, ""), "urn:vim25");
    CHECK_STR(vn_xn_lookup_ns(val, NULL), "urn:vim25");
    CHECK_STR(vn_xn_lookup_ns(env, "xml"), XML_NS);
    CHECK(vn_xn_lookup_ns(env, "") == NULL);
    CHECK(vn_xn_lookup_ns(val, "nope") == NULL);
    vn_xml_free(d);
}

TEST(default_namespace_undeclared_and_redeclared)
{
    vn_error e;
    vn_xdoc *d = parse("<a xmlns=\"urn:a\" xmlns:p=\"urn:p\"><b xmlns=\"\"><c/><p:d/></b>"
                       "<p:e xmlns:p=\"urn:p2\"><f/></p:e></a>",
                       &e);
    CHECK(d != NULL);
    const vn_xnode *a = vn_xml_root(d), *b = vn_xn_first(a, "b");
    CHECK_STR(a->ns, "urn:a");
    CHECK_STR(b->ns, "");
    CHECK_STR(b->nsdecls->uri, "");
    CHECK_STR(vn_xn_first(b, "c")->ns, "");
    CHECK(vn_xn_lookup_ns(vn_xn_first(b, "c"), "") == NULL);
    CHECK_STR(vn_xn_first(b, "d")->ns, "urn:p");
    const vn_xnode *pe = vn_xn_first(a, "e");
    CHECK_STR(pe->ns, "urn:p2");
    CHECK_STR(pe->prefix, "p");
    CHECK_STR(vn_xn_first(pe, "f")->ns, "urn:a");
    vn_xml_free(d);
}

TEST(prefixed_attributes_and_xml_prefix)
{
    vn_error e;
    vn_xdoc *d = parse("<a xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" p:x=\"1\" q:x=\"2\" x=\"3\" "
                       "xml:lang=\"en\"/>",
                       &e);
    CHECK(d != NULL);
    const vn_xnode *a = vn_xml_root(d);
    CHECK_STR(vn_xn_attr(a, "urn:p", "x"), "1");
    CHECK_STR(vn_xn_attr(a, "urn:q", "x"), "2");
    CHECK_STR(vn_xn_attr(a, NULL, "x"), "3");
    CHECK_STR(vn_xn_attr(a, XML_NS, "lang"), "en");
    /* document order, declarations excluded */
    const vn_xattr *at = a->attrs;
    CHECK_STR(at->prefix, "p");
    CHECK_STR(at->next->prefix, "q");
    CHECK_STR(at->next->next->name, "x");
    CHECK_STR(at->next->next->next->prefix, "xml");
    CHECK(at->next->next->next->next == NULL);
    vn_xml_free(d);
}

TEST(references_cdata_and_astral_characters)
{
    vn_error e;
    vn_xdoc *d = parse("<a>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#233;&#x20AC;&#x1F600;"
                       "<![CDATA[<b>&amp;]]]]><![CDATA[>]]>z</a>",
                       &e);
    CHECK(d != NULL);
    CHECK_STR(vn_xml_root(d)->text, "<>&'\"AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80<b>&amp;]]>z");
    vn_xml_free(d);
}

TEST(line_ends_normalised)
{
    vn_error e;
    vn_xdoc *d = parse("<a>1\r\n2\r3\n4&#13;5<![CDATA[6\r\n7]]></a>", &e);
    CHECK(d != NULL);
    CHECK_STR(vn_xml_root(d)->text, "1\n2\n3\n4\r56\n7");
    vn_xml_free(d);
}

TEST(attribute_values_normalised)
{
    vn_error e;
    vn_xdoc *d = parse("<a x=\"1\t2\n3\r\n4\r5\" y=\"&#9;&#10;&#13;\" z='&quot;\"&apos;' "
                       "w=\"&lt;&#60;>\"/>",
                       &e);
    CHECK(d != NULL);
    const vn_xnode *a = vn_xml_root(d);
    CHECK_STR(vn_xn_attr(a, NULL, "x"), "1 2 3 4 5");
    CHECK_STR(vn_xn_attr(a, NULL, "y"), "\t\n\r");
    CHECK_STR(vn_xn_attr(a, NULL, "z"), "\"\"'");
    CHECK_STR(vn_xn_attr(a, NULL, "w"), "<<>");
    vn_xml_free(d);
}

TEST(bom_declaration_comments_and_pis)
{
    vn_error e;
    vn_xdoc *d = parse("\xef\xbb\xbf<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n"
                       "<!-- before --><?pi some data?>\n<a>x<!-- inside -->y<?pi?>z</a>\n"
                       "<!-- after -->\n<?end?>\n",
                       &e);
    CHECK(d != NULL);
    CHECK_STR(vn_xml_root(d)->text, "xyz");
    CHECK_INT(vn_xml_root(d)->line, 3);
    vn_xml_free(d);
    const char *ok[] = {
        "<?xml version=\"1.0\" encoding=\"US-ASCII\"?><a/>",
        "<?xml version=\"1.0\" encoding=\"ascii\"?><a/>",
        "<?xml version=\"1.1\"?><a/>",
        "<?xml version=\"1.0\"?><a/>",
        "<a/>",
        "<?xml-stylesheet href=\"x\"?><a/>",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        d = parse(ok[i], &e);
        if (!d)
            FAILF("refused %s: %s", ok[i], e.msg);
        vn_xml_free(d);
    }
}

TEST(text_around_children_is_joined)
{
    vn_error e;
    vn_xdoc *d = parse("<a>x<b/>y<c>z<d/></c>\n  w<e></e></a>", &e);
    CHECK(d != NULL);
    const vn_xnode *a = vn_xml_root(d);
    CHECK_STR(a->text, "xy\n  w");
    CHECK_INT(a->text_len, 6);
    CHECK_STR(vn_xn_first(a, "b")->text, "");
    CHECK_INT(vn_xn_first(a, "b")->text_len, 0);
    CHECK_STR(vn_xn_first(a, "c")->text, "z");
    CHECK_STR(vn_xn_first(a, "e")->text, "");
    /* children: elements only, in order */
    const char *names[] = {"b", "c", "e"};
    int i = 0;
    for (const vn_xnode *c = vn_xn_first(a, NULL); c; c = vn_xn_next(c, NULL), i++)
        CHECK_STR(c->name, i < 3 ? names[i] : "(extra)");
    CHECK_INT(i, 3);
    vn_xml_free(d);
}

TEST(line_numbers)
{
    vn_error e;
    vn_xdoc *d =
        parse("<a>\n<b\n x='1'/>\r\n<c>\r<d/></c><!--\n\n--><e/><![CDATA[\n]]><f/></a>", &e);
    CHECK(d != NULL);
    const vn_xnode *a = vn_xml_root(d);
    CHECK_INT(a->line, 1);
    CHECK_INT(vn_xn_first(a, "b")->line, 2);
    CHECK_INT(vn_xn_first(a, "c")->line, 4);
    CHECK_INT(vn_xn_path(a, "c/d")->line, 5);
    CHECK_INT(vn_xn_first(a, "e")->line, 7);
    CHECK_INT(vn_xn_first(a, "f")->line, 8);
    vn_xml_free(d);
}

TEST(names)
{
    vn_error e;
    vn_xdoc *d = parse("<_a.b-c1 xmlns:\xc3\xa9=\"urn:e\"><\xc3\xa9:\xe6\x97\xa5\xe6\x9c\xac "
                       "\xc3\xa9:x\xcc\x80=\"1\"/></_a.b-c1>",
                       &e);
    CHECK(d != NULL);
    const vn_xnode *a = vn_xml_root(d);
    CHECK_STR(a->name, "_a.b-c1");
    CHECK_STR(a->children->name, "\xe6\x97\xa5\xe6\x9c\xac");
    CHECK_STR(a->children->ns, "urn:e");
    CHECK_STR(vn_xn_attr(a->children, "urn:e", "x\xcc\x80"), "1");
    vn_xml_free(d);
}

TEST(input_is_copied_not_modified_nor_read_past_len)
{
    /* Not NUL-terminated: the bytes after len are not XML. */
    char buf[] = "<a x=\"&amp;\">t&lt;</a>GARBAGE";
    size_t len = strlen(buf) - 7;
    char before[sizeof(buf)];
    memcpy(before, buf, sizeof(buf));
    vn_error e = {0};
    vn_xdoc *d = vn_xml_parse(buf, len, "doc.xml", &e);
    CHECK(d != NULL);
    CHECK(memcmp(buf, before, sizeof(buf)) == 0);
    memset(buf, 'x', sizeof(buf)); /* the tree does not point into the caller's data */
    CHECK_STR(vn_xml_root(d)->text, "t<");
    CHECK_STR(vn_xn_attr(vn_xml_root(d), NULL, "x"), "&");
    vn_xml_free(d);
}

TEST(deepest_nesting_accepted)
{
    /* The root and 256 levels below it, as libxml2 accepts. */
    vn_buf b = VN_BUF_INIT;
    for (int i = 0; i <= VN_XML_MAX_DEPTH; i++)
        vn_buf_adds(&b, "<a>");
    for (int i = 0; i <= VN_XML_MAX_DEPTH; i++)
        vn_buf_adds(&b, "</a>");
    vn_error e = {0};
    vn_xdoc *d = vn_xml_parse(b.data, b.len, "doc.xml", &e);
    CHECK(d != NULL);
    vn_xml_free(d);
    vn_buf_free(&b);
}

/* --- refusals --- */

TEST(dtd_refused)
{
    REFUSED("<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
            "<a>&e;</a>",
            2, "the document carries a DTD (refused:");
    REFUSED("<!DOCTYPE a><a/>", 1, "the document carries a DTD");
    REFUSED("<a>\n<!DOCTYPE a></a>", 2, "the document carries a DTD");
    vn_error e;
    vn_xdoc *d = parse("<!DOCTYPE a><a/>", &e);
    CHECK(d == NULL);
    CHECK(strncmp(e.msg, "malformed XML: the document carries a DTD", 41) == 0);
}

TEST(encodings_refused)
{
    REFUSED("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", 1,
            "encoding ISO-8859-1 is not supported (vnest reads UTF-8)");
    REFUSED("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>", 1, "encoding UTF-16 is not");
    REFUSED_N("\xff\xfe<\0a\0/\0>\0", 10, 1, "UTF-16");
    REFUSED_N("\xfe\xff\0<\0a\0/\0>", 10, 1, "UTF-16");
    REFUSED_N("<a>\n\0</a>", 9, 2, "NUL byte");
    REFUSED_N("\0<a/>", 5, 1, "NUL byte");
    REFUSED("<?xml version=\"1.0\" encoding=\"US-ASCII\"?>\n<a>\xc3\xa9</a>", 2,
            "declared US-ASCII");
    REFUSED("<?xml version=\"1.0\" encoding=\"ascii\"?>\n<a>\n<\xc3\xa9/></a>", 3,
            "declared US-ASCII");
    REFUSED("<?xml version=\"2.0\"?><a/>", 1, "version");
    REFUSED("<?xml encoding=\"UTF-8\"?><a/>", 1, "version");
    REFUSED("<?xml version=\"1.0\" standalone=\"maybe\"?><a/>", 1, "standalone");
    REFUSED("<?xml version=\"1.0\"encoding=\"UTF-8\"?><a/>", 1, "XML declaration");
}

TEST(characters_refused)
{
    REFUSED("<a>\n\x01</a>", 2, "control character 0x01");
    REFUSED("<a x=\"\x1f\"/>", 1, "control character 0x1F");
    REFUSED("<a>\n\n\xc3(</a>", 3, "invalid UTF-8");
    REFUSED("<a>\xc0\xaf</a>", 1, "invalid UTF-8");         /* overlong */
    REFUSED("<a>\xed\xa0\x80</a>", 1, "invalid UTF-8");     /* surrogate */
    REFUSED("<a>\xf4\x90\x80\x80</a>", 1, "invalid UTF-8"); /* beyond U+10FFFF */
    REFUSED("<a>\xef\xbf\xbe</a>", 1, "U+FFFE is not allowed");
    REFUSED("<a>\xe2\x82</a>", 1, "invalid UTF-8"); /* truncated */
    REFUSED("<a>x]]>y</a>", 1, "']]>' in text");
}

TEST(references_refused)
{
    REFUSED("<a>\n&nbsp;</a>", 2, "undefined entity &nbsp;");
    REFUSED("<a x=\"&foo;\"/>", 1, "undefined entity &foo;");
    REFUSED("<a>AT&T</a>", 1, "'&' not followed by a reference");
    REFUSED("<a>&amp</a>", 1, "'&' not followed by a reference");
    REFUSED("<a>&#0;</a>", 1, "&#0; is not an XML character");
    REFUSED("<a>&#xD800;</a>", 1, "not an XML character");
    REFUSED("<a>&#x110000;</a>", 1, "not an XML character");
    REFUSED("<a>&#99999999999999999999;</a>", 1, "not an XML character");
    REFUSED("<a>&#x;</a>", 1, "malformed character reference");
    REFUSED("<a>&#X41;</a>", 1, "malformed character reference");
    REFUSED("<a>&#65</a>", 1, "malformed character reference");
}

TEST(markup_refused)
{
    REFUSED("<a>\n<!-- a -- b --></a>", 2, "'--' inside a comment");
    REFUSED("<a><!-- a ---></a>", 1, "'--' inside a comment");
    REFUSED("<a/>\n<?xml version=\"1.0\"?>", 2, "XML declaration is allowed only at the very");
    REFUSED(" <?xml version=\"1.0\"?><a/>", 1, "XML declaration is allowed only");
    REFUSED("<a><?XmL x?></a>", 1, "target XmL is reserved");
    REFUSED("<a><?p:q x?></a>", 1, "contains ':'");
    REFUSED("<a x=\"1<2\"/>", 1, "'<' in the value of attribute x");
    REFUSED("<a x=1/>", 1, "not quoted");
    REFUSED("<a x/>", 1, "has no value");
    REFUSED("<a x=\"1\"y=\"2\"/>", 1, "no space before attribute y");
    REFUSED("<a/ >", 1, "'/' not followed by '>'");
    REFUSED("<a><!ELEMENT a></a>", 1, "'<!' starts neither");
    REFUSED("<a/><![CDATA[x]]>", 1, "CDATA section outside");
    REFUSED("<a><![CDATA[x</a>", 1, "ends inside a CDATA section");
    REFUSED("<a><!-- x</a>", 1, "ends inside a comment");
    REFUSED("<a><?p x</a>", 1, "ends inside a processing instruction");
}

TEST(names_refused)
{
    REFUSED("<1a/>", 1, "element name expected, found '1'");
    REFUSED("<a><-b/></a>", 1, "element name expected, found '-'");
    REFUSED("< a/>", 1, "element name expected");
    REFUSED("<\xc3\x97/>", 1, "U+00D7"); /* the multiplication sign is no name character */
    REFUSED("<a:b:c/>", 1, "a:b:c is not a valid qualified name");
    REFUSED("<a: xmlns:a=\"u\"/>", 1, "not a valid qualified name");
    REFUSED("<a 1x=\"1\"/>", 1, "attribute name expected");
    REFUSED("<a>\n</ a>", 2, "end tag name expected");
}

TEST(structure_refused)
{
    REFUSED("", 1, "the document is empty");
    REFUSED("  \n ", 2, "no root element");
    REFUSED("<!-- only -->", 1, "no root element");
    REFUSED("text<a/>", 1, "text before the root element");
    REFUSED("<a/>\ntext", 2, "text after the root element");
    REFUSED("<a/>\n<b/>", 2, "a second root element");
    REFUSED("<a/>&amp;", 1, "text after the root element");
    REFUSED("</a>", 1, "end tag outside the root element");
    REFUSED("<a>\n<b>\n</a>", 3, "expected </b>, found </a>");
    REFUSED("<p:a xmlns:p=\"u\"></p:b>", 1, "expected </p:a>, found </p:b>");
    REFUSED("<a></ab>", 1, "expected </a>, found </ab>");
    REFUSED("<ab></a>", 1, "expected </ab>, found </a>");
    REFUSED("<a></a x>", 1, "unexpected 'x' in the end tag </a>");
    REFUSED("<a>\n<b x='1'>\ntext", 3, "the document ends before </b> (opened on line 2)");
    REFUSED("<a", 1, "ends inside the start tag of <a>");
    REFUSED("<a x=\"1", 1, "ends inside the value of attribute x");
    REFUSED("<a></a", 1, "ends inside the end tag </a>");
}

TEST(attributes_refused)
{
    REFUSED("<a\nx=\"1\"\nx=\"2\"/>", 3, "attribute x appears twice on <a>");
    REFUSED("<a xmlns:p=\"u\" xmlns:q=\"u\" p:x=\"1\" q:x=\"2\"/>", 1,
            "attribute q:x appears twice on <a>");
    REFUSED("<a xmlns:p=\"u\" xmlns:p=\"v\"/>", 1, "namespace prefix p declared twice on <a>");
    REFUSED("<a xmlns=\"u\" xmlns=\"v\"/>", 1, "default namespace declared twice on <a>");
    /* many attributes take the hashed check */
    vn_buf b = VN_BUF_INIT;
    vn_buf_adds(&b, "<a");
    for (int i = 0; i < 40; i++)
        vn_buf_addf(&b, " a%d=\"%d\"", i, i);
    vn_buf_adds(&b, " a17=\"dup\"/>");
    REFUSED(b.data, 1, "attribute a17 appears twice");
    vn_buf_reset(&b);
    vn_buf_adds(&b, "<a xmlns:p=\"u\" xmlns:q=\"u\"");
    for (int i = 0; i < 40; i++)
        vn_buf_addf(&b, " p:a%d=\"%d\"", i, i);
    vn_buf_adds(&b, " q:a39=\"dup\"/>");
    REFUSED(b.data, 1, "attribute q:a39 appears twice");
    vn_buf_reset(&b);
    vn_buf_adds(&b, "<a");
    for (int i = 0; i < 40; i++)
        vn_buf_addf(&b, " xmlns:p%d=\"u%d\" p%d:x=\"%d\"", i, i, i, i);
    vn_buf_adds(&b, " xmlns:p7=\"v\"/>");
    REFUSED(b.data, 1, "namespace prefix p7 declared twice");
    vn_buf_free(&b);
}

TEST(namespaces_refused)
{
    REFUSED("<a>\n<p:b/></a>", 2, "namespace prefix p is not declared");
    REFUSED("<a\np:x=\"1\"/>", 2, "namespace prefix p is not declared");
    REFUSED("<xmlns:a/>", 1, "the xmlns prefix is reserved");
    REFUSED("<a xmlns:xmlns=\"u\"/>", 1, "the xmlns prefix cannot be declared");
    REFUSED("<a xmlns:p=\"\"/>", 1, "a prefix cannot be undeclared");
    REFUSED("<a xmlns:xml=\"urn:other\"/>", 1, "the xml prefix can only be bound");
    REFUSED("<a xmlns:p=\"" XML_NS "\"/>", 1, "cannot be bound to prefix p");
    REFUSED("<a xmlns=\"http://www.w3.org/2000/xmlns/\"/>", 1, "cannot be bound to the default");
    /* a prefix declared on a sibling is not in scope */
    REFUSED("<a><b xmlns:p=\"u\"/><p:c/></a>", 1, "namespace prefix p is not declared");
}

TEST(depth_and_size_refused)
{
    vn_buf b = VN_BUF_INIT;
    for (int i = 0; i <= VN_XML_MAX_DEPTH + 1; i++)
        vn_buf_adds(&b, "<a>\n");
    REFUSED(b.data, VN_XML_MAX_DEPTH + 2, "nested deeper than 256");
    vn_buf_free(&b);
    /* The length alone is refused: the data is never read. */
    static const char tiny[] = "<a/>";
    vn_error e = {0};
    CHECK(vn_xml_parse(tiny, (size_t)0x80000000u, "big.xml", &e) == NULL);
    CHECK(strstr(e.msg, "2 GiB") != NULL);
    vn_xreader *r = vn_xreader_new(tiny, (size_t)0x80000000u, "big.xml", 1);
    memset(&e, 0, sizeof(e));
    CHECK(vn_xreader_next(r, &e) == NULL);
    CHECK(strstr(e.msg, "2 GiB") != NULL);
    vn_xreader_free(r);
}

/* --- accessors --- */

TEST(accessors_accept_null)
{
    char buf[8] = "junk";
    CHECK(vn_xml_root(NULL) == NULL);
    vn_xml_free(NULL);
    CHECK(vn_xn_first(NULL, "a") == NULL);
    CHECK(vn_xn_next(NULL, NULL) == NULL);
    CHECK(vn_xn_path(NULL, "a/b") == NULL);
    CHECK_STR(vn_xn_text(NULL, buf, sizeof(buf)), "");
    CHECK(vn_xn_strdup(NULL) == NULL);
    CHECK(vn_xn_attr(NULL, NULL, "x") == NULL);
    CHECK(vn_xn_lookup_ns(NULL, "xml") == NULL);
    vn_buf out = VN_BUF_INIT;
    vn_xn_dump(NULL, &out);
    CHECK_INT(out.len, 0);
    CHECK(vn_xreader_next(NULL, NULL) == NULL);
    CHECK(vn_xreader_spine(NULL, 0) == NULL);
    vn_xreader_free(NULL);
}

TEST(navigation_and_text)
{
    vn_error e;
    vn_xdoc *d = parse("<a><b>1</b><c>2</c><b>3</b><d><e>\xc3\xa9\xc3\xa9</e></d></a>", &e);
    const vn_xnode *a = vn_xml_root(d);
    const vn_xnode *b1 = vn_xn_first(a, "b"), *b2 = vn_xn_next(b1, "b");
    CHECK_STR(b1->text, "1");
    CHECK_STR(b2->text, "3");
    CHECK(vn_xn_next(b2, "b") == NULL);
    CHECK_STR(vn_xn_next(b1, NULL)->name, "c");
    CHECK(vn_xn_first(a, "zz") == NULL);
    CHECK_STR(vn_xn_path(a, "d/e")->name, "e");
    CHECK(vn_xn_path(a, "d/x") == NULL);
    CHECK(vn_xn_path(a, "") == a);
    CHECK(vn_xn_path(a, "dd") == NULL);
    char buf[8];
    CHECK_STR(vn_xn_text(vn_xn_path(a, "d/e"), buf, sizeof(buf)), "\xc3\xa9\xc3\xa9");
    /* truncated before a character, never inside one */
    CHECK_STR(vn_xn_text(vn_xn_path(a, "d/e"), buf, 4), "\xc3\xa9");
    CHECK_STR(vn_xn_text(vn_xn_path(a, "d/e"), buf, 2), "");
    CHECK_STR(vn_xn_text(b1, buf, 0), "");
    char *s = vn_xn_strdup(b2);
    CHECK_STR(s, "3");
    free(s);
    s = vn_xn_strdup(a);
    CHECK_STR(s, "");
    free(s);
    CHECK(b1->parent == a && a->parent == NULL);
    vn_xml_free(d);
}

/* --- dump --- */

static char *dump(const vn_xnode *n)
{
    vn_buf b = VN_BUF_INIT;
    vn_xn_dump(n, &b);
    vn_buf_addc(&b, '\0');
    return vn_buf_detach(&b, NULL);
}

TEST(dump_escapes_and_declares_scope)
{
    vn_error e;
    vn_xdoc *d =
        parse("<a xmlns=\"urn:a\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><b xmlns:p=\"urn:p2\">"
              "<p:c x=\"&quot;&lt;&amp;&#9;&#10;&#13;>\" q:y=\"1\">t&amp;&lt;&gt;&#13;\n"
              "<d xmlns=\"\"/></p:c></b></a>",
              &e);
    CHECK(d != NULL);
    char *s = dump(vn_xn_path(vn_xml_root(d), "b/c"));
    /* the nearest p, the default and q from the root */
    CHECK_STR(s, "<p:c xmlns:p=\"urn:p2\" xmlns=\"urn:a\" xmlns:q=\"urn:q\" "
                 "x=\"&quot;&lt;&amp;&#9;&#10;&#13;>\" q:y=\"1\">t&amp;&lt;&gt;&#13;\n"
                 "<d xmlns=\"\"/></p:c>");
    free(s);
    vn_xml_free(d);
}

TEST(dump_round_trip)
{
    const char *doc =
        "<?xml version=\"1.0\"?>\n<e:Envelope xmlns:e=\"urn:env\" xmlns:xsi=\"" VN_XML_NS_XSI
        "\"><e:Body><R xmlns=\"urn:vim25\"><v xsi:type=\"xsd:string\" xml:lang=\"en\">a &amp; "
        "b<![CDATA[ <c> ]]>\r\n</v><w xmlns=\"\"><x a=\"&#10;\"/>tail</w>\n</R></e:Body>"
        "</e:Envelope>";
    vn_error e;
    vn_xdoc *d = parse(doc, &e);
    CHECK(d != NULL);
    const vn_xnode *nodes[] = {vn_xml_root(d), vn_xn_path(vn_xml_root(d), "Body/R"),
                               vn_xn_path(vn_xml_root(d), "Body/R/w")};
    for (size_t i = 0; i < 3; i++) {
        char *once = dump(nodes[i]);
        vn_xdoc *again = parse(once, &e);
        if (!again) {
            FAILF("dump does not parse back: %s: %s", e.msg, once);
            free(once);
            continue;
        }
        const vn_xnode *r = vn_xml_root(again);
        CHECK_STR(r->name, nodes[i]->name);
        CHECK_STR(r->ns, nodes[i]->ns);
        CHECK_STR(r->text, nodes[i]->text);
        char *twice = dump(r);
        CHECK_STR(twice, once);
        free(twice);
        free(once);
        vn_xml_free(again);
    }
    const vn_xnode *v = vn_xn_path(vn_xml_root(d), "Body/R/v");
    CHECK_STR(v->text, "a & b <c> \n");
    vn_xml_free(d);
}

/* --- the streaming reader --- */

/* A RetrievePropertiesEx reply as vcsim writes it: each val declares the
 * XSI namespace under a prefix of its own. */
static void reply(vn_buf *b, int objects, const char *after_objects)
{
    vn_buf_adds(
        b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope "
           "xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:soapenv=\"" SOAP_NS
           "\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"" VN_XML_NS_XSI
           "\">\n<soapenv:Header></soapenv:Header>\n<soapenv:Body>\n"
           "<RetrievePropertiesExResponse xmlns=\"urn:vim25\">\n<returnval>\n");
    for (int i = 0; i < objects; i++) {
        vn_buf_addf(b, "<objects>\n<obj type=\"VirtualMachine\">vm-%d</obj>\n", i);
        vn_buf_addf(b,
                    "<propSet><name>name</name><val xmlns:XMLSchema-instance=\"" VN_XML_NS_XSI
                    "\" XMLSchema-instance:type=\"xsd:string\">VM &amp; %d</val></propSet>\n",
                    i);
        vn_buf_adds(b, "<propSet><name>config.template</name><val "
                       "xmlns:XMLSchema-instance=\"" VN_XML_NS_XSI
                       "\" XMLSchema-instance:type=\"xsd:boolean\">false</val></propSet>\n"
                       "</objects>\n");
    }
    vn_buf_adds(b, after_objects);
}

static const char reply_end[] = "<token>7</token>\n</returnval>\n</RetrievePropertiesExResponse>\n"
                                "</soapenv:Body>\n</soapenv:Envelope>\n";

TEST(reader_returns_objects_with_subtrees_and_ancestors)
{
    vn_buf b = VN_BUF_INIT;
    reply(&b, 5, reply_end);
    vn_xreader *r = vn_xreader_new(b.data, b.len, "reply.xml", 4);
    vn_error e = {0};
    e.code = 99; /* untouched at the end */
    const vn_xnode *n;
    int i = 0, tokens = 0;
    while ((n = vn_xreader_next(r, &e)) != NULL) {
        if (!strcmp(n->name, "token")) {
            CHECK_STR(n->text, "7");
            tokens++;
            continue;
        }
        CHECK_STR(n->name, "objects");
        CHECK_STR(n->ns, "urn:vim25");
        char want[32], buf[32];
        snprintf(want, sizeof(want), "vm-%d", i);
        CHECK_STR(vn_xn_text(vn_xn_first(n, "obj"), buf, sizeof(buf)), want);
        CHECK_STR(vn_xn_attr(vn_xn_first(n, "obj"), NULL, "type"), "VirtualMachine");
        const vn_xnode *val = vn_xn_path(n, "propSet/val");
        snprintf(want, sizeof(want), "VM & %d", i);
        CHECK_STR(val->text, want);
        CHECK_STR(vn_xn_attr(val, VN_XML_NS_XSI, "type"), "xsd:string");
        CHECK_STR(vn_xn_attr(vn_xn_next(vn_xn_first(n, "propSet"), "propSet")->children->next,
                             VN_XML_NS_XSI, "type"),
                  "xsd:boolean");
        /* ancestors through ->parent: spine nodes, no children or text */
        const vn_xnode *rv = n->parent, *resp = rv->parent, *body = resp->parent,
                       *env = body->parent;
        CHECK_STR(rv->name, "returnval");
        CHECK_STR(resp->name, "RetrievePropertiesExResponse");
        CHECK_STR(resp->nsdecls->uri, "urn:vim25");
        CHECK_STR(body->name, "Body");
        CHECK_STR(body->ns, SOAP_NS);
        CHECK_STR(env->name, "Envelope");
        CHECK(env->parent == NULL);
        CHECK(rv->children == NULL && rv->text_len == 0);
        CHECK(vn_xreader_spine(r, 1) == body);
        CHECK(vn_xreader_spine(r, 3) == rv);
        /* prefixes resolve through the spine */
        CHECK_STR(vn_xn_lookup_ns(val, "soapenv"), SOAP_NS);
        CHECK_STR(vn_xn_lookup_ns(val, "XMLSchema-instance"), VN_XML_NS_XSI);
        CHECK_STR(vn_xn_lookup_ns(n, ""), "urn:vim25");
        /* the dump declares what the spine declared */
        char *s = dump(vn_xn_first(n, "propSet"));
        CHECK(strstr(s, "xmlns=\"urn:vim25\"") != NULL);
        CHECK(strstr(s, "xmlns:soapenv=\"" SOAP_NS "\"") != NULL);
        free(s);
        i++;
    }
    CHECK_INT(i, 5);
    CHECK_INT(tokens, 1);
    CHECK_INT(e.code, 99);
    CHECK_STR(vn_xreader_spine(r, 0)->name, "Envelope");
    CHECK_STR(vn_xreader_spine(r, 1)->name, "Body");
    CHECK_STR(vn_xreader_spine(r, 2)->name, "RetrievePropertiesExResponse");
    CHECK(vn_xreader_spine(r, 4) == NULL); /* the reader's own depth is not spine */
    CHECK(vn_xreader_spine(r, -1) == NULL);
    CHECK(vn_xreader_next(r, &e) == NULL); /* stays at the end */
    CHECK_INT(e.code, 99);
    vn_xreader_free(r);
    vn_buf_free(&b);
}

TEST(reader_reports_malformed_document_part_way)
{
    vn_buf b = VN_BUF_INIT;
    reply(&b, 3, "<objects><obj>vm-x</objects>\n</returnval>");
    int lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    vn_xreader *r = vn_xreader_new(b.data, b.len, "reply.xml", 4);
    vn_error e = {0};
    int n = 0;
    while (vn_xreader_next(r, &e) != NULL)
        n++;
    CHECK_INT(n, 3);
    CHECK_INT(e.code, VN_EINPUT);
    CHECK(strstr(e.msg, "malformed XML: expected </obj>, found </objects>") != NULL);
    char where[64];
    snprintf(where, sizeof(where), "reply.xml:%d", lines); /* the last line break follows */
    CHECK_STR(e.where, where);
    /* and says so again */
    vn_error e2 = {0};
    CHECK(vn_xreader_next(r, &e2) == NULL);
    CHECK_STR(e2.msg, e.msg);
    vn_xreader_free(r);
    vn_buf_free(&b);
}

TEST(reader_checks_the_rest_of_the_document)
{
    /* Well-formed up to the last element returned, then not. */
    const char *doc = "<a><b><c/></b><b/></a>\n<junk/>";
    vn_xreader *r = vn_xreader_new(doc, strlen(doc), "doc.xml", 1);
    vn_error e = {0};
    CHECK(vn_xreader_next(r, &e) != NULL);
    CHECK(vn_xreader_next(r, &e) != NULL);
    CHECK(vn_xreader_next(r, &e) == NULL);
    CHECK(strstr(e.msg, "a second root element") != NULL);
    CHECK_STR(e.where, "doc.xml:2");
    vn_xreader_free(r);
    /* DTDs are refused by the reader as by the parse */
    doc = "<!DOCTYPE a><a><b/></a>";
    r = vn_xreader_new(doc, strlen(doc), "doc.xml", 1);
    memset(&e, 0, sizeof(e));
    CHECK(vn_xreader_next(r, &e) == NULL);
    CHECK(strstr(e.msg, "the document carries a DTD") != NULL);
    vn_xreader_free(r);
}

TEST(reader_depth_zero_and_no_match)
{
    const char *doc = "<a x='1'>t<b>u</b></a>";
    vn_xreader *r = vn_xreader_new(doc, strlen(doc), "doc.xml", 0);
    vn_error e = {0};
    const vn_xnode *n = vn_xreader_next(r, &e);
    CHECK(n != NULL);
    CHECK_STR(n->text, "t");
    CHECK_STR(vn_xn_first(n, "b")->text, "u");
    CHECK_STR(vn_xn_attr(n, NULL, "x"), "1");
    CHECK(vn_xreader_next(r, &e) == NULL);
    CHECK_INT(e.code, VN_OK);
    CHECK(vn_xreader_spine(r, 0) == NULL); /* depth 0 has no spine */
    vn_xreader_free(r);
    r = vn_xreader_new(doc, strlen(doc), "doc.xml", 3);
    CHECK(vn_xreader_next(r, &e) == NULL);
    CHECK_INT(e.code, VN_OK);
    CHECK_STR(vn_xreader_spine(r, 0)->name, "a");
    CHECK_STR(vn_xreader_spine(r, 1)->name, "b");
    CHECK(vn_xreader_spine(r, 2) == NULL);
    vn_xreader_free(r);
    r = vn_xreader_new(doc, strlen(doc), "doc.xml", -1);
    CHECK(vn_xreader_next(r, &e) == NULL);
    CHECK(strstr(e.msg, "reader depth -1") != NULL);
    vn_xreader_free(r);
}

TEST(reader_spine_follows_the_current_ancestors)
{
    const char *doc = "<r><h><x/></h><b id='1'><y/></b><b id='2'/></r>";
    vn_xreader *r = vn_xreader_new(doc, strlen(doc), "doc.xml", 3);
    vn_error e = {0};
    CHECK(vn_xreader_next(r, &e) == NULL);
    CHECK_INT(e.code, VN_OK);
    CHECK_STR(vn_xreader_spine(r, 1)->name, "b");
    CHECK_STR(vn_xn_attr(vn_xreader_spine(r, 1), NULL, "id"), "2");
    /* <y> was under the first <b>, not under the last one */
    CHECK(vn_xreader_spine(r, 2) == NULL);
    vn_xreader_free(r);
}

static size_t heap_in_use(void)
{
#ifdef HAVE_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd; /* large chunks are mmapped apart */
#endif
}

TEST(reader_memory_does_not_grow_with_objects)
{
    vn_buf b = VN_BUF_INIT;
    reply(&b, 100000, reply_end);
    vn_xreader *r = vn_xreader_new(b.data, b.len, "reply.xml", 4);
    vn_error e = {0};
    size_t at_first = 0, peak = 0;
    int n = 0;
    const vn_xnode *o;
    while ((o = vn_xreader_next(r, &e)) != NULL) {
        if (++n == 1000)
            at_first = heap_in_use();
        else if (n > 1000 && n % 5000 == 0 && heap_in_use() > peak)
            peak = heap_in_use();
    }
    CHECK_INT(n, 100001); /* with the token */
    CHECK_INT(e.code, VN_OK);
    if (peak > at_first + 64 * 1024)
        FAILF("the reader grew by %zu bytes between object 1000 and 100000", peak - at_first);
    vn_xreader_free(r);
    vn_buf_free(&b);
}

int main(void)
{
    RUN(soap_reply_namespaces);
    RUN(default_namespace_undeclared_and_redeclared);
    RUN(prefixed_attributes_and_xml_prefix);
    RUN(references_cdata_and_astral_characters);
    RUN(line_ends_normalised);
    RUN(attribute_values_normalised);
    RUN(bom_declaration_comments_and_pis);
    RUN(text_around_children_is_joined);
    RUN(line_numbers);
    RUN(names);
    RUN(input_is_copied_not_modified_nor_read_past_len);
    RUN(deepest_nesting_accepted);
    RUN(dtd_refused);
    RUN(encodings_refused);
    RUN(characters_refused);
    RUN(references_refused);
    RUN(markup_refused);
    RUN(names_refused);
    RUN(structure_refused);
    RUN(attributes_refused);
    RUN(namespaces_refused);
    RUN(depth_and_size_refused);
    RUN(accessors_accept_null);
    RUN(navigation_and_text);
    RUN(dump_escapes_and_declares_scope);
    RUN(dump_round_trip);
    RUN(reader_returns_objects_with_subtrees_and_ancestors);
    RUN(reader_reports_malformed_document_part_way);
    RUN(reader_checks_the_rest_of_the_document);
    RUN(reader_depth_zero_and_no_match);
    RUN(reader_spine_follows_the_current_ancestors);
    RUN(reader_memory_does_not_grow_with_objects);
    TH_EXIT();
}
