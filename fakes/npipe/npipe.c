/*
 * npipe.c: the machine-wide Windows named-pipe namespace as go-winio sees
 * it (docs/platform.md#windows-named-pipes).
 *
 * Modelled: one pipe object per case-folded name, alive while any handle
 * (a listener's first handle, a server end, a client end) is open; the
 * create checks of NPFS in their order (DACL, instance limit, FILE_CREATE);
 * go-winio's listener, which has a listening instance only while an Accept
 * is pending; go-winio's dialer, which polls every 10 ms on ERROR_PIPE_BUSY
 * and notices its deadline only between sleeps; FIFO choice of the earliest
 * listening instance across owners (ReactOS NPFS); ERROR_FILE_NOT_FOUND
 * once no server handle is left.
 * Left out: message mode, buffer sizes, impersonation, real security
 * descriptors (a pipe's DACL is one flag: the creator's pid, or everyone),
 * attribute mismatches between instances, WaitNamedPipe, non-ASCII case
 * folding.  Client ends are not closed by npipe_close_owner; their models
 * close them.
 *
 * Each result reaches its callback on a timer owned by its record (a dial
 * or a listener), armed when the result is decided, so results keep their
 * order with every other event of that instant and npipe_ns_free can
 * disarm whatever is pending.  The loop reads a timer after its callback
 * returns, so a finished record is not freed at once but buried, and the
 * dead are freed when the next npipe timer fires (or by npipe_ns_free).
 * A dial runs its first attempt one turn after npipe_dial, at the same
 * virtual time.
 */
#include "npipe/npipe.h"

#include <stdio.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

#define NPIPE_PROC_MAX 64
#define NPIPE_PREFIX "\\\\.\\pipe\\"
#define NPIPE_PREFIX_LEN 9

typedef struct npipe_name {
    struct npipe_name *next; /* namespace list, creation order */
    struct npipe_name *prev;
    char name[NPIPE_NAME_MAX]; /* canonical form */
    uint32_t creator_pid;      /* pid of the first instance's creator */
    int dacl_allows_others;    /* fixed by the first create */
    uint32_t max_instances;    /* fixed by the first create; 0: unlimited */
    uint32_t handles;          /* every open handle, clients included */
    uint32_t listeners;        /* open listeners (first handles) */
    uint32_t listening;        /* instances waiting in ConnectNamedPipe */
    uint32_t server_ends;      /* open server ends of connections */
    uint64_t created_trace;    /* trace seq of the listen that created it
                                  (a link for explain; never hashed) */
    uint64_t client_trace;     /* the latest dial.ok that opened a client
                                  handle on it (the same) */
    uint64_t closed_trace;     /* the latest npipe.listen.close (the same) */
} npipe_name_t;

typedef struct npipe_conn {
    struct npipe_conn *next; /* namespace list, creation order */
    struct npipe_conn *prev;
    npipe_ns_t *ns;
    npipe_name_t *name;
    sim_stream_t *server;     /* NULL once closed */
    sim_stream_t *client;     /* NULL once closed */
    uint32_t server_pid;      /* owner of the server end */
    npipe_listener_t *pend_l; /* listener yet to hand the server end out */
} npipe_conn_t;

typedef enum {
    NPIPE_L_IDLE,      /* no Accept pending */
    NPIPE_L_LISTENING, /* Accept pending: one listening instance */
    NPIPE_L_DELIVER,   /* result decided, queued for the callback */
} npipe_l_state_t;

struct npipe_listener {
    npipe_listener_t *next; /* namespace list, creation order */
    npipe_listener_t *prev;
    npipe_ns_t *ns;
    npipe_name_t *name;        /* NULL once closed */
    char path[NPIPE_NAME_MAX]; /* canonical name, for traces */
    char proc[NPIPE_PROC_MAX]; /* owner */
    uint32_t pid;              /* owner */
    int closed;                /* freed after its pending delivery */
    npipe_l_state_t state;
    uint64_t listen_seq; /* creation order of the listening instance */
    uint64_t trace_seq;  /* its npipe.listen.ok record (explain's link) */
    npipe_accept_cb cb;
    void *arg;
    int pend_status;           /* result to deliver */
    sim_stream_t *pend_stream; /* server end to deliver, or NULL */
    npipe_conn_t *pend_conn;   /* its connection */
    sim_timer_t timer;         /* delivers the Accept result */
};

typedef enum {
    NPIPE_D_POLLING, /* the timer runs the next attempt */
    NPIPE_D_DELIVER, /* result decided, queued for the callback */
} npipe_d_state_t;

struct npipe_dial {
    npipe_dial_t *next; /* namespace list, creation order */
    npipe_dial_t *prev;
    npipe_ns_t *ns;
    char name[NPIPE_NAME_MAX]; /* canonical */
    char proc[NPIPE_PROC_MAX]; /* client */
    uint32_t pid;              /* client */
    uint64_t deadline_ns;      /* absolute; SIM_NEVER: none */
    int deadline_err;
    npipe_dial_cb cb;
    void *arg;
    npipe_d_state_t state;
    sim_trace_scope_t scope;  /* the link in scope when dialled (its
                                 records name it; explain) */
    uint32_t attempts;        /* CreateFile calls so far */
    int status;               /* result to deliver */
    sim_stream_t *client_end; /* to deliver, or NULL */
    sim_timer_t timer;        /* the next attempt, or the delivery */
};

struct npipe_ns {
    sim_loop_t *loop;
    npipe_name_t *names; /* creation order */
    npipe_name_t *names_tail;
    npipe_listener_t *listeners; /* creation order, closed ones too */
    npipe_listener_t *listeners_tail;
    npipe_conn_t *conns; /* creation order */
    npipe_conn_t *conns_tail;
    npipe_dial_t *dials; /* undelivered, creation order */
    npipe_dial_t *dials_tail;
    npipe_listener_t *dead_l; /* buried, freed on the next event */
    npipe_dial_t *dead_d;     /* buried, freed on the next event */
    uint64_t instance_seq;    /* numbers listening instances */
    uint64_t gen;             /* +1 per change of names, listeners or
                                 connections (npipe_ns_generation) */
};

/* Doubly linked lists with head and tail, kept in insertion order. */
#define LIST_APPEND(head, tail, x)                                             \
    do {                                                                       \
        (x)->prev = (tail);                                                    \
        (x)->next = NULL;                                                      \
        if (tail)                                                              \
            (tail)->next = (x);                                                \
        else                                                                   \
            (head) = (x);                                                      \
        (tail) = (x);                                                          \
    } while (0)

#define LIST_REMOVE(head, tail, x)                                             \
    do {                                                                       \
        if ((x)->prev)                                                         \
            (x)->prev->next = (x)->next;                                       \
        else                                                                   \
            (head) = (x)->next;                                                \
        if ((x)->next)                                                         \
            (x)->next->prev = (x)->prev;                                       \
        else                                                                   \
            (tail) = (x)->prev;                                                \
        (x)->next = (x)->prev = NULL;                                          \
    } while (0)

/* state machines ---------------------------------------------------------*/

/* Listener: IDLE -accept-> LISTENING -connect|close-> DELIVER -cb-> IDLE,
 * and IDLE -accept fails-> DELIVER. */
static const unsigned char listener_allowed[3][3] = {
    /* to:          IDLE LISTENING DELIVER */
    /* IDLE */ {0, 1, 1},
    /* LISTENING */ {0, 0, 1},
    /* DELIVER */ {1, 0, 0},
};

static void npipe__listener_transition(npipe_listener_t *l, npipe_l_state_t to)
{
    SIM_ASSERT(listener_allowed[l->state][to]);
    l->state = to;
}

/* Dial: POLLING -result-> DELIVER; DELIVER -cancel-> DELIVER. */
static void npipe__dial_transition(npipe_dial_t *d, npipe_d_state_t to)
{
    SIM_ASSERT(to == NPIPE_D_DELIVER);
    d->state = to;
}

/* burial -----------------------------------------------------------------*/

/* Frees the buried records.  Only at the start of one of our timer
 * callbacks (the buried timers are then no longer the loop's concern) or
 * from npipe_ns_free. */
static void reap(npipe_ns_t *ns)
{
    while (ns->dead_l) {
        npipe_listener_t *l = ns->dead_l;
        ns->dead_l = l->next;
        sim__free(l);
    }
    while (ns->dead_d) {
        npipe_dial_t *d = ns->dead_d;
        ns->dead_d = d->next;
        sim__free(d);
    }
}

/* Takes l (already off the listener list) out of service.  Its timer may
 * be the one firing now, so its memory must outlive this event. */
static void bury_listener(npipe_ns_t *ns, npipe_listener_t *l)
{
    sim_timer_stop(&l->timer);
    l->prev = NULL;
    l->next = ns->dead_l;
    ns->dead_l = l;
}

static void bury_dial(npipe_ns_t *ns, npipe_dial_t *d)
{
    sim_timer_stop(&d->timer);
    d->prev = NULL;
    d->next = ns->dead_d;
    ns->dead_d = d;
}

/* names ------------------------------------------------------------------*/

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int starts_with_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (ascii_lower(*s) != ascii_lower(*prefix))
            return 0;
    return 1;
}

/* RtlDosPathNameToNtPathName_U turns every '/' into '\'; the object
 * manager then compares names case-insensitively (ASCII folding only
 * here).  The URL form is what DOCKER_HOST carries. */
int npipe_normalize(const char *path, char *out)
{
    char buf[NPIPE_NAME_MAX];
    size_t n, i;
    if (!path)
        return SIM_EINVAL;
    if (starts_with_ci(path, "npipe://"))
        path += strlen("npipe://");
    n = strlen(path);
    if (n <= NPIPE_PREFIX_LEN || n >= NPIPE_NAME_MAX)
        return SIM_EINVAL;
    for (i = 0; i < n; i++)
        buf[i] = path[i] == '/' ? '\\' : ascii_lower(path[i]);
    buf[n] = 0;
    if (memcmp(buf, NPIPE_PREFIX, NPIPE_PREFIX_LEN) != 0)
        return SIM_EINVAL;
    memcpy(out, buf, n + 1);
    return 0;
}

static npipe_name_t *name_find(npipe_ns_t *ns, const char *canon)
{
    npipe_name_t *n;
    for (n = ns->names; n; n = n->next)
        if (strcmp(n->name, canon) == 0)
            return n;
    return NULL;
}

static npipe_name_t *name_find_path(npipe_ns_t *ns, const char *path)
{
    char canon[NPIPE_NAME_MAX];
    if (npipe_normalize(path, canon) != 0)
        return NULL;
    return name_find(ns, canon);
}

static uint32_t name_instances(const npipe_name_t *n)
{
    return n->listeners + n->listening + n->server_ends;
}

static uint32_t name_server_handles(const npipe_name_t *n)
{
    return n->listeners + n->server_ends;
}

/* Frees the name once its last handle is gone. */
static void name_release(npipe_ns_t *ns, npipe_name_t *n)
{
    sim_trace_t *tr;
    if (n->handles > 0)
        return;
    SIM_ASSERT(n->listening == 0);
    tr = sim_trace_begin(ns->loop, "npipe.name.gone");
    sim_trace_str(tr, "name", n->name);
    sim_trace_end(tr);
    LIST_REMOVE(ns->names, ns->names_tail, n);
    ns->gen++;
    sim__free(n);
}

/* namespace --------------------------------------------------------------*/

/* One namespace per simulated machine. */
int npipe_ns_new(sim_loop_t *loop, npipe_ns_t **out)
{
    npipe_ns_t *ns;
    SIM_ASSERT(loop != NULL);
    SIM_ASSERT(out != NULL);
    ns = sim__calloc(1, sizeof(*ns));
    if (!ns)
        return SIM_ENOMEM;
    ns->loop = loop;
    *out = ns;
    return 0;
}

/* Drops every record; callbacks still pending never run.  Streams handed
 * out stay their holders'; their hooks are cleared, so closing them later
 * is safe.  Streams never handed out are closed here, and the loop must
 * run once more to free them. */
void npipe_ns_free(npipe_ns_t *ns)
{
    npipe_conn_t *c;
    if (!ns)
        return;
    reap(ns);
    for (c = ns->conns; c; c = c->next) {
        if (c->server)
            sim_stream_set_hook(c->server, NULL, NULL);
        if (c->client)
            sim_stream_set_hook(c->client, NULL, NULL);
    }
    while (ns->conns) {
        c = ns->conns;
        LIST_REMOVE(ns->conns, ns->conns_tail, c);
        ns->gen++;
        sim__free(c);
    }
    while (ns->listeners) {
        npipe_listener_t *l = ns->listeners;
        LIST_REMOVE(ns->listeners, ns->listeners_tail, l);
        ns->gen++;
        sim_timer_stop(&l->timer);
        if (l->pend_stream)
            sim_stream_close(l->pend_stream, NULL);
        sim__free(l);
    }
    while (ns->dials) {
        npipe_dial_t *d = ns->dials;
        LIST_REMOVE(ns->dials, ns->dials_tail, d);
        sim_timer_stop(&d->timer);
        if (d->client_end)
            sim_stream_close(d->client_end, NULL);
        sim__free(d);
    }
    while (ns->names) {
        npipe_name_t *n = ns->names;
        LIST_REMOVE(ns->names, ns->names_tail, n);
        ns->gen++;
        sim__free(n);
    }
    sim__free(ns);
}

/* listen -----------------------------------------------------------------*/

/* Links for explain: held, the record of the handle that keeps the name
 * a failed create met (its creator's listen, or with no server left the
 * latest client's dial), and closed, the last server's close then. */
static uint64_t trace_listen(npipe_ns_t *ns, const char *ev, const char *name,
                             npipe_owner_t owner, int err,
                             const npipe_name_t *n)
{
    uint64_t held = 0, closed = 0;
    sim_trace_t *tr = sim_trace_begin(ns->loop, ev);
    sim_trace_str(tr, "name", name);
    sim_trace_str(tr, "proc", owner.proc);
    sim_trace_u64(tr, "pid", owner.pid);
    if (err)
        sim_trace_err(tr, "err", err);
    if (n && (n->listeners || !n->client_trace)) {
        held = n->created_trace;
    } else if (n) {
        held = n->client_trace;
        closed = n->closed_trace;
    }
    sim_trace_link(tr, "held", held);
    sim_trace_link(tr, "closed", closed);
    sim_trace_end(tr);
    return sim_trace_last(ns->loop);
}

/* NPFS's checks on a create, in its order (docs/platform.md): the DACL,
 * then the instance limit, then FILE_CREATE on an existing name. */
static int listen_check(npipe_ns_t *ns, const npipe_name_t *n,
                        npipe_owner_t owner, const npipe_listen_opts_t *o)
{
    if (n && !n->dacl_allows_others && owner.pid != n->creator_pid)
        return SIM_EACCES;
    if (SIM_FAULT(ns->loop, NPIPE_LISTEN_INSTANCES_EXHAUSTED, owner.proc))
        return SIM_EBUSY;
    if (n && n->max_instances && name_instances(n) >= n->max_instances)
        return SIM_EBUSY;
    if (n && o->first_instance)
        return SIM_EACCES;
    return 0;
}

static void accept_fire(sim_timer_t *t);

/* ListenPipe: creates the name (first_instance) or adds an instance of
 * someone's pipe.  The first create fixes the DACL and the limit. */
int npipe_listen(npipe_ns_t *ns, const char *path, npipe_owner_t owner,
                 const npipe_listen_opts_t *opts, npipe_listener_t **out)
{
    static const npipe_listen_opts_t go_winio = {1, 0, 0};
    const npipe_listen_opts_t *o = opts ? opts : &go_winio;
    char canon[NPIPE_NAME_MAX];
    npipe_name_t *n = NULL, *fresh = NULL;
    npipe_listener_t *l = NULL;
    int rc;
    SIM_ASSERT(out != NULL);
    SIM_ASSERT(owner.proc != NULL);
    rc = npipe_normalize(path, canon);
    if (rc == 0) {
        n = name_find(ns, canon);
        rc = listen_check(ns, n, owner, o);
    }
    if (rc == 0 && !n && !(n = fresh = sim__calloc(1, sizeof(*n))))
        rc = SIM_ENOMEM;
    if (rc == 0 && !(l = sim__calloc(1, sizeof(*l)))) {
        if (n == fresh)
            n = NULL; /* freed here: the failure names no holder */
        sim__free(fresh);
        rc = SIM_ENOMEM;
    }
    if (rc) {
        trace_listen(ns, "npipe.listen.fail", rc == SIM_EINVAL ? path : canon,
                     owner, rc, n);
        return rc;
    }
    if (fresh) {
        memcpy(n->name, canon, sizeof(canon));
        n->creator_pid = owner.pid;
        n->dacl_allows_others = o->dacl_allows_others;
        n->max_instances = o->max_instances;
        LIST_APPEND(ns->names, ns->names_tail, n);
        ns->gen++;
    }
    n->handles++;
    n->listeners++;
    l->ns = ns;
    l->name = n;
    memcpy(l->path, canon, sizeof(canon));
    snprintf(l->proc, sizeof(l->proc), "%s", owner.proc);
    l->pid = owner.pid;
    sim_timer_init(ns->loop, &l->timer); /* calloc: NPIPE_L_IDLE */
    l->timer.data = l;
    LIST_APPEND(ns->listeners, ns->listeners_tail, l);
    ns->gen++;
    l->trace_seq = trace_listen(ns, "npipe.listen.ok", canon, owner, 0, NULL);
    if (fresh)
        n->created_trace = l->trace_seq;
    *out = l;
    return 0;
}

static void trace_accept(npipe_listener_t *l, const char *ev, int err)
{
    sim_trace_t *tr = sim_trace_begin(l->ns->loop, ev);
    sim_trace_str(tr, "name", l->path);
    sim_trace_str(tr, "proc", l->proc);
    sim_trace_u64(tr, "pid", l->pid);
    if (err)
        sim_trace_err(tr, "err", err);
    sim_trace_link(tr, "listen", l->trace_seq);
    sim_trace_end(tr);
}

/* Hands the decided result to the caller; buries a closed listener. */
static void accept_deliver(npipe_listener_t *l)
{
    npipe_ns_t *ns = l->ns;
    npipe_accept_cb cb = l->cb;
    void *arg = l->arg;
    int status = l->pend_status;
    sim_stream_t *s = l->pend_stream;
    int zombie = l->closed;
    SIM_ASSERT(l->state == NPIPE_L_DELIVER);
    SIM_ASSERT(cb != NULL);
    npipe__listener_transition(l, NPIPE_L_IDLE);
    l->cb = NULL;
    l->arg = NULL;
    l->pend_stream = NULL;
    if (l->pend_conn)
        l->pend_conn->pend_l = NULL;
    l->pend_conn = NULL;
    if (zombie) {
        LIST_REMOVE(ns->listeners, ns->listeners_tail, l);
        ns->gen++;
        bury_listener(ns, l);
    }
    cb(l, arg, status, s); /* may close l, if it was open */
}

static void accept_fire(sim_timer_t *t)
{
    npipe_listener_t *l = t->data;
    reap(l->ns);
    accept_deliver(l);
}

/* Arms the delivery of a decided Accept result: SIM_ENOMEM if the timer
 * heap cannot grow. */
static int accept_arm(npipe_listener_t *l)
{
    return sim_timer_start(&l->timer, accept_fire, 0);
}

/* go-winio Accept: one new listening instance (FILE_OPEN) per call.  On a
 * pipe at its instance limit the Accept fails with SIM_EBUSY (through cb);
 * fault npipe.accept.error makes it fail with SIM_EPIPE.  SIM_ENOMEM if
 * the result cannot be queued. */
int npipe_accept(npipe_listener_t *l, npipe_accept_cb cb, void *arg)
{
    npipe_name_t *n = l->name;
    int err = 0, rc;
    SIM_ASSERT(cb != NULL);
    if (l->closed || l->state != NPIPE_L_IDLE)
        return SIM_ESTATE;
    if (SIM_FAULT(l->ns->loop, NPIPE_ACCEPT_ERROR, l->proc))
        err = SIM_EPIPE;
    else if (n->max_instances && name_instances(n) >= n->max_instances)
        err = SIM_EBUSY;
    l->cb = cb;
    l->arg = arg;
    if (err) {
        rc = accept_arm(l);
        if (rc) {
            l->cb = NULL;
            l->arg = NULL;
            return rc;
        }
        npipe__listener_transition(l, NPIPE_L_DELIVER);
        l->pend_status = err;
        trace_accept(l, "npipe.accept.fail", err);
        return 0;
    }
    npipe__listener_transition(l, NPIPE_L_LISTENING);
    l->listen_seq = ++l->ns->instance_seq;
    n->listening++;
    trace_accept(l, "npipe.accept.wait", 0);
    return 0;
}

/* Closes the first handle.  A pending Accept gets SIM_ECLOSED; one whose
 * client already connected still gets its connection (go-winio's
 * listenerRoutine answers it before it sees the close). */
void npipe_listener_close(npipe_listener_t *l)
{
    npipe_ns_t *ns = l->ns;
    npipe_name_t *n = l->name;
    npipe_l_state_t was = l->state;
    SIM_ASSERT(!l->closed);
    SIM_ASSERT(n != NULL);
    trace_accept(l, "npipe.listen.close", 0);
    n->closed_trace = sim_trace_last(ns->loop);
    l->closed = 1;
    l->name = NULL;
    ns->gen++;
    if (was == NPIPE_L_LISTENING) {
        n->listening--;
        npipe__listener_transition(l, NPIPE_L_DELIVER);
        l->pend_status = SIM_ECLOSED;
        trace_accept(l, "npipe.accept.fail", SIM_ECLOSED);
    }
    n->listeners--;
    n->handles--;
    name_release(ns, n);
    if (was == NPIPE_L_LISTENING) {
        /* Out of memory for the timer: deliver now, as sim_stream_close
         * does with its close callback. */
        if (accept_arm(l) != 0)
            accept_deliver(l);
    } else if (was == NPIPE_L_IDLE) {
        LIST_REMOVE(ns->listeners, ns->listeners_tail, l);
        ns->gen++;
        bury_listener(ns, l);
    }
}

/* connections ------------------------------------------------------------*/

/* Runs inside sim_stream_close of either end: that handle is gone. */
static void conn_hook(sim_stream_t *s, void *arg)
{
    npipe_conn_t *c = arg;
    npipe_ns_t *ns = c->ns;
    npipe_name_t *n = c->name;
    if (s == c->server) {
        c->server = NULL;
        ns->gen++;
        n->server_ends--;
        if (c->pend_l) {
            /* Closed before the Accept was answered (npipe_close_owner). */
            npipe_listener_t *l = c->pend_l;
            l->pend_status = SIM_ECLOSED;
            l->pend_stream = NULL;
            l->pend_conn = NULL;
            c->pend_l = NULL;
            trace_accept(l, "npipe.accept.fail", SIM_ECLOSED);
        }
    } else {
        SIM_ASSERT(s == c->client);
        c->client = NULL;
    }
    SIM_ASSERT(n->handles > 0);
    n->handles--;
    if (!c->server && !c->client) {
        LIST_REMOVE(ns->conns, ns->conns_tail, c);
        ns->gen++;
        sim__free(c);
    }
    name_release(ns, n);
}

/* The earliest-created listening instance of the name, any owner. */
static npipe_listener_t *first_listening(npipe_ns_t *ns, npipe_name_t *n)
{
    npipe_listener_t *l, *best = NULL;
    for (l = ns->listeners; l; l = l->next)
        if (l->name == n && l->state == NPIPE_L_LISTENING &&
            (!best || l->listen_seq < best->listen_seq))
            best = l;
    return best;
}

/* Connects a client to l's listening instance: a stream pair whose server
 * end l's Accept will return.  SIM_ENOMEM leaves l listening. */
static int connect_instance(npipe_listener_t *l, sim_stream_t **client)
{
    npipe_ns_t *ns = l->ns;
    npipe_name_t *n = l->name;
    npipe_conn_t *c;
    sim_stream_t *srv, *cli;
    int rc = accept_arm(l);
    if (rc)
        return rc;
    c = sim__calloc(1, sizeof(*c));
    rc = c ? sim_stream_pair(ns->loop, &srv, &cli) : SIM_ENOMEM;
    if (rc) {
        sim_timer_stop(&l->timer);
        sim__free(c);
        return rc;
    }
    c->ns = ns;
    c->name = n;
    c->server = srv;
    c->client = cli;
    c->server_pid = l->pid;
    c->pend_l = l;
    sim_stream_set_hook(srv, conn_hook, c);
    sim_stream_set_hook(cli, conn_hook, c);
    LIST_APPEND(ns->conns, ns->conns_tail, c);
    ns->gen++;
    n->listening--;
    n->server_ends++;
    n->handles += 2;
    npipe__listener_transition(l, NPIPE_L_DELIVER);
    l->pend_status = 0;
    l->pend_stream = srv;
    l->pend_conn = c;
    trace_accept(l, "npipe.accept.ok", 0);
    *client = cli;
    return 0;
}

/* dial -------------------------------------------------------------------*/

/* server_seq: the listen.ok record of the instance that accepted (a
 * link for explain), or 0. */
static void trace_dial(npipe_dial_t *d, const char *ev, int err,
                       uint32_t server_pid, uint64_t server_seq)
{
    sim_trace_t *tr = sim_trace_begin(d->ns->loop, ev);
    sim_trace_str(tr, "name", d->name);
    sim_trace_str(tr, "proc", d->proc);
    sim_trace_u64(tr, "pid", d->pid);
    if (err)
        sim_trace_err(tr, "err", err);
    if (server_pid)
        sim_trace_u64(tr, "server", server_pid);
    if (d->attempts > 1)
        sim_trace_u64(tr, "attempts", d->attempts);
    if (d->scope.seq)
        sim_trace_link(tr, d->scope.key, d->scope.seq);
    sim_trace_link(tr, "server", server_seq);
    sim_trace_end(tr);
}

static void dial_fire(sim_timer_t *t);

/* Decides the dial's result; its timer delivers it on a later turn. */
static void dial_settle(npipe_dial_t *d, int status, sim_stream_t *s,
                        uint32_t server_pid, uint64_t server_seq)
{
    int rc;
    npipe__dial_transition(d, NPIPE_D_DELIVER);
    d->status = status;
    d->client_end = s;
    trace_dial(d, status ? "npipe.dial.fail" : "npipe.dial.ok", status,
               server_pid, server_seq);
    /* The timer is armed or firing from npipe_dial until delivery, so
     * this only moves it: no allocation. */
    rc = sim_timer_start(&d->timer, dial_fire, 0);
    SIM_ASSERT(rc == 0);
}

/* One pass of go-winio's tryDialPipe loop: check the context, then
 * CreateFile; on ERROR_PIPE_BUSY sleep 10 ms. */
static void dial_attempt(npipe_dial_t *d)
{
    npipe_ns_t *ns = d->ns;
    npipe_name_t *n;
    npipe_listener_t *l = NULL;
    sim_stream_t *cli = NULL;
    int rc;
    if (sim_now(ns->loop) >= d->deadline_ns) {
        dial_settle(d, d->deadline_err, NULL, 0, 0);
        return;
    }
    d->attempts++;
    n = name_find(ns, d->name);
    if (!n || name_server_handles(n) == 0) {
        dial_settle(d, SIM_ENOENT, NULL, 0, 0);
        return;
    }
    if (SIM_FAULT(ns->loop, NPIPE_DIAL_ACCESS_DENIED, d->proc)) {
        dial_settle(d, SIM_EACCES, NULL, 0, 0);
        return;
    }
    if (!SIM_FAULT(ns->loop, NPIPE_DIAL_BUSY, d->proc))
        l = first_listening(ns, n);
    if (l) {
        rc = connect_instance(l, &cli);
        dial_settle(d, rc, cli, rc ? 0 : l->pid, rc ? 0 : l->trace_seq);
        if (!rc)
            n->client_trace = sim_trace_last(ns->loop);
        return;
    }
    if (d->attempts == 1)
        trace_dial(d, "npipe.dial.busy", 0, 0, 0);
    rc = sim_timer_start(&d->timer, dial_fire, NPIPE_DIAL_RETRY_NS);
    if (rc) /* now + 10 ms overflows: the deadline can never come first */
        dial_settle(d, rc, NULL, 0, 0);
}

/* The next attempt, or the delivery of the result (the dial is then
 * buried: the handle is invalid from the callback on). */
static void dial_fire(sim_timer_t *t)
{
    npipe_dial_t *d = t->data;
    npipe_ns_t *ns = d->ns;
    npipe_dial_cb cb = d->cb;
    void *arg = d->arg;
    sim_stream_t *s = d->client_end;
    int status = d->status;
    reap(ns);
    if (d->state == NPIPE_D_POLLING) {
        dial_attempt(d);
        return;
    }
    LIST_REMOVE(ns->dials, ns->dials_tail, d);
    bury_dial(ns, d);
    cb(arg, status, s);
}

/* DialPipeContext.  The first CreateFile runs one turn later at the same
 * virtual time; every result reaches cb on a later turn.  Returns 0,
 * SIM_EINVAL (not a pipe path) or SIM_ENOMEM. */
int npipe_dial(npipe_ns_t *ns, const char *path, npipe_owner_t client,
               uint64_t deadline_ns, int deadline_err, npipe_dial_cb cb,
               void *arg, npipe_dial_t **out)
{
    npipe_dial_t *d;
    char canon[NPIPE_NAME_MAX];
    int rc;
    SIM_ASSERT(cb != NULL);
    SIM_ASSERT(client.proc != NULL);
    rc = npipe_normalize(path, canon);
    if (rc)
        return rc;
    d = sim__calloc(1, sizeof(*d));
    if (!d)
        return SIM_ENOMEM;
    d->ns = ns;
    memcpy(d->name, canon, sizeof(canon));
    snprintf(d->proc, sizeof(d->proc), "%s", client.proc);
    d->pid = client.pid;
    d->scope = sim_trace_scope_now(ns->loop);
    d->deadline_ns = deadline_ns;
    d->deadline_err = deadline_err;
    d->cb = cb;
    d->arg = arg;
    /* calloc: NPIPE_D_POLLING */
    sim_timer_init(ns->loop, &d->timer);
    d->timer.data = d;
    rc = sim_timer_start(&d->timer, dial_fire, 0);
    if (rc) {
        sim__free(d);
        return rc;
    }
    LIST_APPEND(ns->dials, ns->dials_tail, d);
    if (out)
        *out = d;
    return 0;
}

/* Cancels the context.  The callback gets SIM_ECANCELED on a later turn
 * whatever was decided before; a client end not yet handed out is closed
 * (the server saw a client connect and leave). */
void npipe_dial_cancel(npipe_dial_t *d)
{
    sim_stream_t *s = d->client_end;
    if (d->state == NPIPE_D_DELIVER && d->status == SIM_ECANCELED)
        return;
    d->client_end = NULL;
    if (s)
        sim_stream_close(s, NULL);
    dial_settle(d, SIM_ECANCELED, NULL, 0, 0);
}

/* process exit -----------------------------------------------------------*/

/* Closes one handle the process owns; 0 when none is left. */
static int close_one_owned(npipe_ns_t *ns, uint32_t pid)
{
    npipe_listener_t *l;
    npipe_conn_t *c;
    for (l = ns->listeners; l; l = l->next) {
        if (!l->closed && l->pid == pid) {
            npipe_listener_close(l);
            return 1;
        }
    }
    for (c = ns->conns; c; c = c->next) {
        if (c->server && c->server_pid == pid) {
            sim_stream_close(c->server, NULL);
            return 1;
        }
    }
    return 0;
}

/* The process's listeners close as with npipe_listener_close (pending
 * Accepts get SIM_ECLOSED, and so does one whose server end was not handed
 * out yet); its server ends close under their holders, who must drop those
 * stream pointers without closing them again. */
void npipe_close_owner(npipe_ns_t *ns, uint32_t pid)
{
    while (close_one_owned(ns, pid))
        ;
}

/* queries ----------------------------------------------------------------*/

/* A name exists while any handle is open. */
int npipe_exists(npipe_ns_t *ns, const char *path)
{
    return name_find_path(ns, path) != NULL;
}

/* Whether a server handle of n held by pid comes before `upto` (a listener
 * or a connection) in the order listeners, then connections. */
static int pid_seen_before(npipe_ns_t *ns, npipe_name_t *n, uint32_t pid,
                           const void *upto)
{
    npipe_listener_t *l;
    npipe_conn_t *c;
    for (l = ns->listeners; l; l = l->next) {
        if ((const void *)l == upto)
            return 0;
        if (l->name == n && l->pid == pid)
            return 1;
    }
    for (c = ns->conns; c && (const void *)c != upto; c = c->next)
        if (c->name == n && c->server && c->server_pid == pid)
            return 1;
    return 0;
}

/* Distinct pids among the name's listeners and server ends (S11). */
uint64_t npipe_ns_generation(const npipe_ns_t *ns)
{
    return ns->gen;
}

int npipe_server_count(npipe_ns_t *ns, const char *path)
{
    npipe_name_t *n = name_find_path(ns, path);
    npipe_listener_t *l;
    npipe_conn_t *c;
    int count = 0;
    if (!n)
        return 0;
    for (l = ns->listeners; l; l = l->next)
        if (l->name == n && !pid_seen_before(ns, n, l->pid, l))
            count++;
    for (c = ns->conns; c; c = c->next)
        if (c->name == n && c->server &&
            !pid_seen_before(ns, n, c->server_pid, c))
            count++;
    return count;
}

/* The first creator keeps the title while the name lives, even once its
 * own handles are closed. */
uint32_t npipe_creator_pid(npipe_ns_t *ns, const char *path)
{
    npipe_name_t *n = name_find_path(ns, path);
    return n ? n->creator_pid : 0;
}

uint64_t npipe_creator_trace(npipe_ns_t *ns, const char *path)
{
    npipe_name_t *n = name_find_path(ns, path);
    return n ? n->created_trace : 0;
}

/* The Win32 message texts, as FormatMessage (English) gives them. */
const char *npipe_strerror(int err)
{
    switch (err) {
    case SIM_EACCES:
        return "Access is denied.";
    case SIM_EBUSY:
        return "All pipe instances are busy.";
    case SIM_ENOENT:
        return "The system cannot find the file specified.";
    case SIM_ETIMEDOUT:
        return "i/o timeout";
    case SIM_EDEADLINE:
        return "context deadline exceeded";
    default:
        return sim_strerror(err);
    }
}
