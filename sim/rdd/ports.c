/*
 * ports.c: ResolvePort and the per-instance port families
 * (docs/rdd/identity.md#ports, docs/rdd/hazards.md H7, H8, H11).
 *
 * Models: ResolvePort's bind, fallback to port 0, and close; the eight
 * families derived from Index(); a service start that resolves them all
 * and binds them for real after a window, so an equal Index moves the
 * later instance to ephemeral ports and a resolve inside another
 * instance's window makes the later real bind fail; the template's guest
 * 6443 forward bound by the hostagent.
 * Leaves out: what each server does when its real bind fails (the
 * apiserver and controller-runtime would exit or retry; here the failure
 * is only recorded), the moments each port is really resolved (the
 * apiserver's at serve, the manager's at mgr.Start, the k3s port by the
 * App controller when Kubernetes is enabled: all at service start here),
 * 0.0.0.0 forwards of other guest ports.
 * Also the apiserver's kubeconfig, Dir()/config.yaml (service.go:112-122,
 * 829-845): written when the apiserver's port is bound, with that port, the
 * instance's self-signed cert and the run's token, and what an apiserver
 * answers a client holding it (x509, Unauthorized, or admitted).
 */
#include "ports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/trace.h"

static const char *const port_names[RDD_PORT__COUNT] = {
    "apiserver",  "webhook",     "passthrough", "mgr_metrics",
    "mgr_health", "ext_metrics", "ext_health",  "k3s"};

const char *rdd_port_name(rdd_port_id_t id)
{
    SIM_ASSERT(id < RDD_PORT__COUNT);
    return port_names[id];
}

/* docs/rdd/identity.md#ports: service.go:220 / options.go:203 (6443+i),
 * manager.go:72-73 (9443+i, 9090+i), service.go:905-910 (8082+4i,
 * 8083+4i), external/main.go:32-39 (8080+4i, 8081+4i),
 * app_controller.go:329-349 (7441+i). */
int rdd_port_desired(rdd_port_id_t id, int index)
{
    switch (id) {
    case RDD_PORT_APISERVER:
        return 6443 + index;
    case RDD_PORT_WEBHOOK:
        return 9443 + index;
    case RDD_PORT_PASSTHROUGH:
        return 9090 + index;
    case RDD_PORT_MGR_METRICS:
        return 8082 + 4 * index;
    case RDD_PORT_MGR_HEALTH:
        return 8083 + 4 * index;
    case RDD_PORT_EXT_METRICS:
        return 8080 + 4 * index;
    case RDD_PORT_EXT_HEALTH:
        return 8081 + 4 * index;
    case RDD_PORT_K3S:
        return 7441 + index;
    default:
        SIM_ASSERT(0);
        return 0;
    }
}

/* ports.go:19-31 ResolvePort: Listen("127.0.0.1:<desired>"); on error
 * Listen("127.0.0.1:0"); take the port; ln.Close(). */
int rdd_resolve_port(host_t *h, uint32_t pid, int desired, int *port)
{
    int got = 0, rc;
    SIM_ASSERT(h != NULL);
    SIM_ASSERT(port != NULL);
    rc = host_port_bind(h, desired, pid, &got);
    if (rc)
        rc = host_port_bind(h, 0, pid, &got);
    if (rc)
        return rc;
    host_port_release(h, got, pid);
    *port = got;
    return 0;
}

static void trace_port(rdd_instance_t *inst, const char *ev, rdd_port_id_t id,
                       int port, int err)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, ev);
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "port", port_names[id]);
    sim_trace_u64(tr, "desired", (uint64_t)inst->bridge.ports.p[id].desired);
    sim_trace_u64(tr, "got", (uint64_t)(port > 0 ? port : 0));
    if (err)
        sim_trace_err(tr, "err", err);
    sim_trace_end(tr);
    inst->bridge.ports.p[id].trace_seq = sim_trace_last(inst->loop);
}

/* The ports the `rdd` service itself serves: the apiserver, the webhook
 * and passthrough servers and the embedded manager's metrics and health.
 * The external controllers' ports belong to binaries `rdd svc start` does
 * not launch (pkg/external/main.go:32-39), and the k3s host port is the App
 * controller's to resolve, only with Kubernetes enabled
 * (app_controller.go:329-349), and Lima's to bind. */
/* ports.go:19-31 as the App controller calls it for the k3s host port
 * (app_controller.go:329-349), on behalf of the service process. */
int rdd_ports_resolve_for_app(rdd_instance_t *inst, int preferred, int *port,
                              char *msg, size_t len)
{
    int rc = rdd_resolve_port(inst->host, inst->proc.pid, preferred, port);
    if (rc && msg && len)
        snprintf(msg, len, "%s", rc == SIM_EADDRINUSE
                                     ? host_port_errmsg(inst->host)
                                     : sim_strerror(rc));
    trace_port(inst, "rdd.ports.resolve", RDD_PORT_K3S, rc ? 0 : *port, rc);
    return rc;
}

int rdd_port_served(rdd_port_id_t i)
{
    return i != RDD_PORT_EXT_METRICS && i != RDD_PORT_EXT_HEALTH &&
           i != RDD_PORT_K3S;
}

/* options.go:203 and manager.go:123-139: each port is resolved right
 * before its server is built ("to minimize the window"). */
int rdd_ports_resolve(rdd_instance_t *inst)
{
    rdd_ports_t *ps = &inst->bridge.ports;
    int i, first = 0;
    SIM_ASSERT(inst->host != NULL);
    ps->resolved = 1;
    ps->moved = 0;
    ps->pid = inst->proc.pid;
    for (i = 0; i < RDD_PORT__COUNT; i++) {
        rdd_port_t *p = &ps->p[i];
        p->desired = rdd_port_desired((rdd_port_id_t)i, inst->id.index);
        p->resolved = 0;
        if (!rdd_port_served((rdd_port_id_t)i)) {
            p->resolve_err = SIM_ESTATE; /* not the service's: never bound */
            continue;
        }
        p->resolve_err =
            rdd_resolve_port(inst->host, ps->pid, p->desired, &p->resolved);
        if (p->resolve_err && !first)
            first = p->resolve_err;
        if (!p->resolve_err && p->resolved != p->desired)
            ps->moved++;
        trace_port(inst, "rdd.ports.resolve", (rdd_port_id_t)i, p->resolved,
                   p->resolve_err);
    }
    return first;
}

/* The in-process clients dial what the kubeconfig names
 * (service.go:850 GetKubeRestConfig): 127.0.0.1 and the apiserver's port
 * (0: the one it asks for, 6443 + Index); a refused dial's text names it. */
void rdd_ports_set_api_addr(rdd_instance_t *inst, int port)
{
    char addr[32];
    if (!port)
        port = rdd_port_desired(RDD_PORT_APISERVER, inst->id.index);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    if (inst->api)
        kube_store_set_addr(inst->api, addr);
}

static void config_path(const rdd_instance_t *inst, char *out, size_t len);

/* The servers' own Listen on the resolved ports (apiserver SecureServing,
 * controller-runtime's metrics, health, webhook and passthrough servers):
 * whoever bound the port since ResolvePort closed it wins. */
int rdd_ports_bind(rdd_instance_t *inst)
{
    rdd_ports_t *ps = &inst->bridge.ports;
    int i, got, first = 0, kc = 0;
    SIM_ASSERT(inst->host != NULL);
    SIM_ASSERT(ps->resolved);
    for (i = 0; i < RDD_PORT__COUNT; i++) {
        rdd_port_t *p = &ps->p[i];
        if (!rdd_port_served((rdd_port_id_t)i) || p->resolve_err || p->bound)
            continue;
        p->bind_err = host_port_bind(inst->host, p->resolved, ps->pid, &got);
        p->bound = p->bind_err == 0;
        if (p->bind_err) {
            if (!first)
                first = p->bind_err;
            if (!ps->nfail++)
                snprintf(ps->fail_msg, sizeof(ps->fail_msg),
                         "%s: listen tcp 127.0.0.1:%d: %s", port_names[i],
                         p->resolved,
                         p->bind_err == SIM_EADDRINUSE
                             ? host_port_errmsg(inst->host)
                             : sim_strerror(p->bind_err));
        }
        trace_port(inst, "rdd.ports.bind", (rdd_port_id_t)i, p->resolved,
                   p->bind_err);
        /* service.go:829-845: Run stores the kubeconfig with the port the
         * apiserver really bound (a failed bind ends Run before it). */
        if (i == RDD_PORT_APISERVER && p->bound) {
            rdd_ports_set_api_addr(inst, p->resolved);
            kc = rdd_kubeconfig_store(inst);
        }
    }
    if (kc) {
        /* service.go:118-119, 838-847: storeKubeConfigToDisk's error ends
         * Run, the process exits 1.  After the loop: the exit tears the
         * ports down. */
        char path[HOST_PATH_MAX], msg[2 * HOST_PATH_MAX + 96];
        config_path(inst, path, sizeof(path));
        snprintf(msg, sizeof(msg),
                 "failed to write config to %s: write %s: %s", path, path,
                 host_fs_errmsg(inst->host, kc));
        rdd__svc_fail(inst, msg);
        return kc;
    }
    return first;
}

static void bind_fire(sim_timer_t *t)
{
    rdd_instance_t *inst = t->data;
    /* a service that died before its servers listened binds nothing
     * (proc.kill or proc.crash.service in the window) */
    if (!host_proc_alive(inst->host, inst->bridge.ports.pid))
        return;
    (void)rdd_ports_bind(inst);
}

/* Service start: every ResolvePort, then the real binds delay_ns later
 * (the window ports.go:14-18 warns about). */
int rdd_ports_service_start(rdd_instance_t *inst, uint64_t delay_ns)
{
    rdd_ports_t *ps = &inst->bridge.ports;
    int rc;
    rdd_ports_release(inst);
    rc = rdd_ports_resolve(inst);
    if (!ps->timer_ready) {
        sim_timer_init(inst->loop, &ps->bind_timer);
        ps->timer_ready = 1;
    }
    ps->bind_timer.data = inst;
    if (sim_timer_start(&ps->bind_timer, bind_fire, delay_ns) != 0)
        return SIM_ENOMEM;
    return rc;
}

void rdd_ports_release(rdd_instance_t *inst)
{
    rdd_ports_t *ps = &inst->bridge.ports;
    int i;
    if (ps->timer_ready)
        sim_timer_stop(&ps->bind_timer);
    for (i = 0; i < RDD_PORT__COUNT; i++) {
        rdd_port_t *p = &ps->p[i];
        if (p->bound && inst->host)
            host_port_release(inst->host, p->resolved, ps->pid);
        memset(p, 0, sizeof(*p));
    }
    ps->resolved = 0;
    ps->moved = 0;
    ps->nfail = 0;
    ps->fail_msg[0] = 0;
}

/* the apiserver's kubeconfig ----------------------------------------------*/

static void config_path(const rdd_instance_t *inst, char *out, size_t len)
{
    snprintf(out, len, "%s/config.yaml", inst->dir);
}

/* The admin token of the service's current run. */
static void run_token(const rdd_instance_t *inst, char *out, size_t len)
{
    snprintf(out, len, "%s/run-%llu", inst->id.name,
             (unsigned long long)inst->svc_starts);
}

/* service.go:112-122 storeKubeConfigToDisk (options/authentication.go:
 * 103-125 CreateKubeConfig): server https://127.0.0.1:<actual port>, the
 * serving cert as CA data, the run's admin token; written 0600 over the
 * previous one. */
int rdd_kubeconfig_store(rdd_instance_t *inst)
{
    char path[HOST_PATH_MAX], token[128], buf[1024];
    SIM_ASSERT(inst->host != NULL);
    config_path(inst, path, sizeof(path));
    run_token(inst, token, sizeof(token));
    snprintf(buf, sizeof(buf),
             "server: https://127.0.0.1:%d\nca: %s\ntoken: %s\n"
             "written_ns: %llu\nwritten_trace: %llu\nwritten_pid: %lu\n",
             inst->bridge.ports.p[RDD_PORT_APISERVER].resolved,
             inst->id.tls_dir, token,
             (unsigned long long)sim_now(inst->loop),
             (unsigned long long)inst->bridge.ports.p[RDD_PORT_APISERVER]
                 .trace_seq,
             (unsigned long)inst->bridge.ports.pid);
    return host_fs_write(inst->host, path, buf);
}

static const char *field(const char *buf, const char *key)
{
    const char *p = strstr(buf, key);
    return p ? p + strlen(key) : NULL;
}

static void copy_line(char *out, size_t len, const char *v)
{
    size_t n = v ? strcspn(v, "\n") : 0;
    snprintf(out, len, "%.*s", (int)n, v ? v : "");
}

/* service.go:91-101 GetKubeconfig's os.ReadFile(instance.Config()), then
 * clientcmd's parse of the fields rdd_kubeconfig_store wrote. */
int rdd_kubeconfig_read(rdd_instance_t *inst, rdd_kubeconfig_t *kc)
{
    char path[HOST_PATH_MAX], buf[1024];
    const char *v;
    int rc;
    memset(kc, 0, sizeof(*kc));
    config_path(inst, path, sizeof(path));
    if ((rc = host_fs_read(inst->host, path, buf, sizeof(buf))) != 0)
        return rc;
    if ((v = field(buf, "server: https://127.0.0.1:")))
        kc->port = atoi(v);
    copy_line(kc->ca, sizeof(kc->ca), field(buf, "ca: "));
    copy_line(kc->token, sizeof(kc->token), field(buf, "token: "));
    if ((v = field(buf, "written_ns: ")))
        kc->written_ns = strtoull(v, NULL, 10);
    if ((v = field(buf, "written_trace: ")))
        kc->written_trace = strtoull(v, NULL, 10);
    if ((v = field(buf, "written_pid: ")))
        kc->written_pid = (uint32_t)strtoul(v, NULL, 10);
    return 0;
}

void rdd_kubeconfig_remove(rdd_instance_t *inst)
{
    char path[HOST_PATH_MAX];
    config_path(inst, path, sizeof(path));
    (void)host_fs_remove(inst->host, path);
}

int rdd_apiserver_listens(const rdd_instance_t *inst, int port)
{
    const rdd_ports_t *ps = &inst->bridge.ports;
    const rdd_port_t *p = &ps->p[RDD_PORT_APISERVER];
    return inst->host && inst->svc != RDD_SVC_DOWN && p->bound &&
           p->resolved == port && ps->pid == inst->proc.pid &&
           host_port_owner(inst->host, port) == ps->pid;
}

/* The TLS handshake (client-go verifies the serving cert against the
 * kubeconfig's certificate-authority-data) and the bearer token
 * (authentication.go:84-96: only this run's tokens authenticate). */
int rdd_apiserver_admit(const rdd_instance_t *inst,
                        const rdd_kubeconfig_t *kc)
{
    char token[128];
    if (strcmp(kc->ca, inst->id.tls_dir) != 0)
        return SIM_EX509;
    run_token(inst, token, sizeof(token));
    return strcmp(kc->token, token) ? SIM_EUNAUTHORIZED : 0;
}

/* lima-template.yaml:13-23: guestPort 6443 -> hostIP 127.0.0.1,
 * hostPort 6443, set up by the hostagent once the guest runs. */
int rdd_ports_forward_guest(rdd_instance_t *inst, uint32_t pid)
{
    rdd_ports_t *ps = &inst->bridge.ports;
    sim_trace_t *tr;
    int got = 0;
    SIM_ASSERT(inst->host != NULL);
    rdd_ports_unforward_guest(inst);
    ps->guest_fwd_port = RDD_GUEST_APISERVER_PORT;
    ps->guest_fwd_pid = pid;
    ps->guest_fwd_err =
        host_port_bind(inst->host, RDD_GUEST_APISERVER_PORT, pid, &got);
    ps->guest_fwd_bound = ps->guest_fwd_err == 0;
    tr = sim_trace_begin(inst->loop, "rdd.ports.forward");
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_u64(tr, "guest", RDD_GUEST_APISERVER_PORT);
    sim_trace_u64(tr, "host", RDD_GUEST_APISERVER_PORT);
    if (ps->guest_fwd_err)
        sim_trace_err(tr, "err", ps->guest_fwd_err);
    sim_trace_end(tr);
    return ps->guest_fwd_err;
}

void rdd_ports_unforward_guest(rdd_instance_t *inst)
{
    rdd_ports_t *ps = &inst->bridge.ports;
    if (ps->guest_fwd_bound && inst->host)
        host_port_release(inst->host, ps->guest_fwd_port, ps->guest_fwd_pid);
    ps->guest_fwd_bound = 0;
    ps->guest_fwd_err = 0;
}
