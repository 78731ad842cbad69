#include "vn_fdscan.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fid {
    dev_t dev;
    ino_t ino;
} fid;

/* The access mode in /proc/PID/fdinfo/FD: 1 when it allows writing. */
static int fd_writes(const char *pid, const char *fd)
{
    char path[600], line[256];
    snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int writes = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "flags:", 6) == 0) {
            unsigned long flags = strtoul(line + 6, NULL, 8);
            writes = (flags & O_ACCMODE) == O_WRONLY || (flags & O_ACCMODE) == O_RDWR;
            break;
        }
    }
    fclose(f);
    return writes;
}

static void describe(const char *pid, char *who, size_t wholen)
{
    char path[600], comm[64] = "";
    snprintf(path, sizeof(path), "/proc/%s/comm", pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(comm, sizeof(comm), f))
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
    }
    snprintf(who, wholen, "pid %s (%s)", pid, comm[0] ? comm : "?");
}

static int scan_pid(const char *pid, const fid *ids, size_t n)
{
    char path[600];
    snprintf(path, sizeof(path), "/proc/%s/fd", pid);
    DIR *d = opendir(path);
    if (!d)
        return 0; /* gone, or another user's process */
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char link[900];
        struct stat st;
        snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
        if (stat(link, &st) != 0)
            continue;
        for (size_t i = 0; i < n && !found; i++)
            if (st.st_dev == ids[i].dev && st.st_ino == ids[i].ino && fd_writes(pid, e->d_name))
                found = 1;
    }
    closedir(d);
    return found;
}

int vn_fd_writer(const char *const *paths, size_t npaths, char *who, size_t wholen)
{
    fid *ids = calloc(npaths ? npaths : 1, sizeof(*ids));
    size_t n = 0;
    for (size_t i = 0; ids && i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0)
            ids[n++] = (fid){st.st_dev, st.st_ino};
    }
    DIR *proc = n ? opendir("/proc") : NULL;
    int found = 0;
    if (proc) {
        char self[32];
        snprintf(self, sizeof(self), "%ld", (long)getpid());
        struct dirent *e;
        while (!found && (e = readdir(proc)) != NULL) {
            if (!isdigit((unsigned char)e->d_name[0]) || strcmp(e->d_name, self) == 0)
                continue;
            if (scan_pid(e->d_name, ids, n)) {
                describe(e->d_name, who, wholen);
                found = 1;
            }
        }
        closedir(proc);
    }
    free(ids);
    return found;
}
