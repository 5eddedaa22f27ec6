/*
 * sweep.h: one seed of an exploration, and the findings a sweep collects
 * (docs/explore.md).
 *
 * xrun_seed draws the world of (profile, seed) with xgen_world, writes it
 * with sc_emit, loads that text back with scenario_load_buffer (so what
 * runs is exactly the file a finding hands back) and runs every variant
 * with world_run, in-process, within an event budget.  Each violation
 * becomes a signature:
 *   - inv:  the invariant id ("S1");
 *   - site: the first cause as the invariant names it: the violation's
 *           sentence with what varies from world to world masked
 *           (xcause: instance names, numbers, ids, owner and daemon
 *           names), e.g. "INST reports ContainerEngineReady
 *           True/Connected although its bridge failed: socket-bridge:
 *           listen on \\.\pipe\docker_engine: open ...: Access is
 *           denied.";
 *   - ev:   the trace event after which it broke (the record its
 *           after_seq names; for a deadline, the one that started its
 *           clock), e.g. "dock.call.done": kept for the reader, not part
 *           of the signature.
 * Two findings are the same when (inv, site) are equal, whatever the
 * seed, variant or instance.  Two more come from the seed itself: inv
 * "BUDGET" (site "max_events": a variant ran XSWEEP_MAX_EVENTS events)
 * and inv "LOAD" (variant "*", site the loader's message: the generator
 * wrote a file the loader refuses).
 *
 * A sweep (sweep.c, the CLI's `rddsim explore`) hands seeds to worker
 * processes (uv_spawn; a worker is `rddsim explore --worker ...`, seeds in
 * and one JSON line per seed out over uv_pipe), each seed under a
 * wall-clock timeout (uv_timer).  A worker that crashes, hangs or trips a
 * sanitizer is itself a finding with its seed: inv "CRASH" or "HANG", site
 * the signal name ("SIGSEGV") or "timeout".  Results are merged in seed
 * order, so the output is the same whatever --jobs is.
 *
 * The known-hazard table (known.def) labels a signature with the review's
 * or docs/hazards.md's id ("I1", "H5", "L1"); the rest are "NEW".
 */
#ifndef SIM_EXPLORE_SWEEP_H
#define SIM_EXPLORE_SWEEP_H

#include <stdint.h>

#include "explore/gen.h"

#define XSWEEP_MAX_FIND 32
#define XSWEEP_SITE_MAX 160
#define XSWEEP_EV_MAX 64
/* Events one variant of one seed may take; a run that reaches it is the
 * finding inv "BUDGET", site "max_events" (a model that never settles). */
#define XSWEEP_MAX_EVENTS 10000000ULL

typedef struct {
    char variant[SC_NAME_MAX * 2];
    char inv[8];
    char site[XSWEEP_SITE_MAX];
    char ev[XSWEEP_EV_MAX];
    uint64_t at_ns;
} xfind_t;

typedef struct {
    uint64_t seed;
    int nvariants;
    uint64_t trace_hash[SC_MAX_VARIANTS];  /* per variant, in order */
    uint64_t events;                       /* summed over variants */
    int budget_hit;                        /* a variant hit the budget */
    int nfind;
    xfind_t find[XSWEEP_MAX_FIND];         /* time, then id order */
} xseed_result_t;

/* Runs one seed.  Returns 0, SIM_EINVAL (an unknown variant) or
 * SIM_ENOMEM.  No clock is read: the result depends on (p, seed,
 * variants) only.  When yaml is not NULL, *yaml gets the emitted scenario
 * (malloc'd, NUL-terminated; the caller frees it). */
int xrun_seed(const xprofile_t *p, uint64_t seed,
              const char *const *variants, int nvariants,
              xseed_result_t *r, char **yaml);

/* A violation's sentence with what varies between worlds masked, cut to
 * XSWEEP_SITE_MAX - 1 bytes, into out: "rancher-desktop-<x>" -> INST,
 * "RDD-VM-ENGINE-<x>" -> RDD-VM-ENGINE-*, "vm-<x>" -> vm-*, a run of 12
 * or more hex digits -> ID, any other number (a fraction included) -> #,
 * and the object a kind or a Docker call names ("Container web",
 * "ContainerRemove(force) web") -> *. */
void xcause(const char *why, char *out, size_t len);

/* The known hazard a signature matches ("I1", "L1", "H5", ...), or
 * "NEW": the first row of known.def whose inv is equal and whose site
 * pattern matches (exact, "*", or "prefix*"). */
const char *xknown(const char *inv, const char *site);

#endif
