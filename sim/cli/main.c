/* main.c: the rddsim command line (temporary: bench only). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_kernel.h"
#include "sim/errno.h"
#include "sim/wall.h"

static int parse_kv(const char *arg, const char *key, uint64_t *out)
{
    size_t n = strlen(key);
    char *end;
    if (strncmp(arg, key, n) != 0 || arg[n] != '=')
        return 0;
    *out = strtoull(arg + n + 1, &end, 10);
    return *end == 0 ? 1 : -1;
}

int main(int argc, char **argv)
{
    bench_result_t r = {0};
    if (argc >= 4 && !strcmp(argv[1], "bench") && !strcmp(argv[3], "w1")) {
        uint64_t a = 1000, e = 10000000, seed = 42;
        for (int i = 4; i < argc; i++)
            if (!parse_kv(argv[i], "A", &a) && !parse_kv(argv[i], "E", &e) &&
                !parse_kv(argv[i], "SEED", &seed))
                return 2;
        bench_w1(a, e, seed, &r);
        printf("RESULT impl=rddsim workload=W1 A=%" PRIu64 " E=%" PRIu64
               " SEED=%" PRIu64 " events=%" PRIu64 " final_vtime_us=%" PRIu64
               " wall_s=%.3f events_per_s=%.0f maxrss_kb=%" PRIu64 "\n",
               a, e, seed, r.events, r.final_vtime_us, r.wall_ns / 1e9,
               r.events / (r.wall_ns / 1e9), sim_maxrss_kb());
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "bench") && !strcmp(argv[3], "w2")) {
        bench_w2_params_t p = {1000, 40000, 200, 30000, 10000, 42};
        for (int i = 4; i < argc; i++)
            if (!parse_kv(argv[i], "N", &p.n) &&
                !parse_kv(argv[i], "L_MS", &p.l_ms) &&
                !parse_kv(argv[i], "POLL_MS", &p.poll_ms) &&
                !parse_kv(argv[i], "TIMEOUT_MS", &p.timeout_ms) &&
                !parse_kv(argv[i], "R", &p.rounds) &&
                !parse_kv(argv[i], "SEED", &p.seed))
                return 2;
        bench_w2(&p, &r);
        printf("RESULT impl=rddsim workload=W2 timed_out=%" PRIu64
               " polls=%" PRIu64 " events=%" PRIu64 " final_vtime_us=%" PRIu64
               " wall_s=%.3f\n", r.timed_out, r.polls, r.events,
               r.final_vtime_us, r.wall_ns / 1e9);
        return 0;
    }
    return 2;
}
