/*
 * shrink_cli.h: the `rddsim shrink` command (docs/shrink.md).
 *
 *   rddsim shrink FILE [--variant V] [--seed N] [--invariant ID]
 *                      [--max-runs N] [-o OUT.yaml]
 *
 * Writes the minimal scenario (header comment + YAML) to OUT.yaml (through
 * a temporary file and a rename) or to stdout, then the lines
 * `shrunk: N steps -> M steps, K faults -> L, in X runs, Y s` and
 * `objects: A -> B; keeps ID on INSTANCE under V, seed N` to stdout (with
 * -o) or stderr.  Seed: --seed, else the file's, else 1.
 * Exit: 0 shrunk; 1 the variant (or every variant) does not fail, said on
 * stdout; 2 usage or scenario error; 3 internal or write error.
 */
#ifndef SIM_EXPLORE_SHRINK_CLI_H
#define SIM_EXPLORE_SHRINK_CLI_H

/* argv: the arguments after `shrink`. */
int explore_cli_shrink(int argc, char **argv);

#endif
