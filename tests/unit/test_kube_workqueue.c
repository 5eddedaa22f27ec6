/*
 * test_kube_workqueue.c: controller-runtime's work queue as kube_ctrl_t
 * (fakes/kube/workqueue.c): dedup, one reconcile at a time, re-run after
 * a running key is re-added, per-key back-off in virtual time, forget,
 * RequeueAfter (docs/platform.md#controller-runtime).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/kube.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/loop.h"
#include "sim/trace.h"

#define MAXRUNS 64

typedef struct {
    sim_loop_t loop;
    kube_ctrl_t *c;
    /* what each reconcile (by index) answers */
    int err[MAXRUNS];
    uint64_t requeue[MAXRUNS];
    int err_always;
    uint64_t hold_ns;           /* done this long after start (0: inside) */
    /* what happened */
    char key[MAXRUNS][32];
    uint64_t at[MAXRUNS];
    int n;
    int running;
    int max_running;
    int free_in_cb;
} fx_t;

typedef struct {
    fx_t *f;
    int idx;
} pending_t;

static void finish(fx_t *f, int i)
{
    int err = f->err_always ? SIM_ETIMEDOUT : f->err[i];
    f->running--;
    kube_ctrl_done(f->c, f->key[i], err, f->requeue[i]);
}

static void finish_later(void *a, void *b)
{
    fx_t *f = a;
    finish(f, (int)(intptr_t)b);
}

static void reconcile(void *arg, kube_ctrl_t *c, const char *key)
{
    fx_t *f = arg;
    int i = f->n++;
    assert_true(i < MAXRUNS);
    assert_ptr_equal(c, f->c);
    snprintf(f->key[i], sizeof(f->key[i]), "%s", key);
    f->at[i] = sim_now(&f->loop);
    f->running++;
    if (f->running > f->max_running)
        f->max_running = f->running;
    if (f->free_in_cb) {
        if (f->free_in_cb == 2) /* done first: the next run is armed */
            kube_ctrl_done(f->c, key, SIM_ETIMEDOUT, 0);
        kube_ctrl_free(f->c);
        f->c = NULL;
        return;
    }
    if (f->hold_ns)
        assert_int_equal(sim_call(&f->loop, f->hold_ns, finish_later, f,
                                  (void *)(intptr_t)i),
                         0);
    else
        finish(f, i);
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sim_loop_init(&f->loop, 1), 0);
    assert_int_equal(kube_ctrl_new(&f->loop, "engine", reconcile, f, &f->c),
                     0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    kube_ctrl_free(f->c);
    sim_loop_run(&f->loop, SIM_NEVER);
    sim_loop_close(&f->loop);
    free(f);
    return 0;
}

static void enqueue_later(void *a, void *b)
{
    fx_t *f = a;
    kube_ctrl_enqueue(f->c, (const char *)b);
}

static void test_enqueue_dispatches_on_a_later_turn(void **state)
{
    fx_t *f = *state;
    kube_ctrl_enqueue(f->c, "app");
    assert_int_equal(f->n, 0);
    assert_int_equal(kube_ctrl_reconciles(f->c), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->key[0], "app");
    assert_int_equal(f->at[0], 0);
    assert_int_equal(kube_ctrl_reconciles(f->c), 1);
}

static void test_duplicate_enqueue_while_queued_runs_once(void **state)
{
    fx_t *f = *state;
    kube_ctrl_enqueue(f->c, "app");
    kube_ctrl_enqueue(f->c, "app");
    kube_ctrl_enqueue(f->c, "app");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 1);
}

static void test_keys_run_one_at_a_time_in_fifo_order(void **state)
{
    fx_t *f = *state;
    f->hold_ns = SIM_MS(10);
    kube_ctrl_enqueue(f->c, "b");
    kube_ctrl_enqueue(f->c, "a");
    kube_ctrl_enqueue(f->c, "c");
    kube_ctrl_enqueue(f->c, "a");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->max_running, 1);
    assert_string_equal(f->key[0], "b");
    assert_string_equal(f->key[1], "a");
    assert_string_equal(f->key[2], "c");
    assert_int_equal(f->at[0], 0);
    assert_int_equal(f->at[1], SIM_MS(10));
    assert_int_equal(f->at[2], SIM_MS(20));
}

static void test_enqueue_while_running_runs_once_more_after(void **state)
{
    fx_t *f = *state;
    f->hold_ns = SIM_MS(10);
    kube_ctrl_enqueue(f->c, "app");
    assert_int_equal(sim_call(&f->loop, SIM_MS(5), enqueue_later, f, "app"),
                     0);
    assert_int_equal(sim_call(&f->loop, SIM_MS(6), enqueue_later, f, "app"),
                     0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 2);
    assert_int_equal(f->max_running, 1);
    assert_int_equal(f->at[0], 0);
    assert_int_equal(f->at[1], SIM_MS(10));
}

static void test_error_backoff_doubles_from_5ms_in_virtual_time(void **state)
{
    fx_t *f = *state;
    static const uint64_t want_ms[] = {0, 5, 15, 35, 75, 155, 315};
    size_t i;
    f->err_always = 1;
    kube_ctrl_enqueue(f->c, "app");
    sim_loop_run(&f->loop, SIM_MS(400));
    assert_int_equal(f->n, 7);
    for (i = 0; i < sizeof(want_ms) / sizeof(want_ms[0]); i++)
        assert_int_equal(f->at[i], SIM_MS(want_ms[i]));
}

static void test_backoff_caps_at_1000s(void **state)
{
    fx_t *f = *state;
    int i;
    f->err_always = 1;
    kube_ctrl_enqueue(f->c, "app");
    sim_loop_run(&f->loop, SIM_S(4000));
    /* failure k (1-based) waits 5ms * 2^(k-1): 18 -> 655.36s, then 1000s */
    for (i = 1; i <= 18; i++)
        assert_int_equal(f->at[i] - f->at[i - 1], SIM_MS(5) << (i - 1));
    assert_int_equal(f->at[19] - f->at[18], SIM_S(1000));
    assert_int_equal(f->at[20] - f->at[19], SIM_S(1000));
}

static void test_success_forgets_failures(void **state)
{
    fx_t *f = *state;
    f->err[0] = f->err[1] = f->err[2] = SIM_ETIMEDOUT; /* 0, 5, 15 */
    f->err[4] = SIM_ETIMEDOUT;
    kube_ctrl_enqueue(f->c, "app");
    sim_loop_run(&f->loop, SIM_S(1));
    assert_int_equal(f->n, 4);
    assert_int_equal(f->at[3], SIM_MS(35));
    kube_ctrl_enqueue(f->c, "app");
    sim_loop_run(&f->loop, SIM_S(2));
    assert_int_equal(f->n, 6);
    assert_int_equal(f->at[4], SIM_S(1));
    assert_int_equal(f->at[5], SIM_S(1) + SIM_MS(5)); /* from 5ms again */
}

static void test_requeue_after_readds_after_delay_and_forgets(void **state)
{
    fx_t *f = *state;
    f->err[0] = SIM_ETIMEDOUT;    /* t=0, back-off 5ms */
    f->err[1] = SIM_ETIMEDOUT;    /* t=5ms, back-off 10ms */
    f->requeue[2] = SIM_S(1);     /* t=15ms, success + RequeueAfter */
    f->err[3] = SIM_ETIMEDOUT;    /* t=1.015s: failures were forgotten */
    kube_ctrl_enqueue(f->c, "app");
    sim_loop_run(&f->loop, SIM_S(5));
    assert_int_equal(f->n, 5);
    assert_int_equal(f->at[2], SIM_MS(15));
    assert_int_equal(f->at[3], SIM_MS(1015));
    assert_int_equal(f->at[4], SIM_MS(1020));
}

static void test_event_during_backoff_runs_now_and_again_at_the_timer(
    void **state)
{
    fx_t *f = *state;
    f->err[0] = SIM_ETIMEDOUT;
    kube_ctrl_enqueue(f->c, "app");
    assert_int_equal(sim_call(&f->loop, SIM_MS(1), enqueue_later, f, "app"),
                     0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->at[1], SIM_MS(1));
    assert_int_equal(f->at[2], SIM_MS(5));
}

static void test_earlier_requeue_after_replaces_a_later_one(void **state)
{
    fx_t *f = *state;
    f->requeue[0] = SIM_S(1);
    f->requeue[1] = SIM_MS(100);
    kube_ctrl_enqueue(f->c, "app");
    assert_int_equal(sim_call(&f->loop, SIM_MS(10), enqueue_later, f, "app"),
                     0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->at[1], SIM_MS(10));
    assert_int_equal(f->at[2], SIM_MS(110));
}

static void test_trace_start_and_done(void **state)
{
    fx_t *f = *state;
    sim_trace_t tr;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    sim_trace_init(&tr, mem, NULL);
    f->loop.trace = &tr;
    f->err[0] = SIM_ETIMEDOUT;
    kube_ctrl_enqueue(f->c, "app");
    sim_loop_run(&f->loop, SIM_NEVER);
    f->loop.trace = NULL;
    fclose(mem);
    assert_non_null(strstr(buf, "kube.reconcile.start ctrl=engine key=app "
                                "n=1"));
    assert_non_null(strstr(buf, "kube.reconcile.done ctrl=engine key=app "
                                "err=ETIMEDOUT next=5ms failures=1"));
    assert_non_null(strstr(buf, "kube.reconcile.done ctrl=engine key=app "
                                "err=OK next=0s failures=0"));
    free(buf);
}

static void test_ctrl_free_inside_reconcile_is_safe(void **state)
{
    fx_t *f = *state;
    f->free_in_cb = 1;
    kube_ctrl_enqueue(f->c, "a");
    kube_ctrl_enqueue(f->c, "b");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 1);
    assert_null(f->c);
}

static void test_ctrl_free_after_done_inside_reconcile_is_safe(void **state)
{
    fx_t *f = *state;
    f->free_in_cb = 2;
    kube_ctrl_enqueue(f->c, "a");
    kube_ctrl_enqueue(f->c, "b");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 1);
    assert_null(f->c);
}

static void test_enqueue_out_of_memory_drops_the_key(void **state)
{
    fx_t *f = *state;
    sim_alloc_fail_at(1);
    kube_ctrl_enqueue(f->c, "app");
    sim_alloc_fail_at(0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 0);
    kube_ctrl_enqueue(f->c, "app");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->n, 1);
}

static void test_ctrl_new_oom_loop(void **state)
{
    sim_loop_t loop;
    kube_ctrl_t *c = NULL;
    unsigned long n;
    int rc = SIM_ENOMEM;
    (void)state;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    for (n = 1; rc != 0; n++) {
        sim_alloc_fail_at(n);
        rc = kube_ctrl_new(&loop, "engine", reconcile, NULL, &c);
        if (rc) {
            assert_int_equal(rc, SIM_ENOMEM);
            assert_null(c);
        }
    }
    sim_alloc_fail_at(0);
    assert_non_null(c);
    kube_ctrl_free(c);
    sim_loop_close(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_enqueue_dispatches_on_a_later_turn),
        T(test_duplicate_enqueue_while_queued_runs_once),
        T(test_keys_run_one_at_a_time_in_fifo_order),
        T(test_enqueue_while_running_runs_once_more_after),
        T(test_error_backoff_doubles_from_5ms_in_virtual_time),
        T(test_backoff_caps_at_1000s),
        T(test_success_forgets_failures),
        T(test_requeue_after_readds_after_delay_and_forgets),
        T(test_event_during_backoff_runs_now_and_again_at_the_timer),
        T(test_earlier_requeue_after_replaces_a_later_one),
        T(test_trace_start_and_done),
        T(test_ctrl_free_inside_reconcile_is_safe),
        T(test_ctrl_free_after_done_inside_reconcile_is_safe),
        T(test_enqueue_out_of_memory_drops_the_key),
#undef T
        cmocka_unit_test(test_ctrl_new_oom_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
