/*
 * cli_explore.c: `rddsim explore` (cli.h, cli_explore.h; docs/explore.md).
 *
 *   rddsim explore [--profile P] [--seeds N | --for 10m] [--first S]
 *                  [--jobs J] [--variant V ...] [--out DIR] [--resume]
 *                  [--shard I/N] [--timeout 30s] [--shrink]
 *   rddsim explore --emit SEED [--profile P] [--variant V ...]
 *   rddsim explore merge DIR... [--out DIR]
 *   rddsim explore --worker --profile PATH --variant V ...   (hidden)
 *
 * The sweep hands seeds to worker processes (cli_explore_pool.c) and folds
 * their lines, in seed order, into DIR/seeds.jsonl and the findings
 * (cli_explore_agg.c); DIR/meta.json records what the sweep was, for
 * --resume and merge.  The wall clock (uv_hrtime) drives --for, the
 * progress line and the summary's throughput only.
 * Exit: 1 when a finding appears under a variant the profile lists as
 * clean, or the simulator itself broke (CRASH, HANG, LOAD), else 0; 2 usage or a
 * malformed profile; 3 an output or internal error; 128+N on signal N.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "cli.h"
#include "cli_explore.h"
#include "explore/emit.h"
#include "sim/alloc.h"
#include "sim/errno.h"

#define CMD "explore"
#define DEFAULT_SEEDS 100

#ifndef RDDSIM_SOURCE_DIR
#define RDDSIM_SOURCE_DIR "."
#endif


/* profile ------------------------------------------------------------------*/

/* A name is scenarios/profiles/NAME.yaml, here or in the source tree; a
 * path (a '/' or ".yaml") is itself. */
static void resolve_profile(const char *p, char *out, size_t len)
{
    size_t n = strlen(p);
    if (strchr(p, '/') || (n > 5 && !strcmp(p + n - 5, ".yaml"))) {
        snprintf(out, len, "%s", p);
        return;
    }
    snprintf(out, len, "scenarios/profiles/%s.yaml", p);
    if (access(out, R_OK) == 0)
        return;
    snprintf(out, len, "%s/scenarios/profiles/%s.yaml", RDDSIM_SOURCE_DIR, p);
}

int xcli_load_profile(xopts_t *o, xprofile_t **p)
{
    yt_error_t err;
    int rc;
    resolve_profile(o->profile ? o->profile : "default", o->profile_path,
                    sizeof(o->profile_path));
    memset(&err, 0, sizeof(err));
    if ((rc = xprofile_load(o->profile_path, p, &err)) != 0) {
        if (rc == SIM_ENOMEM) {
            fprintf(stderr, "rddsim explore: out of memory\n");
            return EXIT_INTERNAL;
        }
        if (err.line)
            fprintf(stderr, "%s:%d:%d: %s\n", err.file[0] ? err.file
                    : o->profile_path, err.line, err.col, err.msg);
        else
            fprintf(stderr, "%s: %s\n", o->profile_path,
                    err.msg[0] ? err.msg : sim_strerror(rc));
        return EXIT_USAGE;
    }
    return 0;
}

/* The variants: as given, else head and the profile's clean ones. */
void xcli_default_variants(xopts_t *o, const xprofile_t *p)
{
    int i, k;
    if (o->nvariants)
        return;
    o->variants[o->nvariants++] = "head";
    for (i = 0; i < xprofile_nclean(p) && o->nvariants < XV_MAX; i++) {
        for (k = 0; k < o->nvariants; k++)
            if (!strcmp(o->variants[k], xprofile_clean(p, i)))
                break;
        if (k == o->nvariants)
            o->variants[o->nvariants++] = xprofile_clean(p, i);
    }
}

/* Draws seed's world into sc; a bad variant is a usage error. */
static int gen(const xopts_t *o, const xprofile_t *p, uint64_t seed,
               scenario_t *sc)
{
    int rc = xgen_world(p, seed, o->variants, o->nvariants, sc);
    if (rc == SIM_EINVAL) {
        int i;
        for (i = 0; i < o->nvariants; i++)
            if (xgen_world(p, seed, o->variants + i, 1, sc) == SIM_EINVAL)
                return cli_usage(CMD, "--variant %s: not a preset or a "
                                 "'+'-joined flag list (rddsim list "
                                 "variants)", o->variants[i]);
        return cli_usage(CMD, "--variant: %s", sim_strerror(rc));
    }
    if (rc) {
        fprintf(stderr, "rddsim explore: seed %llu: %s\n",
                (unsigned long long)seed, sim_strerror(rc));
        return EXIT_INTERNAL;
    }
    return 0;
}

/* options ------------------------------------------------------------------*/

static int parse(int argc, char **argv, xopts_t *o)
{
    static const cli_opt_t opts[] = {
        {"--profile", 1}, {"--seeds", 1},  {"--for", 1},    {"--first", 1},
        {"--jobs", 1},    {"--variant", 1}, {"--out", 1},   {"--resume", 0},
        {"--shard", 1},   {"--timeout", 1}, {"--shrink", 0}, {"--emit", 1},
        {"--worker", 0}};
    cli_args_t a;
    const char *val, *why;
    uint64_t n;
    int k, rc;
    cli_args_init(&a, CMD, argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
    while ((k = cli_next(&a, &val)) != CLI_END) {
        switch (k) {
        case CLI_ERR:
            return EXIT_USAGE;
        case CLI_HELP:
            return cli_help(CMD, stdout) ? EXIT_USAGE : -1;
        case CLI_ARG:
            return cli_usage(CMD, "unexpected argument '%s'", val);
        case 0:
            o->profile = val;
            break;
        case 1:
            if ((rc = cli_u64(CMD, "--seeds", val, &o->seeds)) != 0)
                return rc;
            o->have_seeds = 1;
            break;
        case 2:
        case 9:
            why = NULL;
            if (sc_parse_duration(val, &n, &why) != 0)
                return cli_usage(CMD, "%s '%s' %s", opts[k].name, val,
                                 why ? why : "is not a duration");
            if (n == 0)
                return cli_usage(CMD, "%s 0: must be more than 0",
                                 opts[k].name);
            if (k == 2) {
                o->for_ns = n;
                o->have_for = 1;
            } else {
                o->timeout_ns = n;
            }
            break;
        case 3:
            if ((rc = cli_u64(CMD, "--first", val, &o->first)) != 0)
                return rc;
            break;
        case 4:
            if ((rc = cli_u64(CMD, "--jobs", val, &n)) != 0)
                return rc;
            if (n < 1 || n > 256)
                return cli_usage(CMD, "--jobs %s: out of range (1..256)", val);
            o->jobs = (int)n;
            break;
        case 5:
            if (o->nvariants == XV_MAX)
                return cli_usage(CMD, "--variant: at most %d", XV_MAX);
            o->variants[o->nvariants++] = val;
            break;
        case 6:
            o->out = val;
            break;
        case 7:
            o->resume = 1;
            break;
        case 8: {
            char *slash;
            unsigned long long i, m;
            i = strtoull(val, &slash, 10);
            if (slash == val || *slash != '/' ||
                (m = strtoull(slash + 1, &slash, 10)) == 0 || *slash ||
                i >= m || val[0] == '-')
                return cli_usage(CMD, "--shard '%s': not I/N with 0 <= I < "
                                 "N", val);
            o->shard_i = i;
            o->shard_n = m;
            break;
        }
        case 10:
            o->shrink = 1;
            break;
        case 11:
            if ((rc = cli_u64(CMD, "--emit", val, &o->emit_seed)) != 0)
                return rc;
            o->have_emit = 1;
            break;
        default:
            o->worker = 1;
            break;
        }
    }
    if (o->have_seeds && o->have_for)
        return cli_usage(CMD, "--seeds and --for: one or the other");
    return 0;
}

/* --emit and --worker --------------------------------------------------------*/

static int emit_cmd(xopts_t *o, const xprofile_t *p)
{
    scenario_t *sc = sim__calloc(1, sizeof(*sc));
    int rc;
    if (!sc)
        return EXIT_INTERNAL;
    if ((rc = gen(o, p, o->emit_seed, sc)) == 0 && sc_emit(sc, stdout) != 0)
        rc = EXIT_INTERNAL;
    sim__free(sc);
    return rc ? rc : cli_stdout_check();
}

/* One seed's line (cli_explore.h), malloc'd. */
static char *seed_line(const xopts_t *o, const xseed_result_t *r)
{
    json_t *obj = json_object(), *h = json_object(), *fs = json_array();
    char hex[20], *s;
    int i;
    json_object_set_new(obj, "seed", json_integer((json_int_t)r->seed));
    json_object_set_new(obj, "events", json_integer((json_int_t)r->events));
    for (i = 0; i < r->nvariants && i < o->nvariants; i++) {
        snprintf(hex, sizeof(hex), "%016llx",
                 (unsigned long long)r->trace_hash[i]);
        json_object_set_new(h, o->variants[i], json_string(hex));
    }
    json_object_set_new(obj, "hash", h);
    for (i = 0; i < r->nfind; i++) {
        json_t *f = json_object();
        json_object_set_new(f, "variant", json_string(r->find[i].variant));
        json_object_set_new(f, "inv", json_string(r->find[i].inv));
        json_object_set_new(f, "site", json_string(r->find[i].site));
        json_object_set_new(f, "ev", json_string(r->find[i].ev));
        json_object_set_new(f, "at_ns",
                            json_integer((json_int_t)r->find[i].at_ns));
        json_array_append_new(fs, f);
    }
    json_object_set_new(obj, "find", fs);
    s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    return s;
}

/* Test-only faults (docs/explore.md "Testing the runner"): the worker
 * aborts, or never answers, on the seed the variable names. */
static int test_fault(const char *var, uint64_t seed)
{
    const char *v = getenv(var);
    return v && *v && strtoull(v, NULL, 10) == seed;
}

static int worker_cmd(xopts_t *o, const xprofile_t *p)
{
    char buf[64];
    xseed_result_t *r = sim__calloc(1, sizeof(*r));
    if (!r)
        return EXIT_INTERNAL;
    while (fgets(buf, sizeof(buf), stdin)) {
        uint64_t seed = strtoull(buf, NULL, 10);
        char *line;
        int rc;
        if (test_fault("RDDSIM_TEST_CRASH_SEED", seed))
            abort();
        while (test_fault("RDDSIM_TEST_HANG_SEED", seed))
            pause();
        if ((rc = xrun_seed(p, seed, o->variants, o->nvariants, r, NULL))) {
            fprintf(stderr, "rddsim explore --worker: seed %llu: %s\n",
                    (unsigned long long)seed, sim_strerror(rc));
            sim__free(r);
            return EXIT_INTERNAL;
        }
        if (!(line = seed_line(o, r)))
            return EXIT_INTERNAL;
        printf("%s\n", line);
        free(line);
        if (fflush(stdout) != 0)
            break;
    }
    sim__free(r);
    return 0;
}

/* the sweep ------------------------------------------------------------------*/

typedef struct {
    uint64_t seed;
    char *line;
} slot_t;

typedef struct {
    xopts_t *o;
    xagg_t agg;
    uint64_t k;              /* next candidate: first + k */
    uint64_t total;          /* seeds in the sweep (0: --for) */
    uint64_t done0;          /* seeds recorded before this run (--resume) */
    uint64_t last;           /* the last recorded seed + 1, or 0 */
    int have_last;
    slot_t *q;               /* seeds out, in the order handed out */
    size_t qhead, qn, qcap;
    uint64_t t0, deadline, last_draw;
    int tty, bad, bad_exits;
} sweep_t;

static uint64_t count_in_shard(const xopts_t *o)
{
    uint64_t n = o->seeds, i;
    if (!o->shard_n)
        return n;
    /* seeds first..first+n-1 with seed % N == I */
    i = (o->shard_i + o->shard_n - o->first % o->shard_n) % o->shard_n;
    return i < n ? (n - i - 1) / o->shard_n + 1 : 0;
}

static int next_seed(void *arg, uint64_t *seed)
{
    sweep_t *s = arg;
    const xopts_t *o = s->o;
    for (;;) {
        uint64_t c = o->first + s->k;
        if (!o->have_for && s->k >= o->seeds)
            return 0;
        if (o->have_for && uv_hrtime() >= s->deadline)
            return 0;
        s->k++;
        if (o->shard_n && c % o->shard_n != o->shard_i)
            continue;
        if (s->have_last && c < s->last)
            continue;
        if (s->qn == s->qcap) {
            size_t cap = s->qcap ? s->qcap * 2 : 256;
            slot_t *q = realloc(s->q, cap * sizeof(*q));
            if (!q)
                return 0;
            s->q = q;
            s->qcap = cap;
        }
        s->q[s->qn].seed = c;
        s->q[s->qn++].line = NULL;
        *seed = c;
        return 1;
    }
}

static void progress(sweep_t *s, int final)
{
    uint64_t now = uv_hrtime(), done = s->agg.seeds - s->done0;
    double secs = (double)(now - s->t0) / 1e9;
    double rate = secs > 0 ? (double)done / secs : 0;
    char eta[32] = "";
    if (!s->tty || (!final && now - s->last_draw < 100000000))
        return;
    s->last_draw = now;
    if (s->total && rate > 0)
        snprintf(eta, sizeof(eta), ", ETA %.0fs",
                 (double)(s->total - s->agg.seeds) / rate);
    else if (s->o->have_for)
        snprintf(eta, sizeof(eta), ", %.0fs left",
                 now < s->deadline ? (double)(s->deadline - now) / 1e9 : 0.0);
    fprintf(stderr, "\rexplore: %llu", (unsigned long long)s->agg.seeds);
    if (s->total)
        fprintf(stderr, "/%llu", (unsigned long long)s->total);
    fprintf(stderr, " seeds, %.1f seeds/s, %d findings%s\033[K%s",
            rate, s->agg.n, eta, final ? "\n" : "");
}

static void seed_done(void *arg, uint64_t seed, const char *line)
{
    sweep_t *s = arg;
    size_t i;
    uint64_t got;
    for (i = s->qhead; i < s->qn; i++)
        if (s->q[i].seed == seed && !s->q[i].line) {
            if (!(s->q[i].line = strdup(line))) {
                fprintf(stderr, "rddsim explore: out of memory\n");
                exit(EXIT_INTERNAL);
            }
            break;
        }
    while (s->qhead < s->qn && s->q[s->qhead].line) {
        slot_t *q = &s->q[s->qhead++];
        if (xagg_add(&s->agg, q->line, &got) != 0 || got != q->seed) {
            fprintf(stderr, "rddsim explore: seed %llu: a worker's answer "
                    "is no seed line: %.200s\n",
                    (unsigned long long)q->seed, q->line);
            s->bad = 1;
        }
        free(q->line);
        q->line = NULL;
    }
    /* The flushed prefix is done with: keep the queue as long as the seeds
     * still out, not the whole sweep. */
    if (s->qhead > 4096 && s->qhead * 2 > s->qn) {
        memmove(s->q, s->q + s->qhead, (s->qn - s->qhead) * sizeof(*s->q));
        s->qn -= s->qhead;
        s->qhead = 0;
    }
    if (s->agg.seeds_out)
        fflush(s->agg.seeds_out);
    progress(s, 0);
}

static int write_meta(const xopts_t *o, const xprofile_t *p, const char *dir)
{
    char path[CLI_PATH_MAX];
    json_t *m = json_object(), *v = json_array();
    int i, rc;
    for (i = 0; i < o->nvariants; i++)
        json_array_append_new(v, json_string(o->variants[i]));
    json_object_set_new(m, "profile",
                        json_string(o->profile ? o->profile : "default"));
    json_object_set_new(m, "name", json_string(xprofile_name(p)));
    json_object_set_new(m, "variants", v);
    json_object_set_new(m, "first", json_integer((json_int_t)o->first));
    if (o->have_for)
        json_object_set_new(m, "for_ns", json_integer((json_int_t)o->for_ns));
    else
        json_object_set_new(m, "seeds", json_integer((json_int_t)o->seeds));
    json_object_set_new(m, "shard", json_pack("[II]", (json_int_t)o->shard_i,
                                              (json_int_t)o->shard_n));
    snprintf(path, sizeof(path), "%s/meta.json", dir);
    rc = json_dump_file(m, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(m);
    if (rc)
        fprintf(stderr, "rddsim explore: %s: cannot write\n", path);
    return rc ? EXIT_INTERNAL : 0;
}

/* --resume: the directory must be this sweep's (profile, variants, first,
 * shard); its recorded seed lines are read back, in order, into s. */
static int resume(sweep_t *s, const char *dir)
{
    char path[CLI_PATH_MAX], *line = NULL;
    size_t cap = 0;
    ssize_t n;
    json_error_t je;
    json_t *m, *v;
    const xopts_t *o = s->o;
    FILE *in;
    int i, same;
    snprintf(path, sizeof(path), "%s/meta.json", dir);
    if (!(m = json_load_file(path, 0, &je)))
        return cli_usage(CMD, "--resume: %s: %s", path, je.text);
    v = json_object_get(m, "variants");
    same = json_is_array(v) && (int)json_array_size(v) == o->nvariants &&
           !strcmp(json_string_value(json_object_get(m, "profile"))
                   ? json_string_value(json_object_get(m, "profile")) : "",
                   o->profile ? o->profile : "default") &&
           json_integer_value(json_object_get(m, "first")) ==
               (json_int_t)o->first &&
           json_integer_value(json_array_get(json_object_get(m, "shard"), 1))
               == (json_int_t)o->shard_n &&
           json_integer_value(json_array_get(json_object_get(m, "shard"), 0))
               == (json_int_t)o->shard_i;
    for (i = 0; same && i < o->nvariants; i++)
        same = !strcmp(json_string_value(json_array_get(v, i))
                       ? json_string_value(json_array_get(v, i)) : "",
                       o->variants[i]);
    json_decref(m);
    if (!same)
        return cli_usage(CMD, "--resume: %s was a different sweep (profile, "
                         "variants, --first or --shard differ)", path);
    snprintf(path, sizeof(path), "%s/seeds.jsonl", dir);
    if (!(in = fopen(path, "r")))
        return 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        uint64_t seed;
        if (line[n - 1] != '\n')
            break;            /* a line cut short by a kill: run it again */
        line[n - 1] = 0;
        if (xagg_add(&s->agg, line, &seed) != 0)
            break;
        s->last = seed + 1;
        s->have_last = 1;
    }
    free(line);
    fclose(in);
    s->done0 = s->agg.seeds;
    return 0;
}

static int open_dir(sweep_t *s, const xprofile_t *p, const char *dir)
{
    char path[CLI_PATH_MAX];
    struct stat st;
    int rc;
    if (stat(dir, &st) == 0) {
        if (!s->o->resume)
            return cli_usage(CMD, "--out %s: exists (--resume continues "
                             "the sweep recorded there)", dir);
        if ((rc = resume(s, dir)) != 0)
            return rc;
    } else if (mkdir(dir, 0777) != 0) {
        return cli_usage(CMD, "--out %s: %s", dir, strerror(errno));
    }
    if ((rc = write_meta(s->o, p, dir)) != 0)
        return rc;
    snprintf(path, sizeof(path), "%s/seeds.jsonl", dir);
    /* Rewritten: what resume read back goes first. */
    if (!(s->agg.seeds_out = fopen(path, s->done0 ? "r+" : "w")))
        return cli_usage(CMD, "--out %s: %s", path, strerror(errno));
    if (s->done0) {
        /* Keep the whole lines read; drop a partial tail. */
        long keep = 0;
        char *line = NULL;
        size_t cap = 0;
        uint64_t i;
        for (i = 0; i < s->done0 && getline(&line, &cap, s->agg.seeds_out) > 0;
             i++)
            keep = ftell(s->agg.seeds_out);
        free(line);
        if (ftruncate(fileno(s->agg.seeds_out), keep) != 0 ||
            fseek(s->agg.seeds_out, keep, SEEK_SET) != 0)
            return cli_usage(CMD, "--out %s: %s", path, strerror(errno));
    }
    return 0;
}

/* Exit status from the findings: 1 when one is under a clean variant. */
static int verdict(const xagg_t *a, const xprofile_t *p)
{
    const char *clean[XV_MAX];
    int i, n = 0;
    for (i = 0; i < xprofile_nclean(p) && n < XV_MAX; i++)
        clean[n++] = xprofile_clean(p, i);
    for (i = 0; i < a->n; i++)
        if (xagg_dirty(a, &a->f[i], clean, n) || xagg_broken(&a->f[i]))
            return EXIT_MISMATCH;
    return 0;
}

static int finish(sweep_t *s, const xprofile_t *p, const char *dir,
                  int shrink, double secs, int sig)
{
    int rc, i, nnew = 0;
    if (s->agg.seeds_out && fclose(s->agg.seeds_out) != 0) {
        s->agg.seeds_out = NULL;
        fprintf(stderr, "rddsim explore: %s/seeds.jsonl: write failed\n",
                dir);
        return EXIT_INTERNAL;
    }
    s->agg.seeds_out = NULL;
    if (xagg_write(&s->agg, p, dir, shrink) != 0)
        return EXIT_INTERNAL;
    xagg_table(&s->agg, dir, stdout);
    for (i = 0; i < s->agg.n; i++)
        nnew += !strcmp(s->agg.f[i].label, "NEW");
    rc = verdict(&s->agg, p);
    fprintf(stderr, "explore: %llu seeds (%llu this run) in %.1f s, %.1f "
            "seeds/s, %llu events; %d findings, %d new%s%s\n",
            (unsigned long long)s->agg.seeds,
            (unsigned long long)(s->agg.seeds - s->done0), secs,
            secs > 0 ? (double)(s->agg.seeds - s->done0) / secs : 0.0,
            (unsigned long long)s->agg.events, s->agg.n, nnew,
            rc ? "; a finding under a clean variant" : "",
            sig ? " (interrupted: --resume continues)" : "");
    if (sig)
        return 128 + sig;
    if (s->bad || s->bad_exits)
        return EXIT_INTERNAL;
    return cli_stdout_check() ? EXIT_INTERNAL : rc;
}

int xcli_sweep(xopts_t *o, const xprofile_t *p, char *self)
{
    sweep_t s;
    xpool_opts_t po;
    char *argv[8 + 2 * XV_MAX];
    const char *dir = o->out ? o->out : "explore-out";
    int argc = 0, i, rc;
    scenario_t *sc = sim__calloc(1, sizeof(*sc));
    if (!sc)
        return EXIT_INTERNAL;
    rc = gen(o, p, o->first, sc);   /* the variants are checked once here */
    sim__free(sc);
    if (rc)
        return rc;
    memset(&s, 0, sizeof(s));
    s.o = o;
    for (i = 0; i < o->nvariants; i++)
        s.agg.variants[i] = o->variants[i];
    s.agg.nvariants = o->nvariants;
    if (!o->bench && (rc = open_dir(&s, p, dir)) != 0) {
        if (s.agg.seeds_out)
            fclose(s.agg.seeds_out);
        xagg_free(&s.agg);
        return rc;
    }
    argv[argc++] = self;
    argv[argc++] = "explore";
    argv[argc++] = "--worker";
    argv[argc++] = "--profile";
    argv[argc++] = o->profile_path;
    for (i = 0; i < o->nvariants; i++) {
        argv[argc++] = "--variant";
        argv[argc++] = (char *)o->variants[i];
    }
    argv[argc] = NULL;
    memset(&po, 0, sizeof(po));
    po.argv = argv;
    po.jobs = o->jobs ? o->jobs : (int)uv_available_parallelism();
    po.timeout_ns = o->timeout_ns ? o->timeout_ns : 30ull * 1000000000;
    po.next = next_seed;
    po.done = seed_done;
    po.arg = &s;
    po.bad_exits = &s.bad_exits;
    s.total = o->have_for ? 0 : count_in_shard(o);
    s.tty = !o->bench && isatty(2);
    s.t0 = uv_hrtime();
    s.deadline = s.t0 + o->for_ns;
    rc = xpool_run(&po);
    progress(&s, 1);
    free(s.q);
    if (rc < 0) {
        if (s.agg.seeds_out)
            fclose(s.agg.seeds_out);
        xagg_free(&s.agg);
        return EXIT_INTERNAL;
    }
    if (o->bench) {
        o->bench_wall_ns = uv_hrtime() - s.t0;
        o->bench_events = s.agg.events;
        o->bench_seeds = s.agg.seeds;
        rc = rc ? 128 + rc : s.bad || s.bad_exits ? EXIT_INTERNAL : 0;
    } else {
        rc = finish(&s, p, dir, o->shrink,
                    (double)(uv_hrtime() - s.t0) / 1e9, rc);
    }
    xagg_free(&s.agg);
    return rc;
}

/* merge ----------------------------------------------------------------------*/

typedef struct {
    uint64_t seed;
    char *line;
} mline_t;

static int cmp_mline(const void *a, const void *b)
{
    const mline_t *x = a, *y = b;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

static int merge_cmd(int argc, char **argv, char *self)
{
    static const cli_opt_t opts[] = {{"--out", 1}};
    cli_args_t a;
    const char *val, *dirs[256], *out = NULL;
    char path[CLI_PATH_MAX], *line = NULL, *prof = NULL;
    json_t *vars = NULL;
    mline_t *ls = NULL;
    size_t nl = 0, cap = 0, lcap = 0, i;
    int nd = 0, k, rc = 0;
    xopts_t o;
    xprofile_t *p = NULL;
    sweep_t s;
    (void)self;
    cli_args_init(&a, "explore merge", argc, argv, opts, 1);
    while ((k = cli_next(&a, &val)) != CLI_END) {
        if (k == CLI_ERR)
            return EXIT_USAGE;
        if (k == CLI_HELP)
            return cli_help(CMD, stdout);
        if (k == CLI_ARG) {
            if (nd == 256)
                return cli_usage(CMD, "merge: at most 256 DIRs");
            dirs[nd++] = val;
        } else {
            out = val;
        }
    }
    if (!nd)
        return cli_usage(CMD, "merge needs a DIR (a sweep's --out)");
    memset(&o, 0, sizeof(o));
    memset(&s, 0, sizeof(s));
    for (k = 0; k < nd && !rc; k++) {
        json_error_t je;
        json_t *m;
        const char *pp;
        FILE *in = NULL;
        ssize_t n;
        snprintf(path, sizeof(path), "%s/meta.json", dirs[k]);
        if (!(m = json_load_file(path, 0, &je))) {
            rc = cli_usage(CMD, "merge: %s: %s", path, je.text);
            break;
        }
        pp = json_string_value(json_object_get(m, "profile"));
        if (!prof) {
            prof = strdup(pp ? pp : "");
            vars = json_incref(json_object_get(m, "variants"));
        } else if (strcmp(prof, pp ? pp : "") ||
                   !json_equal(vars, json_object_get(m, "variants"))) {
            rc = cli_usage(CMD, "merge: %s is a sweep of another profile or "
                           "other variants than %s", dirs[k], dirs[0]);
        }
        json_decref(m);
        snprintf(path, sizeof(path), "%s/seeds.jsonl", dirs[k]);
        if (!rc && !(in = fopen(path, "r"))) {
            rc = cli_usage(CMD, "merge: %s: %s", path, strerror(errno));
            break;
        }
        while (!rc && (n = getline(&line, &lcap, in)) > 0) {
            json_t *j;
            if (line[n - 1] != '\n')
                break;
            line[n - 1] = 0;
            if (!(j = json_loads(line, 0, &je)) ||
                !json_is_integer(json_object_get(j, "seed"))) {
                json_decref(j);
                rc = cli_usage(CMD, "merge: %s: not a seed line: %.80s",
                               path, line);
                break;
            }
            if (nl == cap) {
                mline_t *nls = realloc(ls, (cap ? cap * 2 : 1024) *
                                               sizeof(*ls));
                if (!nls) {
                    json_decref(j);
                    rc = EXIT_INTERNAL;
                    break;
                }
                ls = nls;
                cap = cap ? cap * 2 : 1024;
            }
            ls[nl].seed = (uint64_t)json_integer_value(
                json_object_get(j, "seed"));
            ls[nl++].line = strdup(line);
            json_decref(j);
        }
        if (in)
            fclose(in);
    }
    free(line);
    if (!rc) {
        o.profile = prof;
        rc = xcli_load_profile(&o, &p);
    }
    if (!rc) {
        qsort(ls, nl, sizeof(*ls), cmp_mline);
        for (k = 0; k < (int)json_array_size(vars) && k < XV_MAX; k++)
            s.agg.variants[s.agg.nvariants++] =
                json_string_value(json_array_get(vars, (size_t)k));
        if (out) {
            if (mkdir(out, 0777) != 0)
                rc = cli_usage(CMD, "merge --out %s: %s", out,
                               strerror(errno));
            snprintf(path, sizeof(path), "%s/seeds.jsonl", out);
            if (!rc && !(s.agg.seeds_out = fopen(path, "w")))
                rc = EXIT_INTERNAL;
        }
    }
    for (i = 0; !rc && i < nl; i++) {
        uint64_t seed;
        if (i && ls[i].seed == ls[i - 1].seed)
            continue;         /* a seed two shards both ran */
        xagg_add(&s.agg, ls[i].line, &seed);
    }
    if (!rc) {
        s.o = &o;
        if (out) {
            for (k = 0; k < s.agg.nvariants; k++)
                o.variants[o.nvariants++] = s.agg.variants[k];
            o.seeds = s.agg.seeds;
            if ((rc = write_meta(&o, p, out)) == 0)
                rc = finish(&s, p, out, 0, 0, 0);
        } else {
            xagg_table(&s.agg, dirs[0], stdout);
            rc = verdict(&s.agg, p);
        }
    }
    for (i = 0; i < nl; i++)
        free(ls[i].line);
    free(ls);
    xagg_free(&s.agg);
    if (p)
        xprofile_free(p);
    json_decref(vars);
    free(prof);
    return rc;
}

int cli_explore(int argc, char **argv)
{
    xopts_t o;
    xprofile_t *p = NULL;
    char self[CLI_PATH_MAX];
    size_t n = sizeof(self);
    int rc;
    if (uv_exepath(self, &n) != 0) {
        fprintf(stderr, "rddsim explore: cannot find the executable\n");
        return EXIT_INTERNAL;
    }
    if (argc > 0 && !strcmp(argv[0], "merge"))
        return merge_cmd(argc - 1, argv + 1, self);
    memset(&o, 0, sizeof(o));
    if ((rc = parse(argc, argv, &o)) != 0)
        return rc < 0 ? cli_stdout_check() : rc;
    if (!o.have_seeds && !o.have_for)
        o.seeds = DEFAULT_SEEDS;
    if ((rc = xcli_load_profile(&o, &p)) != 0)
        return rc;
    xcli_default_variants(&o, p);
    if (o.worker)
        rc = worker_cmd(&o, p);
    else if (o.have_emit)
        rc = emit_cmd(&o, p);
    else
        rc = xcli_sweep(&o, p, self);
    xprofile_free(p);
    return rc;
}
