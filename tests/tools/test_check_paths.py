#!/usr/bin/env python3
"""test_check_paths.py: unittest cases for check_paths.py (ctest label "tidy").

check_paths.py is run as a program on temporary trees: a clean one (RDD
citations, repository docs and the simulated homes pass), one with a bad
line planted per pattern (each is reported with its file:line:col and the
exit status is 1), the machine's own absolute paths ($HOME, the tree),
binary files and build directories (skipped), the check script itself (it
must not match its own patterns), and a git work tree, where only files in
the index count.  Only the standard library is used.
Run: python3 tests/tools/test_check_paths.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_paths.py")

# The names the check forbids, assembled so this file passes it too.
SH = "sha" + "red"
BAD_LINES = [
    "see /" + "work/" + SH + "/reference/x.md",
    "see ../" + SH + "/notes.md",
    "see ../../" + SH + "/peers/README.md",
    "cite " + SH + "/reference for it",
    "rdd-" + "behavior.md section 7",
    "review-" + "pr350.md, unresolved feedback",
    "platform-" + "semantics.md 1.4",
    "des-" + "workloads.md W1",
    "the style guide, STY" + "LE.md 10",
]

GOOD = """\
# RDD

Cites rdd/pkg/instance/instance.go:17-23 and docs/rdd/identity.md.
The simulated homes are /home/u/.rd2, C:\\Users\\u\\.docker and ~/.rd2;
BATS writes /tmp/bats-run-1/suite/file.  A word like homework/ or
shared/state is fine, and so is docs/platform.md.
"""


def run(root, env=None):
    e = dict(os.environ)
    e["HOME"] = "/home/u"
    if env:
        e.update(env)
    p = subprocess.run([sys.executable, CHECK, root], capture_output=True,
                       text=True, check=False, env=e)
    return p.returncode, p.stdout, p.stderr


def write(root, rel, text, mode="w"):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


class WalkTree(unittest.TestCase):
    """A temporary tree that is not a git work tree."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "repo")
        os.makedirs(self.root)
        write(self.root, "docs/rdd/README.md", GOOD)
        write(self.root, "sim/a.c", "/* see docs/rdd/limavm.md path 6 */\n")

    def tearDown(self):
        self.tmp.cleanup()

    def test_clean_tree_passes(self):
        rc, out, err = run(self.root)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("2 files, no path outside the repository", out)

    def test_every_pattern_is_reported(self):
        write(self.root, "scenarios/bad.yaml",
              "".join("# " + line + "\n" for line in BAD_LINES))
        rc, out, _ = run(self.root)
        self.assertEqual(rc, 1)
        lines = out.splitlines()
        for n in range(1, len(BAD_LINES) + 1):
            hits = [l for l in lines
                    if l.startswith("scenarios/bad.yaml:%d:" % n)]
            self.assertTrue(hits, "line %d not reported: %s" % (n, out))
        # file:line:col points at the match
        first = [l for l in lines if l.startswith("scenarios/bad.yaml:1:")][0]
        self.assertTrue(first.startswith("scenarios/bad.yaml:1:7: "), first)
        self.assertIn("names a path outside the repository", first)
        self.assertFalse([l for l in lines if "README.md" in l], out)

    def test_one_bad_line_fails_alone(self):
        for line in BAD_LINES:
            with self.subTest(line=line):
                write(self.root, "docs/x.md", "ok\n" + line + "\n")
                rc, out, _ = run(self.root)
                self.assertEqual(rc, 1, line)
                self.assertIn("docs/x.md:2:", out)

    def test_machine_paths(self):
        other = tempfile.TemporaryDirectory()
        self.addCleanup(other.cleanup)
        home = os.path.join(other.name, "someone")
        write(self.root, "docs/h.md", "notes in " + home + "/notes.txt\n")
        rc, out, _ = run(self.root, {"HOME": home})
        self.assertEqual(rc, 1)
        self.assertIn("docs/h.md:1:10:", out)
        rc, out, _ = run(self.root)  # HOME=/home/u: the simulated home
        self.assertEqual(rc, 0, out)
        write(self.root, "docs/h.md", "built in " + self.root + "/build\n")
        rc, out, _ = run(self.root)
        self.assertEqual(rc, 1)
        self.assertIn("docs/h.md:1:10:", out)
        write(self.root, "docs/h.md",
              "next to " + os.path.dirname(self.root) + "/other\n")
        rc, out, _ = run(self.root)
        self.assertEqual(rc, 1, out)

    def test_binary_and_build_dirs_are_skipped(self):
        write(self.root, "img.png", "\0PNG ../" + SH + "/x")
        write(self.root, "build/CMakeCache.txt", "../" + SH + "/x\n")
        write(self.root, "build-asan/log", "../" + SH + "/x\n")
        write(self.root, ".git/config", "../" + SH + "/x\n")
        rc, out, _ = run(self.root)
        self.assertEqual(rc, 0, out)

    def test_the_check_passes_itself(self):
        shutil.copy(CHECK, os.path.join(self.root, "check_paths.py"))
        shutil.copy(os.path.abspath(__file__),
                    os.path.join(self.root, "test_check_paths.py"))
        rc, out, _ = run(self.root)
        self.assertEqual(rc, 0, out)

    def test_usage(self):
        rc, _, err = run(os.path.join(self.root, "missing"))
        self.assertEqual(rc, 2)
        self.assertIn("not a directory", err)


@unittest.skipIf(shutil.which("git") is None, "git is not installed")
class GitTree(unittest.TestCase):
    """In a git work tree only files in the index are read."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        self.git("init", "-q")
        write(self.root, "README.md", GOOD)
        self.git("add", "README.md")

    def tearDown(self):
        self.tmp.cleanup()

    def git(self, *args):
        subprocess.run(["git", "-C", self.root] + list(args), check=True,
                       capture_output=True)

    def test_only_committed_files_count(self):
        write(self.root, "notes.md", BAD_LINES[0] + "\n")
        rc, out, _ = run(self.root)
        self.assertEqual(rc, 0, out)
        self.assertIn("1 files", out)
        self.git("add", "notes.md")
        rc, out, _ = run(self.root)
        self.assertEqual(rc, 1)
        self.assertIn("notes.md:1:5:", out)


if __name__ == "__main__":
    unittest.main()
