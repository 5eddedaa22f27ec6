#!/usr/bin/env python3
"""shrink.py RDDSIM IN OUT: minimise a crash input, keeping its crash site.

libFuzzer's -minimize_crash keeps any crash, so a teardown input may drift
from one freed object to another.  This removes chunks of lines (halving
their size down to one line) from IN as long as `RDDSIM run FILE --seed 1` (a sanitized build)
still ends with the same sanitizer SUMMARY line, and writes the result to
OUT.  docs/fuzzing.md, "From a crash to a ctest".
"""
import os
import re
import subprocess
import sys
import tempfile


def summary(rddsim, text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run([rddsim, "run", f.name, "--seed", "1"],
                           capture_output=True, text=True, errors="replace",
                           timeout=60)
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        os.unlink(f.name)
    m = re.search(r"^SUMMARY: (\S+: \S+ \S+).*$", p.stderr, re.M)
    return m.group(0).split(" in ")[-1] + " " + m.group(1) if m else None


def shrink(rddsim, lines, want):
    """Drops chunks of lines, halving the chunk size down to one line."""
    n = len(lines) // 2 or 1
    while n >= 1:
        i, changed = 0, False
        while i < len(lines):
            cand = lines[:i] + lines[i + n:]
            if cand and summary(rddsim, "".join(cand)) == want:
                lines, changed = cand, True
            else:
                i += n
        if not changed:
            n //= 2
    return lines


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    rddsim, src, dst = sys.argv[1:]
    text = open(src, encoding="utf-8", errors="replace").read()
    want = summary(rddsim, text)
    if not want:
        sys.stderr.write("%s: rddsim run reports nothing; nothing to keep\n"
                         % src)
        return 1
    lines = shrink(rddsim, text.splitlines(True), want)
    with open(dst, "w", encoding="utf-8") as f:
        f.write("".join(lines))
    print("%s: %d -> %d bytes, still: %s" % (dst, len(text),
                                              len("".join(lines)), want))
    return 0


if __name__ == "__main__":
    sys.exit(main())
