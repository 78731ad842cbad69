/* What the four `vnest lab` commands share: opening the lab file and the
 * connection it names, progress lines, and the final report. */
#ifndef VN_CMD_LAB_COMMON_H
#define VN_CMD_LAB_COMMON_H

#include "cli_conn.h"
#include "vn_lab.h"

/* The options every lab command takes (spliced into each table). */
#define LAB_COMMON_OPTS                                                                            \
    {"parallel", 'j', "N", "hosts created, powered or removed at a time (default 8)", NULL},       \
        CLI_CONN_OPTS

#define LAB_CONN_HELP                                                                              \
    "\n\nConnection: the lab file's connection section; what it leaves out comes from the govc\n"  \
    "environment (GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD, GOVC_INSECURE, GOVC_TLS_CA_CERTS,\n"     \
    "GOVC_TLS_KNOWN_HOSTS); flags override both. The certificate is verified unless insecure.\n"   \
    "A password is never taken from the command line or the lab file, only from a 0600 file\n"     \
    "(password-file) or GOVC_PASSWORD."

typedef struct lab_session {
    vn_labfile lf;
    vn_conn conn;
    vn_vim *vim;
    vn_lab lab;
    vn_lab_opts opts;
    int tty;   /* progress redrawn on one terminal line */
    int lines; /* progress as plain lines on stderr */
} lab_session;

/* Loads the lab file, connects, reads the inventory (only the VMs with
 * `vms_only`). Errors reported; the return is the exit code. lab_close()
 * in every case. */
int lab_open(const cli_cmd *cmd, const cli_ctx *ctx, const cli_args *args, int vms_only,
             lab_session *s);
void lab_close(lab_session *s);

/* "N" within [min, max] for `flag`, or the default when absent. */
int lab_int_opt(const cli_cmd *cmd, const cli_args *args, const char *name, int min, int max,
                int *out);

/* The hosts as a table (or JSON with `extra` merged into the document). */
void lab_report(const cli_ctx *ctx, lab_session *s, const char *what, json_t *extra);

/* Ends a progress line on a terminal. */
void lab_progress_end(lab_session *s);

const char *lab_route_name(const vn_labfile *lf);

#endif
