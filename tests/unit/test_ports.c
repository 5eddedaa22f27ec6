/*
 * test_ports.c: ResolvePort and the per-instance port families
 * (docs/rdd/identity.md; hazards H7, H8, H11) on the host's port table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rdd/ports.h"
#include "sim/errno.h"
#include "sim/loop.h"
#include "sim/trace.h"

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    host_t *host;
    rdd_instance_t inst[2];
} world_t;

static void inst_init(world_t *w, int i, int env_set, const char *suffix)
{
    rdd_instance_t *inst = &w->inst[i];
    uint32_t pid;
    assert_int_equal(host_spawn(w->host, "C:/rdd.exe", "rdd", 0, 1, &pid), 0);
    memset(inst, 0, sizeof(*inst));
    inst->loop = &w->loop;
    inst->host = w->host;
    rdd_identity(&inst->id, RDD_OS_WINDOWS, env_set, suffix, "C:\\Users\\u", 0);
    inst->proc.proc = inst->id.name;
    inst->proc.pid = pid;
}

static void world_init(world_t *w, const char *a, const char *b)
{
    memset(w, 0, sizeof(*w));
    assert_int_equal(sim_loop_init(&w->loop, 1), 0);
    sim_trace_init(&w->tr, NULL, NULL);
    w->loop.trace = &w->tr;
    assert_int_equal(host_new(&w->loop, 1, &w->host), 0);
    inst_init(w, 0, a != NULL, a ? a : "");
    inst_init(w, 1, b != NULL, b ? b : "");
}

static void world_fini(world_t *w)
{
    rdd_ports_release(&w->inst[0]);
    rdd_ports_release(&w->inst[1]);
    sim_loop_run(&w->loop, SIM_NEVER);
    host_free(w->host);
    sim_loop_close(&w->loop);
}

static void test_families_follow_index(void **state)
{
    static const int want[RDD_PORT__COUNT] = {6445, 9445, 9092, 8090,
                                              8091, 8088, 8089, 7443};
    int i;
    (void)state;
    for (i = 0; i < RDD_PORT__COUNT; i++)
        assert_int_equal(rdd_port_desired((rdd_port_id_t)i, 2), want[i]);
    assert_string_equal(rdd_port_name(RDD_PORT_APISERVER), "apiserver");
    /* The families never overlap for Index in [1,199] (docs/rdd/identity.md) */
    for (i = 1; i < 200; i++) {
        int a = rdd_port_desired(RDD_PORT_EXT_HEALTH, i);
        assert_true(a < rdd_port_desired(RDD_PORT_EXT_METRICS, i + 1));
    }
}

static void test_resolve_port_takes_desired_and_closes(void **state)
{
    world_t w;
    int port = 0;
    (void)state;
    world_init(&w, NULL, "3");
    assert_int_equal(rdd_resolve_port(w.host, w.inst[0].proc.pid, 6445, &port),
                     0);
    assert_int_equal(port, 6445);
    assert_int_equal(host_port_owner(w.host, 6445), 0); /* closed again */
    world_fini(&w);
}

static void test_resolve_port_falls_back_to_ephemeral(void **state)
{
    world_t w;
    int got, port = 0;
    (void)state;
    world_init(&w, NULL, "3");
    assert_int_equal(host_port_bind(w.host, 6445, w.inst[1].proc.pid, &got), 0);
    assert_int_equal(rdd_resolve_port(w.host, w.inst[0].proc.pid, 6445, &port),
                     0);
    assert_int_equal(port, HOST_PORT_EPHEMERAL);
    assert_int_equal(host_port_owner(w.host, HOST_PORT_EPHEMERAL), 0);
    assert_int_equal(host_port_owner(w.host, 6445), w.inst[1].proc.pid);
    world_fini(&w);
}

/* H7: RDD_INSTANCE "02" shares Index 2 with the default instance. */
/* The families the service binds (rdd_port_served). */
static int served_count(void)
{
    int i, n = 0;
    for (i = 0; i < RDD_PORT__COUNT; i++)
        n += rdd_port_served((rdd_port_id_t)i);
    return n;
}

static void test_same_index_later_instance_moves_to_random_ports(void **st)
{
    world_t w;
    rdd_ports_t *a, *b;
    int i, k;
    (void)st;
    world_init(&w, NULL, "02");
    assert_int_equal(w.inst[0].id.index, w.inst[1].id.index);
    a = &w.inst[0].bridge.ports;
    b = &w.inst[1].bridge.ports;
    assert_int_equal(rdd_ports_service_start(&w.inst[0], SIM_MS(100)), 0);
    sim_loop_run(&w.loop, SIM_MS(100));
    assert_int_equal(a->nfail, 0);
    assert_int_equal(a->moved, 0);
    assert_int_equal(rdd_ports_service_start(&w.inst[1], SIM_MS(100)), 0);
    sim_loop_run(&w.loop, SIM_MS(200));
    assert_int_equal(b->moved, served_count());
    assert_int_equal(b->nfail, 0);
    for (i = 0, k = 0; i < RDD_PORT__COUNT; i++) {
        if (!rdd_port_served((rdd_port_id_t)i)) {
            assert_int_equal(host_port_owner(w.host, a->p[i].desired), 0);
            continue;
        }
        assert_int_equal(host_port_owner(w.host, a->p[i].resolved),
                         w.inst[0].proc.pid);
        assert_int_equal(b->p[i].resolved, HOST_PORT_EPHEMERAL + k++);
        assert_int_equal(host_port_owner(w.host, b->p[i].resolved),
                         w.inst[1].proc.pid);
    }
    world_fini(&w);
}

/* H8: both resolve inside each other's window; the later real bind
 * fails. */
static void test_toctou_window_makes_the_later_bind_fail(void **state)
{
    world_t w;
    rdd_ports_t *a, *b;
    (void)state;
    world_init(&w, "test", "0"); /* Index 148 both (docs/rdd/identity.md) */
    assert_int_equal(w.inst[0].id.index, 148);
    assert_int_equal(w.inst[1].id.index, 148);
    a = &w.inst[0].bridge.ports;
    b = &w.inst[1].bridge.ports;
    assert_int_equal(rdd_ports_service_start(&w.inst[0], SIM_MS(100)), 0);
    sim_loop_run(&w.loop, SIM_MS(50));
    assert_int_equal(rdd_ports_service_start(&w.inst[1], SIM_MS(100)), 0);
    assert_int_equal(b->moved, 0); /* A's ports were free again */
    sim_loop_run(&w.loop, SIM_MS(100));
    assert_int_equal(a->nfail, 0);
    assert_int_equal(b->nfail, 0); /* not yet */
    sim_loop_run(&w.loop, SIM_MS(150));
    assert_int_equal(b->nfail, served_count());
    assert_int_equal(b->p[RDD_PORT_APISERVER].bind_err, SIM_EADDRINUSE);
    assert_int_equal(b->p[RDD_PORT_APISERVER].bound, 0);
    assert_non_null(strstr(b->fail_msg, "apiserver: listen tcp "
                                        "127.0.0.1:6591: bind: Only one "
                                        "usage of each socket address"));
    world_fini(&w);
}

static void test_release_frees_every_port(void **state)
{
    world_t w;
    (void)state;
    world_init(&w, NULL, "3");
    assert_int_equal(rdd_ports_resolve(&w.inst[0]), 0);
    assert_int_equal(rdd_ports_bind(&w.inst[0]), 0);
    assert_int_equal(host_port_owner(w.host, 6445), w.inst[0].proc.pid);
    rdd_ports_release(&w.inst[0]);
    assert_int_equal(host_port_owner(w.host, 6445), 0);
    assert_int_equal(w.inst[0].bridge.ports.resolved, 0);
    world_fini(&w);
}

/* H11: two VMs forward guest 6443 to the same host port. */
static void test_guest_forward_collides_on_6443(void **state)
{
    world_t w;
    uint32_t ha0, ha1;
    (void)state;
    world_init(&w, NULL, "3");
    assert_int_equal(host_spawn(w.host, "C:/rdd.exe", "hostagent", 0, 1, &ha0),
                     0);
    assert_int_equal(host_spawn(w.host, "C:/rdd.exe", "hostagent", 0, 1, &ha1),
                     0);
    assert_int_equal(rdd_ports_forward_guest(&w.inst[0], ha0), 0);
    assert_int_equal(host_port_owner(w.host, 6443), ha0);
    assert_int_equal(rdd_ports_forward_guest(&w.inst[1], ha1), SIM_EADDRINUSE);
    assert_int_equal(w.inst[1].bridge.ports.guest_fwd_err, SIM_EADDRINUSE);
    assert_int_equal(w.inst[1].bridge.ports.guest_fwd_bound, 0);
    /* The hostagent's exit releases the forward; the other can bind. */
    assert_int_equal(host_kill(w.host, ha0), 0);
    assert_int_equal(rdd_ports_forward_guest(&w.inst[1], ha1), 0);
    rdd_ports_unforward_guest(&w.inst[1]);
    assert_int_equal(host_port_owner(w.host, 6443), 0);
    world_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_families_follow_index),
        cmocka_unit_test(test_resolve_port_takes_desired_and_closes),
        cmocka_unit_test(test_resolve_port_falls_back_to_ephemeral),
        cmocka_unit_test(test_same_index_later_instance_moves_to_random_ports),
        cmocka_unit_test(test_toctou_window_makes_the_later_bind_fail),
        cmocka_unit_test(test_release_frees_every_port),
        cmocka_unit_test(test_guest_forward_collides_on_6443),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
