/*
 * test_kube_store.c: the apiserver fake's store, writes, watch and store
 * reader (fakes/kube/store.c, object.c) against docs/platform.md.
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
#include "sim/fault.h"
#include "sim/loop.h"
#include "sim/trace.h"

#define FIN "engine.rancherdesktop.io/mirror"
#define NS "default"

typedef struct {
    kube_event_type_t type;
    char name[KUBE_NAME_MAX];
    kube_kind_t kind;
    uint64_t rv;
    int64_t gen;
    int deleting;
    int nfin;
    uint64_t at_event;      /* loop->events when delivered */
} rec_ev_t;

typedef struct {
    sim_loop_t loop;
    kube_store_t *s;
    rec_ev_t ev[64];
    int nev;
    int unwatch_id;         /* unwatch this id inside the callback */
} fx_t;

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
    kube_store_free(f->s);
    sim_loop_run(&f->loop, SIM_NEVER);
    sim_loop_close(&f->loop);
    free(f);
    return 0;
}

static void on_event(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    fx_t *f = arg;
    rec_ev_t *e;
    assert_true(f->nev < (int)(sizeof(f->ev) / sizeof(f->ev[0])));
    e = &f->ev[f->nev++];
    e->type = type;
    snprintf(e->name, sizeof(e->name), "%s", o->name);
    e->kind = o->kind;
    e->rv = o->rv;
    e->gen = o->generation;
    e->deleting = o->deleting;
    e->nfin = o->nfin;
    e->at_event = f->loop.events;
    if (f->unwatch_id)
        kube_unwatch(f->s, f->unwatch_id);
}

static void mk(kube_obj_t *o, kube_kind_t kind, const char *ns,
               const char *name)
{
    kube_obj_init(o, kind, ns, name);
}

/* Creates a Container with optional finalizer and spec image. */
static void create_ctr(fx_t *f, const char *name, int fin, kube_obj_t *out)
{
    kube_obj_t o;
    mk(&o, KUBE_CONTAINER, NS, name);
    if (fin)
        assert_int_equal(kube_add_finalizer(&o, FIN), 1);
    assert_int_equal(kube_spec_set(&o, "image", "nginx"), 0);
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
    if (out)
        *out = o;
}

/* helpers ---------------------------------------------------------------*/

static void test_kind_resource_names_match_the_crds(void **state)
{
    (void)state;
    assert_string_equal(kube_kind_resource(KUBE_APP),
                        "apps.app.rancherdesktop.io");
    assert_string_equal(kube_kind_resource(KUBE_CONTAINER),
                        "containers.containers.rancherdesktop.io");
    assert_string_equal(kube_kind_resource(KUBE_IMAGE),
                        "images.containers.rancherdesktop.io");
    assert_string_equal(kube_kind_resource(KUBE_VOLUME),
                        "volumes.containers.rancherdesktop.io");
    assert_string_equal(kube_kind_resource(KUBE_CONTAINER_NS),
                        "containernamespaces.containers.rancherdesktop.io");
    assert_string_equal(kube_kind_name(KUBE_CONTAINER_NS),
                        "ContainerNamespace");
    assert_string_equal(kube_kind_name(KUBE_APP), "App");
}

static void test_field_helpers_add_replace_remove_and_range(void **state)
{
    kube_obj_t o;
    char key[16], big[KUBE_VAL_MAX + 1];
    int i;
    (void)state;
    mk(&o, KUBE_CONTAINER, NS, "c");
    assert_null(kube_spec_get(&o, "image"));
    assert_int_equal(kube_spec_set(&o, "image", "a"), 0);
    assert_int_equal(kube_spec_set(&o, "image", "b"), 0);
    assert_int_equal(o.nspec, 1);
    assert_string_equal(kube_spec_get(&o, "image"), "b");
    assert_int_equal(kube_status_set(&o, "running", "true"), 0);
    assert_string_equal(kube_status_get(&o, "running"), "true");
    for (i = 1; i < KUBE_FIELDS_MAX; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(kube_spec_set(&o, key, "v"), 0);
    }
    assert_int_equal(kube_spec_set(&o, "one-too-many", "v"), SIM_ERANGE);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(kube_status_set(&o, "big", big), SIM_ERANGE);

    assert_int_equal(kube_add_finalizer(&o, "a"), 1);
    assert_int_equal(kube_add_finalizer(&o, "a"), 0);
    assert_int_equal(kube_add_finalizer(&o, "b"), 1);
    assert_int_equal(kube_add_finalizer(&o, "c"), 1);
    assert_int_equal(kube_add_finalizer(&o, "d"), 1);
    assert_int_equal(kube_add_finalizer(&o, "e"), SIM_ERANGE);
    assert_int_equal(kube_remove_finalizer(&o, "b"), 1);
    assert_int_equal(kube_remove_finalizer(&o, "b"), 0);
    assert_int_equal(o.nfin, 3);
    assert_string_equal(o.fin[0], "a");
    assert_string_equal(o.fin[1], "c");
    assert_string_equal(o.fin[2], "d");
    assert_true(kube_has_finalizer(&o, "d"));
    assert_false(kube_has_finalizer(&o, "b"));
}

static void test_cond_set_moves_transition_time_only_on_status_change(
    void **state)
{
    kube_obj_t o;
    kube_cond_t c = {.type = "ContainerEngineReady", .status = "False",
                     .reason = "Stopped",
                     .message = "Container engine stopped",
                     .observed_gen = 1};
    const kube_cond_t *e;
    (void)state;
    mk(&o, KUBE_APP, "", "app");
    assert_null(kube_cond_find(&o, "ContainerEngineReady"));
    assert_int_equal(kube_cond_set(&o, &c, 100), 1);
    e = kube_cond_find(&o, "ContainerEngineReady");
    assert_non_null(e);
    assert_int_equal(e->last_transition_ns, 100);
    assert_int_equal(e->reason_since_ns, 100);
    /* same everything: no change */
    assert_int_equal(kube_cond_set(&o, &c, 200), 0);
    /* reason/message/generation change: changed, time kept; the reason's
     * own time (for stall lines) moves */
    snprintf(c.reason, sizeof(c.reason), "Other");
    c.observed_gen = 2;
    assert_int_equal(kube_cond_set(&o, &c, 300), 1);
    assert_int_equal(e->last_transition_ns, 100);
    assert_int_equal(e->reason_since_ns, 300);
    assert_string_equal(e->reason, "Other");
    assert_int_equal(e->observed_gen, 2);
    /* a message change alone keeps both times */
    snprintf(c.message, sizeof(c.message), "still stopped");
    assert_int_equal(kube_cond_set(&o, &c, 350), 1);
    assert_int_equal(e->reason_since_ns, 300);
    /* status change: time moves to now */
    snprintf(c.status, sizeof(c.status), "True");
    assert_int_equal(kube_cond_set(&o, &c, 400), 1);
    assert_int_equal(e->last_transition_ns, 400);
    assert_int_equal(e->reason_since_ns, 400);
    /* a given time is taken on a status change */
    snprintf(c.status, sizeof(c.status), "False");
    c.last_transition_ns = 50;
    assert_int_equal(kube_cond_set(&o, &c, 500), 1);
    assert_int_equal(e->last_transition_ns, 50);
    assert_int_equal(o.nconds, 1);
}

/* create / get ----------------------------------------------------------*/

static void test_create_sets_generation_1_uid_and_bumps_rv(void **state)
{
    fx_t *f = *state;
    kube_obj_t a, b, g;
    kube_status_t st;
    mk(&a, KUBE_CONTAINER, NS, "a");
    a.generation = 7;
    a.rv = 99;
    a.deleting = 1;
    assert_int_equal(kube_create(f->s, &a, &st), 0);
    assert_int_equal(st.http, 201);
    assert_int_equal(a.generation, 1);
    assert_int_equal(a.rv, 1);
    assert_int_equal(a.deleting, 0);
    assert_int_equal(kube_store_rv(f->s), 1);
    mk(&b, KUBE_IMAGE, NS, "b");
    assert_int_equal(kube_create(f->s, &b, NULL), 0);
    assert_int_equal(b.rv, 2);
    assert_true(b.uid != a.uid && a.uid != 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "a", &g, &st), 0);
    assert_int_equal(st.http, 200);
    assert_int_equal(g.rv, 1);
    assert_int_equal(g.uid, a.uid);
    assert_ptr_equal(kube_store_loop(f->s), &f->loop);
}

static void test_create_drops_status_like_a_crd_with_status_subresource(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t o, g;
    kube_cond_t c = {.type = "Running", .status = "True"};
    mk(&o, KUBE_APP, "", "app");
    assert_int_equal(kube_spec_set(&o, "containerEngine.name", "moby"), 0);
    assert_int_equal(kube_status_set(&o, "phase", "x"), 0);
    assert_int_equal(kube_cond_set(&o, &c, 1), 1);
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_APP, "", "app", &g, NULL), 0);
    assert_int_equal(g.nstatus, 0);
    assert_int_equal(g.nconds, 0);
    assert_string_equal(kube_spec_get(&g, "containerEngine.name"), "moby");
}

static void test_create_existing_is_409_already_exists_with_apiserver_text(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t o;
    kube_status_t st;
    create_ctr(f, "web", 0, NULL);
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_create(f->s, &o, &st), SIM_EEXIST);
    assert_int_equal(st.http, 409);
    assert_string_equal(st.reason, "AlreadyExists");
    assert_string_equal(st.message, "containers.containers.rancherdesktop.io "
                                    "\"web\" already exists");
    assert_int_equal(kube_store_rv(f->s), 1);
}

static void test_get_missing_is_404_with_apiserver_text(void **state)
{
    fx_t *f = *state;
    kube_obj_t o;
    kube_status_t st;
    assert_int_equal(kube_get(f->s, KUBE_VOLUME, NS, "vol-1", &o, &st),
                     SIM_ENOTFOUND);
    assert_int_equal(st.http, 404);
    assert_string_equal(st.reason, "NotFound");
    assert_string_equal(st.message,
                        "volumes.containers.rancherdesktop.io \"vol-1\" "
                        "not found");
    assert_int_equal(kube_get(f->s, KUBE_APP, "", "app", &o, &st),
                     SIM_ENOTFOUND);
    assert_string_equal(st.message,
                        "apps.app.rancherdesktop.io \"app\" not found");
}

/* update ----------------------------------------------------------------*/

static void test_update_with_stale_rv_is_409_with_apiserver_text(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t a, stale;
    kube_status_t st;
    create_ctr(f, "web", 0, &a);
    stale = a;
    assert_int_equal(kube_spec_set(&a, "image", "redis"), 0);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    assert_int_equal(kube_spec_set(&stale, "image", "busybox"), 0);
    assert_int_equal(kube_update(f->s, &stale, &st), SIM_ECONFLICT);
    assert_int_equal(st.http, 409);
    assert_string_equal(st.reason, "Conflict");
    assert_string_equal(st.message,
                        "Operation cannot be fulfilled on "
                        "containers.containers.rancherdesktop.io \"web\": "
                        "the object has been modified; please apply your "
                        "changes to the latest version and try again");
    assert_int_equal(kube_store_rv(f->s), 2);
}

static void test_update_with_rv_0_is_422_like_a_custom_resource(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    kube_status_t st;
    create_ctr(f, "web", 0, &a);
    a.rv = 0;
    assert_int_equal(kube_update(f->s, &a, &st), SIM_EINVALID);
    assert_int_equal(st.http, 422);
    assert_string_equal(st.reason, "Invalid");
    assert_string_equal(st.message,
                        "containers.containers.rancherdesktop.io \"web\" "
                        "is invalid: metadata.resourceVersion: Invalid "
                        "value: 0: must be specified for an update");
}

static void test_update_missing_is_404(void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    kube_status_t st;
    mk(&a, KUBE_CONTAINER, NS, "ghost");
    a.rv = 1;
    assert_int_equal(kube_update(f->s, &a, &st), SIM_ENOTFOUND);
    assert_int_equal(st.http, 404);
    assert_int_equal(kube_update_status(f->s, &a, &st), SIM_ENOTFOUND);
}

static void test_update_spec_change_bumps_generation_and_rv(void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    create_ctr(f, "web", 0, &a);
    assert_int_equal(kube_spec_set(&a, "image", "redis"), 0);
    a.generation = 40; /* clients cannot set it */
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    assert_int_equal(a.generation, 2);
    assert_int_equal(a.rv, 2);
    assert_string_equal(kube_spec_get(&a, "image"), "redis");
}

static void test_update_finalizer_only_change_keeps_generation(void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    create_ctr(f, "web", 0, &a);
    assert_int_equal(kube_add_finalizer(&a, FIN), 1);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    assert_int_equal(a.generation, 1);
    assert_int_equal(a.rv, 2);
    assert_int_equal(a.nfin, 1);
}

static void test_update_ignores_status_and_conditions(void **state)
{
    fx_t *f = *state;
    kube_obj_t a, g;
    kube_cond_t c = {.type = "Ready", .status = "True"};
    kube_status_t st;
    create_ctr(f, "web", 0, &a);
    assert_int_equal(kube_status_set(&a, "running", "true"), 0);
    assert_int_equal(kube_cond_set(&a, &c, 5), 1);
    assert_int_equal(kube_update(f->s, &a, &st), 0);
    assert_int_equal(st.http, 200);
    assert_int_equal(kube_store_rv(f->s), 1); /* nothing to write */
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_int_equal(g.nstatus, 0);
    assert_int_equal(g.nconds, 0);
    assert_int_equal(a.nstatus, 0); /* o refreshed from the store */
}

static void test_noop_update_keeps_rv_and_sends_no_event(void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    create_ctr(f, "web", 1, &a);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    assert_int_equal(kube_update_status(f->s, &a, NULL), 0);
    assert_int_equal(kube_apply(f->s, &a, 0, NULL), 0);
    assert_int_equal(kube_apply(f->s, &a, 1, NULL), 0);
    assert_int_equal(a.rv, 1);
    assert_int_equal(kube_store_rv(f->s), 1);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 0);
}

static void test_update_status_never_bumps_generation(void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    kube_cond_t c = {.type = "ContainerEngineReady", .status = "True",
                     .reason = "Connected"};
    create_ctr(f, "web", 0, &a);
    assert_int_equal(kube_status_set(&a, "running", "true"), 0);
    assert_int_equal(kube_cond_set(&a, &c, 10), 1);
    assert_int_equal(kube_update_status(f->s, &a, NULL), 0);
    assert_int_equal(a.generation, 1);
    assert_int_equal(a.rv, 2);
    assert_string_equal(kube_status_get(&a, "running"), "true");
    assert_int_equal(a.nconds, 1);
    assert_int_equal(a.conds[0].last_transition_ns, 10);
}

static void test_update_status_ignores_spec_and_finalizers(void **state)
{
    fx_t *f = *state;
    kube_obj_t a, g;
    create_ctr(f, "web", 0, &a);
    assert_int_equal(kube_spec_set(&a, "image", "redis"), 0);
    assert_int_equal(kube_add_finalizer(&a, FIN), 1);
    assert_int_equal(kube_status_set(&a, "pid", "42"), 0);
    assert_int_equal(kube_update_status(f->s, &a, NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_string_equal(kube_spec_get(&g, "image"), "nginx");
    assert_int_equal(g.nfin, 0);
    assert_string_equal(kube_status_get(&g, "pid"), "42");
    assert_int_equal(g.generation, 1);
}

static void test_update_status_with_stale_rv_is_409(void **state)
{
    fx_t *f = *state;
    kube_obj_t a, stale;
    kube_status_t st;
    create_ctr(f, "web", 0, &a);
    stale = a;
    assert_int_equal(kube_spec_set(&a, "image", "redis"), 0);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    assert_int_equal(kube_status_set(&stale, "pid", "1"), 0);
    assert_int_equal(kube_update_status(f->s, &stale, &st), SIM_ECONFLICT);
    assert_int_equal(st.http, 409);
    assert_string_equal(st.reason, "Conflict");
}

/* delete and finalizers --------------------------------------------------*/

static void test_delete_without_finalizers_removes_at_once(void **state)
{
    fx_t *f = *state;
    kube_obj_t g;
    kube_status_t st;
    create_ctr(f, "web", 0, NULL);
    assert_true(kube_watch(f->s, KUBE_CONTAINER, on_event, f) > 0);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", &st), 0);
    assert_int_equal(st.http, 200);
    assert_int_equal(kube_store_rv(f->s), 2);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL),
                     SIM_ENOTFOUND);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].type, KUBE_DELETED);
    assert_int_equal(f->ev[0].rv, 2); /* the deletion's revision */
}

static void test_delete_missing_is_404_with_apiserver_text(void **state)
{
    fx_t *f = *state;
    kube_status_t st;
    assert_int_equal(kube_delete(f->s, KUBE_IMAGE, NS, "img-1", &st),
                     SIM_ENOTFOUND);
    assert_int_equal(st.http, 404);
    assert_string_equal(st.message, "images.containers.rancherdesktop.io "
                                    "\"img-1\" not found");
}

static void test_delete_with_finalizers_sets_timestamp_bumps_generation(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t g;
    create_ctr(f, "web", 1, NULL);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    sim_loop_run(&f->loop, SIM_MS(1500));
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_true(g.deleting);
    assert_int_equal(g.deletion_ns, SIM_MS(1500));
    assert_int_equal(g.generation, 2);
    assert_int_equal(g.rv, 2);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].type, KUBE_MODIFIED);
    assert_true(f->ev[0].deleting);
}

static void test_second_delete_keeps_timestamp_and_writes_nothing(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t g;
    kube_status_t st;
    create_ctr(f, "web", 1, NULL);
    sim_loop_run(&f->loop, SIM_S(1));
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", NULL), 0);
    sim_loop_run(&f->loop, SIM_S(3));
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", &st), 0);
    assert_int_equal(st.http, 200);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_int_equal(g.deletion_ns, SIM_S(1));
    assert_int_equal(g.generation, 2);
    assert_int_equal(kube_store_rv(f->s), 2);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 0);
}

static void test_removing_last_finalizer_of_deleting_object_deletes_it(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t g;
    kube_status_t st;
    create_ctr(f, "web", 1, NULL);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", NULL), 0);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_int_equal(kube_remove_finalizer(&g, FIN), 1);
    assert_int_equal(kube_update(f->s, &g, &st), 0);
    assert_int_equal(st.http, 200);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", NULL, NULL),
                     SIM_ENOTFOUND);
    assert_int_equal(kube_store_rv(f->s), 3);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].type, KUBE_DELETED);
    assert_int_equal(f->ev[0].rv, 3);
    assert_int_equal(f->ev[0].nfin, 0);
}

static void test_removing_one_of_two_finalizers_keeps_deleting_object(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    create_ctr(f, "web", 1, &a);
    assert_int_equal(kube_add_finalizer(&a, "other/fin"), 1);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &a, NULL), 0);
    assert_int_equal(kube_remove_finalizer(&a, FIN), 1);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &a, NULL), 0);
    assert_true(a.deleting);
    assert_int_equal(a.nfin, 1);
    assert_string_equal(a.fin[0], "other/fin");
}

static void test_adding_finalizer_while_deleting_is_422_with_apiserver_text(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t a, ap;
    kube_status_t st;
    static const char *const want =
        "metadata.finalizers: Forbidden: no new finalizers can be added if "
        "the object is being deleted, found new finalizers "
        "[]string{\"" FIN "\"}";
    mk(&a, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_add_finalizer(&a, "other/fin"), 1);
    assert_int_equal(kube_create(f->s, &a, NULL), 0);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &a, NULL), 0);
    ap = a;
    assert_int_equal(kube_add_finalizer(&a, FIN), 1);
    assert_int_equal(kube_update(f->s, &a, &st), SIM_EINVALID);
    assert_int_equal(st.http, 422);
    assert_string_equal(st.reason, "Invalid");
    assert_string_equal(st.message, want);
    /* the SSA metadata apply of RDD's applyContainer gets the same */
    mk(&ap, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_add_finalizer(&ap, FIN), 1);
    assert_int_equal(kube_apply(f->s, &ap, 0, &st), SIM_EINVALID);
    assert_int_equal(st.http, 422);
    assert_string_equal(st.message, want);
    /* two new ones are listed Go-style */
    assert_int_equal(kube_add_finalizer(&ap, "x/y"), 1);
    assert_int_equal(kube_apply(f->s, &ap, 0, &st), SIM_EINVALID);
    assert_string_equal(st.message,
                        "metadata.finalizers: Forbidden: no new finalizers "
                        "can be added if the object is being deleted, found "
                        "new finalizers []string{\"" FIN "\", \"x/y\"}");
    assert_int_equal(kube_store_rv(f->s), 2);
}

/* apply -----------------------------------------------------------------*/

static void test_apply_creates_absent_object_with_generation_1(void **state)
{
    fx_t *f = *state;
    kube_obj_t o, g;
    kube_status_t st;
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_add_finalizer(&o, FIN), 1);
    assert_int_equal(kube_spec_set(&o, "image", "nginx"), 0);
    snprintf(o.provenance, sizeof(o.provenance), "daemon-a");
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    assert_int_equal(kube_apply(f->s, &o, 0, &st), 0);
    assert_int_equal(st.http, 201);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_int_equal(g.generation, 1);
    assert_int_equal(g.rv, 1);
    assert_int_equal(g.nfin, 1);
    assert_string_equal(g.provenance, "daemon-a");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].type, KUBE_ADDED);
}

static void test_apply_merges_fields_and_finalizers(void **state)
{
    fx_t *f = *state;
    kube_obj_t o, g;
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_add_finalizer(&o, "other/fin"), 1);
    assert_int_equal(kube_spec_set(&o, "image", "nginx"), 0);
    assert_int_equal(kube_spec_set(&o, "cmd", "sh"), 0);
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_add_finalizer(&o, FIN), 1);
    assert_int_equal(kube_apply(f->s, &o, 0, NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_int_equal(g.nfin, 2);
    assert_string_equal(g.fin[0], "other/fin");
    assert_string_equal(g.fin[1], FIN);
    assert_int_equal(g.generation, 1); /* metadata only */
    assert_int_equal(g.rv, 2);
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_spec_set(&o, "image", "redis"), 0);
    assert_int_equal(kube_apply(f->s, &o, 0, NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_string_equal(kube_spec_get(&g, "image"), "redis");
    assert_string_equal(kube_spec_get(&g, "cmd"), "sh");
    assert_int_equal(g.nfin, 2);
    assert_int_equal(g.generation, 2);
    assert_int_equal(g.rv, 3);
}

static void test_apply_noop_writes_nothing(void **state)
{
    fx_t *f = *state;
    kube_obj_t o;
    kube_status_t st;
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_add_finalizer(&o, FIN), 1);
    assert_int_equal(kube_apply(f->s, &o, 0, NULL), 0);
    assert_int_equal(kube_status_set(&o, "running", "true"), 0);
    assert_int_equal(kube_apply(f->s, &o, 1, NULL), 0);
    assert_int_equal(kube_store_rv(f->s), 2);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    assert_int_equal(kube_apply(f->s, &o, 0, &st), 0);
    assert_int_equal(st.http, 200);
    assert_int_equal(kube_apply(f->s, &o, 1, &st), 0);
    assert_int_equal(kube_store_rv(f->s), 2);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 0);
}

static void test_apply_status_part_takes_only_status_and_keeps_generation(
    void **state)
{
    fx_t *f = *state;
    kube_obj_t o, g;
    kube_cond_t c = {.type = "Ready", .status = "True", .reason = "R",
                     .last_transition_ns = 77};
    create_ctr(f, "web", 1, NULL);
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_spec_set(&o, "image", "ignored"), 0);
    assert_int_equal(kube_add_finalizer(&o, "ignored/fin"), 1);
    assert_int_equal(kube_status_set(&o, "status", "running"), 0);
    assert_int_equal(kube_cond_set(&o, &c, 0), 1);
    assert_int_equal(kube_apply(f->s, &o, 1, NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_string_equal(kube_spec_get(&g, "image"), "nginx");
    assert_int_equal(g.nfin, 1);
    assert_string_equal(kube_status_get(&g, "status"), "running");
    assert_int_equal(g.nconds, 1);
    assert_int_equal(g.conds[0].last_transition_ns, 77);
    assert_int_equal(g.generation, 1);
    assert_int_equal(g.rv, 2);
    /* a second status apply merges by key */
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_status_set(&o, "pid", "9"), 0);
    assert_int_equal(kube_apply(f->s, &o, 1, NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_string_equal(kube_status_get(&g, "status"), "running");
    assert_string_equal(kube_status_get(&g, "pid"), "9");
    assert_int_equal(g.generation, 1);
}

static void test_apply_status_part_on_absent_object_is_404(void **state)
{
    fx_t *f = *state;
    kube_obj_t o;
    kube_status_t st;
    mk(&o, KUBE_CONTAINER, NS, "gone");
    assert_int_equal(kube_status_set(&o, "status", "running"), 0);
    assert_int_equal(kube_apply(f->s, &o, 1, &st), SIM_ENOTFOUND);
    assert_int_equal(st.http, 404);
    assert_string_equal(st.message, "containers.containers.rancherdesktop.io "
                                    "\"gone\" not found");
    assert_int_equal(kube_store_rv(f->s), 0);
}

static void test_provenance_change_is_a_write(void **state)
{
    fx_t *f = *state;
    kube_obj_t o, g;
    mk(&o, KUBE_CONTAINER, NS, "web");
    snprintf(o.provenance, sizeof(o.provenance), "daemon-a");
    assert_int_equal(kube_apply(f->s, &o, 0, NULL), 0);
    snprintf(o.provenance, sizeof(o.provenance), "daemon-b");
    assert_int_equal(kube_apply(f->s, &o, 1, NULL), 0);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "web", &g, NULL), 0);
    assert_string_equal(g.provenance, "daemon-b");
    assert_int_equal(g.rv, 2);
    assert_int_equal(g.generation, 1);
    /* an empty provenance keeps the stored one */
    g.provenance[0] = 0;
    assert_int_equal(kube_update_status(f->s, &g, NULL), 0);
    assert_string_equal(g.provenance, "daemon-b");
    assert_int_equal(kube_store_rv(f->s), 2);
    snprintf(g.provenance, sizeof(g.provenance), "daemon-c");
    assert_int_equal(kube_update_status(f->s, &g, NULL), 0);
    assert_int_equal(kube_store_rv(f->s), 3);
}

/* watch -----------------------------------------------------------------*/

static void test_watch_delivers_in_commit_order_on_a_later_turn(void **state)
{
    fx_t *f = *state;
    kube_obj_t a;
    uint64_t ev0 = f->loop.events;
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    create_ctr(f, "b", 0, &a);
    assert_int_equal(kube_spec_set(&a, "image", "x"), 0);
    assert_int_equal(kube_update(f->s, &a, NULL), 0);
    create_ctr(f, "a", 0, NULL);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "b", NULL), 0);
    assert_int_equal(f->nev, 0); /* never inside the write */
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 4);
    assert_int_equal(f->ev[0].type, KUBE_ADDED);
    assert_string_equal(f->ev[0].name, "b");
    assert_int_equal(f->ev[0].rv, 1);
    assert_int_equal(f->ev[1].type, KUBE_MODIFIED);
    assert_int_equal(f->ev[1].rv, 2);
    assert_int_equal(f->ev[1].gen, 2);
    assert_int_equal(f->ev[2].type, KUBE_ADDED);
    assert_string_equal(f->ev[2].name, "a");
    assert_int_equal(f->ev[3].type, KUBE_DELETED);
    assert_string_equal(f->ev[3].name, "b");
    assert_int_equal(f->ev[3].rv, 4);
    /* one event per turn, at the commit's virtual time */
    assert_true(f->ev[0].at_event > ev0);
    assert_true(f->ev[1].at_event > f->ev[0].at_event);
    assert_int_equal(f->loop.now_ns, 0);
}

static void test_watch_filters_by_kind_and_does_not_replay(void **state)
{
    fx_t *f = *state;
    kube_obj_t o;
    create_ctr(f, "before", 0, NULL);
    assert_true(kube_watch(f->s, KUBE_IMAGE, on_event, f) > 0);
    create_ctr(f, "after", 0, NULL);
    mk(&o, KUBE_IMAGE, NS, "img-1");
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].kind, KUBE_IMAGE);
    assert_string_equal(f->ev[0].name, "img-1");
    assert_int_equal(kube_watch(f->s, (kube_kind_t)99, on_event, f),
                     SIM_EINVAL);
}

static void test_unwatch_drops_pending_events_and_is_safe_in_callback(
    void **state)
{
    fx_t *f = *state;
    int id1, id2;
    id1 = kube_watch(f->s, KUBE_KIND__COUNT, on_event, f);
    assert_true(id1 > 0);
    create_ctr(f, "a", 0, NULL);
    kube_unwatch(f->s, id1);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 0);
    id2 = kube_watch(f->s, KUBE_KIND__COUNT, on_event, f);
    assert_true(id2 > id1);
    f->unwatch_id = id2;
    create_ctr(f, "b", 0, NULL);
    create_ctr(f, "c", 0, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1); /* unwatched inside the first callback */
    kube_unwatch(f->s, 12345);   /* unknown ids are ignored */
}

static void free_store_cb(void *arg, kube_event_type_t type,
                          const kube_obj_t *o)
{
    fx_t *f = arg;
    f->nev++;
    kube_store_free(f->s);
    f->s = NULL;
}

static void test_store_free_inside_watch_callback_is_safe(void **state)
{
    fx_t *f = *state;
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, free_store_cb, f) > 0);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    create_ctr(f, "a", 0, NULL);
    create_ctr(f, "b", 0, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_null(f->s);
}

static void write_back_cb(void *arg, kube_event_type_t type,
                          const kube_obj_t *o)
{
    fx_t *f = arg;
    kube_obj_t w = *o;
    on_event(arg, type, o);
    if (type != KUBE_ADDED)
        return;
    assert_int_equal(kube_spec_set(&w, "seen", "yes"), 0);
    assert_int_equal(kube_update(f->s, &w, NULL), 0);
    assert_int_equal(f->nev, 1); /* not delivered inside the write */
}

static void test_write_inside_watch_callback_arrives_on_a_later_turn(
    void **state)
{
    fx_t *f = *state;
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, write_back_cb, f) > 0);
    create_ctr(f, "web", 0, NULL);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 2);
    assert_int_equal(f->ev[1].type, KUBE_MODIFIED);
    assert_int_equal(f->ev[1].rv, 2);
    assert_int_equal(f->ev[1].gen, 2);
    assert_true(f->ev[1].at_event > f->ev[0].at_event);
}

static void test_malformed_object_is_400_and_writes_nothing(void **state)
{
    fx_t *f = *state;
    kube_obj_t o;
    kube_status_t st;
    mk(&o, KUBE_CONTAINER, NS, "web");
    o.nspec = KUBE_FIELDS_MAX + 1;
    assert_int_equal(kube_create(f->s, &o, &st), SIM_EINVAL);
    assert_int_equal(st.http, 400);
    mk(&o, KUBE_CONTAINER, NS, "web");
    memset(o.name, 'x', sizeof(o.name)); /* no NUL */
    assert_int_equal(kube_apply(f->s, &o, 0, &st), SIM_EINVAL);
    assert_int_equal(kube_store_rv(f->s), 0);
}

/* store reader ----------------------------------------------------------*/

typedef struct {
    char names[16][KUBE_NAME_MAX + KUBE_NS_MAX];
    int n;
    int stop_after;
    kube_store_t *del_from;
} visit_t;

static int visit_rec(void *arg, const kube_obj_t *o)
{
    visit_t *v = arg;
    snprintf(v->names[v->n], sizeof(v->names[0]), "%s/%s", o->ns, o->name);
    v->n++;
    if (v->del_from)
        assert_int_equal(kube_delete(v->del_from, o->kind, o->ns, o->name,
                                     NULL),
                         0);
    return v->stop_after && v->n >= v->stop_after;
}

static void create_in(fx_t *f, const char *ns, const char *name)
{
    kube_obj_t o;
    mk(&o, KUBE_VOLUME, ns, name);
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
}

static void test_store_reader_lists_in_ns_name_order(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r = kube_store_reader(f->s);
    kube_obj_t o;
    kube_status_t st;
    visit_t v = {.n = 0};
    create_in(f, "b", "z");
    create_in(f, "a", "y");
    create_in(f, "b", "a");
    create_in(f, "a", "z");
    create_in(f, "c", "m");
    assert_int_equal(r->list(r, KUBE_VOLUME, "", visit_rec, &v, &st), 0);
    assert_int_equal(st.http, 200);
    assert_int_equal(v.n, 5);
    assert_string_equal(v.names[0], "a/y");
    assert_string_equal(v.names[1], "a/z");
    assert_string_equal(v.names[2], "b/a");
    assert_string_equal(v.names[3], "b/z");
    assert_string_equal(v.names[4], "c/m");
    memset(&v, 0, sizeof(v));
    assert_int_equal(r->list(r, KUBE_VOLUME, "b", visit_rec, &v, NULL), 0);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.names[0], "b/a");
    assert_string_equal(v.names[1], "b/z");
    memset(&v, 0, sizeof(v));
    assert_int_equal(r->list(r, KUBE_VOLUME, "nope", visit_rec, &v, NULL),
                     0);
    assert_int_equal(v.n, 0);
    memset(&v, 0, sizeof(v));
    v.stop_after = 2;
    assert_int_equal(r->list(r, KUBE_VOLUME, "", visit_rec, &v, NULL), 0);
    assert_int_equal(v.n, 2);
    assert_int_equal(r->get(r, KUBE_VOLUME, "b", "z", &o, &st), 0);
    assert_string_equal(o.name, "z");
    assert_int_equal(r->get(r, KUBE_VOLUME, "a", "a", &o, &st),
                     SIM_ENOTFOUND);
    assert_int_equal(st.http, 404);
}

static void test_store_reader_counts_by_namespace(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r = kube_store_reader(f->s);
    size_t n = 99;
    create_in(f, "b", "z");
    create_in(f, "a", "y");
    create_in(f, "b", "a");
    create_in(f, "c", "m");
    assert_int_equal(r->count(r, KUBE_VOLUME, "", &n, NULL), 0);
    assert_int_equal(n, 4);
    assert_int_equal(r->count(r, KUBE_VOLUME, "b", &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(r->count(r, KUBE_VOLUME, "bb", &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(r->count(r, KUBE_CONTAINER, "", &n, NULL), 0);
    assert_int_equal(n, 0);
}

static void test_list_visitor_may_delete_what_it_lists(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r = kube_store_reader(f->s);
    visit_t v = {.n = 0, .del_from = NULL};
    size_t n;
    create_in(f, NS, "a");
    create_in(f, NS, "b");
    create_in(f, NS, "c");
    create_in(f, "other", "d");
    v.del_from = f->s;
    assert_int_equal(r->list(r, KUBE_VOLUME, NS, visit_rec, &v, NULL), 0);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.names[2], NS "/c");
    assert_int_equal(r->count(r, KUBE_VOLUME, "", &n, NULL), 0);
    assert_int_equal(n, 1);
}

typedef struct {
    size_t n;
    char last[KUBE_NAME_MAX];
    int ordered;
} order_t;

static int visit_order(void *arg, const kube_obj_t *o)
{
    order_t *v = arg;
    if (v->n && strcmp(v->last, o->name) >= 0)
        v->ordered = 0;
    snprintf(v->last, sizeof(v->last), "%s", o->name);
    v->n++;
    return 0;
}

static void test_ten_thousand_objects_insert_count_and_list(void **state)
{
    fx_t *f = *state;
    kube_reader_t *r = kube_store_reader(f->s);
    order_t v = {.ordered = 1};
    kube_obj_t o;
    char name[32];
    size_t n;
    int i;
    /* a stride that is coprime with 10007 visits every slot, out of
     * order, so both the append path and the bisection insert run */
    for (i = 0; i < 10007; i++) {
        snprintf(name, sizeof(name), "c%05d", (i * 7919) % 10007);
        mk(&o, KUBE_CONTAINER, NS, name);
        assert_int_equal(kube_add_finalizer(&o, FIN), 1);
        assert_int_equal(kube_create(f->s, &o, NULL), 0);
    }
    for (i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "z%05d", i);
        mk(&o, KUBE_CONTAINER, NS, name);
        assert_int_equal(kube_create(f->s, &o, NULL), 0);
    }
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &n, NULL), 0);
    assert_int_equal(n, 13007);
    assert_int_equal(r->list(r, KUBE_CONTAINER, "", visit_order, &v, NULL),
                     0);
    assert_int_equal(v.n, 13007);
    assert_true(v.ordered);
    for (i = 0; i < 10007; i += 2) {
        snprintf(name, sizeof(name), "c%05d", i);
        assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, name, NULL),
                         0);
    }
    for (i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "z%05d", i);
        assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, name, NULL),
                         0);
    }
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &n, NULL), 0);
    assert_int_equal(n, 10007);
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, "c05000", &o, NULL),
                     0);
    assert_true(o.deleting);
    assert_int_equal(kube_store_rv(f->s), 13007 + 5004 + 3000);
}

/* faults ----------------------------------------------------------------*/

static void arm(sim_faults_t *fs, sim_fault_site_t site, const char *target)
{
    sim_fault_arm_t a;
    memset(&a, 0, sizeof(a));
    snprintf(a.target, sizeof(a.target), "%s", target);
    a.by_count = 1;
    a.after = 0;
    a.repeat = 1;
    sim_faults_arm(fs, site, &a, 1);
}

static void test_fault_conflict_returns_409_with_apiserver_text(void **state)
{
    fx_t *f = *state;
    sim_faults_t fs;
    kube_obj_t a;
    kube_status_t st;
    sim_faults_init(&fs);
    f->loop.faults = &fs;
    create_ctr(f, "web", 0, &a);
    arm(&fs, SIM_FAULT_KUBE_UPDATE_CONFLICT, "apiserver");
    assert_int_equal(kube_spec_set(&a, "image", "redis"), 0);
    assert_int_equal(kube_update(f->s, &a, &st), SIM_ECONFLICT);
    assert_int_equal(st.http, 409);
    assert_string_equal(st.reason, "Conflict");
    assert_string_equal(st.message,
                        "Operation cannot be fulfilled on "
                        "containers.containers.rancherdesktop.io \"web\": "
                        "the object has been modified; please apply your "
                        "changes to the latest version and try again");
    assert_int_equal(kube_store_rv(f->s), 1);
    assert_int_equal(kube_update(f->s, &a, &st), 0); /* repeat = 1 */
    arm(&fs, SIM_FAULT_KUBE_UPDATE_CONFLICT, "apiserver");
    assert_int_equal(kube_status_set(&a, "pid", "1"), 0);
    assert_int_equal(kube_update_status(f->s, &a, &st), SIM_ECONFLICT);
    f->loop.faults = NULL;
}

static void test_fault_apf_returns_429_with_apiserver_text(void **state)
{
    fx_t *f = *state;
    sim_faults_t fs;
    kube_obj_t o;
    kube_status_t st;
    sim_faults_init(&fs);
    f->loop.faults = &fs;
    arm(&fs, SIM_FAULT_KUBE_APF_THROTTLED, "apiserver");
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_create(f->s, &o, &st), SIM_ETOOMANY);
    assert_int_equal(st.http, 429);
    assert_string_equal(st.reason, "TooManyRequests");
    assert_string_equal(st.message,
                        "Too many requests, please try again later.");
    assert_int_equal(kube_store_rv(f->s), 0);
    assert_int_equal(kube_create(f->s, &o, &st), 0);
    arm(&fs, SIM_FAULT_KUBE_APF_THROTTLED, "apiserver");
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", &st),
                     SIM_ETOOMANY);
    arm(&fs, SIM_FAULT_KUBE_APF_THROTTLED, "apiserver");
    assert_int_equal(kube_apply(f->s, &o, 0, &st), SIM_ETOOMANY);
    f->loop.faults = NULL;
}

static void test_fault_server_error_returns_500_with_text(void **state)
{
    fx_t *f = *state;
    sim_faults_t fs;
    kube_obj_t o;
    kube_status_t st;
    sim_faults_init(&fs);
    f->loop.faults = &fs;
    create_ctr(f, "web", 0, &o);
    arm(&fs, SIM_FAULT_KUBE_SERVER_ERROR, "apiserver");
    assert_int_equal(kube_spec_set(&o, "image", "redis"), 0);
    assert_int_equal(kube_update(f->s, &o, &st), SIM_ESERVER);
    assert_int_equal(st.http, 500);
    assert_string_equal(st.reason, "InternalError");
    assert_string_equal(st.message, "Internal error occurred: injected");
    assert_int_equal(kube_store_rv(f->s), 1);
    f->loop.faults = NULL;
}

/* kube.apiserver.unavailable: the write it fires on opens an outage of
 * 1-30 s; every write in it is refused without an HTTP exchange, and the
 * store answers again after it. */
static void test_fault_apiserver_unavailable_refuses_until_it_is_back(
    void **state)
{
    fx_t *f = *state;
    sim_faults_t fs;
    kube_obj_t o;
    kube_status_t st;
    uint64_t rv;
    sim_faults_init(&fs);
    f->loop.faults = &fs;
    create_ctr(f, "web", 0, &o);
    rv = kube_store_rv(f->s);
    arm(&fs, SIM_FAULT_KUBE_APISERVER_UNAVAILABLE, "apiserver");
    assert_int_equal(kube_spec_set(&o, "image", "redis"), 0);
    assert_int_equal(kube_update(f->s, &o, &st), SIM_ECONNREFUSED);
    assert_int_equal(st.http, 0);
    assert_string_equal(st.message,
                        "dial tcp 127.0.0.1: connect: connection refused");
    /* the site fired once (repeat 1); the outage goes on without it; the
     * text names the address the clients dial once it is known */
    kube_store_set_addr(f->s, "127.0.0.1:6445");
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", &st),
                     SIM_ECONNREFUSED);
    assert_string_equal(st.message,
                        "dial tcp 127.0.0.1:6445: connect: connection refused");
    assert_int_equal(fs.site[SIM_FAULT_KUBE_APISERVER_UNAVAILABLE].fired, 1);
    assert_int_equal(kube_store_rv(f->s), rv);
    sim_loop_run(&f->loop, sim_now(&f->loop) + 31 * SIM_NS_PER_S);
    assert_int_equal(kube_update(f->s, &o, &st), 0);
    assert_true(kube_store_rv(f->s) > rv);
    f->loop.faults = NULL;
}

static void test_fault_targets_only_the_named_store(void **state)
{
    fx_t *f = *state;
    sim_faults_t fs;
    kube_obj_t o;
    sim_faults_init(&fs);
    f->loop.faults = &fs;
    arm(&fs, SIM_FAULT_KUBE_SERVER_ERROR, "other-apiserver");
    mk(&o, KUBE_CONTAINER, NS, "web");
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
    assert_int_equal(fs.site[SIM_FAULT_KUBE_SERVER_ERROR].fired, 0);
    f->loop.faults = NULL;
}

/* trace -----------------------------------------------------------------*/

static void test_trace_records_writes_and_errors(void **state)
{
    fx_t *f = *state;
    sim_trace_t tr;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    kube_obj_t a;
    assert_non_null(mem);
    sim_trace_init(&tr, mem, NULL);
    f->loop.trace = &tr;
    create_ctr(f, "web", 0, &a);
    a.rv = 7;
    assert_int_equal(kube_update(f->s, &a, NULL), SIM_ECONFLICT);
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "web", NULL), 0);
    f->loop.trace = NULL;
    fclose(mem);
    assert_non_null(strstr(buf, "kube.obj.create store=apiserver "
                                "kind=Container ns=default name=web "
                                "result=created rv=1 gen=1"));
    assert_non_null(strstr(buf, "kube.obj.update store=apiserver "
                                "kind=Container ns=default name=web "
                                "err=ECONFLICT http=409"));
    assert_non_null(strstr(buf, "kube.obj.delete store=apiserver "
                                "kind=Container ns=default name=web "
                                "result=deleted rv=2 gen=1"));
    free(buf);
}

/* oom -------------------------------------------------------------------*/

static void test_store_new_oom_loop(void **state)
{
    sim_loop_t loop;
    kube_store_t *s = NULL;
    unsigned long n;
    int rc = SIM_ENOMEM;
    (void)state;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    for (n = 1; rc != 0; n++) {
        sim_alloc_fail_at(n);
        rc = kube_store_new(&loop, "apiserver", &s);
        if (rc) {
            assert_int_equal(rc, SIM_ENOMEM);
            assert_null(s);
        }
    }
    sim_alloc_fail_at(0);
    assert_non_null(s);
    kube_store_free(s);
    sim_loop_close(&loop);
}

static void test_writes_under_oom_commit_nothing(void **state)
{
    fx_t *f = *state;
    kube_obj_t o;
    unsigned long n;
    int rc = SIM_ENOMEM;
    size_t cnt;
    kube_reader_t *r = kube_store_reader(f->s);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, on_event, f) > 0);
    for (n = 1; rc != 0; n++) {
        mk(&o, KUBE_CONTAINER, NS, "web");
        sim_alloc_fail_at(n);
        rc = kube_create(f->s, &o, NULL);
        sim_alloc_fail_at(0);
        if (rc) {
            assert_int_equal(rc, SIM_ENOMEM);
            assert_int_equal(kube_store_rv(f->s), 0);
            assert_int_equal(r->count(r, KUBE_CONTAINER, "", &cnt, NULL), 0);
            assert_int_equal(cnt, 0);
        }
    }
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].rv, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_kind_resource_names_match_the_crds),
        T(test_field_helpers_add_replace_remove_and_range),
        T(test_cond_set_moves_transition_time_only_on_status_change),
        T(test_create_sets_generation_1_uid_and_bumps_rv),
        T(test_create_drops_status_like_a_crd_with_status_subresource),
        T(test_create_existing_is_409_already_exists_with_apiserver_text),
        T(test_get_missing_is_404_with_apiserver_text),
        T(test_update_with_stale_rv_is_409_with_apiserver_text),
        T(test_update_with_rv_0_is_422_like_a_custom_resource),
        T(test_update_missing_is_404),
        T(test_update_spec_change_bumps_generation_and_rv),
        T(test_update_finalizer_only_change_keeps_generation),
        T(test_update_ignores_status_and_conditions),
        T(test_noop_update_keeps_rv_and_sends_no_event),
        T(test_update_status_never_bumps_generation),
        T(test_update_status_ignores_spec_and_finalizers),
        T(test_update_status_with_stale_rv_is_409),
        T(test_delete_without_finalizers_removes_at_once),
        T(test_delete_missing_is_404_with_apiserver_text),
        T(test_delete_with_finalizers_sets_timestamp_bumps_generation),
        T(test_second_delete_keeps_timestamp_and_writes_nothing),
        T(test_removing_last_finalizer_of_deleting_object_deletes_it),
        T(test_removing_one_of_two_finalizers_keeps_deleting_object),
        T(test_adding_finalizer_while_deleting_is_422_with_apiserver_text),
        T(test_apply_creates_absent_object_with_generation_1),
        T(test_apply_merges_fields_and_finalizers),
        T(test_apply_noop_writes_nothing),
        T(test_apply_status_part_takes_only_status_and_keeps_generation),
        T(test_apply_status_part_on_absent_object_is_404),
        T(test_provenance_change_is_a_write),
        T(test_watch_delivers_in_commit_order_on_a_later_turn),
        T(test_watch_filters_by_kind_and_does_not_replay),
        T(test_unwatch_drops_pending_events_and_is_safe_in_callback),
        T(test_store_free_inside_watch_callback_is_safe),
        T(test_write_inside_watch_callback_arrives_on_a_later_turn),
        T(test_malformed_object_is_400_and_writes_nothing),
        T(test_store_reader_lists_in_ns_name_order),
        T(test_store_reader_counts_by_namespace),
        T(test_list_visitor_may_delete_what_it_lists),
        T(test_ten_thousand_objects_insert_count_and_list),
        T(test_fault_conflict_returns_409_with_apiserver_text),
        T(test_fault_apf_returns_429_with_apiserver_text),
        T(test_fault_server_error_returns_500_with_text),
        T(test_fault_apiserver_unavailable_refuses_until_it_is_back),
        T(test_fault_targets_only_the_named_store),
        T(test_trace_records_writes_and_errors),
        T(test_writes_under_oom_commit_nothing),
#undef T
        cmocka_unit_test(test_store_new_oom_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
