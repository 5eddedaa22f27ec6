/*
 * front_http.h: the Docker Engine HTTP API in front of the Docker fake, for
 * live mode (a real docker CLI on a unix socket, sim/rt.h).
 *
 * Each HTTP connection (a sim_stream_t carrying raw bytes) gets one
 * Engine-message connection behind it (docker.h "Wire"): straight to a
 * daemon (dock_daemon_serve), or dialed through a Windows pipe name
 * (npipe_dial, the Docker client's 2 s DialPipe), which reaches whoever
 * owns that name at that instant; a failed dial closes the HTTP connection,
 * as a refused connect.  Every HTTP request becomes one to three Engine
 * messages (Info also lists containers and images for its counts), and the
 * answer is rendered as the Engine API JSON.
 *
 * HTTP is parsed by libhttp-parser, JSON (bodies, filters) built and read
 * with libjansson.  Served (after an optional /v1.N prefix, N <= 47;
 * larger is 400 "client version 1.N is too new"):
 *   GET|HEAD /_ping, GET /version, GET /info, GET /containers/json[?all=1],
 *   GET /containers/{id}/json, DELETE /containers/{id}[?force=1],
 *   POST /containers/{id}/start|stop|restart|pause|unpause,
 *   POST /containers/{id}/wait (a stopped one: its exit code; a running
 *   one is held unanswered until the client goes: exits are not followed),
 *   GET /images/json, GET /images/{ref}/json, DELETE /images/{ref},
 *   GET /volumes, GET /volumes/{name}, DELETE /volumes/{name},
 *   GET /events?since=&until=&filters= (chunked, one JSON per line: the
 *   ring's replay then live events; ends when virtual time passes until).
 *   POST /containers/create?name= (JSON body; Image must exist: 404, a
 *   taken name 409; 201 {"Id","Warnings"}),
 * Anything else is 404 {"message":"page not found"}.  Errors are
 * {"message": ...} with the fake's status.  Malformed HTTP is 400, a header
 * block over 80 KiB 431, a URL over 8 KiB 414, a body over
 * DOCK_HTTP_BODY_MAX 413, a body that is not JSON where JSON is read 400;
 * each of those closes the connection, nothing else does.
 */
#ifndef DOCK_FRONT_HTTP_H
#define DOCK_FRONT_HTTP_H

#include "docker/docker.h"
#include "npipe/npipe.h"
#include "sim/loop.h"

#define DOCK_HTTP_API_VERSION "1.47"
#define DOCK_HTTP_API_MINOR 47
#define DOCK_HTTP_BODY_MAX (1024 * 1024)

typedef struct dock_http dock_http_t;

typedef struct {
    sim_loop_t *loop;
    dock_daemon_t *daemon;  /* serve this daemon, or NULL: */
    npipe_ns_t *pipes;      /* dial pipe in this namespace */
    const char *pipe;       /* "\\.\pipe\docker_engine" */
    const char *client;     /* dock_req_t.client ("user") */
    const char *endpoint;   /* dock_req_t.endpoint */
    /* Optional (live recording): every Engine call answered, with the
     * virtual time it was sent, the request and the answer's header plus
     * its first item (NULL if none). */
    void (*on_call)(void *arg, uint64_t sent_ns, const dock_req_t *req,
                    const dock_resp_t *resp, const void *item);
    void *on_call_arg;
} dock_http_opts_t;

/* Copies the strings.  Returns 0, SIM_EINVAL or SIM_ENOMEM. */
int dock_http_new(const dock_http_opts_t *o, dock_http_t **out);

/* Serves HTTP on s (takes ownership) until either side closes. */
void dock_http_serve(dock_http_t *h, sim_stream_t *s);

/* Closes every connection (both streams of each). */
void dock_http_close_all(dock_http_t *h);

/* Frees h; its connections must be closed. */
void dock_http_free(dock_http_t *h);

/* HTTP requests answered so far, by status class (for tests). */
unsigned long dock_http_answered(const dock_http_t *h);

#endif
