#!/usr/bin/env python3
"""Run one scenario variant twice with one seed and compare the traces.

Exits 0 when both runs give the same trace hash and byte-identical JSON
Lines traces; otherwise prints the first differing line (trace_diff.py)
and exits 1.  Usage: determinism.py RDDSIM FILE VARIANT [--seed N]
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent


def run(rddsim, scenario, variant, seed, trace):
    p = subprocess.run(
        [rddsim, "run", scenario, "--variant", variant, "--seed", str(seed),
         "--trace", str(trace)],
        capture_output=True, text=True, check=False)
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit(f"rddsim exited {p.returncode}")
    m = re.search(r"trace_hash=([0-9a-f]+)", p.stdout)
    if not m:
        raise SystemExit("no verdict line in rddsim output:\n" + p.stdout)
    return m.group(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("rddsim")
    ap.add_argument("scenario")
    ap.add_argument("variant")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        t1, t2 = pathlib.Path(d, "a.jsonl"), pathlib.Path(d, "b.jsonl")
        h1 = run(a.rddsim, a.scenario, a.variant, a.seed, t1)
        h2 = run(a.rddsim, a.scenario, a.variant, a.seed, t2)
        lines = len(t1.read_text().splitlines())
        if h1 != h2 or t1.read_bytes() != t2.read_bytes():
            print(f"NOT deterministic: hash {h1} vs {h2}")
            subprocess.run([sys.executable, str(HERE / "trace_diff.py"),
                            str(t1), str(t2)], check=False)
            return 1
        if lines < 10:
            print(f"trace too short to mean anything: {lines} lines")
            return 1
        print(f"deterministic: seed {a.seed} hash {h1} ({lines} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
