/*
 * shrink.h: a failing scenario cut down to the smallest one that still
 * fails the same way (docs/shrink.md).
 *
 * The target is the signature of one violation under one variant and one
 * seed: the invariant id, its first cause as the invariant words it (the
 * sentence masked by xcause, sweep.h: the signature `rddsim explore`
 * dedups by) and the RDD instance the sentence names.  Without an
 * invariant given, the target is the run's first violation (earliest
 * time, then id order), and a candidate keeps it only if that violation
 * is still its first; with one given, the candidate only has to violate
 * it with the same cause on the same instance.
 *
 * shrink_scenario works in three phases, every candidate one in-process
 * world_run at the same seed:
 *   1. the duration cut to the violation's time (whole seconds) plus
 *      SHRINK_SETTLE_NS;
 *   2. ddmin (complements, doubling granularity) over the scenario's
 *      parts: instances, owners, daemons, faults, timeline steps,
 *      containers, images, volumes (daemons' and VMs'), env keys and
 *      apiserver lag spikes; removing a part removes whatever names it
 *      (an owner's steps, a daemon's owners, an instance's steps);
 *   3. simplification: steps earlier and onto whole seconds, fault and
 *      spike windows shorter, lags smaller, chance faults forced (1/1),
 *      heal dropped without faults (else on a whole second), container
 *      counts down, every seeded choice point pinned (false, else true),
 *      and the duration cut again.
 * Each candidate runs no longer than the original's duration and within
 * an event budget of 4 x the original's events + 100000 (a candidate that
 * loops is dropped, not waited for); at most opts->max_runs runs.
 * The same input gives the same output: no clock, no unseeded draw.
 */
#ifndef SIM_EXPLORE_SHRINK_H
#define SIM_EXPLORE_SHRINK_H

#include <stdint.h>
#include <stdio.h>

#include "scenario/scenario.h"
#include "scenario/world.h"

#define SHRINK_SETTLE_NS (10 * SIM_NS_PER_S)

typedef struct {
    uint64_t seed;           /* the run's seed */
    const char *variant;     /* NULL: the first variant that fails */
    const char *invariant;   /* NULL: the first violation */
    int max_runs;            /* 0: 4000 */
} shrink_opts_t;

typedef struct {
    char inv[8];             /* the invariant id */
    char inst[64];           /* the instance its sentence names, or "" */
    char cause[160];         /* its first cause: the sentence masked
                                (xcause, sweep.h) */
    uint64_t at_ns;          /* when it was violated */
} shrink_sig_t;

/* What the shrink found and did (read-only for the caller). */
typedef struct {
    char variant[SC_NAME_MAX * 2];
    uint64_t seed;
    shrink_sig_t sig;              /* in the original */
    uint64_t orig_hash, min_hash;  /* trace hashes */
    uint64_t min_at_ns;            /* the violation in the minimal one */
    int steps[2], faults[2], objects[2]; /* before, after */
    int runs;                      /* candidate runs (the first included) */
    int budget_hit;                /* max_runs ended the search early */
    char removed[8192];            /* what ddmin removed, in words */
    char simplified[4096];         /* what phase 3 changed, in words */
} shrink_report_t;

/* Objects in a scenario: daemons, owners, instances, containers (with
 * their counts), images and volumes. */
int shrink_objects(const scenario_t *sc);

/* Shrinks sc into *out (caller-allocated).  Returns 0; SIM_EINVAL when
 * opts->variant names no variant of sc; SIM_ENOTFOUND when the variant
 * (or, without one, every variant) violates nothing, or not
 * opts->invariant; SIM_ENOMEM.  r->variant is the variant shrunk under
 * (also when SIM_ENOTFOUND is about one variant).  *out has that one
 * variant, expecting exactly what the minimal run violates, and its seed. */
int shrink_scenario(const scenario_t *sc, const shrink_opts_t *opts,
                    scenario_t *out, shrink_report_t *r);

/* Writes the minimal scenario with a header that says what was removed
 * and simplified, the signature and the original's hash.  src is the
 * original's path.  Returns 0 or sc_emit's error. */
int shrink_write(const scenario_t *min, const shrink_report_t *r,
                 const char *src, FILE *out);

#endif
