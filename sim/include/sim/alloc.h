/*
 * alloc.h: every allocation in sim/ and fakes/ goes through sim__malloc and
 * friends, so tests can count allocations and fail the N-th one (the OOM
 * loop of the unit tests).  Library code never calls exit() on failure.
 */
#ifndef SIM_ALLOC_H
#define SIM_ALLOC_H

#include <stddef.h>

#define SIM_FREE(p)                                                            \
    do {                                                                       \
        sim__free(p);                                                          \
        (p) = NULL;                                                            \
    } while (0)

void *sim__malloc(size_t n);
void *sim__calloc(size_t n, size_t size);
void *sim__realloc(void *p, size_t n);
char *sim__strdup(const char *s);
void sim__free(void *p);

/* Test hook: the allocation numbered fail_at (1-based, counted from this
 * call) and all later ones fail until sim_alloc_fail_at(0).  Returns the
 * number of allocations made since the previous call. */
unsigned long sim_alloc_fail_at(unsigned long fail_at);

#endif
