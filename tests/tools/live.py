#!/usr/bin/env python3
"""Live mode (`rddsim serve`) against real clients, bounded in count and time.

usage: live.py RDDSIM REPO CASE

Cases:
  same-verdict   every collision scenario x variant, no client: `serve
                 --until-end` runs the events `run` runs (same count, trace
                 hash, violations and result)
  cli-head       the real docker CLI on docker_engine under head: version,
                 info, ps -a, images, volume ls, events, rm -f, all exit 0
                 and show Docker Desktop's engine (after RDD removed "web")
  cli-fixed      under fixed: docker_engine is Docker Desktop's (web and db
                 kept) and RDD's per-instance pipe shows RDD's VM containers
  sdk            the same calls through python3-docker (docker.APIClient)
  malformed      bad request line, huge header, bad chunked body, truncated
                 JSON, a 10 MB body, a client that disconnects: each gets
                 its status code and the server keeps serving
  refuse-dir     a --dir that is not 0700 is refused (exit 2)
  record         --record: a live docker rm -f before RDD starts avoids S1,
                 and `rddsim run` of the recorded file gets the same verdict

Only the served unix sockets are dialed: DOCKER_HOST is set explicitly,
DOCKER_CONFIG is a fresh temporary directory, and no daemon is started.
"""
import ctypes
import glob
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
import time

SCEN = "scenarios/collisions/dd-before-rdd.yaml"
STEP_TIMEOUT = 30  # seconds, per client command or wait


CURRENT = []  # the Serve running, for its output on failure


def fail(msg):
    print("live.py: FAIL: " + msg)
    if CURRENT:
        rc, text, timely = CURRENT[0].finish()
        print("--- serve (exit %s%s):" % (rc, "" if timely else ", killed"))
        print(text[-6000:])
    sys.exit(1)


def die_with_parent():
    """serve gets SIGKILL if this script dies (a ctest timeout kills it
    without cleanup): prctl(PR_SET_PDEATHSIG), Linux."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class Serve:
    """One `rddsim serve` process, its stdout read line by line."""

    def __init__(self, rddsim, repo, variant, speed, extra=(), scen=None):
        self.tmp = tempfile.mkdtemp(prefix="rddsim-live-")
        os.chmod(self.tmp, 0o700)
        self.dir = os.path.join(self.tmp, "s")
        self.lines = []
        self.buf = b""
        self.p = subprocess.Popen(
            [rddsim, "serve", scen or os.path.join(repo, SCEN), "--variant",
             variant,
             "--speed", str(speed), "--dir", self.dir] +
            [x.replace("{tmp}", self.tmp) for x in extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
        CURRENT.append(self)

    def wait_line(self, pattern, timeout=STEP_TIMEOUT):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        for ln in self.lines:
            if rx.search(ln):
                return ln
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.p.stdout], [], [],
                                    max(0.0, deadline - time.monotonic()))
            if not r:
                break
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                break
            self.buf += chunk
            while b"\n" in self.buf:
                ln, self.buf = self.buf.split(b"\n", 1)
                ln = ln.decode(errors="replace")
                self.lines.append(ln)
                if rx.search(ln):
                    return ln
        fail("serve never printed /%s/; output so far:\n%s"
             % (pattern, "\n".join(self.lines)))

    def sock(self, kind, name):
        return os.path.join(self.dir, kind, name + ".sock")

    def finish(self):
        """SIGINT, then SIGKILL if it lingers; (exit code, output, timely)."""
        if self in CURRENT:
            CURRENT.remove(self)
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        timely = True
        try:
            rest, _ = self.p.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rest, _ = self.p.communicate()
            timely = False
        text = "\n".join(self.lines) + "\n" + (self.buf + rest).decode(
            errors="replace")
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.p.returncode, text, timely

    def stop(self):
        """SIGINT; returns (exit code, all output)."""
        rc, text, timely = self.finish()
        if not timely:
            fail("serve did not stop on SIGINT:\n" + text[-3000:])
        return rc, text


def docker_env(tmp, sock):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = os.path.join(tmp, "docker-config")
    os.makedirs(env["DOCKER_CONFIG"], exist_ok=True)
    env["DOCKER_HOST"] = "unix://" + sock
    return env


def docker(env, *args):
    r = subprocess.run(["docker"] + list(args), env=env, capture_output=True,
                       text=True, timeout=STEP_TIMEOUT)
    if r.returncode != 0:
        fail("docker %s: exit %d\n%s%s" % (" ".join(args), r.returncode,
                                            r.stdout, r.stderr))
    return r.stdout


def need(cond, what, out):
    if not cond:
        fail(what + "; output:\n" + out)


def case_cli(rddsim, repo, variant):
    if not shutil.which("docker"):
        fail("no docker client on PATH (scripts/install-deps installs one)")
    s = Serve(rddsim, repo, variant, 1000)
    s.wait_line(r"^export DOCKER_HOST=unix://")
    s.wait_line(r"^duration: ")  # the timeline is over
    env = docker_env(s.tmp, s.sock("pipes", "docker_engine"))
    out = docker(env, "version")
    need("rddsim (dd)" in out and "1.47" in out,
         "docker version: not Docker Desktop's engine at API 1.47", out)
    out = docker(env, "info")
    need("Name: dd" in out and "ID: DD-ENGINE-0001" in out,
         "docker info: not Docker Desktop's engine", out)
    out = docker(env, "ps", "-a", "--no-trunc")
    need(" db" in out and "rdd-own" not in out,
         "docker ps -a: Docker Desktop's db missing or RDD's container shown",
         out)
    if variant == "head":
        # I1: RDD removed Docker Desktop's "web" at 40 s (S1).
        need(" web" not in out, "head: web should be gone from Docker "
             "Desktop's engine", out)
    else:
        need(" web" in out, "fixed: web must stay on Docker Desktop", out)
    db = [ln.split()[0] for ln in out.splitlines()[1:] if ln.endswith(" db")]
    need(len(db) == 1 and len(db[0]) == 64, "no 64-hex id for db", out)
    out = docker(env, "images")
    need("nginx" in out and "postgres" in out, "docker images", out)
    out = docker(env, "volume", "ls")
    need("pgdata" in out, "docker volume ls", out)
    out = docker(env, "events", "--since", "0", "--until", "60",
                 "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}")
    if variant == "head":
        need("container destroy" in out,
             "docker events: head must show web's destroy (at 40 s)", out)
        out = docker(env, "events", "--since", "0", "--until", "60",
                     "--filter", "event=destroy", "--format", "{{.Action}}")
        need(out == "destroy\n", "docker events --filter event=destroy",
             out)
    out = docker(env, "wait", db[0])
    need(out == "0\n", "docker wait on the exited db: its exit code", out)
    out = docker(env, "rm", "-f", db[0])
    need(db[0] in out, "docker rm -f: no id echoed", out)
    out = docker(env, "ps", "-a")
    need(" db" not in out, "docker ps -a: db still there after rm -f", out)
    r = subprocess.run(["docker", "run", "-d", "--name", "live1",
                        "nginx:latest"], env=env, capture_output=True,
                       text=True, timeout=STEP_TIMEOUT)
    need(r.returncode == 0 and re.fullmatch(r"[0-9a-f]{64}\n", r.stdout)
         and r.stderr == "", "docker run -d: an id and no error",
         r.stdout + r.stderr)
    out = docker(env, "ps")
    need(" live1" in out and "nginx:latest" in out,
         "docker ps: live1 running after docker run -d", out)
    r = subprocess.run(["docker", "run", "-d", "--name", "live1",
                        "nginx:latest"], env=env, capture_output=True,
                       text=True, timeout=STEP_TIMEOUT)
    need(r.returncode != 0 and "is already in use" in r.stderr,
         "docker run with a taken name: want the 409", r.stderr)
    r = subprocess.run(["docker", "rm", "nosuch"], env=env,
                       capture_output=True, text=True, timeout=STEP_TIMEOUT)
    need(r.returncode != 0 and "No such container: nosuch" in r.stderr,
         "docker rm nosuch: want the 404 message", r.stdout + r.stderr)
    if variant == "fixed":
        penv = docker_env(s.tmp, s.sock(
            "pipes", "rancher-desktop-2-docker_engine"))
        out = docker(penv, "ps", "-a")
        need("rdd-own" in out and " web" not in out,
             "fixed: RDD's pipe must show RDD's VM containers", out)
        out = docker(penv, "info")
        need("ID: RDD-VM-ENGINE-2" in out, "fixed: RDD's pipe info", out)
    rc, text = s.stop()
    need(rc == 130 and "verdict: scenario=dd-before-rdd variant=%s" % variant
         in text, "serve: exit 130 and a verdict line", text)
    if variant == "head":
        need(re.search(r"got=L6,S1,S2,S3 result=INTERRUPTED", text),
             "head: the I1 violations in the verdict", text)
        need("sim.invariant.violated" in text,
             "head: violations printed as they happen", text)
    print("live.py: %s: ok" % variant)


def case_sdk(rddsim, repo):
    try:
        import docker as dockersdk
    except ImportError:
        fail("python3-docker is not installed (scripts/install-deps)")
    s = Serve(rddsim, repo, "head", 1000)
    s.wait_line(r"^duration: ")
    c = dockersdk.APIClient(base_url="unix://" + s.sock("pipes",
                                                         "docker_engine"),
                            version="auto", timeout=STEP_TIMEOUT)
    if c.ping() is not True:
        fail("sdk: ping")
    v = c.version()
    need(v["ApiVersion"] == "1.47", "sdk: version", json.dumps(v))
    info = c.info()
    need(info["ID"] == "DD-ENGINE-0001" and info["Containers"] == 1,
         "sdk: info (Docker Desktop's engine, web removed)", json.dumps(info))
    ctrs = c.containers(all=True)
    names = [n for k in ctrs for n in k["Names"]]
    need(names == ["/db"], "sdk: containers", json.dumps(ctrs))
    full = c.inspect_container(ctrs[0]["Id"])
    need(full["State"]["Status"] == "exited", "sdk: inspect", json.dumps(full))
    imgs = c.images()
    need(len(imgs) == 2, "sdk: images", json.dumps(imgs))
    vols = c.volumes()
    need([x["Name"] for x in vols["Volumes"]] == ["pgdata"], "sdk: volumes",
         json.dumps(vols))
    evs = list(c.events(since=0, until=60, decode=True))
    need(any(e.get("Action") == "destroy" for e in evs), "sdk: events",
         json.dumps(evs))
    try:
        c.remove_container("nosuch")
        fail("sdk: removing nosuch succeeded")
    except dockersdk.errors.NotFound as e:
        need("No such container: nosuch" in str(e), "sdk: 404", str(e))
    try:
        c.remove_container("db")
    except dockersdk.errors.APIError as e:
        fail("sdk: rm db (exited): " + str(e))
    try:
        c.remove_volume("pgdata")
    except dockersdk.errors.APIError as e:
        fail("sdk: volume rm: " + str(e))
    try:
        c.remove_volume("pgdata")
        fail("sdk: second volume rm succeeded")
    except dockersdk.errors.NotFound:
        pass
    c.close()
    rc, text = s.stop()
    need(rc == 130, "sdk: serve exit", text)
    print("live.py: sdk: ok")


def raw(path, data, shut=True, read=True):
    """Sends data on a fresh connection; returns what came back."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(STEP_TIMEOUT)
    s.connect(path)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before the body is sent
    if shut:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    out = b""
    while read:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        out += b
    s.close()
    return out


def status_of(resp):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", resp)
    return int(m.group(1)) if m else None


def case_malformed(rddsim, repo):
    s = Serve(rddsim, repo, "head", 100)
    s.wait_line(r"^duration: ")  # RDD's VM (vm-2) is up
    path = s.sock("docker", "dd")
    ping = b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"
    cases = [
        ("bad request line", b"GARBAGE\r\n\r\n", 400),
        ("bad version", b"GET /_ping HTTP/9.9x\r\n\r\n", 400),
        ("huge header", b"GET /_ping HTTP/1.1\r\nX-A: " + b"a" * 200000 +
         b"\r\n\r\n", 431),
        ("bad chunked body",
         b"POST /containers/create HTTP/1.1\r\nHost: d\r\n"
         b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
        ("truncated JSON",
         b"POST /containers/create HTTP/1.1\r\nHost: d\r\n"
         b"Content-Type: application/json\r\nContent-Length: 9\r\n"
         b"Connection: close\r\n\r\n{\"Image\":", 400),
        ("10 MB body",
         b"POST /containers/create HTTP/1.1\r\nHost: d\r\n"
         b"Content-Length: 10485760\r\n\r\n" + b"x" * 10485760, 413),
        ("unknown path", b"GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n",
         404),
        ("too new", b"GET /v1.99/info HTTP/1.1\r\nConnection: close\r\n\r\n",
         400),
        ("404 container",
         b"GET /v1.47/containers/nosuch/json HTTP/1.1\r\n"
         b"Connection: close\r\n\r\n", 404),
        ("409 running", None, 409),
    ]
    for what, data, want in cases:
        if data is None:  # web is running until 40 s: at speed 100 it may be
            # gone; remove a running container of RDD's VM daemon instead
            lst = raw(s.sock("docker", "vm-2"),
                      b"GET /containers/json HTTP/1.1\r\n"
                      b"Connection: close\r\n\r\n")
            body = lst.split(b"\r\n\r\n", 1)[1]
            cid = json.loads(body)[0]["Id"].encode()
            r = raw(s.sock("docker", "vm-2"), b"DELETE /containers/" + cid +
                    b" HTTP/1.1\r\nConnection: close\r\n\r\n")
            need(status_of(r) == 409 and b"container is running" in r,
                 what, r.decode(errors="replace"))
        else:
            r = raw(path, data)
            need(status_of(r) == want, "%s: want %d" % (what, want),
                 r[:300].decode(errors="replace"))
            if want >= 400:
                body = r.split(b"\r\n\r\n", 1)[1]
                need(b'"message"' in body, what + ": {\"message\"} body",
                     body[:200].decode(errors="replace"))
        r = raw(path, ping)
        need(status_of(r) == 200 and r.endswith(b"OK"),
             what + ": the server must keep serving",
             r.decode(errors="replace"))
    # Disconnects: mid-request, mid-body and mid-events-stream.
    raw(path, b"GET /_pi", shut=False, read=False)
    raw(path, b"POST /containers/create HTTP/1.1\r\nContent-Length: 50\r\n"
        b"\r\n{\"Ima", shut=False, read=False)
    ev = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ev.settimeout(STEP_TIMEOUT)
    ev.connect(path)
    ev.sendall(b"GET /events?since=0 HTTP/1.1\r\n\r\n")
    head = ev.recv(65536)
    need(status_of(head) == 200 and b"chunked" in head, "events stream",
         head.decode(errors="replace"))
    ev.close()
    # Keep-alive: two pipelined requests on one connection.
    r = raw(path, b"GET /_ping HTTP/1.1\r\n\r\nGET /_ping HTTP/1.1\r\n"
            b"Connection: close\r\n\r\n")
    need(r.count(b"HTTP/1.1 200 OK") == 2, "pipelined pings",
         r.decode(errors="replace"))
    r = raw(path, ping)
    need(status_of(r) == 200, "after disconnects: still serving",
         r.decode(errors="replace"))
    rc, text = s.stop()
    need(rc == 130 and "verdict:" in text, "serve exit after bad input", text)
    print("live.py: malformed: ok (%d cases)" % (len(cases) + 4))


def verdict_words(text):
    out = []
    for ln in text.splitlines():
        if ln.startswith("violation:"):
            out.append(ln)
        m = re.match(r"verdict: .* events=(\d+) .*trace_hash=(\S+) "
                     r"expected=(\S+) got=(\S+) result=(\S+)", ln)
        if m:  # the same events and the same trace, byte for byte
            out.append("events=%s trace_hash=%s expected=%s got=%s "
                       "result=%s" % m.groups())
    return out


def case_same_verdict(rddsim, repo):
    """Every collision scenario x the variants it declares: serve --until-end
    (no client) runs the same events with the same trace hash as run."""
    files = sorted(glob.glob(os.path.join(repo, "scenarios/collisions",
                                          "*.yaml")))
    need(len(files) >= 4, "collision scenarios", "\n".join(files))
    n = 0
    for f in files:
        r = subprocess.run([rddsim, "list", "variants", f],
                           capture_output=True, text=True,
                           timeout=STEP_TIMEOUT)
        for variant in r.stdout.split()[:6]:
            r = subprocess.run([rddsim, "run", f, "--variant", variant],
                               capture_output=True, text=True,
                               timeout=STEP_TIMEOUT)
            s = Serve(rddsim, repo, variant, 1000000, ["--until-end"], f)
            try:
                rest, _ = s.p.communicate(timeout=STEP_TIMEOUT * 2)
            except subprocess.TimeoutExpired:
                fail("serve --until-end did not end")
            CURRENT.remove(s)
            shutil.rmtree(s.tmp, ignore_errors=True)
            live = rest.decode(errors="replace")
            a, b = verdict_words(r.stdout), verdict_words(live)
            need(a and a == b and s.p.returncode == r.returncode,
                 "%s %s: run and serve differ:\n%s\n---\n%s" % (
                     f, variant, "\n".join(a), "\n".join(b)), live)
            n += 1
            print("live.py: same-verdict %s %s: %s"
                  % (os.path.basename(f), variant, a[-1]))
    print("live.py: same-verdict: %d runs, run == serve" % n)


def case_record(rddsim, repo):
    """A live `docker rm -f web` before RDD starts (5 s) keeps I1's S1 from
    happening; the recorded file replays to the same violations."""
    s = Serve(rddsim, repo, "head", 8,
              ["--until-end", "--record", "{tmp}/rec.yaml"])
    rec = os.path.join(s.tmp, "rec.yaml")
    s.wait_line(r"^export DOCKER_HOST=unix://")
    env = docker_env(s.tmp, s.sock("pipes", "docker_engine"))
    docker(env, "rm", "-f", "web")
    try:
        rest, _ = s.p.communicate(timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        fail("serve --until-end did not end")
    CURRENT.remove(s)
    live = "\n".join(s.lines) + "\n" + (s.buf + rest).decode(errors="replace")
    need(os.path.exists(rec), "no recorded file", live)
    text = open(rec).read()
    need(re.search(r"- at: \d+us  # recorded live\n\s+do: docker.rm\n"
                   r"\s+daemon: dd\n\s+container: \"web\"\n\s+force: true",
                   text), "the recorded docker.rm step", text)
    r = subprocess.run([rddsim, "run", rec, "--variant", "head",
                        "--no-expect"], capture_output=True, text=True,
                       timeout=STEP_TIMEOUT)
    got_live = re.search(r"verdict: .* got=(\S+)", live)
    got_replay = re.search(r"verdict: .* got=(\S+)", r.stdout)
    need(got_live and got_replay, "verdicts", live + r.stdout + r.stderr)
    need(got_live.group(1) == got_replay.group(1),
         "live and replay differ: %s vs %s" % (got_live.group(1),
                                              got_replay.group(1)),
         live + "\n---\n" + r.stdout)
    need("S1" not in got_live.group(1),
         "the live rm of web came before RDD mirrored it: no S1", live)
    shutil.rmtree(s.tmp, ignore_errors=True)
    print("live.py: record: live and replay both got=" + got_live.group(1))


def case_refuse_dir(rddsim, repo):
    tmp = tempfile.mkdtemp(prefix="rddsim-live-")
    try:
        os.chmod(tmp, 0o755)
        r = subprocess.run([rddsim, "serve", os.path.join(repo, SCEN),
                            "--dir", tmp], capture_output=True, text=True,
                           timeout=STEP_TIMEOUT)
        need(r.returncode == 2 and "must be 0700" in r.stderr,
             "a 0755 --dir must be refused", r.stdout + r.stderr)
        need(not os.listdir(tmp), "nothing created in a refused dir",
             str(os.listdir(tmp)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("live.py: refuse-dir: ok")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    rddsim, repo, case = sys.argv[1:]
    if case == "same-verdict":
        case_same_verdict(rddsim, repo)
    elif case in ("cli-head", "cli-fixed"):
        case_cli(rddsim, repo, case[4:])
    elif case == "sdk":
        case_sdk(rddsim, repo)
    elif case == "malformed":
        case_malformed(rddsim, repo)
    elif case == "refuse-dir":
        case_refuse_dir(rddsim, repo)
    elif case == "record":
        case_record(rddsim, repo)
    else:
        print("live.py: unknown case " + case)
        sys.exit(2)


if __name__ == "__main__":
    main()
