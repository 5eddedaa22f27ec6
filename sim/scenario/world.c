/*
 * world.c: builds and runs a scenario's world (see world.h), and holds the
 * invariant checks, which need the whole world to judge it.
 */
#include "world.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"
#include "npipe/npipe.h"
#include "owners/owners.h"
#include "rdd/bats.h"
#include "rdd/rdd.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"
#include "uds/uds.h"

#define PID_OWNER0 1000
#define PID_RDD0 2000

const sim_inv_info_t sim_inv_catalogue[] = {
    {"S1", "daemon ownership",
     "every mutating Docker call from instance I reaches I's own dockerd "
     "(rdd-behavior.md §10.4)"},
    {"S2", "mirror provenance",
     "every mirror in I's namespace was produced from I's own daemon"},
    {"S3", "bind failure visibility",
     "if I's bridge did not bind its pipe, I's ContainerEngineReady is "
     "never True/Connected for that VM lifetime"},
    {"S11", "pipe exclusivity",
     "at most one process serves a pipe name at a time"},
    {"S14", "no hijack of a well-known name",
     "no other product fails to bind its pipe because an RDD instance "
     "holds it (ours: hazard H2)"},
    {"S4", "stop never mutates Docker",
     "no mutating Docker call from I arrives while I's engine runs a stop "
     "(rows A/B: stopWatcher, cleanup, wait, condition)"},
    {"S5", "stopped-settled soundness",
     "when the engine writes Stopped at generation G, the store and its "
     "informer cache hold zero mirrors"},
    {"S7", "generation monotonicity",
     "no condition's observedGeneration on the App ever decreases"},
    {"L1", "stop converges",
     "within 30 s (+1 s) of the App's Running turning False, "
     "ContainerEngineReady is Stopped at the current generation"},
    {"S9", "finalizer forwarding",
     "processFinalizers strips the mirror finalizer only after a Docker "
     "remove of that reference from this instance was answered 2xx or 404, "
     "or the status carried no Docker reference"},
    {"S15", "no mirror outlives a completed stop",
     "at the end of a run whose App is stopped with ContainerEngineReady "
     "Stopped at the current generation, the store holds no mirror"},
    {"S6", "running-settled soundness",
     "Settled True at G with spec.running=true and the engine enabled "
     "implies Running True, the template up to date and "
     "ContainerEngineReady True with observedGeneration >= G"},
    {"S12", "cross-instance isolation",
     "two live instances never share a pipe, socket, ShortDir, Dir, LogDir, "
     "Docker context, WSL distro or vsock port, and no operation of one "
     "terminates or unregisters the other's distro or kills its processes"},
    {"S13", "no foreign kill",
     "a HostAgentPID that fails the identity check is never signalled or "
     "killed"},
    {"S10", "context hygiene",
     "no probe writes currentContext after removeDockerContext returned; "
     "currentContext is cleared only if it equals Name(); it is set only "
     "when the probe found the current context unhealthy and the daemon "
     "env had neither DOCKER_HOST nor DOCKER_CONTEXT"},
    {"L3", "Starting terminates",
     "a LimaVM with spec.running=true reaches Running True or a *Failed "
     "reason (of Running or Created) within 7 min"},
    {"L4", "stale directory resolves",
     "the 'already exists' path creates the instance or surfaces "
     "CreateFailed within 60 s"},
    {"L5", "orphans are reaped",
     "a hostagent of this instance that its controller does not track is "
     "killed within 60 s of the service (re)starting"},
    {"L6", "pipe served while Running",
     "on Windows, while the App's Running is True and its service runs, the "
     "instance's pipe is bound by its own bridge and accepting (an outage "
     "may last 10 s)"},
    {"L7", "probe bounded",
     "removeDockerContext returns within 3.5 s of being called"},
    {"B1", "the BATS replay passes",
     "engine-docker.bats's local_setup_file and test 37, replayed on this "
     "host flavour, pass (review I2, S4)"},
    {"S16", "sweep scope",
     "RDD deletes no Container, Image, Volume or ContainerNamespace object "
     "it did not mirror (ours: hazard H13)"},
    {"L9", "deletion quiesces",
     "within 60 s of the App being deleted, the engine's watcher is stopped "
     "and no mirror is left Terminating"},
};
const size_t sim_inv_catalogue_len =
    sizeof(sim_inv_catalogue) / sizeof(sim_inv_catalogue[0]);

typedef struct world world_t;

typedef struct {
    world_t *w;
    rdd_instance_t inst;
    int up;
    int alias;                     /* >= 0: `rdd svc start` found this
                                      instance's Dir already served by that
                                      one (H7); its steps go there */
    char alias_name[96];           /* the Name() it asked for */
    char provenance_bad[SIM_INV_WHY_MAX]; /* S2: first foreign mirror */
    int watch_id;
    char s7_bad[SIM_INV_WHY_MAX];  /* S7: first decrease seen */
    char s7_type[KUBE_CONDS_MAX][32];
    int64_t s7_max[KUBE_CONDS_MAX];
    int s7_n;
    uint64_t stopped_seen;         /* S5: Stopped writes already judged */
    size_t s9_seen;                /* S9: strips already judged */
    uint64_t running_false_ns;     /* L1: when Running turned False */
    int running_false;             /* L1 */
    char s5_settled_bad[SIM_INV_WHY_MAX]; /* S5's Settled part */
    char s6_bad[SIM_INV_WHY_MAX];
    char settled_key[80];          /* S5/S6: the Settled last judged */
    int starting;                  /* L3: wants running, not yet there */
    uint64_t starting_since_ns;
    char starting_reason[40];
    int app_running_true;          /* L6: the App's Running is True */
    uint64_t app_running_true_ns;
    uint64_t pipe_bad_since_ns;    /* L6: outage start (0: served) */
    uint64_t l5_next_ns;           /* L5: next scan (every 100 ms) */
    char s16_bad[SIM_INV_WHY_MAX]; /* S16 */
    char b1_bad[SIM_INV_WHY_MAX];  /* B1: the first BATS failure */
    uint64_t api_epoch;            /* the store watch_id is on */
    size_t s13_seen;               /* S13: kills already judged */
    uint32_t orphan_pid;           /* L5: an untracked live hostagent */
    uint64_t orphan_since_ns;
    rdd_bats_setup_t bats;         /* what local_setup_file left */
    int bats_ran;
    int app_gone;                  /* L9: the App was deleted */
    uint64_t app_gone_ns;
} winst_t;

/* One `rdd set` invocation (rdd/cmd/rdd/set.go:255-328, 477-536). */
typedef struct {
    world_t *w;
    winst_t *wi;
    const sc_action_t *a;
    int64_t min_gen;
    uint64_t start_ns;
    int watch_id;
    uint64_t api_epoch;            /* the store the watch is on */
    int done;
    sim_timer_t timeout;
    char seen[KUBE_CONDS_MAX][2][KUBE_MSG_MAX + 80]; /* type, last key */
    int nseen;
} rdd_cli_t;

/* A Docker CLI client holding a pipe connection open (`docker logs -f`):
 * its handle keeps the name alive after the server dies (lingering). */
typedef struct {
    world_t *w;
    sim_stream_t *conn;
    sim_timer_t until;
    uint32_t pid;
    uint64_t for_ns;
    char pipe[NPIPE_NAME_MAX];
} pipe_hold_t;

struct world {
    const scenario_t *sc;
    const sc_variant_t *var;
    sim_loop_t loop;
    sim_trace_t trace;
    sim_faults_t faults;
    sim_inv_t inv;
    npipe_ns_t *pipes;
    uds_ns_t *socks;
    dock_daemon_t *daemons[SC_MAX_DAEMONS];
    dock_daemon_t *vm_daemons[SC_MAX_INSTANCES];
    owner_t owners[SC_MAX_OWNERS];
    winst_t inst[SC_MAX_INSTANCES];
    size_t s1_cursor[SC_MAX_DAEMONS + SC_MAX_INSTANCES];
    size_t s4_cursor[SC_MAX_DAEMONS + SC_MAX_INSTANCES];
    char s14_why[SIM_INV_WHY_MAX];
    int s14_judged[SC_MAX_OWNERS]; /* S14: this failure was judged */
    host_t *host;                  /* the machine (host.h) */
    int in_user_action;            /* S16: a timeline step is running */
    int cur_action;                /* index of the step running */
    sc_action_t act_copy[SC_MAX_ACTIONS]; /* steps redirected to an alias */
    size_t s10_seen;               /* S10: journal records judged */
    sim_timer_t tick;              /* a check every virtual second, so a
                                      liveness bound is judged on time in
                                      an idle world */
    size_t s12_wsl_seen;           /* S12: WSL operations already judged */
    rdd_cli_t cli[SC_MAX_ACTIONS];
    pipe_hold_t holds[SC_MAX_ACTIONS];
};

/* invariants ----------------------------------------------------------------*/

static dock_daemon_t *daemon_at(world_t *w, int i)
{
    return i < SC_MAX_DAEMONS ? w->daemons[i]
                              : w->vm_daemons[i - SC_MAX_DAEMONS];
}

/* The next mutating call any daemon logged since *cursors last moved, and
 * the daemon that logged it; NULL when there is none.  Each invariant that
 * reads the call logs keeps its own cursors. */
static const dock_call_t *next_call(world_t *w, size_t *cursors,
                                    dock_daemon_t **from)
{
    int i;
    for (i = 0; i < SC_MAX_DAEMONS + SC_MAX_INSTANCES; i++) {
        dock_daemon_t *d = daemon_at(w, i);
        const dock_call_t *calls;
        if (d && cursors[i] < dock_calls(d, &calls)) {
            *from = d;
            return &calls[cursors[i]++];
        }
    }
    return NULL;
}

/* The instance whose identity made call c, or NULL. */
static winst_t *caller(world_t *w, const dock_call_t *c)
{
    int j;
    for (j = 0; j < w->sc->ninstances; j++)
        if (w->inst[j].up && !strcmp(c->client, w->inst[j].inst.id.name))
            return &w->inst[j];
    return NULL;
}

static int check_s1(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    const dock_call_t *c;
    dock_daemon_t *d;
    while ((c = next_call(w, w->s1_cursor, &d)) != NULL) {
        winst_t *wi = caller(w, c);
        if (!wi || d == wi->inst.vm_daemon)
            continue;
        snprintf(why, len,
                 "%s sent %s%s %.24s to daemon '%s' (%s), not its own, "
                 "through %s",
                 c->client, dock_op_name(c->op), c->force ? "(force)" : "",
                 c->ref, dock_daemon_name(d), dock_daemon_id(d), c->endpoint);
        return 1;
    }
    return 0;
}

/* S7 and L1 look at every committed App state. */
static void on_app_change(winst_t *wi, const kube_obj_t *o)
{
    int i, k;
    const kube_cond_t *run = kube_cond_find(o, RDD_COND_RUNNING);
    for (i = 0; i < o->nconds && !wi->s7_bad[0]; i++) {
        const kube_cond_t *c = &o->conds[i];
        for (k = 0; k < wi->s7_n; k++)
            if (!strcmp(wi->s7_type[k], c->type))
                break;
        if (k == wi->s7_n) {
            if (wi->s7_n == KUBE_CONDS_MAX)
                continue;
            snprintf(wi->s7_type[k], sizeof(wi->s7_type[k]), "%s", c->type);
            wi->s7_max[k] = c->observed_gen;
            wi->s7_n++;
        } else if (c->observed_gen < wi->s7_max[k]) {
            snprintf(wi->s7_bad, sizeof(wi->s7_bad),
                     "%s's %s observedGeneration went from %lld to %lld",
                     wi->inst.id.name, c->type, (long long)wi->s7_max[k],
                     (long long)c->observed_gen);
        } else {
            wi->s7_max[k] = c->observed_gen;
        }
    }
    if (run && !strcmp(run->status, "False")) {
        if (!wi->running_false) {
            wi->running_false = 1;
            wi->running_false_ns = sim_now(&wi->w->loop);
        }
    } else {
        wi->running_false = 0;
    }
}

static void on_mirror_change(void *arg, kube_event_type_t type,
                             const kube_obj_t *o)
{
    winst_t *wi = arg;
    if (type != KUBE_DELETED && o->kind == KUBE_APP) {
        on_app_change(wi, o);
        return;
    }
    if (type == KUBE_DELETED || o->kind == KUBE_APP || !o->provenance[0] ||
        wi->provenance_bad[0])
        return;
    if (strcmp(o->provenance, dock_daemon_id(wi->inst.vm_daemon)))
        snprintf(wi->provenance_bad, sizeof(wi->provenance_bad),
                 "%s mirrors %s %.24s from daemon %s, not from its own "
                 "(%s)", wi->inst.id.name, kube_kind_name(o->kind), o->name,
                 o->provenance, dock_daemon_id(wi->inst.vm_daemon));
}

static int check_s2(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++)
        if (w->inst[j].provenance_bad[0]) {
            snprintf(why, len, "%s", w->inst[j].provenance_bad);
            return 1;
        }
    return 0;
}

static int check_s3(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        kube_obj_t app;
        const kube_cond_t *c;
        if (!wi->up || !wi->inst.bridge.failed_this_vm)
            continue;
        if (rdd_get_app(&wi->inst, kube_store_reader(wi->inst.api), &app))
            continue;
        c = kube_cond_find(&app, RDD_COND_ENGINE);
        if (c && !strcmp(c->status, "True") &&
            !strcmp(c->reason, "Connected")) {
            snprintf(why, len,
                     "%s reports ContainerEngineReady True/Connected although "
                     "its bridge failed: %s",
                     wi->inst.id.name, wi->inst.bridge.bind_msg);
            return 1;
        }
    }
    return 0;
}

static int check_s11(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int i;
    for (i = 0; i < w->sc->nowners; i++) {
        int n = npipe_server_count(w->pipes, w->owners[i].pipe);
        if (n > 1) {
            snprintf(why, len, "%d processes serve %s", n,
                     w->owners[i].pipe);
            return 1;
        }
    }
    for (i = 0; i < w->sc->ninstances; i++) {
        int n;
        if (!w->inst[i].up)
            continue;
        n = npipe_server_count(w->pipes, w->inst[i].inst.id.bridge_pipe);
        if (n > 1) {
            snprintf(why, len, "%d processes serve %s", n,
                     w->inst[i].inst.id.bridge_pipe);
            return 1;
        }
    }
    return 0;
}

/* S14: an owner failed to start; is the name held by an RDD instance? */
static void blame_holder(world_t *w, const owner_t *o)
{
    uint32_t pid = npipe_creator_pid(w->pipes, o->pipe);
    int j;
    for (j = 0; j < w->sc->ninstances; j++)
        if (w->inst[j].up && pid && w->inst[j].inst.proc.pid == pid)
            snprintf(w->s14_why, sizeof(w->s14_why),
                     "%s cannot start: %s (the name is held by %s)",
                     o->name, o->start_err, w->inst[j].inst.id.name);
}

static int check_s14(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int i;
    /* Owners that fail later than their start call (podman's create,
     * OWNER_PODMAN_LAUNCH_NS after its probe). */
    for (i = 0; i < w->sc->nowners && !w->s14_why[0]; i++) {
        owner_t *o = &w->owners[i];
        if (o->start_failed && !w->s14_judged[i]) {
            w->s14_judged[i] = 1;
            blame_holder(w, o);
        } else if (!o->start_failed) {
            w->s14_judged[i] = 0;
        }
    }
    if (!w->s14_why[0])
        return 0;
    snprintf(why, len, "%s", w->s14_why);
    return 1;
}

static int check_s4(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    const dock_call_t *c;
    dock_daemon_t *d;
    while ((c = next_call(w, w->s4_cursor, &d)) != NULL) {
        winst_t *wi = caller(w, c);
        if (!wi || !wi->inst.engine.in_stop_path)
            continue;
        snprintf(why, len, "%s sent %s %.24s during a stop", c->client,
                 dock_op_name(c->op), c->ref);
        return 1;
    }
    return 0;
}

static int check_s5(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        rdd_engine_t *e = &wi->inst.engine;
        if (wi->s5_settled_bad[0]) {
            snprintf(why, len, "%s", wi->s5_settled_bad);
            return 1;
        }
        if (!wi->up || e->stopped_writes == wi->stopped_seen)
            continue;
        wi->stopped_seen = e->stopped_writes;
        if (e->stopped_store_mirrors || e->stopped_cache_mirrors) {
            snprintf(why, len,
                     "%s wrote ContainerEngineReady Stopped at generation "
                     "%lld with %zu mirrors in the store and %zu in its "
                     "informer cache",
                     wi->inst.id.name, (long long)e->stopped_gen,
                     e->stopped_store_mirrors, e->stopped_cache_mirrors);
            return 1;
        }
    }
    return 0;
}

static int check_s7(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++)
        if (w->inst[j].s7_bad[0]) {
            snprintf(why, len, "%s", w->inst[j].s7_bad);
            return 1;
        }
    return 0;
}

/* The engine condition is Stopped at the App's current generation. */
static int engine_stopped_now(winst_t *wi)
{
    kube_obj_t app;
    const kube_cond_t *c;
    if (rdd_get_app(&wi->inst, kube_store_reader(wi->inst.api), &app))
        return 0;
    c = kube_cond_find(&app, RDD_COND_ENGINE);
    return c && !strcmp(c->reason, "Stopped") &&
           c->observed_gen >= app.generation;
}

static int check_l1(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    uint64_t now = sim_now(&w->loop), limit = 31 * SIM_NS_PER_S;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        char t[32];
        if (!wi->up || !wi->running_false ||
            now < wi->running_false_ns + limit || engine_stopped_now(wi))
            continue;
        snprintf(why, len,
                 "%s's App has been Running=False since %s but "
                 "ContainerEngineReady is not Stopped at its generation",
                 wi->inst.id.name, sim_fmt_ns(t, wi->running_false_ns));
        return 1;
    }
    return 0;
}

/* A Docker remove of ref by client answered 2xx or 404, in any daemon. */
static int docker_removed(world_t *w, const char *client, dock_op_t op,
                          const char *ref)
{
    int i;
    for (i = 0; i < SC_MAX_DAEMONS + SC_MAX_INSTANCES; i++) {
        dock_daemon_t *d = daemon_at(w, i);
        const dock_call_t *calls;
        size_t n, k;
        if (!d)
            continue;
        n = dock_calls(d, &calls);
        for (k = 0; k < n; k++)
            if (calls[k].op == op && !strcmp(calls[k].client, client) &&
                !strcmp(calls[k].ref, ref) &&
                ((calls[k].http >= 200 && calls[k].http < 300) ||
                 calls[k].http == 404))
                return 1;
    }
    return 0;
}

static int check_s9(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        rdd_engine_t *e = &wi->inst.engine;
        if (!wi->up)
            continue;
        for (; wi->s9_seen < e->nstripped; wi->s9_seen++) {
            const rdd_fin_item_t *it = &e->stripped[wi->s9_seen];
            if (it->skip_docker ||
                docker_removed(w, wi->inst.id.name, it->op, it->ref))
                continue;
            snprintf(why, len,
                     "%s removed the finalizer of %s %.24s before Docker "
                     "confirmed %s %s",
                     wi->inst.id.name, kube_kind_name(it->kind), it->name,
                     dock_op_name(it->op), it->ref);
            wi->s9_seen++;
            return 1;
        }
    }
    return 0;
}

static int check_s15(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        size_t n;
        if (!wi->up || !wi->running_false || !engine_stopped_now(wi) ||
            wi->inst.engine.state != RDD_ENG_IDLE)
            continue;
        n = rdd_mirror_count(&wi->inst, 0);
        if (n) {
            snprintf(why, len,
                     "%s's stop completed (Stopped at the current "
                     "generation) yet %zu mirrors remain in the store",
                     wi->inst.id.name, n);
            return 1;
        }
    }
    return 0;
}

/* Ground truth at each commit (kube_store_observe) ----------------------*/

static int store_get(winst_t *wi, kube_kind_t k, const char *ns,
                     const char *name, kube_obj_t *o)
{
    kube_status_t st;
    kube_reader_t *r = kube_store_reader(wi->inst.api);
    return r->get(r, k, ns, name, o, &st);
}

/* The template is up to date: the rendered ConfigMap's resourceVersion is
 * the one the LimaVM last applied (app_controller.go step 10). */
static int template_up_to_date(winst_t *wi, const kube_obj_t *app,
                               char *why, size_t len)
{
    static kube_obj_t lvm, cm; /* large; the world is single-threaded */
    const char *ns = kube_spec_get(app, "namespace"), *cmn, *seen;
    char rv[24];
    if (!ns)
        ns = "default";
    if (store_get(wi, KUBE_LIMAVM, ns, "rd", &lvm)) {
        snprintf(why, len, "there is no LimaVM rd");
        return 0;
    }
    cmn = kube_status_get(&lvm, "templateConfigMap");
    if (!cmn || store_get(wi, KUBE_CONFIGMAP, ns, cmn, &cm)) {
        snprintf(why, len, "the LimaVM has no template ConfigMap");
        return 0;
    }
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)cm.rv);
    seen = kube_status_get(&lvm, "observedTemplateResourceVersion");
    if (!seen || strcmp(seen, rv)) {
        snprintf(why, len, "template ConfigMap %s is at rv %s but the "
                 "LimaVM applied %s", cmn, rv, seen ? seen : "none");
        return 0;
    }
    return 1;
}

/* S5 (its Settled part) and S6, when an App commit writes Settled True.
 * A commit of another controller's condition that leaves an older Settled
 * stale is not judged: the App controller recomputes Settled on that very
 * event (rdd-behavior.md §10.4's premature-stamp caveat). */
static void judge_settled(winst_t *wi, const kube_obj_t *app)
{
    const kube_cond_t *st = kube_cond_find(app, "Settled");
    char key[80];
    snprintf(key, sizeof(key), "%s|%s|%lld|%llu", st ? st->status : "",
             st ? st->reason : "", st ? (long long)st->observed_gen : -1LL,
             st ? (unsigned long long)st->last_transition_ns : 0ULL);
    if (!strcmp(key, wi->settled_key))
        return; /* Settled not written by this commit */
    snprintf(wi->settled_key, sizeof(wi->settled_key), "%s", key);
    const kube_cond_t *run = kube_cond_find(app, RDD_COND_RUNNING);
    const kube_cond_t *eng = kube_cond_find(app, RDD_COND_ENGINE);
    const char *want = kube_spec_get(app, "running");
    int64_t g;
    char tmpl[200];
    /* Settled speaks of the spec at its observedGeneration only. */
    if (!st || strcmp(st->status, "True") ||
        st->observed_gen != app->generation)
        return;
    g = st->observed_gen;
    if (want && !strcmp(want, "false")) {
        if (wi->s5_settled_bad[0])
            return;
        if (!run || strcmp(run->reason, "Stopped"))
            snprintf(wi->s5_settled_bad, sizeof(wi->s5_settled_bad),
                     "%s's App is Settled at generation %lld with "
                     "spec.running=false while Running's reason is %s",
                     wi->inst.id.name, (long long)g,
                     run ? run->reason : "absent");
        else if (!eng || eng->observed_gen < g ||
                 (strcmp(eng->reason, "Stopped") &&
                  strcmp(eng->reason, "NotApplicable")))
            snprintf(wi->s5_settled_bad, sizeof(wi->s5_settled_bad),
                     "%s's App is Settled at generation %lld with "
                     "spec.running=false while ContainerEngineReady is "
                     "%s at generation %lld",
                     wi->inst.id.name, (long long)g,
                     eng ? eng->reason : "absent",
                     eng ? (long long)eng->observed_gen : -1LL);
        return;
    }
    if (wi->s6_bad[0])
        return;
    if (!run || strcmp(run->status, "True"))
        snprintf(wi->s6_bad, sizeof(wi->s6_bad),
                 "%s's App is Settled at generation %lld with "
                 "spec.running=true while Running is %s/%s",
                 wi->inst.id.name, (long long)g, run ? run->status : "absent",
                 run ? run->reason : "");
    else if (!eng || strcmp(eng->status, "True") || eng->observed_gen < g)
        snprintf(wi->s6_bad, sizeof(wi->s6_bad),
                 "%s's App is Settled at generation %lld with "
                 "spec.running=true while ContainerEngineReady is %s/%s at "
                 "generation %lld",
                 wi->inst.id.name, (long long)g, eng ? eng->status : "absent",
                 eng ? eng->reason : "", eng ? (long long)eng->observed_gen
                                             : -1LL);
    else if (!template_up_to_date(wi, app, tmpl, sizeof(tmpl)))
        snprintf(wi->s6_bad, sizeof(wi->s6_bad),
                 "%s's App is Settled at generation %lld with "
                 "spec.running=true although %s",
                 wi->inst.id.name, (long long)g, tmpl);
}

/* L3: since when a LimaVM that should run has been short of Running. */
static int failed_reason(const kube_cond_t *c)
{
    size_t n = c ? strlen(c->reason) : 0;
    return n > 6 && !strcmp(c->reason + n - 6, "Failed");
}

static void track_starting(winst_t *wi, const kube_obj_t *lvm)
{
    const char *want = kube_spec_get(lvm, "running");
    const kube_cond_t *run = kube_cond_find(lvm, RDD_COND_RUNNING);
    const kube_cond_t *created = kube_cond_find(lvm, "Created");
    /* There: Running True, or a failure the user can read (Running's or
     * Created's *Failed reason). */
    int there = (run && (!strcmp(run->status, "True") || failed_reason(run))) ||
                failed_reason(created);
    if (!want || strcmp(want, "true") || there) {
        wi->starting = 0;
        return;
    }
    if (run)
        snprintf(wi->starting_reason, sizeof(wi->starting_reason), "%s/%s",
                 run->status, run->reason);
    else
        snprintf(wi->starting_reason, sizeof(wi->starting_reason),
                 "without a Running condition");
    if (!wi->starting) {
        wi->starting = 1;
        wi->starting_since_ns = sim_now(&wi->w->loop);
    }
}

static int mirror_kind(kube_kind_t k)
{
    return k == KUBE_CONTAINER || k == KUBE_IMAGE || k == KUBE_VOLUME ||
           k == KUBE_CONTAINER_NS;
}

static void on_commit(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    winst_t *wi = arg;
    /* S16: an object no sync produced, deleted while no user acts. */
    if (mirror_kind(o->kind) && !o->provenance[0] && !wi->s16_bad[0] &&
        !wi->w->in_user_action &&
        (type == KUBE_DELETED || (o->deleting && o->nfin == 0)))
        snprintf(wi->s16_bad, sizeof(wi->s16_bad),
                 "%s deleted %s %s/%s, which no Docker sync produced",
                 wi->inst.id.name, kube_kind_name(o->kind), o->ns, o->name);
    if (o->kind == KUBE_APP && type == KUBE_DELETED && !wi->app_gone) {
        wi->app_gone = 1;
        wi->app_gone_ns = sim_now(&wi->w->loop);
    }
    if (o->kind == KUBE_APP) {
        const kube_cond_t *run = kube_cond_find(o, RDD_COND_RUNNING);
        int t = type != KUBE_DELETED && run && !strcmp(run->status, "True");
        if (t && !wi->app_running_true)
            wi->app_running_true_ns = sim_now(&wi->w->loop);
        wi->app_running_true = t;
        if (type != KUBE_DELETED)
            judge_settled(wi, o);
    } else if (o->kind == KUBE_LIMAVM) {
        if (type == KUBE_DELETED)
            wi->starting = 0;
        else
            track_starting(wi, o);
    }
}

/* S10 from the journal of currentContext writes (dockerctx.h). */
static int check_s10(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    size_t n = w->host ? rdd_dctx_journal_len(w->host) : 0;
    for (; w->s10_seen < n; w->s10_seen++) {
        rdd_dctx_write_t r;
        if (rdd_dctx_journal_get(w->host, w->s10_seen, &r))
            continue;
        if (!strcmp(r.who, "user"))
            continue;
        if (r.after_remove)
            snprintf(why, len, "%s's probe set currentContext to %s after "
                     "its removeDockerContext returned", r.who, r.value);
        else if (!strcmp(r.why, "probe-set") &&
                 (strcmp(r.judged, r.old) || strcmp(r.read, r.old)))
            snprintf(why, len, "%s set currentContext to %s, having judged "
                     "%s unhealthy, but the file said %s by then (a lost "
                     "update)", r.who, r.value,
                     r.judged[0] ? r.judged : "\"\"",
                     r.old[0] ? r.old : "\"\"");
        else if (!strcmp(r.why, "clear") && strcmp(r.old, r.who))
            snprintf(why, len, "%s cleared currentContext, which said %s, "
                     "not its own name", r.who, r.old[0] ? r.old : "\"\"");
        else
            continue;
        w->s10_seen++;
        return 1;
    }
    return 0;
}

static int check_l7(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    uint64_t now = sim_now(&w->loop), lim = 3500 * SIM_NS_PER_MS;
    for (j = 0; j < w->sc->ninstances; j++) {
        const rdd_dctx_t *d = &w->inst[j].inst.dctx;
        char t[32];
        uint64_t took = d->remove_max_ns;
        if (!w->inst[j].up)
            continue;
        if (d->removes_called > d->removes_returned &&
            now - d->remove_called_ns > took)
            took = now - d->remove_called_ns;
        if (took <= lim)
            continue;
        snprintf(why, len, "%s's removeDockerContext took %s", 
                 w->inst[j].inst.id.name, sim_fmt_ns(t, took));
        return 1;
    }
    return 0;
}

static int check_b1(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++)
        if (w->inst[j].b1_bad[0]) {
            snprintf(why, len, "%s", w->inst[j].b1_bad);
            return 1;
        }
    return 0;
}

/* S13 (ours is stricter than §10.4's: DriverPID is not exempt, so pid
 * reuse, H14, shows): every kill or signal the LimaVM controller sent hit
 * a process of this instance. */
static int check_s13(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        const rdd_limavm_t *l = &wi->inst.lvm;
        if (!wi->up)
            continue;
        for (; wi->s13_seen < l->nkills; wi->s13_seen++) {
            const rdd_limavm_kill_t *k = &l->kills[wi->s13_seen];
            if (k->ours || k->rc)
                continue;
            snprintf(why, len, "%s's %s sent %s to pid %u (%s), which is "
                     "not its %s (identity check: %s)", wi->inst.id.name,
                     k->helper, k->how, k->pid, k->exe, k->role,
                     k->identity == 1 ? "passed"
                     : k->identity == 0 ? "failed" : "none");
            wi->s13_seen++;
            return 1;
        }
    }
    return 0;
}

static int check_l4(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    uint64_t now = sim_now(&w->loop);
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        const rdd_limavm_t *l = &wi->inst.lvm;
        char t[32];
        if (!wi->up || !l->stale_since_ns ||
            now < l->stale_since_ns + 60 * SIM_NS_PER_S)
            continue;
        snprintf(why, len, "%s has been removing a stale Lima directory "
                 "since %s (%llu attempts, %llu failed) without creating the "
                 "instance or reporting CreateFailed",
                 wi->inst.id.name, sim_fmt_ns(t, l->stale_since_ns),
                 (unsigned long long)l->stale_removals,
                 (unsigned long long)l->stale_failures);
        return 1;
    }
    return 0;
}

/* L5: a live hostagent of this instance that the running service's
 * controller does not track, for 60 s. */
static int check_l5(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    uint64_t now = sim_now(&w->loop);
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        rdd_instance_t *in = &wi->inst;
        const rdd_ha_t *ha;
        uint32_t orphan = 0;
        char t[32];
        if (!wi->up || in->svc != RDD_SVC_RUNNING) {
            wi->orphan_pid = 0;
            continue;
        }
        /* A crash loop launches thousands of hostagents: look every
         * 100 ms of virtual time, not after every event. */
        if (now < wi->l5_next_ns)
            continue;
        wi->l5_next_ns = now + 100 * SIM_NS_PER_MS;
        for (ha = in->lima.head; ha && !orphan; ha = ha->next)
            if (host_proc_alive(in->host, ha->pid) &&
                ha->pid != rdd_limavm_tracked_pid(in))
                orphan = ha->pid;
        if (orphan != wi->orphan_pid) {
            wi->orphan_pid = orphan;
            wi->orphan_since_ns = now;
        }
        if (!orphan || now < wi->orphan_since_ns + 60 * SIM_NS_PER_S)
            continue;
        snprintf(why, len, "%s's hostagent pid %u (%s) has been orphaned "
                 "since %s: the running service does not track it and "
                 "nothing kills it", in->id.name, orphan,
                 host_proc(in->host, orphan)->exe,
                 sim_fmt_ns(t, wi->orphan_since_ns));
        return 1;
    }
    return 0;
}

static int check_s16(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++)
        if (w->inst[j].s16_bad[0]) {
            snprintf(why, len, "%s", w->inst[j].s16_bad);
            return 1;
        }
    return 0;
}

typedef struct {
    size_t terminating;
    char first[KUBE_NAME_MAX];
} term_count_t;

static int count_terminating(void *arg, const kube_obj_t *o)
{
    term_count_t *t = arg;
    if (o->deleting && !t->terminating++)
        snprintf(t->first, sizeof(t->first), "%s %s",
                 kube_kind_name(o->kind), o->name);
    return 0;
}

static int check_l9(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    uint64_t now = sim_now(&w->loop);
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        term_count_t t = {0, ""};
        kube_reader_t *r;
        kube_status_t st;
        char tb[32];
        int k;
        if (!wi->up || !wi->app_gone ||
            now < wi->app_gone_ns + 60 * SIM_NS_PER_S)
            continue;
        r = kube_store_reader(wi->inst.api);
        for (k = KUBE_CONTAINER; k <= KUBE_CONTAINER_NS; k++)
            (void)r->list(r, (kube_kind_t)k, wi->inst.engine.api_ns,
                          count_terminating, &t, &st);
        if (!wi->inst.watcher && !t.terminating)
            continue;
        snprintf(why, len,
                 "%s's App was deleted at %s, yet %s%s%zu mirrors are "
                 "Terminating%s%s",
                 wi->inst.id.name, sim_fmt_ns(tb, wi->app_gone_ns),
                 wi->inst.watcher ? "its Docker watcher still runs and " : "",
                 "", t.terminating, t.terminating ? ", e.g. " : "", t.first);
        return 1;
    }
    return 0;
}

static int check_s6(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++)
        if (w->inst[j].s6_bad[0]) {
            snprintf(why, len, "%s", w->inst[j].s6_bad);
            return 1;
        }
    return 0;
}

static int check_l3(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    uint64_t now = sim_now(&w->loop), limit = 7 * 60 * SIM_NS_PER_S;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        char t[32];
        if (!wi->up || !wi->starting || now < wi->starting_since_ns + limit)
            continue;
        snprintf(why, len,
                 "%s's LimaVM has wanted to run since %s but is still %s",
                 wi->inst.id.name, sim_fmt_ns(t, wi->starting_since_ns),
                 wi->starting_reason);
        return 1;
    }
    return 0;
}

/* One pipe name, however spelt (npipe_normalize folds case and slashes). */
static int same_pipe(const char *a, const char *b)
{
    char na[NPIPE_NAME_MAX], nb[NPIPE_NAME_MAX];
    if (npipe_normalize(a, na) || npipe_normalize(b, nb))
        return 0;
    return !strcmp(na, nb);
}

/* L6: the pipe the instance's engine dials is its own bridge's. */
static int check_l6(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    uint64_t now = sim_now(&w->loop);
    if (w->sc->os != RDD_OS_WINDOWS)
        return 0;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        rdd_instance_t *in = &wi->inst;
        uint32_t pid;
        char t[32], t2[32];
        /* A dead service reports nothing: its stale App is not judged. */
        if (!wi->up || !wi->app_running_true ||
            in->svc != RDD_SVC_RUNNING) {
            wi->pipe_bad_since_ns = 0;
            continue;
        }
        pid = npipe_creator_pid(w->pipes, in->id.docker_socket);
        if (pid == in->proc.pid && in->bridge.state == RDD_BRIDGE_LISTENING &&
            same_pipe(in->id.docker_socket, in->id.bridge_pipe)) {
            wi->pipe_bad_since_ns = 0;
            continue;
        }
        if (!wi->pipe_bad_since_ns)
            wi->pipe_bad_since_ns = now;
        if (now < wi->pipe_bad_since_ns + 10 * SIM_NS_PER_S)
            continue;
        snprintf(why, len,
                 "%s's App has said Running=True since %s but %s has been "
                 "%s since %s (its bridge: %s%s%s)",
                 in->id.name, sim_fmt_ns(t, wi->app_running_true_ns),
                 in->id.docker_socket,
                 pid == 0 ? "not bound"
                 : pid == in->proc.pid ? "bound by its own bridge but not "
                                         "accepting"
                                       : "bound by another process",
                 sim_fmt_ns(t2, wi->pipe_bad_since_ns),
                 rdd_bridge_state_name(in->bridge.state),
                 in->bridge.bind_msg[0] ? ": " : "", in->bridge.bind_msg);
        return 1;
    }
    return 0;
}

/* S12: what two live instances share, or what one did to the other. */
static int check_s12(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int i, j;
    for (i = 0; i < w->sc->ninstances; i++)
        for (j = i + 1; j < w->sc->ninstances; j++) {
            const rdd_identity_t *a = &w->inst[i].inst.id;
            const rdd_identity_t *b = &w->inst[j].inst.id;
            const char *what = NULL, *val = NULL;
            if (!w->inst[i].up || !w->inst[j].up)
                continue;
            if (a->os == RDD_OS_WINDOWS && same_pipe(a->docker_socket,
                                                     b->docker_socket))
                what = "Docker pipe", val = a->docker_socket;
            else if (a->os == RDD_OS_WINDOWS &&
                     same_pipe(a->bridge_pipe, b->bridge_pipe))
                what = "bridge pipe", val = a->bridge_pipe;
            else if (!strcmp(a->docker_socket, b->docker_socket))
                what = "Docker socket", val = a->docker_socket;
            else if (!strcmp(a->short_dir, b->short_dir))
                what = "ShortDir", val = a->short_dir;
            else if (!strcmp(a->dir, b->dir))
                what = "Dir", val = a->dir;
            else if (!strcmp(a->log_dir, b->log_dir))
                what = "LogDir", val = a->log_dir;
            else if (!strcmp(a->name, b->name))
                what = "Docker context", val = a->name;
            else if (a->os == RDD_OS_WINDOWS && !strcmp(a->distro, b->distro))
                what = "WSL distro", val = a->distro;
            if (what) {
                snprintf(why, len, "%s and %s share the %s %s", a->name,
                         b->name, what, val);
                return 1;
            }
        }
    /* Two requested instances that are one (H7). */
    for (i = 0; i < w->sc->ninstances; i++)
        if (w->inst[i].alias >= 0) {
            const rdd_identity_t *b = &w->inst[w->inst[i].alias].inst.id;
            snprintf(why, len, "%s and %s are one instance: the same Dir %s, "
                     "ShortDir, pipe or socket, ports and Docker context",
                     w->inst[i].alias_name, b->name, b->dir);
            return 1;
        }
    /* What one instance could not bind because another holds it. */
    for (i = 0; i < w->sc->ninstances; i++) {
        rdd_instance_t *in = &w->inst[i].inst;
        const char *holder = NULL;
        if (!w->inst[i].up)
            continue;
        if (in->bridge.hs_failures && in->bridge.hs_err == SIM_EADDRINUSE) {
            holder = host_vsock_owner(w->host, RDD_VSOCK_LISTEN_PORT);
            snprintf(why, len, "%s cannot listen on vsock port %d, held by "
                     "%s: %s", in->id.name, RDD_VSOCK_LISTEN_PORT,
                     holder ? holder : "another instance", in->bridge.hs_msg);
            return 1;
        }
        if (in->bridge.ports.nfail) {
            snprintf(why, len, "%s could not bind its port: %s",
                     in->id.name, in->bridge.ports.fail_msg);
            return 1;
        }
        if (in->bridge.ports.guest_fwd_err) {
            snprintf(why, len, "%s's guest forward of 6443 could not bind "
                     "host port %d: %s", in->id.name,
                     in->bridge.ports.guest_fwd_port,
                     sim_strerror(in->bridge.ports.guest_fwd_err));
            return 1;
        }
    }
    if (w->host) {
        const host_wsl_rec_t *log;
        size_t n = host_wsl_log(w->host, &log);
        for (; w->s12_wsl_seen < n; w->s12_wsl_seen++) {
            const host_wsl_rec_t *r = &log[w->s12_wsl_seen];
            if ((r->op != HOST_WSL_OP_TERMINATE &&
                 r->op != HOST_WSL_OP_UNREGISTER) ||
                !r->registered_by[0] || !strcmp(r->actor, r->registered_by) ||
                !strcmp(r->actor, "user"))
                continue;
            snprintf(why, len, "%s %s WSL distro %s, which %s imported",
                     r->actor,
                     r->op == HOST_WSL_OP_TERMINATE ? "terminated"
                                                    : "unregistered",
                     r->distro, r->registered_by);
            w->s12_wsl_seen++;
            return 1;
        }
    }
    return 0;
}

/* Stalls, in words -----------------------------------------------------*/

/* What the LimaVM controller is waiting on (limavm.h), after "; ". */
static void vm_explain(rdd_instance_t *inst, char *out, size_t len)
{
    if (len < 3)
        return;
    snprintf(out, len, "; ");
    rdd_limavm_explain(inst, out + 2, len - 2);
    if (!out[2])
        out[0] = 0;
}

static void cond_words(char *out, size_t len, const char *who,
                       const kube_cond_t *c)
{
    char t[32];
    if (!c) {
        snprintf(out, len, "%s has no condition yet", who);
        return;
    }
    snprintf(out, len, "%s=%s/%s since %s (\"%.200s\")", who, c->status,
             c->reason, sim_fmt_ns(t, c->last_transition_ns), c->message);
}

/* One instance's App is not Settled at its generation: say which
 * condition waits on what, and since when. */
static int explain_stall(winst_t *wi, char *out, size_t len)
{
    static kube_obj_t app, lvm;
    const kube_cond_t *st;
    const char *ns;
    char a[400], b[400], c[400], d[400];
    size_t n;
    if (!wi->up || rdd_get_app(&wi->inst, kube_store_reader(wi->inst.api),
                               &app))
        return 0;
    st = kube_cond_find(&app, "Settled");
    if (st && !strcmp(st->status, "True") &&
        st->observed_gen >= app.generation)
        return 0;
    cond_words(a, sizeof(a), "Settled", st);
    cond_words(b, sizeof(b), "ContainerEngineReady",
               kube_cond_find(&app, RDD_COND_ENGINE));
    ns = kube_spec_get(&app, "namespace");
    if (store_get(wi, KUBE_LIMAVM, ns ? ns : "default", "rd", &lvm)) {
        snprintf(c, sizeof(c), "there is no LimaVM rd");
        d[0] = 0;
    } else {
        cond_words(c, sizeof(c), "LimaVM Created",
                   kube_cond_find(&lvm, "Created"));
        cond_words(d, sizeof(d), "Running",
                   kube_cond_find(&lvm, RDD_COND_RUNNING));
    }
    n = (size_t)snprintf(out, len,
                         "%s: the App (spec.running=%s, generation %lld) is "
                         "not settled: %s; %s; %s%s%s",
                         wi->inst.id.name,
                         kube_spec_get(&app, "running")
                             ? kube_spec_get(&app, "running") : "true",
                         (long long)app.generation, a, b, c, d[0] ? ", " : "",
                         d);
    if (n < len)
        vm_explain(&wi->inst, out + n, len - n);
    return 1;
}

static void find_stalls(world_t *w, world_result_t *res)
{
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        char *s = res->stall[res->nstall];
        sim_trace_t *tr;
        if (!explain_stall(&w->inst[j], s, sizeof(res->stall[0])))
            continue;
        res->nstall++;
        tr = sim_trace_begin(&w->loop, "sim.stall");
        sim_trace_str(tr, "why", s);
        sim_trace_end(tr);
    }
}

static int add_invariants(world_t *w)
{
    static const struct {
        const char *id;
        sim_inv_check_cb cb;
    } checks[] = {{"S1", check_s1},
                  {"S2", check_s2},
                  {"S3", check_s3},
                  {"S11", check_s11},
                  {"S14", check_s14},
                  {"S4", check_s4},
                  {"S5", check_s5},
                  {"S7", check_s7},
                  {"L1", check_l1},
                  {"S9", check_s9},
                  {"S15", check_s15},
                  {"S6", check_s6},
                  {"L3", check_l3},
                  {"L6", check_l6},
                  {"S12", check_s12},
                  {"S16", check_s16},
                  {"L9", check_l9},
                  {"S10", check_s10},
                  {"L7", check_l7},
                  {"B1", check_b1},
                  {"S13", check_s13},
                  {"L4", check_l4},
                  {"L5", check_l5}};
    size_t i, k;
    for (i = 0; i < SIM_ARRAY_LEN(checks); i++) {
        const char *title = "";
        for (k = 0; k < sim_inv_catalogue_len; k++)
            if (!strcmp(sim_inv_catalogue[k].id, checks[i].id))
                title = sim_inv_catalogue[k].title;
        int end_only = !strcmp(checks[i].id, "S15");
        if (sim_inv_add(&w->inv, checks[i].id, title, checks[i].cb, w,
                        end_only))
            return SIM_ERANGE;
    }
    return 0;
}

static void watch_store(winst_t *wi);
static void apply_env(world_t *w, int i);

/* `rdd svc delete` replaced an instance's datastore: watch the new one. */
static void follow_stores(world_t *w)
{
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        if (!wi->up || wi->api_epoch == wi->inst.api_epoch)
            continue;
        wi->api_epoch = wi->inst.api_epoch;
        watch_store(wi);
    }
}

static void after_event(sim_loop_t *loop, void *arg)
{
    world_t *w = arg;
    (void)loop;
    follow_stores(w);
    sim_inv_check(&w->inv);
}

/* building ------------------------------------------------------------------*/

static int populate(world_t *w, dock_daemon_t *d, const sc_daemon_t *sd)
{
    int i, rc;
    uint64_t k;
    if (sd->has_latency)
        dock_daemon_set_latency(d, sd->lat_min_ns, sd->lat_max_ns);
    for (i = 0; i < sd->ni; i++) {
        const char *tags[4];
        int t;
        for (t = 0; t < sd->im[i].ntags; t++)
            tags[t] = sd->im[i].tags[t];
        rc = dock_image_add(d, sd->im[i].id[0] ? sd->im[i].id : NULL, tags,
                            sd->im[i].ntags);
        if (rc)
            return rc;
    }
    for (i = 0; i < sd->nv; i++)
        if ((rc = dock_volume_add(d, sd->vol[i])) != 0)
            return rc;
    for (i = 0; i < sd->nc; i++) {
        const sc_container_t *c = &sd->c[i];
        for (k = 0; k < c->count; k++) {
            char name[96];
            if (c->count > 1)
                snprintf(name, sizeof(name), "%s-%" PRIu64, c->name, k);
            else
                snprintf(name, sizeof(name), "%s", c->name);
            rc = dock_container_add(d, name, c->image, c->state, NULL);
            if (rc)
                return rc;
        }
    }
    (void)w;
    return 0;
}

static int find_daemon(world_t *w, const char *name)
{
    int i;
    for (i = 0; i < w->sc->ndaemons; i++)
        if (!strcmp(w->sc->daemons[i].name, name))
            return i;
    return -1;
}

/* timeline ------------------------------------------------------------------*/

static void act_trace(world_t *w, const sc_action_t *a, const char *what,
                      int rc)
{
    sim_trace_t *tr = sim_trace_begin(&w->loop, "sim.action");
    sim_trace_str(tr, "do", sc_act_name(a->kind));
    if (what)
        sim_trace_str(tr, "what", what);
    sim_trace_err(tr, "rc", rc);
    sim_trace_end(tr);
}

typedef struct {
    const sc_action_t *a;
    char found[KUBE_NAME_MAX];
} match_t;

static int match_mirror(void *arg, const kube_obj_t *o)
{
    match_t *m = arg;
    const char *key = o->kind == KUBE_IMAGE ? "repoTag" : "name";
    const char *v = kube_status_get(o, key);
    if (v && !strcmp(v, m->a->docker_name)) {
        snprintf(m->found, sizeof(m->found), "%s", o->name);
        return 1;
    }
    return 0;
}

static void start_instance(world_t *w, int i);
static void rdd_set(world_t *w, const sc_action_t *a);

static void owner_start_checked(world_t *w, owner_t *o)
{
    if (owner_start(o) && !w->s14_why[0]) {
        w->s14_judged[o - w->owners] = 1;
        blame_holder(w, o);
    }
}

static void hold_over(sim_timer_t *t)
{
    pipe_hold_t *h = t->data;
    if (h->conn)
        sim_stream_close(h->conn, NULL);
    h->conn = NULL;
    (void)host_exit(h->w->host, h->pid, 0);
}

static void hold_dialed(void *arg, int status, sim_stream_t *conn)
{
    pipe_hold_t *h = arg;
    sim_trace_t *tr = sim_trace_begin(&h->w->loop, "sim.pipe.hold");
    sim_trace_str(tr, "pipe", h->pipe);
    sim_trace_u64(tr, "pid", h->pid);
    sim_trace_err(tr, "rc", status);
    sim_trace_end(tr);
    if (status) {
        (void)host_exit(h->w->host, h->pid, 1);
        return;
    }
    h->conn = conn;
    sim_timer_init(&h->w->loop, &h->until);
    h->until.data = h;
    (void)sim_timer_start(&h->until, hold_over, h->for_ns);
}

/* An instance's process by role: service, hostagent, driver (0: none). */
static uint32_t role_pid(rdd_instance_t *inst, const char *role)
{
    const rdd_ha_t *ha, *live = NULL;
    if (!strcmp(role, "service"))
        return inst->proc.pid;
    /* The newest live hostagent of this instance (and its driver). */
    for (ha = inst->lima.head; ha; ha = ha->next)
        if (host_proc_alive(inst->host, ha->pid))
            live = ha;
    if (!live)
        return 0;
    return !strcmp(role, "driver") ? live->driver_pid : live->pid;
}

/* The pid a proc.* / fs.* step names: `pid`, or an instance's role. */
static uint32_t action_pid(world_t *w, const sc_action_t *a)
{
    if (!strcmp(a->proc, "pid") || a->pid)
        return a->pid;
    if (a->instance < 0 || !w->inst[a->instance].up)
        return 0;
    return role_pid(&w->inst[a->instance].inst, a->proc);
}

/* The file a fs.* step names: absolute, or relative to the instance's
 * ShortDir, normalised to the host's '/' form. */
static void action_path(world_t *w, const sc_action_t *a, char *out)
{
    char raw[HOST_PATH_MAX * 2];
    int abs = a->path[0] == '/' || (a->path[0] && a->path[1] == ':');
    if (abs || a->instance < 0)
        snprintf(raw, sizeof(raw), "%s", a->path);
    else
        snprintf(raw, sizeof(raw), "%s/%s",
                 w->inst[a->instance].inst.id.short_dir, a->path);
    raw[HOST_PATH_MAX - 1] = 0;
    host_path_norm(raw, out);
}

static void run_action_inner(world_t *w, const sc_action_t *a);

/* The user's Docker config dir: the step's `config`, else ~/.docker. */
static void user_config_dir(world_t *w, const sc_action_t *a, char *out)
{
    char home[HOST_PATH_MAX];
    if (a->config_dir[0]) {
        host_path_norm(a->config_dir, out);
        return;
    }
    host_path_norm(rdd_os_home(w->sc->os), home);
    snprintf(out, HOST_PATH_MAX, "%s/.docker", home);
}

static rdd_bats_flavour_t bats_flavour(sc_host_t h)
{
    switch (h) {
    case SC_HOST_MSYS:
        return RDD_BATS_MSYS;
    case SC_HOST_WSL2:
        return RDD_BATS_WSL2;
    case SC_HOST_LINUX:
        return RDD_BATS_LINUX;
    case SC_HOST_DARWIN:
        return RDD_BATS_DARWIN;
    default:
        return RDD_BATS_WINDOWS;
    }
}

/* Prints BATS output into the trace, one line per event. */
static void bats_print(world_t *w, const char *out)
{
    while (*out) {
        const char *nl = strchr(out, '\n');
        size_t n = nl ? (size_t)(nl - out) : strlen(out);
        char line[400];
        sim_trace_t *tr;
        snprintf(line, sizeof(line), "%.*s", (int)(n < 399 ? n : 399), out);
        tr = sim_trace_begin(&w->loop, "bats.print");
        sim_trace_str(tr, "line", line);
        sim_trace_end(tr);
        out += n + (nl != NULL);
    }
}

/* engine-docker.bats, replayed: local_setup_file before the instance's
 * service starts (the service inherits its DOCKER_CONFIG), test 37 once
 * the engine has written its context. */
static void bats_step(world_t *w, const sc_action_t *a)
{
    winst_t *wi = &w->inst[a->instance];
    const sc_instance_t *si = &w->sc->instances[a->instance];
    rdd_bats_env_t env;
    rdd_identity_t id;
    char out[4096];
    int rc;
    memset(&env, 0, sizeof(env));
    env.flavour = bats_flavour(w->sc->host);
    env.rdd_instance = si->env_set ? si->value : NULL;
    rdd_identity(&id, w->sc->os, si->env_set, si->value,
                 rdd_os_home(w->sc->os),
                 w->var->flags);
    env.docker_socket = id.docker_socket;
    if (a->kind == SC_ACT_BATS_SETUP) {
        rc = rdd_bats_setup(&env, w->var->flags, &wi->bats, out,
                            sizeof(out));
        wi->bats_ran = 1;
    } else if (wi->bats.rc) {
        /* bats runs no test of a file whose setup_file failed */
        act_trace(w, a, "test 37 skipped: setup_file failed", 0);
        return;
    } else {
        rc = wi->bats_ran ? rdd_bats_test37(&env, w->var->flags, &wi->bats,
                                            w->host, out, sizeof(out))
                          : 1;
        if (!wi->bats_ran)
            snprintf(out, sizeof(out), "not ok 37 (setup never ran)");
    }
    bats_print(w, out);
    act_trace(w, a, a->kind == SC_ACT_BATS_SETUP ? "local_setup_file"
                                                 : "test 37", rc);
    if (rc && !wi->b1_bad[0]) {
        const char *first = out;
        const char *nl;
        while (*first == '#' || *first == ' ')
            first++;
        nl = strchr(first, '\n');
        snprintf(wi->b1_bad, sizeof(wi->b1_bad), "%s on %s: %.*s",
                 a->kind == SC_ACT_BATS_SETUP ? "local_setup_file"
                                              : "test 37",
                 sc_host_name(w->sc->host),
                 (int)(nl ? (size_t)(nl - first) : strlen(first)), first);
    }
}

/* A timeline step: what it deletes is the user's doing (S16). */
static void run_action(void *arg, void *actp)
{
    world_t *w = arg;
    const sc_action_t *a = actp;
    uint64_t now = sim_now(&w->loop);
    /* A repeating step schedules its next turn first. */
    if (a->every_ns && (!a->until_ns || now + a->every_ns <= a->until_ns))
        (void)sim_call(&w->loop, a->every_ns, run_action, w, actp);
    w->cur_action = (int)(a - w->sc->actions);
    if (a->instance >= 0 && w->inst[a->instance].alias >= 0) {
        sc_action_t *c = &w->act_copy[w->cur_action];
        *c = *a;
        c->instance = w->inst[a->instance].alias;
        a = c;
    }
    w->in_user_action = 1;
    run_action_inner(w, a);
    w->in_user_action = 0;
}

static void run_action_inner(world_t *w, const sc_action_t *a)
{
    int rc = 0;
    switch (a->kind) {
    case SC_ACT_KUBE_DELETE: {
        winst_t *wi = &w->inst[a->instance];
        match_t m = {a, ""};
        kube_status_t st;
        kube_reader_t *r;
        if (!wi->up) {
            act_trace(w, a, "instance not started", SIM_ESTATE);
            return;
        }
        r = kube_store_reader(wi->inst.api);
        (void)r->list(r, a->kube_kind, wi->inst.engine.api_ns, match_mirror,
                      &m, &st);
        if (!m.found[0]) {
            act_trace(w, a, a->docker_name, SIM_ENOTFOUND);
            return;
        }
        rc = kube_delete(wi->inst.api, a->kube_kind, wi->inst.engine.api_ns,
                         m.found, &st);
        act_trace(w, a, m.found, rc);
        return;
    }
    case SC_ACT_OWNER_START:
        owner_start_checked(w, &w->owners[a->owner]);
        act_trace(w, a, w->owners[a->owner].name, 0);
        return;
    case SC_ACT_OWNER_STOP:
        owner_stop(&w->owners[a->owner]);
        act_trace(w, a, w->owners[a->owner].name, 0);
        return;
    case SC_ACT_VM_STOP:
    case SC_ACT_VM_START: {
        /* A merge patch of App.spec.running, as `rdd set` sends. */
        winst_t *wi = &w->inst[a->instance];
        kube_obj_t app;
        kube_status_t st;
        if (wi->up) {
            kube_obj_init(&app, KUBE_APP, "", RDD_APP_NAME);
            rc = kube_spec_set(&app, "running",
                               a->kind == SC_ACT_VM_START ? "true" : "false");
            if (rc == 0)
                rc = kube_apply(wi->inst.api, &app, 0, &st);
        }
        act_trace(w, a, NULL, rc);
        return;
    }
    case SC_ACT_DOCKER_RM:
    case SC_ACT_DOCKER_RUN: {
        dock_daemon_t *d = a->daemon_instance >= 0
                               ? w->vm_daemons[a->daemon_instance]
                               : w->daemons[find_daemon(w, a->daemon)];
        /* The user's docker CLI reaches a daemon that runs, or gets
         * "Cannot connect to the Docker daemon". */
        if (!dock_daemon_up(d))
            rc = SIM_ECONNREFUSED;
        else if (a->kind == SC_ACT_DOCKER_RM)
            rc = dock_container_remove(d, a->container, a->force);
        else
            rc = dock_container_add(d, a->container, a->image, "running",
                                    NULL);
        act_trace(w, a, a->container, rc);
        return;
    }
    case SC_ACT_APP_PATCH: {
        winst_t *wi = &w->inst[a->instance];
        kube_obj_t app;
        kube_status_t st;
        if (!wi->up) {
            act_trace(w, a, "instance not started", SIM_ESTATE);
            return;
        }
        rc = rdd_get_app(&wi->inst, kube_store_reader(wi->inst.api), &app);
        if (rc == 0)
            rc = kube_spec_set(&app, a->key, a->value);
        if (rc == 0)
            rc = kube_update(wi->inst.api, &app, &st);
        act_trace(w, a, a->key, rc);
        return;
    }
    case SC_ACT_RDD_SET:
        rdd_set(w, a);
        return;
    case SC_ACT_PROC_KILL:
    case SC_ACT_PROC_EXIT: {
        uint32_t pid = action_pid(w, a);
        char what[48];
        snprintf(what, sizeof(what), "%s %u", a->proc, pid);
        rc = !pid ? SIM_ESRCH
             : a->kind == SC_ACT_PROC_KILL ? host_kill(w->host, pid)
                                           : host_exit(w->host, pid, a->code);
        act_trace(w, a, what, rc);
        return;
    }
    case SC_ACT_PROC_SPAWN:
        rc = host_spawn_pid(w->host, a->pid, a->path, a->proc, 0, 1);
        act_trace(w, a, a->path, rc);
        return;
    case SC_ACT_FS_HOLD:
    case SC_ACT_FS_RELEASE: {
        uint32_t pid = action_pid(w, a);
        char path[HOST_PATH_MAX];
        action_path(w, a, path);
        if (!pid)
            rc = SIM_ESRCH;
        else if (a->kind == SC_ACT_FS_HOLD)
            rc = host_fs_hold(w->host, path, pid);
        else
            host_fs_release(w->host, path, pid);
        act_trace(w, a, path, rc);
        return;
    }
    case SC_ACT_WSL_START:
        rc = host_wsl_start(w->host, a->distro, "user", NULL, 0);
        act_trace(w, a, a->distro, rc);
        return;
    case SC_ACT_WSL_TERMINATE:
        rc = host_wsl_terminate(w->host, a->distro, "user");
        act_trace(w, a, a->distro, rc);
        return;
    case SC_ACT_PIPE_HOLD: {
        pipe_hold_t *h = &w->holds[w->cur_action];
        npipe_owner_t me;
        memset(h, 0, sizeof(*h));
        h->w = w;
        h->for_ns = a->for_ns;
        snprintf(h->pipe, sizeof(h->pipe), "%s", a->pipe);
        rc = host_spawn(w->host, "C:/Program Files/Docker/docker.exe",
                        "docker", 0, 1, &h->pid);
        me.proc = "docker";
        me.pid = h->pid;
        if (rc == 0)
            rc = npipe_dial(w->pipes, a->pipe, me, SIM_NEVER, SIM_EDEADLINE,
                            hold_dialed, h, NULL);
        act_trace(w, a, a->pipe, rc);
        return;
    }
    case SC_ACT_OWNER_CRASH:
        owner_crash(&w->owners[a->owner]);
        act_trace(w, a, w->owners[a->owner].name, 0);
        return;
    case SC_ACT_HOSTSWITCH_DIE: {
        winst_t *wi = &w->inst[a->instance];
        if (wi->up)
            rdd_hostswitch_die(&wi->inst, "vsock accept: use of closed "
                                          "network connection");
        act_trace(w, a, NULL, wi->up ? 0 : SIM_ESTATE);
        return;
    }
    case SC_ACT_SVC_START: {
        winst_t *wi = &w->inst[a->instance];
        if (!wi->up) {
            act_trace(w, a, "instance not started", SIM_ESTATE);
            return;
        }
        apply_env(w, a->instance);
        if (a->path[0])
            snprintf(wi->inst.vp.exe, sizeof(wi->inst.vp.exe), "%s", a->path);
        rc = rdd_svc_start(&wi->inst);
        act_trace(w, a, wi->inst.id.name, rc);
        return;
    }
    case SC_ACT_SVC_STOP:
    case SC_ACT_SVC_DELETE: {
        winst_t *wi = &w->inst[a->instance];
        if (!wi->up) {
            act_trace(w, a, "instance not started", SIM_ESTATE);
            return;
        }
        rc = a->kind == SC_ACT_SVC_STOP
                 ? rdd_svc_stop(&wi->inst, a->console)
                 : rdd_svc_delete(&wi->inst, a->console);
        act_trace(w, a, a->console ? "interrupt" : "no console", rc);
        return;
    }
    case SC_ACT_CONTEXT_USE:
    case SC_ACT_CONTEXT_SEED: {
        char dir[HOST_PATH_MAX];
        user_config_dir(w, a, dir);
        rc = a->kind == SC_ACT_CONTEXT_USE
                 ? rdd_dctx_user_use(&w->loop, w->host, dir, a->obj_name)
                 : rdd_dctx_seed(w->host, dir, a->obj_name, a->ctx_host);
        act_trace(w, a, a->obj_name, rc);
        return;
    }
    case SC_ACT_BATS_SETUP:
    case SC_ACT_BATS_TEST37:
        bats_step(w, a);
        return;
    case SC_ACT_APP_DELETE: {
        winst_t *wi = &w->inst[a->instance];
        kube_status_t st;
        rc = wi->up ? kube_delete(wi->inst.api, KUBE_APP, "", RDD_APP_NAME,
                                  &st)
                    : SIM_ESTATE;
        act_trace(w, a, RDD_APP_NAME, rc);
        return;
    }
    case SC_ACT_KUBE_CREATE: {
        winst_t *wi = &w->inst[a->instance];
        kube_obj_t o;
        kube_status_t st;
        if (!wi->up) {
            act_trace(w, a, "instance not started", SIM_ESTATE);
            return;
        }
        kube_obj_init(&o, a->kube_kind, wi->inst.engine.api_ns, a->obj_name);
        rc = kube_create(wi->inst.api, &o, &st);
        act_trace(w, a, a->obj_name, rc);
        return;
    }
    default:
        SIM_ASSERT(0);
    }
}

static void cli_print(rdd_cli_t *c, const char *line)
{
    sim_trace_t *tr = sim_trace_begin(&c->w->loop, "rdd.cli.print");
    sim_trace_str(tr, "inst", c->wi->inst.id.name);
    sim_trace_str(tr, "line", line);
    sim_trace_end(tr);
}

static void cli_exit(rdd_cli_t *c, int code, const char *err)
{
    sim_trace_t *tr;
    c->done = 1;
    sim_timer_stop(&c->timeout);
    if (c->api_epoch == c->wi->inst.api_epoch)
        kube_unwatch(c->wi->inst.api, c->watch_id);
    tr = sim_trace_begin(&c->w->loop, "rdd.cli.exit");
    sim_trace_str(tr, "inst", c->wi->inst.id.name);
    sim_trace_str(tr, "cmd", c->a->running ? "rdd set running=true"
                                            : "rdd set running=false");
    sim_trace_i64(tr, "code", code);
    sim_trace_str(tr, "err", err);
    sim_trace_ns(tr, "elapsed", sim_now(&c->w->loop) - c->start_ns);
    sim_trace_end(tr);
}

/* set.go:509-536 conditionReporter.report and the Settled predicate. */
static void cli_on_app(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    rdd_cli_t *c = arg;
    const kube_cond_t *settled;
    int i, k;
    if (c->done || o->kind != KUBE_APP || type == KUBE_DELETED)
        return;
    for (i = 0; i < o->nconds; i++) {
        const kube_cond_t *cd = &o->conds[i];
        char key[KUBE_MSG_MAX + 80], line[KUBE_MSG_MAX + 120];
        if (cd->observed_gen < c->min_gen)
            continue;
        snprintf(key, sizeof(key), "%s|%s|%s", cd->status, cd->reason,
                 cd->message);
        for (k = 0; k < c->nseen; k++)
            if (!strcmp(c->seen[k][0], cd->type))
                break;
        if (k < c->nseen && !strcmp(c->seen[k][1], key))
            continue;
        if (k == c->nseen) {
            if (c->nseen == KUBE_CONDS_MAX)
                continue;
            snprintf(c->seen[k][0], sizeof(c->seen[k][0]), "%s", cd->type);
            c->nseen++;
        }
        snprintf(c->seen[k][1], sizeof(c->seen[k][1]), "%s", key);
        snprintf(line, sizeof(line), "%s=%s: %s (%s)", cd->type, cd->status,
                 cd->message, cd->reason);
        cli_print(c, line);
    }
    settled = kube_cond_find(o, "Settled");
    if (settled && settled->observed_gen >= c->min_gen &&
        !strcmp(settled->status, "True"))
        cli_exit(c, 0, "");
}

static void cli_timeout(sim_timer_t *t)
{
    rdd_cli_t *c = t->data;
    /* watchtools.UntilWithSync's deadline: wait.ErrWaitTimeout. */
    cli_exit(c, 1, "timed out waiting for the condition");
}

/* set.go:255-328 setAction: patch, take the post-write generation, wait. */
static void rdd_set(world_t *w, const sc_action_t *a)
{
    rdd_cli_t *c = &w->cli[w->cur_action];
    winst_t *wi = &w->inst[a->instance];
    kube_obj_t app;
    kube_status_t st;
    int rc;
    memset(c, 0, sizeof(*c));
    c->w = w;
    c->wi = wi;
    c->a = a;
    c->start_ns = sim_now(&w->loop);
    if (!wi->up) {
        act_trace(w, a, "instance not started", SIM_ESTATE);
        return;
    }
    /* patchApp: a merge patch, so no resourceVersion precondition. */
    kube_obj_init(&app, KUBE_APP, "", RDD_APP_NAME);
    rc = kube_spec_set(&app, "running", a->running ? "true" : "false");
    if (rc == 0)
        rc = kube_apply(wi->inst.api, &app, 0, &st);
    if (rc == 0)
        rc = rdd_get_app(&wi->inst, kube_store_reader(wi->inst.api), &app);
    act_trace(w, a, a->running ? "running=true" : "running=false", rc);
    if (rc) {
        cli_exit(c, 1, st.message);
        return;
    }
    c->min_gen = app.generation;
    cli_print(c, "Waiting for App to settle");
    c->watch_id = kube_watch(wi->inst.api, KUBE_APP, cli_on_app, c);
    c->api_epoch = wi->inst.api_epoch;
    sim_timer_init(&w->loop, &c->timeout);
    c->timeout.data = c;
    (void)sim_timer_start(&c->timeout, cli_timeout, a->timeout_ns);
    /* UntilWithSync lists first: an already-settled App returns at once. */
    cli_on_app(c, KUBE_MODIFIED, &app);
}

static void owner_start_cb(void *arg, void *op)
{
    owner_start_checked(arg, op);
}

/* The instance's apiserver as the world watches it: its lag, the commit
 * observer of the invariants, and the S2/S7 watch. */
static void watch_store(winst_t *wi)
{
    const sc_instance_t *si = &wi->w->sc->instances[wi - wi->w->inst];
    kube_store_set_lag(wi->inst.api, &si->lag);
    kube_store_observe(wi->inst.api, on_commit, wi);
    wi->watch_id = kube_watch(wi->inst.api, KUBE_KIND__COUNT,
                              on_mirror_change, wi);
}

/* The service's environment (frozen at `rdd svc start`): RDD_LOG_DIR,
 * DOCKER_CONFIG (the scenario's, or what a replayed BATS setup exported),
 * DOCKER_HOST, DOCKER_CONTEXT. */
static void apply_env(world_t *w, int i)
{
    const sc_instance_t *si = &w->sc->instances[i];
    winst_t *wi = &w->inst[i];
    rdd_instance_t *in = &wi->inst;
    if (si->env_log_dir[0]) {
        rdd_identity_log_dir(&in->id, si->env_log_dir, w->var->flags);
        host_path_norm(in->id.log_dir, in->log_dir);
    }
    if (wi->bats_ran && wi->bats.daemon_docker_config[0])
        memcpy(in->dctx.env_docker_config, wi->bats.daemon_docker_config,
               sizeof(in->dctx.env_docker_config));
    else if (si->env_docker_config[0])
        host_path_norm(si->env_docker_config, in->dctx.env_docker_config);
    snprintf(in->dctx.env_docker_host, sizeof(in->dctx.env_docker_host),
             "%s", si->env_docker_host);
    snprintf(in->dctx.env_docker_context,
             sizeof(in->dctx.env_docker_context), "%s",
             si->env_docker_context);
}

/* `rdd svc start` (rdd/cmd/rdd/service.go:263-275): a live Dir()/rdd.pid means the
 * control plane is already running, so nothing starts; the alias's steps
 * reach the running instance (unset and "2" are one instance, H7). */
static int already_running(world_t *w, int i)
{
    const sc_instance_t *si = &w->sc->instances[i];
    rdd_identity_t id;
    int j;
    rdd_identity(&id, w->sc->os, si->env_set, si->value,
                 rdd_os_home(w->sc->os), w->var->flags);
    for (j = 0; j < w->sc->ninstances; j++) {
        sim_trace_t *tr;
        if (j == i || !w->inst[j].up || strcmp(w->inst[j].inst.id.dir, id.dir))
            continue;
        w->inst[i].alias = j;
        snprintf(w->inst[i].alias_name, sizeof(w->inst[i].alias_name), "%s",
                 id.name);
        if (w->inst[j].inst.svc == RDD_SVC_DOWN)
            (void)rdd_svc_start(&w->inst[j].inst);
        tr = sim_trace_begin(&w->loop, "rdd.svc.already_running");
        sim_trace_str(tr, "inst", id.name);
        sim_trace_str(tr, "dir", id.dir);
        sim_trace_u64(tr, "pid", w->inst[j].inst.proc.pid);
        sim_trace_end(tr);
        return 1;
    }
    return 0;
}

static void start_instance(world_t *w, int i)
{
    const sc_instance_t *si = &w->sc->instances[i];
    winst_t *wi = &w->inst[i];
    rdd_vm_params_t vp;
    sim_trace_t *tr;
    int rc;
    if (already_running(w, i))
        return;
    memset(&vp, 0, sizeof(vp));
    vp.prepare_ns = si->prepare_ns ? si->prepare_ns : SIM_S(1);
    vp.handshake_ns = si->handshake_ns;
    vp.boot_ns = si->boot_ns;
    vp.never_running = si->never_running;
    vp.keep_logs = si->keep_logs;
    snprintf(vp.exe, sizeof(vp.exe), "%s",
             si->exe[0] ? si->exe
             : w->sc->os == RDD_OS_WINDOWS
                 ? "C:/Program Files/Rancher Desktop/resources/rdd.exe"
                 : "/usr/bin/rdd");
    rc = rdd_instance_init(&wi->inst, &w->loop, w->host, w->sc->os,
                           si->env_set, si->value, w->var->flags, w->pipes,
                           w->socks, w->vm_daemons[i], &vp);
    tr = sim_trace_begin(&w->loop, "rdd.instance.start");
    sim_trace_str(tr, "inst", wi->inst.id.name);
    sim_trace_str(tr, "endpoint", wi->inst.id.docker_endpoint);
    sim_trace_str(tr, "bridge_pipe", wi->inst.id.bridge_pipe);
    sim_trace_err(tr, "rc", rc);
    sim_trace_end(tr);
    if (rc)
        return;
    wi->up = 1;
    apply_env(w, i);
    wi->api_epoch = wi->inst.api_epoch;
    watch_store(wi);
    if (rdd_svc_start(&wi->inst) == 0)
        (void)rdd_app_ensure(&wi->inst);
}

static void instance_start_cb(void *arg, void *ip)
{
    world_t *w = arg;
    start_instance(w, (int)((winst_t *)ip - w->inst));
}

static void tick(sim_timer_t *t)
{
    (void)sim_timer_start(t, tick, SIM_NS_PER_S);
}

static int build(world_t *w)
{
    const scenario_t *sc = w->sc;
    int i, rc;
    if ((rc = host_new(&w->loop, sc->os == RDD_OS_WINDOWS, &w->host)) != 0)
        return rc;
    if ((rc = npipe_ns_new(&w->loop, &w->pipes)) != 0)
        return rc;
    if ((rc = uds_ns_new(&w->loop, &w->socks)) != 0)
        return rc;
    for (i = 0; i < sc->ndaemons; i++) {
        int j, owned = 0;
        rc = dock_daemon_new(&w->loop, sc->daemons[i].name, sc->daemons[i].id,
                             &w->daemons[i]);
        if (rc)
            return rc;
        /* A daemon behind an owner is down until its owner starts; it is
         * populated while down so its containers keep their states. */
        for (j = 0; j < sc->nowners; j++)
            owned |= !strcmp(sc->owners[j].daemon, sc->daemons[i].name);
        if (owned)
            dock_daemon_stop(w->daemons[i]);
        if ((rc = populate(w, w->daemons[i], &sc->daemons[i])) != 0)
            return rc;
    }
    for (i = 0; i < sc->nowners; i++) {
        const sc_owner_t *so = &sc->owners[i];
        int d = so->daemon[0] ? find_daemon(w, so->daemon) : -1;
        owner_init(&w->owners[i], so->kind, so->name, so->pipe, &w->loop,
                   w->pipes, PID_OWNER0 + (uint32_t)i,
                   d >= 0 ? w->daemons[d] : NULL);
        if (so->machine_pipe[0])
            owner_set_machine_pipe(&w->owners[i], so->machine_pipe);
        if (so->has_start &&
            (rc = sim_call(&w->loop, so->start_ns, owner_start_cb, w,
                           &w->owners[i])) != 0)
            return rc;
    }
    for (i = 0; i < sc->ninstances; i++) {
        const sc_instance_t *si = &sc->instances[i];
        char name[96], id[96];
        snprintf(name, sizeof(name), "vm-%s",
                 si->env_set ? si->value : "unset");
        snprintf(id, sizeof(id), "RDD-VM-ENGINE-%s",
                 si->env_set ? si->value : "unset");
        rc = dock_daemon_new(&w->loop, name, id, &w->vm_daemons[i]);
        if (rc)
            return rc;
        dock_daemon_stop(w->vm_daemons[i]); /* up when its VM boots */
        w->inst[i].alias = -1;
        if ((rc = populate(w, w->vm_daemons[i], &si->daemon)) != 0)
            return rc;
        w->inst[i].w = w;
        if ((rc = sim_call(&w->loop, si->start_ns, instance_start_cb, w,
                           &w->inst[i])) != 0)
            return rc;
    }
    for (i = 0; i < sc->nactions; i++)
        if ((rc = sim_call(&w->loop, sc->actions[i].at_ns, run_action, w,
                           (void *)&sc->actions[i])) != 0)
            return rc;
    for (i = 0; i < sc->nfaults; i++) {
        sim_faults_arm(&w->faults, sc->faults[i].site, &sc->faults[i].arm,
                       w->loop.seed);
    }
    sim_timer_init(&w->loop, &w->tick);
    if ((rc = sim_timer_start(&w->tick, tick, SIM_NS_PER_S)) != 0)
        return rc;
    return add_invariants(w);
}

static void teardown(world_t *w)
{
    int i;
    sim_timer_stop(&w->tick);
    for (i = 0; i < w->sc->nactions; i++)
        if (w->holds[i].w) {
            sim_timer_stop(&w->holds[i].until);
            if (w->holds[i].conn)
                sim_stream_close(w->holds[i].conn, NULL);
        }
    for (i = 0; i < w->sc->nactions; i++)
        if (w->cli[i].w && !w->cli[i].done && w->cli[i].watch_id > 0 &&
            w->cli[i].api_epoch == w->cli[i].wi->inst.api_epoch) {
            sim_timer_stop(&w->cli[i].timeout);
            kube_unwatch(w->cli[i].wi->inst.api, w->cli[i].watch_id);
        }
    for (i = 0; i < w->sc->ninstances; i++)
        if (w->inst[i].up)
            rdd_instance_free(&w->inst[i].inst);
    for (i = 0; i < w->sc->nowners; i++)
        owner_stop(&w->owners[i]);
    for (i = 0; i < SC_MAX_DAEMONS; i++)
        if (w->daemons[i])
            dock_daemon_free(w->daemons[i]);
    for (i = 0; i < SC_MAX_INSTANCES; i++)
        if (w->vm_daemons[i])
            dock_daemon_free(w->vm_daemons[i]);
    if (w->socks)
        uds_ns_free(w->socks);
    if (w->pipes)
        npipe_ns_free(w->pipes);
    if (w->host)
        host_free(w->host);
    sim_loop_close(&w->loop);
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int world_run_one(const scenario_t *sc, const sc_variant_t *v,
                         uint64_t seed, const world_io_t *io,
                         world_result_t *res);

/* A matrix cell runs as the concrete scenario scenario_cell makes. */
int world_run(const scenario_t *sc, const sc_variant_t *v, uint64_t seed,
              const world_io_t *io, world_result_t *res)
{
    scenario_t *cell;
    int rc;
    if (!sc->is_matrix || v->cell_owner < 0)
        return world_run_one(sc, v, seed, io, res);
    if (!(cell = sim__calloc(1, sizeof(*cell))))
        return SIM_ENOMEM;
    scenario_cell(sc, v, cell);
    rc = world_run_one(cell, &cell->variants[0], seed, io, res);
    sim__free(cell);
    return rc;
}

static int world_run_one(const scenario_t *sc, const sc_variant_t *v,
                         uint64_t seed, const world_io_t *io,
                         world_result_t *res)
{
    world_t *w = sim__calloc(1, sizeof(*w));
    sim_trace_t *tr;
    int rc, i, k;
    FILE *mem = NULL;
    char *mem_buf = NULL;
    size_t mem_len = 0;
    if (!w)
        return SIM_ENOMEM;
    memset(res, 0, sizeof(*res));
    w->sc = sc;
    w->var = v;
    if ((rc = sim_loop_init(&w->loop, seed)) != 0) {
        sim__free(w);
        return rc;
    }
    if (v->ntrace || v->nno_trace)
        mem = open_memstream(&mem_buf, &mem_len);
    sim_trace_init(&w->trace, mem ? mem : io ? io->text : NULL,
                   io ? io->jsonl : NULL);
    w->loop.trace = &w->trace;
    sim_faults_init(&w->faults);
    w->loop.faults = &w->faults;
    sim_inv_init(&w->inv, &w->loop);
    tr = sim_trace_begin(&w->loop, "sim.run.start");
    sim_trace_u64(tr, "seed", seed);
    sim_trace_str(tr, "scenario", sc->name);
    sim_trace_str(tr, "variant", v->name);
    sim_trace_u64(tr, "flags", v->flags);
    sim_trace_str(tr, "host", sc_host_name(sc->host));
    sim_trace_end(tr);
    rc = build(w);
    if (rc == 0) {
        w->loop.after_event = after_event;
        w->loop.after_event_arg = w;
        sim_loop_run(&w->loop, sc->duration_ns);
        sim_inv_check_end(&w->inv);
        find_stalls(w, res);
    }
    res->seed = seed;
    res->events = w->loop.events;
    res->sim_ns = sim_now(&w->loop);
    for (i = 0; i < w->inv.n; i++) {
        const sim_inv_entry_t *e = &w->inv.e[i];
        if (!e->violations)
            continue;
        k = res->nviolated++;
        snprintf(res->violated[k], sizeof(res->violated[k]), "%s", e->id);
        res->violated_ns[k] = e->first_ns;
        snprintf(res->why[k], sizeof(res->why[k]), "%s", e->why);
    }
    /* Sort ids, keeping time and sentence with them. */
    for (i = 1; i < res->nviolated; i++)
        for (k = i; k > 0 && cmp_ids(res->violated[k - 1],
                                     res->violated[k]) > 0; k--) {
            char id[8], why[SIM_INV_WHY_MAX];
            uint64_t t = res->violated_ns[k];
            memcpy(id, res->violated[k], sizeof(id));
            memcpy(why, res->why[k], sizeof(why));
            memcpy(res->violated[k], res->violated[k - 1], sizeof(id));
            memcpy(res->why[k], res->why[k - 1], sizeof(why));
            res->violated_ns[k] = res->violated_ns[k - 1];
            memcpy(res->violated[k - 1], id, sizeof(id));
            memcpy(res->why[k - 1], why, sizeof(why));
            res->violated_ns[k - 1] = t;
        }
    res->matches = res->nviolated == v->nexpect;
    for (i = 0; res->matches && i < v->nexpect; i++)
        res->matches = !strcmp(res->violated[i], v->expect[i]);
    /* The hash covers every line before sim.run.end, which carries it. */
    res->trace_hash = w->trace.hash;
    tr = sim_trace_begin(&w->loop, "sim.run.end");
    sim_trace_u64(tr, "events", w->loop.events);
    sim_trace_u64(tr, "violated", (uint64_t)res->nviolated);
    {
        char h[20];
        snprintf(h, sizeof(h), "%016" PRIx64, res->trace_hash);
        sim_trace_str(tr, "trace_hash", h);
    }
    sim_trace_end(tr);
    res->trace_events = w->trace.seq;
    w->loop.trace = NULL;
    if (mem) {
        fclose(mem);
        if (io && io->text && mem_buf)
            fwrite(mem_buf, 1, mem_len, io->text);
        for (i = 0; i < v->ntrace && !res->trace_miss[0]; i++)
            if (!mem_buf || !strstr(mem_buf, v->trace[i]))
                snprintf(res->trace_miss, sizeof(res->trace_miss),
                         "missing from the trace: %s", v->trace[i]);
        for (i = 0; i < v->nno_trace && !res->trace_miss[0]; i++)
            if (mem_buf && strstr(mem_buf, v->no_trace[i]))
                snprintf(res->trace_miss, sizeof(res->trace_miss),
                         "found in the trace: %s", v->no_trace[i]);
        free(mem_buf);
        if (res->trace_miss[0])
            res->matches = 0;
    }
    teardown(w);
    sim__free(w);
    return rc;
}
