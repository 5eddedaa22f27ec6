#!/usr/bin/env python3
"""Plant unrelated noise in a scenario file (for `rddsim shrink` tests).

Usage: plant_noise.py IN.yaml OUT.yaml

Adds, every name containing "noise" so that a test can look for leftovers:
  - 500 extra containers: {name: noise, count: 500} in the first instance's
    VM (`vm:` added to it), or on the daemon below when the instance
    already has a `vm:` block;
  - a daemon `noise` that nothing else uses;
  - 3 unrelated faults, each targeted at the daemon `noise`;
  - 20 unrelated timeline steps: docker.run and docker.rm on the daemon
    `noise`, and pipe.hold on pipes named noise-N.
The file is edited as text (stdlib only): top-level sections are found by
their column-0 keys and items are appended as flow maps, so any scenario
written in the shipped files' style takes it.
"""
import re
import sys

SECTION = re.compile(r"^([a-z_]+):")


def sections(lines):
    """{key: (first line index, end index)} of the top-level keys."""
    found, order = {}, []
    for i, ln in enumerate(lines):
        m = SECTION.match(ln)
        if m:
            order.append((m.group(1), i))
    for k, (key, start) in enumerate(order):
        end = order[k + 1][1] if k + 1 < len(order) else len(lines)
        while end > start + 1 and (not lines[end - 1].strip()
                                   or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        found[key] = (start, end)
    return found


def append(lines, key, items, before="variants"):
    """Appends list items to the top-level list `key` (creating it)."""
    sec = sections(lines)
    new = [f"  - {it}" for it in items]
    if key in sec:
        start, end = sec[key]
        if lines[start].strip() != f"{key}:":
            raise SystemExit(f"plant_noise: {key}: is not a block list")
        lines[end:end] = new
    else:
        at = sec[before][0]
        lines[at:at] = [f"{key}:"] + new + [""]


def plant_vm(lines):
    """Adds the 500 containers to the first instance's VM; False if it has
    a vm: already."""
    sec = sections(lines)
    if "instances" not in sec:
        return False
    start, end = sec["instances"]
    first = next(i for i in range(start + 1, end)
                 if lines[i].startswith("  - "))
    stop = next((i for i in range(first + 1, end)
                 if lines[i].startswith("  - ")), end)
    while stop > first + 1 and not lines[stop - 1].strip():
        stop -= 1
    if any(re.match(r"^\s+vm:", lines[i]) for i in range(first, stop)):
        return False
    if lines[first].rstrip().endswith("}"):   # a flow map: no room
        return False
    lines[stop:stop] = ["    vm:",
                        "      containers: [{name: noise, count: 500}]"]
    return True


def duration_s(lines):
    """The scenario's duration in whole seconds."""
    units = {"ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    for ln in lines:
        m = re.match(r"^duration:\s*([0-9.]+)(ms|s|m|h)\s*(#.*)?$", ln)
        if m:
            return int(float(m.group(1)) * units[m.group(2)])
    raise SystemExit("plant_noise: no duration: line")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    end = duration_s(lines)     # every step and window inside the run
    in_vm = plant_vm(lines)
    daemon = "{name: noise, id: NOISE-ENGINE"
    if not in_vm:
        daemon += ", containers: [{name: noise, count: 500}]"
    append(lines, "daemons", [daemon + "}"], before="owners"
           if "owners" in sections(lines) else "instances")
    append(lines, "faults", [
        "{site: dock.ping.unavailable, target: noise, chance: 1/2}",
        "{site: dock.container.not_found, target: noise, after: 1, repeat: 2}",
        "{site: dock.image.rm_conflict, target: noise, from: 1s, "
        f"to: {max(2, end // 2)}s}}",
    ])
    steps = []
    for k in range(20):
        at = 1 + k * max(1, end - 3) // 20
        if k % 4 == 3:
            steps.append(f"{{at: {at}s, do: docker.rm, daemon: noise, "
                         f"container: noise-run-{k - 3}, force: true}}")
        elif k % 4 == 2:
            steps.append(f"{{at: {at}s, do: pipe.hold, "
                         f"pipe: '\\\\.\\pipe\\noise-{k}', for: 2s}}")
        else:
            steps.append(f"{{at: {at}s, do: docker.run, daemon: noise, "
                         f"container: noise-run-{k}, image: 'noise:{k}'}}")
    append(lines, "timeline", steps)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
