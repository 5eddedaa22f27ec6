/*
 * owners.h: processes other than RDD that own Windows named pipes
 * (docs/platform.md).
 *
 * - docker-desktop: its "Docker API Proxy" listens on \\.\pipe\docker_engine
 *   with go-winio and forwards every connection to its engine.  If the
 *   name is taken it refuses to start, with the dialog text
 *   "starting services: initializing Docker API Proxy: setting up docker
 *   api proxy listener: open \\.\pipe\docker_engine: Access is denied."
 *   That includes a name that lingers after a crash because clients still
 *   hold handles (docs/platform.md): a restart fails until they close.
 * - podman: `podman machine start` checks, then takes (docs/platform.md).  Its
 *   PipeNameAvailable polls every 250 ms: the machine pipe
 *   (\\.\pipe\podman-machine-default) must be free within 5 s, else API
 *   forwarding fails; docker_engine is taken only if it is free now or
 *   250 ms later.  win-sshproxy then creates the pipes with go-winio
 *   (FILE_CREATE) OWNER_PODMAN_LAUNCH_NS after the probe: another owner can
 *   take docker_engine in between (TOCTOU), and then win-sshproxy's
 *   errgroup fails and the process exits, taking the machine pipe with it,
 *   while podman still prints that it listens on docker_engine.  A probe
 *   sees a name as free when opening it would answer "file not found":
 *   absent, or lingering with no server handle.  It serves its own
 *   daemon on whatever pipes it holds.
 * - squatter: binds a name and never accepts, so clients see
 *   ERROR_PIPE_BUSY until their deadline.
 * Each owner is one process (pid); stop and crash are process exit (every
 * handle it holds closes; its daemon goes down with it, so connections it
 * proxied end).  Trace events: owner.start.ok|fail, owner.stop,
 * owner.crash, owner.podman.probe, owner.podman.say.
 */
#ifndef OWNERS_H
#define OWNERS_H

#include "docker/docker.h"
#include "npipe/npipe.h"

/* Values are fixed: scenarios index kind names with them. */
typedef enum {
    OWNER_DOCKER_DESKTOP,
    OWNER_SQUATTER,
    OWNER_PODMAN,
    OWNER__KINDS
} owner_kind_t;

typedef enum {
    OWNER_DOWN,      /* not running: never started, stopped, crashed,
                        failed to start */
    OWNER_PROBING,   /* podman: PipeNameAvailable polls */
    OWNER_LAUNCHING, /* podman: win-sshproxy starting, no pipe yet */
    OWNER_UP,        /* serving its pipe(s) */
    OWNER__STATES
} owner_state_t;

#define OWNER_PODMAN_MACHINE_PIPE "\\\\.\\pipe\\podman-machine-default"
#define OWNER_PODMAN_POLL_NS (250 * SIM_NS_PER_MS)      /* PipeNameAvailable */
#define OWNER_PODMAN_MACHINE_WAIT_NS (5 * SIM_NS_PER_S) /* MachineNameWait */
#define OWNER_PODMAN_GLOBAL_WAIT_NS (250 * SIM_NS_PER_MS) /* GlobalNameWait */
#define OWNER_PODMAN_LAUNCH_NS (250 * SIM_NS_PER_MS)      /* probe -> create */

typedef struct {
    owner_kind_t kind;                 /* public */
    char name[64];                     /* public: scenario name */
    char pipe[NPIPE_NAME_MAX];         /* public: the pipe it wants */
    char machine_pipe[NPIPE_NAME_MAX]; /* public: podman's own pipe */
    dock_daemon_t *daemon;             /* public: the engine it forwards to */
    npipe_owner_t proc;                /* public */
    sim_loop_t *loop;                  /* private */
    npipe_ns_t *pipes;                 /* private */
    npipe_listener_t *ln;              /* private: on pipe */
    npipe_listener_t *mln;             /* private: podman, on machine_pipe */
    sim_timer_t timer;                 /* private: podman's probe and launch */
    uint64_t waited_ns;                /* private: this probe's wait so far */
    int probing_global;                /* private: which probe runs */
    owner_state_t state;               /* read-only: via owner__transition */
    int running;                       /* read-only: state == OWNER_UP */
    int has_global;                    /* read-only: podman holds pipe */
    int claims_global;     /* read-only: podman says it serves pipe */
    int start_failed;      /* read-only: the last start failed */
    char start_err[400];   /* read-only: what the user saw */
    char said[600];        /* read-only: podman's last message */
    unsigned long served;  /* read-only: connections forwarded */
    unsigned long crashes; /* read-only */
} owner_t;

void owner_init(owner_t *o, owner_kind_t kind, const char *name,
                const char *pipe, sim_loop_t *loop, npipe_ns_t *pipes,
                uint32_t pid, dock_daemon_t *daemon);
/* Podman's machine pipe (default OWNER_PODMAN_MACHINE_PIPE). */
void owner_set_machine_pipe(owner_t *o, const char *path);
/* Starts the process.  docker-desktop and squatter: synchronous; returns
 * 0, or the listen error (the owner stays down, start_err says why).
 * podman: returns 0 and runs its probe and launch later, in virtual
 * time; the outcome lands in state, has_global, start_err and said.  A no-op
 * returning 0 if the owner is not down. */
int owner_start(owner_t *o);
/* Process exit (quit). */
void owner_stop(owner_t *o);
/* The process dies: the same handles close as with owner_stop; clients'
 * handles keep the name alive, so a restart gets "Access is denied" until
 * they close. */
void owner_crash(owner_t *o);
const char *owner_kind_name(owner_kind_t k);
int owner_kind_by_name(const char *name); /* -1 if unknown */
const char *owner_state_name(owner_state_t s);

#endif
