/*
 * webhook.c: the LimaVM admission webhooks
 * (rdd/pkg/controllers/lima/limavm/controller.go:113-178, 199-279,
 * validation.go:20-91, base/webhook.go:39-64 at 00f5645).
 *
 * Models: the mutating webhook on CREATE (defaulter.Default): cleanup
 * finalizer, cross-namespace name uniqueness through the cached client,
 * the templateRef read through the APIReader, the creation of
 * "<name>-template" with the owned-by-LimaVM finalizer, and the ConfigMap
 * validating webhook's empty-template check on that creation; the
 * OwnedDeletionGuard on LimaVM DELETE.  A denial comes back as the
 * apiserver returns it: controller-runtime passes a wrapped API status
 * through (its code and message), any other error is 403 Forbidden
 * (admission.Denied); the apiserver prefixes "admission webhook %q denied
 * the request: ".
 * How it is wired: there are no admission hooks in the kube fake, so the
 * code that creates a LimaVM calls rdd_webhook_limavm_default right before
 * kube_create (the App controller, app.c step 7), and the one that deletes
 * it calls rdd_webhook_limavm_validate_delete right before kube_delete.
 * Leaves out: the template label (lima.rancherdesktop.io/template-configmap
 * does not fit a kube fake key) and the validator's label and UPDATE /
 * DELETE rules on ConfigMaps, Lima's limayaml.Validate of the text, dry
 * runs, webhook transport failures.
 */
#include <stdio.h>
#include <string.h>

#include "rdd.h"
#include "sim/errno.h"
#include "sim/trace.h"

#define DEFAULTER "limavm-defaulter.lima.rancherdesktop.io" /* :43 */
#define VALIDATOR "limavm-validator.lima.rancherdesktop.io" /* :48 */
#define CM_VALIDATOR "limavm-configmap-validator.lima.rancherdesktop.io"
#define OWNED_PREFIX "rdd.rancherdesktop.io/owned-by-" /* finalizer.go:32 */

/* apiserver webhookerrors.ToStatusErr: the webhook's status (code and
 * reason) with its message prefixed. */
static int deny(kube_status_t *st, const char *hook, int rc, int http,
                const char *reason, const char *msg)
{
    char m[sizeof(st->message)];
    snprintf(m, sizeof(m), "admission webhook \"%s\" denied the request: %s",
             hook, msg);
    st->http = http;
    snprintf(st->reason, sizeof(st->reason), "%s", reason);
    snprintf(st->message, sizeof(st->message), "%s", m);
    return rc;
}

static void wtrace(rdd_instance_t *inst, const char *ev, const char *name,
                   int rc, const kube_status_t *st)
{
    sim_trace_t *tr = sim_trace_begin(inst->loop, ev);
    sim_trace_str(tr, "inst", inst->id.name);
    sim_trace_str(tr, "name", name);
    sim_trace_err(tr, "rc", rc);
    if (rc)
        sim_trace_str(tr, "message", st->message);
    sim_trace_end(tr);
}

typedef struct {
    const kube_obj_t *vm;
    char clash_ns[KUBE_NS_MAX];
} uniq_t;

static int uniq_visit(void *arg, const kube_obj_t *o)
{
    uniq_t *u = arg;
    if (o->uid == u->vm->uid || strcmp(o->name, u->vm->name))
        return 0;
    snprintf(u->clash_ns, sizeof(u->clash_ns), "%s", o->ns);
    return 1;
}

/* validation.go:20-68 validateLimaVM / validateLimaVMUniqueName (a LIST
 * of every namespace through the manager's cached client). */
static int validate_limavm(rdd_instance_t *inst, const kube_obj_t *vm,
                           kube_status_t *st)
{
    kube_reader_t *r = kube_cache_reader(inst->app.cache);
    kube_status_t lst;
    uniq_t u;
    char msg[300];
    int rc;
    if (vm->deleting)
        return 0;
    memset(&u, 0, sizeof(u));
    u.vm = vm;
    memset(&lst, 0, sizeof(lst));
    rc = r->list(r, KUBE_LIMAVM, "", uniq_visit, &u, &lst);
    if (rc) /* fmt.Errorf("...: %w", apiErr): the API status goes through */
        return deny(st, DEFAULTER, rc, lst.http, lst.reason, lst.message);
    if (u.clash_ns[0]) {
        snprintf(msg, sizeof(msg),
                 "LimaVM name \"%s\" is already used in namespace \"%s\"; "
                 "LimaVM names must be unique across all namespaces",
                 vm->name, u.clash_ns);
        return deny(st, DEFAULTER, SIM_EACCES, 403, "Forbidden", msg);
    }
    return 0;
}

/* controller.go:211-263 defaulter.Default, with :266-279
 * fetchTemplateRefData (APIReader) and validation.go:71-78
 * validateTemplateData (the ConfigMap webhook on the creation). */
int rdd_webhook_limavm_default(rdd_instance_t *inst, kube_obj_t *vm,
                               kube_status_t *st)
{
    kube_reader_t *api = kube_store_reader(inst->api);
    kube_obj_t ref, cm;
    kube_status_t ist;
    const char *ref_name = kube_spec_get(vm, "templateRef");
    const char *data;
    int rc;
    memset(st, 0, sizeof(*st));
    (void)kube_add_finalizer(vm, RDD_APP_FIN_CLEANUP);
    rc = validate_limavm(inst, vm, st);
    if (rc)
        goto out;
    memset(&ist, 0, sizeof(ist));
    rc = api->get(api, KUBE_CONFIGMAP, vm->ns, ref_name ? ref_name : "", &ref,
                  &ist);
    if (rc) {
        rc = deny(st, DEFAULTER, rc, ist.http, ist.reason, ist.message);
        goto out;
    }
    data = kube_spec_get(&ref, RDD_APP_TEMPLATE_KEY);
    kube_obj_init(&cm, KUBE_CONFIGMAP, vm->ns, "");
    snprintf(cm.name, sizeof(cm.name), "%s%s", vm->name,
             RDD_APP_TEMPLATE_SUFFIX);
    (void)kube_add_finalizer(&cm, RDD_APP_FIN_OWNED_BY_LIMAVM);
    (void)kube_spec_set(&cm, RDD_APP_TEMPLATE_KEY, data ? data : "");
    if (!data || !data[0]) {
        /* The ConfigMap webhook denies the creation (403); Default wraps
         * that StatusError, so its status goes through once more. */
        char inner[sizeof(st->message)];
        snprintf(inner, sizeof(inner),
                 "admission webhook \"%s\" denied the request: \"%s\" data "
                 "cannot be empty",
                 CM_VALIDATOR, RDD_APP_TEMPLATE_KEY);
        rc = deny(st, DEFAULTER, SIM_EACCES, 403, "Forbidden", inner);
        goto out;
    }
    memset(&ist, 0, sizeof(ist));
    rc = kube_create(inst->api, &cm, &ist);
    if (rc)
        rc = deny(st, DEFAULTER, rc, ist.http, ist.reason, ist.message);
out:
    wtrace(inst, "rdd.webhook.limavm_default", vm->name, rc, st);
    return rc;
}

/* base/webhook.go:56-64 OwnedDeletionGuard.ValidateDelete, on the stored
 * object the apiserver hands to the webhook. */
int rdd_webhook_limavm_validate_delete(rdd_instance_t *inst, const char *ns,
                                       const char *name, kube_status_t *st)
{
    kube_obj_t o;
    char msg[300];
    int i;
    memset(st, 0, sizeof(*st));
    if (kube_get(inst->api, KUBE_LIMAVM, ns, name, &o, st))
        return 0; /* NotFound: the DELETE itself answers 404 */
    memset(st, 0, sizeof(*st));
    for (i = 0; i < o.nfin; i++) {
        const char *owner;
        if (strncmp(o.fin[i], OWNED_PREFIX, strlen(OWNED_PREFIX)))
            continue;
        owner = o.fin[i] + strlen(OWNED_PREFIX);
        snprintf(msg, sizeof(msg),
                 "cannot delete \"%s\": owned by %s; delete the %s resource "
                 "instead",
                 name, owner, owner);
        deny(st, VALIDATOR, SIM_EACCES, 403, "Forbidden", msg);
        wtrace(inst, "rdd.webhook.limavm_delete", name, SIM_EACCES, st);
        return SIM_EACCES;
    }
    return 0;
}
