/* vn_vmlock: is a VM running? VMware hosted products hold a `NAME.vmx.lck`
 * (and `DISK.vmdk.lck`) folder beside a powered-on VM; ESXi on NFS leaves
 * `.lck-XXXXXXXX` files. Editing a running VM's files loses the edit when
 * the VM writes its own config back, or corrupts a disk, so every writer asks
 * here first. */
#ifndef VN_VMLOCK_H
#define VN_VMLOCK_H

#include <stddef.h>

/* Returns 1 and the lock's name in `lock` when an entry ending in ".lck" or
 * starting with ".lck-" sits in the folder of `path`; 0 otherwise. */
int vn_vm_in_use(const char *path, char *lock, size_t locklen);

#endif
