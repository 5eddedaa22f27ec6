/*
 * app.c: a stand-in for RDD's App controller
 * (rdd/pkg/controllers/app/app/controllers/app_controller.go, rdd-behavior.md
 * §6), until the App and LimaVM controllers are modelled (issue 4).
 *
 * Models: step 9/11 (spec.running changes start or stop the VM, here the
 * vm.c stand-in, once per generation), and step 13's Settled computation
 * through rdd_compute_settled (§6.4) written with observedGeneration = G
 * only when it changed.  Leaves out: templates, LimaVM objects, finalizers,
 * namespace creation, Kubernetes ports, discovery (engine enabled,
 * Kubernetes disabled, template up to date).
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "settled.h"
#include "sim/errno.h"
#include "sim/trace.h"

/* app_controller.go:219-544 Reconcile, reduced to steps 9, 11 and 13. */
static void reconcile(void *arg, kube_ctrl_t *ctrl, const char *key)
{
    rdd_instance_t *inst = arg;
    kube_reader_t *r = kube_cache_reader(inst->app.cache);
    kube_obj_t app;
    kube_cond_t settled;
    kube_status_t st;
    rdd_settled_in_t in;
    const char *want;
    int desired, rc = 0, tries;
    (void)key;
    if (rdd_get_app(inst, r, &app)) {
        kube_ctrl_done(ctrl, RDD_APP_NAME, 0, 0);
        return;
    }
    want = kube_spec_get(&app, "running");
    desired = !want || strcmp(want, "false") != 0;
    if (app.generation > inst->app.handled_gen) {
        inst->app.handled_gen = app.generation;
        if (!desired && (inst->vm_running || sim_timer_active(&inst->boot)))
            rdd_vm_stop(inst);
        else if (desired && !inst->vm_running &&
                 !sim_timer_active(&inst->boot))
            (void)rdd_vm_start(inst, inst->handshake_ns, inst->boot_ns);
    }
    /* Step 13: retry-on-conflict {re-Get, compute, write if changed}. */
    for (tries = 0; tries < 5; tries++) {
        if (tries && rdd_get_app(inst, r, &app))
            break;
        memset(&in, 0, sizeof(in));
        in.running = kube_cond_find(&app, RDD_COND_RUNNING);
        in.engine = kube_cond_find(&app, RDD_COND_ENGINE);
        in.desired_running = desired;
        in.generation = app.generation;
        in.engine_enabled = 1;
        in.template_up_to_date = 1;
        rdd_compute_settled(&in, &settled);
        if (!kube_cond_set(&app, &settled, sim_now(inst->loop)))
            break;
        rc = kube_update_status(inst->api, &app, &st);
        if (rc != SIM_ECONFLICT)
            break;
    }
    if (rc == 0) {
        sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.app.settled");
        sim_trace_str(tr, "inst", inst->id.name);
        sim_trace_str(tr, "status", settled.status);
        sim_trace_str(tr, "reason", settled.reason);
        sim_trace_i64(tr, "gen", app.generation);
        sim_trace_end(tr);
    }
    kube_ctrl_done(ctrl, RDD_APP_NAME, rc, 0);
}

static void on_change(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    rdd_instance_t *inst = arg;
    (void)type;
    if (o->kind == KUBE_APP && inst->app.ctrl)
        kube_ctrl_enqueue(inst->app.ctrl, RDD_APP_NAME);
}

int rdd_app_init(rdd_instance_t *inst)
{
    char name[128];
    int rc;
    snprintf(name, sizeof(name), "%s/app", inst->id.name);
    rc = kube_cache_new(inst->api, name, on_change, inst, &inst->app.cache);
    if (rc)
        return rc;
    rc = kube_ctrl_new(inst->loop, name, reconcile, inst, &inst->app.ctrl);
    if (rc) {
        kube_cache_free(inst->app.cache);
        inst->app.cache = NULL;
    }
    return rc;
}

void rdd_app_free(rdd_instance_t *inst)
{
    if (inst->app.ctrl)
        kube_ctrl_free(inst->app.ctrl);
    if (inst->app.cache)
        kube_cache_free(inst->app.cache);
    inst->app.ctrl = NULL;
    inst->app.cache = NULL;
}
