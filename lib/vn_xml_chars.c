/* Character-level rules of XML 1.0 for vn_xml: which bytes stop the fast
 * scanning loops, UTF-8 decoding with its well-formedness checks, and the
 * name character ranges beyond ASCII (fifth edition, as libxml2 applies). */
#include "vn_xml_lex.h"

/* One lookup per byte in the scanning loops instead of a chain of
 * comparisons. Bits: 1 stops character data, 2 stops an attribute value,
 * 4 ASCII name start, 8 ASCII name character, 16 white space, 32 stops the
 * inside of a comment, PI or CDATA section. Controls and every byte from
 * 0x80 stop all three runs: the slow path checks them. */
const unsigned char vn_xml_class[256] = {
    35, 35, 35, 35, 35, 35, 35, 35, 35, 18, 51, 35, 35, 51, 35, 35, /* 0x00 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0x10 */
    16, 0,  2,  0,  0,  0,  3,  2,  0,  0,  0,  0,  0,  40, 8,  0,  /* 0x20 */
    8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  0,  0,  3,  0,  0,  32, /* 0x30 */
    0,  12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0x40 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 0,  0,  33, 0,  12, /* 0x50 */
    0,  12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, /* 0x60 */
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 0,  0,  0,  0,  0,  /* 0x70 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0x80 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0x90 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0xA0 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0xB0 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0xC0 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0xD0 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0xE0 */
    35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, /* 0xF0 */
};

static int is_cont(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

int vn_xml_utf8_decode(const unsigned char *s, uint32_t *cp)
{
    unsigned char b = s[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    /* C0, C1 would be overlong two-byte forms; F5..FF lie beyond U+10FFFF. */
    if (b < 0xC2 || b > 0xF4)
        return 0;
    if (b < 0xE0) {
        if (!is_cont(s[1]))
            return 0;
        *cp = ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (b < 0xF0) {
        /* The second byte's range excludes overlong forms (E0) and the
         * UTF-16 surrogates (ED A0..BF). */
        unsigned char lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
        if (s[1] < lo || s[1] > hi || !is_cont(s[2]))
            return 0;
        *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    unsigned char lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    if (s[1] < lo || s[1] > hi || !is_cont(s[2]) || !is_cont(s[3]))
        return 0;
    *cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
          ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    return 4;
}

int vn_xml_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int vn_xml_is_char(uint32_t cp)
{
    if (cp < 0x20)
        return cp == 0x9 || cp == 0xA || cp == 0xD;
    return cp <= 0xD7FF || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

int vn_xml_is_name_start_nonascii(uint32_t c)
{
    return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF) ||
           (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) ||
           (c >= 0x200C && c <= 0x200D) || (c >= 0x2070 && c <= 0x218F) ||
           (c >= 0x2C00 && c <= 0x2FEF) || (c >= 0x3001 && c <= 0xD7FF) ||
           (c >= 0xF900 && c <= 0xFDCF) || (c >= 0xFDF0 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0xEFFFF);
}

int vn_xml_is_name_nonascii(uint32_t c)
{
    return vn_xml_is_name_start_nonascii(c) || c == 0xB7 || (c >= 0x300 && c <= 0x36F) ||
           (c >= 0x203F && c <= 0x2040);
}
