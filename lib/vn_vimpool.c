#include "vn_vimpool.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct pool_job {
    int n;
    vn_body_fn build;
    void *ctx;
    vn_started *out;
    int next; /* the next call to send, taken atomically */
} pool_job;

typedef struct pool_worker {
    pthread_t thread;
    vn_vim *vim;
    pool_job *job;
} pool_worker;

static void send_one(vn_vim *vim, pool_job *job, int i)
{
    vn_started *o = &job->out[i];
    memset(o, 0, sizeof(*o));
    vn_buf b = VN_BUF_INIT;
    job->build(job->ctx, i, &b);
    vn_soap_reply reply;
    vn_error e = {0};
    int rc = vn_vim_call(vim, &b, &reply, &o->fault, &e);
    vn_buf_free(&b);
    if (rc != VN_OK) {
        snprintf(o->msg, sizeof(o->msg), "%.299s", e.msg);
        return;
    }
    vn_mor_from(vn_xn_first(reply.result, "returnval"), &o->task);
    vn_soap_reply_free(&reply);
    o->ok = o->task.id[0] != '\0';
    if (!o->ok)
        snprintf(o->msg, sizeof(o->msg), "the server returned no task");
}

static void *work(void *arg)
{
    pool_worker *w = arg;
    for (;;) {
        int i = __atomic_fetch_add(&w->job->next, 1, __ATOMIC_SEQ_CST);
        if (i >= w->job->n)
            return NULL;
        send_one(w->vim, w->job, i);
    }
}

int vn_vim_start_many(vn_vim *vim, int n, int conns, vn_body_fn build, void *ctx, vn_started *out,
                      vn_error *err)
{
    (void)err;
    pool_job job = {n, build, ctx, out, 0};
    if (conns > n)
        conns = n;
    if (conns > 16)
        conns = 16; /* more connections than this only load the server */
    pool_worker workers[16];
    int started = 0;
    for (int k = 1; k < conns; k++) {
        vn_error e = {0};
        pool_worker *w = &workers[started];
        w->job = &job;
        if (vn_vim_dup(vim, &w->vim, &e) != VN_OK)
            break; /* fewer connections: the main one still does the work */
        if (pthread_create(&w->thread, NULL, work, w) != 0) {
            vn_vim_close_dup(w->vim);
            break;
        }
        started++;
    }
    pool_worker self = {0, vim, &job};
    work(&self);
    for (int k = 0; k < started; k++) {
        pthread_join(workers[k].thread, NULL);
        vim->calls += workers[k].vim->calls;
        vn_vim_close_dup(workers[k].vim);
    }
    return VN_OK;
}
