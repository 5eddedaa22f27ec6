/*
 * moby.h: the Docker Go client RDD uses (moby client v0.4.1 over
 * go-connections), as far as RDD's code paths reach it.
 *
 * Each call dials the endpoint afresh (npipe: go-winio DialPipeContext with
 * the request context, so a busy pipe spins every 10 ms until the context
 * ends, and with no deadline forever; unix: connect), sends one request and
 * reads one answer.  Errors are worded as the moby client words them
 * (docs/platform.md), so RDD's ConnectFailed message carries the
 * same text.  Not modelled: HTTP keep-alive, API version negotiation, TLS.
 */
#ifndef RDD_MOBY_H
#define RDD_MOBY_H

#include "docker/docker.h"
#include "npipe/npipe.h"
#include "uds/uds.h"

typedef struct {
    sim_loop_t *loop;
    npipe_ns_t *pipes;        /* the machine's pipe namespace (Windows) */
    uds_ns_t *socks;          /* the machine's unix sockets */
    char endpoint[300];       /* "npipe:////./pipe/x" or "unix:///p" */
    char client[64];          /* caller identity carried in requests */
    npipe_owner_t proc;       /* the calling process */
    const uint64_t *swallowed; /* NULL, or the trace seq of a failure the
                                  caller swallowed and its calls depend on
                                  (0: none now): each dial's records link
                                  to it as "swallowed" (explain; never
                                  hashed) */
} moby_client_t;

typedef struct moby_call moby_call_t;

/* The answer: status 0 with resp (http may still be >= 400: see
 * resp->err) and its items; or a transport error (SIM_ENOENT,
 * SIM_ECONNREFUSED, SIM_EACCES, SIM_EDEADLINE, SIM_ECANCELED, SIM_EPIPE).
 * msg is the error text the Go client's err.Error() gives ("" on success).
 * resp and items are valid only during the callback. */
typedef void (*moby_cb)(void *arg, int status, const dock_resp_t *resp,
                        const void *items, const char *msg);

/* One request.  timeout_ns 0 = no deadline (RDD's fullSync).  *out (may be
 * NULL) is valid until cb runs; cb always runs, on a later turn. */
int moby_do(moby_client_t *c, const dock_req_t *req, uint64_t timeout_ns,
            moby_cb cb, void *arg, moby_call_t **out);
/* Cancels (the Go context is cancelled): cb gets SIM_ECANCELED. */
void moby_cancel(moby_call_t *call);

/* The event stream (Client.Events).  on_event per event; on_end once, with
 * the error that ended it ("EOF", a dial error, or SIM_ECANCELED after
 * moby_cancel). */
typedef void (*moby_event_cb)(void *arg, const dock_event_t *ev,
                              const char *daemon_id);
int moby_events(moby_client_t *c, int64_t since_ns, moby_event_cb on_event,
                moby_cb on_end, void *arg, moby_call_t **out);

/* "Error response from daemon: <message>" for an HTTP error answer. */
void moby_http_error(const dock_resp_t *resp, char *out, size_t outlen);

#endif
