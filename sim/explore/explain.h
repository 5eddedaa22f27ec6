/*
 * explain.h: the causes behind a violation or a stall, walked back over a
 * trace.
 *
 * A trace (JSON Lines, docs/trace.md) is loaded whole.  A record may name
 * its cause (the seq of the record that scheduled it) and named links
 * ("links":{"server":16,...}: other records it depends on, such as the
 * listen a dial reached or a failure that was swallowed).  explain derives
 * one more link itself: a kube.obj.delete names the record that created
 * the object ("object").  explain_chain starts at one or more records and
 * walks causes and links back; links cost nothing and causes one step, so
 * when the walk is cut (max steps) the nearest records and every record a
 * link reached early are kept; a record alike one already kept (another
 * turn of a loop) is walked through without being kept.  The chain comes
 * back in trace order (root first).  explain_words renders one step in words; explain_cite gives the
 * RDD file:line the model cites for an event.  Nothing here runs a
 * scenario: the caller does (sim/cli/cli_explain.c).
 */
#ifndef SIM_EXPLORE_EXPLAIN_H
#define SIM_EXPLORE_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define EXPLAIN_MAX_STEPS 64
#define EXPLAIN_MAX_LINKS 8
#define EXPLAIN_MAX_VISITS 1000000

typedef struct {
    json_t **rec;   /* rec[seq], seq 1..n; rec[0] unused */
    size_t n;
} explain_trace_t;

/* One named link of a record. */
typedef struct {
    const char *key;  /* "server", "swallowed", "object", ... */
    uint64_t seq;
} explain_link_t;

/* Loads every JSON line of f.  0, SIM_ENOMEM or SIM_EINVAL (a bad line). */
int explain_load(FILE *f, explain_trace_t *t);
void explain_free(explain_trace_t *t);

/* The records in t whose event is ev ("sim.invariant.violated",
 * "sim.stall"), in trace order: their seqs into out (at most max).
 * Returns how many. */
size_t explain_find(const explain_trace_t *t, const char *ev, uint64_t *out,
                    size_t max);

/* The named links of record seq (the trace's, then the derived "object"
 * link), in order, into out (at most max).  Returns how many. */
size_t explain_links(const explain_trace_t *t, uint64_t seq,
                     explain_link_t *out, size_t max);

/* One step of a chain: a record, and how many other records alike it
 * (same event, actor and string fields: another turn of a loop) the walk
 * went through without showing them, the first and last of them. */
typedef struct {
    uint64_t seq;
    uint64_t similar;
    uint64_t first_similar, last_similar;
} explain_step_t;

/* The records that led to starts[0..nstarts-1] (themselves included), at
 * most max (<= EXPLAIN_MAX_STEPS), in trace order, into out.  A record
 * alike one already shown is walked through but not shown (counted in
 * similar), so a loop of any length costs one turn.  At most
 * EXPLAIN_MAX_VISITS records are visited.  Returns the count (0 if no
 * start is in t, or memory ran out). */
size_t explain_chain(const explain_trace_t *t, const uint64_t *starts,
                     size_t nstarts, explain_step_t *out, size_t max);

/* The actor of a record ("rancher-desktop-2", "dd", ...), or "-". */
const char *explain_actor(json_t *rec);
/* The RDD file:line the model cites for an event, or NULL. */
const char *explain_cite(const char *ev);
/* What a record says, in words, into buf. */
void explain_words(json_t *rec, char *buf, size_t len);

#endif
