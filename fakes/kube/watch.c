/*
 * watch.c: the store's watch and the apiserver's watch caches in front of
 * it, one watch cache per resource type (docs/platform.md, informer
 * lag; fault site kube.etcd.slow).
 *
 * Models:
 * - each committed change is queued to every subscriber of its kind and
 *   delivered one event per subscriber per loop turn, never inside the
 *   write (the informers' watches, and any other kube_watch caller);
 * - one watch cache per resource type (the kube-apiserver's cacher per
 *   kind): every commit gets one visible time, fixed at commit,
 *   max(previous visible of that kind, commit + lag), the lag drawn per
 *   event from "kube.<store>.lag" and raised inside the spike windows that
 *   apply to its kind, and held to the end of a kube.cache.freeze window
 *   (every kind); every subscriber receives the event at that time, so
 *   each keeps commit order within a kind and all see it at once;
 * - a subscriber to every kind keeps one queue per kind, so a lagging kind
 *   never holds back another kind's events (no head-of-line blocking
 *   across kinds, as with client-go's one informer per type); events due
 *   at the same instant go out in commit order;
 * - ConsistentListFromCache: a LIST with RV unset waits until the cache
 *   of its kind (or every cache) has applied every committed change, at
 *   most 3 s, then falls back to etcd.
 * Leaves out: watch history and 410 Expired for a too-old RV (the
 * informer's relist on kube.watch.expired lives in cache.c), bookmarks and
 * progress notify, the cache's own re-initialisation (429), slow watchers
 * being force-closed, reads served from the stale cache.
 */
#include <stdio.h>
#include <string.h>

#include "kube/kube_int.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

typedef struct {
    kube__rec_t *rec;               /* one reference */
    kube_event_type_t type;
    uint64_t seq;                   /* the commit's store RV: commit order
                                       across kinds */
    uint64_t commit_ns;             /* when it was committed */
    uint64_t visible_ns;            /* when the watch cache applies it */
    uint64_t cause;                 /* trace seq of the write (not hashed) */
} watch_ev_t;

/* One kind's pending events, a ring in commit order (and so in
 * visible_ns order: each kind's visible times never go back). */
typedef struct {
    watch_ev_t *q;
    size_t head;
    size_t len;
    size_t cap;
} watch_q_t;

struct kube__watcher {
    kube_store_t *s;                /* NULL once unwatched in its callback */
    int id;
    kube_kind_t kind;               /* KUBE_KIND__COUNT: every kind */
    kube_watch_cb cb;
    void *arg;
    watch_q_t q[KUBE_KIND__COUNT];  /* pending events, one queue per kind */
    sim_timer_t timer;              /* delivers the next event (earliest
                                       visible time, then commit order) at
                                       its visible time, on a later turn */
    int in_cb;                      /* inside cb: free after it returns */
    int dead;
    kube_obj_t obj;                 /* what cb is handed: zeroed at
                                       creation, each event unpacked over
                                       the previous one (no 15 KiB clear
                                       per event) */
    kube__rec_t *obj_rec;           /* the record obj holds (a ref) */
};

typedef kube__watcher_t watcher_t;

/* watch -----------------------------------------------------------------*/

static void watcher_free(watcher_t *w)
{
    int k;
    sim_timer_stop(&w->timer);
    for (k = 0; k < KUBE_KIND__COUNT; k++) {
        watch_q_t *q = &w->q[k];
        while (q->len > 0) {
            kube__rec_unref(q->q[q->head].rec);
            q->head = (q->head + 1) % q->cap;
            q->len--;
        }
        sim__free(q->q);
    }
    kube__rec_unref(w->obj_rec);
    sim__free(w);
}

static int watcher_wants(const watcher_t *w, kube_kind_t kind)
{
    return w->kind == KUBE_KIND__COUNT || w->kind == kind;
}

/* Room for one more event in kind's queue.  0 or SIM_ENOMEM. */
static int watcher_reserve(watcher_t *w, kube_kind_t kind)
{
    watch_q_t *wq = &w->q[kind];
    size_t cap, i;
    watch_ev_t *q;
    if (wq->len < wq->cap)
        return 0;
    cap = wq->cap ? wq->cap * 2 : 8;
    q = sim__malloc(cap * sizeof(*q));
    if (!q)
        return SIM_ENOMEM;
    for (i = 0; i < wq->len; i++)
        q[i] = wq->q[(wq->head + i) % wq->cap];
    sim__free(wq->q);
    wq->q = q;
    wq->head = 0;
    wq->cap = cap;
    return 0;
}

static void watcher_push(watcher_t *w, kube__rec_t *r, kube_event_type_t t,
                         uint64_t seq, uint64_t commit_ns,
                         uint64_t visible_ns, uint64_t cause)
{
    watch_q_t *q = &w->q[r->kind];
    SIM_ASSERT(q->len < q->cap);
    SIM_ASSERT(visible_ns >= commit_ns);
    SIM_ASSERT(q->len == 0 ||
               q->q[(q->head + q->len - 1) % q->cap].visible_ns <=
                   visible_ns);
    q->q[(q->head + q->len) % q->cap] =
        (watch_ev_t){kube__rec_ref(r), t, seq, commit_ns, visible_ns, cause};
    q->len++;
}

/* The queue whose head goes out next: the earliest visible time, ties in
 * commit order.  NULL when nothing is pending. */
static watch_q_t *watcher_next(watcher_t *w)
{
    watch_q_t *best = NULL;
    int k;
    for (k = 0; k < KUBE_KIND__COUNT; k++) {
        watch_q_t *q = &w->q[k];
        const watch_ev_t *e, *b;
        if (q->len == 0)
            continue;
        if (!best) {
            best = q;
            continue;
        }
        e = &q->q[q->head];
        b = &best->q[best->head];
        if (e->visible_ns < b->visible_ns ||
            (e->visible_ns == b->visible_ns && e->seq < b->seq))
            best = q;
    }
    return best;
}

/* Delay from now until ev is visible (0 when it already is). */
static uint64_t until_visible(const sim_loop_t *loop, const watch_ev_t *ev)
{
    uint64_t now = sim_now(loop);
    return ev->visible_ns > now ? ev->visible_ns - now : 0;
}

static void watcher_reap(void *a, void *b)
{
    (void)b;
    watcher_free(a);
}

/* Timer callback: one event to one subscriber per loop turn, at the
 * event's visible time.  A watcher unwatched inside its own callback
 * cannot be freed here (the loop reads its timer after we return); a
 * loop-owned call frees it next turn.  A firing with nothing due (a timer
 * a failed commit moved) re-arms for the next event. */
static void watcher_deliver(sim_timer_t *t)
{
    watcher_t *w = t->data;
    watch_q_t *q = watcher_next(w);
    watch_ev_t ev;
    int rc;
    if (!q)
        return;
    ev = q->q[q->head];
    if (ev.visible_ns > sim_now(t->loop)) {
        /* The timer is firing, so it is still in the heap: no alloc. */
        rc = sim_timer_start(t, watcher_deliver,
                             until_visible(t->loop, &ev));
        SIM_ASSERT(rc == 0);
        return;
    }
    q->head = (q->head + 1) % q->cap;
    q->len--;
    kube__rec_unpack_over(w->obj_rec, ev.rec, &w->obj);
    kube__rec_unref(w->obj_rec);
    w->obj_rec = kube__rec_ref(ev.rec);
    w->s->delivering_commit_ns = ev.commit_ns;
    w->s->delivering_rv = ev.seq;
    w->s->delivering_cause = ev.cause;
    w->s->delivering_rec = ev.rec;
    w->s->delivering_obj = &w->obj;
    w->in_cb = 1;
    w->cb(w->arg, ev.type, &w->obj);
    w->in_cb = 0;
    if (w->s) /* else unwatched or freed in cb: nothing to clear there */
        w->s->delivering_obj = NULL;
    kube__rec_unref(ev.rec);
    if (w->dead) {
        /* On ENOMEM the struct leaks: better than a use after free. */
        (void)sim_call(t->loop, 0, watcher_reap, w, NULL);
        return;
    }
    q = watcher_next(w);
    if (q) {
        /* The timer is firing, so it is still in the heap: no alloc. */
        rc = sim_timer_start(t, watcher_deliver,
                             until_visible(t->loop, &q->q[q->head]));
        SIM_ASSERT(rc == 0);
    }
}

/* Takes w out of s; frees it now, or after its running callback. */
static void watcher_detach(kube_store_t *s, size_t i)
{
    watcher_t *w = s->w[i];
    memmove(&s->w[i], &s->w[i + 1], (s->nw - i - 1) * sizeof(*s->w));
    s->nw--;
    w->s = NULL;
    if (w->in_cb)
        w->dead = 1;
    else
        watcher_free(w);
}

/* Subscribes cb to committed changes; see kube.h.  SIM_EINVAL for a bad
 * kind, SIM_ENOMEM. */
int kube_watch(kube_store_t *s, kube_kind_t kind, kube_watch_cb cb,
               void *arg)
{
    watcher_t *w;
    SIM_ASSERT(cb != NULL);
    if ((unsigned)kind > KUBE_KIND__COUNT)
        return SIM_EINVAL;
    if (s->nw == s->capw) {
        size_t cap = s->capw ? s->capw * 2 : 4;
        watcher_t **v = sim__realloc(s->w, cap * sizeof(*v));
        if (!v)
            return SIM_ENOMEM;
        s->w = v;
        s->capw = cap;
    }
    w = sim__calloc(1, sizeof(*w));
    if (!w)
        return SIM_ENOMEM;
    w->s = s;
    w->id = ++s->next_watch_id;
    w->kind = kind;
    w->cb = cb;
    w->arg = arg;
    sim_timer_init(s->loop, &w->timer);
    w->timer.data = w;
    s->w[s->nw++] = w;
    return w->id;
}

/* Ends a subscription; pending events are dropped.  Safe inside the
 * subscriber's own callback; unknown ids are ignored. */
void kube_unwatch(kube_store_t *s, int watch_id)
{
    size_t i;
    for (i = 0; i < s->nw; i++) {
        if (s->w[i]->id == watch_id) {
            watcher_detach(s, i);
            return;
        }
    }
}

/* watch cache -----------------------------------------------------------*/

/* now + d, kept below SIM_NEVER so a timer can always be armed for it. */
static uint64_t add_sat(uint64_t now, uint64_t d)
{
    return d >= SIM_NEVER - 1 - now ? SIM_NEVER - 1 : now + d;
}

/* Whether spike sp applies to kind's watch cache. */
static int spike_applies(const kube_lag_spike_t *sp, kube_kind_t kind)
{
    return sp->kinds == 0 || (sp->kinds & (1u << (unsigned)kind)) != 0;
}

/* The lag of a commit of kind now: the uniform draw (one per commit,
 * whatever the kind), raised by any spike of that kind whose window holds
 * now. */
static uint64_t draw_lag(kube_store_t *s, kube_kind_t kind, uint64_t now)
{
    const kube_lag_t *l = &s->lag;
    uint64_t lag = l->lag_min_ns;
    int i;
    if (l->lag_max_ns > l->lag_min_ns)
        lag = sim_rng_range(&s->lag_rng, l->lag_min_ns, l->lag_max_ns);
    for (i = 0; i < l->nspikes; i++) {
        const kube_lag_spike_t *sp = &l->spikes[i];
        if (now >= sp->from_ns && now < sp->to_ns && sp->lag_ns > lag &&
            spike_applies(sp, kind))
            lag = sp->lag_ns;
    }
    return lag;
}

/* When kind's watch cache applies a change committed now: see
 * kube_store_set_lag in kube.h.  Never earlier than the previous commit
 * of that kind, so every subscriber keeps commit order within a kind. */
static uint64_t visible_time(kube_store_t *s, kube_kind_t kind)
{
    uint64_t now = sim_now(s->loop);
    uint64_t vis = add_sat(now, draw_lag(s, kind, now));
    if (SIM_FAULT(s->loop, KUBE_CACHE_FREEZE, s->name)) {
        const sim_fault_arm_t *a =
            &s->loop->faults->site[SIM_FAULT_KUBE_CACHE_FREEZE];
        if (a->by_time && a->to_ns > vis)
            vis = a->to_ns < SIM_NEVER ? a->to_ns : SIM_NEVER - 1;
    }
    return vis > s->visible_ns[kind] ? vis : s->visible_ns[kind];
}

/* Sets the watch caches' lag for commits from now on; see kube.h. */
void kube_store_set_lag(kube_store_t *s, const kube_lag_t *lag)
{
    SIM_ASSERT(lag != NULL);
    s->lag = *lag;
    if (s->lag.lag_max_ns < s->lag.lag_min_ns)
        s->lag.lag_max_ns = s->lag.lag_min_ns;
    if (s->lag.nspikes < 0)
        s->lag.nspikes = 0;
    if (s->lag.nspikes > KUBE_LAG_SPIKES_MAX)
        s->lag.nspikes = KUBE_LAG_SPIKES_MAX;
}

/* When kind's watch cache (every cache with KUBE_KIND__COUNT) will have
 * applied everything committed so far; see kube.h. */
uint64_t kube_store_kind_caught_up_ns(kube_store_t *s, kube_kind_t kind)
{
    uint64_t t = sim_now(s->loop);
    int k;
    SIM_ASSERT((unsigned)kind <= KUBE_KIND__COUNT);
    for (k = 0; k < KUBE_KIND__COUNT; k++)
        if ((kind == KUBE_KIND__COUNT || (int)kind == k) &&
            s->visible_ns[k] > t)
            t = s->visible_ns[k];
    return t;
}

/* When every watch cache will have applied everything committed so far. */
uint64_t kube_store_cache_caught_up_ns(kube_store_t *s)
{
    return kube_store_kind_caught_up_ns(s, KUBE_KIND__COUNT);
}

/* ConsistentListFromCache's wait before a LIST of kind with RV unset is
 * answered; see kube.h. */
uint64_t kube_store_consistent_list_wait_kind_ns(
    kube_store_t *s, kube_kind_t kind, int consistent_list_from_cache)
{
    uint64_t wait;
    if (!consistent_list_from_cache)
        return 0;
    wait = kube_store_kind_caught_up_ns(s, kind) - sim_now(s->loop);
    return wait < KUBE_CONSISTENT_LIST_WAIT_MAX_NS
               ? wait
               : KUBE_CONSISTENT_LIST_WAIT_MAX_NS;
}

/* The same over every kind's cache; see kube.h. */
uint64_t kube_store_consistent_list_wait_ns(kube_store_t *s,
                                            int consistent_list_from_cache)
{
    return kube_store_consistent_list_wait_kind_ns(
        s, KUBE_KIND__COUNT, consistent_list_from_cache);
}

/* The commit time of the event being delivered (for the lag= trace). */
kube__rec_t *kube__store_delivering_rec(const kube_store_t *s,
                                        const kube_obj_t *o)
{
    return o && o == s->delivering_obj ? s->delivering_rec : NULL;
}

uint64_t kube__store_delivering_cause(const kube_store_t *s)
{
    return s->delivering_cause;
}

uint64_t kube__store_delivering_rv(const kube_store_t *s)
{
    return s->delivering_rv;
}

uint64_t kube__store_delivering_commit_ns(const kube_store_t *s)
{
    return s->delivering_commit_ns;
}

/* commit ----------------------------------------------------------------*/

/* First half of a commit; see kube_int.h.  The visible time is drawn
 * first, so a commit that then fails still consumes its draw
 * (deterministic all the same).  Each subscriber's timer is (re)armed for
 * its next event counting this one: an event of a kind that lags less can
 * go out before the ones already queued for other kinds.  A timer this
 * moves for a commit that then fails re-arms itself when it fires. */
int kube__watch_prepare(kube_store_t *s, kube_kind_t kind, uint64_t *vis_ns)
{
    uint64_t now = sim_now(s->loop), vis = visible_time(s, kind);
    size_t i;
    int rc = 0;
    for (i = 0; rc == 0 && i < s->nw; i++) {
        watcher_t *w = s->w[i];
        watch_q_t *q;
        uint64_t due = vis;
        if (!watcher_wants(w, kind))
            continue;
        rc = watcher_reserve(w, kind);
        if (rc || w->in_cb) /* in its callback: deliver re-arms after */
            continue;
        q = watcher_next(w);
        if (q && q->q[q->head].visible_ns < due)
            due = q->q[q->head].visible_ns;
        if (due < now)
            due = now;
        if (!sim_timer_active(&w->timer) || w->timer.due_ns != due)
            rc = sim_timer_start(&w->timer, watcher_deliver, due - now);
    }
    *vis_ns = vis;
    return rc;
}

/* Second half of a commit; see kube_int.h. */
void kube__watch_publish(kube_store_t *s, kube__rec_t *r,
                         kube_event_type_t type, uint64_t vis_ns)
{
    uint64_t now = sim_now(s->loop);
    /* The write's trace record (kube.obj.*) is the next one written: the
     * store traces right after the commit (store.c trace_write). */
    uint64_t cause = s->loop->trace ? s->loop->trace->seq + 1 : 0;
    size_t i;
    SIM_ASSERT((unsigned)r->kind < KUBE_KIND__COUNT);
    SIM_ASSERT(vis_ns >= s->visible_ns[r->kind]);
    s->visible_ns[r->kind] = vis_ns;
    for (i = 0; i < s->nw; i++)
        if (watcher_wants(s->w[i], r->kind))
            watcher_push(s->w[i], r, type, s->rv, now, vis_ns, cause);
}

/* life ------------------------------------------------------------------*/

/* Forks the store's lag stream; the lag starts at zero. */
void kube__watch_init(kube_store_t *s)
{
    char stream[KUBE__STORE_NAME_MAX + 16];
    snprintf(stream, sizeof(stream), "kube.%s.lag", s->name);
    sim_rng_fork(&s->lag_rng, s->loop->seed, stream);
}

/* Drops every subscription; see kube_int.h. */
void kube__watch_close(kube_store_t *s)
{
    while (s->nw > 0)
        watcher_detach(s, s->nw - 1);
    SIM_FREE(s->w);
    s->capw = 0;
}
