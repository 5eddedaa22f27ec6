/*
 * world.c: builds and runs a scenario's world (see world.h).
 *
 *   stalls     explain_stall, find_stalls: an App left unsettled at the end
 *              of a run, in words (the report's "stall" lines)
 *   running    follow_stores and after_event (the invariants after every
 *              event); world_run and world_run_one at the end of the file
 *   building   build: the machine, the daemons (populate), the owners, the
 *              instances (start_instance, apply_env, watch_store,
 *              already_running), the timeline, the faults, the tick
 *   teardown   teardown
 *
 * The invariants are in invariants.c, the timeline's steps in actions.c,
 * and the structures the three share in world_int.h.
 */
#include "world_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/errno.h"

#define PID_OWNER0 1000

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
    /* since: when this status and reason began (a reason can change
     * while the status, and so lastTransitionTime, stays) */
    snprintf(out, len, "%s=%s/%s since %s (\"%.200s\")", who, c->status,
             c->reason,
             sim_fmt_ns(t, c->reason_since_ns ? c->reason_since_ns
                                              : c->last_transition_ns),
             c->message);
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

/* The commits that set each unsettled condition (explain walks back from
 * them): links on the sim.stall record, never hashed. */
static void stall_links(const winst_t *wi, sim_trace_t *tr)
{
    static const char *const names[WI_COND__COUNT] = {
        "Settled", "ContainerEngineReady", "Created", "Running"};
    const rdd_instance_t *in = &wi->inst;
    int k;
    for (k = 0; k < WI_COND__COUNT; k++)
        if (k == WI_COND_SETTLED || strncmp(wi->cond_key[k], "True/", 5))
            sim_trace_link(tr, names[k], wi->cond_seq[k]);
    /* What the LimaVM waits on: its last hostagent (its exit, or its
     * spawn while alive), and an orphan hostagent still alive (L5's). */
    sim_trace_link(tr, "hostagent", rdd_last_ha_trace((rdd_instance_t *)in));
    if (wi->orphan_pid && host_proc_alive(in->host, wi->orphan_pid))
        sim_trace_link(tr, "orphan",
                       host_proc_trace(in->host, wi->orphan_pid, 0));
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
        stall_links(&w->inst[j], tr);
        sim_trace_end(tr);
    }
}

/* running: after every event ------------------------------------------*/

static void watch_store(winst_t *wi);

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

/* The event budget and the interrupt are judged here, after the event and
 * its checks, so a stopped run ends on a whole event. */
static void after_event(sim_loop_t *loop, void *arg)
{
    world_t *w = arg;
    follow_stores(w);
    sim_inv_check(&w->inv);
    if (w->interrupt && *w->interrupt) {
        w->stop = WORLD_STOP_INTERRUPT;
        sim_loop_stop(loop);
    } else if (loop->events >= w->max_events) {
        w->stop = WORLD_STOP_BUDGET;
        sim_loop_stop(loop);
    }
}

/* Work scheduled at or after the end ---------------------------------------*/

/* The one rule for what the scenario schedules (an instance's start, an
 * owner's start, a timeline step and its repeats): it runs while the run
 * is live, and is dropped, without a word, once the run has ended.  The
 * loader (scenario.c, check_times) refuses a start after `duration` and
 * warns about one in the last second; whatever still reaches the end is
 * dropped here, so the models are never asked to start while teardown
 * frees them. */
int world_live(const world_t *w)
{
    return !w->torn_down;
}

int world_at(world_t *w, uint64_t delay_ns, sim_call_cb cb, void *arg)
{
    return sim_call(&w->loop, delay_ns, cb, w, arg);
}

/* building ------------------------------------------------------------------*/

static int populate(world_t *w, dock_daemon_t *d, const sc_daemon_t *sd)
{
    int i, rc;
    uint64_t k;
    if (sd->has_latency)
        dock_daemon_set_latency(d, sd->lat_min_ns, sd->lat_max_ns);
    for (i = 0; i < sd->ni; i++) {
        const sc_image_t *im = &sd->im[i];
        uint64_t n = im->count ? im->count : 1;
        const char *tags[4];
        char buf[4][160];
        int t;
        for (k = 0; k < n; k++) {
            for (t = 0; t < im->ntags; t++) {
                /* count > 1: repo:tag -> repo-k:tag (the tag's last ':'
                 * after its last '/'). */
                const char *colon = strrchr(im->tags[t], ':');
                const char *slash = strrchr(im->tags[t], '/');
                int rl = colon && (!slash || colon > slash)
                             ? (int)(colon - im->tags[t])
                             : (int)strlen(im->tags[t]);
                if (n > 1)
                    snprintf(buf[t], sizeof(buf[t]), "%.*s-%" PRIu64 "%s", rl,
                             im->tags[t], k, im->tags[t] + rl);
                else
                    snprintf(buf[t], sizeof(buf[t]), "%s", im->tags[t]);
                tags[t] = buf[t];
            }
            rc = dock_image_add(d, im->id[0] ? im->id : NULL, tags,
                                im->ntags);
            if (rc)
                return rc;
        }
    }
    for (i = 0; i < sd->nv; i++)
        for (k = 0; k < (sd->vol_count[i] ? sd->vol_count[i] : 1); k++) {
            char name[96];
            if (sd->vol_count[i] > 1)
                snprintf(name, sizeof(name), "%s-%" PRIu64, sd->vol[i], k);
            else
                snprintf(name, sizeof(name), "%s", sd->vol[i]);
            if ((rc = dock_volume_add(d, name)) != 0)
                return rc;
        }
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

int find_daemon(world_t *w, const char *name)
{
    int i;
    for (i = 0; i < w->sc->ndaemons; i++)
        if (!strcmp(w->sc->daemons[i].name, name))
            return i;
    return -1;
}

static void owner_start_cb(void *arg, void *op)
{
    if (world_live(arg))
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
void apply_env(world_t *w, int i)
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
    vp.late_min_ns = w->sc->late_min_ns;
    vp.late_max_ns = w->sc->late_max_ns;
    memcpy(vp.choice, w->sc->choice, sizeof vp.choice);
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
    if (world_live(w))
        start_instance(w, (int)((winst_t *)ip - w->inst));
}

static void tick(sim_timer_t *t)
{
    world_t *w = (world_t *)((char *)t - offsetof(world_t, tick));
    (void)sim_timer_start(t, tick, SIM_NS_PER_S);
    if (world_live(w))
        world_fault_tick(w);
}

/* The VM daemon of instance i is named after the instance's suffix (an
 * unset or empty RDD_INSTANCE is "2", instance.go:17-23), or "unset" when
 * an earlier instance already has that suffix (H7: the same instance). */
static const char *vm_suffix(const scenario_t *sc, int i)
{
    const sc_instance_t *si = &sc->instances[i];
    const char *sfx = si->env_set && si->value[0] ? si->value : "2";
    int j;
    for (j = 0; j < i; j++) {
        const sc_instance_t *sj = &sc->instances[j];
        if (!strcmp(sj->env_set && sj->value[0] ? sj->value : "2", sfx))
            return si->env_set ? si->value : "unset";
    }
    return sfx;
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
            (rc = world_at(w, so->start_ns, owner_start_cb,
                           &w->owners[i])) != 0)
            return rc;
    }
    for (i = 0; i < sc->ninstances; i++) {
        const sc_instance_t *si = &sc->instances[i];
        char name[96], id[96];
        const char *sfx = vm_suffix(sc, i);
        snprintf(name, sizeof(name), "vm-%s", sfx);
        snprintf(id, sizeof(id), "RDD-VM-ENGINE-%s", sfx);
        rc = dock_daemon_new(&w->loop, name, id, &w->vm_daemons[i]);
        if (rc)
            return rc;
        dock_daemon_stop(w->vm_daemons[i]); /* up when its VM boots */
        w->inst[i].alias = -1;
        if ((rc = populate(w, w->vm_daemons[i], &si->daemon)) != 0)
            return rc;
        w->inst[i].w = w;
        if ((rc = world_at(w, si->start_ns, instance_start_cb,
                           &w->inst[i])) != 0)
            return rc;
    }
    for (i = 0; i < sc->nactions; i++)
        if ((rc = world_at(w, sc->actions[i].at_ns, run_action,
                           (void *)&sc->actions[i])) != 0)
            return rc;
    for (i = 0; i < sc->nfaults; i++) {
        const sim_fault_arm_t *a = &sc->faults[i].arm;
        sim_trace_t *tr;
        sim_faults_arm(&w->faults, sc->faults[i].site, a, w->loop.seed);
        /* The armed set is part of the world (a swarm draws it): the
         * trace says which sites may fire, and how. */
        tr = sim_trace_begin(&w->loop, "fault.arm");
        sim_trace_str(tr, "site", sim_fault_name(sc->faults[i].site));
        if (a->target[0])
            sim_trace_str(tr, "target", a->target);
        if (a->chance.den) {
            char r[48];
            snprintf(r, sizeof(r), "%" PRIu64 "/%" PRIu64, a->chance.num,
                     a->chance.den);
            sim_trace_str(tr, "chance", r);
        }
        if (a->by_count) {
            sim_trace_u64(tr, "after", a->after);
            sim_trace_u64(tr, "repeat", a->repeat);
        }
        if (a->by_time) {
            sim_trace_ns(tr, "from", a->from_ns);
            sim_trace_ns(tr, "to", a->to_ns);
        }
        sim_trace_end(tr);
    }
    w->faults.heal_ns = sc->heal_ns;
    if (sc->heal_ns) {
        sim_trace_t *tr = sim_trace_begin(&w->loop, "fault.heal");
        sim_trace_ns(tr, "at", sc->heal_ns);
        sim_trace_end(tr);
    }
    sim_timer_init(&w->loop, &w->tick);
    if ((rc = sim_timer_start(&w->tick, tick, SIM_NS_PER_S)) != 0)
        return rc;
    return add_invariants(w);
}

/* teardown ------------------------------------------------------------------*/

/* Events a drain may run: models should have stopped their timers when
 * freed; one that did not cannot keep the teardown going for long. */
#define DRAIN_MAX_EVENTS 1000000u

static void drain_hook(sim_loop_t *loop, void *arg)
{
    uint64_t *left = arg;
    if (--*left == 0)
        sim_loop_stop(loop);
}

/* Runs what is pending (messages in flight to closed ends, which drop
 * them, so nothing they own leaks), up to a day of virtual time and
 * DRAIN_MAX_EVENTS.  Returns 1 if nothing is left pending. */
static int drain(world_t *w)
{
    uint64_t left = DRAIN_MAX_EVENTS;
    w->loop.after_event = drain_hook;
    w->loop.after_event_arg = &left;
    sim_loop_run(&w->loop, sim_now(&w->loop) + 24 * 3600 * SIM_NS_PER_S);
    w->loop.after_event = NULL;
    return sim_loop_pending(&w->loop) == 0;
}

/* libuv's rule: a handle is closed before its memory goes.  The world's
 * own work stops first (world_live turns false, its timers stop), then the
 * models are freed (each closes its streams and listeners), then what they
 * left in flight is drained while the machine they talk to (host, pipes,
 * sockets) is still alive, then the machine is freed and the streams it
 * closed get their EOFs.  Nothing runs after the machine is freed unless
 * the first drain emptied the loop, so a model timer left armed by mistake
 * is dropped by sim_loop_close, never fired on freed memory. */
static void teardown(world_t *w)
{
    int i, empty;
    w->loop.after_event = NULL; /* the run is judged; nothing is checked */
    w->torn_down = 1;           /* and nothing scheduled runs */
    w->loop.trace = NULL;
    sim_timer_stop(&w->tick);
    for (i = 0; i < w->sc->nactions; i++)
        if (w->svc_cli[i].w && !w->svc_cli[i].done) {
            sim_timer_stop(&w->svc_cli[i].timeout);
            if (w->svc_cli[i].watch > 0)
                host_unwatch_exit(w->host, w->svc_cli[i].watch);
        }
    for (i = 0; i < w->sc->nactions; i++)
        if (w->holds[i].w) {
            sim_timer_stop(&w->holds[i].until);
            if (w->holds[i].conn)
                sim_stream_close(w->holds[i].conn, NULL);
            w->holds[i].conn = NULL;
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
    empty = drain(w);
    if (w->socks)
        uds_ns_free(w->socks);
    if (w->pipes)
        npipe_ns_free(w->pipes);
    if (w->host)
        host_free(w->host);
    w->socks = NULL;
    w->pipes = NULL;
    w->host = NULL;
    if (empty)
        (void)drain(w);
    sim_loop_close(&w->loop);
}

/* running a scenario --------------------------------------------------------*/

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int world_run_one(const scenario_t *sc, const sc_variant_t *v,
                         uint64_t seed, const world_io_t *io,
                         world_result_t *res);

/* Live mode: an instance's apiserver and whether its service runs. */
static struct kube_store *live_kube_api(void *wp, int i, uint64_t *epoch,
                                        int *up)
{
    world_t *w = wp;
    winst_t *wi;
    *up = 0;
    if (i < 0 || i >= w->sc->ninstances)
        return NULL;
    wi = &w->inst[i];
    if (!wi->up)
        return NULL;
    *epoch = wi->inst.api_epoch;
    *up = wi->inst.svc != RDD_SVC_DOWN;
    return wi->inst.api;
}

/* Live mode: show the world to the driver, let it run the loop in real
 * time; a signal seen between events still counts as an interrupt. */
static int live_drive(world_t *w, const world_live_t *live)
{
    world_live_view_t view;
    int i, rc;
    memset(&view, 0, sizeof(view));
    view.loop = &w->loop;
    view.pipes = w->pipes;
    for (i = 0; i < SC_MAX_DAEMONS; i++)
        if (w->daemons[i])
            view.daemons[view.ndaemons++] = w->daemons[i];
    for (i = 0; i < SC_MAX_INSTANCES; i++)
        if (w->vm_daemons[i])
            view.daemons[view.ndaemons++] = w->vm_daemons[i];
    view.ninstances = w->sc->ninstances;
    view.kube_api = live_kube_api;
    view.world = w;
    if ((rc = live->built(live->arg, &view)) != 0)
        return rc;
    live->drive(live->arg, &w->loop, w->sc->duration_ns);
    if (w->stop == WORLD_STOP_NONE && w->interrupt && *w->interrupt)
        w->stop = WORLD_STOP_INTERRUPT;
    return 0;
}

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

/* expect.trace / no_trace, matched line by line as the trace is written:
 * nothing keeps a copy of the text. */
typedef struct {
    const sc_variant_t *v;
    unsigned char seen[SC_MAX_EXPECT];
    unsigned char hit[SC_MAX_EXPECT];
    char hit_at[SC_MAX_EXPECT][48];   /* the hit line's "t=<time>s #<seq>" */
} trace_match_t;

static void trace_match_line(void *arg, const char *line, size_t len)
{
    trace_match_t *m = arg;
    int i;
    (void)len;
    for (i = 0; i < m->v->ntrace; i++)
        if (!m->seen[i] && strstr(line, m->v->trace[i]))
            m->seen[i] = 1;
    for (i = 0; i < m->v->nno_trace; i++)
        if (!m->hit[i] && strstr(line, m->v->no_trace[i])) {
            /* The line starts "t=<time>s #<seq> " (trace.h). */
            const char *sp = strchr(line, ' ');
            size_t n = sp ? strcspn(sp + 1, " ") + (size_t)(sp + 1 - line)
                          : 0;
            m->hit[i] = 1;
            snprintf(m->hit_at[i], sizeof(m->hit_at[i]), "%.*s",
                     (int)(n < sizeof(m->hit_at[i]) ? n : 0), line);
        }
}

static int world_run_one(const scenario_t *sc, const sc_variant_t *v,
                         uint64_t seed, const world_io_t *io,
                         world_result_t *res)
{
    world_t *w = sim__calloc(1, sizeof(*w));
    sim_trace_t *tr;
    int rc, i, k;
    trace_match_t match;
    if (!w)
        return SIM_ENOMEM;
    memset(res, 0, sizeof(*res));
    w->sc = sc;
    w->var = v;
    if ((rc = sim_loop_init(&w->loop, seed)) != 0) {
        sim__free(w);
        return rc;
    }
    sim_trace_init(&w->trace, io ? io->text : NULL, io ? io->jsonl : NULL);
    if (io) {
        w->trace.on_event = io->on_event;
        w->trace.on_event_arg = io->on_event_arg;
        w->trace.on_record = io->on_record;
        w->trace.on_record_arg = io->on_record_arg;
    }
    memset(&match, 0, sizeof(match));
    match.v = v;
    if (v->ntrace || v->nno_trace) {
        w->trace.on_text = trace_match_line;
        w->trace.on_text_arg = &match;
    }
    w->loop.trace = &w->trace;
    sim_faults_init(&w->faults);
    w->loop.faults = &w->faults;
    sim_inv_init(&w->inv, &w->loop);
    tr = sim_trace_begin(&w->loop, "sim.run.start");
    sim_trace_u64(tr, "seed", seed);
    sim_trace_str(tr, "scenario", sc->name);
    sim_trace_str(tr, "variant", v->name);
    {
        char names[1024];
        size_t used = 0;
        int f;
        names[0] = 0;
        for (f = 0; f < RDD_FLAG__COUNT && used < sizeof(names); f++)
            if (v->flags & RDD_FLAG_BIT(f))
                used += (size_t)snprintf(names + used, sizeof(names) - used,
                                         "%s%s", used ? "," : "",
                                         rdd_flag_name((rdd_flag_t)f));
        sim_trace_str(tr, "flags", used ? names : "none");
    }
    sim_trace_str(tr, "host", sc_host_name(sc->host));
    sim_trace_end(tr);
    w->max_events = io && io->max_events ? io->max_events
                                         : WORLD_MAX_EVENTS_DEFAULT;
    w->interrupt = io ? io->interrupt : NULL;
    rc = build(w);
    if (rc == 0) {
        w->loop.after_event = after_event;
        w->loop.after_event_arg = w;
        if (io && io->live)
            rc = live_drive(w, io->live);
        else
            sim_loop_run(&w->loop, sc->duration_ns);
        w->loop.after_event = NULL;
        if (w->stop == WORLD_STOP_NONE) {
            sim_inv_check_end(&w->inv);
            find_stalls(w, res);
        } else {
            tr = sim_trace_begin(&w->loop, w->stop == WORLD_STOP_BUDGET
                                               ? "sim.run.budget"
                                               : "sim.run.interrupted");
            sim_trace_u64(tr, "events", w->loop.events);
            if (w->stop == WORLD_STOP_BUDGET)
                sim_trace_u64(tr, "max_events", w->max_events);
            sim_trace_ns(tr, "duration", sc->duration_ns);
            sim_trace_end(tr);
        }
    }
    res->stop = w->stop;
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
        res->violated_seq[k] = e->first_seq;
        snprintf(res->why[k], sizeof(res->why[k]), "%s", e->why);
    }
    /* Sort ids, keeping time and sentence with them. */
    for (i = 1; i < res->nviolated; i++)
        for (k = i; k > 0 && cmp_ids(res->violated[k - 1],
                                     res->violated[k]) > 0; k--) {
            char id[8], why[SIM_INV_WHY_MAX];
            uint64_t t = res->violated_ns[k], q = res->violated_seq[k];
            memcpy(id, res->violated[k], sizeof(id));
            memcpy(why, res->why[k], sizeof(why));
            memcpy(res->violated[k], res->violated[k - 1], sizeof(id));
            memcpy(res->why[k], res->why[k - 1], sizeof(why));
            res->violated_ns[k] = res->violated_ns[k - 1];
            memcpy(res->violated[k - 1], id, sizeof(id));
            memcpy(res->why[k - 1], why, sizeof(why));
            res->violated_ns[k - 1] = t;
            res->violated_seq[k] = res->violated_seq[k - 1];
            res->violated_seq[k - 1] = q;
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
    for (i = 0; i < v->ntrace && !res->trace_miss[0]; i++)
        if (!match.seen[i])
            snprintf(res->trace_miss, sizeof(res->trace_miss),
                     "missing from the trace: %s", v->trace[i]);
    for (i = 0; i < v->nno_trace && !res->trace_miss[0]; i++)
        if (match.hit[i]) {
            /* "t=1.5s #292" -> "line #292 at t=1.5s" */
            const char *seq = strchr(match.hit_at[i], '#');
            int tl = seq ? (int)(seq - match.hit_at[i]) - 1 : 0;
            snprintf(res->trace_miss, sizeof(res->trace_miss),
                     "found in the trace: %s (line %s at %.*s)",
                     v->no_trace[i], seq ? seq : "?", tl > 0 ? tl : 0,
                     match.hit_at[i]);
        }
    if (res->trace_miss[0])
        res->matches = 0;
    teardown(w);
    sim__free(w);
    return rc;
}
