/*
 * npipe.h: the machine-wide Windows named-pipe namespace, with go-winio's
 * semantics (docs/platform.md#windows-named-pipes).
 *
 * - Names are case-insensitive; "\\.\pipe\x" and "//./pipe/x" are one name.
 * - npipe_listen is go-winio ListenPipe: the first handle is created with
 *   FILE_CREATE, so if the name exists (served, or lingering because any
 *   handle, client ones included, is still open) it fails with SIM_EACCES,
 *   "open <path>: Access is denied."  With opts.first_instance = 0 it is a
 *   plain CreateNamedPipe without FILE_FLAG_FIRST_PIPE_INSTANCE: it adds an
 *   instance to an existing pipe (squatting) if the DACL allows it.
 * - A listener has at most one listening instance, and only while an
 *   npipe_accept is pending.  A client dialing a name that exists but has no
 *   listening instance gets ERROR_PIPE_BUSY; go-winio's dialer retries every
 *   10 ms until its deadline.  With several owners' instances listening,
 *   a client takes the earliest-created one (FIFO, ReactOS NPFS).
 * - A name with no server handle left answers SIM_ENOENT ("The system cannot
 *   find the file specified.") to new clients; the name itself lives until
 *   its last handle (listener, server end or client end) closes.
 * - Connections are sim_stream_t pairs; closing either end is closing that
 *   handle.
 * Owners are identified by a process name and pid (for ownership checks
 * and invariant S11).  Trace events: npipe.listen.ok|fail|close,
 * npipe.accept.wait|ok|fail, npipe.dial.ok|busy|fail (busy: the first busy
 * answer of a dial only), npipe.name.gone.
 */
#ifndef NPIPE_H
#define NPIPE_H

#include <stdint.h>

#include "sim/loop.h"

#define NPIPE_NAME_MAX 256
#define NPIPE_DIAL_RETRY_NS (10 * SIM_NS_PER_MS) /* go-winio DialPipe */
#define NPIPE_DIAL_DEFAULT_NS (2 * SIM_NS_PER_S) /* DialPipe(nil timeout) */

typedef struct npipe_ns npipe_ns_t;
typedef struct npipe_listener npipe_listener_t;
typedef struct npipe_dial npipe_dial_t;

typedef struct {
    const char *proc;   /* owning process name, e.g. "com.docker.backend" */
    uint32_t pid;       /* virtual pid */
} npipe_owner_t;

typedef struct {
    int first_instance;     /* 1: go-winio (FILE_CREATE) */
    uint32_t max_instances; /* 0: unlimited (go-winio) */
    int dacl_allows_others; /* 0: default DACL; squatting is refused */
} npipe_listen_opts_t;

/* Called once per npipe_accept: status 0 with the server end of a new
 * connection, or SIM_ECLOSED when the listener was closed meanwhile, or
 * the error injected by npipe.accept.error (SIM_EPIPE), or SIM_EBUSY when
 * the pipe is at its max_instances.  l is closed (and freed after cb) if
 * npipe_listener_close ran before. */
typedef void (*npipe_accept_cb)(npipe_listener_t *l, void *arg, int status,
                                sim_stream_t *server_end);

/* Called once per npipe_dial: 0 with the client end, or SIM_ENOENT,
 * SIM_EACCES, or the deadline error given to npipe_dial, or
 * SIM_ECANCELED after npipe_dial_cancel (SIM_ENOMEM if the connection
 * could not be allocated). */
typedef void (*npipe_dial_cb)(void *arg, int status, sim_stream_t *client_end);

int npipe_ns_new(sim_loop_t *loop, npipe_ns_t **out);
/* Pending callbacks are dropped; streams already handed out stay their
 * holders'.  Not from inside one of the namespace's callbacks. */
void npipe_ns_free(npipe_ns_t *ns);

/* Canonical form "\\.\pipe\<name>" with the name lower-cased, into out
 * (NPIPE_NAME_MAX bytes).  Accepts "\\.\pipe\x", "//./pipe/x" and the
 * URL form "npipe:////./pipe/x".  SIM_EINVAL if it is none of those. */
int npipe_normalize(const char *path, char *out);

/* go-winio ListenPipe (opts NULL = go-winio defaults).  Synchronous.
 * Returns 0, SIM_EACCES (name exists / DACL), SIM_EBUSY (instance limit, or
 * fault npipe.listen.instances_exhausted), SIM_EINVAL, SIM_ENOMEM. */
int npipe_listen(npipe_ns_t *ns, const char *path, npipe_owner_t owner,
                 const npipe_listen_opts_t *opts, npipe_listener_t **out);

/* Arms one Accept: creates a listening instance until a client takes it.
 * SIM_ESTATE if an accept is already pending or the listener is closed;
 * SIM_ENOMEM.  Fault npipe.accept.error (target = the owner proc) is
 * evaluated here: cb then gets SIM_EPIPE on a later turn. */
int npipe_accept(npipe_listener_t *l, npipe_accept_cb cb, void *arg);

/* Closes the listener's first handle and aborts a pending accept (its cb
 * gets SIM_ECLOSED on a later turn; if a client had already connected, cb
 * still gets that connection).  Accepted connections stay open.  The
 * listener must not be used after this call (it is freed by it, or after
 * its pending cb). */
void npipe_listener_close(npipe_listener_t *l);

/* go-winio DialPipeContext/DialPipe.  deadline_ns is absolute virtual time
 * (SIM_NEVER: spin on busy forever, as the Docker client does with a
 * context without deadline); deadline_err is what the deadline returns:
 * SIM_ETIMEDOUT for DialPipe ("i/o timeout"), SIM_EDEADLINE for a context.
 * *out (may be NULL) gets a handle for npipe_dial_cancel, valid until cb.
 * The first CreateFile runs on a later turn at the same virtual time; each
 * busy answer sleeps NPIPE_DIAL_RETRY_NS, so the deadline is seen at the
 * first attempt at or after it (deadline 2 s from t=0: cb at 2 s).
 * Returns 0, SIM_EINVAL (not a pipe path) or SIM_ENOMEM.
 * Fault sites: npipe.dial.busy, npipe.dial.access_denied (target = the
 * client proc). */
int npipe_dial(npipe_ns_t *ns, const char *path, npipe_owner_t client,
               uint64_t deadline_ns, int deadline_err, npipe_dial_cb cb,
               void *arg, npipe_dial_t **out);
/* cb gets SIM_ECANCELED on a later turn, replacing any result not yet
 * delivered; a client end not yet delivered is closed. */
void npipe_dial_cancel(npipe_dial_t *d);

/* Process exit: closes every listener and server end the process owns.
 * Client ends are left to their models.  Holders of the closed server
 * ends must drop them without closing them again. */
void npipe_close_owner(npipe_ns_t *ns, uint32_t pid);

/* queries (for owners' checks and invariants) --------------------------*/

/* 1 if the name exists (any handle open). */
int npipe_exists(npipe_ns_t *ns, const char *path);
/* Changes with every name, listener or connection created or gone, and
 * every server end closed (for observers that recount only then). */
uint64_t npipe_ns_generation(const npipe_ns_t *ns);
/* Number of distinct processes holding server handles (listener or
 * instance) on the name right now: > 1 violates S11. */
int npipe_server_count(npipe_ns_t *ns, const char *path);
/* The pid of the creator of the name's first instance, 0 if none. */
uint32_t npipe_creator_pid(npipe_ns_t *ns, const char *path);
/* The trace seq of the npipe.listen.ok that created the name, or 0 (a
 * link for explain; never hashed). */
uint64_t npipe_creator_trace(npipe_ns_t *ns, const char *path);
/* Win32 text for a code: "Access is denied.", "All pipe instances are
 * busy.", "The system cannot find the file specified.", "i/o timeout". */
const char *npipe_strerror(int err);

#endif
