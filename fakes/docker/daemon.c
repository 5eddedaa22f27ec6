/*
 * daemon.c: the core of the Docker daemon fake (docs/platform.md):
 * identity and lifecycle, containers in insertion order, the event ring of
 * the last 256 events, the call log, and the container rules of moby's
 * daemon/delete.go, start.go, stop.go, pause.go, unpause.go and restart.go,
 * with their messages verbatim.  Images and volumes are in docker.c, the
 * wire front in front.c; none of it touches a socket.
 *
 * Left out: labels, ports, mounts, networks, restart policies, health,
 * attributes on events, the stop timeout (stop and shutdown are immediate,
 * exit code 0; a kill exits 137), ID-prefix ambiguity errors (the first
 * match in insertion order wins) and the slow-consumer drop of event
 * subscribers (streams here never push back).  Fault sites are evaluated
 * only for calls that arrive over the API (api = 1), never for scenario
 * actions.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "docker/docker_int.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

#define DOCK__LAT_MIN_DEFAULT_NS SIM_MS(1)
#define DOCK__LAT_MAX_DEFAULT_NS SIM_MS(3)
#define DOCK__EXIT_KILLED 137 /* 128 + SIGKILL */

static const char *const ctr_states[] = {
    "created", "running", "paused", "restarting", "exited", "removing", "dead",
};

/* helpers ----------------------------------------------------------------*/

/* Grows *arr to hold need elements of elsz bytes.  0 or SIM_ENOMEM. */
int dock__grow(void **arr, size_t *cap, size_t need, size_t elsz)
{
    size_t ncap;
    void *p;
    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    p = sim__realloc(*arr, ncap * elsz);
    if (!p)
        return SIM_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* An answer without a body. */
void dock__res_ok(dock__res_t *res, int http)
{
    res->http = http;
    res->err = 0;
    res->message[0] = 0;
}

/* Fills res from a printf format. */
void dock__res_set(dock__res_t *res, int http, int err, const char *fmt, ...)
{
    va_list ap;
    res->http = http;
    res->err = err;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof(res->message), fmt, ap);
    va_end(ap);
}

/* Copies src ("" for NULL) into dst of n > 0 bytes, truncating. */
void dock__copy_str(char *dst, size_t n, const char *src)
{
    size_t len = src ? strnlen(src, n - 1) : 0;
    SIM_ASSERT(n > 0);
    if (len)
        memcpy(dst, src, len);
    dst[len] = 0;
}

/* stringid.TruncateID: drop an "algo:" prefix, keep 12 characters. */
void dock__short_id(const char *id, char out[13])
{
    const char *c = strchr(id, ':');
    dock__copy_str(out, 13, c ? c + 1 : id);
}

/* True when s starts with prefix. */
int dock__has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* lifecycle --------------------------------------------------------------*/

/* Allocates a daemon that is up.  name and id must each fit in 63 bytes:
 * SIM_EINVAL otherwise; SIM_ENOMEM when out of memory. */
int dock_daemon_new(sim_loop_t *loop, const char *name, const char *id,
                    dock_daemon_t **out)
{
    dock_daemon_t *d;
    char stream[DOCK__NAME_MAX + 32];
    SIM_ASSERT(loop != NULL);
    SIM_ASSERT(out != NULL);
    *out = NULL;
    if (!name || !id || !name[0] || strlen(name) >= DOCK__NAME_MAX ||
        strlen(id) >= DOCK__NAME_MAX)
        return SIM_EINVAL;
    d = sim__calloc(1, sizeof(*d));
    if (!d)
        return SIM_ENOMEM;
    d->loop = loop;
    dock__copy_str(d->name, sizeof(d->name), name);
    dock__copy_str(d->id, sizeof(d->id), id);
    d->up = 1;
    d->fresh = 1;
    d->created_ns = sim_now(loop);
    d->lat_min_ns = DOCK__LAT_MIN_DEFAULT_NS;
    d->lat_max_ns = DOCK__LAT_MAX_DEFAULT_NS;
    snprintf(stream, sizeof(stream), "dock.%s.latency", name);
    sim_rng_fork(&d->lat_rng, loop->seed, stream);
    d->next_pid = 1000;
    sim_timer_init(loop, &d->timer);
    d->timer.data = d;
    *out = d;
    return 0;
}

/* Closes every connection (the clients read EOF) and frees the daemon.
 * NULL is a no-op. */
void dock_daemon_free(dock_daemon_t *d)
{
    if (!d)
        return;
    dock__front_close_all(d);
    sim_timer_stop(&d->timer);
    sim__free(d->ctrs);
    sim__free(d->imgs);
    sim__free(d->vols);
    sim__free(d->calls);
    dock__ix_free(&d->ix_ctr_id);
    dock__ix_free(&d->ix_ctr_name);
    dock__ix_free(&d->ix_img_id);
    dock__ix_free(&d->ix_img_tag);
    dock__ix_free(&d->ix_vol);
    sim__free(d);
}

/* The daemon's scenario name ("dd"). */
const char *dock_daemon_name(const dock_daemon_t *d)
{
    return d->name;
}

/* Info.ID, the identity RDD would have to check (docs/platform.md). */
const char *dock_daemon_id(const dock_daemon_t *d)
{
    return d->id;
}

/* Sets the per-call latency bounds; a max below min is raised to min. */
void dock_daemon_set_latency(dock_daemon_t *d, uint64_t min_ns, uint64_t max_ns)
{
    d->lat_min_ns = min_ns;
    d->lat_max_ns = max_ns < min_ns ? min_ns : max_ns;
}

/* Docker's State.Running, which is also true while paused or restarting. */
int dock__ctr_running(const dock_container_t *c)
{
    return strcmp(c->state, "running") == 0 ||
           strcmp(c->state, "paused") == 0 ||
           strcmp(c->state, "restarting") == 0;
}

/* Every container state change goes through here. */
static void ctr_set_state(dock_daemon_t *d, dock_container_t *c, const char *to)
{
    char sid[13];
    sim_trace_t *tr = sim_trace_begin(d->loop, "dock.container.state");
    dock__short_id(c->id, sid);
    sim_trace_str(tr, "daemon", d->name);
    sim_trace_str(tr, "id", sid);
    sim_trace_str(tr, "from", c->state);
    sim_trace_str(tr, "to", to);
    sim_trace_end(tr);
    dock__copy_str(c->state, sizeof(c->state), to);
    if (strcmp(to, "running") == 0 && c->pid == 0)
        c->pid = d->next_pid++;
    else if (!dock__ctr_running(c))
        c->pid = 0;
}

/* Stops the daemon as a shutdown without live-restore does (see docker.h).
 * A no-op when already down.  A daemon stopped the instant it was made
 * never ran: its first event reads dock.daemon.init state=down. */
void dock_daemon_stop(dock_daemon_t *d)
{
    size_t i, n = 0;
    sim_trace_t *tr;
    int init = d->fresh && sim_now(d->loop) == d->created_ns;
    if (!d->up)
        return;
    d->up = 0;
    d->fresh = 0;
    dock__front_close_all(d);
    for (i = 0; i < d->nctrs; i++) {
        dock_container_t *c = &d->ctrs[i];
        if (!dock__ctr_running(c))
            continue;
        c->exit_code = 0;
        ctr_set_state(d, c, "exited");
        dock__emit(d, "container", "die", c->id); /* nobody receives it */
        n++;
    }
    d->ring_head = d->ring_len = 0;
    if (init && n == 0) {
        tr = sim_trace_begin(d->loop, "dock.daemon.init");
        sim_trace_str(tr, "daemon", d->name);
        sim_trace_str(tr, "state", "down");
        sim_trace_end(tr);
        return;
    }
    tr = sim_trace_begin(d->loop, "dock.daemon.stop");
    sim_trace_str(tr, "daemon", d->name);
    sim_trace_u64(tr, "stopped", n);
    sim_trace_end(tr);
}

/* Starts serving again with an empty event ring; containers stay exited
 * (no restart policies).  A no-op when up. */
void dock_daemon_start(dock_daemon_t *d)
{
    sim_trace_t *tr;
    if (d->up)
        return;
    d->up = 1;
    d->fresh = 0;
    d->ring_head = d->ring_len = 0;
    tr = sim_trace_begin(d->loop, "dock.daemon.start");
    sim_trace_str(tr, "daemon", d->name);
    sim_trace_end(tr);
}

/* True while the daemon serves. */
int dock_daemon_up(const dock_daemon_t *d)
{
    return d->up;
}

/* events and call log ----------------------------------------------------*/

/* Records an event in the ring and sends it to every live event stream.
 * While the daemon is down the event is traced and lost. */
void dock__emit(dock_daemon_t *d, const char *type, const char *action,
                const char *actor)
{
    dock_event_t ev;
    char sid[13];
    size_t n = strlen(actor);
    sim_trace_t *tr = sim_trace_begin(d->loop, "dock.event.emit");
    sim_trace_str(tr, "daemon", d->name);
    sim_trace_str(tr, "type", type);
    sim_trace_str(tr, "action", action);
    if (n == 64 || (n == 71 && dock__has_prefix(actor, "sha256:"))) {
        dock__short_id(actor, sid); /* IDs print short, as docker ps */
        sim_trace_str(tr, "actor", sid);
    } else {
        sim_trace_str(tr, "actor", actor);
    }
    sim_trace_end(tr);
    if (!d->up)
        return;
    memset(&ev, 0, sizeof(ev));
    dock__copy_str(ev.type, sizeof(ev.type), type);
    dock__copy_str(ev.action, sizeof(ev.action), action);
    dock__copy_str(ev.actor_id, sizeof(ev.actor_id), actor);
    ev.time_ns = (int64_t)sim_now(d->loop);
    if (d->ring_len < DOCK_EVENTS_RING) {
        d->ring[(d->ring_head + d->ring_len) % DOCK_EVENTS_RING] = ev;
        d->ring_len++;
    } else {
        d->ring[d->ring_head] = ev;
        d->ring_head = (d->ring_head + 1) % DOCK_EVENTS_RING;
    }
    dock__front_publish(d, &ev);
}

/* The i-th oldest event of the ring. */
const dock_event_t *dock__ring_at(const dock_daemon_t *d, size_t i)
{
    SIM_ASSERT(i < d->ring_len);
    return &d->ring[(d->ring_head + i) % DOCK_EVENTS_RING];
}

/* Makes room for one more call log entry, so that a call is never executed
 * without being logged.  0 or SIM_ENOMEM. */
int dock__calls_reserve(dock_daemon_t *d)
{
    return dock__grow((void **)&d->calls, &d->capcalls, d->ncalls + 1,
                      sizeof(*d->calls));
}

/* Appends to the call log; dock__calls_reserve must have succeeded. */
void dock__calls_append(dock_daemon_t *d, dock_op_t op, const char *ref,
                        int force, const char *client, const char *endpoint,
                        int http)
{
    dock_call_t *c;
    SIM_ASSERT(d->ncalls < d->capcalls);
    c = &d->calls[d->ncalls++];
    memset(c, 0, sizeof(*c));
    c->t_ns = sim_now(d->loop);
    c->op = op;
    dock__copy_str(c->ref, sizeof(c->ref), ref);
    c->force = force;
    dock__copy_str(c->client, sizeof(c->client), client);
    dock__copy_str(c->endpoint, sizeof(c->endpoint), endpoint);
    c->http = http;
}

/* The call log, oldest first; *out stays valid until the next call. */
size_t dock_calls(const dock_daemon_t *d, const dock_call_t **out)
{
    *out = d->calls;
    return d->ncalls;
}

/* containers -------------------------------------------------------------*/

static const char *valid_state(const char *state)
{
    size_t i;
    for (i = 0; i < SIM_ARRAY_LEN(ctr_states); i++)
        if (state && strcmp(state, ctr_states[i]) == 0)
            return ctr_states[i];
    return NULL;
}

/* Docker's lookup order: full ID, then name, then ID prefix.  The first
 * two by index, the prefix by a scan. */
static long ctr_index(const dock_daemon_t *cd, const char *ref)
{
    dock_daemon_t *d = (dock_daemon_t *)cd; /* the indexes are caches */
    char slash[DOCK_REF_MAX + 1];
    size_t i;
    long k;
    if (!ref || !ref[0])
        return -1;
    if ((k = dock__ix_find(&d->ix_ctr_id, d, dock__key_ctr_id, d->nctrs,
                           ref)) >= 0)
        return k;
    /* A stored name is "/web": ref is "/web" or "web". */
    if (ref[0] == '/' &&
        (k = dock__ix_find(&d->ix_ctr_name, d, dock__key_ctr_name, d->nctrs,
                           ref)) >= 0)
        return k;
    if (strlen(ref) + 1 < sizeof(slash)) {
        snprintf(slash, sizeof(slash), "/%s", ref);
        if ((k = dock__ix_find(&d->ix_ctr_name, d, dock__key_ctr_name,
                               d->nctrs, slash)) >= 0)
            return k;
    }
    for (i = 0; i < d->nctrs; i++)
        if (dock__has_prefix(d->ctrs[i].id, ref))
            return (long)i;
    return -1;
}

static void image_id_for(const dock_daemon_t *d, const char *image,
                         char out[DOCK_ID_MAX])
{
    long i = dock__img_index(d, image, NULL);
    char hex[65];
    if (i >= 0) {
        dock__copy_str(out, DOCK_ID_MAX, d->imgs[i].id);
        return;
    }
    dock_sha256_hex(image, strlen(image), hex);
    snprintf(out, DOCK_ID_MAX, "sha256:%s", hex);
}

/* Creates a container named name ("web" or "/web") from image in the given
 * state.  Events: create; start when it runs; pause when paused.  Returns 0,
 * SIM_EEXIST if the name is taken, SIM_EINVAL for an unknown state or an
 * over-long name, SIM_ENOMEM. */
int dock_container_add(dock_daemon_t *d, const char *name, const char *image,
                       const char *state, char id_out[DOCK_ID_MAX])
{
    dock_container_t *c;
    const char *st = valid_state(state);
    char buf[DOCK__NAME_MAX + DOCK_REF_MAX + 48];
    char cname[DOCK_REF_MAX];
    size_t i;
    if (!st || !name || !name[0] || !image ||
        strlen(name) + 2 > sizeof(cname) || strlen(image) >= DOCK_REF_MAX)
        return SIM_EINVAL;
    snprintf(cname, sizeof(cname), "%s%s", name[0] == '/' ? "" : "/", name);
    if (dock__ix_find(&d->ix_ctr_name, d, dock__key_ctr_name, d->nctrs,
                      cname) >= 0)
        return SIM_EEXIST;
    if (dock__grow((void **)&d->ctrs, &d->capctrs, d->nctrs + 1,
                   sizeof(*d->ctrs)))
        return SIM_ENOMEM;
    c = &d->ctrs[d->nctrs++];
    memset(c, 0, sizeof(*c));
    snprintf(buf, sizeof(buf), "%s/%s/%" PRIu64, d->id, cname + 1,
             d->ctr_serial++);
    dock_sha256_hex(buf, strlen(buf), c->id);
    dock__copy_str(c->name, sizeof(c->name), cname);
    dock__copy_str(c->image, sizeof(c->image), image);
    image_id_for(d, image, c->image_id);
    dock__copy_str(c->state, sizeof(c->state), "created");
    c->created_ns = (int64_t)sim_now(d->loop);
    i = d->nctrs - 1;
    (void)dock__ix_add(&d->ix_ctr_id, d, dock__key_ctr_id, d->nctrs,
                       (uint32_t)i);
    (void)dock__ix_add(&d->ix_ctr_name, d, dock__key_ctr_name, d->nctrs,
                       (uint32_t)i);
    if (id_out)
        dock__copy_str(id_out, DOCK_ID_MAX, c->id);
    dock__emit(d, "container", "create", c->id);
    if (strcmp(st, "running") == 0 || strcmp(st, "paused") == 0 ||
        strcmp(st, "restarting") == 0) {
        ctr_set_state(d, c, "running");
        dock__emit(d, "container", "start", c->id);
    }
    if (strcmp(st, c->state) != 0)
        ctr_set_state(d, c, st);
    if (strcmp(st, "paused") == 0)
        dock__emit(d, "container", "pause", c->id);
    return 0;
}

/* Finds a container by ID, name or ID prefix; NULL if none.  The pointer
 * is valid until the next change to the daemon's containers. */
const dock_container_t *dock_container_find(const dock_daemon_t *d,
                                            const char *ref)
{
    long i = ctr_index(d, ref);
    return i < 0 ? NULL : &d->ctrs[i];
}

/* Number of containers in every state. */
size_t dock_container_count(const dock_daemon_t *d)
{
    return d->nctrs;
}

/* SIGTERM or SIGKILL a running container: kill, die (and stop for a stop). */
static void ctr_kill(dock_daemon_t *d, dock_container_t *c, int sigkill)
{
    dock__emit(d, "container", "kill", c->id);
    c->exit_code = sigkill ? DOCK__EXIT_KILLED : 0;
    ctr_set_state(d, c, "exited");
    dock__emit(d, "container", "die", c->id);
    if (!sigkill)
        dock__emit(d, "container", "stop", c->id);
}

static void ctr_remove(dock_daemon_t *d, dock_container_t *c, const char *ref,
                       int force, int api, dock__res_t *res)
{
    size_t i = (size_t)(c - d->ctrs);
    char id[DOCK_ID_MAX];
    if (strcmp(c->state, "removing") == 0 ||
        (api && SIM_FAULT(d->loop, DOCK_CONTAINER_RM_IN_PROGRESS, d->name))) {
        dock__res_set(res, 409, SIM_ECONFLICT,
                      "removal of container %s is already in progress", ref);
        return;
    }
    if (dock__ctr_running(c) && !force) {
        if (strcmp(c->state, "paused") == 0)
            dock__res_set(res, 409, SIM_ECONFLICT,
                          "container is paused and must be unpaused first");
        else
            dock__res_set(res, 409, SIM_ECONFLICT,
                          "cannot remove container \"%s\": container is "
                          "running: stop the container before removing or "
                          "force remove",
                          c->name);
        return;
    }
    if (dock__ctr_running(c))
        ctr_kill(d, c, 1);
    dock__copy_str(id, sizeof(id), c->id);
    memmove(&d->ctrs[i], &d->ctrs[i + 1],
            (d->nctrs - i - 1) * sizeof(*d->ctrs));
    d->nctrs--;
    dock__ix_stale(&d->ix_ctr_id);
    dock__ix_stale(&d->ix_ctr_name);
    dock__emit(d, "container", "destroy", id);
    dock__res_ok(res, 204);
}

static void ctr_start(dock_daemon_t *d, dock_container_t *c, int restart,
                      dock__res_t *res)
{
    if (strcmp(c->state, "paused") == 0 && !restart) {
        dock__res_set(res, 409, SIM_ECONFLICT,
                      "cannot start a paused container, try unpause instead");
        return;
    }
    if (strcmp(c->state, "removing") == 0 || strcmp(c->state, "dead") == 0) {
        dock__res_set(res, 409, SIM_ECONFLICT,
                      "container is marked for removal and cannot be "
                      "started");
        return;
    }
    if (dock__ctr_running(c) && !restart) {
        dock__res_ok(res, 304); /* "Container is already started" */
        return;
    }
    if (dock__ctr_running(c))
        ctr_kill(d, c, 0);
    c->exit_code = 0;
    ctr_set_state(d, c, "running");
    dock__emit(d, "container", "start", c->id);
    if (restart)
        dock__emit(d, "container", "restart", c->id);
    dock__res_ok(res, 204);
}

static void ctr_pause(dock_daemon_t *d, dock_container_t *c, int pause,
                      dock__res_t *res)
{
    if (!pause) {
        if (strcmp(c->state, "paused") != 0) {
            dock__res_set(res, 409, SIM_ECONFLICT, "Container %s is not paused",
                          c->id);
            return;
        }
        ctr_set_state(d, c, "running");
        dock__emit(d, "container", "unpause", c->id);
        dock__res_ok(res, 204);
        return;
    }
    if (!dock__ctr_running(c)) {
        dock__res_set(res, 409, SIM_ECONFLICT, "Container %s is not running",
                      c->id);
        return;
    }
    if (strcmp(c->state, "paused") == 0) {
        dock__res_set(res, 409, SIM_ECONFLICT, "Container %s is already paused",
                      c->id);
        return;
    }
    if (strcmp(c->state, "restarting") == 0) {
        dock__res_set(res, 409, SIM_ECONFLICT,
                      "Container %s is restarting, wait until the container "
                      "is running",
                      c->id);
        return;
    }
    ctr_set_state(d, c, "paused");
    dock__emit(d, "container", "pause", c->id);
    dock__res_ok(res, 204);
}

/* Runs a container-by-reference operation (remove, start, stop, pause,
 * unpause, restart) with Docker's rules and answers. */
void dock__container_op(dock_daemon_t *d, dock_op_t op, const char *ref,
                        int force, int api, dock__res_t *res)
{
    long i;
    dock_container_t *c;
    if ((api && SIM_FAULT(d->loop, DOCK_CONTAINER_NOT_FOUND, d->name)) ||
        (i = ctr_index(d, ref)) < 0) {
        dock__res_set(res, 404, SIM_ENOTFOUND, "No such container: %s", ref);
        return;
    }
    c = &d->ctrs[i];
    switch (op) {
    case DOCK_OP_CONTAINER_REMOVE:
        ctr_remove(d, c, ref, force, api, res);
        break;
    case DOCK_OP_CONTAINER_START:
    case DOCK_OP_CONTAINER_RESTART:
        ctr_start(d, c, op == DOCK_OP_CONTAINER_RESTART, res);
        break;
    case DOCK_OP_CONTAINER_STOP:
        if (!dock__ctr_running(c)) {
            dock__res_ok(res, 304); /* "already stopped" */
            break;
        }
        ctr_kill(d, c, 0);
        dock__res_ok(res, 204);
        break;
    case DOCK_OP_CONTAINER_PAUSE:
    case DOCK_OP_CONTAINER_UNPAUSE:
        ctr_pause(d, c, op == DOCK_OP_CONTAINER_PAUSE, res);
        break;
    default:
        SIM_ASSERT(!"not a container operation");
    }
}

/* `docker rm [-f]` from the scenario: the API's rules without its fault
 * sites, logged with client "user".  0, SIM_ENOTFOUND, SIM_ECONFLICT,
 * SIM_ECONNREFUSED while the daemon is down, SIM_ENOMEM. */
int dock_user_call(dock_daemon_t *d, dock_op_t op, const char *ref,
                   int force)
{
    dock__res_t res;
    /* the mutating calls but create, which dock_container_create makes */
    if (!dock_op_mutating(op) || op == DOCK_OP_CONTAINER_CREATE)
        return SIM_EINVAL;
    if (!d->up)
        return SIM_ECONNREFUSED;
    if (dock__calls_reserve(d))
        return SIM_ENOMEM;
    if (op == DOCK_OP_IMAGE_REMOVE)
        dock__image_remove(d, ref, force, 0, &res);
    else if (op == DOCK_OP_VOLUME_REMOVE)
        dock__volume_remove(d, ref, force, 0, &res);
    else
        dock__container_op(d, op, ref, force, 0, &res);
    dock__calls_append(d, op, ref, force, "user", "", res.http);
    return res.err;
}

int dock_container_remove(dock_daemon_t *d, const char *ref, int force)
{
    dock__res_t res;
    if (!d->up)
        return SIM_ECONNREFUSED;
    if (dock__calls_reserve(d))
        return SIM_ENOMEM;
    dock__container_op(d, DOCK_OP_CONTAINER_REMOVE, ref, force, 0, &res);
    dock__calls_append(d, DOCK_OP_CONTAINER_REMOVE, ref, force, "user", "",
                       res.http);
    return res.err;
}
