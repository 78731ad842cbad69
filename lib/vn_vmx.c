/* vn_vmx: lossless codec for VMware dictionary files. See vn_vmx.h for the
 * contract and shared/research/formats.md section 1 for the grammar.
 *
 * Representation: an array of lines, each holding its bytes without the
 * terminator and the terminator itself. Entries (lines with a key) also hold
 * the key as spelled and the unescaped value. A hash table over the keys,
 * folded to ASCII lower case, makes vn_vmx_get O(1); `entries` lists the
 * entry lines in document order for vn_vmx_key_at(). */
#include "vn_vmx.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"
#include "vn_file.h"

static const char vmx_bom[3] = {'\xEF', '\xBB', '\xBF'};

struct vmx_line {
    char *raw; /* the line as it is written, without terminator */
    size_t raw_len;
    const char *eol; /* "", "\n", "\r\n" or "\r" (static strings) */
    char *key;       /* key as spelled; NULL for blank and comment lines */
    char *value;     /* unescaped, NUL-terminated (|00 may embed a NUL) */
    size_t value_len;
    int lineno; /* 1-based line in the parsed input; 0 for appended lines */
};

struct vn_vmx {
    struct vmx_line *lines;
    size_t nlines, cap_lines;
    size_t *entries; /* indexes into lines[] of the lines that have a key */
    size_t nentries, cap_entries;
    size_t *slots; /* hash table: line index + 1, 0 = empty slot */
    size_t nslots; /* 0 or a power of two */
    int has_bom;
};

/* ---- small helpers ---------------------------------------------------- */

/* VMware keys are case-insensitive in ASCII only; the C library's tolower()
 * depends on the locale, which must not change how a file parses. */
static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int key_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
            return 0;
        if (*a == '\0')
            return 1;
    }
}

/* FNV-1a over the folded key, so spellings differing in case collide. */
static size_t key_hash(const char *key)
{
    uint64_t h = 1469598103934665603u;
    for (; *key; key++) {
        h ^= ascii_lower((unsigned char)*key);
        h *= 1099511628211u;
    }
    return (size_t)h;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Copies at most 60 bytes of `s` for an error message, with non-printable
 * bytes shown as '?', so a corrupt file cannot put control codes on the
 * user's terminal. */
static const char *printable(const char *s, size_t n, char out[64])
{
    size_t i, max = n > 60 ? 57 : n;
    for (i = 0; i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (max < n) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

/* ---- escaping ---------------------------------------------------------- */

void vn_vmx_escape(const char *value, vn_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    /* vn_buf_grow() alone leaves a fresh buffer unterminated; the empty add
     * makes `out` a valid string even when `value` is empty. */
    vn_buf_grow(out, strlen(value));
    vn_buf_add(out, "", 0);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        /* The set VMware's DictLL_MarshalLine escapes: what would end the
         * quoted value or the line, the escape character itself, and
         * control characters except TAB. Bytes >= 0x80 pass (UTF-8). */
        int esc = *p == '"' || *p == '|' || *p == 0x7F || (*p < 0x20 && *p != '\t');
        if (esc) {
            char e[3] = {'|', hex[*p >> 4], hex[*p & 0xF]};
            vn_buf_add(out, e, 3);
        } else {
            vn_buf_addc(out, (char)*p);
        }
    }
}

void vn_vmx_unescape(const char *text, size_t len, vn_buf *out)
{
    vn_buf_grow(out, len);
    vn_buf_add(out, "", 0); /* a valid string even for an empty value */
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (text[i] == '|' && i + 2 < len && (hi = vn_hexval((unsigned char)text[i + 1])) >= 0 &&
            (lo = vn_hexval((unsigned char)text[i + 2])) >= 0) {
            vn_buf_addc(out, (char)(hi << 4 | lo));
            i += 2;
        } else {
            /* Lenient like VMware: a '|' without two hex digits is data. */
            vn_buf_addc(out, text[i]);
        }
    }
}

/* ---- the hash table and the entry list --------------------------------- */

static void slots_insert(vn_vmx *vmx, size_t line)
{
    size_t mask = vmx->nslots - 1;
    size_t i = key_hash(vmx->lines[line].key) & mask;
    while (vmx->slots[i])
        i = (i + 1) & mask;
    vmx->slots[i] = line + 1;
}

/* Rebuilds the entry list and the table from lines[]; used when the table
 * grows and after a line is removed (which shifts every index after it). */
static void reindex(vn_vmx *vmx, size_t want_entries)
{
    size_t n = 16;
    while (n < want_entries * 2 + 2)
        n *= 2;
    free(vmx->slots);
    vmx->slots = vn_xcalloc(n, sizeof(*vmx->slots));
    vmx->nslots = n;
    vmx->nentries = 0;
    for (size_t i = 0; i < vmx->nlines; i++) {
        if (!vmx->lines[i].key)
            continue;
        vmx->entries[vmx->nentries++] = i;
        slots_insert(vmx, i);
    }
}

static struct vmx_line *find_line(const vn_vmx *vmx, const char *key)
{
    if (!vmx || !key || vmx->nslots == 0)
        return NULL;
    size_t mask = vmx->nslots - 1;
    for (size_t i = key_hash(key) & mask; vmx->slots[i]; i = (i + 1) & mask) {
        struct vmx_line *l = &vmx->lines[vmx->slots[i] - 1];
        if (key_equal(l->key, key))
            return l;
    }
    return NULL;
}

/* Appends a line (taking ownership of its strings) and indexes it. */
static void push_line(vn_vmx *vmx, const struct vmx_line *line)
{
    if (vmx->nlines == vmx->cap_lines) {
        vmx->cap_lines = vmx->cap_lines ? vmx->cap_lines * 2 : 64;
        vmx->lines = vn_xrealloc(vmx->lines, vmx->cap_lines * sizeof(*vmx->lines));
    }
    vmx->lines[vmx->nlines++] = *line;
    if (!line->key)
        return;
    if (vmx->nentries == vmx->cap_entries) {
        vmx->cap_entries = vmx->cap_entries ? vmx->cap_entries * 2 : 64;
        vmx->entries = vn_xrealloc(vmx->entries, vmx->cap_entries * sizeof(*vmx->entries));
    }
    /* Keep the table at most half full so probe runs stay short. */
    if ((vmx->nentries + 1) * 2 > vmx->nslots) {
        reindex(vmx, vmx->nentries + 1);
        return; /* reindex() listed and hashed the new line too */
    }
    vmx->entries[vmx->nentries++] = vmx->nlines - 1;
    slots_insert(vmx, vmx->nlines - 1);
}

static void line_free(struct vmx_line *l)
{
    free(l->raw);
    free(l->key);
    free(l->value);
}

/* ---- parsing ------------------------------------------------------------ */

/* Where the parts of an entry line are, as offsets into the line. */
struct line_parts {
    size_t key_off, key_len;
    size_t val_off, val_len; /* raw (still escaped) value text */
};

enum { LINE_ENTRY, LINE_OTHER, LINE_BAD };

/* Splits one line (no terminator, no NUL bytes) by the dictll grammar:
 *   ws NAME ws '=' ws VALUE ws ['#' comment]
 * Returns LINE_OTHER for blank and comment lines, LINE_ENTRY with `p`
 * filled in, or LINE_BAD with *why set to a message. */
static int split_line(const char *s, size_t n, struct line_parts *p, char *why, size_t whysz)
{
    char tmp[64], tmp2[64];
    size_t i = 0;
    while (i < n && is_ws(s[i]))
        i++;
    if (i == n || s[i] == '#')
        return LINE_OTHER;

    p->key_off = i;
    while (i < n && !is_ws(s[i]) && s[i] != '#' && s[i] != '=')
        i++;
    p->key_len = i - p->key_off;
    /* A key starting with the BOM bytes cannot be kept: once the lines
     * before it are removed, the file would start with them and read back
     * as a BOM plus another key. */
    if (p->key_len >= sizeof(vmx_bom) && memcmp(s + p->key_off, vmx_bom, sizeof(vmx_bom)) == 0) {
        snprintf(why, whysz,
                 "byte order mark before a key (expected one only at the start of "
                 "the file)");
        return LINE_BAD;
    }
    if (p->key_len == 0) {
        snprintf(why, whysz, "empty key before '=' (expected NAME = VALUE)");
        return LINE_BAD;
    }
    while (i < n && is_ws(s[i]))
        i++;
    if (i == n || s[i] != '=') {
        snprintf(why, whysz, "no '=' after \"%s\" (expected NAME = VALUE)",
                 printable(s + p->key_off, p->key_len, tmp));
        return LINE_BAD;
    }
    i++;
    while (i < n && is_ws(s[i]))
        i++;

    if (i < n && s[i] == '"') {
        const char *close = memchr(s + i + 1, '"', n - i - 1);
        if (!close) {
            snprintf(why, whysz, "unterminated quoted value (expected a closing \")");
            return LINE_BAD;
        }
        p->val_off = i + 1;
        p->val_len = (size_t)(close - (s + i + 1));
        i = (size_t)(close - s) + 1;
    } else {
        /* Unquoted: up to whitespace, a comment or the end; may be empty. */
        p->val_off = i;
        while (i < n && !is_ws(s[i]) && s[i] != '#')
            i++;
        p->val_len = i - p->val_off;
    }

    while (i < n && is_ws(s[i]))
        i++;
    if (i < n && s[i] != '#') {
        snprintf(why, whysz,
                 "unexpected \"%s\" after the value of \"%s\" (expected end of line or "
                 "a # comment; quote values that contain spaces)",
                 printable(s + i, n - i, tmp), printable(s + p->key_off, p->key_len, tmp2));
        return LINE_BAD;
    }
    return LINE_ENTRY;
}

/* Parses and adds one input line. */
static int add_input_line(vn_vmx *vmx, const char *s, size_t n, const char *eol, int lineno,
                          const char *name, vn_error *err)
{
    char why[256];
    struct line_parts p;
    if (memchr(s, '\0', n))
        return vn_fail_at(err, VN_EINPUT, name, lineno,
                          "NUL byte in line (expected text; is this a binary file?)");
    int kind = split_line(s, n, &p, why, sizeof(why));
    if (kind == LINE_BAD)
        return vn_fail_at(err, VN_EINPUT, name, lineno, "%s", why);

    struct vmx_line l = {vn_xstrndup(s, n), n, eol, NULL, NULL, 0, lineno};
    if (kind == LINE_ENTRY) {
        l.key = vn_xstrndup(s + p.key_off, p.key_len);
        const struct vmx_line *first = find_line(vmx, l.key);
        if (first) {
            char tmp[64];
            int rc = vn_fail_at(err, VN_EINPUT, name, lineno,
                                "duplicate key \"%s\" (first at line %d; keys are "
                                "case-insensitive)",
                                printable(l.key, p.key_len, tmp), first->lineno);
            line_free(&l);
            return rc;
        }
        vn_buf v = VN_BUF_INIT;
        vn_vmx_unescape(s + p.val_off, p.val_len, &v);
        l.value = vn_buf_detach(&v, &l.value_len);
    }
    push_line(vmx, &l);
    return VN_OK;
}

/* Length of the line starting at s (up to CR, LF or the end) and its
 * terminator. A CR followed by LF is one CRLF terminator. */
static size_t next_line(const char *s, size_t left, const char **eol, size_t *eol_len)
{
    size_t i = 0;
    while (i < left && s[i] != '\n' && s[i] != '\r')
        i++;
    if (i == left) {
        *eol = "";
        *eol_len = 0;
    } else if (s[i] == '\n') {
        *eol = "\n";
        *eol_len = 1;
    } else if (i + 1 < left && s[i + 1] == '\n') {
        *eol = "\r\n";
        *eol_len = 2;
    } else {
        *eol = "\r";
        *eol_len = 1;
    }
    return i;
}

int vn_vmx_parse(const char *data, size_t len, const char *name, vn_vmx **out, vn_error *err)
{
    *out = NULL;
    vn_vmx *vmx = vn_vmx_new();
    size_t pos = 0;
    if (len >= sizeof(vmx_bom) && memcmp(data, vmx_bom, sizeof(vmx_bom)) == 0) {
        vmx->has_bom = 1;
        pos = sizeof(vmx_bom);
    }
    int lineno = 0;
    while (pos < len) {
        const char *eol;
        size_t eol_len;
        size_t n = next_line(data + pos, len - pos, &eol, &eol_len);
        /* Line numbers stop counting at INT_MAX; files that big are not
         * VMX files and still fail or parse correctly, only the number in
         * a message would be off. */
        if (lineno < 0x7FFFFFFF)
            lineno++;
        int rc = add_input_line(vmx, data + pos, n, eol, lineno, name, err);
        if (rc != VN_OK) {
            vn_vmx_free(vmx);
            return rc;
        }
        pos += n + eol_len;
    }
    *out = vmx;
    return VN_OK;
}

int vn_vmx_load(const char *path, vn_vmx **out, vn_error *err)
{
    char *data;
    size_t len;
    *out = NULL;
    int rc = vn_file_read(path, &data, &len, err);
    if (rc != VN_OK)
        return rc;
    rc = vn_vmx_parse(data, len, path, out, err);
    free(data);
    return rc;
}

vn_vmx *vn_vmx_new(void)
{
    vn_vmx *vmx = vn_xcalloc(1, sizeof(*vmx));
    reindex(vmx, 0);
    return vmx;
}

void vn_vmx_free(vn_vmx *vmx)
{
    if (!vmx)
        return;
    for (size_t i = 0; i < vmx->nlines; i++)
        line_free(&vmx->lines[i]);
    free(vmx->lines);
    free(vmx->entries);
    free(vmx->slots);
    free(vmx);
}

/* ---- queries ------------------------------------------------------------ */

const char *vn_vmx_get(const vn_vmx *vmx, const char *key)
{
    const struct vmx_line *l = find_line(vmx, key);
    return l ? l->value : NULL;
}

int vn_vmx_line(const vn_vmx *vmx, const char *key)
{
    const struct vmx_line *l = find_line(vmx, key);
    return l ? l->lineno : 0;
}

size_t vn_vmx_count(const vn_vmx *vmx)
{
    return vmx->nentries;
}

const char *vn_vmx_key_at(const vn_vmx *vmx, size_t i)
{
    return i < vmx->nentries ? vmx->lines[vmx->entries[i]].key : NULL;
}

const char *vn_vmx_value_at(const vn_vmx *vmx, size_t i)
{
    return i < vmx->nentries ? vmx->lines[vmx->entries[i]].value : NULL;
}

int vn_vmx_has_bom(const vn_vmx *vmx)
{
    return vmx->has_bom;
}

int vn_vmx_key_valid(const char *key)
{
    if (!key || !*key || strncmp(key, vmx_bom, sizeof(vmx_bom)) == 0)
        return 0;
    for (const char *p = key; *p; p++) {
        /* Besides the grammar's own delimiters, CR and LF would split the
         * line when the file is read back. */
        if (is_ws(*p) || *p == '#' || *p == '=' || *p == '\r' || *p == '\n')
            return 0;
    }
    return 1;
}

/* ---- changes ------------------------------------------------------------ */

/* The line VMware itself would write: `key = "escaped value"`. */
static void format_entry(const char *key, const char *value, struct vmx_line *l)
{
    vn_buf b = VN_BUF_INIT;
    vn_buf_adds(&b, key);
    vn_buf_adds(&b, " = \"");
    vn_vmx_escape(value, &b);
    vn_buf_addc(&b, '"');
    free(l->raw);
    l->raw = vn_buf_detach(&b, &l->raw_len);
    free(l->value);
    l->value_len = strlen(value);
    l->value = vn_xstrndup(value, l->value_len);
}

/* New lines follow the file's own convention: the terminator of its first
 * terminated line, LF for a file without any. */
static const char *document_eol(const vn_vmx *vmx)
{
    for (size_t i = 0; i < vmx->nlines; i++) {
        if (*vmx->lines[i].eol)
            return vmx->lines[i].eol;
    }
    return "\n";
}

int vn_vmx_set(vn_vmx *vmx, const char *key, const char *value)
{
    if (!vn_vmx_key_valid(key) || !value)
        return -1;
    struct vmx_line *l = find_line(vmx, key);
    if (l) {
        size_t n = strlen(value);
        if (n == l->value_len && memcmp(l->value, value, n) == 0)
            return 0;
        /* The key keeps the file's spelling: a case-only change of key is
         * not what the caller asked for and would show up in every diff. */
        format_entry(l->key, value, l);
        return 1;
    }
    const char *eol = document_eol(vmx);
    if (vmx->nlines > 0 && !*vmx->lines[vmx->nlines - 1].eol)
        vmx->lines[vmx->nlines - 1].eol = eol;
    struct vmx_line nl = {NULL, 0, eol, vn_xstrdup(key), NULL, 0, 0};
    format_entry(key, value, &nl);
    push_line(vmx, &nl);
    return 1;
}

int vn_vmx_unset(vn_vmx *vmx, const char *key)
{
    struct vmx_line *l = find_line(vmx, key);
    if (!l)
        return 0;
    size_t i = (size_t)(l - vmx->lines);
    line_free(l);
    memmove(&vmx->lines[i], &vmx->lines[i + 1], (vmx->nlines - i - 1) * sizeof(*vmx->lines));
    vmx->nlines--;
    reindex(vmx, vmx->nentries);
    return 1;
}

void vn_vmx_write(const vn_vmx *vmx, vn_buf *out)
{
    if (vmx->has_bom)
        vn_buf_add(out, vmx_bom, sizeof(vmx_bom));
    for (size_t i = 0; i < vmx->nlines; i++) {
        vn_buf_add(out, vmx->lines[i].raw, vmx->lines[i].raw_len);
        vn_buf_adds(out, vmx->lines[i].eol);
    }
}
