#!/usr/bin/env python3
"""Checks `rddsim explain` chains.

golden: for each case, the text chain equals tests/explain/<name>.txt
        (--update re-renders them).
causes: for each case of CAUSES, the chain of that violation names each
        of the expected words (the first cause the scenario's REPORT or
        HYPOTHESIS block names).
Usage: explain_check.py RDDSIM ROOT golden|causes [--update]
"""
import pathlib
import subprocess
import sys

# name -> (scenario, violation)
GOLDEN = {
    "dd-before-rdd.S1": ("scenarios/collisions/dd-before-rdd.yaml", "S1"),
    "dd-before-rdd.S2": ("scenarios/collisions/dd-before-rdd.yaml", "S2"),
    "podman-probe-window.S14": ("scenarios/collisions/podman-probe-window.yaml", "S14"),
    "rdd-before-dd.S14": ("scenarios/collisions/rdd-before-dd.yaml", "S14"),
    "lag-above-timeout.L1": ("scenarios/cleanup/lag-above-timeout.yaml", "L1"),
}

# (scenario, violation) -> words its chain must contain
CAUSES = {
    ("scenarios/collisions/dd-before-rdd.yaml", "S1"):
        ["kube.obj.delete", "op=ContainerRemove", "daemon=dd"],
    ("scenarios/collisions/dd-before-rdd.yaml", "S2"):
        ["npipe.dial.ok", "name=\\\\.\\pipe\\docker_engine", "daemon=dd"],
    # header: the probe finds the name free, the create lands 250 ms later
    ("scenarios/collisions/podman-probe-window.yaml", "S14"):
        ["owner.podman.probe", "available=1", "owner.start.fail"],
}


def explain(rddsim, root, scen, vid):
    p = subprocess.run([rddsim, "explain", scen, "--violation", vid],
                       cwd=root, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{scen} {vid}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def main():
    rddsim, root, mode = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    update = "--update" in sys.argv[4:]
    bad = 0
    if mode == "golden":
        for name, (scen, vid) in GOLDEN.items():
            out = explain(rddsim, root, scen, vid)
            g = root / "tests" / "explain" / f"{name}.txt"
            if update:
                g.write_text(out)
            elif not g.exists() or g.read_text() != out:
                print(f"{name}: chain differs from {g} (--update re-renders)")
                bad += 1
    elif mode == "causes":
        for (scen, vid), words in CAUSES.items():
            out = explain(rddsim, root, scen, vid)
            for w in words:
                if w not in out:
                    print(f"{scen} {vid}: chain does not name {w!r}:\n{out}")
                    bad += 1
    else:
        sys.exit("mode: golden or causes")
    if bad:
        sys.exit(1)
    print(f"explain {mode}: ok")


if __name__ == "__main__":
    main()
