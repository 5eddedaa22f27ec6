/*
 * app.c: RDD's App controller,
 * rdd/pkg/controllers/app/app/controllers/app_controller.go at 00f5645
 * (docs/rdd/app-controller.md).
 *
 * Models Reconcile step by step (docs/rdd/app-controller.md, Reconcile): the
 * deletion path (LimaVM owned finalizer strip and delete, 2 s requeue, input ConfigMap, owned
 * namespace, App cleanup finalizer; the App's Running is not touched,
 * H16), the cleanup finalizer, the namespace, the Kubernetes port, the
 * LimaVM + input ConfigMap creation (through the mutating webhook of
 * webhook.c, which creates rd-template), the input ConfigMap deletion,
 * running propagation both ways, template propagation and
 * templateUpToDate, discovery, and step 13: every LimaVM condition
 * mirrored with observedGeneration = the App's generation, then Settled
 * by rdd_compute_settled, written only when something changed.  Reads go
 * through the controller's informer cache (controller-runtime's client);
 * writes go to the store.  Enqueued by every App and every LimaVM event
 * (For(App), Owns(LimaVM), :696-701); ConfigMaps are not watched.
 * Steps 6 and 13 retry on conflict as client-go's DefaultRetry does
 * (5 tries, 10 ms apart, jitter 0.1).
 *
 * Deviations (each said where it happens):
 * - Requeue: true (steps 8 and 10) is a 5 ms RequeueAfter: the kube fake
 *   has no AddRateLimited without an error; 5 ms is its first step.
 * - Namespaces are a table in rdd_app_t, not objects: "default" always
 *   exists unowned; deleting an owned one deletes every object in it at
 *   once (the namespace controller's sweep, without its delay).
 * - No owner references: Owns(LimaVM) enqueues on every LimaVM event.
 * - ResolvePort is inst->app.resolve_port (the service sets ports.c's),
 *   or 7441 + Index() unprobed (unit tests).
 * - Discovery is a per-instance setting (app.h), read every reconcile.
 * - inst->app.vm_hook, when set (only by the unit tests' VM stand-in,
 *   standin.c), is called after steps 9 and 11 change LimaVM.spec.running;
 *   it is NULL by default: the LimaVM controller drives the VM.
 * - Flag engine_quiesces_on_app_delete (H16's fix, the App side): the
 *   deletion path holds the App's finalizer (2 s requeues) until
 *   ContainerEngineReady is Stopped/NotApplicable at the App's current
 *   generation (the engine side must write it for a deleting App).
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "settled.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/trace.h"

enum { RETRY_PORT_SET, RETRY_PORT_CLEAR, RETRY_MIRROR };

static kube_reader_t *cached(rdd_instance_t *inst)
{
    return kube_cache_reader(inst->app.cache);
}

static void finish(rdd_instance_t *inst, int err, uint64_t after_ns)
{
    kube_ctrl_done(inst->app.ctrl, RDD_APP_NAME, err, after_ns);
}

/* One trace per early return of Reconcile: which step, its error and
 * RDD's message for it. */
static void step_trace(rdd_instance_t *inst, const char *step, int rc,
                       const char *msg)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.app.step");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "step", step);
    sim_trace_err(tr, "rc", rc);
    if (msg && msg[0])
        sim_trace_str(tr, "message", msg);
    sim_trace_end(tr);
}

static int spec_true(const kube_obj_t *o, const char *key)
{
    const char *v = kube_spec_get(o, key);
    return v && !strcmp(v, "true");
}

/* app_types.go:235-240 GetResourceNamespace. */
static const char *res_ns(const kube_obj_t *app)
{
    const char *ns = kube_spec_get(app, "namespace");
    return ns && ns[0] ? ns : RDD_APP_DEFAULT_NS;
}

static int status_port(const kube_obj_t *app)
{
    const char *v = kube_status_get(app, "kubernetesPort");
    int port = 0;
    if (v)
        (void)sscanf(v, "%d", &port);
    return port;
}

/* namespaces
 * -----------------------------------------------------------------*/

int rdd_app_ns_get(rdd_instance_t *inst, const char *name, uint64_t *owner_uid)
{
    rdd_app_t *a = &inst->app;
    int i;
    if (owner_uid)
        *owner_uid = 0;
    if (!strcmp(name, RDD_APP_DEFAULT_NS))
        return 1;
    for (i = 0; i < a->nns; i++)
        if (!strcmp(a->ns[i].name, name)) {
            if (owner_uid)
                *owner_uid = a->ns[i].owner_uid;
            return 1;
        }
    return 0;
}

/* :298-315: Create with the App as controller; AlreadyExists is fine. */
static int ns_create(rdd_instance_t *inst, const char *name, uint64_t owner)
{
    rdd_app_t *a = &inst->app;
    if (rdd_app_ns_get(inst, name, NULL))
        return 0;
    if (a->nns == RDD_APP_NS_MAX)
        return SIM_ERANGE;
    snprintf(a->ns[a->nns].name, sizeof(a->ns[a->nns].name), "%s", name);
    a->ns[a->nns].owner_uid = owner;
    a->nns++;
    step_trace(inst, "namespace_created", 0, name);
    return 0;
}

static int collect(void *arg, const kube_obj_t *o)
{
    return rdd_names_push(arg, o->name);
}

/* :274-283 deletes the namespace; the namespace controller then deletes
 * every object in it (objects with finalizers stay Terminating).  Here
 * both happen at once. */
static void ns_delete(rdd_instance_t *inst, const char *name)
{
    rdd_app_t *a = &inst->app;
    kube_reader_t *live = kube_store_reader(inst->api);
    char ns[KUBE_NS_MAX];
    int i, k;
    snprintf(ns, sizeof(ns), "%s", name);
    for (i = 0; i < a->nns; i++)
        if (!strcmp(a->ns[i].name, ns))
            break;
    if (i == a->nns)
        return;
    memmove(&a->ns[i], &a->ns[i + 1],
            (size_t)(a->nns - i - 1) * sizeof(a->ns[0]));
    a->nns--;
    for (k = 0; k < KUBE_KIND__COUNT; k++) {
        rdd_names_t l = {NULL, 0, 0};
        kube_status_t st;
        size_t j;
        if (k == KUBE_APP)
            continue;
        (void)live->list(live, (kube_kind_t)k, ns, collect, &l, &st);
        for (j = 0; j < l.n; j++)
            (void)kube_delete(inst->api, (kube_kind_t)k, ns, l.names[j], &st);
        SIM_FREE(l.names);
    }
    step_trace(inst, "namespace_deleted", 0, ns);
}

/* retry-on-conflict (steps 6 and 13)
 * -------------------------------------------*/

static void retry_attempt(rdd_instance_t *inst);

static void retry_fire(sim_timer_t *t)
{
    retry_attempt(t->data);
}

static void retry_start(rdd_instance_t *inst, int kind)
{
    inst->app.retry_kind = kind;
    inst->app.retry_tries = 0;
    retry_attempt(inst);
}

/* :334-346 (set) and :355-366 (clear): re-Get the App, skip when another
 * writer got there first, else Status().Update. */
static int port_attempt(rdd_instance_t *inst, int set, kube_status_t *st)
{
    kube_obj_t latest;
    char buf[16];
    int cur, rc = rdd_get_app(inst, cached(inst), &latest);
    if (rc)
        return rc;
    cur = status_port(&latest);
    if (set ? cur != 0 : cur == 0)
        return 0;
    snprintf(buf, sizeof(buf), "%d", set ? inst->app.port : 0);
    rc = kube_status_set(&latest, "kubernetesPort", buf);
    if (rc)
        return rc;
    return kube_update_status(inst->api, &latest, st);
}

static void settled_trace(rdd_instance_t *inst, const kube_cond_t *s,
                          int64_t gen)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.app.settled");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "status", s->status);
    sim_trace_str(tr, "reason", s->reason);
    sim_trace_i64(tr, "gen", gen);
    sim_trace_end(tr);
}

/* :506-541, the body of RetryOnConflict: re-Get the App; copy every
 * LimaVM condition (type, status, reason, message, lastTransitionTime)
 * with observedGeneration = the App's generation (:512-523; the 32768-rune
 * TruncateConditionMessage never bites at KUBE_MSG_MAX); Settled from
 * the re-read App (:528-533); Status().Update only if something changed
 * (:534-537). */
static int mirror_attempt(rdd_instance_t *inst, kube_status_t *st)
{
    rdd_app_t *a = &inst->app;
    uint64_t now = sim_now(inst->loop);
    kube_obj_t latest;
    kube_cond_t c, settled;
    rdd_settled_in_t in;
    int i, r, changed = 0, settled_changed;
    int rc = rdd_get_app(inst, cached(inst), &latest);
    if (rc)
        return rc;
    for (i = 0; i < a->vm.nconds; i++) {
        c = a->vm.conds[i];
        c.observed_gen = latest.generation;
        r = kube_cond_set(&latest, &c, now);
        if (r < 0)
            return r;
        changed |= r;
    }
    memset(&in, 0, sizeof(in));
    in.running = kube_cond_find(&latest, RDD_COND_RUNNING);
    in.engine = kube_cond_find(&latest, RDD_COND_ENGINE);
    in.kubernetes = kube_cond_find(&latest, RDD_COND_KUBERNETES);
    in.desired_running = spec_true(&latest, "running");
    in.spec_kubernetes_enabled = spec_true(&latest, "kubernetes.enabled");
    in.generation = latest.generation;
    in.engine_enabled = a->engine_enabled;
    in.kubernetes_enabled = a->kubernetes_enabled;
    in.template_up_to_date = a->template_up_to_date;
    rdd_compute_settled(&in, &settled);
    settled_changed = kube_cond_set(&latest, &settled, now);
    if (settled_changed < 0)
        return settled_changed;
    changed |= settled_changed;
    if (!changed)
        return 0;
    rc = kube_update_status(inst->api, &latest, st);
    if (rc)
        return rc;
    a->status_writes++;
    if (settled_changed) {
        a->settled_writes++;
        settled_trace(inst, &settled, latest.generation);
    }
    return 0;
}

static void retry_attempt(rdd_instance_t *inst)
{
    rdd_app_t *a = &inst->app;
    kube_status_t st;
    int rc;
    memset(&st, 0, sizeof(st));
    rc = a->retry_kind == RETRY_MIRROR
             ? mirror_attempt(inst, &st)
             : port_attempt(inst, a->retry_kind == RETRY_PORT_SET, &st);
    if (rc == SIM_ECONFLICT && ++a->retry_tries < RDD_RETRY_STEPS) {
        uint64_t jitter =
            sim_rng_range(&a->retry_rng, 0, RDD_RETRY_SLEEP_NS / 10);
        (void)sim_timer_start(&a->retry, retry_fire,
                              RDD_RETRY_SLEEP_NS + jitter);
        return;
    }
    if (a->retry_kind != RETRY_MIRROR)
        step_trace(inst,
                   a->retry_kind == RETRY_PORT_SET ? "kubernetes_port_set"
                                                   : "kubernetes_port_cleared",
                   rc, rc ? st.message : NULL);
    else if (rc)
        step_trace(inst, "status", rc, st.message);
    finish(inst, rc, 0);
}

/* steps
 * ----------------------------------------------------------------------*/

/* :238-287, the App is being deleted.  Running is not updated on this
 * path (H16). */
static void reconcile_deletion(rdd_instance_t *inst, kube_obj_t *app)
{
    kube_reader_t *r = cached(inst);
    const char *ns = res_ns(app);
    kube_obj_t vm, cm;
    kube_status_t st;
    uint64_t owner;
    int rc;
    memset(&st, 0, sizeof(st));
    rc = r->get(r, KUBE_LIMAVM, ns, RDD_APP_LIMAVM_NAME, &vm, &st);
    if (rc == 0) {
        /* :247-249 base.RemoveOwnedFinalizer: Update of the cached copy. */
        if (kube_remove_finalizer(&vm, RDD_APP_FIN_OWNED_BY_APP)) {
            rc = kube_update(inst->api, &vm, &st);
            if (rc) {
                step_trace(inst, "delete_limavm", rc, st.message);
                finish(inst, rc, 0);
                return;
            }
        }
        /* :250-257: Delete unless it is already being deleted. */
        if (!vm.deleting) {
            rc = rdd_webhook_limavm_validate_delete(inst, ns, vm.name, &st);
            if (rc == 0)
                rc = kube_delete(inst->api, KUBE_LIMAVM, ns, vm.name, &st);
            if (rc && rc != SIM_ENOTFOUND) {
                step_trace(inst, "delete_limavm", rc, st.message);
                finish(inst, rc, 0);
                return;
            }
        }
        step_trace(inst, vm.deleting ? "wait_limavm_gone" : "delete_limavm", 0,
                   NULL);
        finish(inst, 0, RDD_APP_DELETION_REQUEUE_NS); /* :258 */
        return;
    }
    if (rc != SIM_ENOTFOUND) {
        finish(inst, rc, 0);
        return;
    }
    /* H16's fix, the App side (see the file comment). */
    if (RDD_HAS(inst->flags, ENGINE_QUIESCES_ON_APP_DELETE) &&
        inst->app.discovery != RDD_DISCOVERY_NIL &&
        (inst->app.discovery == RDD_DISCOVERY_ERROR ||
         inst->app.discovery_engine)) {
        const kube_cond_t *e = kube_cond_find(app, RDD_COND_ENGINE);
        if (!e || e->observed_gen < app->generation ||
            (strcmp(e->reason, RDD_SETTLED_ENGINE_STOPPED) &&
             strcmp(e->reason, RDD_SETTLED_ENGINE_NOT_APPLICABLE))) {
            step_trace(inst, "wait_engine_quiesced", 0, NULL);
            finish(inst, 0, RDD_APP_DELETION_REQUEUE_NS);
            return;
        }
    }
    /* :263-271 the input ConfigMap. */
    rc = r->get(r, KUBE_CONFIGMAP, ns, RDD_APP_INPUT_CM, &cm, &st);
    if (rc == 0) {
        rc = kube_delete(inst->api, KUBE_CONFIGMAP, ns, RDD_APP_INPUT_CM, &st);
        if (rc && rc != SIM_ENOTFOUND) {
            step_trace(inst, "delete_input_configmap", rc, st.message);
            finish(inst, rc, 0);
            return;
        }
    } else if (rc != SIM_ENOTFOUND) {
        finish(inst, rc, 0);
        return;
    }
    /* :273-283 the namespace, if the App controls it. */
    if (rdd_app_ns_get(inst, ns, &owner) && owner && owner == app->uid)
        ns_delete(inst, ns);
    /* :286 base.RemoveCleanupFinalizer on the App read at the start. */
    rc = 0;
    if (kube_remove_finalizer(app, RDD_APP_FIN_CLEANUP))
        rc = kube_update(inst->api, app, &st);
    step_trace(inst, "remove_app_finalizer", rc, rc ? st.message : NULL);
    finish(inst, rc, 0);
}

/* :371-421 step 7: render the template, create the input ConfigMap if the
 * cache does not show it, then the LimaVM (running = spec.running,
 * owned-by-App finalizer, templateRef rd) through the mutating webhook. */
static int create_limavm(rdd_instance_t *inst, const kube_obj_t *app,
                         const char *ns, char *msg, size_t len)
{
    kube_reader_t *r = cached(inst);
    rdd_template_in_t tin;
    char tmpl[KUBE_VAL_MAX], err[200];
    kube_obj_t cm, vm;
    kube_status_t st;
    int rc;
    rdd_template_in_from_app(inst, app, &tin);
    rc = rdd_template_render(&tin, tmpl, sizeof(tmpl), err, sizeof(err));
    if (rc) {
        snprintf(msg, len, "failed to apply spec to template: %s", err);
        return rc;
    }
    memset(&st, 0, sizeof(st));
    rc = r->get(r, KUBE_CONFIGMAP, ns, RDD_APP_INPUT_CM, &cm, &st);
    if (rc && rc != SIM_ENOTFOUND) {
        snprintf(msg, len, "%s", st.message);
        return rc;
    }
    if (rc == SIM_ENOTFOUND) {
        kube_obj_init(&cm, KUBE_CONFIGMAP, ns, RDD_APP_INPUT_CM);
        (void)kube_spec_set(&cm, RDD_APP_TEMPLATE_KEY, tmpl);
        rc = kube_create(inst->api, &cm, &st);
        if (rc) {
            snprintf(msg, len, "failed to create input ConfigMap: %s",
                     st.message);
            return rc;
        }
    }
    kube_obj_init(&vm, KUBE_LIMAVM, ns, RDD_APP_LIMAVM_NAME);
    (void)kube_add_finalizer(&vm, RDD_APP_FIN_OWNED_BY_APP);
    (void)kube_spec_set(&vm, "templateRef", RDD_APP_INPUT_CM);
    (void)kube_spec_set(&vm, "running",
                        spec_true(app, "running") ? "true" : "false");
    rc = rdd_webhook_limavm_default(inst, &vm, &st);
    if (rc == 0)
        rc = kube_create(inst->api, &vm, &st);
    if (rc)
        snprintf(msg, len, "failed to create LimaVM: %s", st.message);
    return rc;
}

/* :439-445 and :490-496: limaVM.Spec.Running = v; r.Update(limaVM) on the
 * cached copy (409 if stale). */
static int set_vm_running(rdd_instance_t *inst, int running, char *msg,
                          size_t len)
{
    kube_status_t st;
    int rc =
        kube_spec_set(&inst->app.vm, "running", running ? "true" : "false");
    if (rc == 0)
        rc = kube_update(inst->api, &inst->app.vm, &st);
    if (rc) {
        snprintf(msg, len, "failed to propagate running state to LimaVM: %s",
                 st.message);
        return rc;
    }
    if (inst->app.vm_hook)
        inst->app.vm_hook(inst, running);
    return 0;
}

/* :463-470 the merge patch of the template ConfigMap (no RV
 * precondition: read the stored object and update it at its RV; 404 when
 * it is gone). */
static int patch_template(rdd_instance_t *inst, const char *ns,
                          const char *name, const char *tmpl, kube_status_t *st)
{
    kube_obj_t cm;
    int rc = kube_get(inst->api, KUBE_CONFIGMAP, ns, name, &cm, st);
    if (rc == 0)
        rc = kube_spec_set(&cm, RDD_APP_TEMPLATE_KEY, tmpl);
    if (rc == 0)
        rc = kube_update(inst->api, &cm, st);
    return rc;
}

/* :90-116 engineEnabled / kubernetesEnabled. */
static void discover(rdd_instance_t *inst)
{
    rdd_app_t *a = &inst->app;
    switch (a->discovery) {
    case RDD_DISCOVERY_NIL:
        a->engine_enabled = a->kubernetes_enabled = 0;
        break;
    case RDD_DISCOVERY_ERROR:
        a->engine_enabled = a->kubernetes_enabled = 1;
        break;
    default:
        a->engine_enabled = a->discovery_engine != 0;
        a->kubernetes_enabled = a->discovery_kubernetes != 0;
        break;
    }
}

/* :219-544 Reconcile. */
static void reconcile(void *arg, kube_ctrl_t *ctrl, const char *key)
{
    rdd_instance_t *inst = arg;
    rdd_app_t *a = &inst->app;
    kube_reader_t *r = cached(inst);
    kube_obj_t app, cm;
    kube_status_t st;
    char msg[KUBE_MSG_MAX];
    const char *ns, *tcm;
    int rc, k8s, port, vm_running, desired;
    (void)ctrl;
    (void)key;
    memset(&st, 0, sizeof(st));
    msg[0] = 0;
    /* Step 1 (:222-228). */
    rc = rdd_get_app(inst, r, &app);
    if (rc) {
        finish(inst, rc == SIM_ENOTFOUND ? 0 : rc, 0);
        return;
    }
    /* Step 2 (:238-287). */
    if (app.deleting) {
        reconcile_deletion(inst, &app);
        return;
    }
    /* Step 3 (:290-294) base.EnsureCleanupFinalizer. */
    if (!kube_has_finalizer(&app, RDD_APP_FIN_CLEANUP)) {
        (void)kube_add_finalizer(&app, RDD_APP_FIN_CLEANUP);
        rc = kube_update(inst->api, &app, &st);
        step_trace(inst, "cleanup_finalizer", rc, rc ? st.message : NULL);
        finish(inst, rc, 0);
        return;
    }
    /* Step 4 (:296-315). */
    ns = res_ns(&app);
    rc = ns_create(inst, ns, app.uid);
    if (rc) {
        step_trace(inst, "namespace_created", rc, "failed to create namespace");
        finish(inst, rc, 0);
        return;
    }
    /* Step 5 (:318-322). */
    rc = r->get(r, KUBE_LIMAVM, ns, RDD_APP_LIMAVM_NAME, &a->vm, &st);
    if (rc && rc != SIM_ENOTFOUND) {
        finish(inst, rc, 0);
        return;
    }
    /* Step 6 (:329-369). */
    k8s = spec_true(&app, "kubernetes.enabled");
    port = status_port(&app);
    if (k8s && port == 0) {
        int want = RDD_APP_K8S_PORT_BASE + inst->id.index;
        a->port = want; /* unprobed when no resolve_port is set */
        if (a->resolve_port) {
            int prc = a->resolve_port(inst, want, &a->port, msg, sizeof(msg));
            if (prc) {
                char m2[KUBE_MSG_MAX];
                snprintf(m2, sizeof(m2),
                         "failed to resolve Kubernetes port: %s", msg);
                step_trace(inst, "kubernetes_port_set", prc, m2);
                finish(inst, prc, 0);
                return;
            }
        }
        retry_start(inst, RETRY_PORT_SET);
        return;
    }
    if (!k8s && port != 0) {
        retry_start(inst, RETRY_PORT_CLEAR);
        return;
    }
    /* Step 7 (:371-421). */
    if (rc == SIM_ENOTFOUND) {
        rc = create_limavm(inst, &app, ns, msg, sizeof(msg));
        step_trace(inst, "create_limavm", rc, msg);
        finish(inst, rc, 0);
        return;
    }
    /* Step 8 (:425-437). */
    rc = r->get(r, KUBE_CONFIGMAP, ns, RDD_APP_INPUT_CM, &cm, &st);
    if (rc == 0) {
        rc = kube_delete(inst->api, KUBE_CONFIGMAP, ns, RDD_APP_INPUT_CM, &st);
        if (rc == SIM_ENOTFOUND)
            rc = 0;
        step_trace(inst, "delete_input_configmap", rc, rc ? st.message : NULL);
        finish(inst, rc, rc ? 0 : RDD_APP_REQUEUE_NS);
        return;
    }
    if (rc != SIM_ENOTFOUND) {
        finish(inst, rc, 0);
        return;
    }
    /* Step 9 (:439-445). */
    vm_running = spec_true(&a->vm, "running");
    desired = spec_true(&app, "running");
    if (vm_running && !desired) {
        rc = set_vm_running(inst, 0, msg, sizeof(msg));
        step_trace(inst, "limavm_running_false", rc, msg);
        finish(inst, rc, 0);
        return;
    }
    /* Step 10 (:451-488). */
    a->template_up_to_date = 1;
    tcm = kube_status_get(&a->vm, "templateConfigMap");
    if (tcm && tcm[0]) {
        rc = r->get(r, KUBE_CONFIGMAP, ns, tcm, &cm, &st);
        if (rc && rc != SIM_ENOTFOUND) {
            finish(inst, rc, 0);
            return;
        }
        if (rc == 0) {
            rdd_template_in_t tin;
            char want[KUBE_VAL_MAX], err[200], rv[24];
            const char *cur = kube_spec_get(&cm, RDD_APP_TEMPLATE_KEY);
            const char *obs =
                kube_status_get(&a->vm, "observedTemplateResourceVersion");
            rdd_template_in_from_app(inst, &app, &tin);
            rc =
                rdd_template_render(&tin, want, sizeof(want), err, sizeof(err));
            if (rc) {
                snprintf(msg, sizeof(msg),
                         "failed to apply spec to template: %s", err);
                step_trace(inst, "template", rc, msg);
                finish(inst, rc, 0);
                return;
            }
            if (!cur || strcmp(cur, want)) {
                rc = patch_template(inst, ns, tcm, want, &st);
                if (rc)
                    snprintf(msg, sizeof(msg),
                             "failed to update template ConfigMap: %s",
                             st.message);
                else
                    a->template_patches++;
                step_trace(inst, "template_patched", rc, rc ? msg : want);
                finish(inst, rc, rc ? 0 : RDD_APP_REQUEUE_NS);
                return;
            }
            snprintf(rv, sizeof(rv), "%llu", (unsigned long long)cm.rv);
            a->template_up_to_date = obs && !strcmp(obs, rv);
        }
    }
    /* Step 11 (:490-496). */
    if (!vm_running && desired) {
        rc = set_vm_running(inst, 1, msg, sizeof(msg));
        step_trace(inst, "limavm_running_true", rc, msg);
        finish(inst, rc, 0);
        return;
    }
    /* Step 12 (:504-505). */
    discover(inst);
    /* Step 13 (:506-541). */
    retry_start(inst, RETRY_MIRROR);
}

/* :696-701 SetupWithManager: For(App) and Owns(LimaVM); the predicate
 * only logs. */
void rdd__app_on_change(rdd_instance_t *inst, kube_event_type_t type,
                        const kube_obj_t *o)
{
    (void)type;
    if (o->kind == KUBE_APP || o->kind == KUBE_LIMAVM)
        rdd_app_enqueue(inst);
}

void rdd_app_enqueue(rdd_instance_t *inst)
{
    if (inst->app.ctrl)
        kube_ctrl_enqueue(inst->app.ctrl, RDD_APP_NAME);
}

int rdd_app_init(rdd_instance_t *inst)
{
    rdd_app_t *a = &inst->app;
    char name[128];
    int rc;
    memset(a, 0, sizeof(*a));
    a->discovery = RDD_DISCOVERY_LIST;
    a->discovery_engine = 1;
    a->template_up_to_date = 1;
    sim_timer_init(inst->loop, &a->retry);
    a->retry.data = inst;
    snprintf(name, sizeof(name), "rdd.%s.app.retry", inst->id.name);
    sim_rng_fork(&a->retry_rng, inst->loop->seed, name);
    snprintf(name, sizeof(name), "%s/app", inst->id.name);
    rc = rdd_informer_acquire(inst, &a->cache);
    if (rc)
        return rc;
    rc = kube_ctrl_new(inst->loop, name, reconcile, inst, &a->ctrl);
    if (rc)
        rdd_informer_release(inst, &a->cache);
    return rc;
}

void rdd_app_free(rdd_instance_t *inst)
{
    rdd_app_t *a = &inst->app;
    sim_timer_stop(&a->retry);
    if (a->ctrl)
        kube_ctrl_free(a->ctrl);
    a->ctrl = NULL;
    rdd_informer_release(inst, &a->cache);
}
