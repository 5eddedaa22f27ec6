/*
 * uds.c: Unix domain sockets by path, with the Linux behaviour measured in
 * platform-semantics.md §2.7.
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
 * Results reach callbacks through one delivery queue per namespace,
 * drained by one timer, one result per loop event in decision order, so
 * uds_ns_free can disarm everything still pending.
 */
#include "uds/uds.h"

#include <stddef.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

#define UDS_CLIENT_MAX 64

typedef struct uds_file {
    struct uds_file *next;  /* namespace list, creation order */
    struct uds_file *prev;
    char path[UDS_PATH_MAX];
    uds_listener_t *owner;  /* listening on it, or NULL: stale */
} uds_file_t;

struct uds_listener {
    uds_listener_t *next;    /* namespace list, creation order */
    uds_listener_t *prev;
    uds_ns_t *ns;
    char path[UDS_PATH_MAX]; /* as bound */
    uint32_t pid;
    uds_conn_cb cb;
    void *arg;
    uds_file_t *file;        /* NULL once unlinked (unreachable) */
};

/* One result waiting in the queue: a connect answer or a new server end. */
typedef struct uds_pend {
    struct uds_pend *next;  /* queue order */
    struct uds_pend *lnext; /* namespace list of undelivered results */
    struct uds_pend *lprev;
    uds_listener_t *l;      /* server end for l; NULL: connect answer */
    int to_listener;        /* 1: hand s to l (if still open) */
    uds_connect_cb cb;      /* connect answer */
    void *arg;
    int status;
    sim_stream_t *s;        /* the end to hand out, or NULL */
} uds_pend_t;

struct uds_ns {
    sim_loop_t *loop;
    uds_file_t *files;          /* creation order */
    uds_file_t *files_tail;
    uds_listener_t *listeners;  /* creation order */
    uds_listener_t *listeners_tail;
    uds_pend_t *pend;           /* undelivered results */
    uds_pend_t *pend_tail;
    uds_pend_t *q_head;         /* delivery order */
    uds_pend_t *q_tail;
    sim_timer_t pump;           /* armed while the queue is not empty */
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

/* delivery queue ---------------------------------------------------------*/

static void pend_deliver(uds_ns_t *ns, uds_pend_t *p)
{
    LIST_REMOVE(ns->pend, ns->pend_tail, p, lnext, lprev);
    if (p->to_listener) {
        uds_listener_t *l = p->l;
        sim_stream_t *s = p->s;
        sim__free(p);
        if (l)
            l->cb(l, l->arg, s);
        else
            sim_stream_close(s, NULL); /* never accepted */
        return;
    }
    {
        uds_connect_cb cb = p->cb;
        void *arg = p->arg;
        int status = p->status;
        sim_stream_t *s = p->s;
        sim__free(p);
        cb(arg, status, s);
    }
}

static void pump_fire(sim_timer_t *t)
{
    uds_ns_t *ns = t->data;
    uds_pend_t *p = ns->q_head;
    SIM_ASSERT(p != NULL);
    ns->q_head = p->next;
    if (!ns->q_head)
        ns->q_tail = NULL;
    if (ns->q_head) /* firing: moving it never allocates */
        (void)sim_timer_start(&ns->pump, pump_fire, 0);
    pend_deliver(ns, p); /* may free ns: touch nothing after */
}

/* Queues p (already on the namespace list).  SIM_ENOMEM if the pump
 * cannot be armed. */
static int pend_push(uds_ns_t *ns, uds_pend_t *p)
{
    if (!ns->q_head) {
        int rc = sim_timer_start(&ns->pump, pump_fire, 0);
        if (rc)
            return rc;
    }
    p->next = NULL;
    if (ns->q_tail)
        ns->q_tail->next = p;
    else
        ns->q_head = p;
    ns->q_tail = p;
    return 0;
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
    sim_timer_init(loop, &ns->pump);
    ns->pump.data = ns;
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
    sim_timer_stop(&ns->pump);
    while (ns->pend) {
        uds_pend_t *p = ns->pend;
        LIST_REMOVE(ns->pend, ns->pend_tail, p, lnext, lprev);
        if (p->s)
            sim_stream_close(p->s, NULL);
        sim__free(p);
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

static void trace_listen(uds_ns_t *ns, const char *ev, const char *path,
                         uint32_t pid, int err)
{
    sim_trace_t *tr = sim_trace_begin(ns->loop, ev);
    sim_trace_str(tr, "path", path);
    sim_trace_u64(tr, "pid", pid);
    if (err)
        sim_trace_err(tr, "err", err);
    sim_trace_end(tr);
}

/* bind(2) + listen(2).  Also SIM_EINVAL for an empty or too long path. */
int uds_listen(uds_ns_t *ns, const char *path, uint32_t pid, uds_conn_cb cb,
               void *arg, uds_listener_t **out)
{
    uds_file_t *f = NULL;
    uds_listener_t *l = NULL;
    int rc = 0;
    SIM_ASSERT(cb != NULL);
    SIM_ASSERT(out != NULL);
    if (!path_ok(path))
        rc = SIM_EINVAL;
    else if (file_find(ns, path))
        rc = SIM_EADDRINUSE; /* live or stale alike */
    else if (!(f = sim__calloc(1, sizeof(*f))) ||
             !(l = sim__calloc(1, sizeof(*l))))
        rc = SIM_ENOMEM;
    if (rc) {
        sim__free(f);
        trace_listen(ns, "uds.listen.fail", path, pid, rc);
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
    trace_listen(ns, "uds.listen.ok", path, pid, 0);
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
    uds_pend_t *p;
    uds_file_t *f;
    sim_trace_t *tr = sim_trace_begin(ns->loop, "uds.listen.close");
    sim_trace_str(tr, "path", l->path);
    sim_trace_u64(tr, "pid", l->pid);
    sim_trace_u64(tr, "unlink", (uint64_t)(unlink != 0));
    sim_trace_end(tr);
    for (p = ns->pend; p; p = p->lnext)
        if (p->to_listener && p->l == l)
            p->l = NULL;
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
                          int err, uint32_t server_pid)
{
    sim_trace_t *tr = sim_trace_begin(
        ns->loop, err ? "uds.connect.fail" : "uds.connect.ok");
    sim_trace_str(tr, "path", path);
    sim_trace_str(tr, "client", client);
    if (err)
        sim_trace_err(tr, "err", err);
    else
        sim_trace_u64(tr, "server", server_pid);
    sim_trace_end(tr);
}

static uds_pend_t *pend_new(uds_ns_t *ns)
{
    uds_pend_t *p = sim__calloc(1, sizeof(*p));
    if (p)
        LIST_APPEND(ns->pend, ns->pend_tail, p, lnext, lprev);
    return p;
}

static void pend_drop(uds_ns_t *ns, uds_pend_t *p)
{
    if (!p)
        return;
    LIST_REMOVE(ns->pend, ns->pend_tail, p, lnext, lprev);
    sim__free(p);
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
    uds_pend_t *ans, *acc = NULL;
    sim_stream_t *srv = NULL, *cli = NULL;
    int status, rc;
    SIM_ASSERT(cb != NULL);
    if (!client)
        client = "";
    status = connect_target(ns, path, client, &l);
    ans = pend_new(ns);
    rc = ans ? 0 : SIM_ENOMEM;
    if (rc == 0 && status == 0 && !(acc = pend_new(ns)))
        rc = SIM_ENOMEM;
    if (rc == 0 && status == 0)
        rc = sim_stream_pair(ns->loop, &srv, &cli);
    if (rc == 0)
        rc = pend_push(ns, ans);
    if (rc) {
        if (srv) {
            sim_stream_close(srv, NULL);
            sim_stream_close(cli, NULL);
        }
        pend_drop(ns, acc);
        pend_drop(ns, ans);
        return rc;
    }
    ans->cb = cb;
    ans->arg = arg;
    ans->status = status;
    ans->s = cli;
    if (acc) {
        acc->to_listener = 1;
        acc->l = l;
        acc->s = srv;
        rc = pend_push(ns, acc); /* the queue is not empty: no allocation */
        SIM_ASSERT(rc == 0);
    }
    trace_connect(ns, path, client, status, l ? l->pid : 0);
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
