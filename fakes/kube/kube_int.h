/*
 * kube_int.h: what store.c, cache.c and object.c share, and nothing else
 * may use.
 *
 * A kube_obj_t is about 8.5 KiB because its strings are fixed arrays; with
 * 10,000 mirrors per kind, a store plus two informer caches would hold
 * hundreds of MiB of zeros.  So the store and the caches keep objects
 * packed: a kube__rec_t is one allocation with the scalar fields and the
 * strings back to back, immutable once built and reference-counted, so one
 * stored state is shared by the index and every watch event that carries
 * it.  A write builds a new record and swaps the pointer.
 *
 * An index is one kind's records in (ns, name) byte order, kept in chunks
 * of at most KUBE__CHUNK pointers (a flat B+ tree of one level): a lookup
 * bisects the chunks by their last key, then the chunk; an insert or a
 * delete moves at most one chunk's pointers (a full chunk splits, an empty
 * one goes), so writes cost O(log n + KUBE__CHUNK) at any size instead of
 * a memmove of the whole array.  Appending past the last key skips the
 * search.  A position is a size_t (chunk << 9 | slot), valid until the
 * next insert or remove.  The generic readers below serve both the store
 * reader and the cache reader from an index.
 *
 * struct kube_store is here for store.c (writes, reads) and watch.c (the
 * watch and its watch cache) only; cache.c reaches the store through the
 * public calls.
 */
#ifndef KUBE_INT_H
#define KUBE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kube/kube.h"
#include "sim/rng.h"

/* A packed, immutable object state.  The header is one cache line; the
 * strings follow it, then their lengths, then the conditions' numbers. */
typedef struct kube__rec {
    uint32_t refs;                  /* private: owners (index, events) */
    kube_kind_t kind;               /* read-only */
    uint8_t nfin;                   /* read-only */
    uint8_t nspec;                  /* read-only */
    uint8_t nstatus;                /* read-only */
    uint8_t nconds;                 /* read-only */
    int deleting;                   /* read-only */
    uint64_t uid;                   /* read-only */
    uint64_t rv;                    /* read-only */
    int64_t generation;             /* read-only */
    uint64_t deletion_ns;           /* read-only */
    const char *name;               /* read-only: points into data */
    const uint16_t *lens;           /* private: each string's length, in
                                       data order */
    const uint64_t *cond_nums;      /* private: per condition its
                                       observed_gen, last transition and
                                       reason since */
    char data[];                    /* private: ns, name, strings... */
} kube__rec_t;

#define KUBE__REC_NS(r) ((const char *)(r)->data)

#define KUBE__CHUNK 256

/* Up to KUBE__CHUNK records in key order.  Unless mixed_ns, every record
 * is in namespace ns; pk[i] is the order-preserving 8-byte prefix of
 * v[i]'s name (kube__name_prefix).  A bisection then reads the chunk,
 * not the records, except on a prefix tie. */
typedef struct {
    uint32_t n;
    uint32_t mixed_ns;
    char ns[KUBE_NS_MAX];
    uint64_t pk[KUBE__CHUNK];
    kube__rec_t *v[KUBE__CHUNK];
} kube__chunk_t;

/* One kind's records in (ns, name) order. */
typedef struct {
    kube__chunk_t **c;  /* private: chunks in key order, none empty */
    size_t nc;          /* private */
    size_t capc;        /* private */
    kube__chunk_t *spare; /* private: reserved for the next split */
    size_t n;           /* read-only: records */
    size_t ndel;        /* read-only: records with a deletion timestamp */
} kube__index_t;

/* records ---------------------------------------------------------------*/

/* Packs o into a new record with one reference.  NULL on ENOMEM. */
kube__rec_t *kube__rec_pack(const kube_obj_t *o);
/* Fills *o (every byte defined) from r. */
void kube__rec_unpack(const kube__rec_t *r, kube_obj_t *o);
/* The same, where *o holds the unpack of prev (or zeros, prev NULL):
 * clears only what that one wrote instead of all of *o (a kube_obj_t is
 * about 15 KiB and a record is mostly a few hundred bytes), using the
 * records' string lengths, so no string is measured.  The result is
 * byte-identical to kube__rec_unpack(r, o). */
void kube__rec_unpack_over(const kube__rec_t *prev, const kube__rec_t *r,
                           kube_obj_t *o);
kube__rec_t *kube__rec_ref(kube__rec_t *r);
void kube__rec_unref(kube__rec_t *r);
int kube__key_cmp(const char *ns_a, const char *name_a, const char *ns_b,
                  const char *name_b);
/* The first 8 bytes of name, zero-padded, big-endian: names whose
 * prefixes differ are in the order of their prefixes. */
uint64_t kube__name_prefix(const char *name);

/* Equality of the parts a write compares (maps order-free, lists in
 * order). */
int kube__spec_equal(const kube_obj_t *a, const kube_obj_t *b);
int kube__status_equal(const kube_obj_t *a, const kube_obj_t *b);
int kube__fin_equal(const kube_obj_t *a, const kube_obj_t *b);
int kube__conds_equal(const kube_obj_t *a, const kube_obj_t *b);
/* SIM_EINVAL when counts are out of range or a string is unterminated. */
int kube__obj_check(const kube_obj_t *o);

/* Copies src into dst[cap] as snprintf(dst, cap, "%s", src) does (cut
 * to cap - 1 bytes, NUL-terminated), without the printf machinery. */
void kube__strlcpy(char *dst, size_t cap, const char *src);

/* index -----------------------------------------------------------------*/

/* 1 and *pos = its slot if found, else 0 and *pos = where it would go. */
int kube__idx_find(const kube__index_t *ix, const char *ns,
                   const char *name, size_t *pos);
/* Makes room for one insert (extra: a hint of how many will follow).  0
 * or SIM_ENOMEM; call it before each insert. */
int kube__idx_reserve(kube__index_t *ix, size_t extra);
/* Inserts at pos (room reserved), taking over the caller's reference. */
void kube__idx_insert(kube__index_t *ix, size_t pos, kube__rec_t *r);
/* Removes the record at pos and hands its reference to the caller. */
kube__rec_t *kube__idx_remove(kube__index_t *ix, size_t pos);
/* The record at pos, NULL past the end.  kube__idx_next is the position
 * after pos; position 0 is the first record. */
kube__rec_t *kube__idx_at(const kube__index_t *ix, size_t pos);
size_t kube__idx_next(const kube__index_t *ix, size_t pos);
/* Puts r at pos (which holds a record) and returns the record it held. */
kube__rec_t *kube__idx_swap(kube__index_t *ix, size_t pos, kube__rec_t *r);
/* Drops every record and the array. */
void kube__idx_free(kube__index_t *ix);

/* The reader operations of kube_reader_t over one kind's index. */
int kube__idx_get(const kube__index_t *ix, kube_kind_t kind, const char *ns,
                  const char *name, kube_obj_t *out, kube_status_t *st);
int kube__idx_list(const kube__index_t *ix, const char *ns,
                   kube_visit_cb visit, void *arg, kube_status_t *st);
int kube__idx_list_deleting(const kube__index_t *ix, const char *ns,
                            kube_visit_cb visit, void *arg,
                            kube_status_t *st);
int kube__idx_count(const kube__index_t *ix, const char *ns, size_t *n,
                    kube_status_t *st);

/* store and watch -------------------------------------------------------*/

#define KUBE__STORE_NAME_MAX 64

typedef struct kube__watcher kube__watcher_t;

struct kube_store {
    sim_loop_t *loop;               /* read-only */
    char name[KUBE__STORE_NAME_MAX]; /* read-only: fault target, trace */
    char addr[32];                  /* private: host:port clients dial */
    uint64_t rv;                    /* private (store.c): the revision */
    uint64_t next_uid;              /* private (store.c) */
    kube__index_t idx[KUBE_KIND__COUNT]; /* private (store.c) */
    kube_reader_t reader;           /* private (store.c) */
    kube__watcher_t **w;            /* private (watch.c): subscription
                                       order */
    size_t nw;                      /* private (watch.c) */
    size_t capw;                    /* private (watch.c) */
    int next_watch_id;              /* private (watch.c) */
    kube_lag_t lag;                 /* private (watch.c): the cache's lag */
    sim_rng_t lag_rng;              /* private (watch.c): "kube.<name>.lag" */
    uint64_t visible_ns[KUBE_KIND__COUNT]; /* private (watch.c): per
                                       kind (one watch cache per resource
                                       type), the visible time of its last
                                       commit */
    kube__rec_t *delivering_rec;    /* private (watch.c): the record of
                                       the event being delivered */
    const kube_obj_t *delivering_obj; /* private (watch.c): what it was
                                       unpacked into */
    uint64_t delivering_cause;      /* private (watch.c): trace seq of the
                                       write being delivered, 0 if none */
    uint64_t delivering_commit_ns;  /* private (watch.c): commit time of
                                       the event being delivered */
    uint64_t delivering_rv;         /* private (watch.c): the store RV the
                                       delivered event's commit made */
    kube_watch_cb observer;         /* private (store.c): see
                                       kube_store_observe */
    void *observer_arg;
    uint64_t down_until_ns;         /* private (store.c): the end of a
                                       kube.apiserver.unavailable outage */
};

/* Sets up the watch part of a new store (forks its lag stream). */
void kube__watch_init(kube_store_t *s);
/* First half of a commit of one change of kind: fixes its visible time
 * in kind's watch cache (*vis_ns; draws the lag, evaluates
 * kube.cache.freeze) and makes room in every subscriber's queue for
 * kind.  0 or SIM_ENOMEM, then nothing is queued. */
int kube__watch_prepare(kube_store_t *s, kube_kind_t kind, uint64_t *vis_ns);
/* Second half, after the RV moved: queues r (a new reference each) to
 * every subscriber of its kind, in that kind's queue, ordered across kinds
 * by the store RV.  Cannot fail. */
void kube__watch_publish(kube_store_t *s, kube__rec_t *r,
                         kube_event_type_t type, uint64_t vis_ns);
/* Drops every subscription (pending events too) and the array. */
void kube__watch_close(kube_store_t *s);
/* Inside a watch callback: the virtual time the delivered event was
 * committed at (its lag is sim_now() minus this). */
uint64_t kube__store_delivering_commit_ns(const kube_store_t *s);
/* Inside a watch callback: the store RV of the delivered commit (for a
 * DELETED event, the deletion's RV, which obj->rv is not). */
uint64_t kube__store_delivering_rv(const kube_store_t *s);
/* The trace seq of the write being delivered (a cause link), 0 if none. */
uint64_t kube__store_delivering_cause(const kube_store_t *s);
/* True while a kube.apiserver.unavailable outage lasts: writes and new
 * watches are refused, open watches end (cache.c). */
int kube__store_down(const kube_store_t *s);
/* Inside a watch callback of s handed o: the record o was unpacked from
 * (a reader may share it instead of packing o again); else NULL. */
kube__rec_t *kube__store_delivering_rec(const kube_store_t *s,
                                        const kube_obj_t *o);

/* status answers --------------------------------------------------------*/

/* Fills st (may be NULL) with a success answer. */
void kube__st_ok(kube_status_t *st, int http);
/* Fills st (may be NULL) with an error answer; returns rc. */
int kube__st_err(kube_status_t *st, int rc, int http, const char *reason,
                 const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* 404 `<resource> "<name>" not found`. */
int kube__st_notfound(kube_status_t *st, kube_kind_t kind, const char *name);

#endif
