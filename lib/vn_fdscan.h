/* vn_fdscan: is a file open for writing in another process? A VM or a tool
 * (qemu, a second vnest, dd) writing to a disk image while vnest edits it
 * corrupts both edits, and VMware's .lck folders do not tell about Linux
 * processes. Linux only: /proc/PID/fd/N links to the open file, and
 * /proc/PID/fdinfo/N holds its open flags (octal), whose access mode says
 * read-only or not. Processes of other users cannot be inspected without
 * privileges; those are skipped (nothing is known about them). */
#ifndef VN_FDSCAN_H
#define VN_FDSCAN_H

#include <stddef.h>

/* Returns 1 and a description ("pid 1234 (qemu-system-x86)") in `who`
 * when a process other than this one has one of `paths` (npaths files, by
 * device and inode) open for writing; 0 otherwise. */
int vn_fd_writer(const char *const *paths, size_t npaths, char *who, size_t wholen);

#endif
