/* alloc.c: the counted, failable allocator behind sim__malloc. */
#include "sim/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"

static unsigned long alloc_count;
static unsigned long alloc_fail_at;

static int should_fail(void)
{
    alloc_count++;
    return alloc_fail_at != 0 && alloc_count >= alloc_fail_at;
}

void *sim__malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *sim__calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *sim__realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

char *sim__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sim__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void sim__free(void *p)
{
    free(p);
}

unsigned long sim_alloc_fail_at(unsigned long fail_at)
{
    unsigned long n = alloc_count;
    alloc_count = 0;
    alloc_fail_at = fail_at;
    return n;
}

void sim__assert_fail(const char *expr, const char *file, int line,
                      const char *func)
{
    fprintf(stderr, "rddsim: internal error: %s:%d: %s: assertion `%s' "
                    "failed\n", file, line, func, expr);
    fflush(stderr);
    _Exit(3); /* the CLI contract: 3 is an internal error */
}
