/*
 * cli_args.c: walking a command's options, checked numbers, usage errors
 * that name the argument, and loading a scenario with its message.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sim/errno.h"
#include "sim/suggest.h"

volatile sig_atomic_t cli_got_signal;

static void on_signal(int sig)
{
    cli_got_signal = sig;
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "rddsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(rddsim help%s%s lists the options)\n", cmd ? " " : "",
            cmd ? cmd : "");
    return EXIT_USAGE;
}

void cli_args_init(cli_args_t *a, const char *cmd, int argc, char **argv,
                   const cli_opt_t *opts, size_t nopts)
{
    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    a->argc = argc;
    a->argv = argv;
    a->opts = opts;
    a->nopts = nopts;
}

static int unknown_option(cli_args_t *a, const char *arg, size_t len)
{
    const char *names[32], *near;
    char word[128];
    size_t k, n = a->nopts < 32 ? a->nopts : 32;
    snprintf(word, sizeof(word), "%.*s", (int)len, arg);
    for (k = 0; k < n; k++)
        names[k] = a->opts[k].name;
    near = sim_suggest(word, names, n);
    if (near)
        cli_usage(a->cmd, "unknown option %s (did you mean %s?)", word, near);
    else
        cli_usage(a->cmd, "unknown option %s", word);
    return CLI_ERR;
}

int cli_next(cli_args_t *a, const char **val)
{
    const char *arg, *eq;
    size_t k, len;
    if (a->i >= a->argc)
        return CLI_END;
    arg = a->argv[a->i++];
    if (a->only_args || arg[0] != '-' || !arg[1]) {
        *val = arg;
        return CLI_ARG;
    }
    if (!strcmp(arg, "--")) {
        a->only_args = 1;
        return cli_next(a, val);
    }
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
        return CLI_HELP;
    eq = strchr(arg, '=');
    len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (k = 0; k < a->nopts; k++) {
        if (strlen(a->opts[k].name) != len ||
            strncmp(a->opts[k].name, arg, len))
            continue;
        if (!a->opts[k].value) {
            if (eq) {
                cli_usage(a->cmd, "%s takes no value", a->opts[k].name);
                return CLI_ERR;
            }
            return (int)k;
        }
        if (eq) {
            *val = eq + 1;
        } else if (a->i < a->argc) {
            *val = a->argv[a->i++];
        } else {
            cli_usage(a->cmd, "%s needs a value", a->opts[k].name);
            return CLI_ERR;
        }
        return (int)k;
    }
    return unknown_option(a, arg, len);
}

/* text as typed: quoted when it has a space (`' -1'`). */
static const char *shown(const char *text, char *buf, size_t len)
{
    if (!strpbrk(text, " \t"))
        return text;
    snprintf(buf, len, "'%s'", text);
    return buf;
}

int cli_u64(const char *cmd, const char *opt, const char *text, uint64_t *out)
{
    char q[96];
    int rc;
    if (!*text)
        return cli_usage(cmd, "%s needs a number, not an empty string", opt);
    /* The scenario loader's checked parser, with the CLI's wording. */
    rc = sc_parse_u64(text, out, NULL);
    if (rc == SIM_ERANGE)
        return cli_usage(cmd, "%s %s: out of range (0..%" PRIu64 ")", opt,
                         text, UINT64_MAX);
    if (rc && text[0] == '0' && text[1] >= '0' && text[1] <= '9')
        return cli_usage(cmd, "%s %s: not a number (a decimal number has "
                              "no leading 0)", opt, text);
    if (rc)
        return cli_usage(cmd, "%s %s: not a number", opt,
                         shown(text, q, sizeof(q)));
    return 0;
}

int cli_seed_range(const char *cmd, const char *opt, const char *text,
                   uint64_t *lo, uint64_t *hi)
{
    char a[32], b[32];
    const char *sep = strstr(text, "..");
    size_t skip = 2;
    int rc;
    if (!sep && (sep = strchr(text, '-')) != NULL)
        skip = 1;
    if (!sep) {
        if ((rc = cli_u64(cmd, opt, text, lo)) != 0)
            return rc;
        *hi = *lo;
        return 0;
    }
    if ((size_t)(sep - text) >= sizeof(a) || strlen(sep + skip) >= sizeof(b))
        return cli_usage(cmd, "%s %s: not a range (A..B)", opt, text);
    snprintf(a, sizeof(a), "%.*s", (int)(sep - text), text);
    snprintf(b, sizeof(b), "%s", sep + skip);
    if ((rc = cli_u64(cmd, opt, a, lo)) != 0 ||
        (rc = cli_u64(cmd, opt, b, hi)) != 0)
        return rc;
    if (*lo > *hi)
        return cli_usage(cmd, "%s %s: the range is empty (%" PRIu64
                              " > %" PRIu64 ")", opt, text, *lo, *hi);
    return 0;
}

void cli_print_choices(FILE *f, const char *word, const char *const *names,
                       size_t n)
{
    const char *near = sim_suggest(word, names, n);
    size_t k;
    fprintf(f, "  valid:");
    for (k = 0; k < n; k++)
        fprintf(f, "%s%s", k ? ", " : " ", names[k]);
    fprintf(f, "\n");
    if (near)
        fprintf(f, "  did you mean %s?\n", near);
}

int cli_load(const char *path, scenario_t *sc, char *msg, size_t len)
{
    yt_error_t err;
    int rc = scenario_load(path, sc, &err);
    msg[0] = 0;
    if (rc == SIM_ENOMEM) {
        snprintf(msg, len, "%s: out of memory", path);
        return EXIT_INTERNAL;
    }
    if (!rc)
        return 0;
    if (err.line)
        snprintf(msg, len, "%s:%d:%d: %s", err.file, err.line, err.col,
                 err.msg);
    else
        snprintf(msg, len, "%s: %s", err.file, err.msg);
    return EXIT_USAGE;
}

void cli_fmt_ids(const char ids[][8], int n, char *out, size_t len)
{
    int i;
    size_t used = 0;
    out[0] = 0;
    if (n == 0) {
        snprintf(out, len, "none");
        return;
    }
    for (i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s",
                                 i ? "," : "", ids[i]);
}
