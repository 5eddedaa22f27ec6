/*
 * cli_bench.c: rddsim bench kernel w1|w2 KEY=VALUE ... (see `rddsim help
 * bench`): the DES workloads on the loop the models use, one RESULT line.
 */
#include <inttypes.h>
#include <string.h>

#include "bench/bench_kernel.h"
#include "bench/bench_scale.h"
#include "cli.h"
#include "cli_explore.h"
#include "sim/errno.h"
#include "sim/wall.h"

#define CMD "bench"

/* KEY=N: 1 when arg is key's (into *out), 0 when it is another key's,
 * -1 after a usage message when N is no number. */
static int parse_kv(const char *arg, const char *key, uint64_t *out)
{
    size_t n = strlen(key);
    if (strncmp(arg, key, n) != 0 || arg[n] != '=')
        return 0;
    return cli_u64(CMD, key, arg + n + 1, out) == 0 ? 1 : -1;
}

/* Matches arg against keys; returns 0, or EXIT_USAGE after a message. */
static int parse_kvs(const char *arg, const char *const *keys,
                     uint64_t *const *outs, size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        int r = parse_kv(arg, keys[k], outs[k]);
        if (r == 1)
            return 0;
        if (r < 0)
            return EXIT_USAGE;
    }
    return cli_usage(CMD, "%s: not one of the workload's KEY=N", arg);
}

static int bench_failed(int rc)
{
    fprintf(stderr, "rddsim: bench: %s\n", sim_strerror(rc));
    return rc == SIM_EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
}

/* Parses KEY=N arguments into outs; 0 or EXIT_USAGE. */
static int parse_all(int argc, char **argv, const char *const *keys,
                     uint64_t *const *outs, size_t n)
{
    int i, rc;
    for (i = 0; i < argc; i++)
        if ((rc = parse_kvs(argv[i], keys, outs, n)) != 0)
            return rc;
    return 0;
}

static double seconds(const bench_result_t *r)
{
    return (double)r->wall_ns / 1e9;
}

static double per_second(const bench_result_t *r)
{
    return seconds(r) > 0 ? (double)r->events / seconds(r) : 0;
}

static int w1(int argc, char **argv)
{
    static const char *const keys[] = {"A", "E", "SEED"};
    uint64_t a = 1000, e = 10000000, seed = 42;
    uint64_t *const outs[] = {&a, &e, &seed};
    bench_result_t r;
    int rc;
    memset(&r, 0, sizeof(r));
    if ((rc = parse_all(argc, argv, keys, outs, 3)) != 0)
        return rc;
    if ((rc = bench_w1(a, e, seed, &r)) != 0)
        return bench_failed(rc);
    printf("RESULT impl=rddsim workload=W1 A=%" PRIu64 " E=%" PRIu64
           " SEED=%" PRIu64 " events=%" PRIu64 " final_vtime_us=%" PRIu64
           " wall_s=%.3f events_per_s=%.0f maxrss_kb=%" PRIu64 "\n",
           a, e, seed, r.events, r.final_vtime_us, seconds(&r),
           per_second(&r),
           sim_maxrss_kb());
    return 0;
}

static int w2(int argc, char **argv)
{
    static const char *const keys[] = {"N", "L_MS", "POLL_MS", "TIMEOUT_MS",
                                       "R", "SEED"};
    bench_w2_params_t p = {1000, 40000, 200, 30000, 10000, 42};
    uint64_t *const outs[] = {&p.n, &p.l_ms, &p.poll_ms, &p.timeout_ms,
                              &p.rounds, &p.seed};
    bench_result_t r;
    int rc;
    memset(&r, 0, sizeof(r));
    if ((rc = parse_all(argc, argv, keys, outs, 6)) != 0)
        return rc;
    if ((rc = bench_w2(&p, &r)) != 0)
        return bench_failed(rc);
    printf("RESULT impl=rddsim workload=W2 N=%" PRIu64 " L_MS=%" PRIu64
           " POLL_MS=%" PRIu64 " TIMEOUT_MS=%" PRIu64 " R=%" PRIu64
           " SEED=%" PRIu64 " timed_out=%" PRIu64 " polls=%" PRIu64
           " events=%" PRIu64 " final_vtime_us=%" PRIu64
           " wall_s=%.3f events_per_s=%.0f maxrss_kb=%" PRIu64 "\n",
           p.n, p.l_ms, p.poll_ms, p.timeout_ms, p.rounds, p.seed,
           r.timed_out, r.polls, r.events, r.final_vtime_us, seconds(&r),
           per_second(&r),
           sim_maxrss_kb());
    return 0;
}

/* bench scale N [IMAGES=N/4] [VOLUMES=N/10]: the stop at scale
 * (bench_scale.h). */
static int scale(int argc, char **argv)
{
    static const char *const keys[] = {"IMAGES", "VOLUMES"};
    bench_scale_result_t r;
    uint64_t n, images, volumes;
    uint64_t *const outs[] = {&images, &volumes};
    int rc;
    if (argc < 1)
        return cli_usage(CMD, "scale needs N, the number of containers");
    if ((rc = cli_u64(CMD, "scale", argv[0], &n)) != 0)
        return rc;
    if (n < 1)
        return cli_usage(CMD, "scale 0: needs at least one container");
    images = n / 4 ? n / 4 : 1;
    volumes = n / 10;
    if ((rc = parse_all(argc - 1, argv + 1, keys, outs, 2)) != 0)
        return rc;
    if ((rc = bench_scale(n, images, volumes, &r)) != 0)
        return bench_failed(rc);
    printf("RESULT impl=rddsim workload=scale containers=%" PRIu64
           " images=%" PRIu64 " volumes=%" PRIu64 " wall_s=%.3f events=%"
           PRIu64 " docker_calls=%" PRIu64 " apiserver_writes=%" PRIu64
           " informer_events=%" PRIu64 " reconciles=%" PRIu64
           " sim_s=%.3f maxrss_kb=%" PRIu64
           " trace_hash=%016" PRIx64 " result=%s\n",
           r.containers, r.images, r.volumes, (double)r.wall_ns / 1e9,
           r.events, r.docker_calls, r.apiserver_writes, r.informer_events,
           r.reconciles, (double)r.sim_ns / 1e9, r.maxrss_kb, r.trace_hash,
           r.matches ? "MATCH" : "MISMATCH");
    return r.matches ? 0 : EXIT_MISMATCH;
}

int cli_bench(int argc, char **argv)
{
    int i;
    for (i = 0; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return cli_help(CMD, stdout);
    if (argc >= 1 && !strcmp(argv[0], "explore"))
        return cli_explore_bench(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "scale"))
        return scale(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[0], "kernel"))
        return cli_usage(CMD, "needs `kernel w1`, `kernel w2`, `scale N` or `explore`");
    if (!strcmp(argv[1], "w1"))
        return w1(argc - 2, argv + 2);
    if (!strcmp(argv[1], "w2"))
        return w2(argc - 2, argv + 2);
    return cli_usage(CMD, "kernel %s: no such workload (w1, w2)", argv[1]);
}
