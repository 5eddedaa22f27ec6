/*
 * standin.h: a VM stand-in for the engine/App/Docker-context unit tests
 * (test_engine.c, test_app.c, test_dockerctx.c).  Not RDD: no scenario
 * uses it.
 *
 * An instance made by rdd_standin_init has only the engine and App
 * controllers (no service process, no LimaVM controller, no host; a test
 * may set inst->host itself), and its App exists at once (running, moby,
 * namespace default).  Its VM boots boot_ns after rdd_standin_vm_start:
 * the VM's dockerd comes up, on Unix hosts Lima's socket forward listens
 * on the instance's docker socket (as the given pid), and the App's
 * Running condition is written True directly (retried every second while
 * the write fails).  rdd_standin_vm_stop undoes it and writes Running
 * False.  The App controller's vm_hook is rdd_standin_app_hook, so
 * spec.running drives the stand-in.
 *
 * Trace events: rdd.vm.start (inst, handshake, boot), rdd.vm.running
 * (inst, life), rdd.vm.stop (inst).
 *
 * State: inst->standin (rdd.h), used by this module only; rdd_instance_free
 * frees such an instance as any other.
 */
#ifndef RDD_STANDIN_H
#define RDD_STANDIN_H

#include <stdint.h>

#include "rdd.h"

/* A stand-in instance: identity (RDD_INSTANCE, host OS), its datastore
 * with the App, the engine and App controllers started, pid as its
 * process (nothing is spawned), vm_daemon stopped.  Returns 0 or
 * SIM_ENOMEM (the instance is freed then). */
int rdd_standin_init(rdd_instance_t *inst, sim_loop_t *loop, rdd_os_t os,
                     int env_set, const char *rdd_instance, rdd_flags_t flags,
                     npipe_ns_t *pipes, uds_ns_t *socks, uint32_t pid,
                     dock_daemon_t *vm_daemon);
/* Boots the VM: the host-switch starts (its handshake answered
 * handshake_ns from now) and the VM is up boot_ns from now.  SIM_ESTATE on
 * an instance not made by rdd_standin_init. */
int rdd_standin_vm_start(rdd_instance_t *inst, uint64_t handshake_ns,
                         uint64_t boot_ns);
/* Stops the VM (booting or up): App Running False, host-switch stopped,
 * socket forward closed, dockerd stopped.  A no-op on an instance not made
 * by rdd_standin_init. */
void rdd_standin_vm_stop(rdd_instance_t *inst);
/* The App controller's vm_hook (app.h) for a stand-in instance: running=0
 * stops the VM if it is up or booting, running=1 starts it (with the last
 * start's timings) if it is neither. */
void rdd_standin_app_hook(rdd_instance_t *inst, int running);

#endif
