/*
 * limavm.c: RDD's LimaVM controller,
 * rdd/pkg/controllers/lima/limavm/controllers/limavm_controller.go and
 * limavm_lifecycle.go at 00f5645 (rdd-behavior.md §7.2-7.5).
 *
 * Models: Reconcile steps 1-10 (sentinel, leftover deletion, owner
 * reference, templateConfigMap, restart annotation, template update,
 * "Lima instance exists", Create with the stale-directory requeue, Prepare),
 * handleRunningState row by row (watched and unwatched), handleRestartNeeded,
 * startInstance (host-switch first, pid-file wait 5 s / 100 ms),
 * stopInstance and shutdownHostagent (30 s graceful, force stop, 10 s),
 * killOrphanedHostagent (500 ms poll up to 30 s), the force-stop helpers
 * with IsOurProcess, removeStaleInstance, handleDeletion and the service
 * shutdown hook.  Status writes: Status().Update sends the cached object's
 * resourceVersion (409 -> error -> back-off); Status().Patch is a merge
 * patch applied to the stored object (conditions replaced as a list).
 * The fix flags of flags.h issue 4 are implemented where they bite.
 * Leaves out: SSH keys, image decompression, log rotation, Kubernetes
 * events; a service shutdown abandons a parked reconcile instead of waiting
 * for it (controller-runtime waits up to its graceful timeout).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdd.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static const char *const step_names[] = {
    "idle",       "prepare",     "pidwait", "graceful",
    "after_kill", "orphan_wait", "backoff", "shutdown"};

const char *rdd_lvm_step_name(rdd_lvm_step_t s)
{
    SIM_ASSERT(s < RDD_LVM__COUNT);
    return step_names[s];
}

/* What runs after an async step. */
enum {
    K_NONE,
    K_STOP_INSTANCE,   /* stopInstance's tail */
    K_RESTART_NEEDED,  /* handleRestartNeeded's tail */
    K_STARTING_TIMEOUT,/* STARTING_TIMEOUT's tail */
    K_ORPHAN,          /* handleUnwatchedState's requeue */
};


static void decision(rdd_instance_t *inst, const char *what)
{
    rdd_trace_kv(inst, "rdd.limavm.decision", "what", what, NULL, NULL);
}

/* Ends the reconcile in flight. */
static void finish(rdd_instance_t *inst, int err, uint64_t requeue_ns)
{
    rdd_limavm_t *lv = &inst->lvm;
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.limavm.done");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_err(tr, "err", err);
    sim_trace_ns(tr, "requeue", requeue_ns);
    sim_trace_end(tr);
    lv->step = RDD_LVM_IDLE;
    lv->k = K_NONE;
    sim_timer_stop(&lv->timer);
    if (lv->ctrl)
        kube_ctrl_done(lv->ctrl, lv->key, err, requeue_ns);
}

/* object helpers ------------------------------------------------------------*/

static void field_del(kube_field_t *f, int *n, const char *key)
{
    int i;
    for (i = 0; i < *n; i++)
        if (!strcmp(f[i].key, key)) {
            memmove(&f[i], &f[i + 1], (size_t)(*n - i - 1) * sizeof(*f));
            (*n)--;
            return;
        }
}

static int conds_equal(const kube_obj_t *a, const kube_obj_t *b)
{
    int i;
    if (a->nconds != b->nconds)
        return 0;
    for (i = 0; i < a->nconds; i++) {
        const kube_cond_t *x = &a->conds[i], *y = &b->conds[i];
        if (strcmp(x->type, y->type) || strcmp(x->status, y->status) ||
            strcmp(x->reason, y->reason) || strcmp(x->message, y->message) ||
            x->last_transition_ns != y->last_transition_ns)
            return 0;
    }
    return 1;
}

static int has_cond(const kube_obj_t *o, const char *type, const char *status,
                    const char *reason)
{
    const kube_cond_t *c = kube_cond_find(o, type);
    return c && !strcmp(c->status, status) && !strcmp(c->reason, reason);
}

static int cond_true(const kube_obj_t *o, const char *type)
{
    const kube_cond_t *c = kube_cond_find(o, type);
    return c && !strcmp(c->status, "True");
}

/* Observation: what the stored LimaVM says now. */
static void observe(rdd_instance_t *inst, const kube_obj_t *vm)
{
    rdd_limavm_t *lv = &inst->lvm;
    const kube_cond_t *c = kube_cond_find(vm, RDD_LVM_COND_RUNNING);
    if (c) {
        snprintf(lv->running_status, sizeof(lv->running_status), "%s",
                 c->status);
        snprintf(lv->running_reason, sizeof(lv->running_reason), "%s",
                 c->reason);
        lv->running_since_ns = c->last_transition_ns;
    }
    c = kube_cond_find(vm, RDD_LVM_COND_CREATED);
    if (c)
        snprintf(lv->created_reason, sizeof(lv->created_reason), "%s",
                 c->reason);
}

/* :563-578 setCondition: SetStatusCondition; logs a change. */
static int set_cond(rdd_instance_t *inst, kube_obj_t *vm, const char *type,
                    const char *status, const char *reason, const char *msg)
{
    kube_cond_t c;
    int changed;
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "%s", type);
    snprintf(c.status, sizeof(c.status), "%s", status);
    snprintf(c.reason, sizeof(c.reason), "%s", reason);
    snprintf(c.message, sizeof(c.message), "%s", msg);
    changed = kube_cond_set(vm, &c, sim_now(inst->loop)) == 1;
    if (changed) {
        sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.limavm.condition");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_str(tr, "type", type);
        sim_trace_str(tr, "status", status);
        sim_trace_str(tr, "reason", reason);
        sim_trace_str(tr, "message", msg);
        sim_trace_end(tr);
    }
    return changed;
}

/* Status().Update(&limaVM): the copy's resourceVersion is the
 * precondition. */
static int status_update(rdd_instance_t *inst, kube_obj_t *vm)
{
    kube_status_t st;
    int rc = kube_update_status(inst->api, vm, &st);
    if (rc == 0)
        observe(inst, vm);
    return rc;
}

/* Status().Patch(ctx, vm, client.MergeFrom(orig)): the diff orig -> vm
 * applied to the stored object (status fields by key, the conditions list
 * as a whole), no resourceVersion precondition.  vm becomes the result. */
static int status_patch(rdd_instance_t *inst, const kube_obj_t *orig,
                        kube_obj_t *vm)
{
    kube_obj_t cur;
    kube_status_t st;
    int i, rc = kube_get(inst->api, KUBE_LIMAVM, vm->ns, vm->name, &cur, &st);
    if (rc)
        return rc;
    for (i = 0; i < vm->nstatus; i++) {
        const char *was = kube_status_get(orig, vm->status[i].key);
        if (!was || strcmp(was, vm->status[i].val))
            (void)kube_status_set(&cur, vm->status[i].key, vm->status[i].val);
    }
    for (i = 0; i < orig->nstatus; i++)
        if (!kube_status_get(vm, orig->status[i].key))
            field_del(cur.status, &cur.nstatus, orig->status[i].key);
    if (!conds_equal(orig, vm)) {
        cur.nconds = vm->nconds;
        memcpy(cur.conds, vm->conds, sizeof(cur.conds));
    }
    rc = kube_update_status(inst->api, &cur, &st);
    if (rc == 0) {
        *vm = cur;
        observe(inst, vm);
    }
    return rc;
}

/* :581-588 updateCondition: setCondition + Status().Patch. */
static int update_cond(rdd_instance_t *inst, kube_obj_t *vm, const char *type,
                       const char *status, const char *reason,
                       const char *msg)
{
    kube_obj_t orig = *vm;
    (void)set_cond(inst, vm, type, status, reason, msg);
    return status_patch(inst, &orig, vm);
}

static int should_run(const kube_obj_t *vm)
{
    const char *r = kube_spec_get(vm, "running");
    return r && !strcmp(r, "true");
}

static int restart_needed(const kube_obj_t *vm)
{
    const char *r = kube_status_get(vm, "restartNeeded");
    return r && !strcmp(r, "true");
}

/* kills -----------------------------------------------------------------*/

static int pid_is_ours(rdd_instance_t *inst, uint32_t pid)
{
    rdd_ha_t *ha;
    if (!host_proc_alive(inst->host, pid))
        return 0;
    for (ha = inst->lima.head; ha; ha = ha->next)
        if (ha->state != RDD_HA_EXITED &&
            (ha->pid == pid || ha->driver_pid == pid))
            return 1;
        else if (ha->driver_pid == pid) {
            /* a driver outliving its hostagent is still ours */
            const host_proc_t *p = host_proc(inst->host, pid);
            if (p && p->ppid == ha->pid)
                return 1;
        }
    return 0;
}

int rdd__limavm_kill(rdd_instance_t *inst, uint32_t pid, const char *role,
                     int identity, const char *helper, const char *how)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_limavm_kill_t k, *p;
    const host_proc_t *hp = host_proc(inst->host, pid);
    sim_trace_t *tr;
    memset(&k, 0, sizeof(k));
    k.at_ns = sim_now(inst->loop);
    k.pid = pid;
    snprintf(k.role, sizeof(k.role), "%s", role);
    snprintf(k.exe, sizeof(k.exe), "%s", hp ? hp->exe : "");
    k.identity = identity;
    k.ours = pid_is_ours(inst, pid);
    snprintf(k.helper, sizeof(k.helper), "%s", helper);
    snprintf(k.how, sizeof(k.how), "%s", how);
    if (!strcmp(how, "interrupt") || !strcmp(how, "ctrl_break"))
        k.rc = host_interrupt(inst->host, pid);
    else if (!strcmp(how, "kill_tree"))
        k.rc = host_kill_tree(inst->host, pid);
    else
        k.rc = host_kill(inst->host, pid);
    p = sim__realloc(lv->kills, (lv->nkills + 1) * sizeof(*p));
    if (p) {
        lv->kills = p;
        p[lv->nkills++] = k;
    }
    tr = sim_trace_begin(inst->loop, "rdd.limavm.kill");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_u64(tr, "pid", pid);
    sim_trace_str(tr, "role", role);
    sim_trace_str(tr, "how", how);
    sim_trace_str(tr, "helper", helper);
    sim_trace_i64(tr, "identity", identity);
    sim_trace_i64(tr, "ours", k.ours);
    sim_trace_err(tr, "rc", k.rc);
    sim_trace_end(tr);
    return k.rc;
}

void rdd__limavm_obs_free(rdd_instance_t *inst)
{
    SIM_FREE(inst->lvm.kills);
    inst->lvm.nkills = 0;
}

/* force-stop helpers (§7.5) -------------------------------------------------*/

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
static void stop_forcibly(rdd_instance_t *inst, const rdd_lima_inst_t *li0,
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
        /* process_unix.go KillTree: ESRCH is success. */
        if (rc == SIM_ESRCH && inst->id.os != RDD_OS_WINDOWS)
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
static void force_stop_for_deletion(rdd_instance_t *inst,
                                    rdd_lima_inst_t *li)
{
    if (li->status == RDD_LIMA_RUNNING)
        stop_forcibly(inst, li, "forceStopForDeletion");
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
static int remove_stale_instance(rdd_instance_t *inst, const char *dir,
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

static void preserve_logs(rdd_instance_t *inst, const char *dir)
{
    log_list_t l;
    int i;
    if (!inst->vp.keep_logs)
        return;
    l.n = 0;
    host_fs_list(inst->host, dir, collect_log, &l);
    for (i = 0; i < l.n; i++) {
        char from[HOST_PATH_MAX], to[HOST_PATH_MAX], data[HOST_DATA_MAX];
        snprintf(from, sizeof(from), "%s/%s", dir, l.names[i]);
        snprintf(to, sizeof(to), "%s/lima-%s/%s", inst->log_dir, RDD_LIMA_VM,
                 l.names[i]);
        if (host_fs_remove(inst->host, from) != 0)
            continue; /* rename fails on a held file */
        data[0] = 0;
        (void)host_fs_write(inst->host, to, data);
    }
}

/* host-switch -----------------------------------------------------------*/

/* hostswitch_windows.go:146-159 stopHostSwitch (no-op elsewhere). */
static void stop_host_switch(rdd_instance_t *inst)
{
    rdd_bridge_stop(inst);
}

/* async plumbing ------------------------------------------------------------*/

static void park(rdd_instance_t *inst, rdd_lvm_step_t step,
                 sim_timer_cb cb, uint64_t delay_ns)
{
    rdd_limavm_t *lv = &inst->lvm;
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.limavm.wait");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "step", step_names[step]);
    sim_trace_ns(tr, "for", delay_ns);
    sim_trace_end(tr);
    lv->step = step;
    sim_timer_stop(&lv->timer);
    (void)sim_timer_start(&lv->timer, cb, delay_ns);
}

static void run_k(rdd_instance_t *inst);
static void start_instance(rdd_instance_t *inst);
static void handle_running_state(rdd_instance_t *inst);

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
    stop_forcibly(inst, &li, "shutdownHostagent");
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
    park(inst, RDD_LVM_AFTER_KILL, after_kill_fire, RDD_LVM_POST_KILL_NS);
}

static void graceful_fire(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_hawatch_t *w = &inst->lvm.w;
    if (!w->present || w->proc_exited) {
        run_k(inst);
        return;
    }
    decision(inst, "hostagent did not exit gracefully, forcing stop");
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
        park(inst, RDD_LVM_GRACEFUL, graceful_fire, RDD_LVM_GRACEFUL_NS);
        return;
    }
    decision(inst, "no watcher for hostagent, forcing stop via stored PIDs");
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
    stop_host_switch(inst);
    rc = rdd_lima_inspect(inst, &li, msg, sizeof(msg));
    if (rc) {
        (void)update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                          "StopFailed", msg);
        finish(inst, rc, 0);
        return;
    }
    if (li.status == RDD_LIMA_RUNNING) {
        (void)update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                          "StopFailed",
                          "instance still running after stop attempt");
        finish(inst, SIM_ESTATE, 0);
        return;
    }
    rc = update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False", "Stopped",
                     "Lima instance stopped successfully");
    finish(inst, rc, 0);
}

static void stop_instance(rdd_instance_t *inst, int k)
{
    decision(inst, "stopInstance");
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
    stop_host_switch(inst);
    field_del(lv->vm.status, &lv->vm.nstatus, "restartNeeded");
    (void)set_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False", "Stopped",
                   "Stopped for restart");
    rc = status_patch(inst, &orig, &lv->vm);
    finish(inst, rc, 0);
}

/* STARTING_TIMEOUT's tail: the hostagent is stopped; StartFailed. */
static void starting_timeout_tail(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    int rc;
    rdd__hawatch_stop(inst);
    stop_host_switch(inst);
    lv->start_failed++;
    rc = update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                     "StartFailed",
                     "Lima instance did not reach Running within 6m0s");
    finish(inst, rc ? rc : SIM_ETIMEDOUT, 0);
}

static void orphan_tail(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    if (!lv->orphan_since_ns)
        lv->orphan_since_ns = sim_now(inst->loop);
    lv->orphan_requeues++;
    finish(inst, 0, RDD_LVM_ORPHAN_REQUEUE_NS);
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
        decision(inst, "orphaned hostagent did not exit gracefully, forcing "
                       "stop");
        lv->step = RDD_LVM_IDLE;
        stop_forcibly(inst, &lv->li, "killOrphanedHostagent");
        run_k(inst);
        return;
    }
    if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) == 0 &&
        li.status == RDD_LIMA_STOPPED) {
        decision(inst, "orphaned hostagent exited gracefully");
        run_k(inst);
        return;
    }
    park(inst, RDD_LVM_ORPHAN_WAIT, orphan_poll, RDD_LVM_ORPHAN_POLL_NS);
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
            park(inst, RDD_LVM_ORPHAN_WAIT, orphan_poll,
                 RDD_LVM_ORPHAN_POLL_NS);
            return;
        }
    }
    stop_forcibly(inst, &lv->li, "killOrphanedHostagent");
    run_k(inst);
}

/* startInstance (:334-451) --------------------------------------------------*/

static void start_failed(rdd_instance_t *inst, int err, const char *msg)
{
    rdd_limavm_t *lv = &inst->lvm;
    lv->start_failed++;
    (void)update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                      "StartFailed", msg);
    finish(inst, err, 0);
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
        decision(inst, "hostagent started, watcher active");
        finish(inst, 0, 0);
        return;
    }
    if (sim_now(inst->loop) > lv->deadline_ns) {
        rdd_lima_path(inst, "ha.stderr.log", path, sizeof(path));
        snprintf(err, sizeof(err),
                 "hostagent did not create PID file within timeout (see %s)",
                 path);
        lv->step = RDD_LVM_IDLE;
        stop_host_switch(inst);
        start_failed(inst, SIM_ETIMEDOUT, err);
        return;
    }
    park(inst, RDD_LVM_PIDWAIT, pid_poll, RDD_LVM_PIDFILE_POLL_NS);
}

static void start_instance(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    char path[HOST_PATH_MAX];
    rdd_ha_t *ha;
    int was_starting =
        has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False", "Starting");
    int rc;
    decision(inst, "startInstance");
    rc = update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False", "Starting",
                     "Lima instance is starting");
    if (rc) {
        finish(inst, rc, 0);
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
        stop_host_switch(inst);
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

static int inspect_or_finish(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    char msg[300];
    int rc = rdd_lima_inspect(inst, &lv->li, msg, sizeof(msg));
    lv->have_li = rc == 0;
    if (rc) {
        rdd_trace_kv(inst, "rdd.limavm.inspect", "err", msg, NULL, NULL);
        finish(inst, rc, 0);
        return rc;
    }
    rdd_trace_kv(inst, "rdd.limavm.inspect", "status",
            rdd_lima_status_name(lv->li.status), NULL, NULL);
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

/* :156-244 handleWatchedState. */
static void handle_watched(rdd_instance_t *inst, int run, rdd_phase_t phase)
{
    rdd_limavm_t *lv = &inst->lvm;
    int rc;
    if (phase == RDD_PHASE_STARTING && run) {
        if (RDD_HAS(inst->flags, STARTING_TIMEOUT) && lv->starting_since_ns) {
            uint64_t el = sim_now(inst->loop) - lv->starting_since_ns;
            if (el >= RDD_LVM_STARTING_TIMEOUT_NS) {
                decision(inst, "starting timeout: stopping the hostagent");
                lv->have_li = 0;
                lv->k = K_STARTING_TIMEOUT;
                shutdown_hostagent(inst);
                return;
            }
        }
        rc = 0;
        if (!has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False", "Starting"))
            rc = update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                             "Starting", "Lima instance is starting");
        finish(inst, rc,
               RDD_HAS(inst->flags, STARTING_TIMEOUT) && !rc
                   ? lv->starting_since_ns + RDD_LVM_STARTING_TIMEOUT_NS -
                         sim_now(inst->loop)
                   : 0);
        return;
    }
    if (phase == RDD_PHASE_RUNNING && run) {
        rc = 0;
        lv->backoff_ns = 0;
        lv->starting_since_ns = 0;
        if (RDD_HAS(inst->flags, HOSTSWITCH_DEATH_SURFACED) && lv->hs_died) {
            decision(inst, "host-switch died: restarting it");
            lv->hs_died = 0;
            rdd_bridge_start(inst, inst->vp.handshake_ns);
        }
        if (!has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "True", "Started")) {
            kube_obj_t orig = lv->vm;
            const char *c = kube_status_get(&lv->vm, "restartCount");
            char v[24];
            snprintf(v, sizeof(v), "%ld", (c ? atol(c) : 0) + 1);
            (void)kube_status_set(&lv->vm, "restartCount", v);
            (void)set_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "True",
                           "Started", "Lima instance is running");
            rc = status_patch(inst, &orig, &lv->vm);
        }
        finish(inst, rc, 0);
        return;
    }
    if (phase == RDD_PHASE_STOPPED && run) {
        /* CRASH_LOOP_BACKOFF: an exit while Starting is a failed start. */
        if (RDD_HAS(inst->flags, CRASH_LOOP_BACKOFF) &&
            !has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "True", "Started")) {
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
                (void)set_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                               "StartFailed", crash_text(inst));
                lv->start_failed++;
                rc = status_patch(inst, &orig, &lv->vm);
                decision(inst, "crash loop back-off");
                finish(inst, rc, rc ? 0 : lv->backoff_ns);
                return;
            }
            if (now < lv->backoff_until_ns) {
                finish(inst, 0, lv->backoff_until_ns - now);
                return;
            }
        }
        lv->backoff_until_ns = 0;
        decision(inst, "hostagent exited while it should run: restart");
        lv->crash_restarts++;
        rdd__hawatch_stop(inst);
        stop_host_switch(inst);
        if (inspect_or_finish(inst))
            return;
        if (lv->li.status == RDD_LIMA_RUNNING ||
            lv->li.status == RDD_LIMA_BROKEN) {
            decision(inst, "force-stopping orphaned VM driver");
            stop_forcibly(inst, &lv->li, "handleWatchedState");
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
    stop_host_switch(inst);
    rc = 0;
    if (!has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False", "Stopped"))
        rc = update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                         "Stopped", "Lima instance is stopped");
    finish(inst, rc, 0);
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
            !has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False", "StopFailed")) {
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
            decision(inst, "orphan kill bounded: StopFailed");
            rc = update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                             "StopFailed", msg);
            if (rc) {
                finish(inst, rc, 0);
                return;
            }
            /* Surfaced; the kill is still retried every 1 s, so once Lima
             * stops saying Running/Broken the start goes ahead. */
        }
        if (!lv->orphan_loop_since_ns)
            lv->orphan_loop_since_ns = sim_now(inst->loop);
        decision(inst, "found orphaned hostagent, killing it");
        kill_orphaned_hostagent(inst);
        return;
    }
    lv->orphan_loop_since_ns = 0;
    lv->orphan_since_ns = 0;
    if (run) {
        start_instance(inst);
        return;
    }
    rc = 0;
    if (!has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False", "Stopped"))
        rc = update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "False",
                         "Stopped", "Lima instance is stopped");
    finish(inst, rc, 0);
}

/* :294-325 handleRestartNeeded. */
static void handle_restart_needed(rdd_instance_t *inst, rdd_phase_t phase)
{
    rdd_limavm_t *lv = &inst->lvm;
    kube_obj_t orig;
    if (phase == RDD_PHASE_RUNNING) {
        decision(inst, "restart needed: stopping running instance");
        lv->have_li = 0; /* shutdownHostagent(ctx, name, nil) */
        lv->k = K_RESTART_NEEDED;
        shutdown_hostagent(inst);
        return;
    }
    if (phase == RDD_PHASE_STARTING) {
        decision(inst, "restart needed but instance is starting");
        finish(inst, 0, 0);
        return;
    }
    decision(inst, "restart needed but instance not running, clearing flag");
    orig = lv->vm;
    field_del(lv->vm.status, &lv->vm.nstatus, "restartNeeded");
    finish(inst, status_patch(inst, &orig, &lv->vm), 0);
}

static void handle_running_state(rdd_instance_t *inst)
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
        !has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "Unknown", "Reconciling") &&
        !(RDD_HAS(inst->flags, RECONCILING_BOUNDED) &&
          has_cond(&lv->vm, RDD_LVM_COND_RUNNING, "False", "StopFailed") &&
          lv->orphan_loop_since_ns)) {
        decision(inst, "no watcher: Running Unknown/Reconciling");
        finish(inst,
               update_cond(inst, &lv->vm, RDD_LVM_COND_RUNNING, "Unknown",
                           "Reconciling",
                           "Verifying instance state after controller "
                           "restart"),
               0);
        return;
    }
    if (restart_needed(&lv->vm)) {
        handle_restart_needed(inst, phase);
        return;
    }
    if (phase != RDD_PHASE_UNKNOWN)
        handle_watched(inst, run, phase);
    else
        handle_unwatched(inst, run);
}

/* Reconcile (limavm_controller.go:166-397) ----------------------------------*/

/* limavm_lifecycle.go:36-83 handleDeletion. */
static void handle_deletion(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_lima_inst_t li;
    kube_obj_t cm;
    kube_status_t st;
    char msg[400];
    int rc;
    decision(inst, "handleDeletion");
    rdd__hawatch_stop(inst);
    stop_host_switch(inst);
    if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) == 0) {
        force_stop_for_deletion(inst, &li);
        preserve_logs(inst, li.dir);
        rc = rdd_lima_delete(inst, &li, msg, sizeof(msg));
        if (rc) {
            rdd_trace_kv(inst, "rdd.limavm.delete_failed", "err", msg, NULL,
                         NULL);
            finish(inst, rc, 0);
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
                finish(inst, rc, 0);
                return;
            }
        }
    }
    /* base.RemoveCleanupFinalizer: Update with the cached object. */
    rc = 0;
    if (kube_remove_finalizer(&lv->vm, RDD_LVM_CLEANUP_FINALIZER))
        rc = kube_update(inst->api, &lv->vm, &st);
    finish(inst, rc, 0);
}

/* :92-115 handleRestartAnnotation. */
static void handle_restart_annotation(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    kube_status_t st;
    if (!restart_needed(&lv->vm)) {
        kube_obj_t orig = lv->vm;
        decision(inst, "restart requested via annotation");
        (void)kube_status_set(&lv->vm, "restartNeeded", "true");
        finish(inst, status_patch(inst, &orig, &lv->vm), 0);
        return;
    }
    decision(inst, "removing restartRequested annotation");
    {
        /* r.Patch (merge): applied to the stored object. */
        kube_obj_t cur;
        int rc = kube_get(inst->api, KUBE_LIMAVM, lv->vm.ns, lv->vm.name,
                          &cur, &st);
        if (rc == 0) {
            field_del(cur.spec, &cur.nspec, RDD_LVM_RESTART_ANNOTATION);
            rc = kube_update(inst->api, &cur, &st);
        }
        finish(inst, rc, 0);
    }
}

/* :497-558 handleTemplateUpdate.  Returns 0 to fall through to
 * handleRunningState, 1 when the reconcile finished. */
static int handle_template_update(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    char path[HOST_PATH_MAX], disk[HOST_DATA_MAX], rv[24];
    const char *tmpl = kube_spec_get(&lv->cm, "template");
    rdd_phase_t phase;
    int rc;
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)lv->cm.rv);
    rdd_lima_path(inst, "lima.yaml", path, sizeof(path));
    rc = host_fs_read(inst->host, path, disk, sizeof(disk));
    if (rc) {
        finish(inst, rc, 0);
        return 1;
    }
    if (!tmpl)
        tmpl = "";
    if (!strcmp(disk, tmpl)) {
        if (restart_needed(&lv->vm))
            return 0;
        (void)kube_status_set(&lv->vm, "observedTemplateResourceVersion", rv);
        rc = status_update(inst, &lv->vm);
        if (rc) {
            finish(inst, rc, 0);
            return 1;
        }
        return 0;
    }
    phase = rdd__hawatch_phase(inst);
    if ((phase == RDD_PHASE_RUNNING || phase == RDD_PHASE_STARTING) &&
        !restart_needed(&lv->vm)) {
        kube_obj_t orig = lv->vm;
        decision(inst, "instance running with stale template, requesting "
                       "restart");
        (void)kube_status_set(&lv->vm, "restartNeeded", "true");
        rc = status_patch(inst, &orig, &lv->vm);
        if (rc) {
            finish(inst, rc, 0);
            return 1;
        }
    }
    decision(inst, "template changed, updating on-disk lima.yaml");
    rc = host_fs_write(inst->host, path, tmpl);
    if (rc) {
        finish(inst, rc, 0);
        return 1;
    }
    if (restart_needed(&lv->vm))
        return 0;
    {
        kube_obj_t orig = lv->vm;
        (void)kube_status_set(&lv->vm, "observedTemplateResourceVersion", rv);
        rc = status_patch(inst, &orig, &lv->vm);
    }
    if (rc) {
        finish(inst, rc, 0);
        return 1;
    }
    return 0;
}

/* Step 9's failure paths (:311-333). */
static void create_failed(rdd_instance_t *inst, const char *msg, int err)
{
    rdd_limavm_t *lv = &inst->lvm;
    snprintf(lv->created_reason, sizeof(lv->created_reason), "CreateFailed");
    (void)set_cond(inst, &lv->vm, RDD_LVM_COND_CREATED, "False",
                   "CreateFailed", msg);
    (void)status_update(inst, &lv->vm);
    finish(inst, err, 0);
}

static void prepare_done(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_limavm_t *lv = &inst->lvm;
    char msg[300], path[HOST_PATH_MAX], rv[24];
    kube_obj_t orig;
    int rc;
    lv->step = RDD_LVM_IDLE;
    rc = rdd_lima_prepare(inst, msg, sizeof(msg));
    if (rc) {
        rdd_lima_inst_t li;
        memset(&li, 0, sizeof(li));
        rdd_lima_path(inst, NULL, li.dir, sizeof(li.dir));
        li.wsl2 = rdd_lima_wsl2(inst);
        (void)rdd_lima_delete(inst, &li, NULL, 0);
        create_failed(inst, msg, rc);
        return;
    }
    decision(inst, "created Lima instance");
    orig = lv->vm;
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)lv->cm.rv);
    (void)kube_status_set(&lv->vm, "observedTemplateResourceVersion", rv);
    (void)set_cond(inst, &lv->vm, RDD_LVM_COND_CREATED, "True", "Created",
                   "Lima instance created successfully");
    rc = status_patch(inst, &orig, &lv->vm);
    if (rc) {
        finish(inst, rc, 0);
        return;
    }
    rdd_lima_path(inst, ".preparing", path, sizeof(path));
    rc = host_fs_remove(inst->host, path);
    finish(inst, rc == SIM_ENOENT ? 0 : rc, 0);
}

/* Steps 7-10: the instance on disk. */
static void ensure_created(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_lima_inst_t li;
    char msg[400], dir[HOST_PATH_MAX], path[HOST_PATH_MAX], rv[24];
    const char *tmpl;
    int rc;
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)lv->cm.rv);
    /* step 7 */
    if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) == 0) {
        decision(inst, "Lima instance already exists");
        (void)kube_status_set(&lv->vm, "observedTemplateResourceVersion", rv);
        (void)set_cond(inst, &lv->vm, RDD_LVM_COND_CREATED, "True", "Created",
                       "Lima instance exists");
        finish(inst, status_update(inst, &lv->vm), 0);
        return;
    }
    /* step 8 */
    tmpl = kube_spec_get(&lv->cm, "template");
    if (!tmpl || !tmpl[0]) {
        create_failed(inst, "template ConfigMap missing template data",
                      SIM_EINVAL);
        return;
    }
    /* step 9 */
    rc = rdd_lima_create(inst, tmpl, msg, sizeof(msg));
    if (rc) {
        if (strstr(msg, "already exists")) {
            char rm[300];
            rdd_lima_path(inst, NULL, dir, sizeof(dir));
            decision(inst, "found stale Lima instance directory, removing it");
            if (!lv->stale_since_ns)
                lv->stale_since_ns = sim_now(inst->loop);
            lv->stale_removals++;
            rm[0] = 0;
            rc = remove_stale_instance(inst, dir, rm, sizeof(rm));
            if (rc) {
                lv->stale_failures++;
                lv->stale_streak++;
                rdd_trace_kv(inst, "rdd.limavm.stale_remove_failed", "err", rm,
                        NULL, NULL);
                if (RDD_HAS(inst->flags, SURFACE_CREATE_FAILED) &&
                    lv->stale_streak >= RDD_LVM_STALE_SURFACE_AFTER) {
                    char both[800];
                    /* Surfaced: the loop is no longer silent (L4). */
                    lv->stale_since_ns = 0;
                    snprintf(both, sizeof(both), "%s; %s", msg, rm);
                    create_failed(inst, both, rc);
                    return;
                }
                finish(inst, 0, RDD_LVM_STALE_RETRY_NS);
                return;
            }
            lv->stale_streak = 0;
            finish(inst, 0, RDD_LVM_STALE_REQUEUE_NS);
            return;
        }
        create_failed(inst, msg, rc);
        return;
    }
    lv->stale_streak = 0;
    lv->stale_since_ns = 0;
    /* step 10 */
    rdd_lima_path(inst, ".preparing", path, sizeof(path));
    rc = host_fs_write(inst->host, path, "");
    if (rc) {
        memset(&li, 0, sizeof(li));
        rdd_lima_path(inst, NULL, li.dir, sizeof(li.dir));
        li.wsl2 = rdd_lima_wsl2(inst);
        (void)rdd_lima_delete(inst, &li, NULL, 0);
        finish(inst, rc, 0);
        return;
    }
    park(inst, RDD_LVM_PREPARE, prepare_done, inst->vp.prepare_ns);
}

static void reconcile(void *arg, kube_ctrl_t *ctrl, const char *key)
{
    rdd_instance_t *inst = arg;
    rdd_limavm_t *lv = &inst->lvm;
    kube_reader_t *r = kube_cache_reader(lv->cache);
    kube_status_t st;
    char ns[KUBE_NS_MAX], name[KUBE_NAME_MAX], path[HOST_PATH_MAX];
    const char *slash = strchr(key, '/');
    int rc;
    (void)ctrl;
    SIM_ASSERT(lv->step == RDD_LVM_IDLE);
    snprintf(lv->key, sizeof(lv->key), "%s", key);
    snprintf(ns, sizeof(ns), "%.*s", slash ? (int)(slash - key) : 0, key);
    snprintf(name, sizeof(name), "%s", slash ? slash + 1 : key);
    rdd_trace_kv(inst, "rdd.limavm.reconcile", "key", key, NULL, NULL);
    lv->have_li = 0;
    /* step 1 */
    rc = r->get(r, KUBE_LIMAVM, ns, name, &lv->vm, &st);
    if (rc == SIM_ENOTFOUND) {
        finish(inst, 0, 0);
        return;
    }
    if (rc) {
        finish(inst, rc, 0);
        return;
    }
    if (lv->vm.deleting) {
        handle_deletion(inst);
        return;
    }
    /* step 2 */
    if (!kube_cond_find(&lv->vm, RDD_LVM_COND_CREATED)) {
        (void)set_cond(inst, &lv->vm, RDD_LVM_COND_CREATED, "Unknown",
                       "Pending", "Reconciliation in progress");
        finish(inst, status_update(inst, &lv->vm), 0);
        return;
    }
    /* step 3 */
    rdd_lima_path(inst, ".preparing", path, sizeof(path));
    if (host_fs_exists(inst->host, path)) {
        if (cond_true(&lv->vm, RDD_LVM_COND_CREATED)) {
            rc = host_fs_remove(inst->host, path);
            if (rc && rc != SIM_ENOENT) {
                finish(inst, rc, 0);
                return;
            }
        } else {
            char dir[HOST_PATH_MAX];
            decision(inst, "deleting incomplete instance directory");
            rdd_lima_path(inst, NULL, dir, sizeof(dir));
            rc = host_fs_remove_all(inst->host, dir, NULL, 0);
            if (rc) {
                finish(inst, rc, 0);
                return;
            }
        }
        finish(inst, 0, RDD_LVM_SENTINEL_REQUEUE_NS);
        return;
    }
    /* step 4 */
    if (!kube_status_get(&lv->vm, "templateConfigMap")) {
        rdd_lima_inst_t li;
        char msg[400];
        if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) == 0) {
            decision(inst, "deleting leftover Lima instance");
            force_stop_for_deletion(inst, &li);
            rc = rdd_lima_delete(inst, &li, msg, sizeof(msg));
            if (rc) {
                finish(inst, rc, 0);
                return;
            }
        }
    }
    /* step 5 */
    rc = r->get(r, KUBE_CONFIGMAP, ns, RDD_LVM_TEMPLATE_CM, &lv->cm, &st);
    if (rc) {
        finish(inst, rc, 0);
        return;
    }
    {
        char uid[24];
        const char *owner = kube_spec_get(&lv->cm, RDD_LVM_OWNER_KEY);
        snprintf(uid, sizeof(uid), "%llu", (unsigned long long)lv->vm.uid);
        if (!owner || strcmp(owner, uid)) {
            decision(inst, "set owner reference on template ConfigMap");
            rc = kube_spec_set(&lv->cm, RDD_LVM_OWNER_KEY, uid);
            if (rc == 0)
                rc = kube_update(inst->api, &lv->cm, &st);
            finish(inst, rc, 0);
            return;
        }
    }
    if (!kube_status_get(&lv->vm, "templateConfigMap")) {
        (void)kube_status_set(&lv->vm, "templateConfigMap",
                              RDD_LVM_TEMPLATE_CM);
        finish(inst, status_update(inst, &lv->vm), 0);
        return;
    }
    /* step 6 */
    if (cond_true(&lv->vm, RDD_LVM_COND_CREATED)) {
        char rv[24];
        const char *obs =
            kube_status_get(&lv->vm, "observedTemplateResourceVersion");
        if (kube_spec_get(&lv->vm, RDD_LVM_RESTART_ANNOTATION)) {
            handle_restart_annotation(inst);
            return;
        }
        snprintf(rv, sizeof(rv), "%llu", (unsigned long long)lv->cm.rv);
        if ((!obs || strcmp(obs, rv)) && handle_template_update(inst))
            return;
        handle_running_state(inst);
        return;
    }
    ensure_created(inst);
}

/* enqueue sources -----------------------------------------------------------*/

static void chan_drain(void *a, void *b)
{
    rdd_instance_t *inst = a;
    rdd_limavm_t *lv = &inst->lvm;
    (void)b;
    if (!lv->chan_full)
        return;
    lv->chan_full = 0;
    if (lv->ctrl && lv->w.name[0]) {
        char key[KUBE_NS_MAX + KUBE_NAME_MAX + 2];
        snprintf(key, sizeof(key), "%s/%s", lv->w.ns, lv->w.name);
        kube_ctrl_enqueue(lv->ctrl, key);
    } else if (lv->ctrl && lv->key[0]) {
        kube_ctrl_enqueue(lv->ctrl, lv->key);
    }
}

/* hostagent_watcher.go:226-236: a 1-slot channel, drop if full; the
 * Channel source drains it into the queue on its own goroutine. */
void rdd__limavm_enqueue_chan(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    if (lv->chan_full) {
        lv->chan_drops++;
        rdd_trace_kv(inst, "rdd.limavm.chan_drop", NULL, NULL, NULL, NULL);
        return;
    }
    lv->chan_full = 1;
    (void)sim_call(inst->loop, 0, chan_drain, inst, NULL);
}

/* SetupWithManager (:591-613): For(LimaVM), Owns(ConfigMap). */
static void on_change(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    rdd_instance_t *inst = arg;
    rdd_limavm_t *lv = &inst->lvm;
    char key[KUBE_NS_MAX + KUBE_NAME_MAX + 2];
    (void)type;
    if (!lv->ctrl)
        return;
    if (o->kind == KUBE_LIMAVM) {
        snprintf(key, sizeof(key), "%s/%s", o->ns, o->name);
        kube_ctrl_enqueue(lv->ctrl, key);
    } else if (o->kind == KUBE_CONFIGMAP &&
               kube_spec_get(o, RDD_LVM_OWNER_KEY)) {
        snprintf(key, sizeof(key), "%s/%s", o->ns, RDD_LIMA_VM);
        kube_ctrl_enqueue(lv->ctrl, key);
    }
}

/* The informer's initial Add events: every LimaVM is reconciled once. */
static int enqueue_existing(void *arg, const kube_obj_t *o)
{
    rdd_instance_t *inst = arg;
    char key[KUBE_NS_MAX + KUBE_NAME_MAX + 2];
    snprintf(key, sizeof(key), "%s/%s", o->ns, o->name);
    kube_ctrl_enqueue(inst->lvm.ctrl, key);
    return 0;
}

int rdd_limavm_init(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    char name[128];
    int rc;
    memset(&lv->w, 0, sizeof(lv->w));
    lv->chan_full = 0;
    lv->step = RDD_LVM_IDLE;
    lv->k = K_NONE;
    lv->key[0] = 0;
    lv->backoff_ns = lv->backoff_until_ns = 0;
    lv->stale_streak = 0;
    lv->starting_since_ns = 0;
    lv->orphan_loop_since_ns = 0;
    lv->hs_died = 0;
    lv->svc_pid = inst->proc.pid;
    sim_timer_init(inst->loop, &lv->timer);
    lv->timer.data = inst;
    snprintf(name, sizeof(name), "%s/limavm", inst->id.name);
    rc = kube_cache_new(inst->api, name, on_change, inst, &lv->cache);
    if (rc)
        return rc;
    rc = kube_ctrl_new(inst->loop, name, reconcile, inst, &lv->ctrl);
    if (rc) {
        kube_cache_free(lv->cache);
        lv->cache = NULL;
        return rc;
    }
    {
        kube_reader_t *r = kube_cache_reader(lv->cache);
        kube_status_t st;
        (void)r->list(r, KUBE_LIMAVM, "", enqueue_existing, inst, &st);
    }
    return 0;
}

static void stop_queue(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    sim_timer_stop(&lv->timer);
    lv->step = RDD_LVM_IDLE;
    if (lv->ctrl)
        kube_ctrl_free(lv->ctrl);
    if (lv->cache)
        kube_cache_free(lv->cache);
    lv->ctrl = NULL;
    lv->cache = NULL;
}

void rdd_limavm_free(rdd_instance_t *inst)
{
    stop_queue(inst);
    rdd__hawatch_stop(inst);
    inst->lvm.shutdown_done = NULL;
}

void rdd_limavm_hostswitch_died(rdd_instance_t *inst)
{
    if (!RDD_HAS(inst->flags, HOSTSWITCH_DEATH_SURFACED))
        return;
    inst->lvm.hs_died = 1;
    rdd__limavm_enqueue_chan(inst);
}

/* the service shutdown hook (limavm_controller.go:617-708) ------------------*/

static void hook_end(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_limavm_t *lv = &inst->lvm;
    void (*done)(rdd_instance_t *) = lv->shutdown_done;
    lv->step = RDD_LVM_IDLE;
    rdd__hawatch_stop(inst); /* state.cancel(); delete */
    stop_host_switch(inst);
    rdd_trace_kv(inst, "rdd.limavm.shutdown_done", NULL, NULL, NULL, NULL);
    lv->shutdown_done = NULL;
    if (done)
        done(inst);
}

static void hook_reclaim(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_limavm_t *lv = &inst->lvm;
    rdd_lima_inst_t li;
    char msg[300];
    /* Always reclaim: Inspect, stopInstanceForcibly. */
    lv->step = RDD_LVM_IDLE;
    if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) == 0)
        stop_forcibly(inst, &li, "shutdownAllHostagents");
    if (lv->w.present && !lv->w.proc_exited) {
        park(inst, RDD_LVM_SHUTDOWN, hook_end, RDD_LVM_POST_KILL_NS);
        return;
    }
    park(inst, RDD_LVM_SHUTDOWN, hook_end, 0);
}

static void hook_first(void *a, void *b)
{
    rdd_instance_t *inst = a;
    rdd_limavm_t *lv = &inst->lvm;
    (void)b;
    if (!lv->w.present) {
        park(inst, RDD_LVM_SHUTDOWN, hook_end, 0);
        return;
    }
    if (!lv->w.proc_exited)
        (void)rdd__limavm_kill(inst, lv->w.pid, "hostagent", -1,
                               "shutdownAllHostagents", "interrupt");
    park(inst, RDD_LVM_SHUTDOWN, hook_reclaim,
         lv->w.proc_exited ? 0 : RDD_LVM_GRACEFUL_NS);
}

void rdd_limavm_shutdown(rdd_instance_t *inst,
                         void (*done)(rdd_instance_t *inst))
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_ha_t *ha;
    rdd_trace_kv(inst, "rdd.limavm.shutdown", NULL, NULL, NULL, NULL);
    stop_queue(inst);
    lv->shutdown_done = done;
    /* exec.CommandContext: the cancelled manager context kills every
     * hostagent this service launched (limavm_controller.go:667-677). */
    for (ha = inst->lima.head; ha; ha = ha->next)
        if (ha->svc_pid == lv->svc_pid && ha->state != RDD_HA_EXITED &&
            host_proc_alive(inst->host, ha->pid))
            (void)rdd__limavm_kill(inst, ha->pid, "hostagent", -1,
                                   "exec.CommandContext", "kill");
    (void)sim_call(inst->loop, 0, hook_first, inst, NULL);
}

/* observation ---------------------------------------------------------------*/

uint32_t rdd_limavm_tracked_pid(const rdd_instance_t *inst)
{
    return inst->lvm.w.present ? inst->lvm.w.pid : 0;
}

rdd_phase_t rdd_limavm_phase(const rdd_instance_t *inst)
{
    return rdd__hawatch_phase(inst);
}

/* A time for the stall text, as the rest of it prints times (sim_fmt_ns),
 * to the millisecond. */
static const char *at(char *buf, uint64_t ns)
{
    return sim_fmt_ns(buf, ns - ns % SIM_NS_PER_MS);
}

static void cat(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cat(char *buf, size_t len, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    if (n + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}

/* The Created side: the stale-directory loop (§7.6 item 6). */
static void explain_created(rdd_instance_t *inst, const kube_cond_t *c,
                            char *buf, size_t len)
{
    rdd_limavm_t *lv = &inst->lvm;
    char t[32], dir[HOST_PATH_MAX];
    cat(buf, len, "LimaVM rd has been Created=%s", c ? c->status : "none");
    if (c)
        cat(buf, len, "/%s since %s", c->reason,
            at(t, c->last_transition_ns));
    rdd_lima_path(inst, NULL, dir, sizeof(dir));
    if (lv->stale_since_ns)
        cat(buf, len,
            ": Lima's Create keeps answering 'instance \"rd\" already "
            "exists' (not logged) and removing the stale instance directory %s has "
            "failed %lu of %lu times since %s",
            dir, (unsigned long)lv->stale_failures,
            (unsigned long)lv->stale_removals, at(t, lv->stale_since_ns));
    else if (lv->stale_failures)
        cat(buf, len, ": removing the stale instance directory %s has failed %lu of "
                      "%lu times",
            dir, (unsigned long)lv->stale_failures,
            (unsigned long)lv->stale_removals);
    cat(buf, len, ".");
}

/* The Running side: the hostagent, restarts, orphans (§7.6 items 1, 5). */
static void explain_running(rdd_instance_t *inst, const kube_cond_t *c,
                            char *buf, size_t len)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_ha_t *ha, *last;
    char t[32];
    cat(buf, len, "LimaVM rd has been Running=%s", c ? c->status : "none");
    if (c)
        cat(buf, len, "/%s since %s", c->reason,
            at(t, c->last_transition_ns));
    last = lv->last_ha_pid ? rdd_ha_find(inst, lv->last_ha_pid) : NULL;
    if (last) {
        cat(buf, len, ": this service has launched %lu hostagent%s; the last, "
                      "pid %u,",
            (unsigned long)lv->starts, lv->starts == 1 ? "" : "s", last->pid);
        if (last->state == RDD_HA_EXITED) {
            cat(buf, len, " exited at %s", at(t, last->exited_ns));
            if (last->stderr_text[0])
                cat(buf, len, ": '%s'", last->stderr_text);
        } else {
            rdd_ha_t *prev = NULL;
            cat(buf, len, " is %s",
                last->state == RDD_HA_RUNNING ? "running" : "alive");
            for (ha = inst->lima.head; ha && ha != last; ha = ha->next)
                if (ha->state == RDD_HA_EXITED && ha->stderr_text[0])
                    prev = ha;
            if (prev && last->state != RDD_HA_RUNNING)
                cat(buf, len, " (the one before, pid %u, exited at %s: "
                              "'%s')",
                    prev->pid, at(t, prev->exited_ns), prev->stderr_text);
        }
    }
    if (lv->orphan_since_ns)
        cat(buf, len, "; the orphan kill has requeued %lu times since %s",
            (unsigned long)lv->orphan_requeues, at(t, lv->orphan_since_ns));
    for (ha = inst->lima.head; ha; ha = ha->next) {
        if (ha == last || ha->state == RDD_HA_EXITED ||
            !host_proc_alive(inst->host, ha->pid))
            continue;
        if (ha->svc_pid == inst->proc.pid)
            cat(buf, len, "; pid %u, an earlier hostagent of this service "
                          "(%s), is still alive",
                ha->pid, ha->exe);
        else
            cat(buf, len, "; pid %u, an orphan that an earlier service "
                          "started from %s, is still alive",
                ha->pid, ha->exe);
    }
    cat(buf, len, ".");
}

void rdd_limavm_explain(rdd_instance_t *inst, char *buf, size_t len)
{
    rdd_limavm_t *lv = &inst->lvm;
    kube_obj_t vm;
    kube_status_t st;
    const kube_cond_t *c;
    char ns[KUBE_NS_MAX] = "default";
    const char *slash = strchr(lv->key, '/');
    if (!len)
        return;
    buf[0] = 0;
    if (slash)
        snprintf(ns, sizeof(ns), "%.*s", (int)(slash - lv->key), lv->key);
    if (!inst->api ||
        kube_get(inst->api, KUBE_LIMAVM, ns, RDD_LIMA_VM, &vm, &st) != 0) {
        snprintf(buf, len, "LimaVM %s does not exist.", RDD_LIMA_VM);
        return;
    }
    c = kube_cond_find(&vm, RDD_LVM_COND_CREATED);
    if (!c || strcmp(c->status, "True"))
        explain_created(inst, c, buf, len);
    else
        explain_running(inst, kube_cond_find(&vm, RDD_LVM_COND_RUNNING), buf,
                        len);
    if (lv->step != RDD_LVM_IDLE)
        cat(buf, len, " The controller is waiting in %s.",
            step_names[lv->step]);
}
