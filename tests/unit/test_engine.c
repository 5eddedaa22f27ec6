/*
 * test_engine.c: the engine reconciler model (sim/rdd/engine.c) row by row
 * (docs/rdd/engine-reconciler.md), countMirrorResources, and the cleanup
 * timeout
 * branch with RDD's exact error text.  Each test builds one Linux instance
 * (unix socket endpoint) on a fresh virtual loop and drives the App's
 * conditions directly.
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
#include "sim/trace.h"

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    char *text;
    size_t text_len;
    FILE *text_f;
    npipe_ns_t *pipes;
    uds_ns_t *socks;
    dock_daemon_t *vm;
    rdd_instance_t inst;
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
    dock_daemon_stop(fx->vm);
    assert_int_equal(dock_container_add(fx->vm, "web", "nginx", "running",
                                        NULL), 0);
    assert_int_equal(rdd_standin_init(&fx->inst, &fx->loop, RDD_OS_LINUX, 1,
                                      "9", 0, fx->pipes, fx->socks, 2000,
                                      fx->vm), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    rdd_instance_free(&fx->inst);
    /* Let cancelled calls and closed streams finish on later turns. */
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    dock_daemon_free(fx->vm);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    uds_ns_free(fx->socks);
    npipe_ns_free(fx->pipes);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    fx->loop.trace = NULL;
    sim_loop_close(&fx->loop);
    fclose(fx->text_f);
    free(fx->text);
    free(fx);
    return 0;
}

static void run_to(fx_t *fx, uint64_t t_ns)
{
    sim_loop_run(&fx->loop, t_ns);
    fflush(fx->text_f);
}

static kube_obj_t app_now(fx_t *fx)
{
    kube_obj_t app;
    assert_int_equal(rdd_get_app(&fx->inst, kube_store_reader(fx->inst.api),
                                 &app), 0);
    return app;
}

static const kube_cond_t *engine_cond(const kube_obj_t *app)
{
    return kube_cond_find(app, RDD_COND_ENGINE);
}

static void set_running(fx_t *fx, const char *status)
{
    kube_obj_t app = app_now(fx);
    kube_cond_t c;
    kube_status_t st;
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "Running");
    snprintf(c.status, sizeof(c.status), "%s", status);
    snprintf(c.reason, sizeof(c.reason), "Test");
    c.observed_gen = app.generation;
    kube_cond_set(&app, &c, sim_now(&fx->loop));
    assert_int_equal(kube_update_status(fx->inst.api, &app, &st), 0);
}

static void set_spec(fx_t *fx, const char *key, const char *val)
{
    kube_obj_t app = app_now(fx);
    kube_status_t st;
    assert_int_equal(kube_spec_set(&app, key, val), 0);
    assert_int_equal(kube_update(fx->inst.api, &app, &st), 0);
}

static void boot_vm(fx_t *fx)
{
    assert_int_equal(rdd_standin_vm_start(&fx->inst, 0, SIM_S(1)), 0);
    run_to(fx, sim_now(&fx->loop) + SIM_S(5));
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; hay && (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* Row B: App not Running, no watcher: terminal Stopped at G, cleanup ran. */
static void test_row_b_writes_stopped_at_the_generation(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app;
    run_to(fx, SIM_S(1));
    app = app_now(fx);
    assert_non_null(engine_cond(&app));
    assert_string_equal(engine_cond(&app)->status, "False");
    assert_string_equal(engine_cond(&app)->reason, "Stopped");
    assert_string_equal(engine_cond(&app)->message, "Container engine stopped");
    assert_int_equal(engine_cond(&app)->observed_gen, app.generation);
    assert_null(fx->inst.watcher);
    assert_true(count_substr(fx->text, "rdd.engine.cleanup") >= 1);
}

/* Row C failing: Running True but nothing serves the socket. */
static void test_row_c_connect_failure_writes_moby_error_text(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app;
    run_to(fx, SIM_S(1));
    set_running(fx, "True");
    run_to(fx, SIM_S(2));
    app = app_now(fx);
    assert_string_equal(engine_cond(&app)->reason, "ConnectFailed");
    assert_string_equal(
        engine_cond(&app)->message,
        "failed to ping Docker: failed to connect to the docker API at "
        "unix:///home/u/.rd9/docker.sock; check if the path is correct and "
        "if the daemon is running: dial unix /home/u/.rd9/docker.sock: "
        "connect: no such file or directory");
    assert_null(fx->inst.watcher);
}

/* Rows C then D: the watcher syncs, Connected, mirrors appear. */
static void test_row_c_then_d_connects_and_mirrors(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app;
    boot_vm(fx);
    app = app_now(fx);
    assert_string_equal(engine_cond(&app)->status, "True");
    assert_string_equal(engine_cond(&app)->reason, "Connected");
    assert_string_equal(engine_cond(&app)->message, "Container engine synced");
    assert_non_null(fx->inst.watcher);
    /* one Container + the moby ContainerNamespace */
    assert_int_equal(rdd_mirror_count(&fx->inst, 0), 2);
    assert_int_equal(rdd_mirror_count(&fx->inst, 1), 2);
}

/* Row A: Running turns False with a live watcher: stop, clean, Stopped. */
static void test_row_a_stops_watcher_cleans_and_writes_stopped(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app;
    boot_vm(fx);
    set_running(fx, "False");
    run_to(fx, sim_now(&fx->loop) + SIM_S(2));
    app = app_now(fx);
    assert_null(fx->inst.watcher);
    assert_string_equal(engine_cond(&app)->reason, "Stopped");
    assert_int_equal(rdd_mirror_count(&fx->inst, 0), 0);
    assert_int_equal(rdd_mirror_count(&fx->inst, 1), 0);
    /* cleanup never calls Docker: the VM's daemon got no mutating call */
    {
        const dock_call_t *calls;
        assert_int_equal(dock_calls(fx->vm, &calls), 0);
    }
}

/* Running with another engine: True/NotApplicable, no watcher. */
static void test_running_with_containerd_is_not_applicable(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app;
    run_to(fx, SIM_S(1));
    set_spec(fx, "containerEngine.name", "containerd");
    set_running(fx, "True");
    run_to(fx, SIM_S(2));
    app = app_now(fx);
    assert_string_equal(engine_cond(&app)->status, "True");
    assert_string_equal(engine_cond(&app)->reason, "NotApplicable");
    assert_string_equal(
        engine_cond(&app)->message,
        "Engine mirroring is only supported with the moby backend");
    assert_null(fx->inst.watcher);
}

/* alreadyClean: Stopped at >= G skips the cleanup; a new generation
 * forces it (the observedGeneration term, testing gap 3). */
static void test_already_clean_skips_cleanup_until_generation_moves(void **state)
{
    fx_t *fx = *state;
    kube_obj_t o;
    kube_status_t st;
    int before;
    run_to(fx, SIM_S(1));
    before = count_substr(fx->text, "rdd.engine.cleanup");
    kube_obj_init(&o, KUBE_CONTAINER, "default", "by-hand");
    assert_int_equal(kube_create(fx->inst.api, &o, &st), 0);
    run_to(fx, SIM_S(2));
    assert_int_equal(count_substr(fx->text, "rdd.engine.cleanup"), before);
    assert_int_equal(rdd_mirror_count(&fx->inst, 0), 1);
    set_spec(fx, "running", "false"); /* a spec change: generation 2 */
    run_to(fx, SIM_S(3));
    assert_int_equal(count_substr(fx->text, "rdd.engine.cleanup"),
                     before + 1);
    assert_int_equal(rdd_mirror_count(&fx->inst, 0), 0);
}

/* watcherDied: a dead watcher while stopped-wanted forces a cleanup even
 * though the condition says Stopped. */
static void test_dead_watcher_forces_cleanup(void **state)
{
    fx_t *fx = *state;
    boot_vm(fx);
    /* The daemon goes away: the stream ends, the watcher exits, the next
     * reconcile (still Running) sees it dead and reconnects (row C). */
    dock_daemon_stop(fx->vm);
    run_to(fx, sim_now(&fx->loop) + SIM_S(1));
    assert_true(count_substr(fx->text, "rdd.engine.watcher_died") >= 1);
    assert_true(count_substr(fx->text, "Docker watcher died, will attempt "
                                       "to reconnect") >= 1);
}

/* watcherDied while stopping: the condition already says Stopped at the
 * current generation, yet a watcher that died forces the cleanup
 * (engine_reconciler.go:184-195, 235-238). */
static void test_dead_watcher_while_stopped_forces_cleanup(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app, o;
    kube_cond_t c;
    kube_status_t st;
    int before;
    boot_vm(fx);
    /* A user-made object the cleanup must sweep, and a Stopped condition
     * at the current generation written behind the engine's back. */
    kube_obj_init(&o, KUBE_VOLUME, "default", "by-hand");
    assert_int_equal(kube_create(fx->inst.api, &o, &st), 0);
    app = app_now(fx);
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "%s", RDD_COND_ENGINE);
    snprintf(c.status, sizeof(c.status), "False");
    snprintf(c.reason, sizeof(c.reason), "Stopped");
    c.observed_gen = app.generation;
    kube_cond_set(&app, &c, sim_now(&fx->loop));
    snprintf(c.type, sizeof(c.type), "Running");
    snprintf(c.reason, sizeof(c.reason), "Test");
    kube_cond_set(&app, &c, sim_now(&fx->loop));
    before = count_substr(fx->text, "rdd.engine.cleanup");
    /* The daemon dies in the same instant: the watcher exits first. */
    dock_daemon_stop(fx->vm);
    assert_int_equal(kube_update_status(fx->inst.api, &app, &st), 0);
    run_to(fx, sim_now(&fx->loop) + SIM_S(2));
    assert_true(count_substr(fx->text, "rdd.engine.watcher_died") >= 1);
    assert_int_equal(count_substr(fx->text, "rdd.engine.cleanup"),
                     before + 1);
    assert_int_equal(rdd_mirror_count(&fx->inst, 0), 0);
}

/* The timeout branch: a mirror kept Terminating by a foreign finalizer
 * makes waitMirrorResourcesGone give up after 30 s with RDD's text, and the
 * previous condition stays. */
static void test_cleanup_times_out_after_30s_with_rdd_text(void **state)
{
    fx_t *fx = *state;
    kube_obj_t o, app;
    kube_status_t st;
    uint64_t t0;
    boot_vm(fx);
    kube_obj_init(&o, KUBE_VOLUME, "default", "pinned");
    kube_add_finalizer(&o, "example.com/keep");
    assert_int_equal(kube_create(fx->inst.api, &o, &st), 0);
    run_to(fx, sim_now(&fx->loop) + SIM_MS(10));
    t0 = sim_now(&fx->loop);
    set_running(fx, "False");
    run_to(fx, t0 + SIM_S(29));
    app = app_now(fx);
    assert_string_equal(engine_cond(&app)->reason, "Connected");
    assert_int_equal(count_substr(fx->text, "timed out waiting"), 0);
    run_to(fx, t0 + SIM_S(31));
    app = app_now(fx);
    assert_string_equal(engine_cond(&app)->reason, "Connected");
    assert_true(count_substr(fx->text,
                             "timed out waiting for 1 mirror resources to be "
                             "deleted: context deadline exceeded") >= 1);
    assert_int_equal(rdd_mirror_count(&fx->inst, 1), 1);
}

/* countMirrorResources counts all four kinds, Terminating included, in the
 * App namespace only. */
static void test_count_mirrors_counts_four_kinds_and_terminating(void **state)
{
    fx_t *fx = *state;
    static const kube_kind_t kinds[] = {KUBE_CONTAINER, KUBE_IMAGE,
                                        KUBE_VOLUME, KUBE_CONTAINER_NS};
    kube_obj_t o;
    kube_status_t st;
    size_t i;
    run_to(fx, SIM_S(1));
    for (i = 0; i < 4; i++) {
        kube_obj_init(&o, kinds[i], "default", "x");
        kube_add_finalizer(&o, "example.com/keep");
        assert_int_equal(kube_create(fx->inst.api, &o, &st), 0);
    }
    kube_obj_init(&o, KUBE_CONTAINER, "elsewhere", "y");
    assert_int_equal(kube_create(fx->inst.api, &o, &st), 0);
    assert_int_equal(kube_delete(fx->inst.api, KUBE_IMAGE, "default", "x",
                                 &st), 0);
    assert_int_equal(rdd_mirror_count(&fx->inst, 0), 4);
    assert_int_equal(rdd_mirror_count(&fx->inst, 1), 0); /* not yet seen */
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + 1);
    /* the engine's own cleanup may already be at work: count, not assume */
    assert_true(rdd_mirror_count(&fx->inst, 1) <= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_row_b_writes_stopped_at_the_generation),
        T(test_row_c_connect_failure_writes_moby_error_text),
        T(test_row_c_then_d_connects_and_mirrors),
        T(test_row_a_stops_watcher_cleans_and_writes_stopped),
        T(test_running_with_containerd_is_not_applicable),
        T(test_already_clean_skips_cleanup_until_generation_moves),
        T(test_dead_watcher_forces_cleanup),
        T(test_dead_watcher_while_stopped_forces_cleanup),
        T(test_cleanup_times_out_after_30s_with_rdd_text),
        T(test_count_mirrors_counts_four_kinds_and_terminating),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
