/*
 * engine.c: the engine reconciler,
 * rdd/pkg/controllers/app/engine/controllers/engine_reconciler.go at
 * 00f5645 (docs/rdd/engine-reconciler.md).
 *
 * Models: the decision table (rows A-D) with watcherDied and alreadyClean,
 * startWatcherAndSync / stopWatcher, setEngineCondition with observedGeneration
 * stamping and the no-op short-cut, cleanupMirrorResources with
 * deleteAllOfType (APIReader) and waitMirrorResourcesGone (informer cache,
 * 200 ms poll, 30 s deadline), and processFinalizers.  Reconciles run one at
 * a time through controller-runtime's queue (fakes/kube), which retries
 * errors with its back-off.
 * setEngineCondition, the finalizer strips and deleteAllOfType's finalizer
 * removals (APIReader reads, so conflicts only come from injected faults)
 * retry on conflict as client-go's DefaultRetry does (5 tries, 10 ms apart,
 * jitter 0.1).  Every Go timer the reconciler runs (those sleeps, the
 * 200 ms time.After, the 30 s context deadline) fires late by
 * rdd_timer_late (docs/timing.md), drawn from "rdd.<inst>.engine.timers".
 * Docker contexts (docs/rdd/docker-contexts.md) are dockerctx.c's: manageDockerContext after the
 * watcher is published, removeDockerContext in rows A/B (the reconcile
 * waits in RDD_ENG_CONTEXT_WAIT while probes are outstanding) and in the
 * shutdown hook; with no host (inst->host NULL) they are traced only.
 * Deviations: container actions (docs/rdd/docker-watcher.md) are traced,
 * not modelled; with the flag bind_failure_surfaced the engine refuses to dial until its
 * bridge is listening (the review's I1 fix).
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static const char *const state_names[] = {"idle", "starting", "finalizers",
                                          "cleanup_wait", "cleanup_list",
                                          "context_wait"};

const char *rdd_engine_state_name(rdd_engine_state_t s)
{
    SIM_ASSERT(s < RDD_ENG__COUNT);
    return state_names[s];
}

/* The only place the engine's state changes. */
static void rdd__engine_transition(rdd_instance_t *inst,
                                   rdd_engine_state_t to)
{
    static const unsigned char allowed[RDD_ENG__COUNT][RDD_ENG__COUNT] = {
        /* idle */ {0, 1, 1, 1, 1, 1},
        /* starting */ {1, 0, 1, 0, 0, 0},
        /* finalizers */ {1, 0, 0, 0, 0, 0},
        /* cleanup_wait */ {1, 0, 0, 0, 0, 0},
        /* cleanup_list */ {1, 0, 0, 1, 0, 0},
        /* context_wait */ {1, 0, 0, 1, 1, 0},
    };
    rdd_engine_t *e = &inst->engine;
    sim_trace_t *tr;
    SIM_ASSERT(allowed[e->state][to]);
    tr = sim_trace_begin(inst->loop, "rdd.engine.state");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "from", state_names[e->state]);
    sim_trace_str(tr, "to", state_names[to]);
    sim_trace_end(tr);
    e->state = to;
}

static void etrace(rdd_instance_t *inst, const char *ev, const char *k,
                   const char *v)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, ev);
    sim_trace_str(tr, "inst", inst->id.name);
    if (k)
        sim_trace_str(tr, k, v);
    sim_trace_end(tr);
    inst->engine.trace_seq = sim_trace_last(inst->loop);
    if (!strcmp(ev, "rdd.engine.reconcile_error"))
        inst->engine.error_seq = inst->engine.trace_seq;
}

static kube_reader_t *cached(rdd_instance_t *inst)
{
    return kube_cache_reader(inst->engine.cache);
}

static void done(rdd_instance_t *inst, int err)
{
    rdd_engine_t *e = &inst->engine;
    e->in_stop_path = 0;
    if (e->state != RDD_ENG_IDLE)
        rdd__engine_transition(inst, RDD_ENG_IDLE);
    kube_ctrl_done(e->ctrl, RDD_APP_NAME, err, 0);
}

/* Go's runtime timers fire after their deadline, never before: a
 * scheduling delay that grows with load (docs/timing.md "Timer
 * lateness").  One draw per timer. */
uint64_t rdd_timer_late(const rdd_instance_t *inst, sim_rng_t *stream)
{
    if (inst->vp.late_max_ns == 0)
        return 0;
    return sim_rng_range(stream, inst->vp.late_min_ns, inst->vp.late_max_ns);
}

/* A DefaultRetry sleep: 10 ms, jitter 0.1, plus the timer's lateness. */
static uint64_t retry_sleep_ns(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    uint64_t jitter = sim_rng_range(&e->retry_rng, 0, RDD_RETRY_SLEEP_NS / 10);
    return RDD_RETRY_SLEEP_NS + jitter + rdd_timer_late(inst, &e->late_rng);
}

int rdd_get_app(rdd_instance_t *inst, kube_reader_t *r, kube_obj_t *app)
{
    kube_status_t st;
    return r->get(r, KUBE_APP, "", RDD_APP_NAME, app, &st);
}

/* retry-on-conflict ---------------------------------------------------------*/

/* What a retried write is, and what the reconcile does after it. */
enum { RETRY_COND, RETRY_STRIP };
enum { NEXT_DONE_RC, NEXT_DONE_ERR, NEXT_ROW_D_REST, NEXT_FIN };

static void retry_attempt(rdd_instance_t *inst);
static void row_d_rest(rdd_instance_t *inst);
static void fin_next(rdd_instance_t *inst);

static void retry_fire(sim_timer_t *t)
{
    retry_attempt(t->data);
}

/* client-go retry.RetryOnConflict(DefaultRetry): up to 5 tries, 10 ms
 * apart with jitter 0.1; a conflict on the last try is returned. */
static void retry_start(rdd_instance_t *inst, int kind, int next, int err)
{
    rdd_engine_t *e = &inst->engine;
    e->retry_kind = kind;
    e->retry_next = next;
    e->retry_err = err;
    e->retry_tries = 0;
    retry_attempt(inst);
}

/* :434-487 setEngineCondition's body: cached Get (NotFound -> nothing),
 * set the condition with observedGeneration = the re-read generation,
 * unchanged -> no write, else Status().Update. */
static int cond_attempt(rdd_instance_t *inst, kube_status_t *st)
{
    rdd_engine_t *e = &inst->engine;
    kube_obj_t app;
    kube_cond_t c;
    int rc = rdd_get_app(inst, cached(inst), &app);
    if (rc == SIM_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "%s", RDD_COND_ENGINE);
    snprintf(c.status, sizeof(c.status), "%s", e->cond_status);
    snprintf(c.reason, sizeof(c.reason), "%s", e->cond_reason);
    snprintf(c.message, sizeof(c.message), "%s", e->cond_msg);
    c.observed_gen = app.generation;
    if (!kube_cond_set(&app, &c, sim_now(inst->loop)))
        return 0;
    rc = kube_update_status(inst->api, &app, st);
    if (rc == 0 && !strcmp(e->cond_reason, "Stopped")) {
        /* Observation for S5 (ground truth, not model state). */
        e->stopped_writes++;
        e->stopped_gen = app.generation;
        e->stopped_store_mirrors = rdd_mirror_count(inst, 0);
        e->stopped_cache_mirrors = rdd_mirror_count(inst, 1);
        e->stopped_uid_mark = kube_store_last_uid(inst->api);
    }
    if (rc == 0) {
        sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.engine.condition");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_str(tr, "status", e->cond_status);
        sim_trace_str(tr, "reason", e->cond_reason);
        sim_trace_str(tr, "message", e->cond_msg);
        sim_trace_i64(tr, "observed_gen", app.generation);
        sim_trace_end(tr);
    }
    return rc;
}

/* Strips the mirror finalizer after Docker said yes (:694-817):
 * cached Get (NotFound -> done), remove it, Update. */
static int strip_attempt(rdd_instance_t *inst, kube_status_t *st)
{
    rdd_engine_t *e = &inst->engine;
    const rdd_fin_item_t *it = &e->fin[e->ifin];
    kube_obj_t o;
    int rc = cached(inst)->get(cached(inst), it->kind, e->api_ns, it->name,
                               &o, st);
    if (rc == SIM_ENOTFOUND)
        return 0;
    if (rc || !kube_remove_finalizer(&o, RDD_MIRROR_FINALIZER))
        return rc;
    return kube_update(inst->api, &o, st);
}

static void strip_done(rdd_instance_t *inst, int rc, const kube_status_t *st)
{
    rdd_engine_t *e = &inst->engine;
    const rdd_fin_item_t *it = &e->fin[e->ifin];
    if (rc) {
        char msg[KUBE_MSG_MAX];
        snprintf(msg, sizeof(msg), "failed to remove finalizer from %s %s: %s",
                 kube_kind_name(it->kind), it->name, st->message);
        rdd_errs_join(e->errs, sizeof(e->errs), msg);
    } else {
        /* Observation for S9 (not model state). */
        rdd_fin_item_t *p =
            sim__realloc(e->stripped, (e->nstripped + 1) * sizeof(*p));
        if (p) {
            e->stripped = p;
            p[e->nstripped++] = *it;
        }
    }
    e->ifin++;
}

static void retry_attempt(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    kube_status_t st;
    int rc;
    memset(&st, 0, sizeof(st));
    rc = e->retry_kind == RETRY_COND ? cond_attempt(inst, &st)
                                     : strip_attempt(inst, &st);
    if (rc == SIM_ECONFLICT && ++e->retry_tries < RDD_RETRY_STEPS) {
        (void)sim_timer_start(&e->retry, retry_fire, retry_sleep_ns(inst));
        return;
    }
    if (e->retry_kind == RETRY_STRIP) {
        strip_done(inst, rc, &st);
        fin_next(inst);
        return;
    }
    switch (e->retry_next) {
    case NEXT_DONE_RC:
        done(inst, rc);
        return;
    case NEXT_DONE_ERR:
        done(inst, e->retry_err);
        return;
    case NEXT_ROW_D_REST:
        if (rc) {
            done(inst, rc);
            return;
        }
        row_d_rest(inst);
        return;
    }
    SIM_ASSERT(0);
}

/* setEngineCondition, then `next` (see the NEXT_* values). */
static void set_engine_condition(rdd_instance_t *inst, const char *status,
                                 const char *reason, const char *msg,
                                 int next, int err)
{
    rdd_engine_t *e = &inst->engine;
    snprintf(e->cond_status, sizeof(e->cond_status), "%s", status);
    snprintf(e->cond_reason, sizeof(e->cond_reason), "%s", reason);
    snprintf(e->cond_msg, sizeof(e->cond_msg), "%s", msg);
    retry_start(inst, RETRY_COND, next, err);
}

/* :320-330 stopWatcher (its removeDockerContext, :407-431, and the one of
 * row B's "never started or died" branch are the caller's:
 * rdd_dctx_remove). */
static void stop_watcher(rdd_instance_t *inst)
{
    if (inst->watcher) {
        rdd_watcher_t *w = inst->watcher;
        inst->watcher = NULL;
        rdd_watcher_stop(w);
    }
    etrace(inst, "rdd.engine.remove_docker_context", "name", inst->id.name);
}

/* cleanup: rows A and B ----------------------------------------------------*/

void rdd_trace_kv(rdd_instance_t *inst, const char *ev, const char *k1,
                  const char *v1, const char *k2, const char *v2)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, ev);
    sim_trace_str(tr, "inst", inst->id.name);
    if (k1)
        sim_trace_str(tr, k1, v1);
    if (k2)
        sim_trace_str(tr, k2, v2);
    sim_trace_end(tr);
}

int rdd_names_push(rdd_names_t *l, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *p = sim__realloc(l->names, cap * sizeof(*l->names));
        if (!p)
            return 1;
        l->names = p;
        l->cap = cap;
    }
    snprintf(l->names[l->n++], KUBE_NAME_MAX, "%s", name);
    return 0;
}

static int collect(void *arg, const kube_obj_t *o)
{
    return rdd_names_push(arg, o->name);
}

static const char *go_type(kube_kind_t k)
{
    switch (k) {
    case KUBE_CONTAINER:
        return "*v1alpha1.Container";
    case KUBE_IMAGE:
        return "*v1alpha1.Image";
    case KUBE_VOLUME:
        return "*v1alpha1.Volume";
    default:
        return "*v1alpha1.ContainerNamespace";
    }
}

/* cleanupMirrorResources' kinds, in order, with their error prefixes. */
static const struct {
    kube_kind_t kind;
    const char *plural;
} cleanup_kinds[] = {{KUBE_CONTAINER, "Containers"},
                     {KUBE_VOLUME, "Volumes"},
                     {KUBE_IMAGE, "Images"},
                     {KUBE_CONTAINER_NS, "ContainerNamespaces"}};

static void del_retry_fire(sim_timer_t *t);

/* engine_reconciler.go:588-636 deleteAllOfType, one item at a time: the
 * kind was listed via the APIReader just before (del_list); per item
 * retry.RetryOnConflict(DefaultRetry) {APIReader Get (NotFound -> done),
 * finalizer absent -> done, remove it, Update}, sleeping 10 ms (jitter
 * 0.1, :605) between tries; a failure records "failed to remove finalizer
 * from <%T> <name>: <err>" and skips the Delete; then Delete (NotFound
 * ignored, else "failed to delete <%T> <name>: <err>").  Returns 1 when it
 * sleeps before another try (del_retry_fire resumes), else 0. */
static int del_attempt(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    kube_kind_t kind = cleanup_kinds[e->cleanup_step].kind;
    const char *name = e->del.names[e->del_i];
    kube_reader_t *live = kube_store_reader(inst->api);
    kube_status_t st;
    kube_obj_t o;
    char msg[600];
    int rc;
    memset(&st, 0, sizeof(st));
    rc = live->get(live, kind, e->api_ns, name, &o, &st);
    if (rc == SIM_ENOTFOUND) {
        rc = 0;
    } else if (rc == 0 && RDD_HAS(inst->flags, SWEEP_ONLY_OWNED) &&
               !kube_has_finalizer(&o, RDD_MIRROR_FINALIZER)) {
        return 0; /* flag sweep_only_owned (H13): not ours */
    } else if (rc == 0 && kube_remove_finalizer(&o, RDD_MIRROR_FINALIZER)) {
        rc = kube_update(inst->api, &o, &st);
        if (rc == SIM_ECONFLICT && ++e->del_tries < RDD_RETRY_STEPS) {
            (void)sim_timer_start(&e->retry, del_retry_fire,
                                  retry_sleep_ns(inst));
            return 1;
        }
    }
    if (rc) {
        snprintf(msg, sizeof(msg),
                 "failed to remove finalizer from %s %s: %s", go_type(kind),
                 name, st.message);
        rdd_errs_join(e->kind_errs, sizeof(e->kind_errs), msg);
        return 0;
    }
    rc = kube_delete(inst->api, kind, e->api_ns, name, &st);
    if (rc == 0)
        e->deleted_seq = sim_trace_last(inst->loop); /* explain's link */
    if (rc && rc != SIM_ENOTFOUND) {
        snprintf(msg, sizeof(msg), "failed to delete %s %s: %s",
                 go_type(kind), name, st.message);
        rdd_errs_join(e->kind_errs, sizeof(e->kind_errs), msg);
    }
    return 0;
}

/* :588-595 deleteAllOfType's List via the APIReader, made when the kind's
 * turn comes (after the previous kind's items); its error is the kind's
 * error. */
static void del_list(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    kube_reader_t *live = kube_store_reader(inst->api);
    kube_status_t st;
    e->del.n = 0;
    e->del_i = 0;
    e->del_tries = 0;
    e->kind_errs[0] = 0;
    memset(&st, 0, sizeof(st));
    if (live->list(live, cleanup_kinds[e->cleanup_step].kind, e->api_ns,
                   collect, &e->del, &st)) {
        rdd_errs_join(e->kind_errs, sizeof(e->kind_errs), st.message);
        e->del.n = 0;
    }
}

/* engine_reconciler.go:597-635: the loop over the kind's items, from the
 * current one on; 1 when one sleeps before a retry. */
static int del_run(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    for (; e->del_i < e->del.n; e->del_i++, e->del_tries = 0)
        if (del_attempt(inst))
            return 1;
    return 0;
}

/* :500-511: the kind's joined errors wrapped as "failed to delete
 * <Kinds>: ", joined into the reconcile's. */
static void del_kind_done(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    char msg[sizeof(e->kind_errs) + 48];
    if (e->kind_errs[0]) {
        snprintf(msg, sizeof(msg), "failed to delete %s: %s",
                 cleanup_kinds[e->cleanup_step].plural, e->kind_errs);
        rdd_errs_join(e->errs, sizeof(e->errs), msg);
    }
    e->cleanup_step++;
}

static int count_owned(void *arg, const kube_obj_t *o)
{
    size_t *n = arg;
    *n += kube_has_finalizer(o, RDD_MIRROR_FINALIZER) || o->deleting;
    return 0;
}

static int count_with(rdd_instance_t *inst, kube_reader_t *r, size_t *total)
{
    static const kube_kind_t kinds[] = {KUBE_CONTAINER, KUBE_VOLUME,
                                        KUBE_IMAGE, KUBE_CONTAINER_NS};
    kube_status_t st;
    size_t i, n;
    *total = 0;
    for (i = 0; i < SIM_ARRAY_LEN(kinds); i++) {
        int rc;
        n = 0;
        /* Flag sweep_only_owned (H13): what the sweep leaves alone is not
         * waited for either. */
        rc = RDD_HAS(inst->flags, SWEEP_ONLY_OWNED)
                 ? r->list(r, kinds[i], inst->engine.api_ns, count_owned, &n,
                           &st)
                 : r->count(r, kinds[i], inst->engine.api_ns, &n, &st);
        if (rc)
            return rc;
        *total += n;
    }
    return 0;
}

/* :554-573 countMirrorResources: the informer cache, Terminating included
 * (or the APIReader with cleanup_waits_on_apireader). */
static int count_mirrors(rdd_instance_t *inst, size_t *total)
{
    return count_with(inst,
                      RDD_HAS(inst->flags, CLEANUP_WAITS_ON_APIREADER)
                          ? kube_store_reader(inst->api)
                          : cached(inst),
                      total);
}

size_t rdd_mirror_count(rdd_instance_t *inst, int use_cache)
{
    size_t n = 0;
    if (!inst->engine.cache)
        return 0;
    (void)count_with(inst,
                     use_cache ? cached(inst) : kube_store_reader(inst->api),
                     &n);
    return n;
}

static void finish_terminal(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    set_engine_condition(inst, e->term_status, e->term_reason, e->term_msg,
                         NEXT_DONE_RC, 0);
}

/* engine_reconciler.go:543-545: ctx.Done() won the select: the last
 * count in the error. */
static void cleanup_timeout(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_engine_t *e = &inst->engine;
    char msg[160];
    snprintf(msg, sizeof(msg),
             "timed out waiting for %zu mirror resources to be deleted: "
             "context deadline exceeded", e->last_count);
    {
        /* what it waited on: the deletes its cache has not yet seen */
        sim_trace_scope_t scope =
            sim_trace_link_scope(inst->loop, "deleted", e->deleted_seq);
        etrace(inst, "rdd.engine.reconcile_error", "err", msg);
        sim_trace_scope_restore(inst->loop, scope);
    }
    done(inst, SIM_EDEADLINE);
}

/* engine_reconciler.go:529-550 waitMirrorResourcesGone, one iteration:
 * countMirrorResources (:554-573; it costs RDD_COUNT_COST_PER_OBJ_NS per
 * cached object, so the select is entered at the count's end); 0 ->
 * success (the count does not look at ctx); else select {ctx.Done():
 * "timed out waiting for <N> mirror resources to be deleted: context
 * deadline exceeded"; a fresh time.After(200 ms)}.  The fresh timer fires
 * at count end + 200 ms + its lateness, so the polls drift off the
 * 200 ms grid (no ticker, nothing dropped), and a deadline that fired
 * during the count is seen at once.  A fresh time.After is never ready
 * when the select is entered; should the deadline and the timer fall on
 * the same nanosecond the deadline wins (Go's select would pick at
 * random). */
static void cleanup_poll(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_engine_t *e = &inst->engine;
    uint64_t now = sim_now(inst->loop), count_end, next;
    size_t n;
    int rc = count_mirrors(inst, &n);
    if (rc) {
        etrace(inst, "rdd.engine.reconcile_error", "err",
               "error verifying mirror resources gone");
        done(inst, rc);
        return;
    }
    e->last_count = n;
    if (n == 0) {
        finish_terminal(inst);
        return;
    }
    count_end = now + n * RDD_COUNT_COST_PER_OBJ_NS;
    next = count_end + RDD_CLEANUP_POLL_NS + rdd_timer_late(inst, &e->late_rng);
    if (e->cleanup_deadline_ns <= next) {
        uint64_t at = e->cleanup_deadline_ns > count_end
                          ? e->cleanup_deadline_ns
                          : count_end;
        (void)sim_timer_start(t, cleanup_timeout, at - now);
        return;
    }
    (void)sim_timer_start(t, cleanup_poll, next - now);
}

/* How long deleteAllOfType's LIST (APIReader, RV unset) waits for the
 * watch cache before it is answered (docs/platform.md). */
static uint64_t list_wait_ns(rdd_instance_t *inst, kube_kind_t kind)
{
    return kube_store_consistent_list_wait_kind_ns(
        inst->api, kind, !RDD_HAS(inst->flags, NO_CONSISTENT_LIST_FROM_CACHE));
}

static void cleanup_step(sim_timer_t *t);

/* engine_reconciler.go:494-524 cleanupMirrorResources: deleteAllOfType
 * for Containers, Volumes, Images, ContainerNamespaces in that order, each
 * kind's error wrapped "failed to delete <Kinds>: " and joined; any error
 * returns it without waiting; else waitMirrorResourcesGone (:531-533:
 * context.WithTimeout(30 s), whose deadline fires late like any Go
 * timer).  listed: the current kind's LIST has waited for the watch cache
 * already. */
static void cleanup_next(rdd_instance_t *inst, int listed)
{
    rdd_engine_t *e = &inst->engine;
    while (e->cleanup_step < (int)SIM_ARRAY_LEN(cleanup_kinds)) {
        kube_kind_t kind = cleanup_kinds[e->cleanup_step].kind;
        uint64_t wait = listed ? 0 : list_wait_ns(inst, kind);
        if (wait) {
            if (e->state != RDD_ENG_CLEANUP_LIST)
                rdd__engine_transition(inst, RDD_ENG_CLEANUP_LIST);
            (void)sim_timer_start(&e->poll, cleanup_step, wait);
            return;
        }
        listed = 0;
        del_list(inst);
        if (del_run(inst)) {
            if (e->state != RDD_ENG_CLEANUP_LIST)
                rdd__engine_transition(inst, RDD_ENG_CLEANUP_LIST);
            return;
        }
        del_kind_done(inst);
    }
    if (e->errs[0]) {
        etrace(inst, "rdd.engine.reconcile_error", "err", e->errs);
        done(inst, SIM_ESERVER);
        return;
    }
    rdd__engine_transition(inst, RDD_ENG_CLEANUP_WAIT);
    e->cleanup_deadline_ns =
        sim_now(inst->loop) +
        (RDD_HAS(inst->flags, CLEANUP_TIMEOUT_5S) ? 5 * SIM_NS_PER_S
                                                  : RDD_CLEANUP_TIMEOUT_NS) +
        rdd_timer_late(inst, &e->late_rng);
    e->last_count = 0;
    cleanup_poll(&e->poll);
}

static void cleanup_step(sim_timer_t *t)
{
    cleanup_next(t->data, 1);
}

/* engine_reconciler.go:605 (retry.RetryOnConflict's sleep ended): the
 * same item's next try, then the rest of deleteAllOfType and of
 * cleanupMirrorResources. */
static void del_retry_fire(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_engine_t *e = &inst->engine;
    if (del_attempt(inst))
        return;
    e->del_i++;
    e->del_tries = 0;
    if (del_run(inst))
        return;
    del_kind_done(inst);
    cleanup_next(inst, 0);
}

static void cleanup_mirrors(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    etrace(inst, "rdd.engine.cleanup", NULL, NULL);
    e->errs[0] = 0;
    e->cleanup_step = 0;
    cleanup_next(inst, 0);
}


/* processFinalizers: row D -------------------------------------------------*/

typedef struct {
    rdd_engine_t *e;
    kube_kind_t kind;
    const char *daemon_id;    /* the published watcher's Info.ID */
    rdd_flags_t flags;
} fin_collect_t;

static int collect_fin(void *arg, const kube_obj_t *o)
{
    fin_collect_t *fc = arg;
    rdd_engine_t *e = fc->e;
    rdd_fin_item_t *it;
    const char *from = kube_status_get(o, "daemonID");
    if (!o->deleting || !kube_has_finalizer(o, RDD_MIRROR_FINALIZER))
        return 0;
    it = sim__realloc(e->fin, (e->nfin + 1) * sizeof(*it));
    if (!it)
        return 1;
    e->fin = it;
    it = &e->fin[e->nfin++];
    memset(it, 0, sizeof(*it));
    it->kind = fc->kind;
    snprintf(it->name, sizeof(it->name), "%s", o->name);
    if (fc->kind == KUBE_CONTAINER) {
        it->op = DOCK_OP_CONTAINER_REMOVE;
        it->force = 1;
        snprintf(it->ref, sizeof(it->ref), "%s", o->name);
    } else if (fc->kind == KUBE_IMAGE) {
        const char *tag = kube_status_get(o, "repoTag");
        const char *id = kube_status_get(o, "id");
        it->op = DOCK_OP_IMAGE_REMOVE;
        if (tag && tag[0])
            snprintf(it->ref, sizeof(it->ref), "%s", tag);
        else if (id && id[0])
            snprintf(it->ref, sizeof(it->ref), "%s", id);
        else
            it->skip_docker = 1;
    } else {
        const char *vn = kube_status_get(o, "name");
        it->op = DOCK_OP_VOLUME_REMOVE;
        it->force = 1;
        if (vn && vn[0])
            snprintf(it->ref, sizeof(it->ref), "%s", vn);
        else
            it->skip_docker = 1;
    }
    /* Flag finalizer_checks_daemon (H5): a mirror of another daemon is
     * released without a Docker call. */
    if (RDD_HAS(fc->flags, FINALIZER_CHECKS_DAEMON) && from &&
        from[0] && fc->daemon_id && strcmp(from, fc->daemon_id))
        it->skip_docker = 1;
    return 0;
}

static void on_fin_removed(rdd_instance_t *inst, int err, const char *msg)
{
    rdd_engine_t *e = &inst->engine;
    rdd_fin_item_t *it = &e->fin[e->ifin];
    if (err) {
        char m[800];
        snprintf(m, sizeof(m), "failed to delete %s %s from Docker: %s",
                 it->kind == KUBE_CONTAINER ? "container"
                 : it->kind == KUBE_IMAGE   ? "image"
                                            : "volume",
                 it->name, msg);
        rdd_errs_join(e->errs, sizeof(e->errs), m);
        e->ifin++;
        fin_next(inst);
        return;
    }
    retry_start(inst, RETRY_STRIP, NEXT_FIN, 0);
}

/* The kinds processFinalizers handles, in order (:687-691). */
static const kube_kind_t fin_kinds[] = {KUBE_CONTAINER, KUBE_IMAGE,
                                        KUBE_VOLUME};

/* The List at the top of processContainerFinalizers (:694-698),
 * processImageFinalizers (:734-738) or processVolumeFinalizers
 * (:777-781): made from the cache when that kind's turn comes, after the
 * previous kind's Docker deletes; an error is that kind's error. */
static void fin_list(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    fin_collect_t fc = {e, fin_kinds[e->fin_kind], NULL, 0};
    kube_reader_t *r = cached(inst);
    kube_status_t st;
    SIM_FREE(e->fin);
    e->nfin = e->ifin = 0;
    fc.daemon_id = inst->watcher ? rdd_watcher_daemon_id(inst->watcher)
                                 : NULL;
    fc.flags = inst->flags;
    memset(&st, 0, sizeof(st));
    /* collect_fin keeps only objects being deleted: list_deleting visits
     * exactly those, in the same order. */
    if (r->list_deleting(r, fc.kind, e->api_ns, collect_fin, &fc, &st))
        rdd_errs_join(e->errs, sizeof(e->errs), st.message);
}

/* :694-817 the per-item loop of the three process*Finalizers, kind after
 * kind; then the reconcile returns their joined errors. */
static void fin_next(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    for (;;) {
        while (e->ifin < e->nfin) {
            rdd_fin_item_t *it = &e->fin[e->ifin];
            if (e->state != RDD_ENG_FINALIZERS)
                rdd__engine_transition(inst, RDD_ENG_FINALIZERS);
            if (!it->skip_docker && inst->watcher &&
                rdd_watcher_remove(inst->watcher, it->op, it->ref, it->force,
                                   on_fin_removed) == 0)
                return;
            if (it->skip_docker) {
                retry_start(inst, RETRY_STRIP, NEXT_FIN, 0);
                return;
            }
            e->ifin++;
        }
        if (++e->fin_kind >= (int)SIM_ARRAY_LEN(fin_kinds))
            break;
        fin_list(inst);
    }
    SIM_FREE(e->fin);
    e->nfin = e->ifin = 0;
    if (e->errs[0])
        etrace(inst, "rdd.engine.reconcile_error", "err", e->errs);
    done(inst, e->errs[0] ? SIM_ESERVER : 0);
}

/* :673-817 processFinalizers, and :642-669 reconcileContainerActions
 * (traced only). */
static void row_d(rdd_instance_t *inst)
{
    set_engine_condition(inst, "True", "Connected", "Container engine synced",
                         NEXT_ROW_D_REST, 0);
}

/* Row D after the Connected write: container actions (traced only), then
 * processFinalizers (:673-691: only with a published watcher). */
static void row_d_rest(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    e->errs[0] = 0;
    e->fin_kind = 0;
    fin_list(inst);
    fin_next(inst);
}


/* row C ---------------------------------------------------------------------*/

static void on_watcher_started(rdd_instance_t *inst, int err, const char *msg)
{
    rdd_engine_t *e = &inst->engine;
    SIM_ASSERT(e->state == RDD_ENG_STARTING);
    if (err) {
        /* :248-257: ConnectFailed with the error text, return the error. */
        rdd_watcher_t *w = inst->watcher;
        inst->watcher = NULL;
        if (w)
            rdd_watcher_stop(w);
        set_engine_condition(inst, "False", "ConnectFailed", msg,
                             NEXT_DONE_ERR, SIM_ECONNREFUSED);
        return;
    }
    /* :302-317: published only after the full sync; then
     * manageDockerContext(DockerEndpoint()). */
    etrace(inst, "rdd.engine.manage_docker_context", "endpoint",
           inst->id.docker_endpoint);
    rdd_dctx_manage(inst, inst->id.docker_endpoint);
    row_d(inst);
}

static void start_watcher(rdd_instance_t *inst)
{
    rdd_bridge_t *b = &inst->bridge;
    int rc;
    if (RDD_HAS(inst->flags, BIND_FAILURE_SURFACED) &&
        inst->id.os == RDD_OS_WINDOWS && b->state != RDD_BRIDGE_LISTENING) {
        char msg[400];
        if (b->state == RDD_BRIDGE_BIND_FAILED)
            snprintf(msg, sizeof(msg), "%s", b->bind_msg);
        else
            snprintf(msg, sizeof(msg), "socket bridge is not listening on %s",
                     inst->id.bridge_pipe);
        {
            /* the write reports the bridge's failure: link it (explain) */
            sim_trace_scope_t scope =
                sim_trace_link_scope(inst->loop, "bridge", b->fail_seq);
            set_engine_condition(inst, "False", "ConnectFailed", msg,
                                 NEXT_DONE_ERR, SIM_ESTATE);
            sim_trace_scope_restore(inst->loop, scope);
        }
        return;
    }
    rdd__engine_transition(inst, RDD_ENG_STARTING);
    rc = rdd_watcher_new(inst, on_watcher_started, &inst->watcher);
    if (rc) {
        inst->watcher = NULL;
        done(inst, rc);
    }
    /* A start that failed at once was reported through
     * on_watcher_started already. */
}

/* Rows A/B after a removeDockerContext that had to wait. */
static void after_remove_clean(rdd_instance_t *inst)
{
    finish_terminal(inst);
}

static void after_remove_dirty(rdd_instance_t *inst)
{
    cleanup_mirrors(inst);
}

/* :164-293 Reconcile. */
static void reconcile(void *arg, kube_ctrl_t *ctrl, const char *key)
{
    rdd_instance_t *inst = arg;
    rdd_engine_t *e = &inst->engine;
    kube_obj_t app;
    const kube_cond_t *running_c, *cur;
    const char *ns, *eng;
    int running, docker, rc, clean;
    (void)ctrl;
    (void)key;
    SIM_ASSERT(e->state == RDD_ENG_IDLE);
    /* Step 0: App Get fails -> return (NotFound is no error). */
    rc = rdd_get_app(inst, cached(inst), &app);
    if (rc) {
        done(inst, rc == SIM_ENOTFOUND ? 0 : rc);
        return;
    }
    ns = kube_spec_get(&app, "namespace");
    snprintf(e->api_ns, sizeof(e->api_ns), "%s", ns && ns[0] ? ns : "default");
    /* Step 1: a watcher that is present but not alive is forgotten. */
    e->watcher_died = 0;
    if (inst->watcher && !rdd_watcher_alive(inst->watcher)) {
        rdd_watcher_t *w = inst->watcher;
        inst->watcher = NULL;
        rdd_watcher_stop(w);
        e->watcher_died = 1;
        etrace(inst, "rdd.engine.watcher_died", "log",
               "Docker watcher died, will attempt to reconnect");
    }
    /* Step 2. */
    running_c = kube_cond_find(&app, RDD_COND_RUNNING);
    running = running_c && !strcmp(running_c->status, "True");
    /* Flag engine_quiesces_on_app_delete (H16): a Terminating App is a
     * stopped one (RDD keeps mirroring until the App is gone). */
    if (RDD_HAS(inst->flags, ENGINE_QUIESCES_ON_APP_DELETE) && app.deleting)
        running = 0;
    eng = kube_spec_get(&app, "containerEngine.name");
    docker = eng && !strcmp(eng, "moby");
    if (running && docker) {
        /* Flag bind_failure_surfaced: "the engine never dials a pipe its
         * bridge does not own" holds after publication too.  A bridge
         * that failed later (H3 with bridge_accept_error_closes, H4) ends
         * the watcher like a death, and row C reports ConnectFailed. */
        if (inst->watcher && RDD_HAS(inst->flags, BIND_FAILURE_SURFACED) &&
            inst->id.os == RDD_OS_WINDOWS &&
            inst->bridge.state != RDD_BRIDGE_LISTENING) {
            rdd_watcher_t *w = inst->watcher;
            inst->watcher = NULL;
            rdd_watcher_stop(w);
            etrace(inst, "rdd.engine.bridge_lost", "bridge",
                   rdd_bridge_state_name(inst->bridge.state));
        }
        if (!inst->watcher)
            start_watcher(inst); /* row C, then D */
        else
            row_d(inst);         /* row D */
        return;
    }
    /* Rows A and B. */
    e->in_stop_path = 1;
    stop_watcher(inst);
    if (running && !docker) {
        snprintf(e->term_status, sizeof(e->term_status), "True");
        snprintf(e->term_reason, sizeof(e->term_reason), "NotApplicable");
        snprintf(e->term_msg, sizeof(e->term_msg),
                 "Engine mirroring is only supported with the moby backend");
    } else {
        snprintf(e->term_status, sizeof(e->term_status), "False");
        snprintf(e->term_reason, sizeof(e->term_reason), "Stopped");
        snprintf(e->term_msg, sizeof(e->term_msg), "Container engine stopped");
    }
    /* :235-238 alreadyClean. */
    cur = kube_cond_find(&app, RDD_COND_ENGINE);
    clean = !e->watcher_died && cur && !strcmp(cur->reason, e->term_reason) &&
            !strcmp(cur->status, e->term_status) &&
            (RDD_HAS(inst->flags, NO_GENERATION_IN_ALREADY_CLEAN) ||
             cur->observed_gen >= app.generation);
    /* :203-214 removeDockerContext (stopWatcher's, or the direct call when
     * no watcher ran); it blocks while probes are outstanding. */
    if (rdd_dctx_remove(inst, clean ? after_remove_clean
                                    : after_remove_dirty)) {
        rdd__engine_transition(inst, RDD_ENG_CONTEXT_WAIT);
        return;
    }
    if (clean) {
        finish_terminal(inst);
        return;
    }
    cleanup_mirrors(inst);
}

/* engine_reconciler.go:849-857 SetupWithManager: For(App) and Watches on
 * Container, Image, Volume and ContainerNamespace enqueue the singleton
 * key (no predicate: every event); the cache also holds LimaVMs and
 * ConfigMaps for the other controllers, whose events the engine does not
 * watch. */
void rdd__engine_on_change(rdd_instance_t *inst, kube_event_type_t type,
                           const kube_obj_t *obj)
{
    (void)type;
    switch (obj->kind) {
    case KUBE_APP:
    case KUBE_CONTAINER:
    case KUBE_IMAGE:
    case KUBE_VOLUME:
    case KUBE_CONTAINER_NS:
        rdd_engine_enqueue(inst);
        return;
    default:
        return;
    }
}

int rdd_engine_init(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    char name[128];
    int rc;
    memset(e, 0, sizeof(*e));
    rdd_dctx_init(inst);
    snprintf(e->api_ns, sizeof(e->api_ns), "default");
    sim_timer_init(inst->loop, &e->poll);
    e->poll.data = inst;
    sim_timer_init(inst->loop, &e->retry);
    e->retry.data = inst;
    snprintf(name, sizeof(name), "rdd.%s.retry", inst->id.name);
    sim_rng_fork(&e->retry_rng, inst->loop->seed, name);
    snprintf(name, sizeof(name), "rdd.%s.engine.timers", inst->id.name);
    sim_rng_fork(&e->late_rng, inst->loop->seed, name);
    snprintf(name, sizeof(name), "rdd.%s.watcher.timers", inst->id.name);
    sim_rng_fork(&e->watch_late_rng, inst->loop->seed, name);
    snprintf(name, sizeof(name), "rdd.%s.dctx.timers", inst->id.name);
    sim_rng_fork(&e->dctx_late_rng, inst->loop->seed, name);
    snprintf(name, sizeof(name), "%s/engine", inst->id.name);
    rc = rdd_informer_acquire(inst, &e->cache);
    if (rc)
        return rc;
    rc = kube_ctrl_new(inst->loop, name, reconcile, inst, &e->ctrl);
    if (rc)
        rdd_informer_release(inst, &e->cache);
    return rc;
}

void rdd_engine_free(rdd_instance_t *inst)
{
    rdd_engine_t *e = &inst->engine;
    sim_timer_stop(&e->poll);
    sim_timer_stop(&e->retry);
    rdd_watcher_remove_abandon(inst);
    rdd_dctx_free(inst);
    if (inst->watcher) {
        rdd_watcher_stop(inst->watcher);
        inst->watcher = NULL;
    }
    SIM_FREE(e->fin);
    SIM_FREE(e->del.names);
    e->del.n = e->del.cap = 0;
    SIM_FREE(e->stripped);
    e->nstripped = 0;
    if (e->ctrl)
        kube_ctrl_free(e->ctrl);
    e->ctrl = NULL;
    rdd_informer_release(inst, &e->cache);
}

/* :833-840 the shutdown runnable: watcherCancel(), stopWatcher() (which
 * ends in removeDockerContext, :407-431).  A watcher still starting is left
 * to its reconcile (its start fails in RDD once watcherCtx is cancelled).
 * then (may be NULL) runs once the context is removed, on this turn when
 * nothing had to wait. */
void rdd_engine_shutdown(rdd_instance_t *inst, rdd_dctx_done_cb then)
{
    etrace(inst, "rdd.engine.shutdown", NULL, NULL);
    /* The manager's context is cancelled: the controller stops taking keys
     * (controller-runtime shuts its queue down), so the enqueue of the
     * watcher's exit (docker_watcher.go:161) runs no reconcile. */
    inst->engine.shut_down = 1;
    rdd_dctx_cancel_all(inst);
    if (inst->engine.state != RDD_ENG_STARTING)
        stop_watcher(inst);
    if (rdd_dctx_remove(inst, then) == 0 && then)
        then(inst);
}

void rdd_engine_enqueue(rdd_instance_t *inst)
{
    if (inst->engine.ctrl && !inst->engine.shut_down)
        kube_ctrl_enqueue(inst->engine.ctrl, RDD_APP_NAME);
}
