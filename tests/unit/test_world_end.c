/*
 * test_world_end.c: how a run ends (world.h).  Covers work scheduled at or
 * after the end reaching world_run although the loader refuses it (an
 * instance, an owner and a step after `duration`, an instance start in the
 * last 80 ms, a 0s run): the run returns 0 and teardown touches no freed
 * memory (this test runs under ASan in the asan preset); the event budget
 * (res.stop, the sim.run.budget record, events = budget); the interrupt
 * flag (stops after the first event, sim.run.interrupted); and the loader's
 * refusal and warning for the same times.  It does not cover main.c's
 * exit codes for a stopped run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario/scenario.h"
#include "scenario/world.h"
#include "sim/errno.h"

static const char base[] =
    "name: end\n"
    "host: windows\n"
    "duration: 10s\n"
    "daemons:\n"
    "  - name: dd\n"
    "    containers: [{name: web, count: 3}]\n"
    "owners:\n"
    "  - {kind: docker-desktop, daemon: dd, start: 1s}\n"
    "instances:\n"
    "  - start: 2s\n"
    "timeline:\n"
    "  - {at: 3s, do: svc.start, instance: unset}\n"
    "  - {at: 4s, every: 1ms, do: wsl.start, distro: Ubuntu}\n"
    "variants:\n"
    "  head: {expect: {violated: []}}\n";

static scenario_t *load_base(void)
{
    scenario_t *sc = calloc(1, sizeof(*sc));
    yt_error_t err;
    assert_non_null(sc);
    assert_int_equal(scenario_load_buffer("end.yaml", base, strlen(base), sc,
                                          &err), 0);
    return sc;
}

/* Runs sc; the JSONL trace in *out (caller frees). */
static int run(const scenario_t *sc, uint64_t max_events,
               const volatile sig_atomic_t *intr, world_result_t *res,
               char **out)
{
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    world_io_t io;
    int rc;
    memset(&io, 0, sizeof(io));
    io.jsonl = f;
    io.max_events = max_events;
    io.interrupt = intr;
    rc = world_run(sc, &sc->variants[0], 1, &io, res);
    fclose(f);
    return rc;
}

static void run_ends_clean(scenario_t *sc)
{
    static world_result_t res;
    char *out = NULL;
    assert_int_equal(run(sc, 0, NULL, &res, &out), 0);
    assert_int_equal(res.stop, WORLD_STOP_NONE);
    assert_non_null(strstr(out, "sim.run.end"));
    free(out);
}

static void test_starts_after_the_end_are_dropped(void **state)
{
    scenario_t *sc = load_base();
    (void)state;
    sc->duration_ns = SIM_S(1); /* everything is after the end */
    run_ends_clean(sc);
    free(sc);
}

static void test_starts_just_before_the_end(void **state)
{
    scenario_t *sc = load_base();
    (void)state;
    sc->instances[0].start_ns = sc->duration_ns - SIM_MS(80);
    sc->owners[0].start_ns = sc->duration_ns - SIM_MS(30);
    sc->actions[0].at_ns = sc->duration_ns - SIM_MS(50);
    run_ends_clean(sc);
    sc->instances[0].start_ns = SIM_S(2); /* svc.start on a live one */
    sc->actions[0].at_ns = sc->duration_ns - SIM_MS(5);
    run_ends_clean(sc);
    free(sc);
}

static void test_zero_duration(void **state)
{
    scenario_t *sc = load_base();
    (void)state;
    sc->duration_ns = 0;
    sc->instances[0].start_ns = 0;
    sc->owners[0].start_ns = 0;
    run_ends_clean(sc);
    free(sc);
}

static void test_event_budget_stops_the_run(void **state)
{
    static world_result_t res;
    scenario_t *sc = load_base();
    char *out = NULL;
    (void)state;
    assert_int_equal(run(sc, 500, NULL, &res, &out), 0);
    assert_int_equal(res.stop, WORLD_STOP_BUDGET);
    assert_int_equal(res.events, 500);
    assert_true(res.sim_ns < sc->duration_ns);
    assert_non_null(strstr(out, "\"sim.run.budget\""));
    assert_non_null(strstr(out, "\"max_events\":500"));
    assert_non_null(strstr(out, "sim.run.end"));
    free(out);
    free(sc);
}

static void test_interrupt_stops_after_one_event(void **state)
{
    static world_result_t res;
    static volatile sig_atomic_t flag = 1;
    scenario_t *sc = load_base();
    char *out = NULL;
    (void)state;
    assert_int_equal(run(sc, 0, &flag, &res, &out), 0);
    assert_int_equal(res.stop, WORLD_STOP_INTERRUPT);
    assert_int_equal(res.events, 1);
    assert_non_null(strstr(out, "\"sim.run.interrupted\""));
    assert_non_null(strstr(out, "sim.run.end"));
    free(out);
    free(sc);
}

/* The loader: after the end is an error, the last second a warning. */
static void test_loader_judges_times(void **state)
{
    static scenario_t sc;
    yt_error_t err;
    char buf[sizeof(base) + 16];
    const char *p;
    (void)state;
    p = strstr(base, "start: 2s");
    snprintf(buf, sizeof(buf), "%.*sstart: 11s%s", (int)(p - base), base,
             p + strlen("start: 2s"));
    assert_int_equal(scenario_load_buffer("end.yaml", buf, strlen(buf), &sc,
                                          &err), SIM_EINVAL);
    assert_int_equal(err.line, 10);
    assert_int_equal(err.col, 12);
    assert_non_null(strstr(err.msg, "after the end of the run"));
    snprintf(buf, sizeof(buf), "%.*sstart: 9920ms%s", (int)(p - base), base,
             p + strlen("start: 2s"));
    assert_int_equal(scenario_load_buffer("end.yaml", buf, strlen(buf), &sc,
                                          &err), 0);
    assert_int_equal(sc.nwarn, 1);
    assert_non_null(strstr(sc.warnings[0], "end.yaml:10:12: warning:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_after_the_end_are_dropped),
        cmocka_unit_test(test_starts_just_before_the_end),
        cmocka_unit_test(test_zero_duration),
        cmocka_unit_test(test_event_budget_stops_the_run),
        cmocka_unit_test(test_interrupt_stops_after_one_event),
        cmocka_unit_test(test_loader_judges_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
