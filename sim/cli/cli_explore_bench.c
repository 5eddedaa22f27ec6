/*
 * cli_explore_bench.c: `rddsim bench explore [SEEDS=200] [JOBS=2]
 * [FIRST=0]` (cli_explore.h): the throughput of a sweep of the default
 * profile (head and its clean variants) with JOBS workers, then the same
 * seeds in this process, one after another, timed by phase
 * (bench/bench_explore.h), and what the workers cost beyond that.
 * Prints RESULT and PHASE lines; wall time only, never a verdict.
 */
#include <inttypes.h>
#include <string.h>
#include <uv.h>

#include "bench/bench_explore.h"
#include "cli.h"
#include "cli_explore.h"
#include "sim/errno.h"
#include "sim/wall.h"

#define CMD "bench"

static void phase(const char *name, uint64_t ns, uint64_t total,
                  uint64_t seeds)
{
    printf("PHASE %-5s ms_per_seed=%.3f share=%.1f%%\n", name,
           seeds ? (double)ns / 1e6 / (double)seeds : 0.0,
           total ? 100.0 * (double)ns / (double)total : 0.0);
}

int cli_explore_bench(int argc, char **argv)
{
    uint64_t seeds = 200, jobs = 2, first = 0, *outs[3], total, inproc;
    static const char *const keys[] = {"SEEDS=", "JOBS=", "FIRST="};
    bench_explore_result_t r;
    xprofile_t *p = NULL;
    xopts_t o;
    char self[CLI_PATH_MAX];
    size_t n = sizeof(self);
    int i, k, rc;
    double pool_rate, solo_rate;
    outs[0] = &seeds;
    outs[1] = &jobs;
    outs[2] = &first;
    for (i = 0; i < argc; i++) {
        for (k = 0; k < 3; k++)
            if (!strncmp(argv[i], keys[k], strlen(keys[k])))
                break;
        if (k == 3)
            return cli_usage(CMD, "explore: %s: not SEEDS=N, JOBS=N or "
                             "FIRST=N", argv[i]);
        if ((rc = cli_u64(CMD, keys[k], argv[i] + strlen(keys[k]),
                          outs[k])) != 0)
            return rc;
    }
    if (!seeds || !jobs || jobs > 256)
        return cli_usage(CMD, "explore: SEEDS >= 1 and JOBS 1..256");
    if (uv_exepath(self, &n) != 0)
        return EXIT_INTERNAL;
    memset(&o, 0, sizeof(o));
    if ((rc = xcli_load_profile(&o, &p)) != 0)
        return rc;
    xcli_default_variants(&o, p);
    o.seeds = seeds;
    o.have_seeds = 1;
    o.first = first;
    o.jobs = (int)jobs;
    o.bench = 1;
    if ((rc = xcli_sweep(&o, p, self)) != 0) {
        xprofile_free(p);
        return rc;
    }
    if ((rc = bench_explore(p, first, seeds, o.variants, o.nvariants, &r))) {
        xprofile_free(p);
        fprintf(stderr, "rddsim bench: explore: %s\n", sim_strerror(rc));
        return EXIT_INTERNAL;
    }
    xprofile_free(p);
    total = r.gen_ns + r.emit_ns + r.load_ns + r.run_ns;
    pool_rate = o.bench_wall_ns ? (double)o.bench_seeds * 1e9 /
                                  (double)o.bench_wall_ns : 0;
    solo_rate = total ? (double)r.seeds * 1e9 / (double)total : 0;
    inproc = total;
    printf("RESULT impl=rddsim workload=explore profile=default variants=%d "
           "seeds=%" PRIu64 " jobs=%" PRIu64 " wall_s=%.3f seeds_per_s=%.1f "
           "events=%" PRIu64 " events_per_s=%.0f\n",
           o.nvariants, o.bench_seeds, jobs, (double)o.bench_wall_ns / 1e9,
           pool_rate, o.bench_events,
           o.bench_wall_ns ? (double)o.bench_events * 1e9 /
                             (double)o.bench_wall_ns : 0.0);
    printf("RESULT in-process seeds=%" PRIu64 " wall_s=%.3f "
           "seeds_per_s=%.1f runs=%" PRIu64 " events_per_s=%.0f "
           "yaml_bytes_per_seed=%" PRIu64 " maxrss_kb=%" PRIu64 "\n",
           r.seeds, (double)inproc / 1e9, solo_rate, r.runs,
           r.run_ns ? (double)r.events * 1e9 / (double)r.run_ns : 0.0,
           r.seeds ? r.yaml_bytes / r.seeds : 0, sim_maxrss_kb());
    phase("gen", r.gen_ns, total, r.seeds);
    phase("emit", r.emit_ns, total, r.seeds);
    phase("load", r.load_ns, total, r.seeds);
    phase("run", r.run_ns, total, r.seeds);
    /* JOBS workers at the in-process rate would do jobs x solo_rate; what
     * is missing went to process start, pipes, JSON and idle cores. */
    printf("RESULT pool_efficiency=%.1f%% (seeds/s with %" PRIu64
           " workers / (%" PRIu64 " x in-process seeds/s))\n",
           solo_rate > 0 ? 100.0 * pool_rate / ((double)jobs * solo_rate)
                         : 0.0, jobs, jobs);
    return 0;
}
