#include "vn_esxconf.h"

#include <stdlib.h>
#include <string.h>

typedef struct line {
    char *raw; /* the line as in the file, with its end of line */
    size_t len;
    char *key; /* NULL for blank and comment lines */
    char *value;
} line;

struct vn_esxconf {
    line *lines;
    size_t count, cap;
    char eol[3]; /* "\n" or "\r\n", from the first line */
};

static void add_line(vn_esxconf *c, size_t at, line l)
{
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->lines = vn_xrealloc(c->lines, c->cap * sizeof(line));
    }
    memmove(c->lines + at + 1, c->lines + at, (c->count - at) * sizeof(line));
    c->lines[at] = l;
    c->count++;
}

static void free_line(line *l)
{
    free(l->raw);
    free(l->key);
    free(l->value);
}

void vn_esxconf_free(vn_esxconf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        free_line(&c->lines[i]);
    free(c->lines);
    free(c);
}

static int key_char(unsigned char ch)
{
    return ch > ' ' && ch < 0x7f && ch != '=' && ch != '"';
}

static int blank(unsigned char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Parses one line's content (no end of line); 0 or an error message. */
static const char *parse_setting(const char *s, size_t n, line *l)
{
    size_t i = 0;
    while (i < n && blank((unsigned char)s[i]))
        i++;
    if (i == n || s[i] == '#')
        return NULL; /* blank or comment: kept as is */
    if (s[i] != '/')
        return "expected a setting `/path = \"value\"` (a key starts with /)";
    size_t k0 = i;
    while (i < n && key_char((unsigned char)s[i]))
        i++;
    size_t k1 = i;
    while (i < n && blank((unsigned char)s[i]))
        i++;
    if (i == n || s[i] != '=')
        return "expected ` = \"value\"` after the key";
    i++;
    while (i < n && blank((unsigned char)s[i]))
        i++;
    if (i == n || s[i] != '"')
        return "expected a double-quoted value after =";
    size_t v0 = ++i;
    const char *close = NULL;
    for (size_t p = n; p > v0; p--)
        if (s[p - 1] == '"') {
            close = s + p - 1;
            break;
        }
    if (!close)
        return "unterminated value (missing closing \")";
    for (const char *p = close + 1; p < s + n; p++)
        if (!blank((unsigned char)*p))
            return "unexpected text after the closing \"";
    for (const char *p = s + v0; p < close; p++)
        if ((unsigned char)*p < ' ' && *p != '\t')
            return "control character in the value";
    l->key = vn_xstrndup(s + k0, k1 - k0);
    l->value = vn_xstrndup(s + v0, (size_t)(close - (s + v0)));
    return NULL;
}

int vn_esxconf_parse(const char *text, size_t len, const char *name, vn_esxconf **out,
                     vn_error *err)
{
    *out = NULL;
    vn_esxconf *c = vn_xcalloc(1, sizeof(*c));
    strcpy(c->eol, "\n");
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - text - pos) + 1 : len - pos;
        const char *s = text + pos;
        size_t content = n;
        if (content && s[content - 1] == '\n') {
            content--;
            if (content && s[content - 1] == '\r') /* only as part of CR LF */
                content--;
        }
        if (lineno == 1 && content + 2 == n)
            strcpy(c->eol, "\r\n");
        if (memchr(s, '\0', n)) {
            vn_esxconf_free(c);
            return vn_fail_at(err, VN_EINPUT, name, lineno, "NUL byte (expected text)");
        }
        line l = {vn_xstrndup(s, n), n, NULL, NULL};
        const char *bad = parse_setting(s, content, &l);
        if (bad) {
            free_line(&l);
            vn_esxconf_free(c);
            return vn_fail_at(err, VN_EINPUT, name, lineno, "%s", bad);
        }
        add_line(c, c->count, l);
        pos += n;
    }
    *out = c;
    return VN_OK;
}

void vn_esxconf_write(const vn_esxconf *c, vn_buf *out)
{
    vn_buf_grow(out, 0);
    for (size_t i = 0; i < c->count; i++)
        vn_buf_add(out, c->lines[i].raw, c->lines[i].len);
}

static long find(const vn_esxconf *c, const char *path)
{
    for (size_t i = c->count; i-- > 0;)
        if (c->lines[i].key && strcmp(c->lines[i].key, path) == 0)
            return (long)i;
    return -1;
}

const char *vn_esxconf_get(const vn_esxconf *c, const char *path)
{
    long i = find(c, path);
    return i < 0 ? NULL : c->lines[i].value;
}

int vn_esxconf_line(const vn_esxconf *c, const char *path)
{
    return (int)(find(c, path) + 1);
}

static int valid_path(const char *p)
{
    if (p[0] != '/')
        return 0;
    for (; *p; p++)
        if (!key_char((unsigned char)*p))
            return 0;
    return 1;
}

static int valid_value(const char *v)
{
    for (; *v; v++)
        if (*v == '"' || ((unsigned char)*v < ' ' && *v != '\t') || *v == 0x7f)
            return 0;
    return 1;
}

/* Length of the common prefix of a and b that ends at a '/' of both. */
static size_t shared_parent(const char *a, const char *b)
{
    size_t best = 0;
    for (size_t i = 0; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/')
            best = i + 1;
    return best;
}

int vn_esxconf_set(vn_esxconf *c, const char *path, const char *value)
{
    if (!valid_path(path) || !valid_value(value))
        return -1;
    vn_buf b = VN_BUF_INIT;
    long i = find(c, path);
    if (i >= 0) {
        line *l = &c->lines[i];
        if (strcmp(l->value, value) == 0)
            return 0;
        /* Keep the line's spacing and end of line; replace the value. */
        const char *open = strchr(l->raw, '"');
        const char *close = strrchr(l->raw, '"');
        vn_buf_add(&b, l->raw, (size_t)(open + 1 - l->raw));
        vn_buf_adds(&b, value);
        vn_buf_adds(&b, close);
        free(l->raw);
        free(l->value);
        l->raw = vn_buf_detach(&b, &l->len);
        l->value = vn_xstrdup(value);
        return 1;
    }
    size_t at = c->count, best = 0;
    for (size_t k = 0; k < c->count; k++) {
        if (!c->lines[k].key)
            continue;
        size_t s = shared_parent(c->lines[k].key, path);
        if (s > 1 && s >= best)
            best = s, at = k + 1;
    }
    if (at > 0) { /* the line before gains an end of line if it had none */
        line *prev = &c->lines[at - 1];
        if (prev->len == 0 || prev->raw[prev->len - 1] != '\n') {
            vn_buf_add(&b, prev->raw, prev->len);
            vn_buf_adds(&b, c->eol);
            free(prev->raw);
            prev->raw = vn_buf_detach(&b, &prev->len);
        }
    }
    vn_buf_addf(&b, "%s = \"%s\"%s", path, value, c->eol);
    line l = {NULL, 0, vn_xstrdup(path), vn_xstrdup(value)};
    l.raw = vn_buf_detach(&b, &l.len);
    add_line(c, at, l);
    return 1;
}

int vn_esxconf_remove(vn_esxconf *c, const char *path)
{
    int removed = 0;
    for (size_t i = c->count; i-- > 0;) {
        if (!c->lines[i].key || strcmp(c->lines[i].key, path) != 0)
            continue;
        free_line(&c->lines[i]);
        memmove(c->lines + i, c->lines + i + 1, (c->count - i - 1) * sizeof(line));
        c->count--;
        removed++;
    }
    return removed;
}

size_t vn_esxconf_count(const vn_esxconf *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->count; i++)
        n += c->lines[i].key != NULL;
    return n;
}

static const line *setting_at(const vn_esxconf *c, size_t i)
{
    for (size_t k = 0; k < c->count; k++)
        if (c->lines[k].key && i-- == 0)
            return &c->lines[k];
    return NULL;
}

const char *vn_esxconf_key_at(const vn_esxconf *c, size_t i)
{
    const line *l = setting_at(c, i);
    return l ? l->key : NULL;
}

const char *vn_esxconf_value_at(const vn_esxconf *c, size_t i)
{
    const line *l = setting_at(c, i);
    return l ? l->value : NULL;
}

size_t vn_esxconf_vmknics(const vn_esxconf *c, vn_esxconf_vmknic **out)
{
    static const char prefix[] = "/net/vmkernelnic/child[";
    vn_esxconf_vmknic *v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->count; i++) {
        const char *k = c->lines[i].key;
        if (!k || strncmp(k, prefix, sizeof(prefix) - 1) != 0)
            continue;
        const char *p = k + sizeof(prefix) - 1;
        unsigned idx = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 9)
            idx = idx * 10 + (unsigned)(*p++ - '0'), digits++;
        if (digits == 0 || p[0] != ']' || p[1] != '/')
            continue;
        const char *field = p + 2;
        size_t at = 0;
        while (at < n && v[at].index != idx)
            at++;
        if (at == n) {
            v = vn_xrealloc(v, (n + 1) * sizeof(*v));
            memset(&v[n], 0, sizeof(*v));
            v[n++].index = idx;
        }
        const char *val = c->lines[i].value;
        if (strcmp(field, "name") == 0)
            v[at].name = val;
        else if (strcmp(field, "mac") == 0)
            v[at].mac = val;
        else if (strcmp(field, "portgroup") == 0)
            v[at].portgroup = val;
        else if (strcmp(field, "ipv4address") == 0)
            v[at].ipv4address = val;
        else if (strcmp(field, "ipv4netmask") == 0)
            v[at].ipv4netmask = val;
        else if (strcmp(field, "dhcp") == 0)
            v[at].dhcp = val;
        else if (strcmp(field, "enable") == 0)
            v[at].enable = val;
    }
    /* Later occurrences of a key win, as for vn_esxconf_get: the loop above
     * already keeps the last value seen. */
    *out = v;
    return n;
}

int vn_esxconf_ssh(const vn_esxconf *c)
{
    const char *v = vn_esxconf_get(c, "/firewall/services/sshServer/enabled");
    if (!v)
        return -1;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    return -1;
}
