#!/usr/bin/env python3
"""List "<scenario file>|<variant>" pairs for CMake, one per line.

Reads the top-level `variants:` map of each scenario file with a line-based
scan (keys indented by two spaces under `variants:`), so CMake can register
one ctest per scenario x variant without a YAML library.  rddsim itself
validates the files; a variant this scan misses is still run by the
scenario's all-variants test.
"""
import argparse
import pathlib
import re
import sys


def variants(path):
    out, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^variants:\s*(#.*)?$", line):
            inside = True
            continue
        if inside:
            if re.match(r"^\S", line):
                break
            m = re.match(r"^  ([A-Za-z0-9_.-]+):", line)
            if m:
                out.append(m.group(1))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("root", help="the scenarios/ directory")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    files = sorted(root.rglob("*.yaml"))
    if not files:
        print(f"{root}: no scenario files", file=sys.stderr)
        return 1
    for f in files:
        for v in variants(f):
            print(f"{f.relative_to(root)}|{v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
