/* vn_ks: ESXi kickstart (scripted install) files.
 *
 * Two halves share this header:
 *  - a generator (vn_ks_gen.c) that writes the kickstart of a Nested ESXi lab
 *    host: EULA, a SHA-512-crypt root password, the install disk without a
 *    local datastore (S9), DHCP without the "VM Network" port group (S8), and
 *    %firstboot/%post scripts for S5, S6, S7 and the guestinfo identity (S16);
 *  - a linter (vn_ks_lint.c) that reads a kickstart the way the ESXi installer
 *    (weasel) does: line by line, commands split into words like Python's
 *    shlex (quotes, backslashes, '#' comments), a %pre/%post/%firstboot body
 *    running until the next line that starts with %pre, %post, %firstboot,
 *    %packages, %vmlicense_text, %include or include. Findings carry the line
 *    and use the kickstart rules below (surface VN_SURF_KS).
 *
 * Neither half prints; a password or hash never appears in a finding. */
#ifndef VN_KS_H
#define VN_KS_H

#include <stddef.h>

#include "vn_buf.h"
#include "vn_error.h"
#include "vn_profile.h"
#include "vn_release.h"

/* ---- generator ---- */

typedef enum vn_ks_network {
    VN_KS_NET_DHCP,      /* DHCP on vmnic0, nothing more */
    VN_KS_NET_GUESTINFO, /* DHCP, then the identity from guestinfo.* at first boot (S16) */
} vn_ks_network;

typedef struct vn_ks_spec {
    const vn_release *rel;   /* the ESXi release installed (required) */
    const char *rootpw_hash; /* a crypt(3) hash, "$6$..." (required) */
    int legacy_cpu;          /* S5: allowLegacyCPU=true in both boot banks */
    int ssh, shell;          /* S6: enable and start SSH / the ESXi Shell */
    int vsan;                /* keep flash disks for vSAN, vSAN traffic on vmk0 */
    int keep_datastore;      /* 0: --novmfsondisk (S9, the default) */
    vn_ks_network network;
    const char *keyboard; /* a name vn_ks_keyboard() accepts, or NULL */
} vn_ks_spec;

/* Appends the kickstart to `out`. VN_EINPUT when the spec is incomplete or
 * the hash is not a crypt(3) hash (an error naming the field). */
int vn_ks_generate(const vn_ks_spec *spec, vn_buf *out, vn_error *err);

/* Reads a root password file: a regular file or a pipe that only its owner
 * may read or write (mode 0600 or stricter), holding the password on one
 * line (one trailing newline is dropped). Refuses other modes, an empty
 * password, NUL bytes and more than one line, with VN_EINPUT naming the path.
 * The caller wipes and frees *password (vn_ks_wipe_free). */
int vn_ks_read_password(const char *path, char **password, vn_error *err);

/* SHA-512 crypt ("$6$" + 16 random salt characters from getrandom) of
 * `password` into `hash` (at least 128 bytes). VN_ERUNTIME on failure. */
int vn_ks_crypt(const char *password, char *hash, size_t size, vn_error *err);

/* Overwrites a string with zeros and frees it (NULL allowed). */
void vn_ks_wipe_free(char *s);

/* 1 when `s` has the shape of an MD5, SHA-256 or SHA-512 crypt(3) hash
 * ("$1$", "$5$", "$6$", with an optional "rounds=N$"), the kinds ESXi reads. */
int vn_ks_is_crypt_hash(const char *s);

/* The installer's keyboard layout name matching `name` case-insensitively
 * ("us default" -> "US Default"), or NULL. */
const char *vn_ks_keyboard(const char *name);
/* The closest layout name to an unknown `name` (did you mean), or NULL. */
const char *vn_ks_keyboard_suggest(const char *name);
/* "Belgian, Brazilian, ..." */
const char *vn_ks_keyboard_list(void);

/* ---- linter ---- */

/* The kickstart rules (not part of the VMX/API profile table; surface
 * VN_SURF_KS). Ids: ks-syntax, ks-non-ascii, ks-crlf, ks-unknown-command,
 * ks-deprecated-command, ks-unknown-option, ks-bad-value, ks-option-conflict,
 * ks-duplicate-command, ks-missing-accepteula, ks-missing-rootpw,
 * ks-missing-install, ks-cleartext-rootpw, ks-rootpw-hash, ks-section-order,
 * ks-firstboot-secure-boot, ks-vmfs-on-boot-disk. */
size_t vn_ks_rule_count(void);
const vn_rule *vn_ks_rule_at(size_t i);
const vn_rule *vn_ks_rule_find(const char *id);

/* Lints `len` bytes of kickstart text into `out` (appended; each finding has
 * a line, a key, and a note with the message). `rel` is the ESXi release the
 * file is for, or NULL when unknown. A NUL byte is VN_EINPUT at "name:LINE"
 * (not a text file); anything else is a finding. */
int vn_ks_lint(const char *text, size_t len, const char *name, const vn_release *rel,
               vn_findings *out, vn_error *err);

/* Reads and lints a file. */
int vn_ks_lint_file(const char *path, const vn_release *rel, vn_findings *out, vn_error *err);

/* ---- shared helpers (exposed for tests) ---- */

/* Splits one line into words as the installer does (Python shlex, POSIX
 * mode, '#' comments). Returns the count (0 for a blank or comment line) and
 * a NULL-terminated heap array in *words (free with vn_ks_words_free), or -1
 * with a static message in *why ("no closing quotation"...). */
int vn_ks_split(const char *line, size_t len, char ***words, const char **why);
/* Same, and *cut (when not NULL) tells whether a '#' inside a word cut the
 * line short there (shlex starts a comment even in the middle of a word). */
int vn_ks_split_ex(const char *line, size_t len, char ***words, const char **why, int *cut);
void vn_ks_words_free(char **words);

/* Optimal string alignment distance (edits and adjacent transpositions). */
size_t vn_ks_distance(const char *a, const char *b);

/* The candidate closest to `word`, if close enough to be a likely
 * misspelling (distance 1 for short words, 2 from 5 characters, and a
 * case-only difference always), else NULL. `cands` is NULL-terminated. */
const char *vn_ks_suggest(const char *word, const char *const *cands);

#endif
