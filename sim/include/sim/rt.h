/*
 * rt.h: the real-time driver of the loop (sim/kernel/backend_uv.c), for
 * live mode (`rddsim serve`).  The same sim_loop_t, the same models and
 * fakes: only who decides when the next event runs changes.
 *
 * - Virtual time follows libuv's clock scaled by speed:
 *   virtual now = start + speed * (wall elapsed since sim_rt_new).
 *   Events run in (due, seq) order at their own virtual due times, exactly
 *   as in a virtual run; the driver only waits for the wall clock to reach
 *   them.  A run without external input is the virtual run, event for event.
 * - External input (a connection accepted on a unix or loopback TCP
 *   socket, bytes read from it, its EOF) enters the loop at the virtual
 *   time it arrived: the loop is first run up to that time, then the
 *   input is handed over.
 * - A listener's connection is one sim_stream_t end (the "server end")
 *   given to the accept callback; bytes the simulated side writes on it go
 *   to the socket, closing it closes the socket (after pending writes).
 *   Message boundaries are not kept: a read is whatever the socket gave.
 *   The client shutting its write side is a zero-length read on the server
 *   end (it may still read the answer); a reset is SIM_EPIPE.
 *
 * This is real-time code: simulated code never calls it.
 */
#ifndef SIM_RT_H
#define SIM_RT_H

#include <signal.h>
#include <stdint.h>

#include "sim/loop.h"

typedef struct sim_rt sim_rt_t;

/* Runs as an event of the loop (at the connection's virtual arrival time);
 * takes ownership of server_end. */
typedef void (*sim_rt_accept_cb)(void *arg, sim_stream_t *server_end);

/* speed > 0: virtual seconds per wall second.  Ignores SIGPIPE for the
 * process (a client gone mid-answer is a failed write).  Returns 0,
 * SIM_EINVAL or SIM_ENOMEM. */
int sim_rt_new(sim_loop_t *loop, double speed, sim_rt_t **out);

/* Listens on the unix socket path (created mode 0600; an existing file is
 * an error, SIM_EADDRINUSE).  Returns 0, SIM_EINVAL (path too long),
 * SIM_EADDRINUSE, SIM_EACCES or SIM_ENOMEM. */
int sim_rt_listen(sim_rt_t *rt, const char *path, sim_rt_accept_cb cb,
                  void *arg);

/* Listens on TCP 127.0.0.1:port (0: a port the OS picks; *bound_port, if
 * not NULL, gets the port bound).  Loopback only.  Connections are
 * handed over as for sim_rt_listen.  Returns 0, SIM_EINVAL (port out of
 * range), SIM_EADDRINUSE, SIM_EACCES or SIM_ENOMEM. */
int sim_rt_listen_tcp(sim_rt_t *rt, int port, int *bound_port,
                      sim_rt_accept_cb cb, void *arg);

/* Runs the loop in real time until virtual until_ns (SIM_NEVER: forever),
 * *stop turns non-zero (polled every 20 ms of wall time and after every
 * wake), or the loop is stopped (sim_loop_stop).  Returns the events run. */
uint64_t sim_rt_run(sim_rt_t *rt, uint64_t until_ns,
                    const volatile sig_atomic_t *stop);

/* Virtual now as the wall clock says (>= sim_now). */
uint64_t sim_rt_vnow(const sim_rt_t *rt);

/* Closes every listener (unlinking its socket) and connection (their
 * server ends read SIM_EPIPE on a later turn of the loop) and frees rt.
 * Call before sim_loop_close. */
void sim_rt_free(sim_rt_t *rt);

#endif
