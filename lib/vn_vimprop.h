/* vn_vimprop: reading the inventory in bulk with the PropertyCollector
 * (RetrievePropertiesEx, following ContinueRetrievePropertiesEx tokens), over
 * a ContainerView so a whole inventory comes in one or a few round trips,
 * and waiting for tasks with WaitForUpdatesEx instead of sleep-polling. */
#ifndef VN_VIMPROP_H
#define VN_VIMPROP_H

#include "vn_vim.h"

/* Called once per object, with its properties (<propSet> elements: name,
 * val) reachable from `obj_node`; vn_prop_find() looks one up. Return
 * non-zero to stop. */
typedef int (*vn_obj_cb)(void *ctx, const vn_mor *obj, const vn_xnode *obj_node);

/* The <val> of property `name` of an <objects> node, or NULL. */
const vn_xnode *vn_prop_find(const vn_xnode *obj_node, const char *name);
/* Convenience: the property's text into buf ("" when absent). */
const char *vn_prop_text(const vn_xnode *obj_node, const char *name, char *buf, size_t len);

/* Every object of `type` below `container` (the root folder when NULL),
 * with the properties `paths` (NULL-terminated). */
int vn_vim_retrieve_all(vn_vim *vim, const vn_mor *container, const char *type,
                        const char *const *paths, vn_obj_cb cb, void *ctx, vn_error *err);

/* The properties `paths` of the given objects (all of the same type). */
int vn_vim_retrieve_objs(vn_vim *vim, const vn_mor *objs, size_t n, const char *const *paths,
                         vn_obj_cb cb, void *ctx, vn_error *err);

typedef struct vn_task_result {
    vn_mor task;
    int done;       /* 1 when success or error */
    int ok;         /* 1 on success */
    vn_fault fault; /* when !ok */
    vn_mor result;  /* info.result when it is a MOR (CreateVM, CloneVM) */
} vn_task_result;

/* Waits for every task in `t` (n of them) to finish, with one property
 * filter and WaitForUpdatesEx, up to `timeout_s` seconds in all. A task that
 * has not finished by then is reported with fault type "Timeout". Task
 * faults are not errors of this call: they are in each result. */
int vn_vim_wait_tasks(vn_vim *vim, vn_task_result *t, size_t n, int timeout_s, vn_error *err);

#endif
