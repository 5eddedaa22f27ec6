/*
 * cli_explore_pool.c: the sweep's worker processes (cli_explore.h).
 *
 * Each worker is the same executable in --worker mode, its stdin and
 * stdout pipes to us (uv_spawn, uv_pipe).  One seed is out per worker at
 * a time: "SEED\n" goes down, one JSON line comes back.  A uv_timer per
 * worker bounds the seed in wall-clock time; when it fires the worker is
 * killed (SIGKILL) and the seed is a HANG.  A worker that exits while a
 * seed is out crashed: the seed is a CRASH with the signal's name (or
 * "exit N" for a sanitizer's exit code).  Either way a new worker takes
 * the slot and the sweep goes on.  The wall clock is libuv's, for
 * timeouts only; what a seed's line says never depends on it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli.h"
#include "cli_explore.h"

#define LINE_MAX_BYTES (1u << 20)

typedef struct pool pool_t;

typedef struct {
    pool_t *pool;
    uv_process_t proc;
    uv_pipe_t in, out;       /* its stdin (we write), its stdout (we read) */
    uv_timer_t timer;
    int live;                /* handles open */
    int closing;             /* handles being closed */
    int busy;                /* a seed is out */
    int hung;                /* the timer killed it */
    uint64_t seed;
    char wbuf[32];
    uv_write_t wreq;
    uv_shutdown_t sreq;
    int draining;            /* told there are no more seeds */
    char *line;
    size_t len, cap;
} worker_t;

struct pool {
    const xpool_opts_t *o;
    uv_loop_t loop;
    worker_t *w;
    int stopping;            /* a signal: no new seeds */
    int exhausted;           /* next had no seed left */
    int bad_exits;           /* workers that failed at their exit */
    int sig;
    int failed;
    uv_signal_t sigint, sigterm;
};

const char *xsig_name(int sig, char *buf, size_t len)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {{SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"},
                 {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
                 {SIGILL, "SIGILL"},   {SIGKILL, "SIGKILL"},
                 {SIGTERM, "SIGTERM"}, {SIGTRAP, "SIGTRAP"},
                 {SIGINT, "SIGINT"},   {SIGPIPE, "SIGPIPE"}};
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].sig == sig) {
            snprintf(buf, len, "%s", names[i].name);
            return buf;
        }
    snprintf(buf, len, "SIG%d", sig);
    return buf;
}

static int spawn(worker_t *w);
static void dispatch(worker_t *w);

static void on_closed(uv_handle_t *h)
{
    worker_t *w = h->data;
    if (--w->closing > 0)
        return;
    w->live = 0;
    if (!w->pool->stopping && !w->pool->failed && !w->pool->exhausted)
        if (spawn(w) == 0)
            dispatch(w);
}

static void close_worker(worker_t *w)
{
    uv_handle_t *hs[4];
    int i;
    if (!w->live || w->closing)
        return;
    hs[0] = (uv_handle_t *)&w->proc;
    hs[1] = (uv_handle_t *)&w->in;
    hs[2] = (uv_handle_t *)&w->out;
    hs[3] = (uv_handle_t *)&w->timer;
    w->closing = 4;
    for (i = 0; i < 4; i++)
        uv_close(hs[i], on_closed);
}

/* The seed that was out when the worker died or hung. */
static void lost(worker_t *w, const char *inv, const char *site)
{
    char line[256];
    if (!w->busy)
        return;
    w->busy = 0;
    snprintf(line, sizeof(line),
             "{\"seed\":%llu,\"find\":[{\"variant\":\"*\",\"inv\":\"%s\","
             "\"site\":\"%s\",\"at_ns\":0}]}",
             (unsigned long long)w->seed, inv, site);
    w->pool->o->done(w->pool->o->arg, w->seed, line);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    worker_t *w = p->data;
    char site[32];
    uv_timer_stop(&w->timer);
    if (!w->busy && w->draining && (sig || status)) {
        /* After its last seed: a sanitizer's exit report (LSan's leaks). */
        fprintf(stderr, "rddsim explore: a worker ended with %s %lld after "
                "its last seed (see its report above)\n",
                sig ? "signal" : "status", sig ? (long long)sig
                                               : (long long)status);
        w->pool->bad_exits++;
    }
    if (w->busy && !w->pool->stopping) {
        if (w->hung)
            lost(w, "HANG", "timeout");
        else if (sig)
            lost(w, "CRASH", xsig_name(sig, site, sizeof(site)));
        else {
            snprintf(site, sizeof(site), "exit %lld", (long long)status);
            lost(w, "CRASH", site);
        }
    }
    w->busy = 0;
    close_worker(w);
}

static void on_timeout(uv_timer_t *t)
{
    worker_t *w = t->data;
    w->hung = 1;
    uv_process_kill(&w->proc, SIGKILL);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char slab[65536];
    (void)h;
    (void)hint;
    buf->base = slab;
    buf->len = sizeof(slab);
}

static void got_line(worker_t *w)
{
    w->line[w->len] = 0;
    if (w->busy) {
        w->busy = 0;
        uv_timer_stop(&w->timer);
        w->pool->o->done(w->pool->o->arg, w->seed, w->line);
    }
    w->len = 0;
    dispatch(w);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    worker_t *w = s->data;
    ssize_t i;
    if (n < 0) {
        uv_read_stop(s);      /* EOF or error: on_exit_cb follows */
        return;
    }
    for (i = 0; i < n; i++) {
        if (buf->base[i] == '\n') {
            got_line(w);
            continue;
        }
        if (w->len + 2 > w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 4096;
            char *l = cap <= LINE_MAX_BYTES ? realloc(w->line, cap) : NULL;
            if (!l) {
                uv_process_kill(&w->proc, SIGKILL);
                return;
            }
            w->line = l;
            w->cap = cap;
        }
        w->line[w->len++] = buf->base[i];
    }
}

static void on_written(uv_write_t *req, int status)
{
    (void)req;
    (void)status;             /* a failed write: the worker died */
}

static void dispatch(worker_t *w)
{
    pool_t *p = w->pool;
    uv_buf_t b;
    if (!w->live || w->closing || w->busy || p->stopping)
        return;
    if (p->exhausted || !p->o->next(p->o->arg, &w->seed)) {
        /* No more seeds: end of its stdin, it exits (its sanitizers'
         * exit checks run), then on_exit_cb closes it. */
        p->exhausted = 1;
        if (!w->draining) {
            w->draining = 1;
            if (uv_shutdown(&w->sreq, (uv_stream_t *)&w->in, NULL) != 0)
                uv_process_kill(&w->proc, SIGTERM);
        }
        return;
    }
    w->busy = 1;
    w->hung = 0;
    snprintf(w->wbuf, sizeof(w->wbuf), "%llu\n",
             (unsigned long long)w->seed);
    b = uv_buf_init(w->wbuf, (unsigned)strlen(w->wbuf));
    uv_write(&w->wreq, (uv_stream_t *)&w->in, &b, 1, on_written);
    uv_timer_start(&w->timer, on_timeout, p->o->timeout_ns / 1000000, 0);
}

static int spawn(worker_t *w)
{
    pool_t *p = w->pool;
    uv_process_options_t po;
    uv_stdio_container_t io[3];
    int rc;
    memset(&po, 0, sizeof(po));
    uv_pipe_init(&p->loop, &w->in, 0);
    uv_pipe_init(&p->loop, &w->out, 0);
    uv_timer_init(&p->loop, &w->timer);
    w->in.data = w->out.data = w->timer.data = w->proc.data = w;
    io[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    io[0].data.stream = (uv_stream_t *)&w->in;
    io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    io[1].data.stream = (uv_stream_t *)&w->out;
    io[2].flags = UV_INHERIT_FD;
    io[2].data.fd = 2;
    po.file = p->o->argv[0];
    po.args = p->o->argv;
    po.stdio = io;
    po.stdio_count = 3;
    po.exit_cb = on_exit_cb;
    /* Its own session: a Ctrl-C reaches us only, and we stop the workers
     * (a worker that died of the terminal's SIGINT would read as a crash).
     * Orphaned by a hard kill of ours, it reads EOF and exits. */
    po.flags = UV_PROCESS_DETACHED;
    w->live = 1;
    w->len = 0;
    w->draining = 0;
    if ((rc = uv_spawn(&p->loop, &w->proc, &po)) != 0) {
        fprintf(stderr, "rddsim explore: cannot start a worker (%s): %s\n",
                po.file, uv_strerror(rc));
        p->failed = 1;
        /* proc was never started: close the others, then proc. */
        close_worker(w);
        return -1;
    }
    uv_read_start((uv_stream_t *)&w->out, on_alloc, on_read);
    return 0;
}

static void on_signal(uv_signal_t *s, int sig)
{
    pool_t *p = s->data;
    int i;
    p->stopping = 1;
    p->sig = sig;
    for (i = 0; i < p->o->jobs; i++)
        if (p->w[i].live && !p->w[i].closing) {
            uv_process_kill(&p->w[i].proc, SIGTERM);
            p->w[i].busy = 0;
        }
    uv_close((uv_handle_t *)&p->sigint, NULL);
    uv_close((uv_handle_t *)&p->sigterm, NULL);
}

int xpool_run(const xpool_opts_t *o)
{
    pool_t p;
    int i;
    memset(&p, 0, sizeof(p));
    p.o = o;
    signal(SIGPIPE, SIG_IGN); /* a dead worker's stdin: EPIPE, not death */
    if (uv_loop_init(&p.loop) != 0)
        return -1;
    if (!(p.w = calloc((size_t)o->jobs, sizeof(*p.w)))) {
        uv_loop_close(&p.loop);
        return -1;
    }
    uv_signal_init(&p.loop, &p.sigint);
    uv_signal_init(&p.loop, &p.sigterm);
    p.sigint.data = p.sigterm.data = &p;
    uv_signal_start(&p.sigint, on_signal, SIGINT);
    uv_signal_start(&p.sigterm, on_signal, SIGTERM);
    /* The signal handles must not keep the loop alive. */
    uv_unref((uv_handle_t *)&p.sigint);
    uv_unref((uv_handle_t *)&p.sigterm);
    for (i = 0; i < o->jobs && !p.failed; i++) {
        p.w[i].pool = &p;
        if (spawn(&p.w[i]) == 0)
            dispatch(&p.w[i]);
    }
    uv_run(&p.loop, UV_RUN_DEFAULT);
    if (!uv_is_closing((uv_handle_t *)&p.sigint)) {
        uv_close((uv_handle_t *)&p.sigint, NULL);
        uv_close((uv_handle_t *)&p.sigterm, NULL);
    }
    uv_run(&p.loop, UV_RUN_DEFAULT);
    uv_loop_close(&p.loop);
    for (i = 0; i < o->jobs; i++)
        free(p.w[i].line);
    free(p.w);
    if (o->bad_exits)
        *o->bad_exits = p.bad_exits;
    return p.failed ? -1 : p.sig;
}
