/*
 * front_int.h: what front.c (HTTP, the watch cache) and front_obj.c (the
 * objects as JSON) share, and nothing else may use.
 */
#ifndef KUBE_FRONT_INT_H
#define KUBE_FRONT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/front.h"

/* Spec and status fields (the key's last segment) rendered as integers. */
#define KUBE_FRONT_INT_FIELDS                                                  \
    "restartCount", "kubernetesPort", "observedGeneration", "exitCode",        \
        "size", "port"

/* How virtual times show: epoch_s plus ns / speed. */
typedef struct {
    int64_t epoch_s;
    double speed;
} kube__front_clock_t;

/* "2026-12-03T10:00:05Z" for virtual ns. */
void kube__front_time(const kube__front_clock_t *k, uint64_t ns, char *out,
                      size_t len);

/* The object as the API shows it (apiVersion, kind, metadata, spec,
 * status).  rv: its metadata.resourceVersion (0: o->rv).  created: the
 * creationTimestamp, or NULL to leave it out.  NULL on ENOMEM. */
json_t *kube__front_render(const kube_obj_t *o, uint64_t rv,
                           const char *created, const kube__front_clock_t *k);

/* A Status object: code, reason, message; name and the resource for
 * details (r may be NULL). */
json_t *kube__front_status(int code, const char *reason, const char *msg,
                           const kube_front_res_t *r, const char *name);

/* "<plural>.<group>" ("configmaps" for core): how messages name a kind. */
void kube__front_qualified(const kube_front_res_t *r, char *out, size_t len);

/* RFC 7386: applies patch to target (modified in place; may be replaced:
 * the result is returned, one reference). */
json_t *kube__front_merge(json_t *target, json_t *patch);

/* Why an object is invalid: the field and what is wrong with it. */
typedef struct {
    char field[96];   /* "spec.running" */
    char detail[320]; /* "Invalid value: ..." */
    char type[40];    /* the cause's reason: "FieldValueTypeInvalid" */
} kube__front_invalid_t;

/* Fills mod from cur and the merged JSON of the object: spec fields
 * (metadata.annotations as annotation.* fields) and the finalizer list.
 * 0, or the HTTP status (422) with why filled. */
int kube__front_from_json(const kube_obj_t *cur, json_t *merged,
                          kube_obj_t *mod, kube__front_invalid_t *why);

/* The 422 Status of an invalid object, as the apiserver words it. */
json_t *kube__front_invalid(const kube_obj_t *o,
                            const kube__front_invalid_t *why);

/* A meta.k8s.io/v1 Table of the rendered objects objs (kubectl's
 * server-side printing): Name, the CRD's printer columns, Age (and Data
 * for ConfigMaps), dates as ages at virtual now_ns; headers 0 leaves the
 * column definitions out.  NULL on ENOMEM. */
json_t *kube__front_table(kube_kind_t kind, json_t *const *objs, size_t n,
                          const char *rv, uint64_t now_ns,
                          const kube__front_clock_t *k, int headers);

#endif
