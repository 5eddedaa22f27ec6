/* owners.c: Docker Desktop and a squatter as pipe owners (see owners.h). */
#include "owners.h"

#include <stdio.h>
#include <string.h>

#include "sim/errno.h"
#include "sim/trace.h"

static const char *const kind_names[] = {"docker-desktop", "squatter"};

const char *owner_kind_name(owner_kind_t k)
{
    return kind_names[k];
}

int owner_kind_by_name(const char *name)
{
    int i;
    for (i = 0; i < 2; i++)
        if (!strcmp(kind_names[i], name))
            return i;
    return -1;
}

void owner_init(owner_t *o, owner_kind_t kind, const char *name,
                const char *pipe, sim_loop_t *loop, npipe_ns_t *pipes,
                uint32_t pid, dock_daemon_t *daemon)
{
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    snprintf(o->name, sizeof(o->name), "%s", name);
    snprintf(o->pipe, sizeof(o->pipe), "%s", pipe);
    o->loop = loop;
    o->pipes = pipes;
    o->daemon = daemon;
    o->proc.proc = kind == OWNER_DOCKER_DESKTOP ? "com.docker.backend"
                                                : "squatter";
    o->proc.pid = pid;
}

static void on_accept(npipe_listener_t *l, void *arg, int status,
                      sim_stream_t *conn)
{
    owner_t *o = arg;
    if (status) {
        if (conn)
            sim_stream_close(conn, NULL);
        return;
    }
    o->served++;
    if (o->daemon)
        dock_daemon_serve(o->daemon, conn);
    else
        sim_stream_close(conn, NULL);
    (void)npipe_accept(l, on_accept, o);
}

int owner_start(owner_t *o)
{
    sim_trace_t *tr;
    int rc;
    if (o->running)
        return 0;
    rc = npipe_listen(o->pipes, o->pipe, o->proc, NULL, &o->ln);
    o->start_failed = rc != 0;
    if (rc) {
        if (o->kind == OWNER_DOCKER_DESKTOP)
            snprintf(o->start_err, sizeof(o->start_err),
                     "starting services: initializing Docker API Proxy: "
                     "setting up docker api proxy listener: open %s: %s",
                     o->pipe, npipe_strerror(rc));
        else
            snprintf(o->start_err, sizeof(o->start_err), "open %s: %s",
                     o->pipe, npipe_strerror(rc));
        tr = sim_trace_begin(o->loop, "owner.start.fail");
        sim_trace_str(tr, "owner", o->name);
        sim_trace_str(tr, "err", o->start_err);
        sim_trace_end(tr);
        return rc;
    }
    o->running = 1;
    o->start_err[0] = 0;
    if (o->daemon)
        dock_daemon_start(o->daemon);
    tr = sim_trace_begin(o->loop, "owner.start.ok");
    sim_trace_str(tr, "owner", o->name);
    sim_trace_str(tr, "kind", kind_names[o->kind]);
    sim_trace_str(tr, "pipe", o->pipe);
    sim_trace_end(tr);
    if (o->kind == OWNER_DOCKER_DESKTOP)
        (void)npipe_accept(o->ln, on_accept, o);
    return 0;
}

void owner_stop(owner_t *o)
{
    sim_trace_t *tr;
    if (!o->running)
        return;
    o->running = 0;
    if (o->ln) {
        npipe_listener_close(o->ln);
        o->ln = NULL;
    }
    npipe_close_owner(o->pipes, o->proc.pid);
    if (o->daemon)
        dock_daemon_stop(o->daemon);
    tr = sim_trace_begin(o->loop, "owner.stop");
    sim_trace_str(tr, "owner", o->name);
    sim_trace_end(tr);
}
