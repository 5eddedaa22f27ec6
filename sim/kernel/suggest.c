/* suggest.c: the nearest name by edit distance (see sim/suggest.h). */
#include "sim/suggest.h"

#include <string.h>

#define SUGGEST_LEN_MAX 128 /* longer words or candidates are not compared */

/* Levenshtein distance with two rows; stops early past limit. */
static size_t distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    size_t row[SUGGEST_LEN_MAX + 1], prev[SUGGEST_LEN_MAX + 1];
    if (la > SUGGEST_LEN_MAX || lb > SUGGEST_LEN_MAX)
        return limit + 1;
    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    for (j = 0; j <= lb; j++)
        prev[j] = j;
    for (i = 1; i <= la; i++) {
        size_t best = row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? sub : del;
            if (ins < row[j])
                row[j] = ins;
            if (row[j] < best)
                best = row[j];
        }
        if (best > limit)
            return limit + 1;
        memcpy(prev, row, (lb + 1) * sizeof(row[0]));
    }
    return prev[lb];
}

const char *sim_suggest(const char *word, const char *const *cands, size_t n)
{
    size_t limit, i, best_d;
    const char *best = NULL;
    if (!word || !*word)
        return NULL;
    limit = strlen(word) / 3;
    if (limit < 1)
        limit = 1;
    best_d = limit + 1;
    for (i = 0; i < n; i++) {
        size_t d;
        if (!cands[i])
            continue;
        d = distance(word, cands[i], limit);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best;
}
