/*
 * suggest.h: "did you mean" for a misspelt name.
 *
 *   static const char *const names[] = {"head", "fixed"};
 *   const char *s = sim_suggest("fixd", names, 2);   -> "fixed"
 *
 * The nearest candidate by edit distance (Levenshtein: insert, delete,
 * substitute, each 1), when that distance is at most max(1, strlen(word)/3);
 * ties go to the earlier candidate (word itself, when it is one).  NULL
 * when nothing is that near or word is empty.
 */
#ifndef SIM_SUGGEST_H
#define SIM_SUGGEST_H

#include <stddef.h>

const char *sim_suggest(const char *word, const char *const *cands, size_t n);

#endif
