"""Tests of bench/soak.py's verdict, curve and summary (no kiln, no network):
python3 -m unittest discover -s bench -p 'test_*.py'"""

import json
import os
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402

REQUESTED = {"connections": 10, "messages": 5}
ALIVE = {"alive": True, "exit_code": None, "panicked": False, "panic_line": "", "output_tail": "", "command": "kiln dev"}


def client_result(**changes):
    result = {"connections_requested": 10, "connections_opened": 10, "max_open_at_once": 10, "messages_sent": 50,
              "messages_echoed": 50, "lost": 0, "reordered": 0, "duplicated": 0, "unexpected": 0,
              "close_handshakes_completed": 10, "error_count": 0, "errors": [],
              "durations_ms": {"connect": 100, "messaging": 200, "closing": 50, "total": 400}, "messages_per_s": 250}
    result.update(changes)
    return result


def args(**changes):
    values = {"connections": 10, "messages": 5, "window": 2, "batch": 5, "deadline": 60}
    values.update(changes)
    return types.SimpleNamespace(**values)


CURVE = [[0.5 * i, 20000 + 100 * i, 10 + i, "connect" if i < 4 else "messaging" if i < 8 else "closing"] for i in range(12)]


def report(client=None, client_exit=0, server=ALIVE, curve=CURVE):
    return soak.build_report(args(), "abc1234", client_result() if client is None else client, client_exit, server,
                             curve, {"rss_kib": 19000, "open_fds": 9},
                             {"rss_kib": 20500, "open_fds": 10, "settled": True, "wait_s": 2.0}, date="2026-01-01T00:00:00Z")


class Verdict(unittest.TestCase):
    def test_a_clean_run_passes(self):
        r = report()
        self.assertEqual(r["problems"], [])
        self.assertEqual(r["status"], "ok")
        self.assertEqual(soak.exit_status(r), 0)

    def test_loss_fails(self):
        r = report(client_result(lost=3, messages_echoed=47, error_count=3, errors=["connection 1 stalled"]), client_exit=1)
        self.assertEqual(soak.exit_status(r), 1)
        self.assertIn("3 messages lost", r["problems"])
        self.assertTrue(any("47 of 50 messages echoed" in p for p in r["problems"]))
        self.assertTrue(any("connection 1 stalled" in p for p in r["problems"]))

    def test_reordering_duplicates_and_strangers_fail(self):
        for key in ("reordered", "duplicated", "unexpected"):
            r = report(client_result(**{key: 1}), client_exit=1)
            self.assertEqual(soak.exit_status(r), 1, key)
            self.assertIn(f"1 messages {key}", r["problems"])

    def test_missing_connections_and_closes_fail(self):
        found = soak.problems(client_result(connections_opened=8, close_handshakes_completed=7), 1, ALIVE, REQUESTED)
        self.assertIn("opened 8 of 10 connections", found)
        self.assertIn("7 of 8 close handshakes completed", found)

    def test_a_client_exit_alone_fails(self):
        self.assertEqual(soak.problems(client_result(), 1, ALIVE, REQUESTED), ["the client exited with code 1"])

    def test_no_verdict_or_a_killed_client_fails(self):
        self.assertIn("the client printed no verdict (killed)", soak.problems(None, None, ALIVE, REQUESTED))
        self.assertIn("the client printed no verdict (exit code 3)", soak.problems(None, 3, ALIVE, REQUESTED))
        self.assertIn("the client overran its deadline and was killed", soak.problems(client_result(), None, ALIVE, REQUESTED))

    def test_a_dead_server_is_reported(self):
        dead = {**ALIVE, "alive": False, "exit_code": -9}
        r = report(server=dead)
        self.assertEqual(soak.exit_status(r), 1)
        self.assertIn("kiln was killed by signal 9 during the soak", r["problems"])
        self.assertIn("NOT RUNNING", soak.summary(r))

    def test_a_panic_is_reported_even_if_the_server_lives(self):
        panicked = {**ALIVE, "panicked": True, "panic_line": "thread 'main' panicked at src/x.rs:1:1"}
        r = report(server=panicked)
        self.assertEqual(soak.exit_status(r), 1)
        self.assertTrue(any("panicked at src/x.rs" in p for p in r["problems"]))

    def test_panic_line(self):
        self.assertEqual(soak.panic_line("ok\nthread 'w' panicked at a.rs:2:3:\nboom\n"), "thread 'w' panicked at a.rs:2:3:")
        self.assertEqual(soak.panic_line("fine\n"), "")


class Curve(unittest.TestCase):
    def test_downsample_keeps_ends_and_spacing(self):
        curve = [[i] for i in range(101)]
        self.assertEqual([row[0] for row in soak.downsample(curve, 10)], [0, 11, 22, 33, 44, 56, 67, 78, 89, 100])
        self.assertEqual(soak.downsample(curve[:5], 10), curve[:5])
        self.assertEqual(soak.downsample(curve, 1), [[100]])
        self.assertEqual(soak.downsample([], 10), [])

    def test_settled(self):
        flat = [[i, 50000, 10, "after"] for i in range(4)]
        self.assertTrue(soak.settled(flat, 9))
        self.assertFalse(soak.settled(flat[:3], 9), "too few samples")
        falling = [[i, 60000 - 2000 * i, 10, "after"] for i in range(4)]
        self.assertFalse(soak.settled(falling, 9))
        open_fds = [[i, 50000, 5000, "after"] for i in range(4)]
        self.assertFalse(soak.settled(open_fds, 9), "connections still open")

    def test_phase_marks(self):
        self.assertEqual(soak.phase_marks(CURVE), [[0.0, "connect"], [2.0, "messaging"], [4.0, "closing"]])

    def test_report_figures(self):
        r = report()
        self.assertEqual(r["rss_kib"]["before"], 19000)
        self.assertEqual(r["rss_kib"]["peak"], 21100)
        self.assertEqual(r["rss_kib"]["after"], 20500)
        self.assertEqual(r["rss_kib"]["after_minus_before"], 1500)
        self.assertEqual(r["open_fds"], {"before": 9, "peak": 21, "after": 10})

    def test_json_round_trips_with_one_row_per_line(self):
        r = report()
        text = soak.to_json(r)
        self.assertEqual(json.loads(text), r)
        self.assertIn('  [0.0, 20000, 10, "connect"],\n', text)

    def test_summary_shows_ten_points_and_the_verdict(self):
        curve = [[0.5 * i, 1024 * i, i, "messaging"] for i in range(100)]
        text = soak.summary(report(curve=curve))
        curve_line = next(line for line in text.splitlines() if line.startswith("RSS curve"))
        self.assertEqual(curve_line.count("messaging"), 10)
        self.assertIn("verdict: PASS", text)
        self.assertIn("verdict: FAIL: 2 messages lost", soak.summary(report(client_result(lost=2), client_exit=1)))


class Sampler(unittest.TestCase):
    def test_curve_sampler_reads_a_fake_proc(self):
        with tempfile.TemporaryDirectory() as proc:
            os.makedirs(os.path.join(proc, "42", "fd"))
            os.makedirs(os.path.join(proc, "42", "task"))
            for n in range(3):
                open(os.path.join(proc, "42", "fd", str(n)), "w").close()
            with open(os.path.join(proc, "42", "status"), "w") as f:
                f.write("Name:\tkiln\nState:\tS (sleeping)\nVmRSS:\t  1234 kB\n")
            sampler = soak.CurveSampler(42, lambda: "connect", t0=0.0, proc_root=proc)
            self.assertTrue(sampler.sample())
            self.assertEqual(sampler.curve[0][1:], [1234, 3, "connect"])
            os.remove(os.path.join(proc, "42", "status"))
            self.assertFalse(sampler.sample(), "a gone process ends the sampling")
            self.assertEqual(len(sampler.curve), 1)


if __name__ == "__main__":
    unittest.main()
