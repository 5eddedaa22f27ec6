/*
 * template.c: the Lima template the App controller renders
 * (applySpecToTemplate, app_controller.go:142-171 at 00f5645;
 * docs/rdd/app-controller.md), reduced to a deterministic fingerprint of the
 * parameters that can differ between reconciles or instances:
 *   engine=<CONTAINER_ENGINE>;socket=<HOST_DOCKER_SOCKET>;
 *   k8s=<KUBERNETES_ENABLED>;kver=<KUBERNETES_VERSION>;
 *   kport=<KUBERNETES_PORT>;cpus=<cpus line>
 * HOST_DOCKER_SOCKET is instance.DockerSocket(), so the per-instance pipe
 * fix (flag pipe_per_instance) changes the template (docs/rdd/identity.md,
 * HOST_DOCKER_SOCKET).
 * Leaves out: the base template text, HOST_HOME_GUEST,
 * HOST_INSTANCE_CONFIG, VM_SWITCH_LOG, NETWORK_SETUP_EXTRA_ARGS,
 * GUEST_LOG_DIR (constant per instance and environment), toLinuxPath and
 * the MkdirAll of LogDir() (no filesystem here).
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "sim/errno.h"

/* app_controller.go:126-140 applyVMCPUsOverride: unset keeps the
 * template's "cpus: 2" (lima-template.yaml:1); an invalid value is an
 * error (strconv.Atoi fails or < 1). */
static int vm_cpus(int cpus, int *out, char *msg, size_t len)
{
    if (cpus == 0) {
        *out = RDD_APP_TEMPLATE_CPUS;
        return 0;
    }
    if (cpus < 1) {
        snprintf(msg, len,
                 "invalid RDD_VM_CPUS value \"%d\": want a positive integer",
                 cpus);
        return SIM_EINVAL;
    }
    *out = cpus;
    return 0;
}

/* app_controller.go:142-171 applySpecToTemplate. */
int rdd_template_render(const rdd_template_in_t *in, char *out, size_t len,
                        char *msg, size_t msg_len)
{
    int cpus, n, rc;
    if (msg_len)
        msg[0] = 0;
    rc = vm_cpus(in->cpus, &cpus, msg, msg_len);
    if (rc)
        return rc;
    n = snprintf(out, len,
                 "engine=%s;socket=%s;k8s=%s;kver=%s;kport=%d;cpus=%d",
                 in->engine ? in->engine : "", in->socket ? in->socket : "",
                 in->k8s_enabled ? "true" : "false",
                 in->k8s_version ? in->k8s_version : "", in->k8s_port, cpus);
    if (n < 0 || (size_t)n >= len || n >= KUBE_VAL_MAX) {
        snprintf(msg, msg_len, "rendered template does not fit (%d bytes)", n);
        return SIM_ERANGE;
    }
    return 0;
}

/* The parameters as applySpecToTemplate reads them: spec.containerEngine
 * .name (the CRD defaults it to moby, app_types.go:172), DockerSocket()
 * (:160), spec.kubernetes.enabled/version (:166-167), the kubernetesPort
 * argument (the caller passes app.Status.KubernetesPort, :372, :459) and
 * RDD_VM_CPUS (:121). */
void rdd_template_in_from_app(rdd_instance_t *inst, const kube_obj_t *app,
                              rdd_template_in_t *in)
{
    const char *v;
    memset(in, 0, sizeof(*in));
    v = kube_spec_get(app, "containerEngine.name");
    in->engine = v ? v : "moby";
    in->socket = inst->id.docker_socket;
    v = kube_spec_get(app, "kubernetes.enabled");
    in->k8s_enabled = v && !strcmp(v, "true");
    v = kube_spec_get(app, "kubernetes.version");
    in->k8s_version = v ? v : "";
    v = kube_status_get(app, "kubernetesPort");
    in->k8s_port = 0;
    if (v)
        (void)sscanf(v, "%d", &in->k8s_port);
    in->cpus = inst->app.vm_cpus;
}
