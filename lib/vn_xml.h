/* vn_xml: the XML reader for what vnest reads: vim25 SOAP replies and OVF
 * descriptors. A strict, non-validating XML 1.0 + Namespaces parser written
 * for those two, in place of libxml2 (whose DOM building was a fifth of a
 * deploy's CPU, and whose loading, with ICU and libstdc++, 1.4 ms of every
 * vnest start).
 *
 * Safe by construction rather than by options: a document type declaration
 * is refused outright, so there are no entities beyond the five predefined
 * ones and character references, nothing is ever fetched and nothing
 * expands. Input must be UTF-8 (a declared encoding other than UTF-8 or
 * US-ASCII is refused, a UTF-8 BOM is skipped). Undeclared prefixes,
 * duplicate attributes, mismatched tags, bad references, control characters
 * and nesting deeper than VN_XML_MAX_DEPTH are errors naming the line.
 *
 * The tree holds elements only. Each element keeps its own character data
 * (CDATA included, references resolved, line ends normalised to \n) as one
 * string; comments and processing instructions are dropped. Nodes and
 * strings are immutable and live until vn_xml_free. */
#ifndef VN_XML_H
#define VN_XML_H

#include <stddef.h>

#include "vn_buf.h"
#include "vn_error.h"

/* The root is at depth 0; elements down to this depth below it are read,
 * deeper ones refused (the limit libxml2 applies). */
#define VN_XML_MAX_DEPTH 256

#define VN_XML_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define VN_XML_NS_XSD "http://www.w3.org/2001/XMLSchema"

typedef struct vn_xattr {
    const char *prefix; /* "" when unprefixed */
    const char *name;   /* local name */
    const char *ns;     /* namespace URI; "" for unprefixed attributes */
    const char *value;  /* references resolved, whitespace normalised */
    const struct vn_xattr *next;
} vn_xattr;

/* One xmlns or xmlns:P declaration made on an element. */
typedef struct vn_xnsdecl {
    const char *prefix; /* "" for the default namespace */
    const char *uri;    /* "" undeclares the default namespace */
    const struct vn_xnsdecl *next;
} vn_xnsdecl;

typedef struct vn_xnode {
    const char *name;   /* local name */
    const char *prefix; /* "" when unprefixed */
    const char *ns;     /* namespace URI; "" when in no namespace */
    const char *text;   /* own character data, concatenated; "" when none */
    size_t text_len;
    const vn_xattr *attrs;     /* in document order; xmlns declarations excluded */
    const vn_xnsdecl *nsdecls; /* declarations made on this element */
    const struct vn_xnode *parent, *children, *next; /* elements only */
    unsigned line;                                   /* of the start tag, from 1 */
} vn_xnode;

typedef struct vn_xdoc vn_xdoc;

/* Parses a whole document held in memory (copied first: `data` is not kept
 * nor modified). NULL on failure with `err` set to VN_EINPUT at NAME:LINE,
 * "malformed XML: what was wrong". `name` names the input in messages. */
vn_xdoc *vn_xml_parse(const char *data, size_t len, const char *name, vn_error *err);
/* 1 when `err` is vn_xml's refusal of a document type declaration, which
 * callers word for their input (a SOAP reply, an OVF descriptor). */
int vn_xml_refused_dtd(const vn_error *err);
const vn_xnode *vn_xml_root(const vn_xdoc *doc);
void vn_xml_free(vn_xdoc *doc);

/* Streaming: returns each element found at `depth` (the root is depth 0)
 * in turn with its whole subtree, building nothing else, so memory stays
 * bounded by the largest such element, not by the document. The element's
 * ancestors are reachable through ->parent (name, ns, attributes and
 * declarations; no children or text). What vn_xreader_next returned is
 * valid until the next call. Elements shallower than `depth` are checked
 * for well-formedness but not returned. `data` and `name` are copied as
 * by vn_xml_parse; a depth outside 0..VN_XML_MAX_DEPTH or an input over
 * 2 GiB makes the first vn_xreader_next fail. */
typedef struct vn_xreader vn_xreader;
vn_xreader *vn_xreader_new(const char *data, size_t len, const char *name, int depth);
/* The next element at the reader's depth; NULL at the end of the document
 * (err untouched, VN_OK) or on malformed input (err set, as vn_xml_parse). */
const vn_xnode *vn_xreader_next(vn_xreader *r, vn_error *err);
/* The last element started at `depth` (< the reader's depth) under the
 * current ancestors, or NULL if none was (a new element at a shallower
 * depth forgets the deeper ones): after the walk, vn_xreader_spine(r, 0)
 * is the root and vn_xreader_spine(r, 1) tells whether e.g. a SOAP Body
 * was there. */
const vn_xnode *vn_xreader_spine(const vn_xreader *r, int depth);
void vn_xreader_free(vn_xreader *r);

/* --- looking at a tree (all accept NULL nodes and return NULL / "") --- */

/* First element child of `parent` with local name `name` (any when NULL). */
const vn_xnode *vn_xn_first(const vn_xnode *parent, const char *name);
/* Next element sibling after `node` with local name `name` (any when NULL). */
const vn_xnode *vn_xn_next(const vn_xnode *node, const char *name);
/* Follows a path of child names separated by '/': "about/apiVersion". */
const vn_xnode *vn_xn_path(const vn_xnode *parent, const char *path);
/* The element's own text copied into `buf` (truncated to fit); "" for NULL. */
const char *vn_xn_text(const vn_xnode *node, char *buf, size_t len);
/* Heap copy of the element's own text (caller frees); NULL for a NULL node. */
char *vn_xn_strdup(const vn_xnode *node);
/* Value of the attribute with local name `name` in namespace `ns` ("" or
 * NULL: an unprefixed attribute); NULL when absent. */
const char *vn_xn_attr(const vn_xnode *node, const char *ns, const char *name);
/* The namespace URI bound to `prefix` ("" = default) where `node` is, or
 * NULL when unbound. "xml" is always bound. */
const char *vn_xn_lookup_ns(const vn_xnode *node, const char *prefix);

/* Appends the element and its subtree as a standalone XML fragment: the
 * start tag declares every namespace in scope there (so prefixes bound on
 * ancestors still resolve), text and attribute values are escaped. Text is
 * written before the children (the tree keeps no mixed-content order). */
void vn_xn_dump(const vn_xnode *node, vn_buf *out);

#endif
