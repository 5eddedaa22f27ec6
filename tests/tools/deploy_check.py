#!/usr/bin/env python3
"""deploy_check.py: the deploy/ files parse and agree on their shards
(ctest explore.deploy.*).

Usage: deploy_check.py ci FILE | k8s FILE
  ci   FILE parses as YAML; its `shard` job's matrix is 0..N-1, its sweep
       runs `--shard ${{ matrix.shard }}/N`, and the merge job needs it and
       merges shard-0 .. shard-(N-1)
  k8s  every document parses; the Job is Indexed, its SHARDS env equals
       completions, its command passes --shard "$JOB_COMPLETION_INDEX/
       $SHARDS" and writes under the mounted results volume
Exit 0 when it holds, 1 with what is wrong.  Uses python3-yaml (Debian).
"""
import re
import sys

import yaml


def fail(msg):
    print(f"deploy_check: {msg}")
    return 1


def check_ci(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    jobs = doc.get("jobs", {})
    shard, merge = jobs.get("shard"), jobs.get("merge")
    if not shard or not merge:
        return fail("jobs 'shard' and 'merge' expected")
    ms = shard["strategy"]["matrix"]["shard"]
    n = len(ms)
    if ms != list(range(n)):
        return fail(f"matrix shard {ms} is not 0..{n - 1}")
    runs = " ".join(s.get("run", "") for s in shard["steps"])
    if f"--shard ${{{{ matrix.shard }}}}/{n}" not in runs:
        return fail(f"no `--shard ${{{{ matrix.shard }}}}/{n}` in the sweep")
    if merge.get("needs") != "shard":
        return fail("merge does not need shard")
    mruns = " ".join(s.get("run", "") for s in merge["steps"])
    want = " ".join(f"shard-{i}" for i in range(n))
    if f"explore merge {want}" not in mruns:
        return fail(f"merge does not fold {want}")
    print(f"deploy_check: {path}: {n} shards, merged")
    return 0


def check_k8s(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    jobs = [d for d in docs if d.get("kind") == "Job"]
    if len(jobs) != 1:
        return fail("one Job expected")
    spec = jobs[0]["spec"]
    if spec.get("completionMode") != "Indexed":
        return fail("the Job is not Indexed")
    c = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    if str(spec.get("completions")) != env.get("SHARDS"):
        return fail(f"SHARDS {env.get('SHARDS')} != completions "
                    f"{spec.get('completions')}")
    cmd = " ".join(c.get("command", []) + c.get("args", []))
    if '--shard "$JOB_COMPLETION_INDEX/$SHARDS"' not in cmd:
        return fail("the command does not shard by JOB_COMPLETION_INDEX")
    mounts = [m["mountPath"] for m in c.get("volumeMounts", [])]
    m = re.search(r'--out "([^"$]*)', cmd)
    if not m or not any(m.group(1).startswith(p + "/") for p in mounts):
        return fail(f"--out is not under a mounted volume {mounts}")
    print(f"deploy_check: {path}: {env['SHARDS']} indexed shards")
    return 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("ci", "k8s"):
        print(__doc__)
        return 2
    return (check_ci if sys.argv[1] == "ci" else check_k8s)(sys.argv[2])


if __name__ == "__main__":
    sys.exit(main())
