/*
 * watcher.c: the engine's docker watcher,
 * rdd/pkg/controllers/app/engine/controllers/docker_watcher.go and
 * sync_*.go at 00f5645 (docs/rdd/docker-watcher.md).
 *
 * Models: newDockerWatcher (client on DockerEndpoint(), Ping with 5 s,
 * Info with 5 s for the Since mark, fullSync with no timeout), fullSync's
 * order and mirror naming, pruning via removeMirrorResource, the event
 * stream handlers of docs/rdd/docker-watcher.md processed one at a time (a stream that ends
 * lets the event in flight and those already received finish first), the
 * fixed exit sequence (done closed, client closed, reconcile enqueued) on
 * every exit of run(), stop() included, and fullSync's error layers
 * ("failed to sync containers: ...").  The Ping and Info context
 * deadlines fire late by rdd_timer_late ("rdd.<inst>.watcher.timers").  Mirrors carry
 * the answering daemon's ID as simulator-only provenance (invariant S2).
 * Deviations (timing only): retry-on-conflict retries at once instead of
 * 10 ms apart; Docker contexts (docs/rdd/docker-contexts.md) are not modelled
 * yet.  Container actions (docs/rdd/docker-watcher.md) are not modelled yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdd.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

typedef enum {
    W_PING,
    W_INFO,
    W_C_LIST,
    W_C_INSPECT,
    W_I_LIST,
    W_I_INSPECT,
    W_V_LIST,
    W_RUNNING,
    W_DONE,
} wphase_t;

typedef struct wev {
    dock_event_t ev;
    struct wev *next;
} wev_t;

struct rdd_watcher {
    rdd_instance_t *inst;
    moby_client_t cli;
    wphase_t phase;
    rdd_watcher_start_cb start_cb;
    moby_call_t *call;        /* the request in flight */
    moby_call_t *stream;      /* the event stream */
    int64_t since_ns;
    char errs[1024];          /* fullSync's joined errors */
    char perr[1024];          /* the current sync*'s joined errors */
    const char *end_why;      /* the event stream ended: run() returns
                                 once the events received are handled */
    char daemon_id[64];       /* provenance of the answer being applied */
    char info_id[64];         /* Info.ID of the daemon this watcher's
                                 Info call reached (flag
                                 finalizer_checks_daemon) */
    dock_container_t *cs;     /* container list */
    dock_image_t *is;         /* image list */
    size_t n, i;
    char **keep;              /* names seen in Docker (pruning) */
    size_t nkeep;
    wev_t *q_head, *q_tail;   /* events waiting for the handler */
    int busy;                 /* an event handler is in flight */
    int alive;
};

static void step(rdd_watcher_t *w);
static void handle_next_event(rdd_watcher_t *w);

static void wtrace(rdd_watcher_t *w, const char *ev, const char *k,
                   const char *v)
{
    sim_trace_t *tr = sim_trace_begin(w->inst->loop, ev);
    sim_trace_str(tr, "inst", w->inst->id.name);
    if (k)
        sim_trace_str(tr, k, v);
    sim_trace_end(tr);
}

void rdd_errs_join(char *errs, size_t len, const char *msg)
{
    size_t n = strlen(errs);
    snprintf(errs + n, len - n, "%s%s", n ? "\n" : "", msg);
}

static kube_reader_t *cache(rdd_watcher_t *w)
{
    return kube_cache_reader(w->inst->engine.cache);
}

/* mirror naming ------------------------------------------------------------*/

/* sync_images.go:38-48 */
static void image_mirror_name(const char *id, const char *tag, char *out)
{
    char buf[DOCK_ID_MAX + DOCK_REF_MAX + 1], hex[65];
    size_t n = strlen(id);
    memcpy(buf, id, n);
    if (tag) {
        buf[n] = 0;
        memcpy(buf + n + 1, tag, strlen(tag));
        n += 1 + strlen(tag);
    }
    dock_sha256_hex(buf, n, hex);
    snprintf(out, KUBE_NAME_MAX, "img-%s", hex);
}

/* sync_volumes.go:31-34 */
static void volume_mirror_name(const char *name, char *out)
{
    char hex[65];
    dock_sha256_hex(name, strlen(name), hex);
    snprintf(out, KUBE_NAME_MAX, "vol-%s", hex);
}

/* kube writes --------------------------------------------------------------*/

/* SSA apply of {finalizers:[mirror]} then of the status; skipped for the
 * finalizer when the cached object is Terminating (sync_containers.go
 * :100-201 applyContainer; images and volumes alike). */
static int apply_mirror(rdd_watcher_t *w, kube_obj_t *o)
{
    kube_obj_t cur, meta;
    kube_status_t st;
    kube_reader_t *r = cache(w);
    int rc = r->get(r, o->kind, o->ns, o->name, &cur, &st);
    snprintf(o->provenance, sizeof(o->provenance), "%s", w->daemon_id);
    /* Flag finalizer_checks_daemon (H5): the mirror remembers its daemon.
     * A Terminating mirror keeps the daemon its delete was meant for: a
     * sync from another daemon with a same-named object (an image of the
     * same digest and tag, a volume of the same name) must not re-point
     * the pending delete at that daemon. */
    if (RDD_HAS(w->inst->flags, FINALIZER_CHECKS_DAEMON) && w->info_id[0]) {
        const char *was = rc == 0 && cur.deleting
                              ? kube_status_get(&cur, "daemonID")
                              : NULL;
        kube_status_set(o, "daemonID", was && was[0] ? was : w->info_id);
    }
    if (rc == SIM_ENOTFOUND || (rc == 0 && !cur.deleting)) {
        kube_obj_init(&meta, o->kind, o->ns, o->name);
        kube_add_finalizer(&meta, RDD_MIRROR_FINALIZER);
        snprintf(meta.provenance, sizeof(meta.provenance), "%s",
                 w->daemon_id);
        rc = kube_apply(w->inst->api, &meta, 0, &st);
        if (rc)
            return rc;
    }
    return kube_apply(w->inst->api, o, 1, &st);
}

/* docker_watcher.go:324-345 removeMirrorResource: retry-on-conflict {cached
 * Get (NotFound -> done), strip the finalizer, Update}: its failure is
 * "failed to remove finalizer from <name>: <err>" (:342); then Delete with
 * NotFound ignored, its error unwrapped.  Never calls Docker.  err (may be
 * NULL) gets the error's text. */
static int remove_mirror(rdd_watcher_t *w, kube_kind_t kind, const char *name,
                         char *err, size_t errlen)
{
    kube_reader_t *r = cache(w);
    kube_status_t st;
    kube_obj_t o;
    int rc = 0, tries;
    memset(&st, 0, sizeof(st));
    for (tries = 0; tries < 5; tries++) {
        rc = r->get(r, kind, w->inst->engine.api_ns, name, &o, &st);
        if (rc == SIM_ENOTFOUND) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        if (!kube_remove_finalizer(&o, RDD_MIRROR_FINALIZER))
            break;
        rc = kube_update(w->inst->api, &o, &st);
        if (rc != SIM_ECONFLICT)
            break;
    }
    if (rc && rc != SIM_ENOTFOUND) {
        if (err)
            snprintf(err, errlen, "failed to remove finalizer from %s: %s",
                     name, st.message);
        return rc;
    }
    rc = kube_delete(w->inst->api, kind, w->inst->engine.api_ns, name, &st);
    if (rc == SIM_ENOTFOUND)
        return 0;
    if (rc && err)
        snprintf(err, errlen, "%s", st.message);
    return rc;
}

static void apply_container(rdd_watcher_t *w, const dock_container_t *c)
{
    kube_obj_t o;
    const char *nm = c->name[0] == '/' ? c->name + 1 : c->name;
    const char *slash = strchr(nm, '/');
    char ns[KUBE_VAL_MAX];
    kube_obj_init(&o, KUBE_CONTAINER, w->inst->engine.api_ns, c->id);
    /* sync_containers.go:206-213: "ns/name" splits, else namespace moby. */
    if (slash) {
        snprintf(ns, sizeof(ns), "%.*s", (int)(slash - nm), nm);
        kube_status_set(&o, "name", slash + 1);
    } else {
        snprintf(ns, sizeof(ns), "%s", RDD_CONTAINER_NS);
        kube_status_set(&o, "name", nm);
    }
    kube_status_set(&o, "namespace", ns);
    kube_status_set(&o, "image", c->image);
    kube_status_set(&o, "status", c->state);
    if (apply_mirror(w, &o))
        wtrace(w, "rdd.watcher.apply_fail", "name", c->id);
}

static void apply_image(rdd_watcher_t *w, const dock_image_t *im)
{
    kube_obj_t o;
    int t;
    for (t = 0; t < (im->ntags ? im->ntags : 1); t++) {
        char name[KUBE_NAME_MAX];
        image_mirror_name(im->id, im->ntags ? im->tags[t] : NULL, name);
        kube_obj_init(&o, KUBE_IMAGE, w->inst->engine.api_ns, name);
        kube_status_set(&o, "id", im->id);
        if (im->ntags)
            kube_status_set(&o, "repoTag", im->tags[t]);
        kube_status_set(&o, "namespace", RDD_CONTAINER_NS);
        if (apply_mirror(w, &o))
            wtrace(w, "rdd.watcher.apply_fail", "name", name);
    }
}

static void apply_volume(rdd_watcher_t *w, const dock_volume_t *v)
{
    kube_obj_t o;
    char name[KUBE_NAME_MAX];
    volume_mirror_name(v->name, name);
    kube_obj_init(&o, KUBE_VOLUME, w->inst->engine.api_ns, name);
    kube_status_set(&o, "name", v->name);
    kube_status_set(&o, "namespace", RDD_CONTAINER_NS);
    kube_status_set(&o, "driver", v->driver);
    if (apply_mirror(w, &o))
        wtrace(w, "rdd.watcher.apply_fail", "name", name);
}

/* pruning ------------------------------------------------------------------*/

static void keep_clear(rdd_watcher_t *w)
{
    size_t i;
    for (i = 0; i < w->nkeep; i++)
        sim__free(w->keep[i]);
    SIM_FREE(w->keep);
    w->nkeep = 0;
}

static void keep_add(rdd_watcher_t *w, const char *name)
{
    char **k = sim__realloc(w->keep, (w->nkeep + 1) * sizeof(*k));
    if (!k)
        return;
    w->keep = k;
    if ((k[w->nkeep] = sim__strdup(name)) != NULL)
        w->nkeep++;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* keep is sorted by prune() before it is searched. */
static int keep_has(rdd_watcher_t *w, const char *name)
{
    return w->nkeep &&
           bsearch(&name, w->keep, w->nkeep, sizeof(*w->keep), cmp_name);
}

typedef struct {
    rdd_watcher_t *w;
    rdd_names_t l;
} stale_t;

static int collect_stale(void *arg, const kube_obj_t *o)
{
    stale_t *s = arg;
    /* Flag sweep_only_owned (H13): objects without our finalizer are not
     * ours to prune. */
    if (RDD_HAS(s->w->inst->flags, SWEEP_ONLY_OWNED) &&
        !kube_has_finalizer(o, RDD_MIRROR_FINALIZER))
        return 0;
    return keep_has(s->w, o->name) ? 0 : rdd_names_push(&s->l, o->name);
}

/* Removes every mirror of kind (all objects in apiNamespace) whose name is
 * not in keep (sync_containers.go:61-76 and the image/volume twins): a
 * List error ("failed to list Containers: ...") returns at once, removal
 * errors are joined; both go to perr, the sync*'s error. */
static void prune(rdd_watcher_t *w, kube_kind_t kind, const char *what)
{
    stale_t s = {w, {NULL, 0, 0}};
    kube_status_t st;
    kube_reader_t *r = cache(w);
    size_t i;
    char msg[256];
    int rc;
    if (w->nkeep)
        qsort(w->keep, w->nkeep, sizeof(*w->keep), cmp_name);
    memset(&st, 0, sizeof(st));
    rc = r->list(r, kind, w->inst->engine.api_ns, collect_stale, &s, &st);
    if (rc) {
        snprintf(msg, sizeof(msg), "failed to list %s: %s", what, st.message);
        rdd_errs_join(w->perr, sizeof(w->perr), msg);
        s.l.n = 0;
    }
    for (i = 0; i < s.l.n; i++)
        if (remove_mirror(w, kind, s.l.names[i], msg, sizeof(msg)))
            rdd_errs_join(w->perr, sizeof(w->perr), msg);
    sim__free(s.l.names);
    keep_clear(w);
}

/* the creation and sync machine ---------------------------------------------*/

/* docker_watcher.go:609-630 fullSync: each sync*'s error wrapped as
 * "failed to sync <what>: " (:616-625) and joined. */
static void sync_done(rdd_watcher_t *w, const char *what)
{
    char msg[sizeof(w->perr) + 64];
    if (w->perr[0]) {
        snprintf(msg, sizeof(msg), "failed to sync %s: %s", what, w->perr);
        rdd_errs_join(w->errs, sizeof(w->errs), msg);
    }
    w->perr[0] = 0;
}

static int request(rdd_watcher_t *w, dock_op_t op, const char *ref,
                   uint64_t timeout_ns, moby_cb cb)
{
    dock_req_t req;
    memset(&req, 0, sizeof(req));
    req.op = op;
    if (ref)
        snprintf(req.ref, sizeof(req.ref), "%s", ref);
    return moby_do(&w->cli, &req, timeout_ns, cb, w, &w->call);
}

static void fail_start(rdd_watcher_t *w, const char *msg)
{
    rdd_watcher_start_cb cb = w->start_cb;
    rdd_instance_t *inst = w->inst;
    w->phase = W_DONE;
    w->alive = 0;
    wtrace(w, "rdd.watcher.start_fail", "err", msg);
    cb(inst, SIM_ESTATE, msg);
}

static void on_answer(void *arg, int status, const dock_resp_t *resp,
                      const void *items, const char *msg);

static void on_event(void *arg, const dock_event_t *ev, const char *daemon_id);
static void on_stream_end(void *arg, int status, const dock_resp_t *resp,
                          const void *items, const char *msg);

/* docker_watcher.go:609-630 fullSync then :148 run(since). */
static void finish_sync(rdd_watcher_t *w)
{
    char msg[1100];
    if (w->errs[0]) {
        snprintf(msg, sizeof(msg), "failed to perform initial sync: %s",
                 w->errs);
        fail_start(w, msg);
        return;
    }
    wtrace(w, "rdd.watcher.synced", NULL, NULL);
    w->phase = W_RUNNING;
    if (moby_events(&w->cli, w->since_ns, on_event, on_stream_end, w,
                    &w->stream) != 0) {
        fail_start(w, "failed to subscribe to events");
        return;
    }
    w->start_cb(w->inst, 0, "");
}

static void step(rdd_watcher_t *w)
{
    int rc = 0;
    switch (w->phase) {
    case W_PING:
        rc = request(w, DOCK_OP_PING, NULL,
                     RDD_PING_TIMEOUT_NS +
                         rdd_timer_late(w->inst,
                                        &w->inst->engine.watch_late_rng),
                     on_answer);
        break;
    case W_INFO:
        rc = request(w, DOCK_OP_INFO, NULL,
                     RDD_INFO_TIMEOUT_NS +
                         rdd_timer_late(w->inst,
                                        &w->inst->engine.watch_late_rng),
                     on_answer);
        break;
    case W_C_LIST: {
        /* sync_namespace.go:20-25: the ContainerNamespace first. */
        kube_obj_t o;
        kube_status_t st;
        kube_obj_init(&o, KUBE_CONTAINER_NS, w->inst->engine.api_ns,
                      RDD_CONTAINER_NS);
        /* ground truth for S2/S16: the sync produced it */
        snprintf(o.provenance, sizeof(o.provenance), "%s", w->daemon_id);
        memset(&st, 0, sizeof(st));
        if (kube_apply(w->inst->api, &o, 0, &st)) {
            snprintf(w->perr, sizeof(w->perr), "%s", st.message);
            sync_done(w, "container namespace");
        }
        rc = request(w, DOCK_OP_CONTAINER_LIST, NULL, 0, on_answer);
        break;
    }
    case W_C_INSPECT:
        if (w->i >= w->n) {
            SIM_FREE(w->cs);
            prune(w, KUBE_CONTAINER, "Containers");
            sync_done(w, "containers");
            w->phase = W_I_LIST;
            step(w);
            return;
        }
        rc = request(w, DOCK_OP_CONTAINER_INSPECT, w->cs[w->i].id, 0,
                     on_answer);
        break;
    case W_I_LIST:
        rc = request(w, DOCK_OP_IMAGE_LIST, NULL, 0, on_answer);
        break;
    case W_I_INSPECT:
        if (w->i >= w->n) {
            SIM_FREE(w->is);
            prune(w, KUBE_IMAGE, "Images");
            sync_done(w, "images");
            w->phase = W_V_LIST;
            step(w);
            return;
        }
        rc = request(w, DOCK_OP_IMAGE_INSPECT, w->is[w->i].id, 0, on_answer);
        break;
    case W_V_LIST:
        rc = request(w, DOCK_OP_VOLUME_LIST, NULL, 0, on_answer);
        break;
    case W_RUNNING:
    case W_DONE:
        return;
    }
    if (rc)
        fail_start(w, sim_strerror(rc));
}

static void on_answer(void *arg, int status, const dock_resp_t *resp,
                      const void *items, const char *msg)
{
    rdd_watcher_t *w = arg;
    char text[600];
    size_t k;
    int http_err = status == 0 && resp->http >= 400;
    w->call = NULL;
    if (status == SIM_ECANCELED)
        return;
    if (http_err)
        moby_http_error(resp, text, sizeof(text));
    else
        snprintf(text, sizeof(text), "%s", msg);
    if (status == 0)
        snprintf(w->daemon_id, sizeof(w->daemon_id), "%s", resp->daemon_id);
    switch (w->phase) {
    case W_PING:
        if (status || http_err) {
            char m[700];
            snprintf(m, sizeof(m), "failed to ping Docker: %s", text);
            fail_start(w, m);
            return;
        }
        w->phase = W_INFO;
        break;
    case W_INFO:
        /* Info's body carries the daemon's ID (moby system.Info.ID). */
        if (status == 0 && !http_err)
            snprintf(w->info_id, sizeof(w->info_id), "%s", resp->daemon_id);
        /* :107-122: daemon clock in whole seconds; on failure host time
         * minus 2 minutes. */
        if (status || http_err)
            w->since_ns = (int64_t)sim_now(w->inst->loop) -
                          (int64_t)(120 * SIM_NS_PER_S);
        else
            w->since_ns = resp->system_time_ns / (int64_t)SIM_NS_PER_S *
                          (int64_t)SIM_NS_PER_S;
        w->phase = W_C_LIST;
        break;
    case W_C_LIST:
        if (status || http_err) {
            char m[700];
            snprintf(m, sizeof(m), "failed to list containers: %s", text);
            rdd_errs_join(w->perr, sizeof(w->perr), m);
            sync_done(w, "containers");
            w->phase = W_I_LIST;
            break;
        }
        w->n = resp->nitems;
        w->i = 0;
        w->cs = sim__calloc(w->n ? w->n : 1, sizeof(*w->cs));
        if (!w->cs) {
            fail_start(w, "out of memory");
            return;
        }
        memcpy(w->cs, items, w->n * sizeof(*w->cs));
        for (k = 0; k < w->n; k++)
            keep_add(w, w->cs[k].id);
        w->phase = W_C_INSPECT;
        break;
    case W_C_INSPECT:
        /* syncContainer: NotFound skips; other errors are logged. */
        if (status == 0 && !http_err && resp->nitems == 1)
            apply_container(w, items);
        else
            wtrace(w, "rdd.watcher.skip", "err", text);
        w->i++;
        break;
    case W_I_LIST:
        if (status || http_err) {
            char m[700];
            snprintf(m, sizeof(m), "failed to list images: %s", text);
            rdd_errs_join(w->perr, sizeof(w->perr), m);
            sync_done(w, "images");
            w->phase = W_V_LIST;
            break;
        }
        w->n = resp->nitems;
        w->i = 0;
        w->is = sim__calloc(w->n ? w->n : 1, sizeof(*w->is));
        if (!w->is) {
            fail_start(w, "out of memory");
            return;
        }
        memcpy(w->is, items, w->n * sizeof(*w->is));
        /* Names seeded from the list, so a failing inspect prunes nothing
         * (sync_images.go:54-95). */
        for (k = 0; k < w->n; k++) {
            const dock_image_t *im = &w->is[k];
            int t;
            char name[KUBE_NAME_MAX];
            for (t = 0; t < (im->ntags ? im->ntags : 1); t++) {
                image_mirror_name(im->id, im->ntags ? im->tags[t] : NULL,
                                  name);
                keep_add(w, name);
            }
        }
        w->phase = W_I_INSPECT;
        break;
    case W_I_INSPECT:
        if (status == 0 && !http_err && resp->nitems == 1)
            apply_image(w, items);
        else
            wtrace(w, "rdd.watcher.skip", "err", text);
        w->i++;
        break;
    case W_V_LIST:
        if (status || http_err) {
            char m[700];
            snprintf(m, sizeof(m), "failed to list volumes: %s", text);
            rdd_errs_join(w->perr, sizeof(w->perr), m);
        } else {
            const dock_volume_t *v = items;
            char name[KUBE_NAME_MAX];
            for (k = 0; k < resp->nitems; k++) {
                volume_mirror_name(v[k].name, name);
                keep_add(w, name);
                apply_volume(w, &v[k]);
            }
            prune(w, KUBE_VOLUME, "Volumes");
        }
        sync_done(w, "volumes");
        finish_sync(w);
        return;
    default:
        SIM_ASSERT(0);
    }
    step(w);
}

/* the event stream ---------------------------------------------------------*/

static void queue_event(rdd_watcher_t *w, const dock_event_t *ev)
{
    wev_t *e = sim__calloc(1, sizeof(*e));
    if (!e)
        return;
    e->ev = *ev;
    if (w->q_tail)
        w->q_tail->next = e;
    else
        w->q_head = e;
    w->q_tail = e;
}

static void on_event(void *arg, const dock_event_t *ev, const char *daemon_id)
{
    rdd_watcher_t *w = arg;
    snprintf(w->daemon_id, sizeof(w->daemon_id), "%s", daemon_id);
    queue_event(w, ev);
    if (!w->busy)
        handle_next_event(w);
}

/* docker_watcher.go:150-170: the deferred exit sequence. */
static void watcher_exit(rdd_watcher_t *w, const char *why)
{
    if (!w->alive)
        return;
    w->alive = 0;          /* (1) close done */
    if (w->call) {         /* (2) close the client */
        moby_cancel(w->call);
        w->call = NULL;
    }
    if (w->stream) {
        moby_cancel(w->stream);
        w->stream = NULL;
    }
    wtrace(w, "rdd.watcher.exit", "why", why);
    rdd_engine_enqueue(w->inst); /* (3) non-blocking enqueue */
}

/* docker_watcher.go:182-212: the stream's end reaches run()'s select only
 * after the handleEvent in flight returned and the events already
 * received were handed over (the client's decoder sends them one by one
 * on an unbuffered channel before it reports the error), so those are
 * handled first; then run() returns. */
static void on_stream_end(void *arg, int status, const dock_resp_t *resp,
                          const void *items, const char *msg)
{
    rdd_watcher_t *w = arg;
    w->stream = NULL;
    if (status == SIM_ECANCELED)
        return;
    w->end_why = status == SIM_EPIPE ? "Docker event stream closed"
                                     : "Docker event stream error";
    if (!w->busy && !w->q_head)
        watcher_exit(w, w->end_why);
}

static int ev_is(const dock_event_t *ev, const char *type,
                 const char *const *actions)
{
    if (strcmp(ev->type, type))
        return 0;
    for (; *actions; actions++)
        if (!strcmp(ev->action, *actions))
            return 1;
    return 0;
}

typedef struct {
    const char *id;
    char (*names)[KUBE_NAME_MAX];
    size_t n, cap;
    char (*keep)[KUBE_NAME_MAX];
    size_t nkeep;
} by_id_t;

static int collect_by_id(void *arg, const kube_obj_t *o)
{
    by_id_t *b = arg;
    const char *sid = kube_status_get(o, "id");
    size_t i;
    if (!sid || strcmp(sid, b->id))
        return 0;
    for (i = 0; i < b->nkeep; i++)
        if (!strcmp(b->keep[i], o->name))
            return 0;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        void *p = sim__realloc(b->names, cap * sizeof(*b->names));
        if (!p)
            return 1;
        b->names = p;
        b->cap = cap;
    }
    snprintf(b->names[b->n++], KUBE_NAME_MAX, "%s", o->name);
    return 0;
}

/* sync_images.go:253-267 removeImagesByID (keep: the current tags' mirrors,
 * for reconcileImageByID :207-243). */
static void remove_images_by_id(rdd_watcher_t *w, const char *id,
                                const dock_image_t *cur)
{
    char keep[DOCK_TAGS_MAX + 1][KUBE_NAME_MAX];
    by_id_t b = {id, NULL, 0, 0, keep, 0};
    kube_status_t st;
    kube_reader_t *r = cache(w);
    size_t i;
    if (cur) {
        int t;
        for (t = 0; t < (cur->ntags ? cur->ntags : 1); t++)
            image_mirror_name(cur->id, cur->ntags ? cur->tags[t] : NULL,
                              keep[b.nkeep++]);
    }
    (void)r->list(r, KUBE_IMAGE, w->inst->engine.api_ns, collect_by_id, &b,
                  &st);
    for (i = 0; i < b.n; i++)
        (void)remove_mirror(w, KUBE_IMAGE, b.names[i], NULL, 0);
    sim__free(b.names);
}

static void on_event_answer(void *arg, int status, const dock_resp_t *resp,
                            const void *items, const char *msg)
{
    rdd_watcher_t *w = arg;
    wev_t *e = w->q_head;
    w->call = NULL;
    if (status == SIM_ECANCELED)
        return;
    SIM_ASSERT(e != NULL);
    if (status == 0)
        snprintf(w->daemon_id, sizeof(w->daemon_id), "%s", resp->daemon_id);
    if (status == 0 && resp->http < 400 && resp->nitems == 1) {
        if (!strcmp(e->ev.type, "container"))
            apply_container(w, items);
        else if (!strcmp(e->ev.type, "image")) {
            apply_image(w, items);
            remove_images_by_id(w, e->ev.actor_id, items);
        } else
            apply_volume(w, items);
    } else if (status == 0 && resp->http == 404 &&
               !strcmp(e->ev.type, "image")) {
        remove_images_by_id(w, e->ev.actor_id, NULL);
    } else if (status) {
        wtrace(w, "rdd.watcher.event_fail", "err", msg);
    }
    w->q_head = e->next;
    if (!w->q_head)
        w->q_tail = NULL;
    sim__free(e);
    w->busy = 0;
    if (w->alive)
        handle_next_event(w);
}

/* docker_watcher.go:228-315: the event -> Kubernetes write map.  One event
 * at a time; handler errors are logged and dropped. */
static void handle_next_event(rdd_watcher_t *w)
{
    static const char *const c_sync[] = {"create", "start", "stop",
                                         "die", "pause", "unpause",
                                         "restart", "rename", NULL};
    static const char *const c_destroy[] = {"destroy", NULL};
    static const char *const i_sync[] = {"pull", "import", "load", "tag",
                                         "untag", NULL};
    static const char *const i_delete[] = {"delete", NULL};
    static const char *const v_create[] = {"create", NULL};
    static const char *const v_destroy[] = {"destroy", NULL};
    while (w->q_head && w->alive) {
        wev_t *e = w->q_head;
        const dock_event_t *ev = &e->ev;
        dock_op_t op = 0;
        if (ev_is(ev, "container", c_sync))
            op = DOCK_OP_CONTAINER_INSPECT;
        else if (ev_is(ev, "image", i_sync))
            op = DOCK_OP_IMAGE_INSPECT;
        else if (ev_is(ev, "volume", v_create))
            op = DOCK_OP_VOLUME_INSPECT;
        if (op) {
            w->busy = 1;
            if (request(w, op, ev->actor_id, 0, on_event_answer) == 0)
                return;
            w->busy = 0;
        } else if (ev_is(ev, "container", c_destroy)) {
            (void)remove_mirror(w, KUBE_CONTAINER, ev->actor_id, NULL, 0);
        } else if (ev_is(ev, "image", i_delete)) {
            remove_images_by_id(w, ev->actor_id, NULL);
        } else if (ev_is(ev, "volume", v_destroy)) {
            char name[KUBE_NAME_MAX];
            volume_mirror_name(ev->actor_id, name);
            (void)remove_mirror(w, KUBE_VOLUME, name, NULL, 0);
        }
        w->q_head = e->next;
        if (!w->q_head)
            w->q_tail = NULL;
        sim__free(e);
    }
    if (w->alive && !w->q_head && w->end_why)
        watcher_exit(w, w->end_why);
}

/* public -------------------------------------------------------------------*/

/* docker_watcher.go:53-103 newDockerWatcher. */
int rdd_watcher_new(rdd_instance_t *inst, rdd_watcher_start_cb cb,
                    rdd_watcher_t **out)
{
    rdd_watcher_t *w = sim__calloc(1, sizeof(*w));
    if (!w)
        return SIM_ENOMEM;
    w->inst = inst;
    w->cli.loop = inst->loop;
    w->cli.pipes = inst->pipes;
    w->cli.socks = inst->socks;
    snprintf(w->cli.endpoint, sizeof(w->cli.endpoint), "%s",
             inst->id.docker_endpoint);
    snprintf(w->cli.client, sizeof(w->cli.client), "%s", inst->id.name);
    w->cli.proc = inst->proc;
    w->cli.swallowed = &inst->bridge.fail_seq;
    w->start_cb = cb;
    w->alive = 1;
    w->phase = W_PING;
    *out = w;
    wtrace(w, "rdd.watcher.new", "endpoint", w->cli.endpoint);
    step(w);
    return 0;
}

const char *rdd_watcher_daemon_id(const rdd_watcher_t *w)
{
    return w->info_id;
}

int rdd_watcher_alive(const rdd_watcher_t *w)
{
    return w->alive;
}

/* docker_watcher.go:127-130 stop(): cancel + wait for done.  A run()
 * goroutine that was still running returns on ctx.Done() (:183-185) and
 * its deferred exit sequence (:150-170) enqueues a reconcile (:161) like
 * any other exit; a watcher whose start failed never ran run(). */
void rdd_watcher_stop(rdd_watcher_t *w)
{
    w->start_cb = NULL;
    if (w->alive) {
        int running = w->phase == W_RUNNING;
        w->alive = 0;
        if (w->call)
            moby_cancel(w->call);
        if (w->stream)
            moby_cancel(w->stream);
        wtrace(w, "rdd.watcher.stop", NULL, NULL);
        if (running)
            rdd_engine_enqueue(w->inst);
    }
    while (w->q_head) {
        wev_t *e = w->q_head;
        w->q_head = e->next;
        sim__free(e);
    }
    keep_clear(w);
    sim__free(w->cs);
    sim__free(w->is);
    sim__free(w);
}

typedef struct {
    rdd_instance_t *inst;
    rdd_remove_cb cb;         /* NULL: abandoned (the process died) */
    moby_call_t *call;
} remove_ctx_t;

static void on_remove(void *arg, int status, const dock_resp_t *resp,
                      const void *items, const char *msg)
{
    remove_ctx_t *rc = arg;
    char text[600];
    int err = status;
    if (status == 0 && resp->http >= 400 && resp->http != 404) {
        moby_http_error(resp, text, sizeof(text));
        err = resp->err ? resp->err : SIM_ESERVER;
    } else {
        /* NotFound counts as success (docker_watcher.go:574-604). */
        snprintf(text, sizeof(text), "%s", status ? msg : "");
    }
    if (rc->cb) {
        if (rc->inst->engine.remove == rc)
            rc->inst->engine.remove = NULL;
        rc->cb(rc->inst, err, text);
    }
    sim__free(rc);
}

void rdd_watcher_remove_abandon(rdd_instance_t *inst)
{
    remove_ctx_t *rc = inst->engine.remove;
    if (!rc)
        return;
    inst->engine.remove = NULL;
    rc->cb = NULL;
    moby_cancel(rc->call); /* on_remove frees rc */
}

/* docker_watcher.go:574-604 deleteContainer / deleteImage / deleteVolume. */
int rdd_watcher_remove(rdd_watcher_t *w, dock_op_t op, const char *ref,
                       int force, rdd_remove_cb cb)
{
    dock_req_t req;
    remove_ctx_t *rc = sim__calloc(1, sizeof(*rc));
    int err;
    if (!rc)
        return SIM_ENOMEM;
    rc->inst = w->inst;
    rc->cb = cb;
    memset(&req, 0, sizeof(req));
    req.op = op;
    req.force = force;
    snprintf(req.ref, sizeof(req.ref), "%s", ref);
    err = moby_do(&w->cli, &req, 0, on_remove, rc, &rc->call);
    if (err)
        sim__free(rc);
    else
        w->inst->engine.remove = rc;
    return err;
}
