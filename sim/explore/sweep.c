/*
 * sweep.c: one seed of an exploration in-process, and the known-hazard
 * labels (sweep.h).
 *
 * A violation's site is its sentence, masked (xcause); its ev is the name
 * of the trace record its seq names.  The
 * world result gives the seq; the names come from world_io_t.on_event,
 * interned into a small table (a few hundred distinct names) with one
 * 16-bit code per record, so any seq, a deadline's cause included, can be
 * named after the run without rendering the trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/emit.h"
#include "explore/sweep.h"
#include "scenario/world.h"
#include "sim/alloc.h"
#include "sim/errno.h"

#define NAMES_MAX 4096      /* distinct event names in one run */
#define SLOTS (NAMES_MAX * 2)

typedef struct {
    char (*names)[64];      /* interned names, by code */
    int nnames;
    uint16_t slot[SLOTS];   /* hash -> code + 1, 0 empty */
    uint16_t *codes;        /* one per record, seq - 1 */
    uint64_t n, cap;
    int oom;
} names_t;

static uint32_t hash_name(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int intern(names_t *t, const char *ev)
{
    uint32_t i = hash_name(ev) % SLOTS;
    for (;; i = (i + 1) % SLOTS) {
        int c = t->slot[i];
        if (!c)
            break;
        if (!strncmp(t->names[c - 1], ev, 63))
            return c - 1;
    }
    if (t->nnames >= NAMES_MAX - 1)
        return NAMES_MAX - 1;           /* "(many)": never in practice */
    snprintf(t->names[t->nnames], 64, "%s", ev);
    t->slot[i] = (uint16_t)(t->nnames + 1);
    return t->nnames++;
}

static void on_event(void *arg, const char *ev)
{
    names_t *t = arg;
    if (t->n == t->cap) {
        uint64_t cap = t->cap ? t->cap * 2 : 65536;
        uint16_t *c = sim__realloc(t->codes, cap * sizeof(*c));
        if (!c) {
            t->oom = 1;
            t->n++;
            return;
        }
        t->codes = c;
        t->cap = cap;
    }
    t->codes[t->n++] = (uint16_t)intern(t, ev);
}

static const char *name_of(const names_t *t, uint64_t seq)
{
    if (seq == 0 || seq > t->n || seq > t->cap)
        return "(setup)";
    return t->names[t->codes[seq - 1]];
}

/* Adds r's violations (site from t) to s, keeping time, then id order
 * per seed across variants. */
static void collect(xseed_result_t *s, const char *variant,
                    const world_result_t *r, const names_t *t)
{
    int i, k;
    for (i = 0; i < r->nviolated && s->nfind < XSWEEP_MAX_FIND; i++) {
        xfind_t f;
        memset(&f, 0, sizeof(f));
        snprintf(f.variant, sizeof(f.variant), "%s", variant);
        snprintf(f.inv, sizeof(f.inv), "%s", r->violated[i]);
        xcause(r->why[i], f.site, sizeof(f.site));
        snprintf(f.ev, sizeof(f.ev), "%s", name_of(t, r->violated_seq[i]));
        f.at_ns = r->violated_ns[i];
        s->find[s->nfind++] = f;
    }
    if (r->stop == WORLD_STOP_BUDGET && s->nfind < XSWEEP_MAX_FIND) {
        xfind_t *f = &s->find[s->nfind++];
        memset(f, 0, sizeof(*f));
        snprintf(f->variant, sizeof(f->variant), "%s", variant);
        snprintf(f->inv, sizeof(f->inv), "BUDGET");
        snprintf(f->site, sizeof(f->site), "max_events");
        f->at_ns = r->sim_ns;
    }
    /* Insertion sort: time, then inv, then variant order (stable). */
    for (i = 1; i < s->nfind; i++)
        for (k = i; k > 0; k--) {
            xfind_t *a = &s->find[k - 1], *b = &s->find[k], tmp;
            if (a->at_ns < b->at_ns ||
                (a->at_ns == b->at_ns && strcmp(a->inv, b->inv) <= 0))
                break;
            tmp = *a;
            *a = *b;
            *b = tmp;
        }
}

/* The emitted text of sc (malloc'd) in *out, its length in *len. */
static int emit(const scenario_t *sc, char **out, size_t *len)
{
    FILE *m;
    int rc;
    *out = NULL;
    *len = 0;
    if (!(m = open_memstream(out, len)))
        return SIM_ENOMEM;
    rc = sc_emit(sc, m);
    if (fclose(m) != 0 && !rc)
        rc = SIM_ENOMEM;
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int xrun_seed(const xprofile_t *p, uint64_t seed,
              const char *const *variants, int nvariants,
              xseed_result_t *r, char **yaml)
{
    scenario_t *sc = sim__calloc(2, sizeof(*sc));
    names_t *t = sim__calloc(1, sizeof(*t));
    world_result_t *wr = sim__calloc(1, sizeof(*wr));
    char *text = NULL, name[64];
    size_t len = 0;
    yt_error_t err;
    int rc, i;
    memset(r, 0, sizeof(*r));
    r->seed = seed;
    if (yaml)
        *yaml = NULL;
    if (!sc || !t || !wr || !(t->names = sim__calloc(NAMES_MAX, 64))) {
        rc = SIM_ENOMEM;
        goto out;
    }
    if ((rc = xgen_world(p, seed, variants, nvariants, sc)) != 0)
        goto out;
    if ((rc = emit(sc, &text, &len)) != 0)
        goto out;
    snprintf(name, sizeof(name), "seed-%llu.yaml", (unsigned long long)seed);
    if ((rc = scenario_load_buffer(name, text, len, sc + 1, &err)) != 0) {
        /* The generator wrote what the loader refuses: a generator bug,
         * reported as its own finding rather than an error. */
        xfind_t *f = &r->find[r->nfind++];
        snprintf(f->variant, sizeof(f->variant), "*");
        snprintf(f->inv, sizeof(f->inv), "LOAD");
        snprintf(f->site, sizeof(f->site), "%.*s", XSWEEP_SITE_MAX - 1,
                 err.msg);
        rc = 0;
        goto out;
    }
    r->nvariants = sc[1].nvariants;
    for (i = 0; i < sc[1].nvariants; i++) {
        world_io_t io;
        memset(&io, 0, sizeof(io));
        io.max_events = XSWEEP_MAX_EVENTS;
        io.on_event = on_event;
        io.on_event_arg = t;
        t->n = 0;
        if ((rc = world_run(sc + 1, &sc[1].variants[i], seed, &io, wr)) != 0)
            goto out;
        if (t->oom) {
            rc = SIM_ENOMEM;
            goto out;
        }
        r->trace_hash[i] = wr->trace_hash;
        r->events += wr->events;
        r->budget_hit |= wr->stop == WORLD_STOP_BUDGET;
        collect(r, sc[1].variants[i].name, wr, t);
    }
out:
    if (yaml && !rc) {
        *yaml = text;
        text = NULL;
    }
    free(text);
    if (t)
        sim__free(t->codes);
    if (t)
        sim__free(t->names);
    sim__free(t);
    sim__free(wr);
    sim__free(sc);
    return rc;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_word(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '_';
}

/* Does out[0..o) end with a kind or Docker call word and a space? */
static int object_word(const char *out, size_t o)
{
    static const char *const words[] = {
        "Container ", "Image ", "Volume ", "ContainerNamespace ",
        "Remove(force) ", "Remove ", "Container default/", "Image default/",
        "Volume default/"};
    size_t i;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t wl = strlen(words[i]);
        if (o >= wl && !memcmp(out + o - wl, words[i], wl))
            return 1;
    }
    return 0;
}

void xcause(const char *why, char *out, size_t len)
{
    static const struct {
        const char *prefix, *as;
    } names[] = {{"rancher-desktop-", "INST"},
                 {"RDD-VM-ENGINE-", "RDD-VM-ENGINE-*"},
                 {"vm-", "vm-*"}};
    size_t o = 0, i;
    const char *s = why;
    if (!len)
        return;
    while (*s && o + 1 < len) {
        const char *as = NULL;
        size_t n = 0;
        int start = s == why || !is_word(s[-1]);
        for (i = 0; start && i < sizeof(names) / sizeof(names[0]); i++) {
            size_t pl = strlen(names[i].prefix);
            if (!strncmp(s, names[i].prefix, pl) && is_word(s[pl])) {
                for (n = pl; is_word(s[n]) || s[n] == '-'; n++)
                    ;
                as = names[i].as;
                break;
            }
        }
        if (!as && start && is_hex(*s)) {
            for (n = 0; is_hex(s[n]); n++)
                ;
            if (n >= 12 && !is_word(s[n]))
                as = "ID";
            else
                n = 0;
        }
        if (!as && *s >= '0' && *s <= '9') {
            /* a number, a fraction with it: 31s and 31.5s read alike */
            for (n = 0; (s[n] >= '0' && s[n] <= '9') ||
                        (s[n] == '.' && s[n + 1] >= '0' && s[n + 1] <= '9');
                 n++)
                ;
            as = "#";
        }
        if (!as && start && o && out[o - 1] == ' ' && object_word(out, o)) {
            /* the object a mirror or a Docker call names: "Container *" */
            for (n = 0; s[n] && s[n] != ' ' && s[n] != ','; n++)
                ;
            as = "*";
        }
        if (as) {
            size_t al = strlen(as);
            if (o + al >= len)
                break;
            memcpy(out + o, as, al);
            o += al;
            s += n;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = 0;
}

/* known.def rows, most specific first. */
typedef struct {
    const char *inv, *site, *id;
} known_t;

static const known_t known[] = {
#define XX(inv, site, id) {inv, site, id},
#include "explore/known.def"
#undef XX
};

/* A site pattern: exact, "*" for any, "prefix*", or "*text*" (the site
 * contains text). */
static int site_match(const char *pat, const char *site)
{
    size_t n = strlen(pat);
    if (n >= 2 && pat[0] == '*' && pat[n - 1] == '*') {
        char sub[XSWEEP_SITE_MAX];
        snprintf(sub, sizeof(sub), "%.*s", (int)(n - 2), pat + 1);
        return strstr(site, sub) != NULL;
    }
    if (n && pat[n - 1] == '*')
        return !strncmp(pat, site, n - 1);
    return !strcmp(pat, site);
}

const char *xknown(const char *inv, const char *site)
{
    size_t i;
    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (!strcmp(known[i].inv, inv) && site_match(known[i].site, site))
            return known[i].id;
    return "NEW";
}
