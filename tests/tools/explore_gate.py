#!/usr/bin/env python3
"""explore_gate.py: the exploration gate of scripts/test-all.

Usage: explore_gate.py RDDSIM DOC [--seeds 500] [--jobs 2] [--print-list]
Sweeps seeds 0..N-1 of the default profile under head and fixed, then
fails (exit 1) when
  - the sweep itself failed (exit 2, 3 or a signal: a worker's sanitizer
    report after its last seed is exit 3);
  - any seed crashed, hung, ran out of its event budget or drew a world
    the loader refused (CRASH, HANG, BUDGET, LOAD: a worker built with
    sanitizers aborts on its first report, so a report is a CRASH);
  - a finding appears under fixed whose signature INV@SITE is not listed
    in DOC's section "Known findings under fixed" (a table row starting
    "| `INV@SITE`").
It prints every offending finding.  --print-list prints instead the table
rows of every finding under fixed, for DOC's list (after a change to the
generator or a model, review them, then paste them).  Stdlib only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROW_RE = re.compile(r"^\|\s*`([A-Z0-9]+@[^`]+)`")


def known_under_fixed(doc):
    sigs, inside = set(), False
    with open(doc, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                inside = "Known findings under fixed" in line
                continue
            m = ROW_RE.match(line) if inside else None
            if m:
                sigs.add(m.group(1))
    return sigs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rddsim")
    ap.add_argument("doc")
    ap.add_argument("--seeds", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--print-list", action="store_true")
    o = ap.parse_args()
    known = known_under_fixed(o.doc)
    if not known and not o.print_list:
        print(f"explore_gate: {o.doc}: no 'Known findings under fixed' list")
        return 1
    with tempfile.TemporaryDirectory(prefix="explore-gate-") as tmp:
        out = os.path.join(tmp, "sweep")
        p = subprocess.run([o.rddsim, "explore", "--seeds", str(o.seeds),
                            "--jobs", str(o.jobs), "--variant", "head",
                            "--variant", "fixed", "--out", out],
                           capture_output=True, text=True, check=False)
        if not o.print_list:
            sys.stdout.write(p.stdout)
            sys.stderr.write(p.stderr)
        if p.returncode not in (0, 1):
            print(f"explore_gate: the sweep failed: exit {p.returncode}")
            return 1
        with open(os.path.join(out, "findings.jsonl"), encoding="utf-8") as f:
            finds = [json.loads(x) for x in f]
    if o.print_list:
        for x in finds:
            if "fixed" in x["variants"]:
                print(f"| `{x['inv']}@{x['site']}` | {x['label']} | "
                      f"{x['first_seed']} | {x['hits']} |")
        return 0
    bad = 0
    for x in finds:
        sig = f"{x['inv']}@{x['site']}"
        if x["inv"] in ("CRASH", "HANG", "BUDGET", "LOAD"):
            print(f"explore_gate: {sig} at seed {x['first_seed']}")
            bad += 1
        elif "fixed" in x["variants"] and sig not in known:
            print(f"explore_gate: {sig} under fixed (first seed "
                  f"{x['first_seed']}, {x['hits']} seeds) is not in "
                  f"{o.doc}'s list")
            bad += 1
    print(f"explore_gate: {o.seeds} seeds, {len(finds)} findings, "
          f"{bad} not allowed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
