/*
 * uds.c: Unix domain sockets by path, with the Linux behaviour measured in
 * docs/platform.md#unix-domain-sockets.
 *
 * Modelled: a socket file per path, live while its listener is open and
 * bound to it, stale after a close without unlink; bind on any existing
 * file is EADDRINUSE; connect gives ENOENT (no file), ECONNREFUSED (stale
 * file) or a stream pair; unlink-then-bind leaves the first listener open
 * but unreachable; Go's unlink-on-close removes whatever file is at the
 * path, a newcomer's included.  Paths starting with '@' are abstract
 * names: no file, freed on close, never unlinked.
 * Left out: permissions and credentials (EACCES, SO_PEERCRED), backlog
 * limits and ECONNRESET for connections a closing listener never accepted
 * (their server end is closed: the client reads EOF), path length limits
 * beyond UDS_PATH_MAX, directories.
 *
 * Each connect owns two timers, armed when it is decided: the answer, then
 * the listener's new server end.  uds_ns_free disarms whatever is pending.
 * A finished connect is buried, not freed, since the loop reads a timer
 * after its callback; the dead go when the next uds timer fires.
 */
#include "uds/uds.h"

#include <string.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

#define UDS_CLIENT_MAX 64

typedef struct uds_file {
    struct uds_file *next; /* namespace list, creation order */
    struct uds_file *prev;
    char path[UDS_PATH_MAX];
    uds_listener_t *owner; /* listening on it, or NULL: stale */
    uint64_t trace_seq;    /* the uds.listen.ok that bound it (explain) */
} uds_file_t;

struct uds_listener {
    uds_listener_t *next; /* namespace list, creation order */
    uds_listener_t *prev;
    uds_ns_t *ns;
    char path[UDS_PATH_MAX]; /* as bound */
    uint32_t pid;
    uds_conn_cb cb;
    void *arg;
    uds_file_t *file; /* NULL once unlinked (unreachable) */
    uint64_t trace_seq; /* its uds.listen.ok record (explain's link) */
};

/* A connect whose answer or server end is still to be handed out. */
typedef struct uds_req {
    struct uds_req *next; /* namespace list (or the dead list) */
    struct uds_req *prev;
    uds_ns_t *ns;
    uds_connect_cb cb;
    void *arg;
    int status;        /* the answer */
    sim_stream_t *cli; /* client end to hand out, or NULL */
    sim_stream_t *srv; /* server end to hand out, or NULL */
    uds_listener_t *l; /* gets srv; NULL once closed */
    int pending;       /* timers still to fire */
    sim_timer_t t_cli; /* the answer */
    sim_timer_t t_srv; /* the server end */
} uds_req_t;

struct uds_ns {
    sim_loop_t *loop;
    uds_file_t *files; /* creation order */
    uds_file_t *files_tail;
    uds_listener_t *listeners; /* creation order */
    uds_listener_t *listeners_tail;
    uds_req_t *reqs; /* undelivered connects, creation order */
    uds_req_t *reqs_tail;
    uds_req_t *dead; /* buried connects */
};

#define LIST_APPEND(head, tail, x, nx, pv)                                     \
    do {                                                                       \
        (x)->pv = (tail);                                                      \
        (x)->nx = NULL;                                                        \
        if (tail)                                                              \
            (tail)->nx = (x);                                                  \
        else                                                                   \
            (head) = (x);                                                      \
        (tail) = (x);                                                          \
    } while (0)

#define LIST_REMOVE(head, tail, x, nx, pv)                                     \
    do {                                                                       \
        if ((x)->pv)                                                           \
            (x)->pv->nx = (x)->nx;                                             \
        else                                                                   \
            (head) = (x)->nx;                                                  \
        if ((x)->nx)                                                           \
            (x)->nx->pv = (x)->pv;                                             \
        else                                                                   \
            (tail) = (x)->pv;                                                  \
        (x)->nx = (x)->pv = NULL;                                              \
    } while (0)

static int is_abstract(const char *path)
{
    return path[0] == '@';
}

static uds_file_t *file_find(uds_ns_t *ns, const char *path)
{
    uds_file_t *f;
    for (f = ns->files; f; f = f->next)
        if (strcmp(f->path, path) == 0)
            return f;
    return NULL;
}

/* Removes the file; a listener bound to it becomes unreachable. */
static void file_remove(uds_ns_t *ns, uds_file_t *f)
{
    if (f->owner)
        f->owner->file = NULL;
    LIST_REMOVE(ns->files, ns->files_tail, f, next, prev);
    sim__free(f);
}

static int path_ok(const char *path)
{
    return path && path[0] && strlen(path) < UDS_PATH_MAX;
}

/* connect records --------------------------------------------------------*/

/* Frees buried records: only at the start of a uds timer callback or from
 * uds_ns_free, when no buried timer is firing. */
static void reap(uds_ns_t *ns)
{
    while (ns->dead) {
        uds_req_t *r = ns->dead;
        ns->dead = r->next;
        sim__free(r);
    }
}

/* One of r's deliveries is done; the last one buries r. */
static void req_done(uds_req_t *r)
{
    uds_ns_t *ns = r->ns;
    SIM_ASSERT(r->pending > 0);
    if (--r->pending > 0)
        return;
    LIST_REMOVE(ns->reqs, ns->reqs_tail, r, next, prev);
    r->next = ns->dead;
    ns->dead = r;
}

static void cli_fire(sim_timer_t *t)
{
    uds_req_t *r = t->data;
    uds_connect_cb cb = r->cb;
    void *arg = r->arg;
    int status = r->status;
    sim_stream_t *s = r->cli;
    reap(r->ns);
    r->cli = NULL;
    req_done(r);
    cb(arg, status, s);
}

static void srv_fire(sim_timer_t *t)
{
    uds_req_t *r = t->data;
    uds_listener_t *l = r->l;
    sim_stream_t *s = r->srv;
    reap(r->ns);
    r->srv = NULL;
    r->l = NULL;
    req_done(r);
    if (l)
        l->cb(l, l->arg, s);
    else
        sim_stream_close(s, NULL); /* never accepted */
}

/* namespace --------------------------------------------------------------*/

/* One socket namespace (filesystem) per simulated machine. */
int uds_ns_new(sim_loop_t *loop, uds_ns_t **out)
{
    uds_ns_t *ns;
    SIM_ASSERT(loop != NULL);
    SIM_ASSERT(out != NULL);
    ns = sim__calloc(1, sizeof(*ns));
    if (!ns)
        return SIM_ENOMEM;
    ns->loop = loop;
    *out = ns;
    return 0;
}

/* Frees files, listeners and undelivered results; their callbacks never
 * run.  Streams never handed out are closed, and the loop must run once
 * more to free them. */
void uds_ns_free(uds_ns_t *ns)
{
    if (!ns)
        return;
    reap(ns);
    while (ns->reqs) {
        uds_req_t *r = ns->reqs;
        LIST_REMOVE(ns->reqs, ns->reqs_tail, r, next, prev);
        sim_timer_stop(&r->t_cli);
        sim_timer_stop(&r->t_srv);
        if (r->cli)
            sim_stream_close(r->cli, NULL);
        if (r->srv)
            sim_stream_close(r->srv, NULL);
        sim__free(r);
    }
    while (ns->files)
        file_remove(ns, ns->files);
    while (ns->listeners) {
        uds_listener_t *l = ns->listeners;
        LIST_REMOVE(ns->listeners, ns->listeners_tail, l, next, prev);
        sim__free(l);
    }
    sim__free(ns);
}

/* listen -----------------------------------------------------------------*/

/* held: the record that bound the path a failed bind met (a link). */
static uint64_t trace_listen(uds_ns_t *ns, const char *ev, const char *path,
                             uint32_t pid, int err, uint64_t held)
{
    sim_trace_t *tr = sim_trace_begin(ns->loop, ev);
    sim_trace_str(tr, "path", path);
    sim_trace_u64(tr, "pid", pid);
    if (err)
        sim_trace_err(tr, "err", err);
    sim_trace_link(tr, "held", held);
    sim_trace_end(tr);
    return sim_trace_last(ns->loop);
}

/* bind(2) + listen(2).  Also SIM_EINVAL for an empty or too long path. */
int uds_listen(uds_ns_t *ns, const char *path, uint32_t pid, uds_conn_cb cb,
               void *arg, uds_listener_t **out)
{
    uds_file_t *f = NULL;
    uds_listener_t *l = NULL;
    uint64_t held = 0;
    int rc = 0;
    SIM_ASSERT(cb != NULL);
    SIM_ASSERT(out != NULL);
    if (!path_ok(path))
        rc = SIM_EINVAL;
    else if ((f = file_find(ns, path)) != NULL) {
        rc = SIM_EADDRINUSE; /* live or stale alike */
        held = f->trace_seq;
        f = NULL;
    }
    else if (!(f = sim__calloc(1, sizeof(*f))) ||
             !(l = sim__calloc(1, sizeof(*l))))
        rc = SIM_ENOMEM;
    if (rc) {
        sim__free(f);
        trace_listen(ns, "uds.listen.fail", path, pid, rc, held);
        return rc;
    }
    memcpy(f->path, path, strlen(path) + 1);
    f->owner = l;
    LIST_APPEND(ns->files, ns->files_tail, f, next, prev);
    l->ns = ns;
    memcpy(l->path, path, strlen(path) + 1);
    l->pid = pid;
    l->cb = cb;
    l->arg = arg;
    l->file = f;
    LIST_APPEND(ns->listeners, ns->listeners_tail, l, next, prev);
    l->trace_seq = f->trace_seq =
        trace_listen(ns, "uds.listen.ok", path, pid, 0, 0);
    *out = l;
    return 0;
}

static void trace_unlink(uds_ns_t *ns, const char *path, int live)
{
    sim_trace_t *tr = sim_trace_begin(ns->loop, "uds.unlink");
    sim_trace_str(tr, "path", path);
    sim_trace_u64(tr, "live", (uint64_t)live);
    sim_trace_end(tr);
}

/* unlink(2): removes the file whoever's it is; a listener bound to it
 * stays open but unreachable.  Abstract names have no file: SIM_ENOENT. */
int uds_unlink(uds_ns_t *ns, const char *path)
{
    uds_file_t *f;
    if (!path_ok(path) || is_abstract(path))
        return SIM_ENOENT;
    f = file_find(ns, path);
    if (!f)
        return SIM_ENOENT;
    trace_unlink(ns, path, f->owner != NULL);
    file_remove(ns, f);
    return 0;
}

/* close(2) on the listening fd, then, with unlink, unlink(2) on its path
 * as Go's UnixListener.Close does.  Connections not yet handed to the
 * listener are closed. */
void uds_listener_close(uds_listener_t *l, int unlink)
{
    uds_ns_t *ns = l->ns;
    uds_req_t *r;
    uds_file_t *f;
    sim_trace_t *tr = sim_trace_begin(ns->loop, "uds.listen.close");
    sim_trace_str(tr, "path", l->path);
    sim_trace_u64(tr, "pid", l->pid);
    sim_trace_u64(tr, "unlink", (uint64_t)(unlink != 0));
    sim_trace_end(tr);
    for (r = ns->reqs; r; r = r->next)
        if (r->l == l)
            r->l = NULL;
    if (l->file) {
        l->file->owner = NULL; /* a stale file from now on */
        if (is_abstract(l->path))
            file_remove(ns, l->file);
    }
    if (unlink && !is_abstract(l->path)) {
        f = file_find(ns, l->path);
        if (f) {
            trace_unlink(ns, l->path, f->owner != NULL);
            file_remove(ns, f);
        }
    }
    LIST_REMOVE(ns->listeners, ns->listeners_tail, l, next, prev);
    sim__free(l);
}

/* connect ----------------------------------------------------------------*/

static void trace_connect(uds_ns_t *ns, const char *path, const char *client,
                          int err, const uds_listener_t *l)
{
    sim_trace_t *tr =
        sim_trace_begin(ns->loop, err ? "uds.connect.fail" : "uds.connect.ok");
    sim_trace_str(tr, "path", path);
    sim_trace_str(tr, "client", client);
    if (err)
        sim_trace_err(tr, "err", err);
    else
        sim_trace_u64(tr, "server", l ? l->pid : 0);
    sim_trace_link(tr, "server", l ? l->trace_seq : 0);
    sim_trace_end(tr);
}

/* Whether a connect would be refused or find nothing; 0 if it reaches a
 * listener (*out). */
static int connect_target(uds_ns_t *ns, const char *path, const char *client,
                          uds_listener_t **out)
{
    uds_file_t *f = path_ok(path) ? file_find(ns, path) : NULL;
    if (!f)
        return SIM_ENOENT;
    if (SIM_FAULT(ns->loop, UDS_CONNECT_REFUSED, client) || !f->owner)
        return SIM_ECONNREFUSED;
    *out = f->owner;
    return 0;
}

/* connect(2).  The answer, and for a live path the listener's new server
 * end, come on later turns, the answer first. */
int uds_connect(uds_ns_t *ns, const char *path, const char *client,
                uds_connect_cb cb, void *arg)
{
    uds_listener_t *l = NULL;
    uds_req_t *r;
    int status, rc;
    SIM_ASSERT(cb != NULL);
    if (!client)
        client = "";
    status = connect_target(ns, path, client, &l);
    r = sim__calloc(1, sizeof(*r));
    if (!r)
        return SIM_ENOMEM;
    sim_timer_init(ns->loop, &r->t_cli);
    sim_timer_init(ns->loop, &r->t_srv);
    r->t_cli.data = r->t_srv.data = r;
    rc = status == 0 ? sim_stream_pair(ns->loop, &r->srv, &r->cli) : 0;
    if (rc == 0)
        rc = sim_timer_start(&r->t_cli, cli_fire, 0);
    if (rc == 0 && status == 0) {
        rc = sim_timer_start(&r->t_srv, srv_fire, 0);
        if (rc)
            sim_timer_stop(&r->t_cli);
    }
    if (rc) {
        if (r->srv) {
            sim_stream_close(r->srv, NULL);
            sim_stream_close(r->cli, NULL);
        }
        sim__free(r);
        return rc;
    }
    r->ns = ns;
    r->cb = cb;
    r->arg = arg;
    r->status = status;
    r->l = l;
    r->pending = status == 0 ? 2 : 1;
    LIST_APPEND(ns->reqs, ns->reqs_tail, r, next, prev);
    trace_connect(ns, path, client, status, l);
    /* the answer and the server end follow from the connect: what they
     * lead to (the first request read) links back to it (explain) */
    sim_timer_stamp(&r->t_cli, sim_trace_last(ns->loop));
    if (status == 0)
        sim_timer_stamp(&r->t_srv, sim_trace_last(ns->loop));
    return 0;
}

/* queries ----------------------------------------------------------------*/

/* stat(2) on the path; an abstract name "exists" while it is bound. */
int uds_exists(uds_ns_t *ns, const char *path, int *live)
{
    uds_file_t *f = path_ok(path) ? file_find(ns, path) : NULL;
    if (live)
        *live = f && f->owner;
    return f != NULL;
}
