/*
 * trace.h: the run's record, one event per line, in two renderings.
 *
 * Text for people:
 *   t=1.250000000s #42 kube.obj.delete kind=Container name=0a1b...
 * JSON Lines for tools (keys in the order written):
 *   {"t_ns":1250000000,"seq":42,"ev":"kube.obj.delete","kind":"Container",..}
 *
 * Each event is built once, as a compact binary record (time, seq, name,
 * then typed key/value fields); the trace hash folds in the records,
 * so two runs with one seed must give one hash on every build.  Text and
 * JSON are rendered from the record only for the sinks attached (text,
 * on_text, jsonl), so a run that nobody reads costs no formatting;
 * on_record sees the record itself (no rendering).
 * Event names are
 * <component>.<object>.<verb>; values never carry addresses or wall time.
 * docs/trace.md lists every event.
 *
 * Usage, with tr possibly NULL (tracing off; every call is then a no-op):
 *   sim_trace_t *tr = sim_trace_begin(loop, "npipe.listen.fail");
 *   sim_trace_str(tr, "name", name);
 *   sim_trace_err(tr, "err", rc);
 *   sim_trace_end(tr);
 *
 * Cause links: each record carries the seq of the record that caused it
 * (JSONL "cause", omitted when 0).  The loop links a callback to the
 * record that scheduled it (sim_timer_start stamps, the firing sets it);
 * sim_trace_cause overrides.  Causes are not part of the hash.
 *
 * Named links (JSONL "links":{"server":16,...}, never hashed): the other
 * records a record depends on besides its cause, for example the listen
 * that a dial reached, or a failure that was swallowed.  sim_trace_link
 * names one on the open record; sim_trace_link_scope names one for every
 * record begun until the scope is cleared (for a model whose fake writes
 * the record).  rddsim explain walks them with the causes (docs/explain.md).
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "sim/loop.h"

#define SIM_TRACE_LINE_MAX 4096
#define SIM_TRACE_LINKS 6 /* named links per record, at most */

/* Called with each rendered text line (no newline, NUL-terminated). */
typedef void (*sim_trace_line_cb)(void *arg, const char *line, size_t len);
/* Called with each event's name as it begins (counting costs no render). */
typedef void (*sim_trace_ev_cb)(void *arg, const char *ev);

/* A finished record as a reader sees it: valid only during the call.
 * Its fields are walked with sim_trace_rec_field. */
typedef struct sim_trace_rec {
    uint64_t t_ns;              /* virtual time */
    uint64_t seq;
    uint64_t cause;             /* seq of its cause, 0 if none */
    const char *ev;             /* the event name */
    int truncated;              /* its fields were dropped (over 4 KiB) */
    const unsigned char *fields; /* private: the binary fields */
} sim_trace_rec_t;

/* One field: type 's' (str), 'u' (u64), 'i' (i64, in num as two's
 * complement) or 'n' (ns). */
typedef struct {
    char type;
    const char *key;
    const char *str;            /* 's' only */
    uint64_t num;               /* 'u', 'i', 'n' */
} sim_trace_field_t;

/* Called with each finished record (after it is hashed); a structured
 * sink renders what it wants from it without parsing a rendering. */
typedef void (*sim_trace_rec_cb)(void *arg, const sim_trace_rec_t *rec);

typedef struct sim_trace {
    FILE *text;             /* public: human lines, or NULL */
    FILE *jsonl;            /* public: JSON Lines, or NULL */
    sim_trace_line_cb on_text; /* public: text-line reader, or NULL */
    void *on_text_arg;      /* public */
    sim_trace_ev_cb on_event; /* public: event-name reader, or NULL */
    void *on_event_arg;     /* public */
    sim_trace_rec_cb on_record; /* public: record reader, or NULL */
    void *on_record_arg;    /* public */
    uint64_t hash;          /* read-only: over all binary records */
    uint64_t seq;           /* read-only: events written */
    char last_ev[64];       /* read-only: name of the latest event */
    uint64_t last_seq;      /* read-only */
    /* Cause links (never hashed): each record's cause is the seq of the
     * record that led to it, 0 if none.  The loop sets ambient as an
     * event fires (the stamp taken when it was scheduled); records get it
     * unless sim_trace_cause names another.  stamp is what a callback
     * scheduled now is stamped with: the latest record of the running
     * event, or ambient when it has written none. */
    uint64_t ambient;       /* private: cause of the running event */
    uint64_t stamp;         /* private: see above */
    uint64_t cause;         /* private: the open record's cause */
    int nlinks;             /* private: the open record's named links */
    const char *link_key[SIM_TRACE_LINKS]; /* private: static strings */
    uint64_t link_seq[SIM_TRACE_LINKS];    /* private */
    const char *scope_key;  /* private: sim_trace_link_scope */
    uint64_t scope_seq;     /* private */
    int in_event;           /* private: set by the loop while an event runs;
                               outside one (setup) nothing is stamped */
    int open;               /* private: between begin and end */
    int overflow;           /* private: fields dropped */
    size_t rlen;            /* private: bytes in rec */
    size_t head_len;        /* private: bytes of rec before the fields */
    unsigned char rec[SIM_TRACE_LINE_MAX]; /* private: the record */
    char out[SIM_TRACE_LINE_MAX * 2]; /* private: a rendering */
} sim_trace_t;

/* Sets up an empty trace writing to the given streams (either may be NULL;
 * the hash is kept regardless). */
void sim_trace_init(sim_trace_t *tr, FILE *text, FILE *jsonl);

/* Starts an event at sim_now(loop).  Returns NULL when loop->trace is NULL. */
sim_trace_t *sim_trace_begin(sim_loop_t *loop, const char *ev);

void sim_trace_str(sim_trace_t *tr, const char *key, const char *val);
void sim_trace_u64(sim_trace_t *tr, const char *key, uint64_t val);
void sim_trace_i64(sim_trace_t *tr, const char *key, int64_t val);
/* Duration or time in ns, rendered "1.5s" in text, an integer in JSON. */
void sim_trace_ns(sim_trace_t *tr, const char *key, uint64_t ns);
/* An error code, rendered by name ("EACCES"), "OK" for 0. */
void sim_trace_err(sim_trace_t *tr, const char *key, int err);

/* Names the open record's cause explicitly (seq of an earlier record; 0
 * leaves the loop's link).  Not hashed: a cause never changes the hash. */
void sim_trace_cause(sim_trace_t *tr, uint64_t seq);

/* Adds a named link (key: a string literal; seq of an earlier record; 0 is
 * ignored) to the open record.  Not hashed.  Beyond SIM_TRACE_LINKS, or a
 * key given twice, is dropped. */
void sim_trace_link(sim_trace_t *tr, const char *key, uint64_t seq);

/* Every record begun from now until the scope is restored gets the link
 * key -> seq (seq 0: none).  Returns the scope it replaces, to restore
 * with sim_trace_scope_restore.  Not hashed; a no-op without a trace. */
typedef struct {
    const char *key;
    uint64_t seq;
} sim_trace_scope_t;
sim_trace_scope_t sim_trace_link_scope(sim_loop_t *loop, const char *key,
                                       uint64_t seq);
void sim_trace_scope_restore(sim_loop_t *loop, sim_trace_scope_t prev);
/* The scope now, for work that writes its records later (a fake keeps it
 * and names it with sim_trace_link). */
sim_trace_scope_t sim_trace_scope_now(sim_loop_t *loop);

/* The seq of the latest record written (0 when tracing is off). */
uint64_t sim_trace_last(sim_loop_t *loop);

/* The seq a link to "what is running now" should carry: the latest record
 * of the running event, or the event's own cause.  0 when tracing is off.
 * Fakes store it with a message or object to link its receipt back. */
uint64_t sim_trace_now(sim_loop_t *loop);

/* The next field of rec at *pos (0 to start) into f; returns 0 after
 * the last.  Usage:
 *   size_t pos = 0; sim_trace_field_t f;
 *   while (sim_trace_rec_field(rec, &pos, &f)) ... */
int sim_trace_rec_field(const sim_trace_rec_t *rec, size_t *pos,
                        sim_trace_field_t *f);

/* The string field key of rec, or NULL (absent or not a string). */
const char *sim_trace_rec_str(const sim_trace_rec_t *rec, const char *key);

/* The number field key of rec into *v; returns 0 when absent or a
 * string. */
int sim_trace_rec_num(const sim_trace_rec_t *rec, const char *key,
                      uint64_t *v);

/* Folds the record into the hash and renders it for the attached sinks. */
void sim_trace_end(sim_trace_t *tr);

/* Formats ns as "1.250s", "200ms", "0s" into buf (at least 32 bytes). */
const char *sim_fmt_ns(char *buf, uint64_t ns);

#endif
