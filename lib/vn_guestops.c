#include "vn_guestops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vn_vimprop.h"
#include "vn_xmlw.h"

/* ---- Bodies ---- */

void vn_guestops_auth_xml(vn_buf *b, const char *user, const char *password)
{
    /* GuestAuthentication: interactiveSession; NamePasswordAuthentication
     * adds username, password. */
    vn_xw_open_type(b, "auth", "NamePasswordAuthentication");
    vn_xw_bool(b, "interactiveSession", 0);
    vn_xw_str(b, "username", user);
    vn_xw_str(b, "password", password);
    vn_xw_close(b, "auth");
}

static void begin(vn_buf *b, const char *method, const vn_mor *this_, const vn_mor *vm,
                  const char *user, const char *password)
{
    vn_xw_call_begin(b, method, this_->type, this_->id);
    vn_xw_mor(b, "vm", vm->type, vm->id);
    vn_guestops_auth_xml(b, user, password);
}

void vn_guestops_upload_body(vn_buf *b, const vn_mor *fm, const vn_mor *vm, const char *user,
                             const char *password, const char *guest_path, long long size, int mode,
                             int overwrite)
{
    begin(b, "InitiateFileTransferToGuest", fm, vm, user, password);
    vn_xw_str(b, "guestFilePath", guest_path);
    /* GuestFileAttributes: modificationTime, accessTime, symlinkTarget;
     * GuestPosixFileAttributes adds ownerId, groupId, permissions. */
    vn_xw_open_type(b, "fileAttributes", "GuestPosixFileAttributes");
    vn_xw_int(b, "permissions", mode);
    vn_xw_close(b, "fileAttributes");
    vn_xw_int(b, "fileSize", size);
    vn_xw_bool(b, "overwrite", overwrite);
    vn_xw_call_end(b, "InitiateFileTransferToGuest");
}

void vn_guestops_download_body(vn_buf *b, const vn_mor *fm, const vn_mor *vm, const char *user,
                               const char *password, const char *guest_path)
{
    begin(b, "InitiateFileTransferFromGuest", fm, vm, user, password);
    vn_xw_str(b, "guestFilePath", guest_path);
    vn_xw_call_end(b, "InitiateFileTransferFromGuest");
}

void vn_guestops_start_body(vn_buf *b, const vn_mor *pm, const vn_mor *vm, const char *user,
                            const char *password, const char *program, const char *args,
                            const char *workdir)
{
    begin(b, "StartProgramInGuest", pm, vm, user, password);
    /* GuestProgramSpec: programPath, arguments, workingDirectory, envVariables. */
    vn_xw_open(b, "spec");
    vn_xw_str(b, "programPath", program);
    vn_xw_str(b, "arguments", args ? args : "");
    vn_xw_str(b, "workingDirectory", workdir);
    vn_xw_close(b, "spec");
    vn_xw_call_end(b, "StartProgramInGuest");
}

void vn_guestops_list_body(vn_buf *b, const vn_mor *pm, const vn_mor *vm, const char *user,
                           const char *password, const long long *pids, size_t npids)
{
    begin(b, "ListProcessesInGuest", pm, vm, user, password);
    for (size_t i = 0; i < npids; i++)
        vn_xw_int(b, "pids", pids[i]);
    vn_xw_call_end(b, "ListProcessesInGuest");
}

/* ---- Calls carrying the guest password ---- */

static int nothing(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)ctx;
    (void)obj;
    (void)o;
    return 1;
}

/* Posts without vn_vim_call so the body (it holds the guest password) is
 * not recorded to VNEST_RECORD_DIR. */
static int secret_post(vn_vim *vim, const vn_buf *body, vn_soap_reply *reply, vn_fault *fault,
                       vn_error *err)
{
    char action[64];
    snprintf(action, sizeof(action), "urn:vim25/%s", vim->version);
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    vim->calls++;
    int rc = vn_http_post(vim->http, "/sdk", action, body->data, body->len, &resp, &status, err);
    if (rc == VN_OK)
        rc = vn_soap_parse(resp.data, resp.len, status, vim->where, reply, fault, err);
    vn_buf_free(&resp);
    return rc;
}

/* Sends `body` and wipes it. An expired session (NotAuthenticated) is
 * renewed by one ordinary call, which logs in again, and the body is sent
 * once more: the rejected call never ran. */
static int secret_call(vn_vim *vim, vn_buf *body, vn_soap_reply *reply, vn_fault *fault,
                       vn_error *err)
{
    int rc = secret_post(vim, body, reply, fault, err);
    if (rc != VN_OK && strcmp(fault->type, "NotAuthenticated") == 0) {
        static const char *const paths[] = {"name", NULL};
        vn_error_clear(err);
        rc = vn_vim_retrieve_objs(vim, &vim->root, 1, paths, nothing, NULL, err);
        if (rc == VN_OK)
            rc = secret_post(vim, body, reply, fault, err);
    }
    explicit_bzero(body->data, body->len);
    return rc;
}

int vn_guestops_fault_guest_gone(const vn_fault *f)
{
    static const char *const gone[] = {"GuestOperationsUnavailable", "ToolsUnavailable",
                                       "InvalidPowerState",          "InvalidState",
                                       "GuestComponentsOutOfDate",   NULL};
    for (int i = 0; gone[i]; i++) {
        if (strcmp(f->type, gone[i]) == 0)
            return 1;
    }
    return 0;
}

/* Rewrites a guest-operation fault as a one-line error naming the VM. */
static int guest_fault(vn_guestops *g, const vn_mor *vm, const char *what, const vn_fault *f,
                       int rc, vn_error *err)
{
    const char *t = f->type;
    if (!t[0])
        return rc; /* a transport error: already says what happened */
    if (!strcmp(t, "InvalidGuestLogin"))
        return vn_fail(err, VN_ERUNTIME, vm->id,
                       "the guest refused the login of user \"%s\" (InvalidGuestLogin): check "
                       "the guest password file",
                       g->user);
    if (!strcmp(t, "GuestOperationsUnavailable") || !strcmp(t, "ToolsUnavailable"))
        return vn_fail(err, VN_ERUNTIME, vm->id,
                       "guest operations are unavailable (%s): VMware Tools are not running in "
                       "the guest, or not ready yet",
                       t);
    if (!strcmp(t, "InvalidPowerState"))
        return vn_fail(err, VN_ERUNTIME, vm->id,
                       "the VM is not powered on (InvalidPowerState): power it on and wait for "
                       "VMware Tools");
    if (!strcmp(t, "GuestPermissionDenied"))
        return vn_fail(err, VN_ERUNTIME, vm->id,
                       "user \"%s\" may not %s in the guest (GuestPermissionDenied)", g->user,
                       what);
    if (!strcmp(t, "FileNotFound"))
        return vn_fail(err, VN_ERUNTIME, vm->id, "cannot %s: no such file in the guest (%s)", what,
                       t);
    return vn_fail(err, VN_ERUNTIME, vm->id, "cannot %s: %s%s%s", what, t,
                   f->message[0] ? ": " : "", f->message);
}

static int guest_call(vn_guestops *g, const vn_mor *vm, const char *what, vn_buf *body,
                      vn_soap_reply *reply, vn_fault *fault, vn_error *err)
{
    vn_fault local;
    if (!fault)
        fault = &local;
    memset(fault, 0, sizeof(*fault));
    int rc = secret_call(g->vim, body, reply, fault, err);
    if (rc != VN_OK)
        return guest_fault(g, vm, what, fault, rc, err);
    return VN_OK;
}

/* ---- Open ---- */

static int on_gom(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    vn_guestops *g = ctx;
    vn_mor_from(vn_prop_find(o, "fileManager"), &g->file_manager);
    vn_mor_from(vn_prop_find(o, "processManager"), &g->process_manager);
    return 1;
}

int vn_guestops_open(vn_guestops *g, vn_vim *vim, const vn_tls *tls, const char *user,
                     const char *password, vn_error *err)
{
    memset(g, 0, sizeof(*g));
    g->vim = vim;
    g->tls = tls;
    g->user = vn_xstrdup(user ? user : "");
    g->password = vn_xstrdup(password ? password : "");
    /* vn_vim keeps only the managers it uses everywhere: read this one. */
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "RetrieveServiceContent", "ServiceInstance", "ServiceInstance");
    vn_xw_call_end(&b, "RetrieveServiceContent");
    vn_soap_reply reply;
    int rc = vn_vim_call(vim, &b, &reply, NULL, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    vn_mor gom;
    memset(&gom, 0, sizeof(gom));
    vn_mor_from(vn_xn_first(vn_xn_first(reply.result, "returnval"), "guestOperationsManager"),
                &gom);
    vn_soap_reply_free(&reply);
    if (!gom.id[0])
        return vn_fail(err, VN_ERUNTIME, vim->where,
                       "the server offers no guest operations (no guestOperationsManager)");
    if (!gom.type[0])
        snprintf(gom.type, sizeof(gom.type), "GuestOperationsManager");
    static const char *const paths[] = {"fileManager", "processManager", NULL};
    rc = vn_vim_retrieve_objs(vim, &gom, 1, paths, on_gom, g, err);
    if (rc != VN_OK)
        return rc;
    if (!g->file_manager.id[0] || !g->process_manager.id[0])
        return vn_fail(err, VN_ERUNTIME, vim->where,
                       "the server's guest operations lack a file or process manager");
    return VN_OK;
}

void vn_guestops_close(vn_guestops *g)
{
    if (g->password) {
        explicit_bzero(g->password, strlen(g->password));
        free(g->password);
    }
    free(g->user);
    memset(g, 0, sizeof(*g));
}

/* ---- Files ---- */

static int transfer_status(const vn_mor *vm, const char *what, long status, vn_error *err)
{
    if (status >= 200 && status < 300)
        return VN_OK;
    return vn_fail(err, VN_ERUNTIME, vm->id, "cannot %s: the transfer URL answered HTTP %ld", what,
                   status);
}

int vn_guestops_upload(vn_guestops *g, const vn_mor *vm, const char *guest_path, const void *data,
                       size_t len, int mode, vn_fault *fault, vn_error *err)
{
    char what[300];
    snprintf(what, sizeof(what), "upload %s", guest_path);
    vn_buf b = VN_BUF_INIT;
    vn_guestops_upload_body(&b, &g->file_manager, vm, g->user, g->password, guest_path,
                            (long long)len, mode, 1);
    vn_soap_reply reply;
    int rc = guest_call(g, vm, what, &b, &reply, fault, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    char *url = vn_xn_strdup(vn_xn_first(reply.result, "returnval"));
    vn_soap_reply_free(&reply);
    if (!url || !url[0]) {
        free(url);
        return vn_fail(err, VN_ERUNTIME, vm->id, "cannot %s: the server sent no transfer URL",
                       what);
    }
    vn_buf resp = VN_BUF_INIT;
    long status = 0;
    rc = vn_http_put_url(g->vim->http, g->tls, url, data, len, &resp, &status, err);
    free(url);
    vn_buf_free(&resp);
    if (rc == VN_OK)
        rc = transfer_status(vm, what, status, err);
    return rc;
}

int vn_guestops_download(vn_guestops *g, const vn_mor *vm, const char *guest_path, vn_buf *out,
                         size_t max, vn_fault *fault, vn_error *err)
{
    char what[300];
    snprintf(what, sizeof(what), "download %s", guest_path);
    vn_buf b = VN_BUF_INIT;
    vn_guestops_download_body(&b, &g->file_manager, vm, g->user, g->password, guest_path);
    vn_soap_reply reply;
    int rc = guest_call(g, vm, what, &b, &reply, fault, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    char *url = vn_xn_strdup(vn_xn_first(vn_xn_first(reply.result, "returnval"), "url"));
    vn_soap_reply_free(&reply);
    if (!url || !url[0]) {
        free(url);
        return vn_fail(err, VN_ERUNTIME, vm->id, "cannot %s: the server sent no transfer URL",
                       what);
    }
    vn_buf_reset(out);
    long status = 0;
    rc = vn_http_get_url(g->vim->http, g->tls, url, out, &status, err);
    free(url);
    if (rc == VN_OK)
        rc = transfer_status(vm, what, status, err);
    if (rc == VN_OK && out->len > max)
        rc = vn_fail(err, VN_ERUNTIME, vm->id, "cannot %s: larger than %zu bytes", what, max);
    return rc;
}

/* ---- Processes ---- */

int vn_guestops_start(vn_guestops *g, const vn_mor *vm, const char *program, const char *args,
                      long long *pid, vn_fault *fault, vn_error *err)
{
    char what[300];
    snprintf(what, sizeof(what), "start %s", program);
    vn_buf b = VN_BUF_INIT;
    vn_guestops_start_body(&b, &g->process_manager, vm, g->user, g->password, program, args, NULL);
    vn_soap_reply reply;
    int rc = guest_call(g, vm, what, &b, &reply, fault, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    char buf[32];
    vn_xn_text(vn_xn_first(reply.result, "returnval"), buf, sizeof(buf));
    vn_soap_reply_free(&reply);
    char *end;
    *pid = strtoll(buf, &end, 10);
    if (!buf[0] || *end || *pid <= 0)
        return vn_fail(err, VN_ERUNTIME, vm->id, "cannot %s: the server returned pid \"%s\"", what,
                       buf);
    return VN_OK;
}

int vn_guestops_process(vn_guestops *g, const vn_mor *vm, long long pid, vn_guest_proc *out,
                        vn_fault *fault, vn_error *err)
{
    memset(out, 0, sizeof(*out));
    vn_buf b = VN_BUF_INIT;
    vn_guestops_list_body(&b, &g->process_manager, vm, g->user, g->password, &pid, 1);
    vn_soap_reply reply;
    int rc = guest_call(g, vm, "list processes", &b, &reply, fault, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    for (const vn_xnode *p = vn_xn_first(reply.result, "returnval"); p;
         p = vn_xn_next(p, "returnval")) {
        char buf[32];
        if (strtoll(vn_xn_text(vn_xn_first(p, "pid"), buf, sizeof(buf)), NULL, 10) != pid)
            continue;
        out->found = 1;
        out->ended = vn_xn_first(p, "endTime") != NULL;
        const vn_xnode *code = vn_xn_first(p, "exitCode");
        if (code) {
            out->has_exit = 1;
            out->exit_code = (int)strtol(vn_xn_text(code, buf, sizeof(buf)), NULL, 10);
        }
        break;
    }
    vn_soap_reply_free(&reply);
    return VN_OK;
}

typedef struct state_ctx {
    char *power, *tools;
    size_t npower, ntools;
} state_ctx;

static int on_state(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    state_ctx *s = ctx;
    vn_prop_text(o, "runtime.powerState", s->power, s->npower);
    vn_prop_text(o, "guest.toolsRunningStatus", s->tools, s->ntools);
    return 1;
}

int vn_guestops_vm_state(vn_vim *vim, const vn_mor *vm, char *power, size_t npower, char *tools,
                         size_t ntools, vn_error *err)
{
    static const char *const paths[] = {"runtime.powerState", "guest.toolsRunningStatus", NULL};
    state_ctx s = {power, tools, npower, ntools};
    power[0] = tools[0] = '\0';
    int rc = vn_vim_retrieve_objs(vim, vm, 1, paths, on_state, &s, err);
    if (rc == VN_OK && !power[0])
        return vn_fail(err, VN_ERUNTIME, vm->id, "the VM disappeared");
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vn_guestops_wait(vn_guestops *g, const vn_mor *vm, long long pid, int timeout_s,
                     vn_guest_wait *out, vn_error *err)
{
    memset(out, 0, sizeof(*out));
    double end = now_s() + timeout_s;
    long delay_ms = 250;
    int ended_ok = 0; /* exit code 0 (or gone): only the power-off is missing */
    for (;;) {
        char power[32], tools[64];
        int rc = vn_guestops_vm_state(g->vim, vm, power, sizeof(power), tools, sizeof(tools), err);
        if (rc != VN_OK)
            return rc;
        if (!strcmp(power, "poweredOff")) {
            out->powered_off = 1;
            return VN_OK;
        }
        if (!ended_ok) {
            vn_guest_proc p;
            vn_fault f;
            rc = vn_guestops_process(g, vm, pid, &p, &f, err);
            if (rc != VN_OK) {
                if (!vn_guestops_fault_guest_gone(&f))
                    return rc;
                vn_error_clear(err); /* the guest is going down */
            } else if (p.ended || !p.found) {
                if (p.has_exit && p.exit_code != 0) {
                    out->exited = 1;
                    out->exit_code = p.exit_code;
                    return VN_OK;
                }
                ended_ok = 1;
            }
        }
        if (now_s() >= end) {
            if (ended_ok)
                return vn_fail(err, VN_ERUNTIME, vm->id,
                               "the guest program (pid %lld) ended, but the VM was still powered "
                               "on after %d s",
                               pid, timeout_s);
            return vn_fail(err, VN_ERUNTIME, vm->id,
                           "the guest program (pid %lld) did not finish within %d s (--timeout)",
                           pid, timeout_s);
        }
        usleep((useconds_t)delay_ms * 1000);
        delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
    }
}
