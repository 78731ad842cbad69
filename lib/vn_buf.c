#include "vn_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vn_oom(void)
{
    fputs("vnest: out of memory\n", stderr);
    abort();
}

void *vn_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        vn_oom();
    return p;
}

void *vn_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        vn_oom();
    return p;
}

void *vn_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        vn_oom();
    return q;
}

char *vn_xstrndup(const char *s, size_t n)
{
    char *p = vn_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *vn_xstrdup(const char *s)
{
    return vn_xstrndup(s, strlen(s));
}

void vn_buf_grow(vn_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = vn_xrealloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = '\0'; /* a fresh buffer reads as "" */
}

void vn_buf_add(vn_buf *b, const void *data, size_t len)
{
    vn_buf_grow(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void vn_buf_adds(vn_buf *b, const char *s)
{
    vn_buf_add(b, s, strlen(s));
}

void vn_buf_addc(vn_buf *b, char c)
{
    vn_buf_add(b, &c, 1);
}

void vn_buf_addf(vn_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    vn_buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void vn_buf_reset(vn_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void vn_buf_free(vn_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *vn_buf_detach(vn_buf *b, size_t *len)
{
    vn_buf_grow(b, 0);
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

int vn_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
