/* vn_vmdk_desc: VMDK descriptor parser (formats.md 3.1-3.4).
 *
 * Grammar, one line at a time (LF or CRLF; text ends at the first NUL):
 *   blank | "#" comment
 *   KEY "=" VALUE        VALUE quoted ("...") or a bare word; spaces around
 *                        "=" are allowed (VMware writes none in the header,
 *                        " = " in the DDB)
 *   ACCESS SECTORS TYPE "FILE" [OFFSET]
 * Anything else is an error that names its line. */
#include "vn_vmdk_desc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vn_buf.h"

#define MAX_LINES 100000 /* a real descriptor has a few dozen */

static const char *const type_names[] = {"FLAT",       "SPARSE",  "ZERO",    "VMFS",
                                         "VMFSSPARSE", "VMFSRDM", "VMFSRAW", "SESPARSE"};

const char *vn_vmdk_ext_type_name(int type)
{
    if (type < 0 || (size_t)type >= sizeof(type_names) / sizeof(type_names[0]))
        return "?";
    return type_names[type];
}

void vn_vmdk_desc_free(vn_vmdk_desc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_extents; i++)
        free(d->extents[i].file);
    for (size_t i = 0; i < d->n_keys; i++) {
        free(d->keys[i].key);
        free(d->keys[i].value);
    }
    free(d->extents);
    free(d->keys);
    free(d->create_type);
    free(d);
}

const char *vn_vmdk_desc_get(const vn_vmdk_desc *d, const char *key)
{
    for (size_t i = d->n_keys; i > 0; i--)
        if (strcasecmp(d->keys[i - 1].key, key) == 0)
            return d->keys[i - 1].value;
    return NULL;
}

/* A cursor over one line. */
typedef struct cur {
    const char *p, *end;
} cur;

static void skip_ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* A run of non-blank characters. */
static size_t word(cur *c, const char **start)
{
    skip_ws(c);
    *start = c->p;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
        c->p++;
    return (size_t)(c->p - *start);
}

static int word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(w, lit, n) == 0;
}

/* Decimal u64 without sign, overflow or junk. */
static int parse_u64(const char *w, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (w[i] < '0' || w[i] > '9')
            return -1;
        unsigned d = (unsigned)(w[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_hex32(const char *s, uint32_t *out)
{
    size_t n = strlen(s);
    uint32_t v = 0;
    if (n == 0 || n > 8)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (!isxdigit(c))
            return -1;
        v = v << 4 | (uint32_t)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
    }
    *out = v;
    return 0;
}

/* A "quoted" string; *out is malloc'ed. Returns 0, or -1 if unterminated. */
static int quoted(cur *c, char **out)
{
    skip_ws(c);
    if (c->p >= c->end || *c->p != '"')
        return 1;
    const char *s = ++c->p;
    while (c->p < c->end && *c->p != '"')
        c->p++;
    if (c->p >= c->end)
        return -1;
    *out = vn_xstrndup(s, (size_t)(c->p - s));
    c->p++;
    return 0;
}

static int at_end(cur *c)
{
    skip_ws(c);
    return c->p >= c->end;
}

static int parse_extent(vn_vmdk_desc *d, cur *c, int access, const char *where, int line,
                        vn_error *err)
{
    const char *w;
    size_t n = word(c, &w);
    uint64_t sectors;
    if (parse_u64(w, n, &sectors) != 0 || sectors == 0)
        return vn_fail_at(err, VN_EINPUT, where, line,
                          "bad extent size \"%.*s\" (expected a positive number of sectors)",
                          (int)(n > 40 ? 40 : n), w);
    n = word(c, &w);
    int type = -1;
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (word_is(w, n, type_names[i]))
            type = (int)i;
    if (type < 0)
        return vn_fail_at(err, VN_EINPUT, where, line,
                          "unknown extent type \"%.*s\" (expected FLAT, SPARSE, ZERO, VMFS, "
                          "VMFSSPARSE, VMFSRDM, VMFSRAW or SESPARSE)",
                          (int)(n > 40 ? 40 : n), w);
    char *file = NULL;
    if (type != VN_VMDK_ZERO || !at_end(c)) {
        int q = quoted(c, &file);
        if (q != 0)
            return vn_fail_at(err, VN_EINPUT, where, line,
                              q < 0 ? "unterminated file name (expected a closing '\"')"
                                    : "extent without a file name (expected \"FILE\" after the "
                                      "type)");
        if (!*file) {
            free(file);
            return vn_fail_at(err, VN_EINPUT, where, line,
                              "empty extent file name (expected \"FILE\")");
        }
    }
    uint64_t offset = 0;
    n = word(c, &w);
    if (n > 0) {
        if (type != VN_VMDK_FLAT && type != VN_VMDK_VMFS && type != VN_VMDK_VMFSRDM &&
            type != VN_VMDK_VMFSRAW) {
            free(file);
            return vn_fail_at(err, VN_EINPUT, where, line,
                              "%s extents take no offset (expected ACCESS SECTORS TYPE \"FILE\")",
                              type_names[type]);
        }
        if (parse_u64(w, n, &offset) != 0 || offset > UINT64_MAX / 512 - sectors) {
            free(file);
            return vn_fail_at(err, VN_EINPUT, where, line,
                              "bad extent offset \"%.*s\" (expected a number of sectors)",
                              (int)(n > 40 ? 40 : n), w);
        }
    }
    if (!at_end(c)) {
        free(file);
        return vn_fail_at(err, VN_EINPUT, where, line,
                          "unexpected text after the extent (expected ACCESS SECTORS TYPE "
                          "\"FILE\" [OFFSET])");
    }
    if (sectors > UINT64_MAX / 512 - d->total_sectors) {
        free(file);
        return vn_fail_at(err, VN_EINPUT, where, line,
                          "extents add up to more than 2^64 bytes (expected a real disk size)");
    }
    d->extents = vn_xrealloc(d->extents, (d->n_extents + 1) * sizeof(*d->extents));
    vn_vmdk_extent *e = &d->extents[d->n_extents++];
    e->access = access;
    e->type = type;
    e->sectors = sectors;
    e->file = file;
    e->offset = offset;
    e->line = line;
    d->total_sectors += sectors;
    return VN_OK;
}

/* KEY = VALUE. Returns 1 if the line is not of this form. */
static int parse_kv(vn_vmdk_desc *d, const char *s, const char *end, const char *where, int line,
                    vn_error *err)
{
    const char *eq = memchr(s, '=', (size_t)(end - s));
    if (!eq)
        return 1;
    const char *ke = eq;
    while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
        ke--;
    if (ke == s)
        return vn_fail_at(err, VN_EINPUT, where, line, "empty key before '=' (expected KEY=VALUE)");
    for (const char *k = s; k < ke; k++) {
        unsigned char ch = (unsigned char)*k;
        if (!(isalnum(ch) || ch == '.' || ch == '_' || ch == '-'))
            return 1;
    }
    cur c = {eq + 1, end};
    char *value = NULL;
    int q = quoted(&c, &value);
    if (q < 0)
        return vn_fail_at(err, VN_EINPUT, where, line,
                          "unterminated quoted value (expected a closing '\"')");
    if (q > 0) {
        const char *w;
        size_t n = word(&c, &w);
        value = vn_xstrndup(w, n);
    }
    if (!at_end(&c)) {
        free(value);
        return vn_fail_at(err, VN_EINPUT, where, line,
                          "unexpected text after the value (expected KEY=\"VALUE\")");
    }
    d->keys = vn_xrealloc(d->keys, (d->n_keys + 1) * sizeof(*d->keys));
    vn_vmdk_kv *kv = &d->keys[d->n_keys++];
    kv->key = vn_xstrndup(s, (size_t)(ke - s));
    kv->value = value;
    kv->line = line;

    if (strcasecmp(kv->key, "version") == 0) {
        uint64_t v;
        if (parse_u64(value, strlen(value), &v) != 0 || v < 1 || v > 3)
            return vn_fail_at(err, VN_EINPUT, where, line,
                              "unsupported descriptor version \"%s\" (expected 1, 2 or 3)", value);
        d->version = (int)v;
    } else if (strcasecmp(kv->key, "CID") == 0) {
        if (parse_hex32(value, &d->cid) != 0)
            return vn_fail_at(err, VN_EINPUT, where, line, "bad CID \"%s\" (expected 8 hex digits)",
                              value);
        d->has_cid = 1;
    } else if (strcasecmp(kv->key, "parentCID") == 0) {
        if (parse_hex32(value, &d->parent_cid) != 0)
            return vn_fail_at(err, VN_EINPUT, where, line,
                              "bad parentCID \"%s\" (expected 8 hex digits)", value);
        d->has_parent_cid = 1;
    } else if (strcasecmp(kv->key, "createType") == 0) {
        if (!*value)
            return vn_fail_at(err, VN_EINPUT, where, line,
                              "empty createType (expected e.g. \"monolithicSparse\")");
        free(d->create_type);
        d->create_type = vn_xstrdup(value);
    }
    return VN_OK;
}

static int parse_line(vn_vmdk_desc *d, const char *s, const char *end, const char *where, int line,
                      vn_error *err)
{
    cur c = {s, end};
    skip_ws(&c);
    if (at_end(&c) || *c.p == '#')
        return VN_OK;
    const char *w;
    cur probe = c;
    size_t n = word(&probe, &w);
    int access = word_is(w, n, "RW")         ? VN_VMDK_RW
                 : word_is(w, n, "RDONLY")   ? VN_VMDK_RDONLY
                 : word_is(w, n, "NOACCESS") ? VN_VMDK_NOACCESS
                                             : -1;
    if (access >= 0 && probe.p < probe.end)
        return parse_extent(d, &probe, access, where, line, err);
    int rc = parse_kv(d, c.p, end, where, line, err);
    if (rc == 1)
        return vn_fail_at(err, VN_EINPUT, where, line,
                          "unrecognised line (expected KEY=\"VALUE\", an extent ACCESS SECTORS "
                          "TYPE \"FILE\" [OFFSET], or a # comment)");
    return rc;
}

int vn_vmdk_desc_parse(const char *text, size_t len, const char *where, vn_vmdk_desc **out,
                       vn_error *err)
{
    *out = NULL;
    if (!where)
        where = "(descriptor)";
    const char *nul = memchr(text, '\0', len);
    if (nul)
        len = (size_t)(nul - text);
    vn_vmdk_desc *d = vn_xcalloc(1, sizeof(*d));
    const char *p = text, *end = text + len;
    int line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *te = le;
        if (te > p && te[-1] == '\r')
            te--;
        if (++line > MAX_LINES) {
            vn_vmdk_desc_free(d);
            return vn_fail_at(err, VN_EINPUT, where, line,
                              "too many lines (expected a descriptor of at most %d lines)",
                              MAX_LINES);
        }
        int rc = parse_line(d, p, te, where, line, err);
        if (rc != VN_OK) {
            vn_vmdk_desc_free(d);
            return rc;
        }
        p = nl ? nl + 1 : end;
    }
    const char *missing = !d->version       ? "no version= line (expected version=1)"
                          : !d->create_type ? "no createType= line (expected e.g. "
                                              "createType=\"monolithicSparse\")"
                          : !d->n_extents   ? "no extent lines (expected e.g. RW 2048 SPARSE "
                                              "\"disk.vmdk\")"
                                            : NULL;
    if (missing) {
        vn_vmdk_desc_free(d);
        return vn_fail(err, VN_EINPUT, where, "%s", missing);
    }
    *out = d;
    return VN_OK;
}
