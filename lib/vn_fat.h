/* vn_fat: FAT12/FAT16 read and in-place edit over a vn_blk (a partition
 * window), enough for ESXi bootbanks: list directories (8.3 and VFAT long
 * names), read a file, replace a file's contents, create a file.
 *
 * Writes keep every FAT copy identical and touch only the sectors that
 * change; crash safety is the caller's journaled vn_blk. Names are matched
 * case-insensitively for ASCII (FAT's upper-casing of other characters
 * depends on a code page, which ESXi files never need). FAT32 is refused. */
#ifndef VN_FAT_H
#define VN_FAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vn_blk.h"
#include "vn_buf.h"
#include "vn_error.h"

typedef struct vn_fat vn_fat;

typedef struct vn_fat_info {
    int bits; /* 12 or 16 */
    uint32_t sector_size, cluster_size, clusters, free_clusters;
    char label[12]; /* from the boot sector, trailing spaces removed */
    uint32_t serial;
    int vmware;        /* "VMWARE FAT16    " magic present (formats.md 2.4) */
    uint8_t uuid[16];  /* the VMware volume UUID that follows it */
    char uuid_str[36]; /* ESXi's form XXXXXXXX-XXXXXXXX-XXXX-XXXXXXXXXXXX */
} vn_fat_info;

typedef struct vn_fat_dirent {
    char name[768];      /* long name (UTF-8) if any, else the 8.3 name */
    char short_name[13]; /* "BOOT.CFG" */
    uint8_t attr;        /* 0x10 = directory */
    uint32_t size;
    uint32_t cluster;
    uint16_t mdate, mtime; /* FAT-encoded modification date and time */
} vn_fat_dirent;

#define VN_FAT_ATTR_DIR 0x10

/* Parses the boot sector; the FAT itself is read into memory (at most
 * 128 KiB). `dev` must outlive the handle. */
int vn_fat_open(vn_blk *dev, vn_fat **out, vn_error *err);
void vn_fat_close(vn_fat *fs);
void vn_fat_info_get(const vn_fat *fs, vn_fat_info *out);

/* Entries of directory `path` ("/" or "" = root), without "." and "..". */
int vn_fat_list(vn_fat *fs, const char *path, vn_fat_dirent **out, size_t *count, vn_error *err);
/* VN_EINPUT "not found" when absent. */
int vn_fat_stat(vn_fat *fs, const char *path, vn_fat_dirent *out, vn_error *err);
int vn_fat_read(vn_fat *fs, const char *path, vn_buf *out, vn_error *err);

/* Replaces the contents of an existing file; `when` becomes its
 * modification time (local time, as FAT keeps it). Not enough free
 * clusters: VN_ERUNTIME "no space", nothing written. */
int vn_fat_replace(vn_fat *fs, const char *path, const void *data, size_t len, time_t when,
                   vn_error *err);
/* Creates a file in an existing directory; a long-name entry is added when
 * the name is not a plain upper-case 8.3 name. */
int vn_fat_create(vn_fat *fs, const char *path, const void *data, size_t len, time_t when,
                  vn_error *err);

#endif
