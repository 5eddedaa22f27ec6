/*
 * test_bats.c: the BATS harness model (sim/rdd/bats.c, docs/rdd/README.md
 * docs/rdd/bats.md): os.bash detection per host flavour, engine-docker.bats's
 * local_setup_file at head and with is_msys (review I2), and test 37's
 * endpoint assertion with and without pipe_per_instance and
 * bats_endpoint_from_paths (review S4).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rdd/bats.h"
#include "rdd/dockerctx.h"
#include "rdd/instance.h"
#include "sim/errno.h"

#define F(x) RDD_FLAG_BIT(RDD_FLAG_##x)

typedef struct {
    sim_loop_t loop;
    host_t *host;
    char out[4096];
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    assert_int_equal(sim_loop_init(&fx->loop, 1), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    if (fx->host)
        host_free(fx->host);
    sim_loop_close(&fx->loop);
    free(fx);
    return 0;
}

static void test_os_detection_per_flavour(void **state)
{
    static const struct {
        rdd_bats_flavour_t f;
        const char *os;
        int win, msys, unix_, cyg, wsl;
        const char *exe;
    } rows[] = {
        {RDD_BATS_WINDOWS, "windows", 1, 1, 0, 1, 0, ".exe"},
        {RDD_BATS_MSYS, "windows", 1, 1, 0, 1, 0, ".exe"},
        {RDD_BATS_WSL2, "windows", 1, 0, 0, 0, 1, ".exe"},
        {RDD_BATS_LINUX, "linux", 0, 0, 1, 0, 0, ""},
        {RDD_BATS_DARWIN, "darwin", 0, 0, 1, 0, 0, ""},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        rdd_bats_env_t env = {rows[i].f, NULL, NULL, NULL, NULL, 0};
        rdd_bats_os_t o;
        rdd_bats_os(&env, &o);
        assert_string_equal(o.os, rows[i].os);
        assert_int_equal(o.is_windows, rows[i].win);
        assert_int_equal(o.is_msys, rows[i].msys);
        assert_int_equal(o.is_unix, rows[i].unix_);
        assert_int_equal(o.has_cygpath, rows[i].cyg);
        assert_int_equal(o.has_wslpath, rows[i].wsl);
        assert_string_equal(o.exe, rows[i].exe);
        assert_int_equal(rdd_bats_flavour_by_name(
                             rdd_bats_flavour_name(rows[i].f)),
                         (int)rows[i].f);
    }
}

static void test_setup_at_head_per_flavour(void **state)
{
    fx_t *fx = *state;
    rdd_bats_setup_t r;
    rdd_bats_env_t env = {RDD_BATS_WINDOWS, NULL, NULL,
                          "\\\\.\\pipe\\docker_engine", NULL, 0};
    /* MSYS2 (both shells): cygpath -m, the hard-coded npipe URL. */
    for (int f = RDD_BATS_WINDOWS; f <= RDD_BATS_MSYS; f++) {
        env.flavour = f;
        assert_int_equal(rdd_bats_setup(&env, 0, &r, fx->out,
                                         sizeof(fx->out)), 0);
        assert_string_equal(r.docker_config,
                            "C:/msys64/tmp/bats-run-1/suite/file/"
                            "docker-config");
        assert_string_equal(r.daemon_docker_config, r.docker_config);
        assert_string_equal(r.docker_host, "npipe:////./pipe/docker_engine");
        assert_int_equal(r.docker_host_usable, 1);
        assert_string_equal(r.context_name, "rancher-desktop-bats");
    }
    /* WSL2: is_windows, no cygpath: review I2. */
    env.flavour = RDD_BATS_WSL2;
    assert_int_equal(rdd_bats_setup(&env, 0, &r, fx->out, sizeof(fx->out)),
                     1);
    assert_int_equal(r.status, 127);
    assert_non_null(strstr(fx->out, "not ok 1 setup_file failed\n"));
    assert_non_null(strstr(fx->out, "cygpath: command not found"));
    assert_non_null(strstr(fx->out, "expected exit code 0, got 127"));
    assert_non_null(strstr(fx->out, "line 25"));
    /* Linux and macOS: the raw path and the instance's socket. */
    env.docker_socket = "/home/u/.rdbats/docker.sock";
    for (int f = RDD_BATS_LINUX; f <= RDD_BATS_DARWIN; f++) {
        env.flavour = f;
        assert_int_equal(rdd_bats_setup(&env, 0, &r, fx->out,
                                         sizeof(fx->out)), 0);
        assert_string_equal(r.docker_config,
                            "/tmp/bats-run-1/suite/file/docker-config");
        assert_string_equal(r.docker_host,
                            "unix:///home/u/.rdbats/docker.sock");
        assert_int_equal(r.docker_host_usable, 1);
    }
}

static void test_setup_with_is_msys(void **state)
{
    fx_t *fx = *state;
    rdd_bats_setup_t r;
    rdd_bats_env_t env = {RDD_BATS_MSYS, "7", "/c/Users/u/tmp",
                          "\\\\.\\pipe\\docker_engine", NULL, 0};
    /* MSYS2: unchanged (a drive mount converts to the drive). */
    assert_int_equal(rdd_bats_setup(&env, F(IS_MSYS), &r, fx->out,
                                    sizeof(fx->out)), 0);
    assert_string_equal(r.docker_config, "C:/Users/u/tmp/docker-config");
    assert_string_equal(r.docker_host, "npipe:////./pipe/docker_engine");
    assert_string_equal(r.context_name, "rancher-desktop-7");
    /* WSL2, decided explicitly: the shell keeps its Linux path, rdd.exe
     * gets the distro's UNC path through WSLENV=DOCKER_CONFIG/p, and
     * docker.exe dials the npipe DOCKER_HOST. */
    env.flavour = RDD_BATS_WSL2;
    env.file_tmpdir = NULL;
    assert_int_equal(rdd_bats_setup(&env, F(IS_MSYS), &r, fx->out,
                                    sizeof(fx->out)), 0);
    assert_string_equal(r.docker_config,
                        "/tmp/bats-run-1/suite/file/docker-config");
    assert_string_equal(r.daemon_docker_config,
                        "//wsl.localhost/Ubuntu/tmp/bats-run-1/suite/file/"
                        "docker-config");
    assert_string_equal(r.shell_dir_on_host, r.daemon_docker_config);
    assert_string_equal(r.docker_host, "npipe:////./pipe/docker_engine");
    assert_int_equal(r.docker_host_usable, 1);
    assert_non_null(strstr(fx->out, "WSLENV=DOCKER_CONFIG/p"));
    /* Without the fix: no cygpath under WSL2. */
    assert_int_equal(rdd_bats_setup(&env, 0, &r, fx->out, sizeof(fx->out)),
                     1);
    assert_int_equal(r.status, 127);
    /* Linux: unchanged. */
    env.flavour = RDD_BATS_LINUX;
    env.docker_socket = "/home/u/.rd7/docker.sock";
    assert_int_equal(rdd_bats_setup(&env, F(IS_MSYS), &r, fx->out,
                                    sizeof(fx->out)), 0);
    assert_string_equal(r.docker_host, "unix:///home/u/.rd7/docker.sock");
}

/* The daemon's side: the context RDD writes for an instance "bats" with
 * these flags, under the DOCKER_CONFIG the service inherited. */
static int run37(fx_t *fx, rdd_bats_flavour_t flavour, rdd_flags_t flags)
{
    rdd_identity_t id;
    rdd_bats_setup_t r;
    rdd_os_t os = flavour == RDD_BATS_LINUX    ? RDD_OS_LINUX
                  : flavour == RDD_BATS_DARWIN ? RDD_OS_DARWIN
                                               : RDD_OS_WINDOWS;
    rdd_bats_env_t env = {flavour, NULL, NULL, NULL, NULL, 1};
    char dir[HOST_PATH_MAX];
    if (fx->host)
        host_free(fx->host);
    assert_int_equal(host_new(&fx->loop, os == RDD_OS_WINDOWS, &fx->host), 0);
    rdd_identity(&id, os, 1, "bats", rdd_os_home(os), flags);
    env.docker_socket = id.docker_socket;
    assert_int_equal(rdd_bats_setup(&env, flags, &r, fx->out,
                                    sizeof(fx->out)), 0);
    snprintf(dir, sizeof(dir), "%s",
             r.daemon_docker_config[0]
                 ? r.daemon_docker_config
                 : (os == RDD_OS_WINDOWS ? "C:/Users/u/.docker"
                    : os == RDD_OS_DARWIN ? "/Users/u/.docker"
                                          : "/home/u/.docker"));
    assert_int_equal(rdd_dctx_create_replace(fx->host, dir, id.name,
                                             id.docker_endpoint), 0);
    return rdd_bats_test37(&env, flags, &r, fx->host, fx->out,
                           sizeof(fx->out));
}

static void test_test37_endpoint_assertion(void **state)
{
    fx_t *fx = *state;
    /* Head: the hard-coded pipe matches the shared endpoint. */
    assert_int_equal(run37(fx, RDD_BATS_WINDOWS, 0), 0);
    assert_string_equal(fx->out, "ok 37 moby engine creates Docker context "
                                 "for the instance\n");
    assert_int_equal(run37(fx, RDD_BATS_LINUX, 0), 0);
    assert_int_equal(run37(fx, RDD_BATS_DARWIN, 0), 0);
    /* The per-instance pipe (I1) fails the hard-coded assertion (S4). */
    assert_int_equal(run37(fx, RDD_BATS_WINDOWS, F(PIPE_PER_INSTANCE)), 1);
    assert_non_null(strstr(fx->out, "not ok 37 "));
    assert_non_null(strstr(fx->out, "line 820"));
    assert_non_null(strstr(fx->out,
                           "# expected : npipe:////./pipe/docker_engine\n"));
    assert_non_null(strstr(fx->out, "# actual   : npipe:////./pipe/"
                                    "rancher-desktop-bats-docker_engine\n"));
    /* ... unless the test reads rdd svc paths docker_socket. */
    assert_int_equal(run37(fx, RDD_BATS_WINDOWS, F(PIPE_PER_INSTANCE) |
                                                     F(BATS_ENDPOINT_FROM_PATHS)),
                     0);
    assert_int_equal(run37(fx, RDD_BATS_WINDOWS, F(BATS_ENDPOINT_FROM_PATHS)),
                     0);
    assert_int_equal(run37(fx, RDD_BATS_LINUX, F(BATS_ENDPOINT_FROM_PATHS)),
                     0);
    /* WSL2 with is_msys: the service wrote its context where the shell
     * reads it (WSLENV); the hard-coded pipe still stands for S4. */
    assert_int_equal(run37(fx, RDD_BATS_WSL2, F(IS_MSYS)), 0);
    assert_int_equal(run37(fx, RDD_BATS_WSL2,
                           F(IS_MSYS) | F(PIPE_PER_INSTANCE)), 1);
    assert_int_equal(run37(fx, RDD_BATS_WSL2,
                           F(IS_MSYS) | F(PIPE_PER_INSTANCE) |
                               F(BATS_ENDPOINT_FROM_PATHS)), 0);
}

static void test_test37_checks_the_name(void **state)
{
    fx_t *fx = *state;
    rdd_bats_setup_t r;
    rdd_bats_env_t env = {RDD_BATS_LINUX, "bats", NULL,
                          "/home/u/.rdbats/docker.sock", NULL, 0};
    char dir[HOST_PATH_MAX], path[HOST_PATH_MAX + 16];
    assert_int_equal(host_new(&fx->loop, 0, &fx->host), 0);
    assert_int_equal(rdd_bats_setup(&env, 0, &r, fx->out, sizeof(fx->out)),
                     0);
    /* A meta.json under the right hash but with another Name. */
    rdd_dctx_meta_dir(r.daemon_docker_config, r.context_name, dir);
    snprintf(path, sizeof(path), "%s/meta.json", dir);
    assert_int_equal(host_fs_write(fx->host, path,
                                   "{\"Name\":\"other\",\"Endpoints\":{}}"),
                     0);
    assert_int_equal(rdd_bats_test37(&env, 0, &r, fx->host, fx->out,
                                     sizeof(fx->out)), 1);
    assert_non_null(strstr(fx->out, "line 816"));
    assert_non_null(strstr(fx->out, "# actual   : other\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_os_detection_per_flavour),
        T(test_setup_at_head_per_flavour),
        T(test_setup_with_is_msys),
        T(test_test37_endpoint_assertion),
        T(test_test37_checks_the_name),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
