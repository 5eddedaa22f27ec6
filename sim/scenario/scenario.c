/*
 * scenario.c: scenario files -> scenario_t.  Every key is consumed or an
 * error; every error is positioned.  The schema is documented in
 * docs/scenarios.md; keep the two in step.
 */
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/errno.h"
#include "sim/invariant.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        int rc_ = (x);                                                         \
        if (rc_)                                                               \
            return rc_;                                                        \
    } while (0)

static const char *const act_names[] = {
    "kube.delete", "owner.start", "owner.stop", "vm.stop",
    "vm.start",    "docker.rm",   "docker.run", "app.patch",
    "kube.create", "rdd.set",
};

const char *sc_act_name(sc_act_kind_t k)
{
    return act_names[k];
}

static int opt_str(yt_node_t *map, const char *key, char *out, size_t len,
                   yt_error_t *err)
{
    yt_node_t *n = yt_get(map, key);
    return n ? yt_str(n, key, out, len, err) : 0;
}

static int req(yt_node_t *map, const char *key, const char *where,
               yt_node_t **out, yt_error_t *err)
{
    *out = yt_get(map, key);
    if (!*out)
        return yt_fail(err, map, "missing key '%s' in %s", key, where);
    return 0;
}

/* "1ms..3ms" (or a single duration "5ms": min = max). */
static int parse_range(yt_node_t *n, const char *what, uint64_t *lo,
                       uint64_t *hi, yt_error_t *err)
{
    char buf[64], *dots;
    TRY(yt_str(n, what, buf, sizeof(buf), err));
    dots = strstr(buf, "..");
    if (!dots) {
        if (yt_parse_duration(buf, lo))
            return yt_fail(err, n, "%s must be a duration or a range like "
                                   "1ms..3ms, not '%s'", what, buf);
        *hi = *lo;
        return 0;
    }
    *dots = 0;
    if (yt_parse_duration(buf, lo) || yt_parse_duration(dots + 2, hi) ||
        *lo > *hi)
        return yt_fail(err, n, "%s must be a range like 1ms..3ms with "
                               "min <= max", what);
    return 0;
}

static int parse_latency(yt_node_t *n, sc_daemon_t *d, yt_error_t *err)
{
    TRY(parse_range(n, "latency", &d->lat_min_ns, &d->lat_max_ns, err));
    d->has_latency = 1;
    return 0;
}

static int kind_by_name(const char *name)
{
    int k;
    for (k = 0; k < KUBE_KIND__COUNT; k++)
        if (!strcmp(kube_kind_name((kube_kind_t)k), name))
            return k;
    return -1;
}

/* apiserver: {lag: 0ms..50ms, spikes: [{from, to, lag, kinds}]} */
static int parse_apiserver(yt_node_t *m, kube_lag_t *lag, yt_error_t *err)
{
    yt_node_t *v;
    size_t i;
    TRY(yt_expect(m, YT_MAP, "apiserver", err));
    if ((v = yt_get(m, "lag")))
        TRY(parse_range(v, "lag", &lag->lag_min_ns, &lag->lag_max_ns, err));
    if ((v = yt_get(m, "spikes"))) {
        TRY(yt_expect(v, YT_SEQ, "spikes", err));
        if (v->n > KUBE_LAG_SPIKES_MAX)
            return yt_fail(err, v, "at most %d spikes", KUBE_LAG_SPIKES_MAX);
        for (i = 0; i < v->n; i++) {
            yt_node_t *sp = v->vals[i], *f, *k;
            kube_lag_spike_t *out = &lag->spikes[i];
            TRY(yt_expect(sp, YT_MAP, "a spike", err));
            TRY(req(sp, "from", "a spike", &f, err));
            TRY(yt_duration(f, "from", &out->from_ns, err));
            TRY(req(sp, "to", "a spike", &f, err));
            TRY(yt_duration(f, "to", &out->to_ns, err));
            if (out->to_ns <= out->from_ns)
                return yt_fail(err, f, "'to' must be later than 'from'");
            TRY(req(sp, "lag", "a spike", &f, err));
            TRY(yt_duration(f, "lag", &out->lag_ns, err));
            if ((k = yt_get(sp, "kinds"))) {
                size_t j;
                TRY(yt_expect(k, YT_SEQ, "kinds", err));
                for (j = 0; j < k->n; j++) {
                    char name[40];
                    int kind;
                    TRY(yt_str(k->vals[j], "a kind", name, sizeof(name),
                               err));
                    if ((kind = kind_by_name(name)) < 0)
                        return yt_fail(err, k->vals[j],
                                       "unknown kind '%s' (App, Container, "
                                       "Image, Volume, ContainerNamespace)",
                                       name);
                    out->kinds |= 1u << kind;
                }
            }
            TRY(yt_unused(sp, "a spike", err));
        }
        lag->nspikes = (int)v->n;
    }
    return yt_unused(m, "apiserver", err);
}

static int parse_content(yt_node_t *m, sc_daemon_t *d, const char *where,
                         yt_error_t *err)
{
    yt_node_t *n;
    size_t i;
    if ((n = yt_get(m, "latency")))
        TRY(parse_latency(n, d, err));
    if ((n = yt_get(m, "containers"))) {
        TRY(yt_expect(n, YT_SEQ, "containers", err));
        for (i = 0; i < n->n; i++) {
            yt_node_t *c = n->vals[i], *v;
            sc_container_t *sc;
            TRY(yt_expect(c, YT_MAP, "a container", err));
            if (d->nc >= SC_MAX_ITEMS)
                return yt_fail(err, c, "more than %d containers",
                               SC_MAX_ITEMS);
            sc = &d->c[d->nc++];
            TRY(req(c, "name", "a container", &v, err));
            TRY(yt_str(v, "name", sc->name, sizeof(sc->name), err));
            snprintf(sc->image, sizeof(sc->image), "busybox:latest");
            snprintf(sc->state, sizeof(sc->state), "running");
            TRY(opt_str(c, "image", sc->image, sizeof(sc->image), err));
            if ((v = yt_get(c, "state"))) {
                TRY(yt_str(v, "state", sc->state, sizeof(sc->state), err));
                if (strcmp(sc->state, "running") &&
                    strcmp(sc->state, "exited") &&
                    strcmp(sc->state, "created") &&
                    strcmp(sc->state, "paused"))
                    return yt_fail(err, v, "state must be running, exited, "
                                           "created or paused");
            }
            sc->count = 1;
            if ((v = yt_get(c, "count"))) {
                TRY(yt_u64(v, "count", &sc->count, err));
                if (sc->count < 1 || sc->count > 100000)
                    return yt_fail(err, v, "count must be 1..100000");
            }
            TRY(yt_unused(c, "a container", err));
        }
    }
    if ((n = yt_get(m, "images"))) {
        TRY(yt_expect(n, YT_SEQ, "images", err));
        for (i = 0; i < n->n; i++) {
            yt_node_t *c = n->vals[i], *t;
            sc_image_t *im;
            size_t k;
            TRY(yt_expect(c, YT_MAP, "an image", err));
            if (d->ni >= SC_MAX_ITEMS)
                return yt_fail(err, c, "more than %d images", SC_MAX_ITEMS);
            im = &d->im[d->ni++];
            TRY(opt_str(c, "id", im->id, sizeof(im->id), err));
            TRY(req(c, "tags", "an image", &t, err));
            TRY(yt_expect(t, YT_SEQ, "tags", err));
            if (t->n < 1 || t->n > 4)
                return yt_fail(err, t, "an image has 1 to 4 tags");
            for (k = 0; k < t->n; k++)
                TRY(yt_str(t->vals[k], "a tag", im->tags[k],
                           sizeof(im->tags[k]), err));
            im->ntags = (int)t->n;
            TRY(yt_unused(c, "an image", err));
        }
    }
    if ((n = yt_get(m, "volumes"))) {
        TRY(yt_expect(n, YT_SEQ, "volumes", err));
        for (i = 0; i < n->n; i++) {
            if (d->nv >= SC_MAX_ITEMS)
                return yt_fail(err, n->vals[i], "more than %d volumes",
                               SC_MAX_ITEMS);
            TRY(yt_str(n->vals[i], "a volume name", d->vol[d->nv],
                       sizeof(d->vol[0]), err));
            d->nv++;
        }
    }
    (void)where;
    return 0;
}

static int parse_daemons(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "daemons", err));
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v;
        sc_daemon_t *d;
        int j;
        TRY(yt_expect(m, YT_MAP, "a daemon", err));
        if (sc->ndaemons >= SC_MAX_DAEMONS)
            return yt_fail(err, m, "more than %d daemons", SC_MAX_DAEMONS);
        d = &sc->daemons[sc->ndaemons];
        TRY(req(m, "name", "a daemon", &v, err));
        TRY(yt_str(v, "name", d->name, sizeof(d->name), err));
        for (j = 0; j < sc->ndaemons; j++)
            if (!strcmp(sc->daemons[j].name, d->name))
                return yt_fail(err, v, "daemon '%s' is defined twice",
                               d->name);
        {
            char nm[SC_NAME_MAX];
            memcpy(nm, d->name, sizeof(nm));
            snprintf(d->id, sizeof(d->id), "ENGINE-%s", nm);
        }
        TRY(opt_str(m, "id", d->id, sizeof(d->id), err));
        TRY(parse_content(m, d, "a daemon", err));
        TRY(yt_unused(m, "a daemon", err));
        sc->ndaemons++;
    }
    return 0;
}

static int find_daemon(const scenario_t *sc, const char *name)
{
    int i;
    for (i = 0; i < sc->ndaemons; i++)
        if (!strcmp(sc->daemons[i].name, name))
            return i;
    return -1;
}

static int parse_owners(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "owners", err));
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v;
        sc_owner_t *o;
        char kind[32];
        int k;
        TRY(yt_expect(m, YT_MAP, "an owner", err));
        if (sc->nowners >= SC_MAX_OWNERS)
            return yt_fail(err, m, "more than %d owners", SC_MAX_OWNERS);
        o = &sc->owners[sc->nowners];
        TRY(req(m, "kind", "an owner", &v, err));
        TRY(yt_str(v, "kind", kind, sizeof(kind), err));
        if ((k = owner_kind_by_name(kind)) < 0)
            return yt_fail(err, v, "unknown owner kind '%s' (docker-desktop, "
                                   "squatter)", kind);
        o->kind = (owner_kind_t)k;
        snprintf(o->name, sizeof(o->name), "%s", kind);
        TRY(opt_str(m, "name", o->name, sizeof(o->name), err));
        snprintf(o->pipe, sizeof(o->pipe), "\\\\.\\pipe\\docker_engine");
        TRY(opt_str(m, "pipe", o->pipe, sizeof(o->pipe), err));
        if ((v = yt_get(m, "daemon"))) {
            TRY(yt_str(v, "daemon", o->daemon, sizeof(o->daemon), err));
            if (find_daemon(sc, o->daemon) < 0)
                return yt_fail(err, v, "no daemon named '%s' (define it "
                                       "under daemons first)", o->daemon);
        } else if (o->kind == OWNER_DOCKER_DESKTOP) {
            return yt_fail(err, m, "a docker-desktop owner needs 'daemon'");
        }
        if ((v = yt_get(m, "start"))) {
            TRY(yt_duration(v, "start", &o->start_ns, err));
            o->has_start = 1;
        }
        TRY(yt_unused(m, "an owner", err));
        sc->nowners++;
    }
    return 0;
}

static int parse_instances(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "instances", err));
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v;
        sc_instance_t *in;
        TRY(yt_expect(m, YT_MAP, "an instance", err));
        if (sc->ninstances >= SC_MAX_INSTANCES)
            return yt_fail(err, m, "more than %d instances",
                           SC_MAX_INSTANCES);
        in = &sc->instances[sc->ninstances];
        if ((v = yt_get(m, "rdd_instance"))) {
            TRY(yt_str(v, "rdd_instance", in->value, sizeof(in->value), err));
            in->env_set = 1;
        }
        in->handshake_ns = 2 * SIM_NS_PER_S;
        in->boot_ns = 20 * SIM_NS_PER_S;
        if ((v = yt_get(m, "start")))
            TRY(yt_duration(v, "start", &in->start_ns, err));
        if ((v = yt_get(m, "handshake")))
            TRY(yt_duration(v, "handshake", &in->handshake_ns, err));
        if ((v = yt_get(m, "boot")))
            TRY(yt_duration(v, "boot", &in->boot_ns, err));
        if ((v = yt_get(m, "apiserver")))
            TRY(parse_apiserver(v, &in->lag, err));
        if ((v = yt_get(m, "vm"))) {
            TRY(yt_expect(v, YT_MAP, "vm", err));
            TRY(parse_content(v, &in->daemon, "vm", err));
            TRY(yt_unused(v, "an instance's vm", err));
        }
        TRY(yt_unused(m, "an instance", err));
        sc->ninstances++;
    }
    return 0;
}

static int parse_faults(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "faults", err));
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v;
        sc_fault_t *f;
        char site[64];
        int s, how = 0;
        TRY(yt_expect(m, YT_MAP, "a fault", err));
        if (sc->nfaults >= SC_MAX_FAULTS)
            return yt_fail(err, m, "more than %d faults", SC_MAX_FAULTS);
        f = &sc->faults[sc->nfaults];
        memset(f, 0, sizeof(*f));
        TRY(req(m, "site", "a fault", &v, err));
        TRY(yt_str(v, "site", site, sizeof(site), err));
        if ((s = sim_fault_by_name(site)) < 0)
            return yt_fail(err, v, "unknown fault site '%s' (rddsim list "
                                   "faults)", site);
        f->site = (sim_fault_site_t)s;
        TRY(opt_str(m, "target", f->arm.target, sizeof(f->arm.target), err));
        if ((v = yt_get(m, "chance"))) {
            TRY(yt_ratio(v, "chance", &f->arm.chance, err));
            how = 1;
        }
        if ((v = yt_get(m, "after"))) {
            TRY(yt_u64(v, "after", &f->arm.after, err));
            f->arm.by_count = how = 1;
        }
        if ((v = yt_get(m, "repeat"))) {
            TRY(yt_u64(v, "repeat", &f->arm.repeat, err));
            f->arm.by_count = how = 1;
        }
        if ((v = yt_get(m, "from"))) {
            yt_node_t *to;
            TRY(yt_duration(v, "from", &f->arm.from_ns, err));
            TRY(req(m, "to", "a fault with 'from'", &to, err));
            TRY(yt_duration(to, "to", &f->arm.to_ns, err));
            if (f->arm.to_ns <= f->arm.from_ns)
                return yt_fail(err, to, "'to' must be later than 'from'");
            f->arm.by_time = how = 1;
        } else if ((v = yt_get(m, "to"))) {
            return yt_fail(err, v, "'to' needs 'from'");
        }
        if (!how)
            return yt_fail(err, m, "a fault needs chance, after/repeat or "
                                   "from/to");
        TRY(yt_unused(m, "a fault", err));
        sc->nfaults++;
    }
    return 0;
}

static int find_instance(const scenario_t *sc, yt_node_t *v, int *out,
                         yt_error_t *err)
{
    int i;
    char val[SC_NAME_MAX];
    TRY(yt_str(v, "instance", val, sizeof(val), err));
    for (i = 0; i < sc->ninstances; i++)
        if ((sc->instances[i].env_set &&
             !strcmp(sc->instances[i].value, val)) ||
            (!sc->instances[i].env_set && !strcmp(val, "unset"))) {
            *out = i;
            return 0;
        }
    return yt_fail(err, v, "no instance with rdd_instance '%s' (use "
                           "'unset' for one without)", val);
}

/* `instance` and a mirror `kind` (Container, Image or Volume). */
static int parse_mirror_target(const scenario_t *sc, yt_node_t *m,
                               const char *what, sc_action_t *a,
                               yt_error_t *err)
{
    yt_node_t *v;
    char kind[32];
    TRY(req(m, "instance", what, &v, err));
    TRY(find_instance(sc, v, &a->instance, err));
    TRY(req(m, "kind", what, &v, err));
    TRY(yt_str(v, "kind", kind, sizeof(kind), err));
    if (!strcmp(kind, "Container"))
        a->kube_kind = KUBE_CONTAINER;
    else if (!strcmp(kind, "Image"))
        a->kube_kind = KUBE_IMAGE;
    else if (!strcmp(kind, "Volume"))
        a->kube_kind = KUBE_VOLUME;
    else
        return yt_fail(err, v, "kind must be Container, Image or Volume");
    return 0;
}

static int parse_timeline(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_SEQ, "timeline", err));
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v;
        sc_action_t *a;
        char what[32];
        int k;
        TRY(yt_expect(m, YT_MAP, "a timeline step", err));
        if (sc->nactions >= SC_MAX_ACTIONS)
            return yt_fail(err, m, "more than %d steps", SC_MAX_ACTIONS);
        a = &sc->actions[sc->nactions];
        memset(a, 0, sizeof(*a));
        a->line = m->line;
        a->col = m->col;
        a->instance = a->owner = a->daemon_instance = -1;
        TRY(req(m, "at", "a timeline step", &v, err));
        TRY(yt_duration(v, "at", &a->at_ns, err));
        TRY(req(m, "do", "a timeline step", &v, err));
        TRY(yt_str(v, "do", what, sizeof(what), err));
        for (k = 0; k < SC_ACT__COUNT; k++)
            if (!strcmp(act_names[k], what))
                break;
        if (k == SC_ACT__COUNT)
            return yt_fail(err, v, "unknown action '%s' (kube.delete, "
                                   "owner.start, owner.stop, vm.stop, "
                                   "vm.start, docker.rm, docker.run, "
                                   "app.patch, kube.create, rdd.set)",
                             what);
        a->kind = (sc_act_kind_t)k;
        switch (a->kind) {
        case SC_ACT_KUBE_DELETE: {
            TRY(parse_mirror_target(sc, m, what, a, err));
            TRY(req(m, "docker_name", "kube.delete", &v, err));
            TRY(yt_str(v, "docker_name", a->docker_name,
                       sizeof(a->docker_name), err));
            break;
        }
        case SC_ACT_APP_PATCH:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            TRY(req(m, "key", what, &v, err));
            TRY(yt_str(v, "key", a->key, sizeof(a->key), err));
            if (!strcmp(a->key, "namespace"))
                return yt_fail(err, v, "changing spec.namespace is not "
                                       "modelled");
            TRY(req(m, "value", what, &v, err));
            TRY(yt_str(v, "value", a->value, sizeof(a->value), err));
            break;
        case SC_ACT_KUBE_CREATE: {
            TRY(parse_mirror_target(sc, m, what, a, err));
            TRY(req(m, "name", what, &v, err));
            TRY(yt_str(v, "name", a->obj_name, sizeof(a->obj_name), err));
            break;
        }
        case SC_ACT_RDD_SET:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            TRY(req(m, "running", what, &v, err));
            TRY(yt_bool(v, "running", &a->running, err));
            a->timeout_ns = 300 * SIM_NS_PER_S; /* limavm.go:42 */
            if ((v = yt_get(m, "timeout")))
                TRY(yt_duration(v, "timeout", &a->timeout_ns, err));
            break;
        case SC_ACT_OWNER_START:
        case SC_ACT_OWNER_STOP: {
            char name[SC_NAME_MAX];
            int j;
            TRY(req(m, "owner", what, &v, err));
            TRY(yt_str(v, "owner", name, sizeof(name), err));
            for (j = 0; j < sc->nowners; j++)
                if (!strcmp(sc->owners[j].name, name))
                    a->owner = j;
            if (a->owner < 0)
                return yt_fail(err, v, "no owner named '%s'", name);
            break;
        }
        case SC_ACT_VM_STOP:
        case SC_ACT_VM_START:
            TRY(req(m, "instance", what, &v, err));
            TRY(find_instance(sc, v, &a->instance, err));
            break;
        case SC_ACT_DOCKER_RM:
        case SC_ACT_DOCKER_RUN:
            if ((v = yt_get(m, "instance"))) {
                TRY(find_instance(sc, v, &a->daemon_instance, err));
            } else {
                TRY(req(m, "daemon", what, &v, err));
                TRY(yt_str(v, "daemon", a->daemon, sizeof(a->daemon), err));
                if (find_daemon(sc, a->daemon) < 0)
                    return yt_fail(err, v, "no daemon named '%s'", a->daemon);
            }
            TRY(req(m, "container", what, &v, err));
            TRY(yt_str(v, "container", a->container, sizeof(a->container),
                       err));
            snprintf(a->image, sizeof(a->image), "busybox:latest");
            TRY(opt_str(m, "image", a->image, sizeof(a->image), err));
            if ((v = yt_get(m, "force")))
                TRY(yt_bool(v, "force", &a->force, err));
            break;
        default:
            break;
        }
        TRY(yt_unused(m, "a timeline step", err));
        sc->nactions++;
    }
    return 0;
}

static int inv_known(const char *id)
{
    size_t i;
    for (i = 0; i < sim_inv_catalogue_len; i++)
        if (!strcmp(sim_inv_catalogue[i].id, id))
            return 1;
    return 0;
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int parse_variants(yt_node_t *n, scenario_t *sc, yt_error_t *err)
{
    size_t i;
    TRY(yt_expect(n, YT_MAP, "variants", err));
    if (n->n == 0)
        return yt_fail(err, n, "variants must name at least one variant");
    for (i = 0; i < n->n; i++) {
        yt_node_t *m = n->vals[i], *v, *viol;
        sc_variant_t *var;
        const rdd_preset_t *p;
        size_t k;
        n->used[i] = 1;
        if (sc->nvariants >= SC_MAX_VARIANTS)
            return yt_fail(err, n->keys[i], "more than %d variants",
                           SC_MAX_VARIANTS);
        var = &sc->variants[sc->nvariants];
        TRY(yt_str(n->keys[i], "a variant name", var->name,
                   sizeof(var->name), err));
        TRY(yt_expect(m, YT_MAP, "a variant", err));
        p = rdd_preset_by_name(var->name);
        if ((v = yt_get(m, "base"))) {
            char base[SC_NAME_MAX];
            TRY(yt_str(v, "base", base, sizeof(base), err));
            if (!(p = rdd_preset_by_name(base)))
                return yt_fail(err, v, "unknown preset '%s' (rddsim list "
                                       "variants)", base);
        }
        if (!p && !yt_get(m, "flags"))
            return yt_fail(err, n->keys[i],
                           "variant '%s' is no preset: give it 'base' or "
                           "'flags'", var->name);
        var->flags = p ? p->flags : 0;
        if ((v = yt_get(m, "flags"))) {
            TRY(yt_expect(v, YT_SEQ, "flags", err));
            for (k = 0; k < v->n; k++) {
                char fl[64];
                int f;
                TRY(yt_str(v->vals[k], "a flag", fl, sizeof(fl), err));
                if ((f = rdd_flag_by_name(fl)) < 0)
                    return yt_fail(err, v->vals[k], "unknown flag '%s' "
                                   "(rddsim list variants)", fl);
                var->flags |= RDD_FLAG_BIT(f);
            }
        }
        TRY(req(m, "expect", "a variant", &v, err));
        TRY(yt_expect(v, YT_MAP, "expect", err));
        TRY(req(v, "violated", "expect", &viol, err));
        TRY(yt_expect(viol, YT_SEQ, "violated", err));
        if (viol->n > SC_MAX_EXPECT)
            return yt_fail(err, viol, "too many invariants");
        for (k = 0; k < viol->n; k++) {
            TRY(yt_str(viol->vals[k], "an invariant id", var->expect[k],
                       sizeof(var->expect[k]), err));
            if (!inv_known(var->expect[k]))
                return yt_fail(err, viol->vals[k], "unknown invariant '%s' "
                               "(rddsim list invariants)", var->expect[k]);
        }
        var->nexpect = (int)viol->n;
        {
            static const char *const keys[] = {"trace", "no_trace"};
            int kk;
            for (kk = 0; kk < 2; kk++) {
                yt_node_t *tl = yt_get(v, keys[kk]);
                char(*dst)[160] = kk ? var->no_trace : var->trace;
                int *nd = kk ? &var->nno_trace : &var->ntrace;
                if (!tl)
                    continue;
                TRY(yt_expect(tl, YT_SEQ, keys[kk], err));
                if (tl->n > SC_MAX_EXPECT)
                    return yt_fail(err, tl, "too many %s entries", keys[kk]);
                for (k = 0; k < tl->n; k++)
                    TRY(yt_str(tl->vals[k], "a trace text", dst[k], 160,
                               err));
                *nd = (int)tl->n;
            }
        }
        qsort(var->expect, (size_t)var->nexpect, sizeof(var->expect[0]),
              cmp_ids);
        TRY(yt_unused(v, "expect", err));
        TRY(yt_unused(m, "a variant", err));
        sc->nvariants++;
    }
    return 0;
}

static int parse_root(yt_node_t *root, scenario_t *sc, yt_error_t *err)
{
    yt_node_t *v;
    char host[16];
    int os;
    TRY(yt_expect(root, YT_MAP, "a scenario", err));
    TRY(req(root, "name", "the scenario", &v, err));
    TRY(yt_str(v, "name", sc->name, sizeof(sc->name), err));
    TRY(opt_str(root, "description", sc->description,
                sizeof(sc->description), err));
    TRY(req(root, "host", "the scenario", &v, err));
    TRY(yt_str(v, "host", host, sizeof(host), err));
    if ((os = rdd_os_by_name(host)) < 0)
        return yt_fail(err, v, "host must be windows, linux or darwin, not "
                               "'%s'", host);
    sc->os = (rdd_os_t)os;
    if ((v = yt_get(root, "seed"))) {
        TRY(yt_u64(v, "seed", &sc->seed, err));
        sc->has_seed = 1;
    }
    TRY(req(root, "duration", "the scenario", &v, err));
    TRY(yt_duration(v, "duration", &sc->duration_ns, err));
    if ((v = yt_get(root, "daemons")))
        TRY(parse_daemons(v, sc, err));
    if ((v = yt_get(root, "owners")))
        TRY(parse_owners(v, sc, err));
    if ((v = yt_get(root, "instances")))
        TRY(parse_instances(v, sc, err));
    if ((v = yt_get(root, "faults")))
        TRY(parse_faults(v, sc, err));
    if ((v = yt_get(root, "timeline")))
        TRY(parse_timeline(v, sc, err));
    TRY(req(root, "variants", "the scenario", &v, err));
    TRY(parse_variants(v, sc, err));
    return yt_unused(root, "the scenario", err);
}

int scenario_load_buffer(const char *name, const char *buf, size_t len,
                         scenario_t *sc, yt_error_t *err)
{
    yt_node_t *root;
    int rc;
    memset(sc, 0, sizeof(*sc));
    snprintf(sc->file, sizeof(sc->file), "%s", name);
    rc = yt_load_buffer(name, buf, len, &root, err);
    if (rc)
        return rc;
    rc = parse_root(root, sc, err);
    yt_free(root);
    return rc;
}

int scenario_load(const char *path, scenario_t *sc, yt_error_t *err)
{
    yt_node_t *root;
    int rc;
    memset(sc, 0, sizeof(*sc));
    snprintf(sc->file, sizeof(sc->file), "%s", path);
    rc = yt_load_file(path, &root, err);
    if (rc)
        return rc;
    rc = parse_root(root, sc, err);
    yt_free(root);
    return rc;
}

const sc_variant_t *scenario_variant(const scenario_t *sc, const char *name)
{
    int i;
    for (i = 0; i < sc->nvariants; i++)
        if (!strcmp(sc->variants[i].name, name))
            return &sc->variants[i];
    return NULL;
}
