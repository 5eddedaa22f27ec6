#!/usr/bin/env python3
"""Checks `rddsim explain` chains.

golden: for each case of GOLDEN, the text chain equals
        tests/explain/<name>.txt (--update re-renders them).
causes: every violation of every scenario x variant in CAUSE_DIRS (as
        `rddsim run` finds them) has an entry in CAUSES, and no entry is
        stale; the chain of each names each of its words: the first cause
        the scenario's REPORT or HYPOTHESIS block (or its header comment)
        names.  STALLS: the same for stall chains.
cites:  every rdd.* event the models write (sim/rdd/*.c, the CLI steps in
        sim/scenario/actions.c) has its RDD file:line in the sorted table
        of sim/explore/explain_cite.c, but for NO_CITE; and explain prints
        it.
Usage: explain_check.py RDDSIM ROOT golden|causes|cites [--update]
"""
import pathlib
import re
import subprocess
import sys

CAUSE_DIRS = ["scenarios/collisions", "scenarios/cleanup", "scenarios/reports"]

# name -> (scenario, variant, violation or "stall")
GOLDEN = {
    "dd-before-rdd.S1": ("scenarios/collisions/dd-before-rdd.yaml", "head", "S1"),
    "dd-before-rdd.S2": ("scenarios/collisions/dd-before-rdd.yaml", "head", "S2"),
    "podman-probe-window.S14": ("scenarios/collisions/podman-probe-window.yaml", "head", "S14"),
    "rdd-before-dd.S14": ("scenarios/collisions/rdd-before-dd.yaml", "head", "S14"),
    "lag-above-timeout.L1": ("scenarios/cleanup/lag-above-timeout.yaml", "head", "L1"),
    "boot-never-completes.stall": ("scenarios/reports/boot-never-completes.yaml", "head", "stall"),
}

C = "scenarios/collisions/"
L = "scenarios/cleanup/"
R = "scenarios/reports/"

# Docker Desktop's listen, RDD's bind failure ("Access is denied") that the
# bridge swallows, the engine's dial of docker_engine that reaches Docker
# Desktop (review I1, hazard H1).
DD_FIRST = ["proc=com.docker.backend", "npipe.listen.fail", "err=EACCES",
            "Access is denied", "swallowed #"]
# The orphan: TerminateProcess killed the service, not its hostagent
# (docs/rdd/limavm.md path 1).
ORPHAN = ["via=TerminateProcess", "host.proc.exit pid=4000 name=rdd",
          "killed=1", "host.proc.spawn pid=4004 name=hostagent"]
# Each new hostagent refuses: the orphan's ha.pid names a live process.
REFUSED = ["another hostagent may already be running with pid 4004",
           "pidfile #"]
# svc delete leaves the files the orphan holds: RemoveAll fails on them.
STALE = ["host.fs.remove_all", "err=ESHARING", "holder #",
         "being used by another process"]

# (scenario, variant, violation) -> words its chain must contain
CAUSES = {
    # header: DD serves docker_engine first; the bind fails, is swallowed;
    # the engine reaches DD, mirrors its containers; a kube delete becomes
    # ContainerRemove(force) on DD.
    (C + "dd-before-rdd.yaml", "head", "S1"):
        DD_FIRST + ["npipe.dial.ok", "kube.obj.apply", "kind=Container",
                    "kube.obj.delete", "object #", "op=ContainerRemove",
                    "daemon=dd"],
    (C + "dd-before-rdd.yaml", "head", "S2"):
        DD_FIRST + ["npipe.dial.ok", "daemon=dd", "kind=ContainerNamespace"],
    (C + "dd-before-rdd.yaml", "head", "S3"): DD_FIRST + ["daemon=dd"],
    (C + "dd-before-rdd.yaml", "head", "L6"): DD_FIRST[:4],
    (C + "dd-before-rdd.yaml", "bind-surfaced-only", "L6"): DD_FIRST[:4],
    (C + "dd-before-rdd.yaml", "half-fix-endpoint-only", "L6"):
        DD_FIRST[:4],
    # header: a client's handle keeps the crashed DD's name alive, the
    # bridge's listen fails (Access is denied, swallowed), the engine finds
    # no server (ENOENT), DD comes back and the engine reaches it.
    (C + "dd-crash-lingering.yaml", "head", "L6"):
        ["npipe.dial.ok name=\\\\.\\pipe\\docker_engine proc=docker",
         "npipe.listen.close", "held #", "closed #", "Access is denied"],
    (C + "dd-crash-lingering.yaml", "head", "S2"):
        ["held #", "Access is denied", "err=ENOENT", "swallowed #",
         "proc=com.docker.backend", "daemon=dd"],
    (C + "dd-crash-lingering.yaml", "head", "S3"):
        ["Access is denied", "swallowed #", "daemon=dd"],
    # header: the probe finds the name free, RDD binds it, podman's create
    # 250 ms later fails with Access is denied.
    (C + "podman-probe-window.yaml", "head", "S14"):
        ["owner.podman.probe", "available=1",
         "npipe.listen.ok: listens on the pipe name=\\\\.\\pipe\\docker_engine "
         "proc=rancher-desktop-2", "err=EACCES", "held #", "owner.start.fail",
         "Access is denied"],
    # header: RDD binds docker_engine first; DD cannot create it.
    (C + "rdd-before-dd.yaml", "head", "S14"):
        ["npipe.listen.ok: listens on the pipe name=\\\\.\\pipe\\docker_engine "
         "proc=rancher-desktop-2", "proc=com.docker.backend", "err=EACCES",
         "owner=docker-desktop", "Access is denied"],
    # header: the deletions the engine makes at ~40 s reach its lagging
    # cache late; waitMirrorResourcesGone gives up with "timed out ...".
    (L + "lag-above-timeout.yaml", "head", "L1"):
        ["kube.obj.delete", "rdd.engine.state", "to=cleanup_wait",
         "timed out waiting for 14 mirror resources to be deleted: context "
         "deadline exceeded"],
    (L + "lag-above-timeout.yaml", "timeout-5s", "L1"):
        ["kube.obj.delete", "to=cleanup_wait",
         "mirror resources to be deleted: context deadline exceeded"],
    # header: the stop deletes every mirror, then (the variant) waits on
    # the APIReader, not on the lagging informer cache, and writes Stopped.
    (L + "lag-below-timeout.yaml", "wait-on-apireader", "S5"):
        ["rdd.engine.cleanup", "kube.obj.delete", "deleted #"],
    (L + "stop-removes-mirrors.yaml", "wait-on-apireader", "S5"):
        ["rdd.engine.cleanup", "kube.obj.delete", "deleted #"],
    # HYPOTHESIS: the hostagent boots and never reports Running; Starting
    # has no timeout.
    (R + "boot-never-completes.yaml", "head", "L3"):
        ["host.proc.spawn pid=4004 name=hostagent", "event=boot"],
    # HYPOTHESIS: test's service wrote config.yaml (6591) at 0.1 s, was
    # killed at 20 s (the file stays), rancher-desktop-0 took 6591 at 30 s,
    # the new service moved to an ephemeral port, rdd ctl read the old file.
    (R + "ctl-reaches-other-instance.yaml", "head", "S17"):
        ["rdd.ports.bind inst=rancher-desktop-test port=apiserver "
         "desired=6591 got=6591", "killed=1",
         "rdd.ports.bind inst=rancher-desktop-0 port=apiserver desired=6591 "
         "got=6591", "got=49154", "config #", "reached=rancher-desktop-0"],
    (R + "ctl-reaches-other-instance.yaml", "fixed", "S17"):
        ["rdd.ports.bind inst=rancher-desktop-test port=apiserver "
         "desired=6591 got=6591", "killed=1",
         "rdd.ports.bind inst=rancher-desktop-0 port=apiserver desired=6591 "
         "got=6591", "got=49154", "config #", "reached=rancher-desktop-0"],
    # HYPOTHESIS: `wsl --distribution lima-rd` fails, the hostagent exits,
    # the watcher sees it, Stopped and run restarts at once (a loop).
    (R + "deleted-distro-crash-loop.yaml", "head", "L3"):
        ["failed to run [wsl.exe --distribution lima-rd]: The system cannot "
         "find the file specified.", "fail #", "host.proc.exit",
         "from=Starting to=Stopped", "more like it"],
    # HYPOTHESIS: an orphan (TerminateProcess) holds the logs; svc delete
    # and removeStaleInstance's RemoveAll fail on them, requeue forever.
    (R + "instance-rd-already-exists.yaml", "head", "L3"): ORPHAN + STALE,
    (R + "instance-rd-already-exists.yaml", "head", "L4"): STALE,
    (R + "instance-rd-already-exists.yaml", "head", "L5"): ORPHAN,
    (R + "instance-rd-already-exists.yaml", "surface-create-failed", "L5"):
        ORPHAN,
    (R + "instance-rd-already-exists.yaml", "kill-orphan", "L3"):
        ORPHAN + STALE,
    (R + "instance-rd-already-exists.yaml", "kill-orphan", "L4"): STALE,
    (R + "instance-rd-already-exists.yaml", "kill-orphan", "L5"): ORPHAN,
    (R + "instance-rd-already-exists.yaml", "svc-delete-unregisters", "L3"):
        ORPHAN + STALE,
    (R + "instance-rd-already-exists.yaml", "svc-delete-unregisters", "L4"):
        STALE,
    (R + "instance-rd-already-exists.yaml", "svc-delete-unregisters", "L5"):
        ORPHAN,
    # HYPOTHESIS: Inspect reads lima-rd Running (the user's keep-alive
    # starts it), the controller kills the orphan and requeues, forever.
    (R + "reconciling-loop.yaml", "head", "L3"):
        ["found orphaned hostagent, killing it", "actor=user",
         "host.wsl.start", "status=Running", "distro #"],
    # HYPOTHESIS: the orphan path, and Docker Desktop binding the pipe
    # TerminateProcess freed (review I1).
    (R + "running-false-starting-docker-desktop.yaml", "head", "L3"):
        ORPHAN + REFUSED,
    (R + "running-false-starting-docker-desktop.yaml", "head", "L5"): ORPHAN,
    (R + "running-false-starting-docker-desktop.yaml", "head", "S2"):
        ["npipe.listen.ok", "proc=com.docker.backend", "server #",
         "daemon=dd"],
    (R + "running-false-starting-docker-desktop.yaml", "kill-orphan", "L6"):
        DD_FIRST[:4],
    (R + "running-false-starting-docker-desktop.yaml", "kill-orphan", "S2"):
        ["npipe.listen.ok", "proc=com.docker.backend", "server #",
         "daemon=dd"],
    (R + "running-false-starting-docker-desktop.yaml", "kill-orphan", "S3"):
        DD_FIRST + ["daemon=dd"],
    # HYPOTHESIS: docs/rdd/limavm.md path 1, the silent crash loop.
    (R + "running-false-starting.yaml", "head", "L3"): ORPHAN + REFUSED,
    (R + "running-false-starting.yaml", "head", "L5"): ORPHAN,
    (R + "running-false-starting.yaml", "crash-loop-backoff", "L5"): ORPHAN,
    (R + "silent-crash-loop.yaml", "head", "L3"):
        ORPHAN + REFUSED + ["Rancher Desktop 1.21"],
    (R + "silent-crash-loop.yaml", "head", "L5"): ORPHAN,
    (R + "silent-crash-loop.yaml", "crash-loop-backoff", "L5"): ORPHAN,
    (R + "silent-crash-loop.yaml", "starting-timeout", "L5"): ORPHAN,
    # header: the user's svc stop at 60 s, a new service at 200 s whose
    # hostagent boots and never reports Running.
    (R + "l3-clock-per-service.yaml", "head", "L3"):
        ["rdd.svc.start inst=rancher-desktop-2 pid=4012",
         "host.proc.spawn pid=4016 name=hostagent", "event=boot"],
    # header: the hostagent boots and never reports Running (the chain
    # does not show the pending restart: handleRestartNeeded's return
    # writes nothing).
    (R + "starting-timeout-restart-pending.yaml", "head", "L3"):
        ["host.proc.spawn pid=4004 name=hostagent", "event=boot"],
    # REPORT: TerminateProcess orphans the hostagent; the new service's
    # Inspect fails on the removed lima.yaml, for good.
    (R + "svc-delete-leaves-no-lima-yaml.yaml", "head", "L3"):
        ORPHAN[:3] + ["lima.yaml: The system cannot find the file "
                      "specified."],
    (R + "svc-delete-leaves-no-lima-yaml.yaml", "head", "L5"): ORPHAN[:3],
    (R + "svc-delete-leaves-no-lima-yaml.yaml", "all-fixes", "L3"):
        ORPHAN[:3] + ["lima.yaml: The system cannot find the file "
                      "specified."],
    (R + "svc-delete-leaves-no-lima-yaml.yaml", "all-fixes", "L5"):
        ORPHAN[:3],
    # REPORT: the failed ha.pid write leaves the file empty; every later
    # hostagent fails to parse it.
    (R + "ha-pid-disk-full.yaml", "head", "L3"):
        ["ha.pid: There is not enough space on the disk.",
         "strconv.Atoi: parsing \"\": invalid syntax  {pidfile #"],
}

# (scenario, variant) -> words its stall chains must contain (what each
# unsettled condition waits on).
STALLS = {
    (R + "boot-never-completes.yaml", "head"):
        ["Running=False/Starting since 1s: set by #",
         "the last hostagent: #", "event=boot"],
    (R + "running-false-starting.yaml", "head"):
        ["Running=False/Starting since 70s: set by #",
         "another hostagent may already be running with pid 4004",
         "an orphan hostagent, still alive: #",
         "host.proc.spawn pid=4004 name=hostagent"],
    (C + "dd-before-rdd.yaml", "bind-surfaced-only"):
        ["ContainerEngineReady=False/ConnectFailed", "Access is denied",
         "proc=com.docker.backend"],
}


# Events no RDD code writes (explain_cite.c's header says why).
NO_CITE = {"rdd.vm.running", "rdd.vm.start", "rdd.vm.stop",
           "rdd.hostagent.vm_lost"}


def cites(rddsim, root):
    bad = 0
    evs = set()
    srcs = sorted((root / "sim" / "rdd").glob("*.c")) + [
        root / "sim" / "scenario" / "actions.c"]
    for f in srcs:
        evs |= set(re.findall(r'"(rdd\.[a-z_]+\.[a-z_.]+)"', f.read_text()))
    table = re.findall(r'\{"(rdd\.[a-z_.]+)",\s*"([^"]+)"\}',
                       (root / "sim" / "explore" / "explain_cite.c").read_text())
    names = [e for e, _ in table]
    if names != sorted(names):
        print("explain_cite.c: the table is not sorted (explain_cite bisects)")
        bad += 1
    for e, c in table:
        if not re.fullmatch(r"[\w/.-]+\.(go|yaml):\d+(-\d+)?", c):
            print(f"explain_cite.c: {e}: {c!r} is not a file:line")
            bad += 1
    for e in sorted(evs - set(names) - NO_CITE):
        print(f"{e}: written by a model but explain_cite.c cites nothing")
        bad += 1
    for e in sorted(set(names) - evs):
        print(f"{e}: cited but no model writes it")
        bad += 1
    # explain prints the cite on a step of that event
    out = explain(rddsim, root, "scenarios/collisions/dd-before-rdd.yaml",
                  "head", "S1")
    if "[RDD pkg/socketbridge/host_windows.go:52-74]" not in out:
        print(f"explain does not print the cite of rdd.bridge.exit:\n{out}")
        bad += 1
    print(f"explain cites: {len(names)} events cited, "
          f"{len(NO_CITE)} without RDD code")
    return bad


def run(rddsim, root, args):
    p = subprocess.run([rddsim] + args, cwd=root, capture_output=True,
                       text=True)
    return p.returncode, p.stdout, p.stderr


def explain(rddsim, root, scen, variant, vid):
    args = ["explain", scen, "--variant", variant]
    if vid != "stall":
        args += ["--violation", vid]
    rc, out, err = run(rddsim, root, args)
    if rc != 0:
        sys.exit(f"{scen} {variant} {vid}: exit {rc}: {err}")
    if vid == "stall":
        # the stall chains only: what follows the first "stall:" line
        i = out.find("stall: ")
        if i < 0:
            sys.exit(f"{scen} {variant}: no stall explained:\n{out}")
        out = out[i:]
    return out


def explain_all(rddsim, root, scen, variant):
    """One `rddsim explain` of scen under variant, every chain: {id: text},
    where id is an invariant ("S1") or "stall", and text is what
    `explain --violation id` prints (for "stall": the stall chains).  A
    chain starts at a line in column 0 ("S1 at ...", "stall: ...") and
    runs to the next; one run instead of one per violation."""
    rc, out, err = run(rddsim, root, ["explain", scen, "--variant", variant])
    if rc not in (0, 1):
        sys.exit(f"{scen} {variant}: exit {rc}: {err}")
    chains = {}
    key = None
    for line in out.splitlines(keepends=True):
        if line.strip() and not line[0].isspace():
            head = line.split(" ", 1)[0]
            key = "stall" if head == "stall:" else head
        if key is not None:
            chains[key] = chains.get(key, "") + line
    return chains


def violations(rddsim, root):
    """(scenario, variant, id) for every violation `rddsim run` reports
    under every declared variant of the scenarios in CAUSE_DIRS."""
    found = set()
    for d in CAUSE_DIRS:
        for f in sorted((root / d).glob("*.yaml")):
            scen = f"{d}/{f.name}"
            _, out, _ = run(rddsim, root, ["run", scen])
            for m in re.finditer(r"^verdict: .* variant=(\S+) .* got=(\S+)",
                                 out, re.M):
                if m.group(2) != "none":
                    for vid in m.group(2).split(","):
                        found.add((scen, m.group(1), vid))
    return found


def main():
    rddsim, root, mode = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
    update = "--update" in sys.argv[4:]
    bad = 0
    if mode == "golden":
        for name, (scen, variant, vid) in GOLDEN.items():
            out = explain(rddsim, root, scen, variant, vid)
            g = root / "tests" / "explain" / f"{name}.txt"
            if update:
                g.write_text(out)
            elif not g.exists() or g.read_text() != out:
                print(f"{name}: chain differs from {g} (--update re-renders)")
                bad += 1
    elif mode == "causes":
        found = violations(rddsim, root)
        for key in sorted(found - set(CAUSES)):
            print(f"{key}: violated but CAUSES names no first cause for it")
            bad += 1
        for key in sorted(set(CAUSES) - found):
            print(f"{key}: in CAUSES but not violated (stale entry)")
            bad += 1
        chains = {}  # (scen, variant) -> explain_all's chains
        for (scen, variant, vid), words in sorted(CAUSES.items()):
            if (scen, variant, vid) not in found:
                continue
            if (scen, variant) not in chains:
                chains[scen, variant] = explain_all(rddsim, root, scen,
                                                    variant)
            out = chains[scen, variant].get(vid)
            if out is None:
                print(f"{scen} {variant} {vid}: violated, but explain "
                      f"printed no chain for it")
                bad += 1
                continue
            for w in words:
                if w not in out:
                    print(f"{scen} {variant} {vid}: chain does not name "
                          f"{w!r}:\n{out}")
                    bad += 1
        for (scen, variant), words in sorted(STALLS.items()):
            if (scen, variant) not in chains:
                chains[scen, variant] = explain_all(rddsim, root, scen,
                                                    variant)
            out = chains[scen, variant].get("stall")
            if out is None:
                print(f"{scen} {variant}: no stall explained")
                bad += 1
                continue
            for w in words:
                if w not in out:
                    print(f"{scen} {variant} stall: chain does not name "
                          f"{w!r}:\n{out}")
                    bad += 1
        print(f"explain causes: {len(found)} violations, "
              f"{len(STALLS)} stalls checked")
    elif mode == "cites":
        bad += cites(rddsim, root)
    else:
        sys.exit("mode: golden, causes or cites")
    if bad:
        sys.exit(1)
    print(f"explain {mode}: ok")


if __name__ == "__main__":
    main()
