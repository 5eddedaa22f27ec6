/*
 * test_ctl.c: `rdd ctl` and the apiserver's kubeconfig (issue 10 item 10)
 * and violations dated in the order of the story (issue 15 item 4).
 *
 * Covers: the kubeconfig the service writes once its apiserver is bound
 * (the port it really bound, moved or not), what an apiserver answers a
 * client holding another instance's or another run's kubeconfig; the
 * rdd.ctl step run through whole worlds: a stale kubeconfig after a kill
 * that reaches another instance's apiserver (S17 at the poll that read it),
 * a clean `rdd svc stop` that removes the file (S17 holds), the verbs get,
 * patch and delete and kubectl's NotFound, the 90 s readiness deadline
 * (exit 4); and a liveness bound (L6) dated at its deadline with the
 * clock's first event as after_seq, not at the next 1 s tick.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rdd/ports.h"
#include "scenario/scenario.h"
#include "scenario/world.h"
#include "sim/errno.h"
#include "sim/loop.h"
#include "sim/trace.h"

/* One instance on a Linux host, its service bound by hand. ---------------*/

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    host_t *host;
    rdd_instance_t inst[2];
} fix_t;

static void inst_init(fix_t *f, int i, const char *suffix)
{
    rdd_instance_t *in = &f->inst[i];
    uint32_t pid;
    assert_int_equal(host_spawn(f->host, "/usr/bin/rdd", "rdd", 0, 1, &pid),
                     0);
    memset(in, 0, sizeof(*in));
    in->loop = &f->loop;
    in->host = f->host;
    rdd_identity(&in->id, RDD_OS_LINUX, 1, suffix, "/home/u", 0);
    host_path_norm(in->id.dir, in->dir);
    in->proc.proc = in->id.name;
    in->proc.pid = pid;
    in->svc = RDD_SVC_RUNNING;
    in->svc_starts = 1;
}

static void fix_init(fix_t *f)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(sim_loop_init(&f->loop, 1), 0);
    sim_trace_init(&f->tr, NULL, NULL);
    f->loop.trace = &f->tr;
    assert_int_equal(host_new(&f->loop, 0, &f->host), 0);
    inst_init(f, 0, "test");
    inst_init(f, 1, "0");
}

static void fix_fini(fix_t *f)
{
    rdd_ports_release(&f->inst[0]);
    rdd_ports_release(&f->inst[1]);
    sim_loop_run(&f->loop, SIM_NEVER);
    host_free(f->host);
    sim_loop_close(&f->loop);
}

static void start(rdd_instance_t *in)
{
    assert_int_equal(rdd_ports_resolve(in), 0);
    assert_int_equal(rdd_ports_bind(in), 0);
}

static void test_identity_config_paths(void **state)
{
    rdd_identity_t id;
    (void)state;
    rdd_identity(&id, RDD_OS_LINUX, 1, "test", "/home/u", 0);
    assert_string_equal(id.config,
                        "/home/u/.local/share/rancher-desktop-test/config.yaml");
    assert_string_equal(id.tls_dir,
                        "/home/u/.local/share/rancher-desktop-test/tls");
    rdd_identity(&id, RDD_OS_WINDOWS, 0, "", "C:\\Users\\u", 0);
    assert_string_equal(id.config, "C:\\Users\\u\\AppData\\Local\\"
                                   "rancher-desktop-2\\config.yaml");
}

/* service.go:829-845: written when the apiserver is bound, with the port
 * it bound: the desired one, or where ResolvePort moved it. */
static void test_kubeconfig_written_with_bound_port(void **state)
{
    fix_t f;
    rdd_kubeconfig_t kc;
    (void)state;
    fix_init(&f);
    assert_int_equal(rdd_kubeconfig_read(&f.inst[0], &kc), SIM_ENOENT);
    start(&f.inst[0]);
    assert_int_equal(rdd_kubeconfig_read(&f.inst[0], &kc), 0);
    assert_int_equal(kc.port, 6591);
    assert_string_equal(kc.ca, f.inst[0].id.tls_dir);
    assert_true(rdd_apiserver_listens(&f.inst[0], 6591));
    /* "0" has the same Index: ResolvePort moves it, its file says so. */
    start(&f.inst[1]);
    assert_int_equal(rdd_kubeconfig_read(&f.inst[1], &kc), 0);
    assert_int_not_equal(kc.port, 6591);
    assert_int_equal(kc.port, f.inst[1].bridge.ports.p[RDD_PORT_APISERVER]
                                  .resolved);
    assert_true(rdd_apiserver_listens(&f.inst[1], kc.port));
    assert_false(rdd_apiserver_listens(&f.inst[1], 6591));
    rdd_kubeconfig_remove(&f.inst[1]);
    assert_int_equal(rdd_kubeconfig_read(&f.inst[1], &kc), SIM_ENOENT);
    fix_fini(&f);
}

/* TLS and the bearer token: only the instance's own current run admits. */
static void test_apiserver_admits_only_its_own_run(void **state)
{
    fix_t f;
    rdd_kubeconfig_t mine, other;
    (void)state;
    fix_init(&f);
    start(&f.inst[0]);
    start(&f.inst[1]);
    assert_int_equal(rdd_kubeconfig_read(&f.inst[0], &mine), 0);
    assert_int_equal(rdd_kubeconfig_read(&f.inst[1], &other), 0);
    assert_int_equal(rdd_apiserver_admit(&f.inst[0], &mine), 0);
    assert_int_equal(rdd_apiserver_admit(&f.inst[0], &other), SIM_EX509);
    assert_int_equal(rdd_apiserver_admit(&f.inst[1], &mine), SIM_EX509);
    f.inst[0].svc_starts++; /* a new run: a new admin token */
    assert_int_equal(rdd_apiserver_admit(&f.inst[0], &mine),
                     SIM_EUNAUTHORIZED);
    fix_fini(&f);
}

/* Whole worlds. -----------------------------------------------------------*/

typedef struct {
    world_result_t res;
    char *text; /* the text trace */
    size_t len;
} run_t;

static void run_yaml(const char *yaml, const char *variant, run_t *r)
{
    scenario_t *sc = calloc(1, sizeof(*sc));
    yt_error_t err;
    world_io_t io = {0};
    int rc;
    assert_non_null(sc);
    memset(r, 0, sizeof(*r));
    rc = scenario_load_buffer("t.yaml", yaml, strlen(yaml), sc, &err);
    if (rc)
        print_message("%s:%d:%d: %s\n", err.file, err.line, err.col,
                      err.msg);
    assert_int_equal(rc, 0);
    io.text = open_memstream(&r->text, &r->len);
    assert_non_null(io.text);
    assert_int_equal(world_run(sc, scenario_variant(sc, variant), 1, &io,
                               &r->res),
                     0);
    fclose(io.text);
    free(sc);
}

static int violated(const run_t *r, const char *id, uint64_t *at)
{
    int i;
    for (i = 0; i < r->res.nviolated; i++)
        if (!strcmp(r->res.violated[i], id)) {
            if (at)
                *at = r->res.violated_ns[i];
            return 1;
        }
    return 0;
}

static void has(const run_t *r, const char *text)
{
    if (!strstr(r->text, text))
        fail_msg("not in the trace: %s", text);
}

static const char two_instances[] =
    "name: t\n"
    "host: linux\n"
    "duration: 60s\n"
    "instances:\n"
    "  - {rdd_instance: \"test\", start: 0s, env: {DOCKER_CONFIG: /home/u/a}}\n"
    "  - {rdd_instance: \"0\", start: 30s, env: {DOCKER_CONFIG: /home/u/b}}\n"
    "timeline:\n";

static void run_two(const char *steps, run_t *r)
{
    char yaml[4096];
    snprintf(yaml, sizeof(yaml),
             "%s%svariants:\n  head:\n    expect: {violated: []}\n",
             two_instances, steps);
    run_yaml(yaml, "head", r);
}

/* The report: killed at 20 s, its config.yaml says 6591; "0" takes 6591 at
 * 30 s; `rdd ctl` at 40 s restarts test, whose first readiness poll reads
 * the stale file and reaches "0"'s apiserver (x509), the retry 500 ms later
 * its own on the moved port. */
static void test_stale_kubeconfig_reaches_other_instance(void **state)
{
    run_t r;
    uint64_t at = 0;
    (void)state;
    run_two("  - {at: 20s, do: proc.kill, instance: \"test\", proc: service}\n"
            "  - {at: 40s, do: rdd.ctl, instance: \"test\", verb: get, "
            "kind: App, name: app}\n",
            &r);
    assert_true(violated(&r, "S17", &at));
    assert_int_equal(r.res.nviolated, 1);
    assert_int_equal(at, 40 * SIM_NS_PER_S);
    has(&r, "rdd.ctl.request inst=rancher-desktop-test phase=readiness "
            "port=6591 config_written=100ms reached=rancher-desktop-0 "
            "err=EX509");
    has(&r, "rdd.cli.print inst=rancher-desktop-test "
            "line=apps.app.rancherdesktop.io/app");
    has(&r, "cmd=\"rdd ctl get App app\" code=0 err=\"\" elapsed=500ms");
    free(r.text);
}

/* `rdd svc stop`'s wait removes config.yaml: the restart's first poll finds
 * no file ("may still be starting"), nothing reaches "0". */
static void test_clean_stop_removes_kubeconfig(void **state)
{
    run_t r;
    (void)state;
    run_two("  - {at: 20s, do: svc.stop, instance: \"test\"}\n"
            "  - {at: 40s, do: rdd.ctl, instance: \"test\", verb: get, "
            "kind: App, name: app}\n",
            &r);
    assert_false(violated(&r, "S17", NULL));
    has(&r, "rdd.ctl.request inst=rancher-desktop-test phase=readiness "
            "port=0 config_written=0s reached=none err=ENOENT");
    has(&r, "cmd=\"rdd ctl get App app\" code=0");
    free(r.text);
}

static void test_verbs(void **state)
{
    run_t r;
    (void)state;
    run_two("  - {at: 5s, do: kube.create, instance: \"test\", kind: Volume, "
            "name: v1}\n"
            "  - {at: 6s, do: rdd.ctl, instance: \"test\", verb: delete, "
            "kind: Volume, name: v1}\n"
            "  - {at: 7s, do: rdd.ctl, instance: \"test\", verb: get, "
            "kind: Volume, name: v1}\n"
            "  - {at: 8s, do: rdd.ctl, instance: \"test\", verb: patch, "
            "kind: App, name: app, key: kubernetes.enabled, value: \"true\"}\n",
            &r);
    assert_int_equal(r.res.nviolated, 0);
    has(&r, "line=\"apps.app.rancherdesktop.io/app patched\"");
    has(&r, "kube.obj.update store=rancher-desktop-test kind=App");
    has(&r, "cmd=\"rdd ctl delete Volume v1\" code=0");
    has(&r, "cmd=\"rdd ctl get Volume v1\" code=1 err=\"Error from server "
            "(NotFound): volumes.containers.rancherdesktop.io \\\"v1\\\" "
            "not found\"");
    free(r.text);
}

/* Started together, "0"'s apiserver bind fails (H8): it never writes a
 * kubeconfig, and `rdd ctl` gives up after 90 s with exit 4. */
static void test_readiness_deadline(void **state)
{
    static const char yaml[] =
        "name: t\n"
        "host: linux\n"
        "duration: 200s\n"
        "instances:\n"
        "  - {rdd_instance: \"test\", start: 0s, env: {DOCKER_CONFIG: /a}}\n"
        "  - {rdd_instance: \"0\", start: 0s, env: {DOCKER_CONFIG: /b}}\n"
        "timeline:\n"
        "  - {at: 10s, do: rdd.ctl, instance: \"0\", verb: get, kind: App, "
        "name: app}\n"
        "variants:\n  head:\n    expect: {violated: [S12]}\n";
    run_t r;
    (void)state;
    run_yaml(yaml, "head", &r);
    assert_false(violated(&r, "S17", NULL));
    has(&r, "t=100.000000000s");
    has(&r, "cmd=\"rdd ctl get App app\" code=4 err=\"context deadline "
            "exceeded\" elapsed=90s");
    free(r.text);
}

/* L6 on Windows with Docker Desktop on docker_engine: Running=True at
 * 26.5 s, the pipe another's since then: due at 36.5 s exactly (the 1 s
 * tick used to make it 37 s), blamed on the commit of Running=True. */
static void test_liveness_dated_at_deadline(void **state)
{
    static const char yaml[] =
        "name: t\n"
        "host: windows\n"
        "duration: 45s\n"
        "daemons:\n"
        "  - {name: dd, id: DD-1}\n"
        "owners:\n"
        "  - {kind: docker-desktop, name: docker-desktop, daemon: dd, "
        "start: 0s}\n"
        "instances:\n"
        "  - {rdd_instance: \"2\", start: 5s, handshake: 3s, boot: 20s}\n"
        "variants:\n  head:\n    expect: {violated: [L6, S2, S3]}\n";
    run_t r;
    uint64_t at = 0;
    char want[80];
    const char *line, *commit, *eol, *kind;
    unsigned long long after = 0, seq = 0;
    (void)state;
    run_yaml(yaml, "head", &r);
    assert_true(violated(&r, "L6", &at));
    assert_int_equal(at, 36500 * SIM_NS_PER_MS);
    line = strstr(r.text, "sim.invariant.violated id=L6 after_seq=");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "sim.invariant.violated id=L6 "
                                  "after_seq=%llu at=36.500s", &after),
                     1);
    /* after_seq is the commit that made Running True at 26.5 s. */
    snprintf(want, sizeof(want), " #%llu kube.obj.update ", after);
    commit = strstr(r.text, want);
    assert_non_null(commit);
    assert_int_equal(sscanf(commit, " #%llu", &seq), 1);
    assert_int_equal(seq, after);
    assert_true(commit - r.text >= 15);
    assert_memory_equal(commit - 15, "t=26.500000000s", 15);
    eol = strchr(commit, '\n');
    assert_non_null(eol);
    kind = strstr(commit, "kind=App");
    assert_true(kind && kind < eol);
    free(r.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_config_paths),
        cmocka_unit_test(test_kubeconfig_written_with_bound_port),
        cmocka_unit_test(test_apiserver_admits_only_its_own_run),
        cmocka_unit_test(test_stale_kubeconfig_reaches_other_instance),
        cmocka_unit_test(test_clean_stop_removes_kubeconfig),
        cmocka_unit_test(test_verbs),
        cmocka_unit_test(test_readiness_deadline),
        cmocka_unit_test(test_liveness_dated_at_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
