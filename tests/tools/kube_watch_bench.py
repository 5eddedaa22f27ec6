#!/usr/bin/env python3
"""Watch fan-out of `rddsim serve`'s Kubernetes API (a benchmark that prints
numbers; it judges nothing but that every watcher got every event).

usage: kube_watch_bench.py RDDSIM SCENARIO [N=100] [K=200] [SPEED=1000]
                           [INSTANCE=2]

Serves SCENARIO (variant head), waits for the App, opens N concurrent
watches of the App (GET .../apps?watch=1&resourceVersion=<LIST's RV>) on
DIR/kube/<INSTANCE>.sock, then one client sends K merge patches of an
annotation (each one commit, one MODIFIED event to each watcher) back to
back on a keep-alive connection.  It prints the patches/s, the watch
events delivered per second (every event each watcher read, from the
first patch until the last watcher has read the K-th) and p50/p99 of the
time from a patch's answer to its event at a watcher.  Bounded: 60 s of
waiting at most, and serve is stopped at the end.
"""
import http.client
import json
import os
import re
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

APP = "/apis/app.rancherdesktop.io/v1alpha1/apps"


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.upath = path

    def connect(self):
        self.sock = dial(self.upath)
        self.sock.settimeout(30)


def dial(path):
    """A unix connect, retried while the listen backlog is full (Linux
    answers EAGAIN for unix sockets), 30 s at most."""
    deadline = time.monotonic() + 30
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))] if v else 0


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    rddsim, scen = sys.argv[1:3]
    kv = dict(a.split("=", 1) for a in sys.argv[3:])
    n, k = int(kv.get("N", 100)), int(kv.get("K", 200))
    speed = kv.get("SPEED", "1000")
    inst = kv.get("INSTANCE", "2")
    tmp = tempfile.mkdtemp(prefix="rddsim-kbench-")
    os.chmod(tmp, 0o700)
    d = os.path.join(tmp, "s")
    p = subprocess.Popen([rddsim, "serve", scen, "--speed", speed, "--dir",
                          d], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    socks = []
    try:
        buf = b""
        deadline = time.monotonic() + 30
        while b"serving at" not in buf:
            if time.monotonic() > deadline or not select.select(
                    [p.stdout], [], [], 30)[0]:
                sys.exit("kube_watch_bench.py: serve did not start")
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                sys.exit("kube_watch_bench.py: serve exited:\n"
                         + buf.decode(errors="replace"))
            buf += chunk
        path = os.path.join(d, "kube", inst + ".sock")
        deadline = time.monotonic() + 60
        while True:
            c = UnixHTTP(path)
            c.request("GET", APP)
            r = c.getresponse()
            body = json.loads(r.read())
            c.close()
            if r.status == 200 and body["items"]:
                break
            if time.monotonic() > deadline:
                sys.exit("kube_watch_bench.py: no App: %r" % body)
            time.sleep(0.05)
        rv = body["metadata"]["resourceVersion"]
        sel = selectors.DefaultSelector()
        seen = {}
        for i in range(n):
            s = dial(path)
            s.sendall(("GET %s?watch=1&resourceVersion=%s HTTP/1.1\r\n"
                       "Host: localhost\r\n\r\n" % (APP, rv)).encode())
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
            socks.append(s)
            seen[i] = {"buf": b"", "got": {}}
        # Every watch answered (its header read) before the first patch.
        ready = 0
        deadline = time.monotonic() + 60
        while ready < n and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                st = seen[key.data]
                try:
                    data = key.fileobj.recv(1 << 16)
                except BlockingIOError:
                    continue
                if not data:
                    sys.exit("kube_watch_bench.py: a watch ended")
                was = b"\r\n\r\n" in st["buf"]
                st["buf"] += data
                if not was and b"\r\n\r\n" in st["buf"]:
                    ready += 1
        if ready < n:
            sys.exit("kube_watch_bench.py: %d of %d watches answered"
                     % (ready, n))
        rx = re.compile(rb'"bench":"(\d+)"')
        w = UnixHTTP(path)
        sent = {}
        t0 = time.monotonic()
        for j in range(k):
            w.request("PATCH", APP + "/app",
                      body=json.dumps({"metadata": {"annotations": {
                          "bench": str(j)}}}),
                      headers={"Content-Type":
                               "application/merge-patch+json"})
            r = w.getresponse()
            r.read()
            if r.status != 200:
                sys.exit("kube_watch_bench.py: PATCH %d: %d" % (j, r.status))
            sent[j] = time.monotonic()
        t_sent = time.monotonic()
        w.close()
        lat = []
        events = 0
        done = 0
        deadline = time.monotonic() + 60
        while done < n and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                st = seen[key.data]
                try:
                    data = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not data:
                    sys.exit("kube_watch_bench.py: a watch ended")
                now = time.monotonic()
                st["buf"] += data
                *lines, st["buf"] = st["buf"].split(b"\n")
                for ln in lines:
                    if not ln.startswith(b'{"type":'):
                        continue
                    events += 1
                    m = rx.search(ln)
                    if m and int(m.group(1)) not in st["got"]:
                        j = int(m.group(1))
                        st["got"][j] = now
                        lat.append(now - max(sent.get(j, now), t0))
                        if len(st["got"]) == k:
                            done += 1
        t_end = time.monotonic()
        if done < n:
            sys.exit("kube_watch_bench.py: %d of %d watchers got all %d "
                     "events" % (done, n, k))
        print("watchers=%d patches=%d patches_per_s=%.0f "
              "events_delivered=%d events_per_s=%.0f wall=%.2fs "
              "patch_to_event_p50=%.1fms p99=%.1fms"
              % (n, k, k / (t_sent - t0), events, events / (t_end - t0),
                 t_end - t0, pct(lat, 50) * 1e3, pct(lat, 99) * 1e3))
    finally:
        for s in socks:
            s.close()
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        try:
            p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
