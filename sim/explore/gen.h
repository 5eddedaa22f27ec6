/*
 * gen.h: a profile (a YAML file of ranges and weights, no timeline) and the
 * one world a seed draws from it (docs/explore.md).
 *
 * A profile is loaded through ytree like a scenario: every key consumed or
 * rejected, every value typed, errors `file:line:col: what is wrong`
 * (SIM_EINVAL / SIM_ESYNTAX / SIM_ENOENT / SIM_ENOMEM, err filled).
 *
 * xgen_world draws a whole world from (profile, seed) with one private
 * stream per decision family, forked from the seed by name, so that one
 * family's draws never shift another's:
 *   - host flavour, duration, timer lateness (timers.lateness);
 *   - 1..3 instances, RDD_INSTANCE from the profile's pool (unset, aliases,
 *     Index-colliding pairs), their timings, VM content, apiserver lag and
 *     spikes;
 *   - pipe owners (Docker Desktop, Podman, squatters, other instances) with
 *     start, crash and restart steps, Docker daemons and their content;
 *   - the user's actions at random times, drawn by weight from the whole
 *     action catalogue;
 *   - swarm faults: each fault site (sim/fault_sites.def) enabled with
 *     probability 1/2, an enabled one firing per call with a chance drawn
 *     from the profile's range;
 *   - every choice point (sim/choices.def) left seeded or pinned;
 *   - the liveness phase: at a drawn instant the faults heal (`heal:`),
 *     the owners stop misbehaving, and the user makes one last request
 *     (`rdd set running=true|false`); the liveness bounds then run out
 *     before the duration ends.
 * The result is an ordinary scenario_t: sc_emit (emit.h) writes it as a
 * scenario file that `rddsim run` replays to the same trace hash; the
 * sweep always runs the emitted text through scenario_load_buffer, so the
 * file a finding is handed back as is exactly what ran.
 * No clock, no shared RNG: the same (profile, seed, variants) gives the
 * same scenario on every build.
 */
#ifndef SIM_EXPLORE_GEN_H
#define SIM_EXPLORE_GEN_H

#include <stdint.h>

#include "scenario/scenario.h"
#include "scenario/ytree.h"

typedef struct xprofile xprofile_t;

/* Loads and checks a profile.  Returns 0 and *out (free with
 * xprofile_free), or an error with err filled. */
int xprofile_load(const char *path, xprofile_t **out, yt_error_t *err);
int xprofile_load_buffer(const char *name, const char *buf, size_t len,
                         xprofile_t **out, yt_error_t *err);
void xprofile_free(xprofile_t *p);

/* The profile's name (its `name:` key). */
const char *xprofile_name(const xprofile_t *p);

/* Variants the profile expects to be clean (its `clean:` list: preset
 * names or flag lists as `rddsim run --variant` takes them).  A finding
 * under one of them makes the sweep exit 1. */
int xprofile_nclean(const xprofile_t *p);
const char *xprofile_clean(const xprofile_t *p, int i);

/* Draws the world for seed into *sc (caller-allocated, large): the world
 * with seed: seed, and one variant per name in variants[0..nvariants)
 * (a preset name, or flags joined by '+', as `rddsim run --variant`),
 * each expecting no violation.  Returns 0, or SIM_EINVAL when a variant
 * name is unknown. */
int xgen_world(const xprofile_t *p, uint64_t seed,
               const char *const *variants, int nvariants, scenario_t *sc);

/* The same world as scenario text (what xgen_world loads; `rddsim
 * explore --emit` prints sc_emit of the loaded world).  *text is
 * malloc'd and NUL-terminated.  0, SIM_EINVAL or SIM_ENOMEM. */
int xgen_text(const xprofile_t *p, uint64_t seed, const char *const *variants,
              int nvariants, char **text, size_t *len);

/* A variant as `--variant` takes it in a sweep: a preset name, or a
 * preset (or head) followed by flags joined by '+' ("fixed+crash_loop_
 * backoff", "head+bind_failure_surfaced").  0 and *preset, *flags (the
 * flags beyond the preset's; either may be NULL), or SIM_EINVAL. */
int xvariant_parse(const char *spec, const char **preset, rdd_flags_t *flags);

#endif
