/*
 * app.h: RDD's App controller
 * (rdd/pkg/controllers/app/app/controllers/app_controller.go at 00f5645,
 * docs/rdd/app-controller.md), the Lima template it renders (template.c) and
 * the LimaVM mutating webhook that copies it into "rd-template"
 * (webhook.c; rdd/pkg/controllers/lima/limavm/controller.go:199-279).
 *
 * The App <-> LimaVM object contract (shared with limavm.h):
 *   LimaVM "rd" in App.spec.namespace ("default" when empty):
 *     spec     running ("true"/"false"), templateRef ("rd")
 *     fins     owned-by-App (App controller, at create),
 *              cleanup (the mutating webhook, at create)
 *     status   templateConfigMap, observedTemplateResourceVersion,
 *              restartNeeded, restartCount, hostAgentPID, driverPID
 *     conds    Created, Running (mirrored onto the App, step 13)
 *   ConfigMap "rd" (input, App controller) and "rd-template" (webhook,
 *   finalizer owned-by-LimaVM): spec field "template" = the fingerprint
 *   of template.c.
 *   App: spec running, namespace, containerEngine.name,
 *   kubernetes.enabled, kubernetes.version; status kubernetesPort.
 */
#ifndef RDD_APP_H
#define RDD_APP_H

#include <stddef.h>
#include <stdint.h>

#include "kube/kube.h"
#include "sim/rng.h"

typedef struct rdd_instance rdd_instance_t;

/* Names (app_controller.go:51-58; limavm_types.go:12-15, :115-119;
 * base/finalizer.go:27, :32-37). */
#define RDD_APP_LIMAVM_NAME "rd"                     /* limaVMName */
#define RDD_APP_INPUT_CM "rd"                        /* inputConfigMapName */
#define RDD_APP_TEMPLATE_SUFFIX "-template"          /* GetTemplateConfigMapName */
#define RDD_APP_TEMPLATE_KEY "template"              /* TemplateConfigMapKey */
#define RDD_APP_DEFAULT_NS "default"                 /* GetResourceNamespace */
#define RDD_APP_FIN_CLEANUP "rdd.rancherdesktop.io/cleanup"
#define RDD_APP_FIN_OWNED_BY_APP "rdd.rancherdesktop.io/owned-by-App"
#define RDD_APP_FIN_OWNED_BY_LIMAVM "rdd.rancherdesktop.io/owned-by-LimaVM"
#define RDD_APP_DELETION_REQUEUE_NS (2 * SIM_NS_PER_S) /* :57 */
/* Requeue: true is AddRateLimited; its first step is the queue's 5 ms. */
#define RDD_APP_REQUEUE_NS (5 * SIM_NS_PER_MS)
#define RDD_APP_K8S_PORT_BASE 7441                   /* :330 */
#define RDD_APP_TEMPLATE_CPUS 2                      /* lima-template.yaml:1 */
#define RDD_COND_KUBERNETES "KubernetesReady"        /* app_types.go:51 */

/* What controller discovery answers (app_controller.go:90-116). */
typedef enum {
    RDD_DISCOVERY_LIST,  /* the enabled list: engine / kubernetes bits */
    RDD_DISCOVERY_NIL,   /* r.Discovery == nil: both gates false */
    RDD_DISCOVERY_ERROR, /* GetEnabledControllers fails: both true */
} rdd_discovery_t;

/* controllers.ResolvePort(ctx, preferred): 0 and *port, or a SIM_E* code
 * with msg filled.  Another module (ports.c) provides the real one. */
typedef int (*rdd_resolve_port_fn)(rdd_instance_t *inst, int preferred,
                                   int *port, char *msg, size_t len);
/* Called after the App controller changed LimaVM.spec.running (steps 9 and
 * 11), in place of a LimaVM controller: the unit tests' VM stand-in
 * (standin.h's rdd_standin_app_hook) or a test's own. */
typedef void (*rdd_app_vm_hook_fn)(rdd_instance_t *inst, int running);

/* A namespace (there is no Namespace kind in the kube fake): "default"
 * always exists and has no owner; others are created by step 4 with the
 * App as controller. */
#define RDD_APP_NS_MAX 4
typedef struct {
    char name[KUBE_NS_MAX];
    uint64_t owner_uid;       /* controller reference: the App's uid */
} rdd_app_ns_t;

/* The rendered template's parameters (app_controller.go:142-171). */
typedef struct {
    const char *engine;       /* spec.containerEngine.name */
    const char *socket;       /* instance.DockerSocket() */
    int k8s_enabled;          /* spec.kubernetes.enabled */
    const char *k8s_version;  /* spec.kubernetes.version */
    int k8s_port;             /* status.kubernetesPort */
    int cpus;                 /* RDD_VM_CPUS override: 0 unset, < 0 bad */
} rdd_template_in_t;

typedef struct {
    /* settings: public, read at every reconcile */
    rdd_discovery_t discovery;     /* default RDD_DISCOVERY_LIST */
    int discovery_engine;          /* "engine" enabled (default 1) */
    int discovery_kubernetes;      /* "kubernetes" enabled (default 0) */
    int vm_cpus;                   /* RDD_VM_CPUS: 0 unset, < 0 invalid */
    rdd_resolve_port_fn resolve_port; /* NULL: 7441 + Index, no probing */
    rdd_app_vm_hook_fn vm_hook;    /* default NULL: the LimaVM
                                      controller drives the VM */
    /* namespaces (step 4 / step 2) */
    rdd_app_ns_t ns[RDD_APP_NS_MAX]; /* read-only */
    int nns;                       /* read-only */
    /* private */
    kube_ctrl_t *ctrl;        /* the App controller's queue */
    kube_cache_t *cache;      /* the manager's informer cache
                                 (informer.c), NULL when not holding it */
    sim_timer_t retry;        /* the 10 ms sleep of RetryOnConflict */
    sim_rng_t retry_rng;      /* its jitter, "rdd.<inst>.app.retry" */
    int retry_tries;
    int retry_kind;           /* port set, port clear, or mirror */
    kube_obj_t vm;            /* LimaVM read at step 5 (step 13 mirrors) */
    int engine_enabled;       /* step 12 */
    int kubernetes_enabled;
    int template_up_to_date;  /* step 10 */
    int port;                 /* step 6: resolved port */
    /* observations: read-only */
    uint64_t settled_writes;  /* status writes that changed Settled */
    uint64_t status_writes;   /* step 13 status writes */
    uint64_t template_patches;/* step 10 patches */
} rdd_app_t;

/* Controller start and stop (service start/stop).  init sets the defaults
 * above; settings may be changed before the loop runs. */
int rdd_app_init(rdd_instance_t *inst);
void rdd_app_free(rdd_instance_t *inst);
void rdd_app_enqueue(rdd_instance_t *inst);

/* Namespaces: 1 if present (owner_uid filled when non-NULL). */
int rdd_app_ns_get(rdd_instance_t *inst, const char *name,
                   uint64_t *owner_uid);

/* template.c --------------------------------------------------------------*/

/* app_controller.go:142-171 applySpecToTemplate (and :126-140
 * applyVMCPUsOverride) as a fingerprint
 *   engine=<name>;socket=<DockerSocket()>;k8s=<bool>;kver=<v>;kport=<n>;
 *   cpus=<n>
 * Returns 0, SIM_EINVAL (msg: RDD's RDD_VM_CPUS error) or SIM_ERANGE
 * (does not fit in len or in a kube field). */
int rdd_template_render(const rdd_template_in_t *in, char *out, size_t len,
                        char *msg, size_t msg_len);
/* The parameters for an App and an instance. */
void rdd_template_in_from_app(rdd_instance_t *inst, const kube_obj_t *app,
                              rdd_template_in_t *in);

/* webhook.c ---------------------------------------------------------------*/

/* The LimaVM mutating webhook on CREATE (controller.go:211-263): adds the
 * cleanup finalizer to vm, checks the name is unique (cached LIST), reads
 * spec.templateRef through the APIReader and creates ConfigMap
 * "<name>-template" (finalizer owned-by-LimaVM).  Called by whoever
 * creates a LimaVM, right before kube_create (admission runs before the
 * object is stored).  0, or the denial: a SIM_E* code with st filled as
 * the apiserver returns it ("admission webhook ... denied the request:"). */
int rdd_webhook_limavm_default(rdd_instance_t *inst, kube_obj_t *vm,
                               kube_status_t *st);
/* The LimaVM validating webhook on DELETE (base/webhook.go:56-64,
 * OwnedDeletionGuard): denies while the stored object has an owned-by-*
 * finalizer. */
int rdd_webhook_limavm_validate_delete(rdd_instance_t *inst, const char *ns,
                                       const char *name, kube_status_t *st);

#endif
