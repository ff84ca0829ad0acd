"""Unit tests of bench/cores.py's bookkeeping: ratios only where both rows
have a figure, and a failed run shows and fails the whole report."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cores  # noqa: E402
import projects  # noqa: E402
import run  # noqa: E402


def report(kiln_runs):
    summary = projects.summary(kiln_runs, "requests_per_s")
    deno = projects.summary([run.completed({"requests_per_s": 100_000})], "requests_per_s")
    rows = {"kiln": summary, "deno": deno}
    startup = {"kiln": projects.summary([run.completed({"ms": 60})], "ms"),
               "deno": projects.summary([run.completed({"ms": 20})], "ms")}
    return {
        "starts": 1, "repeat": len(kiln_runs), "seconds": 5,
        "startup_ms": startup,
        "idle_rss_mib": {name: projects.summary([run.completed({"idle_rss_mib": 50})], "idle_rss_mib")
                         for name in startup},
        "startup_vs_deno": cores.ratios(startup, "ms", "deno"),
        "http_requests_per_s": rows,
        "http_vs_deno": cores.ratios(rows, "requests_per_s", "deno"),
    }


class CoresTest(unittest.TestCase):
    def test_ratios_are_against_deno(self):
        r = report([run.completed({"requests_per_s": 30_000}), run.completed({"requests_per_s": 50_000})])
        self.assertEqual(r["http_vs_deno"], {"kiln": 0.4, "deno": 1.0})
        self.assertEqual(r["startup_vs_deno"], {"kiln": 3.0, "deno": 1.0})
        self.assertFalse(cores.any_failed(r))
        self.assertIn("kiln               40,000 requests/s (30,000-50,000), 2/2 ok; 0.4x Deno's", cores.render(r))

    def test_a_failed_run_is_shown_and_fails_the_report(self):
        r = report([run.completed({"requests_per_s": 30_000}), run.failed("the server exited during http")])
        self.assertTrue(cores.any_failed(r))
        self.assertIn("30,000 requests/s (30,000-30,000), 1/2 ok", cores.render(r))

    def test_a_row_without_a_figure_has_no_ratio(self):
        r = report([run.failed("no 200 from GET / within 30 s")])
        self.assertIsNone(r["http_vs_deno"]["kiln"])
        self.assertIn("failed (no 200 from GET / within 30 s)", cores.render(r))


if __name__ == "__main__":
    unittest.main()
