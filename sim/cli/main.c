/*
 * main.c: the rddsim command line (cli.h lists the modules and the exit
 * codes; `rddsim help` the commands).
 *
 *   rddsim run FILE [--variant NAME] [--flags A,B] [--seed N | --seeds A..B]
 *                   [--trace FILE|-] [--log FILE|-] [--only K=GLOB,..]
 *                   [--around ID[:N]] [--no-expect] [--max-events N]
 *                   [--trace-format jsonl|perfetto]
 *   rddsim suite [DIR|FILE ...] [--junit FILE]
 *                                   every scenario x variant, results table
 *   rddsim check FILE ...           validate without running
 *   rddsim list [variants [FILE]|flags|faults|invariants|actions]
 *   rddsim bench kernel w1|w2 [KEY=VALUE ...]
 *   rddsim serve FILE [--variant V] [--speed X] [--dir DIR]   live mode
 *   rddsim explore [--profile P] [--seeds N | --for D] ...  random worlds
 *   rddsim help [COMMAND], rddsim --help, rddsim --version
 *
 * Every write to stdout is checked before exit: a failed one is exit 3
 * with its reason.  Wall-clock readings, for the results table and the
 * benchmarks, come from sim/wall.h only.
 */
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"

static int dispatch(int argc, char **argv)
{
    const char *cmd;
    if (argc < 2) {
        cli_help(NULL, stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
        return cli_help(NULL, stdout);
    if (!strcmp(cmd, "help"))
        return argc > 3 ? cli_usage("help", "one COMMAND at most")
                        : cli_help(argc == 3 ? argv[2] : NULL, stdout);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        cli_version(stdout);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return cli_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "suite"))
        return cli_suite(argc - 2, argv + 2);
    if (!strcmp(cmd, "check"))
        return cli_check(argc - 2, argv + 2);
    if (!strcmp(cmd, "list"))
        return cli_list(argc - 2, argv + 2);
    if (!strcmp(cmd, "bench"))
        return cli_bench(argc - 2, argv + 2);
    if (!strcmp(cmd, "shrink"))
        return cli_shrink(argc - 2, argv + 2);
    if (!strcmp(cmd, "explain"))
        return cli_explain(argc - 2, argv + 2);
    if (!strcmp(cmd, "explore"))
        return cli_explore(argc - 2, argv + 2);
    if (!strcmp(cmd, "serve"))
        return cli_serve(argc - 2, argv + 2);
    fprintf(stderr, "rddsim: unknown command '%s'\n", cmd);
    cli_print_choices(stderr, cmd, cli_commands, cli_commands_len);
    fprintf(stderr, "usage: rddsim COMMAND [ARGS] (rddsim --help)\n");
    return EXIT_USAGE;
}

/* glibc returns freed memory above 128 KiB to the kernel (mmap'd blocks
 * at once, the heap's top past 128 KiB), and a world that frees and
 * allocates large answers and objects then faults the same pages in again:
 * 4 % of the stop at scale.  Keep it for reuse.  Blocks above 32 MiB
 * (glibc's highest mmap threshold) would still be mmap'd and unmapped on
 * free: a 1M-container world's list answers are, and faulting them in
 * again was half of its 1.1 M page faults, so nothing is mmap'd.  Memory
 * layout decides nothing in a run (determinism). */
static void malloc_keep_freed(void)
{
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's maximum */
    (void)mallopt(M_MMAP_MAX, 0);
    (void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

int main(int argc, char **argv)
{
    int rc;
    malloc_keep_freed();
    rc = dispatch(argc, argv);
    int out = cli_stdout_check();
    return out && rc < 128 && out > rc ? out : rc;
}
