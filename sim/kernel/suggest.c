/*
 * suggest.c: the nearest name by edit distance (see suggest.h).
 *
 * Optimal string alignment distance (Levenshtein plus adjacent
 * transposition), three rolling rows on the stack, and an early exit once a
 * whole row exceeds the bound.
 */
#include "sim/suggest.h"

#include <string.h>

/* Distance between a and b, or limit + 1 if it exceeds limit. */
static size_t osa(const char *a, size_t la, const char *b, size_t lb,
                  size_t limit)
{
    size_t r0[SIM_SUGGEST_MAX + 2], r1[SIM_SUGGEST_MAX + 2],
        r2[SIM_SUGGEST_MAX + 2];
    size_t *pp = r0, *p = r1, *c = r2, *t;
    size_t i, j;
    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    for (j = 0; j <= lb; j++)
        p[j] = j;
    for (i = 1; i <= la; i++) {
        size_t best;
        c[0] = best = i;
        for (j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = p[j - 1] + cost;
            if (p[j] + 1 < v)
                v = p[j] + 1;
            if (c[j - 1] + 1 < v)
                v = c[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            c[j] = v;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return limit + 1;
        t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb];
}

const char *sim_suggest(const char *word, const char *const *cands, size_t n)
{
    size_t lw, limit, i, best_d;
    const char *best = NULL;
    if (!word || !cands)
        return NULL;
    lw = strlen(word);
    if (lw > SIM_SUGGEST_MAX)
        return NULL;
    limit = lw / 3 > 1 ? lw / 3 : 1;
    best_d = limit + 1;
    for (i = 0; i < n; i++) {
        size_t lc, d;
        if (!cands[i] || (lc = strlen(cands[i])) > SIM_SUGGEST_MAX)
            continue;
        d = osa(word, lw, cands[i], lc, best_d - 1 < limit ? best_d - 1
                                                             : limit);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best;
}
