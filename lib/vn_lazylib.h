/* vn_lazylib: shared libraries loaded on first use instead of at start-up.
 *
 * libisoburn (with libisofs and libburn) and libarchive serve two commands
 * each (ISO remastering, state.tgz editing), yet with their dependencies
 * (readline, acl, nettle, lz4, zstd, bz2, ...) they were 40 % of every
 * vnest start: the dynamic loader relocates all of them before main()
 * (BENCHMARKS.md, issue 3). So vnest is not linked with them; the modules
 * that use them include an API header (vn_isoapi.h, vn_archiveapi.h)
 * whose macros turn each call into a call through a table filled here with
 * dlopen()/dlsym() on first use. The calls in the module's code read as
 * plain library calls; a function missing from the table is a compile-time
 * error in the module ("undeclared" through the macro) or a link error.
 *
 * A module calls vn_lazylib_load() at each entry point, which reports a
 * missing library as one line naming the Debian package to install; the
 * table's accessor aborts if a call comes before a successful load (a
 * programming error, never an input error). */
#ifndef VN_LAZYLIB_H
#define VN_LAZYLIB_H

#include <pthread.h>
#include <stddef.h>

#include "vn_error.h"

typedef struct vn_lazylib {
    const char *const *sonames; /* NULL-terminated, loaded in order */
    const char *package;        /* Debian package, for the error message */
    const char *const *names;   /* the functions, in table order */
    void *table;                /* as many function pointers as names */
    /* Set by vn_lazylib_load. */
    pthread_once_t once;
    int loaded;
    char error[300];
} vn_lazylib;

/* Loads the libraries and fills the table once (thread-safe). VN_OK, or
 * VN_ERUNTIME with the library's name, dlerror() and the package. */
int vn_lazylib_load(vn_lazylib *lib, vn_error *err);

/* For the API headers' accessors: the table when loaded, else aborts. */
void *vn_lazylib_table(vn_lazylib *lib);

#endif
