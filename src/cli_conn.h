/* Connection options shared by every command that talks to vCenter/ESXi.
 * Settings come from the govc environment (GOVC_URL, GOVC_USERNAME,
 * GOVC_PASSWORD, GOVC_INSECURE, GOVC_TLS_CA_CERTS, GOVC_TLS_KNOWN_HOSTS,
 * GOVC_DATACENTER, GOVC_DATASTORE, GOVC_NETWORK, GOVC_RESOURCE_POOL,
 * GOVC_FOLDER, GOVC_HOST), flags override them. A password is never
 * accepted on the command line. */
#ifndef VN_CLI_CONN_H
#define VN_CLI_CONN_H

#include "cli.h"
#include "vn_vim.h"

/* The option records, to splice into a command's table. */
#define CLI_CONN_OPTS                                                                              \
    {"url", 'u', "URL", "vCenter or ESXi: https://HOST[:PORT] (GOVC_URL)", NULL},                  \
        {"user", 0, "NAME", "user name (GOVC_USERNAME)", NULL},                                    \
        {"password-file", 0, "FILE",                                                               \
         "read the password from FILE, mode 0600 (else GOVC_PASSWORD)", NULL},                     \
        {"insecure", 'k', NULL, "do not verify the server certificate (GOVC_INSECURE)", NULL},     \
        {"ca-file", 0, "FILE", "trust the CA certificates in FILE (GOVC_TLS_CA_CERTS)", NULL},     \
        {"known-hosts", 0, "FILE", "pinned thumbprints, govc format (GOVC_TLS_KNOWN_HOSTS)",       \
         NULL},                                                                                    \
        {"thumbprint", 0, "SHA", "pin the server certificate's SHA-256 (or SHA-1) thumbprint",     \
         NULL},                                                                                    \
        {"datacenter", 0, "NAME", "datacenter (GOVC_DATACENTER)", NULL},                           \
        {"datastore", 0, "NAME", "datastore (GOVC_DATASTORE)", NULL},                              \
        {"pool", 0, "NAME", "resource pool (GOVC_RESOURCE_POOL)", NULL},                           \
        {"folder", 0, "NAME", "VM folder (GOVC_FOLDER)", NULL},                                    \
    {                                                                                              \
        "host", 0, "NAME", "ESXi host to place VMs on (GOVC_HOST)", NULL                           \
    }

#define CLI_CONN_HELP                                                                              \
    "\n\nConnection: the govc environment variables (GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD,\n"    \
    "GOVC_INSECURE, GOVC_TLS_CA_CERTS, GOVC_TLS_KNOWN_HOSTS, GOVC_DATACENTER, GOVC_DATASTORE,\n"   \
    "GOVC_NETWORK, GOVC_RESOURCE_POOL, GOVC_FOLDER, GOVC_HOST) work unchanged; flags override\n"   \
    "them. The certificate is verified unless --insecure; a host pinned in the known-hosts\n"      \
    "file must match its pin. A password is never taken from the command line."

/* Builds the settings from the environment and the flags; errors reported. */
int cli_conn_settings(const cli_cmd *cmd, const cli_args *args, vn_conn *conn);

/* Connect + login with settings already made, warning first when the
 * certificate is not verified (`insecure_source` names where that came
 * from: "--insecure", the lab file...); errors reported. */
int cli_conn_connect(const cli_ctx *ctx, vn_conn *conn, const char *insecure_source, vn_vim **vim);

/* Settings + connect + login; errors reported (returns the exit code). */
int cli_conn_open(const cli_cmd *cmd, const cli_ctx *ctx, const cli_args *args, vn_conn *conn,
                  vn_vim **vim);

#endif
