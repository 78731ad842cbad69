/* vn_error: how the library reports failure without printing or exiting.
 *
 * Every fallible library call takes a `vn_error *` and fills it in on failure.
 * The CLI turns it into the one-line message `vnest: WHERE: what (expected)`
 * and an exit code, so the code carried here is the exit code the user sees. */
#ifndef VN_ERROR_H
#define VN_ERROR_H

#include <stddef.h>

enum vn_status {
    VN_OK = 0,
    VN_FINDINGS = 1, /* a check found problems (not an error of the tool) */
    VN_EINPUT = 2,   /* usage or bad input: file content, flag value, unknown name */
    VN_ERUNTIME = 3, /* I/O, network, server fault, refused because the VM is running */
};

typedef struct vn_error {
    int code;        /* one of enum vn_status; VN_OK when no error */
    char where[512]; /* "FILE:LINE", "FILE", "--flag" or "" */
    char msg[768];   /* "what is wrong (what was expected)" */
} vn_error;

void vn_error_clear(vn_error *err);

/* Records an error and returns `code`, so callers can `return vn_fail(...)`.
 * `where` may be NULL. A NULL `err` is allowed and ignored. */
int vn_fail(vn_error *err, int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Same with a line number: where becomes "FILE:LINE". */
int vn_fail_at(vn_error *err, int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
