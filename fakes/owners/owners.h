/*
 * owners.h: processes other than RDD that own Windows named pipes
 * (platform-semantics.md §0, §1.9).
 *
 * - docker-desktop: its "Docker API Proxy" listens on \\.\pipe\docker_engine
 *   with go-winio and forwards every connection to its engine.  If the
 *   name is taken it refuses to start, with the dialog text
 *   "starting services: initializing Docker API Proxy: setting up docker
 *   api proxy listener: open \\.\pipe\docker_engine: Access is denied."
 * - squatter: binds a name and never accepts, so clients see
 *   ERROR_PIPE_BUSY until their deadline.
 * Each owner is one process (pid); stop is process exit (every handle it
 * holds closes).
 */
#ifndef OWNERS_H
#define OWNERS_H

#include "docker/docker.h"
#include "npipe/npipe.h"

typedef enum { OWNER_DOCKER_DESKTOP, OWNER_SQUATTER } owner_kind_t;

typedef struct {
    owner_kind_t kind;          /* public */
    char name[64];              /* public: scenario name */
    char pipe[NPIPE_NAME_MAX];  /* public: the pipe it wants */
    dock_daemon_t *daemon;      /* public: docker-desktop's engine */
    npipe_owner_t proc;         /* public */
    sim_loop_t *loop;           /* private */
    npipe_ns_t *pipes;          /* private */
    npipe_listener_t *ln;       /* private */
    int running;                /* read-only */
    int start_failed;           /* read-only: the last start failed */
    char start_err[400];        /* read-only: what the user saw */
    unsigned long served;       /* read-only: connections forwarded */
} owner_t;

void owner_init(owner_t *o, owner_kind_t kind, const char *name,
                const char *pipe, sim_loop_t *loop, npipe_ns_t *pipes,
                uint32_t pid, dock_daemon_t *daemon);
/* Starts the process.  Returns 0, or the listen error (the owner stays
 * down, start_err says why). */
int owner_start(owner_t *o);
/* Process exit. */
void owner_stop(owner_t *o);
const char *owner_kind_name(owner_kind_t k);
int owner_kind_by_name(const char *name); /* -1 if unknown */

#endif
