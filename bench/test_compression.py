"""Tests of bench/compression.py's parsing and table (no server, no network):
python3 -m unittest discover -s bench -p 'test_*.py'"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compression  # noqa: E402
import run  # noqa: E402


class ParseLine(unittest.TestCase):
    def test_a_line_gives_six_figures_and_the_agreement(self):
        result = compression.parse_line(0, "41000 1.20 3.50 61.2 48.9 151.3 permessage-deflate\n", "")
        self.assertEqual(result["status"], "ok")
        self.assertEqual(result["msgs_per_s"], 41000)
        self.assertEqual(result["down_bytes"], 48.9)
        self.assertEqual(result["agreement"], "permessage-deflate")

    def test_a_failed_tool_is_a_failed_run_with_its_reason(self):
        result = compression.parse_line(1, "", "ws-deflate-load: connection 3: echo 7 differs from what was sent\n")
        self.assertEqual(result["status"], "failed")
        self.assertIn("echo 7 differs", result["error"])

    def test_a_short_or_empty_line_is_no_result(self):
        for line in ["", "41000 1.2", "0 1 2 3 4 5 none", "a b c d e f g"]:
            self.assertEqual(compression.parse_line(0, line, "")["status"], "failed", line)


class Table(unittest.TestCase):
    def test_failed_runs_are_counted_not_averaged(self):
        ok = compression.parse_line(0, "100 1 2 60 50 150 permessage-deflate", "")
        bad = run.failed("the server was killed by signal 9")
        runs = [ok, bad, ok]
        report = {"servers": {"kiln": {"chat": {"agreement": compression.agreement_of(runs),
                                                 "summary": run.summarise(runs), "runs": runs}}}}
        text = compression.table(report)
        self.assertIn("| kiln | chat | permessage-deflate | 100 |", text)
        self.assertIn("PARTIAL 2/3 ok", text)
        self.assertIn("killed by signal 9", text)

    def test_a_server_that_agrees_to_nothing_shows_none(self):
        runs = [compression.parse_line(0, "90 1 2 150 152 150 none", "")]
        self.assertEqual(compression.agreement_of(runs), "none")


if __name__ == "__main__":
    unittest.main()
