#include "vn_vimpool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each extra connection costs a TLS handshake (~5 ms of CPU here); four
 * already overlap the tens of milliseconds a vCenter takes to answer a
 * task-starting call, more only load both ends (measured: 16 doubled the
 * client's CPU in the 64-clone deploy for no gain in wall time). */
#define POOL_MAX 4

struct vn_vimpool {
    vn_vim *vim;
    vn_vim *extra[POOL_MAX - 1];
    int nextra;  /* opened so far */
    int wanted;  /* extra connections wanted */
    int refused; /* an extra connection could not be opened: stop trying */
};

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

vn_vimpool *vn_vimpool_new(vn_vim *vim, int conns)
{
    vn_vimpool *p = vn_xcalloc(1, sizeof(*p));
    p->vim = vim;
    if (conns > POOL_MAX)
        conns = POOL_MAX;
    p->wanted = conns > 1 ? conns - 1 : 0;
    return p;
}

void vn_vimpool_free(vn_vimpool *p)
{
    if (!p)
        return;
    for (int k = 0; k < p->nextra; k++) {
        p->vim->calls += p->extra[k]->calls;
        vn_vim_close_dup(p->extra[k]);
    }
    free(p);
}

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

void vn_vimpool_start(vn_vimpool *p, int n, vn_body_fn build, void *ctx, vn_started *out)
{
    pool_job job = {n, build, ctx, out, 0};
    /* Extra connections only pay off when there are calls to share. */
    int want = n - 1 < p->wanted ? n - 1 : p->wanted;
    while (!p->refused && p->nextra < want) {
        vn_error e = {0};
        if (vn_vim_dup(p->vim, &p->extra[p->nextra], &e) != VN_OK)
            p->refused = 1;
        else
            p->nextra++;
    }
    pool_worker workers[POOL_MAX - 1];
    int started = 0;
    for (int k = 0; k < p->nextra && k < want; k++) {
        workers[started] = (pool_worker){0, p->extra[k], &job};
        if (pthread_create(&workers[started].thread, NULL, work, &workers[started]) != 0)
            break;
        started++;
    }
    pool_worker self = {0, p->vim, &job};
    work(&self);
    for (int k = 0; k < started; k++)
        pthread_join(workers[k].thread, NULL);
}
