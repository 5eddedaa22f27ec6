/* rng.c: xoshiro256** streams forked by name from the run's seed. */
#include "sim/rng.h"

#include <string.h>

#include "sim/assert.h"

uint64_t sim_fnv1a(const void *buf, uint64_t len, uint64_t h)
{
    const unsigned char *p = buf;
    uint64_t i;
    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void sim_rng_fork(sim_rng_t *r, uint64_t seed, const char *name)
{
    uint64_t st = seed ^ sim_fnv1a(name, strlen(name), SIM_FNV_OFFSET);
    int i;
    for (i = 0; i < 4; i++)
        r->s[i] = sim_splitmix64(&st);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sim_rng_range(sim_rng_t *r, uint64_t lo, uint64_t hi)
{
    SIM_ASSERT(lo <= hi);
    if (lo == 0 && hi == UINT64_MAX)
        return sim_rng_next(r);
    return sim_uniform_from(sim_rng_next(r), lo, hi);
}

int sim_rng_chance(sim_rng_t *r, sim_ratio_t p)
{
    SIM_ASSERT(p.den > 0);
    if (p.num >= p.den)
        return 1;
    if (p.num == 0)
        return 0;
    return sim_rng_range(r, 0, p.den - 1) < p.num;
}
