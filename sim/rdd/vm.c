/*
 * vm.c: one RDD instance's process, apiserver and a stand-in for its Lima
 * VM.  The LimaVM and App controllers (rdd-behavior.md §6, §7) are not
 * modelled yet: starting the VM runs startInstance's order (host-switch
 * first, limavm_lifecycle.go:411-416), then after the boot time brings the
 * VM's dockerd up, starts Lima's socket forward on Unix hosts
 * (HOST_DOCKER_SOCKET, app_controller.go:160) and mirrors Running=True into
 * the App, as the App controller would.
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static void set_running_retry(sim_timer_t *t);

/* Mirrors the VM's state into the App's Running condition.  A failed
 * write is retried a second later, as the controllers' requeue would. */
static void set_running(rdd_instance_t *inst, int running)
{
    kube_reader_t *live = kube_store_reader(inst->api);
    kube_obj_t app;
    kube_cond_t c;
    kube_status_t st;
    int rc;
    sim_timer_stop(&inst->running_retry);
    if (rdd_get_app(inst, live, &app))
        return;
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "%s", RDD_COND_RUNNING);
    snprintf(c.status, sizeof(c.status), "%s", running ? "True" : "False");
    snprintf(c.reason, sizeof(c.reason), "%s",
             running ? "Started" : "Stopped");
    c.observed_gen = app.generation;
    if (!kube_cond_set(&app, &c, sim_now(inst->loop)))
        return;
    rc = kube_update_status(inst->api, &app, &st);
    if (rc) {
        inst->running_want = running;
        inst->running_retry.data = inst;
        (void)sim_timer_start(&inst->running_retry, set_running_retry,
                              SIM_NS_PER_S);
    }
}

static void set_running_retry(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    set_running(inst, inst->running_want);
}

static void on_sock_conn(uds_listener_t *l, void *arg, sim_stream_t *conn)
{
    rdd_instance_t *inst = arg;
    (void)l;
    dock_daemon_serve(inst->vm_daemon, conn);
}

static void booted(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    sim_trace_t *tr;
    dock_daemon_start(inst->vm_daemon);
    inst->vm_running = 1;
    if (inst->id.os != RDD_OS_WINDOWS && !inst->sock_fwd) {
        /* Lima's hostagent forwards the guest socket to DockerSocket(). */
        int rc = uds_listen(inst->socks, inst->id.docker_socket,
                            inst->proc.pid, on_sock_conn, inst,
                            &inst->sock_fwd);
        if (rc)
            inst->sock_fwd = NULL;
    }
    tr = sim_trace_begin(inst->loop, "rdd.vm.running");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_u64(tr, "life", inst->vm_lives);
    sim_trace_end(tr);
    set_running(inst, 1);
}

int rdd_vm_start(rdd_instance_t *inst, uint64_t handshake_ns,
                 uint64_t boot_ns)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.vm.start");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_ns(tr, "handshake", handshake_ns);
    sim_trace_ns(tr, "boot", boot_ns);
    sim_trace_end(tr);
    inst->vm_lives++;
    inst->handshake_ns = handshake_ns;
    inst->boot_ns = boot_ns;
    rdd_bridge_start(inst, handshake_ns);
    inst->boot.data = inst;
    return sim_timer_start(&inst->boot, booted, boot_ns);
}

void rdd_vm_stop(rdd_instance_t *inst)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.vm.stop");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_end(tr);
    sim_timer_stop(&inst->boot);
    set_running(inst, 0);
    rdd_bridge_stop(inst);
    if (inst->sock_fwd) {
        uds_listener_close(inst->sock_fwd, 1);
        inst->sock_fwd = NULL;
    }
    inst->vm_running = 0;
    dock_daemon_stop(inst->vm_daemon);
}

/* The App as `rdd svc start` leaves it: spec.running=true, moby engine,
 * namespace default (app_types.go:235-240). */
static int create_app(rdd_instance_t *inst)
{
    kube_obj_t app;
    kube_status_t st;
    kube_obj_init(&app, KUBE_APP, "", RDD_APP_NAME);
    kube_spec_set(&app, "running", "true");
    kube_spec_set(&app, "containerEngine.name", "moby");
    kube_spec_set(&app, "namespace", "default");
    inst->app.handled_gen = 1; /* the VM is started by rdd_vm_start */
    return kube_create(inst->api, &app, &st);
}

int rdd_instance_init(rdd_instance_t *inst, sim_loop_t *loop, rdd_os_t os,
                      int env_set, const char *rdd_instance,
                      rdd_flags_t flags, npipe_ns_t *pipes, uds_ns_t *socks,
                      uint32_t pid, dock_daemon_t *vm_daemon)
{
    int rc;
    memset(inst, 0, sizeof(*inst));
    inst->loop = loop;
    inst->flags = flags;
    inst->pipes = pipes;
    inst->socks = socks;
    inst->vm_daemon = vm_daemon;
    rdd_identity(&inst->id, os, env_set, rdd_instance,
                 os == RDD_OS_WINDOWS ? "C:\\Users\\u" : "/home/u", flags);
    inst->proc.proc = inst->id.name;
    inst->proc.pid = pid;
    sim_timer_init(loop, &inst->boot);
    sim_timer_init(loop, &inst->running_retry);
    rc = kube_store_new(loop, inst->id.name, &inst->api);
    if (rc)
        return rc;
    rc = rdd_engine_init(inst);
    if (rc == 0)
        rc = rdd_app_init(inst);
    if (rc == 0)
        rc = create_app(inst);
    if (rc) {
        rdd_instance_free(inst);
        return rc;
    }
    dock_daemon_stop(vm_daemon); /* the VM has not booted */
    return 0;
}

void rdd_instance_free(rdd_instance_t *inst)
{
    sim_timer_stop(&inst->boot);
    sim_timer_stop(&inst->running_retry);
    rdd_app_free(inst);
    rdd_engine_free(inst);
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
