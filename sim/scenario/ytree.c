/*
 * ytree.c: libyaml event stream -> yt_node_t tree with marks.  See ytree.h.
 */
#include "ytree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/rng.h"
#include "sim/suggest.h"


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

/* Grows parent's arrays geometrically, so n pushes cost O(n). */
static int node_grow(yt_node_t *parent)
{
    size_t cap = parent->cap ? parent->cap * 2 : 4;
    yt_node_t **vals = sim__realloc(parent->vals, cap * sizeof(*vals));
    if (!vals)
        return SIM_ENOMEM;
    parent->vals = vals;
    if (parent->kind == YT_MAP) {
        yt_node_t **keys = sim__realloc(parent->keys, cap * sizeof(*keys));
        unsigned char *used;
        if (!keys)
            return SIM_ENOMEM;
        parent->keys = keys;
        if (!(used = sim__realloc(parent->used, cap)))
            return SIM_ENOMEM;
        parent->used = used;
    }
    parent->cap = cap;
    return 0;
}

static int node_push(yt_node_t *parent, yt_node_t *key, yt_node_t *val)
{
    if (parent->n == parent->cap && node_grow(parent))
        return SIM_ENOMEM;
    if (parent->kind == YT_MAP) {
        parent->keys[parent->n] = key;
        parent->used[parent->n] = 0;
    }
    parent->vals[parent->n++] = val;
    return 0;
}

/* Duplicate keys: a map's keys in an open-addressing table of indices
 * (FNV-1a; lookups only, never iterated), built while the map is read, so
 * a map of n keys costs O(n), not O(n^2). */
typedef struct {
    uint32_t *slot; /* index + 1, 0 = empty */
    size_t cap;     /* power of two */
    size_t n;
} keyset_t;

static uint64_t fnv1a(const char *s)
{
    return sim_fnv1a(s, strlen(s), SIM_FNV_OFFSET);
}

static void keyset_free(keyset_t *ks)
{
    SIM_FREE(ks->slot);
    ks->cap = ks->n = 0;
}

/* Is key in map (whose keys ks indexes)?  If not, adds it as index idx.
 * 1: duplicate, 0: added, SIM_ENOMEM. */
static int keyset_add(keyset_t *ks, yt_node_t *map, const char *key,
                      size_t idx)
{
    size_t i;
    if ((ks->n + 1) * 2 > ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 16, j;
        uint32_t *slot = sim__calloc(cap, sizeof(*slot));
        if (!slot)
            return SIM_ENOMEM;
        for (j = 0; j < ks->cap; j++)
            if (ks->slot[j]) {
                i = (size_t)fnv1a(map->keys[ks->slot[j] - 1]->scalar) &
                    (cap - 1);
                while (slot[i])
                    i = (i + 1) & (cap - 1);
                slot[i] = ks->slot[j];
            }
        sim__free(ks->slot);
        ks->slot = slot;
        ks->cap = cap;
    }
    i = (size_t)fnv1a(key) & (ks->cap - 1);
    while (ks->slot[i]) {
        if (!strcmp(map->keys[ks->slot[i] - 1]->scalar, key))
            return 1;
        i = (i + 1) & (ks->cap - 1);
    }
    ks->slot[i] = (uint32_t)idx + 1;
    ks->n++;
    return 0;
}

typedef struct {
    yt_node_t *node;
    yt_node_t *pending_key; /* maps: key read, value not yet */
    keyset_t keys;          /* maps: the keys read so far */
} frame_t;

/* Where libyaml's error is: a reader error (bad UTF-8, a control
 * character such as NUL) has only a byte offset, which is turned into
 * line:col over the input; the others carry a mark. */
static int set_parse_error(yt_error_t *err, yaml_parser_t *p,
                           const char *buf, size_t len)
{
    if (p->error == YAML_READER_ERROR) {
        size_t i, off = p->problem_offset < len ? p->problem_offset : len;
        int line = 1, col = 1;
        for (i = 0; i < off; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
                col++; /* count characters, not continuation bytes */
            }
        }
        err->line = line;
        err->col = col;
        if (p->problem_value >= 0)
            snprintf(err->msg, sizeof(err->msg), "%s (byte 0x%02X)%s",
                     p->problem ? p->problem : "cannot read the input",
                     (unsigned)p->problem_value & 0xFF,
                     "; scenario files are UTF-8 text");
        else
            snprintf(err->msg, sizeof(err->msg), "%s",
                     p->problem ? p->problem : "cannot read the input");
        return SIM_ESYNTAX;
    }
    {
        const yaml_mark_t *m =
            p->problem ? &p->problem_mark : &p->context_mark;
        err->line = (int)m->line + 1;
        err->col = (int)m->column + 1;
    }
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
        if (node->kind != YT_SCALAR) {
            rc = yt_fail(err, node, "a map key must be a plain scalar");
            yt_free(node);
            return rc;
        }
        rc = keyset_add(&top->keys, top->node, node->scalar, top->node->n);
        if (rc) {
            if (rc == 1)
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

static int load(yaml_parser_t *p, const char *buf, size_t len,
                yt_node_t **root, yt_error_t *err)
{
    frame_t st[YT_DEPTH_MAX];
    int depth = 0, rc = 0, done = 0, docs = 0;
    size_t nodes = 0;
    yaml_event_t ev;
    *root = NULL;
    while (!done) {
        if (!yaml_parser_parse(p, &ev)) {
            rc = set_parse_error(err, p, buf, len);
            break;
        }
        if ((ev.type == YAML_SCALAR_EVENT ||
             ev.type == YAML_SEQUENCE_START_EVENT ||
             ev.type == YAML_MAPPING_START_EVENT) &&
            ++nodes > YT_NODES_MAX) {
            err->line = (int)ev.start_mark.line + 1;
            err->col = (int)ev.start_mark.column + 1;
            snprintf(err->msg, sizeof(err->msg),
                     "more than %d YAML nodes (keys, values and items) in "
                     "one file", YT_NODES_MAX);
            yaml_event_delete(&ev);
            rc = SIM_EINVAL;
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
                memset(&st[depth].keys, 0, sizeof(st[depth].keys));
                depth++;
            }
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            SIM_ASSERT(depth > 0);
            depth--;
            keyset_free(&st[depth].keys);
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
        keyset_free(&st[depth].keys);
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
    *root = NULL;
    if (len >= 2 && ((buf[0] == '\xFF' && buf[1] == '\xFE') ||
                     (buf[0] == '\xFE' && buf[1] == '\xFF'))) {
        err->line = err->col = 1;
        snprintf(err->msg, sizeof(err->msg),
                 "this file starts with a UTF-16 byte-order mark; scenario "
                 "files are UTF-8 text");
        return SIM_EINVAL;
    }
    if (!yaml_parser_initialize(&p))
        return SIM_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    rc = load(&p, buf, len, root, err);
    yaml_parser_delete(&p);
    return rc;
}

/* The file limit: RDDSIM_MAX_SCENARIO_BYTES (digits only), or the
 * default. */
static size_t file_limit(void)
{
    const char *e = getenv("RDDSIM_MAX_SCENARIO_BYTES");
    size_t v = 0;
    if (!e || !*e)
        return YT_FILE_MAX_DEFAULT;
    for (; *e >= '0' && *e <= '9'; e++) {
        if (v > ((size_t)-1 - 9) / 10)
            return (size_t)-1 / 2;
        v = v * 10 + (size_t)(*e - '0');
    }
    return *e || v == 0 ? YT_FILE_MAX_DEFAULT : v;
}

static int file_fail(yt_error_t *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int file_fail(yt_error_t *err, int rc, const char *fmt, ...)
{
    va_list ap;
    err->line = err->col = 0;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return rc;
}

int yt_load_file(const char *path, yt_node_t **root, yt_error_t *err)
{
    size_t limit = file_limit(), len = 0, cap;
    struct stat st;
    char *buf;
    int fd, rc;
    memset(err, 0, sizeof(*err));
    snprintf(err->file, sizeof(err->file), "%s", path);
    *root = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return file_fail(err, SIM_ENOENT, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = errno;
        close(fd);
        return file_fail(err, SIM_ENOENT, "cannot open: %s", strerror(rc));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return file_fail(err, SIM_EINVAL, "is a directory, not a scenario "
                         "file (rddsim suite runs a directory)");
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > limit) {
        close(fd);
        return file_fail(err, SIM_EINVAL, "is %llu bytes; a scenario file "
                         "has at most %zu (RDDSIM_MAX_SCENARIO_BYTES)",
                         (unsigned long long)st.st_size, limit);
    }
    /* Read at most limit + 1 bytes: a device that never ends (/dev/zero)
     * or a file that grew is refused, not read until memory runs out. */
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
    if (cap > limit + 1)
        cap = limit + 1;
    if (!(buf = sim__malloc(cap))) {
        close(fd);
        return SIM_ENOMEM;
    }
    for (;;) {
        ssize_t n;
        if (len == cap) {
            size_t ncap = cap > (limit + 1) / 2 ? limit + 1 : cap * 2;
            char *nb;
            if (len > limit)
                break;
            if (!(nb = sim__realloc(buf, ncap))) {
                sim__free(buf);
                close(fd);
                return SIM_ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno;
            sim__free(buf);
            close(fd);
            return file_fail(err, SIM_EINVAL, "cannot read: %s",
                             strerror(rc));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (len > limit) {
        sim__free(buf);
        return file_fail(err, SIM_EINVAL, "is larger than %zu bytes, the "
                         "limit for a scenario file "
                         "(RDDSIM_MAX_SCENARIO_BYTES)", limit);
    }
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
