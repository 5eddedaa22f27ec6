/*
 * test_explain.c: the chain walk of sim/explore/explain.h on hand-written
 * traces: causes and named links, links walked first, records alike one
 * already kept stepped over and counted, the derived "object" link of a
 * delete, the cite table, and a bad trace refused.
 */
#define _POSIX_C_SOURCE 200809L /* fmemopen */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "explore/explain.h"
#include "sim/errno.h"

static void load(const char *text, explain_trace_t *t)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    assert_int_equal(explain_load(f, t), 0);
    fclose(f);
}

/* A start, a loop of two turns (spawn, exit), a dial that names the
 * listen it reached, and noise nothing led to. */
static const char loop_trace[] =
    "{\"t_ns\":0,\"seq\":1,\"ev\":\"a.listen\",\"proc\":\"dd\"}\n"
    "{\"t_ns\":1,\"seq\":2,\"ev\":\"a.start\"}\n"
    "{\"t_ns\":2,\"seq\":3,\"ev\":\"a.spawn\",\"cause\":2,\"pid\":10}\n"
    "{\"t_ns\":3,\"seq\":4,\"ev\":\"a.exit\",\"cause\":3,\"pid\":10}\n"
    "{\"t_ns\":4,\"seq\":5,\"ev\":\"a.spawn\",\"cause\":4,\"pid\":11}\n"
    "{\"t_ns\":5,\"seq\":6,\"ev\":\"a.exit\",\"cause\":5,\"pid\":11}\n"
    "{\"t_ns\":6,\"seq\":7,\"ev\":\"a.dial\",\"cause\":6,"
    "\"links\":{\"server\":1}}\n"
    "{\"t_ns\":7,\"seq\":8,\"ev\":\"a.noise\"}\n";

static void test_chain_steps_over_a_loop_and_follows_links(void **state)
{
    explain_trace_t t;
    explain_step_t s[EXPLAIN_MAX_STEPS];
    uint64_t start = 7;
    size_t n;
    (void)state;
    load(loop_trace, &t);
    n = explain_chain(&t, &start, 1, s, 10);
    /* trace order; the earlier turn (3, 4) is counted, not shown */
    assert_int_equal(n, 5);
    assert_int_equal(s[0].seq, 1);
    assert_int_equal(s[1].seq, 2);
    assert_int_equal(s[2].seq, 5);
    assert_int_equal(s[2].similar, 1);
    assert_int_equal(s[2].first_similar, 3);
    assert_int_equal(s[3].seq, 6);
    assert_int_equal(s[3].similar, 1);
    assert_int_equal(s[3].first_similar, 4);
    assert_int_equal(s[4].seq, 7);
    assert_int_equal(s[4].similar, 0);
    explain_free(&t);
}

static void test_chain_cut_keeps_what_a_link_reached(void **state)
{
    explain_trace_t t;
    explain_step_t s[EXPLAIN_MAX_STEPS];
    uint64_t start = 7;
    (void)state;
    load(loop_trace, &t);
    /* two steps: the start and its link's target (no cost), not its cause */
    assert_int_equal(explain_chain(&t, &start, 1, s, 2), 2);
    assert_int_equal(s[0].seq, 1);
    assert_int_equal(s[1].seq, 7);
    start = 99; /* not in the trace */
    assert_int_equal(explain_chain(&t, &start, 1, s, 2), 0);
    explain_free(&t);
}

static void test_delete_links_to_the_object_it_removes(void **state)
{
    static const char text[] =
        "{\"t_ns\":0,\"seq\":1,\"ev\":\"kube.obj.apply\",\"store\":\"s\","
        "\"kind\":\"Container\",\"ns\":\"d\",\"name\":\"x\","
        "\"result\":\"created\"}\n"
        "{\"t_ns\":0,\"seq\":2,\"ev\":\"kube.obj.apply\",\"store\":\"t\","
        "\"kind\":\"Container\",\"ns\":\"d\",\"name\":\"x\","
        "\"result\":\"created\"}\n"
        "{\"t_ns\":1,\"seq\":3,\"ev\":\"kube.obj.delete\",\"store\":\"s\","
        "\"kind\":\"Container\",\"ns\":\"d\",\"name\":\"x\","
        "\"links\":{\"stop\":2}}\n";
    explain_trace_t t;
    explain_link_t l[EXPLAIN_MAX_LINKS];
    (void)state;
    load(text, &t);
    /* the trace's links first, then the derived one (store s, not t) */
    assert_int_equal(explain_links(&t, 3, l, EXPLAIN_MAX_LINKS), 2);
    assert_string_equal(l[0].key, "stop");
    assert_int_equal(l[0].seq, 2);
    assert_string_equal(l[1].key, "object");
    assert_int_equal(l[1].seq, 1);
    assert_int_equal(explain_links(&t, 1, l, EXPLAIN_MAX_LINKS), 0);
    explain_free(&t);
}

static void test_cites_and_a_bad_trace(void **state)
{
    static const char bad[] = "{\"t_ns\":0,\"seq\":2,\"ev\":\"a.b\"}\n";
    explain_trace_t t;
    FILE *f;
    (void)state;
    assert_string_equal(explain_cite("rdd.bridge.exit"),
                        "pkg/socketbridge/host_windows.go:52-74");
    assert_null(explain_cite("rdd.bridge"));
    assert_null(explain_cite("npipe.dial.ok"));
    f = fmemopen((void *)bad, strlen(bad), "r");
    assert_non_null(f);
    assert_int_equal(explain_load(f, &t), SIM_EINVAL);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_steps_over_a_loop_and_follows_links),
        cmocka_unit_test(test_chain_cut_keeps_what_a_link_reached),
        cmocka_unit_test(test_delete_links_to_the_object_it_removes),
        cmocka_unit_test(test_cites_and_a_bad_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
