/*
 * test_errno.c: the error table of sim/include/sim/errno.h.  Covers that
 * every SIM_E* code is negative and distinct, has a distinct name equal to
 * its spelling without the SIM_ prefix and a distinct, non-empty sentence,
 * that 0 is "OK", and that codes outside the table (positive errno values,
 * the sentinels around the table) are "EUNKNOWN".  It does not cover how
 * fakes build component-specific text around a code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/errno.h"

typedef struct {
    int code;
    const char *spelling;
} code_row_t;

static const code_row_t codes[] = {
#define ROW(name, msg) {SIM_##name, #name},
    SIM_ERRNO_MAP(ROW)
#undef ROW
};

#define NCODES (sizeof(codes) / sizeof(codes[0]))

static void test_every_code_is_negative_and_distinct(void **state)
{
    size_t i, j;
    assert_true(NCODES > 0);
    for (i = 0; i < NCODES; i++) {
        assert_true(codes[i].code < 0);
        for (j = i + 1; j < NCODES; j++)
            assert_int_not_equal(codes[i].code, codes[j].code);
    }
}

static void test_every_code_has_its_own_name(void **state)
{
    size_t i, j;
    for (i = 0; i < NCODES; i++) {
        const char *name = sim_err_name(codes[i].code);
        assert_string_equal(name, codes[i].spelling);
        assert_true(name[0] == 'E');
        assert_string_not_equal(name, "EUNKNOWN");
        for (j = i + 1; j < NCODES; j++)
            assert_string_not_equal(name, sim_err_name(codes[j].code));
    }
}

static void test_every_code_has_its_own_message(void **state)
{
    size_t i, j;
    for (i = 0; i < NCODES; i++) {
        const char *msg = sim_strerror(codes[i].code);
        assert_non_null(msg);
        assert_true(strlen(msg) > 0);
        assert_string_not_equal(msg, "unknown error");
        assert_string_not_equal(msg, "success");
        for (j = i + 1; j < NCODES; j++)
            assert_string_not_equal(msg, sim_strerror(codes[j].code));
    }
}

static void test_zero_is_ok(void **state)
{
    assert_int_equal(SIM_OK, 0);
    assert_string_equal(sim_err_name(0), "OK");
    assert_string_equal(sim_strerror(0), "success");
}

static void test_unknown_code_is_eunknown(void **state)
{
    static const int unknown[] = {
        1, 12, -1, -12, -999, SIM__ERRNO_FIRST, -SIM__ERRNO_FIRST,
        -SIM__ERRNO_END, SIM__ERRNO_END, 1000000, -1000000,
    };
    size_t i;
    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(sim_err_name(unknown[i]), "EUNKNOWN");
        assert_string_equal(sim_strerror(unknown[i]), "unknown error");
    }
}

static void test_known_codes_keep_their_names(void **state)
{
    /* Names appear in traces (err=EPIPE) and hashes: pin a few. */
    assert_string_equal(sim_err_name(SIM_ENOMEM), "ENOMEM");
    assert_string_equal(sim_err_name(SIM_EPIPE), "EPIPE");
    assert_string_equal(sim_err_name(SIM_EBUSY), "EBUSY");
    assert_string_equal(sim_err_name(SIM_ESTATE), "ESTATE");
    assert_string_equal(sim_strerror(SIM_ECLOSED),
                        "use of closed network connection");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_is_negative_and_distinct),
        cmocka_unit_test(test_every_code_has_its_own_name),
        cmocka_unit_test(test_every_code_has_its_own_message),
        cmocka_unit_test(test_zero_is_ok),
        cmocka_unit_test(test_unknown_code_is_eunknown),
        cmocka_unit_test(test_known_codes_keep_their_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
