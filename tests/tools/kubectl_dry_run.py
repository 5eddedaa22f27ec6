#!/usr/bin/env python3
"""kubectl_dry_run.py: `kubectl apply --dry-run=client --validate=false -f
MANIFEST` against a fake apiserver of our own (ctest explore.deploy.k8s).

Usage: kubectl_dry_run.py MANIFEST [KUBECTL]
kubectl maps each object's kind through the server's discovery and GETs it
before a client-side dry run, so it needs a server even then.  This script
serves discovery for v1 and batch/v1 only (404 for every object: nothing
exists) on 127.0.0.1 at a port the OS picks, points kubectl at it through a
kubeconfig in a private temporary directory, and never reaches a real
cluster.  Exit 0 when kubectl accepts the manifest, 1 when it does not, 77
(ctest's SKIP_RETURN_CODE) when kubectl is not installed.  Stdlib only.
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

RESOURCES = {
    "/api/v1": ("v1", [("persistentvolumeclaims", "PersistentVolumeClaim",
                        True), ("namespaces", "Namespace", False)]),
    "/apis/batch/v1": ("batch/v1", [("jobs", "Job", True)]),
}


def resource_list(gv, items):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": [{"name": n, "singularName": "", "kind": k,
                           "namespaced": ns,
                           "verbs": ["create", "delete", "get", "list",
                                     "patch", "update", "watch"]}
                          for n, k, ns in items]}


DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": []},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": "batch",
         "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}}]},
}
for path, (gv, items) in RESOURCES.items():
    DISCOVERY[path] = resource_list(gv, items)


class Fake(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        path = self.path.split("?")[0]
        if path in DISCOVERY:
            self.answer(200, DISCOVERY[path])
        else:
            self.answer(404, {"kind": "Status", "apiVersion": "v1",
                              "status": "Failure", "reason": "NotFound",
                              "code": 404, "message": "not found"})

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    manifest = os.path.abspath(sys.argv[1])
    kubectl = sys.argv[2] if len(sys.argv) > 2 else shutil.which("kubectl")
    if not kubectl or not os.access(kubectl, os.X_OK):
        print("kubectl_dry_run: kubectl not installed: skipped")
        return 77
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="kubectl-dry-") as tmp:
            os.chmod(tmp, 0o700)
            cfg = os.path.join(tmp, "kubeconfig")
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {{server: "http://127.0.0.1:{srv.server_address[1]}"}}
contexts:
- name: fake
  context: {{cluster: fake, user: fake, namespace: default}}
current-context: fake
users:
- name: fake
  user: {{}}
""")
            env = dict(os.environ, KUBECONFIG=cfg, HOME=tmp)
            p = subprocess.run([kubectl, "apply", "--dry-run=client",
                                "--validate=false", "-f", manifest],
                               capture_output=True, text=True, env=env,
                               timeout=60, check=False)
    finally:
        srv.shutdown()
    sys.stdout.write(p.stdout + p.stderr)
    return 0 if p.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
