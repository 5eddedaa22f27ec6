/*
 * scenario.c: scenario files -> scenario_t.  Every key is consumed or an
 * error; every error is positioned.  The schema is documented in
 * docs/scenarios.md; keep the two in step.
 */
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/invariant.h"
#include "rdd/rdd.h"
#include "sim/suggest.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        int rc_ = (x);                                                         \
        if (rc_)                                                               \
            return rc_;                                                        \
    } while (0)

static const char *const act_names[] = {
    "kube.delete", "owner.start", "owner.stop", "vm.stop",
    "vm.start",    "docker.rm",   "docker.run", "app.patch",
    "kube.create", "rdd.set",     "svc.start",  "svc.stop",
    "svc.delete",  "proc.kill",   "proc.exit",  "proc.spawn",
    "fs.hold",     "fs.release",  "wsl.start",  "wsl.terminate",
    "owner.crash", "pipe.hold",   "hostswitch.die", "docker.context.use",
    "docker.context.seed", "bats.setup", "bats.test37", "app.delete",
    "rdd.ctl",     "docker.api",
};

/* The keys each kind of map may hold (yt_allow), as docs/scenarios.md
 * lists them. */
#define KEYS(name, ...) static const char *const name[] = {__VA_ARGS__}
#define ALLOW(map, where, keys)                                                \
    TRY(yt_allow((map), (where), (keys), SIM_ARRAY_LEN(keys), err))
KEYS(k_root, "name", "description", "host", "seed", "duration", "timers",
     "choices", "heal", "daemons", "owners", "instances", "faults", "timeline", "matrix",
     "variants");
static const char *const k_choices[] = {
#define XX(id, name, what) name,
#include "choices.def"
#undef XX
};
KEYS(k_daemon, "name", "id", "latency", "containers", "images", "volumes");
KEYS(k_vm, "latency", "containers", "images", "volumes");
KEYS(k_container, "name", "image", "state", "count");
KEYS(k_image, "id", "tags", "count");
KEYS(k_volume, "name", "count");
KEYS(k_owner, "kind", "name", "pipe", "machine_pipe", "daemon", "start");
KEYS(k_instance, "rdd_instance", "start", "handshake", "boot", "apiserver",
     "prepare", "never_running", "keep_logs", "exe", "env", "vm");
KEYS(k_env, "DOCKER_CONFIG", "DOCKER_HOST", "DOCKER_CONTEXT", "RDD_LOG_DIR");
KEYS(k_apiserver, "lag", "spikes");
KEYS(k_spike, "from", "to", "lag", "kinds");
KEYS(k_fault, "site", "target", "chance", "after", "repeat", "from", "to");
KEYS(k_step, "at", "every", "until", "do", "instance", "kind", "docker_name",
     "key", "value", "name", "running", "timeout", "owner", "daemon",
     "container", "image", "force", "exe", "console", "pid", "proc", "code",
     "path", "distro", "pipe", "for", "config", "host", "verb", "namespace",
     "op", "ref");
KEYS(k_variant, "base", "flags", "expect");
KEYS(k_expect, "violated", "trace", "no_trace");
KEYS(k_timers, "lateness");
KEYS(k_matrix, "contenders", "orders", "expect");
KEYS(k_rule, "contender", "order", "variant", "violated");

static const char *const host_names[SC_HOST__COUNT] = {
    "windows", "msys", "wsl2", "linux", "darwin",
};

_Static_assert(sizeof(act_names) / sizeof(act_names[0]) == SC_ACT__COUNT,
               "one name per action");

const char *sc_host_name(sc_host_t h)
{
    return (unsigned)h < SC_HOST__COUNT ? host_names[h] : "?";
}

const char *sc_act_name(sc_act_kind_t k)
{
    return act_names[k];
}

/* Checked numbers (scenario.h) ---------------------------------------------*/

/* The plain "not that kind of number" answers; the node forms below print
 * them as "WHAT must be ..., not 'VALUE'", the wording these errors have
 * always had. */
static const char not_int[] = "is not a non-negative decimal integer";
static const char not_dur[] =
    "is not a duration with a unit (200ms, 30s, 5m, 1.5h)";
static const char not_ratio[] =
    "is not a ratio num/den with 0 <= num <= den and den > 0 (like 1/50)";

int sc_parse_u64(const char *s, uint64_t *out, const char **why)
{
    const char *w = NULL;
    uint64_t v = 0;
    const char *p;
    if (!s || !*s)
        w = "is empty";
    else if (*s == '-')
        w = "is negative";
    else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        w = "looks hexadecimal (write it in decimal)";
    else if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
        w = "has a leading zero (write it in decimal without one: a "
            "leading 0 is not read as octal)";
    if (w) {
        if (why)
            *why = w;
        return SIM_EINVAL;
    }
    for (p = s; *p; p++) {
        if (*p < '0' || *p > '9') {
            if (why)
                *why = not_int;
            return SIM_EINVAL;
        }
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
            /* still a syntax error if a non-digit follows */
            for (; *p; p++)
                if (*p < '0' || *p > '9') {
                    if (why)
                        *why = not_int;
                    return SIM_EINVAL;
                }
            if (why)
                *why = "is out of range (at most 18446744073709551615)";
            return SIM_ERANGE;
        }
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return 0;
}

int sc_parse_duration(const char *s, uint64_t *ns, const char **why)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {{"ns", 1},        {"us", 1000},        {"ms", 1000000},
                 {"s", 1000000000}, {"m", 60000000000}, {"h", 3600000000000}};
    static const char *const bad = not_dur;
    static const char *const big =
        "is out of range (durations go up to 100000h)";
    uint64_t whole = 0, frac = 0, frac_div = 1;
    int over = 0;
    const char *p = s;
    size_t i;
    if (why)
        *why = bad;
    if (!p || *p < '0' || *p > '9')
        return SIM_EINVAL;
    while (*p >= '0' && *p <= '9') {
        if (whole > SC_DURATION_MAX_NS)
            over = 1; /* keep reading: "99999999999999999999x" is syntax */
        else
            whole = whole * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return SIM_EINVAL;
        while (*p >= '0' && *p <= '9') {
            if (frac_div >= 1000000000) {
                if (why)
                    *why = "has more than 9 decimals";
                return SIM_EINVAL;
            }
            frac = frac * 10 + (uint64_t)(*p++ - '0');
            frac_div *= 10;
        }
    }
    for (i = 0; i < SIM_ARRAY_LEN(units); i++) {
        uint64_t m = units[i].mult, f;
        if (strcmp(p, units[i].unit) != 0)
            continue;
        /* m * frac / frac_div, rounded half up, without overflow: with
         * m = q * frac_div + r, (q * frac) < m and r * frac < 1e18. */
        f = (m / frac_div) * frac +
            ((m % frac_div) * frac + frac_div / 2) / frac_div;
        if (over || whole > SC_DURATION_MAX_NS / m ||
            whole * m > SC_DURATION_MAX_NS - f) {
            if (why)
                *why = big;
            return SIM_ERANGE;
        }
        *ns = whole * m + f;
        return 0;
    }
    return SIM_EINVAL;
}

int sc_parse_ratio(const char *s, uint64_t *num, uint64_t *den,
                   const char **why)
{
    static const char *const bad = not_ratio;
    const char *slash = s ? strchr(s, '/') : NULL;
    char a[24];
    uint64_t n, d;
    int rc;
    if (why)
        *why = bad;
    if (!slash)
        return SIM_EINVAL;
    if ((size_t)(slash - s) >= sizeof(a)) {
        if (why)
            *why = "has a number out of range (at most 18446744073709551615)";
        return SIM_ERANGE;
    }
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = 0;
    if ((rc = sc_parse_u64(a, &n, why)) != 0 ||
        (rc = sc_parse_u64(slash + 1, &d, why)) != 0)
        return rc;
    if (d == 0 || n > d) {
        if (why)
            *why = bad;
        return SIM_EINVAL;
    }
    *num = n;
    *den = d;
    return 0;
}

/* The node forms: `what 'value' why` at the value's line:col. */
static int sc_u64(yt_node_t *n, const char *what, uint64_t *out,
                  yt_error_t *err)
{
    const char *why;
    int rc = yt_expect(n, YT_SCALAR, what, err);
    if (rc == 0 && sc_parse_u64(n->scalar, out, &why))
        rc = why == not_int
                 ? yt_fail(err, n, "%s must be a non-negative integer, not "
                                   "'%s'", what, n->scalar)
                 : yt_fail(err, n, "%s '%s' %s", what, n->scalar, why);
    return rc;
}

static int sc_dur(yt_node_t *n, const char *what, uint64_t *ns,
                  yt_error_t *err)
{
    const char *why;
    int rc = yt_expect(n, YT_SCALAR, what, err);
    if (rc == 0 && sc_parse_duration(n->scalar, ns, &why))
        rc = why == not_dur
                 ? yt_fail(err, n, "%s must be a duration with a unit "
                                   "(200ms, 30s, 5m), not '%s'", what,
                           n->scalar)
                 : yt_fail(err, n, "%s '%s' %s", what, n->scalar, why);
    return rc;
}

static int sc_ratio(yt_node_t *n, const char *what, sim_ratio_t *out,
                    yt_error_t *err)
{
    const char *why;
    uint64_t num, den;
    int rc = yt_expect(n, YT_SCALAR, what, err);
    if (rc == 0 && sc_parse_ratio(n->scalar, &num, &den, &why))
        rc = why == not_ratio || why == not_int
                 ? yt_fail(err, n, "%s must be a ratio num/den with 0 <= num "
                                   "<= den and den > 0 (like 1/50), not '%s'",
                           what, n->scalar)
                 : yt_fail(err, n, "%s '%s' %s", what, n->scalar, why);
    if (rc == 0) {
        out->num = num;
        out->den = den;
    }
    return rc;
}

static int opt_str(yt_node_t *map, const char *key, char *out, size_t len,
                   yt_error_t *err)
{
    yt_node_t *n = yt_get(map, key);
    return n ? yt_str(n, key, out, len, err) : 0;
}

static int req(yt_node_t *map, const char *key, const char *where,
               yt_node_t **out, yt_error_t *err)
{
    *out = yt_get(map, key);
    if (!*out)
        return yt_fail(err, map, "missing key '%s' in %s", key, where);
    return 0;
}

/* " (did you mean 'x'?)" for word among the n names name(i), or "". */
static const char *did_you_mean(char *out, size_t len, const char *word,
                                const char *(*name)(int i), int n)
{
    const char *c[128];
    const char *near;
    int i;
    if (n > (int)SIM_ARRAY_LEN(c))
        n = (int)SIM_ARRAY_LEN(c);
    for (i = 0; i < n; i++)
        c[i] = name(i);
    near = sim_suggest(word, c, (size_t)n);
    if (!near)
        return "";
    snprintf(out, len, " (did you mean '%s'?)", near);
    return out;
}

static const char *act_name_i(int i)
{
    return act_names[i];
}

static const char *site_name_i(int i)
{
    return sim_fault_name((sim_fault_site_t)i);
}

static const char *flag_name_i(int i)
{
    return rdd_flag_name((rdd_flag_t)i);
}

static const char *preset_name_i(int i)
{
    return rdd_presets[i].name;
}

static const char *inv_name_i(int i)
{
    return sim_inv_catalogue[i].id;
}

/* A name: a string that is not empty. */
static int name_str(yt_node_t *n, const char *what, char *out, size_t len,
                    yt_error_t *err)
{
    TRY(yt_str(n, what, out, len, err));
    if (!out[0])
        return yt_fail(err, n, "%s must not be empty", what);
    return 0;
}

static void fmt_dur(char *out, size_t len, uint64_t ns)
{
    if (ns % SIM_NS_PER_S == 0)
        snprintf(out, len, "%llus", (unsigned long long)(ns / SIM_NS_PER_S));
    else if (ns % SIM_NS_PER_MS == 0)
        snprintf(out, len, "%llums", (unsigned long long)(ns / SIM_NS_PER_MS));
    else
        snprintf(out, len, "%lluns", (unsigned long long)ns);
}

/* Work scheduled at or after the end (world.h): a start or a step later
 * than `duration` would never run, so it is an error; one in the last
 * second runs but has less than a second to do anything, so it is a
 * warning.  The run drops whatever the end overtakes (world.c,
 * world_live). */
static int check_time(scenario_t *sc, yt_node_t *n, const char *what,
                      uint64_t ns, yt_error_t *err)
{
    char d[32];
    fmt_dur(d, sizeof(d), sc->duration_ns);
    if (ns > sc->duration_ns)
        return yt_fail(err, n, "%s '%s' is after the end of the run "
                               "(duration %s): it would never happen",
                       what, n->scalar ? n->scalar : "", d);
    if (sc->duration_ns - ns < SIM_NS_PER_S && sc->nwarn < SC_MAX_WARN) {
        char w[sizeof(sc->warnings[0])];
        snprintf(w, sizeof(w),
                 "%.200s:%d:%d: warning: %s '%.40s' is in the last second "
                 "of the run (duration %s): what it starts is cut short",
                 sc->file, n->line, n->col, what, n->scalar ? n->scalar : "",
                 d);
        memcpy(sc->warnings[sc->nwarn++], w, sizeof(w));
    }
    return 0;
}

/* "1ms..3ms" (or a single duration "5ms": min = max). */
static int parse_range(yt_node_t *n, const char *what, uint64_t *lo,
                       uint64_t *hi, yt_error_t *err)
{
    char buf[64], *dots;
    TRY(yt_str(n, what, buf, sizeof(buf), err));
    dots = strstr(buf, "..");
    if (!dots) {
        if (sc_parse_duration(buf, lo, NULL))
            return yt_fail(err, n, "%s must be a duration or a range like "
                                   "1ms..3ms, not '%s'", what, buf);
        *hi = *lo;
        return 0;
    }
    *dots = 0;
    if (sc_parse_duration(buf, lo, NULL) ||
        sc_parse_duration(dots + 2, hi, NULL) || *lo > *hi)
        return yt_fail(err, n, "%s must be a range like 1ms..3ms with "
                               "min <= max", what);
    return 0;
}

static int parse_latency(yt_node_t *n, sc_daemon_t *d, yt_error_t *err)
{
    TRY(parse_range(n, "latency", &d->lat_min_ns, &d->lat_max_ns, err));
    d->has_latency = 1;
    return 0;
}

static int kind_by_name(const char *name)
{
    int k;
    for (k = 0; k < KUBE_KIND__COUNT; k++)
        if (!strcmp(kube_kind_name((kube_kind_t)k), name))
            return k;
    return -1;
}

/* apiserver: {lag: 0ms..50ms, spikes: [{from, to, lag, kinds}]} */
static int parse_apiserver(yt_node_t *m, kube_lag_t *lag, yt_error_t *err)
{
    yt_node_t *v;
    size_t i;
    TRY(yt_expect(m, YT_MAP, "apiserver", err));
    ALLOW(m, "apiserver", k_apiserver);
    if ((v = yt_get(m, "lag")))
        TRY(parse_range(v, "lag", &lag->lag_min_ns, &lag->lag_max_ns, err));
    if ((v = yt_get(m, "spikes"))) {
        TRY(yt_expect(v, YT_SEQ, "spikes", err));
        if (v->n > KUBE_LAG_SPIKES_MAX)
            return yt_fail(err, v, "at most %d spikes", KUBE_LAG_SPIKES_MAX);
        for (i = 0; i < v->n; i++) {
            yt_node_t *sp = v->vals[i], *f, *k;
            kube_lag_spike_t *out = &lag->spikes[i];
            TRY(yt_expect(sp, YT_MAP, "a spike", err));
            ALLOW(sp, "a spike", k_spike);
            TRY(req(sp, "from", "a spike", &f, err));
            TRY(sc_dur(f, "from", &out->from_ns, err));
            TRY(req(sp, "to", "a spike", &f, err));
            TRY(sc_dur(f, "to", &out->to_ns, err));
            if (out->to_ns <= out->from_ns)
                return yt_fail(err, f, "'to' must be later than 'from'");
            TRY(req(sp, "lag", "a spike", &f, err));
            TRY(sc_dur(f, "lag", &out->lag_ns, err));
            if ((k = yt_get(sp, "kinds"))) {
                size_t j;
                TRY(yt_expect(k, YT_SEQ, "kinds", err));
                for (j = 0; j < k->n; j++) {
                    char name[40];
                    int kind;
                    TRY(yt_str(k->vals[j], "a kind", name, sizeof(name),
                               err));
                    if ((kind = kind_by_name(name)) < 0)
                        return yt_fail(err, k->vals[j],
                                       "unknown kind '%s' (App, Container, "
                                       "Image, Volume, ContainerNamespace)",
                                       name);
                    out->kinds |= 1u << kind;
                }
            }
            TRY(yt_unused(sp, "a spike", err));
        }
        lag->nspikes = (int)v->n;
    }
    return yt_unused(m, "apiserver", err);
}

/* Container names as the Docker fake stores them: "/web" and "web" are
 * one name. */
static const char *ctr_base(const char *name)
{
    return name[0] == '/' ? name + 1 : name;
}

/* Do a and b give the fake one name twice?  A container with count n > 1
 * is name-0 .. name-(n-1) (world.c, populate). */
static int ctr_names_clash(const sc_container_t *a, const sc_container_t *b)
{
    const sc_container_t *plain, *many;
    const char *p, *m;
    size_t len;
    uint64_t k;
    if ((a->count == 1) == (b->count == 1))
        return !strcmp(ctr_base(a->name), ctr_base(b->name));
    plain = a->count == 1 ? a : b;
    many = a->count == 1 ? b : a;
    p = ctr_base(plain->name);
    m = ctr_base(many->name);
    len = strlen(m);
    if (strncmp(p, m, len) || p[len] != '-')
        return 0;
    return sc_parse_u64(p + len + 1, &k, NULL) == 0 && k < many->count;
}

/* The container just added to d (the last) against those before it. */
static int ctr_clash(const sc_daemon_t *d, const sc_container_t *c,
                     yt_node_t *at, yt_error_t *err)
{
    int i;
    for (i = 0; i < d->nc - 1; i++)
        if (ctr_names_clash(&d->c[i], c))
            return yt_fail(err, at, "container '%s'%s clashes with "
                           "container '%s'%s on line %d (one name twice "
                           "in one daemon)", c->name,
                           c->count > 1 ? " (with its count)" : "",
                           d->c[i].name,
                           d->c[i].count > 1 ? " (with its count)" : "",
                           d->c[i].line);
    return 0;
}

static int image_id_ok(const char *id)
{
    size_t i;
    if (strncmp(id, "sha256:", 7) || strlen(id) != 71)
        return 0;
    for (i = 7; i < 71; i++)
        if (!((id[i] >= '0' && id[i] <= '9') ||
              (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

/* Is tag t of im (not yet counted in d) on an earlier image or tag? */
static int tag_taken(const sc_daemon_t *d, const sc_image_t *im, int t)
{
    int i, k;
    for (i = 0; i < d->ni - 1; i++)
        for (k = 0; k < d->im[i].ntags; k++)
            if (!strcmp(d->im[i].tags[k], im->tags[t]))
                return 1;
    for (k = 0; k < t; k++)
        if (!strcmp(im->tags[k], im->tags[t]))
            return 1;
    return 0;
}

/* The id the fake gives im (dock_image_add). */
static void image_id_of(const sc_image_t *im, char out[80])
{
    char hex[65];
    if (im->id[0]) {
        snprintf(out, 80, "%s", im->id);
        return;
    }
    dock_sha256_hex(im->tags[0], strlen(im->tags[0]), hex);
    snprintf(out, 80, "sha256:%s", hex);
}

static int image_id_taken(const sc_daemon_t *d, const sc_image_t *im)
{
    char a[80], b[80];
    int i;
    image_id_of(im, a);
    for (i = 0; i < d->ni - 1; i++) {
        image_id_of(&d->im[i], b);
        if (!strcmp(a, b))
            return 1;
    }
    return 0;
}

/* count: 1..SC_COUNT_MAX copies of a container, image or volume. */
static int parse_count(yt_node_t *m, uint64_t *count, yt_error_t *err)
{
    yt_node_t *v;
    *count = 1;
    if ((v = yt_get(m, "count"))) {
        TRY(sc_u64(v, "count", count, err));
        if (*count < 1 || *count > SC_COUNT_MAX)
            return yt_fail(err, v, "count must be 1..%d", SC_COUNT_MAX);
    }
    return 0;
}

static int parse_content(yt_node_t *m, sc_daemon_t *d, const char *where,
                         yt_error_t *err)
{
    yt_node_t *n;
    size_t i;
    int j;
    if ((n = yt_get(m, "latency")))
        TRY(parse_latency(n, d, err));
    if ((n = yt_get(m, "containers"))) {
        TRY(yt_expect(n, YT_SEQ, "containers", err));
        for (i = 0; i < n->n; i++) {
            yt_node_t *c = n->vals[i], *v;
            sc_container_t *sc;
            TRY(yt_expect(c, YT_MAP, "a container", err));
            ALLOW(c, "a container", k_container);
            if (d->nc >= SC_MAX_ITEMS)
                return yt_fail(err, c, "more than %d containers",
                               SC_MAX_ITEMS);
            sc = &d->c[d->nc++];
            TRY(req(c, "name", "a container", &v, err));
            TRY(name_str(v, "name", sc->name, sizeof(sc->name), err));
            sc->line = v->line;
            snprintf(sc->image, sizeof(sc->image), "busybox:latest");
            snprintf(sc->state, sizeof(sc->state), "running");
            TRY(opt_str(c, "image", sc->image, sizeof(sc->image), err));
            if ((v = yt_get(c, "state"))) {
                TRY(yt_str(v, "state", sc->state, sizeof(sc->state), err));
                if (strcmp(sc->state, "running") &&
                    strcmp(sc->state, "exited") &&
                    strcmp(sc->state, "created") &&
                    strcmp(sc->state, "paused"))
                    return yt_fail(err, v, "state must be running, exited, "
                                           "created or paused");
            }
            TRY(parse_count(c, &sc->count, err));
            TRY(ctr_clash(d, sc, yt_get(c, "name"), err));
            TRY(yt_unused(c, "a container", err));
        }
    }
    if ((n = yt_get(m, "images"))) {
        TRY(yt_expect(n, YT_SEQ, "images", err));
        for (i = 0; i < n->n; i++) {
            yt_node_t *c = n->vals[i], *t;
            sc_image_t *im;
            size_t k;
            TRY(yt_expect(c, YT_MAP, "an image", err));
            ALLOW(c, "an image", k_image);
            if (d->ni >= SC_MAX_ITEMS)
                return yt_fail(err, c, "more than %d images", SC_MAX_ITEMS);
            im = &d->im[d->ni++];
            TRY(opt_str(c, "id", im->id, sizeof(im->id), err));
            if (im->id[0] && !image_id_ok(im->id))
                return yt_fail(err, yt_get(c, "id"), "an image id is "
                               "sha256: and 64 hex digits, not '%s'", im->id);
            TRY(req(c, "tags", "an image", &t, err));
            TRY(yt_expect(t, YT_SEQ, "tags", err));
            if (t->n < 1 || t->n > 4)
                return yt_fail(err, t, "an image has 1 to 4 tags");
            for (k = 0; k < t->n; k++) {
                TRY(name_str(t->vals[k], "a tag", im->tags[k],
                             sizeof(im->tags[k]), err));
                if (tag_taken(d, im, (int)k))
                    return yt_fail(err, t->vals[k], "tag '%s' is already "
                                   "on an image of this daemon",
                                   im->tags[k]);
            }
            im->ntags = (int)t->n;
            TRY(parse_count(c, &im->count, err));
            if (im->count > 1 && im->id[0])
                return yt_fail(err, yt_get(c, "id"),
                               "an image with a count has no id");
            if (image_id_taken(d, im))
                return yt_fail(err, c, "this image has the id of an image "
                               "above (an image without 'id' gets "
                               "sha256(first tag))");
            TRY(yt_unused(c, "an image", err));
        }
    }
    if ((n = yt_get(m, "volumes"))) {
        TRY(yt_expect(n, YT_SEQ, "volumes", err));
        for (i = 0; i < n->n; i++) {
            yt_node_t *c = n->vals[i], *v = c;
            if (d->nv >= SC_MAX_ITEMS)
                return yt_fail(err, c, "more than %d volumes",
                               SC_MAX_ITEMS);
            d->vol_count[d->nv] = 1;
            if (c->kind == YT_MAP) { /* {name: v, count: N} */
                ALLOW(c, "a volume", k_volume);
                TRY(req(c, "name", "a volume", &v, err));
                TRY(parse_count(c, &d->vol_count[d->nv], err));
                TRY(yt_unused(c, "a volume", err));
            }
            TRY(name_str(v, "a volume name", d->vol[d->nv],
                         sizeof(d->vol[0]), err));
            for (j = 0; j < d->nv; j++)
                if (!strcmp(d->vol[j], d->vol[d->nv]))
                    return yt_fail(err, v, "volume '%s' is defined twice",
                                   d->vol[d->nv]);
            d->nv++;
        }
    }
    (void)where;
    return 0;
}

static int parse_daemons(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "daemons", err));
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v;
        sc_daemon_t *d;
        int j;
        TRY(yt_expect(m, YT_MAP, "a daemon", err));
        ALLOW(m, "a daemon", k_daemon);
        if (sc->ndaemons >= SC_MAX_DAEMONS)
            return yt_fail(err, m, "more than %d daemons", SC_MAX_DAEMONS);
        d = &sc->daemons[sc->ndaemons];
        TRY(req(m, "name", "a daemon", &v, err));
        TRY(name_str(v, "name", d->name, sizeof(d->name), err));
        for (j = 0; j < sc->ndaemons; j++)
            if (!strcmp(sc->daemons[j].name, d->name))
                return yt_fail(err, v, "daemon '%s' is defined twice",
                               d->name);
        {
            char nm[SC_NAME_MAX];
            memcpy(nm, d->name, sizeof(nm));
            snprintf(d->id, sizeof(d->id), "ENGINE-%s", nm);
        }
        TRY(opt_str(m, "id", d->id, sizeof(d->id), err));
        TRY(parse_content(m, d, "a daemon", err));
        TRY(yt_unused(m, "a daemon", err));
        sc->ndaemons++;
    }
    return 0;
}

static int find_daemon(const scenario_t *sc, const char *name)
{
    int i;
    for (i = 0; i < sc->ndaemons; i++)
        if (!strcmp(sc->daemons[i].name, name))
            return i;
    return -1;
}

static int parse_one_owner(yt_node_t *m, scenario_t *sc,
                           sc_owner_t *o, yt_error_t *err)
{
    yt_node_t *v;
    char kind[32];
    int k;
    TRY(yt_expect(m, YT_MAP, "an owner", err));
    ALLOW(m, "an owner", k_owner);
    {
        TRY(req(m, "kind", "an owner", &v, err));
        TRY(yt_str(v, "kind", kind, sizeof(kind), err));
        if ((k = owner_kind_by_name(kind)) < 0)
            return yt_fail(err, v, "unknown owner kind '%s' (docker-desktop, "
                                   "podman, squatter)", kind);
        o->kind = (owner_kind_t)k;
        snprintf(o->name, sizeof(o->name), "%s", kind);
        if ((v = yt_get(m, "name")))
            TRY(name_str(v, "name", o->name, sizeof(o->name), err));
        snprintf(o->pipe, sizeof(o->pipe), "\\\\.\\pipe\\docker_engine");
        TRY(opt_str(m, "pipe", o->pipe, sizeof(o->pipe), err));
        TRY(opt_str(m, "machine_pipe", o->machine_pipe,
                    sizeof(o->machine_pipe), err));
        if (o->machine_pipe[0] && o->kind != OWNER_PODMAN)
            return yt_fail(err, yt_get(m, "machine_pipe"),
                           "only a podman owner has a machine_pipe");
        if ((v = yt_get(m, "daemon"))) {
            TRY(yt_str(v, "daemon", o->daemon, sizeof(o->daemon), err));
            if (find_daemon(sc, o->daemon) < 0)
                return yt_fail(err, v, "no daemon named '%s' (define it "
                                       "under daemons first)", o->daemon);
        } else if (o->kind == OWNER_DOCKER_DESKTOP) {
            return yt_fail(err, m, "a docker-desktop owner needs 'daemon'");
        }
        if ((v = yt_get(m, "start"))) {
            TRY(sc_dur(v, "start", &o->start_ns, err));
            TRY(check_time(sc, v, "an owner's start", o->start_ns, err));
            o->has_start = 1;
        }
        TRY(yt_unused(m, "an owner", err));
    }
    return 0;
}

static int parse_owners(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "owners", err));
    for (i = 0; i < n->n; i++) {
        if (sc->nowners >= SC_MAX_OWNERS)
            return yt_fail(err, n->vals[i], "more than %d owners",
                           SC_MAX_OWNERS);
        TRY(parse_one_owner(n->vals[i], sc, &sc->owners[sc->nowners], err));
        sc->nowners++;
    }
    return 0;
}

static int parse_one_instance(yt_node_t *m, sc_instance_t *in,
                              yt_error_t *err)
{
    yt_node_t *v;
    TRY(yt_expect(m, YT_MAP, "an instance", err));
    ALLOW(m, "an instance", k_instance);
    {
        if ((v = yt_get(m, "rdd_instance"))) {
            TRY(yt_str(v, "rdd_instance", in->value, sizeof(in->value), err));
            /* Its VM daemon's id, RDD-VM-ENGINE-<value>, must fit the
             * Docker fake's 63 characters (world.c, build). */
            if (strlen(in->value) > 49)
                return yt_fail(err, v, "rdd_instance is longer than 49 "
                                       "characters");
            in->env_set = 1;
        }
        in->handshake_ns = 2 * SIM_NS_PER_S;
        in->boot_ns = 20 * SIM_NS_PER_S;
        if ((v = yt_get(m, "start")))
            TRY(sc_dur(v, "start", &in->start_ns, err));
        if ((v = yt_get(m, "handshake")))
            TRY(sc_dur(v, "handshake", &in->handshake_ns, err));
        if ((v = yt_get(m, "boot")))
            TRY(sc_dur(v, "boot", &in->boot_ns, err));
        if ((v = yt_get(m, "apiserver")))
            TRY(parse_apiserver(v, &in->lag, err));
        in->prepare_ns = SIM_NS_PER_S;
        if ((v = yt_get(m, "prepare")))
            TRY(sc_dur(v, "prepare", &in->prepare_ns, err));
        if ((v = yt_get(m, "never_running")))
            TRY(yt_bool(v, "never_running", &in->never_running, err));
        if ((v = yt_get(m, "keep_logs")))
            TRY(yt_bool(v, "keep_logs", &in->keep_logs, err));
        TRY(opt_str(m, "exe", in->exe, sizeof(in->exe), err));
        if ((v = yt_get(m, "env"))) {
            TRY(yt_expect(v, YT_MAP, "env", err));
            ALLOW(v, "env", k_env);
            TRY(opt_str(v, "DOCKER_CONFIG", in->env_docker_config,
                        sizeof(in->env_docker_config), err));
            TRY(opt_str(v, "DOCKER_HOST", in->env_docker_host,
                        sizeof(in->env_docker_host), err));
            TRY(opt_str(v, "DOCKER_CONTEXT", in->env_docker_context,
                        sizeof(in->env_docker_context), err));
            TRY(opt_str(v, "RDD_LOG_DIR", in->env_log_dir,
                        sizeof(in->env_log_dir), err));
            TRY(yt_unused(v, "env (DOCKER_CONFIG, DOCKER_HOST, "
                             "DOCKER_CONTEXT, RDD_LOG_DIR)", err));
        }
        if ((v = yt_get(m, "vm"))) {
            TRY(yt_expect(v, YT_MAP, "vm", err));
            ALLOW(v, "an instance's vm", k_vm);
            TRY(parse_content(v, &in->daemon, "vm", err));
            TRY(yt_unused(v, "an instance's vm", err));
        }
        TRY(yt_unused(m, "an instance", err));
    }
    return 0;
}

static int parse_instances(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    yt_node_t *v;
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "instances", err));
    for (i = 0; i < n->n; i++) {
        if (sc->ninstances >= SC_MAX_INSTANCES)
            return yt_fail(err, n->vals[i], "more than %d instances",
                           SC_MAX_INSTANCES);
        TRY(parse_one_instance(n->vals[i], &sc->instances[sc->ninstances],
                               err));
        if ((v = yt_get(n->vals[i], "start")))
            TRY(check_time(sc, v, "an instance's start",
                           sc->instances[sc->ninstances].start_ns, err));
        sc->ninstances++;
    }
    return 0;
}

static int parse_faults(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    char dym[96];
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "faults", err));
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v;
        sc_fault_t *f;
        char site[64];
        int s, how = 0;
        TRY(yt_expect(m, YT_MAP, "a fault", err));
        ALLOW(m, "a fault", k_fault);
        if (sc->nfaults >= SC_MAX_FAULTS)
            return yt_fail(err, m, "more than %d faults", SC_MAX_FAULTS);
        f = &sc->faults[sc->nfaults];
        memset(f, 0, sizeof(*f));
        TRY(req(m, "site", "a fault", &v, err));
        TRY(yt_str(v, "site", site, sizeof(site), err));
        if ((s = sim_fault_by_name(site)) < 0)
            return yt_fail(err, v, "unknown fault site '%s'%s (rddsim list "
                                   "faults)", site,
                           did_you_mean(dym, sizeof(dym), site, site_name_i,
                                        SIM_FAULT__COUNT));
        for (size_t j = 0; j < (size_t)sc->nfaults; j++)
            if (sc->faults[j].site == (sim_fault_site_t)s)
                return yt_fail(err, v, "fault site '%s' is armed twice "
                                       "(line %d): a site takes one arm; "
                                       "use one window, or a countdown",
                               site, sc->faults[j].line);
        f->site = (sim_fault_site_t)s;
        f->line = m->line;
        if ((v = yt_get(m, "target"))) {
            TRY(name_str(v, "target", f->arm.target, sizeof(f->arm.target),
                         err));
            f->target_line = v->line;
            f->target_col = v->col;
        }
        if ((v = yt_get(m, "chance"))) {
            TRY(sc_ratio(v, "chance", &f->arm.chance, err));
            how = 1;
        }
        if ((v = yt_get(m, "after"))) {
            TRY(sc_u64(v, "after", &f->arm.after, err));
            f->arm.by_count = how = 1;
        }
        if ((v = yt_get(m, "repeat"))) {
            TRY(sc_u64(v, "repeat", &f->arm.repeat, err));
            f->arm.by_count = how = 1;
        }
        if ((v = yt_get(m, "from"))) {
            yt_node_t *to;
            TRY(sc_dur(v, "from", &f->arm.from_ns, err));
            TRY(req(m, "to", "a fault with 'from'", &to, err));
            TRY(sc_dur(to, "to", &f->arm.to_ns, err));
            if (f->arm.to_ns <= f->arm.from_ns)
                return yt_fail(err, to, "'to' must be later than 'from'");
            f->arm.by_time = how = 1;
        } else if ((v = yt_get(m, "to"))) {
            return yt_fail(err, v, "'to' needs 'from'");
        }
        if (!how)
            return yt_fail(err, m, "a fault needs chance, after/repeat or "
                                   "from/to");
        TRY(yt_unused(m, "a fault", err));
        sc->nfaults++;
    }
    return 0;
}

static int find_instance(const scenario_t *sc, yt_node_t *v, int *out,
                         yt_error_t *err)
{
    int i;
    char val[SC_NAME_MAX];
    TRY(yt_str(v, "instance", val, sizeof(val), err));
    for (i = 0; i < sc->ninstances; i++)
        if ((sc->instances[i].env_set &&
             !strcmp(sc->instances[i].value, val)) ||
            (!sc->instances[i].env_set && !strcmp(val, "unset"))) {
            *out = i;
            return 0;
        }
    return yt_fail(err, v, "no instance with rdd_instance '%s' (use "
                           "'unset' for one without)", val);
}

/* A docker.* step's target: an instance's VM daemon (`instance`) or a
 * daemon of the scenario's by name (`daemon`). */
static int parse_docker_target(const scenario_t *sc, yt_node_t *m,
                               const char *what, sc_action_t *a,
                               yt_error_t *err)
{
    yt_node_t *v;
    if ((v = yt_get(m, "instance")))
        return find_instance(sc, v, &a->daemon_instance, err);
    TRY(req(m, "daemon", what, &v, err));
    TRY(yt_str(v, "daemon", a->daemon, sizeof(a->daemon), err));
    if (find_daemon(sc, a->daemon) < 0)
        return yt_fail(err, v, "no daemon named '%s'", a->daemon);
    return 0;
}

/* `instance` and a mirror `kind` (Container, Image or Volume). */
static int parse_mirror_target(const scenario_t *sc, yt_node_t *m,
                               const char *what, sc_action_t *a,
                               yt_error_t *err)
{
    yt_node_t *v;
    char kind[32];
    TRY(req(m, "instance", what, &v, err));
    TRY(find_instance(sc, v, &a->instance, err));
    TRY(req(m, "kind", what, &v, err));
    TRY(yt_str(v, "kind", kind, sizeof(kind), err));
    if (!strcmp(kind, "Container"))
        a->kube_kind = KUBE_CONTAINER;
    else if (!strcmp(kind, "Image"))
        a->kube_kind = KUBE_IMAGE;
    else if (!strcmp(kind, "Volume"))
        a->kube_kind = KUBE_VOLUME;
    else
        return yt_fail(err, v, "kind must be Container, Image or Volume");
    return 0;
}

/* `instance` and `proc`: hostagent | service | driver, or `pid`. */
static int parse_proc_target(const scenario_t *sc, yt_node_t *m,
                             const char *what, sc_action_t *a,
                             yt_error_t *err)
{
    yt_node_t *v;
    if ((v = yt_get(m, "pid"))) {
        uint64_t pid;
        TRY(sc_u64(v, "pid", &pid, err));
        if (pid == 0 || pid > 0xFFFFFFFFull)
            return yt_fail(err, v, "pid must be 1..4294967295");
        a->pid = (uint32_t)pid;
        snprintf(a->proc, sizeof(a->proc), "pid");
        if ((v = yt_get(m, "instance")))
            TRY(find_instance(sc, v, &a->instance, err));
        return 0;
    }
    TRY(req(m, "instance", what, &v, err));
    TRY(find_instance(sc, v, &a->instance, err));
    TRY(req(m, "proc", what, &v, err));
    TRY(yt_str(v, "proc", a->proc, sizeof(a->proc), err));
    if (strcmp(a->proc, "hostagent") && strcmp(a->proc, "service") &&
        strcmp(a->proc, "driver"))
        return yt_fail(err, v, "proc must be hostagent, service or driver "
                               "(or give 'pid')");
    return 0;
}

static int parse_timeline(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    char dym[96];
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "timeline", err));
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v;
        sc_action_t *a;
        char what[32];
        int k;
        TRY(yt_expect(m, YT_MAP, "a timeline step", err));
        ALLOW(m, "a timeline step", k_step);
        if (sc->nactions >= SC_MAX_ACTIONS)
            return yt_fail(err, m, "more than %d steps", SC_MAX_ACTIONS);
        a = &sc->actions[sc->nactions];
        memset(a, 0, sizeof(*a));
        a->line = m->line;
        a->col = m->col;
        a->instance = a->owner = a->daemon_instance = -1;
        TRY(req(m, "at", "a timeline step", &v, err));
        TRY(sc_dur(v, "at", &a->at_ns, err));
        TRY(check_time(sc, v, "a step's time", a->at_ns, err));
        if ((v = yt_get(m, "every"))) {
            TRY(sc_dur(v, "every", &a->every_ns, err));
            if (a->every_ns < SIM_NS_PER_MS)
                return yt_fail(err, v, "every must be at least 1ms");
            if ((v = yt_get(m, "until"))) {
                TRY(sc_dur(v, "until", &a->until_ns, err));
                if (a->until_ns < a->at_ns)
                    return yt_fail(err, v, "'until' must not be earlier "
                                           "than 'at'");
            }
        } else if ((v = yt_get(m, "until"))) {
            return yt_fail(err, v, "'until' needs 'every'");
        }
        TRY(req(m, "do", "a timeline step", &v, err));
        TRY(yt_str(v, "do", what, sizeof(what), err));
        for (k = 0; k < SC_ACT__COUNT; k++)
            if (!strcmp(act_names[k], what))
                break;
        if (k == SC_ACT__COUNT)
            return yt_fail(err, v, "unknown action '%s'%s (rddsim list "
                                   "actions)", what,
                           did_you_mean(dym, sizeof(dym), what, act_name_i,
                                        SC_ACT__COUNT));
        a->kind = (sc_act_kind_t)k;
        switch (a->kind) {
        case SC_ACT_KUBE_DELETE: {
            TRY(parse_mirror_target(sc, m, what, a, err));
            TRY(req(m, "docker_name", "kube.delete", &v, err));
            TRY(yt_str(v, "docker_name", a->docker_name,
                       sizeof(a->docker_name), err));
            break;
        }
        case SC_ACT_APP_PATCH:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            TRY(req(m, "key", what, &v, err));
            TRY(yt_str(v, "key", a->key, sizeof(a->key), err));
            if (!strcmp(a->key, "namespace"))
                return yt_fail(err, v, "changing spec.namespace is not "
                                       "modelled");
            TRY(req(m, "value", what, &v, err));
            TRY(yt_str(v, "value", a->value, sizeof(a->value), err));
            break;
        case SC_ACT_KUBE_CREATE: {
            TRY(parse_mirror_target(sc, m, what, a, err));
            TRY(req(m, "name", what, &v, err));
            TRY(yt_str(v, "name", a->obj_name, sizeof(a->obj_name), err));
            break;
        }
        case SC_ACT_RDD_SET:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            TRY(req(m, "running", what, &v, err));
            TRY(yt_bool(v, "running", &a->running, err));
            a->timeout_ns = 300 * SIM_NS_PER_S; /* limavm.go:42 */
            if ((v = yt_get(m, "timeout")))
                TRY(sc_dur(v, "timeout", &a->timeout_ns, err));
            break;
        case SC_ACT_OWNER_START:
        case SC_ACT_OWNER_STOP:
        case SC_ACT_OWNER_CRASH: {
            char name[SC_NAME_MAX];
            int j;
            TRY(req(m, "owner", what, &v, err));
            TRY(yt_str(v, "owner", name, sizeof(name), err));
            for (j = 0; j < sc->nowners; j++)
                if (!strcmp(sc->owners[j].name, name))
                    a->owner = j;
            if (a->owner < 0)
                return yt_fail(err, v, "no owner named '%s'", name);
            break;
        }
        case SC_ACT_VM_STOP:
        case SC_ACT_VM_START:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            break;
        case SC_ACT_DOCKER_RM:
        case SC_ACT_DOCKER_RUN:
            TRY(parse_docker_target(sc, m, what, a, err));
            TRY(req(m, "container", what, &v, err));
            TRY(yt_str(v, "container", a->container, sizeof(a->container),
                       err));
            snprintf(a->image, sizeof(a->image), "busybox:latest");
            TRY(opt_str(m, "image", a->image, sizeof(a->image), err));
            if ((v = yt_get(m, "force")))
                TRY(yt_bool(v, "force", &a->force, err));
            break;
        case SC_ACT_DOCKER_API: {
            char op[32];
            TRY(parse_docker_target(sc, m, what, a, err));
            TRY(req(m, "op", what, &v, err));
            TRY(yt_str(v, "op", op, sizeof(op), err));
            a->docker_op = dock_op_by_name(op);
            if (a->docker_op < 0 || !dock_op_mutating(a->docker_op) ||
                a->docker_op == DOCK_OP_CONTAINER_CREATE)
                return yt_fail(err, v,
                               "op must be ContainerStart, ContainerStop, "
                               "ContainerRestart, ContainerPause, "
                               "ContainerUnpause, ContainerRemove, "
                               "ImageRemove or VolumeRemove");
            TRY(req(m, "ref", what, &v, err));
            TRY(yt_str(v, "ref", a->container, sizeof(a->container), err));
            if ((v = yt_get(m, "force")))
                TRY(yt_bool(v, "force", &a->force, err));
            break;
        }
        case SC_ACT_SVC_START:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            /* an upgrade: the service now runs from another executable */
            TRY(opt_str(m, "exe", a->path, sizeof(a->path), err));
            break;
        case SC_ACT_HOSTSWITCH_DIE:
        case SC_ACT_BATS_SETUP:
        case SC_ACT_BATS_TEST37:
        case SC_ACT_APP_DELETE:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            break;
        case SC_ACT_SVC_STOP:
        case SC_ACT_SVC_DELETE:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            a->console = 1;
            if ((v = yt_get(m, "console")))
                TRY(yt_bool(v, "console", &a->console, err));
            break;
        case SC_ACT_PROC_KILL:
        case SC_ACT_PROC_EXIT:
        case SC_ACT_FS_HOLD:
        case SC_ACT_FS_RELEASE:
            TRY(parse_proc_target(sc, m, what, a, err));
            if (a->kind == SC_ACT_PROC_EXIT && (v = yt_get(m, "code"))) {
                uint64_t c;
                TRY(sc_u64(v, "code", &c, err));
                if (c > 255)
                    return yt_fail(err, v, "code must be 0..255");
                a->code = (int)c;
            }
            if (a->kind == SC_ACT_FS_HOLD || a->kind == SC_ACT_FS_RELEASE) {
                TRY(req(m, "path", what, &v, err));
                TRY(yt_str(v, "path", a->path, sizeof(a->path), err));
            }
            break;
        case SC_ACT_PROC_SPAWN: {
            uint64_t pid;
            TRY(req(m, "pid", what, &v, err));
            TRY(sc_u64(v, "pid", &pid, err));
            if (pid == 0 || pid > 0xFFFFFFFFull)
                return yt_fail(err, v, "pid must be 1..4294967295");
            a->pid = (uint32_t)pid;
            TRY(req(m, "exe", what, &v, err));
            TRY(yt_str(v, "exe", a->path, sizeof(a->path), err));
            snprintf(a->proc, sizeof(a->proc), "process");
            TRY(opt_str(m, "name", a->proc, sizeof(a->proc), err));
            break;
        }
        case SC_ACT_WSL_START:
        case SC_ACT_WSL_TERMINATE:
            TRY(req(m, "distro", what, &v, err));
            TRY(yt_str(v, "distro", a->distro, sizeof(a->distro), err));
            break;
        case SC_ACT_PIPE_HOLD:
            snprintf(a->pipe, sizeof(a->pipe), "\\\\.\\pipe\\docker_engine");
            TRY(opt_str(m, "pipe", a->pipe, sizeof(a->pipe), err));
            TRY(req(m, "for", what, &v, err));
            TRY(sc_dur(v, "for", &a->for_ns, err));
            break;
        case SC_ACT_CONTEXT_USE:
        case SC_ACT_CONTEXT_SEED:
            TRY(req(m, "name", what, &v, err));
            TRY(yt_str(v, "name", a->obj_name, sizeof(a->obj_name), err));
            TRY(opt_str(m, "config", a->config_dir, sizeof(a->config_dir),
                        err));
            if (a->kind == SC_ACT_CONTEXT_SEED) {
                TRY(req(m, "host", what, &v, err));
                TRY(yt_str(v, "host", a->ctx_host, sizeof(a->ctx_host), err));
            }
            break;
        case SC_ACT_RDD_CTL: {
            char kind[32];
            int kk;
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            TRY(req(m, "verb", what, &v, err));
            TRY(yt_str(v, "verb", a->verb, sizeof(a->verb), err));
            if (strcmp(a->verb, "get") && strcmp(a->verb, "delete") &&
                strcmp(a->verb, "patch"))
                return yt_fail(err, v, "verb must be get, delete or patch");
            TRY(req(m, "kind", what, &v, err));
            TRY(yt_str(v, "kind", kind, sizeof(kind), err));
            if ((kk = kind_by_name(kind)) < 0)
                return yt_fail(err, v, "unknown kind '%s'", kind);
            a->kube_kind = (kube_kind_t)kk;
            TRY(req(m, "name", what, &v, err));
            TRY(yt_str(v, "name", a->obj_name, sizeof(a->obj_name), err));
            snprintf(a->ns, sizeof(a->ns), "%s",
                     a->kube_kind == KUBE_APP ? "" : "default");
            TRY(opt_str(m, "namespace", a->ns, sizeof(a->ns), err));
            if (!strcmp(a->verb, "patch")) { /* a merge patch of spec */
                TRY(req(m, "key", what, &v, err));
                TRY(yt_str(v, "key", a->key, sizeof(a->key), err));
                TRY(req(m, "value", what, &v, err));
                TRY(yt_str(v, "value", a->value, sizeof(a->value), err));
            }
            break;
        }
        default:
            break;
        }
        if (a->every_ns &&
            (a->kind == SC_ACT_RDD_SET || a->kind == SC_ACT_PIPE_HOLD ||
             a->kind == SC_ACT_RDD_CTL))
            return yt_fail(err, yt_get(m, "every"), "%s cannot repeat (one "
                           "client per step)", what);
        TRY(yt_unused(m, "a timeline step", err));
        sc->nactions++;
    }
    return 0;
}

static int inv_known(const char *id)
{
    size_t i;
    for (i = 0; i < sim_inv_catalogue_len; i++)
        if (!strcmp(sim_inv_catalogue[i].id, id))
            return 1;
    return 0;
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int parse_violated(yt_node_t *viol, sc_variant_t *var,
                          yt_error_t *err);

static int parse_variants(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    char dym[96];
    size_t i;
    TRY(yt_expect(n, YT_MAP, "variants", err));
    if (n->n == 0)
        return yt_fail(err, n, "variants must name at least one variant");
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v, *viol;
        sc_variant_t *var;
        const rdd_preset_t *p;
        size_t k;
        n->used[i] = 1;
        if (sc->nvariants >= SC_MAX_VARIANTS)
            return yt_fail(err, n->keys[i], "more than %d variants",
                           SC_MAX_VARIANTS);
        var = &sc->variants[sc->nvariants];
        TRY(yt_str(n->keys[i], "a variant name", var->name,
                   sizeof(var->name), err));
        TRY(yt_expect(m, YT_MAP, "a variant", err));
        ALLOW(m, "a variant", k_variant);
        p = rdd_preset_by_name(var->name);
        if ((v = yt_get(m, "base"))) {
            char base[SC_NAME_MAX];
            TRY(yt_str(v, "base", base, sizeof(base), err));
            if (!(p = rdd_preset_by_name(base)))
                return yt_fail(err, v, "unknown preset '%s'%s (rddsim list "
                                       "variants)", base,
                               did_you_mean(dym, sizeof(dym), base,
                                            preset_name_i, rdd_presets_len));
        }
        if (!p && !yt_get(m, "flags"))
            return yt_fail(err, n->keys[i],
                           "variant '%s' is no preset: give it 'base' or "
                           "'flags'", var->name);
        var->flags = p ? p->flags : 0;
        if ((v = yt_get(m, "flags"))) {
            TRY(yt_expect(v, YT_SEQ, "flags", err));
            for (k = 0; k < v->n; k++) {
                char fl[64];
                int f;
                TRY(yt_str(v->vals[k], "a flag", fl, sizeof(fl), err));
                if ((f = rdd_flag_by_name(fl)) < 0)
                    return yt_fail(err, v->vals[k], "unknown flag '%s'%s "
                                   "(rddsim list variants)", fl,
                                   did_you_mean(dym, sizeof(dym), fl,
                                                flag_name_i,
                                                RDD_FLAG__COUNT));
                var->flags |= RDD_FLAG_BIT(f);
            }
        }
        var->cell_owner = var->cell_order = -1;
        if (sc->is_matrix) {
            if ((v = yt_get(m, "expect")))
                return yt_fail(err, v, "in a matrix, expectations live in "
                                       "matrix.expect");
            TRY(yt_unused(m, "a variant", err));
            sc->nvariants++;
            continue;
        }
        TRY(req(m, "expect", "a variant", &v, err));
        TRY(yt_expect(v, YT_MAP, "expect", err));
        ALLOW(v, "expect", k_expect);
        TRY(req(v, "violated", "expect", &viol, err));
        TRY(parse_violated(viol, var, err));
        {
            static const char *const keys[] = {"trace", "no_trace"};
            int kk;
            for (kk = 0; kk < 2; kk++) {
                yt_node_t *tl = yt_get(v, keys[kk]);
                char(*dst)[160] = kk ? var->no_trace : var->trace;
                int *nd = kk ? &var->nno_trace : &var->ntrace;
                if (!tl)
                    continue;
                TRY(yt_expect(tl, YT_SEQ, keys[kk], err));
                if (tl->n > SC_MAX_EXPECT)
                    return yt_fail(err, tl, "too many %s entries", keys[kk]);
                for (k = 0; k < tl->n; k++)
                    TRY(yt_str(tl->vals[k], "a trace text", dst[k], 160,
                               err));
                *nd = (int)tl->n;
            }
        }
        TRY(yt_unused(v, "expect", err));
        TRY(yt_unused(m, "a variant", err));
        sc->nvariants++;
    }
    return 0;
}

/* An `expect` rule's invariant list into var. */
static int parse_violated(yt_node_t *viol, sc_variant_t *var, yt_error_t *err)
{
    char dym[96];
    size_t k;
    TRY(yt_expect(viol, YT_SEQ, "violated", err));
    if (viol->n > SC_MAX_EXPECT)
        return yt_fail(err, viol, "too many invariants");
    for (k = 0; k < viol->n; k++) {
        TRY(yt_str(viol->vals[k], "an invariant id", var->expect[k],
                   sizeof(var->expect[k]), err));
        if (!inv_known(var->expect[k]))
            return yt_fail(err, viol->vals[k], "unknown invariant '%s'%s "
                           "(rddsim list invariants)", var->expect[k],
                           did_you_mean(dym, sizeof(dym), var->expect[k],
                                        inv_name_i,
                                        (int)sim_inv_catalogue_len));
    }
    var->nexpect = (int)viol->n;
    qsort(var->expect, (size_t)var->nexpect, sizeof(var->expect[0]),
          cmp_ids);
    return 0;
}

/* Does a rule's optional `key: value` accept this axis value? */
static int rule_accepts(yt_node_t *rule, const char *key, const char *val,
                        yt_error_t *err, int *ok)
{
    yt_node_t *v = yt_get(rule, key);
    char want[SC_NAME_MAX];
    *ok = 1;
    if (!v)
        return 0;
    TRY(yt_str(v, key, want, sizeof(want), err));
    *ok = !strcmp(want, "*") || !strcmp(want, val);
    return 0;
}

/* matrix: {contenders: {name: owner | instance}, orders: {name: time},
 *          expect: [{contender, order, variant, violated}]}
 * Replaces the flag-set variants with one variant per cell, named
 * <contender>.<order>.<flag set>; the first rule that accepts a cell gives
 * its expectation, and every cell needs one. */
static int parse_matrix(yt_node_t *mx, scenario_t *sc, yt_error_t *err)
{
    yt_node_t *c, *o, *ex;
    sc_variant_t sets[SC_MAX_VARIANTS];
    int nsets = sc->nvariants, a, b, f;
    size_t i, r;
    char *used;
    TRY(yt_expect(mx, YT_MAP, "matrix", err));
    ALLOW(mx, "matrix (contenders, orders, expect)", k_matrix);
    TRY(req(mx, "contenders", "matrix", &c, err));
    TRY(yt_expect(c, YT_MAP, "contenders", err));
    if (c->n == 0 || c->n > SC_MAX_AXIS)
        return yt_fail(err, c, "1 to %d contenders", SC_MAX_AXIS);
    for (i = 0; i < c->n; i++) {
        yt_node_t *m = c->vals[i];
        c->used[i] = 1;
        TRY(yt_str(c->keys[i], "a contender name", sc->mx_owner_name[i],
                   SC_AXIS_NAME_MAX, err));
        TRY(yt_expect(m, YT_MAP, "a contender", err));
        if (yt_get(m, "rdd_instance")) {
            sc->mx_owner_is_rdd[i] = 1;
            if (yt_get(m, "start"))
                return yt_fail(err, yt_get(m, "start"), "a contender's "
                               "start comes from the order axis");
            TRY(parse_one_instance(m, &sc->mx_inst[i], err));
        } else {
            TRY(parse_one_owner(m, sc, &sc->mx_owner[i], err));
            if (sc->mx_owner[i].has_start)
                return yt_fail(err, m, "a contender's start comes from the "
                                       "order axis");
        }
    }
    sc->nmx_owner = (int)c->n;
    /* scenario_cell adds the contender to the cell's world: it must fit. */
    for (i = 0; i < c->n; i++)
        if (sc->mx_owner_is_rdd[i] ? sc->ninstances >= SC_MAX_INSTANCES
                                   : sc->nowners >= SC_MAX_OWNERS)
            return yt_fail(err, c->keys[i], "no room for contender '%s': "
                           "the scenario already has %d %s",
                           sc->mx_owner_name[i],
                           sc->mx_owner_is_rdd[i] ? SC_MAX_INSTANCES
                                                  : SC_MAX_OWNERS,
                           sc->mx_owner_is_rdd[i] ? "instances" : "owners");
    TRY(req(mx, "orders", "matrix", &o, err));
    TRY(yt_expect(o, YT_MAP, "orders", err));
    if (o->n == 0 || o->n > SC_MAX_AXIS)
        return yt_fail(err, o, "1 to %d orders", SC_MAX_AXIS);
    for (i = 0; i < o->n; i++) {
        o->used[i] = 1;
        TRY(yt_str(o->keys[i], "an order name", sc->mx_order_name[i],
                   SC_AXIS_NAME_MAX, err));
        TRY(sc_dur(o->vals[i], "an order's start", &sc->mx_order_ns[i],
                        err));
        TRY(check_time(sc, o->vals[i], "an order's start",
                       sc->mx_order_ns[i], err));
    }
    sc->nmx_order = (int)o->n;
    if (sc->nmx_owner * sc->nmx_order * nsets > SC_MAX_VARIANTS)
        return yt_fail(err, mx, "%d cells: at most %d",
                       sc->nmx_owner * sc->nmx_order * nsets,
                       SC_MAX_VARIANTS);
    TRY(req(mx, "expect", "matrix", &ex, err));
    TRY(yt_expect(ex, YT_SEQ, "expect", err));
    for (r = 0; r < ex->n; r++) {
        yt_node_t *rule = ex->vals[r];
        TRY(yt_expect(rule, YT_MAP, "an expect rule", err));
        ALLOW(rule, "an expect rule (contender, order, variant, violated)",
              k_rule);
        (void)yt_get(rule, "contender");
        (void)yt_get(rule, "order");
        (void)yt_get(rule, "variant");
        if (!yt_get(rule, "violated"))
            return yt_fail(err, rule, "an expect rule needs 'violated'");
        TRY(yt_unused(rule, "an expect rule (contender, order, variant, "
                            "violated)", err));
    }
    for (f = 0; f < nsets; f++)
        if (strlen(sc->variants[f].name) >= SC_AXIS_NAME_MAX)
            return yt_fail(err, mx, "variant name '%s' is longer than %d "
                           "characters", sc->variants[f].name,
                           SC_AXIS_NAME_MAX - 1);
    memcpy(sets, sc->variants, sizeof(sets[0]) * (size_t)nsets);
    used = sim__calloc(ex->n ? ex->n : 1, 1);
    if (!used)
        return yt_fail(err, mx, "out of memory");
    sc->nvariants = 0;
    for (a = 0; a < sc->nmx_owner; a++)
        for (b = 0; b < sc->nmx_order; b++)
            for (f = 0; f < nsets; f++) {
                sc_variant_t *var = &sc->variants[sc->nvariants++];
                int rc = 0;
                *var = sets[f];
                var->cell_owner = a;
                var->cell_order = b;
                {
                    char nm[sizeof(var->name)];
                    snprintf(nm, sizeof(nm), "%s.%s.%s",
                             sc->mx_owner_name[a], sc->mx_order_name[b],
                             sets[f].name);
                    memcpy(var->name, nm, sizeof(nm));
                }
                for (r = 0; r < ex->n; r++) {
                    int ok1, ok2, ok3;
                    yt_node_t *rule = ex->vals[r];
                    if ((rc = rule_accepts(rule, "contender",
                                           sc->mx_owner_name[a], err,
                                           &ok1)) ||
                        (rc = rule_accepts(rule, "order",
                                           sc->mx_order_name[b], err,
                                           &ok2)) ||
                        (rc = rule_accepts(rule, "variant", sets[f].name,
                                           err, &ok3)))
                        break;
                    if (ok1 && ok2 && ok3)
                        break;
                }
                if (rc == 0 && r == ex->n)
                    rc = yt_fail(err, ex, "no expect rule covers cell %s",
                                 var->name);
                if (rc == 0) {
                    used[r] = 1;
                    rc = parse_violated(yt_get(ex->vals[r], "violated"), var,
                                        err);
                }
                if (rc) {
                    sim__free(used);
                    return rc;
                }
            }
    for (r = 0; r < ex->n; r++)
        if (!used[r]) {
            sim__free(used);
            return yt_fail(err, ex->vals[r], "this rule covers no cell "
                                             "(an earlier rule wins)");
        }
    sim__free(used);
    return yt_unused(mx, "matrix (contenders, orders, expect)", err);
}

void scenario_cell(const scenario_t *sc, const sc_variant_t *v,
                   scenario_t *out)
{
    *out = *sc;
    if (!sc->is_matrix || v->cell_owner < 0)
        return;
    out->is_matrix = 0;
    out->variants[0] = *v;
    out->nvariants = 1;
    {
        char nm[sizeof(out->name)];
        snprintf(nm, sizeof(nm), "%.40s[%.50s]", sc->name, v->name);
        memcpy(out->name, nm, sizeof(nm));
    }
    if (sc->mx_owner_is_rdd[v->cell_owner]) {
        if (out->ninstances < SC_MAX_INSTANCES) {
            sc_instance_t *in = &out->instances[out->ninstances++];
            *in = sc->mx_inst[v->cell_owner];
            in->start_ns = sc->mx_order_ns[v->cell_order];
        }
    } else if (out->nowners < SC_MAX_OWNERS) {
        sc_owner_t *o = &out->owners[out->nowners++];
        *o = sc->mx_owner[v->cell_owner];
        o->start_ns = sc->mx_order_ns[v->cell_order];
        o->has_start = 1;
    }
}

/* The names a fault site's target can take, by the site's component:
 * dock.* a daemon (the scenario's, or an instance's VM daemon vm-<value>),
 * kube.* an instance's apiserver (its Name(), rancher-desktop-<suffix>, under
 * any variant's flags), and kube.watch.* its controller manager's
 * informer cache (<Name()>/manager).  npipe.* and uds.* targets are
 * process and client names the models pick; they are not checked.
 * Returns the count. */
static int target_names(const scenario_t *sc, const char *site,
                        char names[][SC_NAME_MAX + 8], int max)
{
    int n = 0, i, v;
    const sc_instance_t *ins[SC_MAX_INSTANCES + SC_MAX_AXIS];
    int nin = 0;
    for (i = 0; i < sc->ninstances; i++)
        ins[nin++] = &sc->instances[i];
    for (i = 0; i < sc->nmx_owner; i++)
        if (sc->mx_owner_is_rdd[i])
            ins[nin++] = &sc->mx_inst[i];
    if (!strncmp(site, "dock.", 5)) {
        for (i = 0; i < sc->ndaemons && n < max; i++)
            snprintf(names[n++], SC_NAME_MAX + 8, "%s", sc->daemons[i].name);
        /* A VM daemon is vm-<rdd_instance>, the default instance's vm-unset
         * or, as newer worlds name it, vm-<suffix> (vm-2). */
        for (i = 0; i < nin && n + 1 < max; i++) {
            const char *val = ins[i]->env_set ? ins[i]->value : "unset";
            snprintf(names[n++], SC_NAME_MAX + 8, "vm-%s", val);
            if (!ins[i]->env_set || !ins[i]->value[0])
                snprintf(names[n++], SC_NAME_MAX + 8, "vm-2");
        }
        return n;
    }
    if (strncmp(site, "kube.", 5))
        return -1;
    for (i = 0; i < nin; i++)
        for (v = -1; v < sc->nvariants && n < max; v++) {
            rdd_identity_t id;
            rdd_identity(&id, sc->os, ins[i]->env_set, ins[i]->value,
                         rdd_os_home(sc->os),
                         v < 0 ? 0 : sc->variants[v].flags);
            if (strncmp(site, "kube.watch.", 11)) {
                snprintf(names[n++], SC_NAME_MAX + 8, "%.*s", SC_NAME_MAX,
                         id.name);
                continue;
            }
            snprintf(names[n++], SC_NAME_MAX + 8, "%.*s/manager",
                     SC_NAME_MAX, id.name);
        }
    return n;
}

/* A fault's target names something the world has (dock.*, kube.*). */
static int check_targets(const scenario_t *sc, yt_error_t *err)
{
    static char names[SC_MAX_DAEMONS + 3 * (SC_MAX_INSTANCES + SC_MAX_AXIS) *
                                            (SC_MAX_VARIANTS + 2)]
                     [SC_NAME_MAX + 8];
    const char *cands[SIM_ARRAY_LEN(names)];
    int f, n, i;
    for (f = 0; f < sc->nfaults; f++) {
        const sc_fault_t *ft = &sc->faults[f];
        const char *site = sim_fault_name(ft->site), *near;
        if (!ft->arm.target[0])
            continue;
        n = target_names(sc, site, names, (int)SIM_ARRAY_LEN(names));
        for (i = 0; i < n; i++) {
            cands[i] = names[i];
            if (!strcmp(names[i], ft->arm.target))
                break;
        }
        if (n < 0 || i < n)
            continue;
        near = sim_suggest(ft->arm.target, cands, (size_t)n);
        err->line = ft->target_line;
        err->col = ft->target_col;
        snprintf(err->msg, sizeof(err->msg),
                 "fault target '%s' names no %s of this scenario%s%s%s",
                 ft->arm.target,
                 site[0] == 'd' ? "daemon"
                 : !strncmp(site, "kube.watch.", 11)
                     ? "informer cache (<apiserver>/manager)"
                     : "instance's apiserver",
                 near ? " (did you mean '" : "", near ? near : "",
                 near ? "'?)" : "");
        return SIM_EINVAL;
    }
    return 0;
}

static int parse_root(yt_node_t *root, scenario_t *sc, yt_error_t *err)
{
    yt_node_t *v;
    char host[16];
    int os;
    TRY(yt_expect(root, YT_MAP, "a scenario", err));
    ALLOW(root, "the scenario", k_root);
    TRY(req(root, "name", "the scenario", &v, err));
    TRY(name_str(v, "name", sc->name, sizeof(sc->name), err));
    TRY(opt_str(root, "description", sc->description,
                sizeof(sc->description), err));
    TRY(req(root, "host", "the scenario", &v, err));
    TRY(yt_str(v, "host", host, sizeof(host), err));
    for (os = 0; os < SC_HOST__COUNT; os++)
        if (!strcmp(host_names[os], host))
            break;
    if (os == SC_HOST__COUNT)
        return yt_fail(err, v, "host must be windows, msys, wsl2, linux or "
                               "darwin, not '%s'", host);
    sc->host = (sc_host_t)os;
    /* rdd.exe runs on Windows under MSYS2 and WSL2 shells alike. */
    sc->os = os <= SC_HOST_WSL2 ? RDD_OS_WINDOWS
             : os == SC_HOST_LINUX ? RDD_OS_LINUX
                                   : RDD_OS_DARWIN;
    if ((v = yt_get(root, "seed"))) {
        TRY(sc_u64(v, "seed", &sc->seed, err));
        sc->has_seed = 1;
    }
    TRY(req(root, "duration", "the scenario", &v, err));
    TRY(sc_dur(v, "duration", &sc->duration_ns, err));
    if (sc->duration_ns == 0)
        return yt_fail(err, v, "duration must be longer than 0s");
    /* timers: {lateness: 0.4ms..0.44ms} (docs/timing.md "Timer lateness") */
    sc->late_min_ns = RDD_TIMER_LATE_MIN_NS;
    sc->late_max_ns = RDD_TIMER_LATE_MAX_NS;
    if ((v = yt_get(root, "timers"))) {
        yt_node_t *l;
        TRY(yt_expect(v, YT_MAP, "timers", err));
        ALLOW(v, "timers", k_timers);
        if ((l = yt_get(v, "lateness")))
            TRY(parse_range(l, "lateness", &sc->late_min_ns, &sc->late_max_ns,
                            err));
        if (l && sc->late_max_ns > SIM_NS_PER_S)
            return yt_fail(err, l, "lateness must be at most 1s");
    }
    /* choices: {hawatcher.tail_lost: true} pins a seeded choice point
     * (docs/scenarios.md "Choice points"; the names: sim/choices.def) */
    if ((v = yt_get(root, "choices"))) {
        TRY(yt_expect(v, YT_MAP, "choices", err));
        ALLOW(v, "choices", k_choices);
        for (int i = 0; i < SIM_CHOICE__COUNT; i++) {
            yt_node_t *c = yt_get(v, sim_choice_name((sim_choice_t)i));
            int b;
            if (!c)
                continue;
            TRY(yt_bool(c, sim_choice_name((sim_choice_t)i), &b, err));
            sc->choice[i] = b ? SIM_PIN_TRUE : SIM_PIN_FALSE;
        }
    }
    /* heal: 5m: from then on no fault site fires (the liveness phase of
     * an explored world, docs/explore.md) */
    if ((v = yt_get(root, "heal"))) {
        TRY(sc_dur(v, "heal", &sc->heal_ns, err));
        if (sc->heal_ns == 0)
            return yt_fail(err, v, "heal must be later than 0s");
        TRY(check_time(sc, v, "heal", sc->heal_ns, err));
    }
    if ((v = yt_get(root, "daemons")))
        TRY(parse_daemons(v, sc, err));
    if ((v = yt_get(root, "owners")))
        TRY(parse_owners(v, sc, err));
    if ((v = yt_get(root, "instances")))
        TRY(parse_instances(v, sc, err));
    if ((v = yt_get(root, "faults")))
        TRY(parse_faults(v, sc, err));
    if ((v = yt_get(root, "timeline")))
        TRY(parse_timeline(v, sc, err));
    sc->is_matrix = yt_get(root, "matrix") != NULL;
    TRY(req(root, "variants", "the scenario", &v, err));
    TRY(parse_variants(v, sc, err));
    if (sc->is_matrix)
        TRY(parse_matrix(yt_get(root, "matrix"), sc, err));
    TRY(yt_unused(root, "the scenario", err));
    return check_targets(sc, err);
}

int scenario_load_buffer(const char *name, const char *buf, size_t len,
                         scenario_t *sc, yt_error_t *err)
{
    yt_node_t *root;
    int rc;
    memset(sc, 0, sizeof(*sc));
    snprintf(sc->file, sizeof(sc->file), "%s", name);
    rc = yt_load_buffer(name, buf, len, &root, err);
    if (rc)
        return rc;
    rc = parse_root(root, sc, err);
    yt_free(root);
    return rc;
}

int scenario_load(const char *path, scenario_t *sc, yt_error_t *err)
{
    yt_node_t *root;
    int rc;
    memset(sc, 0, sizeof(*sc));
    snprintf(sc->file, sizeof(sc->file), "%s", path);
    rc = yt_load_file(path, &root, err);
    if (rc)
        return rc;
    rc = parse_root(root, sc, err);
    yt_free(root);
    if (rc == 0) {
        int i;
        for (i = 0; i < sc->nwarn; i++)
            fprintf(stderr, "%s\n", sc->warnings[i]);
    }
    return rc;
}

const sc_variant_t *scenario_variant(const scenario_t *sc, const char *name)
{
    int i;
    for (i = 0; i < sc->nvariants; i++)
        if (!strcmp(sc->variants[i].name, name))
            return &sc->variants[i];
    return NULL;
}
