/*
 * cli_help.c: every help text of rddsim and its version line.  The texts
 * are the reference for the options (docs/cli.md points here: run
 * `rddsim help COMMAND`).
 */
#include <string.h>

#include "cli.h"
#include "rdd/flags.h"

#ifndef RDDSIM_VERSION
#define RDDSIM_VERSION "0.0.0"
#endif
#ifndef RDDSIM_GIT_COMMIT
#define RDDSIM_GIT_COMMIT "unknown"
#endif

const char *const cli_commands[] = {"run",  "suite", "check", "shrink",
                                    "explain", "explore", "list", "bench",
                                    "serve", "help"};
const size_t cli_commands_len = sizeof(cli_commands) / sizeof(cli_commands[0]);

static const char overview[] =
    "rddsim: a deterministic fault-injection simulator for the Rancher "
    "Desktop Daemon\n"
    "\n"
    "usage: rddsim COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run FILE      run one scenario under its variants and judge the "
    "outcome\n"
    "  suite [DIR]   every scenario x variant, one table row each\n"
    "  check FILE..  validate scenario files without running them\n"
    "  shrink FILE   the smallest scenario that still fails the same way\n"
    "  explain FILE  the chain of causes behind each violation and stall\n"
    "  explore       sweep random worlds of a profile for new findings\n"
    "  list [KIND]   variants, flags, faults, invariants, actions\n"
    "  bench kernel  the kernel benchmarks (W1, W2)\n"
    "  serve FILE    live: serve the scenario's fakes to docker and kubectl\n"
    "  help [CMD]    this text, or the options of CMD\n"
    "\n"
    "options:\n"
    "  -h, --help    this text (`rddsim COMMAND --help`: that command's)\n"
    "  --version     the version, git commit and RDD commit modelled\n"
    "\n"
    "exit codes: 0 the outcome is what the scenario expects; 1 it is not;\n"
    "2 a usage or scenario error (file:line:col: message); 3 an internal or\n"
    "output error (a failed write, an exceeded event budget); 130/143 a run\n"
    "stopped by SIGINT/SIGTERM.\n"
    "\n"
    "example:\n"
    "  rddsim run scenarios/collisions/dd-before-rdd.yaml --variant head\n";

static const char help_run[] =
    "usage: rddsim run FILE [OPTIONS]\n"
    "\n"
    "Runs the scenario FILE under every variant it declares (or the one\n"
    "--variant names) and prints each violation, each stall and one verdict\n"
    "line per variant and seed:\n"
    "  verdict: scenario=S variant=V seed=N events=E sim_time=T "
    "trace_hash=H\n"
    "           expected=IDS got=IDS result=MATCH|MISMATCH|HOLDS|VIOLATED\n"
    "events= counts the loop's callbacks; a trace line's seq counts the\n"
    "lines written (many callbacks write no line, some write several).\n"
    "\n"
    "options:\n"
    "  --variant NAME     run only this variant: one FILE declares, or a\n"
    "                     built-in preset (head, fixed) even when FILE does\n"
    "                     not declare it; a preset FILE does not declare is\n"
    "                     judged without expectations (HOLDS or VIOLATED)\n"
    "  --flags A,B        run with these flags added (to head, or to\n"
    "                     --variant), judged without expectations;\n"
    "                     `rddsim list flags` names them\n"
    "  --seed N           the seed (default: FILE's seed:, else drawn from\n"
    "                     the OS and printed); decimal 0..2^64-1\n"
    "  --seeds A..B       run every seed from A to B (also A-B), one verdict\n"
    "                     line each and a summary; exit 1 if any mismatches\n"
    "  --trace FILE|-     write every event as JSON Lines (docs/trace.md);\n"
    "                     `-` is stdout, and the report then goes to stderr;\n"
    "                     %v in FILE is the variant, %s the seed: with\n"
    "                     several variants or seeds and no %v/%s, the runs\n"
    "                     follow one another in FILE, each from its\n"
    "                     sim.run.start line;\n"
    "                     FILE is written as FILE.tmp and renamed at the end\n"
    "  --trace-format F   jsonl (default) or perfetto: --trace FILE as\n"
    "                     Trace Event Format JSON for ui.perfetto.dev\n"
    "                     (tracks per actor, state spans, cause flows,\n"
    "                     mirror counters; docs/trace.md \"Perfetto\")\n"
    "  --log FILE|-       write every event as text (`t=1.5s #42 ev k=v`)\n"
    "  --only K=GLOB,..   keep only the --log lines whose field K matches\n"
    "                     GLOB (fnmatch: * ? [..]); one key given twice is\n"
    "                     either, different keys are all; K=ev is the event\n"
    "                     name, K=kind a kind= field or the event name\n"
    "  --around ID[:N]    print the N (default 5) events before and after\n"
    "                     the first violation of invariant ID (to --log, or\n"
    "                     stdout); :\xc2\xb1N and :+-N read the same\n"
    "  --no-expect        ignore FILE's expectations: exit 1 when any\n"
    "                     invariant is violated (result HOLDS/VIOLATED)\n"
    "  --max-events N     stop a run after N events as an error, exit 3\n"
    "                     (default 50000000)\n"
    "  -h, --help         this text\n"
    "\n"
    "SIGINT or SIGTERM ends the run after the current event: the trace ends\n"
    "with sim.run.interrupted, the verdict so far is printed and rddsim\n"
    "exits 130 or 143.\n"
    "\n"
    "examples:\n"
    "  rddsim run scenarios/collisions/dd-before-rdd.yaml --variant head\n"
    "  rddsim run FILE --seeds 1..10\n"
    "  rddsim run FILE --variant fixed --trace out-%v.jsonl\n"
    "  rddsim run FILE --variant head --trace run.json --trace-format "
    "perfetto\n"
    "  rddsim run FILE --flags bind_failure_surfaced,pipe_per_instance\n"
    "  rddsim run FILE --variant head --log - --only "
    "inst=rancher-desktop-2,ev=rdd.engine.*\n"
    "  rddsim run FILE --variant head --around S1:3\n";

static const char help_suite[] =
    "usage: rddsim suite [OPTIONS] [DIR|FILE ...]\n"
    "\n"
    "Runs every *.yaml under each DIR (recursively, sorted) and each FILE\n"
    "(default: scenarios/) under every variant it declares, with the\n"
    "scenario's seed (else 1), and prints one table row per run:\n"
    "scenario, variant, expected and violated invariants, the first time\n"
    "of each violation, simulated and wall time, and the result (ok,\n"
    "MISMATCH, or error: why, for a file that does not load or a run that\n"
    "fails).  The last line counts them; the exit code is the worst row's.\n"
    "\n"
    "options:\n"
    "  --seed N           run every scenario with seed N\n"
    "  --max-events N     the event budget of each run (default 50000000)\n"
    "  --junit FILE       also write the rows as JUnit XML: a testsuite per\n"
    "                     file, a testcase per variant, a MISMATCH as a\n"
    "                     <failure> with its violations, an error row as an\n"
    "                     <error>; FILE.tmp renamed at the end\n"
    "  -h, --help         this text\n"
    "\n"
    "examples:\n"
    "  rddsim suite scenarios/cleanup\n"
    "  rddsim suite --junit build/suite.xml\n";

static const char help_check[] =
    "usage: rddsim check FILE ...\n"
    "\n"
    "Loads each scenario file and validates it without running it:\n"
    "`FILE: ok (N variants)`, or `file:line:col: what is wrong` and exit 2.\n"
    "\n"
    "options:\n"
    "  -h, --help         this text\n"
    "\n"
    "example:\n"
    "  rddsim check scenarios/reports/*.yaml\n";

static const char help_list[] =
    "usage: rddsim list KIND [FILE]\n"
    "\n"
    "kinds:\n"
    "  variants           the built-in presets and the flags they set\n"
    "  variants FILE      the variant names --variant takes for FILE (its\n"
    "                     own, then the presets it does not declare)\n"
    "  flags              every flag: name, review id, what it changes\n"
    "  faults             every fault site and what it injects\n"
    "  invariants         every invariant: id, title, what it checks\n"
    "  actions            every timeline action with its keys, their types\n"
    "                     and defaults\n"
    "\n"
    "Without KIND it lists the kinds.\n"
    "\n"
    "example:\n"
    "  rddsim list variants scenarios/collisions/dd-before-rdd.yaml\n";

static const char help_bench[] =
    "usage: rddsim bench kernel w1 [A=1000] [E=10000000] [SEED=42]\n"
    "       rddsim bench kernel w2 [N=1000] [L_MS=40000] [POLL_MS=200]\n"
    "                              [TIMEOUT_MS=30000] [R=10000] [SEED=42]\n"
    "       rddsim bench scale N [IMAGES=N/4] [VOLUMES=N/10]\n"
    "\n"
    "Runs a discrete-event workload on the loop the models use and prints\n"
    "one RESULT line (events, final virtual time, wall time, events per\n"
    "second, peak RSS).  W1: A actors each rescheduling itself until E\n"
    "events; W2: N pollers with R rounds of latency L_MS polled every\n"
    "POLL_MS with a TIMEOUT_MS deadline.  scale: the stop of an instance\n"
    "mirroring N containers, IMAGES images and VOLUMES volumes; it prints\n"
    "wall time, events, Docker calls, apiserver writes, informer events,\n"
    "reconciles and peak RSS (docs/performance.md).\n"
    "\n"
    "example:\n"
    "  rddsim bench kernel w1 A=1000 E=200000\n";

static const char help_shrink[] =
    "usage: rddsim shrink FILE [--variant V] [--seed N] [--invariant ID]\n"
    "                          [--max-runs N] [-o OUT.yaml]\n"
    "\n"
    "Cuts the failing scenario FILE down to the smallest one that still\n"
    "fails the same way: the same invariant on the same instance, under\n"
    "the same variant and seed (docs/shrink.md).  It cuts the duration,\n"
    "removes parts (ddmin over instances, owners, daemons, faults, steps,\n"
    "objects, env keys, lag spikes) and simplifies what is left, one\n"
    "in-process run per candidate.  The minimal scenario is written as\n"
    "YAML with a header saying what went, then a `shrunk:` summary line\n"
    "(on stderr when the YAML goes to stdout).\n"
    "\n"
    "options:\n"
    "  --variant V     shrink under V (default: the first variant that fails)\n"
    "  --seed N        the run's seed (default: the file's, else 1)\n"
    "  --invariant ID  keep ID's violation (default: the first violation)\n"
    "  --max-runs N    stop after N candidate runs (default 4000)\n"
    "  -o OUT.yaml     write the result there (via OUT.yaml.tmp and a rename)\n"
    "\n"
    "exit codes: 0 shrunk; 1 FILE does not fail under the variant; 2 usage\n"
    "or scenario error; 3 an internal or output error.\n"
    "\n"
    "example:\n"
    "  rddsim shrink scenarios/collisions/dd-before-rdd.yaml --variant head "
    "-o min.yaml\n";

static const char help_serve[] =
    "usage: rddsim serve FILE [--variant V] [--speed X] [--dir DIR]\n"
    "                         [--seed N] [--until-end] [--record OUT]\n"
    "                         [--port P]\n"
    "\n"
    "Runs one variant (default head) in real time, X virtual seconds per\n"
    "second (default 1), and serves each fake Docker daemon as the Docker\n"
    "Engine HTTP API on DIR/docker/<daemon>.sock and each Windows pipe name\n"
    "on DIR/pipes/<name>.sock, which reaches whoever owns the name when the\n"
    "client connects.  Each instance's Kubernetes API is served on\n"
    "DIR/kube/<instance>.sock and on http://127.0.0.1:P (--port P, P+1...;\n"
    "default: ports the OS picks), with DIR/kube/<instance>.kubeconfig for\n"
    "kubectl.  DIR (default: a new temporary directory) must be\n"
    "yours with mode 0700.  Violations print as they happen; Ctrl-C (or the\n"
    "scenario's duration, with --until-end) prints the verdict.\n"
    "--record OUT writes FILE with the clients' removals, runs, kube\n"
    "deletes and App patches as timeline steps at their virtual times;\n"
    "`rddsim run OUT` replays them.\n"
    "\n"
    "example:\n"
    "  rddsim serve scenarios/collisions/dd-before-rdd.yaml --speed 10\n"
    "  export DOCKER_HOST=unix://DIR/pipes/docker_engine.sock; docker ps -a\n"
    "  export KUBECONFIG=DIR/kube/2.kubeconfig; kubectl get containers\n";

static const char help_explain[] =
    "usage: rddsim explain FILE [--variant V] [--violation ID] [--seed N]\n"
    "                           [--format text|jsonl]\n"
    "\n"
    "Runs FILE once and, for each violation, walks the trace's cause links\n"
    "and named links back from the breaking event (for a deadline: the\n"
    "event that started its clock) and prints the chain that led to it in\n"
    "trace order, at most 20 steps: virtual time, #seq, actor, what\n"
    "happened, its links, and the RDD file:line of the code the model\n"
    "follows.  Then, for each stall (an App left unsettled), what each\n"
    "unsettled condition waits on and the chain that led there.  Records\n"
    "alike one shown (a loop's turns) are counted, not repeated\n"
    "(docs/explain.md).\n"
    "\n"
    "options:\n"
    "  --variant V       run under V (default head, else the first declared)\n"
    "  --violation ID    only this invariant's chain (e.g. S1), no stalls\n"
    "  --seed N          the seed (default: FILE's seed:, else 1)\n"
    "  --format F        text (default) or jsonl: one JSON object per step\n"
    "exit codes: 0 chains printed; 1 nothing violated or stalled under the\n"
    "variant;\n"
    "2 usage or scenario error, or --violation names no violation here (the\n"
    "ids present are listed); 3 an internal or output error.\n"
    "\n"
    "example:\n"
    "  rddsim explain scenarios/collisions/dd-before-rdd.yaml --violation S1\n";

static const char help_explore[] =
    "usage: rddsim explore [--profile P] [--seeds N | --for D] [--first S]\n"
    "                      [--jobs J] [--variant V ...] [--out DIR]\n"
    "                      [--resume] [--shard I/N] [--timeout D] [--shrink]\n"
    "       rddsim explore --emit SEED [--profile P] [--variant V ...]\n"
    "       rddsim explore merge DIR... [--out DIR]\n"
    "\n"
    "Draws one world per seed from the profile P and runs it under every\n"
    "variant in worker processes, J at a time (docs/explore.md).  Each\n"
    "violation is a signature: the invariant and the trace event it broke\n"
    "after (INV@SITE); a worker that crashes or passes --timeout is a CRASH\n"
    "or HANG finding with its seed.  Findings are deduplicated by signature,\n"
    "labelled with the known hazard they match (or NEW), and each gets the\n"
    "scenario of its smallest seed in DIR/findings/.  DIR also holds\n"
    "seeds.jsonl (one line per seed), findings.jsonl and meta.json.\n"
    "The output is the same for any --jobs.\n"
    "\n"
    "options:\n"
    "  --profile P    a name (scenarios/profiles/P.yaml) or a path;\n"
    "                 default: default\n"
    "  --seeds N      run N seeds, from --first (default 100)\n"
    "  --for D        run seeds until D of wall time has passed (10m, 1h)\n"
    "  --first S      the first seed (default 0)\n"
    "  --jobs J       worker processes (default: the core count)\n"
    "  --variant V    a preset or '+'-joined flags, repeatable (default:\n"
    "                 head and the profile's clean variants)\n"
    "  --out DIR      where results go (default explore-out); it must not\n"
    "                 exist, unless --resume\n"
    "  --resume       continue the sweep recorded in DIR\n"
    "  --shard I/N    only the seeds with seed % N == I\n"
    "  --timeout D    wall time one seed may take (default 30s)\n"
    "  --shrink       shrink each finding's scenario (rddsim shrink)\n"
    "  --emit SEED    print the world of SEED as a scenario file\n"
    "merge: folds the seeds.jsonl of shard DIRs into one findings set, the\n"
    "same as one sweep over the same seeds; --out DIR writes it there.\n"
    "\n"
    "exit codes: 0 no finding under a clean variant; 1 a finding under one\n"
    "of the profile's clean variants, or a CRASH, HANG or LOAD finding;\n"
    "2 usage or a malformed profile (file:line:col); 3 an internal error.\n"
    "\n"
    "example:\n"
    "  rddsim explore --seeds 500 --out sweep1\n"
    "  rddsim run sweep1/findings/17-S1-dock.call.done.yaml --variant head\n";

static const char help_help[] =
    "usage: rddsim help [COMMAND]\n"
    "\n"
    "Prints the overview, or the options of COMMAND with an example.\n"
    "\n"
    "example:\n"
    "  rddsim help run\n";

int cli_help(const char *cmd, FILE *f)
{
    static const struct {
        const char *name;
        const char *text;
    } texts[] = {
        {"run", help_run},     {"suite", help_suite}, {"check", help_check},
        {"list", help_list},   {"bench", help_bench}, {"help", help_help},
        {"shrink", help_shrink}, {"serve", help_serve},
        {"explain", help_explain}, {"explore", help_explore},
    };
    size_t i;
    if (!cmd) {
        fputs(overview, f);
        return 0;
    }
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (!strcmp(texts[i].name, cmd)) {
            fputs(texts[i].text, f);
            return 0;
        }
    fprintf(stderr, "rddsim help: no command '%s'\n", cmd);
    cli_print_choices(stderr, cmd, cli_commands, cli_commands_len);
    return EXIT_USAGE;
}

void cli_version(FILE *f)
{
    fprintf(f, "rddsim %s (git %s), models RDD at %s\n", RDDSIM_VERSION,
            RDDSIM_GIT_COMMIT, RDD_MODELLED_COMMIT);
}
