/*
 * shrink.c: ddmin and simplification of a failing scenario (shrink.h).
 */
#include "shrink.h"
#include "sweep.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "emit.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/trace.h"

#define MAX_UNITS 2048
#define EMIT_BUF (1u << 20) /* one emitted candidate */

typedef enum {
    U_INSTANCE,
    U_OWNER,
    U_DAEMON,
    U_FAULT,
    U_STEP,
    U_CONTAINER,
    U_IMAGE,
    U_VOLUME,
    U_ENV,
    U_SPIKE,
} unit_kind_t;

/* One removable part.  d: a daemon index, or SC_MAX_DAEMONS + instance
 * for an instance's VM daemon; i: the part's index in its list. */
typedef struct {
    unit_kind_t kind;
    int d, i;
} unit_t;

typedef struct {
    const shrink_opts_t *o;
    scenario_t *base;          /* one variant, duration cut */
    scenario_t *cand;          /* scratch */
    scenario_t *cur;           /* the smallest that still fails */
    scenario_t *reload;        /* a candidate emitted and loaded back */
    char *ebuf;                /* EMIT_BUF bytes for that */
    uint64_t max_events;       /* each candidate's event budget */
    world_result_t res;        /* cur's run */
    shrink_sig_t sig;
    unit_t u[MAX_UNITS];
    int nu;
    unsigned char present[MAX_UNITS]; /* in cur, after cascades */
    int live[MAX_UNITS];       /* ddmin: the units still kept */
    int runs, max_runs;
} shrink_t;

/* text ----------------------------------------------------------------------*/

static void add(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends to buf, truncating at len. */
static void add(char *buf, size_t len, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    if (n + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}

static const char *iname(const scenario_t *sc, int i)
{
    return sc->instances[i].env_set ? sc->instances[i].value : "unset";
}

static sc_daemon_t *unit_daemon(scenario_t *sc, const unit_t *u)
{
    return u->d >= SC_MAX_DAEMONS ? &sc->instances[u->d - SC_MAX_DAEMONS].daemon
                                  : &sc->daemons[u->d];
}

static const char *dname(const scenario_t *sc, int d, char *buf, size_t len)
{
    if (d >= SC_MAX_DAEMONS)
        snprintf(buf, len, "the VM of '%s'", iname(sc, d - SC_MAX_DAEMONS));
    else
        snprintf(buf, len, "%s", sc->daemons[d].name);
    return buf;
}

static void describe(const scenario_t *sc, const unit_t *u, char *buf,
                     size_t len)
{
    static const char *const env[] = {"DOCKER_CONFIG", "DOCKER_HOST",
                                      "DOCKER_CONTEXT", "RDD_LOG_DIR"};
    char d[96], t[32];
    const sc_daemon_t *dm;
    switch (u->kind) {
    case U_INSTANCE:
        snprintf(buf, len, "instance '%s'", iname(sc, u->i));
        break;
    case U_OWNER:
        snprintf(buf, len, "owner %s", sc->owners[u->i].name);
        break;
    case U_DAEMON:
        snprintf(buf, len, "daemon %s", sc->daemons[u->i].name);
        break;
    case U_FAULT:
        snprintf(buf, len, "fault %s",
                 sim_fault_name(sc->faults[u->i].site));
        break;
    case U_STEP:
        snprintf(buf, len, "step %s@%s (line %d)",
                 sc_act_name(sc->actions[u->i].kind),
                 sim_fmt_ns(t, sc->actions[u->i].at_ns),
                 sc->actions[u->i].line);
        break;
    case U_CONTAINER:
        dm = unit_daemon((scenario_t *)sc, u);
        snprintf(buf, len, "container %s x%" PRIu64 " on %s",
                 dm->c[u->i].name, dm->c[u->i].count,
                 dname(sc, u->d, d, sizeof(d)));
        break;
    case U_IMAGE:
        dm = unit_daemon((scenario_t *)sc, u);
        snprintf(buf, len, "image %s on %s", dm->im[u->i].tags[0],
                 dname(sc, u->d, d, sizeof(d)));
        break;
    case U_VOLUME:
        dm = unit_daemon((scenario_t *)sc, u);
        snprintf(buf, len, "volume %s on %s", dm->vol[u->i],
                 dname(sc, u->d, d, sizeof(d)));
        break;
    case U_ENV:
        snprintf(buf, len, "env %s of '%s'", env[u->i], iname(sc, u->d));
        break;
    case U_SPIKE:
        snprintf(buf, len, "apiserver spike %d of '%s'", u->i + 1,
                 iname(sc, u->d));
        break;
    }
}

/* units ---------------------------------------------------------------------*/

static char *env_str(sc_instance_t *in, int k)
{
    return k == 0 ? in->env_docker_config
         : k == 1 ? in->env_docker_host
         : k == 2 ? in->env_docker_context
                  : in->env_log_dir;
}

static void push(shrink_t *s, unit_kind_t k, int d, int i)
{
    if (s->nu < MAX_UNITS) {
        s->u[s->nu].kind = k;
        s->u[s->nu].d = d;
        s->u[s->nu].i = i;
        s->nu++;
    }
}

static void content_units(shrink_t *s, const sc_daemon_t *dm, int d)
{
    int i;
    for (i = 0; i < dm->nc; i++)
        push(s, U_CONTAINER, d, i);
    for (i = 0; i < dm->ni; i++)
        push(s, U_IMAGE, d, i);
    for (i = 0; i < dm->nv; i++)
        push(s, U_VOLUME, d, i);
}

/* Every part of base, biggest first (ddmin cuts the list in halves). */
static void list_units(shrink_t *s)
{
    scenario_t *b = s->base;
    int i, k;
    for (i = 0; i < b->ninstances; i++)
        push(s, U_INSTANCE, 0, i);
    for (i = 0; i < b->nowners; i++)
        push(s, U_OWNER, 0, i);
    for (i = 0; i < b->ndaemons; i++)
        push(s, U_DAEMON, 0, i);
    for (i = 0; i < b->nfaults; i++)
        push(s, U_FAULT, 0, i);
    for (i = 0; i < b->nactions; i++)
        push(s, U_STEP, 0, i);
    for (i = 0; i < b->ndaemons; i++)
        content_units(s, &b->daemons[i], i);
    for (i = 0; i < b->ninstances; i++)
        content_units(s, &b->instances[i].daemon, SC_MAX_DAEMONS + i);
    for (i = 0; i < b->ninstances; i++) {
        for (k = 0; k < 4; k++)
            if (env_str(&b->instances[i], k)[0])
                push(s, U_ENV, i, k);
        for (k = 0; k < b->instances[i].lag.nspikes; k++)
            push(s, U_SPIKE, i, k);
    }
}

/* Compacts a daemon's content to the kept units. */
static void keep_content(sc_daemon_t *dst, const sc_daemon_t *src,
                         const unsigned char *kc, const unsigned char *ki,
                         const unsigned char *kv)
{
    int i;
    dst->nc = dst->ni = dst->nv = 0;
    for (i = 0; i < src->nc; i++)
        if (kc[i])
            dst->c[dst->nc++] = src->c[i];
    for (i = 0; i < src->ni; i++)
        if (ki[i])
            dst->im[dst->ni++] = src->im[i];
    for (i = 0; i < src->nv; i++)
        if (kv[i])
            memcpy(dst->vol[dst->nv++], src->vol[i], sizeof(src->vol[0]));
}

/* base with only the kept units, and whatever names a removed part
 * removed too, into out; present[] says which units survived. */
static void materialize(const shrink_t *s, const unsigned char *keep,
                        scenario_t *out, unsigned char *present)
{
    const scenario_t *b = s->base;
    unsigned char kin[SC_MAX_INSTANCES], kow[SC_MAX_OWNERS],
        kd[SC_MAX_DAEMONS], kf[SC_MAX_FAULTS], ka[SC_MAX_ACTIONS];
    unsigned char kc[SC_MAX_DAEMONS + SC_MAX_INSTANCES][SC_MAX_ITEMS],
        ki[SC_MAX_DAEMONS + SC_MAX_INSTANCES][SC_MAX_ITEMS],
        kv[SC_MAX_DAEMONS + SC_MAX_INSTANCES][SC_MAX_ITEMS];
    unsigned char ksp[SC_MAX_INSTANCES][KUBE_LAG_SPIKES_MAX];
    int map_in[SC_MAX_INSTANCES], map_ow[SC_MAX_OWNERS], i, j, n;
    memset(kin, 1, sizeof(kin));
    memset(kow, 1, sizeof(kow));
    memset(kd, 1, sizeof(kd));
    memset(kf, 1, sizeof(kf));
    memset(ka, 1, sizeof(ka));
    memset(kc, 1, sizeof(kc));
    memset(ki, 1, sizeof(ki));
    memset(kv, 1, sizeof(kv));
    memset(ksp, 1, sizeof(ksp));
    *out = *b;
    for (j = 0; j < s->nu; j++) {
        const unit_t *u = &s->u[j];
        if (keep[j])
            continue;
        switch (u->kind) {
        case U_INSTANCE: kin[u->i] = 0; break;
        case U_OWNER: kow[u->i] = 0; break;
        case U_DAEMON: kd[u->i] = 0; break;
        case U_FAULT: kf[u->i] = 0; break;
        case U_STEP: ka[u->i] = 0; break;
        case U_CONTAINER: kc[u->d][u->i] = 0; break;
        case U_IMAGE: ki[u->d][u->i] = 0; break;
        case U_VOLUME: kv[u->d][u->i] = 0; break;
        case U_ENV: env_str(&out->instances[u->d], u->i)[0] = 0; break;
        case U_SPIKE: ksp[u->d][u->i] = 0; break;
        }
    }
    /* cascades: a removed daemon takes its owners; a removed owner,
     * instance or daemon takes the steps that name it */
    for (i = 0; i < b->nowners; i++)
        for (j = 0; j < b->ndaemons; j++)
            if (!kd[j] && !strcmp(b->owners[i].daemon, b->daemons[j].name))
                kow[i] = 0;
    for (i = 0; i < b->nactions; i++) {
        const sc_action_t *a = &b->actions[i];
        if ((a->owner >= 0 && !kow[a->owner]) ||
            (a->instance >= 0 && !kin[a->instance]) ||
            (a->daemon_instance >= 0 && !kin[a->daemon_instance]))
            ka[i] = 0;
        if ((a->kind == SC_ACT_DOCKER_RM || a->kind == SC_ACT_DOCKER_RUN) &&
            a->daemon_instance < 0)
            for (j = 0; j < b->ndaemons; j++)
                if (!kd[j] && !strcmp(a->daemon, b->daemons[j].name))
                    ka[i] = 0;
    }
    for (i = 0; i < b->ndaemons; i++)
        keep_content(&out->daemons[i], &b->daemons[i], kc[i], ki[i], kv[i]);
    for (i = 0; i < b->ninstances; i++) {
        const kube_lag_t *src = &b->instances[i].lag;
        kube_lag_t *dst = &out->instances[i].lag;
        keep_content(&out->instances[i].daemon, &b->instances[i].daemon,
                     kc[SC_MAX_DAEMONS + i], ki[SC_MAX_DAEMONS + i],
                     kv[SC_MAX_DAEMONS + i]);
        dst->nspikes = 0;
        for (j = 0; j < src->nspikes; j++)
            if (ksp[i][j])
                dst->spikes[dst->nspikes++] = src->spikes[j];
    }
    for (i = n = 0; i < b->ndaemons; i++)
        if (kd[i])
            out->daemons[n++] = out->daemons[i];
    out->ndaemons = n;
    for (i = n = 0; i < b->nowners; i++) {
        map_ow[i] = kow[i] ? n : -1;
        if (kow[i])
            out->owners[n++] = b->owners[i];
    }
    out->nowners = n;
    for (i = n = 0; i < b->ninstances; i++) {
        map_in[i] = kin[i] ? n : -1;
        if (kin[i])
            out->instances[n++] = out->instances[i];
    }
    out->ninstances = n;
    for (i = n = 0; i < b->nfaults; i++)
        if (kf[i])
            out->faults[n++] = b->faults[i];
    out->nfaults = n;
    for (i = n = 0; i < b->nactions; i++)
        if (ka[i]) {
            sc_action_t *a = &out->actions[n++];
            *a = b->actions[i];
            if (a->owner >= 0)
                a->owner = map_ow[a->owner];
            if (a->instance >= 0)
                a->instance = map_in[a->instance];
            if (a->daemon_instance >= 0)
                a->daemon_instance = map_in[a->daemon_instance];
        }
    out->nactions = n;
    if (!present)
        return;
    for (j = 0; j < s->nu; j++) {
        const unit_t *u = &s->u[j];
        int alive = keep[j];
        switch (u->kind) {
        case U_OWNER: alive = kow[u->i]; break;
        case U_STEP: alive = ka[u->i]; break;
        case U_CONTAINER:
        case U_IMAGE:
        case U_VOLUME:
            if (u->d >= SC_MAX_DAEMONS ? !kin[u->d - SC_MAX_DAEMONS]
                                       : !kd[u->d])
                alive = 0;
            break;
        case U_ENV:
        case U_SPIKE:
            if (!kin[u->d])
                alive = 0;
            break;
        default:
            break;
        }
        present[j] = (unsigned char)alive;
    }
}

/* signatures ----------------------------------------------------------------*/

/* The instance a violation's sentence names: its first "rancher-desktop"
 * word. */
static void why_instance(const char *why, char *out, size_t len)
{
    const char *p = strstr(why, "rancher-desktop");
    size_t n = 0;
    out[0] = 0;
    if (!p)
        return;
    while (p[n] && n + 1 < len &&
           ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
            (p[n] >= '0' && p[n] <= '9') || p[n] == '-' || p[n] == '_' ||
            p[n] == '.'))
        n++;
    while (n && p[n - 1] == '.')
        n--;
    memcpy(out, p, n);
    out[n] = 0;
}

/* The signature res shows for inv (NULL: its first violation); -1 if
 * none. */
static int signature(const world_result_t *res, const char *inv,
                     shrink_sig_t *sig)
{
    int i, best = -1;
    for (i = 0; i < res->nviolated; i++) {
        if (inv && strcmp(inv, res->violated[i]))
            continue;
        if (best < 0 || res->violated_ns[i] < res->violated_ns[best])
            best = i;
    }
    if (best < 0)
        return -1;
    memset(sig, 0, sizeof(*sig));
    snprintf(sig->inv, sizeof(sig->inv), "%s", res->violated[best]);
    why_instance(res->why[best], sig->inst, sizeof(sig->inst));
    xcause(res->why[best], sig->cause, sizeof(sig->cause));
    sig->at_ns = res->violated_ns[best];
    return 0;
}

/* Does res show s's signature? */
static int holds(const shrink_t *s, const world_result_t *res)
{
    shrink_sig_t got;
    int i;
    if (signature(res, s->sig.inv, &got) || strcmp(got.inst, s->sig.inst) ||
        strcmp(got.cause, s->sig.cause))
        return 0;
    if (s->o->invariant)
        return 1;
    for (i = 0; i < res->nviolated; i++)
        if (res->violated_ns[i] < got.at_ns)
            return 0;
    return 1;
}

/* Runs sc as the file that would be written: emitted, loaded back (the
 * loader's validation included) and run under the event budget where
 * world_io_t has one.  1 if it keeps the signature (then *res is its
 * result). */
static int try_run(shrink_t *s, const scenario_t *sc, world_result_t *res)
{
    world_io_t io;
    yt_error_t err;
    FILE *m;
    long n;
    int rc;
    if (s->runs >= s->max_runs)
        return 0;
    s->runs++;
    if (!(m = fmemopen(s->ebuf, EMIT_BUF, "w")))
        return 0;
    rc = sc_emit(sc, m);
    if (fflush(m) != 0 || ferror(m))
        rc = SIM_EPIPE;
    n = ftell(m);
    fclose(m);
    if (rc || n <= 0 || (size_t)n >= EMIT_BUF)
        return 0;
    if (scenario_load_buffer(sc->file, s->ebuf, (size_t)n, s->reload, &err))
        return 0;
    memset(&io, 0, sizeof(io));
    io.max_events = s->max_events;
    if (world_run(s->reload, &s->reload->variants[0], s->o->seed, &io, res))
        return 0;
    if (res->stop != WORLD_STOP_NONE)
        return 0;
    return holds(s, res);
}

/* Runs s->cand; if it keeps the signature it becomes s->cur. */
static int accept(shrink_t *s)
{
    world_result_t res;
    scenario_t *t;
    if (!try_run(s, s->cand, &res))
        return 0;
    t = s->cur;
    s->cur = s->cand;
    s->cand = t;
    s->res = res;
    return 1;
}

static uint64_t floor_s(uint64_t ns)
{
    return ns / SIM_NS_PER_S * SIM_NS_PER_S;
}

static uint64_t ceil_s(uint64_t ns)
{
    return (ns + SIM_NS_PER_S - 1) / SIM_NS_PER_S * SIM_NS_PER_S;
}

/* The duration cut to the violation plus the settle time. */
static int cut_duration(shrink_t *s, char *log, size_t len)
{
    shrink_sig_t got;
    uint64_t d, old = s->cur->duration_ns;
    char a[32], b[32];
    int i, n, dropped;
    if (signature(&s->res, s->sig.inv, &got))
        return 0;
    d = ceil_s(got.at_ns) + SHRINK_SETTLE_NS;
    /* nothing may start in the run's last seconds (the loader) */
    for (i = 0; i < s->cur->ninstances; i++)
        if (s->cur->instances[i].start_ns + 2 * SIM_NS_PER_S > d)
            d = ceil_s(s->cur->instances[i].start_ns) + 2 * SIM_NS_PER_S;
    for (i = 0; i < s->cur->nowners; i++)
        if (s->cur->owners[i].has_start &&
            s->cur->owners[i].start_ns + 2 * SIM_NS_PER_S > d)
            d = ceil_s(s->cur->owners[i].start_ns) + 2 * SIM_NS_PER_S;
    if (d >= old)
        return 0;
    *s->cand = *s->cur;
    s->cand->duration_ns = d;
    /* steps at or after the end never run: drop them; a repeat's until
     * past the end is the end */
    for (i = n = 0; i < s->cand->nactions; i++) {
        sc_action_t *st = &s->cand->actions[i];
        if (st->at_ns >= d)
            continue;
        if (st->until_ns >= d)
            st->until_ns = 0;
        s->cand->actions[n++] = *st;
    }
    dropped = s->cand->nactions - n;
    s->cand->nactions = n;
    if (!accept(s))
        return 0;
    if (log)
        add(log, len, dropped ? "duration %s -> %s (%d steps after it "
                                "dropped); "
                              : "duration %s -> %s; ",
            sim_fmt_ns(a, old), sim_fmt_ns(b, d), dropped);
    return 1;
}

/* ddmin ---------------------------------------------------------------------*/

static int try_keep(shrink_t *s, const int *live, int nlive, int skip_from,
                    int skip_to)
{
    unsigned char keep[MAX_UNITS];
    int k;
    memset(keep, 0, sizeof(keep));
    for (k = 0; k < nlive; k++)
        if (k < skip_from || k >= skip_to)
            keep[live[k]] = 1;
    materialize(s, keep, s->cand, NULL);
    return accept(s);
}

static void ddmin(shrink_t *s)
{
    int *live = s->live, nlive = 0, n = 2, k;
    for (k = 0; k < s->nu; k++)
        live[nlive++] = k;
    if (nlive == 1 && try_keep(s, live, nlive, 0, 1))
        nlive = 0;
    while (nlive >= 2 && s->runs < s->max_runs) {
        int chunk = (nlive + n - 1) / n, start, reduced = 0;
        for (start = 0; start < nlive; start += chunk) {
            int end = start + chunk < nlive ? start + chunk : nlive;
            if (try_keep(s, live, nlive, start, end)) {
                memmove(live + start, live + end,
                        sizeof(live[0]) * (size_t)(nlive - end));
                nlive -= end - start;
                n = n - 1 > 2 ? n - 1 : 2;
                reduced = 1;
                break;
            }
        }
        if (reduced)
            continue;
        if (n >= nlive)
            break;
        n = 2 * n < nlive ? 2 * n : nlive;
    }
    if (nlive == 1 && try_keep(s, live, nlive, 0, 1))
        nlive = 0;
    {
        unsigned char keep[MAX_UNITS];
        memset(keep, 0, sizeof(keep));
        for (k = 0; k < nlive; k++)
            keep[live[k]] = 1;
        materialize(s, keep, s->cand, s->present);
    }
}

/* simplification ------------------------------------------------------------*/

/* The times to try instead of at, in order: prev, halfway, whole
 * second below; only those earlier than at. */
static int earlier(uint64_t prev, uint64_t at, uint64_t *tries)
{
    uint64_t c[3];
    int n = 0, k;
    c[0] = prev;
    c[1] = ceil_s(prev + (at - prev) / 2);
    c[2] = floor_s(at);
    for (k = 0; k < 3; k++)
        if (c[k] < at && (n == 0 || c[k] > tries[n - 1]))
            tries[n++] = c[k];
    return n;
}

/* Where a start time lives: owner i's (k = 0) or instance i's (k = 1). */
static uint64_t *start_of(scenario_t *sc, int i, int k)
{
    return k ? &sc->instances[i].start_ns : &sc->owners[i].start_ns;
}

static void simplify_starts(shrink_t *s, char *log, size_t len)
{
    int k, i, c;
    for (k = 0; k < 2; k++)
        for (i = 0; i < (k ? s->cur->ninstances : s->cur->nowners); i++) {
            uint64_t at = *start_of(s->cur, i, k), tries[3];
            char a[32], b[32];
            int n;
            if (!k && !s->cur->owners[i].has_start)
                continue;
            n = earlier(0, at, tries);
            for (c = 0; c < n; c++) {
                *s->cand = *s->cur;
                *start_of(s->cand, i, k) = tries[c];
                if (accept(s)) {
                    if (k)
                        add(log, len, "instance '%s' start %s -> %s; ",
                            iname(s->cur, i), sim_fmt_ns(a, at),
                            sim_fmt_ns(b, tries[c]));
                    else
                        add(log, len, "owner %s start %s -> %s; ",
                            s->cur->owners[i].name, sim_fmt_ns(a, at),
                            sim_fmt_ns(b, tries[c]));
                    break;
                }
            }
        }
}

static void simplify_steps(shrink_t *s, char *log, size_t len)
{
    int i, c;
    for (i = 0; i < s->cur->nactions; i++) {
        uint64_t at = s->cur->actions[i].at_ns, prev = 0, tries[3];
        char a[32], b[32];
        int ntries;
        if (i && s->cur->actions[i - 1].at_ns <= at)
            prev = s->cur->actions[i - 1].at_ns;
        ntries = earlier(prev, at, tries);
        for (c = 0; c < ntries; c++) {
            sc_action_t *na;
            *s->cand = *s->cur;
            na = &s->cand->actions[i];
            na->at_ns = tries[c];
            if (accept(s)) {
                add(log, len, "%s at line %d %s -> %s; ",
                    sc_act_name(na->kind), na->line, sim_fmt_ns(a, at),
                    sim_fmt_ns(b, tries[c]));
                break;
            }
        }
    }
}

/* Where a window lives in a scenario: fault i's (k < 0), or spike k of
 * instance i's apiserver. */
static uint64_t *win_from(scenario_t *sc, int i, int k)
{
    return k < 0 ? &sc->faults[i].arm.from_ns
                 : &sc->instances[i].lag.spikes[k].from_ns;
}

static uint64_t *win_to(scenario_t *sc, int i, int k)
{
    return k < 0 ? &sc->faults[i].arm.to_ns
                 : &sc->instances[i].lag.spikes[k].to_ns;
}

/* A window [from, to) shorter: halved, on whole seconds, while it still
 * fails. */
static int shorten(shrink_t *s, int i, int k)
{
    int changed = 0, n;
    for (n = 0; n < 8; n++) {
        uint64_t from = *win_from(s->cur, i, k), to = *win_to(s->cur, i, k);
        uint64_t nf = floor_s(from), nt = nf + ceil_s((to - from) / 2);
        if (nt <= nf)
            nt = nf + SIM_NS_PER_S;
        if (nf == from && nt >= to)
            break;
        *s->cand = *s->cur;
        *win_from(s->cand, i, k) = nf;
        *win_to(s->cand, i, k) = nt;
        if (!accept(s))
            break;
        changed = 1;
    }
    return changed;
}

static void simplify_faults(shrink_t *s, char *log, size_t len)
{
    int i;
    for (i = 0; i < s->cur->nfaults; i++) {
        sim_fault_arm_t *a = &s->cur->faults[i].arm;
        char x[32], y[32];
        if (a->by_time &&
            shorten(s, i, -1))
            add(log, len, "fault %s window -> %s..%s; ",
                sim_fault_name(s->cur->faults[i].site),
                sim_fmt_ns(x, s->cur->faults[i].arm.from_ns),
                sim_fmt_ns(y, s->cur->faults[i].arm.to_ns));
        a = &s->cur->faults[i].arm;
        if (a->chance.den && a->chance.num != a->chance.den) {
            *s->cand = *s->cur;
            s->cand->faults[i].arm.chance.num = 1;
            s->cand->faults[i].arm.chance.den = 1;
            if (accept(s))
                add(log, len, "fault %s forced (chance 1/1); ",
                    sim_fault_name(s->cur->faults[i].site));
        }
    }
}

/* Each seeded choice point pinned, false first, then true: the minimal
 * file does not depend on how the seed falls at it. */
static void simplify_choices(shrink_t *s, char *log, size_t len)
{
    int c, pin;
    for (c = 0; c < SIM_CHOICE__COUNT; c++) {
        if (s->cur->choice[c] != SIM_PIN_NONE)
            continue;
        for (pin = SIM_PIN_FALSE; pin <= SIM_PIN_TRUE; pin++) {
            *s->cand = *s->cur;
            s->cand->choice[c] = pin;
            if (accept(s)) {
                add(log, len, "choice %s pinned %s; ",
                    sim_choice_name((sim_choice_t)c),
                    pin == SIM_PIN_TRUE ? "true" : "false");
                break;
            }
        }
    }
}

/* A world's heal time dropped (faults fire to the end), else moved
 * earlier onto whole seconds. */
static void simplify_heal(shrink_t *s, char *log, size_t len)
{
    if (!s->cur->heal_ns)
        return;
    if (!s->cur->nfaults) {
        *s->cand = *s->cur;
        s->cand->heal_ns = 0;
        if (accept(s))
            add(log, len, "heal dropped (no faults); ");
        return;
    }
    if (s->cur->heal_ns % SIM_NS_PER_S) {
        *s->cand = *s->cur;
        s->cand->heal_ns = s->cur->heal_ns / SIM_NS_PER_S * SIM_NS_PER_S;
        if (s->cand->heal_ns && accept(s))
            add(log, len, "heal on a whole second; ");
    }
}

static void simplify_lags(shrink_t *s, char *log, size_t len)
{
    int i, k;
    for (i = 0; i < s->cur->ninstances; i++) {
        kube_lag_t *l = &s->cur->instances[i].lag;
        char x[32];
        if (l->lag_max_ns) {
            *s->cand = *s->cur;
            s->cand->instances[i].lag.lag_min_ns = 0;
            s->cand->instances[i].lag.lag_max_ns = 0;
            if (accept(s)) {
                add(log, len, "lag of '%s' -> 0; ", iname(s->cur, i));
            } else if (l->lag_min_ns < l->lag_max_ns) {
                *s->cand = *s->cur;
                s->cand->instances[i].lag.lag_max_ns = l->lag_min_ns;
                if (accept(s))
                    add(log, len, "lag of '%s' -> %s; ", iname(s->cur, i),
                        sim_fmt_ns(x, l->lag_min_ns));
            }
        }
        for (k = 0; k < s->cur->instances[i].lag.nspikes; k++) {
            int changed = 0;
            while (s->cur->instances[i].lag.spikes[k].lag_ns >
                   SIM_NS_PER_S) {
                *s->cand = *s->cur;
                s->cand->instances[i].lag.spikes[k].lag_ns =
                    ceil_s(s->cur->instances[i].lag.spikes[k].lag_ns / 2);
                if (!accept(s))
                    break;
                changed = 1;
            }
            changed |= shorten(s, i, k);
            if (changed) {
                const kube_lag_spike_t *sp =
                    &s->cur->instances[i].lag.spikes[k];
                char y[32], z[32];
                add(log, len, "spike %d of '%s' -> %s..%s lag %s; ", k + 1,
                    iname(s->cur, i), sim_fmt_ns(x, sp->from_ns),
                    sim_fmt_ns(y, sp->to_ns), sim_fmt_ns(z, sp->lag_ns));
            }
        }
    }
}

/* The smallest count >= 1 that still fails (binary search). */
static void simplify_count(shrink_t *s, sc_daemon_t *(*get)(scenario_t *,
                                                           int),
                           int d, int c, char *log, size_t len)
{
    uint64_t lo = 1, hi = get(s->cur, d)->c[c].count, orig = hi;
    while (lo < hi && s->runs < s->max_runs) {
        uint64_t mid = lo + (hi - lo) / 2;
        *s->cand = *s->cur;
        get(s->cand, d)->c[c].count = mid;
        if (accept(s))
            hi = mid;
        else
            lo = mid + 1;
    }
    if (hi < orig)
        add(log, len, "container %s count %" PRIu64 " -> %" PRIu64 "; ",
            get(s->cur, d)->c[c].name, orig, get(s->cur, d)->c[c].count);
}

static sc_daemon_t *get_daemon(scenario_t *sc, int d)
{
    return d >= SC_MAX_DAEMONS ? &sc->instances[d - SC_MAX_DAEMONS].daemon
                               : &sc->daemons[d];
}

static void simplify_counts(shrink_t *s, char *log, size_t len)
{
    int d, c;
    for (d = 0; d < SC_MAX_DAEMONS + s->cur->ninstances; d++) {
        if (d < SC_MAX_DAEMONS && d >= s->cur->ndaemons)
            continue;
        for (c = 0; c < get_daemon(s->cur, d)->nc; c++)
            if (get_daemon(s->cur, d)->c[c].count > 1)
                simplify_count(s, get_daemon, d, c, log, len);
    }
}

/* the whole -----------------------------------------------------------------*/

int shrink_objects(const scenario_t *sc)
{
    int n = sc->ndaemons + sc->nowners + sc->ninstances, i, k;
    for (i = 0; i < sc->ndaemons + sc->ninstances; i++) {
        const sc_daemon_t *d = i < sc->ndaemons
                                   ? &sc->daemons[i]
                                   : &sc->instances[i - sc->ndaemons].daemon;
        for (k = 0; k < d->nc; k++)
            n += (int)d->c[k].count;
        n += d->ni + d->nv;
    }
    return n;
}

/* The variant to shrink under: the named one, or the first that fails. */
static int pick_variant(const scenario_t *sc, const shrink_opts_t *o,
                        scenario_t *one, world_result_t *res,
                        shrink_report_t *r)
{
    int v, found = 0;
    for (v = 0; v < sc->nvariants; v++) {
        const sc_variant_t *var = &sc->variants[v];
        shrink_sig_t sig;
        if (o->variant && strcmp(o->variant, var->name))
            continue;
        found = 1;
        snprintf(r->variant, sizeof(r->variant), "%s", var->name);
        scenario_cell(sc, var, one);
        one->is_matrix = 0;
        one->variants[0] = *var;
        one->nvariants = 1;
        r->runs++;
        if (world_run(one, &one->variants[0], o->seed, NULL, res))
            return SIM_ENOMEM;
        if (signature(res, o->invariant, &sig) == 0)
            return 0;
        if (o->variant)
            break;
    }
    if (o->variant && !found)
        return SIM_EINVAL;
    if (!o->variant)
        r->variant[0] = 0;
    return SIM_ENOTFOUND;
}

int shrink_scenario(const scenario_t *sc, const shrink_opts_t *opts,
                    scenario_t *out, shrink_report_t *r)
{
    shrink_t *s = sim__calloc(1, sizeof(*s));
    scenario_t *bufs = sim__calloc(4, sizeof(*bufs));
    char *ebuf = sim__malloc(EMIT_BUF);
    int rc, j;
    memset(r, 0, sizeof(*r));
    if (!s || !bufs || !ebuf) {
        sim__free(s);
        sim__free(bufs);
        sim__free(ebuf);
        return SIM_ENOMEM;
    }
    s->o = opts;
    s->max_runs = opts->max_runs > 0 ? opts->max_runs : 4000;
    s->base = &bufs[0];
    s->cand = &bufs[1];
    s->cur = &bufs[2];
    s->reload = &bufs[3];
    s->ebuf = ebuf;
    r->seed = opts->seed;
    rc = pick_variant(sc, opts, s->cur, &s->res, r);
    if (rc)
        goto done;
    signature(&s->res, opts->invariant, &s->sig);
    r->sig = s->sig;
    r->orig_hash = s->res.trace_hash;
    r->steps[0] = s->cur->nactions;
    r->faults[0] = s->cur->nfaults;
    r->objects[0] = shrink_objects(s->cur);
    s->runs = r->runs;
    s->max_events = 4 * s->res.events + 100000;
    /* 1: the duration */
    cut_duration(s, r->simplified, sizeof(r->simplified));
    /* 2: ddmin */
    *s->base = *s->cur;
    list_units(s);
    ddmin(s);
    /* ddmin's last accepted candidate is cur; rebuild it from the final
     * keep set (cand) only to learn what survived */
    for (j = 0; j < s->nu; j++)
        if (!s->present[j]) {
            char d[200];
            describe(s->base, &s->u[j], d, sizeof(d));
            add(r->removed, sizeof(r->removed), "%s%s",
                r->removed[0] ? "; " : "", d);
        }
    /* 3: simplification */
    simplify_starts(s, r->simplified, sizeof(r->simplified));
    simplify_steps(s, r->simplified, sizeof(r->simplified));
    simplify_faults(s, r->simplified, sizeof(r->simplified));
    simplify_heal(s, r->simplified, sizeof(r->simplified));
    simplify_lags(s, r->simplified, sizeof(r->simplified));
    simplify_counts(s, r->simplified, sizeof(r->simplified));
    simplify_choices(s, r->simplified, sizeof(r->simplified));
    cut_duration(s, r->simplified, sizeof(r->simplified));
    {
        size_t n = strlen(r->simplified);
        if (n >= 2 && r->simplified[n - 2] == ';')
            r->simplified[n - 2] = 0;
    }
    /* the result: one variant expecting what it violates */
    *out = *s->cur;
    {
        sc_variant_t *v = &out->variants[0];
        int i;
        v->nexpect = s->res.nviolated;
        for (i = 0; i < s->res.nviolated; i++)
            memcpy(v->expect[i], s->res.violated[i], sizeof(v->expect[i]));
        v->ntrace = v->nno_trace = 0;
    }
    snprintf(out->description, sizeof(out->description),
             "The smallest %s that still violates %s%s%s under %s at seed "
             "%" PRIu64 " (rddsim shrink; docs/shrink.md).", sc->name,
             r->sig.inv, r->sig.inst[0] ? " on " : "", r->sig.inst,
             r->variant, opts->seed);
    out->seed = opts->seed;
    out->has_seed = 1;
    {
        shrink_sig_t got;
        signature(&s->res, s->sig.inv, &got);
        r->min_at_ns = got.at_ns;
    }
    r->min_hash = s->res.trace_hash;
    r->steps[1] = out->nactions;
    r->faults[1] = out->nfaults;
    r->objects[1] = shrink_objects(out);
    r->runs = s->runs;
    r->budget_hit = s->runs >= s->max_runs;
done:
    sim__free(s);
    sim__free(bufs);
    sim__free(ebuf);
    return rc;
}

/* "# text" wrapped at 78 columns, no trailing blanks. */
static void comment(FILE *f, const char *lead, const char *text)
{
    size_t col = 2 + strlen(lead), n;
    const char *p = text;
    int space = 0;
    fprintf(f, "# %s", lead);
    while (*p) {
        const char *sp = strchr(p, ' ');
        n = sp ? (size_t)(sp - p) : strlen(p);
        if (space && col + 1 + n > 78) {
            fputs("\n#  ", f);
            col = 3;
        }
        if (space) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)n, p);
        col += n;
        p += n;
        space = *p == ' ';
        while (*p == ' ')
            p++;
    }
    fputc('\n', f);
}

int shrink_write(const scenario_t *min, const shrink_report_t *r,
                 const char *src, FILE *out)
{
    char t[32], h[200];
    fprintf(out, "# shrunk by `rddsim shrink` from %s\n", src);
    snprintf(h, sizeof(h), "variant %s, seed %" PRIu64 "; keeps %s%s%s "
             "(first at %s in the original)", r->variant, r->seed,
             r->sig.inv, r->sig.inst[0] ? " on " : "", r->sig.inst,
             sim_fmt_ns(t, r->sig.at_ns));
    comment(out, "", h);
    fprintf(out, "# original trace_hash=%016" PRIx64 ": %d steps, %d faults, "
            "%d objects\n", r->orig_hash, r->steps[0], r->faults[0],
            r->objects[0]);
    fprintf(out, "# minimal  trace_hash=%016" PRIx64 ": %d steps, %d faults, "
            "%d objects; %s at %s\n", r->min_hash, r->steps[1], r->faults[1],
            r->objects[1], r->sig.inv, sim_fmt_ns(t, r->min_at_ns));
    comment(out, "removed: ", r->removed[0] ? r->removed : "nothing");
    comment(out, "simplified: ", r->simplified[0] ? r->simplified : "nothing");
    return sc_emit(min, out);
}
