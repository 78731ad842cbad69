/* vn_xreader: the elements at one depth, one at a time, each with its
 * subtree, from the same core as vn_xml_parse. Ancestors are spine nodes
 * (no children, no text); the returned element's subtree is built in the
 * arena above the spine and given back on the next call, so the arena
 * settles on the size of the largest element returned. */
#include "vn_xml.h"

#include <stdlib.h>
#include <string.h>

#include "vn_xml_core.h"

struct vn_xreader {
    vn_xcore core;
    int depth;
    int returned; /* an element was returned: its storage is reclaimed next */
    char *name;   /* a copy: messages name the input after the caller's string is gone */
    /* the copy of the input follows */
};

/* The first arena chunk: enough for a typical RetrieveResult object. */
#define READER_CHUNK (16u << 10)

vn_xreader *vn_xreader_new(const char *data, size_t len, const char *name, int depth)
{
    int too_large = len > 0x7fffffff, bad_depth = depth < 0 || depth > VN_XML_MAX_DEPTH;
    size_t copy = too_large || bad_depth ? 0 : len;
    vn_xreader *r = vn_xmalloc(sizeof(*r) + copy + VN_XML_PAD);
    char *buf = (char *)(r + 1);
    if (copy)
        memcpy(buf, data, copy);
    memset(buf + copy, 0, VN_XML_PAD);
    r->name = vn_xstrdup(name ? name : "");
    r->depth = depth;
    r->returned = 0;
    vn_xcore_init(&r->core, buf, copy, r->name, bad_depth ? 0 : depth, depth, READER_CHUNK);
    if (too_large) {
        vn_xcore_fail(&r->core, "the document is over 2 GiB");
    } else if (bad_depth) {
        vn_fail(&r->core.error, VN_EINPUT, r->name, "reader depth %d is outside 0..%d", depth,
                VN_XML_MAX_DEPTH);
        r->core.failed = 1;
    }
    return r;
}

const vn_xnode *vn_xreader_next(vn_xreader *r, vn_error *err)
{
    if (!r)
        return NULL;
    vn_xcore *c = &r->core;
    if (r->returned) {
        vn_xarena_mark empty = {NULL, NULL};
        vn_xarena_release(&c->arena, r->depth ? c->open[r->depth - 1].after : empty);
        r->returned = 0;
    }
    vn_xnode *n = NULL;
    int rc = vn_xcore_run(c, &n);
    if (rc == VN_XRUN_ELEMENT) {
        r->returned = 1;
        return n;
    }
    if (rc == VN_XRUN_ERROR && err)
        *err = c->error;
    return NULL;
}

const vn_xnode *vn_xreader_spine(const vn_xreader *r, int depth)
{
    if (!r || depth < 0 || depth >= r->depth || depth >= r->core.spine_top)
        return NULL;
    return r->core.spine[depth];
}

void vn_xreader_free(vn_xreader *r)
{
    if (!r)
        return;
    vn_xcore_done(&r->core);
    vn_xarena_free(&r->core.arena);
    free(r->name);
    free(r);
}
