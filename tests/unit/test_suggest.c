/*
 * test_suggest.c: sim_suggest (sim/include/sim/suggest.h).  Covers the
 * typo classes (swap, drop, insert, substitute), the distance bound
 * max(1, len/3), ties going to the first candidate, NULL entries and
 * over-long words.  It does not cover the callers' message wording.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/suggest.h"

static const char *const keys[] = {"kind", "name", "daemon", "pipe",
                                   "machine_pipe", "start"};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void test_typos_find_the_key(void **state)
{
    (void)state;
    assert_string_equal(sim_suggest("deamon", keys, NKEYS), "daemon");
    assert_string_equal(sim_suggest("daemn", keys, NKEYS), "daemon");
    assert_string_equal(sim_suggest("daemoon", keys, NKEYS), "daemon");
    assert_string_equal(sim_suggest("strat", keys, NKEYS), "start");
    assert_string_equal(sim_suggest("machinepipe", keys, NKEYS),
                        "machine_pipe");
    assert_string_equal(sim_suggest("kinf", keys, NKEYS), "kind");
}

static void test_far_words_get_nothing(void **state)
{
    (void)state;
    assert_null(sim_suggest("zzzzzz", keys, NKEYS));
    assert_null(sim_suggest("timeline", keys, NKEYS));
    /* "ab" allows 1 edit: "kind" is 3 away. */
    assert_null(sim_suggest("ab", keys, NKEYS));
    assert_null(sim_suggest("", keys, NKEYS));
}

static void test_ties_go_to_the_first(void **state)
{
    static const char *const c[] = {"cat", "bat"};
    (void)state;
    assert_string_equal(sim_suggest("hat", c, 2), "cat");
}

static void test_null_and_long_entries_are_skipped(void **state)
{
    char longw[SIM_SUGGEST_MAX + 2];
    const char *c[3] = {NULL, NULL, "name"};
    (void)state;
    memset(longw, 'a', sizeof(longw) - 1);
    longw[sizeof(longw) - 1] = 0;
    c[1] = longw;
    assert_string_equal(sim_suggest("nmae", c, 3), "name");
    assert_null(sim_suggest(longw, c, 3));
    assert_null(sim_suggest(NULL, c, 3));
    assert_null(sim_suggest("name", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typos_find_the_key),
        cmocka_unit_test(test_far_words_get_nothing),
        cmocka_unit_test(test_ties_go_to_the_first),
        cmocka_unit_test(test_null_and_long_entries_are_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
