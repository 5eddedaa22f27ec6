/* flags.c: names of the variant flags and presets (see flags.h). */
#include "flags.h"

#include <string.h>

#include "sim/assert.h"

static const char *const names[] = {
#define XX(id, name, what, review) name,
    RDD_FLAG_MAP(XX)
#undef XX
};
static const char *const whats[] = {
#define XX(id, name, what, review) what,
    RDD_FLAG_MAP(XX)
#undef XX
};
static const char *const reviews[] = {
#define XX(id, name, what, review) review,
    RDD_FLAG_MAP(XX)
#undef XX
};

const char *rdd_flag_name(rdd_flag_t f)
{
    SIM_ASSERT(f < RDD_FLAG__COUNT);
    return names[f];
}

const char *rdd_flag_what(rdd_flag_t f)
{
    SIM_ASSERT(f < RDD_FLAG__COUNT);
    return whats[f];
}

const char *rdd_flag_review(rdd_flag_t f)
{
    SIM_ASSERT(f < RDD_FLAG__COUNT);
    return reviews[f];
}

int rdd_flag_by_name(const char *name)
{
    int i;
    for (i = 0; i < RDD_FLAG__COUNT; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

#define F(id) (1ull << RDD_FLAG_##id)
const rdd_preset_t rdd_presets[] = {
    {"head", "RDD as it is at 00f5645 (docs/rdd/README.md)", 0},
    {"fixed", "the review's I1 fix: per-instance pipe in both the endpoint "
              "and the bridge, bind failure surfaced into readiness",
     F(PIPE_PER_INSTANCE) | F(BRIDGE_PIPE_FROM_INSTANCE) |
         F(BIND_FAILURE_SURFACED)},
    /* What an exploration judges the fixes by: every flag that fixes a
     * named finding (not the four that weaken or undo RDD's behaviour:
     * cleanup_waits_on_apireader, no_generation_in_already_clean,
     * cleanup_timeout_5s, no_consistent_list_from_cache). */
    {"all-fixes", "fixed plus every other fix flag: the stalls (§7.6), "
                  "the BATS fixes (I2, S4) and the hazards' (H3-H16)",
     F(PIPE_PER_INSTANCE) | F(BRIDGE_PIPE_FROM_INSTANCE) |
         F(BIND_FAILURE_SURFACED) | F(STARTING_TIMEOUT) |
         F(CRASH_LOOP_BACKOFF) | F(KILL_ORPHAN_ON_EVERY_START) |
         F(SURFACE_CREATE_FAILED) | F(SVC_DELETE_UNREGISTERS_DISTRO) |
         F(RECONCILING_BOUNDED) | F(SCREEN_DRIVER_PID) | F(IS_MSYS) |
         F(BATS_ENDPOINT_FROM_PATHS) | F(DISTRO_PER_INSTANCE) |
         F(CONTEXT_LOCKED_RMW) | F(BRIDGE_ACCEPT_ERROR_CLOSES) |
         F(HOSTSWITCH_DEATH_SURFACED) | F(FINALIZER_CHECKS_DAEMON) |
         F(SWEEP_ONLY_OWNED) | F(ENGINE_QUIESCES_ON_APP_DELETE) |
         F(LOG_DIR_PER_INSTANCE)},
};
const int rdd_presets_len = (int)SIM_ARRAY_LEN(rdd_presets);

const rdd_preset_t *rdd_preset_by_name(const char *name)
{
    int i;
    for (i = 0; i < rdd_presets_len; i++)
        if (!strcmp(rdd_presets[i].name, name))
            return &rdd_presets[i];
    return NULL;
}
