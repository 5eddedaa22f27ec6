/*
 * invariant.h: named safety and liveness checks, run after every event.
 *
 * An invariant is a check function that returns 0 when it holds, or 1 and
 * a sentence saying what happened.  sim_inv_check() runs every registered
 * check; the first violation of each invariant is recorded with the
 * simulated time and the trace event that broke it (later ones only count);
 * a bound in time is dated at its deadline (sim_inv_due).
 * Checks must be cheap: they run after every event, so they keep cursors
 * into append-only logs instead of rescanning the world.  A check may also
 * be flagged end-only (liveness: "by the end of the run ...").
 */
#ifndef SIM_INVARIANT_H
#define SIM_INVARIANT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/loop.h"

#define SIM_INV_MAX 32
#define SIM_INV_WHY_MAX 512
#define SIM_INV_LINKS 6 /* sim_inv_link: links per violation, at most */

/* Returns 0 if it holds, 1 if violated (with a sentence in why). */
typedef int (*sim_inv_check_cb)(void *ctx, char *why, size_t why_len);

typedef struct {
    const char *id;         /* public: "S1" */
    const char *title;      /* public: "daemon ownership" */
    sim_inv_check_cb check; /* public */
    void *ctx;              /* public */
    int end_only;           /* public: checked only by sim_inv_check_end */
    uint64_t violations;    /* read-only: 1 once it failed (a failed
                               invariant is not checked again) */
    uint64_t first_ns;      /* read-only: time of the first violation (a
                               deadline's own time, see sim_inv_due) */
    uint64_t first_seq;     /* read-only: trace seq of the breaking event
                               (for a deadline: the one that started its
                               clock) */
    char first_ev[64];      /* read-only: its name */
    char why[SIM_INV_WHY_MAX]; /* read-only: the first sentence */
} sim_inv_entry_t;

typedef struct sim_inv {
    sim_inv_entry_t e[SIM_INV_MAX]; /* private */
    int n;                          /* read-only */
    sim_loop_t *loop;               /* private */
    int due_set;                    /* private: sim_inv_due was called */
    uint64_t due_ns, due_seq;       /* private */
    int nlinks;                     /* private: sim_inv_link */
    const char *link_key[SIM_INV_LINKS]; /* private */
    uint64_t link_seq[SIM_INV_LINKS];    /* private */
    uint64_t checked_seq;           /* private: the trace's last seq when
                                       the last checks ended */
    uint64_t blame_seq;             /* private: what those checks blamed */
    char blame_ev[64];              /* private */
} sim_inv_t;

void sim_inv_init(sim_inv_t *inv, sim_loop_t *loop);

/* Registers a check.  Returns 0 or SIM_ERANGE when full. */
int sim_inv_add(sim_inv_t *inv, const char *id, const char *title,
                sim_inv_check_cb check, void *ctx, int end_only);

/* Runs every check that is not end-only (use as the loop's after_event). */
void sim_inv_check(sim_inv_t *inv);

/* Runs every check, end-only ones included, once, at the end of a run. */
void sim_inv_check_end(sim_inv_t *inv);

/* For a bound in time ("within 10 s of ..."): called by a check just
 * before it returns 1, it dates the violation at the deadline at_ns (not
 * after the event that happened to run the check, which may come later)
 * and blames cause_seq, the trace seq of the event that started the clock.
 * at_ns is clamped to now.  Checks run after events only, so a deadline is
 * seen at the first event after it and dated back without adding events
 * (and trace lines) to the run. */
void sim_inv_due(sim_inv_t *inv, uint64_t at_ns, uint64_t cause_seq);

/* Called by a check just before it returns 1: the violation record also
 * names record seq under key (a string literal), a fact the check judged
 * by besides its breaking event (a swallowed failure, the pipe's holder).
 * A trace link (trace.h), never hashed; at most SIM_INV_LINKS, 0 is
 * ignored. */
void sim_inv_link(sim_inv_t *inv, const char *key, uint64_t seq);

/* Number of invariants violated at least once. */
int sim_inv_violated(const sim_inv_t *inv);

/* The catalogue of every invariant rddsim knows: id, title, what. */
typedef struct {
    const char *id;
    const char *title;
    const char *what;
} sim_inv_info_t;
extern const sim_inv_info_t sim_inv_catalogue[];
extern const size_t sim_inv_catalogue_len;

#endif
