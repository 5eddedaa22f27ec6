#!/usr/bin/env python3
"""test_tools.py: unittest cases for check_banned.py and trace_diff.py.

check_banned.py is run as a program on a temporary tree shaped like the
repository (sim/, fakes/, sim/kernel/backend_uv.c, sim/cli/, sim/rdd/):
every banned call is found with its file:line, while calls in comments,
string literals, longer identifiers and member calls, and files that are
excluded, are not; ->state assignments warn outside *_transition functions
and are errors only under sim/rdd/.  trace_diff.py is run on identical
files, files differing in one line, and files of different lengths.  Only
the standard library is used.  Run: python3 tests/tools/test_tools.py
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_banned.py")
DIFF = os.path.join(HERE, "trace_diff.py")


def run(script, *args):
    p = subprocess.run([sys.executable, script] + list(args),
                       capture_output=True, text=True, check=False)
    return p.returncode, p.stdout, p.stderr


class TreeCase(unittest.TestCase):
    """A temporary repository root with sim/ and fakes/."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        for d in ("sim/kernel", "sim/cli", "sim/rdd", "fakes/kube"):
            os.makedirs(os.path.join(self.root, d))

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, body):
        with open(os.path.join(self.root, rel), "w") as fh:
            fh.write(textwrap.dedent(body))

    def check(self):
        return run(CHECK, "--root", self.root, "-q")


class CheckBannedTest(TreeCase):

    def test_every_banned_call_is_reported_with_file_and_line(self):
        calls = ["time(NULL)", "clock_gettime(CLOCK_MONOTONIC, &ts)",
                 "gettimeofday(&tv, NULL)", "rand()", "srand(1)",
                 "random()", "getpid()", "sleep(1)", "usleep(10)",
                 "nanosleep(&ts, NULL)"]
        body = "void f(void)\n{\n" + "".join(
            "    %s;\n" % c for c in calls) + "}\n"
        self.write("sim/kernel/bad.c", body)
        rc, out, _ = self.check()
        self.assertEqual(rc, 1)
        lines = out.splitlines()
        self.assertEqual(len(lines), len(calls), out)
        for i, call in enumerate(calls):
            name = call.split("(")[0]
            self.assertTrue(
                lines[i].startswith("sim/kernel/bad.c:%d: banned %s(), use "
                                    % (i + 3, name)), lines[i])

    def test_percent_p_in_a_string_is_reported(self):
        self.write("fakes/kube/p.c", """\
            void f(void *x)
            {
                printf("at %p\\n", x);
                printf("at %-8p\\n", x);
            }
            """)
        rc, out, _ = self.check()
        self.assertEqual(rc, 1)
        self.assertIn("fakes/kube/p.c:3: banned %p in a string", out)
        self.assertIn("fakes/kube/p.c:4: banned %p in a string", out)

    def test_comments_strings_and_identifiers_are_not_matches(self):
        self.write("sim/kernel/ok.c", """\
            /* time(NULL) would be wrong; so would rand() and sleep(1). */
            // gettimeofday(&tv, NULL); getpid();
            /* a comment spanning lines:
               clock_gettime(CLOCK_REALTIME, &ts);
            */
            struct s { void (*sleep)(int); int (*time)(void); };
            uint64_t sim_time(void);
            uint64_t runtime(void);
            void f(struct s *p, struct s q)
            {
                sim_time();
                runtime();
                my_rand();
                srandom_ish();
                p->sleep(1);
                q.time();
                p -> sleep(2);
                puts("time(NULL) and rand() and %s and 100%%p");
                putchar('"'); rand_state = 0; /* "time(" */
                x = timeout(3) + nanosleep_count;
            }
            """)
        rc, out, err = self.check()
        self.assertEqual(out, "")
        self.assertEqual(rc, 0, err)

    def test_call_after_a_string_with_quotes_is_still_found(self):
        self.write("sim/kernel/q.c", """\
            void f(void)
            {
                puts("a \\"quoted\\" 'word'"); t = time(NULL);
                c = '\\''; r = rand();
            }
            """)
        rc, out, _ = self.check()
        self.assertEqual(rc, 1)
        self.assertIn("sim/kernel/q.c:3: banned time()", out)
        self.assertIn("sim/kernel/q.c:4: banned rand()", out)

    def test_excluded_files_are_not_scanned(self):
        self.write("sim/kernel/backend_uv.c", "void f(void) { time(0); }\n")
        self.write("sim/cli/main.c", "void f(void) { sleep(1); }\n")
        self.write("sim/kernel/notes.txt", "time(0);\n")
        rc, out, _ = self.check()
        self.assertEqual((rc, out), (0, ""))

    def test_state_assignment_outside_transition_warns(self):
        self.write("fakes/kube/watch.c", """\
            static void kube__watch_transition(kube_watch_t *w, int to)
            {
                w->state = to;
            }
            static void on_event(kube_watch_t *w)
            {
                if (w->state == KUBE_WATCH_IDLE)
                    w->state = KUBE_WATCH_LISTING;
                w->state_count = 1;
            }
            """)
        rc, out, _ = self.check()
        self.assertEqual(rc, 0)
        self.assertEqual(
            out.splitlines(),
            ["fakes/kube/watch.c:8: warning: banned ->state = in "
             "on_event(), use a *_transition() function"])

    def test_state_assignment_under_sim_rdd_is_an_error(self):
        self.write("sim/rdd/bridge.c", """\
            static void bridge_transition(bridge_t *b, int to)
            {
                b->state = to;
            }
            static void on_accept(bridge_t *b,
                                  void (*cb)(bridge_t *b, int rc))
            {
                b->state = BRIDGE_SERVING;
            }
            """)
        rc, out, _ = self.check()
        self.assertEqual(rc, 1)
        self.assertEqual(
            out.splitlines(),
            ["sim/rdd/bridge.c:8: banned ->state = in on_accept(), use a "
             "*_transition() function"])

    def test_clean_tree_exits_zero_with_summary(self):
        self.write("sim/kernel/fine.c", "int f(void) { return 0; }\n")
        p = subprocess.run([sys.executable, CHECK, "--root", self.root],
                           capture_output=True, text=True, check=False)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout, "")
        self.assertIn("0 error(s), 0 warning(s) in 1 file(s)", p.stderr)

    def test_help_exits_zero(self):
        rc, out, _ = run(CHECK, "--help")
        self.assertEqual(rc, 0)
        self.assertIn("usage", out)


class TraceDiffTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, lines, final_newline=True):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as fh:
            fh.write("\n".join(lines) + ("\n" if final_newline else ""))
        return path

    LINES = [
        '{"t_ns":0,"seq":1,"ev":"sim.run.start","seed":42}',
        '{"t_ns":5000000,"seq":2,"ev":"npipe.listen.ok","name":"docker"}',
        '{"t_ns":9000000,"seq":3,"ev":"sim.run.end","events":2}',
    ]

    def test_identical_files_report_line_count(self):
        a = self.write("a.jsonl", self.LINES)
        b = self.write("b.jsonl", self.LINES, final_newline=False)
        rc, out, _ = run(DIFF, a, b)
        self.assertEqual(rc, 0)
        self.assertEqual(out, "identical 3 lines\n")

    def test_empty_files_are_identical(self):
        a = self.write("a.jsonl", [], final_newline=False)
        b = self.write("b.jsonl", [], final_newline=False)
        rc, out, _ = run(DIFF, a, b)
        self.assertEqual((rc, out), (0, "identical 0 lines\n"))

    def test_different_line_prints_number_both_lines_and_key(self):
        other = list(self.LINES)
        other[1] = other[1].replace("docker", "docker2")
        a = self.write("a.jsonl", self.LINES)
        b = self.write("b.jsonl", other)
        rc, out, _ = run(DIFF, a, b)
        self.assertEqual(rc, 1)
        lines = out.splitlines()
        self.assertEqual(lines[0], "first difference at line 2")
        self.assertEqual(lines[1], "< %s: %s" % (a, self.LINES[1]))
        self.assertEqual(lines[2], "> %s: %s" % (b, other[1]))
        self.assertEqual(lines[3], "first differing key: name")

    def test_shorter_file_reports_eof(self):
        a = self.write("a.jsonl", self.LINES)
        b = self.write("b.jsonl", self.LINES[:2])
        rc, out, _ = run(DIFF, a, b)
        self.assertEqual(rc, 1)
        lines = out.splitlines()
        self.assertEqual(lines[0], "first difference at line 3")
        self.assertEqual(lines[1], "< %s: %s" % (a, self.LINES[2]))
        self.assertEqual(lines[2], "> %s: <EOF>" % b)
        rc, out, _ = run(DIFF, b, a)
        self.assertEqual(rc, 1)
        self.assertIn("< %s: <EOF>" % b, out)

    def test_non_json_lines_are_compared_as_text(self):
        a = self.write("a.jsonl", ["not json", "x"])
        b = self.write("b.jsonl", ["not json", "y"])
        rc, out, _ = run(DIFF, a, b)
        self.assertEqual(rc, 1)
        self.assertIn("first difference at line 2", out)
        self.assertNotIn("differing key", out)

    def test_missing_file_exits_two(self):
        a = self.write("a.jsonl", self.LINES)
        rc, _, err = run(DIFF, a, os.path.join(self.tmp.name, "nope"))
        self.assertEqual(rc, 2)
        self.assertIn("trace_diff:", err)

    def test_help_exits_zero(self):
        rc, out, _ = run(DIFF, "--help")
        self.assertEqual(rc, 0)
        self.assertIn("usage", out)


if __name__ == "__main__":
    unittest.main()
