/*
 * dockerctx.c: Docker context management (see dockerctx.h), after
 * rdd/pkg/controllers/app/engine/controllers/docker_context.go and
 * engine_reconciler.go:335-431 at 00f5645, with docker/cli's context store
 * and config file semantics [external: docker/cli cli/context/store,
 * cli/config/configfile].  The JSON handled here is the small, compact
 * JSON the store and the config file hold; a reader that skips values it
 * does not need is enough.
 */
#include "dockerctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdd.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

/* JSON -----------------------------------------------------------------------*/

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *skip_str(const char *p)
{
    if (*p != '"')
        return NULL;
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && !*++p)
            return NULL;
    return *p == '"' ? p + 1 : NULL;
}

/* End of the value starting at p (after blanks), or NULL if malformed. */
static const char *skip_val(const char *p, int depth)
{
    const char *q;
    p = ws(p);
    if (depth > 16)
        return NULL;
    if (*p == '"')
        return skip_str(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        int obj = *p == '{';
        p = ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (obj) {
                if (!(p = skip_str(p)))
                    return NULL;
                p = ws(p);
                if (*p++ != ':')
                    return NULL;
            }
            if (!(p = skip_val(p, depth + 1)))
                return NULL;
            p = ws(p);
            if (*p == close)
                return p + 1;
            if (*p != ',')
                return NULL;
            p = ws(p + 1);
        }
    }
    for (q = p; (*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
                *q == '-' || *q == '+' || *q == '.' || *q == 'E';
         q++)
        ;
    return q > p ? q : NULL;
}

typedef struct {
    const char *k;  /* key, inside its quotes */
    size_t klen;
    const char *v;  /* raw value */
    size_t vlen;
} kv_t;

#define KV_MAX 24

/* The members of the object at p.  SIM_ESYNTAX if p is no object (or
 * trailing garbage follows when top), SIM_ERANGE if too many. */
static int obj_members(const char *p, int top, kv_t *kv, size_t *n)
{
    *n = 0;
    p = ws(p);
    if (*p != '{')
        return SIM_ESYNTAX;
    p = ws(p + 1);
    if (*p == '}') {
        p++;
        goto end;
    }
    for (;;) {
        const char *k = p, *v;
        if (!(p = skip_str(p)))
            return SIM_ESYNTAX;
        if (*n == KV_MAX)
            return SIM_ERANGE;
        kv[*n].k = k + 1;
        kv[*n].klen = (size_t)(p - k - 2);
        p = ws(p);
        if (*p++ != ':')
            return SIM_ESYNTAX;
        v = ws(p);
        if (!(p = skip_val(v, 1)))
            return SIM_ESYNTAX;
        kv[*n].v = v;
        kv[*n].vlen = (size_t)(p - v);
        (*n)++;
        p = ws(p);
        if (*p == '}') {
            p++;
            break;
        }
        if (*p != ',')
            return SIM_ESYNTAX;
        p = ws(p + 1);
    }
end:
    return top && *ws(p) ? SIM_ESYNTAX : 0;
}

static const kv_t *kv_find(const kv_t *kv, size_t n, const char *key)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (kv[i].klen == strlen(key) && !strncmp(kv[i].k, key, kv[i].klen))
            return &kv[i];
    return NULL;
}

/* Decodes the JSON string at v into out.  SIM_ESYNTAX if not a string. */
static int str_val(const char *v, char *out, size_t len)
{
    size_t o = 0;
    if (*v != '"' || !skip_str(v))
        return SIM_ESYNTAX;
    for (v++; *v != '"'; v++) {
        char c = *v;
        if (c == '\\') {
            c = *++v;
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'u' ? '?' : c;
            if (*v == 'u')
                v += 4;
        }
        if (o + 1 < len)
            out[o++] = c;
    }
    out[o] = 0;
    return 0;
}

/* Appends "s" JSON-quoted. */
static void put_str(char *out, size_t len, const char *s)
{
    size_t o = strlen(out);
    if (o + 1 < len)
        out[o++] = '"';
    for (; *s && o + 2 < len; s++) {
        if (*s == '"' || *s == '\\')
            out[o++] = '\\';
        out[o++] = *s;
    }
    if (o + 1 < len)
        out[o++] = '"';
    out[o] = 0;
}

static void put(char *out, size_t len, const char *s, size_t n)
{
    size_t o = strlen(out);
    if (o + n >= len)
        n = o + 1 < len ? len - o - 1 : 0;
    memcpy(out + o, s, n);
    out[o + n] = 0;
}

/* base64 (docker/cli configfile decodeAuth) --------------------------------*/

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* decodeAuth: StdEncoding base64 of "user:password", user non-empty. */
static int auth_valid(const char *s)
{
    char dec[HOST_DATA_MAX];
    size_t n = strlen(s), i, o = 0;
    unsigned acc = 0;
    int bits = 0;
    char *colon;
    if (n == 0)
        return 1;
    if (n % 4)
        return 0;
    for (i = 0; i < n; i++) {
        int v = b64_val(s[i]);
        if (s[i] == '=') {
            if (i < n - 2 || (i == n - 2 && s[n - 1] != '='))
                return 0;
            continue;
        }
        if (v < 0)
            return 0;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 < sizeof(dec))
                dec[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    dec[o] = 0;
    colon = strchr(dec, ':');
    return colon && colon != dec;
}

/* config.json (docker/cli configfile) -------------------------------------*/

/* ConfigFile's fields, in struct order (configfile/file.go). */
static const char *const known_keys[] = {
    "auths",          "HttpHeaders",   "psFormat",
    "imagesFormat",   "networksFormat", "pluginsFormat",
    "volumesFormat",  "statsFormat",   "detachKeys",
    "credsStore",     "credHelpers",   "serviceInspectFormat",
    "servicesFormat", "tasksFormat",   "secretFormat",
    "configFormat",   "nodesFormat",   "pruneFilters",
    "proxies",        "experimental",  "currentContext",
    "cliPluginsExtraDirs", "plugins",  "aliases",
    "features",
};

typedef struct {
    char text[HOST_DATA_MAX + 1]; /* the file as loaded ("" if absent) */
    int exists;
    kv_t kv[KV_MAX];
    size_t n;
    char current[RDD_DCTX_NAME_MAX];
} cfg_t;

static void config_path(const char *dir, char out[HOST_PATH_MAX])
{
    snprintf(out, HOST_PATH_MAX, "%s/config.json", dir);
}

/* config.Load: missing -> empty; malformed JSON or auths -> SIM_ESYNTAX. */
static int cfg_load(const host_t *h, const char *dir, cfg_t *c)
{
    char path[HOST_PATH_MAX];
    const kv_t *a, *cur;
    int rc;
    memset(c, 0, sizeof(*c));
    config_path(dir, path);
    /* config.Load: only a missing file is an empty config; anything else
     * it cannot read is an error. */
    if (!host_fs_exists(h, path))
        return 0;
    if (host_fs_read(h, path, c->text, sizeof(c->text) - 1) != 0)
        return SIM_EACCES;
    c->exists = 1;
    if (!*ws(c->text))
        return 0; /* an empty file loads as an empty config */
    rc = obj_members(c->text, 1, c->kv, &c->n);
    if (rc)
        return SIM_ESYNTAX;
    if ((a = kv_find(c->kv, c->n, "auths")) != NULL) {
        kv_t ent[KV_MAX], f[KV_MAX];
        size_t ne, nf, i;
        if (obj_members(a->v, 0, ent, &ne))
            return SIM_ESYNTAX;
        for (i = 0; i < ne; i++) {
            const kv_t *au;
            char s[HOST_DATA_MAX];
            if (obj_members(ent[i].v, 0, f, &nf))
                return SIM_ESYNTAX;
            au = kv_find(f, nf, "auth");
            if (au && (str_val(au->v, s, sizeof(s)) || !auth_valid(s)))
                return SIM_ESYNTAX;
        }
    }
    cur = kv_find(c->kv, c->n, "currentContext");
    if (cur && str_val(cur->v, c->current, sizeof(c->current)))
        return SIM_ESYNTAX;
    return 0;
}

static int is_known(const kv_t *kv)
{
    size_t i;
    for (i = 0; i < SIM_ARRAY_LEN(known_keys); i++)
        if (kv->klen == strlen(known_keys[i]) &&
            !strncmp(kv->k, known_keys[i], kv->klen))
            return 1;
    return 0;
}

/* ConfigFile.Save of c with currentContext = current: known keys in field
 * order (auths always, currentContext omitted when empty), then, with
 * keep_unknown, the others in file order.  SIM_ERANGE if too long. */
static int cfg_render(const cfg_t *c, const char *current, int keep_unknown,
                      char *out, size_t len)
{
    size_t i;
    int first = 1;
    out[0] = 0;
    put(out, len, "{", 1);
    for (i = 0; i < SIM_ARRAY_LEN(known_keys); i++) {
        const char *k = known_keys[i];
        const kv_t *kv = kv_find(c->kv, c->n, k);
        if (!strcmp(k, "currentContext") ? !current[0]
                                          : !kv && strcmp(k, "auths"))
            continue;
        if (!first)
            put(out, len, ",", 1);
        first = 0;
        put_str(out, len, k);
        put(out, len, ":", 1);
        if (!strcmp(k, "currentContext"))
            put_str(out, len, current);
        else if (kv)
            put(out, len, kv->v, kv->vlen);
        else
            put(out, len, "{}", 2);
    }
    for (i = 0; keep_unknown && i < c->n; i++) {
        if (is_known(&c->kv[i]))
            continue;
        put(out, len, ",\"", 2);
        put(out, len, c->kv[i].k, c->kv[i].klen);
        put(out, len, "\":", 2);
        put(out, len, c->kv[i].v, c->kv[i].vlen);
    }
    put(out, len, "}", 1);
    return strlen(out) + 1 >= len ? SIM_ERANGE : 0;
}

int rdd_dctx_get_current(const host_t *h, const char *config_dir,
                         char out[RDD_DCTX_NAME_MAX])
{
    cfg_t c;
    int rc = cfg_load(h, config_dir, &c);
    snprintf(out, RDD_DCTX_NAME_MAX, "%s", rc ? "" : c.current);
    return rc;
}

/* context store (docker/cli cli/context/store) -----------------------------*/

void rdd_dctx_meta_dir(const char *config_dir, const char *name,
                       char out[HOST_PATH_MAX])
{
    char hex[65];
    dock_sha256_hex(name, strlen(name), hex);
    snprintf(out, HOST_PATH_MAX, "%s/contexts/meta/%s", config_dir, hex);
}

static void tls_dir(const char *config_dir, const char *name,
                    char out[HOST_PATH_MAX])
{
    char hex[65];
    dock_sha256_hex(name, strlen(name), hex);
    snprintf(out, HOST_PATH_MAX, "%s/contexts/tls/%s", config_dir, hex);
}

static int write_meta(host_t *h, const char *config_dir, const char *name,
                      const char *endpoint, int with_desc)
{
    char dir[HOST_PATH_MAX], path[HOST_PATH_MAX + 16];
    char out[HOST_DATA_MAX + 1] = "";
    put(out, sizeof(out), "{\"Name\":", 8);
    put_str(out, sizeof(out), name);
    if (with_desc) {
        char desc[RDD_DCTX_NAME_MAX + 20];
        snprintf(desc, sizeof(desc), "Rancher Desktop %s", name);
        put(out, sizeof(out), ",\"Metadata\":{\"Description\":", 27);
        put_str(out, sizeof(out), desc);
        put(out, sizeof(out), "}", 1);
    }
    put(out, sizeof(out), ",\"Endpoints\":{\"docker\":{\"Host\":", 31);
    put_str(out, sizeof(out), endpoint);
    put(out, sizeof(out), ",\"SkipTLSVerify\":false}}}", 25);
    if (strlen(out) + 1 >= HOST_DATA_MAX)
        return SIM_ERANGE;
    rdd_dctx_meta_dir(config_dir, name, dir);
    snprintf(path, sizeof(path), "%s/meta.json", dir);
    return host_fs_write(h, path, out);
}

/* docker_context.go:61-73 createReplaceDockerContext: store.CreateOrUpdate
 * with Description "Rancher Desktop <name>" and one docker endpoint. */
int rdd_dctx_create_replace(host_t *h, const char *config_dir,
                            const char *name, const char *endpoint)
{
    return write_meta(h, config_dir, name, endpoint, 1);
}

int rdd_dctx_seed(host_t *h, const char *config_dir, const char *name,
                  const char *endpoint)
{
    return write_meta(h, config_dir, name, endpoint, 0);
}

/* docker_context.go:75-81 deleteDockerContext: store.Remove removes the
 * meta and tls directories; a missing context is no error. */
int rdd_dctx_delete(host_t *h, const char *config_dir, const char *name)
{
    char dir[HOST_PATH_MAX];
    int rc;
    rdd_dctx_meta_dir(config_dir, name, dir);
    rc = host_fs_remove_all(h, dir, NULL, 0);
    tls_dir(config_dir, name, dir);
    if (rc == 0)
        rc = host_fs_remove_all(h, dir, NULL, 0);
    return rc;
}

int rdd_dctx_context_host(const host_t *h, const char *config_dir,
                          const char *name, char out[RDD_DCTX_HOST_MAX])
{
    char dir[HOST_PATH_MAX], path[HOST_PATH_MAX + 16];
    char text[HOST_DATA_MAX + 1];
    kv_t top[KV_MAX], eps[KV_MAX], ep[KV_MAX];
    size_t n, ne, nf;
    const kv_t *e, *d, *hst;
    out[0] = 0;
    rdd_dctx_meta_dir(config_dir, name, dir);
    snprintf(path, sizeof(path), "%s/meta.json", dir);
    memset(text, 0, sizeof(text));
    if (host_fs_read(h, path, text, sizeof(text) - 1) != 0)
        return SIM_ENOTFOUND;
    if (obj_members(text, 1, top, &n))
        return SIM_ESYNTAX;
    if (!(e = kv_find(top, n, "Endpoints")))
        return SIM_ENOENT;
    if (obj_members(e->v, 0, eps, &ne))
        return SIM_ESYNTAX;
    if (!(d = kv_find(eps, ne, "docker")))
        return SIM_ENOENT;
    if (obj_members(d->v, 0, ep, &nf))
        return SIM_ESYNTAX; /* the typed endpoint does not decode */
    hst = kv_find(ep, nf, "Host");
    if (hst && str_val(hst->v, out, RDD_DCTX_HOST_MAX))
        return SIM_ESYNTAX;
    return 0;
}

/* journal -------------------------------------------------------------------*/

/* The count lives beside the directory, so the invariant that reads the
 * journal after every event does one lookup, not a listing. */
#define JOURNAL_LEN RDD_DCTX_JOURNAL_DIR ".len"

size_t rdd_dctx_journal_len(const host_t *h)
{
    char buf[32];
    if (host_fs_read(h, JOURNAL_LEN, buf, sizeof(buf)) != 0)
        return 0;
    return (size_t)strtoull(buf, NULL, 10);
}

static void journal_add(host_t *h, const rdd_dctx_write_t *w)
{
    char path[HOST_PATH_MAX], data[HOST_DATA_MAX], len[32];
    size_t n = rdd_dctx_journal_len(h);
    snprintf(path, sizeof(path), "%s/%08zu", RDD_DCTX_JOURNAL_DIR, n);
    snprintf(data, sizeof(data), "%llu\n%s\n%s\n%s\n%s\n%s\n%d\n%s",
             (unsigned long long)w->at_ns, w->who, w->why, w->read, w->old,
             w->value, w->after_remove, w->judged);
    if (host_fs_write(h, path, data) == 0) {
        snprintf(len, sizeof(len), "%zu", n + 1);
        (void)host_fs_write(h, JOURNAL_LEN, len);
    }
}

static char *next_line(char **p)
{
    char *s = *p, *nl = strchr(s, '\n');
    if (nl) {
        *nl = 0;
        *p = nl + 1;
    } else {
        *p = s + strlen(s);
    }
    return s;
}

int rdd_dctx_journal_get(const host_t *h, size_t i, rdd_dctx_write_t *out)
{
    char path[HOST_PATH_MAX], data[HOST_DATA_MAX + 1], *p = data;
    memset(out, 0, sizeof(*out));
    memset(data, 0, sizeof(data));
    snprintf(path, sizeof(path), "%s/%08zu", RDD_DCTX_JOURNAL_DIR, i);
    if (host_fs_read(h, path, data, sizeof(data) - 1) != 0)
        return SIM_ENOENT;
    sscanf(next_line(&p), "%llu", (unsigned long long *)&out->at_ns);
    snprintf(out->who, sizeof(out->who), "%s", next_line(&p));
    snprintf(out->why, sizeof(out->why), "%s", next_line(&p));
    snprintf(out->read, sizeof(out->read), "%s", next_line(&p));
    snprintf(out->old, sizeof(out->old), "%s", next_line(&p));
    snprintf(out->value, sizeof(out->value), "%s", next_line(&p));
    out->after_remove = next_line(&p)[0] == '1';
    snprintf(out->judged, sizeof(out->judged), "%s", next_line(&p));
    return 0;
}

/* Frees p on a later turn: the loop still reads a timer embedded in p
 * after its callback returns, so nothing is freed inside one. */
static void free_cb(void *a, void *b)
{
    (void)b;
    sim__free(a);
}

static void defer_free(sim_loop_t *loop, void *p)
{
    if (sim_call(loop, 0, free_cb, p, NULL) != 0)
        sim__free(p); /* out of memory: only safe outside p's callbacks */
}

/* read-modify-write of config.json -----------------------------------------*/

typedef enum { RMW_SET, RMW_CLEAR, RMW_USER } rmw_kind_t;

typedef void (*rmw_done_cb)(rdd_dctx_rmw_t *r, int err);

struct rdd_dctx_rmw {
    sim_loop_t *loop;
    host_t *h;
    rdd_instance_t *inst;      /* NULL for the user */
    rdd_dctx_probe_t *probe;   /* the probe that sets, or NULL */
    rmw_kind_t kind;
    char dir[HOST_PATH_MAX];
    char who[RDD_DCTX_NAME_MAX];
    char name[RDD_DCTX_NAME_MAX];   /* set/use: the new value; clear: ours */
    char expect[RDD_DCTX_NAME_MAX]; /* locked set: the probed context */
    int locked;                /* context_locked_rmw */
    int holds_lock;
    int tries;
    uint64_t io_ns;
    cfg_t loaded;              /* what the load saw */
    char out[HOST_DATA_MAX];   /* what the save writes */
    sim_timer_t t;
    rmw_done_cb done;
    void *arg;
};

static void lock_path(const char *dir, char out[HOST_PATH_MAX])
{
    snprintf(out, HOST_PATH_MAX, "%s/config.json.lock", dir);
}

static void rmw_release(rdd_dctx_rmw_t *r)
{
    char path[HOST_PATH_MAX];
    if (!r->holds_lock)
        return;
    lock_path(r->dir, path);
    (void)host_fs_remove(r->h, path);
    r->holds_lock = 0;
}

static void rmw_free(rdd_dctx_rmw_t *r)
{
    if (!r)
        return;
    sim_timer_stop(&r->t);
    rmw_release(r);
    defer_free(r->loop, r);
}

static void rmw_trace_error(rdd_dctx_rmw_t *r, int err)
{
    sim_trace_t *tr = sim_trace_begin(r->loop, "rdd.dctx.rmw.error");
    sim_trace_str(tr, "who", r->who);
    sim_trace_str(tr, "why", r->kind == RMW_SET     ? "probe-set"
                             : r->kind == RMW_CLEAR ? "clear"
                                                    : "user");
    sim_trace_err(tr, "err", err);
    sim_trace_end(tr);
}

static void rmw_save(sim_timer_t *t);

/* Load and decide.  Returns 1 if a save is scheduled, else 0 with *err. */
static int rmw_load(rdd_dctx_rmw_t *r, int *err)
{
    const char *value = r->name;
    int write;
    *err = cfg_load(r->h, r->dir, &r->loaded);
    if (*err)
        return 0;
    switch (r->kind) {
    case RMW_SET: /* docker_context.go:100-114 */
        write = strcmp(r->loaded.current, r->name) != 0;
        if (r->locked && strcmp(r->loaded.current, r->expect))
            write = 0; /* the fix: compare-and-set against the probed one */
        break;
    case RMW_CLEAR: /* :116-130 */
        write = !strcmp(r->loaded.current, r->name);
        value = "";
        break;
    default: /* docker context use ("default" is ""): cli/command/context/
              * use.go saves only when currentContext changes */
        if (!strcmp(value, "default"))
            value = "";
        write = strcmp(r->loaded.current, value) != 0;
        break;
    }
    if (!write)
        return 0;
    *err = cfg_render(&r->loaded, value, r->locked, r->out, sizeof(r->out));
    if (*err)
        return 0;
    (void)sim_timer_start(&r->t, rmw_save, r->io_ns);
    return 1;
}

static void rmw_lock_poll(sim_timer_t *t);

/* Starts r.  Returns 1 if pending (r->done runs later), else 0 with *err
 * (nothing written; r may be freed by the caller). */
static int rmw_begin(rdd_dctx_rmw_t *r, int *err)
{
    *err = 0;
    if (r->locked && !r->holds_lock) {
        char path[HOST_PATH_MAX];
        lock_path(r->dir, path);
        if (host_fs_exists(r->h, path)) {
            (void)sim_timer_start(&r->t, rmw_lock_poll, r->io_ns);
            return 1;
        }
        *err = host_fs_write(r->h, path, r->who);
        if (*err) {
            /* The fix's lock (not RDD code): a lock file whose write
             * failed (a full disk leaves it empty) is ours to remove, or
             * every later writer would wait on it forever. */
            (void)host_fs_remove(r->h, path);
            return 0;
        }
        r->holds_lock = 1;
    }
    if (rmw_load(r, err))
        return 1;
    rmw_release(r);
    return 0;
}

static void rmw_finish(rdd_dctx_rmw_t *r, int err)
{
    rmw_release(r);
    if (err)
        rmw_trace_error(r, err);
    r->done(r, err);
}

static void rmw_lock_poll(sim_timer_t *t)
{
    rdd_dctx_rmw_t *r = t->data;
    int err;
    if (!rmw_begin(r, &err))
        rmw_finish(r, err);
}

static void rmw_record(rdd_dctx_rmw_t *r, const char *old, const char *value);

static void rmw_save(sim_timer_t *t)
{
    rdd_dctx_rmw_t *r = t->data;
    char path[HOST_PATH_MAX], value[RDD_DCTX_NAME_MAX];
    cfg_t now;
    int rc;
    (void)cfg_load(r->h, r->dir, &now);
    if (r->locked && strcmp(now.text, r->loaded.text)) {
        /* Someone wrote since our load: load and decide again. */
        if (++r->tries >= RDD_DCTX_RMW_TRIES) {
            rmw_finish(r, SIM_ECONFLICT);
            return;
        }
        if (!rmw_load(r, &rc))
            rmw_finish(r, rc);
        return;
    }
    config_path(r->dir, path);
    rc = host_fs_write(r->h, path, r->out);
    if (rc) {
        rmw_finish(r, rc);
        return;
    }
    (void)rdd_dctx_get_current(r->h, r->dir, value);
    rmw_record(r, now.current, value);
    rmw_finish(r, 0);
}

static rdd_dctx_rmw_t *rmw_new(sim_loop_t *loop, host_t *h, const char *dir,
                               const char *who, rmw_kind_t kind,
                               const char *name, rmw_done_cb done, void *arg)
{
    rdd_dctx_rmw_t *r = sim__calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->loop = loop;
    r->h = h;
    r->kind = kind;
    r->io_ns = RDD_DCTX_IO_NS;
    snprintf(r->dir, sizeof(r->dir), "%s", dir);
    snprintf(r->who, sizeof(r->who), "%s", who);
    snprintf(r->name, sizeof(r->name), "%s", name);
    sim_timer_init(loop, &r->t);
    r->t.data = r;
    r->done = done;
    r->arg = arg;
    return r;
}

/* the user actor --------------------------------------------------------------*/

static void user_done(rdd_dctx_rmw_t *r, int err)
{
    (void)err;
    rmw_free(r);
}

/* docker/cli cli/command/context/use.go: the named context must exist
 * (except "default"); currentContext = name; ConfigFile.Save. */
int rdd_dctx_user_use(sim_loop_t *loop, host_t *h, const char *config_dir,
                      const char *name)
{
    char hst[RDD_DCTX_HOST_MAX];
    rdd_dctx_rmw_t *r;
    int err;
    if (strcmp(name, "default") &&
        rdd_dctx_context_host(h, config_dir, name, hst) == SIM_ENOTFOUND)
        return SIM_ENOTFOUND;
    r = rmw_new(loop, h, config_dir, "user", RMW_USER, name, user_done, NULL);
    if (!r)
        return SIM_ENOMEM;
    if (rmw_begin(r, &err))
        return 0;
    rmw_free(r);
    return err;
}

/* probes ----------------------------------------------------------------------*/

typedef enum {
    P_START,   /* goroutine scheduled */
    P_PING,    /* a ping in flight */
    P_TCP,     /* a tcp dial in flight (timer) */
    P_VERDICT, /* ping answered: continue on a later turn */
    P_SET,     /* setCurrentDockerContext in flight */
} probe_step_t;

struct rdd_dctx_probe {
    rdd_instance_t *inst;
    rdd_dctx_probe_t *next;
    uint64_t gen;              /* myGen */
    uint64_t epoch;            /* removes_returned at launch */
    int cancelled;             /* probeCtx.Err() != nil */
    int freeing;
    probe_step_t step;
    sim_timer_t t;
    moby_client_t cli;
    moby_call_t *call;
    char dir[HOST_PATH_MAX];
    char probed[RDD_DCTX_NAME_MAX]; /* currentContext at the read */
    int healthy;
    char reason[96];
    rdd_dctx_rmw_t *rmw;
    rdd_dctx_probe_cb cb;      /* rdd_dctx_probe_named only */
    void *cb_arg;
};


static void rmw_record(rdd_dctx_rmw_t *r, const char *old, const char *value)
{
    rdd_dctx_write_t w;
    sim_trace_t *tr;
    memset(&w, 0, sizeof(w));
    w.at_ns = sim_now(r->loop);
    snprintf(w.who, sizeof(w.who), "%s", r->who);
    snprintf(w.why, sizeof(w.why), "%s", r->kind == RMW_SET ? "probe-set"
                                         : r->kind == RMW_CLEAR ? "clear"
                                                                : "user");
    snprintf(w.read, sizeof(w.read), "%s", r->loaded.current);
    if (r->kind == RMW_SET)
        snprintf(w.judged, sizeof(w.judged), "%s", r->expect);
    snprintf(w.old, sizeof(w.old), "%s", old);
    snprintf(w.value, sizeof(w.value), "%s", value);
    if (r->inst) {
        rdd_dctx_t *d = &r->inst->dctx;
        if (r->kind == RMW_SET) {
            d->probe_sets++;
            if (r->probe && d->removes_returned > r->probe->epoch) {
                w.after_remove = 1;
                d->writes_after_remove++;
            }
        } else {
            d->clears++;
        }
    }
    journal_add(r->h, &w);
    tr = sim_trace_begin(r->loop, "rdd.dctx.write");
    sim_trace_str(tr, "who", w.who);
    sim_trace_str(tr, "why", w.why);
    sim_trace_str(tr, "read", w.read);
    sim_trace_str(tr, "old", w.old);
    sim_trace_str(tr, "new", w.value);
    if (strcmp(w.read, w.old))
        sim_trace_str(tr, "lost", w.old);
    sim_trace_end(tr);
}

static void remove_kick(rdd_instance_t *inst);

/* :357-366 the goroutine's deferred exit: clear the cancel func only if
 * still the current generation; wg.Done(). */
static void probe_exit(rdd_dctx_probe_t *p)
{
    rdd_instance_t *inst = p->inst;
    rdd_dctx_t *d = &inst->dctx;
    rdd_dctx_probe_t **pp;
    if (p->cb) {
        p->cb(p->cb_arg, p->healthy, p->reason);
        sim_timer_stop(&p->t);
        defer_free(inst->loop, p);
        return;
    }
    if (d->gen == p->gen && d->cur == p)
        d->cur = NULL;
    for (pp = &d->probes; *pp && *pp != p; pp = &(*pp)->next)
        ;
    SIM_ASSERT(*pp == p);
    *pp = p->next;
    SIM_ASSERT(d->wg > 0);
    d->wg--;
    sim_timer_stop(&p->t);
    rmw_free(p->rmw);
    defer_free(inst->loop, p);
    if (d->wg == 0 && d->removing == 1)
        remove_kick(inst);
}

static void probe_set_done(rdd_dctx_rmw_t *r, int err)
{
    rdd_dctx_probe_t *p = r->arg;
    if (err)
        rdd_trace_kv(p->inst, "rdd.dctx.probe.result", "log",
               "Failed to set current Docker context", NULL, NULL);
    probe_exit(p);
}

static void verdict(sim_timer_t *t)
{
    rdd_dctx_probe_t *p = t->data;
    rdd_instance_t *inst = p->inst;
    sim_trace_t *tr = sim_trace_begin(inst->loop, "rdd.dctx.probe.result");
    int err;
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "current", p->probed);
    sim_trace_i64(tr, "healthy", p->healthy);
    sim_trace_i64(tr, "cancelled", p->cancelled);
    if (p->reason[0])
        sim_trace_str(tr, "log", p->reason);
    sim_trace_end(tr);
    if (p->cb) {
        probe_exit(p);
        return;
    }
    inst->dctx.last_healthy = p->healthy;
    snprintf(inst->dctx.last_reason, sizeof(inst->dctx.last_reason), "%s",
             p->reason);
    /* :394-401 set only if unhealthy and probeCtx not cancelled. */
    if (p->healthy || p->cancelled) {
        probe_exit(p);
        return;
    }
    p->step = P_SET;
    p->rmw = rmw_new(inst->loop, inst->host, p->dir, inst->id.name, RMW_SET,
                     inst->id.name, probe_set_done, p);
    if (!p->rmw) {
        probe_exit(p);
        return;
    }
    p->rmw->inst = inst;
    p->rmw->probe = p;
    p->rmw->io_ns = inst->dctx.io_ns ? inst->dctx.io_ns : RDD_DCTX_IO_NS;
    p->rmw->locked = RDD_HAS(inst->flags, CONTEXT_LOCKED_RMW);
    snprintf(p->rmw->expect, sizeof(p->rmw->expect), "%s", p->probed);
    if (rmw_begin(p->rmw, &err))
        return;
    if (err)
        rmw_trace_error(p->rmw, err);
    probe_exit(p);
}

static void got_verdict(rdd_dctx_probe_t *p, int healthy, const char *why)
{
    p->healthy = healthy;
    snprintf(p->reason, sizeof(p->reason), "%s", why);
    p->step = P_VERDICT;
    (void)sim_timer_start(&p->t, verdict, 0);
}

/* docker_context.go:133-141 pingDocker: healthy iff Ping returns no error
 * (an HTTP error answer is an error too). */
static void on_ping(void *arg, int status, const dock_resp_t *resp,
                    const void *items, const char *msg)
{
    rdd_dctx_probe_t *p = arg;
    (void)items;
    p->call = NULL;
    if (p->freeing)
        return;
    got_verdict(p, status == 0 && resp && resp->http < 400,
                status ? msg : "");
}

static void tcp_fire(sim_timer_t *t)
{
    rdd_dctx_probe_t *p = t->data;
    got_verdict(p, p->healthy, p->healthy ? "" : p->reason);
}

/* A tcp endpoint: loopback ports are the host's; others time out. */
static void ping_tcp(rdd_dctx_probe_t *p, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    int port = colon ? atoi(colon + 1) : 0;
    int loop_back = !strncmp(addr, "127.0.0.1:", 10) ||
                    !strncmp(addr, "localhost:", 10);
    p->step = P_TCP;
    if (loop_back) {
        p->healthy = port > 0 && host_port_owner(p->inst->host, port) != 0;
        snprintf(p->reason, sizeof(p->reason), "dial tcp %s: connect: "
                 "connection refused", addr);
        (void)sim_timer_start(&p->t, tcp_fire, 0);
        return;
    }
    p->healthy = 0;
    snprintf(p->reason, sizeof(p->reason), "context deadline exceeded");
    (void)sim_timer_start(&p->t, tcp_fire,
                          p->cancelled ? 0
                                       : RDD_DCTX_PROBE_TIMEOUT_NS +
                                             rdd_timer_late(
                                                 p->inst,
                                                 &p->inst->engine.dctx_late_rng));
}

/* :146-150 / :198-200: one ping with a 3 s deadline under probeCtx. */
static void ping(rdd_dctx_probe_t *p, const char *endpoint)
{
    rdd_instance_t *inst = p->inst;
    dock_req_t req;
    int rc;
    if (!strncmp(endpoint, "tcp://", 6)) {
        ping_tcp(p, endpoint + 6);
        return;
    }
    if (p->cancelled) {
        got_verdict(p, 0, "context canceled");
        return;
    }
    memset(&p->cli, 0, sizeof(p->cli));
    p->cli.loop = inst->loop;
    p->cli.pipes = inst->pipes;
    p->cli.socks = inst->socks;
    snprintf(p->cli.endpoint, sizeof(p->cli.endpoint), "%s", endpoint);
    snprintf(p->cli.client, sizeof(p->cli.client), "%s", inst->id.name);
    p->cli.proc = inst->proc;
    memset(&req, 0, sizeof(req));
    req.op = DOCK_OP_PING;
    p->step = P_PING;
    /* The 3 s deadline fires late like any Go timer (docs/timing.md). */
    rc = moby_do(&p->cli, &req,
                 RDD_DCTX_PROBE_TIMEOUT_NS +
                     rdd_timer_late(inst, &inst->engine.dctx_late_rng),
                 on_ping, p, &p->call);
    if (rc) /* client.New failed: pingDocker returns false */
        got_verdict(p, 0, sim_strerror(rc));
}

/* docker_context.go:160-201 probeNamedDockerContext. */
static void probe_named(rdd_dctx_probe_t *p, const char *dir, const char *name)
{
    char host[RDD_DCTX_HOST_MAX], tls[HOST_PATH_MAX];
    const char *sep;
    size_t n;
    int rc, known;
    if (!dir) {
        got_verdict(p, 1, "Cannot open context store; assuming context "
                          "healthy");
        return;
    }
    rc = rdd_dctx_context_host(p->inst->host, dir, name, host);
    if (rc == SIM_ENOTFOUND) {
        got_verdict(p, 0, "context not found");
        return;
    }
    if (rc == SIM_ESYNTAX) {
        got_verdict(p, 1, "Cannot read context metadata; assuming context "
                          "healthy");
        return;
    }
    if (rc) {
        got_verdict(p, 1, "Cannot decode docker endpoint; assuming context "
                          "healthy");
        return;
    }
    /* strings.Cut(Host, "://"): the scheme is all of Host without it. */
    sep = strstr(host, "://");
    n = sep ? (size_t)(sep - host) : strlen(host);
    known = (n == 4 && !strncmp(host, "unix", 4)) ||
            (n == 3 && !strncmp(host, "tcp", 3)) ||
            (n == 5 && !strncmp(host, "npipe", 5));
    if (!known) {
        got_verdict(p, 1, "Unprobed endpoint scheme; assuming context "
                          "healthy");
        return;
    }
    tls_dir(dir, name, tls);
    if (host_fs_exists(p->inst->host, tls) &&
        !host_fs_is_dir(p->inst->host, tls)) {
        got_verdict(p, 1, "Cannot load TLS data; assuming context healthy");
        return;
    }
    if (!sep || !sep[3]) {
        /* ep.ClientOpts() accepts it; pingDocker's dockerclient.New (or
         * its Ping) fails on the empty address: unhealthy, nothing logged
         * (docker_context.go:133-141). */
        got_verdict(p, 0, "");
        return;
    }
    ping(p, host);
}

/* :367-392 the goroutine's body up to the probe. */
static void probe_run(sim_timer_t *t)
{
    rdd_dctx_probe_t *p = t->data;
    rdd_instance_t *inst = p->inst;
    rdd_dctx_t *d = &inst->dctx;
    int rc;
    if (p->cb) {
        probe_named(p, p->dir[0] ? p->dir : NULL, p->probed);
        return;
    }
    rc = rdd_dctx_config_dir(inst, p->dir);
    if (rc == 0)
        rc = rdd_dctx_get_current(inst->host, p->dir, p->probed);
    if (rc) {
        rdd_trace_kv(inst, "rdd.dctx.probe.skip", "log",
               "Failed to read current Docker context", NULL, NULL);
        probe_exit(p);
        return;
    }
    if (d->env_docker_host[0] || d->env_docker_context[0]) {
        rdd_trace_kv(inst, "rdd.dctx.probe.skip", "log",
               "DOCKER_HOST or DOCKER_CONTEXT set in the daemon environment",
               NULL, NULL);
        probe_exit(p);
        return;
    }
    rdd_trace_kv(inst, "rdd.dctx.probe.start", "current", p->probed, NULL, NULL);
    if (p->probed[0] && strcmp(p->probed, "default")) {
        probe_named(p, p->dir, p->probed);
        return;
    }
    ping(p, inst->id.os == RDD_OS_WINDOWS ? RDD_DCTX_DEFAULT_NPIPE
                                          : RDD_DCTX_DEFAULT_UNIX);
}

static void probe_cancel(rdd_dctx_probe_t *p)
{
    p->cancelled = 1;
    if (p->step == P_PING && p->call)
        moby_cancel(p->call); /* on_ping runs now: verdict on a later turn */
    else if (p->step == P_TCP)
        (void)sim_timer_start(&p->t, tcp_fire, 0);
}

static rdd_dctx_probe_t *probe_alloc(rdd_instance_t *inst)
{
    rdd_dctx_probe_t *p = sim__calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->inst = inst;
    sim_timer_init(inst->loop, &p->t);
    p->t.data = p;
    return p;
}

int rdd_dctx_probe_named(rdd_instance_t *inst, const char *config_dir,
                         const char *name, rdd_dctx_probe_cb cb, void *arg)
{
    rdd_dctx_probe_t *p = probe_alloc(inst);
    if (!p)
        return SIM_ENOMEM;
    p->cb = cb;
    p->cb_arg = arg;
    snprintf(p->dir, sizeof(p->dir), "%s", config_dir ? config_dir : "");
    snprintf(p->probed, sizeof(p->probed), "%s", name);
    (void)sim_timer_start(&p->t, probe_run, 0);
    return 0;
}

/* lifecycle -----------------------------------------------------------------*/

void rdd_dctx_init(rdd_instance_t *inst)
{
    rdd_dctx_t *d = &inst->dctx;
    rdd_dctx_t keep = *d; /* the settings survive a service restart */
    memset(d, 0, sizeof(*d));
    memcpy(d->env_docker_host, keep.env_docker_host,
           sizeof(d->env_docker_host));
    memcpy(d->env_docker_context, keep.env_docker_context,
           sizeof(d->env_docker_context));
    memcpy(d->env_docker_config, keep.env_docker_config,
           sizeof(d->env_docker_config));
    d->env_no_home = keep.env_no_home;
    d->io_ns = keep.io_ns;
    d->last_healthy = -1;
    sim_timer_init(inst->loop, &d->kick);
    d->kick.data = inst;
}

void rdd_dctx_free(rdd_instance_t *inst)
{
    rdd_dctx_t *d = &inst->dctx;
    while (d->probes) {
        rdd_dctx_probe_t *p = d->probes;
        d->probes = p->next;
        p->freeing = 1;
        if (p->call)
            moby_cancel(p->call);
        sim_timer_stop(&p->t);
        rmw_free(p->rmw);
        sim__free(p);
    }
    d->cur = NULL;
    d->wg = 0;
    rmw_free(d->rmw);
    d->rmw = NULL;
    d->removing = 0;
    d->nwaiters = 0;
    sim_timer_stop(&d->kick);
}

/* docker_context.go:30-39: $DOCKER_CONFIG (the service's), else
 * <home>/.docker. */
int rdd_dctx_config_dir(const rdd_instance_t *inst, char out[HOST_PATH_MAX])
{
    const rdd_dctx_t *d = &inst->dctx;
    out[0] = 0;
    if (d->env_docker_config[0]) {
        host_path_norm(d->env_docker_config, out);
        return 0;
    }
    if (d->env_no_home)
        return SIM_ENOENT;
    {
        char home[HOST_PATH_MAX];
        host_path_norm(rdd_os_home(inst->id.os), home);
        snprintf(out, HOST_PATH_MAX, "%s/.docker", home);
    }
    return 0;
}

void rdd_dctx_cancel_all(rdd_instance_t *inst)
{
    rdd_dctx_probe_t *p;
    inst->dctx.ctx_cancelled = 1;
    for (p = inst->dctx.probes; p; p = p->next)
        if (!p->cancelled)
            probe_cancel(p);
}

/* engine_reconciler.go:335-402 manageDockerContext. */
void rdd_dctx_manage(rdd_instance_t *inst, const char *endpoint)
{
    rdd_dctx_t *d = &inst->dctx;
    rdd_dctx_probe_t *p, **pp;
    char dir[HOST_PATH_MAX];
    int rc;
    if (!inst->host)
        return;
    rc = rdd_dctx_config_dir(inst, dir);
    if (rc == 0)
        rc = rdd_dctx_create_replace(inst->host, dir, inst->id.name, endpoint);
    if (rc) {
        rdd_trace_kv(inst, "rdd.dctx.create", "log",
               "Failed to create Docker context", "err", sim_err_name(rc));
        return;
    }
    rdd_trace_kv(inst, "rdd.dctx.create", "dir", dir, "host", endpoint);
    p = probe_alloc(inst);
    if (!p)
        return;
    /* Under contextMu: cancel the previous probe, derive a new one. */
    if (d->cur)
        probe_cancel(d->cur);
    d->cur = p;
    p->gen = ++d->gen;
    p->epoch = d->removes_returned;
    p->cancelled = d->ctx_cancelled; /* derived from a cancelled parent */
    for (pp = &d->probes; *pp; pp = &(*pp)->next)
        ;
    *pp = p;
    d->wg++;
    d->probes_started++;
    (void)sim_timer_start(&p->t, probe_run, 0);
}

/* removeDockerContext ---------------------------------------------------------*/

static void remove_finish(rdd_instance_t *inst, int sync)
{
    rdd_dctx_t *d = &inst->dctx;
    char dir[HOST_PATH_MAX];
    rdd_dctx_done_cb w[RDD_DCTX_WAITERS_MAX];
    size_t i, n = d->nwaiters;
    uint64_t took;
    sim_trace_t *tr;
    int rc = rdd_dctx_config_dir(inst, dir);
    if (rc == 0)
        rc = rdd_dctx_delete(inst->host, dir, inst->id.name);
    if (rc)
        rdd_trace_kv(inst, "rdd.dctx.delete", "log",
               "Failed to delete Docker context", "err", sim_err_name(rc));
    else
        rdd_trace_kv(inst, "rdd.dctx.delete", "name", inst->id.name, NULL, NULL);
    d->removes_returned++;
    d->remove_returned_ns = sim_now(inst->loop);
    took = d->remove_returned_ns - d->remove_called_ns;
    if (took > d->remove_max_ns)
        d->remove_max_ns = took;
    tr = sim_trace_begin(inst->loop, "rdd.dctx.remove.done");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_ns(tr, "took", took);
    sim_trace_end(tr);
    memcpy(w, d->waiters, sizeof(w));
    d->nwaiters = 0;
    d->removing = 0;
    for (i = 0; !sync && i < n; i++)
        if (w[i])
            w[i](inst);
}

static void clear_done(rdd_dctx_rmw_t *r, int err)
{
    rdd_instance_t *inst = r->arg;
    (void)err; /* logged ("Failed to clear current Docker context") */
    rmw_free(r);
    inst->dctx.rmw = NULL;
    remove_finish(inst, 0);
}

/* After the wait: clearCurrentDockerContext(Name()), then delete.  Returns
 * 0 if done inside the call. */
static int remove_continue(rdd_instance_t *inst, int sync)
{
    rdd_dctx_t *d = &inst->dctx;
    char dir[HOST_PATH_MAX];
    int err;
    d->removing = 2;
    if (rdd_dctx_config_dir(inst, dir) == 0) {
        rdd_dctx_rmw_t *r = rmw_new(inst->loop, inst->host, dir,
                                    inst->id.name, RMW_CLEAR, inst->id.name,
                                    clear_done, inst);
        if (r) {
            r->inst = inst;
            r->io_ns = d->io_ns ? d->io_ns : RDD_DCTX_IO_NS;
            r->locked = RDD_HAS(inst->flags, CONTEXT_LOCKED_RMW);
            if (rmw_begin(r, &err)) {
                d->rmw = r;
                return 1;
            }
            rmw_free(r);
        }
    }
    remove_finish(inst, sync);
    return 0;
}

static void kick_fire(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    if (inst->dctx.removing == 1 && inst->dctx.wg == 0)
        (void)remove_continue(inst, 0);
}

static void remove_kick(rdd_instance_t *inst)
{
    (void)sim_timer_start(&inst->dctx.kick, kick_fire, 0);
}

/* engine_reconciler.go:407-431 removeDockerContext: cancel the current
 * probe, wait for all outstanding ones, clear currentContext if it is
 * ours, delete the context. */
int rdd_dctx_remove(rdd_instance_t *inst, rdd_dctx_done_cb cb)
{
    rdd_dctx_t *d = &inst->dctx;
    sim_trace_t *tr;
    if (!inst->host)
        return 0;
    if (d->cur) {
        rdd_dctx_probe_t *p = d->cur;
        d->cur = NULL;
        probe_cancel(p);
    }
    if (d->removing) { /* a concurrent call (shutdown): wait for it */
        SIM_ASSERT(d->nwaiters < RDD_DCTX_WAITERS_MAX);
        d->waiters[d->nwaiters++] = cb;
        return 1;
    }
    d->removes_called++;
    d->remove_called_ns = sim_now(inst->loop);
    tr = sim_trace_begin(inst->loop, "rdd.dctx.remove.start");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_u64(tr, "outstanding", d->wg);
    sim_trace_end(tr);
    d->removing = 1;
    d->waiters[d->nwaiters++] = cb;
    if (d->wg > 0)
        return 1;
    return remove_continue(inst, 1);
}
