/*
 * cli_filter.c: --only and --around over the text trace.
 *
 * The world writes text lines (`t=1.250000000s #42 ev k=v k="a b"`) to the
 * stream cli_filter_stream returns; this file splits them into lines and
 * passes on the ones asked for:
 *   --only inst=rancher-desktop-2,ev=rdd.engine.*
 *       every term is KEY=GLOB (fnmatch); terms with one key are
 *       alternatives, terms with different keys must all hold.  KEY `ev`
 *       is the event name; `kind` matches a kind= field or the event name.
 *   --around S1:5
 *       the 5 lines before and after the first sim.invariant.violated line
 *       of S1 (":±5" and ":+-5" read the same; default 5).
 */
#define _GNU_SOURCE /* fopencookie */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sim/alloc.h"

#define FILTER_TERMS_MAX 16
#define AROUND_MAX 1000

typedef struct {
    char key[32];
    char glob[128];
} term_t;

struct cli_filter {
    FILE *out;
    FILE *in;                 /* the cookie stream the world writes to */
    term_t t[FILTER_TERMS_MAX];
    int nt;
    char around_id[16];       /* "" = no --around */
    size_t around_n;
    char **ring;              /* the last around_n kept lines */
    size_t ring_len, ring_head;
    size_t after;             /* lines still to print after the hit */
    int hit;                  /* the violation was seen in this run */
    char *line;
    size_t len, cap;
};

/* The value of key in a text trace line, unquoted, into out; 0 if none. */
static int field(const char *line, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    const char *p = strchr(line, '#');
    p = p ? strchr(p, ' ') : NULL;  /* after "#seq" */
    p = p ? strchr(p + 1, ' ') : NULL; /* after the event name */
    while (p && *p) {
        const char *k = p + 1, *v = strchr(k, '=');
        size_t used = 0;
        if (!v)
            return 0;
        p = v + 1;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (used + 1 < len)
                    out[used++] = *p;
            }
            if (*p)
                p++;
        } else {
            for (; *p && *p != ' '; p++)
                if (used + 1 < len)
                    out[used++] = *p;
        }
        out[used] = 0;
        if ((size_t)(v - k) == kl && !strncmp(k, key, kl))
            return 1;
        if (*p != ' ')
            return 0;
    }
    return 0;
}

static void event_name(const char *line, char *out, size_t len)
{
    const char *p = strchr(line, '#');
    size_t n;
    out[0] = 0;
    p = p ? strchr(p, ' ') : NULL;
    if (!p)
        return;
    p++;
    n = strcspn(p, " ");
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

static int term_holds(const term_t *t, const char *line, const char *ev)
{
    char val[4096];
    if (!strcmp(t->key, "ev") && !fnmatch(t->glob, ev, 0))
        return 1;
    if (!strcmp(t->key, "kind") && !fnmatch(t->glob, ev, 0))
        return 1;
    return field(line, t->key, val, sizeof(val)) && !fnmatch(t->glob, val, 0);
}

static int keep(const cli_filter_t *f, const char *line)
{
    char ev[96];
    int i, j;
    event_name(line, ev, sizeof(ev));
    for (i = 0; i < f->nt; i++) {
        int any = 0, seen = 0;
        for (j = 0; j < i; j++)
            seen |= !strcmp(f->t[j].key, f->t[i].key);
        if (seen)
            continue; /* judged with its first term */
        for (j = i; j < f->nt && !any; j++)
            any = !strcmp(f->t[j].key, f->t[i].key) &&
                  term_holds(&f->t[j], line, ev);
        if (!any)
            return 0;
    }
    return 1;
}

static void ring_push(cli_filter_t *f, const char *line)
{
    size_t slot = (f->ring_head + f->ring_len) % f->around_n;
    char *copy = strdup(line);
    if (!copy)
        return;
    if (f->ring_len == f->around_n) {
        free(f->ring[f->ring_head]);
        f->ring[f->ring_head] = copy;
        f->ring_head = (f->ring_head + 1) % f->around_n;
    } else {
        f->ring[slot] = copy;
        f->ring_len++;
    }
}

static void ring_flush(cli_filter_t *f, int print)
{
    size_t k;
    for (k = 0; k < f->ring_len; k++) {
        char **s = &f->ring[(f->ring_head + k) % f->around_n];
        if (print)
            fprintf(f->out, "%s\n", *s);
        free(*s);
        *s = NULL;
    }
    f->ring_len = f->ring_head = 0;
}

static int is_hit(const cli_filter_t *f, const char *line)
{
    char ev[96], id[16];
    event_name(line, ev, sizeof(ev));
    return !strcmp(ev, "sim.invariant.violated") &&
           field(line, "id", id, sizeof(id)) && !strcmp(id, f->around_id);
}

static void one_line(cli_filter_t *f, const char *line)
{
    if (!f->around_id[0]) {
        if (keep(f, line))
            fprintf(f->out, "%s\n", line);
        return;
    }
    if (!f->hit && is_hit(f, line)) {
        f->hit = 1;
        ring_flush(f, 1);
        fprintf(f->out, "%s\n", line);
        f->after = f->around_n;
        return;
    }
    if (!keep(f, line))
        return;
    if (f->hit) {
        if (f->after) {
            f->after--;
            fprintf(f->out, "%s\n", line);
        }
        return;
    }
    if (f->around_n)
        ring_push(f, line);
}

static ssize_t flt_write(void *cookie, const char *buf, size_t len)
{
    cli_filter_t *f = cookie;
    size_t i;
    for (i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            f->line[f->len] = 0;
            one_line(f, f->line);
            f->len = 0;
            continue;
        }
        if (f->len + 2 > f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 4096;
            char *p = realloc(f->line, cap);
            if (!p)
                return -1;
            f->line = p;
            f->cap = cap;
        }
        f->line[f->len++] = buf[i];
    }
    return (ssize_t)len;
}

static int parse_only(const char *cmd, const char *only, cli_filter_t *f)
{
    const char *p = only;
    while (*p) {
        size_t n = strcspn(p, ","), kl;
        const char *eq = memchr(p, '=', n);
        term_t *t;
        if (!eq || eq == p || eq + 1 == p + n)
            return cli_usage(cmd, "--only %.*s: not KEY=GLOB", (int)n, p);
        if (f->nt >= FILTER_TERMS_MAX)
            return cli_usage(cmd, "--only: more than %d terms",
                             FILTER_TERMS_MAX);
        kl = (size_t)(eq - p);
        t = &f->t[f->nt++];
        if (kl >= sizeof(t->key) || n - kl - 1 >= sizeof(t->glob))
            return cli_usage(cmd, "--only %.*s: too long", (int)n, p);
        snprintf(t->key, sizeof(t->key), "%.*s", (int)kl, p);
        snprintf(t->glob, sizeof(t->glob), "%.*s", (int)(n - kl - 1),
                 eq + 1);
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int parse_around(const char *cmd, const char *around, cli_filter_t *f)
{
    const char *colon = strchr(around, ':'), *num;
    uint64_t n = 5;
    size_t il = colon ? (size_t)(colon - around) : strlen(around);
    int rc;
    if (!il || il >= sizeof(f->around_id))
        return cli_usage(cmd, "--around %s: not an invariant id (S1, L6)",
                         around);
    snprintf(f->around_id, sizeof(f->around_id), "%.*s", (int)il, around);
    if (colon) {
        num = colon + 1;
        if (!strncmp(num, "\xc2\xb1", 2)) /* ± */
            num += 2;
        else if (!strncmp(num, "+-", 2))
            num += 2;
        if ((rc = cli_u64(cmd, "--around", num, &n)) != 0)
            return rc;
        if (n > AROUND_MAX)
            return cli_usage(cmd, "--around %s: at most %d lines", around,
                             AROUND_MAX);
    }
    f->around_n = (size_t)n;
    return 0;
}

int cli_filter_new(const char *cmd, const char *only, const char *around,
                   FILE *out, cli_filter_t **flt)
{
    static const cookie_io_functions_t io = {NULL, flt_write, NULL, NULL};
    cli_filter_t *f = calloc(1, sizeof(*f));
    int rc;
    *flt = NULL;
    if (!f)
        return EXIT_INTERNAL;
    f->out = out;
    if ((only && (rc = parse_only(cmd, only, f)) != 0) ||
        (around && (rc = parse_around(cmd, around, f)) != 0)) {
        free(f);
        return rc;
    }
    if (f->around_n && !(f->ring = calloc(f->around_n, sizeof(char *)))) {
        free(f);
        return EXIT_INTERNAL;
    }
    if (!(f->in = fopencookie(f, "w", io))) {
        free(f->ring);
        free(f);
        return EXIT_INTERNAL;
    }
    *flt = f;
    return 0;
}

FILE *cli_filter_stream(cli_filter_t *flt)
{
    return flt->in;
}

int cli_filter_end_run(cli_filter_t *flt)
{
    int missed;
    fflush(flt->in);
    missed = flt->around_id[0] && !flt->hit;
    if (flt->around_n)
        ring_flush(flt, 0);
    flt->hit = 0;
    flt->after = 0;
    return missed;
}

int cli_filter_free(cli_filter_t *flt)
{
    if (!flt)
        return 0;
    fclose(flt->in);
    if (flt->around_n)
        ring_flush(flt, 0);
    free(flt->ring);
    free(flt->line);
    free(flt);
    return 0;
}
