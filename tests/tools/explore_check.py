#!/usr/bin/env python3
"""explore_check.py: checks of `rddsim explore` (docs/explore.md; ctest
label explore).  Stdlib only.

Usage: explore_check.py RDDSIM MODE [--seeds N] [--profile P]
  jobs       --jobs 1 and --jobs 2 give the same seeds.jsonl, findings.jsonl,
             finding files and table (the output directory's name aside)
  shards     four local --shard I/4 sweeps, merged with `explore merge`,
             give what one sweep of the same seeds gives
  roundtrip  for N seeds drawn from a fixed stream, the world `explore
             --emit` prints, run with `rddsim run --variant V`, has the
             trace hash the sweep recorded for V
  crash      RDDSIM_TEST_CRASH_SEED=3: the worker aborts on seed 3; the
             sweep goes on and reports CRASH@SIGABRT with first seed 3
  hang       RDDSIM_TEST_HANG_SEED=2 with --timeout 1s: HANG@timeout, seed 2
  resume     N/2 seeds, the last line cut short (a killed sweep), then
             --resume to N: the same files as one sweep of N seeds
Exits 0 when the check holds, 1 with what differs.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile


def sweep(exe, out, *args, env=None):
    cmd = [exe, "explore", "--out", out, *args]
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, check=False)
    if p.returncode not in (0, 1):
        sys.exit(f"explore_check: {' '.join(cmd)}: exit {p.returncode}\n"
                 f"{p.stdout}{p.stderr}")
    return p


def read(path, dirname=None):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text.replace(dirname + "/", "DIR/") if dirname else text


def outputs(d, table):
    """Everything a sweep wrote, its own directory name replaced."""
    got = {"seeds.jsonl": read(os.path.join(d, "seeds.jsonl")),
           "findings.jsonl": read(os.path.join(d, "findings.jsonl"), d),
           "table": table.replace(d + "/", "DIR/")}
    fd = os.path.join(d, "findings")
    for name in sorted(os.listdir(fd)):
        got["findings/" + name] = read(os.path.join(fd, name))
    return got


def compare(a, b, what):
    bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    for k in bad:
        print(f"explore_check: {what}: {k} differs")
    if not a["seeds.jsonl"]:
        print("explore_check: no seeds ran")
        return 1
    return 1 if bad else 0


def check_jobs(exe, tmp, o):
    common = ["--seeds", str(o.seeds), "--profile", o.profile]
    a, b = os.path.join(tmp, "j1"), os.path.join(tmp, "j2")
    pa = sweep(exe, a, "--jobs", "1", *common)
    pb = sweep(exe, b, "--jobs", "2", *common)
    if pa.returncode != pb.returncode:
        print(f"explore_check: exit {pa.returncode} vs {pb.returncode}")
        return 1
    return compare(outputs(a, pa.stdout), outputs(b, pb.stdout),
                   "--jobs 1 vs --jobs 2")


def check_shards(exe, tmp, o):
    common = ["--seeds", str(o.seeds), "--profile", o.profile, "--jobs", "1"]
    one = os.path.join(tmp, "one")
    p1 = sweep(exe, one, *common)
    dirs = []
    for i in range(4):
        d = os.path.join(tmp, f"s{i}")
        sweep(exe, d, *common, "--shard", f"{i}/4")
        dirs.append(d)
    m = os.path.join(tmp, "merged")
    pm = subprocess.run([exe, "explore", "merge", *dirs, "--out", m],
                        capture_output=True, text=True, check=False)
    if pm.returncode != p1.returncode:
        print(f"explore_check: merge exit {pm.returncode}, one sweep "
              f"{p1.returncode}\n{pm.stderr}")
        return 1
    return compare(outputs(one, p1.stdout), outputs(m, pm.stdout),
                   "4 shards merged vs one sweep")


def check_resume(exe, tmp, o):
    common = ["--profile", o.profile, "--jobs", "2"]
    one, two = os.path.join(tmp, "one"), os.path.join(tmp, "two")
    p1 = sweep(exe, one, "--seeds", str(o.seeds), *common)
    sweep(exe, two, "--seeds", str(o.seeds // 2), *common)
    seeds = os.path.join(two, "seeds.jsonl")
    with open(seeds, encoding="utf-8") as f:
        text = f.read()
    with open(seeds, "w", encoding="utf-8") as f:
        f.write(text[:-10])     # the last line loses its end
    p2 = sweep(exe, two, "--seeds", str(o.seeds), "--resume", *common)
    if p1.returncode != p2.returncode:
        print(f"explore_check: exit {p1.returncode} vs {p2.returncode}")
        return 1
    return compare(outputs(one, p1.stdout), outputs(two, p2.stdout),
                   "one sweep vs a cut sweep resumed")


def check_roundtrip(exe, tmp, o):
    rng = random.Random(20261203)
    bad = 0
    for _ in range(o.seeds):
        seed = rng.getrandbits(64)
        d = os.path.join(tmp, f"rt{seed}")
        sweep(exe, d, "--first", str(seed), "--seeds", "1", "--jobs", "1",
              "--profile", o.profile)
        with open(os.path.join(d, "seeds.jsonl"), encoding="utf-8") as f:
            line = json.loads(f.readline())
        y = os.path.join(tmp, f"rt{seed}.yaml")
        with open(y, "w", encoding="utf-8") as f:
            e = subprocess.run([exe, "explore", "--emit", str(seed),
                                "--profile", o.profile], stdout=f,
                               stderr=subprocess.PIPE, text=True, check=False)
        if e.returncode != 0:
            print(f"explore_check: --emit {seed}: exit {e.returncode}\n"
                  f"{e.stderr}")
            return 1
        for variant, want in line["hash"].items():
            r = subprocess.run([exe, "run", y, "--variant", variant],
                               capture_output=True, text=True, check=False)
            m = re.search(r"trace_hash=([0-9a-f]+)", r.stdout + r.stderr)
            got = m.group(1) if m else None
            if got != want:
                print(f"explore_check: seed {seed} variant {variant}: "
                      f"explore {want}, run {got}")
                bad += 1
    print(f"explore_check: {o.seeds} seeds round-tripped, {bad} differ")
    return 1 if bad else 0


def check_fault(exe, tmp, o, var, seed, inv, site, extra):
    d = os.path.join(tmp, "fault")
    p = sweep(exe, d, "--seeds", "6", "--jobs", "2", "--profile", o.profile,
              *extra, env={var: str(seed)})
    with open(os.path.join(d, "findings.jsonl"), encoding="utf-8") as f:
        fs = [json.loads(x) for x in f]
    hit = [x for x in fs if x["inv"] == inv and x["site"] == site]
    if not hit or hit[0]["first_seed"] != seed or hit[0]["hits"] != 1:
        print(f"explore_check: no {inv}@{site} at seed {seed}:\n{p.stdout}")
        return 1
    with open(os.path.join(d, "seeds.jsonl"), encoding="utf-8") as f:
        seeds = [json.loads(x)["seed"] for x in f]
    if seeds != list(range(6)):
        print(f"explore_check: the sweep did not go on: seeds {seeds}")
        return 1
    row = re.compile(r"^" + re.escape(inv) + r"\s+\S+\s+" + str(seed) +
                     r"\s+1\s+\S+\s+" + re.escape(site) + r"$", re.M)
    if p.returncode != 1 or not row.search(p.stdout):
        print(f"explore_check: exit {p.returncode}, wanted 1, and the "
              f"table should name it:\n{p.stdout}")
        return 1
    if not os.path.exists(os.path.join(d, hit[0]["file"])):
        print(f"explore_check: {hit[0]['file']} was not written")
        return 1
    print(f"explore_check: {inv}@{site} at seed {seed}, sweep went on")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rddsim")
    ap.add_argument("mode", choices=["jobs", "shards", "roundtrip", "crash",
                                     "hang", "resume"])
    ap.add_argument("--seeds", type=int, default=24)
    ap.add_argument("--profile", default="default")
    o = ap.parse_args()
    exe = os.path.abspath(o.rddsim)
    with tempfile.TemporaryDirectory(prefix="explore-check-") as tmp:
        # Relative names: the table and findings.jsonl name the directory.
        os.chdir(tmp)
        if o.mode == "jobs":
            return check_jobs(exe, ".", o)
        if o.mode == "shards":
            return check_shards(exe, ".", o)
        if o.mode == "resume":
            return check_resume(exe, ".", o)
        if o.mode == "roundtrip":
            return check_roundtrip(exe, ".", o)
        if o.mode == "crash":
            return check_fault(exe, ".", o, "RDDSIM_TEST_CRASH_SEED", 3,
                               "CRASH", "SIGABRT", [])
        return check_fault(exe, ".", o, "RDDSIM_TEST_HANG_SEED", 2, "HANG",
                           "timeout", ["--timeout", "1s"])


if __name__ == "__main__":
    sys.exit(main())
