#!/usr/bin/env python3
"""check_banned.py: the banned-API check (rule 1, determinism; ctest label
"tidy").

Scans the C sources and headers under sim/ and fakes/ (sim/kernel/backend_uv.c
and sim/cli/ are allowed to touch the real world and are skipped) for calls
that would make a run depend on the wall clock, the process or an unseeded
generator: time(), clock_gettime(), gettimeofday(), rand(), srand(),
random(), getpid(), sleep(), usleep(), nanosleep(), and %p conversions inside
string literals (addresses in traces).  Each is reported as

    file:line: banned X, use Y

and makes the exit status 1.  Assignments `->state =` outside a function
named *_transition are reported as warnings (exit status unchanged), except
under sim/rdd/, where they are errors.

Comments, string literals (for calls) and longer identifiers (sim_time(,
runtime(, s->sleep() are not matches.  The scan is lexical: it does not run
the preprocessor, so a banned call hidden behind a macro is not found.
Only the standard library is used.
"""

import argparse
import fnmatch
import os
import re
import sys

# Banned call -> what to use instead.
BANNED_CALLS = {
    "time": "sim_now(loop)",
    "clock_gettime": "sim_now(loop) (wall time only in backend_uv.c)",
    "gettimeofday": "sim_now(loop)",
    "rand": "sim_rng_next() on a stream from sim_rng_fork()",
    "srand": "sim_rng_fork() from the run's seed",
    "random": "sim_rng_next() on a stream from sim_rng_fork()",
    "getpid": "a name or id from the scenario",
    "sleep": "sim_timer_start()",
    "usleep": "sim_timer_start()",
    "nanosleep": "sim_timer_start()",
}

CALL_RE = re.compile(
    r"(?<![A-Za-z0-9_$])(" + "|".join(sorted(BANNED_CALLS, key=len,
                                             reverse=True)) + r")\s*\(")
# A member call (s->sleep(, s.time() is not the libc function.
MEMBER_RE = re.compile(r"(->|\.)\s*$")
# printf conversions ending in p; "%%" is consumed first so "%%p" is text.
PCT_RE = re.compile(r"%(?:%|[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                    r"(?:hh|h|ll|l|j|z|t|L)?(p))")
STATE_RE = re.compile(r"->\s*state\s*=(?!=)")
IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")

SCAN_DIRS = ("sim", "fakes")
EXCLUDE_FILES = ("sim/kernel/backend_uv.c",)
EXCLUDE_DIRS = ("sim/cli/",)
STRICT_STATE_DIRS = ("sim/rdd/",)
TRANSITION_GLOB = "*_transition"


def strip_c(text):
    """Returns (code, strings) for C source text.

    code has the same length and newlines as text, with comments and the
    contents of string and character literals replaced by spaces (quotes
    kept).  strings is a list of (offset, body) for each string literal.
    """
    out = list(text)
    strings = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = i
            while j < n and text[j] != "\n":
                # A backslash-newline continues a // comment.
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "\n":
                    j += 2
                    continue
                j += 1
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            end = min(j, n)
            if c == '"':
                strings.append((i, text[i + 1:end]))
            for k in range(i + 1, end):
                if out[k] != "\n":
                    out[k] = " "
            i = end + 1
        else:
            i += 1
    return "".join(out), strings


def function_spans(code):
    """Yields (start, end, name) for each top-level brace block of code;
    name is the function's name, or None for initialisers and types."""
    depth = 0
    start = None
    name = None
    for i, c in enumerate(code):
        if c == "{":
            if depth == 0:
                start = i
                name = _function_name(code, i)
            depth += 1
        elif c == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                yield start, i, name


def _function_name(code, brace):
    """The identifier before the parameter list that ends just before the
    brace at code[brace], or None if there is no parameter list."""
    j = brace - 1
    while j >= 0 and code[j].isspace():
        j -= 1
    if j < 0 or code[j] != ")":
        return None
    depth = 0
    while j >= 0:
        if code[j] == ")":
            depth += 1
        elif code[j] == "(":
            depth -= 1
            if depth == 0:
                break
        j -= 1
    if j < 0:
        return None
    head = code[:j].rstrip()
    m = IDENT_RE.search(head)
    if not m or m.group(0) in ("if", "while", "for", "switch", "return"):
        return None
    return m.group(0)


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def check_text(rel, text):
    """Returns a list of (line, is_error, message) for one file's text."""
    code, strings = strip_c(text)
    found = []
    for m in CALL_RE.finditer(code):
        if MEMBER_RE.search(code[:m.start()][-8:]):
            continue
        name = m.group(1)
        found.append((line_of(code, m.start()), True,
                      "banned %s(), use %s" % (name, BANNED_CALLS[name])))
    for off, body in strings:
        for m in PCT_RE.finditer(body):
            if m.group(1):
                found.append((line_of(text, off), True,
                              "banned %p in a string, use an id or name "
                              "(no addresses in traces)"))
                break
    strict = any(rel.startswith(d) for d in STRICT_STATE_DIRS)
    spans = list(function_spans(code))
    for m in STATE_RE.finditer(code):
        fn = None
        for s, e, name in spans:
            if s < m.start() < e:
                fn = name
                break
        if fn and fnmatch.fnmatchcase(fn, TRANSITION_GLOB):
            continue
        where = "in %s()" % fn if fn else "outside a function"
        found.append((line_of(code, m.start()), strict,
                      "banned ->state = %s, use a *_transition() "
                      "function" % where))
    found.sort()
    return found


def is_excluded(rel):
    if rel in EXCLUDE_FILES:
        return True
    return any(rel.startswith(d) for d in EXCLUDE_DIRS)


def iter_sources(root, paths):
    """Yields (relative path, absolute path) of the .c/.h files to scan."""
    tops = paths or [os.path.join(root, d) for d in SCAN_DIRS]
    for top in tops:
        if os.path.isfile(top):
            files = [top]
        elif os.path.isdir(top):
            files = []
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames.sort()
                for f in sorted(filenames):
                    files.append(os.path.join(dirpath, f))
        else:
            continue
        for path in files:
            if not path.endswith((".c", ".h")):
                continue
            rel = os.path.relpath(os.path.abspath(path), root)
            rel = rel.replace(os.sep, "/")
            if not is_excluded(rel):
                yield rel, path


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Report banned calls (wall clock, PIDs, unseeded rand, "
        "sleeps, %p in strings) in sim/ and fakes/, and ->state "
        "assignments outside *_transition functions.  Prints "
        "'file:line: banned X, use Y'; exits 1 if any error was found.")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))),
        help="repository root (default: two levels above this script)")
    ap.add_argument("paths", nargs="*",
                    help="files or directories to scan instead of "
                    "ROOT/sim and ROOT/fakes (exclusions still apply)")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="do not print the summary line on stderr")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    errors = warnings = files = 0
    for rel, path in iter_sources(root, args.paths):
        files += 1
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as e:
            print("%s: cannot read: %s" % (rel, e), file=sys.stderr)
            errors += 1
            continue
        for line, is_error, msg in check_text(rel, text):
            if is_error:
                errors += 1
                print("%s:%d: %s" % (rel, line, msg))
            else:
                warnings += 1
                print("%s:%d: warning: %s" % (rel, line, msg))
    if not args.quiet:
        print("check_banned: %d error(s), %d warning(s) in %d file(s)"
              % (errors, warnings, files), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
