#include "vn_vmxop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_buf.h"
#include "vn_file.h"
#include "vn_profile_vmx.h"
#include "vn_vmlock.h"

int vn_vmxop_check(const char *path, const char *esxi, unsigned role, vn_vmx_report *r,
                   vn_error *err)
{
    memset(r, 0, sizeof(*r));
    r->role = role;
    r->path = vn_xstrdup(path);
    if (esxi) {
        r->rel = vn_release_parse(esxi, "--esxi", err);
        if (!r->rel)
            return err->code;
        r->release_from = "--esxi";
    }
    int rc = vn_vmx_load(path, &r->vmx, err);
    if (rc != VN_OK)
        return rc;
    if (!r->rel) {
        r->rel = vn_profile_vmx_release(r->vmx);
        r->release_from = "guestOS";
    }
    if (!r->rel) {
        r->rel = vn_release_get(VN_ESXI_DEFAULT);
        r->release_from = "default";
    }
    vn_profile_vmx_check(r->vmx, r->rel, role, &r->findings);
    return VN_OK;
}

int vn_vmxop_fix(vn_vmx_report *r, int dry_run, int force, vn_error *err)
{
    char lock[256];
    if (!dry_run && !force && vn_vm_in_use(r->path, lock, sizeof(lock)))
        return vn_fail(err, VN_ERUNTIME, r->path,
                       "the VM is running or locked (%s beside it); power it off first, or use "
                       "--force if the lock is stale",
                       lock);
    r->changed = vn_profile_vmx_apply(r->vmx, &r->findings);
    if (dry_run || r->changed == 0)
        return VN_OK;

    vn_buf orig = VN_BUF_INIT;
    vn_buf_addf(&orig, "%s.orig", r->path);
    int rc = vn_file_backup_once(r->path, orig.data, err);
    vn_buf_free(&orig);
    if (rc < 0 || rc > 1)
        return rc;
    r->backup = rc == 1;

    vn_buf out = VN_BUF_INIT;
    vn_vmx_write(r->vmx, &out);
    rc = vn_file_replace(r->path, out.data, out.len, 0644, err);
    vn_buf_free(&out);
    if (rc == VN_OK)
        r->written = 1;
    return rc;
}

void vn_vmx_report_free(vn_vmx_report *r)
{
    free(r->path);
    vn_vmx_free(r->vmx);
    vn_findings_free(&r->findings);
    memset(r, 0, sizeof(*r));
}
