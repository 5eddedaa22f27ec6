/*
 * informer.c: the informer cache of RDD's controller manager, shared by
 * the engine, App and LimaVM controllers.
 *
 * RDD registers every enabled controller with one controller-runtime
 * manager, "embedded" (rdd/pkg/service/cmd/service.go:913-931;
 * rdd/pkg/service/controllers/manager.go:176, ctrl.NewManager), and a
 * manager has one cache: one informer per kind, whose store every
 * controller reads through the manager's client, and whose event handlers
 * (one per controller watch) enqueue into each controller's queue.  So an
 * event reaches the three controllers together, a relist or a lost watch
 * happens to all of them at once, and the cache lives as long as any
 * controller does (the engine's shutdown runnable still polls it after
 * the App controller stopped, engine_reconciler.go:833-840).
 *
 * Here: one kube_cache_t per instance, named "<Name()>/manager", taken by
 * each controller's init and given back by its free; the last one frees
 * it.  Its on_change calls the handlers of the controllers that hold it,
 * in the order their inits took it (engine, App, LimaVM): controller-
 * runtime starts controllers concurrently, so RDD's order is not fixed;
 * this one is.
 */
#include <stdio.h>

#include "rdd.h"

static void dispatch(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    rdd_instance_t *inst = arg;
    /* The handlers only enqueue: none frees the cache. */
    if (inst->engine.cache)
        rdd__engine_on_change(inst, type, o);
    if (inst->app.cache)
        rdd__app_on_change(inst, type, o);
    if (inst->lvm.cache)
        rdd__limavm_on_change(inst, type, o);
}

int rdd_informer_acquire(rdd_instance_t *inst, kube_cache_t **out)
{
    char name[128];
    int rc;
    if (!inst->informer) {
        snprintf(name, sizeof(name), "%s/manager", inst->id.name);
        rc = kube_cache_new(inst->api, name, dispatch, inst, &inst->informer);
        if (rc)
            return rc;
        inst->informer_refs = 0;
    }
    inst->informer_refs++;
    *out = inst->informer;
    return 0;
}

void rdd_informer_release(rdd_instance_t *inst, kube_cache_t **c)
{
    if (!*c)
        return;
    *c = NULL;
    if (--inst->informer_refs == 0) {
        kube_cache_free(inst->informer);
        inst->informer = NULL;
    }
}
