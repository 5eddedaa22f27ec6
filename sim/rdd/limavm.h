/*
 * limavm.h: RDD's LimaVM controller and hostagent watcher
 * (rdd/pkg/controllers/lima/limavm/controllers/, docs/rdd/limavm.md).
 *
 * limavm.c   Reconcile (limavm_controller.go:166-397), the queue and
 *            cache, and the service shutdown hook (:617-708).
 * limavm_lifecycle.c  handleRunningState and its helpers, the force-stop
 *            helpers, handleDeletion (limavm_lifecycle.go).
 * hawatcher.c the watcher phase machine (hostagent_watcher.go).
 *
 * The controller runs on a kube_ctrl_t fed by an informer cache of LimaVM
 * and ConfigMap objects; RDD blocks inside Reconcile (pid-file wait,
 * graceful stop, orphan poll), which here is a reconcile that calls
 * kube_ctrl_done later, in virtual time.  The instance has one LimaVM, "rd"
 * (app_controller.go:53); instanceStates holds at most that one entry.
 */
#ifndef RDD_LIMAVM_H
#define RDD_LIMAVM_H

#include <stddef.h>
#include <stdint.h>

#include "kube/kube.h"
#include "lima.h"
#include "sim/rng.h"

typedef struct rdd_instance rdd_instance_t;

/* Condition types, reasons (limavm_controller.go:51-83). */
#define RDD_LVM_COND_CREATED "Created"
#define RDD_LVM_COND_RUNNING "Running"
#define RDD_LVM_CLEANUP_FINALIZER "rdd.rancherdesktop.io/cleanup"
#define RDD_LVM_OWNED_FINALIZER "rdd.rancherdesktop.io/owned-by-LimaVM"
#define RDD_LVM_TEMPLATE_CM "rd-template"
/* lima.rancherdesktop.io/restartRequested: metadata (kube.h
 * KUBE_ANNOTATION_PREFIX), never bumps generation. */
#define RDD_LVM_RESTART_ANNOTATION KUBE_ANNOTATION_PREFIX "restartRequested"
#define RDD_LVM_OWNER_KEY "ownerReferences.uid"

/* docs/timing.md LimaVM timing constants. */
#define RDD_LVM_PIDFILE_WAIT_NS (5 * SIM_NS_PER_S)        /* :455 */
#define RDD_LVM_PIDFILE_POLL_NS (100 * SIM_NS_PER_MS)     /* :463 */
#define RDD_LVM_GRACEFUL_NS (30 * SIM_NS_PER_S)           /* ctrl :91 */
#define RDD_LVM_FORCE_CTX_NS (30 * SIM_NS_PER_S)          /* :516 */
#define RDD_LVM_POST_KILL_NS (10 * SIM_NS_PER_S)          /* :542 */
#define RDD_LVM_ORPHAN_POLL_NS (500 * SIM_NS_PER_MS)      /* :602 */
#define RDD_LVM_WSL_TERMINATE_NS (10 * SIM_NS_PER_S)      /* :764 */
#define RDD_LVM_WSL_UNREGISTER_NS (30 * SIM_NS_PER_S)     /* :781 */
#define RDD_LVM_LIMA_DELETE_NS (60 * SIM_NS_PER_S)        /* ctrl :226 */
#define RDD_LVM_SENTINEL_REQUEUE_NS (1 * SIM_NS_PER_S)    /* ctrl :215 */
#define RDD_LVM_STALE_REQUEUE_NS (1 * SIM_NS_PER_S)       /* ctrl :325 */
#define RDD_LVM_STALE_RETRY_NS (2 * SIM_NS_PER_S)         /* ctrl :323 */
#define RDD_LVM_ORPHAN_REQUEUE_NS (1 * SIM_NS_PER_S)      /* :272 */
/* Fix flags' constants (flags.h). */
#define RDD_LVM_STARTING_TIMEOUT_NS (360 * SIM_NS_PER_S)  /* STARTING_TIMEOUT:
                                       past the 5 min handshake limit */
#define RDD_LVM_BACKOFF_MIN_NS (1 * SIM_NS_PER_S)         /* CRASH_LOOP_BACKOFF */
#define RDD_LVM_BACKOFF_MAX_NS (300 * SIM_NS_PER_S)
#define RDD_LVM_STALE_SURFACE_AFTER 3                     /* SURFACE_CREATE_FAILED */

/* instancePhase (hostagent_watcher.go:27-32). */
typedef enum {
    RDD_PHASE_UNKNOWN,    /* "": no watcher entry */
    RDD_PHASE_STARTING,   /* startWatcher, or a boot event */
    RDD_PHASE_RUNNING,    /* a Running event */
    RDD_PHASE_STOPPED,    /* Exiting, or the tailer returned */
    RDD_PHASE__COUNT
} rdd_phase_t;

/* instanceState (hostagent_watcher.go:35-42). */
typedef struct {
    int present;            /* read-only: an entry in instanceStates */
    rdd_phase_t phase;      /* read-only: via rdd__hawatch_transition */
    uint32_t pid;           /* read-only: cmd.Process.Pid */
    int proc_exited;        /* read-only: procExited closed (reaped) */
    int watching;           /* read-only: the tailer runs (done open) */
    uint64_t begin_ns;      /* read-only: events since */
    int nunread;            /* read-only: lines written to ha.stdout.log
                               that the tail has not read yet */
    rdd_ha_ev_t unread[8];  /* private: those lines, in order */
    uint64_t unread_at[8];  /* private: when each was written */
    int exit_watch;         /* private: the reaper (host exit watch) */
    char ns[KUBE_NS_MAX];   /* private: for enqueueReconcile */
    char name[KUBE_NAME_MAX];
} rdd_hawatch_t;

/* One kill or signal the controller sent (invariant S13). */
typedef struct {
    uint64_t at_ns;
    uint32_t pid;
    char role[12];            /* "hostagent" | "driver" */
    char exe[HOST_PATH_MAX];  /* the target's image at the time */
    int identity;             /* 1 IsOurProcess passed, 0 failed, -1 none */
    int ours;                 /* ground truth: a live hostagent (or its
                                 driver) of this instance */
    char helper[40];          /* "stopInstanceForcibly", ... */
    char how[16];             /* "interrupt" | "kill_tree" | "ctrl_break" |
                                 "sigkill" | "kill" */
    int rc;
} rdd_limavm_kill_t;

/* Async steps a reconcile can be parked in. */
typedef enum {
    RDD_LVM_IDLE,           /* no reconcile parked */
    RDD_LVM_PREPARE,        /* Lima Prepare running */
    RDD_LVM_PIDWAIT,        /* waitForPIDFile */
    RDD_LVM_GRACEFUL,       /* shutdownHostagent: waiting for exit */
    RDD_LVM_AFTER_KILL,     /* shutdownHostagent: post-kill wait */
    RDD_LVM_ORPHAN_WAIT,    /* killOrphanedHostagent's poll */
    RDD_LVM_BACKOFF,        /* CRASH_LOOP_BACKOFF: waiting to restart */
    RDD_LVM_SHUTDOWN,       /* the service's shutdown hook */
    RDD_LVM__COUNT
} rdd_lvm_step_t;

typedef struct {
    kube_ctrl_t *ctrl;          /* private: the controller's queue */
    kube_cache_t *cache;        /* private: the manager's informer cache
                                   (informer.c), NULL when not holding it */
    rdd_hawatch_t w;            /* read-only: instanceStates["rd"] */
    int chan_full;              /* private: reconcileChan (1 slot) */
    uint64_t tail_seq;          /* private: the tail read scheduled */
    sim_rng_t tail_rng;         /* private: stream "<inst>.hawatcher.tail" */
    uint64_t tail_lost;         /* read-only: lines the cancelled tail
                                   never read (choice hawatcher.tail_lost) */
    uint64_t chan_drops;        /* read-only: enqueues dropped (full) */
    uint32_t svc_pid;           /* private: the service it runs in */
    /* a reconcile parked on an async step */
    rdd_lvm_step_t step;        /* read-only */
    char key[KUBE_NS_MAX + KUBE_NAME_MAX + 2]; /* private */
    kube_obj_t vm;              /* private: the reconcile's LimaVM copy */
    kube_obj_t cm;              /* private: its template ConfigMap */
    rdd_lima_inst_t li;         /* private: Inspect result in use */
    int have_li;                /* private */
    sim_timer_t timer;          /* private */
    uint64_t deadline_ns;       /* private */
    int k;                      /* private: what follows the step */
    char start_err[300];        /* private */
    /* fix-flag state */
    uint64_t backoff_ns;        /* private: CRASH_LOOP_BACKOFF delay */
    uint64_t backoff_until_ns;  /* private */
    int stale_streak;           /* private: SURFACE_CREATE_FAILED */
    uint64_t starting_since_ns; /* private: STARTING_TIMEOUT */
    uint64_t orphan_loop_since_ns; /* private: RECONCILING_BOUNDED */
    int hs_died;                /* private: HOSTSWITCH_DEATH_SURFACED */
    void (*shutdown_done)(rdd_instance_t *inst); /* private */
    /* observation points (ground truth for invariants; not model state) */
    uint64_t starts;            /* read-only: startInstance launches */
    uint64_t start_failed;      /* read-only: StartFailed writes */
    uint64_t stale_removals;    /* read-only: removeStaleInstance calls */
    uint64_t stale_since_ns;    /* read-only: first of the current loop
                                   (0: not looping; a Create that
                                   succeeds ends it) */
    uint64_t stale_failures;    /* read-only: of them, RemoveAll failed */
    uint64_t inspect_seq;       /* read-only: trace seq of the latest
                                   rdd.limavm.inspect (a link for explain;
                                   never hashed) */
    uint64_t stale_fail_seq;    /* read-only: trace seq of the latest
                                   rdd.limavm.stale_remove_failed (a link
                                   for explain; never hashed) */
    uint64_t orphan_requeues;   /* read-only: killOrphaned + requeue 1 s */
    uint64_t orphan_since_ns;   /* read-only: first of the current loop
                                   (0: not looping; Inspect no longer
                                   Running/Broken ends it) */
    uint64_t crash_restarts;    /* read-only: Stopped ∧ run restarts */
    uint64_t running_since_ns;  /* read-only: Running condition's value */
    char running_status[8];     /* read-only: last Running written */
    char running_reason[40];
    char created_reason[40];    /* read-only: last Created reason */
    uint32_t last_ha_pid;       /* read-only: the last hostagent launched */
    rdd_limavm_kill_t *kills;   /* read-only: every kill/signal sent */
    size_t nkills;              /* read-only */
} rdd_limavm_t;

/* Controller start/stop (service start/stop).  init: SIM_ENOMEM.  free
 * stops everything in process (the watcher, parked steps) and leaves the
 * hostagents running. */
int rdd_limavm_init(rdd_instance_t *inst);
void rdd_limavm_free(rdd_instance_t *inst);
/* The service's shutdown hook (limavm_controller.go:617-708): interrupt
 * every hostagent not reaped, wait <= 30 s, always force-reclaim, wait
 * <= 10 s, stop the host-switch.  The controller's queue is stopped first.
 * done runs when it finishes (never inside this call). */
void rdd_limavm_shutdown(rdd_instance_t *inst,
                         void (*done)(rdd_instance_t *inst));
/* The same shutdown with the hook hung at its start (fault
 * rdd.svc.shutdown_hang): the queue stops and the context's kills happen;
 * nothing else, and no done. */
void rdd_limavm_shutdown_hang(rdd_instance_t *inst);

/* HOSTSWITCH_DEATH_SURFACED (LimaVM side): with the flag, enqueues the
 * LimaVM; handleRunningState restarts the host-switch.  Without it,
 * nothing (hostswitch_windows.go:165-169). */
void rdd_limavm_hostswitch_died(rdd_instance_t *inst);

/* Observation. */
uint32_t rdd_limavm_tracked_pid(const rdd_instance_t *inst);
rdd_phase_t rdd_limavm_phase(const rdd_instance_t *inst);
const char *rdd_phase_name(rdd_phase_t p);
const char *rdd_lvm_step_name(rdd_lvm_step_t s);
/* One or two sentences: what the LimaVM waits on and since when. */
void rdd_limavm_explain(rdd_instance_t *inst, char *buf, size_t len);

/* internal (limavm.c, hawatcher.c, lima.c) ---------------------------------*/

/* Sends a kill or signal and records it (ground truth taken first) in the
 * kill log, with a trace.  how: "interrupt" / "ctrl_break" (host_interrupt),
 * "kill" / "sigkill" (host_kill), "kill_tree" (host_kill_tree).  identity:
 * 1 the identity check passed, 0 failed, -1 none made.  Returns the host's
 * code. */
int rdd__limavm_kill(rdd_instance_t *inst, uint32_t pid, const char *role,
                     int identity, const char *helper, const char *how);
/* Frees the observation points (instance free). */
void rdd__limavm_obs_free(rdd_instance_t *inst);
/* enqueueReconcile (hostagent_watcher.go:226-236): the 1-slot channel. */
void rdd__limavm_enqueue_chan(rdd_instance_t *inst);
/* The reaper saw the tracked hostagent exit (procExited closed). */
void rdd__limavm_proc_exited(rdd_instance_t *inst);
void rdd__lima_remove_tmp(rdd_instance_t *inst, const char *dir);

/* hawatcher.c */
void rdd__hawatch_start(rdd_instance_t *inst, const char *ns,
                        const char *name, rdd_ha_t *ha, uint64_t begin_ns);
void rdd__hawatch_stop(rdd_instance_t *inst);
rdd_phase_t rdd__hawatch_phase(const rdd_instance_t *inst);
/* signalHostagent: 1 if interrupted. */
int rdd__hawatch_signal(rdd_instance_t *inst);

#endif
