/*
 * cli_explain.c: rddsim explain FILE [--variant V] [--violation ID]
 * [--seed N] [--format text|jsonl]: runs the scenario once with a JSON
 * Lines trace in memory, then prints, for each violation, the chain of
 * causes that led to its breaking event (sim/explore/explain.h).
 * Exit 0: chains printed; 1: nothing violated; 2: usage, bad file, or an
 * unknown violation id (the ids present are listed).
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
#define CHAIN_MAX 15

static void fmt_t(char *b, size_t n, json_int_t ns)
{
    snprintf(b, n, "%lld.%09llds", (long long)(ns / 1000000000),
             (long long)(ns % 1000000000));
}

static int print_chain(const explain_trace_t *t, uint64_t vseq, int jsonl)
{
    json_t *v = t->rec[vseq];
    const char *id = json_string_value(json_object_get(v, "id"));
    const char *why = json_string_value(json_object_get(v, "why"));
    json_int_t after = json_integer_value(json_object_get(v, "after_seq"));
    uint64_t chain[CHAIN_MAX];
    char tb[40], words[1024];
    size_t n, i;
    n = explain_chain(t, after > 0 ? (uint64_t)after : vseq, chain,
                      CHAIN_MAX);
    if (!jsonl) {
        fmt_t(tb, sizeof(tb), json_integer_value(json_object_get(v, "t_ns")));
        printf("%s at %s: %s\n", id ? id : "?", tb, why ? why : "");
    }
    for (i = 0; i < n; i++) {
        json_t *r = t->rec[chain[i]];
        const char *ev = json_string_value(json_object_get(r, "ev"));
        const char *cite = explain_cite(ev ? ev : "");
        explain_words(r, words, sizeof(words));
        if (jsonl) {
            json_t *o = json_pack(
                "{s:s, s:I, s:I, s:I, s:s, s:s, s:s?}", "violation",
                id ? id : "?", "step", (json_int_t)(i + 1), "seq",
                (json_int_t)chain[i], "t_ns",
                json_integer_value(json_object_get(r, "t_ns")), "actor",
                explain_actor(r), "what", words, "rdd", cite);
            char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)
                        : NULL;
            if (!s) {
                json_decref(o);
                return EXIT_INTERNAL;
            }
            printf("%s\n", s);
            free(s);
            json_decref(o);
        } else {
            fmt_t(tb, sizeof(tb),
                  json_integer_value(json_object_get(r, "t_ns")));
            printf("  %2zu. %s #%llu %s: %s%s%s%s\n", i + 1, tb,
                   (unsigned long long)chain[i], explain_actor(r), words,
                   cite ? "  [RDD " : "", cite ? cite : "",
                   cite ? "]" : "");
        }
    }
    return 0;
}

int cli_explain(int argc, char **argv)
{
    static const cli_opt_t opts[] = {{"--variant", 1}, {"--violation", 1},
                                     {"--seed", 1}, {"--format", 1}};
    const char *file = NULL, *variant = NULL, *want = NULL, *val;
    uint64_t seed = 0, vs[SIM_INV_MAX * 4];
    int have_seed = 0, jsonl = 0, k, ret = 0, rc;
    size_t nv, i, shown = 0;
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
    nv = explain_violations(&t, vs, sizeof(vs) / sizeof(vs[0]));
    if (nv == 0) {
        /* jsonl: stdout stays JSON Lines (empty); the words go to stderr */
        fprintf(jsonl ? stderr : stdout,
                "%s: variant %s, seed %llu: nothing violated, nothing to "
                "explain\n",
                file, v->name, (unsigned long long)seed);
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
        if ((ret = print_chain(&t, vs[i], jsonl)) != 0)
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
