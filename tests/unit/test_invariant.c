/*
 * test_invariant.c: invariant registration and checking
 * (sim/include/sim/invariant.h).  Covers sim_inv_check run as the loop's
 * after_event hook (after every event), the first violation recorded with
 * its simulated time, the trace seq and name of the event that broke it and
 * its sentence, later violations only counted, two invariants broken by one
 * event both blaming that event, end-only checks running only in
 * sim_inv_check_end, SIM_ERANGE when the table is full, sim_inv_violated,
 * and the sim.invariant.violated trace event.  The catalogue of rddsim's
 * invariants (sim_inv_catalogue) belongs to the models and is out of scope.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/errno.h"
#include "sim/invariant.h"
#include "sim/loop.h"
#include "sim/trace.h"

/* A check whose verdict the test controls. -------------------------------*/

typedef struct {
    int broken;      /* return 1 while set */
    int calls;       /* times the check ran */
    const char *tag; /* sentence prefix */
} probe_t;

static int probe_check(void *ctx, char *why, size_t why_len)
{
    probe_t *p = ctx;
    p->calls++;
    if (!p->broken)
        return 0;
    snprintf(why, why_len, "%s broken on call %d", p->tag, p->calls);
    return 1;
}

/* Fixture: loop + trace (to memory) + invariants as after_event. ---------*/

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    sim_inv_t inv;
    FILE *jsonl;
    char *jbuf;
    size_t jlen;
    probe_t p[2];
} fix_t;

static void after_event(sim_loop_t *loop, void *arg)
{
    sim_inv_check(arg);
}

static int setup_inv(void **state)
{
    fix_t *f = calloc(1, sizeof(*f));
    if (!f || sim_loop_init(&f->loop, 1) != 0)
        return -1;
    f->jsonl = open_memstream(&f->jbuf, &f->jlen);
    if (!f->jsonl)
        return -1;
    sim_trace_init(&f->tr, NULL, f->jsonl);
    f->loop.trace = &f->tr;
    sim_inv_init(&f->inv, &f->loop);
    f->loop.after_event = after_event;
    f->loop.after_event_arg = &f->inv;
    f->p[0].tag = "S1";
    f->p[1].tag = "S2";
    *state = f;
    return 0;
}

static int teardown_inv(void **state)
{
    fix_t *f = *state;
    fclose(f->jsonl);
    free(f->jbuf);
    sim_loop_close(&f->loop);
    free(f);
    return 0;
}

/* A scripted event: trace `ev`, then set or clear the probes. */
typedef struct {
    fix_t *f;
    const char *ev;
    int break0; /* -1 leave, 0 clear, 1 set */
    int break1;
} step_t;

static void step_cb(void *a, void *b)
{
    step_t *s = a;
    if (s->ev) { /* NULL: an event that traces nothing */
        sim_trace_t *tr = sim_trace_begin(&s->f->loop, s->ev);
        sim_trace_end(tr);
    }
    if (s->break0 >= 0)
        s->f->p[0].broken = s->break0;
    if (s->break1 >= 0)
        s->f->p[1].broken = s->break1;
}

static void schedule(fix_t *f, step_t *steps, size_t n, uint64_t every_ns)
{
    size_t i;
    for (i = 0; i < n; i++) {
        steps[i].f = f;
        assert_int_equal(sim_call(&f->loop, every_ns * (i + 1), step_cb,
                                  &steps[i], NULL), 0);
    }
}

/* Tests ------------------------------------------------------------------*/

static void test_invariant_check_runs_after_every_event(void **state)
{
    fix_t *f = *state;
    step_t steps[5] = {
        {0, "a.b.one", -1, -1}, {0, "a.b.two", -1, -1},
        {0, "a.b.three", -1, -1}, {0, "a.b.four", -1, -1},
        {0, "a.b.five", -1, -1},
    };
    assert_int_equal(sim_inv_add(&f->inv, "S1", "probe", probe_check,
                                 &f->p[0], 0), 0);
    assert_int_equal(f->inv.n, 1);
    schedule(f, steps, 5, SIM_MS(1));
    assert_int_equal(sim_loop_run(&f->loop, SIM_NEVER), 5);
    assert_int_equal(f->p[0].calls, 5);
    assert_int_equal(sim_inv_violated(&f->inv), 0);
}

static void test_invariant_first_violation_records_time_seq_and_event(
    void **state)
{
    fix_t *f = *state;
    step_t steps[3] = {
        {0, "a.b.fine", -1, -1},
        {0, "kube.obj.delete", 1, -1},
        {0, "a.b.later", -1, -1},
    };
    const sim_inv_entry_t *e = &f->inv.e[0];
    assert_int_equal(sim_inv_add(&f->inv, "S1", "daemon ownership",
                                 probe_check, &f->p[0], 0), 0);
    schedule(f, steps, 3, SIM_MS(5));
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(e->violations, 1);
    assert_int_equal(f->p[0].calls, 2);  /* not checked after it broke */
    assert_int_equal(e->first_ns, SIM_MS(10));
    assert_int_equal(e->first_seq, 2);
    assert_string_equal(e->first_ev, "kube.obj.delete");
    assert_string_equal(e->why, "S1 broken on call 2");
    assert_string_equal(e->id, "S1");
    assert_string_equal(e->title, "daemon ownership");
    assert_int_equal(sim_inv_violated(&f->inv), 1);
}

static void test_invariant_is_not_checked_once_broken(void **state)
{
    fix_t *f = *state;
    step_t steps[4] = {
        {0, "a.b.break", 1, -1},
        {0, "a.b.heal", 0, -1},
        {0, "a.b.again", 1, -1},
        {0, "a.b.still", -1, -1},
    };
    const sim_inv_entry_t *e = &f->inv.e[0];
    assert_int_equal(sim_inv_add(&f->inv, "S1", "t", probe_check, &f->p[0],
                                 0), 0);
    schedule(f, steps, 4, SIM_MS(1));
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(e->violations, 1);
    assert_int_equal(f->p[0].calls, 1);
    assert_int_equal(e->first_ns, SIM_MS(1));
    assert_int_equal(e->first_seq, 1);
    assert_string_equal(e->first_ev, "a.b.break");
    assert_string_equal(e->why, "S1 broken on call 1");
    fflush(f->jsonl);
    /* One sim.invariant.violated event, for the first violation only. */
    assert_non_null(strstr(f->jbuf, "\"ev\":\"sim.invariant.violated\","
                                     "\"id\":\"S1\",\"after_seq\":1,"
                                     "\"why\":\"S1 broken on call 1\"}"));
    assert_null(strstr(strstr(f->jbuf, "sim.invariant.violated") + 1,
                       "sim.invariant.violated"));
}

/* An event that traces nothing after S1 broke: S2, broken then, blames
 * the event S1 blamed, not S1's violation record. */
static void test_invariant_silent_event_blames_the_last_real_one(
    void **state)
{
    fix_t *f = *state;
    step_t steps[2] = {
        {0, "kube.obj.delete", 1, -1},
        {0, NULL, -1, 1},
    };
    assert_int_equal(sim_inv_add(&f->inv, "S1", "t", probe_check, &f->p[0],
                                 0), 0);
    assert_int_equal(sim_inv_add(&f->inv, "S2", "t", probe_check, &f->p[1],
                                 0), 0);
    schedule(f, steps, 2, SIM_MS(1));
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(sim_inv_violated(&f->inv), 2);
    assert_string_equal(f->inv.e[1].first_ev, "kube.obj.delete");
    assert_int_equal(f->inv.e[1].first_seq, 1);
    assert_int_equal(f->inv.e[1].first_ns, SIM_MS(2));
}

static void test_invariant_two_broken_by_one_event_both_blame_it(
    void **state)
{
    fix_t *f = *state;
    step_t steps[2] = {
        {0, "a.b.fine", -1, -1},
        {0, "npipe.listen.ok", 1, 1},
    };
    assert_int_equal(sim_inv_add(&f->inv, "S1", "t", probe_check, &f->p[0],
                                 0), 0);
    assert_int_equal(sim_inv_add(&f->inv, "S2", "t", probe_check, &f->p[1],
                                 0), 0);
    schedule(f, steps, 2, SIM_MS(1));
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(sim_inv_violated(&f->inv), 2);
    assert_string_equal(f->inv.e[0].first_ev, "npipe.listen.ok");
    assert_int_equal(f->inv.e[0].first_seq, 2);
    /* S2 was broken by the same event, not by S1's violation record. */
    assert_string_equal(f->inv.e[1].first_ev, "npipe.listen.ok");
    assert_int_equal(f->inv.e[1].first_seq, 2);
}

static void test_invariant_end_only_checks_run_only_at_check_end(
    void **state)
{
    fix_t *f = *state;
    step_t steps[3] = {
        {0, "a.b.one", 1, 1}, {0, "a.b.two", -1, -1},
        {0, "a.b.three", -1, -1},
    };
    assert_int_equal(sim_inv_add(&f->inv, "S1", "safety", probe_check,
                                 &f->p[0], 0), 0);
    assert_int_equal(sim_inv_add(&f->inv, "L1", "liveness", probe_check,
                                 &f->p[1], 1), 0);
    schedule(f, steps, 3, SIM_MS(1));
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->p[0].calls, 1);  /* broken at once, then skipped */
    assert_int_equal(f->p[1].calls, 0);
    assert_int_equal(f->inv.e[1].violations, 0);
    sim_inv_check_end(&f->inv);
    assert_int_equal(f->p[1].calls, 1);
    assert_int_equal(f->p[0].calls, 1); /* a broken one is not run again */
    assert_int_equal(f->inv.e[1].violations, 1);
    assert_int_equal(f->inv.e[1].first_ns, SIM_MS(3));
    assert_string_equal(f->inv.e[1].why, "S2 broken on call 1");
    assert_int_equal(sim_inv_violated(&f->inv), 2);
}

static void test_invariant_add_returns_erange_when_full(void **state)
{
    fix_t *f = *state;
    int i;
    for (i = 0; i < SIM_INV_MAX; i++)
        assert_int_equal(sim_inv_add(&f->inv, "X", "t", probe_check,
                                     &f->p[0], 0), 0);
    assert_int_equal(sim_inv_add(&f->inv, "Y", "t", probe_check, &f->p[0],
                                 0), SIM_ERANGE);
    assert_int_equal(f->inv.n, SIM_INV_MAX);
    sim_inv_check(&f->inv);
    assert_int_equal(f->p[0].calls, SIM_INV_MAX);
}

static void test_invariant_without_trace_records_time_only(void **state)
{
    sim_loop_t loop;
    sim_inv_t inv;
    probe_t p = {1, 0, "S9"};
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    sim_inv_init(&inv, &loop);
    assert_int_equal(sim_inv_add(&inv, "S9", "t", probe_check, &p, 0), 0);
    sim_loop_run(&loop, SIM_MS(7));
    sim_inv_check(&inv);
    assert_int_equal(inv.e[0].violations, 1);
    assert_int_equal(inv.e[0].first_ns, SIM_MS(7));
    assert_int_equal(inv.e[0].first_seq, 0);
    assert_string_equal(inv.e[0].first_ev, "");
    assert_string_equal(inv.e[0].why, "S9 broken on call 1");
    sim_loop_close(&loop);
}

/* A deadline check: "within 10 ms of the clock's start". */
typedef struct {
    sim_inv_t *inv;
    sim_loop_t *loop;
    uint64_t since_ns, since_seq, limit_ns;
    int clock;
} due_t;

static int due_check(void *ctx, char *why, size_t len)
{
    due_t *d = ctx;
    if (!d->clock || sim_now(d->loop) < d->since_ns + d->limit_ns)
        return 0;
    snprintf(why, len, "late");
    sim_inv_due(d->inv, d->since_ns + d->limit_ns, d->since_seq);
    return 1;
}

/* The clock starts at the second event (2 ms); the next event, and so the
 * first check past the 12 ms deadline, comes at 14 ms.  The violation is
 * dated 12 ms and blames the second event; the trace line (written at
 * 14 ms) says at=12ms. */
static void test_invariant_due_dates_at_deadline(void **state)
{
    fix_t *f = *state;
    due_t d = {&f->inv, &f->loop, 0, 0, SIM_MS(10), 0};
    uint64_t seq2;
    step_t steps[3] = {
        {0, "a.b.one", -1, -1}, {0, "a.b.two", -1, -1},
        {0, "a.b.three", -1, -1},
    };
    assert_int_equal(sim_inv_add(&f->inv, "L6", "due", due_check, &d, 0), 0);
    steps[0].f = steps[1].f = steps[2].f = f;
    assert_int_equal(sim_call(&f->loop, SIM_MS(1), step_cb, &steps[0], NULL),
                     0);
    assert_int_equal(sim_call(&f->loop, SIM_MS(2), step_cb, &steps[1], NULL),
                     0);
    assert_int_equal(sim_call(&f->loop, SIM_MS(14), step_cb, &steps[2], NULL),
                     0);
    sim_loop_run(&f->loop, SIM_MS(2));
    d.clock = 1;
    d.since_ns = SIM_MS(2);
    d.since_seq = seq2 = f->tr.last_seq;
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->inv.e[0].violations, 1);
    assert_int_equal(f->inv.e[0].first_ns, SIM_MS(12));
    assert_int_equal(f->inv.e[0].first_seq, seq2);
    fflush(f->jsonl);
    assert_non_null(strstr(f->jbuf, "\"id\":\"L6\",\"after_seq\":2,"
                                    "\"at\":12000000"));
    /* A deadline in the future is clamped to now. */
    sim_inv_due(&f->inv, SIM_MS(99), 1);
    assert_int_equal(f->inv.due_ns, SIM_MS(14));
}

#define INV_TEST(f) cmocka_unit_test_setup_teardown(f, setup_inv, teardown_inv)

int main(void)
{
    const struct CMUnitTest tests[] = {
        INV_TEST(test_invariant_check_runs_after_every_event),
        INV_TEST(test_invariant_first_violation_records_time_seq_and_event),
        INV_TEST(test_invariant_is_not_checked_once_broken),
        INV_TEST(test_invariant_two_broken_by_one_event_both_blame_it),
        INV_TEST(test_invariant_silent_event_blames_the_last_real_one),
        INV_TEST(test_invariant_end_only_checks_run_only_at_check_end),
        INV_TEST(test_invariant_add_returns_erange_when_full),
        INV_TEST(test_invariant_due_dates_at_deadline),
        cmocka_unit_test(test_invariant_without_trace_records_time_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
