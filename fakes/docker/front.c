/*
 * front.c: the Engine API front of the Docker fake.  It serves dock_req_t
 * messages arriving on sim streams (one message per request, see docker.h)
 * and answers each after a latency drawn from the daemon's own stream, with
 * the JSON body's fields already decoded into dock_resp_t plus items.
 *
 * A connection answers its requests in order, one at a time; up to
 * DOCK__CONN_QUEUE_MAX may wait behind the one in progress (more closes the
 * connection, as a misbehaving peer).  A request that is not a dock_req_t
 * gets 400 and the connection is closed, as net/http does with a malformed
 * request; an op the daemon does not implement gets 404 "page not found".
 * An events request turns its connection into a stream: the header, the
 * ring's events at or after since_ns (moby: TimeNano >= since), then live events, one message each;
 * anything the client sends afterwards is ignored.
 *
 * Answers due on every connection of a daemon sit in one list ordered by
 * (due, seq) behind a single timer owned by the daemon, so a connection can
 * be freed from any callback without a timer still pointing into it.
 *
 * Left out: HTTP itself (paths, versions, headers, chunking), the 100 ms
 * slow-consumer drop of the event publisher and `until`.
 */
#include <stdio.h>
#include <string.h>

#include "docker/docker_int.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

enum {
    CONN_IDLE = 0, /* no request in progress */
    CONN_WAIT,     /* in d->pending, answer due at due_ns */
    CONN_EVENTS,   /* streaming events until either side closes */
};

struct dock__conn {
    dock_daemon_t *d;
    sim_stream_t *s;                    /* the server end; we own it */
    int state;                          /* CONN_* */
    dock_req_t q[DOCK__CONN_QUEUE_MAX]; /* requests not yet answered */
    int qbad[DOCK__CONN_QUEUE_MAX];     /* 1: not a dock_req_t */
    int qhead, qlen;
    uint64_t due_ns;           /* CONN_WAIT: when the answer goes */
    uint64_t seq;              /* CONN_WAIT: tie-break, FIFO */
    dock__conn_t *prev, *next; /* d->conns */
    dock__conn_t *pnext;       /* d->pending */
};

static void on_timer(sim_timer_t *t);
static void conn_close(dock__conn_t *c);

/* connections ------------------------------------------------------------*/

static void pending_unlink(dock__conn_t *c)
{
    dock__conn_t **pp = &c->d->pending;
    while (*pp && *pp != c)
        pp = &(*pp)->pnext;
    if (*pp)
        *pp = c->pnext;
    c->pnext = NULL;
}

/* Re-arms the daemon's timer for the earliest answer due. */
static void rearm(dock_daemon_t *d)
{
    uint64_t now = sim_now(d->loop);
    while (d->pending) {
        uint64_t due = d->pending->due_ns;
        if (sim_timer_start(&d->timer, on_timer, due > now ? due - now : 0) ==
            0)
            return;
        /* Out of memory for the heap: drop that connection. */
        conn_close(d->pending);
    }
    sim_timer_stop(&d->timer);
}

/* Closes our end (the client reads EOF) and frees c.  The caller re-arms. */
static void conn_close(dock__conn_t *c)
{
    dock_daemon_t *d = c->d;
    if (c->state == CONN_WAIT)
        pending_unlink(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        d->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        d->conns_tail = c->prev;
    c->s->data = NULL;
    sim_stream_close(c->s, NULL);
    sim__free(c);
}

/* Starts the next queued request: draw its latency, join d->pending. */
static void conn_begin(dock__conn_t *c)
{
    dock_daemon_t *d = c->d;
    dock__conn_t **pp = &d->pending;
    SIM_ASSERT(c->state == CONN_IDLE);
    SIM_ASSERT(c->qlen > 0);
    c->state = CONN_WAIT;
    c->due_ns = sim_now(d->loop) +
                sim_rng_range(&d->lat_rng, d->lat_min_ns, d->lat_max_ns);
    /* Fault dock.api.slow: this call takes a latency spike of 1-10 s (a
     * daemon busy with a long operation), drawn from the site's stream. */
    if (SIM_FAULT(d->loop, DOCK_API_SLOW, d->name)) {
        uint64_t extra = sim_fault_range(d->loop, SIM_FAULT_DOCK_API_SLOW,
                                         1 * SIM_NS_PER_S, 10 * SIM_NS_PER_S);
        sim_trace_t *tr = sim_trace_begin(d->loop, "dock.api.slow");
        sim_trace_str(tr, "daemon", d->name);
        sim_trace_ns(tr, "extra", extra);
        sim_trace_end(tr);
        c->due_ns += extra;
    }
    c->seq = ++d->pend_serial;
    while (*pp && (*pp)->due_ns <= c->due_ns)
        pp = &(*pp)->pnext;
    c->pnext = *pp;
    *pp = c;
}

/* answers ----------------------------------------------------------------*/

static void hdr_init(const dock_daemon_t *d, dock_op_t op, dock_resp_t *h)
{
    memset(h, 0, sizeof(*h));
    h->magic = DOCK_MAGIC;
    h->op = op;
    snprintf(h->daemon_id, sizeof(h->daemon_id), "%s", d->id);
}

static void trace_done(dock_daemon_t *d, dock_op_t op, int http)
{
    sim_trace_t *tr = sim_trace_begin(d->loop, "dock.call.done");
    sim_trace_str(tr, "daemon", d->name);
    sim_trace_str(tr, "op", dock_op_name(op));
    sim_trace_i64(tr, "http", http);
    sim_trace_end(tr);
}

/* Writes the header and n items of isz bytes as one message.  Returns 1 if
 * the connection had to be closed (and c is gone). */
static int send_answer(dock__conn_t *c, dock_resp_t *h, const void *items,
                       size_t n, size_t isz)
{
    size_t len = sizeof(*h) + n * isz;
    unsigned char *buf = sim__malloc(len);
    int rc;
    if (!buf) {
        conn_close(c);
        return 1;
    }
    h->nitems = (uint32_t)n;
    memcpy(buf, h, sizeof(*h));
    if (n)
        memcpy(buf + sizeof(*h), items, n * isz);
    rc = sim_stream_write(c->s, buf, len);
    sim__free(buf);
    if (rc) {
        conn_close(c);
        return 1;
    }
    return 0;
}

/* Sends one event on a streaming connection; 1 if c is gone.  The
 * dock.events.stream_eof fault is evaluated once per event delivered. */
static int send_event(dock__conn_t *c, const dock_event_t *ev)
{
    dock_daemon_t *d = c->d;
    unsigned char buf[sizeof(dock_resp_t) + sizeof(dock_event_t)];
    dock_resp_t h;
    if (SIM_FAULT(d->loop, DOCK_EVENTS_STREAM_EOF, d->name)) {
        conn_close(c);
        return 1;
    }
    hdr_init(d, DOCK_OP_EVENTS, &h);
    h.http = 200;
    h.nitems = 1;
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), ev, sizeof(*ev));
    if (sim_stream_write(c->s, buf, sizeof(buf))) {
        conn_close(c);
        return 1;
    }
    return 0;
}

/* Sends each live event to every streaming connection, in accept order. */
void dock__front_publish(dock_daemon_t *d, const dock_event_t *ev)
{
    dock__conn_t *c = d->conns, *next;
    for (; c; c = next) {
        next = c->next;
        if (c->state == CONN_EVENTS)
            (void)send_event(c, ev);
    }
}

static int answer_events(dock__conn_t *c, const dock_req_t *req)
{
    dock_daemon_t *d = c->d;
    dock_resp_t h;
    size_t i;
    hdr_init(d, DOCK_OP_EVENTS, &h);
    h.http = 200;
    trace_done(d, DOCK_OP_EVENTS, 200);
    if (send_answer(c, &h, NULL, 0, 0))
        return 1;
    c->state = CONN_EVENTS;
    for (i = 0; i < d->ring_len; i++) {
        const dock_event_t *ev = dock__ring_at(d, i);
        if (ev->time_ns >= req->since_ns && send_event(c, ev))
            return 1;
    }
    return 0;
}

/* Reads: fills the items to send; a miss fills res. */
static void answer_read(dock_daemon_t *d, const dock_req_t *req, dock_resp_t *h,
                        dock__res_t *res, const void **items, size_t *n,
                        size_t *isz)
{
    const void *one = NULL;
    switch (req->op) {
    case DOCK_OP_PING:
        if (SIM_FAULT(d->loop, DOCK_PING_UNAVAILABLE, d->name)) {
            dock__res_ok(res, 500); /* no JSON body, as client/ping.go */
            res->err = SIM_ESERVER;
        } else
            dock__res_set(res, 200, 0, "OK");
        return;
    case DOCK_OP_INFO:
        snprintf(h->info_id, sizeof(h->info_id), "%s", d->id);
        snprintf(h->info_name, sizeof(h->info_name), "%s", d->name);
        h->system_time_ns = (int64_t)sim_now(d->loop);
        return;
    case DOCK_OP_CONTAINER_LIST:
        *items = d->ctrs, *n = d->nctrs, *isz = sizeof(*d->ctrs);
        return;
    case DOCK_OP_IMAGE_LIST:
        *items = d->imgs, *n = d->nimgs, *isz = sizeof(*d->imgs);
        return;
    case DOCK_OP_VOLUME_LIST:
        *items = d->vols, *n = d->nvols, *isz = sizeof(*d->vols);
        return;
    case DOCK_OP_CONTAINER_INSPECT:
        if (!SIM_FAULT(d->loop, DOCK_CONTAINER_NOT_FOUND, d->name))
            one = dock_container_find(d, req->ref);
        *isz = sizeof(dock_container_t);
        if (!one)
            dock__res_set(res, 404, SIM_ENOTFOUND, "No such container: %s",
                          req->ref);
        break;
    case DOCK_OP_IMAGE_INSPECT:
        one = dock_image_find(d, req->ref);
        *isz = sizeof(dock_image_t);
        if (!one)
            dock__res_set(res, 404, SIM_ENOTFOUND, "No such image: %s",
                          req->ref);
        break;
    case DOCK_OP_VOLUME_INSPECT:
        one = dock_volume_find(d, req->ref);
        *isz = sizeof(dock_volume_t);
        if (!one)
            dock__res_set(res, 404, SIM_ENOTFOUND, "get %s: no such volume",
                          req->ref);
        break;
    default:
        dock__res_set(res, 404, SIM_ENOTFOUND, "page not found");
        return;
    }
    *items = one;
    *n = one ? 1 : 0;
}

/* moby daemon/create.go: the image must be present (404 "No such image"),
 * the name free (409 Conflict); no name is a generated one.  201. */
static void container_create(dock_daemon_t *d, const dock_req_t *req,
                             dock__res_t *res, char id[DOCK_ID_MAX])
{
    char name[DOCK_REF_MAX];
    const dock_container_t *old;
    int rc;
    if (!dock_image_find(d, req->image)) {
        dock__res_set(res, 404, SIM_ENOTFOUND, "No such image: %s",
                      req->image);
        return;
    }
    if (req->ref[0])
        snprintf(name, sizeof(name), "%s", req->ref);
    else
        snprintf(name, sizeof(name), "ctr_%zu", d->nctrs + 1);
    rc = dock_container_add(d, name, req->image, "created", id);
    if (rc == SIM_EEXIST && (old = dock_container_find(d, name)))
        dock__res_set(res, 409, SIM_ECONFLICT,
                      "Conflict. The container name \"%s\" is already in "
                      "use by container \"%s\". You have to remove (or "
                      "rename) that container to be able to reuse that name.",
                      old->name, old->id);
    else if (rc)
        dock__res_set(res, rc == SIM_ENOMEM ? 500 : 400, rc, "%s",
                      rc == SIM_ENOMEM ? "out of memory"
                                       : "invalid container name");
    else
        dock__res_ok(res, 201);
}

/* Mutations: run them and log them, whatever the outcome. */
static void answer_write(dock_daemon_t *d, const dock_req_t *req,
                         dock__res_t *res, char id[DOCK_ID_MAX])
{
    if (dock__calls_reserve(d)) {
        dock__res_set(res, 500, SIM_ENOMEM, "out of memory");
        return;
    }
    switch (req->op) {
    case DOCK_OP_IMAGE_REMOVE:
        dock__image_remove(d, req->ref, req->force, 1, res);
        break;
    case DOCK_OP_VOLUME_REMOVE:
        dock__volume_remove(d, req->ref, req->force, 1, res);
        break;
    case DOCK_OP_CONTAINER_CREATE:
        container_create(d, req, res, id);
        break;
    default:
        dock__container_op(d, req->op, req->ref, req->force, 1, res);
        break;
    }
    dock__calls_append(d, req->op, req->ref, req->force, req->client,
                       req->endpoint, res->http);
}

/* Answers one request; 1 if the connection is gone. */
static int answer(dock__conn_t *c, const dock_req_t *req, int bad)
{
    dock_daemon_t *d = c->d;
    dock_resp_t h;
    dock__res_t res;
    const void *items = NULL;
    size_t n = 0, isz = 0;
    if (bad) {
        hdr_init(d, 0, &h);
        h.http = 400;
        h.err = SIM_EINVAL;
        snprintf(h.message, sizeof(h.message), "malformed request");
        trace_done(d, 0, 400);
        if (!send_answer(c, &h, NULL, 0, 0))
            conn_close(c);
        return 1;
    }
    if (req->op == DOCK_OP_EVENTS)
        return answer_events(c, req);
    hdr_init(d, req->op, &h);
    dock__res_ok(&res, 200);
    if (dock_op_mutating(req->op)) {
        char id[DOCK_ID_MAX] = "";
        answer_write(d, req, &res, id);
        if (req->op == DOCK_OP_CONTAINER_CREATE && res.http == 201) {
            items = dock_container_find(d, id);
            n = items ? 1 : 0;
            isz = sizeof(dock_container_t);
        }
    } else
        answer_read(d, req, &h, &res, &items, &n, &isz);
    h.http = res.http;
    h.err = res.err;
    memcpy(h.message, res.message, sizeof(h.message));
    trace_done(d, req->op, res.http);
    return send_answer(c, &h, items, res.http < 300 ? n : 0, isz);
}

static void on_timer(sim_timer_t *t)
{
    dock_daemon_t *d = t->data;
    dock__conn_t *c = d->pending;
    dock_req_t req;
    int bad;
    if (c && c->due_ns <= sim_now(d->loop)) {
        d->pending = c->pnext;
        c->pnext = NULL;
        c->state = CONN_IDLE;
        req = c->q[c->qhead];
        bad = c->qbad[c->qhead];
        c->qhead = (c->qhead + 1) % DOCK__CONN_QUEUE_MAX;
        c->qlen--;
        if (!answer(c, &req, bad) && c->state == CONN_IDLE && c->qlen > 0)
            conn_begin(c);
    }
    rearm(d);
}

/* reads ------------------------------------------------------------------*/

static void trace_recv(dock_daemon_t *d, const dock_req_t *req, int bad)
{
    sim_trace_t *tr = sim_trace_begin(d->loop, "dock.call.recv");
    sim_trace_str(tr, "daemon", d->name);
    sim_trace_str(tr, "op", bad ? "Invalid" : dock_op_name(req->op));
    sim_trace_str(tr, "ref", bad ? "" : req->ref);
    sim_trace_str(tr, "client", bad ? "" : req->client);
    sim_trace_end(tr);
}

static void on_read(sim_stream_t *s, long nread, const void *buf)
{
    dock__conn_t *c = s->data;
    dock_daemon_t *d;
    dock_req_t *req;
    int slot;
    if (!c)
        return;
    d = c->d;
    if (nread < 0) {
        conn_close(c);
        rearm(d);
        return;
    }
    if (c->state == CONN_EVENTS)
        return;
    if (c->qlen == DOCK__CONN_QUEUE_MAX) {
        conn_close(c);
        rearm(d);
        return;
    }
    slot = (c->qhead + c->qlen) % DOCK__CONN_QUEUE_MAX;
    req = &c->q[slot];
    memset(req, 0, sizeof(*req));
    c->qbad[slot] = (size_t)nread != sizeof(*req);
    if (!c->qbad[slot]) {
        memcpy(req, buf, sizeof(*req));
        c->qbad[slot] = req->magic != DOCK_MAGIC;
        req->ref[sizeof(req->ref) - 1] = 0;
        req->client[sizeof(req->client) - 1] = 0;
        req->endpoint[sizeof(req->endpoint) - 1] = 0;
        req->image[sizeof(req->image) - 1] = 0;
    }
    c->qlen++;
    trace_recv(d, req, c->qbad[slot]);
    if (c->state == CONN_IDLE)
        conn_begin(c);
    rearm(d);
}

/* Takes ownership of server_end and serves Engine API requests on it until
 * the client closes its end or the daemon stops.  If the daemon is down,
 * or out of memory, the stream is closed at once (the client reads EOF). */
void dock_daemon_serve(dock_daemon_t *d, sim_stream_t *server_end)
{
    dock__conn_t *c;
    SIM_ASSERT(server_end != NULL);
    if (!d->up || !(c = sim__calloc(1, sizeof(*c)))) {
        sim_stream_close(server_end, NULL);
        return;
    }
    c->d = d;
    c->s = server_end;
    c->prev = d->conns_tail;
    if (d->conns_tail)
        d->conns_tail->next = c;
    else
        d->conns = c;
    d->conns_tail = c;
    server_end->data = c;
    sim_stream_read_start(server_end, on_read);
}

/* Closes every served connection; answers still due are dropped. */
void dock__front_close_all(dock_daemon_t *d)
{
    while (d->conns)
        conn_close(d->conns);
    SIM_ASSERT(d->pending == NULL);
    sim_timer_stop(&d->timer);
}
