/*
 * test_kube_front.c: the Kubernetes API front (fakes/kube/front.h) in
 * virtual time, through a sim stream pair instead of a socket: discovery,
 * LIST from the lagging watch cache (the consistent-LIST wait), WATCH
 * events at the cache's visible time, 410 for an old resourceVersion,
 * DELETE with finalizers, merge-patch PATCH and its 409/415/422, the
 * recorded calls, a replaced store ending the watches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/front.h"
#include "kube/kube.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/loop.h"

#define NS "default"
#define FIN "engine.rancherdesktop.io/mirror"
#define S SIM_NS_PER_S
#define CTR "/apis/containers.rancherdesktop.io/v1alpha1"
#define APP "/apis/app.rancherdesktop.io/v1alpha1/apps"

typedef struct {
    sim_loop_t loop;
    sim_faults_t faults;
    kube_store_t *s;
    uint64_t epoch;
    int up;
    kube_front_t *f;
    int ncalls;
    char last_verb[16];
    int last_http;
} fx_t;

/* One client connection: what it read, and when the first byte came. */
typedef struct {
    sim_stream_t *me;
    char buf[256 * 1024];
    size_t len;
    uint64_t first_ns;
    int eof;
} cli_t;

static kube_store_t *store_cb(void *arg, uint64_t *epoch, int *up)
{
    fx_t *f = arg;
    *epoch = f->epoch;
    *up = f->up;
    return f->s;
}

static void on_call(void *arg, const kube_front_call_t *c)
{
    fx_t *f = arg;
    f->ncalls++;
    snprintf(f->last_verb, sizeof(f->last_verb), "%s", c->verb);
    f->last_http = c->http;
}

static void cli_read(sim_stream_t *s, long n, const void *buf)
{
    cli_t *c = s->data;
    if (!c)
        return;
    if (n < 0) {
        c->eof = 1;
        return;
    }
    if (n > 0 && c->len == 0)
        c->first_ns = sim_now(s->loop);
    if (c->len + (size_t)n < sizeof(c->buf)) {
        memcpy(c->buf + c->len, buf, (size_t)n);
        c->len += (size_t)n;
        c->buf[c->len] = 0;
    }
}

static fx_t *fx_new(void)
{
    fx_t *f = calloc(1, sizeof(*f));
    kube_front_opts_t o;
    assert_non_null(f);
    assert_int_equal(sim_loop_init(&f->loop, 7), 0);
    sim_faults_init(&f->faults);
    f->loop.faults = &f->faults;
    assert_int_equal(kube_store_new(&f->loop, "api", &f->s), 0);
    f->up = 1;
    memset(&o, 0, sizeof(o));
    o.loop = &f->loop;
    o.store = store_cb;
    o.store_arg = f;
    o.consistent_list = 1;
    o.on_call = on_call;
    o.on_call_arg = f;
    assert_int_equal(kube_front_new(&o, &f->f), 0);
    return f;
}

static void run_for(fx_t *f, uint64_t ns);

static void fx_free(fx_t *f)
{
    kube_front_close_all(f->f);
    run_for(f, S); /* the closed streams' last deliveries */
    kube_front_free(f->f);
    if (f->s)
        kube_store_free(f->s);
    sim_loop_close(&f->loop);
    free(f);
}

static cli_t *dial(fx_t *f)
{
    cli_t *c = calloc(1, sizeof(*c));
    sim_stream_t *srv;
    assert_non_null(c);
    assert_int_equal(sim_stream_pair(&f->loop, &c->me, &srv), 0);
    c->me->data = c;
    sim_stream_read_start(c->me, cli_read);
    kube_front_serve(f->f, srv);
    return c;
}

static void hang_up(cli_t *c)
{
    c->me->data = NULL;
    sim_stream_close(c->me, NULL);
    free(c);
}

static void send_req(cli_t *c, const char *method, const char *path,
                     const char *ctype, const char *body, const char *accept)
{
    char req[4096];
    int n = snprintf(
        req, sizeof(req),
        "%s %s HTTP/1.1\r\nHost: x\r\n%s%s%s%s%s%s"
        "Content-Length: %zu\r\n\r\n%s",
        method, path, ctype ? "Content-Type: " : "", ctype ? ctype : "",
        ctype ? "\r\n" : "", accept ? "Accept: " : "", accept ? accept : "",
        accept ? "\r\n" : "", body ? strlen(body) : 0, body ? body : "");
    assert_int_equal(sim_stream_write(c->me, req, (size_t)n), 0);
}

static void run_for(fx_t *f, uint64_t ns)
{
    sim_loop_run(&f->loop, sim_now(&f->loop) + ns);
}

static int status_of(const cli_t *c)
{
    int code = 0;
    if (sscanf(c->buf, "HTTP/1.1 %d", &code) != 1)
        return -1;
    return code;
}

/* One request on a fresh connection, run for 1 s: the client. */
static cli_t *call(fx_t *f, const char *method, const char *path,
                   const char *ctype, const char *body)
{
    cli_t *c = dial(f);
    send_req(c, method, path, ctype, body, NULL);
    run_for(f, S);
    return c;
}

static void add_mirror(fx_t *f, const char *name, int with_fin)
{
    kube_obj_t o;
    kube_status_t st;
    kube_obj_init(&o, KUBE_CONTAINER, NS, name);
    if (with_fin)
        kube_add_finalizer(&o, FIN);
    kube_status_set(&o, "name", name);
    assert_int_equal(kube_create(f->s, &o, &st), 0);
}

static void lag(fx_t *f, uint64_t ns)
{
    kube_lag_t l;
    memset(&l, 0, sizeof(l));
    l.lag_min_ns = l.lag_max_ns = ns;
    kube_store_set_lag(f->s, &l);
}

/* discovery ------------------------------------------------------------*/

static void discovery_names_rdd_kinds(void **state)
{
    fx_t *f = fx_new();
    cli_t *c;
    (void)state;
    c = call(f, "GET", "/apis", NULL, NULL);
    assert_int_equal(status_of(c), 200);
    assert_non_null(strstr(c->buf, "\"app.rancherdesktop.io\""));
    assert_non_null(strstr(c->buf, "\"lima.rancherdesktop.io\""));
    hang_up(c);
    c = call(f, "GET", CTR, NULL, NULL);
    assert_int_equal(status_of(c), 200);
    assert_non_null(strstr(c->buf, "\"name\":\"containers\""));
    assert_non_null(strstr(c->buf, "\"name\":\"containernamespaces\""));
    assert_non_null(strstr(c->buf, "\"shortNames\":[\"cns\"]"));
    hang_up(c);
    c = call(f, "GET", "/apis/nosuch.io/v1/things", NULL, NULL);
    assert_int_equal(status_of(c), 404);
    assert_non_null(strstr(c->buf, "\"kind\":\"Status\""));
    hang_up(c);
    fx_free(f);
}

/* the watch cache ------------------------------------------------------*/

/* A LIST with resourceVersion unset waits for the kind's cache; with
 * resourceVersion=0 it is the cache as it is. */
static void list_waits_for_the_lagging_cache(void **state)
{
    fx_t *f = fx_new();
    cli_t *c, *c0;
    (void)state;
    add_mirror(f, "a", 0);
    c = call(f, "GET", CTR "/namespaces/" NS "/containers", NULL, NULL);
    assert_non_null(strstr(c->buf, "\"name\":\"a\""));
    hang_up(c);
    lag(f, 2 * S);
    add_mirror(f, "b", 0); /* visible at now + 2 s */
    c = dial(f);
    c0 = dial(f);
    send_req(c, "GET", CTR "/namespaces/" NS "/containers", NULL, NULL, NULL);
    send_req(c0, "GET", CTR "/namespaces/" NS "/containers?resourceVersion=0",
             NULL, NULL, NULL);
    run_for(f, S);
    assert_int_equal(c->len, 0); /* still waiting */
    assert_int_equal(status_of(c0), 200);
    assert_non_null(strstr(c0->buf, "\"name\":\"a\""));
    assert_null(strstr(c0->buf, "\"name\":\"b\""));
    run_for(f, 2 * S);
    assert_int_equal(status_of(c), 200);
    assert_non_null(strstr(c->buf, "\"name\":\"b\""));
    hang_up(c);
    hang_up(c0);
    fx_free(f);
}

static void watch_sees_changes_when_the_cache_does(void **state)
{
    fx_t *f = fx_new();
    cli_t *c, *w;
    uint64_t t_del;
    (void)state;
    add_mirror(f, "a", 0);
    add_mirror(f, "b", 0);
    c = call(f, "GET", CTR "/containers", NULL, NULL);
    assert_int_equal(status_of(c), 200);
    hang_up(c);
    w = dial(f);
    send_req(w, "GET", CTR "/containers?watch=1", NULL, NULL, NULL);
    run_for(f, S);
    assert_non_null(strstr(w->buf, "Transfer-Encoding: chunked"));
    assert_non_null(strstr(w->buf, "{\"type\":\"ADDED\""));
    lag(f, 5 * S);
    w->len = 0;
    w->buf[0] = 0;
    t_del = sim_now(&f->loop);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "a", NULL), 0);
    run_for(f, 4 * S);
    assert_int_equal(w->len, 0); /* etcd has it gone, the cache not yet */
    c = call(f, "GET", CTR "/namespaces/" NS "/containers/a", NULL, NULL);
    assert_int_equal(status_of(c), 404);
    hang_up(c);
    run_for(f, 2 * S);
    assert_non_null(strstr(w->buf, "{\"type\":\"DELETED\""));
    assert_true(w->first_ns >= t_del + 5 * S);
    hang_up(w);
    fx_free(f);
}

static void watch_from_an_old_version_is_410(void **state)
{
    fx_t *f = fx_new();
    cli_t *c;
    (void)state;
    add_mirror(f, "a", 0);
    add_mirror(f, "b", 0);
    c = call(f, "GET", CTR "/containers?watch=1&resourceVersion=1", NULL, NULL);
    assert_int_equal(status_of(c), 200);
    assert_non_null(strstr(c->buf, "{\"type\":\"ERROR\""));
    assert_non_null(strstr(c->buf, "\"code\":410"));
    assert_non_null(strstr(c->buf, "too old resource version: 1 (2)"));
    assert_non_null(strstr(c->buf, "0\r\n\r\n")); /* the stream ended */
    hang_up(c);
    fx_free(f);
}

/* Watch from the LIST's version: history after it, then live. */
static void watch_from_a_version_replays_history(void **state)
{
    fx_t *f = fx_new();
    cli_t *c;
    (void)state;
    add_mirror(f, "a", 0);
    c = call(f, "GET", CTR "/containers", NULL, NULL); /* starts the cache */
    hang_up(c);
    add_mirror(f, "b", 0); /* rv 2 */
    add_mirror(f, "c", 0); /* rv 3 */
    run_for(f, S);
    c = call(f, "GET", CTR "/containers?watch=1&resourceVersion=2", NULL, NULL);
    assert_null(strstr(c->buf, "\"name\":\"b\""));
    assert_non_null(strstr(c->buf, "\"name\":\"c\""));
    hang_up(c);
    fx_free(f);
}

/* writes ------------------------------------------------------------------*/

static void delete_with_finalizers_keeps_the_object(void **state)
{
    fx_t *f = fx_new();
    cli_t *c;
    kube_obj_t o;
    (void)state;
    add_mirror(f, "a", 1);
    c = call(f, "DELETE", CTR "/namespaces/" NS "/containers/a", NULL, NULL);
    assert_int_equal(status_of(c), 200);
    assert_non_null(strstr(c->buf, "\"deletionTimestamp\""));
    hang_up(c);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "a", &o, NULL), 0);
    assert_true(o.deleting);
    assert_string_equal(f->last_verb, "delete");
    assert_int_equal(f->last_http, 200);
    c = call(f, "DELETE", CTR "/namespaces/" NS "/containers/zz", NULL, NULL);
    assert_int_equal(status_of(c), 404);
    assert_non_null(strstr(c->buf, "containers.containers.rancherdesktop.io "
                                   "\\\"zz\\\" not found"));
    hang_up(c);
    fx_free(f);
}

static void merge_patch_of_the_app(void **state)
{
    fx_t *f = fx_new();
    cli_t *c;
    kube_obj_t app;
    kube_status_t st;
    int64_t gen;
    (void)state;
    kube_obj_init(&app, KUBE_APP, "", "app");
    kube_spec_set(&app, "running", "true");
    kube_spec_set(&app, "containerEngine.name", "moby");
    assert_int_equal(kube_create(f->s, &app, &st), 0);
    gen = app.generation;
    c = call(f, "PATCH", APP "/app", "application/merge-patch+json",
             "{\"spec\":{\"running\":false}}");
    assert_int_equal(status_of(c), 200);
    assert_non_null(strstr(c->buf, "\"running\":false"));
    assert_non_null(strstr(c->buf, "\"containerEngine\":{\"name\":\"moby\"}"));
    hang_up(c);
    assert_int_equal(kube_get(f->s, KUBE_APP, "", "app", &app, NULL), 0);
    assert_string_equal(kube_spec_get(&app, "running"), "false");
    assert_int_equal(app.generation, gen + 1);
    c = call(f, "PATCH", APP "/app", "application/merge-patch+json",
             "{\"spec\":{\"running\":\"yes\"}}");
    assert_int_equal(status_of(c), 422);
    assert_non_null(strstr(c->buf, "must be of type boolean"));
    hang_up(c);
    c = call(f, "PATCH", APP "/app", "application/merge-patch+json",
             "{\"metadata\":{\"resourceVersion\":\"1\"}}");
    assert_int_equal(status_of(c), 409);
    hang_up(c);
    c = call(f, "PATCH", APP "/app", "application/strategic-merge-patch+json",
             "{}");
    assert_int_equal(status_of(c), 415);
    hang_up(c);
    c = call(f, "PATCH", APP "/app", "application/merge-patch+json",
             "{\"spec\":{\"containerEngine\":null}}");
    assert_int_equal(status_of(c), 200);
    hang_up(c);
    assert_int_equal(kube_get(f->s, KUBE_APP, "", "app", &app, NULL), 0);
    assert_null(kube_spec_get(&app, "containerEngine.name"));
    assert_int_equal(f->ncalls, 4); /* the 415 never reached the object */
    fx_free(f);
}

/* A Table for kubectl get: the CRD's printer columns. */
static void tables_have_printer_columns(void **state)
{
    fx_t *f = fx_new();
    cli_t *c;
    (void)state;
    add_mirror(f, "a", 0);
    c = dial(f);
    send_req(c, "GET", CTR "/namespaces/" NS "/containers", NULL, NULL,
             "application/json;as=Table;v=v1;g=meta.k8s.io");
    run_for(f, S);
    assert_non_null(strstr(c->buf, "\"kind\":\"Table\""));
    assert_non_null(strstr(c->buf, "\"name\":\"Running\""));
    assert_non_null(strstr(c->buf, "\"name\":\"Age\""));
    hang_up(c);
    fx_free(f);
}

/* The service down: 503; the store replaced: the watches end. */
static void down_and_replaced_stores(void **state)
{
    fx_t *f = fx_new();
    cli_t *c, *w;
    (void)state;
    add_mirror(f, "a", 0);
    w = dial(f);
    send_req(w, "GET", CTR "/containers?watch=1", NULL, NULL, NULL);
    run_for(f, S);
    f->up = 0;
    c = call(f, "GET", CTR "/containers", NULL, NULL);
    assert_int_equal(status_of(c), 503);
    hang_up(c);
    f->up = 1;
    kube_store_free(f->s);
    assert_int_equal(kube_store_new(&f->loop, "api", &f->s), 0);
    f->epoch++;
    c = call(f, "GET", CTR "/containers", NULL, NULL);
    assert_int_equal(status_of(c), 200);
    assert_null(strstr(c->buf, "\"name\":\"a\""));
    hang_up(c);
    run_for(f, S);
    assert_true(w->eof);
    hang_up(w);
    fx_free(f);
}

static void malformed_http_is_400(void **state)
{
    fx_t *f = fx_new();
    cli_t *c = dial(f);
    (void)state;
    assert_int_equal(sim_stream_write(c->me, "BAD\r\n\r\n", 7), 0);
    run_for(f, S);
    assert_int_equal(status_of(c), 400);
    assert_true(c->eof);
    hang_up(c);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(discovery_names_rdd_kinds),
        cmocka_unit_test(list_waits_for_the_lagging_cache),
        cmocka_unit_test(watch_sees_changes_when_the_cache_does),
        cmocka_unit_test(watch_from_an_old_version_is_410),
        cmocka_unit_test(watch_from_a_version_replays_history),
        cmocka_unit_test(delete_with_finalizers_keeps_the_object),
        cmocka_unit_test(merge_patch_of_the_app),
        cmocka_unit_test(tables_have_printer_columns),
        cmocka_unit_test(down_and_replaced_stores),
        cmocka_unit_test(malformed_http_is_400),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
