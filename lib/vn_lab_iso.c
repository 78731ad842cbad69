/* vn_lab_iso: the kickstart route's installer. One ISO serves every host of
 * the lab: the kickstart takes each host's identity from guestinfo.* at
 * first boot (S16), so nothing host-specific is baked in. It is built from
 * the lab file's installer ISO (vn_ks_generate, vn_iso_build) in a private
 * temporary folder and uploaded to the datastore over HTTP (/folder). */
#include "vn_lab_iso.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vn_buf.h"
#include "vn_file.h"
#include "vn_iso.h"
#include "vn_ks.h"
#include "vn_vimprop.h"
#include "vn_xmlw.h"

static int write_ks(const vn_labfile *lf, const char *path, vn_error *err)
{
    char *pw = NULL;
    int rc = vn_ks_read_password(lf->root_password_file, &pw, err);
    if (rc != VN_OK)
        return rc;
    char hash[160];
    rc = vn_ks_crypt(pw, hash, sizeof(hash), err);
    vn_ks_wipe_free(pw);
    if (rc != VN_OK)
        return rc;
    vn_ks_spec ks;
    memset(&ks, 0, sizeof(ks));
    ks.rel = lf->rel;
    ks.rootpw_hash = hash;
    ks.ssh = lf->ssh > 0;
    ks.vsan = lf->vsan_cache || lf->vsan_capacity;
    ks.network = VN_KS_NET_GUESTINFO;
    vn_buf b = VN_BUF_INIT;
    rc = vn_ks_generate(&ks, &b, err);
    if (rc == VN_OK)
        rc = vn_file_replace(path, b.data, b.len, 0600, err);
    vn_buf_free(&b);
    return rc;
}

static int name_of(vn_vim *vim, const vn_mor *obj, char *out, size_t len, vn_error *err);

/* "[ds] folder": created with its parents; one that exists is fine. */
static int make_folder(vn_vim *vim, const vn_lab *lab, vn_error *err)
{
    vn_buf b = VN_BUF_INIT, dir = VN_BUF_INIT;
    vn_buf_addf(&dir, "[%s] %s", lab->place.datastore_name, lab->lf->iso_folder);
    vn_xw_call_begin(&b, "MakeDirectory", vim->file_manager.type, vim->file_manager.id);
    vn_xw_str(&b, "name", dir.data);
    vn_xw_mor(&b, "datacenter", lab->place.datacenter.type, lab->place.datacenter.id);
    vn_xw_bool(&b, "createParentDirectories", 1);
    vn_xw_call_end(&b, "MakeDirectory");
    vn_soap_reply reply;
    vn_fault fault;
    memset(&fault, 0, sizeof(fault));
    int rc = vn_vim_call(vim, &b, &reply, &fault, err);
    if (rc == VN_OK)
        vn_soap_reply_free(&reply);
    else if (!strcmp(fault.type, "FileAlreadyExists"))
        rc = VN_OK;
    vn_buf_free(&b);
    vn_buf_free(&dir);
    return rc;
}

/* Percent-encodes a query or path component ('/' kept in paths). */
static void url_escape(vn_buf *b, const char *s, int keep_slash)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
            vn_buf_addc(b, (char)c);
        else
            vn_buf_addf(b, "%%%02X", c);
    }
}

static int upload(vn_vim *vim, const vn_lab *lab, const char *file, vn_error *err)
{
    char dc[256];
    int rc = name_of(vim, &lab->place.datacenter, dc, sizeof(dc), err);
    if (rc != VN_OK)
        return rc;
    rc = make_folder(vim, lab, err);
    if (rc != VN_OK)
        return rc;
    /* Mapped, not read: an installer ISO is hundreds of MiB. */
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = vn_fail(err, VN_ERUNTIME, file, "cannot read the ISO (%s)", strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    size_t len = (size_t)st.st_size;
    void *data = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (len && data == MAP_FAILED)
        return vn_fail(err, VN_ERUNTIME, file, "cannot map the ISO (%s)", strerror(errno));
    vn_buf path = VN_BUF_INIT, resp = VN_BUF_INIT, rel = VN_BUF_INIT;
    vn_buf_addf(&rel, "%s/%s-ks.iso", lab->lf->iso_folder, lab->lf->name);
    vn_buf_adds(&path, "/folder/");
    url_escape(&path, rel.data, 1);
    vn_buf_adds(&path, "?dcPath=");
    url_escape(&path, dc, 0);
    vn_buf_adds(&path, "&dsName=");
    url_escape(&path, lab->place.datastore_name, 0);
    long status = 0;
    rc = vn_http_put(vim->http, path.data, data, len, &resp, &status, err);
    if (rc == VN_OK && (status < 200 || status > 299))
        rc = vn_fail(err, VN_ERUNTIME, vim->where, "uploading %s to %s: HTTP %ld", lab->iso_ds_path,
                     path.data, status);
    if (len)
        munmap(data, len);
    vn_buf_free(&path);
    vn_buf_free(&resp);
    vn_buf_free(&rel);
    return rc;
}

typedef struct name_ctx {
    char *out;
    size_t len;
} name_ctx;

static int on_name(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    name_ctx *c = ctx;
    vn_prop_text(o, "name", c->out, c->len);
    return 1;
}

static int name_of(vn_vim *vim, const vn_mor *obj, char *out, size_t len, vn_error *err)
{
    static const char *const paths[] = {"name", NULL};
    name_ctx c = {out, len};
    out[0] = 0;
    return vn_vim_retrieve_objs(vim, obj, 1, paths, on_name, &c, err);
}

int vn_lab_iso_prepare(vn_vim *vim, const vn_lab *lab, vn_lab_note note, void *note_ctx,
                       vn_error *err)
{
    char tmpl[] = "/tmp/vnest-lab.XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    vn_buf dirb = VN_BUF_INIT;
    vn_buf_addf(&dirb, "%s/vnest-lab.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    char *dir = mkdtemp(dirb.data ? dirb.data : tmpl);
    if (!dir) {
        vn_buf_free(&dirb);
        return vn_fail(err, VN_ERUNTIME, "TMPDIR", "cannot make a temporary folder");
    }
    vn_buf ks = VN_BUF_INIT, iso = VN_BUF_INIT;
    vn_buf_addf(&ks, "%s/ks.cfg", dir);
    vn_buf_addf(&iso, "%s/%s-ks.iso", dir, lab->lf->name);
    if (note)
        note(note_ctx, "building the kickstart ISO");
    int rc = write_ks(lab->lf, ks.data, err);
    if (rc == VN_OK) {
        vn_iso_build_req req;
        memset(&req, 0, sizeof(req));
        req.from = lab->lf->iso;
        req.ks_path = ks.data;
        req.out = iso.data;
        vn_iso_build_res res;
        memset(&res, 0, sizeof(res));
        rc = vn_iso_build(&req, &res, err);
        vn_iso_build_res_free(&res);
    }
    if (rc == VN_OK) {
        if (note) {
            char line[600];
            snprintf(line, sizeof(line), "uploading %s", lab->iso_ds_path);
            note(note_ctx, line);
        }
        rc = upload(vim, lab, iso.data, err);
    }
    unlink(ks.data);
    unlink(iso.data);
    rmdir(dir);
    vn_buf_free(&ks);
    vn_buf_free(&iso);
    vn_buf_free(&dirb);
    return rc;
}
