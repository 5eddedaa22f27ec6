/*
 * flags.h: every deviation from RDD and every fix the review proposes is a
 * named flag.  A variant is a set of flags; the `head` preset is the empty
 * set, i.e. RDD at commit 00f5645 as docs/rdd/ describes it.
 * XX(ID, "name", "what it changes", "review id")
 */
#ifndef RDD_FLAGS_H
#define RDD_FLAGS_H

#include <stdint.h>

#define RDD_MODELLED_COMMIT "00f5645" /* the RDD commit `head` models */

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
       "S1")                                                                  \
    /* issue 4: the VM side; "§7.6.N" = docs/rdd/limavm.md path N */           \
    XX(STARTING_TIMEOUT, "starting_timeout",                                   \
       "a LimaVM Starting for longer than 6 min (past the 5 min handshake "  \
       "limit) is stopped and marked Running False/StartFailed (RDD has no "  \
       "Starting timeout)",                                                   \
       "§7.6.2")                                                               \
    XX(CRASH_LOOP_BACKOFF, "crash_loop_backoff",                               \
       "a hostagent that exits while Starting counts as a failed start: "     \
       "restartCount++, Running False/StartFailed with its stderr, restart "   \
       "after an exponential back-off (1 s doubling to 5 min)",               \
       "§7.6.1")                                                               \
    XX(KILL_ORPHAN_ON_EVERY_START, "kill_orphan_on_every_start",               \
       "startInstance (and removeStaleInstance) kill a live hostagent named "  \
       "by ha.pid before launching, whatever path it was started from",       \
       "§7.6.1/6")                                                             \
    XX(SURFACE_CREATE_FAILED, "surface_create_failed",                         \
       "a stale directory that cannot be removed 3 times in a row sets "       \
       "Created False/CreateFailed with Lima's 'already exists' text and the " \
       "RemoveAll error, instead of a silent 2 s loop",                       \
       "§7.6.6")                                                               \
    XX(SVC_DELETE_UNREGISTERS_DISTRO, "svc_delete_unregisters_distro",         \
       "rdd svc delete terminates and unregisters the instance's WSL distro "  \
       "before removing ShortDir",                                            \
       "§7.6.8")                                                               \
    XX(RECONCILING_BOUNDED, "reconciling_bounded",                             \
       "after a controller restart, an orphan that cannot be killed in 30 s "  \
       "sets Running False/StopFailed with the kill error instead of "         \
       "requeueing Unknown/Reconciling every 1 s forever",                     \
       "§7.6.5")                                                               \
    XX(SCREEN_DRIVER_PID, "screen_driver_pid",                                 \
       "stopInstanceForcibly screens DriverPID with the same identity check "  \
       "as HostAgentPID before killing it",                                   \
       "H14")                                                                  \
    /* issue 5: shared host (docs/rdd/hazards.md, docker-contexts.md) */       \
    XX(IS_MSYS, "is_msys",                                                     \
       "engine-docker.bats gates cygpath on is_msys and decides WSL2 "         \
       "explicitly: the Linux DOCKER_CONFIG reaches rdd.exe through "          \
       "WSLENV=DOCKER_CONFIG/p and docker.exe dials the npipe DOCKER_HOST",    \
       "I2")                                                                   \
    XX(BATS_ENDPOINT_FROM_PATHS, "bats_endpoint_from_paths",                   \
       "engine-docker.bats reads the endpoint from `rdd svc paths "           \
       "docker_socket` on every OS instead of hard-coding the Windows pipe",   \
       "S4")                                                                   \
    XX(DISTRO_PER_INSTANCE, "distro_per_instance",                             \
       "the WSL distro is lima-rd-<suffix> instead of the global lima-rd",     \
       "H9")                                                                   \
    XX(CONTEXT_LOCKED_RMW, "context_locked_rmw",                               \
       "config.json is read-modified-written under a file lock and unknown "   \
       "top-level keys are kept",                                             \
       "H6")                                                                   \
    XX(BRIDGE_ACCEPT_ERROR_CLOSES, "bridge_accept_error_closes",               \
       "an accept error closes the bridge's listener at once and is reported " \
       "like a bind failure, instead of leaving the name bound but unserved", \
       "H3")                                                                   \
    XX(HOSTSWITCH_DEATH_SURFACED, "hostswitch_death_surfaced",                 \
       "a host-switch that exits while the VM runs enqueues the LimaVM, "      \
       "which restarts it (and the engine reconnects)",                       \
       "H4")                                                                   \
    XX(FINALIZER_CHECKS_DAEMON, "finalizer_checks_daemon",                     \
       "a mirror records the daemon ID it came from; processFinalizers does "  \
       "not forward a delete to a different daemon (it strips the finalizer " \
       "only)",                                                                \
       "H5")                                                                   \
    XX(SWEEP_ONLY_OWNED, "sweep_only_owned",                                   \
       "stop-time cleanup and full-sync pruning delete only objects that "     \
       "carry the engine's mirror finalizer/label",                            \
       "H13")                                                                  \
    XX(ENGINE_QUIESCES_ON_APP_DELETE, "engine_quiesces_on_app_delete",         \
       "an App being deleted stops the engine watcher and runs the stop "      \
       "cleanup before the App's finalizer is removed",                       \
       "H16")                                                                  \
    XX(LOG_DIR_PER_INSTANCE, "log_dir_per_instance",                           \
       "RDD_LOG_DIR is a parent: each instance logs to RDD_LOG_DIR/<Name()>", \
       "H12")                                                                  \
    /* a deviation, not a fix: the model of Lima before this flag */           \
    XX(WSL2_DRIVER_PIDFILE, "wsl2_driver_pidfile",                             \
       "deviation: on WSL2 the keep-alive wsl.exe's pid is written to "       \
       "wsl2.pid and Inspect reads it as DriverPID (Lima v2.1.2 records no "  \
       "driver pid on WSL2, so RDD's DriverPID is 0 there and H14 needs a "   \
       "Unix host)",                                                           \
       "H14")

typedef enum {
#define XX(id, name, what, review) RDD_FLAG_##id,
    RDD_FLAG_MAP(XX)
#undef XX
    RDD_FLAG__COUNT
} rdd_flag_t;

typedef uint64_t rdd_flags_t; /* bit (1ull << rdd_flag_t) */

#define RDD_HAS(flags, id) ((int)(((flags) >> RDD_FLAG_##id) & 1u))
#define RDD_FLAG_BIT(f) (1ull << (f))

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
