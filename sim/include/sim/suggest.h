/*
 * suggest.h: "did you mean" for a misspelt name.
 *
 * sim_suggest(word, cands, n) returns the candidate nearest to word by edit
 * distance (insert, delete, substitute, and swap of two adjacent
 * characters, each costing 1: "deamon" -> "daemon" is 1), provided that
 * distance is at most max(1, strlen(word) / 3); otherwise NULL.  Equal
 * distances go to the candidate listed first, so the answer depends only on
 * the inputs.  A NULL entry in cands is skipped.  Words or candidates
 * longer than SIM_SUGGEST_MAX characters are never suggested.  No
 * allocation; usable from any layer.
 *
 *     static const char *const keys[] = {"kind", "name", "daemon"};
 *     const char *s = sim_suggest("deamon", keys, 3);   // "daemon"
 */
#ifndef SIM_SUGGEST_H
#define SIM_SUGGEST_H

#include <stddef.h>

#define SIM_SUGGEST_MAX 127

const char *sim_suggest(const char *word, const char *const *cands, size_t n);

#endif
