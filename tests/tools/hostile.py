#!/usr/bin/env python3
"""One hostile-input case: make the input, run rddsim on it, check the
outcome and the resources it took.

Usage: hostile.py [--gen KIND PATH] [--rss-mb N] [--wall-s N]
                  CODES REGEX -- COMMAND [ARG ...]

--gen KIND PATH  writes a generated input to PATH first (big or binary
                 inputs are made at test time, never committed); KIND is one
                 of the GENERATORS below.
CODES            the exit codes allowed, comma-separated ("2" or "0,1").
REGEX            must match stdout + stderr (multi-line); for a refused
                 input it holds the file:line:col of the message.
--rss-mb/--wall-s  resource bounds (default 512 MB and 10 s): the child's
                 peak RSS from getrusage(RUSAGE_CHILDREN) and its wall time.
                 They are bounds that catch a blow-up, not benchmarks.
"""
import os
import re
import resource
import subprocess
import sys
import time


def gen_deep(path):
    with open(path, "w") as f:
        f.write("name: deep\nx: " + "[" * 10000 + "]" * 10000 + "\n")


def gen_flow(path, total):
    # One flow sequence of 1-item flow sequences: many nodes per byte.
    item = "[1],"
    n = (total - 64) // len(item)
    with open(path, "w") as f:
        f.write("name: flow\nx: [")
        chunk = item * 65536
        left = n
        while left >= 65536:
            f.write(chunk)
            left -= 65536
        f.write(item * left)
        f.write("1]\n")


def gen_keys(path):
    # 200k distinct keys in one map, then a duplicate of the first.
    with open(path, "w") as f:
        f.write("name: keys\nvariants:\n")
        f.write("".join("  k%d: 1\n" % i for i in range(200000)))
        f.write("  k0: 2\n")


def gen_nul(path):
    with open(path, "wb") as f:
        f.write(b"name: a\x00b\nhost: windows\nduration: 1s\n")


def gen_bad_utf8(path):
    with open(path, "wb") as f:
        f.write(b"name: utf8\nhost: windows\nduration: 1s\n# line 4\n"
                b"description: \"caf\xc3\x28\"\n")


def gen_utf16(path):
    with open(path, "wb") as f:
        f.write("name: u16\nhost: windows\n".encode("utf-16"))


def gen_utf16le(path):
    with open(path, "wb") as f:
        f.write("name: u16\nhost: windows\n".encode("utf-16-le"))


def gen_binary(path):
    with open(path, "wb") as f:
        f.write(bytes(range(256)) * 64)


GENERATORS = {
    "deep": gen_deep,
    "flow50": lambda p: gen_flow(p, 50 * 1024 * 1024),
    "flow15": lambda p: gen_flow(p, 15 * 1024 * 1024),
    "keys200k": gen_keys,
    "nul": gen_nul,
    "bad-utf8": gen_bad_utf8,
    "utf16": gen_utf16,
    "utf16le": gen_utf16le,
    "binary": gen_binary,
}


def main():
    args = sys.argv[1:]
    rss_mb, wall_s = 512, 10.0
    while args and args[0].startswith("--") and args[0] != "--":
        if args[0] == "--gen" and len(args) >= 3:
            GENERATORS[args[1]](args[2])
            args = args[3:]
        elif args[0] == "--rss-mb" and len(args) >= 2:
            rss_mb, args = int(args[1]), args[2:]
        elif args[0] == "--wall-s" and len(args) >= 2:
            wall_s, args = float(args[1]), args[2:]
        else:
            print(__doc__)
            return 2
    if len(args) < 4 or args[2] != "--":
        print(__doc__)
        return 2
    codes = {int(c) for c in args[0].split(",")}
    pattern, cmd = args[1], args[3:]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           errors="replace", timeout=wall_s * 3, check=False)
    except subprocess.TimeoutExpired:
        print(f"hostile.py: still running after {wall_s * 3:.0f} s")
        return 1
    wall = time.monotonic() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    out = p.stdout + p.stderr
    sys.stdout.write(out[-4000:])
    print(f"hostile.py: exit {p.returncode}, {wall:.2f} s, {rss:.0f} MB")
    ok = True
    if p.returncode not in codes:
        print(f"hostile.py: exit {p.returncode}, wanted {sorted(codes)}")
        ok = False
    if not re.search(pattern, out, re.M):
        print(f"hostile.py: output does not match /{pattern}/")
        ok = False
    if rss >= rss_mb:
        print(f"hostile.py: peak RSS {rss:.0f} MB >= {rss_mb} MB")
        ok = False
    if wall >= wall_s:
        print(f"hostile.py: wall {wall:.2f} s >= {wall_s} s")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
