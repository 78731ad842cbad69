/* vn_xml_core: what the whole-document parser (vn_xml.c) and the streaming
 * reader (vn_xml_reader.c) share, internal to the library: the chunked
 * arena the tree lives in, and the one tokenizer + tree builder both drive.
 *
 * The core works in place on a private, padded copy of the input: names,
 * values and texts are decoded where they stand (decoding never grows
 * text) and NUL-terminated there, so building a tree copies no strings
 * (but the own text of an element whose text a child element interrupts,
 * joined into the arena).
 * Elements shallower than `spine_depth` are "spine" nodes: ancestors kept
 * with their name, namespace, attributes and declarations only, their
 * storage given back as soon as a sibling replaces them. */
#ifndef VN_XML_CORE_H
#define VN_XML_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "vn_xml.h"

/* Zero bytes after the copied input: every look-ahead ("<![CDATA[", a
 * UTF-8 sequence, a 16-byte SSE2 load from any position up to the end)
 * stays inside the buffer and meets a NUL, which matches nothing the
 * tokenizer expects. */
#define VN_XML_PAD 16

/* The start of the message a DOCTYPE gets (vn_xml_refused_dtd looks for it). */
#define VN_XML_DTD_REFUSED "the document carries a DTD"

#define VN_XML_NS_XML   "http://www.w3.org/XML/1998/namespace"
#define VN_XML_NS_XMLNS "http://www.w3.org/2000/xmlns/"

/* --- arena: bump allocation from a list of chunks, with release to a mark
 * so the reader can reuse the same memory for every element it returns --- */

typedef struct vn_xarena_chunk vn_xarena_chunk;

typedef struct vn_xarena {
    vn_xarena_chunk *first, *cur;
    char *ptr;        /* next free byte in cur */
    size_t left;      /* free bytes in cur */
    size_t next_size; /* size of the next chunk to allocate */
} vn_xarena;

typedef struct vn_xarena_mark {
    vn_xarena_chunk *chunk; /* NULL: the empty arena */
    char *ptr;
} vn_xarena_mark;

void vn_xarena_init(vn_xarena *a, size_t first_chunk);
void *vn_xarena_alloc_slow(vn_xarena *a, size_t n);
void vn_xarena_release(vn_xarena *a, vn_xarena_mark m);
void vn_xarena_free(vn_xarena *a);

static inline void *vn_xarena_alloc(vn_xarena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n <= a->left) {
        void *p = a->ptr;
        a->ptr += n;
        a->left -= n;
        return p;
    }
    return vn_xarena_alloc_slow(a, n);
}

static inline vn_xarena_mark vn_xarena_mark_now(const vn_xarena *a)
{
    vn_xarena_mark m = {a->cur, a->ptr};
    return m;
}

/* --- the tokenizer + builder --- */

/* An element whose end tag is still ahead. */
typedef struct vn_xopen {
    vn_xnode *node;
    vn_xnode *last_child;
    uint32_t plen, llen; /* prefix and local name lengths, for the end tag */
    uint32_t ns_base;    /* namespace stack height before its declarations */
    const char *dflt_ns; /* default namespace in scope inside it */
    const char *text;    /* first run of own text, in place; NULL: none yet */
    size_t text_len;
    size_t acc_base;      /* where its text starts in the text stack... */
    int accumulating;     /* ...once a second run made in-place text impossible */
    vn_xarena_mark after; /* arena position after its own storage */
} vn_xopen;

/* One namespace binding in scope. */
typedef struct vn_xbinding {
    const char *prefix;
    size_t plen;
    const char *uri;
} vn_xbinding;

/* An attribute as read from a start tag, before namespace processing. */
typedef struct vn_xrawattr {
    char *qname;
    uint32_t qlen, plen; /* plen: prefix length, 0 when unprefixed */
    char *value;
    uint32_t vlen;
    const char *ns; /* NULL for a namespace declaration */
} vn_xrawattr;

typedef struct vn_xcore {
    char *p, *end; /* read cursor; end of the input (padding follows) */
    unsigned line;
    const char *name; /* of the input, for messages */
    vn_error error;   /* the failure, once failed */
    int failed, started, seen_root, done;
    int spine_depth; /* elements shallower are ancestors only */
    int stop_depth;  /* run returns when an element at this depth closes; -1: never */
    int depth;       /* open elements */
    vn_xarena arena;
    vn_xnode *root;
    vn_xnode *closed; /* the element the last tag closed, if it closed one */
    vn_xnode *spine[VN_XML_MAX_DEPTH];
    int spine_top;                       /* spine[] entries set: [0, spine_top) */
    vn_xopen open[VN_XML_MAX_DEPTH + 1]; /* the root is at depth 0 */

    vn_xbinding *ns;
    size_t ns_n, ns_cap;
    vn_xrawattr *atts;
    size_t atts_cap;
    uint32_t *dup_table;
    size_t dup_cap;
    char *tstack; /* own texts of several runs, concatenated */
    size_t tstack_len, tstack_cap;

    vn_xbinding ns_inline[32];
    vn_xrawattr atts_inline[16];
} vn_xcore;

enum { VN_XRUN_ERROR = -1, VN_XRUN_END = 0, VN_XRUN_ELEMENT = 1 };

/* `buf` holds `len` bytes of input followed by VN_XML_PAD zero bytes; the
 * core writes into it and never past buf + len. */
void vn_xcore_init(vn_xcore *c, char *buf, size_t len, const char *name, int spine_depth,
                   int stop_depth, size_t arena_chunk);
/* Parses on. VN_XRUN_ELEMENT: *out is an element at stop_depth that just
 * closed; VN_XRUN_END: the document ended, well-formed; VN_XRUN_ERROR:
 * c->error says why (and every later call says the same). */
int vn_xcore_run(vn_xcore *c, vn_xnode **out);
/* Frees the scratch storage (not the arena, which holds the tree). */
void vn_xcore_done(vn_xcore *c);

/* Records a failure "malformed XML: ..." at the current line; returns NULL
 * so scanners can `return vn_xcore_fail(...)`. */
char *vn_xcore_fail(vn_xcore *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies the line end at *rp (LF, CR LF or a lone CR: XML reads all three
 * as one LF) to *wp as the character `as`, and counts the line. The write
 * may land on the very byte read (decoding is in place): read first. */
static inline void vn_xline_end(vn_xcore *c, char **rp, char **wp, char as)
{
    int len = (*rp)[0] == '\r' && (*rp)[1] == '\n' ? 2 : 1;
    c->line++;
    *(*wp)++ = as;
    *rp += len;
}

#endif
