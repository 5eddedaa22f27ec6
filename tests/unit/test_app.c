/*
 * test_app.c: the App controller (sim/rdd/app.c, template.c, webhook.c;
 * docs/rdd/app-controller.md) step by step through the controller: creation
 * of the LimaVM and both ConfigMaps, the input ConfigMap deletion,
 * running propagation both ways, template propagation and
 * templateUpToDate, mirroring with observedGeneration, the Kubernetes
 * port, discovery, the deletion path (2 s requeue, Running untouched), the
 * webhooks, and the 22 vectors of docs/rdd/app-controller.md (and more) driven
 * through Reconcile.  No LimaVM controller runs: each test plays it by
 * writing the LimaVM's conditions and status in the store.  The engine
 * controller is stopped so the tests own ContainerEngineReady.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rdd/rdd.h"
#include "rdd/standin.h"
#include "rdd/settled.h"
#include "sim/errno.h"
#include "sim/trace.h"

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    char *text;
    size_t text_len;
    FILE *text_f;
    npipe_ns_t *pipes;
    uds_ns_t *socks;
    dock_daemon_t *vm;
    rdd_instance_t inst;
    int hook_calls[2]; /* vm_hook(running=0), vm_hook(running=1) */
} fx_t;

static void count_hook(rdd_instance_t *inst, int running)
{
    fx_t *fx = (fx_t *)((char *)inst - offsetof(fx_t, inst));
    fx->hook_calls[running ? 1 : 0]++;
}

static fx_t *fx_new(rdd_os_t os, rdd_flags_t flags)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    assert_int_equal(sim_loop_init(&fx->loop, 1), 0);
    fx->text_f = open_memstream(&fx->text, &fx->text_len);
    sim_trace_init(&fx->tr, fx->text_f, NULL);
    fx->loop.trace = &fx->tr;
    assert_int_equal(npipe_ns_new(&fx->loop, &fx->pipes), 0);
    assert_int_equal(uds_ns_new(&fx->loop, &fx->socks), 0);
    assert_int_equal(dock_daemon_new(&fx->loop, "vm-9", "VM9", &fx->vm), 0);
    dock_daemon_stop(fx->vm);
    assert_int_equal(rdd_standin_init(&fx->inst, &fx->loop, os, 1, "9",
                                      flags, fx->pipes, fx->socks, 2000,
                                      fx->vm), 0);
    /* The tests own ContainerEngineReady and play the LimaVM controller. */
    rdd_engine_free(&fx->inst);
    fx->inst.app.vm_hook = count_hook;
    return fx;
}

static void fx_free(fx_t *fx)
{
    rdd_instance_free(&fx->inst);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    dock_daemon_free(fx->vm);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    uds_ns_free(fx->socks);
    npipe_ns_free(fx->pipes);
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + SIM_S(10));
    fx->loop.trace = NULL;
    sim_loop_close(&fx->loop);
    fclose(fx->text_f);
    free(fx->text);
    free(fx);
}

static int setup(void **state)
{
    *state = fx_new(RDD_OS_LINUX, 0);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static void run_for(fx_t *fx, uint64_t dt)
{
    sim_loop_run(&fx->loop, sim_now(&fx->loop) + dt);
    fflush(fx->text_f);
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; hay && (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* store access ---------------------------------------------------------------*/

static kube_obj_t app_now(fx_t *fx)
{
    kube_obj_t app;
    assert_int_equal(rdd_get_app(&fx->inst, kube_store_reader(fx->inst.api),
                                 &app), 0);
    return app;
}

static int get_obj(fx_t *fx, kube_kind_t k, const char *ns, const char *name,
                   kube_obj_t *o)
{
    kube_status_t st;
    return kube_get(fx->inst.api, k, ns, name, o, &st);
}

static kube_obj_t vm_now(fx_t *fx, const char *ns)
{
    kube_obj_t o;
    assert_int_equal(get_obj(fx, KUBE_LIMAVM, ns, "rd", &o), 0);
    return o;
}

static void app_spec(fx_t *fx, const char *key, const char *val)
{
    kube_obj_t app = app_now(fx);
    kube_status_t st;
    assert_int_equal(kube_spec_set(&app, key, val), 0);
    assert_int_equal(kube_update(fx->inst.api, &app, &st), 0);
}

static kube_cond_t mk_cond(const char *type, const char *status,
                           const char *reason, const char *msg, int64_t gen)
{
    kube_cond_t c;
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "%s", type);
    snprintf(c.status, sizeof(c.status), "%s", status);
    snprintf(c.reason, sizeof(c.reason), "%s", reason);
    snprintf(c.message, sizeof(c.message), "%s", msg ? msg : "");
    c.observed_gen = gen;
    return c;
}

/* A condition on the App, as another controller writes it. */
static void app_cond(fx_t *fx, const char *type, const char *status,
                     const char *reason, const char *msg, int64_t gen)
{
    kube_obj_t app = app_now(fx);
    kube_cond_t c = mk_cond(type, status, reason, msg, gen);
    kube_status_t st;
    assert_true(kube_cond_set(&app, &c, sim_now(&fx->loop)) >= 0);
    assert_int_equal(kube_update_status(fx->inst.api, &app, &st), 0);
}

/* The LimaVM controller's writes. */
static void vm_cond(fx_t *fx, const char *type, const char *status,
                    const char *reason, const char *msg)
{
    kube_obj_t vm = vm_now(fx, "default");
    kube_cond_t c = mk_cond(type, status, reason, msg, vm.generation);
    kube_status_t st;
    assert_true(kube_cond_set(&vm, &c, sim_now(&fx->loop)) >= 0);
    assert_int_equal(kube_update_status(fx->inst.api, &vm, &st), 0);
}

static void vm_status(fx_t *fx, const char *key, const char *val)
{
    kube_obj_t vm = vm_now(fx, "default");
    kube_status_t st;
    assert_int_equal(kube_status_set(&vm, key, val), 0);
    assert_int_equal(kube_update_status(fx->inst.api, &vm, &st), 0);
}

static const kube_cond_t *settled_of(const kube_obj_t *app)
{
    return kube_cond_find(app, "Settled");
}

static void expect_settled(fx_t *fx, const char *status, const char *reason,
                           const char *msg)
{
    kube_obj_t app = app_now(fx);
    const kube_cond_t *s = settled_of(&app);
    assert_non_null(s);
    assert_string_equal(s->status, status);
    assert_string_equal(s->reason, reason);
    if (msg)
        assert_string_equal(s->message, msg);
    assert_int_equal(s->observed_gen, app.generation);
}

static void expected_template(fx_t *fx, char *buf, size_t len,
                              const char *engine, const char *k8s,
                              const char *kver, int kport)
{
    snprintf(buf, len, "engine=%s;socket=%s;k8s=%s;kver=%s;kport=%d;cpus=2",
             engine, fx->inst.id.docker_socket, k8s, kver, kport);
}

/* the paths -------------------------------------------------------------------*/

/* Steps 3, 4, 7, 8 and 13: finalizer, LimaVM + input ConfigMap (through
 * the webhook, which makes rd-template), input ConfigMap deleted, Settled
 * waits for the LimaVM. */
static void test_create_limavm_and_configmaps(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app, vm, cm;
    char want[200];
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_true(kube_has_finalizer(&app, RDD_APP_FIN_CLEANUP));
    vm = vm_now(fx, "default");
    assert_true(kube_has_finalizer(&vm, RDD_APP_FIN_OWNED_BY_APP));
    assert_true(kube_has_finalizer(&vm, RDD_APP_FIN_CLEANUP)); /* webhook */
    assert_string_equal(kube_spec_get(&vm, "running"), "true");
    assert_string_equal(kube_spec_get(&vm, "templateRef"), "rd");
    assert_int_equal(get_obj(fx, KUBE_CONFIGMAP, "default", "rd-template",
                             &cm), 0);
    assert_true(kube_has_finalizer(&cm, RDD_APP_FIN_OWNED_BY_LIMAVM));
    expected_template(fx, want, sizeof(want), "moby", "false", "", 0);
    assert_string_equal(kube_spec_get(&cm, "template"), want);
    /* The input ConfigMap was created, then deleted once the LimaVM was. */
    assert_int_equal(get_obj(fx, KUBE_CONFIGMAP, "default", "rd", &cm),
                     SIM_ENOTFOUND);
    assert_int_equal(count_substr(fx->text, "step=create_limavm rc=OK"), 1);
    assert_int_equal(count_substr(fx->text, "step=delete_input_configmap rc=OK"),
                     1);
    assert_true(strstr(fx->text, "step=create_limavm") <
                strstr(fx->text, "step=delete_input_configmap"));
    expect_settled(fx, "False", "WaitingForLimaVM",
                   "Waiting for LimaVM to report its state");
    /* Nothing changed spec.running: the VM hook was not called. */
    assert_int_equal(fx->hook_calls[0] + fx->hook_calls[1], 0);
}

/* Step 4: a namespace other than default is created, owned by the App,
 * and holds the LimaVM. */
static void test_custom_namespace(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app, vm;
    uint64_t owner = 0;
    app_spec(fx, "namespace", "rdd-x");
    assert_int_equal(rdd_app_ns_get(&fx->inst, "rdd-x", NULL), 0);
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_int_equal(rdd_app_ns_get(&fx->inst, "rdd-x", &owner), 1);
    assert_int_equal(owner, app.uid);
    vm = vm_now(fx, "rdd-x");
    assert_string_equal(vm.ns, "rdd-x");
    assert_int_equal(get_obj(fx, KUBE_LIMAVM, "default", "rd", &vm),
                     SIM_ENOTFOUND);
    /* default exists and belongs to nobody. */
    assert_int_equal(rdd_app_ns_get(&fx->inst, "default", &owner), 1);
    assert_int_equal(owner, 0);
}

/* Steps 9 and 11 both ways, each a single Update of the LimaVM. */
static void test_running_propagation(void **state)
{
    fx_t *fx = *state;
    kube_obj_t vm;
    run_for(fx, SIM_S(1));
    app_spec(fx, "running", "false");
    run_for(fx, SIM_S(1));
    vm = vm_now(fx, "default");
    assert_string_equal(kube_spec_get(&vm, "running"), "false");
    assert_int_equal(fx->hook_calls[0], 1);
    assert_int_equal(fx->hook_calls[1], 0);
    app_spec(fx, "running", "true");
    run_for(fx, SIM_S(1));
    vm = vm_now(fx, "default");
    assert_string_equal(kube_spec_get(&vm, "running"), "true");
    assert_int_equal(fx->hook_calls[0], 1);
    assert_int_equal(fx->hook_calls[1], 1);
    assert_int_equal(count_substr(fx->text, "step=limavm_running_false rc=OK"),
                     1);
    assert_int_equal(count_substr(fx->text, "step=limavm_running_true rc=OK"),
                     1);
}

/* Step 13: every LimaVM condition is mirrored with the App's generation
 * and the LimaVM's lastTransitionTime; a generation bump restamps them. */
static void test_mirroring(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app, vm;
    const kube_cond_t *c;
    uint64_t ltt;
    run_for(fx, SIM_S(1));
    vm_cond(fx, "Created", "True", "Created", "Instance created");
    vm_cond(fx, "Running", "False", "Starting", "Starting the VM");
    run_for(fx, SIM_S(1));
    vm = vm_now(fx, "default");
    app = app_now(fx);
    c = kube_cond_find(&app, "Created");
    assert_non_null(c);
    assert_string_equal(c->status, "True");
    assert_string_equal(c->reason, "Created");
    assert_string_equal(c->message, "Instance created");
    assert_int_equal(c->observed_gen, app.generation);
    c = kube_cond_find(&app, "Running");
    assert_non_null(c);
    assert_string_equal(c->reason, "Starting");
    assert_string_equal(c->message, "Starting the VM");
    assert_int_equal(c->last_transition_ns,
                     kube_cond_find(&vm, "Running")->last_transition_ns);
    ltt = c->last_transition_ns;
    expect_settled(fx, "False", "Starting",
                   "LimaVM has not yet reached Started");
    /* A spec change (generation 2): the mirror follows it. */
    app_spec(fx, "kubernetes.version", "v1.32.2");
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_int_equal(app.generation, 2);
    assert_int_equal(kube_cond_find(&app, "Running")->observed_gen, 2);
    assert_int_equal(kube_cond_find(&app, "Created")->observed_gen, 2);
    assert_int_equal(kube_cond_find(&app, "Running")->last_transition_ns, ltt);
    /* Running True on the LimaVM: True on the App. */
    vm_cond(fx, "Running", "True", "Started", "");
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_string_equal(kube_cond_find(&app, "Running")->status, "True");
    assert_int_equal(count_substr(fx->text, "rdd.app.settled"),
                     (int)fx->inst.app.settled_writes);
}

/* Step 10: a template change is patched into rd-template at once, and
 * Settled stays ApplyingTemplate until the LimaVM reports the ConfigMap's
 * resourceVersion as applied. */
static void test_template_change(void **state)
{
    fx_t *fx = *state;
    kube_obj_t cm;
    char rv[24], want[200];
    fx->inst.app.discovery = RDD_DISCOVERY_NIL; /* no engine gate */
    run_for(fx, SIM_S(1));
    assert_int_equal(get_obj(fx, KUBE_CONFIGMAP, "default", "rd-template",
                             &cm), 0);
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)cm.rv);
    vm_status(fx, "templateConfigMap", "rd-template");
    vm_status(fx, "observedTemplateResourceVersion", rv);
    vm_cond(fx, "Running", "True", "Started", "");
    run_for(fx, SIM_S(1));
    expect_settled(fx, "True", "Settled", "App has reached the desired state");
    assert_int_equal(fx->inst.app.template_patches, 0);
    /* The engine changes: the template changes. */
    app_spec(fx, "containerEngine.name", "containerd");
    run_for(fx, SIM_S(1));
    assert_int_equal(fx->inst.app.template_patches, 1);
    assert_int_equal(get_obj(fx, KUBE_CONFIGMAP, "default", "rd-template",
                             &cm), 0);
    expected_template(fx, want, sizeof(want), "containerd", "false", "", 0);
    assert_string_equal(kube_spec_get(&cm, "template"), want);
    expect_settled(fx, "False", "ApplyingTemplate",
                   "Applying the configuration change to the VM");
    run_for(fx, SIM_S(5)); /* no catching up by itself */
    expect_settled(fx, "False", "ApplyingTemplate", NULL);
    assert_int_equal(fx->inst.app.template_patches, 1);
    /* The LimaVM restarts into it. */
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)cm.rv);
    vm_status(fx, "observedTemplateResourceVersion", rv);
    run_for(fx, SIM_S(1));
    expect_settled(fx, "True", "Settled", NULL);
}

/* docs/rdd/identity.md: HOST_DOCKER_SOCKET is DockerSocket(), so the
 * per-instance
 * pipe fix changes the rendered template on Windows. */
static void test_pipe_fix_changes_template(void **state)
{
    fx_t *head = fx_new(RDD_OS_WINDOWS, 0);
    fx_t *fixed = fx_new(RDD_OS_WINDOWS,
                         RDD_FLAG_BIT(RDD_FLAG_PIPE_PER_INSTANCE));
    kube_obj_t a, b;
    (void)state;
    run_for(head, SIM_S(1));
    run_for(fixed, SIM_S(1));
    assert_int_equal(get_obj(head, KUBE_CONFIGMAP, "default", "rd-template",
                             &a), 0);
    assert_int_equal(get_obj(fixed, KUBE_CONFIGMAP, "default", "rd-template",
                             &b), 0);
    assert_non_null(strstr(kube_spec_get(&a, "template"),
                           "socket=\\\\.\\pipe\\docker_engine;"));
    assert_non_null(strstr(kube_spec_get(&b, "template"),
                           fixed->inst.id.docker_socket));
    assert_string_not_equal(kube_spec_get(&a, "template"),
                            kube_spec_get(&b, "template"));
    fx_free(head);
    fx_free(fixed);
}

/* Step 6: enabled -> ResolvePort(7441 + Index) persisted (and rendered);
 * disabled -> cleared; a resolver that moves the port is honoured. */
static int moved_port(rdd_instance_t *inst, int preferred, int *port,
                      char *msg, size_t len)
{
    (void)inst;
    (void)msg;
    (void)len;
    *port = preferred + 1000;
    return 0;
}

static void test_kubernetes_port(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app;
    run_for(fx, SIM_S(1));
    app_spec(fx, "kubernetes.enabled", "true");
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_string_equal(kube_status_get(&app, "kubernetesPort"), "7450");
    app_spec(fx, "kubernetes.enabled", "false");
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_string_equal(kube_status_get(&app, "kubernetesPort"), "0");
    fx->inst.app.resolve_port = moved_port;
    app_spec(fx, "kubernetes.enabled", "true");
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_string_equal(kube_status_get(&app, "kubernetesPort"), "8450");
}

/* Step 7 renders the port into the template the LimaVM is created with. */
static void test_kubernetes_port_in_first_template(void **state)
{
    fx_t *fx = *state;
    kube_obj_t cm;
    char want[200];
    app_spec(fx, "kubernetes.enabled", "true");
    app_spec(fx, "kubernetes.version", "v1.32.2");
    run_for(fx, SIM_S(1));
    assert_int_equal(get_obj(fx, KUBE_CONFIGMAP, "default", "rd-template",
                             &cm), 0);
    expected_template(fx, want, sizeof(want), "moby", "true", "v1.32.2", 7450);
    assert_string_equal(kube_spec_get(&cm, "template"), want);
}

/* RDD_VM_CPUS invalid: no LimaVM, the error retried with back-off. */
static void test_invalid_cpus(void **state)
{
    fx_t *fx = *state;
    kube_obj_t vm;
    fx->inst.app.vm_cpus = -1;
    run_for(fx, SIM_S(1));
    assert_int_equal(get_obj(fx, KUBE_LIMAVM, "default", "rd", &vm),
                     SIM_ENOTFOUND);
    assert_non_null(strstr(fx->text,
                           "failed to apply spec to template: invalid "
                           "RDD_VM_CPUS value"));
    assert_true(count_substr(fx->text, "step=create_limavm rc=EINVAL") >= 2);
    fx->inst.app.vm_cpus = 4;
    run_for(fx, SIM_S(2));
    vm = vm_now(fx, "default");
    assert_string_equal(vm.name, "rd");
}

/* The mutating webhook: a LimaVM named rd in another namespace denies the
 * creation (validation.go:38-41); a leftover rd-template does too. */
static void test_webhook_denials(void **state)
{
    fx_t *fx = *state;
    kube_obj_t other, cm;
    kube_status_t st;
    kube_obj_init(&other, KUBE_LIMAVM, "elsewhere", "rd");
    assert_int_equal(kube_create(fx->inst.api, &other, &st), 0);
    run_for(fx, SIM_S(1));
    assert_int_equal(get_obj(fx, KUBE_LIMAVM, "default", "rd", &other),
                     SIM_ENOTFOUND);
    assert_non_null(strstr(fx->text,
                           "failed to create LimaVM: admission webhook "
                           "\\\"limavm-defaulter.lima.rancherdesktop.io\\\" "
                           "denied the request: LimaVM name \\\"rd\\\" is "
                           "already used in namespace \\\"elsewhere\\\""));
    assert_int_equal(kube_delete(fx->inst.api, KUBE_LIMAVM, "elsewhere", "rd",
                                 &st), 0);
    /* A leftover rd-template (held by its finalizer). */
    kube_obj_init(&cm, KUBE_CONFIGMAP, "default", "rd-template");
    assert_int_equal(kube_spec_set(&cm, "template", "old"), 0);
    assert_int_equal(kube_create(fx->inst.api, &cm, &st), 0);
    run_for(fx, SIM_S(5));
    assert_int_equal(get_obj(fx, KUBE_LIMAVM, "default", "rd", &other),
                     SIM_ENOTFOUND);
    assert_non_null(strstr(fx->text, "already exists"));
}

/* The DELETE guard: a LimaVM with an owned finalizer cannot be deleted. */
static void test_webhook_delete_guard(void **state)
{
    fx_t *fx = *state;
    kube_status_t st;
    run_for(fx, SIM_S(1));
    assert_int_equal(rdd_webhook_limavm_validate_delete(&fx->inst, "default",
                                                        "rd", &st),
                     SIM_EACCES);
    assert_int_equal(st.http, 403);
    assert_non_null(strstr(st.message, "cannot delete \"rd\": owned by App; "
                                       "delete the App resource instead"));
}

/* Step 2: the LimaVM loses owned-by-App and is deleted; the App requeues
 * every 2 s while it is there and does not touch its Running condition;
 * once it is gone the App's finalizer goes and the App with it. */
static void test_deletion_path(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app, vm;
    kube_status_t st;
    uint64_t n0;
    run_for(fx, SIM_S(1));
    vm_cond(fx, "Running", "True", "Started", "");
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_string_equal(kube_cond_find(&app, "Running")->status, "True");
    assert_int_equal(kube_delete(fx->inst.api, KUBE_APP, "", "app", &st), 0);
    run_for(fx, SIM_MS(500));
    vm = vm_now(fx, "default");
    assert_true(vm.deleting);
    assert_false(kube_has_finalizer(&vm, RDD_APP_FIN_OWNED_BY_APP));
    assert_true(kube_has_finalizer(&vm, RDD_APP_FIN_CLEANUP));
    /* The LimaVM controller is stopping the VM: no mirror on this path. */
    vm_cond(fx, "Running", "False", "Stopping", "");
    n0 = kube_ctrl_reconciles(fx->inst.app.ctrl);
    run_for(fx, SIM_MS(1400)); /* < 2 s after the requeue was planned */
    assert_true(kube_ctrl_reconciles(fx->inst.app.ctrl) <= n0 + 1);
    run_for(fx, SIM_S(2));
    assert_true(kube_ctrl_reconciles(fx->inst.app.ctrl) >= n0 + 1);
    app = app_now(fx);
    assert_true(app.deleting);
    assert_string_equal(kube_cond_find(&app, "Running")->status, "True");
    assert_string_equal(kube_cond_find(&app, "Running")->reason, "Started");
    assert_true(count_substr(fx->text, "next=2s") >= 2);
    /* The LimaVM controller finishes: the App goes at the next requeue. */
    vm = vm_now(fx, "default");
    assert_int_equal(kube_remove_finalizer(&vm, RDD_APP_FIN_CLEANUP), 1);
    assert_int_equal(kube_update(fx->inst.api, &vm, &st), 0);
    assert_int_equal(get_obj(fx, KUBE_LIMAVM, "default", "rd", &vm),
                     SIM_ENOTFOUND);
    run_for(fx, SIM_S(3));
    assert_int_equal(rdd_get_app(&fx->inst, kube_store_reader(fx->inst.api),
                                 &app), SIM_ENOTFOUND);
    assert_int_equal(count_substr(fx->text, "step=remove_app_finalizer rc=OK"),
                     1);
}

/* Step 2 in an App-owned namespace: the namespace goes and takes what is
 * left in it (rd-template stays Terminating on its finalizer). */
static void test_deletion_deletes_owned_namespace(void **state)
{
    fx_t *fx = *state;
    kube_obj_t vm, cm;
    kube_status_t st;
    app_spec(fx, "namespace", "rdd-x");
    run_for(fx, SIM_S(1));
    assert_int_equal(kube_delete(fx->inst.api, KUBE_APP, "", "app", &st), 0);
    run_for(fx, SIM_S(1));
    vm = vm_now(fx, "rdd-x");
    assert_int_equal(kube_remove_finalizer(&vm, RDD_APP_FIN_CLEANUP), 1);
    assert_int_equal(kube_update(fx->inst.api, &vm, &st), 0);
    run_for(fx, SIM_S(3));
    assert_int_equal(rdd_app_ns_get(&fx->inst, "rdd-x", NULL), 0);
    assert_int_equal(get_obj(fx, KUBE_CONFIGMAP, "rdd-x", "rd-template", &cm),
                     0);
    assert_true(cm.deleting);
}

/* Flag engine_quiesces_on_app_delete: the App's finalizer waits for
 * ContainerEngineReady Stopped at the App's generation. */
static void test_h16_fix_waits_for_engine(void **state)
{
    fx_t *fx = fx_new(RDD_OS_LINUX,
                      RDD_FLAG_BIT(RDD_FLAG_ENGINE_QUIESCES_ON_APP_DELETE));
    kube_obj_t app, vm;
    kube_status_t st;
    (void)state;
    run_for(fx, SIM_S(1));
    app_cond(fx, "ContainerEngineReady", "True", "Connected", "", 1);
    assert_int_equal(kube_delete(fx->inst.api, KUBE_APP, "", "app", &st), 0);
    run_for(fx, SIM_S(1));
    vm = vm_now(fx, "default");
    assert_int_equal(kube_remove_finalizer(&vm, RDD_APP_FIN_CLEANUP), 1);
    assert_int_equal(kube_update(fx->inst.api, &vm, &st), 0);
    run_for(fx, SIM_S(6));
    app = app_now(fx);
    assert_true(app.deleting);
    assert_true(count_substr(fx->text, "step=wait_engine_quiesced") >= 2);
    app_cond(fx, "ContainerEngineReady", "False", "Stopped", "",
             app.generation);
    run_for(fx, SIM_S(3));
    assert_int_equal(rdd_get_app(&fx->inst, kube_store_reader(fx->inst.api),
                                 &app), SIM_ENOTFOUND);
    fx_free(fx);
}

/* The same sequence without the flag does not wait (H16). */
static void test_head_does_not_wait_for_engine(void **state)
{
    fx_t *fx = *state;
    kube_obj_t app, vm;
    kube_status_t st;
    run_for(fx, SIM_S(1));
    app_cond(fx, "ContainerEngineReady", "True", "Connected", "", 1);
    assert_int_equal(kube_delete(fx->inst.api, KUBE_APP, "", "app", &st), 0);
    run_for(fx, SIM_S(1));
    vm = vm_now(fx, "default");
    assert_int_equal(kube_remove_finalizer(&vm, RDD_APP_FIN_CLEANUP), 1);
    assert_int_equal(kube_update(fx->inst.api, &vm, &st), 0);
    run_for(fx, SIM_S(3));
    assert_int_equal(rdd_get_app(&fx->inst, kube_store_reader(fx->inst.api),
                                 &app), SIM_ENOTFOUND);
    assert_int_equal(count_substr(fx->text, "step=wait_engine_quiesced"), 0);
}

/* The stand-in's vm_hook (rdd_standin_init's; fx_new replaces it):
 * spec.running=false stops the VM, spec.running=true boots it again. */
static void test_standin_hook_stops_the_vm(void **state)
{
    fx_t *fx = *state;
    fx->inst.app.vm_hook = rdd_standin_app_hook;
    assert_int_equal(rdd_standin_vm_start(&fx->inst, 0, SIM_S(1)), 0);
    run_for(fx, SIM_S(2));
    assert_true(fx->inst.vm_running);
    app_spec(fx, "running", "false");
    run_for(fx, SIM_S(1));
    assert_false(fx->inst.vm_running);
    app_spec(fx, "running", "true");
    run_for(fx, SIM_S(3));
    assert_true(fx->inst.vm_running);
}

/* the docs/rdd/app-controller.md vectors through Reconcile ------------------*/

typedef struct {
    const char *reason, *status;
    int64_t gen;
    const char *msg;
} cv_t;

typedef struct {
    int num;
    int running;   /* spec.running */
    int k8s;       /* spec.kubernetes.enabled */
    cv_t r, e, k;  /* reason NULL: absent (R's generation is the App's) */
    int eng, kube; /* discovery */
    int stale;     /* template not up to date */
    const char *x_status, *x_reason, *x_msg;
} vec_t;

#define NONE {NULL, NULL, 0, NULL}
#define M_SETTLED "App has reached the desired state"
#define M_STALE "Container engine needs to be synchronized"

static const vec_t vectors[] = {
    {1, 1, 0, NONE, NONE, NONE, 1, 0, 0, "False", "WaitingForLimaVM",
     "Waiting for LimaVM to report its state"},
    {2, 1, 0, {"Starting", "False", 2, ""}, NONE, NONE, 1, 0, 0, "False",
     "Starting", "LimaVM has not yet reached Started"},
    {3, 1, 0, {"ExplosionFailed", "False", 2,
               "the virtual machine did not explode"}, NONE, NONE, 1, 0, 0,
     "False", "ExplosionFailed", "the virtual machine did not explode"},
    {4, 1, 0, {"ExplosionFailed", "False", 2, ""}, NONE, NONE, 1, 0, 0,
     "False", "ExplosionFailed", "LimaVM has not yet reached Started"},
    {5, 1, 0, {"Started", "True", 2, ""}, NONE, NONE, 0, 0, 0, "True",
     "Settled", M_SETTLED},
    {6, 1, 0, {"Started", "True", 2, ""}, {"Ready", "True", 2, ""}, NONE, 1,
     0, 0, "True", "Settled", M_SETTLED},
    {7, 1, 0, {"Started", "True", 2, ""}, NONE, NONE, 1, 0, 0, "False",
     "WaitingForEngine", "Waiting for container engine condition"},
    {8, 1, 0, {"Started", "True", 2, ""}, {"Ready", "True", 1, ""}, NONE, 1,
     0, 0, "False", "EngineStale", M_STALE},
    {9, 1, 0, {"Started", "True", 2, ""},
     {"DilithiumOffline", "False", 2, "warp core is offline"}, NONE, 1, 0, 0,
     "False", "DilithiumOffline", "warp core is offline"},
    {10, 0, 0, {"Stopped", "False", 2, ""}, {"Stopped", "False", 2, ""}, NONE,
     1, 0, 0, "True", "Settled", M_SETTLED},
    {11, 0, 0, {"Stopped", "False", 2, ""}, {"NotApplicable", "True", 2, ""},
     NONE, 1, 0, 0, "True", "Settled", M_SETTLED},
    {12, 0, 0, {"Stopped", "False", 2, ""}, {"Connected", "True", 2, ""},
     NONE, 1, 0, 0, "False", "EngineStale", M_STALE},
    {13, 0, 0, {"Stopped", "False", 2, ""}, NONE, NONE, 1, 0, 0, "False",
     "EngineStale", M_STALE},
    {14, 0, 0, {"Stopped", "False", 2, ""}, {"Connected", "True", 1, ""},
     NONE, 1, 0, 0, "False", "EngineStale", M_STALE},
    {15, 0, 0, {"Stopping", "False", 2, ""}, NONE, NONE, 1, 0, 0, "False",
     "Stopping", "LimaVM has not yet reached Stopped"},
    {16, 0, 0, {"ImplosionFailed", "False", 2,
                "the virtual machine did not implode"}, NONE, NONE, 1, 0, 0,
     "False", "ImplosionFailed", "the virtual machine did not implode"},
    {17, 1, 0, {"Started", "True", 2, ""}, {"Ready", "True", 2, ""}, NONE, 1,
     1, 0, "True", "Settled", M_SETTLED},
    {18, 1, 1, {"Started", "True", 2, ""}, {"Ready", "True", 2, ""}, NONE, 1,
     1, 0, "False", "WaitingForKubernetes", "Waiting for Kubernetes condition"},
    {19, 1, 1, {"Started", "True", 2, ""}, {"Ready", "True", 2, ""},
     {"Ready", "True", 1, ""}, 1, 1, 0, "False", "KubernetesStale",
     "Kubernetes context needs to be synchronized"},
    {20, 1, 1, {"Started", "True", 2, ""}, {"Ready", "True", 2, ""},
     {"Probing", "False", 2, "waiting"}, 1, 1, 0, "False", "Probing",
     "waiting"},
    {21, 1, 1, {"Started", "True", 2, ""}, {"Ready", "True", 2, ""},
     {"Ready", "True", 2, ""}, 1, 1, 0, "True", "Settled", M_SETTLED},
    {22, 1, 0, {"Started", "True", 2, ""}, {"Connected", "True", 2, ""},
     NONE, 1, 0, 1, "False", "ApplyingTemplate",
     "Applying the configuration change to the VM"},
    /* derived (docs/rdd/app-controller.md#settled) */
    {101, 1, 0, NONE, NONE, NONE, 1, 0, 1, "False", "ApplyingTemplate",
     "Applying the configuration change to the VM"},
    {102, 0, 0, {"Started", "True", 2, ""}, NONE, NONE, 1, 0, 0, "False",
     "Started", "LimaVM has not yet reached Stopped"},
    {103, 1, 0, {"Reconciling", "Unknown", 2, ""}, NONE, NONE, 1, 0, 0,
     "False", "Reconciling", "LimaVM has not yet reached Started"},
    {104, 1, 0, {"Started", "True", 2, ""},
     {"ConnectFailed", "False", 2, "failed to ping Docker: EOF"}, NONE, 1, 0,
     0, "False", "ConnectFailed", "failed to ping Docker: EOF"},
};

static void drive_vector(const vec_t *v)
{
    fx_t *fx = fx_new(RDD_OS_LINUX, 0);
    kube_obj_t app;
    const kube_cond_t *s;
    kube_obj_t app0;
    kube_status_t st;
    print_message("vector %d\n", v->num);
    fx->inst.app.discovery_engine = v->eng;
    fx->inst.app.discovery_kubernetes = v->kube;
    run_for(fx, SIM_S(1));
    /* One spec change: generation 2. */
    app0 = app_now(fx);
    assert_int_equal(app0.generation, 1);
    assert_int_equal(kube_spec_set(&app0, "running",
                                   v->running ? "true" : "false"), 0);
    assert_int_equal(kube_spec_set(&app0, "kubernetes.enabled",
                                   v->k8s ? "true" : "false"), 0);
    if (v->k8s)
        assert_int_equal(kube_spec_set(&app0, "kubernetes.version",
                                       "v1.32.2"), 0);
    assert_int_equal(kube_update(fx->inst.api, &app0, &st), 0);
    assert_int_equal(app0.generation, 2);
    if (v->stale) {
        vm_status(fx, "templateConfigMap", "rd-template");
        vm_status(fx, "observedTemplateResourceVersion", "1");
    }
    if (v->r.reason)
        vm_cond(fx, "Running", v->r.status, v->r.reason, v->r.msg);
    if (v->e.reason)
        app_cond(fx, "ContainerEngineReady", v->e.status, v->e.reason,
                 v->e.msg, v->e.gen);
    if (v->k.reason)
        app_cond(fx, "KubernetesReady", v->k.status, v->k.reason, v->k.msg,
                 v->k.gen);
    run_for(fx, SIM_S(1));
    app = app_now(fx);
    assert_int_equal(app.generation, 2);
    if (v->r.reason) {
        const kube_cond_t *r = kube_cond_find(&app, "Running");
        assert_non_null(r);
        assert_int_equal(r->observed_gen, v->r.gen);
        assert_string_equal(r->reason, v->r.reason);
    } else {
        assert_null(kube_cond_find(&app, "Running"));
    }
    s = settled_of(&app);
    assert_non_null(s);
    assert_string_equal(s->type, "Settled");
    assert_string_equal(s->status, v->x_status);
    assert_string_equal(s->reason, v->x_reason);
    assert_string_equal(s->message, v->x_msg);
    assert_int_equal(s->observed_gen, 2);
    /* The trace names the last Settled written. */
    {
        char want[160];
        snprintf(want, sizeof(want), "status=%s reason=%s gen=2",
                 v->x_status, v->x_reason);
        assert_non_null(strstr(fx->text, want));
    }
    fx_free(fx);
}

static void test_settled_vectors(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
        drive_vector(&vectors[i]);
}

/* Discovery (:90-116): nil -> neither gate; error -> both. */
static void test_discovery_modes(void **state)
{
    fx_t *fx = *state;
    fx->inst.app.discovery = RDD_DISCOVERY_NIL;
    run_for(fx, SIM_S(1));
    vm_cond(fx, "Running", "True", "Started", "");
    run_for(fx, SIM_S(1));
    expect_settled(fx, "True", "Settled", M_SETTLED);
    fx->inst.app.discovery = RDD_DISCOVERY_ERROR;
    vm_cond(fx, "Running", "True", "Started", "again"); /* an event */
    run_for(fx, SIM_S(1));
    expect_settled(fx, "False", "WaitingForEngine", NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_create_limavm_and_configmaps),
        T(test_custom_namespace),
        T(test_running_propagation),
        T(test_mirroring),
        T(test_template_change),
        cmocka_unit_test(test_pipe_fix_changes_template),
        T(test_kubernetes_port),
        T(test_kubernetes_port_in_first_template),
        T(test_invalid_cpus),
        T(test_webhook_denials),
        T(test_webhook_delete_guard),
        T(test_deletion_path),
        T(test_deletion_deletes_owned_namespace),
        cmocka_unit_test(test_h16_fix_waits_for_engine),
        T(test_head_does_not_wait_for_engine),
        T(test_standin_hook_stops_the_vm),
        cmocka_unit_test(test_settled_vectors),
        T(test_discovery_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
