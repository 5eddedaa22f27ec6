/*
 * test_fault.c: named fault sites (sim/include/sim/fault.h and
 * sim/fault_sites.def).  Covers the master switch (no sim_faults_t, or an
 * unarmed site, never fires), countdowns (after/repeat exact, repeat 0 =
 * forever), force windows [from, to), chance draws that repeat exactly for
 * two fresh arms with one seed and that do not shift when another site is
 * armed, target filtering, re-arming resetting the counters, the
 * name/what/by_name round trip for every site, and the fault.fire trace
 * event.  Which model code evaluates which site is out of scope.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#endif

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/fault.h"
#include "sim/loop.h"
#include "sim/trace.h"

typedef struct {
    sim_loop_t loop;
    sim_faults_t faults;
} fix_t;

static int setup_faults(void **state)
{
    fix_t *f = calloc(1, sizeof(*f));
    if (!f || sim_loop_init(&f->loop, 1) != 0)
        return -1;
    sim_faults_init(&f->faults);
    f->loop.faults = &f->faults;
    *state = f;
    return 0;
}

static int teardown_faults(void **state)
{
    fix_t *f = *state;
    sim_loop_close(&f->loop);
    free(f);
    return 0;
}

static sim_fault_arm_t arm_zero(void)
{
    sim_fault_arm_t a;
    memset(&a, 0, sizeof(a));
    return a;
}

static void test_fault_without_faults_table_never_fires(void **state)
{
    sim_loop_t loop;
    int i;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    assert_null(loop.faults);
    for (i = 0; i < SIM_FAULT__COUNT; i++)
        assert_false(sim_fault(&loop, (sim_fault_site_t)i, "rd"));
    sim_loop_close(&loop);
}

static void test_fault_unarmed_site_never_fires(void **state)
{
    fix_t *f = *state;
    int i, k;
    for (k = 0; k < 100; k++)
        for (i = 0; i < SIM_FAULT__COUNT; i++) {
            assert_false(sim_fault(&f->loop, (sim_fault_site_t)i, NULL));
            assert_false(sim_fault(&f->loop, (sim_fault_site_t)i, "rd"));
        }
    for (i = 0; i < SIM_FAULT__COUNT; i++) {
        assert_int_equal(f->faults.site[i].calls, 0);
        assert_int_equal(f->faults.site[i].fired, 0);
    }
    /* Arming one site leaves the others quiet. */
    {
        sim_fault_arm_t a = arm_zero();
        a.by_count = 1;
        sim_faults_arm(&f->faults, SIM_FAULT_KUBE_SERVER_ERROR, &a, 1);
        assert_true(SIM_FAULT(&f->loop, KUBE_SERVER_ERROR, NULL));
        assert_false(SIM_FAULT(&f->loop, KUBE_APF_THROTTLED, NULL));
    }
}

static void test_fault_countdown_fails_after_n_calls_repeat_times(
    void **state)
{
    fix_t *f = *state;
    static const int want[10] = {0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
    sim_fault_arm_t a = arm_zero();
    int i;
    a.by_count = 1;
    a.after = 3;
    a.repeat = 2;
    sim_faults_arm(&f->faults, SIM_FAULT_DOCK_PING_UNAVAILABLE, &a, 1);
    for (i = 0; i < 10; i++)
        assert_int_equal(SIM_FAULT(&f->loop, DOCK_PING_UNAVAILABLE, NULL),
                         want[i]);
    assert_int_equal(f->faults.site[SIM_FAULT_DOCK_PING_UNAVAILABLE].calls,
                     10);
    assert_int_equal(f->faults.site[SIM_FAULT_DOCK_PING_UNAVAILABLE].fired,
                     2);
}

static void test_fault_countdown_repeat_zero_fails_forever(void **state)
{
    fix_t *f = *state;
    sim_fault_arm_t a = arm_zero();
    int i;
    a.by_count = 1;
    a.after = 2;
    a.repeat = 0;
    sim_faults_arm(&f->faults, SIM_FAULT_NPIPE_DIAL_BUSY, &a, 1);
    assert_false(SIM_FAULT(&f->loop, NPIPE_DIAL_BUSY, NULL));
    assert_false(SIM_FAULT(&f->loop, NPIPE_DIAL_BUSY, NULL));
    for (i = 0; i < 1000; i++)
        assert_true(SIM_FAULT(&f->loop, NPIPE_DIAL_BUSY, NULL));
    assert_int_equal(f->faults.site[SIM_FAULT_NPIPE_DIAL_BUSY].fired, 1000);
}

static void test_fault_time_window_fires_in_from_to_half_open(void **state)
{
    fix_t *f = *state;
    static const struct {
        uint64_t at;
        int want;
    } rows[] = {
        {0, 0},
        {SIM_MS(10) - 1, 0},
        {SIM_MS(10), 1},
        {SIM_MS(15), 1},
        {SIM_MS(20) - 1, 1},
        {SIM_MS(20), 0},
        {SIM_S(5), 0},
    };
    sim_fault_arm_t a = arm_zero();
    size_t i;
    a.by_time = 1;
    a.from_ns = SIM_MS(10);
    a.to_ns = SIM_MS(20);
    sim_faults_arm(&f->faults, SIM_FAULT_UDS_CONNECT_REFUSED, &a, 1);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        sim_loop_run(&f->loop, rows[i].at);
        assert_int_equal(sim_now(&f->loop), rows[i].at);
        assert_int_equal(SIM_FAULT(&f->loop, UDS_CONNECT_REFUSED, "x"),
                         rows[i].want);
    }
}

#define DRAWS 2000

static void draw_pattern(uint64_t seed, int with_other, char *out)
{
    sim_loop_t loop;
    sim_faults_t faults;
    sim_fault_arm_t a = arm_zero();
    int i;
    assert_int_equal(sim_loop_init(&loop, seed), 0);
    sim_faults_init(&faults);
    loop.faults = &faults;
    a.chance.num = 1;
    a.chance.den = 3;
    if (with_other) /* another site armed by chance and drawn from */
        sim_faults_arm(&faults, SIM_FAULT_KUBE_APF_THROTTLED, &a, seed);
    sim_faults_arm(&faults, SIM_FAULT_KUBE_UPDATE_CONFLICT, &a, seed);
    for (i = 0; i < DRAWS; i++) {
        if (with_other)
            (void)SIM_FAULT(&loop, KUBE_APF_THROTTLED, NULL);
        out[i] = (char)SIM_FAULT(&loop, KUBE_UPDATE_CONFLICT, NULL);
    }
    sim_loop_close(&loop);
}

static void test_fault_chance_repeats_exactly_for_one_seed(void **state)
{
    char a[DRAWS], b[DRAWS], c[DRAWS];
    int i, hits = 0;
    draw_pattern(99, 0, a);
    draw_pattern(99, 0, b);
    draw_pattern(100, 0, c);
    assert_memory_equal(a, b, DRAWS);
    assert_true(memcmp(a, c, DRAWS) != 0);
    for (i = 0; i < DRAWS; i++)
        hits += a[i];
    assert_in_range(hits, DRAWS / 3 - 200, DRAWS / 3 + 200);
}

static void test_fault_chance_not_shifted_by_another_armed_site(void **state)
{
    char alone[DRAWS], shared[DRAWS];
    draw_pattern(99, 0, alone);
    draw_pattern(99, 1, shared);
    assert_memory_equal(alone, shared, DRAWS);
}

static void test_fault_chance_extremes(void **state)
{
    fix_t *f = *state;
    sim_fault_arm_t a = arm_zero();
    int i;
    a.chance.num = 0;
    a.chance.den = 50;
    sim_faults_arm(&f->faults, SIM_FAULT_DOCK_VOLUME_RM_IN_USE, &a, 1);
    for (i = 0; i < 1000; i++)
        assert_false(SIM_FAULT(&f->loop, DOCK_VOLUME_RM_IN_USE, NULL));
    a.chance.num = 50;
    sim_faults_arm(&f->faults, SIM_FAULT_DOCK_VOLUME_RM_IN_USE, &a, 1);
    for (i = 0; i < 1000; i++)
        assert_true(SIM_FAULT(&f->loop, DOCK_VOLUME_RM_IN_USE, NULL));
}

static void test_fault_target_restricts_site_to_matching_calls(void **state)
{
    fix_t *f = *state;
    sim_fault_arm_t a = arm_zero();
    sim_fault_arm_t *s = &f->faults.site[SIM_FAULT_DOCK_CONTAINER_NOT_FOUND];
    a.by_count = 1;
    snprintf(a.target, sizeof(a.target), "%s", "web-0");
    sim_faults_arm(&f->faults, SIM_FAULT_DOCK_CONTAINER_NOT_FOUND, &a, 1);
    assert_false(SIM_FAULT(&f->loop, DOCK_CONTAINER_NOT_FOUND, "web-1"));
    assert_false(SIM_FAULT(&f->loop, DOCK_CONTAINER_NOT_FOUND, NULL));
    assert_false(SIM_FAULT(&f->loop, DOCK_CONTAINER_NOT_FOUND, "web-0x"));
    assert_false(SIM_FAULT(&f->loop, DOCK_CONTAINER_NOT_FOUND, ""));
    assert_int_equal(s->calls, 0); /* non-matching calls are not counted */
    assert_true(SIM_FAULT(&f->loop, DOCK_CONTAINER_NOT_FOUND, "web-0"));
    assert_int_equal(s->calls, 1);
    assert_int_equal(s->fired, 1);
    /* An empty target matches every call, NULL included. */
    a.target[0] = 0;
    sim_faults_arm(&f->faults, SIM_FAULT_DOCK_CONTAINER_NOT_FOUND, &a, 1);
    assert_true(SIM_FAULT(&f->loop, DOCK_CONTAINER_NOT_FOUND, NULL));
    assert_true(SIM_FAULT(&f->loop, DOCK_CONTAINER_NOT_FOUND, "web-1"));
}

static void test_fault_rearm_resets_counters(void **state)
{
    fix_t *f = *state;
    sim_fault_arm_t a = arm_zero();
    sim_fault_arm_t *s = &f->faults.site[SIM_FAULT_KUBE_SERVER_ERROR];
    a.by_count = 1;
    a.after = 1;
    a.repeat = 1;
    sim_faults_arm(&f->faults, SIM_FAULT_KUBE_SERVER_ERROR, &a, 1);
    assert_false(SIM_FAULT(&f->loop, KUBE_SERVER_ERROR, NULL));
    assert_true(SIM_FAULT(&f->loop, KUBE_SERVER_ERROR, NULL));
    assert_false(SIM_FAULT(&f->loop, KUBE_SERVER_ERROR, NULL));
    a.calls = 77; /* read-only fields in the template are ignored */
    a.fired = 77;
    sim_faults_arm(&f->faults, SIM_FAULT_KUBE_SERVER_ERROR, &a, 1);
    assert_int_equal(s->calls, 0);
    assert_int_equal(s->fired, 0);
    assert_true(s->armed);
    assert_false(SIM_FAULT(&f->loop, KUBE_SERVER_ERROR, NULL));
    assert_true(SIM_FAULT(&f->loop, KUBE_SERVER_ERROR, NULL));
}

static void test_fault_names_round_trip_for_every_site(void **state)
{
    int i, j;
    for (i = 0; i < SIM_FAULT__COUNT; i++) {
        const char *name = sim_fault_name((sim_fault_site_t)i);
        const char *what = sim_fault_what((sim_fault_site_t)i);
        const char *p;
        assert_non_null(name);
        assert_non_null(what);
        assert_true(strlen(what) > 0);
        assert_int_equal(sim_fault_by_name(name), i);
        /* <component>.<object>.<verb>, lower snake case. */
        assert_non_null(strchr(name, '.'));
        for (p = name; *p; p++)
            assert_true(islower((unsigned char)*p) ||
                        isdigit((unsigned char)*p) || *p == '.' || *p == '_');
        for (j = i + 1; j < SIM_FAULT__COUNT; j++)
            assert_string_not_equal(name,
                                    sim_fault_name((sim_fault_site_t)j));
    }
    assert_int_equal(sim_fault_by_name("no.such.site"), -1);
    assert_int_equal(sim_fault_by_name(""), -1);
    assert_int_equal(sim_fault_by_name("KUBE_UPDATE_CONFLICT"), -1);
    assert_int_equal(sim_fault_by_name("kube.update.conflict"),
                     SIM_FAULT_KUBE_UPDATE_CONFLICT);
}

static void test_fault_fire_emits_a_trace_event(void **state)
{
    fix_t *f = *state;
    sim_trace_t tr;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    sim_fault_arm_t a = arm_zero();
    assert_non_null(mem);
    sim_trace_init(&tr, NULL, mem);
    f->loop.trace = &tr;
    a.by_count = 1;
    a.after = 1;
    sim_faults_arm(&f->faults, SIM_FAULT_KUBE_UPDATE_CONFLICT, &a, 1);
    sim_loop_run(&f->loop, SIM_MS(3));
    assert_false(SIM_FAULT(&f->loop, KUBE_UPDATE_CONFLICT, "pod/web-0"));
    assert_int_equal(tr.seq, 0); /* passing calls trace nothing */
    assert_true(SIM_FAULT(&f->loop, KUBE_UPDATE_CONFLICT, "pod/web-0"));
    assert_true(SIM_FAULT(&f->loop, KUBE_UPDATE_CONFLICT, NULL));
    fclose(mem);
    assert_string_equal(buf,
                        "{\"t_ns\":3000000,\"seq\":1,\"ev\":\"fault.fire\","
                        "\"site\":\"kube.update.conflict\","
                        "\"target\":\"pod/web-0\",\"n\":1}\n"
                        "{\"t_ns\":3000000,\"seq\":2,\"ev\":\"fault.fire\","
                        "\"site\":\"kube.update.conflict\","
                        "\"target\":\"\",\"n\":2}\n");
    assert_string_equal(tr.last_ev, "fault.fire");
    f->loop.trace = NULL;
    free(buf);
}

#define FAULT_TEST(f)                                                          \
    cmocka_unit_test_setup_teardown(f, setup_faults, teardown_faults)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_without_faults_table_never_fires),
        FAULT_TEST(test_fault_unarmed_site_never_fires),
        FAULT_TEST(test_fault_countdown_fails_after_n_calls_repeat_times),
        FAULT_TEST(test_fault_countdown_repeat_zero_fails_forever),
        FAULT_TEST(test_fault_time_window_fires_in_from_to_half_open),
        cmocka_unit_test(test_fault_chance_repeats_exactly_for_one_seed),
        cmocka_unit_test(test_fault_chance_not_shifted_by_another_armed_site),
        FAULT_TEST(test_fault_chance_extremes),
        FAULT_TEST(test_fault_target_restricts_site_to_matching_calls),
        FAULT_TEST(test_fault_rearm_resets_counters),
        cmocka_unit_test(test_fault_names_round_trip_for_every_site),
        FAULT_TEST(test_fault_fire_emits_a_trace_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
