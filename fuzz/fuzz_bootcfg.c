/* libFuzzer target for the boot.cfg reader/editor (lib/vn_bootcfg.c).
 *
 * Properties checked (abort() on violation):
 *  - a rejected input is VN_EINPUT with a "name:LINE" place and no document;
 *  - an accepted input writes back byte for byte;
 *  - after the installer-ISO edits (ks=cdrom:/KS.CFG instead of cdromBoot,
 *    allowLegacyCPU=true) kernelopt= holds each exactly once and no
 *    cdromBoot, every other line is unchanged (a last line without LF may
 *    gain one), the output parses again to the same document, and repeating
 *    the edits changes nothing;
 *  - setting a value made from the input either is refused or reads back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_bootcfg.h"
#include "vn_buf.h"
#include "vn_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static char *write_doc(const vn_bootcfg *cfg, size_t *len)
{
    vn_buf b = VN_BUF_INIT;
    vn_bootcfg_write(cfg, &b);
    return vn_buf_detach(&b, len);
}

/* Lines of text (each with its LF), as pointers and lengths. */
typedef struct lines {
    const char **p;
    size_t *n;
    size_t count;
} lines;

static lines split(const char *text, size_t len)
{
    lines l = {vn_xcalloc(len + 1, sizeof(char *)), vn_xcalloc(len + 1, sizeof(size_t)), 0};
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - text - pos) + 1 : len - pos;
        l.p[l.count] = text + pos;
        l.n[l.count++] = n;
        pos += n;
    }
    return l;
}

static void free_lines(lines *l)
{
    free(l->p);
    free(l->n);
}

/* Input line `a` reappears as `b`: identical, or (the last input line
 * without LF) followed by LF or CR LF. */
static int kept(const char *a, size_t na, const char *b, size_t nb, int last)
{
    if (na == nb && memcmp(a, b, na) == 0)
        return 1;
    if (!last || (na > 0 && a[na - 1] == '\n') || nb < na + 1 || memcmp(a, b, na) != 0)
        return 0;
    return (nb == na + 1 && b[na] == '\n') || (nb == na + 2 && !memcmp(b + na, "\r\n", 2));
}

static size_t count_named(const char *kernelopt, const char *name)
{
    size_t count = 0, n = strlen(name);
    char *copy = vn_xstrdup(kernelopt);
    for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (strncasecmp(t, name, n) == 0 && (t[n] == '\0' || t[n] == '='))
            count++;
    }
    free(copy);
    return count;
}

static void check_edit(const char *in, size_t in_len, vn_bootcfg *cfg)
{
    int had = vn_bootcfg_line(cfg, "kernelopt");
    require(vn_bootcfg_wire_ks(cfg, "cdrom:/KS.CFG") >= 0);
    require(vn_bootcfg_allow_legacy_cpu(cfg) >= 0);
    const char *k = vn_bootcfg_get(cfg, "kernelopt");
    require(k != NULL);
    require(count_named(k, "ks") == 1 && count_named(k, "cdromBoot") == 0 &&
            count_named(k, "allowLegacyCPU") == 1);
    require(strcmp(vn_bootcfg_kopt_get(cfg, "KS"), "cdrom:/KS.CFG") == 0);
    require(strcmp(vn_bootcfg_kopt_get(cfg, "allowlegacycpu"), "true") == 0);

    size_t out_len;
    char *out = write_doc(cfg, &out_len);
    lines a = split(in, in_len), b = split(out, out_len);
    int now = vn_bootcfg_line(cfg, "kernelopt");
    require(now > 0 && (size_t)now <= b.count);
    if (had) {
        require(now == had && a.count == b.count);
    } else {
        require(b.count == a.count + 1);
    }
    for (size_t i = 0, j = 0; i < a.count; i++, j++) {
        if (j + 1 == (size_t)now && !had)
            j++; /* the added kernelopt= line */
        if (i + 1 == (size_t)had)
            continue;
        require(kept(a.p[i], a.n[i], b.p[j], b.n[j], i + 1 == a.count));
    }
    free_lines(&a);
    free_lines(&b);

    /* The result reads back as the same document. */
    vn_bootcfg *again = NULL;
    vn_error err;
    vn_error_clear(&err);
    require(vn_bootcfg_parse(out, out_len, "again", &again, &err) == VN_OK);
    size_t n2;
    char *out2 = write_doc(again, &n2);
    require(n2 == out_len && memcmp(out2, out, n2) == 0);
    require(strcmp(vn_bootcfg_get(again, "kernelopt"), k) == 0);
    require(vn_bootcfg_wire_ks(again, "cdrom:/KS.CFG") == 0);
    require(vn_bootcfg_allow_legacy_cpu(again) == 0);
    free(out2);
    vn_bootcfg_free(again);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    vn_bootcfg *cfg = NULL;
    vn_error err;
    vn_error_clear(&err);
    if (vn_bootcfg_parse(text, size, "fuzz", &cfg, &err) != VN_OK) {
        require(cfg == NULL && err.code == VN_EINPUT && strncmp(err.where, "fuzz:", 5) == 0 &&
                err.msg[0] != '\0');
        return 0;
    }
    size_t n;
    char *out = write_doc(cfg, &n);
    require(n == size && memcmp(out, data, size) == 0);
    free(out);

    /* A value from the input's first bytes: refused, or it reads back. */
    char value[24];
    size_t vn = size < 23 ? size : 23;
    memcpy(value, data, vn);
    value[vn] = '\0';
    int rc = vn_bootcfg_set(cfg, "title", value);
    require(rc >= -1 && rc <= 1);
    if (rc >= 0)
        require(strcmp(vn_bootcfg_get(cfg, "TITLE"), value) == 0 &&
                vn_bootcfg_set(cfg, "title", value) == 0);
    vn_bootcfg_free(cfg);

    require(vn_bootcfg_parse(text, size, "fuzz", &cfg, &err) == VN_OK);
    check_edit(text, size, cfg);
    vn_bootcfg_free(cfg);
    return 0;
}
