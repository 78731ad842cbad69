#include "vn_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vn_error_clear(vn_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

static void vn_error_vset(vn_error *err, int code, const char *fmt, va_list ap)
{
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int vn_fail(vn_error *err, int code, const char *where, const char *fmt, ...)
{
    if (!err)
        return code;
    snprintf(err->where, sizeof(err->where), "%s", where ? where : "");
    va_list ap;
    va_start(ap, fmt);
    vn_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int vn_fail_at(vn_error *err, int code, const char *file, int line, const char *fmt, ...)
{
    if (!err)
        return code;
    snprintf(err->where, sizeof(err->where), "%s:%d", file ? file : "", line);
    va_list ap;
    va_start(ap, fmt);
    vn_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}
