/* The arena vn_xml trees live in: nodes, attributes and declarations are
 * bumped out of large chunks (no malloc per node, one free per chunk), and
 * released chunks stay linked for reuse, so a reader that releases after
 * every element settles on the memory its largest element needed. */
#include <stdalign.h>
#include <stdlib.h>

#include "vn_buf.h"
#include "vn_xml_core.h"

struct vn_xarena_chunk {
    vn_xarena_chunk *next;
    size_t size;
    alignas(max_align_t) char data[];
};

#define ARENA_MIN_CHUNK (1u << 10)
#define ARENA_MAX_CHUNK (1u << 20)

void vn_xarena_init(vn_xarena *a, size_t first_chunk)
{
    a->first = a->cur = NULL;
    a->ptr = NULL;
    a->left = 0;
    if (first_chunk < ARENA_MIN_CHUNK)
        first_chunk = ARENA_MIN_CHUNK;
    if (first_chunk > ARENA_MAX_CHUNK)
        first_chunk = ARENA_MAX_CHUNK;
    a->next_size = first_chunk;
}

static void use_chunk(vn_xarena *a, vn_xarena_chunk *c)
{
    a->cur = c;
    a->ptr = c->data;
    a->left = c->size;
}

void *vn_xarena_alloc_slow(vn_xarena *a, size_t n)
{
    /* A chunk left over from before a release, if one is large enough. */
    vn_xarena_chunk *c = a->cur ? a->cur->next : a->first;
    for (; c; c = c->next)
        if (c->size >= n)
            break;
    if (!c) {
        size_t size = a->next_size > n ? a->next_size : n;
        if (a->next_size < ARENA_MAX_CHUNK)
            a->next_size *= 2;
        c = vn_xmalloc(sizeof(*c) + size);
        c->size = size;
        /* Inserted right after the current chunk: the chunks after it
         * (too small for this request) remain reusable later. */
        if (a->cur) {
            c->next = a->cur->next;
            a->cur->next = c;
        } else {
            c->next = a->first;
            a->first = c;
        }
    }
    use_chunk(a, c);
    a->ptr += n;
    a->left -= n;
    return c->data;
}

void vn_xarena_release(vn_xarena *a, vn_xarena_mark m)
{
    if (m.chunk) {
        a->cur = m.chunk;
        a->ptr = m.ptr;
        a->left = m.chunk->size - (size_t)(m.ptr - m.chunk->data);
    } else if (a->first) {
        use_chunk(a, a->first);
    }
}

void vn_xarena_free(vn_xarena *a)
{
    vn_xarena_chunk *c = a->first;
    while (c) {
        vn_xarena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->first = a->cur = NULL;
    a->ptr = NULL;
    a->left = 0;
}
