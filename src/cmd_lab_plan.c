/* vnest lab plan: what `vnest lab up` would do, read from the inventory,
 * changing nothing. */
#include <stdio.h>
#include <string.h>

#include "cmd_lab_common.h"

/* The number of changes `up` would make. */
static int count_changes(const lab_session *s)
{
    int n = 0;
    for (int i = 0; i < s->lf.nportgroups; i++)
        n += s->lab.pgs[i].findings > 0;
    for (int i = 0; i < s->lf.count; i++)
        n += s->lab.vms[i].create + s->lab.vms[i].power_on;
    return n;
}

static void print_plan(const lab_session *s)
{
    const vn_labfile *lf = &s->lf;
    const vn_lab *lab = &s->lab;
    printf("lab %s: %d host(s), ESXi %s, %s route, on %s, datastore %s\n", lf->name, lf->count,
           lf->rel->name, lab_route_name(lf), s->vim->where, lab->place.datastore_name);
    for (int i = 0; i < lf->nportgroups; i++) {
        const vn_lab_pg *g = &lab->pgs[i];
        printf("port group %s (%d standard, %d distributed): %s\n", g->name, g->nstd, g->ndv,
               g->findings ? "fix for nested hosts (S13/S14)" : "fit for nested hosts");
        if (g->findings)
            printf("  %d setting(s) to change ('vnest net check %s' lists them)\n", g->findings,
                   g->name);
    }
    if (lf->route == VN_LAB_ROUTE_KICKSTART)
        printf("installer: %s\n", lab->iso_needed ? "build the kickstart ISO and upload it"
                                                  : "not needed (every host exists)");
    if (lf->route == VN_LAB_ROUTE_KICKSTART && lab->iso_needed)
        printf("  from %s to %s\n", lf->iso, lab->iso_ds_path);
    if (lf->route == VN_LAB_ROUTE_TEMPLATE)
        printf("template: %s (%s)\n", lf->template_name, lab->template_vm.id);
    for (int i = 0; i < lf->count; i++) {
        const vn_lab_vm *v = &lab->vms[i];
        char acts[200] = "";
        if (v->state == VN_LAB_FOREIGN)
            snprintf(acts, sizeof(acts),
                     "refuse: a VM of this name without this lab's marker (never touched)");
        else if (v->template)
            snprintf(acts, sizeof(acts), "refuse: a template of this name");
        else if (v->create)
            snprintf(acts, sizeof(acts), "%s, power on, wait for its identity",
                     lf->route == VN_LAB_ROUTE_KICKSTART ? "create" : "clone");
        else if (v->power_on)
            snprintf(acts, sizeof(acts), "power on, wait for its identity");
        else
            snprintf(acts, sizeof(acts), "nothing (exists, on%s)",
                     v->ready ? ", identity reported" : ", identity not reported yet");
        printf("  %-20s %-15s %s\n", v->name, v->ip[0] ? v->ip : "-", acts);
    }
    for (int i = 0; i < lab->nstrays; i++)
        printf("  %-20s %-15s not in the lab file any more: left alone ('lab down' removes it)\n",
               lab->strays[i].name, "-");
    int n = count_changes(s);
    if (n)
        printf("%d change(s) to make: vnest lab up %s\n", n, lf->path);
    else
        printf("nothing to change\n");
}

static int run_plan(const cli_cmd *cmd, cli_ctx *ctx, cli_args *args)
{
    lab_session s;
    int rc = lab_open(cmd, ctx, args, 0, &s);
    if (rc == VN_OK) {
        if (ctx->json) {
            json_t *extra = json_object();
            json_object_set_new(extra, "changes", json_integer(count_changes(&s)));
            json_object_set_new(extra, "iso",
                                s.lab.iso_ds_path[0] && s.lab.iso_needed
                                    ? json_string(s.lab.iso_ds_path)
                                    : json_null());
            lab_report(ctx, &s, "plan", extra);
        } else if (ctx->verbose >= 0) {
            print_plan(&s);
        }
    }
    lab_close(&s);
    return rc;
}

static const cli_opt opts[] = {
    LAB_COMMON_OPTS,
    {0},
};

const cli_cmd cmd_lab_plan = {
    "lab plan",
    "LAB.yaml",
    "Show what 'vnest lab up' would do, changing nothing",
    "Reads the lab file and the inventory it names, and prints what 'vnest lab up' would do:\n"
    "the port groups to make fit for nested hosts (S13/S14), the kickstart ISO to build and\n"
    "upload or the template to clone, and for each host whether it is created, powered on,\n"
    "left as it is, or refused because a VM of that name exists without this lab's marker.\n"
    "\n"
    "The state is the inventory alone: every VM a lab makes carries the extraConfig key\n"
    "vnest.lab with the lab's name. Nothing is written anywhere; the exit status is 0 when\n"
    "the plan could be made (--json gives \"changes\", 0 when 'up' has nothing to "
    "do)." LAB_CONN_HELP,
    "$ vnest lab plan examples/lab.yaml\n"
    "$ vnest --json lab plan lab.yaml | jq .changes",
    1,
    1,
    opts,
    run_plan,
};
