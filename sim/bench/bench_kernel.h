/* bench_kernel.h: W1/W2 of docs/benchmarks.md on sim_loop_t. */
#ifndef RDDSIM_BENCH_KERNEL_H
#define RDDSIM_BENCH_KERNEL_H

#include <stdint.h>

typedef struct {
    uint64_t events;         /* wakeups (W1) or visibilities + polls (W2) */
    uint64_t final_vtime_us; /* T (W1) or the last event's time (W2) */
    uint64_t polls;          /* W2 only */
    uint64_t timed_out;      /* W2 only: rounds */
    uint64_t wall_ns;        /* internal wall time, set-up included */
} bench_result_t;

typedef struct {
    uint64_t n, l_ms, poll_ms, timeout_ms, rounds, seed;
} bench_w2_params_t;

/* Returns 0, SIM_EINVAL for a zero parameter, or SIM_ENOMEM. */
int bench_w1(uint64_t actors, uint64_t e, uint64_t seed, bench_result_t *r);
int bench_w2(const bench_w2_params_t *p, bench_result_t *r);

#endif
