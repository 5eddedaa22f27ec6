#!/usr/bin/env python3
"""Check one `rddsim shrink` (ctest label explore).

Usage: shrink_check.py RDDSIM FILE VARIANT [--noise PLANT_NOISE.py] [--twice]

Runs the original under VARIANT (--no-expect) and takes its first
violation (earliest time, then id) and the rancher-desktop instance its
sentence names: that is the signature.  With --noise, the file first gets
plant_noise.py's noise.  Then `rddsim shrink FILE --variant VARIANT -o OUT`
must exit 0 and print the `shrunk:` line; OUT must pass `rddsim check`;
`rddsim run OUT` must exit 0 (MATCH) and have the same first violation on
the same instance; OUT must be smaller (no more steps, faults or objects,
and fewer of one of them or a shorter duration); with --noise, OUT's
scenario (its comment header aside) must not mention "noise" at all.
With --twice the shrink runs again and must write the same bytes.
"""
import os
import re
import subprocess
import sys
import tempfile

VIOL = re.compile(r"^violation: (\S+) at (\S+): (.*)$", re.M)
SHRUNK = re.compile(r"^shrunk: (\d+) steps -> (\d+) steps, (\d+) faults -> "
                    r"(\d+), in (\d+) runs, ([0-9.]+) s$", re.M)
OBJECTS = re.compile(r"^objects: (\d+) -> (\d+);", re.M)
DURATION = re.compile(r"^duration: (\S+)$", re.M)
UNITS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}


def seconds(text):
    m = re.fullmatch(r"([0-9.]+)(ns|us|ms|s|m|h)", text)
    return float(m.group(1)) * UNITS[m.group(2)] / 1e9


def first(out):
    """(id, instance) of the earliest violation in a run's output."""
    vs = [(seconds(t), i, why) for i, t, why in VIOL.findall(out)]
    if not vs:
        return None
    t, inv, why = min(vs)
    m = re.search(r"rancher-desktop[A-Za-z0-9_.-]*", why)
    return inv, (m.group(0).rstrip(".") if m else "")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return p.returncode, p.stdout + p.stderr


def fail(msg, out=""):
    sys.stdout.write(out)
    print(f"shrink_check.py: {msg}")
    return 1


def main():
    args = sys.argv[1:]
    noise = None
    twice = "--twice" in args
    if twice:
        args.remove("--twice")
    if "--noise" in args:
        k = args.index("--noise")
        noise = args[k + 1]
        del args[k:k + 2]
    if len(args) != 3:
        print(__doc__)
        return 2
    rddsim, src, variant = args
    with tempfile.TemporaryDirectory() as tmp:
        if noise:
            planted = os.path.join(tmp, "noisy.yaml")
            rc, out = run([sys.executable, noise, src, planted])
            if rc:
                return fail("plant_noise failed", out)
            src = planted
        rc, out = run([rddsim, "run", src, "--variant", variant, "--no-expect"])
        want = first(out)
        if not want:
            return fail(f"{src} does not fail under {variant}", out)
        dst = os.path.join(tmp, "min.yaml")
        rc, out = run([rddsim, "shrink", src, "--variant", variant, "-o", dst])
        sys.stdout.write(out)
        m, o = SHRUNK.search(out), OBJECTS.search(out)
        if rc or not m or not o:
            return fail(f"shrink exited {rc} or printed no shrunk: line")
        steps0, steps1, faults0, faults1 = (int(x) for x in m.groups()[:4])
        obj0, obj1 = int(o.group(1)), int(o.group(2))
        rc, out = run([rddsim, "check", dst])
        if rc:
            return fail("the minimal file fails rddsim check", out)
        rc, out = run([rddsim, "run", dst])
        got = first(out)
        if rc or got != want:
            return fail(f"rddsim run on it: exit {rc}, first violation {got}, "
                        f"wanted {want}", out)
        with open(dst, encoding="utf-8") as f:
            body = "".join(ln for ln in f if not ln.startswith("#"))
        with open(src, encoding="utf-8") as f:
            d0 = seconds(DURATION.search(f.read()).group(1))
        d1 = seconds(DURATION.search(body).group(1))
        if steps1 > steps0 or faults1 > faults0 or obj1 > obj0 or not (
                steps1 < steps0 or faults1 < faults0 or obj1 < obj0 or d1 < d0):
            return fail("the result is not smaller")
        if noise and "noise" in body:
            return fail("planted noise survived:\n" + body)
        if twice:
            again = os.path.join(tmp, "again.yaml")
            rc, out = run([rddsim, "shrink", src, "--variant", variant, "-o",
                           again])
            with open(dst, "rb") as a, open(again, "rb") as b:
                if rc or a.read() != b.read():
                    return fail("a second shrink wrote different bytes", out)
        print(f"shrink_check.py: {want[0]} on {want[1] or '-'} kept; steps "
              f"{steps0}->{steps1} faults {faults0}->{faults1} objects "
              f"{obj0}->{obj1} duration {d0:g}s->{d1:g}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
