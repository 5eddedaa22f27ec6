/*
 * cli_suite.c: rddsim suite [DIR|FILE ...] (see `rddsim help suite`).
 *
 * Every scenario x variant runs once; each gives a row, and so does each
 * file that does not load and each run that fails (result `error: why`).
 * The rows are printed at the end, each column as wide as its longest
 * cell, so nothing shifts with a long name.  --junit FILE writes the same
 * rows as JUnit XML: a testsuite per scenario file, a testcase per
 * variant, a MISMATCH as <failure> (expected, got, every violation and
 * stall in words), an error row as <error>; text is XML-escaped.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "scenario/world.h"
#include "sim/alloc.h"
#include "sim/errno.h"
#include "sim/trace.h"
#include "sim/wall.h"

#define CMD "suite"

enum { C_SCEN, C_VAR, C_EXP, C_GOT, C_VIOL, C_SIM, C_WALL, C_RES, C__N };

typedef struct {
    char *cell[C__N];
    char *file;                 /* the scenario file, for --junit */
    char *detail;               /* failure / error text, or NULL */
    double wall_s;
} row_t;

typedef struct {
    row_t *rows;
    size_t n, cap;
    int oom;
} table_t;

static const char *const heads[C__N] = {
    "scenario", "variant", "expected", "got", "violated (first at)",
    "sim time", "wall",    "result",
};

static void add_row(table_t *t, const char *const cells[C__N],
                    const char *file, const char *detail, double wall_s)
{
    row_t *r;
    int k;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        row_t *p = realloc(t->rows, cap * sizeof(*p));
        if (!p) {
            t->oom = 1;
            return;
        }
        t->rows = p;
        t->cap = cap;
    }
    r = &t->rows[t->n++];
    for (k = 0; k < C__N; k++)
        if (!(r->cell[k] = strdup(cells[k] ? cells[k] : "-")))
            t->oom = 1;
    r->file = strdup(file ? file : "");
    r->detail = detail ? strdup(detail) : NULL;
    r->wall_s = wall_s;
    if (!r->file || (detail && !r->detail))
        t->oom = 1;
}

static void print_table(const table_t *t)
{
    size_t w[C__N], i;
    int k;
    for (k = 0; k < C__N; k++)
        w[k] = strlen(heads[k]);
    for (i = 0; i < t->n; i++)
        for (k = 0; k < C__N; k++)
            if (t->rows[i].cell[k] && strlen(t->rows[i].cell[k]) > w[k])
                w[k] = strlen(t->rows[i].cell[k]);
    for (i = 0; i <= t->n; i++) {
        const char *const *cells =
            i == 0 ? heads : (const char *const *)t->rows[i - 1].cell;
        for (k = 0; k < C__N; k++) {
            const char *s = cells[k] ? cells[k] : "";
            if (k == C_RES)
                printf("%s\n", s);
            else if (k == C_SIM || k == C_WALL)
                printf("%*s  ", (int)w[k], s);
            else
                printf("%-*s  ", (int)w[k], s);
        }
    }
}

static void free_table(table_t *t)
{
    size_t i;
    int k;
    for (i = 0; i < t->n; i++) {
        for (k = 0; k < C__N; k++)
            free(t->rows[i].cell[k]);
        free(t->rows[i].file);
        free(t->rows[i].detail);
    }
    free(t->rows);
}

/* files --------------------------------------------------------------------*/

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(char ***files, size_t *n, const char *path)
{
    char **f = realloc(*files, (*n + 1) * sizeof(**files));
    if (!f)
        return -1;
    *files = f;
    if (!((*files)[*n] = strdup(path)))
        return -1;
    (*n)++;
    return 0;
}

/* Collects *.yaml under path (sorted, recursive), or path itself. */
static int collect(const char *path, char ***files, size_t *n)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t nn = 0, i;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return push(files, n, path);
    if (!(d = opendir(path)))
        return -1;
    while ((e = readdir(d))) {
        char buf[CLI_PATH_MAX];
        if (e->d_name[0] == '.')
            continue;
        /* scenarios/profiles/ holds exploration profiles, not scenarios
         * (docs/explore.md) */
        if (!strcmp(e->d_name, "profiles"))
            continue;
        snprintf(buf, sizeof(buf), "%s/%s", path, e->d_name);
        if (push(&names, &nn, buf) != 0)
            break;
    }
    closedir(d);
    if (nn)
        qsort(names, nn, sizeof(*names), cmp_str);
    for (i = 0; i < nn; i++) {
        struct stat s2;
        size_t l = strlen(names[i]);
        if (stat(names[i], &s2) == 0 &&
            (S_ISDIR(s2.st_mode) ||
             (l > 5 && !strcmp(names[i] + l - 5, ".yaml"))))
            collect(names[i], files, n);
        free(names[i]);
    }
    free(names);
    return 0;
}

/* runs ---------------------------------------------------------------------*/

typedef struct {
    uint64_t seed;
    int have_seed;
    world_io_t io;
    int worst, ok, failed, errors;
} suite_t;

static void error_row(table_t *t, const char *file, const char *scen,
                      const char *var, const char *why)
{
    char res[1200];
    const char *cells[C__N] = {scen, var, NULL, "error", NULL, NULL, NULL,
                               res};
    snprintf(res, sizeof(res), "error: %s", why);
    add_row(t, cells, file, why, 0);
}

/* The words of a failed row: expected, got, violations, stalls. */
static char *mismatch_detail(const sc_variant_t *v, const char *exp,
                             const char *got, const world_result_t *res)
{
    size_t cap = 512 + (size_t)res->nviolated * (SIM_INV_WHY_MAX + 64) +
                 (size_t)res->nstall * sizeof(res->stall[0]) +
                 sizeof(res->trace_miss);
    char *d = malloc(cap), tb[32];
    size_t n;
    int k;
    if (!d)
        return NULL;
    n = (size_t)snprintf(d, cap, "variant %s: expected %s, got %s\n",
                         v->name, exp, got);
    if (res->trace_miss[0] && n < cap)
        n += (size_t)snprintf(d + n, cap - n, "expectation: %s\n",
                              res->trace_miss);
    for (k = 0; k < res->nviolated && n < cap; k++)
        n += (size_t)snprintf(d + n, cap - n, "violation: %s at %s: %s\n",
                              res->violated[k],
                              sim_fmt_ns(tb, res->violated_ns[k]),
                              res->why[k]);
    for (k = 0; k < res->nstall && n < cap; k++)
        n += (size_t)snprintf(d + n, cap - n, "stall: %s\n", res->stall[k]);
    return d;
}

static void run_row(suite_t *s, table_t *t, const char *file,
                    const scenario_t *sc, const sc_variant_t *v)
{
    world_result_t *res = sim__calloc(1, sizeof(*res));
    char exp[160], got[160], viol[400], tb[32], sim[32], wb[32], why[200];
    const char *cells[C__N];
    uint64_t seed = s->have_seed ? s->seed : sc->has_seed ? sc->seed : 1;
    uint64_t t0 = sim_wall_ns();
    double wall_s;
    char *detail = NULL;
    size_t used = 0;
    int k, rc;
    if (!res) {
        t->oom = 1;
        return;
    }
    rc = world_run(sc, v, seed, &s->io, res);
    wall_s = (double)(sim_wall_ns() - t0) / 1e9;
    snprintf(wb, sizeof(wb), "%.1fms", wall_s * 1e3);
    if (rc || res->stop) {
        if (rc)
            snprintf(why, sizeof(why), "%s", sim_strerror(rc));
        else if (res->stop == WORLD_STOP_BUDGET)
            snprintf(why, sizeof(why), "event budget exceeded: stopped "
                     "after %" PRIu64 " events at %s", res->events,
                     sim_fmt_ns(tb, res->sim_ns));
        else
            snprintf(why, sizeof(why), "interrupted at %s",
                     sim_fmt_ns(tb, res->sim_ns));
        error_row(t, file, sc->name, v->name, why);
        s->errors++;
        s->worst = s->worst > EXIT_INTERNAL ? s->worst : EXIT_INTERNAL;
        sim__free(res);
        return;
    }
    cli_fmt_ids(v->expect, v->nexpect, exp, sizeof(exp));
    cli_fmt_ids((const char(*)[8])res->violated, res->nviolated, got,
                sizeof(got));
    viol[0] = 0;
    for (k = 0; k < res->nviolated && used < sizeof(viol); k++)
        used += (size_t)snprintf(viol + used, sizeof(viol) - used, "%s%s@%s",
                                 k ? " " : "", res->violated[k],
                                 sim_fmt_ns(tb, res->violated_ns[k]));
    cells[C_SCEN] = sc->name;
    cells[C_VAR] = v->name;
    cells[C_EXP] = exp;
    cells[C_GOT] = got;
    cells[C_VIOL] = res->nviolated ? viol : "-";
    cells[C_SIM] = sim_fmt_ns(sim, res->sim_ns);
    cells[C_WALL] = wb;
    cells[C_RES] = res->matches ? "ok" : "MISMATCH";
    if (!res->matches && !(detail = mismatch_detail(v, exp, got, res)))
        t->oom = 1;
    add_row(t, cells, file, detail, wall_s);
    free(detail);
    if (res->matches) {
        s->ok++;
    } else {
        s->failed++;
        s->worst = s->worst > EXIT_MISMATCH ? s->worst : EXIT_MISMATCH;
    }
    sim__free(res);
}

/* --junit ------------------------------------------------------------------*/

/* Text as XML character data or an attribute value: markup characters as
 * entities; control characters (not allowed in XML 1.0) and bytes above
 * 0x7e as the text \xNN, so the file is ASCII whatever a name holds. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((c < 0x20 && c != '\n' && c != '\t') || c > 0x7e)
                fprintf(f, "\\x%02x", c);
            else
                putc(c, f);
        }
    }
}

static int is_fail(const row_t *r)
{
    return !strcmp(r->cell[C_RES], "MISMATCH");
}

static int is_error(const row_t *r)
{
    return !strcmp(r->cell[C_GOT], "error");
}

/* Writes the rows as JUnit XML: consecutive rows of one file are one
 * testsuite. */
static void write_junit(FILE *f, const table_t *t)
{
    size_t i, j, k;
    int fails = 0, errs = 0;
    double total = 0;
    for (i = 0; i < t->n; i++) {
        fails += is_fail(&t->rows[i]);
        errs += is_error(&t->rows[i]);
        total += t->rows[i].wall_s;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<testsuites name=\"rddsim suite\" tests=\"%zu\" "
               "failures=\"%d\" errors=\"%d\" time=\"%.6f\">\n",
            t->n, fails, errs, total);
    for (i = 0; i < t->n; i = j) {
        double time = 0;
        fails = errs = 0;
        for (j = i; j < t->n && !strcmp(t->rows[j].file, t->rows[i].file);
             j++) {
            fails += is_fail(&t->rows[j]);
            errs += is_error(&t->rows[j]);
            time += t->rows[j].wall_s;
        }
        fputs("  <testsuite name=\"", f);
        xml_text(f, t->rows[i].cell[C_SCEN]);
        fprintf(f, "\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" "
                   "skipped=\"0\" time=\"%.6f\" file=\"",
                j - i, fails, errs, time);
        xml_text(f, t->rows[i].file);
        fputs("\">\n", f);
        for (k = i; k < j; k++) {
            const row_t *r = &t->rows[k];
            fputs("    <testcase classname=\"", f);
            xml_text(f, r->cell[C_SCEN]);
            fputs("\" name=\"", f);
            xml_text(f, r->cell[C_VAR]);
            fprintf(f, "\" time=\"%.6f\" file=\"", r->wall_s);
            xml_text(f, r->file);
            fputs("\"", f);
            if (!is_fail(r) && !is_error(r)) {
                fputs("/>\n", f);
                continue;
            }
            fprintf(f, ">\n      <%s message=\"", is_fail(r) ? "failure"
                                                            : "error");
            xml_text(f, r->cell[C_RES]);
            if (is_fail(r)) {
                fputs(": expected ", f);
                xml_text(f, r->cell[C_EXP]);
                fputs(", got ", f);
                xml_text(f, r->cell[C_GOT]);
            }
            fprintf(f, "\" type=\"%s\">", is_fail(r) ? "mismatch" : "error");
            xml_text(f, r->detail ? r->detail : "");
            fprintf(f, "</%s>\n    </testcase>\n",
                    is_fail(r) ? "failure" : "error");
        }
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
}

static const cli_opt_t suite_opts[] = {
    {"--seed", 1}, {"--max-events", 1}, {"--junit", 1}};

int cli_suite(int argc, char **argv)
{
    char **files = NULL, msg[1024];
    size_t n = 0, i;
    int k, rc, nargs = 0;
    cli_args_t a;
    const char *val = NULL;
    table_t t = {NULL, 0, 0, 0};
    suite_t s;
    scenario_t *sc;
    const char *junit = NULL;
    cli_file_t jf;
    memset(&s, 0, sizeof(s));
    memset(&jf, 0, sizeof(jf));
    s.io.interrupt = &cli_got_signal;
    cli_args_init(&a, CMD, argc, argv, suite_opts, 3);
    while ((k = cli_next(&a, &val)) != CLI_END) {
        if (k == CLI_ERR)
            return EXIT_USAGE;
        if (k == CLI_HELP)
            return cli_help(CMD, stdout);
        if (k == 0) {
            if ((rc = cli_u64(CMD, "--seed", val, &s.seed)) != 0)
                return rc;
            s.have_seed = 1;
        } else if (k == 1) {
            if ((rc = cli_u64(CMD, "--max-events", val, &s.io.max_events)))
                return rc;
            if (!s.io.max_events)
                return cli_usage(CMD, "--max-events 0: must be at least 1");
        } else if (k == 2) {
            junit = val;
        } else {
            nargs++;
            if (collect(val, &files, &n) != 0) {
                char why[CLI_PATH_MAX + 64];
                snprintf(why, sizeof(why), "no such file or directory");
                error_row(&t, val, val, "-", why);
                s.errors++;
                s.worst = EXIT_USAGE;
            }
        }
    }
    if (!nargs)
        collect("scenarios", &files, &n);
    if (junit && (rc = cli_file_open(&jf, "--junit", junit)) != 0) {
        free_table(&t);
        for (i = 0; i < n; i++)
            free(files[i]);
        free(files);
        return rc;
    }
    if (!(sc = sim__calloc(1, sizeof(*sc)))) {
        cli_file_close(&jf, 0);
        return EXIT_INTERNAL;
    }
    cli_catch_signals();
    for (i = 0; i < n && !cli_got_signal; i++) {
        if ((rc = cli_load(files[i], sc, msg, sizeof(msg))) != 0) {
            error_row(&t, files[i], files[i], "-", msg);
            s.errors++;
            s.worst = rc > s.worst ? rc : s.worst;
            continue;
        }
        for (k = 0; k < sc->nvariants && !cli_got_signal; k++)
            run_row(&s, &t, files[i], sc, &sc->variants[k]);
    }
    print_table(&t);
    printf("suite: %d passed, %d failed, %d error%s%s\n", s.ok, s.failed,
           s.errors, s.errors == 1 ? "" : "s",
           cli_got_signal ? " (interrupted)" : "");
    if (t.oom) {
        fprintf(stderr, "rddsim suite: out of memory\n");
        s.worst = EXIT_INTERNAL;
    }
    if (jf.f) {
        if (!t.oom)
            write_junit(jf.f, &t);
        rc = cli_file_close(&jf, !t.oom);
        s.worst = rc > s.worst ? rc : s.worst;
    }
    free_table(&t);
    for (i = 0; i < n; i++)
        free(files[i]);
    free(files);
    sim__free(sc);
    return cli_got_signal ? 128 + cli_got_signal : s.worst;
}
