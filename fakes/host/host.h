/*
 * host.h: the machine the RDD instances share, besides the pipe namespace
 * (npipe.h) and unix sockets (uds.h): processes, a filesystem, the WSL
 * distro registry, loopback TCP ports and the Hyper-V vsock namespace of
 * WSL2's one utility VM.  docs/rdd/limavm.md, docs/rdd/hazards.md (H7-H12,
 * H14), docs/rdd/README.md (what is modelled).
 *
 * Processes.  A process is a pid, an executable path, a name ("rdd",
 * "hostagent", "vmmem"), a parent and a process group.  Pids come from one
 * deterministic counter (first 4000, +4 each, like Windows); host_spawn_pid
 * hands out a chosen pid, which is how a scenario makes a pid be reused
 * (H14).  A process exits by itself (host_exit), or is killed (host_kill:
 * TerminateProcess / SIGKILL; host_kill_group: the whole group).
 * host_interrupt delivers Ctrl-C / SIGINT to the handler the process set;
 * with none set it fails on Windows (no shared console) and kills the
 * process elsewhere (SIGINT's default action).  Exit releases every file
 * handle, port and vsock listener the process held, then calls its exit
 * watchers in the order they were added, on the same turn.  A dead process
 * stays in the table (host_proc) with alive = 0 until its pid is reused.
 *
 * Filesystem.  Paths are '/'-separated strings compared byte-wise; a
 * Windows path is normalised by the caller (host_path_norm turns
 * "C:\Users\u\x" into "C:/Users/u/x").  Files hold a small text; parent
 * directories are created implicitly.  On a Windows host a file that a
 * live process holds open (host_fs_hold), or a disk a running WSL distro
 * uses, cannot be removed: SIM_ESHARING, "The process cannot access the
 * file because it is being used by another process."  On other hosts
 * removing an open file succeeds.  host_fs_remove_all is Go's
 * os.RemoveAll: it removes everything it can, keeps what it cannot (and the
 * directories above it), and returns the first error.  Listings are in
 * byte order.
 *
 * WSL.  A registry of distros by name (global: "lima-rd" for every RDD
 * instance, H9).  Register (wsl --import) needs the vhdx path; start fails
 * if the vhdx file is gone; a running distro holds its vhdx (so
 * RemoveAll of it fails, docs/rdd/limavm.md path 6); terminate stops it;
 * unregister stops it, removes the vhdx and forgets it.  Every operation names the actor
 * (an RDD instance name) and is logged, so invariant S12 can ask who
 * touched whose distro (registered_by).
 *
 * Ports.  127.0.0.1 TCP ports bound by pids; port 0 takes the next free
 * ephemeral port from 49152 in order.  Released on process exit.
 *
 * Vsock.  All WSL2 distros run in one utility VM with one GUID
 * (host_vm_guid; H10).  A listener is (port, owner); a second listen on
 * the same port fails with SIM_EADDRINUSE; dialing reaches the listener.
 *
 * Every call is synchronous.  Errors are SIM_E* codes (sim/errno.h); the
 * functions that return a message fill it with the real component's text.
 * Trace events: host.proc.spawn|exit|kill|interrupt, host.fs.remove_all,
 * host.wsl.<op>, host.port.bind, host.vsock.listen.
 */
#ifndef HOST_H
#define HOST_H

#include <stddef.h>
#include <stdint.h>

#include "sim/loop.h"

#define HOST_PATH_MAX 256
#define HOST_DATA_MAX 512
#define HOST_PID_FIRST 4000
#define HOST_PID_STEP 4
#define HOST_PORT_EPHEMERAL 49152
#define HOST_SHARING_MSG                                                       \
    "The process cannot access the file because it is being used by "         \
    "another process."
/* Texts for the codes of calls that take no msg buffer. */
#define HOST_NOFILE_MSG "The system cannot find the file specified."
#define HOST_WSL_EXISTS_MSG                                                    \
    "A distribution with the supplied name already exists."
#define HOST_WSL_NODISTRO_MSG "There is no distribution with the supplied name."
#define HOST_PORT_INUSE_WIN_MSG                                                \
    "bind: Only one usage of each socket address (protocol/network "          \
    "address/port) is normally permitted."
#define HOST_PORT_INUSE_MSG "bind: address already in use"
/* SIM_ENOSPC: ERROR_DISK_FULL's text (Windows), ENOSPC's (elsewhere). */
#define HOST_DISK_FULL_WIN_MSG "There is not enough space on the disk."
#define HOST_DISK_FULL_MSG "no space left on device"

typedef struct host host_t;

/* windows: Windows file semantics (open files cannot be removed). */
int host_new(sim_loop_t *loop, int windows, host_t **out);
void host_free(host_t *h);
int host_is_windows(const host_t *h);

/* processes -----------------------------------------------------------------*/

typedef struct {
    uint32_t pid;
    uint32_t ppid;
    uint32_t pgid;             /* process group (own pid when new_group) */
    char exe[HOST_PATH_MAX];   /* "C:/Program Files/Rancher Desktop/rdd.exe" */
    char name[32];             /* "rdd", "hostagent", ... */
    int alive;
    int exit_code;             /* valid when !alive */
    int killed;                /* ended by host_kill / host_kill_group */
} host_proc_t;

typedef void (*host_exit_cb)(void *arg, const host_proc_t *p);
typedef void (*host_signal_cb)(void *arg, uint32_t pid);

/* Starts a process.  new_group: its own process group, else ppid's.
 * Returns 0 (pid in *pid) or SIM_ENOMEM. */
int host_spawn(host_t *h, const char *exe, const char *name, uint32_t ppid,
               int new_group, uint32_t *pid);
/* Same with a chosen pid; SIM_EEXIST if that pid is alive. */
int host_spawn_pid(host_t *h, uint32_t pid, const char *exe,
                   const char *name, uint32_t ppid, int new_group);
/* NULL if the pid never existed.  The pointer is valid until the next
 * spawn. */
const host_proc_t *host_proc(const host_t *h, uint32_t pid);
int host_proc_alive(const host_t *h, uint32_t pid);
/* The trace seq of pid's latest host.proc.spawn, or with exited set of
 * its host.proc.exit (0 if none): a link for explain, never hashed. */
uint64_t host_proc_trace(const host_t *h, uint32_t pid, int exited);
/* The trace seq of the latest host.wsl.* record on a registered distro (0
 * if none): a link for explain, never hashed. */
uint64_t host_wsl_trace(const host_t *h, const char *distro);
/* The process exits by itself.  SIM_ESRCH if not alive. */
int host_exit(host_t *h, uint32_t pid, int code);
/* TerminateProcess / kill -9.  SIM_ESRCH if not alive (Windows: "The
 * parameter is incorrect."; Go's os.FindProcess+Kill text in msg). */
int host_kill(host_t *h, uint32_t pid);
/* The text of host_kill's SIM_ESRCH on this host: "The parameter is
 * incorrect." (OpenProcess, Windows), "no such process" (kill(2)). */
const char *host_kill_errmsg(const host_t *h);
/* kill(-pgid, SIGKILL): kills every live member of the group, in pid
 * order.  SIM_ESRCH if it has none. */
int host_kill_group(host_t *h, uint32_t pgid);
/* Kills pid and every live descendant (kill process tree): the
 * descendants (by ppid, transitively, as the table stands at the call) in
 * pid order, then pid.  Returns SIM_ESRCH if pid is not alive, else 0. */
int host_kill_tree(host_t *h, uint32_t pid);
/* Ctrl-C / SIGINT: calls the handler set with host_on_interrupt on a later
 * turn (at +0).  SIM_ESRCH if not alive; SIM_EACCES when the process has no
 * handler and the host is Windows (no shared console: what makes
 * `rdd svc stop` fall back to TerminateProcess,
 * docs/rdd/service-and-cli.md). */
int host_interrupt(host_t *h, uint32_t pid);
/* Sets (cb NULL: clears) pid's handler; ignored when pid is not alive.  A
 * process's handler goes with its exit.  An interrupt already queued is
 * dropped if the process has died or has no handler when it arrives. */
void host_on_interrupt(host_t *h, uint32_t pid, host_signal_cb cb,
                       void *arg);
/* Calls cb when pid exits (once).  Returns a watch id > 0, or SIM_ESRCH
 * if pid is not alive, SIM_ENOMEM. */
int host_watch_exit(host_t *h, uint32_t pid, host_exit_cb cb, void *arg);
void host_unwatch_exit(host_t *h, int id);
/* Visits live processes in pid order (a copy of each; cb may spawn or
 * kill); cb returns nonzero to stop. */
void host_procs(const host_t *h, int (*cb)(void *arg, const host_proc_t *p),
                void *arg);

/* filesystem ----------------------------------------------------------------*/

/* "C:\Users\u\x" -> "C:/Users/u/x" (into out, HOST_PATH_MAX). */
void host_path_norm(const char *in, char *out);
/* Creates or replaces a file, and its parent directories, as Go's
 * os.WriteFile does (open with O_CREATE|O_TRUNC, then write).  SIM_EINVAL
 * (empty path), SIM_ERANGE (path or data too long), SIM_EACCES (path is a
 * directory), SIM_EEXIST (a parent is a file), SIM_ENOMEM, SIM_ENOSPC
 * (fault host.fs.disk_full, target: the normalised path; evaluated for a
 * write of data only, since an empty file needs no data blocks: the open
 * succeeded, so the file is left empty, created or truncated). */
int host_fs_write(host_t *h, const char *path, const char *data);
/* The text the real component gives for a code a host_fs_* call returned,
 * on this host: SIM_ENOSPC HOST_DISK_FULL_WIN_MSG on Windows,
 * HOST_DISK_FULL_MSG elsewhere; sim_strerror otherwise. */
const char *host_fs_errmsg(const host_t *h, int err);
/* Copies the text, NUL-terminated.  SIM_ENOENT if missing or a
 * directory; SIM_ERANGE (text truncated) if len is too small. */
int host_fs_read(const host_t *h, const char *path, char *buf, size_t len);
int host_fs_exists(const host_t *h, const char *path); /* file or dir */
/* Changes with every write, create or removal (for observers that recheck
 * the files only when something changed). */
uint64_t host_fs_generation(const host_t *h);
int host_fs_is_dir(const host_t *h, const char *path);
/* mkdir -p.  SIM_EEXIST if path or a parent is a file; SIM_ENOSPC
 * (host.fs.disk_full) when it must create path. */
int host_fs_mkdir(host_t *h, const char *path);
/* One file or empty directory.  SIM_ENOENT, SIM_ESHARING, SIM_EEXIST (a
 * directory that is not empty: errno.h has no ENOTEMPTY). */
int host_fs_remove(host_t *h, const char *path);
/* os.RemoveAll(path): 0 if path is gone afterwards (or never existed);
 * else the first error, with msg "remove <path>: <text>" (msg may be
 * NULL). */
int host_fs_remove_all(host_t *h, const char *path, char *msg, size_t len);
/* An open handle on path by live pid (the file must exist: SIM_ENOENT;
 * SIM_ESRCH).  Handles count: each hold takes one release.  Released by
 * host_fs_release, the process's exit, or the file's removal. */
int host_fs_hold(host_t *h, const char *path, uint32_t pid);
void host_fs_release(host_t *h, const char *path, uint32_t pid);
/* Visits the entries directly under dir (names only), in byte order. */
void host_fs_list(const host_t *h, const char *dir,
                  int (*cb)(void *arg, const char *name, int is_dir),
                  void *arg);

/* WSL -----------------------------------------------------------------------*/

typedef enum {
    HOST_WSL_ABSENT,
    HOST_WSL_STOPPED,
    HOST_WSL_RUNNING,
} host_wsl_state_t;

typedef enum {
    HOST_WSL_OP_IMPORT,
    HOST_WSL_OP_START,
    HOST_WSL_OP_TERMINATE,
    HOST_WSL_OP_UNREGISTER,
} host_wsl_op_t;

typedef struct {
    host_wsl_op_t op;
    char distro[64];
    char actor[96];            /* who asked (an instance name) */
    char registered_by[96];    /* who had imported it ("" if absent) */
    int rc;
    uint64_t at_ns;
} host_wsl_rec_t;

/* wsl --import: creates the vhdx file, state STOPPED.  SIM_EEXIST if
 * registered ("A distribution with the supplied name already exists."). */
int host_wsl_import(host_t *h, const char *distro, const char *vhdx,
                    const char *actor);
/* SIM_ENOENT if not registered; SIM_ENOENT with msg if the vhdx is gone
 * ("The system cannot find the file specified."); holds the vhdx while
 * RUNNING (host_fs_remove* then fail with SIM_ESHARING). */
int host_wsl_start(host_t *h, const char *distro, const char *actor,
                   char *msg, size_t len);
int host_wsl_terminate(host_t *h, const char *distro, const char *actor);
int host_wsl_unregister(host_t *h, const char *distro, const char *actor);
/* Terminate and unregister: SIM_ENOENT (HOST_WSL_NODISTRO_MSG) if not
 * registered; terminating a stopped distro succeeds. */
host_wsl_state_t host_wsl_state(const host_t *h, const char *distro);
/* Observers of a running distro's stop (terminate or unregister): called
 * synchronously, in add order, after the operation is logged; the guest
 * (its processes, e.g. dockerd) is gone.  At most HOST_WSL_OBS_MAX.
 * Returns an id > 0 or SIM_ENOMEM. */
#define HOST_WSL_OBS_MAX 8
typedef void (*host_wsl_stop_cb)(void *arg, const char *distro);
int host_wsl_on_stop(host_t *h, host_wsl_stop_cb cb, void *arg);
void host_wsl_off(host_t *h, int id);
/* The i-th registered distro's name, in name order; NULL when i is past
 * the last. */
const char *host_wsl_distro(const host_t *h, size_t i);
/* "" if not registered. */
const char *host_wsl_registered_by(const host_t *h, const char *distro);
/* Every operation so far, oldest first; valid until the next one. */
size_t host_wsl_log(const host_t *h, const host_wsl_rec_t **out);
const char *host_wsl_state_name(host_wsl_state_t s);

/* ports ---------------------------------------------------------------------*/

/* Binds 127.0.0.1:port for pid; port 0 picks the next free ephemeral port.
 * Returns 0 (the port in *got) or SIM_EADDRINUSE
 * ("bind: Only one usage of each socket address ... is normally
 * permitted." on Windows, "bind: address already in use" elsewhere);
 * SIM_EINVAL (port outside 0..65535, pid 0), SIM_ESRCH (pid not alive).
 * The ephemeral cursor moves on from the last port it gave, wrapping at
 * 65535. */
int host_port_bind(host_t *h, int port, uint32_t pid, int *got);
void host_port_release(host_t *h, int port, uint32_t pid);
uint32_t host_port_owner(const host_t *h, int port); /* 0 if free */
/* The text of SIM_EADDRINUSE from host_port_bind on this host. */
const char *host_port_errmsg(const host_t *h);

/* vsock ---------------------------------------------------------------------*/

#define HOST_VM_GUID "5e1f0c2a-7d43-4b6e-9a18-c3d2f4e5a607" /* fixed */

/* The utility VM's GUID ("" until a WSL distro first starts, then
 * HOST_VM_GUID for good). */
const char *host_vm_guid(const host_t *h);
/* A listener on port of the utility VM (inside a guest: owner is the
 * distro's actor; on the host: an instance name).  pid 0: no host
 * process (a guest's listener, released by host_vsock_close only).
 * SIM_EADDRINUSE, SIM_EINVAL (port < 0, empty owner), SIM_ESRCH. */
int host_vsock_listen(host_t *h, int port, const char *owner, uint32_t pid);
/* Closes owner's listener on port; a no-op if owner does not hold it. */
void host_vsock_close(host_t *h, int port, const char *owner);
/* Attaches data to owner's listener on port (a no-op if owner does not
 * hold it): what a dial to that port reaches. */
void host_vsock_set_data(host_t *h, int port, const char *owner, void *data);
/* A dial to (the utility VM's GUID, port): the data of whoever listens on
 * port, whichever distro that is (H10); NULL if nobody does. */
void *host_vsock_data(const host_t *h, int port);
/* The owner listening on port, or NULL (valid until the next vsock
 * call). */
const char *host_vsock_owner(const host_t *h, int port);

#endif
