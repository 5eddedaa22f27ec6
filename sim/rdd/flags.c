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
