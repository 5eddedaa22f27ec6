/*
 * front_cache.c: the Kubernetes API front's watch cache (front.h, "The
 * watch cache"): the objects of every kind as the apiserver's cacher
 * holds them, its history of the last KUBE_FRONT_HISTORY events, LISTs
 * and WATCHes served from it, and the fan-out of each event to the watch
 * streams (rendered once, as JSON and, when a watcher wants one, as a
 * Table, and the same bytes written to every stream that wants it).
 *
 * Models the kube-apiserver's cacher (k8s.io/apiserver/pkg/storage/
 * cacher: initialised from etcd, fed by its watch, "too old resource
 * version" for what its window lost) over the kube fake's lagging watch
 * caches (kube_store_set_lag): each event reaches it when the store's
 * watch cache for its kind applies it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/front_int.h"
#include "kube/kube_int.h"
#include "sim/alloc.h"
#include "sim/errno.h"

static void end_watch(kconn_t *c)
{
    (void)fk_http_chunk_end(c->s);
    kube__front_conn_free(c);
}

/* the watch cache -----------------------------------------------------------*/

static int centry_find(const ckind_t *k, const char *ns, const char *name,
                       size_t *pos)
{
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int d = kube__key_cmp(k->v[mid].ns, k->v[mid].name, ns, name);
        if (d == 0) {
            *pos = mid;
            return 1;
        }
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

void kube__front_cache_drop(kube_front_t *f)
{
    size_t i;
    int k;
    for (k = 0; k < KUBE_KIND__COUNT; k++) {
        for (i = 0; i < f->ck[k].n; i++)
            json_decref(f->ck[k].v[i].obj);
        SIM_FREE(f->ck[k].v);
        f->ck[k].n = f->ck[k].cap = 0;
    }
    for (i = 0; i < f->hlen; i++) {
        hist_t *h = &f->hist[(f->hhead + i) % KUBE_FRONT_HISTORY];
        sim__free(h->line);
        sim__free(h->tline);
        json_decref(h->obj);
    }
    f->hhead = f->hlen = 0;
    f->store = NULL;
    f->watch_id = 0;
}

/* Puts obj (one reference, taken) under (ns, name). */
static int cache_put(kube_front_t *f, kube_kind_t kind, const char *ns,
                     const char *name, const char *created, json_t *obj)
{
    ckind_t *k = &f->ck[kind];
    size_t pos;
    centry_t *e;
    if (centry_find(k, ns, name, &pos)) {
        json_decref(k->v[pos].obj);
        k->v[pos].obj = obj;
        return 0;
    }
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        centry_t *v = sim__realloc(k->v, cap * sizeof(*v));
        if (!v) {
            json_decref(obj);
            return SIM_ENOMEM;
        }
        k->v = v;
        k->cap = cap;
    }
    memmove(&k->v[pos + 1], &k->v[pos], (k->n - pos) * sizeof(*k->v));
    k->n++;
    e = &k->v[pos];
    memset(e, 0, sizeof(*e));
    snprintf(e->ns, sizeof(e->ns), "%s", ns);
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->created, sizeof(e->created), "%s", created);
    e->obj = obj;
    return 0;
}

const centry_t *kube__front_cache_get(const kube_front_t *f, kube_kind_t kind,
                                      const char *ns, const char *name)
{
    size_t pos;
    if (!f->store || !centry_find(&f->ck[kind], ns, name, &pos))
        return NULL;
    return &f->ck[kind].v[pos];
}

static void cache_del(kube_front_t *f, kube_kind_t kind, const char *ns,
                      const char *name)
{
    ckind_t *k = &f->ck[kind];
    size_t pos;
    if (!centry_find(k, ns, name, &pos))
        return;
    json_decref(k->v[pos].obj);
    memmove(&k->v[pos], &k->v[pos + 1], (k->n - pos - 1) * sizeof(*k->v));
    k->n--;
}

static int watch_wants(const kconn_t *c, kube_kind_t kind, const char *ns,
                       const char *name)
{
    return c->watching && c->kind == kind &&
           (!c->ns[0] || !strcmp(c->ns, ns)) &&
           (!c->name[0] || !strcmp(c->name, name));
}

static int send_line(kconn_t *c, const char *line, size_t len)
{
    c->f->events++;
    if (fk_http_chunk(c->s, line, len)) {
        kube__front_conn_free(c);
        return 1;
    }
    return 0;
}

static char *event_line(const char *type, json_t *obj, size_t *len);

/* A watch event's object as a one-row Table, as a line. */
static char *table_line(kube_front_t *f, const char *type, json_t *obj,
                        size_t *len)
{
    kube_kind_t kind = KUBE_KIND__COUNT;
    const char *k = json_string_value(json_object_get(obj, "kind"));
    json_t *t;
    char *line;
    int i;
    for (i = 0; i < KUBE_KIND__COUNT; i++)
        if (k && !strcmp(kube_front_resource((kube_kind_t)i)->kind_name, k))
            kind = (kube_kind_t)i;
    if (kind == KUBE_KIND__COUNT)
        return event_line(type, obj, len);
    t = kube__front_table(
        kind, &obj, 1,
        json_string_value(json_object_get(json_object_get(obj, "metadata"),
                                          "resourceVersion")),
        sim_now(f->o.loop), &f->clock, 1);
    line = t ? event_line(type, t, len) : NULL;
    json_decref(t);
    return line;
}

static int send_hist(kconn_t *c, hist_t *h)
{
    if (!c->table)
        return send_line(c, h->line, h->len);
    if (!h->tline &&
        !(h->tline = table_line(c->f, h->type, h->obj, &h->tlen))) {
        kube__front_conn_free(c);
        return 1;
    }
    return send_line(c, h->tline, h->tlen);
}

static char *event_line(const char *type, json_t *obj, size_t *len)
{
    json_t *ev = json_pack("{s:s,s:O}", "type", type, "object", obj);
    char *txt = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    char *line;
    size_t n;
    json_decref(ev);
    if (!txt)
        return NULL;
    n = strlen(txt);
    if ((line = sim__malloc(n + 2))) {
        memcpy(line, txt, n);
        line[n] = '\n';
        line[n + 1] = 0;
        *len = n + 1;
    }
    free(txt);
    return line;
}

/* The store's watch: the cache applies each change at the time its kind's
 * watch cache does, keeps it in the history, and fans it out. */
static void on_event(void *arg, kube_event_type_t type, const kube_obj_t *o)
{
    kube_front_t *f = arg;
    uint64_t rv;
    const centry_t *old;
    char created[32];
    json_t *obj;
    hist_t *h;
    kconn_t *c, *next;
    if (!f->store)
        return;
    rv = kube__store_delivering_rv(f->store);
    old = kube__front_cache_get(f, o->kind, o->ns, o->name);
    if (old)
        snprintf(created, sizeof(created), "%s", old->created);
    else
        kube__front_time(&f->clock, kube__store_delivering_commit_ns(f->store),
                         created, sizeof(created));
    if (!(obj = kube__front_render(o, type == KUBE_DELETED ? rv : 0, created,
                                   &f->clock)))
        return;
    f->kind_rv[o->kind] = rv;
    if (f->hlen == KUBE_FRONT_HISTORY) {
        h = &f->hist[f->hhead];
        if (h->rv > f->dropped_rv[h->kind])
            f->dropped_rv[h->kind] = h->rv;
        sim__free(h->line);
        sim__free(h->tline);
        json_decref(h->obj);
        f->hhead = (f->hhead + 1) % KUBE_FRONT_HISTORY;
        f->hlen--;
    }
    h = &f->hist[(f->hhead + f->hlen) % KUBE_FRONT_HISTORY];
    memset(h, 0, sizeof(*h));
    h->rv = rv;
    h->kind = o->kind;
    snprintf(h->ns, sizeof(h->ns), "%s", o->ns);
    snprintf(h->name, sizeof(h->name), "%s", o->name);
    h->type = type == KUBE_ADDED      ? "ADDED"
              : type == KUBE_MODIFIED ? "MODIFIED"
                                      : "DELETED";
    h->line = event_line(h->type, obj, &h->len);
    h->obj = json_incref(obj);
    if (h->line)
        f->hlen++;
    else /* out of memory: a watch from before this must relist */
        f->dropped_rv[o->kind] = rv;
    if (type == KUBE_DELETED) {
        cache_del(f, o->kind, o->ns, o->name);
        json_decref(obj);
    } else
        (void)cache_put(f, o->kind, o->ns, o->name, created, obj);
    if (!h->line)
        return;
    for (c = f->conns; c; c = next) {
        next = c->next;
        if (watch_wants(c, o->kind, o->ns, o->name) && rv > c->from_rv)
            (void)send_hist(c, h);
    }
}

typedef struct {
    kube_front_t *f;
    char created[32];
    int rc;
} fill_t;

static int fill_visit(void *arg, const kube_obj_t *o)
{
    fill_t *fl = arg;
    json_t *obj = kube__front_render(o, 0, fl->created, &fl->f->clock);
    if (!obj || cache_put(fl->f, o->kind, o->ns, o->name, fl->created, obj)) {
        fl->rc = SIM_ENOMEM;
        return 1;
    }
    return 0;
}

/* The store served now, the cache started on it (from its state now) if
 * need_cache.  NULL: down (503) or out of memory. */
kube_store_t *kube__front_current(kube_front_t *f, int need_cache)
{
    uint64_t epoch = 0;
    int up = 0;
    kube_store_t *s = f->o.store(f->o.store_arg, &epoch, &up);
    kconn_t *c, *next;
    fill_t fl;
    int k;
    if (f->store && (s != f->store || epoch != f->epoch)) {
        /* Replaced: the old store (and our subscription) is gone with it;
         * its watches end, as the cacher's do when it restarts. */
        for (c = f->conns; c; c = next) {
            next = c->next;
            if (c->watching)
                end_watch(c);
        }
        kube__front_cache_drop(f);
    }
    if (!s || !up)
        return NULL; /* down: the cache stays, it answers nothing */
    if (!need_cache || f->store)
        return s;
    if (!f->hist &&
        !(f->hist = sim__calloc(KUBE_FRONT_HISTORY, sizeof(*f->hist))))
        return NULL;
    f->store = s;
    f->epoch = epoch;
    f->init_rv = kube_store_rv(s);
    memset(fl.created, 0, sizeof(fl.created));
    kube__front_time(&f->clock, sim_now(f->o.loop), fl.created,
                     sizeof(fl.created));
    fl.f = f;
    fl.rc = 0;
    for (k = 0; k < KUBE_KIND__COUNT; k++) {
        kube_reader_t *r = kube_store_reader(s);
        kube_status_t st;
        f->kind_rv[k] = f->init_rv;
        f->dropped_rv[k] = 0;
        (void)r->list(r, (kube_kind_t)k, "", fill_visit, &fl, &st);
    }
    if (fl.rc ||
        (f->watch_id = kube_watch(s, KUBE_KIND__COUNT, on_event, f)) <= 0) {
        kube__front_cache_drop(f);
        return NULL;
    }
    return s;
}

static int parse_rv(const char *v, uint64_t *rv)
{
    char *end;
    unsigned long long n;
    if (!v[0])
        return 0;
    n = strtoull(v, &end, 10);
    if (*end || v[0] == '-')
        return -1;
    *rv = (uint64_t)n;
    return 1;
}

static int match(const target_t *t, const char *ns, const char *name)
{
    return (!t->ns[0] || !strcmp(t->ns, ns)) &&
           (!t->name[0] || !strcmp(t->name, name));
}

typedef struct {
    kube_front_t *f;
    const target_t *t;
    json_t *items;
} acc_t;

static int acc_visit(void *arg, const kube_obj_t *o)
{
    acc_t *a = arg;
    const centry_t *e = kube__front_cache_get(a->f, o->kind, o->ns, o->name);
    if (match(a->t, o->ns, o->name))
        json_array_append_new(
            a->items,
            kube__front_render(o, 0, e ? e->created : NULL, &a->f->clock));
    return 0;
}

/* The LIST from the cache; from_store: from the store (etcd), as the
 * consistent read does when the cache is still behind after 3 s. */
int kube__front_send_list(kconn_t *c, const target_t *t, int from_store)
{
    kube_front_t *f = c->f;
    const kube_front_res_t *r = t->r;
    const ckind_t *k = &f->ck[r->kind];
    char api[96], lk[64], rvs[32];
    json_t *items = json_array(), *j;
    uint64_t rv = f->kind_rv[r->kind];
    size_t i;
    if (from_store && f->store) {
        kube_reader_t *rd = kube_store_reader(f->store);
        kube_status_t st;
        acc_t a = {f, t, items};
        rv = kube_store_rv(f->store);
        (void)rd->list(rd, r->kind, t->ns, acc_visit, &a, &st);
    } else {
        for (i = 0; i < k->n; i++)
            if (match(t, k->v[i].ns, k->v[i].name))
                json_array_append(items, k->v[i].obj);
    }
    if (r->group[0])
        snprintf(api, sizeof(api), "%s/%s", r->group, r->version);
    else
        snprintf(api, sizeof(api), "%s", r->version);
    snprintf(lk, sizeof(lk), "%sList", r->kind_name);
    snprintf(rvs, sizeof(rvs), "%" PRIu64, rv > f->init_rv ? rv : f->init_rv);
    if (c->table) {
        size_t n = json_array_size(items);
        json_t **objs = sim__calloc(n ? n : 1, sizeof(*objs));
        if (!objs) {
            json_decref(items);
            kube__front_conn_free(c);
            return 1;
        }
        for (i = 0; i < n; i++)
            objs[i] = json_array_get(items, i);
        j = kube__front_table(r->kind, objs, n, rvs, sim_now(f->o.loop),
                              &f->clock, 1);
        sim__free(objs);
        json_decref(items);
        return kube__front_send_json(c, 200, j, 0);
    }
    j = json_pack("{s:s,s:s,s:{s:s},s:o}", "apiVersion", api, "kind", lk,
                  "metadata", "resourceVersion", rvs, "items", items);
    return kube__front_send_json(c, 200, j, 0);
}

int kube__front_start_watch(kconn_t *c, const target_t *t, const char *rvq)
{
    static const char hdr[] = "HTTP/1.1 200 OK\r\n"
                              "Audit-Id: rddsim\r\n"
                              "Cache-Control: no-cache, private\r\n"
                              "Content-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n";
    kube_front_t *f = c->f;
    kube_kind_t kind = t->r->kind;
    uint64_t rv = 0, oldest;
    int have = parse_rv(rvq, &rv);
    size_t i;
    if (have < 0)
        return kube__front_send_status(c, 400, NULL, "invalid resource version",
                                       t->r, NULL)
                   ? -1
                   : 0;
    f->answered++;
    if (sim_stream_write(c->s, hdr, sizeof(hdr) - 1)) {
        kube__front_conn_free(c);
        return -1;
    }
    c->watching = 1;
    c->kind = kind;
    snprintf(c->ns, sizeof(c->ns), "%s", t->ns);
    snprintf(c->name, sizeof(c->name), "%s", t->name);
    oldest =
        f->init_rv > f->dropped_rv[kind] ? f->init_rv : f->dropped_rv[kind];
    if (have && rv > 0 && rv < oldest) {
        /* The cacher's answer to a resourceVersion it no longer holds. */
        char msg[128], *line;
        size_t len;
        json_t *st;
        snprintf(msg, sizeof(msg),
                 "too old resource version: %" PRIu64 " (%" PRIu64 ")", rv,
                 oldest);
        st = kube__front_status(410, "Expired", msg, NULL, NULL);
        line = st ? event_line("ERROR", st, &len) : NULL;
        json_decref(st);
        if (line && send_line(c, line, len)) {
            sim__free(line);
            return -1;
        }
        sim__free(line);
        end_watch(c);
        return -1;
    }
    if (have && rv > 0) {
        c->from_rv = rv;
        for (i = 0; i < f->hlen; i++) {
            hist_t *h = &f->hist[(f->hhead + i) % KUBE_FRONT_HISTORY];
            if (h->rv > rv && watch_wants(c, h->kind, h->ns, h->name) &&
                send_hist(c, h))
                return -1;
        }
        return 2;
    }
    /* Unset or "0": the cache's state as ADDED events, then live. */
    c->from_rv = f->kind_rv[kind];
    for (i = 0; i < f->ck[kind].n; i++) {
        const centry_t *e = &f->ck[kind].v[i];
        char *line;
        size_t len;
        if (!match(t, e->ns, e->name))
            continue;
        if (!(line = c->table ? table_line(f, "ADDED", e->obj, &len)
                              : event_line("ADDED", e->obj, &len))) {
            kube__front_conn_free(c);
            return -1;
        }
        if (send_line(c, line, len)) {
            sim__free(line);
            return -1;
        }
        sim__free(line);
    }
    return 2;
}
