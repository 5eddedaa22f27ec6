#!/usr/bin/env python3
"""Run a command; pass when it exits with CODE and its output matches REGEX.

Usage: expect.py CODE REGEX -- COMMAND [ARG ...]
Used by ctest for bad-input checks (a scenario error must exit 2 and say
file:line:col: what is wrong) and for the benchmark reference values.
"""
import re
import subprocess
import sys


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--" or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    code, pattern, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[4:]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    out = p.stdout + p.stderr
    sys.stdout.write(out)
    if p.returncode != code:
        print(f"expect.py: exit {p.returncode}, wanted {code}")
        return 1
    if not re.search(pattern, out, re.M):
        print(f"expect.py: output does not match /{pattern}/")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
