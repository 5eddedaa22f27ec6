/*
 * test_settled.c: the Settled condition against every vector of RDD's
 * Test_computeSettledCondition (app_controller_test.go:84-348, G = 2; each
 * test names the Go case it reproduces), the derived vectors of
 * docs/rdd/app-controller.md, each of its 14 Settled rules reached directly,
 * runningLimaVMMessage's *Failed rule, and observedGeneration = G always.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rdd/settled.h"

#define G 2

/* A condition as the Go test's cond() helper builds it. */
static kube_cond_t cond(const char *type, const char *reason,
                        const char *message, const char *status, int64_t gen)
{
    kube_cond_t c;
    memset(&c, 0, sizeof(c));
    snprintf(c.type, sizeof(c.type), "%s", type);
    snprintf(c.reason, sizeof(c.reason), "%s", reason);
    snprintf(c.message, sizeof(c.message), "%s", message);
    snprintf(c.status, sizeof(c.status), "%s", status);
    c.observed_gen = gen;
    return c;
}

static kube_cond_t run_c(const char *reason, const char *message,
                         const char *status, int64_t gen)
{
    return cond("Running", reason, message, status, gen);
}

static kube_cond_t eng_c(const char *reason, const char *message,
                         const char *status, int64_t gen)
{
    return cond("ContainerEngineReady", reason, message, status, gen);
}

static kube_cond_t kube_c(const char *reason, const char *message,
                          const char *status, int64_t gen)
{
    return cond("KubernetesReady", reason, message, status, gen);
}

/* makeApp(2, running) with the Go test's defaults: template up to date,
 * spec.kubernetes.enabled false, no conditions. */
static rdd_settled_in_t app(int running, int engine_enabled,
                            int kubernetes_enabled)
{
    rdd_settled_in_t in;
    memset(&in, 0, sizeof(in));
    in.desired_running = running;
    in.generation = G;
    in.engine_enabled = engine_enabled;
    in.kubernetes_enabled = kubernetes_enabled;
    in.template_up_to_date = 1;
    return in;
}

/* The Go loop's assertions (:356-360) plus the deciding rule. */
static void expect(const rdd_settled_in_t *in, int rule, const char *status,
                   const char *reason, const char *message)
{
    kube_cond_t out;
    memset(&out, 0x5a, sizeof(out));
    rdd_compute_settled(in, &out);
    assert_int_equal(rdd_settled_rule(in), rule);
    assert_string_equal(out.type, "Settled");
    assert_string_equal(out.status, status);
    assert_string_equal(out.reason, reason);
    assert_string_equal(out.message, message);
    assert_int_equal(out.observed_gen, in->generation);
    assert_int_equal(out.last_transition_ns, 0);
}

static void expect_settled(const rdd_settled_in_t *in, int rule)
{
    expect(in, rule, "True", "Settled", "App has reached the desired state");
}

/* Go vectors, app_controller_test.go:84-348 ---------------------------*/

/* :85 "no Running condition yet" */
static void test_go_no_running_condition_yet(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    (void)state;
    expect(&in, 2, "False", "WaitingForLimaVM",
           "Waiting for LimaVM to report its state");
}

/* :93 "in-progress Starting holds Settled false" */
static void test_go_in_progress_starting_holds_settled_false(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Starting", "", "False", 2);
    (void)state;
    in.running = &r;
    expect(&in, 3, "False", "Starting", "LimaVM has not yet reached Started");
}

/* :106 "StartFailed surfaces LimaVM message" */
static void test_go_start_failed_surfaces_limavm_message(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("ExplosionFailed",
                          "the virtual machine did not explode", "False", 2);
    (void)state;
    in.running = &r;
    expect(&in, 3, "False", "ExplosionFailed",
           "the virtual machine did not explode");
}

/* :114 "StartFailed with empty message falls back to generic text" */
static void
test_go_start_failed_with_empty_message_falls_back_to_generic_text(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("ExplosionFailed", "", "False", 2);
    (void)state;
    in.running = &r;
    expect(&in, 3, "False", "ExplosionFailed",
           "LimaVM has not yet reached Started");
}

/* :122 "engine disabled short-circuits when VM is Started" */
static void
test_go_engine_disabled_short_circuits_when_vm_is_started(void **state)
{
    rdd_settled_in_t in = app(1, 0, 0);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    (void)state;
    in.running = &r;
    expect_settled(&in, 5);
}

/* :132 "engine enabled and ready at current generation settles" */
static void
test_go_engine_enabled_and_ready_at_current_generation_settles(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e = eng_c("Ready", "engine is ready", "True", 2);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect_settled(&in, 14);
}

/* :143 "engine enabled but condition missing holds Settled false" */
static void
test_go_engine_enabled_but_condition_missing_holds_settled_false(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    (void)state;
    in.running = &r;
    expect(&in, 8, "False", "WaitingForEngine",
           "Waiting for container engine condition");
}

/* :153 "engine ready at older generation is stale" */
static void test_go_engine_ready_at_older_generation_is_stale(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e = eng_c("Ready", "engine is ready", "True", 1);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect(&in, 9, "False", "EngineStale",
           "Container engine needs to be synchronized");
}

/* :164 "engine not ready surfaces its reason and message" */
static void
test_go_engine_not_ready_surfaces_its_reason_and_message(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e =
        eng_c("DilithiumOffline", "warp core is offline", "False", 2);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect(&in, 10, "False", "DilithiumOffline", "warp core is offline");
}

/* :175 "desired stopped + Stopped settles when engine condition is
 * current" */
static void
test_go_desired_stopped_settles_when_engine_condition_is_current(void **state)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("Stopped", "VM is stopped", "False", 2);
    kube_cond_t e = eng_c("Stopped", "Container engine stopped", "False", 2);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect_settled(&in, 6);
}

/* :186 "desired stopped + NotApplicable settles (containerd backend)" */
static void
test_go_desired_stopped_not_applicable_settles_containerd_backend(void **state)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("Stopped", "VM is stopped", "False", 2);
    kube_cond_t e =
        eng_c("NotApplicable", "no mirroring for containerd", "True", 2);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect_settled(&in, 6);
}

/* :202 "desired stopped but engine still Connected at current generation
 * waits" */
static void
test_go_desired_stopped_but_engine_still_connected_waits(void **state)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("Stopped", "VM is stopped", "False", 2);
    kube_cond_t e = eng_c("Connected", "engine synced", "True", 2);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect(&in, 6, "False", "EngineStale",
           "Container engine needs to be synchronized");
}

/* :213 "desired stopped + Stopped waits when engine condition is absent" */
static void
test_go_desired_stopped_waits_when_engine_condition_is_absent(void **state)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("Stopped", "VM is stopped", "False", 2);
    (void)state;
    in.running = &r;
    expect(&in, 6, "False", "EngineStale",
           "Container engine needs to be synchronized");
}

/* :223 "desired stopped + Stopped waits when engine condition is stale" */
static void
test_go_desired_stopped_waits_when_engine_condition_is_stale(void **state)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("Stopped", "VM is stopped", "False", 2);
    kube_cond_t e = eng_c("Connected", "", "True", 1);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect(&in, 6, "False", "EngineStale",
           "Container engine needs to be synchronized");
}

/* :234 "desired stopped but Stopping holds Settled false" */
static void
test_go_desired_stopped_but_stopping_holds_settled_false(void **state)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("Stopping", "", "False", 2);
    (void)state;
    in.running = &r;
    expect(&in, 4, "False", "Stopping", "LimaVM has not yet reached Stopped");
}

/* :244 "StopFailed surfaces LimaVM message" */
static void test_go_stop_failed_surfaces_limavm_message(void **state)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("ImplosionFailed",
                          "the virtual machine did not implode", "False", 2);
    (void)state;
    in.running = &r;
    expect(&in, 4, "False", "ImplosionFailed",
           "the virtual machine did not implode");
}

/* :255 "kubernetes disabled does not gate Settled" */
static void test_go_kubernetes_disabled_does_not_gate_settled(void **state)
{
    rdd_settled_in_t in = app(1, 1, 1);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e = eng_c("Ready", "engine is ready", "True", 2);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect_settled(&in, 14);
}

/* :268 "kubernetes enabled but condition missing holds Settled false" */
static void
test_go_kubernetes_enabled_but_condition_missing_holds_false(void **state)
{
    rdd_settled_in_t in = app(1, 1, 1);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e = eng_c("Ready", "engine is ready", "True", 2);
    (void)state;
    in.spec_kubernetes_enabled = 1;
    in.running = &r;
    in.engine = &e;
    expect(&in, 11, "False", "WaitingForKubernetes",
           "Waiting for Kubernetes condition");
}

/* :284 "kubernetes ready at stale generation blocks Settled" */
static void
test_go_kubernetes_ready_at_stale_generation_blocks_settled(void **state)
{
    rdd_settled_in_t in = app(1, 1, 1);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e = eng_c("Ready", "engine is ready", "True", 2);
    kube_cond_t k = kube_c("Ready", "ready", "True", 1);
    (void)state;
    in.spec_kubernetes_enabled = 1;
    in.running = &r;
    in.engine = &e;
    in.kubernetes = &k;
    expect(&in, 12, "False", "KubernetesStale",
           "Kubernetes context needs to be synchronized");
}

/* :301 "kubernetes not ready surfaces its reason" */
static void test_go_kubernetes_not_ready_surfaces_its_reason(void **state)
{
    rdd_settled_in_t in = app(1, 1, 1);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e = eng_c("Ready", "engine is ready", "True", 2);
    kube_cond_t k = kube_c("Probing", "waiting", "False", 2);
    (void)state;
    in.spec_kubernetes_enabled = 1;
    in.running = &r;
    in.engine = &e;
    in.kubernetes = &k;
    expect(&in, 13, "False", "Probing", "waiting");
}

/* :318 "all conditions ready with kubernetes settles" */
static void test_go_all_conditions_ready_with_kubernetes_settles(void **state)
{
    rdd_settled_in_t in = app(1, 1, 1);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e = eng_c("Ready", "engine is ready", "True", 2);
    kube_cond_t k = kube_c("Ready", "ready", "True", 2);
    (void)state;
    in.spec_kubernetes_enabled = 1;
    in.running = &r;
    in.engine = &e;
    in.kubernetes = &k;
    expect_settled(&in, 14);
}

/* :338 "stale template holds Settled false despite ready conditions" */
static void
test_go_stale_template_holds_settled_false_despite_ready(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Started", "Lima instance is running", "True", 2);
    kube_cond_t e = eng_c("Connected", "Container engine synced", "True", 2);
    (void)state;
    in.template_up_to_date = 0;
    in.running = &r;
    in.engine = &e;
    expect(&in, 1, "False", "ApplyingTemplate",
           "Applying the configuration change to the VM");
}

/* Derived vectors, docs/rdd/app-controller.md -------------------------------*/

static void test_stale_template_precedes_missing_running(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    (void)state;
    in.template_up_to_date = 0;
    expect(&in, 1, "False", "ApplyingTemplate",
           "Applying the configuration change to the VM");
}

static void test_desired_stopped_with_started_vm_awaits_stopped(void **state)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    (void)state;
    in.running = &r;
    expect(&in, 4, "False", "Started", "LimaVM has not yet reached Stopped");
}

static void test_reconciling_unknown_awaits_started(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Reconciling", "", "Unknown", 2);
    (void)state;
    in.running = &r;
    expect(&in, 3, "False", "Reconciling",
           "LimaVM has not yet reached Started");
}

static void test_engine_connect_failed_surfaces_ping_error(void **state)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Started", "VM is running", "True", 2);
    kube_cond_t e =
        eng_c("ConnectFailed", "failed to ping Docker: connection refused",
              "False", 2);
    (void)state;
    in.running = &r;
    in.engine = &e;
    expect(&in, 10, "False", "ConnectFailed",
           "failed to ping Docker: connection refused");
}

/* Each rule of docs/rdd/app-controller.md reached directly ------------------*/

static void test_rule_1_template_out_of_date_wins_over_everything(void **s)
{
    rdd_settled_in_t in = app(1, 1, 1);
    kube_cond_t r = run_c("StartFailed", "boom", "False", 2);
    (void)s;
    in.running = &r;
    in.template_up_to_date = 0;
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_TEMPLATE);
}

static void test_rule_2_no_running_condition_ignores_desired(void **s)
{
    rdd_settled_in_t in = app(0, 0, 0);
    (void)s;
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_NO_RUNNING);
}

static void test_rule_3_running_desired_needs_status_true(void **s)
{
    rdd_settled_in_t in = app(1, 0, 0);
    kube_cond_t r = run_c("Started", "", "Unknown", 2);
    (void)s;
    in.running = &r;
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_NOT_STARTED);
    /* Only the status counts: a True Starting passes rule 3. */
    r = run_c("Starting", "", "True", 2);
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_NO_GATES);
}

static void test_rule_4_stopped_desired_needs_reason_stopped(void **s)
{
    rdd_settled_in_t in = app(0, 0, 0);
    kube_cond_t r = run_c("Pending", "", "False", 2);
    (void)s;
    in.running = &r;
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_NOT_STOPPED);
    /* Only the reason counts: Stopped with any status passes rule 4. */
    r = run_c("Stopped", "", "True", 2);
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_NO_GATES);
}

static void test_rule_5_no_gates_settles_despite_stale_engine(void **s)
{
    rdd_settled_in_t in = app(1, 0, 0);
    kube_cond_t r = run_c("Started", "", "True", 2);
    kube_cond_t e = eng_c("ConnectFailed", "x", "False", 1);
    (void)s;
    in.running = &r;
    in.engine = &e;
    expect_settled(&in, RDD_SETTLED_RULE_NO_GATES);
}

static void test_rule_6_stop_accepts_engine_newer_than_g(void **s)
{
    rdd_settled_in_t in = app(0, 1, 1);
    kube_cond_t r = run_c("Stopped", "", "False", 2);
    kube_cond_t e = eng_c("Stopped", "", "False", 3);
    (void)s;
    in.running = &r;
    in.engine = &e;
    expect_settled(&in, RDD_SETTLED_RULE_STOP_ENGINE);
}

static void test_rule_7_stopped_without_engine_ignores_kubernetes(void **s)
{
    rdd_settled_in_t in = app(0, 0, 1);
    kube_cond_t r = run_c("Stopped", "", "False", 2);
    (void)s;
    in.spec_kubernetes_enabled = 1;
    in.running = &r;
    expect_settled(&in, RDD_SETTLED_RULE_STOPPED);
}

static void test_rule_8_engine_enabled_needs_a_condition(void **s)
{
    rdd_settled_in_t in = app(1, 1, 1);
    kube_cond_t r = run_c("Started", "", "True", 2);
    (void)s;
    in.running = &r;
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_NO_ENGINE);
}

static void test_rule_9_stale_engine_is_checked_before_status(void **s)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Started", "", "True", 2);
    kube_cond_t e = eng_c("ConnectFailed", "x", "False", 1);
    (void)s;
    in.running = &r;
    in.engine = &e;
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_ENGINE_STALE);
}

static void test_rule_10_engine_unknown_is_not_ready(void **s)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("Started", "", "True", 2);
    kube_cond_t e = eng_c("Probing", "", "Unknown", 2);
    (void)s;
    in.running = &r;
    in.engine = &e;
    expect(&in, RDD_SETTLED_RULE_ENGINE_FALSE, "False", "Probing", "");
}

static void test_rule_11_kubernetes_gate_without_engine_gate(void **s)
{
    rdd_settled_in_t in = app(1, 0, 1);
    kube_cond_t r = run_c("Started", "", "True", 2);
    (void)s;
    in.spec_kubernetes_enabled = 1;
    in.running = &r;
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_NO_KUBE);
}

static void test_rule_12_stale_kubernetes_checked_before_status(void **s)
{
    rdd_settled_in_t in = app(1, 0, 1);
    kube_cond_t r = run_c("Started", "", "True", 2);
    kube_cond_t k = kube_c("MergeFailed", "x", "False", 1);
    (void)s;
    in.spec_kubernetes_enabled = 1;
    in.running = &r;
    in.kubernetes = &k;
    assert_int_equal(rdd_settled_rule(&in), RDD_SETTLED_RULE_KUBE_STALE);
}

static void test_rule_13_kubernetes_false_forwards_reason(void **s)
{
    rdd_settled_in_t in = app(1, 0, 1);
    kube_cond_t r = run_c("Started", "", "True", 2);
    kube_cond_t k = kube_c("WaitingForNode", "no node yet", "False", 2);
    (void)s;
    in.spec_kubernetes_enabled = 1;
    in.running = &r;
    in.kubernetes = &k;
    expect(&in, RDD_SETTLED_RULE_KUBE_FALSE, "False", "WaitingForNode",
           "no node yet");
}

static void test_rule_14_spec_kubernetes_off_skips_kube_gate(void **s)
{
    rdd_settled_in_t in = app(1, 0, 1);
    kube_cond_t r = run_c("Started", "", "True", 2);
    (void)s;
    in.running = &r;
    expect_settled(&in, RDD_SETTLED_RULE_SETTLED);
}

/* runningLimaVMMessage (:688-693) -------------------------------------*/

static void test_failed_reason_with_message_forwards_message(void **s)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("StopFailed", "limactl stop: exit 1", "False", 2);
    (void)s;
    in.running = &r;
    expect(&in, 4, "False", "StopFailed", "limactl stop: exit 1");
    /* The bare suffix is a *Failed reason too. */
    r = run_c("Failed", "x", "False", 2);
    expect(&in, 4, "False", "Failed", "x");
}

static void test_failed_reason_without_message_is_generic(void **s)
{
    rdd_settled_in_t in = app(0, 1, 0);
    kube_cond_t r = run_c("StopFailed", "", "False", 2);
    (void)s;
    in.running = &r;
    expect(&in, 4, "False", "StopFailed", "LimaVM has not yet reached Stopped");
}

static void test_non_failed_reason_hides_its_message(void **s)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("FailedStart", "not a suffix", "False", 2);
    (void)s;
    in.running = &r;
    expect(&in, 3, "False", "FailedStart",
           "LimaVM has not yet reached Started");
    r = run_c("Starting", "booting", "False", 2);
    expect(&in, 3, "False", "Starting", "LimaVM has not yet reached Started");
    /* HasSuffix is case-sensitive. */
    r = run_c("Startfailed", "lower", "False", 2);
    expect(&in, 3, "False", "Startfailed",
           "LimaVM has not yet reached Started");
}

static void test_longest_limavm_message_is_forwarded_whole(void **s)
{
    rdd_settled_in_t in = app(1, 1, 0);
    kube_cond_t r = run_c("StartFailed", "", "False", 2);
    (void)s;
    memset(r.message, 'm', sizeof(r.message) - 1);
    r.message[sizeof(r.message) - 1] = '\0';
    in.running = &r;
    expect(&in, 3, "False", "StartFailed", r.message);
}

/* observedGeneration ---------------------------------------------------*/

/* Every input combination (one bit each) at several generations: type
 * Settled, observedGeneration = G, LastTransitionTime left for
 * SetStatusCondition, and every rule reachable. */
#define BIT(n) ((bits >> (n)) & 1)
static void test_observed_generation_is_g_for_every_rule(void **s)
{
    static const int64_t gens[] = {1, 2, 7, INT64_MAX};
    int seen[15] = {0};
    size_t gi;
    int bits, rule;
    (void)s;
    for (gi = 0; gi < sizeof(gens) / sizeof(gens[0]); gi++) {
        int64_t g = gens[gi];
        for (bits = 0; bits < 1 << 15; bits++) {
            rdd_settled_in_t in = app(BIT(0), BIT(1), BIT(2));
            kube_cond_t r = run_c(BIT(3) ? "Started" : "Stopped", "m",
                                  BIT(4) ? "True" : "False", g);
            kube_cond_t e = eng_c(BIT(5) ? "Stopped" : "Connected", "m",
                                  BIT(6) ? "True" : "False", g - !BIT(7));
            kube_cond_t k =
                kube_c("Ready", "m", BIT(8) ? "True" : "False", g - !BIT(9));
            kube_cond_t out;
            in.generation = g;
            in.spec_kubernetes_enabled = BIT(10);
            in.template_up_to_date = BIT(11);
            in.running = BIT(12) ? &r : NULL;
            in.engine = BIT(13) ? &e : NULL;
            in.kubernetes = BIT(14) ? &k : NULL;
            memset(&out, 0x5a, sizeof(out));
            rdd_compute_settled(&in, &out);
            assert_string_equal(out.type, "Settled");
            assert_int_equal(out.observed_gen, g);
            assert_int_equal(out.last_transition_ns, 0);
            rule = rdd_settled_rule(&in);
            assert_in_range(rule, 1, 14);
            assert_true(strcmp(out.status, "True") == 0 ||
                        strcmp(out.status, "False") == 0);
            seen[rule] = 1;
        }
    }
    for (rule = 1; rule <= 14; rule++)
        assert_true(seen[rule]);
}
#undef BIT

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_go_no_running_condition_yet),
        cmocka_unit_test(test_go_in_progress_starting_holds_settled_false),
        cmocka_unit_test(test_go_start_failed_surfaces_limavm_message),
        cmocka_unit_test(
            test_go_start_failed_with_empty_message_falls_back_to_generic_text),
        cmocka_unit_test(
            test_go_engine_disabled_short_circuits_when_vm_is_started),
        cmocka_unit_test(
            test_go_engine_enabled_and_ready_at_current_generation_settles),
        cmocka_unit_test(
            test_go_engine_enabled_but_condition_missing_holds_settled_false),
        cmocka_unit_test(test_go_engine_ready_at_older_generation_is_stale),
        cmocka_unit_test(
            test_go_engine_not_ready_surfaces_its_reason_and_message),
        cmocka_unit_test(
            test_go_desired_stopped_settles_when_engine_condition_is_current),
        cmocka_unit_test(
            test_go_desired_stopped_not_applicable_settles_containerd_backend),
        cmocka_unit_test(
            test_go_desired_stopped_but_engine_still_connected_waits),
        cmocka_unit_test(
            test_go_desired_stopped_waits_when_engine_condition_is_absent),
        cmocka_unit_test(
            test_go_desired_stopped_waits_when_engine_condition_is_stale),
        cmocka_unit_test(
            test_go_desired_stopped_but_stopping_holds_settled_false),
        cmocka_unit_test(test_go_stop_failed_surfaces_limavm_message),
        cmocka_unit_test(test_go_kubernetes_disabled_does_not_gate_settled),
        cmocka_unit_test(
            test_go_kubernetes_enabled_but_condition_missing_holds_false),
        cmocka_unit_test(
            test_go_kubernetes_ready_at_stale_generation_blocks_settled),
        cmocka_unit_test(test_go_kubernetes_not_ready_surfaces_its_reason),
        cmocka_unit_test(test_go_all_conditions_ready_with_kubernetes_settles),
        cmocka_unit_test(
            test_go_stale_template_holds_settled_false_despite_ready),
        cmocka_unit_test(test_stale_template_precedes_missing_running),
        cmocka_unit_test(test_desired_stopped_with_started_vm_awaits_stopped),
        cmocka_unit_test(test_reconciling_unknown_awaits_started),
        cmocka_unit_test(test_engine_connect_failed_surfaces_ping_error),
        cmocka_unit_test(test_rule_1_template_out_of_date_wins_over_everything),
        cmocka_unit_test(test_rule_2_no_running_condition_ignores_desired),
        cmocka_unit_test(test_rule_3_running_desired_needs_status_true),
        cmocka_unit_test(test_rule_4_stopped_desired_needs_reason_stopped),
        cmocka_unit_test(test_rule_5_no_gates_settles_despite_stale_engine),
        cmocka_unit_test(test_rule_6_stop_accepts_engine_newer_than_g),
        cmocka_unit_test(test_rule_7_stopped_without_engine_ignores_kubernetes),
        cmocka_unit_test(test_rule_8_engine_enabled_needs_a_condition),
        cmocka_unit_test(test_rule_9_stale_engine_is_checked_before_status),
        cmocka_unit_test(test_rule_10_engine_unknown_is_not_ready),
        cmocka_unit_test(test_rule_11_kubernetes_gate_without_engine_gate),
        cmocka_unit_test(test_rule_12_stale_kubernetes_checked_before_status),
        cmocka_unit_test(test_rule_13_kubernetes_false_forwards_reason),
        cmocka_unit_test(test_rule_14_spec_kubernetes_off_skips_kube_gate),
        cmocka_unit_test(test_failed_reason_with_message_forwards_message),
        cmocka_unit_test(test_failed_reason_without_message_is_generic),
        cmocka_unit_test(test_non_failed_reason_hides_its_message),
        cmocka_unit_test(test_longest_limavm_message_is_forwarded_whole),
        cmocka_unit_test(test_observed_generation_is_g_for_every_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
