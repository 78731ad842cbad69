#include "render.h"

#include <string.h>

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *render_findings_json(const vn_findings *f)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < f->n; i++) {
        const vn_finding *x = &f->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "rule", json_string(x->rule->id));
        json_object_set_new(o, "seed", json_string(x->rule->seed));
        json_object_set_new(o, "severity", json_string(vn_severity_name(x->severity)));
        json_object_set_new(o, "key", json_string(x->key));
        json_object_set_new(o, "line", x->line ? json_integer(x->line) : json_null());
        json_object_set_new(o, "current", str_or_null(x->current));
        json_object_set_new(o, "wanted", str_or_null(x->wanted));
        json_object_set_new(o, "fixable", json_boolean(x->fixable));
        json_object_set_new(o, "summary", json_string(x->rule->summary));
        json_object_set_new(o, "rationale", json_string(x->rule->rationale));
        json_object_set_new(o, "note", str_or_null(x->note));
        json_array_append_new(arr, o);
    }
    return arr;
}

static size_t count_sev(const vn_findings *f, vn_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].severity == sev;
    return n;
}

static size_t count_fixable(const vn_findings *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].fixable != 0;
    return n;
}

json_t *render_summary_json(const vn_findings *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "errors", json_integer((json_int_t)count_sev(f, VN_SEV_ERROR)));
    json_object_set_new(o, "warnings", json_integer((json_int_t)count_sev(f, VN_SEV_WARNING)));
    json_object_set_new(o, "info", json_integer((json_int_t)count_sev(f, VN_SEV_INFO)));
    json_object_set_new(o, "fixable", json_integer((json_int_t)count_fixable(f)));
    return o;
}

void render_findings_text(const vn_findings *f, int verbose, FILE *out)
{
    if (f->n == 0)
        return;
    static const char *const head[] = {"SEVERITY", "RULE", "KEY", "CURRENT", "WANTED"};
    cli_table *t = cli_table_new(5, head);
    for (size_t i = 0; i < f->n; i++) {
        const vn_finding *x = &f->v[i];
        char key[160];
        if (x->line)
            snprintf(key, sizeof(key), "%s (line %d)", x->key, x->line);
        else
            snprintf(key, sizeof(key), "%s", x->key);
        char wanted[160];
        snprintf(wanted, sizeof(wanted), "%s%s", x->wanted ? x->wanted : "(remove)",
                 x->fixable ? "" : "  [manual]");
        const char *cells[] = {vn_severity_name(x->severity), x->rule->id, key,
                               x->current ? x->current : "(absent)", wanted};
        cli_table_row(t, cells);
    }
    cli_table_print(t, out);
    cli_table_free(t);
    /* Notes explain what a table cell cannot; rationales on request. */
    for (size_t i = 0; i < f->n; i++) {
        const vn_finding *x = &f->v[i];
        if (x->note)
            fprintf(out, "  note: %s %s: %s\n", x->rule->id, x->key, x->note);
        if (verbose > 0)
            fprintf(out, "  why:  %s: %s\n", x->rule->id, x->rule->rationale);
    }
}

void render_summary_text(const vn_findings *f, FILE *out)
{
    size_t e = count_sev(f, VN_SEV_ERROR), w = count_sev(f, VN_SEV_WARNING);
    size_t i = count_sev(f, VN_SEV_INFO), fx = count_fixable(f);
    if (f->n == 0) {
        fputs("no findings: the profile is satisfied\n", out);
        return;
    }
    fprintf(out, "%zu finding%s: %zu error%s, %zu warning%s", f->n, f->n == 1 ? "" : "s", e,
            e == 1 ? "" : "s", w, w == 1 ? "" : "s");
    if (i)
        fprintf(out, ", %zu info", i);
    fprintf(out, " (%zu fixable)\n", fx);
}

int render_check_status(const vn_findings *f)
{
    return vn_findings_count(f, VN_SEV_WARNING) > 0 ? VN_FINDINGS : VN_OK;
}
