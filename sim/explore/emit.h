/*
 * emit.h: a scenario_t written back as an ordinary scenario file.
 *
 * sc_emit writes YAML that scenario_load accepts and that runs, under each
 * of its variants and any seed, to the same trace hash as sc itself:
 * world (name, host, seed, duration), daemons with their containers (and
 * counts), images and volumes, owners, instances (every key, env, vm
 * content, apiserver lag and spikes), faults, every timeline step with
 * every key, and the variants as presets or base + flags with their
 * expectations.  Every value is written explicitly (defaults included),
 * strings double-quoted, durations in the largest exact unit.
 *
 * A matrix scenario is not emitted as a matrix: pass one concrete cell
 * (scenario_cell) instead; sc_emit returns SIM_EINVAL for a matrix.
 * Used by `rddsim shrink` and, later, by `rddsim explore --emit`.
 */
#ifndef SIM_EXPLORE_EMIT_H
#define SIM_EXPLORE_EMIT_H

#include <stdio.h>

#include "scenario/scenario.h"

/* Writes sc to out.  Returns 0, SIM_EINVAL (a matrix) or SIM_EPIPE (a
 * write to out failed). */
int sc_emit(const scenario_t *sc, FILE *out);

/* A duration in the largest unit that is exact ("90s", "1500ms", "7ns")
 * into buf (at least 32 bytes); returns buf. */
const char *sc_emit_duration(char *buf, uint64_t ns);

#endif
