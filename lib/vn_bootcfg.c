#include "vn_bootcfg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One line of the file: its bytes without the LF, and where key and value
 * are when it is a key=value line. */
typedef struct bc_line {
    char *text;
    size_t len;
    int nl;         /* followed by LF in the file */
    int kv;         /* a key=value line (not blank, comment or without '=') */
    size_t val_off; /* value bytes: text[val_off, val_off + val_len) */
    size_t val_len;
    char *key;   /* normalised key (kv lines), else NULL */
    char *value; /* normalised value (kv lines), else NULL */
} bc_line;

struct vn_bootcfg {
    bc_line *lines;
    size_t n, cap;
    /* Tokens of the effective kernelopt= value (NUL-separated copies). */
    char *ktok_buf;
    char **ktok;
    size_t nktok;
};

/* The boot loader's isspace() in the C locale. */
static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Copy of s[0, n) with white space runs made one space and trimmed. */
static char *normalise(const char *s, size_t n)
{
    char *out = vn_xmalloc(n + 1);
    size_t o = 0;
    int pending = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_ws(s[i])) {
            pending = o > 0;
            continue;
        }
        if (pending)
            out[o++] = ' ';
        pending = 0;
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

static void classify(bc_line *l)
{
    free(l->key);
    free(l->value);
    l->key = l->value = NULL;
    l->kv = 0;
    l->val_off = l->val_len = 0;
    size_t i = 0;
    while (i < l->len && is_ws(l->text[i]))
        i++;
    if (i == l->len || l->text[i] == '#')
        return;
    const char *eq = memchr(l->text + i, '=', l->len - i);
    if (!eq)
        return; /* no separator: the boot loader ignores the line */
    size_t e = (size_t)(eq - l->text);
    l->kv = 1;
    l->key = normalise(l->text + i, e - i);
    size_t v = e + 1;
    while (v < l->len && is_ws(l->text[v]))
        v++;
    size_t end = l->len;
    while (end > v && is_ws(l->text[end - 1]))
        end--;
    if (v == l->len) /* empty value: a new one goes right after '=' */
        v = e + 1, end = v;
    l->val_off = v;
    l->val_len = end - v;
    l->value = normalise(l->text + v, end - v);
}

static bc_line *add_line(vn_bootcfg *cfg, size_t at)
{
    if (cfg->n == cfg->cap) {
        cfg->cap = cfg->cap ? cfg->cap * 2 : 16;
        cfg->lines = vn_xrealloc(cfg->lines, cfg->cap * sizeof(*cfg->lines));
    }
    memmove(cfg->lines + at + 1, cfg->lines + at, (cfg->n - at) * sizeof(*cfg->lines));
    cfg->n++;
    memset(&cfg->lines[at], 0, sizeof(cfg->lines[at]));
    return &cfg->lines[at];
}

/* Index of the effective (last) line of `key`, -1 when absent. */
static long find_key(const vn_bootcfg *cfg, const char *key)
{
    for (size_t i = cfg->n; i-- > 0;) {
        if (cfg->lines[i].kv && strcasecmp(cfg->lines[i].key, key) == 0)
            return (long)i;
    }
    return -1;
}

/* Token name length: up to '=' or the end. */
static size_t tok_name_len(const char *tok)
{
    const char *eq = strchr(tok, '=');
    return eq ? (size_t)(eq - tok) : strlen(tok);
}

static int tok_named(const char *tok, const char *name)
{
    size_t n = tok_name_len(tok);
    return n == strlen(name) && strncasecmp(tok, name, n) == 0;
}

static void split_kernelopt(vn_bootcfg *cfg)
{
    free(cfg->ktok_buf);
    free(cfg->ktok);
    cfg->ktok_buf = NULL;
    cfg->ktok = NULL;
    cfg->nktok = 0;
    long i = find_key(cfg, "kernelopt");
    const char *v = i >= 0 ? cfg->lines[i].value : "";
    cfg->ktok_buf = vn_xstrdup(v);
    size_t max = strlen(v) / 2 + 1;
    cfg->ktok = vn_xcalloc(max, sizeof(char *));
    for (char *save = NULL, *t = strtok_r(cfg->ktok_buf, " ", &save); t;
         t = strtok_r(NULL, " ", &save))
        cfg->ktok[cfg->nktok++] = t;
}

/* Integer options of mboot (mboot/config.c) and safeboot (safeboot/config.c):
 * a value that is not a decimal number makes the whole file a syntax error. */
static const char *const int_keys[] = {
    "nobootif",         "timeout", "noquirks",   "norts",     "runtimewd", "tftpblksize",
    "runtimewdtimeout", "skip",    "errtimeout", "bootstate", "updated",   "quickboot",
};

static int is_decimal(const char *v)
{
    if (*v == '-')
        v++;
    if (!*v)
        return 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return 0;
    }
    return 1;
}

static int check_line(const bc_line *l, const char *name, int lineno, vn_error *err)
{
    if (!l->kv || !l->value[0])
        return VN_OK;
    for (size_t k = 0; k < sizeof(int_keys) / sizeof(int_keys[0]); k++) {
        if (strcasecmp(l->key, int_keys[k]) == 0 && !is_decimal(l->value))
            return vn_fail_at(err, VN_EINPUT, name, lineno,
                              "%s=%.60s is not a number (expected decimal digits: the boot "
                              "loader refuses the whole file)",
                              l->key, l->value);
    }
    return VN_OK;
}

int vn_bootcfg_parse(const char *data, size_t len, const char *name, vn_bootcfg **out,
                     vn_error *err)
{
    *out = NULL;
    vn_bootcfg *cfg = vn_xcalloc(1, sizeof(*cfg));
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
        lineno++;
        if (memchr(data + pos, '\0', n)) {
            vn_bootcfg_free(cfg);
            return vn_fail_at(err, VN_EINPUT, name, lineno,
                              "NUL byte in the line (expected a text file)");
        }
        bc_line *l = add_line(cfg, cfg->n);
        l->text = vn_xstrndup(data + pos, n);
        l->len = n;
        l->nl = nl != NULL;
        classify(l);
        if (check_line(l, name, lineno, err) != VN_OK) {
            vn_bootcfg_free(cfg);
            return err ? err->code : VN_EINPUT;
        }
        pos += n + (nl != NULL);
    }
    split_kernelopt(cfg);
    *out = cfg;
    return VN_OK;
}

void vn_bootcfg_free(vn_bootcfg *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->lines[i].text);
        free(cfg->lines[i].key);
        free(cfg->lines[i].value);
    }
    free(cfg->lines);
    free(cfg->ktok_buf);
    free(cfg->ktok);
    free(cfg);
}

void vn_bootcfg_write(const vn_bootcfg *cfg, vn_buf *out)
{
    vn_buf_add(out, "", 0);
    for (size_t i = 0; i < cfg->n; i++) {
        vn_buf_add(out, cfg->lines[i].text, cfg->lines[i].len);
        if (cfg->lines[i].nl)
            vn_buf_addc(out, '\n');
    }
}

const char *vn_bootcfg_get(const vn_bootcfg *cfg, const char *key)
{
    long i = find_key(cfg, key);
    return i >= 0 ? cfg->lines[i].value : NULL;
}

int vn_bootcfg_line(const vn_bootcfg *cfg, const char *key)
{
    return (int)(find_key(cfg, key) + 1);
}

int vn_bootcfg_lines(const vn_bootcfg *cfg)
{
    return (int)cfg->n;
}

static int key_ok(const char *key)
{
    if (!key || !*key || *key == '#')
        return 0;
    for (const char *p = key; *p; p++) {
        if (is_ws(*p) || *p == '=')
            return 0;
    }
    return 1;
}

/* A value the file can hold and that reads back unchanged: no line breaks,
 * no white space other than single spaces between words. */
static int value_ok(const char *value)
{
    if (!value)
        return 0;
    size_t n = strlen(value);
    if (n && (value[0] == ' ' || value[n - 1] == ' '))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (is_ws(value[i]) && (value[i] != ' ' || value[i + 1] == ' '))
            return 0;
    }
    return 1;
}

/* Does the file end its lines with CR LF? Decided by its first line. */
static int uses_crlf(const vn_bootcfg *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        if (cfg->lines[i].nl)
            return cfg->lines[i].len > 0 && cfg->lines[i].text[cfg->lines[i].len - 1] == '\r';
    }
    return 0;
}

int vn_bootcfg_set(vn_bootcfg *cfg, const char *key, const char *value)
{
    if (!key_ok(key) || !value_ok(value))
        return -1;
    long i = find_key(cfg, key);
    if (i >= 0) {
        bc_line *l = &cfg->lines[i];
        if (strcmp(l->value, value) == 0)
            return 0;
        vn_buf b = VN_BUF_INIT;
        vn_buf_add(&b, l->text, l->val_off);
        vn_buf_adds(&b, value);
        vn_buf_add(&b, l->text + l->val_off + l->val_len, l->len - l->val_off - l->val_len);
        free(l->text);
        l->text = vn_buf_detach(&b, &l->len);
        classify(l);
        split_kernelopt(cfg);
        return 1;
    }
    int crlf = uses_crlf(cfg);
    long kernel = strcasecmp(key, "kernelopt") == 0 ? find_key(cfg, "kernel") : -1;
    size_t at = kernel >= 0 ? (size_t)kernel + 1 : cfg->n;
    if (at == cfg->n && cfg->n > 0 && !cfg->lines[cfg->n - 1].nl) {
        /* The last line had no LF: it gets the file's line ending. */
        bc_line *last = &cfg->lines[cfg->n - 1];
        if (crlf) {
            last->text = vn_xrealloc(last->text, last->len + 2);
            last->text[last->len++] = '\r';
            last->text[last->len] = '\0';
        }
        last->nl = 1;
    }
    vn_buf b = VN_BUF_INIT;
    vn_buf_addf(&b, "%s=%s%s", key, value, crlf ? "\r" : "");
    bc_line *l = add_line(cfg, at);
    l->text = vn_buf_detach(&b, &l->len);
    l->nl = 1;
    classify(l);
    split_kernelopt(cfg);
    return 1;
}

const char *vn_bootcfg_kopt_get(const vn_bootcfg *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nktok; i++) {
        if (tok_named(cfg->ktok[i], name)) {
            const char *t = cfg->ktok[i];
            size_t n = tok_name_len(t);
            return t[n] == '=' ? t + n + 1 : t + n;
        }
    }
    return NULL;
}

/* Writes the tokens `keep` (NULL entries skipped) as the kernelopt value. */
static int set_tokens(vn_bootcfg *cfg, const char *const *toks, size_t n)
{
    vn_buf b = VN_BUF_INIT;
    vn_buf_add(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (!toks[i])
            continue;
        if (b.len)
            vn_buf_addc(&b, ' ');
        vn_buf_adds(&b, toks[i]);
    }
    int rc = vn_bootcfg_set(cfg, "kernelopt", b.data);
    vn_buf_free(&b);
    return rc;
}

static int token_ok(const char *tok)
{
    if (!tok || !*tok || *tok == '=')
        return 0;
    for (const char *p = tok; *p; p++) {
        if (is_ws(*p))
            return 0;
    }
    return 1;
}

int vn_bootcfg_kopt_set(vn_bootcfg *cfg, const char *token, const char *instead_of)
{
    if (!token_ok(token))
        return -1;
    char *name = vn_xstrndup(token, tok_name_len(token));
    size_t n = cfg->nktok;
    const char **toks = vn_xcalloc(n + 1, sizeof(char *));
    long target = -1;
    for (size_t i = 0; instead_of && target < 0 && i < n; i++) {
        if (tok_named(cfg->ktok[i], instead_of))
            target = (long)i;
    }
    for (size_t i = 0; target < 0 && i < n; i++) {
        if (tok_named(cfg->ktok[i], name))
            target = (long)i;
    }
    for (size_t i = 0; i < n; i++) {
        const char *t = cfg->ktok[i];
        if ((long)i == target)
            toks[i] = token;
        else if (tok_named(t, name) || (instead_of && tok_named(t, instead_of)))
            toks[i] = NULL;
        else
            toks[i] = t;
    }
    if (target < 0)
        toks[n++] = token;
    int rc = set_tokens(cfg, toks, n);
    free(toks);
    free(name);
    return rc;
}

int vn_bootcfg_kopt_remove(vn_bootcfg *cfg, const char *name)
{
    size_t n = cfg->nktok, removed = 0;
    const char **toks = vn_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        toks[i] = tok_named(cfg->ktok[i], name) ? NULL : cfg->ktok[i];
        removed += toks[i] == NULL;
    }
    int rc = removed ? set_tokens(cfg, toks, n) : 0;
    free(toks);
    return rc;
}

int vn_bootcfg_wire_ks(vn_bootcfg *cfg, const char *url)
{
    if (!token_ok(url))
        return -1;
    vn_buf tok = VN_BUF_INIT;
    vn_buf_addf(&tok, "ks=%s", url);
    int rc = vn_bootcfg_kopt_set(cfg, tok.data, "cdromBoot");
    vn_buf_free(&tok);
    return rc;
}

int vn_bootcfg_allow_legacy_cpu(vn_bootcfg *cfg)
{
    return vn_bootcfg_kopt_set(cfg, "allowLegacyCPU=true", NULL);
}
