/*
 * uds.h: Unix domain sockets by path, with Linux semantics
 * (docs/platform.md#unix-domain-sockets).
 *
 * - bind on a path that exists (live or stale file) fails SIM_EADDRINUSE;
 * - close without unlink leaves a stale file: connect gives
 *   SIM_ECONNREFUSED; a missing path gives SIM_ENOENT;
 * - unlink-then-bind (dockerd via go-connections) takes over a live path:
 *   the displaced listener stays open but unreachable;
 * - a Go net.Listen listener unlinks its path on close, even when the file
 *   is now a newcomer's (uds_listener_close with unlink = 1).
 * A listener accepts every connection (no backlog limit is modelled).
 * A path starting with '@' is an abstract name: no file, so it is freed on
 * close and cannot be unlinked.  File permissions (EACCES) are not
 * modelled.
 * Trace events: uds.listen.ok|fail|close, uds.connect.ok|fail, uds.unlink.
 */
#ifndef UDS_H
#define UDS_H

#include <stdint.h>

#include "sim/loop.h"

#define UDS_PATH_MAX 256

typedef struct uds_ns uds_ns_t;
typedef struct uds_listener uds_listener_t;

/* A new connection's server end (on a later turn than the connect). */
typedef void (*uds_conn_cb)(uds_listener_t *l, void *arg,
                            sim_stream_t *server_end);
/* The connect result: 0 with the client end, or SIM_ENOENT,
 * SIM_ECONNREFUSED (fault uds.connect.stale forces it). */
typedef void (*uds_connect_cb)(void *arg, int status, sim_stream_t *client_end);

int uds_ns_new(sim_loop_t *loop, uds_ns_t **out);
/* Pending callbacks are dropped.  Not from inside one of its callbacks. */
void uds_ns_free(uds_ns_t *ns);

/* bind + listen.  Returns 0, SIM_EADDRINUSE, SIM_ENOMEM, SIM_EINVAL (empty
 * path or not shorter than UDS_PATH_MAX). */
int uds_listen(uds_ns_t *ns, const char *path, uint32_t pid, uds_conn_cb cb,
               void *arg, uds_listener_t **out);
/* Removes the path (whoever's it is).  SIM_ENOENT if absent. */
int uds_unlink(uds_ns_t *ns, const char *path);
/* Closes the listener (freed by this call).  unlink = 1 removes the path
 * it was bound to, whatever file is there now (Go's UnixListener.Close).
 * Connections not yet handed to its cb are closed (the client reads EOF). */
void uds_listener_close(uds_listener_t *l, int unlink);
/* Connects (result on a later turn).  Returns 0 or SIM_ENOMEM. */
int uds_connect(uds_ns_t *ns, const char *path, const char *client,
                uds_connect_cb cb, void *arg);

/* 1 if a file exists at path; *live (may be NULL) = someone listens. */
int uds_exists(uds_ns_t *ns, const char *path, int *live);

#endif
