/*
 * moby.c: the Docker client's transport (see moby.h).  One struct per
 * request; it is freed after its callback.
 */
#include "moby.h"

#include <stdio.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

struct moby_call {
    moby_client_t *c;         /* may be freed inside cb: use loop after */
    sim_loop_t *loop;
    dock_req_t req;
    moby_cb cb;
    moby_event_cb on_event;
    void *arg;
    moby_call_t **out;        /* cleared when the call ends */
    npipe_dial_t *dial;       /* pending pipe dial */
    sim_stream_t *conn;       /* client end */
    sim_timer_t deadline;
    int events;               /* an event stream */
    int got_header;
    int done;
    char msg[512];
};

static void call_free_cb(void *a, void *b)
{
    (void)b;
    sim__free(a);
}

/* Ends the call once: closes what it holds, reports, frees later. */
static void call_end(moby_call_t *m, int status, const dock_resp_t *resp,
                     const void *items, const char *msg)
{
    if (m->done)
        return;
    m->done = 1;
    sim_timer_stop(&m->deadline);
    if (m->dial) {
        npipe_dial_cancel(m->dial);
        m->dial = NULL;
    }
    if (m->conn) {
        sim_stream_close(m->conn, NULL);
        m->conn = NULL;
    }
    if (m->out)
        *m->out = NULL;
    m->cb(m->arg, status, resp, items, msg ? msg : "");
    /* Free on a later turn: dial/stream callbacks may still name m. */
    if (sim_call(m->loop, 0, call_free_cb, m, NULL) != 0)
        sim__free(m);
}

static const char *strip_scheme(const char *endpoint, const char *scheme)
{
    size_t n = strlen(scheme);
    return strncmp(endpoint, scheme, n) == 0 ? endpoint + n : NULL;
}

/* moby client/request.go: how a dial error reads. */
static void dial_error_text(moby_call_t *m, int err)
{
    const char *ep = m->c->endpoint;
    const char *pipe = strip_scheme(ep, "npipe://");
    const char *path = strip_scheme(ep, "unix://");
    if (err == SIM_EDEADLINE || err == SIM_ECANCELED) {
        snprintf(m->msg, sizeof(m->msg), "%s", sim_strerror(err));
    } else if (err == SIM_EACCES) {
        snprintf(m->msg, sizeof(m->msg),
                 "permission denied while trying to connect to the docker "
                 "API at %s", ep);
    } else if (pipe) {
        snprintf(m->msg, sizeof(m->msg),
                 "failed to connect to the docker API at %s; check if the "
                 "path is correct and if the daemon is running: open %s: %s",
                 ep, pipe, npipe_strerror(err));
    } else if (path) {
        snprintf(m->msg, sizeof(m->msg),
                 "failed to connect to the docker API at %s; check if the "
                 "path is correct and if the daemon is running: dial unix "
                 "%s: connect: %s", ep, path,
                 err == SIM_ENOENT ? "no such file or directory"
                                   : "connection refused");
    } else {
        snprintf(m->msg, sizeof(m->msg), "%s", sim_strerror(err));
    }
}

void moby_http_error(const dock_resp_t *resp, char *out, size_t outlen)
{
    snprintf(out, outlen, "Error response from daemon: %s", resp->message);
}

static void on_read(sim_stream_t *s, long nread, const void *buf)
{
    moby_call_t *m = s->data;
    const dock_resp_t *resp = buf;
    if (m->done)
        return;
    if (nread < 0 || (size_t)nread < sizeof(*resp) ||
        resp->magic != DOCK_MAGIC) {
        /* io.EOF: the server went away before (or while) answering. */
        snprintf(m->msg, sizeof(m->msg), "EOF");
        call_end(m, SIM_EPIPE, NULL, NULL, m->msg);
        return;
    }
    if (!m->events) {
        call_end(m, 0, resp, resp + 1, NULL);
        return;
    }
    if (!m->got_header) {
        m->got_header = 1;
        if (resp->http >= 400) {
            moby_http_error(resp, m->msg, sizeof(m->msg));
            call_end(m, resp->err ? resp->err : SIM_ESERVER, resp, NULL,
                     m->msg);
        }
        return;
    }
    if (resp->nitems == 1 &&
        (size_t)nread >= sizeof(*resp) + sizeof(dock_event_t))
        m->on_event(m->arg, (const dock_event_t *)(resp + 1),
                    resp->daemon_id);
}

static void connected(moby_call_t *m, sim_stream_t *conn)
{
    int rc;
    m->conn = conn;
    conn->data = m;
    sim_stream_read_start(conn, on_read);
    rc = sim_stream_write(conn, &m->req, sizeof(m->req));
    if (rc) {
        snprintf(m->msg, sizeof(m->msg), "%s", sim_strerror(rc));
        call_end(m, rc, NULL, NULL, m->msg);
    }
}

/* A pipe dial's or a socket connect's result (both callbacks have this
 * shape). */
static void on_pipe_dial(void *arg, int status, sim_stream_t *conn)
{
    moby_call_t *m = arg;
    m->dial = NULL;
    if (m->done) {
        if (conn)
            sim_stream_close(conn, NULL);
        return;
    }
    if (status) {
        dial_error_text(m, status);
        call_end(m, status, NULL, NULL, m->msg);
        return;
    }
    connected(m, conn);
}

static void on_deadline(sim_timer_t *t)
{
    moby_call_t *m = t->data;
    dial_error_text(m, SIM_EDEADLINE);
    call_end(m, SIM_EDEADLINE, NULL, NULL, m->msg);
}

static int start(moby_client_t *c, const dock_req_t *req, uint64_t timeout_ns,
                 int events, moby_event_cb on_event, moby_cb cb, void *arg,
                 moby_call_t **out)
{
    moby_call_t *m = sim__calloc(1, sizeof(*m));
    const char *pipe = strip_scheme(c->endpoint, "npipe://");
    const char *path = strip_scheme(c->endpoint, "unix://");
    uint64_t deadline = timeout_ns ? sim_now(c->loop) + timeout_ns
                                   : SIM_NEVER;
    int rc;
    if (!m)
        return SIM_ENOMEM;
    m->c = c;
    m->loop = c->loop;
    m->req = *req;
    m->req.magic = DOCK_MAGIC;
    snprintf(m->req.client, sizeof(m->req.client), "%s", c->client);
    snprintf(m->req.endpoint, sizeof(m->req.endpoint), "%s", c->endpoint);
    m->cb = cb;
    m->on_event = on_event;
    m->arg = arg;
    m->events = events;
    m->out = out;
    sim_timer_init(c->loop, &m->deadline);
    m->deadline.data = m;
    /* The deadline first: once a dial is under way, m must live until its
     * callback, so nothing after the dial may fail. */
    rc = timeout_ns ? sim_timer_start(&m->deadline, on_deadline, timeout_ns)
                    : 0;
    if (rc == 0) {
        sim_trace_scope_t scope = sim_trace_link_scope(
            c->loop, "swallowed", c->swallowed ? *c->swallowed : 0);
        if (pipe)
            rc = npipe_dial(c->pipes, pipe, c->proc, deadline, SIM_EDEADLINE,
                            on_pipe_dial, m, &m->dial);
        else if (path)
            rc = uds_connect(c->socks, path, c->client, on_pipe_dial, m);
        else
            rc = SIM_EINVAL;
        sim_trace_scope_restore(c->loop, scope);
    }
    if (rc) {
        sim_timer_stop(&m->deadline);
        sim__free(m);
        return rc;
    }
    if (out)
        *out = m;
    return 0;
}

int moby_do(moby_client_t *c, const dock_req_t *req, uint64_t timeout_ns,
            moby_cb cb, void *arg, moby_call_t **out)
{
    return start(c, req, timeout_ns, 0, NULL, cb, arg, out);
}

int moby_events(moby_client_t *c, int64_t since_ns, moby_event_cb on_event,
                moby_cb on_end, void *arg, moby_call_t **out)
{
    dock_req_t req;
    memset(&req, 0, sizeof(req));
    req.op = DOCK_OP_EVENTS;
    req.since_ns = since_ns;
    return start(c, &req, 0, 1, on_event, on_end, arg, out);
}

void moby_cancel(moby_call_t *call)
{
    if (!call || call->done)
        return;
    snprintf(call->msg, sizeof(call->msg), "context canceled");
    call_end(call, SIM_ECANCELED, NULL, NULL, call->msg);
}
