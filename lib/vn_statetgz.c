#include "vn_statetgz.h"

#include <stdlib.h>
#include <string.h>

#include "vn_archiveapi.h"
#include "vn_buf.h"

static const char *member_name(struct archive_entry *e)
{
    const char *p = archive_entry_pathname(e);
    if (!p)
        return "";
    for (;;) {
        if (p[0] == '/')
            p++;
        else if (p[0] == '.' && p[1] == '/')
            p += 2;
        else
            return p;
    }
}

static int is_gzip(const void *data, size_t len)
{
    const unsigned char *p = data;
    return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static int open_reader(const void *data, size_t len, const char *where, struct archive **out,
                       vn_error *err)
{
    *out = NULL;
    if (len > VN_STATETGZ_MAX)
        return vn_fail(err, VN_EINPUT, where, "archive of %zu bytes is too large (at most %u)", len,
                       VN_STATETGZ_MAX);
    if (!is_gzip(data, len))
        return vn_fail(err, VN_EINPUT, where, "not a gzip file (expected a gzip'd tar)");
    /* Every use of libarchive here starts with a reader. */
    if (vn_archiveapi_load(err) != VN_OK)
        return VN_ERUNTIME;
    struct archive *a = archive_read_new();
    if (!a)
        return vn_fail(err, VN_ERUNTIME, where, "out of memory");
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        int rc =
            vn_fail(err, VN_EINPUT, where, "damaged or truncated archive, or not a gzip'd tar (%s)",
                    archive_error_string(a) ? archive_error_string(a) : "unreadable");
        archive_read_free(a);
        return rc;
    }
    *out = a;
    return VN_OK;
}

static int damaged(struct archive *a, const char *where, vn_error *err)
{
    const char *why = archive_error_string(a);
    return vn_fail(err, VN_EINPUT, where, "damaged or truncated archive (%s)",
                   why ? why : "unreadable");
}

/* Next header: 1 with an entry, 0 at the end, -1 on error (reported). */
static int next_entry(struct archive *a, struct archive_entry **e, const char *where, vn_error *err)
{
    int r = archive_read_next_header(a, e);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
        return 1;
    damaged(a, where, err);
    return -1;
}

/* Reads the current entry's data, at most `budget` bytes in total over the
 * archive. To `out` when not NULL, else to the writer `w` when not NULL,
 * else skipped. */
static int read_data(struct archive *a, vn_buf *out, struct archive *w, size_t *budget,
                     const char *where, vn_error *err)
{
    char chunk[16384];
    for (;;) {
        la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
        if (n == 0)
            return VN_OK;
        if (n < 0)
            return damaged(a, where, err);
        if ((size_t)n > *budget)
            return vn_fail(err, VN_EINPUT, where, "unpacks to more than %u bytes", VN_STATETGZ_MAX);
        *budget -= (size_t)n;
        if (out)
            vn_buf_add(out, chunk, (size_t)n);
        else if (w && archive_write_data(w, chunk, (size_t)n) != n)
            return vn_fail(err, VN_ERUNTIME, where, "cannot write the new archive (%s)",
                           archive_error_string(w) ? archive_error_string(w) : "?");
    }
}

/* Finds member `want` (the last one of that name) and returns its data. */
static int extract(const void *data, size_t len, const char *where, const char *want,
                   const char *alt, vn_buf *found_data, vn_error *err)
{
    struct archive *a;
    int rc = open_reader(data, len, where, &a, err);
    if (rc != VN_OK)
        return rc;
    size_t budget = VN_STATETGZ_MAX;
    int found = 0, alt_seen = 0, r = 0;
    struct archive_entry *e;
    while (rc == VN_OK && (r = next_entry(a, &e, where, err)) == 1) {
        const char *n = member_name(e);
        if (alt && strcmp(n, alt) == 0)
            alt_seen = 1;
        if (strcmp(n, want) != 0) {
            rc = read_data(a, NULL, NULL, &budget, where, err);
            continue;
        }
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) {
            rc = vn_fail(err, VN_EINPUT, where, "%s is not a regular file", want);
            break;
        }
        vn_buf_reset(found_data);
        vn_buf_grow(found_data, 0);
        rc = read_data(a, found_data, NULL, &budget, where, err);
        found = 1;
    }
    if (rc == VN_OK && r < 0)
        rc = err ? err->code : VN_EINPUT;
    if (rc == VN_OK && !found) {
        if (alt_seen)
            rc = vn_fail(err, VN_EINPUT, where,
                         "holds an encrypted %s (ESXi 7.0 U2 or later), not %s; the "
                         "configuration cannot be read offline",
                         alt, want);
        else
            rc = vn_fail(err, VN_EINPUT, where, "no member %s", want);
    }
    archive_read_free(a);
    return rc;
}

int vn_statetgz_get_esxconf(const void *state, size_t len, const char *name, char **text,
                            size_t *text_len, vn_error *err)
{
    *text = NULL;
    *text_len = 0;
    vn_buf local = VN_BUF_INIT, conf = VN_BUF_INIT, where = VN_BUF_INIT;
    int rc = extract(state, len, name, "local.tgz", "local.tgz.ve", &local, err);
    vn_buf_addf(&where, "%s: local.tgz", name);
    if (rc == VN_OK)
        rc = extract(local.data, local.len, where.data, "etc/vmware/esx.conf", NULL, &conf, err);
    if (rc == VN_OK)
        *text = vn_buf_detach(&conf, text_len);
    vn_buf_free(&local);
    vn_buf_free(&conf);
    vn_buf_free(&where);
    return rc;
}

/* ---- rewriting ---- */

static la_ssize_t buf_writer(struct archive *w, void *ctx, const void *data, size_t n)
{
    (void)w;
    vn_buf_add(ctx, data, n);
    return (la_ssize_t)n;
}

typedef int (*member_fn)(const void *data, size_t len, const char *where, void *ctx, vn_buf *out,
                         vn_error *err);

/* Copies archive `data` to `out` (gzip'd tar, the same tar format), with
 * member `want` replaced by what `fn` makes of its contents. */
static int rewrite(const void *data, size_t len, const char *where, const char *want,
                   const char *alt, member_fn fn, void *ctx, vn_buf *out, vn_error *err)
{
    struct archive *a, *w = NULL;
    int rc = open_reader(data, len, where, &a, err);
    if (rc != VN_OK)
        return rc;
    size_t budget = VN_STATETGZ_MAX;
    int found = 0, alt_seen = 0, r = 0;
    struct archive_entry *e;
    vn_buf member = VN_BUF_INIT, made = VN_BUF_INIT;
    while (rc == VN_OK && (r = next_entry(a, &e, where, err)) == 1) {
        if (!w) { /* the tar format is known once the first header is read */
            w = archive_write_new();
            if (!w || archive_write_add_filter_gzip(w) != ARCHIVE_OK ||
                /* No time of writing in the gzip header: the same edit of
                 * the same archive gives the same bytes (reproducible). */
                archive_write_set_filter_option(w, "gzip", "timestamp", NULL) < ARCHIVE_WARN ||
                archive_write_set_format(w, archive_format(a)) != ARCHIVE_OK ||
                archive_write_open2(w, out, NULL, buf_writer, NULL, NULL) != ARCHIVE_OK) {
                rc = vn_fail(err, VN_ERUNTIME, where, "cannot write the new archive (%s)",
                             w && archive_error_string(w) ? archive_error_string(w) : "?");
                break;
            }
        }
        const char *n = member_name(e);
        if (alt && strcmp(n, alt) == 0)
            alt_seen = 1;
        int replace = strcmp(n, want) == 0;
        if (replace && (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))) {
            rc = vn_fail(err, VN_EINPUT, where, "%s is not a regular file", want);
            break;
        }
        if (!replace) {
            if (archive_write_header(w, e) < ARCHIVE_WARN) {
                rc = vn_fail(err, VN_ERUNTIME, where, "cannot write the new archive (%s)",
                             archive_error_string(w) ? archive_error_string(w) : "?");
                break;
            }
            rc = read_data(a, NULL, w, &budget, where, err);
            continue;
        }
        found = 1;
        vn_buf_reset(&member);
        vn_buf_grow(&member, 0);
        vn_buf_reset(&made);
        vn_buf_grow(&made, 0);
        if ((rc = read_data(a, &member, NULL, &budget, where, err)) != VN_OK ||
            (rc = fn(member.data, member.len, where, ctx, &made, err)) != VN_OK)
            break;
        struct archive_entry *copy = archive_entry_clone(e);
        archive_entry_set_size(copy, (la_int64_t)made.len);
        if (archive_write_header(w, copy) < ARCHIVE_WARN ||
            (made.len && archive_write_data(w, made.data, made.len) != (la_ssize_t)made.len))
            rc = vn_fail(err, VN_ERUNTIME, where, "cannot write the new archive (%s)",
                         archive_error_string(w) ? archive_error_string(w) : "?");
        archive_entry_free(copy);
    }
    if (rc == VN_OK && r < 0)
        rc = err ? err->code : VN_EINPUT;
    if (rc == VN_OK && !found) {
        if (alt_seen)
            rc = vn_fail(err, VN_EINPUT, where,
                         "holds an encrypted %s (ESXi 7.0 U2 or later), not %s; the "
                         "configuration cannot be changed offline",
                         alt, want);
        else
            rc = vn_fail(err, VN_EINPUT, where, "no member %s", want);
    }
    if (w) {
        if (archive_write_close(w) != ARCHIVE_OK && rc == VN_OK)
            rc = vn_fail(err, VN_ERUNTIME, where, "cannot write the new archive (%s)",
                         archive_error_string(w) ? archive_error_string(w) : "?");
        archive_write_free(w);
    }
    archive_read_free(a);
    vn_buf_free(&member);
    vn_buf_free(&made);
    return rc;
}

typedef struct new_text {
    const char *text;
    size_t len;
} new_text;

static int put_esxconf(const void *data, size_t len, const char *where, void *ctx, vn_buf *out,
                       vn_error *err)
{
    (void)data, (void)len, (void)where, (void)err;
    new_text *t = ctx;
    vn_buf_add(out, t->text, t->len);
    return VN_OK;
}

typedef struct local_ctx {
    const char *name;
    new_text *text;
} local_ctx;

static int put_local(const void *data, size_t len, const char *where, void *ctx, vn_buf *out,
                     vn_error *err)
{
    (void)where;
    const char *name = ((local_ctx *)ctx)->name;
    new_text *t = ((local_ctx *)ctx)->text;
    vn_buf inner = VN_BUF_INIT;
    vn_buf_addf(&inner, "%s: local.tgz", name);
    int rc = rewrite(data, len, inner.data, "etc/vmware/esx.conf", NULL, put_esxconf, t, out, err);
    vn_buf_free(&inner);
    return rc;
}

int vn_statetgz_set_esxconf(const void *state, size_t len, const char *name, const char *text,
                            size_t text_len, void **out, size_t *out_len, vn_error *err)
{
    *out = NULL;
    *out_len = 0;
    if (text_len > VN_STATETGZ_MAX)
        return vn_fail(err, VN_EINPUT, name, "esx.conf of %zu bytes is too large", text_len);
    new_text t = {text, text_len};
    local_ctx ctx = {name, &t};
    vn_buf res = VN_BUF_INIT;
    int rc = rewrite(state, len, name, "local.tgz", "local.tgz.ve", put_local, &ctx, &res, err);
    if (rc == VN_OK)
        *out = vn_buf_detach(&res, out_len);
    vn_buf_free(&res);
    return rc;
}
