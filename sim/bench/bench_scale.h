/* bench_scale.h: `rddsim bench scale N`, the stop at scale for N containers,
 * N/4 images and N/10 volumes, with the counts that show its growth. */
#ifndef RDDSIM_BENCH_SCALE_H
#define RDDSIM_BENCH_SCALE_H

#include <stdint.h>

typedef struct {
    uint64_t containers, images, volumes; /* the world's Docker objects */
    uint64_t wall_ns;          /* world_run, set-up and teardown included */
    uint64_t events;           /* loop events */
    uint64_t sim_ns;           /* simulated time */
    uint64_t docker_calls;     /* dock.call.recv */
    uint64_t apiserver_writes; /* kube.obj.create/update/delete/apply */
    uint64_t informer_events;  /* kube.cache.event */
    uint64_t reconciles;       /* kube.reconcile.start, every controller */
    uint64_t maxrss_kb;        /* the process's peak RSS */
    uint64_t trace_hash;
    int matches;               /* no invariant violated, as expected */
} bench_scale_result_t;

/* Runs the world for n containers, images and volumes (containers
 * 1..SC_COUNT_MAX; images 1..; volumes 0..).  Returns 0, SIM_EINVAL or
 * SIM_ENOMEM. */
int bench_scale(uint64_t n, uint64_t images, uint64_t volumes,
                bench_scale_result_t *r);

#endif
