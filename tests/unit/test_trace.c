/*
 * test_trace.c: the trace record (sim/include/sim/trace.h).  Covers the
 * exact text and JSON Lines renderings of one event with every field type,
 * JSON escaping of quotes, backslashes and control characters, text quoting
 * of values with spaces, quotes, '=' or nothing at all, the forms of
 * sim_fmt_ns, the run hash (over the binary records, identical for
 * identical events whatever the sinks, different when one field, key, name
 * or time differs), a NULL trace making every call a no-op, and a huge field
 * overflowing the line buffers into valid JSON with "truncated":true, and
 * the on_record reader (time, seq, cause, name and every typed field in
 * order; lookups by key; a truncated record with no fields; the hash
 * unchanged by a reader).  Sinks are open_memstream buffers.  docs/trace.md's event catalogue is out of
 * scope.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/errno.h"
#include "sim/loop.h"
#include "sim/rng.h"
#include "sim/trace.h"

/* Fixture: a loop with a trace writing to two memory streams. -----------*/

typedef struct {
    sim_loop_t loop;
    sim_trace_t tr;
    FILE *text;
    FILE *jsonl;
    char *tbuf;
    char *jbuf;
    size_t tlen;
    size_t jlen;
} fix_t;

static int setup_trace(void **state)
{
    fix_t *f = calloc(1, sizeof(*f));
    if (!f || sim_loop_init(&f->loop, 1) != 0)
        return -1;
    f->text = open_memstream(&f->tbuf, &f->tlen);
    f->jsonl = open_memstream(&f->jbuf, &f->jlen);
    if (!f->text || !f->jsonl)
        return -1;
    sim_trace_init(&f->tr, f->text, f->jsonl);
    f->loop.trace = &f->tr;
    *state = f;
    return 0;
}

static int teardown_trace(void **state)
{
    fix_t *f = *state;
    fclose(f->text);
    fclose(f->jsonl);
    free(f->tbuf);
    free(f->jbuf);
    sim_loop_close(&f->loop);
    free(f);
    return 0;
}

/* Flushes the sinks so tbuf/jbuf hold everything written so far. */
static void flush(fix_t *f)
{
    fflush(f->text);
    fflush(f->jsonl);
}

static void advance_to(fix_t *f, uint64_t ns)
{
    sim_loop_run(&f->loop, ns);
    assert_int_equal(sim_now(&f->loop), ns);
}

/* Renderings -------------------------------------------------------------*/

static void test_trace_renders_text_and_json_exactly(void **state)
{
    fix_t *f = *state;
    sim_trace_t *tr;
    advance_to(f, SIM_MS(1250));
    tr = sim_trace_begin(&f->loop, "kube.watch.event");
    assert_ptr_equal(tr, &f->tr);
    sim_trace_str(tr, "type", "ADDED");
    sim_trace_u64(tr, "rv", 1031);
    sim_trace_str(tr, "key", "containers/rd/web-0");
    sim_trace_i64(tr, "delta", -5);
    sim_trace_ns(tr, "lag", SIM_MS(1500));
    sim_trace_err(tr, "err", SIM_EPIPE);
    sim_trace_err(tr, "ok", 0);
    sim_trace_end(tr);
    flush(f);
    assert_string_equal(f->tbuf,
                        "t=1.250000000s #1 kube.watch.event type=ADDED "
                        "rv=1031 key=containers/rd/web-0 delta=-5 lag=1.500s "
                        "err=EPIPE ok=OK\n");
    assert_string_equal(f->jbuf,
                        "{\"t_ns\":1250000000,\"seq\":1,"
                        "\"ev\":\"kube.watch.event\",\"type\":\"ADDED\","
                        "\"rv\":1031,\"key\":\"containers/rd/web-0\","
                        "\"delta\":-5,\"lag\":1500000000,\"err\":\"EPIPE\","
                        "\"ok\":\"OK\"}\n");
}

static void test_trace_numbers_events_and_remembers_the_last(void **state)
{
    fix_t *f = *state;
    sim_trace_t *tr = sim_trace_begin(&f->loop, "a.b.first");
    sim_trace_end(tr);
    advance_to(f, 7);
    tr = sim_trace_begin(&f->loop, "a.b.second");
    sim_trace_u64(tr, "max", UINT64_MAX);
    sim_trace_i64(tr, "min", INT64_MIN);
    sim_trace_end(tr);
    flush(f);
    assert_int_equal(f->tr.seq, 2);
    assert_int_equal(f->tr.last_seq, 2);
    assert_string_equal(f->tr.last_ev, "a.b.second");
    assert_string_equal(f->tbuf,
                        "t=0.000000000s #1 a.b.first\n"
                        "t=0.000000007s #2 a.b.second "
                        "max=18446744073709551615 min=-9223372036854775808\n");
    assert_string_equal(f->jbuf,
                        "{\"t_ns\":0,\"seq\":1,\"ev\":\"a.b.first\"}\n"
                        "{\"t_ns\":7,\"seq\":2,\"ev\":\"a.b.second\","
                        "\"max\":18446744073709551615,"
                        "\"min\":-9223372036854775808}\n");
}

static void test_trace_json_escapes_quotes_backslashes_and_controls(
    void **state)
{
    fix_t *f = *state;
    sim_trace_t *tr = sim_trace_begin(&f->loop, "t.e.st");
    sim_trace_str(tr, "q", "say \"hi\"");
    sim_trace_str(tr, "bs", "C:\\pipe\\docker");
    sim_trace_str(tr, "ctl", "a\x01\n\t\x1f" "b");
    sim_trace_str(tr, "k\"ey", "v");
    sim_trace_str(tr, "utf8", "caf\xc3\xa9");
    sim_trace_end(tr);
    flush(f);
    assert_string_equal(f->jbuf,
                        "{\"t_ns\":0,\"seq\":1,\"ev\":\"t.e.st\","
                        "\"q\":\"say \\\"hi\\\"\","
                        "\"bs\":\"C:\\\\pipe\\\\docker\","
                        "\"ctl\":\"a\\u0001\\u000a\\u0009\\u001fb\","
                        "\"k\\\"ey\":\"v\","
                        "\"utf8\":\"caf\xc3\xa9\"}\n");
}

static void test_trace_text_quotes_values_with_spaces(void **state)
{
    fix_t *f = *state;
    sim_trace_t *tr = sim_trace_begin(&f->loop, "t.e.st");
    sim_trace_str(tr, "msg", "hello world");
    sim_trace_str(tr, "plain", "no-spaces_here/ok");
    sim_trace_str(tr, "empty", "");
    sim_trace_str(tr, "null", NULL);
    sim_trace_str(tr, "eq", "a=b");
    sim_trace_str(tr, "quote", "say \"hi\" \\o/");
    sim_trace_str(tr, "nl", "two\nlines");
    sim_trace_end(tr);
    flush(f);
    assert_string_equal(f->tbuf,
                        "t=0.000000000s #1 t.e.st msg=\"hello world\" "
                        "plain=no-spaces_here/ok empty=\"\" null=\"\" "
                        "eq=\"a=b\" quote=\"say \\\"hi\\\" \\\\o/\" "
                        "nl=\"two\\nlines\"\n");
    /* A NULL value is the empty string in JSON too. */
    assert_non_null(strstr(f->jbuf, "\"null\":\"\""));
}

static void test_fmt_ns_picks_the_shortest_exact_form(void **state)
{
    static const struct {
        uint64_t ns;
        const char *want;
    } rows[] = {
        {0, "0s"},
        {SIM_S(1), "1s"},
        {SIM_S(30), "30s"},
        {SIM_MS(200), "200ms"},
        {SIM_MS(1), "1ms"},
        {SIM_MS(999), "999ms"},
        {SIM_MS(1250), "1.250s"},
        {SIM_MS(61500), "61.500s"},
        {1, "0.000000001s"},
        {1500, "0.000001500s"},
        {SIM_S(1) + 1, "1.000000001s"},
        {SIM_MS(1) + 1, "0.001000001s"},
        {UINT64_MAX, "18446744073.709551615s"},
    };
    size_t i;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[32];
        assert_ptr_equal(sim_fmt_ns(buf, rows[i].ns), buf);
        assert_string_equal(buf, rows[i].want);
    }
}

/* Hash -------------------------------------------------------------------*/

typedef struct {
    uint64_t t_ns;
    const char *ev;
    const char *key;
    const char *val;
    uint64_t n;
} ev_row_t;

static uint64_t hash_of(const ev_row_t *rows, size_t n, FILE *text,
                        FILE *jsonl)
{
    sim_loop_t loop;
    sim_trace_t tr;
    size_t i;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    sim_trace_init(&tr, text, jsonl);
    loop.trace = &tr;
    for (i = 0; i < n; i++) {
        sim_trace_t *t;
        sim_loop_run(&loop, rows[i].t_ns);
        t = sim_trace_begin(&loop, rows[i].ev);
        sim_trace_str(t, rows[i].key, rows[i].val);
        sim_trace_u64(t, "n", rows[i].n);
        sim_trace_end(t);
    }
    sim_loop_close(&loop);
    return tr.hash;
}

static const ev_row_t base_rows[] = {
    {0, "sim.run.start", "scenario", "pipe_collision", 1},
    {SIM_MS(5), "npipe.listen.ok", "name", "\\\\.\\pipe\\docker_engine", 2},
    {SIM_MS(5), "dock.ping.ok", "daemon", "rd", 3},
    {SIM_S(2), "sim.run.end", "result", "pass", 4},
};

static void test_trace_hash_identical_for_identical_events(void **state)
{
    char *buf = NULL, *tbuf = NULL;
    size_t len = 0, tlen = 0;
    FILE *mem = open_memstream(&buf, &len);
    FILE *tmem = open_memstream(&tbuf, &tlen);
    uint64_t h_sinkless, h_mem, h_text;
    assert_non_null(mem);
    assert_non_null(tmem);
    h_sinkless = hash_of(base_rows, 4, NULL, NULL);
    h_mem = hash_of(base_rows, 4, NULL, mem);
    h_text = hash_of(base_rows, 4, tmem, NULL);
    fclose(mem);
    fclose(tmem);
    /* The sinks do not matter: the hash is over the records, not over a
     * rendering, and the renderings were written. */
    assert_true(h_sinkless == h_mem);
    assert_true(h_sinkless == h_text);
    assert_true(len > 0 && tlen > 0);
    assert_true(h_mem != SIM_FNV_OFFSET);
    free(buf);
    free(tbuf);
}

static void test_trace_hash_differs_when_one_field_differs(void **state)
{
    uint64_t h0 = hash_of(base_rows, 4, NULL, NULL);
    ev_row_t rows[4];
    int variant;
    for (variant = 0; variant < 5; variant++) {
        memcpy(rows, base_rows, sizeof(rows));
        switch (variant) {
        case 0: rows[2].val = "rD"; break;             /* a value */
        case 1: rows[2].key = "daemoN"; break;         /* a key */
        case 2: rows[2].ev = "dock.ping.fail"; break;  /* an event name */
        case 3: rows[2].t_ns = SIM_MS(6); break;       /* a time */
        case 4: rows[3].n = 5; break;                  /* a number */
        }
        assert_true(hash_of(rows, 4, NULL, NULL) != h0);
    }
    /* One event fewer differs too. */
    assert_true(hash_of(base_rows, 3, NULL, NULL) != h0);
}

/* NULL trace -------------------------------------------------------------*/

static void test_trace_null_makes_every_call_a_no_op(void **state)
{
    sim_loop_t loop;
    sim_trace_t *tr;
    assert_int_equal(sim_loop_init(&loop, 1), 0);
    assert_null(loop.trace);
    tr = sim_trace_begin(&loop, "a.b.c");
    assert_null(tr);
    sim_trace_str(tr, "k", "v");
    sim_trace_u64(tr, "k", 1);
    sim_trace_i64(tr, "k", -1);
    sim_trace_ns(tr, "k", 1);
    sim_trace_err(tr, "k", SIM_ENOMEM);
    sim_trace_end(tr);
    sim_trace_end(NULL);
    sim_loop_close(&loop);
}

/* Overflow ---------------------------------------------------------------*/

static void test_trace_huge_field_yields_valid_truncated_json(void **state)
{
    fix_t *f = *state;
    size_t n = 3 * SIM_TRACE_LINE_MAX;
    char *big = malloc(n + 1);
    sim_trace_t *tr;
    const char *second;
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = 0;
    tr = sim_trace_begin(&f->loop, "dock.body.big");
    sim_trace_u64(tr, "before", 1);
    sim_trace_str(tr, "body", big);
    sim_trace_u64(tr, "after", 2);
    sim_trace_end(tr);
    /* The next event is whole again. */
    tr = sim_trace_begin(&f->loop, "dock.body.small");
    sim_trace_u64(tr, "n", 3);
    sim_trace_end(tr);
    flush(f);
    free(big);
    assert_string_equal(f->jbuf,
                        "{\"t_ns\":0,\"seq\":1,\"ev\":\"dock.body.big\","
                        "\"truncated\":true}\n"
                        "{\"t_ns\":0,\"seq\":2,\"ev\":\"dock.body.small\","
                        "\"n\":3}\n");
    /* Text is cut at the buffer, one line per event. */
    second = strchr(f->tbuf, '\n');
    assert_non_null(second);
    assert_true((size_t)(second - f->tbuf) < SIM_TRACE_LINE_MAX);
    assert_string_equal(second + 1, "t=0.000000000s #2 dock.body.small n=3\n");
}

static void test_trace_field_overflowing_text_only_still_truncates_json(
    void **state)
{
    fix_t *f = *state;
    /* Fits the JSON buffer (twice the size), not the text one. */
    size_t n = SIM_TRACE_LINE_MAX + 100;
    char *big = malloc(n + 1);
    sim_trace_t *tr;
    assert_non_null(big);
    memset(big, 'y', n);
    big[n] = 0;
    tr = sim_trace_begin(&f->loop, "dock.body.big");
    sim_trace_str(tr, "body", big);
    sim_trace_end(tr);
    flush(f);
    free(big);
    assert_string_equal(f->jbuf,
                        "{\"t_ns\":0,\"seq\":1,\"ev\":\"dock.body.big\","
                        "\"truncated\":true}\n");
}

static void test_trace_many_fields_overflow_into_valid_json(void **state)
{
    fix_t *f = *state;
    sim_trace_t *tr = sim_trace_begin(&f->loop, "a.many.fields");
    int i;
    for (i = 0; i < 2000; i++)
        sim_trace_str(tr, "key", "va\"lue");
    sim_trace_end(tr);
    flush(f);
    assert_string_equal(f->jbuf,
                        "{\"t_ns\":0,\"seq\":1,\"ev\":\"a.many.fields\","
                        "\"truncated\":true}\n");
}

/* on_record -------------------------------------------------------------*/

typedef struct {
    int n;
    uint64_t t_ns, seq, cause;
    char ev[64];
    int truncated;
    char fields[512];           /* "type key=value;" per field */
    const char *key_str;        /* sim_trace_rec_str(rec, "key") */
    int have_rv, have_key_num;
    uint64_t rv;
    char key_copy[64];
} seen_rec_t;

static void on_rec(void *arg, const sim_trace_rec_t *rec)
{
    seen_rec_t *s = arg;
    sim_trace_field_t f;
    size_t pos = 0, n = 0;
    uint64_t dummy;
    const char *k;
    s->n++;
    s->t_ns = rec->t_ns;
    s->seq = rec->seq;
    s->cause = rec->cause;
    snprintf(s->ev, sizeof(s->ev), "%s", rec->ev);
    s->truncated = rec->truncated;
    s->fields[0] = 0;
    while (sim_trace_rec_field(rec, &pos, &f)) {
        if (f.type == 's')
            n += (size_t)snprintf(s->fields + n, sizeof(s->fields) - n,
                                  "s %s=%s;", f.key, f.str);
        else
            n += (size_t)snprintf(s->fields + n, sizeof(s->fields) - n,
                                  "%c %s=%lld;", f.type, f.key,
                                  (long long)f.num);
    }
    k = sim_trace_rec_str(rec, "key");
    snprintf(s->key_copy, sizeof(s->key_copy), "%s", k ? k : "(none)");
    s->key_str = k;
    s->have_rv = sim_trace_rec_num(rec, "rv", &s->rv);
    s->have_key_num = sim_trace_rec_num(rec, "key", &dummy);
}

static void test_trace_on_record_sees_every_field_in_order(void **state)
{
    fix_t *f = *state;
    seen_rec_t s;
    sim_trace_t *tr;
    uint64_t hash_before;
    memset(&s, 0, sizeof(s));
    f->tr.on_record = on_rec;
    f->tr.on_record_arg = &s;
    advance_to(f, SIM_MS(1250));
    tr = sim_trace_begin(&f->loop, "kube.watch.event");
    sim_trace_str(tr, "key", "a/b");
    sim_trace_u64(tr, "rv", 1031);
    sim_trace_i64(tr, "delta", -5);
    sim_trace_ns(tr, "lag", 7);
    sim_trace_cause(tr, 0);
    sim_trace_end(tr);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.t_ns, SIM_MS(1250));
    assert_int_equal(s.seq, 1);
    assert_int_equal(s.cause, 0);
    assert_string_equal(s.ev, "kube.watch.event");
    assert_false(s.truncated);
    assert_string_equal(s.fields, "s key=a/b;u rv=1031;i delta=-5;n lag=7;");
    assert_string_equal(s.key_copy, "a/b");
    assert_true(s.have_rv);
    assert_int_equal(s.rv, 1031);
    assert_false(s.have_key_num); /* a string is no number */
    /* the second names the first as its cause; a missing key is NULL */
    tr = sim_trace_begin(&f->loop, "a.b.c");
    sim_trace_cause(tr, 1);
    sim_trace_end(tr);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seq, 2);
    assert_int_equal(s.cause, 1);
    assert_string_equal(s.fields, "");
    assert_null(s.key_str);
    assert_false(s.have_rv);
    /* a reader never changes the hash */
    hash_before = f->tr.hash;
    {
        sim_loop_t loop;
        sim_trace_t plain;
        assert_int_equal(sim_loop_init(&loop, 1), 0);
        sim_trace_init(&plain, NULL, NULL);
        loop.trace = &plain;
        sim_loop_run(&loop, SIM_MS(1250));
        tr = sim_trace_begin(&loop, "kube.watch.event");
        sim_trace_str(tr, "key", "a/b");
        sim_trace_u64(tr, "rv", 1031);
        sim_trace_i64(tr, "delta", -5);
        sim_trace_ns(tr, "lag", 7);
        sim_trace_end(tr);
        tr = sim_trace_begin(&loop, "a.b.c");
        sim_trace_end(tr);
        assert_int_equal(plain.hash, hash_before);
        sim_loop_close(&loop);
    }
}

static void test_trace_on_record_truncated_has_no_fields(void **state)
{
    fix_t *f = *state;
    seen_rec_t s;
    sim_trace_t *tr;
    char *big = malloc(2 * SIM_TRACE_LINE_MAX);
    assert_non_null(big);
    memset(big, 'x', 2 * SIM_TRACE_LINE_MAX - 1);
    big[2 * SIM_TRACE_LINE_MAX - 1] = 0;
    memset(&s, 0, sizeof(s));
    f->tr.on_record = on_rec;
    f->tr.on_record_arg = &s;
    tr = sim_trace_begin(&f->loop, "dock.body.big");
    sim_trace_u64(tr, "rv", 1);
    sim_trace_str(tr, "key", big);
    sim_trace_end(tr);
    free(big);
    assert_int_equal(s.n, 1);
    assert_true(s.truncated);
    assert_string_equal(s.ev, "dock.body.big");
    assert_string_equal(s.fields, "");
    assert_false(s.have_rv);
    assert_null(s.key_str);
}

#define TRACE_TEST(f)                                                          \
    cmocka_unit_test_setup_teardown(f, setup_trace, teardown_trace)

/* Named links ------------------------------------------------------------*/

/* Links render as one JSON object after "ev" (in the order named, a key
 * named twice or a seq not before the record dropped), a scope names a
 * link on every record begun inside it, and text renders none. */
static void test_trace_links_render_in_json_only(void **state)
{
    fix_t *f = *state;
    sim_trace_t *tr;
    sim_trace_scope_t prev;
    tr = sim_trace_begin(&f->loop, "a.b.one");
    sim_trace_link(tr, "x", 5); /* not an earlier record: dropped */
    sim_trace_end(tr);
    tr = sim_trace_begin(&f->loop, "a.b.two");
    sim_trace_link(tr, "server", 1);
    sim_trace_link(tr, "server", 1); /* twice: dropped */
    sim_trace_link(tr, "zero", 0);   /* 0: dropped */
    sim_trace_str(tr, "k", "v");
    sim_trace_end(tr);
    assert_int_equal(sim_trace_last(&f->loop), 2);
    prev = sim_trace_link_scope(&f->loop, "fail", 2);
    tr = sim_trace_begin(&f->loop, "a.b.three");
    sim_trace_link(tr, "held", 1);
    sim_trace_end(tr);
    assert_int_equal(sim_trace_scope_now(&f->loop).seq, 2);
    sim_trace_scope_restore(&f->loop, prev);
    tr = sim_trace_begin(&f->loop, "a.b.four");
    sim_trace_end(tr);
    flush(f);
    assert_string_equal(f->jbuf,
                        "{\"t_ns\":0,\"seq\":1,\"ev\":\"a.b.one\"}\n"
                        "{\"t_ns\":0,\"seq\":2,\"ev\":\"a.b.two\","
                        "\"links\":{\"server\":1},\"k\":\"v\"}\n"
                        "{\"t_ns\":0,\"seq\":3,\"ev\":\"a.b.three\","
                        "\"links\":{\"fail\":2,\"held\":1}}\n"
                        "{\"t_ns\":0,\"seq\":4,\"ev\":\"a.b.four\"}\n");
    assert_string_equal(f->tbuf, "t=0.000000000s #1 a.b.one\n"
                                 "t=0.000000000s #2 a.b.two k=v\n"
                                 "t=0.000000000s #3 a.b.three\n"
                                 "t=0.000000000s #4 a.b.four\n");
}

/* Links never enter the hash: the same events with and without them. */
static void test_trace_links_do_not_change_the_hash(void **state)
{
    uint64_t h[2];
    int with;
    (void)state;
    for (with = 0; with < 2; with++) {
        sim_loop_t loop;
        sim_trace_t tr;
        sim_trace_t *t;
        sim_trace_scope_t prev = {NULL, 0};
        assert_int_equal(sim_loop_init(&loop, 1), 0);
        sim_trace_init(&tr, NULL, NULL);
        loop.trace = &tr;
        t = sim_trace_begin(&loop, "a.b.one");
        sim_trace_end(t);
        if (with)
            prev = sim_trace_link_scope(&loop, "s", 1);
        t = sim_trace_begin(&loop, "a.b.two");
        if (with)
            sim_trace_link(t, "server", 1);
        sim_trace_u64(t, "n", 7);
        sim_trace_end(t);
        sim_trace_scope_restore(&loop, prev);
        h[with] = tr.hash;
        sim_loop_close(&loop);
    }
    assert_true(h[0] == h[1]);
}

#define TRACE_TEST(f)                                                          \
    cmocka_unit_test_setup_teardown(f, setup_trace, teardown_trace)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TRACE_TEST(test_trace_renders_text_and_json_exactly),
        TRACE_TEST(test_trace_numbers_events_and_remembers_the_last),
        TRACE_TEST(test_trace_json_escapes_quotes_backslashes_and_controls),
        TRACE_TEST(test_trace_text_quotes_values_with_spaces),
        cmocka_unit_test(test_fmt_ns_picks_the_shortest_exact_form),
        cmocka_unit_test(test_trace_hash_identical_for_identical_events),
        cmocka_unit_test(test_trace_hash_differs_when_one_field_differs),
        cmocka_unit_test(test_trace_null_makes_every_call_a_no_op),
        TRACE_TEST(test_trace_huge_field_yields_valid_truncated_json),
        TRACE_TEST(
            test_trace_field_overflowing_text_only_still_truncates_json),
        TRACE_TEST(test_trace_many_fields_overflow_into_valid_json),
        TRACE_TEST(test_trace_on_record_sees_every_field_in_order),
        TRACE_TEST(test_trace_on_record_truncated_has_no_fields),
        TRACE_TEST(test_trace_links_render_in_json_only),
        cmocka_unit_test(test_trace_links_do_not_change_the_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
