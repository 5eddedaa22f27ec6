/*
 * test_loop.c: the virtual-time event loop (sim/include/sim/loop.h).
 * Covers timers (equal deadlines fire in start order; restart and stop
 * inside and outside callbacks, including a timer that restarts itself and
 * stops another timer due at the same instant), sim_call ordering against
 * timers, sim_loop_run(until) stopping at until with now = until and never
 * moving time backwards, sim_loop_stop, the rule that a callback never runs
 * inside the call that scheduled it (delay 0 included), overflow of
 * now + delay (SIM_ERANGE), a heap stress of 10,000 random timers fired in
 * (due, seq) order plus a model-checked stress with restarts and stops from
 * callbacks, a timer moved a million times keeping the heap small (stale
 * entries swept), moves of armed timers never failing for memory, the
 * after_event hook, and OOM loops for sim_loop_init, heap
 * growth and sim_call.  Streams are covered by test_stream.c; the real-I/O
 * backend is out of scope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/loop.h"
#include "sim/rng.h"

/* A log of what fired, shared by the callbacks of one test. -------------*/

#define LOG_MAX 64

typedef struct {
    int id[LOG_MAX];
    uint64_t at[LOG_MAX];
    int n;
} fire_log_t;

static fire_log_t flog;

typedef struct {
    sim_timer_t t;   /* first: callbacks cast the timer back */
    int id;
    int restarts;    /* restart itself this many more times */
    uint64_t period; /* delay of each restart */
    sim_timer_t *victim; /* stop this one when firing, or NULL */
    int victim_first;    /* stop the victim before restarting itself */
    int active_in_cb;    /* sim_timer_active(t) seen inside the callback */
} ttimer_t;

static void log_fire(int id, uint64_t at)
{
    assert_true(flog.n < LOG_MAX);
    flog.id[flog.n] = id;
    flog.at[flog.n] = at;
    flog.n++;
}

static void ttimer_cb(sim_timer_t *t)
{
    ttimer_t *x = (ttimer_t *)t;
    x->active_in_cb = sim_timer_active(t);
    log_fire(x->id, sim_now(t->loop));
    if (x->victim && x->victim_first)
        sim_timer_stop(x->victim);
    if (x->restarts > 0) {
        x->restarts--;
        assert_int_equal(sim_timer_start(t, ttimer_cb, x->period), 0);
    }
    if (x->victim && !x->victim_first)
        sim_timer_stop(x->victim);
}

static void ttimer_init(sim_loop_t *loop, ttimer_t *x, int id)
{
    memset(x, 0, sizeof(*x));
    sim_timer_init(loop, &x->t);
    x->id = id;
}

static void call_log_cb(void *a, void *b)
{
    sim_loop_t *loop = a;
    log_fire((int)(intptr_t)b, sim_now(loop));
}

static int setup_loop(void **state)
{
    sim_loop_t *loop = calloc(1, sizeof(*loop));
    if (!loop || sim_loop_init(loop, 42) != 0)
        return -1;
    memset(&flog, 0, sizeof(flog));
    *state = loop;
    return 0;
}

static int teardown_loop(void **state)
{
    sim_loop_t *loop = *state;
    sim_alloc_fail_at(0);
    sim_loop_close(loop);
    free(loop);
    return 0;
}

/* Timers ----------------------------------------------------------------*/

static void test_timer_equal_deadlines_fire_in_start_order(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t x[5];
    int i;
    for (i = 0; i < 5; i++) {
        ttimer_init(loop, &x[i], i);
        assert_int_equal(sim_timer_start(&x[i].t, ttimer_cb, SIM_MS(10)), 0);
    }
    /* Restarting 1 with the same deadline moves it behind the others. */
    assert_int_equal(sim_timer_start(&x[1].t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 5);
    assert_int_equal(flog.n, 5);
    assert_int_equal(flog.id[0], 0);
    assert_int_equal(flog.id[1], 2);
    assert_int_equal(flog.id[2], 3);
    assert_int_equal(flog.id[3], 4);
    assert_int_equal(flog.id[4], 1);
    for (i = 0; i < 5; i++)
        assert_int_equal(flog.at[i], SIM_MS(10));
}

static void test_timer_earlier_deadline_fires_first_whatever_start_order(
    void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t x[3];
    static const uint64_t delay[3] = {SIM_MS(30), SIM_MS(10), SIM_MS(20)};
    int i;
    for (i = 0; i < 3; i++) {
        ttimer_init(loop, &x[i], i);
        assert_int_equal(sim_timer_start(&x[i].t, ttimer_cb, delay[i]), 0);
    }
    assert_int_equal(sim_loop_pending(loop), 3);
    sim_loop_run(loop, SIM_NEVER);
    assert_int_equal(flog.n, 3);
    assert_int_equal(flog.id[0], 1);
    assert_int_equal(flog.id[1], 2);
    assert_int_equal(flog.id[2], 0);
    assert_int_equal(flog.at[0], SIM_MS(10));
    assert_int_equal(flog.at[2], SIM_MS(30));
    assert_int_equal(sim_loop_pending(loop), 0);
    assert_int_equal(loop->events, 3);
}

static void test_timer_restart_outside_callback_moves_it(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_MS(15)), 0);
    /* Earlier, then later than b: it fires once, at the last deadline. */
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(5)), 0);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(20)), 0);
    assert_int_equal(sim_loop_pending(loop), 2);
    assert_true(sim_timer_active(&a.t));
    assert_int_equal(a.t.due_ns, SIM_MS(20));
    sim_loop_run(loop, SIM_NEVER);
    assert_int_equal(flog.n, 2);
    assert_int_equal(flog.id[0], 2);
    assert_int_equal(flog.at[0], SIM_MS(15));
    assert_int_equal(flog.id[1], 1);
    assert_int_equal(flog.at[1], SIM_MS(20));
    assert_false(sim_timer_active(&a.t));
}

static void test_timer_stop_outside_callback_prevents_firing(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    sim_timer_stop(&a.t); /* inactive: a no-op */
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_MS(10)), 0);
    sim_timer_stop(&a.t);
    sim_timer_stop(&a.t); /* twice: still a no-op */
    assert_false(sim_timer_active(&a.t));
    assert_int_equal(sim_loop_pending(loop), 1);
    sim_loop_run(loop, SIM_NEVER);
    assert_int_equal(flog.n, 1);
    assert_int_equal(flog.id[0], 2);
    /* A stopped timer can be started again. */
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(1)), 0);
    sim_loop_run(loop, SIM_NEVER);
    assert_int_equal(flog.n, 2);
    assert_int_equal(flog.id[1], 1);
    assert_int_equal(flog.at[1], SIM_MS(11));
}

static void test_timer_restarting_itself_fires_at_each_period(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a;
    int i;
    ttimer_init(loop, &a, 1);
    a.restarts = 4;
    a.period = SIM_MS(100);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(100)), 0);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 5);
    assert_int_equal(flog.n, 5);
    for (i = 0; i < 5; i++)
        assert_int_equal(flog.at[i], SIM_MS(100) * (uint64_t)(i + 1));
    /* Inactive while its own callback runs, like a libuv one-shot. */
    assert_false(a.active_in_cb);
    assert_false(sim_timer_active(&a.t));
    assert_int_equal(sim_loop_pending(loop), 0);
}

static void test_timer_restarting_itself_at_zero_delay_runs_after_peers(
    void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    a.restarts = 1;
    a.period = 0;
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_MS(10)), 0);
    sim_loop_run(loop, SIM_NEVER);
    assert_int_equal(flog.n, 3);
    assert_int_equal(flog.id[0], 1);
    assert_int_equal(flog.id[1], 2);
    assert_int_equal(flog.id[2], 1);
    assert_int_equal(flog.at[2], SIM_MS(10));
}

static void run_restart_self_stop_peer(sim_loop_t *loop, uint64_t period,
                                       int victim_first)
{
    ttimer_t a, b, c;
    uint64_t due = sim_now(loop) + SIM_MS(10);
    memset(&flog, 0, sizeof(flog));
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    ttimer_init(loop, &c, 3);
    a.restarts = 1;
    a.period = period;
    a.victim = &b.t;
    a.victim_first = victim_first;
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_timer_start(&c.t, ttimer_cb, SIM_MS(10)), 0);
    sim_loop_run(loop, SIM_NEVER);
    /* b never fires; a fires twice; c (same instant) is not disturbed. */
    assert_int_equal(flog.n, 3);
    assert_int_equal(flog.id[0], 1);
    assert_int_equal(flog.at[0], due);
    assert_int_equal(flog.id[1], 3);
    assert_int_equal(flog.at[1], due);
    assert_int_equal(flog.id[2], 1);
    assert_int_equal(flog.at[2], due + period);
    assert_false(sim_timer_active(&b.t));
    assert_int_equal(sim_loop_pending(loop), 0);
}

static void test_timer_restarting_itself_can_stop_peer_due_same_instant(
    void **state)
{
    sim_loop_t *loop = *state;
    run_restart_self_stop_peer(loop, SIM_MS(1), 0);
    run_restart_self_stop_peer(loop, SIM_MS(1), 1);
    /* Restarting with delay 0 puts a behind b and c in the heap first. */
    run_restart_self_stop_peer(loop, 0, 0);
    run_restart_self_stop_peer(loop, 0, 1);
}

static void stop_self_cb(sim_timer_t *t)
{
    ttimer_t *x = (ttimer_t *)t;
    log_fire(x->id, sim_now(t->loop));
    /* Re-arm, then change our mind: the timer must end up idle. */
    assert_int_equal(sim_timer_start(t, stop_self_cb, SIM_MS(1)), 0);
    assert_true(sim_timer_active(t));
    sim_timer_stop(t);
    assert_false(sim_timer_active(t));
}

static void test_timer_stopped_in_its_own_callback_stays_stopped(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    assert_int_equal(sim_timer_start(&a.t, stop_self_cb, SIM_MS(1)), 0);
    assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_MS(5)), 0);
    sim_loop_run(loop, SIM_NEVER);
    assert_int_equal(flog.n, 2);
    assert_int_equal(flog.id[0], 1);
    assert_int_equal(flog.id[1], 2);
    assert_int_equal(sim_loop_pending(loop), 0);
}

static ttimer_t *g_other;

static void restart_other_cb(sim_timer_t *t)
{
    ttimer_t *x = (ttimer_t *)t;
    log_fire(x->id, sim_now(t->loop));
    /* g_other is due at this instant, after us: push it 5ms later. */
    assert_int_equal(sim_timer_start(&g_other->t, ttimer_cb, SIM_MS(5)), 0);
}

static void test_timer_restarted_by_peer_callback_moves_it(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    g_other = &b;
    assert_int_equal(sim_timer_start(&a.t, restart_other_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_MS(10)), 0);
    sim_loop_run(loop, SIM_NEVER);
    assert_int_equal(flog.n, 2);
    assert_int_equal(flog.id[1], 2);
    assert_int_equal(flog.at[1], SIM_MS(15));
}

/* sim_call ---------------------------------------------------------------*/

static void test_call_orders_with_timers_by_deadline_then_schedule_order(
    void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 3);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_call(loop, SIM_MS(10), call_log_cb, loop,
                              (void *)(intptr_t)2), 0);
    assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_call(loop, SIM_MS(10), call_log_cb, loop,
                              (void *)(intptr_t)4), 0);
    assert_int_equal(sim_call(loop, SIM_MS(5), call_log_cb, loop,
                              (void *)(intptr_t)0), 0);
    assert_int_equal(sim_loop_pending(loop), 5);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 5);
    assert_int_equal(flog.n, 5);
    assert_int_equal(flog.id[0], 0);
    assert_int_equal(flog.at[0], SIM_MS(5));
    assert_int_equal(flog.id[1], 1);
    assert_int_equal(flog.id[2], 2);
    assert_int_equal(flog.id[3], 3);
    assert_int_equal(flog.id[4], 4);
    assert_int_equal(flog.at[4], SIM_MS(10));
    assert_int_equal(sim_loop_pending(loop), 0);
}

static int g_chain;

static void chain_cb(void *a, void *b)
{
    sim_loop_t *loop = a;
    log_fire((int)(intptr_t)b, sim_now(loop));
    if (++g_chain < 10)
        assert_int_equal(sim_call(loop, SIM_MS(1), chain_cb, loop,
                                  (void *)(intptr_t)g_chain), 0);
}

static void test_call_scheduled_from_a_call_reuses_nodes_and_runs_later(
    void **state)
{
    sim_loop_t *loop = *state;
    int i;
    g_chain = 0;
    assert_int_equal(sim_call(loop, 0, chain_cb, loop, (void *)(intptr_t)0),
                     0);
    /* Only the first node is allocated: each later one is recycled. */
    sim_alloc_fail_at(1);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 10);
    sim_alloc_fail_at(0);
    assert_int_equal(flog.n, 10);
    for (i = 0; i < 10; i++) {
        assert_int_equal(flog.id[i], i);
        assert_int_equal(flog.at[i], SIM_MS(1) * (uint64_t)i);
    }
}

/* run(until), stop --------------------------------------------------------*/

static void test_loop_run_until_stops_at_until_and_sets_now(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b, c;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    ttimer_init(loop, &c, 3);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(5)), 0);
    assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_timer_start(&c.t, ttimer_cb, SIM_MS(20)), 0);
    /* An event exactly at until runs; a later one does not. */
    assert_int_equal(sim_loop_run(loop, SIM_MS(10)), 2);
    assert_int_equal(sim_now(loop), SIM_MS(10));
    assert_int_equal(sim_loop_run(loop, SIM_MS(12)), 0);
    assert_int_equal(sim_now(loop), SIM_MS(12));
    assert_int_equal(sim_loop_pending(loop), 1);
    assert_true(sim_timer_active(&c.t));
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 1);
    assert_int_equal(sim_now(loop), SIM_MS(20));
    /* With nothing pending, time still advances to until. */
    assert_int_equal(sim_loop_run(loop, SIM_S(3)), 0);
    assert_int_equal(sim_now(loop), SIM_S(3));
    /* ...but SIM_NEVER leaves the clock at the last event. */
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 0);
    assert_int_equal(sim_now(loop), SIM_S(3));
}

static void test_loop_run_until_in_the_past_never_moves_time_backwards(
    void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a;
    ttimer_init(loop, &a, 1);
    assert_int_equal(sim_loop_run(loop, SIM_MS(10)), 0);
    assert_int_equal(sim_now(loop), SIM_MS(10));
    /* Empty loop, until < now: the clock stays. */
    assert_int_equal(sim_loop_run(loop, SIM_MS(5)), 0);
    assert_int_equal(sim_now(loop), SIM_MS(10));
    /* A pending event later than until, until < now: the clock stays. */
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(10)), 0);
    assert_int_equal(sim_loop_run(loop, SIM_MS(5)), 0);
    assert_int_equal(sim_now(loop), SIM_MS(10));
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 1);
    assert_int_equal(flog.at[0], SIM_MS(20));
}

static void stopper_cb(sim_timer_t *t)
{
    ttimer_t *x = (ttimer_t *)t;
    log_fire(x->id, sim_now(t->loop));
    sim_loop_stop(t->loop);
}

static void test_loop_stop_returns_after_current_event_keeping_pending(
    void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b, c;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    ttimer_init(loop, &c, 3);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(1)), 0);
    assert_int_equal(sim_timer_start(&b.t, stopper_cb, SIM_MS(2)), 0);
    assert_int_equal(sim_timer_start(&c.t, ttimer_cb, SIM_MS(2)), 0);
    assert_int_equal(sim_loop_run(loop, SIM_S(1)), 2);
    /* Stopped at b's instant: not moved to until, c still pending. */
    assert_int_equal(sim_now(loop), SIM_MS(2));
    assert_int_equal(flog.n, 2);
    assert_int_equal(sim_loop_pending(loop), 1);
    assert_true(sim_timer_active(&c.t));
    /* The next run resumes with c. */
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 1);
    assert_int_equal(flog.id[2], 3);
    assert_int_equal(flog.at[2], SIM_MS(2));
}

static void test_loop_stop_before_run_does_not_stick(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a;
    ttimer_init(loop, &a, 1);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(1)), 0);
    sim_loop_stop(loop);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 1);
}

/* Never synchronous --------------------------------------------------------*/

static int g_ran;

static void set_ran_call(void *a, void *b)
{
    g_ran++;
}

static void set_ran_timer(sim_timer_t *t)
{
    g_ran++;
}

static void schedules_zero_delay_cb(void *a, void *b)
{
    sim_loop_t *loop = a;
    sim_timer_t *t = b;
    int before = g_ran;
    assert_int_equal(sim_call(loop, 0, set_ran_call, NULL, NULL), 0);
    assert_int_equal(sim_timer_start(t, set_ran_timer, 0), 0);
    assert_int_equal(g_ran, before);
}

static void test_delay_zero_callback_never_runs_inside_the_call(void **state)
{
    sim_loop_t *loop = *state;
    sim_timer_t t, u;
    sim_timer_init(loop, &t);
    sim_timer_init(loop, &u);
    g_ran = 0;
    assert_int_equal(sim_call(loop, 0, set_ran_call, NULL, NULL), 0);
    assert_int_equal(sim_timer_start(&t, set_ran_timer, 0), 0);
    assert_int_equal(g_ran, 0);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 2);
    assert_int_equal(g_ran, 2);
    assert_int_equal(sim_now(loop), 0);
    /* The same from inside a callback. */
    assert_int_equal(sim_call(loop, 0, schedules_zero_delay_cb, loop, &u), 0);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 3);
    assert_int_equal(g_ran, 4);
    assert_int_equal(sim_now(loop), 0);
}

/* Overflow ---------------------------------------------------------------*/

static void test_timer_start_overflow_returns_erange(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a;
    ttimer_init(loop, &a, 1);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, UINT64_MAX), SIM_ERANGE);
    assert_false(sim_timer_active(&a.t));
    assert_int_equal(sim_loop_pending(loop), 0);
    sim_loop_run(loop, SIM_MS(10));
    /* now + delay would be SIM_NEVER or wrap. */
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, UINT64_MAX - SIM_MS(10)),
                     SIM_ERANGE);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb,
                                     UINT64_MAX - SIM_MS(5)), SIM_ERANGE);
    assert_int_equal(sim_call(loop, UINT64_MAX, call_log_cb, loop, NULL),
                     SIM_ERANGE);
    assert_int_equal(sim_loop_pending(loop), 0);
    /* The largest delay that fits is accepted and fires. */
    assert_int_equal(
        sim_timer_start(&a.t, ttimer_cb, UINT64_MAX - SIM_MS(10) - 1), 0);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 1);
    assert_true(flog.at[0] == UINT64_MAX - 1);
}

/* Heap stress ------------------------------------------------------------*/

#define STRESS_N 10000

typedef struct {
    sim_timer_t t;
    uint32_t order; /* start order */
} stress_timer_t;

typedef struct {
    uint64_t due;
    uint32_t order;
} stress_key_t;

static stress_key_t *g_fired;
static uint32_t g_nfired;

static void stress_cb(sim_timer_t *t)
{
    stress_timer_t *s = (stress_timer_t *)t;
    g_fired[g_nfired].due = sim_now(t->loop);
    g_fired[g_nfired].order = s->order;
    g_nfired++;
}

static int key_cmp(const void *x, const void *y)
{
    const stress_key_t *a = x, *b = y;
    if (a->due != b->due)
        return a->due < b->due ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

static void test_heap_stress_random_timers_fire_in_due_seq_order(void **state)
{
    sim_loop_t *loop = *state;
    stress_timer_t *ts = calloc(STRESS_N, sizeof(*ts));
    stress_key_t *want = calloc(STRESS_N, sizeof(*want));
    sim_rng_t r;
    uint32_t i, order = 0;
    assert_non_null(ts);
    assert_non_null(want);
    g_fired = calloc(STRESS_N, sizeof(*g_fired));
    assert_non_null(g_fired);
    g_nfired = 0;
    sim_rng_fork(&r, 42, "test.heap.stress");
    /* Small delay range: many equal deadlines, so seq decides often. */
    for (i = 0; i < STRESS_N; i++) {
        sim_timer_init(loop, &ts[i].t);
        ts[i].order = order++;
        assert_int_equal(sim_timer_start(&ts[i].t, stress_cb,
                                         sim_rng_range(&r, 0, 999)), 0);
    }
    /* Restart a third (new seq, new deadline) and stop a tenth. */
    for (i = 0; i < STRESS_N; i++) {
        uint64_t k = sim_rng_range(&r, 0, 29);
        if (k < 10) {
            ts[i].order = order++;
            assert_int_equal(sim_timer_start(&ts[i].t, stress_cb,
                                             sim_rng_range(&r, 0, 999)), 0);
        } else if (k < 13) {
            sim_timer_stop(&ts[i].t);
        }
    }
    {
        uint32_t n = 0;
        for (i = 0; i < STRESS_N; i++) {
            if (!sim_timer_active(&ts[i].t))
                continue;
            want[n].due = ts[i].t.due_ns;
            want[n].order = ts[i].order;
            n++;
        }
        assert_int_equal(sim_loop_pending(loop), n);
        qsort(want, n, sizeof(*want), key_cmp);
        assert_int_equal(sim_loop_run(loop, SIM_NEVER), n);
        assert_int_equal(g_nfired, n);
        for (i = 0; i < n; i++) {
            assert_int_equal(g_fired[i].due, want[i].due);
            assert_int_equal(g_fired[i].order, want[i].order);
        }
    }
    free(g_fired);
    g_fired = NULL;
    free(want);
    free(ts);
}

/* A model-checked stress: callbacks restart and stop random timers; each
 * firing must be the minimum (due, seq) of the model's active set. */

#define MODEL_N 1500

typedef struct {
    sim_timer_t t;
    int active;
    uint64_t due;
    uint64_t seq;
} model_timer_t;

static model_timer_t *g_mt;
static uint64_t g_mseq;
static sim_rng_t g_mr;
static uint32_t g_mfires;

static void model_cb(sim_timer_t *t);

static void model_start(model_timer_t *m, uint64_t delay)
{
    assert_int_equal(sim_timer_start(&m->t, model_cb, delay), 0);
    m->active = 1;
    m->due = sim_now(m->t.loop) + delay;
    m->seq = ++g_mseq;
}

static void model_cb(sim_timer_t *t)
{
    model_timer_t *me = (model_timer_t *)t;
    uint32_t i, best = MODEL_N;
    for (i = 0; i < MODEL_N; i++) {
        model_timer_t *m = &g_mt[i];
        if (!m->active)
            continue;
        if (best == MODEL_N || m->due < g_mt[best].due ||
            (m->due == g_mt[best].due && m->seq < g_mt[best].seq))
            best = i;
    }
    assert_true(me == &g_mt[best]);
    assert_int_equal(sim_now(t->loop), me->due);
    me->active = 0;
    g_mfires++;
    if (g_mfires > 6 * MODEL_N)
        return; /* let the heap drain */
    for (i = 0; i < 3; i++) {
        model_timer_t *o = &g_mt[sim_rng_range(&g_mr, 0, MODEL_N - 1)];
        uint64_t k = sim_rng_range(&g_mr, 0, 9);
        if (k < 5) {
            model_start(o, sim_rng_range(&g_mr, 0, 50));
        } else if (k < 8) {
            sim_timer_stop(&o->t);
            o->active = 0;
        }
    }
}

static void test_heap_stress_restarts_and_stops_from_callbacks_keep_order(
    void **state)
{
    sim_loop_t *loop = *state;
    uint32_t i;
    g_mt = calloc(MODEL_N, sizeof(*g_mt));
    assert_non_null(g_mt);
    g_mseq = 0;
    g_mfires = 0;
    sim_rng_fork(&g_mr, 7, "test.heap.model");
    for (i = 0; i < MODEL_N; i++) {
        sim_timer_init(loop, &g_mt[i].t);
        model_start(&g_mt[i], sim_rng_range(&g_mr, 0, 100));
    }
    sim_loop_run(loop, SIM_NEVER);
    assert_true(g_mfires > MODEL_N);
    assert_int_equal(sim_loop_pending(loop), 0);
    for (i = 0; i < MODEL_N; i++)
        assert_false(g_mt[i].active);
    free(g_mt);
    g_mt = NULL;
}

/* after_event --------------------------------------------------------------*/

static uint64_t g_hook_calls;
static uint64_t g_hook_events;

static void count_hook(sim_loop_t *loop, void *arg)
{
    g_hook_calls++;
    g_hook_events = loop->events;
    assert_ptr_equal(arg, &g_hook_calls);
}

static void test_after_event_hook_runs_after_every_event(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a;
    ttimer_init(loop, &a, 1);
    a.restarts = 3;
    a.period = SIM_MS(1);
    g_hook_calls = 0;
    loop->after_event = count_hook;
    loop->after_event_arg = &g_hook_calls;
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, 0), 0);
    assert_int_equal(sim_call(loop, 0, set_ran_call, NULL, NULL), 0);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 5);
    assert_int_equal(g_hook_calls, 5);
    assert_int_equal(g_hook_events, 5);
}

/* Close ------------------------------------------------------------------*/

/* Moves and stops leave stale entries (lazy cancellation); they are swept
 * when they outnumber live ones, so a timer moved a million times keeps
 * the heap small, and the last move is the one that fires. */
static void test_moved_timer_keeps_heap_small_and_fires_once(void **state)
{
    sim_loop_t *loop = *state;
    ttimer_t a, b;
    uint32_t i, peak = 0;
    ttimer_init(loop, &a, 1);
    ttimer_init(loop, &b, 2);
    flog.n = 0;
    for (i = 0; i < 1000000; i++) {
        assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_S(10) + i), 0);
        if (i % 3 == 0) {
            assert_int_equal(sim_timer_start(&b.t, ttimer_cb, SIM_S(5)), 0);
            sim_timer_stop(&b.t);
        }
        if (loop->heap_len > peak)
            peak = loop->heap_len;
    }
    assert_int_equal(sim_loop_pending(loop), 1);
    assert_true(peak <= 256);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 1);
    assert_int_equal(flog.n, 1);
    assert_int_equal(flog.id[0], 1);
    assert_int_equal(flog.at[0], SIM_S(10) + 999999);
}

/* Moving an armed timer never fails, even when the heap is full and
 * cannot grow: its old entry makes the room. */
static void test_moving_armed_timers_succeeds_without_memory(void **state)
{
    sim_loop_t *loop = *state;
    enum { N = 300 };
    ttimer_t *ts = calloc(N, sizeof(*ts));
    int i, k;
    assert_non_null(ts);
    for (i = 0; i < N; i++) {
        ttimer_init(loop, &ts[i], i);
        assert_int_equal(sim_timer_start(&ts[i].t, ttimer_cb, SIM_S(1) + i),
                         0);
    }
    sim_alloc_fail_at(1);
    for (k = 0; k < 3; k++)
        for (i = 0; i < N; i++)
            assert_int_equal(
                sim_timer_start(&ts[i].t, ttimer_cb, SIM_S(2) + N - i), 0);
    sim_alloc_fail_at(0);
    assert_int_equal(sim_loop_pending(loop), N);
    flog.n = 0;
    assert_int_equal(sim_loop_run(loop, SIM_S(2) + 20), 20);
    for (i = 0; i < 20; i++)
        assert_int_equal(flog.id[i], N - 1 - i);
    for (i = 0; i < N; i++)
        sim_timer_stop(&ts[i].t);
    free(ts);
}

static void test_loop_close_drops_pending_timers_and_calls(void **state)
{
    sim_loop_t loop;
    ttimer_t a;
    int i;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    ttimer_init(&loop, &a, 1);
    assert_int_equal(sim_timer_start(&a.t, ttimer_cb, SIM_MS(1)), 0);
    for (i = 0; i < 100; i++)
        assert_int_equal(sim_call(&loop, SIM_MS(2), set_ran_call, NULL, NULL),
                         0);
    g_ran = 0;
    assert_int_equal(sim_loop_run(&loop, SIM_MS(1)), 1);
    /* 100 loop-owned calls still queued: freed by close (ASan checks). */
    sim_loop_close(&loop);
    assert_int_equal(g_ran, 0);
    assert_false(sim_timer_active(&a.t));
}

/* OOM --------------------------------------------------------------------*/

static void test_loop_init_oom_returns_enomem_then_succeeds(void **state)
{
    unsigned long n;
    int rc = SIM_ENOMEM;
    for (n = 1; n < 100 && rc != 0; n++) {
        sim_loop_t loop;
        sim_alloc_fail_at(n);
        rc = sim_loop_init(&loop, 1);
        sim_alloc_fail_at(0);
        if (rc != 0) {
            assert_int_equal(rc, SIM_ENOMEM);
            sim_loop_close(&loop); /* safe after a failed init */
            continue;
        }
        assert_int_equal(sim_now(&loop), 0);
        assert_int_equal(sim_loop_pending(&loop), 0);
        sim_loop_close(&loop);
    }
    assert_int_equal(rc, 0);
    assert_true(n > 2); /* the first attempt did fail */
}

static void test_heap_growth_oom_returns_enomem_and_keeps_heap(void **state)
{
    enum { N = 1000 };
    unsigned long fail_at;
    int done = 0;
    for (fail_at = 1; !done; fail_at++) {
        sim_loop_t loop;
        stress_timer_t *ts = calloc(N, sizeof(*ts));
        uint32_t i, started = 0;
        int rc = 0;
        assert_non_null(ts);
        assert_int_equal(sim_loop_init(&loop, 1), 0);
        g_fired = calloc(N, sizeof(*g_fired));
        g_nfired = 0;
        sim_alloc_fail_at(fail_at);
        for (i = 0; i < N; i++) {
            sim_timer_init(&loop, &ts[i].t);
            ts[i].order = i;
            rc = sim_timer_start(&ts[i].t, stress_cb, N - i);
            if (rc != 0)
                break;
            started++;
        }
        sim_alloc_fail_at(0);
        if (rc != 0) {
            assert_int_equal(rc, SIM_ENOMEM);
            assert_false(sim_timer_active(&ts[started].t));
        } else {
            done = 1;
        }
        assert_int_equal(sim_loop_pending(&loop), started);
        /* What was started still fires, latest-started first. */
        assert_int_equal(sim_loop_run(&loop, SIM_NEVER), started);
        for (i = 0; i < started; i++)
            assert_int_equal(g_fired[i].order, started - 1 - i);
        sim_loop_close(&loop);
        free(g_fired);
        g_fired = NULL;
        free(ts);
        assert_true(fail_at < 100);
    }
}

static void test_call_oom_returns_enomem_and_schedules_nothing(void **state)
{
    sim_loop_t *loop = *state;
    g_ran = 0;
    sim_alloc_fail_at(1);
    assert_int_equal(sim_call(loop, 0, set_ran_call, NULL, NULL), SIM_ENOMEM);
    sim_alloc_fail_at(0);
    assert_int_equal(sim_loop_pending(loop), 0);
    assert_int_equal(sim_call(loop, 0, set_ran_call, NULL, NULL), 0);
    assert_int_equal(sim_loop_run(loop, SIM_NEVER), 1);
    assert_int_equal(g_ran, 1);
}

#define LOOP_TEST(f)                                                           \
    cmocka_unit_test_setup_teardown(f, setup_loop, teardown_loop)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LOOP_TEST(test_timer_equal_deadlines_fire_in_start_order),
        LOOP_TEST(test_moved_timer_keeps_heap_small_and_fires_once),
        LOOP_TEST(test_moving_armed_timers_succeeds_without_memory),
        LOOP_TEST(test_timer_earlier_deadline_fires_first_whatever_start_order),
        LOOP_TEST(test_timer_restart_outside_callback_moves_it),
        LOOP_TEST(test_timer_stop_outside_callback_prevents_firing),
        LOOP_TEST(test_timer_restarting_itself_fires_at_each_period),
        LOOP_TEST(test_timer_restarting_itself_at_zero_delay_runs_after_peers),
        LOOP_TEST(test_timer_restarting_itself_can_stop_peer_due_same_instant),
        LOOP_TEST(test_timer_stopped_in_its_own_callback_stays_stopped),
        LOOP_TEST(test_timer_restarted_by_peer_callback_moves_it),
        LOOP_TEST(test_call_orders_with_timers_by_deadline_then_schedule_order),
        LOOP_TEST(test_call_scheduled_from_a_call_reuses_nodes_and_runs_later),
        LOOP_TEST(test_loop_run_until_stops_at_until_and_sets_now),
        LOOP_TEST(test_loop_run_until_in_the_past_never_moves_time_backwards),
        LOOP_TEST(test_loop_stop_returns_after_current_event_keeping_pending),
        LOOP_TEST(test_loop_stop_before_run_does_not_stick),
        LOOP_TEST(test_delay_zero_callback_never_runs_inside_the_call),
        LOOP_TEST(test_timer_start_overflow_returns_erange),
        LOOP_TEST(test_heap_stress_random_timers_fire_in_due_seq_order),
        LOOP_TEST(
            test_heap_stress_restarts_and_stops_from_callbacks_keep_order),
        LOOP_TEST(test_after_event_hook_runs_after_every_event),
        cmocka_unit_test(test_loop_close_drops_pending_timers_and_calls),
        cmocka_unit_test(test_loop_init_oom_returns_enomem_then_succeeds),
        cmocka_unit_test(test_heap_growth_oom_returns_enomem_and_keeps_heap),
        LOOP_TEST(test_call_oom_returns_enomem_and_schedules_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
