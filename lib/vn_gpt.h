/* vn_gpt: the partition table of a disk image, read and edited through a
 * vn_blk. GPT (UEFI 2.x, chapter 5) with both headers and entry arrays, the
 * protective MBR, and a legacy MBR-only disk (reported, never edited).
 *
 * Reading never fails on a damaged-but-usable table: every inconsistency is
 * a named problem (vn_gpt_problem), so `disk inspect` can show them all and
 * `disk seal` can refuse to build on them. It fails with VN_EINPUT only when
 * there is nothing to read (too small, no MBR signature, no valid GPT header
 * behind a protective MBR). */
#ifndef VN_GPT_H
#define VN_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "vn_blk.h"
#include "vn_error.h"

/* Type GUIDs used by ESXi (formats.md 2.1), in the usual text form. */
#define VN_GPT_TYPE_ESP        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define VN_GPT_TYPE_BASIC_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
#define VN_GPT_TYPE_VMKDIAG    "9D275380-40AD-11DB-BF97-000C2911D1B8"
#define VN_GPT_TYPE_VMFS       "AA31E02A-400F-11DB-9590-000C2911D1B8"
#define VN_GPT_TYPE_VMFSL      "4EB2EA39-7855-4790-A79E-FAE495E21F8D"

enum vn_gpt_kind {
    VN_PT_GPT = 1, /* GUID partition table (protective MBR in LBA 0) */
    VN_PT_MBR = 2, /* legacy MBR only: partitions listed, not editable */
};

typedef struct vn_gpt_part {
    unsigned number;       /* 1-based index in the entry array (MBR: slot 1-4) */
    uint8_t type[16];      /* on-disk byte order */
    uint8_t guid[16];      /* unique partition GUID (zero for MBR) */
    char type_str[37];     /* "C12A7328-..." (MBR: "0x0C") */
    const char *type_name; /* "EFI system", "basic data", "vmkDiagnostic", "VMFS",
                              "VMFS-L", or NULL when unknown */
    uint64_t first_lba, last_lba;
    uint64_t attrs;
    char name[112]; /* UTF-8 of the UTF-16LE GPT name */
} vn_gpt_part;

typedef struct vn_gpt vn_gpt;

/* Reads the table of `b`. *out is freed with vn_gpt_free. */
int vn_gpt_read(vn_blk *b, vn_gpt **out, vn_error *err);
void vn_gpt_free(vn_gpt *g);

int vn_gpt_kind(const vn_gpt *g);
uint32_t vn_gpt_sector_size(const vn_gpt *g);
uint64_t vn_gpt_first_usable(const vn_gpt *g);
uint64_t vn_gpt_last_usable(const vn_gpt *g);
void vn_gpt_disk_guid(const vn_gpt *g, char out[37]);

/* Used partitions in entry order (empty entries are skipped). */
size_t vn_gpt_count(const vn_gpt *g);
const vn_gpt_part *vn_gpt_part_at(const vn_gpt *g, size_t i);
const vn_gpt_part *vn_gpt_find(const vn_gpt *g, unsigned number);

/* Problems found while reading, one sentence each ("primary header: CRC
 * mismatch (stored 0x..., computed 0x...)"). None for a healthy table. */
size_t vn_gpt_problem_count(const vn_gpt *g);
const char *vn_gpt_problem(const vn_gpt *g, size_t i);

/* Replaces entry `number` with `p` (type, guid, first/last LBA, attrs, name
 * are used), or zeroes it when p is NULL (deletes the partition), then
 * rewrites both entry arrays and both headers with fresh CRCs, backup first
 * so that a crash in between leaves one consistent copy. Refused
 * (VN_EINPUT) on an MBR disk, on a table with problems, and when the new
 * entry overlaps another or leaves the usable LBAs. */
int vn_gpt_set_entry(vn_gpt *g, vn_blk *b, unsigned number, const vn_gpt_part *p, vn_error *err);

/* GUID text <-> on-disk bytes (first three fields little-endian).
 * vn_gpt_guid_parse returns 0, or -1 when `s` is not a GUID. */
void vn_gpt_guid_str(const uint8_t g[16], char out[37]);
int vn_gpt_guid_parse(const char *s, uint8_t g[16]);

/* "basic data" etc. for a known ESXi type GUID text, NULL otherwise. */
const char *vn_gpt_type_name(const char *type_str);

#endif
