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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Events one variant may run.  No shipped scenario needs more than a few
 * thousand; a fuzzed `every: 1ns` would otherwise run forever. */
#define FUZZ_MAX_EVENTS 20000
/* Copies of one container (`count:`).  The cost of a run grows with the
 * containers (every invariant looks at every mirror after every event);
 * this harness hunts memory errors, not slowness, which the hostile-input
 * ctests measure. */
#define FUZZ_MAX_COUNT 64
#ifndef SIM_WORLD_HAS_MAX_EVENTS
/* Without world_io_t.max_events the run is bounded by its length: at most
 * two virtual minutes, a repeating action at most every 100 ms. */
#define FUZZ_MAX_DURATION_NS (120ull * 1000000000ull)
#define FUZZ_MIN_EVERY_NS (100ull * 1000000ull)
#endif

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
#ifndef SIM_WORLD_HAS_MAX_EVENTS
    if (sc->duration_ns > FUZZ_MAX_DURATION_NS)
        sc->duration_ns = FUZZ_MAX_DURATION_NS;
    for (i = 0; i < sc->nactions; i++)
        if (sc->actions[i].every_ns &&
            sc->actions[i].every_ns < FUZZ_MIN_EVERY_NS)
            sc->actions[i].every_ns = FUZZ_MIN_EVERY_NS;
#endif
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
#ifdef SIM_WORLD_HAS_MAX_EVENTS
    io.max_events = FUZZ_MAX_EVENTS;
#endif
    for (i = 0; i < sc->nvariants; i++)
        (void)world_run(sc, &sc->variants[i], sc->has_seed ? sc->seed : 1,
                        &io, &res);
    if (sc->duration_ns > 0) {
        uint64_t h = 14695981039346656037ull; /* FNV-1a of the input */
        size_t k;
        for (k = 0; k < size; k++)
            h = (h ^ data[k]) * 1099511628211ull;
        sc->duration_ns = h % sc->duration_ns;
        if (getenv("FUZZ_RUN_SAY_CUT"))
            fprintf(stderr, "fuzz_run: variant %s cut at %" PRIu64 "ns\n",
                    sc->variants[0].name, sc->duration_ns);
        (void)world_run(sc, &sc->variants[0], sc->has_seed ? sc->seed : 1,
                        &io, &res);
    }
    return 0;
}
