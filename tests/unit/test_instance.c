/*
 * test_instance.c: RDD's identity derivation against the vectors of
 * docs/rdd/identity.md (instance_test.go:72-88 plus derived ones), and the
 * I1 fix flags' effect on DockerSocket/DockerEndpoint and the bridge pipe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rdd/flags.h"
#include "rdd/instance.h"

static void test_index_vectors_match_instance_test_go(void **state)
{
    (void)state;
    assert_int_equal(rdd_index("2"), 2);
    assert_int_equal(rdd_index("42"), 42);
    assert_int_equal(rdd_index("cc"), 198);
    assert_int_equal(rdd_index("bats"), 126);
    assert_int_equal(rdd_index("test"), 148);
    assert_int_equal(rdd_index("0"), 148);   /* collides with test (H8) */
    assert_int_equal(rdd_index("100"), 145);
    assert_int_equal(rdd_index("02"), 2);    /* collides with default (H7) */
    assert_int_equal(rdd_index("+2"), 2);
    assert_int_equal(rdd_index("99"), 99);
    assert_int_equal(rdd_index("-5"), 100 + ('-' + '5') % 100);
}

static void test_unset_and_2_are_the_same_instance(void **state)
{
    rdd_identity_t a, b;
    (void)state;
    rdd_identity(&a, RDD_OS_LINUX, 0, "", "/home/u", 0);
    rdd_identity(&b, RDD_OS_LINUX, 1, "2", "/home/u", 0);
    assert_string_equal(a.name, "rancher-desktop-2");
    assert_string_equal(a.name, b.name);
    assert_string_equal(a.short_dir, "/home/u/.rd2");
    assert_string_equal(a.docker_socket, b.docker_socket);
    /* Set but empty also means "2". */
    rdd_identity(&b, RDD_OS_LINUX, 1, "", "/home/u", 0);
    assert_string_equal(b.suffix, "2");
}

static void test_unix_endpoint_is_a_socket_in_short_dir(void **state)
{
    rdd_identity_t id;
    (void)state;
    rdd_identity(&id, RDD_OS_LINUX, 1, "42", "/home/u", 0);
    assert_string_equal(id.docker_socket, "/home/u/.rd42/docker.sock");
    assert_string_equal(id.docker_endpoint,
                        "unix:///home/u/.rd42/docker.sock");
    assert_string_equal(id.dir, "/home/u/.local/share/rancher-desktop-42");
    rdd_identity(&id, RDD_OS_DARWIN, 1, "42", "/Users/u", 0);
    assert_string_equal(id.dir,
                        "/Users/u/Library/Application Support/"
                        "rancher-desktop-42");
}

static void test_windows_head_uses_the_machine_wide_pipe(void **state)
{
    rdd_identity_t id;
    (void)state;
    rdd_identity(&id, RDD_OS_WINDOWS, 1, "1", "C:\\Users\\u", 0);
    assert_string_equal(id.docker_socket, "\\\\.\\pipe\\docker_engine");
    assert_string_equal(id.docker_endpoint, "npipe:////./pipe/docker_engine");
    assert_string_equal(id.bridge_pipe, "\\\\.\\pipe\\docker_engine");
    assert_string_equal(id.dir,
                        "C:\\Users\\u\\AppData\\Local\\rancher-desktop-1");
}

static void test_fixed_preset_gives_a_per_instance_pipe_everywhere(void **state)
{
    rdd_identity_t id;
    const rdd_preset_t *p = rdd_preset_by_name("fixed");
    (void)state;
    assert_non_null(p);
    rdd_identity(&id, RDD_OS_WINDOWS, 1, "2", "C:\\Users\\u", p->flags);
    assert_string_equal(id.docker_socket,
                        "\\\\.\\pipe\\rancher-desktop-2-docker_engine");
    assert_string_equal(id.docker_endpoint,
                        "npipe:////./pipe/rancher-desktop-2-docker_engine");
    assert_string_equal(id.bridge_pipe, id.docker_socket);
}

static void test_half_fix_moves_the_endpoint_but_not_the_bridge(void **state)
{
    rdd_identity_t id;
    int f = rdd_flag_by_name("pipe_per_instance");
    (void)state;
    assert_true(f >= 0);
    rdd_identity(&id, RDD_OS_WINDOWS, 1, "2", "C:\\Users\\u", 1u << f);
    assert_string_equal(id.docker_endpoint,
                        "npipe:////./pipe/rancher-desktop-2-docker_engine");
    assert_string_equal(id.bridge_pipe, "\\\\.\\pipe\\docker_engine");
}

/* instance.go:67-85 LogDir per OS; RDD_LOG_DIR is shared (H12) unless
 * log_dir_per_instance; LimaHome and the WSL distro (H9). */
static void test_log_dir_lima_home_and_distro(void **state)
{
    rdd_identity_t id;
    rdd_flags_t per = RDD_FLAG_BIT(RDD_FLAG_LOG_DIR_PER_INSTANCE);
    (void)state;
    rdd_identity(&id, RDD_OS_WINDOWS, 1, "7", rdd_os_home(RDD_OS_WINDOWS), 0);
    assert_string_equal(id.log_dir,
                        "C:\\Users\\u\\AppData\\Local\\rancher-desktop-7-logs");
    assert_string_equal(id.lima_home, "C:\\Users\\u\\.rd7\\lima");
    assert_string_equal(id.distro, "lima-rd");
    rdd_identity_log_dir(&id, "D:\\logs", 0);
    assert_string_equal(id.log_dir, "D:\\logs");
    rdd_identity_log_dir(&id, "D:\\logs", per);
    assert_string_equal(id.log_dir, "D:\\logs\\rancher-desktop-7");
    rdd_identity(&id, RDD_OS_LINUX, 0, "", rdd_os_home(RDD_OS_LINUX), 0);
    assert_string_equal(id.log_dir, "/home/u/.local/state/rancher-desktop-2");
    assert_string_equal(id.lima_home, "/home/u/.rd2/lima");
    rdd_identity(&id, RDD_OS_DARWIN, 1, "cc", rdd_os_home(RDD_OS_DARWIN), 0);
    assert_string_equal(id.log_dir, "/Users/u/Library/Logs/rancher-desktop-cc");
    assert_string_equal(id.dir,
                        "/Users/u/Library/Application Support/rancher-desktop-cc");
    rdd_identity(&id, RDD_OS_WINDOWS, 1, "7", rdd_os_home(RDD_OS_WINDOWS),
                 RDD_FLAG_BIT(RDD_FLAG_DISTRO_PER_INSTANCE));
    assert_string_equal(id.distro, "lima-rd-7");
}

static void test_flag_and_preset_names_round_trip(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < RDD_FLAG__COUNT; i++) {
        assert_int_equal(rdd_flag_by_name(rdd_flag_name((rdd_flag_t)i)), i);
        assert_true(strlen(rdd_flag_what((rdd_flag_t)i)) > 10);
        assert_true(strlen(rdd_flag_review((rdd_flag_t)i)) > 0);
    }
    assert_int_equal(rdd_flag_by_name("nope"), -1);
    assert_null(rdd_preset_by_name("nope"));
    assert_int_equal(rdd_preset_by_name("head")->flags, 0);
    assert_int_equal(rdd_os_by_name("windows"), RDD_OS_WINDOWS);
    assert_int_equal(rdd_os_by_name("wsl2"), -1);
    assert_string_equal(rdd_os_name(RDD_OS_DARWIN), "darwin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_vectors_match_instance_test_go),
        cmocka_unit_test(test_unset_and_2_are_the_same_instance),
        cmocka_unit_test(test_unix_endpoint_is_a_socket_in_short_dir),
        cmocka_unit_test(test_windows_head_uses_the_machine_wide_pipe),
        cmocka_unit_test(test_fixed_preset_gives_a_per_instance_pipe_everywhere),
        cmocka_unit_test(test_half_fix_moves_the_endpoint_but_not_the_bridge),
        cmocka_unit_test(test_flag_and_preset_names_round_trip),
        cmocka_unit_test(test_log_dir_lima_home_and_distro),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
