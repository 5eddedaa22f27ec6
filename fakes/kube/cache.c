/*
 * cache.c: an informer cache (client-go SharedInformer + indexer, as
 * controller-runtime's cached client reads it) and its reader.
 *
 * Models (docs/platform.md): a local copy of every
 * object of every kind, filled by an initial LIST and then kept up by a
 * WATCH on the store.  Events reach it on a later turn than their commit,
 * at their kind's watch cache's visible time, in commit order within a
 * kind (the one all-kinds watch keeps a queue per kind, so a lagging kind
 * does not hold back the others, as with one informer per type), so a
 * client that has just written reads its older object from here until the
 * loop has run (no read-your-writes); Terminating objects are in the cache
 * and are counted.  on_change runs after each event is applied, where
 * controller-runtime's event handlers hang.
 * 410 Expired (fault kube.watch.expired, evaluated before each event): the
 * watch of every kind ends at once (one reflector for the whole cache, not
 * one per type) and its pending events are dropped; after the reflector's
 * back-off (800 ms doubling to 30 s, reset after 2 min quiet) the cache
 * relists the store as it is then, watches again from there, replaces its
 * contents and tells on_change what was added, changed or deleted (the
 * deleted with their last cached state: DeletedFinalStateUnknown).
 * It sees the store only through kube_store_reader() (the lists) and
 * kube_watch(), which carries the watch cache's lag.
 * Leaves out: resync, the back-off's jitter, a relist served from a stale
 * watch cache (it reads the current state), Sync/Replaced updates for
 * unchanged objects, indexes other than (ns, name), "cache not started"
 * errors.
 */
#include <string.h>

#include "kube/kube_int.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

#define CACHE_NAME_MAX 64

struct kube_cache {
    kube_store_t *s;
    sim_loop_t *loop;
    char name[CACHE_NAME_MAX];
    int watch_id;                   /* 0 while not watching */
    kube_watch_cb on_change;
    void *arg;
    kube__index_t idx[KUBE_KIND__COUNT];
    kube_reader_t reader;
    sim_timer_t relist;             /* armed after 410: the back-off */
    uint64_t backoff_ns;            /* the last back-off, 0 before one */
    uint64_t backoff_at_ns;         /* when it was taken */
    int in_relist;                  /* inside on_change from a relist */
    int dead;                       /* freed there: reaped next turn */
    uint64_t watch_start_ns;        /* when the current watch began */
    uint64_t watch_events;          /* ... and the events it delivered */
};

/* One change a relist found, for on_change. */
typedef struct {
    kube__rec_t *rec;               /* one reference */
    kube_event_type_t type;
} change_t;

/* A relist in progress: the new contents and the changes found. */
typedef struct {
    kube_cache_t *c;
    kube__index_t idx[KUBE_KIND__COUNT];
    change_t *v;
    size_t n;
    size_t cap;
    size_t count[3];                /* by kube_event_type_t */
    int rc;
} relist_t;

static const char *const event_names[] = {
    [KUBE_ADDED] = "ADDED",
    [KUBE_MODIFIED] = "MODIFIED",
    [KUBE_DELETED] = "DELETED",
};

/* Puts o's state in the cache (add or replace).  0 or SIM_ENOMEM.  An
 * object the watch is delivering shares the store's record (immutable,
 * reference-counted) instead of being packed again. */
static int cache_put(kube_cache_t *c, const kube_obj_t *o)
{
    kube__index_t *ix = &c->idx[o->kind];
    kube__rec_t *r = kube__store_delivering_rec(c->s, o);
    size_t pos;
    int found = kube__idx_find(ix, o->ns, o->name, &pos);
    if (!found && kube__idx_reserve(ix, 1) != 0)
        return SIM_ENOMEM;
    r = r ? kube__rec_ref(r) : kube__rec_pack(o);
    if (!r)
        return SIM_ENOMEM;
    if (found) {
        kube__rec_unref(kube__idx_swap(ix, pos, r));
    } else {
        kube__idx_insert(ix, pos, r);
    }
    return 0;
}

/* 410 and relist ---------------------------------------------------------*/

/* The reflector's next back-off (client-go's backoff manager, no
 * jitter). */
static uint64_t next_backoff(kube_cache_t *c)
{
    uint64_t now = sim_now(c->loop);
    if (c->backoff_ns == 0 ||
        now - c->backoff_at_ns >= KUBE_RELIST_BACKOFF_RESET_NS)
        c->backoff_ns = KUBE_RELIST_BACKOFF_NS;
    else if (c->backoff_ns < KUBE_RELIST_BACKOFF_MAX_NS / 2)
        c->backoff_ns *= 2;
    else
        c->backoff_ns = KUBE_RELIST_BACKOFF_MAX_NS;
    c->backoff_at_ns = now;
    return c->backoff_ns;
}

static int change_push(relist_t *rl, kube__rec_t *r, kube_event_type_t type)
{
    if (rl->n == rl->cap) {
        size_t cap = rl->cap ? rl->cap * 2 : 16;
        change_t *v = sim__realloc(rl->v, cap * sizeof(*v));
        if (!v)
            return SIM_ENOMEM;
        rl->v = v;
        rl->cap = cap;
    }
    rl->v[rl->n++] = (change_t){kube__rec_ref(r), type};
    rl->count[type]++;
    return 0;
}

/* List visitor: o joins the new contents (sharing the cached record when
 * its rv is unchanged); an add or a change is noted. */
static int relist_visit(void *arg, const kube_obj_t *o)
{
    relist_t *rl = arg;
    const kube__index_t *old = &rl->c->idx[o->kind];
    kube__index_t *nix = &rl->idx[o->kind];
    kube__rec_t *r;
    size_t pos;
    int found = kube__idx_find(old, o->ns, o->name, &pos);
    if (kube__idx_reserve(nix, 1) != 0) {
        rl->rc = SIM_ENOMEM;
        return 1;
    }
    if (found && kube__idx_at(old, pos)->rv == o->rv) {
        r = kube__rec_ref(kube__idx_at(old, pos));
    } else {
        r = kube__rec_pack(o);
        if (!r || change_push(rl, r, found ? KUBE_MODIFIED : KUBE_ADDED)) {
            if (r)
                kube__rec_unref(r);
            rl->rc = SIM_ENOMEM;
            return 1;
        }
    }
    (void)kube__idx_find(nix, o->ns, o->name, &pos); /* an append */
    kube__idx_insert(nix, pos, r);
    return 0;
}

/* Builds the new contents of kind k and its changes.  0 or SIM_ENOMEM. */
static int relist_kind(relist_t *rl, kube_kind_t k)
{
    kube_reader_t *live = kube_store_reader(rl->c->s);
    const kube__index_t *old = &rl->c->idx[k];
    size_t i, pos, n = 0;
    kube__rec_t *r;
    live->count(live, k, "", &n, NULL);
    if (n > 0 && kube__idx_reserve(&rl->idx[k], n) != 0)
        return SIM_ENOMEM;
    live->list(live, k, "", relist_visit, rl, NULL);
    if (rl->rc)
        return rl->rc;
    for (i = 0; (r = kube__idx_at(old, i)) != NULL;
         i = kube__idx_next(old, i)) {
        if (kube__idx_find(&rl->idx[k], KUBE__REC_NS(r), r->name, &pos))
            continue;
        if (change_push(rl, r, KUBE_DELETED) != 0)
            return SIM_ENOMEM;
    }
    return 0;
}

/* Drops what a relist holds (on failure, or after notifying). */
static void relist_drop(relist_t *rl)
{
    size_t i;
    int k;
    for (k = 0; k < KUBE_KIND__COUNT; k++)
        kube__idx_free(&rl->idx[k]);
    for (i = 0; i < rl->n; i++)
        kube__rec_unref(rl->v[i].rec);
    SIM_FREE(rl->v);
}

static void trace_relist(kube_cache_t *c, const relist_t *rl, int rc,
                         uint64_t retry_ns)
{
    sim_trace_t *tr = sim_trace_begin(c->loop, "kube.cache.relist");
    sim_trace_str(tr, "cache", c->name);
    sim_trace_u64(tr, "rv", kube_store_rv(c->s));
    if (rc) {
        sim_trace_err(tr, "err", rc);
        sim_trace_ns(tr, "retry", retry_ns);
    } else {
        sim_trace_u64(tr, "added", rl->count[KUBE_ADDED]);
        sim_trace_u64(tr, "changed", rl->count[KUBE_MODIFIED]);
        sim_trace_u64(tr, "deleted", rl->count[KUBE_DELETED]);
    }
    sim_trace_end(tr);
}

static void cache_reap(void *a, void *b)
{
    (void)b;
    sim__free(a);
}

/* Tells on_change about each change of a relist; stops if it frees c. */
static void relist_notify(kube_cache_t *c, relist_t *rl)
{
    kube_obj_t o;
    size_t i;
    c->in_relist = 1;
    for (i = 0; i < rl->n && !c->dead && c->on_change; i++) {
        kube__rec_unpack(rl->v[i].rec, &o);
        c->on_change(c->arg, rl->v[i].type, &o);
    }
    c->in_relist = 0;
    relist_drop(rl);
    if (c->dead) /* on ENOMEM c leaks: better than a use after free */
        (void)sim_call(c->loop, 0, cache_reap, c, NULL);
}

static void cache_on_event(void *arg, kube_event_type_t type,
                           const kube_obj_t *o);

/* Timer callback, after the back-off: LIST (current state) and WATCH in
 * one step, so no change falls between them; then swap and notify.  Out
 * of memory: everything is dropped and retried after the next back-off. */
static void relist_fire(sim_timer_t *t)
{
    kube_cache_t *c = t->data;
    relist_t rl;
    int k, rc = 0;
    memset(&rl, 0, sizeof(rl));
    rl.c = c;
    for (k = 0; k < KUBE_KIND__COUNT && rc == 0; k++)
        rc = relist_kind(&rl, (kube_kind_t)k);
    if (rc == 0) {
        int id = kube__store_down(c->s)
                     ? SIM_ECONNREFUSED
                     : kube_watch(c->s, KUBE_KIND__COUNT, cache_on_event, c);
        if (id < 0) {
            rc = id;
        } else {
            c->watch_id = id;
            c->watch_start_ns = sim_now(c->loop);
            c->watch_events = 0;
        }
    }
    if (rc) {
        uint64_t wait = next_backoff(c);
        relist_drop(&rl);
        trace_relist(c, &rl, rc, wait);
        /* The timer is firing, so it is still in the heap: no alloc. */
        rc = sim_timer_start(t, relist_fire, wait);
        SIM_ASSERT(rc == 0);
        return;
    }
    for (k = 0; k < KUBE_KIND__COUNT; k++) {
        kube__idx_free(&c->idx[k]);
        c->idx[k] = rl.idx[k];
        memset(&rl.idx[k], 0, sizeof(rl.idx[k]));
    }
    trace_relist(c, &rl, 0, 0);
    relist_notify(c, &rl);
}

/* The watch ends and ListAndWatch returns (reflector.go watch(): 410
 * Expired, a very short watch, a refused connection): its pending events
 * go with it and the reflector relists after the back-off.  what names the
 * trace record.  0, or SIM_ENOMEM when the relist cannot be scheduled
 * (then the watch goes on as if nothing happened). */
static int watch_end(kube_cache_t *c, const kube_obj_t *o, const char *what)
{
    uint64_t wait = next_backoff(c);
    int rc = sim_timer_start(&c->relist, relist_fire, wait);
    sim_trace_t *tr = sim_trace_begin(c->loop, what);
    sim_trace_str(tr, "cache", c->name);
    sim_trace_u64(tr, "rv", o->rv);
    sim_trace_ns(tr, "backoff", wait);
    if (rc)
        sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
    if (rc)
        return rc;
    kube_unwatch(c->s, c->watch_id); /* safe: this is its callback */
    c->watch_id = 0;
    return 0;
}

/* Fault kube.watch.dropped: the stream closed with no error, so
 * watchHandler returns nil (client-go tools/cache/reflector.go).  A watch
 * under 1 s that delivered nothing is the "very short watch" error: the
 * reflector relists after its back-off (as after 410).  Otherwise watch()
 * opens a new watch from LastSyncResourceVersion at once, and the watch
 * cache replays what came after it, this event included: 1, deliver it;
 * 0 when the watch ended. */
static int watch_dropped(kube_cache_t *c, const kube_obj_t *o)
{
    uint64_t now = sim_now(c->loop);
    sim_trace_t *tr;
    if (now - c->watch_start_ns < SIM_NS_PER_S && c->watch_events == 0)
        return watch_end(c, o, "kube.watch.very_short") != 0;
    tr = sim_trace_begin(c->loop, "kube.watch.dropped");
    sim_trace_str(tr, "cache", c->name);
    sim_trace_u64(tr, "rv", o->rv);
    sim_trace_ns(tr, "lasted", now - c->watch_start_ns);
    sim_trace_u64(tr, "events", c->watch_events);
    sim_trace_end(tr);
    c->watch_start_ns = now;
    c->watch_events = 0;
    return 1;
}

/* watch ------------------------------------------------------------------*/

/* Watch callback: 410?, else apply, trace, then hand the event on. */
static void cache_on_event(void *arg, kube_event_type_t type,
                           const kube_obj_t *o)
{
    kube_cache_t *c = arg;
    sim_trace_t *tr;
    int rc = 0;
    SIM_ASSERT((unsigned)o->kind < KUBE_KIND__COUNT);
    if (kube__store_down(c->s) &&
        watch_end(c, o, "kube.watch.refused") == 0)
        return; /* the apiserver went away: the stream is cut */
    if (SIM_FAULT(c->loop, KUBE_WATCH_DROPPED, c->name) &&
        !watch_dropped(c, o))
        return;
    if (SIM_FAULT(c->loop, KUBE_WATCH_EXPIRED, c->name) &&
        watch_end(c, o, "kube.watch.expired") == 0)
        return;
    c->watch_events++;
    if (type == KUBE_DELETED) {
        size_t pos;
        if (kube__idx_find(&c->idx[o->kind], o->ns, o->name, &pos))
            kube__rec_unref(kube__idx_remove(&c->idx[o->kind], pos));
    } else {
        rc = cache_put(c, o);
    }
    tr = sim_trace_begin(c->loop, "kube.cache.event");
    sim_trace_cause(tr, kube__store_delivering_cause(c->s));
    sim_trace_str(tr, "cache", c->name);
    sim_trace_str(tr, "type", event_names[type]);
    sim_trace_str(tr, "kind", kube_kind_name(o->kind));
    sim_trace_str(tr, "ns", o->ns);
    sim_trace_str(tr, "name", o->name);
    sim_trace_u64(tr, "rv", o->rv);
    sim_trace_ns(tr, "lag",
                 sim_now(c->loop) - kube__store_delivering_commit_ns(c->s));
    if (rc)
        sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
    if (rc)
        return; /* the informer lost this event; nobody is told */
    if (c->on_change)
        c->on_change(c->arg, type, o); /* may free c: nothing after it */
}

/* reader ----------------------------------------------------------------*/

typedef struct {
    kube_cache_t *c;
    int rc;
} fill_t;

static int fill_visit(void *arg, const kube_obj_t *o)
{
    fill_t *f = arg;
    f->rc = cache_put(f->c, o);
    return f->rc != 0;
}

static int cache_get(kube_reader_t *r, kube_kind_t kind, const char *ns,
                     const char *name, kube_obj_t *out, kube_status_t *st)
{
    kube_cache_t *c = r->impl;
    SIM_ASSERT((unsigned)kind < KUBE_KIND__COUNT);
    return kube__idx_get(&c->idx[kind], kind, ns, name, out, st);
}

static int cache_list(kube_reader_t *r, kube_kind_t kind, const char *ns,
                      kube_visit_cb visit, void *arg, kube_status_t *st)
{
    kube_cache_t *c = r->impl;
    SIM_ASSERT((unsigned)kind < KUBE_KIND__COUNT);
    return kube__idx_list(&c->idx[kind], ns, visit, arg, st);
}

static int cache_list_deleting(kube_reader_t *r, kube_kind_t kind,
                               const char *ns, kube_visit_cb visit, void *arg,
                               kube_status_t *st)
{
    kube_cache_t *c = r->impl;
    SIM_ASSERT((unsigned)kind < KUBE_KIND__COUNT);
    return kube__idx_list_deleting(&c->idx[kind], ns, visit, arg, st);
}

static int cache_count(kube_reader_t *r, kube_kind_t kind, const char *ns,
                       size_t *n, kube_status_t *st)
{
    kube_cache_t *c = r->impl;
    SIM_ASSERT((unsigned)kind < KUBE_KIND__COUNT);
    return kube__idx_count(&c->idx[kind], ns, n, st);
}

/* life ------------------------------------------------------------------*/

/* Lists every kind from the store, then watches it.  The list and the
 * subscription happen in one call, so no change falls between them.
 * Returns 0 or SIM_ENOMEM (nothing left behind). */
int kube_cache_new(kube_store_t *s, const char *name, kube_watch_cb on_change,
                   void *arg, kube_cache_t **out)
{
    kube_reader_t *live = kube_store_reader(s);
    kube_cache_t *c;
    fill_t f;
    int k, id;
    SIM_ASSERT(strlen(name) < CACHE_NAME_MAX);
    *out = NULL;
    c = sim__calloc(1, sizeof(*c));
    if (!c)
        return SIM_ENOMEM;
    c->s = s;
    c->loop = kube_store_loop(s);
    memcpy(c->name, name, strlen(name) + 1);
    c->on_change = on_change;
    c->arg = arg;
    c->reader.get = cache_get;
    c->reader.list = cache_list;
    c->reader.list_deleting = cache_list_deleting;
    c->reader.count = cache_count;
    c->reader.impl = c;
    sim_timer_init(c->loop, &c->relist);
    c->relist.data = c;
    f.c = c;
    f.rc = 0;
    for (k = 0; k < KUBE_KIND__COUNT && f.rc == 0; k++) {
        size_t n = 0;
        live->count(live, (kube_kind_t)k, "", &n, NULL);
        if (kube__idx_reserve(&c->idx[k], n) != 0)
            f.rc = SIM_ENOMEM;
        else
            live->list(live, (kube_kind_t)k, "", fill_visit, &f, NULL);
    }
    id = f.rc ? f.rc : kube_watch(s, KUBE_KIND__COUNT, cache_on_event, c);
    if (id < 0) {
        kube_cache_free(c);
        return id;
    }
    c->watch_id = id;
    c->watch_start_ns = sim_now(s->loop);
    *out = c;
    return 0;
}

/* Unsubscribes, cancels a pending relist and frees the copy; safe inside
 * on_change (also during a relist: the struct goes next turn).  NULL is a
 * no-op.  The store must still exist. */
void kube_cache_free(kube_cache_t *c)
{
    int k;
    if (!c || c->dead)
        return;
    if (c->watch_id > 0)
        kube_unwatch(c->s, c->watch_id);
    c->watch_id = 0;
    sim_timer_stop(&c->relist);
    for (k = 0; k < KUBE_KIND__COUNT; k++)
        kube__idx_free(&c->idx[k]);
    if (c->in_relist) {
        c->dead = 1; /* relist_notify reaps it */
        return;
    }
    sim__free(c);
}

/* The cache as a reader (controller-runtime's cached client); lives as
 * long as the cache. */
kube_reader_t *kube_cache_reader(kube_cache_t *c)
{
    return &c->reader;
}
