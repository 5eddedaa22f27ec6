#!/usr/bin/env python3
"""The output-file cases of --trace-format perfetto and --junit.

Usage: pictures_cases.py RDDSIM ROOT CASE      (CASE: see CASES below)

Each case runs rddsim in a private temporary directory and checks the exit
code, the message, and what is left on disk.
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

DD = "scenarios/collisions/dd-before-rdd.yaml"


def run(rddsim, root, args):
    return subprocess.run([rddsim] + args, cwd=root, capture_output=True,
                          text=True, timeout=600)


def devfull(rddsim, root, tmp):
    """A document that cannot be written: exit 3, the reason named."""
    p = run(rddsim, root, ["run", DD, "--variant", "head", "--trace",
                           "/dev/full", "--trace-format", "perfetto"])
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "--trace /dev/full: No space left on device" in p.stderr, p.stderr


def nodir(rddsim, root, tmp):
    """A directory that is not there: exit 3 before any run, nothing left."""
    out = os.path.join(tmp, "missing", "run.json")
    p = run(rddsim, root, ["run", DD, "--variant", "head", "--trace", out,
                           "--trace-format", "perfetto"])
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "No such file or directory" in p.stderr, p.stderr
    assert not os.path.exists(os.path.dirname(out))


def tmp_renamed(rddsim, root, tmp):
    """A regular file is written as FILE.tmp and renamed: no tmp left."""
    out = os.path.join(tmp, "run.json")
    p = run(rddsim, root, ["run", DD, "--variant", "head", "--trace", out,
                           "--trace-format", "perfetto"])
    assert p.returncode == 0, (p.returncode, p.stderr)
    assert os.listdir(tmp) == ["run.json"], os.listdir(tmp)
    with open(out, encoding="utf-8") as f:
        assert f.read().endswith("\n]}\n")


def bad_format(rddsim, root, tmp):
    """An unknown format and a format without --trace are usage errors."""
    p = run(rddsim, root, ["run", DD, "--trace", "-", "--trace-format",
                           "chrome"])
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "--trace-format chrome: jsonl or perfetto" in p.stderr, p.stderr
    p = run(rddsim, root, ["run", DD, "--trace-format", "perfetto"])
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "--trace-format needs --trace FILE" in p.stderr, p.stderr


def seeds_one_doc(rddsim, root, tmp):
    """--seeds into one file: one document, a run process per seed."""
    out = os.path.join(tmp, "runs.json")
    p = run(rddsim, root, ["run", DD, "--variant", "head", "--seeds", "1..3",
                           "--trace", out, "--trace-format", "perfetto"])
    assert p.returncode == 0, (p.returncode, p.stderr)
    check = os.path.join(root, "tests", "tools", "perfetto_check.py")
    c = subprocess.run([sys.executable, check, out], capture_output=True,
                       text=True)
    assert c.returncode == 0, c.stdout
    import json
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    runs = sorted(e["args"]["name"] for e in doc["traceEvents"]
                  if e["ph"] == "M" and e["name"] == "process_name"
                  and e["args"]["name"].startswith("rddsim "))
    assert runs == [f"rddsim dd-before-rdd variant head seed {s}"
                    for s in (1, 2, 3)], runs


def junit_devfull(rddsim, root, tmp):
    """A JUnit file that cannot be written: exit 3."""
    p = run(rddsim, root, ["suite", "tests/cli/suite/tiny.yaml", "--junit",
                           "/dev/full"])
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "--junit /dev/full: No space left on device" in p.stderr, p.stderr


def junit_xml(rddsim, root, tmp):
    """suite --junit: well-formed XML, a testcase per scenario x variant
    (the table's rows), a MISMATCH as <failure> with every violation in
    words, a file that does not load as <error>, names and text escaped,
    the counts right, and the suite's exit code unchanged (2: an error)."""
    out = os.path.join(tmp, "suite.xml")
    p = run(rddsim, root, ["suite", "tests/pictures/junit", "--junit", out])
    assert p.returncode == 2, (p.returncode, p.stderr)
    rows = [l for l in p.stdout.splitlines()[1:] if l and
            not l.startswith("suite:")]
    top = ET.parse(out).getroot()
    assert top.tag == "testsuites", top.tag
    cases = top.findall("./testsuite/testcase")
    assert len(cases) == len(rows) == 3, (len(cases), rows)
    assert int(top.get("tests")) == 3, top.attrib
    assert (top.get("failures"), top.get("errors")) == ("1", "1"), top.attrib
    names = [(c.get("classname"), c.get("name")) for c in cases]
    assert names == [("tests/pictures/junit/a-broken.yaml", "-"),
                     ("wrong-expect <&>", "head"),
                     ("wrong-expect <&>", "fixed")], names
    err = cases[0].find("error")
    assert err is not None and "a-broken.yaml:6:11: duration must be" in err.text, err
    fail = cases[1].find("failure")
    assert fail is not None, ET.tostring(cases[1])
    assert fail.get("message") == \
        "MISMATCH: expected none, got L6,S1,S2,S3", fail.attrib
    text = fail.text
    for want in ("violation: S1 at ", "to daemon 'dd' (DD-ENGINE-0001)",
                 "listen on \\\\.\\pipe\\docker_engine: open"):
        assert want in text, (want, text)
    assert text.count("violation: ") == 4, text
    assert cases[2].find("failure") is None and \
        cases[2].find("error") is None


CASES = {f.__name__.replace("_", "-"): f for f in
         (devfull, nodir, tmp_renamed, bad_format, seeds_one_doc,
          junit_devfull, junit_xml)}


def main(argv):
    if len(argv) == 4 and argv[3] == "--list":
        print("\n".join(CASES))
        return 0
    if len(argv) != 4 or argv[3] not in CASES:
        print(__doc__)
        return 2
    rddsim, root, case = os.path.abspath(argv[1]), argv[2], argv[3]
    with tempfile.TemporaryDirectory(prefix="rddsim-pictures-") as tmp:
        os.chmod(tmp, 0o700)
        try:
            CASES[case](rddsim, root, tmp)
        except AssertionError as e:
            print(f"pictures_cases.py: {case}: {e}")
            return 1
    print(f"pictures_cases.py: {case}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
