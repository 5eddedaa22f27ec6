#!/usr/bin/env python3
"""regress.py RDDSIM FILE: one crash input found by a fuzzer, replayed.

`rddsim check FILE` and `rddsim run FILE --seed 1` must each end with exit
0, 1 or 2 (accepted, verdict, refused with a message) within 60 s and print
no sanitizer report.  A crash (negative or >= 128), an internal error (3)
or a report fails the test.  docs/fuzzing.md: "From a crash to a ctest".
"""
import os
import subprocess
import sys

REPORTS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
           "runtime error:", "internal error:")


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: regress.py RDDSIM FILE\n")
        return 2
    rddsim, path = sys.argv[1], sys.argv[2]
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    bad = 0
    for args in (["check", path], ["run", path, "--seed", "1"]):
        try:
            p = subprocess.run([rddsim] + args, env=env, capture_output=True,
                               text=True, errors="replace", timeout=60)
        except subprocess.TimeoutExpired:
            print("FAIL: rddsim %s: no exit within 60 s" % args[0])
            bad = 1
            continue
        report = [r for r in REPORTS if r in p.stderr]
        ok = p.returncode in (0, 1, 2) and not report
        print("%s: rddsim %s: exit %d%s" % (
            "ok" if ok else "FAIL", args[0], p.returncode,
            ", report: " + ", ".join(report) if report else ""))
        if not ok:
            sys.stdout.write(p.stderr[-4000:])
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
