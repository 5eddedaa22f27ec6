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
#include "sim/loop.h"
#include "sim/invariant.h"
#include "sim/trace.h"

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
    uint64_t violated_seq[SIM_INV_MAX]; /* trace seq of the record each
                                          broke after (a deadline: the one
                                          that started its clock) */
    int matches;                       /* got == expected, traces too */
    char trace_miss[200];              /* the first trace expectation that
                                          failed, or "" */
    int nstall;                        /* instances whose App ended the run
                                          unsettled, and why, in words */
    char stall[SC_MAX_INSTANCES][1536];
    int stop;                                 /* WORLD_STOP_NONE, WORLD_STOP_BUDGET, WORLD_STOP_INTERRUPT */
} world_result_t;

struct dock_daemon;
struct npipe_ns;
struct kube_store;

/* Live mode (rddsim serve): what a run exposes to a real-time driver. */
typedef struct {
    sim_loop_t *loop;
    struct npipe_ns *pipes;                  /* the machine's pipe names */
    int ndaemons;
    struct dock_daemon *daemons[SC_MAX_DAEMONS + SC_MAX_INSTANCES];
    int ninstances;                          /* the scenario's instances */
    /* Instance i's apiserver now: its store (NULL before the instance
     * starts), *epoch, which changes whenever the store is replaced (rdd
     * svc delete), and *up, 0 while its service is down.  Call with
     * world. */
    struct kube_store *(*kube_api)(void *world, int i, uint64_t *epoch,
                                   int *up);
    void *world;
} world_live_view_t;

typedef struct {
    /* Once the world is built, before its first event: 0 to run, else an
     * error that ends the run (returned by world_run). */
    int (*built)(void *arg, const world_live_view_t *view);
    /* Runs the loop to until_ns instead of sim_loop_run; before it
     * returns, it lets go of every stream it holds into the world. */
    void (*drive)(void *arg, sim_loop_t *loop, uint64_t until_ns);
    void *arg;
} world_live_t;

typedef struct {
    FILE *text;    /* human trace, or NULL */
    FILE *jsonl;   /* JSON Lines trace, or NULL */
    uint64_t max_events;                      /* 0: WORLD_MAX_EVENTS_DEFAULT */
    const volatile sig_atomic_t *interrupt;   /* set (non-zero): stop after the current event */
    sim_trace_ev_cb on_event; /* each trace event's name, or NULL */
    void *on_event_arg;
    sim_trace_rec_cb on_record; /* each finished trace record, or NULL */
    void *on_record_arg;
    const world_live_t *live;                 /* NULL: virtual time */
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
