#!/usr/bin/env python3
"""Live mode's Kubernetes API (`rddsim serve`) against kubectl and a raw
stdlib client, bounded in count and time.

usage: live_kube.py RDDSIM REPO CASE

Cases:
  kubectl-get      kubectl get containers lists the 12 mirrors of
                   cleanup/lag-above-timeout; get -o json has the App; a
                   missing object is 404 NotFound in kubectl's words
  kubectl-watch    kubectl get containers -w under that scenario's 45 s
                   watch-cache lag spike: once a GET (etcd) says a mirror
                   is gone, the watch (the cache) has not shown it DELETED
                   yet; later it does, for all 12
  kubectl-delete   finalizers/delete-forwards-to-docker: kubectl delete of
                   the in-use image's mirror keeps it with a
                   deletionTimestamp and its finalizer (Docker refuses) until
                   the container is removed, then `kubectl wait --for=delete`
                   sees it go; a container's mirror delete (kubectl waits)
                   ends when RDD removed the finalizer
  kubectl-i1       collisions/dd-before-rdd under head: kubectl deletes the
                   mirror of Docker Desktop's db; docker ps -a on
                   Docker Desktop's socket no longer lists it (I1)
  kubectl-patch    kubectl patch app app --type merge sets spec.running
                   (generation + 1, as `rdd set` does); a wrong type is 422,
                   a stale resourceVersion 409, a strategic patch 415
  api              a stdlib HTTP client on DIR/kube/<i>.sock: discovery,
                   /version, LIST resourceVersion, a Table (the CRD's
                   printer columns), a watch's chunks (ADDED
                   lines, then a live MODIFIED), 410 Expired for an old
                   resourceVersion, Status codes 400/404/405/409/415/422,
                   malformed HTTP 400, the TCP port on 127.0.0.1 only
  record           --record: a kubectl delete, a patch and a docker stop
                   become kube.delete, app.patch and docker.api steps, and
                   the recorded file runs them

kubectl needs /usr/bin/kubectl (or kubectl on PATH); without it the kubectl
cases exit 77 (skipped).  KUBECONFIG always names the served kubeconfig and
HOME a temporary directory, so no real cluster is ever reached.
"""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live  # noqa: E402  (Serve, fail)

SKIP = 77
STEP = 30  # seconds, per client command or wait
LAG = "scenarios/cleanup/lag-above-timeout.yaml"
FIN = "scenarios/finalizers/delete-forwards-to-docker.yaml"
fail = live.fail


def kubectl_path():
    for p in ("/usr/bin/kubectl", shutil.which("kubectl") or ""):
        if p and os.access(p, os.X_OK):
            return p
    return None


class Kube:
    """kubectl against one served instance, isolated from the user's
    config."""

    def __init__(self, srv, inst):
        self.srv = srv
        self.inst = inst
        self.conf = os.path.join(srv.dir, "kube", inst + ".kubeconfig")
        self.sock = os.path.join(srv.dir, "kube", inst + ".sock")
        home = os.path.join(srv.tmp, "home")
        os.makedirs(home, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("KUBE")}
        self.env.update(KUBECONFIG=self.conf, HOME=home)
        self.exe = kubectl_path()

    def run(self, *args, ok=True, timeout=STEP):
        p = subprocess.run([self.exe, "--request-timeout=20s"] + list(args),
                           env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        if ok and p.returncode != 0:
            fail("kubectl %s: exit %d\n%s%s" % (" ".join(args), p.returncode,
                                                p.stdout, p.stderr))
        return p

    def popen(self, *args, out):
        return subprocess.Popen([self.exe] + list(args), env=self.env,
                                stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=live.die_with_parent)

    def wait_for(self, what, pred, timeout=STEP):
        """Polls pred() (a client call each time) until true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = pred()
            if v:
                return v
            time.sleep(0.1)
        fail("timed out waiting for " + what)


def serve(rddsim, repo, scen, speed, extra=()):
    srv = live.Serve(rddsim, repo, "head", speed, extra=list(extra),
                     scen=os.path.join(repo, scen))
    srv.wait_line(r"^serving at")
    return srv


def stop(srv):
    """SIGINT: exit 130, the verdict, and no sanitizer report."""
    rc, text = srv.stop()
    if rc != 130 or "verdict:" not in text or "Sanitizer" in text or \
            "runtime error" in text:
        fail("serve ended badly (exit %s):\n%s" % (rc, text[-4000:]))
    return text


def names(k, kind):
    p = k.run("get", kind, "-o", "json")
    return [i["metadata"]["name"] for i in json.loads(p.stdout)["items"]]


def case_get(rddsim, repo):
    # speed 2: 15 s of wall time between the 12 mirrors and their deletion
    srv = serve(rddsim, repo, LAG, 2)
    k = Kube(srv, "4")
    k.wait_for("12 container mirrors", lambda: len(names(k, "containers"))
               == 12)
    p = k.run("get", "containers")
    rows = p.stdout.strip().splitlines()
    # server-side printing: the CRD's printer column Running, then Age
    if rows[0].split() != ["NAME", "RUNNING", "AGE"] or len(rows) != 13:
        fail("kubectl get containers:\n" + p.stdout)
    app = json.loads(k.run("get", "app", "app", "-o", "json").stdout)
    if (app["kind"] != "App" or
            app["apiVersion"] != "app.rancherdesktop.io/v1alpha1" or
            app["spec"]["running"] is not True or
            app["spec"]["containerEngine"]["name"] != "moby"):
        fail("kubectl get app app -o json: %r" % app)
    p = k.run("get", "container", "nosuch", ok=False)
    want = ('Error from server (NotFound): containers.containers.'
            'rancherdesktop.io "nosuch" not found')
    if p.returncode != 1 or want not in p.stderr:
        fail("kubectl get container nosuch: exit %d\n%s" % (p.returncode,
                                                           p.stderr))
    p = k.run("api-resources", "--api-group=containers.rancherdesktop.io")
    for r in ("containers", "images", "volumes", "containernamespaces"):
        if not re.search(r"^%s\s" % r, p.stdout, re.M):
            fail("api-resources lacks %s:\n%s" % (r, p.stdout))
    stop(srv)
    print("live_kube.py: kubectl-get: ok (%d rows)" % (len(rows) - 1))


def case_watch(rddsim, repo):
    """The engine deletes the 12 mirrors at about 40 s; the mirror kinds'
    watch caches apply commits of 40-50 s 45 s late.  At speed 3 that is
    15 wall seconds between etcd and the watch, and 10 s to start the watch
    before the deletions."""
    srv = serve(rddsim, repo, LAG, 3)
    k = Kube(srv, "4")
    k.wait_for("12 container mirrors", lambda: len(names(k, "containers"))
               == 12)
    first = sorted(names(k, "containers"))[0]
    wpath = os.path.join(srv.tmp, "watch.out")
    with open(wpath, "w") as wf:
        w = k.popen("get", "containers", "-w", "--output-watch-events",
                    "--no-headers", out=wf)
    try:
        def gone():
            p = k.run("get", "container", first, ok=False)
            return p.returncode != 0 and "NotFound" in p.stderr

        k.wait_for("the mirror gone from etcd", gone, timeout=60)
        with open(wpath) as f:
            seen = f.read()
        if re.search(r"^DELETED\s+%s" % first, seen, re.M):
            fail("the watch showed DELETED as soon as etcd did: no lag\n"
                 + seen)
        if len(re.findall(r"^ADDED\s", seen, re.M)) != 12:
            fail("the watch did not start with 12 ADDED:\n" + seen)

        def all_deleted():
            with open(wpath) as f:
                return len(re.findall(r"^DELETED\s", f.read(), re.M)) == 12

        k.wait_for("12 DELETED on the watch", all_deleted, timeout=60)
    finally:
        w.kill()
        w.wait()
    stop(srv)
    print("live_kube.py: kubectl-watch: ok (DELETED %s arrived after etcd "
          "had dropped it)" % first[:12])


def case_delete(rddsim, repo):
    srv = serve(rddsim, repo, FIN, 2)
    k = Kube(srv, "2")
    k.wait_for("2 image mirrors", lambda: len(names(k, "images")) == 2)

    def mirror(kind, field, val):
        items = json.loads(k.run("get", kind, "-o", "json").stdout)["items"]
        for i in items:
            if i.get("status", {}).get(field) == val:
                return i
        return None

    img = mirror("images", "repoTag", "busybox:latest")["metadata"]["name"]
    p = k.run("delete", "image", img, "--wait=false")
    if "deleted" not in p.stdout:
        fail("kubectl delete image: " + p.stdout)
    o = json.loads(k.run("get", "image", img, "-o", "json").stdout)
    md = o["metadata"]
    if not md.get("deletionTimestamp") or not md.get("finalizers"):
        fail("the in-use image's mirror lost its finalizer: %r" % md)
    # Deleting the created container's mirror: kubectl waits (a watch with
    # fieldSelector metadata.name) until RDD forwarded it to Docker and
    # removed the finalizer.
    ctr = mirror("containers", "name", "test-delete")["metadata"]["name"]
    p = k.run("delete", "container", ctr, "--timeout=25s", timeout=40)
    if "deleted" not in p.stdout:
        fail("kubectl delete container: " + p.stdout)
    if k.run("get", "container", ctr, ok=False).returncode == 0:
        fail("the container mirror is still there after kubectl delete")
    # The timeline removes test-inuse at 50 s: the image is free, the
    # engine's retry deletes it and the mirror goes.
    p = k.run("wait", "--for=delete", "image/" + img, "--timeout=60s",
              timeout=80)
    stop(srv)
    print("live_kube.py: kubectl-delete: ok")


def case_i1(rddsim, repo):
    """collisions/dd-before-rdd under head: the real kubectl deletes the
    mirror of Docker Desktop's `db`, and the real docker CLI, on Docker
    Desktop's own socket, no longer lists it (review I1, by hand)."""
    if not shutil.which("docker"):
        fail("no docker client on PATH (scripts/install-deps installs one)")
    srv = serve(rddsim, repo, "scenarios/collisions/dd-before-rdd.yaml", 5)
    k = Kube(srv, "2")
    env = live.docker_env(srv.tmp, os.path.join(srv.dir, "docker", "dd.sock"))

    def db_mirror():
        # 503 until the instance's service has started (5 s)
        p = k.run("get", "containers", "-o", "json", ok=False)
        if p.returncode != 0:
            return None
        items = json.loads(p.stdout)["items"]
        for i in items:
            if i.get("status", {}).get("name") == "db":
                return i["metadata"]["name"]
        return None

    ctr = k.wait_for("the mirror of Docker Desktop's db", db_mirror,
                     timeout=60)
    if "db" not in live.docker(env, "ps", "-a", "--format", "{{.Names}}"):
        fail("docker ps -a on dd.sock does not list db before the delete")
    p = k.run("delete", "container", ctr, "--timeout=25s", timeout=40)
    if "deleted" not in p.stdout:
        fail("kubectl delete container: " + p.stdout)
    k.wait_for("db gone from Docker Desktop's daemon",
               lambda: "db" not in live.docker(env, "ps", "-a", "--format",
                                               "{{.Names}}").split())
    text = stop(srv)
    if "S1" not in text:
        fail("no S1 in the verdict after deleting Docker Desktop's "
             "container:\n" + text[-2000:])
    print("live_kube.py: kubectl-i1: ok")


def case_patch(rddsim, repo):
    srv = serve(rddsim, repo, FIN, 2)
    k = Kube(srv, "2")

    def app():
        p = k.run("get", "app", "app", "-o", "json", ok=False)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def running(want):
        a = app()
        return a and any(c["type"] == "Running" and c["status"] == want
                         for c in a["status"].get("conditions", [])) and a

    # RDD has the VM running before the patch stops it.
    a0 = k.wait_for("Running=True", lambda: running("True"), timeout=60)
    p = k.run("patch", "app", "app", "--type", "merge", "-p",
              '{"spec":{"running":false}}')
    if "app.app.rancherdesktop.io/app patched" not in p.stdout:
        fail("kubectl patch: " + p.stdout)
    a1 = app()
    if (a1["spec"]["running"] is not False or
            a1["metadata"]["generation"] != a0["metadata"]["generation"] + 1):
        fail("patch did not set running=false at generation+1: %r -> %r"
             % (a0["metadata"], a1))
    p = k.run("patch", "app", "app", "--type", "merge", "-p",
              '{"spec":{"running":"yes"}}', ok=False)
    if p.returncode == 0 or ("spec.running in body must be of type boolean"
                             not in p.stderr):
        fail("a string for spec.running: %s" % p.stderr)
    p = k.run("patch", "app", "app", "--type", "merge", "-p",
              '{"metadata":{"resourceVersion":"1"},"spec":{"running":true}}',
              ok=False)
    if p.returncode == 0 or "Conflict" not in p.stderr:
        fail("a stale resourceVersion: %s" % p.stderr)
    p = k.run("patch", "app", "app", "-p", '{"spec":{"running":true}}',
              ok=False)
    if p.returncode == 0 or "application/merge-patch+json" not in p.stderr:
        fail("a strategic merge patch: %s" % p.stderr)
    # RDD reacts: the App's Running condition turns False.
    k.wait_for("Running=False", lambda: running("False"), timeout=60)
    stop(srv)
    print("live_kube.py: kubectl-patch: ok")


# raw API -------------------------------------------------------------------

class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=STEP)
        self.upath = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(STEP)
        self.sock.connect(self.upath)


def req(sock, method, path, body=None, ctype=None):
    c = UnixHTTP(sock)
    h = {"Content-Type": ctype} if ctype else {}
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def expect_status(sock, method, path, code, reason, body=None, ctype=None):
    st, j = req(sock, method, path, body, ctype)
    if st != code or not isinstance(j, dict) or j.get("kind") != "Status" \
            or j.get("code") != code or j.get("reason") != reason:
        fail("%s %s: want %d %s, got %d %r" % (method, path, code, reason,
                                               st, j))
    return j


CTR = "/apis/containers.rancherdesktop.io/v1alpha1"
APP = "/apis/app.rancherdesktop.io/v1alpha1/apps"


def watch_lines(sock, path, n, timeout=STEP):
    """The first n JSON lines of a watch, read as they come (http.client
    undoes the chunking)."""
    c = UnixHTTP(sock)
    c.request("GET", path)
    r = c.getresponse()
    if r.status != 200 or r.getheader("Transfer-Encoding") != "chunked":
        fail("watch %s: %d %s" % (path, r.status, r.getheaders()))
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        ln = r.readline()
        if not ln:
            break
        out.append(json.loads(ln))
    return c, out


def case_api(rddsim, repo):
    srv = serve(rddsim, repo, FIN, 2)
    sock = os.path.join(srv.dir, "kube", "2.sock")
    port = int(srv.wait_line(r"^kube 2: ").rsplit(":", 1)[1])
    st, v = req(sock, "GET", "/version")
    if st != 200 or v.get("major") != "1" or "gitVersion" not in v:
        fail("/version: %d %r" % (st, v))
    st, a = req(sock, "GET", "/apis")
    groups = sorted(g["name"] for g in a["groups"])
    if groups != ["app.rancherdesktop.io", "containers.rancherdesktop.io",
                  "lima.rancherdesktop.io"]:
        fail("/apis groups: %r" % groups)
    st, rl = req(sock, "GET", CTR)
    plurals = sorted(r["name"] for r in rl["resources"]
                     if "/" not in r["name"])
    if plurals != ["containernamespaces", "containers", "images", "volumes"]:
        fail("%s resources: %r" % (CTR, plurals))
    st, core = req(sock, "GET", "/api")
    if core.get("versions") != ["v1"]:
        fail("/api: %r" % core)
    # wait for the mirrors
    deadline = time.monotonic() + STEP
    while True:
        st, lst = req(sock, "GET", CTR + "/namespaces/default/containers")
        if st == 200 and len(lst["items"]) == 2:
            break
        if time.monotonic() > deadline:
            fail("no 2 container mirrors: %d %r" % (st, lst))
        time.sleep(0.1)
    rv = int(lst["metadata"]["resourceVersion"])
    deadline = time.monotonic() + STEP
    while True:  # the image mirrors may come after the containers'
        c = UnixHTTP(sock)
        c.request("GET", CTR + "/namespaces/default/images", headers={
            "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,"
                      "application/json"})
        tab = json.loads(c.getresponse().read())
        c.close()
        if len(tab.get("rows", [])) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if tab.get("kind") != "Table" or \
            [d["name"] for d in tab["columnDefinitions"]] != \
            ["Name", "Tag", "Created", "Size", "Age"] or \
            sorted(r["cells"][1] for r in tab["rows"]) != \
            ["alpine:3.20", "busybox:latest"]:
        fail("images as a Table: %r" % tab)
    if lst["kind"] != "ContainerList" or rv <= 0:
        fail("LIST: %r" % lst["metadata"])
    # a watch from scratch: ADDED for each, then live
    c, evs = watch_lines(sock, CTR + "/containers?watch=1", 2)
    if [e["type"] for e in evs] != ["ADDED", "ADDED"]:
        fail("watch from 0: %r" % evs)
    c.close()
    # a live change: annotate the App, watch it from the LIST's RV
    st, apps = req(sock, "GET", APP)
    arv = apps["metadata"]["resourceVersion"]
    c, _ = None, None
    conn = UnixHTTP(sock)
    conn.request("GET", APP + "?watch=true&resourceVersion=" + arv)
    wr = conn.getresponse()
    st, j = req(sock, "PATCH", APP + "/app",
                json.dumps({"metadata": {"annotations": {"t": "1"}}}),
                "application/merge-patch+json")
    if st != 200 or j["metadata"]["annotations"].get("t") != "1":
        fail("annotation patch: %d %r" % (st, j))
    ev = None
    deadline = time.monotonic() + STEP
    while time.monotonic() < deadline:
        e = json.loads(wr.readline())
        if e["type"] == "MODIFIED" and \
                e["object"]["metadata"].get("annotations", {}).get("t") == "1":
            ev = e
            break
    if not ev or int(ev["object"]["metadata"]["resourceVersion"]) <= int(arv):
        fail("no MODIFIED after the patch: %r" % ev)
    if ev["object"]["metadata"]["generation"] != j["metadata"]["generation"]:
        fail("an annotation bumped the generation")
    conn.close()
    # too old a resourceVersion: 200, one ERROR event, the end
    c, evs = watch_lines(sock, CTR + "/containers?watch=1&resourceVersion=1",
                         2)
    if len(evs) != 1 or evs[0]["type"] != "ERROR" or \
            evs[0]["object"]["code"] != 410 or \
            evs[0]["object"]["reason"] != "Expired":
        fail("watch from RV 1: %r" % evs)
    c.close()
    # Status codes
    expect_status(sock, "GET", CTR + "/namespaces/default/containers/nosuch",
                  404, "NotFound")
    expect_status(sock, "GET", "/apis/nosuch.io/v1/things", 404, "NotFound")
    expect_status(sock, "POST", CTR + "/namespaces/default/containers", 405,
                  "MethodNotAllowed", body="{}",
                  ctype="application/json")
    expect_status(sock, "GET", CTR + "/containers?fieldSelector=spec.x%3D1",
                  400, "BadRequest")
    expect_status(sock, "PATCH", APP + "/app", 415, "UnsupportedMediaType",
                  body="{}", ctype="application/json-patch+json")
    j = expect_status(sock, "PATCH", APP + "/app", 422, "Invalid",
                      body='{"spec":{"running":3}}',
                      ctype="application/merge-patch+json")
    if j["details"]["causes"][0]["field"] != "spec.running":
        fail("422 causes: %r" % j)
    expect_status(sock, "PATCH", APP + "/app", 409, "Conflict",
                  body='{"metadata":{"resourceVersion":"2"}}',
                  ctype="application/merge-patch+json")
    expect_status(sock, "DELETE", APP + "/app", 409, "Conflict",
                  body='{"preconditions":{"uid":"nope"}}',
                  ctype="application/json")
    expect_status(sock, "DELETE", CTR + "/namespaces/default/volumes/x",
                  404, "NotFound")
    # malformed HTTP: 400 and the connection closes
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(STEP)
    s.connect(sock)
    s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    if not data.startswith(b"HTTP/1.1 400"):
        fail("malformed: %r" % data[:200])
    # the TCP port: listening on 127.0.0.1 only (no 0.0.0.0, no IPv6)
    listen = []
    for tab in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(tab) as fh:
                next(fh)
                for ln in fh:
                    f = ln.split()
                    if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) \
                            == port:
                        listen.append(f[1].rsplit(":", 1)[0])
        except OSError:
            pass
    if listen != ["0100007F"]:
        fail("port %d listens on %r, not 127.0.0.1 alone" % (port, listen))
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=STEP)
    c.request("GET", "/version")
    if c.getresponse().status != 200:
        fail("TCP /version")
    c.close()
    stop(srv)
    print("live_kube.py: api: ok")


def case_record(rddsim, repo):
    out = os.path.join(tempfile.mkdtemp(prefix="rddsim-rec-"), "rec.yaml")
    try:
        srv = serve(rddsim, repo, FIN, 2, extra=["--record", out])
        k = Kube(srv, "2")
        k.wait_for("2 image mirrors", lambda: len(names(k, "images")) == 2)
        items = json.loads(k.run("get", "images", "-o", "json").stdout)
        img = [i["metadata"]["name"] for i in items["items"]
               if i["status"].get("repoTag") == "alpine:3.20"][0]
        k.run("delete", "image", img, "--wait=false")
        k.run("patch", "app", "app", "--type", "merge", "-p",
              '{"spec":{"kubernetes":{"enabled":true}}}')
        # docker stop on the VM's daemon: no action but docker.api
        st, _ = req(os.path.join(srv.dir, "docker", "vm-2.sock"), "POST",
                    "/v1.47/containers/test-inuse/stop")
        if st != 204:
            fail("docker stop over the API: %d" % st)
        text = stop(srv)
        if "recorded: 3 call(s)" not in text:
            fail("serve did not record 3 calls:\n" + text[-2000:])
        rec = open(out).read()
        for want in ("do: kube.delete", 'docker_name: "alpine:3.20"',
                     "do: app.patch", 'key: "kubernetes.enabled"',
                     'value: "true"', "do: docker.api", "op: ContainerStop",
                     'ref: "test-inuse"'):
            if want not in rec:
                fail("recorded file lacks %r:\n%s" % (want, rec))
        p = subprocess.run([rddsim, "run", out, "--variant", "head",
                            "--log", "-", "--only", "ev=sim.action"],
                           capture_output=True, text=True, timeout=120)
        if p.returncode not in (0, 1):
            fail("rddsim run %s: exit %d\n%s" % (out, p.returncode,
                                                 p.stderr))
        if "kube.delete" not in p.stdout or "app.patch" not in p.stdout \
                or "do=docker.api what=test-inuse rc=OK" not in p.stdout:
            fail("the replay did not run the recorded steps:\n"
                 + p.stdout[-3000:] + p.stderr[-2000:])
    finally:
        shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    print("live_kube.py: record: ok")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    rddsim, repo, case = sys.argv[1:]
    cases = {"kubectl-get": case_get, "kubectl-watch": case_watch,
             "kubectl-delete": case_delete, "kubectl-patch": case_patch,
             "kubectl-i1": case_i1,
             "api": case_api, "record": case_record}
    if case not in cases:
        print("live_kube.py: unknown case " + case)
        sys.exit(2)
    if (case.startswith("kubectl") or case == "record") and \
            not kubectl_path():
        print("live_kube.py: %s: skipped, no kubectl" % case)
        sys.exit(SKIP)
    cases[case](rddsim, repo)


if __name__ == "__main__":
    main()
