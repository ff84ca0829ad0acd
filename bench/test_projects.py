"""Unit tests of bench/projects.py's bookkeeping: failed runs are counted
and shown, never averaged in."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import projects  # noqa: E402
import run  # noqa: E402


class SummaryTest(unittest.TestCase):
    def test_failures_are_counted_and_kept_out_of_the_figures(self):
        results = [run.completed({"ms": 120}), run.failed("exited before answering"), run.completed({"ms": 140})]
        s = projects.summary(results, "ms")
        self.assertEqual((s["runs"], s["ok"]), (3, 2))
        self.assertEqual(s["failures"], ["exited before answering"])
        self.assertEqual((s["median"], s["min"], s["max"]), (130, 120, 140))
        self.assertEqual(projects.cell(s, "ms"), "130 ms (120-140), 2/3 ok")

    def test_a_row_without_a_completed_run_says_why(self):
        s = projects.summary([run.failed("no 200 from GET / within 60 s")], "ms")
        self.assertEqual(s["ok"], 0)
        self.assertNotIn("median", s)
        self.assertEqual(projects.cell(s, "ms"), "failed (no 200 from GET / within 60 s)")


if __name__ == "__main__":
    unittest.main()
