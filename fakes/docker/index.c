/*
 * index.c: string -> position tables over the daemon's arrays (see
 * docker_int.h), so that finding a container by ID or name, an image by
 * ID or tag and a volume by name costs O(1) instead of a strcmp scan.
 *
 * Open addressing with linear probing over sim_hash_fold of the key; a slot
 * holds position + 1.  Lookups only: the table is never iterated, so its
 * layout decides nothing (determinism).  Positions are added in increasing
 * order and never deleted one by one, so among equal keys the first added
 * (the first in insertion order, as the scans it replaces found) is met
 * first on its probe path.  When positions move (a removal's memmove, an
 * untag) the owner marks the table stale and it is rebuilt on the next
 * lookup.  If memory runs out the table stays stale and lookups scan.
 */
#include <string.h>

#include "docker/docker_int.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/rng.h"

static uint64_t fnv1a(const char *s)
{
    return sim_hash_fold(s, strlen(s), SIM_FNV_OFFSET);
}

void dock__ix_free(dock__index_t *ix)
{
    SIM_FREE(ix->slot);
    ix->cap = ix->n = 0;
    ix->stale = 0;
}

void dock__ix_stale(dock__index_t *ix)
{
    ix->stale = 1;
}

static void put(dock__index_t *ix, const char *k, uint32_t v)
{
    size_t i = (size_t)fnv1a(k) & (ix->cap - 1);
    while (ix->slot[i])
        i = (i + 1) & (ix->cap - 1);
    ix->slot[i] = v + 1;
    ix->n++;
}

/* A table of cap slots holding positions 0..nvals-1.  0 or SIM_ENOMEM. */
static int rebuild(dock__index_t *ix, const dock_daemon_t *d,
                   dock__key_fn key, size_t nvals, size_t cap)
{
    uint32_t *slot = sim__calloc(cap, sizeof(*slot));
    size_t v;
    if (!slot)
        return SIM_ENOMEM;
    sim__free(ix->slot);
    ix->slot = slot;
    ix->cap = cap;
    ix->n = 0;
    for (v = 0; v < nvals; v++) {
        const char *k = key(d, (uint32_t)v);
        if (k)
            put(ix, k, (uint32_t)v);
    }
    ix->stale = 0;
    return 0;
}

static size_t cap_for(size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    return cap;
}

int dock__ix_add(dock__index_t *ix, const dock_daemon_t *d, dock__key_fn key,
                 size_t nvals, uint32_t v)
{
    const char *k = key(d, v);
    if (ix->stale || !k)
        return 0; /* rebuilt (with v) on the next lookup */
    if (2 * (ix->n + 1) > ix->cap) {
        /* v is already in the array: the rebuild takes it in. */
        if (rebuild(ix, d, key, nvals, cap_for(ix->n + 1))) {
            ix->stale = 1;
            return SIM_ENOMEM;
        }
        return 0;
    }
    put(ix, k, v);
    return 0;
}

long dock__ix_find(dock__index_t *ix, const dock_daemon_t *d,
                   dock__key_fn key, size_t nvals, const char *s)
{
    size_t i, v;
    if (!s)
        return -1;
    if ((ix->stale || !ix->slot) &&
        rebuild(ix, d, key, nvals, cap_for(nvals))) {
        ix->stale = 1;
        for (v = 0; v < nvals; v++) { /* out of memory: scan */
            const char *k = key(d, (uint32_t)v);
            if (k && strcmp(k, s) == 0)
                return (long)v;
        }
        return -1;
    }
    i = (size_t)fnv1a(s) & (ix->cap - 1);
    while (ix->slot[i]) {
        uint32_t p = ix->slot[i] - 1;
        const char *k = p < nvals ? key(d, p) : NULL;
        if (k && strcmp(k, s) == 0)
            return (long)p;
        i = (i + 1) & (ix->cap - 1);
    }
    return -1;
}

const char *dock__key_ctr_id(const dock_daemon_t *d, uint32_t v)
{
    return v < d->nctrs ? d->ctrs[v].id : NULL;
}

const char *dock__key_ctr_name(const dock_daemon_t *d, uint32_t v)
{
    return v < d->nctrs ? d->ctrs[v].name : NULL;
}

const char *dock__key_img_id(const dock_daemon_t *d, uint32_t v)
{
    return v < d->nimgs ? d->imgs[v].id : NULL;
}

const char *dock__key_img_tag(const dock_daemon_t *d, uint32_t v)
{
    uint32_t i = v / DOCK_TAGS_MAX, t = v % DOCK_TAGS_MAX;
    return i < d->nimgs && (int)t < d->imgs[i].ntags ? d->imgs[i].tags[t]
                                                     : NULL;
}

const char *dock__key_vol(const dock_daemon_t *d, uint32_t v)
{
    return v < d->nvols ? d->vols[v].name : NULL;
}
