/*
 * test_docker.c: the Docker daemon fake, driven through its wire front the
 * way RDD's watcher drives it (docs/rdd/docker-watcher.md): a client end of a
 * sim_stream_pair writes dock_req_t messages, the loop runs, and the read
 * callback collects the answers.  Scenario-side calls (dock_*_add,
 * dock_container_remove) set the state up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "docker/docker.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/loop.h"
#include "sim/trace.h"

#define SEED 42
#define CLIENT "rancher-desktop-2"
#define ENDPOINT "npipe:////./pipe/docker_engine"
#define MAX_CLIENTS 64

typedef struct {
    unsigned char *buf;
    size_t len;
    uint64_t t_ns;
} msg_t;

typedef struct {
    sim_stream_t *s; /* client end; NULL once closed */
    msg_t *msgs;
    size_t nmsgs;
    int eof;
    uint64_t sent_ns;
} client_t;

typedef struct {
    sim_loop_t loop;
    sim_faults_t faults;
    dock_daemon_t *d;
    client_t *clients[MAX_CLIENTS];
    size_t nclients;
} fx_t;

/* harness ----------------------------------------------------------------*/

static void client_read(sim_stream_t *s, long nread, const void *buf)
{
    client_t *c = s->data;
    msg_t *m;
    if (nread < 0) {
        c->eof = 1;
        c->s = NULL;
        sim_stream_close(s, NULL);
        return;
    }
    c->msgs = realloc(c->msgs, (c->nmsgs + 1) * sizeof(*c->msgs));
    assert_non_null(c->msgs);
    m = &c->msgs[c->nmsgs++];
    m->buf = malloc((size_t)nread);
    assert_non_null(m->buf);
    memcpy(m->buf, buf, (size_t)nread);
    m->len = (size_t)nread;
    m->t_ns = sim_now(s->loop);
}

static client_t *client_open(fx_t *fx)
{
    client_t *c = calloc(1, sizeof(*c));
    sim_stream_t *srv;
    assert_non_null(c);
    assert_true(fx->nclients < MAX_CLIENTS);
    fx->clients[fx->nclients++] = c;
    assert_int_equal(sim_stream_pair(&fx->loop, &c->s, &srv), 0);
    c->s->data = c;
    sim_stream_read_start(c->s, client_read);
    dock_daemon_serve(fx->d, srv);
    return c;
}

static void client_close(client_t *c)
{
    if (c->s) {
        sim_stream_close(c->s, NULL);
        c->s = NULL;
    }
}

static dock_req_t make_req(dock_op_t op, const char *ref, int force)
{
    dock_req_t r;
    memset(&r, 0, sizeof(r));
    r.magic = DOCK_MAGIC;
    r.op = op;
    snprintf(r.ref, sizeof(r.ref), "%s", ref ? ref : "");
    r.force = force;
    snprintf(r.client, sizeof(r.client), "%s", CLIENT);
    snprintf(r.endpoint, sizeof(r.endpoint), "%s", ENDPOINT);
    return r;
}

static void client_send(fx_t *fx, client_t *c, const dock_req_t *r)
{
    c->sent_ns = sim_now(&fx->loop);
    assert_int_equal(sim_stream_write(c->s, r, sizeof(*r)), 0);
}

static void run(fx_t *fx)
{
    sim_loop_run(&fx->loop, SIM_NEVER);
}

static dock_resp_t msg_resp(const client_t *c, size_t i)
{
    dock_resp_t r;
    assert_true(i < c->nmsgs);
    assert_true(c->msgs[i].len >= sizeof(r));
    memcpy(&r, c->msgs[i].buf, sizeof(r));
    assert_int_equal(r.magic, DOCK_MAGIC);
    return r;
}

/* The k-th item of message i, of size isz. */
static const void *msg_item(const client_t *c, size_t i, size_t k, size_t isz)
{
    dock_resp_t r = msg_resp(c, i);
    assert_true(k < r.nitems);
    assert_int_equal(c->msgs[i].len, sizeof(r) + r.nitems * isz);
    return c->msgs[i].buf + sizeof(r) + k * isz;
}

static dock_event_t msg_event(const client_t *c, size_t i)
{
    dock_event_t ev;
    memcpy(&ev, msg_item(c, i, 0, sizeof(ev)), sizeof(ev));
    return ev;
}

/* One call on its own connection; returns the client, answer in msgs[0]. */
static client_t *call(fx_t *fx, dock_op_t op, const char *ref, int force)
{
    client_t *c = client_open(fx);
    dock_req_t r = make_req(op, ref, force);
    client_send(fx, c, &r);
    run(fx);
    assert_int_equal(c->nmsgs, 1);
    client_close(c);
    run(fx);
    return c;
}

static dock_resp_t call_resp(fx_t *fx, dock_op_t op, const char *ref, int force)
{
    return msg_resp(call(fx, op, ref, force), 0);
}

/* Opens an events stream with since_ns and runs until the replay is in. */
static client_t *events_open(fx_t *fx, int64_t since_ns)
{
    client_t *c = client_open(fx);
    dock_req_t r = make_req(DOCK_OP_EVENTS, "", 0);
    r.since_ns = since_ns;
    client_send(fx, c, &r);
    run(fx);
    assert_true(c->nmsgs >= 1);
    assert_int_equal(msg_resp(c, 0).http, 200);
    assert_int_equal(msg_resp(c, 0).nitems, 0);
    return c;
}

static void arm_once(fx_t *fx, sim_fault_site_t site)
{
    sim_fault_arm_t a;
    memset(&a, 0, sizeof(a));
    snprintf(a.target, sizeof(a.target), "dd");
    a.by_count = 1;
    a.after = 0;
    a.repeat = 1;
    sim_faults_arm(&fx->faults, site, &a, SEED);
}

static int fx_new(fx_t **out, uint64_t seed)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    if (!fx || sim_loop_init(&fx->loop, seed))
        return -1;
    sim_faults_init(&fx->faults);
    fx->loop.faults = &fx->faults;
    if (dock_daemon_new(&fx->loop, "dd", "ID-DD", &fx->d))
        return -1;
    *out = fx;
    return 0;
}

static int setup(void **state)
{
    return fx_new((fx_t **)state, SEED);
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    size_t i, k;
    for (i = 0; i < fx->nclients; i++)
        client_close(fx->clients[i]);
    dock_daemon_free(fx->d);
    run(fx);
    sim_loop_close(&fx->loop);
    for (i = 0; i < fx->nclients; i++) {
        for (k = 0; k < fx->clients[i]->nmsgs; k++)
            free(fx->clients[i]->msgs[k].buf);
        free(fx->clients[i]->msgs);
        free(fx->clients[i]);
    }
    free(fx);
    return 0;
}

static void add_ctr(fx_t *fx, const char *name, const char *state,
                    char id[DOCK_ID_MAX])
{
    assert_int_equal(dock_container_add(fx->d, name, "nginx:latest", state, id),
                     0);
}

/* identity ---------------------------------------------------------------*/

static void test_ping_answers_ok_with_the_daemon_id(void **state)
{
    fx_t *fx = *state;
    dock_resp_t r = call_resp(fx, DOCK_OP_PING, "", 0);
    assert_int_equal(r.http, 200);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.op, DOCK_OP_PING);
    assert_string_equal(r.message, "OK");
    assert_string_equal(r.daemon_id, "ID-DD");
}

static void test_info_reports_id_name_and_daemon_clock(void **state)
{
    fx_t *fx = *state;
    client_t *c = client_open(fx);
    dock_req_t q = make_req(DOCK_OP_INFO, "", 0);
    dock_resp_t r;
    sim_loop_run(&fx->loop, SIM_S(5));
    client_send(fx, c, &q);
    run(fx);
    r = msg_resp(c, 0);
    assert_int_equal(r.http, 200);
    assert_string_equal(r.info_id, "ID-DD");
    assert_string_equal(r.info_name, "dd");
    assert_string_equal(r.daemon_id, "ID-DD");
    assert_int_equal(r.system_time_ns, (int64_t)c->msgs[0].t_ns);
    assert_true(r.system_time_ns > (int64_t)SIM_S(5));
}

static void test_sha256_hex_matches_the_fips_vector(void **state)
{
    char out[65];
    (void)state;
    dock_sha256_hex("abc", 3, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
}

static void test_container_ids_derive_from_daemon_name_and_counter(void **state)
{
    fx_t *fx = *state;
    char id[DOCK_ID_MAX], want[65];
    add_ctr(fx, "web", "running", id);
    dock_sha256_hex("ID-DD/web/0", strlen("ID-DD/web/0"), want);
    assert_string_equal(id, want);
    assert_int_equal(strlen(id), 64);
    assert_string_equal(dock_container_find(fx->d, "/web")->id, id);
    assert_int_equal(dock_container_add(fx->d, "/web", "x", "created", NULL),
                     SIM_EEXIST);
    assert_int_equal(dock_container_add(fx->d, "db", "x", "sleeping", NULL),
                     SIM_EINVAL);
}

/* lists and inspect ------------------------------------------------------*/

static void
test_container_list_returns_all_states_in_insertion_order(void **state)
{
    fx_t *fx = *state;
    const char *names[] = {"/c", "/a", "/b"};
    const char *states[] = {"exited", "running", "paused"};
    client_t *c;
    size_t i;
    for (i = 0; i < 3; i++)
        add_ctr(fx, names[i], states[i], NULL);
    c = call(fx, DOCK_OP_CONTAINER_LIST, "", 0);
    assert_int_equal(msg_resp(c, 0).nitems, 3);
    for (i = 0; i < 3; i++) {
        const dock_container_t *ct =
            msg_item(c, 0, i, sizeof(dock_container_t));
        assert_string_equal(ct->name, names[i]);
        assert_string_equal(ct->state, states[i]);
        assert_string_equal(ct->image, "nginx:latest");
        assert_memory_equal(ct->image_id, "sha256:", 7);
    }
}

static void test_inspect_finds_container_by_id_name_and_prefix(void **state)
{
    fx_t *fx = *state;
    char id[DOCK_ID_MAX], prefix[13];
    const char *refs[3];
    size_t i;
    add_ctr(fx, "web", "running", id);
    snprintf(prefix, sizeof(prefix), "%.12s", id);
    refs[0] = id, refs[1] = "web", refs[2] = prefix;
    for (i = 0; i < 3; i++) {
        client_t *c = call(fx, DOCK_OP_CONTAINER_INSPECT, refs[i], 0);
        const dock_container_t *ct =
            msg_item(c, 0, 0, sizeof(dock_container_t));
        assert_int_equal(msg_resp(c, 0).http, 200);
        assert_string_equal(ct->id, id);
        assert_string_equal(ct->name, "/web");
        assert_true(ct->pid > 0);
    }
}

static void test_image_and_volume_lists_and_inspect(void **state)
{
    fx_t *fx = *state;
    const char *tags[] = {"nginx:latest", "nginx:1.27"};
    client_t *c;
    const dock_image_t *im;
    const dock_volume_t *v;
    char want[65];
    assert_int_equal(dock_image_add(fx->d, NULL, tags, 2), 0);
    assert_int_equal(dock_volume_add(fx->d, "data"), 0);
    assert_int_equal(dock_volume_add(fx->d, "cache"), 0);
    c = call(fx, DOCK_OP_IMAGE_LIST, "", 0);
    im = msg_item(c, 0, 0, sizeof(dock_image_t));
    dock_sha256_hex("nginx:latest", strlen("nginx:latest"), want);
    assert_memory_equal(im->id, "sha256:", 7);
    assert_string_equal(im->id + 7, want);
    assert_int_equal(im->ntags, 2);
    c = call(fx, DOCK_OP_IMAGE_INSPECT, "nginx", 0);
    im = msg_item(c, 0, 0, sizeof(dock_image_t));
    assert_string_equal(im->tags[1], "nginx:1.27");
    c = call(fx, DOCK_OP_VOLUME_LIST, "", 0);
    assert_int_equal(msg_resp(c, 0).nitems, 2);
    v = msg_item(c, 0, 1, sizeof(dock_volume_t));
    assert_string_equal(v->name, "cache");
    c = call(fx, DOCK_OP_VOLUME_INSPECT, "data", 0);
    v = msg_item(c, 0, 0, sizeof(dock_volume_t));
    assert_string_equal(v->driver, "local");
    assert_string_equal(v->mountpoint, "/var/lib/docker/volumes/data/_data");
}

static void
test_inspect_of_missing_objects_is_404_with_docker_text(void **state)
{
    fx_t *fx = *state;
    dock_resp_t r = call_resp(fx, DOCK_OP_CONTAINER_INSPECT, "nope", 0);
    assert_int_equal(r.http, 404);
    assert_int_equal(r.err, SIM_ENOTFOUND);
    assert_int_equal(r.nitems, 0);
    assert_string_equal(r.message, "No such container: nope");
    r = call_resp(fx, DOCK_OP_IMAGE_INSPECT, "busybox:1", 0);
    assert_int_equal(r.http, 404);
    assert_string_equal(r.message, "No such image: busybox:1");
    r = call_resp(fx, DOCK_OP_VOLUME_INSPECT, "vol1", 0);
    assert_int_equal(r.http, 404);
    assert_string_equal(r.message, "get vol1: no such volume");
    r = call_resp(fx, DOCK_OP_CONTAINER_REMOVE, "nope", 1);
    assert_string_equal(r.message, "No such container: nope");
    r = call_resp(fx, DOCK_OP_IMAGE_REMOVE, "busybox:1", 0);
    assert_string_equal(r.message, "No such image: busybox:1");
}

/* container removal ------------------------------------------------------*/

static void test_remove_running_container_without_force_is_409(void **state)
{
    fx_t *fx = *state;
    dock_resp_t r;
    add_ctr(fx, "web", "running", NULL);
    r = call_resp(fx, DOCK_OP_CONTAINER_REMOVE, "web", 0);
    assert_int_equal(r.http, 409);
    assert_int_equal(r.err, SIM_ECONFLICT);
    assert_string_equal(r.message,
                        "cannot remove container \"/web\": container is "
                        "running: stop the container before removing or "
                        "force remove");
    assert_int_equal(dock_container_count(fx->d), 1);
}

static void test_remove_paused_container_without_force_is_409(void **state)
{
    fx_t *fx = *state;
    dock_resp_t r;
    add_ctr(fx, "web", "paused", NULL);
    r = call_resp(fx, DOCK_OP_CONTAINER_REMOVE, "web", 0);
    assert_int_equal(r.http, 409);
    assert_string_equal(r.message,
                        "container is paused and must be unpaused first");
}

static void
test_force_remove_running_container_emits_kill_die_destroy(void **state)
{
    fx_t *fx = *state;
    char id[DOCK_ID_MAX];
    client_t *ev;
    const char *want[] = {"kill", "die", "destroy"};
    size_t i;
    add_ctr(fx, "web", "running", id);
    ev = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    assert_int_equal(ev->nmsgs, 1);
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_REMOVE, id, 1).http, 204);
    assert_int_equal(ev->nmsgs, 4);
    for (i = 0; i < 3; i++) {
        dock_event_t e = msg_event(ev, i + 1);
        assert_string_equal(e.type, "container");
        assert_string_equal(e.action, want[i]);
        assert_string_equal(e.actor_id, id);
    }
    assert_null(dock_container_find(fx->d, id));
}

static void test_remove_stopped_container_emits_destroy_only(void **state)
{
    fx_t *fx = *state;
    client_t *ev;
    add_ctr(fx, "web", "exited", NULL);
    ev = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_REMOVE, "web", 0).http,
                     204);
    assert_int_equal(ev->nmsgs, 2);
    assert_string_equal(msg_event(ev, 1).action, "destroy");
    assert_int_equal(dock_container_count(fx->d), 0);
}

static void
test_user_remove_follows_api_rules_and_is_logged_as_user(void **state)
{
    fx_t *fx = *state;
    const dock_call_t *calls;
    add_ctr(fx, "web", "running", NULL);
    assert_int_equal(dock_container_remove(fx->d, "web", 0), SIM_ECONFLICT);
    assert_int_equal(dock_container_remove(fx->d, "web", 1), 0);
    assert_int_equal(dock_container_remove(fx->d, "web", 1), SIM_ENOTFOUND);
    assert_int_equal(dock_calls(fx->d, &calls), 3);
    assert_string_equal(calls[0].client, "user");
    assert_int_equal(calls[0].http, 409);
    assert_int_equal(calls[1].http, 204);
    assert_int_equal(calls[2].http, 404);
}

/* images and volumes -----------------------------------------------------*/

static void
test_image_remove_by_tag_untags_while_other_tags_remain(void **state)
{
    fx_t *fx = *state;
    const char *tags[] = {"nginx:latest", "nginx:1.27"};
    client_t *ev;
    const dock_image_t *im;
    dock_resp_t r;
    assert_int_equal(dock_image_add(fx->d, NULL, tags, 2), 0);
    im = dock_image_find(fx->d, "nginx:1.27");
    assert_non_null(im);
    ev = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    r = call_resp(fx, DOCK_OP_IMAGE_REMOVE, "nginx:1.27", 0);
    assert_int_equal(r.http, 200);
    assert_int_equal(ev->nmsgs, 2);
    assert_string_equal(msg_event(ev, 1).action, "untag");
    assert_string_equal(msg_event(ev, 1).actor_id, im->id);
    assert_int_equal(dock_image_count(fx->d), 1);
    assert_null(dock_image_find(fx->d, "nginx:1.27"));
    assert_int_equal(im->ntags, 1);
}

static void test_image_remove_of_last_tag_deletes_the_image(void **state)
{
    fx_t *fx = *state;
    const char *tags[] = {"alpine:3"};
    client_t *ev;
    char id[DOCK_ID_MAX];
    assert_int_equal(dock_image_add(fx->d, NULL, tags, 1), 0);
    snprintf(id, sizeof(id), "%s", dock_image_find(fx->d, "alpine:3")->id);
    ev = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    assert_int_equal(call_resp(fx, DOCK_OP_IMAGE_REMOVE, "alpine:3", 0).http,
                     200);
    assert_int_equal(ev->nmsgs, 3);
    assert_string_equal(msg_event(ev, 1).action, "untag");
    assert_string_equal(msg_event(ev, 2).action, "delete");
    assert_string_equal(msg_event(ev, 2).actor_id, id);
    assert_int_equal(dock_image_count(fx->d), 0);
}

static void
test_image_remove_used_by_a_container_is_409_with_docker_text(void **state)
{
    fx_t *fx = *state;
    const char *tags[] = {"nginx:latest"};
    char cid[DOCK_ID_MAX], want[320];
    const dock_image_t *im;
    dock_resp_t r;
    assert_int_equal(dock_image_add(fx->d, NULL, tags, 1), 0);
    im = dock_image_find(fx->d, "nginx:latest");
    add_ctr(fx, "web", "exited", cid);
    r = call_resp(fx, DOCK_OP_IMAGE_REMOVE, im->id, 0);
    snprintf(want, sizeof(want),
             "conflict: unable to delete %.12s (must be "
             "forced) - image is being used by stopped container %.12s",
             im->id + 7, cid);
    assert_int_equal(r.http, 409);
    assert_int_equal(r.err, SIM_ECONFLICT);
    assert_string_equal(r.message, want);
    r = call_resp(fx, DOCK_OP_IMAGE_REMOVE, "nginx:latest", 0);
    snprintf(want, sizeof(want),
             "conflict: unable to remove repository "
             "reference \"nginx:latest\" (must force) - container %.12s is "
             "using its referenced image %.12s",
             cid, im->id + 7);
    assert_string_equal(r.message, want);
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_START, cid, 0).http, 204);
    r = call_resp(fx, DOCK_OP_IMAGE_REMOVE, im->id, 1);
    snprintf(want, sizeof(want),
             "conflict: unable to delete %.12s (cannot "
             "be forced) - image is being used by running container %.12s",
             im->id + 7, cid);
    assert_int_equal(r.http, 409);
    assert_string_equal(r.message, want);
    assert_int_equal(dock_image_count(fx->d), 1);
}

static void test_volume_remove_emits_destroy_and_absent_is_404(void **state)
{
    fx_t *fx = *state;
    client_t *ev;
    dock_resp_t r;
    assert_int_equal(dock_volume_add(fx->d, "data"), 0);
    ev = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    assert_int_equal(call_resp(fx, DOCK_OP_VOLUME_REMOVE, "data", 0).http, 204);
    assert_int_equal(ev->nmsgs, 2);
    assert_string_equal(msg_event(ev, 1).type, "volume");
    assert_string_equal(msg_event(ev, 1).action, "destroy");
    assert_string_equal(msg_event(ev, 1).actor_id, "data");
    r = call_resp(fx, DOCK_OP_VOLUME_REMOVE, "data", 0);
    assert_int_equal(r.http, 404);
    assert_string_equal(r.message, "get data: no such volume");
    /* force is PurgeOnError: an absent volume is not an error. */
    assert_int_equal(call_resp(fx, DOCK_OP_VOLUME_REMOVE, "data", 1).http, 204);
    assert_int_equal(ev->nmsgs, 2);
}

/* lifecycle --------------------------------------------------------------*/

static void test_start_of_running_and_stop_of_stopped_are_304(void **state)
{
    fx_t *fx = *state;
    dock_resp_t r;
    add_ctr(fx, "web", "running", NULL);
    add_ctr(fx, "db", "exited", NULL);
    r = call_resp(fx, DOCK_OP_CONTAINER_START, "web", 0);
    assert_int_equal(r.http, 304);
    assert_int_equal(r.err, 0);
    r = call_resp(fx, DOCK_OP_CONTAINER_STOP, "db", 0);
    assert_int_equal(r.http, 304);
    assert_int_equal(r.err, 0);
}

static void test_stop_and_start_change_state_with_events(void **state)
{
    fx_t *fx = *state;
    client_t *ev;
    const char *want[] = {"kill", "die",  "stop",  "start",  "kill",
                          "die",  "stop", "start", "restart"};
    size_t i;
    add_ctr(fx, "web", "running", NULL);
    ev = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_STOP, "web", 0).http, 204);
    assert_string_equal(dock_container_find(fx->d, "web")->state, "exited");
    assert_int_equal(dock_container_find(fx->d, "web")->pid, 0);
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_START, "web", 0).http,
                     204);
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_RESTART, "web", 0).http,
                     204);
    assert_string_equal(dock_container_find(fx->d, "web")->state, "running");
    assert_int_equal(ev->nmsgs, 1 + SIM_ARRAY_LEN(want));
    for (i = 0; i < SIM_ARRAY_LEN(want); i++)
        assert_string_equal(msg_event(ev, i + 1).action, want[i]);
}

static void test_pause_and_unpause_conflicts_use_docker_text(void **state)
{
    fx_t *fx = *state;
    char id[DOCK_ID_MAX], want[320];
    dock_resp_t r;
    add_ctr(fx, "web", "exited", id);
    r = call_resp(fx, DOCK_OP_CONTAINER_PAUSE, "web", 0);
    snprintf(want, sizeof(want), "Container %s is not running", id);
    assert_int_equal(r.http, 409);
    assert_string_equal(r.message, want);
    r = call_resp(fx, DOCK_OP_CONTAINER_UNPAUSE, "web", 0);
    snprintf(want, sizeof(want), "Container %s is not paused", id);
    assert_int_equal(r.http, 409);
    assert_string_equal(r.message, want);
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_START, "web", 0).http,
                     204);
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_PAUSE, "web", 0).http,
                     204);
    assert_string_equal(dock_container_find(fx->d, id)->state, "paused");
    r = call_resp(fx, DOCK_OP_CONTAINER_PAUSE, "web", 0);
    snprintf(want, sizeof(want), "Container %s is already paused", id);
    assert_int_equal(r.http, 409);
    assert_string_equal(r.message, want);
    r = call_resp(fx, DOCK_OP_CONTAINER_START, "web", 0);
    assert_int_equal(r.http, 409);
    assert_string_equal(r.message,
                        "cannot start a paused container, try unpause "
                        "instead");
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_UNPAUSE, "web", 0).http,
                     204);
    assert_string_equal(dock_container_find(fx->d, id)->state, "running");
}

/* events -----------------------------------------------------------------*/

/* moby's rule: an event at exactly `since` is replayed (TimeNano >= since). */
static void test_events_since_replays_events_at_or_after_since(void **state)
{
    fx_t *fx = *state;
    client_t *ev;
    int64_t mark;
    assert_int_equal(dock_volume_add(fx->d, "early"), 0);
    sim_loop_run(&fx->loop, SIM_S(1));
    mark = (int64_t)sim_now(&fx->loop);
    assert_int_equal(dock_volume_add(fx->d, "same-time"), 0);
    sim_loop_run(&fx->loop, SIM_S(2));
    assert_int_equal(dock_volume_add(fx->d, "late"), 0);
    ev = events_open(fx, mark);
    assert_int_equal(ev->nmsgs, 3);
    assert_string_equal(msg_event(ev, 1).actor_id, "same-time");
    assert_int_equal(msg_event(ev, 1).time_ns, mark);
    assert_string_equal(msg_event(ev, 2).actor_id, "late");
    ev = events_open(fx, mark + 1);
    assert_int_equal(ev->nmsgs, 2);
    assert_string_equal(msg_event(ev, 1).actor_id, "late");
    assert_int_equal(msg_event(ev, 1).time_ns, (int64_t)SIM_S(2));
    ev = events_open(fx, -1);
    assert_int_equal(ev->nmsgs, 4);
    assert_string_equal(msg_event(ev, 1).actor_id, "early");
    assert_int_equal(msg_event(ev, 1).time_ns, 0);
}

static void test_events_replay_is_limited_to_the_last_256(void **state)
{
    fx_t *fx = *state;
    client_t *ev;
    char name[32];
    int i;
    for (i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "v%03d", i);
        assert_int_equal(dock_volume_add(fx->d, name), 0);
    }
    ev = events_open(fx, -1);
    assert_int_equal(ev->nmsgs, 1 + DOCK_EVENTS_RING);
    assert_string_equal(msg_event(ev, 1).actor_id, "v044");
    assert_string_equal(msg_event(ev, DOCK_EVENTS_RING).actor_id, "v299");
}

static void test_open_stream_receives_live_events_in_order(void **state)
{
    fx_t *fx = *state;
    client_t *a, *b;
    a = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    b = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    sim_loop_run(&fx->loop, SIM_S(3));
    add_ctr(fx, "web", "running", NULL);
    run(fx);
    assert_int_equal(a->nmsgs, 3);
    assert_int_equal(b->nmsgs, 3);
    assert_string_equal(msg_event(a, 1).action, "create");
    assert_string_equal(msg_event(b, 2).action, "start");
    assert_int_equal(msg_event(a, 2).time_ns, (int64_t)SIM_S(3));
    assert_string_equal(msg_resp(a, 1).daemon_id, "ID-DD");
    assert_int_equal(msg_resp(a, 1).op, DOCK_OP_EVENTS);
    /* The client leaves: the daemon stops writing to it, no leak. */
    client_close(a);
    run(fx);
    assert_int_equal(dock_volume_add(fx->d, "x"), 0);
    run(fx);
    assert_int_equal(a->nmsgs, 3);
    assert_int_equal(b->nmsgs, 4);
}

static void
test_daemon_stop_closes_streams_with_eof_and_loses_ring(void **state)
{
    fx_t *fx = *state;
    client_t *ev, *late;
    add_ctr(fx, "web", "running", NULL);
    ev = events_open(fx, -1);
    assert_int_equal(ev->nmsgs, 3);
    dock_daemon_stop(fx->d);
    run(fx);
    assert_true(ev->eof);
    assert_int_equal(ev->nmsgs, 3); /* the die event is never received */
    assert_false(dock_daemon_up(fx->d));
    assert_string_equal(dock_container_find(fx->d, "web")->state, "exited");
    late = client_open(fx);
    run(fx);
    assert_true(late->eof);
    assert_int_equal(late->nmsgs, 0);
    dock_daemon_start(fx->d);
    assert_true(dock_daemon_up(fx->d));
    ev = events_open(fx, -1);
    assert_int_equal(ev->nmsgs, 1);
}

static void test_stop_drops_answers_still_due(void **state)
{
    fx_t *fx = *state;
    client_t *c = client_open(fx);
    dock_req_t q = make_req(DOCK_OP_PING, "", 0);
    client_send(fx, c, &q);
    sim_loop_run(&fx->loop, 10 * SIM_NS_PER_US);
    dock_daemon_stop(fx->d);
    run(fx);
    assert_true(c->eof);
    assert_int_equal(c->nmsgs, 0);
}

/* front ------------------------------------------------------------------*/

static void
test_latency_is_within_bounds_and_deterministic_per_seed(void **state)
{
    uint64_t lat[2][20];
    int run_i, i, varied = 0;
    for (run_i = 0; run_i < 2; run_i++) {
        fx_t *fx = NULL;
        client_t *c;
        assert_int_equal(fx_new(&fx, SEED), 0);
        dock_daemon_set_latency(fx->d, SIM_MS(5), SIM_MS(9));
        c = client_open(fx);
        for (i = 0; i < 20; i++) {
            dock_req_t q = make_req(DOCK_OP_PING, "", 0);
            client_send(fx, c, &q);
            run(fx);
            assert_int_equal(c->nmsgs, (size_t)i + 1);
            lat[run_i][i] = c->msgs[i].t_ns - c->sent_ns;
            assert_true(lat[run_i][i] >= SIM_MS(5));
            assert_true(lat[run_i][i] <= SIM_MS(9));
            varied |= lat[run_i][i] != lat[run_i][0];
        }
        teardown((void **)&fx);
        (void)state;
    }
    assert_true(varied);
    assert_memory_equal(lat[0], lat[1], sizeof(lat[0]));
}

static void test_connection_answers_sequential_requests_in_order(void **state)
{
    fx_t *fx = *state;
    client_t *c = client_open(fx);
    dock_req_t q1 = make_req(DOCK_OP_INFO, "", 0);
    dock_req_t q2 = make_req(DOCK_OP_PING, "", 0);
    dock_req_t q3 = make_req(DOCK_OP_VOLUME_LIST, "", 0);
    client_send(fx, c, &q1);
    client_send(fx, c, &q2);
    client_send(fx, c, &q3);
    run(fx);
    assert_int_equal(c->nmsgs, 3);
    assert_int_equal(msg_resp(c, 0).op, DOCK_OP_INFO);
    assert_int_equal(msg_resp(c, 1).op, DOCK_OP_PING);
    assert_int_equal(msg_resp(c, 2).op, DOCK_OP_VOLUME_LIST);
    assert_true(c->msgs[0].t_ns < c->msgs[1].t_ns);
    assert_false(c->eof);
}

static void test_garbage_request_is_400_and_closes_the_connection(void **state)
{
    fx_t *fx = *state;
    client_t *c = client_open(fx);
    dock_req_t q = make_req(DOCK_OP_PING, "", 0);
    dock_resp_t r;
    q.magic = 0x12345678;
    client_send(fx, c, &q);
    run(fx);
    assert_int_equal(c->nmsgs, 1);
    r = msg_resp(c, 0);
    assert_int_equal(r.http, 400);
    assert_int_equal(r.err, SIM_EINVAL);
    assert_string_equal(r.daemon_id, "ID-DD");
    assert_true(c->eof);
    c = client_open(fx);
    assert_int_equal(sim_stream_write(c->s, "GET /_ping", 10), 0);
    run(fx);
    assert_int_equal(msg_resp(c, 0).http, 400);
    assert_true(c->eof);
}

static void test_client_close_with_answer_due_frees_the_connection(void **state)
{
    fx_t *fx = *state;
    client_t *c = client_open(fx);
    dock_req_t q = make_req(DOCK_OP_CONTAINER_LIST, "", 0);
    client_send(fx, c, &q);
    sim_loop_run(&fx->loop, SIM_NS_PER_US);
    client_close(c);
    run(fx);
    assert_int_equal(c->nmsgs, 0);
    assert_int_equal(sim_loop_pending(&fx->loop), 0);
}

static void test_call_log_records_every_mutating_call_with_client(void **state)
{
    fx_t *fx = *state;
    const dock_call_t *calls;
    char id[DOCK_ID_MAX];
    add_ctr(fx, "web", "running", id);
    call(fx, DOCK_OP_CONTAINER_LIST, "", 0);
    call(fx, DOCK_OP_CONTAINER_REMOVE, "web", 0);
    call(fx, DOCK_OP_CONTAINER_STOP, "web", 0);
    call(fx, DOCK_OP_VOLUME_REMOVE, "nope", 0);
    assert_int_equal(dock_calls(fx->d, &calls), 3);
    assert_int_equal(calls[0].op, DOCK_OP_CONTAINER_REMOVE);
    assert_string_equal(calls[0].ref, "web");
    assert_string_equal(calls[0].client, CLIENT);
    assert_string_equal(calls[0].endpoint, ENDPOINT);
    assert_int_equal(calls[0].http, 409);
    assert_int_equal(calls[1].op, DOCK_OP_CONTAINER_STOP);
    assert_int_equal(calls[1].http, 204);
    assert_true(calls[1].t_ns > calls[0].t_ns);
    assert_int_equal(calls[2].op, DOCK_OP_VOLUME_REMOVE);
    assert_int_equal(calls[2].http, 404);
    assert_string_equal(dock_op_name(calls[0].op), "ContainerRemove");
    assert_true(dock_op_mutating(DOCK_OP_IMAGE_REMOVE));
    assert_false(dock_op_mutating(DOCK_OP_CONTAINER_INSPECT));
}

static void test_unknown_op_is_404_page_not_found(void **state)
{
    fx_t *fx = *state;
    dock_resp_t r = call_resp(fx, (dock_op_t)99, "", 0);
    assert_int_equal(r.http, 404);
    assert_string_equal(r.message, "page not found");
}

/* faults -----------------------------------------------------------------*/

static void test_fault_ping_unavailable_answers_500(void **state)
{
    fx_t *fx = *state;
    dock_resp_t r;
    arm_once(fx, SIM_FAULT_DOCK_PING_UNAVAILABLE);
    r = call_resp(fx, DOCK_OP_PING, "", 0);
    assert_int_equal(r.http, 500);
    assert_int_equal(r.err, SIM_ESERVER);
    assert_string_equal(r.daemon_id, "ID-DD");
    assert_int_equal(call_resp(fx, DOCK_OP_PING, "", 0).http, 200);
}

static void
test_fault_container_not_found_answers_404_for_a_present_one(void **state)
{
    fx_t *fx = *state;
    char id[DOCK_ID_MAX], want[320];
    dock_resp_t r;
    add_ctr(fx, "web", "running", id);
    arm_once(fx, SIM_FAULT_DOCK_CONTAINER_NOT_FOUND);
    r = call_resp(fx, DOCK_OP_CONTAINER_INSPECT, id, 0);
    snprintf(want, sizeof(want), "No such container: %s", id);
    assert_int_equal(r.http, 404);
    assert_int_equal(r.err, SIM_ENOTFOUND);
    assert_string_equal(r.message, want);
    assert_int_equal(call_resp(fx, DOCK_OP_CONTAINER_INSPECT, id, 0).http, 200);
}

static void test_fault_rm_in_progress_answers_409(void **state)
{
    fx_t *fx = *state;
    const dock_call_t *calls;
    dock_resp_t r;
    add_ctr(fx, "web", "exited", NULL);
    arm_once(fx, SIM_FAULT_DOCK_CONTAINER_RM_IN_PROGRESS);
    r = call_resp(fx, DOCK_OP_CONTAINER_REMOVE, "web", 1);
    assert_int_equal(r.http, 409);
    assert_int_equal(r.err, SIM_ECONFLICT);
    assert_string_equal(r.message,
                        "removal of container web is already in progress");
    assert_int_equal(dock_container_count(fx->d), 1);
    assert_int_equal(dock_calls(fx->d, &calls), 1);
    assert_int_equal(calls[0].http, 409);
}

static void test_fault_image_rm_conflict_answers_409(void **state)
{
    fx_t *fx = *state;
    const char *tags[] = {"alpine:3"};
    dock_resp_t r;
    assert_int_equal(dock_image_add(fx->d, NULL, tags, 1), 0);
    arm_once(fx, SIM_FAULT_DOCK_IMAGE_RM_CONFLICT);
    r = call_resp(fx, DOCK_OP_IMAGE_REMOVE, "alpine:3", 0);
    assert_int_equal(r.http, 409);
    assert_int_equal(r.err, SIM_ECONFLICT);
    assert_memory_equal(r.message, "conflict: unable to delete ", 27);
    assert_non_null(strstr(r.message, " (must be forced) - image is being "
                                      "used by stopped container "));
    assert_int_equal(dock_image_count(fx->d), 1);
}

static void test_fault_volume_rm_in_use_answers_409(void **state)
{
    fx_t *fx = *state;
    dock_resp_t r;
    assert_int_equal(dock_volume_add(fx->d, "data"), 0);
    arm_once(fx, SIM_FAULT_DOCK_VOLUME_RM_IN_USE);
    r = call_resp(fx, DOCK_OP_VOLUME_REMOVE, "data", 1);
    assert_int_equal(r.http, 409);
    assert_int_equal(r.err, SIM_ECONFLICT);
    assert_string_equal(r.message, "remove data: volume is in use");
    assert_non_null(dock_volume_find(fx->d, "data"));
}

static void test_fault_events_stream_eof_closes_the_stream(void **state)
{
    fx_t *fx = *state;
    client_t *ev, *other;
    sim_fault_arm_t a;
    ev = events_open(fx, (int64_t)sim_now(&fx->loop) + 1); /* later only */
    assert_int_equal(dock_volume_add(fx->d, "a"), 0);
    run(fx);
    assert_int_equal(ev->nmsgs, 2);
    memset(&a, 0, sizeof(a));
    a.by_count = 1;
    a.after = 0;
    a.repeat = 1;
    sim_faults_arm(&fx->faults, SIM_FAULT_DOCK_EVENTS_STREAM_EOF, &a, SEED);
    assert_int_equal(dock_volume_add(fx->d, "b"), 0);
    run(fx);
    assert_true(ev->eof);
    assert_int_equal(ev->nmsgs, 2);
    /* The event stays in the ring: a reconnect with since gets it. */
    other = events_open(fx, 0);
    assert_int_equal(other->nmsgs, 3);
    assert_string_equal(msg_event(other, 2).actor_id, "b");
}

/* determinism ------------------------------------------------------------*/

/* A small session: state, an event stream, mutations, a restart. */
static uint64_t session_trace_hash(uint64_t seed)
{
    fx_t *fx = NULL;
    sim_trace_t tr;
    client_t *c;
    dock_req_t q;
    uint64_t h;
    int i;
    assert_int_equal(fx_new(&fx, seed), 0);
    sim_trace_init(&tr, NULL, NULL);
    fx->loop.trace = &tr;
    add_ctr(fx, "web", "running", NULL);
    add_ctr(fx, "db", "exited", NULL);
    (void)events_open(fx, -1);
    c = client_open(fx);
    for (i = 0; i < 4; i++) {
        q = make_req(i % 2 ? DOCK_OP_CONTAINER_REMOVE : DOCK_OP_CONTAINER_LIST,
                     i < 2 ? "db" : "web", 1);
        client_send(fx, c, &q);
    }
    run(fx);
    dock_daemon_stop(fx->d);
    dock_daemon_start(fx->d);
    run(fx);
    h = tr.hash;
    fx->loop.trace = NULL;
    teardown((void **)&fx);
    return h;
}

static void test_trace_hash_is_identical_for_one_seed(void **state)
{
    (void)state;
    assert_true(session_trace_hash(1) == session_trace_hash(1));
    assert_true(session_trace_hash(1) != session_trace_hash(2));
}

/* OOM --------------------------------------------------------------------*/

static void test_daemon_new_returns_enomem_until_memory_suffices(void **state)
{
    sim_loop_t loop;
    dock_daemon_t *d = NULL;
    unsigned long n;
    int rc = SIM_ENOMEM;
    (void)state;
    assert_int_equal(sim_loop_init(&loop, SEED), 0);
    for (n = 1; n < 100; n++) {
        sim_alloc_fail_at(n);
        rc = dock_daemon_new(&loop, "dd", "ID-DD", &d);
        sim_alloc_fail_at(0);
        if (rc == 0)
            break;
        assert_int_equal(rc, SIM_ENOMEM);
        assert_null(d);
    }
    assert_int_equal(rc, 0);
    assert_non_null(d);
    assert_true(dock_daemon_up(d));
    dock_daemon_free(d);
    sim_loop_close(&loop);
    assert_int_equal(dock_daemon_new(&loop, "", "x", &d), SIM_EINVAL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ping_answers_ok_with_the_daemon_id),
        T(test_info_reports_id_name_and_daemon_clock),
        cmocka_unit_test(test_sha256_hex_matches_the_fips_vector),
        T(test_container_ids_derive_from_daemon_name_and_counter),
        T(test_container_list_returns_all_states_in_insertion_order),
        T(test_inspect_finds_container_by_id_name_and_prefix),
        T(test_image_and_volume_lists_and_inspect),
        T(test_inspect_of_missing_objects_is_404_with_docker_text),
        T(test_remove_running_container_without_force_is_409),
        T(test_remove_paused_container_without_force_is_409),
        T(test_force_remove_running_container_emits_kill_die_destroy),
        T(test_remove_stopped_container_emits_destroy_only),
        T(test_user_remove_follows_api_rules_and_is_logged_as_user),
        T(test_image_remove_by_tag_untags_while_other_tags_remain),
        T(test_image_remove_of_last_tag_deletes_the_image),
        T(test_image_remove_used_by_a_container_is_409_with_docker_text),
        T(test_volume_remove_emits_destroy_and_absent_is_404),
        T(test_start_of_running_and_stop_of_stopped_are_304),
        T(test_stop_and_start_change_state_with_events),
        T(test_pause_and_unpause_conflicts_use_docker_text),
        T(test_events_since_replays_events_at_or_after_since),
        T(test_events_replay_is_limited_to_the_last_256),
        T(test_open_stream_receives_live_events_in_order),
        T(test_daemon_stop_closes_streams_with_eof_and_loses_ring),
        T(test_stop_drops_answers_still_due),
        cmocka_unit_test(
            test_latency_is_within_bounds_and_deterministic_per_seed),
        T(test_connection_answers_sequential_requests_in_order),
        T(test_garbage_request_is_400_and_closes_the_connection),
        T(test_client_close_with_answer_due_frees_the_connection),
        T(test_call_log_records_every_mutating_call_with_client),
        T(test_unknown_op_is_404_page_not_found),
        T(test_fault_ping_unavailable_answers_500),
        T(test_fault_container_not_found_answers_404_for_a_present_one),
        T(test_fault_rm_in_progress_answers_409),
        T(test_fault_image_rm_conflict_answers_409),
        T(test_fault_volume_rm_in_use_answers_409),
        T(test_fault_events_stream_eof_closes_the_stream),
        cmocka_unit_test(test_trace_hash_is_identical_for_one_seed),
        cmocka_unit_test(test_daemon_new_returns_enomem_until_memory_suffices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
