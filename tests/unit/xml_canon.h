/* A canonical text form of an XML element tree, written the same way from
 * a vn_xml tree and from a libxml2 tree, so the two parsers can be
 * compared: one line per element ({ns}local), its attributes sorted
 * ({ns}local=value), its own text (text and CDATA children joined), with
 * C-style escapes so that whitespace differences show. Used by the
 * differential unit test and the differential fuzz target. */
#ifndef VN_XML_CANON_H
#define VN_XML_CANON_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"
#include "vn_xml.h"

enum {
    CANON_EXACT = 0,
    /* Text made of white space only is left out: libxml2's NOBLANKS drops
     * such text nodes where it guesses they are indentation. */
    CANON_IGNORE_BLANK = 1,
};

static void canon_escaped(vn_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n')
            vn_buf_adds(out, "\\n");
        else if (ch == '\r')
            vn_buf_adds(out, "\\r");
        else if (ch == '\t')
            vn_buf_adds(out, "\\t");
        else if (ch == '\\')
            vn_buf_adds(out, "\\\\");
        else if (ch < 0x20)
            vn_buf_addf(out, "\\x%02x", ch);
        else
            vn_buf_addc(out, (char)ch);
    }
}

static int canon_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\n\r", s[i]))
            return 0;
    return 1;
}

static int canon_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The attribute lines of one element, sorted, appended to out. */
static void canon_attrs(vn_buf *out, char **lines, size_t n, int depth)
{
    qsort(lines, n, sizeof(*lines), canon_cmp);
    for (size_t i = 0; i < n; i++) {
        vn_buf_addf(out, "%*s@", 2 * depth, "");
        vn_buf_adds(out, lines[i]);
        vn_buf_addc(out, '\n');
        free(lines[i]);
    }
    free(lines);
}

static char *canon_attr_line(const char *ns, const char *name, const char *value)
{
    vn_buf b = VN_BUF_INIT;
    vn_buf_addf(&b, "{%s}%s=", ns, name);
    canon_escaped(&b, value, strlen(value));
    return vn_buf_detach(&b, NULL);
}

static void canon_text(vn_buf *out, const char *text, size_t len, int mode, int depth)
{
    if (!len || (mode == CANON_IGNORE_BLANK && canon_blank(text, len)))
        return;
    vn_buf_addf(out, "%*s\"", 2 * depth, "");
    canon_escaped(out, text, len);
    vn_buf_adds(out, "\"\n");
}

static void canon_vn_at(const vn_xnode *n, vn_buf *out, int mode, int depth)
{
    vn_buf_addf(out, "%*s{%s}%s\n", 2 * depth, "", n->ns, n->name);
    size_t na = 0;
    for (const vn_xattr *a = n->attrs; a; a = a->next)
        na++;
    char **lines = malloc((na ? na : 1) * sizeof(*lines));
    na = 0;
    for (const vn_xattr *a = n->attrs; a; a = a->next)
        lines[na++] = canon_attr_line(a->ns, a->name, a->value);
    canon_attrs(out, lines, na, depth);
    canon_text(out, n->text, n->text_len, mode, depth);
    for (const vn_xnode *c = n->children; c; c = c->next)
        canon_vn_at(c, out, mode, depth + 1);
}

static void canon_vn(const vn_xnode *n, vn_buf *out, int mode)
{
    if (n)
        canon_vn_at(n, out, mode, 0);
}

/* A namespace URI as libxml2 keeps it, as vn_xml does: libxml2 leaves
 * every '&' of a declaration's value written "&#38;" (its attribute
 * parser's re-escape, undone for attribute values but not for namespace
 * declarations), and only there, so the mapping back is exact. */
static char *canon_lx_href(xmlNsPtr ns)
{
    vn_buf b = VN_BUF_INIT;
    vn_buf_adds(&b, "");
    for (const char *s = ns && ns->href ? (const char *)ns->href : ""; *s; s++) {
        vn_buf_addc(&b, *s);
        if (!strncmp(s, "&#38;", 5))
            s += 4;
    }
    return vn_buf_detach(&b, NULL);
}

static void canon_lx_at(xmlNodePtr n, vn_buf *out, int mode, int depth)
{
    char *href = canon_lx_href(n->ns);
    vn_buf_addf(out, "%*s{%s}%s\n", 2 * depth, "", href, (const char *)n->name);
    free(href);
    size_t na = 0;
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        na++;
    char **lines = malloc((na ? na : 1) * sizeof(*lines));
    na = 0;
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
        href = canon_lx_href(a->ns);
        lines[na++] = canon_attr_line(href, (const char *)a->name, v ? (const char *)v : "");
        free(href);
        xmlFree(v);
    }
    canon_attrs(out, lines, na, depth);
    vn_buf text = VN_BUF_INIT;
    for (xmlNodePtr c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            vn_buf_adds(&text, (const char *)c->content);
    canon_text(out, text.data ? text.data : "", text.len, mode, depth);
    vn_buf_free(&text);
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            canon_lx_at(c, out, mode, depth + 1);
}

static void canon_lx(xmlNodePtr n, vn_buf *out, int mode)
{
    if (n)
        canon_lx_at(n, out, mode, 0);
}

#endif
