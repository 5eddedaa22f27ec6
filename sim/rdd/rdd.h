/*
 * rdd.h: one RDD instance (one RDD_INSTANCE value: one service process, one
 * apiserver, one Lima VM with its dockerd) and the models of RDD's code that
 * run inside it:
 *   bridge.c   the Windows host-switch's socket bridge (rdd-behavior.md §2)
 *   watcher.c  the docker watcher (§4)
 *   engine.c   the engine reconciler (§3)
 *   vm.c       a stand-in for the LimaVM and App controllers (§6, §7 come
 *              later): boot delay, dockerd up, App Running=True/False.
 * Every model cites the RDD file:line it follows in a comment above each
 * modelled function.  Flags (flags.h) select the review's fixes.
 */
#ifndef RDD_RDD_H
#define RDD_RDD_H

#include "app.h"
#include "docker/docker.h"
#include "dockerctx.h"
#include "host/host.h"
#include "instance.h"
#include "limavm.h"
#include "kube/kube.h"
#include "moby.h"
#include "npipe/npipe.h"
#include "uds/uds.h"
#include "sim/rng.h"

#define RDD_APP_NAME "app"                                 /* :38 */
#define RDD_MIRROR_FINALIZER "engine.rancherdesktop.io/mirror"
#define RDD_CONTAINER_NS "moby"
#define RDD_COND_ENGINE "ContainerEngineReady"
#define RDD_COND_RUNNING "Running"
#define RDD_PING_TIMEOUT_NS (5 * SIM_NS_PER_S)              /* watcher :63 */
#define RDD_INFO_TIMEOUT_NS (5 * SIM_NS_PER_S)              /* watcher :109 */
#define RDD_CLEANUP_TIMEOUT_NS (30 * SIM_NS_PER_S)          /* reconciler */
#define RDD_CLEANUP_POLL_NS (200 * SIM_NS_PER_MS)
#define RDD_HANDSHAKE_MAX_NS (300 * SIM_NS_PER_S)           /* hostswitch :99 */
#define RDD_RETRY_STEPS 5          /* client-go retry.DefaultRetry */
#define RDD_RETRY_SLEEP_NS (10 * SIM_NS_PER_MS) /* Duration, jitter 0.1 */

typedef struct rdd_instance rdd_instance_t;
typedef struct rdd_watcher rdd_watcher_t;

/* bridge --------------------------------------------------------------------*/

typedef enum {
    RDD_BRIDGE_OFF,        /* no host-switch (not started, or not Windows) */
    RDD_BRIDGE_HANDSHAKE,  /* vsock handshake running (<= 5 min) */
    RDD_BRIDGE_LISTENING,  /* ListenPipe succeeded; accept loop running */
    RDD_BRIDGE_BIND_FAILED,/* ListenPipe failed; error swallowed (§2.1) */
    RDD_BRIDGE_DEAD_BOUND, /* accept error: Run returned, name still bound */
    RDD_BRIDGE__COUNT
} rdd_bridge_state_t;

typedef struct {
    rdd_bridge_state_t state;  /* read-only: via rdd__bridge_transition */
    sim_timer_t handshake;     /* private */
    npipe_listener_t *ln;      /* private */
    int bind_err;              /* read-only: ListenPipe's error */
    char bind_msg[300];        /* read-only: the error Run returned */
    int failed_this_vm;        /* read-only: a bind failed in this VM life */
    uint64_t accepted;         /* read-only: connections handed to the VM */
} rdd_bridge_t;

/* watcher -------------------------------------------------------------------*/

typedef void (*rdd_watcher_start_cb)(rdd_instance_t *inst, int err,
                                     const char *msg);

/* engine --------------------------------------------------------------------*/

typedef enum {
    RDD_ENG_IDLE,          /* no reconcile running */
    RDD_ENG_STARTING,      /* row C: startWatcherAndSync in flight */
    RDD_ENG_FINALIZERS,    /* row D: processFinalizers' Docker deletes */
    RDD_ENG_CLEANUP_WAIT,  /* rows A/B: waitMirrorResourcesGone polling */
    RDD_ENG_CLEANUP_LIST,  /* rows A/B: a deleteAllOfType LIST waiting for
                              the watch cache (ConsistentListFromCache) */
    RDD_ENG__COUNT
} rdd_engine_state_t;

/* One mirror processFinalizers works on. */
typedef struct rdd_fin_item {
    kube_kind_t kind;
    char name[KUBE_NAME_MAX];
    dock_op_t op;             /* the Docker remove it forwards */
    char ref[DOCK_REF_MAX];   /* its reference */
    int force;
    int skip_docker;          /* the status carried no Docker reference */
} rdd_fin_item_t;

typedef struct {
    rdd_engine_state_t state; /* read-only: via rdd__engine_transition */
    kube_ctrl_t *ctrl;        /* private: the engine controller's queue */
    kube_cache_t *cache;      /* private: its informer cache */
    char api_ns[64];          /* apiNamespace (App.spec.namespace) */
    /* reconcile in flight */
    int watcher_died;         /* private */
    rdd_fin_item_t *fin;      /* private: processFinalizers work list */
    size_t nfin, ifin;        /* private */
    char errs[1024];          /* private: joined errors */
    sim_timer_t poll;         /* private: cleanup poll and list waits */
    int cleanup_step;         /* private: next deleteAllOfType kind */
    uint64_t cleanup_deadline_ns; /* private */
    size_t last_count;        /* private */
    char term_status[8];      /* private: terminal condition */
    char term_reason[40];
    char term_msg[128];
    /* observation points for invariants (ground truth, not model state) */
    int in_stop_path;         /* read-only: a rows A/B reconcile is running */
    uint64_t stopped_writes;  /* read-only: Stopped conditions written */
    int64_t stopped_gen;      /* read-only: generation of the last one */
    size_t stopped_store_mirrors; /* read-only: store mirrors at that write */
    size_t stopped_cache_mirrors; /* read-only: cache mirrors at that write */
    /* retry-on-conflict in flight (one at a time: reconciles are serial) */
    sim_timer_t retry;        /* private: the 10 ms sleep between tries */
    int retry_tries;          /* private */
    int retry_kind;           /* private: what is being retried */
    int retry_next;           /* private: what follows it */
    int retry_err;            /* private: error to return after it */
    char cond_status[8];      /* private: the condition being written */
    char cond_reason[40];
    char cond_msg[KUBE_MSG_MAX];
    sim_rng_t retry_rng;      /* private: jitter, "rdd.<inst>.retry" */
    rdd_fin_item_t *stripped; /* read-only: finalizers processFinalizers
                                 removed, in order (invariant S9) */
    size_t nstripped;         /* read-only */
} rdd_engine_t;

/* instance ------------------------------------------------------------------*/

struct rdd_instance {
    sim_loop_t *loop;
    rdd_identity_t id;
    rdd_flags_t flags;
    npipe_ns_t *pipes;
    uds_ns_t *socks;
    npipe_owner_t proc;          /* the RDD service process */
    dock_daemon_t *vm_daemon;    /* dockerd inside this instance's VM */
    kube_store_t *api;           /* this instance's apiserver */
    rdd_bridge_t bridge;
    rdd_engine_t engine;
    rdd_watcher_t *watcher;      /* published watcher (r.watcher) */
    uds_listener_t *sock_fwd;    /* Lima's socket forward (Unix hosts) */
    sim_timer_t boot;            /* private: VM boot */
    sim_timer_t running_retry;   /* private: a failed Running write */
    int running_want;            /* private: what it should say */
    uint64_t handshake_ns;       /* the VM stand-in's timings */
    uint64_t boot_ns;
    host_t *host;                /* the machine (shared by instances) */
    rdd_app_t app;               /* App controller (app.h) */
    rdd_limavm_t lvm;            /* LimaVM controller (limavm.h) */
    rdd_dctx_t dctx;             /* Docker context management */
    int vm_running;              /* the stand-in VM is up */
    uint64_t vm_lives;           /* VM starts so far */
};

/* Sets up the instance's apiserver, engine controller and App object.
 * Returns 0 or SIM_ENOMEM. */
int rdd_instance_init(rdd_instance_t *inst, sim_loop_t *loop, rdd_os_t os,
                      int env_set, const char *rdd_instance,
                      rdd_flags_t flags, npipe_ns_t *pipes, uds_ns_t *socks,
                      uint32_t pid, dock_daemon_t *vm_daemon);
void rdd_instance_free(rdd_instance_t *inst);

/* The VM stand-in: starts the host-switch (handshake_ns), then after
 * boot_ns brings dockerd up and sets App Running=True. */
int rdd_vm_start(rdd_instance_t *inst, uint64_t handshake_ns,
                 uint64_t boot_ns);
/* App Running=False, dockerd down, host-switch stopped. */
void rdd_vm_stop(rdd_instance_t *inst);


/* Bridge (bridge.c). */
void rdd_bridge_start(rdd_instance_t *inst, uint64_t handshake_ns);
void rdd_bridge_stop(rdd_instance_t *inst);
const char *rdd_bridge_state_name(rdd_bridge_state_t s);

/* Watcher (watcher.c).  Creates a watcher and runs ping, info and the full
 * sync; cb reports the outcome (err 0: published by the caller). */
int rdd_watcher_new(rdd_instance_t *inst, rdd_watcher_start_cb cb,
                    rdd_watcher_t **out);
int rdd_watcher_alive(const rdd_watcher_t *w);
/* stop(): cancel and wait; frees w. */
void rdd_watcher_stop(rdd_watcher_t *w);
/* Docker remove via the watcher's client (deleteContainer/Image/Volume). */
typedef void (*rdd_remove_cb)(rdd_instance_t *inst, int err, const char *msg);
int rdd_watcher_remove(rdd_watcher_t *w, dock_op_t op, const char *ref,
                       int force, rdd_remove_cb cb);

/* Engine (engine.c). */
int rdd_engine_init(rdd_instance_t *inst);
void rdd_engine_free(rdd_instance_t *inst);
void rdd_engine_enqueue(rdd_instance_t *inst);
const char *rdd_engine_state_name(rdd_engine_state_t s);

/* Mirrors of all four kinds in the engine's namespace: in the store
 * (live) or in the engine's informer cache.  For invariants. */
size_t rdd_mirror_count(rdd_instance_t *inst, int cached);

/* Helpers shared by the models. */

/* A growable list of object names, filled while visiting a reader. */
typedef struct {
    char (*names)[KUBE_NAME_MAX];
    size_t n, cap;
} rdd_names_t;
/* Appends name; returns 0, or 1 (stop visiting) when out of memory. */
int rdd_names_push(rdd_names_t *l, const char *name);

int rdd_get_app(rdd_instance_t *inst, kube_reader_t *r, kube_obj_t *app);
void rdd_errs_join(char *errs, size_t len, const char *msg);

#endif
