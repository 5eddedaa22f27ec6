/*
 * front.h: the Kubernetes API over HTTP in front of the kube fake, for
 * live mode (kubectl, or any client, on a unix socket or a loopback TCP
 * port, sim/rt.h).  Real clients only: no model calls it.
 *
 * One front serves one apiserver (one store).  Which store that is, is
 * asked on every request through opts.store (an instance's datastore can
 * be replaced, and is down while its service is stopped: 503).  Served:
 *   GET /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<v>
 *     (legacy discovery: the RDD CRD kinds the fake holds, see
 *     kube_front_resource; aggregated discovery is not offered, so clients
 *     fall back to it);
 *   GET    .../<plural>[?watch=1][&resourceVersion=][&fieldSelector=]
 *          a LIST, or a WATCH as a chunked stream of JSON lines
 *          {"type":"ADDED|MODIFIED|DELETED|ERROR","object":{...}};
 *   GET    .../<plural>/<name>        from the store (etcd);
 *   DELETE .../<plural>/<name>        kube_delete (finalizers: the object
 *          stays with deletionTimestamp until they go), precondition
 *          uid/resourceVersion in a DeleteOptions body (409);
 *   PATCH  .../<plural>/<name>        application/merge-patch+json only
 *          (else 415): RFC 7386 on the object's JSON, then
 *          kube_merge_patch of spec, annotations and finalizers (status
 *          is the /status subresource's, not served); a
 *          metadata.resourceVersion in the patch is a precondition (409);
 *          a value of the wrong type for an App spec field is 422.
 * with paths /api/v1[/namespaces/<ns>]/configmaps and
 * /apis/<group>/<v>[/namespaces/<ns>]/<plural>.
 *
 * The watch cache: the front subscribes to every kind of the store the
 * first time a request needs it (a LIST or a WATCH), starting from the
 * store's state then (the apiserver's cacher initialising from etcd), and
 * after that sees each change when the store's watch cache for its kind
 * applies it (kube_store_set_lag: the lag, spikes, kube.cache.freeze).
 * LISTs and WATCHes are served from it, GETs and writes from the store:
 *   - LIST with resourceVersion unset waits, as ConsistentListFromCache
 *     does (opts.consistent_list), until the kind's cache caught up (at
 *     most 3 s, then from the store); "0" or a number: from the cache;
 *     its metadata.resourceVersion is the kind's cache RV;
 *   - WATCH with resourceVersion unset or "0": ADDED for every object in
 *     the cache, then live events; a number N: the cache's history (the
 *     last KUBE_FRONT_HISTORY events, all kinds) after N, then live; an N
 *     older than the history or than the cache itself is 200 with one
 *     ERROR event (410 Expired, "too old resource version") and the end of
 *     the stream.  fieldSelector metadata.name / metadata.namespace (=, ==)
 *     filter; other fields are 400; labelSelector is ignored (the fake
 *     keeps no labels).  A watch ends when either side closes or the
 *     store is replaced.
 * Errors are Status objects {"kind":"Status",...,"reason","code"} with
 * the apiserver's codes: 400 BadRequest, 404 NotFound, 405
 * MethodNotAllowed, 409 Conflict/AlreadyExists, 410 Expired, 415
 * UnsupportedMediaType, 422 Invalid, 429, 500, 503 ServiceUnavailable.
 * Malformed HTTP is answered as by fakes/http (400/413/414/431) and
 * closes the connection.
 *
 * Timestamps: opts.epoch_s (seconds since 1970 at virtual 0) plus
 * virtual time divided by opts.speed, so a client's ages match its wall
 * clock at any speed.  Objects have no creation time in the store: a front
 * shows the time it first saw one (its ADDED commit, or the cache's start).
 * Values: spec and status fields are strings in the store; "true" and
 * "false" are rendered as booleans, the integer fields of
 * KUBE_FRONT_INT_FIELDS as numbers, a dotted key as nested objects.
 * Accept: ...;as=Table (kubectl get): GETs, LISTs and watch events are
 * meta.k8s.io/v1 Tables with the CRDs' printer columns and Age (front_obj.c).
 * Leaves out: create (POST), update (PUT), apply, the /status
 * subresource, label selectors, pagination, protobuf, bookmarks,
 * authentication, aggregated discovery, OpenAPI.
 */
#ifndef KUBE_FRONT_H
#define KUBE_FRONT_H

#include <stdint.h>

#include "kube/kube.h"
#include "sim/loop.h"

#define KUBE_FRONT_HISTORY 1024
#define KUBE_FRONT_BODY_MAX (1024 * 1024)
#define KUBE_FRONT_VERSION "v1.32.0"

typedef struct kube_front kube_front_t;

/* The store now (NULL: none, or gone), its epoch (a number that changes
 * whenever the store is replaced) and *up, 0 while the apiserver does not
 * answer (503).  A store the front watches must stay alive until the
 * callback names another one (or NULL) or kube_front_close_all. */
typedef kube_store_t *(*kube_front_store_cb)(void *arg, uint64_t *epoch,
                                             int *up);

/* One external write answered (for --record). */
typedef struct {
    uint64_t t_ns;    /* virtual time the request arrived */
    const char *verb; /* "delete" | "patch" */
    kube_kind_t kind;
    const char *ns, *name;
    int http;                 /* the answer's status */
    const kube_obj_t *before; /* the object before the write, or NULL */
    const char *patch;        /* "patch": the merge patch body */
} kube_front_call_t;

typedef struct {
    sim_loop_t *loop;
    kube_front_store_cb store;
    void *store_arg;
    int consistent_list; /* ConsistentListFromCache on */
    int64_t epoch_s;     /* wall seconds since 1970 at virtual 0 */
    double speed;        /* virtual seconds per wall second for
                            timestamps (0: 1) */
    void (*on_call)(void *arg, const kube_front_call_t *c); /* or NULL */
    void *on_call_arg;
} kube_front_opts_t;

/* Returns 0, SIM_EINVAL or SIM_ENOMEM. */
int kube_front_new(const kube_front_opts_t *o, kube_front_t **out);
/* Serves HTTP on s (takes ownership) until either side closes. */
void kube_front_serve(kube_front_t *f, sim_stream_t *s);
/* Closes every connection and lets go of the store (its subscription);
 * call while the store is still alive. */
void kube_front_close_all(kube_front_t *f);
/* Frees f; close_all first. */
void kube_front_free(kube_front_t *f);
/* Responses started (each watch stream counts once) and watch events
 * written, for tests and benchmarks. */
unsigned long kube_front_answered(const kube_front_t *f);
unsigned long kube_front_events_sent(const kube_front_t *f);

/* The REST names of a kind: group ("" for core), version, plural,
 * singular, kind name, namespaced, short name (or NULL).  NULL for
 * KUBE_KIND__COUNT. */
typedef struct {
    kube_kind_t kind;
    const char *group, *version, *plural, *singular, *kind_name;
    int namespaced;
    const char *short_name;
} kube_front_res_t;
const kube_front_res_t *kube_front_resource(kube_kind_t k);

#endif
