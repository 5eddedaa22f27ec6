#!/usr/bin/env python3
"""Print "<file> <variant> <trace hash>" for every scenario x variant.

CI runs it against each build (-O0 with coverage, -O2, ASan+UBSan) and
compares the outputs: one seed must give one trace on every build.
Usage: hashes.py RDDSIM SCENARIO_DIR [--seed N] [--compare OTHER.txt]
"""
import argparse
import pathlib
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from list_variants import variants  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("rddsim")
    ap.add_argument("root")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--compare", help="a previous output to compare with")
    a = ap.parse_args()
    out = []
    for f in sorted(pathlib.Path(a.root).rglob("*.yaml")):
        for v in variants(f):
            p = subprocess.run([a.rddsim, "run", str(f), "--variant", v,
                                "--seed", str(a.seed)],
                               capture_output=True, text=True, check=False)
            m = re.search(r"trace_hash=([0-9a-f]+)", p.stdout)
            if p.returncode not in (0, 1) or not m:
                print(f"{f} {v}: rddsim failed ({p.returncode})\n{p.stderr}",
                      file=sys.stderr)
                return 1
            out.append(f"{f} {v} {m.group(1)}")
    print("\n".join(out))
    if a.compare:
        other = pathlib.Path(a.compare).read_text().split("\n")
        other = [x for x in other if x.strip()]
        if other != out:
            for x, y in zip(other, out):
                if x != y:
                    print(f"hash mismatch: {x} vs {y}", file=sys.stderr)
                    break
            else:
                print("hash lists differ in length", file=sys.stderr)
            return 1
        print(f"{len(out)} trace hashes equal to {a.compare}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
