/*
 * bridge.c: the Windows host-switch and its Docker socket bridge,
 * rdd/pkg/controllers/lima/limavm/controllers/hostswitch_windows.go and
 * rdd/pkg/socketbridge/host_windows.go at 00f5645 (rdd-behavior.md §2).
 *
 * Models: the handshake delay before the bridge binds (bounded by the 5 min
 * handshakeTimeout), ListenPipe on the bridge's pipe, the swallowed bind
 * error (errgroup goroutine returns nil), the accept loop handing each
 * connection to the VM's dockerd over vsock, and an accept error that leaves
 * the name bound but unserved.  Leaves out: GUID discovery steps, the gvisor
 * network, the forwarder API, relay diagnostics.
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static const char *const state_names[] = {"off", "handshake", "listening",
                                          "bind_failed", "dead_bound"};

const char *rdd_bridge_state_name(rdd_bridge_state_t s)
{
    SIM_ASSERT(s < RDD_BRIDGE__COUNT);
    return state_names[s];
}

/* The only place the bridge's state changes. */
static void rdd__bridge_transition(rdd_instance_t *inst,
                                   rdd_bridge_state_t to)
{
    /* allowed[from][to] */
    static const unsigned char allowed[RDD_BRIDGE__COUNT][RDD_BRIDGE__COUNT] =
        {
            /* off */ {0, 1, 0, 0, 0},
            /* handshake */ {1, 0, 1, 1, 0},
            /* listening */ {1, 0, 0, 0, 1},
            /* bind_failed */ {1, 0, 0, 0, 0},
            /* dead_bound */ {1, 0, 0, 0, 0},
        };
    rdd_bridge_t *b = &inst->bridge;
    sim_trace_t *tr;
    SIM_ASSERT(allowed[b->state][to]);
    tr = sim_trace_begin(inst->loop, "rdd.bridge.state");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "from", state_names[b->state]);
    sim_trace_str(tr, "to", state_names[to]);
    sim_trace_end(tr);
    b->state = to;
}

static void on_accept(npipe_listener_t *l, void *arg, int status,
                      sim_stream_t *conn);

/* host_windows.go:76-110 handleConn: dial vsock to the VM; failure closes
 * the pipe connection ("Failed to dial vsock").  In-flight connections are
 * not tracked and outlive the bridge. */
static void handle_conn(rdd_instance_t *inst, sim_stream_t *conn)
{
    if (!inst->vm_running || !dock_daemon_up(inst->vm_daemon)) {
        sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.bridge.vsock_fail");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_end(tr);
        sim_stream_close(conn, NULL);
        return;
    }
    inst->bridge.accepted++;
    dock_daemon_serve(inst->vm_daemon, conn);
}

/* host_windows.go:64-73: the accept loop.  An accept error with ctx live
 * returns "socket-bridge: accept: <err>"; the listener is closed only when
 * ctx ends, so the name stays bound (H3). */
static void on_accept(npipe_listener_t *l, void *arg, int status,
                      sim_stream_t *conn)
{
    rdd_instance_t *inst = arg;
    rdd_bridge_t *b = &inst->bridge;
    if (status == SIM_ECLOSED || b->state != RDD_BRIDGE_LISTENING) {
        if (conn)
            sim_stream_close(conn, NULL);
        return;
    }
    if (status) {
        sim_trace_t *tr;
        snprintf(b->bind_msg, sizeof(b->bind_msg),
                 "socket-bridge: accept: %s", sim_strerror(status));
        tr = sim_trace_begin(inst->loop, "rdd.bridge.exit");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_str(tr, "err", b->bind_msg);
        sim_trace_end(tr);
        rdd__bridge_transition(inst, RDD_BRIDGE_DEAD_BOUND);
        return;
    }
    handle_conn(inst, conn);
    (void)npipe_accept(l, on_accept, inst);
}

/* host_windows.go:52-62 Run: ListenPipe(pipeName, nil); failure returns
 * "socket-bridge: listen on <pipe>: <err>", which the host-switch's
 * errgroup goroutine logs and swallows (hostswitch_windows.go:214-220). */
static void bridge_run(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_bridge_t *b = &inst->bridge;
    int rc = npipe_listen(inst->pipes, inst->id.bridge_pipe, inst->proc, NULL,
                          &b->ln);
    if (rc) {
        sim_trace_t *tr;
        b->bind_err = rc;
        b->failed_this_vm = 1;
        snprintf(b->bind_msg, sizeof(b->bind_msg),
                 "socket-bridge: listen on %s: open %s: %s",
                 inst->id.bridge_pipe, inst->id.bridge_pipe,
                 npipe_strerror(rc));
        rdd__bridge_transition(inst, RDD_BRIDGE_BIND_FAILED);
        tr = sim_trace_begin(inst->loop, "rdd.bridge.exit");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_str(tr, "err", b->bind_msg);
        sim_trace_str(tr, "log", "Socket bridge exited with error");
        sim_trace_end(tr);
        return;
    }
    b->bind_err = 0;
    b->bind_msg[0] = 0;
    rdd__bridge_transition(inst, RDD_BRIDGE_LISTENING);
    (void)npipe_accept(b->ln, on_accept, inst);
}

/* limavm_lifecycle.go:411-416 startInstance -> startHostSwitch
 * (hostswitch_windows.go:124-143): Windows (WSL2) only; stops a previous
 * host-switch first; the bridge binds after the vsock handshake. */
void rdd_bridge_start(rdd_instance_t *inst, uint64_t handshake_ns)
{
    rdd_bridge_t *b = &inst->bridge;
    if (inst->id.os != RDD_OS_WINDOWS)
        return;
    rdd_bridge_stop(inst);
    b->failed_this_vm = 0;
    sim_timer_init(inst->loop, &b->handshake);
    b->handshake.data = inst;
    rdd__bridge_transition(inst, RDD_BRIDGE_HANDSHAKE);
    if (handshake_ns > RDD_HANDSHAKE_MAX_NS) {
        /* vsockHandshake gives up: "Vsock handshake failed", no bridge. */
        sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.hostswitch.fail");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_str(tr, "err", "VM GUID discovery timed out");
        sim_trace_end(tr);
        rdd__bridge_transition(inst, RDD_BRIDGE_OFF);
        return;
    }
    (void)sim_timer_start(&b->handshake, bridge_run, handshake_ns);
}

/* stopHostSwitch: cancel the context; the bridge's side goroutine closes
 * the listener.  Accepted connections live on. */
void rdd_bridge_stop(rdd_instance_t *inst)
{
    rdd_bridge_t *b = &inst->bridge;
    if (b->state == RDD_BRIDGE_OFF)
        return;
    sim_timer_stop(&b->handshake);
    if (b->ln) {
        npipe_listener_close(b->ln);
        b->ln = NULL;
    }
    rdd__bridge_transition(inst, RDD_BRIDGE_OFF);
}
