/* vn_ovaexport: VM folder -> OVA (see the header for the order of work). */
#include "vn_ovaexport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_ovaw.h"
#include "vn_ovfw.h"
#include "vn_streamvmdk.h"
#include "vn_vmdkio.h"
#include "vn_vmlock.h"
#include "vn_vmx.h"
#include "vn_vmx_hw.h"

/* The largest value a size can print as: the descriptor is reserved with
 * this in every size, so the real one is never longer. */
#define SIZE_PLACEHOLDER UINT64_MAX

typedef struct job {
    const vn_ovaexp_opts *o;
    vn_ovaexp_result *res;
    vn_vmx *vmx;
    vn_blk *src[VN_OVAEXP_MAX_DISKS];
    int rawfd[VN_OVAEXP_MAX_DISKS]; /* a raw image's own descriptor, for its holes; -1 */
    int ide[VN_OVAEXP_MAX_DISKS];   /* on an IDE bus: ddb.adapterType "ide" (16-head geometry) */
    vn_ovaw *w;
    size_t cur; /* disk being written (progress) */
} job;

/* "DIR/NAME.ova" -> "NAME" (the member names' stem). */
static void stem_of(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 4 && strcasecmp(base + len - 4, ".ova") == 0)
        len -= 4;
    snprintf(out, n, "%.*s", (int)len, base);
}

static void vm_name(const vn_vmx *vmx, const char *vmx_path, char *out, size_t n)
{
    const char *dn = vn_vmx_get(vmx, "displayName");
    if (dn && *dn) {
        snprintf(out, n, "%s", dn);
        return;
    }
    stem_of(vmx_path, out, n);
    size_t len = strlen(out);
    if (len > 4 && strcasecmp(out + len - 4, ".vmx") == 0)
        out[len - 4] = '\0';
}

/* Where errors about the input are placed: the VMX, or the API VM. */
static const char *where_of(const vn_ovaexp_opts *o)
{
    return o->vmx ? o->source : o->vmx_path;
}

/* Opens every disk the VMX names, relative to the VMX's folder (or, for a
 * VM read through the API, the local file given for it). */
static int open_disks(job *j, vn_error *err)
{
    vn_vmx_hw *hw = vn_xmalloc(sizeof(*hw));
    vn_vmx_hw_read(j->vmx, hw);
    const vn_vmx_dev *devs[VN_VMX_HW_MAX];
    size_t nd = vn_vmx_hw_disks(hw, devs, VN_VMX_HW_MAX);
    int rc = VN_OK;
    if (nd == 0)
        rc = vn_fail(err, VN_EINPUT, where_of(j->o),
                     "the VM has no disk (expected scsiX:Y, nvmeX:Y or sataX:Y with a fileName)");
    else if (nd > VN_OVAEXP_MAX_DISKS)
        rc = vn_fail(err, VN_EINPUT, where_of(j->o), "%zu disks (expected at most %d)", nd,
                     VN_OVAEXP_MAX_DISKS);
    const char *vp = j->o->vmx ? "" : j->o->vmx_path;
    const char *slash = strrchr(vp, '/');
    int dirlen = slash ? (int)(slash - vp) : 1;
    const char *dir = slash ? vp : ".";
    char stem[128];
    stem_of(j->o->out_path, stem, sizeof(stem));
    for (size_t i = 0; i < nd && rc == VN_OK; i++) {
        vn_ovaexp_disk *d = &j->res->disks[i];
        if (devs[i]->file[0] == '/' || j->o->vmx)
            snprintf(d->source, sizeof(d->source), "%s", devs[i]->file);
        else
            snprintf(d->source, sizeof(d->source), "%.*s/%s", dirlen, dir, devs[i]->file);
        snprintf(d->vmx_key, sizeof(d->vmx_key), "%s", devs[i]->prefix);
        j->ide[i] = devs[i]->bus == VN_BUS_IDE;
        snprintf(d->href, sizeof(d->href), "%s-disk%zu.vmdk", stem, i + 1);
        vn_error e2 = {0};
        const char *file = j->o->vmx ? j->o->disk_files[i] : d->source;
        if (vn_vmdk_open(file, 0, &j->src[i], &e2) != VN_OK) {
            char key[64];
            snprintf(key, sizeof(key), "%s.fileName", devs[i]->prefix);
            rc = vn_fail_at(err, VN_EINPUT, where_of(j->o), vn_vmx_line(j->vmx, key), "%s: %s%s%s",
                            key, e2.where[0] ? e2.where : file, e2.where[0] ? ": " : "", e2.msg);
            break;
        }
        vn_vmdk_info info;
        vn_vmdk_get_info(j->src[i], &info);
        if (strcmp(info.format, "raw") == 0)
            j->rawfd[i] = open(file, O_RDONLY | O_CLOEXEC);
        j->res->disks[i].capacity = (j->src[i]->size + 511) / 512 * 512;
        j->res->ndisks = i + 1;
    }
    free(hw);
    return rc;
}

static void fill_ovf_disks(const vn_ovaexp_result *r, vn_ovfw_disk *out, int placeholder)
{
    for (size_t i = 0; i < r->ndisks; i++)
        out[i] = (vn_ovfw_disk){r->disks[i].href, r->disks[i].capacity,
                                placeholder ? SIZE_PLACEHOLDER : r->disks[i].size,
                                placeholder ? SIZE_PLACEHOLDER : r->disks[i].populated};
}

static int render_ovf(job *j, int placeholder, vn_buf *out, vn_error *err)
{
    vn_ovfw_disk disks[VN_OVAEXP_MAX_DISKS];
    fill_ovf_disks(j->res, disks, placeholder);
    vn_ovfw_input in = {.vmx = j->vmx,
                        .vmx_name = where_of(j->o),
                        .rel = j->res->rel,
                        .name = j->res->name,
                        .disks = disks,
                        .ndisks = j->res->ndisks,
                        .props = j->o->props};
    return vn_ovfw_render(&in, out, err);
}

/* One line per file but the manifest itself, in archive order. */
static void manifest(const vn_ovaexp_result *r, vn_buf *out)
{
    vn_buf_addf(out, "SHA256(%s)= %s\n", r->ovf, r->ovf_sha256);
    for (size_t i = 0; i < r->ndisks; i++)
        vn_buf_addf(out, "SHA256(%s)= %s\n", r->disks[i].href, r->disks[i].sha256);
}

/* Whether a range of a raw image may hold data: SEEK_DATA finds the next
 * data at or after `off` (ENXIO: none up to the end). Any other answer, or
 * a file system without hole reporting, says "maybe", which is always safe. */
static int raw_maybe_data(void *ctx, uint64_t off, uint64_t len)
{
    off_t d = lseek(*(int *)ctx, (off_t)off, SEEK_DATA);
    if (d < 0)
        return errno == ENXIO ? 0 : 1;
    return (uint64_t)d < off + len;
}

static int to_member(void *ctx, const void *data, size_t len, vn_error *err)
{
    return vn_ovaw_write(ctx, data, len, err);
}

static void disk_progress(void *ctx, uint64_t done, uint64_t total)
{
    job *j = ctx;
    j->o->progress(j->o->progress_ctx, j->cur, j->res->ndisks, j->res->disks[j->cur].href, done,
                   total);
}

static int write_ova(job *j, vn_error *err)
{
    vn_ovaexp_result *r = j->res;
    vn_buf ovf = VN_BUF_INIT, mf = VN_BUF_INIT;
    int rc = render_ovf(j, 1, &ovf, err);
    /* The manifest's length: every digest is 64 hex digits. */
    memset(r->ovf_sha256, '0', 64);
    for (size_t i = 0; i < r->ndisks; i++)
        memset(r->disks[i].sha256, '0', 64);
    manifest(r, &mf);
    int ovf_slot = -1, mf_slot = -1;
    size_t ovf_len = ovf.len, mf_len = mf.len;
    if (rc == VN_OK)
        rc = vn_ovaw_open(j->o->out_path, &j->w, err);
    if (rc == VN_OK)
        rc = vn_ovaw_reserve(j->w, r->ovf, ovf_len, &ovf_slot, err);
    if (rc == VN_OK)
        rc = vn_ovaw_reserve(j->w, r->mf, mf_len, &mf_slot, err);
    for (size_t i = 0; i < r->ndisks && rc == VN_OK; i++) {
        vn_ovaexp_disk *d = &r->disks[i];
        j->cur = i;
        vn_svmdk_opts so = {.threads = j->o->threads,
                            .name = d->href,
                            /* "lsilogic" for every non-IDE bus, as VMware's own stream
                             * writers do: the OVF's controller Item decides the real one. */
                            .adapter = j->ide[i] ? "ide" : "lsilogic",
                            .progress = j->o->progress ? disk_progress : NULL,
                            .progress_ctx = j};
        if (j->rawfd[i] >= 0) {
            so.maybe_data = raw_maybe_data;
            so.maybe_data_ctx = &j->rawfd[i];
        }
        vn_svmdk_result sr = {0};
        rc = vn_ovaw_begin(j->w, d->href, err);
        if (rc == VN_OK)
            rc = vn_svmdk_write(j->src[i], &so, to_member, j->w, &sr, err);
        if (rc == VN_OK)
            rc = vn_ovaw_end(j->w, &d->size, d->sha256, err);
        d->populated = sr.populated;
    }
    if (rc == VN_OK) {
        vn_buf_reset(&ovf);
        rc = render_ovf(j, 0, &ovf, err);
    }
    if (rc == VN_OK && ovf.len > ovf_len)
        rc = vn_fail(err, VN_ERUNTIME, r->ovf, "internal: descriptor grew past its reservation");
    if (rc == VN_OK) {
        while (ovf.len < ovf_len - 1)
            vn_buf_addc(&ovf, ' ');
        if (ovf.len < ovf_len)
            vn_buf_addc(&ovf, '\n');
        vn_sha256_hex(ovf.data, ovf.len, r->ovf_sha256);
        rc = vn_ovaw_fill(j->w, ovf_slot, ovf.data, ovf.len, err);
    }
    if (rc == VN_OK) {
        vn_buf_reset(&mf);
        manifest(r, &mf);
        rc = vn_ovaw_fill(j->w, mf_slot, mf.data, mf.len, err);
    }
    if (rc == VN_OK) {
        vn_ovaw *w = j->w;
        j->w = NULL;
        rc = vn_ovaw_finish(w, err);
    }
    vn_buf_free(&ovf);
    vn_buf_free(&mf);
    return rc;
}

int vn_ova_export(const vn_ovaexp_opts *o, vn_ovaexp_result *res, vn_error *err)
{
    memset(res, 0, sizeof(*res));
    job j = {.o = o, .res = res};
    for (size_t i = 0; i < VN_OVAEXP_MAX_DISKS; i++)
        j.rawfd[i] = -1;
    int rc = VN_OK;
    if (o->vmx)
        j.vmx = (vn_vmx *)o->vmx; /* borrowed: never changed, not freed */
    else if ((rc = vn_vmx_load(o->vmx_path, &j.vmx, err)) != VN_OK)
        return rc;
    char lock[256];
    if (!o->vmx && vn_vm_in_use(o->vmx_path, lock, sizeof(lock))) {
        rc = vn_fail(err, VN_ERUNTIME, o->vmx_path,
                     "the VM is running or its files are in use (lock %s; expected a powered-off "
                     "VM: shut it down first)",
                     lock);
        goto out;
    }
    res->rel = o->rel;
    if (!res->rel) {
        const char *g = vn_vmx_get(j.vmx, "guestOS");
        res->rel = g ? vn_release_from_guest(g) : NULL;
        if (!res->rel) {
            rc = vn_fail_at(err, VN_EINPUT, where_of(o), vn_vmx_line(j.vmx, "guestOS"),
                            "guestOS \"%s\" names no ESXi release (expected vmkernel6..9, or "
                            "--esxi VER)",
                            g ? g : "");
            goto out;
        }
    }
    vm_name(j.vmx, o->vmx ? o->source : o->vmx_path, res->name, sizeof(res->name));
    char stem[128];
    stem_of(o->out_path, stem, sizeof(stem));
    snprintf(res->ovf, sizeof(res->ovf), "%s.ovf", stem);
    snprintf(res->mf, sizeof(res->mf), "%s.mf", stem);
    rc = open_disks(&j, err);
    if (rc == VN_OK)
        rc = write_ova(&j, err);
    if (rc == VN_OK) {
        struct stat st;
        if (stat(o->out_path, &st) == 0)
            res->ova_size = (uint64_t)st.st_size;
    }
out:
    vn_ovaw_abort(j.w);
    for (size_t i = 0; i < VN_OVAEXP_MAX_DISKS; i++)
        if (j.src[i]) {
            vn_blk_close(j.src[i]);
            if (j.rawfd[i] >= 0)
                close(j.rawfd[i]);
        }
    if (!o->vmx)
        vn_vmx_free(j.vmx);
    return rc;
}
