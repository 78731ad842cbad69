/* The core of vn_xml that both parsers run: the loop over tags and the
 * character data between them, start tags (attributes, namespace
 * declarations and their scope, duplicate checks), end tags, the nodes
 * built into the arena as each start tag ends, and each element's own
 * text joined from its runs. The whole parse and the streaming reader
 * differ only in the core's spine_depth and stop_depth.
 *
 * The hot loops skip plain bytes 16 at a time (SSE2) or by a table lookup
 * per byte, and leave references, line ends, non-ASCII and controls to
 * the slow path. A write cursor trails the read cursor wherever decoding
 * shortens text; plain spans are moved down with one memmove. */
#include "vn_xml_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"
#include "vn_xml_lex.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char no_text[] = "";
static const char no_ns[] = "";

char *vn_xcore_fail(vn_xcore *c, const char *fmt, ...)
{
    if (c->failed)
        return NULL;
    char what[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    vn_fail_at(&c->error, VN_EINPUT, c->name, (int)c->line, "malformed XML: %s", what);
    c->failed = 1;
    return NULL;
}

/* memcmp for the short strings of names: no call. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* --- character data and attribute values: the hot loops --- */

enum { NEXT_START, NEXT_END };

/* The plain bytes of character data (or of an attribute value), skipped
 * 16 at a time: indentation and URIs are most of what a SOAP reply's bytes
 * are. Stops where the class table would (either quote ends the plain
 * bytes of a value), or at a tab, which the callers take as plain. A
 * 16-byte load from r <= end stays within the padding; the next load
 * comes only past 16 plain bytes, and the NUL at `end` is never plain. */
static inline char *skip_plain(char *r, int in_attr)
{
#ifdef __SSE2__
    const __m128i ctl = _mm_set1_epi8(0x20), lt = _mm_set1_epi8('<'), amp = _mm_set1_epi8('&'),
                  x1 = _mm_set1_epi8(in_attr ? '"' : ']'), x2 = _mm_set1_epi8(in_attr ? '\'' : ']');
    for (;;) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)r);
        /* signed: below 0x20 are the controls and every byte from 0x80 */
        __m128i stop =
            _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, ctl), _mm_cmpeq_epi8(v, lt)),
                         _mm_or_si128(_mm_cmpeq_epi8(v, amp),
                                      _mm_or_si128(_mm_cmpeq_epi8(v, x1), _mm_cmpeq_epi8(v, x2))));
        int mask = _mm_movemask_epi8(stop);
        if (mask)
            return r + __builtin_ctz((unsigned)mask);
        r += 16;
    }
#else
    unsigned char bit = in_attr ? VN_XC_ATTR : VN_XC_TEXT;
    while (!(VN_XCLS(r) & bit))
        r++;
    return r;
#endif
}

/* Character data from r to the next start or end tag, decoded in place
 * into one run (CDATA sections joined, comments and PIs squeezed out) and
 * NUL-terminated. Returns the position after "<" or "</". */
static char *scan_content(vn_xcore *c, char *r, int *next, char **run, size_t *run_len)
{
    char *w = r;
    *run = r;
    for (;;) {
        char *s = r;
        r = skip_plain(r, 0);
        if (w != s)
            memmove(w, s, (size_t)(r - s));
        w += r - s;
        switch (*r) {
        case '<':
            if (r[1] == '/') {
                *next = NEXT_END;
                r += 2;
                goto done;
            }
            if (r[1] == '!') {
                if (r[2] == '-' && r[3] == '-')
                    r = vn_xlex_comment(c, r + 4);
                else if (!memcmp(r + 2, "[CDATA[", 7))
                    r = vn_xlex_cdata(c, r + 9, &w);
                else
                    r = vn_xlex_bad_markup(c, r);
                if (!r)
                    return NULL;
                break;
            }
            if (r[1] == '?') {
                if (!(r = vn_xlex_pi(c, r + 2)))
                    return NULL;
                break;
            }
            *next = NEXT_START;
            r += 1;
            goto done;
        case '&':
            if (!(r = vn_xlex_ref(c, r, &w)))
                return NULL;
            break;
        case '\t':
            *w++ = *r++;
            break;
        case '\n':
        case '\r':
            vn_xline_end(c, &r, &w, '\n');
            break;
        case ']':
            if (r[1] == ']' && r[2] == '>')
                return vn_xcore_fail(c, "']]>' in text (it may only end a CDATA section)");
            *w++ = *r++;
            break;
        default: {
            int n = vn_xlex_other_char(c, r);
            if (n < 0)
                return vn_xlex_unclosed(c);
            if (!n)
                return NULL;
            memmove(w, r, (size_t)n);
            w += n;
            r += n;
        }
        }
    }
done:
    *run_len = (size_t)(w - *run);
    *w = '\0';
    return r;
}

/* Past the quote: decodes and normalises the value in place (tab, LF, CR
 * and CR LF become one space; references are not normalised). */
static char *attr_value(vn_xcore *c, char *r, vn_xrawattr *a)
{
    char quote = *r++, *w = r;
    const char *qname = a->qname;
    size_t qlen = a->qlen;
    a->value = r;
    for (;;) {
        char *s = r;
        r = skip_plain(r, 1);
        if (w != s)
            memmove(w, s, (size_t)(r - s));
        w += r - s;
        switch (*r) {
        case '"':
        case '\'':
            if (*r == quote) {
                *w = '\0';
                a->vlen = (uint32_t)(w - a->value);
                return r + 1;
            }
            *w++ = *r++;
            break;
        case '<':
            return vn_xcore_fail(c, "'<' in the value of attribute %.*s (write &lt;)",
                                 vn_xquote_len(qlen), qname);
        case '&':
            if (!(r = vn_xlex_ref(c, r, &w)))
                return NULL;
            break;
        case '\t':
            *w++ = ' ';
            r++;
            break;
        case '\n':
        case '\r':
            vn_xline_end(c, &r, &w, ' ');
            break;
        default: {
            int n = vn_xlex_other_char(c, r);
            if (n < 0)
                return vn_xcore_fail(c, "the document ends inside the value of attribute %.*s",
                                     vn_xquote_len(qlen), qname);
            if (!n)
                return NULL;
            memmove(w, r, (size_t)n);
            w += n;
            r += n;
        }
        }
    }
}

/* --- an element's own text --- */

static void tstack_grow(vn_xcore *c, size_t n)
{
    size_t cap = c->tstack_cap ? c->tstack_cap : 256;
    while (cap - c->tstack_len < n)
        cap *= 2;
    c->tstack = vn_xrealloc(c->tstack, cap);
    c->tstack_cap = cap;
}

static inline void tstack_push(vn_xcore *c, const char *s, size_t n)
{
    if (c->tstack_cap - c->tstack_len < n)
        tstack_grow(c, n);
    memcpy(c->tstack + c->tstack_len, s, n);
    c->tstack_len += n;
}

/* A run of the innermost open element's own text. The first run stays in
 * place; a second one (after a child element) joins it in the text stack,
 * where the element's text grows until its end tag. */
static void add_text(vn_xcore *c, const char *s, size_t n)
{
    vn_xopen *o = &c->open[c->depth - 1];
    if (!n || c->depth - 1 < c->spine_depth)
        return;
    if (!o->text) {
        o->text = s;
        o->text_len = n;
        return;
    }
    if (!o->accumulating) {
        o->accumulating = 1;
        o->acc_base = c->tstack_len;
        tstack_push(c, o->text, o->text_len);
    }
    tstack_push(c, s, n);
}

static vn_xrawattr *new_rawattr(vn_xcore *c, size_t n)
{
    if (n == c->atts_cap) {
        size_t cap = c->atts_cap * 2;
        vn_xrawattr *a = vn_xmalloc(cap * sizeof(*a));
        memcpy(a, c->atts, n * sizeof(*a));
        if (c->atts != c->atts_inline)
            free(c->atts);
        c->atts = a;
        c->atts_cap = cap;
    }
    return &c->atts[n];
}

static void push_binding(vn_xcore *c, const char *prefix, size_t plen, const char *uri)
{
    if (c->ns_n == c->ns_cap) {
        size_t cap = c->ns_cap * 2;
        vn_xbinding *b = vn_xmalloc(cap * sizeof(*b));
        memcpy(b, c->ns, c->ns_n * sizeof(*b));
        if (c->ns != c->ns_inline)
            free(c->ns);
        c->ns = b;
        c->ns_cap = cap;
    }
    vn_xbinding *b = &c->ns[c->ns_n++];
    b->prefix = prefix;
    b->plen = plen;
    b->uri = uri;
}

static const char *lookup_prefix(const vn_xcore *c, const char *p, size_t plen)
{
    for (size_t i = c->ns_n; i-- > 0;) {
        const vn_xbinding *b = &c->ns[i];
        if (b->plen == plen && b->prefix[0] == p[0] && !memcmp(b->prefix, p, plen))
            return b->uri;
    }
    return NULL;
}

static int is_xmlns_attr(const vn_xrawattr *a)
{
    return a->qname[0] == 'x' && (a->plen == 0 ? a->qlen == 5 : a->plen == 5) &&
           same_bytes(a->qname, "xmlns", 5);
}

static int is_uri(const vn_xrawattr *a, const char *uri, size_t len)
{
    return a->vlen == len && same_bytes(a->value, uri, len);
}

/* Checks one xmlns or xmlns:P declaration and brings it into scope. */
static int declare(vn_xcore *c, const vn_xrawattr *a)
{
    const char *prefix = a->plen ? a->qname + 6 : "", *uri = a->value;
    size_t plen = a->plen ? a->qlen - 6 : 0;
    int is_xml_uri = is_uri(a, VN_XML_NS_XML, sizeof(VN_XML_NS_XML) - 1);
    if (plen == 5 && !memcmp(prefix, "xmlns", 5))
        return vn_xcore_fail(c, "the xmlns prefix cannot be declared"), -1;
    if (plen == 3 && !memcmp(prefix, "xml", 3)) {
        if (!is_xml_uri)
            return vn_xcore_fail(c, "the xml prefix can only be bound to " VN_XML_NS_XML), -1;
    } else if (is_xml_uri || is_uri(a, VN_XML_NS_XMLNS, sizeof(VN_XML_NS_XMLNS) - 1)) {
        return vn_xcore_fail(c, "namespace %.*s cannot be bound to %s%.*s", VN_XQUOTE_MAX, uri,
                             plen ? "prefix " : "the default namespace", (int)plen, prefix),
               -1;
    }
    if (plen && !uri[0])
        return vn_xcore_fail(c, "xmlns:%s=\"\" (a prefix cannot be undeclared in XML 1.0)", prefix),
               -1;
    push_binding(c, prefix, plen, uri); /* declared twice: check_duplicates says */
    return 0;
}

static const char *local_part(const vn_xrawattr *a)
{
    return a->plen ? a->qname + a->plen + 1 : a->qname;
}

/* The prefix a declaration declares ("" for the default namespace). */
static const char *declared(const vn_xrawattr *a, size_t *len)
{
    *len = a->plen ? a->qlen - 6 : 0;
    return a->plen ? a->qname + 6 : "";
}

/* Two attributes that cannot stand on one element: the same namespace and
 * local name, or two declarations of one prefix. */
static int clash(const vn_xrawattr *a, const vn_xrawattr *b)
{
    size_t la, lb;
    if (!a->ns || !b->ns) {
        if (a->ns || b->ns)
            return 0;
        const char *pa = declared(a, &la), *pb = declared(b, &lb);
        return la == lb && same_bytes(pa, pb, la);
    }
    la = a->qlen - (a->plen ? a->plen + 1 : 0);
    lb = b->qlen - (b->plen ? b->plen + 1 : 0);
    return la == lb && same_bytes(local_part(a), local_part(b), la) &&
           (a->ns == b->ns || !strcmp(a->ns, b->ns));
}

static uint32_t clash_hash(const vn_xrawattr *a)
{
    uint32_t h = 2166136261u;
    size_t len;
    const char *key = a->ns ? local_part(a) : declared(a, &len);
    for (const unsigned char *s = (const unsigned char *)key; *s; s++)
        h = (h ^ *s) * 16777619u;
    for (const unsigned char *s = (const unsigned char *)(a->ns ? a->ns : "\1"); *s; s++)
        h = (h ^ *s) * 16777619u;
    return h;
}

static int duplicate(vn_xcore *c, const vn_xrawattr *a, const vn_xnode *n)
{
    char q[2 * VN_XQUOTE_MAX + 2];
    size_t len;
    vn_xshow_qname(n->prefix, n->name, q, sizeof(q));
    if (!a->ns && a->plen)
        vn_xcore_fail(c, "namespace prefix %s declared twice on <%s>", declared(a, &len), q);
    else if (!a->ns)
        vn_xcore_fail(c, "default namespace declared twice on <%s>", q);
    else if (a->plen)
        vn_xcore_fail(c, "attribute %s:%s appears twice on <%s> (same namespace and name)",
                      a->qname, local_part(a), q);
    else
        vn_xcore_fail(c, "attribute %s appears twice on <%s>", a->qname, q);
    return -1;
}

/* Pairwise for the usual handful of attributes, hashed beyond, so that a
 * tag with thousands of them stays linear. */
static int check_duplicates(vn_xcore *c, size_t na, const vn_xnode *n)
{
    vn_xrawattr *at = c->atts;
    if (na <= 16) {
        for (size_t i = 1; i < na; i++)
            for (size_t j = 0; j < i; j++)
                if (clash(&at[i], &at[j]))
                    return duplicate(c, &at[i], n);
        return 0;
    }
    size_t size = 64;
    while (size < 2 * na)
        size *= 2;
    if (size > c->dup_cap) {
        free(c->dup_table);
        c->dup_table = vn_xmalloc(size * sizeof(*c->dup_table));
        c->dup_cap = size;
    }
    memset(c->dup_table, 0, size * sizeof(*c->dup_table));
    for (size_t i = 0; i < na; i++) {
        size_t k = clash_hash(&at[i]) & (size - 1);
        for (; c->dup_table[k]; k = (k + 1) & (size - 1))
            if (clash(&at[i], &at[c->dup_table[k] - 1]))
                return duplicate(c, &at[i], n);
        c->dup_table[k] = (uint32_t)i + 1;
    }
    return 0;
}

static void close_element(vn_xcore *c)
{
    vn_xopen *o = &c->open[--c->depth];
    vn_xnode *n = o->node;
    if (o->accumulating) {
        size_t len = c->tstack_len - o->acc_base;
        char *t = vn_xarena_alloc(&c->arena, len + 1);
        memcpy(t, c->tstack + o->acc_base, len);
        t[len] = '\0';
        n->text = t;
        n->text_len = len;
        c->tstack_len = o->acc_base;
    } else if (o->text) {
        n->text = o->text;
        n->text_len = o->text_len;
    }
    c->ns_n = o->ns_base;
    c->closed = n;
}

/* Builds the node of a start tag whose names are NUL-terminated in place:
 * namespaces first (a tag's declarations apply to its own names), then
 * the node, its attributes and its declarations. */
static int open_element(vn_xcore *c, char *qn, uint32_t qlen, uint32_t plen, size_t na,
                        unsigned line, int empty)
{
    int d = c->depth;
    if (d > VN_XML_MAX_DEPTH)
        return vn_xcore_fail(c, "elements nested deeper than %d levels below the root",
                             VN_XML_MAX_DEPTH),
               -1;
    vn_xopen *parent = d ? &c->open[d - 1] : NULL;
    size_t ns_base = c->ns_n, ndecl = 0;
    const char *dflt = parent ? parent->dflt_ns : no_ns;
    for (size_t i = 0; i < na; i++) {
        vn_xrawattr *a = &c->atts[i];
        if (!is_xmlns_attr(a)) {
            a->ns = no_ns;
            continue;
        }
        if (declare(c, a))
            return -1;
        if (!a->plen)
            dflt = a->value;
        a->ns = NULL;
        ndecl++;
    }
    const char *local = plen ? qn + plen + 1 : qn, *ns = dflt;
    if (plen) {
        if (plen == 5 && !memcmp(qn, "xmlns", 5))
            return vn_xcore_fail(c,
                                 "element <xmlns:%s>: the xmlns prefix is reserved for "
                                 "declarations",
                                 local),
                   -1;
        if (!(ns = lookup_prefix(c, qn, plen)))
            return vn_xcore_fail(c, "namespace prefix %s is not declared", qn), -1;
    }
    for (size_t i = 0; i < na; i++) {
        vn_xrawattr *a = &c->atts[i];
        if (a->ns && a->plen && !(a->ns = lookup_prefix(c, a->qname, a->plen)))
            return vn_xcore_fail(c, "namespace prefix %s is not declared", a->qname), -1;
    }

    /* A new spine element replaces the previous one at its depth, and
     * everything that was allocated since. */
    if (d < c->spine_depth) {
        vn_xarena_mark empty_mark = {NULL, NULL};
        vn_xarena_release(&c->arena, parent ? parent->after : empty_mark);
    }
    vn_xnode *n = vn_xarena_alloc(&c->arena, sizeof(*n));
    n->name = local;
    n->prefix = plen ? qn : no_ns;
    n->ns = ns;
    n->text = no_text;
    n->text_len = 0;
    n->attrs = NULL;
    n->nsdecls = NULL;
    n->parent = parent ? parent->node : NULL;
    n->children = NULL;
    n->next = NULL;
    n->line = line;
    if (na > 1 && check_duplicates(c, na, n))
        return -1;
    if (na > ndecl) {
        vn_xattr *at = vn_xarena_alloc(&c->arena, (na - ndecl) * sizeof(*at)), *prev = NULL;
        n->attrs = at;
        for (size_t i = 0; i < na; i++) {
            const vn_xrawattr *a = &c->atts[i];
            if (!a->ns)
                continue;
            at->prefix = a->plen ? a->qname : no_ns;
            at->name = local_part(a);
            at->ns = a->ns;
            at->value = a->value;
            at->next = NULL;
            if (prev)
                prev->next = at;
            prev = at++;
        }
    }
    if (ndecl) {
        vn_xnsdecl *nd = vn_xarena_alloc(&c->arena, ndecl * sizeof(*nd));
        n->nsdecls = nd;
        for (size_t i = ns_base; i < c->ns_n; i++, nd++) {
            nd->prefix = c->ns[i].prefix;
            nd->uri = c->ns[i].uri;
            nd->next = i + 1 < c->ns_n ? nd + 1 : NULL;
        }
    }

    if (parent && d - 1 >= c->spine_depth) {
        if (parent->last_child)
            parent->last_child->next = n;
        else
            parent->node->children = n;
        parent->last_child = n;
    }
    if (d < c->spine_depth) {
        for (int k = d + 1; k < c->spine_top; k++)
            c->spine[k] = NULL;
        c->spine[d] = n;
        c->spine_top = d + 1;
    }
    if (!d)
        c->root = n;
    vn_xopen *o = &c->open[d];
    o->node = n;
    o->last_child = NULL;
    o->plen = plen;
    o->llen = plen ? qlen - plen - 1 : qlen;
    o->ns_base = (uint32_t)ns_base;
    o->dflt_ns = dflt;
    o->text = NULL;
    o->text_len = 0;
    o->accumulating = 0;
    if (d < c->spine_depth)
        o->after = vn_xarena_mark_now(&c->arena);
    c->depth++;
    if (empty)
        close_element(c);
    return 0;
}

/* Past "<": a start tag, read first (names are located, values decoded),
 * then its names NUL-terminated in place, then built. */
static char *start_tag(vn_xcore *c, char *r)
{
    unsigned line = c->line;
    char *qn = r, *colon;
    char *e = vn_xscan_qname(r, &colon);
    if (!e || e == r)
        return vn_xbad_name(c, r, "element");
    uint32_t qlen = (uint32_t)(e - qn), plen = colon ? (uint32_t)(colon - qn) : 0;
    size_t na = 0;
    int empty;
    r = e;
    for (;;) {
        int spaced = VN_XCLS(r) & VN_XC_SPACE;
        r = vn_xskip_space(c, r);
        if (*r == '>') {
            r++;
            empty = 0;
            break;
        }
        if (*r == '/') {
            if (r[1] != '>')
                return vn_xcore_fail(c, "'/' not followed by '>' in the start tag of <%.*s>",
                                     vn_xquote_len(qlen), qn);
            r += 2;
            empty = 1;
            break;
        }
        if (!spaced || r == c->end) {
            char b[8];
            if (r == c->end)
                return vn_xcore_fail(c, "the document ends inside the start tag of <%.*s>",
                                     vn_xquote_len(qlen), qn);
            if (na && (VN_XCLS(r) & VN_XC_NAME_START))
                return vn_xcore_fail(c, "no space before attribute %.*s in the start tag of <%.*s>",
                                     vn_xquote_len((size_t)(vn_xscan_ncname(r) - r)), r,
                                     vn_xquote_len(qlen), qn);
            return vn_xcore_fail(c, "unexpected %s in the start tag of <%.*s>",
                                 vn_xshow_byte((unsigned char)*r, b), vn_xquote_len(qlen), qn);
        }
        char *an = r, *ae = vn_xscan_qname(r, &colon);
        if (!ae || ae == r)
            return vn_xbad_name(c, r, "attribute");
        vn_xrawattr *a = new_rawattr(c, na++);
        a->qname = an;
        a->qlen = (uint32_t)(ae - an);
        a->plen = colon ? (uint32_t)(colon - an) : 0;
        r = vn_xskip_space(c, ae);
        if (*r != '=')
            return vn_xcore_fail(c, "attribute %.*s has no value (expected =\"...\")",
                                 vn_xquote_len(a->qlen), an);
        r = vn_xskip_space(c, r + 1);
        if (*r != '"' && *r != '\'')
            return vn_xcore_fail(c, "the value of attribute %.*s is not quoted",
                                 vn_xquote_len(a->qlen), an);
        if (!(r = attr_value(c, r, a)))
            return NULL;
    }
    qn[qlen] = '\0';
    if (plen)
        qn[plen] = '\0';
    for (size_t i = 0; i < na; i++) {
        vn_xrawattr *a = &c->atts[i];
        a->qname[a->qlen] = '\0';
        if (a->plen)
            a->qname[a->plen] = '\0';
    }
    return open_element(c, qn, qlen, plen, na, line, empty) ? NULL : r;
}

/* Past "</". */
static char *end_tag(vn_xcore *c, char *r)
{
    const vn_xopen *o = &c->open[c->depth - 1];
    const vn_xnode *n = o->node;
    size_t total = o->plen ? o->plen + 1 + o->llen : o->llen;
    int same = (size_t)(c->end - r) >= total &&
               (o->plen ? !memcmp(r, n->prefix, o->plen) && r[o->plen] == ':' &&
                              !memcmp(r + o->plen + 1, n->name, o->llen)
                        : !memcmp(r, n->name, o->llen));
    if (!same || !((VN_XCLS(r + total) & VN_XC_SPACE) || r[total] == '>')) {
        char q[2 * VN_XQUOTE_MAX + 2], *colon, *e = vn_xscan_qname(r, &colon);
        vn_xshow_qname(n->prefix, n->name, q, sizeof(q));
        if (!e || e == r)
            return vn_xbad_name(c, r, "end tag");
        if (!same || (size_t)(e - r) != total)
            return vn_xcore_fail(c, "expected </%s>, found </%.*s>", q,
                                 vn_xquote_len((size_t)(e - r)), r);
    }
    r = vn_xskip_space(c, r + total);
    if (*r != '>') {
        char q[2 * VN_XQUOTE_MAX + 2], b[8];
        vn_xshow_qname(n->prefix, n->name, q, sizeof(q));
        if (r == c->end)
            return vn_xcore_fail(c, "the document ends inside the end tag </%s>", q);
        return vn_xcore_fail(c, "unexpected %s in the end tag </%s>",
                             vn_xshow_byte((unsigned char)*r, b), q);
    }
    close_element(c);
    return r + 1;
}

void vn_xcore_init(vn_xcore *c, char *buf, size_t len, const char *name, int spine_depth,
                   int stop_depth, size_t arena_chunk)
{
    c->p = buf;
    c->end = buf + len;
    c->line = 1;
    c->name = name ? name : "";
    c->error.code = VN_OK;
    c->failed = c->started = c->seen_root = c->done = 0;
    c->spine_depth = spine_depth;
    c->stop_depth = stop_depth;
    c->depth = 0;
    vn_xarena_init(&c->arena, arena_chunk);
    c->root = NULL;
    c->closed = NULL;
    c->spine_top = 0;
    c->ns = c->ns_inline;
    c->ns_cap = sizeof(c->ns_inline) / sizeof(c->ns_inline[0]);
    c->ns_n = 0;
    push_binding(c, "xml", 3, VN_XML_NS_XML);
    c->atts = c->atts_inline;
    c->atts_cap = sizeof(c->atts_inline) / sizeof(c->atts_inline[0]);
    c->dup_table = NULL;
    c->dup_cap = 0;
    c->tstack = NULL;
    c->tstack_len = c->tstack_cap = 0;
}

int vn_xcore_run(vn_xcore *c, vn_xnode **out)
{
    if (c->failed)
        return VN_XRUN_ERROR;
    if (c->done)
        return VN_XRUN_END;
    char *r = c->p;
    if (!c->started) {
        c->started = 1;
        if (!(r = vn_xlex_document_start(c, r)))
            return VN_XRUN_ERROR;
    }
    for (;;) {
        c->closed = NULL;
        if (c->depth == 0) {
            int at_tag = 0;
            if (!(r = vn_xlex_misc(c, r, &at_tag)))
                return VN_XRUN_ERROR;
            if (!at_tag) {
                if (!c->seen_root) {
                    vn_xcore_fail(c, c->end == c->p ? "the document is empty"
                                                    : "the document has no root element");
                    return VN_XRUN_ERROR;
                }
                c->done = 1;
                c->p = r;
                return VN_XRUN_END;
            }
            if (c->seen_root) {
                vn_xcore_fail(c, "a second root element (a document has one)");
                return VN_XRUN_ERROR;
            }
            c->seen_root = 1;
            r = start_tag(c, r);
        } else {
            int next = NEXT_END;
            char *run = NULL;
            size_t n = 0;
            if (!(r = scan_content(c, r, &next, &run, &n)))
                return VN_XRUN_ERROR;
            add_text(c, run, n);
            r = next == NEXT_START ? start_tag(c, r) : end_tag(c, r);
        }
        if (!r)
            return VN_XRUN_ERROR;
        if (c->closed && c->depth == c->stop_depth) {
            c->p = r;
            *out = c->closed;
            return VN_XRUN_ELEMENT;
        }
    }
}

void vn_xcore_done(vn_xcore *c)
{
    if (c->ns != c->ns_inline)
        free(c->ns);
    if (c->atts != c->atts_inline)
        free(c->atts);
    free(c->dup_table);
    free(c->tstack);
    c->ns = c->ns_inline;
    c->atts = c->atts_inline;
    c->dup_table = NULL;
    c->tstack = NULL;
}
