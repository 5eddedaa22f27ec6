/*
 * front_int.h: what front.c (HTTP, routing, GETs and writes),
 * front_cache.c (the watch cache, LIST and WATCH) and front_obj.c (the
 * objects as JSON) share, and nothing else may use.
 */
#ifndef KUBE_FRONT_INT_H
#define KUBE_FRONT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "kube/front.h"

/* Spec and status fields (the key's last segment) rendered as integers. */
#define KUBE_FRONT_INT_FIELDS                                                  \
    "restartCount", "kubernetesPort", "observedGeneration", "exitCode",        \
        "size", "port"

/* How virtual times show: epoch_s plus ns / speed. */
typedef struct {
    int64_t epoch_s;
    double speed;
} kube__front_clock_t;

/* "2026-12-03T10:00:05Z" for virtual ns. */
void kube__front_time(const kube__front_clock_t *k, uint64_t ns, char *out,
                      size_t len);

/* The object as the API shows it (apiVersion, kind, metadata, spec,
 * status).  rv: its metadata.resourceVersion (0: o->rv).  created: the
 * creationTimestamp, or NULL to leave it out.  NULL on ENOMEM. */
json_t *kube__front_render(const kube_obj_t *o, uint64_t rv,
                           const char *created, const kube__front_clock_t *k);

/* A Status object: code, reason, message; name and the resource for
 * details (r may be NULL). */
json_t *kube__front_status(int code, const char *reason, const char *msg,
                           const kube_front_res_t *r, const char *name);

/* "<plural>.<group>" ("configmaps" for core): how messages name a kind. */
void kube__front_qualified(const kube_front_res_t *r, char *out, size_t len);

/* RFC 7386: applies patch to target (modified in place; may be replaced:
 * the result is returned, one reference). */
json_t *kube__front_merge(json_t *target, json_t *patch);

/* Why an object is invalid: the field and what is wrong with it. */
typedef struct {
    char field[96];   /* "spec.running" */
    char detail[320]; /* "Invalid value: ..." */
    char type[40];    /* the cause's reason: "FieldValueTypeInvalid" */
} kube__front_invalid_t;

/* Fills mod from cur and the merged JSON of the object: spec fields
 * (metadata.annotations as annotation.* fields) and the finalizer list.
 * 0, or the HTTP status (422) with why filled. */
int kube__front_from_json(const kube_obj_t *cur, json_t *merged,
                          kube_obj_t *mod, kube__front_invalid_t *why);

/* The 422 Status of an invalid object, as the apiserver words it. */
json_t *kube__front_invalid(const kube_obj_t *o,
                            const kube__front_invalid_t *why);

/* A meta.k8s.io/v1 Table of the rendered objects objs (kubectl's
 * server-side printing): Name, the CRD's printer columns, Age (and Data
 * for ConfigMaps), dates as ages at virtual now_ns; headers 0 leaves the
 * column definitions out.  NULL on ENOMEM. */
json_t *kube__front_table(kube_kind_t kind, json_t *const *objs, size_t n,
                          const char *rv, uint64_t now_ns,
                          const kube__front_clock_t *k, int headers);

/* the front and its connections ------------------------------------------*/

typedef struct kconn kconn_t; /* one HTTP connection */

/* One object in the watch cache, rendered. */
typedef struct {
    char ns[KUBE_NS_MAX];
    char name[KUBE_NAME_MAX];
    char created[32];
    json_t *obj; /* one reference */
} centry_t;

/* One kind's objects in the cache, in (ns, name) order. */
typedef struct {
    centry_t *v;
    size_t n, cap;
} ckind_t;

/* One event of the cache's history (a ring of KUBE_FRONT_HISTORY). */
typedef struct {
    uint64_t rv;
    kube_kind_t kind;
    char ns[KUBE_NS_MAX];
    char name[KUBE_NAME_MAX];
    char *line; /* {"type":..,"object":..}\n */
    size_t len;
    const char *type; /* "ADDED" ... */
    json_t *obj;      /* one reference: for tline */
    char *tline;      /* the same as a Table, made when first
                         wanted (NULL until then) */
    size_t tlen;
} hist_t;

struct kube_front {
    kube_front_opts_t o;
    kube__front_clock_t clock;
    kconn_t *conns;
    uintptr_t serials;
    unsigned long answered, events;
    /* the watch cache */
    kube_store_t *store; /* the store it follows, NULL: not started */
    uint64_t epoch;
    int watch_id;
    uint64_t init_rv;
    uint64_t kind_rv[KUBE_KIND__COUNT];
    uint64_t dropped_rv[KUBE_KIND__COUNT]; /* newest left out of hist */
    ckind_t ck[KUBE_KIND__COUNT];
    hist_t *hist; /* a ring of KUBE_FRONT_HISTORY */
    size_t hhead, hlen;
};

/* What a request is about, once routed. */
typedef struct {
    const kube_front_res_t *r;
    char ns[KUBE_NS_MAX]; /* "" = every namespace (or cluster scope) */
    char name[KUBE_NAME_MAX];
    int has_name;
} target_t;

struct kconn {
    kube_front_t *f;
    sim_stream_t *s;
    fk_http_in_t in;
    int dead, busy, rd_eof;
    int table; /* the request asked for a Table */
    uintptr_t serial;
    /* a watch stream */
    int watching;
    kube_kind_t kind;
    char ns[KUBE_NS_MAX];
    char name[KUBE_NAME_MAX]; /* fieldSelector metadata.name, or "" */
    uint64_t from_rv;
    /* a LIST waiting for the cache */
    sim_timer_t timer;
    target_t wait_t;
    kconn_t *prev, *next;
};

/* front.c: a connection's end (its stream closed), and answers; the
 * senders return 1 when c is gone. */
void kube__front_conn_free(kconn_t *c);
int kube__front_send_json(kconn_t *c, int code, json_t *j, int close_after);
int kube__front_send_status(kconn_t *c, int code, const char *reason,
                            const char *msg, const kube_front_res_t *r,
                            const char *name);

/* front_cache.c */
/* The store served now, the cache started on it (from its state then) if
 * need_cache; a replaced store drops the cache and ends its watches.
 * NULL: down (503), or out of memory. */
kube_store_t *kube__front_current(kube_front_t *f, int need_cache);
/* Drops the cache and its history (the subscription is the caller's). */
void kube__front_cache_drop(kube_front_t *f);
/* The cache's entry for an object, or NULL. */
const centry_t *kube__front_cache_get(const kube_front_t *f, kube_kind_t kind,
                                      const char *ns, const char *name);
/* Answers a LIST of t: from the cache, or (from_store) from the store.
 * 1 if c is gone. */
int kube__front_send_list(kconn_t *c, const target_t *t, int from_store);
/* Starts a WATCH of t from resourceVersion rvq ("" unset): 2 streaming,
 * 0 answered (an error), -1 c is gone. */
int kube__front_start_watch(kconn_t *c, const target_t *t, const char *rvq);

#endif
