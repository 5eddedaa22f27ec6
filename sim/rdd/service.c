/*
 * service.c: one RDD instance (identity, its apiserver datastore in Dir())
 * and its service process, rdd/pkg/service/cmd/service.go at 00f5645
 * (docs/rdd/service-and-cli.md).
 *
 * Models: `rdd svc start` (a process "rdd" on the host, holding its
 * datastore and log; the engine, App and LimaVM controllers; the informers'
 * initial Add events), `rdd svc stop` (StopWithWait, :465-533: Interrupt,
 * and on Windows without a shared console TerminateProcess, which skips
 * the shutdown hook and leaves the hostagents running in their own process
 * groups), the graceful shutdown (the controllers stop, the LimaVM
 * shutdown hook runs, then the process exits), and `rdd svc delete`
 * (Delete, :541-565: stop, then best-effort RemoveAll of LogDir unless
 * RDD_KEEP_LOGS, ShortDir with errors ignored, and Dir; the datastore goes
 * with Dir).  Fault sites rdd.svc.interrupt_lost (the interrupt starts no
 * shutdown: the CLI's 5 min wait, then TerminateProcess) and
 * rdd.svc.shutdown_hang (the LimaVM shutdown runnable never returns: the
 * manager's 10 s cap).  Leaves out: args.json/config.yaml, ports, TLS, the
 * stop's 5 min wait (the CLI side, sim/scenario/actions.c, waits on the
 * pid), preserveAllInstanceLogs, a second interrupt's os.Exit(1).
 */
#include <stdio.h>
#include <string.h>

#include "ports.h"
#include "rdd.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

static void strace(rdd_instance_t *inst, const char *ev, const char *k,
                   const char *v)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, ev);
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_u64(tr, "pid", inst->proc.pid);
    if (k)
        sim_trace_str(tr, k, v);
    sim_trace_end(tr);
}

int rdd__instance_base(rdd_instance_t *inst, sim_loop_t *loop, rdd_os_t os,
                       int env_set, const char *rdd_instance,
                       rdd_flags_t flags, npipe_ns_t *pipes, uds_ns_t *socks,
                       dock_daemon_t *vm_daemon)
{
    int rc;
    memset(inst, 0, sizeof(*inst));
    inst->loop = loop;
    inst->flags = flags;
    inst->pipes = pipes;
    inst->socks = socks;
    inst->vm_daemon = vm_daemon;
    rdd_identity(&inst->id, os, env_set, rdd_instance, rdd_os_home(os),
                 flags);
    host_path_norm(inst->id.dir, inst->dir);
    host_path_norm(inst->id.short_dir, inst->short_dir);
    host_path_norm(inst->id.log_dir, inst->log_dir); /* LogDir() */
    inst->proc.proc = inst->id.name;
    sim_timer_init(loop, &inst->svc_shutdown_cap);
    rc = kube_store_new(loop, inst->id.name, &inst->api);
    if (rc == 0)
        rdd_ports_set_api_addr(inst, 0);
    return rc;
}

int rdd_instance_init(rdd_instance_t *inst, sim_loop_t *loop, host_t *host,
                      rdd_os_t os, int env_set, const char *rdd_instance,
                      rdd_flags_t flags, npipe_ns_t *pipes, uds_ns_t *socks,
                      dock_daemon_t *vm_daemon, const rdd_vm_params_t *vp)
{
    int rc;
    SIM_ASSERT(host != NULL);
    rc = rdd__instance_base(inst, loop, os, env_set, rdd_instance, flags,
                            pipes, socks, vm_daemon);
    inst->host = host;
    if (vp)
        inst->vp = *vp;
    if (rc)
        return rc;
    rdd_lima_watch_distro(inst);
    dock_daemon_stop(vm_daemon); /* the VM has not booted */
    return 0;
}

/* The process is gone: everything in it stops (no hook ran if killed). */
static void in_process_stop(rdd_instance_t *inst)
{
    sim_timer_stop(&inst->svc_shutdown_cap);
    inst->svc_shutdown_parts = 0;
    rdd_limavm_free(inst);
    rdd_app_free(inst);
    rdd_engine_free(inst);
    rdd_bridge_stop(inst);
}

void rdd_instance_free(rdd_instance_t *inst)
{
    if (inst->standin.on) { /* rdd_standin_init: no process, 2 controllers */
        sim_timer_stop(&inst->standin.boot);
        sim_timer_stop(&inst->standin.running_retry);
        rdd_app_free(inst);
        rdd_engine_free(inst);
    }
    if (inst->svc != RDD_SVC_DOWN)
        in_process_stop(inst);
    if (inst->svc_exit_watch > 0 && inst->host)
        host_unwatch_exit(inst->host, inst->svc_exit_watch);
    if (inst->host && inst->proc.pid && !inst->standin.on)
        host_on_interrupt(inst->host, inst->proc.pid, NULL, NULL);
    inst->svc_exit_watch = 0;
    inst->svc = RDD_SVC_DOWN;
    rdd_lima_free(inst);
    rdd__limavm_obs_free(inst);
    if (inst->bridge.ln) {
        npipe_listener_close(inst->bridge.ln);
        inst->bridge.ln = NULL;
    }
    if (inst->sock_fwd) {
        uds_listener_close(inst->sock_fwd, 0);
        inst->sock_fwd = NULL;
    }
    if (inst->api)
        kube_store_free(inst->api);
    inst->api = NULL;
}

static void file_path(const char *dir, const char *name, char *out,
                      size_t len)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* service.go:541-565 Delete's removals, after the process is gone. */
static int do_delete(rdd_instance_t *inst)
{
    char msg[300], path[HOST_PATH_MAX];
    int rc;
    inst->svc_delete_pending = 0;
    if (RDD_HAS(inst->flags, SVC_DELETE_UNREGISTERS_DISTRO) &&
        inst->id.os == RDD_OS_WINDOWS) {
        char distro[64];
        rdd_lima_distro(inst, distro, sizeof(distro));
        (void)host_wsl_terminate(inst->host, distro, inst->id.name);
        (void)host_wsl_unregister(inst->host, distro, inst->id.name);
    }
    if (!inst->vp.keep_logs)
        (void)host_fs_remove_all(inst->host, inst->log_dir, NULL, 0);
    rc = host_fs_remove_all(inst->host, inst->short_dir, msg, sizeof(msg));
    if (rc)
        strace(inst, "rdd.svc.delete_short_dir", "err", msg); /* ignored */
    /* :564 returns RemoveAll(Dir())'s error: the CLI exits 1 with it */
    rc = host_fs_remove_all(inst->host, inst->dir, msg, sizeof(msg));
    strace(inst, "rdd.svc.delete", "err", rc ? msg : "");
    inst->svc_delete_rc = rc;
    snprintf(inst->svc_delete_err, sizeof(inst->svc_delete_err), "%s",
             rc ? msg : "");
    file_path(inst->dir, "rdd.sqlite3", path, sizeof(path));
    if (!host_fs_exists(inst->host, path) && inst->api) {
        kube_store_t *fresh;
        if (kube_store_new(inst->loop, inst->id.name, &fresh) == 0) {
            kube_store_free(inst->api);
            inst->api = fresh;
            inst->api_epoch++;
            rdd_ports_set_api_addr(inst, 0);
        }
    }
    return rc;
}

static void on_svc_exit(void *arg, const host_proc_t *p)
{
    rdd_instance_t *inst = arg;
    char code[16];
    inst->svc_exit_watch = 0;
    snprintf(code, sizeof(code), "%d", p->exit_code);
    strace(inst, "rdd.svc.exit", "code", p->killed ? "killed" : code);
    if (inst->svc != RDD_SVC_DOWN)
        in_process_stop(inst);
    inst->svc = RDD_SVC_DOWN;
    inst->proc.pid = 0;
    if (inst->svc_delete_pending)
        (void)do_delete(inst);
}

void rdd__svc_fail(rdd_instance_t *inst, const char *err)
{
    uint32_t pid = inst->proc.pid;
    if (inst->svc == RDD_SVC_DOWN || !pid || !host_proc_alive(inst->host, pid))
        return;
    strace(inst, "rdd.svc.fail", "err", err);
    (void)host_exit(inst->host, pid, 1);
}

/* After the LimaVM shutdown hook: the apiserver drains and Run returns;
 * the pid file goes (a graceful exit). */
static void hook_done(rdd_instance_t *inst)
{
    char path[HOST_PATH_MAX];
    file_path(inst->dir, "rdd.pid", path, sizeof(path));
    (void)host_fs_remove(inst->host, path);
    if (inst->proc.pid)
        (void)host_exit(inst->host, inst->proc.pid, 0);
}

/* One shutdown runnable finished; the manager returns after the last. */
static void shutdown_part_done(rdd_instance_t *inst)
{
    if (inst->svc_shutdown_parts && --inst->svc_shutdown_parts == 0) {
        sim_timer_stop(&inst->svc_shutdown_cap);
        hook_done(inst);
    }
}

/* GracefulShutdownTimeout (service/controllers/manager.go:150-152): the
 * manager returns 10 s after its context is cancelled whatever runnables
 * still run, Run returns and the process exits; what those runnables had
 * not done yet is never done. */
static void shutdown_cap(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    if (!inst->svc_shutdown_parts)
        return;
    strace(inst, "rdd.svc.shutdown_timeout", NULL, NULL);
    inst->svc_shutdown_parts = 0;
    hook_done(inst);
}

/* The service's signal handler (SetupSignalContext): the manager context
 * is cancelled; controllers stop; the manager runs its shutdown runnables
 * and waits for them: the engine's (engine_reconciler.go:833-840,
 * removeDockerContext) and the LimaVM's (limavm_controller.go:617-708). */
static void on_svc_interrupt(void *arg, uint32_t pid)
{
    rdd_instance_t *inst = arg;
    (void)pid;
    if (inst->svc != RDD_SVC_RUNNING)
        return;
    /* rdd.svc.interrupt_lost: process.Interrupt (process_windows.go:37-39,
     * GenerateConsoleCtrlEvent) returned nil, so StopWithWait
     * (service.go:489-493) does not fall back to Kill, but no shutdown
     * starts: the service runs on until the CLI's wait expires
     * (service.go:497-518, stopWaitTimeout 5 min, cmd/rdd/service.go:42)
     * and its Kill (TerminateProcess) ends it without the hook. */
    if (SIM_FAULT(inst->loop, RDD_SVC_INTERRUPT_LOST, inst->id.name)) {
        strace(inst, "rdd.svc.interrupt_lost", NULL, NULL);
        return;
    }
    inst->svc = RDD_SVC_STOPPING;
    strace(inst, "rdd.svc.shutdown", NULL, NULL);
    rdd_app_free(inst);
    inst->svc_shutdown_parts = 2;
    inst->svc_shutdown_cap.data = inst;
    (void)sim_timer_start(&inst->svc_shutdown_cap, shutdown_cap,
                          RDD_MGR_SHUTDOWN_NS);
    rdd_engine_shutdown(inst, shutdown_part_done);
    /* rdd.svc.shutdown_hang: waitForShutdown (limavm_controller.go:
     * 617-621) never returns; only the manager's GracefulShutdownTimeout
     * (shutdown_cap, 10 s) ends the wait and the process exits; the
     * hook's interrupts and reclaim never ran (the context still killed
     * the hostagents it launched). */
    if (SIM_FAULT(inst->loop, RDD_SVC_SHUTDOWN_HANG, inst->id.name)) {
        strace(inst, "rdd.svc.shutdown_hang", NULL, NULL);
        rdd_limavm_shutdown_hang(inst);
        return;
    }
    rdd_limavm_shutdown(inst, shutdown_part_done);
}

static int app_exists(rdd_instance_t *inst)
{
    kube_obj_t app;
    return rdd_get_app(inst, kube_store_reader(inst->api), &app) == 0;
}

int rdd_svc_start(rdd_instance_t *inst)
{
    char path[HOST_PATH_MAX], buf[32];
    uint32_t pid;
    int rc;
    if (inst->svc != RDD_SVC_DOWN)
        return SIM_EEXIST;
    rc = host_spawn(inst->host, inst->vp.exe, "rdd", 0, 1, &pid);
    if (rc)
        return rc;
    inst->proc.pid = pid;
    inst->svc = RDD_SVC_RUNNING;
    inst->svc_starts++;
    /* PID file, datastore and log, held while it runs. */
    (void)host_fs_mkdir(inst->host, inst->dir);
    file_path(inst->dir, "rdd.pid", path, sizeof(path));
    snprintf(buf, sizeof(buf), "%u\n", pid);
    rc = host_fs_write(inst->host, path, buf);
    if (rc) {
        /* service.go:704-707: the serve command writes its PID file
         * before anything runs; the error ends it (exit 1).  The CLI's
         * Start has already succeeded (cmd.Start): it waits for a
         * readiness that never comes.  os.WriteFile's PathError. */
        char msg[2 * HOST_PATH_MAX + 96];
        snprintf(msg, sizeof(msg), "failed to write \"%s\": write %s: %s",
                 path, path, host_fs_errmsg(inst->host, rc));
        rc = host_watch_exit(inst->host, pid, on_svc_exit, inst);
        inst->svc_exit_watch = rc > 0 ? rc : 0;
        rdd__svc_fail(inst, msg);
        return 0;
    }
    file_path(inst->dir, "rdd.sqlite3", path, sizeof(path));
    if (!host_fs_exists(inst->host, path))
        (void)host_fs_write(inst->host, path, "");
    (void)host_fs_hold(inst->host, path, pid);
    file_path(inst->log_dir, "rdd.log", path, sizeof(path));
    (void)host_fs_write(inst->host, path, "");
    (void)host_fs_hold(inst->host, path, pid);
    host_on_interrupt(inst->host, pid, on_svc_interrupt, inst);
    /* service.go:220 and manager.go:72-73: ResolvePort for every family,
     * then the real binds a moment later (the TOCTOU window, H8). */
    (void)rdd_ports_service_start(inst, RDD_PORTS_BIND_DELAY_NS);
    rc = host_watch_exit(inst->host, pid, on_svc_exit, inst);
    inst->svc_exit_watch = rc > 0 ? rc : 0;
    strace(inst, "rdd.svc.start", "exe", inst->vp.exe);
    rc = rdd_engine_init(inst);
    if (rc == 0)
        rc = rdd_app_init(inst);
    if (rc == 0)
        inst->app.resolve_port = rdd_ports_resolve_for_app;
    if (rc == 0)
        rc = rdd_limavm_init(inst); /* drives the VM (app.vm_hook NULL) */
    if (rc) {
        in_process_stop(inst);
        (void)host_exit(inst->host, pid, 1);
        return rc;
    }
    /* The informers' initial Add events. */
    if (app_exists(inst)) {
        rdd_engine_enqueue(inst);
        rdd_app_enqueue(inst);
    }
    return 0;
}

int rdd_svc_stop(rdd_instance_t *inst, int console)
{
    uint32_t pid = inst->proc.pid;
    int rc;
    if (inst->svc == RDD_SVC_DOWN || !pid ||
        !host_proc_alive(inst->host, pid))
        return SIM_ESRCH; /* "control plane is not running" */
    if (inst->svc == RDD_SVC_STOPPING)
        return 0;
    /* process.Interrupt: GenerateConsoleCtrlEvent needs a shared console
     * on Windows; SIGINT always works elsewhere. */
    rc = inst->id.os == RDD_OS_WINDOWS && !console
             ? SIM_EACCES
             : host_interrupt(inst->host, pid);
    strace(inst, "rdd.svc.stop", "via", rc ? "TerminateProcess" : "interrupt");
    if (rc) {
        /* the kill's records link to the stop that decided it (explain) */
        sim_trace_scope_t scope = sim_trace_link_scope(
            inst->loop, "stop", sim_trace_last(inst->loop));
        rc = host_kill(inst->host, pid);
        sim_trace_scope_restore(inst->loop, scope);
    }
    return rc;
}

int rdd_svc_delete(rdd_instance_t *inst, int console)
{
    if (inst->svc != RDD_SVC_DOWN && inst->proc.pid &&
        host_proc_alive(inst->host, inst->proc.pid)) {
        inst->svc_delete_pending = 1;
        inst->svc_delete_rc = 0;
        inst->svc_delete_err[0] = 0;
        return rdd_svc_stop(inst, console);
    }
    return do_delete(inst);
}

/* `rdd set running=true` on a fresh datastore: the App as app_types.go
 * defaults it (running, moby, namespace default). */
int rdd_app_ensure(rdd_instance_t *inst)
{
    kube_obj_t app;
    kube_status_t st;
    int rc;
    if (app_exists(inst))
        return 0;
    kube_obj_init(&app, KUBE_APP, "", RDD_APP_NAME);
    kube_spec_set(&app, "running", "true");
    kube_spec_set(&app, "containerEngine.name", "moby");
    kube_spec_set(&app, "namespace", "default");
    rc = kube_create(inst->api, &app, &st);
    return rc == SIM_EEXIST ? 0 : rc;
}
