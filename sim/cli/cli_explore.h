/*
 * cli_explore.h: the parts of `rddsim explore` (docs/explore.md).
 *
 *   cli_explore.c       options, --emit, --worker, the sweep, merge
 *   cli_explore_pool.c  worker processes under libuv: seeds out, JSON
 *                       lines back, per-seed timeout, crash and hang
 *   cli_explore_agg.c   seed lines in seed order -> seeds.jsonl and
 *                       the deduplicated findings, their files, the table
 *   cli_explore_bench.c rddsim bench explore: seeds/s and its phases
 *
 * A seed line (seeds.jsonl, and what a worker writes) is one compact JSON
 * object, keys in this order:
 *   {"seed":N,"events":E,"hash":{"V":"016x",...},
 *    "find":[{"variant":"V","inv":"S1","site":"dock.call.done",
 *             "at_ns":T},...]}
 * A crash or hang is {"seed":N,"find":[{"variant":"*","inv":"CRASH",
 * "site":"SIGABRT","at_ns":0}]} ("HANG", "timeout").  Variant "*" means
 * every variant of the sweep.
 */
#ifndef SIM_CLI_EXPLORE_H
#define SIM_CLI_EXPLORE_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "explore/sweep.h"

#define XV_MAX SC_MAX_VARIANTS

/* options and the sweep (cli_explore.c) ---------------------------------*/

typedef struct {
    const char *profile;     /* as given (a name or a path), or NULL */
    char profile_path[CLI_PATH_MAX]; /* resolved */
    uint64_t seeds, first, for_ns, timeout_ns, emit_seed;
    int have_seeds, have_for, have_emit, jobs, resume, shrink, worker;
    uint64_t shard_i, shard_n;
    const char *variants[XV_MAX];
    int nvariants;
    const char *out;
    int bench;               /* no directory, no table: the numbers below */
    uint64_t bench_wall_ns, bench_events, bench_seeds;
} xopts_t;

/* Resolves o->profile and loads it; 0, or EXIT_USAGE after
 * "file:line:col: what" (EXIT_INTERNAL when out of memory). */
int xcli_load_profile(xopts_t *o, xprofile_t **p);

/* No --variant given: head and the profile's clean variants. */
void xcli_default_variants(xopts_t *o, const xprofile_t *p);

/* The sweep as o says, self the executable the workers run.  Returns the
 * command's exit code. */
int xcli_sweep(xopts_t *o, const xprofile_t *p, char *self);

/* rddsim bench explore (cli_explore_bench.c). */
int cli_explore_bench(int argc, char **argv);

/* pool (cli_explore_pool.c) ----------------------------------------------*/

typedef struct {
    char **argv;             /* the worker's command line (argv[0] the exe) */
    int jobs;                /* worker processes */
    uint64_t timeout_ns;     /* per seed */
    /* The next seed to hand out: 1 and *seed, or 0 when there is none. */
    int (*next)(void *arg, uint64_t *seed);
    /* A seed's line (NUL-terminated, no newline), in completion order. */
    void (*done)(void *arg, uint64_t seed, const char *line);
    void *arg;
    int *bad_exits;          /* out (or NULL): workers that exited non-zero
                                after their last seed (a leak report) */
} xpool_opts_t;

/* Runs until next has no seed and every seed is done (each worker is
 * then sent EOF and exits by itself, so its sanitizers' exit checks run),
 * or until SIGINT / SIGTERM (then outstanding seeds are dropped, not reported).  Returns 0,
 * the signal number, or -1 after a message (a worker could not start). */
int xpool_run(const xpool_opts_t *o);

/* "SIGSEGV" for a signal number, "SIG<n>" otherwise, into buf. */
const char *xsig_name(int sig, char *buf, size_t len);

/* aggregation (cli_explore_agg.c) ----------------------------------------*/

typedef struct {
    char inv[8];
    char site[XSWEEP_SITE_MAX];
    char ev[XSWEEP_EV_MAX];  /* the event it broke after, at first_seed */
    const char *label;       /* xknown's */
    uint64_t first_seed;
    uint64_t hits;           /* seeds */
    uint64_t vmask;          /* variants (bit per sweep variant) */
    char file[160];          /* findings/<file>.yaml */
} xagg_find_t;

typedef struct {
    const char *variants[XV_MAX];
    int nvariants;
    xagg_find_t *f;
    int n, cap;
    uint64_t seeds, events;
    FILE *seeds_out;         /* seeds.jsonl, or NULL */
    int oom;
} xagg_t;

/* Adds one seed's line (seeds must come in increasing order): written to
 * seeds_out and folded into the findings.  Returns 0, or -1 when the line
 * is no seed line (*seed untouched). */
int xagg_add(xagg_t *a, const char *line, uint64_t *seed);

/* The finding's variants as "head,fixed" into buf. */
const char *xagg_variants(const xagg_t *a, const xagg_find_t *f, char *buf,
                          size_t len);

/* 1 when f appears under one of the clean variants. */
int xagg_dirty(const xagg_t *a, const xagg_find_t *f,
               const char *const *clean, int nclean);

/* Writes each finding's scenario (its first seed, emitted; shrunk first
 * when shrink) to dir/findings/, then dir/findings.jsonl.  Returns 0, or
 * -1 after a message. */
int xagg_write(xagg_t *a, const xprofile_t *p, const char *dir, int shrink);

/* 1 when f is the simulator's own failure, not a hazard: a worker that
 * crashed or hung, or a world the loader refused (CRASH, HANG, LOAD). */
int xagg_broken(const xagg_find_t *f);

/* The summary table on f. */
void xagg_table(const xagg_t *a, const char *dir, FILE *f);

void xagg_free(xagg_t *a);

#endif
