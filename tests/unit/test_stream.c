/*
 * test_stream.c: in-memory stream pairs on the virtual loop (the sim_stream_*
 * calls of sim/include/sim/loop.h).  Covers write/read order, message
 * boundaries (one read per write), latency, delivery never inside the
 * writing call, EOF (nread == SIM_EPIPE) after the data already written when
 * the peer closes, SIM_EPIPE for a write to a closed peer and SIM_ECLOSED
 * for a write on a closed end, read_start after data arrived (held data is
 * delivered in order, later, and before anything that arrives after it),
 * the transport hook running once inside close, close_cb running on a later
 * turn, and OOM for sim_stream_pair and sim_stream_write.  Every test closes
 * both ends and drains the loop so ASan's leak check covers the frees.  The
 * real-I/O backend (uv pipes) is out of scope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/loop.h"

/* What a reader saw. ------------------------------------------------------*/

#define READS_MAX 16

typedef struct {
    long nread[READS_MAX];
    char buf[READS_MAX][32];
    uint64_t at[READS_MAX];
    int n;
    int close_on_eof;   /* close this end when EOF arrives */
} reads_t;

static void read_cb(sim_stream_t *s, long nread, const void *buf)
{
    reads_t *r = s->data;
    assert_non_null(r);
    assert_true(r->n < READS_MAX);
    r->nread[r->n] = nread;
    r->at[r->n] = sim_now(s->loop);
    if (nread > 0) {
        assert_true(nread < 32);
        memcpy(r->buf[r->n], buf, (size_t)nread);
        r->buf[r->n][nread] = 0;
    }
    r->n++;
    if (nread == SIM_EPIPE && r->close_on_eof)
        sim_stream_close(s, NULL);
}

static int g_closed;
static int g_closed_flag_in_cb;

static void close_cb(sim_stream_t *s)
{
    g_closed++;
    g_closed_flag_in_cb = s->closed;
}

static int write_str(sim_stream_t *s, const char *str)
{
    return sim_stream_write(s, str, strlen(str));
}

/* Fixture: a loop and one connected pair. -------------------------------*/

typedef struct {
    sim_loop_t loop;
    sim_stream_t *a;
    sim_stream_t *b;
    reads_t ra;
    reads_t rb;
} fix_t;

static int setup_pair(void **state)
{
    fix_t *f = calloc(1, sizeof(*f));
    if (!f || sim_loop_init(&f->loop, 1) != 0)
        return -1;
    if (sim_stream_pair(&f->loop, &f->a, &f->b) != 0)
        return -1;
    f->a->data = &f->ra;
    f->b->data = &f->rb;
    g_closed = 0;
    g_closed_flag_in_cb = 0;
    *state = f;
    return 0;
}

static int teardown_pair(void **state)
{
    fix_t *f = *state;
    sim_alloc_fail_at(0);
    /* Both ends closed by the test or here; the loop drains the frees. */
    if (f->a && !f->a->closed)
        sim_stream_close(f->a, NULL);
    if (f->b && !f->b->closed)
        sim_stream_close(f->b, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    sim_loop_close(&f->loop);
    free(f);
    return 0;
}

/* Tests ------------------------------------------------------------------*/

static void test_stream_pair_is_connected_both_ways(void **state)
{
    fix_t *f = *state;
    assert_ptr_equal(f->a->peer, f->b);
    assert_ptr_equal(f->b->peer, f->a);
    assert_ptr_equal(f->a->loop, &f->loop);
    assert_false(f->a->closed);
    sim_stream_read_start(f->a, read_cb);
    sim_stream_read_start(f->b, read_cb);
    assert_int_equal(write_str(f->a, "ping"), 0);
    assert_int_equal(write_str(f->b, "pong"), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 1);
    assert_string_equal(f->rb.buf[0], "ping");
    assert_int_equal(f->ra.n, 1);
    assert_string_equal(f->ra.buf[0], "pong");
}

static void test_stream_write_delivers_in_order_keeping_boundaries(
    void **state)
{
    fix_t *f = *state;
    static const char *msgs[] = {"one", "two!", "three", "x"};
    int i;
    sim_stream_read_start(f->b, read_cb);
    for (i = 0; i < 4; i++)
        assert_int_equal(write_str(f->a, msgs[i]), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 4);
    for (i = 0; i < 4; i++) {
        assert_int_equal(f->rb.nread[i], (long)strlen(msgs[i]));
        assert_string_equal(f->rb.buf[i], msgs[i]);
    }
}

static void test_stream_write_copies_the_buffer(void **state)
{
    fix_t *f = *state;
    char buf[8] = "abc";
    sim_stream_read_start(f->b, read_cb);
    assert_int_equal(sim_stream_write(f->a, buf, 3), 0);
    memcpy(buf, "XYZ", 3);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 1);
    assert_string_equal(f->rb.buf[0], "abc");
}

static void test_stream_write_never_delivers_inside_the_call(void **state)
{
    fix_t *f = *state;
    sim_stream_read_start(f->b, read_cb);
    assert_int_equal(write_str(f->a, "now?"), 0);
    assert_int_equal(f->rb.n, 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 1);
    assert_int_equal(f->rb.at[0], 0);
}

static void test_stream_write_arrives_after_writer_latency(void **state)
{
    fix_t *f = *state;
    f->a->latency_ns = SIM_MS(5);
    sim_stream_read_start(f->a, read_cb);
    sim_stream_read_start(f->b, read_cb);
    assert_int_equal(write_str(f->a, "slow"), 0);
    assert_int_equal(write_str(f->b, "fast"), 0);
    sim_loop_run(&f->loop, SIM_MS(4));
    assert_int_equal(f->rb.n, 0);
    assert_int_equal(f->ra.n, 1);
    assert_int_equal(f->ra.at[0], 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 1);
    assert_int_equal(f->rb.at[0], SIM_MS(5));
}

static void test_stream_close_delivers_eof_after_data(void **state)
{
    fix_t *f = *state;
    f->a->latency_ns = SIM_MS(2);
    sim_stream_read_start(f->b, read_cb);
    assert_int_equal(write_str(f->a, "last"), 0);
    assert_int_equal(write_str(f->a, "words"), 0);
    sim_stream_close(f->a, NULL);
    assert_int_equal(f->rb.n, 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 3);
    assert_string_equal(f->rb.buf[0], "last");
    assert_string_equal(f->rb.buf[1], "words");
    assert_int_equal(f->rb.nread[2], SIM_EPIPE);
    assert_int_equal(f->rb.at[2], SIM_MS(2));
    assert_null(f->b->peer);
    f->a = NULL; /* freed after its close_cb turn */
}

static void test_stream_write_to_closed_peer_returns_epipe(void **state)
{
    fix_t *f = *state;
    sim_stream_close(f->b, NULL);
    assert_int_equal(write_str(f->a, "anyone?"), SIM_EPIPE);
    sim_loop_run(&f->loop, SIM_NEVER);
    f->b = NULL;
    assert_null(f->a->peer);
    assert_int_equal(write_str(f->a, "anyone?"), SIM_EPIPE);
    assert_int_equal(f->rb.n, 0);
}

static void test_stream_write_on_closed_end_returns_eclosed(void **state)
{
    fix_t *f = *state;
    sim_stream_read_start(f->b, read_cb);
    sim_stream_close(f->a, close_cb);
    assert_int_equal(write_str(f->a, "late"), SIM_ECLOSED);
    sim_loop_run(&f->loop, SIM_NEVER);
    /* Only EOF reached b. */
    assert_int_equal(f->rb.n, 1);
    assert_int_equal(f->rb.nread[0], SIM_EPIPE);
    f->a = NULL; /* freed after its close_cb */
}

static void test_stream_read_start_after_data_arrived_delivers_held_data(
    void **state)
{
    fix_t *f = *state;
    assert_int_equal(write_str(f->a, "alpha"), 0);
    assert_int_equal(write_str(f->a, "beta"), 0);
    sim_stream_close(f->a, NULL);
    f->a = NULL;
    sim_loop_run(&f->loop, SIM_MS(10));
    assert_int_equal(f->rb.n, 0);
    sim_stream_read_start(f->b, read_cb);
    assert_int_equal(f->rb.n, 0); /* not inside read_start */
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 3);
    assert_string_equal(f->rb.buf[0], "alpha");
    assert_string_equal(f->rb.buf[1], "beta");
    assert_int_equal(f->rb.nread[2], SIM_EPIPE);
    assert_int_equal(f->rb.at[0], SIM_MS(10));
}

static void start_reading_call(void *a, void *b)
{
    sim_stream_read_start(a, read_cb);
}

static void test_stream_read_start_keeps_order_with_data_in_flight(
    void **state)
{
    fix_t *f = *state;
    /* At t=0, in this order: "first" reaches b (held, no reader yet), b
     * starts reading, "second" reaches b.  b must read first, second. */
    assert_int_equal(write_str(f->a, "first"), 0);
    assert_int_equal(sim_call(&f->loop, 0, start_reading_call, f->b, NULL),
                     0);
    assert_int_equal(write_str(f->a, "second"), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 2);
    assert_string_equal(f->rb.buf[0], "first");
    assert_string_equal(f->rb.buf[1], "second");
}

static int g_hook_calls;

static void hook(sim_stream_t *s, void *arg)
{
    g_hook_calls++;
    assert_ptr_equal(arg, &g_hook_calls);
    assert_true(s->closed);
}

static void test_stream_hook_runs_once_inside_close(void **state)
{
    fix_t *f = *state;
    g_hook_calls = 0;
    sim_stream_set_hook(f->a, hook, &g_hook_calls);
    sim_stream_close(f->a, NULL);
    assert_int_equal(g_hook_calls, 1);
    sim_stream_close(f->a, NULL); /* closing twice is a no-op */
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(g_hook_calls, 1);
    f->a = NULL;
}

static void test_stream_close_cb_runs_on_a_later_turn(void **state)
{
    fix_t *f = *state;
    sim_stream_close(f->a, close_cb);
    assert_int_equal(g_closed, 0);
    assert_true(f->a->closed);
    sim_stream_close(f->b, close_cb);
    assert_int_equal(g_closed, 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(g_closed, 2);
    assert_true(g_closed_flag_in_cb);
    f->a = f->b = NULL;
}

static void test_stream_reader_closing_on_eof_frees_both_ends(void **state)
{
    fix_t *f = *state;
    f->rb.close_on_eof = 1;
    sim_stream_read_start(f->b, read_cb);
    assert_int_equal(write_str(f->a, "bye"), 0);
    sim_stream_close(f->a, close_cb);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 2);
    assert_int_equal(f->rb.nread[1], SIM_EPIPE);
    assert_int_equal(g_closed, 1);
    assert_int_equal(sim_loop_pending(&f->loop), 0);
    f->a = f->b = NULL; /* both freed: ASan reports a leak otherwise */
}

static void test_stream_data_to_a_closed_reader_is_dropped(void **state)
{
    fix_t *f = *state;
    f->a->latency_ns = SIM_MS(3);
    sim_stream_read_start(f->b, read_cb);
    assert_int_equal(write_str(f->a, "in flight"), 0);
    sim_stream_close(f->b, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 0);
    f->b = NULL;
}

static void test_stream_pair_oom_returns_enomem_then_succeeds(void **state)
{
    sim_loop_t loop;
    unsigned long n;
    int rc = SIM_ENOMEM;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    for (n = 1; rc != 0; n++) {
        sim_stream_t *a = NULL, *b = NULL;
        assert_true(n < 50);
        sim_alloc_fail_at(n);
        rc = sim_stream_pair(&loop, &a, &b);
        sim_alloc_fail_at(0);
        if (rc != 0) {
            assert_int_equal(rc, SIM_ENOMEM);
            continue;
        }
        sim_stream_close(a, NULL);
        sim_stream_close(b, NULL);
        sim_loop_run(&loop, SIM_NEVER);
    }
    assert_true(n > 2);
    sim_loop_close(&loop);
}

static void test_stream_write_oom_returns_enomem_and_sends_nothing(
    void **state)
{
    fix_t *f = *state;
    sim_stream_read_start(f->b, read_cb);
    sim_alloc_fail_at(1);
    assert_int_equal(write_str(f->a, "lost"), SIM_ENOMEM);
    sim_alloc_fail_at(0);
    assert_int_equal(write_str(f->a, "kept"), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->rb.n, 1);
    assert_string_equal(f->rb.buf[0], "kept");
}

#define PAIR_TEST(f)                                                           \
    cmocka_unit_test_setup_teardown(f, setup_pair, teardown_pair)

int main(void)
{
    const struct CMUnitTest tests[] = {
        PAIR_TEST(test_stream_pair_is_connected_both_ways),
        PAIR_TEST(test_stream_write_delivers_in_order_keeping_boundaries),
        PAIR_TEST(test_stream_write_copies_the_buffer),
        PAIR_TEST(test_stream_write_never_delivers_inside_the_call),
        PAIR_TEST(test_stream_write_arrives_after_writer_latency),
        PAIR_TEST(test_stream_close_delivers_eof_after_data),
        PAIR_TEST(test_stream_write_to_closed_peer_returns_epipe),
        PAIR_TEST(test_stream_write_on_closed_end_returns_eclosed),
        PAIR_TEST(test_stream_read_start_after_data_arrived_delivers_held_data),
        PAIR_TEST(test_stream_read_start_keeps_order_with_data_in_flight),
        PAIR_TEST(test_stream_hook_runs_once_inside_close),
        PAIR_TEST(test_stream_close_cb_runs_on_a_later_turn),
        PAIR_TEST(test_stream_reader_closing_on_eof_frees_both_ends),
        PAIR_TEST(test_stream_data_to_a_closed_reader_is_dropped),
        cmocka_unit_test(test_stream_pair_oom_returns_enomem_then_succeeds),
        PAIR_TEST(test_stream_write_oom_returns_enomem_and_sends_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
