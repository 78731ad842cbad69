/* vn_archiveapi: the table behind vn_archiveapi.h. */
#include "vn_archiveapi.h"

static const char *const sonames[] = {"libarchive.so.13", NULL};

#define VN_ARCHIVEAPI_NAME(fn) #fn,
static const char *const names[] = {VN_ARCHIVEAPI_FUNCS(VN_ARCHIVEAPI_NAME) NULL};
#undef VN_ARCHIVEAPI_NAME

static vn_archiveapi table;

vn_lazylib vn_archiveapi_lib = {sonames, "libarchive13", names, &table, PTHREAD_ONCE_INIT, 0, ""};

int vn_archiveapi_load(vn_error *err)
{
    return vn_lazylib_load(&vn_archiveapi_lib, err);
}
