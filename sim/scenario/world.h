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

#include <stdio.h>

#include "scenario.h"
#include "sim/invariant.h"
#include "sim/trace.h"

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
} world_result_t;

typedef struct {
    FILE *text;    /* human trace, or NULL */
    FILE *jsonl;   /* JSON Lines trace, or NULL */
    sim_trace_ev_cb on_event; /* each trace event's name, or NULL */
    void *on_event_arg;
} world_io_t;

/* Runs sc under variant v with seed.  Returns 0 or SIM_ENOMEM (the result
 * is then meaningless). */
int world_run(const scenario_t *sc, const sc_variant_t *v, uint64_t seed,
              const world_io_t *io, world_result_t *res);

#endif
