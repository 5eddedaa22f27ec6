/*
 * dockerctx.h: RDD's Docker context management, docker_context.go and
 * engine_reconciler.go:335-431 at 00f5645 (docs/rdd/docker-contexts.md, H6,
 * H15, invariants S10 and L7).
 *
 * The Docker client config directory lives on the machine's filesystem
 * (host.h): $DOCKER_CONFIG from the *service's* environment, else
 * <home>/.docker ("C:/Users/u/.docker" on Windows, "/home/u/.docker"
 * elsewhere).  Every instance and the user share it.  Layout as the Docker
 * CLI: contexts/meta/<sha256(name)>/meta.json (compact JSON: Name,
 * Metadata.Description, Endpoints.docker.{Host,SkipTLSVerify}),
 * contexts/tls/<sha256(name)>/ and config.json.
 *
 * config.json.  Load parses it (missing file: empty config; unreadable:
 * an error) and validates every auths[*].auth (base64 of "user:pass";
 * anything else fails the load, as docker/cli config.Load does).  Save
 * writes the known top-level keys only, in docker/cli ConfigFile field
 * order, compact: auths (always), HttpHeaders, the *Format keys,
 * detachKeys, credsStore, credHelpers, pruneFilters, proxies, experimental,
 * currentContext (omitted when empty), cliPluginsExtraDirs, plugins,
 * aliases, features (dockerctx.c known_keys).
 * Every other top-level key is dropped (H6), unless the flag
 * context_locked_rmw is set, which keeps them.  A load and the save that
 * follows it are RDD_DCTX_IO_NS apart, so another writer (another
 * instance, or the user's `docker context use`) can interleave: the lost
 * update of H6.  With context_locked_rmw RDD's read-modify-write takes
 * config.json.lock (other RDD instances wait for it; the docker CLI does
 * not know it) and saves only if config.json is unchanged since its load,
 * else reloads and decides again; a probe's set is then a compare-and-set
 * against the context the probe judged unhealthy.
 *
 * Probes.  manageDockerContext creates/replaces the instance context, then
 * starts a probe "goroutine" (generation, cancel func, wait group as RDD).
 * The probe reads currentContext, returns at once if the daemon's
 * environment (frozen at `rdd svc start`: the env_* fields) has DOCKER_HOST
 * or DOCKER_CONTEXT, pings the platform default (npipe
 * \\.\pipe\docker_engine on Windows, whoever serves it, or
 * unix:///var/run/docker.sock) or the named context's endpoint
 * (probeNamedDockerContext's table, npipe included) with a 3 s deadline,
 * and sets currentContext = Name() if unhealthy and not cancelled.
 * Cancelling a probe cancels its ping at once (the Go dialers honour the
 * context); the set's load-save is not cancellable.  tcp endpoints: a
 * loopback port (127.0.0.1/localhost) is healthy if some process bound it
 * (host_port_owner), refused otherwise; other hosts time out (3 s).
 *
 * Not modelled: TLS material (only "cannot be loaded": a regular file where
 * contexts/tls/<hash> should be a directory), ssh endpoints beyond their
 * scheme, credential helpers, the legacy ~/.dockercfg.
 *
 * Observation (ground truth, not model state): a machine-wide journal of
 * every currentContext write (who, why, what the writer loaded, what the
 * file held just before the save, the new value) kept on the host under
 * RDD_DCTX_JOURNAL_DIR (reserved; no model reads it), and per instance the
 * times removeDockerContext was called and returned and the number of
 * probe writes after a removeDockerContext that followed the probe's
 * launch had returned (S10).
 *
 * Trace events: rdd.dctx.create, rdd.dctx.delete, rdd.dctx.probe.start,
 * rdd.dctx.probe.skip, rdd.dctx.probe.result, rdd.dctx.write,
 * rdd.dctx.rmw.error, rdd.dctx.remove.start, rdd.dctx.remove.done.
 */
#ifndef RDD_DOCKERCTX_H
#define RDD_DOCKERCTX_H

#include <stddef.h>
#include <stdint.h>

#include "host/host.h"
#include "sim/loop.h"

typedef struct rdd_instance rdd_instance_t;

#define RDD_DCTX_PROBE_TIMEOUT_NS (3 * SIM_NS_PER_S) /* docker_context.go:25 */
#define RDD_DCTX_IO_NS (1 * SIM_NS_PER_MS)  /* load -> save of config.json */
#define RDD_DCTX_NAME_MAX 96
#define RDD_DCTX_HOST_MAX 300
#define RDD_DCTX_WAITERS_MAX 4
#define RDD_DCTX_RMW_TRIES 5      /* context_locked_rmw: reload-and-retry */
#define RDD_DCTX_JOURNAL_DIR "/.rddsim/dctx-journal"
#define RDD_DCTX_DEFAULT_UNIX "unix:///var/run/docker.sock"
#define RDD_DCTX_DEFAULT_NPIPE "npipe:////./pipe/docker_engine"

typedef struct rdd_dctx_probe rdd_dctx_probe_t;
typedef struct rdd_dctx_rmw rdd_dctx_rmw_t;

/* removeDockerContext's completion (the engine continues from it). */
typedef void (*rdd_dctx_done_cb)(rdd_instance_t *inst);

typedef struct {
    /* The daemon's environment, set before the service starts (public). */
    char env_docker_host[RDD_DCTX_HOST_MAX];  /* DOCKER_HOST, "" unset */
    char env_docker_context[RDD_DCTX_NAME_MAX]; /* DOCKER_CONTEXT */
    char env_docker_config[HOST_PATH_MAX];    /* DOCKER_CONFIG */
    int env_no_home;          /* public: HOME/USERPROFILE unset */
    uint64_t io_ns;           /* public: load->save latency (0: default) */
    /* contextMu-guarded state (private) */
    rdd_dctx_probe_t *probes; /* private: outstanding probes, launch order */
    rdd_dctx_probe_t *cur;    /* private: contextProbeCancel (NULL: nil) */
    uint64_t gen;             /* private: contextProbeGen */
    size_t wg;                /* private: contextProbeWg */
    int ctx_cancelled;        /* private: watcherCtx cancelled (shutdown) */
    /* removeDockerContext in flight (private) */
    int removing;             /* private: 1 waiting on wg, 2 clearing */
    rdd_dctx_rmw_t *rmw;      /* private: its clear */
    rdd_dctx_done_cb waiters[RDD_DCTX_WAITERS_MAX]; /* private */
    size_t nwaiters;          /* private */
    sim_timer_t kick;         /* private: continues a removal */
    /* observation points (read-only) */
    uint64_t probes_started;  /* read-only */
    uint64_t probe_sets;      /* read-only: currentContext writes by probes */
    uint64_t clears;          /* read-only: clears that wrote */
    uint64_t removes_called;  /* read-only */
    uint64_t removes_returned; /* read-only */
    uint64_t remove_called_ns; /* read-only: the last call */
    uint64_t remove_returned_ns; /* read-only: the last return */
    uint64_t remove_max_ns;   /* read-only: longest call..return (L7) */
    uint64_t writes_after_remove; /* read-only: S10 violations */
    int last_healthy;         /* read-only: last probe verdict (-1 none) */
    char last_reason[96];     /* read-only: why (a log line of RDD's) */
} rdd_dctx_t;

/* One currentContext write (journal record). */
typedef struct {
    uint64_t at_ns;                   /* when the save landed */
    char who[RDD_DCTX_NAME_MAX];      /* instance Name() or "user" */
    char why[16];                     /* "probe-set", "clear", "user" */
    char read[RDD_DCTX_NAME_MAX];     /* currentContext the writer loaded */
    char judged[RDD_DCTX_NAME_MAX];   /* probe-set: the context the probe
                                         read and found unhealthy */
    char old[RDD_DCTX_NAME_MAX];      /* in the file just before the save */
    char value[RDD_DCTX_NAME_MAX];    /* the new currentContext */
    int after_remove;                 /* a probe write after its instance's
                                         removeDockerContext returned (S10) */
} rdd_dctx_write_t;

/* lifecycle (engine.c calls these) ----------------------------------------*/

/* Zeroes the state and the observation counters (per service life);
 * keeps the settings (env_*, io_ns), which may be set before or after. */
void rdd_dctx_init(rdd_instance_t *inst);
/* Process death: drops probes and RMWs without further file effects
 * (releases a held config.json.lock). */
void rdd_dctx_free(rdd_instance_t *inst);

/* engine_reconciler.go:335-402 manageDockerContext(endpoint).  No-op when
 * inst->host is NULL (contexts not modelled in that world). */
void rdd_dctx_manage(rdd_instance_t *inst, const char *endpoint);
/* engine_reconciler.go:407-431 removeDockerContext.  Returns 0 when it
 * completed inside the call, 1 when it waits (for outstanding probes or a
 * config.json save): cb (may be NULL) then runs on a later turn. */
int rdd_dctx_remove(rdd_instance_t *inst, rdd_dctx_done_cb cb);
/* The watcherCtx cancel of the manager's shutdown hook (:833-840): every
 * probe's context is cancelled, and so is any later one. */
void rdd_dctx_cancel_all(rdd_instance_t *inst);

/* docker_context.go:30-39 dockerConfigDir.  SIM_ENOENT if no home. */
int rdd_dctx_config_dir(const rdd_instance_t *inst, char out[HOST_PATH_MAX]);

/* synchronous store operations (docker_context.go:61-98) -----------------*/

/* "<dir>/contexts/meta/<sha256(name)>" into out. */
void rdd_dctx_meta_dir(const char *config_dir, const char *name,
                       char out[HOST_PATH_MAX]);
/* :61-73 createReplaceDockerContext.  SIM_ERANGE if meta.json would not
 * fit HOST_DATA_MAX. */
int rdd_dctx_create_replace(host_t *h, const char *config_dir,
                            const char *name, const char *endpoint);
/* :75-81 deleteDockerContext (missing: 0). */
int rdd_dctx_delete(host_t *h, const char *config_dir, const char *name);
/* A context as BATS test 40 seeds it (no Metadata). */
int rdd_dctx_seed(host_t *h, const char *config_dir, const char *name,
                  const char *endpoint);
/* The docker endpoint Host of a context: 0, SIM_ENOTFOUND (no meta.json),
 * SIM_ESYNTAX (undecodable), SIM_ENOENT (no docker endpoint). */
int rdd_dctx_context_host(const host_t *h, const char *config_dir,
                          const char *name, char out[RDD_DCTX_HOST_MAX]);
/* :88-98 getCurrentDockerContext: 0 ("" when absent), SIM_ESYNTAX for
 * malformed JSON or a malformed auths entry. */
int rdd_dctx_get_current(const host_t *h, const char *config_dir,
                         char out[RDD_DCTX_NAME_MAX]);

/* actors ------------------------------------------------------------------*/

/* `docker context use NAME` by the user: its own load, RDD_DCTX_IO_NS, save
 * (no lock; unknown keys dropped as the CLI drops them; "default" writes
 * ""). Returns 0 (the save lands later), SIM_ENOTFOUND if NAME is not a
 * context (nothing written), SIM_ESYNTAX if config.json does not load,
 * SIM_ENOMEM.  The host has no loop accessor, so the loop is passed. */
int rdd_dctx_user_use(sim_loop_t *loop, host_t *h, const char *config_dir,
                      const char *name);

/* probeNamedDockerContext alone (docker_context.go:160-201), for tests:
 * config_dir NULL means "store cannot be opened".  cb runs on a later turn
 * with the verdict and RDD's log reason ("" for a ping's plain result). */
typedef void (*rdd_dctx_probe_cb)(void *arg, int healthy, const char *reason);
int rdd_dctx_probe_named(rdd_instance_t *inst, const char *config_dir,
                         const char *name, rdd_dctx_probe_cb cb, void *arg);

/* journal (observation) ---------------------------------------------------*/

size_t rdd_dctx_journal_len(const host_t *h);
/* Record i (0-based, in write order).  SIM_ENOENT if out of range. */
int rdd_dctx_journal_get(const host_t *h, size_t i, rdd_dctx_write_t *out);

#endif
