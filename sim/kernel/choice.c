/*
 * choice.c: the choice point table and the one draw (see choice.h).
 */
#include "sim/choice.h"

#include <string.h>

#include "sim/trace.h"

static const char *const names[] = {
#define XX(id, name, what) name,
#include "choices.def"
#undef XX
};
static const char *const whats[] = {
#define XX(id, name, what) what,
#include "choices.def"
#undef XX
};

const char *sim_choice_name(sim_choice_t c)
{
    return (unsigned)c < SIM_CHOICE__COUNT ? names[c] : "?";
}

const char *sim_choice_what(sim_choice_t c)
{
    return (unsigned)c < SIM_CHOICE__COUNT ? whats[c] : "?";
}

int sim_choice_by_name(const char *name)
{
    for (int i = 0; i < SIM_CHOICE__COUNT; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int sim_choose(sim_loop_t *loop, sim_rng_t *rng, sim_choice_t c, int pin,
               const char *who)
{
    int pinned = pin != SIM_PIN_NONE;
    int v = pinned ? pin == SIM_PIN_TRUE
                   : sim_rng_chance(rng, (sim_ratio_t){1, 2});
    sim_trace_t *tr = sim_trace_begin(loop, "sim.choice");
    sim_trace_str(tr, "name", sim_choice_name(c));
    sim_trace_str(tr, "value", v ? "true" : "false");
    if (who)
        sim_trace_str(tr, "inst", who);
    sim_trace_i64(tr, "pinned", pinned);
    sim_trace_end(tr);
    return v;
}
