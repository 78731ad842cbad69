/* vn_bootcfg: a lossless reader and editor for ESXi boot.cfg files (the
 * mboot/safeboot configuration of installer media and of the bootbanks; see
 * shared/research/formats.md section 2.6).
 *
 * The grammar is esx-boot's (bootlib/parse.c): lines split on LF; every run
 * of white space (TAB and CR included) counts as one space and leading or
 * trailing space is ignored; empty lines and lines starting with '#' are
 * ignored; otherwise the text before the first '=' is the key (compared
 * case-insensitively) and the rest is the value; a key given twice takes its
 * last value; lines without '=' are ignored. mboot and safeboot refuse the
 * whole file when an integer option is not a decimal number, and so does
 * vn_bootcfg_parse.
 *
 * The document is kept as its list of lines. Untouched lines are written back
 * byte for byte (line endings, comments, a missing final newline), so parsing
 * and writing an unchanged file gives the identical file. An edit replaces
 * only the value of the effective line of its key, keeping the key's
 * spelling, the spacing around '=', trailing white space and the line ending.
 *
 * kernelopt= holds the kernel command line: white-space separated tokens
 * `name` or `name=value`. The vn_bootcfg_kopt_* calls edit it token by token
 * (names compared case-insensitively) and leave the line alone when the
 * result would be the same. */
#ifndef VN_BOOTCFG_H
#define VN_BOOTCFG_H

#include <stddef.h>

#include "vn_buf.h"
#include "vn_error.h"

typedef struct vn_bootcfg vn_bootcfg;

/* Parses `len` bytes; `name` is used in error messages only. A NUL byte or a
 * non-decimal value of an integer option (timeout, bootstate, updated, ...)
 * is VN_EINPUT naming "name:LINE". On failure *out is NULL. */
int vn_bootcfg_parse(const char *data, size_t len, const char *name, vn_bootcfg **out,
                     vn_error *err);

void vn_bootcfg_free(vn_bootcfg *cfg);

/* Appends the document's bytes to `out`. */
void vn_bootcfg_write(const vn_bootcfg *cfg, vn_buf *out);

/* The effective (last) value of `key` with white space normalised as the
 * boot loader sees it, or NULL when the key is absent. Valid until the next
 * edit or vn_bootcfg_free(). */
const char *vn_bootcfg_get(const vn_bootcfg *cfg, const char *key);

/* 1-based line number of the effective `key` line, 0 when absent. */
int vn_bootcfg_line(const vn_bootcfg *cfg, const char *key);

/* Number of lines (a final line without newline counts; an empty file has 0). */
int vn_bootcfg_lines(const vn_bootcfg *cfg);

/* Sets `key` to `value`: the effective line's value is replaced in place, or
 * a line `key=value` is added (kernelopt= right after the kernel= line, any
 * other key at the end) with the file's line ending. Returns 1 if the
 * document changed, 0 if the value was already that, -1 (nothing changed)
 * for a key or value that cannot be written (CR, LF, NUL, '=' or '#' in the
 * key, an empty key). */
int vn_bootcfg_set(vn_bootcfg *cfg, const char *key, const char *value);

/* The value of kernel option `name` in kernelopt=: the text after '=' of the
 * first `name=...` token, "" for a bare `name` token, NULL when absent.
 * Valid until the next edit. */
const char *vn_bootcfg_kopt_get(const vn_bootcfg *cfg, const char *name);

/* Makes `token` (`name` or `name=value`) the one kernel option of its name:
 * if a token named `instead_of` (may be NULL) exists, the first of them is
 * replaced by `token` and every other `instead_of` and `name` token goes;
 * else the first `name` token is replaced and later ones removed; else
 * `token` is appended. Returns 1 if the document changed, 0 if not, -1 for a
 * token that is empty or holds white space. */
int vn_bootcfg_kopt_set(vn_bootcfg *cfg, const char *token, const char *instead_of);

/* Removes every kernel option named `name`. Returns 1 if one was removed. */
int vn_bootcfg_kopt_remove(vn_bootcfg *cfg, const char *name);

/* The installer-ISO edit: `ks=URL` replaces cdromBoot (and any other ks=).
 * Returns 1 if changed, 0 if it already read so, -1 for a bad URL. */
int vn_bootcfg_wire_ks(vn_bootcfg *cfg, const char *url);

/* allowLegacyCPU=true exactly once (S5). Returns 1 if changed, 0 if not. */
int vn_bootcfg_allow_legacy_cpu(vn_bootcfg *cfg);

#endif
