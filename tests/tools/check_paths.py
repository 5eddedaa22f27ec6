#!/usr/bin/env python3
"""check_paths.py: no committed file names a path outside the repository
(ctest label "tidy").

The repository's docs, scenario headers, report template and code comments
must stand alone: they cite RDD's public source (rdd/pkg/...:line) or the
repository's own docs/, never a file a user who clones the repository does
not have.  This check reads every committed file (`git ls-files`; when ROOT
is not a git work tree, every file under ROOT except .git/ and build*/) and
reports each occurrence of

  - the development machine's tree: an absolute path under its work
    directory, a relative path up into its shared directory, and that
    directory's reference, peers and style-guide files;
  - the reference documents kept there, by name: the RDD behaviour
    reference, the PR #350 review notes, the platform semantics notes, the
    DES workload notes and the style guide (their file names are assembled
    below, so this file does not name them itself);
  - absolute paths of the machine running the check: ROOT itself, its
    parent directory, and the user's $HOME (unless $HOME is the simulated
    user's /home/u, which the models use on purpose; so are C:\\Users\\u and
    /tmp/bats-run-1).

as

    file:line:col: names a path outside the repository: 'TEXT'

and exits 1 if there was any, else prints a one-line summary and exits 0.
Binary files (a NUL byte in the first 8 KiB) are skipped.  Only the
standard library is used.

Usage: check_paths.py [ROOT]        (default: the current directory)
Self-test: tests/tools/test_check_paths.py
"""

import os
import re
import subprocess
import sys

# Assembled from parts so that this file does not match its own patterns.
_REF_DOCS = ["rdd-" + "behavior", "review-" + "pr350", "platform-" + "semantics",
             "des-" + "workloads", "STY" + "LE"]
_SHARED = "sha" + "red"

FIXED_PATTERNS = [
    r"(?<![\w.-])/" + "work" + r"/",            # anything under the work dir
    r"\.\./+" + _SHARED + r"\b",                # up into the shared dir
    _SHARED + r"/(?:reference|peers|" + "STY" + r"LE)",
] + [re.escape(name) + r"\.md\b" for name in _REF_DOCS]

SIMULATED_HOMES = {"/home/u"}


def machine_patterns(root):
    """Absolute paths of this machine: the checked tree, its parent, $HOME."""
    out = []
    root = os.path.realpath(root)
    for p in (root, os.path.dirname(root)):
        # Two levels at least (/a/b): a bare /tmp or /home is not flagged.
        if p.count("/") >= 2:
            out.append(re.escape(p) + r"(?=/|\b)")
    home = os.environ.get("HOME", "")
    home = os.path.realpath(home) if home else ""
    if home and home != "/" and home not in SIMULATED_HOMES:
        out.append(re.escape(home) + r"/")
    return out


def committed_files(root):
    """git ls-files under root, or a walk when root is not a git work tree."""
    try:
        p = subprocess.run(["git", "-C", root, "ls-files", "-z"],
                           capture_output=True, check=False)
        inside = subprocess.run(["git", "-C", root, "rev-parse",
                                 "--show-prefix"],
                                capture_output=True, text=True, check=False)
    except OSError:
        p = inside = None
    # Only a tree that is the top of its own work tree counts as "in git";
    # a directory inside some other repository (prefix non-empty) is walked.
    if p is not None and p.returncode == 0 and inside.returncode == 0 \
            and inside.stdout.strip() == "":
        return sorted(f for f in p.stdout.decode().split("\0") if f)
    files = []
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(x for x in dirs
                         if x != ".git" and not x.startswith("build"))
        for n in sorted(names):
            files.append(os.path.relpath(os.path.join(d, n), root))
    return files


def check(root):
    """Returns (number of files read, list of findings)."""
    pats = [re.compile(p) for p in FIXED_PATTERNS + machine_patterns(root)]
    findings = []
    nfiles = 0
    for rel in committed_files(root):
        path = os.path.join(root, rel)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue  # listed but deleted in the work tree, or a socket
        if b"\0" in data[:8192]:
            continue
        nfiles += 1
        text = data.decode("utf-8", errors="replace")
        for ln, line in enumerate(text.split("\n"), 1):
            for pat in pats:
                for m in pat.finditer(line):
                    findings.append((rel, ln, m.start() + 1, m.group(0)))
    findings.sort()
    return nfiles, findings


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print("usage: check_paths.py [ROOT]", file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else "."
    if not os.path.isdir(root):
        print("check_paths.py: %s: not a directory" % root, file=sys.stderr)
        return 2
    nfiles, findings = check(root)
    for rel, ln, col, text in findings:
        print("%s:%d:%d: names a path outside the repository: '%s'"
              % (rel, ln, col, text))
    if findings:
        print("check_paths: %d occurrence(s) in %d file(s) read"
              % (len(findings), nfiles), file=sys.stderr)
        return 1
    print("check_paths: %d files, no path outside the repository" % nfiles)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
