/*
 * fuzz_run.c: libFuzzer (and AFL++) harness for `rddsim run`.
 *
 * One input is one scenario file.  If the loader accepts it, every variant
 * runs once (seed: the file's, else 1) with no trace output and a bounded
 * number of events, as `rddsim run --no-expect` would.  Then the first
 * variant runs once more, cut short at a time drawn from the input's bytes:
 * a run can end at any instant with work in flight (an event budget ends it
 * so too), and the teardown must cope.  A verdict is never a bug here; a
 * sanitizer report, a leak or a hang is.  With FUZZ_RUN_SAY_CUT set in the
 * environment the harness prints that time, so that a crash in the cut run
 * becomes a file `rddsim run` reproduces (`duration: <it>ns`).
 */
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "scenario/scenario.h"
#include "scenario/world.h"
#include "sim/errno.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Events one variant may run: enough for every shipped scenario's first
 * minutes (the longest take ~33,000 in all), few enough that one input
 * stays well under libFuzzer's -timeout under ASan; a fuzzed `every: 1ns`
 * ends at the budget like any other run. */
#define FUZZ_MAX_EVENTS 5000
/* Copies of one container (`count:`).  The cost of a run grows with the
 * containers (every invariant looks at every mirror after every event);
 * this harness hunts memory errors, not slowness, which the hostile-input
 * ctests measure. */
#define FUZZ_MAX_COUNT 64

static void bound_daemon(sc_daemon_t *d)
{
    int i;
    for (i = 0; i < d->nc; i++)
        if (d->c[i].count > FUZZ_MAX_COUNT)
            d->c[i].count = FUZZ_MAX_COUNT;
}

static void bound(scenario_t *sc)
{
    int i;
    for (i = 0; i < sc->ndaemons; i++)
        bound_daemon(&sc->daemons[i]);
    for (i = 0; i < sc->ninstances; i++)
        bound_daemon(&sc->instances[i].daemon);
    for (i = 0; i < SC_MAX_AXIS; i++)
        bound_daemon(&sc->mx_inst[i].daemon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static scenario_t *sc;          /* ~1 MB: allocated once */
    static world_result_t res;
    world_io_t io = {0};
    yt_error_t err;
    int i;
    if (!sc && !(sc = malloc(sizeof(*sc))))
        abort();
    if (scenario_load_buffer("fuzz.yaml", (const char *)data, size, sc, &err))
        return 0;
    bound(sc);
    io.max_events = FUZZ_MAX_EVENTS;
    /* world.h: a scenario the loader accepts builds, so 0 or SIM_ENOMEM. */
    for (i = 0; i < sc->nvariants; i++) {
        int rc = world_run(sc, &sc->variants[i],
                           sc->has_seed ? sc->seed : 1, &io, &res);
        if (rc != 0 && rc != SIM_ENOMEM)
            abort();
    }
    if (sc->duration_ns > 0) {
        uint64_t h = 14695981039346656037ull; /* FNV-1a of the input */
        size_t k;
        for (k = 0; k < size; k++)
            h = (h ^ data[k]) * 1099511628211ull;
        sc->duration_ns = h % sc->duration_ns;
        if (getenv("FUZZ_RUN_SAY_CUT"))
            fprintf(stderr, "fuzz_run: variant %s cut at %" PRIu64 "ns\n",
                    sc->variants[0].name, sc->duration_ns);
        i = world_run(sc, &sc->variants[0], sc->has_seed ? sc->seed : 1,
                      &io, &res);
        if (i != 0 && i != SIM_ENOMEM)
            abort();
    }
    return 0;
}
