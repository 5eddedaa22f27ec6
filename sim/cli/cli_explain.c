/*
 * cli_explain.c: rddsim explain FILE [--variant V] [--violation ID]
 * [--seed N] [--format text|jsonl]: runs the scenario once with a JSON
 * Lines trace in memory, then prints, for each violation, the chain of
 * causes that led to its breaking event, and for each stall (an App left
 * unsettled at the end), for each condition it waits on, the chain that
 * led to the commit that set it (sim/explore/explain.h).  --violation
 * prints that violation only.
 * Exit 0: chains printed; 1: nothing violated or stalled; 2: usage, bad
 * file, or an unknown violation id (the ids present are listed).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explore/explain.h"
#include "scenario/world.h"
#include "sim/alloc.h"

#define CMD "explain"
#define CHAIN_MAX 20  /* steps per violation */
#define WAIT_MAX 12   /* steps per condition a stall waits on */

static void fmt_t(char *b, size_t n, json_int_t ns)
{
    snprintf(b, n, "%lld.%09llds", (long long)(ns / 1000000000),
             (long long)(ns % 1000000000));
}

/* Prints one JSON object as a line; 0 or EXIT_INTERNAL. */
static int put_json(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!s)
        return EXIT_INTERNAL;
    printf("%s\n", s);
    free(s);
    return 0;
}

/* The steps of a chain.  head: the keys that say which chain (violation
 * id, or stall instance and condition), copied into each JSON line. */
static int print_steps(const explain_trace_t *t, const explain_step_t *chain,
                       size_t n, json_t *head, const char *indent)
{
    char tb[40], words[1024], lk[256], sim[160];
    size_t i, j;
    for (i = 0; i < n; i++) {
        json_t *r = t->rec[chain[i].seq];
        const char *ev = json_string_value(json_object_get(r, "ev"));
        const char *cite = explain_cite(ev ? ev : "");
        json_int_t cause = json_integer_value(json_object_get(r, "cause"));
        explain_link_t l[EXPLAIN_MAX_LINKS];
        size_t nl = explain_links(t, chain[i].seq, l, EXPLAIN_MAX_LINKS);
        size_t m = 0;
        explain_words(r, words, sizeof(words));
        if (head) {
            json_t *o = json_deep_copy(head), *links = json_object();
            if (!o || !links) {
                json_decref(o);
                json_decref(links);
                return EXIT_INTERNAL;
            }
            for (j = 0; j < nl; j++)
                json_object_set_new(links, l[j].key,
                                    json_integer((json_int_t)l[j].seq));
            json_object_set_new(o, "step", json_integer((json_int_t)i + 1));
            json_object_set_new(o, "seq",
                                json_integer((json_int_t)chain[i].seq));
            json_object_set_new(o, "t_ns", json_integer(json_integer_value(
                                               json_object_get(r, "t_ns"))));
            json_object_set_new(o, "actor", json_string(explain_actor(r)));
            json_object_set_new(o, "what", json_string(words));
            if (cause > 0)
                json_object_set_new(o, "cause", json_integer(cause));
            if (nl)
                json_object_set_new(o, "links", links);
            else
                json_decref(links);
            if (cite)
                json_object_set_new(o, "rdd", json_string(cite));
            if (chain[i].similar) {
                json_object_set_new(
                    o, "similar", json_integer((json_int_t)chain[i].similar));
                json_object_set_new(
                    o, "first_similar",
                    json_integer((json_int_t)chain[i].first_similar));
                json_object_set_new(
                    o, "last_similar",
                    json_integer((json_int_t)chain[i].last_similar));
            }
            if (put_json(o))
                return EXIT_INTERNAL;
            continue;
        }
        lk[0] = 0;
        for (j = 0; j < nl && m < sizeof(lk); j++)
            m += (size_t)snprintf(lk + m, sizeof(lk) - m, "%s%s #%llu",
                                  j ? ", " : "  {", l[j].key,
                                  (unsigned long long)l[j].seq);
        if (nl && m < sizeof(lk))
            snprintf(lk + m, sizeof(lk) - m, "}");
        sim[0] = 0;
        if (chain[i].similar) {
            char t2[40];
            fmt_t(tb, sizeof(tb),
                  json_integer_value(json_object_get(
                      t->rec[chain[i].first_similar], "t_ns")));
            fmt_t(t2, sizeof(t2),
                  json_integer_value(json_object_get(
                      t->rec[chain[i].last_similar], "t_ns")));
            if (chain[i].similar == 1)
                snprintf(sim, sizeof(sim), "  (1 more like it: #%llu at %s)",
                         (unsigned long long)chain[i].first_similar, tb);
            else
                snprintf(sim, sizeof(sim),
                         "  (%llu more like it, #%llu at %s to #%llu at %s)",
                         (unsigned long long)chain[i].similar,
                         (unsigned long long)chain[i].first_similar, tb,
                         (unsigned long long)chain[i].last_similar, t2);
        }
        fmt_t(tb, sizeof(tb), json_integer_value(json_object_get(r, "t_ns")));
        printf("%s%2zu. %s #%llu %s: %s%s%s%s%s%s\n", indent, i + 1, tb,
               (unsigned long long)chain[i].seq, explain_actor(r), words, lk,
               sim, cite ? "  [RDD " : "", cite ? cite : "",
               cite ? "]" : "");
    }
    return 0;
}

/* A violation: its breaking event (after_seq) and whatever else the check
 * named (the record's links) start the walk. */
static int print_violation(const explain_trace_t *t, uint64_t vseq,
                           int jsonl)
{
    json_t *v = t->rec[vseq];
    const char *id = json_string_value(json_object_get(v, "id"));
    const char *why = json_string_value(json_object_get(v, "why"));
    json_int_t after = json_integer_value(json_object_get(v, "after_seq"));
    uint64_t starts[1 + EXPLAIN_MAX_LINKS];
    explain_step_t chain[CHAIN_MAX];
    explain_link_t l[EXPLAIN_MAX_LINKS];
    size_t nl = explain_links(t, vseq, l, EXPLAIN_MAX_LINKS), ns = 0, n, i;
    char tb[40];
    json_t *head;
    int rc;
    starts[ns++] = after > 0 ? (uint64_t)after : vseq;
    for (i = 0; i < nl; i++)
        starts[ns++] = l[i].seq;
    n = explain_chain(t, starts, ns, chain, CHAIN_MAX);
    if (!jsonl) {
        char lk[256];
        size_t m = 0;
        lk[0] = 0;
        for (i = 0; i < nl && m < sizeof(lk); i++)
            m += (size_t)snprintf(lk + m, sizeof(lk) - m, "%s%s #%llu",
                                  i ? ", " : "  {", l[i].key,
                                  (unsigned long long)l[i].seq);
        if (nl && m < sizeof(lk))
            snprintf(lk + m, sizeof(lk) - m, "}");
        fmt_t(tb, sizeof(tb), json_integer_value(json_object_get(v, "t_ns")));
        printf("%s at %s: %s%s\n", id ? id : "?", tb, why ? why : "", lk);
        return print_steps(t, chain, n, NULL, "  ");
    }
    head = json_pack("{s:s}", "violation", id ? id : "?");
    if (!head)
        return EXIT_INTERNAL;
    rc = print_steps(t, chain, n, head, "");
    json_decref(head);
    return rc;
}

/* "Running=False/Starting since 70s" out of a stall's words, for the
 * condition key (the text between "key=" and " (\""), or "". */
static void cond_state(const char *why, const char *key, char *out,
                       size_t len)
{
    char pat[64];
    const char *p, *e;
    out[0] = 0;
    snprintf(pat, sizeof(pat), "%s=", key);
    p = strstr(why, pat);
    if (!p)
        return;
    e = strstr(p, " (\"");
    if (!e)
        e = p + strlen(p);
    snprintf(out, len, "%.*s", (int)(e - p), p);
}

/* A stall: for each condition it names (the record's links: the commit
 * that set the condition's present status and reason), what led there. */
static int print_stall(const explain_trace_t *t, uint64_t sseq, int jsonl)
{
    json_t *v = t->rec[sseq];
    const char *why = json_string_value(json_object_get(v, "why"));
    explain_link_t l[EXPLAIN_MAX_LINKS];
    size_t nl = explain_links(t, sseq, l, EXPLAIN_MAX_LINKS), n, i;
    explain_step_t chain[WAIT_MAX];
    char inst[128], state[256], tb[40];
    const char *colon;
    int rc;
    why = why ? why : "";
    colon = strchr(why, ':');
    snprintf(inst, sizeof(inst), "%.*s",
             (int)(colon ? (size_t)(colon - why) : strlen(why)), why);
    if (!jsonl)
        printf("stall: %s\n", why);
    for (i = 0; i < nl; i++) {
        json_t *w = t->rec[l[i].seq];
        cond_state(why, l[i].key, state, sizeof(state));
        n = explain_chain(t, &l[i].seq, 1, chain, WAIT_MAX);
        if (!jsonl) {
            fmt_t(tb, sizeof(tb),
                  json_integer_value(json_object_get(w, "t_ns")));
            if (state[0])
                printf("  %s: set by #%llu at %s; what led there:\n", state,
                       (unsigned long long)l[i].seq, tb);
            else
                printf("  %s: #%llu at %s; what led there:\n",
                       !strcmp(l[i].key, "hostagent") ? "the last hostagent"
                       : !strcmp(l[i].key, "orphan")
                           ? "an orphan hostagent, still alive"
                           : l[i].key,
                       (unsigned long long)l[i].seq, tb);
            rc = print_steps(t, chain, n, NULL, "    ");
        } else {
            json_t *head = json_pack("{s:s, s:s, s:s}", "stall", inst,
                                     "waits", l[i].key, "state", state);
            if (!head)
                return EXIT_INTERNAL;
            rc = print_steps(t, chain, n, head, "");
            json_decref(head);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int cli_explain(int argc, char **argv)
{
    static const cli_opt_t opts[] = {{"--variant", 1}, {"--violation", 1},
                                     {"--seed", 1}, {"--format", 1}};
    const char *file = NULL, *variant = NULL, *want = NULL, *val;
    uint64_t seed = 0, vs[SIM_INV_MAX * 4], ss[SC_MAX_INSTANCES * 4];
    int have_seed = 0, jsonl = 0, k, ret = 0, rc;
    size_t nv, nst, i, shown = 0;
    cli_args_t a;
    scenario_t *sc;
    const sc_variant_t *v = NULL;
    world_result_t *res;
    world_io_t io;
    explain_trace_t t;
    char msg[1024];
    FILE *tf;
    cli_args_init(&a, CMD, argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
    while ((k = cli_next(&a, &val)) != CLI_END) {
        if (k == CLI_HELP) {
            cli_help(CMD, stdout);
            return cli_stdout_check();
        }
        if (k == CLI_ERR)
            return EXIT_USAGE;
        if (k == CLI_ARG) {
            if (file)
                return cli_usage(CMD, "one FILE only (got %s)", val);
            file = val;
        } else if (k == 0) {
            variant = val;
        } else if (k == 1) {
            want = val;
        } else if (k == 2) {
            if (cli_u64(CMD, "--seed", val, &seed))
                return EXIT_USAGE;
            have_seed = 1;
        } else if (k == 3) {
            if (!strcmp(val, "jsonl"))
                jsonl = 1;
            else if (strcmp(val, "text"))
                return cli_usage(CMD, "--format %s: text or jsonl", val);
        }
    }
    if (!file)
        return cli_usage(CMD, "a scenario FILE is needed");
    sc = sim__calloc(1, sizeof(*sc));
    res = sim__calloc(1, sizeof(*res));
    if (!sc || !res) {
        sim__free(sc);
        sim__free(res);
        return EXIT_INTERNAL;
    }
    if ((ret = cli_load(file, sc, msg, sizeof(msg))) != 0) {
        fprintf(stderr, "%s\n", msg);
        goto out;
    }
    if (variant) {
        v = scenario_variant(sc, variant);
        if (!v) {
            ret = cli_usage(CMD, "--variant %s: not a variant of %s",
                            variant, file);
            goto out;
        }
    } else if (sc->nvariants > 0) {
        v = scenario_variant(sc, "head");
        if (!v)
            v = &sc->variants[0];
    } else {
        ret = cli_usage(CMD, "%s declares no variant", file);
        goto out;
    }
    if (!have_seed)
        seed = sc->has_seed ? sc->seed : 1;
    tf = tmpfile();
    if (!tf) {
        ret = EXIT_INTERNAL;
        goto out;
    }
    memset(&io, 0, sizeof(io));
    io.jsonl = tf;
    rc = world_run(sc, v, seed, &io, res);
    rewind(tf);
    if (rc || explain_load(tf, &t)) {
        fclose(tf);
        fprintf(stderr, "rddsim explain: the run failed\n");
        ret = EXIT_INTERNAL;
        goto out;
    }
    fclose(tf);
    nv = explain_find(&t, "sim.invariant.violated", vs,
                      sizeof(vs) / sizeof(vs[0]));
    nst = want ? 0 : explain_find(&t, "sim.stall", ss,
                                  sizeof(ss) / sizeof(ss[0]));
    if (nv == 0 && nst == 0) {
        /* jsonl: stdout stays JSON Lines (empty); the words go to stderr */
        fprintf(jsonl ? stderr : stdout,
                "%s: variant %s, seed %llu: nothing violated%s, nothing to "
                "explain\n",
                file, v->name, (unsigned long long)seed,
                want ? "" : " or stalled");
        ret = EXIT_MISMATCH;
        goto done;
    }
    for (i = 0; i < nv; i++) {
        const char *id =
            json_string_value(json_object_get(t.rec[vs[i]], "id"));
        if (want && (!id || strcmp(id, want)))
            continue;
        if (shown++ && !jsonl)
            printf("\n");
        if ((ret = print_violation(&t, vs[i], jsonl)) != 0)
            goto done;
    }
    for (i = 0; i < nst; i++) {
        if (shown++ && !jsonl)
            printf("\n");
        if ((ret = print_stall(&t, ss[i], jsonl)) != 0)
            goto done;
    }
    if (want && !shown) {
        fprintf(stderr, "rddsim explain: --violation %s: not violated "
                        "here; violated:",
                want);
        for (i = 0; i < nv; i++)
            fprintf(stderr, " %s",
                    json_string_value(json_object_get(t.rec[vs[i]], "id")));
        fprintf(stderr, "\n");
        ret = EXIT_USAGE;
    }
done:
    explain_free(&t);
out:
    sim__free(sc);
    sim__free(res);
    return ret ? ret : cli_stdout_check();
}
