/* vn_lazylib: see vn_lazylib.h. */
#include "vn_lazylib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pthread_once takes no argument: the library being loaded is handed over
 * through this thread-local slot. */
static _Thread_local vn_lazylib *t_loading;

static void load_once(void)
{
    vn_lazylib *lib = t_loading;
    void *handle = NULL;
    for (const char *const *so = lib->sonames; *so; so++) {
        /* RTLD_GLOBAL: libisoburn resolves libisofs' and libburn's symbols
         * through the global scope, as it would when linked. */
        handle = dlopen(*so, RTLD_NOW | RTLD_GLOBAL);
        if (!handle) {
            const char *why = dlerror();
            snprintf(lib->error, sizeof(lib->error),
                     "cannot load %s (%s): install the Debian package %s", *so,
                     why ? why : "unknown reason", lib->package);
            return;
        }
    }
    char *slots = lib->table;
    for (size_t i = 0; lib->names[i]; i++) {
        void *sym = NULL;
        for (const char *const *so = lib->sonames; *so && !sym; so++) {
            void *h = dlopen(*so, RTLD_NOW | RTLD_NOLOAD);
            if (h) {
                sym = dlsym(h, lib->names[i]);
                dlclose(h); /* drops only the reference RTLD_NOLOAD added */
            }
        }
        if (!sym) {
            snprintf(lib->error, sizeof(lib->error), "%s has no function %s: install a current %s",
                     lib->sonames[0], lib->names[i], lib->package);
            return;
        }
        /* Object pointer to function pointer, the way POSIX allows; the
         * table is a struct of function pointers, all of one size. */
        void (*fn)(void);
        memcpy(&fn, &sym, sizeof(fn));
        memcpy(slots + i * sizeof(fn), &fn, sizeof(fn));
    }
    lib->loaded = 1;
}

int vn_lazylib_load(vn_lazylib *lib, vn_error *err)
{
    t_loading = lib;
    pthread_once(&lib->once, load_once);
    t_loading = NULL;
    if (lib->loaded)
        return VN_OK;
    return vn_fail(err, VN_ERUNTIME, NULL, "%s", lib->error);
}

void *vn_lazylib_table(vn_lazylib *lib)
{
    if (!lib->loaded) {
        fprintf(stderr, "vnest: internal error: %s used before it was loaded\n", lib->sonames[0]);
        abort();
    }
    return lib->table;
}
