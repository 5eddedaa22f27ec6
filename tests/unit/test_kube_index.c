/*
 * test_kube_index.c: the chunked (ns, name) index behind the kube store and
 * the informer cache (fakes/kube/object.c, kube_int.h).  Covers, against a
 * plain sorted array as the model: thousands of random inserts and deletes
 * across several namespaces (chunks splitting, emptying and leaving),
 * lookups of present and absent keys, in-order walks by position, count by
 * namespace, and appends in key order filling whole chunks.  Names come
 * in four shapes, so that the chunks' 8-byte name prefixes are compared
 * every way: random ("n" and 8 hex digits), 1-4 hex digits (shorter than a
 * prefix: zero padding), 8 characters whose neighbours differ in the last
 * byte of the prefix, and 16 characters sharing their first 8 (every
 * prefix ties, the names decide); then
 * kube__rec_unpack_over giving byte-identical objects to kube__rec_unpack
 * for records of shrinking and growing size.  The store's writes through
 * the index are covered by test_kube_store.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/kube_int.h"
#include "sim/rng.h"

#define NKEYS 6000

typedef struct {
    char ns[8];
    char name[24];
    int in;
} key_t_;

static key_t_ keys[NKEYS];

static int key_cmp(const void *a, const void *b)
{
    const key_t_ *x = a, *y = b;
    return kube__key_cmp(x->ns, x->name, y->ns, y->name);
}

static kube__rec_t *mkrec(const key_t_ *k)
{
    kube_obj_t *o = calloc(1, sizeof(*o));
    kube__rec_t *r;
    assert_non_null(o);
    kube_obj_init(o, KUBE_CONTAINER, k->ns, k->name);
    r = kube__rec_pack(o);
    free(o);
    assert_non_null(r);
    return r;
}

/* Every present key in order, by position, and count per namespace. */
static void check(const kube__index_t *ix)
{
    size_t pos = 0, i, n = 0, per_ns[3] = {0, 0, 0};
    kube__rec_t *r;
    static const char *const nss[] = {"a", "b", "c"};
    for (i = 0; i < NKEYS; i++) {
        if (!keys[i].in)
            continue;
        r = kube__idx_at(ix, pos);
        assert_non_null(r);
        assert_string_equal(KUBE__REC_NS(r), keys[i].ns);
        assert_string_equal(r->name, keys[i].name);
        per_ns[keys[i].ns[0] - 'a']++;
        pos = kube__idx_next(ix, pos);
        n++;
    }
    assert_null(kube__idx_at(ix, pos));
    assert_int_equal(ix->n, n);
    for (i = 0; i < 3; i++) {
        size_t got = 0;
        assert_int_equal(kube__idx_count(ix, nss[i], &got, NULL), 0);
        assert_int_equal(got, per_ns[i]);
    }
}

static void test_index_random_inserts_and_deletes_match_a_sorted_array(
    void **state)
{
    kube__index_t ix;
    sim_rng_t rng;
    size_t i, step;
    memset(&ix, 0, sizeof(ix));
    sim_rng_fork(&rng, 5, "test.kube.index");
    for (i = 0; i < NKEYS; i++) {
        snprintf(keys[i].ns, sizeof(keys[i].ns), "%c",
                 (char)('a' + sim_rng_range(&rng, 0, 2)));
        switch (i % 4) {
        case 0:
            snprintf(keys[i].name, sizeof(keys[i].name), "n%08x",
                     (unsigned)sim_rng_next(&rng));
            break;
        case 1: /* unique: i differs */
            snprintf(keys[i].name, sizeof(keys[i].name), "%x", (unsigned)i);
            break;
        case 2: /* 8 characters: neighbours differ in the last one */
            snprintf(keys[i].name, sizeof(keys[i].name), "q%07x",
                     (unsigned)i);
            break;
        default:
            snprintf(keys[i].name, sizeof(keys[i].name), "longpref%08x",
                     (unsigned)i);
            break;
        }
        keys[i].in = 0;
    }
    qsort(keys, NKEYS, sizeof(keys[0]), key_cmp);
    /* Four phases: mostly inserts, mixed, mostly deletes, then all out. */
    for (step = 0; step < 4 * NKEYS; step++) {
        size_t k = (size_t)sim_rng_range(&rng, 0, NKEYS - 1), pos;
        unsigned phase = (unsigned)(step / NKEYS);
        int want_in = phase == 0   ? sim_rng_range(&rng, 0, 9) < 9
                      : phase == 1 ? sim_rng_range(&rng, 0, 1)
                      : phase == 2 ? sim_rng_range(&rng, 0, 9) < 2
                                   : 0;
        int found = kube__idx_find(&ix, keys[k].ns, keys[k].name, &pos);
        assert_int_equal(found, keys[k].in);
        if (found && !want_in) {
            kube__rec_t *r = kube__idx_remove(&ix, pos);
            assert_string_equal(r->name, keys[k].name);
            kube__rec_unref(r);
            keys[k].in = 0;
        } else if (!found && want_in) {
            assert_int_equal(kube__idx_reserve(&ix, 1), 0);
            kube__idx_insert(&ix, pos, mkrec(&keys[k]));
            keys[k].in = 1;
        }
        if (step % 997 == 0)
            check(&ix);
    }
    for (i = 0; i < NKEYS; i++) {
        size_t pos;
        if (keys[i].in)
            kube__rec_unref(kube__idx_remove(
                &ix, (kube__idx_find(&ix, keys[i].ns, keys[i].name, &pos),
                      pos)));
        keys[i].in = 0;
    }
    check(&ix);
    assert_int_equal(ix.nc, 0);
    kube__idx_free(&ix);
}

static void test_index_appends_in_order_fill_whole_chunks(void **state)
{
    kube__index_t ix;
    size_t i, pos;
    memset(&ix, 0, sizeof(ix));
    for (i = 0; i < NKEYS; i++) {
        snprintf(keys[i].ns, sizeof(keys[i].ns), "a");
        snprintf(keys[i].name, sizeof(keys[i].name), "n%08zu", i);
        keys[i].in = 1;
        assert_false(kube__idx_find(&ix, "a", keys[i].name, &pos));
        assert_int_equal(kube__idx_reserve(&ix, 1), 0);
        kube__idx_insert(&ix, pos, mkrec(&keys[i]));
    }
    assert_int_equal(ix.nc, (NKEYS + KUBE__CHUNK - 1) / KUBE__CHUNK);
    check(&ix);
    kube__idx_free(&ix);
}

static kube__rec_t *rich_rec(int fields, const char *tag)
{
    kube_obj_t *o = calloc(1, sizeof(*o));
    kube__rec_t *r;
    int i;
    assert_non_null(o);
    kube_obj_init(o, KUBE_CONTAINER, "default", tag);
    for (i = 0; i < fields; i++) {
        snprintf(o->spec[i].key, sizeof(o->spec[i].key), "k%d-%s", i, tag);
        snprintf(o->spec[i].val, sizeof(o->spec[i].val), "v%d-%s-%s", i, tag,
                 tag);
    }
    o->nspec = fields;
    if (fields > 2) {
        o->nconds = 1;
        snprintf(o->conds[0].type, sizeof(o->conds[0].type), "Ready");
        snprintf(o->conds[0].message, sizeof(o->conds[0].message), "m-%s",
                 tag);
        o->conds[0].observed_gen = 7;
        o->conds[0].last_transition_ns = 9;
    }
    r = kube__rec_pack(o);
    free(o);
    assert_non_null(r);
    return r;
}

static void test_unpack_over_is_byte_identical_to_unpack(void **state)
{
    static const int sizes[] = {5, 0, 12, 3, 3, 1, 12};
    kube_obj_t *over = calloc(1, sizeof(*over));
    kube_obj_t *fresh = calloc(1, sizeof(*fresh));
    kube__rec_t *prev = NULL;
    size_t i;
    assert_non_null(over);
    assert_non_null(fresh);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char tag[16];
        kube__rec_t *r;
        snprintf(tag, sizeof(tag), "t%zu%s", i, i % 2 ? "long-long" : "");
        r = rich_rec(sizes[i], tag);
        memset(fresh, 0xa5, sizeof(*fresh)); /* unpack defines every byte */
        kube__rec_unpack(r, fresh);
        kube__rec_unpack_over(prev, r, over);
        assert_memory_equal(over, fresh, sizeof(*over));
        kube__rec_unref(prev);
        prev = r;
    }
    kube__rec_unref(prev);
    free(over);
    free(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_index_random_inserts_and_deletes_match_a_sorted_array),
        cmocka_unit_test(test_index_appends_in_order_fill_whole_chunks),
        cmocka_unit_test(test_unpack_over_is_byte_identical_to_unpack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
