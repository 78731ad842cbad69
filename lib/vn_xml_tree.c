/* Looking at a vn_xml tree: children by name, paths, texts, attributes by
 * namespace, prefix lookup through the ancestors' declarations, and the
 * tree written back as a standalone XML fragment. */
#include "vn_xml.h"

#include <stdlib.h>
#include <string.h>

#include "vn_xml_core.h"

/* `c` or its first following sibling named `name` (any when NULL). */
static const vn_xnode *named_from(const vn_xnode *c, const char *name)
{
    while (c && name && strcmp(c->name, name) != 0)
        c = c->next;
    return c;
}

const vn_xnode *vn_xn_first(const vn_xnode *parent, const char *name)
{
    return parent ? named_from(parent->children, name) : NULL;
}

const vn_xnode *vn_xn_next(const vn_xnode *node, const char *name)
{
    return node ? named_from(node->next, name) : NULL;
}

const vn_xnode *vn_xn_path(const vn_xnode *parent, const char *path)
{
    if (!path)
        return parent;
    while (parent && *path) {
        size_t n = strcspn(path, "/");
        if (n) {
            const vn_xnode *c = parent->children;
            while (c && (strncmp(c->name, path, n) != 0 || c->name[n] != '\0'))
                c = c->next;
            parent = c;
        }
        path += n + (path[n] == '/');
    }
    return parent;
}

const char *vn_xn_text(const vn_xnode *node, char *buf, size_t len)
{
    if (!buf || !len)
        return "";
    size_t n = node ? node->text_len : 0;
    if (n >= len) {
        /* Cut before a character, never inside one. */
        n = len - 1;
        while (n > 0 && ((unsigned char)node->text[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(buf, node->text, n);
    buf[n] = '\0';
    return buf;
}

char *vn_xn_strdup(const vn_xnode *node)
{
    return node ? vn_xstrndup(node->text, node->text_len) : NULL;
}

const char *vn_xn_attr(const vn_xnode *node, const char *ns, const char *name)
{
    if (!node || !name)
        return NULL;
    if (!ns)
        ns = "";
    for (const vn_xattr *a = node->attrs; a; a = a->next)
        if (strcmp(a->name, name) == 0 && strcmp(a->ns, ns) == 0)
            return a->value;
    return NULL;
}

const char *vn_xn_lookup_ns(const vn_xnode *node, const char *prefix)
{
    if (!node)
        return NULL;
    if (!prefix)
        prefix = "";
    if (strcmp(prefix, "xml") == 0)
        return VN_XML_NS_XML;
    for (const vn_xnode *n = node; n; n = n->parent)
        for (const vn_xnsdecl *d = n->nsdecls; d; d = d->next)
            if (strcmp(d->prefix, prefix) == 0)
                return d->uri[0] ? d->uri : NULL;
    return NULL;
}

/* --- vn_xn_dump --- */

/* Escapes what would not read back as itself: markup characters, and the
 * line and tab characters that parsing normalises (CR in text; tab, LF
 * and CR in attribute values). */
static void add_escaped(vn_buf *out, const char *s, size_t n, int in_attr)
{
    const char *end = s + n, *plain = s;
    for (; s < end; s++) {
        const char *rep;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = in_attr ? NULL : "&gt;";
            break;
        case '"':
            rep = in_attr ? "&quot;" : NULL;
            break;
        case '\r':
            rep = "&#13;";
            break;
        case '\n':
            rep = in_attr ? "&#10;" : NULL;
            break;
        case '\t':
            rep = in_attr ? "&#9;" : NULL;
            break;
        default:
            rep = NULL;
        }
        if (!rep)
            continue;
        vn_buf_add(out, plain, (size_t)(s - plain));
        vn_buf_adds(out, rep);
        plain = s + 1;
    }
    vn_buf_add(out, plain, (size_t)(end - plain));
}

static void add_qname(vn_buf *out, const char *prefix, const char *name)
{
    if (prefix[0]) {
        vn_buf_adds(out, prefix);
        vn_buf_addc(out, ':');
    }
    vn_buf_adds(out, name);
}

static void add_decl(vn_buf *out, const char *prefix, const char *uri)
{
    vn_buf_adds(out, prefix[0] ? " xmlns:" : " xmlns");
    vn_buf_adds(out, prefix);
    vn_buf_adds(out, "=\"");
    add_escaped(out, uri, strlen(uri), 1);
    vn_buf_addc(out, '"');
}

static size_t prefix_hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The fragment's top element declares every binding in scope there: the
 * nearest declaration of each prefix, walking up through the ancestors
 * (a set of the prefixes seen keeps this linear). */
static void declare_in_scope(const vn_xnode *node, vn_buf *out)
{
    size_t total = 0;
    for (const vn_xnode *n = node; n; n = n->parent)
        for (const vn_xnsdecl *d = n->nsdecls; d; d = d->next)
            total++;
    if (!total)
        return;
    size_t size = 16;
    while (size < 2 * total)
        size *= 2;
    const char **seen = vn_xcalloc(size, sizeof(*seen));
    for (const vn_xnode *n = node; n; n = n->parent)
        for (const vn_xnsdecl *d = n->nsdecls; d; d = d->next) {
            size_t k = prefix_hash(d->prefix) & (size - 1);
            while (seen[k] && strcmp(seen[k], d->prefix) != 0)
                k = (k + 1) & (size - 1);
            if (seen[k] || strcmp(d->prefix, "xml") == 0)
                continue;
            seen[k] = d->prefix;
            if (d->prefix[0] || d->uri[0]) /* xmlns="" needs no saying at the top */
                add_decl(out, d->prefix, d->uri);
        }
    free(seen);
}

static void dump_node(const vn_xnode *n, vn_buf *out, int top)
{
    vn_buf_addc(out, '<');
    add_qname(out, n->prefix, n->name);
    if (top)
        declare_in_scope(n, out);
    else
        for (const vn_xnsdecl *d = n->nsdecls; d; d = d->next)
            add_decl(out, d->prefix, d->uri);
    for (const vn_xattr *a = n->attrs; a; a = a->next) {
        vn_buf_addc(out, ' ');
        add_qname(out, a->prefix, a->name);
        vn_buf_adds(out, "=\"");
        add_escaped(out, a->value, strlen(a->value), 1);
        vn_buf_addc(out, '"');
    }
    if (!n->text_len && !n->children) {
        vn_buf_adds(out, "/>");
        return;
    }
    vn_buf_addc(out, '>');
    add_escaped(out, n->text, n->text_len, 0);
    for (const vn_xnode *c = n->children; c; c = c->next)
        dump_node(c, out, 0);
    vn_buf_adds(out, "</");
    add_qname(out, n->prefix, n->name);
    vn_buf_addc(out, '>');
}

void vn_xn_dump(const vn_xnode *node, vn_buf *out)
{
    if (node && out)
        dump_node(node, out, 1);
}
