/*
 * loop.c: the virtual backend of sim_loop_t.
 *
 * A binary min-heap of (due_ns, seq, timer) entries.  sim_loop_run pops the
 * earliest entry, jumps the clock to it and runs its callback.  The entry
 * stays at the root while its callback runs (state FIRING), so the common
 * "timer re-arms itself" case costs one sift-down instead of a pop and a
 * push; this is what makes the W1 benchmark fast.  Nothing can overtake a
 * firing timer: anything started during its callback gets due >= now and a
 * larger seq.
 */
#include "sim/loop.h"

#include <string.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"

enum {
    SIM__TIMER_IDLE = 0,
    SIM__TIMER_ACTIVE,
    SIM__TIMER_FIRING,
};

struct sim__call {
    sim_timer_t timer;
    sim_call_cb cb;
    void *a;
    void *b;
    struct sim__call *next_free;
};

static inline int hent_less(const struct sim__hent *x,
                            const struct sim__hent *y)
{
    if (x->due_ns != y->due_ns)
        return x->due_ns < y->due_ns;
    return x->seq < y->seq;
}

static inline void heap_set(sim_loop_t *loop, uint32_t i, struct sim__hent e)
{
    loop->heap[i] = e;
    e.t->heap_idx = i;
}

static void heap_sift_up(sim_loop_t *loop, uint32_t i)
{
    struct sim__hent e = loop->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!hent_less(&e, &loop->heap[parent]))
            break;
        heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_set(loop, i, e);
}

static void heap_sift_down(sim_loop_t *loop, uint32_t i)
{
    struct sim__hent e = loop->heap[i];
    uint32_t n = loop->heap_len;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && hent_less(&loop->heap[c + 1], &loop->heap[c]))
            c++;
        if (!hent_less(&loop->heap[c], &e))
            break;
        heap_set(loop, i, loop->heap[c]);
        i = c;
    }
    heap_set(loop, i, e);
}

static void heap_remove(sim_loop_t *loop, uint32_t i)
{
    SIM_ASSERT(i < loop->heap_len);
    loop->heap_len--;
    if (i == loop->heap_len)
        return;
    loop->heap[i] = loop->heap[loop->heap_len];
    loop->heap[i].t->heap_idx = i;
    if (i > 0 && hent_less(&loop->heap[i], &loop->heap[(i - 1) / 2]))
        heap_sift_up(loop, i);
    else
        heap_sift_down(loop, i);
}

int sim_loop_init(sim_loop_t *loop, uint64_t seed)
{
    memset(loop, 0, sizeof(*loop));
    loop->seed = seed;
    loop->heap_cap = 64;
    loop->heap = sim__malloc(loop->heap_cap * sizeof(*loop->heap));
    return loop->heap ? 0 : SIM_ENOMEM;
}

void sim_loop_close(sim_loop_t *loop)
{
    uint32_t i;
    for (i = 0; i < loop->heap_len; i++)
        loop->heap[i].t->state = SIM__TIMER_IDLE;
    /* Calls still queued are owned by the loop: find them by their cb. */
    for (i = 0; i < loop->heap_len; i++) {
        sim_timer_t *t = loop->heap[i].t;
        if (t->data == (void *)loop) /* marker set by sim_call */
            sim__free(t);            /* timer is the first member */
    }
    while (loop->free_calls) {
        struct sim__call *c = loop->free_calls;
        loop->free_calls = c->next_free;
        sim__free(c);
    }
    SIM_FREE(loop->heap);
    loop->heap_len = loop->heap_cap = 0;
}

void sim_timer_init(sim_loop_t *loop, sim_timer_t *t)
{
    memset(t, 0, sizeof(*t));
    t->loop = loop;
}

int sim_timer_start(sim_timer_t *t, sim_timer_cb cb, uint64_t delay_ns)
{
    sim_loop_t *loop = t->loop;
    uint64_t due;
    SIM_ASSERT(loop != NULL);
    SIM_ASSERT(cb != NULL);
    if (delay_ns > UINT64_MAX - loop->now_ns - 1)
        return SIM_ERANGE;
    due = loop->now_ns + delay_ns;
    t->cb = cb;
    t->due_ns = due;
    t->seq = ++loop->seq;
    if (t->state == SIM__TIMER_IDLE) {
        if (loop->heap_len == loop->heap_cap) {
            uint32_t cap = loop->heap_cap * 2;
            struct sim__hent *h =
                sim__realloc(loop->heap, (size_t)cap * sizeof(*h));
            if (!h)
                return SIM_ENOMEM;
            loop->heap = h;
            loop->heap_cap = cap;
        }
        t->state = SIM__TIMER_ACTIVE;
        heap_set(loop, loop->heap_len++,
                 (struct sim__hent){due, t->seq, t});
        heap_sift_up(loop, loop->heap_len - 1);
        return 0;
    }
    /* Active or firing: it is in the heap already; move it. */
    t->state = SIM__TIMER_ACTIVE;
    loop->heap[t->heap_idx].due_ns = due;
    loop->heap[t->heap_idx].seq = t->seq;
    heap_sift_down(loop, t->heap_idx);
    heap_sift_up(loop, t->heap_idx);
    return 0;
}

void sim_timer_stop(sim_timer_t *t)
{
    if (t->state == SIM__TIMER_IDLE)
        return;
    heap_remove(t->loop, t->heap_idx);
    t->state = SIM__TIMER_IDLE;
}

int sim_timer_active(const sim_timer_t *t)
{
    return t->state == SIM__TIMER_ACTIVE;
}

static void call_fire(sim_timer_t *t)
{
    struct sim__call *c = (struct sim__call *)t;
    sim_loop_t *loop = t->loop;
    sim_call_cb cb = c->cb;
    void *a = c->a, *b = c->b;
    /* Recycle first: cb may schedule calls of its own. */
    sim_timer_stop(t);
    c->next_free = loop->free_calls;
    loop->free_calls = c;
    cb(a, b);
}

int sim_call(sim_loop_t *loop, uint64_t delay_ns, sim_call_cb cb, void *a,
             void *b)
{
    struct sim__call *c = loop->free_calls;
    int rc;
    if (c) {
        loop->free_calls = c->next_free;
    } else {
        c = sim__malloc(sizeof(*c));
        if (!c)
            return SIM_ENOMEM;
    }
    sim_timer_init(loop, &c->timer);
    c->timer.data = loop; /* marks a loop-owned node for sim_loop_close */
    c->cb = cb;
    c->a = a;
    c->b = b;
    rc = sim_timer_start(&c->timer, call_fire, delay_ns);
    if (rc) {
        c->next_free = loop->free_calls;
        loop->free_calls = c;
    }
    return rc;
}

uint64_t sim_loop_run(sim_loop_t *loop, uint64_t until_ns)
{
    uint64_t n = 0;
    loop->stopped = 0;
    while (!loop->stopped && loop->heap_len > 0) {
        sim_timer_t *t = loop->heap[0].t;
        if (t->due_ns > until_ns) {
            if (loop->now_ns < until_ns)
                loop->now_ns = until_ns;
            return n;
        }
        SIM_ASSERT(t->due_ns >= loop->now_ns);
        loop->now_ns = t->due_ns;
        t->state = SIM__TIMER_FIRING;
        loop->events++;
        n++;
        t->cb(t);
        if (t->state == SIM__TIMER_FIRING) {
            heap_remove(loop, t->heap_idx);
            t->state = SIM__TIMER_IDLE;
        }
        if (loop->after_event)
            loop->after_event(loop, loop->after_event_arg);
    }
    if (!loop->stopped && until_ns != SIM_NEVER && loop->now_ns < until_ns)
        loop->now_ns = until_ns;
    return n;
}

void sim_loop_stop(sim_loop_t *loop)
{
    loop->stopped = 1;
}

uint32_t sim_loop_pending(const sim_loop_t *loop)
{
    return loop->heap_len;
}

/* The due time of the earliest armed timer or call, SIM_NEVER if none (for
 * the real-time driver in backend_uv.c, which sleeps until it). */
uint64_t sim_loop_next_due(const sim_loop_t *loop)
{
    return loop->heap_len ? loop->heap[0].due_ns : SIM_NEVER;
}
