/* vn_archiveapi: libarchive (state.tgz and local.tgz), loaded on first use
 * (see vn_lazylib.h). vn_statetgz.c includes this instead of the library's
 * headers and calls vn_archiveapi_load() at each entry point before the first
 * library call. The list is every library function vnest calls: a new
 * call needs its line here. Generated once from the calls; edit by hand. */
#ifndef VN_ARCHIVEAPI_H
#define VN_ARCHIVEAPI_H

#include <archive.h>
#include <archive_entry.h>

#include "vn_error.h"
#include "vn_lazylib.h"

#define VN_ARCHIVEAPI_FUNCS(X)                                                                     \
    X(archive_entry_clone)                                                                         \
    X(archive_entry_filetype)                                                                      \
    X(archive_entry_free)                                                                          \
    X(archive_entry_hardlink)                                                                      \
    X(archive_entry_pathname)                                                                      \
    X(archive_entry_set_size)                                                                      \
    X(archive_error_string)                                                                        \
    X(archive_format)                                                                              \
    X(archive_read_data)                                                                           \
    X(archive_read_free)                                                                           \
    X(archive_read_new)                                                                            \
    X(archive_read_next_header)                                                                    \
    X(archive_read_open_memory)                                                                    \
    X(archive_read_support_filter_gzip)                                                            \
    X(archive_read_support_format_tar)                                                             \
    X(archive_write_add_filter_gzip)                                                               \
    X(archive_write_close)                                                                         \
    X(archive_write_data)                                                                          \
    X(archive_write_free)                                                                          \
    X(archive_write_header)                                                                        \
    X(archive_write_new)                                                                           \
    X(archive_write_open2)                                                                         \
    X(archive_write_set_filter_option)                                                             \
    X(archive_write_set_format)

typedef struct vn_archiveapi {
#define VN_ARCHIVEAPI_SLOT(fn) __typeof__(fn) *fn;
    VN_ARCHIVEAPI_FUNCS(VN_ARCHIVEAPI_SLOT)
#undef VN_ARCHIVEAPI_SLOT
} vn_archiveapi;

extern vn_lazylib vn_archiveapi_lib;

/* Loads the libraries (once); VN_ERUNTIME naming the package if missing. */
int vn_archiveapi_load(vn_error *err);

static inline const vn_archiveapi *vn_archiveapi_get(void)
{
    return vn_lazylib_table(&vn_archiveapi_lib);
}

/* Every call below goes through the table. */
#define archive_entry_clone              (vn_archiveapi_get()->archive_entry_clone)
#define archive_entry_filetype           (vn_archiveapi_get()->archive_entry_filetype)
#define archive_entry_free               (vn_archiveapi_get()->archive_entry_free)
#define archive_entry_hardlink           (vn_archiveapi_get()->archive_entry_hardlink)
#define archive_entry_pathname           (vn_archiveapi_get()->archive_entry_pathname)
#define archive_entry_set_size           (vn_archiveapi_get()->archive_entry_set_size)
#define archive_error_string             (vn_archiveapi_get()->archive_error_string)
#define archive_format                   (vn_archiveapi_get()->archive_format)
#define archive_read_data                (vn_archiveapi_get()->archive_read_data)
#define archive_read_free                (vn_archiveapi_get()->archive_read_free)
#define archive_read_new                 (vn_archiveapi_get()->archive_read_new)
#define archive_read_next_header         (vn_archiveapi_get()->archive_read_next_header)
#define archive_read_open_memory         (vn_archiveapi_get()->archive_read_open_memory)
#define archive_read_support_filter_gzip (vn_archiveapi_get()->archive_read_support_filter_gzip)
#define archive_read_support_format_tar  (vn_archiveapi_get()->archive_read_support_format_tar)
#define archive_write_add_filter_gzip    (vn_archiveapi_get()->archive_write_add_filter_gzip)
#define archive_write_close              (vn_archiveapi_get()->archive_write_close)
#define archive_write_data               (vn_archiveapi_get()->archive_write_data)
#define archive_write_free               (vn_archiveapi_get()->archive_write_free)
#define archive_write_header             (vn_archiveapi_get()->archive_write_header)
#define archive_write_new                (vn_archiveapi_get()->archive_write_new)
#define archive_write_open2              (vn_archiveapi_get()->archive_write_open2)
#define archive_write_set_filter_option  (vn_archiveapi_get()->archive_write_set_filter_option)
#define archive_write_set_format         (vn_archiveapi_get()->archive_write_set_format)

#endif
