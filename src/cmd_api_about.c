/* vnest api about: what the endpoint is. */
#include <stdio.h>

#include "cli_conn.h"

static int run_about(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_conn conn;
    vn_vim *vim = NULL;
    int rc = cli_conn_open(cmd, ctx, args, &conn, &vim);
    if (rc == VN_OK) {
        if (ctx->json) {
            json_t *o = json_object();
            json_object_set_new(o, "url", json_string(conn.url));
            json_object_set_new(o, "product", json_string(vim->product));
            json_object_set_new(o, "version", json_string(vim->product_version));
            json_object_set_new(o, "build", json_string(vim->build));
            json_object_set_new(o, "api_type", json_string(vim->api_type));
            json_object_set_new(o, "api_version", json_string(vim->api_version));
            cli_json_emit(o);
        } else if (ctx->verbose >= 0) {
            printf("Product      %s\n", vim->product);
            printf("Version      %s (build %s)\n", vim->product_version, vim->build);
            printf("API          %s %s\n", vim->api_type, vim->api_version);
            printf("Endpoint     %s\n", vim->where);
        }
        vn_vim_close(vim);
    }
    vn_conn_free(&conn);
    return rc;
}

static const cli_opt opts[] = {CLI_CONN_OPTS, {0}};

const cli_cmd cmd_api_about = {
    "api about",
    "[connection options]",
    "Show the product, version and API version of a vCenter or ESXi",
    "Connects, logs in, prints what the endpoint says about itself and logs out. A quick way\n"
    "to check the URL, the credentials and the certificate trust." CLI_CONN_HELP,
    "$ GOVC_URL=https://vc.lab.local GOVC_USERNAME=administrator@vsphere.local \\\n"
    "  GOVC_PASSWORD=... vnest api about",
    0,
    0,
    opts,
    run_about,
};
