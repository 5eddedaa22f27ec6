/*
 * cache.c: an informer cache (client-go SharedInformer + indexer, as
 * controller-runtime's cached client reads it) and its reader.
 *
 * Models (platform-semantics.md §4.7, §4.8): a local copy of every object
 * of every kind, filled by an initial LIST and then kept up by a WATCH on
 * the store.  Events reach it on a later turn than their commit, in commit
 * order, so a client that has just written reads its older object from
 * here until the loop has run (no read-your-writes); Terminating objects
 * are in the cache and are counted.  on_change runs after each event is
 * applied, where controller-runtime's event handlers hang.
 * It sees the store only through kube_store_reader() (the initial list) and
 * kube_watch(), so a lagging watch cache can later be put in between.
 * Leaves out: resync, relist after 410 and DeletedFinalStateUnknown,
 * indexes other than (ns, name), "cache not started" errors.
 */
#include <string.h>

#include "kube/kube_int.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

#define CACHE_NAME_MAX 64

struct kube_cache {
    kube_store_t *s;
    sim_loop_t *loop;
    char name[CACHE_NAME_MAX];
    int watch_id;                   /* 0 until subscribed */
    kube_watch_cb on_change;
    void *arg;
    kube__index_t idx[KUBE_KIND__COUNT];
    kube_reader_t reader;
};

static const char *const event_names[] = {
    [KUBE_ADDED] = "ADDED",
    [KUBE_MODIFIED] = "MODIFIED",
    [KUBE_DELETED] = "DELETED",
};

/* Puts o's state in the cache (add or replace).  0 or SIM_ENOMEM. */
static int cache_put(kube_cache_t *c, const kube_obj_t *o)
{
    kube__index_t *ix = &c->idx[o->kind];
    kube__rec_t *r;
    size_t pos;
    int found = kube__idx_find(ix, o->ns, o->name, &pos);
    if (!found && kube__idx_reserve(ix, 1) != 0)
        return SIM_ENOMEM;
    r = kube__rec_pack(o);
    if (!r)
        return SIM_ENOMEM;
    if (found) {
        kube__rec_unref(ix->v[pos]);
        ix->v[pos] = r;
    } else {
        kube__idx_insert(ix, pos, r);
    }
    return 0;
}

/* Watch callback: apply, trace, then hand the event on. */
static void cache_on_event(void *arg, kube_event_type_t type,
                           const kube_obj_t *o)
{
    kube_cache_t *c = arg;
    sim_trace_t *tr;
    int rc = 0;
    SIM_ASSERT((unsigned)o->kind < KUBE_KIND__COUNT);
    if (type == KUBE_DELETED) {
        size_t pos;
        if (kube__idx_find(&c->idx[o->kind], o->ns, o->name, &pos))
            kube__rec_unref(kube__idx_remove(&c->idx[o->kind], pos));
    } else {
        rc = cache_put(c, o);
    }
    tr = sim_trace_begin(c->loop, "kube.cache.event");
    sim_trace_str(tr, "cache", c->name);
    sim_trace_str(tr, "type", event_names[type]);
    sim_trace_str(tr, "kind", kube_kind_name(o->kind));
    sim_trace_str(tr, "ns", o->ns);
    sim_trace_str(tr, "name", o->name);
    sim_trace_u64(tr, "rv", o->rv);
    if (rc)
        sim_trace_err(tr, "err", rc);
    sim_trace_end(tr);
    if (rc)
        return; /* the informer lost this event; nobody is told */
    if (c->on_change)
        c->on_change(c->arg, type, o); /* may free c: nothing after it */
}

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

static int cache_count(kube_reader_t *r, kube_kind_t kind, const char *ns,
                       size_t *n, kube_status_t *st)
{
    kube_cache_t *c = r->impl;
    SIM_ASSERT((unsigned)kind < KUBE_KIND__COUNT);
    return kube__idx_count(&c->idx[kind], ns, n, st);
}

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
    c->reader.count = cache_count;
    c->reader.impl = c;
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
    *out = c;
    return 0;
}

/* Unsubscribes and frees the copy; safe inside on_change.  NULL is a
 * no-op.  The store must still exist. */
void kube_cache_free(kube_cache_t *c)
{
    int k;
    if (!c)
        return;
    if (c->watch_id > 0)
        kube_unwatch(c->s, c->watch_id);
    for (k = 0; k < KUBE_KIND__COUNT; k++)
        kube__idx_free(&c->idx[k]);
    sim__free(c);
}

/* The cache as a reader (controller-runtime's cached client); lives as
 * long as the cache. */
kube_reader_t *kube_cache_reader(kube_cache_t *c)
{
    return &c->reader;
}
