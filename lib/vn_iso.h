/* vn_iso: ESXi installer ISO images (shared/research/formats.md 5.4, 8.4),
 * read with libisofs and remastered with libisoburn.
 *
 * The installer boots two ways and each reads its own boot.cfg: BIOS through
 * El Torito entry 1 (ISOLINUX.BIN, no emulation, boot info table) and
 * /BOOT.CFG; UEFI through entry 2 (EFIBOOT.IMG, platform 0xEF) and
 * /EFI/BOOT/BOOT.CFG. A kickstart remaster adds /KS.CFG, points kernelopt=
 * of both files at it (ks=cdrom:/KS.CFG in place of cdromBoot) and must keep
 * both boot entries as they were.
 *
 * How vn_iso_build writes: the input is copied to a temporary file beside
 * the output (copy_file_range: in-kernel, a reflink where the filesystem
 * can), and libisoburn then grows that copy by one session holding only the
 * new directory tree, the new files and a new boot catalog, and rewrites the
 * volume descriptors at sector 16 to point at it (the multi-session
 * emulation libisoburn does for random-access files). Every unchanged file,
 * the boot images included, keeps its bytes and its block address, so the
 * boot catalog comes out identical to the input's and no boot info table
 * needs patching. The result is one standalone ISO 9660 image (readers
 * follow sector 16; the old tree stays behind as unreferenced blocks, a few
 * KiB). Making a new image instead (what `xorriso -outdev` does) pushes every
 * data block through libisofs and libburn. The copy is flushed as it goes
 * and synced before the temporary file is checked and renamed over the
 * output, so the output path only ever holds a complete image. A system area
 * (the MBR or GPT of a hybrid image; VMware's installers have none) is kept
 * byte for byte: its partitions then end where the input ended, before the
 * appended session, which holds nothing a firmware boots from. */
#ifndef VN_ISO_H
#define VN_ISO_H

#include <stddef.h>
#include <stdint.h>

#include "vn_bootcfg.h"
#include "vn_error.h"

#define VN_ISO_MAX_BOOT 8

/* One El Torito boot entry, as recorded in the boot catalog. */
typedef struct vn_iso_boot {
    int platform;        /* 0 x86 BIOS, 0xEF UEFI, 1 PowerPC, 2 Mac */
    int media;           /* 0 no emulation, 1-3 floppy, 4 hard disk */
    int bootable;        /* boot indicator 0x88 */
    unsigned load_seg;   /* load segment (0 = default 0x7C0) */
    unsigned load_size;  /* sectors of 512 bytes loaded by the firmware */
    uint32_t lba;        /* block of the image */
    int boot_info_table; /* the image carries a boot info table */
    char path[512];      /* the image's file in the tree, "" when none */
} vn_iso_boot;

/* One of the two boot.cfg files. */
typedef struct vn_iso_cfg {
    int present;
    char path[64]; /* as named in the image: "/BOOT.CFG" */
    char *text;    /* the file's bytes (NUL-terminated) */
    size_t len;
    vn_bootcfg *doc; /* parsed text */
} vn_iso_cfg;

typedef struct vn_iso_info {
    uint64_t size; /* bytes */
    char volume_id[64];
    int rock_ridge, joliet;
    int nboot; /* 0: no boot catalog */
    vn_iso_boot boot[VN_ISO_MAX_BOOT];
    uint32_t catalog_lba;
    char catalog_path[512]; /* "" when the catalog is hidden */
    unsigned char *catalog; /* the catalog's bytes */
    size_t catalog_len;
    vn_iso_cfg bios, efi; /* /BOOT.CFG and /EFI/BOOT/BOOT.CFG */
    /* From bios (else efi) boot.cfg: build= "8.0.2-0.0.22380479" splits into
     * version "8.0.2", release "8.0 U2" and build number "22380479". */
    char build[64], version[32], release[32], build_number[32], title[128];
    /* The kickstart: ks= of the boot.cfg files and the file it names. */
    char ks_url[256];  /* ks= of /BOOT.CFG (else of the EFI one), "" when none */
    char ks_path[256]; /* for ks=cdrom:PATH, PATH as named in the image when present */
    int ks_present;    /* that file exists */
    uint64_t ks_size;
    char *ks_text; /* its bytes (NUL-terminated) when present, up to 4 MiB */
    int ks_wired;  /* every boot.cfg has the same ks=cdrom:PATH and PATH exists */
} vn_iso_info;

/* Reads an ISO. VN_EINPUT when it cannot be read or is no ISO 9660 image;
 * a missing boot catalog or boot.cfg is reported in `info`, not an error. */
int vn_iso_inspect(const char *path, vn_iso_info *info, vn_error *err);
void vn_iso_info_free(vn_iso_info *info);

/* VN_OK when `info` is an ESXi installer (a boot catalog and /BOOT.CFG with
 * kernel=), else VN_EINPUT naming `path` and what is missing. */
int vn_iso_check_installer(const vn_iso_info *info, const char *path, vn_error *err);

/* Problems a remaster is known for, one line each appended to `out`
 * (separated by '\n'); returns how many: a missing BIOS or UEFI boot entry,
 * a missing /EFI/BOOT/BOOT.CFG, kernelopt= differing between the two files,
 * ks=cdrom: naming a file that is not there. */
int vn_iso_problems(const vn_iso_info *info, vn_buf *out);

typedef void (*vn_iso_progress_fn)(void *arg, const char *phase, uint64_t done, uint64_t total);

typedef struct vn_iso_build_req {
    const char *from;            /* installer ISO */
    const char *ks_path;         /* kickstart file */
    const char *out;             /* output ISO (replaced at the end if it exists) */
    int legacy_cpu;              /* also allowLegacyCPU=true (S5) */
    vn_iso_progress_fn progress; /* may be NULL */
    void *progress_arg;
} vn_iso_build_req;

typedef struct vn_iso_build_res {
    vn_iso_info in;  /* the input */
    vn_iso_info out; /* the output as read back and checked */
    uint64_t ks_len;
} vn_iso_build_res;

/* Builds the kickstart ISO. The input is never written to; the output is
 * complete or untouched. VN_EINPUT for bad input (not an installer, an
 * unreadable kickstart, the output naming the input), VN_ERUNTIME for I/O
 * and library failures. Free `res` with vn_iso_build_res_free() either way. */
int vn_iso_build(const vn_iso_build_req *req, vn_iso_build_res *res, vn_error *err);
void vn_iso_build_res_free(vn_iso_build_res *res);

/* "BIOS", "UEFI", "PowerPC", "Mac" or "0xNN" (static or in `buf`). */
const char *vn_iso_platform_name(int platform, char buf[8]);
/* "no emulation", "1.2M floppy", ..., "hard disk". */
const char *vn_iso_media_name(int media);

#endif
