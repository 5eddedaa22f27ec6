/*
 * roundtrip.c: load -> sc_emit -> load gives the same runs.
 *
 *   explore_roundtrip FILE.yaml ...
 *
 * For every variant of every file: world_run of the original at seed 1,
 * and world_run of the emitted-and-reloaded scenario under the variant of
 * the same name, must give the same trace hash, the same violated set and
 * the same verdict.  A matrix file is expanded: each cell is emitted as
 * the concrete scenario scenario_cell makes (one variant) and compared
 * with the matrix run of that cell.  Prints one line per run and exits 1
 * on the first difference.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/emit.h"
#include "scenario/scenario.h"
#include "scenario/world.h"

static int same(const world_result_t *a, const world_result_t *b)
{
    int i;
    if (a->trace_hash != b->trace_hash || a->nviolated != b->nviolated ||
        a->matches != b->matches)
        return 0;
    for (i = 0; i < a->nviolated; i++)
        if (strcmp(a->violated[i], b->violated[i]))
            return 0;
    return 1;
}

/* Emits sc into memory and loads it back into *out. */
static int reload(const scenario_t *sc, scenario_t *out)
{
    char *buf = NULL;
    size_t len = 0;
    yt_error_t err;
    FILE *m = open_memstream(&buf, &len);
    int rc;
    if (!m)
        return -1;
    rc = sc_emit(sc, m);
    fclose(m);
    if (rc == 0) {
        rc = scenario_load_buffer("emitted", buf, len, out, &err);
        if (rc) {
            fprintf(stderr, "%s:%d:%d: %s\n--- emitted:\n%s", err.file,
                    err.line, err.col, err.msg, buf);
        }
    }
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    scenario_t *sc = calloc(1, sizeof(*sc)), *cell = calloc(1, sizeof(*sc)),
               *back = calloc(1, sizeof(*sc));
    int f, v, runs = 0;
    if (!sc || !cell || !back)
        return 3;
    for (f = 1; f < argc; f++) {
        yt_error_t err;
        if (scenario_load(argv[f], sc, &err)) {
            fprintf(stderr, "%s: %s\n", argv[f], err.msg);
            return 2;
        }
        if (!sc->is_matrix && reload(sc, back))
            return 1;
        for (v = 0; v < sc->nvariants; v++) {
            const sc_variant_t *var = &sc->variants[v], *bv;
            world_result_t a, b;
            if (sc->is_matrix) {
                scenario_cell(sc, var, cell);
                if (reload(cell, back))
                    return 1;
            }
            bv = scenario_variant(back, var->name);
            if (!bv) {
                fprintf(stderr, "%s: variant %s lost\n", argv[f], var->name);
                return 1;
            }
            if (world_run(sc, var, 1, NULL, &a) || world_run(back, bv, 1,
                                                            NULL, &b))
                return 3;
            runs++;
            printf("%s %s: %016" PRIx64 " %016" PRIx64 " %s\n", argv[f],
                   var->name, a.trace_hash, b.trace_hash,
                   same(&a, &b) ? "same" : "DIFFERENT");
            if (!same(&a, &b))
                return 1;
        }
    }
    printf("roundtrip: %d runs, all the same\n", runs);
    free(sc);
    free(cell);
    free(back);
    return 0;
}
