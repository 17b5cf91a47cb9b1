#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Unit tests of tests/tools/ktap.py: python3 tests/tools/ktap_test.py."""
import contextlib
import io
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktap import Ktap, Tally, diagnostics_for, report_ktap  # noqa: E402


def quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


class KtapParser(unittest.TestCase):
    def test_results_and_plan(self):
        k = Ktap("boot noise\nKTAP version 1\n1..3\nok 1 a\nnot ok 2 b\nok 3 c # SKIP no disk\n")
        self.assertEqual(k.plan, 3)
        self.assertEqual(k.results, [(True, "a", ""), (False, "b", ""), (True, "c", "SKIP")])
        self.assertEqual(k.errors, [])

    def test_missing_header(self):
        self.assertEqual(Ktap("1..1\nok 1 a\n").errors, ["no KTAP header"])

    def test_missing_plan(self):
        self.assertIn("no KTAP plan", Ktap("KTAP version 1\nok 1 a\n").errors)

    def test_fewer_results_than_planned(self):
        self.assertIn("plan says 2 tests, 1 reported", Ktap("KTAP version 1\n1..2\nok 1 a\n").errors)

    def test_out_of_order(self):
        k = Ktap("KTAP version 1\n1..2\nok 2 b\nok 1 a\n")
        self.assertTrue(any("out of order" in e for e in k.errors))

    def test_indented_subtests_ignored(self):
        k = Ktap("KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    not ok 1 sub\nok 1 top\n")
        self.assertEqual(k.results, [(True, "top", "")])
        self.assertEqual(k.errors, [])

    def test_diagnostics_before_a_failure(self):
        text = "KTAP version 1\n1..1\n# first\n# second\nnot ok 1 t\n"
        self.assertEqual(diagnostics_for(text, "t"), ["# first", "# second"])


class Reporting(unittest.TestCase):
    def test_tally_counts_and_names_failures(self):
        t = Tally()
        quiet(t.record, True, "x")
        quiet(t.record, False, "y", "why")
        self.assertEqual((t.passed, t.failed, t.failures), (1, 1, ["y"]))

    def test_report_adds_a_run_failure_for_stream_problems(self):
        t = Tally()
        quiet(report_ktap, t, "p.", "KTAP version 1\n1..2\nok 1 a\n")
        self.assertEqual((t.passed, t.failed), (1, 1))
        self.assertEqual(t.failures, ["p.(run)"])

    def test_report_skips_do_not_count(self):
        t = Tally()
        quiet(report_ktap, t, "p.", "KTAP version 1\n1..1\nok 1 a # SKIP later\n")
        self.assertEqual((t.passed, t.failed), (0, 0))

    def test_report_extra_failure(self):
        t = Tally()
        quiet(report_ktap, t, "p.", "KTAP version 1\n1..1\nok 1 a\n", False, "QEMU exit code 3")
        self.assertEqual(t.failures, ["p.(run)"])


if __name__ == "__main__":
    unittest.main()
