/* vn_statetgz: esx.conf inside a bootbank's state.tgz, through libarchive.
 *
 * state.tgz is a gzip'd tar holding local.tgz, itself a gzip'd tar of the
 * saved /etc files (research formats.md 2.7, 8.1); esx.conf is its member
 * etc/vmware/esx.conf. Member names are matched with any leading "./" or
 * "/" ignored. From 7.0 U2 the archive holds an encrypted local.tgz.ve
 * instead (2.8): that is reported as VN_EINPUT, not read.
 *
 * Inputs are bounded (VN_STATETGZ_MAX bytes for state.tgz, for local.tgz,
 * for esx.conf, and for the data unpacked from each archive). Every bad
 * input is VN_EINPUT with `name` (or "name: local.tgz") as the place. */
#ifndef VN_STATETGZ_H
#define VN_STATETGZ_H

#include <stddef.h>

#include "vn_error.h"

#define VN_STATETGZ_MAX (64u * 1024 * 1024)

/* The text of esx.conf (NUL-terminated heap copy, caller frees). */
int vn_statetgz_get_esxconf(const void *state, size_t len, const char *name, char **text,
                            size_t *text_len, vn_error *err);

/* A new state.tgz (heap, caller frees) equal to `state` except that
 * esx.conf holds `text`: every other member of both archives keeps its
 * order, name, type, mode, owner, times and contents; esx.conf and
 * local.tgz keep their metadata but for the size. */
int vn_statetgz_set_esxconf(const void *state, size_t len, const char *name, const char *text,
                            size_t text_len, void **out, size_t *out_len, vn_error *err);

#endif
