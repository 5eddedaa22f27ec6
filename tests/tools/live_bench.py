#!/usr/bin/env python3
"""Latency and load of `rddsim serve`'s Docker Engine API (a benchmark that
prints numbers; it judges nothing but that every request got a 200).

usage: live_bench.py RDDSIM SCENARIO [N=1000] [C=100] [R=20] [SPEED=1000]
                     [PROCS=1] [PARSE=1]

Serves SCENARIO (variant fixed), creates N containers on daemon "dd" over
the API, then C concurrent keep-alive clients each send R requests of
GET /containers/json?all=1 on DIR/docker/dd.sock (unix socket, this machine
only) and it prints requests/s and p50/p99 latency.  Bounded: C*R requests,
30 s per request, and serve is stopped at the end.

The clients are threads of PROCS processes (multiprocessing, stdlib): one
Python process parsing 100 clients' lists measures Python's GIL, not the
server.  PARSE=0 checks each answer's status and Content-Length against
the first one instead of decoding the JSON (latency is then mostly the
server's and the socket's).
"""
import multiprocessing
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def client_proc(path, k, r, n, want, parse, start, q):
    """k client threads, r requests each; puts (latencies, errors) on q."""
    lat, errs, lock = [], [], threading.Lock()

    def client():
        mine = []
        h = UnixHTTP(path)
        try:
            for _ in range(r):
                t0 = time.perf_counter()
                h.request("GET", "/v1.47/containers/json?all=1")
                resp = h.getresponse()
                body = resp.read()
                mine.append(time.perf_counter() - t0)
                if resp.status != 200:
                    raise RuntimeError("status %d" % resp.status)
                if parse and len(json.loads(body)) < n:
                    raise RuntimeError("short list")
                if not parse and len(body) != want:
                    raise RuntimeError("length %d, not %d" % (len(body),
                                                              want))
        except Exception as e:  # noqa: BLE001 - reported by main
            with lock:
                errs.append(str(e))
        h.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(k)]
    start.wait(60)
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    q.put((lat, errs))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    rddsim, scen = sys.argv[1:3]
    kv = dict(a.split("=", 1) for a in sys.argv[3:])
    n, c, r = int(kv.get("N", 1000)), int(kv.get("C", 100)), int(
        kv.get("R", 20))
    speed = kv.get("SPEED", "1000")
    tmp = tempfile.mkdtemp(prefix="rddsim-bench-")
    os.chmod(tmp, 0o700)
    d = os.path.join(tmp, "s")
    p = subprocess.Popen([rddsim, "serve", scen, "--variant", "fixed",
                          "--speed", speed, "--dir", d],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        buf = b""
        deadline = time.monotonic() + 30
        while b"export DOCKER_HOST" not in buf:
            if time.monotonic() > deadline or not select.select(
                    [p.stdout], [], [], 30)[0]:
                sys.exit("live_bench.py: serve did not start")
            buf += os.read(p.stdout.fileno(), 65536)
        path = os.path.join(d, "docker", "dd.sock")
        conn = UnixHTTP(path)
        for i in range(n):
            conn.request("POST", "/v1.47/containers/create?name=b%d" % i,
                         body=json.dumps({"Image": "nginx:latest"}),
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 201:
                sys.exit("live_bench.py: create %d: %d" % (i, resp.status))
        conn.request("GET", "/v1.47/containers/json?all=1")
        resp = conn.getresponse()
        want = len(resp.read())
        conn.close()
        procs = max(1, min(int(kv.get("PROCS", 1)), c))
        parse = kv.get("PARSE", "1") != "0"
        per = [c // procs + (i < c % procs) for i in range(procs)]
        q = multiprocessing.Queue()
        start = multiprocessing.Event()
        workers = [multiprocessing.Process(
            target=client_proc, args=(path, k, r, n, want, parse, start, q))
            for k in per]
        for w in workers:
            w.start()
        t0 = time.perf_counter()
        start.set()
        lat, errs = [], []
        for _ in workers:
            got_lat, got_errs = q.get(timeout=120)
            lat.extend(got_lat)
            errs.extend(got_errs)
        wall = time.perf_counter() - t0
        for w in workers:
            w.join(30)
        lat.sort()
        if errs or not lat:
            sys.exit("live_bench.py: %d errors, e.g. %s" % (
                len(errs), errs[:1]))
        pct = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1e6
        print("RESULT live containers=%d clients=%d procs=%d parse=%d "
              "requests=%d wall_s=%.3f req_per_s=%.0f p50_us=%.0f "
              "p99_us=%.0f speed=%s" % (
                  n + 2, c, procs, parse, len(lat), wall, len(lat) / wall,
                  pct(0.50), pct(0.99), speed))
    finally:
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
