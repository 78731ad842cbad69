/* vn_isoapi: the table behind vn_isoapi.h. */
#include "vn_isoapi.h"

static const char *const sonames[] = {"libburn.so.4", "libisofs.so.6", "libisoburn.so.1", NULL};

#define VN_ISOAPI_NAME(fn) #fn,
static const char *const names[] = {VN_ISOAPI_FUNCS(VN_ISOAPI_NAME) NULL};
#undef VN_ISOAPI_NAME

static vn_isoapi table;

vn_lazylib vn_isoapi_lib = {sonames, "libisoburn1", names, &table, PTHREAD_ONCE_INIT, 0, ""};

int vn_isoapi_load(vn_error *err)
{
    return vn_lazylib_load(&vn_isoapi_lib, err);
}
