/*
 * store.c: the apiserver's authoritative store (etcd behind the registry),
 * its writes, and the store reader (GET / APIReader).
 *
 * Models (docs/platform.md#kube-apiserver-and-client-go):
 * - one uint64 resourceVersion per store, bumped by every committed write
 *   and stamped on the object written (a DELETED event carries the
 *   deletion's RV); a write that changes nothing commits nothing: same RV,
 *   no event (GuaranteedUpdate's short-circuit);
 * - CRDs with the /status subresource: create and the main endpoint drop
 *   status, the /status endpoint takes only status and never bumps
 *   generation, a spec change on the main endpoint bumps it, metadata-only
 *   changes (finalizers) do not, clients cannot set it;
 * - optimistic concurrency: an update whose RV is not the stored one gets
 *   409 Conflict; RV 0 gets 422 (CRs forbid unconditional update);
 * - DELETE: no finalizers -> gone (DELETED); finalizers -> deletionTimestamp
 *   = now and generation + 1 (MODIFIED); again while terminating -> no
 *   write; the update that removes the last finalizer of a terminating
 *   object deletes it (DELETED); a new finalizer on a terminating object is
 *   422;
 * - server-side apply with force as RDD uses it: the main endpoint creates
 *   or merges spec fields and finalizers (finalizers are a set), the
 *   /status endpoint merges status fields and conditions (by type) and
 *   never creates (404 when absent, like StatusREST);
 * - fault sites kube.apf.throttled (429, plain text) and kube.server.error
 *   (500) on every write, kube.update.conflict on update and update_status
 *   (never on a merge patch: it carries no resourceVersion);
 * - annotations as spec fields keyed KUBE_ANNOTATION_PREFIX: metadata, so
 *   a change of them never bumps generation;
 * - every commit is handed to the watch and its kind's watch cache (watch.c),
 *   which deliver it to the subscribers on a later turn.
 * Leaves out: field managers (an apply never removes what an earlier apply
 * set), labels and annotations, selectors, pagination, reads served from a
 * stale watch cache (GET and LIST answer from etcd's state).
 */
#include <string.h>

#include "kube/kube_int.h"
#include "sim/alloc.h"
#include "sim/assert.h"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

/* commit ----------------------------------------------------------------*/

/*
 * The one place a write lands.  nw is the new state (its rv is set here);
 * pos/found come from the lookup.  Everything that can fail (the packed
 * record, index room, the watch's queue room and timers) is done first,
 * so a write either commits whole or not at all.
 */
static int commit(kube_store_t *s, kube_obj_t *nw, size_t pos, int found,
                  kube_event_type_t type)
{
    kube__index_t *ix = &s->idx[nw->kind];
    kube__rec_t *r;
    uint64_t vis = 0;
    int rc = 0;
    nw->rv = s->rv + 1;
    r = kube__rec_pack(nw);
    if (!r)
        return SIM_ENOMEM;
    if (!found)
        rc = kube__idx_reserve(ix, 1);
    if (rc == 0)
        rc = kube__watch_prepare(s, nw->kind, &vis);
    if (rc) {
        kube__rec_unref(r);
        return rc;
    }
    s->rv++;
    kube__watch_publish(s, r, type, vis);
    if (type == KUBE_DELETED) {
        SIM_ASSERT(found);
        kube__rec_unref(kube__idx_remove(ix, pos));
        kube__rec_unref(r);
    } else if (found) {
        kube__rec_unref(kube__idx_swap(ix, pos, r));
    } else {
        kube__idx_insert(ix, pos, r);
    }
    if (s->observer)
        s->observer(s->observer_arg, type, nw);
    return 0;
}

/* helpers ---------------------------------------------------------------*/

static void trace_write(kube_store_t *s, const char *ev, const char *sub,
                        kube_kind_t kind, const char *ns, const char *name,
                        int rc, const kube_status_t *st, const char *result,
                        const kube_obj_t *o)
{
    sim_trace_t *tr = sim_trace_begin(s->loop, ev);
    char nsb[KUBE_NS_MAX], nameb[KUBE_NAME_MAX];
    if (!tr)
        return;
    /* bounded copies: a malformed object may lack its NUL */
    kube__strlcpy(nsb, sizeof(nsb), ns);
    kube__strlcpy(nameb, sizeof(nameb), name);
    sim_trace_str(tr, "store", s->name);
    if (sub)
        sim_trace_str(tr, "sub", sub);
    sim_trace_str(tr, "kind", (unsigned)kind < KUBE_KIND__COUNT
                                  ? kube_kind_name(kind)
                                  : "?");
    sim_trace_str(tr, "ns", nsb);
    sim_trace_str(tr, "name", nameb);
    if (rc == 0) {
        sim_trace_str(tr, "result", result);
        sim_trace_u64(tr, "rv", o->rv);
        sim_trace_i64(tr, "gen", o->generation);
    } else {
        sim_trace_err(tr, "err", rc);
        sim_trace_i64(tr, "http", st->http);
    }
    sim_trace_end(tr);
}

int kube__store_down(const kube_store_t *s)
{
    return sim_now(s->loop) < s->down_until_ns;
}

void kube_store_set_addr(kube_store_t *s, const char *hostport)
{
    kube__strlcpy(s->addr, sizeof(s->addr), hostport);
}

/* The client's error while the apiserver is down: the TCP connect is
 * refused before any HTTP exchange (no Status, no code). */
static int refused(const kube_store_t *s, kube_status_t *st)
{
    return kube__st_err(st, SIM_ECONNREFUSED, 0, "",
                        "dial tcp %s: connect: connection refused",
                        s->addr[0] ? s->addr : "127.0.0.1");
}

/* The filters in front of every write: an outage (kube.apiserver.
 * unavailable opens one of 1-30 s at a write it fires on), APF, then the
 * injected 500. */
static int write_faults(kube_store_t *s, kube_status_t *st)
{
    if (kube__store_down(s))
        return refused(s, st);
    if (SIM_FAULT(s->loop, KUBE_APISERVER_UNAVAILABLE, s->name)) {
        uint64_t len = sim_fault_range(s->loop,
                                       SIM_FAULT_KUBE_APISERVER_UNAVAILABLE,
                                       SIM_NS_PER_S, 30 * SIM_NS_PER_S);
        sim_trace_t *tr = sim_trace_begin(s->loop, "kube.apiserver.down");
        s->down_until_ns = sim_now(s->loop) + len;
        sim_trace_str(tr, "store", s->name);
        sim_trace_ns(tr, "for", len);
        sim_trace_end(tr);
        return refused(s, st);
    }
    if (SIM_FAULT(s->loop, KUBE_APF_THROTTLED, s->name))
        return kube__st_err(st, SIM_ETOOMANY, 429, "TooManyRequests",
                            "Too many requests, please try again later.");
    if (SIM_FAULT(s->loop, KUBE_SERVER_ERROR, s->name))
        return kube__st_err(st, SIM_ESERVER, 500, "InternalError",
                            "Internal error occurred: injected");
    return 0;
}

static int bad_object(kube_status_t *st)
{
    return kube__st_err(st, SIM_EINVAL, 400, "BadRequest",
                        "the object is malformed");
}

static int conflict(kube_status_t *st, kube_kind_t kind, const char *name)
{
    return kube__st_err(st, SIM_ECONFLICT, 409, "Conflict",
                        "Operation cannot be fulfilled on %s \"%s\": the "
                        "object has been modified; please apply your "
                        "changes to the latest version and try again",
                        kube_kind_resource(kind), name);
}

/* The optimistic-lock check of an update (main or /status endpoint). */
static int check_rv(kube_store_t *s, const kube_obj_t *o, uint64_t rv,
                    kube_status_t *st)
{
    if (SIM_FAULT(s->loop, KUBE_UPDATE_CONFLICT, s->name))
        return conflict(st, o->kind, o->name);
    if (o->rv == 0)
        return kube__st_err(st, SIM_EINVALID, 422, "Invalid",
                            "%s \"%s\" is invalid: "
                            "metadata.resourceVersion: Invalid value: 0: "
                            "must be specified for an update",
                            kube_kind_resource(o->kind), o->name);
    if (o->rv != rv)
        return conflict(st, o->kind, o->name);
    return 0;
}

/* ValidateNoNewFinalizers: 422 naming, Go-style, the finalizers in nw
 * that old lacks. */
static int no_new_finalizers(const kube_obj_t *old, const kube_obj_t *nw,
                             kube_status_t *st)
{
    char list[KUBE_FINALIZERS_MAX * 70];
    size_t len = 0;
    int i, n = 0;
    list[0] = 0;
    for (i = 0; i < nw->nfin; i++) {
        if (kube_has_finalizer(old, nw->fin[i]))
            continue;
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s\"%s\"",
                                n++ ? ", " : "", nw->fin[i]);
    }
    if (n == 0)
        return 0;
    return kube__st_err(st, SIM_EINVALID, 422, "Invalid",
                        "metadata.finalizers: Forbidden: no new finalizers "
                        "can be added if the object is being deleted, found "
                        "new finalizers []string{%s}",
                        list);
}

static void take_fins(kube_obj_t *dst, const kube_obj_t *src)
{
    int i;
    memset(dst->fin, 0, sizeof(dst->fin));
    dst->nfin = 0;
    for (i = 0; i < src->nfin; i++)
        (void)kube_add_finalizer(dst, src->fin[i]);
}

static void take_fields(kube_field_t *dst, int *ndst, const kube_field_t *src,
                        int nsrc)
{
    int i;
    memset(dst, 0, KUBE_FIELDS_MAX * sizeof(*dst));
    *ndst = 0;
    for (i = 0; i < nsrc; i++) {
        kube__strlcpy(dst[*ndst].key, KUBE_KEY_MAX, src[i].key);
        kube__strlcpy(dst[*ndst].val, KUBE_VAL_MAX, src[i].val);
        (*ndst)++;
    }
}

static void copy_cond(kube_cond_t *d, const kube_cond_t *c)
{
    memset(d, 0, sizeof(*d));
    kube__strlcpy(d->type, sizeof(d->type), c->type);
    kube__strlcpy(d->status, sizeof(d->status), c->status);
    kube__strlcpy(d->reason, sizeof(d->reason), c->reason);
    kube__strlcpy(d->message, sizeof(d->message), c->message);
    d->observed_gen = c->observed_gen;
    d->last_transition_ns = c->last_transition_ns;
    d->reason_since_ns = c->reason_since_ns;
}

static void take_conds(kube_obj_t *dst, const kube_obj_t *src)
{
    int i;
    memset(dst->conds, 0, sizeof(dst->conds));
    for (i = 0; i < src->nconds; i++)
        copy_cond(&dst->conds[i], &src->conds[i]);
    dst->nconds = src->nconds;
}

/* provenance is simulator ground truth: taken when given, and a change of
 * it is a change (a mirror re-applied from another daemon shows it). */
static void take_provenance(kube_obj_t *dst, const kube_obj_t *src)
{
    if (src->provenance[0])
        kube__strlcpy(dst->provenance, sizeof(dst->provenance),
                      src->provenance);
}

/* Builds and commits a new object at index position pos from the
 * main-endpoint parts of o (finalizers, spec, provenance): generation 1, a
 * new uid.  Shared by create and apply-create.  Returns commit's code. */
static int create_at(kube_store_t *s, const kube_obj_t *o, size_t pos,
                     kube_obj_t *nw)
{
    int rc;
    kube_obj_init(nw, o->kind, o->ns, o->name);
    take_fins(nw, o);
    take_fields(nw->spec, &nw->nspec, o->spec, o->nspec);
    take_provenance(nw, o);
    nw->uid = s->next_uid + 1;
    nw->generation = 1;
    if ((rc = commit(s, nw, pos, 0, KUBE_ADDED)) == 0)
        s->next_uid++;
    return rc;
}

/* writes ----------------------------------------------------------------*/

/* POST: generation 1, a new uid, finalizers and spec from o; status,
 * conditions, generation and deletion fields in o are dropped (CRDs with
 * the /status subresource).  409 AlreadyExists if present.  On success o
 * holds the stored state. */
int kube_create(kube_store_t *s, kube_obj_t *o, kube_status_t *st)
{
    kube_status_t lst;
    kube_obj_t nw;
    size_t pos;
    int rc;
    if (!st)
        st = &lst;
    if ((rc = kube__obj_check(o)) != 0) {
        rc = bad_object(st);
        goto out;
    }
    if ((rc = write_faults(s, st)) != 0)
        goto out;
    if (kube__idx_find(&s->idx[o->kind], o->ns, o->name, &pos)) {
        rc = kube__st_err(st, SIM_EEXIST, 409, "AlreadyExists",
                          "%s \"%s\" already exists",
                          kube_kind_resource(o->kind), o->name);
        goto out;
    }
    if ((rc = create_at(s, o, pos, &nw)) != 0) {
        kube__st_err(st, rc, 500, "InternalError",
                     "Internal error occurred: out of memory");
        goto out;
    }
    *o = nw;
    kube__st_ok(st, 201);
out:
    trace_write(s, "kube.obj.create", NULL, o->kind, o->ns, o->name, rc, st,
                "created", o);
    return rc;
}

/* Spec fields other than annotations (KUBE_ANNOTATION_PREFIX), as a map:
 * metadata.annotations are not spec, and a change of them never moves
 * generation (only spec does, for CRDs with /status). */
static int spec_proper_equal(const kube_obj_t *a, const kube_obj_t *b)
{
    size_t pl = strlen(KUBE_ANNOTATION_PREFIX);
    int i;
    for (i = 0; i < a->nspec; i++) {
        const char *v;
        if (strncmp(a->spec[i].key, KUBE_ANNOTATION_PREFIX, pl) == 0)
            continue;
        v = kube_spec_get(b, a->spec[i].key);
        if (!v || strcmp(v, a->spec[i].val) != 0)
            return 0;
    }
    for (i = 0; i < b->nspec; i++)
        if (strncmp(b->spec[i].key, KUBE_ANNOTATION_PREFIX, pl) != 0 &&
            !kube_spec_get(a, b->spec[i].key))
            return 0;
    return 1;
}

/* Common lookup for update-type writes: checks, faults, 404. */
static int lookup(kube_store_t *s, const kube_obj_t *o, kube_obj_t *old,
                  size_t *pos, kube_status_t *st)
{
    int rc;
    if (kube__obj_check(o) != 0)
        return bad_object(st);
    if ((rc = write_faults(s, st)) != 0)
        return rc;
    if (!kube__idx_find(&s->idx[o->kind], o->ns, o->name, pos))
        return kube__st_notfound(st, o->kind, o->name);
    kube__rec_unpack(kube__idx_at(&s->idx[o->kind], *pos), old);
    return 0;
}

static int oom(kube_status_t *st, int rc)
{
    return kube__st_err(st, rc, 500, "InternalError",
                        "Internal error occurred: out of memory");
}

/* Commits nw over old through the main endpoint (update, merge patch):
 * generation + 1 when spec proper changed, the last finalizer of a
 * deleting object removed deletes it (*result "deleted").  Fills st. */
static int commit_main(kube_store_t *s, kube_obj_t *nw, const kube_obj_t *old,
                       size_t pos, kube_status_t *st, const char **result)
{
    int rc;
    if (!spec_proper_equal(nw, old))
        nw->generation++;
    if (old->deleting && nw->nfin == 0) {
        *result = "deleted";
        rc = commit(s, nw, pos, 1, KUBE_DELETED);
    } else {
        rc = commit(s, nw, pos, 1, KUBE_MODIFIED);
    }
    if (rc)
        return oom(st, rc);
    kube__st_ok(st, 200);
    return 0;
}

/* PUT on the main endpoint; see kube.h.  422 for RV 0 or a new finalizer
 * on a terminating object, 409, 404, 429, 500. */
int kube_update(kube_store_t *s, kube_obj_t *o, kube_status_t *st)
{
    kube_status_t lst;
    kube_obj_t old, nw;
    const char *result = "updated";
    size_t pos;
    int rc, spec_changed;
    if (!st)
        st = &lst;
    if ((rc = lookup(s, o, &old, &pos, st)) != 0)
        goto out;
    if ((rc = check_rv(s, o, old.rv, st)) != 0)
        goto out;
    nw = old;
    take_fields(nw.spec, &nw.nspec, o->spec, o->nspec);
    take_fins(&nw, o);
    if (old.deleting && (rc = no_new_finalizers(&old, &nw, st)) != 0)
        goto out;
    spec_changed = !kube__spec_equal(&nw, &old);
    if (!spec_changed && kube__fin_equal(&nw, &old)) {
        result = "noop";
        *o = old;
        kube__st_ok(st, 200);
        goto out;
    }
    if ((rc = commit_main(s, &nw, &old, pos, st, &result)) != 0)
        goto out;
    *o = nw;
out:
    trace_write(s, "kube.obj.update", NULL, o->kind, o->ns, o->name, rc, st,
                result, o);
    return rc;
}

/* PUT on /status: status fields and conditions replace the stored ones;
 * provenance is taken when given; nothing else is; generation never
 * moves.  409, 422 (RV 0), 404, 429, 500. */
int kube_update_status(kube_store_t *s, kube_obj_t *o, kube_status_t *st)
{
    kube_status_t lst;
    kube_obj_t old, nw;
    const char *result = "updated";
    size_t pos;
    int rc;
    if (!st)
        st = &lst;
    if ((rc = lookup(s, o, &old, &pos, st)) != 0)
        goto out;
    if ((rc = check_rv(s, o, old.rv, st)) != 0)
        goto out;
    nw = old;
    take_fields(nw.status, &nw.nstatus, o->status, o->nstatus);
    take_conds(&nw, o);
    take_provenance(&nw, o);
    if (kube__status_equal(&nw, &old) && kube__conds_equal(&nw, &old) &&
        strcmp(nw.provenance, old.provenance) == 0) {
        result = "noop";
        *o = old;
        kube__st_ok(st, 200);
        goto out;
    }
    if ((rc = commit(s, &nw, pos, 1, KUBE_MODIFIED)) != 0) {
        oom(st, rc);
        goto out;
    }
    *o = nw;
    kube__st_ok(st, 200);
out:
    trace_write(s, "kube.obj.update", "status", o->kind, o->ns, o->name, rc,
                st, result, o);
    return rc;
}

/* A JSON merge patch's effect on one field map: keys whose value in mod
 * differs from orig's are set, keys orig has and mod lacks are removed
 * (null); keys neither mentions keep the stored value.  SIM_ERANGE when
 * the stored map is full. */
static int merge_fields(kube_field_t *dst, int *ndst, const kube_field_t *orig,
                        int norig, const kube_field_t *mod, int nmod)
{
    int i, j, k;
    for (i = 0; i < nmod; i++) {
        for (j = 0; j < norig; j++)
            if (strcmp(orig[j].key, mod[i].key) == 0)
                break;
        if (j < norig && strcmp(orig[j].val, mod[i].val) == 0)
            continue;
        for (k = 0; k < *ndst; k++)
            if (strcmp(dst[k].key, mod[i].key) == 0)
                break;
        if (k == *ndst) {
            if (*ndst >= KUBE_FIELDS_MAX)
                return SIM_ERANGE;
            (*ndst)++;
        }
        kube__strlcpy(dst[k].key, KUBE_KEY_MAX, mod[i].key);
        kube__strlcpy(dst[k].val, KUBE_VAL_MAX, mod[i].val);
    }
    for (j = 0; j < norig; j++) {
        for (i = 0; i < nmod; i++)
            if (strcmp(orig[j].key, mod[i].key) == 0)
                break;
        if (i < nmod)
            continue;
        for (k = 0; k < *ndst; k++)
            if (strcmp(dst[k].key, orig[j].key) == 0) {
                memmove(&dst[k], &dst[k + 1],
                        (size_t)(*ndst - k - 1) * sizeof(*dst));
                (*ndst)--;
                memset(&dst[*ndst], 0, sizeof(*dst));
                break;
            }
    }
    return 0;
}

/* PATCH (application/merge-patch+json) of the diff orig -> mod; see
 * kube.h.  No resourceVersion in the patch, so no optimistic-lock check:
 * never 409.  404, 422 (too large for this fake), 429, 500. */
int kube_merge_patch(kube_store_t *s, const kube_obj_t *orig, kube_obj_t *mod,
                     int status_part, kube_status_t *st)
{
    kube_status_t lst;
    kube_obj_t old, nw;
    const char *result = "patched";
    size_t pos;
    int rc;
    if (!st)
        st = &lst;
    if ((rc = lookup(s, mod, &old, &pos, st)) != 0)
        goto out;
    nw = old;
    if (status_part) {
        rc = merge_fields(nw.status, &nw.nstatus, orig->status, orig->nstatus,
                          mod->status, mod->nstatus);
        /* conditions are a list: a merge patch replaces it whole */
        if (rc == 0 && !kube__conds_equal(orig, mod))
            take_conds(&nw, mod);
    } else {
        rc = merge_fields(nw.spec, &nw.nspec, orig->spec, orig->nspec,
                          mod->spec, mod->nspec);
        if (rc == 0 && !kube__fin_equal(orig, mod))
            take_fins(&nw, mod);
        if (rc == 0 && old.deleting)
            rc = no_new_finalizers(&old, &nw, st);
    }
    if (rc == SIM_ERANGE)
        rc = kube__st_err(st, rc, 422, "Invalid",
                          "%s \"%s\" is too large for this fake",
                          kube_kind_resource(mod->kind), mod->name);
    if (rc)
        goto out;
    if (kube__spec_equal(&nw, &old) && kube__fin_equal(&nw, &old) &&
        kube__status_equal(&nw, &old) && kube__conds_equal(&nw, &old)) {
        result = "noop";
        *mod = old;
        kube__st_ok(st, 200);
        goto out;
    }
    if ((rc = commit_main(s, &nw, &old, pos, st, &result)) != 0)
        goto out;
    *mod = nw;
out:
    trace_write(s, "kube.obj.patch", status_part ? "status" : NULL, mod->kind,
                mod->ns, mod->name, rc, st, result, mod);
    return rc;
}

/* Merges o's status fields and conditions (by type, whole condition as
 * given) into nw. */
static int merge_status(kube_obj_t *nw, const kube_obj_t *o)
{
    int i, j;
    for (i = 0; i < o->nstatus; i++)
        if (kube_status_set(nw, o->status[i].key, o->status[i].val) != 0)
            return SIM_ERANGE;
    for (i = 0; i < o->nconds; i++) {
        for (j = 0; j < nw->nconds; j++)
            if (strcmp(nw->conds[j].type, o->conds[i].type) == 0)
                break;
        if (j == nw->nconds) {
            if (nw->nconds >= KUBE_CONDS_MAX)
                return SIM_ERANGE;
            nw->nconds++;
        }
        copy_cond(&nw->conds[j], &o->conds[i]);
    }
    return 0;
}

/* Merges o's spec fields and finalizers into nw; 422 if a finalizer is new
 * on a terminating object. */
static int merge_main(kube_obj_t *nw, const kube_obj_t *old,
                      const kube_obj_t *o, kube_status_t *st)
{
    int i, rc;
    for (i = 0; i < o->nspec; i++)
        if (kube_spec_set(nw, o->spec[i].key, o->spec[i].val) != 0)
            return SIM_ERANGE;
    for (i = 0; i < o->nfin; i++)
        if (kube_add_finalizer(nw, o->fin[i]) < 0)
            return SIM_ERANGE;
    if (old->deleting && (rc = no_new_finalizers(old, nw, st)) != 0)
        return rc;
    return 0;
}

/* PATCH (apply, force); see kube.h.  404 for a /status apply on an absent
 * object, 422, 429, 500; SIM_ERANGE when the merge exceeds this fake's
 * fixed field counts. */
int kube_apply(kube_store_t *s, const kube_obj_t *o, int status_part,
               kube_status_t *st)
{
    kube_status_t lst;
    kube_obj_t old, nw;
    const char *result = "applied";
    size_t pos;
    int rc;
    if (!st)
        st = &lst;
    if (kube__obj_check(o) != 0) {
        rc = bad_object(st);
        goto out_err;
    }
    if ((rc = write_faults(s, st)) != 0)
        goto out_err;
    if (!kube__idx_find(&s->idx[o->kind], o->ns, o->name, &pos)) {
        if (status_part) {
            rc = kube__st_notfound(st, o->kind, o->name);
            goto out_err;
        }
        if ((rc = create_at(s, o, pos, &nw)) != 0) {
            oom(st, rc);
            goto out_err;
        }
        kube__st_ok(st, 201);
        result = "created";
        goto out;
    }
    kube__rec_unpack(kube__idx_at(&s->idx[o->kind], pos), &old);
    nw = old;
    rc = status_part ? merge_status(&nw, o) : merge_main(&nw, &old, o, st);
    if (rc == SIM_ERANGE)
        kube__st_err(st, rc, 422, "Invalid",
                     "%s \"%s\" is too large for this fake",
                     kube_kind_resource(o->kind), o->name);
    if (rc)
        goto out_err;
    take_provenance(&nw, o);
    if (kube__spec_equal(&nw, &old) && kube__fin_equal(&nw, &old) &&
        kube__status_equal(&nw, &old) && kube__conds_equal(&nw, &old) &&
        strcmp(nw.provenance, old.provenance) == 0) {
        result = "noop";
        nw = old;
        kube__st_ok(st, 200);
        goto out;
    }
    if (!kube__spec_equal(&nw, &old))
        nw.generation++;
    if ((rc = commit(s, &nw, pos, 1, KUBE_MODIFIED)) != 0) {
        oom(st, rc);
        goto out_err;
    }
    kube__st_ok(st, 200);
out:
    trace_write(s, "kube.obj.apply", status_part ? "status" : NULL, o->kind,
                o->ns, o->name, 0, st, result, &nw);
    return 0;
out_err:
    trace_write(s, "kube.obj.apply", status_part ? "status" : NULL, o->kind,
                o->ns, o->name, rc, st, NULL, NULL);
    return rc;
}

/* DELETE; see kube.h.  A second DELETE of a terminating object changes
 * nothing (no write, no event).  404, 429, 500. */
int kube_delete(kube_store_t *s, kube_kind_t kind, const char *ns,
                const char *name, kube_status_t *st)
{
    kube_status_t lst;
    kube_obj_t old, nw;
    const char *result = NULL;
    size_t pos;
    int rc;
    if (!st)
        st = &lst;
    ns = ns ? ns : "";
    memset(&nw, 0, sizeof(nw));
    if ((unsigned)kind >= KUBE_KIND__COUNT) {
        rc = bad_object(st);
        goto out;
    }
    if ((rc = write_faults(s, st)) != 0)
        goto out;
    if (!kube__idx_find(&s->idx[kind], ns, name, &pos)) {
        rc = kube__st_notfound(st, kind, name);
        goto out;
    }
    kube__rec_unpack(kube__idx_at(&s->idx[kind], pos), &old);
    nw = old;
    if (old.nfin == 0) {
        result = "deleted";
        rc = commit(s, &nw, pos, 1, KUBE_DELETED);
    } else if (old.deleting) {
        result = "noop";
    } else {
        result = "terminating";
        nw.deleting = 1;
        nw.deletion_ns = sim_now(s->loop);
        nw.generation++;
        rc = commit(s, &nw, pos, 1, KUBE_MODIFIED);
    }
    if (rc)
        oom(st, rc);
    else
        kube__st_ok(st, 200);
out:
    trace_write(s, "kube.obj.delete", NULL, kind, ns, name, rc, st, result,
                &nw);
    return rc;
}

/* reads -----------------------------------------------------------------*/

/* GET straight from the store: a copy, or 404. */
int kube_get(kube_store_t *s, kube_kind_t kind, const char *ns,
             const char *name, kube_obj_t *out, kube_status_t *st)
{
    if ((unsigned)kind >= KUBE_KIND__COUNT)
        return bad_object(st);
    return kube__idx_get(&s->idx[kind], kind, ns, name, out, st);
}

static int reader_get(kube_reader_t *r, kube_kind_t kind, const char *ns,
                      const char *name, kube_obj_t *out, kube_status_t *st)
{
    return kube_get(r->impl, kind, ns, name, out, st);
}

static int reader_list(kube_reader_t *r, kube_kind_t kind, const char *ns,
                       kube_visit_cb visit, void *arg, kube_status_t *st)
{
    kube_store_t *s = r->impl;
    if ((unsigned)kind >= KUBE_KIND__COUNT)
        return bad_object(st);
    return kube__idx_list(&s->idx[kind], ns, visit, arg, st);
}

static int reader_list_deleting(kube_reader_t *r, kube_kind_t kind,
                                const char *ns, kube_visit_cb visit,
                                void *arg, kube_status_t *st)
{
    kube_store_t *s = r->impl;
    if ((unsigned)kind >= KUBE_KIND__COUNT)
        return bad_object(st);
    return kube__idx_list_deleting(&s->idx[kind], ns, visit, arg, st);
}

static int reader_count(kube_reader_t *r, kube_kind_t kind, const char *ns,
                        size_t *n, kube_status_t *st)
{
    kube_store_t *s = r->impl;
    if ((unsigned)kind >= KUBE_KIND__COUNT)
        return bad_object(st);
    return kube__idx_count(&s->idx[kind], ns, n, st);
}

/* The store as a reader; lives as long as the store. */
kube_reader_t *kube_store_reader(kube_store_t *s)
{
    return &s->reader;
}

/* The store's current revision (0 before the first write). */
uint64_t kube_store_last_uid(const kube_store_t *s)
{
    return s->next_uid;
}

uint64_t kube_store_rv(const kube_store_t *s)
{
    return s->rv;
}

/* The loop the store runs on. */
sim_loop_t *kube_store_loop(const kube_store_t *s)
{
    return s->loop;
}

/* life ------------------------------------------------------------------*/

/* An empty store.  name is the fault target and the trace's store=. */
int kube_store_new(sim_loop_t *loop, const char *name, kube_store_t **out)
{
    kube_store_t *s;
    SIM_ASSERT(loop != NULL);
    SIM_ASSERT(strlen(name) < KUBE__STORE_NAME_MAX);
    *out = NULL;
    s = sim__calloc(1, sizeof(*s));
    if (!s)
        return SIM_ENOMEM;
    s->loop = loop;
    memcpy(s->name, name, strlen(name) + 1);
    kube__watch_init(s);
    s->reader.get = reader_get;
    s->reader.list = reader_list;
    s->reader.list_deleting = reader_list_deleting;
    s->reader.count = reader_count;
    s->reader.impl = s;
    *out = s;
    return 0;
}

/* Frees the store, its objects and its subscriptions (pending events are
 * dropped).  Free the caches fed by it first.  NULL is a no-op. */
void kube_store_free(kube_store_t *s)
{
    int k;
    if (!s)
        return;
    kube__watch_close(s);
    for (k = 0; k < KUBE_KIND__COUNT; k++)
        kube__idx_free(&s->idx[k]);
    sim__free(s);
}

void kube_store_observe(kube_store_t *s, kube_watch_cb cb, void *arg)
{
    s->observer = cb;
    s->observer_arg = arg;
}
