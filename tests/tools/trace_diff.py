#!/usr/bin/env python3
"""trace_diff.py: compare two JSON Lines traces (ctest label "determinism").

Two runs with one seed must write byte-identical traces.  This reads both
files line by line and stops at the first line that differs, printing its
number, both lines and, when both are JSON objects, the first key whose
value differs.  When one file ends first, the missing side prints as <EOF>.
Exit status: 0 and "identical N lines" when the files match, 1 at the first
difference, 2 when a file cannot be read.  A missing newline at the very end
of a file is not a difference.  Only the standard library is used.
"""

import argparse
import itertools
import json
import sys

EOF_MARK = "<EOF>"


def read_lines(path):
    """Yields the lines of path without their trailing newline."""
    with open(path, "rb") as fh:
        for raw in fh:
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            yield raw


def first_key_difference(a, b):
    """The first key (in a's order, then b's) whose values differ, or None
    when either side is not a JSON object."""
    try:
        ja = json.loads(a)
        jb = json.loads(b)
    except ValueError:
        return None
    if not isinstance(ja, dict) or not isinstance(jb, dict):
        return None
    for key in itertools.chain(ja, (k for k in jb if k not in ja)):
        if key not in ja or key not in jb or ja[key] != jb[key]:
            return key
    if list(ja) != list(jb):
        return "(key order)"
    return None


def compare(path_a, path_b, out=sys.stdout):
    """Returns 0 if identical, 1 at the first difference (printed to out)."""
    n = 0
    it = itertools.zip_longest(read_lines(path_a), read_lines(path_b))
    for n, (a, b) in enumerate(it, start=1):
        if a == b:
            continue
        sa = EOF_MARK if a is None else a.decode("utf-8", "replace")
        sb = EOF_MARK if b is None else b.decode("utf-8", "replace")
        print("first difference at line %d" % n, file=out)
        print("< %s: %s" % (path_a, sa), file=out)
        print("> %s: %s" % (path_b, sb), file=out)
        if a is not None and b is not None:
            key = first_key_difference(sa, sb)
            if key is not None:
                print("first differing key: %s" % key, file=out)
        return 1
    print("identical %d lines" % n, file=out)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Compare two JSON Lines trace files.  Prints the first "
        "differing line number and both lines (exit 1), or 'identical N "
        "lines' (exit 0).  Exit 2 if a file cannot be read.")
    ap.add_argument("a", help="first trace (.jsonl)")
    ap.add_argument("b", help="second trace (.jsonl)")
    args = ap.parse_args(argv)
    try:
        return compare(args.a, args.b)
    except OSError as e:
        print("trace_diff: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
