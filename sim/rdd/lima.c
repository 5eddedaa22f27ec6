/*
 * lima.c: Lima as RDD calls it and the hostagent process (see lima.h).
 *
 * Models: store.ReadPIDFile and store.Inspect's status rules (Lima
 * pkg/store/instance.go; wsl2 InspectStatus from the distro registry),
 * instance.Create's "already exists", Prepare's files, Delete (StopForcibly,
 * wsl2 unregister, RemoveAll), and the hostagent actor of
 * rdd/pkg/hostagent/command.go:48-147 around Lima's hostagent.Run (events
 * Boot/Running/Exiting, driver start and stop, pid files, held logs).
 * Leaves out: cloud-init, SSH, port forwards, the hostagent API beyond
 * "its socket answers", log rotation (logfile.Rotate), image download.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ports.h"
#include "rdd.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static const char *const status_names[] = {"Stopped", "Running", "Broken",
                                           "Uninitialized", "Unknown"};

const char *rdd_lima_status_name(rdd_lima_status_t s)
{
    SIM_ASSERT(s <= RDD_LIMA_UNKNOWN);
    return status_names[s];
}

/* paths ---------------------------------------------------------------------*/

void rdd_lima_home(const rdd_instance_t *inst, char *out, size_t len)
{
    char sd[HOST_PATH_MAX];
    host_path_norm(inst->id.short_dir, sd);
    snprintf(out, len, "%s/lima", sd);
}

void rdd_lima_path(const rdd_instance_t *inst, const char *file, char *out,
                   size_t len)
{
    char home[HOST_PATH_MAX];
    rdd_lima_home(inst, home, sizeof(home));
    if (file && file[0])
        snprintf(out, len, "%s/%s/%s", home, RDD_LIMA_VM, file);
    else
        snprintf(out, len, "%s/%s", home, RDD_LIMA_VM);
}

/* limavm_lifecycle.go:763, 780 and Lima's wsl2 driver: "lima-" + name. */
void rdd_lima_distro(const rdd_instance_t *inst, char *out, size_t len)
{
    if (RDD_HAS(inst->flags, DISTRO_PER_INSTANCE))
        snprintf(out, len, "lima-%s-%s", RDD_LIMA_VM, inst->id.suffix);
    else
        snprintf(out, len, "lima-%s", RDD_LIMA_VM);
}

int rdd_lima_wsl2(const rdd_instance_t *inst)
{
    return inst->id.os == RDD_OS_WINDOWS;
}

static const char *driver_pidfile_name(const rdd_instance_t *inst)
{
    /* filenames.PIDFile(vmType): "<vmType>.pid". */
    return rdd_lima_wsl2(inst) ? "wsl2.pid" : "qemu.pid";
}


/* Lima store ----------------------------------------------------------------*/

/* Lima pkg/store/instance.go ReadPIDFile. */
int rdd_lima_read_pidfile(rdd_instance_t *inst, const char *path,
                          uint32_t *pid, char *msg, size_t len)
{
    char buf[32];
    unsigned long v;
    *pid = 0;
    if (msg && len)
        msg[0] = 0;
    if (host_fs_read(inst->host, path, buf, sizeof(buf)) != 0)
        return 0;
    if (sscanf(buf, "%lu", &v) != 1) {
        /* strconv.Atoi(strings.TrimSpace(...)) fails and its error is
         * returned: e.g. the empty file a write that found the disk full
         * leaves (Lima v2.1.2 pkg/store/instance.go:210-213). */
        char *b = buf, *end = buf + strlen(buf);
        while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
            b++;
        while (end > b && (end[-1] == ' ' || end[-1] == '\t' ||
                           end[-1] == '\n' || end[-1] == '\r'))
            *--end = 0;
        if (msg)
            snprintf(msg, len, "strconv.Atoi: parsing \"%s\": invalid syntax",
                     b);
        return SIM_ESYNTAX;
    }
    if (!host_proc_alive(inst->host, (uint32_t)v)) {
        if (host_is_windows(inst->host)) {
            /* os.FindProcess -> OpenProcess fails for a dead pid. */
            if (msg)
                snprintf(msg, len,
                         "OpenProcess: The parameter is incorrect.");
            return SIM_ESRCH;
        }
        /* Signal(0) -> ErrProcessDone: the file is removed. */
        (void)host_fs_remove(inst->host, path);
        return 0;
    }
    *pid = (uint32_t)v;
    return 0;
}

static void errs_add(rdd_lima_inst_t *li, const char *e)
{
    size_t n = strlen(li->errors);
    snprintf(li->errors + n, sizeof(li->errors) - n, "%s%s", n ? "; " : "",
             e);
}

/* The hostagent API behind ha.sock answers (haClient.Info). */
static int ha_sock_answers(rdd_instance_t *inst, uint32_t pid)
{
    rdd_ha_t *ha = rdd_ha_find(inst, pid);
    return ha && host_proc_alive(inst->host, pid) &&
           ha->state != RDD_HA_STARTING && ha->state != RDD_HA_EXITED;
}

/* Lima pkg/store/instance.go Inspect + inspectStatus (+ wsl2
 * InspectStatus, wsl_driver_windows.go). */
int rdd_lima_inspect(rdd_instance_t *inst, rdd_lima_inst_t *out, char *msg,
                     size_t len)
{
    char path[HOST_PATH_MAX], e[160];
    int rc;
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", RDD_LIMA_VM);
    rdd_lima_path(inst, NULL, out->dir, sizeof(out->dir));
    out->wsl2 = rdd_lima_wsl2(inst);
    out->status = RDD_LIMA_UNKNOWN;
    rdd_lima_path(inst, "lima.yaml", path, sizeof(path));
    if (!host_fs_exists(inst->host, path) || host_fs_is_dir(inst->host, path)) {
        if (msg)
            snprintf(msg, len, "open %s: %s", path,
                     host_is_windows(inst->host)
                         ? "The system cannot find the file specified."
                         : "no such file or directory");
        return SIM_ENOENT;
    }
    rdd_lima_path(inst, "ha.pid", path, sizeof(path));
    rc = rdd_lima_read_pidfile(inst, path, &out->hostagent_pid, e, sizeof(e));
    if (rc) {
        out->status = RDD_LIMA_BROKEN;
        errs_add(out, e);
    }
    if (out->hostagent_pid && !ha_sock_answers(inst, out->hostagent_pid)) {
        char sock[HOST_PATH_MAX];
        rdd_lima_path(inst, "ha.sock", sock, sizeof(sock));
        out->status = RDD_LIMA_BROKEN;
        snprintf(e, sizeof(e), "failed to get Info from \"%s\"", sock);
        errs_add(out, e);
    }
    /* The driver pid file: inspectStatusWithPIDFiles, which Lima runs
     * only when the driver reports no status (instance.go:160-173): never
     * on WSL2, whose status is the distro's (lima.h: the deviation flag
     * WSL2_DRIVER_PIDFILE reads a wsl2.pid there). */
    rc = 0;
    if (!out->wsl2 || RDD_HAS(inst->flags, WSL2_DRIVER_PIDFILE)) {
        rdd_lima_path(inst, driver_pidfile_name(inst), path, sizeof(path));
        rc = rdd_lima_read_pidfile(inst, path, &out->driver_pid, e,
                                   sizeof(e));
    }
    if (out->wsl2) {
        char distro[64];
        rdd_lima_distro(inst, distro, sizeof(distro));
        switch (host_wsl_state(inst->host, distro)) {
        case HOST_WSL_RUNNING:
            out->status = RDD_LIMA_RUNNING;
            break;
        case HOST_WSL_STOPPED:
            out->status = RDD_LIMA_STOPPED;
            break;
        default:
            out->status = RDD_LIMA_UNINITIALIZED;
        }
        return 0;
    }
    if (rc) {
        out->status = RDD_LIMA_BROKEN;
        errs_add(out, e);
    }
    if (out->status == RDD_LIMA_UNKNOWN) {
        if (out->hostagent_pid && out->driver_pid)
            out->status = RDD_LIMA_RUNNING;
        else if (!out->hostagent_pid && !out->driver_pid)
            out->status = RDD_LIMA_STOPPED;
        else {
            out->status = RDD_LIMA_BROKEN;
            errs_add(out, out->hostagent_pid
                              ? "host agent is running but driver is not"
                              : "qemu driver is running but host agent is "
                                "not");
        }
    }
    return 0;
}

/* Lima pkg/instance Create: the directory must not exist. */
int rdd_lima_create(rdd_instance_t *inst, const char *tmpl, char *msg,
                    size_t len)
{
    char dir[HOST_PATH_MAX], path[HOST_PATH_MAX];
    int rc;
    rdd_lima_path(inst, NULL, dir, sizeof(dir));
    if (host_fs_exists(inst->host, dir)) {
        if (msg)
            snprintf(msg, len, "instance \"%s\" already exists (\"%s\")",
                     RDD_LIMA_VM, dir);
        return SIM_EEXIST;
    }
    rc = host_fs_mkdir(inst->host, dir);
    rdd_lima_path(inst, "lima.yaml", path, sizeof(path));
    if (rc == 0)
        rc = host_fs_write(inst->host, path, tmpl);
    if (rc == SIM_ENOSPC && msg) /* os.WriteFile's PathError */
        snprintf(msg, len, "failed to create instance \"%s\": write %s: %s",
                 RDD_LIMA_VM, path, host_fs_errmsg(inst->host, rc));
    else if (rc && msg)
        snprintf(msg, len, "failed to create instance \"%s\": %s",
                 RDD_LIMA_VM, sim_strerror(rc));
    rdd_trace_kv(inst, "rdd.lima.create", "err", rc ? sim_err_name(rc) : "OK",
           NULL, NULL);
    return rc;
}

/* Prepare: the image and disks (download and decompression abstracted). */
int rdd_lima_prepare(rdd_instance_t *inst, char *msg, size_t len)
{
    char path[HOST_PATH_MAX];
    int rc;
    rdd_lima_path(inst, "basedisk", path, sizeof(path));
    rc = host_fs_write(inst->host, path, "image");
    if (rc == 0 && !rdd_lima_wsl2(inst)) {
        rdd_lima_path(inst, "diffdisk", path, sizeof(path));
        rc = host_fs_write(inst->host, path, "disk");
    }
    if (rc == SIM_ENOSPC && msg) /* the image or disk copy's write */
        snprintf(msg, len, "failed to prepare \"%s\": write %s: %s",
                 RDD_LIMA_VM, path, host_fs_errmsg(inst->host, rc));
    else if (rc && msg)
        snprintf(msg, len, "failed to prepare \"%s\": %s", RDD_LIMA_VM,
                 sim_strerror(rc));
    return rc;
}

#define TMP_SWEEP_MAX 32

typedef struct {
    char names[TMP_SWEEP_MAX][64];
    int n;
} tmp_sweep_t;

static int collect_tmp(void *arg, const char *name, int is_dir)
{
    static const char *const suffixes[] = {".pid", ".sock", ".tmp"};
    tmp_sweep_t *s = arg;
    size_t n = strlen(name), i;
    if (is_dir || s->n == TMP_SWEEP_MAX)
        return 0;
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t k = strlen(suffixes[i]);
        if (n >= k && !strcmp(name + n - k, suffixes[i])) {
            snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
            return 0;
        }
    }
    return 0;
}

/* Removes <dir>/ *.pid, *.sock, *.tmp (filenames.TmpFileSuffixes), listing
 * first (os.ReadDir), then removing; errors are only logged. */
void rdd__lima_remove_tmp(rdd_instance_t *inst, const char *dir)
{
    tmp_sweep_t s;
    int i;
    s.n = 0;
    host_fs_list(inst->host, dir, collect_tmp, &s);
    for (i = 0; i < s.n; i++) {
        char path[HOST_PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, s.names[i]);
        (void)host_fs_remove(inst->host, path);
    }
}

/* Lima pkg/instance/stop.go StopForcibly.  On Windows its SysKill is a
 * CTRL_BREAK (what RDD's forceStopForDeletion guards against by zeroing
 * the pids first). */
void rdd_lima_stop_forcibly(rdd_instance_t *inst, const rdd_lima_inst_t *li,
                            const char *helper)
{
    uint32_t pids[2];
    const char *roles[2] = {"driver", "hostagent"};
    int i;
    pids[0] = li->driver_pid;
    pids[1] = li->hostagent_pid;
    for (i = 0; i < 2; i++) {
        if (!pids[i])
            continue;
        (void)rdd__limavm_kill(inst, pids[i], roles[i], -1, helper,
                               host_is_windows(inst->host) ? "ctrl_break"
                                                           : "sigkill");
    }
    rdd__lima_remove_tmp(inst, li->dir);
}

/* Lima pkg/instance/delete.go Delete(force=true) and the wsl2 driver's
 * Delete (unregister when registered). */
int rdd_lima_delete(rdd_instance_t *inst, const rdd_lima_inst_t *li,
                    char *msg, size_t len)
{
    char e[300];
    int rc;
    rdd_lima_stop_forcibly(inst, li, "lima.Delete");
    if (li->wsl2) {
        char distro[64];
        rdd_lima_distro(inst, distro, sizeof(distro));
        if (host_wsl_state(inst->host, distro) != HOST_WSL_ABSENT)
            (void)host_wsl_unregister(inst->host, distro, inst->id.name);
    }
    rc = host_fs_remove_all(inst->host, li->dir, e, sizeof(e));
    if (rc && msg)
        snprintf(msg, len, "failed to remove \"%s\": %s", li->dir, e);
    rdd_trace_kv(inst, "rdd.lima.delete", "err", rc ? sim_err_name(rc) : "OK",
           NULL, NULL);
    return rc;
}

/* hostagent -----------------------------------------------------------------*/

uint64_t rdd_last_ha_trace(rdd_instance_t *inst)
{
    rdd_ha_t *ha = inst->lvm.last_ha_pid
                       ? rdd_ha_find(inst, inst->lvm.last_ha_pid)
                       : NULL;
    if (!ha)
        return 0;
    if (ha->state == RDD_HA_EXITED)
        return host_proc_trace(inst->host, ha->pid, 1);
    return ha->trace_seq;
}

rdd_ha_t *rdd_ha_find(rdd_instance_t *inst, uint32_t pid)
{
    rdd_ha_t *ha;
    /* The latest with this pid (pids may be reused): newest first, and
     * the last answer remembered (a spawn that reuses its pid replaces
     * it), so a crash loop's thousands of dead hostagents cost nothing. */
    if (inst->lima.found && inst->lima.found->pid == pid)
        return inst->lima.found;
    for (ha = inst->lima.tail; ha; ha = ha->prev)
        if (ha->pid == pid) {
            if (ha != inst->lima.tail) /* the tail is found at once */
                inst->lima.found = ha;
            return ha;
        }
    return NULL;
}

void rdd_ha_tail(rdd_ha_t *ha, rdd_ha_event_cb cb, void *arg)
{
    ha->tail = cb;
    ha->tail_arg = arg;
}

static void hatrace(rdd_ha_t *ha, const char *ev, const char *k,
                    const char *v)
{
    sim_trace_t *tr = sim_trace_begin(ha->inst->loop, ev);
    sim_trace_str(tr, "inst", ha->inst->id.name);
    sim_trace_u64(tr, "pid", ha->pid);
    if (k)
        sim_trace_str(tr, k, v);
    sim_trace_end(tr);
    ha->trace_seq = sim_trace_last(ha->inst->loop);
}

static const char *const ha_state_names[] = {
    "starting", "driver", "booting", "running", "stopping", "exited"};

/* The only place a hostagent's state changes. */
static void rdd__ha_transition(rdd_ha_t *ha, rdd_ha_state_t to)
{
    /* allowed[from][to]: starting driver booting running stopping exited */
    static const unsigned char allowed[6][6] = {
        /* starting */ {0, 1, 0, 0, 0, 1},
        /* driver */ {0, 0, 1, 0, 1, 1},
        /* booting */ {0, 0, 0, 1, 1, 1},
        /* running */ {0, 0, 0, 0, 1, 1},
        /* stopping */ {0, 0, 0, 0, 0, 1},
        /* exited */ {0, 0, 0, 0, 0, 0},
    };
    sim_trace_t *tr;
    SIM_ASSERT(allowed[ha->state][to]);
    tr = sim_trace_begin(ha->inst->loop, "rdd.hostagent.state");
    sim_trace_str(tr, "inst", ha->inst->id.name);
    sim_trace_u64(tr, "pid", ha->pid);
    sim_trace_str(tr, "from", ha_state_names[ha->state]);
    sim_trace_str(tr, "to", ha_state_names[to]);
    sim_trace_end(tr);
    ha->state = to;
}

static void emit(rdd_ha_t *ha, rdd_ha_ev_t ev)
{
    static const char *const names[] = {"boot", "running", "exiting"};
    hatrace(ha, "rdd.hostagent.event", "event", names[ev]);
    if (ha->tail)
        ha->tail(ha->tail_arg, ha, ev, sim_now(ha->inst->loop));
}

static void on_fwd_conn(uds_listener_t *l, void *arg, sim_stream_t *conn)
{
    rdd_instance_t *inst = arg;
    (void)l;
    dock_daemon_serve(inst->vm_daemon, conn);
}

/* The guest is up: its dockerd answers; on Unix hosts Lima's hostagent
 * forwards the guest socket to HOST_DOCKER_SOCKET = DockerSocket()
 * (app_controller.go:160; wsl2 skips socket forwarding). */
/* The App asks for Kubernetes (spec.kubernetes.enabled), so the guest
 * runs k3s on 6443. */
static int guest_k3s_enabled(rdd_instance_t *inst)
{
    kube_obj_t *app = sim__calloc(1, sizeof(*app));
    const char *k;
    int on = 0;
    if (!app)
        return 0;
    if (rdd_get_app(inst, kube_store_reader(inst->api), app) == 0) {
        k = kube_spec_get(app, "kubernetes.enabled");
        on = k && !strcmp(k, "true");
    }
    sim__free(app);
    return on;
}

static void vm_up(rdd_ha_t *ha)
{
    rdd_instance_t *inst = ha->inst;
    if (inst->lima.vm_owner && inst->lima.vm_owner != ha)
        inst->lima.vm_owner->vm_owner = 0;
    inst->lima.vm_owner = ha;
    ha->vm_owner = 1;
    dock_daemon_start(inst->vm_daemon);
    inst->vm_running = 1;
    inst->vm_lives++;
    /* lima-template.yaml:13-23: guest 6443 -> host 127.0.0.1:6443, which
     * Lima opens once k3s listens in the guest (Kubernetes enabled; H11). */
    if (guest_k3s_enabled(inst))
        (void)rdd_ports_forward_guest(inst, ha->pid);
    /* WSL2: the guest's rdd-guest (not in RDD's repository) answers the
     * host-switch handshake on vsock 6669 and serves its dockerd on 6660
     * (socketbridge/host_windows.go:27).  Every distro runs in the one
     * utility VM, so only the first guest gets those ports; a later one's
     * listen fails and a dial to them reaches the first (H10). */
    if (rdd_lima_wsl2(inst) && inst->host) {
        char owner[96];
        rdd__lima_guest_owner(inst, owner, sizeof(owner));
        if (host_vsock_listen(inst->host, RDD_VSOCK_HANDSHAKE_PORT, owner,
                              0) == 0)
            ha->guest_vsock |= 1;
        if (host_vsock_listen(inst->host, RDD_VSOCK_FORWARD_PORT, owner, 0) ==
            0) {
            host_vsock_set_data(inst->host, RDD_VSOCK_FORWARD_PORT, owner,
                                inst->vm_daemon);
            ha->guest_vsock |= 2;
        }
    }
    if (!rdd_lima_wsl2(inst) && !inst->sock_fwd) {
        int rc = uds_listen(inst->socks, inst->id.docker_socket, ha->pid,
                            on_fwd_conn, inst, &inst->sock_fwd);
        if (rc)
            inst->sock_fwd = NULL;
    }
}

static void vm_down(rdd_ha_t *ha)
{
    rdd_instance_t *inst = ha->inst;
    if (!ha->vm_owner)
        return;
    ha->vm_owner = 0;
    inst->lima.vm_owner = NULL;
    if (ha->guest_vsock && inst->host) {
        char owner[96];
        rdd__lima_guest_owner(inst, owner, sizeof(owner));
        host_vsock_close(inst->host, RDD_VSOCK_HANDSHAKE_PORT, owner);
        host_vsock_close(inst->host, RDD_VSOCK_FORWARD_PORT, owner);
        ha->guest_vsock = 0;
    }
    if (inst->sock_fwd) {
        uds_listener_close(inst->sock_fwd, 1);
        inst->sock_fwd = NULL;
    }
    inst->vm_running = 0;
    dock_daemon_stop(inst->vm_daemon);
    rdd_ports_unforward_guest(inst);
}

/* The vsock owner name of inst's guest ("<instance>/guest"). */
void rdd__lima_guest_owner(const rdd_instance_t *inst, char *out, size_t len)
{
    snprintf(out, len, "%s/guest", inst->id.name);
}

static void ha_exit(rdd_ha_t *ha, int code)
{
    if (ha->state == RDD_HA_EXITED)
        return;
    (void)host_exit(ha->inst->host, ha->pid, code);
}

static void ha_running(sim_timer_t *t);

/* hostagent.Run's failure return: the deferred Exiting event, then
 * command.go's deferred RemoveAll(pidfile), exit 1. */
static void ha_fail(rdd_ha_t *ha, const char *err)
{
    sim_trace_scope_t scope;
    snprintf(ha->stderr_text, sizeof(ha->stderr_text), "%s", err);
    hatrace(ha, "rdd.hostagent.fail", "err", err);
    /* what the failure does next links to it (explain) */
    scope = sim_trace_link_scope(ha->inst->loop, "fail",
                                 sim_trace_last(ha->inst->loop));
    if (ha->driver_pid)
        (void)host_kill(ha->inst->host, ha->driver_pid);
    emit(ha, RDD_HA_EV_EXITING);
    (void)host_fs_remove(ha->inst->host, ha->pidfile);
    /* command.go:145 defer srv.Close(): closing the unix listener unlinks
     * ha.sock. */
    {
        char sock[HOST_PATH_MAX];
        snprintf(sock, sizeof(sock), "%s/ha.sock", ha->dir);
        (void)host_fs_remove(ha->inst->host, sock);
    }
    ha_exit(ha, 1);
    sim_trace_scope_restore(ha->inst->loop, scope);
}

/* Lima wsl2 Start (wsl_driver_windows.go): import when Uninitialized,
 * startVM, keepAlive; qemu: the VM process.  Then the boot event. */
static void ha_driver(sim_timer_t *t)
{
    rdd_ha_t *ha = t->data;
    rdd_instance_t *inst = ha->inst;
    if (rdd_lima_wsl2(inst)) {
        char distro[64], vhdx[HOST_PATH_MAX], msg[200];
        int rc = 0;
        rdd_lima_distro(inst, distro, sizeof(distro));
        if (host_wsl_state(inst->host, distro) == HOST_WSL_ABSENT) {
            snprintf(vhdx, sizeof(vhdx), "%s/ext4.vhdx", ha->dir);
            rc = host_wsl_import(inst->host, distro, vhdx, inst->id.name);
            if (rc) {
                snprintf(msg, sizeof(msg),
                         "failed to run [wsl.exe --import %s]: %s", distro,
                         sim_strerror(rc));
                ha_fail(ha, msg);
                return;
            }
        }
        msg[0] = 0;
        rc = host_wsl_start(inst->host, distro, inst->id.name, msg,
                            sizeof(msg));
        if (rc) {
            char e[300];
            snprintf(e, sizeof(e),
                     "failed to run [wsl.exe --distribution %s]: %s", distro,
                     msg[0] ? msg : sim_strerror(rc));
            ha_fail(ha, e);
            return;
        }
    }
    (void)host_port_bind(inst->host, 0, ha->pid, &ha->ssh_port);
    rdd__ha_transition(ha, RDD_HA_BOOTING);
    emit(ha, RDD_HA_EV_BOOT);
    if (!inst->vp.never_running)
        (void)sim_timer_start(&ha->timer, ha_running, inst->vp.boot_ns);
}

static void ha_running(sim_timer_t *t)
{
    rdd_ha_t *ha = t->data;
    rdd__ha_transition(ha, RDD_HA_RUNNING);
    vm_up(ha);
    emit(ha, RDD_HA_EV_RUNNING);
}

/* command.go:48-63's refusal: the message, exit 1.  Links for explain:
 * the refusal names what the pid file holds (pidfile_seq: the process it
 * names, or the failed write that left it behind), the exit names the
 * refusal. */
static uint64_t ha_refuse(rdd_ha_t *ha, const char *e, uint64_t pidfile_seq)
{
    sim_loop_t *loop = ha->inst->loop;
    sim_trace_scope_t scope =
        sim_trace_link_scope(loop, "pidfile", pidfile_seq);
    uint64_t seq;
    hatrace(ha, "rdd.hostagent.refuse", "err", e);
    sim_trace_scope_restore(loop, scope);
    seq = sim_trace_last(loop);
    scope = sim_trace_link_scope(loop, "fail", seq);
    ha_exit(ha, 1);
    sim_trace_scope_restore(loop, scope);
    return seq;
}

/* command.go:48-63 then hostagent.New/Run's start. */
static void ha_main(sim_timer_t *t)
{
    rdd_ha_t *ha = t->data;
    rdd_instance_t *inst = ha->inst;
    char msg[160], path[HOST_PATH_MAX], buf[32];
    uint32_t existing = 0;
    int rc = rdd_lima_read_pidfile(inst, ha->pidfile, &existing, msg,
                                   sizeof(msg));
    if (existing) {
        char e[300];
        snprintf(e, sizeof(e),
                 "another hostagent may already be running with pid %u "
                 "(pidfile \"%s\")",
                 existing, ha->pidfile);
        snprintf(ha->stderr_text, sizeof(ha->stderr_text), "%s", e);
        (void)ha_refuse(ha, e, host_proc_trace(inst->host, existing, 0));
        return;
    }
    if (rc) {
        char e[300];
        snprintf(e, sizeof(e),
                 "failed to determine if another hostagent is running: %s",
                 msg);
        snprintf(ha->stderr_text, sizeof(ha->stderr_text), "%s", e);
        (void)ha_refuse(ha, e, inst->lima.pidfile_left_seq);
        return;
    }
    snprintf(buf, sizeof(buf), "%u\n", ha->pid);
    rc = host_fs_write(inst->host, ha->pidfile, buf);
    if (rc) {
        /* command.go:60-62: os.WriteFile's error is returned before the
         * deferred RemoveAll(pidfile) is set up, so what the open created
         * or truncated stays (empty after a full disk); cobra prints the
         * error, exit 1. */
        char e[300];
        snprintf(e, sizeof(e), "write %s: %s", ha->pidfile,
                 host_fs_errmsg(inst->host, rc));
        snprintf(ha->stderr_text, sizeof(ha->stderr_text), "%s", e);
        inst->lima.pidfile_left_seq = ha_refuse(ha, e, 0);
        return;
    }
    /* Its stdout and stderr are the log files RDD created. */
    snprintf(path, sizeof(path), "%s/ha.stdout.log", ha->dir);
    (void)host_fs_hold(inst->host, path, ha->pid);
    snprintf(path, sizeof(path), "%s/ha.stderr.log", ha->dir);
    (void)host_fs_hold(inst->host, path, ha->pid);
    snprintf(path, sizeof(path), "%s/ha.sock", ha->dir);
    (void)host_fs_write(inst->host, path, "");
    /* The driver process and its pid file. */
    rc = host_spawn(inst->host, rdd_lima_wsl2(inst) ? "C:/Windows/System32/wsl.exe"
                                                    : "/usr/bin/qemu-system-x86_64",
                    rdd_lima_wsl2(inst) ? "wsl.exe" : "qemu", ha->pid, 0,
                    &ha->driver_pid);
    /* qemu writes its -pidfile (Lima qemu.go:990); Lima's WSL2 driver
     * records no pid (the deviation flag WSL2_DRIVER_PIDFILE writes
     * wsl2.pid). */
    if (rc == 0 &&
        (!rdd_lima_wsl2(inst) || RDD_HAS(inst->flags, WSL2_DRIVER_PIDFILE))) {
        snprintf(path, sizeof(path), "%s/%s", ha->dir,
                 driver_pidfile_name(inst));
        snprintf(buf, sizeof(buf), "%u\n", ha->driver_pid);
        (void)host_fs_write(inst->host, path, buf);
    }
    rdd__ha_transition(ha, RDD_HA_DRIVER);
    hatrace(ha, "rdd.hostagent.started", NULL, NULL);
    (void)sim_timer_start(&ha->timer, ha_driver, RDD_HA_DRIVER_NS);
}

/* Lima hostagent.Run on a signal: close, driver.Stop (wsl --terminate),
 * the deferred Exiting event; command.go removes the pid file; exit 0. */
static void ha_shutdown(sim_timer_t *t)
{
    rdd_ha_t *ha = t->data;
    rdd_instance_t *inst = ha->inst;
    char path[HOST_PATH_MAX];
    if (rdd_lima_wsl2(inst) && ha->driver_pid) {
        char distro[64];
        rdd_lima_distro(inst, distro, sizeof(distro));
        (void)host_wsl_terminate(inst->host, distro, inst->id.name);
    }
    if (ha->driver_pid && host_proc_alive(inst->host, ha->driver_pid))
        (void)host_exit(inst->host, ha->driver_pid, 0);
    snprintf(path, sizeof(path), "%s/%s", ha->dir, driver_pidfile_name(inst));
    if (ha->driver_pid)
        (void)host_fs_remove(inst->host, path);
    emit(ha, RDD_HA_EV_EXITING);
    snprintf(path, sizeof(path), "%s/ha.sock", ha->dir);
    (void)host_fs_remove(inst->host, path);
    (void)host_fs_remove(inst->host, ha->pidfile);
    ha_exit(ha, 0);
}

static void ha_on_interrupt(void *arg, uint32_t pid)
{
    rdd_ha_t *ha = arg;
    (void)pid;
    if (ha->state == RDD_HA_EXITED || ha->state == RDD_HA_STOPPING)
        return;
    hatrace(ha, "rdd.hostagent.interrupt", NULL, NULL);
    if (ha->state == RDD_HA_STARTING) {
        /* Before main set up its handler: the default action. */
        ha_exit(ha, 1);
        return;
    }
    rdd__ha_transition(ha, RDD_HA_STOPPING);
    sim_timer_stop(&ha->timer);
    (void)sim_timer_start(&ha->timer, ha_shutdown, RDD_HA_SHUTDOWN_NS);
}

static void ha_on_exit(void *arg, const host_proc_t *p)
{
    rdd_ha_t *ha = arg;
    char code[16];
    ha->exit_watch = 0;
    rdd__ha_transition(ha, RDD_HA_EXITED);
    /* off the live list (rdd_lima_first_live) */
    if (ha->live_prev)
        ha->live_prev->live_next = ha->live_next;
    else
        ha->inst->lima.live_head = ha->live_next;
    if (ha->live_next)
        ha->live_next->live_prev = ha->live_prev;
    else
        ha->inst->lima.live_tail = ha->live_prev;
    ha->live_next = ha->live_prev = NULL;
    ha->exit_code = p->exit_code;
    ha->killed = p->killed;
    ha->exited_ns = sim_now(ha->inst->loop);
    sim_timer_stop(&ha->timer);
    vm_down(ha);
    snprintf(code, sizeof(code), "%d", p->exit_code);
    hatrace(ha, "rdd.hostagent.exit", "code", p->killed ? "killed" : code);
}

int rdd_ha_spawn(rdd_instance_t *inst, const char *exe, uint32_t svc_pid,
                 rdd_ha_t **out)
{
    rdd_ha_t *ha = sim__calloc(1, sizeof(*ha));
    int rc;
    if (!ha)
        return SIM_ENOMEM;
    ha->inst = inst;
    ha->svc_pid = svc_pid;
    snprintf(ha->exe, sizeof(ha->exe), "%s", exe);
    rdd_lima_path(inst, NULL, ha->dir, sizeof(ha->dir));
    snprintf(ha->pidfile, sizeof(ha->pidfile), "%s/ha.pid", ha->dir);
    rc = host_spawn(inst->host, exe, "hostagent", svc_pid, 1, &ha->pid);
    if (rc) {
        sim__free(ha);
        return rc;
    }
    ha->spawned_ns = sim_now(inst->loop); /* state: STARTING (0) */
    sim_timer_init(inst->loop, &ha->timer);
    ha->timer.data = ha;
    host_on_interrupt(inst->host, ha->pid, ha_on_interrupt, ha);
    rc = host_watch_exit(inst->host, ha->pid, ha_on_exit, ha);
    ha->exit_watch = rc > 0 ? rc : 0;
    if (inst->lima.found && inst->lima.found->pid == ha->pid)
        inst->lima.found = ha;
    ha->prev = inst->lima.tail;
    if (inst->lima.tail)
        inst->lima.tail->next = ha;
    else
        inst->lima.head = ha;
    ha->live_prev = inst->lima.live_tail;
    if (inst->lima.live_tail)
        inst->lima.live_tail->live_next = ha;
    else
        inst->lima.live_head = ha;
    inst->lima.live_tail = ha;
    inst->lima.tail = ha;
    inst->lima.spawned++;
    (void)sim_timer_start(&ha->timer, ha_main, RDD_HA_STARTUP_NS);
    hatrace(ha, "rdd.hostagent.spawn", "exe", exe);
    *out = ha;
    return 0;
}

static int same_path(const rdd_instance_t *inst, const char *a,
                     const char *b)
{
    char na[HOST_PATH_MAX], nb[HOST_PATH_MAX];
    host_path_norm(a, na);
    host_path_norm(b, nb);
    return inst->id.os == RDD_OS_WINDOWS ? !strcasecmp(na, nb)
                                         : !strcmp(na, nb);
}

int rdd_is_our_process(rdd_instance_t *inst, uint32_t pid,
                       const char *self_exe, const char *pidfile)
{
    const host_proc_t *p;
    rdd_ha_t *ha;
    if (!host_is_windows(inst->host))
        return 1;
    p = host_proc(inst->host, pid);
    if (!p || !p->alive || !same_path(inst, p->exe, self_exe))
        return 0;
    /* The command line: only hostagents we launched carry --pidfile. */
    ha = rdd_ha_find(inst, pid);
    return ha && ha->state != RDD_HA_EXITED && !strcmp(ha->pidfile, pidfile);
}

/* A WSL distro stopped under the VM (wsl --terminate or --shutdown, by
 * anyone; H9): the guest's dockerd is gone and the keep-alive wsl.exe (the
 * driver) exits; the hostagent itself lives on (docs/rdd/limavm.md path 1: "a
 * stopped distro with a live orphan hostagent"). */
static void on_distro_stop(void *arg, const char *distro)
{
    rdd_instance_t *inst = arg;
    rdd_ha_t *ha = inst->lima.vm_owner;
    char mine[64];
    if (!ha || !rdd_lima_wsl2(inst))
        return;
    rdd_lima_distro(inst, mine, sizeof(mine));
    if (strcmp(mine, distro))
        return;
    hatrace(ha, "rdd.hostagent.vm_lost", "distro", distro);
    vm_down(ha);
    if (ha->driver_pid && host_proc_alive(inst->host, ha->driver_pid))
        (void)host_exit(inst->host, ha->driver_pid, 1);
}

void rdd_lima_watch_distro(rdd_instance_t *inst)
{
    int id = host_wsl_on_stop(inst->host, on_distro_stop, inst);
    inst->lima.distro_watch = id > 0 ? id : 0;
}

void rdd_lima_free(rdd_instance_t *inst)
{
    if (inst->lima.distro_watch)
        host_wsl_off(inst->host, inst->lima.distro_watch);
    rdd_ha_t *ha = inst->lima.head;
    while (ha) {
        rdd_ha_t *next = ha->next;
        sim_timer_stop(&ha->timer);
        if (ha->exit_watch > 0)
            host_unwatch_exit(inst->host, ha->exit_watch);
        if (ha->state != RDD_HA_EXITED)
            host_on_interrupt(inst->host, ha->pid, NULL, NULL);
        sim__free(ha);
        ha = next;
    }
    memset(&inst->lima, 0, sizeof(inst->lima));
}

rdd_ha_t *rdd_lima_first_live(rdd_instance_t *inst)
{
    return inst->lima.live_head;
}
