/*
 * stream.c: in-memory byte streams between two ends on the virtual loop.
 *
 * Each write is copied into a message delivered to the peer latency_ns
 * later (on a later turn even when 0).  Close sends EOF (SIM_EPIPE) after
 * the data already written, as a socket or a go-winio pipe would.  An end is
 * freed once it is closed and no delivery addressed to it is pending.
 */
#include <string.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/loop.h"

typedef struct msg {
    sim_stream_t *dst;
    long nread; /* byte count, or SIM_EPIPE for EOF */
    struct msg *next;
    unsigned char bytes[];
} msg_t;

typedef struct {
    sim_stream_t pub;
    msg_t *held_head; /* delivered before read_start */
    msg_t *held_tail;
    int flush_pending; /* a flush_cb is queued */
} stream_int_t;

static void stream_unref(sim_stream_t *s)
{
    SIM_ASSERT(s->refs > 0);
    if (--s->refs == 0) {
        stream_int_t *si = (stream_int_t *)s;
        while (si->held_head) {
            msg_t *m = si->held_head;
            si->held_head = m->next;
            sim__free(m);
        }
        sim__free(si);
    }
}

static void flush_cb(void *a, void *b);

static void schedule_flush(sim_stream_t *s)
{
    stream_int_t *si = (stream_int_t *)s;
    if (si->flush_pending || !si->held_head || !s->read_cb)
        return;
    if (sim_call(s->loop, 0, flush_cb, s, NULL) == 0) {
        si->flush_pending = 1;
        s->refs++;
    }
}

static void deliver(sim_stream_t *s, msg_t *m)
{
    stream_int_t *si = (stream_int_t *)s;
    if (s->closed) {
        sim__free(m);
        return;
    }
    if (!s->read_cb || si->held_head) {
        /* No reader yet, or older data still queued: keep arrival order. */
        m->next = NULL;
        if (si->held_tail)
            si->held_tail->next = m;
        else
            si->held_head = m;
        si->held_tail = m;
        schedule_flush(s);
        return;
    }
    s->read_cb(s, m->nread, m->bytes);
    sim__free(m);
}

static void flush_cb(void *a, void *b)
{
    sim_stream_t *s = a;
    stream_int_t *si = (stream_int_t *)s;
    (void)b;
    si->flush_pending = 0;
    while (si->held_head && s->read_cb && !s->closed) {
        msg_t *m = si->held_head;
        si->held_head = m->next;
        if (!si->held_head)
            si->held_tail = NULL;
        s->read_cb(s, m->nread, m->bytes);
        sim__free(m);
    }
    stream_unref(s);
}

static void deliver_cb(void *a, void *b)
{
    msg_t *m = a;
    sim_stream_t *s = m->dst;
    (void)b;
    deliver(s, m);
    stream_unref(s);
}

static int send_msg(sim_stream_t *to, const void *buf, long nread,
                    uint64_t latency_ns)
{
    size_t len = nread > 0 ? (size_t)nread : 0;
    msg_t *m = sim__malloc(sizeof(*m) + len);
    int rc;
    if (!m)
        return SIM_ENOMEM;
    m->dst = to;
    m->nread = nread;
    m->next = NULL;
    if (len)
        memcpy(m->bytes, buf, len);
    rc = sim_call(to->loop, latency_ns, deliver_cb, m, NULL);
    if (rc) {
        sim__free(m);
        return rc;
    }
    to->refs++;
    return 0;
}

int sim_stream_pair(sim_loop_t *loop, sim_stream_t **a, sim_stream_t **b)
{
    stream_int_t *x = sim__calloc(1, sizeof(*x));
    stream_int_t *y = sim__calloc(1, sizeof(*y));
    if (!x || !y) {
        sim__free(x);
        sim__free(y);
        return SIM_ENOMEM;
    }
    x->pub.loop = y->pub.loop = loop;
    x->pub.peer = &y->pub;
    y->pub.peer = &x->pub;
    x->pub.refs = y->pub.refs = 1;
    *a = &x->pub;
    *b = &y->pub;
    return 0;
}

void sim_stream_read_start(sim_stream_t *s, sim_read_cb cb)
{
    s->read_cb = cb;
    /* Held data goes out in order on a later turn, ahead of later data. */
    schedule_flush(s);
}

int sim_stream_write(sim_stream_t *s, const void *buf, size_t len)
{
    if (s->closed)
        return SIM_ECLOSED;
    if (!s->peer || s->peer->closed)
        return SIM_EPIPE;
    return send_msg(s->peer, buf, (long)len, s->latency_ns);
}

static void close_cb_call(void *a, void *b)
{
    sim_stream_t *s = a;
    (void)b;
    if (s->close_cb)
        s->close_cb(s);
    stream_unref(s);
}

void sim_stream_close(sim_stream_t *s, sim_close_cb cb)
{
    if (s->closed)
        return;
    s->closed = 1;
    s->close_cb = cb;
    if (s->hook) {
        void (*hook)(sim_stream_t *, void *) = s->hook;
        s->hook = NULL;
        hook(s, s->hook_arg);
    }
    if (s->peer) {
        sim_stream_t *p = s->peer;
        if (!p->closed)
            (void)send_msg(p, NULL, SIM_EPIPE, s->latency_ns);
        p->peer = NULL;
        s->peer = NULL;
    }
    if (sim_call(s->loop, 0, close_cb_call, s, NULL) != 0) {
        if (cb)
            cb(s);
        stream_unref(s);
    }
}

void sim_stream_set_hook(sim_stream_t *s,
                         void (*hook)(sim_stream_t *s, void *arg), void *arg)
{
    s->hook = hook;
    s->hook_arg = arg;
}
