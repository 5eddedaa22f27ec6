/*
 * cli_serve.c: rddsim serve FILE [--variant V] [--speed X] [--dir DIR]
 *                              [--seed N] [--until-end] [--record OUT]
 *                              [--port P]
 *
 * Live mode: runs the scenario on the real-time driver (sim/rt.h) and
 * serves its fakes on unix sockets in DIR, so a real docker CLI can walk
 * into the collision:
 *   DIR/docker/<daemon>.sock  each fake Docker daemon, straight;
 *   DIR/pipes/<name>.sock     each Windows pipe name the scenario can
 *                             involve (docker_engine, the owners' pipes,
 *                             each instance's per-instance pipe), dialed at
 *                             connect time: whoever owns the name then;
 *   DIR/kube/<instance>.sock  each instance's Kubernetes API (fakes/kube/
 *                             front.h), also on http://127.0.0.1:P (P, P+1
 *                             ... with --port P, else ports the OS picks),
 *                             with DIR/kube/<instance>.kubeconfig (0600)
 *                             naming the TCP one for kubectl.
 * DIR is created mode 0700 (default: a fresh mkdtemp); an existing DIR
 * must be a directory owned by the user with mode 0700.  Nothing outside
 * DIR is touched.  Violations print as they happen; SIGINT/SIGTERM (or,
 * with --until-end, the scenario's duration) ends the run with the usual
 * violation and verdict lines.  Exit codes as `run` (cli.h).
 *
 * --record OUT writes the input file again with each external call that
 * changed a daemon as a timeline step at its virtual send time, named by
 * the daemon that answered (through a pipe: whoever owned it then):
 * ContainerRemove is docker.rm, ContainerCreate is docker.run (created and
 * started at once), any other change that succeeded (stop, start, pause,
 * image or volume remove ...) docker.api; a failed one is a comment.  Kubernetes writes:
 * a DELETE of a Container, Image or Volume mirror is kube.delete (by its
 * status.name / status.repoTag), of the App app.delete, of anything else
 * rdd.ctl delete; a merge PATCH of the App is one app.patch per spec field
 * set, of another kind rdd.ctl patch; what has no step (a field removed,
 * finalizers, a failed write) is a comment.  `rddsim run OUT` replays.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "docker/front_http.h"
#include "kube/front.h"
#include "scenario/world.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/rt.h"
#include "sim/trace.h"

#define CMD "serve"
#define SERVE_SOCKS_MAX 32

typedef struct {
    const char *file, *variant, *dir, *speed, *record, *port;
    uint64_t seed;
    int have_seed, until_end;
} serve_opts_t;

/* One recorded external call (--record). */
typedef struct {
    uint64_t t_ns;
    int kind;                      /* REC_RM, REC_RUN, REC_OTHER */
    char where[96];                /* "daemon: dd" or "instance: \"2\"" */
    char container[DOCK_REF_MAX];
    char image[DOCK_REF_MAX];
    int force;
    dock_op_t op;                  /* REC_API: the Engine call */
    char note[DOCK_REF_MAX + 64];  /* REC_OTHER: what it was */
    char yaml[512];                /* REC_YAML: the step's keys after
                                      `do:`, one per line */
} rec_step_t;

enum { REC_RM, REC_RUN, REC_OTHER, REC_YAML, REC_API };

typedef struct serve serve_t;

/* What a kube front asks for its store: instance i of the view. */
typedef struct {
    serve_t *s;
    int i;
} kapi_t;

struct serve {
    const scenario_t *sc;
    const serve_opts_t *o;
    double speed;
    int adhoc;                   /* the variant is a preset the file lacks */
    char dir[CLI_PATH_MAX];
    int made_dir;
    char pipes[SERVE_SOCKS_MAX][NPIPE_NAME_MAX]; /* canonical names */
    int npipes;
    sim_rt_t *rt;
    dock_http_t *http[SERVE_SOCKS_MAX];
    char socks[SERVE_SOCKS_MAX][CLI_PATH_MAX];
    int nhttp;
    /* --record: which daemon an Info.ID is, as a step names it */
    char did[SC_MAX_DAEMONS + SC_MAX_INSTANCES][64];
    char dwhere[SC_MAX_DAEMONS + SC_MAX_INSTANCES][96];
    int nd;
    rec_step_t *rec;
    size_t nrec, caprec;
    /* the Kubernetes API, one front per instance */
    world_live_view_t view;
    kube_front_t *kube[SC_MAX_INSTANCES];
    kapi_t kapi[SC_MAX_INSTANCES];
    char kconf[SC_MAX_INSTANCES][CLI_PATH_MAX];
    int nkube;
    int port;
    rdd_flags_t flags;
};

enum { O_VARIANT, O_SPEED, O_DIR, O_SEED, O_UNTIL_END, O_RECORD, O_PORT };

static const cli_opt_t serve_opts[] = {
    [O_VARIANT] = {"--variant", 1}, [O_SPEED] = {"--speed", 1},
    [O_DIR] = {"--dir", 1},         [O_SEED] = {"--seed", 1},
    [O_UNTIL_END] = {"--until-end", 0}, [O_RECORD] = {"--record", 1},
    [O_PORT] = {"--port", 1},
};

static int parse_opts(int argc, char **argv, serve_opts_t *o)
{
    cli_args_t a;
    const char *val = NULL;
    int k, rc;
    memset(o, 0, sizeof(*o));
    cli_args_init(&a, CMD, argc, argv, serve_opts,
                  sizeof(serve_opts) / sizeof(serve_opts[0]));
    while ((k = cli_next(&a, &val)) != CLI_END) {
        switch (k) {
        case CLI_ERR:
            return EXIT_USAGE;
        case CLI_HELP:
            cli_help(CMD, stdout);
            return -1;
        case CLI_ARG:
            if (o->file)
                return cli_usage(CMD, "one FILE only (%s, then %s)", o->file,
                                 val);
            o->file = val;
            break;
        case O_VARIANT: o->variant = val; break;
        case O_SPEED: o->speed = val; break;
        case O_DIR: o->dir = val; break;
        case O_UNTIL_END: o->until_end = 1; break;
        case O_RECORD: o->record = val; break;
        case O_PORT: o->port = val; break;
        case O_SEED:
            if ((rc = cli_u64(CMD, "--seed", val, &o->seed)) != 0)
                return rc;
            o->have_seed = 1;
            break;
        }
    }
    if (!o->file)
        return cli_usage(CMD, "needs a scenario FILE");
    return 0;
}

/* DIR: ours (mkdtemp), or the user's own 0700 directory. */
static int make_dir(serve_t *s)
{
    struct stat st;
    char sub[CLI_PATH_MAX + 16];
    if (!s->o->dir) {
        const char *tmp = getenv("TMPDIR");
        snprintf(s->dir, sizeof(s->dir), "%s/rddsim-serve-XXXXXX",
                 tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(s->dir)) {
            fprintf(stderr, "rddsim serve: mkdtemp %s: %s\n", s->dir,
                    strerror(errno));
            return EXIT_USAGE;
        }
        s->made_dir = 1;
    } else {
        if (strlen(s->o->dir) > 80)
            return cli_usage(CMD, "--dir %s: too long for unix sockets "
                                  "(80 bytes at most)", s->o->dir);
        snprintf(s->dir, sizeof(s->dir), "%s", s->o->dir);
        if (mkdir(s->dir, 0700) == 0)
            s->made_dir = 1;
        else if (errno != EEXIST) {
            fprintf(stderr, "rddsim serve: --dir %s: %s\n", s->dir,
                    strerror(errno));
            return EXIT_USAGE;
        }
    }
    if (lstat(s->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "rddsim serve: --dir %s: not a directory\n", s->dir);
        return EXIT_USAGE;
    }
    if (st.st_uid != getuid()) {
        fprintf(stderr, "rddsim serve: --dir %s: not owned by you "
                        "(uid %u)\n", s->dir, (unsigned)getuid());
        return EXIT_USAGE;
    }
    if ((st.st_mode & 07777) != 0700) {
        fprintf(stderr, "rddsim serve: --dir %s: mode %04o, must be 0700\n",
                s->dir, (unsigned)(st.st_mode & 07777));
        return EXIT_USAGE;
    }
    snprintf(sub, sizeof(sub), "%s/docker", s->dir);
    if (mkdir(sub, 0700) != 0 && errno != EEXIST)
        return EXIT_USAGE;
    snprintf(sub, sizeof(sub), "%s/pipes", s->dir);
    if (mkdir(sub, 0700) != 0 && errno != EEXIST)
        return EXIT_USAGE;
    snprintf(sub, sizeof(sub), "%s/kube", s->dir);
    if (mkdir(sub, 0700) != 0 && errno != EEXIST)
        return EXIT_USAGE;
    return 0;
}

static void add_pipe(serve_t *s, const char *path)
{
    char canon[NPIPE_NAME_MAX];
    int i;
    if (!path[0] || npipe_normalize(path, canon) != 0 ||
        s->npipes == SERVE_SOCKS_MAX)
        return;
    for (i = 0; i < s->npipes; i++)
        if (!strcmp(s->pipes[i], canon))
            return;
    snprintf(s->pipes[s->npipes++], NPIPE_NAME_MAX, "%s", canon);
}

/* The names the scenario can involve (rdd/pkg/instance/instance.go
 * DockerSocket: the shared name and the per-instance one). */
static void pipe_names(serve_t *s)
{
    char p[NPIPE_NAME_MAX];
    int i;
    add_pipe(s, "\\\\.\\pipe\\docker_engine");
    for (i = 0; i < s->sc->nowners; i++) {
        add_pipe(s, s->sc->owners[i].pipe);
        add_pipe(s, s->sc->owners[i].machine_pipe);
    }
    for (i = 0; i < s->sc->ninstances; i++) {
        const sc_instance_t *in = &s->sc->instances[i];
        snprintf(p, sizeof(p), "\\\\.\\pipe\\rancher-desktop-%s-docker_engine",
                 in->env_set && in->value[0] ? in->value : "2");
        add_pipe(s, p);
    }
}

static void on_accept(void *arg, sim_stream_t *server_end)
{
    dock_http_serve(arg, server_end);
}

static int serve_one(serve_t *s, const dock_http_opts_t *ho, const char *kind,
                     const char *name)
{
    char *path = s->socks[s->nhttp];
    int rc;
    if (s->nhttp == SERVE_SOCKS_MAX)
        return 0;
    snprintf(path, CLI_PATH_MAX, "%s/%s/%s.sock", s->dir, kind, name);
    if ((rc = dock_http_new(ho, &s->http[s->nhttp])) != 0)
        return rc;
    if ((rc = sim_rt_listen(s->rt, path, on_accept, s->http[s->nhttp]))) {
        fprintf(stderr, "rddsim serve: %s: %s\n", path, sim_strerror(rc));
        dock_http_free(s->http[s->nhttp]);
        s->http[s->nhttp] = NULL;
        return rc;
    }
    s->nhttp++;
    return 0;
}

/* --record: every external call that changes a daemon, at the virtual
 * time it was sent, named by the daemon that answered it. */
static void on_call(void *arg, uint64_t sent_ns, const dock_req_t *req,
                    const dock_resp_t *resp, const void *item)
{
    serve_t *s = arg;
    rec_step_t *r;
    const char *where = NULL;
    int i;
    if (!dock_op_mutating(req->op))
        return;
    for (i = 0; i < s->nd; i++)
        if (!strcmp(s->did[i], resp->daemon_id))
            where = s->dwhere[i];
    if (!where)
        return;
    if (s->nrec == s->caprec) {
        size_t cap = s->caprec ? s->caprec * 2 : 16;
        rec_step_t *n = sim__realloc(s->rec, cap * sizeof(*n));
        if (!n)
            return;
        s->rec = n;
        s->caprec = cap;
    }
    r = &s->rec[s->nrec];
    memset(r, 0, sizeof(*r));
    r->t_ns = sent_ns;
    snprintf(r->where, sizeof(r->where), "%s", where);
    if (req->op == DOCK_OP_CONTAINER_REMOVE) {
        r->kind = REC_RM;
        snprintf(r->container, sizeof(r->container), "%s", req->ref);
        r->force = req->force;
    } else if (req->op == DOCK_OP_CONTAINER_CREATE) {
        const dock_container_t *k = item;
        if (resp->http != 201 || !k)
            return;
        r->kind = REC_RUN;
        snprintf(r->container, sizeof(r->container), "%s",
                 k->name[0] == '/' ? k->name + 1 : k->name);
        snprintf(r->image, sizeof(r->image), "%s", req->image);
    } else if (resp->http < 400 && req->op != DOCK_OP_CONTAINER_CREATE) {
        /* Any other change that succeeded: one docker.api step. */
        r->kind = REC_API;
        r->op = req->op;
        snprintf(r->container, sizeof(r->container), "%s", req->ref);
        r->force = req->force;
    } else {
        r->kind = REC_OTHER;
        snprintf(r->note, sizeof(r->note), "%s %s%s (http %d)",
                 dock_op_name(req->op), req->ref, req->force ? " force" : "",
                 resp->http);
    }
    s->nrec++;
}

/* Maps each daemon's Info.ID to how a timeline step names it. */
static void map_daemons(serve_t *s, const world_live_view_t *v)
{
    int i;
    for (i = 0; i < v->ndaemons && s->nd < SC_MAX_DAEMONS + SC_MAX_INSTANCES;
         i++) {
        const char *name = dock_daemon_name(v->daemons[i]);
        snprintf(s->did[s->nd], sizeof(s->did[0]), "%s",
                 dock_daemon_id(v->daemons[i]));
        if (i >= s->sc->ndaemons && !strncmp(name, "vm-", 3))
            snprintf(s->dwhere[s->nd], sizeof(s->dwhere[0]),
                     "instance: \"%s\"", name + 3);
        else
            snprintf(s->dwhere[s->nd], sizeof(s->dwhere[0]), "daemon: %s",
                     name);
        s->nd++;
    }
}

/* the Kubernetes API ------------------------------------------------------*/

static const char *inst_key(const serve_t *s, int i)
{
    const sc_instance_t *in = &s->sc->instances[i];
    return in->env_set ? in->value : "unset";
}

static kube_store_t *kapi_store(void *arg, uint64_t *epoch, int *up)
{
    kapi_t *k = arg;
    return k->s->view.kube_api(k->s->view.world, k->i, epoch, up);
}

static rec_step_t *rec_add(serve_t *s, uint64_t t_ns)
{
    rec_step_t *r;
    if (s->nrec == s->caprec) {
        size_t cap = s->caprec ? s->caprec * 2 : 16;
        rec_step_t *n = sim__realloc(s->rec, cap * sizeof(*n));
        if (!n)
            return NULL;
        s->rec = n;
        s->caprec = cap;
    }
    r = &s->rec[s->nrec++];
    memset(r, 0, sizeof(*r));
    r->t_ns = t_ns;
    return r;
}

/* A YAML double-quoted scalar of v into out. */
static void yq(char *out, size_t len, const char *v)
{
    size_t o = 0;
    if (len < 3)
        return;
    out[o++] = '"';
    for (; *v && o + 3 < len; v++) {
        if (*v == '"' || *v == '\\')
            out[o++] = '\\';
        out[o++] = *v;
    }
    out[o++] = '"';
    out[o] = 0;
}

static void rec_note(serve_t *s, uint64_t t, int inst, const char *what)
{
    rec_step_t *r = rec_add(s, t);
    if (!r)
        return;
    r->kind = REC_OTHER;
    snprintf(r->where, sizeof(r->where), "instance \"%s\"",
             inst_key(s, inst));
    snprintf(r->note, sizeof(r->note), "%s", what);
}

/* Each leaf of a merge patch's spec: one step (app.patch or rdd.ctl
 * patch); a null (a removal) has none. */
static void rec_patch_leaves(serve_t *s, const kube_front_call_t *c,
                             int inst, json_t *obj, const char *prefix)
{
    const kube_front_res_t *res = kube_front_resource(c->kind);
    const char *k;
    json_t *v;
    char key[128], val[256], qk[160], qv[300], qn[200], qns[160];
    json_object_foreach(obj, k, v)
    {
        rec_step_t *r;
        snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "",
                 k);
        if (json_is_object(v)) {
            rec_patch_leaves(s, c, inst, v, key);
            continue;
        }
        if (json_is_null(v) || json_is_array(v)) {
            char what[300];
            snprintf(what, sizeof(what), "kube patch %s/%s spec.%s=%s",
                     res->plural, c->name, key,
                     json_is_null(v) ? "null" : "[...]");
            rec_note(s, c->t_ns, inst, what);
            continue;
        }
        if (json_is_string(v))
            snprintf(val, sizeof(val), "%s", json_string_value(v));
        else if (json_is_boolean(v))
            snprintf(val, sizeof(val), "%s", json_is_true(v) ? "true"
                                                             : "false");
        else if (json_is_integer(v))
            snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        else
            snprintf(val, sizeof(val), "%.17g", json_number_value(v));
        if (!(r = rec_add(s, c->t_ns)))
            return;
        r->kind = REC_YAML;
        yq(qk, sizeof(qk), key);
        yq(qv, sizeof(qv), val);
        yq(qn, sizeof(qn), c->name);
        yq(qns, sizeof(qns), c->ns);
        if (c->kind == KUBE_APP)
            snprintf(r->yaml, sizeof(r->yaml),
                     "do: app.patch\ninstance: \"%s\"\nkey: %s\nvalue: %s",
                     inst_key(s, inst), qk, qv);
        else
            snprintf(r->yaml, sizeof(r->yaml),
                     "do: rdd.ctl\ninstance: \"%s\"\nverb: patch\n"
                     "kind: %s\nname: %s\nnamespace: %s\nkey: %s\n"
                     "value: %s",
                     inst_key(s, inst), res->kind_name, qn, qns, qk, qv);
    }
}

/* --record: a Kubernetes write from a live client, at the virtual time it
 * arrived. */
static void on_kube_call(void *arg, const kube_front_call_t *c)
{
    kapi_t *ka = arg;
    serve_t *s = ka->s;
    const kube_front_res_t *res = kube_front_resource(c->kind);
    rec_step_t *r;
    char what[400], qn[200], qns[160];
    if (c->http >= 300) {
        snprintf(what, sizeof(what), "kube %s %s/%s (http %d)", c->verb,
                 res->plural, c->name, c->http);
        rec_note(s, c->t_ns, ka->i, what);
        return;
    }
    yq(qn, sizeof(qn), c->name);
    yq(qns, sizeof(qns), c->ns);
    if (!strcmp(c->verb, "delete")) {
        const char *dn = NULL;
        if (c->before && (c->kind == KUBE_CONTAINER ||
                          c->kind == KUBE_VOLUME))
            dn = kube_status_get(c->before, "name");
        else if (c->before && c->kind == KUBE_IMAGE)
            dn = kube_status_get(c->before, "repoTag");
        if (!(r = rec_add(s, c->t_ns)))
            return;
        r->kind = REC_YAML;
        if (dn && dn[0]) {
            char qd[200];
            yq(qd, sizeof(qd), dn);
            snprintf(r->yaml, sizeof(r->yaml),
                     "do: kube.delete\ninstance: \"%s\"\nkind: %s\n"
                     "docker_name: %s",
                     inst_key(s, ka->i), res->kind_name, qd);
        } else if (c->kind == KUBE_APP)
            snprintf(r->yaml, sizeof(r->yaml),
                     "do: app.delete\ninstance: \"%s\"", inst_key(s, ka->i));
        else
            snprintf(r->yaml, sizeof(r->yaml),
                     "do: rdd.ctl\ninstance: \"%s\"\nverb: delete\n"
                     "kind: %s\nname: %s\nnamespace: %s",
                     inst_key(s, ka->i), res->kind_name, qn, qns);
        return;
    }
    {
        json_error_t err;
        json_t *p = c->patch ? json_loads(c->patch, 0, &err) : NULL;
        json_t *spec = json_object_get(p, "spec");
        const char *k;
        json_t *v;
        if (json_is_object(spec))
            rec_patch_leaves(s, c, ka->i, spec, "");
        json_object_foreach(p, k, v) if (strcmp(k, "spec"))
        {
            snprintf(what, sizeof(what), "kube patch %s/%s: its %s",
                     res->plural, c->name, k);
            rec_note(s, c->t_ns, ka->i, what);
        }
        json_decref(p);
    }
}

/* DIR/kube/<instance>.kubeconfig (0600): one cluster, the TCP port. */
static int write_kubeconfig(const char *path, const char *name, int port)
{
    FILE *f;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        fprintf(stderr, "rddsim serve: %s: %s\n", path, strerror(errno));
        return EXIT_INTERNAL;
    }
    fprintf(f,
            "apiVersion: v1\n"
            "kind: Config\n"
            "clusters:\n"
            "- name: rddsim-%s\n"
            "  cluster:\n"
            "    server: http://127.0.0.1:%d\n"
            "contexts:\n"
            "- name: rddsim-%s\n"
            "  context:\n"
            "    cluster: rddsim-%s\n"
            "    user: rddsim\n"
            "    namespace: default\n"
            "current-context: rddsim-%s\n"
            "users:\n"
            "- name: rddsim\n"
            "  user: {}\n",
            name, port, name, name, name);
    return fclose(f) == 0 ? 0 : EXIT_INTERNAL;
}

static void on_kube_accept(void *arg, sim_stream_t *server_end)
{
    kube_front_serve(arg, server_end);
}

static int serve_kube(serve_t *s, const world_live_view_t *v)
{
    kube_front_opts_t ko;
    char path[CLI_PATH_MAX + 64];
    int i, rc, bound = 0;
    /* Timestamps: the wall clock now is virtual now. */
    int64_t epoch_s = (int64_t)time(NULL) -
                      (int64_t)((double)sim_now(v->loop) / 1e9 / s->speed);
    for (i = 0; i < v->ninstances && i < SC_MAX_INSTANCES; i++) {
        const char *name = inst_key(s, i);
        s->kapi[i].s = s;
        s->kapi[i].i = i;
        memset(&ko, 0, sizeof(ko));
        ko.loop = v->loop;
        ko.store = kapi_store;
        ko.store_arg = &s->kapi[i];
        ko.consistent_list =
            !RDD_HAS(s->flags, NO_CONSISTENT_LIST_FROM_CACHE);
        ko.epoch_s = epoch_s;
        ko.speed = s->speed;
        ko.on_call = s->o->record ? on_kube_call : NULL;
        ko.on_call_arg = &s->kapi[i];
        if ((rc = kube_front_new(&ko, &s->kube[i])) != 0)
            return rc;
        s->nkube = i + 1;
        snprintf(path, sizeof(path), "%s/kube/%s.sock", s->dir, name);
        if ((rc = sim_rt_listen(s->rt, path, on_kube_accept, s->kube[i]))) {
            fprintf(stderr, "rddsim serve: %s: %s\n", path,
                    sim_strerror(rc));
            return rc;
        }
        if ((rc = sim_rt_listen_tcp(s->rt, s->port ? s->port + i : 0,
                                    &bound, on_kube_accept, s->kube[i]))) {
            fprintf(stderr, "rddsim serve: --port %d: %s\n",
                    s->port ? s->port + i : 0, sim_strerror(rc));
            return rc;
        }
        snprintf(s->kconf[i], sizeof(s->kconf[i]), "%s/kube/%s.kubeconfig",
                 s->dir, name);
        if ((rc = write_kubeconfig(s->kconf[i], name, bound)) != 0) {
            s->kconf[i][0] = 0;
            return SIM_EACCES;
        }
        printf("kube %s: unix://%s http://127.0.0.1:%d\n", name, path, bound);
    }
    for (i = 0; i < s->nkube; i++)
        printf("export KUBECONFIG=%s\n", s->kconf[i]);
    return 0;
}

static int on_built(void *arg, const world_live_view_t *v)
{
    serve_t *s = arg;
    dock_http_opts_t ho;
    char ep[CLI_PATH_MAX + 32];
    int i, rc;
    if ((rc = sim_rt_new(v->loop, s->speed, &s->rt)) != 0)
        return rc;
    s->view = *v;
    map_daemons(s, v);
    for (i = 0; i < v->ndaemons; i++) {
        const char *name = dock_daemon_name(v->daemons[i]);
        memset(&ho, 0, sizeof(ho));
        ho.loop = v->loop;
        ho.daemon = v->daemons[i];
        ho.client = "user";
        ho.on_call = s->o->record ? on_call : NULL;
        ho.on_call_arg = s;
        snprintf(ep, sizeof(ep), "unix://%s/docker/%s.sock", s->dir, name);
        ho.endpoint = ep;
        if ((rc = serve_one(s, &ho, "docker", name)) != 0)
            return rc;
        printf("daemon %s: unix://%s\n", name, s->socks[s->nhttp - 1]);
    }
    for (i = 0; i < s->npipes; i++) {
        const char *base = strrchr(s->pipes[i], '\\');
        base = base ? base + 1 : s->pipes[i];
        memset(&ho, 0, sizeof(ho));
        ho.loop = v->loop;
        ho.pipes = v->pipes;
        ho.pipe = s->pipes[i];
        ho.client = "user";
        ho.endpoint = s->pipes[i];
        ho.on_call = s->o->record ? on_call : NULL;
        ho.on_call_arg = s;
        if ((rc = serve_one(s, &ho, "pipes", base)) != 0)
            return rc;
        printf("pipe %s: unix://%s\n", s->pipes[i], s->socks[s->nhttp - 1]);
    }
    printf("export DOCKER_HOST=unix://%s/pipes/docker_engine.sock\n",
           s->dir);
    if ((rc = serve_kube(s, v)) != 0)
        return rc;
    printf("serving at speed %g; Ctrl-C ends the run\n", s->speed);
    fflush(stdout);
    return 0;
}

static void on_drive(void *arg, sim_loop_t *loop, uint64_t until_ns)
{
    serve_t *s = arg;
    int i;
    char tbuf[32];
    sim_rt_run(s->rt, until_ns, &cli_got_signal);
    if (!cli_got_signal && sim_now(loop) >= until_ns) {
        printf("duration: %s reached%s\n", sim_fmt_ns(tbuf, until_ns),
               s->o->until_end ? "" : "; serving on until Ctrl-C");
        if (!s->o->until_end)
            sim_rt_run(s->rt, SIM_NEVER, &cli_got_signal);
    }
    sim_rt_free(s->rt);
    s->rt = NULL;
    for (i = 0; i < s->nhttp; i++)
        dock_http_close_all(s->http[i]);
    for (i = 0; i < s->nkube; i++)
        kube_front_close_all(s->kube[i]);
}

static void verdict(const serve_t *s, const sc_variant_t *v, uint64_t seed,
                    const world_result_t *res)
{
    char exp[160], got[160], tbuf[32];
    int order[SIM_INV_MAX], i, j;
    /* In the order they happened (time, then id), as `run` prints them. */
    for (i = 0; i < res->nviolated; i++) {
        for (j = i; j > 0; j--) {
            int k = order[j - 1];
            if (res->violated_ns[k] < res->violated_ns[i] ||
                (res->violated_ns[k] == res->violated_ns[i] &&
                 strcmp(res->violated[k], res->violated[i]) < 0))
                break;
            order[j] = k;
        }
        order[j] = i;
    }
    for (i = 0; i < res->nviolated; i++)
        printf("violation: %s at %s: %s\n", res->violated[order[i]],
               sim_fmt_ns(tbuf, res->violated_ns[order[i]]),
               res->why[order[i]]);
    for (i = 0; i < res->nstall; i++)
        printf("stall: %s\n", res->stall[i]);
    cli_fmt_ids(v->expect, v->nexpect, exp, sizeof(exp));
    if (s->adhoc) /* a preset the file does not declare: nothing expected */
        snprintf(exp, sizeof(exp), "-");
    cli_fmt_ids((const char(*)[8])res->violated, res->nviolated, got,
                sizeof(got));
    printf("verdict: scenario=%s variant=%s seed=%" PRIu64
           " events=%" PRIu64 " sim_time=%s trace_hash=%016" PRIx64
           " expected=%s got=%s result=%s\n",
           s->sc->name, v->name, seed, res->events,
           sim_fmt_ns(tbuf, res->sim_ns), res->trace_hash, exp, got,
           res->stop == WORLD_STOP_INTERRUPT ? "INTERRUPTED"
           : s->adhoc ? (res->nviolated ? "VIOLATED" : "HOLDS")
           : res->matches                    ? "MATCH"
                                             : "MISMATCH");
}

static void yaml_str(FILE *f, const char *v)
{
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            fputc('\\', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

static void write_steps(const serve_t *s, FILE *f, int indent)
{
    size_t i;
    for (i = 0; i < s->nrec; i++) {
        const rec_step_t *r = &s->rec[i];
        uint64_t us = (r->t_ns + 999) / 1000;
        if (r->kind == REC_YAML) {
            const char *p = r->yaml;
            fprintf(f, "%*s- at: %" PRIu64 "us  # recorded live\n", indent,
                    "", us);
            while (*p) {
                const char *nl = strchr(p, '\n');
                int n = nl ? (int)(nl - p) : (int)strlen(p);
                fprintf(f, "%*s  %.*s\n", indent, "", n, p);
                p += n + (nl ? 1 : 0);
            }
            continue;
        }
        if (r->kind == REC_OTHER) {
            fprintf(f, "%*s# live at %" PRIu64 "us on %s: %s: no timeline "
                       "action replays it\n", indent, "", us, r->where,
                    r->note);
            continue;
        }
        fprintf(f, "%*s- at: %" PRIu64 "us  # recorded live\n", indent, "",
                us);
        fprintf(f, "%*s  do: %s\n", indent, "",
                r->kind == REC_RM    ? "docker.rm"
                : r->kind == REC_API ? "docker.api"
                                     : "docker.run");
        fprintf(f, "%*s  %s\n", indent, "", r->where);
        if (r->kind == REC_API) {
            fprintf(f, "%*s  op: %s\n%*s  ref: ", indent, "",
                    dock_op_name(r->op), indent, "");
            yaml_str(f, r->container);
            fprintf(f, "\n%*s  force: %s\n", indent, "",
                    r->force ? "true" : "false");
            continue;
        }
        fprintf(f, "%*s  container: ", indent, "");
        yaml_str(f, r->container);
        fputc('\n', f);
        if (r->kind == REC_RM && r->force)
            fprintf(f, "%*s  force: true\n", indent, "");
        if (r->kind == REC_RUN) {
            fprintf(f, "%*s  image: ", indent, "");
            yaml_str(f, r->image);
            fputc('\n', f);
        }
    }
}

/* --record: the input file, with the recorded steps at the head of its
 * timeline (the loader orders steps by time) and the duration stretched
 * to cover the last one.  Returns 0 or an exit code. */
static int write_record(const serve_t *s)
{
    FILE *in = fopen(s->o->file, "r");
    cli_file_t out;
    char line[4096];
    uint64_t last = 0;
    size_t i;
    int rc, in_timeline = 0, wrote = 0;
    if (!in) {
        fprintf(stderr, "rddsim serve: %s: %s\n", s->o->file,
                strerror(errno));
        return EXIT_INTERNAL;
    }
    if ((rc = cli_file_open(&out, "--record", s->o->record)) != 0) {
        fclose(in);
        return rc;
    }
    for (i = 0; i < s->nrec; i++)
        if (s->rec[i].kind != REC_OTHER && s->rec[i].t_ns > last)
            last = s->rec[i].t_ns;
    fprintf(out.f, "# Recorded by rddsim serve --variant %s: the live "
                   "session's external calls\n# are the steps marked "
                   "\"recorded live\".\n",
            s->o->variant ? s->o->variant : "head");
    while (fgets(line, sizeof(line), in)) {
        if (!strncmp(line, "duration:", 9) && last >= s->sc->duration_ns) {
            fprintf(out.f, "duration: %" PRIu64 "s  # stretched to cover "
                           "the recorded steps\n",
                    last / SIM_NS_PER_S + 2);
            continue;
        }
        if (in_timeline == 1 && line[0] != '#' && line[0] != '\n') {
            int indent = 0;
            while (line[indent] == ' ')
                indent++;
            write_steps(s, out.f, line[indent] == '-' ? indent : 2);
            wrote = 1;
            in_timeline = 2;
        }
        if (!strncmp(line, "timeline:", 9)) {
            const char *p = line + 9;
            while (*p == ' ')
                p++;
            if (!strncmp(p, "[]", 2)) {
                fputs("timeline:\n", out.f);
                write_steps(s, out.f, 2);
                wrote = 1;
                continue;
            }
            in_timeline = 1;
        }
        fputs(line, out.f);
    }
    fclose(in);
    if (!wrote) {
        if (in_timeline == 0)
            fputs("\ntimeline:\n", out.f);
        write_steps(s, out.f, 2);
    }
    rc = cli_file_close(&out, 1);
    if (rc == 0)
        printf("recorded: %zu call(s) into %s\n", s->nrec, s->o->record);
    return rc;
}

static void cleanup(serve_t *s)
{
    char sub[CLI_PATH_MAX + 16];
    int i;
    for (i = 0; i < s->nhttp; i++) {
        unlink(s->socks[i]);
        dock_http_free(s->http[i]);
    }
    for (i = 0; i < s->nkube; i++) {
        kube_front_free(s->kube[i]);
        if (s->kconf[i][0])
            unlink(s->kconf[i]);
    }
    if (!s->made_dir)
        return;
    snprintf(sub, sizeof(sub), "%s/kube", s->dir);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/docker", s->dir);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/pipes", s->dir);
    rmdir(sub);
    rmdir(s->dir);
}

int cli_serve(int argc, char **argv)
{
    serve_opts_t o;
    serve_t *s;
    scenario_t *sc;
    world_result_t *res;
    world_live_t live;
    world_io_t io;
    cli_filter_t *flt = NULL;
    const sc_variant_t *v;
    static sc_variant_t adhoc; /* a preset the file lacks */
    char msg[512];
    int rc;
    if ((rc = parse_opts(argc, argv, &o)) != 0)
        return rc < 0 ? 0 : rc;
    s = sim__calloc(1, sizeof(*s));
    sc = sim__calloc(1, sizeof(*sc));
    res = sim__calloc(1, sizeof(*res));
    if (!s || !sc || !res) {
        sim__free(s), sim__free(sc), sim__free(res);
        return EXIT_INTERNAL;
    }
    s->o = &o;
    s->sc = sc;
    s->speed = 1;
    if (o.speed) {
        char *end;
        s->speed = strtod(o.speed, &end);
        if (end == o.speed || *end || !(s->speed > 0) || s->speed > 1e9) {
            rc = cli_usage(CMD, "--speed %s: a number > 0 and <= 1e9",
                           o.speed);
            goto out;
        }
    }
    if (o.port) {
        uint64_t p;
        if ((rc = cli_u64(CMD, "--port", o.port, &p)) != 0)
            goto out;
        if (p < 1 || p > 65535 - SC_MAX_INSTANCES) {
            rc = cli_usage(CMD, "--port %s: a TCP port, 1 to %d", o.port,
                           65535 - SC_MAX_INSTANCES);
            goto out;
        }
        s->port = (int)p;
    }
    if ((rc = cli_load(o.file, sc, msg, sizeof(msg))) != 0) {
        fprintf(stderr, "%s\n", msg);
        goto out;
    }
    if (sc->is_matrix) {
        rc = cli_usage(CMD, "%s: a matrix file; serve one cell's scenario",
                       o.file);
        goto out;
    }
    if (!(v = scenario_variant(sc, o.variant ? o.variant : "head"))) {
        /* a built-in preset the file does not declare runs as `run`
         * runs it: its flags, no expectations */
        const rdd_preset_t *p = rdd_preset_by_name(o.variant ? o.variant
                                                             : "head");
        if (!p) {
            fprintf(stderr, "rddsim serve: --variant %s: %s has no such "
                            "variant\n", o.variant ? o.variant : "head",
                    o.file);
            rc = EXIT_USAGE;
            goto out;
        }
        memset(&adhoc, 0, sizeof(adhoc));
        snprintf(adhoc.name, sizeof(adhoc.name), "%s", p->name);
        adhoc.flags = p->flags;
        adhoc.cell_owner = adhoc.cell_order = -1;
        v = &adhoc;
        s->adhoc = 1;
    }
    s->flags = v->flags;
    if ((rc = make_dir(s)) != 0)
        goto out;
    pipe_names(s);
    if ((rc = cli_filter_new(CMD, "ev=sim.invariant.violated", NULL, stdout,
                             &flt)) != 0)
        goto out;
    memset(&io, 0, sizeof(io));
    io.text = cli_filter_stream(flt);
    setvbuf(io.text, NULL, _IOLBF, 0); /* violations as they happen */
    setvbuf(stdout, NULL, _IOLBF, 0);
    io.interrupt = &cli_got_signal;
    live.built = on_built;
    live.drive = on_drive;
    live.arg = s;
    io.live = &live;
    cli_catch_signals();
    printf("dir: %s\n", s->dir);
    rc = world_run(sc, v, o.have_seed ? o.seed : sc->seed, &io, res);
    fflush(io.text);
    cli_filter_free(flt);
    if (s->rt) { /* built failed half-way */
        sim_rt_free(s->rt);
        s->rt = NULL;
    }
    cleanup(s);
    if (rc) {
        fprintf(stderr, "rddsim serve: %s: %s\n", o.file, sim_strerror(rc));
        rc = EXIT_INTERNAL;
        goto out;
    }
    verdict(s, v, o.have_seed ? o.seed : sc->seed, res);
    if (o.record && (rc = write_record(s)) != 0)
        goto out;
    rc = cli_got_signal ? 128 + cli_got_signal
         : res->matches ? 0
                        : EXIT_MISMATCH;
out:
    sim__free(s->rec);
    sim__free(s);
    sim__free(sc);
    sim__free(res);
    return rc;
}
