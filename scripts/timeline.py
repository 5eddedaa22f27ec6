#!/usr/bin/python3
"""Draws a run's JSON Lines trace as one picture on a virtual-time axis.

Usage: timeline.py TRACE.jsonl -o OUT.png [--run N] [--title TEXT]
                   [--width INCHES]

TRACE.jsonl is `rddsim run FILE --trace TRACE.jsonl` (docs/trace.md); with
several runs in one file, --run N (1-based, default 1) picks one.  Lanes,
top to bottom (docs/trace.md "Timeline"):

  actions     the scenario's timeline steps (sim.action) as triangles
  faults      fault.fire as red crosses, each site's first..last fire
              shaded (a fault window as the trace saw it; the scenario's
              from/to are not in the trace), listed under the picture
  pipe NAME   who owns each pipe name (npipe.listen.ok .. npipe.name.gone)
  per instance:
    App Running           the LimaVM Running condition the App mirrors
    ContainerEngineReady  the engine's condition
    bridge                the socket bridge's state
    LimaVM phase          rdd.limavm.phase
    hostagents            every hostagent process, spawn to exit
  mirrors     Container/Image/Volume/ContainerNamespace objects in each
              apiserver store and informer cache (a step line each)

Every invariant violation is a red line across all lanes, labelled with
its id.  Needs matplotlib (Debian: python3-matplotlib); run it with
/usr/bin/python3 when the python3 on PATH lacks it.  Exit 2 on bad usage
or an unreadable trace.
"""
import argparse
import json
import sys

MIRROR_KINDS = {"Container", "Image", "Volume", "ContainerNamespace"}

# Colours by value, so a reader learns them once; others by first use.
KNOWN = {
    "True": "#2ca02c", "False": "#d62728", "Unknown": "#9e9e9e",
    "Running": "#2ca02c", "Starting": "#ffbf00", "Stopped": "#9e9e9e",
    "Stopping": "#ff7f0e", "Unknown/": "#9e9e9e",
    "serving": "#2ca02c", "bound": "#98df8a", "bind_failed": "#d62728",
    "handshake": "#ffbf00", "off": "#cfcfcf", "exited": "#cfcfcf",
}
PALETTE = ["#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#aec7e8", "#c5b0d5", "#c49c94", "#f7b6d2"]


def load(path, run):
    """The records of run number `run` (1-based) in path."""
    recs, n = [], 0
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError as e:
                raise SystemExit(f"{path}:{lineno}: not JSON: {e}")
            if r.get("ev") == "sim.run.start":
                n += 1
            if n == run:
                recs.append(r)
            elif n > run:
                break
    if not recs:
        raise SystemExit(f"{path}: no run {run} (it holds {n})")
    return recs


class Lane:
    """A horizontal lane of (start, end, value) bars."""

    def __init__(self, name):
        self.name = name
        self.bars = []
        self.cur = None          # (since, value)

    def set(self, t, value):
        if self.cur and self.cur[1] == value:
            return
        if self.cur:
            self.bars.append((self.cur[0], t, self.cur[1]))
        self.cur = (t, value) if value is not None else None

    def close(self, t):
        if self.cur:
            self.bars.append((self.cur[0], t, self.cur[1]))
            self.cur = None


def cond(r):
    return f"{r.get('status', '?')}/{r.get('reason', '?')}"


def build(recs):
    """Lanes, marks and counts from the records."""
    lanes = {}                   # name -> Lane, in order of first use
    order = []

    def lane(name):
        if name not in lanes:
            lanes[name] = Lane(name)
            order.append(name)
        return lanes[name]

    hostagents = {}              # pid -> [inst, spawn, exit]
    ha_inst = {}                 # pid -> inst (rdd.hostagent.spawn)
    actions, faults, violations = [], [], []
    counts = {}                  # series name -> [(t, n)]
    level = {}
    end = 0.0
    meta = {}
    for r in recs:
        t = r["t_ns"] / 1e9
        end = max(end, t)
        ev = r["ev"]
        inst = r.get("inst")
        short = inst.replace("rancher-desktop-", "rd-") if inst else None
        if ev == "sim.run.start":
            meta = r
        elif ev == "sim.action":
            actions.append((t, f"{r.get('do')} {r.get('what', '')}".strip()))
        elif ev == "fault.fire":
            faults.append((t, f"{r.get('site')} {r.get('target', '')}"))
        elif ev == "sim.invariant.violated":
            at = r.get("at")
            violations.append((at / 1e9 if at is not None else t,
                               r.get("id", "?")))
        elif ev == "npipe.listen.ok":
            lane(f"pipe {r['name']}").set(
                t, f"{r.get('proc')} ({r.get('pid')})")
        elif ev == "npipe.name.gone":
            lane(f"pipe {r['name']}").set(t, None)
        elif ev == "rdd.limavm.condition" and r.get("type") == "Running":
            lane(f"{short} App Running").set(t, cond(r))
        elif ev == "rdd.engine.condition":
            lane(f"{short} ContainerEngineReady").set(t, cond(r))
        elif ev == "rdd.bridge.state":
            lane(f"{short} bridge").set(t, r.get("to"))
        elif ev == "rdd.limavm.phase":
            lane(f"{short} LimaVM phase").set(t, r.get("to"))
        elif ev == "rdd.hostagent.spawn":
            ha_inst[r.get("pid")] = short
            lane(f"{short} hostagents")
        elif ev == "host.proc.spawn" and r.get("name") == "hostagent":
            hostagents[r["pid"]] = [None, t, None]
        elif ev in ("host.proc.exit", "host.proc.kill") and \
                r.get("pid") in hostagents and \
                hostagents[r["pid"]][2] is None:
            hostagents[r["pid"]][2] = t
        elif ev.startswith("kube.obj.") and r.get("kind") in MIRROR_KINDS:
            d = {"created": 1, "deleted": -1}.get(r.get("result"), 0)
            if d:
                key = f"store {r.get('store')}"
                level[key] = level.get(key, 0) + d
                counts.setdefault(key, [(0.0, 0)]).append((t, level[key]))
        elif ev == "kube.cache.event" and r.get("kind") in MIRROR_KINDS:
            d = {"ADDED": 1, "DELETED": -1}.get(r.get("type"), 0)
            if d:
                key = f"cache {r.get('cache')}"
                level[key] = level.get(key, 0) + d
                counts.setdefault(key, [(0.0, 0)]).append((t, level[key]))
    for ln in lanes.values():
        ln.close(end)
    for pid, (_, t0, t1) in sorted(hostagents.items()):
        who = ha_inst.get(pid)
        if who is None:
            continue
        lane(f"{who} hostagents").bars.append(
            (t0, t1 if t1 is not None else end, "alive" if t1 is None
             else "exited"))
    # pipes first, then each instance's lanes in a fixed order
    kinds = ["App Running", "ContainerEngineReady", "bridge", "LimaVM phase",
             "hostagents"]
    pipes = [n for n in order if n.startswith("pipe ")]
    insts = []
    for n in order:
        if not n.startswith("pipe "):
            who = n.split(" ", 1)[0]
            if who not in insts:
                insts.append(who)
    ordered = pipes + [f"{w} {k}" for w in insts for k in kinds
                       if f"{w} {k}" in lanes]
    return dict(lanes=[lanes[n] for n in ordered], actions=actions,
                faults=faults, violations=violations, counts=counts,
                end=end, meta=meta, nhostagents=len(hostagents))


def colour(value, seen):
    if value in KNOWN:
        return KNOWN[value]
    head = value.split("/", 1)[0]
    if "/" in value and head in KNOWN:
        return KNOWN[head]
    if value not in seen:
        seen[value] = PALETTE[len(seen) % len(PALETTE)]
    return seen[value]


def draw(model, out, title, width):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lanes = model["lanes"]
    end = max(model["end"], 1e-9)
    rows = ["actions", "faults"] + [ln.name for ln in lanes]
    acts = model["actions"]
    caption = [f"{k}: {t:g}s {what}" for k, (t, what) in
               enumerate(acts[:24], 1)]
    if len(acts) > 24:
        caption.append(f"... and {len(acts) - 24} more")
    windows = {}                 # fault site -> (first, last, fires)
    for t, what in model["faults"]:
        site = what.split(" ", 1)[0]
        lo, hi, k = windows.get(site, (t, t, 0))
        windows[site] = (min(lo, t), max(hi, t), k + 1)
    caption += [f"fault {site}: {k} fired, {lo:g}s..{hi:g}s"
                for site, (lo, hi, k) in windows.items()]
    cols = 2 if len(caption) > 6 else 1
    cap_h = 0.17 * ((len(caption) + cols - 1) // cols) + 0.1
    height = 1.2 + 0.42 * len(rows) + 2.0 + cap_h
    fig, (ax, axc) = plt.subplots(
        2, 1, sharex=True, figsize=(width, height),
        gridspec_kw={"height_ratios": [0.42 * len(rows), 2.0]})
    seen = {}
    n = len(rows)
    ypos = {name: n - 1 - i for i, name in enumerate(rows)}
    for ln in lanes:
        y = ypos[ln.name]
        hostagent = ln.name.endswith(" hostagents")
        dense = len(ln.bars) >= 200
        groups = {}              # (colour, half) -> [(start, width)]
        for k, (t0, t1, v) in enumerate(ln.bars):
            # a dense lane keeps true widths: a 0s blip stays invisible
            # rather than painting over the state it interrupts
            w = t1 - t0 if dense else max(t1 - t0, end / 2000)
            if w <= 0:
                continue
            if hostagent:
                # alive at the end (an orphan) on top, exited below
                key = ("#08519c", 1) if v == "alive" else (
                    "#6baed6" if k % 2 else "#3182bd", -1)
            else:
                key = (colour(v, seen), 0)
                if w > end * 0.06:
                    ax.text(t0 + w / 2, y, v, ha="center", va="center",
                            fontsize=7, clip_on=True)
            groups.setdefault(key, []).append((t0, w))
        for (c, half), spans in groups.items():
            box = (y - 0.35, 0.7) if half == 0 else (
                (y + 0.02, 0.33) if half > 0 else (y - 0.35, 0.33))
            ax.broken_barh(spans, box, facecolors=c,
                           edgecolors="white" if not dense else "none",
                           linewidth=0.5)
        if hostagent:
            alive = sum(1 for b in ln.bars if b[2] == "alive")
            ax.text(end, y + 0.38, f"{len(ln.bars)} spawned; alive at the "
                    f"end (top half): {alive}", ha="right", va="bottom",
                    fontsize=7)
        elif dense:
            ax.text(end, y + 0.38, f"{len(ln.bars)} changes", ha="right",
                    va="bottom", fontsize=7)
    ya = ypos["actions"]
    for k, (t, what) in enumerate(model["actions"], 1):
        ax.plot([t], [ya], marker="v", color="black", markersize=6)
        ax.text(t, ya + 0.22 + 0.22 * (k % 2), str(k), fontsize=7,
                ha="center", va="bottom")
    yf = ypos["faults"]
    for t, what in model["faults"]:
        ax.plot([t], [yf], marker="x", color="#d62728", markersize=5)
    for site, (lo, hi, _) in windows.items():
        ax.broken_barh([(lo, max(hi - lo, end / 2000))], (yf - 0.3, 0.6),
                       facecolors="#f4cccc", edgecolors="none", zorder=0)
    if len(windows) == 1:
        site, (lo, _, _) = next(iter(windows.items()))
        ax.text(lo, yf + 0.32, site, fontsize=6.5, color="#a00000")
    placed = []
    for t, vid in sorted(model["violations"]):
        for a in (ax, axc):
            a.axvline(t, color="#d62728", linewidth=1.0, alpha=0.8)
        # stack labels that would overlap (S2 and S3 a few ms apart)
        level = sum(1 for p in placed if abs(p - t) < end * 0.025)
        placed.append(t)
        ax.text(t, n - 0.45 + 0.32 * level, vid, color="#d62728", fontsize=8,
                fontweight="bold", ha="center", va="bottom")
    ax.set_yticks([ypos[r] for r in rows])
    ax.set_yticklabels(rows, fontsize=8)
    ax.set_ylim(-0.6, n + 0.2 + 0.32 * max(
        [0] + [sum(1 for u, _ in model["violations"] if abs(u - t) <
                   end * 0.025) - 1 for t, _ in model["violations"]]))
    ax.grid(axis="x", color="#e0e0e0")
    ax.set_axisbelow(True)
    styles = ["-", "--", ":", "-."]
    for k, (name, pts) in enumerate(sorted(model["counts"].items(),
                                           key=lambda kv: (
                                               not kv[0].startswith("store"),
                                               kv[0]))):
        pts = pts + [(end, pts[-1][1])]
        store = name.startswith("store")
        axc.step([p[0] for p in pts], [p[1] for p in pts], where="post",
                 label=name, linewidth=2.4 if store else 1.3,
                 linestyle="-" if store else styles[1 + k % 3],
                 alpha=0.6 if store else 1.0)
    if model["counts"]:
        axc.legend(fontsize=7, loc="upper left")
    axc.set_ylabel("mirrors", fontsize=8)
    axc.set_xlabel("virtual time (s)", fontsize=8)
    axc.set_xlim(0, end)
    axc.grid(color="#e0e0e0")
    meta = model["meta"]
    if title is None:
        title = (f"{meta.get('scenario', '?')}  variant "
                 f"{meta.get('variant', '?')}  seed {meta.get('seed', '?')}")
    ax.set_title(title, fontsize=10)
    fig.tight_layout(rect=(0, cap_h / height, 1, 1))
    per = (len(caption) + cols - 1) // cols
    for c in range(cols):
        fig.text(0.01 + 0.5 * c, cap_h / height - 0.004,
                 "\n".join(caption[c * per:(c + 1) * per]),
                 fontsize=7, va="top", ha="left", family="monospace")
    fig.savefig(out, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)


def main(argv):
    ap = argparse.ArgumentParser(
        prog="timeline.py",
        description="Draws a JSON Lines trace on one virtual-time axis.")
    ap.add_argument("trace")
    ap.add_argument("-o", "--output", required=True, help="the PNG to write")
    ap.add_argument("--run", type=int, default=1,
                    help="which run of the file (1-based)")
    ap.add_argument("--title")
    ap.add_argument("--width", type=float, default=13.0)
    a = ap.parse_args(argv[1:])
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("timeline.py: needs matplotlib (apt-get install "
              "python3-matplotlib; run with /usr/bin/python3)",
              file=sys.stderr)
        return 3
    try:
        recs = load(a.trace, a.run)
    except OSError as e:
        print(f"timeline.py: {a.trace}: {e.strerror}", file=sys.stderr)
        return 2
    except SystemExit as e:
        print(f"timeline.py: {e}", file=sys.stderr)
        return 2
    model = build(recs)
    draw(model, a.output, a.title, a.width)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
