/*
 * hawatcher.c: the hostagent watcher, rdd/pkg/controllers/lima/limavm/
 * controllers/hostagent_watcher.go at 00f5645 (docs/rdd/limavm.md).
 *
 * Models: the phase machine (Unknown = no entry, Starting, Running,
 * Stopped), the reaper (cmd.Wait closing procExited and cancelling the
 * tail), the tail of ha.stdout.log (events as direct callbacks from the
 * hostagent actor, lima.c), "tailer returned -> Stopped", stopWatcher, and
 * enqueueReconcile's 1-slot channel with drop-if-full (limavm.c).  Leaves
 * out: Lima's degraded flag (ignored by RDD too), stderr propagation.
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static const char *const phase_names[] = {"Unknown", "Starting", "Running",
                                          "Stopped"};

const char *rdd_phase_name(rdd_phase_t p)
{
    SIM_ASSERT(p < RDD_PHASE__COUNT);
    return phase_names[p];
}

/* The only place the phase changes. */
static void rdd__hawatch_transition(rdd_instance_t *inst, rdd_phase_t to)
{
    /* allowed[from][to] */
    static const unsigned char allowed[RDD_PHASE__COUNT][RDD_PHASE__COUNT] = {
        /* unknown */ {0, 1, 0, 0},
        /* starting */ {1, 0, 1, 1},
        /* running */ {1, 0, 0, 1},
        /* stopped */ {1, 0, 0, 0},
    };
    rdd_hawatch_t *w = &inst->lvm.w;
    sim_trace_t *tr;
    SIM_ASSERT(allowed[w->phase][to]);
    tr = sim_trace_begin(inst->loop, "rdd.limavm.phase");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "from", phase_names[w->phase]);
    sim_trace_str(tr, "to", phase_names[to]);
    sim_trace_u64(tr, "pid", w->pid);
    sim_trace_end(tr);
    w->phase = to;
}

/* hostagent_watcher.go:137-145: whatever ended the tail, the phase is
 * Stopped afterwards (enqueue if it changed). */
static void tail_returned(rdd_instance_t *inst)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    rdd_ha_t *ha = rdd_ha_find(inst, w->pid);
    w->watching = 0;
    if (ha && ha->tail_arg == inst)
        rdd_ha_tail(ha, NULL, NULL);
    if (w->phase != RDD_PHASE_STOPPED) {
        rdd__hawatch_transition(inst, RDD_PHASE_STOPPED);
        rdd__limavm_enqueue_chan(inst);
    }
}

/* :97-128 onEvent. */
static void on_event(void *arg, rdd_ha_t *ha, rdd_ha_ev_t ev, uint64_t at_ns)
{
    rdd_instance_t *inst = arg;
    rdd_hawatch_t *w = &inst->lvm.w;
    if (!w->present || !w->watching || ha->pid != w->pid ||
        at_ns < w->begin_ns)
        return;
    switch (ev) {
    case RDD_HA_EV_EXITING:
        rdd__hawatch_transition(inst, RDD_PHASE_STOPPED);
        rdd__limavm_enqueue_chan(inst);
        tail_returned(inst); /* return true: stop watching */
        return;
    case RDD_HA_EV_RUNNING:
        if (w->phase != RDD_PHASE_RUNNING) {
            rdd__hawatch_transition(inst, RDD_PHASE_RUNNING);
            rdd__limavm_enqueue_chan(inst);
        }
        return;
    case RDD_HA_EV_BOOT:
        if (w->phase != RDD_PHASE_RUNNING && w->phase != RDD_PHASE_STARTING) {
            rdd__hawatch_transition(inst, RDD_PHASE_STARTING);
            rdd__limavm_enqueue_chan(inst);
        }
        return;
    }
}

/* :83-92 the reaper: cmd.Wait returns, procExited closes, the tail's
 * context is cancelled. */
static void reaped(rdd_instance_t *inst)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.limavm.reaped");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_u64(tr, "pid", w->pid);
    sim_trace_end(tr);
    w->exit_watch = 0;
    w->proc_exited = 1;
    if (w->watching)
        tail_returned(inst);
    rdd__limavm_proc_exited(inst);
}

static void on_exit(void *arg, const host_proc_t *p)
{
    rdd_instance_t *inst = arg;
    if (!inst->lvm.w.present || p->pid != inst->lvm.w.pid)
        return;
    reaped(inst);
}

static void reap_dead(void *a, void *b)
{
    rdd_instance_t *inst = a;
    uint32_t pid = (uint32_t)(uintptr_t)b;
    if (inst->lvm.w.present && inst->lvm.w.pid == pid &&
        !inst->lvm.w.proc_exited)
        reaped(inst);
}

/* :50-66 startWatcher + :71-95 runWatcher's set-up. */
void rdd__hawatch_start(rdd_instance_t *inst, const char *ns,
                        const char *name, rdd_ha_t *ha, uint64_t begin_ns)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    int rc;
    SIM_ASSERT(!w->present);
    memset(w, 0, sizeof(*w));
    w->present = 1;
    w->pid = ha->pid;
    w->begin_ns = begin_ns;
    w->watching = 1;
    snprintf(w->ns, sizeof(w->ns), "%s", ns);
    snprintf(w->name, sizeof(w->name), "%s", name);
    rdd__hawatch_transition(inst, RDD_PHASE_STARTING);
    rdd_ha_tail(ha, on_event, inst);
    rc = host_watch_exit(inst->host, ha->pid, on_exit, inst);
    if (rc > 0)
        w->exit_watch = rc;
    else /* already dead: cmd.Wait returns at once, on the goroutine */
        (void)sim_call(inst->loop, 0, reap_dead, inst,
                       (void *)(uintptr_t)ha->pid);
}

/* :151-165 stopWatcher: cancel, wait for done, delete the entry. */
void rdd__hawatch_stop(rdd_instance_t *inst)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    rdd_ha_t *ha;
    if (!w->present)
        return;
    ha = rdd_ha_find(inst, w->pid);
    if (ha && ha->tail_arg == inst)
        rdd_ha_tail(ha, NULL, NULL);
    if (w->exit_watch > 0)
        host_unwatch_exit(inst->host, w->exit_watch);
    /* runWatcher's tail (:137-145) runs before done closes: a phase other
     * than Stopped becomes Stopped and the LimaVM is enqueued. */
    if (w->phase != RDD_PHASE_STOPPED) {
        rdd__hawatch_transition(inst, RDD_PHASE_STOPPED);
        rdd__limavm_enqueue_chan(inst);
    }
    rdd__hawatch_transition(inst, RDD_PHASE_UNKNOWN);
    memset(w, 0, sizeof(*w));
}

/* :169-180 getInstancePhase. */
rdd_phase_t rdd__hawatch_phase(const rdd_instance_t *inst)
{
    return inst->lvm.w.present ? inst->lvm.w.phase : RDD_PHASE_UNKNOWN;
}

/* :205-223 signalHostagent: no entry, or already reaped -> false. */
int rdd__hawatch_signal(rdd_instance_t *inst)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    if (!w->present || !w->pid || w->proc_exited)
        return 0;
    return rdd__limavm_kill(inst, w->pid, "hostagent", -1,
                            "signalHostagent", "interrupt") == 0;
}
