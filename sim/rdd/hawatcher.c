/*
 * hawatcher.c: the hostagent watcher, rdd/pkg/controllers/lima/limavm/
 * controllers/hostagent_watcher.go at 00f5645 (docs/rdd/limavm.md).
 *
 * Models: the phase machine (Unknown = no entry, Starting, Running,
 * Stopped), the reaper (cmd.Wait closing procExited and cancelling the
 * tail's context, :83-92), the tail of ha.stdout.log (:130-135: Lima's
 * hostagentevents.Watch), "tailer returned -> Stopped", stopWatcher, and
 * enqueueReconcile's 1-slot channel with drop-if-full (limavm.c).
 * The tail: a line the hostagent writes is read by the tail goroutine on a
 * later turn, not inside the write.  When the reaper cancels the tail's
 * context while lines are still unread, Watch's loop has two ready cases
 * (ctx.Done and the next line) and Go's select picks one at random; so
 * each unread line that would change the phase is a choice point
 * hawatcher.tail_lost (trace sim.choice): true, the cancel wins, that line
 * and every later one are never read; false, the line is read first.
 * Seeded from the stream "<inst>.hawatcher.tail" (1/2 each, as select),
 * or pinned by the scenario (choices:, docs/scenarios.md).  Lines that
 * cannot change the phase are read without a choice (either way the
 * phase ends Stopped).  Leaves out: the tail's read latency (inotify or
 * nxadm/tail's poll), Lima's degraded flag (ignored by RDD too), stderr
 * propagation.
 */
#include <stdint.h>
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

/* hostagent_watcher.go:97-128 onEvent, for one line the tail read. */
static void on_line(rdd_instance_t *inst, rdd_ha_ev_t ev)
{
    rdd_hawatch_t *w = &inst->lvm.w;
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

/* Would reading ev move the phase (onEvent's transitions)? */
static int line_changes_phase(const rdd_hawatch_t *w, rdd_ha_ev_t ev)
{
    switch (ev) {
    case RDD_HA_EV_EXITING:
        return 0; /* Stopped either way: read, or the tail returns */
    case RDD_HA_EV_RUNNING:
        return w->phase != RDD_PHASE_RUNNING;
    case RDD_HA_EV_BOOT:
        return w->phase != RDD_PHASE_RUNNING &&
               w->phase != RDD_PHASE_STARTING;
    }
    return 0;
}

/* The choice point hawatcher.tail_lost: 1 if the cancel wins the select. */
static int choose_tail_lost(rdd_instance_t *inst)
{
    return sim_choose(inst->loop, &inst->lvm.tail_rng,
                      SIM_CHOICE_HAWATCHER_TAIL_LOST,
                      inst->vp.choice[SIM_CHOICE_HAWATCHER_TAIL_LOST],
                      inst->id.name);
}

/* The tail reads what it has not read.  cancelled: the reaper has
 * cancelled its context (the select races each line against ctx.Done). */
static void tail_drain(rdd_instance_t *inst, int cancelled)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    while (w->present && w->watching && w->nunread > 0) {
        rdd_ha_ev_t ev = w->unread[0];
        if (cancelled && line_changes_phase(w, ev) &&
            choose_tail_lost(inst)) {
            inst->lvm.tail_lost += (uint64_t)w->nunread;
            w->nunread = 0;
            return;
        }
        w->nunread--;
        memmove(&w->unread[0], &w->unread[1],
                (size_t)w->nunread * sizeof(w->unread[0]));
        memmove(&w->unread_at[0], &w->unread_at[1],
                (size_t)w->nunread * sizeof(w->unread_at[0]));
        on_line(inst, ev);
    }
    w->nunread = 0;
}

/* The tail goroutine's read, a turn after the write. */
static void tail_read(void *a, void *b)
{
    rdd_instance_t *inst = a;
    if ((uint64_t)(uintptr_t)b != inst->lvm.tail_seq)
        return;
    tail_drain(inst, 0);
}

/* hostagent_watcher.go:130-135: the hostagent wrote an event line to
 * ha.stdout.log; the tail (events since begin) reads it later. */
static void on_event(void *arg, rdd_ha_t *ha, rdd_ha_ev_t ev, uint64_t at_ns)
{
    rdd_instance_t *inst = arg;
    rdd_hawatch_t *w = &inst->lvm.w;
    if (!w->present || !w->watching || ha->pid != w->pid ||
        at_ns < w->begin_ns)
        return;
    if (w->nunread == (int)(sizeof(w->unread) / sizeof(w->unread[0])))
        return; /* the hostagent writes at most 3 event lines */
    w->unread[w->nunread] = ev;
    w->unread_at[w->nunread] = at_ns;
    if (w->nunread++ == 0)
        (void)sim_call(inst->loop, 0, tail_read, inst,
                       (void *)(uintptr_t)++inst->lvm.tail_seq);
}

/* :83-92 the reaper: cmd.Wait returns, procExited closes, the tail's
 * context is cancelled (waitCancel); Watch returns once its select picks
 * ctx.Done, possibly before the last lines are read. */
static void reaped(rdd_instance_t *inst)
{
    rdd_hawatch_t *w = &inst->lvm.w;
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.limavm.reaped");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_u64(tr, "pid", w->pid);
    sim_trace_end(tr);
    w->exit_watch = 0;
    w->proc_exited = 1;
    tail_drain(inst, 1);
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
