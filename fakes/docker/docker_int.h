/*
 * docker_int.h: what the Docker fake's core (daemon.c: lifecycle, events,
 * call log, containers; docker.c: names, images, volumes) and its Engine
 * API front (front.c) share.  Not for models: they see docker.h only.
 *
 * The core owns the objects, the event ring and the call log; the front owns
 * the served connections.  The core calls into the front for two things:
 * publishing an event to the live event streams and closing every
 * connection when the daemon stops or is freed.
 */
#ifndef DOCK_INT_H
#define DOCK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "docker/docker.h"
#include "sim/loop.h"
#include "sim/rng.h"

#define DOCK__NAME_MAX 64      /* daemon name and Info.ID, NUL included */
#define DOCK__CONN_QUEUE_MAX 8 /* requests a connection may have queued */

/* The outcome of one API operation, as the HTTP answer carries it. */
typedef struct {
    int http;          /* 200, 204, 304, 404, 409, 500 */
    int err;           /* 0 or SIM_E* */
    char message[320]; /* the JSON body's "message" */
} dock__res_t;

/* A string -> position table over one of the daemon's arrays (index.c).
 * key(d, v) is the string at position v, or NULL if v holds none. */
typedef const char *(*dock__key_fn)(const dock_daemon_t *d, uint32_t v);
typedef struct {
    uint32_t *slot; /* position + 1; 0: empty */
    size_t cap;     /* a power of two, or 0 */
    size_t n;
    int stale;      /* positions moved: rebuilt before the next lookup */
} dock__index_t;

/* One served connection (front.c). */
typedef struct dock__conn dock__conn_t;

struct dock_daemon {
    sim_loop_t *loop;
    char name[DOCK__NAME_MAX]; /* scenario name, fault target */
    char id[DOCK__NAME_MAX];   /* Info.ID */
    int up;                    /* serving */
    uint64_t lat_min_ns;       /* per-call latency bounds */
    uint64_t lat_max_ns;
    sim_rng_t lat_rng;   /* "dock.<name>.latency" */
    uint64_t ctr_serial; /* container ID derivation counter */
    int64_t next_pid;    /* pid handed to the next start */

    dock_container_t *ctrs; /* insertion order */
    size_t nctrs, capctrs;
    dock_image_t *imgs; /* insertion order */
    size_t nimgs, capimgs;
    dock_volume_t *vols; /* insertion order */
    size_t nvols, capvols;
    dock__index_t ix_ctr_id;   /* ctrs by id */
    dock__index_t ix_ctr_name; /* ctrs by name ("/web") */
    dock__index_t ix_img_id;   /* imgs by id ("sha256:...") */
    dock__index_t ix_img_tag;  /* imgs by tag: position i * 4 + t */
    dock__index_t ix_vol;      /* vols by name */

    dock_event_t ring[DOCK_EVENTS_RING]; /* the last 256 events */
    size_t ring_head;                    /* index of the oldest */
    size_t ring_len;

    dock_call_t *calls; /* append-only */
    size_t ncalls, capcalls;

    /* front.c */
    dock__conn_t *conns; /* served connections, in accept order */
    dock__conn_t *conns_tail;
    dock__conn_t *pending; /* waiting for their answer, by (due, seq) */
    uint64_t pend_serial;
    sim_timer_t timer; /* fires for the head of pending */
};

/* core (daemon.c) */
int dock__grow(void **arr, size_t *cap, size_t need, size_t elsz);
void dock__copy_str(char *dst, size_t n, const char *src);
void dock__short_id(const char *id, char out[13]);
int dock__has_prefix(const char *s, const char *prefix);
int dock__ctr_running(const dock_container_t *c);
void dock__res_ok(dock__res_t *res, int http);
void dock__emit(dock_daemon_t *d, const char *type, const char *action,
                const char *actor);
int dock__calls_reserve(dock_daemon_t *d);
void dock__calls_append(dock_daemon_t *d, dock_op_t op, const char *ref,
                        int force, const char *client, const char *endpoint,
                        int http);
void dock__res_set(dock__res_t *res, int http, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dock__container_op(dock_daemon_t *d, dock_op_t op, const char *ref,
                        int force, int api, dock__res_t *res);
/* Oldest first; i < ring_len. */
const dock_event_t *dock__ring_at(const dock_daemon_t *d, size_t i);

/* images and volumes (docker.c) */
long dock__img_index(const dock_daemon_t *d, const char *ref, int *by_tag);
void dock__image_remove(dock_daemon_t *d, const char *ref, int force, int api,
                        dock__res_t *res);
void dock__volume_remove(dock_daemon_t *d, const char *name, int force, int api,
                         dock__res_t *res);

/* indexes (index.c) */
void dock__ix_free(dock__index_t *ix);
void dock__ix_stale(dock__index_t *ix);
/* Position v (of nvals; already in the array) was appended.  0 or
 * SIM_ENOMEM (the table then rebuilds or scans). */
int dock__ix_add(dock__index_t *ix, const dock_daemon_t *d, dock__key_fn key,
                 size_t nvals, uint32_t v);
/* The first position whose key is s, or -1. */
long dock__ix_find(dock__index_t *ix, const dock_daemon_t *d,
                   dock__key_fn key, size_t nvals, const char *s);
/* The keys of the five tables. */
const char *dock__key_ctr_id(const dock_daemon_t *d, uint32_t v);
const char *dock__key_ctr_name(const dock_daemon_t *d, uint32_t v);
const char *dock__key_img_id(const dock_daemon_t *d, uint32_t v);
const char *dock__key_img_tag(const dock_daemon_t *d, uint32_t v);
const char *dock__key_vol(const dock_daemon_t *d, uint32_t v);

/* front (front.c) */
void dock__front_publish(dock_daemon_t *d, const dock_event_t *ev);
void dock__front_close_all(dock_daemon_t *d);

#endif
