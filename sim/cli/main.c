/*
 * main.c: the rddsim command line.
 *
 *   rddsim run FILE [--variant NAME] [--seed N] [--trace FILE.jsonl]
 *                   [--log FILE|-] [--no-expect]
 *   rddsim suite [DIR|FILE ...]     every scenario x variant, results table
 *   rddsim check FILE ...           validate without running
 *   rddsim list variants|faults|invariants|actions
 *   rddsim bench kernel w1|w2 [KEY=VALUE ...]
 *
 * Exit codes: 0 the outcome matches what the scenario expects (with
 * --no-expect: no invariant violated); 1 it does not; 2 usage or scenario
 * error (file:line:col: message); 3 internal error.
 * Wall-clock readings, for the results table and the benchmarks, come
 * from sim/wall.h only.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench_kernel.h"
#include "rdd/flags.h"
#include "scenario/scenario.h"
#include "scenario/world.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/invariant.h"
#include "sim/trace.h"
#include "sim/wall.h"

#define EXIT_MISMATCH 1
#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

static int usage(void)
{
    fprintf(stderr,
            "usage: rddsim run FILE [--variant NAME] [--seed N] "
            "[--trace FILE.jsonl] [--log FILE|-] [--no-expect]\n"
            "       rddsim suite [DIR|FILE ...]\n"
            "       rddsim check FILE ...\n"
            "       rddsim list variants|faults|invariants|actions\n"
            "       rddsim bench kernel w1 [A=1000] [E=10000000] [SEED=42]\n"
            "       rddsim bench kernel w2 [N=1000] [L_MS=40000] "
            "[POLL_MS=200] [TIMEOUT_MS=30000] [R=10000] [SEED=42]\n");
    return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    *out = strtoull(s, &end, 0);
    return *end ? -1 : 0;
}

static int load(const char *path, scenario_t *sc)
{
    yt_error_t err;
    int rc = scenario_load(path, sc, &err);
    if (rc == SIM_ENOMEM) {
        fprintf(stderr, "rddsim: out of memory\n");
        return EXIT_INTERNAL;
    }
    if (rc) {
        if (err.line)
            fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col,
                    err.msg);
        else
            fprintf(stderr, "%s: %s\n", err.file, err.msg);
        return EXIT_USAGE;
    }
    return 0;
}

static void fmt_ids(const char ids[][8], int n, char *out, size_t len)
{
    int i;
    size_t used = 0;
    out[0] = 0;
    if (n == 0) {
        snprintf(out, len, "none");
        return;
    }
    for (i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s",
                                 i ? "," : "", ids[i]);
}

/* run ------------------------------------------------------------------------*/

static int run_one(const scenario_t *sc, const sc_variant_t *v, uint64_t seed,
                   const world_io_t *io, int no_expect, int quiet,
                   world_result_t *res, uint64_t *wall_ns)
{
    uint64_t t0 = sim_wall_ns();
    char exp[160], got[160], tbuf[32];
    int i, rc = world_run(sc, v, seed, io, res);
    *wall_ns = sim_wall_ns() - t0;
    if (rc) {
        fprintf(stderr, "rddsim: %s: %s\n", sc->file, sim_strerror(rc));
        return EXIT_INTERNAL;
    }
    fmt_ids(v->expect, v->nexpect, exp, sizeof(exp));
    fmt_ids((const char(*)[8])res->violated, res->nviolated, got,
            sizeof(got));
    if (!quiet) {
        if (res->trace_miss[0])
            printf("expectation: %s\n", res->trace_miss);
        for (i = 0; i < res->nviolated; i++)
            printf("violation: %s at %s: %s\n", res->violated[i],
                   sim_fmt_ns(tbuf, res->violated_ns[i]), res->why[i]);
        for (i = 0; i < res->nstall; i++)
            printf("stall: %s\n", res->stall[i]);
        printf("verdict: scenario=%s variant=%s seed=%" PRIu64
               " events=%" PRIu64 " sim_time=%s trace_hash=%016" PRIx64
               " expected=%s got=%s result=%s\n",
               sc->name, v->name, seed, res->events,
               sim_fmt_ns(tbuf, res->sim_ns), res->trace_hash, exp, got,
               no_expect ? (res->nviolated ? "VIOLATED" : "HOLDS")
                         : (res->matches ? "MATCH" : "MISMATCH"));
    }
    if (no_expect)
        return res->nviolated ? EXIT_MISMATCH : 0;
    return res->matches ? 0 : EXIT_MISMATCH;
}

static int cmd_run(int argc, char **argv)
{
    const char *file = NULL, *variant = NULL, *trace = NULL, *log = NULL;
    uint64_t seed = 0;
    int have_seed = 0, no_expect = 0, i, rc, worst = 0;
    scenario_t *sc;
    world_io_t io = {NULL, NULL, 0, NULL};
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--variant") && i + 1 < argc)
            variant = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            if (parse_u64(argv[++i], &seed))
                return usage();
            have_seed = 1;
        } else if (!strcmp(argv[i], "--trace") && i + 1 < argc)
            trace = argv[++i];
        else if (!strcmp(argv[i], "--log") && i + 1 < argc)
            log = argv[++i];
        else if (!strcmp(argv[i], "--no-expect"))
            no_expect = 1;
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return usage();
    }
    if (!file)
        return usage();
    sc = sim__calloc(1, sizeof(*sc));
    if (!sc)
        return EXIT_INTERNAL;
    if ((rc = load(file, sc)) != 0) {
        sim__free(sc);
        return rc;
    }
    if (!have_seed) {
        if (sc->has_seed) {
            seed = sc->seed;
        } else {
            seed = sim_os_seed();
            printf("seed: %" PRIu64 " (drawn; rerun with --seed %" PRIu64
                   ")\n", seed, seed);
        }
    }
    if (trace && !(io.jsonl = fopen(trace, "w"))) {
        fprintf(stderr, "rddsim: cannot write %s\n", trace);
        sim__free(sc);
        return EXIT_USAGE;
    }
    if (log)
        io.text = !strcmp(log, "-") ? stdout : fopen(log, "w");
    for (i = 0; i < sc->nvariants; i++) {
        world_result_t res;
        uint64_t wall;
        if (variant && strcmp(variant, sc->variants[i].name))
            continue;
        rc = run_one(sc, &sc->variants[i], seed, &io, no_expect, 0, &res,
                     &wall);
        if (rc > worst)
            worst = rc;
        if (variant)
            break;
    }
    if (variant && i == sc->nvariants) {
        fprintf(stderr, "%s: no variant '%s' in this scenario\n", file,
                variant);
        worst = EXIT_USAGE;
    }
    if (io.jsonl)
        fclose(io.jsonl);
    if (io.text && io.text != stdout)
        fclose(io.text);
    sim__free(sc);
    return worst;
}

/* suite ----------------------------------------------------------------------*/

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects *.yaml under path (sorted, recursive). */
static int collect(const char *path, char ***files, size_t *n)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char **names = NULL;
        size_t nn = 0, i;
        if (!d)
            return -1;
        while ((e = readdir(d))) {
            char **p;
            if (e->d_name[0] == '.')
                continue;
            size_t len = strlen(path) + strlen(e->d_name) + 2;
            p = realloc(names, (nn + 1) * sizeof(*names));
            if (!p)
                break;
            names = p;
            if (!(names[nn] = malloc(len)))
                break;
            snprintf(names[nn++], len, "%s/%s", path, e->d_name);
        }
        closedir(d);
        qsort(names, nn, sizeof(*names), cmp_str);
        for (i = 0; i < nn; i++) {
            struct stat s2;
            size_t l = strlen(names[i]);
            if (stat(names[i], &s2) == 0 &&
                (S_ISDIR(s2.st_mode) ||
                 (l > 5 && !strcmp(names[i] + l - 5, ".yaml"))))
                collect(names[i], files, n);
            free(names[i]);
        }
        free(names);
        return 0;
    }
    {
        char **f = realloc(*files, (*n + 1) * sizeof(**files));
        if (!f)
            return -1;
        *files = f;
        if (!((*files)[*n] = strdup(path)))
            return -1;
        (*n)++;
    }
    return 0;
}

static int cmd_suite(int argc, char **argv)
{
    char **files = NULL;
    size_t n = 0, i;
    int j, worst = 0, runs = 0, ok = 0;
    scenario_t *sc = sim__calloc(1, sizeof(*sc));
    if (!sc)
        return EXIT_INTERNAL;
    if (argc == 0)
        collect("scenarios", &files, &n);
    for (j = 0; j < argc; j++)
        if (collect(argv[j], &files, &n) != 0) {
            fprintf(stderr, "rddsim: %s: no such file or directory\n",
                    argv[j]);
            worst = EXIT_USAGE;
        }
    printf("%-24s %-24s %-12s %-12s %-44s %8s %8s\n", "scenario", "variant",
           "expected", "got", "violated (first at)", "sim time", "wall");
    for (i = 0; i < n; i++) {
        int rc = load(files[i], sc);
        if (rc) {
            worst = rc > worst ? rc : worst;
            continue;
        }
        for (j = 0; j < sc->nvariants; j++) {
            world_result_t res;
            uint64_t wall;
            char exp[160], got[160], viol[400], tb[32], wb[32];
            size_t used = 0;
            int k;
            uint64_t seed = sc->has_seed ? sc->seed : 1;
            rc = run_one(sc, &sc->variants[j], seed, NULL, 0, 1, &res,
                         &wall);
            worst = rc > worst ? rc : worst;
            runs++;
            ok += rc == 0;
            fmt_ids(sc->variants[j].expect, sc->variants[j].nexpect, exp,
                    sizeof(exp));
            fmt_ids((const char(*)[8])res.violated, res.nviolated, got,
                    sizeof(got));
            viol[0] = 0;
            for (k = 0; k < res.nviolated; k++)
                used += (size_t)snprintf(viol + used, sizeof(viol) - used,
                                         "%s%s@%s", k ? " " : "",
                                         res.violated[k],
                                         sim_fmt_ns(tb, res.violated_ns[k]));
            if (!res.nviolated)
                snprintf(viol, sizeof(viol), "-");
            snprintf(wb, sizeof(wb), "%.1fms", (double)wall / 1e6);
            printf("%-24s %-24s %-12s %-12s %-44s %8s %8s%s\n", sc->name,
                   sc->variants[j].name, exp, got, viol,
                   sim_fmt_ns(tb, res.sim_ns), wb,
                   rc == 0 ? "" : "  MISMATCH");
        }
    }
    printf("suite: %d passed, %d failed\n", ok, runs - ok);
    for (i = 0; i < n; i++)
        free(files[i]);
    free(files);
    sim__free(sc);
    return worst;
}

/* check, list ----------------------------------------------------------------*/

static int cmd_check(int argc, char **argv)
{
    int i, worst = 0;
    scenario_t *sc = sim__calloc(1, sizeof(*sc));
    if (!sc || argc == 0) {
        sim__free(sc);
        return usage();
    }
    for (i = 0; i < argc; i++) {
        int rc = load(argv[i], sc);
        if (rc == 0)
            printf("%s: ok (%d variants)\n", argv[i], sc->nvariants);
        worst = rc > worst ? rc : worst;
    }
    sim__free(sc);
    return worst;
}

/* "S2" before "S10" before "L1" before "B1". */
static int inv_before(size_t a, size_t b)
{
    const char *x = sim_inv_catalogue[a].id, *y = sim_inv_catalogue[b].id;
    static const char rank[] = "SLB";
    const char *rx = strchr(rank, x[0]), *ry = strchr(rank, y[0]);
    int kx = rx ? (int)(rx - rank) : 3, ky = ry ? (int)(ry - rank) : 3;
    if (kx != ky)
        return kx < ky;
    return atoi(x + 1) < atoi(y + 1);
}

static int cmd_list(const char *what)
{
    int i;
    if (!strcmp(what, "variants")) {
        printf("presets:\n");
        for (i = 0; i < rdd_presets_len; i++) {
            int f, first = 1;
            printf("  %-8s %s\n           flags:", rdd_presets[i].name,
                   rdd_presets[i].what);
            for (f = 0; f < RDD_FLAG__COUNT; f++)
                if (rdd_presets[i].flags & RDD_FLAG_BIT(f)) {
                    printf("%s%s", first ? " " : ", ",
                           rdd_flag_name((rdd_flag_t)f));
                    first = 0;
                }
            printf("%s\n", first ? " (none)" : "");
        }
        printf("flags:\n");
        for (i = 0; i < RDD_FLAG__COUNT; i++)
            printf("  %-26s [%s] %s\n", rdd_flag_name((rdd_flag_t)i),
                   rdd_flag_review((rdd_flag_t)i),
                   rdd_flag_what((rdd_flag_t)i));
        return 0;
    }
    if (!strcmp(what, "faults")) {
        for (i = 0; i < SIM_FAULT__COUNT; i++)
            printf("%-36s %s\n", sim_fault_name((sim_fault_site_t)i),
                   sim_fault_what((sim_fault_site_t)i));
        return 0;
    }
    if (!strcmp(what, "actions")) {
        for (i = 0; i < SC_ACT__COUNT; i++)
            printf("%s\n", sc_act_name((sc_act_kind_t)i));
        return 0;
    }
    if (!strcmp(what, "invariants")) {
        /* Safety, then liveness, then ours, each by number. */
        size_t order[SIM_INV_MAX], n = sim_inv_catalogue_len, k, j;
        for (k = 0; k < n && k < SIM_INV_MAX; k++)
            order[k] = k;
        for (k = 1; k < n; k++)
            for (j = k; j > 0 && inv_before(order[j], order[j - 1]); j--) {
                size_t t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        for (k = 0; k < n; k++) {
            const sim_inv_info_t *e = &sim_inv_catalogue[order[k]];
            printf("%-4s %-32s %s\n", e->id, e->title, e->what);
        }
        return 0;
    }
    return usage();
}

/* bench ----------------------------------------------------------------------*/

static int parse_kv(const char *arg, const char *key, uint64_t *out)
{
    size_t n = strlen(key);
    if (strncmp(arg, key, n) != 0 || arg[n] != '=')
        return 0;
    return parse_u64(arg + n + 1, out) == 0 ? 1 : -1;
}

static int cmd_bench(int argc, char **argv)
{
    bench_result_t r;
    double wall_s, rate;
    int i, rc;
    if (argc < 2 || strcmp(argv[0], "kernel"))
        return usage();
    memset(&r, 0, sizeof(r));
    if (!strcmp(argv[1], "w1")) {
        uint64_t a = 1000, e = 10000000, seed = 42;
        for (i = 2; i < argc; i++)
            if (parse_kv(argv[i], "A", &a) != 1 &&
                parse_kv(argv[i], "E", &e) != 1 &&
                parse_kv(argv[i], "SEED", &seed) != 1)
                return usage();
        if ((rc = bench_w1(a, e, seed, &r)) != 0) {
            fprintf(stderr, "rddsim: bench: %s\n", sim_strerror(rc));
            return rc == SIM_EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
        }
        wall_s = (double)r.wall_ns / 1e9;
        rate = wall_s > 0 ? (double)r.events / wall_s : 0;
        printf("RESULT impl=rddsim workload=W1 A=%" PRIu64 " E=%" PRIu64
               " SEED=%" PRIu64 " events=%" PRIu64 " final_vtime_us=%" PRIu64
               " wall_s=%.3f events_per_s=%.0f maxrss_kb=%" PRIu64 "\n",
               a, e, seed, r.events, r.final_vtime_us, wall_s, rate,
               sim_maxrss_kb());
        return 0;
    }
    if (!strcmp(argv[1], "w2")) {
        bench_w2_params_t p = {1000, 40000, 200, 30000, 10000, 42};
        for (i = 2; i < argc; i++)
            if (parse_kv(argv[i], "N", &p.n) != 1 &&
                parse_kv(argv[i], "L_MS", &p.l_ms) != 1 &&
                parse_kv(argv[i], "POLL_MS", &p.poll_ms) != 1 &&
                parse_kv(argv[i], "TIMEOUT_MS", &p.timeout_ms) != 1 &&
                parse_kv(argv[i], "R", &p.rounds) != 1 &&
                parse_kv(argv[i], "SEED", &p.seed) != 1)
                return usage();
        if ((rc = bench_w2(&p, &r)) != 0) {
            fprintf(stderr, "rddsim: bench: %s\n", sim_strerror(rc));
            return rc == SIM_EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
        }
        wall_s = (double)r.wall_ns / 1e9;
        rate = wall_s > 0 ? (double)r.events / wall_s : 0;
        printf("RESULT impl=rddsim workload=W2 N=%" PRIu64 " L_MS=%" PRIu64
               " POLL_MS=%" PRIu64 " TIMEOUT_MS=%" PRIu64 " R=%" PRIu64
               " SEED=%" PRIu64 " timed_out=%" PRIu64 " polls=%" PRIu64
               " events=%" PRIu64 " final_vtime_us=%" PRIu64
               " wall_s=%.3f events_per_s=%.0f maxrss_kb=%" PRIu64 "\n",
               p.n, p.l_ms, p.poll_ms, p.timeout_ms, p.rounds, p.seed,
               r.timed_out, r.polls, r.events, r.final_vtime_us, wall_s, rate,
               sim_maxrss_kb());
        return 0;
    }
    return usage();
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 2, argv + 2);
    if (!strcmp(argv[1], "suite"))
        return cmd_suite(argc - 2, argv + 2);
    if (!strcmp(argv[1], "check"))
        return cmd_check(argc - 2, argv + 2);
    if (!strcmp(argv[1], "list") && argc == 3)
        return cmd_list(argv[2]);
    if (!strcmp(argv[1], "bench"))
        return cmd_bench(argc - 2, argv + 2);
    return usage();
}
