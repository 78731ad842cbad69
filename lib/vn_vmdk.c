/* vn_vmdk: creation of empty hosted monolithicSparse disks.
 *
 * Layout (formats.md 3.5, 3.6, 3.9 — the same one qemu and VMware write, so
 * every reader finds things where it expects them):
 *
 *   sector 0          KDMV header
 *   sectors 1..20     embedded descriptor, NUL-padded
 *   sector 21         redundant grain directory (RGD), then its grain tables
 *   after those       grain directory (GD), then its grain tables
 *   overHead          first grain would go here (rounded up to a grain)
 *
 * No grain is allocated, so every grain table is all zeros. Only the header,
 * the descriptor and the two directories hold data; the grain tables and the
 * padding are left to ftruncate(), which makes them holes on filesystems
 * with sparse files. A 2 TiB disk has 65536 grain tables per copy (128 MiB
 * each, 256 MiB of apparent size) yet takes well under 1 MiB of real space. */

/* off_t must hold offsets past 4 GiB even on 32-bit hosts. */
#define _FILE_OFFSET_BITS 64

#include "vn_vmdk.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"

_Static_assert(sizeof(off_t) >= 8, "vn_vmdk needs a 64-bit off_t");

#define SECTOR          512u
#define GRAIN_SECTORS   128u /* 64 KiB grains: what VMware and qemu use */
#define GTES_PER_GT     512u /* fixed by the format; qemu rejects more */
#define GT_SECTORS      (GTES_PER_GT * 4u / SECTOR)
#define DESC_OFFSET     1u
#define DESC_SECTORS    20u
#define FLAG_NL_TEST    (1u << 0)
#define FLAG_RGD        (1u << 1)
#define DESCRIPTOR_HEAD (DESC_OFFSET + DESC_SECTORS)

/* Grain table entries are 32-bit sector numbers, so a sparse file cannot
 * place grains beyond 2 TiB of file. A larger disk would be created fine and
 * then fail once that much had been written, so it is refused up front. (At
 * exactly 2 TiB the metadata in front still keeps the last few hundred MiB
 * of a completely filled disk out of reach; the limit is the round number
 * callers ask for, and qemu-img accepts it too.) */
#define MAX_CAPACITY_SECTORS (UINT64_C(1) << 32)

/* Where everything goes, in sectors. */
typedef struct layout {
    uint64_t capacity;
    uint64_t num_gts;    /* = number of directory entries */
    uint64_t gd_sectors; /* size of one directory */
    uint64_t rgd_offset;
    uint64_t gd_offset;
    uint64_t overhead;
} layout;

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

static void plan_layout(uint64_t capacity, layout *l)
{
    uint64_t gt_span = (uint64_t)GTES_PER_GT * GRAIN_SECTORS;
    l->capacity = capacity;
    l->num_gts = div_round_up(capacity, gt_span);
    l->gd_sectors = div_round_up(l->num_gts * 4, SECTOR);
    uint64_t tables = l->num_gts * GT_SECTORS;
    l->rgd_offset = DESCRIPTOR_HEAD;
    l->gd_offset = l->rgd_offset + l->gd_sectors + tables;
    l->overhead =
        div_round_up(l->gd_offset + l->gd_sectors + tables, GRAIN_SECTORS) * GRAIN_SECTORS;
}

/* Explicit byte-by-byte encoding: the file is little-endian whatever the
 * host is, and no packed struct or alignment assumption is needed. */
static void put_le16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)((v >> (8 * i)) & 0xff);
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)((v >> (8 * i)) & 0xff);
}

static void encode_header(unsigned char hdr[SECTOR], const layout *l)
{
    memset(hdr, 0, SECTOR);
    memcpy(hdr, "KDMV", 4);
    put_le32(hdr + 4, 1); /* version 1: no zeroed-grain GTEs, readable by everyone */
    put_le32(hdr + 8, FLAG_NL_TEST | FLAG_RGD);
    put_le64(hdr + 12, l->capacity);
    put_le64(hdr + 20, GRAIN_SECTORS);
    put_le64(hdr + 28, DESC_OFFSET);
    put_le64(hdr + 36, DESC_SECTORS);
    put_le32(hdr + 44, GTES_PER_GT);
    put_le64(hdr + 48, l->rgd_offset);
    put_le64(hdr + 56, l->gd_offset);
    put_le64(hdr + 64, l->overhead);
    hdr[72] = 0; /* uncleanShutdown */
    /* Bytes a text-mode transfer would mangle, so readers can detect it. */
    hdr[73] = '\n';
    hdr[74] = ' ';
    hdr[75] = '\r';
    hdr[76] = '\n';
    put_le16(hdr + 77, 0); /* compressAlgorithm: none */
}

/* A grain directory whose entries point at consecutive zeroed grain tables
 * that start right after it. */
static unsigned char *encode_directory(const layout *l, uint64_t dir_offset)
{
    size_t size = (size_t)(l->gd_sectors * SECTOR);
    unsigned char *dir = vn_xcalloc(size, 1);
    uint64_t gt = dir_offset + l->gd_sectors;
    for (uint64_t i = 0; i < l->num_gts; i++, gt += GT_SECTORS)
        put_le32(dir + 4 * i, (uint32_t)gt);
    return dir;
}

/* Maps the accepted adapter names to what goes into ddb.adapterType and the
 * matching fake geometry (IDE disks use 16 heads, SCSI ones 255). */
static int adapter_info(const char *adapter, const char **written, unsigned *heads)
{
    static const struct {
        const char *name, *written;
        unsigned heads;
    } table[] = {
        {"lsilogic", "lsilogic", 255},   {"buslogic", "buslogic", 255}, {"ide", "ide", 16},
        {"legacyESX", "legacyESX", 255}, {"pvscsi", "lsilogic", 255}, /* hosted products cannot
                                                                         write pvscsi */
    };
    if (!adapter)
        return -1;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcasecmp(adapter, table[i].name) == 0) {
            *written = table[i].written;
            *heads = table[i].heads;
            return 0;
        }
    }
    return -1;
}

static int fill_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The identities a new disk gets: CID, longContentID and ddb.uuid. */
typedef struct disk_ids {
    uint32_t cid;
    unsigned char long_id[12]; /* longContentID = these 12 bytes + CID */
    unsigned char uuid[16];
} disk_ids;

static int make_ids(disk_ids *ids)
{
    unsigned char raw[4];
    do {
        if (fill_random(raw, sizeof(raw)) != 0)
            return -1;
        ids->cid = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
        /* ffffffff means "no parent" in parentCID; keep the two apart. */
    } while (ids->cid == UINT32_C(0xffffffff));
    if (fill_random(ids->long_id, sizeof(ids->long_id)) != 0 ||
        fill_random(ids->uuid, sizeof(ids->uuid)) != 0)
        return -1;
    /* VMware's form: an NAA type 6 identifier under VMware's OUI 00:0c:29
     * ("60 00 C2 9x ..."), which is what a guest sees with disk.EnableUUID. */
    ids->uuid[0] = 0x60;
    ids->uuid[1] = 0x00;
    ids->uuid[2] = 0xc2;
    ids->uuid[3] = (unsigned char)(0x90 | (ids->uuid[3] & 0x0f));
    return 0;
}

static void add_hex(vn_buf *b, const unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vn_buf_addf(b, "%02x", bytes[i]);
}

static void add_uuid(vn_buf *b, const unsigned char uuid[16])
{
    vn_buf_adds(b, "60 00 C2"); /* VMware writes the OUI part in capitals */
    for (size_t i = 3; i < 16; i++)
        vn_buf_addf(b, "%c%02x", i == 8 ? '-' : ' ', uuid[i]);
}

/* Header lines have no spaces around '=' and CID precedes parentCID: qemu's
 * probe matches them literally (formats.md 3.1). */
static void build_descriptor(vn_buf *d, const layout *l, const char *name, const char *adapter,
                             unsigned heads, const disk_ids *ids)
{
    uint64_t cylinders = div_round_up(l->capacity, (uint64_t)heads * 63);
    if (cylinders > 65535)
        cylinders = 65535;
    vn_buf_adds(d, "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\n");
    vn_buf_addf(d, "CID=%08x\nparentCID=ffffffff\n", (unsigned)ids->cid);
    vn_buf_adds(d, "createType=\"monolithicSparse\"\n\n# Extent description\n");
    vn_buf_addf(d, "RW %llu SPARSE \"%s\"\n\n", (unsigned long long)l->capacity, name);
    vn_buf_adds(d, "# The Disk Data Base\n#DDB\n\n");
    vn_buf_addf(d, "ddb.adapterType = \"%s\"\n", adapter);
    vn_buf_addf(d, "ddb.geometry.cylinders = \"%llu\"\n", (unsigned long long)cylinders);
    vn_buf_addf(d, "ddb.geometry.heads = \"%u\"\n", heads);
    vn_buf_adds(d, "ddb.geometry.sectors = \"63\"\n");
    /* VMware keeps the CID as the last 8 digits of longContentID. */
    vn_buf_adds(d, "ddb.longContentID = \"");
    add_hex(d, ids->long_id, sizeof(ids->long_id));
    vn_buf_addf(d, "%08x\"\n", (unsigned)ids->cid);
    vn_buf_adds(d, "ddb.uuid = \"");
    add_uuid(d, ids->uuid);
    vn_buf_adds(d, "\"\n");
    vn_buf_adds(d, "ddb.virtualHWVersion = \"4\"\n");
}

/* The extent line names the file by its base name in double quotes; a name
 * that cannot be written there would give a disk nobody can open. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int name_is_writable(const char *name)
{
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '"')
            return 0;
    return 1;
}

static int write_at(int fd, const void *data, size_t len, uint64_t off)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Writes the whole image into `fd`; returns 0 or an errno value. */
static int write_image(int fd, const layout *l, const vn_buf *descriptor)
{
    /* Set the length first: everything not written below reads as zeros. */
    if (ftruncate(fd, (off_t)(l->overhead * SECTOR)) != 0)
        return errno;

    unsigned char *head = vn_xcalloc(DESCRIPTOR_HEAD, SECTOR);
    encode_header(head, l);
    memcpy(head + DESC_OFFSET * SECTOR, descriptor->data, descriptor->len);
    int rc = write_at(fd, head, (size_t)DESCRIPTOR_HEAD * SECTOR, 0);
    free(head);
    if (rc != 0)
        return errno;

    const uint64_t dirs[2] = {l->rgd_offset, l->gd_offset};
    for (int i = 0; i < 2; i++) {
        unsigned char *dir = encode_directory(l, dirs[i]);
        rc = write_at(fd, dir, (size_t)(l->gd_sectors * SECTOR), dirs[i] * SECTOR);
        free(dir);
        if (rc != 0)
            return errno;
    }
    return fsync(fd) == 0 ? 0 : errno;
}

/* Opens a new sibling of `path` that nobody else can have opened: O_EXCL
 * with a random suffix, retried on the unlikely collision. The mode is
 * 0666 minus the umask, as for any new file. */
static int open_temp(const char *path, vn_buf *tmp)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned char r[6];
        if (fill_random(r, sizeof(r)) != 0)
            return -1;
        vn_buf_reset(tmp);
        vn_buf_addf(tmp, "%s.vnest-tmp.", path);
        add_hex(tmp, r, sizeof(r));
        int fd = open(tmp->data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Moves `tmp` to `path` only if `path` still does not exist, so a disk
 * created meanwhile by someone else is never clobbered. Returns 0 or errno
 * (EEXIST when we lost that race). */
static int publish(const char *tmp, const char *path)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    /* Kernels or filesystems without the flag say so with these; anything
     * else is a real answer. */
    if (errno != ENOSYS && errno != EINVAL && errno != ENOTSUP)
        return errno;
#endif
    /* link() never replaces an existing name either. */
    if (link(tmp, path) != 0)
        return errno;
    unlink(tmp);
    return 0;
}

/* Makes the new directory entry durable; best effort, as some filesystems
 * refuse fsync on directories. */
static void fsync_parent_dir(const char *path)
{
    char *copy = vn_xstrdup(path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(copy);
}

static int check_request(const char *path, uint64_t bytes, vn_error *err)
{
    struct stat st;
    if (bytes == 0)
        return vn_fail(err, VN_EINPUT, path, "disk size is zero (expected at least 1 byte)");
    if (bytes > MAX_CAPACITY_SECTORS * SECTOR)
        return vn_fail(err, VN_EINPUT, path,
                       "disk size %llu bytes is too large (a monolithicSparse disk holds at most "
                       "2 TiB: its grain tables use 32-bit sector numbers)",
                       (unsigned long long)bytes);
    if (!name_is_writable(base_name(path)))
        return vn_fail(err, VN_EINPUT, path,
                       "unusable disk file name (expected a file name without '\"' or control "
                       "characters)");
    if (lstat(path, &st) == 0)
        return vn_fail(err, VN_EINPUT, path, "already exists (refusing to overwrite)");
    return VN_OK;
}

int vn_vmdk_create_sparse(const char *path, uint64_t bytes, const char *adapter, vn_error *err)
{
    const char *adapter_written = NULL;
    unsigned heads = 0;
    if (adapter_info(adapter, &adapter_written, &heads) != 0)
        return vn_fail(err, VN_EINPUT, path,
                       "unknown adapter type \"%s\" (expected lsilogic, buslogic, ide, legacyESX "
                       "or pvscsi)",
                       adapter ? adapter : "");
    int rc = check_request(path, bytes, err);
    if (rc != VN_OK)
        return rc;

    layout l;
    plan_layout(div_round_up(bytes, SECTOR), &l);
    disk_ids ids;
    if (make_ids(&ids) != 0)
        return vn_fail(err, VN_ERUNTIME, path, "cannot get random numbers (%s)", strerror(errno));
    vn_buf descriptor = VN_BUF_INIT;
    build_descriptor(&descriptor, &l, base_name(path), adapter_written, heads, &ids);
    /* Keep at least one NUL inside the area: readers stop at the first one. */
    if (descriptor.len >= (size_t)DESC_SECTORS * SECTOR) {
        vn_buf_free(&descriptor);
        return vn_fail(err, VN_EINPUT, path, "disk file name too long for the descriptor");
    }

    vn_buf tmp = VN_BUF_INIT;
    int fd = open_temp(path, &tmp);
    if (fd < 0) {
        int e = errno;
        vn_buf_free(&descriptor);
        vn_buf_free(&tmp);
        return vn_fail(err, VN_ERUNTIME, path, "cannot create temporary file (%s)", strerror(e));
    }
    int e = write_image(fd, &l, &descriptor);
    vn_buf_free(&descriptor);
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0)
        e = publish(tmp.data, path);
    if (e != 0) {
        unlink(tmp.data);
        vn_buf_free(&tmp);
        if (e == EEXIST)
            return vn_fail(err, VN_EINPUT, path, "already exists (refusing to overwrite)");
        return vn_fail(err, VN_ERUNTIME, path, "cannot write disk (%s)", strerror(e));
    }
    vn_buf_free(&tmp);
    fsync_parent_dir(path);
    return VN_OK;
}
