/*
 * scenario.h: a scenario file, parsed and checked (docs/scenarios.md).
 *
 * scenario_load reads YAML through ytree: every key is consumed or
 * rejected, every value is typed, and every error reads
 * `file:line:col: what is wrong`.  The result is plain data; world.c turns
 * it into a running world for one variant.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdint.h>

#include "kube/kube.h"
#include "owners/owners.h"
#include "rdd/flags.h"
#include "rdd/instance.h"
#include "sim/choice.h"
#include "sim/fault.h"
#include "ytree.h"

#define SC_NAME_MAX 64
#define SC_MAX_DAEMONS 8
#define SC_MAX_OWNERS 8
#define SC_MAX_INSTANCES 8
#define SC_MAX_ITEMS 32
#define SC_MAX_FAULTS 64
#define SC_MAX_ACTIONS 64
#define SC_MAX_VARIANTS 64
#define SC_MAX_AXIS 8       /* values per matrix axis */
#define SC_MAX_EXPECT 16
#define SC_MAX_WARN 16
#define SC_COUNT_MAX 1000000 /* `count` of a container, image or volume */

typedef struct {
    char name[SC_NAME_MAX];
    char image[128];
    char state[16];
    uint64_t count;           /* > 1: name-0 .. name-(count-1) */
    int line;                 /* where its name was written */
} sc_container_t;

typedef struct {
    char id[80];              /* "" = derived from the first tag */
    int ntags;
    char tags[4][128];
    uint64_t count;           /* > 1: each tag repo:t as repo-0:t .. */
} sc_image_t;

typedef struct {
    char name[SC_NAME_MAX];
    char id[64];              /* Info.ID */
    uint64_t lat_min_ns, lat_max_ns;
    int has_latency;
    sc_container_t c[SC_MAX_ITEMS];
    int nc;
    sc_image_t im[SC_MAX_ITEMS];
    int ni;
    char vol[SC_MAX_ITEMS][SC_NAME_MAX];
    uint64_t vol_count[SC_MAX_ITEMS]; /* > 1: name-0 .. name-(count-1) */
    int nv;
} sc_daemon_t;

typedef struct {
    owner_kind_t kind;
    char name[SC_NAME_MAX];
    char daemon[SC_NAME_MAX]; /* docker-desktop: its engine */
    char pipe[256];
    char machine_pipe[256];   /* podman: its machine pipe ("" default) */
    uint64_t start_ns;
    int has_start;
} sc_owner_t;

typedef struct {
    int env_set;              /* RDD_INSTANCE set */
    uint64_t prepare_ns;      /* Lima Create+Prepare (default 1s) */
    int never_running;        /* the hostagent never reports Running */
    char exe[256];            /* the rdd executable the service runs from */
    int keep_logs;            /* RDD_KEEP_LOGS */
    char env_docker_config[256]; /* the service's DOCKER_CONFIG ("" unset) */
    char env_docker_host[256];   /* the service's DOCKER_HOST */
    char env_docker_context[96]; /* the service's DOCKER_CONTEXT */
    char env_log_dir[256];       /* RDD_LOG_DIR */
    char value[SC_NAME_MAX];  /* its value */
    uint64_t start_ns;
    uint64_t handshake_ns;
    uint64_t boot_ns;
    sc_daemon_t daemon;       /* the VM's dockerd */
    kube_lag_t lag;           /* its apiserver's watch-cache lag */
} sc_instance_t;

typedef struct {
    sim_fault_site_t site;
    sim_fault_arm_t arm;
    int target_line, target_col; /* where `target` was written (0: none) */
    int line;                    /* where the fault was written */
} sc_fault_t;

typedef enum {
    SC_ACT_KUBE_DELETE,   /* a user deletes a mirror in RDD's API */
    SC_ACT_OWNER_START,
    SC_ACT_OWNER_STOP,
    SC_ACT_VM_STOP,
    SC_ACT_VM_START,
    SC_ACT_DOCKER_RM,     /* docker rm [-f] on a daemon, as its user */
    SC_ACT_DOCKER_RUN,    /* docker run -d on a daemon */
    SC_ACT_APP_PATCH,     /* merge-patch App.spec (kubectl patch) */
    SC_ACT_KUBE_CREATE,   /* a user creates a Container/Image/Volume object */
    SC_ACT_RDD_SET,       /* rdd set running=true|false, waiting on Settled */
    SC_ACT_SVC_START,     /* rdd svc start */
    SC_ACT_SVC_STOP,      /* rdd svc stop [console: false -> TerminateProcess] */
    SC_ACT_SVC_DELETE,    /* rdd svc delete */
    SC_ACT_PROC_KILL,     /* kill one of an instance's processes */
    SC_ACT_PROC_EXIT,     /* ... or make it exit by itself */
    SC_ACT_PROC_SPAWN,    /* an unrelated process (pid reuse, H14) */
    SC_ACT_FS_HOLD,       /* a process opens a file and keeps it open */
    SC_ACT_FS_RELEASE,
    SC_ACT_WSL_START,     /* wsl -d <distro> (a keep-alive) */
    SC_ACT_WSL_TERMINATE, /* wsl --terminate <distro> */
    SC_ACT_OWNER_CRASH,   /* an owner process dies (handles close) */
    SC_ACT_PIPE_HOLD,     /* a client opens a pipe and holds it for a while */
    SC_ACT_HOSTSWITCH_DIE,/* an errgroup error ends the host-switch (H4) */
    SC_ACT_CONTEXT_USE,   /* the user's `docker context use NAME` */
    SC_ACT_CONTEXT_SEED,  /* the user creates a context (BATS test 40) */
    SC_ACT_BATS_SETUP,    /* engine-docker.bats local_setup_file */
    SC_ACT_BATS_TEST37,   /* engine-docker.bats test 37's meta.json check */
    SC_ACT_APP_DELETE,    /* kubectl delete app app */
    SC_ACT_RDD_CTL,       /* rdd ctl get|delete|patch KIND NAME */
    SC_ACT_DOCKER_API,    /* one Engine API call on a daemon, as its user
                             (docker stop, start, ..., image/volume rm) */
    SC_ACT__COUNT
} sc_act_kind_t;

typedef struct {
    sc_act_kind_t kind;
    uint64_t at_ns;
    uint64_t every_ns;        /* > 0: again every every_ns ... */
    uint64_t until_ns;        /* ... while the time is <= this (0: the
                                 run's end) */
    int line, col;
    int instance;             /* index, SC_ACT_KUBE_DELETE / VM_* */
    kube_kind_t kube_kind;
    char docker_name[128];    /* mirror whose status.name (or repoTag for
                                 images) is this */
    int owner;                /* index */
    char daemon[SC_NAME_MAX]; /* daemon name, or the instance's VM */
    int daemon_instance;      /* >= 0: the VM daemon of that instance */
    int docker_op;            /* docker.api: a dock_op_t (its name: op) */
    char container[SC_NAME_MAX];
    char image[128];
    int force;
    char key[40];             /* app.patch: spec key */
    char value[128];          /* app.patch: its value */
    char obj_name[96];        /* kube.create: object name */
    int running;              /* rdd.set: the value */
    uint64_t timeout_ns;      /* rdd.set: --timeout (default 5m) */
    int console;              /* svc.stop/delete: interrupt reaches it */
    char proc[32];            /* proc.*, fs.*: hostagent|service|driver|pid */
    uint32_t pid;             /* proc.spawn / proc: pid */
    int code;                 /* proc.exit: exit code */
    char path[256];           /* fs.*: path (relative: under ShortDir) */
    char distro[64];          /* wsl.* */
    char pipe[256];           /* pipe.hold */
    uint64_t for_ns;          /* pipe.hold: how long */
    char ctx_host[256];       /* context.seed: its endpoint */
    char config_dir[256];     /* context.*: DOCKER_CONFIG ("" = ~/.docker) */
    char verb[8];             /* rdd.ctl: get | delete | patch (kind in
                                 kube_kind, name in obj_name, patch: key,
                                 value) */
    char ns[KUBE_NS_MAX];     /* rdd.ctl: -n (default: "default"; App is
                                 cluster-scoped) */
} sc_action_t;

#define SC_AXIS_NAME_MAX 32   /* a matrix axis value's name, NUL included */

typedef struct {
    char name[3 * SC_AXIS_NAME_MAX + 4]; /* matrix cells: a.b.c */
    int cell_owner;           /* matrix cell: index into mx_owner, or -1 */
    int cell_order;           /* matrix cell: index into mx_order_ns */
    rdd_flags_t flags;
    char expect[SC_MAX_EXPECT][8]; /* invariant ids, sorted */
    int nexpect;
    char trace[SC_MAX_EXPECT][160]; /* text that must appear in the trace */
    int ntrace;
    char no_trace[SC_MAX_EXPECT][160]; /* text that must not */
    int nno_trace;
} sc_variant_t;

/* The host as the scenario names it: RDD's OS plus, on Windows, the shell
 * BATS runs in (docs/rdd/bats.md). */
typedef enum {
    SC_HOST_WINDOWS,  /* Windows; BATS under MSYS2 (the same as msys) */
    SC_HOST_MSYS,
    SC_HOST_WSL2,     /* rdd.exe on Windows; BATS inside a WSL2 distro */
    SC_HOST_LINUX,
    SC_HOST_DARWIN,
    SC_HOST__COUNT
} sc_host_t;

const char *sc_host_name(sc_host_t h);

typedef struct {
    char file[256];
    char name[96];
    sc_host_t host;
    char description[2048];
    rdd_os_t os;
    uint64_t seed;
    int has_seed;
    uint64_t duration_ns;
    uint64_t late_min_ns;     /* timers: {lateness: min..max}: how late
                                 RDD's Go timers fire (rdd_timer_late) */
    uint64_t late_max_ns;
    uint64_t heal_ns;         /* heal: from then on no fault fires (0:
                                 never) */
    int choice[SIM_CHOICE__COUNT]; /* choices: {name: bool}: SIM_PIN_NONE
                                 (seeded), SIM_PIN_FALSE, SIM_PIN_TRUE */
    sc_daemon_t daemons[SC_MAX_DAEMONS];
    int ndaemons;
    sc_owner_t owners[SC_MAX_OWNERS];
    int nowners;
    sc_instance_t instances[SC_MAX_INSTANCES];
    int ninstances;
    sc_fault_t faults[SC_MAX_FAULTS];
    int nfaults;
    sc_action_t actions[SC_MAX_ACTIONS];
    int nactions;
    sc_variant_t variants[SC_MAX_VARIANTS];
    int nvariants;
    /* A matrix file (docs/scenarios.md "Matrices"): every variant is one
     * cell owner x order x flag set; scenario_cell makes it concrete. */
    int is_matrix;
    char mx_owner_name[SC_MAX_AXIS][SC_NAME_MAX];
    sc_owner_t mx_owner[SC_MAX_AXIS];     /* the contender, or */
    int mx_owner_is_rdd[SC_MAX_AXIS];     /* another RDD instance: */
    sc_instance_t mx_inst[SC_MAX_AXIS];   /* this one */
    int nmx_owner;
    char mx_order_name[SC_MAX_AXIS][SC_NAME_MAX];
    uint64_t mx_order_ns[SC_MAX_AXIS];    /* when the contender starts */
    int nmx_order;
    /* Warnings found while loading ("file:line:col: warning: ..."), in
     * file order; scenario_load prints them to stderr. */
    char warnings[SC_MAX_WARN][384];
    int nwarn;
} scenario_t;

/* Checked numbers ----------------------------------------------------------
 *
 * The one parser for every number a scenario (and the command line) holds.
 * Each returns 0, or SIM_EINVAL (not that kind of number) or SIM_ERANGE
 * (too large), with *why (may be NULL) set to a static phrase that reads
 * after the quoted value: "seed '010' has a leading zero (...)".
 *
 * sc_parse_u64: decimal digits only, no sign, no spaces, no leading zero
 *   ("0" itself is fine), no 0x; at most 18446744073709551615.
 * sc_parse_duration: digits, an optional fraction of up to 9 digits and a
 *   unit ns, us, ms, s, m or h ("1.5s", "200ms", "1.12345678h"); the
 *   fraction is rounded to the nearest nanosecond (half up); at most
 *   SC_DURATION_MAX_NS.
 * sc_parse_ratio: "num/den", both sc_parse_u64 numbers, den > 0,
 *   num <= den. */
#define SC_DURATION_MAX_NS (100000ull * 3600 * 1000000000) /* 100000h */
int sc_parse_u64(const char *s, uint64_t *out, const char **why);
int sc_parse_duration(const char *s, uint64_t *ns, const char **why);
int sc_parse_ratio(const char *s, uint64_t *num, uint64_t *den,
                   const char **why);

/* Parses path into *sc (caller-allocated; large).  Returns 0, or SIM_EINVAL
 * / SIM_ESYNTAX / SIM_ENOENT / SIM_ENOMEM with err filled.
 * This is the one validation pass `check` and `run` share: a scenario it
 * accepts builds (no duplicate container names, also after `count`; no
 * duplicate image ids or tags or volumes; every fault target and name
 * exists; nothing starts after `duration`).  Warnings (a start in the last
 * second) are printed to stderr, positioned, and are not errors. */
int scenario_load(const char *path, scenario_t *sc, yt_error_t *err);

/* Same, from a buffer (name is used in messages). */
int scenario_load_buffer(const char *name, const char *buf, size_t len,
                         scenario_t *sc, yt_error_t *err);

/* For a matrix cell v of sc: a concrete scenario in *out (v's contender
 * added with its start time; out has the one variant v).  For any other
 * variant: a copy of sc. */
void scenario_cell(const scenario_t *sc, const sc_variant_t *v,
                   scenario_t *out);

/* The variant by name, or NULL. */
const sc_variant_t *scenario_variant(const scenario_t *sc, const char *name);

const char *sc_act_name(sc_act_kind_t k);

#endif
