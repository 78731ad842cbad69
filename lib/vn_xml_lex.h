/* vn_xml_lex: the lexical level of vn_xml, internal to the library:
 * character classes and UTF-8 (vn_xml_chars.c), the small scanners the
 * tag parser inlines (white space, names), and the less frequent pieces
 * (vn_xml_lex.c): references, CDATA, comments and PIs, the XML
 * declaration, what may stand outside the root element, and messages. The
 * hot loops over character data and attribute values are in
 * vn_xml_core.c, where the compiler inlines them into the tag loop. All
 * work on the core's padded buffer: a NUL follows the input, and every
 * look-ahead stays in bounds. */
#ifndef VN_XML_LEX_H
#define VN_XML_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "vn_xml_core.h"

/* --- characters (vn_xml_chars.c) --- */

enum {
    VN_XC_TEXT = 1,        /* stops a run of character data */
    VN_XC_ATTR = 2,        /* stops a run of an attribute value */
    VN_XC_NAME_START = 4,  /* ASCII NCName start: letters and '_' */
    VN_XC_NAME = 8,        /* ASCII NCName character */
    VN_XC_SPACE = 16,      /* XML white space */
    VN_XC_MARKUP_TXT = 32, /* stops a run inside a comment, PI or CDATA */
};
extern const unsigned char vn_xml_class[256];

#define VN_XCLS(r) vn_xml_class[(unsigned char)*(r)]

/* Length of the well-formed UTF-8 sequence at s (1..4) and its code point,
 * or 0 when it is not well-formed UTF-8 (overlong, surrogate, truncated,
 * beyond U+10FFFF). */
int vn_xml_utf8_decode(const unsigned char *s, uint32_t *cp);
/* Writes the code point as UTF-8; returns the byte count. */
int vn_xml_utf8_encode(uint32_t cp, char *out);
int vn_xml_is_char(uint32_t cp);
/* The XML 1.0 (fifth edition) name ranges beyond ASCII. */
int vn_xml_is_name_start_nonascii(uint32_t cp);
int vn_xml_is_name_nonascii(uint32_t cp);

/* --- inlined scanners --- */

/* Longest name or value quoted in a message. */
#define VN_XQUOTE_MAX 80

static inline int vn_xquote_len(size_t n)
{
    return n > VN_XQUOTE_MAX ? VN_XQUOTE_MAX : (int)n;
}

static inline char *vn_xskip_space(vn_xcore *c, char *r)
{
    while (VN_XCLS(r) & VN_XC_SPACE) {
        /* CR LF counts once, at its LF; a lone CR is a line end too. */
        if (*r == '\n' || (*r == '\r' && r[1] != '\n'))
            c->line++;
        r++;
    }
    return r;
}

/* An NCName from a non-ASCII character on (at its start or not). */
char *vn_xscan_ncname_nonascii(char *r, int at_start);

/* The end of the NCName (a name without ':') at r; r when none starts
 * there. ASCII names stay in this inlined loop. */
static inline char *vn_xscan_ncname(char *r)
{
    if (!(VN_XCLS(r) & VN_XC_NAME_START))
        return (unsigned char)*r >= 0x80 ? vn_xscan_ncname_nonascii(r, 1) : r;
    r++;
    while (VN_XCLS(r) & VN_XC_NAME)
        r++;
    return (unsigned char)*r >= 0x80 ? vn_xscan_ncname_nonascii(r, 0) : r;
}

/* A qualified name prefix:local or local. Returns its end (r when no name
 * starts there) and sets *colon; NULL when it is a name but not a
 * qualified one (empty part, a second colon). */
static inline char *vn_xscan_qname(char *r, char **colon)
{
    *colon = NULL;
    char *e = vn_xscan_ncname(r);
    if (e == r || *e != ':')
        return e;
    *colon = e;
    char *local = e + 1, *le = vn_xscan_ncname(local);
    if (le == local || *le == ':')
        return NULL;
    return le;
}

/* --- messages --- */

/* A byte as a message shows it: 'x' when printable ASCII, else 0xNN. */
const char *vn_xshow_byte(unsigned char b, char buf[8]);
/* "p:local" or "local" into buf, for messages. */
const char *vn_xshow_qname(const char *prefix, const char *local, char *buf, size_t len);
/* Fails on what stands at r where a name of `what` ("element",
 * "attribute", "end tag") was expected. */
char *vn_xbad_name(vn_xcore *c, char *r, const char *what);

/* --- the rest of the lexical level (vn_xml_lex.c) ---
 * Each returns NULL (or 0) after failing. */

/* At a byte the fast loops stopped on that no caller handles itself: a
 * control character, the end of the input, or a multi-byte character.
 * Returns the character's length; 0 after failing; -1 at the end of the
 * input, which each caller reports with what was left open. */
int vn_xlex_other_char(vn_xcore *c, const char *r);
/* Decodes the reference at r ('&') and writes its UTF-8 at *w, which
 * trails r: every reference is at least as long as what it stands for. */
char *vn_xlex_ref(vn_xcore *c, char *r, char **w);
/* Past "<!--": skips to after "-->". */
char *vn_xlex_comment(vn_xcore *c, char *r);
/* Past "<?": skips to after "?>". */
char *vn_xlex_pi(vn_xcore *c, char *r);
/* Past "<![CDATA[": copies the section's characters to *wp (line ends
 * normalised) and returns the position after "]]>". */
char *vn_xlex_cdata(vn_xcore *c, char *r, char **wp);
/* At "<!" that starts neither a comment nor (inside an element) CDATA. */
char *vn_xlex_bad_markup(vn_xcore *c, char *r);
/* The input ended with elements open. */
char *vn_xlex_unclosed(vn_xcore *c);
/* At the start of the input: the BOM and the XML declaration. */
char *vn_xlex_document_start(vn_xcore *c, char *r);
/* Outside the root element: white space, comments and PIs. Returns at a
 * start tag (*at_tag set, past its "<") or at the end of the input. */
char *vn_xlex_misc(vn_xcore *c, char *r, int *at_tag);

#endif
