/*
 * cli_shrink.c: `rddsim shrink FILE` (cli.h), the command line around
 * sim/explore/shrink.h.  It reads the wall clock (sim/wall.h) for the
 * summary line only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "explore/shrink.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/invariant.h"
#include "sim/wall.h"

#define CMD "shrink"

static int known_invariant(const char *id)
{
    size_t i;
    for (i = 0; i < sim_inv_catalogue_len; i++)
        if (!strcmp(sim_inv_catalogue[i].id, id))
            return 1;
    return 0;
}

/* Parses the options into o, *file and *outp.  Returns 0, CLI_HELP's
 * exit (-1: help printed) or EXIT_USAGE. */
static int parse(int argc, char **argv, shrink_opts_t *o, int *have_seed,
                 const char **file, const char **outp)
{
    static const cli_opt_t opts[] = {{"--variant", 1}, {"--seed", 1},
                                     {"--invariant", 1}, {"--max-runs", 1},
                                     {"-o", 1}};
    cli_args_t a;
    const char *val;
    uint64_t n;
    int k, rc;
    cli_args_init(&a, CMD, argc, argv, opts, SIM_ARRAY_LEN(opts));
    while ((k = cli_next(&a, &val)) != CLI_END) {
        switch (k) {
        case CLI_ERR:
            return EXIT_USAGE;
        case CLI_HELP:
            return cli_help(CMD, stdout) ? EXIT_USAGE : -1;
        case CLI_ARG:
            if (*file)
                return cli_usage(CMD, "one FILE only, not also '%s'", val);
            *file = val;
            break;
        case 0:
            o->variant = val;
            break;
        case 1:
            if ((rc = cli_u64(CMD, "--seed", val, &o->seed)) != 0)
                return rc;
            *have_seed = 1;
            break;
        case 2:
            if (!known_invariant(val))
                return cli_usage(CMD, "--invariant %s: no such invariant "
                                      "(rddsim list invariants)", val);
            o->invariant = val;
            break;
        case 3:
            if ((rc = cli_u64(CMD, "--max-runs", val, &n)) != 0)
                return rc;
            if (n == 0 || n > 1000000)
                return cli_usage(CMD, "--max-runs %s: out of range "
                                      "(1..1000000)", val);
            o->max_runs = (int)n;
            break;
        default:
            *outp = val;
            break;
        }
    }
    if (!*file)
        return cli_usage(CMD, "needs a scenario FILE");
    return 0;
}

int cli_shrink(int argc, char **argv)
{
    const char *file = NULL, *outp = NULL;
    shrink_opts_t o;
    shrink_report_t *r;
    scenario_t *sc, *min;
    cli_file_t of;
    char msg[1024];
    uint64_t t0;
    int rc, have_seed = 0, ret = 0;
    memset(&o, 0, sizeof(o));
    if ((rc = parse(argc, argv, &o, &have_seed, &file, &outp)) != 0)
        return rc < 0 ? cli_stdout_check() : rc;
    sc = sim__calloc(2, sizeof(*sc));
    r = sim__calloc(1, sizeof(*r));
    if (!sc || !r) {
        sim__free(sc);
        sim__free(r);
        fprintf(stderr, "rddsim: out of memory\n");
        return EXIT_INTERNAL;
    }
    min = sc + 1;
    if ((ret = cli_load(file, sc, msg, sizeof(msg))) != 0) {
        fprintf(stderr, "%s\n", msg);
        goto out;
    }
    if (!have_seed)
        o.seed = sc->has_seed ? sc->seed : 1;
    t0 = sim_wall_ns();
    rc = shrink_scenario(sc, &o, min, r);
    if (rc == SIM_EINVAL) {
        ret = cli_usage(CMD, "--variant %s: not a variant of %s", o.variant,
                        file);
        goto out;
    }
    if (rc == SIM_ENOTFOUND) {
        printf("%s: %s%s does not fail at seed %" PRIu64 "%s%s: nothing to "
               "shrink\n", file, r->variant[0] ? "variant " : "no variant",
               r->variant, o.seed, o.invariant ? " with " : "",
               o.invariant ? o.invariant : "");
        ret = cli_stdout_check() ? EXIT_INTERNAL : EXIT_MISMATCH;
        goto out;
    }
    if (rc) {
        fprintf(stderr, "rddsim: %s: %s\n", file, sim_strerror(rc));
        ret = EXIT_INTERNAL;
        goto out;
    }
    /* The scenario goes to -o (through OUT.tmp and a rename) or stdout. */
    if ((ret = cli_file_open(&of, "-o", outp ? outp : "-")) != 0)
        goto out;
    rc = shrink_write(min, r, file, of.f);
    if ((ret = cli_file_close(&of, rc == 0)) != 0)
        goto out;
    if (rc) {
        fprintf(stderr, "rddsim: %s: %s\n", file, sim_strerror(rc));
        ret = EXIT_INTERNAL;
        goto out;
    }
    fprintf(outp ? stdout : stderr,
            "shrunk: %d steps -> %d steps, %d faults -> %d, in %d runs, "
            "%.2f s\n"
            "objects: %d -> %d; keeps %s%s%s under %s, seed %" PRIu64 "%s\n",
            r->steps[0], r->steps[1], r->faults[0], r->faults[1], r->runs,
            (double)(sim_wall_ns() - t0) / 1e9, r->objects[0], r->objects[1],
            r->sig.inv, r->sig.inst[0] ? " on " : "", r->sig.inst,
            r->variant, o.seed,
            r->budget_hit ? " (run budget reached: not minimal)" : "");
    ret = cli_stdout_check();
out:
    sim__free(sc);
    sim__free(r);
    return ret;
}
