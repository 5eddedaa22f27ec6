/*
 * perfetto.c: the Trace Event Format sink (perfetto.h).
 *
 * Which process and thread a record belongs to, and which states and
 * counters it moves, is read from its event name and fields (docs/trace.md
 * lists them); the kernel knows none of this.  Tables are small arrays
 * searched linearly, in the order things first appeared, so the output
 * depends on the records only.
 */
#include "perfetto.h"

#include <inttypes.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/errno.h"

#define NAME_MAX_ 160
#define VAL_MAX 160

typedef struct {
    char name[NAME_MAX_];
    int pid;
} proc_t;

typedef struct {
    int pid, tid;
    char name[NAME_MAX_];
} thread_t;

/* A state shown as spans on a thread of its own. */
typedef struct {
    int track;                  /* index into threads */
    int open;
    uint64_t since;
    char val[VAL_MAX];
} state_t;

typedef struct {
    int pid;
    char name[NAME_MAX_];       /* "mirrors", key in args */
    char key[NAME_MAX_];
    int64_t n;
} counter_t;

/* Where each seq of the run was drawn, for flows. */
typedef struct {
    uint64_t t_ns;
    int track;
} seen_t;

struct perfetto {
    FILE *out;
    int first;                  /* no event written yet */
    int oom;
    int next_pid;
    uint64_t next_flow;
    uint64_t run;               /* runs started */
    uint64_t last_ns;
    proc_t *procs;
    size_t nprocs, capprocs;
    thread_t *threads;
    size_t nthreads, capthreads;
    state_t *states;
    size_t nstates, capstates;
    counter_t *counters;
    size_t ncounters, capcounters;
    seen_t *seen;               /* seen[seq] */
    size_t capseen;
};

/* growing arrays ------------------------------------------------------------*/

static int grow(perfetto_t *p, void **arr, size_t *cap, size_t need,
                size_t size)
{
    size_t ncap;
    void *n;
    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    if (!(n = sim__realloc(*arr, ncap * size))) {
        p->oom = 1;
        return -1;
    }
    memset((char *)n + *cap * size, 0, (ncap - *cap) * size);
    *arr = n;
    *cap = ncap;
    return 0;
}

/* writing -------------------------------------------------------------------*/

static void put_str(FILE *f, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
        } else if (c < 0x20 || c >= 0x7f) {
            /* bytes, not characters: the trace is ASCII; anything else is
             * kept visible and the document stays valid UTF-8 */
            fputs("\\u00", f);
            putc(hex[c >> 4], f);
            putc(hex[c & 15], f);
        } else {
            putc(c, f);
        }
    }
    putc('"', f);
}

/* ns as µs with three decimals ("26503973.030", "5000000"). */
static void put_us(FILE *f, uint64_t ns)
{
    if (ns % 1000)
        fprintf(f, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
    else
        fprintf(f, "%" PRIu64, ns / 1000);
}

/* Opens one event: {"ph":PH,"ts":..,"pid":..,"tid":.. (the caller adds
 * the rest and the closing brace). */
static void ev_open(perfetto_t *p, char ph, uint64_t t_ns, int pid, int tid)
{
    FILE *f = p->out;
    fputs(p->first ? "\n" : ",\n", f);
    p->first = 0;
    fprintf(f, "{\"ph\":\"%c\",\"ts\":", ph);
    put_us(f, t_ns);
    fprintf(f, ",\"pid\":%d,\"tid\":%d", pid, tid);
}

static void meta(perfetto_t *p, const char *what, int pid, int tid,
                 const char *name, int sort)
{
    FILE *f = p->out;
    ev_open(p, 'M', 0, pid, tid);
    fputs(",\"name\":", f);
    put_str(f, what);
    fputs(",\"args\":{\"name\":", f);
    put_str(f, name);
    fputs("}}", f);
    ev_open(p, 'M', 0, pid, tid);
    fprintf(f, ",\"name\":\"%s_sort_index\",\"args\":{\"sort_index\":%d}}",
            tid ? "thread" : "process", sort);
}

/* processes and threads ------------------------------------------------------*/

static int proc_pid(perfetto_t *p, const char *name)
{
    size_t i;
    for (i = 0; i < p->nprocs; i++)
        if (!strcmp(p->procs[i].name, name))
            return p->procs[i].pid;
    if (grow(p, (void **)&p->procs, &p->capprocs, p->nprocs + 1,
             sizeof(*p->procs)))
        return 0;
    snprintf(p->procs[p->nprocs].name, NAME_MAX_, "%s", name);
    p->procs[p->nprocs].pid = ++p->next_pid;
    meta(p, "process_name", p->next_pid, 0, name, p->next_pid);
    p->nprocs++;
    return p->next_pid;
}

/* The track (thread index) named tname in process pname, made on first
 * use; -1 when out of memory. */
static int track(perfetto_t *p, const char *pname, const char *tname)
{
    int pid = proc_pid(p, pname), tid = 1;
    size_t i;
    if (!pid)
        return -1;
    for (i = 0; i < p->nthreads; i++) {
        if (p->threads[i].pid != pid)
            continue;
        if (!strcmp(p->threads[i].name, tname))
            return (int)i;
        tid++;
    }
    if (grow(p, (void **)&p->threads, &p->capthreads, p->nthreads + 1,
             sizeof(*p->threads)))
        return -1;
    p->threads[p->nthreads].pid = pid;
    p->threads[p->nthreads].tid = tid;
    snprintf(p->threads[p->nthreads].name, NAME_MAX_, "%s", tname);
    meta(p, "thread_name", pid, tid, tname, tid);
    return (int)p->nthreads++;
}

/* states ---------------------------------------------------------------------*/

static void span(perfetto_t *p, const state_t *s, uint64_t until)
{
    const thread_t *t = &p->threads[s->track];
    FILE *f = p->out;
    ev_open(p, 'X', s->since, t->pid, t->tid);
    fputs(",\"dur\":", f);
    put_us(f, until - s->since);
    fputs(",\"cat\":\"state\",\"name\":", f);
    put_str(f, s->val);
    fputs(",\"args\":{\"track\":", f);
    put_str(f, t->name);
    fputs("}}", f);
}

/* Sets the state on track pname/tname to val at t_ns (NULL: none): the
 * span of the previous value is written when it changes. */
static void set_state(perfetto_t *p, const char *pname, const char *tname,
                      const char *val, uint64_t t_ns)
{
    int tr = track(p, pname, tname);
    state_t *s = NULL;
    size_t i;
    if (tr < 0)
        return;
    for (i = 0; i < p->nstates; i++)
        if (p->states[i].track == tr)
            s = &p->states[i];
    if (!s) {
        if (!val || grow(p, (void **)&p->states, &p->capstates,
                         p->nstates + 1, sizeof(*p->states)))
            return;
        s = &p->states[p->nstates++];
        s->track = tr;
    }
    if (s->open && val && !strcmp(s->val, val))
        return;
    if (s->open)
        span(p, s, t_ns);
    s->open = val != NULL;
    s->since = t_ns;
    snprintf(s->val, VAL_MAX, "%s", val ? val : "");
}

static void close_states(perfetto_t *p, uint64_t t_ns)
{
    size_t i;
    for (i = 0; i < p->nstates; i++)
        if (p->states[i].open) {
            span(p, &p->states[i], t_ns);
            p->states[i].open = 0;
        }
}

/* counters -------------------------------------------------------------------*/

static void counter_add(perfetto_t *p, const char *pname, const char *name,
                        const char *key, int64_t d, uint64_t t_ns)
{
    int pid = proc_pid(p, pname);
    counter_t *c = NULL;
    size_t i;
    if (!pid)
        return;
    for (i = 0; i < p->ncounters; i++)
        if (p->counters[i].pid == pid && !strcmp(p->counters[i].name, name) &&
            !strcmp(p->counters[i].key, key))
            c = &p->counters[i];
    if (!c) {
        if (grow(p, (void **)&p->counters, &p->capcounters,
                 p->ncounters + 1, sizeof(*p->counters)))
            return;
        c = &p->counters[p->ncounters++];
        c->pid = pid;
        snprintf(c->name, NAME_MAX_, "%s", name);
        snprintf(c->key, NAME_MAX_, "%s", key);
    }
    c->n += d;
    ev_open(p, 'C', t_ns, pid, 0);
    fputs(",\"name\":", p->out);
    put_str(p->out, name);
    fputs(",\"args\":{", p->out);
    put_str(p->out, key);
    fprintf(p->out, ":%" PRId64 "}}", c->n);
}

static void counter_ms(perfetto_t *p, const char *pname, const char *name,
                       const char *key, uint64_t ns, uint64_t t_ns)
{
    int pid = proc_pid(p, pname);
    if (!pid)
        return;
    ev_open(p, 'C', t_ns, pid, 0);
    fputs(",\"name\":", p->out);
    put_str(p->out, name);
    fputs(",\"args\":{", p->out);
    put_str(p->out, key);
    fprintf(p->out, ":%" PRIu64 ".%06" PRIu64 "}}", ns / 1000000,
            ns % 1000000);
}

/* who a record belongs to ----------------------------------------------------*/

static int prefixed(const char *s, const char *pre)
{
    return !strncmp(s, pre, strlen(pre));
}

/* The actor thread of an RDD instance's event. */
static const char *inst_actor(const char *ev)
{
    static const struct {
        const char *pre, *actor;
    } map[] = {
        {"rdd.app.", "App"},         {"rdd.engine.", "engine"},
        {"rdd.watcher.", "watcher"}, {"rdd.bridge.", "bridge"},
        {"rdd.hostswitch.", "bridge"}, {"rdd.limavm.", "LimaVM"},
        {"rdd.lima.", "LimaVM"},     {"rdd.webhook.", "LimaVM"},
        {"rdd.vm.", "LimaVM"},       {"rdd.hostagent.", "hostagent"},
        {"rdd.dctx.", "docker context"}, {"rdd.ports.", "ports"},
        {"rdd.svc.", "service"},     {"rdd.instance.", "service"},
        {"rdd.cli.", "rdd CLI"},     {"rdd.ctl.", "rdd CLI"},
        {"sim.choice", "choices"},
    };
    size_t i;
    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (prefixed(ev, map[i].pre))
            return map[i].actor;
    return "other";
}

/* "rancher-desktop-2/engine" into its store (before the slash) and the
 * rest. */
static void split_slash(const char *s, char *a, char *b)
{
    const char *sl = strchr(s, '/');
    if (!sl) {
        snprintf(a, NAME_MAX_, "%s", s);
        b[0] = 0;
        return;
    }
    snprintf(a, NAME_MAX_, "%.*s", (int)(sl - s), s);
    snprintf(b, NAME_MAX_, "%s", sl + 1);
}

/* The process and thread names of rec, into pn and tn. */
static void place(perfetto_t *p, const sim_trace_rec_t *rec, char *pn,
                  char *tn)
{
    const char *ev = rec->ev, *v;
    char a[NAME_MAX_], b[NAME_MAX_];
    (void)p;
    if ((v = sim_trace_rec_str(rec, "inst")) != NULL) {
        snprintf(pn, NAME_MAX_, "rdd %s", v);
        snprintf(tn, NAME_MAX_, "%s", inst_actor(ev));
    } else if (prefixed(ev, "kube.reconcile.") &&
               (v = sim_trace_rec_str(rec, "ctrl")) != NULL) {
        split_slash(v, a, b);
        snprintf(pn, NAME_MAX_, "rdd %s", a);
        snprintf(tn, NAME_MAX_, "%s",
                 !strcmp(b, "app")      ? "App"
                 : !strcmp(b, "limavm") ? "LimaVM"
                 : !strcmp(b, "engine") ? "engine"
                                        : b);
    } else if (prefixed(ev, "kube.") &&
               (v = sim_trace_rec_str(rec, "cache")) != NULL) {
        split_slash(v, a, b);
        snprintf(pn, NAME_MAX_, "apiserver %s", a);
        snprintf(tn, NAME_MAX_, "informer %s", b);
    } else if (prefixed(ev, "kube.") &&
               (v = sim_trace_rec_str(rec, "store")) != NULL) {
        snprintf(pn, NAME_MAX_, "apiserver %s", v);
        snprintf(tn, NAME_MAX_, "apiserver");
    } else if (prefixed(ev, "dock.") &&
               (v = sim_trace_rec_str(rec, "daemon")) != NULL) {
        snprintf(pn, NAME_MAX_, "dockerd %s", v);
        snprintf(tn, NAME_MAX_, "dockerd");
    } else if (prefixed(ev, "owner.") &&
               (v = sim_trace_rec_str(rec, "owner")) != NULL) {
        snprintf(pn, NAME_MAX_, "owner %s", v);
        snprintf(tn, NAME_MAX_, "owner");
    } else if (prefixed(ev, "npipe.") &&
               (v = sim_trace_rec_str(rec, "name")) != NULL) {
        snprintf(pn, NAME_MAX_, "pipes");
        snprintf(tn, NAME_MAX_, "%s", v);
    } else if (prefixed(ev, "host.") || prefixed(ev, "uds.")) {
        snprintf(pn, NAME_MAX_, "host");
        snprintf(tn, NAME_MAX_, "%s",
                 prefixed(ev, "host.proc.") ? "processes"
                 : prefixed(ev, "host.wsl.") ? "wsl"
                 : prefixed(ev, "uds.")      ? "unix sockets"
                                             : "host");
    } else {
        snprintf(pn, NAME_MAX_, "rddsim");
        snprintf(tn, NAME_MAX_, "%s",
                 prefixed(ev, "sim.invariant.") || prefixed(ev, "sim.stall")
                     ? "invariants"
                 : prefixed(ev, "fault.")   ? "faults"
                 : prefixed(ev, "sim.run.") ? "run"
                                            : "actions");
    }
}

/* states and counters a record moves ----------------------------------------*/

static int mirror_kind(const char *k)
{
    return k && (!strcmp(k, "Container") || !strcmp(k, "Image") ||
                 !strcmp(k, "Volume") || !strcmp(k, "ContainerNamespace"));
}

static void cond_val(const sim_trace_rec_t *rec, char *out)
{
    const char *st = sim_trace_rec_str(rec, "status");
    const char *re = sim_trace_rec_str(rec, "reason");
    snprintf(out, VAL_MAX, "%s/%s", st ? st : "?", re ? re : "?");
}

static void moves(perfetto_t *p, const sim_trace_rec_t *rec, const char *pn)
{
    const char *ev = rec->ev, *v, *w;
    char val[VAL_MAX], a[NAME_MAX_], b[NAME_MAX_], key[NAME_MAX_];
    uint64_t t = rec->t_ns, n;
    if (!strcmp(ev, "rdd.app.settled")) {
        cond_val(rec, val);
        set_state(p, pn, "App Settled", val, t);
    } else if (!strcmp(ev, "rdd.limavm.condition")) {
        v = sim_trace_rec_str(rec, "type");
        cond_val(rec, val);
        if (v && !strcmp(v, "Running"))
            set_state(p, pn, "App Running (LimaVM's, mirrored)", val, t);
    } else if (!strcmp(ev, "rdd.engine.condition")) {
        cond_val(rec, val);
        set_state(p, pn, "ContainerEngineReady", val, t);
    } else if (!strcmp(ev, "rdd.engine.state")) {
        set_state(p, pn, "engine state", sim_trace_rec_str(rec, "to"), t);
    } else if (!strcmp(ev, "rdd.bridge.state")) {
        set_state(p, pn, "bridge state", sim_trace_rec_str(rec, "to"), t);
    } else if (!strcmp(ev, "rdd.limavm.phase")) {
        set_state(p, pn, "LimaVM phase", sim_trace_rec_str(rec, "to"), t);
    } else if (!strcmp(ev, "rdd.hostagent.state")) {
        v = sim_trace_rec_str(rec, "to");
        n = 0;
        sim_trace_rec_num(rec, "pid", &n);
        snprintf(val, sizeof(val), "pid %" PRIu64 " %s", n, v ? v : "?");
        set_state(p, pn, "hostagent state", val, t);
    } else if (!strcmp(ev, "rdd.watcher.new")) {
        set_state(p, pn, "watcher state", "syncing", t);
    } else if (!strcmp(ev, "rdd.watcher.synced")) {
        set_state(p, pn, "watcher state", "synced", t);
    } else if (!strcmp(ev, "rdd.watcher.exit") ||
               !strcmp(ev, "rdd.watcher.stop")) {
        set_state(p, pn, "watcher state", NULL, t);
    } else if (!strcmp(ev, "rdd.svc.start")) {
        n = 0;
        sim_trace_rec_num(rec, "pid", &n);
        snprintf(val, sizeof(val), "running pid %" PRIu64, n);
        set_state(p, pn, "service state", val, t);
    } else if (!strcmp(ev, "rdd.svc.stop") || !strcmp(ev, "rdd.svc.exit")) {
        set_state(p, pn, "service state", NULL, t);
    } else if (!strcmp(ev, "npipe.listen.ok") &&
               (v = sim_trace_rec_str(rec, "name")) != NULL) {
        w = sim_trace_rec_str(rec, "proc");
        n = 0;
        sim_trace_rec_num(rec, "pid", &n);
        snprintf(val, sizeof(val), "%s (pid %" PRIu64 ")", w ? w : "?", n);
        snprintf(key, sizeof(key), "owner of %s", v);
        set_state(p, "pipes", key, val, t);
    } else if (!strcmp(ev, "npipe.name.gone") &&
               (v = sim_trace_rec_str(rec, "name")) != NULL) {
        snprintf(key, sizeof(key), "owner of %s", v);
        set_state(p, "pipes", key, NULL, t);
    } else if (!strcmp(ev, "owner.start.ok")) {
        set_state(p, pn, "owner state", "up", t);
    } else if (!strcmp(ev, "owner.stop") || !strcmp(ev, "owner.crash")) {
        set_state(p, pn, "owner state", NULL, t);
    } else if (!strcmp(ev, "dock.daemon.start")) {
        set_state(p, pn, "daemon state", "up", t);
    } else if (!strcmp(ev, "dock.daemon.stop")) {
        set_state(p, pn, "daemon state", NULL, t);
    } else if (prefixed(ev, "kube.obj.") &&
               mirror_kind(sim_trace_rec_str(rec, "kind")) &&
               (v = sim_trace_rec_str(rec, "result")) != NULL) {
        if (!strcmp(v, "created"))
            counter_add(p, pn, "mirrors", "in store", 1, t);
        else if (!strcmp(v, "deleted"))
            counter_add(p, pn, "mirrors", "in store", -1, t);
    } else if (!strcmp(ev, "kube.cache.event") &&
               (v = sim_trace_rec_str(rec, "cache")) != NULL) {
        split_slash(v, a, b);
        if (sim_trace_rec_num(rec, "lag", &n))
            counter_ms(p, pn, "watch lag ms", b, n, t);
        w = sim_trace_rec_str(rec, "type");
        snprintf(key, sizeof(key), "in cache %s", b);
        if (w && mirror_kind(sim_trace_rec_str(rec, "kind"))) {
            if (!strcmp(w, "ADDED"))
                counter_add(p, pn, "mirrors", key, 1, t);
            else if (!strcmp(w, "DELETED"))
                counter_add(p, pn, "mirrors", key, -1, t);
        }
    }
}

/* records --------------------------------------------------------------------*/

static void instant(perfetto_t *p, const sim_trace_rec_t *rec, int tr)
{
    const thread_t *t = &p->threads[tr];
    FILE *f = p->out;
    const char *dot = strchr(rec->ev, '.');
    sim_trace_field_t fl;
    size_t pos = 0;
    ev_open(p, 'i', rec->t_ns, t->pid, t->tid);
    fputs(",\"s\":\"t\",\"cat\":", f);
    fprintf(f, "\"%.*s\"", dot ? (int)(dot - rec->ev) : 0, rec->ev);
    fputs(",\"name\":", f);
    put_str(f, rec->ev);
    fprintf(f, ",\"args\":{\"seq\":%" PRIu64, rec->seq);
    if (rec->cause)
        fprintf(f, ",\"cause\":%" PRIu64, rec->cause);
    if (rec->truncated)
        fputs(",\"truncated\":true", f);
    while (sim_trace_rec_field(rec, &pos, &fl)) {
        if (!strcmp(fl.key, "seq") || !strcmp(fl.key, "cause"))
            continue;
        putc(',', f);
        put_str(f, fl.key);
        putc(':', f);
        if (fl.type == 's')
            put_str(f, fl.str);
        else if (fl.type == 'i')
            fprintf(f, "%" PRId64, (int64_t)fl.num);
        else
            fprintf(f, "%" PRIu64, fl.num);
    }
    fputs("}}", f);
}

static void flow(perfetto_t *p, const sim_trace_rec_t *rec, int tr)
{
    const seen_t *c;
    const thread_t *from, *to = &p->threads[tr];
    uint64_t id;
    if (!rec->cause || rec->cause >= p->capseen ||
        !p->seen[rec->cause].track)
        return;
    c = &p->seen[rec->cause];
    from = &p->threads[c->track - 1];
    id = ++p->next_flow;
    ev_open(p, 's', c->t_ns, from->pid, from->tid);
    fprintf(p->out, ",\"cat\":\"cause\",\"name\":\"cause\",\"id\":%" PRIu64
                    "}", id);
    ev_open(p, 'f', rec->t_ns, to->pid, to->tid);
    fprintf(p->out, ",\"bp\":\"e\",\"cat\":\"cause\",\"name\":\"cause\","
                    "\"id\":%" PRIu64 "}", id);
}

void perfetto_record(void *arg, const sim_trace_rec_t *rec)
{
    perfetto_t *p = arg;
    char pn[NAME_MAX_], tn[NAME_MAX_];
    int tr;
    if (!strcmp(rec->ev, "sim.run.start")) {
        /* a new run: fresh processes, threads and states */
        const char *sc = sim_trace_rec_str(rec, "scenario");
        const char *va = sim_trace_rec_str(rec, "variant");
        uint64_t seed = 0;
        close_states(p, p->last_ns);
        p->nprocs = p->nthreads = p->nstates = p->ncounters = 0;
        if (p->seen)
            memset(p->seen, 0, p->capseen * sizeof(*p->seen));
        p->run++;
        sim_trace_rec_num(rec, "seed", &seed);
        snprintf(pn, sizeof(pn), "rddsim %s variant %s seed %" PRIu64,
                 sc ? sc : "?", va ? va : "?", seed);
        /* the run's process comes first, named for the run, found as
         * "rddsim" by place() */
        if (proc_pid(p, pn) && p->nprocs)
            snprintf(p->procs[0].name, NAME_MAX_, "rddsim");
    }
    place(p, rec, pn, tn);
    if ((tr = track(p, pn, tn)) < 0)
        return;
    instant(p, rec, tr);
    flow(p, rec, tr);
    if (!grow(p, (void **)&p->seen, &p->capseen, rec->seq + 1,
              sizeof(*p->seen))) {
        p->seen[rec->seq].t_ns = rec->t_ns;
        p->seen[rec->seq].track = tr + 1;
    }
    moves(p, rec, pn);
    p->last_ns = rec->t_ns;
    if (!strcmp(rec->ev, "sim.run.end"))
        close_states(p, rec->t_ns);
}

int perfetto_new(FILE *out, perfetto_t **pp)
{
    perfetto_t *p = sim__calloc(1, sizeof(*p));
    *pp = p;
    if (!p)
        return SIM_ENOMEM;
    p->out = out;
    p->first = 1;
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":"
          "\"rddsim\",\"clock\":\"virtual time, ts in microseconds\"},"
          "\"traceEvents\":[", out);
    return 0;
}

int perfetto_end(perfetto_t *p)
{
    int rc;
    if (!p)
        return 0;
    close_states(p, p->last_ns);
    fputs("\n]}\n", p->out);
    rc = p->oom ? SIM_ENOMEM : 0;
    sim__free(p->procs);
    sim__free(p->threads);
    sim__free(p->states);
    sim__free(p->counters);
    sim__free(p->seen);
    sim__free(p);
    return rc;
}
