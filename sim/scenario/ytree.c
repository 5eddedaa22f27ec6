/*
 * ytree.c: libyaml event stream -> yt_node_t tree with marks.  See ytree.h.
 */
#include "ytree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/suggest.h"

#define YT_DEPTH_MAX 64

int yt_fail(yt_error_t *err, const yt_node_t *n, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return SIM_EINVAL;
    err->line = n ? n->line : 0;
    err->col = n ? n->col : 0;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return SIM_EINVAL;
}

static yt_node_t *node_new(yt_kind_t kind, const yaml_mark_t *m)
{
    yt_node_t *n = sim__calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    return n;
}

void yt_free(yt_node_t *n)
{
    size_t i;
    if (!n)
        return;
    for (i = 0; i < n->n; i++) {
        if (n->keys)
            yt_free(n->keys[i]);
        yt_free(n->vals[i]);
    }
    sim__free(n->keys);
    sim__free(n->vals);
    sim__free(n->used);
    sim__free(n->scalar);
    sim__free(n);
}

static int node_push(yt_node_t *parent, yt_node_t *key, yt_node_t *val)
{
    size_t n = parent->n + 1;
    yt_node_t **vals = sim__realloc(parent->vals, n * sizeof(*vals));
    if (!vals)
        return SIM_ENOMEM;
    parent->vals = vals;
    if (parent->kind == YT_MAP) {
        yt_node_t **keys = sim__realloc(parent->keys, n * sizeof(*keys));
        unsigned char *used;
        if (!keys)
            return SIM_ENOMEM;
        parent->keys = keys;
        used = sim__realloc(parent->used, n);
        if (!used)
            return SIM_ENOMEM;
        parent->used = used;
        parent->keys[parent->n] = key;
        parent->used[parent->n] = 0;
    }
    parent->vals[parent->n] = val;
    parent->n = n;
    return 0;
}

typedef struct {
    yt_node_t *node;
    yt_node_t *pending_key; /* maps: key read, value not yet */
} frame_t;

static int set_parse_error(yt_error_t *err, yaml_parser_t *p)
{
    const yaml_mark_t *m =
        p->problem_mark.line || p->problem_mark.column ? &p->problem_mark
                                                       : &p->context_mark;
    err->line = (int)m->line + 1;
    err->col = (int)m->column + 1;
    snprintf(err->msg, sizeof(err->msg), "%s%s%s",
             p->problem ? p->problem : "YAML syntax error",
             p->context ? " " : "", p->context ? p->context : "");
    return SIM_ESYNTAX;
}

/* Attaches node to the top frame; takes ownership on success and failure. */
static int attach(frame_t *st, int depth, yt_node_t **root, yt_node_t *node,
                  yt_error_t *err)
{
    frame_t *top;
    int rc;
    if (depth == 0) {
        *root = node;
        return 0;
    }
    top = &st[depth - 1];
    if (top->node->kind == YT_SEQ) {
        rc = node_push(top->node, NULL, node);
    } else if (!top->pending_key) {
        size_t i;
        if (node->kind != YT_SCALAR) {
            rc = yt_fail(err, node, "a map key must be a plain scalar");
            yt_free(node);
            return rc;
        }
        for (i = 0; i < top->node->n; i++)
            if (!strcmp(top->node->keys[i]->scalar, node->scalar)) {
                rc = yt_fail(err, node, "duplicate key '%s'", node->scalar);
                yt_free(node);
                return rc;
            }
        top->pending_key = node;
        return 0;
    } else {
        rc = node_push(top->node, top->pending_key, node);
        if (rc == 0)
            top->pending_key = NULL;
    }
    if (rc)
        yt_free(node);
    return rc;
}

static int load(yaml_parser_t *p, yt_node_t **root, yt_error_t *err)
{
    frame_t st[YT_DEPTH_MAX];
    int depth = 0, rc = 0, done = 0, docs = 0;
    yaml_event_t ev;
    *root = NULL;
    while (!done) {
        if (!yaml_parser_parse(p, &ev)) {
            rc = set_parse_error(err, p);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                err->line = (int)ev.start_mark.line + 1;
                err->col = (int)ev.start_mark.column + 1;
                snprintf(err->msg, sizeof(err->msg),
                         "a scenario file holds one YAML document");
                rc = SIM_EINVAL;
            }
            break;
        case YAML_ALIAS_EVENT:
            err->line = (int)ev.start_mark.line + 1;
            err->col = (int)ev.start_mark.column + 1;
            snprintf(err->msg, sizeof(err->msg),
                     "anchors and aliases are not supported");
            rc = SIM_EINVAL;
            break;
        case YAML_SCALAR_EVENT: {
            yt_node_t *n = node_new(YT_SCALAR, &ev.start_mark);
            if (!n) {
                rc = SIM_ENOMEM;
                break;
            }
            if (ev.data.scalar.anchor || ev.data.scalar.tag) {
                rc = yt_fail(err, n, "anchors and tags are not supported");
                yt_free(n);
                break;
            }
            n->scalar = sim__malloc(ev.data.scalar.length + 1);
            if (!n->scalar) {
                yt_free(n);
                rc = SIM_ENOMEM;
                break;
            }
            memcpy(n->scalar, ev.data.scalar.value, ev.data.scalar.length);
            n->scalar[ev.data.scalar.length] = 0;
            if (strlen(n->scalar) != ev.data.scalar.length) {
                rc = yt_fail(err, n, "NUL byte in a scalar");
                yt_free(n);
                break;
            }
            n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
            rc = attach(st, depth, root, n, err);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            yt_node_t *n = node_new(ev.type == YAML_MAPPING_START_EVENT
                                        ? YT_MAP
                                        : YT_SEQ,
                                    &ev.start_mark);
            if (!n) {
                rc = SIM_ENOMEM;
                break;
            }
            if (depth >= YT_DEPTH_MAX) {
                rc = yt_fail(err, n, "nesting deeper than %d", YT_DEPTH_MAX);
                yt_free(n);
                break;
            }
            rc = attach(st, depth, root, n, err);
            if (rc == 0) {
                st[depth].node = n;
                st[depth].pending_key = NULL;
                depth++;
            }
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            SIM_ASSERT(depth > 0);
            depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc)
            break;
    }
    /* On error, free keys read but not attached. */
    while (depth > 0) {
        depth--;
        yt_free(st[depth].pending_key);
    }
    if (rc) {
        yt_free(*root);
        *root = NULL;
    } else if (!*root) {
        err->line = 1;
        err->col = 1;
        snprintf(err->msg, sizeof(err->msg), "empty scenario file");
        rc = SIM_EINVAL;
    }
    return rc;
}

int yt_load_buffer(const char *name, const char *buf, size_t len,
                   yt_node_t **root, yt_error_t *err)
{
    yaml_parser_t p;
    int rc;
    memset(err, 0, sizeof(*err));
    snprintf(err->file, sizeof(err->file), "%s", name);
    if (!yaml_parser_initialize(&p))
        return SIM_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    rc = load(&p, root, err);
    yaml_parser_delete(&p);
    return rc;
}

int yt_load_file(const char *path, yt_node_t **root, yt_error_t *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    int rc;
    memset(err, 0, sizeof(*err));
    snprintf(err->file, sizeof(err->file), "%s", path);
    if (!f) {
        snprintf(err->msg, sizeof(err->msg), "cannot open: %s",
                 strerror(errno));
        return SIM_ENOENT;
    }
    for (;;) {
        if (len + 4096 > cap) {
            char *nb = sim__realloc(buf, cap = cap * 2 + 8192);
            if (!nb) {
                sim__free(buf);
                fclose(f);
                return SIM_ENOMEM;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    rc = yt_load_buffer(path, buf, len, root, err);
    sim__free(buf);
    return rc;
}

yt_node_t *yt_get(yt_node_t *map, const char *key)
{
    size_t i;
    if (!map || map->kind != YT_MAP)
        return NULL;
    for (i = 0; i < map->n; i++)
        if (!strcmp(map->keys[i]->scalar, key)) {
            map->used[i] = 1;
            return map->vals[i];
        }
    return NULL;
}

int yt_allow(yt_node_t *map, const char *where, const char *const *keys,
             size_t n, yt_error_t *err)
{
    size_t i, k;
    if (!map || map->kind != YT_MAP)
        return 0;
    for (i = 0; i < map->n; i++) {
        const char *key = map->keys[i]->scalar, *near;
        for (k = 0; k < n && strcmp(keys[k], key); k++)
            ;
        if (k < n)
            continue;
        near = sim_suggest(key, keys, n);
        if (near)
            return yt_fail(err, map->keys[i],
                           "unknown key '%s' in %s (did you mean '%s'?)", key,
                           where, near);
        return yt_fail(err, map->keys[i], "unknown key '%s' in %s", key,
                       where);
    }
    return 0;
}

int yt_unused(yt_node_t *map, const char *where, yt_error_t *err)
{
    size_t i;
    if (!map || map->kind != YT_MAP)
        return 0;
    for (i = 0; i < map->n; i++)
        if (!map->used[i])
            return yt_fail(err, map->keys[i], "unknown key '%s' in %s",
                           map->keys[i]->scalar, where);
    return 0;
}

int yt_expect(yt_node_t *n, yt_kind_t kind, const char *what,
              yt_error_t *err)
{
    static const char *const names[] = {"a scalar", "a map", "a list"};
    if (n->kind == kind)
        return 0;
    return yt_fail(err, n, "%s must be %s", what, names[kind]);
}

int yt_str(yt_node_t *n, const char *what, char *out, size_t outlen,
           yt_error_t *err)
{
    int rc = yt_expect(n, YT_SCALAR, what, err);
    if (rc)
        return rc;
    if (strlen(n->scalar) >= outlen)
        return yt_fail(err, n, "%s is longer than %zu characters", what,
                       outlen - 1);
    memcpy(out, n->scalar, strlen(n->scalar) + 1);
    return 0;
}

int yt_bool(yt_node_t *n, const char *what, int *out, yt_error_t *err)
{
    int rc = yt_expect(n, YT_SCALAR, what, err);
    if (rc)
        return rc;
    if (!strcmp(n->scalar, "true"))
        *out = 1;
    else if (!strcmp(n->scalar, "false"))
        *out = 0;
    else
        return yt_fail(err, n, "%s must be true or false, not '%s'", what,
                       n->scalar);
    return 0;
}
