/*
 * limavm.c: RDD's LimaVM controller, following
 * rdd/pkg/controllers/lima/limavm/controllers/limavm_controller.go at
 * 00f5645 (docs/rdd/limavm.md); a bare ":N" below is a line there.
 *
 * Models: Reconcile steps 1-10 (sentinel, leftover deletion, owner
 * reference, templateConfigMap, restart annotation, template update,
 * "Lima instance exists", Create with the stale-directory requeue, Prepare),
 * setCondition / updateCondition, SetupWithManager's enqueue sources, and
 * the service shutdown hook; plus the parking of a reconcile on an async
 * step, the kill log and the stall explanation.  Status writes:
 * Status().Update sends the cached object's resourceVersion (409 -> error
 * -> back-off); Status().Patch is a merge patch without a resourceVersion
 * (kube_merge_patch: never 409; conditions replaced as a list).
 * What Reconcile calls from limavm_lifecycle.go (handleDeletion,
 * handleRestartAnnotation, handleRunningState and everything below it, the
 * force-stop helpers, removeStaleInstance) is in limavm_lifecycle.c;
 * limavm_int.h is the interface between the two.
 * The fix flags of flags.h issue 4 are implemented where they bite.
 * Leaves out: SSH keys, image decompression, Kubernetes events; a service
 * shutdown abandons a parked reconcile instead of waiting for it
 * (controller-runtime waits up to its graceful timeout).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limavm_int.h"
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

void rdd__lvm_decision(rdd_instance_t *inst, const char *what)
{
    rdd_trace_kv(inst, "rdd.limavm.decision", "what", what, NULL, NULL);
}

/* Ends the reconcile in flight. */
void rdd__lvm_finish(rdd_instance_t *inst, int err, uint64_t requeue_ns)
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

void rdd__lvm_field_del(kube_field_t *f, int *n, const char *key)
{
    int i;
    for (i = 0; i < *n; i++)
        if (!strcmp(f[i].key, key)) {
            memmove(&f[i], &f[i + 1], (size_t)(*n - i - 1) * sizeof(*f));
            (*n)--;
            return;
        }
}

int rdd__lvm_has_cond(const kube_obj_t *o, const char *type, const char *status,
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
int rdd__lvm_set_cond(rdd_instance_t *inst, kube_obj_t *vm, const char *type,
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

/* limavm_controller.go:581-588 (and limavm_lifecycle.go:97-99, 175,
 * 308-311, 321-323, limavm_controller.go:384, 532, 553):
 * Status().Patch(ctx, vm, client.MergeFrom(orig)).  A JSON merge patch of
 * the diff orig -> vm, with no resourceVersion (MergeFrom without
 * OptimisticLock), so the apiserver never answers it 409 (kube.h
 * kube_merge_patch); 429 / 500 / 404 it can.  vm becomes the result. */
int rdd__lvm_status_patch(rdd_instance_t *inst, const kube_obj_t *orig,
                          kube_obj_t *vm)
{
    kube_status_t st;
    int rc = kube_merge_patch(inst->api, orig, vm, 1, &st);
    if (rc == 0)
        observe(inst, vm);
    return rc;
}

/* :581-588 updateCondition: setCondition + Status().Patch. */
int rdd__lvm_update_cond(rdd_instance_t *inst, kube_obj_t *vm, const char *type,
                         const char *status, const char *reason,
                         const char *msg)
{
    kube_obj_t orig = *vm;
    (void)rdd__lvm_set_cond(inst, vm, type, status, reason, msg);
    return rdd__lvm_status_patch(inst, &orig, vm);
}

int rdd__lvm_restart_needed(const kube_obj_t *vm)
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

/* async plumbing ------------------------------------------------------------*/

void rdd__lvm_park(rdd_instance_t *inst, rdd_lvm_step_t step, sim_timer_cb cb,
                   uint64_t delay_ns)
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

/* Reconcile (limavm_controller.go:166-397) ----------------------------------*/

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
        rdd__lvm_finish(inst, rc, 0);
        return 1;
    }
    if (!tmpl)
        tmpl = "";
    if (!strcmp(disk, tmpl)) {
        if (rdd__lvm_restart_needed(&lv->vm))
            return 0;
        (void)kube_status_set(&lv->vm, "observedTemplateResourceVersion", rv);
        rc = status_update(inst, &lv->vm);
        if (rc) {
            rdd__lvm_finish(inst, rc, 0);
            return 1;
        }
        return 0;
    }
    phase = rdd__hawatch_phase(inst);
    if ((phase == RDD_PHASE_RUNNING || phase == RDD_PHASE_STARTING) &&
        !rdd__lvm_restart_needed(&lv->vm)) {
        kube_obj_t orig = lv->vm;
        rdd__lvm_decision(inst,
                          "instance running with stale template, requesting "
                          "restart");
        (void)kube_status_set(&lv->vm, "restartNeeded", "true");
        rc = rdd__lvm_status_patch(inst, &orig, &lv->vm);
        if (rc) {
            rdd__lvm_finish(inst, rc, 0);
            return 1;
        }
    }
    rdd__lvm_decision(inst, "template changed, updating on-disk lima.yaml");
    rc = host_fs_write(inst->host, path, tmpl);
    if (rc) {
        rdd__lvm_finish(inst, rc, 0);
        return 1;
    }
    if (rdd__lvm_restart_needed(&lv->vm))
        return 0;
    {
        kube_obj_t orig = lv->vm;
        (void)kube_status_set(&lv->vm, "observedTemplateResourceVersion", rv);
        rc = rdd__lvm_status_patch(inst, &orig, &lv->vm);
    }
    if (rc) {
        rdd__lvm_finish(inst, rc, 0);
        return 1;
    }
    return 0;
}

/* Step 9's failure paths (:311-333). */
static void create_failed(rdd_instance_t *inst, const char *msg, int err)
{
    rdd_limavm_t *lv = &inst->lvm;
    snprintf(lv->created_reason, sizeof(lv->created_reason), "CreateFailed");
    (void)rdd__lvm_set_cond(inst, &lv->vm, RDD_LVM_COND_CREATED, "False",
                            "CreateFailed", msg);
    (void)status_update(inst, &lv->vm);
    rdd__lvm_finish(inst, err, 0);
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
    rdd__lvm_decision(inst, "created Lima instance");
    orig = lv->vm;
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)lv->cm.rv);
    (void)kube_status_set(&lv->vm, "observedTemplateResourceVersion", rv);
    (void)rdd__lvm_set_cond(inst, &lv->vm, RDD_LVM_COND_CREATED, "True",
                            "Created", "Lima instance created successfully");
    rc = rdd__lvm_status_patch(inst, &orig, &lv->vm);
    if (rc) {
        rdd__lvm_finish(inst, rc, 0);
        return;
    }
    rdd_lima_path(inst, ".preparing", path, sizeof(path));
    rc = host_fs_remove(inst->host, path);
    rdd__lvm_finish(inst, rc == SIM_ENOENT ? 0 : rc, 0);
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
        rdd__lvm_decision(inst, "Lima instance already exists");
        (void)kube_status_set(&lv->vm, "observedTemplateResourceVersion", rv);
        (void)rdd__lvm_set_cond(inst, &lv->vm, RDD_LVM_COND_CREATED, "True",
                                "Created", "Lima instance exists");
        rdd__lvm_finish(inst, status_update(inst, &lv->vm), 0);
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
            rdd__lvm_decision(
                inst, "found stale Lima instance directory, removing it");
            if (!lv->stale_since_ns)
                lv->stale_since_ns = sim_now(inst->loop);
            lv->stale_removals++;
            rm[0] = 0;
            rc = rdd__lvm_remove_stale_instance(inst, dir, rm, sizeof(rm));
            if (rc) {
                sim_trace_scope_t scope = sim_trace_link_scope(
                    inst->loop, "failed", sim_trace_last(inst->loop));
                lv->stale_failures++;
                lv->stale_streak++;
                rdd_trace_kv(inst, "rdd.limavm.stale_remove_failed", "err", rm,
                        NULL, NULL);
                sim_trace_scope_restore(inst->loop, scope);
                lv->stale_fail_seq = sim_trace_last(inst->loop);
                if (RDD_HAS(inst->flags, SURFACE_CREATE_FAILED) &&
                    lv->stale_streak >= RDD_LVM_STALE_SURFACE_AFTER) {
                    char both[800];
                    /* Surfaced: the loop is no longer silent (L4). */
                    lv->stale_since_ns = 0;
                    snprintf(both, sizeof(both), "%s; %s", msg, rm);
                    create_failed(inst, both, rc);
                    return;
                }
                rdd__lvm_finish(inst, 0, RDD_LVM_STALE_RETRY_NS);
                return;
            }
            lv->stale_streak = 0;
            rdd__lvm_finish(inst, 0, RDD_LVM_STALE_REQUEUE_NS);
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
        rdd__lvm_finish(inst, rc, 0);
        return;
    }
    rdd__lvm_park(inst, RDD_LVM_PREPARE, prepare_done, inst->vp.prepare_ns);
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
        rdd__lvm_finish(inst, 0, 0);
        return;
    }
    if (rc) {
        rdd__lvm_finish(inst, rc, 0);
        return;
    }
    if (lv->vm.deleting) {
        rdd__lvm_handle_deletion(inst);
        return;
    }
    /* step 2 */
    if (!kube_cond_find(&lv->vm, RDD_LVM_COND_CREATED)) {
        (void)rdd__lvm_set_cond(inst, &lv->vm, RDD_LVM_COND_CREATED, "Unknown",
                                "Pending", "Reconciliation in progress");
        rdd__lvm_finish(inst, status_update(inst, &lv->vm), 0);
        return;
    }
    /* step 3 */
    rdd_lima_path(inst, ".preparing", path, sizeof(path));
    if (host_fs_exists(inst->host, path)) {
        if (cond_true(&lv->vm, RDD_LVM_COND_CREATED)) {
            rc = host_fs_remove(inst->host, path);
            if (rc && rc != SIM_ENOENT) {
                rdd__lvm_finish(inst, rc, 0);
                return;
            }
        } else {
            char dir[HOST_PATH_MAX];
            rdd__lvm_decision(inst, "deleting incomplete instance directory");
            rdd_lima_path(inst, NULL, dir, sizeof(dir));
            rc = host_fs_remove_all(inst->host, dir, NULL, 0);
            if (rc) {
                rdd__lvm_finish(inst, rc, 0);
                return;
            }
        }
        rdd__lvm_finish(inst, 0, RDD_LVM_SENTINEL_REQUEUE_NS);
        return;
    }
    /* step 4 */
    if (!kube_status_get(&lv->vm, "templateConfigMap")) {
        rdd_lima_inst_t li;
        char msg[400];
        if (rdd_lima_inspect(inst, &li, msg, sizeof(msg)) == 0) {
            rdd__lvm_decision(inst, "deleting leftover Lima instance");
            rdd__lvm_force_stop_for_deletion(inst, &li);
            rc = rdd_lima_delete(inst, &li, msg, sizeof(msg));
            if (rc) {
                rdd__lvm_finish(inst, rc, 0);
                return;
            }
        }
    }
    /* step 5 */
    rc = r->get(r, KUBE_CONFIGMAP, ns, RDD_LVM_TEMPLATE_CM, &lv->cm, &st);
    if (rc) {
        rdd__lvm_finish(inst, rc, 0);
        return;
    }
    {
        char uid[24];
        const char *owner = kube_spec_get(&lv->cm, RDD_LVM_OWNER_KEY);
        snprintf(uid, sizeof(uid), "%llu", (unsigned long long)lv->vm.uid);
        if (!owner || strcmp(owner, uid)) {
            rdd__lvm_decision(inst,
                              "set owner reference on template ConfigMap");
            rc = kube_spec_set(&lv->cm, RDD_LVM_OWNER_KEY, uid);
            if (rc == 0)
                rc = kube_update(inst->api, &lv->cm, &st);
            rdd__lvm_finish(inst, rc, 0);
            return;
        }
    }
    if (!kube_status_get(&lv->vm, "templateConfigMap")) {
        (void)kube_status_set(&lv->vm, "templateConfigMap",
                              RDD_LVM_TEMPLATE_CM);
        rdd__lvm_finish(inst, status_update(inst, &lv->vm), 0);
        return;
    }
    /* step 6 */
    if (cond_true(&lv->vm, RDD_LVM_COND_CREATED)) {
        char rv[24];
        const char *obs =
            kube_status_get(&lv->vm, "observedTemplateResourceVersion");
        if (kube_spec_get(&lv->vm, RDD_LVM_RESTART_ANNOTATION)) {
            rdd__lvm_handle_restart_annotation(inst);
            return;
        }
        snprintf(rv, sizeof(rv), "%llu", (unsigned long long)lv->cm.rv);
        if ((!obs || strcmp(obs, rv)) && handle_template_update(inst))
            return;
        rdd__lvm_handle_running_state(inst);
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
void rdd__limavm_on_change(rdd_instance_t *inst, kube_event_type_t type,
                           const kube_obj_t *o)
{
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
    snprintf(name, sizeof(name), "%s.hawatcher.tail", inst->id.name);
    sim_rng_fork(&lv->tail_rng, inst->loop->seed, name);
    sim_timer_init(inst->loop, &lv->timer);
    lv->timer.data = inst;
    snprintf(name, sizeof(name), "%s/limavm", inst->id.name);
    rc = rdd_informer_acquire(inst, &lv->cache);
    if (rc)
        return rc;
    rc = kube_ctrl_new(inst->loop, name, reconcile, inst, &lv->ctrl);
    if (rc) {
        rdd_informer_release(inst, &lv->cache);
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
    lv->ctrl = NULL;
    rdd_informer_release(inst, &lv->cache);
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
    rdd__lvm_stop_host_switch(inst);
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
        rdd__lvm_stop_forcibly(inst, &li, "shutdownAllHostagents");
    if (lv->w.present && !lv->w.proc_exited) {
        rdd__lvm_park(inst, RDD_LVM_SHUTDOWN, hook_end, RDD_LVM_POST_KILL_NS);
        return;
    }
    rdd__lvm_park(inst, RDD_LVM_SHUTDOWN, hook_end, 0);
}

static void hook_first(void *a, void *b)
{
    rdd_instance_t *inst = a;
    rdd_limavm_t *lv = &inst->lvm;
    (void)b;
    if (!lv->w.present) {
        rdd__lvm_park(inst, RDD_LVM_SHUTDOWN, hook_end, 0);
        return;
    }
    if (!lv->w.proc_exited)
        (void)rdd__limavm_kill(inst, lv->w.pid, "hostagent", -1,
                               "shutdownAllHostagents", "interrupt");
    rdd__lvm_park(inst, RDD_LVM_SHUTDOWN, hook_reclaim,
                  lv->w.proc_exited ? 0 : RDD_LVM_GRACEFUL_NS);
}

/* The manager context is cancelled: the queue stops, and
 * exec.CommandContext kills every hostagent this service launched
 * (limavm_controller.go:667-677), whatever the shutdown runnable does. */
static void ctx_cancelled(rdd_instance_t *inst)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_ha_t *ha;
    stop_queue(inst);
    for (ha = inst->lima.head; ha; ha = ha->next)
        if (ha->svc_pid == lv->svc_pid && ha->state != RDD_HA_EXITED &&
            host_proc_alive(inst->host, ha->pid))
            (void)rdd__limavm_kill(inst, ha->pid, "hostagent", -1,
                                   "exec.CommandContext", "kill");
}

void rdd_limavm_shutdown(rdd_instance_t *inst,
                         void (*done)(rdd_instance_t *inst))
{
    rdd_trace_kv(inst, "rdd.limavm.shutdown", NULL, NULL, NULL, NULL);
    ctx_cancelled(inst);
    inst->lvm.shutdown_done = done;
    (void)sim_call(inst->loop, 0, hook_first, inst, NULL);
}

/* limavm_controller.go:617-621 waitForShutdown hung before
 * shutdownAllHostagents did anything (fault rdd.svc.shutdown_hang): the
 * context's kills happen, the hook's interrupts and reclaim never do. */
void rdd_limavm_shutdown_hang(rdd_instance_t *inst)
{
    ctx_cancelled(inst);
    inst->lvm.shutdown_done = NULL;
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

/* The Created side: the stale-directory loop (docs/rdd/limavm.md path 6). */
static void explain_created(rdd_instance_t *inst, const kube_cond_t *c,
                            char *buf, size_t len)
{
    rdd_limavm_t *lv = &inst->lvm;
    char t[32], dir[HOST_PATH_MAX];
    cat(buf, len, "LimaVM rd has been Created=%s", c ? c->status : "none");
    if (c)
        cat(buf, len, "/%s since %s", c->reason,
            at(t, c->reason_since_ns ? c->reason_since_ns
                                     : c->last_transition_ns));
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

/* The Running side: the hostagent, restarts, orphans (docs/rdd/limavm.md
 * paths 1, 5). */
static void explain_running(rdd_instance_t *inst, const kube_cond_t *c,
                            char *buf, size_t len)
{
    rdd_limavm_t *lv = &inst->lvm;
    rdd_ha_t *ha, *last;
    char t[32];
    cat(buf, len, "LimaVM rd has been Running=%s", c ? c->status : "none");
    if (c)
        cat(buf, len, "/%s since %s", c->reason,
            at(t, c->reason_since_ns ? c->reason_since_ns
                                     : c->last_transition_ns));
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
