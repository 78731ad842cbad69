#include "vn_vmlock.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"

static int is_lock_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".lck") == 0) || strncmp(name, ".lck-", 5) == 0;
}

int vn_vm_in_use(const char *path, char *lock, size_t locklen)
{
    char *copy = vn_xstrdup(path);
    DIR *dir = opendir(dirname(copy));
    int found = 0;
    if (dir) {
        struct dirent *e;
        while (!found && (e = readdir(dir)) != NULL) {
            if (is_lock_name(e->d_name)) {
                snprintf(lock, locklen, "%s", e->d_name);
                found = 1;
            }
        }
        closedir(dir);
    }
    free(copy);
    return found;
}
