/* vn_buf: a growable byte buffer, always NUL-terminated, used instead of
 * fixed char arrays wherever text of unknown length is built. Allocation
 * failure aborts: a tool that cannot allocate a few KiB has nothing better
 * to do, and it keeps every caller free of error paths that cannot be tested. */
#ifndef VN_BUF_H
#define VN_BUF_H

#include <stddef.h>

typedef struct vn_buf {
    char *data; /* never NULL after any append; "" when empty */
    size_t len;
    size_t cap;
} vn_buf;

#define VN_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void vn_buf_grow(vn_buf *b, size_t extra);
void vn_buf_add(vn_buf *b, const void *data, size_t len);
void vn_buf_adds(vn_buf *b, const char *s);
void vn_buf_addc(vn_buf *b, char c);
void vn_buf_addf(vn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vn_buf_reset(vn_buf *b);
void vn_buf_free(vn_buf *b);
/* Hands the storage to the caller (who frees it) and empties the buffer. */
char *vn_buf_detach(vn_buf *b, size_t *len);

/* Allocation helpers that abort on failure, for the same reason as above. */
void *vn_xmalloc(size_t n);
void *vn_xcalloc(size_t n, size_t size);
void *vn_xrealloc(void *p, size_t n);
char *vn_xstrdup(const char *s);
char *vn_xstrndup(const char *s, size_t n);

/* The value of a hexadecimal digit (either case), or -1. */
int vn_hexval(int c);

#endif
