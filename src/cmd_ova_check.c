/* vnest ova check: an OVA (or a plain .ovf with its files) checked as a
 * package and as a Nested ESXi: archive order, manifest digests, descriptor
 * structure and references, and the profile's findings on its hardware. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "render.h"
#include "vn_ovacheck.h"

static json_t *descriptor_json(const vn_ovf *o)
{
    json_t *d = json_object();
    json_object_set_new(d, "virtual_system", json_string(o->vs_id ? o->vs_id : ""));
    json_object_set_new(d, "name", o->vs_name ? json_string(o->vs_name) : json_null());
    json_object_set_new(d, "os_type", o->os_type ? json_string(o->os_type) : json_null());
    json_object_set_new(d, "system_type",
                        o->system_type ? json_string(o->system_type) : json_null());
    json_t *disks = json_array();
    for (size_t i = 0; i < o->ndisks; i++) {
        const vn_ovf_disk *x = &o->disks[i];
        const vn_ovf_file *f = vn_ovf_file_by_id(o, x->file_ref);
        json_t *j = json_object();
        json_object_set_new(j, "id", json_string(x->id ? x->id : ""));
        json_object_set_new(j, "capacity_bytes", json_integer((json_int_t)x->capacity_bytes));
        json_object_set_new(j, "file", f && f->href ? json_string(f->href) : json_null());
        json_array_append_new(disks, j);
    }
    json_object_set_new(d, "disks", disks);
    json_t *nets = json_array();
    for (size_t i = 0; i < o->nnetworks; i++)
        json_array_append_new(nets, json_string(o->networks[i]));
    json_object_set_new(d, "networks", nets);
    json_t *props = json_array();
    for (size_t i = 0; i < o->nprops; i++) {
        const vn_ovf_prop *p = &o->props[i];
        json_t *j = json_object();
        json_object_set_new(j, "key", json_string(p->key));
        json_object_set_new(j, "type", p->type ? json_string(p->type) : json_null());
        /* a password property's default is not echoed */
        json_object_set_new(j, "default",
                            p->value && !p->password ? json_string(p->value) : json_null());
        json_object_set_new(j, "password", json_boolean(p->password));
        json_object_set_new(j, "user_configurable", json_boolean(p->user_configurable));
        json_array_append_new(props, j);
    }
    json_object_set_new(d, "properties", props);
    return d;
}

static json_t *report_json(const vn_ova_report *r)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "file", json_string(r->ova.path));
    json_object_set_new(doc, "archive", json_boolean(r->ova.is_archive));
    json_t *members = json_array();
    for (size_t i = 0; i < r->ova.n; i++) {
        json_t *m = json_object();
        json_object_set_new(m, "name", json_string(r->ova.m[i].name));
        json_object_set_new(m, "size", json_integer((json_int_t)r->ova.m[i].size));
        json_array_append_new(members, m);
    }
    json_object_set_new(doc, "members", members);
    json_object_set_new(doc, "manifest",
                        r->ova.mf_name ? json_string(r->ova.mf_name) : json_null());
    json_object_set_new(doc, "descriptor", descriptor_json(&r->ovf));
    json_object_set_new(doc, "esxi", json_string(r->rel->name));
    json_object_set_new(doc, "esxi_from", json_string(r->rel_source));
    json_object_set_new(doc, "role", json_string(vn_role_name(r->role)));
    json_object_set_new(doc, "findings", render_findings_json(&r->findings));
    json_object_set_new(doc, "summary", render_summary_json(&r->findings));
    json_object_set_new(doc, "clean", json_boolean(render_check_status(&r->findings) == VN_OK));
    return doc;
}

static void report_header(const vn_ova_report *r, FILE *out)
{
    size_t files = 0;
    for (size_t i = 0; i < r->ovf.nfiles; i++)
        files += r->ovf.files[i].href != NULL;
    fprintf(out, "%s: %s, descriptor %s, %zu file%s, %s\n", r->ova.path,
            r->ova.is_archive ? "OVA" : "OVF", r->ova.ovf_name, files, files == 1 ? "" : "s",
            r->ova.mf_name ? "with a manifest" : "no manifest");
    const char *vs = r->ovf.vs_id ? r->ovf.vs_id : "(no id)";
    if (!strcmp(r->rel_source, "assumed"))
        fprintf(out,
                "VirtualSystem %s: ESXi %s (assumed: the descriptor names no ESXi release; "
                "--esxi to choose), role %s\n",
                vs, r->rel->name, vn_role_name(r->role));
    else
        fprintf(out, "VirtualSystem %s: ESXi %s (from %s), role %s\n", vs, r->rel->name,
                r->rel_source, vn_role_name(r->role));
}

static int run_check(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    const char *role_arg = cli_get(cmd, args, "role");
    unsigned role = role_arg ? vn_role_parse(role_arg) : VN_ROLE_HOST;
    if (!role)
        return cli_fail(VN_EINPUT, "--role", "unknown role \"%s\" (expected host or template)",
                        role_arg);
    vn_ova_report r;
    vn_error err = {0};
    int rc =
        vn_ova_check(args->pos[0], cli_get(cmd, args, "esxi"), role, VN_OVA_VERIFY_ALL, &r, &err);
    if (rc != VN_OK) {
        vn_ova_report_free(&r);
        return cli_report(&err);
    }
    int status = render_check_status(&r.findings);
    if (ctx->json) {
        cli_json_emit(report_json(&r));
    } else if (ctx->verbose >= 0) {
        report_header(&r, stdout);
        render_findings_text(&r.findings, ctx->verbose, stdout);
        render_summary_text(&r.findings, stdout);
    }
    vn_ova_report_free(&r);
    return status;
}

static const cli_opt opts[] = {
    {"esxi", 0, "VER", "the ESXi release the appliance runs (default: from vmw:osType)",
     "6.0 6.5 6.7 7.0 7.0U1 7.0U2 7.0U3 8.0 9.0"},
    {"role", 0, "ROLE", "host (default) or template", "host template"},
    {0},
};

const cli_cmd cmd_ova_check = {
    "ova check",
    "FILE.ova|FILE.ovf [--esxi VER] [--role host|template]",
    "Check an OVA or OVF package against OVF rules and the Nested ESXi profile",
    "Reads an OVA (a tar archive) or a plain .ovf with its files beside it, and reports\n"
    "in one table:\n"
    "\n"
    "- the package: the .ovf first, the .mf manifest next (or last), then the files in\n"
    "  References order; every referenced file present once with its declared size;\n"
    "  every manifest digest (SHA256, SHA1 or SHA512) recomputed by streaming the file;\n"
    "- the descriptor: well-formed XML without a DTD (refused: that is how XML bombs\n"
    "  work), required sections present, every reference resolving (Disk fileRef,\n"
    "  HostResource, Parent, Connection), capacities with known units, settings that\n"
    "  importers drop (vhv.enable as ExtraConfig instead of vmw:Config nestedHVEnabled);\n"
    "- the profile's findings on the virtual hardware it describes (nested HV, guest\n"
    "  type, VMXNET3, PVSCSI, EFI, memory, hardware version...), named by the element\n"
    "  that carries each setting, with its line.\n"
    "\n"
    "The ESXi release is taken from --esxi, else from vmw:osType (vmkernel8Guest means\n"
    "8.0), else 8.0 is assumed and the header says so. Nothing is written.\n"
    "\n"
    "Exit status: 0 clean, 1 a problem or finding (error or warning), 2 the package or\n"
    "its descriptor cannot be read (truncated archive, malformed XML, DTD).",
    "$ vnest ova check Nested_ESXi8.0u3_Appliance.ova\n"
    "$ vnest ova check --esxi 7.0U3 esxi7/esxi7.ovf\n"
    "$ vnest --json ova check lab.ova | jq '.findings[] | select(.severity == \"error\")'",
    1,
    1,
    opts,
    run_check,
};
