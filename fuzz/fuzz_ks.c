/* libFuzzer target for the kickstart linter (lib/vn_ks_lint.c).
 *
 * Properties checked (abort() on violation):
 *  - the only failure is a NUL byte: VN_EINPUT at "fuzz:LINE", and only then;
 *  - every finding has a kickstart rule, a message, a line within the file and
 *    a severity no higher than its rule's;
 *  - finding texts are printable (no control characters) and never contain
 *    the root password: a clear-text rootpw line with a marker password is put
 *    in front of the input, and the marker must not appear in any finding;
 *  - linting is deterministic (the same findings twice). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_ks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MARKER "Qz7MarkerPw"

static void require(int cond)
{
    if (!cond)
        abort();
}

static void printable(const char *s)
{
    for (; s && *s; s++)
        require((unsigned char)*s >= 0x20 && (unsigned char)*s != 0x7f);
}

static void no_marker(const char *s)
{
    require(!s || !strstr(s, MARKER));
}

static size_t count_lines(const char *text, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    return n + 1;
}

static void check_findings(const vn_findings *f, size_t lines, int marker_free_input)
{
    for (size_t i = 0; i < f->n; i++) {
        const vn_finding *x = &f->v[i];
        require(x->rule && vn_ks_rule_find(x->rule->id) == x->rule);
        require(x->note && x->note[0] && x->key && x->key[0]);
        require(x->line >= 0 && (size_t)x->line <= lines);
        require(x->severity <= x->rule->severity);
        printable(x->note);
        printable(x->key);
        printable(x->current);
        printable(x->wanted);
        if (marker_free_input) {
            no_marker(x->note);
            no_marker(x->key);
            no_marker(x->current);
            no_marker(x->wanted);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_buf text = VN_BUF_INIT;
    vn_buf_adds(&text, "rootpw " MARKER "\n");
    vn_buf_add(&text, data, size);
    int has_nul = memchr(data, '\0', size) != NULL;
    int marker_free = !memmem(data, size, "Qz7", 3);

    vn_findings f = {0};
    vn_error err;
    vn_error_clear(&err);
    int rc = vn_ks_lint(text.data, text.len, "fuzz", NULL, &f, &err);
    if (has_nul) {
        require(rc == VN_EINPUT && err.code == VN_EINPUT && strncmp(err.where, "fuzz:", 5) == 0);
        require(f.n == 0);
    } else {
        require(rc == VN_OK);
        check_findings(&f, count_lines(text.data, text.len), marker_free);
        /* Deterministic, also for a release that changes some checks. */
        vn_findings g = {0};
        require(vn_ks_lint(text.data, text.len, "fuzz", NULL, &g, &err) == VN_OK);
        require(g.n == f.n);
        for (size_t i = 0; i < f.n; i++)
            require(g.v[i].rule == f.v[i].rule && g.v[i].line == f.v[i].line &&
                    strcmp(g.v[i].note, f.v[i].note) == 0);
        vn_findings_free(&g);
        vn_findings h = {0};
        require(vn_ks_lint(text.data, text.len, "fuzz", vn_release_get(VN_ESXI_67), &h, &err) ==
                VN_OK);
        check_findings(&h, count_lines(text.data, text.len), marker_free);
        vn_findings_free(&h);
    }
    vn_findings_free(&f);
    vn_buf_free(&text);
    return 0;
}
