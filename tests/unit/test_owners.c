/*
 * test_owners.c: the pipe owners (Docker Desktop, podman's win-sshproxy, a
 * squatter) against each other and against RDD's bridge, in both start
 * orders (docs/platform.md).  Each case is what a
 * real process would see, checked to the nanosecond of virtual time.
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
#define MACHINE "\\\\.\\pipe\\podman-machine-default"
#define DENIED "Access is denied."

static const npipe_owner_t CLI = {"docker", 300};

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    sim_faults_t faults;
    npipe_ns_t *ns;
    host_t *host;
    dock_daemon_t *dd_engine;
    dock_daemon_t *pm_engine;
    dock_daemon_t *vm;
    owner_t dd, pm, sq;
    rdd_instance_t inst;
    int inst_used;
} world_t;

static sim_loop_t *g_loop;

static void world_init(world_t *w)
{
    uint32_t pid;
    memset(w, 0, sizeof(*w));
    assert_int_equal(sim_loop_init(&w->loop, 1), 0);
    sim_trace_init(&w->tr, NULL, NULL);
    w->loop.trace = &w->tr;
    sim_faults_init(&w->faults);
    w->loop.faults = &w->faults;
    g_loop = &w->loop;
    assert_int_equal(npipe_ns_new(&w->loop, &w->ns), 0);
    assert_int_equal(host_new(&w->loop, 1, &w->host), 0);
    assert_int_equal(dock_daemon_new(&w->loop, "dd", "DD-ID", &w->dd_engine),
                     0);
    assert_int_equal(dock_daemon_new(&w->loop, "pm", "PM-ID", &w->pm_engine),
                     0);
    assert_int_equal(dock_daemon_new(&w->loop, "vm", "VM-ID", &w->vm), 0);
    owner_init(&w->dd, OWNER_DOCKER_DESKTOP, "dd", PIPE, &w->loop, w->ns, 100,
               w->dd_engine);
    owner_init(&w->pm, OWNER_PODMAN, "pm", PIPE, &w->loop, w->ns, 110,
               w->pm_engine);
    owner_init(&w->sq, OWNER_SQUATTER, "sq", PIPE, &w->loop, w->ns, 120, NULL);
    /* The utility VM runs (a WSL distro started), so handshakes succeed. */
    assert_int_equal(host_fs_write(w->host, "C:/d/ext4.vhdx", "disk"), 0);
    assert_int_equal(host_wsl_import(w->host, "lima-rd", "C:/d/ext4.vhdx", "t"),
                     0);
    assert_int_equal(host_wsl_start(w->host, "lima-rd", "t", NULL, 0), 0);
    /* Its guest serves its dockerd on vsock 6660, where the bridge dials
     * (socketbridge/host_windows.go:114-119). */
    assert_int_equal(
        host_vsock_listen(w->host, RDD_VSOCK_FORWARD_PORT, "guest", 0), 0);
    host_vsock_set_data(w->host, RDD_VSOCK_FORWARD_PORT, "guest", w->vm);
    assert_int_equal(host_spawn(w->host, "C:/rdd.exe", "rdd", 0, 1, &pid), 0);
    memset(&w->inst, 0, sizeof(w->inst));
    w->inst.loop = &w->loop;
    w->inst.pipes = w->ns;
    w->inst.host = w->host;
    w->inst.vm_daemon = w->vm;
    rdd_identity(&w->inst.id, RDD_OS_WINDOWS, 0, "", "C:\\Users\\u", 0);
    w->inst.proc.proc = w->inst.id.name;
    w->inst.proc.pid = pid;
}

static void world_fini(world_t *w)
{
    rdd_bridge_stop(&w->inst);
    owner_stop(&w->dd);
    owner_stop(&w->pm);
    owner_stop(&w->sq);
    sim_loop_run(&w->loop, SIM_NEVER);
    npipe_ns_free(w->ns);
    sim_loop_run(&w->loop, SIM_NEVER);
    dock_daemon_free(w->dd_engine);
    dock_daemon_free(w->pm_engine);
    dock_daemon_free(w->vm);
    host_free(w->host);
    sim_loop_run(&w->loop, SIM_NEVER);
    sim_loop_close(&w->loop);
    g_loop = NULL;
}

/* A client: dial, then one /_ping whose answer names the daemon. */
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
        const dock_resp_t *r = buf;
        c->answers++;
        snprintf(c->daemon, sizeof(c->daemon), "%s", r->daemon_id);
    }
}

static void cli_dialed(void *arg, int status, sim_stream_t *s)
{
    cli_t *c = arg;
    c->calls++;
    c->status = status;
    c->s = s;
    c->at_ns = sim_now(g_loop);
    if (s) {
        dock_req_t req;
        s->data = c;
        sim_stream_read_start(s, cli_read);
        memset(&req, 0, sizeof(req));
        req.magic = DOCK_MAGIC;
        req.op = DOCK_OP_PING;
        snprintf(req.client, sizeof(req.client), "docker");
        assert_int_equal(sim_stream_write(s, &req, sizeof(req)), 0);
    }
}

static void cli_dial(world_t *w, const char *pipe, uint64_t timeout_ns,
                     cli_t *c)
{
    memset(c, 0, sizeof(*c));
    assert_int_equal(npipe_dial(w->ns, pipe, CLI,
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

static void run_to(world_t *w, uint64_t t_ns)
{
    sim_loop_run(&w->loop, t_ns);
}

/* Reaches pipe and says which daemon answered ("" if none). */
static void expect_served_by(world_t *w, const char *pipe, const char *id)
{
    cli_t c;
    cli_dial(w, pipe, SIM_MS(100), &c);
    run_to(w, sim_now(&w->loop) + SIM_MS(200));
    assert_int_equal(c.calls, 1);
    if (!id) {
        assert_int_not_equal(c.status, 0);
        return;
    }
    assert_int_equal(c.status, 0);
    assert_int_equal(c.answers, 1);
    assert_string_equal(c.daemon, id);
    cli_close(&c);
    run_to(w, sim_now(&w->loop) + SIM_MS(1));
}

static void callback_start(void *a, void *b)
{
    (void)b;
    (void)owner_start(a);
}

/* names --------------------------------------------------------------------*/

static void test_kind_names_round_trip(void **state)
{
    (void)state;
    assert_int_equal(owner_kind_by_name("docker-desktop"),
                     OWNER_DOCKER_DESKTOP);
    assert_int_equal(owner_kind_by_name("podman"), OWNER_PODMAN);
    assert_int_equal(owner_kind_by_name("squatter"), OWNER_SQUATTER);
    assert_int_equal(owner_kind_by_name("dockerd"), -1);
    assert_string_equal(owner_kind_name(OWNER_PODMAN), "podman");
}

/* Docker Desktop vs RDD ----------------------------------------------------*/

static void test_dd_first_rdd_bridge_cannot_bind(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    assert_int_equal(owner_start(&w.dd), 0);
    rdd_bridge_start(&w.inst, SIM_S(1));
    run_to(&w, SIM_S(1));
    assert_int_equal(w.inst.bridge.state, RDD_BRIDGE_BIND_FAILED);
    assert_int_equal(w.inst.bridge.bind_err, SIM_EACCES);
    assert_string_equal(w.inst.bridge.bind_msg,
                        "socket-bridge: listen on \\\\.\\pipe\\docker_engine: "
                        "open \\\\.\\pipe\\docker_engine: Access is denied.");
    /* Docker Desktop is not affected (docs/platform.md). */
    expect_served_by(&w, PIPE, "DD-ID");
    world_fini(&w);
}

static void test_rdd_first_dd_refuses_to_start(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    rdd_bridge_start(&w.inst, SIM_S(1));
    run_to(&w, SIM_S(2));
    assert_int_equal(w.inst.bridge.state, RDD_BRIDGE_LISTENING);
    assert_int_equal(owner_start(&w.dd), SIM_EACCES);
    assert_int_equal(w.dd.state, OWNER_DOWN);
    assert_int_equal(w.dd.start_failed, 1);
    assert_string_equal(w.dd.start_err,
                        "starting services: initializing Docker API Proxy: "
                        "setting up docker api proxy listener: open "
                        "\\\\.\\pipe\\docker_engine: Access is denied.");
    /* H2: the default endpoint reaches RDD's dockerd. */
    expect_served_by(&w, PIPE, "VM-ID");
    world_fini(&w);
}

/* Docker Desktop crash: a lingering name (docs/platform.md) -----------------*/

static void test_dd_crash_with_client_handle_lingers_then_restarts(void **st)
{
    world_t w;
    cli_t held, late;
    (void)st;
    world_init(&w);
    assert_int_equal(owner_start(&w.dd), 0);
    cli_dial(&w, PIPE, SIM_MS(100), &held);
    run_to(&w, SIM_MS(10));
    assert_int_equal(held.status, 0);
    assert_int_equal(held.answers, 1);
    owner_crash(&w.dd);
    assert_int_equal((int)w.dd.crashes, 1);
    run_to(&w, SIM_MS(20));
    assert_int_equal(held.eof, 1); /* the proxy is gone */
    /* The client still holds its handle: the name lives on. */
    assert_int_equal(npipe_exists(w.ns, PIPE), 1);
    assert_int_equal(npipe_server_count(w.ns, PIPE), 0);
    /* New clients: file not found (no server handle). */
    cli_dial(&w, PIPE, SIM_MS(100), &late);
    run_to(&w, SIM_MS(30));
    assert_int_equal(late.status, SIM_ENOENT);
    /* Restart: Access is denied (go-winio#73, rancher#23590). */
    assert_int_equal(owner_start(&w.dd), SIM_EACCES);
    assert_non_null(strstr(w.dd.start_err, DENIED));
    assert_int_equal(w.dd.state, OWNER_DOWN);
    cli_close(&held);
    run_to(&w, SIM_MS(40));
    assert_int_equal(npipe_exists(w.ns, PIPE), 0);
    assert_int_equal(owner_start(&w.dd), 0);
    assert_int_equal(w.dd.start_failed, 0);
    expect_served_by(&w, PIPE, "DD-ID");
    world_fini(&w);
}

/* podman vs RDD
 * --------------------------------------------------------------*/

static void test_podman_first_takes_both_pipes_rdd_cannot_bind(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    assert_int_equal(owner_start(&w.pm), 0);
    assert_int_equal(w.pm.state, OWNER_LAUNCHING);
    /* The pipes appear OWNER_PODMAN_LAUNCH_NS after the probe. */
    run_to(&w, OWNER_PODMAN_LAUNCH_NS - 1);
    assert_int_equal(npipe_exists(w.ns, PIPE), 0);
    run_to(&w, OWNER_PODMAN_LAUNCH_NS);
    assert_int_equal(w.pm.state, OWNER_UP);
    assert_int_equal(w.pm.has_global, 1);
    assert_non_null(strstr(w.pm.said, "Docker API clients default to this "
                                      "address"));
    rdd_bridge_start(&w.inst, SIM_S(1));
    run_to(&w, SIM_S(2));
    assert_int_equal(w.inst.bridge.state, RDD_BRIDGE_BIND_FAILED);
    assert_non_null(strstr(w.inst.bridge.bind_msg, DENIED));
    expect_served_by(&w, PIPE, "PM-ID");
    expect_served_by(&w, MACHINE, "PM-ID");
    world_fini(&w);
}

static void test_rdd_first_podman_keeps_machine_pipe_only(void **state)
{
    world_t w;
    uint64_t t0;
    (void)state;
    world_init(&w);
    rdd_bridge_start(&w.inst, SIM_S(1));
    run_to(&w, SIM_S(2));
    t0 = sim_now(&w.loop);
    assert_int_equal(owner_start(&w.pm), 0);
    /* Taken at the first check, still taken 250 ms later. */
    run_to(&w, t0 + OWNER_PODMAN_GLOBAL_WAIT_NS + OWNER_PODMAN_LAUNCH_NS - 1);
    assert_int_equal(w.pm.state, OWNER_LAUNCHING);
    run_to(&w, t0 + OWNER_PODMAN_GLOBAL_WAIT_NS + OWNER_PODMAN_LAUNCH_NS);
    assert_int_equal(w.pm.state, OWNER_UP);
    assert_int_equal(w.pm.has_global, 0);
    assert_int_equal(w.pm.claims_global, 0);
    assert_non_null(strstr(w.pm.said, "Another process was listening on the "
                                      "default Docker API pipe address"));
    assert_non_null(strstr(w.pm.said, "podman-machine-default"));
    assert_int_equal(w.inst.bridge.state, RDD_BRIDGE_LISTENING);
    expect_served_by(&w, PIPE, "VM-ID");
    expect_served_by(&w, MACHINE, "PM-ID");
    world_fini(&w);
}

/* squatter vs RDD
 * ------------------------------------------------------------*/

static void test_squatter_first_rdd_cannot_bind_clients_busy(void **state)
{
    world_t w;
    cli_t c;
    (void)state;
    world_init(&w);
    assert_int_equal(owner_start(&w.sq), 0);
    rdd_bridge_start(&w.inst, SIM_S(1));
    run_to(&w, SIM_S(1));
    assert_int_equal(w.inst.bridge.state, RDD_BRIDGE_BIND_FAILED);
    cli_dial(&w, PIPE, SIM_S(2), &c);
    run_to(&w, SIM_S(4));
    assert_int_equal(c.status, SIM_ETIMEDOUT);
    assert_int_equal(c.at_ns, SIM_S(3));
    world_fini(&w);
}

static void test_rdd_first_squatter_denied(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    rdd_bridge_start(&w.inst, SIM_S(1));
    run_to(&w, SIM_S(1));
    assert_int_equal(owner_start(&w.sq), SIM_EACCES);
    assert_string_equal(w.sq.start_err,
                        "open \\\\.\\pipe\\docker_engine: Access is denied.");
    expect_served_by(&w, PIPE, "VM-ID");
    world_fini(&w);
}

/* owners against each other
 * --------------------------------------------------*/

static void test_dd_first_podman_keeps_machine_pipe(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    assert_int_equal(owner_start(&w.dd), 0);
    assert_int_equal(owner_start(&w.pm), 0);
    run_to(&w, SIM_S(1));
    assert_int_equal(w.pm.state, OWNER_UP);
    assert_int_equal(w.pm.has_global, 0);
    expect_served_by(&w, PIPE, "DD-ID");
    expect_served_by(&w, MACHINE, "PM-ID");
    world_fini(&w);
}

static void test_podman_first_dd_refuses_to_start(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    assert_int_equal(owner_start(&w.pm), 0);
    run_to(&w, SIM_S(1));
    assert_int_equal(w.pm.has_global, 1);
    /* docker/for-win#14547. */
    assert_int_equal(owner_start(&w.dd), SIM_EACCES);
    assert_non_null(strstr(w.dd.start_err, "initializing Docker API Proxy"));
    expect_served_by(&w, PIPE, "PM-ID");
    world_fini(&w);
}

static void test_podman_toctou_dd_takes_name_in_the_window(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    assert_int_equal(owner_start(&w.pm), 0); /* probe: free */
    assert_int_equal(w.pm.claims_global, 1);
    assert_int_equal(
        sim_call(&w.loop, SIM_MS(100), callback_start, &w.dd, NULL), 0);
    run_to(&w, OWNER_PODMAN_LAUNCH_NS);
    /* win-sshproxy's errgroup failed: the whole process is gone. */
    assert_int_equal(w.dd.state, OWNER_UP);
    assert_int_equal(w.pm.state, OWNER_DOWN);
    assert_int_equal(w.pm.start_failed, 1);
    assert_string_equal(w.pm.start_err,
                        "Error occurred in execution group: Error listening "
                        "on socket: npipe:////./pipe/docker_engine: open "
                        "\\\\.\\pipe\\docker_engine: Access is denied.");
    assert_int_equal(npipe_exists(w.ns, MACHINE), 0);
    /* ... while podman told the user it serves docker_engine. */
    assert_non_null(strstr(w.pm.said, "listening on: "
                                      "npipe:////./pipe/docker_engine"));
    expect_served_by(&w, PIPE, "DD-ID");
    world_fini(&w);
}

static void test_podman_rechecks_after_250ms(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    assert_int_equal(owner_start(&w.dd), 0);
    assert_int_equal(owner_start(&w.pm), 0); /* taken at t=0 */
    run_to(&w, SIM_MS(100));
    owner_stop(&w.dd); /* gone before the second check */
    run_to(&w, OWNER_PODMAN_GLOBAL_WAIT_NS + OWNER_PODMAN_LAUNCH_NS);
    assert_int_equal(w.pm.state, OWNER_UP);
    assert_int_equal(w.pm.has_global, 1);
    expect_served_by(&w, PIPE, "PM-ID");
    world_fini(&w);
}

static void test_podman_lingering_name_looks_free_but_create_fails(void **st)
{
    world_t w;
    cli_t held;
    (void)st;
    world_init(&w);
    assert_int_equal(owner_start(&w.dd), 0);
    cli_dial(&w, PIPE, SIM_MS(100), &held);
    run_to(&w, SIM_MS(10));
    assert_int_equal(held.status, 0);
    owner_crash(&w.dd);
    /* CreateFile answers "file not found": the probe says free. */
    assert_int_equal(owner_start(&w.pm), 0);
    assert_int_equal(w.pm.claims_global, 1);
    run_to(&w, SIM_MS(10) + OWNER_PODMAN_LAUNCH_NS);
    assert_int_equal(w.pm.state, OWNER_DOWN);
    assert_non_null(strstr(w.pm.start_err, DENIED));
    cli_close(&held);
    world_fini(&w);
}

static void test_podman_machine_pipe_taken_fails_after_5s(void **state)
{
    world_t w;
    (void)state;
    world_init(&w);
    owner_init(&w.sq, OWNER_SQUATTER, "sq", MACHINE, &w.loop, w.ns, 120, NULL);
    assert_int_equal(owner_start(&w.sq), 0);
    assert_int_equal(owner_start(&w.pm), 0);
    run_to(&w, OWNER_PODMAN_MACHINE_WAIT_NS - 1);
    assert_int_equal(w.pm.state, OWNER_PROBING);
    run_to(&w, OWNER_PODMAN_MACHINE_WAIT_NS);
    assert_int_equal(w.pm.state, OWNER_DOWN);
    assert_string_equal(w.pm.start_err,
                        "could not start api proxy since expected pipe is "
                        "not available: podman-machine-default");
    assert_non_null(strstr(w.pm.said, "Podman clients are still able"));
    assert_int_equal(npipe_exists(w.ns, PIPE), 0);
    world_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names_round_trip),
        cmocka_unit_test(test_dd_first_rdd_bridge_cannot_bind),
        cmocka_unit_test(test_rdd_first_dd_refuses_to_start),
        cmocka_unit_test(
            test_dd_crash_with_client_handle_lingers_then_restarts),
        cmocka_unit_test(test_podman_first_takes_both_pipes_rdd_cannot_bind),
        cmocka_unit_test(test_rdd_first_podman_keeps_machine_pipe_only),
        cmocka_unit_test(test_squatter_first_rdd_cannot_bind_clients_busy),
        cmocka_unit_test(test_rdd_first_squatter_denied),
        cmocka_unit_test(test_dd_first_podman_keeps_machine_pipe),
        cmocka_unit_test(test_podman_first_dd_refuses_to_start),
        cmocka_unit_test(test_podman_toctou_dd_takes_name_in_the_window),
        cmocka_unit_test(test_podman_rechecks_after_250ms),
        cmocka_unit_test(
            test_podman_lingering_name_looks_free_but_create_fails),
        cmocka_unit_test(test_podman_machine_pipe_taken_fails_after_5s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
