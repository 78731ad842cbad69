/* libFuzzer target for vn_xml, on its own: the parse of any input must
 * not crash, leak or read out of bounds; a tree it builds must walk, dump
 * and parse back to the same tree; and the streaming reader at depths 1..4
 * must agree with the whole parse: the same elements with the same
 * subtrees, the same ancestors, and the same error when there is one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_xml: %s\n", what);
    if (a)
        fprintf(stderr, "--- expected\n%s\n--- got\n%s\n", a, b ? b : "(null)");
    abort();
}

/* Every accessor on every node, so that each pointer the tree holds is
 * followed at least once. */
static void walk(const vn_xnode *n, unsigned depth)
{
    char buf[16];
    vn_xn_text(n, buf, sizeof(buf));
    if (strlen(n->text) != n->text_len)
        fail("text_len disagrees with the text", NULL, NULL);
    for (const vn_xattr *a = n->attrs; a; a = a->next)
        if (vn_xn_attr(n, a->ns, a->name) == NULL)
            fail("an attribute is not found by its own name", NULL, NULL);
    for (const vn_xnsdecl *d = n->nsdecls; d; d = d->next)
        vn_xn_lookup_ns(n, d->prefix);
    if (n->ns[0] &&
        strcmp(vn_xn_lookup_ns(n, n->prefix) ? vn_xn_lookup_ns(n, n->prefix) : "", n->ns) != 0)
        fail("the element's prefix does not resolve to its namespace", NULL, NULL);
    for (const vn_xnode *c = vn_xn_first(n, NULL); c; c = vn_xn_next(c, NULL)) {
        if (c->parent != n || depth > VN_XML_MAX_DEPTH)
            fail("a child's parent is not its parent", NULL, NULL);
        if (vn_xn_first(n, c->name) == NULL)
            fail("a child is not found by its own name", NULL, NULL);
        walk(c, depth + 1);
    }
}

static char *dump(const vn_xnode *n)
{
    vn_buf b = VN_BUF_INIT;
    vn_xn_dump(n, &b);
    vn_buf_addc(&b, '\0');
    return vn_buf_detach(&b, NULL);
}

/* The elements at `depth` in document order, through the whole tree. */
static void collect(const vn_xnode *n, int depth, const vn_xnode ***out, size_t *len, size_t *cap)
{
    if (depth == 0) {
        if (*len == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            *out = realloc(*out, *cap * sizeof(**out));
        }
        (*out)[(*len)++] = n;
        return;
    }
    for (const vn_xnode *c = n->children; c; c = c->next)
        collect(c, depth - 1, out, len, cap);
}

static void check_reader(const char *data, size_t size, const vn_xnode *root, const vn_error *perr,
                         int depth)
{
    const vn_xnode **want = NULL;
    size_t nwant = 0, cap = 0, i = 0;
    if (root)
        collect(root, depth, &want, &nwant, &cap);
    vn_xreader *r = vn_xreader_new(data, size, "fuzz", depth);
    vn_error err = {0};
    const vn_xnode *n;
    while ((n = vn_xreader_next(r, &err)) != NULL) {
        if (!root)
            continue; /* a malformed document: elements before the error are fine */
        if (i >= nwant)
            fail("the reader returns more elements than the tree has", NULL, NULL);
        char *a = dump(want[i]), *b = dump(n);
        if (strcmp(a, b) != 0)
            fail("the reader's element differs from the tree's", a, b);
        free(a);
        free(b);
        const vn_xnode *p = n->parent, *q = want[i]->parent;
        for (; p && q; p = p->parent, q = q->parent)
            if (strcmp(p->name, q->name) || strcmp(p->ns, q->ns) || p->line != q->line)
                fail("the reader's ancestors differ from the tree's", q->name, p->name);
        if (p || q)
            fail("the reader's ancestor chain has another length", NULL, NULL);
        i++;
    }
    if (root && (err.code || i != nwant))
        fail("the reader stops early on a document the parse accepts", NULL, err.msg);
    if (!root &&
        (err.code != perr->code || strcmp(err.msg, perr->msg) || strcmp(err.where, perr->where)))
        fail("the reader's error differs from the parse's", perr->msg, err.msg);
    if (root && depth > 0 && vn_xreader_spine(r, 0) == NULL)
        fail("no spine root after a whole walk", NULL, NULL);
    vn_xreader_free(r);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_error err = {0};
    vn_xdoc *doc = vn_xml_parse((const char *)data, size, "fuzz", &err);
    const vn_xnode *root = vn_xml_root(doc);
    if (!doc && (err.code != VN_EINPUT || strncmp(err.msg, "malformed XML: ", 15) != 0))
        fail("a failure without its message", NULL, err.msg);
    if (root) {
        walk(root, 0);
        char *once = dump(root);
        vn_error err2 = {0};
        vn_xdoc *again = vn_xml_parse(once, strlen(once), "dump", &err2);
        if (!again)
            fail("the dump does not parse back", once, err2.msg);
        char *twice = dump(vn_xml_root(again));
        if (strcmp(once, twice) != 0)
            fail("the dump parses back to another tree", once, twice);
        free(twice);
        free(once);
        vn_xml_free(again);
    }
    for (int depth = 1; depth <= 4; depth++)
        check_reader((const char *)data, size, root, &err, depth);
    vn_xml_free(doc);
    return 0;
}
