/*
 * settled.c: RDD's computeSettledCondition (app_controller.go:575-682) and
 * runningLimaVMMessage (:688-693) as a pure function.  The rule choice and
 * the condition it yields are kept apart, so a trace can name the rule
 * (docs/rdd/app-controller.md) that held Settled back.  Nothing here reads the
 * store, the clock or the flags: RDD has no variant of this logic.
 */
#include "settled.h"

#include <stdio.h>
#include <string.h>

#include "sim/assert.h"

static int is_true(const kube_cond_t *c)
{
    return strcmp(c->status, "True") == 0;
}

/* strings.HasSuffix(s, suffix). */
static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The kubernetes gate of :664-672: discovery has the controller and the
 * spec asks for Kubernetes. */
static int kube_gated(const rdd_settled_in_t *in)
{
    return in->kubernetes_enabled && in->spec_kubernetes_enabled;
}

/* Models app_controller.go:590-680: the first matching case, numbered as
 * docs/rdd/app-controller.md.  Rules 9/10 and 12/13 dereference the condition
 * that rules 8 and 11 proved present, exactly as the Go switch does. */
int rdd_settled_rule(const rdd_settled_in_t *in)
{
    const kube_cond_t *run, *eng, *kube;

    SIM_ASSERT(in != NULL);
    run = in->running;
    eng = in->engine;
    kube = in->kubernetes;
    if (!in->template_up_to_date)
        return RDD_SETTLED_RULE_TEMPLATE;
    if (run == NULL)
        return RDD_SETTLED_RULE_NO_RUNNING;
    if (in->desired_running && !is_true(run))
        return RDD_SETTLED_RULE_NOT_STARTED;
    if (!in->desired_running &&
        strcmp(run->reason, RDD_SETTLED_RUNNING_STOPPED) != 0)
        return RDD_SETTLED_RULE_NOT_STOPPED;
    if (!in->engine_enabled && !in->kubernetes_enabled)
        return RDD_SETTLED_RULE_NO_GATES;
    if (!in->desired_running && in->engine_enabled)
        return RDD_SETTLED_RULE_STOP_ENGINE;
    if (!in->desired_running)
        return RDD_SETTLED_RULE_STOPPED;
    if (in->engine_enabled && eng == NULL)
        return RDD_SETTLED_RULE_NO_ENGINE;
    if (in->engine_enabled && eng->observed_gen < in->generation)
        return RDD_SETTLED_RULE_ENGINE_STALE;
    if (in->engine_enabled && !is_true(eng))
        return RDD_SETTLED_RULE_ENGINE_FALSE;
    if (kube_gated(in) && kube == NULL)
        return RDD_SETTLED_RULE_NO_KUBE;
    if (kube_gated(in) && kube->observed_gen < in->generation)
        return RDD_SETTLED_RULE_KUBE_STALE;
    if (kube_gated(in) && !is_true(kube))
        return RDD_SETTLED_RULE_KUBE_FALSE;
    return RDD_SETTLED_RULE_SETTLED;
}

static void set(kube_cond_t *out, const char *status, const char *reason,
                const char *message)
{
    snprintf(out->status, sizeof(out->status), "%s", status);
    snprintf(out->reason, sizeof(out->reason), "%s", reason);
    snprintf(out->message, sizeof(out->message), "%s", message);
}

/* runningLimaVMMessage (:688-693): a *Failed reason forwards LimaVM's
 * message when it has one; anything else says which state is awaited. */
static void running_message(kube_cond_t *out, const kube_cond_t *run,
                            const char *desired)
{
    char msg[sizeof(out->message)];

    if (has_suffix(run->reason, RDD_SETTLED_FAILED_SUFFIX) &&
        run->message[0] != '\0') {
        set(out, "False", run->reason, run->message);
        return;
    }
    snprintf(msg, sizeof(msg), "%s%s", RDD_SETTLED_MSG_LIMAVM_NOT_REACHED,
             desired);
    set(out, "False", run->reason, msg);
}

/* Rule 6 (:616-645): a stopped App waits for the engine reconciler to
 * stamp a terminal reason at this generation, not merely any condition. */
static int engine_stopped(const rdd_settled_in_t *in)
{
    const kube_cond_t *eng = in->engine;
    return eng != NULL && eng->observed_gen >= in->generation &&
           (strcmp(eng->reason, RDD_SETTLED_ENGINE_STOPPED) == 0 ||
            strcmp(eng->reason, RDD_SETTLED_ENGINE_NOT_APPLICABLE) == 0);
}

/* Models app_controller.go:575-682 (see settled.h). */
void rdd_compute_settled(const rdd_settled_in_t *in, kube_cond_t *out)
{
    int rule = rdd_settled_rule(in);

    SIM_ASSERT(out != NULL);
    memset(out, 0, sizeof(*out));
    snprintf(out->type, sizeof(out->type), "%s", RDD_SETTLED_TYPE);
    out->observed_gen = in->generation;
    switch (rule) {
    case RDD_SETTLED_RULE_TEMPLATE:
        set(out, "False", RDD_SETTLED_REASON_APPLYING_TEMPLATE,
            RDD_SETTLED_MSG_APPLYING_TEMPLATE);
        break;
    case RDD_SETTLED_RULE_NO_RUNNING:
        set(out, "False", RDD_SETTLED_REASON_WAITING_FOR_LIMAVM,
            RDD_SETTLED_MSG_WAITING_FOR_LIMAVM);
        break;
    case RDD_SETTLED_RULE_NOT_STARTED:
        running_message(out, in->running, "Started");
        break;
    case RDD_SETTLED_RULE_NOT_STOPPED:
        running_message(out, in->running, "Stopped");
        break;
    case RDD_SETTLED_RULE_STOP_ENGINE:
        if (!engine_stopped(in)) {
            set(out, "False", RDD_SETTLED_REASON_ENGINE_STALE,
                RDD_SETTLED_MSG_ENGINE_STALE);
            break;
        }
        set(out, "True", RDD_SETTLED_REASON_SETTLED, RDD_SETTLED_MSG_SETTLED);
        break;
    case RDD_SETTLED_RULE_NO_ENGINE:
        set(out, "False", RDD_SETTLED_REASON_WAITING_FOR_ENGINE,
            RDD_SETTLED_MSG_WAITING_FOR_ENGINE);
        break;
    case RDD_SETTLED_RULE_ENGINE_STALE:
        set(out, "False", RDD_SETTLED_REASON_ENGINE_STALE,
            RDD_SETTLED_MSG_ENGINE_STALE);
        break;
    case RDD_SETTLED_RULE_ENGINE_FALSE:
        set(out, "False", in->engine->reason, in->engine->message);
        break;
    case RDD_SETTLED_RULE_NO_KUBE:
        set(out, "False", RDD_SETTLED_REASON_WAITING_FOR_KUBERNETES,
            RDD_SETTLED_MSG_WAITING_FOR_KUBERNETES);
        break;
    case RDD_SETTLED_RULE_KUBE_STALE:
        set(out, "False", RDD_SETTLED_REASON_KUBERNETES_STALE,
            RDD_SETTLED_MSG_KUBERNETES_STALE);
        break;
    case RDD_SETTLED_RULE_KUBE_FALSE:
        set(out, "False", in->kubernetes->reason, in->kubernetes->message);
        break;
    default: /* NO_GATES, STOPPED, SETTLED */
        SIM_ASSERT(rule == RDD_SETTLED_RULE_NO_GATES ||
                   rule == RDD_SETTLED_RULE_STOPPED ||
                   rule == RDD_SETTLED_RULE_SETTLED);
        set(out, "True", RDD_SETTLED_REASON_SETTLED, RDD_SETTLED_MSG_SETTLED);
        break;
    }
}
