/*
 * standin.c: a VM stand-in for the engine/App/Docker-context unit tests
 * (see standin.h).  The behaviour of the former vm.c: an instance with
 * only the engine and App controllers (no service process, no LimaVM
 * controller, no host), whose VM boots after a delay, brings its dockerd
 * up (and Lima's socket forward on Unix) and writes App Running directly.
 * Scenarios never use it: their instances run the service (service.c) and
 * its LimaVM controller (limavm.c).
 */
#include <stdio.h>
#include <string.h>

#include "sim/errno.h"
#include "sim/trace.h"
#include "standin.h"

static void set_running_retry(sim_timer_t *t);

static void set_running(rdd_instance_t *inst, int running)
{
    kube_reader_t *live = kube_store_reader(inst->api);
    kube_obj_t app;
    kube_cond_t c;
    kube_status_t st;
    int rc;
    sim_timer_stop(&inst->standin.running_retry);
    if (rdd_get_app(inst, live, &app))
        return;
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "%s", RDD_COND_RUNNING);
    snprintf(c.status, sizeof(c.status), "%s", running ? "True" : "False");
    snprintf(c.reason, sizeof(c.reason), "%s", running ? "Started" : "Stopped");
    c.observed_gen = app.generation;
    if (!kube_cond_set(&app, &c, sim_now(inst->loop)))
        return;
    rc = kube_update_status(inst->api, &app, &st);
    if (rc) {
        inst->standin.running_want = running;
        inst->standin.running_retry.data = inst;
        (void)sim_timer_start(&inst->standin.running_retry, set_running_retry,
                              SIM_NS_PER_S);
    }
}

static void set_running_retry(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    set_running(inst, inst->standin.running_want);
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
        int rc = uds_listen(inst->socks, inst->id.docker_socket, inst->proc.pid,
                            on_sock_conn, inst, &inst->sock_fwd);
        if (rc)
            inst->sock_fwd = NULL;
    }
    tr = sim_trace_begin(inst->loop, "rdd.vm.running");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_u64(tr, "life", inst->vm_lives);
    sim_trace_end(tr);
    set_running(inst, 1);
}

int rdd_standin_vm_start(rdd_instance_t *inst, uint64_t handshake_ns,
                         uint64_t boot_ns)
{
    sim_trace_t *tr;
    if (!inst->standin.on)
        return SIM_ESTATE;
    tr = sim_trace_begin(inst->loop, "rdd.vm.start");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_ns(tr, "handshake", handshake_ns);
    sim_trace_ns(tr, "boot", boot_ns);
    sim_trace_end(tr);
    inst->vm_lives++;
    inst->standin.handshake_ns = handshake_ns;
    inst->standin.boot_ns = boot_ns;
    rdd_bridge_start(inst, handshake_ns);
    inst->standin.boot.data = inst;
    return sim_timer_start(&inst->standin.boot, booted, boot_ns);
}

void rdd_standin_vm_stop(rdd_instance_t *inst)
{
    sim_trace_t *tr;
    if (!inst->standin.on)
        return;
    tr = sim_trace_begin(inst->loop, "rdd.vm.stop");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_end(tr);
    sim_timer_stop(&inst->standin.boot);
    set_running(inst, 0);
    rdd_bridge_stop(inst);
    if (inst->sock_fwd) {
        uds_listener_close(inst->sock_fwd, 1);
        inst->sock_fwd = NULL;
    }
    inst->vm_running = 0;
    dock_daemon_stop(inst->vm_daemon);
}

void rdd_standin_app_hook(rdd_instance_t *inst, int running)
{
    int booting = sim_timer_active(&inst->standin.boot);
    if (!running && (inst->vm_running || booting))
        rdd_standin_vm_stop(inst);
    else if (running && !inst->vm_running && !booting)
        (void)rdd_standin_vm_start(inst, inst->standin.handshake_ns,
                                   inst->standin.boot_ns);
}

int rdd_standin_init(rdd_instance_t *inst, sim_loop_t *loop, rdd_os_t os,
                     int env_set, const char *rdd_instance, rdd_flags_t flags,
                     npipe_ns_t *pipes, uds_ns_t *socks, uint32_t pid,
                     dock_daemon_t *vm_daemon)
{
    kube_obj_t app;
    kube_status_t st;
    int rc;
    rc = rdd__instance_base(inst, loop, os, env_set, rdd_instance, flags,
                            pipes, socks, vm_daemon);
    inst->standin.on = 1;
    inst->proc.pid = pid;
    sim_timer_init(loop, &inst->standin.boot);
    sim_timer_init(loop, &inst->standin.running_retry);
    if (rc)
        return rc;
    rc = rdd_engine_init(inst);
    if (rc == 0)
        rc = rdd_app_init(inst);
    if (rc == 0) {
        inst->app.vm_hook = rdd_standin_app_hook;
        kube_obj_init(&app, KUBE_APP, "", RDD_APP_NAME);
        kube_spec_set(&app, "running", "true");
        kube_spec_set(&app, "containerEngine.name", "moby");
        kube_spec_set(&app, "namespace", "default");
        rc = kube_create(inst->api, &app, &st);
    }
    if (rc) {
        rdd_instance_free(inst);
        return rc;
    }
    dock_daemon_stop(vm_daemon);
    return 0;
}
