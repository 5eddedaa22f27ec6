/*
 * cli_run.c: rddsim run FILE (see `rddsim help run`).
 *
 * Picks the variants (declared, a built-in preset, or either with --flags
 * added), the seeds (--seed, --seeds A..B, the file's, or one drawn), opens
 * the sinks (--trace, --log, through --only/--around), runs each variant x
 * seed with SIGINT/SIGTERM turned into a stop after the current event, and
 * prints the report: expectation, violation and stall lines, one verdict
 * per run, and with --seeds a summary per variant.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explore/perfetto.h"
#include "rdd/flags.h"
#include "scenario/world.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/trace.h"
#include "sim/wall.h"

#define CMD "run"

#define got_signal cli_got_signal

typedef struct {
    const char *file, *variant, *flags, *trace, *log, *only, *around;
    int perfetto;                /* --trace-format perfetto */
    uint64_t seed_lo, seed_hi, max_events;
    int have_seed, have_seeds, no_expect;
} run_opts_t;

/* One variant to run: a copy, and whether the file's expectations judge
 * it (an ad-hoc preset or --flags run is judged without). */
typedef struct {
    sc_variant_t v;
    int ad_hoc;
} pick_t;

typedef struct {
    const scenario_t *sc;
    const run_opts_t *o;
    FILE *rep;                   /* the report: stdout, or stderr when the
                                    trace goes to stdout */
    world_io_t io;
    cli_file_t trace, log;
    cli_filter_t *flt;
    perfetto_t *pf;              /* --trace-format perfetto: the sink */
} run_ctx_t;

/* options ------------------------------------------------------------------*/

enum {
    O_VARIANT, O_FLAGS, O_SEED, O_SEEDS, O_TRACE, O_LOG, O_ONLY, O_AROUND,
    O_NO_EXPECT, O_MAX_EVENTS, O_TRACE_FORMAT
};

static const cli_opt_t run_opts[] = {
    [O_VARIANT] = {"--variant", 1},   [O_FLAGS] = {"--flags", 1},
    [O_SEED] = {"--seed", 1},         [O_SEEDS] = {"--seeds", 1},
    [O_TRACE] = {"--trace", 1},       [O_LOG] = {"--log", 1},
    [O_ONLY] = {"--only", 1},         [O_AROUND] = {"--around", 1},
    [O_NO_EXPECT] = {"--no-expect", 0},
    [O_MAX_EVENTS] = {"--max-events", 1},
    [O_TRACE_FORMAT] = {"--trace-format", 1},
};

static int parse_opts(int argc, char **argv, run_opts_t *o)
{
    cli_args_t a;
    const char *val = NULL;
    int k, rc;
    memset(o, 0, sizeof(*o));
    cli_args_init(&a, CMD, argc, argv, run_opts,
                  sizeof(run_opts) / sizeof(run_opts[0]));
    while ((k = cli_next(&a, &val)) != CLI_END) {
        switch (k) {
        case CLI_ERR:
            return EXIT_USAGE;
        case CLI_HELP:
            cli_help(CMD, stdout);
            return -1;
        case CLI_ARG:
            if (o->file)
                return cli_usage(CMD, "one FILE only (%s, then %s)", o->file,
                                 val);
            o->file = val;
            break;
        case O_VARIANT: o->variant = val; break;
        case O_FLAGS: o->flags = val; break;
        case O_TRACE: o->trace = val; break;
        case O_LOG: o->log = val; break;
        case O_ONLY: o->only = val; break;
        case O_AROUND: o->around = val; break;
        case O_NO_EXPECT: o->no_expect = 1; break;
        case O_TRACE_FORMAT:
            if (!strcmp(val, "perfetto"))
                o->perfetto = 1;
            else if (strcmp(val, "jsonl"))
                return cli_usage(CMD, "--trace-format %s: jsonl or perfetto",
                                 val);
            break;
        case O_SEED:
            if ((rc = cli_u64(CMD, "--seed", val, &o->seed_lo)) != 0)
                return rc;
            o->seed_hi = o->seed_lo;
            o->have_seed = 1;
            break;
        case O_SEEDS:
            if ((rc = cli_seed_range(CMD, "--seeds", val, &o->seed_lo,
                                     &o->seed_hi)) != 0)
                return rc;
            o->have_seeds = 1;
            break;
        case O_MAX_EVENTS:
            if ((rc = cli_u64(CMD, "--max-events", val, &o->max_events)))
                return rc;
            if (!o->max_events)
                return cli_usage(CMD, "--max-events 0: must be at least 1");
            break;
        }
    }
    if (!o->file)
        return cli_usage(CMD, "needs a scenario FILE");
    if (o->have_seed && o->have_seeds)
        return cli_usage(CMD, "--seed and --seeds: give one");
    if (o->perfetto && !o->trace)
        return cli_usage(CMD, "--trace-format needs --trace FILE");
    if (o->trace && o->log && !strcmp(o->trace, "-") && !strcmp(o->log, "-"))
        return cli_usage(CMD, "--trace - and --log - both write to stdout; "
                              "send one to a file");
    return 0;
}

/* variants -----------------------------------------------------------------*/

/* The names --variant takes: the file's, then the presets it lacks. */
static size_t variant_names(const scenario_t *sc, const char **names,
                            size_t max)
{
    size_t n = 0;
    int i;
    for (i = 0; i < sc->nvariants && n < max; i++)
        names[n++] = sc->variants[i].name;
    for (i = 0; i < rdd_presets_len && n < max && !sc->is_matrix; i++)
        if (!scenario_variant(sc, rdd_presets[i].name))
            names[n++] = rdd_presets[i].name;
    return n;
}

static int unknown_variant(const scenario_t *sc, const char *name)
{
    const char *names[SC_MAX_VARIANTS + 8];
    size_t n = variant_names(sc, names, sizeof(names) / sizeof(names[0]));
    fprintf(stderr, "rddsim run: --variant %s: %s has no such variant%s\n",
            name, sc->file,
            sc->is_matrix ? " (a matrix file runs its cells)" : "");
    cli_print_choices(stderr, name, names, n);
    return EXIT_USAGE;
}

/* Adds "a,b" to v->flags and its name. */
static int add_flags(sc_variant_t *v, const char *list)
{
    const char *p = list;
    char name[sizeof(v->name)];
    while (*p) {
        size_t n = strcspn(p, ",");
        char flag[64];
        int f;
        snprintf(flag, sizeof(flag), "%.*s", (int)n, p);
        f = rdd_flag_by_name(flag);
        if (f < 0) {
            const char *names[RDD_FLAG__COUNT];
            int k;
            for (k = 0; k < RDD_FLAG__COUNT; k++)
                names[k] = rdd_flag_name((rdd_flag_t)k);
            fprintf(stderr, "rddsim run: --flags %s: unknown flag '%s'\n",
                    list, flag);
            cli_print_choices(stderr, flag, names, RDD_FLAG__COUNT);
            return EXIT_USAGE;
        }
        v->flags |= RDD_FLAG_BIT(f);
        p += n;
        if (*p == ',')
            p++;
    }
    snprintf(name, sizeof(name), "%s+%s", v->name, list);
    memcpy(v->name, name, sizeof(name));
    return 0;
}

static void ad_hoc(sc_variant_t *v)
{
    v->nexpect = v->ntrace = v->nno_trace = 0;
}

/* Fills picks (at least SC_MAX_VARIANTS); returns the count, or -rc. */
static int pick_variants(const scenario_t *sc, const run_opts_t *o,
                         pick_t *picks)
{
    int n = 0, i, rc;
    if (o->variant) {
        const sc_variant_t *v = scenario_variant(sc, o->variant);
        const rdd_preset_t *p = rdd_preset_by_name(o->variant);
        if (v) {
            picks[0].v = *v;
        } else if (p && !sc->is_matrix) {
            memset(&picks[0].v, 0, sizeof(picks[0].v));
            snprintf(picks[0].v.name, sizeof(picks[0].v.name), "%s", p->name);
            picks[0].v.flags = p->flags;
            picks[0].v.cell_owner = picks[0].v.cell_order = -1;
            picks[0].ad_hoc = 1;
        } else {
            return -unknown_variant(sc, o->variant);
        }
        n = 1;
    } else if (o->flags) {
        const rdd_preset_t *p = rdd_preset_by_name("head");
        if (sc->is_matrix) {
            fprintf(stderr, "rddsim run: --flags on a matrix file needs "
                            "--variant CELL\n");
            return -EXIT_USAGE;
        }
        memset(&picks[0].v, 0, sizeof(picks[0].v));
        snprintf(picks[0].v.name, sizeof(picks[0].v.name), "head");
        picks[0].v.flags = p ? p->flags : 0;
        picks[0].v.cell_owner = picks[0].v.cell_order = -1;
        n = 1;
    } else {
        for (i = 0; i < sc->nvariants; i++) {
            picks[n].v = sc->variants[i];
            picks[n++].ad_hoc = 0;
        }
    }
    if (o->flags) {
        if ((rc = add_flags(&picks[0].v, o->flags)) != 0)
            return -rc;
        picks[0].ad_hoc = 1;
    }
    for (i = 0; i < n; i++)
        if (picks[i].ad_hoc)
            ad_hoc(&picks[i].v);
    return n;
}

/* sinks --------------------------------------------------------------------*/

static int open_sinks(run_ctx_t *c, const char *variant, uint64_t seed)
{
    char path[CLI_PATH_MAX];
    int rc;
    if (c->o->trace && !c->trace.f) {
        cli_expand(c->o->trace, variant, seed, path, sizeof(path));
        if ((rc = cli_file_open(&c->trace, "--trace", path)) != 0)
            return rc;
        if (c->o->perfetto) {
            if (perfetto_new(c->trace.f, &c->pf) != 0)
                return EXIT_INTERNAL;
            c->io.on_record = perfetto_record;
            c->io.on_record_arg = c->pf;
        } else {
            c->io.jsonl = c->trace.f;
        }
    }
    if (c->o->log && !c->log.f) {
        cli_expand(c->o->log, variant, seed, path, sizeof(path));
        if ((rc = cli_file_open(&c->log, "--log", path)) != 0)
            return rc;
    }
    if ((c->o->only || c->o->around) && !c->flt) {
        FILE *out = c->log.f ? c->log.f : stdout;
        if ((rc = cli_filter_new(CMD, c->o->only, c->o->around, out,
                                 &c->flt)) != 0)
            return rc;
    }
    c->io.text = c->flt ? cli_filter_stream(c->flt) : c->log.f;
    return 0;
}

/* Closes what a run's name was expanded into (all when last). */
static int close_sinks(run_ctx_t *c, int last)
{
    int rc = 0, r;
    if (c->flt && (last || (c->o->log && cli_has_fields(c->o->log)))) {
        r = cli_filter_free(c->flt);
        rc = r > rc ? r : rc;
        c->flt = NULL;
    }
    if (c->trace.f && (last || cli_has_fields(c->o->trace))) {
        if (c->pf && perfetto_end(c->pf) != 0) {
            fprintf(stderr, "rddsim: --trace %s: out of memory\n",
                    c->trace.path);
            rc = EXIT_INTERNAL;
        }
        c->pf = NULL;
        c->io.on_record = NULL;
        c->io.on_record_arg = NULL;
        /* a document cut short is not kept */
        r = cli_file_close(&c->trace, rc == 0);
        rc = r > rc ? r : rc;
        c->io.jsonl = NULL;
    }
    if (c->log.f && (last || cli_has_fields(c->o->log))) {
        r = cli_file_close(&c->log, 1);
        rc = r > rc ? r : rc;
    }
    if (!c->flt && !c->log.f)
        c->io.text = NULL;
    return rc;
}

/* one run ------------------------------------------------------------------*/

static const char *result_word(const pick_t *p, const run_opts_t *o,
                               const world_result_t *res)
{
    if (res->stop == WORLD_STOP_INTERRUPT)
        return "INTERRUPTED";
    if (o->no_expect || p->ad_hoc)
        return res->nviolated ? "VIOLATED" : "HOLDS";
    return res->matches ? "MATCH" : "MISMATCH";
}

/* Violation a happened before b (time, then id): the order of the story
 * (issue 15 item 4; the result keeps ids sorted). */
static int violated_before(const world_result_t *res, int a, int b)
{
    if (res->violated_ns[a] != res->violated_ns[b])
        return res->violated_ns[a] < res->violated_ns[b];
    return strcmp(res->violated[a], res->violated[b]) < 0;
}

static void report(run_ctx_t *c, const pick_t *p, uint64_t seed,
                   const world_result_t *res)
{
    FILE *f = c->rep;
    char exp[160], got[160], tbuf[32];
    int order[SIM_INV_MAX], i, j;
    if (p->ad_hoc)
        fprintf(f, "note: %s is not a variant of %s: judged without "
                   "expectations\n", p->v.name, c->sc->file);
    if (res->trace_miss[0])
        fprintf(f, "expectation: %s\n", res->trace_miss);
    for (i = 0; i < res->nviolated; i++) {
        for (j = i; j > 0 && violated_before(res, i, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (i = 0; i < res->nviolated; i++)
        fprintf(f, "violation: %s at %s: %s\n", res->violated[order[i]],
                sim_fmt_ns(tbuf, res->violated_ns[order[i]]),
                res->why[order[i]]);
    for (i = 0; i < res->nstall; i++)
        fprintf(f, "stall: %s\n", res->stall[i]);
    if (p->ad_hoc)
        snprintf(exp, sizeof(exp), "-");
    else
        cli_fmt_ids(p->v.expect, p->v.nexpect, exp, sizeof(exp));
    cli_fmt_ids((const char(*)[8])res->violated, res->nviolated, got,
                sizeof(got));
    fprintf(f, "verdict: scenario=%s variant=%s seed=%" PRIu64
               " events=%" PRIu64 " sim_time=%s trace_hash=%016" PRIx64
               " expected=%s got=%s result=%s\n",
            c->sc->name, p->v.name, seed, res->events,
            sim_fmt_ns(tbuf, res->sim_ns), res->trace_hash, exp, got,
            result_word(p, c->o, res));
}

/* Runs one variant with one seed; returns its exit code. */
static int run_one(run_ctx_t *c, const pick_t *p, uint64_t seed,
                   int *matched)
{
    world_result_t *res = sim__calloc(1, sizeof(*res));
    char tbuf[32];
    int rc;
    *matched = 0;
    if (!res)
        return EXIT_INTERNAL;
    if ((rc = open_sinks(c, p->v.name, seed)) != 0) {
        sim__free(res);
        return rc;
    }
    rc = world_run(c->sc, &p->v, seed, &c->io, res);
    if (c->io.text)
        fflush(c->io.text);
    if (c->flt && cli_filter_end_run(c->flt))
        fprintf(stderr, "rddsim run: --around %s: not violated in variant "
                        "%s seed %" PRIu64 "\n", c->o->around, p->v.name,
                seed);
    if (rc) {
        fprintf(stderr, "rddsim: %s: %s\n", c->sc->file, sim_strerror(rc));
        sim__free(res);
        return EXIT_INTERNAL;
    }
    if (res->stop == WORLD_STOP_BUDGET) {
        fprintf(stderr, "rddsim: %s: variant %s seed %" PRIu64 ": event "
                        "budget exceeded: stopped after %" PRIu64 " events "
                        "at %s (--max-events %" PRIu64 ")\n",
                c->sc->file, p->v.name, seed, res->events,
                sim_fmt_ns(tbuf, res->sim_ns),
                c->io.max_events ? c->io.max_events
                                 : (uint64_t)WORLD_MAX_EVENTS_DEFAULT);
        sim__free(res);
        return EXIT_INTERNAL;
    }
    report(c, p, seed, res);
    if (res->stop == WORLD_STOP_INTERRUPT)
        rc = 128 + got_signal;
    else if (c->o->no_expect || p->ad_hoc)
        rc = res->nviolated ? EXIT_MISMATCH : 0;
    else
        rc = res->matches ? 0 : EXIT_MISMATCH;
    *matched = rc == 0;
    sim__free(res);
    return rc;
}

/* The --seeds summary of one variant. */
static void summary(run_ctx_t *c, const pick_t *p, const uint64_t *bad,
                    uint64_t nbad, uint64_t nrun)
{
    uint64_t k;
    fprintf(c->rep, "summary: variant=%s seeds=%" PRIu64 "..%" PRIu64
                    " runs=%" PRIu64 " ok=%" PRIu64 " failed=%" PRIu64,
            p->v.name, c->o->seed_lo, c->o->seed_hi, nrun, nrun - nbad,
            nbad);
    for (k = 0; k < nbad && k < 64; k++)
        fprintf(c->rep, "%s%" PRIu64, k ? "," : " (seeds ", bad[k]);
    fprintf(c->rep, "%s\n", nbad > 64 ? ",...)" : nbad ? ")" : "");
}

static int run_all(run_ctx_t *c, const pick_t *picks, int npicks)
{
    int worst = 0, i, rc;
    for (i = 0; i < npicks && !got_signal; i++) {
        uint64_t seed = c->o->seed_lo, bad[64], nbad = 0, nrun = 0;
        for (;;) {
            int matched;
            rc = run_one(c, &picks[i], seed, &matched);
            nrun++;
            if (!matched && nbad < 64)
                bad[nbad] = seed;
            nbad += !matched;
            worst = rc > worst ? rc : worst;
            if (rc == EXIT_USAGE)
                return rc;
            if ((rc = close_sinks(c, 0)) != 0)
                return rc;
            if (got_signal || seed == c->o->seed_hi)
                break;
            seed++;
        }
        if (c->o->have_seeds)
            summary(c, &picks[i], bad, nbad, nrun);
    }
    return got_signal ? 128 + got_signal : worst;
}

int cli_run(int argc, char **argv)
{
    run_opts_t o;
    run_ctx_t c;
    scenario_t *sc;
    pick_t *picks;
    char msg[1024];
    int rc, n, closed;
    if ((rc = parse_opts(argc, argv, &o)) != 0)
        return rc < 0 ? 0 : rc;
    sc = sim__calloc(1, sizeof(*sc));
    picks = sim__calloc(SC_MAX_VARIANTS, sizeof(*picks));
    if (!sc || !picks) {
        sim__free(sc);
        sim__free(picks);
        return EXIT_INTERNAL;
    }
    memset(&c, 0, sizeof(c));
    c.sc = sc;
    c.o = &o;
    c.rep = o.trace && !strcmp(o.trace, "-") ? stderr : stdout;
    c.io.max_events = o.max_events;
    c.io.interrupt = &got_signal;
    if ((rc = cli_load(o.file, sc, msg, sizeof(msg))) != 0) {
        fprintf(stderr, "%s\n", msg);
    } else if ((n = pick_variants(sc, &o, picks)) < 0) {
        rc = -n;
    } else {
        if (!o.have_seed && !o.have_seeds) {
            if (sc->has_seed) {
                o.seed_lo = o.seed_hi = sc->seed;
            } else {
                o.seed_lo = o.seed_hi = sim_os_seed();
                fprintf(c.rep, "seed: %" PRIu64 " (drawn; rerun with --seed "
                               "%" PRIu64 ")\n", o.seed_lo, o.seed_lo);
            }
        }
        cli_catch_signals();
        rc = run_all(&c, picks, n);
    }
    closed = close_sinks(&c, 1);
    if (closed && rc < 128)
        rc = closed > rc ? closed : rc;
    sim__free(picks);
    sim__free(sc);
    return rc;
}
