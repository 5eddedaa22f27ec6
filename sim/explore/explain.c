/*
 * explain.c: load a JSONL trace, walk cause links back, words per step.
 * See explain.h.
 */
#include "explore/explain.h"

#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/errno.h"

int explain_load(FILE *f, explain_trace_t *t)
{
    size_t cap = 1024;
    json_t *j;
    json_error_t err;
    memset(t, 0, sizeof(*t));
    t->rec = sim__calloc(cap, sizeof(*t->rec));
    if (!t->rec)
        return SIM_ENOMEM;
    while ((j = json_loadf(f, JSON_DISABLE_EOF_CHECK, &err)) != NULL) {
        json_int_t seq = json_integer_value(json_object_get(j, "seq"));
        if (seq <= 0 || (size_t)seq != t->n + 1) {
            json_decref(j);
            explain_free(t);
            return SIM_EINVAL;
        }
        if ((size_t)seq >= cap) {
            json_t **nr = sim__realloc(t->rec, cap * 2 * sizeof(*nr));
            if (!nr) {
                json_decref(j);
                explain_free(t);
                return SIM_ENOMEM;
            }
            memset(nr + cap, 0, cap * sizeof(*nr));
            t->rec = nr;
            cap *= 2;
        }
        t->rec[seq] = j;
        t->n = (size_t)seq;
    }
    return 0;
}

void explain_free(explain_trace_t *t)
{
    size_t i;
    if (!t->rec)
        return;
    for (i = 1; i <= t->n; i++)
        json_decref(t->rec[i]);
    sim__free(t->rec);
    memset(t, 0, sizeof(*t));
}

static const char *ev_of(json_t *r)
{
    const char *s = json_string_value(json_object_get(r, "ev"));
    return s ? s : "";
}

size_t explain_find(const explain_trace_t *t, const char *ev, uint64_t *out,
                    size_t max)
{
    size_t i, k = 0;
    for (i = 1; i <= t->n && k < max; i++)
        if (!strcmp(ev_of(t->rec[i]), ev))
            out[k++] = i;
    return k;
}

static const char *str_of(json_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(r, key));
    return s ? s : "";
}

/* The record that created the object a kube.obj.delete names (the latest
 * create, or apply that created, of one store, kind, ns and name before
 * it), or 0. */
static uint64_t object_origin(const explain_trace_t *t, uint64_t seq)
{
    json_t *d = t->rec[seq];
    const char *store = str_of(d, "store"), *kind = str_of(d, "kind");
    const char *ns = str_of(d, "ns"), *name = str_of(d, "name");
    uint64_t i;
    for (i = seq - 1; i >= 1; i--) {
        json_t *r = t->rec[i];
        const char *ev = ev_of(r);
        if (strcmp(ev, "kube.obj.create") && strcmp(ev, "kube.obj.apply"))
            continue;
        if (strcmp(str_of(r, "result"), "created") ||
            strcmp(str_of(r, "name"), name) ||
            strcmp(str_of(r, "kind"), kind) ||
            strcmp(str_of(r, "store"), store) || strcmp(str_of(r, "ns"), ns))
            continue;
        return i;
    }
    return 0;
}

size_t explain_links(const explain_trace_t *t, uint64_t seq,
                     explain_link_t *out, size_t max)
{
    json_t *links, *v;
    const char *key;
    size_t k = 0;
    if (seq < 1 || seq > t->n)
        return 0;
    links = json_object_get(t->rec[seq], "links");
    json_object_foreach(links, key, v) {
        json_int_t s = json_integer_value(v);
        if (k < max && s > 0 && (uint64_t)s < seq)
            out[k++] = (explain_link_t){key, (uint64_t)s};
    }
    if (k < max && !strcmp(ev_of(t->rec[seq]), "kube.obj.delete")) {
        uint64_t o = object_origin(t, seq);
        if (o)
            out[k++] = (explain_link_t){"object", o};
    }
    return k;
}

/* A growable double-ended queue of seqs. */
typedef struct {
    uint64_t *a;
    size_t cap, head, len;
} deque_t;

static int dq_grow(deque_t *d)
{
    size_t cap = d->cap ? d->cap * 2 : 256, i;
    uint64_t *a = sim__calloc(cap, sizeof(*a));
    if (!a)
        return SIM_ENOMEM;
    for (i = 0; i < d->len; i++)
        a[i] = d->a[(d->head + i) % d->cap];
    sim__free(d->a);
    d->a = a;
    d->cap = cap;
    d->head = 0;
    return 0;
}

static int dq_front(deque_t *d, uint64_t x)
{
    if (d->len == d->cap && dq_grow(d))
        return SIM_ENOMEM;
    d->head = (d->head + d->cap - 1) % d->cap;
    d->a[d->head] = x;
    d->len++;
    return 0;
}

static int dq_back(deque_t *d, uint64_t x)
{
    if (d->len == d->cap && dq_grow(d))
        return SIM_ENOMEM;
    d->a[(d->head + d->len) % d->cap] = x;
    d->len++;
    return 0;
}

static uint64_t dq_pop(deque_t *d)
{
    uint64_t x = d->a[d->head];
    d->head = (d->head + 1) % d->cap;
    d->len--;
    return x;
}

/* What makes two records "alike": the event, the actor and every string
 * field (numbers, such as pids, rvs and times, differ from one turn of a
 * loop to the next). */
static void signature(json_t *r, char *buf, size_t len)
{
    const char *key;
    json_t *v;
    size_t n = (size_t)snprintf(buf, len, "%s|%s", ev_of(r),
                                explain_actor(r));
    json_object_foreach(r, key, v) {
        if (n >= len)
            break;
        if (json_is_string(v) && strcmp(key, "ev"))
            n += (size_t)snprintf(buf + n, len - n, "|%s=%s", key,
                                  json_string_value(v));
    }
}

static int cmp_step(const void *a, const void *b)
{
    uint64_t x = ((const explain_step_t *)a)->seq;
    uint64_t y = ((const explain_step_t *)b)->seq;
    return x < y ? -1 : x > y;
}

#define SIG_MAX 384

size_t explain_chain(const explain_trace_t *t, const uint64_t *starts,
                     size_t nstarts, explain_step_t *out, size_t max)
{
    char sigs[EXPLAIN_MAX_STEPS][SIG_MAX];
    char sig[SIG_MAX];
    unsigned char *seen = NULL;
    deque_t dq = {NULL, 0, 0, 0};
    size_t k = 0, i, j, visits = 0;
    if (max > EXPLAIN_MAX_STEPS)
        max = EXPLAIN_MAX_STEPS;
    seen = sim__calloc(t->n / 8 + 1, 1);
    if (!seen)
        return 0;
    for (i = 0; i < nstarts; i++)
        if (starts[i] >= 1 && starts[i] <= t->n && dq_back(&dq, starts[i]))
            goto out;
    while (dq.len && k < max && visits < EXPLAIN_MAX_VISITS) {
        uint64_t seq = dq_pop(&dq);
        explain_link_t l[EXPLAIN_MAX_LINKS];
        size_t nl;
        json_int_t c;
        int alike = 0;
        if (seen[seq / 8] & (1u << (seq % 8)))
            continue;
        seen[seq / 8] |= (unsigned char)(1u << (seq % 8));
        visits++;
        signature(t->rec[seq], sig, sizeof(sig));
        for (j = 0; j < k; j++)
            if (!strcmp(sigs[j], sig))
                break;
        if (j < k) {
            /* One more turn of a loop already shown: walk through it
             * at no cost, count it. */
            alike = 1;
            out[j].similar++;
            if (seq < out[j].first_similar || !out[j].first_similar)
                out[j].first_similar = seq;
            if (seq > out[j].last_similar)
                out[j].last_similar = seq;
        } else {
            memcpy(sigs[k], sig, sizeof(sig));
            out[k++] = (explain_step_t){seq, 0, 0, 0};
        }
        c = json_integer_value(json_object_get(t->rec[seq], "cause"));
        if (c > 0 && (uint64_t)c < seq &&
            (alike ? dq_front(&dq, (uint64_t)c) : dq_back(&dq, (uint64_t)c)))
            break;
        nl = explain_links(t, seq, l, EXPLAIN_MAX_LINKS);
        for (j = nl; j > 0; j--)
            if (dq_front(&dq, l[j - 1].seq))
                break;
    }
out:
    sim__free(dq.a);
    sim__free(seen);
    qsort(out, k, sizeof(out[0]), cmp_step);
    return k;
}

const char *explain_actor(json_t *rec)
{
    static const char *const keys[] = {"inst", "owner", "daemon", "store",
                                       "ctrl", "cache", "proc", "client",
                                       "name"};
    size_t i;
    /* a WSL operation's actor is who ran it ("user", an instance) */
    if (!strncmp(ev_of(rec), "host.wsl.", 9) &&
        json_string_value(json_object_get(rec, "actor")))
        return json_string_value(json_object_get(rec, "actor"));
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *s = json_string_value(json_object_get(rec, keys[i]));
        if (s)
            return s;
    }
    return "-";
}

/* Event name prefix -> words for the reader (the RDD source each event
 * stands for is explain_cite's, explain_cite.c). */
static const struct {
    const char *ev;
    const char *words;
} table[] = {
    {"npipe.listen.ok", "listens on the pipe"},
    {"npipe.listen.fail", "fails to listen on the pipe"},
    {"rdd.bridge", "socket bridge"},
    {"rdd.engine", "engine reconciler"},
    {"kube.obj.create", "apiserver create"},
    {"kube.obj.update", "apiserver update"},
    {"kube.obj.delete", "apiserver delete"},
    {"kube.cache.event", "informer sees the write"},
    {"kube.reconcile.start", "reconcile starts"},
    {"dock.container.remove", "Docker ContainerRemove"},
    {"sim.invariant.violated", "INVARIANT VIOLATED"},
};

void explain_words(json_t *rec, char *buf, size_t len)
{
    const char *ev = ev_of(rec), *words = NULL, *key;
    json_t *v;
    size_t i, n;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (!strncmp(ev, table[i].ev, strlen(table[i].ev)))
            words = table[i].words;
    n = (size_t)snprintf(buf, len, "%s%s%s", ev, words ? ": " : "",
                         words ? words : "");
    json_object_foreach(rec, key, v) {
        char val[256];
        if (n >= len)
            break;
        if (!strcmp(key, "t_ns") || !strcmp(key, "seq") ||
            !strcmp(key, "ev") || !strcmp(key, "cause") ||
            !strcmp(key, "links"))
            continue;
        if (json_is_string(v))
            snprintf(val, sizeof(val), "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(val, sizeof(val), "%lld",
                     (long long)json_integer_value(v));
        else
            snprintf(val, sizeof(val), "%s", json_is_true(v) ? "true" : "?");
        n += (size_t)snprintf(buf + n, len - n, " %s=%s", key, val);
    }
}
