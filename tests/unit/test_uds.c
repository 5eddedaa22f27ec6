/*
 * test_uds.c: the Unix-socket fake against the Linux results of
 * docs/platform.md (one case per row that the uds.h contract can
 * express; the EACCES row needs file modes, which uds.h has not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/loop.h"
#include "sim/trace.h"
#include "uds/uds.h"

#define SOCK "/var/run/docker.sock"

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    sim_faults_t faults;
    uds_ns_t *ns;
} world_t;

static sim_loop_t *g_loop;

static void world_init(world_t *w)
{
    memset(w, 0, sizeof(*w));
    assert_int_equal(sim_loop_init(&w->loop, 1), 0);
    sim_trace_init(&w->tr, NULL, NULL);
    w->loop.trace = &w->tr;
    sim_faults_init(&w->faults);
    w->loop.faults = &w->faults;
    assert_int_equal(uds_ns_new(&w->loop, &w->ns), 0);
    g_loop = &w->loop;
}

static void world_fini(world_t *w)
{
    sim_loop_run(&w->loop, SIM_NEVER);
    uds_ns_free(w->ns);
    sim_loop_run(&w->loop, SIM_NEVER);
    sim_loop_close(&w->loop);
    g_loop = NULL;
}

/* recorders --------------------------------------------------------------*/

typedef struct {
    int calls;
    int status;
    sim_stream_t *s;
    uint64_t at_ns;
} rec_t;

static void on_conn(uds_listener_t *l, void *arg, sim_stream_t *s)
{
    rec_t *r = arg;
    r->calls++;
    r->s = s;
    r->at_ns = sim_now(g_loop);
}

static void on_connect(void *arg, int status, sim_stream_t *s)
{
    rec_t *r = arg;
    r->calls++;
    r->status = status;
    r->s = s;
    r->at_ns = sim_now(g_loop);
}

typedef struct {
    long last;
    char buf[64];
} reader_t;

static void on_read(sim_stream_t *s, long nread, const void *buf)
{
    reader_t *r = s->data;
    r->last = nread;
    if (nread > 0 && (size_t)nread < sizeof(r->buf)) {
        memcpy(r->buf, buf, (size_t)nread);
        r->buf[nread] = 0;
    }
}

static void watch(sim_stream_t *s, reader_t *r)
{
    memset(r, 0, sizeof(*r));
    s->data = r;
    sim_stream_read_start(s, on_read);
}

static int connect_to(world_t *w, const char *path, rec_t *r)
{
    memset(r, 0, sizeof(*r));
    return uds_connect(w->ns, path, "docker", on_connect, r);
}

/* docs/platform.md ----------------------------------------------------------*/

static void test_bind_on_live_path_is_addrinuse(void **state)
{
    world_t w;
    uds_listener_t *a, *b = NULL;
    rec_t ca = {0};
    int live = 0;
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    assert_int_equal(uds_listen(w.ns, SOCK, 20, on_conn, &ca, &b),
                     SIM_EADDRINUSE);
    assert_true(b == NULL);
    assert_string_equal(w.tr.last_ev, "uds.listen.fail");
    assert_true(uds_exists(w.ns, SOCK, &live) && live);
    assert_int_equal(uds_listen(w.ns, "", 20, on_conn, &ca, &b), SIM_EINVAL);
    uds_listener_close(a, 1);
    assert_true(!uds_exists(w.ns, SOCK, NULL));
    world_fini(&w);
}

static void
test_close_without_unlink_leaves_stale_file_blocking_bind(void **state)
{
    world_t w;
    uds_listener_t *a, *b;
    rec_t ca = {0};
    int live = 1;
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    uds_listener_close(a, 0);
    assert_true(uds_exists(w.ns, SOCK, &live));
    assert_int_equal(live, 0);
    assert_int_equal(uds_listen(w.ns, SOCK, 20, on_conn, &ca, &b),
                     SIM_EADDRINUSE);
    /* What a careful daemon does: unlink the stale file, then bind. */
    assert_int_equal(uds_unlink(w.ns, SOCK), 0);
    assert_int_equal(uds_listen(w.ns, SOCK, 20, on_conn, &ca, &b), 0);
    uds_listener_close(b, 1);
    world_fini(&w);
}

static void test_connect_to_stale_file_is_refused_later(void **state)
{
    world_t w;
    uds_listener_t *a;
    rec_t ca = {0}, r;
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    uds_listener_close(a, 0);
    sim_loop_run(&w.loop, SIM_S(3));
    assert_int_equal(connect_to(&w, SOCK, &r), 0);
    assert_int_equal(r.calls, 0);
    assert_string_equal(w.tr.last_ev, "uds.connect.fail");
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SIM_ECONNREFUSED);
    assert_true(r.s == NULL);
    assert_true(r.at_ns == SIM_S(3));
    assert_int_equal(ca.calls, 0);
    world_fini(&w);
}

static void test_connect_to_missing_path_is_enoent(void **state)
{
    world_t w;
    rec_t r;
    world_init(&w);
    assert_int_equal(connect_to(&w, SOCK, &r), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, SIM_ENOENT);
    assert_int_equal(uds_unlink(w.ns, SOCK), SIM_ENOENT);
    assert_int_equal(connect_to(&w, "", &r), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, SIM_ENOENT);
    world_fini(&w);
}

static void test_connect_to_live_path_gives_both_ends(void **state)
{
    world_t w;
    uds_listener_t *a;
    rec_t ca = {0}, r;
    reader_t rd;
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    assert_int_equal(connect_to(&w, SOCK, &r), 0);
    assert_int_equal(r.calls + ca.calls, 0);
    assert_string_equal(w.tr.last_ev, "uds.connect.ok");
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    assert_int_equal(ca.calls, 1);
    assert_true(r.s != NULL && r.s->peer == ca.s);
    watch(ca.s, &rd);
    assert_int_equal(sim_stream_write(r.s, "ping", 4), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_string_equal(rd.buf, "ping");
    sim_stream_close(r.s, NULL);
    sim_stream_close(ca.s, NULL);
    uds_listener_close(a, 1);
    world_fini(&w);
}

/* docs/platform.md ----------------------------------------------------------*/

static void test_unlink_then_bind_takes_over_live_path(void **state)
{
    world_t w;
    uds_listener_t *a, *b;
    rec_t ca = {0}, cb = {0}, r;
    int live = 0;
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    assert_int_equal(uds_unlink(w.ns, SOCK), 0);
    assert_string_equal(w.tr.last_ev, "uds.unlink");
    assert_int_equal(uds_listen(w.ns, SOCK, 20, on_conn, &cb, &b), 0);
    assert_true(uds_exists(w.ns, SOCK, &live) && live);
    assert_int_equal(connect_to(&w, SOCK, &r), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    assert_int_equal(cb.calls, 1);
    assert_int_equal(ca.calls, 0);
    sim_stream_close(r.s, NULL);
    sim_stream_close(cb.s, NULL);
    /* The displaced listener closes without unlink: B's file stays. */
    uds_listener_close(a, 0);
    assert_true(uds_exists(w.ns, SOCK, &live) && live);
    uds_listener_close(b, 1);
    world_fini(&w);
}

static void
test_displaced_go_listener_close_unlinks_newcomers_file(void **state)
{
    world_t w;
    uds_listener_t *a, *b;
    rec_t ca = {0}, cb = {0}, r;
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    assert_int_equal(uds_unlink(w.ns, SOCK), 0);
    assert_int_equal(uds_listen(w.ns, SOCK, 20, on_conn, &cb, &b), 0);
    uds_listener_close(a, 1);
    assert_true(!uds_exists(w.ns, SOCK, NULL));
    assert_int_equal(connect_to(&w, SOCK, &r), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, SIM_ENOENT);
    assert_int_equal(cb.calls, 0); /* B listens on, unreachable */
    /* B's own close finds no file to remove. */
    uds_listener_close(b, 1);
    world_fini(&w);
}

static void test_listener_close_drops_unaccepted_connection(void **state)
{
    world_t w;
    uds_listener_t *a;
    rec_t ca = {0}, r;
    reader_t rd;
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    assert_int_equal(connect_to(&w, SOCK, &r), 0);
    uds_listener_close(a, 1);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    assert_int_equal(ca.calls, 0);
    watch(r.s, &rd);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal((int)rd.last, SIM_EPIPE);
    sim_stream_close(r.s, NULL);
    world_fini(&w);
}

/* docs/platform.md ----------------------------------------------------------*/

static void test_abstract_name_binds_once_and_frees_on_close(void **state)
{
    world_t w;
    uds_listener_t *a, *b;
    rec_t ca = {0};
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, "@rdd", 10, on_conn, &ca, &a), 0);
    assert_int_equal(uds_listen(w.ns, "@rdd", 20, on_conn, &ca, &b),
                     SIM_EADDRINUSE);
    assert_int_equal(uds_unlink(w.ns, "@rdd"), SIM_ENOENT);
    uds_listener_close(a, 0); /* no file: nothing stale is left */
    assert_true(!uds_exists(w.ns, "@rdd", NULL));
    assert_int_equal(uds_listen(w.ns, "@rdd", 20, on_conn, &ca, &b), 0);
    uds_listener_close(b, 1);
    world_fini(&w);
}

/* faults -----------------------------------------------------------------*/

static void test_fault_connect_stale_refuses_live_path(void **state)
{
    world_t w;
    uds_listener_t *a;
    rec_t ca = {0}, r, r2;
    sim_fault_arm_t arm;
    world_init(&w);
    memset(&arm, 0, sizeof(arm));
    arm.by_count = 1;
    arm.repeat = 1;
    snprintf(arm.target, sizeof(arm.target), "docker");
    sim_faults_arm(&w.faults, SIM_FAULT_UDS_CONNECT_REFUSED, &arm, 3);
    /* Missing stays ENOENT: the site needs a file. */
    assert_int_equal(connect_to(&w, SOCK, &r), 0);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    assert_int_equal(connect_to(&w, SOCK, &r2), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, SIM_ENOENT);
    assert_int_equal(r2.status, SIM_ECONNREFUSED);
    assert_int_equal(ca.calls, 0);
    assert_int_equal((int)w.faults.site[SIM_FAULT_UDS_CONNECT_REFUSED].fired,
                     1);
    assert_int_equal(connect_to(&w, SOCK, &r), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    sim_stream_close(r.s, NULL);
    sim_stream_close(ca.s, NULL);
    uds_listener_close(a, 1);
    world_fini(&w);
}

/* teardown ---------------------------------------------------------------*/

static void test_ns_free_drops_undelivered_connections(void **state)
{
    sim_loop_t loop;
    uds_ns_t *ns;
    uds_listener_t *a;
    rec_t ca = {0}, r = {0}, r2 = {0};
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    g_loop = &loop;
    assert_int_equal(uds_ns_new(&loop, &ns), 0);
    assert_int_equal(uds_listen(ns, SOCK, 10, on_conn, &ca, &a), 0);
    assert_int_equal(uds_connect(ns, SOCK, "docker", on_connect, &r), 0);
    assert_int_equal(uds_connect(ns, "/missing", "docker", on_connect, &r2), 0);
    uds_ns_free(ns);
    sim_loop_run(&loop, SIM_NEVER);
    assert_int_equal(sim_loop_pending(&loop), 0);
    assert_int_equal(ca.calls + r.calls + r2.calls, 0);
    sim_loop_close(&loop);
    g_loop = NULL;
}

/* out of memory ----------------------------------------------------------*/

static void test_ns_new_survives_every_allocation_failure(void **state)
{
    sim_loop_t loop;
    uds_ns_t *ns = NULL;
    unsigned long n;
    int rc = SIM_ENOMEM;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    for (n = 1; rc == SIM_ENOMEM; n++) {
        sim_alloc_fail_at(n);
        rc = uds_ns_new(&loop, &ns);
        sim_alloc_fail_at(0);
        assert_true(rc == 0 || rc == SIM_ENOMEM);
    }
    assert_true(n > 1);
    uds_ns_free(ns);
    sim_loop_close(&loop);
}

static void test_listen_survives_every_allocation_failure(void **state)
{
    world_t w;
    uds_listener_t *a = NULL;
    rec_t ca = {0};
    unsigned long n;
    int rc = SIM_ENOMEM;
    world_init(&w);
    for (n = 1; rc == SIM_ENOMEM; n++) {
        sim_alloc_fail_at(n);
        rc = uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a);
        sim_alloc_fail_at(0);
        assert_true(rc == 0 || rc == SIM_ENOMEM);
        assert_int_equal(uds_exists(w.ns, SOCK, NULL), rc == 0);
    }
    assert_int_equal((int)n, 4); /* file, listener, then success */
    uds_listener_close(a, 1);
    world_fini(&w);
}

static void test_connect_survives_every_allocation_failure(void **state)
{
    world_t w;
    uds_listener_t *a;
    rec_t ca = {0}, r;
    unsigned long n;
    int rc = SIM_ENOMEM;
    world_init(&w);
    assert_int_equal(uds_listen(w.ns, SOCK, 10, on_conn, &ca, &a), 0);
    for (n = 1; rc == SIM_ENOMEM; n++) {
        sim_alloc_fail_at(n);
        rc = connect_to(&w, SOCK, &r);
        sim_alloc_fail_at(0);
        assert_true(rc == 0 || rc == SIM_ENOMEM);
    }
    assert_true(n > 4);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.calls, 1);
    assert_int_equal(ca.calls, 1);
    sim_stream_close(r.s, NULL);
    sim_stream_close(ca.s, NULL);
    uds_listener_close(a, 1);
    world_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_on_live_path_is_addrinuse),
        cmocka_unit_test(
            test_close_without_unlink_leaves_stale_file_blocking_bind),
        cmocka_unit_test(test_connect_to_stale_file_is_refused_later),
        cmocka_unit_test(test_connect_to_missing_path_is_enoent),
        cmocka_unit_test(test_connect_to_live_path_gives_both_ends),
        cmocka_unit_test(test_unlink_then_bind_takes_over_live_path),
        cmocka_unit_test(
            test_displaced_go_listener_close_unlinks_newcomers_file),
        cmocka_unit_test(test_listener_close_drops_unaccepted_connection),
        cmocka_unit_test(test_abstract_name_binds_once_and_frees_on_close),
        cmocka_unit_test(test_fault_connect_stale_refuses_live_path),
        cmocka_unit_test(test_ns_free_drops_undelivered_connections),
        cmocka_unit_test(test_ns_new_survives_every_allocation_failure),
        cmocka_unit_test(test_listen_survives_every_allocation_failure),
        cmocka_unit_test(test_connect_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
