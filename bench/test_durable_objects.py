"""Unit tests of bench/durable_objects.py's summary and table (no servers)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import durable_objects as do  # noqa: E402
import run  # noqa: E402


def ok(n):
    return run.completed({"ops_per_s": n})


class Summary(unittest.TestCase):
    def test_median_and_spread_of_completed_runs(self):
        runs = [{"rpc": ok(100)}, {"rpc": ok(300)}, {"rpc": ok(200)}]
        s = do.summarise(runs)["rpc"]
        self.assertEqual((s["median"], s["min"], s["max"], s["ok"], s["runs"]), (200, 100, 300, 3, 3))

    def test_a_failed_run_is_counted_with_its_reason(self):
        runs = [{"put": ok(10)}, {"put": run.failed("the server exited with code 9 during put")}]
        s = do.summarise(runs)["put"]
        self.assertEqual((s["ok"], s["runs"], s["median"]), (1, 2, 10))
        self.assertEqual(s["reasons"], ["the server exited with code 9 during put"])

    def test_the_table_shows_failures_and_the_ratio(self):
        summaries = {
            "kiln": do.summarise([{"rpc": ok(300)}, {"rpc": ok(100)}]),
            "workerd": do.summarise([{"rpc": ok(100)}, {"rpc": run.failed("not serving within 30 s")}]),
        }
        text = do.table(summaries)
        self.assertIn("| rpc | 200 (100-300) | 100 (100-100) (1/2 ok: not serving within 30 s) | 2.00 |", text)
        all_failed = {"kiln": do.summarise([{"sql": run.failed("boom")}])}
        self.assertIn("FAILED 0/1: boom", do.table(all_failed))

    def test_lost_operations_fail_the_run(self):
        self.assertEqual(do.expected_count("rpc", 50, 7), 57)
        self.assertEqual(do.expected_count("sql", 50, 7), 50)


if __name__ == "__main__":
    unittest.main()
