/*
 * front.c: the Kubernetes API front of the kube fake (front.h): the HTTP
 * connections (fakes/http reads the requests), discovery, routing, GETs
 * from the store, DELETE and PATCH, Status answers, the consistent LIST's
 * wait.  The watch cache that LISTs and WATCHes are served from is
 * front_cache.c's, the objects' JSON front_obj.c's.
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
        kube__front_conn_free(c);
        return 1;
    }
    return 0;
}

/* Sends j (takes the reference).  1 if c is gone. */
int kube__front_send_json(kconn_t *c, int code, json_t *j, int close_after)
{
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc;
    json_decref(j);
    if (!txt) {
        kube__front_conn_free(c);
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

int kube__front_send_status(kconn_t *c, int code, const char *reason,
                            const char *msg, const kube_front_res_t *r,
                            const char *name)
{
    return kube__front_send_json(
        c, code,
        kube__front_status(code, reason ? reason : reason_of(code), msg, r,
                           name),
        0);
}

static int send_notfound(kconn_t *c, const kube_front_res_t *r,
                         const char *name)
{
    char q[160], msg[400];
    kube__front_qualified(r, q, sizeof(q));
    snprintf(msg, sizeof(msg), "%s \"%s\" not found", q, name);
    return kube__front_send_status(c, 404, "NotFound", msg, r, name);
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
    return kube__front_send_status(
        c, code, st->reason[0] ? st->reason : NULL,
        st->message[0] ? st->message : sim_strerror(rc), r, name);
}

/* connections -------------------------------------------------------------*/

void kube__front_conn_free(kconn_t *c)
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
        kube__front_send_json(
            c, 200,
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1",
                      "minor", "32", "gitVersion", KUBE_FRONT_VERSION "+rddsim",
                      "gitCommit", "rddsim", "gitTreeState", "clean",
                      "buildDate", "2026-01-01T00:00:00Z", "goVersion",
                      "go1.23", "compiler", "gc", "platform", "linux/amd64"),
            0);
        return 1;
    }
    if (!strcmp(p, "/api")) {
        kube__front_send_json(
            c, 200,
            json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions",
                      "versions", "v1", "serverAddressByClientCIDRs",
                      "clientCIDR", "0.0.0.0/0", "serverAddress", "127.0.0.1"),
            0);
        return 1;
    }
    if (!strcmp(p, "/api/v1")) {
        kube__front_send_json(c, 200, resource_list("", "v1"), 0);
        return 1;
    }
    if (!strcmp(p, "/apis")) {
        json_t *gs = json_array();
        for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
            json_array_append_new(gs, group_json(groups[i]));
        kube__front_send_json(c, 200,
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
            kube__front_send_json(c, 200, g, 0);
            return 1;
        }
        if (!strcmp(p + 6 + gl, "/v1alpha1")) {
            kube__front_send_json(c, 200, resource_list(groups[i], "v1alpha1"),
                                  0);
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
    s = kube__front_current(f, 1);
    if (!s) {
        if (kube__front_send_status(c, 503, NULL,
                                    "the server is currently unable to "
                                    "handle the request",
                                    NULL, NULL))
            return;
    } else if (kube__front_send_list(
                   c, &c->wait_t,
                   kube_store_kind_caught_up_ns(s, c->wait_t.r->kind) >
                       sim_now(f->o.loop)))
        return;
    c->busy = 0;
    fk_http_in_done(&c->in);
    if (!c->in.keep_alive) {
        kube__front_conn_free(c);
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
        kube__front_conn_free(c);
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
        kube__front_conn_free(c);
        return -1;
    }
    memset(&st, 0, sizeof(st));
    rc = kube_get(s, t->r->kind, t->ns, t->name, o, &st);
    if (rc) {
        sim__free(o);
        return send_store_err(c, &st, rc, t->r, t->name) ? -1 : 0;
    }
    e = kube__front_cache_get(c->f, o->kind, o->ns, o->name);
    {
        json_t *j =
            kube__front_render(o, 0, e ? e->created : NULL, &c->f->clock);
        if (c->table && j) {
            json_t *tb = kube__front_table(
                o->kind, &j, 1, "", sim_now(c->f->o.loop), &c->f->clock, 1);
            json_decref(j);
            j = tb;
        }
        rc = kube__front_send_json(c, 200, j, 0);
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
        return kube__front_send_status(c, 409, "Conflict", msg, t->r, t->name)
                   ? -1
                   : 1;
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
        return kube__front_send_status(c, 409, "Conflict", msg, t->r, t->name)
                   ? -1
                   : 1;
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
        kube__front_conn_free(c);
        return -1;
    }
    memset(&st, 0, sizeof(st));
    if (c->in.body_len) {
        json_error_t err;
        if (!(body = json_loadb(c->in.body, c->in.body_len, 0, &err))) {
            char msg[300];
            snprintf(msg, sizeof(msg), "error decoding DeleteOptions: %s",
                     err.text);
            r = kube__front_send_status(c, 400, NULL, msg, t->r, t->name) ? -1
                                                                          : 0;
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
    e = kube__front_cache_get(c->f, before->kind, before->ns, before->name);
    if (kube_get(s, t->r->kind, t->ns, t->name, after, &st) == 0)
        r = kube__front_send_json(
            c, 200,
            kube__front_render(after, 0, e ? e->created : NULL, &c->f->clock),
            0);
    else
        r = kube__front_send_json(c, 200,
                                  kube__front_render(before, kube_store_rv(s),
                                                     e ? e->created : NULL,
                                                     &c->f->clock),
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
        kube__front_conn_free(c);
        return -1;
    }
    memset(&st, 0, sizeof(st));
    kube__front_qualified(t->r, q, sizeof(q));
    if (strncmp(c->in.ctype, "application/merge-patch+json", 28)) {
        r = kube__front_send_status(
            c, 415, NULL,
            "the body of the request was in an unknown format - "
            "accepted media types include: "
            "application/merge-patch+json",
            t->r, t->name);
        goto out;
    }
    if (!(patch = json_loadb(c->in.body ? c->in.body : "", c->in.body_len, 0,
                             &err))) {
        snprintf(msg, sizeof(msg), "error decoding patch: %s", err.text);
        r = kube__front_send_status(c, 400, NULL, msg, t->r, t->name);
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
        r = kube__front_send_status(c, 409, "Conflict", msg, t->r, t->name);
        goto out;
    }
    merged = kube__front_merge(kube__front_render(cur, 0, NULL, 0), patch);
    if ((rc = kube__front_from_json(cur, merged, mod, &why))) {
        record(c, "patch", t, rc, cur, c->in.body);
        r = kube__front_send_json(c, rc, kube__front_invalid(cur, &why), 0);
        goto out;
    }
    rc = kube_merge_patch(s, cur, mod, 0, &st);
    record(c, "patch", t, rc ? (st.http ? st.http : 500) : 200, cur,
           c->in.body);
    if (rc) {
        r = send_store_err(c, &st, rc, t->r, t->name);
        goto out;
    }
    e = kube__front_cache_get(c->f, mod->kind, mod->ns, mod->name);
    r = kube__front_send_json(
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
        return kube__front_send_status(c, 400, NULL, "malformed request URL",
                                       NULL, NULL)
                   ? -1
                   : 0;
    if (m == HTTP_GET && discovery(c, path))
        return c->dead ? -1 : 0;
    c->table = strstr(c->in.accept, "as=Table") != NULL;
    r = resource_path(path, &t);
    if (r <= 0 || (t.has_name && t.r->namespaced && !t.ns[0]))
        return kube__front_send_status(
                   c, 404, "NotFound",
                   "the server could not find the requested "
                   "resource",
                   NULL, NULL)
                   ? -1
                   : 0;
    list = m == HTTP_GET && !t.has_name;
    if (m != HTTP_GET && m != HTTP_DELETE && m != HTTP_PATCH)
        return kube__front_send_status(
                   c, 405, NULL,
                   "the server does not allow this method on the "
                   "requested resource",
                   t.r, t.name)
                   ? -1
                   : 0;
    if (!t.has_name && m != HTTP_GET)
        return kube__front_send_status(
                   c, 405, NULL,
                   "the server does not allow this method on the "
                   "requested resource (deletecollection)",
                   t.r, NULL)
                   ? -1
                   : 0;
    if (!(s = kube__front_current(f, list)))
        return kube__front_send_status(
                   c, 503, NULL,
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
        return kube__front_send_status(c, 400, NULL, msg, t.r, NULL) ? -1 : 0;
    }
    if (fk_http_query_get(q, "watch", v, sizeof(v)) && truthy(v)) {
        if (!fk_http_query_get(q, "resourceVersion", v, sizeof(v)))
            v[0] = 0;
        return kube__front_start_watch(c, &t, v);
    }
    if (!fk_http_query_get(q, "resourceVersion", v, sizeof(v)) &&
        f->o.consistent_list) {
        uint64_t wait =
            kube_store_consistent_list_wait_kind_ns(s, t.r->kind, 1);
        if (wait > 0) {
            c->wait_t = t;
            if (sim_timer_start(&c->timer, on_list_timer, wait)) {
                kube__front_conn_free(c);
                return -1;
            }
            return 1;
        }
    }
    return kube__front_send_list(c, &t, 0) ? -1 : 0;
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
            if (!kube__front_send_json(
                    c, code,
                    kube__front_status(code, reason_of(code), msg, NULL, NULL),
                    1))
                kube__front_conn_free(c);
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
            kube__front_conn_free(c);
            return;
        }
    }
    if (!c->dead && c->rd_eof && !c->busy && !c->watching &&
        !fk_http_in_pending(&c->in))
        kube__front_conn_free(c); /* nothing more can come */
}

static void on_read(sim_stream_t *s, long nread, const void *buf)
{
    kconn_t *c = s->data;
    int rc;
    if (!c)
        return;
    if (nread < 0) {
        kube__front_conn_free(c);
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
            !kube__front_send_json(
                c, 413,
                kube__front_status(413, "RequestEntityTooLarge",
                                   "request too large", NULL, NULL),
                1))
            kube__front_conn_free(c);
        else if (rc != SIM_ERANGE)
            kube__front_conn_free(c);
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
        kube__front_conn_free(f->conns);
    if (f->store) {
        /* Unsubscribe only from a store that is still the one served: a
         * replaced one was freed with its subscriptions. */
        if (f->o.store(f->o.store_arg, &epoch, &up) == f->store &&
            epoch == f->epoch)
            kube_unwatch(f->store, f->watch_id);
        kube__front_cache_drop(f);
    }
}

void kube_front_free(kube_front_t *f)
{
    if (!f)
        return;
    while (f->conns)
        kube__front_conn_free(f->conns);
    kube__front_cache_drop(f);
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
