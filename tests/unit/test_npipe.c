/*
 * test_npipe.c: the named-pipe namespace fake against go-winio's and
 * NPFS's documented behaviour (docs/platform.md).
 * Each case is a claim about what a real process would see; times are
 * checked to the nanosecond of virtual time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "npipe/npipe.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/loop.h"
#include "sim/trace.h"

#define PIPE "\\\\.\\pipe\\docker_engine"

static const npipe_owner_t DD = {"com.docker.backend", 100};
static const npipe_owner_t RDD = {"rdd", 200};
static const npipe_owner_t CLI = {"docker", 300};
static const npipe_owner_t SQUAT = {"squatter", 400};

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    sim_faults_t faults;
    npipe_ns_t *ns;
} world_t;

static sim_loop_t *g_loop; /* for the recorders' timestamps */

static void world_init(world_t *w)
{
    memset(w, 0, sizeof(*w));
    assert_int_equal(sim_loop_init(&w->loop, 1), 0);
    sim_trace_init(&w->tr, NULL, NULL);
    w->loop.trace = &w->tr;
    sim_faults_init(&w->faults);
    w->loop.faults = &w->faults;
    assert_int_equal(npipe_ns_new(&w->loop, &w->ns), 0);
    g_loop = &w->loop;
}

static void world_fini(world_t *w)
{
    sim_loop_run(&w->loop, SIM_NEVER);
    npipe_ns_free(w->ns);
    sim_loop_run(&w->loop, SIM_NEVER);
    sim_loop_close(&w->loop);
    g_loop = NULL;
}

static void close_stream(sim_stream_t *s)
{
    if (s)
        sim_stream_close(s, NULL);
}

/* recorders --------------------------------------------------------------*/

typedef struct {
    int calls;
    int status;
    sim_stream_t *s;
    uint64_t at_ns;
} rec_t;

static void on_accept(npipe_listener_t *l, void *arg, int status,
                      sim_stream_t *s)
{
    rec_t *r = arg;
    r->calls++;
    r->status = status;
    r->s = s;
    r->at_ns = sim_now(g_loop);
}

static void on_dial(void *arg, int status, sim_stream_t *s)
{
    rec_t *r = arg;
    r->calls++;
    r->status = status;
    r->s = s;
    r->at_ns = sim_now(g_loop);
}

typedef struct {
    int reads;
    long last;
    char buf[64];
} reader_t;

static void on_read(sim_stream_t *s, long nread, const void *buf)
{
    reader_t *r = s->data;
    r->reads++;
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

static int dial(world_t *w, npipe_owner_t who, uint64_t deadline_ns, rec_t *r,
                npipe_dial_t **out)
{
    memset(r, 0, sizeof(*r));
    return npipe_dial(w->ns, PIPE, who, deadline_ns, SIM_ETIMEDOUT, on_dial, r,
                      out);
}

static void arm_count(world_t *w, sim_fault_site_t site, uint64_t after,
                      uint64_t repeat, const char *target)
{
    sim_fault_arm_t arm;
    memset(&arm, 0, sizeof(arm));
    arm.by_count = 1;
    arm.after = after;
    arm.repeat = repeat;
    if (target)
        snprintf(arm.target, sizeof(arm.target), "%s", target);
    sim_faults_arm(&w->faults, site, &arm, 7);
}

/* names ------------------------------------------------------------------*/

static void test_normalize_folds_all_three_spellings_and_case(void **state)
{
    static const char *const same[] = {
        "\\\\.\\pipe\\Docker_Engine",     "//./pipe/docker_engine",
        "npipe:////./pipe/DOCKER_ENGINE", "\\\\.\\PIPE\\docker_engine",
        "NPIPE:////./Pipe/docker_engine",
    };
    static const char *const bad[] = {
        "",
        "docker_engine",
        "//./pipe/",
        "\\\\.\\pipe\\",
        "unix:///var/run/docker.sock",
        "npipe://docker_engine",
        "//./pip/docker_engine",
    };
    char out[NPIPE_NAME_MAX], longp[NPIPE_NAME_MAX + 8];
    size_t i;
    for (i = 0; i < SIM_ARRAY_LEN(same); i++) {
        assert_int_equal(npipe_normalize(same[i], out), 0);
        assert_string_equal(out, PIPE);
    }
    assert_int_equal(npipe_normalize("//./pipe/a/B", out), 0);
    assert_string_equal(out, "\\\\.\\pipe\\a\\b");
    for (i = 0; i < SIM_ARRAY_LEN(bad); i++)
        assert_int_equal(npipe_normalize(bad[i], out), SIM_EINVAL);
    assert_int_equal(npipe_normalize(NULL, out), SIM_EINVAL);
    memset(longp, 'x', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = 0;
    memcpy(longp, "//./pipe/", 9);
    assert_int_equal(npipe_normalize(longp, out), SIM_EINVAL);
}

static void test_one_name_under_every_spelling(void **state)
{
    world_t w;
    npipe_listener_t *l, *l2;
    world_init(&w);
    assert_int_equal(
        npipe_listen(w.ns, "npipe:////./pipe/Docker_Engine", DD, NULL, &l), 0);
    assert_true(npipe_exists(w.ns, PIPE));
    assert_true(npipe_exists(w.ns, "//./PIPE/DOCKER_ENGINE"));
    assert_true(!npipe_exists(w.ns, "//./pipe/docker_engine_linux"));
    assert_int_equal(
        npipe_listen(w.ns, "//./pipe/DOCKER_ENGINE", RDD, NULL, &l2),
        SIM_EACCES);
    assert_int_equal(npipe_listen(w.ns, "docker_engine", RDD, NULL, &l2),
                     SIM_EINVAL);
    npipe_listener_close(l);
    world_fini(&w);
}

static void test_strerror_gives_win32_and_go_texts(void **state)
{
    assert_string_equal(npipe_strerror(SIM_EACCES), "Access is denied.");
    assert_string_equal(npipe_strerror(SIM_EBUSY),
                        "All pipe instances are busy.");
    assert_string_equal(npipe_strerror(SIM_ENOENT),
                        "The system cannot find the file specified.");
    assert_string_equal(npipe_strerror(SIM_ETIMEDOUT), "i/o timeout");
    assert_string_equal(npipe_strerror(SIM_EDEADLINE),
                        "context deadline exceeded");
    assert_string_equal(npipe_strerror(SIM_ECLOSED), sim_strerror(SIM_ECLOSED));
}

/* listen -----------------------------------------------------------------*/

static void test_second_listen_on_served_name_is_access_denied(void **state)
{
    world_t w;
    npipe_listener_t *dd, *rdd = NULL;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, NULL, &dd), 0);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &rdd), SIM_EACCES);
    assert_true(rdd == NULL);
    assert_string_equal(w.tr.last_ev, "npipe.listen.fail");
    /* FILE_CREATE: the creator itself cannot create the name twice. */
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, NULL, &rdd), SIM_EACCES);
    assert_int_equal((int)npipe_creator_pid(w.ns, PIPE), (int)DD.pid);
    assert_int_equal(npipe_server_count(w.ns, PIPE), 1);
    npipe_listener_close(dd);
    assert_true(!npipe_exists(w.ns, PIPE));
    assert_int_equal((int)npipe_creator_pid(w.ns, PIPE), 0);
    assert_int_equal(npipe_server_count(w.ns, PIPE), 0);
    assert_string_equal(w.tr.last_ev, "npipe.name.gone");
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &rdd), 0);
    assert_int_equal((int)npipe_creator_pid(w.ns, PIPE), (int)RDD.pid);
    npipe_listener_close(rdd);
    world_fini(&w);
}

static void test_listen_fail_trace_names_pipe_proc_pid_err(void **state)
{
    world_t w;
    npipe_listener_t *dd, *rdd;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_true(f != NULL);
    world_init(&w);
    w.tr.text = f;
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, NULL, &dd), 0);
    assert_int_equal(
        npipe_listen(w.ns, "//./pipe/Docker_Engine", RDD, NULL, &rdd),
        SIM_EACCES);
    fflush(f);
    assert_true(strstr(text, "npipe.listen.ok name=\\\\.\\pipe\\docker_engine"
                             " proc=com.docker.backend pid=100\n") != NULL);
    assert_true(strstr(text,
                       "npipe.listen.fail name=\\\\.\\pipe\\"
                       "docker_engine proc=rdd pid=200 err=EACCES\n") != NULL);
    npipe_listener_close(dd);
    world_fini(&w);
    fclose(f);
    free(text);
}

static void test_squatting_refused_by_default_dacl(void **state)
{
    world_t w;
    npipe_listen_opts_t squat = {0, 0, 0};
    npipe_listener_t *dd, *sq, *own;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, NULL, &dd), 0);
    assert_int_equal(npipe_listen(w.ns, PIPE, SQUAT, &squat, &sq), SIM_EACCES);
    /* The creator owner may add instances of its own pipe. */
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, &squat, &own), 0);
    assert_int_equal(npipe_server_count(w.ns, PIPE), 1);
    npipe_listener_close(own);
    npipe_listener_close(dd);
    world_fini(&w);
}

static void test_instance_limit_answers_busy_before_file_create(void **state)
{
    world_t w;
    npipe_listen_opts_t first = {1, 2, 1}, squat = {0, 0, 0};
    npipe_listener_t *a, *b, *c;
    rec_t acc = {0};
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, &first, &a), 0);
    assert_int_equal(npipe_listen(w.ns, PIPE, SQUAT, &squat, &b), 0);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, &squat, &c), SIM_EBUSY);
    /* DACL passes, limit reached: ERROR_PIPE_BUSY comes before
     * FILE_CREATE's ERROR_ACCESS_DENIED (docs/platform.md). */
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &c), SIM_EBUSY);
    /* go-winio's Accept needs an instance too. */
    assert_int_equal(npipe_accept(a, on_accept, &acc), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(acc.calls, 1);
    assert_int_equal(acc.status, SIM_EBUSY);
    npipe_listener_close(b);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &c), SIM_EACCES);
    npipe_listener_close(a);
    world_fini(&w);
}

/* dial -------------------------------------------------------------------*/

static void test_dial_unknown_name_is_not_found_on_a_later_turn(void **state)
{
    world_t w;
    rec_t r;
    world_init(&w);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    assert_int_equal(r.calls, 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SIM_ENOENT);
    assert_true(r.s == NULL);
    assert_int_equal((int)r.at_ns, 0);
    assert_int_equal(npipe_dial(w.ns, "docker_engine", CLI, SIM_S(2),
                                SIM_ETIMEDOUT, on_dial, &r, NULL),
                     SIM_EINVAL);
    world_fini(&w);
}

static void test_dial_without_pending_accept_times_out_at_deadline(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t r, r2, r3;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(dial(&w, CLI, NPIPE_DIAL_DEFAULT_NS, &r, NULL), 0);
    /* Context form: ctx.Err(), here with a deadline off the 10 ms grid:
     * go-winio sleeps 10 ms, then sees the context is done. */
    memset(&r2, 0, sizeof(r2));
    assert_int_equal(npipe_dial(w.ns, PIPE, CLI, SIM_MS(15), SIM_EDEADLINE,
                                on_dial, &r2, NULL),
                     0);
    /* A deadline already past fails without a CreateFile. */
    assert_int_equal(dial(&w, CLI, 0, &r3, NULL), 0);
    sim_loop_run(&w.loop, SIM_S(2) - 1);
    assert_int_equal(r.calls, 0);
    assert_int_equal(r2.calls, 1);
    assert_int_equal(r2.status, SIM_EDEADLINE);
    assert_true(r2.at_ns == SIM_MS(20));
    assert_int_equal(r3.calls, 1);
    assert_int_equal(r3.status, SIM_ETIMEDOUT);
    assert_true(r3.at_ns == 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SIM_ETIMEDOUT);
    assert_true(r.at_ns == SIM_S(2));
    assert_string_equal(npipe_strerror(r.status), "i/o timeout");
    assert_string_equal(w.tr.last_ev, "npipe.dial.fail");
    npipe_listener_close(l);
    world_fini(&w);
}

static void test_dial_connects_to_pending_accept_same_instant(void **state)
{
    world_t w;
    npipe_listener_t *l;
    npipe_dial_t *d = NULL;
    rec_t acc = {0}, r;
    reader_t rd;
    world_init(&w);
    sim_loop_run(&w.loop, SIM_MS(500));
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), SIM_ESTATE);
    assert_int_equal(dial(&w, CLI, SIM_MS(2500), &r, &d), 0);
    assert_true(d != NULL);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(acc.calls, 1);
    assert_int_equal(acc.status, 0);
    assert_true(acc.s != NULL);
    assert_true(acc.at_ns == SIM_MS(500));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, 0);
    assert_true(r.at_ns == SIM_MS(500));
    assert_true(r.s != NULL && r.s->peer == acc.s);
    watch(acc.s, &rd);
    assert_int_equal(sim_stream_write(r.s, "GET /_ping", 10), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_string_equal(rd.buf, "GET /_ping");
    /* The instance is used up: the next client is busy until the next
     * Accept. */
    assert_int_equal(npipe_server_count(w.ns, PIPE), 1);
    close_stream(r.s);
    close_stream(acc.s);
    npipe_listener_close(l);
    world_fini(&w);
}

static void arm_accept(void *a, void *b)
{
    assert_int_equal(npipe_accept(a, on_accept, b), 0);
}

static void test_busy_dial_connects_at_next_10ms_boundary(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(dial(&w, CLI, SIM_NEVER, &r, NULL), 0);
    assert_int_equal(sim_call(&w.loop, SIM_MS(35), arm_accept, l, &acc), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, 0);
    assert_true(r.at_ns == SIM_MS(40));
    assert_int_equal(acc.calls, 1);
    assert_int_equal(acc.status, 0);
    assert_true(acc.at_ns == SIM_MS(40));
    close_stream(r.s);
    close_stream(acc.s);
    npipe_listener_close(l);
    world_fini(&w);
}

static void test_name_lingers_while_client_handle_is_open(void **state)
{
    world_t w;
    npipe_listener_t *l, *l2;
    rec_t acc = {0}, r, r2;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    /* The server process goes; its client keeps the object alive. */
    close_stream(acc.s);
    npipe_listener_close(l);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_true(npipe_exists(w.ns, PIPE));
    assert_int_equal(npipe_server_count(w.ns, PIPE), 0);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l2), SIM_EACCES);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r2, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r2.status, SIM_ENOENT);
    assert_true(r2.at_ns == sim_now(&w.loop));
    close_stream(r.s);
    assert_true(!npipe_exists(w.ns, PIPE));
    assert_string_equal(w.tr.last_ev, "npipe.name.gone");
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l2), 0);
    npipe_listener_close(l2);
    world_fini(&w);
}

static void cancel_dial(void *a, void *b)
{
    npipe_dial_cancel(a);
}

static void test_dial_cancel_delivers_canceled_later(void **state)
{
    world_t w;
    npipe_listener_t *l;
    npipe_dial_t *d;
    rec_t r;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(dial(&w, CLI, SIM_NEVER, &r, &d), 0);
    assert_int_equal(sim_call(&w.loop, SIM_MS(55), cancel_dial, d, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SIM_ECANCELED);
    assert_true(r.at_ns == SIM_MS(55));
    /* Cancel twice before delivery: one callback. */
    assert_int_equal(dial(&w, CLI, SIM_NEVER, &r, &d), 0);
    npipe_dial_cancel(d);
    npipe_dial_cancel(d);
    assert_int_equal(r.calls, 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SIM_ECANCELED);
    npipe_listener_close(l);
    world_fini(&w);
}

static void test_cancel_after_connect_leaves_server_an_eof(void **state)
{
    world_t w;
    npipe_listener_t *l;
    npipe_dial_t *d;
    rec_t acc = {0}, r;
    reader_t rd;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_NEVER, &r, &d), 0);
    /* Runs after the attempt (same instant) but before the delivery. */
    assert_int_equal(sim_call(&w.loop, 0, cancel_dial, d, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, SIM_ECANCELED);
    assert_true(r.s == NULL);
    assert_int_equal(acc.status, 0);
    watch(acc.s, &rd);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(rd.reads, 1);
    assert_int_equal((int)rd.last, SIM_EPIPE);
    close_stream(acc.s);
    npipe_listener_close(l);
    assert_true(!npipe_exists(w.ns, PIPE));
    world_fini(&w);
}

/* accept -----------------------------------------------------------------*/

static void test_listener_close_aborts_pending_accept_with_closed(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0};
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    npipe_listener_close(l);
    assert_int_equal(acc.calls, 0);
    assert_true(!npipe_exists(w.ns, PIPE));
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(acc.calls, 1);
    assert_int_equal(acc.status, SIM_ECLOSED);
    assert_true(acc.s == NULL);
    world_fini(&w);
}

static void test_accepted_connection_survives_listener_close(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r;
    reader_t rd;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    npipe_listener_close(l);
    assert_true(npipe_exists(w.ns, PIPE));
    watch(acc.s, &rd);
    assert_int_equal(sim_stream_write(r.s, "hi", 2), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_string_equal(rd.buf, "hi");
    close_stream(r.s);
    close_stream(acc.s);
    assert_true(!npipe_exists(w.ns, PIPE));
    world_fini(&w);
}

static void on_accept_close(npipe_listener_t *l, void *arg, int status,
                            sim_stream_t *s)
{
    on_accept(l, arg, status, s);
    npipe_listener_close(l);
}

static void test_listener_closed_inside_its_accept_callback(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r, r2;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept_close, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(acc.status, 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(npipe_server_count(w.ns, PIPE), 1); /* its server end */
    /* A server end is left but no listener: busy until the deadline. */
    assert_int_equal(dial(&w, CLI, sim_now(&w.loop) + SIM_S(2), &r2, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r2.status, SIM_ETIMEDOUT);
    sim_stream_close(acc.s, NULL);
    sim_stream_close(r.s, NULL);
    world_fini(&w);
}

/* The moby client cancels a dial, then frees its call on a later turn:
 * the cancellation must reach it first. */
typedef struct {
    npipe_dial_t *d;
    rec_t *r;
    int order;    /* callbacks seen so far */
    int dial_at;  /* order of the dial's callback */
    int later_at; /* order of the call scheduled after the cancel */
} race_t;

static void race_later(void *a, void *b)
{
    race_t *x = a;
    x->later_at = ++x->order;
}

static void race_dial_cb(void *arg, int status, sim_stream_t *s)
{
    race_t *x = arg;
    x->dial_at = ++x->order;
    on_dial(x->r, status, s);
}

static void race_cancel(void *a, void *b)
{
    race_t *x = a;
    npipe_dial_cancel(x->d);
    assert_int_equal(sim_call(g_loop, 0, race_later, x, NULL), 0);
}

static void test_cancel_answer_precedes_calls_scheduled_after_it(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t r = {0};
    race_t x = {NULL, &r, 0, 0, 0};
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_dial(w.ns, PIPE, CLI, SIM_NEVER, SIM_EDEADLINE,
                                race_dial_cb, &x, &x.d),
                     0);
    assert_int_equal(sim_call(&w.loop, SIM_MS(20), race_cancel, &x, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, SIM_ECANCELED);
    assert_int_equal(x.dial_at, 1);
    assert_int_equal(x.later_at, 2);
    npipe_listener_close(l);
    world_fini(&w);
}

/* squatting --------------------------------------------------------------*/

static void test_squatted_pipe_serves_earliest_listening_instance(void **state)
{
    world_t w;
    npipe_listen_opts_t open_dacl = {1, 0, 1}, squat = {0, 0, 0};
    npipe_listener_t *dd, *sq;
    rec_t a1 = {0}, a2 = {0}, a3 = {0}, r1, r2, r3;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, &open_dacl, &dd), 0);
    assert_int_equal(npipe_listen(w.ns, PIPE, SQUAT, &squat, &sq), 0);
    assert_int_equal(npipe_server_count(w.ns, PIPE), 2);
    assert_int_equal((int)npipe_creator_pid(w.ns, PIPE), (int)DD.pid);
    assert_int_equal(npipe_accept(dd, on_accept, &a1), 0);
    assert_int_equal(npipe_accept(sq, on_accept, &a2), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r1, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(a1.calls, 1);
    assert_int_equal(a2.calls, 0);
    /* dd's new instance is younger than the squatter's. */
    assert_int_equal(npipe_accept(dd, on_accept, &a3), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r2, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(a2.calls, 1);
    assert_int_equal(a3.calls, 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r3, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(a3.calls, 1);
    assert_true(r1.s->peer == a1.s && r2.s->peer == a2.s && r3.s->peer == a3.s);
    npipe_listener_close(dd);
    npipe_listener_close(sq);
    /* Server ends of both owners remain. */
    assert_int_equal(npipe_server_count(w.ns, PIPE), 2);
    close_stream(r1.s);
    close_stream(r2.s);
    close_stream(r3.s);
    close_stream(a1.s);
    close_stream(a2.s);
    close_stream(a3.s);
    assert_true(!npipe_exists(w.ns, PIPE));
    world_fini(&w);
}

/* process exit -----------------------------------------------------------*/

static void test_close_owner_closes_listeners_and_server_ends(void **state)
{
    world_t w;
    npipe_listener_t *l, *other;
    rec_t acc = {0}, acc2 = {0}, acc3 = {0}, r;
    reader_t rd;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, NULL, &l), 0);
    assert_int_equal(npipe_listen(w.ns, "//./pipe/rdd", RDD, NULL, &other), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(npipe_accept(other, on_accept, &acc3), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(npipe_accept(l, on_accept, &acc2), 0);
    watch(r.s, &rd);
    npipe_close_owner(w.ns, DD.pid);
    assert_int_equal(npipe_server_count(w.ns, PIPE), 0);
    assert_true(npipe_exists(w.ns, PIPE)); /* the client's handle */
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(acc2.status, SIM_ECLOSED);
    assert_int_equal((int)rd.last, SIM_EPIPE);
    assert_int_equal(acc3.calls, 0);
    assert_true(npipe_exists(w.ns, "//./pipe/rdd"));
    close_stream(r.s);
    assert_true(!npipe_exists(w.ns, PIPE));
    npipe_listener_close(other);
    world_fini(&w);
}

static void exit_dd(void *a, void *b)
{
    npipe_close_owner(a, DD.pid);
}

static void test_close_owner_before_accept_answer_gives_closed(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r;
    reader_t rd;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, DD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    assert_int_equal(sim_call(&w.loop, 0, exit_dd, w.ns, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(acc.calls, 1);
    assert_int_equal(acc.status, SIM_ECLOSED);
    assert_true(acc.s == NULL);
    assert_int_equal(r.status, 0);
    watch(r.s, &rd);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal((int)rd.last, SIM_EPIPE);
    close_stream(r.s);
    assert_true(!npipe_exists(w.ns, PIPE));
    world_fini(&w);
}

/* faults -----------------------------------------------------------------*/

static void test_fault_dial_busy_makes_client_retry_every_10ms(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r, other;
    world_init(&w);
    arm_count(&w, SIM_FAULT_NPIPE_DIAL_BUSY, 0, 3, CLI.proc);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    assert_true(r.at_ns == SIM_MS(30));
    assert_int_equal((int)w.faults.site[SIM_FAULT_NPIPE_DIAL_BUSY].fired, 3);
    close_stream(r.s);
    close_stream(acc.s);
    /* Forever busy: the deadline decides. */
    arm_count(&w, SIM_FAULT_NPIPE_DIAL_BUSY, 0, 0, CLI.proc);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, sim_now(&w.loop) + SIM_S(1), &r, NULL), 0);
    /* The target restricts it: another process connects. */
    assert_int_equal(dial(&w, DD, SIM_NEVER, &other, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(other.status, 0);
    assert_int_equal(r.status, SIM_ETIMEDOUT);
    assert_true(r.at_ns == SIM_MS(30) + SIM_S(1));
    close_stream(other.s);
    close_stream(acc.s);
    npipe_listener_close(l);
    world_fini(&w);
}

static void test_fault_dial_access_denied_returns_eacces(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r;
    world_init(&w);
    arm_count(&w, SIM_FAULT_NPIPE_DIAL_ACCESS_DENIED, 0, 1, NULL);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, SIM_EACCES);
    assert_true(r.at_ns == 0);
    assert_string_equal(npipe_strerror(r.status), "Access is denied.");
    assert_int_equal(acc.calls, 0);
    /* Only once: the next client gets through. */
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    close_stream(r.s);
    close_stream(acc.s);
    npipe_listener_close(l);
    world_fini(&w);
}

static void test_fault_accept_error_leaves_name_bound_but_busy(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r;
    world_init(&w);
    arm_count(&w, SIM_FAULT_NPIPE_ACCEPT_ERROR, 0, 1, RDD.proc);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(acc.calls, 1);
    assert_int_equal(acc.status, SIM_EPIPE);
    /* H3: bound but unserved. */
    assert_true(npipe_exists(w.ns, PIPE));
    assert_int_equal(r.status, SIM_ETIMEDOUT);
    assert_true(r.at_ns == SIM_S(2));
    npipe_listener_close(l);
    world_fini(&w);
}

static void test_fault_listen_instances_exhausted_returns_ebusy(void **state)
{
    world_t w;
    npipe_listener_t *l = NULL;
    world_init(&w);
    arm_count(&w, SIM_FAULT_NPIPE_LISTEN_INSTANCES_EXHAUSTED, 0, 1, "rdd");
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), SIM_EBUSY);
    assert_true(l == NULL);
    assert_true(!npipe_exists(w.ns, PIPE));
    assert_string_equal(npipe_strerror(SIM_EBUSY),
                        "All pipe instances are busy.");
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    npipe_listener_close(l);
    world_fini(&w);
}

/* teardown ---------------------------------------------------------------*/

static void free_ns(void *a, void *b)
{
    npipe_ns_free(a);
}

static void test_ns_free_drops_pending_work_and_frees_all(void **state)
{
    sim_loop_t loop;
    npipe_ns_t *ns;
    npipe_listener_t *l, *busy;
    rec_t acc = {0}, acc2 = {0}, r = {0}, r2 = {0}, r3 = {0};
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    g_loop = &loop;
    assert_int_equal(npipe_ns_new(&loop, &ns), 0);
    assert_int_equal(npipe_listen(ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_listen(ns, "//./pipe/busy", DD, NULL, &busy), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(
        npipe_dial(ns, PIPE, CLI, SIM_NEVER, SIM_EDEADLINE, on_dial, &r, NULL),
        0);
    sim_loop_run(&loop, SIM_NEVER);
    /* Handed out before the free: still the holders' to close. */
    assert_true(r.s != NULL && acc.s != NULL);
    assert_int_equal(npipe_accept(l, on_accept, &acc2), 0);
    assert_int_equal(
        npipe_dial(ns, PIPE, CLI, SIM_NEVER, SIM_EDEADLINE, on_dial, &r2, NULL),
        0);
    assert_int_equal(npipe_dial(ns, "//./pipe/busy", CLI, SIM_NEVER,
                                SIM_EDEADLINE, on_dial, &r3, NULL),
                     0);
    /* Runs after r2's first attempt connected, before its answer. */
    assert_int_equal(sim_call(&loop, 0, free_ns, ns, NULL), 0);
    sim_loop_run(&loop, SIM_MS(25));
    sim_stream_close(r.s, NULL);
    sim_stream_close(acc.s, NULL);
    sim_loop_run(&loop, SIM_NEVER);
    assert_int_equal(sim_loop_pending(&loop), 0);
    assert_int_equal(acc2.calls + r2.calls + r3.calls, 0);
    sim_loop_close(&loop);
    g_loop = NULL;
}

/* out of memory ----------------------------------------------------------*/

static void test_ns_new_survives_every_allocation_failure(void **state)
{
    sim_loop_t loop;
    npipe_ns_t *ns = NULL;
    unsigned long n;
    int rc = SIM_ENOMEM;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    for (n = 1; rc == SIM_ENOMEM; n++) {
        sim_alloc_fail_at(n);
        rc = npipe_ns_new(&loop, &ns);
        sim_alloc_fail_at(0);
        assert_true(rc == 0 || rc == SIM_ENOMEM);
    }
    assert_true(n > 1);
    npipe_ns_free(ns);
    sim_loop_close(&loop);
}

static void test_listen_survives_every_allocation_failure(void **state)
{
    world_t w;
    npipe_listen_opts_t open_dacl = {1, 0, 1}, squat = {0, 0, 0};
    npipe_listener_t *l = NULL, *sq = NULL;
    unsigned long n;
    int rc = SIM_ENOMEM;
    world_init(&w);
    for (n = 1; rc == SIM_ENOMEM; n++) {
        sim_alloc_fail_at(n);
        rc = npipe_listen(w.ns, PIPE, DD, &open_dacl, &l);
        sim_alloc_fail_at(0);
        assert_true(rc == 0 || rc == SIM_ENOMEM);
        assert_int_equal(npipe_exists(w.ns, PIPE), rc == 0);
    }
    assert_int_equal((int)n, 4); /* name, listener, then success */
    for (rc = SIM_ENOMEM, n = 1; rc == SIM_ENOMEM; n++) {
        sim_alloc_fail_at(n);
        rc = npipe_listen(w.ns, PIPE, SQUAT, &squat, &sq);
        sim_alloc_fail_at(0);
        assert_int_equal(npipe_server_count(w.ns, PIPE), rc == 0 ? 2 : 1);
    }
    npipe_listener_close(sq);
    npipe_listener_close(l);
    world_fini(&w);
}

static void test_dial_survives_every_allocation_failure(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r;
    unsigned long n;
    int rc = SIM_ENOMEM;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    for (n = 1; rc == SIM_ENOMEM; n++) {
        sim_alloc_fail_at(n);
        rc = dial(&w, CLI, SIM_S(2), &r, NULL);
        sim_alloc_fail_at(0);
    }
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    close_stream(r.s);
    close_stream(acc.s);
    npipe_listener_close(l);
    world_fini(&w);
}

static void
test_dial_out_of_memory_at_connect_keeps_accept_pending(void **state)
{
    world_t w;
    npipe_listener_t *l;
    rec_t acc = {0}, r;
    world_init(&w);
    assert_int_equal(npipe_listen(w.ns, PIPE, RDD, NULL, &l), 0);
    assert_int_equal(npipe_accept(l, on_accept, &acc), 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_alloc_fail_at(1);
    sim_loop_run(&w.loop, 0);
    sim_alloc_fail_at(0);
    assert_int_equal(r.status, SIM_ENOMEM);
    assert_int_equal(acc.calls, 0);
    assert_int_equal(dial(&w, CLI, SIM_S(2), &r, NULL), 0);
    sim_loop_run(&w.loop, SIM_NEVER);
    assert_int_equal(r.status, 0);
    assert_int_equal(acc.status, 0);
    sim_stream_close(r.s, NULL);
    sim_stream_close(acc.s, NULL);
    npipe_listener_close(l);
    world_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_folds_all_three_spellings_and_case),
        cmocka_unit_test(test_one_name_under_every_spelling),
        cmocka_unit_test(test_strerror_gives_win32_and_go_texts),
        cmocka_unit_test(test_second_listen_on_served_name_is_access_denied),
        cmocka_unit_test(test_listen_fail_trace_names_pipe_proc_pid_err),
        cmocka_unit_test(test_squatting_refused_by_default_dacl),
        cmocka_unit_test(test_instance_limit_answers_busy_before_file_create),
        cmocka_unit_test(test_dial_unknown_name_is_not_found_on_a_later_turn),
        cmocka_unit_test(
            test_dial_without_pending_accept_times_out_at_deadline),
        cmocka_unit_test(test_dial_connects_to_pending_accept_same_instant),
        cmocka_unit_test(test_busy_dial_connects_at_next_10ms_boundary),
        cmocka_unit_test(test_name_lingers_while_client_handle_is_open),
        cmocka_unit_test(test_dial_cancel_delivers_canceled_later),
        cmocka_unit_test(test_cancel_after_connect_leaves_server_an_eof),
        cmocka_unit_test(test_listener_close_aborts_pending_accept_with_closed),
        cmocka_unit_test(test_accepted_connection_survives_listener_close),
        cmocka_unit_test(test_listener_closed_inside_its_accept_callback),
        cmocka_unit_test(test_cancel_answer_precedes_calls_scheduled_after_it),
        cmocka_unit_test(test_squatted_pipe_serves_earliest_listening_instance),
        cmocka_unit_test(test_close_owner_closes_listeners_and_server_ends),
        cmocka_unit_test(test_close_owner_before_accept_answer_gives_closed),
        cmocka_unit_test(test_fault_dial_busy_makes_client_retry_every_10ms),
        cmocka_unit_test(test_fault_dial_access_denied_returns_eacces),
        cmocka_unit_test(test_fault_accept_error_leaves_name_bound_but_busy),
        cmocka_unit_test(test_fault_listen_instances_exhausted_returns_ebusy),
        cmocka_unit_test(test_ns_free_drops_pending_work_and_frees_all),
        cmocka_unit_test(test_ns_new_survives_every_allocation_failure),
        cmocka_unit_test(test_listen_survives_every_allocation_failure),
        cmocka_unit_test(test_dial_survives_every_allocation_failure),
        cmocka_unit_test(
            test_dial_out_of_memory_at_connect_keeps_accept_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
