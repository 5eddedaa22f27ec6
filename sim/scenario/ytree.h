/*
 * ytree.h: a YAML document as a tree of nodes that remember where they came
 * from, read with libyaml.
 *
 * Every node keeps its 1-based line and column, so any error found later
 * (semantic, not only syntax) can say `file:line:col: what is wrong`.  Map
 * keys are marked as consumed when read through yt_get(); yt_unused()
 * reports the first key nobody read ("unknown key 'lagg' in
 * world.apiserver"), so a misspelt key is an error, never silently ignored.
 * Anchors, aliases, tags and multi-document streams are refused: scenario
 * files do not need them and they hide where a value came from.
 */
#ifndef SIM_YTREE_H
#define SIM_YTREE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/rng.h"

typedef enum { YT_SCALAR, YT_MAP, YT_SEQ } yt_kind_t;

typedef struct yt_node yt_node_t;
struct yt_node {
    yt_kind_t kind;
    int line;             /* 1-based */
    int col;              /* 1-based */
    char *scalar;         /* YT_SCALAR: the text */
    int quoted;           /* YT_SCALAR: was quoted */
    size_t n;             /* map entries or sequence items */
    yt_node_t **keys;     /* YT_MAP: scalar key nodes */
    yt_node_t **vals;     /* YT_MAP values / YT_SEQ items */
    unsigned char *used;  /* YT_MAP: key consumed */
    size_t cap;           /* entries allocated (amortised growth) */
};

/* Bounds on what is parsed (docs/scenarios.md "Limits"). */
#define YT_DEPTH_MAX 64               /* nesting of maps and lists */
#define YT_NODES_MAX 1000000          /* keys, values and items in a file */
#define YT_FILE_MAX_DEFAULT (16u << 20) /* bytes; RDDSIM_MAX_SCENARIO_BYTES
                                         overrides it */

typedef struct {
    char file[256];
    int line;
    int col;
    char msg[512];
} yt_error_t;

/* Parses a file or a buffer (name is used in messages).  Returns 0 or
 * SIM_ESYNTAX (err filled), SIM_EINVAL (err filled: too big, a directory,
 * not UTF-8, too deep, too many nodes, a duplicate key), SIM_ENOENT,
 * SIM_ENOMEM.  yt_load_file reads at most the file limit (the environment
 * variable RDDSIM_MAX_SCENARIO_BYTES, in bytes, or YT_FILE_MAX_DEFAULT),
 * checked before parsing; a file that is larger, or a device that never
 * ends (/dev/zero), is refused after that many bytes. */
int yt_load_file(const char *path, yt_node_t **root, yt_error_t *err);
int yt_load_buffer(const char *name, const char *buf, size_t len,
                   yt_node_t **root, yt_error_t *err);
void yt_free(yt_node_t *n);

/* Sets err at node n (printf-style) and returns SIM_EINVAL. */
int yt_fail(yt_error_t *err, const yt_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Map lookup; marks the key consumed.  NULL if absent or n is no map. */
yt_node_t *yt_get(yt_node_t *map, const char *key);
/* SIM_EINVAL with "unknown key 'k' in <where> (did you mean 'key'?)" for
 * the first key of map (in file order) that is not in keys[0..n), at that
 * key's line:col; the suggestion is sim_suggest's.  Called before a map's
 * keys are read, so a misspelt key is reported as such even when the key
 * it should have been is required. */
int yt_allow(yt_node_t *map, const char *where, const char *const *keys,
             size_t n, yt_error_t *err);
/* SIM_EINVAL with "unknown key 'k' in <where>" for the first unread key. */
int yt_unused(yt_node_t *map, const char *where, yt_error_t *err);
/* SIM_EINVAL unless n has the kind (what names it in the message). */
int yt_expect(yt_node_t *n, yt_kind_t kind, const char *what,
              yt_error_t *err);

/* Typed scalars.  Each returns 0 or SIM_EINVAL with a positioned error.
 * Numbers (integers, durations, ratios) are parsed by scenario.c's checked
 * sc_parse_* (scenario.h). */
int yt_str(yt_node_t *n, const char *what, char *out, size_t outlen,
           yt_error_t *err);
int yt_bool(yt_node_t *n, const char *what, int *out, yt_error_t *err);

#endif
