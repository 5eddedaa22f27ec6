/*
 * limavm_lifecycle.c: the LimaVM controller's lifecycle half, following
 * rdd/pkg/controllers/lima/limavm/controllers/limavm_lifecycle.go at
 * 00f5645 (docs/rdd/limavm.md); a bare ":N" below is a line there.
 *
 * Models: handleDeletion, handleRestartAnnotation, handleRunningState row
 * by row (watched and unwatched), handleRestartNeeded, startInstance
 * (host-switch first, pid-file wait 5 s / 100 ms), stopInstance and
 * shutdownHostagent (30 s graceful, force stop, 10 s), killOrphanedHostagent
 * (500 ms poll up to 30 s), the force-stop helpers with IsOurProcess,
 * removeStaleInstance, preserveInstanceLogs and the WSL2 terminate /
 * unregister.  The blocking waits are async steps parked on the controller
 * (limavm.c); what follows one is a continuation (K_*, limavm_int.h).
 * The fix flags of flags.h issue 4 are implemented where they bite.
 * Leaves out: log rotation, Kubernetes events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limavm_int.h"
#include "rdd.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

/* force-stop helpers (docs/rdd/limavm.md) -----------------------------------*/

static void pidfile_path(rdd_instance_t *inst, char *out, size_t len)
{
    rdd_lima_path(inst, "ha.pid", out, len);
}

/* limavm_lifecycle.go:756-769 terminateWSL2Distro (<= 10 s; wsl.exe does
 * not hang here). */
static void terminate_distro(rdd_instance_t *inst)
{
    char distro[64];
    if (inst->id.os != RDD_OS_WINDOWS)
        return;
    rdd_lima_distro(inst, distro, sizeof(distro));
    (void)host_wsl_terminate(inst->host, distro, inst->id.name);
}

/* :771-786 unregisterWSL2Distro (<= 30 s). */
static void unregister_distro(rdd_instance_t *inst)
{
    char distro[64];
    if (inst->id.os != RDD_OS_WINDOWS)
        return;
    rdd_lima_distro(inst, distro, sizeof(distro));
    (void)host_wsl_unregister(inst->host, distro, inst->id.name);
}

/* :695-754 stopInstanceForcibly (with :639-643 clearRecycledHostAgentPID
 * on a copy).  DriverPID is not screened (H14) unless SCREEN_DRIVER_PID. */
void rdd__lvm_stop_forcibly(rdd_instance_t *inst, const rdd_lima_inst_t *li0,
                            const char *helper)
{
    rdd_lima_inst_t li = *li0;
    char pidfile[HOST_PATH_MAX];
    int all_killed = 1, id_ha = 1, id_drv = -1, i;
    pidfile_path(inst, pidfile, sizeof(pidfile));
    if (li.hostagent_pid &&
        !rdd_is_our_process(inst, li.hostagent_pid, inst->vp.exe, pidfile)) {
        char v[16];
        snprintf(v, sizeof(v), "%u", li.hostagent_pid);
        rdd_trace_kv(inst, "rdd.limavm.screened", "pid", v, "role",
                     "hostagent");
        li.hostagent_pid = 0;
    }
    if (RDD_HAS(inst->flags, SCREEN_DRIVER_PID)) {
        id_drv = 1;
        if (li.driver_pid &&
            !rdd_is_our_process(inst, li.driver_pid, inst->vp.exe, pidfile)) {
            char v[16];
            snprintf(v, sizeof(v), "%u", li.driver_pid);
            rdd_trace_kv(inst, "rdd.limavm.screened", "pid", v, "role",
                         "driver");
            li.driver_pid = 0;
        }
    }
    for (i = 0; i < 2; i++) {
        uint32_t pid = i == 0 ? li.driver_pid : li.hostagent_pid;
        int rc;
        if (!pid)
            continue;
        rc = rdd__limavm_kill(inst, pid, i == 0 ? "driver" : "hostagent",
                              i == 0 ? id_drv : id_ha, helper, "kill_tree");
        /* KillTree: a process already gone is success on both OSes
         * (process_unix.go: ESRCH; process_windows.go:281-306: taskkill's
         * exit code 128). */
        if (rc == SIM_ESRCH)
            rc = 0;
        if (rc)
            all_killed = 0;
    }
    if (li.wsl2)
        terminate_distro(inst);
    if (!all_killed) {
        rdd_trace_kv(inst, "rdd.limavm.tmp_kept", "helper", helper, NULL, NULL);
        return;
    }
    rdd__lima_remove_tmp(inst, li.dir);
}

/* :660-678 forceStopForDeletion. */
void rdd__lvm_force_stop_for_deletion(rdd_instance_t *inst, rdd_lima_inst_t *li)
{
    if (li->status == RDD_LIMA_RUNNING)
        rdd__lvm_stop_forcibly(inst, li, "forceStopForDeletion");
    else if (li->wsl2)
        terminate_distro(inst);
    if (inst->id.os == RDD_OS_WINDOWS) {
        li->driver_pid = 0;
        li->hostagent_pid = 0;
    }
}

/* KILL_ORPHAN_ON_EVERY_START: a live process named by ha.pid is killed
 * (whatever path it was started from) and the pid file removed. */
static void kill_pidfile_orphan(rdd_instance_t *inst, const char *helper)
{
    char path[HOST_PATH_MAX], buf[32];
    unsigned long v;
    pidfile_path(inst, path, sizeof(path));
    if (host_fs_read(inst->host, path, buf, sizeof(buf)) != 0 ||
        sscanf(buf, "%lu", &v) != 1)
        return;
    if (host_proc_alive(inst->host, (uint32_t)v))
        (void)rdd__limavm_kill(inst, (uint32_t)v, "hostagent", -1, helper,
                               "kill_tree");
    (void)host_fs_remove(inst->host, path);
}

/* :793-800 removeStaleInstance. */
int rdd__lvm_remove_stale_instance(rdd_instance_t *inst, const char *dir,
                                   char *msg, size_t len)
{
    if (RDD_HAS(inst->flags, KILL_ORPHAN_ON_EVERY_START))
        kill_pidfile_orphan(inst, "removeStaleInstance");
    terminate_distro(inst);
    unregister_distro(inst);
    return host_fs_remove_all(inst->host, dir, msg, len);
}

/* :802-825 preserveInstanceLogs (RDD_KEEP_LOGS): moves *.log to LogDir;
 * a held file cannot be moved and is lost with the directory. */
typedef struct {
    char names[16][64];
    int n;
} log_list_t;

static int collect_log(void *arg, const char *name, int is_dir)
{
    log_list_t *l = arg;
    size_t n = strlen(name);
    if (!is_dir && l->n < 16 && n > 4 && !strcmp(name + n - 4, ".log"))
        snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", name);
    return 0;
}

/* handleDeletion's RDD_KEEP_LOGS step (limavm_lifecycle.go:817): moves the
 * instance's *.log files aside before Lima deletes the directory. */
static void preserve_logs(rdd_instance_t *inst, const char *dir)
{
    log_list_t l;
    char dest[HOST_PATH_MAX];
    int i, n;
    if (!inst->vp.keep_logs)
        return;
    l.n = 0;
    host_fs_list(inst->host, dir, collect_log, &l);
    /* instance.PreserveLogs(dir, "rd") (instance/logs.go:47, 72-88):
     * <LogDir>/rd, or rd.2, rd.3 ... when that exists already. */
    snprintf(dest, sizeof(dest), "%s/%s", inst->log_dir, RDD_LIMA_VM);
    for (n = 2; host_fs_exists(inst->host, dest) && n < 1000; n++)
        snprintf(dest, sizeof(dest), "%s/%s.%d", inst->log_dir, RDD_LIMA_VM,
                 n);
    for (i = 0; i < l.n; i++) {
        char from[HOST_PATH_MAX], to[HOST_PATH_MAX], data[HOST_DATA_MAX];
        snprintf(from, sizeof(from), "%s/%s", dir, l.names[i]);
        snprintf(to, sizeof(to), "%s/%s", dest, l.names[i]);
        if (host_fs_remove(inst->host, from) != 0)
            continue; /* rename fails on a held file */
        data[0] = 0;
        (void)host_fs_write(inst->host, to, data);
    }
}

/* host-switch -----------------------------------------------------------*/

/* hostswitch_windows.go:146-159 stopHostSwitch (no-op elsewhere). */
void rdd__lvm_stop_host_switch(rdd_instance_t *inst)
{
    rdd_bridge_stop(inst);
}

static void run_k(rdd_instance_t *inst);
static void start_instance(rdd_instance_t *inst);

/* shutdownHostagent (:510-563) ----------------------------------------------*/

/* forceStop: Inspect when inst is nil, then stopInstanceForcibly. */
static void force_stop(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_lima_inst_t li;
    if (!lv->have_li) {
        char msg[300];
        if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) != 0)
            return;
    } else {
        li = lv->li;
    }
    rdd__lvm_stop_forcibly(inst, &li, "shutdownHostagent");
}

static void after_kill_fire(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    (void)inst;
    run_k(inst);
}

/* waitAfterKill: <= 10 s for procExited (no entry: at once). */
static void wait_after_kill(rdd_instance_t *inst)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    if (!w->present || w->proc_exited) {
        run_k(inst);
        return;
    }
    inst->lvm.deadline_ns = sim_now(inst->loop) + RDD_LVM_POST_KILL_NS;
    rdd__lvm_park(inst, RDD_LVM_AFTER_KILL, after_kill_fire,
                  RDD_LVM_POST_KILL_NS);
}

static void graceful_fire(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_hawatch_t *w = &inst->lvm.w;
    if (!w->present || w->proc_exited) {
        run_k(inst);
        return;
    }
    rdd__lvm_decision(inst, "hostagent did not exit gracefully, forcing stop");
    inst->lvm.step = RDD_LVM_IDLE;
    force_stop(inst);
    wait_after_kill(inst);
}

static void shutdown_hostagent(rdd_instance_t *inst)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    if (rdd__hawatch_signal(inst)) {
        if (w->proc_exited) {
            run_k(inst);
            return;
        }
        rdd__lvm_park(inst, RDD_LVM_GRACEFUL, graceful_fire,
                      RDD_LVM_GRACEFUL_NS);
        return;
    }
    rdd__lvm_decision(inst,
                      "no watcher for hostagent, forcing stop via stored PIDs");
    force_stop(inst);
    wait_after_kill(inst);
}

/* The reaper closed procExited: a parked wait returns (on a later turn). */
void rdd__limavm_proc_exited(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    if (lv->step == RDD_LVM_GRACEFUL || lv->step == RDD_LVM_AFTER_KILL ||
        lv->step == RDD_LVM_SHUTDOWN) {
        sim_timer_cb cb = lv->timer.cb;
        sim_timer_stop(&lv->timer);
        if (cb)
            (void)sim_timer_start(&lv->timer, cb, 0);
    }
}

/* stopInstance (:470-504) ---------------------------------------------------*/

static void stop_instance_tail(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_lima_inst_t li;
    char msg[300];
    int rc;
    rdd__hawatch_stop(inst);
    rdd__lvm_stop_host_switch(inst);
    rc = rdd_lima_inspect(inst, &li, msg, sizeof(msg));
    if (rc) {
        (void)rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                                   "StopFailed", msg);
        rdd__lvm_finish(inst, rc, 0);
        return;
    }
    if (li.status == RDD_LIMA_RUNNING) {
        (void)rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                                   "StopFailed",
                                   "instance still running after stop attempt");
        rdd__lvm_finish(inst, SIM_ESTATE, 0);
        return;
    }
    rc = rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                              "Stopped", "Lima instance stopped successfully");
    rdd__lvm_finish(inst, rc, 0);
}

static void stop_instance(rdd_instance_t *inst, int k)
{
    rdd__lvm_decision(inst, "stopInstance");
    inst->lvm.k = k;
    shutdown_hostagent(inst);
}

/* handleRestartNeeded's Running branch tail (:300-311). */
static void restart_needed_tail(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    kube_obj_t orig = lv->vm;
    int rc;
    rdd__hawatch_stop(inst);
    rdd__lvm_stop_host_switch(inst);
    rdd__lvm_field_del(lv->vm.status, &lv->vm.nstatus, "restartNeeded");
    (void)rdd__lvm_set_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                            "Stopped", "Stopped for restart");
    rc = rdd__lvm_status_patch(inst, &orig, &lv->vm);
    rdd__lvm_finish(inst, rc, 0);
}

/* STARTING_TIMEOUT's tail: the hostagent is stopped; StartFailed. */
static void starting_timeout_tail(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    int rc;
    rdd__hawatch_stop(inst);
    rdd__lvm_stop_host_switch(inst);
    lv->start_failed++;
    rc = rdd__lvm_update_cond(
        inst, &lv->vm, RDD_LVM_COND_RUNNING, "False", "StartFailed",
        "Lima instance did not reach Running within 6m0s");
    rdd__lvm_finish(inst, rc ? rc : SIM_ETIMEDOUT, 0);
}

static void orphan_tail(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    if (!lv->orphan_since_ns)
        lv->orphan_since_ns = sim_now(inst->loop);
    lv->orphan_requeues++;
    rdd__lvm_finish(inst, 0, RDD_LVM_ORPHAN_REQUEUE_NS);
}

static void run_k(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    int k = lv->k;
    lv->step = RDD_LVM_IDLE;
    sim_timer_stop(&lv->timer);
    switch (k) {
    case K_STOP_INSTANCE:
        stop_instance_tail(inst);
        return;
    case K_RESTART_NEEDED:
        restart_needed_tail(inst);
        return;
    case K_STARTING_TIMEOUT:
        starting_timeout_tail(inst);
        return;
    case K_ORPHAN:
        orphan_tail(inst);
        return;
    }
    SIM_ASSERT(0);
}

/* killOrphanedHostagent (:569-597) ------------------------------------------*/

static void orphan_poll(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_limavm_t *lv = &inst->lvm;
    rdd_lima_inst_t li;
    char msg[300];
    if (sim_now(inst->loop) >= lv->deadline_ns) {
        rdd__lvm_decision(inst,
                          "orphaned hostagent did not exit gracefully, forcing "
                          "stop");
        lv->step = RDD_LVM_IDLE;
        rdd__lvm_stop_forcibly(inst, &lv->li, "killOrphanedHostagent");
        run_k(inst);
        return;
    }
    if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) == 0 &&
        li.status == RDD_LIMA_STOPPED) {
        rdd__lvm_decision(inst, "orphaned hostagent exited gracefully");
        run_k(inst);
        return;
    }
    rdd__lvm_park(inst, RDD_LVM_ORPHAN_WAIT, orphan_poll,
                  RDD_LVM_ORPHAN_POLL_NS);
}

static void kill_orphaned_hostagent(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    char pidfile[HOST_PATH_MAX];
    pidfile_path(inst, pidfile, sizeof(pidfile));
    lv->k = K_ORPHAN;
    if (lv->li.hostagent_pid &&
        rdd_is_our_process(inst, lv->li.hostagent_pid, inst->vp.exe,
                           pidfile)) {
        if (rdd__limavm_kill(inst, lv->li.hostagent_pid, "hostagent", 1,
                             "killOrphanedHostagent", "interrupt") == 0) {
            lv->deadline_ns = sim_now(inst->loop) + RDD_LVM_GRACEFUL_NS;
            rdd__lvm_park(inst, RDD_LVM_ORPHAN_WAIT, orphan_poll,
                          RDD_LVM_ORPHAN_POLL_NS);
            return;
        }
    }
    rdd__lvm_stop_forcibly(inst, &lv->li, "killOrphanedHostagent");
    run_k(inst);
}

/* startInstance (:334-451) --------------------------------------------------*/

static void start_failed(rdd_instance_t *inst, int err, const char *msg)
{
    rdd_limavm_t *lv = &inst->lvm;
    lv->start_failed++;
    (void)rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                               "StartFailed", msg);
    rdd__lvm_finish(inst, err, 0);
}

static void pid_poll(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_limavm_t *lv = &inst->lvm;
    char path[HOST_PATH_MAX], err[HOST_PATH_MAX + 80];
    rdd_ha_t *ha = rdd_ha_find(inst, lv->last_ha_pid);
    pidfile_path(inst, path, sizeof(path));
    if (host_fs_exists(inst->host, path)) {
        /* :447 startWatcher */
        lv->step = RDD_LVM_IDLE;
        rdd__hawatch_start(inst, lv->vm.ns, lv->vm.name, ha,
                           lv->deadline_ns - RDD_LVM_PIDFILE_WAIT_NS);
        rdd__lvm_decision(inst, "hostagent started, watcher active");
        rdd__lvm_finish(inst, 0, 0);
        return;
    }
    if (sim_now(inst->loop) > lv->deadline_ns) {
        rdd_lima_path(inst, "ha.stderr.log", path, sizeof(path));
        snprintf(err, sizeof(err),
                 "hostagent did not create PID file within timeout (see %s)",
                 path);
        lv->step = RDD_LVM_IDLE;
        rdd__lvm_stop_host_switch(inst);
        start_failed(inst, SIM_ETIMEDOUT, err);
        return;
    }
    rdd__lvm_park(inst, RDD_LVM_PIDWAIT, pid_poll, RDD_LVM_PIDFILE_POLL_NS);
}

static void start_instance(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    char path[HOST_PATH_MAX];
    rdd_ha_t *ha;
    int was_starting =
        rdd__lvm_has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False", "Starting");
    int rc;
    rdd__lvm_decision(inst, "startInstance");
    rc = rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                              "Starting", "Lima instance is starting");
    if (rc) {
        rdd__lvm_finish(inst, rc, 0);
        return;
    }
    if (!was_starting || !lv->starting_since_ns)
        lv->starting_since_ns = sim_now(inst->loop);
    /* logfile.Create for ha.stdout / ha.stderr (rotation abstracted). */
    rdd_lima_path(inst, "ha.stdout.log", path, sizeof(path));
    rc = host_fs_write(inst->host, path, "");
    if (rc == 0) {
        rdd_lima_path(inst, "ha.stderr.log", path, sizeof(path));
        rc = host_fs_write(inst->host, path, "");
    }
    if (rc) {
        char msg[HOST_PATH_MAX + 64];
        snprintf(msg, sizeof(msg), "create log file %s: %s", path,
                 sim_strerror(rc));
        start_failed(inst, rc, msg);
        return;
    }
    /* :413-416 the host-switch first (WSL2). */
    rdd_bridge_start(inst, inst->vp.handshake_ns);
    if (RDD_HAS(inst->flags, KILL_ORPHAN_ON_EVERY_START))
        kill_pidfile_orphan(inst, "startInstance");
    rc = rdd_ha_spawn(inst, inst->vp.exe, lv->svc_pid, &ha);
    if (rc) {
        rdd__lvm_stop_host_switch(inst);
        start_failed(inst, rc, sim_strerror(rc));
        return;
    }
    lv->starts++;
    lv->last_ha_pid = ha->pid;
    /* :454-465 waitForPIDFile: Stat now, then every 100 ms for 5 s. */
    lv->deadline_ns = sim_now(inst->loop) + RDD_LVM_PIDFILE_WAIT_NS;
    pid_poll(&lv->timer);
}

/* handleRunningState (:121-325) ---------------------------------------------*/

static int should_run(const kube_obj_t *vm)
{
    const char *r = kube_spec_get(vm, "running");
    return r && !strcmp(r, "true");
}

static int inspect_or_finish(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    char msg[300];
    int rc = rdd_lima_inspect(inst, &lv->li, msg, sizeof(msg));
    lv->have_li = rc == 0;
    if (rc) {
        rdd_trace_kv(inst, "rdd.limavm.inspect", "err", msg, NULL, NULL);
        lv->inspect_seq = sim_trace_last(inst->loop);
        rdd__lvm_finish(inst, rc, 0);
        return rc;
    }
    {
        /* on WSL2 the answer is the distro's state: link its latest
         * change (explain) */
        char distro[64];
        sim_trace_scope_t scope;
        rdd_lima_distro(inst, distro, sizeof(distro));
        scope = sim_trace_link_scope(
            inst->loop, "distro",
            rdd_lima_wsl2(inst) ? host_wsl_trace(inst->host, distro) : 0);
        rdd_trace_kv(inst, "rdd.limavm.inspect", "status",
                     rdd_lima_status_name(lv->li.status), NULL, NULL);
        sim_trace_scope_restore(inst->loop, scope);
        lv->inspect_seq = sim_trace_last(inst->loop);
    }
    return 0;
}

/* The hostagent the watcher tracks exited before Running: its stderr. */
static const char *crash_text(rdd_instance_t *inst)
{
    rdd_ha_t *ha = rdd_ha_find(inst, inst->lvm.w.pid);
    if (ha && ha->stderr_text[0])
        return ha->stderr_text;
    return "hostagent exited";
}

/* Both handlers' "stopped and should stay stopped" tail: Running
 * False/Stopped "Lima instance is stopped", written only when it changes
 * (handleWatchedState :236-240, handleUnwatchedState :279-283). */
static void finish_stopped(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    int rc = 0;
    if (!rdd__lvm_has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False", "Stopped"))
        rc = rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                                  "Stopped", "Lima instance is stopped");
    rdd__lvm_finish(inst, rc, 0);
}

/* :156-244 handleWatchedState. */
static void handle_watched(rdd_instance_t *inst, int run, rdd_phase_t phase)
{
    rdd_limavm_t *lv = &inst->lvm;
    int rc;
    if (phase == RDD_PHASE_STARTING && run) {
        if (RDD_HAS(inst->flags, STARTING_TIMEOUT) && lv->starting_since_ns) {
            uint64_t el = sim_now(inst->loop) - lv->starting_since_ns;
            if (el >= RDD_LVM_STARTING_TIMEOUT_NS) {
                rdd__lvm_decision(inst,
                                  "starting timeout: stopping the hostagent");
                lv->have_li = 0;
                lv->k = K_STARTING_TIMEOUT;
                shutdown_hostagent(inst);
                return;
            }
        }
        rc = 0;
        if (!rdd__lvm_has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False",
                               "Starting"))
            rc = rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING,
                                      "False", "Starting",
                                      "Lima instance is starting");
        rdd__lvm_finish(inst, rc,
                        RDD_HAS(inst->flags, STARTING_TIMEOUT) && !rc
                            ? lv->starting_since_ns +
                                  RDD_LVM_STARTING_TIMEOUT_NS -
                                  sim_now(inst->loop)
                            : 0);
        return;
    }
    if (phase == RDD_PHASE_RUNNING && run) {
        rc = 0;
        lv->backoff_ns = 0;
        lv->starting_since_ns = 0;
        if (RDD_HAS(inst->flags, HOSTSWITCH_DEATH_SURFACED) && lv->hs_died) {
            rdd__lvm_decision(inst, "host-switch died: restarting it");
            lv->hs_died = 0;
            rdd_bridge_start(inst, inst->vp.handshake_ns);
        }
        if (!rdd__lvm_has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "True",
                               "Started")) {
            kube_obj_t orig = lv->vm;
            const char *c = kube_status_get(&lv->vm, "restartCount");
            char v[24];
            snprintf(v, sizeof(v), "%ld", (c ? atol(c) : 0) + 1);
            (void)kube_status_set(&lv->vm, "restartCount", v);
            (void)rdd__lvm_set_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "True",
                                    "Started", "Lima instance is running");
            rc = rdd__lvm_status_patch(inst, &orig, &lv->vm);
        }
        rdd__lvm_finish(inst, rc, 0);
        return;
    }
    if (phase == RDD_PHASE_STOPPED && run) {
        /* CRASH_LOOP_BACKOFF: an exit while Starting is a failed start. */
        if (RDD_HAS(inst->flags, CRASH_LOOP_BACKOFF) &&
            !rdd__lvm_has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "True",
                               "Started")) {
            uint64_t now = sim_now(inst->loop);
            if (lv->backoff_until_ns == 0) {
                kube_obj_t orig = lv->vm;
                const char *c = kube_status_get(&lv->vm, "restartCount");
                char v[24];
                lv->backoff_ns = lv->backoff_ns ? lv->backoff_ns * 2
                                                : RDD_LVM_BACKOFF_MIN_NS;
                if (lv->backoff_ns > RDD_LVM_BACKOFF_MAX_NS)
                    lv->backoff_ns = RDD_LVM_BACKOFF_MAX_NS;
                lv->backoff_until_ns = now + lv->backoff_ns;
                snprintf(v, sizeof(v), "%ld", (c ? atol(c) : 0) + 1);
                (void)kube_status_set(&lv->vm, "restartCount", v);
                (void)rdd__lvm_set_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING,
                                        "False", "StartFailed",
                                        crash_text(inst));
                lv->start_failed++;
                rc = rdd__lvm_status_patch(inst, &orig, &lv->vm);
                rdd__lvm_decision(inst, "crash loop back-off");
                rdd__lvm_finish(inst, rc, rc ? 0 : lv->backoff_ns);
                return;
            }
            if (now < lv->backoff_until_ns) {
                rdd__lvm_finish(inst, 0, lv->backoff_until_ns - now);
                return;
            }
        }
        lv->backoff_until_ns = 0;
        rdd__lvm_decision(inst,
                          "hostagent exited while it should run: restart");
        lv->crash_restarts++;
        rdd__hawatch_stop(inst);
        rdd__lvm_stop_host_switch(inst);
        if (inspect_or_finish(inst))
            return;
        if (lv->li.status == RDD_LIMA_RUNNING ||
            lv->li.status == RDD_LIMA_BROKEN) {
            rdd__lvm_decision(inst, "force-stopping orphaned VM driver");
            rdd__lvm_stop_forcibly(inst, &lv->li, "handleWatchedState");
        }
        start_instance(inst);
        return;
    }
    if ((phase == RDD_PHASE_RUNNING || phase == RDD_PHASE_STARTING) && !run) {
        if (inspect_or_finish(inst))
            return;
        stop_instance(inst, K_STOP_INSTANCE);
        return;
    }
    /* Stopped ∧ ¬run */
    rdd__hawatch_stop(inst);
    rdd__lvm_stop_host_switch(inst);
    finish_stopped(inst);
}

/* :249-287 handleUnwatchedState. */
static void handle_unwatched(rdd_instance_t *inst, int run)
{
    rdd_limavm_t *lv = &inst->lvm;
    int rc;
    if (inspect_or_finish(inst))
        return;
    if (lv->li.status == RDD_LIMA_RUNNING ||
        lv->li.status == RDD_LIMA_BROKEN) {
        if (RDD_HAS(inst->flags, RECONCILING_BOUNDED) &&
            lv->orphan_loop_since_ns &&
            sim_now(inst->loop) - lv->orphan_loop_since_ns >=
                RDD_LVM_GRACEFUL_NS &&
            !rdd__lvm_has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False",
                               "StopFailed")) {
            char msg[200];
            if (lv->li.hostagent_pid)
                snprintf(msg, sizeof(msg),
                         "orphaned hostagent (pid %u) could not be stopped "
                         "within 30s; Lima reports %s",
                         lv->li.hostagent_pid,
                         rdd_lima_status_name(lv->li.status));
            else
                snprintf(msg, sizeof(msg),
                         "Lima still reports %s 30s after the orphaned "
                         "hostagent was stopped",
                         rdd_lima_status_name(lv->li.status));
            rdd__lvm_decision(inst, "orphan kill bounded: StopFailed");
            rc = rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING,
                                      "False", "StopFailed", msg);
            if (rc) {
                rdd__lvm_finish(inst, rc, 0);
                return;
            }
            /* Surfaced; the kill is still retried every 1 s, so once Lima
             * stops saying Running/Broken the start goes ahead. */
        }
        if (!lv->orphan_loop_since_ns)
            lv->orphan_loop_since_ns = sim_now(inst->loop);
        rdd__lvm_decision(inst, "found orphaned hostagent, killing it");
        kill_orphaned_hostagent(inst);
        return;
    }
    lv->orphan_loop_since_ns = 0;
    lv->orphan_since_ns = 0;
    if (run) {
        start_instance(inst);
        return;
    }
    finish_stopped(inst);
}

/* :294-325 handleRestartNeeded. */
static void handle_restart_needed(rdd_instance_t *inst, rdd_phase_t phase)
{
    rdd_limavm_t *lv = &inst->lvm;
    kube_obj_t orig;
    if (phase == RDD_PHASE_RUNNING) {
        rdd__lvm_decision(inst, "restart needed: stopping running instance");
        lv->have_li = 0; /* shutdownHostagent(ctx, name, nil) */
        lv->k = K_RESTART_NEEDED;
        shutdown_hostagent(inst);
        return;
    }
    /* STARTING_TIMEOUT covers every Starting instance: RDD's return here
     * (no requeue) would otherwise leave a start that never completes
     * silent whenever a template change is pending. */
    if (phase == RDD_PHASE_STARTING &&
        RDD_HAS(inst->flags, STARTING_TIMEOUT) && should_run(&lv->vm)) {
        handle_watched(inst, 1, phase);
        return;
    }
    if (phase == RDD_PHASE_STARTING) {
        rdd__lvm_decision(inst, "restart needed but instance is starting");
        rdd__lvm_finish(inst, 0, 0);
        return;
    }
    rdd__lvm_decision(inst,
                      "restart needed but instance not running, clearing flag");
    orig = lv->vm;
    rdd__lvm_field_del(lv->vm.status, &lv->vm.nstatus, "restartNeeded");
    rdd__lvm_finish(inst, rdd__lvm_status_patch(inst, &orig, &lv->vm), 0);
}

void rdd__lvm_handle_running_state(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    int run = should_run(&lv->vm);
    rdd_phase_t phase = rdd__hawatch_phase(inst);
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.limavm.running_state");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_i64(tr, "should_run", run);
    sim_trace_str(tr, "phase", rdd_phase_name(phase));
    sim_trace_end(tr);
    lv->have_li = 0;
    if (run && phase == RDD_PHASE_UNKNOWN &&
        !rdd__lvm_has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "Unknown",
                           "Reconciling") &&
        !(RDD_HAS(inst->flags, RECONCILING_BOUNDED) &&
          rdd__lvm_has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False",
                            "StopFailed") &&
          lv->orphan_loop_since_ns)) {
        rdd__lvm_decision(inst, "no watcher: Running Unknown/Reconciling");
        rdd__lvm_finish(
            inst,
            rdd__lvm_update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "Unknown",
                                 "Reconciling",
                                 "Verifying instance state after controller "
                                 "restart"),
            0);
        return;
    }
    if (rdd__lvm_restart_needed(&lv->vm)) {
        handle_restart_needed(inst, phase);
        return;
    }
    if (phase != RDD_PHASE_UNKNOWN)
        handle_watched(inst, run, phase);
    else
        handle_unwatched(inst, run);
}

/* handleDeletion, handleRestartAnnotation (Reconcile calls them) ------------*/

/* limavm_lifecycle.go:36-83 handleDeletion. */
void rdd__lvm_handle_deletion(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_lima_inst_t li;
    kube_obj_t cm;
    kube_status_t st;
    char msg[400];
    int rc;
    rdd__lvm_decision(inst, "handleDeletion");
    rdd__hawatch_stop(inst);
    rdd__lvm_stop_host_switch(inst);
    if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) == 0) {
        rdd__lvm_force_stop_for_deletion(inst, &li);
        preserve_logs(inst, li.dir);
        rc = rdd_lima_delete(inst, &li, msg, sizeof(msg));
        if (rc) {
            rdd_trace_kv(inst, "rdd.limavm.delete_failed", "err", msg, NULL,
                         NULL);
            rdd__lvm_finish(inst, rc, 0);
            return;
        }
    }
    /* base.DeleteOwnedResources: the template ConfigMap. */
    rc = kube_get(inst->api, KUBE_CONFIGMAP, lv->vm.ns, RDD_LVM_TEMPLATE_CM,
                  &cm, &st);
    if (rc == 0) {
        const char *owner = kube_spec_get(&cm, RDD_LVM_OWNER_KEY);
        char uid[24];
        snprintf(uid, sizeof(uid), "%llu", (unsigned long long)lv->vm.uid);
        if (owner && !strcmp(owner, uid)) {
            if (kube_remove_finalizer(&cm, RDD_LVM_OWNED_FINALIZER))
                rc = kube_update(inst->api, &cm, &st);
            if (rc == 0)
                rc = kube_delete(inst->api, KUBE_CONFIGMAP, lv->vm.ns,
                                 RDD_LVM_TEMPLATE_CM, &st);
            if (rc == SIM_ENOTFOUND)
                rc = 0;
            if (rc) {
                rdd__lvm_finish(inst, rc, 0);
                return;
            }
        }
    }
    /* base.RemoveCleanupFinalizer: Update with the cached object. */
    rc = 0;
    if (kube_remove_finalizer(&lv->vm, RDD_LVM_CLEANUP_FINALIZER))
        rc = kube_update(inst->api, &lv->vm, &st);
    rdd__lvm_finish(inst, rc, 0);
}

/* limavm_lifecycle.go:92-115 handleRestartAnnotation: pass 1 patches
 * status.restartNeeded (:97-99), pass 2 removes the annotation (:108-110);
 * both merge patches. */
void rdd__lvm_handle_restart_annotation(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    kube_status_t st;
    if (!rdd__lvm_restart_needed(&lv->vm)) {
        kube_obj_t orig = lv->vm;
        rdd__lvm_decision(inst, "restart requested via annotation");
        (void)kube_status_set(&lv->vm, "restartNeeded", "true");
        rdd__lvm_finish(inst, rdd__lvm_status_patch(inst, &orig, &lv->vm), 0);
        return;
    }
    rdd__lvm_decision(inst, "removing restartRequested annotation");
    {
        /* :108-110 r.Patch(ctx, vm, client.MergeFrom(orig)) after
         * delete(Annotations, ...): a merge patch of the main endpoint, no
         * resourceVersion (never 409); an annotation is metadata, so
         * generation does not move. */
        kube_obj_t orig = lv->vm;
        rdd__lvm_field_del(lv->vm.spec, &lv->vm.nspec,
                           RDD_LVM_RESTART_ANNOTATION);
        rdd__lvm_finish(inst, kube_merge_patch(inst->api, &orig, &lv->vm, 0,
                                               &st),
                        0);
    }
}
