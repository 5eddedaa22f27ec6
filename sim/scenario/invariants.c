/*
 * invariants.c: the invariant catalogue (sim_inv_catalogue, the ids,
 * titles and statements the reports print) and the checks that judge a
 * world against it, which need the whole world to judge it.
 *
 * Each check_* is a sim_inv_check_cb that runs after every event (S15 only
 * at the end); add_invariants registers them.  Some judge state as it is
 * (the Docker call logs, the pipe namespace, the engines' counters); others
 * read what the observers below recorded as it happened:
 *   - on_commit, the store's commit observer (kube_store_observe): the
 *     Settled judgement of S5/S6 (judge_settled), S16's foreign deletes,
 *     L3's Starting clock (track_starting), L6's Running=True and L9's
 *     App deletion;
 *   - the timeline's `rdd ctl` client (actions.c): S17's foreign reach;
 *   - on_mirror_change, a watch of every kind: S2's mirror provenance and,
 *     through on_app_change, S7's observedGeneration and L1's clock.
 * world.c installs both (watch_store).  Private structures: world_int.h.
 */
#include "world_int.h"

#include <stddef.h>
#include <string.h>

#include "sim/assert.h"
#include "sim/errno.h"

const sim_inv_info_t sim_inv_catalogue[] = {
    {"S1", "daemon ownership",
     "every mutating Docker call from instance I reaches I's own dockerd "
     "(docs/invariants.md)"},
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
     "informer cache hold zero mirrors; Settled True at G with "
     "spec.running=false means Running says Stopped and "
     "ContainerEngineReady Stopped/NotApplicable at >= G"},
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
     "Stopped at the current generation, the store holds no mirror that "
     "existed when that Stopped was written"},
    {"S6", "running-settled soundness",
     "Settled True at G with spec.running=true and the engine enabled "
     "implies Running True, the template up to date and "
     "ContainerEngineReady True with observedGeneration >= G"},
    {"S12", "cross-instance isolation",
     "two live instances never share a pipe, socket, ShortDir, Dir, LogDir, "
     "Docker context, WSL distro, vsock port or TCP port (a real bind that "
     "fails; a port ResolvePort moved is shared with nobody and is not "
     "counted), and no operation of one terminates or unregisters the "
     "other's distro or kills its processes"},
    {"S13", "no foreign kill",
     "every kill or signal the LimaVM controller sends hits a process of "
     "its own instance (ours: DriverPID is not exempt, so pid reuse, H14, "
     "shows)"},
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
    {"S17", "client reaches its own apiserver",
     "every connection a client of instance X makes to the server in X's "
     "kubeconfig (Config(), as `rdd ctl` reads it) reaches X's own "
     "apiserver, never another instance's or another process"},
};
const size_t sim_inv_catalogue_len =
    sizeof(sim_inv_catalogue) / sizeof(sim_inv_catalogue[0]);

/* invariants ----------------------------------------------------------------*/

static dock_daemon_t *daemon_at(world_t *w, int i)
{
    return i < SC_MAX_DAEMONS ? w->daemons[i]
                              : w->vm_daemons[i - SC_MAX_DAEMONS];
}

/* The next call d logged since *cursor, or NULL. */
static const dock_call_t *next_from(dock_daemon_t *d, size_t *cursor,
                                    dock_daemon_t **from)
{
    const dock_call_t *calls;
    if (!d || *cursor >= dock_calls(d, &calls))
        return NULL;
    *from = d;
    return &calls[(*cursor)++];
}

/* The next mutating call any daemon logged since *cursors last moved, and
 * the daemon that logged it; NULL when there is none.  Each invariant that
 * reads the call logs keeps its own cursors.  Daemons exist at [0,
 * ndaemons) and VM daemons at SC_MAX_DAEMONS + [0, ninstances) (world.c),
 * so only those slots are read, in that order. */
static const dock_call_t *next_call(world_t *w, size_t *cursors,
                                    dock_daemon_t **from)
{
    const dock_call_t *c;
    int i;
    for (i = 0; i < w->sc->ndaemons; i++)
        if ((c = next_from(w->daemons[i], &cursors[i], from)) != NULL)
            return c;
    for (i = 0; i < w->sc->ninstances; i++)
        if ((c = next_from(w->vm_daemons[i], &cursors[SC_MAX_DAEMONS + i],
                           from)) != NULL)
            return c;
    return NULL;
}

/* Invariants judged where the event happens (watch callbacks, the commit
 * observer, the BATS steps) leave a sentence in a winst_t field at offset
 * off; the check reports the first instance's. */
static int first_noted(world_t *w, size_t off, char *why, size_t len)
{
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        const char *noted = (const char *)&w->inst[j] + off;
        if (noted[0]) {
            snprintf(why, len, "%s", noted);
            return 1;
        }
    }
    return 0;
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
    /* A deleted and re-created App (`rdd set` creates a missing one) is a
     * new object: its generation starts again at 1 */
    if (o->uid != wi->s7_uid || wi->inst.api_epoch != wi->s7_epoch) {
        wi->s7_uid = o->uid;
        wi->s7_epoch = wi->inst.api_epoch; /* svc delete: a new datastore */
        wi->s7_n = 0;
    }
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
            wi->running_false_seq = wi->w->trace.last_seq;
        }
    } else {
        wi->running_false = 0;
    }
}

void on_mirror_change(void *arg, kube_event_type_t type,
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
    return first_noted(ctx, offsetof(winst_t, provenance_bad), why, len);
}

/* The App's ContainerEngineReady condition (NULL: no App, or no such
 * condition) and the App's generation; the store is read again only when
 * its revision or the store itself changed. */
static const kube_cond_t *app_engine(winst_t *wi, int64_t *gen)
{
    static kube_obj_t app; /* large; the world is single-threaded */
    uint64_t rv = kube_store_rv(wi->inst.api);
    if (!wi->appc_valid || wi->appc_api != (const void *)wi->inst.api ||
        wi->appc_epoch != wi->inst.api_epoch || wi->appc_rv != rv) {
        const kube_cond_t *c = NULL;
        wi->appc_valid = 1;
        wi->appc_api = wi->inst.api;
        wi->appc_epoch = wi->inst.api_epoch;
        wi->appc_rv = rv;
        wi->appc_gen = 0;
        if (rdd_get_app(&wi->inst, kube_store_reader(wi->inst.api), &app) ==
            0) {
            c = kube_cond_find(&app, RDD_COND_ENGINE);
            wi->appc_gen = app.generation;
        }
        wi->appc_has = c != NULL;
        if (c)
            wi->appc_cond = *c;
    }
    *gen = wi->appc_gen;
    return wi->appc_has ? &wi->appc_cond : NULL;
}

static int check_s3(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        const kube_cond_t *c;
        int64_t gen;
        if (!wi->up || !wi->inst.bridge.failed_this_vm)
            continue;
        c = app_engine(wi, &gen);
        if (c && !strcmp(c->status, "True") &&
            !strcmp(c->reason, "Connected")) {
            snprintf(why, len,
                     "%s reports ContainerEngineReady True/Connected although "
                     "its bridge failed: %s",
                     wi->inst.id.name, wi->inst.bridge.bind_msg);
            sim_inv_link(&w->inv, "swallowed", wi->inst.bridge.fail_seq);
            sim_inv_link(&w->inv, "engine", wi->cond_seq[WI_COND_ENGINE]);
            return 1;
        }
    }
    return 0;
}

static int check_s11(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int i;
    uint64_t up = 0, gen = npipe_ns_generation(w->pipes);
    for (i = 0; i < w->sc->ninstances; i++)
        up |= (uint64_t)(w->inst[i].up != 0) << i;
    /* The counts change only with the namespace or the instances that
     * are up: recount only then. */
    if (w->s11_valid && gen == w->s11_gen && up == w->s11_up)
        return 0;
    w->s11_valid = 1;
    w->s11_gen = gen;
    w->s11_up = up;
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
        if (w->inst[j].up && pid && w->inst[j].inst.proc.pid == pid) {
            snprintf(w->s14_why, sizeof(w->s14_why),
                     "%s cannot start: %s (the name is held by %s)",
                     o->name, o->start_err, w->inst[j].inst.id.name);
            w->s14_holder = npipe_creator_trace(w->pipes, o->pipe);
        }
}

void owner_start_checked(world_t *w, owner_t *o)
{
    if (owner_start(o) && !w->s14_why[0]) {
        w->s14_judged[o - w->owners] = 1;
        blame_holder(w, o);
    }
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
    sim_inv_link(&w->inv, "holder", w->s14_holder);
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
            sim_inv_link(&w->inv, "engine", e->trace_seq);
            sim_inv_link(&w->inv, "deleted", e->deleted_seq);
            return 1;
        }
    }
    return 0;
}

static int check_s7(void *ctx, char *why, size_t len)
{
    return first_noted(ctx, offsetof(winst_t, s7_bad), why, len);
}

/* The engine condition is Stopped at the App's current generation. */
static int engine_stopped_now(winst_t *wi)
{
    int64_t gen;
    const kube_cond_t *c = app_engine(wi, &gen);
    return c && !strcmp(c->reason, "Stopped") && c->observed_gen >= gen;
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
        sim_inv_due(&w->inv, wi->running_false_ns + limit,
                    wi->running_false_seq);
        if (wi->inst.engine.error_seq > wi->running_false_seq)
            sim_inv_link(&w->inv, "error", wi->inst.engine.error_seq);
        sim_inv_link(&w->inv, "engine", wi->inst.engine.trace_seq);
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

typedef struct {
    uint64_t mark;
    int only_owned;
    size_t n;
} s15_count_t;

static int count_older(void *arg, const kube_obj_t *o)
{
    s15_count_t *c = arg;
    c->n += o->uid <= c->mark &&
            (!c->only_owned ||
             kube_has_finalizer(o, RDD_MIRROR_FINALIZER) || o->deleting);
    return 0;
}

/* Mirror resources (every object of the mirror kinds, as
 * countMirrorResources counts them; with sweep_only_owned, those the
 * sweep owns) in the store that existed when the last Stopped was
 * written: one a user creates after the stop completed did not outlive
 * it (S16 judges what happens to it). */
static size_t mirrors_outliving(winst_t *wi)
{
    static const kube_kind_t kinds[] = {KUBE_CONTAINER, KUBE_VOLUME,
                                        KUBE_IMAGE, KUBE_CONTAINER_NS};
    kube_reader_t *r = kube_store_reader(wi->inst.api);
    kube_status_t st;
    s15_count_t c = {wi->inst.engine.stopped_uid_mark,
                     RDD_HAS(wi->inst.flags, SWEEP_ONLY_OWNED), 0};
    size_t i;
    for (i = 0; i < SIM_ARRAY_LEN(kinds); i++)
        (void)r->list(r, kinds[i], wi->inst.engine.api_ns, count_older, &c,
                      &st);
    return c.n;
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
        n = mirrors_outliving(wi);
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

int store_get(winst_t *wi, kube_kind_t k, const char *ns,
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
 * event (docs/invariants.md's premature-stamp caveat). */
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

/* The trace seq of the commit on_commit is told about: the store calls
 * its observer first and traces the write right after (kube/store.c). */
static uint64_t commit_seq(const winst_t *wi)
{
    return wi->w->trace.seq + 1;
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
        wi->starting_seq = commit_seq(wi);
    }
}

static int mirror_kind(kube_kind_t k)
{
    return k == KUBE_CONTAINER || k == KUBE_IMAGE || k == KUBE_VOLUME ||
           k == KUBE_CONTAINER_NS;
}

/* Stalls: the commit at which a condition took its present status and
 * reason (sim.stall links to it; never hashed). */
static void track_cond(winst_t *wi, int slot, kube_event_type_t type,
                       const kube_obj_t *o, const char *cond)
{
    const kube_cond_t *c =
        type == KUBE_DELETED ? NULL : kube_cond_find(o, cond);
    char key[sizeof(wi->cond_key[0])];
    if (!c) {
        wi->cond_key[slot][0] = 0;
        wi->cond_seq[slot] = 0;
        return;
    }
    snprintf(key, sizeof(key), "%s/%s", c->status, c->reason);
    if (strcmp(key, wi->cond_key[slot])) {
        memcpy(wi->cond_key[slot], key, sizeof(key));
        wi->cond_seq[slot] = commit_seq(wi);
    }
}

void on_commit(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    winst_t *wi = arg;
    if (o->kind == KUBE_APP) {
        track_cond(wi, WI_COND_SETTLED, type, o, "Settled");
        track_cond(wi, WI_COND_ENGINE, type, o, RDD_COND_ENGINE);
    } else if (o->kind == KUBE_LIMAVM && !strcmp(o->name, "rd")) {
        track_cond(wi, WI_COND_CREATED, type, o, "Created");
        track_cond(wi, WI_COND_RUNNING, type, o, RDD_COND_RUNNING);
    }
    /* S16: an object no sync produced, deleted while no user acts. */
    if (mirror_kind(o->kind) && !o->provenance[0] && !wi->s16_bad[0] &&
        !wi->w->in_user_action &&
        (type == KUBE_DELETED || (o->deleting && o->nfin == 0)))
        snprintf(wi->s16_bad, sizeof(wi->s16_bad),
                 "%s deleted %s %s/%s, which no Docker sync produced",
                 wi->inst.id.name, kube_kind_name(o->kind), o->ns, o->name);
    /* L9 judges a deletion only while the App stays deleted: a user's
     * `rdd set` creates a new App (set.go:303-309), whose engine may
     * rightly run a watcher. */
    if (o->kind == KUBE_APP && type == KUBE_ADDED)
        wi->app_gone = 0;
    if (o->kind == KUBE_APP && type == KUBE_DELETED && !wi->app_gone) {
        wi->app_gone = 1;
        wi->app_gone_ns = sim_now(&wi->w->loop);
        wi->app_gone_seq = commit_seq(wi);
    }
    if (o->kind == KUBE_APP) {
        const kube_cond_t *run = kube_cond_find(o, RDD_COND_RUNNING);
        int t = type != KUBE_DELETED && run && !strcmp(run->status, "True");
        if (t && !wi->app_running_true) {
            wi->app_running_true_ns = sim_now(&wi->w->loop);
            wi->app_running_true_seq = commit_seq(wi);
        }
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
    size_t n;
    if (!w->host || host_fs_generation(w->host) == w->s10_fs_gen)
        return 0; /* the journal is files: nothing was written */
    w->s10_fs_gen = host_fs_generation(w->host);
    n = rdd_dctx_journal_len(w->host);
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
        if (d->remove_called_ns != w->inst[j].l7_called_ns) {
            w->inst[j].l7_called_ns = d->remove_called_ns;
            w->inst[j].l7_seq = w->trace.last_seq;
        }
        if (d->removes_called > d->removes_returned &&
            now - d->remove_called_ns > took)
            took = now - d->remove_called_ns;
        if (took <= lim)
            continue;
        snprintf(why, len, "%s's removeDockerContext took %s",
                 w->inst[j].inst.id.name, sim_fmt_ns(t, took));
        sim_inv_due(&w->inv, d->remove_called_ns + lim, w->inst[j].l7_seq);
        return 1;
    }
    return 0;
}

static int check_b1(void *ctx, char *why, size_t len)
{
    return first_noted(ctx, offsetof(winst_t, b1_bad), why, len);
}

/* S13 (ours is stricter than docs/invariants.md's: DriverPID is not exempt, so
 * pid
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

/* L5 (and L3, stalls): the orphan's spawn, and the exit of the service
 * that started it when that service is gone (links for explain). */
static void link_orphan(winst_t *wi)
{
    rdd_instance_t *in = &wi->inst;
    const rdd_ha_t *ha;
    if (!wi->orphan_pid || !host_proc_alive(in->host, wi->orphan_pid))
        return;
    sim_inv_link(&wi->w->inv, "orphan",
                 host_proc_trace(in->host, wi->orphan_pid, 0));
    for (ha = in->lima.head; ha; ha = ha->next)
        if (ha->pid == wi->orphan_pid && ha->svc_pid != in->proc.pid &&
            !host_proc_alive(in->host, ha->svc_pid)) {
            sim_inv_link(&wi->w->inv, "service",
                         host_proc_trace(in->host, ha->svc_pid, 1));
            break;
        }
}

/* L3: the last hostagent (its exit, or its spawn while alive) and an
 * orphan (links for explain). */
static void link_hostagents(winst_t *wi)
{
    sim_inv_link(&wi->w->inv, "hostagent", rdd_last_ha_trace(&wi->inst));
    link_orphan(wi);
}

/* A liveness clock per service (L3, L4): 0 while no service runs (the
 * clock forgets it), else 1, with *since_ns the instant this check first
 * saw the running service's pid. */
static int svc_clock(winst_t *wi, uint32_t *pid, uint64_t *since_ns,
                     uint64_t now)
{
    if (!wi->up || wi->inst.svc != RDD_SVC_RUNNING) {
        *pid = 0;
        return 0;
    }
    if (wi->inst.proc.pid != *pid) {
        *pid = wi->inst.proc.pid;
        *since_ns = now;
    }
    return 1;
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
        uint64_t since;
        /* Only a running service can create the instance or report
         * CreateFailed: its clock starts again with each service (a
         * TerminateProcess between two attempts is no stall of the
         * controller's). */
        if (!svc_clock(wi, &wi->l4_svc_pid, &wi->l4_svc_ns, now))
            continue;
        if (l->stale_since_ns != wi->l4_since_ns) {
            wi->l4_since_ns = l->stale_since_ns;
            wi->l4_seq = w->trace.last_seq;
        }
        since = l->stale_since_ns > wi->l4_svc_ns ? l->stale_since_ns
                                                  : wi->l4_svc_ns;
        if (!l->stale_since_ns || now < since + 60 * SIM_NS_PER_S)
            continue;
        snprintf(why, len, "%s has been removing a stale Lima directory "
                 "since %s (%llu attempts, %llu failed) without creating the "
                 "instance or reporting CreateFailed",
                 wi->inst.id.name, sim_fmt_ns(t, since),
                 (unsigned long long)l->stale_removals,
                 (unsigned long long)l->stale_failures);
        sim_inv_due(&w->inv, since + 60 * SIM_NS_PER_S, wi->l4_seq);
        sim_inv_link(&w->inv, "failed", l->stale_fail_seq);
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
        /* a hostagent that exited is none, whoever has its pid now */
        for (ha = rdd_lima_first_live(in); ha && !orphan; ha = ha->live_next)
            if (ha->state != RDD_HA_EXITED &&
                host_proc_alive(in->host, ha->pid) &&
                ha->pid != rdd_limavm_tracked_pid(in))
                orphan = ha->pid;
        if (orphan != wi->orphan_pid) {
            wi->orphan_pid = orphan;
            wi->orphan_since_ns = now;
            wi->orphan_seq = w->trace.last_seq;
        }
        if (!orphan || now < wi->orphan_since_ns + 60 * SIM_NS_PER_S)
            continue;
        snprintf(why, len, "%s's hostagent pid %u (%s) has been orphaned "
                 "since %s: the running service does not track it and "
                 "nothing kills it", in->id.name, orphan,
                 host_proc(in->host, orphan)->exe,
                 sim_fmt_ns(t, wi->orphan_since_ns));
        sim_inv_due(&w->inv, wi->orphan_since_ns + 60 * SIM_NS_PER_S,
                    wi->orphan_seq);
        link_orphan(wi);
        return 1;
    }
    return 0;
}

static int check_s16(void *ctx, char *why, size_t len)
{
    return first_noted(ctx, offsetof(winst_t, s16_bad), why, len);
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
        sim_inv_due(&w->inv, wi->app_gone_ns + 60 * SIM_NS_PER_S,
                    wi->app_gone_seq);
        return 1;
    }
    return 0;
}

static int check_s17(void *ctx, char *why, size_t len)
{
    return first_noted(ctx, offsetof(winst_t, s17_bad), why, len);
}

static int check_s6(void *ctx, char *why, size_t len)
{
    return first_noted(ctx, offsetof(winst_t, s6_bad), why, len);
}

static int check_l3(void *ctx, char *why, size_t len)
{
    world_t *w = ctx;
    int j;
    uint64_t now = sim_now(&w->loop), limit = 7 * 60 * SIM_NS_PER_S;
    for (j = 0; j < w->sc->ninstances; j++) {
        winst_t *wi = &w->inst[j];
        char t[32];
        uint64_t since;
        /* As L4: only a running service can start the VM or report a
         * failure, so the clock starts again with each service (a user's
         * `svc stop` between the request and the start is no silence of
         * the controller's). */
        if (!svc_clock(wi, &wi->l3_svc_pid, &wi->l3_svc_ns, now))
            continue;
        since = wi->starting_since_ns > wi->l3_svc_ns ? wi->starting_since_ns
                                                      : wi->l3_svc_ns;
        if (!wi->starting || now < since + limit)
            continue;
        snprintf(why, len,
                 "%s's LimaVM has wanted to run since %s but is still %s",
                 wi->inst.id.name, sim_fmt_ns(t, since),
                 wi->starting_reason);
        sim_inv_due(&w->inv, since + limit, wi->starting_seq);
        link_hostagents(wi);
        sim_inv_link(&w->inv, "stale", wi->inst.lvm.stale_fail_seq);
        if (wi->inst.lvm.inspect_seq > wi->starting_seq)
            sim_inv_link(&w->inv, "inspect", wi->inst.lvm.inspect_seq);
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
        if (!wi->pipe_bad_since_ns) {
            /* The clock starts with the commit of Running=True when the
             * pipe was already bad then, else after this event. */
            wi->pipe_bad_since_ns = now;
            wi->pipe_bad_seq = now == wi->app_running_true_ns
                                   ? wi->app_running_true_seq
                                   : w->trace.last_seq;
        }
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
        sim_inv_due(&w->inv, wi->pipe_bad_since_ns + 10 * SIM_NS_PER_S,
                    wi->pipe_bad_seq);
        sim_inv_link(&w->inv, "swallowed", in->bridge.fail_seq);
        if (pid && pid != in->proc.pid)
            sim_inv_link(&w->inv, "holder",
                         npipe_creator_trace(w->pipes, in->id.docker_socket));
        return 1;
    }
    return 0;
}

/* S12: what two live instances share, or what one did to the other.
 * A TCP port counts when a real bind failed (the TOCTOU window of H8), not
 * when ResolvePort moved it: ports.go:14-31 moves a busy port precisely so
 * that nobody shares it, Run writes the port it really bound into
 * Config() (service.go:829-845), which `rdd ctl` reads (kubectl.go:40), and
 * RDD's own tests accept a moved port as correct
 * (bats/tests/20-service/5-port-fallback.bats).  What a moved port can
 * still break, a client following a stale Config() to the port's new
 * holder, is S17's. */
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

/* registration ----------------------------------------------------------*/

int add_invariants(world_t *w)
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
                  {"L5", check_l5},
                  {"S17", check_s17}};
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
