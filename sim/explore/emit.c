/*
 * emit.c: scenario_t -> scenario YAML (emit.h).  The inverse of
 * sim/scenario/scenario.c's parser, key for key; keep the two in step
 * (docs/scenarios.md is the schema).
 */
#include "emit.h"

#include <inttypes.h>
#include <string.h>

#include "docker/docker.h"
#include "sim/errno.h"
#include "sim/loop.h"

const char *sc_emit_duration(char *buf, uint64_t ns)
{
    if (ns == 0)
        snprintf(buf, 32, "0s");
    else if (ns % SIM_NS_PER_S == 0)
        snprintf(buf, 32, "%" PRIu64 "s", ns / SIM_NS_PER_S);
    else if (ns % SIM_NS_PER_MS == 0)
        snprintf(buf, 32, "%" PRIu64 "ms", ns / SIM_NS_PER_MS);
    else if (ns % 1000 == 0)
        snprintf(buf, 32, "%" PRIu64 "us", ns / 1000);
    else
        snprintf(buf, 32, "%" PRIu64 "ns", ns);
    return buf;
}

/* A YAML double-quoted scalar. */
static void q(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void dur(FILE *f, const char *key, uint64_t ns)
{
    char b[32];
    fprintf(f, ", %s: %s", key, sc_emit_duration(b, ns));
}

static void kv(FILE *f, const char *key, const char *val)
{
    fprintf(f, ", %s: ", key);
    q(f, val);
}

static void range(FILE *f, const char *indent, const char *key,
                  uint64_t lo, uint64_t hi)
{
    char a[32], b[32];
    fprintf(f, "%s%s: %s..%s\n", indent, key, sc_emit_duration(a, lo),
            sc_emit_duration(b, hi));
}

/* A daemon's content (containers, images, volumes, latency), each line
 * indented by ind. */
static void content(FILE *f, const sc_daemon_t *d, const char *ind)
{
    int i, k;
    if (d->has_latency)
        range(f, ind, "latency", d->lat_min_ns, d->lat_max_ns);
    if (d->nc) {
        fprintf(f, "%scontainers:\n", ind);
        for (i = 0; i < d->nc; i++) {
            const sc_container_t *c = &d->c[i];
            fprintf(f, "%s  - {name: ", ind);
            q(f, c->name);
            kv(f, "image", c->image);
            kv(f, "state", c->state);
            if (c->count != 1)
                fprintf(f, ", count: %" PRIu64, c->count);
            fputs("}\n", f);
        }
    }
    if (d->ni) {
        fprintf(f, "%simages:\n", ind);
        for (i = 0; i < d->ni; i++) {
            fprintf(f, "%s  - {", ind);
            if (d->im[i].id[0]) {
                fputs("id: ", f);
                q(f, d->im[i].id);
                fputs(", ", f);
            }
            fputs("tags: [", f);
            for (k = 0; k < d->im[i].ntags; k++) {
                if (k)
                    fputs(", ", f);
                q(f, d->im[i].tags[k]);
            }
            fputs("]}\n", f);
        }
    }
    if (d->nv) {
        fprintf(f, "%svolumes: [", ind);
        for (i = 0; i < d->nv; i++) {
            if (i)
                fputs(", ", f);
            q(f, d->vol[i]);
        }
        fputs("]\n", f);
    }
}

static void daemons(FILE *f, const scenario_t *sc)
{
    int i;
    if (!sc->ndaemons)
        return;
    fputs("daemons:\n", f);
    for (i = 0; i < sc->ndaemons; i++) {
        fputs("  - name: ", f);
        q(f, sc->daemons[i].name);
        fputs("\n    id: ", f);
        q(f, sc->daemons[i].id);
        fputc('\n', f);
        content(f, &sc->daemons[i], "    ");
    }
}

static void owners(FILE *f, const scenario_t *sc)
{
    int i;
    if (!sc->nowners)
        return;
    fputs("owners:\n", f);
    for (i = 0; i < sc->nowners; i++) {
        const sc_owner_t *o = &sc->owners[i];
        fputs("  - {kind: ", f);
        q(f, owner_kind_name(o->kind));
        kv(f, "name", o->name);
        kv(f, "pipe", o->pipe);
        if (o->machine_pipe[0])
            kv(f, "machine_pipe", o->machine_pipe);
        if (o->daemon[0])
            kv(f, "daemon", o->daemon);
        if (o->has_start)
            dur(f, "start", o->start_ns);
        fputs("}\n", f);
    }
}

static int daemon_empty(const sc_daemon_t *d)
{
    return !d->has_latency && !d->nc && !d->ni && !d->nv;
}

static void spikes(FILE *f, const kube_lag_t *lag)
{
    int i, k;
    if (!lag->nspikes)
        return;
    fputs("      spikes:\n", f);
    for (i = 0; i < lag->nspikes; i++) {
        const kube_lag_spike_t *s = &lag->spikes[i];
        char a[32], b[32], c[32];
        fprintf(f, "        - {from: %s, to: %s, lag: %s",
                sc_emit_duration(a, s->from_ns), sc_emit_duration(b, s->to_ns),
                sc_emit_duration(c, s->lag_ns));
        if (s->kinds) {
            int first = 1;
            fputs(", kinds: [", f);
            for (k = 0; k < KUBE_KIND__COUNT; k++)
                if (s->kinds & (1u << k)) {
                    fprintf(f, "%s%s", first ? "" : ", ",
                            kube_kind_name((kube_kind_t)k));
                    first = 0;
                }
            fputc(']', f);
        }
        fputs("}\n", f);
    }
}

static void instances(FILE *f, const scenario_t *sc)
{
    int i;
    char b[32];
    if (!sc->ninstances)
        return;
    fputs("instances:\n", f);
    for (i = 0; i < sc->ninstances; i++) {
        const sc_instance_t *in = &sc->instances[i];
        const kube_lag_t *lag = &in->lag;
        fputs("  - ", f);
        if (in->env_set) {
            fputs("rdd_instance: ", f);
            q(f, in->value);
            fputs("\n    ", f);
        }
        fprintf(f, "start: %s\n", sc_emit_duration(b, in->start_ns));
        fprintf(f, "    handshake: %s\n", sc_emit_duration(b, in->handshake_ns));
        fprintf(f, "    boot: %s\n", sc_emit_duration(b, in->boot_ns));
        fprintf(f, "    prepare: %s\n", sc_emit_duration(b, in->prepare_ns));
        fprintf(f, "    never_running: %s\n",
                in->never_running ? "true" : "false");
        fprintf(f, "    keep_logs: %s\n", in->keep_logs ? "true" : "false");
        if (in->exe[0]) {
            fputs("    exe: ", f);
            q(f, in->exe);
            fputc('\n', f);
        }
        if (in->env_docker_config[0] || in->env_docker_host[0] ||
            in->env_docker_context[0] || in->env_log_dir[0]) {
            static const char *const keys[] = {"DOCKER_CONFIG", "DOCKER_HOST",
                                               "DOCKER_CONTEXT",
                                               "RDD_LOG_DIR"};
            const char *vals[4];
            int k;
            vals[0] = in->env_docker_config;
            vals[1] = in->env_docker_host;
            vals[2] = in->env_docker_context;
            vals[3] = in->env_log_dir;
            fputs("    env:\n", f);
            for (k = 0; k < 4; k++)
                if (vals[k][0]) {
                    fprintf(f, "      %s: ", keys[k]);
                    q(f, vals[k]);
                    fputc('\n', f);
                }
        }
        if (!daemon_empty(&in->daemon)) {
            fputs("    vm:\n", f);
            content(f, &in->daemon, "      ");
        }
        if (lag->lag_min_ns || lag->lag_max_ns || lag->nspikes) {
            fputs("    apiserver:\n", f);
            range(f, "      ", "lag", lag->lag_min_ns, lag->lag_max_ns);
            spikes(f, lag);
        }
    }
}

static void faults(FILE *f, const scenario_t *sc)
{
    int i;
    if (!sc->nfaults)
        return;
    fputs("faults:\n", f);
    for (i = 0; i < sc->nfaults; i++) {
        const sim_fault_arm_t *a = &sc->faults[i].arm;
        fputs("  - {site: ", f);
        q(f, sim_fault_name(sc->faults[i].site));
        if (a->target[0])
            kv(f, "target", a->target);
        if (a->chance.den)
            fprintf(f, ", chance: %" PRIu64 "/%" PRIu64, a->chance.num,
                    a->chance.den);
        if (a->by_count)
            fprintf(f, ", after: %" PRIu64 ", repeat: %" PRIu64, a->after,
                    a->repeat);
        if (a->by_time) {
            dur(f, "from", a->from_ns);
            dur(f, "to", a->to_ns);
        }
        fputs("}\n", f);
    }
}

/* The `instance:` value that names instance i. */
static const char *inst_name(const scenario_t *sc, int i)
{
    if (i < 0 || i >= sc->ninstances)
        return "?";
    return sc->instances[i].env_set ? sc->instances[i].value : "unset";
}

static const char *mirror_kind(kube_kind_t k)
{
    return k == KUBE_IMAGE ? "Image" : k == KUBE_VOLUME ? "Volume"
                                                        : "Container";
}

static void step(FILE *f, const scenario_t *sc, const sc_action_t *a)
{
    char b[32];
    fprintf(f, "  - {at: %s", sc_emit_duration(b, a->at_ns));
    if (a->every_ns) {
        dur(f, "every", a->every_ns);
        if (a->until_ns)
            dur(f, "until", a->until_ns);
    }
    fprintf(f, ", do: %s", sc_act_name(a->kind));
    switch (a->kind) {
    case SC_ACT_KUBE_DELETE:
    case SC_ACT_KUBE_CREATE:
        kv(f, "instance", inst_name(sc, a->instance));
        fprintf(f, ", kind: %s", mirror_kind(a->kube_kind));
        if (a->kind == SC_ACT_KUBE_DELETE)
            kv(f, "docker_name", a->docker_name);
        else
            kv(f, "name", a->obj_name);
        break;
    case SC_ACT_APP_PATCH:
        kv(f, "instance", inst_name(sc, a->instance));
        kv(f, "key", a->key);
        kv(f, "value", a->value);
        break;
    case SC_ACT_RDD_SET:
        kv(f, "instance", inst_name(sc, a->instance));
        fprintf(f, ", running: %s", a->running ? "true" : "false");
        dur(f, "timeout", a->timeout_ns);
        break;
    case SC_ACT_OWNER_START:
    case SC_ACT_OWNER_STOP:
    case SC_ACT_OWNER_CRASH:
        kv(f, "owner", a->owner >= 0 && a->owner < sc->nowners
                           ? sc->owners[a->owner].name
                           : "?");
        break;
    case SC_ACT_VM_STOP:
    case SC_ACT_VM_START:
    case SC_ACT_HOSTSWITCH_DIE:
    case SC_ACT_BATS_SETUP:
    case SC_ACT_BATS_TEST37:
    case SC_ACT_APP_DELETE:
        kv(f, "instance", inst_name(sc, a->instance));
        break;
    case SC_ACT_DOCKER_RM:
    case SC_ACT_DOCKER_RUN:
        if (a->daemon_instance >= 0)
            kv(f, "instance", inst_name(sc, a->daemon_instance));
        else
            kv(f, "daemon", a->daemon);
        kv(f, "container", a->container);
        kv(f, "image", a->image);
        fprintf(f, ", force: %s", a->force ? "true" : "false");
        break;
    case SC_ACT_SVC_START:
        kv(f, "instance", inst_name(sc, a->instance));
        if (a->path[0])
            kv(f, "exe", a->path);
        break;
    case SC_ACT_SVC_STOP:
    case SC_ACT_SVC_DELETE:
        kv(f, "instance", inst_name(sc, a->instance));
        fprintf(f, ", console: %s", a->console ? "true" : "false");
        break;
    case SC_ACT_PROC_KILL:
    case SC_ACT_PROC_EXIT:
    case SC_ACT_FS_HOLD:
    case SC_ACT_FS_RELEASE:
        if (!strcmp(a->proc, "pid")) {
            fprintf(f, ", pid: %" PRIu32, a->pid);
            if (a->instance >= 0)
                kv(f, "instance", inst_name(sc, a->instance));
        } else {
            kv(f, "instance", inst_name(sc, a->instance));
            kv(f, "proc", a->proc);
        }
        if (a->kind == SC_ACT_PROC_EXIT)
            fprintf(f, ", code: %d", a->code);
        if (a->kind == SC_ACT_FS_HOLD || a->kind == SC_ACT_FS_RELEASE)
            kv(f, "path", a->path);
        break;
    case SC_ACT_PROC_SPAWN:
        fprintf(f, ", pid: %" PRIu32, a->pid);
        kv(f, "exe", a->path);
        kv(f, "name", a->proc);
        break;
    case SC_ACT_WSL_START:
    case SC_ACT_WSL_TERMINATE:
        kv(f, "distro", a->distro);
        break;
    case SC_ACT_PIPE_HOLD:
        kv(f, "pipe", a->pipe);
        dur(f, "for", a->for_ns);
        break;
    case SC_ACT_CONTEXT_USE:
    case SC_ACT_CONTEXT_SEED:
        kv(f, "name", a->obj_name);
        if (a->config_dir[0])
            kv(f, "config", a->config_dir);
        if (a->kind == SC_ACT_CONTEXT_SEED)
            kv(f, "host", a->ctx_host);
        break;
    case SC_ACT_DOCKER_API:
        if (a->daemon_instance >= 0)
            kv(f, "instance", inst_name(sc, a->daemon_instance));
        else
            kv(f, "daemon", a->daemon);
        fprintf(f, ", op: %s", dock_op_name((dock_op_t)a->docker_op));
        kv(f, "ref", a->container);
        fprintf(f, ", force: %s", a->force ? "true" : "false");
        break;
    case SC_ACT_RDD_CTL:
        kv(f, "instance", inst_name(sc, a->instance));
        kv(f, "verb", a->verb);
        fprintf(f, ", kind: %s", kube_kind_name(a->kube_kind));
        kv(f, "name", a->obj_name);
        if (a->ns[0])
            kv(f, "namespace", a->ns);
        if (!strcmp(a->verb, "patch")) {
            kv(f, "key", a->key);
            kv(f, "value", a->value);
        }
        break;
    default:
        break;
    }
    fputs("}\n", f);
}

static void texts(FILE *f, const char *key, const char (*t)[160], int n)
{
    int i;
    if (!n)
        return;
    fprintf(f, ", %s: [", key);
    for (i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        q(f, t[i]);
    }
    fputc(']', f);
}

/* A variant: its preset when its name is one with the same flags, else
 * base head (no flags) plus every flag it has. */
static void variant(FILE *f, const sc_variant_t *v)
{
    const rdd_preset_t *p = rdd_preset_by_name(v->name);
    int i;
    fputs("  ", f);
    q(f, v->name);
    fputs(":\n", f);
    if (!p || p->flags != v->flags) {
        int first = 1;
        fputs("    base: head\n    flags: [", f);
        for (i = 0; i < RDD_FLAG__COUNT; i++)
            if (v->flags & RDD_FLAG_BIT(i)) {
                fprintf(f, "%s%s", first ? "" : ", ",
                        rdd_flag_name((rdd_flag_t)i));
                first = 0;
            }
        fputs("]\n", f);
    }
    fputs("    expect: {violated: [", f);
    for (i = 0; i < v->nexpect; i++)
        fprintf(f, "%s%s", i ? ", " : "", v->expect[i]);
    fputc(']', f);
    texts(f, "trace", v->trace, v->ntrace);
    texts(f, "no_trace", v->no_trace, v->nno_trace);
    fputs("}\n", f);
}

int sc_emit(const scenario_t *sc, FILE *f)
{
    char b[32];
    int i;
    if (sc->is_matrix)
        return SIM_EINVAL;
    fputs("name: ", f);
    q(f, sc->name);
    fputc('\n', f);
    if (sc->description[0]) {
        fputs("description: ", f);
        q(f, sc->description);
        fputc('\n', f);
    }
    fprintf(f, "host: %s\n", sc_host_name(sc->host));
    if (sc->has_seed)
        fprintf(f, "seed: %" PRIu64 "\n", sc->seed);
    fprintf(f, "duration: %s\n", sc_emit_duration(b, sc->duration_ns));
    {
        char b2[32];
        fprintf(f, "timers: {lateness: %s..%s}\n",
                sc_emit_duration(b, sc->late_min_ns),
                sc_emit_duration(b2, sc->late_max_ns));
    }
    if (sc->heal_ns)
        fprintf(f, "heal: %s\n", sc_emit_duration(b, sc->heal_ns));
    {
        int any = 0;
        for (int c = 0; c < SIM_CHOICE__COUNT; c++) {
            if (sc->choice[c] == SIM_PIN_NONE)
                continue;
            fprintf(f, "%s%s: %s", any ? ", " : "choices: {",
                    sim_choice_name((sim_choice_t)c),
                    sc->choice[c] == SIM_PIN_TRUE ? "true" : "false");
            any = 1;
        }
        if (any)
            fputs("}\n", f);
    }
    daemons(f, sc);
    owners(f, sc);
    instances(f, sc);
    faults(f, sc);
    if (sc->nactions) {
        fputs("timeline:\n", f);
        for (i = 0; i < sc->nactions; i++)
            step(f, sc, &sc->actions[i]);
    }
    fputs("variants:\n", f);
    for (i = 0; i < sc->nvariants; i++)
        variant(f, &sc->variants[i]);
    return ferror(f) ? SIM_EPIPE : 0;
}
