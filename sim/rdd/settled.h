/*
 * settled.h: the App's Settled condition as RDD's App controller derives it
 * (computeSettledCondition, app_controller.go:575-682 at 00f5645; the rules
 * are docs/rdd/app-controller.md).  A pure function of the feeding conditions
 * already on the App (Running mirrored from the LimaVM,
 * ContainerEngineReady, KubernetesReady), spec.running,
 * spec.kubernetes.enabled, the App generation and the three per-reconcile
 * flags.  It leaves out where those come from: the LimaVM mirroring (and
 * its TruncateConditionMessage at 32768 runes, app_controller.go:514), the
 * controller discovery (:90-116) and the template comparison are the
 * caller's.  computeSettledCondition itself truncates nothing.
 */
#ifndef RDD_SETTLED_H
#define RDD_SETTLED_H

#include <stdint.h>

#include "kube/kube.h"

/* Condition type (app_types.go:61). */
#define RDD_SETTLED_TYPE "Settled"

/* Settled reasons (app_types.go:70-90). */
#define RDD_SETTLED_REASON_SETTLED "Settled"                     /* :70 */
#define RDD_SETTLED_REASON_WAITING_FOR_LIMAVM "WaitingForLimaVM" /* :73 */
#define RDD_SETTLED_REASON_WAITING_FOR_ENGINE "WaitingForEngine" /* :76 */
#define RDD_SETTLED_REASON_ENGINE_STALE "EngineStale"            /* :79 */
#define RDD_SETTLED_REASON_WAITING_FOR_KUBERNETES                              \
    "WaitingForKubernetes"                                      /* :82 */
#define RDD_SETTLED_REASON_KUBERNETES_STALE "KubernetesStale"   /* :85 */
#define RDD_SETTLED_REASON_APPLYING_TEMPLATE "ApplyingTemplate" /* :90 */

/* Settled messages (app_controller.go:62-71, settledMessage*). */
#define RDD_SETTLED_MSG_SETTLED "App has reached the desired state"
#define RDD_SETTLED_MSG_WAITING_FOR_LIMAVM                                     \
    "Waiting for LimaVM to report its state"
#define RDD_SETTLED_MSG_WAITING_FOR_ENGINE                                     \
    "Waiting for container engine condition"
#define RDD_SETTLED_MSG_ENGINE_STALE "Container engine needs to be synchronized"
#define RDD_SETTLED_MSG_WAITING_FOR_KUBERNETES                                 \
    "Waiting for Kubernetes condition"
#define RDD_SETTLED_MSG_KUBERNETES_STALE                                       \
    "Kubernetes context needs to be synchronized"
#define RDD_SETTLED_MSG_LIMAVM_NOT_REACHED "LimaVM has not yet reached "
#define RDD_SETTLED_MSG_APPLYING_TEMPLATE                                      \
    "Applying the configuration change to the VM"

/* Inputs compared against (app_controller.go:608, :636, :689;
 * app_types.go:124, :128). */
#define RDD_SETTLED_RUNNING_STOPPED "Stopped" /* literal at :608 */
#define RDD_SETTLED_ENGINE_STOPPED "Stopped"  /* EngineReasonStopped */
#define RDD_SETTLED_ENGINE_NOT_APPLICABLE "NotApplicable"
#define RDD_SETTLED_FAILED_SUFFIX "Failed" /* runningLimaVMMessage */

/* Rule numbers of docs/rdd/app-controller.md#settled, in evaluation order. */
typedef enum {
    RDD_SETTLED_RULE_TEMPLATE = 1, /* !templateUpToDate */
    RDD_SETTLED_RULE_NO_RUNNING,   /* Running condition absent */
    RDD_SETTLED_RULE_NOT_STARTED,  /* desired, Running status != True */
    RDD_SETTLED_RULE_NOT_STOPPED,  /* !desired, Running reason != Stopped */
    RDD_SETTLED_RULE_NO_GATES,     /* neither controller enabled */
    RDD_SETTLED_RULE_STOP_ENGINE,  /* !desired, engine enabled */
    RDD_SETTLED_RULE_STOPPED,      /* !desired, engine disabled */
    RDD_SETTLED_RULE_NO_ENGINE,    /* engine enabled, condition absent */
    RDD_SETTLED_RULE_ENGINE_STALE, /* engine observedGeneration < G */
    RDD_SETTLED_RULE_ENGINE_FALSE, /* engine status != True */
    RDD_SETTLED_RULE_NO_KUBE,      /* k8s gated, condition absent */
    RDD_SETTLED_RULE_KUBE_STALE,   /* k8s observedGeneration < G */
    RDD_SETTLED_RULE_KUBE_FALSE,   /* k8s status != True */
    RDD_SETTLED_RULE_SETTLED,      /* default: True / Settled */
} rdd_settled_rule_t;

typedef struct {
    const kube_cond_t *running;    /* App Running condition, or NULL */
    const kube_cond_t *engine;     /* ContainerEngineReady, or NULL */
    const kube_cond_t *kubernetes; /* KubernetesReady, or NULL */
    int desired_running;           /* spec.running */
    int spec_kubernetes_enabled;   /* spec.kubernetes.enabled */
    int64_t generation;            /* G */
    int engine_enabled;            /* discovery has the engine controller */
    int kubernetes_enabled;        /* discovery has the kubernetes controller */
    int template_up_to_date;       /* LimaVM runs the current template */
} rdd_settled_in_t;

/* app_controller.go:575-682: the Settled condition (type "Settled",
 * observedGeneration = G) by the first matching rule of docs/rdd/app-controller.md.
 * Fills type, status, reason, message and observed_gen of out (the caller
 * owns both); last_transition_ns is set to 0, as computeSettledCondition
 * leaves LastTransitionTime zero for SetStatusCondition to stamp (see
 * kube_cond_set).  Reasons and messages copied from a feeding condition are
 * taken verbatim (they fit: same kube_cond_t sizes). */
void rdd_compute_settled(const rdd_settled_in_t *in, kube_cond_t *out);
/* Which rule (1..14) decided, for traces and tests. */
int rdd_settled_rule(const rdd_settled_in_t *in);

#endif
