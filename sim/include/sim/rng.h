/*
 * rng.h: seeded random streams.  There is no shared or unseeded generator.
 *
 * A run has one uint64 seed.  Named streams are forked from it with
 * sim_rng_fork(seed, "dock.dd.latency"): the name is hashed, so adding a
 * stream shifts no other.  Streams are xoshiro256** seeded through
 * splitmix64.  The DES benchmarks use splitmix64 streams exactly as
 * docs/benchmarks.md defines them.  Probabilities are
 * integer ratios; no floats touch a decision.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint64_t s[4]; /* private: xoshiro256** state */
} sim_rng_t;

typedef struct {
    uint64_t num; /* public */
    uint64_t den; /* public: > 0 */
} sim_ratio_t;

/* splitmix64 as docs/benchmarks.md defines it: advances *state. */
static inline uint64_t sim_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* lo + floor(x * (hi - lo + 1) / 2^64), inclusive (docs/benchmarks.md). */
static inline uint64_t sim_uniform_from(uint64_t x, uint64_t lo, uint64_t hi)
{
    unsigned __int128 p = (unsigned __int128)x * (hi - lo + 1);
    return lo + (uint64_t)(p >> 64);
}

/* 64-bit FNV-1a of a string; used to name streams and hash traces. */
uint64_t sim_fnv1a(const void *buf, uint64_t len, uint64_t h);
#define SIM_FNV_OFFSET 0xcbf29ce484222325ULL

/* Folds n bytes into h, 8 at a time (little endian, the last word padded
 * with zeros and tagged with its length): a multiply and a shift-xor per
 * word, several times cheaper than byte-wise FNV-1a.  The trace hash
 * (sim/kernel/trace.c) and hash tables use it; the same value on every
 * build.  Inline: the trace folds every record. */
static inline uint64_t sim_hash_fold(const void *buf, size_t n, uint64_t h)
{
    const unsigned char *p = buf;
    const uint64_t k = UINT64_C(0x9e3779b97f4a7c15);
    uint64_t w;
    size_t i;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    w = (uint64_t)n << 56;
    for (i = n; i-- > 0;)
        w |= (uint64_t)p[i] << (8 * i);
    h = (h ^ w) * k;
    h ^= h >> 29;
    return h;
}

/* Seeds r from seed and name.  The same (seed, name) gives the same stream
 * on every build. */
void sim_rng_fork(sim_rng_t *r, uint64_t seed, const char *name);

uint64_t sim_rng_next(sim_rng_t *r);

/* Uniform in [lo, hi], inclusive. */
uint64_t sim_rng_range(sim_rng_t *r, uint64_t lo, uint64_t hi);

/* True with probability num/den. */
int sim_rng_chance(sim_rng_t *r, sim_ratio_t p);

#endif
