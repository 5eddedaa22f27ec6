/*
 * kube.h: a Kubernetes-style apiserver as RDD's controllers see it.
 *
 * What it models (docs/platform.md#kube-apiserver-and-client-go):
 * - an authoritative store (etcd) with one uint64 resourceVersion counter,
 *   objects with uid, generation, finalizers, deletionTimestamp, spec fields,
 *   status fields and metav1.Conditions;
 * - writes: create, update (409 when metadata.resourceVersion is stale),
 *   merge patch (no resourceVersion: never 409),
 *   status update (the /status subresource: never bumps generation), SSA
 *   apply (create-or-merge, force), delete (with finalizers: sets
 *   deletionTimestamp and bumps generation; the last finalizer removed by an
 *   update deletes the object); a no-op update writes nothing and sends no
 *   event;
 * - watch: every committed change is offered to each subscriber (ADDED /
 *   MODIFIED / DELETED) on a later turn, in commit order within a kind;
 * - the apiserver's watch caches between etcd and every watch, one watch
 *   cache per resource type (kube-apiserver's cacher per kind): each
 *   commit gets one time at which its kind's cache applies it (a per-event
 *   lag, spike windows that may name kinds, the kube.cache.freeze fault),
 *   every subscriber receives it then, a lagging kind never holds back
 *   another kind's events, and a consistent LIST waits up to 3 s for the
 *   cache (of its kind, or of every kind) to catch up;
 * - readers: kube_reader_t is one read interface with two implementations,
 *   the store itself (GET and controller-runtime's APIReader) and an
 *   informer cache fed by a watch (client.Get / client.List); the informer
 *   relists after 410 Expired (the kube.watch.expired fault).
 * What it leaves out: field managers other than the finalizer list, label
 * and field selectors, pagination, admission webhooks.
 *
 * All calls are synchronous and return 0 or a negative SIM_E* code; with a
 * non-NULL kube_status_t they also fill the exact apiserver message.
 * Objects are plain structs copied in and out; the store owns its copies.
 */
#ifndef KUBE_H
#define KUBE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/loop.h"

#define KUBE_NAME_MAX 96
#define KUBE_NS_MAX 64
#define KUBE_KEY_MAX 40
#define KUBE_VAL_MAX 200
#define KUBE_MSG_MAX 1024
#define KUBE_FIELDS_MAX 12
#define KUBE_FINALIZERS_MAX 4
#define KUBE_CONDS_MAX 8

typedef enum {
    KUBE_APP = 0,       /* apps.rancherdesktop.io App (singleton "app") */
    KUBE_CONTAINER,     /* containers.rancherdesktop.io Container */
    KUBE_IMAGE,         /* Image */
    KUBE_VOLUME,        /* Volume */
    KUBE_CONTAINER_NS,  /* ContainerNamespace */
    KUBE_LIMAVM,        /* lima.rancherdesktop.io LimaVM ("rd") */
    KUBE_CONFIGMAP,     /* core ConfigMap ("rd", "rd-template") */
    KUBE_KIND__COUNT
} kube_kind_t;

typedef struct {
    char key[KUBE_KEY_MAX]; /* "running", "containerEngine.name", "id" */
    char val[KUBE_VAL_MAX];
} kube_field_t;

typedef struct {
    char type[32];          /* "ContainerEngineReady" */
    char status[8];         /* "True" | "False" | "Unknown" */
    char reason[40];
    char message[KUBE_MSG_MAX];  /* long enough for RDD's joined errors */
    int64_t observed_gen;
    uint64_t last_transition_ns;
    uint64_t reason_since_ns;    /* when status or reason last changed (not
                                    in the API: for the run's stall lines) */
} kube_cond_t;

typedef struct {
    kube_kind_t kind;
    char ns[KUBE_NS_MAX];       /* "" for cluster-scoped (App) */
    char name[KUBE_NAME_MAX];
    uint64_t uid;               /* set by create */
    uint64_t rv;                /* resourceVersion: set by every write */
    int64_t generation;         /* 1 at create; spec changes and delete +1 */
    int deleting;               /* deletionTimestamp set */
    uint64_t deletion_ns;
    int nfin;
    char fin[KUBE_FINALIZERS_MAX][64];
    int nspec;
    kube_field_t spec[KUBE_FIELDS_MAX];
    int nstatus;
    kube_field_t status[KUBE_FIELDS_MAX];
    int nconds;
    kube_cond_t conds[KUBE_CONDS_MAX];
    char provenance[64];        /* simulator-only ground truth, never read by
                                   models: the daemon ID a mirror's data came
                                   from (invariant S2).  Taken by create,
                                   apply and update_status when non-empty;
                                   a change of it is a write */
} kube_obj_t;

typedef struct {
    int http;                   /* 200, 404, 409, 422, 429, 500 ... */
    char reason[32];            /* "NotFound", "Conflict", ... */
    char message[320];          /* the apiserver's message, verbatim */
} kube_status_t;

typedef enum { KUBE_ADDED, KUBE_MODIFIED, KUBE_DELETED } kube_event_type_t;

/* A committed change.  obj is the new state (the last state for DELETED). */
typedef void (*kube_watch_cb)(void *arg, kube_event_type_t type,
                              const kube_obj_t *obj);

typedef struct kube_store kube_store_t;

/* A window of commit times whose events (of the kinds in kinds) lag at
 * least lag_ns. */
typedef struct {
    uint64_t from_ns;           /* public: window start */
    uint64_t to_ns;             /* public: window end (exclusive) */
    uint64_t lag_ns;            /* public: minimum lag inside it */
    uint32_t kinds;             /* public: bit (1u << kube_kind_t) per kind
                                   it applies to; 0 = every kind (bits of
                                   no kind select nothing) */
} kube_lag_spike_t;

/* Defined since kube_lag_spike_t has kinds (for code built either way). */
#define KUBE_LAG_SPIKE_HAS_KINDS 1

#define KUBE_LAG_SPIKES_MAX 8

/* How far the watch caches trail etcd (docs/platform.md; fault
 * site kube.etcd.slow).  All zero: no lag. */
typedef struct {
    uint64_t lag_min_ns;        /* public: per-event lag, uniform in */
    uint64_t lag_max_ns;        /* public: [min, max], stream
                                   "kube.<store>.lag" */
    kube_lag_spike_t spikes[KUBE_LAG_SPIKES_MAX]; /* public */
    int nspikes;                /* public: 0..KUBE_LAG_SPIKES_MAX */
} kube_lag_t;

/* The longest a consistent LIST (RV unset) waits for the watch cache
 * before it is served from etcd (ConsistentListFromCache, KEP-2340). */
#define KUBE_CONSISTENT_LIST_WAIT_MAX_NS (3 * SIM_NS_PER_S)

/* The reflector's back-off before a relist: 800 ms, doubling, capped at
 * 30 s, reset after 2 min without one (client-go reflector.go; its jitter
 * is left out). */
#define KUBE_RELIST_BACKOFF_NS (800 * SIM_NS_PER_MS)
#define KUBE_RELIST_BACKOFF_MAX_NS (30 * SIM_NS_PER_S)
#define KUBE_RELIST_BACKOFF_RESET_NS (120 * SIM_NS_PER_S)

/* Spec fields whose key starts with this are metadata.annotations, not
 * spec: written by the main endpoint, they never bump generation. */
#define KUBE_ANNOTATION_PREFIX "annotation."

/* object helpers (pure) -------------------------------------------------*/

const char *kube_kind_name(kube_kind_t k);     /* "Container" */
const char *kube_kind_resource(kube_kind_t k); /* "containers.containers.rancherdesktop.io" */
void kube_obj_init(kube_obj_t *o, kube_kind_t kind, const char *ns,
                   const char *name);
/* Field access: get returns NULL when absent; set adds or replaces
 * (SIM_ERANGE when full). */
const char *kube_spec_get(const kube_obj_t *o, const char *key);
int kube_spec_set(kube_obj_t *o, const char *key, const char *val);
const char *kube_status_get(const kube_obj_t *o, const char *key);
int kube_status_set(kube_obj_t *o, const char *key, const char *val);
int kube_has_finalizer(const kube_obj_t *o, const char *fin);
int kube_add_finalizer(kube_obj_t *o, const char *fin);
int kube_remove_finalizer(kube_obj_t *o, const char *fin); /* 1 if removed */
const kube_cond_t *kube_cond_find(const kube_obj_t *o, const char *type);
/* apimachinery SetStatusCondition: adds or updates; last_transition_ns
 * changes only when status changes (to c's, or now_ns when c's is 0).
 * Returns 1 if anything changed, 0 if not, SIM_ERANGE when a new type does
 * not fit. */
int kube_cond_set(kube_obj_t *o, const kube_cond_t *c, uint64_t now_ns);

/* store ----------------------------------------------------------------*/

/* Creates an empty store on loop.  Returns 0 or SIM_ENOMEM. */
int kube_store_new(sim_loop_t *loop, const char *name, kube_store_t **out);
/* The host:port its clients dial ("127.0.0.1:6443"; "127.0.0.1" until
 * set): the text of a refused dial names it, as the Go client's does. */
void kube_store_set_addr(kube_store_t *s, const char *hostport);
/* Frees objects and subscriptions; free the caches fed by s first.  Safe
 * inside a watch callback. */
void kube_store_free(kube_store_t *s);

/* Writes.  Each bumps the store RV and notifies watchers (later turn);
 * a write that changes nothing keeps the RV and sends no event.
 * Fault sites evaluated (target = store name): kube.update.conflict on
 * update/update_status (the path RDD's finalizer removal takes),
 * kube.apf.throttled and kube.server.error on every write.
 * Success fills st->http = 201 for a creation, 200 otherwise. */
/* POST: generation 1, a new uid; finalizers and spec are taken, status and
 * conditions are dropped (CRDs with /status).  SIM_EEXIST (409
 * AlreadyExists) if present.  On success o holds the stored state. */
int kube_create(kube_store_t *s, kube_obj_t *o, kube_status_t *st);
/* o->rv must equal the stored RV (else SIM_ECONFLICT, 409 message; rv 0 is
 * SIM_EINVALID, 422, as for every CR); spec changes bump generation;
 * status and conditions in o are ignored; removing the last finalizer of a
 * deleting object deletes it.  On success o is refreshed with the stored
 * state. */
int kube_update(kube_store_t *s, kube_obj_t *o, kube_status_t *st);
/* PATCH with a JSON merge patch of the diff orig -> mod, as
 * controller-runtime's client.MergeFrom(orig) sends it (no
 * OptimisticLock): no resourceVersion, so no precondition and never 409
 * (kube.update.conflict is not evaluated; kube.apf.throttled and
 * kube.server.error are).  status_part = 1 (/status): status fields mod
 * set or changed are written, those orig had and mod lacks are removed,
 * the conditions list is replaced whole if it differs.  status_part = 0:
 * the same for spec fields (annotations included, see
 * KUBE_ANNOTATION_PREFIX) and the finalizer list; removing the last
 * finalizer of a deleting object deletes it.  Fields the diff does not
 * mention keep their stored values.  On success mod holds the stored
 * state.  404, 422, 429, 500. */
int kube_merge_patch(kube_store_t *s, const kube_obj_t *orig, kube_obj_t *mod,
                     int status_part, kube_status_t *st);
/* The /status subresource: only status fields and conditions are taken
 * (they replace the stored ones); never bumps generation; RV checked as
 * for kube_update. */
int kube_update_status(kube_store_t *s, kube_obj_t *o, kube_status_t *st);
/* Server-side apply with force.  status_part = 0 (main endpoint): creates
 * the object if absent (finalizers and spec fields given), else merges the
 * spec fields and finalizers given in o into the stored one (nothing is
 * removed); status in o is ignored.  status_part = 1 (/status): merges
 * status fields and conditions (by type, as given), never creates
 * (SIM_ENOTFOUND when absent, like StatusREST).  SIM_EINVALID (422) when it
 * would add a finalizer to a deleting object.  No RV check. */
int kube_apply(kube_store_t *s, const kube_obj_t *o, int status_part,
               kube_status_t *st);
/* DELETE: no finalizers -> removed (DELETED event); finalizers -> sets
 * deletionTimestamp, generation+1, MODIFIED; on an object already being
 * deleted -> nothing changes (no write, no event).  SIM_ENOTFOUND if
 * absent. */
int kube_delete(kube_store_t *s, kube_kind_t kind, const char *ns,
                const char *name, kube_status_t *st);

/* Reads straight from the store (GET with RV unset, APIReader). */
int kube_get(kube_store_t *s, kube_kind_t kind, const char *ns,
             const char *name, kube_obj_t *out, kube_status_t *st);

/* Subscribes to committed changes of one kind (or all kinds with
 * KUBE_KIND__COUNT).  Events for changes committed before the call are not
 * replayed; callers list first.  One event per subscriber per loop turn,
 * each when its kind's watch cache shows it (see kube_store_set_lag): in
 * commit order
 * within a kind; across kinds, by visible time and, at the same instant,
 * in commit order (an all-kinds subscriber keeps one queue per kind, so a
 * lagging kind does not block the others).
 * Returns a watch id > 0 or SIM_ENOMEM.  kube_unwatch drops pending events
 * and is safe inside the subscriber's own callback. */
int kube_watch(kube_store_t *s, kube_kind_t kind, kube_watch_cb cb,
               void *arg);
void kube_unwatch(kube_store_t *s, int watch_id);

uint64_t kube_store_rv(const kube_store_t *s);
/* The uid the last create gave (uids grow by one per create): objects
 * with a uid up to it existed then.  For invariants. */
uint64_t kube_store_last_uid(const kube_store_t *s);
/* One synchronous observer of every commit, called inside the write with
 * the new state (the last state for DELETED), before the write returns.
 * For invariants only: it sees ground truth no model could see.  cb must
 * not write to s.  cb NULL removes it. */
void kube_store_observe(kube_store_t *s, kube_watch_cb cb, void *arg);
sim_loop_t *kube_store_loop(const kube_store_t *s);

/* The watch caches, one per resource type (kind).  Every commit gets one
 * visibility time, fixed at commit:
 *     visible = max(previous visible of that kind, commit + lag,
 *                   freeze end)
 * lag = a uniform draw in [lag_min_ns, lag_max_ns] from the stream
 * "kube.<store>.lag" (one draw per commit whatever its kind, none when
 * min == max), raised to the lag_ns of every spike whose [from_ns, to_ns)
 * holds the commit time and whose kinds holds the commit's kind (0: every
 * kind).  The fault site kube.cache.freeze (target = store name) is
 * evaluated at each commit, of every kind; when it fires and is armed
 * with a time window, visible is at least the window's to_ns (the caches
 * thaw then and apply the held events in commit order); a firing without
 * a window (chance, countdown) adds nothing.  Every subscriber receives
 * the event at its visible time, still never inside the write and one
 * event per turn.  The lag is copied;
 * it applies to commits from now on.  max < min is taken as max = min and
 * nspikes is clamped to 0..KUBE_LAG_SPIKES_MAX (the scenario parser
 * reports such input).  A zero lag is the default. */
void kube_store_set_lag(kube_store_t *s, const kube_lag_t *lag);
/* The virtual time at which every kind's watch cache will have applied
 * every change committed so far (the latest of the kinds'); now when all
 * have caught up. */
uint64_t kube_store_cache_caught_up_ns(kube_store_t *s);
/* The same for kind's watch cache alone (KUBE_KIND__COUNT: every kind, as
 * kube_store_cache_caught_up_ns). */
uint64_t kube_store_kind_caught_up_ns(kube_store_t *s, kube_kind_t kind);
/* How long a LIST with RV unset waits before it is answered: with
 * consistent_list_from_cache, until the watch cache has caught up, at most
 * KUBE_CONSISTENT_LIST_WAIT_MAX_NS (then it falls back to etcd); without
 * it, 0 (served from etcd).  Either way it returns the store's current
 * state. */
uint64_t kube_store_consistent_list_wait_ns(kube_store_t *s,
                                            int consistent_list_from_cache);
/* The same for a LIST of kind, which waits only for kind's watch cache:
 * min(kube_store_kind_caught_up_ns - now, 3 s), 0 with the flag off. */
uint64_t kube_store_consistent_list_wait_kind_ns(
    kube_store_t *s, kube_kind_t kind, int consistent_list_from_cache);

/* readers ----------------------------------------------------------------*/

/*
 * A read interface.  list and count visit objects of one kind in one
 * namespace ("" = all namespaces) in (ns, name) order.  visit returns 0 to
 * go on, 1 to stop.  list_deleting visits what list would visit with a
 * visitor that skips every object without a deletion timestamp (the same
 * objects, in the same order), without unpacking the others, and costs
 * nothing when no object of the kind is being deleted: for callers that
 * act only on objects being deleted (processFinalizers).
 */
typedef int (*kube_visit_cb)(void *arg, const kube_obj_t *o);
typedef struct kube_reader kube_reader_t;
struct kube_reader {
    int (*get)(kube_reader_t *r, kube_kind_t kind, const char *ns,
               const char *name, kube_obj_t *out, kube_status_t *st);
    int (*list)(kube_reader_t *r, kube_kind_t kind, const char *ns,
                kube_visit_cb visit, void *arg, kube_status_t *st);
    int (*list_deleting)(kube_reader_t *r, kube_kind_t kind, const char *ns,
                         kube_visit_cb visit, void *arg, kube_status_t *st);
    int (*count)(kube_reader_t *r, kube_kind_t kind, const char *ns,
                 size_t *n, kube_status_t *st);
    void *impl;
};

/* The store as a reader (controller-runtime APIReader, uncached). */
kube_reader_t *kube_store_reader(kube_store_t *s);

/* An informer cache: a local copy of every object of every kind, fed by a
 * watch on the store.  Changes reach it on a later turn than the commit
 * (at their kind's watch cache's visible time), in commit order within a
 * kind; a lagging kind does not hold back the others (client-go's one
 * informer per type).  The 410 below ends the watch of every kind at once
 * and relists them all (one reflector for the whole cache).  on_change (may be
 * NULL) is called after each applied event (controller-runtime's event
 * handlers hang here).
 * 410 Expired: the fault site kube.watch.expired (target = cache name) is
 * evaluated before each event is applied.  When it fires, the watch ends:
 * that event and every pending one are dropped, and after the reflector's
 * back-off (KUBE_RELIST_BACKOFF_NS first) the cache relists the store as
 * it is then and watches again from there.  The relist replaces the
 * contents, then calls on_change for each object that was added (ADDED),
 * changed (MODIFIED, a different rv) or is gone (DELETED with the last
 * cached state: DeletedFinalStateUnknown), kind by kind, adds and changes
 * in (ns, name) order before the deletions; unchanged objects get no call.
 * A relist that runs out of memory is retried after the next back-off. */
typedef struct kube_cache kube_cache_t;
int kube_cache_new(kube_store_t *s, const char *name, kube_watch_cb on_change,
                   void *arg, kube_cache_t **out);
void kube_cache_free(kube_cache_t *c); /* safe inside on_change */
kube_reader_t *kube_cache_reader(kube_cache_t *c);

/* controller-runtime's work queue ---------------------------------------*/

/*
 * One controller: a deduplicated queue of reconcile keys, one reconcile at a
 * time, per-key exponential back-off on error (5ms doubling, cap 1000s:
 * client-go's default controller rate limiter; the 10qps/100 bucket is not
 * modelled), immediate forget on success, RequeueAfter.
 * The reconcile function is asynchronous: it is handed a done token and
 * must call kube_ctrl_done(ctrl, key, err, requeue_after_ns) exactly once.
 */
typedef struct kube_ctrl kube_ctrl_t;
typedef void (*kube_reconcile_cb)(void *arg, kube_ctrl_t *ctrl,
                                  const char *key);

int kube_ctrl_new(sim_loop_t *loop, const char *name, kube_reconcile_cb cb,
                  void *arg, kube_ctrl_t **out);
/* Drops keys and pending re-adds; safe inside the reconcile callback (the
 * reconcile in flight must not call kube_ctrl_done afterwards). */
void kube_ctrl_free(kube_ctrl_t *c);
/* Adds key (never runs the reconcile inside this call); a key already
 * queued (not running) is not added twice; a key that is running is
 * re-queued to run once more after it finishes. */
void kube_ctrl_enqueue(kube_ctrl_t *c, const char *key);
/* err != 0: retried after the key's back-off; else requeue_after_ns > 0:
 * failures forgotten, re-added after that delay (an earlier pending re-add
 * wins); else forgotten.  A delayed re-add does not stop event-driven adds
 * from running the key meanwhile. */
void kube_ctrl_done(kube_ctrl_t *c, const char *key, int err,
                    uint64_t requeue_after_ns);
uint64_t kube_ctrl_reconciles(const kube_ctrl_t *c);

#endif
