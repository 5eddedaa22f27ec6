/*
 * test_limavm.c: the LimaVM controller (sim/rdd/limavm.c and
 * limavm_lifecycle.c), its hostagent
 * watcher (hawatcher.c), Lima and the hostagent (lima.c) and the service
 * process (service.c), docs/rdd/limavm.md.  Each test builds one instance
 * on a fresh host (Linux or Windows), starts its service and seeds the
 * LimaVM "rd" and its "rd-template" ConfigMap directly (the App controller
 * has no App to work on), then drives time, the host and the objects:
 * every row of the handleRunningState table, the pid-file wait timeout,
 * the orphan self-refusal crash loop (docs/rdd/limavm.md path 1), the
 * stale-directory
 * loop (item 6) at head and under their fix flags, `rdd svc stop` with and
 * without a console and `rdd svc delete` leaving held files.
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
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

#define NS "default"
#define TMPL "engine=moby;socket=x;k8s=false;kport=0;cpus=2"

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    char *text;
    size_t text_len;
    FILE *text_f;
    host_t *host;
    npipe_ns_t *pipes;
    uds_ns_t *socks;
    dock_daemon_t *vm;
    rdd_instance_t inst;
    int up;
} fx_t;

static void fx_init(fx_t *fx, int windows, rdd_flags_t flags,
                    uint64_t boot_ns, int never_running)
{
    rdd_vm_params_t vp;
    assert_int_equal(sim_loop_init(&fx->loop, 1), 0);
    fx->text_f = open_memstream(&fx->text, &fx->text_len);
    sim_trace_init(&fx->tr, fx->text_f, NULL);
    fx->loop.trace = &fx->tr;
    assert_int_equal(host_new(&fx->loop, windows, &fx->host), 0);
    assert_int_equal(npipe_ns_new(&fx->loop, &fx->pipes), 0);
    assert_int_equal(uds_ns_new(&fx->loop, &fx->socks), 0);
    assert_int_equal(dock_daemon_new(&fx->loop, "vm-7", "VM7", &fx->vm), 0);
    memset(&vp, 0, sizeof(vp));
    vp.prepare_ns = SIM_S(1);
    vp.handshake_ns = SIM_MS(300);
    vp.boot_ns = boot_ns;
    vp.never_running = never_running;
    snprintf(vp.exe, sizeof(vp.exe), "%s",
             windows ? "C:/Program Files/Rancher Desktop/resources/rdd.exe"
                     : "/usr/bin/rdd");
    assert_int_equal(rdd_instance_init(&fx->inst, &fx->loop, fx->host,
                                       windows ? RDD_OS_WINDOWS
                                               : RDD_OS_LINUX,
                                       1, "7", flags, fx->pipes, fx->socks,
                                       fx->vm, &vp),
                     0);
    fx->up = 1;
}

static int setup_linux(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    fx_init(fx, 0, 0, SIM_S(2), 0);
    *state = fx;
    return 0;
}

static int setup_windows(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    fx_init(fx, 1, 0, SIM_S(2), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    if (getenv("DUMP")) {
        fflush(fx->text_f);
        fputs(fx->text ? fx->text : "", stderr);
    }
    rdd_instance_free(&fx->inst);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    dock_daemon_free(fx->vm);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    uds_ns_free(fx->socks);
    npipe_ns_free(fx->pipes);
    host_free(fx->host);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    fx->loop.trace = NULL;
    sim_loop_close(&fx->loop);
    fclose(fx->text_f);
    free(fx->text);
    free(fx);
    return 0;
}

/* A fixture rebuilt with flags (the setup's is freed first). */
static void refx(void **state, int windows, rdd_flags_t flags,
                 uint64_t boot_ns, int never_running)
{
    fx_t *fx;
    teardown(state);
    fx = calloc(1, sizeof(*fx));
    fx_init(fx, windows, flags, boot_ns, never_running);
    *state = fx;
}

static void run_for(fx_t *fx, uint64_t ns)
{
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + ns);
    fflush(fx->text_f);
}

/* The LimaVM and its template ConfigMap, as the App controller and the
 * mutating webhook leave them. */
static void seed(fx_t *fx, int running)
{
    kube_obj_t vm, cm;
    kube_status_t st;
    kube_obj_init(&cm, KUBE_CONFIGMAP, NS, "rd-template");
    kube_spec_set(&cm, "template", TMPL);
    kube_add_finalizer(&cm, RDD_LVM_OWNED_FINALIZER);
    assert_int_equal(kube_create(fx->inst.api, &cm, &st), 0);
    kube_obj_init(&vm, KUBE_LIMAVM, NS, "rd");
    kube_spec_set(&vm, "running", running ? "true" : "false");
    kube_spec_set(&vm, "templateRef", "rd");
    kube_add_finalizer(&vm, "rdd.rancherdesktop.io/owned-by-App");
    kube_add_finalizer(&vm, RDD_LVM_CLEANUP_FINALIZER);
    assert_int_equal(kube_create(fx->inst.api, &vm, &st), 0);
}

static kube_obj_t vm_now(fx_t *fx)
{
    kube_obj_t vm;
    kube_status_t st;
    assert_int_equal(kube_get(fx->inst.api, KUBE_LIMAVM, NS, "rd", &vm, &st),
                     0);
    return vm;
}

static void assert_cond(fx_t *fx, const char *type, const char *status,
                        const char *reason)
{
    kube_obj_t vm = vm_now(fx);
    const kube_cond_t *c = kube_cond_find(&vm, type);
    assert_non_null(c);
    assert_string_equal(c->status, status);
    assert_string_equal(c->reason, reason);
}

static const char *cond_msg(fx_t *fx, const char *type)
{
    static kube_obj_t vm;
    const kube_cond_t *c;
    vm = vm_now(fx);
    c = kube_cond_find(&vm, type);
    return c ? c->message : "";
}

static void set_running(fx_t *fx, int running)
{
    kube_obj_t vm = vm_now(fx);
    kube_status_t st;
    kube_spec_set(&vm, "running", running ? "true" : "false");
    assert_int_equal(kube_update(fx->inst.api, &vm, &st), 0);
}

static void set_status(fx_t *fx, const char *key, const char *val)
{
    kube_obj_t vm = vm_now(fx);
    kube_status_t st;
    kube_status_set(&vm, key, val);
    assert_int_equal(kube_update_status(fx->inst.api, &vm, &st), 0);
}

static int count_substr(fx_t *fx, const char *needle)
{
    int n = 0;
    const char *p;
    fflush(fx->text_f);
    for (p = fx->text; p && (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* Start the service, seed, run until Running True. */
static void boot(fx_t *fx, int running)
{
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    seed(fx, running);
    run_for(fx, SIM_S(10));
}

static uint32_t tracked(fx_t *fx)
{
    return rdd_limavm_tracked_pid(&fx->inst);
}

/* Steps 2, 5, 9, 10 then the unwatched start and the Running row. */
static void test_create_then_start_reaches_running(void **state)
{
    fx_t *fx = *state;
    kube_obj_t vm;
    char path[HOST_PATH_MAX];
    boot(fx, 1);
    assert_cond(fx, "Created", "True", "Created");
    assert_string_equal(cond_msg(fx, "Created"),
                        "Lima instance created successfully");
    assert_cond(fx, "Running", "True", "Started");
    assert_string_equal(cond_msg(fx, "Running"), "Lima instance is running");
    vm = vm_now(fx);
    assert_string_equal(kube_status_get(&vm, "restartCount"), "1");
    assert_string_equal(kube_status_get(&vm, "templateConfigMap"),
                        "rd-template");
    assert_int_equal(rdd_limavm_phase(&fx->inst), RDD_PHASE_RUNNING);
    assert_true(tracked(fx) != 0);
    assert_true(fx->inst.vm_running);
    assert_true(dock_daemon_up(fx->vm));
    rdd_lima_path(&fx->inst, ".preparing", path, sizeof(path));
    assert_false(host_fs_exists(fx->host, path));
    rdd_lima_path(&fx->inst, "ha.pid", path, sizeof(path));
    assert_true(host_fs_exists(fx->host, path));
    assert_int_equal(fx->inst.lvm.starts, 1);
}

/* Row: Running ∧ run writes True/Started once, restartCount++ once. */
static void test_running_row_counts_restart_once(void **state)
{
    fx_t *fx = *state;
    kube_obj_t vm;
    boot(fx, 1);
    set_status(fx, "unrelated", "x"); /* another event, same state */
    run_for(fx, SIM_S(5));
    vm = vm_now(fx);
    assert_string_equal(kube_status_get(&vm, "restartCount"), "1");
    assert_cond(fx, "Running", "True", "Started");
}

/* Row: restartNeeded ∧ Running: graceful shutdown, Stopped for restart,
 * flag cleared; then a fresh start. */
static void test_restart_needed_running_stops_for_restart(void **state)
{
    fx_t *fx = *state;
    uint32_t first;
    kube_obj_t vm;
    const host_proc_t *p;
    boot(fx, 1);
    first = tracked(fx);
    set_status(fx, "restartNeeded", "true");
    run_for(fx, SIM_MS(700));
    p = host_proc(fx->host, first);
    assert_non_null(p);
    assert_false(p->alive);
    assert_int_equal(p->exit_code, 0); /* it exited on the interrupt */
    assert_int_equal(count_substr(fx, "Stopped for restart"), 1);
    vm = vm_now(fx);
    assert_null(kube_status_get(&vm, "restartNeeded"));
    run_for(fx, SIM_S(10));
    assert_cond(fx, "Running", "True", "Started");
    assert_true(tracked(fx) != first);
    vm = vm_now(fx);
    assert_string_equal(kube_status_get(&vm, "restartCount"), "2");
}

/* Row: restartNeeded ∧ Starting waits; nothing changes until Running. */
static void test_restart_needed_starting_waits(void **state)
{
    fx_t *fx;
    kube_obj_t vm;
    refx(state, 0, 0, SIM_S(30), 0);
    fx = *state;
    boot(fx, 1);
    assert_cond(fx, "Running", "False", "Starting");
    set_status(fx, "restartNeeded", "true");
    run_for(fx, SIM_S(5));
    vm = vm_now(fx);
    assert_string_equal(kube_status_get(&vm, "restartNeeded"), "true");
    assert_cond(fx, "Running", "False", "Starting");
    assert_int_equal(count_substr(fx, "restart needed but instance is "
                                      "starting"),
                     1);
    assert_int_equal(count_substr(fx, "Stopped for restart"), 0);
}

/* Row: restartNeeded ∧ Unknown: the flag is cleared, normal logic next. */
static void test_restart_needed_unknown_clears_flag(void **state)
{
    fx_t *fx = *state;
    kube_obj_t vm;
    boot(fx, 0);
    assert_cond(fx, "Running", "False", "Stopped");
    set_status(fx, "restartNeeded", "true");
    run_for(fx, SIM_S(2));
    vm = vm_now(fx);
    assert_null(kube_status_get(&vm, "restartNeeded"));
    assert_int_equal(count_substr(fx, "instance not running, clearing flag"),
                     1);
    assert_int_equal(fx->inst.lvm.starts, 0);
}

/* Row: Starting ∧ run has no timeout at head (limavm.md path 2)... */
static void test_starting_never_times_out_at_head(void **state)
{
    fx_t *fx;
    refx(state, 0, 0, SIM_S(2), 1);
    fx = *state;
    boot(fx, 1);
    run_for(fx, SIM_S(1200));
    assert_cond(fx, "Running", "False", "Starting");
    assert_int_equal(fx->inst.lvm.starts, 1);
}

/* ...and STARTING_TIMEOUT ends it with StartFailed after 6 min. */
static void test_starting_timeout_flag_fails_the_start(void **state)
{
    fx_t *fx;
    refx(state, 0, RDD_FLAG_BIT(RDD_FLAG_STARTING_TIMEOUT), SIM_S(2), 1);
    fx = *state;
    boot(fx, 1);
    run_for(fx, SIM_S(350));
    assert_cond(fx, "Running", "False", "Starting");
    run_for(fx, SIM_S(20));
    assert_int_equal(count_substr(fx, "did not reach Running within 6m0s"),
                     1);
    assert_true(fx->inst.lvm.start_failed >= 1);
}

/* Row: Stopped ∧ run (crash): a killed hostagent is restarted. */
static void test_crash_is_restarted(void **state)
{
    fx_t *fx = *state;
    uint32_t first;
    boot(fx, 1);
    first = tracked(fx);
    assert_int_equal(host_kill(fx->host, first), 0);
    assert_false(fx->inst.vm_running); /* the VM went with it */
    run_for(fx, SIM_S(10));
    assert_int_equal(fx->inst.lvm.crash_restarts, 1);
    assert_true(tracked(fx) != first);
    assert_cond(fx, "Running", "True", "Started");
    /* qemu outlived its killed hostagent: Inspect said Broken/Running and
     * stopInstanceForcibly killed the driver tree. */
    assert_true(count_substr(fx, "helper=handleWatchedState") >= 1);
}

/* Rows: Running ∧ ¬run -> stopInstance, graceful. */
static void test_stop_running_is_graceful(void **state)
{
    fx_t *fx = *state;
    uint32_t pid;
    const host_proc_t *p;
    char path[HOST_PATH_MAX];
    boot(fx, 1);
    pid = tracked(fx);
    set_running(fx, 0);
    run_for(fx, SIM_S(5));
    assert_cond(fx, "Running", "False", "Stopped");
    assert_string_equal(cond_msg(fx, "Running"),
                        "Lima instance stopped successfully");
    p = host_proc(fx->host, pid);
    assert_false(p->alive);
    assert_false(p->killed);
    assert_false(fx->inst.vm_running);
    assert_int_equal(tracked(fx), 0);
    rdd_lima_path(&fx->inst, "ha.pid", path, sizeof(path));
    assert_false(host_fs_exists(fx->host, path));
}

/* Row: Starting ∧ ¬run -> stopInstance too. */
static void test_stop_while_starting(void **state)
{
    fx_t *fx;
    refx(state, 0, 0, SIM_S(60), 0);
    fx = *state;
    boot(fx, 1);
    assert_int_equal(rdd_limavm_phase(&fx->inst), RDD_PHASE_STARTING);
    set_running(fx, 0);
    run_for(fx, SIM_S(5));
    assert_cond(fx, "Running", "False", "Stopped");
    assert_string_equal(cond_msg(fx, "Running"),
                        "Lima instance stopped successfully");
}

/* Row: Stopped ∧ ¬run -> "Lima instance is stopped". */
static void test_stopped_not_run(void **state)
{
    fx_t *fx = *state;
    boot(fx, 1);
    set_running(fx, 0);
    assert_int_equal(host_kill_tree(fx->host, tracked(fx)), 0);
    run_for(fx, SIM_S(5));
    assert_cond(fx, "Running", "False", "Stopped");
    assert_string_equal(cond_msg(fx, "Running"), "Lima instance is stopped");
    assert_int_equal(tracked(fx), 0);
    assert_int_equal(fx->inst.lvm.starts, 1);
}

/* Rows: Unknown ∧ run after a controller restart: Unknown/Reconciling,
 * then the orphan (Inspect Running) is interrupted, requeue 1 s, start. */
static void test_controller_restart_kills_orphan_then_starts(void **state)
{
    fx_t *fx = *state;
    uint32_t orphan;
    boot(fx, 1);
    orphan = tracked(fx);
    /* The service dies without its hook (SIGKILL). */
    assert_int_equal(host_kill(fx->host, fx->inst.proc.pid), 0);
    assert_int_equal(fx->inst.svc, RDD_SVC_DOWN);
    assert_true(host_proc_alive(fx->host, orphan));
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    run_for(fx, SIM_MS(300));
    assert_true(count_substr(fx, "reason=Reconciling") >= 1);
    run_for(fx, SIM_S(15));
    assert_false(host_proc_alive(fx->host, orphan));
    assert_int_equal(fx->inst.lvm.orphan_requeues, 1);
    assert_cond(fx, "Running", "True", "Started");
    assert_true(tracked(fx) != orphan);
}

/* Row: Unknown, Inspect error -> error back-off, no start. */
static void test_unknown_inspect_error_backs_off(void **state)
{
    fx_t *fx = *state;
    char path[HOST_PATH_MAX];
    boot(fx, 0);
    rdd_lima_path(&fx->inst, "lima.yaml", path, sizeof(path));
    assert_int_equal(host_fs_remove(fx->host, path), 0);
    set_running(fx, 1);
    run_for(fx, SIM_S(5));
    assert_int_equal(fx->inst.lvm.starts, 0);
    assert_true(count_substr(fx, "rdd.limavm.inspect inst=rancher-desktop-7 "
                                 "err=\"open") >= 2);
}

/* Row: Unknown, otherwise, ¬run -> Stopped/"Lima instance is stopped". */
static void test_unknown_not_run_is_stopped(void **state)
{
    fx_t *fx = *state;
    boot(fx, 0);
    assert_cond(fx, "Running", "False", "Stopped");
    assert_string_equal(cond_msg(fx, "Running"), "Lima instance is stopped");
    assert_int_equal(fx->inst.lvm.starts, 0);
}

/* startInstance: no pid file within 5 s -> StartFailed with the path. */
static void test_pid_file_wait_times_out(void **state)
{
    fx_t *fx = *state;
    uint32_t pid;
    boot(fx, 0);
    set_running(fx, 1);
    /* Run until the hostagent is spawned, then kill it before its main. */
    while (!fx->inst.lvm.last_ha_pid)
        run_for(fx, SIM_MS(1));
    pid = fx->inst.lvm.last_ha_pid;
    assert_int_equal(host_kill(fx->host, pid), 0);
    run_for(fx, SIM_MS(5000));
    assert_cond(fx, "Running", "False", "Starting");
    assert_int_equal(fx->inst.lvm.start_failed, 0);
    run_for(fx, SIM_MS(200));
    /* At 5.1 s (polls at 0, 0.1, ... 5.0 s see no file). */
    assert_int_equal(fx->inst.lvm.start_failed, 1);
    assert_int_equal(count_substr(fx, "reason=StartFailed message=\"hostagent "
                                      "did not create PID file within "
                                      "timeout (see /home/u/.rd7/lima/rd/"
                                      "ha.stderr.log)\""),
                     1);
}

/* docs/rdd/limavm.md path 1 (Windows): the service dies with no console; the
 * orphan
 * keeps ha.pid; its distro is stopped so Inspect reads Stopped; every new
 * hostagent refuses and the stale pid file satisfies the wait: a silent
 * crash loop that stays False/Starting. */
static void orphan_setup(fx_t *fx)
{
    char distro[64];
    boot(fx, 1);
    assert_cond(fx, "Running", "True", "Started");
    assert_int_equal(rdd_svc_stop(&fx->inst, 0), 0);
    assert_int_equal(fx->inst.svc, RDD_SVC_DOWN);
    rdd_lima_distro(&fx->inst, distro, sizeof(distro));
    assert_int_equal(host_wsl_state(fx->host, distro), HOST_WSL_RUNNING);
    /* wsl --shutdown by the user: the orphan hostagent lives on. */
    assert_int_equal(host_wsl_terminate(fx->host, distro, "user"), 0);
}

static void test_orphan_crash_loop_at_head(void **state)
{
    fx_t *fx = *state;
    uint32_t orphan;
    char buf[1024];
    orphan_setup(fx);
    orphan = fx->inst.lvm.last_ha_pid;
    assert_true(host_proc_alive(fx->host, orphan));
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    run_for(fx, SIM_S(60));
    assert_true(host_proc_alive(fx->host, orphan));
    assert_true(fx->inst.lvm.starts > 100);
    assert_cond(fx, "Running", "False", "Starting");
    assert_int_equal(fx->inst.lvm.start_failed, 0);
    assert_true(count_substr(fx, "another hostagent may already be running "
                                 "with pid") > 100);
    rdd_limavm_explain(&fx->inst, buf, sizeof(buf));
    assert_non_null(strstr(buf, "Running=False/Starting"));
    assert_non_null(strstr(buf, "another hostagent may already be running"));
    assert_non_null(strstr(buf, "is still alive"));
}

static void test_orphan_crash_loop_backoff_surfaces(void **state)
{
    fx_t *fx;
    uint32_t orphan;
    refx(state, 1, RDD_FLAG_BIT(RDD_FLAG_CRASH_LOOP_BACKOFF), SIM_S(2), 0);
    fx = *state;
    orphan_setup(fx);
    orphan = fx->inst.lvm.last_ha_pid;
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    run_for(fx, SIM_S(60));
    assert_true(host_proc_alive(fx->host, orphan));
    assert_true(fx->inst.lvm.starts <= 8);
    assert_cond(fx, "Running", "False", "StartFailed");
    assert_non_null(strstr(cond_msg(fx, "Running"),
                           "another hostagent may already be running"));
}

static void test_orphan_killed_on_every_start(void **state)
{
    fx_t *fx;
    uint32_t orphan;
    refx(state, 1, RDD_FLAG_BIT(RDD_FLAG_KILL_ORPHAN_ON_EVERY_START),
         SIM_S(2), 0);
    fx = *state;
    orphan_setup(fx);
    orphan = fx->inst.lvm.last_ha_pid;
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    run_for(fx, SIM_S(20));
    assert_false(host_proc_alive(fx->host, orphan));
    assert_cond(fx, "Running", "True", "Started");
    assert_true(fx->inst.lvm.starts <= 2);
}

/* An orphan started from another rdd.exe fails IsOurProcess: with the
 * distro Running, stopInstanceForcibly screens it and never kills it
 * (S13); DriverPID is 0 on WSL2 (Lima records no driver pid there), so
 * nothing is killed, the tmp files go (no kill failed) and a second
 * hostagent boots beside the orphan. */
static void test_foreign_orphan_is_screened(void **state)
{
    fx_t *fx = *state;
    uint32_t orphan;
    size_t i;
    boot(fx, 1);
    orphan = tracked(fx);
    assert_int_equal(rdd_svc_stop(&fx->inst, 0), 0);
    /* The user upgraded Rancher Desktop: a new executable path. */
    snprintf(fx->inst.vp.exe, sizeof(fx->inst.vp.exe), "%s",
             "C:/Program Files/Rancher Desktop 2/resources/rdd.exe");
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    run_for(fx, SIM_S(30));
    assert_true(host_proc_alive(fx->host, orphan));
    for (i = 0; i < fx->inst.lvm.nkills; i++) {
        assert_false(fx->inst.lvm.kills[i].pid == orphan);
        assert_string_not_equal(fx->inst.lvm.kills[i].role, "driver");
    }
    assert_int_equal(count_substr(fx, "rdd.limavm.screened"), 1);
    assert_cond(fx, "Running", "True", "Started");
    assert_true(tracked(fx) != orphan);
}

/* SCREEN_DRIVER_PID: the same restart screens DriverPID too (H14): the
 * driver, not running our rdd.exe, is not killed either.  On WSL2 only
 * the deviation WSL2_DRIVER_PIDFILE gives a DriverPID to screen. */
static void test_screen_driver_pid_spares_the_driver(void **state)
{
    fx_t *fx;
    uint32_t orphan;
    size_t i;
    refx(state, 1,
         RDD_FLAG_BIT(RDD_FLAG_SCREEN_DRIVER_PID) |
             RDD_FLAG_BIT(RDD_FLAG_WSL2_DRIVER_PIDFILE),
         SIM_S(2), 0);
    fx = *state;
    boot(fx, 1);
    orphan = tracked(fx);
    assert_int_equal(rdd_svc_stop(&fx->inst, 0), 0);
    snprintf(fx->inst.vp.exe, sizeof(fx->inst.vp.exe), "%s",
             "C:/Program Files/Rancher Desktop 2/resources/rdd.exe");
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    run_for(fx, SIM_S(3));
    assert_true(host_proc_alive(fx->host, orphan));
    assert_int_equal(count_substr(fx, "rdd.limavm.screened"), 2);
    for (i = 0; i < fx->inst.lvm.nkills; i++)
        assert_string_not_equal(fx->inst.lvm.kills[i].helper,
                                "killOrphanedHostagent");
}

/* HOSTSWITCH_DEATH_SURFACED: the hook enqueues the LimaVM and the Running
 * row restarts the host-switch; without the flag it does nothing. */
static void test_hostswitch_death_hook(void **state)
{
    fx_t *fx = *state;
    int before;
    boot(fx, 1);
    before = count_substr(fx, "to=handshake\n");
    rdd_limavm_hostswitch_died(&fx->inst);
    run_for(fx, SIM_S(2));
    assert_int_equal(count_substr(fx, "to=handshake\n"), before);
    assert_int_equal(count_substr(fx, "host-switch died"), 0);
    refx(state, 1, RDD_FLAG_BIT(RDD_FLAG_HOSTSWITCH_DEATH_SURFACED),
         SIM_S(2), 0);
    fx = *state;
    boot(fx, 1);
    before = count_substr(fx, "to=handshake\n");
    rdd_limavm_hostswitch_died(&fx->inst);
    run_for(fx, SIM_S(2));
    assert_int_equal(count_substr(fx, "host-switch died: restarting it"), 1);
    assert_int_equal(count_substr(fx, "to=handshake\n"), before + 1);
    assert_int_equal(fx->inst.bridge.state, RDD_BRIDGE_LISTENING);
}

/* docs/rdd/limavm.md path 6 (Windows): no-console stop, svc delete, new store:
 * the directory cannot be removed while the orphan holds its logs. */
static void stale_setup(fx_t *fx)
{
    uint64_t epoch = fx->inst.api_epoch;
    char path[HOST_PATH_MAX];
    boot(fx, 1);
    assert_int_equal(rdd_svc_stop(&fx->inst, 0), 0);
    assert_int_equal(rdd_svc_delete(&fx->inst, 0), 0);
    assert_int_equal(fx->inst.api_epoch, epoch + 1);
    rdd_lima_path(&fx->inst, "lima.yaml", path, sizeof(path));
    assert_false(host_fs_exists(fx->host, path));
    rdd_lima_path(&fx->inst, "ha.stdout.log", path, sizeof(path));
    assert_true(host_fs_exists(fx->host, path)); /* held by the orphan */
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    seed(fx, 1);
}

static void test_stale_directory_loop_at_head(void **state)
{
    fx_t *fx = *state;
    char buf[1024];
    uint64_t starts;
    stale_setup(fx);
    starts = fx->inst.lvm.starts;
    run_for(fx, SIM_S(60));
    assert_cond(fx, "Created", "Unknown", "Pending");
    assert_true(fx->inst.lvm.stale_removals >= 25);
    assert_int_equal(fx->inst.lvm.stale_failures,
                     fx->inst.lvm.stale_removals);
    assert_int_equal(fx->inst.lvm.starts, starts);
    assert_int_equal(count_substr(fx, "already exists"), 0); /* swallowed */
    rdd_limavm_explain(&fx->inst, buf, sizeof(buf));
    assert_non_null(strstr(buf, "Created=Unknown/Pending"));
    assert_non_null(strstr(buf, "stale instance directory"));
}

static void test_stale_directory_surfaces_create_failed(void **state)
{
    fx_t *fx;
    refx(state, 1, RDD_FLAG_BIT(RDD_FLAG_SURFACE_CREATE_FAILED), SIM_S(2), 0);
    fx = *state;
    stale_setup(fx);
    run_for(fx, SIM_S(60));
    assert_cond(fx, "Created", "False", "CreateFailed");
    assert_non_null(strstr(cond_msg(fx, "Created"),
                           "instance \"rd\" already exists"));
    assert_non_null(strstr(cond_msg(fx, "Created"), HOST_SHARING_MSG));
}

/* `rdd svc stop` with a console: the hook reclaims (pid files, distro);
 * nothing is left for the next start to mistake for an orphan. */
static void test_svc_stop_with_console_reclaims(void **state)
{
    fx_t *fx = *state;
    uint32_t ha, svc;
    char path[HOST_PATH_MAX], distro[64];
    boot(fx, 1);
    ha = tracked(fx);
    svc = fx->inst.proc.pid;
    assert_int_equal(rdd_svc_stop(&fx->inst, 1), 0);
    run_for(fx, SIM_S(2));
    assert_int_equal(fx->inst.svc, RDD_SVC_DOWN);
    assert_false(host_proc_alive(fx->host, svc));
    assert_false(host_proc_alive(fx->host, ha));
    rdd_lima_path(&fx->inst, "ha.pid", path, sizeof(path));
    assert_false(host_fs_exists(fx->host, path));
    rdd_lima_distro(&fx->inst, distro, sizeof(distro));
    assert_int_equal(host_wsl_state(fx->host, distro), HOST_WSL_STOPPED);
    assert_int_equal(fx->inst.bridge.state, RDD_BRIDGE_OFF);
    /* The next start boots cleanly. */
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    run_for(fx, SIM_S(10));
    assert_cond(fx, "Running", "True", "Started");
    assert_int_equal(fx->inst.lvm.orphan_requeues, 0);
}

/* Without a console: TerminateProcess, no hook, the orphan and its pid
 * file and distro stay. */
static void test_svc_stop_without_console_orphans(void **state)
{
    fx_t *fx = *state;
    uint32_t ha;
    char path[HOST_PATH_MAX], distro[64];
    boot(fx, 1);
    ha = tracked(fx);
    assert_int_equal(rdd_svc_stop(&fx->inst, 0), 0);
    assert_int_equal(fx->inst.svc, RDD_SVC_DOWN);
    run_for(fx, SIM_S(40));
    assert_true(host_proc_alive(fx->host, ha));
    rdd_lima_path(&fx->inst, "ha.pid", path, sizeof(path));
    assert_true(host_fs_exists(fx->host, path));
    rdd_lima_distro(&fx->inst, distro, sizeof(distro));
    assert_int_equal(host_wsl_state(fx->host, distro), HOST_WSL_RUNNING);
    assert_int_equal(count_substr(fx, "rdd.limavm.shutdown "), 0);
}

/* `rdd svc delete` after a no-console stop leaves the held files and the
 * running distro's disk; the datastore is new and empty. */
static void test_svc_delete_leaves_held_files(void **state)
{
    fx_t *fx = *state;
    char path[HOST_PATH_MAX];
    kube_obj_t vm;
    kube_status_t st;
    boot(fx, 1);
    assert_int_equal(rdd_svc_stop(&fx->inst, 0), 0);
    assert_int_equal(rdd_svc_delete(&fx->inst, 0), 0);
    assert_int_equal(kube_get(fx->inst.api, KUBE_LIMAVM, NS, "rd", &vm, &st),
                     SIM_ENOTFOUND);
    rdd_lima_path(&fx->inst, "ha.stderr.log", path, sizeof(path));
    assert_true(host_fs_exists(fx->host, path));
    rdd_lima_path(&fx->inst, "ext4.vhdx", path, sizeof(path));
    assert_true(host_fs_exists(fx->host, path));
    rdd_lima_path(&fx->inst, "basedisk", path, sizeof(path));
    assert_false(host_fs_exists(fx->host, path));
    assert_false(host_fs_exists(fx->host, fx->inst.dir));
    assert_false(host_fs_exists(fx->host, fx->inst.log_dir));
}

/* The 1-slot channel drops a second enqueue in the same turn. */
static void test_enqueue_channel_drops_when_full(void **state)
{
    fx_t *fx = *state;
    boot(fx, 1);
    rdd__limavm_enqueue_chan(&fx->inst);
    rdd__limavm_enqueue_chan(&fx->inst);
    assert_int_equal(fx->inst.lvm.chan_drops, 1);
    run_for(fx, SIM_S(1));
    rdd__limavm_enqueue_chan(&fx->inst);
    assert_int_equal(fx->inst.lvm.chan_drops, 1);
}


/* Issue 10 item 6.  updateCondition (limavm_controller.go:581-588) is
 * Status().Patch with client.MergeFrom: a merge patch without a
 * resourceVersion, which the apiserver cannot refuse with an
 * optimistic-lock 409.  With kube.update.conflict firing on every call,
 * the stop's "Lima instance stopped successfully" still lands.  (The old
 * model sent a PUT with a resourceVersion, so the fault refused it and
 * the condition stayed True/Started.) */
static sim_faults_t g_faults;

/* kube.update.conflict fires on every evaluation from now on. */
static void arm_conflict_always(fx_t *fx)
{
    sim_fault_arm_t a;
    memset(&a, 0, sizeof(a));
    a.by_time = 1;
    a.from_ns = 0;
    a.to_ns = UINT64_MAX;
    sim_faults_init(&g_faults);
    sim_faults_arm(&g_faults, SIM_FAULT_KUBE_UPDATE_CONFLICT, &a, 1);
    fx->loop.faults = &g_faults;
}

static void test_status_patch_is_never_a_conflict(void **state)
{
    fx_t *fx = *state;
    boot(fx, 1);
    assert_cond(fx, "Running", "True", "Started");
    set_running(fx, 0);
    arm_conflict_always(fx);
    run_for(fx, SIM_S(10));
    assert_cond(fx, "Running", "False", "Stopped");
    assert_string_equal(cond_msg(fx, "Running"),
                        "Lima instance stopped successfully");
    assert_true(g_faults.site[SIM_FAULT_KUBE_UPDATE_CONFLICT].fired == 0);
    fx->loop.faults = NULL;
}

/* Issue 10 item 6.  The restart annotation is metadata
 * (limavm_lifecycle.go:108-110 patches metadata.annotations): adding it
 * and its removal by the controller leave generation where it was, and
 * the removal is a merge patch the conflict fault cannot refuse.  (The
 * old model kept it in spec: +1 generation on each write.) */
static void test_restart_annotation_is_metadata(void **state)
{
    fx_t *fx = *state;
    kube_obj_t vm;
    kube_status_t st;
    int64_t gen;
    boot(fx, 1);
    vm = vm_now(fx);
    gen = vm.generation;
    kube_spec_set(&vm, RDD_LVM_RESTART_ANNOTATION, "true");
    assert_int_equal(kube_update(fx->inst.api, &vm, &st), 0);
    assert_int_equal(vm.generation, gen);
    arm_conflict_always(fx);
    run_for(fx, SIM_S(10));
    fx->loop.faults = NULL;
    vm = vm_now(fx);
    assert_null(kube_spec_get(&vm, RDD_LVM_RESTART_ANNOTATION));
    assert_int_equal(vm.generation, gen);
    /* the restart it asked for happened: stopped for restart, then up */
    assert_int_equal(count_substr(fx, "Stopped for restart"), 1);
    assert_cond(fx, "Running", "True", "Started");
}


/* Issue 10 item 7: the watcher tails ha.stdout.log (hostagent_watcher.go:
 * 130-135) and the reaper cancels the tail when the hostagent exits
 * (:83-92).  A hostagent that writes Running and dies at the same instant
 * leaves that line unread when the cancel comes; whether the tail reads
 * it first is the choice point hawatcher.tail_lost.  Returns the pid of
 * the hostagent killed. */
static void kill_cb(void *a, void *b)
{
    fx_t *fx = a;
    (void)host_kill(fx->host, (uint32_t)(uintptr_t)b);
}

static uint32_t crash_at_running(fx_t *fx, int pin)
{
    rdd_ha_t *ha = NULL;
    uint32_t pid;
    int i;
    fx->inst.vp.choice[SIM_CHOICE_HAWATCHER_TAIL_LOST] = pin;
    assert_int_equal(rdd_svc_start(&fx->inst), 0);
    seed(fx, 1);
    for (i = 0; i < 100000; i++) {
        pid = tracked(fx);
        ha = pid ? rdd_ha_find(&fx->inst, pid) : NULL;
        if (ha && ha->state == RDD_HA_BOOTING)
            break;
        run_for(fx, SIM_MS(1));
    }
    assert_non_null(ha);
    assert_true(sim_timer_active(&ha->timer));
    /* scheduled after the Running timer, at its instant: it runs just after
     * the hostagent writes Running, before the tail reads it */
    assert_int_equal(sim_call(&fx->loop, ha->timer.due_ns - sim_now(&fx->loop),
                              kill_cb, fx, (void *)(uintptr_t)pid),
                     0);
    run_for(fx, SIM_S(10));
    return pid;
}

/* pin 2 (lost): the Running line was written, never read: the phase went
 * Starting -> Stopped and the crash restart followed.  pin 1: read first. */
static void check_tail(void **state, int pin)
{
    fx_t *fx = *state;
    char needle[64];
    uint32_t pid = crash_at_running(fx, pin);
    snprintf(needle, sizeof(needle), "to=Running pid=%u", pid);
    assert_int_equal(count_substr(fx, pin == 2 ? "sim.choice "
                                                 "name=hawatcher.tail_lost "
                                                 "value=true"
                                               : "sim.choice "
                                                 "name=hawatcher.tail_lost "
                                                 "value=false"),
                     1);
    assert_int_equal(count_substr(fx, needle), pin == 2 ? 0 : 1);
    assert_int_equal(fx->inst.lvm.tail_lost, pin == 2 ? 1 : 0);
    assert_int_equal(fx->inst.lvm.crash_restarts, 1);
    assert_cond(fx, "Running", "True", "Started");
}

static void test_tail_lost_running_before_crash(void **state)
{
    check_tail(state, 2);
}

static void test_tail_read_running_before_crash(void **state)
{
    check_tail(state, 1);
}

/* Issue 10 item 11: a shutdown runnable that never returns does not make
 * `rdd svc stop` wait its 5 min: the manager's GracefulShutdownTimeout
 * (service/controllers/manager.go:152, 10 s) ends the wait and the
 * service exits; the hook's reclaim never ran. */
static void test_shutdown_hang_is_capped_at_10s(void **state)
{
    fx_t *fx = *state;
    sim_fault_arm_t a;
    uint32_t svc;
    boot(fx, 1);
    svc = fx->inst.proc.pid;
    memset(&a, 0, sizeof(a));
    a.by_count = 1;
    sim_faults_init(&g_faults);
    sim_faults_arm(&g_faults, SIM_FAULT_RDD_SVC_SHUTDOWN_HANG, &a, 1);
    fx->loop.faults = &g_faults;
    assert_int_equal(rdd_svc_stop(&fx->inst, 1), 0);
    run_for(fx, SIM_S(9));
    assert_true(host_proc_alive(fx->host, svc));
    run_for(fx, SIM_S(2));
    fx->loop.faults = NULL;
    assert_false(host_proc_alive(fx->host, svc));
    assert_int_equal(fx->inst.svc, RDD_SVC_DOWN);
    assert_int_equal(count_substr(fx, "rdd.svc.shutdown_timeout"), 1);
    assert_int_equal(count_substr(fx, "rdd.limavm.shutdown_done"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define L(t) cmocka_unit_test_setup_teardown(t, setup_linux, teardown)
#define W(t) cmocka_unit_test_setup_teardown(t, setup_windows, teardown)
        L(test_create_then_start_reaches_running),
        L(test_running_row_counts_restart_once),
        L(test_restart_needed_running_stops_for_restart),
        L(test_restart_needed_starting_waits),
        L(test_restart_needed_unknown_clears_flag),
        L(test_starting_never_times_out_at_head),
        L(test_starting_timeout_flag_fails_the_start),
        L(test_crash_is_restarted),
        L(test_stop_running_is_graceful),
        L(test_stop_while_starting),
        L(test_stopped_not_run),
        L(test_controller_restart_kills_orphan_then_starts),
        L(test_unknown_inspect_error_backs_off),
        L(test_unknown_not_run_is_stopped),
        L(test_pid_file_wait_times_out),
        W(test_orphan_crash_loop_at_head),
        W(test_orphan_crash_loop_backoff_surfaces),
        W(test_orphan_killed_on_every_start),
        W(test_foreign_orphan_is_screened),
        W(test_screen_driver_pid_spares_the_driver),
        W(test_hostswitch_death_hook),
        W(test_stale_directory_loop_at_head),
        W(test_stale_directory_surfaces_create_failed),
        W(test_svc_stop_with_console_reclaims),
        W(test_svc_stop_without_console_orphans),
        W(test_svc_delete_leaves_held_files),
        W(test_shutdown_hang_is_capped_at_10s),
        L(test_enqueue_channel_drops_when_full),
        L(test_status_patch_is_never_a_conflict),
        L(test_restart_annotation_is_metadata),
        L(test_tail_lost_running_before_crash),
        L(test_tail_read_running_before_crash),
#undef L
#undef W
    };
    if (getenv("TF"))
        cmocka_set_test_filter(getenv("TF"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
