#!/usr/bin/env python3
"""Table-driven tests of the rddsim command line (ctest label cli).

Usage: cli_cases.py RDDSIM ROOT --list      the case names, one a line
       cli_cases.py RDDSIM ROOT CASE        run one case

Each case in CASES runs a command in a fresh temporary directory and checks
its exit code and output.  Keys:
  args        rddsim's arguments ({root} is the repository, {tmp} the
              temporary directory), or
  sh          a bash script instead ({rddsim} is the binary)
  rc          the exit code wanted
  out, err    the exact stdout / stderr (after masking), or
  out_has, err_has     texts that must appear (a list)
  out_lacks, err_lacks texts that must not appear
  out_re      a regex stdout must match (re.M)
  out_to      a path stdout is redirected to (/dev/full)
  files       {path in {tmp}: text its content must contain}
  no_files    paths in {tmp} that must not exist
  interrupt   a signal (SIGINT, SIGTERM) sent once stdout has a line
  aligned     stdout is a suite table whose columns line up
  squash      compare out with every run of 2+ spaces read as two
Masking, on both sides: trace_hash=<16 hex> becomes trace_hash=HASH, a
wall time such as 12.3ms in a suite table becomes WALL, and #seq, events=N
and after_seq=N lose their numbers.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile

HASH_RE = re.compile(r"trace_hash=[0-9a-f]{16}")
WALL_RE = re.compile(r"\d+\.\dms")
# Event counts and sequence numbers move whenever a model gains or loses an
# event; the cases check what a command prints, not how many events ran.
SEQ_RE = re.compile(r"(#|events=|after_seq=)\d+")

RUN_OPTS = ["--variant", "--flags", "--seed", "--seeds", "--trace", "--log",
            "--only", "--around", "--no-expect", "--max-events", "--help",
            "--trace-format"]
TINY = "{root}/tests/cli/tiny.yaml"
LONG = "{root}/tests/cli/long.yaml"
DD = "{root}/scenarios/collisions/dd-before-rdd.yaml"
HINT = "(rddsim help run lists the options)\n"

LIST_KINDS = """rddsim list KIND, where KIND is one of:
  variants [FILE]  presets (or the variants of FILE)
  flags            every flag of a variant
  faults           every fault site
  invariants       every invariant
  actions          every timeline action and its keys
"""

TINY_VERDICT = ("verdict: scenario=tiny variant={v} seed={s} events={e} "
                "sim_time=30s trace_hash=HASH expected={x} got=none "
                "result={r}\n")

CASES = {
    # issue 15 item 1: help and version ---------------------------------
    "help-long": dict(args=["--help"], rc=0, err="",
                      out_re=r"\Arddsim: a deterministic .*\n\nusage: rddsim "
                             r"COMMAND \[ARGS\]\n",
                      out_has=["run FILE", "suite [DIR]", "check FILE",
                               "list [KIND]", "bench kernel", "help [CMD]",
                               "--version", "example:"]),
    "help-short": dict(args=["-h"], rc=0, err="",
                       out_re=r"\Arddsim: a deterministic "),
    "help-command": dict(args=["help"], rc=0, err="",
                         out_re=r"\Arddsim: a deterministic "),
    "help-run": dict(args=["help", "run"], rc=0, err="",
                     out_re=r"\Ausage: rddsim run FILE \[OPTIONS\]\n",
                     out_has=RUN_OPTS + ["examples:", "events= counts"]),
    "run-dash-help": dict(args=["run", "--help"], rc=0, err="",
                          out_re=r"\Ausage: rddsim run FILE \[OPTIONS\]\n",
                          out_has=RUN_OPTS),
    "help-suite": dict(args=["suite", "-h"], rc=0, err="",
                       out_has=["usage: rddsim suite", "--seed",
                                "--max-events", "--junit", "examples:"]),
    "help-check": dict(args=["check", "--help"], rc=0, err="",
                       out_has=["usage: rddsim check FILE", "example:"]),
    "help-list": dict(args=["help", "list"], rc=0, err="",
                      out_has=["usage: rddsim list KIND [FILE]",
                               "variants FILE", "flags", "faults",
                               "invariants", "actions", "example:"]),
    "help-bench": dict(args=["bench", "--help"], rc=0, err="",
                       out_has=["usage: rddsim bench kernel w1",
                                "example:"]),
    "help-unknown": dict(args=["help", "rn"], rc=2, out="",
                         err="rddsim help: no command 'rn'\n"
                             "  valid: run, suite, check, shrink, explain, explore, list, bench, "
                             "serve, help\n"
                             "  did you mean run?\n"),
    "version": dict(args=["--version"], rc=0, err="",
                    out_re=r"\Arddsim \d+\.\d+\.\d+ \(git ([0-9a-f]{12}|"
                           r"unknown)\), models RDD at 00f5645\n\Z"),
    "no-command": dict(args=[], rc=2, out="",
                       err_has=["usage: rddsim COMMAND [ARGS]"]),
    "unknown-command": dict(args=["rn", "x"], rc=2, out="",
                            err="rddsim: unknown command 'rn'\n"
                                "  valid: run, suite, check, shrink, explain, explore, list, bench, "
                                "serve, help\n  did you mean run?\n"
                                "usage: rddsim COMMAND [ARGS] "
                                "(rddsim --help)\n"),
    "list-kinds": dict(args=["list"], rc=0, err="", out=LIST_KINDS),
    "list-unknown-kind": dict(args=["list", "flag"], rc=2, out="",
                              err="rddsim list: no kind 'flag'\n"
                                  "  valid: variants, flags, faults, "
                                  "invariants, actions\n"
                                  "  did you mean flags?\n"),
    # usage errors name the argument
    "seed-not-a-number": dict(args=["run", TINY, "--seed", "abc"], rc=2,
                              out="",
                              err="rddsim run: --seed abc: not a number\n"
                                  + HINT),
    "seed-overflow": dict(args=["run", TINY, "--seed",
                                "18446744073709551616"], rc=2, out="",
                          err="rddsim run: --seed 18446744073709551616: out "
                              "of range (0..18446744073709551615)\n" + HINT),
    "seed-space-minus": dict(args=["run", TINY, "--seed", " -1"], rc=2,
                             out="",
                             err="rddsim run: --seed ' -1': not a number\n"
                                 + HINT),
    "seed-minus": dict(args=["run", TINY, "--seed=-1"], rc=2, out="",
                       err="rddsim run: --seed -1: not a number\n" + HINT),
    "seed-octal-looking": dict(args=["run", TINY, "--seed", "010"], rc=2,
                               out="",
                               err="rddsim run: --seed 010: not a number (a "
                                   "decimal number has no leading 0)\n"
                                   + HINT),
    "seed-max": dict(args=["run", TINY, "--seed", "18446744073709551615"],
                     rc=0, err="",
                     out_has=["seed=18446744073709551615 "]),
    "unknown-option": dict(args=["run", TINY, "--sed", "1"], rc=2, out="",
                           err="rddsim run: unknown option --sed (did you "
                               "mean --seed?)\n" + HINT),
    "unknown-option-far": dict(args=["run", TINY, "--frobnicate"], rc=2,
                               out="",
                               err="rddsim run: unknown option --frobnicate\n"
                                   + HINT),
    "variant-needs-value": dict(args=["run", TINY, "--variant"], rc=2,
                                out="",
                                err="rddsim run: --variant needs a value\n"
                                    + HINT),
    "run-needs-file": dict(args=["run"], rc=2, out="",
                           err="rddsim run: needs a scenario FILE\n" + HINT),
    "flag-takes-no-value": dict(args=["run", TINY, "--no-expect=1"], rc=2,
                                out="",
                                err="rddsim run: --no-expect takes no "
                                    "value\n" + HINT),
    # issue 15 item 3: variants ad hoc -----------------------------------
    "variant-typo": dict(args=["run", TINY, "--variant", "fixd"], rc=2,
                         out="",
                         err="rddsim run: --variant fixd: {root}/tests/cli/"
                             "tiny.yaml has no such variant\n"
                             "  valid: head, fixed, all-fixes\n"
                             "  did you mean fixed?\n"),
    "variant-preset-ad-hoc": dict(
        args=["run", TINY, "--variant", "fixed"], rc=0, err="",
        out="note: fixed is not a variant of {root}/tests/cli/tiny.yaml: "
            "judged without expectations\n"
            + TINY_VERDICT.format(v="fixed", s=1, e=269, x="-",
                                  r="HOLDS")),
    "flags-ad-hoc": dict(
        args=["run", TINY, "--flags", "pipe_per_instance,is_msys"], rc=0,
        err="",
        out="note: head+pipe_per_instance,is_msys is not a variant of "
            "{root}/tests/cli/tiny.yaml: judged without expectations\n"
            + TINY_VERDICT.format(v="head+pipe_per_instance,is_msys", s=1,
                                  e=269, x="-", r="HOLDS")),
    "flags-unknown": dict(args=["run", TINY, "--flags", "is_msis"], rc=2,
                          out="",
                          err_has=["rddsim run: --flags is_msis: unknown "
                                   "flag 'is_msis'\n", "  valid: "
                                   "pipe_per_instance, ",
                                   "  did you mean is_msys?\n"]),
    "flags-in-trace-by-name": dict(
        args=["run", TINY, "--flags", "pipe_per_instance,is_msys", "--log",
              "-"], rc=0,
        out_has=["sim.run.start seed=1 scenario=tiny variant=head+"
                 "pipe_per_instance,is_msys flags=pipe_per_instance,is_msys "
                 "host=linux\n"]),
    "list-variants-file": dict(args=["list", "variants", DD], rc=0, err="",
                               out="head\nfixed\nbind-surfaced-only\n"
                                   "half-fix-endpoint-only\nall-fixes\n"),
    "list-variants-file-adds-presets": dict(
        args=["list", "variants", TINY], rc=0, err="",
        out="head\nfixed\nall-fixes\n"),
    "list-actions": dict(
        args=["list", "actions"], rc=0, err="",
        out_lacks=["not documented"],
        out_has=["every step: at (duration, required)",
                 "svc.delete           rdd svc delete\n"
                 "    instance     RDD_INSTANCE value (\"unset\": none)"
                 "                   required\n"
                 "    console      bool: Ctrl+C reaches the service (false: "
                 "TerminateProcess) true\n",
                 "rdd.set              rdd set running=true|false",
                 "    timeout      duration",
                 "pipe.hold", "app.delete"]),
    "list-flags": dict(args=["list", "flags"], rc=0, err="",
                       out_re=r"^pipe_per_instance +\[I1\] "),
    "check-singular": dict(args=["check", TINY], rc=0, err="",
                           out="{root}/tests/cli/tiny.yaml: ok (1 variant)"
                               "\n"),
    "check-plural": dict(args=["check", DD], rc=0, err="",
                         out="{root}/scenarios/collisions/dd-before-rdd.yaml"
                             ": ok (4 variants)\n"),
    "check-needs-file": dict(args=["check"], rc=2, out="",
                             err="rddsim check: needs at least one scenario "
                                 "FILE\n(rddsim help check lists the "
                                 "options)\n"),
    # issue 9: seeds, budgets, signals, writes ---------------------------
    "seeds-range": dict(
        args=["run", TINY, "--seeds", "1..3"], rc=0, err="",
        out=TINY_VERDICT.format(v="head", s=1, e=269, x="none", r="MATCH")
        + TINY_VERDICT.format(v="head", s=2, e=269, x="none", r="MATCH")
        + TINY_VERDICT.format(v="head", s=3, e=269, x="none", r="MATCH")
        + "summary: variant=head seeds=1..3 runs=3 ok=3 failed=0\n"),
    "seeds-dash": dict(args=["run", TINY, "--seeds", "2-3"], rc=0, err="",
                       out_has=["seed=2 ", "seed=3 ",
                                "summary: variant=head seeds=2..3 runs=2 "
                                "ok=2 failed=0\n"]),
    "seeds-mismatch-named": dict(
        args=["run", "{root}/tests/expect/trace-expectation-fails.yaml",
              "--variant", "head", "--seeds", "1..2"], rc=1, err="",
        out_has=["summary: variant=head seeds=1..2 runs=2 ok=0 failed=2 "
                 "(seeds 1,2)\n"]),
    "seeds-empty": dict(args=["run", TINY, "--seeds", "5..1"], rc=2, out="",
                        err="rddsim run: --seeds 5..1: the range is empty "
                            "(5 > 1)\n" + HINT),
    "seed-and-seeds": dict(args=["run", TINY, "--seed", "1", "--seeds",
                                 "1..2"], rc=2, out="",
                           err="rddsim run: --seed and --seeds: give one\n"
                               + HINT),
    "max-events": dict(args=["run", LONG, "--max-events", "1000"], rc=3,
                       out="",
                       err="rddsim: {root}/tests/cli/long.yaml: variant head "
                           "seed 1: event budget exceeded: stopped after "
                           "1000 events at 999ms (--max-events 1000)\n"),
    "max-events-zero": dict(args=["run", TINY, "--max-events", "0"], rc=2,
                            out="",
                            err="rddsim run: --max-events 0: must be at "
                                "least 1\n" + HINT),
    "sigint": dict(args=["run", LONG, "--log", "-"], interrupt="SIGINT",
                   rc=130,
                   err="",
                   out_re=r"\At=0\.000000000s #1 sim\.run\.start seed=1 "
                          r"scenario=long variant=head flags=none "
                          r"host=linux\n",
                   out_has=[" sim.run.interrupted", " result=INTERRUPTED\n"]),
    "sigterm-trace-complete": dict(
        args=["run", LONG, "--trace", "{tmp}/t.jsonl", "--log", "-"],
        interrupt="SIGTERM", rc=143, err="",
        out_has=[" result=INTERRUPTED\n"],
        files={"t.jsonl": '"ev":"sim.run.interrupted"'},
        no_files=["t.jsonl.tmp"]),
    "trace-dev-full": dict(args=["run", TINY, "--trace", "/dev/full"], rc=3,
                           err="rddsim: --trace /dev/full: No space left on "
                               "device\n"),
    "log-dev-full": dict(args=["run", TINY, "--log", "/dev/full"], rc=3,
                         err="rddsim: --log /dev/full: No space left on "
                             "device\n"),
    "trace-no-dir": dict(args=["run", TINY, "--trace", "/nonexistent/x"],
                         rc=3, out="",
                         err="rddsim: --trace /nonexistent/x: No such file "
                             "or directory\n"),
    "stdout-full-run": dict(args=["run", TINY], out_to="/dev/full", rc=3,
                            err="rddsim: stdout: No space left on device\n"),
    "stdout-full-check": dict(args=["check", TINY], out_to="/dev/full",
                              rc=3,
                              err="rddsim: stdout: No space left on "
                                  "device\n"),
    "stdout-full-list": dict(args=["list", "invariants"],
                             out_to="/dev/full", rc=3,
                             err="rddsim: stdout: No space left on "
                                 "device\n"),
    "stdout-full-suite": dict(args=["suite", TINY], out_to="/dev/full",
                              rc=3,
                              err="rddsim: stdout: No space left on "
                                  "device\n"),
    "trace-renamed": dict(args=["run", TINY, "--trace", "{tmp}/t.jsonl"],
                          rc=0,
                          files={"t.jsonl": '"ev":"sim.run.end"'},
                          no_files=["t.jsonl.tmp"]),
    # issue 9: the suite prints its table when a scenario errors ---------
    "suite-error-row": dict(
        args=["suite", "{root}/tests/cli/suite"], rc=2, err="",
        aligned=True, squash=True,
        out="scenario  variant  expected  got  violated (first at)  sim time"
            "  wall  result\n"
            "{root}/tests/cli/suite/a-broken.yaml  -  -  error  -  -  -  "
            "error: {root}/tests/cli/suite/a-broken.yaml:5:11: duration "
            "must be a duration with a unit (200ms, 30s, 5m), not '30'\n"
            "tiny  head  none  none  -  30s  WALL  ok\n"
            "suite: 1 passed, 0 failed, 1 error\n"),
    "suite-budget-row": dict(
        args=["suite", "--max-events", "1000", LONG, TINY], rc=3, err="",
        aligned=True, squash=True,
        out="scenario  variant  expected  got  violated (first at)  sim time"
            "  wall  result\n"
            "long  head  -  error  -  -  -  error: event budget exceeded: "
            "stopped after 1000 events at 999ms\n"
            "tiny  head  none  none  -  30s  WALL  ok\n"
            "suite: 1 passed, 0 failed, 1 error\n"),
    "suite-missing": dict(args=["suite", "{root}/tests/cli/nope"], rc=2,
                          out_has=["error: no such file or directory\n",
                                   "suite: 0 passed, 0 failed, 1 error\n"]),
    # issue 15 item 5: trace ergonomics -----------------------------------
    "trace-stdout": dict(
        args=["run", TINY, "--trace", "-"], rc=0,
        out_re=r'\A\{"t_ns":0,"seq":1,"ev":"sim.run.start","seed":1,'
               r'"scenario":"tiny","variant":"head","flags":"none",'
               r'"host":"linux"\}\n',
        out_lacks=["verdict:"],
        err=TINY_VERDICT.format(v="head", s=1, e=269, x="none", r="MATCH")),
    "trace-and-log-stdout": dict(args=["run", TINY, "--trace", "-", "--log",
                                       "-"], rc=2, out="",
                                 err="rddsim run: --trace - and --log - both "
                                     "write to stdout; send one to a file\n"
                                     + HINT),
    "trace-per-variant": dict(
        args=["run", DD, "--seed", "1", "--trace", "{tmp}/out-%v-%s.jsonl"],
        rc=0,
        files={"out-head-1.jsonl": '"variant":"head"',
               "out-fixed-1.jsonl": '"variant":"fixed"',
               "out-bind-surfaced-only-1.jsonl":
                   '"variant":"bind-surfaced-only"',
               "out-half-fix-endpoint-only-1.jsonl":
                   '"variant":"half-fix-endpoint-only"'},
        no_files=["out-head-1.jsonl.tmp"]),
    "trace-several-runs-one-file": dict(
        args=["run", TINY, "--seeds", "1..2", "--trace", "{tmp}/t.jsonl"],
        rc=0,
        files={"t.jsonl": '{"t_ns":0,"seq":1,"ev":"sim.run.start","seed":2,'},
        no_files=["t.jsonl.tmp"]),
    "log-per-seed": dict(
        args=["run", TINY, "--seeds", "1..2", "--log", "{tmp}/log-%s.txt",
              "--only", "ev=sim.run.start"], rc=0,
        files={"log-1.txt": "sim.run.start seed=1 ",
               "log-2.txt": "sim.run.start seed=2 "}),
    "daemon-init": dict(
        args=["run", TINY, "--log", "-", "--only", "ev=dock.daemon.*"],
        rc=0,
        out="t=0.000000000s #2 dock.daemon.init daemon=vm-2 state=down\n"
            "t=6.500000000s #294 dock.daemon.start daemon=vm-2\n"
            "t=20.000000000s #394 dock.daemon.stop daemon=vm-2 stopped=0\n"
            + TINY_VERDICT.format(v="head", s=1, e=269, x="none",
                                  r="MATCH")),
    "default-instance-vm-daemon": dict(
        args=["run", "{root}/tests/cli/default-instance.yaml", "--log", "-",
              "--only", "ev=dock.daemon.*,ev=rdd.instance.start"], rc=0,
        err="",
        out="t=0.000000000s #2 dock.daemon.init daemon=vm-2 state=down\n"
            "t=0.000000000s #3 rdd.instance.start inst=rancher-desktop-2 "
            "endpoint=unix:///home/u/.rd2/docker.sock bridge_pipe=\"\" "
            "rc=OK\n"
            "t=6.500000000s #294 dock.daemon.start daemon=vm-2\n"
            "verdict: scenario=default-instance variant=head seed=1 "
            "events=237 sim_time=10s trace_hash=HASH expected=none "
            "got=none result=MATCH\n"),
    "svc-stop-wording": dict(
        args=["run", TINY, "--log", "-", "--only", "ev=sim.action"], rc=0,
        out_has=["t=20.000000000s #382 sim.action do=svc.stop "
                 "what=\"rancher-desktop-2 (no console)\" rc=OK\n"]),
    # issue 15 item 6: filters --------------------------------------------
    "only-and-or": dict(
        args=["run", DD, "--variant", "head", "--log", "-", "--only",
              "inst=rancher-desktop-2,kind=rdd.engine.state,"
              "kind=rdd.bridge.*"], rc=0,
        out_re=r"\A(t=\S+ #\d+ (rdd\.engine\.state|rdd\.bridge\.\S+) "
               r"inst=rancher-desktop-2 .*\n)+violation: ",
        out_has=["rdd.bridge.state inst=rancher-desktop-2 ",
                 "rdd.engine.state inst=rancher-desktop-2 "]),
    "only-bad-term": dict(args=["run", TINY, "--only", "inst"], rc=2,
                          out="",
                          err="rddsim run: --only inst: not KEY=GLOB\n"
                              + HINT),
    "around": dict(
        args=["run", DD, "--variant", "head", "--around", "S1:2"], rc=0,
        out_re=r"\A(t=\S+ #\d+ .*\n){2}t=40\.001562597s #\d+ "
               r"sim\.invariant\.violated id=S1 .*\n(t=\S+ #\d+ .*\n){2}"
               r"violation: "),
    "around-plus-minus": dict(
        args=["run", DD, "--variant", "head", "--around", "S1:\u00b11"],
        rc=0,
        out_re=r"\A(t=\S+ #\d+ .*\n)t=40\.001562597s #\d+ "
               r"sim\.invariant\.violated id=S1 .*\n(t=\S+ #\d+ .*\n)"
               r"violation: "),
    "around-missing": dict(
        args=["run", TINY, "--around", "S1"], rc=0,
        err="rddsim run: --around S1: not violated in variant head seed 1\n"),
    # issue 15 item 8: completion -----------------------------------------
    "complete-bash-variants": dict(
        sh='source {root}/scripts/completion/rddsim.bash; '
           'COMP_WORDS=({rddsim} run {root}/tests/cli/tiny.yaml --variant f);'
           ' COMP_CWORD=4; _rddsim; printf "%s\\n" "${{COMPREPLY[@]}}"',
        rc=0, out="fixed\n"),
    "complete-bash-commands": dict(
        sh='source {root}/scripts/completion/rddsim.bash; '
           'COMP_WORDS=({rddsim} ""); COMP_CWORD=1; _rddsim; '
           'printf "%s\\n" "${{COMPREPLY[@]}}"',
        rc=0, out="run\nsuite\ncheck\nshrink\nexplain\nexplore\nlist\nbench\nserve\nhelp\n--help\n"
                  "--version\n"),
    "complete-bash-explore-options": dict(
        sh='source {root}/scripts/completion/rddsim.bash; '
           'COMP_WORDS=({rddsim} explore --sh); COMP_CWORD=2; _rddsim; '
           'printf "%s\\n" "${{COMPREPLY[@]}}"',
        rc=0, out="--shard\n--shrink\n"),
    "explore-help": dict(args=["explore", "--help"], rc=0, err="",
                         out_has=["usage: rddsim explore [--profile P]",
                                  "rddsim explore merge DIR..."]),
    "complete-bash-flags": dict(
        sh='source {root}/scripts/completion/rddsim.bash; '
           'COMP_WORDS=({rddsim} run x --flags is_msys,pipe_per); '
           'COMP_CWORD=4; _rddsim; printf "%s\\n" "${{COMPREPLY[@]}}"',
        rc=0, out="is_msys,pipe_per_instance\n"),
    "complete-bash-options": dict(
        sh='source {root}/scripts/completion/rddsim.bash; '
           'COMP_WORDS=({rddsim} run x --se); COMP_CWORD=3; _rddsim; '
           'printf "%s\\n" "${{COMPREPLY[@]}}"',
        rc=0, out="--seed\n--seeds\n"),
    "complete-bash-trace-format": dict(
        sh='source {root}/scripts/completion/rddsim.bash; '
           'COMP_WORDS=({rddsim} run x --trace-format p); COMP_CWORD=4; '
           '_rddsim; printf "%s\\n" "${{COMPREPLY[@]}}"',
        rc=0, out="perfetto\n"),
    "complete-bash-suite-junit": dict(
        sh='source {root}/scripts/completion/rddsim.bash; '
           'COMP_WORDS=({rddsim} suite --j); COMP_CWORD=2; _rddsim; '
           'printf "%s\\n" "${{COMPREPLY[@]}}"',
        rc=0, out="--junit\n"),
    "complete-bash-list-kinds": dict(
        sh='source {root}/scripts/completion/rddsim.bash; '
           'COMP_WORDS=({rddsim} list i); COMP_CWORD=2; _rddsim; '
           'printf "%s\\n" "${{COMPREPLY[@]}}"',
        rc=0, out="invariants\n"),
}

# Needs zsh; registered by tests/cli.cmake only when zsh is installed.
ZSH = ("zsh -f {root}/tests/tools/zsh_complete.zsh {root}/scripts/completion "
       "{tmp}/hits ")
ZSH_CASES = {
    "complete-zsh-variants": dict(
        sh=ZSH + "'{rddsim} run {root}/tests/cli/tiny.yaml --variant f'",
        rc=0, out="fixed\n"),
    "complete-zsh-flags": dict(
        sh=ZSH + "'{rddsim} run x --flags is_ms'", rc=0, out="is_msys\n"),
    "complete-zsh-commands": dict(
        sh=ZSH + "'{rddsim} li'", rc=0, out="list\n"),
    "complete-zsh-list-kinds": dict(
        sh=ZSH + "'{rddsim} list i'", rc=0, out="invariants\n"),
    "complete-zsh-trace-format": dict(
        sh=ZSH + "'{rddsim} run x --trace-format='", rc=0,
        out="jsonl\nperfetto\n"),
    "complete-zsh-options": dict(
        sh=ZSH + "'{rddsim} run x --se'", rc=0, out="--seed\n--seeds\n"),
}


def mask(text, squash=False):
    text = WALL_RE.sub("WALL", HASH_RE.sub("trace_hash=HASH", text))
    text = SEQ_RE.sub(lambda m: m.group(1) + "N", text)
    return re.sub(r" {2,}", "  ", text) if squash else text


def spans(line):
    """(start, end) of each cell: runs of text split by two spaces."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", line)]


def check_aligned(out):
    lines = out.splitlines()[:-1]   # the last is the summary
    head = spans(lines[0])
    for line in lines[1:]:
        cells = spans(line)
        # the result cell may hold single spaces; columns 5, 6 align right
        for k in (0, 1, 2, 3, 4, 7):
            if k < len(head) and k < len(cells) and \
                    cells[k][0] != head[k][0]:
                return f"column {k} starts at {cells[k][0]}, not " \
                       f"{head[k][0]}: {line!r}"
        for k in (5, 6):
            if k < len(cells) and cells[k][1] != head[k][1]:
                return f"column {k} ends at {cells[k][1]}, not " \
                       f"{head[k][1]}: {line!r}"
    return None


def run_case(rddsim, root, case, tmp):
    subst = {"root": root, "tmp": tmp, "rddsim": rddsim}
    if "sh" in case:
        cmd = ["bash", "-c", case["sh"].format(**subst)]
    else:
        cmd = [rddsim] + [a.format(**subst) for a in case["args"]]
    out_f = open(case["out_to"], "w") if "out_to" in case else \
        subprocess.PIPE
    p = subprocess.Popen(cmd, cwd=tmp, stdout=out_f, stderr=subprocess.PIPE,
                         text=True)
    if "interrupt" in case:
        first = p.stdout.readline()  # the run is under way
        p.send_signal(getattr(signal, case["interrupt"]))
        rest, err = p.communicate()
        out = first + rest
    else:
        out, err = p.communicate()
        out = out or ""
    if out_f is not subprocess.PIPE:
        out_f.close()
    sys.stdout.write(f"$ {' '.join(cmd)}\n--- stdout\n{out}--- stderr\n"
                     f"{err}--- exit {p.returncode}\n")
    problems = []
    if p.returncode != case["rc"]:
        problems.append(f"exit {p.returncode}, wanted {case['rc']}")
    sq = case.get("squash", False)
    for name, got in (("out", out), ("err", err)):
        got_m = mask(got, sq)
        want = mask(case[name].format(**subst), sq) if name in case else None
        if want is not None and got_m != want:
            problems.append(f"std{name} differs; wanted:\n{want}")
        for t in case.get(name + "_has", []):
            if mask(t.format(**subst)) not in got_m:
                problems.append(f"std{name} lacks {t.format(**subst)!r}")
        for t in case.get(name + "_lacks", []):
            if t.format(**subst) in got:
                problems.append(f"std{name} has {t.format(**subst)!r}")
    if "out_re" in case and not re.search(case["out_re"], out, re.M):
        problems.append(f"stdout does not match /{case['out_re']}/")
    for path, text in case.get("files", {}).items():
        full = os.path.join(tmp, path)
        if not os.path.exists(full):
            problems.append(f"no file {path}")
        elif text not in open(full, encoding="utf-8").read():
            problems.append(f"{path} lacks {text!r}")
    for path in case.get("no_files", []):
        if os.path.exists(os.path.join(tmp, path)):
            problems.append(f"{path} exists")
    if case.get("aligned"):
        why = check_aligned(out)
        if why:
            problems.append(why)
    return problems


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    rddsim, root, name = sys.argv[1:]
    cases = dict(CASES, **ZSH_CASES)
    if name == "--list":
        print("\n".join(CASES))
        return 0
    if name == "--list-zsh":
        print("\n".join(ZSH_CASES))
        return 0
    if name not in cases:
        print(f"cli_cases.py: no case {name}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        problems = run_case(os.path.abspath(rddsim), os.path.abspath(root),
                            cases[name], tmp)
    for p in problems:
        print(f"cli_cases.py: {name}: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
