/*
 * actions.c: the scenario's timeline, one step at a time.
 *
 * build (world.c) schedules run_action for every step at its time;
 * run_action reschedules a repeating step, redirects a step of an alias
 * instance (H7) to the instance it is, marks the step as the user's doing
 * (S16) and runs it (run_action_inner).  What the steps need lives here
 * too: `rdd set`'s CLI emulation (rdd_set and its cli_* watch), the
 * replayed BATS steps (bats_step), a Docker client holding a pipe open
 * (hold_*), the user's Docker config dir and a process by role (role_pid,
 * action_pid).  Every step writes one sim.action trace line (act_trace).
 * Private structures: world_int.h.
 */
#include "world_int.h"

#include <stdlib.h>
#include <string.h>

#include "rdd/ports.h"
#include "sim/assert.h"
#include "sim/errno.h"

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

static void rdd_set(world_t *w, const sc_action_t *a);
static void rdd_set_for(world_t *w, const sc_action_t *a,
                        const sc_action_t *bats);

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
    sim_trace_t *tr;
    if (!world_live(h->w)) { /* the run ended while it dialled */
        if (!status && conn)
            sim_stream_close(conn, NULL);
        return;
    }
    tr = sim_trace_begin(&h->w->loop, "sim.pipe.hold");
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
    /* The newest live hostagent of this instance (and its driver); one
     * that exited is none, whoever has its pid now. */
    for (ha = rdd_lima_first_live(inst); ha; ha = ha->live_next)
        if (ha->state != RDD_HA_EXITED && host_proc_alive(inst->host, ha->pid))
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
static void rdd_ctl(world_t *w, const sc_action_t *a);

/* A CLI's output line and its exit, as trace events (rdd.cli.print,
 * rdd.cli.exit) of every CLI the timeline runs. */
static void cli_trace_print(world_t *w, const winst_t *wi, const char *line)
{
    sim_trace_t *tr = sim_trace_begin(&w->loop, "rdd.cli.print");
    sim_trace_str(tr, "inst", wi->inst.id.name);
    sim_trace_str(tr, "line", line);
    sim_trace_end(tr);
}

static void cli_trace_exit(world_t *w, const winst_t *wi, const char *cmd,
                           int code, const char *err, uint64_t start_ns)
{
    sim_trace_t *tr = sim_trace_begin(&w->loop, "rdd.cli.exit");
    sim_trace_str(tr, "inst", wi->inst.id.name);
    sim_trace_str(tr, "cmd", cmd);
    sim_trace_i64(tr, "code", code);
    sim_trace_str(tr, "err", err);
    sim_trace_ns(tr, "elapsed", sim_now(&w->loop) - start_ns);
    sim_trace_end(tr);
}

static void svc_cli_end(svc_cli_t *c, int code, const char *err)
{
    if (c->done)
        return;
    c->done = 1;
    sim_timer_stop(&c->timeout);
    if (c->watch > 0)
        host_unwatch_exit(c->w->host, c->watch);
    c->watch = 0;
    cli_trace_exit(c->w, c->wi, c->cmd, code, err, c->start_ns);
}

/* service.go:519-523: the wait sees the service gone and removes
 * Config(), so no later `rdd ctl` reads a dead run's address. */
static void svc_cli_exited(void *arg, const host_proc_t *p)
{
    svc_cli_t *c = arg;
    c->watch = 0;
    (void)p;
    rdd_kubeconfig_remove(&c->wi->inst);
    /* svc delete: Delete's removals ran at the exit (the service's exit
     * watch comes first); RemoveAll(Dir())'s error is the CLI's, exit 1
     * (cmd/rdd/service.go:384-386, cmd/rdd/main.go:172-183) */
    if (!strcmp(c->cmd, "rdd svc delete") && c->wi->inst.svc_delete_rc)
        svc_cli_end(c, 1, c->wi->inst.svc_delete_err);
    else
        svc_cli_end(c, 0, "");
}

/* service.go:501-517: the wait's deadline kills the service (its
 * hostagents, in their own process groups, live on). */
static void svc_cli_timeout(sim_timer_t *t)
{
    svc_cli_t *c = t->data;
    char err[200];
    snprintf(err, sizeof(err),
             "timed out waiting for \"%s\" control plane with pid %u to "
             "stop: context deadline exceeded",
             c->wi->inst.id.name, c->pid);
    if (c->watch > 0)
        host_unwatch_exit(c->w->host, c->watch);
    c->watch = 0;
    (void)host_kill(c->w->host, c->pid);
    svc_cli_end(c, 1, err);
}

/* The CLI side of `rdd svc stop|delete`: wait for the pid to exit. */
static void svc_cli_begin(world_t *w, const sc_action_t *a, winst_t *wi)
{
    svc_cli_t *c = &w->svc_cli[w->cur_action];
    int id;
    memset(c, 0, sizeof(*c));
    c->w = w;
    c->wi = wi;
    c->cmd = a->kind == SC_ACT_SVC_STOP ? "rdd svc stop" : "rdd svc delete";
    c->pid = wi->inst.proc.pid;
    c->start_ns = sim_now(&w->loop);
    sim_timer_init(&w->loop, &c->timeout);
    c->timeout.data = c;
    if (!c->pid || !host_proc_alive(w->host, c->pid)) {
        c->done = 1; /* "control plane is already stopped": nothing waits */
        return;
    }
    id = host_watch_exit(w->host, c->pid, svc_cli_exited, c);
    c->watch = id > 0 ? id : 0;
    (void)sim_timer_start(&c->timeout, svc_cli_timeout,
                          RDD_SVC_STOP_WAIT_NS);
}

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
static void bats_step(world_t *w, const sc_action_t *a, int then,
                      int then_rc, const char *then_err)
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
    } else if (!wi->bats_ran) {
        rc = 1;
        snprintf(out, sizeof(out), "not ok 37 (setup never ran)");
    } else if (!then) {
        /* engine-docker.bats:801-805: the test first sets the engine
         * running with moby and waits for ContainerEngineReady (bats_
         * after_set, bats_ready); its assertion runs after that */
        sc_action_t *set = &w->act_copy[w->cur_action];
        *set = *a;
        set->kind = SC_ACT_RDD_SET;
        set->running = 1;
        if (wi->alias >= 0)
            set->instance = wi->alias;
        set->timeout_ns = 300 * SIM_NS_PER_S;
        rdd_set_for(w, set, a);
        return;
    } else if (then_rc) {
        rc = 1;
        snprintf(out, sizeof(out),
                 "not ok 37 moby engine creates Docker context for the "
                 "instance\n# (in test file tests/32-app-controllers/"
                 "engine-docker.bats, line %d)\n#   `%s' failed\n# %s",
                 then == 1 ? 804 : 805,
                 then == 1 ? "rdd set running=true containerEngine.name=moby"
                           : "rdd ctl wait --for=condition="
                             "ContainerEngineReady app/app --timeout=30s",
                 then_err);
    } else {
        rc = rdd_bats_test37(&env, w->var->flags, &wi->bats, w->host, out,
                             sizeof(out));
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
void run_action(void *arg, void *actp)
{
    world_t *w = arg;
    const sc_action_t *a = actp;
    uint64_t now = sim_now(&w->loop);
    if (!world_live(w))
        return;
    /* A repeating step schedules its next turn first. */
    if (a->every_ns && (!a->until_ns || now + a->every_ns <= a->until_ns))
        (void)world_at(w, a->every_ns, run_action, actp);
    w->cur_action = (int)(a - w->sc->actions);
    /* A BATS step stays with the instance it names: its setup_file state
     * is the bats process's environment (RDD_INSTANCE, DOCKER_CONFIG),
     * not the service's; only the `rdd set` test 37 runs goes to the
     * alias (bats_step). */
    if (a->instance >= 0 && w->inst[a->instance].alias >= 0 &&
        a->kind != SC_ACT_BATS_SETUP && a->kind != SC_ACT_BATS_TEST37) {
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
    case SC_ACT_DOCKER_API: {
        dock_daemon_t *d = a->daemon_instance >= 0
                               ? w->vm_daemons[a->daemon_instance]
                               : w->daemons[find_daemon(w, a->daemon)];
        rc = dock_user_call(d, (dock_op_t)a->docker_op, a->container,
                            a->force);
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
        svc_cli_begin(w, a, wi);
        rc = a->kind == SC_ACT_SVC_STOP
                 ? rdd_svc_stop(&wi->inst, a->console)
                 : rdd_svc_delete(&wi->inst, a->console);
        {
            /* the instance, as svc.start says it; rdd.svc.stop via= says
             * whether the interrupt reached it */
            char what[96];
            snprintf(what, sizeof(what), "%s%s", wi->inst.id.name,
                     a->console ? "" : " (no console)");
            act_trace(w, a, what, rc);
        }
        if (rc)
            svc_cli_end(&w->svc_cli[w->cur_action], 1, sim_strerror(rc));
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
        bats_step(w, a, 0, 0, NULL);
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
    case SC_ACT_RDD_CTL:
        rdd_ctl(w, a);
        return;
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
    cli_trace_print(c->w, c->wi, line);
}

static void bats_after_set(rdd_cli_t *c, int code, const char *err);

static void cli_exit(rdd_cli_t *c, int code, const char *err)
{
    c->done = 1;
    sim_timer_stop(&c->timeout);
    if (c->api_epoch == c->wi->inst.api_epoch)
        kube_unwatch(c->wi->inst.api, c->watch_id);
    if (c->bats_waiting) {
        cli_trace_exit(c->w, c->wi, "rdd ctl wait --for=condition="
                                    "ContainerEngineReady app/app "
                                    "--timeout=30s",
                       code, err, c->start_ns);
        c->w->cur_action = (int)(c->bats - c->w->sc->actions);
        bats_step(c->w, c->bats, code ? 2 : 3, code, err);
        return;
    }
    cli_trace_exit(c->w, c->wi,
                   c->bats ? "rdd set running=true containerEngine.name=moby"
                   : c->a->running ? "rdd set running=true"
                                   : "rdd set running=false",
                   code, err, c->start_ns);
    if (c->bats)
        bats_after_set(c, code, err);
}

/* kubectl wait --for=condition=ContainerEngineReady: status True on the
 * App it watches (engine-docker.bats:805). */
static void bats_on_app(void *arg, kube_event_type_t type,
                        const kube_obj_t *o)
{
    rdd_cli_t *c = arg;
    const kube_cond_t *ready;
    if (c->done || o->kind != KUBE_APP || type == KUBE_DELETED)
        return;
    ready = kube_cond_find(o, "ContainerEngineReady");
    if (ready && !strcmp(ready->status, "True"))
        cli_exit(c, 0, "");
}

static void bats_wait_timeout(sim_timer_t *t)
{
    rdd_cli_t *c = t->data;
    cli_exit(c, 1, "error: timed out waiting for the condition on "
                   "apps/app");
}

/* Test 37 after its `rdd set`: a failed set fails the test; else `rdd
 * ctl wait` for ContainerEngineReady, 30 s, then the assertion. */
static void bats_after_set(rdd_cli_t *c, int code, const char *err)
{
    world_t *w = c->w;
    static kube_obj_t app; /* large; the world is single-threaded */
    if (code) {
        w->cur_action = (int)(c->bats - w->sc->actions);
        bats_step(w, c->bats, 1, code, err);
        return;
    }
    c->bats_waiting = 1;
    c->done = 0;
    c->start_ns = sim_now(&w->loop);
    c->watch_id = kube_watch(c->wi->inst.api, KUBE_APP, bats_on_app, c);
    c->api_epoch = c->wi->inst.api_epoch;
    (void)sim_timer_start(&c->timeout, bats_wait_timeout, 30 * SIM_NS_PER_S);
    if (rdd_get_app(&c->wi->inst, kube_store_reader(c->wi->inst.api),
                    &app) == 0)
        bats_on_app(c, KUBE_MODIFIED, &app);
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

static void rdd_set(world_t *w, const sc_action_t *a)
{
    rdd_set_for(w, a, NULL);
}

/* set.go:255-328 setAction: patch, take the post-write generation, wait.
 * bats: the test-37 step this set belongs to (it also sets
 * containerEngine.name=moby), or NULL. */
static void rdd_set_for(world_t *w, const sc_action_t *a,
                        const sc_action_t *bats)
{
    rdd_cli_t *c = &w->cli[w->cur_action];
    winst_t *wi = &w->inst[a->instance];
    static kube_obj_t app, probe; /* large; the world is single-threaded */
    kube_status_t st;
    int rc;
    memset(c, 0, sizeof(*c));
    c->w = w;
    c->wi = wi;
    c->a = a;
    c->start_ns = sim_now(&w->loop);
    c->bats = bats;
    if (!wi->up) {
        act_trace(w, a, "instance not started", SIM_ESTATE);
        if (bats)
            bats_step(w, bats, 1, 1, "instance not started");
        return;
    }
    /* getAppKubeClient -> ensureServiceRunning (rdd/cmd/rdd/service.go:
     * 88-120): a stopped service is started first. */
    if (wi->inst.svc == RDD_SVC_DOWN) {
        apply_env(w, a->instance);
        (void)rdd_svc_start(&wi->inst);
    }
    /* set.go:296-320: get-or-create the App.  A create carries the user's
     * spec and the CRD's defaults (moby, namespace default); otherwise
     * patchApp is a merge patch, with no resourceVersion precondition. */
    kube_obj_init(&app, KUBE_APP, "", RDD_APP_NAME);
    rc = kube_spec_set(&app, "running", a->running ? "true" : "false");
    if (rc == 0 && bats)
        rc = kube_spec_set(&app, "containerEngine.name", "moby");
    if (rc == 0 &&
        rdd_get_app(&wi->inst, kube_store_reader(wi->inst.api), &probe) ==
            SIM_ENOTFOUND) {
        kube_spec_set(&app, "containerEngine.name", "moby");
        kube_spec_set(&app, "namespace", "default");
        rc = kube_create(wi->inst.api, &app, &st);
    } else if (rc == 0) {
        rc = kube_apply(wi->inst.api, &app, 0, &st);
    }
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

/* rdd ctl -------------------------------------------------------------------*/

#define CTL_POLL_NS (500 * SIM_NS_PER_MS) /* service.go:443 ticker */
#define CTL_WAIT_NS (90 * SIM_NS_PER_S)   /* cmd/rdd/service.go:34 */

static void ctl_cmd(const ctl_cli_t *c, char *out, size_t len)
{
    snprintf(out, len, "rdd ctl %s %s %s", c->a->verb,
             kube_kind_name(c->a->kube_kind), c->a->obj_name);
}

static void ctl_exit(ctl_cli_t *c, int code, const char *err)
{
    char cmd[200];
    c->done = 1;
    ctl_cmd(c, cmd, sizeof(cmd));
    cli_trace_exit(c->w, c->wi, cmd, code, err, c->start_ns);
}

/* service.go:144-199 PID/Running: Dir()/rdd.pid names a live process; on
 * Windows IsOurProcessWithArg also wants a control plane ("serve"), on
 * other platforms Signal(0) is all. */
static int ctl_running(ctl_cli_t *c)
{
    rdd_instance_t *in = &c->wi->inst;
    const host_proc_t *p;
    char path[HOST_PATH_MAX], buf[32];
    snprintf(path, sizeof(path), "%s/rdd.pid", in->dir);
    if (host_fs_read(in->host, path, buf, sizeof(buf)))
        return 0;
    p = host_proc(in->host, (uint32_t)strtoul(buf, NULL, 10));
    return p && p->alive &&
           (in->id.os != RDD_OS_WINDOWS || !strcmp(p->name, "rdd"));
}

/* The instance whose apiserver serves 127.0.0.1:port, or NULL. */
static winst_t *apiserver_at(world_t *w, int port)
{
    int j;
    for (j = 0; j < w->sc->ninstances; j++)
        if (w->inst[j].up && rdd_apiserver_listens(&w->inst[j].inst, port))
            return &w->inst[j];
    return NULL;
}

/* One request of c's client (phase "readiness": checkReadiness's GET
 * /version, service.go:357-370; "kubectl": the verb itself):
 * GetKubeconfig (service.go:91-101), then a dial of the server it names
 * and whatever listens there.  Returns 0 with the apiserver reached in
 * *srv, or an error with client-go's text in err. */
static int ctl_request(ctl_cli_t *c, const char *phase, winst_t **srv,
                       char *err, size_t len)
{
    world_t *w = c->w;
    rdd_instance_t *in = &c->wi->inst;
    rdd_kubeconfig_t kc;
    winst_t *to;
    uint32_t owner;
    sim_trace_t *tr;
    char reached[120], t[32];
    int rc;
    *srv = NULL;
    to = NULL;
    owner = 0;
    snprintf(reached, sizeof(reached), "none");
    memset(&kc, 0, sizeof(kc));
    if (!ctl_running(c)) {
        rc = SIM_ESRCH;
        snprintf(err, len, "control plane \"%s\" is not running",
                 in->id.name);
    } else if (rdd_kubeconfig_read(in, &kc)) {
        rc = SIM_ENOENT;
        snprintf(err, len, "could not read config from %s: open %s: %s "
                 "(control plane may still be starting)", in->id.config,
                 in->id.config, in->id.os == RDD_OS_WINDOWS
                                    ? "The system cannot find the file "
                                      "specified."
                                    : "no such file or directory");
    } else if (!(owner = host_port_owner(w->host, kc.port))) {
        rc = SIM_ECONNREFUSED;
        snprintf(err, len, "Get \"https://127.0.0.1:%d/version\": dial tcp "
                 "127.0.0.1:%d: %s", kc.port, kc.port,
                 in->id.os == RDD_OS_WINDOWS
                     ? "connectex: No connection could be made because the "
                       "target machine actively refused it."
                     : "connect: connection refused");
    } else {
        to = apiserver_at(w, kc.port);
        if (to)
            snprintf(reached, sizeof(reached), "%s", to->inst.id.name);
        else
            snprintf(reached, sizeof(reached), "pid %u (%s)", owner,
                     host_proc(w->host, owner)->name);
        /* Any other TLS server presents a cert kc does not trust. */
        rc = to ? rdd_apiserver_admit(&to->inst, &kc) : SIM_EX509;
        if (rc == SIM_EUNAUTHORIZED)
            snprintf(err, len, "Unauthorized");
        else if (rc)
            snprintf(err, len, "Get \"https://127.0.0.1:%d/version\": %s",
                     kc.port, sim_strerror(rc));
    }
    tr = sim_trace_begin(&w->loop, "rdd.ctl.request");
    sim_trace_str(tr, "inst", in->id.name);
    sim_trace_str(tr, "phase", phase);
    sim_trace_u64(tr, "port", (uint64_t)kc.port);
    sim_trace_ns(tr, "config_written", kc.written_ns);
    sim_trace_str(tr, "reached", reached);
    sim_trace_err(tr, "err", rc);
    /* links for explain: the bind that wrote the config read, the bind of
     * whoever answered, this service's own (moved) port */
    sim_trace_link(tr, "config", kc.written_trace);
    if (kc.written_pid && !host_proc_alive(w->host, kc.written_pid))
        sim_trace_link(tr, "writer_exit",
                       host_proc_trace(w->host, kc.written_pid, 1));
    if (to && to != c->wi)
        sim_trace_link(tr, "server",
                       to->inst.bridge.ports.p[RDD_PORT_APISERVER].trace_seq);
    if (to != c->wi)
        sim_trace_link(tr, "own",
                       in->bridge.ports.p[RDD_PORT_APISERVER].trace_seq);
    sim_trace_end(tr);
    /* S17: a client of this instance reached some other server. */
    if (owner && to != c->wi && !c->wi->s17_bad[0]) {
        char cmd[200];
        ctl_cmd(c, cmd, sizeof(cmd));
        snprintf(c->wi->s17_bad, sizeof(c->wi->s17_bad),
                 "%s's `%s` read %s (server https://127.0.0.1:%d, written "
                 "at %s) and reached %s%s, not its own apiserver: %s",
                 in->id.name, cmd, in->id.config, kc.port,
                 sim_fmt_ns(t, kc.written_ns), reached,
                 to ? "'s apiserver" : "", rc ? err : "admitted");
    }
    if (rc == 0)
        *srv = to;
    return rc;
}

/* kubectl (kubectl.go:57-64) with KUBECONFIG=instance.Config(): one
 * request, then the verb on the apiserver it reached. */
static void ctl_kubectl(ctl_cli_t *c)
{
    const sc_action_t *a = c->a;
    winst_t *srv;
    static kube_obj_t o; /* large; the world is single-threaded */
    kube_status_t st;
    char err[400], line[KUBE_MSG_MAX + 200];
    int rc = ctl_request(c, "kubectl", &srv, err, sizeof(err));
    if (rc == SIM_EUNAUTHORIZED) {
        ctl_exit(c, 1, "error: You must be logged in to the server "
                       "(Unauthorized)");
        return;
    }
    if (rc) {
        snprintf(line, sizeof(line), "Unable to connect to the server: %s",
                 err);
        ctl_exit(c, 1, line);
        return;
    }
    memset(&st, 0, sizeof(st));
    rc = kube_get(srv->inst.api, a->kube_kind, a->ns, a->obj_name, &o, &st);
    if (rc == 0 && !strcmp(a->verb, "delete"))
        rc = kube_delete(srv->inst.api, a->kube_kind, a->ns, a->obj_name,
                         &st);
    else if (rc == 0 && !strcmp(a->verb, "patch")) {
        /* kubectl patch --type=merge: no resourceVersion precondition */
        kube_obj_t *p = &o;
        rc = kube_spec_set(p, a->key, a->value);
        if (rc == 0)
            rc = kube_apply(srv->inst.api, p, 0, &st);
    }
    if (rc) {
        snprintf(line, sizeof(line), "Error from server (%s): %s",
                 st.reason[0] ? st.reason : sim_err_name(rc),
                 st.message[0] ? st.message : sim_strerror(rc));
        ctl_exit(c, 1, line);
        return;
    }
    snprintf(line, sizeof(line), "%s/%s%s", kube_kind_resource(a->kube_kind),
             a->obj_name, !strcmp(a->verb, "delete")  ? " deleted"
                          : !strcmp(a->verb, "patch") ? " patched"
                                                      : "");
    cli_trace_print(c->w, c->wi, line);
    ctl_exit(c, 0, "");
}

static void ctl_poll(ctl_cli_t *c);

static void ctl_tick(void *arg, void *unused)
{
    ctl_cli_t *c = arg;
    (void)unused;
    if (c->done || c->w->torn_down)
        return;
    /* service.go:447-449: the caller's 90 s context ends the wait. */
    if (sim_now(&c->w->loop) >= c->start_ns + CTL_WAIT_NS) {
        ctl_exit(c, 4, "context deadline exceeded");
        return;
    }
    ctl_poll(c);
}

/* service.go:426-463 Wait: checkReadiness at once, then every 500 ms
 * until it passes or the context ends. */
static void ctl_poll(ctl_cli_t *c)
{
    winst_t *srv;
    uint64_t now = sim_now(&c->w->loop), next;
    c->polls++;
    if (ctl_request(c, "readiness", &srv, c->last_err,
                    sizeof(c->last_err)) == 0) {
        ctl_kubectl(c);
        return;
    }
    next = now + CTL_POLL_NS;
    if (next > c->start_ns + CTL_WAIT_NS)
        next = c->start_ns + CTL_WAIT_NS;
    (void)sim_call(&c->w->loop, next - now, ctl_tick, c, NULL);
}

/* kubectl.go:33-44 ctlAction: ensureServiceRunning (cmd/rdd/service.go:
 * 93-120: a service that is not Running() is started; either way Wait
 * polls readiness through Config() for up to 90 s), then kubectl with
 * KUBECONFIG=Config().  Leaves out: Create when args.json is missing (a
 * scenario's instance exists), waitForFreshDiscoveryConfigMap (one more
 * request through the same Config()), the controller and CRD phases of
 * checkReadiness (a reachable own apiserver is ready). */
static void rdd_ctl(world_t *w, const sc_action_t *a)
{
    ctl_cli_t *c = &w->ctl[w->cur_action];
    winst_t *wi = &w->inst[a->instance];
    char what[200];
    int rc = 0;
    *c = (ctl_cli_t){.w = w, .wi = wi, .a = a, .start_ns = sim_now(&w->loop)};
    if (!wi->up) {
        act_trace(w, a, "instance not started", SIM_ESTATE);
        return;
    }
    ctl_cmd(c, what, sizeof(what));
    if (!ctl_running(c)) {
        /* startAndWaitForReady (cmd/rdd/service.go:126-143) */
        apply_env(w, a->instance);
        rc = rdd_svc_start(&wi->inst);
    }
    act_trace(w, a, what + strlen("rdd ctl "), rc);
    if (rc) {
        ctl_exit(c, 1, sim_strerror(rc));
        return;
    }
    ctl_poll(c);
}

/* fault ticks ---------------------------------------------------------------*/

/* Once per virtual second: each live process of a kind asks its crash site
 * whether it dies now, and dies by the path its timeline step takes
 * (proc.kill, hostswitch.die, owner.crash).  dockerd in the VM dies alone:
 * dock_daemon_stop on the instance's VM daemon, as lima.c does when the VM
 * stops, but the VM and its hostagent stay up (the model does not restart
 * it: the next VM start does). */
void world_fault_tick(world_t *w)
{
    int i;
    for (i = 0; i < w->sc->ninstances; i++) {
        winst_t *wi = &w->inst[i];
        const char *name = wi->inst.id.name;
        uint32_t pid;
        if (!wi->up)
            continue;
        pid = wi->inst.proc.pid;
        if (pid && host_proc_alive(w->host, pid) &&
            SIM_FAULT(&w->loop, PROC_CRASH_SERVICE, name))
            (void)host_kill(w->host, pid);
        pid = role_pid(&wi->inst, "hostagent");
        if (pid && SIM_FAULT(&w->loop, PROC_CRASH_HOSTAGENT, name))
            (void)host_kill(w->host, pid);
        if (wi->up && rdd_hostswitch_up(&wi->inst) &&
            SIM_FAULT(&w->loop, PROC_CRASH_HOSTSWITCH, name))
            rdd_hostswitch_die(&wi->inst, "vsock accept: use of closed "
                                          "network connection");
        if (wi->inst.vm_daemon && dock_daemon_up(wi->inst.vm_daemon) &&
            SIM_FAULT(&w->loop, PROC_CRASH_DOCKERD, name))
            dock_daemon_stop(wi->inst.vm_daemon);
    }
    for (i = 0; i < w->sc->nowners; i++) {
        owner_t *o = &w->owners[i];
        if (o->kind == OWNER_DOCKER_DESKTOP && o->state != OWNER_DOWN &&
            SIM_FAULT(&w->loop, OWNER_CRASH_DOCKER_DESKTOP, o->name))
            owner_crash(o);
    }
    /* A running distro stops under its VM: the path of the timeline's
     * wsl.terminate, actor "user" (the name is copied: observers run
     * synchronously). */
    for (i = 0;; i++) {
        const char *d = host_wsl_distro(w->host, (size_t)i);
        char name[64];
        if (!d)
            break;
        if (host_wsl_state(w->host, d) != HOST_WSL_RUNNING)
            continue;
        snprintf(name, sizeof(name), "%s", d);
        if (SIM_FAULT(&w->loop, WSL_DISTRO_STOP, name))
            (void)host_wsl_terminate(w->host, name, "user");
    }
}
