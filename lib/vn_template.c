#include "vn_template.h"

#include <stdio.h>
#include <string.h>

typedef struct vm_state {
    char power[32];
    char tools[48];
    int is_template;
    int enter_setup;
    vn_mor host;
    char guest[64];
} vm_state;

static int on_state(void *ctx, const vn_mor *obj, const vn_xnode *o)
{
    (void)obj;
    vm_state *s = ctx;
    char buf[64];
    vn_prop_text(o, "runtime.powerState", s->power, sizeof(s->power));
    vn_prop_text(o, "guest.toolsRunningStatus", s->tools, sizeof(s->tools));
    s->is_template = !strcmp(vn_prop_text(o, "config.template", buf, sizeof(buf)), "true");
    vn_xn_text(vn_xn_first(vn_prop_find(o, "config.bootOptions"), "enterBIOSSetup"), buf,
               sizeof(buf));
    s->enter_setup = !strcmp(buf, "true");
    vn_mor_from(vn_prop_find(o, "runtime.host"), &s->host);
    vn_prop_text(o, "config.guestId", s->guest, sizeof(s->guest));
    return 1;
}

static int read_state(vn_vim *vim, const vn_mor *vm, vm_state *s, vn_error *err)
{
    static const char *const paths[] = {"runtime.powerState",
                                        "guest.toolsRunningStatus",
                                        "config.template",
                                        "config.bootOptions",
                                        "runtime.host",
                                        "config.guestId",
                                        NULL};
    memset(s, 0, sizeof(*s));
    return vn_vim_retrieve_objs(vim, vm, 1, paths, on_state, s, err);
}

static void say(vn_template_note note, void *ctx, int kind, const char *text)
{
    if (note)
        note(ctx, kind, text);
}

int vn_template_make(vn_vim *vim, const vn_mor *vm, int timeout_s, vn_template_note note, void *ctx,
                     vn_error *err)
{
    vm_state s;
    int rc = read_state(vim, vm, &s, err);
    if (rc != VN_OK)
        return rc;
    if (s.is_template) {
        say(note, ctx, 0, "already a template");
        return VN_OK;
    }
    if (strcmp(s.power, "poweredOff") != 0) {
        if (!strcmp(s.tools, "guestToolsRunning")) {
            say(note, ctx, 0, "shutting the guest down (VMware Tools running)");
            rc = vn_apivm_shutdown_guest(vim, vm, timeout_s, err);
        } else {
            say(note, ctx, 0, "powering off (no VMware Tools to shut the guest down)");
            rc = vn_apivm_power(vim, vm, 0, err);
        }
        if (rc != VN_OK)
            return rc;
    }
    if (s.enter_setup) {
        /* S4: a template must not stop every clone in the firmware menu. */
        say(note, ctx, 0, "clearing the forced EFI setup entry");
        rc = vn_apivm_reconfigure(
            vim, vm, "<bootOptions><enterBIOSSetup>false</enterBIOSSetup></bootOptions>", err);
        if (rc != VN_OK)
            return rc;
    }
    const vn_release *rel = vn_release_from_guest(s.guest);
    if (rel && !rel->template_clone_ok) {
        char text[256];
        snprintf(text, sizeof(text),
                 "ESXi %s boot disks must not be cloned (KB 84280, 84349); "
                 "install each host with a kickstart instead (S17)",
                 rel->name);
        say(note, ctx, 1, text);
    }
    rc = vn_apivm_mark_template(vim, vm, err);
    if (rc == VN_OK)
        say(note, ctx, 0, "marked as template");
    return rc;
}

int vn_template_undo(vn_vim *vim, const vn_mor *vm, const vn_place_req *req, vn_template_note note,
                     void *ctx, vn_error *err)
{
    vm_state s;
    int rc = read_state(vim, vm, &s, err);
    if (rc != VN_OK)
        return rc;
    if (!s.is_template) {
        say(note, ctx, 0, "already a virtual machine");
        return VN_OK;
    }
    /* A VM needs a resource pool: the one named, else its host's. */
    vn_placement p;
    memset(&p, 0, sizeof(p));
    if (req && (req->pool || req->host)) {
        rc = vn_inv_place(vim, req, &p, err);
    } else {
        vn_mor cr;
        rc = vn_inv_parent_pool(vim, &s.host, &cr, &p.pool, err);
        p.host = s.host;
    }
    if (rc == VN_OK)
        rc = vn_apivm_mark_vm(vim, vm, &p.pool, &s.host, err);
    if (rc == VN_OK)
        say(note, ctx, 0, "marked as virtual machine");
    return rc;
}
