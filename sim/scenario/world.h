/*
 * world.h: one run of one scenario under one variant.
 *
 * world_run builds the machine (pipe namespace, unix sockets), the Docker
 * daemons, the pipe owners and the RDD instances of the scenario with the
 * variant's flags, schedules the timeline, runs virtual time to the
 * scenario's duration while checking every invariant after every event, and
 * fills a result.  One seed gives one trace, byte for byte.
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <signal.h>
#include <stdio.h>

#include "scenario.h"
#include "sim/invariant.h"

/* Why a run ended before its duration (world_result_t.stop). */
enum { WORLD_STOP_NONE, WORLD_STOP_BUDGET, WORLD_STOP_INTERRUPT };

/* Events one run may take before it is stopped (world_io_t.max_events 0).
 * No shipped scenario comes near it (docs/scenarios.md "Limits"). */
#define WORLD_MAX_EVENTS_DEFAULT 50000000ULL

typedef struct {
    uint64_t seed;
    uint64_t events;
    uint64_t sim_ns;
    uint64_t trace_hash;
    uint64_t trace_events;
    int nviolated;
    char violated[SIM_INV_MAX][8];     /* ids, sorted */
    uint64_t violated_ns[SIM_INV_MAX];
    char why[SIM_INV_MAX][SIM_INV_WHY_MAX];
    int matches;                       /* got == expected, traces too */
    char trace_miss[200];              /* the first trace expectation that
                                          failed, or "" */
    int nstall;                        /* instances whose App ended the run
                                          unsettled, and why, in words */
    char stall[SC_MAX_INSTANCES][1536];
    int stop;                                 /* WORLD_STOP_NONE, WORLD_STOP_BUDGET, WORLD_STOP_INTERRUPT */
} world_result_t;

typedef struct {
    FILE *text;    /* human trace, or NULL */
    FILE *jsonl;   /* JSON Lines trace, or NULL */
    uint64_t max_events;                      /* 0: WORLD_MAX_EVENTS_DEFAULT */
    const volatile sig_atomic_t *interrupt;   /* set (non-zero): stop after the current event */
} world_io_t;

/* Runs sc under variant v with seed.  Returns 0 or SIM_ENOMEM (the result
 * is then meaningless).
 *
 * A run stops early, with the verdict so far, when it has run
 * io->max_events events (the trace gets `sim.run.budget`, res->stop is
 * WORLD_STOP_BUDGET) or when *io->interrupt turns non-zero (checked after
 * every event; the trace gets `sim.run.interrupted`, res->stop is
 * WORLD_STOP_INTERRUPT).  Either way the end-of-run checks (liveness at the
 * end, stalls) are skipped and the trace is closed with `sim.run.end`.
 *
 * Work scheduled at or after the end (an instance or owner start, a
 * timeline step) never runs once the run has ended: teardown drops it
 * (world.c, world_live).  The loader refuses a start later than the
 * duration and warns about one in its last second. */
int world_run(const scenario_t *sc, const sc_variant_t *v, uint64_t seed,
              const world_io_t *io, world_result_t *res);

#endif
