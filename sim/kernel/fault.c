/* fault.c: evaluation of armed fault sites (see sim/include/sim/fault.h). */
#include "sim/fault.h"

#include <string.h>

#include "sim/assert.h"
#include "sim/trace.h"

static const char *const site_names[] = {
#define XX(id, name, what) name,
#include "fault_sites.def"
#undef XX
};

static const char *const site_whats[] = {
#define XX(id, name, what) what,
#include "fault_sites.def"
#undef XX
};

void sim_faults_init(sim_faults_t *f)
{
    memset(f, 0, sizeof(*f));
}

void sim_faults_arm(sim_faults_t *f, sim_fault_site_t site,
                    const sim_fault_arm_t *arm, uint64_t seed)
{
    char name[96];
    SIM_ASSERT(site < SIM_FAULT__COUNT);
    f->site[site] = *arm;
    f->site[site].armed = 1;
    f->site[site].calls = f->site[site].fired = 0;
    snprintf(name, sizeof(name), "fault.%s", site_names[site]);
    sim_rng_fork(&f->site[site].rng, seed, name);
}

int sim_fault_by_name(const char *name)
{
    size_t i;
    for (i = 0; i < SIM_FAULT__COUNT; i++)
        if (strcmp(site_names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *sim_fault_name(sim_fault_site_t site)
{
    SIM_ASSERT(site < SIM_FAULT__COUNT);
    return site_names[site];
}

const char *sim_fault_what(sim_fault_site_t site)
{
    SIM_ASSERT(site < SIM_FAULT__COUNT);
    return site_whats[site];
}

int sim_fault(sim_loop_t *loop, sim_fault_site_t site, const char *target)
{
    sim_fault_arm_t *a;
    int fire = 0;
    uint64_t now = sim_now(loop);
    if (!loop->faults)
        return 0;
    a = &loop->faults->site[site];
    if (!a->armed)
        return 0;
    if (loop->faults->heal_ns && now >= loop->faults->heal_ns)
        return 0;
    if (a->target[0] && (!target || strcmp(a->target, target) != 0))
        return 0;
    a->calls++;
    if (a->by_time && now >= a->from_ns && now < a->to_ns)
        fire = 1;
    if (!fire && a->by_count && a->calls > a->after &&
        (a->repeat == 0 || a->calls <= a->after + a->repeat))
        fire = 1;
    if (!fire && a->chance.den)
        fire = sim_rng_chance(&a->rng, a->chance);
    if (fire) {
        sim_trace_t *tr = sim_trace_begin(loop, "fault.fire");
        a->fired++;
        sim_trace_str(tr, "site", site_names[site]);
        sim_trace_str(tr, "target", target ? target : "");
        sim_trace_u64(tr, "n", a->fired);
        sim_trace_end(tr);
    }
    return fire;
}

uint64_t sim_fault_range(sim_loop_t *loop, sim_fault_site_t site,
                         uint64_t lo, uint64_t hi)
{
    if (!loop->faults)
        return lo;
    return sim_rng_range(&loop->faults->site[site].rng, lo, hi);
}
