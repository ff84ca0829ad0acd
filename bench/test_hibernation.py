"""Unit tests of bench/hibernation.py's helpers: the room's replies, the proof
of a wake, kiln's hibernate answer, the memory figure, the summary and table,
and the driver's handling of a client tool that fails. No server and no
network: a small Python script stands in for ws-hibernation.

    python3 -m unittest bench/test_hibernation.py -v
"""

import json
import os
import shutil
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hibernation as hib  # noqa: E402
import run  # noqa: E402

ARGS = hib.parse_args(["--clients", "1000", "--no-build"])


def room(**fields):
    return {"class": "Room", "id": "ab12", "name": "bench", "hibernated": True, "webSockets": 1000,
            "reason": "idle", **fields}


def answer(*objects):
    return json.dumps({"objects": list(objects)})


class Replies(unittest.TestCase):
    def test_pong_and_bcast(self):
        self.assertEqual(hib.parse_reply("pong t1 3 abc"), {"token": "t1", "constructions": 3, "instance": "abc"})
        self.assertEqual(hib.parse_reply("bcast t2 1000 2 def"),
                         {"token": "t2", "sockets": 1000, "constructions": 2, "instance": "def"})

    def test_anything_else_is_an_error(self):
        for text in ("", "error unknown message: x", "pong t1 three abc", "bcast t2 1000 2"):
            with self.assertRaises(ValueError):
                hib.parse_reply(text)


class Wake(unittest.TestCase):
    before = {"constructions": 1, "instance": "a"}

    def test_a_new_instance_with_a_higher_count_is_a_wake(self):
        self.assertEqual(hib.recreated(self.before, {"constructions": 2, "instance": "b"}), (None, []))

    def test_the_same_instance_is_no_wake(self):
        reason, flags = hib.recreated(self.before, {"constructions": 1, "instance": "a"})
        self.assertIn("had not hibernated", reason)
        self.assertEqual(flags, [])

    def test_a_new_isolate_is_a_wake_but_flagged(self):
        reason, flags = hib.recreated({"constructions": 4, "instance": "a"}, {"constructions": 1, "instance": "b"})
        self.assertIsNone(reason)
        self.assertIn("the isolate was replaced too", flags[0])


class HibernateAnswer(unittest.TestCase):
    def test_the_room_hibernated(self):
        result = hib.hibernate_answer(200, answer(room(), room(name="other", hibernated=False)), 1000)
        self.assertEqual((result["status"], result["web_sockets"], result["answer"]["name"]), ("ok", 1000, "bench"))

    def test_a_wrong_socket_count_is_flagged(self):
        result = hib.hibernate_answer(200, answer(room(webSockets=999)), 1000)
        self.assertEqual(result["status"], "flagged")
        self.assertIn("kiln counts 999 sockets", result["flags"][0])

    def test_not_hibernated_fails_with_kilns_reason(self):
        result = hib.hibernate_answer(200, answer(room(hibernated=False, reason="an event is running")), 1000)
        self.assertEqual(result["status"], "failed")
        self.assertIn("kiln did not hibernate the room: an event is running", result["error"])

    def test_an_unnamed_room_is_the_room_when_it_is_the_only_one(self):
        self.assertEqual(hib.hibernate_answer(200, answer(room(name=None)), 1000)["status"], "ok")
        two = hib.hibernate_answer(200, answer(room(name=None), room(name="x")), 1000)
        self.assertIn("lists no Room object named 'bench'", two["error"])

    def test_a_kiln_without_the_endpoint(self):
        result = hib.hibernate_answer(404, "no route for POST /cdn-cgi/kiln/hibernate", 1000)
        self.assertEqual(result["status"], "failed")
        self.assertIn("answered 404", result["error"])
        self.assertIn("this kiln has no hibernation endpoint", result["error"])

    def test_an_error_answer_or_a_malformed_one(self):
        error = hib.hibernate_answer(400, '{"error":"no such class"}', 1000)
        self.assertIn('answered 400: {"error":"no such class"}', error["error"])
        self.assertIn("no objects list", hib.hibernate_answer(200, "[]", 1000)["error"])
        self.assertIn("no objects list", hib.hibernate_answer(200, "not json", 1000)["error"])


class Figures(unittest.TestCase):
    def test_memory_per_socket(self):
        result = hib.memory_result(50 * 1024, 60 * 1024, 1000, "awake")
        self.assertEqual((result["status"], result["kib_per_socket"], result["rss_mib"]), ("ok", 10.24, 60.0))

    def test_memory_that_fell_is_void_and_says_so(self):
        result = hib.memory_result(60 * 1024, 59 * 1024, 1000, "hibernated")
        self.assertEqual(result["status"], "flagged")
        self.assertIn("RSS fell by 1024 KiB", result["flags"][0])

    def test_broadcast_medians_and_the_rooms_count(self):
        rounds = [{"last_ms": t, "p50_ms": t / 2, "first_ms": 1.0, "reply": f"bcast r{t} {n} 1 a"}
                  for t, n in ((30.0, 1000), (10.0, 1000), (20.0, 999))]
        result = hib.broadcast_result(rounds, 1000, 250.0)
        self.assertEqual((result["last_ms"], result["p50_ms"], result["last_ms_max"], result["rounds"]), (20.0, 10.0, 30.0, 3))
        self.assertEqual(result["flags"], ["the room counted 999 sockets, 1000 are open"])

    def test_a_failure_fills_the_steps_it_stopped(self):
        results = {"memory_awake": run.completed({"kib_per_socket": 5.0})}
        hib.fill(results, run.failed("boom"))
        self.assertEqual(results["broadcast"]["error"], "boom")
        self.assertEqual(results["wake_broadcast"]["error"], "not run: boom")
        self.assertEqual(results["memory_awake"]["status"], "ok")

    def test_the_tool_outlives_workerds_waits(self):
        args = hib.parse_args(["--workerd-samples", "3", "--kiln-samples", "10", "--workerd-idle", "12", "--no-build"])
        self.assertGreater(hib.tool_budget_s(args), args.connect_timeout + 11 * (12 + args.timeout))

    def test_commands(self):
        self.assertIn("address = \"127.0.0.1:4321\"", hib.workerd_config(4321))
        self.assertIn("inMemory", hib.workerd_config(4321))
        self.assertIn('className = "Room"', hib.workerd_config(4321))
        self.assertEqual(hib.kiln_command("/k", 99)[-3:], ["--port", "99", "--no-persist"])


class Report(unittest.TestCase):
    def report(self):
        ok = {w: run.completed({"last_ms": 10.0, "wake_ms": 2.0, "kib_per_socket": 4.0, "round_trip_ms": 0.2})
              for w in hib.WORKLOADS}
        kiln_runs = [dict(ok), hib.fill({w: ok[w] for w in ("memory_awake", "broadcast", "round_trip")},
                                        run.failed("POST /cdn-cgi/kiln/hibernate?class=Room answered 404: x"))]
        workerd = {w: run.completed({"last_ms": 40.0, "wake_ms": 8.0, "kib_per_socket": 16.0, "round_trip_ms": 0.4})
                   for w in hib.WORKLOADS}
        return hib.build_report({"kiln": kiln_runs, "workerd": [workerd, workerd]},
                                hib.parse_args(["--repeat", "2", "--no-build"]), {}, date="2026-01-01", cores=2)

    def test_failures_are_counted_and_shown_with_their_reason(self):
        report = self.report()
        wake = report["servers"]["kiln"]["summary"]["wake"]
        self.assertEqual((wake["ok"], wake["runs"], wake["status"]), (1, 2, "partial"))
        text = hib.table(report)
        self.assertIn("| kiln | 2.00 | - | - | 0.25 | PARTIAL 1/2 ok: run 2: POST /cdn-cgi/kiln/hibernate?class=Room answered 404: x |",
                      text)
        self.assertIn("| kiln, hibernated | 4.00 | - | - | 0.25 | PARTIAL 1/2 ok: run 2: not run: POST", text)
        self.assertIn("| workerd, awake | 16.00 | - | - | 1.00 | 2/2 ok |", text)
        self.assertIn("each of its wakes follows 12 s without a message", text)
        self.assertEqual(hib.exit_status(report), 1)

    def test_all_ok_exits_0(self):
        report = self.report()
        report["servers"].pop("kiln")
        self.assertEqual(hib.exit_status(report), 0)


class FailingTool(unittest.TestCase):
    """The driver's side of ws-hibernation: an exit or a silence becomes a
    failed run with the reason, never a hang or a crash."""

    def tool(self, script):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        path = os.path.join(folder, "tool")
        with open(path, "w") as f:
            f.write("#!" + sys.executable + "\n" + textwrap.dedent(script))
        os.chmod(path, 0o755)
        saved, hib.TOOL = hib.TOOL, path
        self.addCleanup(setattr, hib, "TOOL", saved)
        args = hib.parse_args(["--timeout", "1", "--no-build"])
        tool = hib.Tool(1, args)
        self.addCleanup(tool.stop)
        return tool

    def test_an_answer_then_an_exit(self):
        tool = self.tool("""
            import sys
            print('{"ok":true,"clients":1,"connect_ms":1.0}', flush=True)
            sys.stdin.readline()
            print("ws-hibernation: the room is gone", file=sys.stderr)
            sys.exit(3)
        """)
        self.assertTrue(tool.answer("opening", 5)["ok"])
        with self.assertRaises(run.RunFailed) as caught:
            tool.command("ping t")
        self.assertIn("ws-hibernation exited with code 3 during ping t: ws-hibernation: the room is gone",
                      caught.exception.result["error"])

    def test_a_silent_tool(self):
        tool = self.tool("""
            import sys
            sys.stdin.read()
        """)
        with self.assertRaises(run.RunFailed) as caught:
            tool.answer("opening 1000 sockets", 0.3)
        self.assertIn("gave no answer to opening 1000 sockets within 0.3 s", caught.exception.result["error"])

    def test_a_failed_command_is_a_failed_step(self):
        with self.assertRaises(run.RunFailed) as caught:
            hib.require({"ok": False, "error": "3 of 1000 clients received the broadcast within 30 s"}, "broadcast round 1")
        self.assertEqual(caught.exception.result["error"],
                         "broadcast round 1: 3 of 1000 clients received the broadcast within 30 s")


if __name__ == "__main__":
    unittest.main()
