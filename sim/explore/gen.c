/*
 * gen.c: profiles and the worlds a seed draws from them (gen.h,
 * docs/explore.md).
 *
 * A world is written as scenario text and loaded back through
 * scenario_load_buffer, so the loader's checks hold for every world and
 * the text `explore --emit` prints is the world itself.  Every decision
 * family draws from its own stream "gen.<family>" forked from the seed.
 */
#include "gen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/rng.h"
#include "sim/suggest.h"

#include "emit.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        int rc_ = (x);                                                         \
        if (rc_)                                                               \
            return rc_;                                                        \
    } while (0)

#define XP_MAX_W 32           /* entries of a weight map */
#define XP_MAX_CLEAN 8

typedef struct {
    char name[48];
    uint64_t w;
} xweight_t;

typedef struct {
    xweight_t e[XP_MAX_W];
    int n;
    uint64_t total;
} xwmap_t;

typedef struct {
    uint64_t lo, hi;
} xrange_t;

struct xprofile {
    char name[64];
    xrange_t duration;           /* ns */
    xwmap_t hosts;
    xrange_t lateness;           /* ns */
    /* instances */
    xrange_t ninst;
    xwmap_t values;              /* RDD_INSTANCE values, "unset" */
    xrange_t inst_start, boot, handshake, prepare;
    sim_ratio_t never_running;
    xrange_t vm_containers, vm_images, vm_volumes;
    xrange_t lag, nspikes, spike_lag;
    /* owners */
    xrange_t nowners;
    xwmap_t kinds;
    xrange_t owner_start;
    sim_ratio_t owner_crash, owner_restart, owner_late;
    xrange_t dd_containers, dd_images, dd_volumes;
    /* the user */
    xrange_t nsteps;
    xwmap_t actions;
    /* faults */
    int nsites;
    int sites[SIM_FAULT__COUNT];
    uint64_t chance_den_lo, chance_den_hi;  /* chance 1/den, den drawn */
    /* the liveness phase */
    xrange_t heal;
    xwmap_t last_running;        /* "true" / "false" */
    /* variants expected clean */
    char clean[XP_MAX_CLEAN][96];
    int nclean;
};

/* ---------------------------------------------------------------------------
 * Loading */

static const char *const k_prof[] = {"name", "description", "duration",
                                     "hosts", "timers", "instances",
                                     "owners", "user", "faults", "liveness",
                                     "clean"};
static const char *const k_timers[] = {"lateness"};
static const char *const k_inst[] = {
    "count", "values", "start", "boot", "handshake", "prepare",
    "never_running", "containers", "images", "volumes", "lag", "spikes",
    "spike_lag"};
static const char *const k_own[] = {"count", "kinds", "start", "crash",
                                    "restart", "late_start", "containers",
                                    "images", "volumes"};
static const char *const k_user[] = {"steps", "actions"};
static const char *const k_faults[] = {"sites", "chance"};
static const char *const k_live[] = {"heal", "running"};
static const char *const k_kinds[] = {"docker-desktop", "podman",
                                      "squatter"};
static const char *const k_hosts[] = {"windows", "msys", "wsl2", "linux",
                                      "darwin"};

#define ALLOW(map, where, keys)                                                \
    TRY(yt_allow((map), (where), (keys), sizeof(keys) / sizeof((keys)[0]),    \
                 err))

static int range_of(yt_node_t *n, const char *what, int dur, xrange_t *r,
                    yt_error_t *err)
{
    char buf[96], *dots;
    const char *why = NULL;
    int rc;
    TRY(yt_str(n, what, buf, sizeof(buf), err));
    dots = strstr(buf, "..");
    if (dots)
        *dots = 0;
    rc = dur ? sc_parse_duration(buf, &r->lo, &why)
             : sc_parse_u64(buf, &r->lo, &why);
    if (!rc && dots)
        rc = dur ? sc_parse_duration(dots + 2, &r->hi, &why)
                 : sc_parse_u64(dots + 2, &r->hi, &why);
    else if (!rc)
        r->hi = r->lo;
    if (rc || r->lo > r->hi)
        return yt_fail(err, n, "%s must be %s or a range like %s with "
                               "min <= max",
                       what, dur ? "a duration" : "a number",
                       dur ? "1s..5s" : "0..3");
    return 0;
}

static int opt_range(yt_node_t *m, const char *key, int dur, xrange_t *r,
                     yt_error_t *err)
{
    yt_node_t *v = yt_get(m, key);
    return v ? range_of(v, key, dur, r, err) : 0;
}

static int opt_ratio(yt_node_t *m, const char *key, sim_ratio_t *r,
                     yt_error_t *err)
{
    yt_node_t *v = yt_get(m, key);
    char buf[64];
    if (!v)
        return 0;
    TRY(yt_str(v, key, buf, sizeof(buf), err));
    if (sc_parse_ratio(buf, &r->num, &r->den, NULL))
        return yt_fail(err, v, "%s must be a ratio like 1/3, not '%s'", key,
                       buf);
    return 0;
}

/* A weight map {name: weight}; names checked against allowed (NULL: any
 * name, checked by the caller). */
static int wmap_of(yt_node_t *n, const char *what, const char *const *allowed,
                   size_t nallowed, xwmap_t *w, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_MAP, what, err));
    if (allowed)
        TRY(yt_allow(n, what, allowed, nallowed, err));
    w->n = 0;
    w->total = 0;
    for (i = 0; i < n->n; i++) {
        const char *why = NULL;
        xweight_t *e;
        if (w->n >= XP_MAX_W)
            return yt_fail(err, n->keys[i], "more than %d entries in %s",
                           XP_MAX_W, what);
        e = &w->e[w->n];
        TRY(yt_str(n->keys[i], what, e->name, sizeof(e->name), err));
        n->used[i] = 1;
        if (n->vals[i]->kind != YT_SCALAR ||
            sc_parse_u64(n->vals[i]->scalar, &e->w, &why) || e->w > 1000000)
            return yt_fail(err, n->vals[i], "the weight of '%s' must be a "
                                            "number 0..1000000", e->name);
        w->total += e->w;
        w->n++;
    }
    if (!w->total)
        return yt_fail(err, n, "%s needs at least one weight above 0", what);
    return 0;
}

static int action_known(const char *name)
{
    int k;
    for (k = 0; k < SC_ACT__COUNT; k++)
        if (!strcmp(sc_act_name((sc_act_kind_t)k), name))
            return k;
    return -1;
}

static void defaults(xprofile_t *p)
{
    memset(p, 0, sizeof(*p));
    p->duration.lo = p->duration.hi = 600 * SIM_NS_PER_S;
    p->hosts.n = 1;
    snprintf(p->hosts.e[0].name, sizeof(p->hosts.e[0].name), "windows");
    p->hosts.e[0].w = p->hosts.total = 1;
    p->lateness.lo = 400000;
    p->lateness.hi = 440000;
    p->ninst.lo = p->ninst.hi = 1;
    p->values.n = 1;
    snprintf(p->values.e[0].name, sizeof(p->values.e[0].name), "2");
    p->values.e[0].w = p->values.total = 1;
    p->inst_start.hi = 0;
    p->boot.lo = p->boot.hi = 20 * SIM_NS_PER_S;
    p->handshake.lo = p->handshake.hi = 2 * SIM_NS_PER_S;
    p->prepare.lo = p->prepare.hi = SIM_NS_PER_S;
    p->never_running.den = 1;
    p->owner_crash.den = p->owner_restart.den = p->owner_late.den = 1;
    p->kinds.n = 1;
    snprintf(p->kinds.e[0].name, sizeof(p->kinds.e[0].name),
             "docker-desktop");
    p->kinds.e[0].w = p->kinds.total = 1;
    p->chance_den_lo = 20;
    p->chance_den_hi = 1000;
    p->heal.lo = p->heal.hi = 300 * SIM_NS_PER_S;
    p->last_running.n = 1;
    snprintf(p->last_running.e[0].name, sizeof(p->last_running.e[0].name),
             "true");
    p->last_running.e[0].w = p->last_running.total = 1;
    /* the whole catalogue, evenly, unless the profile says otherwise */
    for (int k = 0; k < SC_ACT__COUNT && k < XP_MAX_W; k++) {
        snprintf(p->actions.e[k].name, sizeof(p->actions.e[k].name), "%s",
                 sc_act_name((sc_act_kind_t)k));
        p->actions.e[k].w = 1;
        p->actions.total++;
        p->actions.n++;
    }
    for (int s = 0; s < SIM_FAULT__COUNT; s++)
        p->sites[p->nsites++] = s;
}

static int load_instances(yt_node_t *m, xprofile_t *p, yt_error_t *err)
{
    yt_node_t *v;
    TRY(yt_expect(m, YT_MAP, "instances", err));
    ALLOW(m, "instances", k_inst);
    TRY(opt_range(m, "count", 0, &p->ninst, err));
    if (p->ninst.lo < 1 || p->ninst.hi > 3)
        return yt_fail(err, yt_get(m, "count"), "instances: count must be "
                                                "within 1..3");
    if ((v = yt_get(m, "values"))) {
        TRY(wmap_of(v, "instances.values", NULL, 0, &p->values, err));
        for (int i = 0; i < p->values.n; i++)
            if (strlen(p->values.e[i].name) > 49)
                return yt_fail(err, v->keys[i], "an RDD_INSTANCE value is at "
                                                "most 49 characters");
    }
    if (p->values.n < (int)p->ninst.hi)
        return yt_fail(err, m, "instances: values must offer at least %"
                               PRIu64 " names (count)", p->ninst.hi);
    TRY(opt_range(m, "start", 1, &p->inst_start, err));
    TRY(opt_range(m, "boot", 1, &p->boot, err));
    TRY(opt_range(m, "handshake", 1, &p->handshake, err));
    TRY(opt_range(m, "prepare", 1, &p->prepare, err));
    TRY(opt_ratio(m, "never_running", &p->never_running, err));
    TRY(opt_range(m, "containers", 0, &p->vm_containers, err));
    TRY(opt_range(m, "images", 0, &p->vm_images, err));
    TRY(opt_range(m, "volumes", 0, &p->vm_volumes, err));
    TRY(opt_range(m, "lag", 1, &p->lag, err));
    TRY(opt_range(m, "spikes", 0, &p->nspikes, err));
    TRY(opt_range(m, "spike_lag", 1, &p->spike_lag, err));
    if (p->vm_containers.hi > 20 || p->vm_images.hi > 20 ||
        p->vm_volumes.hi > 20 || p->nspikes.hi > 4)
        return yt_fail(err, m, "instances: at most 20 containers, images "
                               "and volumes each, and 4 spikes");
    return 0;
}

static int load_owners(yt_node_t *m, xprofile_t *p, yt_error_t *err)
{
    yt_node_t *v;
    TRY(yt_expect(m, YT_MAP, "owners", err));
    ALLOW(m, "owners", k_own);
    TRY(opt_range(m, "count", 0, &p->nowners, err));
    if (p->nowners.hi > 4)
        return yt_fail(err, yt_get(m, "count"), "owners: count must be "
                                                "within 0..4");
    if ((v = yt_get(m, "kinds")))
        TRY(wmap_of(v, "owners.kinds", k_kinds, 3, &p->kinds, err));
    TRY(opt_range(m, "start", 1, &p->owner_start, err));
    TRY(opt_ratio(m, "crash", &p->owner_crash, err));
    TRY(opt_ratio(m, "restart", &p->owner_restart, err));
    TRY(opt_ratio(m, "late_start", &p->owner_late, err));
    TRY(opt_range(m, "containers", 0, &p->dd_containers, err));
    TRY(opt_range(m, "images", 0, &p->dd_images, err));
    TRY(opt_range(m, "volumes", 0, &p->dd_volumes, err));
    if (p->dd_containers.hi > 20 || p->dd_images.hi > 20 ||
        p->dd_volumes.hi > 20)
        return yt_fail(err, m, "owners: at most 20 containers, images and "
                               "volumes each");
    return 0;
}

static int load_user(yt_node_t *m, xprofile_t *p, yt_error_t *err)
{
    yt_node_t *v;
    TRY(yt_expect(m, YT_MAP, "user", err));
    ALLOW(m, "user", k_user);
    TRY(opt_range(m, "steps", 0, &p->nsteps, err));
    if (p->nsteps.hi > 40)
        return yt_fail(err, yt_get(m, "steps"), "user: steps must be within "
                                                "0..40");
    if ((v = yt_get(m, "actions"))) {
        TRY(wmap_of(v, "user.actions", NULL, 0, &p->actions, err));
        for (int i = 0; i < p->actions.n; i++)
            if (action_known(p->actions.e[i].name) < 0) {
                const char *names[SC_ACT__COUNT];
                char dym[128] = "";
                const char *best;
                for (int k = 0; k < SC_ACT__COUNT; k++)
                    names[k] = sc_act_name((sc_act_kind_t)k);
                best = sim_suggest(p->actions.e[i].name, names,
                                   SC_ACT__COUNT);
                if (best)
                    snprintf(dym, sizeof(dym), " (did you mean '%s'?)", best);
                return yt_fail(err, v->keys[i], "unknown action '%s'%s "
                                                "(rddsim list actions)",
                               p->actions.e[i].name, dym);
            }
    }
    return 0;
}

static int load_faults(yt_node_t *m, xprofile_t *p, yt_error_t *err)
{
    yt_node_t *v;
    TRY(yt_expect(m, YT_MAP, "faults", err));
    ALLOW(m, "faults", k_faults);
    if ((v = yt_get(m, "sites"))) {
        if (v->kind == YT_SCALAR && !strcmp(v->scalar, "all")) {
            /* the default: every site */
        } else {
            TRY(yt_expect(v, YT_SEQ, "faults.sites (a list, or all)", err));
            p->nsites = 0;
            for (size_t i = 0; i < v->n; i++) {
                char name[96];
                int s;
                TRY(yt_str(v->vals[i], "a fault site", name, sizeof(name),
                           err));
                if ((s = sim_fault_by_name(name)) < 0)
                    return yt_fail(err, v->vals[i], "unknown fault site '%s' "
                                                    "(rddsim list faults)",
                                   name);
                for (int j = 0; j < p->nsites; j++)
                    if (p->sites[j] == s)
                        return yt_fail(err, v->vals[i], "fault site '%s' is "
                                                        "listed twice", name);
                p->sites[p->nsites++] = s;
            }
        }
    }
    if ((v = yt_get(m, "chance"))) {
        /* 1/1000..1/20: each enabled site fires per call with 1/den, den
         * drawn log-uniformly between the two */
        char buf[96], *dots;
        uint64_t n1, d1, n2, d2;
        TRY(yt_str(v, "chance", buf, sizeof(buf), err));
        dots = strstr(buf, "..");
        if (!dots)
            return yt_fail(err, v, "chance must be a range like 1/1000..1/20");
        *dots = 0;
        if (sc_parse_ratio(buf, &n1, &d1, NULL) ||
            sc_parse_ratio(dots + 2, &n2, &d2, NULL) || n1 != 1 || n2 != 1 ||
            d1 < d2 || d2 < 1)
            return yt_fail(err, v, "chance must be a range like 1/1000..1/20 "
                                   "(1/den, the rarer first)");
        p->chance_den_lo = d2;
        p->chance_den_hi = d1;
    }
    return 0;
}

static int load_root(yt_node_t *root, xprofile_t *p, yt_error_t *err)
{
    yt_node_t *v;
    TRY(yt_expect(root, YT_MAP, "a profile", err));
    ALLOW(root, "a profile", k_prof);
    if (!(v = yt_get(root, "name")))
        return yt_fail(err, root, "a profile needs 'name'");
    TRY(yt_str(v, "name", p->name, sizeof(p->name), err));
    if ((v = yt_get(root, "description")))
        TRY(yt_expect(v, YT_SCALAR, "description", err));
    TRY(opt_range(root, "duration", 1, &p->duration, err));
    if (p->duration.lo < 60 * SIM_NS_PER_S ||
        p->duration.hi > 24 * 3600 * SIM_NS_PER_S)
        return yt_fail(err, yt_get(root, "duration"), "duration must be "
                                                      "within 1m..24h");
    if ((v = yt_get(root, "hosts")))
        TRY(wmap_of(v, "hosts", k_hosts, 5, &p->hosts, err));
    if ((v = yt_get(root, "timers"))) {
        TRY(yt_expect(v, YT_MAP, "timers", err));
        ALLOW(v, "timers", k_timers);
        TRY(opt_range(v, "lateness", 1, &p->lateness, err));
        if (p->lateness.hi > SIM_NS_PER_S)
            return yt_fail(err, yt_get(v, "lateness"),
                           "lateness must be at most 1s");
    }
    if ((v = yt_get(root, "instances")))
        TRY(load_instances(v, p, err));
    if ((v = yt_get(root, "owners")))
        TRY(load_owners(v, p, err));
    if ((v = yt_get(root, "user")))
        TRY(load_user(v, p, err));
    if ((v = yt_get(root, "faults")))
        TRY(load_faults(v, p, err));
    if ((v = yt_get(root, "liveness"))) {
        yt_node_t *r;
        TRY(yt_expect(v, YT_MAP, "liveness", err));
        ALLOW(v, "liveness", k_live);
        TRY(opt_range(v, "heal", 1, &p->heal, err));
        if ((r = yt_get(v, "running")))
            TRY(wmap_of(r, "liveness.running", (const char *const[]){"true",
                                                                     "false"},
                        2, &p->last_running, err));
    }
    /* the liveness bounds (rdd set's 5 min wait included) must run out
     * before the world ends */
    if (p->heal.lo < 10 * SIM_NS_PER_S ||
        p->heal.hi + 300 * SIM_NS_PER_S > p->duration.lo)
        return yt_fail(err, v ? v : root,
                       "liveness: heal must be at least 10s and leave 5m "
                       "before the shortest duration");
    if ((v = yt_get(root, "clean"))) {
        TRY(yt_expect(v, YT_SEQ, "clean", err));
        for (size_t i = 0; i < v->n; i++) {
            if (p->nclean >= XP_MAX_CLEAN)
                return yt_fail(err, v->vals[i], "more than %d clean variants",
                               XP_MAX_CLEAN);
            TRY(yt_str(v->vals[i], "a variant", p->clean[p->nclean],
                       sizeof(p->clean[0]), err));
            if (xvariant_parse(p->clean[p->nclean], NULL, NULL))
                return yt_fail(err, v->vals[i], "unknown variant '%s' (a "
                                                "preset, or preset+flag+...)",
                               p->clean[p->nclean]);
            p->nclean++;
        }
    }
    return yt_unused(root, "a profile", err);
}

static int load_tree(int rc, yt_node_t *root, xprofile_t **out,
                     yt_error_t *err)
{
    xprofile_t *p;
    if (rc)
        return rc;
    if (!(p = malloc(sizeof(*p)))) {
        yt_free(root);
        return SIM_ENOMEM;
    }
    defaults(p);
    rc = load_root(root, p, err);
    yt_free(root);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int xprofile_load(const char *path, xprofile_t **out, yt_error_t *err)
{
    yt_node_t *root = NULL;
    int rc = yt_load_file(path, &root, err);
    return load_tree(rc, root, out, err);
}

int xprofile_load_buffer(const char *name, const char *buf, size_t len,
                         xprofile_t **out, yt_error_t *err)
{
    yt_node_t *root = NULL;
    int rc = yt_load_buffer(name, buf, len, &root, err);
    return load_tree(rc, root, out, err);
}

void xprofile_free(xprofile_t *p)
{
    free(p);
}

const char *xprofile_name(const xprofile_t *p)
{
    return p->name;
}

int xprofile_nclean(const xprofile_t *p)
{
    return p->nclean;
}

const char *xprofile_clean(const xprofile_t *p, int i)
{
    return i >= 0 && i < p->nclean ? p->clean[i] : NULL;
}

int xvariant_parse(const char *spec, const char **preset,
                   rdd_flags_t *flags)
{
    char buf[512], *tok, *save = NULL;
    const rdd_preset_t *base = NULL;
    rdd_flags_t f = 0;
    int first = 1;
    if (strlen(spec) >= sizeof(buf) || !spec[0])
        return SIM_EINVAL;
    memcpy(buf, spec, strlen(spec) + 1);
    for (tok = strtok_r(buf, "+", &save); tok;
         tok = strtok_r(NULL, "+", &save), first = 0) {
        int fl;
        if (first && (base = rdd_preset_by_name(tok)))
            continue;
        if ((fl = rdd_flag_by_name(tok)) < 0)
            return SIM_EINVAL;
        f |= RDD_FLAG_BIT(fl);
    }
    if (!base)
        base = rdd_preset_by_name("head");
    if (preset)
        *preset = base->name;
    if (flags)
        *flags = f;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Drawing */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} xtext_t;

static void put(xtext_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(xtext_t *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (t->oom)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        {
            size_t cap = t->cap * 2 + (size_t)(n > 0 ? n : 0) + 256;
            char *nb = realloc(t->buf, cap);
            if (!nb) {
                t->oom = 1;
                return;
            }
            t->buf = nb;
            t->cap = cap;
        }
    }
}

static uint64_t draw(sim_rng_t *r, xrange_t g)
{
    return sim_rng_range(r, g.lo, g.hi);
}

/* A duration drawn in [lo, hi], on whole milliseconds. */
static uint64_t draw_ms(sim_rng_t *r, xrange_t g)
{
    uint64_t lo = (g.lo + 999999) / 1000000, hi = g.hi / 1000000;
    if (hi < lo)
        return g.lo;
    return sim_rng_range(r, lo, hi) * 1000000;
}

static int pick(sim_rng_t *r, const xwmap_t *w)
{
    uint64_t x = sim_rng_range(r, 0, w->total - 1);
    int i;
    for (i = 0; i < w->n; i++) {
        if (x < w->e[i].w)
            return i;
        x -= w->e[i].w;
    }
    return w->n - 1;
}

static const char *dur(char *b, uint64_t ns)
{
    return sc_emit_duration(b, ns);
}

#define GEN_MAX_NAMES 128

typedef struct {
    /* what the world holds, to aim actions at */
    int ninst;
    char inst[3][56];            /* the instance: value ("unset") */
    int host_windows;
    int nowners;
    char owner[4][32];
    int ndaemons;                /* scenario daemons dd1.. */
    char daemon[4][16];
    /* containers per daemon: 0..ndaemons-1 scenario daemons, then one per
     * instance's VM */
    int nctr[7];
    char ctr[7][24][24];
    char mirror[3][GEN_MAX_NAMES][40]; /* names a kube.delete may aim at,
                                          per kind (Container/Image/Volume) */
    int nmirror[3];
    int runs;                    /* docker.run names used */
    int bats_setup[3];           /* bats.setup emitted for the instance */
    uint64_t inst_start_ns[3];   /* when each instance's service starts */
    uint64_t inst_ready_ns[3];   /* ... + prepare, handshake, boot, 30 s */
    uint64_t heal_ns;
} xworld_t;

static const char *kind_name(int k)
{
    return k == 0 ? "Container" : k == 1 ? "Image" : "Volume";
}

static void add_mirror(xworld_t *w, int kind, const char *name)
{
    if (w->nmirror[kind] < GEN_MAX_NAMES)
        snprintf(w->mirror[kind][w->nmirror[kind]++],
                 sizeof(w->mirror[0][0]), "%s", name);
}

/* Containers, images and volumes of one daemon (scenario daemon or VM).
 * slot: its index in w->ctr; prefix names its objects. */
static void content(xtext_t *t, xworld_t *w, sim_rng_t *r, int slot,
                    const char *prefix, const char *indent, xrange_t nc,
                    xrange_t ni, xrange_t nv)
{
    static const char *const states[] = {"running", "running", "exited",
                                         "created", "paused"};
    uint64_t c = draw(r, nc), i = draw(r, ni), v = draw(r, nv), k;
    if (c) {
        put(t, "%scontainers:\n", indent);
        for (k = 0; k < c; k++) {
            char name[24];
            snprintf(name, sizeof(name), "%s-c%" PRIu64, prefix, k);
            put(t, "%s  - {name: %s, image: \"busybox:latest\", state: %s}\n",
                indent, name, states[sim_rng_range(r, 0, 4)]);
            if (w->nctr[slot] < 24)
                snprintf(w->ctr[slot][w->nctr[slot]++], 24, "%s", name);
            add_mirror(w, 0, name);
        }
    }
    if (i) {
        put(t, "%simages:\n", indent);
        for (k = 0; k < i; k++) {
            char tag[40];
            snprintf(tag, sizeof(tag), "%s-i%" PRIu64 ":latest", prefix, k);
            put(t, "%s  - {tags: [\"%s\"]}\n", indent, tag);
            add_mirror(w, 1, tag);
        }
    }
    if (v) {
        put(t, "%svolumes: [", indent);
        for (k = 0; k < v; k++) {
            char name[24];
            snprintf(name, sizeof(name), "%s-v%" PRIu64, prefix, k);
            put(t, "%s%s", k ? ", " : "", name);
            add_mirror(w, 2, name);
        }
        put(t, "]\n");
    }
}

/* One user step of kind k at `at`; returns 0 when the world offers
 * nothing for it to act on (the step is skipped). */
static int step(xtext_t *t, xworld_t *w, sim_rng_t *r, sc_act_kind_t k,
                uint64_t at)
{
    char b[32], b2[32];
    int inst_i = (int)sim_rng_range(r, 0, (uint64_t)w->ninst - 1);
    const char *inst = w->inst[inst_i];
    int slot;
    /* The bats.* steps replay engine-docker.bats on the model's terms
     * (docs/scenarios.md): local_setup_file before the instance's service
     * starts, test 37 once the engine can have written its context.  A
     * world that broke those terms would only report its own timing (B1
     * "setup never ran"), so a drawn BATS step is the setup, at 0s, the
     * first time, and test 37 afterwards, no earlier than start + prepare
     * + handshake + boot + the test's own 30 s wait. */
    if (k == SC_ACT_BATS_SETUP || k == SC_ACT_BATS_TEST37) {
        if (!w->bats_setup[inst_i]) {
            if (w->inst_start_ns[inst_i] < SIM_NS_PER_S)
                return 0;
            k = SC_ACT_BATS_SETUP;
            at = 0;
        } else {
            k = SC_ACT_BATS_TEST37;
            if (at < w->inst_ready_ns[inst_i])
                at = w->inst_ready_ns[inst_i];
            if (at >= w->heal_ns)
                return 0;
        }
    }
    put(t, "  - {at: %s, do: %s", dur(b, at), sc_act_name(k));
    switch (k) {
    case SC_ACT_KUBE_DELETE: {
        int kind = (int)sim_rng_range(r, 0, 2);
        if (!w->nmirror[kind])
            kind = 0;
        if (!w->nmirror[kind])
            goto none;
        put(t, ", instance: \"%s\", kind: %s, docker_name: \"%s\"", inst,
            kind_name(kind),
            w->mirror[kind][sim_rng_range(r, 0,
                                          (uint64_t)w->nmirror[kind] - 1)]);
        break;
    }
    case SC_ACT_OWNER_START:
    case SC_ACT_OWNER_STOP:
    case SC_ACT_OWNER_CRASH:
        if (!w->nowners)
            goto none;
        put(t, ", owner: %s",
            w->owner[sim_rng_range(r, 0, (uint64_t)w->nowners - 1)]);
        break;
    case SC_ACT_BATS_TEST37:
    case SC_ACT_VM_STOP:
    case SC_ACT_VM_START:
    case SC_ACT_RDD_SET:
    case SC_ACT_SVC_START:
    case SC_ACT_HOSTSWITCH_DIE:
    case SC_ACT_BATS_SETUP:
    case SC_ACT_APP_DELETE:
        if (k == SC_ACT_BATS_SETUP)
            w->bats_setup[inst_i] = 1;
        put(t, ", instance: \"%s\"", inst);
        if (k == SC_ACT_RDD_SET)
            put(t, ", running: %s", sim_rng_range(r, 0, 1) ? "true"
                                                          : "false");
        break;
    case SC_ACT_DOCKER_RM:
    case SC_ACT_DOCKER_RUN:
        slot = (int)sim_rng_range(r, 0, (uint64_t)(w->ndaemons + w->ninst) -
                                            1);
        if (slot < w->ndaemons)
            put(t, ", daemon: %s", w->daemon[slot]);
        else
            put(t, ", instance: \"%s\"", w->inst[slot - w->ndaemons]);
        if (k == SC_ACT_DOCKER_RUN) {
            char name[24];
            snprintf(name, sizeof(name), "run-%d", w->runs++);
            put(t, ", container: %s, image: \"busybox:latest\"", name);
            if (w->nctr[slot < w->ndaemons ? slot : 4 + slot - w->ndaemons] <
                24) {
                int s = slot < w->ndaemons ? slot : 4 + slot - w->ndaemons;
                snprintf(w->ctr[s][w->nctr[s]++], 24, "%s", name);
            }
            add_mirror(w, 0, name);
        } else {
            int s = slot < w->ndaemons ? slot : 4 + slot - w->ndaemons;
            if (!w->nctr[s])
                goto none;
            put(t, ", container: %s, force: %s",
                w->ctr[s][sim_rng_range(r, 0, (uint64_t)w->nctr[s] - 1)],
                sim_rng_range(r, 0, 1) ? "true" : "false");
        }
        break;
    case SC_ACT_DOCKER_API: {
        /* one Engine write as the daemon's user (docker stop, pause,
         * image rm, volume rm, ...) */
        static const char *const ops[] = {
            "ContainerStart", "ContainerStop", "ContainerRestart",
            "ContainerPause", "ContainerUnpause", "ContainerRemove",
            "ImageRemove", "VolumeRemove"};
        int op = (int)sim_rng_range(r, 0, 7), s;
        const char *ref;
        slot = (int)sim_rng_range(r, 0, (uint64_t)(w->ndaemons + w->ninst) -
                                            1);
        s = slot < w->ndaemons ? slot : 4 + slot - w->ndaemons;
        if (op == 6)
            ref = w->nmirror[1] ? w->mirror[1][sim_rng_range(
                                      r, 0, (uint64_t)w->nmirror[1] - 1)]
                                : NULL;
        else if (op == 7)
            ref = w->nmirror[2] ? w->mirror[2][sim_rng_range(
                                      r, 0, (uint64_t)w->nmirror[2] - 1)]
                                : NULL;
        else
            ref = w->nctr[s] ? w->ctr[s][sim_rng_range(
                                   r, 0, (uint64_t)w->nctr[s] - 1)]
                             : NULL;
        if (!ref)
            goto none;
        if (slot < w->ndaemons)
            put(t, ", daemon: %s", w->daemon[slot]);
        else
            put(t, ", instance: \"%s\"", w->inst[slot - w->ndaemons]);
        put(t, ", op: %s, ref: \"%s\", force: %s", ops[op], ref,
            sim_rng_range(r, 0, 1) ? "true" : "false");
        break;
    }
    case SC_ACT_APP_PATCH: {
        static const char *const keys[] = {"running", "kubernetes.enabled"};
        put(t, ", instance: \"%s\", key: %s, value: \"%s\"", inst,
            keys[sim_rng_range(r, 0, 1)],
            sim_rng_range(r, 0, 1) ? "true" : "false");
        break;
    }
    case SC_ACT_KUBE_CREATE:
        put(t, ", instance: \"%s\", kind: %s, name: made-%d", inst,
            kind_name((int)sim_rng_range(r, 0, 2)), w->runs++);
        break;
    case SC_ACT_SVC_STOP:
    case SC_ACT_SVC_DELETE:
        put(t, ", instance: \"%s\", console: %s", inst,
            sim_rng_range(r, 0, 2) ? "true" : "false");
        break;
    case SC_ACT_PROC_KILL:
    case SC_ACT_PROC_EXIT: {
        static const char *const procs[] = {"hostagent", "service",
                                            "driver"};
        put(t, ", instance: \"%s\", proc: %s", inst,
            procs[sim_rng_range(r, 0, 2)]);
        if (k == SC_ACT_PROC_EXIT)
            put(t, ", code: %d", (int)sim_rng_range(r, 0, 1));
        break;
    }
    case SC_ACT_PROC_SPAWN:
        /* host pids go 4000, 4004, ...: a low one is likely reused (H14) */
        put(t, ", pid: %" PRIu64 ", exe: 'C:/x/notepad.exe', name: notepad",
            4000 + 4 * sim_rng_range(r, 0, 12));
        break;
    case SC_ACT_FS_HOLD:
    case SC_ACT_FS_RELEASE:
        put(t, ", instance: \"%s\", proc: hostagent, path: "
               "lima/rd/ha.stderr.log", inst);
        break;
    case SC_ACT_WSL_START:
    case SC_ACT_WSL_TERMINATE:
        put(t, ", distro: lima-rd");
        break;
    case SC_ACT_PIPE_HOLD:
        put(t, ", pipe: '\\\\.\\pipe\\docker_engine', for: %s",
            dur(b2, sim_rng_range(r, 1, 60) * SIM_NS_PER_S));
        break;
    case SC_ACT_CONTEXT_USE:
        put(t, ", name: %s",
            sim_rng_range(r, 0, 1) ? "default" : "broken");
        break;
    case SC_ACT_CONTEXT_SEED:
        put(t, ", name: broken, host: 'unix:///nonexistent.sock'");
        break;
    case SC_ACT_RDD_CTL: {
        static const char *const verbs[] = {"get", "delete", "patch"};
        int v = (int)sim_rng_range(r, 0, 2);
        if (v == 2)
            put(t, ", instance: \"%s\", verb: patch, kind: App, name: app, "
                   "key: running, value: \"%s\"",
                inst, sim_rng_range(r, 0, 1) ? "true" : "false");
        else if (w->nmirror[0] && sim_rng_range(r, 0, 1))
            put(t, ", instance: \"%s\", verb: %s, kind: Container, name: "
                   "\"%s\", namespace: default",
                inst, verbs[v],
                w->mirror[0][sim_rng_range(r, 0,
                                           (uint64_t)w->nmirror[0] - 1)]);
        else
            put(t, ", instance: \"%s\", verb: %s, kind: App, name: app",
                inst, verbs[v]);
        break;
    }
    default:
        goto none;
    }
    put(t, "}\n");
    return 1;
none:
    /* take the half-written step back */
    while (t->len && t->buf[t->len - 1] != '\n')
        t->len--;
    t->buf[t->len] = 0;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Is action k possible on this host at all? */
static int action_fits(sc_act_kind_t k, int windows)
{
    switch (k) {
    case SC_ACT_WSL_START:
    case SC_ACT_WSL_TERMINATE:
    case SC_ACT_PIPE_HOLD:
    case SC_ACT_HOSTSWITCH_DIE:
    case SC_ACT_OWNER_START:
    case SC_ACT_OWNER_STOP:
    case SC_ACT_OWNER_CRASH:
        return windows;
    default:
        return 1;
    }
}

static int world_text(const xprofile_t *p, uint64_t seed,
                      const char *const *variants, int nvariants,
                      xtext_t *t)
{
    sim_rng_t rw, ri, ro, ru, rf, rl;
    xworld_t w;
    char b[32], b2[32];
    uint64_t duration, heal, k;
    const char *host;
    int i, used[XP_MAX_W];

    memset(&w, 0, sizeof(w));
    sim_rng_fork(&rw, seed, "gen.world");
    sim_rng_fork(&ri, seed, "gen.instances");
    sim_rng_fork(&ro, seed, "gen.owners");
    sim_rng_fork(&ru, seed, "gen.user");
    sim_rng_fork(&rf, seed, "gen.faults");
    sim_rng_fork(&rl, seed, "gen.liveness");

    duration = draw_ms(&rw, p->duration);
    host = p->hosts.e[pick(&rw, &p->hosts)].name;
    w.host_windows = !strcmp(host, "windows") || !strcmp(host, "msys") ||
                     !strcmp(host, "wsl2");
    heal = draw_ms(&rl, p->heal);
    if (heal + 300 * SIM_NS_PER_S > duration)
        heal = duration - 300 * SIM_NS_PER_S;
    w.heal_ns = heal;

    put(t, "# An explored world: profile %s, seed %" PRIu64 " (rddsim "
           "explore --emit %" PRIu64 " --profile %s).\n",
        p->name, seed, seed, p->name);
    put(t, "name: %s-%" PRIu64 "\n", p->name, seed);
    put(t, "host: %s\nseed: %" PRIu64 "\nduration: %s\n", host, seed,
        dur(b, duration));
    {
        uint64_t late = draw(&rw, p->lateness);
        put(t, "timers: {lateness: %s..%s}\n", dur(b, late),
            dur(b2, late + late / 10));
    }
    put(t, "heal: %s\n", dur(b, heal));

    /* owners and their daemons (Windows pipes: Windows hosts only) */
    if (w.host_windows) {
        uint64_t no = draw(&ro, p->nowners);
        int ndd = 0;
        char odaemon[4][16] = {{0}};
        int okind[4];
        for (k = 0; k < no; k++) {
            okind[k] = pick(&ro, &p->kinds);
            if (!strcmp(p->kinds.e[okind[k]].name, "docker-desktop")) {
                snprintf(w.daemon[ndd], sizeof(w.daemon[0]), "dd%d", ndd + 1);
                snprintf(odaemon[k], sizeof(odaemon[0]), "dd%d", ndd + 1);
                ndd++;
            }
        }
        w.ndaemons = ndd;
        if (ndd) {
            put(t, "\ndaemons:\n");
            for (i = 0; i < ndd; i++) {
                put(t, "  - name: %s\n    id: DD-ENGINE-%04d\n", w.daemon[i],
                    i + 1);
                content(t, &w, &ro, i, w.daemon[i], "    ", p->dd_containers,
                        p->dd_images, p->dd_volumes);
            }
        }
        if (no) {
            put(t, "\nowners:\n");
            for (k = 0; k < no; k++) {
                const char *kind = p->kinds.e[okind[k]].name;
                snprintf(w.owner[k], sizeof(w.owner[0]), "%s-%d", kind,
                         (int)k + 1);
                put(t, "  - {kind: %s, name: %s", kind, w.owner[k]);
                if (odaemon[k][0])
                    put(t, ", daemon: %s", odaemon[k]);
                if (!sim_rng_chance(&ro, p->owner_late))
                    put(t, ", start: %s",
                        dur(b, draw_ms(&ro, p->owner_start)));
                put(t, "}\n");
            }
            w.nowners = (int)no;
        }
    }

    /* instances: distinct RDD_INSTANCE values drawn by weight */
    {
        uint64_t ni = draw(&ri, p->ninst);
        memset(used, 0, sizeof(used));
        put(t, "\ninstances:\n");
        for (k = 0; k < ni; k++) {
            int v;
            do
                v = pick(&ri, &p->values);
            while (used[v]);
            used[v] = 1;
            snprintf(w.inst[k], sizeof(w.inst[0]), "%s", p->values.e[v].name);
            {
                uint64_t st = draw_ms(&ri, p->inst_start);
                uint64_t hs = draw_ms(&ri, p->handshake);
                uint64_t bo = draw_ms(&ri, p->boot);
                uint64_t pr = draw_ms(&ri, p->prepare);
                w.inst_start_ns[k] = st;
                w.inst_ready_ns[k] = st + hs + bo + pr + 30 * SIM_NS_PER_S;
                if (!strcmp(w.inst[k], "unset"))
                    put(t, "  - start: %s\n", dur(b, st));
                else
                    put(t, "  - rdd_instance: \"%s\"\n    start: %s\n",
                        w.inst[k], dur(b, st));
                put(t, "    handshake: %s\n    boot: %s\n    prepare: %s\n",
                    dur(b, hs), dur(b2, bo), dur((char[32]){0}, pr));
            }
            if (sim_rng_chance(&ri, p->never_running))
                put(t, "    never_running: true\n");
            /* each instance its own docker config: the shared one is
             * hazard H6, which a profile reaches through context steps */
            put(t, "    env: {DOCKER_CONFIG: 'C:/Users/u/cfg-%d'}\n", (int)k);
            {
                char prefix[16];
                xtext_t vm = {0};
                snprintf(prefix, sizeof(prefix), "vm%d", (int)k + 1);
                content(&vm, &w, &ri, 4 + (int)k, prefix, "      ",
                        p->vm_containers, p->vm_images, p->vm_volumes);
                if (vm.oom) {
                    free(vm.buf);
                    return SIM_ENOMEM;
                }
                if (vm.len)
                    put(t, "    vm:\n%s", vm.buf);
                free(vm.buf);
            }
            {
                uint64_t lag = draw_ms(&ri, p->lag), ns = draw(&ri, p->nspikes);
                put(t, "    apiserver:\n      lag: 0ms..%s\n", dur(b, lag));
                if (ns) {
                    put(t, "      spikes:\n");
                    for (uint64_t s = 0; s < ns; s++) {
                        uint64_t from = sim_rng_range(&ri, 1, heal / SIM_NS_PER_S
                                                                  - 1) *
                                        SIM_NS_PER_S;
                        uint64_t len = sim_rng_range(&ri, 1, 60) * SIM_NS_PER_S;
                        if (from + len > heal)
                            len = heal - from;
                        put(t, "        - {from: %s, to: %s, lag: %s}\n",
                            dur(b, from), dur(b2, from + len),
                            dur((char[32]){0}, draw_ms(&ri, p->spike_lag)));
                    }
                }
            }
        }
        w.ninst = (int)ni;
    }

    /* swarm faults: each site on with probability 1/2, firing per call
     * with 1/den, den log-uniform in the profile's range */
    {
        int any = 0;
        for (i = 0; i < p->nsites; i++) {
            uint64_t den, e, span = 0, v;
            uint64_t lo = p->chance_den_lo, hi = p->chance_den_hi;
            int on = (int)(sim_rng_next(&rf) & 1);
            /* den log-uniform in [lo, hi], in integers only: e eighths of
             * a doubling above lo, 2^(e/8) taken piecewise linearly */
            for (v = hi / lo; v > 1; v >>= 1)
                span++;
            e = sim_rng_range(&rf, 0, span * 8);
            den = (lo << (e >> 3)) * (8 + (e & 7)) / 8;
            if (den > hi)
                den = hi;
            if (!on)
                continue;
            if (!any)
                put(t, "\nfaults:\n");
            any = 1;
            put(t, "  - {site: %s, chance: 1/%" PRIu64 "}\n",
                sim_fault_name((sim_fault_site_t)p->sites[i]), den);
        }
    }

    /* the user, then the liveness phase */
    {
        uint64_t ns = draw(&ru, p->nsteps), at[40];
        int windows = w.host_windows;
        xwmap_t acts = p->actions;
        /* drop actions this host cannot do */
        acts.total = 0;
        for (i = 0; i < acts.n; i++) {
            if (!action_fits((sc_act_kind_t)action_known(acts.e[i].name),
                             windows))
                acts.e[i].w = 0;
            acts.total += acts.e[i].w;
        }
        for (k = 0; k < ns; k++)
            at[k] = sim_rng_range(&ru, 1, heal / SIM_NS_PER_S - 1) *
                        SIM_NS_PER_S +
                    sim_rng_range(&ru, 0, 9) * 100000000;
        qsort(at, ns, sizeof(at[0]), cmp_u64);
        put(t, "\ntimeline:\n");
        /* owners misbehave only before heal: a crash, then maybe a
         * restart */
        for (i = 0; i < w.nowners; i++)
            if (sim_rng_chance(&ro, p->owner_crash)) {
                uint64_t c = sim_rng_range(&ro, 1, heal / SIM_NS_PER_S - 1);
                put(t, "  - {at: %s, do: owner.crash, owner: %s}\n",
                    dur(b, c * SIM_NS_PER_S), w.owner[i]);
                if (sim_rng_chance(&ro, p->owner_restart) &&
                    c + 1 < heal / SIM_NS_PER_S)
                    put(t, "  - {at: %s, do: owner.start, owner: %s}\n",
                        dur(b, sim_rng_range(&ro, c + 1,
                                             heal / SIM_NS_PER_S) *
                                   SIM_NS_PER_S),
                        w.owner[i]);
            }
        for (k = 0; acts.total && k < ns; k++) {
            int a = pick(&ru, &acts);
            step(t, &w, &ru, (sc_act_kind_t)action_known(acts.e[a].name),
                 at[k]);
        }
        /* at heal: faults stop (heal:), owners are left alone, and the
         * user makes one last request per instance */
        for (i = 0; i < w.ninst; i++)
            put(t, "  - {at: %s, do: rdd.set, instance: \"%s\", running: "
                   "%s}\n",
                dur(b, heal + (uint64_t)i * SIM_NS_PER_S), w.inst[i],
                p->last_running.e[pick(&rl, &p->last_running)].name);
    }

    /* variants */
    put(t, "\nvariants:\n");
    if (!nvariants) {
        static const char *const head[] = {"head"};
        variants = head;
        nvariants = 1;
    }
    for (i = 0; i < nvariants; i++) {
        const char *preset;
        rdd_flags_t flags;
        if (xvariant_parse(variants[i], &preset, &flags))
            return SIM_EINVAL;
        put(t, "  \"%s\":\n", variants[i]);
        if (strcmp(preset, variants[i]) != 0) {
            int any = 0;
            put(t, "    base: %s\n", preset);
            for (int f = 0; f < RDD_FLAG__COUNT; f++)
                if (flags & RDD_FLAG_BIT(f)) {
                    put(t, "%s%s", any ? ", " : "    flags: [",
                        rdd_flag_name((rdd_flag_t)f));
                    any = 1;
                }
            if (any)
                put(t, "]\n");
        }
        put(t, "    expect: {violated: []}\n");
    }
    return t->oom ? SIM_ENOMEM : 0;
}

int xgen_text(const xprofile_t *p, uint64_t seed, const char *const *variants,
              int nvariants, char **text, size_t *len)
{
    xtext_t t = {0};
    int rc;
    t.cap = 4096;
    if (!(t.buf = malloc(t.cap)))
        return SIM_ENOMEM;
    t.buf[0] = 0;
    rc = world_text(p, seed, variants, nvariants, &t);
    if (rc) {
        free(t.buf);
        return rc;
    }
    *text = t.buf;
    *len = t.len;
    return 0;
}

int xgen_world(const xprofile_t *p, uint64_t seed,
               const char *const *variants, int nvariants, scenario_t *sc)
{
    char *text, name[96];
    size_t len;
    yt_error_t err;
    int rc = xgen_text(p, seed, variants, nvariants, &text, &len);
    if (rc)
        return rc;
    snprintf(name, sizeof(name), "%s-%" PRIu64 ".yaml", p->name, seed);
    memset(sc, 0, sizeof(*sc));
    rc = scenario_load_buffer(name, text, len, sc, &err);
    if (rc) {
        /* a world the loader refuses is the generator's bug: say where */
        fprintf(stderr, "%s:%d:%d: %s (generated world; rddsim explore "
                        "--emit %" PRIu64 " --profile %s)\n",
                err.file, err.line, err.col, err.msg, seed, p->name);
        rc = SIM_EINVAL;
    }
    free(text);
    return rc;
}
