/*
 * fuzz_load.c: libFuzzer (and AFL++) harness for the scenario loader.
 *
 * One input is one scenario file.  scenario_load_buffer either accepts it
 * or refuses it with a message; anything else (a sanitizer report, a leak,
 * an abort below) is a bug.  An accepted matrix is also expanded cell by
 * cell, as `rddsim run` does.  docs/fuzzing.md says how to run it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
#include "sim/errno.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A bug the sanitizers cannot see: a broken promise of scenario.h. */
#define FUZZ_ASSERT(c)                                                         \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static scenario_t *sc, *cell;   /* ~1 MB each: allocated once */
    yt_error_t err;
    int rc, i;
    if (!sc && !(sc = malloc(sizeof(*sc))))
        abort();
    if (!cell && !(cell = malloc(sizeof(*cell))))
        abort();
    rc = scenario_load_buffer("fuzz.yaml", (const char *)data, size, sc, &err);
    if (rc) {
        /* Refused: a code of the one table, with a message. */
        FUZZ_ASSERT(rc < 0 && strcmp(sim_err_name(rc), "EUNKNOWN") != 0);
        FUZZ_ASSERT(memchr(err.msg, 0, sizeof(err.msg)) != NULL);
        FUZZ_ASSERT(err.msg[0] != 0);
        FUZZ_ASSERT(err.line >= 0 && err.col >= 0);
        return 0;
    }
    FUZZ_ASSERT(sc->nvariants >= 1 && sc->nvariants <= SC_MAX_VARIANTS);
    FUZZ_ASSERT(sc->ninstances >= 0 && sc->ninstances <= SC_MAX_INSTANCES);
    FUZZ_ASSERT(sc->nactions >= 0 && sc->nactions <= SC_MAX_ACTIONS);
    /* scenario.h: nothing starts after `duration`. */
    FUZZ_ASSERT(sc->duration_ns > 0);
    for (i = 0; i < sc->ninstances; i++)
        FUZZ_ASSERT(sc->instances[i].start_ns <= sc->duration_ns);
    for (i = 0; i < sc->nowners; i++)
        FUZZ_ASSERT(!sc->owners[i].has_start ||
                    sc->owners[i].start_ns <= sc->duration_ns);
    for (i = 0; i < sc->nactions; i++)
        FUZZ_ASSERT(sc->actions[i].at_ns <= sc->duration_ns);
    for (i = 0; i < sc->nmx_order; i++)
        FUZZ_ASSERT(sc->mx_order_ns[i] <= sc->duration_ns);
    for (i = 0; i < sc->nvariants; i++) {
        const sc_variant_t *v = &sc->variants[i];
        FUZZ_ASSERT(memchr(v->name, 0, sizeof(v->name)) != NULL);
        FUZZ_ASSERT(scenario_variant(sc, v->name) != NULL);
        if (sc->is_matrix)
            scenario_cell(sc, v, cell);
    }
    return 0;
}
