#include "vn_ovaread.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_file.h"

const vn_rule vn_ova_rule_order = {
    "ova-order",
    "",
    VN_SEV_ERROR,
    VN_REL_ALL,
    VN_ROLE_ANY,
    VN_SURF_OVF,
    "the .ovf first, the manifest next (or last), then the files in References order",
    "DSP0243; vCenter and ovftool read an OVA as a stream and refuse other orders"};
const vn_rule vn_ova_rule_manifest = {
    "ova-manifest",
    "",
    VN_SEV_ERROR,
    VN_REL_ALL,
    VN_ROLE_ANY,
    VN_SURF_OVF,
    "a manifest of SHA256(name)= hex lines matching every file",
    "importers verify the manifest and refuse a package whose digests differ"};
const vn_rule vn_ova_rule_files = {
    "ova-files",
    "",
    VN_SEV_ERROR,
    VN_REL_ALL,
    VN_ROLE_ANY,
    VN_SURF_OVF,
    "each file the descriptor references present once, with its declared size",
    "an import fails half-way on a missing or short file"};

/* Bounds: a descriptor or manifest larger than this is not a real one, and
 * a hostile archive must not make the reader allocate without limit. */
#define MAX_DESCRIPTOR (64u << 20)
#define MAX_MANIFEST   (4u << 20)
#define MAX_PAX        (1u << 20)
#define MAX_NAME       4096u
#define MAX_MEMBERS    10000u
#define MAX_DIGESTS    10000u
#define CHUNK          (1u << 20)

static unsigned long long total_size(const vn_ova *ova)
{
    if (ova->mem)
        return ova->mem_len;
    struct stat st;
    return fstat(ova->fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

/* Reads exactly `len` bytes at `off`; -1 on I/O error or short read. */
static int src_read(const vn_ova *ova, int fd, unsigned long long off, void *buf, size_t len)
{
    if (ova->mem && fd == ova->fd) {
        if (off > ova->mem_len || len > ova->mem_len - off)
            return -1;
        memcpy(buf, ova->mem + off, len);
        return 0;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static vn_ova_member *add_member(vn_ova *ova, const char *name, const char *path,
                                 unsigned long long off, unsigned long long size)
{
    if (ova->n == ova->cap) {
        ova->cap = ova->cap ? ova->cap * 2 : 16;
        ova->m = vn_xrealloc(ova->m, ova->cap * sizeof(*ova->m));
    }
    vn_ova_member *m = &ova->m[ova->n++];
    m->name = vn_xstrdup(name);
    m->path = path ? vn_xstrdup(path) : NULL;
    m->offset = off;
    m->size = size;
    return m;
}

/* --- tar headers ------------------------------------------------------- */

/* An octal field (NUL or space terminated, leading spaces allowed), or GNU
 * base-256 when the high bit of the first byte is set. -1 when malformed. */
static long long tar_number(const unsigned char *f, size_t n)
{
    if (f[0] & 0x80) {
        if (f[0] != 0x80)
            return -1; /* negative or absurdly large */
        unsigned long long v = 0;
        for (size_t i = 1; i < n; i++) {
            if (v >> 55)
                return -1;
            v = (v << 8) | f[i];
        }
        return (long long)v;
    }
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    unsigned long long v = 0;
    int digits = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60)
            return -1;
        v = v * 8 + (unsigned)(f[i] - '0');
    }
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != 0)
            return -1;
    return digits ? (long long)v : -1;
}

static int tar_checksum_ok(const unsigned char *h)
{
    long long want = tar_number(h + 148, 8);
    unsigned long sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return want >= 0 && (unsigned long long)want == sum;
}

static int all_zero(const unsigned char *h)
{
    for (int i = 0; i < 512; i++)
        if (h[i])
            return 0;
    return 1;
}

/* Reads pax records "LEN key=value\n" for the keys a reader must honour. */
static void pax_parse(const char *p, size_t len, char **path, long long *size)
{
    size_t i = 0;
    while (i < len) {
        size_t rec = 0, j = i;
        while (j < len && isdigit((unsigned char)p[j]) && rec < len)
            rec = rec * 10 + (size_t)(p[j++] - '0');
        if (j >= len || p[j] != ' ' || rec == 0 || rec > len - i || p[i + rec - 1] != '\n')
            return;
        const char *kv = p + j + 1, *end = p + i + rec - 1;
        const char *eq = memchr(kv, '=', (size_t)(end - kv));
        if (eq) {
            size_t klen = (size_t)(eq - kv), vlen = (size_t)(end - eq - 1);
            if (klen == 4 && !memcmp(kv, "path", 4) && vlen > 0 && vlen < MAX_NAME) {
                free(*path);
                *path = vn_xstrndup(eq + 1, vlen);
            } else if (klen == 4 && !memcmp(kv, "size", 4) && vlen > 0 && vlen < 20) {
                char num[24];
                memcpy(num, eq + 1, vlen);
                num[vlen] = 0;
                char *e;
                long long v = strtoll(num, &e, 10);
                if (*e == 0 && v >= 0)
                    *size = v;
            }
        }
        i += rec;
    }
}

static char *header_name(const unsigned char *h)
{
    char name[101], prefix[156];
    memcpy(name, h, 100);
    name[100] = 0;
    memcpy(prefix, h + 345, 155);
    prefix[155] = 0;
    if (!memcmp(h + 257, "ustar", 5) && prefix[0]) {
        char *full = vn_xmalloc(strlen(prefix) + strlen(name) + 2);
        sprintf(full, "%s/%s", prefix, name);
        return full;
    }
    return vn_xstrdup(name);
}

static int read_small(const vn_ova *ova, unsigned long long off, unsigned long long size,
                      size_t max, char **out)
{
    if (size > max)
        return -1;
    char *buf = vn_xmalloc((size_t)size + 1);
    if (src_read(ova, ova->fd, off, buf, (size_t)size) != 0) {
        free(buf);
        return -1;
    }
    buf[size] = 0;
    *out = buf;
    return 0;
}

static int tar_list(vn_ova *ova, vn_findings *out, vn_error *err)
{
    unsigned long long total = total_size(ova), off = 0;
    unsigned char h[512];
    char *next_name = NULL;
    long long next_size = -1;
    int rc = VN_OK, ended = 0;
    while (off + 512 <= total) {
        if (src_read(ova, ova->fd, off, h, 512) != 0) {
            rc =
                vn_fail(err, VN_ERUNTIME, ova->path, "cannot read the archive at offset %llu", off);
            break;
        }
        if (all_zero(h)) {
            ended = 1;
            break;
        }
        if (!tar_checksum_ok(h)) {
            rc = vn_fail(err, VN_EINPUT, ova->path,
                         "tar header at offset %llu has a bad checksum (not a tar archive, or "
                         "corrupt; an OVA is a ustar archive)",
                         off);
            break;
        }
        long long size = tar_number(h + 124, 12);
        char *name = header_name(h);
        if (size < 0) {
            rc = vn_fail(err, VN_EINPUT, ova->path,
                         "member %s: size field is not a number (tar header at offset %llu)", name,
                         off);
            free(name);
            break;
        }
        unsigned long long data = off + 512;
        if ((unsigned long long)size > total - data) {
            rc = vn_fail(err, VN_EINPUT, ova->path,
                         "member %s is truncated: its header says %lld bytes, the archive ends "
                         "%llu bytes after its start",
                         next_name ? next_name : name, size, total - data);
            free(name);
            break;
        }
        char type = (char)h[156];
        if (type == 'x' || type == 'L') {
            char *body;
            if (read_small(ova, data, (unsigned long long)size, type == 'x' ? MAX_PAX : MAX_NAME,
                           &body) != 0) {
                rc = vn_fail(err, VN_EINPUT, ova->path,
                             "%s header at offset %llu is too large (%lld bytes)",
                             type == 'x' ? "pax" : "GNU long-name", off, size);
                free(name);
                break;
            }
            if (type == 'x') {
                pax_parse(body, (size_t)size, &next_name, &next_size);
                free(body);
            } else {
                free(next_name);
                next_name = body;
            }
        } else if (type == '0' || type == 0 || type == '7') {
            unsigned long long msize =
                next_size >= 0 ? (unsigned long long)next_size : (unsigned long long)size;
            if (msize > total - data) {
                rc = vn_fail(err, VN_EINPUT, ova->path,
                             "member %s is truncated: its pax header says %llu bytes, the "
                             "archive ends %llu bytes after its start",
                             next_name ? next_name : name, msize, total - data);
                free(name);
                break;
            }
            if (ova->n >= MAX_MEMBERS) {
                rc = vn_fail(err, VN_EINPUT, ova->path, "more than %u members", MAX_MEMBERS);
                free(name);
                break;
            }
            add_member(ova, next_name ? next_name : name, NULL, data, msize);
            size = (long long)msize;
            free(next_name);
            next_name = NULL;
            next_size = -1;
        } else if (type != 'g') {
            vn_findings_problem(
                out, &vn_ova_rule_order, VN_SEV_WARNING, name, 0,
                "%s member (tar type '%c') ignored: an OVA holds regular files only",
                type == '5' ? "directory" : "special", isprint((unsigned char)type) ? type : '?');
            free(next_name);
            next_name = NULL;
            next_size = -1;
        }
        free(name);
        off = data + (((unsigned long long)size + 511) & ~511ull);
    }
    free(next_name);
    if (rc == VN_OK && !ended && off != total)
        rc = vn_fail(err, VN_EINPUT, ova->path,
                     "archive is truncated: %llu stray bytes after the last member at offset %llu",
                     total - off, off);
    return rc;
}

/* --- manifest ------------------------------------------------------------ */

static int alg_parse(const char *s, size_t n, vn_digest_alg *alg)
{
    static const struct {
        const char *name;
        vn_digest_alg alg;
    } algs[] = {
        {"SHA1", VN_DIGEST_SHA1}, {"SHA256", VN_DIGEST_SHA256}, {"SHA512", VN_DIGEST_SHA512}};
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (strlen(algs[i].name) == n && !memcmp(algs[i].name, s, n)) {
            *alg = algs[i].alg;
            return 1;
        }
    return 0;
}

const char *vn_digest_alg_name(vn_digest_alg alg)
{
    return alg == VN_DIGEST_SHA1 ? "SHA1" : alg == VN_DIGEST_SHA256 ? "SHA256" : "SHA512";
}

static size_t hex_len(vn_digest_alg alg)
{
    return alg == VN_DIGEST_SHA1 ? 40 : alg == VN_DIGEST_SHA256 ? 64 : 128;
}

/* One line "ALG(name)= hex". The forms with spaces ("SHA1 (x) = hex") are
 * read but reported: ESXi's importer refuses them. */
static void manifest_line(vn_ova *ova, char *line, int lineno, vn_findings *out)
{
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        line[--len] = 0;
    if (!len)
        return;
    char *open = strchr(line, '('), *close = strrchr(line, ')');
    const char *mf = ova->mf_name;
    if (!open || !close || close < open) {
        vn_findings_problem(
            out, &vn_ova_rule_manifest, VN_SEV_ERROR, mf, lineno,
            "not a manifest line (expected ALG(name)= hex, e.g. SHA256(disk-0.vmdk)= ...)");
        return;
    }
    int spaced = 0;
    char *alg_end = open;
    while (alg_end > line && alg_end[-1] == ' ')
        alg_end--, spaced = 1;
    vn_digest_alg alg;
    if (!alg_parse(line, (size_t)(alg_end - line), &alg)) {
        vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_ERROR, mf, lineno,
                            "unknown digest algorithm \"%.*s\" (expected SHA256, SHA1 or SHA512)",
                            (int)(alg_end - line) > 32 ? 32 : (int)(alg_end - line), line);
        return;
    }
    char *p = close + 1;
    if (*p == ' ')
        spaced = 1;
    while (*p == ' ')
        p++;
    if (*p != '=') {
        vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_ERROR, mf, lineno,
                            "no '=' after the file name (expected ALG(name)= hex)");
        return;
    }
    p++;
    if (*p != ' ')
        spaced = 1;
    while (*p == ' ')
        p++;
    size_t hl = strlen(p);
    int hex_ok = hl == hex_len(alg);
    for (size_t i = 0; hex_ok && i < hl; i++)
        hex_ok = isxdigit((unsigned char)p[i]);
    if (!hex_ok) {
        vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_ERROR, mf, lineno,
                            "the %s digest must be %zu hexadecimal digits", vn_digest_alg_name(alg),
                            hex_len(alg));
        return;
    }
    if (spaced)
        vn_findings_problem(
            out, &vn_ova_rule_manifest, VN_SEV_WARNING, mf, lineno,
            "spaces around the name or '=': ESXi's importer refuses this form (write "
            "ALG(name)= hex)");
    if (ova->ndig >= MAX_DIGESTS) {
        if (!ova->dig_overflow++)
            vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_ERROR, mf, lineno,
                                "more than %u lines: the rest are not read", MAX_DIGESTS);
        return;
    }
    if ((ova->ndig & (ova->ndig - 1)) == 0) /* 0, 1, 2, 4...: double */
        ova->dig = vn_xrealloc(ova->dig, (ova->ndig ? 2 * ova->ndig : 1) * sizeof(*ova->dig));
    vn_ova_digest *d = &ova->dig[ova->ndig++];
    d->alg = alg;
    d->name = vn_xstrndup(open + 1, (size_t)(close - open - 1));
    for (size_t i = 0; i <= hl; i++)
        d->hex[i] = (char)tolower((unsigned char)p[i]);
    d->line = lineno;
}

static void manifest_parse(vn_ova *ova, char *text, vn_findings *out)
{
    int lineno = 1;
    for (char *line = text; line; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        manifest_line(ova, line, lineno, out);
        line = nl ? nl + 1 : NULL;
    }
}

/* --- opening --------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

static int read_member_text(vn_ova *ova, const vn_ova_member *m, size_t max, char **out,
                            vn_error *err)
{
    if (m->size > max)
        return vn_fail(err, VN_EINPUT, ova->path, "member %s is %llu bytes (at most %zu expected)",
                       m->name, m->size, max);
    if (m->path) {
        size_t len;
        return vn_file_read(m->path, out, &len, err);
    }
    if (read_small(ova, m->offset, m->size, max, out) != 0)
        return vn_fail(err, VN_ERUNTIME, ova->path, "cannot read member %s", m->name);
    return VN_OK;
}

static int load_texts(vn_ova *ova, vn_findings *out, vn_error *err)
{
    const vn_ova_member *ovf = NULL, *mf = NULL;
    for (size_t i = 0; i < ova->n; i++) {
        if (ends_with(ova->m[i].name, ".ovf") && !ovf)
            ovf = &ova->m[i];
        else if (ends_with(ova->m[i].name, ".ovf"))
            vn_findings_problem(out, &vn_ova_rule_order, VN_SEV_ERROR, ova->m[i].name, 0,
                                "a second descriptor: an OVA holds exactly one .ovf");
        else if (ends_with(ova->m[i].name, ".mf") && !mf)
            mf = &ova->m[i];
    }
    if (!ovf)
        return vn_fail(err, VN_EINPUT, ova->path,
                       "no .ovf descriptor in the archive (an OVA's first member is NAME.ovf)");
    if (ovf != &ova->m[0])
        vn_findings_problem(out, &vn_ova_rule_order, VN_SEV_ERROR, ovf->name, 0,
                            "the descriptor is member %zu; it must be the first (found %s first)",
                            (size_t)(ovf - ova->m) + 1, ova->m[0].name);
    int rc = read_member_text(ova, ovf, MAX_DESCRIPTOR, &ova->ovf, err);
    if (rc != VN_OK)
        return rc;
    ova->ovf_len = strlen(ova->ovf);
    if (ova->ovf_len != ovf->size)
        return vn_fail(err, VN_EINPUT, ova->path, "descriptor %s contains a NUL byte (not XML)",
                       ovf->name);
    ova->ovf_name = vn_xstrdup(ovf->name);
    if (mf) {
        char *text;
        ova->mf_name = vn_xstrdup(mf->name);
        rc = read_member_text(ova, mf, MAX_MANIFEST, &text, err);
        if (rc != VN_OK)
            return rc;
        manifest_parse(ova, text, out);
        free(text);
    }
    return VN_OK;
}

static int looks_like_xml(const unsigned char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    while (i < n && isspace(p[i]))
        i++;
    return i < n && p[i] == '<';
}

static int open_plain(const char *path, vn_ova *ova, vn_findings *out, vn_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return vn_fail(err, VN_EINPUT, path, "cannot read (%s)", strerror(errno));
    const char *slash = strrchr(path, '/');
    add_member(ova, slash ? slash + 1 : path, path, 0, (unsigned long long)st.st_size);
    /* NAME.ovf's manifest is NAME.mf beside it. */
    size_t len = strlen(path);
    char *mf = vn_xmalloc(len + 4);
    memcpy(mf, path, len + 1);
    if (ends_with(mf, ".ovf"))
        mf[len - 4] = 0;
    strcat(mf, ".mf");
    if (stat(mf, &st) == 0 && S_ISREG(st.st_mode)) {
        const char *ms = strrchr(mf, '/');
        add_member(ova, ms ? ms + 1 : mf, mf, 0, (unsigned long long)st.st_size);
    }
    free(mf);
    return load_texts(ova, out, err);
}

int vn_ova_open(const char *path, vn_ova *ova, vn_findings *out, vn_error *err)
{
    memset(ova, 0, sizeof(*ova));
    ova->fd = -1;
    ova->path = vn_xstrdup(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vn_fail(err, VN_EINPUT, path, "cannot open (%s)", strerror(errno));
    struct stat st;
    unsigned char head[512] = {0};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return vn_fail(err, VN_EINPUT, path, "not a regular file");
    }
    ssize_t got = pread(fd, head, sizeof(head), 0);
    if (got < 0) {
        close(fd);
        return vn_fail(err, VN_ERUNTIME, path, "cannot read (%s)", strerror(errno));
    }
    if (ends_with(path, ".ovf") || looks_like_xml(head, (size_t)got)) {
        close(fd);
        return open_plain(path, ova, out, err);
    }
    ova->fd = fd;
    ova->is_archive = 1;
    if (got < 512 || !tar_checksum_ok(head))
        return vn_fail(err, VN_EINPUT, path,
                       "neither an OVA (a tar archive) nor an OVF descriptor (XML)");
    int rc = tar_list(ova, out, err);
    return rc != VN_OK ? rc : load_texts(ova, out, err);
}

int vn_ova_open_mem(const void *data, size_t len, const char *name, vn_ova *ova, vn_findings *out,
                    vn_error *err)
{
    memset(ova, 0, sizeof(*ova));
    ova->fd = -1;
    ova->path = vn_xstrdup(name);
    ova->mem = data;
    ova->mem_len = len;
    ova->is_archive = 1;
    if (len < 512 || !tar_checksum_ok(data))
        return vn_fail(err, VN_EINPUT, name, "not an OVA (a tar archive)");
    int rc = tar_list(ova, out, err);
    return rc != VN_OK ? rc : load_texts(ova, out, err);
}

void vn_ova_close(vn_ova *ova)
{
    for (size_t i = 0; i < ova->n; i++) {
        free(ova->m[i].name);
        free(ova->m[i].path);
    }
    for (size_t i = 0; i < ova->ndig; i++)
        free(ova->dig[i].name);
    if (ova->fd >= 0)
        close(ova->fd);
    free(ova->m);
    free(ova->dig);
    free(ova->ovf);
    free(ova->ovf_name);
    free(ova->mf_name);
    free(ova->path);
    memset(ova, 0, sizeof(*ova));
    ova->fd = -1;
}

/* --- members ------------------------------------------------------------ */

/* A name that stays in the package's folder: no separators, no "..", no
 * scheme. (hrefs such as "http://..." are remote files; vnest does not
 * fetch them.) */
static int local_name(const char *name)
{
    return name[0] && !strchr(name, '/') && !strchr(name, '\\') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0 && !strchr(name, ':');
}

const vn_ova_member *vn_ova_member_find(vn_ova *ova, const char *name)
{
    for (size_t i = 0; i < ova->n; i++)
        if (!strcmp(ova->m[i].name, name))
            return &ova->m[i];
    if (ova->is_archive || !local_name(name))
        return NULL;
    const char *slash = strrchr(ova->path, '/');
    size_t dir = slash ? (size_t)(slash - ova->path) + 1 : 0;
    char *p = vn_xmalloc(dir + strlen(name) + 1);
    memcpy(p, ova->path, dir);
    strcpy(p + dir, name);
    struct stat st;
    const vn_ova_member *m = NULL;
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
        m = add_member(ova, name, p, 0, (unsigned long long)st.st_size);
    free(p);
    return m;
}

static long index_of(const vn_ova *ova, const vn_ova_member *m)
{
    return m ? (long)(m - ova->m) : -1;
}

static int is_referenced(const char *name, const char *const *hrefs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, hrefs[i]))
            return 1;
    return 0;
}

void vn_ova_check_files(vn_ova *ova, const char *const *hrefs, const long long *sizes, size_t n,
                        vn_findings *out)
{
    long last = 0, last_ref = 0;
    for (size_t i = 0; i < n; i++) {
        if (!local_name(hrefs[i])) {
            vn_findings_problem(
                out, &vn_ova_rule_files, VN_SEV_ERROR, hrefs[i], 0,
                "not a file name in the package (a remote or nested path): vnest reads "
                "only files stored beside the descriptor");
            continue;
        }
        const vn_ova_member *m = vn_ova_member_find(ova, hrefs[i]);
        if (!m) {
            vn_findings_problem(out, &vn_ova_rule_files, VN_SEV_ERROR, hrefs[i], 0,
                                "referenced by the descriptor (References/File) but not in the %s",
                                ova->is_archive ? "archive" : "folder");
            continue;
        }
        int copies = 0;
        for (size_t j = 0; j < ova->n; j++)
            copies += !strcmp(ova->m[j].name, hrefs[i]);
        if (copies > 1)
            vn_findings_problem(out, &vn_ova_rule_files, VN_SEV_ERROR, hrefs[i], 0,
                                "stored %d times (an importer would read the first)", copies);
        if (sizes[i] >= 0 && (unsigned long long)sizes[i] != m->size) {
            char cur[32], want[32];
            snprintf(cur, sizeof(cur), "%llu", m->size);
            snprintf(want, sizeof(want), "%lld", sizes[i]);
            vn_finding *f =
                vn_findings_problem(out, &vn_ova_rule_files, VN_SEV_ERROR, hrefs[i], 0,
                                    "the file's size differs from its References/File ovf:size");
            free(f->current);
            free(f->wanted);
            f->current = vn_xstrdup(cur);
            f->wanted = vn_xstrdup(want);
        }
        long at = index_of(ova, m);
        if (ova->is_archive && at < last)
            vn_findings_problem(
                out, &vn_ova_rule_order, VN_SEV_ERROR, hrefs[i], 0,
                "member %ld comes before a file listed earlier in References (expected the "
                "References order)",
                at + 1);
        if (at > last)
            last = at;
        if (at > last_ref)
            last_ref = at;
    }
    if (!ova->is_archive)
        return;
    for (size_t i = 0; i < ova->n; i++) {
        const char *name = ova->m[i].name;
        if (!strcmp(name, ova->ovf_name))
            continue;
        if (ova->mf_name && !strcmp(name, ova->mf_name)) {
            if (i != 1 && (long)i < last_ref)
                vn_findings_problem(
                    out, &vn_ova_rule_order, VN_SEV_ERROR, name, 0,
                    "the manifest is member %zu: expected right after the descriptor (2) or "
                    "after every file",
                    i + 1);
            continue;
        }
        if (ends_with(name, ".cert")) {
            const vn_ova_member *mf = ova->mf_name ? vn_ova_member_find(ova, ova->mf_name) : NULL;
            if (!mf)
                vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_ERROR, name, 0,
                                    "a certificate without a manifest (it signs the .mf)");
            else if (index_of(ova, mf) > (long)i)
                vn_findings_problem(out, &vn_ova_rule_order, VN_SEV_ERROR, name, 0,
                                    "the certificate comes before the manifest it signs");
            continue;
        }
        if (!is_referenced(name, hrefs, n))
            vn_findings_problem(out, &vn_ova_rule_files, VN_SEV_WARNING, name, 0,
                                "not referenced by the descriptor (an importer ignores it)");
    }
}

int vn_ova_read_member(vn_ova *ova, const vn_ova_member *m, vn_ova_chunk_fn cb, void *ctx,
                       vn_error *err)
{
    int fd = ova->fd;
    if (m->path) {
        fd = open(m->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return vn_fail(err, VN_ERUNTIME, m->path, "cannot open (%s)", strerror(errno));
    }
    unsigned char *buf = vn_xmalloc(CHUNK);
    int rc = VN_OK;
    for (unsigned long long done = 0; done < m->size;) {
        size_t want = m->size - done < CHUNK ? (size_t)(m->size - done) : CHUNK;
        if (src_read(ova, fd, m->offset + done, buf, want) != 0) {
            rc = vn_fail(err, VN_ERUNTIME, m->path ? m->path : ova->path,
                         "cannot read member %s at byte %llu (file changed or I/O error)", m->name,
                         done);
            break;
        }
        int stop = cb(ctx, buf, want);
        if (stop) {
            rc = stop;
            break;
        }
        done += want;
    }
    free(buf);
    if (m->path)
        close(fd);
    return rc;
}

int vn_ova_map_member(vn_ova *ova, const vn_ova_member *m, const void **data, void **map_base,
                      size_t *map_len, vn_error *err)
{
    *map_base = NULL;
    *map_len = 0;
    if (ova->mem && !m->path) {
        *data = ova->mem + m->offset;
        return VN_OK;
    }
    if (m->size == 0) {
        *data = "";
        return VN_OK;
    }
    int fd = m->path ? open(m->path, O_RDONLY | O_CLOEXEC) : ova->fd;
    if (fd < 0)
        return vn_fail(err, VN_ERUNTIME, m->path, "cannot open (%s)", strerror(errno));
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long start = m->offset - m->offset % (unsigned long long)page;
    size_t len = (size_t)(m->offset - start + m->size);
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)start);
    if (m->path)
        close(fd);
    if (p == MAP_FAILED)
        return vn_fail(err, VN_ERUNTIME, ova->path, "cannot map member %s (%s)", m->name,
                       strerror(errno));
    *map_base = p;
    *map_len = len;
    *data = (const char *)p + (m->offset - start);
    return VN_OK;
}

void vn_ova_unmap(void *map_base, size_t map_len)
{
    if (map_base)
        munmap(map_base, map_len);
}

static int digest_chunk(void *ctx, const void *data, size_t len)
{
    return EVP_DigestUpdate(ctx, data, len) == 1 ? 0 : VN_ERUNTIME;
}

int vn_ova_digest_member(vn_ova *ova, const vn_ova_member *m, vn_digest_alg alg, char hex[129],
                         vn_error *err)
{
    const EVP_MD *md = alg == VN_DIGEST_SHA1     ? EVP_sha1()
                       : alg == VN_DIGEST_SHA256 ? EVP_sha256()
                                                 : EVP_sha512();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return vn_fail(err, VN_ERUNTIME, ova->path, "OpenSSL digest unavailable");
    }
    int rc = vn_ova_read_member(ova, m, digest_chunk, ctx, err);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (rc == VN_OK && EVP_DigestFinal_ex(ctx, d, &dl) != 1)
        rc = vn_fail(err, VN_ERUNTIME, ova->path, "OpenSSL digest failed");
    else if (rc != VN_OK && !err->msg[0])
        rc = vn_fail(err, VN_ERUNTIME, ova->path, "digest of %s failed", m->name);
    EVP_MD_CTX_free(ctx);
    if (rc != VN_OK)
        return rc;
    for (unsigned int i = 0; i < dl; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    hex[2 * dl] = 0;
    return VN_OK;
}

const vn_ova_digest *vn_ova_manifest_find(const vn_ova *ova, const char *name)
{
    for (size_t i = 0; i < ova->ndig; i++)
        if (!strcmp(ova->dig[i].name, name))
            return &ova->dig[i];
    return NULL;
}

int vn_ova_verify_manifest(vn_ova *ova, vn_findings *out, vn_error *err)
{
    if (!ova->mf_name) {
        vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_WARNING, ova->ovf_name, 0,
                            "no manifest (NAME.mf): the files' integrity cannot be checked");
        return VN_OK;
    }
    int sha1_noted = 0;
    size_t absent = 0;
    for (size_t i = 0; i < ova->ndig; i++) {
        const vn_ova_digest *d = &ova->dig[i];
        if (d->alg == VN_DIGEST_SHA1 && !sha1_noted++)
            vn_findings_problem(
                out, &vn_ova_rule_manifest, VN_SEV_INFO, ova->mf_name, d->line,
                "SHA1 digests: newer vSphere releases warn about them (use SHA256)");
        const vn_ova_member *m = vn_ova_member_find(ova, d->name);
        if (!m) {
            /* one finding each for the first few; a manifest of thousands
             * of absent names is summed up rather than listed */
            if (++absent <= 20)
                vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_ERROR, ova->mf_name, d->line,
                                    "lists %s, which is not in the package", d->name);
            continue;
        }
        char hex[129];
        int rc = vn_ova_digest_member(ova, m, d->alg, hex, err);
        if (rc != VN_OK)
            return rc;
        if (strcmp(hex, d->hex) != 0) {
            vn_finding *f =
                vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_ERROR, d->name, 0,
                                    "%s digest differs from the manifest (%s line %d): the "
                                    "file is corrupt or was changed (file %s, manifest %s)",
                                    vn_digest_alg_name(d->alg), ova->mf_name, d->line, hex, d->hex);
            /* the table shows a prefix; the note and JSON note carry all */
            char cur[24], want[24];
            snprintf(cur, sizeof(cur), "%.12s...", hex);
            snprintf(want, sizeof(want), "%.12s...", d->hex);
            free(f->current);
            free(f->wanted);
            f->current = vn_xstrdup(cur);
            f->wanted = vn_xstrdup(want);
        }
    }
    if (absent > 20)
        vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_ERROR, ova->mf_name, 0,
                            "and %zu more names that are not in the package", absent - 20);
    for (size_t i = 0; i < ova->n; i++) {
        const char *name = ova->m[i].name;
        if (!strcmp(name, ova->mf_name) || ends_with(name, ".cert"))
            continue;
        if (!vn_ova_manifest_find(ova, name))
            vn_findings_problem(out, &vn_ova_rule_manifest, VN_SEV_WARNING, name, 0,
                                "not listed in the manifest %s (its integrity is not checked)",
                                ova->mf_name);
    }
    return VN_OK;
}
