/*
 * ports.h: RDD's loopback TCP ports (docs/rdd/identity.md, docs/rdd/hazards.md
 * H7, H8, H11) on the machine's port table (host.h).
 *
 * ResolvePort (rdd/pkg/service/controllers/ports.go:19-31) binds
 * 127.0.0.1:<desired>; if that fails it binds port 0 and takes the OS
 * port; either way it CLOSES the listener and returns the number, so the
 * real bind comes later (a TOCTOU window).  Each instance derives its
 * ports from Index() (the families of docs/rdd/identity.md, rdd_port_id_t in
 * rdd.h), so two instances with the same Index collide: the later one moves to an
 * ephemeral port, or, if both resolve inside each other's window, the
 * later real bind fails.  The guest forward of H11 binds host 6443 for
 * the hostagent when the VM reaches Running.
 *
 * The state lives in inst->bridge.ports (rdd_ports_t, read-only fields).
 * Trace events: rdd.ports.resolve, rdd.ports.bind (per port, with err on
 * failure), rdd.ports.forward.
 */
#ifndef RDD_PORTS_H
#define RDD_PORTS_H

#include "rdd.h"

/* The family's port for an Index, and its name ("apiserver", ...). */
int rdd_port_desired(rdd_port_id_t id, int index);
/* Names 127.0.0.1:port (port 0: the apiserver's desired port, 6443 +
 * Index) as the address the instance's apiserver clients dial
 * (kube_store_set_addr): the text of a refused dial carries it. */
void rdd_ports_set_api_addr(rdd_instance_t *inst, int port);
const char *rdd_port_name(rdd_port_id_t id);
/* 1 for the families the `rdd` service binds itself (apiserver, webhook,
 * passthrough, embedded manager metrics and health); 0 for the external
 * controllers' and the k3s host port, which it never binds. */
int rdd_port_served(rdd_port_id_t id);
/* The App controller's ResolvePort for the k3s host port (an
 * rdd_resolve_port_fn, app.h). */
int rdd_ports_resolve_for_app(rdd_instance_t *inst, int preferred, int *port,
                              char *msg, size_t len);

/* ResolvePort(desired) for process pid (alive on h).  Returns 0 with the
 * port in *port (desired, or an ephemeral port when desired is taken), or
 * the error of the port-0 bind (SIM_EADDRINUSE, SIM_ESRCH, SIM_EINVAL).
 * Nothing stays bound. */
int rdd_resolve_port(host_t *h, uint32_t pid, int desired, int *port);

/* Service start, first half: ResolvePort for every family of the
 * instance's Index, as inst->proc.pid.  Returns the first error (ports
 * after it are still tried). */
int rdd_ports_resolve(rdd_instance_t *inst);
/* Second half: binds every resolved port for real, as inst->proc.pid.
 * A port taken in the meantime fails (bind_err SIM_EADDRINUSE, counted in
 * nfail, described in fail_msg); the others are still bound.  Returns the
 * first error. */
int rdd_ports_bind(rdd_instance_t *inst);
/* Both halves: resolve now, bind delay_ns later (0: on a later turn).
 * Returns rdd_ports_resolve's error or SIM_ENOMEM; bind errors are
 * recorded only.  Calls rdd_ports_release first. */
int rdd_ports_service_start(rdd_instance_t *inst, uint64_t delay_ns);
/* Releases every port the service bound and cancels a pending bind (the
 * service process exiting releases them on the host by itself). */
void rdd_ports_release(rdd_instance_t *inst);

/* H11 (lima-template.yaml:13-23): the template forwards guest 6443 to host
 * 127.0.0.1:6443; when the VM reaches Running, pid (the hostagent) binds
 * it.  Returns 0 or the bind's error (recorded in guest_fwd_err; the VM
 * runs on without the forward). */
int rdd_ports_forward_guest(rdd_instance_t *inst, uint32_t pid);
/* The forward ends (hostagent stop; its exit releases it too). */
void rdd_ports_unforward_guest(rdd_instance_t *inst);

/* The apiserver's kubeconfig, Config() = Dir()/config.yaml: the file
 * `rdd ctl`, `rdd kubectl`'s readiness wait and `rdd svc config` read
 * (kubectl.go:40, service.go:91-109).  The service writes it once its
 * apiserver listens, with the port it really bound (service.go:829-845);
 * `rdd svc stop`'s wait removes it once the process is gone
 * (service.go:520-523); a service that is killed, or stopped with
 * --wait=false, leaves it behind, pointing at a port that is no longer its
 * own. */
typedef struct {
    int port;                  /* server https://127.0.0.1:<port> */
    char ca[300];              /* the cert it trusts: the writer's TLSDir() */
    char token[128];           /* the writer's admin token for that run */
    uint64_t written_ns;       /* when it was written */
    uint64_t written_trace;    /* the trace seq of the bind that wrote it
                                  (the simulator's own field, like
                                  written_ns: a link for explain) */
    uint32_t written_pid;      /* the service that wrote it (the same) */
} rdd_kubeconfig_t;

/* service.go:112-122 storeKubeConfigToDisk: called by rdd_ports_bind once
 * the apiserver's port is bound.  Returns host_fs_write's error. */
int rdd_kubeconfig_store(rdd_instance_t *inst);
/* os.ReadFile(instance.Config()): 0, or SIM_ENOENT when there is none. */
int rdd_kubeconfig_read(rdd_instance_t *inst, rdd_kubeconfig_t *kc);
/* os.Remove(instance.Config()), errors ignored. */
void rdd_kubeconfig_remove(rdd_instance_t *inst);
/* 1 when inst's service process serves its apiserver on 127.0.0.1:port
 * right now (bound for real, not only resolved). */
int rdd_apiserver_listens(const rdd_instance_t *inst, int port);
/* What inst's apiserver answers a client holding kc: 0; SIM_EX509 when kc
 * trusts another instance's self-signed cert (each instance generates its
 * own in TLSDir()); SIM_EUNAUTHORIZED when kc carries the token of another
 * run (the admin token is a fresh uuid per run, authentication.go:67-69). */
int rdd_apiserver_admit(const rdd_instance_t *inst,
                        const rdd_kubeconfig_t *kc);

#define RDD_GUEST_APISERVER_PORT 6443
/* From ResolvePort at `rdd svc start` to the servers' real binds. */
#define RDD_PORTS_BIND_DELAY_NS (100 * SIM_NS_PER_MS)

#endif
