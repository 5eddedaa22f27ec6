/*
 * fault.h: named fault sites, armed from the scenario.
 *
 * Model code asks at each site whether to fail:
 *     if (SIM_FAULT(loop, SIM_FAULT_DOCK_PING_UNAVAILABLE, daemon_name))
 *         return dock__err500(...);
 * The master switch is off: a site fires only if the scenario armed it,
 * by probability (chance: "1/50"), by countdown (fail after N calls, M
 * times), or in a time window (force from..to).  A target, when armed,
 * restricts the site to calls whose target string equals it.  Each site
 * draws from its own RNG stream "fault.<name>", so arming one shifts no
 * other.  Each firing traces `fault.fire site=<name> target=<t>`.
 */
#ifndef SIM_FAULT_H
#define SIM_FAULT_H

#include <stdint.h>

#include "sim/loop.h"
#include "sim/rng.h"

typedef enum {
#define XX(id, name, what) SIM_FAULT_##id,
#include "fault_sites.def"
#undef XX
    SIM_FAULT__COUNT
} sim_fault_site_t;

typedef struct {
    int armed;              /* public */
    char target[64];        /* public: "" matches every call */
    sim_ratio_t chance;     /* public: den 0 = not by chance */
    uint64_t after;         /* public: countdown: calls that pass first */
    uint64_t repeat;        /* public: then this many fail (0 = forever) */
    int by_count;           /* public: countdown armed */
    uint64_t from_ns;       /* public: force window start */
    uint64_t to_ns;         /* public: force window end (exclusive) */
    int by_time;            /* public: window armed */
    uint64_t calls;         /* read-only: evaluations that matched target */
    uint64_t fired;         /* read-only */
    sim_rng_t rng;          /* private */
} sim_fault_arm_t;

typedef struct sim_faults {
    sim_fault_arm_t site[SIM_FAULT__COUNT];
    uint64_t heal_ns;       /* public: from this time on no site fires or
                               counts a call (0: never heals) */
} sim_faults_t;

void sim_faults_init(sim_faults_t *f);

/* Arms a site; `arm` is copied; its stream is forked from seed. */
void sim_faults_arm(sim_faults_t *f, sim_fault_site_t site,
                    const sim_fault_arm_t *arm, uint64_t seed);

/* Looks a site up by its name ("kube.update.conflict"); -1 if unknown. */
int sim_fault_by_name(const char *name);
const char *sim_fault_name(sim_fault_site_t site);
const char *sim_fault_what(sim_fault_site_t site);

/* True when the site fires for this call.  target may be NULL.  Never
 * at or after heal_ns (when set). */
int sim_fault(sim_loop_t *loop, sim_fault_site_t site, const char *target);
#define SIM_FAULT(loop, id, target) sim_fault((loop), SIM_FAULT_##id, (target))

/* A value uniform in [lo, hi] from the site's own stream (e.g. how long
 * the failure lasts), for the caller whose sim_fault just fired; lo when
 * no faults are attached. */
uint64_t sim_fault_range(sim_loop_t *loop, sim_fault_site_t site,
                         uint64_t lo, uint64_t hi);

#endif
