#!/usr/bin/env python3
"""replay.py RDDSIM DIR...: every file of fuzz corpora through the CLI.

For each file under the DIRs (recursive; AFL++'s queue/, crashes/, hangs/
and libFuzzer's corpus directories alike): `RDDSIM check FILE` and `RDDSIM
run FILE --no-expect --seed 1`, two at a time, 60 s each.  Counts exits
outside {0, 1, 2}, timeouts and sanitizer reports, prints the files behind
them and a one-line total, and exits 1 when any is found.  Use a sanitized
build (build/asan/rddsim or build/fuzz/rddsim).  docs/fuzzing.md.
"""
import concurrent.futures
import os
import subprocess
import sys

REPORTS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def one(rddsim, path):
    bad = []
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    for args in (["check", path], ["run", path, "--no-expect", "--seed", "1"]):
        try:
            p = subprocess.run([rddsim] + args, env=env, capture_output=True,
                               text=True, errors="replace", timeout=60)
        except subprocess.TimeoutExpired:
            bad.append(("timeout", args[0]))
            continue
        if any(r in p.stderr for r in REPORTS):
            top = [l.strip() for l in p.stderr.splitlines()
                   if l.startswith("SUMMARY:")]
            bad.append(("report", args[0] + ": " + (top[0] if top else "")))
        elif p.returncode not in (0, 1, 2):
            bad.append(("exit", "%s: exit %d" % (args[0], p.returncode)))
    return path, bad


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    rddsim = sys.argv[1]
    files = sorted(os.path.join(d, f) for top in sys.argv[2:]
                   for d, _, fs in os.walk(top) for f in fs
                   if not f.startswith(".") and f != "README.txt")
    counts = {"report": 0, "timeout": 0, "exit": 0}
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        for path, bad in ex.map(lambda f: one(rddsim, f), files):
            for kind, what in bad:
                counts[kind] += 1
                print("%s: %s: %s" % (path, kind, what))
    print("replay: %d files, %d runs, %d sanitizer reports, %d timeouts, "
          "%d other exits" % (len(files), 2 * len(files), counts["report"],
                              counts["timeout"], counts["exit"]))
    return 1 if any(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
