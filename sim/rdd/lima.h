/*
 * lima.h: Lima as RDD calls it (store.Inspect, instance.Create / Prepare /
 * Delete, StopForcibly) and the hostagent process RDD launches
 * (`rdd hostagent`, rdd/pkg/hostagent/command.go:48-147 running Lima's
 * hostagent).  docs/rdd/limavm.md [external: Lima], docs/rdd/README.md
 * (what is modelled).
 *
 * The hostagent is a process on the host (host.h): exe = the rdd
 * executable of the service that launched it, name "hostagent", its own
 * process group, parent = the service.  Its life:
 *   +RDD_HA_STARTUP_NS  command.go:54-63: ReadPIDFile(ha.pid) names a live
 *                       process -> exit 1 with "another hostagent may
 *                       already be running with pid N (pidfile ...)" without
 *                       writing its pid file (Windows: a dead pid is a
 *                       ReadPIDFile error, "failed to determine ..."); else
 *                       write ha.pid, hold ha.stdout.log / ha.stderr.log,
 *                       create ha.sock, spawn the driver (qemu on Unix, the
 *                       keep-alive wsl.exe on WSL2) and write its pid file;
 *   +RDD_HA_DRIVER_NS   the driver start (Lima wsl2 Start: import the
 *                       distro if it is not registered, then start it;
 *                       failure -> Exiting event, ha.pid removed, exit 1);
 *                       a boot event with an SSH port;
 *   +boot_ns            the Running event (unless never_running); the VM's
 *                       dockerd comes up, and on Unix hosts Lima's socket
 *                       forward of it to DockerSocket();
 *   interrupt           +RDD_HA_SHUTDOWN_NS: the driver stops (wsl
 *                       --terminate), Exiting event, ha.pid and the driver
 *                       pid file removed, exit 0;
 *   killed              no cleanup: pid files and the distro stay.
 * Events reach a subscriber (the watcher's tail of ha.stdout.log) as direct
 * callbacks on the turn they are emitted.
 *
 * On WSL2 the keep-alive wsl.exe is the driver process; as in Lima v2.1.2
 * its pid is recorded nowhere and Inspect takes the distro's status, so
 * DriverPID is 0 (pkg/store/instance.go:160-173).  The deviation flag
 * WSL2_DRIVER_PIDFILE writes it to wsl2.pid and has Inspect read it as
 * DriverPID, the model before that flag existed, which made the DriverPID
 * screen (H14) reachable on Windows; in RDD it is reachable on Unix hosts
 * (qemu writes qemu.pid).
 */
#ifndef RDD_LIMA_H
#define RDD_LIMA_H

#include <stddef.h>
#include <stdint.h>

#include "host/host.h"
#include "sim/loop.h"

typedef struct rdd_instance rdd_instance_t;

#define RDD_LIMA_VM "rd"                          /* app_controller.go:53 */
#define RDD_HA_STARTUP_NS (50 * SIM_NS_PER_MS)    /* process start to main */
#define RDD_HA_DRIVER_NS (450 * SIM_NS_PER_MS)    /* driver start */
#define RDD_HA_SHUTDOWN_NS (500 * SIM_NS_PER_MS)  /* interrupt to exit */

/* limatype Status values RDD switches on. */
typedef enum {
    RDD_LIMA_STOPPED,
    RDD_LIMA_RUNNING,
    RDD_LIMA_BROKEN,
    RDD_LIMA_UNINITIALIZED,   /* wsl2: distro not registered */
    RDD_LIMA_UNKNOWN,
} rdd_lima_status_t;

/* What store.Inspect returns (limatype.Instance, the fields RDD reads). */
typedef struct {
    char name[16];                 /* "rd" */
    char dir[HOST_PATH_MAX];       /* <LimaHome>/rd */
    int wsl2;                      /* VMType == WSL2 */
    rdd_lima_status_t status;
    uint32_t hostagent_pid;        /* HostAgentPID */
    uint32_t driver_pid;           /* DriverPID */
    char errors[256];              /* inst.Errors, joined */
} rdd_lima_inst_t;

/* Hostagent events (Lima hostagent/events.Status). */
typedef enum {
    RDD_HA_EV_BOOT,      /* SSHLocalPort > 0, not running */
    RDD_HA_EV_RUNNING,   /* Running */
    RDD_HA_EV_EXITING,   /* Exiting */
} rdd_ha_ev_t;

typedef enum {
    RDD_HA_STARTING,     /* spawned; main not run yet */
    RDD_HA_DRIVER,       /* pid file written; driver starting */
    RDD_HA_BOOTING,      /* boot event sent; waiting for Running */
    RDD_HA_RUNNING,      /* Running event sent */
    RDD_HA_STOPPING,     /* interrupted; shutting down */
    RDD_HA_EXITED,       /* the process is gone */
} rdd_ha_state_t;

typedef struct rdd_ha rdd_ha_t;
typedef void (*rdd_ha_event_cb)(void *arg, rdd_ha_t *ha, rdd_ha_ev_t ev,
                                uint64_t at_ns);

/* One hostagent process (machine state: outlives the service). */
struct rdd_ha {
    rdd_instance_t *inst;        /* read-only */
    uint32_t pid;                /* read-only */
    uint32_t driver_pid;         /* read-only: 0 until the driver starts */
    uint32_t svc_pid;            /* read-only: the service that launched it */
    char exe[HOST_PATH_MAX];     /* read-only: argv[0] (the rdd executable) */
    char pidfile[HOST_PATH_MAX]; /* read-only: --pidfile */
    char dir[HOST_PATH_MAX];     /* read-only: the instance dir */
    rdd_ha_state_t state;        /* read-only */
    int exit_code;               /* read-only: valid when EXITED */
    int killed;                  /* read-only: ended by a kill */
    uint64_t spawned_ns;         /* read-only */
    uint64_t exited_ns;          /* read-only */
    char stderr_text[300];       /* read-only: what it wrote to stderr */
    uint64_t trace_seq;          /* read-only: its latest rdd.hostagent.*
                                    record (a link for explain; never
                                    hashed) */
    int ssh_port;                /* read-only */
    int vm_owner;                /* read-only: it brought the VM up */
    rdd_ha_event_cb tail;        /* private: the watcher's tail */
    void *tail_arg;              /* private */
    sim_timer_t timer;           /* private */
    int exit_watch;              /* private */
    int guest_vsock;             /* private: its guest holds vsock 6669
                                    (bit 0) and 6660 (bit 1) */
    rdd_ha_t *next;              /* private: registry order (spawn) */
    rdd_ha_t *prev;              /* private */
    rdd_ha_t *live_next;         /* read-only: the next one not exited
                                    (rdd_lima_first_live) */
    rdd_ha_t *live_prev;         /* private */
};

/* Every hostagent ever launched for one instance (per instance: the
 * identity, hence the pid-file path, is the instance's). */
typedef struct {
    rdd_ha_t *head;              /* private: spawn order */
    rdd_ha_t *tail;              /* private */
    rdd_ha_t *vm_owner;          /* read-only: whose Running brought the
                                    VM's dockerd up (NULL: VM down) */
    uint64_t spawned;            /* read-only */
    rdd_ha_t *found;             /* private: rdd_ha_find's last answer */
    int distro_watch;            /* private: host_wsl_on_stop id */
    rdd_ha_t *live_head;         /* private: those not exited, spawn order */
    rdd_ha_t *live_tail;         /* private */
    uint64_t pidfile_left_seq;   /* private: the trace record of the failed
                                    ha.pid write that left the file behind
                                    (explain links; never hashed) */
} rdd_lima_t;

/* The oldest hostagent of inst that has not exited, or NULL; ->live_next
 * gives the others not exited, in spawn order.  A walk over live
 * hostagents need not pass every one ever launched (a crash loop
 * launches thousands). */
rdd_ha_t *rdd_lima_first_live(rdd_instance_t *inst);

/* paths ---------------------------------------------------------------------*/

/* LimaHome() = ShortDir()/lima (instance.go:130-132), normalised. */
void rdd_lima_home(const rdd_instance_t *inst, char *out, size_t len);
/* <LimaHome>/rd[/file] */
void rdd_lima_path(const rdd_instance_t *inst, const char *file, char *out,
                   size_t len);
/* The WSL distro Lima's wsl2 driver and RDD use: "lima-rd" (H9), or
 * "lima-rd-<Suffix()>" with the flag DISTRO_PER_INSTANCE. */
void rdd_lima_distro(const rdd_instance_t *inst, char *out, size_t len);
/* Lima's VMType on this host: WSL2 on Windows. */
int rdd_lima_wsl2(const rdd_instance_t *inst);

/* Lima operations (synchronous; timeouts RDD puts around them are kept in
 * limavm_lifecycle.c) ----------------------------------------------------*/

/* store.ReadPIDFile (Lima pkg/store/instance.go): 0 when the file is
 * missing; Unix: a dead pid removes the file and reads 0; Windows: a dead
 * pid is an error ("OpenProcess: The parameter is incorrect.").  Returns 0
 * or SIM_ESRCH (msg filled). */
int rdd_lima_read_pidfile(rdd_instance_t *inst, const char *path,
                          uint32_t *pid, char *msg, size_t len);
/* store.Inspect: SIM_ENOENT (msg "open <dir>/lima.yaml: ...") when lima.yaml
 * is missing; else 0 and *out.  Status: WSL2 from the distro's registry
 * state (RUNNING/STOPPED/absent = Uninitialized); otherwise from the pid
 * files (both live: Running, none: Stopped, else Broken). */
int rdd_lima_inspect(rdd_instance_t *inst, rdd_lima_inst_t *out, char *msg,
                     size_t len);
/* instance.Create: SIM_EEXIST, `instance "rd" already exists ("<dir>")`,
 * whenever the instance directory exists; else writes lima.yaml. */
int rdd_lima_create(rdd_instance_t *inst, const char *tmpl, char *msg,
                    size_t len);
/* instance.Prepare's effect (disks; its duration is the caller's). */
int rdd_lima_prepare(rdd_instance_t *inst, char *msg, size_t len);
/* Lima StopForcibly: kill DriverPID and HostAgentPID (0 skips), remove the
 * tmp files (*.pid, *.sock, *.tmp).  actor names the caller for the log. */
void rdd_lima_stop_forcibly(rdd_instance_t *inst, const rdd_lima_inst_t *li,
                            const char *helper);
/* instance.Delete(force): StopForcibly, the driver's Delete (wsl2:
 * unregister the distro when registered), RemoveAll(dir).  Returns 0 or the
 * RemoveAll error with msg "failed to remove ...". */
int rdd_lima_delete(rdd_instance_t *inst, const rdd_lima_inst_t *li,
                    char *msg, size_t len);
const char *rdd_lima_status_name(rdd_lima_status_t s);

/* hostagent -----------------------------------------------------------------*/

/* Launches `<exe> hostagent --pidfile <dir>/ha.pid --socket <dir>/ha.sock
 * rd` as a new process group, child of svc_pid.  Its first action runs
 * RDD_HA_STARTUP_NS later.  Returns 0 (*out) or SIM_ENOMEM. */
int rdd_ha_spawn(rdd_instance_t *inst, const char *exe, uint32_t svc_pid,
                 rdd_ha_t **out);
/* The hostagent with this pid, or NULL (alive or not). */
rdd_ha_t *rdd_ha_find(rdd_instance_t *inst, uint32_t pid);
/* The trace seq of the last hostagent's exit (host.proc.exit) or, while
 * it lives, of its latest rdd.hostagent.* record; 0 if none.  A link for
 * explain (stalls, L3), never hashed. */
uint64_t rdd_last_ha_trace(rdd_instance_t *inst);
/* Subscribes cb to ha's events (the tail of ha.stdout.log); NULL
 * unsubscribes. */
void rdd_ha_tail(rdd_ha_t *ha, rdd_ha_event_cb cb, void *arg);
/* The vsock owner name of inst's guest ("<instance>/guest"). */
void rdd__lima_guest_owner(const rdd_instance_t *inst, char *out, size_t len);
/* process.IsOurProcess(pid, "hostagent", pidfile) on Windows
 * (process_windows.go:66-77): a live process whose image is self_exe and
 * whose command line holds "hostagent" and pidfile.  Always 1 elsewhere
 * (process_unix.go). */
int rdd_is_our_process(rdd_instance_t *inst, uint32_t pid,
                       const char *self_exe, const char *pidfile);
/* Frees the registry (timers stopped; processes left as they are). */
void rdd_lima_free(rdd_instance_t *inst);
/* Follows the instance's WSL distro: when it stops under a running VM,
 * the VM's dockerd goes down (called once, at instance init). */
void rdd_lima_watch_distro(rdd_instance_t *inst);

#endif
