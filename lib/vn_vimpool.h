/* vn_vimpool: starting many tasks at once over a bounded pool of
 * connections that share one session. Against a real vCenter each
 * CloneVM_Task or PowerOnVM_Task call takes tens of milliseconds to return
 * its task; sending them from several connections in parallel overlaps
 * those waits. The tasks themselves are then awaited together with
 * vn_vim_wait_tasks. */
#ifndef VN_VIMPOOL_H
#define VN_VIMPOOL_H

#include "vn_vimprop.h"

/* Builds the request body of call `i` into `body`. */
typedef void (*vn_body_fn)(void *ctx, int i, vn_buf *body);

typedef struct vn_started {
    int ok;         /* the call returned a task */
    vn_mor task;    /* when ok */
    vn_fault fault; /* when not ok: the server's fault, if any */
    char msg[300];  /* when not ok: the one-line error */
} vn_started;

/* Sends n calls over up to `conns` connections (1 = this one only), each
 * call's outcome in out[i]. Fails as a whole only when no extra connection
 * can be opened and nothing can be sent. */
int vn_vim_start_many(vn_vim *vim, int n, int conns, vn_body_fn build, void *ctx, vn_started *out,
                      vn_error *err);

#endif
