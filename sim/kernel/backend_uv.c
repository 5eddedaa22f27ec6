/*
 * backend_uv.c: the one file that includes <uv.h> (libuv 1.44 API only).
 * It gives the CLI wall time, peak RSS and an OS seed (sim/wall.h), and it
 * is the real-time driver of the loop (sim/rt.h): a uv_timer_t sleeps until
 * the wall clock reaches the loop's next due event (scaled by speed), unix
 * socket connections are pumped into sim_stream_t pairs, and every input
 * enters the loop at its virtual arrival time.
 */
#include <uv.h>

#include <arpa/inet.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/rt.h"
#include "sim/wall.h"

uint64_t sim_wall_ns(void)
{
    return uv_hrtime();
}

uint64_t sim_maxrss_kb(void)
{
    uv_rusage_t ru;
    if (uv_getrusage(&ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss;
}

uint64_t sim_os_seed(void)
{
    uint64_t s = 0;
    if (uv_random(NULL, NULL, &s, sizeof(s), 0, NULL) != 0)
        s = uv_hrtime();
    return s;
}

/* the real-time driver ----------------------------------------------------*/

#define RT_POLL_MS 20

typedef struct rt_listener rt_listener_t;
typedef struct rt_conn rt_conn_t;

/* A listening or connected socket: a unix one or a TCP one. */
typedef union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_pipe_t pipe;
    uv_tcp_t tcp;
} rt_sock_t;

struct rt_listener {
    sim_rt_t *rt;
    rt_sock_t h;
    int tcp;
    char path[108];     /* unix: unlinked at free; "" for TCP */
    sim_rt_accept_cb cb;
    void *arg;
    rt_listener_t *next;
};

struct rt_conn {
    sim_rt_t *rt;
    rt_listener_t *ln;
    rt_sock_t h;
    sim_stream_t *mine;   /* our end of the pair; NULL once closed */
    int uv_closing;       /* uv_close or uv_shutdown under way */
    int uv_closed;
    uv_shutdown_t shut;
    rt_conn_t *prev, *next;
};

struct sim_rt {
    sim_loop_t *loop;
    uv_loop_t uv;
    uv_timer_t wake;
    uv_timer_t poll;
    double speed;
    uint64_t wall0, virt0;
    uint64_t until;
    const volatile sig_atomic_t *stop;
    int done;
    uint64_t ran;
    rt_listener_t *lns;
    rt_conn_t *conns;
};

uint64_t sim_rt_vnow(const sim_rt_t *rt)
{
    double el = (double)(uv_hrtime() - rt->wall0) * rt->speed;
    uint64_t v = rt->virt0 + (el >= 1.8e19 ? (uint64_t)1.8e19 : (uint64_t)el);
    return v < sim_now(rt->loop) ? sim_now(rt->loop) : v;
}

int sim_rt_new(sim_loop_t *loop, double speed, sim_rt_t **out)
{
    sim_rt_t *rt;
    if (!(speed > 0) || speed > 1e9)
        return SIM_EINVAL;
    if (!(rt = sim__calloc(1, sizeof(*rt))))
        return SIM_ENOMEM;
    if (uv_loop_init(&rt->uv) != 0) {
        sim__free(rt);
        return SIM_ENOMEM;
    }
    /* A client gone mid-answer is EPIPE from write, not a dead process. */
    signal(SIGPIPE, SIG_IGN);
    rt->loop = loop;
    rt->speed = speed;
    rt->until = SIM_NEVER;
    uv_timer_init(&rt->uv, &rt->wake);
    uv_timer_init(&rt->uv, &rt->poll);
    rt->wake.data = rt->poll.data = rt;
    rt->wall0 = uv_hrtime();
    rt->virt0 = sim_now(loop);
    *out = rt;
    return 0;
}

/* Runs every event due by the wall clock (capped at until). */
static void advance(sim_rt_t *rt)
{
    uint64_t target;
    if (rt->done)
        return;
    target = sim_rt_vnow(rt);
    if (target > rt->until)
        target = rt->until;
    rt->ran += sim_loop_run(rt->loop, target);
    if (rt->loop->stopped || sim_now(rt->loop) >= rt->until ||
        (rt->stop && *rt->stop)) {
        rt->done = 1;
        uv_stop(&rt->uv);
    }
}

static void on_wake(uv_timer_t *t);

/* Sleeps until the next due event or until, whichever is first. */
static void rearm(sim_rt_t *rt)
{
    uint64_t next, now, wait_ms;
    if (rt->done)
        return;
    next = sim_loop_next_due(rt->loop);
    if (next > rt->until)
        next = rt->until;
    if (next == SIM_NEVER) {
        uv_timer_stop(&rt->wake);
        return;
    }
    now = sim_rt_vnow(rt);
    wait_ms = next <= now ? 0
                          : (uint64_t)((double)(next - now) / rt->speed /
                                       1e6) + 1;
    uv_timer_start(&rt->wake, on_wake, wait_ms, 0);
}

static void on_wake(uv_timer_t *t)
{
    sim_rt_t *rt = t->data;
    advance(rt);
    rearm(rt);
}

static void on_poll(uv_timer_t *t)
{
    sim_rt_t *rt = t->data;
    advance(rt);
    rearm(rt);
}

/* An input arrived: bring the loop up to its arrival time. */
static void input_begin(sim_rt_t *rt)
{
    advance(rt);
}

/* Run what the input made due at once, then sleep again. */
static void input_end(sim_rt_t *rt)
{
    advance(rt);
    rearm(rt);
}

/* connections ----------------------------------------------------------*/

static void conn_maybe_free(rt_conn_t *c)
{
    sim_rt_t *rt = c->rt;
    if (!c->uv_closed || c->mine)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        rt->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    sim__free(c);
}

static void on_uv_closed(uv_handle_t *h)
{
    rt_conn_t *c = h->data;
    c->uv_closed = 1;
    conn_maybe_free(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    rt_conn_t *c = req->data;
    uv_close((uv_handle_t *)&c->h, on_uv_closed);
}

/* Drops our sim end; the simulated side reads EOF on a later turn. */
static void conn_close_sim(rt_conn_t *c)
{
    if (!c->mine)
        return;
    c->mine->data = NULL;
    sim_stream_close(c->mine, NULL);
    c->mine = NULL;
}

static void conn_close_uv(rt_conn_t *c, int graceful)
{
    if (c->uv_closing)
        return;
    c->uv_closing = 1;
    c->shut.data = c;
    if (!graceful || uv_shutdown(&c->shut, (uv_stream_t *)&c->h,
                                 on_shutdown) != 0)
        uv_close((uv_handle_t *)&c->h, on_uv_closed);
}

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
} rt_write_t;

static void on_written(uv_write_t *req, int status)
{
    sim__free(req);
}

/* The simulated side wrote (or closed): to the socket. */
static void on_sim_read(sim_stream_t *s, long nread, const void *buf)
{
    rt_conn_t *c = s->data;
    rt_write_t *w;
    if (!c)
        return;
    if (nread < 0) {
        conn_close_sim(c);
        conn_close_uv(c, 1);
        conn_maybe_free(c);
        return;
    }
    if (c->uv_closing || nread == 0)
        return;
    if (!(w = sim__malloc(sizeof(*w) + (size_t)nread))) {
        conn_close_sim(c);
        conn_close_uv(c, 0);
        return;
    }
    memcpy(w + 1, buf, (size_t)nread);
    w->buf = uv_buf_init((char *)(w + 1), (unsigned)nread);
    if (uv_write(&w->req, (uv_stream_t *)&c->h, &w->buf, 1, on_written)) {
        sim__free(w);
        conn_close_sim(c);
        conn_close_uv(c, 0);
    }
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    char *p = sim__malloc(65536);
    *buf = uv_buf_init(p, p ? 65536 : 0);
}

/* The socket gave bytes (or EOF): into the loop at their arrival time. */
static void on_uv_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    rt_conn_t *c = st->data;
    sim_rt_t *rt = c->rt;
    input_begin(rt);
    if (nread > 0 && c->mine) {
        if (sim_stream_write(c->mine, buf->base, (size_t)nread) != 0) {
            conn_close_sim(c);
            conn_close_uv(c, 0);
        }
    } else if (nread == UV_EOF) {
        /* Half-close: the client may still read the answer. */
        uv_read_stop(st);
        if (c->mine && sim_stream_write(c->mine, "", 0) != 0) {
            conn_close_sim(c);
            conn_close_uv(c, 0);
        }
    } else if (nread < 0) {
        uv_read_stop(st);
        conn_close_sim(c);
        conn_close_uv(c, 0);
    }
    sim__free(buf->base);
    input_end(rt);
}

/* The connection's first event: at its virtual arrival time. */
static void accept_ev(void *a, void *b)
{
    rt_conn_t *c = a;
    sim_stream_t *theirs;
    if (c->uv_closing)
        return;
    if (sim_stream_pair(c->rt->loop, &c->mine, &theirs) != 0) {
        c->mine = NULL;
        conn_close_uv(c, 0);
        return;
    }
    c->mine->data = c;
    sim_stream_read_start(c->mine, on_sim_read);
    c->ln->cb(c->ln->arg, theirs);
}

static void on_connection(uv_stream_t *server, int status)
{
    rt_listener_t *ln = server->data;
    sim_rt_t *rt = ln->rt;
    rt_conn_t *c;
    if (status < 0 || !(c = sim__calloc(1, sizeof(*c))))
        return;
    c->rt = rt;
    c->ln = ln;
    if (ln->tcp)
        uv_tcp_init(&rt->uv, &c->h.tcp);
    else
        uv_pipe_init(&rt->uv, &c->h.pipe, 0);
    c->h.handle.data = c;
    c->next = rt->conns;
    if (rt->conns)
        rt->conns->prev = c;
    rt->conns = c;
    if (uv_accept(server, (uv_stream_t *)&c->h) != 0) {
        conn_close_uv(c, 0);
        return;
    }
    input_begin(rt);
    if (rt->done || sim_call(rt->loop, 0, accept_ev, c, NULL) != 0) {
        conn_close_uv(c, 0);
        return;
    }
    uv_read_start((uv_stream_t *)&c->h, on_alloc, on_uv_read);
    input_end(rt);
}

int sim_rt_listen(sim_rt_t *rt, const char *path, sim_rt_accept_cb cb,
                  void *arg)
{
    rt_listener_t *ln;
    struct stat st;
    int rc;
    if (strlen(path) >= sizeof(ln->path))
        return SIM_EINVAL;
    if (lstat(path, &st) == 0)
        return SIM_EADDRINUSE;
    if (!(ln = sim__calloc(1, sizeof(*ln))))
        return SIM_ENOMEM;
    ln->rt = rt;
    ln->cb = cb;
    ln->arg = arg;
    memcpy(ln->path, path, strlen(path) + 1);
    uv_pipe_init(&rt->uv, &ln->h.pipe, 0);
    ln->h.handle.data = ln;
    rc = uv_pipe_bind(&ln->h.pipe, path);
    if (rc == 0)
        rc = chmod(path, 0600) == 0 ? 0 : UV_EACCES;
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&ln->h, 128, on_connection);
    if (rc) {
        uv_close((uv_handle_t *)&ln->h, NULL);
        uv_run(&rt->uv, UV_RUN_NOWAIT);
        unlink(path);
        sim__free(ln);
        return rc == UV_EADDRINUSE ? SIM_EADDRINUSE
               : rc == UV_ENOMEM   ? SIM_ENOMEM
                                   : SIM_EACCES;
    }
    ln->next = rt->lns;
    rt->lns = ln;
    return 0;
}

int sim_rt_listen_tcp(sim_rt_t *rt, int port, int *bound_port,
                      sim_rt_accept_cb cb, void *arg)
{
    rt_listener_t *ln;
    struct sockaddr_in sa;
    struct sockaddr_storage got;
    int rc, len = (int)sizeof(got);
    if (port < 0 || port > 65535)
        return SIM_EINVAL;
    if (!(ln = sim__calloc(1, sizeof(*ln))))
        return SIM_ENOMEM;
    ln->rt = rt;
    ln->cb = cb;
    ln->arg = arg;
    ln->tcp = 1;
    uv_tcp_init(&rt->uv, &ln->h.tcp);
    ln->h.handle.data = ln;
    /* Loopback only: nothing outside this machine can reach it. */
    rc = uv_ip4_addr("127.0.0.1", port, &sa);
    if (rc == 0)
        rc = uv_tcp_bind(&ln->h.tcp, (const struct sockaddr *)&sa, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&ln->h, 128, on_connection);
    if (rc == 0)
        rc = uv_tcp_getsockname(&ln->h.tcp, (struct sockaddr *)&got, &len);
    if (rc) {
        uv_close((uv_handle_t *)&ln->h, NULL);
        uv_run(&rt->uv, UV_RUN_NOWAIT);
        sim__free(ln);
        return rc == UV_EADDRINUSE ? SIM_EADDRINUSE
               : rc == UV_ENOMEM   ? SIM_ENOMEM
                                   : SIM_EACCES;
    }
    if (bound_port)
        *bound_port = ntohs(((struct sockaddr_in *)&got)->sin_port);
    ln->next = rt->lns;
    rt->lns = ln;
    return 0;
}

uint64_t sim_rt_run(sim_rt_t *rt, uint64_t until_ns,
                    const volatile sig_atomic_t *stop)
{
    rt->until = until_ns;
    rt->stop = stop;
    rt->done = 0;
    rt->ran = 0;
    uv_timer_start(&rt->poll, on_poll, RT_POLL_MS, RT_POLL_MS);
    advance(rt);
    rearm(rt);
    if (!rt->done)
        uv_run(&rt->uv, UV_RUN_DEFAULT);
    uv_timer_stop(&rt->poll);
    uv_timer_stop(&rt->wake);
    return rt->ran;
}

void sim_rt_free(sim_rt_t *rt)
{
    rt_conn_t *c;
    rt->done = 1;
    for (c = rt->conns; c; c = c->next) {
        conn_close_sim(c);
        conn_close_uv(c, 0);
    }
    while (rt->lns) {
        rt_listener_t *ln = rt->lns;
        rt->lns = ln->next;
        if (ln->path[0])
            unlink(ln->path);
        ln->h.handle.data = NULL;
        uv_close((uv_handle_t *)&ln->h, NULL);
        uv_run(&rt->uv, UV_RUN_NOWAIT);
        sim__free(ln);
    }
    uv_close((uv_handle_t *)&rt->wake, NULL);
    uv_close((uv_handle_t *)&rt->poll, NULL);
    uv_run(&rt->uv, UV_RUN_DEFAULT);
    (void)uv_loop_close(&rt->uv);
    sim__free(rt);
}
