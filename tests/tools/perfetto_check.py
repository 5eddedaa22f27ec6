#!/usr/bin/env python3
"""Checks a `rddsim run --trace-format perfetto` document (docs/trace.md).

Usage: perfetto_check.py FILE.json [--expect-track NAME ...]
                                   [--jsonl TRACE.jsonl]

Fails (exit 1, one line per problem) unless:
  - the file is one JSON object with a "traceEvents" list;
  - every event has ph, a numeric ts >= 0, and integer pid and tid;
  - every pid and (pid, tid) used is named by an "M" process_name /
    thread_name event;
  - every flow start ("s") has exactly one finish ("f", bp "e") with its
    id, and every finish a start, the start no later than the finish;
  - "X" spans have dur >= 0 and never overlap on one thread;
  - "C" counters carry numeric args;
  - each --expect-track NAME is a thread that holds at least one span;
  - with --jsonl (the same run's JSON Lines trace): one instant per
    record, and one flow per record with a cause.
Prints a summary line: events by phase, processes, threads, flows.
"""
import collections
import json
import sys


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2])
        return 2
    path, expect, jsonl = argv[1], [], None
    i = 2
    while i < len(argv):
        if argv[i] == "--expect-track":
            expect.append(argv[i + 1])
        elif argv[i] == "--jsonl":
            jsonl = argv[i + 1]
        else:
            print(f"perfetto_check.py: unknown argument {argv[i]}")
            return 2
        i += 2
    bad = []
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"),
                                                   list):
        print(f"{path}: not an object with a traceEvents list")
        return 1
    evs = doc["traceEvents"]
    phases = collections.Counter()
    pnames, tnames = {}, {}
    starts, finishes = {}, {}
    spans = collections.defaultdict(list)
    for k, e in enumerate(evs):
        where = f"{path}: event {k}"
        for key in ("ph", "ts", "pid", "tid"):
            if key not in e:
                bad.append(f"{where}: no {key}: {e}")
        if any(key not in e for key in ("ph", "ts", "pid", "tid")):
            continue
        ph = e["ph"]
        phases[ph] += 1
        if not isinstance(e["ts"], (int, float)) or e["ts"] < 0:
            bad.append(f"{where}: ts {e['ts']!r}")
        if not isinstance(e["pid"], int) or not isinstance(e["tid"], int):
            bad.append(f"{where}: pid/tid not integers")
        if ph == "M":
            name = e.get("args", {}).get("name")
            if e.get("name") == "process_name":
                pnames[e["pid"]] = name
            elif e.get("name") == "thread_name":
                tnames[(e["pid"], e["tid"])] = name
        elif ph == "s":
            if e.get("id") in starts:
                bad.append(f"{where}: flow id {e.get('id')} started twice")
            starts[e.get("id")] = e
        elif ph == "f":
            if e.get("bp") != "e":
                bad.append(f"{where}: flow finish without bp e")
            if e.get("id") in finishes:
                bad.append(f"{where}: flow id {e.get('id')} finished twice")
            finishes[e.get("id")] = e
        elif ph == "X":
            if not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
                bad.append(f"{where}: dur {e.get('dur')!r}")
            else:
                spans[(e["pid"], e["tid"])].append(
                    (e["ts"], e["ts"] + e["dur"], e.get("name")))
        elif ph == "C":
            args = e.get("args") or {}
            if not args or not all(isinstance(v, (int, float))
                                   for v in args.values()):
                bad.append(f"{where}: counter args {args!r}")
        elif ph != "i":
            bad.append(f"{where}: unexpected ph {ph!r}")
    for e in evs:
        if e.get("ph") == "M" or "pid" not in e:
            continue
        if e["pid"] not in pnames:
            bad.append(f"{path}: pid {e['pid']} has no process_name")
            pnames[e["pid"]] = "?"
        if e.get("tid") and (e["pid"], e["tid"]) not in tnames:
            bad.append(f"{path}: pid {e['pid']} tid {e['tid']} has no "
                       "thread_name")
            tnames[(e["pid"], e["tid"])] = "?"
    for fid, s in starts.items():
        f = finishes.get(fid)
        if f is None:
            bad.append(f"{path}: flow {fid} starts and never finishes")
        elif s["ts"] > f["ts"]:
            bad.append(f"{path}: flow {fid} finishes before it starts")
    for fid in finishes:
        if fid not in starts:
            bad.append(f"{path}: flow {fid} finishes and never starts")
    for key, lst in spans.items():
        lst.sort()
        for a, b in zip(lst, lst[1:]):
            if b[0] < a[1]:
                bad.append(f"{path}: spans overlap on {tnames.get(key)}: "
                           f"{a} and {b}")
    held = {tnames.get(k) for k, v in spans.items() if v}
    for name in expect:
        if name not in held:
            bad.append(f"{path}: no span on a thread named {name!r} "
                       f"(threads with spans: {sorted(held)})")
    if jsonl:
        recs = [json.loads(line) for line in open(jsonl, encoding="utf-8")]
        want_i = len(recs)
        want_flows = sum(1 for r in recs if r.get("cause"))
        if phases["i"] != want_i:
            bad.append(f"{path}: {phases['i']} instants, {jsonl} has "
                       f"{want_i} records")
        if len(starts) != want_flows:
            bad.append(f"{path}: {len(starts)} flows, {jsonl} has "
                       f"{want_flows} records with a cause")
    for b in bad[:40]:
        print(b)
    if len(bad) > 40:
        print(f"... and {len(bad) - 40} more")
    print(f"perfetto_check: {len(evs)} events ("
          + " ".join(f"{k}={v}" for k, v in sorted(phases.items()))
          + f"), {len(pnames)} processes, {len(tnames)} threads, "
          f"{len(starts)} flows: {'BAD' if bad else 'ok'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
