/* vn_guestops: vSphere guest operations, the way into a running guest
 * through its VMware Tools (S16: VMware Tools for Nested ESXi answer them):
 * GuestFileManager uploads and downloads (InitiateFileTransferToGuest /
 * FromGuest, then an HTTP PUT or GET of the bytes on the URL the server
 * hands out) and GuestProcessManager runs and watches programs
 * (StartProgramInGuest, ListProcessesInGuest).
 *
 * Every call carries the guest credentials (NamePasswordAuthentication).
 * Those request bodies are never recorded to VNEST_RECORD_DIR, like the
 * Login body, and are wiped after sending. */
#ifndef VN_GUESTOPS_H
#define VN_GUESTOPS_H

#include "vn_vim.h"

typedef struct vn_guestops {
    vn_vim *vim;
    const vn_tls *tls; /* trust for a transfer URL on another host (vCenter hands
                        * out the ESXi host's); NULL: such URLs are refused */
    vn_mor file_manager, process_manager;
    char *user, *password; /* guest credentials, owned, wiped on close */
} vn_guestops;

/* Finds the GuestOperationsManager's file and process managers (service
 * content, then one property read) and keeps the credentials. A server
 * without guest operations is VN_ERUNTIME. `tls` must outlive `g`. */
int vn_guestops_open(vn_guestops *g, vn_vim *vim, const vn_tls *tls, const char *user,
                     const char *password, vn_error *err);
void vn_guestops_close(vn_guestops *g);

/* ---- Request bodies (vim25 element order), for the calls below and tests ---- */

/* <auth xsi:type="NamePasswordAuthentication">: interactiveSession false,
 * username, password. */
void vn_guestops_auth_xml(vn_buf *b, const char *user, const char *password);
/* InitiateFileTransferToGuest: vm, auth, guestFilePath, fileAttributes
 * (GuestPosixFileAttributes with `mode`, e.g. 0755), fileSize, overwrite. */
void vn_guestops_upload_body(vn_buf *b, const vn_mor *fm, const vn_mor *vm, const char *user,
                             const char *password, const char *guest_path, long long size, int mode,
                             int overwrite);
/* InitiateFileTransferFromGuest: vm, auth, guestFilePath. */
void vn_guestops_download_body(vn_buf *b, const vn_mor *fm, const vn_mor *vm, const char *user,
                               const char *password, const char *guest_path);
/* StartProgramInGuest: vm, auth, spec (programPath, arguments, and
 * workingDirectory when not NULL). */
void vn_guestops_start_body(vn_buf *b, const vn_mor *pm, const vn_mor *vm, const char *user,
                            const char *password, const char *program, const char *args,
                            const char *workdir);
/* ListProcessesInGuest: vm, auth, pids (none: every process). */
void vn_guestops_list_body(vn_buf *b, const vn_mor *pm, const vn_mor *vm, const char *user,
                           const char *password, const long long *pids, size_t npids);

/* ---- Calls ----
 * Faults become one-line VN_ERUNTIME errors naming `vm`'s id, with advice:
 * InvalidGuestLogin (wrong guest user or password), GuestOperationsUnavailable
 * and ToolsUnavailable (VMware Tools not answering), InvalidPowerState,
 * GuestPermissionDenied, FileNotFound. `fault` (may be NULL) gets the fault
 * type for callers that branch on it. */

/* Uploads `len` bytes as `guest_path` with POSIX `mode`, replacing an
 * existing file. */
int vn_guestops_upload(vn_guestops *g, const vn_mor *vm, const char *guest_path, const void *data,
                       size_t len, int mode, vn_fault *fault, vn_error *err);

/* Downloads `guest_path` into `out` (replacing its content), at most
 * `max` bytes (a longer file is an error). */
int vn_guestops_download(vn_guestops *g, const vn_mor *vm, const char *guest_path, vn_buf *out,
                         size_t max, vn_fault *fault, vn_error *err);

/* Starts `program` with `args` (one string, as the guest's shell reads it)
 * and returns its process id. */
int vn_guestops_start(vn_guestops *g, const vn_mor *vm, const char *program, const char *args,
                      long long *pid, vn_fault *fault, vn_error *err);

typedef struct vn_guest_proc {
    int found;     /* the guest still lists the pid */
    int ended;     /* endTime is set */
    int has_exit;  /* exitCode is set */
    int exit_code; /* when has_exit */
} vn_guest_proc;

/* What the guest says about process `pid`. */
int vn_guestops_process(vn_guestops *g, const vn_mor *vm, long long pid, vn_guest_proc *out,
                        vn_fault *fault, vn_error *err);

/* 1 for the faults a guest that is shutting down (or off) answers with:
 * GuestOperationsUnavailable, ToolsUnavailable, InvalidPowerState,
 * InvalidState, GuestOperationsFault's "tools not running" kin. */
int vn_guestops_fault_guest_gone(const vn_fault *fault);

typedef struct vn_guest_wait {
    int powered_off; /* the VM reached poweredOff */
    int exited;      /* the process ended with a non-zero code, the VM still on */
    int exit_code;   /* when exited */
} vn_guest_wait;

/* Waits for a program that ends by powering its guest off: polls the VM's
 * runtime.powerState and ListProcessesInGuest (every 0.25 s at first, at
 * most every 2 s) until the VM is powered off (success: powered_off) or the
 * process ends with a non-zero exit code while the VM is still on (exited,
 * exit_code; the caller reads the log). An exit code of 0 keeps waiting
 * for the power-off. While the guest goes down, guest operations fail with
 * the faults of vn_guestops_fault_guest_gone(); those only keep it waiting.
 * Runs out after `timeout_s` (VN_ERUNTIME). */
int vn_guestops_wait(vn_guestops *g, const vn_mor *vm, long long pid, int timeout_s,
                     vn_guest_wait *out, vn_error *err);

/* The VM's runtime.powerState and guest.toolsRunningStatus, into buffers. */
int vn_guestops_vm_state(vn_vim *vim, const vn_mor *vm, char *power, size_t npower, char *tools,
                         size_t ntools, vn_error *err);

#endif
