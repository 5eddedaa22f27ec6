/*
 * perfetto.h: the trace as Chrome / Perfetto Trace Event Format JSON
 * (`rddsim run --trace-format perfetto`; docs/trace.md "Perfetto").
 *
 * A sink fed record by record from the trace's on_record callback
 * (sim/trace.h), writing one JSON object {"traceEvents":[...]} as it goes
 * (nothing is parsed back, nothing is buffered but the small state below):
 *
 *   - a process (pid) per run, per RDD instance, per apiserver, per Docker
 *     daemon, per pipe owner, plus "pipes" and "host"; a thread (tid) per
 *     actor (App, engine, watcher, bridge, LimaVM, hostagent, service,
 *     informer NAME, dockerd, owner, one per pipe name, ...), all named by
 *     "M" metadata events written before their first use;
 *   - every record an instant ("i", scope thread) on its actor's thread,
 *     its fields, seq and cause in args;
 *   - every cause link a flow: "s" at the cause's time and thread and "f"
 *     (bp "e") at the effect's, one id per link, always both;
 *   - states as complete spans ("X") on threads of their own: the App's
 *     Settled, Running (the LimaVM's condition the App mirrors) and
 *     ContainerEngineReady, the engine and bridge state machines, the
 *     LimaVM phase, hostagent state, the watcher, the service, each pipe
 *     name's owner, each owner and daemon up; a span is written when its
 *     state changes and every open one at sim.run.end (or at the end);
 *   - counters ("C") on each apiserver: mirrors (Container, Image, Volume,
 *     ContainerNamespace) in the store and in each informer cache, and the
 *     informer's watch lag in ms.
 *
 * ts and dur are microseconds of virtual time (three decimals: the trace
 * is in ns).  Several runs into one document (--seeds) get fresh pids.
 * The sink writes to out and never closes it; write errors are the
 * stream's to report (cli_out.c checks every write).
 */
#ifndef SIM_EXPLORE_PERFETTO_H
#define SIM_EXPLORE_PERFETTO_H

#include <stdio.h>

#include "sim/trace.h"

typedef struct perfetto perfetto_t;

/* Starts a document on out.  Returns 0 or SIM_ENOMEM. */
int perfetto_new(FILE *out, perfetto_t **pp);

/* The on_record callback (arg: the perfetto_t). */
void perfetto_record(void *arg, const sim_trace_rec_t *rec);

/* Closes the spans still open, ends the document and frees p.  Returns 0,
 * or SIM_ENOMEM when memory ran out on the way (the document is still
 * valid JSON, some events missing). */
int perfetto_end(perfetto_t *p);

#endif
