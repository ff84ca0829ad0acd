"""Unit tests of bench/intl.py's bookkeeping: each binary's figures are
medians of its completed starts, and a failed start shows and fails the
report."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import intl  # noqa: E402
import run  # noqa: E402


def start(ms, first):
    figures = {"ms": ms, "idle_rss_mib": 40}
    for path in intl.PATHS:
        figures[f"{path[1:]}_first_ms"] = first
        figures[f"{path[1:]}_later_ms"] = 1.0
    return run.completed(figures)


class IntlTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.binary = os.path.join(self.dir.name, "kiln")
        with open(self.binary, "wb") as f:
            f.write(b"\0" * (3 * 1024 * 1024))

    def tearDown(self):
        self.dir.cleanup()

    def test_figures_are_medians_of_the_completed_starts(self):
        results = {"with": [start(60, 9.0), start(70, 11.0), start(65, 10.0)], "without": [start(50, 2.0)]}
        report = intl.build_report({"with": self.binary, "without": self.binary}, results, 3)
        self.assertEqual(report["binaries"]["with"]["size_mib"], 3.0)
        self.assertEqual(report["binaries"]["with"]["ms"]["median"], 65)
        self.assertEqual(report["binaries"]["with"]["dtf_first_ms"]["median"], 10.0)
        self.assertFalse(intl.any_failed(report))
        self.assertIn("with     binary 3.0 MiB; start-up 65 ms (60-70), 3/3 ok", intl.render(report))

    def test_a_failed_start_is_shown_and_fails_the_report(self):
        results = {"with": [start(60, 9.0), run.failed("exited before answering")], "without": [start(50, 2.0)]}
        report = intl.build_report({"with": self.binary, "without": self.binary}, results, 2)
        self.assertTrue(intl.any_failed(report))
        self.assertIn("1/2 ok", intl.render(report))


if __name__ == "__main__":
    unittest.main()
