/*
 * front_obj.c: the kube fake's objects as the Kubernetes API shows them
 * (front.h), with libjansson: rendering, Status objects, RFC 7386 merge
 * patches and reading a merged object back into spec fields and
 * finalizers.  The group, version and names of each kind are those of
 * RDD's CRDs: rdd/pkg/controllers/app/app/crd.yaml:13-23,
 * rdd/pkg/controllers/containers/container/crd.yaml:233-247,
 * rdd/pkg/controllers/containers/image/crd.yaml:274-295,
 * rdd/pkg/controllers/containers/volume/crd.yaml:151-165,
 * rdd/pkg/controllers/containers/containernamespace/crd.yaml:13-25,
 * rdd/pkg/controllers/lima/limavm/crd.yaml:13-27.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kube/front_int.h"
#include "sim/alloc.h"

static const kube_front_res_t resources[KUBE_KIND__COUNT] = {
    [KUBE_APP] = {KUBE_APP, "app.rancherdesktop.io", "v1alpha1", "apps", "app",
                  "App", 0, NULL},
    [KUBE_CONTAINER] = {KUBE_CONTAINER, "containers.rancherdesktop.io",
                        "v1alpha1", "containers", "container", "Container", 1,
                        NULL},
    [KUBE_IMAGE] = {KUBE_IMAGE, "containers.rancherdesktop.io", "v1alpha1",
                    "images", "image", "Image", 1, NULL},
    [KUBE_VOLUME] = {KUBE_VOLUME, "containers.rancherdesktop.io", "v1alpha1",
                     "volumes", "volume", "Volume", 1, NULL},
    [KUBE_CONTAINER_NS] = {KUBE_CONTAINER_NS, "containers.rancherdesktop.io",
                           "v1alpha1", "containernamespaces",
                           "containernamespace", "ContainerNamespace", 1,
                           "cns"},
    [KUBE_LIMAVM] = {KUBE_LIMAVM, "lima.rancherdesktop.io", "v1alpha1",
                     "limavms", "limavm", "LimaVM", 1, NULL},
    [KUBE_CONFIGMAP] = {KUBE_CONFIGMAP, "", "v1", "configmaps", "configmap",
                        "ConfigMap", 1, "cm"},
};

const kube_front_res_t *kube_front_resource(kube_kind_t k)
{
    return (unsigned)k < KUBE_KIND__COUNT ? &resources[k] : NULL;
}

void kube__front_qualified(const kube_front_res_t *r, char *out, size_t len)
{
    if (r->group[0])
        snprintf(out, len, "%s.%s", r->plural, r->group);
    else
        snprintf(out, len, "%s", r->plural);
}

void kube__front_time(const kube__front_clock_t *k, uint64_t ns, char *out,
                      size_t len)
{
    double sp = k && k->speed > 0 ? k->speed : 1;
    time_t s =
        (time_t)((k ? k->epoch_s : 0) + (int64_t)((double)ns / 1e9 / sp));
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* rendering ---------------------------------------------------------------*/

static int int_field(const char *key)
{
    static const char *const ints[] = {KUBE_FRONT_INT_FIELDS};
    const char *last = strrchr(key, '.');
    size_t i;
    last = last ? last + 1 : key;
    for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        if (!strcmp(last, ints[i]))
            return 1;
    return 0;
}

static json_t *value(const char *key, const char *v)
{
    if (!strcmp(v, "true"))
        return json_true();
    if (!strcmp(v, "false"))
        return json_false();
    if (int_field(key) && v[0]) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (!*end)
            return json_integer(n);
    }
    return json_string(v);
}

/* Sets the dotted key ("containerEngine.name") in obj as nested objects. */
static void set_path(json_t *obj, const char *key, json_t *v)
{
    char seg[KUBE_KEY_MAX];
    const char *dot = strchr(key, '.');
    json_t *sub;
    if (!dot) {
        json_object_set_new(obj, key, v);
        return;
    }
    snprintf(seg, sizeof(seg), "%.*s", (int)(dot - key), key);
    sub = json_object_get(obj, seg);
    if (!json_is_object(sub)) {
        sub = json_object();
        json_object_set_new(obj, seg, sub);
    }
    set_path(sub, dot + 1, v);
}

json_t *kube__front_render(const kube_obj_t *o, uint64_t rv,
                           const char *created, const kube__front_clock_t *k)
{
    const kube_front_res_t *r = kube_front_resource(o->kind);
    char api[96], buf[64];
    json_t *j, *md, *spec, *status, *ann = NULL;
    int i;
    if (r->group[0])
        snprintf(api, sizeof(api), "%s/%s", r->group, r->version);
    else
        snprintf(api, sizeof(api), "%s", r->version);
    j = json_object();
    md = json_object();
    spec = json_object();
    status = json_object();
    if (!j || !md || !spec || !status) {
        json_decref(j), json_decref(md), json_decref(spec);
        json_decref(status);
        return NULL;
    }
    json_object_set_new(j, "apiVersion", json_string(api));
    json_object_set_new(j, "kind", json_string(r->kind_name));
    json_object_set_new(md, "name", json_string(o->name));
    if (r->namespaced)
        json_object_set_new(md, "namespace", json_string(o->ns));
    /* The store's uid is a counter: shown in a UUID's shape. */
    snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012" PRIx64, o->uid);
    json_object_set_new(md, "uid", json_string(buf));
    snprintf(buf, sizeof(buf), "%" PRIu64, rv ? rv : o->rv);
    json_object_set_new(md, "resourceVersion", json_string(buf));
    if (o->kind != KUBE_CONFIGMAP)
        json_object_set_new(md, "generation",
                            json_integer((json_int_t)o->generation));
    if (created)
        json_object_set_new(md, "creationTimestamp", json_string(created));
    if (o->deleting) {
        kube__front_time(k, o->deletion_ns, buf, sizeof(buf));
        json_object_set_new(md, "deletionTimestamp", json_string(buf));
        json_object_set_new(md, "deletionGracePeriodSeconds", json_integer(0));
    }
    if (o->nfin > 0) {
        json_t *fins = json_array();
        for (i = 0; i < o->nfin; i++)
            json_array_append_new(fins, json_string(o->fin[i]));
        json_object_set_new(md, "finalizers", fins);
    }
    for (i = 0; i < o->nspec; i++) {
        const kube_field_t *f = &o->spec[i];
        size_t pl = strlen(KUBE_ANNOTATION_PREFIX);
        if (!strncmp(f->key, KUBE_ANNOTATION_PREFIX, pl)) {
            if (!ann)
                ann = json_object();
            json_object_set_new(ann, f->key + pl, json_string(f->val));
        } else if (o->kind == KUBE_CONFIGMAP)
            json_object_set_new(spec, f->key, json_string(f->val));
        else
            set_path(spec, f->key, value(f->key, f->val));
    }
    if (ann)
        json_object_set_new(md, "annotations", ann);
    for (i = 0; i < o->nstatus; i++)
        set_path(status, o->status[i].key,
                 value(o->status[i].key, o->status[i].val));
    if (o->nconds > 0) {
        json_t *conds = json_array();
        for (i = 0; i < o->nconds; i++) {
            const kube_cond_t *c = &o->conds[i];
            kube__front_time(k, c->last_transition_ns, buf, sizeof(buf));
            json_array_append_new(
                conds, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "type", c->type,
                                 "status", c->status, "reason",
                                 c->reason[0] ? c->reason : "Unknown",
                                 "message", c->message, "observedGeneration",
                                 (json_int_t)c->observed_gen,
                                 "lastTransitionTime", buf));
        }
        json_object_set_new(status, "conditions", conds);
    }
    json_object_set_new(j, "metadata", md);
    if (o->kind == KUBE_CONFIGMAP) {
        json_object_set_new(j, "data", spec);
        json_decref(status);
    } else {
        json_object_set_new(j, "spec", spec);
        json_object_set_new(j, "status", status);
    }
    return j;
}

json_t *kube__front_status(int code, const char *reason, const char *msg,
                           const kube_front_res_t *r, const char *name)
{
    json_t *j = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status",
                          "apiVersion", "v1", "metadata", "status", "Failure",
                          "message", msg, "reason", reason, "code", code);
    if (j && (r || (name && name[0]))) {
        json_t *d = json_object();
        if (name && name[0])
            json_object_set_new(d, "name", json_string(name));
        if (r) {
            json_object_set_new(d, "group", json_string(r->group));
            json_object_set_new(d, "kind", json_string(r->plural));
        }
        json_object_set_new(j, "details", d);
    }
    return j;
}

/* merge patches ------------------------------------------------------------*/

json_t *kube__front_merge(json_t *target, json_t *patch)
{
    const char *k;
    json_t *v;
    if (!json_is_object(patch)) {
        json_decref(target);
        return json_incref(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
    }
    json_object_foreach(patch, k, v)
    {
        if (json_is_null(v)) {
            json_object_del(target, k);
            continue;
        }
        json_object_set_new(
            target, k,
            kube__front_merge(json_incref(json_object_get(target, k)), v));
    }
    return target;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

typedef struct {
    const kube_obj_t *cur;
    kube_obj_t *mod;
    kube__front_invalid_t *why;
} flat_t;

static int invalid(flat_t *f, const char *path, const char *detail)
{
    snprintf(f->why->field, sizeof(f->why->field), "%s", path);
    snprintf(f->why->detail, sizeof(f->why->detail), "%s", detail);
    snprintf(f->why->type, sizeof(f->why->type), "%s",
             !strncmp(detail, "Invalid value", 13) ? "FieldValueInvalid"
                                                   : "FieldValueTooLong");
    return 422;
}

json_t *kube__front_invalid(const kube_obj_t *o,
                            const kube__front_invalid_t *why)
{
    const kube_front_res_t *r = kube_front_resource(o->kind);
    char msg[700];
    json_t *j;
    snprintf(msg, sizeof(msg), "%s%s%s \"%s\" is invalid: %s: %s", r->kind_name,
             r->group[0] ? "." : "", r->group, o->name, why->field,
             why->detail);
    j = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:{s:s,s:s,s:s,s:[{s:s,s:s,"
                  "s:s}]},s:i}",
                  "kind", "Status", "apiVersion", "v1", "metadata", "status",
                  "Failure", "message", msg, "reason", "Invalid", "details",
                  "name", o->name, "group", r->group, "kind", r->kind_name,
                  "causes", "reason", why->type, "message", why->detail,
                  "field", why->field, "code", 422);
    return j;
}

/* Flattens obj's leaves into mod's spec fields under prefix. */
static int flatten(flat_t *f, json_t *obj, const char *prefix)
{
    const char *k;
    json_t *v;
    char key[KUBE_KEY_MAX + 8], val[KUBE_VAL_MAX], path[KUBE_KEY_MAX + 16];
    int rc;
    json_object_foreach(obj, k, v)
    {
        const char *old;
        if (snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "",
                     k) >= KUBE_KEY_MAX) {
            snprintf(path, sizeof(path), "spec.%s", key);
            return invalid(f, path,
                           "Too long: the fake keeps keys of at "
                           "most 39 bytes");
        }
        snprintf(path, sizeof(path), "spec.%s", key);
        if (json_is_object(v)) {
            if ((rc = flatten(f, v, key)) != 0)
                return rc;
            continue;
        }
        old = kube_spec_get(f->cur, key);
        /* The CRD's schema types the field; the fake knows the type of
         * the value it holds. */
        if (old && (!strcmp(old, "true") || !strcmp(old, "false")) &&
            !json_is_boolean(v)) {
            char d[200];
            snprintf(d, sizeof(d),
                     "Invalid value: \"%s\": %s in body must be of type "
                     "boolean: \"%s\"",
                     type_name(v), path, type_name(v));
            invalid(f, path, d);
            snprintf(f->why->type, sizeof(f->why->type),
                     "FieldValueTypeInvalid");
            return 422;
        }
        if (json_is_string(v))
            snprintf(val, sizeof(val), "%s", json_string_value(v));
        else if (json_is_boolean(v))
            snprintf(val, sizeof(val), "%s",
                     json_is_true(v) ? "true" : "false");
        else if (json_is_integer(v))
            snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        else if (json_is_real(v))
            snprintf(val, sizeof(val), "%.17g", json_real_value(v));
        else {
            char *t = json_dumps(v, JSON_COMPACT);
            snprintf(val, sizeof(val), "%s", t ? t : "");
            free(t);
        }
        if (kube_spec_set(f->mod, key, val) != 0)
            return invalid(f, "spec",
                           "Too many: the fake keeps at most 12 "
                           "fields");
    }
    return 0;
}

int kube__front_from_json(const kube_obj_t *cur, json_t *merged,
                          kube_obj_t *mod, kube__front_invalid_t *why)
{
    json_t *md = json_object_get(merged, "metadata");
    json_t *spec =
        json_object_get(merged, cur->kind == KUBE_CONFIGMAP ? "data" : "spec");
    json_t *ann = json_object_get(md, "annotations");
    json_t *fins = json_object_get(md, "finalizers");
    const char *k;
    json_t *v;
    size_t i;
    flat_t f = {cur, mod, why};
    int rc;
    *mod = *cur;
    mod->nspec = 0;
    memset(mod->spec, 0, sizeof(mod->spec));
    if (!json_is_object(merged))
        return invalid(&f, "<body>", "Invalid value: not an object");
    if (spec && !json_is_object(spec))
        return invalid(&f, "spec", "Invalid value: must be an object");
    if (spec && (rc = flatten(&f, spec, "")) != 0)
        return rc;
    if (ann && !json_is_object(ann))
        return invalid(&f, "metadata.annotations",
                       "Invalid value: must be an object");
    json_object_foreach(ann, k, v)
    {
        char key[KUBE_KEY_MAX + 64];
        if (!json_is_string(v))
            return invalid(&f, "metadata.annotations",
                           "Invalid value: values must be strings");
        snprintf(key, sizeof(key), "%s%s", KUBE_ANNOTATION_PREFIX, k);
        if (strlen(key) >= KUBE_KEY_MAX ||
            kube_spec_set(mod, key, json_string_value(v)) != 0)
            return invalid(&f, "metadata.annotations",
                           "Too long: the fake keeps at most 12 fields of "
                           "at most 39 bytes");
    }
    mod->nfin = 0;
    memset(mod->fin, 0, sizeof(mod->fin));
    if (fins && !json_is_array(fins))
        return invalid(&f, "metadata.finalizers",
                       "Invalid value: must be a list");
    json_array_foreach(fins, i, v)
    {
        if (!json_is_string(v) ||
            json_string_length(v) >= sizeof(mod->fin[0]) ||
            mod->nfin == KUBE_FINALIZERS_MAX)
            return invalid(&f, "metadata.finalizers",
                           "Invalid value: at most 4 strings of at most 63 "
                           "bytes");
        kube_add_finalizer(mod, json_string_value(v));
    }
    return 0;
}

/* Table output (kubectl get)
 * -------------------------------------------------*/

/* The printer columns of RDD's CRDs (additionalPrinterColumns:
 * rdd/pkg/controllers/containers/container/crd.yaml:243-246,
 * rdd/pkg/controllers/containers/image/crd.yaml:284-294,
 * rdd/pkg/controllers/containers/volume/crd.yaml:161-164,
 * rdd/pkg/controllers/lima/limavm/crd.yaml:23-26); every CRD also gets
 * Age.  cond: the column is .status.conditions[?(@.type==cond)].<path>. */
typedef struct {
    const char *name, *type, *format;
    const char *path; /* dotted, from the object's root */
    const char *cond;
} column_t;

static const column_t cols_container[] = {
    {"Running", "boolean", "", "status", "Running"}, {NULL, NULL, NULL, NULL, NULL}};
static const column_t cols_image[] = {
    {"Tag", "string", "", "status.repoTag", NULL},
    {"Created", "date", "", "status.createdAt", NULL},
    {"Size", "integer", "byte", "status.size", NULL},
    {NULL, NULL, NULL, NULL, NULL}};
static const column_t cols_volume[] = {
    {"Driver", "string", "", "status.driver", NULL}, {NULL, NULL, NULL, NULL, NULL}};
static const column_t cols_limavm[] = {
    {"Running", "boolean", "", "spec.running", NULL}, {NULL, NULL, NULL, NULL, NULL}};
static const column_t cols_none[] = {{NULL, NULL, NULL, NULL, NULL}};

static const column_t *columns(kube_kind_t k)
{
    switch (k) {
    case KUBE_CONTAINER:
        return cols_container;
    case KUBE_IMAGE:
        return cols_image;
    case KUBE_VOLUME:
        return cols_volume;
    case KUBE_LIMAVM:
        return cols_limavm;
    default:
        return cols_none;
    }
}

static json_t *at_path(json_t *j, const char *path)
{
    char seg[64];
    while (j && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(seg, sizeof(seg), "%.*s", (int)n, path);
        j = json_object_get(j, seg);
        path += n + (dot ? 1 : 0);
    }
    return j;
}

/* Seconds since 1970 of "YYYY-MM-DDTHH:MM:SSZ"; -1 if not one. */
static int64_t parse_time(const char *s)
{
    int y, mo, d, h, mi, se;
    int64_t days;
    if (!s ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &se) != 6)
        return -1;
    /* days from civil (proleptic Gregorian) */
    y -= mo <= 2;
    {
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        days = era * 146097 + doe - 719468;
    }
    return days * 86400 + h * 3600 + mi * 60 + se;
}

/* apimachinery's duration.HumanDuration. */
static void human(int64_t s, char *out, size_t len)
{
    int64_t m = s / 60, h = s / 3600;
    if (s < -1)
        snprintf(out, len, "<invalid>");
    else if (s < 0)
        snprintf(out, len, "0s");
    else if (s < 120)
        snprintf(out, len, "%llds", (long long)s);
    else if (m < 10)
        snprintf(out, len, s % 60 ? "%lldm%llds" : "%lldm", (long long)m,
                 (long long)(s % 60));
    else if (m < 180)
        snprintf(out, len, "%lldm", (long long)m);
    else if (h < 8)
        snprintf(out, len, m % 60 ? "%lldh%lldm" : "%lldh", (long long)h,
                 (long long)(m % 60));
    else if (h < 48)
        snprintf(out, len, "%lldh", (long long)h);
    else if (h < 24 * 8)
        snprintf(out, len, h % 24 ? "%lldd%lldh" : "%lldd", (long long)(h / 24),
                 (long long)(h % 24));
    else if (h < 24 * 365 * 2)
        snprintf(out, len, "%lldd", (long long)(h / 24));
    else
        snprintf(out, len, "%lldy", (long long)(h / 24 / 365));
}

static json_t *age_cell(json_t *v, int64_t now_s)
{
    char b[32];
    int64_t t = parse_time(json_string_value(v));
    if (t < 0)
        return json_null();
    human(now_s - t, b, sizeof(b));
    return json_string(b);
}

static json_t *row(kube_kind_t kind, json_t *obj, int64_t now_s)
{
    const column_t *c;
    json_t *cells = json_array(), *md = json_object_get(obj, "metadata");
    json_array_append(cells, json_object_get(md, "name"));
    for (c = columns(kind); c->name; c++) {
        json_t *v = at_path(obj, c->path);
        if (c->cond) {
            json_t *conds = json_object_get(v, "conditions"), *e;
            size_t i;
            v = NULL;
            json_array_foreach(
                conds, i,
                e) if (!strcmp(json_string_value(json_object_get(e, "type"))
                                   ? json_string_value(
                                         json_object_get(e, "type"))
                                   : "",
                               c->cond)) v = json_object_get(e, "status");
        }
        if (!strcmp(c->type, "date"))
            json_array_append_new(cells, age_cell(v, now_s));
        else
            json_array_append(cells, v ? v : json_null());
    }
    if (kind == KUBE_CONFIGMAP)
        json_array_append_new(cells, json_integer((json_int_t)json_object_size(
                                         json_object_get(obj, "data"))));
    json_array_append_new(
        cells, age_cell(json_object_get(md, "creationTimestamp"), now_s));
    return json_pack("{s:o,s:{s:s,s:s,s:O}}", "cells", cells, "object", "kind",
                     "PartialObjectMetadata", "apiVersion", "meta.k8s.io/v1",
                     "metadata", md);
}

json_t *kube__front_table(kube_kind_t kind, json_t *const *objs, size_t n,
                          const char *rv, uint64_t now_ns,
                          const kube__front_clock_t *k, int headers)
{
    const column_t *c;
    json_t *defs = json_array(), *rows = json_array(), *t;
    double sp = k && k->speed > 0 ? k->speed : 1;
    int64_t now_s = (k ? k->epoch_s : 0) + (int64_t)((double)now_ns / 1e9 / sp);
    size_t i;
    if (headers) {
        json_array_append_new(
            defs, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", "Name", "type",
                            "string", "format", "name", "description",
                            "Name must be unique within a namespace.",
                            "priority", 0));
        for (c = columns(kind); c->name; c++)
            json_array_append_new(
                defs, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", c->name,
                                "type", c->type, "format", c->format,
                                "description", "", "priority", 0));
        if (kind == KUBE_CONFIGMAP)
            json_array_append_new(
                defs, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", "Data", "type",
                                "string", "format", "", "description", "",
                                "priority", 0));
        json_array_append_new(
            defs, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", "Age", "type",
                            "string", "format", "", "description",
                            "CreationTimestamp is a timestamp representing "
                            "the server time when this object was created.",
                            "priority", 0));
    }
    for (i = 0; i < n; i++)
        json_array_append_new(rows, row(kind, objs[i], now_s));
    t = json_pack("{s:s,s:s,s:{s:s},s:o,s:o}", "kind", "Table", "apiVersion",
                  "meta.k8s.io/v1", "metadata", "resourceVersion", rv ? rv : "",
                  "columnDefinitions", defs, "rows", rows);
    return t;
}
