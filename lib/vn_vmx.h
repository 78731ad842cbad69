/* vn_vmx: a lossless codec for VMware "dictionary" files (.vmx, .vmsd,
 * /etc/vmware/config), after open-vm-tools' dictll (see
 * shared/research/formats.md section 1).
 *
 * The document is kept as its list of lines. Unchanged lines are written
 * back byte for byte, including their line endings, comments, BOM and a
 * missing final newline, so reading and writing a file without changes gives
 * the identical file. A changed entry is re-emitted in VMware's own form,
 * `key = "escaped value"`, keeping the key's original spelling and the line's
 * original ending; new entries are appended at the end in the order they are
 * set.
 *
 * Keys are compared case-insensitively (as VMware does). Values returned and
 * accepted by the API are unescaped bytes; the codec applies |XX escaping. */
#ifndef VN_VMX_H
#define VN_VMX_H

#include <stddef.h>

#include "vn_buf.h"
#include "vn_error.h"

typedef struct vn_vmx vn_vmx;

/* Parses `len` bytes. `name` (the file name) is used in error messages only.
 * Strict: a malformed line, or a key that appears twice (compared
 * case-insensitively), is an error VN_EINPUT naming "name:LINE" and what was
 * expected. On failure *out is NULL. */
int vn_vmx_parse(const char *data, size_t len, const char *name, vn_vmx **out, vn_error *err);

/* Reads and parses a file. A missing or unreadable file is VN_EINPUT with
 * the OS reason. */
int vn_vmx_load(const char *path, vn_vmx **out, vn_error *err);

/* An empty document (for creating new files). */
vn_vmx *vn_vmx_new(void);

void vn_vmx_free(vn_vmx *vmx);

/* Unescaped value of `key`, or NULL when absent. Valid until the entry is
 * changed or the document freed. */
const char *vn_vmx_get(const vn_vmx *vmx, const char *key);

/* 1-based line number of `key` in the parsed input, 0 when absent or new. */
int vn_vmx_line(const vn_vmx *vmx, const char *key);

/* Sets `key` to `value` (unescaped bytes, NUL-terminated). Replaces the
 * existing entry in place (keeping the key's spelling) or appends a new line.
 * Returns 1 if the document changed, 0 if the value was already identical.
 * A key that vn_vmx_key_valid() rejects (or a NULL value) is a programming
 * error: nothing changes and the result is -1. */
int vn_vmx_set(vn_vmx *vmx, const char *key, const char *value);

/* 1 if `key` can be written as a NAME: non-empty, without space, TAB, '#',
 * '=', CR or LF, and not starting with the UTF-8 BOM bytes (which parse also
 * rejects: such a line moved to the top would read back as a BOM). */
int vn_vmx_key_valid(const char *key);

/* Removes the entry. Returns 1 if it existed, 0 otherwise. */
int vn_vmx_unset(vn_vmx *vmx, const char *key);

/* Entries in document order (comments and blank lines are not entries). */
size_t vn_vmx_count(const vn_vmx *vmx);
const char *vn_vmx_key_at(const vn_vmx *vmx, size_t i);
const char *vn_vmx_value_at(const vn_vmx *vmx, size_t i);

/* Facts about the input a checker may want to report. */
int vn_vmx_has_bom(const vn_vmx *vmx);

/* Appends the serialized document to `out`. */
void vn_vmx_write(const vn_vmx *vmx, vn_buf *out);

/* The |XX escaping on its own, exposed for tests and other dictionary users.
 * Unescape is lenient like VMware's: a '|' not followed by two hex digits
 * stays as it is. */
void vn_vmx_escape(const char *value, vn_buf *out);
void vn_vmx_unescape(const char *text, size_t len, vn_buf *out);

#endif
