/* bench_explore.c: the phases of one exploration seed, timed
 * (bench_explore.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_explore.h"
#include "explore/emit.h"
#include "explore/sweep.h"
#include "scenario/world.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/wall.h"

static int one(const xprofile_t *p, uint64_t seed, const char *const *vs,
               int nv, scenario_t *sc, bench_explore_result_t *r)
{
    world_result_t *wr = sim__calloc(1, sizeof(*wr));
    char *text = NULL;
    size_t len = 0;
    yt_error_t err;
    FILE *m;
    uint64_t t = sim_wall_ns(), u;
    int rc, i;
    if (!wr)
        return SIM_ENOMEM;
    if ((rc = xgen_world(p, seed, vs, nv, sc)) != 0)
        goto out;
    u = sim_wall_ns();
    r->gen_ns += u - t;
    if (!(m = open_memstream(&text, &len))) {
        rc = SIM_ENOMEM;
        goto out;
    }
    rc = sc_emit(sc, m);
    fclose(m);
    t = sim_wall_ns();
    r->emit_ns += t - u;
    r->yaml_bytes += len;
    if (rc || (rc = scenario_load_buffer("bench.yaml", text, len, sc + 1,
                                         &err)) != 0)
        goto out;
    u = sim_wall_ns();
    r->load_ns += u - t;
    for (i = 0; i < sc[1].nvariants; i++) {
        world_io_t io;
        memset(&io, 0, sizeof(io));
        io.max_events = XSWEEP_MAX_EVENTS;
        if ((rc = world_run(sc + 1, &sc[1].variants[i], seed, &io, wr)) != 0)
            goto out;
        r->events += wr->events;
        r->runs++;
    }
    r->run_ns += sim_wall_ns() - u;
    r->seeds++;
out:
    free(text);
    sim__free(wr);
    return rc;
}

int bench_explore(const xprofile_t *p, uint64_t first, uint64_t n,
                  const char *const *variants, int nvariants,
                  bench_explore_result_t *r)
{
    scenario_t *sc = sim__calloc(2, sizeof(*sc));
    uint64_t k;
    int rc = 0;
    memset(r, 0, sizeof(*r));
    if (!sc)
        return SIM_ENOMEM;
    for (k = 0; k < n && !rc; k++)
        rc = one(p, first + k, variants, nvariants, sc, r);
    sim__free(sc);
    return rc;
}
