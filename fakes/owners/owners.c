/*
 * owners.c: Docker Desktop, podman's win-sshproxy and a squatter as pipe
 * owners (see owners.h; docs/platform.md).
 *
 * Models: go-winio ListenPipe for every create (FILE_CREATE: the loser gets
 * "Access is denied.", also on a name that lingers because clients hold
 * handles); Docker Desktop's start-failure dialog; podman v5's
 * check-then-take (pkg/machine/machine_windows.go PipeNameAvailable,
 * launchWinProxy; pkg/machine/shim/networking_windows.go
 * setupMachineSockets) and win-sshproxy's errgroup (gvisor-tap-vsock
 * cmd/win-sshproxy/main.go setupProxies), including the TOCTOU window
 * between the probe and the create; process exit and crash.
 * Leaves out: Docker Desktop's other pipes (dockerBackendApiServer, ...)
 * and its engine pipe, podman's WaitPipeExists polling (the message is
 * printed when the pipes are created), the SSH hop (connections go straight
 * to the daemon), a probe's CreateFile handing the server a connection
 * that closes at once, accept errors on owners' listeners (they stop
 * accepting, as the bridge under head).
 */
#include "owners.h"

#include <stdio.h>
#include <string.h>

#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static const char *const kind_names[OWNER__KINDS] = {"docker-desktop",
                                                     "squatter", "podman"};
static const char *const state_names[OWNER__STATES] = {"down", "probing",
                                                       "launching", "up"};

const char *owner_kind_name(owner_kind_t k)
{
    SIM_ASSERT(k < OWNER__KINDS);
    return kind_names[k];
}

int owner_kind_by_name(const char *name)
{
    int i;
    for (i = 0; i < OWNER__KINDS; i++)
        if (!strcmp(kind_names[i], name))
            return i;
    return -1;
}

const char *owner_state_name(owner_state_t s)
{
    SIM_ASSERT(s < OWNER__STATES);
    return state_names[s];
}

/* down -> probing -> launching -> up (podman); down -> up; any -> down. */
static void owner__transition(owner_t *o, owner_state_t to)
{
    static const unsigned char allowed[OWNER__STATES][OWNER__STATES] = {
        /* down */ {0, 1, 0, 1},
        /* probing */ {1, 0, 1, 0},
        /* launching */ {1, 0, 0, 1},
        /* up */ {1, 0, 0, 0},
    };
    SIM_ASSERT(allowed[o->state][to]);
    o->state = to;
    o->running = to == OWNER_UP;
}

void owner_init(owner_t *o, owner_kind_t kind, const char *name,
                const char *pipe, sim_loop_t *loop, npipe_ns_t *pipes,
                uint32_t pid, dock_daemon_t *daemon)
{
    static const char *const procs[OWNER__KINDS] = {"com.docker.backend",
                                                    "squatter", "win-sshproxy"};
    SIM_ASSERT(kind < OWNER__KINDS);
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    snprintf(o->name, sizeof(o->name), "%s", name);
    snprintf(o->pipe, sizeof(o->pipe), "%s", pipe);
    snprintf(o->machine_pipe, sizeof(o->machine_pipe), "%s",
             OWNER_PODMAN_MACHINE_PIPE);
    o->loop = loop;
    o->pipes = pipes;
    o->daemon = daemon;
    o->proc.proc = procs[kind];
    o->proc.pid = pid;
    sim_timer_init(loop, &o->timer);
    o->timer.data = o;
}

void owner_set_machine_pipe(owner_t *o, const char *path)
{
    snprintf(o->machine_pipe, sizeof(o->machine_pipe), "%s", path);
}

static void on_accept(npipe_listener_t *l, void *arg, int status,
                      sim_stream_t *conn)
{
    owner_t *o = arg;
    if (status || o->state != OWNER_UP) {
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

/* failed: the npipe.listen.fail behind a failed start (explain's link). */
static void trace_start(owner_t *o, const char *ev, const char *pipe,
                        uint64_t failed)
{
    sim_trace_t *tr = sim_trace_begin(o->loop, ev);
    sim_trace_link(tr, "failed", failed);
    sim_trace_str(tr, "owner", o->name);
    if (o->start_failed) {
        sim_trace_str(tr, "err", o->start_err);
    } else {
        sim_trace_str(tr, "kind", kind_names[o->kind]);
        sim_trace_str(tr, "pipe", pipe);
    }
    sim_trace_end(tr);
}

static void go_up(owner_t *o, const char *pipe)
{
    o->start_failed = 0;
    o->start_err[0] = 0;
    owner__transition(o, OWNER_UP);
    if (o->daemon)
        dock_daemon_start(o->daemon);
    trace_start(o, "owner.start.ok", pipe, 0);
    if (o->ln && o->kind != OWNER_SQUATTER)
        (void)npipe_accept(o->ln, on_accept, o);
    if (o->mln)
        (void)npipe_accept(o->mln, on_accept, o);
}

static void start_fail(owner_t *o, uint64_t failed)
{
    o->start_failed = 1;
    if (o->state != OWNER_DOWN)
        owner__transition(o, OWNER_DOWN);
    trace_start(o, "owner.start.fail", NULL, failed);
}

/* Docker Desktop's Docker API Proxy and the squatter: one ListenPipe. */
static int start_simple(owner_t *o)
{
    int rc = npipe_listen(o->pipes, o->pipe, o->proc, NULL, &o->ln);
    uint64_t failed = sim_trace_last(o->loop);
    if (rc) {
        o->ln = NULL;
        if (o->kind == OWNER_DOCKER_DESKTOP)
            snprintf(o->start_err, sizeof(o->start_err),
                     "starting services: initializing Docker API Proxy: "
                     "setting up docker api proxy listener: open %s: %s",
                     o->pipe, npipe_strerror(rc));
        else
            snprintf(o->start_err, sizeof(o->start_err), "open %s: %s", o->pipe,
                     npipe_strerror(rc));
        start_fail(o, failed);
        return rc;
    }
    go_up(o, o->pipe);
    return 0;
}

/* podman -------------------------------------------------------------------*/

/* "podman-machine-default" from "\\.\pipe\podman-machine-default". */
static const char *short_name(const char *path, char buf[NPIPE_NAME_MAX])
{
    if (npipe_normalize(path, buf) != 0)
        return path;
    return buf + strlen("\\\\.\\pipe\\");
}

static void podman_say(owner_t *o)
{
    sim_trace_t *tr = sim_trace_begin(o->loop, "owner.podman.say");
    sim_trace_str(tr, "owner", o->name);
    sim_trace_str(tr, "text", o->said);
    sim_trace_end(tr);
}

/* machine_windows.go PipeNameAvailable: fileutils.Exists on the pipe
 * (a CreateFile) is "not exist" only for ERROR_FILE_NOT_FOUND: no name, or
 * a name without a server handle (docs/platform.md).  A busy pipe counts as
 * taken. */
static int name_available(owner_t *o, const char *path)
{
    return !npipe_exists(o->pipes, path) ||
           npipe_server_count(o->pipes, path) == 0;
}

static void podman_fire(sim_timer_t *t);

/* win-sshproxy setupProxies: one ListenNpipe (go-winio, FILE_CREATE) per
 * source in an errgroup; one failure cancels the group, the other
 * forwards close and the process exits ("Error occurred in execution
 * group").  launchWinProxy's WaitPipeExists then finds docker_engine
 * (someone else's), so podman still says it listens there. */
static void podman_create(owner_t *o)
{
    char a[NPIPE_NAME_MAX], b[NPIPE_NAME_MAX];
    const char *gl = short_name(o->pipe, a);
    const char *mach = short_name(o->machine_pipe, b);
    int rc = npipe_listen(o->pipes, o->machine_pipe, o->proc, NULL, &o->mln);
    const char *failed = mach;
    uint64_t failed_seq = sim_trace_last(o->loop);
    if (rc)
        o->mln = NULL;
    if (rc == 0 && o->has_global) {
        rc = npipe_listen(o->pipes, o->pipe, o->proc, NULL, &o->ln);
        failed = gl;
        failed_seq = sim_trace_last(o->loop);
        if (rc) {
            o->ln = NULL;
            npipe_listener_close(o->mln);
            o->mln = NULL;
            o->has_global = 0;
        }
    }
    snprintf(o->said, sizeof(o->said),
             "API forwarding listening on: npipe:////./pipe/%s\n\n%s",
             o->claims_global ? gl : mach,
             o->claims_global
                 ? "Docker API clients default to this address. You do "
                   "not need to set DOCKER_HOST."
                 : "Another process was listening on the default Docker "
                   "API pipe address.");
    podman_say(o);
    if (rc) {
        snprintf(o->start_err, sizeof(o->start_err),
                 "Error occurred in execution group: Error listening on "
                 "socket: npipe:////./pipe/%s: open \\\\.\\pipe\\%s: %s",
                 failed, failed, npipe_strerror(rc));
        start_fail(o, failed_seq);
        return;
    }
    go_up(o, o->has_global ? o->pipe : o->machine_pipe);
}

static void trace_probe(owner_t *o, const char *path, int avail)
{
    sim_trace_t *tr = sim_trace_begin(o->loop, "owner.podman.probe");
    sim_trace_str(tr, "owner", o->name);
    sim_trace_str(tr, "pipe", path);
    sim_trace_u64(tr, "available", (uint64_t)avail);
    sim_trace_u64(tr, "waited_ms", o->waited_ns / SIM_NS_PER_MS);
    sim_trace_end(tr);
}

/* networking_windows.go setupMachineSockets: the machine pipe within
 * MachineNameWait, else "could not start api proxy since expected pipe
 * is not available"; docker_engine within GlobalNameWait, else the
 * machine pipe only.  PipeNameAvailable: check, then sleep 250 ms while
 * waited < maxWait. */
static void podman_probe(owner_t *o)
{
    char a[NPIPE_NAME_MAX];
    const char *path = o->probing_global ? o->pipe : o->machine_pipe;
    uint64_t max = o->probing_global ? OWNER_PODMAN_GLOBAL_WAIT_NS
                                     : OWNER_PODMAN_MACHINE_WAIT_NS;
    int avail = name_available(o, path);
    trace_probe(o, path, avail);
    if (!avail && o->waited_ns < max) {
        o->waited_ns += OWNER_PODMAN_POLL_NS;
        (void)sim_timer_start(&o->timer, podman_fire, OWNER_PODMAN_POLL_NS);
        return;
    }
    if (!o->probing_global && !avail) {
        snprintf(o->start_err, sizeof(o->start_err),
                 "could not start api proxy since expected pipe is not "
                 "available: %s",
                 short_name(o->machine_pipe, a));
        snprintf(o->said, sizeof(o->said),
                 "API forwarding for Docker API clients is not available "
                 "due to the following startup failures.\n\t%s\n\nPodman "
                 "clients are still able to connect.",
                 o->start_err);
        podman_say(o);
        start_fail(o, 0);
        return;
    }
    if (!o->probing_global) {
        o->probing_global = 1;
        o->waited_ns = 0;
        podman_probe(o);
        return;
    }
    /* launchWinProxy: cmd.Start(win-sshproxy); its pipes come later. */
    o->has_global = o->claims_global = avail;
    owner__transition(o, OWNER_LAUNCHING);
    (void)sim_timer_start(&o->timer, podman_fire, OWNER_PODMAN_LAUNCH_NS);
}

static void podman_fire(sim_timer_t *t)
{
    owner_t *o = t->data;
    if (o->state == OWNER_PROBING)
        podman_probe(o);
    else if (o->state == OWNER_LAUNCHING)
        podman_create(o);
}

/* lifecycle ----------------------------------------------------------------*/

int owner_start(owner_t *o)
{
    if (o->state != OWNER_DOWN)
        return 0;
    o->start_err[0] = 0;
    if (o->kind != OWNER_PODMAN)
        return start_simple(o);
    o->start_failed = 0;
    o->said[0] = 0;
    o->has_global = o->claims_global = 0;
    o->probing_global = 0;
    o->waited_ns = 0;
    owner__transition(o, OWNER_PROBING);
    podman_probe(o);
    return 0;
}

/* Process exit: every listener and server end closes; the daemon behind
 * goes down in the same turn (its connections came through us). */
static void owner_exit(owner_t *o, const char *ev)
{
    sim_trace_t *tr;
    int was_up = o->state == OWNER_UP;
    if (o->state == OWNER_DOWN)
        return;
    sim_timer_stop(&o->timer);
    owner__transition(o, OWNER_DOWN);
    if (o->ln) {
        npipe_listener_close(o->ln);
        o->ln = NULL;
    }
    if (o->mln) {
        npipe_listener_close(o->mln);
        o->mln = NULL;
    }
    o->has_global = 0;
    npipe_close_owner(o->pipes, o->proc.pid);
    if (o->daemon && was_up)
        dock_daemon_stop(o->daemon);
    tr = sim_trace_begin(o->loop, ev);
    sim_trace_str(tr, "owner", o->name);
    sim_trace_end(tr);
}

void owner_stop(owner_t *o)
{
    owner_exit(o, "owner.stop");
}

void owner_crash(owner_t *o)
{
    if (o->state == OWNER_DOWN)
        return;
    o->crashes++;
    owner_exit(o, "owner.crash");
}
