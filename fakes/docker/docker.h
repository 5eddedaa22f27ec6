/*
 * docker.h: a Docker daemon (dockerd behind whatever serves its endpoint),
 * as a pure core plus a front that serves Engine API messages on a
 * sim_stream_t (docs/platform.md#docker-engine-api).
 *
 * Core: identity (Info.ID, Name), containers (64-hex IDs; states created,
 * running, paused, restarting, exited, removing, dead), images (ID =
 * "sha256:<hex>", several tags), volumes (by name), an event ring of the
 * last 256 events with `since` replay, and per-call latency drawn from the
 * daemon's own stream "dock.<name>.latency".
 * Removal rules: container remove of a running container without force is
 * 409 `cannot remove container "/<name>": container is running: stop the
 * container before removing or force remove`, a paused one without force is
 * 409 `container is paused and must be unpaused first`; with force both are
 * killed (kill, die, destroy events).  Image remove by tag untags
 * (untag event) and deletes the image when its last tag goes (delete
 * event); an image used by a container is 409 "conflict: unable to delete
 * <short> (must be forced) - image is being used by stopped container
 * <id>" (running: "cannot be forced"; both IDs are 12-hex short IDs, as
 * moby's stringid.TruncateID).  Volume remove: 404 `get <name>: no such
 * volume` if absent, but 204 with force (moby's PurgeOnError); 409
 * "remove <name>: volume is in use" via fault or when a container mounts it
 * (not modelled: mounts), destroy event.  NotFound bodies are Docker's
 * verbatim.
 *
 * Wire: each message is one sim_stream write (streams keep message
 * boundaries).  A request is a dock_req_t; the answer is a dock_resp_t
 * followed by resp.nitems items of the op's item type, in one message.
 * DOCK_OP_EVENTS answers a dock_resp_t header, then one message per event
 * (a dock_resp_t with nitems = 1 plus one dock_event_t) until either side
 * closes or the daemon stops.  Each connection carries one request at a time
 * (the client opens a connection per call); requests written back to back
 * are answered in order.  A message that is not a dock_req_t gets http 400
 * (err SIM_EINVAL) and the connection is closed.
 *
 * Every mutating call (remove, start, stop, pause, unpause, restart) is
 * recorded in the daemon's call log with the client identity and endpoint
 * the request carried and the http answered, whatever the outcome;
 * invariant S1 reads it.  Fault sites fire only for calls over the API.
 */
#ifndef DOCK_H
#define DOCK_H

#include <stddef.h>
#include <stdint.h>

#include "sim/loop.h"

#define DOCK_MAGIC 0x444f434bU
#define DOCK_ID_MAX 72     /* 64 hex + NUL, or "sha256:" + 64 hex */
#define DOCK_REF_MAX 160
#define DOCK_TAGS_MAX 4
#define DOCK_EVENTS_RING 256

typedef enum {
    DOCK_OP_PING = 1,
    DOCK_OP_INFO,
    DOCK_OP_CONTAINER_LIST,    /* all=1 */
    DOCK_OP_CONTAINER_INSPECT,
    DOCK_OP_CONTAINER_REMOVE,  /* mutating */
    DOCK_OP_CONTAINER_START,   /* mutating */
    DOCK_OP_CONTAINER_STOP,    /* mutating */
    DOCK_OP_CONTAINER_PAUSE,   /* mutating */
    DOCK_OP_CONTAINER_UNPAUSE, /* mutating */
    DOCK_OP_CONTAINER_RESTART, /* mutating */
    DOCK_OP_IMAGE_LIST,
    DOCK_OP_IMAGE_INSPECT,
    DOCK_OP_IMAGE_REMOVE,      /* mutating */
    DOCK_OP_VOLUME_LIST,
    DOCK_OP_VOLUME_INSPECT,
    DOCK_OP_VOLUME_REMOVE,     /* mutating */
    DOCK_OP_EVENTS,
    DOCK_OP_CONTAINER_CREATE,  /* mutating; ref = name ("" = generated),
                                  image = the image; answers the container */
} dock_op_t;

typedef struct {
    uint32_t magic;            /* DOCK_MAGIC */
    dock_op_t op;
    char ref[DOCK_REF_MAX];    /* container id/name, image ref, volume name */
    int force;
    int64_t since_ns;          /* DOCK_OP_EVENTS: replay events after this */
    char client[64];           /* caller identity, e.g. "rancher-desktop-2" */
    char endpoint[DOCK_REF_MAX]; /* the endpoint the caller dialed */
    char image[DOCK_REF_MAX];  /* DOCK_OP_CONTAINER_CREATE */
} dock_req_t;

typedef struct {
    char id[DOCK_ID_MAX];      /* 64 hex */
    char name[DOCK_REF_MAX];   /* "/web" (leading slash, as Docker) */
    char image[DOCK_REF_MAX];  /* reference given at create */
    char image_id[DOCK_ID_MAX];
    char state[16];            /* created|running|paused|restarting|exited|removing|dead */
    int64_t pid;
    int64_t exit_code;
    int64_t created_ns;
} dock_container_t;

typedef struct {
    char id[DOCK_ID_MAX];      /* "sha256:<64 hex>" */
    int ntags;
    char tags[DOCK_TAGS_MAX][DOCK_REF_MAX];
    int64_t size;
    int64_t created_ns;
} dock_image_t;

typedef struct {
    char name[DOCK_REF_MAX];
    char driver[32];           /* "local" */
    char mountpoint[DOCK_REF_MAX * 2];
    int64_t created_ns;
} dock_volume_t;

typedef struct {
    char type[16];             /* container | image | volume */
    char action[24];           /* create start stop die kill destroy ... */
    char actor_id[DOCK_REF_MAX]; /* container id, image id, volume name */
    int64_t time_ns;
} dock_event_t;

typedef struct {
    uint32_t magic;
    dock_op_t op;
    int http;                  /* 200, 204, 304, 404, 409, 500 */
    int err;                   /* 0 or SIM_ENOTFOUND, SIM_ECONFLICT, ... */
    char message[320];         /* the JSON body's "message", verbatim */
    char daemon_id[64];        /* ground truth: which daemon answered.
                                  Simulator-only; models copy it into
                                  kube_obj_t.provenance and nothing else */
    char info_id[64];          /* DOCK_OP_INFO: Info.ID */
    char info_name[64];        /* DOCK_OP_INFO: Info.Name */
    int64_t system_time_ns;    /* DOCK_OP_INFO: the daemon's clock */
    uint32_t nitems;           /* items that follow in the same message */
} dock_resp_t;

typedef struct {
    uint64_t t_ns;
    dock_op_t op;
    char ref[DOCK_REF_MAX];
    int force;
    char client[64];
    char endpoint[DOCK_REF_MAX];
    int http;                  /* what the daemon answered */
} dock_call_t;

typedef struct dock_daemon dock_daemon_t;

const char *dock_op_name(dock_op_t op);  /* "ContainerRemove" */
int dock_op_mutating(dock_op_t op);
/* The op dock_op_name names, or -1. */
int dock_op_by_name(const char *name);

/* lifecycle --------------------------------------------------------------*/

/* name: the daemon's name in the scenario ("dd", "rdd-2-vm"); id: Info.ID.
 * Returns 0, SIM_EINVAL (empty name, name or id of 64 bytes or more) or
 * SIM_ENOMEM. The daemon starts up (serving). */
int dock_daemon_new(sim_loop_t *loop, const char *name, const char *id,
                    dock_daemon_t **out);
void dock_daemon_free(dock_daemon_t *d);
const char *dock_daemon_name(const dock_daemon_t *d);
const char *dock_daemon_id(const dock_daemon_t *d);
/* Per-call latency, uniform in [min_ns, max_ns]; default 1ms..3ms. */
void dock_daemon_set_latency(dock_daemon_t *d, uint64_t min_ns,
                             uint64_t max_ns);
/* Stop: closes every connection (event streams read EOF), answers
 * nothing more until dock_daemon_start; the event ring is lost; running
 * containers are stopped (die events nobody receives). */
void dock_daemon_stop(dock_daemon_t *d);
void dock_daemon_start(dock_daemon_t *d);
int dock_daemon_up(const dock_daemon_t *d);

/* Serves Engine API requests arriving on server_end (takes ownership).
 * If the daemon is down the stream is closed at once. */
void dock_daemon_serve(dock_daemon_t *d, sim_stream_t *server_end);

/* state, as the user's docker CLI would change it (events emitted) -------*/

/* Creates a container (create event; start event if state is "running",
 * "paused" or "restarting"; then pause if "paused").  id_out (may be NULL)
 * gets the 64-hex ID, sha256 of "<daemon id>/<name>/<per-daemon counter>".
 * SIM_EEXIST if the name is taken, SIM_EINVAL for an unknown state. */
int dock_container_add(dock_daemon_t *d, const char *name, const char *image,
                       const char *state, char id_out[DOCK_ID_MAX]);
/* Finds a container by ID, ID prefix or name ("/web" or "web"). */
const dock_container_t *dock_container_find(const dock_daemon_t *d,
                                            const char *ref);
/* Image with the given ID ("sha256:..."; NULL: "sha256:" + sha256 of the
 * first tag) and tags; a tag held by another image moves (untag there).
 * Emits pull per tag, Actor.ID = the tag (as moby).  SIM_EEXIST if the ID
 * is present, SIM_EINVAL for no ID and no tag or a malformed ID. */
int dock_image_add(dock_daemon_t *d, const char *id, const char *const *tags,
                   int ntags);
const dock_image_t *dock_image_find(const dock_daemon_t *d, const char *ref);
int dock_volume_add(dock_daemon_t *d, const char *name);
const dock_volume_t *dock_volume_find(const dock_daemon_t *d,
                                      const char *name);
/* The same removal logic the API uses, for scenario actions (`docker rm`),
 * without fault sites; logged with client = "user", endpoint "".  Returns
 * 0, SIM_ENOTFOUND, SIM_ECONFLICT, or SIM_ECONNREFUSED while down. */
int dock_container_remove(dock_daemon_t *d, const char *ref, int force);

/* The same for any mutating op on a reference except ContainerCreate
 * (start, stop, restart, pause, unpause, remove; ImageRemove;
 * VolumeRemove), as the user's `docker stop` etc.: the API's rules
 * without its fault sites, logged with client "user".  Returns 0 (304
 * "already stopped" included), SIM_ENOTFOUND, SIM_ECONFLICT,
 * SIM_ECONNREFUSED while down, SIM_EINVAL for another op. */
int dock_user_call(dock_daemon_t *d, dock_op_t op, const char *ref,
                   int force);

size_t dock_container_count(const dock_daemon_t *d);
size_t dock_image_count(const dock_daemon_t *d);
size_t dock_volume_count(const dock_daemon_t *d);

/* The append-only log of mutating calls received over the API. */
size_t dock_calls(const dock_daemon_t *d, const dock_call_t **out);

/* hex(SHA-256(buf)) into out (65 bytes). */
void dock_sha256_hex(const void *buf, size_t len, char out[65]);

#endif
