/*
 * test_rng.c: seeded random streams (sim/include/sim/rng.h).  Covers the
 * splitmix64 seeder and uniform() against the test vectors of
 * docs/benchmarks.md (seeder outputs, W1 actor delays,
 * W2 round delays), FNV-1a against its published vectors, sim_rng_fork
 * (same name gives the same stream, names and seeds separate streams,
 * adding a stream shifts none, and the xoshiro256** output is pinned so a
 * change to the generator shows up here), sim_rng_range bounds, and
 * sim_rng_chance at 0/den, den/den and 1/4.  Statistical quality beyond a
 * wide band on one ratio is out of scope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/rng.h"

#define SEED 42

static void test_splitmix64_seeder_matches_reference_vectors(void **state)
{
    uint64_t seeder = SEED;
    assert_true(sim_splitmix64(&seeder) == 0xbdd732262feb6e95ULL);
    assert_true(sim_splitmix64(&seeder) == 0x28efe333b266f103ULL);
    assert_true(sim_splitmix64(&seeder) == 0x47526757130f9f52ULL);
}

static void test_w1_actor_delays_match_reference_vectors(void **state)
{
    static const uint64_t want[2][5] = {
        {344, 956, 487, 68, 677},
        {987, 309, 507, 685, 584},
    };
    uint64_t seeder = SEED;
    int a, k;
    for (a = 0; a < 2; a++) {
        uint64_t rs = sim_splitmix64(&seeder);
        for (k = 0; k < 5; k++) {
            uint64_t d = sim_uniform_from(sim_splitmix64(&rs), 1, 1000);
            assert_int_equal(d, want[a][k]);
        }
    }
}

static void test_w2_round_delays_match_reference_vectors(void **state)
{
    static const uint64_t want[2][5] = {
        {13731677, 38229870, 19453981, 2694315, 27076630},
        {39468451, 12346503, 20269981, 27394921, 23321379},
    };
    uint64_t seeder = SEED;
    int r, i;
    for (r = 0; r < 2; r++) {
        uint64_t rs = sim_splitmix64(&seeder);
        for (i = 0; i < 5; i++) {
            uint64_t d = sim_uniform_from(sim_splitmix64(&rs), 0, 40000000);
            assert_int_equal(d, want[r][i]);
        }
    }
}

static void test_uniform_from_maps_extremes_to_bounds(void **state)
{
    assert_int_equal(sim_uniform_from(0, 1, 1000), 1);
    assert_int_equal(sim_uniform_from(UINT64_MAX, 1, 1000), 1000);
    assert_int_equal(sim_uniform_from(UINT64_MAX, 7, 7), 7);
    assert_int_equal(sim_uniform_from(1ULL << 63, 0, 1), 1);
    assert_int_equal(sim_uniform_from((1ULL << 63) - 1, 0, 1), 0);
}

static void test_fnv1a_matches_published_vectors(void **state)
{
    assert_true(sim_fnv1a("", 0, SIM_FNV_OFFSET) == 0xcbf29ce484222325ULL);
    assert_true(sim_fnv1a("a", 1, SIM_FNV_OFFSET) == 0xaf63dc4c8601ec8cULL);
    assert_true(sim_fnv1a("foobar", 6, SIM_FNV_OFFSET) ==
                0x85944171f73967e8ULL);
    /* Chaining equals hashing the concatenation. */
    assert_true(sim_fnv1a("bar", 3, sim_fnv1a("foo", 3, SIM_FNV_OFFSET)) ==
                0x85944171f73967e8ULL);
}

static void test_rng_fork_output_is_pinned(void **state)
{
    /* Computed independently from the xoshiro256** reference and the
     * seeding rule of rng.c: seed ^ fnv1a(name), then splitmix64 x4. */
    sim_rng_t r;
    sim_rng_fork(&r, SEED, "kube.watch");
    assert_true(sim_rng_next(&r) == 0xbbfd27867b7e6614ULL);
    assert_true(sim_rng_next(&r) == 0x4448d64b8339989bULL);
    assert_true(sim_rng_next(&r) == 0xf11fe2661f001d88ULL);
    sim_rng_fork(&r, SEED, "dock.dd.latency");
    assert_true(sim_rng_next(&r) == 0xb45eab7310b05556ULL);
    assert_true(sim_rng_next(&r) == 0xebd6d40ca74ec12fULL);
    assert_true(sim_rng_next(&r) == 0x75509f48a8d555e7ULL);
}

static void test_rng_fork_same_name_gives_same_stream(void **state)
{
    sim_rng_t a, b;
    int i;
    sim_rng_fork(&a, SEED, "kube.watch");
    sim_rng_fork(&b, SEED, "kube.watch");
    assert_memory_equal(&a, &b, sizeof(a));
    for (i = 0; i < 1000; i++)
        assert_true(sim_rng_next(&a) == sim_rng_next(&b));
}

static void test_rng_fork_different_names_differ(void **state)
{
    static const char *names[] = {"kube.watch", "kube.watcH", "dock.ping",
                                  "fault.kube.update.conflict", "", "a"};
    uint64_t first[6];
    size_t i, j;
    for (i = 0; i < 6; i++) {
        sim_rng_t r;
        sim_rng_fork(&r, SEED, names[i]);
        first[i] = sim_rng_next(&r);
    }
    for (i = 0; i < 6; i++)
        for (j = i + 1; j < 6; j++)
            assert_true(first[i] != first[j]);
}

static void test_rng_fork_different_seeds_differ(void **state)
{
    sim_rng_t a, b;
    sim_rng_fork(&a, 1, "kube.watch");
    sim_rng_fork(&b, 2, "kube.watch");
    assert_true(sim_rng_next(&a) != sim_rng_next(&b));
}

static void test_rng_fork_adding_a_stream_shifts_none(void **state)
{
    uint64_t alone[2][64];
    sim_rng_t a, b, extra;
    int i;
    /* Run 1: streams a and b only. */
    sim_rng_fork(&a, SEED, "dock.latency");
    sim_rng_fork(&b, SEED, "kube.latency");
    for (i = 0; i < 64; i++) {
        alone[0][i] = sim_rng_next(&a);
        alone[1][i] = sim_rng_next(&b);
    }
    /* Run 2: a new stream forked first and drawn from in between. */
    sim_rng_fork(&extra, SEED, "npipe.latency");
    sim_rng_fork(&a, SEED, "dock.latency");
    (void)sim_rng_next(&extra);
    sim_rng_fork(&b, SEED, "kube.latency");
    for (i = 0; i < 64; i++) {
        (void)sim_rng_next(&extra);
        assert_true(sim_rng_next(&a) == alone[0][i]);
        (void)sim_rng_next(&extra);
        assert_true(sim_rng_next(&b) == alone[1][i]);
    }
}

static void test_rng_range_stays_within_inclusive_bounds(void **state)
{
    sim_rng_t r;
    int seen[3] = {0, 0, 0};
    int i;
    sim_rng_fork(&r, SEED, "range");
    for (i = 0; i < 10000; i++) {
        uint64_t v = sim_rng_range(&r, 5, 7);
        assert_true(v >= 5 && v <= 7);
        seen[v - 5] = 1;
    }
    /* Both ends are reachable: the bounds are inclusive. */
    assert_true(seen[0] && seen[1] && seen[2]);
    for (i = 0; i < 100; i++)
        assert_int_equal(sim_rng_range(&r, 9, 9), 9);
    for (i = 0; i < 1000; i++) {
        uint64_t v = sim_rng_range(&r, UINT64_MAX - 1, UINT64_MAX);
        assert_true(v >= UINT64_MAX - 1);
    }
    for (i = 0; i < 1000; i++)
        assert_true(sim_rng_range(&r, 1, UINT64_MAX) >= 1);
}

static void test_rng_range_full_width_is_the_raw_stream(void **state)
{
    sim_rng_t a, b;
    int i;
    sim_rng_fork(&a, SEED, "full");
    sim_rng_fork(&b, SEED, "full");
    for (i = 0; i < 100; i++)
        assert_true(sim_rng_range(&a, 0, UINT64_MAX) == sim_rng_next(&b));
}

static void test_rng_chance_zero_never_fires(void **state)
{
    sim_rng_t r;
    int i;
    sim_rng_fork(&r, SEED, "chance");
    for (i = 0; i < 10000; i++) {
        assert_false(sim_rng_chance(&r, (sim_ratio_t){0, 50}));
        assert_false(sim_rng_chance(&r, (sim_ratio_t){0, 1}));
    }
}

static void test_rng_chance_den_over_den_always_fires(void **state)
{
    sim_rng_t r;
    int i;
    sim_rng_fork(&r, SEED, "chance");
    for (i = 0; i < 10000; i++) {
        assert_true(sim_rng_chance(&r, (sim_ratio_t){50, 50}));
        assert_true(sim_rng_chance(&r, (sim_ratio_t){1, 1}));
        assert_true(sim_rng_chance(&r, (sim_ratio_t){7, 3}));
    }
}

static void test_rng_chance_one_in_four_lands_near_a_quarter(void **state)
{
    sim_rng_t r;
    int i, hits = 0;
    sim_rng_fork(&r, SEED, "chance.quarter");
    for (i = 0; i < 100000; i++)
        hits += sim_rng_chance(&r, (sim_ratio_t){1, 4});
    /* Expected 25000, sigma ~137: a +-1500 band is ~11 sigma wide. */
    assert_in_range(hits, 23500, 26500);
}

static void test_rng_chance_is_deterministic_per_seed(void **state)
{
    sim_rng_t a, b;
    int i;
    sim_rng_fork(&a, 7, "chance.det");
    sim_rng_fork(&b, 7, "chance.det");
    for (i = 0; i < 1000; i++)
        assert_int_equal(sim_rng_chance(&a, (sim_ratio_t){1, 3}),
                         sim_rng_chance(&b, (sim_ratio_t){1, 3}));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitmix64_seeder_matches_reference_vectors),
        cmocka_unit_test(test_w1_actor_delays_match_reference_vectors),
        cmocka_unit_test(test_w2_round_delays_match_reference_vectors),
        cmocka_unit_test(test_uniform_from_maps_extremes_to_bounds),
        cmocka_unit_test(test_fnv1a_matches_published_vectors),
        cmocka_unit_test(test_rng_fork_output_is_pinned),
        cmocka_unit_test(test_rng_fork_same_name_gives_same_stream),
        cmocka_unit_test(test_rng_fork_different_names_differ),
        cmocka_unit_test(test_rng_fork_different_seeds_differ),
        cmocka_unit_test(test_rng_fork_adding_a_stream_shifts_none),
        cmocka_unit_test(test_rng_range_stays_within_inclusive_bounds),
        cmocka_unit_test(test_rng_range_full_width_is_the_raw_stream),
        cmocka_unit_test(test_rng_chance_zero_never_fires),
        cmocka_unit_test(test_rng_chance_den_over_den_always_fires),
        cmocka_unit_test(test_rng_chance_one_in_four_lands_near_a_quarter),
        cmocka_unit_test(test_rng_chance_is_deterministic_per_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
