/*
 * test_kube_lag.c: the apiserver's lagging watch cache (fakes/kube/store.c)
 * and the informer's relist after 410 Expired (fakes/kube/cache.c):
 * per-event lag, spikes (for every kind or for some), one watch cache per
 * resource type, kube.cache.freeze, the consistent-LIST wait,
 * kube.watch.expired (docs/platform.md).
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
#include "sim/rng.h"
#include "sim/trace.h"

#define NS "default"
#define FIN "engine.rancherdesktop.io/mirror"
#define MS SIM_NS_PER_MS
#define MAXEV 256

typedef struct {
    kube_event_type_t type;
    kube_kind_t kind;
    char name[KUBE_NAME_MAX];
    uint64_t rv;
    uint64_t t_ns;          /* virtual time when told */
    uint64_t at_event;      /* loop->events when told */
} ev_t;

typedef struct {
    sim_loop_t loop;
    sim_faults_t faults;
    kube_store_t *s;
    kube_cache_t *c;
    ev_t ev[MAXEV];
    int nev;
    long ncalls;            /* every call, also past MAXEV */
    int free_in_cb;         /* free the cache inside on_change */
    unsigned char *seen;    /* per-object flags for the big tests */
} fx_t;

static void record(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    fx_t *f = arg;
    ev_t *e;
    f->ncalls++;
    if (f->free_in_cb && f->c) {
        kube_cache_free(f->c);
        f->c = NULL;
    }
    if (f->nev >= MAXEV)
        return;
    e = &f->ev[f->nev++];
    e->type = type;
    e->kind = o->kind;
    snprintf(e->name, sizeof(e->name), "%s", o->name);
    e->rv = o->rv;
    e->t_ns = sim_now(&f->loop);
    e->at_event = f->loop.events;
}

static fx_t *fx_new(uint64_t seed)
{
    fx_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sim_loop_init(&f->loop, seed), 0);
    sim_faults_init(&f->faults);
    f->loop.faults = &f->faults;
    assert_int_equal(kube_store_new(&f->loop, "apiserver", &f->s), 0);
    return f;
}

static void fx_free(fx_t *f)
{
    kube_cache_free(f->c);
    kube_store_free(f->s);
    sim_loop_run(&f->loop, SIM_NEVER);
    sim_loop_close(&f->loop);
    free(f->seen);
    free(f);
}

static int setup(void **state)
{
    *state = fx_new(1);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static void create(fx_t *f, const char *name, int fin)
{
    kube_obj_t o;
    kube_obj_init(&o, KUBE_CONTAINER, NS, name);
    if (fin)
        assert_int_equal(kube_add_finalizer(&o, FIN), 1);
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
}

static void touch(fx_t *f, const char *name, const char *image)
{
    kube_obj_t o;
    assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, name, &o, NULL), 0);
    assert_int_equal(kube_spec_set(&o, "image", image), 0);
    assert_int_equal(kube_update(f->s, &o, NULL), 0);
}

static void run_to(fx_t *f, uint64_t t)
{
    sim_loop_run(&f->loop, t);
    assert_int_equal(sim_now(&f->loop), t);
}

static void arm_window(fx_t *f, sim_fault_site_t site, const char *target,
                       uint64_t from, uint64_t to)
{
    sim_fault_arm_t a;
    memset(&a, 0, sizeof(a));
    snprintf(a.target, sizeof(a.target), "%s", target);
    a.by_time = 1;
    a.from_ns = from;
    a.to_ns = to;
    sim_faults_arm(&f->faults, site, &a, f->loop.seed);
}

static void arm_count(fx_t *f, sim_fault_site_t site, const char *target,
                      uint64_t after, uint64_t repeat)
{
    sim_fault_arm_t a;
    memset(&a, 0, sizeof(a));
    snprintf(a.target, sizeof(a.target), "%s", target);
    a.by_count = 1;
    a.after = after;
    a.repeat = repeat;
    sim_faults_arm(&f->faults, site, &a, f->loop.seed);
}

static void set_uniform(fx_t *f, uint64_t lo, uint64_t hi)
{
    kube_lag_t lag;
    memset(&lag, 0, sizeof(lag));
    lag.lag_min_ns = lo;
    lag.lag_max_ns = hi;
    kube_store_set_lag(f->s, &lag);
}

/* zero lag --------------------------------------------------------------*/

/* Five writes at t=0 with a competing timer; returns the event stamps. */
static void zero_lag_run(int set_zero, ev_t *out, uint64_t *events_end)
{
    fx_t *f = fx_new(7);
    int i;
    if (set_zero) {
        kube_lag_t lag;
        memset(&lag, 0, sizeof(lag));
        kube_store_set_lag(f->s, &lag);
    }
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    create(f, "a", 0);
    create(f, "b", 0);
    touch(f, "a", "x");
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "b", NULL), 0);
    create(f, "c", 0);
    assert_int_equal(f->nev, 0);
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 5);
    for (i = 0; i < 5; i++)
        out[i] = f->ev[i];
    *events_end = f->loop.events;
    fx_free(f);
}

static void test_zero_lag_is_the_old_behaviour(void **state)
{
    ev_t a[5], b[5];
    uint64_t ea, eb;
    int i;
    (void)state;
    zero_lag_run(0, a, &ea);
    zero_lag_run(1, b, &eb);
    assert_int_equal(ea, eb);
    for (i = 0; i < 5; i++) {
        assert_int_equal(a[i].rv, (uint64_t)i + 1); /* commit order */
        assert_int_equal(a[i].t_ns, 0);             /* at commit time */
        assert_int_equal(a[i].at_event, (uint64_t)i + 1); /* one per turn */
        assert_int_equal(b[i].rv, a[i].rv);
        assert_int_equal(b[i].t_ns, a[i].t_ns);
        assert_int_equal(b[i].at_event, a[i].at_event);
        assert_int_equal(b[i].type, a[i].type);
    }
}

/* uniform lag -------------------------------------------------------------*/

static void test_uniform_lag_within_bounds_keeps_commit_order(void **state)
{
    fx_t *f = *state;
    sim_rng_t r;
    uint64_t commit[40], expect[40], vis = 0;
    int i, overtaken = 0;
    char name[16];
    set_uniform(f, 10 * MS, 200 * MS);
    sim_rng_fork(&r, f->loop.seed, "kube.apiserver.lag");
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    for (i = 0; i < 40; i++) {
        uint64_t lag = sim_rng_range(&r, 10 * MS, 200 * MS);
        commit[i] = (uint64_t)i * 5 * MS;
        run_to(f, commit[i]);
        snprintf(name, sizeof(name), "c%02d", i);
        create(f, name, 0);
        if (commit[i] + lag < vis)
            overtaken++; /* drew less than its predecessor still needs */
        vis = commit[i] + lag > vis ? commit[i] + lag : vis;
        expect[i] = vis;
        assert_int_equal(kube_store_cache_caught_up_ns(f->s), vis);
    }
    assert_true(overtaken > 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 40);
    for (i = 0; i < 40; i++) {
        assert_int_equal(f->ev[i].rv, (uint64_t)i + 1);
        assert_int_equal(f->ev[i].t_ns, expect[i]);
        assert_true(f->ev[i].t_ns >= commit[i] + 10 * MS);
        if (i > 0)
            assert_true(f->ev[i].at_event > f->ev[i - 1].at_event);
    }
    /* a lag of max alone is within max */
    assert_true(f->ev[0].t_ns <= commit[0] + 200 * MS);
}

static void test_lag_reaches_every_subscriber_at_one_time(void **state)
{
    fx_t *f = *state;
    int i;
    set_uniform(f, 0, 100 * MS);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    for (i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof(name), "n%d", i);
        run_to(f, (uint64_t)i * MS);
        create(f, name, 0);
    }
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 8);
    for (i = 1; i <= 4; i++) {
        int j, n = 0;
        uint64_t t = 0;
        for (j = 0; j < f->nev; j++) {
            if (f->ev[j].rv != (uint64_t)i)
                continue;
            if (n++ == 0)
                t = f->ev[j].t_ns;
            assert_int_equal(f->ev[j].t_ns, t);
        }
        assert_int_equal(n, 2);
    }
}

static void test_lag_is_traced_on_cache_events(void **state)
{
    fx_t *f = *state;
    sim_trace_t tr;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    set_uniform(f, 250 * MS, 250 * MS);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    sim_trace_init(&tr, mem, NULL);
    f->loop.trace = &tr;
    create(f, "web", 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    f->loop.trace = NULL;
    fclose(mem);
    assert_non_null(strstr(buf, "t=0.250000000s"));
    assert_non_null(strstr(buf, "kube.cache.event cache=engine type=ADDED "
                                "kind=Container ns=default name=web rv=1 "
                                "lag=250ms"));
    free(buf);
}

/* spikes ----------------------------------------------------------------*/

static void test_spike_raises_lag_only_inside_its_window(void **state)
{
    fx_t *f = *state;
    kube_lag_t lag;
    memset(&lag, 0, sizeof(lag));
    lag.lag_min_ns = lag.lag_max_ns = 1 * MS;
    lag.spikes[0] = (kube_lag_spike_t){100 * MS, 200 * MS, 2000 * MS, 0};
    lag.spikes[1] = (kube_lag_spike_t){5000 * MS, 6000 * MS, 0, 0}; /* <lag */
    lag.nspikes = 2;
    kube_store_set_lag(f->s, &lag);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    run_to(f, 50 * MS);
    create(f, "before", 0);       /* 51ms */
    run_to(f, 100 * MS);
    create(f, "at-from", 0);      /* inside: 2.1s */
    run_to(f, 200 * MS);
    create(f, "at-to", 0);        /* outside, held behind: 2.1s */
    run_to(f, 3000 * MS);
    create(f, "after", 0);        /* 3.001s */
    run_to(f, 5500 * MS);
    create(f, "low-spike", 0);    /* a spike below the lag adds nothing */
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 5);
    assert_int_equal(f->ev[0].t_ns, 51 * MS);
    assert_int_equal(f->ev[1].t_ns, 2100 * MS);
    assert_int_equal(f->ev[2].t_ns, 2100 * MS);
    assert_true(f->ev[2].at_event > f->ev[1].at_event);
    assert_int_equal(f->ev[3].t_ns, 3001 * MS);
    assert_int_equal(f->ev[4].t_ns, 5501 * MS);
}

static void test_set_lag_clamps_bad_input(void **state)
{
    fx_t *f = *state;
    kube_lag_t lag;
    memset(&lag, 0, sizeof(lag));
    lag.lag_min_ns = 30 * MS;
    lag.lag_max_ns = 10 * MS;  /* taken as 30ms */
    lag.nspikes = 99;          /* taken as 8 (all zero windows) */
    kube_store_set_lag(f->s, &lag);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    create(f, "a", 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].t_ns, 30 * MS);
}

/* one watch cache per resource type ------------------------------------*/

#define BIT(k) (1u << (unsigned)(k))

/* Creates an object of kind: the App is the cluster-scoped "app". */
static void create_kind(fx_t *f, kube_kind_t kind, const char *name)
{
    kube_obj_t o;
    kube_obj_init(&o, kind, kind == KUBE_APP ? "" : NS, name);
    assert_int_equal(kube_create(f->s, &o, NULL), 0);
}

static void set_spikes(fx_t *f, uint64_t lo, uint64_t hi,
                       const kube_lag_spike_t *sp, int n)
{
    kube_lag_t lag;
    memset(&lag, 0, sizeof(lag));
    lag.lag_min_ns = lo;
    lag.lag_max_ns = hi;
    memcpy(lag.spikes, sp, (size_t)n * sizeof(*sp));
    lag.nspikes = n;
    kube_store_set_lag(f->s, &lag);
}

static int find_ev(const fx_t *f, const char *name)
{
    int i;
    for (i = 0; i < f->nev; i++)
        if (strcmp(f->ev[i].name, name) == 0)
            return i;
    fail_msg("no event for %s", name);
    return -1;
}

static void test_kind_spike_delays_its_kinds_but_not_the_app(void **state)
{
    fx_t *f = *state;
    const uint64_t S = SIM_NS_PER_S;
    /* "the Container/Image/Volume watch caches lag 45 s from t=41 s while
     * the App's does not" */
    kube_lag_spike_t sp = {
        41 * S, 120 * S, 45 * S,
        BIT(KUBE_CONTAINER) | BIT(KUBE_IMAGE) | BIT(KUBE_VOLUME)};
    set_spikes(f, 10 * MS, 10 * MS, &sp, 1);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    run_to(f, 40 * S);
    create_kind(f, KUBE_CONTAINER, "before");  /* 40.01s: no spike yet */
    run_to(f, 41 * S);
    create_kind(f, KUBE_CONTAINER, "web");     /* 86s */
    create_kind(f, KUBE_IMAGE, "nginx");       /* 86s */
    create_kind(f, KUBE_VOLUME, "data");       /* 86s */
    create_kind(f, KUBE_CONTAINER_NS, "k8s.io"); /* not named: 41.01s */
    run_to(f, 42 * S);
    create_kind(f, KUBE_APP, "app");           /* 42.01s */
    run_to(f, 43 * S);
    /* the App event committed after the Container's has arrived first */
    assert_int_equal(f->nev, 3);
    assert_string_equal(f->ev[0].name, "before");
    assert_int_equal(f->ev[0].t_ns, 40 * S + 10 * MS);
    assert_string_equal(f->ev[1].name, "k8s.io");
    assert_int_equal(f->ev[1].t_ns, 41 * S + 10 * MS);
    assert_string_equal(f->ev[2].name, "app");
    assert_int_equal(f->ev[2].kind, KUBE_APP);
    assert_int_equal(f->ev[2].t_ns, 42 * S + 10 * MS);
    assert_int_equal(f->ev[2].rv, 6);
    /* the informer already holds the App, not the Container */
    {
        kube_reader_t *r = kube_cache_reader(f->c);
        assert_int_equal(r->get(r, KUBE_APP, "", "app", NULL, NULL), 0);
        assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "web", NULL, NULL),
                         SIM_ENOTFOUND);
    }
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 6);
    assert_string_equal(f->ev[3].name, "web");
    assert_string_equal(f->ev[4].name, "nginx");
    assert_string_equal(f->ev[5].name, "data");
    for (int i = 3; i < 6; i++) {
        assert_int_equal(f->ev[i].t_ns, 86 * S);
        assert_int_equal(f->ev[i].rv, (uint64_t)i - 1); /* commit order */
        assert_true(f->ev[i].at_event > f->ev[i - 1].at_event);
    }
}

static void test_kind_spike_on_a_single_kind_watch(void **state)
{
    fx_t *f = *state;
    kube_lag_spike_t sp = {0, 1000 * MS, 500 * MS, BIT(KUBE_CONTAINER)};
    set_spikes(f, 0, 0, &sp, 1);
    assert_true(kube_watch(f->s, KUBE_APP, record, f) > 0);
    assert_true(kube_watch(f->s, KUBE_CONTAINER, record, f) > 0);
    create_kind(f, KUBE_CONTAINER, "web");
    create_kind(f, KUBE_APP, "app");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 2);
    assert_string_equal(f->ev[0].name, "app");
    assert_int_equal(f->ev[0].t_ns, 0);
    assert_string_equal(f->ev[1].name, "web");
    assert_int_equal(f->ev[1].t_ns, 500 * MS);
}

/* Interleaved commits of three kinds with a uniform lag and a Container
 * spike: one draw per commit from the one stream whatever the kind; each
 * kind's visible times never go back and its events keep commit order;
 * across kinds, deliveries go by visible time, ties in commit order. */
static void test_per_kind_commit_order_and_one_draw_per_commit(void **state)
{
    fx_t *f = *state;
    kube_lag_spike_t sp = {100 * MS, 200 * MS, 300 * MS,
                           BIT(KUBE_CONTAINER)};
    static const kube_kind_t kinds[3] = {KUBE_CONTAINER, KUBE_APP,
                                         KUBE_IMAGE};
    uint64_t vis[KUBE_KIND__COUNT] = {0}, expect[60];
    uint64_t last_rv[KUBE_KIND__COUNT] = {0};
    sim_rng_t r;
    char name[16];
    int i, crossed = 0;
    set_spikes(f, 10 * MS, 100 * MS, &sp, 1);
    sim_rng_fork(&r, f->loop.seed, "kube.apiserver.lag");
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    for (i = 0; i < 60; i++) {
        kube_kind_t k = kinds[i % 3];
        uint64_t t = (uint64_t)i * 5 * MS;
        uint64_t lag = sim_rng_range(&r, 10 * MS, 100 * MS);
        run_to(f, t);
        if (k == KUBE_CONTAINER && t >= 100 * MS && t < 200 * MS &&
            lag < 300 * MS)
            lag = 300 * MS;
        if (k == KUBE_APP)
            snprintf(name, sizeof(name), "app");
        else
            snprintf(name, sizeof(name), "o%02d", i);
        if (k == KUBE_APP && i > 1) {
            kube_obj_t o;
            assert_int_equal(kube_get(f->s, KUBE_APP, "", "app", &o, NULL),
                             0);
            snprintf(name, sizeof(name), "v%02d", i);
            assert_int_equal(kube_spec_set(&o, "v", name), 0);
            assert_int_equal(kube_update(f->s, &o, NULL), 0);
        } else {
            create_kind(f, k, name);
        }
        vis[k] = t + lag > vis[k] ? t + lag : vis[k];
        expect[i] = vis[k];
        assert_int_equal(kube_store_kind_caught_up_ns(f->s, k), vis[k]);
    }
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 60);
    for (i = 0; i < 60; i++) {
        const ev_t *e = &f->ev[i];
        assert_int_equal(e->t_ns, expect[e->rv - 1]);
        assert_true(e->rv > last_rv[e->kind]); /* commit order per kind */
        last_rv[e->kind] = e->rv;
        if (i > 0) {
            const ev_t *p = &f->ev[i - 1];
            assert_true(e->at_event > p->at_event); /* one per turn */
            assert_true(p->t_ns < e->t_ns ||
                        (p->t_ns == e->t_ns && p->rv < e->rv));
            if (p->rv > e->rv)
                crossed++; /* a later commit of another kind went first */
        }
    }
    assert_true(crossed > 0);
}

/* Three kinds' events due at one instant, committed App, Container, Image
 * (the reverse of kube_kind_t for the first two), reach an all-kinds
 * watch and an informer in commit order, one per turn; so do the events a
 * freeze (every kind) held. */
static void test_same_instant_across_kinds_in_commit_order(void **state)
{
    fx_t *f = *state;
    kube_lag_spike_t sp[3] = {
        {0, 1 * MS, 100 * MS, BIT(KUBE_APP)},
        {50 * MS, 51 * MS, 50 * MS, BIT(KUBE_CONTAINER)},
        {60 * MS, 61 * MS, 40 * MS, BIT(KUBE_IMAGE)},
    };
    static const char *const order[] = {"app", "web", "nginx", "b-vol",
                                        "b-web", "b-img"};
    int i;
    set_spikes(f, 0, 0, sp, 3);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    create_kind(f, KUBE_APP, "app");             /* 100ms */
    run_to(f, 50 * MS);
    create_kind(f, KUBE_CONTAINER, "web");       /* 100ms */
    run_to(f, 60 * MS);
    create_kind(f, KUBE_IMAGE, "nginx");         /* 100ms */
    arm_window(f, SIM_FAULT_KUBE_CACHE_FREEZE, "apiserver", 1000 * MS,
               2000 * MS);
    run_to(f, 1000 * MS);
    create_kind(f, KUBE_VOLUME, "b-vol");        /* frozen: 2s */
    run_to(f, 1500 * MS);
    create_kind(f, KUBE_CONTAINER, "b-web");     /* frozen: 2s */
    create_kind(f, KUBE_IMAGE, "b-img");         /* frozen: 2s */
    assert_int_equal(kube_store_kind_caught_up_ns(f->s, KUBE_APP),
                     1500 * MS);
    assert_int_equal(kube_store_kind_caught_up_ns(f->s, KUBE_VOLUME),
                     2000 * MS);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 12);
    for (i = 0; i < 12; i++) {
        /* two subscribers: each event twice, in subscription order */
        assert_string_equal(f->ev[i].name, order[i / 2]);
        assert_int_equal(f->ev[i].rv, (uint64_t)i / 2 + 1);
        assert_int_equal(f->ev[i].t_ns, i < 6 ? 100 * MS : 2000 * MS);
        if (i >= 2)
            assert_true(f->ev[i].at_event > f->ev[i - 2].at_event);
    }
}

static void test_kind_caught_up_and_consistent_list_wait_per_kind(
    void **state)
{
    fx_t *f = *state;
    const uint64_t S = SIM_NS_PER_S;
    kube_lag_spike_t sp[2] = {
        {0, 10 * S, 10 * S, BIT(KUBE_CONTAINER)},
        {0, 10 * S, 2 * S, BIT(KUBE_IMAGE) | BIT(KUBE_VOLUME)},
    };
    int k;
    for (k = 0; k <= KUBE_KIND__COUNT; k++) {
        assert_int_equal(kube_store_kind_caught_up_ns(f->s, (kube_kind_t)k),
                         0);
        assert_int_equal(
            kube_store_consistent_list_wait_kind_ns(f->s, (kube_kind_t)k, 1),
            0);
    }
    set_spikes(f, 100 * MS, 100 * MS, sp, 2);
    run_to(f, 1 * S);
    create_kind(f, KUBE_CONTAINER, "web");     /* 11s */
    create_kind(f, KUBE_IMAGE, "nginx");       /* 3s */
    create_kind(f, KUBE_APP, "app");           /* 1.1s */
    assert_int_equal(kube_store_kind_caught_up_ns(f->s, KUBE_CONTAINER),
                     11 * S);
    assert_int_equal(kube_store_kind_caught_up_ns(f->s, KUBE_IMAGE), 3 * S);
    assert_int_equal(kube_store_kind_caught_up_ns(f->s, KUBE_APP),
                     1100 * MS);
    /* nothing committed: caught up, now */
    assert_int_equal(kube_store_kind_caught_up_ns(f->s, KUBE_VOLUME), 1 * S);
    /* all kinds: the latest, as before */
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 11 * S);
    assert_int_equal(kube_store_kind_caught_up_ns(f->s, KUBE_KIND__COUNT),
                     11 * S);
    /* a LIST waits for its kind's cache only, capped at 3 s */
    assert_int_equal(
        kube_store_consistent_list_wait_kind_ns(f->s, KUBE_CONTAINER, 1),
        KUBE_CONSISTENT_LIST_WAIT_MAX_NS);
    assert_int_equal(
        kube_store_consistent_list_wait_kind_ns(f->s, KUBE_IMAGE, 1), 2 * S);
    assert_int_equal(
        kube_store_consistent_list_wait_kind_ns(f->s, KUBE_APP, 1),
        100 * MS);
    assert_int_equal(
        kube_store_consistent_list_wait_kind_ns(f->s, KUBE_VOLUME, 1), 0);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1),
                     KUBE_CONSISTENT_LIST_WAIT_MAX_NS);
    for (k = 0; k <= KUBE_KIND__COUNT; k++)
        assert_int_equal(
            kube_store_consistent_list_wait_kind_ns(f->s, (kube_kind_t)k, 0),
            0);
    run_to(f, 2500 * MS);
    assert_int_equal(kube_store_kind_caught_up_ns(f->s, KUBE_APP),
                     2500 * MS);
    assert_int_equal(
        kube_store_consistent_list_wait_kind_ns(f->s, KUBE_APP, 1), 0);
    assert_int_equal(
        kube_store_consistent_list_wait_kind_ns(f->s, KUBE_IMAGE, 1),
        500 * MS);
    run_to(f, 9 * S);
    assert_int_equal(
        kube_store_consistent_list_wait_kind_ns(f->s, KUBE_IMAGE, 1), 0);
    assert_int_equal(
        kube_store_consistent_list_wait_kind_ns(f->s, KUBE_CONTAINER, 1),
        2 * S);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1), 2 * S);
    run_to(f, 11 * S);
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 11 * S);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1), 0);
}

/* Writes of two kinds under one spike; returns the event stamps. */
static void all_kinds_spike_run(uint32_t kinds, ev_t *out)
{
    fx_t *f = fx_new(5);
    kube_lag_spike_t sp = {100 * MS, 200 * MS, 1000 * MS, kinds};
    int i;
    set_spikes(f, 0, 50 * MS, &sp, 1);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    run_to(f, 50 * MS);
    create_kind(f, KUBE_CONTAINER, "before");
    run_to(f, 100 * MS);
    create_kind(f, KUBE_CONTAINER, "web");     /* inside: 1.1s */
    run_to(f, 150 * MS);
    create_kind(f, KUBE_APP, "app");           /* inside: 1.15s */
    run_to(f, 200 * MS);
    create_kind(f, KUBE_IMAGE, "nginx");       /* outside */
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 4);
    for (i = 0; i < 4; i++)
        out[i] = f->ev[i];
    fx_free(f);
}

static void test_all_kinds_spike_behaves_as_before(void **state)
{
    uint32_t every = 0;
    ev_t a[4], b[4];
    int k, i;
    (void)state;
    for (k = 0; k < KUBE_KIND__COUNT; k++)
        every |= BIT(k);
    all_kinds_spike_run(0, a);
    all_kinds_spike_run(every, b);
    assert_string_equal(a[0].name, "before");
    assert_true(a[0].t_ns < 100 * MS);
    assert_string_equal(a[1].name, "nginx"); /* not held behind the spike */
    assert_true(a[1].t_ns < 1000 * MS);
    assert_string_equal(a[2].name, "web");
    assert_int_equal(a[2].t_ns, 1100 * MS);
    assert_string_equal(a[3].name, "app");   /* the App lags too */
    assert_int_equal(a[3].t_ns, 1150 * MS);
    for (i = 0; i < 4; i++) {
        assert_string_equal(b[i].name, a[i].name);
        assert_int_equal(b[i].t_ns, a[i].t_ns);
        assert_int_equal(b[i].rv, a[i].rv);
        assert_int_equal(b[i].at_event, a[i].at_event);
    }
}

/* A Container held 5 s, then an App create whose n-th allocation fails,
 * then an App that must not wait for the Container.  Returns the failed
 * create's rc. */
static int failed_cross_kind_commit_once(unsigned long n)
{
    fx_t *f = fx_new(1);
    kube_lag_spike_t sp = {0, 1 * MS, 5000 * MS, BIT(KUBE_CONTAINER)};
    kube_obj_t o;
    int rc;
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    set_spikes(f, 0, 0, &sp, 1);
    create_kind(f, KUBE_CONTAINER, "web");
    run_to(f, 10 * MS);
    kube_obj_init(&o, KUBE_IMAGE, NS, "nginx");
    sim_alloc_fail_at(n);
    rc = kube_create(f->s, &o, NULL);
    sim_alloc_fail_at(0);
    run_to(f, 20 * MS);
    create_kind(f, KUBE_APP, "app");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, rc ? 4 : 6);
    /* app (and nginx when it committed) at once, web at 5 s */
    assert_string_equal(f->ev[f->nev - 1].name, "web");
    assert_string_equal(f->ev[f->nev - 2].name, "web");
    assert_int_equal(f->ev[f->nev - 1].t_ns, 5000 * MS);
    assert_int_equal(f->ev[f->nev - 2].t_ns, 5000 * MS);
    assert_int_equal(f->ev[find_ev(f, "app")].t_ns, 20 * MS);
    if (rc == 0)
        assert_int_equal(f->ev[find_ev(f, "nginx")].t_ns, 10 * MS);
    fx_free(f);
    return rc;
}

static void test_failed_cross_kind_commit_delays_nothing(void **state)
{
    unsigned long n;
    int rc;
    (void)state;
    for (n = 1; (rc = failed_cross_kind_commit_once(n)) != 0; n++)
        assert_int_equal(rc, SIM_ENOMEM);
    assert_true(n > 2);
}

/* freeze ----------------------------------------------------------------*/

static void test_freeze_delivers_at_thaw_in_commit_order(void **state)
{
    fx_t *f = *state;
    arm_window(f, SIM_FAULT_KUBE_CACHE_FREEZE, "apiserver", 1000 * MS,
               3000 * MS);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    run_to(f, 500 * MS);
    create(f, "a", 0);                 /* before: 0.5s */
    run_to(f, 1000 * MS);
    create(f, "b", 0);                 /* frozen */
    run_to(f, 1500 * MS);
    touch(f, "a", "x");                /* frozen */
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 3000 * MS);
    run_to(f, 2999 * MS);
    create(f, "c", 0);                 /* frozen */
    assert_int_equal(f->nev, 1);
    run_to(f, 3000 * MS);
    create(f, "d", 0);                 /* thawed: after the held ones */
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 5);
    assert_int_equal(f->ev[0].t_ns, 500 * MS);
    assert_string_equal(f->ev[1].name, "b");
    assert_string_equal(f->ev[2].name, "a");
    assert_int_equal(f->ev[2].type, KUBE_MODIFIED);
    assert_string_equal(f->ev[3].name, "c");
    assert_string_equal(f->ev[4].name, "d");
    for (int i = 1; i < 5; i++) {
        assert_int_equal(f->ev[i].t_ns, 3000 * MS);
        assert_int_equal(f->ev[i].rv, (uint64_t)i + 1);
    }
    assert_int_equal(f->faults.site[SIM_FAULT_KUBE_CACHE_FREEZE].fired, 3);
}

static void test_freeze_of_another_store_changes_nothing(void **state)
{
    fx_t *f = *state;
    arm_window(f, SIM_FAULT_KUBE_CACHE_FREEZE, "other", 0, 3000 * MS);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    create(f, "a", 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].t_ns, 0);
}

/* consistent LIST -------------------------------------------------------*/

static void test_consistent_list_wait_is_catch_up_capped_at_3s(void **state)
{
    fx_t *f = *state;
    kube_lag_t lag;
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1), 0);
    set_uniform(f, 1000 * MS, 1000 * MS);
    create(f, "a", 0);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1),
                     1000 * MS);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 0), 0);
    run_to(f, 400 * MS);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1), 600 * MS);
    memset(&lag, 0, sizeof(lag));
    lag.lag_min_ns = lag.lag_max_ns = 10 * SIM_NS_PER_S;
    kube_store_set_lag(f->s, &lag);
    create(f, "b", 0);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1),
                     KUBE_CONSISTENT_LIST_WAIT_MAX_NS);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 0), 0);
    run_to(f, 8400 * MS);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1),
                     2000 * MS);
    run_to(f, 20000 * MS);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1), 0);
}

static void test_caught_up_is_now_or_the_last_visible_time(void **state)
{
    fx_t *f = *state;
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 0);
    run_to(f, 100 * MS);
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 100 * MS);
    set_uniform(f, 50 * MS, 50 * MS);
    create(f, "a", 0);
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 150 * MS);
    run_to(f, 120 * MS);
    create(f, "b", 0);
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 170 * MS);
    run_to(f, 500 * MS);
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 500 * MS);
    /* a no-op write commits nothing and moves nothing */
    touch(f, "a", "x");
    touch(f, "a", "x");
    assert_int_equal(kube_store_rv(f->s), 3);
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 550 * MS);
}

/* 410 Expired and relist ------------------------------------------------*/

static void test_watch_expired_relists_after_800ms_and_reports_changes(
    void **state)
{
    fx_t *f = *state;
    kube_reader_t *r;
    kube_obj_t g;
    sim_trace_t tr;
    char *buf = NULL;
    size_t len = 0, n;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    create(f, "a", 0);
    create(f, "b", 0);
    create(f, "c", 0);
    create(f, "z", 0);                  /* stays as it is */
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    r = kube_cache_reader(f->c);
    arm_count(f, SIM_FAULT_KUBE_WATCH_EXPIRED, "engine", 0, 1);
    sim_trace_init(&tr, mem, NULL);
    f->loop.trace = &tr;
    run_to(f, 100 * MS);
    touch(f, "a", "x");                 /* this event meets the 410 */
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "b", NULL), 0);
    create(f, "d", 0);
    run_to(f, 500 * MS);
    touch(f, "c", "y");                 /* no watch: not delivered */
    create(f, "e", 0);
    run_to(f, 899 * MS);
    assert_int_equal(f->nev, 0);
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "b", &g, NULL), 0);
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "d", NULL, NULL),
                     SIM_ENOTFOUND);
    run_to(f, 900 * MS);                /* 100ms + 800ms back-off */
    assert_int_equal(f->nev, 5);
    assert_string_equal(f->ev[0].name, "a");
    assert_int_equal(f->ev[0].type, KUBE_MODIFIED);
    assert_int_equal(f->ev[0].rv, 5);
    assert_string_equal(f->ev[1].name, "c");
    assert_int_equal(f->ev[1].type, KUBE_MODIFIED);
    assert_string_equal(f->ev[2].name, "d");
    assert_int_equal(f->ev[2].type, KUBE_ADDED);
    assert_string_equal(f->ev[3].name, "e");
    assert_int_equal(f->ev[3].type, KUBE_ADDED);
    /* DeletedFinalStateUnknown: the last state the informer had */
    assert_string_equal(f->ev[4].name, "b");
    assert_int_equal(f->ev[4].type, KUBE_DELETED);
    assert_int_equal(f->ev[4].rv, 2);
    for (int i = 0; i < 5; i++)
        assert_int_equal(f->ev[i].t_ns, 900 * MS);
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &n, NULL), 0);
    assert_int_equal(n, 5);             /* a c d e z */
    assert_int_equal(r->get(r, KUBE_CONTAINER, NS, "c", &g, NULL), 0);
    assert_string_equal(kube_spec_get(&g, "image"), "y");
    /* it watches again from the relist */
    run_to(f, 1000 * MS);
    touch(f, "z", "w");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 6);
    assert_string_equal(f->ev[5].name, "z");
    assert_int_equal(f->ev[5].t_ns, 1000 * MS);
    f->loop.trace = NULL;
    fclose(mem);
    assert_non_null(strstr(buf, "kube.watch.expired cache=engine rv=5 "
                                "backoff=800ms"));
    assert_non_null(strstr(buf, "kube.cache.relist cache=engine rv=9 "
                                "added=2 changed=2 deleted=1"));
    free(buf);
}

static void test_repeated_expiry_backs_off_doubling_then_resets(void **state)
{
    fx_t *f = *state;
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    arm_count(f, SIM_FAULT_KUBE_WATCH_EXPIRED, "engine", 0, 2);
    create(f, "a", 0);                  /* 410 at 0: relist at 0.8s */
    run_to(f, 1000 * MS);
    assert_int_equal(f->nev, 1);        /* a, from the relist */
    assert_int_equal(f->ev[0].t_ns, 800 * MS);
    create(f, "b", 0);                  /* 410 at 1s: relist at 2.6s */
    run_to(f, 2599 * MS);
    assert_int_equal(f->nev, 1);
    run_to(f, 2600 * MS);
    assert_int_equal(f->nev, 2);
    create(f, "c", 0);                  /* the fault is spent */
    run_to(f, 3000 * MS);
    assert_int_equal(f->nev, 3);
    assert_int_equal(f->ev[2].t_ns, 2600 * MS);
    /* two quiet minutes later the back-off starts again at 800ms */
    arm_count(f, SIM_FAULT_KUBE_WATCH_EXPIRED, "engine", 0, 1);
    run_to(f, 130000 * MS);
    create(f, "d", 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 4);
    assert_int_equal(f->ev[3].t_ns, 130800 * MS);
}

static void test_expiry_targets_only_the_named_cache(void **state)
{
    fx_t *f = *state;
    kube_cache_t *other;
    assert_int_equal(kube_cache_new(f->s, "other", NULL, NULL, &other), 0);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    arm_count(f, SIM_FAULT_KUBE_WATCH_EXPIRED, "other", 0, 1);
    create(f, "a", 0);
    run_to(f, 10 * MS);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].t_ns, 0);
    kube_cache_free(other);             /* with its relist pending */
    sim_loop_run(&f->loop, SIM_NEVER);
}

static void test_cache_free_inside_relist_on_change_is_safe(void **state)
{
    fx_t *f = *state;
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    arm_count(f, SIM_FAULT_KUBE_WATCH_EXPIRED, "engine", 0, 1);
    create(f, "a", 0);
    create(f, "b", 0);
    f->free_in_cb = 1;
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);        /* a; then the cache was gone */
    assert_null(f->c);
    create(f, "c", 0);                  /* no subscriber is left */
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
}

/* determinism -----------------------------------------------------------*/

static void lag_run(uint64_t seed, uint64_t *t)
{
    fx_t *f = fx_new(seed);
    int i;
    set_uniform(f, 0, 1000 * MS);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    for (i = 0; i < 20; i++) {
        char name[8];
        snprintf(name, sizeof(name), "n%d", i);
        run_to(f, (uint64_t)i * 10 * MS);
        create(f, name, 0);
    }
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 20);
    for (i = 0; i < 20; i++)
        t[i] = f->ev[i].t_ns;
    fx_free(f);
}

static void test_same_seed_same_delivery_times(void **state)
{
    uint64_t a[20], b[20], c[20];
    (void)state;
    lag_run(42, a);
    lag_run(42, b);
    lag_run(43, c);
    assert_memory_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, c, sizeof(a));
}

/* scale -----------------------------------------------------------------*/

#define BIG 10000

static int big_index(const char *name)
{
    return atoi(name + 1);
}

static void count_deleted(void *arg, kube_event_type_t type,
                          const kube_obj_t *o)
{
    fx_t *f = arg;
    f->ncalls++;
    if (type == KUBE_DELETED) {
        int i = big_index(o->name);
        assert_true(i >= 0 && i < BIG);
        assert_int_equal(f->seen[i], 0);
        f->seen[i] = 1;
    }
}

static void test_ten_thousand_mirrors_cleanup_with_lag_and_relist(
    void **state)
{
    fx_t *f = *state;
    kube_reader_t *r;
    kube_obj_t o;
    char name[16];
    size_t n;
    int i;
    f->seen = calloc(BIG, 1);
    assert_non_null(f->seen);
    for (i = 0; i < BIG; i++) {
        snprintf(name, sizeof(name), "c%05d", i);
        create(f, name, 1);
    }
    set_uniform(f, 1 * MS, 50 * MS);
    assert_int_equal(
        kube_cache_new(f->s, "engine", count_deleted, f, &f->c), 0);
    r = kube_cache_reader(f->c);
    /* a 410 half way through the DELETED events */
    arm_count(f, SIM_FAULT_KUBE_WATCH_EXPIRED, "engine", BIG + BIG / 2, 1);
    for (i = 0; i < BIG; i++) {
        snprintf(name, sizeof(name), "c%05d", i);
        assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, name, NULL),
                         0);
        assert_int_equal(kube_get(f->s, KUBE_CONTAINER, NS, name, &o, NULL),
                         0);
        assert_int_equal(kube_remove_finalizer(&o, FIN), 1);
        assert_int_equal(kube_update(f->s, &o, NULL), 0);
    }
    assert_true(kube_store_consistent_list_wait_ns(f->s, 1) > 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &n, NULL), 0);
    assert_int_equal(n, 0);
    for (i = 0; i < BIG; i++)
        assert_int_equal(f->seen[i], 1); /* each deletion told once */
    assert_int_equal(f->faults.site[SIM_FAULT_KUBE_WATCH_EXPIRED].fired, 1);
    assert_int_equal(kube_store_consistent_list_wait_ns(f->s, 1), 0);
}

/* out of memory -----------------------------------------------------------*/

/* One relist with n-th allocation failing; returns 1 if it succeeded on
 * its first try.  Either way the end state must be right. */
static int relist_oom_once(unsigned long n)
{
    fx_t *f = fx_new(1);
    kube_reader_t *r;
    size_t cnt;
    int first_ok;
    create(f, "a", 0);
    create(f, "b", 0);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    r = kube_cache_reader(f->c);
    arm_count(f, SIM_FAULT_KUBE_WATCH_EXPIRED, "engine", 0, 1);
    touch(f, "a", "x");
    assert_int_equal(kube_delete(f->s, KUBE_CONTAINER, NS, "b", NULL), 0);
    run_to(f, 100 * MS);                /* expired at 0 */
    create(f, "c", 0);
    sim_alloc_fail_at(n);
    sim_loop_run(&f->loop, 800 * MS);
    sim_alloc_fail_at(0);
    first_ok = f->nev > 0;
    if (!first_ok) {
        assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &cnt, NULL), 0);
        assert_int_equal(cnt, 2);       /* the old contents, untouched */
    }
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 3);        /* a MODIFIED, c ADDED, b DELETED */
    assert_int_equal(f->ev[0].type, KUBE_MODIFIED);
    assert_int_equal(f->ev[1].type, KUBE_ADDED);
    assert_int_equal(f->ev[2].type, KUBE_DELETED);
    assert_int_equal(f->ev[0].t_ns, first_ok ? 800 * MS : 2400 * MS);
    assert_int_equal(r->count(r, KUBE_CONTAINER, NS, &cnt, NULL), 0);
    assert_int_equal(cnt, 2);
    /* exactly one watch again */
    touch(f, "c", "y");
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 4);
    fx_free(f);
    return first_ok;
}

static void test_relist_oom_loop(void **state)
{
    unsigned long n;
    (void)state;
    for (n = 1; !relist_oom_once(n); n++)
        assert_true(n < 1000);
    assert_true(n > 3);
}

static void test_write_under_oom_with_lag_commits_nothing(void **state)
{
    fx_t *f = *state;
    kube_obj_t o;
    unsigned long n;
    int rc = SIM_ENOMEM;
    set_uniform(f, 100 * MS, 100 * MS);
    assert_int_equal(kube_cache_new(f->s, "engine", record, f, &f->c), 0);
    for (n = 1; rc != 0; n++) {
        kube_obj_init(&o, KUBE_CONTAINER, NS, "web");
        sim_alloc_fail_at(n);
        rc = kube_create(f->s, &o, NULL);
        sim_alloc_fail_at(0);
        if (rc) {
            assert_int_equal(rc, SIM_ENOMEM);
            assert_int_equal(kube_store_rv(f->s), 0);
            assert_int_equal(kube_store_cache_caught_up_ns(f->s), 0);
        }
    }
    assert_int_equal(kube_store_cache_caught_up_ns(f->s), 100 * MS);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, 1);
    assert_int_equal(f->ev[0].t_ns, 100 * MS);
}

/* A create whose n-th allocation fails, then one with no lag: returns
 * the create's rc.  The second must not wait for the first's lag. */
static int failed_commit_once(unsigned long n)
{
    fx_t *f = fx_new(1);
    kube_obj_t o;
    int i, rc;
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    assert_true(kube_watch(f->s, KUBE_KIND__COUNT, record, f) > 0);
    set_uniform(f, 5000 * MS, 5000 * MS);
    kube_obj_init(&o, KUBE_CONTAINER, NS, "web");
    sim_alloc_fail_at(n);
    rc = kube_create(f->s, &o, NULL);
    sim_alloc_fail_at(0);
    set_uniform(f, 0, 0);
    create(f, "probe", 0);
    sim_loop_run(&f->loop, SIM_NEVER);
    assert_int_equal(f->nev, rc ? 2 : 4);
    for (i = 0; i < f->nev; i++) /* web at 5s, the probe behind it */
        assert_int_equal(f->ev[i].t_ns, rc ? 0 : 5000 * MS);
    fx_free(f);
    return rc;
}

static void test_failed_commit_leaves_no_delay_behind(void **state)
{
    unsigned long n;
    int rc;
    (void)state;
    for (n = 1; (rc = failed_commit_once(n)) != 0; n++)
        assert_int_equal(rc, SIM_ENOMEM);
    assert_true(n > 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_zero_lag_is_the_old_behaviour),
        T(test_uniform_lag_within_bounds_keeps_commit_order),
        T(test_lag_reaches_every_subscriber_at_one_time),
        T(test_lag_is_traced_on_cache_events),
        T(test_spike_raises_lag_only_inside_its_window),
        T(test_set_lag_clamps_bad_input),
        T(test_kind_spike_delays_its_kinds_but_not_the_app),
        T(test_kind_spike_on_a_single_kind_watch),
        T(test_per_kind_commit_order_and_one_draw_per_commit),
        T(test_same_instant_across_kinds_in_commit_order),
        T(test_kind_caught_up_and_consistent_list_wait_per_kind),
        T(test_all_kinds_spike_behaves_as_before),
        T(test_failed_cross_kind_commit_delays_nothing),
        T(test_freeze_delivers_at_thaw_in_commit_order),
        T(test_freeze_of_another_store_changes_nothing),
        T(test_consistent_list_wait_is_catch_up_capped_at_3s),
        T(test_caught_up_is_now_or_the_last_visible_time),
        T(test_watch_expired_relists_after_800ms_and_reports_changes),
        T(test_repeated_expiry_backs_off_doubling_then_resets),
        T(test_expiry_targets_only_the_named_cache),
        T(test_cache_free_inside_relist_on_change_is_safe),
        T(test_same_seed_same_delivery_times),
        T(test_ten_thousand_mirrors_cleanup_with_lag_and_relist),
        T(test_relist_oom_loop),
        T(test_write_under_oom_with_lag_commits_nothing),
        T(test_failed_commit_leaves_no_delay_behind),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
