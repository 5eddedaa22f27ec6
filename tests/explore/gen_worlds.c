/*
 * gen_worlds.c: every seed of a profile draws a world the loader accepts,
 * the same world twice, and one that emits and reloads to the same run.
 *
 *   explore_gen PROFILE.yaml FIRST COUNT [--run] [--show] [--variant V]
 *               [--print SEED]
 *
 * For seeds FIRST..FIRST+COUNT-1: xgen_text twice must give the same
 * bytes; xgen_world must load it; with --run, the world runs under head,
 * and the sc_emit'd, reloaded world runs to the same trace hash.  Prints a
 * summary (worlds, instances, owners, faults, steps, violations seen) and
 * exits 1 on the first failure.  --print SEED writes that seed's text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/emit.h"
#include "explore/gen.h"
#include "scenario/world.h"

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
    if (rc == 0 && (rc = scenario_load_buffer("emitted", buf, len, out,
                                              &err)) != 0)
        fprintf(stderr, "%s:%d:%d: %s\n--- emitted:\n%s", err.file, err.line,
                err.col, err.msg, buf);
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    xprofile_t *p;
    yt_error_t err;
    uint64_t first, count, s;
    int run = 0, show = 0, i;
    const char *variant[1] = {"head"};
    long print = -1;
    unsigned long long inst = 0, own = 0, flt = 0, steps = 0, viol = 0;
    scenario_t *sc = calloc(1, sizeof(*sc)), *back = calloc(1, sizeof(*sc));
    if (argc < 4 || !sc || !back) {
        fprintf(stderr, "usage: explore_gen PROFILE FIRST COUNT [--run] "
                        "[--print SEED]\n");
        return 2;
    }
    first = strtoull(argv[2], NULL, 10);
    count = strtoull(argv[3], NULL, 10);
    for (i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--run"))
            run = 1;
        else if (!strcmp(argv[i], "--show"))
            run = show = 1;
        else if (!strcmp(argv[i], "--variant") && i + 1 < argc)
            variant[0] = argv[++i];
        else if (!strcmp(argv[i], "--print") && i + 1 < argc)
            print = atol(argv[++i]);
    }
    if (xprofile_load(argv[1], &p, &err)) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col,
                err.msg);
        return 2;
    }
    if (print >= 0) {
        char *t;
        size_t n;
        if (xgen_text(p, (uint64_t)print, NULL, 0, &t, &n))
            return 1;
        fwrite(t, 1, n, stdout);
        free(t);
        return 0;
    }
    for (s = first; s < first + count; s++) {
        char *a, *b;
        size_t na, nb;
        if (xgen_text(p, s, NULL, 0, &a, &na) ||
            xgen_text(p, s, NULL, 0, &b, &nb)) {
            fprintf(stderr, "seed %" PRIu64 ": xgen_text failed\n", s);
            return 1;
        }
        if (na != nb || memcmp(a, b, na)) {
            fprintf(stderr, "seed %" PRIu64 ": two draws differ\n", s);
            return 1;
        }
        free(a);
        free(b);
        if (xgen_world(p, s, variant, 1, sc)) {
            fprintf(stderr, "seed %" PRIu64 ": the loader refused the world\n",
                    s);
            return 1;
        }
        inst += (unsigned)sc->ninstances;
        own += (unsigned)sc->nowners;
        flt += (unsigned)sc->nfaults;
        steps += (unsigned)sc->nactions;
        if (run) {
            world_result_t r1, r2;
            world_io_t io = {0};
            io.max_events = 5000000;
            if (world_run(sc, &sc->variants[0], s, &io, &r1) ||
                reload(sc, back) ||
                world_run(back, &back->variants[0], s, &io, &r2)) {
                fprintf(stderr, "seed %" PRIu64 ": run failed\n", s);
                return 1;
            }
            if (r1.trace_hash != r2.trace_hash) {
                fprintf(stderr, "seed %" PRIu64 ": emitted world hashes "
                                "%016" PRIx64 ", explored %016" PRIx64 "\n",
                        s, r2.trace_hash, r1.trace_hash);
                return 1;
            }
            viol += (unsigned)r1.nviolated;
            for (int v = 0; show && v < r1.nviolated; v++)
                printf("seed %" PRIu64 " %s %s at %.3fs: %.300s\n", s,
                       variant[0], r1.violated[v],
                       (double)r1.violated_ns[v] / 1e9, r1.why[v]);
            if (show && r1.stop)
                printf("seed %" PRIu64 " %s stopped early (%d)\n", s,
                       variant[0], r1.stop);
        }
    }
    printf("%" PRIu64 " worlds: %llu instances, %llu owners, %llu faults, "
           "%llu steps%s",
           count, inst, own, flt, steps, run ? "" : "\n");
    if (run)
        printf(", %llu violations under %s\n", viol, variant[0]);
    xprofile_free(p);
    free(sc);
    free(back);
    return 0;
}
