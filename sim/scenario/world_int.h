/*
 * world_int.h: what world.c, invariants.c and actions.c share, and nothing
 * else may use (the public interface is world.h).
 *
 * A run's world (struct world) holds the machine, the Docker daemons, the
 * pipe owners and one winst_t per RDD instance; the invariants keep their
 * running state in those structures (cursors, first violation seen), and
 * the timeline keeps its `rdd set` clients (rdd_cli_t) and pipe holds
 * (pipe_hold_t) there so that teardown can release them.
 *
 *   world.c       building, running, stall reports, teardown
 *   invariants.c  the invariant catalogue, the checks and the commit
 *                 observer that feeds them
 *   actions.c     the timeline: one scenario step at a time
 */
#ifndef SIM_WORLD_INT_H
#define SIM_WORLD_INT_H

#include "world.h"

#include "docker/docker.h"
#include "npipe/npipe.h"
#include "owners/owners.h"
#include "rdd/bats.h"
#include "rdd/rdd.h"
#include "sim/fault.h"
#include "sim/trace.h"
#include "uds/uds.h"

typedef struct world world_t;

/* The conditions a stall names, and the commit that set each (on_commit). */
enum { WI_COND_SETTLED, WI_COND_ENGINE, WI_COND_CREATED, WI_COND_RUNNING,
       WI_COND__COUNT };

typedef struct {
    world_t *w;
    rdd_instance_t inst;
    int up;
    int alias;                     /* >= 0: `rdd svc start` found this
                                      instance's Dir already served by that
                                      one (H7); its steps go there */
    char alias_name[96];           /* the Name() it asked for */
    char provenance_bad[SIM_INV_WHY_MAX]; /* S2: first foreign mirror */
    int watch_id;
    char s7_bad[SIM_INV_WHY_MAX];  /* S7: first decrease seen */
    char s7_type[KUBE_CONDS_MAX][32];
    int64_t s7_max[KUBE_CONDS_MAX];
    int s7_n;
    uint64_t s7_uid;               /* the App object s7_* are about */
    uint64_t s7_epoch;             /* ... in this datastore */
    uint64_t stopped_seen;         /* S5: Stopped writes already judged */
    size_t s9_seen;                /* S9: strips already judged */
    uint64_t running_false_ns;     /* L1: when Running turned False */
    uint64_t running_false_seq;    /* L1: the trace seq then (after_seq) */
    int running_false;             /* L1 */
    char s5_settled_bad[SIM_INV_WHY_MAX]; /* S5's Settled part */
    char s6_bad[SIM_INV_WHY_MAX];
    char settled_key[80];          /* S5/S6: the Settled last judged */
    int starting;                  /* L3: wants running, not yet there */
    uint64_t starting_since_ns;
    uint64_t starting_seq;         /* L3: the trace seq then */
    char starting_reason[40];
    int app_running_true;          /* L6: the App's Running is True */
    uint64_t app_running_true_ns;
    uint64_t app_running_true_seq; /* L6: the commit that said so */
    uint64_t pipe_bad_since_ns;    /* L6: outage start (0: served) */
    uint64_t pipe_bad_seq;         /* L6: the trace seq then */
    uint64_t l5_next_ns;           /* L5: next scan (every 100 ms) */
    char s16_bad[SIM_INV_WHY_MAX]; /* S16 */
    char b1_bad[SIM_INV_WHY_MAX];  /* B1: the first BATS failure */
    uint64_t api_epoch;            /* the store watch_id is on */
    size_t s13_seen;               /* S13: kills already judged */
    uint32_t orphan_pid;           /* L5: an untracked live hostagent */
    uint64_t orphan_since_ns;
    uint64_t orphan_seq;           /* L5: the trace seq then */
    uint64_t l4_since_ns;          /* L4: the stale loop's start seen ... */
    uint32_t l4_svc_pid;           /* L4: the service it is judging */
    uint64_t l4_svc_ns;            /* ... since when that one runs */
    /* The App's ContainerEngineReady, read at most once per store
     * revision (app_engine in invariants.c: S3 and L1 ask after every
     * event). */
    const void *appc_api;
    uint64_t appc_epoch, appc_rv;
    int appc_valid, appc_has;
    int64_t appc_gen;
    kube_cond_t appc_cond;
    uint32_t l3_svc_pid;           /* L3: the service it is judging */
    uint64_t l3_svc_ns;            /* ... since when that one runs */
    uint64_t l4_seq;               /* ... and the trace seq then */
    uint64_t l7_called_ns;         /* L7: the removeDockerContext call
                                      seen ... */
    uint64_t l7_seq;               /* ... and the trace seq then */
    rdd_bats_setup_t bats;         /* what local_setup_file left */
    int bats_ran;
    int app_gone;                  /* L9: the App was deleted */
    uint64_t app_gone_ns;
    uint64_t app_gone_seq;         /* L9: the trace seq then */
    char s17_bad[SIM_INV_WHY_MAX]; /* S17: a client of this instance
                                      reached another apiserver */
    char cond_key[WI_COND__COUNT][80]; /* stalls: status/reason now ... */
    uint64_t cond_seq[WI_COND__COUNT]; /* ... and the trace seq of the
                                          commit that set it (a link for
                                          explain; never hashed) */
} winst_t;

/* One `rdd set` invocation (rdd/cmd/rdd/set.go:255-328, 477-536). */
typedef struct {
    world_t *w;
    winst_t *wi;
    const sc_action_t *a;
    int64_t min_gen;
    uint64_t start_ns;
    int watch_id;
    uint64_t api_epoch;            /* the store the watch is on */
    int done;
    sim_timer_t timeout;
    char seen[KUBE_CONDS_MAX][2][KUBE_MSG_MAX + 80]; /* type, last key */
    int nseen;
    /* engine-docker.bats test 37 runs `rdd set running=true
     * containerEngine.name=moby`, then `rdd ctl wait
     * --for=condition=ContainerEngineReady --timeout=30s`, then its
     * assertion: the test step, or NULL for a plain `rdd set` */
    const sc_action_t *bats;
    int bats_waiting;              /* in the ctl wait */
} rdd_cli_t;

/* A Docker CLI client holding a pipe connection open (`docker logs -f`):
 * its handle keeps the name alive after the server dies (lingering). */
typedef struct {
    world_t *w;
    sim_stream_t *conn;
    sim_timer_t until;
    uint32_t pid;
    uint64_t for_ns;
    char pipe[NPIPE_NAME_MAX];
} pipe_hold_t;

/* `rdd svc stop|delete` waiting for the service to exit
 * (rdd/pkg/service/cmd/service.go:465-520): a 100 ms poll of the pid, 5 min
 * by default, then TerminateProcess and an error. */
typedef struct {
    world_t *w;
    winst_t *wi;
    const char *cmd;
    uint32_t pid;
    uint64_t start_ns;
    int watch;                     /* host exit watch id */
    sim_timer_t timeout;
    int done;
} svc_cli_t;

/* One `rdd ctl VERB KIND NAME` (rdd/cmd/rdd/kubectl.go:33-44):
 * ensureServiceRunning's readiness polls, then kubectl on Config(). */
typedef struct {
    world_t *w;
    winst_t *wi;
    const sc_action_t *a;
    uint64_t start_ns;
    int polls;                     /* readiness checks made */
    int done;
    char last_err[400];            /* the last readiness error */
} ctl_cli_t;

struct world {
    const scenario_t *sc;
    const sc_variant_t *var;
    sim_loop_t loop;
    sim_trace_t trace;
    sim_faults_t faults;
    sim_inv_t inv;
    npipe_ns_t *pipes;
    uds_ns_t *socks;
    dock_daemon_t *daemons[SC_MAX_DAEMONS];
    dock_daemon_t *vm_daemons[SC_MAX_INSTANCES];
    owner_t owners[SC_MAX_OWNERS];
    winst_t inst[SC_MAX_INSTANCES];
    size_t s1_cursor[SC_MAX_DAEMONS + SC_MAX_INSTANCES];
    size_t s4_cursor[SC_MAX_DAEMONS + SC_MAX_INSTANCES];
    char s14_why[SIM_INV_WHY_MAX];
    uint64_t s14_holder;           /* S14: the holder's listen (explain) */
    int s14_judged[SC_MAX_OWNERS]; /* S14: this failure was judged */
    host_t *host;                  /* the machine (host.h) */
    int torn_down;                 /* teardown began: see world_live */
    int stop;                      /* WORLD_STOP_*: why the run stopped */
    uint64_t max_events;           /* the run's event budget */
    const volatile sig_atomic_t *interrupt; /* world_io_t.interrupt */
    int in_user_action;            /* S16: a timeline step is running */
    int cur_action;                /* index of the step running */
    sc_action_t act_copy[SC_MAX_ACTIONS]; /* steps redirected to an alias */
    size_t s10_seen;               /* S10: journal records judged */
    uint64_t s10_fs_gen;           /* ... at this host_fs_generation */
    int s11_valid;                 /* S11 counted at npipe generation */
    uint64_t s11_gen, s11_up;      /* ... s11_gen, with these instances up */
    sim_timer_t tick;              /* a check every virtual second, so a
                                      liveness bound is judged on time in
                                      an idle world */
    size_t s12_wsl_seen;           /* S12: WSL operations already judged */
    rdd_cli_t cli[SC_MAX_ACTIONS];
    pipe_hold_t holds[SC_MAX_ACTIONS];
    svc_cli_t svc_cli[SC_MAX_ACTIONS];
    ctl_cli_t ctl[SC_MAX_ACTIONS];
};

/* world.c ---------------------------------------------------------------*/

/* 0 once the run has ended: scheduled work (starts, timeline steps) does
 * nothing then.  The one rule for work at or after the end. */
int world_live(const world_t *w);
/* sim_call(loop, delay_ns, cb, w, arg) for work the scenario schedules;
 * cb must begin with `if (!world_live(w)) return;`. */
int world_at(world_t *w, uint64_t delay_ns, sim_call_cb cb, void *arg);
/* The index of the scenario daemon called name, or -1. */
int find_daemon(world_t *w, const char *name);
/* Sets instance i's service environment (RDD_LOG_DIR, DOCKER_*). */
void apply_env(world_t *w, int i);

/* invariants.c ----------------------------------------------------------*/

/* Registers every check of the catalogue with w->inv. */
int add_invariants(world_t *w);
/* kube_store_observe callback (arg: winst_t): S5/S6, S16, L3, L6, L9. */
void on_commit(void *arg, kube_event_type_t type, const kube_obj_t *o);
/* kube_watch callback (arg: winst_t): S2's provenance, S7 and L1. */
void on_mirror_change(void *arg, kube_event_type_t type, const kube_obj_t *o);
/* Reads (k, ns, name) from wi's store, not a cache; 0 or an error. */
int store_get(winst_t *wi, kube_kind_t k, const char *ns, const char *name,
              kube_obj_t *o);
/* owner_start; if it fails, S14 judges at once who holds its pipe. */
void owner_start_checked(world_t *w, owner_t *o);

/* actions.c -------------------------------------------------------------*/

/* sim_call callback (arg: world_t, actp: sc_action_t): one timeline step. */
void run_action(void *arg, void *actp);
/* The 1 s tick's fault sites: process crashes (proc.crash.*,
 * owner.crash.docker_desktop) and WSL distro stops. */
void world_fault_tick(world_t *w);

#endif
