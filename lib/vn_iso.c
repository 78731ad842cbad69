#include "vn_iso.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_file.h"
#include "vn_isoapi.h"

#define SECTOR        2048
#define MAX_BOOTCFG   (1u << 20) /* a boot.cfg is a few KiB */
#define MAX_KICKSTART (4u << 20)
#define COPY_CHUNK    ((size_t)8 << 20)

/* ---- library set-up and messages ---------------------------------------- */

/* The libraries print nothing themselves; their complaints are queued and
 * the first one of severity SORRY or worse explains a failure. */
static int lib_start(vn_error *err)
{
    char msg[1024] = "";
    if (vn_isoapi_load(err) != VN_OK)
        return VN_ERUNTIME;
    if (isoburn_initialize(msg, 0) <= 0)
        return vn_fail(err, VN_ERUNTIME, NULL, "cannot start libisoburn (%s)",
                       msg[0] ? msg : "library versions do not match");
    iso_set_msgs_severities("SORRY", "NEVER", "vnest");
    burn_msgs_set_severities("SORRY", "NEVER", "vnest");
    return VN_OK;
}

/* Copies as much of `s` as fits into out[n]. */
static void copy_cut(char *out, size_t n, const char *s)
{
    size_t len = strlen(s);
    if (len >= n)
        len = n - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

static void lib_reason(char *out, size_t n)
{
    char text[ISO_MSGS_MESSAGE_LEN > BURN_MSGS_MESSAGE_LEN ? ISO_MSGS_MESSAGE_LEN
                                                           : BURN_MSGS_MESSAGE_LEN];
    char sev[80];
    int code, imgid, os_errno;
    if (n)
        out[0] = '\0';
    while (iso_obtain_msgs("SORRY", &code, &imgid, text, sev) == 1) {
        if (n && !out[0])
            copy_cut(out, n, text);
    }
    while (burn_msgs_obtain("SORRY", &code, text, &os_errno, sev) == 1) {
        if (n && !out[0])
            copy_cut(out, n, text);
    }
    for (size_t i = 0; n && out[i]; i++) {
        if (out[i] == '\n')
            out[i] = ' ';
    }
}

static void lib_stop(void)
{
    lib_reason(NULL, 0);
    isoburn_finish();
}

/* ---- names, tree lookups, file contents --------------------------------- */

const char *vn_iso_platform_name(int platform, char buf[8])
{
    switch (platform) {
    case 0:
        return "BIOS";
    case 0xEF:
        return "UEFI";
    case 1:
        return "PowerPC";
    case 2:
        return "Mac";
    default:
        snprintf(buf, 8, "0x%02X", (unsigned)platform & 0xFF);
        return buf;
    }
}

const char *vn_iso_media_name(int media)
{
    static const char *const names[] = {"no emulation", "1.2M floppy", "1.44M floppy",
                                        "2.88M floppy", "hard disk"};
    return media >= 0 && media <= 4 ? names[media] : "unknown";
}

/* The child of `dir` named `name`, compared case-insensitively (an exact
 * match wins), or NULL. */
static IsoNode *child(IsoDir *dir, const char *name)
{
    IsoDirIter *it = NULL;
    IsoNode *node = NULL, *found = NULL;
    if (!dir || iso_dir_get_children(dir, &it) != 1)
        return NULL;
    while (iso_dir_iter_next(it, &node) == 1) {
        const char *n = iso_node_get_name(node);
        if (strcmp(n, name) == 0) {
            found = node;
            break;
        }
        if (!found && strcasecmp(n, name) == 0)
            found = node;
    }
    iso_dir_iter_free(it);
    return found;
}

/* The node at absolute `path` ("/EFI/BOOT/BOOT.CFG"), components compared
 * case-insensitively (ISO 9660 names are upper case, Rock Ridge ones may
 * not be), or NULL. */
static IsoNode *lookup(IsoImage *image, const char *path)
{
    IsoNode *node = (IsoNode *)iso_image_get_root(image);
    char *copy = vn_xstrdup(path);
    for (char *save = NULL, *c = strtok_r(copy, "/", &save); c && node;
         c = strtok_r(NULL, "/", &save))
        node = ISO_NODE_IS_DIR(node) ? child((IsoDir *)node, c) : NULL;
    free(copy);
    return node;
}

/* The node's path in the tree as named there, into out. */
static void node_path(IsoNode *node, char *out, size_t n)
{
    char *p = node ? iso_tree_get_node_path(node) : NULL;
    snprintf(out, n, "%s", p ? p : "");
    free(p);
}

/* Reads a file of the image (at most `max` bytes). */
static int read_node(IsoNode *node, size_t max, char **data, size_t *len, const char *where,
                     vn_error *err)
{
    IsoStream *s = iso_file_get_stream((IsoFile *)node);
    off_t size = iso_stream_get_size(s);
    if (size < 0 || (uint64_t)size > max)
        return vn_fail(err, VN_EINPUT, where, "is %lld bytes (expected at most %zu)",
                       (long long)size, max);
    char *buf = vn_xmalloc((size_t)size + 1);
    size_t got = 0;
    int rc = iso_stream_open(s);
    while (rc >= 0 && got < (size_t)size) {
        rc = iso_stream_read(s, buf + got, (size_t)size - got);
        if (rc > 0)
            got += (size_t)rc;
        else if (rc == 0)
            break;
    }
    iso_stream_close(s);
    if (rc < 0 || got != (size_t)size) {
        free(buf);
        return vn_fail(err, VN_EINPUT, where, "cannot read from the image (%s)",
                       rc < 0 ? iso_error_to_msg(rc) : "short read");
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return VN_OK;
}

/* ---- inspection ---------------------------------------------------------- */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void catalog_entry(const unsigned char *e, int platform, vn_iso_boot *b)
{
    memset(b, 0, sizeof(*b));
    b->platform = platform;
    b->bootable = e[0] == 0x88;
    b->media = e[1] & 0x0F;
    b->load_seg = le16(e + 2);
    b->load_size = le16(e + 6);
    b->lba = le32(e + 8);
}

/* The entries of an El Torito boot catalog (validation entry, default entry,
 * then sections of entries); returns how many. */
static int parse_catalog(const unsigned char *c, size_t n, vn_iso_boot *out, int max)
{
    if (n < 64 || c[0] != 0x01 || c[30] != 0x55 || c[31] != 0xAA)
        return 0;
    int count = 0;
    catalog_entry(c + 32, c[1], &out[count++]);
    size_t off = 64;
    while (off + 32 <= n && (c[off] == 0x90 || c[off] == 0x91) && count < max) {
        int last = c[off] == 0x91, platform = c[off + 1];
        unsigned entries = le16(c + off + 2);
        off += 32;
        for (unsigned i = 0; i < entries && off + 32 <= n && count < max; i++) {
            catalog_entry(c + off, platform, &out[count++]);
            off += 32;
            while (off + 32 <= n && c[off] == 0x44) /* extension entries */
                off += 32;
        }
        if (last)
            break;
    }
    return count;
}

/* Boot image paths and boot info table guesses from libisofs, matched to the
 * catalog entries by block address. */
static void boot_files(IsoImage *image, vn_iso_info *info)
{
    int num = 0;
    ElToritoBootImage **boots = NULL;
    IsoFile **nodes = NULL;
    if (iso_image_get_all_boot_imgs(image, &num, &boots, &nodes, 0) != 1)
        return;
    for (int i = 0; i < num; i++) {
        uint32_t lba = 0;
        if (!nodes[i] || iso_file_get_old_image_lba(nodes[i], &lba, 0) < 0)
            continue;
        for (int j = 0; j < info->nboot; j++) {
            vn_iso_boot *b = &info->boot[j];
            if (b->lba != lba || b->path[0])
                continue;
            node_path((IsoNode *)nodes[i], b->path, sizeof(b->path));
            b->boot_info_table = el_torito_seems_boot_info_table(boots[i], 0) == 1;
            break;
        }
    }
    free(boots);
    free(nodes);
}

/* "8.0.2-0.0.22380479" -> version, release ("8.0 U2"), build number. */
static void split_build(vn_iso_info *info)
{
    const char *b = info->build;
    const char *dash = strchr(b, '-');
    size_t vlen = dash ? (size_t)(dash - b) : strlen(b);
    snprintf(info->version, sizeof(info->version), "%.*s", (int)vlen, b);
    const char *dot = strrchr(b, '.');
    if (dash && dot && dot > dash)
        snprintf(info->build_number, sizeof(info->build_number), "%s", dot + 1);
    int major = 0, minor = 0, patch = 0;
    int n = sscanf(info->version, "%d.%d.%d", &major, &minor, &patch);
    if (n >= 2 && major >= 7 && patch > 0)
        snprintf(info->release, sizeof(info->release), "%d.%d U%d", major, minor, patch);
    else if (n >= 2)
        snprintf(info->release, sizeof(info->release), "%d.%d", major, minor);
}

static int load_cfg(IsoImage *image, const char *iso, const char *path, vn_iso_cfg *cfg,
                    vn_error *err)
{
    IsoNode *node = lookup(image, path);
    if (!node || !ISO_NODE_IS_FILE(node))
        return VN_OK;
    cfg->present = 1;
    node_path(node, cfg->path, sizeof(cfg->path));
    char where[1024];
    snprintf(where, sizeof(where), "%s:%s", iso, cfg->path);
    int rc = read_node(node, MAX_BOOTCFG, &cfg->text, &cfg->len, where, err);
    if (rc == VN_OK)
        rc = vn_bootcfg_parse(cfg->text, cfg->len, where, &cfg->doc, err);
    return rc;
}

static void kickstart(IsoImage *image, vn_iso_info *info)
{
    const vn_iso_cfg *cfgs[] = {&info->bios, &info->efi};
    int wired = 0, any = 0;
    char first[256] = "";
    for (int i = 0; i < 2; i++) {
        if (!cfgs[i]->present)
            continue;
        any++;
        const char *ks = vn_bootcfg_kopt_get(cfgs[i]->doc, "ks");
        if (!info->ks_url[0] && ks)
            snprintf(info->ks_url, sizeof(info->ks_url), "%s", ks);
        if (!ks || strncasecmp(ks, "cdrom:", 6) != 0)
            continue;
        if (!first[0])
            snprintf(first, sizeof(first), "%s", ks + 6);
        wired += strcmp(first, ks + 6) == 0;
    }
    if (!first[0])
        return;
    IsoNode *node = lookup(image, first);
    snprintf(info->ks_path, sizeof(info->ks_path), "%s", first);
    if (node && ISO_NODE_IS_FILE(node)) {
        info->ks_present = 1;
        node_path(node, info->ks_path, sizeof(info->ks_path));
        off_t size = iso_stream_get_size(iso_file_get_stream((IsoFile *)node));
        info->ks_size = size > 0 ? (uint64_t)size : 0;
        size_t len = 0;
        if (read_node(node, MAX_KICKSTART, &info->ks_text, &len, info->ks_path, NULL) != VN_OK)
            info->ks_text = NULL;
    }
    info->ks_wired = info->ks_present && wired == any;
}

/* Fills `info` from a loaded image. */
static int describe(IsoImage *image, const char *path, vn_iso_info *info, vn_error *err)
{
    const char *vol = iso_image_get_volume_id(image);
    snprintf(info->volume_id, sizeof(info->volume_id), "%s", vol ? vol : "");
    IsoBoot *cat = NULL;
    char *content = NULL;
    off_t clen = 0;
    uint32_t clba = 0;
    /* (libisofs 1.5.4's iso_image_get_bootcat() crashes on an image without
     * a catalog: ask iso_image_get_boot_image() first.) */
    if (iso_image_get_boot_image(image, NULL, NULL, NULL) == 1 &&
        iso_image_get_bootcat(image, &cat, &clba, &content, &clen) == 1 && content) {
        info->catalog = (unsigned char *)content;
        info->catalog_len = (size_t)clen;
        info->catalog_lba = clba;
        info->nboot = parse_catalog(info->catalog, info->catalog_len, info->boot, VN_ISO_MAX_BOOT);
        if (cat && iso_node_get_parent((IsoNode *)cat))
            node_path((IsoNode *)cat, info->catalog_path, sizeof(info->catalog_path));
        boot_files(image, info);
    } else {
        free(content);
    }
    int rc = load_cfg(image, path, "/BOOT.CFG", &info->bios, err);
    if (rc == VN_OK)
        rc = load_cfg(image, path, "/EFI/BOOT/BOOT.CFG", &info->efi, err);
    if (rc != VN_OK)
        return rc;
    const vn_iso_cfg *primary = info->bios.present ? &info->bios : &info->efi;
    if (primary->present) {
        const char *b = vn_bootcfg_get(primary->doc, "build");
        const char *t = vn_bootcfg_get(primary->doc, "title");
        snprintf(info->build, sizeof(info->build), "%s", b ? b : "");
        snprintf(info->title, sizeof(info->title), "%s", t ? t : "");
        split_build(info);
    }
    kickstart(image, info);
    return VN_OK;
}

/* Checks the file is there and starts like ISO 9660, for a clear message
 * before libisofs is asked. */
static int precheck(const char *path, uint64_t *size, vn_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vn_fail(err, VN_EINPUT, path, "cannot read (%s)", strerror(errno));
    struct stat st;
    unsigned char vd[88] = {0};
    int ok = fstat(fd, &st) == 0;
    if (ok && S_ISDIR(st.st_mode)) {
        close(fd);
        return vn_fail(err, VN_EINPUT, path, "is a directory (expected an ISO image)");
    }
    ssize_t n = ok ? pread(fd, vd, sizeof(vd), 16 * SECTOR) : -1;
    int e = errno;
    close(fd);
    if (n < 0)
        return vn_fail(err, VN_EINPUT, path, "cannot read (%s)", strerror(e));
    if (n < 6 || memcmp(vd + 1, "CD001", 5) != 0)
        return vn_fail(err, VN_EINPUT, path,
                       "not an ISO 9660 image (no CD001 volume descriptor at sector 16)");
    uint64_t want = (uint64_t)le32(vd + 80) * SECTOR; /* volume space size */
    if (vd[0] == 1 && n == (ssize_t)sizeof(vd) && want > (uint64_t)st.st_size)
        return vn_fail(err, VN_EINPUT, path,
                       "is truncated: %llu bytes where the volume descriptor says %llu (expected "
                       "a complete ISO; was the download interrupted?)",
                       (unsigned long long)st.st_size, (unsigned long long)want);
    *size = (uint64_t)st.st_size;
    return VN_OK;
}

/* Loads the tree of an ISO file with libisofs (library started). */
static int load_image(const char *path, IsoImage **out, int *rr, int *joliet, vn_error *err)
{
    IsoDataSource *src = NULL;
    IsoImage *image = NULL;
    IsoReadOpts *ro = NULL;
    IsoReadImageFeatures *f = NULL;
    int ret = iso_data_source_new_from_file(path, &src);
    if (ret >= 0)
        ret = iso_image_new("vnest", &image);
    if (ret >= 0)
        ret = iso_read_opts_new(&ro, 0);
    if (ret >= 0) {
        iso_read_opts_set_no_aaip(ro, 1);
        iso_read_opts_set_no_md5(ro, 1);
        ret = iso_image_import(image, src, ro, &f);
    }
    if (ro)
        iso_read_opts_free(ro);
    if (src)
        iso_data_source_unref(src);
    if (ret < 0) {
        char why[512];
        lib_reason(why, sizeof(why));
        if (f) /* libisofs may hand out the features even when it fails */
            iso_read_image_features_destroy(f);
        if (image)
            iso_image_unref(image);
        return vn_fail(err, VN_EINPUT, path, "not a readable ISO 9660 image (%s)",
                       why[0] ? why : iso_error_to_msg(ret));
    }
    *rr = iso_read_image_features_has_rockridge(f);
    *joliet = iso_read_image_features_has_joliet(f);
    iso_read_image_features_destroy(f);
    *out = image;
    return VN_OK;
}

/* vn_iso_inspect with the libraries already started. */
static int inspect(const char *path, vn_iso_info *info, vn_error *err)
{
    memset(info, 0, sizeof(*info));
    int rc = precheck(path, &info->size, err);
    IsoImage *image = NULL;
    if (rc == VN_OK)
        rc = load_image(path, &image, &info->rock_ridge, &info->joliet, err);
    if (rc == VN_OK)
        rc = describe(image, path, info, err);
    if (image)
        iso_image_unref(image);
    return rc;
}

int vn_iso_inspect(const char *path, vn_iso_info *info, vn_error *err)
{
    memset(info, 0, sizeof(*info));
    int rc = lib_start(err);
    if (rc != VN_OK)
        return rc;
    rc = inspect(path, info, err);
    lib_stop();
    return rc;
}

static void cfg_free(vn_iso_cfg *cfg)
{
    free(cfg->text);
    vn_bootcfg_free(cfg->doc);
    memset(cfg, 0, sizeof(*cfg));
}

void vn_iso_info_free(vn_iso_info *info)
{
    cfg_free(&info->bios);
    cfg_free(&info->efi);
    free(info->catalog);
    free(info->ks_text);
    info->catalog = NULL;
    info->ks_text = NULL;
}

int vn_iso_check_installer(const vn_iso_info *info, const char *path, vn_error *err)
{
    if (info->nboot == 0)
        return vn_fail(err, VN_EINPUT, path,
                       "no El Torito boot catalog (expected a bootable ESXi installer ISO)");
    if (!info->bios.present)
        return vn_fail(err, VN_EINPUT, path,
                       "no /BOOT.CFG (expected an ESXi installer ISO, whose BIOS boot reads it)");
    if (!vn_bootcfg_get(info->bios.doc, "kernel"))
        return vn_fail(err, VN_EINPUT, path,
                       "/BOOT.CFG has no kernel= line (expected an ESXi installer boot.cfg)");
    return VN_OK;
}

int vn_iso_problems(const vn_iso_info *info, vn_buf *out)
{
    int n = 0, bios = 0, uefi = 0;
    for (int i = 0; i < info->nboot; i++) {
        bios |= info->boot[i].platform == 0;
        uefi |= info->boot[i].platform == 0xEF;
    }
    vn_buf_add(out, "", 0);
#define PROBLEM(...)                                                                               \
    do {                                                                                           \
        vn_buf_addf(out, __VA_ARGS__);                                                             \
        vn_buf_addc(out, '\n');                                                                    \
        n++;                                                                                       \
    } while (0)
    if (info->nboot && !bios)
        PROBLEM("no BIOS El Torito boot entry: VMs with BIOS firmware cannot boot this ISO");
    if (info->nboot && !uefi)
        PROBLEM("no UEFI El Torito boot entry: VMs with EFI firmware cannot boot this ISO");
    if (info->bios.present && !info->efi.present && uefi)
        PROBLEM("no /EFI/BOOT/BOOT.CFG: the UEFI boot has no boot.cfg to read");
    if (info->bios.present && info->efi.present) {
        const char *a = vn_bootcfg_get(info->bios.doc, "kernelopt");
        const char *b = vn_bootcfg_get(info->efi.doc, "kernelopt");
        if (strcmp(a ? a : "", b ? b : "") != 0)
            PROBLEM("kernelopt differs between %s (%s) and %s (%s): BIOS and UEFI boots "
                    "install differently",
                    info->bios.path, a ? a : "none", info->efi.path, b ? b : "none");
    }
    if (info->ks_path[0] && !info->ks_present)
        PROBLEM("ks=cdrom:%s but the image has no such file", info->ks_path);
#undef PROBLEM
    return n;
}

/* ---- building ------------------------------------------------------------ */

static void progress(const vn_iso_build_req *req, const char *phase, uint64_t done, uint64_t total)
{
    if (req->progress)
        req->progress(req->progress_arg, phase, done, total);
}

/* Copies `size` bytes from in to out: in the kernel when it can (a reflink
 * on filesystems that share extents), with write-back started behind each
 * chunk so the final fdatasync has little left to do. */
static int copy_data(const vn_iso_build_req *req, int in, int out, uint64_t size, const char *where,
                     vn_error *err)
{
    uint64_t done = 0;
    int kernel = 1;
    char *buf = NULL;
    progress(req, "copy", 0, size);
    while (done < size) {
        size_t want = size - done < COPY_CHUNK ? (size_t)(size - done) : COPY_CHUNK;
        ssize_t n;
        if (kernel) {
            n = copy_file_range(in, NULL, out, NULL, want, 0);
            if (n < 0 && done == 0 &&
                (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                kernel = 0;
                continue;
            }
        } else {
            if (!buf)
                buf = vn_xmalloc(COPY_CHUNK);
            n = read(in, buf, want);
            for (ssize_t w = 0, k; n > 0 && w < n; w += k) {
                k = write(out, buf + w, (size_t)(n - w));
                if (k < 0 && errno == EINTR)
                    k = 0;
                else if (k <= 0) {
                    n = -1;
                    break;
                }
            }
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            free(buf);
            return vn_fail(err, VN_ERUNTIME, where, "cannot copy the input (%s)",
                           e ? strerror(e) : "it shrank while being read");
        }
        sync_file_range(out, (off_t)done, n, SYNC_FILE_RANGE_WRITE);
        done += (uint64_t)n;
        progress(req, "copy", done, size);
    }
    free(buf);
    return VN_OK;
}

/* Replaces (or adds) file `name` in directory `dir` with `data`. The new file
 * keeps the name, permissions, owner and hiding of the one it replaces, else
 * takes them from `like`. */
static int put_file(IsoImage *image, const char *dir, const char *name, const char *data,
                    size_t len, IsoNode *like, vn_error *err)
{
    IsoNode *d = lookup(image, dir);
    if (!d || !ISO_NODE_IS_DIR(d))
        return vn_fail(err, VN_ERUNTIME, dir, "directory vanished from the loaded image");
    IsoNode *old = child((IsoDir *)d, name);
    IsoNode *attrs = old ? old : like;
    char *keep_name = vn_xstrdup(old ? iso_node_get_name(old) : name);
    mode_t mode = attrs ? iso_node_get_permissions(attrs) : 0444;
    uid_t uid = attrs ? iso_node_get_uid(attrs) : 0;
    gid_t gid = attrs ? iso_node_get_gid(attrs) : 0;
    int hidden = attrs ? iso_node_get_hidden(attrs) : 0;
    if (old)
        iso_node_remove(old);
    unsigned char *copy = vn_xmalloc(len ? len : 1);
    memcpy(copy, data, len);
    IsoStream *stream = NULL;
    IsoFile *file = NULL;
    int ret = iso_memory_stream_new(copy, len, &stream);
    if (ret < 0)
        free(copy);
    else
        ret = iso_image_add_new_file(image, (IsoDir *)d, keep_name, stream, &file);
    free(keep_name);
    if (ret < 0) {
        if (stream)
            iso_stream_unref(stream);
        return vn_fail(err, VN_ERUNTIME, name, "cannot add to the image (%s)",
                       iso_error_to_msg(ret));
    }
    IsoNode *node = (IsoNode *)file;
    time_t now = time(NULL);
    iso_node_set_permissions(node, mode);
    iso_node_set_uid(node, uid);
    iso_node_set_gid(node, gid);
    iso_node_set_hidden(node, hidden);
    iso_node_set_mtime(node, now);
    iso_node_set_atime(node, now);
    iso_node_set_ctime(node, now);
    return VN_OK;
}

/* Splits "/EFI/BOOT/BOOT.CFG" into "/EFI/BOOT" and "BOOT.CFG". */
static void split_path(const char *path, char *dir, size_t dn, const char **base)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    snprintf(dir, dn, "%.*s", (int)(n ? n : 1), n ? path : "/");
    *base = slash ? slash + 1 : path;
}

typedef struct edit {
    const char *path; /* in the image */
    const char *data;
    size_t len;
} edit;

/* Threads of this process (entries of /proc/self/task). */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Grows the ISO copy at `tmp` by one session holding `edits`. */
static int grow(const char *tmp, const edit *edits, int nedits, int rr, int joliet,
                const unsigned char *sysarea, vn_error *err)
{
    struct burn_drive_info *dinfo = NULL;
    struct burn_drive *drive = NULL;
    struct isoburn_read_opts *ro = NULL;
    struct isoburn_imgen_opts *wo = NULL;
    struct burn_write_opts *bo = NULL;
    struct burn_disc *disc = NULL;
    IsoImage *image = NULL;
    int rc = VN_OK, ret, threads = 0;
    const char *what = "";
    vn_buf addr = VN_BUF_INIT;
    vn_buf_addf(&addr, "stdio:%s", tmp);

    ret = isoburn_drive_aquire(&dinfo, addr.data, 0);
    if (ret <= 0) {
        what = "cannot open the copy as a libburn drive";
        goto fail;
    }
    drive = dinfo[0].drive;
    if (isoburn_ropt_new(&ro, 0) <= 0) {
        what = "cannot make read options";
        goto fail;
    }
    isoburn_ropt_set_extensions(ro, isoburn_ropt_noaaip | isoburn_ropt_noacl | isoburn_ropt_noea |
                                        isoburn_ropt_nomd5);
    if (isoburn_read_image(drive, ro, &image) <= 0) {
        what = "cannot load the image tree";
        goto fail;
    }
    for (int i = 0; i < nedits; i++) {
        char dir[256];
        const char *base;
        split_path(edits[i].path, dir, sizeof(dir), &base);
        rc = put_file(image, dir, base, edits[i].data, edits[i].len, lookup(image, "/BOOT.CFG"),
                      err);
        if (rc != VN_OK)
            goto out;
    }
    if (isoburn_igopt_new(&wo, 0) <= 0) {
        what = "cannot make write options";
        goto fail;
    }
    /* The new tree has the extensions the old one had, and no others. */
    isoburn_igopt_set_extensions(wo, (rr ? isoburn_igopt_rockridge : 0) |
                                         (joliet ? isoburn_igopt_joliet : 0));
    isoburn_igopt_set_level(wo, 2);
    isoburn_igopt_set_stdio_endsync(wo, 0); /* synced once, by the caller */
    if (sysarea)
        isoburn_igopt_set_system_area(wo, (char *)sysarea, 0);
    threads = thread_count();
    if (isoburn_prepare_disc(drive, &disc, wo) <= 0) {
        what = "cannot prepare the new session";
        goto fail;
    }
    bo = burn_write_opts_new(drive);
    if (!bo) {
        isoburn_cancel_prepared_write(drive, NULL, 0);
        what = "cannot make burn options";
        goto fail;
    }
    burn_write_opts_set_perform_opc(bo, 0);
    burn_write_opts_set_stdio_fsync(bo, -1);
    isoburn_disc_write(bo, disc);
    struct timespec nap = {0, 1000000};
    while (burn_drive_get_status(drive, NULL) == BURN_DRIVE_SPAWNING)
        nanosleep(&nap, NULL);
    while (burn_drive_get_status(drive, NULL) != BURN_DRIVE_IDLE)
        nanosleep(&nap, NULL);
    /* libburn 1.5.4 reports the drive idle while its write thread still
     * resets the drive's buffer: isoburn_activate_session() right then
     * writes through a buffer pointer the thread clears (a crash seen under
     * load). Wait for the thread itself to end. */
    for (int i = 0; i < 5000 && thread_count() > threads; i++)
        nanosleep(&nap, NULL);
    if (isoburn_drive_wrote_well(drive) <= 0) {
        what = "writing the new session failed";
        goto fail;
    }
    if (isoburn_activate_session(drive) <= 0) {
        what = "cannot activate the new session";
        goto fail;
    }
    isoburn_sync_after_write(drive, NULL, 0);
    goto out;
fail : {
    char why[512];
    lib_reason(why, sizeof(why));
    rc =
        vn_fail(err, VN_ERUNTIME, tmp, "%s (%s)", what, why[0] ? why : "libisoburn gave no reason");
}
out:
    if (disc)
        burn_disc_free(disc);
    if (bo)
        burn_write_opts_free(bo);
    isoburn_igopt_destroy(&wo, 0);
    if (image)
        iso_image_unref(image);
    isoburn_ropt_destroy(&ro, 0);
    if (drive)
        isoburn_drive_release(drive, 0);
    if (dinfo)
        burn_drive_info_free(dinfo);
    vn_buf_free(&addr);
    return rc;
}

/* The first 32 KiB of the input (MBR, GPT... of a hybrid image) when not all
 * zero, so the new session writes them back unchanged; NULL otherwise. */
static unsigned char *system_area(int fd)
{
    unsigned char *sa = vn_xmalloc(16 * SECTOR);
    if (pread(fd, sa, 16 * SECTOR, 0) == 16 * SECTOR) {
        for (size_t i = 0; i < 16 * SECTOR; i++) {
            if (sa[i])
                return sa;
        }
    }
    free(sa);
    return NULL;
}

/* Block of the boot catalog named by the volume descriptors from sector 16
 * on, 0 when there is none. */
static uint32_t catalog_block(int fd)
{
    unsigned char vd[SECTOR];
    for (off_t s = 16; s < 16 + 64; s++) {
        if (pread(fd, vd, SECTOR, s * SECTOR) != SECTOR || memcmp(vd + 1, "CD001", 5) != 0 ||
            vd[0] == 255)
            return 0;
        if (vd[0] == 0 && memcmp(vd + 7, "EL TORITO SPECIFICATION", 23) == 0)
            return le32(vd + 71);
    }
    return 0;
}

/* libisofs writes the new catalog from its model of the old one. Should that
 * leave out anything of the input's bytes (an ID string, a selection
 * criterion), the input's catalog is put back as it was: it is valid as it
 * stands, since every boot image kept its block (verify() checks that). */
static int keep_catalog(int fd, const vn_iso_info *in, const char *where, vn_error *err)
{
    if (!in->catalog || in->catalog_len == 0 || in->catalog_len > SECTOR)
        return VN_OK;
    uint32_t lba = catalog_block(fd);
    unsigned char now[SECTOR];
    off_t at = (off_t)lba * SECTOR;
    if (!lba || pread(fd, now, in->catalog_len, at) != (ssize_t)in->catalog_len)
        return vn_fail(err, VN_ERUNTIME, where, "the new session has no readable boot catalog");
    if (memcmp(now, in->catalog, in->catalog_len) == 0)
        return VN_OK;
    if (pwrite(fd, in->catalog, in->catalog_len, at) != (ssize_t)in->catalog_len)
        return vn_fail(err, VN_ERUNTIME, where, "cannot write (%s)", strerror(errno));
    return VN_OK;
}

static int same_boot(const vn_iso_boot *a, const vn_iso_boot *b)
{
    return a->platform == b->platform && a->media == b->media && a->bootable == b->bootable &&
           a->load_seg == b->load_seg && a->load_size == b->load_size && a->lba == b->lba &&
           a->boot_info_table == b->boot_info_table && strcmp(a->path, b->path) == 0;
}

/* The output, read back, holds what was asked and the boot entries of the
 * input. */
static int verify(const vn_iso_build_res *res, const edit *edits, int nedits, const char *tmp,
                  vn_error *err)
{
    const vn_iso_info *in = &res->in, *out = &res->out;
    if (out->nboot != in->nboot)
        return vn_fail(err, VN_ERUNTIME, tmp, "the output has %d boot entries, the input %d",
                       out->nboot, in->nboot);
    for (int i = 0; i < in->nboot; i++) {
        if (!same_boot(&in->boot[i], &out->boot[i]))
            return vn_fail(err, VN_ERUNTIME, tmp,
                           "boot entry %d of the output differs from the "
                           "input's",
                           i + 1);
    }
    if (out->catalog_len != in->catalog_len ||
        memcmp(out->catalog, in->catalog, in->catalog_len) != 0)
        return vn_fail(err, VN_ERUNTIME, tmp, "the output's boot catalog differs from the input's");
    if (strcmp(in->catalog_path, out->catalog_path) != 0)
        return vn_fail(err, VN_ERUNTIME, tmp, "the boot catalog moved from '%s' to '%s'",
                       in->catalog_path, out->catalog_path);
    const vn_iso_cfg *cfgs[] = {&out->bios, &out->efi};
    for (int i = 0; i < nedits; i++) {
        const char *got = NULL;
        size_t len = 0;
        for (int c = 0; c < 2; c++) {
            if (cfgs[c]->present && strcasecmp(cfgs[c]->path, edits[i].path) == 0)
                got = cfgs[c]->text, len = cfgs[c]->len;
        }
        if (!got && strcasecmp(out->ks_path, edits[i].path) == 0 && out->ks_text)
            got = out->ks_text, len = out->ks_size;
        if (!got || len != edits[i].len || memcmp(got, edits[i].data, len) != 0)
            return vn_fail(err, VN_ERUNTIME, tmp, "%s does not read back as written",
                           edits[i].path);
    }
    if (!out->ks_wired)
        return vn_fail(err, VN_ERUNTIME, tmp, "the kickstart is not wired in the output");
    return VN_OK;
}

/* Refuses an output that is the input (same file, by any name) or a
 * directory. */
static int check_output(const char *from, const char *out, vn_error *err)
{
    struct stat a, b;
    if (stat(out, &b) != 0)
        return VN_OK;
    if (S_ISDIR(b.st_mode))
        return vn_fail(err, VN_EINPUT, out, "is a directory (expected the output ISO's file name)");
    if (stat(from, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return vn_fail(err, VN_EINPUT, out,
                       "is the input ISO (expected a new file name: the input is never written)");
    return VN_OK;
}

/* Makes the temporary file beside `out` (its absolute path into tmp), with
 * the mode of an existing `out`. Returns its descriptor, or minus the error
 * code with `err` set. */
static int make_temp(const char *out, vn_buf *tmp, vn_error *err)
{
    char *copy = vn_xstrdup(out);
    char dir[PATH_MAX];
    int ok = realpath(dirname(copy), dir) != NULL;
    int e = errno;
    free(copy);
    if (!ok)
        return -vn_fail(err, VN_ERUNTIME, out, "cannot use the output folder (%s)", strerror(e));
    copy = vn_xstrdup(out);
    vn_buf_addf(tmp, "%s/%s.vnest-tmp.%ld", dir, basename(copy), (long)getpid());
    free(copy);
    int fd = open(tmp->data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) { /* left by a dead process with this PID */
        unlink(tmp->data);
        fd = open(tmp->data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0)
        return -vn_fail(err, VN_ERUNTIME, out, "cannot create a temporary file beside it (%s)",
                        strerror(errno));
    struct stat st;
    if (stat(out, &st) == 0)
        fchmod(fd, st.st_mode & 07777);
    return fd;
}

static void fsync_dir_of(const char *path)
{
    char *copy = vn_xstrdup(path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(copy);
}

/* The edited boot.cfg text of `cfg`, or NULL (err set). */
static char *edit_cfg(const vn_iso_cfg *cfg, int legacy, size_t *len)
{
    /* The parsed document is the input's: edit a fresh copy. */
    vn_bootcfg *doc = NULL;
    if (vn_bootcfg_parse(cfg->text, cfg->len, cfg->path, &doc, NULL) != VN_OK)
        return NULL;
    vn_bootcfg_wire_ks(doc, "cdrom:/KS.CFG");
    if (legacy)
        vn_bootcfg_allow_legacy_cpu(doc);
    vn_buf b = VN_BUF_INIT;
    vn_bootcfg_write(doc, &b);
    vn_bootcfg_free(doc);
    return vn_buf_detach(&b, len);
}

static int build(const vn_iso_build_req *req, vn_iso_build_res *res, vn_error *err)
{
    char *ks = NULL;
    size_t ks_len = 0;
    int rc = vn_file_read(req->ks_path, &ks, &ks_len, err);
    if (rc != VN_OK)
        return rc;
    if (ks_len == 0 || ks_len > MAX_KICKSTART) {
        free(ks);
        return vn_fail(err, VN_EINPUT, req->ks_path,
                       "is %zu bytes (expected a kickstart file of 1 byte to 4 MiB)", ks_len);
    }
    res->ks_len = ks_len;
    rc = check_output(req->from, req->out, err);
    if (rc == VN_OK)
        rc = inspect(req->from, &res->in, err);
    if (rc == VN_OK)
        rc = vn_iso_check_installer(&res->in, req->from, err);
    if (rc != VN_OK) {
        free(ks);
        return rc;
    }

    edit edits[3];
    int nedits = 0;
    char *texts[2] = {NULL, NULL};
    const vn_iso_cfg *cfgs[] = {&res->in.bios, &res->in.efi};
    for (int i = 0; i < 2; i++) {
        if (!cfgs[i]->present)
            continue;
        size_t len = 0;
        texts[i] = edit_cfg(cfgs[i], req->legacy_cpu, &len);
        if (!texts[i])
            abort(); /* it parsed a moment ago */
        edits[nedits++] = (edit){cfgs[i]->path, texts[i], len};
    }
    edits[nedits++] = (edit){"/KS.CFG", ks, ks_len};

    int in = open(req->from, O_RDONLY | O_CLOEXEC);
    vn_buf tmp = VN_BUF_INIT;
    int fd = -1;
    unsigned char *sysarea = NULL;
    if (in < 0) {
        rc = vn_fail(err, VN_EINPUT, req->from, "cannot read (%s)", strerror(errno));
        goto out;
    }
    fd = make_temp(req->out, &tmp, err);
    if (fd < 0) {
        rc = -fd;
        goto out;
    }
    sysarea = system_area(in);
    rc = copy_data(req, in, fd, res->in.size, req->out, err);
    if (rc == VN_OK) {
        progress(req, "write", 0, 1);
        rc = grow(tmp.data, edits, nedits, res->in.rock_ridge, res->in.joliet, sysarea, err);
    }
    if (rc == VN_OK)
        rc = keep_catalog(fd, &res->in, req->out, err);
    if (rc == VN_OK && fdatasync(fd) != 0)
        rc = vn_fail(err, VN_ERUNTIME, req->out, "cannot write (%s)", strerror(errno));
    if (rc == VN_OK) {
        progress(req, "verify", 0, 1);
        rc = inspect(tmp.data, &res->out, err);
        if (rc == VN_OK)
            rc = verify(res, edits, nedits, req->out, err);
    }
    if (rc == VN_OK) {
        close(fd);
        fd = -1;
        vn_crash_point("before-rename");
        if (rename(tmp.data, req->out) != 0)
            rc = vn_fail(err, VN_ERUNTIME, req->out, "cannot replace (%s)", strerror(errno));
        else {
            fsync_dir_of(req->out);
            vn_crash_point("after-rename");
        }
    }
    if (rc != VN_OK && tmp.len)
        unlink(tmp.data);
out:
    if (fd >= 0)
        close(fd);
    if (in >= 0)
        close(in);
    free(sysarea);
    vn_buf_free(&tmp);
    free(texts[0]);
    free(texts[1]);
    free(ks);
    return rc;
}

int vn_iso_build(const vn_iso_build_req *req, vn_iso_build_res *res, vn_error *err)
{
    memset(res, 0, sizeof(*res));
    int rc = lib_start(err);
    if (rc != VN_OK)
        return rc;
    rc = build(req, res, err);
    lib_stop();
    return rc;
}

void vn_iso_build_res_free(vn_iso_build_res *res)
{
    vn_iso_info_free(&res->in);
    vn_iso_info_free(&res->out);
}
