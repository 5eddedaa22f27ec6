/*
 * cli.h: the rddsim command line, split by concern.
 *
 *   main.c        dispatch: rddsim COMMAND ..., --help, --version
 *   cli_help.c    every help text, the version
 *   cli_args.c    option walking (--opt VALUE, --opt=VALUE, "did you
 *                 mean"), checked numbers, usage errors
 *   cli_out.c     output files: FILE.tmp renamed on success, every write
 *                 checked, "-" for stdout; the stdout check at exit
 *   cli_filter.c  --only and --around: a stream that filters text lines
 *   cli_run.c     rddsim run (variants, presets, --flags, --seeds, signals)
 *   cli_suite.c   rddsim suite: the results table
 *   cli_list.c    rddsim list, rddsim check
 *   cli_bench.c   rddsim bench kernel
 *   cli_serve.c   rddsim serve: live mode on unix sockets (sim/rt.h)
 *   cli_explore*.c rddsim explore: sweeps of generated worlds
 *                 (cli_explore.h)
 *
 * Exit codes: 0 the outcome matches what the scenario expects; 1 it does
 * not; 2 a usage or scenario error (file:line:col: message); 3 an internal
 * or output error (a failed write, an exceeded event budget); 128 + signal
 * number when SIGINT or SIGTERM stopped a run.
 */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario/scenario.h"

#define EXIT_MISMATCH 1
#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

#define CLI_PATH_MAX 4096

/* help and version (cli_help.c) ---------------------------------------*/

/* Prints the help of cmd (NULL: the overview) to f.  Returns 0, or
 * EXIT_USAGE (with a message on stderr) when cmd is no command. */
int cli_help(const char *cmd, FILE *f);

/* Prints "rddsim VERSION (git COMMIT), models RDD at RDD_COMMIT". */
void cli_version(FILE *f);

/* The command names, for suggestions and help. */
extern const char *const cli_commands[];
extern const size_t cli_commands_len;

/* arguments (cli_args.c) -----------------------------------------------*/

/* The number of the SIGINT or SIGTERM received, or 0; the world stops
 * after the current event when it is set (world_io_t.interrupt). */
extern volatile sig_atomic_t cli_got_signal;

/* Catches SIGINT and SIGTERM into cli_got_signal (sigaction). */
void cli_catch_signals(void);

typedef struct {
    const char *name;   /* "--seed" */
    int value;          /* 1: takes a value (--seed N or --seed=N) */
} cli_opt_t;

enum {
    CLI_END = -1,       /* no argument left */
    CLI_ARG = -2,       /* a positional argument, in *val */
    CLI_HELP = -3,      /* -h or --help */
    CLI_ERR = -4        /* a usage error, already printed */
};

typedef struct {
    const char *cmd;          /* "run": named in every message */
    int argc;
    char **argv;
    int i;                    /* the next argument */
    int only_args;            /* after "--" */
    const cli_opt_t *opts;
    size_t nopts;
} cli_args_t;

void cli_args_init(cli_args_t *a, const char *cmd, int argc, char **argv,
                   const cli_opt_t *opts, size_t nopts);

/* The next option (its index in opts; *val is its value when it takes
 * one), or CLI_ARG, CLI_END, CLI_HELP, CLI_ERR. */
int cli_next(cli_args_t *a, const char **val);

/* Prints "rddsim CMD: MESSAGE" and a pointer to the command's help on
 * stderr; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A decimal number 0..UINT64_MAX: digits only (no sign, space, 0x or
 * leading 0).  Returns 0, or EXIT_USAGE after "OPT TEXT: not a number" /
 * "out of range". */
int cli_u64(const char *cmd, const char *opt, const char *text,
            uint64_t *out);

/* "A..B", "A-B" or "N" into lo..hi (lo <= hi). */
int cli_seed_range(const char *cmd, const char *opt, const char *text,
                   uint64_t *lo, uint64_t *hi);

/* Prints "VALUES: a, b, c" lines with " (did you mean X?)" when one is
 * near word; used for --variant, list kinds and commands. */
void cli_print_choices(FILE *f, const char *word, const char *const *names,
                       size_t n);

/* Loads path into sc.  Returns 0, EXIT_USAGE (the message in msg, as
 * file:line:col: what) or EXIT_INTERNAL (out of memory). */
int cli_load(const char *path, scenario_t *sc, char *msg, size_t len);

/* "a,b,c" or "none" from n ids. */
void cli_fmt_ids(const char ids[][8], int n, char *out, size_t len);

/* output files (cli_out.c) --------------------------------------------*/

typedef struct {
    const char *opt;          /* "--trace": named in messages */
    char path[CLI_PATH_MAX];  /* the name the user gave ("-": stdout) */
    char tmp[CLI_PATH_MAX + 8]; /* PATH.tmp while writing, or "" */
    int fd;
    int err;                  /* errno of the first failed write, or 0 */
    FILE *f;                  /* what the world writes to */
} cli_file_t;

/* Opens path for writing: "-" is stdout; a regular file (or a new name)
 * is written as path.tmp and renamed by cli_file_close; anything else
 * (/dev/null, a fifo) is written directly.  Returns 0, EXIT_USAGE after
 * "OPT PATH: name too long", or EXIT_INTERNAL after "OPT PATH: reason"
 * (a file that cannot be written exits 3, as a failed write does). */
int cli_file_open(cli_file_t *o, const char *opt, const char *path);

/* Flushes and closes; keep: rename path.tmp to path, else remove it.
 * Returns 0, or EXIT_INTERNAL after "OPT PATH: reason" when any write
 * failed (the tmp is then removed). */
int cli_file_close(cli_file_t *o, int keep);

/* "out-%v-%s.jsonl" with %v the variant, %s the seed and %% a percent. */
void cli_expand(const char *tmpl, const char *variant, uint64_t seed,
                char *out, size_t len);

/* 1 when tmpl has %v or %s. */
int cli_has_fields(const char *tmpl);

/* Flushes stdout; on a failed write says "rddsim: stdout: reason" and
 * returns EXIT_INTERNAL, else 0. */
int cli_stdout_check(void);

/* filters (cli_filter.c) ------------------------------------------------*/

typedef struct cli_filter cli_filter_t;

/* A stream that passes the text trace lines written to it to out, keeping
 * those that match every term of only ("key=glob,key=glob"; NULL: all),
 * or with around ("ID" or "ID:N"), only the N (default 5) lines before and
 * after the first sim.invariant.violated line of invariant ID.  Returns
 * 0, or EXIT_USAGE after a message naming the bad term. */
int cli_filter_new(const char *cmd, const char *only, const char *around,
                   FILE *out, cli_filter_t **flt);

/* The stream to give the world. */
FILE *cli_filter_stream(cli_filter_t *flt);

/* Ends one run's text (an --around window resets).  Returns 1 when
 * --around never saw its violation in that run. */
int cli_filter_end_run(cli_filter_t *flt);

/* Closes the stream (out stays open: its owner checks its writes);
 * returns 0. */
int cli_filter_free(cli_filter_t *flt);

/* commands -----------------------------------------------------------------*/

int cli_run(int argc, char **argv);
int cli_suite(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_shrink(int argc, char **argv);
/* rddsim explain (cli_explain.c). */
int cli_explain(int argc, char **argv);
int cli_serve(int argc, char **argv);
/* rddsim explore (cli_explore.c, cli_explore.h). */
int cli_explore(int argc, char **argv);

#endif
