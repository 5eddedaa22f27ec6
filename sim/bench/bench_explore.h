/* bench_explore.h: where one exploration seed's time goes (`rddsim bench
 * explore`): the generator, the emitter, the loader and the runs, timed
 * with the wall clock (sim/wall.h) around the same steps xrun_seed takes
 * (sim/explore/sweep.h), one seed after another in this process. */
#ifndef RDDSIM_BENCH_EXPLORE_H
#define RDDSIM_BENCH_EXPLORE_H

#include <stdint.h>

#include "explore/gen.h"

typedef struct {
    uint64_t seeds;
    uint64_t gen_ns, emit_ns, load_ns, run_ns; /* summed over seeds */
    uint64_t events;                           /* world_run's, all variants */
    uint64_t runs;                             /* world_run calls */
    uint64_t yaml_bytes;                       /* emitted, summed */
} bench_explore_result_t;

/* Seeds first..first+n-1 under variants.  Returns 0, SIM_EINVAL (a
 * variant), SIM_ENOMEM, or the loader's error on a world it refuses. */
int bench_explore(const xprofile_t *p, uint64_t first, uint64_t n,
                  const char *const *variants, int nvariants,
                  bench_explore_result_t *r);

#endif
