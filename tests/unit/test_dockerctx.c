/*
 * test_dockerctx.c: Docker context management (sim/rdd/dockerctx.c,
 * docs/rdd/docker-contexts.md): the context store layout, config.json load/save
 * rules (unknown keys, malformed auths), every row of
 * probeNamedDockerContext's table (npipe included: review testing gap 4),
 * the probe's set and removeDockerContext's clear, the lost update of H6
 * and its absence with context_locked_rmw, removeDockerContext waiting for
 * outstanding probes (S10, L7), DOCKER_HOST in the daemon's environment,
 * and the engine's calls (row C creates, row B removes).
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

#include "rdd/rdd.h"
#include "rdd/standin.h"
#include "sim/errno.h"
#include "sim/trace.h"

#define DIR_L "/home/u/.docker"
#define DIR_W "C:/Users/u/.docker"

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    char *text;
    size_t text_len;
    FILE *text_f;
    npipe_ns_t *pipes;
    uds_ns_t *socks;
    host_t *host;
    dock_daemon_t *vm;
    dock_daemon_t *other;    /* a foreign daemon (Docker Desktop, ...) */
    npipe_listener_t *ln;
    uds_listener_t *uds;
    rdd_instance_t inst;
    int have_inst;
    /* probe_named results */
    int verdicts;
    int healthy;
    char reason[128];
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    assert_int_equal(sim_loop_init(&fx->loop, 1), 0);
    fx->text_f = open_memstream(&fx->text, &fx->text_len);
    sim_trace_init(&fx->tr, fx->text_f, NULL);
    fx->loop.trace = &fx->tr;
    assert_int_equal(npipe_ns_new(&fx->loop, &fx->pipes), 0);
    assert_int_equal(uds_ns_new(&fx->loop, &fx->socks), 0);
    assert_int_equal(dock_daemon_new(&fx->loop, "vm-9", "VM9", &fx->vm), 0);
    assert_int_equal(dock_daemon_new(&fx->loop, "dd", "DD", &fx->other), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    if (fx->have_inst)
        rdd_instance_free(&fx->inst);
    if (fx->ln)
        npipe_listener_close(fx->ln);
    if (fx->uds)
        uds_listener_close(fx->uds, 0);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    dock_daemon_free(fx->vm);
    dock_daemon_free(fx->other);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    uds_ns_free(fx->socks);
    npipe_ns_free(fx->pipes);
    if (fx->host)
        host_free(fx->host);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    fx->loop.trace = NULL;
    sim_loop_close(&fx->loop);
    fclose(fx->text_f);
    free(fx->text);
    free(fx);
    return 0;
}

static void run_to(fx_t *fx, uint64_t t_ns);

/* An instance "9" on os, with the machine's host, its engine settled in
 * row B (App not Running: one removeDockerContext at t=0). */
static void mk(fx_t *fx, rdd_os_t os, rdd_flags_t flags)
{
    assert_int_equal(host_new(&fx->loop, os == RDD_OS_WINDOWS, &fx->host),
                     0);
    assert_int_equal(rdd_standin_init(&fx->inst, &fx->loop, os, 1, "9", flags,
                                      fx->pipes, fx->socks, 2000, fx->vm),
                     0);
    fx->inst.host = fx->host;
    fx->have_inst = 1;
    run_to(fx, SIM_MS(100));
    assert_true(fx->inst.dctx.removes_returned >= 1);
    assert_int_equal(fx->inst.engine.state, RDD_ENG_IDLE);
}

static void run_to(fx_t *fx, uint64_t t_ns)
{
    sim_loop_run(&fx->loop, t_ns);
    fflush(fx->text_f);
}

static void run_for(fx_t *fx, uint64_t ns)
{
    run_to(fx, sim_now(&fx->loop) + ns);
}

static const char *dir_of(fx_t *fx)
{
    return fx->inst.id.os == RDD_OS_WINDOWS ? DIR_W : DIR_L;
}

static void write_config(fx_t *fx, const char *json)
{
    char path[HOST_PATH_MAX];
    snprintf(path, sizeof(path), "%s/config.json", dir_of(fx));
    assert_int_equal(host_fs_write(fx->host, path, json), 0);
}

static const char *read_config(fx_t *fx)
{
    static char buf[HOST_DATA_MAX];
    char path[HOST_PATH_MAX];
    snprintf(path, sizeof(path), "%s/config.json", dir_of(fx));
    if (host_fs_read(fx->host, path, buf, sizeof(buf)))
        return NULL;
    return buf;
}

static const char *current(fx_t *fx)
{
    static char cur[RDD_DCTX_NAME_MAX];
    assert_int_equal(rdd_dctx_get_current(fx->host, dir_of(fx), cur), 0);
    return cur;
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; hay && (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* A daemon serving on a unix socket path. */
static void on_uds_conn(uds_listener_t *l, void *arg, sim_stream_t *conn)
{
    (void)l;
    dock_daemon_serve(arg, conn);
}

static void serve_uds(fx_t *fx, const char *path, dock_daemon_t *d)
{
    assert_int_equal(uds_listen(fx->socks, path, 77, on_uds_conn, d,
                                &fx->uds), 0);
}

/* A daemon serving on a pipe name (an accept loop). */
static void on_pipe_conn(npipe_listener_t *l, void *arg, int status,
                         sim_stream_t *conn)
{
    if (status)
        return;
    dock_daemon_serve(arg, conn);
    (void)npipe_accept(l, on_pipe_conn, arg);
}

static void serve_pipe(fx_t *fx, const char *name, dock_daemon_t *d)
{
    npipe_owner_t o = {"com.docker.backend", 88};
    assert_int_equal(npipe_listen(fx->pipes, name, o, NULL, &fx->ln), 0);
    assert_int_equal(npipe_accept(fx->ln, on_pipe_conn, d), 0);
}

/* store and config.json ---------------------------------------------------*/

static void test_create_replace_writes_the_docker_cli_layout(void **state)
{
    fx_t *fx = *state;
    char path[HOST_PATH_MAX + 16], hst[RDD_DCTX_HOST_MAX];
    char buf[HOST_DATA_MAX];
    mk(fx, RDD_OS_LINUX, 0);
    assert_int_equal(rdd_dctx_create_replace(fx->host, DIR_L, "rancher-desktop-2",
                                             "unix:///tmp/docker.sock"), 0);
    /* sha256("rancher-desktop-2"), as `printf %s NAME | sha256sum`. */
    rdd_dctx_meta_dir(DIR_L, "rancher-desktop-2", path);
    assert_int_equal(strncmp(path, DIR_L "/contexts/meta/",
                             strlen(DIR_L "/contexts/meta/")), 0);
    assert_int_equal(strlen(path), strlen(DIR_L "/contexts/meta/") + 64);
    strcat(path, "/meta.json");
    assert_int_equal(host_fs_read(fx->host, path, buf, sizeof(buf)), 0);
    assert_string_equal(buf,
        "{\"Name\":\"rancher-desktop-2\",\"Metadata\":{\"Description\":"
        "\"Rancher Desktop rancher-desktop-2\"},\"Endpoints\":{\"docker\":"
        "{\"Host\":\"unix:///tmp/docker.sock\",\"SkipTLSVerify\":false}}}");
    assert_int_equal(rdd_dctx_create_replace(fx->host, DIR_L, "rancher-desktop-2",
                                             "unix:///run/docker.sock"), 0);
    assert_int_equal(rdd_dctx_context_host(fx->host, DIR_L,
                                           "rancher-desktop-2", hst), 0);
    assert_string_equal(hst, "unix:///run/docker.sock");
    assert_int_equal(rdd_dctx_delete(fx->host, DIR_L, "rancher-desktop-2"), 0);
    assert_int_equal(rdd_dctx_context_host(fx->host, DIR_L,
                                           "rancher-desktop-2", hst),
                     SIM_ENOTFOUND);
    /* A second delete is a no-op. */
    assert_int_equal(rdd_dctx_delete(fx->host, DIR_L, "rancher-desktop-2"), 0);
}

static void test_config_dir_follows_the_daemon_env(void **state)
{
    fx_t *fx = *state;
    char dir[HOST_PATH_MAX];
    mk(fx, RDD_OS_WINDOWS, 0);
    assert_int_equal(rdd_dctx_config_dir(&fx->inst, dir), 0);
    assert_string_equal(dir, DIR_W);
    snprintf(fx->inst.dctx.env_docker_config,
             sizeof(fx->inst.dctx.env_docker_config),
             "C:\\msys64\\tmp\\bats\\docker-config");
    assert_int_equal(rdd_dctx_config_dir(&fx->inst, dir), 0);
    assert_string_equal(dir, "C:/msys64/tmp/bats/docker-config");
    fx->inst.dctx.env_docker_config[0] = 0;
    fx->inst.dctx.env_no_home = 1;
    assert_int_equal(rdd_dctx_config_dir(&fx->inst, dir), SIM_ENOENT);
}

static void test_get_current_rules_and_malformed_auths(void **state)
{
    fx_t *fx = *state;
    char cur[RDD_DCTX_NAME_MAX];
    mk(fx, RDD_OS_LINUX, 0);
    /* Missing file: "". */
    assert_int_equal(rdd_dctx_get_current(fx->host, DIR_L, cur), 0);
    assert_string_equal(cur, "");
    write_config(fx, "{\"currentContext\":\"x\",\"auths\":{\"example.com\":"
                     "{\"auth\":\"dXNlcjpwYXNz\"}}}"); /* user:pass */
    assert_int_equal(rdd_dctx_get_current(fx->host, DIR_L, cur), 0);
    assert_string_equal(cur, "x");
    /* docker_context_test.go:104-113: not base64 fails the load. */
    write_config(fx, "{\"auths\":{\"example.com\":{\"auth\":\"not-base64\"}}}");
    assert_int_equal(rdd_dctx_get_current(fx->host, DIR_L, cur), SIM_ESYNTAX);
    /* base64 without a colon ("userpass") fails too. */
    write_config(fx, "{\"auths\":{\"e\":{\"auth\":\"dXNlcnBhc3M=\"}}}");
    assert_int_equal(rdd_dctx_get_current(fx->host, DIR_L, cur), SIM_ESYNTAX);
    write_config(fx, "{\"currentContext\":");
    assert_int_equal(rdd_dctx_get_current(fx->host, DIR_L, cur), SIM_ESYNTAX);
}

/* probeNamedDockerContext's table -----------------------------------------*/

static void on_verdict(void *arg, int healthy, const char *reason)
{
    fx_t *fx = arg;
    fx->verdicts++;
    fx->healthy = healthy;
    snprintf(fx->reason, sizeof(fx->reason), "%s", reason);
}

/* Probes name (dir NULL: the store cannot be opened); returns the verdict
 * and how long it took. */
static int probe(fx_t *fx, const char *dir, const char *name, uint64_t *took)
{
    uint64_t t0 = sim_now(&fx->loop);
    int before = fx->verdicts;
    assert_int_equal(rdd_dctx_probe_named(&fx->inst, dir, name, on_verdict,
                                          fx), 0);
    assert_int_equal(fx->verdicts, before); /* never inside the call */
    while (fx->verdicts == before && sim_now(&fx->loop) < t0 + SIM_S(10))
        run_for(fx, SIM_MS(100));
    assert_int_equal(fx->verdicts, before + 1);
    if (took)
        *took = sim_now(&fx->loop) - t0;
    return fx->healthy;
}

static void meta_raw(fx_t *fx, const char *name, const char *json)
{
    char path[HOST_PATH_MAX + 16];
    rdd_dctx_meta_dir(DIR_L, name, path);
    strcat(path, "/meta.json");
    assert_int_equal(host_fs_write(fx->host, path, json), 0);
}

static void test_probe_named_conservative_rows(void **state)
{
    fx_t *fx = *state;
    char tls[HOST_PATH_MAX];
    mk(fx, RDD_OS_LINUX, 0);
    /* store cannot be opened -> true */
    assert_int_equal(probe(fx, NULL, "x", NULL), 1);
    assert_string_equal(fx->reason, "Cannot open context store; assuming "
                                    "context healthy");
    /* metadata NotFound -> false */
    assert_int_equal(probe(fx, DIR_L, "does-not-exist", NULL), 0);
    /* other metadata error -> true */
    meta_raw(fx, "broken", "{\"Name\":");
    assert_int_equal(probe(fx, DIR_L, "broken", NULL), 1);
    assert_true(strstr(fx->reason, "Cannot read context metadata") != NULL);
    /* docker endpoint missing -> true */
    meta_raw(fx, "noep", "{\"Name\":\"noep\",\"Endpoints\":{}}");
    assert_int_equal(probe(fx, DIR_L, "noep", NULL), 1);
    assert_true(strstr(fx->reason, "Cannot decode docker endpoint") != NULL);
    /* ssh (and any other scheme) -> true */
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "ssh-ctx",
                                   "ssh://user@remote-host"), 0);
    assert_int_equal(probe(fx, DIR_L, "ssh-ctx", NULL), 1);
    assert_true(strstr(fx->reason, "Unprobed endpoint scheme") != NULL);
    /* TLS data cannot be loaded -> true */
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "tls-ctx",
                                   "unix:///nonexistent.sock"), 0);
    rdd_dctx_meta_dir(DIR_L, "tls-ctx", tls);
    {
        char *m = strstr(tls, "/meta/");
        char t2[HOST_PATH_MAX];
        snprintf(t2, sizeof(t2), "%.*s/tls/%s", (int)(m - tls), tls, m + 6);
        assert_int_equal(host_fs_write(fx->host, t2, "garbage"), 0);
    }
    assert_int_equal(probe(fx, DIR_L, "tls-ctx", NULL), 1);
    assert_true(strstr(fx->reason, "Cannot load TLS data") != NULL);
    /* an empty address: ClientOpts builds, the ping fails -> false */
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "empty", "unix://"), 0);
    assert_int_equal(probe(fx, DIR_L, "empty", NULL), 0);
    assert_string_equal(fx->reason, "");
}

static void test_probe_named_pings_unix_tcp_and_npipe(void **state)
{
    fx_t *fx = *state;
    uint64_t took;
    uint32_t pid;
    int port;
    mk(fx, RDD_OS_WINDOWS, 0);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "local-ctx",
                     "unix:///nonexistent/does-not-exist.sock"), 0);
    assert_int_equal(probe(fx, DIR_L, "local-ctx", &took), 0);
    assert_true(took < SIM_S(1));
    serve_uds(fx, "/run/user.sock", fx->other);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "served",
                                   "unix:///run/user.sock"), 0);
    assert_int_equal(probe(fx, DIR_L, "served", NULL), 1);
    /* tcp: a refused loopback port, a bound one, a remote host (3 s). */
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "tcp-ctx",
                                   "tcp://127.0.0.1:1"), 0);
    assert_int_equal(probe(fx, DIR_L, "tcp-ctx", NULL), 0);
    assert_int_equal(host_spawn(fx->host, "C:/dockerd.exe", "dockerd", 0, 1,
                                &pid), 0);
    assert_int_equal(host_port_bind(fx->host, 2375, pid, &port), 0);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "tcp-up",
                                   "tcp://127.0.0.1:2375"), 0);
    assert_int_equal(probe(fx, DIR_L, "tcp-up", NULL), 1);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "remote",
                                   "tcp://10.0.0.7:2376"), 0);
    assert_int_equal(probe(fx, DIR_L, "remote", &took), 0);
    assert_true(took >= RDD_DCTX_PROBE_TIMEOUT_NS);
    assert_true(took < RDD_DCTX_PROBE_TIMEOUT_NS + SIM_MS(200));
    /* npipe (review testing gap 4): nobody serves -> false at once; a
     * served pipe -> true; a pipe bound but not accepting -> 3 s. */
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "np",
                                   "npipe:////./pipe/dockerDesktopEngine"), 0);
    assert_int_equal(probe(fx, DIR_L, "np", &took), 0);
    assert_true(took < SIM_S(1));
    serve_pipe(fx, "\\\\.\\pipe\\dockerDesktopEngine", fx->other);
    assert_int_equal(probe(fx, DIR_L, "np", NULL), 1);
    {
        npipe_owner_t o = {"squatter", 99};
        npipe_listener_t *l;
        assert_int_equal(npipe_listen(fx->pipes, "\\\\.\\pipe\\busy", o, NULL,
                                      &l), 0);
        assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "busy",
                                       "npipe:////./pipe/busy"), 0);
        assert_int_equal(probe(fx, DIR_L, "busy", &took), 0);
        assert_true(took >= RDD_DCTX_PROBE_TIMEOUT_NS);
        npipe_listener_close(l);
    }
}

/* set and clear through manage and remove ------------------------------*/

static void test_probe_sets_when_unhealthy_and_keeps_known_keys(void **state)
{
    fx_t *fx = *state;
    const char *cfg;
    mk(fx, RDD_OS_LINUX, 0);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "test-unreachable",
                     "unix:///nonexistent/does-not-exist.sock"), 0);
    write_config(fx, "{\"currentContext\":\"test-unreachable\",\"auths\":"
                     "{\"example.com\":{}},\"rancherDesktopCustom\":\"keep-me\"}");
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    assert_int_equal(fx->inst.dctx.wg, 1);
    run_for(fx, SIM_S(1));
    assert_int_equal(fx->inst.dctx.wg, 0);
    assert_int_equal(fx->inst.dctx.probe_sets, 1);
    assert_string_equal(current(fx), "rancher-desktop-9");
    cfg = read_config(fx);
    /* Known keys survive, unknown ones are dropped (H6). */
    assert_string_equal(cfg, "{\"auths\":{\"example.com\":{}},"
                             "\"currentContext\":\"rancher-desktop-9\"}");
    assert_int_equal(rdd_dctx_journal_len(fx->host), 1);
    /* Again: currentContext is ours now; its socket is not served (no VM),
     * so unhealthy, but already equal: no write. */
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_for(fx, SIM_S(1));
    assert_int_equal(rdd_dctx_journal_len(fx->host), 1);
}

static void test_locked_rmw_keeps_unknown_keys(void **state)
{
    fx_t *fx = *state;
    mk(fx, RDD_OS_LINUX, RDD_FLAG_BIT(RDD_FLAG_CONTEXT_LOCKED_RMW));
    write_config(fx, "{\"rancherDesktopCustom\":\"keep-me\"}");
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_for(fx, SIM_S(1));
    assert_string_equal(read_config(fx),
                        "{\"auths\":{},\"currentContext\":\"rancher-desktop-9\","
                        "\"rancherDesktopCustom\":\"keep-me\"}");
    /* The lock is released. */
    assert_false(host_fs_exists(fx->host, DIR_L "/config.json.lock"));
}

static void test_clear_only_when_current_is_ours(void **state)
{
    fx_t *fx = *state;
    char hst[RDD_DCTX_HOST_MAX];
    uint64_t base;
    mk(fx, RDD_OS_LINUX, 0);
    base = fx->inst.dctx.removes_returned;
    write_config(fx, "{\"currentContext\":\"rancher-desktop-3\"}");
    assert_int_equal(rdd_dctx_create_replace(fx->host, DIR_L,
                     "rancher-desktop-9", "unix:///x"), 0);
    /* Nothing outstanding, nothing to clear: done inside the call. */
    assert_int_equal(rdd_dctx_remove(&fx->inst, NULL), 0);
    assert_string_equal(current(fx), "rancher-desktop-3");
    assert_int_equal(rdd_dctx_context_host(fx->host, DIR_L,
                     "rancher-desktop-9", hst), SIM_ENOTFOUND);
    write_config(fx, "{\"currentContext\":\"rancher-desktop-9\",\"auths\":"
                     "{\"example.com\":{}},\"x\":1}");
    /* Ours: a load, the I/O latency, a save. */
    assert_int_equal(rdd_dctx_remove(&fx->inst, NULL), 1);
    run_for(fx, SIM_S(1));
    assert_string_equal(current(fx), "");
    assert_string_equal(read_config(fx), "{\"auths\":{\"example.com\":{}}}");
    assert_int_equal(fx->inst.dctx.clears, 1);
    assert_int_equal(fx->inst.dctx.removes_returned, base + 2);
    assert_int_equal(fx->inst.dctx.remove_max_ns, RDD_DCTX_IO_NS);
}

static void test_daemon_docker_host_suppresses_the_probe(void **state)
{
    fx_t *fx = *state;
    mk(fx, RDD_OS_LINUX, 0);
    snprintf(fx->inst.dctx.env_docker_host,
             sizeof(fx->inst.dctx.env_docker_host), "unix:///x.sock");
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "test-unreachable",
                     "unix:///nonexistent/does-not-exist.sock"), 0);
    write_config(fx, "{\"currentContext\":\"test-unreachable\"}");
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_for(fx, SIM_S(5));
    assert_string_equal(current(fx), "test-unreachable");
    assert_int_equal(fx->inst.dctx.probe_sets, 0);
    assert_int_equal(count_substr(fx->text, "rdd.dctx.probe.skip"), 1);
    /* DOCKER_CONTEXT too. */
    fx->inst.dctx.env_docker_host[0] = 0;
    snprintf(fx->inst.dctx.env_docker_context,
             sizeof(fx->inst.dctx.env_docker_context), "default");
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_for(fx, SIM_S(5));
    assert_string_equal(current(fx), "test-unreachable");
    /* Without either, the probe switches. */
    fx->inst.dctx.env_docker_context[0] = 0;
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_for(fx, SIM_S(5));
    assert_string_equal(current(fx), "rancher-desktop-9");
}

static void test_default_probe_on_windows_pings_whoever_serves_docker_engine(
    void **state)
{
    fx_t *fx = *state;
    mk(fx, RDD_OS_WINDOWS, 0);
    /* Docker Desktop owns docker_engine: the default context is healthy. */
    serve_pipe(fx, "\\\\.\\pipe\\docker_engine", fx->other);
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_for(fx, SIM_S(5));
    assert_int_equal(fx->inst.dctx.last_healthy, 1);
    assert_string_equal(current(fx), "");
    /* Nobody serves it: switch to ours. */
    npipe_listener_close(fx->ln);
    fx->ln = NULL;
    run_for(fx, SIM_S(1));
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_for(fx, SIM_S(5));
    assert_int_equal(fx->inst.dctx.last_healthy, 0);
    assert_string_equal(current(fx), "rancher-desktop-9");
}

static void test_unix_default_probe_pings_var_run_docker_sock(void **state)
{
    fx_t *fx = *state;
    mk(fx, RDD_OS_LINUX, 0);
    serve_uds(fx, "/var/run/docker.sock", fx->other); /* H15 */
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_for(fx, SIM_S(5));
    assert_int_equal(fx->inst.dctx.last_healthy, 1);
    assert_string_equal(current(fx), "");
}

/* H6: the lost update -----------------------------------------------------*/

/* The probe judges a remote tcp context for 3 s, then loads config.json
 * at t=3 s and saves at 3.001 s; the user's `docker context use mine`
 * loads at 2.9995 s and saves at 3.0005 s, between the two. */
static uint64_t lost_update(fx_t *fx)
{
    uint64_t t0;
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "slow",
                                   "tcp://10.0.0.7:2376"), 0);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "mine",
                                   "unix:///run/mine.sock"), 0);
    write_config(fx, "{\"currentContext\":\"slow\"}");
    t0 = sim_now(&fx->loop);
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_to(fx, t0 + SIM_S(3) - SIM_NS_PER_MS / 2);
    assert_int_equal(rdd_dctx_user_use(&fx->loop, fx->host, DIR_L, "mine"),
                     0);
    run_to(fx, t0 + SIM_S(10));
    return t0;
}

static void test_user_write_between_load_and_save_is_lost(void **state)
{
    fx_t *fx = *state;
    rdd_dctx_write_t w;
    uint64_t t0;
    mk(fx, RDD_OS_LINUX, 0);
    t0 = lost_update(fx);
    assert_string_equal(current(fx), "rancher-desktop-9");
    assert_int_equal(rdd_dctx_journal_len(fx->host), 2);
    assert_int_equal(rdd_dctx_journal_get(fx->host, 0, &w), 0);
    assert_string_equal(w.who, "user");
    assert_string_equal(w.value, "mine");
    assert_int_equal(rdd_dctx_journal_get(fx->host, 1, &w), 0);
    assert_string_equal(w.who, "rancher-desktop-9");
    assert_string_equal(w.why, "probe-set");
    assert_string_equal(w.read, "slow");
    assert_string_equal(w.old, "mine"); /* read != old: mine was lost */
    assert_int_equal(w.at_ns, t0 + SIM_S(3) + RDD_DCTX_IO_NS);
    assert_int_equal(count_substr(fx->text, "lost=mine"), 1);
}

static void test_locked_rmw_rechecks_and_keeps_the_user_choice(void **state)
{
    fx_t *fx = *state;
    mk(fx, RDD_OS_LINUX, RDD_FLAG_BIT(RDD_FLAG_CONTEXT_LOCKED_RMW));
    lost_update(fx);
    assert_string_equal(current(fx), "mine");
    assert_int_equal(rdd_dctx_journal_len(fx->host), 1);
    assert_int_equal(fx->inst.dctx.probe_sets, 0);
    assert_int_equal(count_substr(fx->text, "lost="), 0);
}

static void test_user_use_of_a_missing_context_fails(void **state)
{
    fx_t *fx = *state;
    mk(fx, RDD_OS_LINUX, 0);
    assert_int_equal(rdd_dctx_user_use(&fx->loop, fx->host, DIR_L, "nope"),
                     SIM_ENOTFOUND);
    write_config(fx, "{\"currentContext\":\"x\"}");
    assert_int_equal(rdd_dctx_user_use(&fx->loop, fx->host, DIR_L, "default"),
                     0);
    run_for(fx, SIM_S(1));
    assert_string_equal(current(fx), "");
}

/* removeDockerContext: S10 and L7 ------------------------------------------*/

static int removed;

static void on_removed(rdd_instance_t *inst)
{
    (void)inst;
    removed++;
}

static void test_remove_waits_for_an_inflight_ping(void **state)
{
    fx_t *fx = *state;
    char hst[RDD_DCTX_HOST_MAX];
    mk(fx, RDD_OS_LINUX, 0);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "slow",
                                   "tcp://10.0.0.7:2376"), 0);
    write_config(fx, "{\"currentContext\":\"slow\"}");
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_to(fx, SIM_S(1));
    assert_int_equal(fx->inst.dctx.wg, 1);
    removed = 0;
    assert_int_equal(rdd_dctx_remove(&fx->inst, on_removed), 1);
    assert_int_equal(removed, 0);
    run_to(fx, SIM_S(10));
    assert_int_equal(removed, 1);
    /* The cancelled ping ended at once; no write by the probe. */
    assert_int_equal(fx->inst.dctx.remove_returned_ns, SIM_S(1));
    assert_int_equal(fx->inst.dctx.remove_called_ns, SIM_S(1));
    assert_true(fx->inst.dctx.remove_max_ns <= RDD_DCTX_PROBE_TIMEOUT_NS);
    assert_int_equal(fx->inst.dctx.probe_sets, 0);
    assert_int_equal(fx->inst.dctx.writes_after_remove, 0);
    assert_string_equal(current(fx), "slow");
    assert_int_equal(rdd_dctx_context_host(fx->host, DIR_L,
                     "rancher-desktop-9", hst), SIM_ENOTFOUND);
}

static void test_remove_during_the_set_waits_for_the_save_then_clears(
    void **state)
{
    fx_t *fx = *state;
    rdd_dctx_write_t w;
    uint64_t t0;
    mk(fx, RDD_OS_LINUX, 0);
    fx->inst.dctx.io_ns = SIM_MS(50);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "slow",
                                   "tcp://10.0.0.7:2376"), 0);
    write_config(fx, "{\"currentContext\":\"slow\"}");
    t0 = sim_now(&fx->loop);
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    /* The ping times out at 3 s; the set loads then and saves at 3.05 s. */
    run_to(fx, t0 + SIM_S(3) + SIM_MS(10));
    removed = 0;
    assert_int_equal(rdd_dctx_remove(&fx->inst, on_removed), 1);
    run_to(fx, SIM_S(10));
    assert_int_equal(removed, 1);
    assert_int_equal(rdd_dctx_journal_len(fx->host), 2);
    assert_int_equal(rdd_dctx_journal_get(fx->host, 0, &w), 0);
    assert_string_equal(w.why, "probe-set");
    assert_int_equal(w.after_remove, 0);
    assert_int_equal(rdd_dctx_journal_get(fx->host, 1, &w), 0);
    assert_string_equal(w.why, "clear");
    assert_true(w.at_ns <= fx->inst.dctx.remove_returned_ns);
    assert_string_equal(current(fx), "");
    assert_int_equal(fx->inst.dctx.writes_after_remove, 0);
    /* Waited for the save (40 ms) and its own clear (50 ms). */
    assert_int_equal(fx->inst.dctx.remove_max_ns, SIM_MS(90));
}

static void test_remove_waits_for_every_outstanding_probe(void **state)
{
    fx_t *fx = *state;
    rdd_dctx_write_t w;
    npipe_owner_t o = {"squatter", 99};
    uint64_t t0;
    mk(fx, RDD_OS_WINDOWS, 0);
    fx->inst.dctx.io_ns = SIM_MS(50);
    /* Probe 1: nobody serves docker_engine, so it sets: load at 0, save at
     * 50 ms (not cancellable). */
    t0 = sim_now(&fx->loop);
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_to(fx, t0 + SIM_MS(10));
    /* Probe 2: docker_engine is now bound but not accepting (busy). */
    assert_int_equal(npipe_listen(fx->pipes, "\\\\.\\pipe\\docker_engine", o,
                                  NULL, &fx->ln), 0);
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_to(fx, t0 + SIM_MS(20));
    assert_int_equal(fx->inst.dctx.wg, 2);
    assert_int_equal(fx->inst.dctx.gen, 2);
    removed = 0;
    /* Cancels probe 2 (the current one); waits for probe 1's save too. */
    assert_int_equal(rdd_dctx_remove(&fx->inst, on_removed), 1);
    run_to(fx, t0 + SIM_MS(49));
    assert_int_equal(removed, 0);
    assert_int_equal(fx->inst.dctx.wg, 1);
    run_to(fx, SIM_S(10));
    assert_int_equal(removed, 1);
    assert_int_equal(fx->inst.dctx.wg, 0);
    assert_int_equal(rdd_dctx_journal_len(fx->host), 2);
    assert_int_equal(rdd_dctx_journal_get(fx->host, 0, &w), 0);
    assert_string_equal(w.why, "probe-set");
    assert_int_equal(w.at_ns, t0 + SIM_MS(50));
    assert_int_equal(rdd_dctx_journal_get(fx->host, 1, &w), 0);
    assert_string_equal(w.why, "clear");
    assert_int_equal(w.at_ns, t0 + SIM_MS(100));
    assert_int_equal(fx->inst.dctx.remove_returned_ns, t0 + SIM_MS(100));
    assert_int_equal(fx->inst.dctx.writes_after_remove, 0);
    assert_string_equal(current(fx), "");
}

/* the engine's calls -------------------------------------------------------*/

static void set_running(fx_t *fx, const char *status)
{
    kube_obj_t app;
    kube_cond_t c;
    kube_status_t st;
    assert_int_equal(rdd_get_app(&fx->inst, kube_store_reader(fx->inst.api),
                                 &app), 0);
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "Running");
    snprintf(c.status, sizeof(c.status), "%s", status);
    snprintf(c.reason, sizeof(c.reason), "Test");
    c.observed_gen = app.generation;
    kube_cond_set(&app, &c, sim_now(&fx->loop));
    assert_int_equal(kube_update_status(fx->inst.api, &app, &st), 0);
}

static void test_engine_creates_on_start_and_removes_on_stop(void **state)
{
    fx_t *fx = *state;
    char hst[RDD_DCTX_HOST_MAX];
    mk(fx, RDD_OS_LINUX, 0);
    assert_int_equal(rdd_standin_vm_start(&fx->inst, 0, SIM_S(1)), 0);
    run_to(fx, SIM_S(5));
    assert_int_equal(rdd_dctx_context_host(fx->host, DIR_L,
                     "rancher-desktop-9", hst), 0);
    assert_string_equal(hst, fx->inst.id.docker_endpoint);
    /* Nothing serves /var/run/docker.sock: the default is unhealthy. */
    assert_string_equal(current(fx), "rancher-desktop-9");
    rdd_standin_vm_stop(&fx->inst);
    run_to(fx, SIM_S(10));
    assert_int_equal(rdd_dctx_context_host(fx->host, DIR_L,
                     "rancher-desktop-9", hst), SIM_ENOTFOUND);
    assert_string_equal(current(fx), "");
    assert_true(fx->inst.dctx.removes_returned >= 1);
    assert_int_equal(fx->inst.engine.state, RDD_ENG_IDLE);
}

static void test_engine_stop_waits_in_context_wait(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app;
    mk(fx, RDD_OS_LINUX, 0);
    assert_int_equal(rdd_dctx_seed(fx->host, DIR_L, "slow",
                                   "tcp://10.0.0.7:2376"), 0);
    write_config(fx, "{\"currentContext\":\"slow\"}");
    fx->inst.dctx.io_ns = SIM_MS(50);
    assert_int_equal(rdd_standin_vm_start(&fx->inst, 0, SIM_S(1)), 0);
    /* Up at ~1 s; the probe's ping times out ~3 s later; stop while the
     * set is between its load and save. */
    while (fx->inst.dctx.probes_started == 0)
        run_for(fx, SIM_MS(10));
    run_for(fx, SIM_S(3) + SIM_MS(5));
    set_running(fx, "False");
    run_for(fx, SIM_S(10));
    assert_true(count_substr(fx->text, "to=context_wait") >= 1);
    assert_int_equal(fx->inst.engine.state, RDD_ENG_IDLE);
    assert_int_equal(fx->inst.dctx.writes_after_remove, 0);
    assert_string_equal(current(fx), "");
    assert_int_equal(rdd_get_app(&fx->inst, kube_store_reader(fx->inst.api),
                                 &app), 0);
    assert_string_equal(kube_cond_find(&app, RDD_COND_ENGINE)->reason,
                        "Stopped");
}

static void test_shutdown_hook_removes_the_context(void **state)
{
    fx_t *fx = *state;
    char hst[RDD_DCTX_HOST_MAX];
    mk(fx, RDD_OS_LINUX, 0);
    assert_int_equal(rdd_standin_vm_start(&fx->inst, 0, SIM_S(1)), 0);
    run_to(fx, SIM_S(5));
    assert_string_equal(current(fx), "rancher-desktop-9");
    rdd_engine_shutdown(&fx->inst, NULL);
    run_to(fx, SIM_S(6));
    assert_string_equal(current(fx), "");
    assert_int_equal(rdd_dctx_context_host(fx->host, DIR_L,
                     "rancher-desktop-9", hst), SIM_ENOTFOUND);
    /* A probe started after the cancel is born cancelled: no write. */
    write_config(fx, "{}");
    rdd_dctx_manage(&fx->inst, fx->inst.id.docker_endpoint);
    run_to(fx, SIM_S(10));
    assert_string_equal(current(fx), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_create_replace_writes_the_docker_cli_layout),
        T(test_config_dir_follows_the_daemon_env),
        T(test_get_current_rules_and_malformed_auths),
        T(test_probe_named_conservative_rows),
        T(test_probe_named_pings_unix_tcp_and_npipe),
        T(test_probe_sets_when_unhealthy_and_keeps_known_keys),
        T(test_locked_rmw_keeps_unknown_keys),
        T(test_clear_only_when_current_is_ours),
        T(test_daemon_docker_host_suppresses_the_probe),
        T(test_default_probe_on_windows_pings_whoever_serves_docker_engine),
        T(test_unix_default_probe_pings_var_run_docker_sock),
        T(test_user_write_between_load_and_save_is_lost),
        T(test_locked_rmw_rechecks_and_keeps_the_user_choice),
        T(test_user_use_of_a_missing_context_fails),
        T(test_remove_waits_for_an_inflight_ping),
        T(test_remove_during_the_set_waits_for_the_save_then_clears),
        T(test_remove_waits_for_every_outstanding_probe),
        T(test_engine_creates_on_start_and_removes_on_stop),
        T(test_engine_stop_waits_in_context_wait),
        T(test_shutdown_hook_removes_the_context),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
