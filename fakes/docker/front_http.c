/*
 * front_http.c: the Docker Engine HTTP API in front of the Docker fake
 * (front_http.h).  One hconn per HTTP connection: libhttp-parser reads
 * requests into (method, url, body); route() turns one into up to three
 * Engine messages (dock_req_t) sent one at a time on the connection's
 * Engine stream; render_*() turns the answers into the Engine API JSON
 * with libjansson.  A connection serves one request at a time: the parser
 * pauses on each complete message and resumes after the answer.
 */
#include "docker/front_http.h"

#include <http_parser.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "sim/alloc.h"
#include "sim/errno.h"

#define URL_MAX FK_HTTP_URL_MAX
#define STEPS_MAX 3
#define SERVER_VERSION "27.3.1"

typedef enum {
    R_PING, R_VERSION, R_INFO, R_CLIST, R_CINSPECT, R_CREMOVE, R_CACTION,
    R_ILIST, R_IINSPECT, R_IREMOVE, R_VLIST, R_VINSPECT, R_VREMOVE, R_EVENTS,
    R_CCREATE, R_CWAIT,
} route_t;

typedef struct hconn hconn_t;

struct dock_http {
    dock_http_opts_t o;
    char pipe[NPIPE_NAME_MAX];
    char client[64];
    char endpoint[DOCK_REF_MAX];
    hconn_t *conns;
    unsigned long answered;
    uintptr_t serials;
    /* The last list rendered, kept with the Engine answer it came from:
     * a list asked again of an unchanged daemon is sent again, not
     * re-rendered (libjansson's tree of a 1,000-container list is most
     * of a request's cost). */
    struct {
        route_t route;
        int all;
        unsigned char *ans; /* the answer's items, compared whole */
        size_t ans_len;
        char *body;         /* the JSON text and its newline */
        size_t body_len;
    } lc;
};

typedef struct {
    unsigned char *msg; /* dock_resp_t + items */
    size_t len;
} answer_t;

struct hconn {
    dock_http_t *h;
    sim_stream_t *s;      /* HTTP side; we own it */
    sim_stream_t *up;     /* Engine side, NULL until dialed */
    npipe_dial_t *dial;   /* pending dial */
    int dead;             /* freed when the dial's cb comes */
    fk_http_in_t in;          /* the requests (fakes/http) */
    int busy;
    int rd_eof;               /* the client shut its write side */
    uintptr_t serial;         /* names c in deferred calls */
    int holding;              /* a wait on a running container: no answer
                                 (container exits are not followed) */
    /* the request being answered */
    route_t route;
    int head;                 /* HEAD: no body */
    int all;                  /* containers/json?all */
    char arg[DOCK_REF_MAX];   /* id, ref or name */
    dock_req_t steps[STEPS_MAX];
    int nsteps, step;
    uint64_t sent_ns;         /* when steps[step] went out */
    answer_t ans[STEPS_MAX];
    /* events */
    int streaming;
    int64_t until_ns;         /* -1: none */
    json_t *filters;
    sim_timer_t until_timer;
    hconn_t *prev, *next;
};

static void conn_free(hconn_t *c);
static void pump(hconn_t *c);

/* small helpers ----------------------------------------------------------*/

static void rfc3339(int64_t ns, char *out, size_t len)
{
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;
    char b[32];
    gmtime_r(&s, &tm);
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%09dZ", b, (int)(ns % 1000000000));
}

/* Writes a whole response.  ctype NULL: no body headers beyond length. */
static int send_resp(hconn_t *c, int code, const char *ctype,
                     const char *body, size_t blen, int close_after)
{
    char hdr[512];
    int n;
    c->h->answered++;
    n = snprintf(hdr, sizeof(hdr),
                 "HTTP/1.1 %d %s\r\n"
                 "Api-Version: " DOCK_HTTP_API_VERSION "\r\n"
                 "Docker-Experimental: false\r\n"
                 "Ostype: linux\r\n"
                 "Server: Docker/" SERVER_VERSION " (linux)\r\n"
                 "%s%s%s"
                 "Content-Length: %zu\r\n"
                 "%s\r\n",
                 code, fk_http_status_text(code), ctype ? "Content-Type: " : "",
                 ctype ? ctype : "", ctype ? "\r\n" : "", blen,
                 close_after ? "Connection: close\r\n" : "");
    if (sim_stream_write(c->s, hdr, (size_t)n) ||
        (blen && !c->head && sim_stream_write(c->s, body, blen))) {
        conn_free(c);
        return 1;
    }
    return 0;
}

static int send_json(hconn_t *c, int code, json_t *j, int close_after)
{
    char *txt = json_dumps(j, JSON_COMPACT);
    int rc;
    json_decref(j);
    if (!txt) {
        conn_free(c);
        return 1;
    }
    {
        size_t n = strlen(txt);
        char *b = sim__malloc(n + 2);
        if (!b) {
            free(txt);
            conn_free(c);
            return 1;
        }
        memcpy(b, txt, n);
        b[n] = '\n';
        rc = send_resp(c, code, "application/json", b, n + 1, close_after);
        sim__free(b);
    }
    free(txt);
    return rc;
}

static int send_error(hconn_t *c, int code, const char *msg, int close_after)
{
    return send_json(c, code, json_pack("{s:s}", "message", msg),
                     close_after);
}

/* Closes after a protocol error: 400 and friends, Connection: close. */
static void fail(hconn_t *c, int code, const char *msg)
{
    if (!send_error(c, code, msg, 1))
        conn_free(c);
}

/* connection lifetime ----------------------------------------------------*/

static void unlink_conn(hconn_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void clear_request(hconn_t *c)
{
    int i;
    for (i = 0; i < STEPS_MAX; i++)
        SIM_FREE(c->ans[i].msg);
    c->nsteps = c->step = 0;
    if (c->filters) {
        json_decref(c->filters);
        c->filters = NULL;
    }
}

static void conn_free(hconn_t *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    unlink_conn(c);
    sim_timer_stop(&c->until_timer);
    if (c->s) {
        c->s->data = NULL;
        sim_stream_close(c->s, NULL);
        c->s = NULL;
    }
    if (c->up) {
        c->up->data = NULL;
        sim_stream_close(c->up, NULL);
        c->up = NULL;
    }
    clear_request(c);
    fk_http_in_free(&c->in);
    if (c->dial) {
        npipe_dial_cancel(c->dial); /* freed in on_dial */
        return;
    }
    sim__free(c);
}

/* events -----------------------------------------------------------------*/

static int filter_has(json_t *filters, const char *key, const char *val)
{
    json_t *f = filters ? json_object_get(filters, key) : NULL;
    const char *k;
    json_t *v;
    size_t i;
    if (!f)
        return 1;
    if (json_is_array(f)) { /* the old form: {"type":["container"]} */
        json_array_foreach(f, i, v) if (json_is_string(v) &&
                                        !strcmp(json_string_value(v), val))
            return 1;
        return json_array_size(f) == 0;
    }
    if (!json_is_object(f) || json_object_size(f) == 0)
        return 1;
    json_object_foreach(f, k, v) if (!strcmp(k, val) ||
                                     (!strcmp(key, "container") &&
                                      !strncmp(val, k, strlen(k))))
        return 1;
    return 0;
}

static void end_stream(hconn_t *c)
{
    (void)sim_stream_write(c->s, "0\r\n\r\n", 5);
    conn_free(c);
}

static void until_fire(void *hp, void *serial)
{
    dock_http_t *h = hp;
    hconn_t *c;
    for (c = h->conns; c; c = c->next)
        if (c->serial == (uintptr_t)serial) {
            end_stream(c);
            return;
        }
}

/* A timer must not free its own memory in its callback: the end runs as a
 * call on the same turn's time, finding c by serial (it may be gone). */
static void on_until(sim_timer_t *t)
{
    hconn_t *c = t->data;
    /* Out of memory: the stream then ends when the client goes. */
    (void)sim_call(c->h->o.loop, 0, until_fire, c->h, (void *)c->serial);
}

static void send_event(hconn_t *c, const dock_event_t *ev)
{
    json_t *j;
    char *txt, chunk[32];
    size_t n;
    if (c->until_ns >= 0 && ev->time_ns > c->until_ns) {
        end_stream(c);
        return;
    }
    if (!filter_has(c->filters, "type", ev->type) ||
        !filter_has(c->filters, "event", ev->action) ||
        (!strcmp(ev->type, "container") &&
         !filter_has(c->filters, "container", ev->actor_id)))
        return;
    j = json_pack("{s:s,s:s,s:{s:s,s:{}},s:s,s:I,s:I}", "Type", ev->type,
                  "Action", ev->action, "Actor", "ID", ev->actor_id,
                  "Attributes", "scope", "local", "time",
                  (json_int_t)(ev->time_ns / 1000000000), "timeNano",
                  (json_int_t)ev->time_ns);
    if (j && !strcmp(ev->type, "container")) {
        json_object_set_new(j, "status", json_string(ev->action));
        json_object_set_new(j, "id", json_string(ev->actor_id));
    }
    txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!txt) {
        conn_free(c);
        return;
    }
    n = strlen(txt);
    snprintf(chunk, sizeof(chunk), "%zx\r\n", n + 1);
    if (sim_stream_write(c->s, chunk, strlen(chunk)) ||
        sim_stream_write(c->s, txt, n) ||
        sim_stream_write(c->s, "\n\r\n", 3))
        conn_free(c);
    free(txt);
}

static void start_stream(hconn_t *c)
{
    static const char hdr[] =
        "HTTP/1.1 200 OK\r\n"
        "Api-Version: " DOCK_HTTP_API_VERSION "\r\n"
        "Docker-Experimental: false\r\n"
        "Ostype: linux\r\n"
        "Server: Docker/" SERVER_VERSION " (linux)\r\n"
        "Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    uint64_t now = sim_now(c->h->o.loop);
    c->h->answered++;
    c->streaming = 1;
    if (sim_stream_write(c->s, hdr, sizeof(hdr) - 1)) {
        conn_free(c);
        return;
    }
    if (c->until_ns >= 0) {
        uint64_t u = (uint64_t)c->until_ns;
        /* After the replay already in flight: a later turn at least. */
        if (sim_timer_start(&c->until_timer, on_until, u > now ? u - now : 0))
            conn_free(c);
    }
}

/* rendering --------------------------------------------------------------*/

static const dock_resp_t *ans_hdr(const answer_t *a)
{
    return (const dock_resp_t *)a->msg;
}

static const void *ans_item(const answer_t *a, size_t isz, uint32_t i)
{
    if (sizeof(dock_resp_t) + (size_t)(i + 1) * isz > a->len)
        return NULL;
    return a->msg + sizeof(dock_resp_t) + (size_t)i * isz;
}

static json_t *ctr_summary(const dock_container_t *k)
{
    char status[64];
    const char *name = k->name;
    if (!strcmp(k->state, "running"))
        snprintf(status, sizeof(status), "Up");
    else if (!strcmp(k->state, "paused"))
        snprintf(status, sizeof(status), "Up (Paused)");
    else if (!strcmp(k->state, "exited"))
        snprintf(status, sizeof(status), "Exited (%lld)",
                 (long long)k->exit_code);
    else
        snprintf(status, sizeof(status), "%s", k->state);
    return json_pack("{s:s,s:[s],s:s,s:s,s:s,s:I,s:s,s:s,s:[],s:{},"
                     "s:{s:s},s:{s:{}},s:[]}",
                     "Id", k->id, "Names", name, "Image", k->image,
                     "ImageID", k->image_id, "Command", "",
                     "Created", (json_int_t)(k->created_ns / 1000000000),
                     "State", k->state, "Status", status, "Ports", "Labels",
                     "HostConfig", "NetworkMode", "default",
                     "NetworkSettings", "Networks", "Mounts");
}

static json_t *ctr_inspect(const dock_container_t *k)
{
    char created[48];
    int running = !strcmp(k->state, "running") ||
                  !strcmp(k->state, "paused") ||
                  !strcmp(k->state, "restarting");
    rfc3339(k->created_ns, created, sizeof(created));
    return json_pack(
        "{s:s,s:s,s:s,s:[],s:{s:s,s:b,s:b,s:b,s:b,s:b,s:I,s:I,s:s,s:s,s:s},"
        "s:s,s:s,s:i,s:s,s:s,s:{s:s},s:{s:s,s:{},s:[],s:[]},"
        "s:{s:{}},s:[]}",
        "Id", k->id, "Created", created, "Path", "", "Args", "State",
        "Status", k->state, "Running", running, "Paused",
        !strcmp(k->state, "paused"), "Restarting",
        !strcmp(k->state, "restarting"), "OOMKilled", 0, "Dead",
        !strcmp(k->state, "dead"), "Pid", (json_int_t)(running ? k->pid : 0),
        "ExitCode", (json_int_t)k->exit_code, "Error", "", "StartedAt",
        created, "FinishedAt", "0001-01-01T00:00:00Z", "Image", k->image_id,
        "Name", k->name, "RestartCount", 0, "Driver", "overlay2", "Platform",
        "linux", "HostConfig", "NetworkMode", "default", "Config", "Image",
        k->image, "Labels", "Env", "Cmd", "NetworkSettings", "Networks",
        "Mounts");
}

static json_t *img_summary(const dock_image_t *m)
{
    json_t *tags = json_array();
    int i;
    for (i = 0; i < m->ntags; i++)
        json_array_append_new(tags, json_string(m->tags[i]));
    return json_pack("{s:s,s:s,s:o,s:[],s:I,s:I,s:I,s:{},s:I}", "Id", m->id,
                     "ParentId", "", "RepoTags", tags, "RepoDigests",
                     "Created", (json_int_t)(m->created_ns / 1000000000),
                     "Size", (json_int_t)m->size, "SharedSize",
                     (json_int_t)-1, "Labels", "Containers", (json_int_t)-1);
}

static json_t *vol_json(const dock_volume_t *v)
{
    char created[48];
    rfc3339(v->created_ns, created, sizeof(created));
    return json_pack("{s:s,s:s,s:s,s:s,s:{},s:s,s:{}}", "Name", v->name,
                     "Driver", v->driver, "Mountpoint", v->mountpoint,
                     "CreatedAt", created, "Labels", "Scope", "local",
                     "Options");
}

static json_t *render_version(const dock_resp_t *r)
{
    char platform[160];
    snprintf(platform, sizeof(platform), "Docker Engine - rddsim (%s)",
             r->info_name);
    return json_pack(
        "{s:{s:s},s:[{s:s,s:s,s:{s:s,s:s,s:s,s:s}}],s:s,s:s,s:s,s:s,s:s,"
        "s:s,s:s,s:s}",
        "Platform", "Name", platform, "Components", "Name", "Engine",
        "Version", SERVER_VERSION, "Details", "ApiVersion",
        DOCK_HTTP_API_VERSION, "MinAPIVersion", "1.24", "Os", "linux",
        "Arch", "amd64", "Version", SERVER_VERSION, "ApiVersion",
        DOCK_HTTP_API_VERSION, "MinAPIVersion", "1.24", "GitCommit",
        "rddsim", "GoVersion", "go1.22.7", "Os", "linux", "Arch", "amd64",
        "KernelVersion", "5.15.167.4-microsoft-standard-WSL2");
}

static json_t *render_info(hconn_t *c)
{
    const dock_resp_t *r = ans_hdr(&c->ans[0]);
    const dock_resp_t *cl = ans_hdr(&c->ans[1]);
    const dock_resp_t *il = ans_hdr(&c->ans[2]);
    json_int_t running = 0, paused = 0, stopped = 0;
    char now[48];
    uint32_t i;
    for (i = 0; i < cl->nitems; i++) {
        const dock_container_t *k =
            ans_item(&c->ans[1], sizeof(dock_container_t), i);
        if (!k)
            break;
        if (!strcmp(k->state, "running") || !strcmp(k->state, "restarting"))
            running++;
        else if (!strcmp(k->state, "paused"))
            paused++;
        else
            stopped++;
    }
    rfc3339(r->system_time_ns, now, sizeof(now));
    return json_pack(
        "{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:[],s:{s:[s],s:[s],s:[s]},"
        "s:b,s:b,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:s,"
        "s:{s:{s:s}},s:s,s:{s:s},s:[],s:[]}",
        "ID", r->info_id, "Name", r->info_name, "Containers",
        (json_int_t)cl->nitems, "ContainersRunning", running,
        "ContainersPaused", paused, "ContainersStopped", stopped, "Images",
        (json_int_t)il->nitems, "Driver", "overlay2", "DriverStatus",
        "Plugins", "Volume", "local", "Network", "bridge", "Log", "json-file",
        "MemoryLimit", 1, "SwapLimit", 1, "NEventsListener", 0,
        "KernelVersion", "5.15.167.4-microsoft-standard-WSL2",
        "OperatingSystem", "rddsim fake engine", "OSType", "linux",
        "Architecture", "x86_64", "IndexServerAddress",
        "https://index.docker.io/v1/", "ServerVersion", SERVER_VERSION,
        "SystemTime", now, "LoggingDriver", "json-file", "NCPU", 2,
        "MemTotal", (json_int_t)4 * 1024 * 1024 * 1024, "DefaultRuntime",
        "runc", "Runtimes", "runc", "path", "runc", "CgroupVersion", "2",
        "Swarm", "LocalNodeState", "inactive", "SecurityOptions",
        "Warnings");
}

static json_t *render_list(hconn_t *c, const answer_t *a)
{
    const dock_resp_t *r = ans_hdr(a);
    json_t *arr = json_array();
    uint32_t i;
    for (i = 0; arr && i < r->nitems; i++) {
        const void *it;
        json_t *o = NULL;
        switch (c->route) {
        case R_CLIST:
            if (!(it = ans_item(a, sizeof(dock_container_t), i)))
                break;
            if (!c->all && strcmp(((const dock_container_t *)it)->state,
                                  "running"))
                continue;
            o = ctr_summary(it);
            break;
        case R_ILIST:
            if ((it = ans_item(a, sizeof(dock_image_t), i)))
                o = img_summary(it);
            break;
        default:
            if ((it = ans_item(a, sizeof(dock_volume_t), i)))
                o = vol_json(it);
            break;
        }
        if (o)
            json_array_append_new(arr, o);
    }
    if (c->route == R_VLIST)
        return json_pack("{s:o,s:[]}", "Volumes", arr, "Warnings");
    return arr;
}

static void list_cache_drop(dock_http_t *h)
{
    sim__free(h->lc.ans);
    sim__free(h->lc.body);
    memset(&h->lc, 0, sizeof(h->lc));
}

/* A list answer: from the cache when the Engine answered the same items
 * as last time, else rendered and kept.  1 if c is gone. */
static int send_list(hconn_t *c, const answer_t *a)
{
    dock_http_t *h = c->h;
    json_t *j;
    char *txt;
    size_t n;
    /* the items only: the header's unused text is not cleared */
    const unsigned char *items = a->msg + sizeof(dock_resp_t);
    size_t ilen = a->len - sizeof(dock_resp_t);
    if (a->len < sizeof(dock_resp_t))
        return send_error(c, 500, "rddsim: cannot render the answer", 0);
    if (h->lc.body && h->lc.route == c->route && h->lc.all == c->all &&
        h->lc.ans_len == ilen && !memcmp(h->lc.ans, items, ilen))
        return send_resp(c, 200, "application/json", h->lc.body,
                         h->lc.body_len, 0);
    j = render_list(c, a);
    if (!j)
        return send_error(c, 500, "rddsim: cannot render the answer", 0);
    txt = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!txt) {
        conn_free(c);
        return 1;
    }
    list_cache_drop(h);
    n = strlen(txt);
    h->lc.body = sim__malloc(n + 1);
    h->lc.ans = sim__malloc(ilen ? ilen : 1);
    if (!h->lc.body || !h->lc.ans) {
        list_cache_drop(h);
        free(txt);
        conn_free(c);
        return 1;
    }
    memcpy(h->lc.body, txt, n);
    h->lc.body[n] = '\n';
    h->lc.body_len = n + 1;
    memcpy(h->lc.ans, items, ilen);
    h->lc.ans_len = ilen;
    h->lc.route = c->route;
    h->lc.all = c->all;
    free(txt);
    return send_resp(c, 200, "application/json", h->lc.body, h->lc.body_len,
                     0);
}

/* Renders and sends the answer of the current request; 1 if c is gone. */
static int finish(hconn_t *c)
{
    const answer_t *a = &c->ans[c->nsteps - 1];
    const dock_resp_t *r;
    int i;
    json_t *j = NULL;
    /* The first failed step answers for the request. */
    for (i = 0; i < c->nsteps; i++)
        if (ans_hdr(&c->ans[i])->http >= 400) {
            a = &c->ans[i];
            break;
        }
    r = ans_hdr(a);
    if (r->http >= 400) {
        if (c->route == R_PING) /* no JSON body, as moby's ping */
            return send_resp(c, r->http, "text/plain; charset=utf-8", "", 0,
                             0);
        return send_error(c, r->http, r->message[0] ? r->message : "error",
                          0);
    }
    switch (c->route) {
    case R_PING:
        return send_resp(c, 200, "text/plain; charset=utf-8", "OK", 2, 0);
    case R_VERSION:
        j = render_version(r);
        break;
    case R_INFO:
        j = render_info(c);
        break;
    case R_CLIST:
    case R_ILIST:
    case R_VLIST:
        return send_list(c, a);
    case R_CINSPECT:
    case R_IINSPECT:
    case R_VINSPECT: {
        const void *it = ans_item(a, c->route == R_CINSPECT
                                         ? sizeof(dock_container_t)
                                     : c->route == R_IINSPECT
                                         ? sizeof(dock_image_t)
                                         : sizeof(dock_volume_t),
                                  0);
        if (it)
            j = c->route == R_CINSPECT   ? ctr_inspect(it)
                : c->route == R_IINSPECT ? img_summary(it)
                                         : vol_json(it);
        break;
    }
    case R_IREMOVE:
        j = json_pack("[{s:s}]", strncmp(c->arg, "sha256:", 7) ? "Untagged"
                                                                : "Deleted",
                      c->arg);
        break;
    case R_CREMOVE:
    case R_CACTION:
    case R_VREMOVE:
        return send_resp(c, r->http == 200 ? 204 : r->http, NULL, "", 0, 0);
    case R_CCREATE: {
        const dock_container_t *k =
            ans_item(a, sizeof(dock_container_t), 0);
        if (!k)
            break;
        return send_json(c, 201,
                         json_pack("{s:s,s:[]}", "Id", k->id, "Warnings"),
                         0);
    }
    case R_CWAIT: {
        const dock_container_t *k =
            ans_item(a, sizeof(dock_container_t), 0);
        if (!k)
            break;
        if (!strcmp(k->state, "running") || !strcmp(k->state, "paused") ||
            !strcmp(k->state, "restarting")) {
            c->holding = 1; /* until it exits: held until the client goes */
            return 0;
        }
        return send_json(c, 200,
                         json_pack("{s:I,s:n}", "StatusCode",
                                   (json_int_t)k->exit_code, "Error"),
                         0);
    }
    case R_EVENTS:
        break;
    }
    if (!j)
        return send_error(c, 500, "rddsim: cannot render the answer", 0);
    return send_json(c, 200, j, 0);
}

/* the Engine side --------------------------------------------------------*/

static void send_step(hconn_t *c)
{
    c->sent_ns = sim_now(c->h->o.loop);
    if (sim_stream_write(c->up, &c->steps[c->step], sizeof(dock_req_t)))
        conn_free(c);
}

/* The request is answered: take the next one. */
static void request_done(hconn_t *c)
{
    clear_request(c);
    c->busy = 0;
    if (!c->in.keep_alive) {
        conn_free(c);
        return;
    }
    fk_http_in_done(&c->in);
    pump(c);
}

static void on_up_read(sim_stream_t *s, long nread, const void *buf)
{
    hconn_t *c = s->data;
    answer_t *a;
    if (!c)
        return;
    if (nread < 0) { /* the daemon (or the pipe's owner) went away */
        if (c->streaming)
            end_stream(c);
        else
            conn_free(c);
        return;
    }
    if ((size_t)nread < sizeof(dock_resp_t))
        return;
    if (c->streaming) {
        const dock_resp_t *r = buf;
        if (r->nitems == 1 &&
            (size_t)nread >= sizeof(dock_resp_t) + sizeof(dock_event_t))
            send_event(c, (const dock_event_t *)((const unsigned char *)buf +
                                                 sizeof(dock_resp_t)));
        return;
    }
    if (!c->busy || c->step >= c->nsteps)
        return;
    if (c->route == R_EVENTS) {
        const dock_resp_t *r = buf;
        if (r->http != 200) {
            if (!send_error(c, r->http, r->message, 1))
                conn_free(c);
            return;
        }
        start_stream(c);
        return;
    }
    a = &c->ans[c->step];
    if (!(a->msg = sim__malloc((size_t)nread))) {
        conn_free(c);
        return;
    }
    memcpy(a->msg, buf, (size_t)nread);
    a->len = (size_t)nread;
    if (c->h->o.on_call)
        c->h->o.on_call(c->h->o.on_call_arg, c->sent_ns, &c->steps[c->step],
                        ans_hdr(a),
                        ans_hdr(a)->nitems && (size_t)nread >
                                                  sizeof(dock_resp_t)
                            ? a->msg + sizeof(dock_resp_t)
                            : NULL);
    if (ans_hdr(a)->http < 400 && ++c->step < c->nsteps) {
        send_step(c);
        return;
    }
    c->nsteps = c->step < c->nsteps ? c->step + 1 : c->nsteps;
    if (!finish(c) && !c->holding)
        request_done(c);
}

static void up_ready(hconn_t *c, sim_stream_t *up)
{
    c->up = up;
    up->data = c;
    sim_stream_read_start(up, on_up_read);
    pump(c);
}

static void on_dial(void *arg, int status, sim_stream_t *client_end)
{
    hconn_t *c = arg;
    c->dial = NULL;
    if (c->dead) {
        if (client_end)
            sim_stream_close(client_end, NULL);
        sim__free(c);
        return;
    }
    if (status) { /* nobody serves the name: as a refused connect */
        conn_free(c);
        return;
    }
    up_ready(c, client_end);
}

/* routing ----------------------------------------------------------------*/

#define unescape fk_http_unescape
#define query_get fk_http_query_get

static int truthy(const char *v)
{
    return !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "True");
}

/* "1700000000", "1700000000.5", "0": Docker's timestamps; -1 if bad. */
static int64_t parse_ts(const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || d < 0 || d > 9e9)
        return -1;
    return (int64_t)(d * 1e9);
}

static void add_step(hconn_t *c, dock_op_t op, const char *ref, int force)
{
    dock_req_t *q = &c->steps[c->nsteps++];
    memset(q, 0, sizeof(*q));
    q->magic = DOCK_MAGIC;
    q->op = op;
    snprintf(q->ref, sizeof(q->ref), "%s", ref ? ref : "");
    q->force = force;
    snprintf(q->client, sizeof(q->client), "%s", c->h->client);
    snprintf(q->endpoint, sizeof(q->endpoint), "%s", c->h->endpoint);
}

/* Splits "/a/b/c" after prefix into the segment and the rest. */
static int seg(const char *path, const char *prefix, char *arg, size_t len,
               const char **rest)
{
    size_t pl = strlen(prefix);
    const char *s, *e;
    if (strncmp(path, prefix, pl))
        return 0;
    s = path + pl;
    e = strchr(s, '/');
    if (!e)
        e = s + strlen(s);
    if (e == s)
        return 0;
    unescape(s, (size_t)(e - s), arg, len);
    *rest = e;
    return 1;
}

static const struct {
    const char *verb;
    dock_op_t op;
} actions[] = {
    {"/start", DOCK_OP_CONTAINER_START},
    {"/stop", DOCK_OP_CONTAINER_STOP},
    {"/restart", DOCK_OP_CONTAINER_RESTART},
    {"/pause", DOCK_OP_CONTAINER_PAUSE},
    {"/unpause", DOCK_OP_CONTAINER_UNPAUSE},
};

/* Routes the parsed request into steps: 0, or 1 when it was answered
 * without the daemon, -1 when c is gone. */
static int route(hconn_t *c)
{
    char path[URL_MAX], q[URL_MAX], v[512];
    const char *p, *rest;
    int m = c->in.method, i;
    if (fk_http_split_url(c->in.url, c->in.url_len, path, sizeof(path), q,
                          sizeof(q))) {
        fail(c, 400, "malformed request URL");
        return -1;
    }
    p = path;
    if (p[0] == '/' && p[1] == 'v' && p[2] >= '0' && p[2] <= '9') {
        unsigned maj = 0, min = 0;
        int n = 0;
        if (sscanf(p, "/v%u.%u%n", &maj, &min, &n) != 2 ||
            (p[n] != '/' && p[n] != 0)) {
            return send_error(c, 404, "page not found", 0) ? -1 : 1;
        }
        if (maj != 1 || min > DOCK_HTTP_API_MINOR) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "client version %u.%u is too new. Maximum supported API "
                     "version is " DOCK_HTTP_API_VERSION,
                     maj, min);
            return send_error(c, 400, msg, 0) ? -1 : 1;
        }
        p += n;
    }
    c->head = m == HTTP_HEAD;
    c->nsteps = c->step = 0;
    c->until_ns = -1;
    if (!strcmp(p, "/_ping") && (m == HTTP_GET || m == HTTP_HEAD)) {
        c->route = R_PING;
        add_step(c, DOCK_OP_PING, NULL, 0);
    } else if (!strcmp(p, "/version") && m == HTTP_GET) {
        c->route = R_VERSION;
        add_step(c, DOCK_OP_INFO, NULL, 0);
    } else if (!strcmp(p, "/info") && m == HTTP_GET) {
        c->route = R_INFO;
        add_step(c, DOCK_OP_INFO, NULL, 0);
        add_step(c, DOCK_OP_CONTAINER_LIST, NULL, 0);
        add_step(c, DOCK_OP_IMAGE_LIST, NULL, 0);
    } else if (!strcmp(p, "/containers/json") && m == HTTP_GET) {
        c->route = R_CLIST;
        c->all = query_get(q, "all", v, sizeof(v)) && truthy(v);
        add_step(c, DOCK_OP_CONTAINER_LIST, NULL, 0);
    } else if (!strcmp(p, "/containers/create") && m == HTTP_POST) {
        json_error_t err;
        json_t *j = json_loadb(c->in.body ? c->in.body : "",
                               c->in.body_len, 0, &err);
        if (!j) {
            snprintf(v, sizeof(v), "invalid JSON: %s", err.text);
            return send_error(c, 400, v, 0) ? -1 : 1;
        }
        if (!json_is_object(j) ||
            !json_is_string(json_object_get(j, "Image")) ||
            !json_string_length(json_object_get(j, "Image"))) {
            json_decref(j);
            return send_error(c, 400, "config cannot be empty in order to "
                                      "create a container", 0)
                       ? -1
                       : 1;
        }
        c->route = R_CCREATE;
        if (!query_get(q, "name", v, sizeof(v)))
            v[0] = 0;
        add_step(c, DOCK_OP_CONTAINER_CREATE, v[0] == '/' ? v + 1 : v, 0);
        snprintf(c->steps[0].image, sizeof(c->steps[0].image), "%s",
                 json_string_value(json_object_get(j, "Image")));
        json_decref(j);
    } else if (seg(p, "/containers/", c->arg, sizeof(c->arg), &rest)) {
        int force = query_get(q, "force", v, sizeof(v)) && truthy(v);
        if (!strcmp(rest, "/json") && m == HTTP_GET) {
            c->route = R_CINSPECT;
            add_step(c, DOCK_OP_CONTAINER_INSPECT, c->arg, 0);
        } else if (!strcmp(rest, "/wait") && m == HTTP_POST) {
            c->route = R_CWAIT;
            add_step(c, DOCK_OP_CONTAINER_INSPECT, c->arg, 0);
        } else if (!*rest && m == HTTP_DELETE) {
            c->route = R_CREMOVE;
            add_step(c, DOCK_OP_CONTAINER_REMOVE, c->arg, force);
        } else if (m == HTTP_POST) {
            for (i = 0; i < (int)(sizeof(actions) / sizeof(actions[0])); i++)
                if (!strcmp(rest, actions[i].verb)) {
                    c->route = R_CACTION;
                    add_step(c, actions[i].op, c->arg, 0);
                }
        }
    } else if (!strcmp(p, "/images/json") && m == HTTP_GET) {
        c->route = R_ILIST;
        add_step(c, DOCK_OP_IMAGE_LIST, NULL, 0);
    } else if (!strncmp(p, "/images/", 8) && m == HTTP_DELETE && p[8]) {
        int force = query_get(q, "force", v, sizeof(v)) && truthy(v);
        snprintf(c->arg, sizeof(c->arg), "%s", p + 8);
        c->route = R_IREMOVE;
        add_step(c, DOCK_OP_IMAGE_REMOVE, c->arg, force);
    } else if (!strncmp(p, "/images/", 8) && m == HTTP_GET &&
               strlen(p) > 13 && !strcmp(p + strlen(p) - 5, "/json")) {
        snprintf(c->arg, sizeof(c->arg), "%.*s", (int)(strlen(p) - 13),
                 p + 8);
        c->route = R_IINSPECT;
        add_step(c, DOCK_OP_IMAGE_INSPECT, c->arg, 0);
    } else if (!strcmp(p, "/volumes") && m == HTTP_GET) {
        c->route = R_VLIST;
        add_step(c, DOCK_OP_VOLUME_LIST, NULL, 0);
    } else if (seg(p, "/volumes/", c->arg, sizeof(c->arg), &rest) && !*rest &&
               (m == HTTP_GET || m == HTTP_DELETE)) {
        int force = query_get(q, "force", v, sizeof(v)) && truthy(v);
        c->route = m == HTTP_GET ? R_VINSPECT : R_VREMOVE;
        add_step(c, m == HTTP_GET ? DOCK_OP_VOLUME_INSPECT
                                  : DOCK_OP_VOLUME_REMOVE,
                 c->arg, force);
    } else if (!strcmp(p, "/events") && m == HTTP_GET) {
        int64_t since = 0;
        json_error_t err;
        c->route = R_EVENTS;
        if (query_get(q, "since", v, sizeof(v)) && v[0] &&
            (since = parse_ts(v)) < 0) {
            return send_error(c, 400, "invalid value for since", 0) ? -1 : 1;
        }
        if (query_get(q, "until", v, sizeof(v)) && v[0] &&
            (c->until_ns = parse_ts(v)) < 0) {
            return send_error(c, 400, "invalid value for until", 0) ? -1 : 1;
        }
        if (query_get(q, "filters", v, sizeof(v)) && v[0] &&
            !(c->filters = json_loads(v, 0, &err))) {
            return send_error(c, 400, "invalid filter", 0) ? -1 : 1;
        }
        add_step(c, DOCK_OP_EVENTS, NULL, 0);
        c->steps[0].since_ns = since;
    }
    if (c->nsteps == 0) {
        return send_error(c, 404, "page not found", 0) ? -1 : 1;
    }
    return 0;
}

/* HTTP -------------------------------------------------------------------*/

/* Parses what is buffered; serves one complete request at a time. */
static void pump(hconn_t *c)
{
    while (!c->dead && !c->busy && c->up) {
        int code = 0, r;
        const char *msg = NULL;
        r = fk_http_in_next(&c->in, &code, &msg);
        if (r == 0)
            break; /* all consumed: wait for more */
        if (r < 0) {
            fail(c, code, msg);
            return;
        }
        c->busy = 1;
        r = route(c);
        if (r == 0) {
            send_step(c);
            return;
        }
        if (r < 0) /* c is gone */
            return;
        c->busy = 0;
        clear_request(c);
        if (!c->in.keep_alive) {
            conn_free(c);
            return;
        }
        fk_http_in_done(&c->in);
    }
    if (!c->dead && c->rd_eof && !c->busy && c->up)
        conn_free(c); /* nothing more can come */
}

static void on_read(sim_stream_t *s, long nread, const void *buf)
{
    hconn_t *c = s->data;
    int rc;
    if (!c)
        return;
    if (nread < 0) { /* the client went away, mid-request or not */
        conn_free(c);
        return;
    }
    if (c->streaming)
        return;
    if (nread == 0) { /* half-close: answer what came, then close */
        c->rd_eof = 1;
        pump(c);
        return;
    }
    if ((rc = fk_http_in_feed(&c->in, buf, (size_t)nread)) != 0) {
        if (rc == SIM_ERANGE)
            fail(c, 413, "request too large");
        else
            conn_free(c);
        return;
    }
    pump(c);
}

/* public -----------------------------------------------------------------*/

int dock_http_new(const dock_http_opts_t *o, dock_http_t **out)
{
    dock_http_t *h;
    if (!o->loop || (!o->daemon && (!o->pipes || !o->pipe)))
        return SIM_EINVAL;
    if (!(h = sim__calloc(1, sizeof(*h))))
        return SIM_ENOMEM;
    h->o = *o;
    snprintf(h->pipe, sizeof(h->pipe), "%s", o->pipe ? o->pipe : "");
    snprintf(h->client, sizeof(h->client), "%s",
             o->client ? o->client : "user");
    snprintf(h->endpoint, sizeof(h->endpoint), "%s",
             o->endpoint ? o->endpoint : "");
    h->o.pipe = h->pipe;
    h->o.client = h->client;
    h->o.endpoint = h->endpoint;
    *out = h;
    return 0;
}

void dock_http_serve(dock_http_t *h, sim_stream_t *s)
{
    hconn_t *c = sim__calloc(1, sizeof(*c));
    if (!c) {
        sim_stream_close(s, NULL);
        return;
    }
    c->h = h;
    c->s = s;
    c->serial = ++h->serials;
    c->until_ns = -1;
    fk_http_in_init(&c->in, DOCK_HTTP_BODY_MAX);
    sim_timer_init(h->o.loop, &c->until_timer);
    c->until_timer.data = c;
    c->next = h->conns;
    if (h->conns)
        h->conns->prev = c;
    h->conns = c;
    s->data = c;
    sim_stream_read_start(s, on_read);
    if (h->o.daemon) {
        sim_stream_t *cli, *srv;
        if (sim_stream_pair(h->o.loop, &cli, &srv)) {
            conn_free(c);
            return;
        }
        dock_daemon_serve(h->o.daemon, srv);
        up_ready(c, cli);
        return;
    }
    {
        npipe_owner_t me = {"docker", 4242};
        if (npipe_dial(h->o.pipes, h->pipe, me,
                       sim_now(h->o.loop) + NPIPE_DIAL_DEFAULT_NS,
                       SIM_ETIMEDOUT, on_dial, c, &c->dial))
            conn_free(c);
    }
}

void dock_http_close_all(dock_http_t *h)
{
    while (h->conns)
        conn_free(h->conns);
}

void dock_http_free(dock_http_t *h)
{
    if (!h)
        return;
    dock_http_close_all(h);
    list_cache_drop(h);
    sim__free(h);
}

unsigned long dock_http_answered(const dock_http_t *h)
{
    return h->answered;
}
