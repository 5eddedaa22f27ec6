/*
 * rdd.h: one RDD instance (one RDD_INSTANCE value: one service process, one
 * apiserver, one Lima VM with its dockerd) and the models of RDD's code that
 * run inside it:
 *   bridge.c   the Windows host-switch's socket bridge (docs/rdd/bridge.md)
 *   watcher.c  the docker watcher (docs/rdd/docker-watcher.md)
 *   engine.c   the engine reconciler (docs/rdd/engine-reconciler.md)
 *   lima.c     Lima (Inspect/Create/Prepare/Delete) and the hostagent
 *              (docs/rdd/limavm.md)
 *   limavm.c, limavm_lifecycle.c, hawatcher.c  the LimaVM controller
 *              (docs/rdd/limavm.md)
 *   service.c  the instance: datastore and service process
 *              (docs/rdd/service-and-cli.md)
 * docs/rdd/README.md maps every model to the RDD code it follows.
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
#include "sim/choice.h"
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
#define RDD_SVC_STOP_WAIT_NS (300 * SIM_NS_PER_S) /* cmd/rdd/service.go:42 */
#define RDD_MGR_SHUTDOWN_NS (10 * SIM_NS_PER_S) /* controllers/manager.go:152 */
#define RDD_RETRY_STEPS 5          /* client-go retry.DefaultRetry */
#define RDD_RETRY_SLEEP_NS (10 * SIM_NS_PER_MS) /* Duration, jitter 0.1 */
/* How late a Go timer fires (time.After, time.Sleep, a ticker, a context
 * deadline), per timer, uniform in [min, max] (docs/timing.md "Timer
 * lateness"): the default is the idle figure of a replica of
 * waitMirrorResourcesGone (poll 149 at 29.860-29.866 s: 60-66 ms over 149
 * polls).  A scenario sets it with `timers: {lateness: ...}`. */
#define RDD_TIMER_LATE_MIN_NS (400 * SIM_NS_PER_US)
#define RDD_TIMER_LATE_MAX_NS (440 * SIM_NS_PER_US)
/* What countMirrorResources costs per object in the informer cache
 * (engine_reconciler.go:554-573: each r.List deep-copies every cached
 * object, then meta.ExtractList): an estimate, docs/timing.md. */
#define RDD_COUNT_COST_PER_OBJ_NS (2 * SIM_NS_PER_US)

typedef struct rdd_instance rdd_instance_t;
typedef struct rdd_watcher rdd_watcher_t;

/* bridge --------------------------------------------------------------------*/

typedef enum {
    RDD_BRIDGE_OFF,        /* no host-switch (not started, or not Windows) */
    RDD_BRIDGE_HANDSHAKE,  /* vsock handshake running (<= 5 min) */
    RDD_BRIDGE_LISTENING,  /* ListenPipe succeeded; accept loop running */
    RDD_BRIDGE_BIND_FAILED,/* ListenPipe failed; error swallowed
                              (docs/rdd/bridge.md) */
    RDD_BRIDGE_DEAD_BOUND, /* accept error: Run returned, name still bound */
    RDD_BRIDGE_HS_FAILED,  /* "Vsock handshake failed": no bridge, no
                              network for this VM life (H10) */
    RDD_BRIDGE_HS_DEAD,    /* the host-switch's errgroup failed while the
                              VM runs: pipe and network gone, nobody told
                              (H4) */
    RDD_BRIDGE__COUNT
} rdd_bridge_state_t;

#define RDD_VSOCK_HANDSHAKE_PORT 6669   /* hostswitch_windows.go:97 */
#define RDD_VSOCK_LISTEN_PORT 6656      /* hostswitch_windows.go:98 */
#define RDD_VSOCK_FORWARD_PORT 6660     /* host_windows.go:27 */
#define RDD_GUID_RESCAN_NS (1 * SIM_NS_PER_S) /* hostswitch_windows.go:504 */

/* The ports one instance uses (docs/rdd/identity.md#ports); see ports.h. */
typedef enum {
    RDD_PORT_APISERVER,    /* 6443 + Index: --secure-port */
    RDD_PORT_WEBHOOK,      /* 9443 + Index */
    RDD_PORT_PASSTHROUGH,  /* 9090 + Index */
    RDD_PORT_MGR_METRICS,  /* 8082 + 4 Index: embedded manager */
    RDD_PORT_MGR_HEALTH,   /* 8083 + 4 Index */
    RDD_PORT_EXT_METRICS,  /* 8080 + 4 Index: external controllers */
    RDD_PORT_EXT_HEALTH,   /* 8081 + 4 Index */
    RDD_PORT_K3S,          /* 7441 + Index: k3s API host port */
    RDD_PORT__COUNT
} rdd_port_id_t;

typedef struct {
    int desired;               /* read-only: the family's port for Index */
    int resolved;              /* read-only: what ResolvePort returned */
    int resolve_err;           /* read-only: ResolvePort's error */
    int bound;                 /* read-only: 1 while bound for real */
    int bind_err;              /* read-only: the real bind's error */
    uint64_t trace_seq;        /* read-only: its latest rdd.ports.* record
                                  (a link for explain; never hashed) */
} rdd_port_t;

typedef struct {
    rdd_port_t p[RDD_PORT__COUNT]; /* read-only */
    int resolved;              /* read-only: ResolvePort ran for all */
    int moved;                 /* read-only: ports not at their desired */
    int nfail;                 /* read-only: failed real binds (S12, H8) */
    char fail_msg[200];        /* read-only: the first one, in words */
    uint32_t pid;              /* read-only: who bound them */
    sim_timer_t bind_timer;    /* private: resolve -> real bind window */
    int timer_ready;           /* private */
    int guest_fwd_port;        /* read-only: host port of the 6443 forward */
    uint32_t guest_fwd_pid;    /* read-only: its binder (the hostagent) */
    int guest_fwd_bound;       /* read-only */
    int guest_fwd_err;         /* read-only: its bind error (H11) */
} rdd_ports_t;

typedef struct {
    rdd_bridge_state_t state;  /* read-only: via rdd__bridge_transition */
    sim_timer_t handshake;     /* private */
    npipe_listener_t *ln;      /* private */
    int bind_err;              /* read-only: ListenPipe's error */
    char bind_msg[300];        /* read-only: the error Run returned */
    int failed_this_vm;        /* read-only: a bind failed in this VM life */
    uint64_t accepted;         /* read-only: connections handed to the VM */
    uint64_t fail_seq;         /* read-only: trace seq of the swallowed
                                  failure's record (rdd.bridge.exit,
                                  rdd.hostswitch.fail/exit); 0 while
                                  listening or off.  A link for explain
                                  (the engine's dials name it), never
                                  hashed */
    /* host-switch (hostswitch_windows.go:170-316) */
    uint64_t hs_start_ns;      /* private: handshake start (5 min limit) */
    uint64_t hs_ready_ns;      /* private: when the guest can answer */
    char vm_guid[64];          /* read-only: the GUID the handshake found */
    char hs_peer[96];          /* read-only: whose guest answered 6669
                                  ("" when no guest listener is modelled) */
    int vsock_bound;           /* read-only: we hold vsock 6656 */
    int network;               /* read-only: gvisor network up */
    int hs_err;                /* read-only: the handshake's error */
    char hs_msg[300];          /* read-only: "Vsock handshake failed: ..." */
    uint64_t hs_failures;      /* read-only: handshakes failed so far */
    uint64_t hs_deaths;        /* read-only: host-switch deaths so far */
    char died_msg[300];        /* read-only: "Host-switch exited with
                                  error: ..." */
    rdd_ports_t ports;         /* ports.c: the service's ports and the
                                  guest forward (kept here until the
                                  instance struct carries it) */
} rdd_bridge_t;

/* watcher -------------------------------------------------------------------*/

typedef void (*rdd_watcher_start_cb)(rdd_instance_t *inst, int err,
                                     const char *msg);

/* engine --------------------------------------------------------------------*/

/* A growable list of object names, filled while visiting a reader. */
typedef struct {
    char (*names)[KUBE_NAME_MAX];
    size_t n, cap;
} rdd_names_t;

typedef enum {
    RDD_ENG_IDLE,          /* no reconcile running */
    RDD_ENG_STARTING,      /* row C: startWatcherAndSync in flight */
    RDD_ENG_FINALIZERS,    /* row D: processFinalizers' Docker deletes */
    RDD_ENG_CLEANUP_WAIT,  /* rows A/B: waitMirrorResourcesGone polling */
    RDD_ENG_CLEANUP_LIST,  /* rows A/B: a deleteAllOfType LIST waiting for
                              the watch cache (ConsistentListFromCache) */
    RDD_ENG_CONTEXT_WAIT,  /* rows A/B: removeDockerContext waiting for
                              outstanding probes / its config.json save */
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
    kube_cache_t *cache;      /* private: the manager's informer cache
                                 (informer.c), NULL when not holding it */
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
    uint64_t stopped_uid_mark;    /* read-only: the store's last uid then */
    uint64_t trace_seq;       /* read-only: its latest rdd.engine.* record
                                 (a link for explain; never hashed) */
    uint64_t deleted_seq;     /* read-only: the record of its latest
                                 mirror delete (the same) */
    uint64_t error_seq;       /* read-only: its latest
                                 rdd.engine.reconcile_error (the same) */
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
    sim_rng_t late_rng;       /* private: timer lateness of the engine,
                                 "rdd.<inst>.engine.timers" */
    sim_rng_t watch_late_rng; /* private: that of its watchers' context
                                 deadlines, "rdd.<inst>.watcher.timers" */
    sim_rng_t dctx_late_rng;  /* private: that of the context probes' 3 s
                                 deadlines, "rdd.<inst>.dctx.timers" */
    /* cleanupMirrorResources in flight */
    rdd_names_t del;          /* private: deleteAllOfType's list */
    size_t del_i;             /* private: the item being processed */
    int del_tries;            /* private: its RetryOnConflict tries */
    char kind_errs[1024];     /* private: this kind's joined errors */
    int fin_kind;             /* private: processFinalizers' kind */
    int shut_down;            /* private: the manager's context is
                                 cancelled: the controller takes no more
                                 keys */
    void *remove;             /* private: the Docker delete in flight
                                 (watcher.c), abandoned when the process
                                 dies */
    rdd_fin_item_t *stripped; /* read-only: finalizers processFinalizers
                                 removed, in order (invariant S9) */
    size_t nstripped;         /* read-only */
} rdd_engine_t;

/* instance ------------------------------------------------------------------*/

/* The VM's timings and the service's executable (world.c fills them). */
typedef struct {
    uint64_t prepare_ns;    /* Lima Create+Prepare (default 2 s) */
    uint64_t handshake_ns;  /* host-switch handshake after startInstance
                               (Windows) */
    uint64_t boot_ns;       /* hostagent start -> Running event */
    int never_running;      /* the hostagent never emits Running
                               (docs/rdd/limavm.md path 2) */
    char exe[256];          /* the rdd executable the service runs from */
    int keep_logs;          /* RDD_KEEP_LOGS */
    uint64_t late_min_ns;   /* Go timer lateness range (rdd_timer_late);
                               0..0: timers fire on time */
    uint64_t late_max_ns;
    int choice[SIM_CHOICE__COUNT]; /* choice points (sim/choices.def):
                               SIM_PIN_NONE (seeded), _FALSE, _TRUE */
} rdd_vm_params_t;

typedef enum {
    RDD_SVC_DOWN,           /* no service process */
    RDD_SVC_RUNNING,        /* serving: controllers up */
    RDD_SVC_STOPPING,       /* interrupted: the shutdown hook runs */
} rdd_svc_state_t;

struct rdd_instance {
    sim_loop_t *loop;
    rdd_identity_t id;
    rdd_flags_t flags;
    npipe_ns_t *pipes;
    uds_ns_t *socks;
    npipe_owner_t proc;          /* the RDD service process (pid 0: none) */
    dock_daemon_t *vm_daemon;    /* dockerd inside this instance's VM */
    kube_store_t *api;           /* this instance's apiserver datastore:
                                    survives service restarts, replaced by
                                    `rdd svc delete` */
    uint64_t api_epoch;          /* read-only: +1 each time api is replaced */
    rdd_bridge_t bridge;
    rdd_engine_t engine;
    rdd_watcher_t *watcher;      /* published watcher (r.watcher) */
    uds_listener_t *sock_fwd;    /* Lima's socket forward (Unix hosts) */
    host_t *host;                /* the machine (shared by instances) */
    rdd_vm_params_t vp;          /* public: read at each svc start / launch */
    rdd_app_t app;               /* App controller (app.h) */
    rdd_limavm_t lvm;            /* LimaVM controller (limavm.h) */
    kube_cache_t *informer;      /* private: the manager's informer cache,
                                    shared by the controllers (informer.c) */
    int informer_refs;           /* private: controllers holding it */
    rdd_lima_t lima;             /* hostagents launched (lima.h) */
    rdd_dctx_t dctx;             /* Docker context management */
    int vm_running;              /* read-only: the VM's dockerd is up (a
                                    hostagent reached Running and lives) */
    uint64_t vm_lives;           /* read-only: VM boots so far */
    rdd_svc_state_t svc;         /* read-only */
    uint64_t svc_starts;         /* read-only */
    int svc_exit_watch;          /* private */
    int svc_delete_pending;      /* private: delete after the stop */
    int svc_delete_rc;           /* the last Delete's RemoveAll(Dir())
                                  * result (service.go:564), 0 or an
                                  * errno-table code */
    char svc_delete_err[300];    /* ... and its message, for the CLI */
    int svc_shutdown_parts;      /* private: shutdown runnables running */
    sim_timer_t svc_shutdown_cap; /* private: GracefulShutdownTimeout */
    char log_dir[HOST_PATH_MAX]; /* read-only: LogDir() (normalised) */
    char dir[HOST_PATH_MAX];     /* read-only: Dir() (normalised) */
    char short_dir[HOST_PATH_MAX]; /* read-only: ShortDir() (normalised) */
    struct {                     /* standin.c only: the unit tests' VM
                                    stand-in (all zero otherwise) */
        int on;                  /* made by rdd_standin_init */
        sim_timer_t boot;        /* the VM's boot delay */
        sim_timer_t running_retry; /* App Running write, retried */
        int running_want;        /* the value being retried */
        uint64_t handshake_ns;   /* the last start's timings */
        uint64_t boot_ns;
    } standin;
};

/* One RDD instance: identity (RDD_INSTANCE, host OS), its datastore and at
 * most one service process.  Starts no process.  host is the machine,
 * shared by instances.  vp is copied.  Returns 0 or SIM_ENOMEM.  (The
 * unit tests' VM stand-in makes its instances with rdd_standin_init
 * instead, standin.h.) */
int rdd_instance_init(rdd_instance_t *inst, sim_loop_t *loop, host_t *host,
                      rdd_os_t os, int env_set, const char *rdd_instance,
                      rdd_flags_t flags, npipe_ns_t *pipes, uds_ns_t *socks,
                      dock_daemon_t *vm_daemon, const rdd_vm_params_t *vp);
/* What both inits share (service.c; standin.c's too): zeroes inst, the
 * identity and its normalised directories, an empty datastore. */
int rdd__instance_base(rdd_instance_t *inst, sim_loop_t *loop, rdd_os_t os,
                       int env_set, const char *rdd_instance,
                       rdd_flags_t flags, npipe_ns_t *pipes, uds_ns_t *socks,
                       dock_daemon_t *vm_daemon);
/* Frees the in-process state; kills nothing on the host. */
void rdd_instance_free(rdd_instance_t *inst);
/* `rdd svc start`: spawns the service process ("rdd", exe vp.exe) and
 * starts its controllers (engine, App, LimaVM).  SIM_EEXIST if a service
 * runs, SIM_ENOMEM. */
int rdd_svc_start(rdd_instance_t *inst);
/* Run returned err, a fatal error of the service (a file it must write:
 * rdd.pid, service.go:704-707; the kubeconfig, :118-119 and :838-847):
 * traces rdd.svc.fail err=<err> and the service process exits 1 on this
 * turn (its exit watchers run inside the call).  A no-op when no service
 * runs. */
void rdd__svc_fail(rdd_instance_t *inst, const char *err);
/* `rdd svc stop` (service.go:470-492): interrupt; if the interrupt fails
 * (console == 0 on Windows: no shared console) TerminateProcess: no
 * shutdown hook, hostagents survive as orphans.  With the interrupt, the
 * shutdown hook (limavm_controller.go:617-708) runs in virtual time before
 * the process exits.  SIM_ESRCH if no service runs. */
int rdd_svc_stop(rdd_instance_t *inst, int console);
/* `rdd svc delete` (service.go:541-565): stop (as above), then once the
 * process is gone best-effort RemoveAll of LogDir (unless keep_logs),
 * ShortDir (errors ignored) and Dir: the datastore is gone (inst->api is
 * replaced by an empty store and api_epoch bumped).  RemoveAll(Dir())'s
 * error is Delete's (:564): returned here when no service ran, else kept
 * in svc_delete_rc/svc_delete_err for the CLI once the process is gone. */
int rdd_svc_delete(rdd_instance_t *inst, int console);
/* `rdd set running=true` on a fresh datastore: creates the App
 * (spec.running=true, moby, namespace default) if absent. */
int rdd_app_ensure(rdd_instance_t *inst);

/* Bridge (bridge.c). */
/* startHostSwitch: the guest answers the handshake handshake_ns from now;
 * then (Windows only) the vsock listener, the network and the bridge. */
void rdd_bridge_start(rdd_instance_t *inst, uint64_t handshake_ns);
/* stopHostSwitch: cancel and wait.  Proxied connections live on. */
void rdd_bridge_stop(rdd_instance_t *inst);
const char *rdd_bridge_state_name(rdd_bridge_state_t s);
/* H4: a non-bridge errgroup error (why: e.g. "vsock accept failed: ...")
 * cancels the host-switch while the VM runs: the pipe's listener and vsock
 * 6656 close, proxied streams survive, and only
 * rdd_limavm_hostswitch_died hears of it.  A no-op unless the errgroup is
 * running (bridge listening, bind-failed or dead-bound). */
void rdd_hostswitch_die(rdd_instance_t *inst, const char *why);
/* 1 while the host-switch's network is up (handshake done, not dead). */
int rdd_hostswitch_up(const rdd_instance_t *inst);

/* Watcher (watcher.c).  Creates a watcher and runs ping, info and the full
 * sync; cb reports the outcome (err 0: published by the caller). */
int rdd_watcher_new(rdd_instance_t *inst, rdd_watcher_start_cb cb,
                    rdd_watcher_t **out);
int rdd_watcher_alive(const rdd_watcher_t *w);
/* Info.ID of the daemon the watcher reached ("" before Info answered). */
const char *rdd_watcher_daemon_id(const rdd_watcher_t *w);
/* stop(): cancel and wait; frees w. */
void rdd_watcher_stop(rdd_watcher_t *w);
/* Docker remove via the watcher's client (deleteContainer/Image/Volume). */
typedef void (*rdd_remove_cb)(rdd_instance_t *inst, int err, const char *msg);
int rdd_watcher_remove(rdd_watcher_t *w, dock_op_t op, const char *ref,
                       int force, rdd_remove_cb cb);
/* The process died: the delete in flight (if any) never calls back. */
void rdd_watcher_remove_abandon(rdd_instance_t *inst);

/* How late one Go timer of inst fires: uniform in [vp.late_min_ns,
 * vp.late_max_ns], drawn from stream (the caller's named seeded stream);
 * 0 without a draw when the range is 0..0.  Add it to every time.After,
 * time.Sleep, ticker period and context deadline a model runs. */
uint64_t rdd_timer_late(const rdd_instance_t *inst, sim_rng_t *stream);

/* Engine (engine.c). */
int rdd_engine_init(rdd_instance_t *inst);
void rdd_engine_free(rdd_instance_t *inst);
/* The manager's shutdown hook (engine_reconciler.go:833-840): cancel
 * watcherCtx, stop the watcher, removeDockerContext (asynchronous: waits
 * for outstanding probes in virtual time).  For `rdd svc stop`; a killed
 * service only gets rdd_engine_free. */
void rdd_engine_shutdown(rdd_instance_t *inst, rdd_dctx_done_cb then);
void rdd_engine_enqueue(rdd_instance_t *inst);
const char *rdd_engine_state_name(rdd_engine_state_t s);

/* The controller manager's informer cache (informer.c), one per instance:
 * acquire creates it on the first call (named "<Name()>/manager") and
 * counts the holders; release clears *c and frees the cache with the last
 * holder.  Its events go to the handlers below of the controllers whose
 * cache pointer is set (engine, App, LimaVM, in that order). */
int rdd_informer_acquire(rdd_instance_t *inst, kube_cache_t **out);
void rdd_informer_release(rdd_instance_t *inst, kube_cache_t **c);
void rdd__engine_on_change(rdd_instance_t *inst, kube_event_type_t type,
                           const kube_obj_t *o);
void rdd__app_on_change(rdd_instance_t *inst, kube_event_type_t type,
                        const kube_obj_t *o);
void rdd__limavm_on_change(rdd_instance_t *inst, kube_event_type_t type,
                           const kube_obj_t *o);

/* Mirrors of all four kinds in the engine's namespace: in the store
 * (live) or in the engine's informer cache.  For invariants. */
size_t rdd_mirror_count(rdd_instance_t *inst, int cached);

/* Helpers shared by the models. */

/* Appends name; returns 0, or 1 (stop visiting) when out of memory. */
int rdd_names_push(rdd_names_t *l, const char *name);

int rdd_get_app(rdd_instance_t *inst, kube_reader_t *r, kube_obj_t *app);
void rdd_errs_join(char *errs, size_t len, const char *msg);
/* A trace event ev with inst=<Name()> and up to two string fields (k NULL:
 * none). */
void rdd_trace_kv(rdd_instance_t *inst, const char *ev, const char *k1,
                  const char *v1, const char *k2, const char *v2);

#endif
