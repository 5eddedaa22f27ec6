/*
 * bench_kernel.c: the DES peer workloads W1 and W2 of
 * docs/benchmarks.md, run on sim_loop_t (virtual backend,
 * tracing off), the same loop the models use.  Prints one RESULT line.
 */
#include "bench_kernel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/loop.h"
#include "sim/rng.h"
#include "sim/wall.h"

/* W1 ---------------------------------------------------------------------*/

typedef struct {
    sim_timer_t timer;
    uint64_t rng;
} w1_actor_t;

typedef struct {
    uint64_t counter;
    uint64_t e;
    uint64_t t_us;
} w1_state_t;

static w1_state_t w1;

static void w1_wake(sim_timer_t *t)
{
    w1_actor_t *a = (w1_actor_t *)t;
    if (++w1.counter == w1.e) {
        w1.t_us = sim_now(t->loop) / SIM_NS_PER_US;
        sim_loop_stop(t->loop);
        return;
    }
    sim_timer_start(t, w1_wake,
                    sim_uniform_from(sim_splitmix64(&a->rng), 1, 1000) *
                        SIM_NS_PER_US);
}

int bench_w1(uint64_t actors, uint64_t e, uint64_t seed, bench_result_t *r)
{
    sim_loop_t loop;
    w1_actor_t *a;
    uint64_t seeder = seed, i, t0;
    int rc;
    if (actors == 0 || e == 0)
        return SIM_EINVAL;
    t0 = sim_wall_ns();
    if ((rc = sim_loop_init(&loop, seed)) != 0)
        return rc;
    a = sim__calloc(actors, sizeof(*a));
    if (!a) {
        sim_loop_close(&loop);
        return SIM_ENOMEM;
    }
    memset(&w1, 0, sizeof(w1));
    w1.e = e;
    for (i = 0; i < actors; i++) {
        a[i].rng = sim_splitmix64(&seeder);
        sim_timer_init(&loop, &a[i].timer);
        rc = sim_timer_start(&a[i].timer, w1_wake,
                             sim_uniform_from(sim_splitmix64(&a[i].rng), 1,
                                              1000) * SIM_NS_PER_US);
        if (rc)
            break;
    }
    if (!rc)
        sim_loop_run(&loop, SIM_NEVER);
    r->events = w1.counter;
    r->final_vtime_us = w1.t_us;
    r->wall_ns = sim_wall_ns() - t0;
    sim_loop_close(&loop);
    sim__free(a);
    return rc;
}

/* W2 ---------------------------------------------------------------------*/

typedef struct w2 w2_t;

typedef struct {
    sim_timer_t timer;
    w2_t *w;
    uint32_t i;
    uint32_t round;
} w2_obj_t;

struct w2 {
    uint64_t n, l_us, poll_us, timeout_us, rounds, kmax, stride_us;
    uint64_t seeder;
    uint64_t *d[2];        /* delays of rounds r and r+1 */
    uint64_t drawn_round;  /* highest round whose delays are drawn */
    uint64_t pending, cur_round, k;
    uint64_t polls, timed_out, events;
    sim_timer_t poll;
    w2_obj_t *objs;
};

static void w2_draw(w2_t *w, uint64_t round)
{
    uint64_t rs = sim_splitmix64(&w->seeder), i;
    uint64_t *d = w->d[round & 1];
    for (i = 0; i < w->n; i++)
        d[i] = sim_uniform_from(sim_splitmix64(&rs), 0, w->l_us);
    w->drawn_round = round;
}

/* Visibility at tick t_us*1000 (ns); polls at t_us*1000 + 1 so that a poll
 * sees every visibility of the same microsecond (the tie rule). */
static uint64_t w2_vis_ns(w2_t *w, uint64_t round, uint64_t i)
{
    return (round * w->stride_us + w->d[round & 1][i]) * SIM_NS_PER_US;
}

static void w2_visible(sim_timer_t *t)
{
    w2_obj_t *o = (w2_obj_t *)t;
    w2_t *w = o->w;
    uint64_t next = o->round + 1;
    w->events++;
    if (o->round == w->cur_round)
        w->pending--;
    if (next < w->rounds) {
        if (w->drawn_round < next)
            w2_draw(w, next);
        o->round = (uint32_t)next;
        sim_timer_start(t, w2_visible,
                        w2_vis_ns(w, next, o->i) - sim_now(t->loop));
    }
}

static void w2_poll(sim_timer_t *t)
{
    w2_t *w = t->data;
    uint64_t r = w->cur_round, next_round;
    w->events++;
    w->polls++;
    if (w->pending != 0 && w->k < w->kmax) {
        w->k++;
        sim_timer_start(t, w2_poll,
                        (r * w->stride_us + w->k * w->poll_us) *
                                SIM_NS_PER_US + 1 - sim_now(t->loop));
        return;
    }
    if (w->pending != 0)
        w->timed_out++;
    next_round = r + 1;
    if (next_round >= w->rounds)
        return;
    /* Round r+1: every object's visibility is already scheduled by its
     * round-r firing, except those still pending in round r. */
    w->cur_round = next_round;
    w->pending = w->n;
    /* Objects whose round-r visibility has not fired yet still count for
     * round r; they re-arm for r+1 when they fire.  Rounds never overlap
     * (L < S), so none can be pending here once time reaches T_{r+1}. */
    w->k = 1;
    sim_timer_start(t, w2_poll,
                    (next_round * w->stride_us + w->poll_us) * SIM_NS_PER_US +
                        1 - sim_now(t->loop));
}

int bench_w2(const bench_w2_params_t *p, bench_result_t *r)
{
    sim_loop_t loop;
    w2_t w;
    uint64_t i, t0;
    int rc;
    if (p->n == 0 || p->rounds == 0 || p->poll_ms == 0 ||
        p->timeout_ms < p->poll_ms)
        return SIM_EINVAL;
    t0 = sim_wall_ns();
    memset(&w, 0, sizeof(w));
    w.n = p->n;
    w.l_us = p->l_ms * 1000;
    w.poll_us = p->poll_ms * 1000;
    w.timeout_us = p->timeout_ms * 1000;
    w.rounds = p->rounds;
    w.kmax = p->timeout_ms / p->poll_ms;
    w.stride_us = (w.l_us > w.timeout_us ? w.l_us : w.timeout_us) + 1000000;
    w.seeder = p->seed;
    if ((rc = sim_loop_init(&loop, p->seed)) != 0)
        return rc;
    w.d[0] = sim__calloc(w.n, sizeof(uint64_t));
    w.d[1] = sim__calloc(w.n, sizeof(uint64_t));
    w.objs = sim__calloc(w.n, sizeof(*w.objs));
    if (!w.d[0] || !w.d[1] || !w.objs) {
        rc = SIM_ENOMEM;
        goto out;
    }
    w2_draw(&w, 0);
    w.pending = w.n;
    for (i = 0; i < w.n && !rc; i++) {
        w.objs[i].w = &w;
        w.objs[i].i = (uint32_t)i;
        sim_timer_init(&loop, &w.objs[i].timer);
        rc = sim_timer_start(&w.objs[i].timer, w2_visible, w2_vis_ns(&w, 0, i));
    }
    sim_timer_init(&loop, &w.poll);
    w.poll.data = &w;
    w.k = 1;
    if (!rc)
        rc = sim_timer_start(&w.poll, w2_poll, w.poll_us * SIM_NS_PER_US + 1);
    if (!rc)
        sim_loop_run(&loop, SIM_NEVER);
    r->events = w.events;
    r->polls = w.polls;
    r->timed_out = w.timed_out;
    r->final_vtime_us = sim_now(&loop) / SIM_NS_PER_US;
out:
    r->wall_ns = sim_wall_ns() - t0;
    sim_loop_close(&loop);
    sim__free(w.d[0]);
    sim__free(w.d[1]);
    sim__free(w.objs);
    return rc;
}
