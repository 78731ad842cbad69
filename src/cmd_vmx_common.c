#include "cmd_vmx_common.h"

#include <string.h>

#include "render.h"

unsigned vmx_role_arg(const char *text)
{
    if (!text)
        return VN_ROLE_HOST;
    unsigned role = vn_role_parse(text);
    if (!role)
        cli_fail(VN_EINPUT, "--role", "unknown role \"%s\" (expected host or template)", text);
    return role;
}

static const char *release_source_text(const char *from)
{
    if (strcmp(from, "guestOS") == 0)
        return "implied by guestOS; --esxi to choose";
    if (strcmp(from, "default") == 0)
        return "assumed: guestOS names no ESXi release; --esxi to choose";
    return "from --esxi";
}

json_t *vmx_report_json(const vn_vmx_report *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(r->path));
    json_object_set_new(o, "esxi", json_string(r->rel->name));
    json_object_set_new(o, "esxi_from", json_string(r->release_from));
    json_object_set_new(o, "role", json_string(vn_role_name(r->role)));
    json_object_set_new(o, "findings", render_findings_json(&r->findings));
    json_object_set_new(o, "summary", render_summary_json(&r->findings));
    return o;
}

void vmx_report_header(const vn_vmx_report *r, FILE *out)
{
    fprintf(out, "%s: ESXi %s (%s), role %s\n", r->path, r->rel->name,
            release_source_text(r->release_from), vn_role_name(r->role));
}
