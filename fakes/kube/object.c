/*
 * object.c: pure helpers for kube objects, shared by the store and the
 * informer cache.
 *
 * Models: the names of the rancherdesktop.io kinds and their REST
 * resources, field access on spec and status, finalizer lists,
 * apimachinery's meta.SetStatusCondition, and the apiserver's Status
 * answers (reason and message text).  Also the packed record and the
 * sorted index that both the store and the caches keep (see kube_int.h).
 * Leaves out: labels, annotations, owner references, managed fields.
 * Nothing here reads the clock or the loop; time comes in as an argument.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kube/kube_int.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"

/* kinds -----------------------------------------------------------------*/

static const char *const kind_names[KUBE_KIND__COUNT] = {
    [KUBE_APP] = "App",
    [KUBE_CONTAINER] = "Container",
    [KUBE_IMAGE] = "Image",
    [KUBE_VOLUME] = "Volume",
    [KUBE_CONTAINER_NS] = "ContainerNamespace",
    [KUBE_LIMAVM] = "LimaVM",
    [KUBE_CONFIGMAP] = "ConfigMap",
};

static const char *const kind_resources[KUBE_KIND__COUNT] = {
    [KUBE_APP] = "apps.app.rancherdesktop.io",
    [KUBE_CONTAINER] = "containers.containers.rancherdesktop.io",
    [KUBE_IMAGE] = "images.containers.rancherdesktop.io",
    [KUBE_VOLUME] = "volumes.containers.rancherdesktop.io",
    [KUBE_CONTAINER_NS] = "containernamespaces.containers.rancherdesktop.io",
    [KUBE_LIMAVM] = "limavms.lima.rancherdesktop.io",
    [KUBE_CONFIGMAP] = "configmaps",
};

/* The Kind as the API spells it, for traces and messages. */
const char *kube_kind_name(kube_kind_t k)
{
    SIM_ASSERT((unsigned)k < KUBE_KIND__COUNT);
    return kind_names[k];
}

/* <plural>.<group>, the way apiserver messages name a resource. */
const char *kube_kind_resource(kube_kind_t k)
{
    SIM_ASSERT((unsigned)k < KUBE_KIND__COUNT);
    return kind_resources[k];
}

/* Copies src into a fixed array; the caller's names are ours to get
 * right, so an oversized one is our bug. */
static void copy_fixed(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    SIM_ASSERT(n < cap);
    memcpy(dst, src, n + 1);
}

void kube__strlcpy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Zeroes o and names it; every byte of o is defined afterwards. */
void kube_obj_init(kube_obj_t *o, kube_kind_t kind, const char *ns,
                   const char *name)
{
    SIM_ASSERT((unsigned)kind < KUBE_KIND__COUNT);
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    copy_fixed(o->ns, sizeof(o->ns), ns ? ns : "");
    copy_fixed(o->name, sizeof(o->name), name);
}

/* fields ----------------------------------------------------------------*/

static const char *fields_get(const kube_field_t *f, int n, const char *key)
{
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0)
            return f[i].val;
    return NULL;
}

static int fields_set(kube_field_t *f, int *n, const char *key,
                      const char *val)
{
    size_t klen = strlen(key), vlen = strlen(val);
    int i;
    if (klen >= KUBE_KEY_MAX || vlen >= KUBE_VAL_MAX)
        return SIM_ERANGE;
    for (i = 0; i < *n; i++)
        if (strcmp(f[i].key, key) == 0)
            break;
    if (i == *n) {
        if (*n >= KUBE_FIELDS_MAX)
            return SIM_ERANGE;
        memset(&f[i], 0, sizeof(f[i]));
        memcpy(f[i].key, key, klen + 1);
        (*n)++;
    }
    memset(f[i].val, 0, sizeof(f[i].val));
    memcpy(f[i].val, val, vlen + 1);
    return 0;
}

/* Spec field by key, or NULL. */
const char *kube_spec_get(const kube_obj_t *o, const char *key)
{
    return fields_get(o->spec, o->nspec, key);
}

/* Adds or replaces a spec field; SIM_ERANGE when full or too long. */
int kube_spec_set(kube_obj_t *o, const char *key, const char *val)
{
    return fields_set(o->spec, &o->nspec, key, val);
}

/* Status field by key, or NULL. */
const char *kube_status_get(const kube_obj_t *o, const char *key)
{
    return fields_get(o->status, o->nstatus, key);
}

/* Adds or replaces a status field; SIM_ERANGE when full or too long. */
int kube_status_set(kube_obj_t *o, const char *key, const char *val)
{
    return fields_set(o->status, &o->nstatus, key, val);
}

/* finalizers ------------------------------------------------------------*/

/* 1 if fin is in o's finalizer list. */
int kube_has_finalizer(const kube_obj_t *o, const char *fin)
{
    int i;
    for (i = 0; i < o->nfin; i++)
        if (strcmp(o->fin[i], fin) == 0)
            return 1;
    return 0;
}

/* Appends fin unless present: 1 if added, 0 if already there, SIM_ERANGE
 * when the list is full or fin too long. */
int kube_add_finalizer(kube_obj_t *o, const char *fin)
{
    size_t n = strlen(fin);
    if (kube_has_finalizer(o, fin))
        return 0;
    if (o->nfin >= KUBE_FINALIZERS_MAX || n >= sizeof(o->fin[0]))
        return SIM_ERANGE;
    memset(o->fin[o->nfin], 0, sizeof(o->fin[0]));
    memcpy(o->fin[o->nfin], fin, n + 1);
    o->nfin++;
    return 1;
}

/* Removes fin keeping the others' order: 1 if removed, 0 if absent. */
int kube_remove_finalizer(kube_obj_t *o, const char *fin)
{
    int i;
    for (i = 0; i < o->nfin; i++) {
        if (strcmp(o->fin[i], fin) != 0)
            continue;
        memmove(o->fin[i], o->fin[i + 1],
                (size_t)(o->nfin - i - 1) * sizeof(o->fin[0]));
        o->nfin--;
        memset(o->fin[o->nfin], 0, sizeof(o->fin[0]));
        return 1;
    }
    return 0;
}

/* conditions ------------------------------------------------------------*/

/* meta.FindStatusCondition: the condition of that type, or NULL. */
const kube_cond_t *kube_cond_find(const kube_obj_t *o, const char *type)
{
    int i;
    for (i = 0; i < o->nconds; i++)
        if (strcmp(o->conds[i].type, type) == 0)
            return &o->conds[i];
    return NULL;
}

static int set_str(char *dst, size_t cap, const char *src)
{
    if (strncmp(dst, src, cap) == 0)
        return 0;
    memset(dst, 0, cap);
    snprintf(dst, cap, "%s", src);
    return 1;
}

/*
 * meta.SetStatusCondition: a new type is appended (lastTransitionTime =
 * c's, or now when c's is zero); an existing one takes status, reason,
 * message and observedGeneration, and its lastTransitionTime moves (to
 * c's, or now) only when status changes.  Returns 1 if anything changed,
 * 0 if not, SIM_ERANGE when a new type does not fit.
 */
int kube_cond_set(kube_obj_t *o, const kube_cond_t *c, uint64_t now_ns)
{
    kube_cond_t *e = (kube_cond_t *)kube_cond_find(o, c->type);
    int changed = 0;
    if (!e) {
        if (o->nconds >= KUBE_CONDS_MAX)
            return SIM_ERANGE;
        e = &o->conds[o->nconds++];
        memset(e, 0, sizeof(*e));
        snprintf(e->type, sizeof(e->type), "%s", c->type);
        snprintf(e->status, sizeof(e->status), "%s", c->status);
        snprintf(e->reason, sizeof(e->reason), "%s", c->reason);
        snprintf(e->message, sizeof(e->message), "%s", c->message);
        e->observed_gen = c->observed_gen;
        e->last_transition_ns =
            c->last_transition_ns ? c->last_transition_ns : now_ns;
        e->reason_since_ns = e->last_transition_ns;
        return 1;
    }
    if (set_str(e->status, sizeof(e->status), c->status)) {
        e->last_transition_ns =
            c->last_transition_ns ? c->last_transition_ns : now_ns;
        e->reason_since_ns = e->last_transition_ns;
        changed = 1;
    }
    if (set_str(e->reason, sizeof(e->reason), c->reason)) {
        if (!changed)
            e->reason_since_ns = now_ns;
        changed = 1;
    }
    changed |= set_str(e->message, sizeof(e->message), c->message);
    if (e->observed_gen != c->observed_gen) {
        e->observed_gen = c->observed_gen;
        changed = 1;
    }
    return changed;
}

/* equality and validation -----------------------------------------------*/

static int fields_equal(const kube_field_t *a, int na, const kube_field_t *b,
                        int nb)
{
    int i;
    if (na != nb)
        return 0;
    for (i = 0; i < na; i++) {
        const char *v = fields_get(b, nb, a[i].key);
        if (!v || strcmp(v, a[i].val) != 0)
            return 0;
    }
    return 1;
}

/* Spec as a map: same keys with the same values, in any order. */
int kube__spec_equal(const kube_obj_t *a, const kube_obj_t *b)
{
    return fields_equal(a->spec, a->nspec, b->spec, b->nspec);
}

/* Status fields as a map. */
int kube__status_equal(const kube_obj_t *a, const kube_obj_t *b)
{
    return fields_equal(a->status, a->nstatus, b->status, b->nstatus);
}

/* Finalizers as the list the API keeps: order counts. */
int kube__fin_equal(const kube_obj_t *a, const kube_obj_t *b)
{
    int i;
    if (a->nfin != b->nfin)
        return 0;
    for (i = 0; i < a->nfin; i++)
        if (strcmp(a->fin[i], b->fin[i]) != 0)
            return 0;
    return 1;
}

/* Conditions as a list: order and every field count. */
int kube__conds_equal(const kube_obj_t *a, const kube_obj_t *b)
{
    int i;
    if (a->nconds != b->nconds)
        return 0;
    for (i = 0; i < a->nconds; i++) {
        const kube_cond_t *x = &a->conds[i], *y = &b->conds[i];
        if (strcmp(x->type, y->type) || strcmp(x->status, y->status) ||
            strcmp(x->reason, y->reason) ||
            strcmp(x->message, y->message) ||
            x->observed_gen != y->observed_gen ||
            x->last_transition_ns != y->last_transition_ns)
            return 0;
    }
    return 1;
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

#define TERM(f) terminated((f), sizeof(f))

/* A malformed object from a model: counts out of range or a string with
 * no NUL.  SIM_EINVAL or 0. */
int kube__obj_check(const kube_obj_t *o)
{
    int i;
    if ((unsigned)o->kind >= KUBE_KIND__COUNT || !TERM(o->ns) ||
        !TERM(o->name) || !o->name[0] || !TERM(o->provenance))
        return SIM_EINVAL;
    if (o->nfin < 0 || o->nfin > KUBE_FINALIZERS_MAX || o->nspec < 0 ||
        o->nspec > KUBE_FIELDS_MAX || o->nstatus < 0 ||
        o->nstatus > KUBE_FIELDS_MAX || o->nconds < 0 ||
        o->nconds > KUBE_CONDS_MAX)
        return SIM_EINVAL;
    for (i = 0; i < o->nfin; i++)
        if (!TERM(o->fin[i]))
            return SIM_EINVAL;
    for (i = 0; i < o->nspec; i++)
        if (!TERM(o->spec[i].key) || !TERM(o->spec[i].val))
            return SIM_EINVAL;
    for (i = 0; i < o->nstatus; i++)
        if (!TERM(o->status[i].key) || !TERM(o->status[i].val))
            return SIM_EINVAL;
    for (i = 0; i < o->nconds; i++) {
        const kube_cond_t *c = &o->conds[i];
        if (!TERM(c->type) || !TERM(c->status) || !TERM(c->reason) ||
            !TERM(c->message))
            return SIM_EINVAL;
    }
    return 0;
}

/* records ---------------------------------------------------------------*/

/* Strings in pack order; visit(ctx, str, cap) for each. */
#define REC_STRINGS(o, X)                                                      \
    do {                                                                       \
        int i_;                                                                \
        X((o)->ns);                                                            \
        X((o)->name);                                                          \
        X((o)->provenance);                                                    \
        for (i_ = 0; i_ < (o)->nfin; i_++)                                     \
            X((o)->fin[i_]);                                                   \
        for (i_ = 0; i_ < (o)->nspec; i_++) {                                  \
            X((o)->spec[i_].key);                                              \
            X((o)->spec[i_].val);                                              \
        }                                                                      \
        for (i_ = 0; i_ < (o)->nstatus; i_++) {                                \
            X((o)->status[i_].key);                                            \
            X((o)->status[i_].val);                                            \
        }                                                                      \
        for (i_ = 0; i_ < (o)->nconds; i_++) {                                 \
            X((o)->conds[i_].type);                                            \
            X((o)->conds[i_].status);                                          \
            X((o)->conds[i_].reason);                                          \
            X((o)->conds[i_].message);                                         \
        }                                                                      \
    } while (0)

/* Packs o (already checked by kube__obj_check) into one allocation. */
/* The numbers a record keeps per condition, after its strings. */
#define REC_COND_NUMS 3

kube__rec_t *kube__rec_pack(const kube_obj_t *o)
{
    size_t len = 0, nstr = 0, k = 0, tail;
    kube__rec_t *r;
    uint16_t *lens;
    uint64_t *nums;
    char *p;
    int i;
    SIM_ASSERT(kube__obj_check(o) == 0);
#define SIZE_OF(f) (len += strlen(f) + 1, nstr++)
    REC_STRINGS(o, SIZE_OF);
#undef SIZE_OF
    len = (len + 1) & ~(size_t)1; /* the lengths are 2-byte aligned */
    tail = (len + nstr * sizeof(uint16_t) + 7) & ~(size_t)7;
    r = sim__malloc(sizeof(*r) + tail +
                    (size_t)o->nconds * REC_COND_NUMS * sizeof(uint64_t));
    if (!r)
        return NULL;
    memset(r, 0, sizeof(*r));
    r->refs = 1;
    r->kind = o->kind;
    r->uid = o->uid;
    r->rv = o->rv;
    r->generation = o->generation;
    r->deletion_ns = o->deletion_ns;
    r->deleting = o->deleting ? 1 : 0;
    r->nfin = (uint8_t)o->nfin;
    r->nspec = (uint8_t)o->nspec;
    r->nstatus = (uint8_t)o->nstatus;
    r->nconds = (uint8_t)o->nconds;
    nums = (uint64_t *)(void *)(r->data + tail);
    for (i = 0; i < o->nconds; i++) {
        nums[REC_COND_NUMS * i] = (uint64_t)o->conds[i].observed_gen;
        nums[REC_COND_NUMS * i + 1] = o->conds[i].last_transition_ns;
        nums[REC_COND_NUMS * i + 2] = o->conds[i].reason_since_ns;
    }
    r->cond_nums = nums;
    p = r->data;
    lens = (uint16_t *)(void *)(r->data + len);
#define PUT(f)                                                                 \
    do {                                                                       \
        size_t n_ = strlen(f);                                                 \
        memcpy(p, (f), n_ + 1);                                                \
        p += n_ + 1;                                                           \
        lens[k++] = (uint16_t)n_;                                              \
    } while (0)
    REC_STRINGS(o, PUT);
#undef PUT
    SIM_ASSERT((size_t)(p - r->data) <= len && k == nstr);
    r->lens = lens;
    r->name = r->data + lens[0] + 1;
    return r;
}

/* The scalars and condition numbers of r into o (every one written). */
static void unpack_scalars(const kube__rec_t *r, kube_obj_t *o)
{
    int i;
    o->kind = r->kind;
    o->uid = r->uid;
    o->rv = r->rv;
    o->generation = r->generation;
    o->deletion_ns = r->deletion_ns;
    o->deleting = r->deleting;
    o->nfin = r->nfin;
    o->nspec = r->nspec;
    o->nstatus = r->nstatus;
    o->nconds = r->nconds;
    for (i = 0; i < o->nconds; i++) {
        o->conds[i].observed_gen = (int64_t)r->cond_nums[REC_COND_NUMS * i];
        o->conds[i].last_transition_ns = r->cond_nums[REC_COND_NUMS * i + 1];
        o->conds[i].reason_since_ns = r->cond_nums[REC_COND_NUMS * i + 2];
    }
}

/* r's strings into o (o's counts already r's), lengths from the record. */
static void unpack_strings(const kube__rec_t *r, kube_obj_t *o)
{
    const char *p = r->data;
    size_t k = 0;
#define GET(f)                                                                 \
    do {                                                                       \
        size_t n_ = (size_t)r->lens[k++] + 1;                                  \
        SIM_ASSERT(n_ <= sizeof(f));                                           \
        memcpy((f), p, n_);                                                    \
        p += n_;                                                               \
    } while (0)
    REC_STRINGS(o, GET);
#undef GET
}

/* Unpacks r into o; every byte of o is defined afterwards. */
void kube__rec_unpack(const kube__rec_t *r, kube_obj_t *o)
{
    memset(o, 0, sizeof(*o));
    unpack_scalars(r, o);
    unpack_strings(r, o);
}

void kube__rec_unpack_over(const kube__rec_t *prev, const kube__rec_t *r,
                           kube_obj_t *o)
{
    int i;
    if (prev) {
        /* o holds prev: zero its strings (by prev's lengths) and its
         * conditions' numbers; the scalars are all rewritten. */
        size_t k = 0;
#define CLR(f) memset((f), 0, prev->lens[k++])
        REC_STRINGS(o, CLR);
#undef CLR
        for (i = 0; i < o->nconds; i++) {
            o->conds[i].observed_gen = 0;
            o->conds[i].last_transition_ns = 0;
        }
    }
    unpack_scalars(r, o);
    unpack_strings(r, o);
}

/* Takes one more reference. */
kube__rec_t *kube__rec_ref(kube__rec_t *r)
{
    SIM_ASSERT(r->refs > 0);
    r->refs++;
    return r;
}

/* Drops one reference; the last one frees. */
void kube__rec_unref(kube__rec_t *r)
{
    if (!r)
        return;
    SIM_ASSERT(r->refs > 0);
    if (--r->refs == 0)
        sim__free(r);
}

/* (ns, name) byte order: the order of every list. */
int kube__key_cmp(const char *ns_a, const char *name_a, const char *ns_b,
                  const char *name_b)
{
    int c = strcmp(ns_a, ns_b);
    return c ? c : strcmp(name_a, name_b);
}

/* Zero padding keeps a name below every longer name it starts (strcmp
 * compares unsigned bytes, and a name holds no NUL). */
uint64_t kube__name_prefix(const char *name)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8 && name[i]; i++)
        v = v << 8 | (unsigned char)name[i];
    if (i == 0)
        return 0; /* "" (and no shift by 64) */
    return i < 8 ? v << (8 * (8 - i)) : v;
}

/* index -----------------------------------------------------------------*/

static int rec_cmp(const kube__rec_t *r, const char *ns, const char *name)
{
    return kube__key_cmp(KUBE__REC_NS(r), r->name, ns, name);
}

/* The key (ns, name), whose name prefix is pk, against the chunk's i-th
 * record, when the chunk's records all are in namespace ns. */
static int chunk_name_cmp(const kube__chunk_t *ch, size_t i, uint64_t pk,
                          const char *name)
{
    if (ch->pk[i] != pk)
        return ch->pk[i] < pk ? -1 : 1;
    return strcmp(ch->v[i]->name, name);
}

/* The chunk's i-th record against the key (ns, name) of name prefix pk. */
static int chunk_cmp(const kube__chunk_t *ch, size_t i, uint64_t pk,
                     const char *ns, const char *name)
{
    int c;
    if (ch->mixed_ns)
        return rec_cmp(ch->v[i], ns, name);
    c = strcmp(ch->ns, ns);
    return c ? c : chunk_name_cmp(ch, i, pk, name);
}

/* Bisection for (ns, name); appends past the last key skip it. */
#define POS(c, i) (((size_t)(c) << 9) | (size_t)(i))
#define POS_C(p) ((p) >> 9)
#define POS_I(p) ((p) & 511)

static const kube__rec_t *chunk_last(const kube__chunk_t *ch)
{
    return ch->v[ch->n - 1];
}

int kube__idx_find(const kube__index_t *ix, const char *ns,
                   const char *name, size_t *pos)
{
    size_t lo = 0, hi, clo, chi;
    const kube__chunk_t *ch;
    uint64_t pk;
    int c;
    if (ix->nc == 0) {
        *pos = 0;
        return 0;
    }
    pk = kube__name_prefix(name);
    ch = ix->c[ix->nc - 1];
    c = chunk_cmp(ch, ch->n - 1, pk, ns, name);
    if (c < 0) {
        *pos = POS(ix->nc - 1, ch->n);
        return 0;
    }
    if (c == 0) {
        *pos = POS(ix->nc - 1, ch->n - 1);
        return 1;
    }
    /* The first chunk whose last key is >= the key (the last one is). */
    clo = 0;
    chi = ix->nc - 1;
    while (clo < chi) {
        size_t mid = clo + (chi - clo) / 2;
        const kube__chunk_t *m = ix->c[mid];
        if (chunk_cmp(m, m->n - 1, pk, ns, name) < 0)
            clo = mid + 1;
        else
            chi = mid;
    }
    ch = ix->c[clo];
    hi = ch->n;
    if (!ch->mixed_ns) {
        /* One namespace: it places the key before or after the whole
         * chunk, or the names decide. */
        c = strcmp(ch->ns, ns);
        if (c) {
            *pos = POS(clo, c > 0 ? 0 : hi);
            return 0;
        }
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        c = ch->mixed_ns ? rec_cmp(ch->v[mid], ns, name)
                         : chunk_name_cmp(ch, mid, pk, name);
        if (c == 0) {
            *pos = POS(clo, mid);
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = POS(clo, lo);
    return 0;
}

kube__rec_t *kube__idx_at(const kube__index_t *ix, size_t pos)
{
    size_t c = POS_C(pos), i = POS_I(pos);
    if (c >= ix->nc || i >= ix->c[c]->n)
        return NULL;
    return ix->c[c]->v[i];
}

size_t kube__idx_next(const kube__index_t *ix, size_t pos)
{
    size_t c = POS_C(pos), i = POS_I(pos) + 1;
    if (c < ix->nc && i >= ix->c[c]->n)
        return POS(c + 1, 0);
    return POS(c, i);
}

kube__rec_t *kube__idx_swap(kube__index_t *ix, size_t pos, kube__rec_t *r)
{
    kube__chunk_t *ch = ix->c[POS_C(pos)];
    kube__rec_t *old;
    SIM_ASSERT(POS_I(pos) < ch->n);
    old = ch->v[POS_I(pos)];
    SIM_ASSERT(rec_cmp(old, KUBE__REC_NS(r), r->name) == 0); /* same key */
    ch->v[POS_I(pos)] = r;
    ix->ndel = ix->ndel - old->deleting + r->deleting;
    return old;
}

/* Rank of the first record whose namespace is >= ns (upper = 0) or > ns
 * (upper = 1): chunks by their last namespace, then the chunk. */
static size_t ns_bound(const kube__index_t *ix, const char *ns, int upper)
{
    size_t clo = 0, chi = ix->nc, lo = 0, hi, rank = 0, k;
    const kube__chunk_t *ch;
    while (clo < chi) {
        size_t mid = clo + (chi - clo) / 2;
        int c = strcmp(KUBE__REC_NS(chunk_last(ix->c[mid])), ns);
        if (c < 0 || (upper && c == 0))
            clo = mid + 1;
        else
            chi = mid;
    }
    for (k = 0; k < clo; k++)
        rank += ix->c[k]->n;
    if (clo == ix->nc)
        return rank;
    ch = ix->c[clo];
    hi = ch->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(KUBE__REC_NS(ch->v[mid]), ns);
        if (c < 0 || (upper && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return rank + lo;
}

/* Room for one insert: a spare chunk (for a split or a first chunk) and a
 * slot for one more chunk pointer. */
int kube__idx_reserve(kube__index_t *ix, size_t extra)
{
    (void)extra;
    if (!ix->spare) {
        ix->spare = sim__malloc(sizeof(*ix->spare));
        if (!ix->spare)
            return SIM_ENOMEM;
        ix->spare->n = 0;
    }
    if (ix->nc + 1 > ix->capc) {
        size_t cap = ix->capc ? ix->capc * 2 : 4;
        kube__chunk_t **c = sim__realloc(ix->c, cap * sizeof(*c));
        if (!c)
            return SIM_ENOMEM;
        ix->c = c;
        ix->capc = cap;
    }
    return 0;
}

/* Puts the spare chunk in the chunk list at ci. */
static kube__chunk_t *chunk_add(kube__index_t *ix, size_t ci)
{
    kube__chunk_t *ch = ix->spare;
    SIM_ASSERT(ch != NULL && ix->nc < ix->capc);
    ix->spare = NULL;
    ch->n = 0;
    memmove(&ix->c[ci + 1], &ix->c[ci], (ix->nc - ci) * sizeof(*ix->c));
    ix->c[ci] = ch;
    ix->nc++;
    return ch;
}

/* Sets ns and mixed_ns from the chunk's records (n > 0). */
static void chunk_scan_ns(kube__chunk_t *ch)
{
    uint32_t i;
    kube__strlcpy(ch->ns, sizeof(ch->ns), KUBE__REC_NS(ch->v[0]));
    ch->mixed_ns = 0;
    for (i = 1; i < ch->n && !ch->mixed_ns; i++)
        ch->mixed_ns = strcmp(KUBE__REC_NS(ch->v[i]), ch->ns) != 0;
}

static void chunk_put(kube__chunk_t *ch, size_t i, kube__rec_t *r)
{
    if (ch->n == 0) {
        kube__strlcpy(ch->ns, sizeof(ch->ns), KUBE__REC_NS(r));
        ch->mixed_ns = 0;
    } else if (!ch->mixed_ns) {
        ch->mixed_ns = strcmp(KUBE__REC_NS(r), ch->ns) != 0;
    }
    memmove(&ch->v[i + 1], &ch->v[i], (ch->n - i) * sizeof(*ch->v));
    memmove(&ch->pk[i + 1], &ch->pk[i], (ch->n - i) * sizeof(*ch->pk));
    ch->v[i] = r;
    ch->pk[i] = kube__name_prefix(r->name);
    ch->n++;
}

/* Inserts r at pos; room must have been reserved.  A full chunk splits in
 * halves, except at the very end, where a new chunk starts (so records
 * listed in order fill their chunks). */
void kube__idx_insert(kube__index_t *ix, size_t pos, kube__rec_t *r)
{
    size_t ci = POS_C(pos), i = POS_I(pos);
    kube__chunk_t *ch, *nw;
    if (ix->nc == 0) {
        SIM_ASSERT(pos == 0);
        chunk_put(chunk_add(ix, 0), 0, r);
        ix->n++;
        ix->ndel += r->deleting;
        return;
    }
    SIM_ASSERT(ci < ix->nc && i <= ix->c[ci]->n);
    ch = ix->c[ci];
    if (ch->n == KUBE__CHUNK) {
        if (ci == ix->nc - 1 && i == KUBE__CHUNK) {
            chunk_put(chunk_add(ix, ci + 1), 0, r);
            ix->n++;
            ix->ndel += r->deleting;
            return;
        }
        nw = chunk_add(ix, ci + 1);
        memcpy(nw->v, &ch->v[KUBE__CHUNK / 2],
               (KUBE__CHUNK / 2) * sizeof(*ch->v));
        memcpy(nw->pk, &ch->pk[KUBE__CHUNK / 2],
               (KUBE__CHUNK / 2) * sizeof(*ch->pk));
        nw->n = KUBE__CHUNK / 2;
        ch->n = KUBE__CHUNK / 2;
        if (ch->mixed_ns) {
            chunk_scan_ns(ch);
            chunk_scan_ns(nw);
        } else {
            memcpy(nw->ns, ch->ns, sizeof(nw->ns));
            nw->mixed_ns = 0;
        }
        if (i > KUBE__CHUNK / 2) {
            ch = nw;
            i -= KUBE__CHUNK / 2;
        }
    }
    chunk_put(ch, i, r);
    ix->n++;
    ix->ndel += r->deleting;
}

/* Removes the record at pos; the caller gets its reference.  An emptied
 * chunk leaves the list (kept as the spare if there is none). */
kube__rec_t *kube__idx_remove(kube__index_t *ix, size_t pos)
{
    size_t ci = POS_C(pos), i = POS_I(pos);
    kube__chunk_t *ch;
    kube__rec_t *r;
    SIM_ASSERT(ci < ix->nc && i < ix->c[ci]->n);
    ch = ix->c[ci];
    r = ch->v[i];
    memmove(&ch->v[i], &ch->v[i + 1], (ch->n - i - 1) * sizeof(*ch->v));
    memmove(&ch->pk[i], &ch->pk[i + 1], (ch->n - i - 1) * sizeof(*ch->pk));
    ch->n--;
    ix->n--;
    ix->ndel -= r->deleting;
    if (ch->n == 0) {
        memmove(&ix->c[ci], &ix->c[ci + 1],
                (ix->nc - ci - 1) * sizeof(*ix->c));
        ix->nc--;
        if (!ix->spare)
            ix->spare = ch;
        else
            sim__free(ch);
    }
    return r;
}

/* Drops every record and the chunks. */
void kube__idx_free(kube__index_t *ix)
{
    size_t c, i;
    for (c = 0; c < ix->nc; c++) {
        for (i = 0; i < ix->c[c]->n; i++)
            kube__rec_unref(ix->c[c]->v[i]);
        sim__free(ix->c[c]);
    }
    SIM_FREE(ix->c);
    SIM_FREE(ix->spare);
    ix->n = ix->nc = ix->capc = ix->ndel = 0;
}

/* readers over an index ---------------------------------------------------*/

/* GET: a copy of the record, or 404. */
int kube__idx_get(const kube__index_t *ix, kube_kind_t kind, const char *ns,
                  const char *name, kube_obj_t *out, kube_status_t *st)
{
    size_t pos;
    if (!kube__idx_find(ix, ns ? ns : "", name, &pos))
        return kube__st_notfound(st, kind, name);
    if (out)
        kube__rec_unpack(kube__idx_at(ix, pos), out);
    kube__st_ok(st, 200);
    return 0;
}

/*
 * LIST: visits in (ns, name) order.  The visitor may write to the store
 * it lists (RDD deletes while walking a list): the walk holds a reference
 * on the current record and, if the slot no longer holds it, finds the
 * first key after it again.  No object is visited twice; objects created
 * ahead of the cursor are visited, those behind it are not.
 */
static int idx_walk(const kube__index_t *ix, const char *ns, int only_del,
                    kube_visit_cb visit, void *arg, kube_status_t *st)
{
    kube_obj_t o;
    kube__rec_t *r, *prev = NULL;
    size_t i = 0;
    int all = !ns || !ns[0], zeroed = 0;
    if (!all) /* where (ns, "") is or would be: the first of ns */
        (void)kube__idx_find(ix, ns, "", &i);
    while ((r = kube__idx_at(ix, i)) != NULL) {
        int stop;
        if (!all && strcmp(KUBE__REC_NS(r), ns) != 0)
            break;
        if (only_del && !r->deleting) {
            i = kube__idx_next(ix, i);
            continue;
        }
        if (!zeroed) {
            /* One object for the walk, zeroed once: each record is
             * unpacked over the previous one. */
            memset(&o, 0, sizeof(o));
            zeroed = 1;
        }
        {
            /* Records lie scattered in memory: start loading a few ahead
             * while this one is unpacked and visited. */
            const kube__chunk_t *ch = ix->c[POS_C(i)];
            size_t ahead = POS_I(i) + 4;
            if (ahead < ch->n) {
                __builtin_prefetch(ch->v[ahead]);
                __builtin_prefetch(ch->v[ahead]->data + 64);
            }
        }
        kube__rec_ref(r);
        kube__rec_unpack_over(prev, r, &o);
        kube__rec_unref(prev); /* o now holds r: r's ref stays as prev */
        prev = r;
        stop = visit(arg, &o);
        if (stop)
            break;
        if (kube__idx_at(ix, i) == r) {
            i = kube__idx_next(ix, i);
        } else {
            size_t pos;
            if (kube__idx_find(ix, KUBE__REC_NS(r), r->name, &pos))
                pos = kube__idx_next(ix, pos);
            i = pos;
        }
    }
    kube__rec_unref(prev);
    kube__st_ok(st, 200);
    return 0;
}

int kube__idx_list(const kube__index_t *ix, const char *ns,
                   kube_visit_cb visit, void *arg, kube_status_t *st)
{
    return idx_walk(ix, ns, 0, visit, arg, st);
}

/* The walk of kube__idx_list over the records being deleted only: none
 * when the count says so. */
int kube__idx_list_deleting(const kube__index_t *ix, const char *ns,
                            kube_visit_cb visit, void *arg,
                            kube_status_t *st)
{
    if (ix->ndel == 0) {
        kube__st_ok(st, 200);
        return 0;
    }
    return idx_walk(ix, ns, 1, visit, arg, st);
}

/* Number of objects in ns ("" = all), by bisection. */
int kube__idx_count(const kube__index_t *ix, const char *ns, size_t *n,
                    kube_status_t *st)
{
    const kube__rec_t *first = kube__idx_at(ix, 0);
    if (!ns || !ns[0])
        *n = ix->n;
    else if (!first)
        *n = 0;
    else if (!strcmp(KUBE__REC_NS(first), ns) &&
             !strcmp(KUBE__REC_NS(chunk_last(ix->c[ix->nc - 1])), ns))
        *n = ix->n; /* one namespace holds them all: no walk */
    else
        *n = ns_bound(ix, ns, 1) - ns_bound(ix, ns, 0);
    kube__st_ok(st, 200);
    return 0;
}

/* status answers --------------------------------------------------------*/

/* A success answer. */
void kube__st_ok(kube_status_t *st, int http)
{
    if (!st)
        return;
    memset(st, 0, sizeof(*st));
    st->http = http;
}

/* An error answer with the apiserver's reason and message. */
int kube__st_err(kube_status_t *st, int rc, int http, const char *reason,
                 const char *fmt, ...)
{
    va_list ap;
    if (!st)
        return rc;
    memset(st, 0, sizeof(*st));
    st->http = http;
    snprintf(st->reason, sizeof(st->reason), "%s", reason);
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof(st->message), fmt, ap);
    va_end(ap);
    return rc;
}

/* NewNotFound: `<resource> "<name>" not found`. */
int kube__st_notfound(kube_status_t *st, kube_kind_t kind, const char *name)
{
    return kube__st_err(st, SIM_ENOTFOUND, 404, "NotFound",
                        "%s \"%s\" not found", kube_kind_resource(kind),
                        name);
}
