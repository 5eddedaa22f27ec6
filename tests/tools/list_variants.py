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


def section_keys(lines, path, indent):
    """Keys `indent` spaces deep under the nested section `path`."""
    out, depth = [], 0
    for line in lines:
        if depth < len(path):
            want = " " * (2 * depth) + path[depth] + ":"
            if re.match("^" + re.escape(want) + r"\s*(#.*)?$", line):
                depth += 1
            continue
        if line.strip() and not line.startswith(" " * indent) \
                and not line.lstrip().startswith("#"):
            break
        m = re.match("^" + " " * indent + r"([A-Za-z0-9_.-]+):", line)
        if m:
            out.append(m.group(1))
    return out


def variants(path):
    """Variant names; in a matrix file, one per cell (docs/scenarios.md):
    <contender>.<order>.<variant>."""
    lines = path.read_text(encoding="utf-8").splitlines()
    sets = section_keys(lines, ["variants"], 2)
    contenders = section_keys(lines, ["matrix", "contenders"], 4)
    if not contenders:
        return sets
    orders = section_keys(lines, ["matrix", "orders"], 4)
    return [f"{c}.{o}.{v}" for c in contenders for o in orders for v in sets]


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
