/* vn_vim: a session with a vSphere endpoint (vCenter or ESXi) over the
 * vim25 SOAP API: service content, login, calls with one transparent
 * re-login when the session expired, logout. Every request body can be
 * recorded to a folder (VNEST_RECORD_DIR) so tests can check each one
 * against the vim25 schema's element order, which real servers enforce. */
#ifndef VN_VIM_H
#define VN_VIM_H

#include "vn_http.h"
#include "vn_soap.h"

/* Where and how to connect: the govc settings, same names and meanings. */
typedef struct vn_conn {
    char *url;      /* "https://host[:port]/sdk" (a bare host gets https:// and /sdk) */
    char *user;     /* GOVC_USERNAME, or the user part of GOVC_URL */
    char *password; /* GOVC_PASSWORD, the URL's, or a 0600 file; never from argv */
    vn_tls tls;
    char *datacenter, *datastore, *network, *pool, *folder, *host; /* GOVC_* defaults */
} vn_conn;

/* Reads the GOVC_* environment into `c` (all fields owned by `c`). */
void vn_conn_from_env(vn_conn *c);
/* Reads a password file: refused (VN_EINPUT) unless it is a regular file
 * readable by its owner only (mode 0600 or 0400). The last newline is
 * dropped. */
int vn_conn_password_file(vn_conn *c, const char *path, vn_error *err);
/* Sets a string field, replacing the old value. */
void vn_conn_set(char **field, const char *value);
void vn_conn_free(vn_conn *c);

typedef struct vn_mor {
    char type[48];
    char id[160];
} vn_mor;

typedef struct vn_vim {
    vn_http *http;
    char where[160];   /* host:port, for messages */
    char version[32];  /* the vim25 version used in SOAPAction */
    char api_type[32]; /* "VirtualCenter" or "HostAgent" */
    char api_version[32];
    char product[160]; /* about.fullName */
    char product_version[32];
    char build[32];
    vn_mor root, property_collector, view_manager, session_manager, search_index,
        virtual_disk_manager, ovf_manager, file_manager;
    char *user, *password; /* kept for a re-login; wiped on close */
    long calls;            /* SOAP calls made */
    int relogins;
} vn_vim;

/* Connects and logs in. A wrong password is VN_ERUNTIME "login failed". */
int vn_vim_connect(const vn_conn *c, vn_vim **out, vn_error *err);
/* Logs out (best effort) and frees everything. */
void vn_vim_close(vn_vim *vim);

/* Sends a complete request body (built with vn_xw_call_begin/end) and
 * parses the reply. A NotAuthenticated fault triggers one re-login and one
 * resend (the rejected call never ran). Faults are VN_ERUNTIME with the
 * fault's type in `fault` when it is not NULL. */
int vn_vim_call(vn_vim *vim, const vn_buf *body, vn_soap_reply *reply, vn_fault *fault,
                vn_error *err);

/* The same, returning the raw body of a successful reply in `resp` for a
 * streaming reader (large property reads). */
int vn_vim_call_raw(vn_vim *vim, const vn_buf *body, vn_buf *resp, vn_fault *fault, vn_error *err);

/* A second connection on the same session (it shares the session cookie),
 * for calls from another thread. Close it with vn_vim_close_dup (no
 * logout: the session belongs to the original). */
int vn_vim_dup(vn_vim *vim, vn_vim **out, vn_error *err);
void vn_vim_close_dup(vn_vim *dup);

/* Reads a MOR from an element. */
void vn_mor_from(const vn_xnode *node, vn_mor *mor);

#endif
