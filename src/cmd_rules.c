/* vnest rules: the profile table, as the rule reference. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vn_profile.h"
#include "vn_profile_vmx.h"

static void surfaces_text(unsigned s, char *out, size_t n)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{VN_SURF_VMX, "vmx"},
                 {VN_SURF_API, "api"},
                 {VN_SURF_OVF, "ovf"},
                 {VN_SURF_KS, "ks"},
                 {VN_SURF_DISK, "disk"}};
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(s & names[i].bit))
            continue;
        if (out[0])
            strncat(out, ",", n - strlen(out) - 1);
        strncat(out, names[i].name, n - strlen(out) - 1);
    }
}

static void releases_json(json_t *o, unsigned mask)
{
    json_t *arr = json_array();
    for (int r = 0; r < VN_ESXI_COUNT; r++)
        if (mask & VN_REL(r))
            json_array_append_new(arr, json_string(vn_release_get((vn_release_id)r)->name));
    json_object_set_new(o, "releases", arr);
}

static int run_rules(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    vn_error err = {0};
    const vn_release *rel = NULL;
    const char *esxi = cli_get(cmd, args, "esxi");
    if (esxi && !(rel = vn_release_parse(esxi, "--esxi", &err)))
        return cli_report(&err);
    unsigned role = VN_ROLE_ANY;
    const char *role_text = cli_get(cmd, args, "role");
    if (role_text && !(role = vn_role_parse(role_text)))
        return cli_fail(VN_EINPUT, "--role", "unknown role \"%s\" (expected host or template)",
                        role_text);

    json_t *arr = json_array();
    static const char *const head[] = {"RULE",     "SEED",     "SEVERITY", "ROLES",
                                       "RELEASES", "SURFACES", "SUMMARY"};
    cli_table *t = cli_table_new(7, head);
    for (size_t i = 0; i < vn_rule_count(); i++) {
        const vn_rule *r = vn_rule_at(i);
        if (rel && !(r->releases & VN_REL(rel->id)))
            continue;
        if (!(r->roles & role))
            continue;
        char surf[64], rels[64];
        surfaces_text(r->surfaces, surf, sizeof(surf));
        vn_release_mask_text(r->releases, rels, sizeof(rels));
        const char *roles = r->roles == VN_ROLE_ANY ? "any" : vn_role_name(r->roles);
        const char *cells[] = {
            r->id,     *r->seed ? r->seed : "-", vn_severity_name(r->severity), roles, rels, surf,
            r->summary};
        cli_table_row(t, cells);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(r->id));
        json_object_set_new(o, "seed", json_string(r->seed));
        json_object_set_new(o, "severity", json_string(vn_severity_name(r->severity)));
        json_object_set_new(o, "roles", json_string(roles));
        releases_json(o, r->releases);
        json_object_set_new(o, "surfaces", json_string(surf));
        json_object_set_new(o, "summary", json_string(r->summary));
        json_object_set_new(o, "rationale", json_string(r->rationale));
        json_array_append_new(arr, o);
    }
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "esxi", rel ? json_string(rel->name) : json_null());
        json_object_set_new(doc, "rules", arr);
        cli_json_emit(doc);
    } else {
        json_decref(arr);
        cli_table_print(t, stdout);
        if (ctx->verbose > 0) {
            for (size_t i = 0; i < vn_rule_count(); i++)
                printf("\n%s: %s\n", vn_rule_at(i)->id, vn_rule_at(i)->rationale);
        }
    }
    cli_table_free(t);
    return VN_OK;
}

static const cli_opt opts[] = {
    {"esxi", 0, "VER", "only the rules that apply to this ESXi release",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {"role", 0, "ROLE", "only the rules for this role: host or template", "host template"},
    {0},
};

const cli_cmd cmd_rules = {
    "rules",
    "[--esxi VER] [--role host|template]",
    "List the rules of the Nested ESXi profile",
    "Every check and fix in vnest applies one table of rules, written down once from the\n"
    "settings a Nested ESXi needs (SEEDS S1-S18). Each rule has an id, the settings it comes\n"
    "from, a severity, the ESXi releases and roles it applies to, and the surfaces (vmx, api,\n"
    "ovf, ks, disk) where vnest can read and write it. With -v the rationale of each rule\n"
    "follows the table.\n"
    "\n"
    "Roles: a host is a nested ESXi VM being installed or run; a template is a sealed VM\n"
    "meant to be cloned, which must carry no instance identity and no one-shot settings.",
    "$ vnest rules --esxi 7.0U3 --role template\n"
    "    the rules a 7.0 U3 template must satisfy\n"
    "$ vnest rules --json | jq -r '.rules[].id'",
    0,
    0,
    opts,
    run_rules,
};
