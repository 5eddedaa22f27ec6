/*
 * choice.h: named choice points (sim/choices.def).
 *
 * A choice point is pinned by the scenario (SIM_PIN_FALSE, SIM_PIN_TRUE)
 * or drawn from the caller's own seeded stream (SIM_PIN_NONE).  Either
 * way sim_choose traces `sim.choice name=<name> value=<true|false>
 * [inst=<who>] pinned=<0|1>` and returns the value.
 */
#ifndef SIM_CHOICE_H
#define SIM_CHOICE_H

#include "sim/loop.h"
#include "sim/rng.h"

typedef enum {
#define XX(id, name, what) SIM_CHOICE_##id,
#include "choices.def"
#undef XX
    SIM_CHOICE__COUNT
} sim_choice_t;

enum { SIM_PIN_NONE = 0, SIM_PIN_FALSE = 1, SIM_PIN_TRUE = 2 };

const char *sim_choice_name(sim_choice_t c);
const char *sim_choice_what(sim_choice_t c);
int sim_choice_by_name(const char *name); /* -1 if unknown */

/* The outcome of choice point c: pin (SIM_PIN_*) or, unpinned, a fair
 * draw from rng.  who (may be NULL) names the instance in the trace. */
int sim_choose(sim_loop_t *loop, sim_rng_t *rng, sim_choice_t c, int pin,
               const char *who);

#endif
