/*
 * test_bridge.c: RDD's host-switch and socket bridge on Windows
 * (docs/rdd/bridge.md; hazards H3, H4, H10): the handshake's GUID wait and
 * 5 min limit, the shared vsock namespace, an accept error under head and
 * under BRIDGE_ACCEPT_ERROR_CLOSES, and the host-switch's death.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "owners/owners.h"
#include "rdd/rdd.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/loop.h"
#include "sim/trace.h"

#define PIPE "\\\\.\\pipe\\docker_engine"

static const npipe_owner_t CLI = {"docker", 300};

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    sim_faults_t faults;
    npipe_ns_t *ns;
    host_t *host;
    dock_daemon_t *vm[2];
    dock_daemon_t *dd_engine;
    owner_t dd;
    rdd_instance_t inst[2];
} world_t;

static sim_loop_t *g_loop;

static void inst_init(world_t *w, int i, const char *suffix, rdd_flags_t flags)
{
    rdd_instance_t *inst = &w->inst[i];
    uint32_t pid;
    assert_int_equal(host_spawn(w->host, "C:/rdd.exe", "rdd", 0, 1, &pid), 0);
    memset(inst, 0, sizeof(*inst));
    inst->loop = &w->loop;
    inst->pipes = w->ns;
    inst->host = w->host;
    inst->vm_daemon = w->vm[i];
    inst->flags = flags;
    rdd_identity(&inst->id, RDD_OS_WINDOWS, suffix != NULL,
                 suffix ? suffix : "", "C:\\Users\\u", flags);
    inst->proc.proc = inst->id.name;
    inst->proc.pid = pid;
}

static void start_utility_vm(world_t *w)
{
    assert_int_equal(host_fs_write(w->host, "C:/d/ext4.vhdx", "disk"), 0);
    assert_int_equal(host_wsl_import(w->host, "lima-rd", "C:/d/ext4.vhdx", "t"),
                     0);
    assert_int_equal(host_wsl_start(w->host, "lima-rd", "t", NULL, 0), 0);
}

static void world_init(world_t *w, rdd_flags_t flags, int vm_up)
{
    memset(w, 0, sizeof(*w));
    assert_int_equal(sim_loop_init(&w->loop, 1), 0);
    sim_trace_init(&w->tr, NULL, NULL);
    w->loop.trace = &w->tr;
    sim_faults_init(&w->faults);
    w->loop.faults = &w->faults;
    g_loop = &w->loop;
    assert_int_equal(npipe_ns_new(&w->loop, &w->ns), 0);
    assert_int_equal(host_new(&w->loop, 1, &w->host), 0);
    assert_int_equal(dock_daemon_new(&w->loop, "vm0", "VM0", &w->vm[0]), 0);
    assert_int_equal(dock_daemon_new(&w->loop, "vm1", "VM1", &w->vm[1]), 0);
    assert_int_equal(dock_daemon_new(&w->loop, "dd", "DD", &w->dd_engine), 0);
    owner_init(&w->dd, OWNER_DOCKER_DESKTOP, "dd", PIPE, &w->loop, w->ns, 100,
               w->dd_engine);
    if (vm_up) {
        start_utility_vm(w);
        /* instance 0's guest serves vm0 on vsock 6660, where every bridge
         * dials (socketbridge/host_windows.go:114-119, H10) */
        assert_int_equal(
            host_vsock_listen(w->host, RDD_VSOCK_FORWARD_PORT, "guest0", 0),
            0);
        host_vsock_set_data(w->host, RDD_VSOCK_FORWARD_PORT, "guest0",
                            w->vm[0]);
    }
    inst_init(w, 0, NULL, flags);
    inst_init(w, 1, "3", flags);
}

static void world_fini(world_t *w)
{
    rdd_bridge_stop(&w->inst[0]);
    rdd_bridge_stop(&w->inst[1]);
    owner_stop(&w->dd);
    sim_loop_run(&w->loop, SIM_NEVER);
    npipe_ns_free(w->ns);
    sim_loop_run(&w->loop, SIM_NEVER);
    dock_daemon_free(w->vm[0]);
    dock_daemon_free(w->vm[1]);
    dock_daemon_free(w->dd_engine);
    host_free(w->host);
    sim_loop_run(&w->loop, SIM_NEVER);
    sim_loop_close(&w->loop);
    g_loop = NULL;
}

static void run_to(world_t *w, uint64_t t_ns)
{
    sim_loop_run(&w->loop, t_ns);
}

static void arm_accept_error(world_t *w, const char *target)
{
    sim_fault_arm_t arm;
    memset(&arm, 0, sizeof(arm));
    arm.by_count = 1;
    arm.after = 0;
    arm.repeat = 1;
    snprintf(arm.target, sizeof(arm.target), "%s", target);
    sim_faults_arm(&w->faults, SIM_FAULT_NPIPE_ACCEPT_ERROR, &arm, 7);
}

/* A client that pings over its connection each time it is asked. */
typedef struct {
    int calls;
    int status;
    sim_stream_t *s;
    uint64_t at_ns;
    int answers;
    char daemon[64];
    int eof;
} cli_t;

static void cli_read(sim_stream_t *s, long nread, const void *buf)
{
    cli_t *c = s->data;
    if (nread < 0) {
        c->eof = 1;
        return;
    }
    if ((size_t)nread >= sizeof(dock_resp_t)) {
        c->answers++;
        snprintf(c->daemon, sizeof(c->daemon), "%s",
                 ((const dock_resp_t *)buf)->daemon_id);
    }
}

static void cli_ping(cli_t *c)
{
    dock_req_t req;
    memset(&req, 0, sizeof(req));
    req.magic = DOCK_MAGIC;
    req.op = DOCK_OP_PING;
    snprintf(req.client, sizeof(req.client), "docker");
    assert_int_equal(sim_stream_write(c->s, &req, sizeof(req)), 0);
}

static void cli_dialed(void *arg, int status, sim_stream_t *s)
{
    cli_t *c = arg;
    c->calls++;
    c->status = status;
    c->s = s;
    c->at_ns = sim_now(g_loop);
    if (s) {
        s->data = c;
        sim_stream_read_start(s, cli_read);
        cli_ping(c);
    }
}

static void cli_dial(world_t *w, uint64_t timeout_ns, cli_t *c)
{
    memset(c, 0, sizeof(*c));
    assert_int_equal(npipe_dial(w->ns, PIPE, CLI,
                                sim_now(&w->loop) + timeout_ns, SIM_ETIMEDOUT,
                                cli_dialed, c, NULL),
                     0);
}

static void cli_close(cli_t *c)
{
    if (c->s)
        sim_stream_close(c->s, NULL);
    c->s = NULL;
}

/* handshake ----------------------------------------------------------------*/

static void test_bridge_binds_after_handshake(void **state)
{
    world_t w;
    rdd_instance_t *a;
    cli_t c;
    (void)state;
    world_init(&w, 0, 1);
    a = &w.inst[0];
    rdd_bridge_start(a, SIM_S(3));
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HANDSHAKE);
    run_to(&w, SIM_S(3) - 1);
    assert_int_equal(npipe_exists(w.ns, PIPE), 0);
    assert_int_equal(rdd_hostswitch_up(a), 0);
    run_to(&w, SIM_S(3));
    assert_int_equal(a->bridge.state, RDD_BRIDGE_LISTENING);
    assert_int_equal(rdd_hostswitch_up(a), 1);
    assert_string_equal(a->bridge.vm_guid, HOST_VM_GUID);
    assert_string_equal(host_vsock_owner(w.host, RDD_VSOCK_LISTEN_PORT),
                        a->id.name);
    cli_dial(&w, SIM_MS(100), &c);
    run_to(&w, SIM_S(4));
    assert_int_equal(c.status, 0);
    assert_string_equal(c.daemon, "VM0");
    assert_int_equal((int)a->bridge.accepted, 1);
    cli_close(&c);
    rdd_bridge_stop(a);
    assert_null(host_vsock_owner(w.host, RDD_VSOCK_LISTEN_PORT));
    world_fini(&w);
}

static void test_handshake_waits_for_the_utility_vm(void **state)
{
    world_t w;
    rdd_instance_t *a;
    (void)state;
    world_init(&w, 0, 0);
    a = &w.inst[0];
    rdd_bridge_start(a, SIM_S(1));
    run_to(&w, SIM_MS(3500));
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HANDSHAKE);
    start_utility_vm(&w);
    /* The next registry rescan (every 1 s from the first try) finds it. */
    run_to(&w, SIM_S(4) - 1);
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HANDSHAKE);
    run_to(&w, SIM_S(4));
    assert_int_equal(a->bridge.state, RDD_BRIDGE_LISTENING);
    world_fini(&w);
}

static void test_handshake_gives_up_after_5_minutes(void **state)
{
    world_t w;
    rdd_instance_t *a;
    (void)state;
    world_init(&w, 0, 0); /* no WSL distro ever starts */
    a = &w.inst[0];
    rdd_bridge_start(a, SIM_S(1));
    run_to(&w, RDD_HANDSHAKE_MAX_NS - 1);
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HANDSHAKE);
    run_to(&w, RDD_HANDSHAKE_MAX_NS);
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HS_FAILED);
    assert_int_equal(a->bridge.hs_err, SIM_EDEADLINE);
    assert_non_null(strstr(a->bridge.hs_msg, "Vsock handshake failed: VM "
                                             "GUID discovery failed"));
    assert_int_equal(a->bridge.failed_this_vm, 1);
    assert_int_equal(npipe_exists(w.ns, PIPE), 0);
    world_fini(&w);
}

static void test_guest_that_never_answers_fails_at_5_minutes(void **state)
{
    world_t w;
    rdd_instance_t *a;
    (void)state;
    world_init(&w, 0, 1);
    a = &w.inst[0];
    rdd_bridge_start(a, SIM_S(600));
    run_to(&w, RDD_HANDSHAKE_MAX_NS - 1);
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HANDSHAKE);
    run_to(&w, RDD_HANDSHAKE_MAX_NS);
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HS_FAILED);
    world_fini(&w);
}

/* H10: one utility VM, one vsock namespace --------------------------------*/

static void test_second_instance_handshake_fails_on_vsock_6656(void **state)
{
    world_t w;
    rdd_instance_t *a, *b;
    (void)state;
    world_init(&w,
               RDD_FLAG_BIT(RDD_FLAG_PIPE_PER_INSTANCE) |
                   RDD_FLAG_BIT(RDD_FLAG_BRIDGE_PIPE_FROM_INSTANCE),
               1);
    a = &w.inst[0];
    b = &w.inst[1];
    assert_string_not_equal(a->id.bridge_pipe, b->id.bridge_pipe);
    /* A's guest answers the handshake port for everybody. */
    assert_int_equal(
        host_vsock_listen(w.host, RDD_VSOCK_HANDSHAKE_PORT, "guest-a", 0), 0);
    rdd_bridge_start(a, SIM_S(1));
    rdd_bridge_start(b, SIM_S(2));
    run_to(&w, SIM_S(3));
    assert_int_equal(a->bridge.state, RDD_BRIDGE_LISTENING);
    assert_int_equal(b->bridge.state, RDD_BRIDGE_HS_FAILED);
    assert_int_equal(b->bridge.hs_err, SIM_EADDRINUSE);
    assert_string_equal(b->bridge.hs_peer, "guest-a"); /* first match */
    assert_non_null(strstr(b->bridge.hs_msg, "Vsock handshake failed: vsock "
                                             "listen on port 6656 failed"));
    assert_int_equal(rdd_hostswitch_up(b), 0);
    assert_int_equal(b->bridge.failed_this_vm, 1);
    /* Even with per-instance pipes, B's pipe is never bound. */
    assert_int_equal(npipe_exists(w.ns, b->id.bridge_pipe), 0);
    /* Once A's host-switch stops, B's next start succeeds. */
    rdd_bridge_stop(a);
    rdd_bridge_start(b, SIM_S(1));
    run_to(&w, SIM_S(4));
    assert_int_equal(b->bridge.state, RDD_BRIDGE_LISTENING);
    assert_int_equal(b->bridge.failed_this_vm, 0);
    world_fini(&w);
}

/* H3: accept error ----------------------------------------------------------*/

static void test_accept_error_leaves_name_bound_and_busy(void **state)
{
    world_t w;
    rdd_instance_t *a;
    cli_t c;
    (void)state;
    world_init(&w, 0, 1);
    a = &w.inst[0];
    rdd_bridge_start(a, SIM_S(1));
    run_to(&w, SIM_S(1));
    arm_accept_error(&w, a->id.name);
    cli_dial(&w, SIM_MS(100), &c); /* served; the re-armed Accept fails */
    run_to(&w, SIM_S(2));
    assert_int_equal(c.status, 0);
    cli_close(&c);
    assert_int_equal(a->bridge.state, RDD_BRIDGE_DEAD_BOUND);
    assert_non_null(strstr(a->bridge.bind_msg, "socket-bridge: accept: "));
    assert_int_equal(a->bridge.failed_this_vm, 0);
    run_to(&w, SIM_S(3));
    assert_int_equal(npipe_exists(w.ns, PIPE), 1);
    cli_dial(&w, SIM_S(2), &c);
    run_to(&w, SIM_S(6));
    assert_int_equal(c.status, SIM_ETIMEDOUT);
    assert_int_equal(c.at_ns, SIM_S(5));
    assert_int_equal(owner_start(&w.dd), SIM_EACCES);
    /* Until the host-switch's context ends. */
    rdd_bridge_stop(a);
    run_to(&w, SIM_S(7));
    assert_int_equal(npipe_exists(w.ns, PIPE), 0);
    assert_int_equal(owner_start(&w.dd), 0);
    world_fini(&w);
}

static void test_accept_error_closes_under_flag(void **state)
{
    world_t w;
    rdd_instance_t *a;
    cli_t c;
    (void)state;
    world_init(&w, RDD_FLAG_BIT(RDD_FLAG_BRIDGE_ACCEPT_ERROR_CLOSES), 1);
    a = &w.inst[0];
    arm_accept_error(&w, a->id.name);
    rdd_bridge_start(a, SIM_S(1));
    run_to(&w, SIM_S(2));
    assert_int_equal(a->bridge.state, RDD_BRIDGE_BIND_FAILED);
    assert_int_equal(a->bridge.failed_this_vm, 1);
    assert_int_equal(a->bridge.bind_err, SIM_EPIPE);
    assert_non_null(strstr(a->bridge.bind_msg, "socket-bridge: accept: "));
    assert_int_equal(npipe_exists(w.ns, PIPE), 0);
    cli_dial(&w, SIM_S(2), &c);
    run_to(&w, SIM_S(3));
    assert_int_equal(c.status, SIM_ENOENT);
    world_fini(&w);
}

/* H4: host-switch death
 * -------------------------------------------------------*/

static void test_hostswitch_death_releases_pipe_stream_survives(void **st)
{
    world_t w;
    rdd_instance_t *a;
    cli_t held, late;
    (void)st;
    world_init(&w, 0, 1);
    a = &w.inst[0];
    rdd_bridge_start(a, SIM_S(1));
    run_to(&w, SIM_S(1));
    cli_dial(&w, SIM_MS(100), &held);
    run_to(&w, SIM_S(2));
    assert_int_equal(held.answers, 1);
    rdd_hostswitch_die(a, "vsock accept failed: The pipe has been ended.");
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HS_DEAD);
    assert_int_equal((int)a->bridge.hs_deaths, 1);
    assert_non_null(strstr(a->bridge.died_msg, "Host-switch exited with "
                                               "error: vsock accept failed"));
    assert_int_equal(rdd_hostswitch_up(a), 0);
    assert_null(host_vsock_owner(w.host, RDD_VSOCK_LISTEN_PORT));
    /* The VM's dockerd runs on; the proxied stream still answers. */
    assert_int_equal(dock_daemon_up(w.vm[0]), 1);
    cli_ping(&held);
    run_to(&w, SIM_S(3));
    assert_int_equal(held.answers, 2);
    assert_int_equal(held.eof, 0);
    /* Nobody accepts any more: the proxied connection keeps the name, so
     * new clients are busy; nobody else can bind it yet. */
    cli_dial(&w, SIM_S(1), &late);
    run_to(&w, SIM_S(5));
    assert_int_equal(late.status, SIM_ETIMEDOUT);
    assert_int_equal(owner_start(&w.dd), SIM_EACCES);
    /* The stream ends: the name goes, and the next owner takes it. */
    cli_close(&held);
    run_to(&w, SIM_S(6));
    assert_int_equal(npipe_exists(w.ns, PIPE), 0);
    assert_int_equal(owner_start(&w.dd), 0);
    /* A second death is not possible: the group is gone. */
    rdd_hostswitch_die(a, "again");
    assert_int_equal((int)a->bridge.hs_deaths, 1);
    rdd_bridge_stop(a);
    assert_int_equal(a->bridge.state, RDD_BRIDGE_OFF);
    world_fini(&w);
}

static void test_hostswitch_death_during_handshake_is_ignored(void **state)
{
    world_t w;
    rdd_instance_t *a;
    (void)state;
    world_init(&w, 0, 1);
    a = &w.inst[0];
    rdd_bridge_start(a, SIM_S(1));
    rdd_hostswitch_die(a, "early");
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HANDSHAKE);
    assert_int_equal((int)a->bridge.hs_deaths, 0);
    run_to(&w, SIM_S(1));
    assert_int_equal(a->bridge.state, RDD_BRIDGE_LISTENING);
    world_fini(&w);
}

static void test_hostswitch_death_after_bind_failure(void **state)
{
    world_t w;
    rdd_instance_t *a;
    (void)state;
    world_init(&w, 0, 1);
    a = &w.inst[0];
    assert_int_equal(owner_start(&w.dd), 0);
    rdd_bridge_start(a, SIM_S(1));
    run_to(&w, SIM_S(1));
    assert_int_equal(a->bridge.state, RDD_BRIDGE_BIND_FAILED);
    assert_int_equal(rdd_hostswitch_up(a), 1); /* network still up */
    rdd_hostswitch_die(a, "vsock accept failed");
    assert_int_equal(a->bridge.state, RDD_BRIDGE_HS_DEAD);
    assert_int_equal(w.dd.state, OWNER_UP);
    world_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bridge_binds_after_handshake),
        cmocka_unit_test(test_handshake_waits_for_the_utility_vm),
        cmocka_unit_test(test_handshake_gives_up_after_5_minutes),
        cmocka_unit_test(test_guest_that_never_answers_fails_at_5_minutes),
        cmocka_unit_test(test_second_instance_handshake_fails_on_vsock_6656),
        cmocka_unit_test(test_accept_error_leaves_name_bound_and_busy),
        cmocka_unit_test(test_accept_error_closes_under_flag),
        cmocka_unit_test(test_hostswitch_death_releases_pipe_stream_survives),
        cmocka_unit_test(test_hostswitch_death_during_handshake_is_ignored),
        cmocka_unit_test(test_hostswitch_death_after_bind_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
