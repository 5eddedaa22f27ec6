/*
 * explain.h: a violation's chain of causes, walked back over a trace.
 *
 * A trace (JSON Lines, docs/trace.md) is loaded whole; every record may
 * name its cause (the seq of the record that led to it).  explain_chain
 * starts at one record (a violation's breaking event, or for a deadline
 * the event that started its clock) and follows cause links back to a
 * record with none; the chain is returned root first.  explain_line
 * renders one step in words: virtual time, actor, what happened, and the
 * RDD file:line the model cites for that event, where there is one.
 * Nothing here runs a scenario: the caller does (sim/cli/cli_explain.c).
 */
#ifndef SIM_EXPLORE_EXPLAIN_H
#define SIM_EXPLORE_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define EXPLAIN_MAX_STEPS 64

typedef struct {
    json_t **rec;   /* rec[seq], seq 1..n; rec[0] unused */
    size_t n;
} explain_trace_t;

/* Loads every JSON line of f.  0, SIM_ENOMEM or SIM_EINVAL (a bad line). */
int explain_load(FILE *f, explain_trace_t *t);
void explain_free(explain_trace_t *t);

/* The violations in t (sim.invariant.violated records), in trace order:
 * their records' seqs into out (at most max).  Returns how many. */
size_t explain_violations(const explain_trace_t *t, uint64_t *out,
                          size_t max);

/* The chain that led to record seq, root first, seq itself last, into
 * out (at most max steps: the nearest ones are kept).  Returns its length
 * (0 if seq is not in t). */
size_t explain_chain(const explain_trace_t *t, uint64_t seq, uint64_t *out,
                     size_t max);

/* The actor of a record ("rancher-desktop-2", "dd", ...), or "-". */
const char *explain_actor(json_t *rec);
/* The RDD file:line the model cites for an event, or NULL. */
const char *explain_cite(const char *ev);
/* What a record says, in words, into buf. */
void explain_words(json_t *rec, char *buf, size_t len);

#endif
