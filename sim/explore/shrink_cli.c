/*
 * shrink_cli.c: `rddsim shrink` (shrink_cli.h).  Command-line code: it
 * reads the wall clock (sim/wall.h) for the summary line only.
 */
#include "shrink_cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shrink.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/invariant.h"
#include "sim/wall.h"

static int usage(void)
{
    fprintf(stderr, "usage: rddsim shrink FILE [--variant V] [--seed N] "
                    "[--invariant ID] [--max-runs N] [-o OUT.yaml]\n");
    return 2;
}

static int known_invariant(const char *id)
{
    size_t i;
    for (i = 0; i < sim_inv_catalogue_len; i++)
        if (!strcmp(sim_inv_catalogue[i].id, id))
            return 1;
    return 0;
}

/* Writes to path through path.tmp and a rename: no half-written file. */
static int write_file(const char *path, const scenario_t *min,
                      const shrink_report_t *r, const char *src)
{
    char tmp[4096];
    FILE *f;
    int rc;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w")))
        return -1;
    rc = shrink_write(min, r, src, f);
    if (fclose(f) != 0 || rc != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int explore_cli_shrink(int argc, char **argv)
{
    const char *file = NULL, *outp = NULL;
    shrink_opts_t o;
    shrink_report_t *r;
    scenario_t *sc, *min;
    yt_error_t err;
    uint64_t t0;
    int i, rc, have_seed = 0, ret = 0;
    char *end;
    memset(&o, 0, sizeof(o));
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--variant") && i + 1 < argc)
            o.variant = argv[++i];
        else if (!strcmp(argv[i], "--invariant") && i + 1 < argc)
            o.invariant = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            outp = argv[++i];
        else if ((!strcmp(argv[i], "--seed") ||
                  !strcmp(argv[i], "--max-runs")) && i + 1 < argc) {
            const char *opt = argv[i++];
            unsigned long long v;
            if (!argv[i][0] || argv[i][0] == '-')
                return usage();
            v = strtoull(argv[i], &end, 0);
            if (*end)
                return usage();
            if (!strcmp(opt, "--seed")) {
                o.seed = v;
                have_seed = 1;
            } else {
                if (v == 0 || v > 1000000)
                    return usage();
                o.max_runs = (int)v;
            }
        } else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return usage();
    }
    if (!file)
        return usage();
    if (o.invariant && !known_invariant(o.invariant)) {
        fprintf(stderr, "rddsim: unknown invariant '%s' (rddsim list "
                        "invariants)\n", o.invariant);
        return 2;
    }
    sc = sim__calloc(2, sizeof(*sc));
    r = sim__calloc(1, sizeof(*r));
    if (!sc || !r) {
        sim__free(sc);
        sim__free(r);
        return 3;
    }
    min = sc + 1;
    rc = scenario_load(file, sc, &err);
    if (rc) {
        if (err.line)
            fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col,
                    err.msg);
        else
            fprintf(stderr, "%s: %s\n", err.file, err.msg);
        ret = rc == SIM_ENOMEM ? 3 : 2;
        goto out;
    }
    if (!have_seed)
        o.seed = sc->has_seed ? sc->seed : 1;
    t0 = sim_wall_ns();
    rc = shrink_scenario(sc, &o, min, r);
    if (rc == SIM_EINVAL) {
        fprintf(stderr, "%s: no variant '%s' in this scenario\n", file,
                o.variant);
        ret = 2;
        goto out;
    }
    if (rc == SIM_ENOTFOUND) {
        if (r->variant[0])
            printf("%s: variant %s does not fail at seed %" PRIu64 "%s%s: "
                   "nothing to shrink\n", file, r->variant, o.seed,
                   o.invariant ? " with " : "",
                   o.invariant ? o.invariant : "");
        else
            printf("%s: no variant fails at seed %" PRIu64 "%s%s: nothing "
                   "to shrink\n", file, o.seed, o.invariant ? " with " : "",
                   o.invariant ? o.invariant : "");
        ret = 1;
        goto out;
    }
    if (rc) {
        fprintf(stderr, "rddsim: %s: %s\n", file, sim_strerror(rc));
        ret = 3;
        goto out;
    }
    if (outp) {
        if (write_file(outp, min, r, file)) {
            fprintf(stderr, "rddsim: cannot write %s\n", outp);
            ret = 3;
            goto out;
        }
    } else if (shrink_write(min, r, file, stdout)) {
        ret = 3;
        goto out;
    }
    fflush(stdout);
    fprintf(outp ? stdout : stderr,
            "shrunk: %d steps -> %d steps, %d faults -> %d, in %d runs, "
            "%.2f s\n"
            "objects: %d -> %d; keeps %s%s%s under %s, seed %" PRIu64 "%s\n",
            r->steps[0], r->steps[1], r->faults[0], r->faults[1], r->runs,
            (double)(sim_wall_ns() - t0) / 1e9, r->objects[0], r->objects[1],
            r->sig.inv, r->sig.inst[0] ? " on " : "", r->sig.inst,
            r->variant, o.seed,
            r->budget_hit ? " (run budget reached: not minimal)" : "");
out:
    sim__free(sc);
    sim__free(r);
    return ret;
}
