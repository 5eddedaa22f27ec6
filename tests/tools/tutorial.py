#!/usr/bin/env python3
"""Run a markdown walkthrough (docs/tutorial.md) and compare its outputs.

Usage: tutorial.py RDDSIM_DIR DOC.md            run it (ctest cli.tutorial)
       tutorial.py RDDSIM_DIR DOC.md --update   rewrite DOC.md's outputs

In a fresh temporary directory, with RDDSIM_DIR first on PATH, the blocks
of DOC.md run in order:
  ```yaml  whose first line is `# file: NAME` is written to NAME;
  ```sh    holds commands, each on a line starting with `$ `, and after
           each the output it prints (stdout and stderr as a terminal shows
           them).  A line `...` stands for any number of lines; a line
           ending in ` ...` for any line that starts with the rest.
Masking, on both sides: trace_hash=<16 hex> reads trace_hash=HASH, a wall
time such as 12.3ms reads WALL, and a run of spaces reads as two (a
table's columns widen with its wall times).
--update replaces each output with what the command printed (keeping no
`...`); use it after a change that moves outputs, then read the diff.
"""
import os
import re
import subprocess
import sys
import tempfile

HASH_RE = re.compile(r"trace_hash=[0-9a-f]{16}")
WALL_RE = re.compile(r"\b\d+\.\dms\b|(?<=runs, )\d+\.\d\d s\b")
FENCE_RE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


def mask(text):
    text = WALL_RE.sub("WALL", HASH_RE.sub("trace_hash=HASH", text))
    return re.sub(r" {2,}", "  ", text)


def line_re(line):
    if line == "...":
        return r"(?:.*\n)*?"
    if line.endswith(" ..."):
        return re.escape(mask(line[:-4])) + r".*\n"
    return re.escape(mask(line)) + r"\n"


def matches(want, got):
    pattern = "".join(line_re(w) for w in want.splitlines())
    return re.fullmatch(pattern, mask(got)) is not None


def commands(body):
    """[(command, expected output)] of a sh block."""
    out, cmd, want = [], None, []
    for line in body.splitlines():
        if line.startswith("$ "):
            if cmd is not None:
                out.append((cmd, "\n".join(want) + ("\n" if want else "")))
            cmd, want = line[2:], []
        elif cmd is not None:
            want.append(line)
    if cmd is not None:
        out.append((cmd, "\n".join(want) + ("\n" if want else "")))
    return out


def run(cmd, cwd, env):
    p = subprocess.run(["bash", "-c", cmd + " 2>&1"], cwd=cwd, env=env,
                       capture_output=True, text=True, check=False)
    return p.stdout


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    bindir, doc = os.path.abspath(sys.argv[1]), sys.argv[2]
    update = len(sys.argv) == 4 and sys.argv[3] == "--update"
    text = open(doc, encoding="utf-8").read()
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    failures, ncmd, pieces, last = 0, 0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for m in FENCE_RE.finditer(text):
            lang, body = m.group(1), m.group(2)
            if lang == "yaml" and body.startswith("# file: "):
                name = body.splitlines()[0][len("# file: "):].strip()
                with open(os.path.join(tmp, name), "w",
                          encoding="utf-8") as f:
                    f.write(body)
                continue
            if lang != "sh":
                continue
            new_body = []
            for cmd, want in commands(body):
                ncmd += 1
                got = run(cmd, tmp, env)
                new_body.append(f"$ {cmd}\n{got}")
                if not matches(want, got):
                    failures += 1
                    print(f"tutorial.py: `{cmd}` printed:\n{got}"
                          f"--- the tutorial shows:\n{want}---")
            pieces.append(text[last:m.start(2)])
            pieces.append("".join(new_body))
            last = m.end(2)
    pieces.append(text[last:])
    if update:
        with open(doc, "w", encoding="utf-8") as f:
            f.write("".join(pieces))
        print(f"tutorial.py: {doc}: {ncmd} commands rewritten")
        return 0
    print(f"tutorial.py: {ncmd} commands, {failures} differ"
          + (f" (tests/tools/tutorial.py {sys.argv[1]} {doc} --update "
             f"rewrites them)" if failures else ""))
    return 1 if failures or not ncmd else 0


if __name__ == "__main__":
    sys.exit(main())
