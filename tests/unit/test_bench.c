/*
 * test_bench.c: the DES peer workloads W1 and W2 (sim/bench/bench_kernel.h)
 * on rddsim's own loop.  Covers the reference values of
 * docs/benchmarks.md for parameter sets small enough for a
 * unit test: W1 with the stop rule (the E+1-th wakeup at the same time as
 * the E-th), W1 with few actors, W2's tie rule (a poll sees visibilities of
 * the same microsecond), W2 with ~63% timed-out rounds and W2 with rounds
 * that succeed after a few polls; two runs with one seed agree; zero or
 * inconsistent parameters give SIM_EINVAL.  Wall time, events/s and RSS are
 * measured by `rddsim bench`, never asserted here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench/bench_kernel.h"
#include "sim/errno.h"

static void test_w1_stop_rule_gives_reference_time(void **state)
{
    bench_result_t r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(bench_w1(1000, 200000, 42, &r), 0);
    assert_int_equal(r.events, 200000);
    assert_int_equal(r.final_vtime_us, 100315);
}

static void test_w1_few_actors_gives_reference_time(void **state)
{
    bench_result_t r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(bench_w1(7, 100000, 3, &r), 0);
    assert_int_equal(r.events, 100000);
    assert_int_equal(r.final_vtime_us, 7160189);
}

static void test_w1_same_seed_same_result(void **state)
{
    bench_result_t a, b;
    assert_int_equal(bench_w1(50, 20000, 9, &a), 0);
    assert_int_equal(bench_w1(50, 20000, 9, &b), 0);
    assert_int_equal(a.events, b.events);
    assert_int_equal(a.final_vtime_us, b.final_vtime_us);
}

static void check_w2(uint64_t n, uint64_t l_ms, uint64_t poll_ms,
                     uint64_t timeout_ms, uint64_t rounds, uint64_t seed,
                     uint64_t timed_out, uint64_t polls, uint64_t events,
                     uint64_t final_vtime_us)
{
    bench_w2_params_t p = {n, l_ms, poll_ms, timeout_ms, rounds, seed};
    bench_result_t r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(bench_w2(&p, &r), 0);
    assert_int_equal(r.timed_out, timed_out);
    assert_int_equal(r.polls, polls);
    assert_int_equal(r.events, events);
    assert_int_equal(r.final_vtime_us, final_vtime_us);
}

static void test_w2_tie_rule_gives_reference_values(void **state)
{
    check_w2(1, 1, 1, 30, 100000, 7, 0, 100000, 200000, 102998971000ULL);
}

static void test_w2_lag_above_timeout_gives_reference_values(void **state)
{
    check_w2(1000, 30030, 200, 30000, 1000, 42, 625, 149999, 1149999,
             31028991561ULL);
}

static void test_w2_rounds_that_succeed_give_reference_values(void **state)
{
    check_w2(10, 2000, 200, 30000, 20000, 5, 0, 190189, 390189,
             619970600000ULL);
}

static void test_w1_invalid_params_return_einval(void **state)
{
    bench_result_t r;
    assert_int_equal(bench_w1(0, 100, 42, &r), SIM_EINVAL);
    assert_int_equal(bench_w1(100, 0, 42, &r), SIM_EINVAL);
}

static void test_w2_invalid_params_return_einval(void **state)
{
    static const bench_w2_params_t bad[] = {
        {0, 40000, 200, 30000, 10, 42},  /* no objects */
        {1000, 40000, 200, 30000, 0, 42}, /* no rounds */
        {1000, 40000, 0, 30000, 10, 42},  /* no poll period */
        {1000, 40000, 200, 100, 10, 42},  /* timeout below one poll */
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bench_result_t r;
        assert_int_equal(bench_w2(&bad[i], &r), SIM_EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_w1_stop_rule_gives_reference_time),
        cmocka_unit_test(test_w1_few_actors_gives_reference_time),
        cmocka_unit_test(test_w1_same_seed_same_result),
        cmocka_unit_test(test_w2_tie_rule_gives_reference_values),
        cmocka_unit_test(test_w2_lag_above_timeout_gives_reference_values),
        cmocka_unit_test(test_w2_rounds_that_succeed_give_reference_values),
        cmocka_unit_test(test_w1_invalid_params_return_einval),
        cmocka_unit_test(test_w2_invalid_params_return_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
