#include "vn_vimprop.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vn_xmlw.h"

const vn_xnode *vn_prop_find(const vn_xnode *obj_node, const char *name)
{
    char buf[256];
    for (const vn_xnode *p = vn_xn_first(obj_node, "propSet"); p; p = vn_xn_next(p, "propSet"))
        if (!strcmp(vn_xn_text(vn_xn_first(p, "name"), buf, sizeof(buf)), name))
            return vn_xn_first(p, "val");
    return NULL;
}

const char *vn_prop_text(const vn_xnode *obj_node, const char *name, char *buf, size_t len)
{
    return vn_xn_text(vn_prop_find(obj_node, name), buf, len);
}

static void prop_set(vn_buf *b, const char *type, const char *const *paths)
{
    vn_xw_open(b, "propSet");
    vn_xw_str(b, "type", type);
    vn_xw_bool(b, "all", 0);
    for (size_t i = 0; paths && paths[i]; i++)
        vn_xw_str(b, "pathSet", paths[i]);
    vn_xw_close(b, "propSet");
}

/* Streams one RetrieveResult: each <objects> is expanded, handed to the
 * callback and freed before the next is read, so a whole inventory is
 * never held as one DOM. Stores the continuation token ("" at the end). */
static int stream_result(vn_vim *vim, const vn_buf *raw, vn_obj_cb cb, void *ctx, char *token,
                         size_t toklen, int *stop, vn_error *err)
{
    token[0] = '\0';
    /* Envelope/Body/Response/returnval/{objects,token} */
    vn_xreader *r = vn_xreader_new(raw->data, raw->len, "reply", 4);
    vn_error xerr;
    vn_error_clear(&xerr);
    int rc = VN_OK;
    const vn_xnode *o;
    while ((o = vn_xreader_next(r, &xerr)) != NULL) {
        if (!strcmp(o->name, "objects")) {
            vn_mor mor;
            vn_mor_from(vn_xn_first(o, "obj"), &mor);
            if (cb(ctx, &mor, o)) {
                *stop = 1;
                break;
            }
        } else if (!strcmp(o->name, "token")) {
            vn_xn_text(o, token, toklen);
        }
    }
    const vn_xnode *body = vn_xreader_spine(r, 1);
    if (vn_xml_refused_dtd(&xerr))
        rc = vn_fail(err, VN_ERUNTIME, vim->where, "reply carries a DTD (refused)");
    else if (xerr.code != VN_OK)
        rc = vn_fail(err, VN_ERUNTIME, vim->where, "%s (at %s)", xerr.msg, xerr.where);
    else if (!*stop && (!body || strcmp(body->name, "Body") != 0))
        rc = vn_fail(err, VN_ERUNTIME, vim->where, "the reply is not a SOAP envelope");
    vn_xreader_free(r);
    return rc;
}

/* Sends a RetrievePropertiesEx body and follows continuation tokens. */
static int retrieve(vn_vim *vim, vn_buf *body, vn_obj_cb cb, void *ctx, vn_error *err)
{
    vn_buf raw = VN_BUF_INIT;
    char token[256];
    int stop = 0;
    int rc = vn_vim_call_raw(vim, body, &raw, NULL, err);
    if (rc == VN_OK)
        rc = stream_result(vim, &raw, cb, ctx, token, sizeof(token), &stop, err);
    while (rc == VN_OK && !stop && token[0]) {
        vn_buf b = VN_BUF_INIT;
        vn_xw_call_begin(&b, "ContinueRetrievePropertiesEx", vim->property_collector.type,
                         vim->property_collector.id);
        vn_xw_str(&b, "token", token);
        vn_xw_call_end(&b, "ContinueRetrievePropertiesEx");
        rc = vn_vim_call_raw(vim, &b, &raw, NULL, err);
        vn_buf_free(&b);
        if (rc == VN_OK)
            rc = stream_result(vim, &raw, cb, ctx, token, sizeof(token), &stop, err);
    }
    vn_buf_free(&raw);
    return rc;
}

static int create_view(vn_vim *vim, const vn_mor *container, const char *type, vn_mor *view,
                       vn_error *err)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "CreateContainerView", vim->view_manager.type, vim->view_manager.id);
    const vn_mor *c = container ? container : &vim->root;
    vn_xw_mor(&b, "container", c->type, c->id);
    vn_xw_str(&b, "type", type);
    vn_xw_bool(&b, "recursive", 1);
    vn_xw_call_end(&b, "CreateContainerView");
    vn_soap_reply reply;
    int rc = vn_vim_call(vim, &b, &reply, NULL, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;
    vn_mor_from(vn_xn_first(reply.result, "returnval"), view);
    vn_soap_reply_free(&reply);
    return VN_OK;
}

static void destroy_view(vn_vim *vim, const vn_mor *view)
{
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "DestroyView", view->type, view->id);
    vn_xw_call_end(&b, "DestroyView");
    vn_soap_reply reply;
    vn_error ignored = {0};
    if (vn_vim_call(vim, &b, &reply, NULL, &ignored) == VN_OK)
        vn_soap_reply_free(&reply);
    vn_buf_free(&b);
}

int vn_vim_retrieve_all(vn_vim *vim, const vn_mor *container, const char *type,
                        const char *const *paths, vn_obj_cb cb, void *ctx, vn_error *err)
{
    vn_mor view;
    int rc = create_view(vim, container, type, &view, err);
    if (rc != VN_OK)
        return rc;
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "RetrievePropertiesEx", vim->property_collector.type,
                     vim->property_collector.id);
    vn_xw_open(&b, "specSet");
    prop_set(&b, type, paths);
    vn_xw_open(&b, "objectSet");
    vn_xw_mor(&b, "obj", view.type, view.id);
    vn_xw_bool(&b, "skip", 1);
    vn_xw_open_type(&b, "selectSet", "TraversalSpec");
    vn_xw_str(&b, "name", "view");
    vn_xw_str(&b, "type", "ContainerView");
    vn_xw_str(&b, "path", "view");
    vn_xw_bool(&b, "skip", 0);
    vn_xw_close(&b, "selectSet");
    vn_xw_close(&b, "objectSet");
    vn_xw_close(&b, "specSet");
    vn_xw_open(&b, "options");
    vn_xw_close(&b, "options");
    vn_xw_call_end(&b, "RetrievePropertiesEx");
    rc = retrieve(vim, &b, cb, ctx, err);
    vn_buf_free(&b);
    destroy_view(vim, &view);
    return rc;
}

int vn_vim_retrieve_objs(vn_vim *vim, const vn_mor *objs, size_t n, const char *const *paths,
                         vn_obj_cb cb, void *ctx, vn_error *err)
{
    if (n == 0)
        return VN_OK;
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "RetrievePropertiesEx", vim->property_collector.type,
                     vim->property_collector.id);
    vn_xw_open(&b, "specSet");
    prop_set(&b, objs[0].type, paths);
    for (size_t i = 0; i < n; i++) {
        vn_xw_open(&b, "objectSet");
        vn_xw_mor(&b, "obj", objs[i].type, objs[i].id);
        vn_xw_bool(&b, "skip", 0);
        vn_xw_close(&b, "objectSet");
    }
    vn_xw_close(&b, "specSet");
    vn_xw_open(&b, "options");
    vn_xw_close(&b, "options");
    vn_xw_call_end(&b, "RetrievePropertiesEx");
    int rc = retrieve(vim, &b, cb, ctx, err);
    vn_buf_free(&b);
    return rc;
}

/* ---- tasks ---- */

/* A call whose reply is nothing or one MOR (stored in `out` if not NULL). */
static int simple_call(vn_vim *vim, vn_buf *b, vn_mor *out, vn_error *err)
{
    vn_soap_reply reply;
    int rc = vn_vim_call(vim, b, &reply, NULL, err);
    if (rc != VN_OK)
        return rc;
    if (out)
        vn_mor_from(vn_xn_first(reply.result, "returnval"), out);
    vn_soap_reply_free(&reply);
    return VN_OK;
}

static void apply_change(vn_task_result *t, const vn_xnode *cs)
{
    char name[64], buf[64];
    vn_xn_text(vn_xn_first(cs, "name"), name, sizeof(name));
    const vn_xnode *val = vn_xn_first(cs, "val");
    if (!strcmp(name, "info.state")) {
        vn_xn_text(val, buf, sizeof(buf));
        if (!strcmp(buf, "success"))
            t->done = t->ok = 1;
        else if (!strcmp(buf, "error"))
            t->done = 1;
    } else if (!strcmp(name, "info.error") && val) {
        vn_soap_method_fault(val, &t->fault);
    } else if (!strcmp(name, "info.result") && val) {
        vn_mor_from(val, &t->result);
    }
}

static void apply_updates(const vn_xnode *rv, vn_task_result *t, size_t n)
{
    for (const vn_xnode *fs = vn_xn_first(rv, "filterSet"); fs; fs = vn_xn_next(fs, "filterSet"))
        for (const vn_xnode *os = vn_xn_first(fs, "objectSet"); os;
             os = vn_xn_next(os, "objectSet")) {
            vn_mor obj;
            vn_mor_from(vn_xn_first(os, "obj"), &obj);
            for (size_t i = 0; i < n; i++) {
                if (strcmp(t[i].task.id, obj.id) != 0)
                    continue;
                for (const vn_xnode *cs = vn_xn_first(os, "changeSet"); cs;
                     cs = vn_xn_next(cs, "changeSet"))
                    apply_change(&t[i], cs);
            }
        }
}

int vn_vim_wait_tasks(vn_vim *vim, vn_task_result *t, size_t n, int timeout_s, vn_error *err)
{
    if (n == 0)
        return VN_OK;
    /* A private collector: its filter and version are ours alone. */
    vn_mor pc;
    vn_buf b = VN_BUF_INIT;
    vn_xw_call_begin(&b, "CreatePropertyCollector", vim->property_collector.type,
                     vim->property_collector.id);
    vn_xw_call_end(&b, "CreatePropertyCollector");
    int rc = simple_call(vim, &b, &pc, err);
    vn_buf_free(&b);
    if (rc != VN_OK)
        return rc;

    vn_xw_call_begin(&b, "CreateFilter", pc.type, pc.id);
    vn_xw_open(&b, "spec");
    static const char *const paths[] = {"info.state", "info.error", "info.result", NULL};
    prop_set(&b, "Task", paths);
    for (size_t i = 0; i < n; i++) {
        vn_xw_open(&b, "objectSet");
        vn_xw_mor(&b, "obj", t[i].task.type[0] ? t[i].task.type : "Task", t[i].task.id);
        vn_xw_bool(&b, "skip", 0);
        vn_xw_close(&b, "objectSet");
    }
    vn_xw_close(&b, "spec");
    vn_xw_bool(&b, "partialUpdates", 0);
    vn_xw_call_end(&b, "CreateFilter");
    rc = simple_call(vim, &b, NULL, err);
    vn_buf_free(&b);

    char version[128] = "";
    time_t deadline = time(NULL) + timeout_s;
    for (;;) {
        size_t pending = 0;
        for (size_t i = 0; i < n; i++)
            pending += !t[i].done;
        if (rc != VN_OK || pending == 0)
            break;
        long left = (long)(deadline - time(NULL));
        if (left <= 0) {
            for (size_t i = 0; i < n; i++)
                if (!t[i].done) {
                    t[i].done = 1;
                    snprintf(t[i].fault.type, sizeof(t[i].fault.type), "Timeout");
                    snprintf(t[i].fault.message, sizeof(t[i].fault.message),
                             "the task did not finish within %d s", timeout_s);
                }
            break;
        }
        vn_xw_call_begin(&b, "WaitForUpdatesEx", pc.type, pc.id);
        vn_xw_str(&b, "version", version);
        vn_xw_open(&b, "options");
        vn_xw_int(&b, "maxWaitSeconds", left < 60 ? left : 60);
        vn_xw_close(&b, "options");
        vn_xw_call_end(&b, "WaitForUpdatesEx");
        vn_soap_reply reply;
        rc = vn_vim_call(vim, &b, &reply, NULL, err);
        vn_buf_free(&b);
        if (rc != VN_OK)
            break;
        const vn_xnode *rv = vn_xn_first(reply.result, "returnval");
        if (rv) {
            vn_xn_text(vn_xn_first(rv, "version"), version, sizeof(version));
            apply_updates(rv, t, n);
        }
        vn_soap_reply_free(&reply);
    }

    vn_xw_call_begin(&b, "DestroyPropertyCollector", pc.type, pc.id);
    vn_xw_call_end(&b, "DestroyPropertyCollector");
    vn_error ignored = {0};
    simple_call(vim, &b, NULL, &ignored);
    vn_buf_free(&b);
    return rc;
}
