/* vn_xml_parse: the whole document as a tree. The input is copied once,
 * with the padding the core's look-aheads rely on, and the tree is built
 * in place in that copy (strings) and in the document's arena (nodes). */
#include "vn_xml.h"

#include <stdlib.h>
#include <string.h>

#include "vn_xml_core.h"

struct vn_xdoc {
    vn_xarena arena;
    const vn_xnode *root;
    /* the copy of the input follows */
};

vn_xdoc *vn_xml_parse(const char *data, size_t len, const char *name, vn_error *err)
{
    if (len > 0x7fffffff) {
        vn_fail_at(err, VN_EINPUT, name, 1, "malformed XML: the document is over 2 GiB");
        return NULL;
    }
    vn_xdoc *d = vn_xmalloc(sizeof(*d) + len + VN_XML_PAD);
    char *buf = (char *)(d + 1);
    if (len)
        memcpy(buf, data, len);
    memset(buf + len, 0, VN_XML_PAD);
    /* The core's working state is large but short-lived: on the stack. A
     * first arena chunk of about twice the input fits a typical reply's
     * nodes in one or two allocations. */
    vn_xcore c;
    vn_xcore_init(&c, buf, len, name, 0, -1, 2 * len);
    vn_xnode *none;
    int rc = vn_xcore_run(&c, &none);
    d->arena = c.arena;
    d->root = c.root;
    if (rc != VN_XRUN_END) {
        if (err)
            *err = c.error;
        vn_xcore_done(&c);
        vn_xml_free(d);
        return NULL;
    }
    vn_xcore_done(&c);
    return d;
}

int vn_xml_refused_dtd(const vn_error *err)
{
    return err && err->code != VN_OK && strstr(err->msg, VN_XML_DTD_REFUSED) != NULL;
}

const vn_xnode *vn_xml_root(const vn_xdoc *doc)
{
    return doc ? doc->root : NULL;
}

void vn_xml_free(vn_xdoc *doc)
{
    if (!doc)
        return;
    vn_xarena_free(&doc->arena);
    free(doc);
}
