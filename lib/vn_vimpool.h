/* vn_vimpool: starting many tasks at once over a bounded pool of
 * connections that share one session. Against a real vCenter each
 * CloneVM_Task or PowerOnVM_Task call takes tens of milliseconds to return
 * its task; sending them from several connections in parallel overlaps
 * those waits. The tasks themselves are then awaited together with
 * vn_vim_wait_tasks. The pool's extra connections are opened on first use
 * and kept until it is closed, so their TLS handshakes are paid once. */
#ifndef VN_VIMPOOL_H
#define VN_VIMPOOL_H

#include "vn_vimprop.h"

typedef struct vn_vimpool vn_vimpool;

/* A pool of at most `conns` connections (capped at 4), `vim` being one. */
vn_vimpool *vn_vimpool_new(vn_vim *vim, int conns);
/* Closes the extra connections (the session stays `vim`'s). */
void vn_vimpool_free(vn_vimpool *pool);

/* Builds the request body of call `i` into `body`. */
typedef void (*vn_body_fn)(void *ctx, int i, vn_buf *body);

typedef struct vn_started {
    int ok;         /* the call returned a task */
    vn_mor task;    /* when ok */
    vn_fault fault; /* when not ok: the server's fault, if any */
    char msg[300];  /* when not ok: the one-line error */
} vn_started;

/* Sends n calls over the pool, each call's outcome in out[i]. When an extra
 * connection cannot be opened, the others (at least `vim`) do the work. */
void vn_vimpool_start(vn_vimpool *pool, int n, vn_body_fn build, void *ctx, vn_started *out);

#endif
