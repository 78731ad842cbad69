/* vn_size: sizes as people type them: "8G", "8GiB", "8192M", "40GB".
 * Units are binary (K = 1024) as in VMware's and govc's sizing; a bare
 * number takes the caller's default unit. */
#ifndef VN_SIZE_H
#define VN_SIZE_H

#include <stdint.h>

#include "vn_error.h"

#define VN_KIB 1024ull
#define VN_MIB (1024ull * 1024)
#define VN_GIB (1024ull * 1024 * 1024)
#define VN_TIB (1024ull * 1024 * 1024 * 1024)

/* Parses `text` into bytes; `where` names the flag for the error. Zero and
 * sizes above 62 TiB (VMDK's limit) are errors. */
int vn_size_parse(const char *text, uint64_t bare_unit, const char *where, uint64_t *bytes,
                  vn_error *err);

/* "8 GiB", "512 MiB": the largest unit that divides exactly. */
void vn_size_format(uint64_t bytes, char *out, int outlen);

#endif
