/*
 * wall.h: the only doors to the real world that the CLI needs, all behind
 * libuv in sim/kernel/backend_uv.c: wall time for the results table and the
 * benchmarks, peak RSS, and one OS-drawn seed when none is given.  Simulated
 * code never calls these; tests/tools/check_banned.py enforces it.
 */
#ifndef SIM_WALL_H
#define SIM_WALL_H

#include <stdint.h>

/* Monotonic wall time in ns (uv_hrtime). */
uint64_t sim_wall_ns(void);

/* Peak resident set size in KiB (uv_getrusage), 0 if unknown. */
uint64_t sim_maxrss_kb(void);

/* A seed drawn from the OS (uv_random); the caller prints it. */
uint64_t sim_os_seed(void);

#endif
