/*
 * test_kube_cache.c: the informer cache and its reader
 * (fakes/kube/cache.c): initial list, watch-fed updates on later turns,
 * cached vs live reads (docs/platform.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/kube.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/loop.h"
#include "sim/trace.h"

#define FIN "engine.rancherdesktop.io/mirror"
#define NS "default"

typedef struct {
    kube_event_type_t type;
    char name[KUBE_NAME_MAX];
    uint64_t rv;
    size_t cached;          /* cache count of that kind when told */
} seen_t;

typedef struct {
    sim_loop_t loop;
    kube_store_t *s;
    kube_cache_t *c;
    seen_t seen[64];
    int nseen;
    int free_in_cb;
    int count_only;         /* just count on_change calls */
    int stop_each;          /* stop the loop after each event */
    long ncalls;
} fx_t;

static void on_change(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    fx_t *f = arg;
    kube_reader_t *r = kube_cache_reader(f->c);
    seen_t *e;
    f->ncalls++;
    if (f->stop_each)
        sim_loop_stop(&f->loop);
    if (f->count_only)
        return;
    assert_true(f->nseen < (int)(sizeof(f->seen) / sizeof(f->seen[0])));
    e = &f->seen[f->nseen++];
    e->type = type;
    snprintf(e->name, sizeof(e->name), "%s", o->name);
    e->rv = o->rv;
    assert_int_equal(r->count(r, o->kind, "", &e->cached, NULL), 0);
    if (f->free_in_cb) {
        kube_cache_free(f->c);
        f->c = NULL;
    }
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sim_loop_init(&f->loop, 1), 0);
    assert_int_equal(kube_store_new(&f->loop, "apiserver", &f->s), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    kube_cache_free(f->c);
    kube_store_free(f->s);
    sim_loop_run(&f->loop, SIM_NEVER);
    sim_loop_close(&f->loop);
    free(f);
    return 0;
}

static void create(fx_t *f, kube_kind_t kind, const char *ns,
                   const char *name, int fin, kube_obj_t *out)
{
    kube_obj_t o;
    kube_obj_init(&o, kind, ns, name);
    if (fin)
        assert_int_equal(kube_add_finalizer(&o, FIN), 1);
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
    if (out)
        *out = o;
}

static void new_cache(fx_t *f)
{
    assert_int_equal(kube_cache_new(f->s, "engine", on_change, f, &f->c), 0);
}

static void test_cache_starts_with_the_initial_list(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r;
    kube_obj_t g;
    size_t n;
    create(f, KUBE_CONTAINER, NS, "a", 0, NULL);
    create(f, KUBE_IMAGE, NS, "img", 0, NULL);
    create(f, KUBE_APP, "", "app", 0, NULL);
    new_cache(f);
    r = kube_cache_reader(f->c);
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "a", &g, NULL), 0);
    assert_int_equal(g.rv, 1);
    assert_int_equal(r->get(r, KUBE_APP, "", "app", &g, NULL), 0);
    assert_int_equal(r->count(r, KUBE_IMAGE, NS, &n, NULL), 0);
    assert_int_equal(n, 1);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nseen, 0); /* the list is not replayed as events */
}

static void test_cache_read_before_run_sees_old_state(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r, *live = kube_store_reader(f->s);
    kube_obj_t a, g;
    kube_status_t st;
    create(f, KUBE_CONTAINER, NS, "web", 0, &a);
    new_cache(f);
    r = kube_cache_reader(f->c);
    assert_int_equal(kube_spec_set(&a, "image", "redis"), 0);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    create(f, KUBE_CONTAINER, NS, "new", 0, NULL);
    /* the writer reads its own write live, but not from the cache */
    assert_int_equal(live->get(live, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_int_equal(g.rv, 2);
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_int_equal(g.rv, 1);
    assert_null(kube_spec_get(&g, "image"));
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "new", &g, &st),
                     SIM_ENOTFOUND);
    assert_int_equal(st.http, 404);
    assert_string_equal(st.message, "containers.containers.rancherdesktop.io "
                                    "\"new\" not found");
    /* an update from the stale cached copy is the classic 409 */
    assert_int_equal(kube_spec_set(&g, "image", "busybox"), 0);
    assert_int_equal(kube_update(f->s, &g, &st), SIM_ECONFLICT);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_int_equal(g.rv, 2);
    assert_string_equal(kube_spec_get(&g, "image"), "redis");
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "new", &g, NULL), 0);
}

static void test_cache_applies_events_in_order_then_calls_on_change(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    new_cache(f);
    create(f, KUBE_CONTAINER, NS, "web", 1, &a);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &a, NULL), 0);
    assert_int_equal(kube_remove_finalizer(&a, FIN), 1);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    assert_int_equal(f->nseen, 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nseen, 3);
    assert_int_equal(f->seen[0].type, KUBE_ADDED);
    assert_int_equal(f->seen[0].rv, 1);
    assert_int_equal(f->seen[0].cached, 1); /* applied before on_change */
    assert_int_equal(f->seen[1].type, KUBE_MODIFIED);
    assert_int_equal(f->seen[1].rv, 2);
    assert_int_equal(f->seen[1].cached, 1);
    assert_int_equal(f->seen[2].type, KUBE_DELETED);
    assert_int_equal(f->seen[2].rv, 3);
    assert_int_equal(f->seen[2].cached, 0);
}

static void test_terminating_objects_stay_in_cache_and_count(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r;
    kube_obj_t g;
    size_t n;
    create(f, KUBE_VOLUME, NS, "v1", 1, NULL);
    create(f, KUBE_VOLUME, NS, "v2", 0, NULL);
    new_cache(f);
    r = kube_cache_reader(f->c);
    assert_int_equal(kube_delete(f->s, KUBE_VOLUME, NS, "v1", NULL), 0);
    assert_int_equal(kube_delete(f->s, KUBE_VOLUME, NS, "v2", NULL), 0);
    /* waitMirrorResourcesGone counts the cache: still 2 before the run */
    assert_int_equal(r->count(r, KUBE_VOLUME, NS, &n, NULL), 0);
    assert_int_equal(n, 2);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(r->count(r, KUBE_VOLUME, NS, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r->get(r, KUBE_VOLUME, NS, "v1", &g, NULL), 0);
    assert_true(g.deleting);
}

typedef struct {
    char names[8][KUBE_NS_MAX + KUBE_NAME_MAX];
    int n;
} visit_t;

static int visit_rec(void *arg, const kube_obj_t *o)
{
    visit_t *v = arg;
    snprintf(v->names[v->n], sizeof(v->names[0]), "%s/%s", o->ns, o->name);
    v->n++;
    return 0;
}

static void test_cache_list_order_and_count_by_namespace(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r;
    visit_t v = {.n = 0};
    size_t n;
    create(f, KUBE_IMAGE, "b", "x", 0, NULL);
    new_cache(f);
    r = kube_cache_reader(f->c);
    create(f, KUBE_IMAGE, "a", "z", 0, NULL);
    create(f, KUBE_IMAGE, "b", "a", 0, NULL);
    create(f, KUBE_IMAGE, "a", "b", 0, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(r->list(r, KUBE_IMAGE, "", visit_rec, &v, NULL), 0);
    assert_int_equal(v.n, 4);
    assert_string_equal(v.names[0], "a/b");
    assert_string_equal(v.names[1], "a/z");
    assert_string_equal(v.names[2], "b/a");
    assert_string_equal(v.names[3], "b/x");
    memset(&v, 0, sizeof(v));
    assert_int_equal(r->list(r, KUBE_IMAGE, "a", visit_rec, &v, NULL), 0);
    assert_int_equal(v.n, 2);
    assert_int_equal(r->count(r, KUBE_IMAGE, "b", &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(r->count(r, KUBE_VOLUME, "", &n, NULL), 0);
    assert_int_equal(n, 0);
}

/* list_deleting visits what list visits with a visitor that skips the
 * objects without a deletion timestamp, in the same order, in the cache and
 * in the store, and nothing while no object is being deleted. */
static int visit_deleting(void *arg, const kube_obj_t *o)
{
    return o->deleting ? visit_rec(arg, o) : 0;
}

static void expect_same_deleting(kube_reader_t *r, const char *ns, int n)
{
    visit_t a = {.n = 0}, b = {.n = 0};
    kube_status_t st;
    int i;
    memset(&st, 0, sizeof(st));
    assert_int_equal(r->list(r, KUBE_VOLUME, ns, visit_deleting, &a, NULL), 0);
    assert_int_equal(r->list_deleting(r, KUBE_VOLUME, ns, visit_rec, &b, &st),
                     0);
    assert_int_equal(st.http, 200);
    assert_int_equal(a.n, n);
    assert_int_equal(b.n, n);
    for (i = 0; i < n; i++)
        assert_string_equal(a.names[i], b.names[i]);
}

static void test_list_deleting_visits_what_list_keeps(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r, *live = kube_store_reader(f->s);
    visit_t v = {.n = 0};
    kube_obj_t g;
    create(f, KUBE_VOLUME, NS, "v1", 1, NULL);
    create(f, KUBE_VOLUME, NS, "v2", 1, NULL);
    create(f, KUBE_VOLUME, NS, "v3", 0, NULL);
    create(f, KUBE_VOLUME, "zz", "v4", 1, NULL);
    create(f, KUBE_VOLUME, "aa", "v5", 1, NULL);
    new_cache(f);
    r = kube_cache_reader(f->c);
    expect_same_deleting(r, "", 0);
    assert_int_equal(kube_delete(f->s, KUBE_VOLUME, NS, "v2", NULL), 0);
    assert_int_equal(kube_delete(f->s, KUBE_VOLUME, NS, "v3", NULL), 0);
    assert_int_equal(kube_delete(f->s, KUBE_VOLUME, "zz", "v4", NULL), 0);
    assert_int_equal(kube_delete(f->s, KUBE_VOLUME, "aa", "v5", NULL), 0);
    expect_same_deleting(live, "", 3); /* the store at once */
    expect_same_deleting(r, "", 0);    /* the cache after its lag */
    sim_loop_run(&f->loop, SIM_NEVER);
    expect_same_deleting(r, "", 3);
    assert_int_equal(r->list_deleting(r, KUBE_VOLUME, "", visit_rec, &v, NULL),
                     0);
    assert_string_equal(v.names[0], "aa/v5");
    assert_string_equal(v.names[1], "default/v2");
    assert_string_equal(v.names[2], "zz/v4");
    expect_same_deleting(r, NS, 1);
    expect_same_deleting(r, "none", 0);
    /* An update of a deleting object keeps it counted; releasing its
     * finalizer removes it. */
    assert_int_equal(kube_get(f->s, KUBE_VOLUME, "zz", "v4", &g, NULL), 0);
    assert_int_equal(kube_status_set(&g, "name", "v4"), 0);
    assert_int_equal(kube_update_status(f->s, &g, NULL), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    expect_same_deleting(r, "", 3);
    assert_int_equal(kube_get(f->s, KUBE_VOLUME, NS, "v2", &g, NULL), 0);
    assert_int_equal(kube_remove_finalizer(&g, FIN), 1);
    assert_int_equal(kube_update(f->s, &g, NULL), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    expect_same_deleting(r, "", 2);
    expect_same_deleting(live, "", 2);
    expect_same_deleting(r, NS, 0);
}

static void test_cache_and_store_reader_differ_until_the_loop_runs(
    void **state)
{
    fx_t *f = *state;
    kube_reader_t *r, *live = kube_store_reader(f->s);
    size_t nc, nl;
    int i;
    char name[16];
    for (i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        create(f, KUBE_CONTAINER, NS, name, 0, NULL);
    }
    new_cache(f);
    r = kube_cache_reader(f->c);
    for (i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, name, NULL),
                         0);
    }
    assert_int_equal(live->count(live, KUBE_CONTAINER, NS, &nl, NULL), 0);
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &nc, NULL), 0);
    assert_int_equal(nl, 0);
    assert_int_equal(nc, 5);
    /* one event per turn: after one turn the cache has caught up by one */
    f->stop_each = 1;
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &nc, NULL), 0);
    assert_int_equal(nc, 4);
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "c0", NULL, NULL),
                     SIM_ENOTFOUND);
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "c1", NULL, NULL), 0);
    f->stop_each = 0;
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &nc, NULL), 0);
    assert_int_equal(nc, 0);
}

static void test_cache_free_inside_on_change_is_safe(void **state)
{
    fx_t *f = *state;
    new_cache(f);
    f->free_in_cb = 1;
    create(f, KUBE_CONTAINER, NS, "a", 0, NULL);
    create(f, KUBE_CONTAINER, NS, "b", 0, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nseen, 1);
    assert_null(f->c);
}

static void test_cache_traces_each_applied_event(void **state)
{
    fx_t *f = *state;
    sim_trace_t tr;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    new_cache(f);
    sim_trace_init(&tr, mem, NULL);
    f->loop.trace = &tr;
    create(f, KUBE_CONTAINER, NS, "web", 0, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    f->loop.trace = NULL;
    fclose(mem);
    assert_non_null(strstr(buf, "kube.cache.event cache=engine type=ADDED "
                                "kind=Container ns=default name=web rv=1"));
    free(buf);
}

static void test_cache_ten_thousand_objects(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r;
    kube_obj_t o;
    char name[32];
    size_t n;
    int i;
    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "c%05d", i);
        kube_obj_init(&o, KUBE_CONTAINER, NS, name);
        assert_int_equal(kube_create(f->s, &o, NULL), 0);
    }
    new_cache(f);
    f->count_only = 1;
    r = kube_cache_reader(f->c);
    for (i = 5000; i < 10000; i++) {
        snprintf(name, sizeof(name), "c%05d", i);
        kube_obj_init(&o, KUBE_CONTAINER, NS, name);
        assert_int_equal(kube_create(f->s, &o, NULL), 0);
    }
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &n, NULL), 0);
    assert_int_equal(n, 5000);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &n, NULL), 0);
    assert_int_equal(n, 10000);
    assert_int_equal(f->ncalls, 5000);
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "c09999", &o, NULL), 0);
    assert_int_equal(o.rv, 10000);
}

static void test_cache_new_oom_loop(void **state)
{
    fx_t *f = *state;
    unsigned long n;
    int rc = SIM_ENOMEM;
    kube_reader_t *r;
    size_t cnt;
    create(f, KUBE_CONTAINER, NS, "a", 0, NULL);
    create(f, KUBE_VOLUME, NS, "v", 0, NULL);
    for (n = 1; rc != 0; n++) {
        sim_alloc_fail_at(n);
        rc = kube_cache_new(f->s, "engine", on_change, f, &f->c);
        sim_alloc_fail_at(0);
        if (rc) {
            assert_int_equal(rc, SIM_ENOMEM);
            assert_null(f->c);
        }
    }
    assert_true(n > 3);
    r = kube_cache_reader(f->c);
    assert_int_equal(r->count(r, KUBE_VOLUME, "", &cnt, NULL), 0);
    assert_int_equal(cnt, 1);
    create(f, KUBE_VOLUME, NS, "w", 0, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nseen, 1); /* exactly one subscription left */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_cache_starts_with_the_initial_list),
        T(test_cache_read_before_run_sees_old_state),
        T(test_cache_applies_events_in_order_then_calls_on_change),
        T(test_terminating_objects_stay_in_cache_and_count),
        T(test_cache_list_order_and_count_by_namespace),
        T(test_list_deleting_visits_what_list_keeps),
        T(test_cache_and_store_reader_differ_until_the_loop_runs),
        T(test_cache_free_inside_on_change_is_safe),
        T(test_cache_traces_each_applied_event),
        T(test_cache_ten_thousand_objects),
        T(test_cache_new_oom_loop),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
