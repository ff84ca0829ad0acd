"""Unit tests of bench/run.py's bookkeeping: what it parses, how it
summarises, and that a failure is reported, never dropped or read as 0.

No server, load generator or build is needed: the /proc tests build a
directory shaped like /proc, and the driver tests stand small Python scripts
in for the servers, ws-load and wrk.

    python3 -m unittest discover -s bench -p 'test_*.py' -v
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

WRK_WITH_ERRORS = """\
Running 5s test @ http://127.0.0.1:40123/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.80ms  345.12us   9.54ms   89.12%
    Req/Sec    28.95k     1.20k   30.44k    88.00%
  Latency Distribution
     50%    1.77ms
     75%    1.90ms
     90%    2.10ms
     99%    3.26ms
  144019 requests in 5.00s, 12.36MB read
  Socket errors: connect 0, read 12, write 0, timeout 3
  Non-2xx or 3xx responses: 120
Requests/sec:  28803.83
Transfer/sec:      2.47MB
"""

WRK_CLEAN = """\
Running 5s test @ http://127.0.0.1:40123/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   320.10us  100.00us   2.00ms   90.00%
    Req/Sec   148.53k     2.00k  150.00k    90.00%
  Latency Distribution
     50%  308.00us
     75%  350.00us
     90%  400.00us
     99%    1.20s
  742667 requests in 5.00s, 90.00MB read
Requests/sec: 148533.44
Transfer/sec:     18.00MB
"""


def ok_run(**figures):
    return run.completed(figures)


class ParseLoadGenerator(unittest.TestCase):
    def test_result_line(self):
        result = run.parse_ws_load(0, "180851 2.16 3.68\n", "")
        self.assertEqual(result["status"], "ok")
        self.assertEqual((result["messages_per_s"], result["p50_ms"], result["p99_ms"]), (180851.0, 2.16, 3.68))

    def test_non_zero_exit_is_a_failed_run(self):
        result = run.parse_ws_load(1, "", "ws-load: connection 3: echo out of order or corrupted (expected #17)\n")
        self.assertEqual(result["status"], "failed")
        self.assertEqual(result["exit_code"], 1)
        self.assertIn("exited with code 1", result["error"])
        self.assertIn("echo out of order", result["error"])
        self.assertNotIn("messages_per_s", result)

    def test_non_zero_exit_fails_even_with_figures_printed(self):
        result = run.parse_ws_load(2, "1000 1.00 2.00\n", "")
        self.assertEqual(result["status"], "failed")
        self.assertNotIn("messages_per_s", result)

    def test_killed_by_a_signal(self):
        result = run.parse_ws_load(-9, "", "")
        self.assertEqual(result["status"], "failed")
        self.assertIn("killed by signal 9", result["error"])

    def test_no_output_is_a_failed_run(self):
        for stdout in ("", "ws-load: something\n", "1000 1.0\n"):
            with self.subTest(stdout=stdout):
                result = run.parse_ws_load(0, stdout, "")
                self.assertEqual(result["status"], "failed")
                self.assertIn("no result", result["error"])

    def test_failed_load_run_is_counted_not_averaged(self):
        runs = [run.parse_ws_load(0, "100 1.00 2.00", ""),
                run.parse_ws_load(1, "", "ws-load: read: connection reset"),
                run.parse_ws_load(0, "300 3.00 4.00", "")]
        summary = run.summarise(runs)
        self.assertEqual(summary["status"], "partial")
        self.assertEqual(summary["label"], "2/3 ok")
        self.assertEqual(summary["figures"]["messages_per_s"], {"median": 200, "min": 100, "max": 300, "n": 2})
        self.assertEqual(summary["reasons"], [{"run": 2, "error": "ws-load exited with code 1: ws-load: read: connection reset"}])
        self.assertNotIn("exit_code", summary["figures"])
        # Whatever a failed run still carries stays out of the median.
        runs[1]["messages_per_s"] = 999999.0
        self.assertEqual(run.summarise(runs)["figures"]["messages_per_s"]["max"], 300)

    def test_idle_count(self):
        result = run.parse_idle(0, "10000\n", "open 10000\n", 10000, 50000, 191364)
        self.assertEqual(result["status"], "ok")
        self.assertEqual(result["connections"], 10000)
        self.assertEqual(result["rss_growth_kib"], 141364)
        self.assertEqual(result["kib_per_connection"], 14.14)

    def test_idle_short_of_connections_and_falling_rss_are_flagged(self):
        stderr = "ws-load: connection 9993: connection closed during the handshake\nopen 9993\n"
        result = run.parse_idle(0, "9993\n", stderr, 10000, 700000, 48892)
        self.assertEqual(result["status"], "flagged")
        self.assertEqual(len(result["flags"]), 2)
        self.assertIn("opened 9993 of 10000", result["flags"][0])
        self.assertIn("connection closed during the handshake", result["flags"][0])
        self.assertIn("RSS fell by 651108 KiB", result["flags"][1])

    def test_idle_failures(self):
        self.assertEqual(run.parse_idle(1, "", "ws-load: boom\n", 10, 0, 0)["status"], "failed")
        self.assertIn("no connection count", run.parse_idle(0, "", "", 10, 0, 0)["error"])
        nothing = run.parse_idle(0, "0\n", "ws-load: connection 0: connect 127.0.0.1:1: refused\nopen 0\n", 10, 0, 0)
        self.assertEqual(nothing["status"], "failed")
        self.assertIn("refused", nothing["error"])


class ParseWrk(unittest.TestCase):
    def test_errors_are_counted_and_flagged(self):
        result = run.parse_wrk(0, WRK_WITH_ERRORS, "")
        self.assertEqual(result["status"], "flagged")
        self.assertEqual(result["requests_per_s"], 28803.83)
        self.assertEqual(result["p50_ms"], 1.77)
        self.assertEqual(result["p99_ms"], 3.26)
        self.assertEqual(result["requests"], 144019)
        self.assertEqual(result["non_2xx"], 120)
        self.assertEqual(result["socket_errors"], {"connect": 0, "read": 12, "write": 0, "timeout": 3})
        self.assertEqual(result["socket_errors_total"], 15)
        self.assertEqual(result["flags"], ["120 non-2xx/3xx responses of 144019",
                                           "socket errors: connect 0, read 12, write 0, timeout 3"])

    def test_clean_run_and_units(self):
        result = run.parse_wrk(0, WRK_CLEAN, "")
        self.assertEqual(result["status"], "ok")
        self.assertEqual(result["flags"], [])
        self.assertEqual((result["non_2xx"], result["socket_errors_total"]), (0, 0))
        self.assertEqual(result["p50_ms"], 0.308)
        self.assertEqual(result["p99_ms"], 1200.0)
        self.assertEqual(result["requests_per_s"], 148533.44)

    def test_durations(self):
        self.assertEqual(run.parse_duration_ms("345.12us"), 0.345)
        self.assertEqual(run.parse_duration_ms("2.00m"), 120000.0)
        with self.assertRaises(ValueError):
            run.parse_duration_ms("3.26")

    def test_wrk_failures(self):
        exited = run.parse_wrk(1, "", "unable to connect to 127.0.0.1:40123 Connection refused\n")
        self.assertEqual(exited["status"], "failed")
        self.assertEqual(exited["exit_code"], 1)
        self.assertIn("Connection refused", exited["error"])
        truncated = run.parse_wrk(0, WRK_CLEAN.split("Requests/sec")[0], "")
        self.assertEqual(truncated["status"], "failed")
        self.assertIn("requests_per_s", truncated["error"])
        none = run.parse_wrk(0, WRK_CLEAN.replace("742667 requests", "0 requests"), "")
        self.assertEqual(none["status"], "failed")

    def test_flagged_row_in_the_table(self):
        runs = {"kiln": [{"http": run.parse_wrk(0, WRK_WITH_ERRORS, "")}, {"http": run.parse_wrk(0, WRK_CLEAN, "")}]}
        report = run.build_report(runs, 2, False, date="2026-01-01", cores=2)
        self.assertEqual(report["servers"]["kiln"]["summary"]["http"]["status"], "flagged")
        http = run.table(report).split("HTTP hello world")[1].split("\n\n")[1]
        row = next(line for line in http.splitlines() if line.startswith("| kiln |"))
        self.assertIn("FLAGGED 2/2 ok, 1 flagged", row)
        self.assertIn("run 1: 120 non-2xx/3xx responses", row)
        self.assertIn("88,669 (28,804–148,533)", row)  # requests/s: median of two is their mean


class Summaries(unittest.TestCase):
    def test_median_and_spread(self):
        self.assertEqual(run.spread([3.0, 1.0, 2.0]), {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3})
        self.assertEqual(run.spread([4, 1, 3, 2]), {"median": 2.5, "min": 1, "max": 4, "n": 4})
        self.assertEqual(run.spread([7]), {"median": 7, "min": 7, "max": 7, "n": 1})

    def test_summary_of_runs(self):
        runs = [ok_run(messages_per_s=180851.0, p99_ms=3.68), ok_run(messages_per_s=175002.0, p99_ms=4.1),
                ok_run(messages_per_s=183443.0, p99_ms=3.5)]
        summary = run.summarise(runs)
        self.assertEqual((summary["status"], summary["label"], summary["ok"], summary["runs"]), ("ok", "3/3 ok", 3, 3))
        self.assertEqual(summary["figures"]["messages_per_s"], {"median": 180851.0, "min": 175002.0, "max": 183443.0, "n": 3})
        self.assertEqual(summary["figures"]["p99_ms"]["median"], 3.68)
        self.assertEqual(run.figure_cell(summary, "messages_per_s", ",.0f"), "180,851 (175,002–183,443)")
        self.assertEqual(run.runs_cell(summary), "3/3 ok")

    def test_row_status(self):
        good, bad = ok_run(x=1), run.failed("nope")
        flagged = run.completed({"x": 1}, ["a flag"])
        self.assertEqual(run.row_status([good, good, good]), ("ok", "3/3 ok"))
        self.assertEqual(run.row_status([good, flagged, good]), ("flagged", "3/3 ok, 1 flagged"))
        self.assertEqual(run.row_status([good, bad, flagged]), ("partial", "2/3 ok, 1 flagged"))
        self.assertEqual(run.row_status([bad, bad, bad]), ("failed", "0/3 ok"))

    def test_failed_server_keeps_its_row_with_its_reason(self):
        order = run.workloads("workerd")
        reason = run.failed("the server exited with code 1 during start-up: workerd: error: no such file",
                            exit_code=1, server_output_tail="workerd: error: no such file")
        kiln = {w: ok_run(messages_per_s=100.0, p50_ms=1.0, p99_ms=2.0, cpu_s=0.5) for w in order}
        runs = {"kiln": [kiln] * 3, "workerd": [run.not_started(order, reason)] * 3}
        report = run.build_report(runs, 3, False, date="2026-01-01", cores=2)

        workerd = report["servers"]["workerd"]
        self.assertEqual(workerd["status"], "failed")
        self.assertEqual(len(workerd["runs"]), 3)
        self.assertEqual(workerd["runs"][0]["workloads"]["startup"]["exit_code"], 1)
        self.assertEqual(set(workerd["summary"]), set(order))
        echo = workerd["summary"]["echo_64"]
        self.assertEqual((echo["status"], echo["label"], echo["figures"]), ("failed", "0/3 ok", {}))
        self.assertIn("did not start", echo["reasons"][0]["error"])
        self.assertIn("no such file", echo["reasons"][0]["error"])
        self.assertEqual(run.exit_status(report), 1)

        text = run.table(report)
        rows = [line for line in text.splitlines() if line.startswith("| workerd |")]
        self.assertEqual(len(rows), len(run.TABLES))  # one row in every table
        for row in rows:
            cells = [c.strip() for c in row.strip("|").split("|")]
            self.assertNotIn("0", cells)
            self.assertNotIn("0.0", cells)
            self.assertIn("FAILED 0/3 ok: runs 1, 2, 3:", row)
            self.assertIn("no such file", row)
        echo_row = next(r for r in rows if "not run" in r)
        self.assertTrue(echo_row.startswith("| workerd | failed | failed | failed | failed | - | - |"), echo_row)
        # kiln's ratio against a workerd that failed is no ratio at all.
        kiln_row = next(line for line in text.splitlines() if line.startswith("| kiln | 100 |"))
        self.assertTrue(kiln_row.endswith("| 0.50 | - | - | 3/3 ok |"), kiln_row)
        json.dumps(report)  # the JSON keeps it all

    def test_server_that_died_during_a_workload(self):
        load = run.parse_ws_load(1, "", "ws-load: read: connection reset by peer")
        result = run.settle("idle", load, 139, "thread 'main' panicked at ...\nSegmentation fault\n")
        self.assertEqual(result["status"], "failed")
        self.assertEqual(result["exit_code"], 139)
        self.assertEqual(result["error"], "the server exited with code 139 during idle: Segmentation fault")
        self.assertEqual(result["load_result"]["exit_code"], 1)
        killed = run.settle("echo_64", ok_run(messages_per_s=1.0), -11, "")
        self.assertEqual((killed["status"], killed["error"]), ("failed", "the server was killed by signal 11 during echo_64"))
        self.assertIs(run.settle("echo_64", load, None, ""), load)

    def test_ceiling_has_no_http_row_but_keeps_its_place(self):
        runs = {"ceiling": [{w: ok_run(peak_rss_mib=70.2) for w in run.workloads("ceiling")}]}
        text = run.table(run.build_report(runs, 1, True, date="2026-01-01", cores=2))
        http = text.split("HTTP hello world")[1].split("\n\n", 2)[1]
        self.assertIn("| ceiling | n/a |", http)


class ProcSampling(unittest.TestCase):
    """A directory shaped like /proc: a server 4242 (a wrapper) with a child 4243."""

    def setUp(self):
        self.proc = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.proc, True)
        self.process(4242, 1, rss_kib=2048, children=[4243])
        self.process(4243, 4242, rss_kib=1024 * 100)

    def process(self, pid, ppid, rss_kib=None, children=(), state="S (sleeping)", utime=300, stime=100):
        task = os.path.join(self.proc, str(pid), "task", str(pid))
        os.makedirs(task, exist_ok=True)
        with open(os.path.join(task, "children"), "w") as f:
            f.write(" ".join(map(str, children)) + (" " if children else ""))
        status = f"Name:\tserver\nState:\t{state}\nPPid:\t{ppid}\n"
        if rss_kib is not None:
            status += f"VmHWM:\t{rss_kib} kB\nVmRSS:\t{rss_kib} kB\n"
        with open(os.path.join(self.proc, str(pid), "status"), "w") as f:
            f.write(status)
        stat = f"{pid} (ser ver) {state[0]} {ppid} 1 1 0 -1 0 0 0 0 0 {utime} {stime} 0 0 20 0 1 0"
        with open(os.path.join(self.proc, str(pid), "stat"), "w") as f:
            f.write(stat)

    def test_tree_rss_includes_children(self):
        self.assertEqual(run.process_tree(4242, self.proc), [4242, 4243])
        self.assertEqual(run.tree_rss_kib(4242, self.proc), 2048 + 102400)
        self.assertEqual(run.tree_cpu_seconds(4242, self.proc), 800 / run.CLK_TCK)

    def test_children_found_without_children_files(self):
        os.remove(os.path.join(self.proc, "4242", "task", "4242", "children"))
        self.assertEqual(run.process_tree(4242, self.proc), [4242, 4243])

    def test_sampler_keeps_the_peak(self):
        sampler = run.RssSampler(4242, proc_root=self.proc)
        self.assertTrue(sampler.sample())
        self.process(4243, 4242, rss_kib=1024 * 300)
        self.assertTrue(sampler.sample())
        self.process(4243, 4242, rss_kib=1024)
        self.assertTrue(sampler.sample())
        result = sampler.result()
        self.assertEqual(result["status"], "ok")
        self.assertEqual(result["peak_rss_mib"], 302.0)
        self.assertEqual(result["samples"], 3)

    def test_a_child_that_ends_is_not_an_error(self):
        shutil.rmtree(os.path.join(self.proc, "4243"))
        self.assertEqual(run.tree_rss_kib(4242, self.proc), 2048)

    def test_dead_pid_is_an_error_not_zero(self):
        sampler = run.RssSampler(4242, proc_root=self.proc)
        self.assertTrue(sampler.sample())
        shutil.rmtree(os.path.join(self.proc, "4242"))
        with self.assertRaises(run.ProcessGone):
            run.tree_rss_kib(4242, self.proc)
        self.assertFalse(sampler.sample())
        result = sampler.result()
        self.assertEqual(result["status"], "failed")
        self.assertIn("not running", result["error"])
        self.assertIn("4242", result["error"])
        self.assertNotIn("peak_rss_mib", result)
        summary = run.summarise([result])
        self.assertEqual(run.figure_cell(summary, "peak_rss_mib", ".1f"), "failed")

    def test_zombie_is_dead(self):
        self.process(4242, 1, rss_kib=None, state="Z (zombie)")
        with self.assertRaises(run.ProcessGone) as caught:
            run.tree_rss_kib(4242, self.proc)
        self.assertIn("exited", str(caught.exception))
        with self.assertRaises(run.ProcessGone):
            run.tree_cpu_seconds(4242, self.proc)

    def test_exiting_process_without_memory_is_dead(self):
        self.process(4242, 1, rss_kib=None, state="R (running)")
        with self.assertRaises(run.ProcessGone):
            run.tree_rss_kib(4242, self.proc)

    def test_never_sampled_is_an_error(self):
        self.assertEqual(run.memory_result(0, 0, None)["status"], "failed")


@unittest.skipUnless(os.path.isdir("/proc/self/task"), "needs Linux /proc")
class RealProc(unittest.TestCase):
    def wait_for(self, predicate, seconds=5):
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                self.fail("timed out")
            time.sleep(0.01)

    def test_exited_unreaped_process_is_an_error(self):
        proc = subprocess.Popen(["true"])
        self.addCleanup(proc.wait)

        def zombie():
            with open(f"/proc/{proc.pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"
        self.wait_for(zombie)
        sampler = run.RssSampler(proc.pid)
        self.assertFalse(sampler.sample())
        self.assertEqual(sampler.result()["status"], "failed")

    def test_wrapper_script_counts_its_child(self):
        proc = subprocess.Popen(["sh", "-c", "sleep 30; true"])
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        self.wait_for(lambda: run.child_pids(proc.pid))
        child = run.child_pids(proc.pid)[0]
        self.addCleanup(os.kill, child, signal.SIGKILL)
        self.assertEqual(run.tree_rss_kib(proc.pid), run.read_rss_kib(proc.pid) + run.read_rss_kib(child))


FAKE_SERVER = """\
import os, signal, sys, time
mode, port, state = sys.argv[1], sys.argv[2], os.environ["FAKE_STATE"]
if mode == "exit-now":
    print("fake server: bad config", file=sys.stderr)
    sys.exit(2)
def crash(*_):
    print("fake server: crashed", file=sys.stderr, flush=True)
    os._exit(3)
signal.signal(signal.SIGUSR1, crash)
if mode == "crash-on-16k":
    with open(os.path.join(state, "crash-" + port), "w") as f:
        f.write(str(os.getpid()))
open(os.path.join(state, "ready-" + port), "w").close()
while True:
    time.sleep(1)
"""

FAKE_WS_LOAD = """\
import os, signal, sys, time
args, state = sys.argv[1:], os.environ["FAKE_STATE"]
port = args[args.index("--addr") + 1].rsplit(":", 1)[1]
if "--retry" in args:
    deadline = time.monotonic() + 10
    while not os.path.exists(os.path.join(state, "ready-" + port)):
        if time.monotonic() > deadline:
            sys.exit("ws-load: connect: refused")
        time.sleep(0.01)
if "--idle" in args:
    n = args[args.index("--idle") + 1]
    print("open " + n, file=sys.stderr, flush=True)
    time.sleep(0.2)
    print(n)
    sys.exit(0)
crash = os.path.join(state, "crash-" + port)
if "16384" in args and os.path.exists(crash):
    os.kill(int(open(crash).read()), signal.SIGUSR1)
    time.sleep(0.2)
    sys.exit("ws-load: read: connection reset by peer")
print("1000 1.00 2.00")
"""


class Driver(unittest.TestCase):
    """run_once with stand-ins for the server, ws-load and wrk: what the
    driver records when a server runs, crashes, or never starts."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        scripts = {"server": FAKE_SERVER, "ws-load": FAKE_WS_LOAD, "wrk": f"print({WRK_WITH_ERRORS!r})\n"}
        for name, text in scripts.items():
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(f"#!{sys.executable}\n" + textwrap.dedent(text))
            os.chmod(path, 0o755)
        os.environ["FAKE_STATE"] = self.dir
        self.addCleanup(os.environ.pop, "FAKE_STATE")
        saved = {k: getattr(run, k) for k in ("SERVERS", "WS_LOAD", "WRK", "pinned")}
        self.addCleanup(lambda: [setattr(run, k, v) for k, v in saved.items()])
        run.SERVERS = {mode: (lambda m: lambda port: [os.path.join(self.dir, "server"), m, str(port)])(mode)
                       for mode in ("serve", "crash-on-16k", "exit-now")}
        run.SERVERS["missing"] = lambda port: [os.path.join(self.dir, "no-such-server")]
        run.WS_LOAD = os.path.join(self.dir, "ws-load")
        run.WRK = os.path.join(self.dir, "wrk")
        run.pinned = lambda cpu, cmd: cmd

    def test_healthy_server(self):
        results = run.run_once("serve", True)
        self.assertEqual(list(results), run.workloads("serve"))
        self.assertEqual({w: r["status"] for w, r in results.items()},
                         {"startup": "ok", "echo_64": "ok", "echo_16k": "ok", "ping_pong": "ok",
                          "http": "flagged", "idle": "ok", "memory": "ok"})
        self.assertEqual(results["echo_64"]["messages_per_s"], 1000.0)
        self.assertGreaterEqual(results["echo_64"]["cpu_s"], 0)
        self.assertEqual(results["http"]["non_2xx"], 120)
        self.assertEqual(results["idle"]["connections"], 1000)
        self.assertGreater(results["memory"]["peak_rss_mib"], 1.0)  # a Python process is several MiB
        self.assertGreater(results["memory"]["samples"], 1)

    def test_server_crashing_mid_run(self):
        results = run.run_once("crash-on-16k", True)
        self.assertEqual(list(results), run.workloads("crash-on-16k"))
        self.assertEqual(results["echo_64"]["status"], "ok")
        crashed = results["echo_16k"]
        self.assertEqual(crashed["status"], "failed")
        self.assertEqual(crashed["exit_code"], 3)
        self.assertEqual(crashed["error"], "the server exited with code 3 during echo_16k: fake server: crashed")
        self.assertEqual(crashed["load_result"]["status"], "failed")
        for workload in ("ping_pong", "http", "idle"):
            self.assertEqual(results[workload]["error"], "not run: the server had exited with code 3 during echo_16k")
        self.assertEqual(results["memory"]["status"], "failed")
        self.assertNotIn("peak_rss_mib", results["memory"])

    def test_server_that_never_starts(self):
        for mode, expected in (("exit-now", "the server exited with code 2 during start-up: fake server: bad config"),
                               ("missing", "could not start the server: FileNotFoundError")):
            with self.subTest(mode=mode):
                results = run.run_once(mode, True)
                self.assertEqual(list(results), run.workloads(mode))
                self.assertTrue(all(r["status"] == "failed" for r in results.values()))
                self.assertTrue(results["startup"]["error"].startswith(expected), results["startup"]["error"])
                self.assertIn(expected, results["idle"]["error"])


class CommandLine(unittest.TestCase):
    def test_todays_options_still_parse(self):
        args = run.parse_args(["--servers", "kiln,ceiling", "--quick", "--json", "out.json", "--no-build"])
        self.assertEqual((args.servers, args.quick, args.json, args.no_build, args.repeat),
                         (["kiln", "ceiling"], True, "out.json", True, 3))
        self.assertEqual(run.parse_args([]).servers, ["kiln", "ceiling", "workerd", "deno", "bun"])
        self.assertEqual(run.parse_args(["--repeat", "5"]).repeat, 5)

    def test_bad_options(self):
        for argv in (["--repeat", "0"], ["--servers", "kiln,nodejs"]):
            with self.subTest(argv=argv), self.assertRaises(SystemExit), open(os.devnull, "w") as null:
                saved, sys.stderr = sys.stderr, null
                try:
                    run.parse_args(argv)
                finally:
                    sys.stderr = saved


if __name__ == "__main__":
    unittest.main()
