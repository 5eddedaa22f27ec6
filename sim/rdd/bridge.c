/*
 * bridge.c: the Windows host-switch and its Docker socket bridge,
 * rdd/pkg/controllers/lima/limavm/controllers/hostswitch_windows.go and
 * rdd/pkg/socketbridge/host_windows.go at 00f5645 (docs/rdd/bridge.md,
 * docs/rdd/hazards.md H3, H4, H10).
 *
 * Models: the vsock handshake before the bridge binds (bounded by the 5 min
 * handshakeTimeout): the utility VM's GUID from the host (rescanned every
 * 1 s until a WSL distro has started it), first match wins on whichever
 * guest answers the handshake port, then the listen on vsock 6656 in the
 * machine-wide vsock namespace (a second instance fails there: "Vsock
 * handshake failed", no bridge and no network for it); ListenPipe on the
 * bridge's pipe; the swallowed bind error (errgroup goroutine returns nil);
 * the accept loop handing each connection to the VM's dockerd over vsock;
 * an accept error that leaves the name bound but unserved (H3, or closed at
 * once with BRIDGE_ACCEPT_ERROR_CLOSES); the death of the host-switch's
 * errgroup from a non-bridge error (H4): listener and vsock closed while
 * the VM runs, proxied connections untouched, nobody told.
 * Leaves out: the registry scan's per-GUID goroutines and the 5 s signature
 * read (a guest either answers or not), the READY signal, the gvisor
 * network's contents, the forwarder API, relay diagnostics.  Pipe traffic
 * goes over vsock 6660 to the utility VM's GUID, so it reaches whichever
 * guest listens there (lima.c: the first WSL2 guest up), which may be
 * another instance's (H10).
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static const char *const state_names[] = {
    "off",        "handshake",        "listening",      "bind_failed",
    "dead_bound", "handshake_failed", "hostswitch_dead"};

/* TODO(owners helper): the LimaVM helper defines the real hook in
 * limavm.c (flag HOSTSWITCH_DEATH_SURFACED); until it links, this weak
 * no-op stands in.  A strong definition anywhere replaces it. */
void rdd_limavm_hostswitch_died(rdd_instance_t *inst);
__attribute__((weak)) void rdd_limavm_hostswitch_died(rdd_instance_t *inst)
{
    (void)inst;
}

const char *rdd_bridge_state_name(rdd_bridge_state_t s)
{
    SIM_ASSERT(s < RDD_BRIDGE__COUNT);
    return state_names[s];
}

/* The only place the bridge's state changes. */
static void rdd__bridge_transition(rdd_instance_t *inst, rdd_bridge_state_t to)
{
    /* allowed[from][to]: off handshake listening bind_failed dead_bound
     * handshake_failed hostswitch_dead */
    static const unsigned char allowed[RDD_BRIDGE__COUNT][RDD_BRIDGE__COUNT] = {
        /* off */ {0, 1, 0, 0, 0, 0, 0},
        /* handshake */ {1, 0, 1, 1, 0, 1, 0},
        /* listening */ {1, 0, 0, 1, 1, 0, 1},
        /* bind_failed */ {1, 0, 0, 0, 0, 0, 1},
        /* dead_bound */ {1, 0, 0, 0, 0, 0, 1},
        /* handshake_failed */ {1, 0, 0, 0, 0, 0, 0},
        /* hostswitch_dead */ {1, 0, 0, 0, 0, 0, 0},
    };
    rdd_bridge_t *b = &inst->bridge;
    sim_trace_t *tr;
    SIM_ASSERT(allowed[b->state][to]);
    if (to == RDD_BRIDGE_OFF || to == RDD_BRIDGE_LISTENING)
        b->fail_seq = 0;
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
 * not tracked and outlive the bridge (and the host-switch). */
static void handle_conn(rdd_instance_t *inst, sim_stream_t *conn)
{
    /* :114-119 dialVsock(b.vmGUID, 6660): the GUID the handshake found is
     * the utility VM every distro shares, so the dial reaches whichever
     * guest listens on 6660, maybe another instance's (H10). */
    dock_daemon_t *d = inst->host
                           ? host_vsock_data(inst->host, RDD_VSOCK_FORWARD_PORT)
                           : inst->vm_daemon;
    if (d && d != inst->vm_daemon) {
        const char *o = host_vsock_owner(inst->host, RDD_VSOCK_FORWARD_PORT);
        sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.bridge.vsock_peer");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_str(tr, "guest", o ? o : "");
        sim_trace_end(tr);
    }
    if (!d || !dock_daemon_up(d)) {
        sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.bridge.vsock_fail");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_end(tr);
        sim_stream_close(conn, NULL);
        return;
    }
    inst->bridge.accepted++;
    dock_daemon_serve(d, conn);
}

/* failed: the record of the failed call (a link for explain), or 0. */
static void trace_exit(rdd_instance_t *inst, const char *msg,
                       uint64_t failed)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.bridge.exit");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "err", msg);
    sim_trace_str(tr, "log", "Socket bridge exited with error");
    sim_trace_link(tr, "failed", failed);
    sim_trace_end(tr);
    inst->bridge.fail_seq = sim_trace_last(inst->loop);
}

/* host_windows.go:64-73: the accept loop.  An accept error with ctx live
 * returns "socket-bridge: accept: <err>"; the listener is closed only when
 * ctx ends, so the name stays bound but unserved (H3).  With
 * BRIDGE_ACCEPT_ERROR_CLOSES the listener closes at once and the bridge
 * counts as failed, like a bind failure. */
static void on_accept(npipe_listener_t *l, void *arg, int status,
                      sim_stream_t *conn)
{
    rdd_instance_t *inst = arg;
    rdd_bridge_t *b = &inst->bridge;
    if (status == SIM_ECLOSED || b->state != RDD_BRIDGE_LISTENING ||
        l != b->ln) {
        if (conn)
            sim_stream_close(conn, NULL);
        return;
    }
    if (status) {
        snprintf(b->bind_msg, sizeof(b->bind_msg), "socket-bridge: accept: %s",
                 npipe_strerror(status));
        trace_exit(inst, b->bind_msg, 0);
        if (RDD_HAS(inst->flags, BRIDGE_ACCEPT_ERROR_CLOSES)) {
            npipe_listener_close(b->ln);
            b->ln = NULL;
            b->bind_err = status;
            b->failed_this_vm = 1;
            rdd__bridge_transition(inst, RDD_BRIDGE_BIND_FAILED);
            /* "reported": the engine hears of it (a reconcile). */
            rdd_engine_enqueue(inst);
            return;
        }
        rdd__bridge_transition(inst, RDD_BRIDGE_DEAD_BOUND);
        return;
    }
    handle_conn(inst, conn);
    (void)npipe_accept(l, on_accept, inst);
}

/* host_windows.go:52-62 Run: ListenPipe(pipeName, nil); failure returns
 * "socket-bridge: listen on <pipe>: <err>", which the host-switch's
 * errgroup goroutine logs and swallows (hostswitch_windows.go:214-220). */
static void bridge_run(rdd_instance_t *inst)
{
    rdd_bridge_t *b = &inst->bridge;
    int rc = npipe_listen(inst->pipes, inst->id.bridge_pipe, inst->proc, NULL,
                          &b->ln);
    uint64_t failed = sim_trace_last(inst->loop); /* npipe.listen.fail */
    if (rc) {
        b->ln = NULL;
        b->bind_err = rc;
        b->failed_this_vm = 1;
        snprintf(b->bind_msg, sizeof(b->bind_msg),
                 "socket-bridge: listen on %s: open %s: %s",
                 inst->id.bridge_pipe, inst->id.bridge_pipe,
                 npipe_strerror(rc));
        rdd__bridge_transition(inst, RDD_BRIDGE_BIND_FAILED);
        trace_exit(inst, b->bind_msg, failed);
        /* the exit links to the failed listen (which names its holder) */
        return;
    }
    b->bind_err = 0;
    b->bind_msg[0] = 0;
    rdd__bridge_transition(inst, RDD_BRIDGE_LISTENING);
    (void)npipe_accept(b->ln, on_accept, inst);
}

/* hostswitch_windows.go:179-183: "Vsock handshake failed", return: no
 * bridge and no network for this VM life.  The bridge never binds, so
 * this counts as a failed bind for the engine's and S3's purposes. */
static void handshake_fail(rdd_instance_t *inst, int err, const char *detail)
{
    rdd_bridge_t *b = &inst->bridge;
    sim_trace_t *tr;
    b->hs_err = err;
    b->hs_failures++;
    snprintf(b->hs_msg, sizeof(b->hs_msg), "Vsock handshake failed: %s",
             detail);
    b->bind_err = err;
    b->failed_this_vm = 1;
    snprintf(b->bind_msg, sizeof(b->bind_msg), "%s", b->hs_msg);
    tr = sim_trace_begin(inst->loop, "rdd.hostswitch.fail");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "err", b->hs_msg);
    sim_trace_end(tr);
    b->fail_seq = sim_trace_last(inst->loop);
    rdd__bridge_transition(inst, RDD_BRIDGE_HS_FAILED);
}

/* hostswitch_windows.go:439-461 vsockHandshake: getVMGUID, then
 * vsockListen(GUID, 6656).  The GUID comes from the registry, rescanned
 * every 1 s (:504-517), and exists once the utility VM runs; the guest
 * that answers the handshake port wins (:545-548, first match), whoever
 * it belongs to: all distros share the utility VM (H10). */
static int handshake_listen(rdd_instance_t *inst)
{
    rdd_bridge_t *b = &inst->bridge;
    const char *peer;
    char detail[200];
    int rc;
    snprintf(b->vm_guid, sizeof(b->vm_guid), "%s", host_vm_guid(inst->host));
    peer = host_vsock_owner(inst->host, RDD_VSOCK_HANDSHAKE_PORT);
    snprintf(b->hs_peer, sizeof(b->hs_peer), "%s", peer ? peer : "");
    rc = host_vsock_listen(inst->host, RDD_VSOCK_LISTEN_PORT, inst->id.name,
                           inst->proc.pid);
    if (rc) {
        snprintf(detail, sizeof(detail), "vsock listen on port %d failed: %s",
                 RDD_VSOCK_LISTEN_PORT,
                 rc == SIM_EADDRINUSE ? host_port_errmsg(inst->host)
                                      : sim_strerror(rc));
        handshake_fail(inst, rc, detail);
        return rc;
    }
    b->vsock_bound = 1;
    return 0;
}

static void handshake_step(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    rdd_bridge_t *b = &inst->bridge;
    uint64_t now = sim_now(inst->loop);
    uint64_t deadline = b->hs_start_ns + RDD_HANDSHAKE_MAX_NS;
    sim_trace_t *tr;
    SIM_ASSERT(b->state == RDD_BRIDGE_HANDSHAKE);
    if (now < b->hs_ready_ns || (inst->host && !host_vm_guid(inst->host)[0])) {
        /* No guest answers yet, or no utility VM in the registry. */
        if (now >= deadline) {
            handshake_fail(inst, SIM_EDEADLINE,
                           "VM GUID discovery failed: VM GUID discovery "
                           "timed out: context deadline exceeded");
            return;
        }
        (void)sim_timer_start(&b->handshake, handshake_step,
                              now + RDD_GUID_RESCAN_NS > deadline
                                  ? deadline - now
                                  : RDD_GUID_RESCAN_NS);
        return;
    }
    if (inst->host && handshake_listen(inst) != 0)
        return;
    /* :185-208: the virtual network and the forwarder API come up. */
    b->network = 1;
    tr = sim_trace_begin(inst->loop, "rdd.hostswitch.up");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "guid", b->vm_guid);
    sim_trace_str(tr, "peer", b->hs_peer);
    sim_trace_end(tr);
    /* :214-220: the bridge goroutine. */
    bridge_run(inst);
}

/* limavm_lifecycle.go:411-416 startInstance -> startHostSwitch
 * (hostswitch_windows.go:124-143): Windows (WSL2) only; stops a previous
 * host-switch first; the guest answers the handshake handshake_ns from now
 * and the bridge binds right after; past the 5 min limit the handshake
 * fails. */
void rdd_bridge_start(rdd_instance_t *inst, uint64_t handshake_ns)
{
    rdd_bridge_t *b = &inst->bridge;
    uint64_t now = sim_now(inst->loop);
    if (inst->id.os != RDD_OS_WINDOWS)
        return;
    rdd_bridge_stop(inst);
    b->failed_this_vm = 0;
    b->hs_err = 0;
    b->hs_msg[0] = b->vm_guid[0] = b->hs_peer[0] = 0;
    b->network = 0;
    b->hs_start_ns = now;
    b->hs_ready_ns =
        handshake_ns > SIM_NEVER - now ? SIM_NEVER : now + handshake_ns;
    sim_timer_init(inst->loop, &b->handshake);
    b->handshake.data = inst;
    rdd__bridge_transition(inst, RDD_BRIDGE_HANDSHAKE);
    (void)sim_timer_start(&b->handshake, handshake_step,
                          handshake_ns > RDD_HANDSHAKE_MAX_NS
                              ? RDD_HANDSHAKE_MAX_NS
                              : handshake_ns);
}

/* The host-switch's context ends (stopHostSwitch or an errgroup error):
 * the closers close the vsock listener (:267-270) and the bridge's side
 * goroutine the pipe listener (host_windows.go:59-62). */
static void hostswitch_cancel(rdd_instance_t *inst)
{
    rdd_bridge_t *b = &inst->bridge;
    sim_timer_stop(&b->handshake);
    if (b->ln) {
        npipe_listener_close(b->ln);
        b->ln = NULL;
    }
    if (b->vsock_bound && inst->host)
        host_vsock_close(inst->host, RDD_VSOCK_LISTEN_PORT, inst->id.name);
    b->vsock_bound = 0;
    b->network = 0;
}

/* stopHostSwitch (hostswitch_windows.go:146-159): cancel the context and
 * wait.  Accepted connections live on. */
void rdd_bridge_stop(rdd_instance_t *inst)
{
    rdd_bridge_t *b = &inst->bridge;
    if (b->state == RDD_BRIDGE_OFF)
        return;
    hostswitch_cancel(inst);
    rdd__bridge_transition(inst, RDD_BRIDGE_OFF);
}

/* hostswitch_windows.go:208-315: the errgroup.  A goroutine other than
 * the bridge's returning an error (the vsock accept loop's "vsock accept
 * failed: ...", :231; the API server's, :283) cancels the group's context:
 * the bridge's Run sees it and closes the pipe listener, the closers close
 * the vsock and API listeners, g.Wait logs "Host-switch exited with
 * error" and runHostSwitch returns (:311-312).  The controller is not
 * notified (:165-169): the VM keeps running, the guest loses DHCP/DNS/NAT
 * and the Docker pipe.  Connections already proxied are untracked
 * goroutines and survive (host_windows.go:72). */
void rdd_hostswitch_die(rdd_instance_t *inst, const char *why)
{
    rdd_bridge_t *b = &inst->bridge;
    sim_trace_t *tr;
    if (b->state != RDD_BRIDGE_LISTENING &&
        b->state != RDD_BRIDGE_BIND_FAILED &&
        b->state != RDD_BRIDGE_DEAD_BOUND) {
        tr = sim_trace_begin(inst->loop, "rdd.hostswitch.die_ignored");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_str(tr, "state", state_names[b->state]);
        sim_trace_end(tr);
        return;
    }
    hostswitch_cancel(inst);
    b->hs_deaths++;
    snprintf(b->died_msg, sizeof(b->died_msg),
             "Host-switch exited with error: %s", why ? why : "");
    tr = sim_trace_begin(inst->loop, "rdd.hostswitch.exit");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "err", b->died_msg);
    sim_trace_end(tr);
    b->fail_seq = sim_trace_last(inst->loop);
    rdd__bridge_transition(inst, RDD_BRIDGE_HS_DEAD);
    rdd_limavm_hostswitch_died(inst);
}

int rdd_hostswitch_up(const rdd_instance_t *inst)
{
    return inst->bridge.network;
}
