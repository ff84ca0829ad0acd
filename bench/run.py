#!/usr/bin/env python3
"""kiln's benchmark suite.

Builds kiln in release mode, installs the reference runtimes from npm, then
starts each server on loopback (kiln running bench/echo.js, the raw-Rust
ceiling, workerd, Deno and Bun, all doing the same echo and hello world) and
drives it with the same load generator (bench's ws-load; wrk for HTTP). The
server is pinned to CPU 0 and the load generator to CPU 1. Every run is
bounded (a message count or a duration, and a timeout) and stops by itself.

Workloads: WebSocket echo at 64 B and 16 KiB on 50 connections; one
connection ping-pong; 10,000 idle connections (RSS per connection); start-up
(process start to the first completed upgrade); HTTP hello world. For each:
the figures, the server's CPU seconds and peak RSS, and ratios against
workerd and against the ceiling, because these machines are noisy.

Each server is measured in --repeat runs (default 3); a run is a fresh start
of the server followed by every workload. A figure is the median of the runs
that completed, with their min-max range in parentheses, next to how many
runs completed ("2/3 ok"). A run that failed (the server did not start or
exited, a load generator exited non-zero, printed no result or overran its
timeout, the server was gone when its memory was sampled) keeps its place
with its reason, in the table and in the JSON, which holds every run. A run
that completed with errors (wrk's non-2xx responses or socket errors, fewer
idle connections than asked for, RSS that fell) counts, but is flagged. Peak
RSS is sampled every 150 ms over the whole run, server and children. The
exit status is 1 when any run failed.

Usage: bench/run.py [--servers kiln,ceiling,...] [--quick] [--repeat N] [--json FILE] [--no-build]
"""

import argparse
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_MODULES = os.path.join(ROOT, "bench", "node_modules")
WS_LOAD = os.path.join(ROOT, "target", "release", "ws-load")
WRK = "wrk"
CLK_TCK = os.sysconf("SC_CLK_TCK")
RSS_INTERVAL_S = 0.15
# Enough of a process's output to show why it failed, short enough for the JSON.
TAIL_CHARS = 800
SPREAD = "median of the runs that completed, min-max of the same runs in parentheses; failed runs are counted, never averaged in"

# Each server's command line for a port. Ports are fresh for every start:
# a port that a previous run left in TIME_WAIT by the thousand slows the
# first connections down and would distort the start-up figure.
SERVERS = {
    "kiln": lambda port: ["target/release/kiln", "dev", "bench/echo.js", "--quiet", "--port", str(port)],
    "ceiling": lambda port: ["target/release/ws-echo-ceiling", "--listen", f"127.0.0.1:{port}"],
    "workerd": lambda port: [
        NODE_MODULES + "/@cloudflare/workerd-linux-64/bin/workerd", "serve", workerd_config(port)],
    "deno": lambda port: [NODE_MODULES + "/@deno/linux-x64-glibc/deno", "run", "-A", "bench/deno-echo.js", str(port)],
    "bun": lambda port: [NODE_MODULES + "/bun/bin/bun.exe", "run", "bench/bun-echo.js", str(port)],
}


def workloads(name):
    """The workloads of a run, in the order it performs them. Start-up and
    memory cover the whole run, so they come first and last."""
    order = ["startup", "echo_64", "echo_16k", "ping_pong", "http", "idle", "memory"]
    if name == "ceiling":  # a WebSocket echo and nothing else: it has no HTTP to measure
        order.remove("http")
    return order


# --- The pure part: parsing, summarising, deciding and rendering. ---------
# bench/test_run.py calls these without starting any server.

def completed(figures, flags=()):
    """A run that produced its figures; flags are the errors it still saw."""
    flags = list(flags)
    return {"status": "flagged" if flags else "ok", **figures, "flags": flags}


def failed(reason, **details):
    """A run that produced no figure; the reason says why, details hold the evidence."""
    return {"status": "failed", "error": reason, **details}


class RunFailed(Exception):
    def __init__(self, result):
        super().__init__(result["error"])
        self.result = result


class ProcessGone(Exception):
    """The process to measure has exited, whether or not it has been reaped."""


def tail(text, limit=TAIL_CHARS):
    return (text or "").strip()[-limit:]


def last_line(text):
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def describe_exit(code):
    return f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"


def exit_failure(what, returncode, stderr):
    """The failed run of a process that exited non-zero; None if it exited 0.
    Whatever it printed on stdout is then not a result."""
    if returncode == 0:
        return None
    line = last_line(stderr)
    return failed(f"{what} {describe_exit(returncode)}" + (f": {line}" if line else ""),
                  exit_code=returncode, stderr_tail=tail(stderr))


def parse_ws_load(returncode, stdout, stderr):
    """ws-load --raw prints one line: messages/s, p50 ms, p99 ms."""
    failure = exit_failure("ws-load", returncode, stderr)
    if failure:
        return failure
    try:
        rate, p50, p99 = (float(field) for field in stdout.split())
    except ValueError:
        return failed("ws-load printed no result", stdout_tail=tail(stdout), stderr_tail=tail(stderr))
    if rate <= 0:
        return failed(f"ws-load reported {rate} messages/s", stdout_tail=tail(stdout), stderr_tail=tail(stderr))
    return completed({"messages_per_s": rate, "p50_ms": p50, "p99_ms": p99})


def parse_idle(returncode, stdout, stderr, requested, rss_before_kib, rss_during_kib):
    """ws-load --idle prints how many connections it held open; each one it
    could not open is a `ws-load: connection N: ...` line on stderr."""
    failure = exit_failure("ws-load --idle", returncode, stderr)
    if failure:
        return failure
    try:
        opened = int(stdout.strip())
    except ValueError:
        return failed("ws-load --idle printed no connection count", stdout_tail=tail(stdout), stderr_tail=tail(stderr))
    refusals = [line.strip() for line in stderr.splitlines() if line.startswith("ws-load:")]
    if opened == 0:
        return failed("no idle connection opened" + (f": {refusals[0]}" if refusals else ""), stderr_tail=tail(stderr))
    growth = rss_during_kib - rss_before_kib
    flags = []
    if opened < requested:
        flags.append(f"opened {opened} of {requested} connections" + (f" ({refusals[0]})" if refusals else ""))
    if growth < 0:
        flags.append(f"RSS fell by {-growth} KiB while the connections were open (a collection?): the per-connection figure is void")
    return completed({"connections": opened, "requested": requested, "rss_growth_kib": growth,
                      "kib_per_connection": round(growth / opened, 2)}, flags)


DURATION_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def parse_duration_ms(text):
    """wrk's durations: 345.12us, 1.77ms, 1.20s, 2.00m."""
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return round(float(match[1]) * DURATION_MS[match[2]], 3)


WRK_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse_wrk(returncode, stdout, stderr):
    """wrk --latency's report. It prints the socket-error and non-2xx lines
    only when there are some, so their absence means zero."""
    failure = exit_failure("wrk", returncode, stderr)
    if failure:
        return failure
    figures = {"non_2xx": 0, "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}}
    try:
        for line in stdout.splitlines():
            parts = line.split()
            if line.startswith("Requests/sec:"):
                figures["requests_per_s"] = float(parts[1])
            elif parts[:1] in (["50%"], ["99%"]):
                figures["p50_ms" if parts[0] == "50%" else "p99_ms"] = parse_duration_ms(parts[1])
            elif " requests in " in line:
                figures["requests"] = int(parts[0])
            elif "Non-2xx or 3xx responses:" in line:
                figures["non_2xx"] = int(parts[-1])
            elif (match := WRK_SOCKET_ERRORS.search(line)):
                figures["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, match.groups())))
    except (ValueError, IndexError) as e:
        return failed(f"unreadable wrk output: {e}", stdout_tail=tail(stdout))
    missing = [key for key in ("requests_per_s", "p50_ms", "p99_ms", "requests") if key not in figures]
    if missing:
        return failed(f"wrk printed no {', '.join(missing)}", stdout_tail=tail(stdout), stderr_tail=tail(stderr))
    if figures["requests"] == 0:
        return failed("wrk completed no request", stdout_tail=tail(stdout))
    errors = figures["socket_errors"]
    figures["socket_errors_total"] = sum(errors.values())
    flags = []
    if figures["non_2xx"]:
        flags.append(f"{figures['non_2xx']} non-2xx/3xx responses of {figures['requests']}")
    if figures["socket_errors_total"]:
        flags.append("socket errors: " + ", ".join(f"{kind} {n}" for kind, n in errors.items()))
    return completed(figures, flags)


def settle(workload, result, exit_code, output):
    """A workload's result once the server's state after it is known: a
    server that exited under a workload fails it, whatever the load generator
    saw (its own failure is then usually the consequence), and the server's
    exit code and last output are the reason."""
    if exit_code is None:
        return result
    line = last_line(output)
    death = failed(f"the server {describe_exit(exit_code)} during {workload}" + (f": {line}" if line else ""),
                   exit_code=exit_code, server_output_tail=tail(output))
    death["load_result"] = result
    return death


def not_started(order, failure):
    """A run whose server never served: start-up has the reason, every other
    workload is there too, failed, so that no row loses a run."""
    results = {order[0]: failure}
    for workload in order[1:]:
        results[workload] = failed(f"not run: the server did not start ({failure['error']})")
    return results


def memory_result(peak_kib, samples, error):
    if error:
        return failed(f"the server was not running when its RSS was sampled: {error}", samples=samples)
    if not samples:
        return failed("no RSS sample was taken")
    return completed({"peak_rss_mib": round(peak_kib / 1024, 1), "samples": samples})


def spread(values):
    values = sorted(values)
    return {"median": statistics.median(values), "min": values[0], "max": values[-1], "n": len(values)}


def is_figure(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def row_status(runs):
    """The status of one workload on one server over its runs, and the count
    the table shows. A run that failed makes the row partial however good
    the others are."""
    done = [run for run in runs if run["status"] != "failed"]
    flagged = sum(run["status"] == "flagged" for run in runs)
    if not done:
        status = "failed"
    elif len(done) < len(runs):
        status = "partial"
    elif flagged:
        status = "flagged"
    else:
        status = "ok"
    return status, f"{len(done)}/{len(runs)} ok" + (f", {flagged} flagged" if flagged else "")


def summarise(runs):
    """Median and min-max of every figure over the runs that completed
    (flagged ones included: their figures were measured, and the flag shows),
    with the reason of every failed run and every flag."""
    status, label = row_status(runs)
    values = {}
    for run in runs:
        if run["status"] != "failed":
            for key, value in run.items():
                if is_figure(value):
                    values.setdefault(key, []).append(value)
    return {
        "status": status,
        "label": label,
        "ok": sum(run["status"] != "failed" for run in runs),
        "runs": len(runs),
        "reasons": [{"run": i, "error": run["error"]} for i, run in enumerate(runs, 1) if run["status"] == "failed"],
        "flags": [{"run": i, "flag": flag} for i, run in enumerate(runs, 1) for flag in run.get("flags", [])],
        "figures": {key: spread(v) for key, v in values.items()},
    }


def server_status(summary):
    statuses = {s["status"] for s in summary.values()}
    if statuses <= {"failed"}:
        return "failed"
    if statuses & {"failed", "partial"}:
        return "partial"
    return "flagged" if "flagged" in statuses else "ok"


def build_report(runs, repeat, quick, date=None, cores=None):
    """runs: {server: [one {workload: result} per run]}. Every run is kept;
    the summary is derived from them."""
    servers = {}
    for name, server_runs in runs.items():
        order = []
        for run in server_runs:
            order += [w for w in run if w not in order]
        summary = {w: summarise([run.get(w, failed("no result recorded")) for run in server_runs]) for w in order}
        servers[name] = {
            "status": server_status(summary) if summary else "failed",
            "summary": summary,
            "runs": [{"run": i, "workloads": run} for i, run in enumerate(server_runs, 1)],
        }
    return {
        "date": date or time.strftime("%Y-%m-%d", time.gmtime()),
        "cores": cores or os.cpu_count(),
        "repeat": repeat,
        "quick": quick,
        "spread": SPREAD,
        "servers": servers,
    }


def exit_status(report):
    return 1 if any(s["reasons"] for server in report["servers"].values() for s in server["summary"].values()) else 0


ECHO_COLUMNS = [("messages/s", "messages_per_s", ",.0f"), ("p50 ms", "p50_ms", ".2f"),
                ("p99 ms", "p99_ms", ".2f"), ("server CPU s", "cpu_s", ".2f")]
# (workload, title, columns (header, figure, format), figure compared with workerd's and the ceiling's)
TABLES = [
    ("echo_64", "WebSocket echo, 64 B, 50 connections x 8 in flight", ECHO_COLUMNS, "messages_per_s"),
    ("echo_16k", "WebSocket echo, 16 KiB, 50 connections x 8 in flight", ECHO_COLUMNS, "messages_per_s"),
    ("ping_pong", "One connection, one message in flight (round trip)",
     [("p50 ms", "p50_ms", ".2f"), ("p99 ms", "p99_ms", ".2f")], None),
    ("http", "HTTP hello world (wrk, 50 connections)",
     [("requests/s", "requests_per_s", ",.0f"), ("p50 ms", "p50_ms", ".2f"), ("p99 ms", "p99_ms", ".2f"),
      ("server CPU s", "cpu_s", ".2f"), ("non-2xx", "non_2xx", ",.0f"), ("socket errors", "socket_errors_total", ",.0f")], None),
    ("idle", "Idle WebSockets",
     [("connections", "connections", ",.0f"), ("RSS per idle connection KiB", "kib_per_connection", ".2f")], None),
    ("startup", "Start-up, process start to the first completed upgrade and echo (the first start of each run, then the next)",
     [("start-up ms", "startup_ms", ".1f"), ("first start ms", "startup_first_ms", ".1f")], None),
    ("memory", "Peak RSS over the whole run (server and its children, sampled every 150 ms)",
     [("peak RSS MiB", "peak_rss_mib", ".1f")], None),
]


def cell_text(text, limit=240):
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def figure_cell(summary, key, fmt):
    if summary["status"] == "failed":
        return "failed"
    s = summary["figures"].get(key)
    if s is None:
        return "-"
    text = format(s["median"], fmt)
    if s["min"] != s["max"]:
        text += f" ({format(s['min'], fmt)}–{format(s['max'], fmt)})"
    return text


def runs_cell(summary):
    """The count of runs, and for a row that is not plainly ok, why: the
    reasons of failed runs and the flags, runs with the same reason merged."""
    if summary["status"] == "ok":
        return summary["label"]
    notes = {}
    for reason in summary["reasons"]:
        notes.setdefault(reason["error"], []).append(reason["run"])
    for flag in summary["flags"]:
        notes.setdefault(flag["flag"], []).append(flag["run"])
    text = "; ".join(f"run{'s' if len(runs) > 1 else ''} {', '.join(map(str, runs))}: {note}" for note, runs in notes.items())
    return cell_text(f"{summary['status'].upper()} {summary['label']}: {text}")


def ratio(summary, reference, key):
    if not summary or not reference or "failed" in (summary["status"], reference["status"]):
        return "-"
    a, b = (s["figures"].get(key, {}).get("median") for s in (summary, reference))
    return f"{a / b:.2f}" if a and b else "-"


def table(report):
    servers = report["servers"]
    lines = [f"kiln benchmark suite, {report['date']}, {report['cores']} cores (server on CPU 0, load on CPU 1), "
             f"{report['repeat']} run{'s' if report['repeat'] != 1 else ''} per server{' (--quick)' if report['quick'] else ''}",
             f"Figures: {report['spread']}.", ""]
    for workload, title, columns, compared in TABLES:
        headers = [header for header, _, _ in columns] + (["vs workerd", "vs ceiling"] if compared else []) + ["runs"]
        lines += [f"{title}:", "", "| server | " + " | ".join(headers) + " |", "|---" * (len(headers) + 1) + "|"]
        for name, server in servers.items():
            summary = server["summary"].get(workload)
            if summary is None:
                cells = ["n/a"] * (len(headers) - 1) + ["not measured on this server"]
            else:
                cells = [figure_cell(summary, key, fmt) for _, key, fmt in columns]
                if compared:
                    cells += [ratio(summary, servers.get(ref, {}).get("summary", {}).get(workload), compared)
                              for ref in ("workerd", "ceiling")]
                cells.append(runs_cell(summary))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


# --- /proc: RSS and CPU of a server and whatever it started. --------------

def read_status(pid, proc_root="/proc"):
    try:
        with open(os.path.join(proc_root, str(pid), "status")) as f:
            text = f.read()
    except OSError as e:
        raise ProcessGone(f"process {pid} is gone ({e.strerror})") from None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    state = fields.get("State", "").split()[:1]
    # A server that exited stays a zombie until we reap it: its status is
    # still there, with no memory at all, which must not read as 0 MiB.
    if state and state[0] in ("Z", "X"):
        raise ProcessGone(f"process {pid} has exited (state {state[0]}, not reaped yet)")
    return fields


def read_rss_kib(pid, proc_root="/proc"):
    rss = read_status(pid, proc_root).get("VmRSS")
    if rss is None:
        raise ProcessGone(f"process {pid} has no VmRSS (it is exiting)")
    return int(rss.split()[0])


def child_pids(pid, proc_root="/proc"):
    task_dir = os.path.join(proc_root, str(pid), "task")
    try:
        tasks = os.listdir(task_dir)
    except OSError:
        return []
    children = []
    for task in tasks:
        try:
            with open(os.path.join(task_dir, task, "children")) as f:
                children += [int(child) for child in f.read().split()]
        except FileNotFoundError:
            if not os.path.isdir(os.path.join(task_dir, task)):
                continue  # a thread that ended while we looked
            return scan_child_pids(pid, proc_root)  # a kernel without CONFIG_PROC_CHILDREN
    return children


def scan_child_pids(pid, proc_root="/proc"):
    children = []
    for entry in os.listdir(proc_root):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc_root, entry, "stat")) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            children.append(int(entry))
    return children


def process_tree(pid, proc_root="/proc"):
    """pid and its descendants: a server started through a wrapper (a shell
    script, a launcher) does its work in a child."""
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p not in tree:
            tree.append(p)
            todo += child_pids(p, proc_root)
    return tree


def tree_rss_kib(pid, proc_root="/proc"):
    """RSS of a process and its descendants (pages they share count twice).
    Raises ProcessGone if the process itself has exited; a descendant that
    ends in the meantime just no longer counts."""
    total = read_rss_kib(pid, proc_root)
    for child in process_tree(pid, proc_root)[1:]:
        try:
            total += read_rss_kib(child, proc_root)
        except ProcessGone:
            pass
    return total


def read_cpu_seconds(pid, proc_root="/proc"):
    try:
        with open(os.path.join(proc_root, str(pid), "stat")) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError as e:
        raise ProcessGone(f"process {pid} is gone ({e.strerror})") from None
    if fields[0] in ("Z", "X"):
        raise ProcessGone(f"process {pid} has exited (state {fields[0]}, not reaped yet)")
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu_seconds(pid, proc_root="/proc"):
    total = read_cpu_seconds(pid, proc_root)
    for child in process_tree(pid, proc_root)[1:]:
        try:
            total += read_cpu_seconds(child, proc_root)
        except ProcessGone:
            pass
    return total


class RssSampler:
    """Samples the RSS of a process tree from start() to stop(), so that the
    peak covers the whole run rather than the moment it is read. VmHWM would
    not do: it is one process's, and a dead process has none."""

    def __init__(self, pid, interval=RSS_INTERVAL_S, proc_root="/proc"):
        self.pid, self.interval, self.proc_root = pid, interval, proc_root
        self.peak_kib, self.samples, self.error = 0, 0, None
        self._stop = threading.Event()
        self._thread = None

    def sample(self):
        """One sample; False from the first sample that found the process gone."""
        if self.error:
            return False
        try:
            kib = tree_rss_kib(self.pid, self.proc_root)
        except ProcessGone as e:
            self.error = str(e)
            return False
        self.samples += 1
        self.peak_kib = max(self.peak_kib, kib)
        return True

    def _loop(self):
        while self.sample() and not self._stop.wait(self.interval):
            pass

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self):
        if self._thread:
            self._stop.set()
            self._thread.join()
            self._thread = None
            self.sample()  # the end of the run counts too
        return self.result()

    def result(self):
        return memory_result(self.peak_kib, self.samples, self.error)


# --- Running the servers and the load. ------------------------------------

def pinned(cpu, cmd):
    return ["taskset", "-c", str(cpu)] + cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workerd_config(port):
    """workerd's config names its port; a copy next to the template (so
    that `embed "echo.js"` still resolves) gets this run's port."""
    template = os.path.join(ROOT, "bench", "workerd-echo.capnp")
    with open(template) as f:
        text = f.read().replace("127.0.0.1:8792", f"127.0.0.1:{port}")
    path = os.path.join(ROOT, "bench", ".workerd-echo.generated.capnp")
    with open(path, "w") as f:
        f.write(text)
    return path


def sh(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=ROOT, check=True, **kw)


def prepare():
    sh(["build/setup"])
    sh(["cargo", "build", "--locked", "--release", "-p", "kiln", "--no-default-features", "--features", "quickjs"])
    sh(["cargo", "build", "--locked", "--release", "-p", "kiln-bench"])
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=os.path.join(ROOT, "bench"), check=True)
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        sh(sudo + ["apt-get", "install", "-y", "-qq", "wrk"], stdout=subprocess.DEVNULL)


def raise_file_limit():
    # 10,000 idle connections need 10,000 descriptors on each side, with or
    # without a build first.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), max(hard, want)))
    except (ValueError, PermissionError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    """One start of a server. Its output goes to a file, read back (without
    moving the offset it writes at) when it fails."""

    def __init__(self, name, command=None, cpus=0):
        """`command(port)` instead of SERVERS[name] gives the command line;
        `cpus` is what taskset may run it on."""
        self.port = free_port()
        self.output = tempfile.TemporaryFile()
        self.started = time.monotonic()
        try:
            # A session of its own, so that stop() also ends whatever a wrapper started.
            self.proc = subprocess.Popen(pinned(cpus, (command or SERVERS[name])(self.port)), cwd=ROOT,
                                         stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True)
        except BaseException:
            self.output.close()
            raise
        self.pid = self.proc.pid

    def exit_code(self, grace=0.0):
        """None while it runs. A load generator can see the connections drop
        a moment before the server's exit is visible, hence the grace."""
        try:
            return self.proc.wait(timeout=grace) if grace else self.proc.poll()
        except subprocess.TimeoutExpired:
            return None

    def output_tail(self):
        fd = self.output.fileno()
        size = os.fstat(fd).st_size
        start = max(0, size - 4 * TAIL_CHARS)
        return tail(os.pread(fd, size - start, start).decode(errors="replace"))

    def settle(self, workload, result):
        code = self.exit_code(grace=0.5 if result["status"] == "failed" else 0)
        return settle(workload, result, code, self.output_tail() if code is not None else "")

    def stop(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.output.close()


def run_load(what, cmd, timeout, server):
    """Runs a load generator to its end and returns (exit code, stdout,
    stderr). If the server exits meanwhile the load generator is stopped (the
    caller reports the server's exit); past the timeout it is a failed run."""
    loader = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            out, err = loader.communicate(timeout=0.1)
            return loader.returncode, out, err
        except subprocess.TimeoutExpired:
            pass
        if server.exit_code() is not None:
            loader.kill()
            out, err = loader.communicate()
            return loader.returncode, out, err
        if time.monotonic() > deadline:
            loader.kill()
            out, err = loader.communicate()
            raise RunFailed(failed(f"{what} did not finish within {timeout} s", stdout_tail=tail(out), stderr_tail=tail(err)))


def ws_load(server, *args, timeout=120):
    cmd = pinned(1, [WS_LOAD, "--addr", f"127.0.0.1:{server.port}", "--raw", "--timeout", str(timeout)] + list(args))
    return parse_ws_load(*run_load("ws-load", cmd, timeout + 10, server))


def time_start(server):
    """Milliseconds from the spawn to the first completed upgrade and echo."""
    result = ws_load(server, "--retry", "--connections", "1", "--messages", "1", "--in-flight", "1", timeout=30)
    elapsed = round((time.monotonic() - server.started) * 1000, 1)
    result = server.settle("start-up", result)
    if result["status"] == "failed":
        raise RunFailed(result)
    return elapsed


def with_cpu(server, measure):
    cpu = tree_cpu_seconds(server.pid)
    result = measure()
    if result["status"] != "failed":
        result["cpu_s"] = round(tree_cpu_seconds(server.pid) - cpu, 2)
    return result


def echo(size):
    def measure(server, quick):
        messages = "400" if quick else "2000"
        return with_cpu(server, lambda: ws_load(
            server, "--connections", "50", "--messages", messages, "--size", size, "--in-flight", "8"))
    return measure


def ping_pong(server, quick):
    return ws_load(server, "--connections", "1", "--messages", "1000" if quick else "5000", "--in-flight", "1")


def http(server, quick):
    seconds = 2 if quick else 5
    cmd = pinned(1, [WRK, "-t1", "-c50", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{server.port}/"])
    return with_cpu(server, lambda: parse_wrk(*run_load("wrk", cmd, seconds + 30, server)))


def idle(server, quick):
    count, hold = (1000, 2) if quick else (10000, 3)
    before = tree_rss_kib(server.pid)
    cmd = pinned(1, [WS_LOAD, "--addr", f"127.0.0.1:{server.port}", "--idle", str(count), "--hold", str(hold), "--timeout", "120"])
    loader = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr, opened = [], threading.Event()

    def read_stderr():
        for line in loader.stderr:
            stderr.append(line)
            if line.startswith("open "):  # ws-load's signal: every connection it could open is open
                opened.set()
        opened.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        # ws-load's connects have no timeout of their own: a server that
        # accepts and never answers would hold it forever.
        if not opened.wait(130):
            raise RunFailed(failed(f"ws-load --idle had not opened {count} connections within 130 s", stderr_tail=tail("".join(stderr))))
        time.sleep(min(1.0, hold / 2))
        during = tree_rss_kib(server.pid)
        try:
            loader.wait(timeout=hold + 130)
        except subprocess.TimeoutExpired:
            raise RunFailed(failed(f"ws-load --idle did not end within {hold + 130} s", stderr_tail=tail("".join(stderr))))
        reader.join()
        return parse_idle(loader.returncode, loader.stdout.read(), "".join(stderr), count, before, during)
    finally:
        if loader.poll() is None:
            loader.kill()
        loader.wait()
        reader.join()
        loader.stdout.close()
        loader.stderr.close()


MEASURES = {"echo_64": echo("64"), "echo_16k": echo("16384"), "ping_pong": ping_pong, "http": http, "idle": idle}


def run_once(name, quick):
    """One run: a first start (timed, then stopped), a second start, and
    every workload on that one. Returns a result for every workload."""
    order = workloads(name)
    # A first start may fill caches (kiln: the QuickJS bytecode of its
    # modules, after a new build); the figure that matters day to day is the
    # next one. Both are reported; only run 1's first start follows a build.
    try:
        first = Server(name)
        try:
            cold_ms = time_start(first)
        finally:
            first.stop()
        server = Server(name)
    except RunFailed as e:
        return not_started(order, e.result)
    except Exception as e:  # e.g. taskset missing: this server's failure, the others still run
        return not_started(order, failed(f"could not start the server: {type(e).__name__}: {e}"))
    # Sampling starts at the spawn: the peak is over the whole run.
    sampler = RssSampler(server.pid)
    sampler.start()
    try:
        try:
            warm_ms = time_start(server)
        except RunFailed as e:
            return not_started(order, e.result)
        except Exception as e:
            return not_started(order, failed(f"could not start the server: {type(e).__name__}: {e}"))
        results = {"startup": completed({"startup_first_ms": cold_ms, "startup_ms": warm_ms})}
        gone = None
        for workload in order[1:-1]:
            if gone:
                results[workload] = failed(f"not run: {gone}")
                continue
            try:
                result = MEASURES[workload](server, quick)
            except RunFailed as e:
                result = e.result
            except Exception as e:  # a broken measurement is this run's failure, not the suite's end
                result = failed(f"{type(e).__name__}: {e}")
            results[workload] = server.settle(workload, result)
            if server.exit_code() is not None:
                gone = f"the server had {describe_exit(server.exit_code())} during {workload}"
        results["memory"] = sampler.stop()
        return results
    finally:
        sampler.stop()
        server.stop()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="runs of each server (default 3)")
    parser.add_argument("--json", help="also write the results as JSON here, every run included")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args(argv)
    args.servers = list(dict.fromkeys(n for n in args.servers.split(",") if n))
    unknown = [n for n in args.servers if n not in SERVERS]
    if unknown or not args.servers:
        parser.error(f"--servers: unknown {', '.join(unknown) or 'empty list'} (known: {', '.join(SERVERS)})")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if not args.no_build:
        prepare()
    raise_file_limit()
    runs = {name: [] for name in args.servers}
    # Servers take turns (each once, then each again) so that a machine that
    # slows down part-way weighs on every server alike, not on the last one.
    for run in range(1, args.repeat + 1):
        for name in args.servers:
            print(f"== {name}, run {run}/{args.repeat}", file=sys.stderr)
            results = run_once(name, args.quick)
            for workload, result in results.items():
                if result["status"] == "flagged" or not result.get("error", "").startswith("not run:"):
                    if result["status"] != "ok":
                        print(f"{name} run {run} {workload}: {result['status']}: {result.get('error') or '; '.join(result['flags'])}",
                              file=sys.stderr)
            runs[name].append(results)
    report = build_report(runs, args.repeat, args.quick)
    print(table(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return exit_status(report)


if __name__ == "__main__":
    sys.exit(main())
