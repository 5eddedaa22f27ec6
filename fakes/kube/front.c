/*
 * front.c: the Kubernetes API front of the kube fake (front.h): the HTTP
 * connections (fakes/http reads the requests), routing, the watch cache
 * LISTs and WATCHes are served from, and the fan-out of its events to the
 * watch streams (each event rendered once, written to every stream that
 * wants it).  The objects' JSON is front_obj.c's.
 *
 * Models the kube-apiserver's request paths for custom resources as
 * client-go and kubectl use them (docs/live.md#kubernetes): the cacher
 * (k8s.io/apiserver/pkg/storage/cacher) initialised from etcd and fed by
 * its watch, LIST/WATCH semantics of resourceVersion, Status errors.
 */
#include "kube/front.h"

#include <http_parser.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "kube/front_int.h"
#include "kube/kube_int.h"
#include "sim/alloc.h"
#include "sim/errno.h"

#define PATH_MAX_ 1024

typedef struct kconn kconn_t;

typedef struct {
    char ns[KUBE_NS_MAX];
    char name[KUBE_NAME_MAX];
    char created[32];
    json_t *obj; /* one reference */
} centry_t;

typedef struct {
    centry_t *v;
    size_t n, cap;
} ckind_t;

typedef struct {
    uint64_t rv;
    kube_kind_t kind;
    char ns[KUBE_NS_MAX];
    char name[KUBE_NAME_MAX];
    char *line; /* {"type":..,"object":..}\n */
    size_t len;
    const char *type; /* "ADDED" ... */
    json_t *obj;      /* one reference: for tline */
    char *tline;      /* the same as a Table, made when first
                         wanted (NULL until then) */
    size_t tlen;
} hist_t;

struct kube_front {
    kube_front_opts_t o;
    kube__front_clock_t clock;
    kconn_t *conns;
    uintptr_t serials;
    unsigned long answered, events;
    /* the watch cache */
    kube_store_t *store; /* the store it follows, NULL: not started */
    uint64_t epoch;
    int watch_id;
    uint64_t init_rv;
    uint64_t kind_rv[KUBE_KIND__COUNT];
    uint64_t dropped_rv[KUBE_KIND__COUNT]; /* newest left out of hist */
    ckind_t ck[KUBE_KIND__COUNT];
    hist_t *hist; /* a ring of KUBE_FRONT_HISTORY */
    size_t hhead, hlen;
};

/* What a request is about, once routed. */
typedef struct {
    const kube_front_res_t *r;
    char ns[KUBE_NS_MAX]; /* "" = every namespace (or cluster scope) */
    char name[KUBE_NAME_MAX];
    int has_name;
} target_t;

enum { T_NONE, T_LIST_WAIT };

struct kconn {
    kube_front_t *f;
    sim_stream_t *s;
    fk_http_in_t in;
    int dead, busy, rd_eof;
    int table; /* the request asked for a Table */
    uintptr_t serial;
    /* a watch stream */
    int watching;
    kube_kind_t kind;
    char ns[KUBE_NS_MAX];
    char name[KUBE_NAME_MAX]; /* fieldSelector metadata.name, or "" */
    uint64_t from_rv;
    /* a LIST waiting for the cache */
    sim_timer_t timer;
    target_t wait_t;
    kconn_t *prev, *next;
};

static void conn_free(kconn_t *c);
static void pump(kconn_t *c);

/* responses ---------------------------------------------------------------*/

static int send_raw(kconn_t *c, int code, const char *body, size_t n,
                    int close_after)
{
    char hdr[384];
    int len;
    c->f->answered++;
    len = snprintf(hdr, sizeof(hdr),
                   "HTTP/1.1 %d %s\r\n"
                   "Audit-Id: rddsim\r\n"
                   "Cache-Control: no-cache, private\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %zu\r\n"
                   "%s\r\n",
                   code, fk_http_status_text(code), n,
                   close_after ? "Connection: close\r\n" : "");
    if (sim_stream_write(c->s, hdr, (size_t)len) ||
        (n && sim_stream_write(c->s, body, n))) {
        conn_free(c);
        return 1;
    }
    return 0;
}

/* Sends j (takes the reference).  1 if c is gone. */
static int send_json(kconn_t *c, int code, json_t *j, int close_after)
{
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc;
    json_decref(j);
    if (!txt) {
        conn_free(c);
        return 1;
    }
    rc = send_raw(c, code, txt, strlen(txt), close_after);
    free(txt);
    return rc;
}

static const char *reason_of(int code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 406:
        return "NotAcceptable";
    case 409:
        return "Conflict";
    case 410:
        return "Expired";
    case 415:
        return "UnsupportedMediaType";
    case 422:
        return "Invalid";
    case 429:
        return "TooManyRequests";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return code >= 500 ? "InternalError" : "BadRequest";
    }
}

static int send_status(kconn_t *c, int code, const char *reason,
                       const char *msg, const kube_front_res_t *r,
                       const char *name)
{
    return send_json(c, code,
                     kube__front_status(code, reason ? reason : reason_of(code),
                                        msg, r, name),
                     0);
}

static int send_notfound(kconn_t *c, const kube_front_res_t *r,
                         const char *name)
{
    char q[160], msg[400];
    kube__front_qualified(r, q, sizeof(q));
    snprintf(msg, sizeof(msg), "%s \"%s\" not found", q, name);
    return send_status(c, 404, "NotFound", msg, r, name);
}

/* A store answer that failed: its code, reason and message. */
static int send_store_err(kconn_t *c, const kube_status_t *st, int rc,
                          const kube_front_res_t *r, const char *name)
{
    int code = st->http >= 400                           ? st->http
               : rc == SIM_ENOTFOUND                     ? 404
               : rc == SIM_ECONFLICT || rc == SIM_EEXIST ? 409
               : rc == SIM_EINVALID                      ? 422
               : rc == SIM_ETOOMANY                      ? 429
                                                         : 500;
    if (code == 404)
        return send_notfound(c, r, name);
    return send_status(c, code, st->reason[0] ? st->reason : NULL,
                       st->message[0] ? st->message : sim_strerror(rc), r,
                       name);
}

/* connections -------------------------------------------------------------*/

static void conn_free(kconn_t *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->f->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    sim_timer_stop(&c->timer);
    if (c->s) {
        c->s->data = NULL;
        sim_stream_close(c->s, NULL);
        c->s = NULL;
    }
    fk_http_in_free(&c->in);
    sim__free(c);
}

static void end_watch(kconn_t *c)
{
    (void)fk_http_chunk_end(c->s);
    conn_free(c);
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

static void cache_drop(kube_front_t *f)
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

static const centry_t *cache_get(const kube_front_t *f, kube_kind_t kind,
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
        conn_free(c);
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
        conn_free(c);
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
    old = cache_get(f, o->kind, o->ns, o->name);
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
static kube_store_t *current(kube_front_t *f, int need_cache)
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
        cache_drop(f);
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
        cache_drop(f);
        return NULL;
    }
    return s;
}

/* discovery ----------------------------------------------------------------*/

static const char *const groups[] = {"app.rancherdesktop.io",
                                     "containers.rancherdesktop.io",
                                     "lima.rancherdesktop.io"};

static json_t *group_json(const char *g)
{
    char gv[96];
    snprintf(gv, sizeof(gv), "%s/v1alpha1", g);
    return json_pack("{s:s,s:[{s:s,s:s}],s:{s:s,s:s}}", "name", g, "versions",
                     "groupVersion", gv, "version", "v1alpha1",
                     "preferredVersion", "groupVersion", gv, "version",
                     "v1alpha1");
}

static json_t *resource_list(const char *group, const char *version)
{
    char gv[96];
    json_t *list = json_array();
    int k;
    if (group[0])
        snprintf(gv, sizeof(gv), "%s/%s", group, version);
    else
        snprintf(gv, sizeof(gv), "%s", version);
    for (k = 0; k < KUBE_KIND__COUNT; k++) {
        const kube_front_res_t *r = kube_front_resource((kube_kind_t)k);
        json_t *j;
        char sub[96];
        if (strcmp(r->group, group) || strcmp(r->version, version))
            continue;
        j = json_pack("{s:s,s:s,s:b,s:s,s:[s,s,s,s,s]}", "name", r->plural,
                      "singularName", r->singular, "namespaced", r->namespaced,
                      "kind", r->kind_name, "verbs", "delete", "get", "list",
                      "patch", "watch");
        if (r->short_name)
            json_object_set_new(j, "shortNames",
                                json_pack("[s]", r->short_name));
        if (r->group[0])
            json_object_set_new(j, "categories", json_pack("[s]", "all"));
        json_array_append_new(list, j);
        if (r->group[0]) {
            snprintf(sub, sizeof(sub), "%s/status", r->plural);
            json_array_append_new(
                list, json_pack("{s:s,s:s,s:b,s:s,s:[]}", "name", sub,
                                "singularName", "", "namespaced", r->namespaced,
                                "kind", r->kind_name, "verbs"));
        }
    }
    return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList",
                     "apiVersion", "v1", "groupVersion", gv, "resources", list);
}

/* 1 if answered (or c gone), 0 if the path is not discovery. */
static int discovery(kconn_t *c, const char *p)
{
    size_t i;
    if (!strcmp(p, "/version")) {
        send_json(c, 200,
                  json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major",
                            "1", "minor", "32", "gitVersion",
                            KUBE_FRONT_VERSION "+rddsim", "gitCommit", "rddsim",
                            "gitTreeState", "clean", "buildDate",
                            "2026-01-01T00:00:00Z", "goVersion", "go1.23",
                            "compiler", "gc", "platform", "linux/amd64"),
                  0);
        return 1;
    }
    if (!strcmp(p, "/api")) {
        send_json(c, 200,
                  json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions",
                            "versions", "v1", "serverAddressByClientCIDRs",
                            "clientCIDR", "0.0.0.0/0", "serverAddress",
                            "127.0.0.1"),
                  0);
        return 1;
    }
    if (!strcmp(p, "/api/v1")) {
        send_json(c, 200, resource_list("", "v1"), 0);
        return 1;
    }
    if (!strcmp(p, "/apis")) {
        json_t *gs = json_array();
        for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
            json_array_append_new(gs, group_json(groups[i]));
        send_json(c, 200,
                  json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList",
                            "apiVersion", "v1", "groups", gs),
                  0);
        return 1;
    }
    for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        size_t gl = strlen(groups[i]);
        if (strncmp(p, "/apis/", 6) || strncmp(p + 6, groups[i], gl))
            continue;
        if (!p[6 + gl]) {
            json_t *g = group_json(groups[i]);
            json_object_set_new(g, "kind", json_string("APIGroup"));
            json_object_set_new(g, "apiVersion", json_string("v1"));
            send_json(c, 200, g, 0);
            return 1;
        }
        if (!strcmp(p + 6 + gl, "/v1alpha1")) {
            send_json(c, 200, resource_list(groups[i], "v1alpha1"), 0);
            return 1;
        }
    }
    return 0;
}

/* routing
 * --------------------------------------------------------------------*/

/* Splits off the next path segment of *p into out; 0 if none. */
static int next_seg(const char **p, char *out, size_t len)
{
    const char *s = *p, *e;
    if (*s != '/' || !s[1])
        return 0;
    s++;
    e = strchr(s, '/');
    if (!e)
        e = s + strlen(s);
    snprintf(out, len, "%.*s", (int)(e - s), s);
    *p = e;
    return 1;
}

/* /api/v1/... or /apis/<g>/<v>/...: [namespaces/<ns>/]<plural>[/<name>].
 * 1 and t filled, 0 if no such resource; -1 for a subresource. */
static int resource_path(const char *p, target_t *t)
{
    char g[96] = "", v[32], seg[KUBE_NAME_MAX + 8], plural[64];
    int k;
    memset(t, 0, sizeof(*t));
    if (!strncmp(p, "/api/", 5)) {
        p += 4;
    } else if (!strncmp(p, "/apis/", 6)) {
        p += 5;
        if (!next_seg(&p, g, sizeof(g)))
            return 0;
    } else
        return 0;
    if (!next_seg(&p, v, sizeof(v)) || !next_seg(&p, seg, sizeof(seg)))
        return 0;
    if (!strcmp(seg, "namespaces") && *p) {
        if (!next_seg(&p, t->ns, sizeof(t->ns)) ||
            !next_seg(&p, seg, sizeof(seg)))
            return 0;
        if (!t->ns[0])
            return 0;
    }
    snprintf(plural, sizeof(plural), "%s", seg);
    for (k = 0; k < KUBE_KIND__COUNT; k++) {
        const kube_front_res_t *r = kube_front_resource((kube_kind_t)k);
        if (!strcmp(r->group, g) && !strcmp(r->version, v) &&
            !strcmp(r->plural, plural))
            t->r = r;
    }
    if (!t->r || (t->ns[0] && !t->r->namespaced))
        return 0;
    if (next_seg(&p, t->name, sizeof(t->name)))
        t->has_name = 1;
    if (*p)
        return -1; /* /status and the like */
    return 1;
}

/* fieldSelector: metadata.name and metadata.namespace, = or ==. */
static int field_selector(const char *sel, char *name, size_t nlen, char *ns,
                          size_t slen, char *bad, size_t blen)
{
    char buf[512], *tok, *save = NULL;
    snprintf(buf, sizeof(buf), "%s", sel);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        const char *val;
        if (!eq || eq[-1] == '!') {
            snprintf(bad, blen, "%s", tok);
            return -1;
        }
        *eq = 0;
        val = eq[1] == '=' ? eq + 2 : eq + 1;
        if (!strcmp(tok, "metadata.name"))
            snprintf(name, nlen, "%s", val);
        else if (!strcmp(tok, "metadata.namespace"))
            snprintf(ns, slen, "%s", val);
        else {
            snprintf(bad, blen, "%s", tok);
            return -1;
        }
    }
    return 0;
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
    const centry_t *e = cache_get(a->f, o->kind, o->ns, o->name);
    if (match(a->t, o->ns, o->name))
        json_array_append_new(
            a->items,
            kube__front_render(o, 0, e ? e->created : NULL, &a->f->clock));
    return 0;
}

/* The LIST from the cache; from_store: from the store (etcd), as the
 * consistent read does when the cache is still behind after 3 s. */
static int send_list(kconn_t *c, const target_t *t, int from_store)
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
            conn_free(c);
            return 1;
        }
        for (i = 0; i < n; i++)
            objs[i] = json_array_get(items, i);
        j = kube__front_table(r->kind, objs, n, rvs, sim_now(f->o.loop),
                              &f->clock, 1);
        sim__free(objs);
        json_decref(items);
        return send_json(c, 200, j, 0);
    }
    j = json_pack("{s:s,s:s,s:{s:s},s:o}", "apiVersion", api, "kind", lk,
                  "metadata", "resourceVersion", rvs, "items", items);
    return send_json(c, 200, j, 0);
}

static void list_fire(void *fp, void *serial)
{
    kube_front_t *f = fp;
    kconn_t *c;
    kube_store_t *s;
    for (c = f->conns; c; c = c->next)
        if (c->serial == (uintptr_t)serial)
            break;
    if (!c || !c->busy)
        return;
    s = current(f, 1);
    if (!s) {
        if (send_status(c, 503, NULL,
                        "the server is currently unable to "
                        "handle the request",
                        NULL, NULL))
            return;
    } else if (send_list(c, &c->wait_t,
                         kube_store_kind_caught_up_ns(s, c->wait_t.r->kind) >
                             sim_now(f->o.loop)))
        return;
    c->busy = 0;
    fk_http_in_done(&c->in);
    if (!c->in.keep_alive) {
        conn_free(c);
        return;
    }
    pump(c);
}

/* A timer must not free its own memory in its callback: the answer runs
 * as a call at the same time, finding c by serial (it may be gone). */
static void on_list_timer(sim_timer_t *t)
{
    kconn_t *c = t->data;
    if (sim_call(c->f->o.loop, 0, list_fire, c->f, (void *)c->serial))
        conn_free(c);
}

static int start_watch(kconn_t *c, const target_t *t, const char *rvq)
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
        return send_status(c, 400, NULL, "invalid resource version", t->r, NULL)
                   ? -1
                   : 0;
    f->answered++;
    if (sim_stream_write(c->s, hdr, sizeof(hdr) - 1)) {
        conn_free(c);
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
            conn_free(c);
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

static void record(kconn_t *c, const char *verb, const target_t *t, int http,
                   const kube_obj_t *before, const char *patch)
{
    kube_front_call_t k;
    if (!c->f->o.on_call)
        return;
    memset(&k, 0, sizeof(k));
    k.t_ns = sim_now(c->f->o.loop);
    k.verb = verb;
    k.kind = t->r->kind;
    k.ns = t->ns;
    k.name = t->name;
    k.http = http;
    k.before = before;
    k.patch = patch;
    c->f->o.on_call(c->f->o.on_call_arg, &k);
}

static kube_obj_t *obj_new(void)
{
    return sim__calloc(1, sizeof(kube_obj_t));
}

static int do_get(kconn_t *c, kube_store_t *s, const target_t *t)
{
    kube_obj_t *o = obj_new();
    kube_status_t st;
    const centry_t *e;
    int rc;
    if (!o) {
        conn_free(c);
        return -1;
    }
    memset(&st, 0, sizeof(st));
    rc = kube_get(s, t->r->kind, t->ns, t->name, o, &st);
    if (rc) {
        sim__free(o);
        return send_store_err(c, &st, rc, t->r, t->name) ? -1 : 0;
    }
    e = cache_get(c->f, o->kind, o->ns, o->name);
    {
        json_t *j =
            kube__front_render(o, 0, e ? e->created : NULL, &c->f->clock);
        if (c->table && j) {
            json_t *tb = kube__front_table(
                o->kind, &j, 1, "", sim_now(c->f->o.loop), &c->f->clock, 1);
            json_decref(j);
            j = tb;
        }
        rc = send_json(c, 200, j, 0);
    }
    sim__free(o);
    return rc ? -1 : 0;
}

/* DeleteOptions.preconditions: 0 if they hold, else 1 after a 409 (-1: c
 * is gone); the refusal is recorded first. */
static int precondition(kconn_t *c, const target_t *t, const kube_obj_t *o,
                        json_t *pre)
{
    char q[160], msg[400], buf[64];
    const char *want;
    kube__front_qualified(t->r, q, sizeof(q));
    want = json_string_value(json_object_get(pre, "uid"));
    snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012" PRIx64, o->uid);
    if (want && strcmp(want, buf)) {
        snprintf(msg, sizeof(msg),
                 "Operation cannot be fulfilled on %s \"%s\": Precondition "
                 "failed: UID in precondition: %s, UID in object meta: %s",
                 q, t->name, want, buf);
        record(c, "delete", t, 409, o, NULL);
        return send_status(c, 409, "Conflict", msg, t->r, t->name) ? -1 : 1;
    }
    want = json_string_value(json_object_get(pre, "resourceVersion"));
    snprintf(buf, sizeof(buf), "%" PRIu64, o->rv);
    if (want && strcmp(want, buf)) {
        snprintf(msg, sizeof(msg),
                 "Operation cannot be fulfilled on %s \"%s\": Precondition "
                 "failed: ResourceVersion in precondition: %s, "
                 "ResourceVersion in object meta: %s",
                 q, t->name, want, buf);
        record(c, "delete", t, 409, o, NULL);
        return send_status(c, 409, "Conflict", msg, t->r, t->name) ? -1 : 1;
    }
    return 0;
}

static int do_delete(kconn_t *c, kube_store_t *s, const target_t *t)
{
    kube_obj_t *before = obj_new(), *after = obj_new();
    kube_status_t st;
    json_t *body = NULL;
    const centry_t *e;
    int rc, r = 0;
    if (!before || !after) {
        sim__free(before), sim__free(after);
        conn_free(c);
        return -1;
    }
    memset(&st, 0, sizeof(st));
    if (c->in.body_len) {
        json_error_t err;
        if (!(body = json_loadb(c->in.body, c->in.body_len, 0, &err))) {
            char msg[300];
            snprintf(msg, sizeof(msg), "error decoding DeleteOptions: %s",
                     err.text);
            r = send_status(c, 400, NULL, msg, t->r, t->name) ? -1 : 0;
            goto out;
        }
    }
    rc = kube_get(s, t->r->kind, t->ns, t->name, before, &st);
    if (rc) {
        record(c, "delete", t, 404, NULL, NULL);
        r = send_store_err(c, &st, rc, t->r, t->name) ? -1 : 0;
        goto out;
    }
    if ((r = precondition(c, t, before,
                          json_object_get(body, "preconditions"))) != 0) {
        r = r < 0 ? -1 : 0;
        goto out;
    }
    rc = kube_delete(s, t->r->kind, t->ns, t->name, &st);
    record(c, "delete", t, rc ? (st.http ? st.http : 500) : 200, before, NULL);
    if (rc) {
        r = send_store_err(c, &st, rc, t->r, t->name) ? -1 : 0;
        goto out;
    }
    e = cache_get(c->f, before->kind, before->ns, before->name);
    if (kube_get(s, t->r->kind, t->ns, t->name, after, &st) == 0)
        r = send_json(
            c, 200,
            kube__front_render(after, 0, e ? e->created : NULL, &c->f->clock),
            0);
    else
        r = send_json(c, 200,
                      kube__front_render(before, kube_store_rv(s),
                                         e ? e->created : NULL, &c->f->clock),
                      0);
    r = r ? -1 : 0;
out:
    json_decref(body);
    sim__free(before);
    sim__free(after);
    return r;
}

static int do_patch(kconn_t *c, kube_store_t *s, const target_t *t)
{
    kube_obj_t *cur = obj_new(), *mod = obj_new();
    kube_status_t st;
    json_t *patch = NULL, *merged = NULL;
    json_error_t err;
    const centry_t *e;
    char msg[600], q[160], buf[32];
    const char *want;
    kube__front_invalid_t why;
    int rc, r = 0;
    if (!cur || !mod) {
        sim__free(cur), sim__free(mod);
        conn_free(c);
        return -1;
    }
    memset(&st, 0, sizeof(st));
    kube__front_qualified(t->r, q, sizeof(q));
    if (strncmp(c->in.ctype, "application/merge-patch+json", 28)) {
        r = send_status(c, 415, NULL,
                        "the body of the request was in an unknown format - "
                        "accepted media types include: "
                        "application/merge-patch+json",
                        t->r, t->name);
        goto out;
    }
    if (!(patch = json_loadb(c->in.body ? c->in.body : "", c->in.body_len, 0,
                             &err))) {
        snprintf(msg, sizeof(msg), "error decoding patch: %s", err.text);
        r = send_status(c, 400, NULL, msg, t->r, t->name);
        goto out;
    }
    rc = kube_get(s, t->r->kind, t->ns, t->name, cur, &st);
    if (rc) {
        record(c, "patch", t, 404, NULL, c->in.body);
        r = send_store_err(c, &st, rc, t->r, t->name);
        goto out;
    }
    /* A resourceVersion in the patch is an optimistic lock. */
    want = json_string_value(
        json_object_get(json_object_get(patch, "metadata"), "resourceVersion"));
    snprintf(buf, sizeof(buf), "%" PRIu64, cur->rv);
    if (want && strcmp(want, buf)) {
        snprintf(msg, sizeof(msg),
                 "Operation cannot be fulfilled on %s \"%s\": the object "
                 "has been modified; please apply your changes to the "
                 "latest version and try again",
                 q, t->name);
        record(c, "patch", t, 409, cur, c->in.body);
        r = send_status(c, 409, "Conflict", msg, t->r, t->name);
        goto out;
    }
    merged = kube__front_merge(kube__front_render(cur, 0, NULL, 0), patch);
    if ((rc = kube__front_from_json(cur, merged, mod, &why))) {
        record(c, "patch", t, rc, cur, c->in.body);
        r = send_json(c, rc, kube__front_invalid(cur, &why), 0);
        goto out;
    }
    rc = kube_merge_patch(s, cur, mod, 0, &st);
    record(c, "patch", t, rc ? (st.http ? st.http : 500) : 200, cur,
           c->in.body);
    if (rc) {
        r = send_store_err(c, &st, rc, t->r, t->name);
        goto out;
    }
    e = cache_get(c->f, mod->kind, mod->ns, mod->name);
    r = send_json(
        c, 200, kube__front_render(mod, 0, e ? e->created : NULL, &c->f->clock),
        0);
out:
    json_decref(patch);
    json_decref(merged);
    sim__free(cur);
    sim__free(mod);
    return r ? -1 : 0;
}

static int truthy(const char *v)
{
    return !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "True");
}

/* Answers the held request: 0 answered, 1 pending (a LIST waiting for
 * the cache), 2 a watch stream, -1 c is gone. */
static int route(kconn_t *c)
{
    kube_front_t *f = c->f;
    char path[PATH_MAX_], q[FK_HTTP_URL_MAX], v[512], bad[256];
    target_t t;
    kube_store_t *s;
    int m = c->in.method, r, list;
    if (fk_http_split_url(c->in.url, c->in.url_len, path, sizeof(path), q,
                          sizeof(q)))
        return send_status(c, 400, NULL, "malformed request URL", NULL, NULL)
                   ? -1
                   : 0;
    if (m == HTTP_GET && discovery(c, path))
        return c->dead ? -1 : 0;
    c->table = strstr(c->in.accept, "as=Table") != NULL;
    r = resource_path(path, &t);
    if (r <= 0 || (t.has_name && t.r->namespaced && !t.ns[0]))
        return send_status(c, 404, "NotFound",
                           "the server could not find the requested "
                           "resource",
                           NULL, NULL)
                   ? -1
                   : 0;
    list = m == HTTP_GET && !t.has_name;
    if (m != HTTP_GET && m != HTTP_DELETE && m != HTTP_PATCH)
        return send_status(c, 405, NULL,
                           "the server does not allow this method on the "
                           "requested resource",
                           t.r, t.name)
                   ? -1
                   : 0;
    if (!t.has_name && m != HTTP_GET)
        return send_status(c, 405, NULL,
                           "the server does not allow this method on the "
                           "requested resource (deletecollection)",
                           t.r, NULL)
                   ? -1
                   : 0;
    if (!(s = current(f, list)))
        return send_status(c, 503, NULL,
                           "the server is currently unable to handle the "
                           "request",
                           t.r, t.name)
                   ? -1
                   : 0;
    if (m == HTTP_DELETE)
        return do_delete(c, s, &t);
    if (m == HTTP_PATCH)
        return do_patch(c, s, &t);
    if (!list)
        return do_get(c, s, &t);
    if (fk_http_query_get(q, "fieldSelector", v, sizeof(v)) && v[0] &&
        field_selector(v, t.name, sizeof(t.name), t.ns, sizeof(t.ns), bad,
                       sizeof(bad))) {
        char msg[400];
        snprintf(msg, sizeof(msg),
                 "\"%s\" is not a known field selector: only "
                 "\"metadata.name\", \"metadata.namespace\"",
                 bad);
        return send_status(c, 400, NULL, msg, t.r, NULL) ? -1 : 0;
    }
    if (fk_http_query_get(q, "watch", v, sizeof(v)) && truthy(v)) {
        if (!fk_http_query_get(q, "resourceVersion", v, sizeof(v)))
            v[0] = 0;
        return start_watch(c, &t, v);
    }
    if (!fk_http_query_get(q, "resourceVersion", v, sizeof(v)) &&
        f->o.consistent_list) {
        uint64_t wait =
            kube_store_consistent_list_wait_kind_ns(s, t.r->kind, 1);
        if (wait > 0) {
            c->wait_t = t;
            if (sim_timer_start(&c->timer, on_list_timer, wait)) {
                conn_free(c);
                return -1;
            }
            return 1;
        }
    }
    return send_list(c, &t, 0) ? -1 : 0;
}

/* HTTP -------------------------------------------------------------------*/

static void pump(kconn_t *c)
{
    while (!c->dead && !c->busy && !c->watching) {
        int code = 0, r;
        const char *msg = NULL;
        r = fk_http_in_next(&c->in, &code, &msg);
        if (r == 0)
            break;
        if (r < 0) {
            if (!send_json(
                    c, code,
                    kube__front_status(code, reason_of(code), msg, NULL, NULL),
                    1))
                conn_free(c);
            return;
        }
        c->busy = 1;
        r = route(c);
        if (r < 0 || r == 1)
            return;
        if (r == 2) {
            c->busy = 0;
            return;
        }
        c->busy = 0;
        fk_http_in_done(&c->in);
        if (!c->in.keep_alive) {
            conn_free(c);
            return;
        }
    }
    if (!c->dead && c->rd_eof && !c->busy && !c->watching &&
        !fk_http_in_pending(&c->in))
        conn_free(c); /* nothing more can come */
}

static void on_read(sim_stream_t *s, long nread, const void *buf)
{
    kconn_t *c = s->data;
    int rc;
    if (!c)
        return;
    if (nread < 0) {
        conn_free(c);
        return;
    }
    if (nread == 0) {
        c->rd_eof = 1;
        if (!c->watching)
            pump(c);
        return;
    }
    if (c->watching)
        return;
    if ((rc = fk_http_in_feed(&c->in, buf, (size_t)nread)) != 0) {
        if (rc == SIM_ERANGE &&
            !send_json(c, 413,
                       kube__front_status(413, "RequestEntityTooLarge",
                                          "request too large", NULL, NULL),
                       1))
            conn_free(c);
        else if (rc != SIM_ERANGE)
            conn_free(c);
        return;
    }
    pump(c);
}

/* public -----------------------------------------------------------------*/

int kube_front_new(const kube_front_opts_t *o, kube_front_t **out)
{
    kube_front_t *f;
    if (!o->loop || !o->store)
        return SIM_EINVAL;
    if (!(f = sim__calloc(1, sizeof(*f))))
        return SIM_ENOMEM;
    f->o = *o;
    f->clock.epoch_s = o->epoch_s;
    f->clock.speed = o->speed > 0 ? o->speed : 1;
    *out = f;
    return 0;
}

void kube_front_serve(kube_front_t *f, sim_stream_t *s)
{
    kconn_t *c = sim__calloc(1, sizeof(*c));
    if (!c) {
        sim_stream_close(s, NULL);
        return;
    }
    c->f = f;
    c->s = s;
    c->serial = ++f->serials;
    fk_http_in_init(&c->in, KUBE_FRONT_BODY_MAX);
    sim_timer_init(f->o.loop, &c->timer);
    c->timer.data = c;
    c->next = f->conns;
    if (f->conns)
        f->conns->prev = c;
    f->conns = c;
    s->data = c;
    sim_stream_read_start(s, on_read);
}

void kube_front_close_all(kube_front_t *f)
{
    uint64_t epoch = 0;
    int up = 0;
    while (f->conns)
        conn_free(f->conns);
    if (f->store) {
        /* Unsubscribe only from a store that is still the one served: a
         * replaced one was freed with its subscriptions. */
        if (f->o.store(f->o.store_arg, &epoch, &up) == f->store &&
            epoch == f->epoch)
            kube_unwatch(f->store, f->watch_id);
        cache_drop(f);
    }
}

void kube_front_free(kube_front_t *f)
{
    if (!f)
        return;
    while (f->conns)
        conn_free(f->conns);
    cache_drop(f);
    sim__free(f->hist);
    sim__free(f);
}

unsigned long kube_front_answered(const kube_front_t *f)
{
    return f->answered;
}

unsigned long kube_front_events_sent(const kube_front_t *f)
{
    return f->events;
}
