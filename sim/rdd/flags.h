/*
 * flags.h: every deviation from RDD and every fix the review proposes is a
 * named flag.  A variant is a set of flags; the `head` preset is the empty
 * set, i.e. RDD at commit 00f5645 as rdd-behavior.md describes it.
 * XX(ID, "name", "what it changes", "review id")
 */
#ifndef RDD_FLAGS_H
#define RDD_FLAGS_H

#include <stdint.h>

#define RDD_FLAG_MAP(XX)                                                       \
    XX(PIPE_PER_INSTANCE, "pipe_per_instance",                                 \
       "DockerSocket()/DockerEndpoint() on Windows name the per-instance "     \
       "pipe \\\\.\\pipe\\<Name()>-docker_engine instead of docker_engine",    \
       "I1")                                                                   \
    XX(BRIDGE_PIPE_FROM_INSTANCE, "bridge_pipe_from_instance",                 \
       "NewDockerHostBridge listens on DockerSocket() instead of the "         \
       "DockerPipeName constant",                                              \
       "I1")                                                                   \
    XX(BIND_FAILURE_SURFACED, "bind_failure_surfaced",                         \
       "a bridge that failed to bind (or has not bound yet) keeps "            \
       "ContainerEngineReady False/ConnectFailed; the engine never dials "     \
       "a pipe its bridge does not own",                                       \
       "I1")                                                                   \
    XX(CLEANUP_WAITS_ON_APIREADER, "cleanup_waits_on_apireader",               \
       "waitMirrorResourcesGone counts mirrors with the uncached APIReader "   \
       "instead of the informer cache (a weaker wait than what RDD does)",     \
       "S1")                                                                   \
    XX(NO_GENERATION_IN_ALREADY_CLEAN, "no_generation_in_already_clean",       \
       "alreadyClean ignores observedGeneration >= Generation (the term "      \
       "testing gap 3 asks about), so a stale Stopped skips the cleanup",     \
       "gap3")                                                                 \
    XX(CLEANUP_TIMEOUT_5S, "cleanup_timeout_5s",                               \
       "waitMirrorResourcesGone gives up after 5 s instead of 30 s",           \
       "S3")                                                                   \
    XX(NO_CONSISTENT_LIST_FROM_CACHE, "no_consistent_list_from_cache",         \
       "the apiserver serves LISTs with RV unset from etcd at once instead "   \
       "of waiting (<= 3 s) for its watch cache (ConsistentListFromCache "     \
       "off, as before Kubernetes 1.31)",                                     \
       "S1")

typedef enum {
#define XX(id, name, what, review) RDD_FLAG_##id,
    RDD_FLAG_MAP(XX)
#undef XX
    RDD_FLAG__COUNT
} rdd_flag_t;

typedef uint32_t rdd_flags_t; /* bit (1u << rdd_flag_t) */

#define RDD_HAS(flags, id) (((flags) >> RDD_FLAG_##id) & 1u)

typedef struct {
    const char *name;
    const char *what;
    rdd_flags_t flags;
} rdd_preset_t;

const char *rdd_flag_name(rdd_flag_t f);
const char *rdd_flag_what(rdd_flag_t f);
const char *rdd_flag_review(rdd_flag_t f);
int rdd_flag_by_name(const char *name); /* -1 if unknown */

/* Presets: "head" (no flags), "fixed" (the review's whole I1 fix). */
extern const rdd_preset_t rdd_presets[];
extern const int rdd_presets_len;
const rdd_preset_t *rdd_preset_by_name(const char *name);

#endif
