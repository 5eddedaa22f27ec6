/*
 * watch.c: the store's watch and the apiserver's watch cache in front of
 * it (platform-semantics.md §4.2, §4.3, §4.7 "Lag", §5.4 kube.etcd.slow).
 *
 * Models:
 * - each committed change is queued, in commit order, to every subscriber
 *   of its kind and delivered one event per loop turn, never inside the
 *   write (the informers' watches, and any other kube_watch caller);
 * - the watch cache: every commit gets one visible time, fixed at commit,
 *   max(previous visible, commit + lag), the lag drawn per event from
 *   "kube.<store>.lag" and raised inside spike windows, and held to the
 *   end of a kube.cache.freeze window; every subscriber receives the event
 *   at that time, so each keeps commit order and all see it at once;
 * - ConsistentListFromCache: a LIST with RV unset waits until the cache
 *   has applied every committed change, at most 3 s, then falls back to
 *   etcd.
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

typedef struct {
    kube__rec_t *rec;               /* one reference */
    kube_event_type_t type;
    uint64_t commit_ns;             /* when it was committed */
    uint64_t visible_ns;            /* when the watch cache applies it */
} watch_ev_t;

struct kube__watcher {
    kube_store_t *s;                /* NULL once unwatched in its callback */
    int id;
    kube_kind_t kind;               /* KUBE_KIND__COUNT: every kind */
    kube_watch_cb cb;
    void *arg;
    watch_ev_t *q;                  /* ring of pending events */
    size_t head;
    size_t len;
    size_t cap;
    sim_timer_t timer;              /* delivers q[head] at its visible
                                       time, on a later turn */
    int in_cb;                      /* inside cb: free after it returns */
    int dead;
};

typedef kube__watcher_t watcher_t;

/* watch -----------------------------------------------------------------*/

static void watcher_free(watcher_t *w)
{
    sim_timer_stop(&w->timer);
    while (w->len > 0) {
        kube__rec_unref(w->q[w->head].rec);
        w->head = (w->head + 1) % w->cap;
        w->len--;
    }
    sim__free(w->q);
    sim__free(w);
}

static int watcher_wants(const watcher_t *w, kube_kind_t kind)
{
    return w->kind == KUBE_KIND__COUNT || w->kind == kind;
}

static int watcher_reserve(watcher_t *w)
{
    size_t cap, i;
    watch_ev_t *q;
    if (w->len < w->cap)
        return 0;
    cap = w->cap ? w->cap * 2 : 8;
    q = sim__malloc(cap * sizeof(*q));
    if (!q)
        return SIM_ENOMEM;
    for (i = 0; i < w->len; i++)
        q[i] = w->q[(w->head + i) % w->cap];
    sim__free(w->q);
    w->q = q;
    w->head = 0;
    w->cap = cap;
    return 0;
}

static void watcher_push(watcher_t *w, kube__rec_t *r, kube_event_type_t t,
                         uint64_t commit_ns, uint64_t visible_ns)
{
    SIM_ASSERT(w->len < w->cap);
    SIM_ASSERT(visible_ns >= commit_ns);
    w->q[(w->head + w->len) % w->cap] =
        (watch_ev_t){kube__rec_ref(r), t, commit_ns, visible_ns};
    w->len++;
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
 * loop-owned call frees it next turn. */
static void watcher_deliver(sim_timer_t *t)
{
    watcher_t *w = t->data;
    watch_ev_t ev;
    kube_obj_t o;
    if (w->len == 0)
        return;
    ev = w->q[w->head];
    SIM_ASSERT(ev.visible_ns <= sim_now(t->loop));
    w->head = (w->head + 1) % w->cap;
    w->len--;
    kube__rec_unpack(ev.rec, &o);
    kube__rec_unref(ev.rec);
    w->s->delivering_commit_ns = ev.commit_ns;
    w->in_cb = 1;
    w->cb(w->arg, ev.type, &o);
    w->in_cb = 0;
    if (w->dead) {
        /* On ENOMEM the struct leaks: better than a use after free. */
        (void)sim_call(t->loop, 0, watcher_reap, w, NULL);
        return;
    }
    if (w->len > 0) {
        /* The timer is firing, so it is still in the heap: no alloc. */
        int rc = sim_timer_start(t, watcher_deliver,
                                 until_visible(t->loop, &w->q[w->head]));
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

/* The lag of a commit now: the uniform draw, raised by any spike whose
 * window holds now. */
static uint64_t draw_lag(kube_store_t *s, uint64_t now)
{
    const kube_lag_t *l = &s->lag;
    uint64_t lag = l->lag_min_ns;
    int i;
    if (l->lag_max_ns > l->lag_min_ns)
        lag = sim_rng_range(&s->lag_rng, l->lag_min_ns, l->lag_max_ns);
    for (i = 0; i < l->nspikes; i++) {
        const kube_lag_spike_t *sp = &l->spikes[i];
        if (now >= sp->from_ns && now < sp->to_ns && sp->lag_ns > lag)
            lag = sp->lag_ns;
    }
    return lag;
}

/* When the watch cache applies a change committed now: see
 * kube_store_set_lag in kube.h.  Never earlier than the previous
 * commit's, so every subscriber keeps commit order. */
static uint64_t visible_time(kube_store_t *s)
{
    uint64_t now = sim_now(s->loop);
    uint64_t vis = add_sat(now, draw_lag(s, now));
    if (SIM_FAULT(s->loop, KUBE_CACHE_FREEZE, s->name)) {
        const sim_fault_arm_t *a =
            &s->loop->faults->site[SIM_FAULT_KUBE_CACHE_FREEZE];
        if (a->by_time && a->to_ns > vis)
            vis = a->to_ns < SIM_NEVER ? a->to_ns : SIM_NEVER - 1;
    }
    return vis > s->visible_ns ? vis : s->visible_ns;
}

/* Sets the watch cache's lag for commits from now on; see kube.h. */
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

/* When the watch cache will have applied everything committed so far. */
uint64_t kube_store_cache_caught_up_ns(kube_store_t *s)
{
    uint64_t now = sim_now(s->loop);
    return s->visible_ns > now ? s->visible_ns : now;
}

/* ConsistentListFromCache's wait before a LIST with RV unset is answered;
 * see kube.h. */
uint64_t kube_store_consistent_list_wait_ns(kube_store_t *s,
                                            int consistent_list_from_cache)
{
    uint64_t wait;
    if (!consistent_list_from_cache)
        return 0;
    wait = kube_store_cache_caught_up_ns(s) - sim_now(s->loop);
    return wait < KUBE_CONSISTENT_LIST_WAIT_MAX_NS
               ? wait
               : KUBE_CONSISTENT_LIST_WAIT_MAX_NS;
}

/* The commit time of the event being delivered (for the lag= trace). */
uint64_t kube__store_delivering_commit_ns(const kube_store_t *s)
{
    return s->delivering_commit_ns;
}

/* commit ----------------------------------------------------------------*/

/* First half of a commit; see kube_int.h.  The visible time is drawn
 * first, so a commit that then fails still consumes its draw
 * (deterministic all the same). */
int kube__watch_prepare(kube_store_t *s, kube_kind_t kind, uint64_t *vis_ns)
{
    uint64_t now = sim_now(s->loop), vis = visible_time(s);
    size_t i;
    int rc = 0;
    for (i = 0; rc == 0 && i < s->nw; i++) {
        watcher_t *w = s->w[i];
        if (!watcher_wants(w, kind))
            continue;
        rc = watcher_reserve(w);
        /* An empty queue: its first event is this one (restarting moves
         * a timer a failed commit left armed). */
        if (rc == 0 && !w->in_cb && w->len == 0)
            rc = sim_timer_start(&w->timer, watcher_deliver, vis - now);
    }
    *vis_ns = vis;
    return rc;
}

/* Second half of a commit; see kube_int.h. */
void kube__watch_publish(kube_store_t *s, kube__rec_t *r,
                         kube_event_type_t type, uint64_t vis_ns)
{
    uint64_t now = sim_now(s->loop);
    size_t i;
    SIM_ASSERT(vis_ns >= s->visible_ns);
    s->visible_ns = vis_ns;
    for (i = 0; i < s->nw; i++)
        if (watcher_wants(s->w[i], r->kind))
            watcher_push(s->w[i], r, type, now, vis_ns);
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
