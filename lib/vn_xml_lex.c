/* The less frequent lexical pieces of vn_xml: references, comments,
 * processing instructions, CDATA sections, the XML declaration, what may
 * stand outside the root element, non-ASCII and control characters, and
 * the messages that name what was found. The loops that call them stop on
 * a table lookup per byte and come here only for these. */
#include "vn_xml_lex.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vn_buf.h"

/* A byte as a message shows it: 'x' when printable ASCII, else 0xNN. */
const char *vn_xshow_byte(unsigned char b, char buf[8])
{
    if (b > 0x20 && b < 0x7f)
        snprintf(buf, 8, "'%c'", b);
    else
        snprintf(buf, 8, "0x%02X", b);
    return buf;
}

/* At a byte the fast loops stopped on that no caller handles itself: a
 * control character, the end of the input, or a multi-byte character.
 * Returns the character's length; 0 after failing; -1 at the end of the
 * input, which each caller reports with what was left open. */
int vn_xlex_other_char(vn_xcore *c, const char *r)
{
    unsigned char b = (unsigned char)*r;
    if (b >= 0x80) {
        uint32_t cp;
        int n = vn_xml_utf8_decode((const unsigned char *)r, &cp);
        if (!n)
            return vn_xcore_fail(c, "invalid UTF-8 (byte 0x%02X)", b), 0;
        if (!vn_xml_is_char(cp))
            return vn_xcore_fail(c, "character U+%04X is not allowed in XML", (unsigned)cp), 0;
        return n;
    }
    if (r == c->end)
        return -1;
    if (b == 0)
        return vn_xcore_fail(c, "NUL byte (is the document UTF-16?)"), 0;
    return vn_xcore_fail(c, "control character 0x%02X is not allowed in XML", b), 0;
}

/* The end of the NCName (a name without ':') starting at r; r itself when
 * none starts there. */
char *vn_xscan_ncname_nonascii(char *r, int at_start)
{
    uint32_t cp;
    int n;
    if (at_start) {
        if (!(n = vn_xml_utf8_decode((unsigned char *)r, &cp)) ||
            !vn_xml_is_name_start_nonascii(cp))
            return r;
        r += n;
    }
    for (;;) {
        while (VN_XCLS(r) & VN_XC_NAME)
            r++;
        if ((unsigned char)*r < 0x80 || !(n = vn_xml_utf8_decode((unsigned char *)r, &cp)) ||
            !vn_xml_is_name_nonascii(cp))
            return r;
        r += n;
    }
}

/* "p:local" or "local" into buf, for messages. */
const char *vn_xshow_qname(const char *prefix, const char *local, char *buf, size_t len)
{
    snprintf(buf, len, "%.*s%s%.*s", VN_XQUOTE_MAX, prefix, prefix[0] ? ":" : "", VN_XQUOTE_MAX,
             local);
    return buf;
}

char *vn_xbad_name(vn_xcore *c, char *r, const char *what)
{
    char *colon, *e = vn_xscan_qname(r, &colon);
    if (!e) {
        char *end = r;
        while (VN_XCLS(end) & (VN_XC_NAME | VN_XC_NAME_START) || *end == ':' ||
               (unsigned char)*end >= 0x80)
            end++;
        return vn_xcore_fail(c, "%s name %.*s is not a valid qualified name", what,
                             vn_xquote_len((size_t)(end - r)), r);
    }
    if (r == c->end)
        return vn_xcore_fail(c, "the document ends where a name was expected");
    uint32_t cp;
    if ((unsigned char)*r >= 0x80 && vn_xml_utf8_decode((unsigned char *)r, &cp))
        return vn_xcore_fail(c, "%s name expected, found U+%04X (not a name start character)", what,
                             (unsigned)cp);
    char b[8];
    return vn_xcore_fail(c, "%s name expected, found %s", what,
                         vn_xshow_byte((unsigned char)*r, b));
}

static int is_predefined(const char *n, size_t len, char *out)
{
    static const struct {
        const char *name;
        char c;
    } pre[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"apos", '\''}, {"quot", '"'}};
    for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
        if (strlen(pre[i].name) == len && memcmp(pre[i].name, n, len) == 0) {
            *out = pre[i].c;
            return 1;
        }
    return 0;
}

/* Decodes the reference at r ('&') and writes its UTF-8 at *w, which
 * trails r: every reference is at least as long as what it stands for. */
char *vn_xlex_ref(vn_xcore *c, char *r, char **w)
{
    char *q = r + 1;
    if (*q == '#') {
        uint32_t v = 0;
        int digits = 0, hex = q[1] == 'x';
        q += 1 + hex;
        for (;; q++, digits++) {
            int d = hex ? vn_hexval((unsigned char)*q) : (*q >= '0' && *q <= '9' ? *q - '0' : -1);
            if (d < 0)
                break;
            v = v * (hex ? 16 : 10) + (uint32_t)d;
            if (v > 0x10FFFF)
                v = 0x110000; /* stays out of range, without overflowing */
        }
        if (!digits || *q != ';')
            return vn_xcore_fail(c, "malformed character reference (expected &#DIGITS; or "
                                    "&#xHEX;)");
        if (!vn_xml_is_char(v))
            return vn_xcore_fail(c, "character reference %.*s is not an XML character",
                                 vn_xquote_len((size_t)(q + 1 - r)), r);
        *w += vn_xml_utf8_encode(v, *w);
        return q + 1;
    }
    char *colon, *e = vn_xscan_qname(q, &colon);
    if (e && e != q && *e == ';') {
        char ch;
        if (!colon && is_predefined(q, (size_t)(e - q), &ch)) {
            *(*w)++ = ch;
            return e + 1;
        }
        return vn_xcore_fail(c, "undefined entity &%.*s;", vn_xquote_len((size_t)(e - q)), q);
    }
    return vn_xcore_fail(c, "'&' not followed by a reference (write &amp; for a literal &)");
}

/* The body of a comment (`pi` 0) or of a processing instruction (`pi` 1)
 * up to just past its end, lines counted and characters checked. */
static char *skip_markup(vn_xcore *c, char *r, int pi, unsigned line)
{
    for (;;) {
        while (!(VN_XCLS(r) & VN_XC_MARKUP_TXT))
            r++;
        switch (*r) {
        case '-':
            if (!pi && r[1] == '-') {
                if (r[2] == '>')
                    return r + 3;
                return vn_xcore_fail(c, "'--' inside a comment");
            }
            r++;
            break;
        case '?':
            if (pi && r[1] == '>')
                return r + 2;
            r++;
            break;
        case ']':
            r++;
            break;
        case '\n':
            c->line++;
            r++;
            break;
        case '\r':
            if (r[1] != '\n')
                c->line++;
            r++;
            break;
        default: {
            int n = vn_xlex_other_char(c, r);
            if (n < 0)
                return vn_xcore_fail(c, "the document ends inside a %s (opened on line %u)",
                                     pi ? "processing instruction" : "comment", line);
            if (!n)
                return NULL;
            r += n;
        }
        }
    }
}

/* Past "<!--": skips to after "-->". */
char *vn_xlex_comment(vn_xcore *c, char *r)
{
    return skip_markup(c, r, 0, c->line);
}

/* Past "<?": skips to after "?>". */
char *vn_xlex_pi(vn_xcore *c, char *r)
{
    unsigned line = c->line;
    char *e = vn_xscan_ncname(r);
    if (e == r)
        return vn_xcore_fail(c, "a processing instruction needs a target name after '<?'");
    if (*e == ':')
        return vn_xcore_fail(c, "processing instruction target %.*s contains ':'",
                             vn_xquote_len((size_t)(e - r)), r);
    if (e - r == 3 && (r[0] | 0x20) == 'x' && (r[1] | 0x20) == 'm' && (r[2] | 0x20) == 'l') {
        if (!memcmp(r, "xml", 3))
            return vn_xcore_fail(c, "an XML declaration is allowed only at the very start of "
                                    "the document");
        return vn_xcore_fail(c, "processing instruction target %.3s is reserved", r);
    }
    r = e;
    if (r[0] == '?' && r[1] == '>')
        return r + 2;
    if (!(VN_XCLS(r) & VN_XC_SPACE)) {
        char b[8];
        return vn_xcore_fail(c, "unexpected %s after processing instruction target %.*s",
                             vn_xshow_byte((unsigned char)*r, b), vn_xquote_len((size_t)(e - r)),
                             r);
    }
    return skip_markup(c, r, 1, line);
}

/* Past "<![CDATA[": copies the section's characters to *wp (line ends
 * normalised) and returns the position after "]]>". */
char *vn_xlex_cdata(vn_xcore *c, char *r, char **wp)
{
    unsigned line = c->line;
    char *w = *wp;
    for (;;) {
        char *s = r;
        while (!(VN_XCLS(r) & VN_XC_MARKUP_TXT))
            r++;
        if (w != s)
            memmove(w, s, (size_t)(r - s));
        w += r - s;
        switch (*r) {
        case ']':
            if (r[1] == ']' && r[2] == '>') {
                *wp = w;
                return r + 3;
            }
            *w++ = *r++;
            break;
        case '-':
        case '?':
            *w++ = *r++;
            break;
        case '\n':
        case '\r':
            vn_xline_end(c, &r, &w, '\n');
            break;
        default: {
            int n = vn_xlex_other_char(c, r);
            if (n < 0)
                return vn_xcore_fail(c,
                                     "the document ends inside a CDATA section (opened on "
                                     "line %u)",
                                     line);
            if (!n)
                return NULL;
            memmove(w, r, (size_t)n);
            w += n;
            r += n;
        }
        }
    }
}

/* At "<!" that starts neither a comment nor (inside an element) CDATA. */
char *vn_xlex_bad_markup(vn_xcore *c, char *r)
{
    if (!memcmp(r + 2, "DOCTYPE", 7))
        return vn_xcore_fail(c, VN_XML_DTD_REFUSED " (refused: no DTD is needed, and DTD "
                                                   "entities are how XML bombs and file "
                                                   "disclosure work)");
    if (!memcmp(r + 2, "[CDATA[", 7))
        return vn_xcore_fail(c, "CDATA section outside the root element");
    return vn_xcore_fail(c, "'<!' starts neither a comment nor a CDATA section");
}

char *vn_xlex_unclosed(vn_xcore *c)
{
    const vn_xnode *n = c->open[c->depth - 1].node;
    char q[2 * VN_XQUOTE_MAX + 2];
    return vn_xcore_fail(c, "the document ends before </%s> (opened on line %u)",
                         vn_xshow_qname(n->prefix, n->name, q, sizeof(q)), n->line);
}

static char *xml_eq(vn_xcore *c, char *r, const char *what)
{
    r = vn_xskip_space(c, r);
    if (*r != '=')
        return vn_xcore_fail(c, "malformed XML declaration: '=' expected after %s", what);
    r = vn_xskip_space(c, r + 1);
    if (*r != '"' && *r != '\'')
        return vn_xcore_fail(c, "malformed XML declaration: quoted %s value expected", what);
    return r;
}

/* A document declared US-ASCII is checked whole, once: names as well as
 * text, which the scanners would otherwise take as UTF-8. */
static char *check_ascii(vn_xcore *c, char *r)
{
    const char *p = r;
    while (p < c->end && (unsigned char)*p < 0x80)
        p++;
    if (p == c->end)
        return r;
    for (; r < p; r++)
        if (*r == '\n' || (*r == '\r' && r[1] != '\n'))
            c->line++;
    return vn_xcore_fail(c, "byte 0x%02X in a document declared US-ASCII", (unsigned char)*p);
}

static int is_utf8_name(const char *s, size_t n, int *ascii)
{
    static const char *const names[] = {"UTF-8", "US-ASCII", "ASCII"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && !strncasecmp(names[i], s, n)) {
            *ascii = i > 0;
            return 1;
        }
    return 0;
}

/* Past "<?xml" and a space: version, then optional encoding and
 * standalone, in that order. */
static char *xml_decl(vn_xcore *c, char *r)
{
    r = vn_xskip_space(c, r);
    if (memcmp(r, "version", 7))
        return vn_xcore_fail(c, "the XML declaration lacks version=\"1.0\"");
    if (!(r = xml_eq(c, r + 7, "version")))
        return NULL;
    char q = *r++;
    if (r[0] != '1' || r[1] != '.' || !(r[2] >= '0' && r[2] <= '9'))
        return vn_xcore_fail(c, "XML version is not 1.x");
    for (r += 2; *r >= '0' && *r <= '9';)
        r++;
    if (*r++ != q)
        return vn_xcore_fail(c, "XML version is not 1.x");
    int spaced = VN_XCLS(r) & VN_XC_SPACE;
    r = vn_xskip_space(c, r);
    if (spaced && !memcmp(r, "encoding", 8)) {
        if (!(r = xml_eq(c, r + 8, "encoding")))
            return NULL;
        q = *r++;
        char *name = r;
        if (VN_XCLS(r) & VN_XC_NAME_START)
            while (VN_XCLS(r) & VN_XC_NAME)
                r++;
        if (r == name || *r != q)
            return vn_xcore_fail(c, "malformed encoding name in the XML declaration");
        int ascii = 0;
        if (!is_utf8_name(name, (size_t)(r - name), &ascii))
            return vn_xcore_fail(c, "encoding %.*s is not supported (vnest reads UTF-8)",
                                 vn_xquote_len((size_t)(r - name)), name);
        if (ascii && !check_ascii(c, r))
            return NULL;
        r++;
        spaced = VN_XCLS(r) & VN_XC_SPACE;
        r = vn_xskip_space(c, r);
    }
    if (spaced && !memcmp(r, "standalone", 10)) {
        if (!(r = xml_eq(c, r + 10, "standalone")))
            return NULL;
        q = *r++;
        if (!memcmp(r, "yes", 3) && r[3] == q)
            r += 4;
        else if (!memcmp(r, "no", 2) && r[2] == q)
            r += 3;
        else
            return vn_xcore_fail(c, "standalone must be \"yes\" or \"no\"");
        r = vn_xskip_space(c, r);
    }
    if (r[0] != '?' || r[1] != '>')
        return vn_xcore_fail(c, "malformed XML declaration (expected ?> after version, "
                                "encoding, standalone)");
    return r + 2;
}

char *vn_xlex_document_start(vn_xcore *c, char *r)
{
    const unsigned char *u = (const unsigned char *)r;
    if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        r += 3;
    else if ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE))
        return vn_xcore_fail(c, "the document is UTF-16 (vnest reads UTF-8)");
    if (!memcmp(r, "<?xml", 5) && (VN_XCLS(r + 5) & VN_XC_SPACE))
        return xml_decl(c, r + 5);
    return r;
}

/* Whitespace, comments and PIs; returns at a start tag (*at_tag set, r
 * past its "<") or at the end of the input. */
char *vn_xlex_misc(vn_xcore *c, char *r, int *at_tag)
{
    for (;;) {
        r = vn_xskip_space(c, r);
        if (*r == '<') {
            if (r[1] == '?') {
                if (!(r = vn_xlex_pi(c, r + 2)))
                    return NULL;
                continue;
            }
            if (r[1] == '!') {
                if (r[2] != '-' || r[3] != '-')
                    return vn_xlex_bad_markup(c, r);
                if (!(r = vn_xlex_comment(c, r + 4)))
                    return NULL;
                continue;
            }
            if (r[1] == '/')
                return vn_xcore_fail(c, "end tag outside the root element");
            *at_tag = 1;
            return r + 1;
        }
        if (r == c->end) {
            *at_tag = 0;
            return r;
        }
        if ((unsigned char)*r < 0x20 || (unsigned char)*r >= 0x80) {
            if (!vn_xlex_other_char(c, r))
                return NULL;
        }
        return vn_xcore_fail(c, "text %s the root element", c->seen_root ? "after" : "before");
    }
}
