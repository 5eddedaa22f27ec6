/*
 * cli_explore_agg.c: seed lines folded, in seed order, into the findings
 * of a sweep (cli_explore.h): deduplicated by (inv, site), each with its
 * smallest seed, its hits, its variants and its known-hazard label; the
 * finding files (DIR/findings/SEED-INV-SITE.yaml), DIR/findings.jsonl and
 * the summary table.  Nothing here reads a clock: the same seed lines give
 * the same bytes.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_explore.h"
#include "explore/emit.h"
#include "explore/shrink.h"
#include "sim/alloc.h"
#include "sim/errno.h"

static int variant_bit(const xagg_t *a, const char *v, uint64_t *mask)
{
    int i;
    if (!strcmp(v, "*")) {
        *mask = a->nvariants >= 64 ? ~0ull : (1ull << a->nvariants) - 1;
        return 0;
    }
    for (i = 0; i < a->nvariants; i++)
        if (!strcmp(a->variants[i], v)) {
            *mask = 1ull << i;
            return 0;
        }
    return -1;
}

static xagg_find_t *find_or_add(xagg_t *a, const char *inv, const char *site,
                                const char *ev, uint64_t seed)
{
    xagg_find_t *f;
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *c;
    int i;
    for (i = 0; i < a->n; i++)
        if (!strcmp(a->f[i].inv, inv) && !strcmp(a->f[i].site, site))
            return &a->f[i];
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        xagg_find_t *nf = realloc(a->f, (size_t)cap * sizeof(*nf));
        if (!nf) {
            a->oom = 1;
            return NULL;
        }
        a->f = nf;
        a->cap = cap;
    }
    f = &a->f[a->n++];
    memset(f, 0, sizeof(*f));
    snprintf(f->inv, sizeof(f->inv), "%s", inv);
    snprintf(f->site, sizeof(f->site), "%s", site);
    snprintf(f->ev, sizeof(f->ev), "%s", ev ? ev : "");
    f->label = xknown(inv, site);
    f->first_seed = seed;
    /* the site is a sentence: the file is named by its FNV-1a hash */
    for (c = site; *c; c++)
        h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
    snprintf(f->file, sizeof(f->file), "findings/%llu-%s-%08llx.yaml",
             (unsigned long long)seed, inv,
             (unsigned long long)(h & 0xffffffffULL));
    return f;
}

int xagg_add(xagg_t *a, const char *line, uint64_t *seedp)
{
    json_error_t je;
    json_t *o = json_loads(line, 0, &je), *fs, *x;
    uint64_t seed;
    xagg_find_t *seen[XSWEEP_MAX_FIND];
    size_t i;
    int nseen = 0, k;
    if (!o || !json_is_integer(json_object_get(o, "seed"))) {
        json_decref(o);
        return -1;
    }
    seed = (uint64_t)json_integer_value(json_object_get(o, "seed"));
    fs = json_object_get(o, "find");
    a->events += (uint64_t)json_integer_value(json_object_get(o, "events"));
    json_array_foreach(fs, i, x) {
        const char *inv = json_string_value(json_object_get(x, "inv"));
        const char *site = json_string_value(json_object_get(x, "site"));
        const char *v = json_string_value(json_object_get(x, "variant"));
        uint64_t m;
        xagg_find_t *f;
        if (!inv || !site || !v || variant_bit(a, v, &m) != 0)
            continue;
        if (!(f = find_or_add(a, inv, site,
                              json_string_value(json_object_get(x, "ev")),
                              seed)))
            break;
        f->vmask |= m;
        /* One hit per seed, however many variants. */
        for (k = 0; k < nseen && seen[k] != f; k++)
            ;
        if (k == nseen && nseen < XSWEEP_MAX_FIND) {
            seen[nseen++] = f;
            f->hits++;
        }
    }
    json_decref(o);
    if (a->seeds_out)
        fprintf(a->seeds_out, "%s\n", line);
    a->seeds++;
    *seedp = seed;
    return 0;
}

const char *xagg_variants(const xagg_t *a, const xagg_find_t *f, char *buf,
                          size_t len)
{
    size_t n = 0;
    int i;
    buf[0] = 0;
    for (i = 0; i < a->nvariants && n + 1 < len; i++)
        if (f->vmask >> i & 1)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "",
                                  a->variants[i]);
    return buf;
}

int xagg_dirty(const xagg_t *a, const xagg_find_t *f,
               const char *const *clean, int nclean)
{
    int i, k;
    for (i = 0; i < a->nvariants; i++)
        for (k = 0; k < nclean; k++)
            if ((f->vmask >> i & 1) && !strcmp(a->variants[i], clean[k]))
                return 1;
    return 0;
}

int xagg_broken(const xagg_find_t *f)
{
    return !strcmp(f->inv, "CRASH") || !strcmp(f->inv, "HANG") ||
           !strcmp(f->inv, "LOAD");
}

static const char *first_variant(const xagg_t *a, const xagg_find_t *f)
{
    int i;
    for (i = 0; i < a->nvariants; i++)
        if (f->vmask >> i & 1)
            return a->variants[i];
    return a->nvariants ? a->variants[0] : "head";
}

/* The finding's scenario: its first seed's world, emitted (shrunk to its
 * invariant under its first variant when shrink and it is a violation). */
static int write_one(xagg_t *a, const xprofile_t *p, const char *dir,
                     const xagg_find_t *f, int shrink)
{
    char path[CLI_PATH_MAX];
    scenario_t *sc = sim__calloc(2, sizeof(*sc));
    FILE *out;
    int rc;
    if (!sc)
        return SIM_ENOMEM;
    rc = xgen_world(p, f->first_seed, a->variants, a->nvariants, sc);
    snprintf(path, sizeof(path), "%s/%s", dir, f->file);
    if (!rc && !(out = fopen(path, "w")))
        rc = SIM_EPIPE;
    if (!rc) {
        int done = 0;
        if (shrink && !xagg_broken(f) && strcmp(f->inv, "BUDGET")) {
            shrink_opts_t so;
            shrink_report_t *r = sim__calloc(1, sizeof(*r));
            memset(&so, 0, sizeof(so));
            so.seed = f->first_seed;
            so.variant = first_variant(a, f);
            so.invariant = f->inv;
            if (r && shrink_scenario(sc, &so, sc + 1, r) == 0 &&
                shrink_write(sc + 1, r, f->file, out) == 0)
                done = 1;
            sim__free(r);
        }
        if (!done)
            rc = sc_emit(sc, out);
        if (fclose(out) != 0 && !rc)
            rc = SIM_EPIPE;
    }
    sim__free(sc);
    return rc;
}

int xagg_write(xagg_t *a, const xprofile_t *p, const char *dir, int shrink)
{
    char path[CLI_PATH_MAX], vs[512];
    FILE *out;
    int i, rc;
    snprintf(path, sizeof(path), "%s/findings", dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "rddsim explore: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < a->n; i++)
        if ((rc = write_one(a, p, dir, &a->f[i], shrink)) != 0) {
            fprintf(stderr, "rddsim explore: %s/%s: %s\n", dir, a->f[i].file,
                    sim_strerror(rc));
            return -1;
        }
    snprintf(path, sizeof(path), "%s/findings.jsonl", dir);
    if (!(out = fopen(path, "w"))) {
        fprintf(stderr, "rddsim explore: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < a->n; i++) {
        const xagg_find_t *f = &a->f[i];
        json_t *o = json_object(), *va = json_array();
        char *s;
        int k;
        for (k = 0; k < a->nvariants; k++)
            if (f->vmask >> k & 1)
                json_array_append_new(va, json_string(a->variants[k]));
        json_object_set_new(o, "inv", json_string(f->inv));
        json_object_set_new(o, "site", json_string(f->site));
        json_object_set_new(o, "ev", json_string(f->ev));
        json_object_set_new(o, "label", json_string(f->label));
        json_object_set_new(o, "first_seed", json_integer((json_int_t)f->first_seed));
        json_object_set_new(o, "hits", json_integer((json_int_t)f->hits));
        json_object_set_new(o, "variants", va);
        json_object_set_new(o, "file", json_string(f->file));
        snprintf(vs, sizeof(vs), "rddsim run %s/%s --variant %s", dir,
                 f->file, first_variant(a, f));
        json_object_set_new(o, "replay", json_string(vs));
        s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s)
            fprintf(out, "%s\n", s);
        free(s);
        json_decref(o);
    }
    if (fclose(out) != 0) {
        fprintf(stderr, "rddsim explore: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

void xagg_table(const xagg_t *a, const char *dir, FILE *f)
{
    char vs[512], sig[80];
    int i;
    if (!a->n) {
        fprintf(f, "no findings in %llu seeds\n",
                (unsigned long long)a->seeds);
        return;
    }
    fprintf(f, "%-6s %-12s %10s %6s  %-12s %s\n", "inv", "label",
            "first-seed", "hits", "variants", "first cause (the invariant's "
                                               "words, masked)");
    for (i = 0; i < a->n; i++) {
        const xagg_find_t *x = &a->f[i];
        snprintf(sig, sizeof(sig), "%.78s%s", x->site,
                 strlen(x->site) > 78 ? "..." : "");
        fprintf(f, "%-6s %-12s %10llu %6llu  %-12s %s\n", x->inv, x->label,
                (unsigned long long)x->first_seed,
                (unsigned long long)x->hits,
                xagg_variants(a, x, vs, sizeof(vs)), sig);
    }
    fprintf(f, "replay: rddsim run %s/<file> --variant V "
               "(files and commands in %s/findings.jsonl)\n", dir, dir);
}

void xagg_free(xagg_t *a)
{
    free(a->f);
    a->f = NULL;
    a->n = a->cap = 0;
}
