#!/usr/bin/env python3
"""Soak test: N WebSocket connections x M messages through a JavaScript worker.

Starts `target/release/kiln dev bench/echo.js` (pinned to CPU 0) and runs
bench/soak.js (Node, pinned to CPU 1): it opens --connections WebSockets
(10,000) in batches and keeps them all open, then each sends --messages
(100) text messages, at most --window (10) in flight, and checks that every
echo comes back exactly once and in order; then it closes every connection
with a Close handshake (1000). Meanwhile the server's RSS (its process tree,
bench/run.py's tree_rss_kib) and its count of open file descriptors are
sampled every 0.5 s, each sample tagged with the client's phase. After the
client ends, the sampling goes on until RSS settles (at most 10 s).

The results go to bench/soak-results.json (--json): date, kiln's commit, the
parameters, the client's verdict, the RSS curve ([seconds, RSS KiB, open
fds, phase] every 0.5 s), RSS before the connections, the peak, RSS after
they all closed, and whether kiln was still running without a panic. A
summary, with the curve at 10 evenly spaced points, goes to stdout.

Exit status 1 when the client saw a loss, a reordering, a duplicate, an
unexpected message or any error, when it printed no verdict, or when kiln
exited or panicked.

kiln is not built unless --build is given: build it first with
    cargo build --release -p kiln --no-default-features --features quickjs

Usage: bench/soak.py [--connections 10000] [--messages 100] [--window 10]
                     [--json bench/soak-results.json] [--no-build | --build]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the shared helpers of bench/run.py)

ROOT = run.ROOT
KILN = os.path.join(ROOT, "target", "release", "kiln")
CLIENT = os.path.join(ROOT, "bench", "soak.js")
DEFAULT_JSON = os.path.join(ROOT, "bench", "soak-results.json")
BUILD = ["cargo", "build", "--release", "-p", "kiln", "--no-default-features", "--features", "quickjs"]
SAMPLE_INTERVAL_S = 0.5
SETTLE_MAX_S = 10.0
START_DEADLINE_S = 30
CURVE_COLUMNS = ["seconds", "rss_kib", "open_fds", "phase"]


# --- The pure part: verdict, curve, summary. bench/test_soak.py tests it. ---

def problems(client, client_exit, server, requested):
    """Everything that makes the run a failure, as sentences; none: it passed.
    client: soak.js's verdict (None if it printed none); server: {"alive",
    "exit_code", "panicked"}; requested: {"connections", "messages"}."""
    found = []
    if client is None:
        found.append(f"the client printed no verdict ({'killed' if client_exit is None else 'exit code ' + str(client_exit)})")
    else:
        for key in ("lost", "reordered", "duplicated", "unexpected"):
            if client.get(key, 0):
                found.append(f"{client[key]} messages {key}")
        opened, want = client.get("connections_opened", 0), requested["connections"]
        if opened < want:
            found.append(f"opened {opened} of {want} connections")
        echoed, total = client.get("messages_echoed", 0), requested["connections"] * requested["messages"]
        if echoed < total:
            found.append(f"{echoed} of {total} messages echoed")
        closes = client.get("close_handshakes_completed", 0)
        if closes < opened:
            found.append(f"{closes} of {opened} close handshakes completed")
        errors = client.get("error_count", len(client.get("errors", [])))
        if errors:
            first = client.get("errors", [])[:1]
            found.append(f"{errors} client errors" + (f", the first: {first[0]}" if first else ""))
        if client_exit not in (0, None) and not found:
            found.append(f"the client exited with code {client_exit}")
        if client_exit is None:
            found.append("the client overran its deadline and was killed")
    if not server.get("alive", False):
        code = server.get("exit_code")
        found.append("kiln " + (run.describe_exit(code) if code is not None else "was not running") + " during the soak")
    if server.get("panicked"):
        found.append("kiln printed 'panicked': " + server.get("panic_line", ""))
    return found


def exit_status(report):
    return 1 if report["problems"] else 0


def downsample(curve, points=10):
    """points rows of curve, evenly spaced over it, the first and last included."""
    if len(curve) <= points:
        return list(curve)
    if points == 1:
        return [curve[-1]]
    return [curve[round(i * (len(curve) - 1) / (points - 1))] for i in range(points)]


def settled(curve, baseline_fds, window=4, tolerance=0.01):
    """True once the last `window` samples hold RSS within `tolerance` of one
    another and the descriptors are back to the baseline (plus a few)."""
    if len(curve) < window:
        return False
    tail = curve[-window:]
    rss = [row[1] for row in tail]
    fds = tail[-1][2]
    fds_ok = baseline_fds is None or fds is None or fds <= baseline_fds + 8
    return fds_ok and (max(rss) - min(rss)) <= tolerance * max(rss)


def phase_marks(curve):
    """[seconds, phase] where each phase was first seen in the curve."""
    marks = []
    for row in curve:
        if not marks or marks[-1][1] != row[3]:
            marks.append([row[0], row[3]])
    return marks


def mib(kib):
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def summary(report):
    p, c, r = report["parameters"], report.get("client") or {}, report["rss_kib"]
    d = c.get("durations_ms", {})
    lines = [
        f"kiln soak {report['date']} (commit {report['commit']}): {p['connections']:,} connections x {p['messages']} messages, "
        f"window {p['window']}",
        f"client: opened {c.get('connections_opened', '-')} (at once {c.get('max_open_at_once', '-')}), "
        f"sent {c.get('messages_sent', '-')}, echoed {c.get('messages_echoed', '-')}, lost {c.get('lost', '-')}, "
        f"reordered {c.get('reordered', '-')}, duplicated {c.get('duplicated', '-')}, unexpected {c.get('unexpected', '-')}, "
        f"errors {c.get('error_count', '-')}, closes {c.get('close_handshakes_completed', '-')}",
        "phases (s): " + ", ".join(f"{k} {v / 1000:.1f}" for k, v in d.items())
        + (f"; {c['messages_per_s']:,} messages/s while messaging" if c.get("messages_per_s") else ""),
        f"kiln RSS: before {mib(r['before'])}, peak {mib(r['peak'])}, after {mib(r['after'])} "
        f"({'settled' if r.get('after_settled') else 'not settled'} {r.get('after_wait_s', '-')} s after the client ended); "
        f"open fds before {report['open_fds']['before']}, peak {report['open_fds']['peak']}, after {report['open_fds']['after']}",
        f"kiln: {'running' if report['server']['alive'] else 'NOT RUNNING'}, "
        f"{'PANICKED' if report['server']['panicked'] else 'no panic'}",
        "RSS curve (s, MiB, fds, phase): " + "  ".join(
            f"{row[0]:.0f}s {row[1] / 1024:.0f} {row[2]} {row[3]}" for row in downsample(report["rss_curve"], 10)),
        "verdict: " + ("PASS" if not report["problems"] else "FAIL: " + "; ".join(report["problems"])),
    ]
    return "\n".join(lines)


def build_report(args, commit, client, client_exit, server, curve, before, after, date=None, build=None):
    """before/after: {"rss_kib", "open_fds"} (after also "settled", "wait_s");
    build: what is known of the binary (its mtime, uncommitted changes)."""
    requested = {"connections": args.connections, "messages": args.messages}
    found = problems(client, client_exit, server, requested)
    peak_rss = max([row[1] for row in curve] + [before["rss_kib"] or 0]) if curve else before["rss_kib"]
    peak_fds = max((row[2] for row in curve if row[2] is not None), default=None)
    return {
        "date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": commit,
        "build": build or {},
        "cores": os.cpu_count(),
        "parameters": {"connections": args.connections, "messages": args.messages, "window": args.window,
                       "batch": args.batch, "deadline_s": args.deadline, "sample_interval_s": SAMPLE_INTERVAL_S,
                       "kiln_command": server.get("command"), "pinning": "kiln on CPU 0, soak.js on CPU 1"},
        "status": "failed" if found else "ok",
        "problems": found,
        "client_exit_code": client_exit,
        "client": client,
        "server": {k: server.get(k) for k in ("alive", "exit_code", "panicked", "panic_line", "output_tail")},
        "rss_kib": {"before": before["rss_kib"], "peak": peak_rss, "after": after["rss_kib"],
                    "after_minus_before": None if after["rss_kib"] is None or before["rss_kib"] is None
                    else after["rss_kib"] - before["rss_kib"],
                    "after_settled": after.get("settled"), "after_wait_s": after.get("wait_s")},
        "open_fds": {"before": before["open_fds"], "peak": peak_fds, "after": after["open_fds"]},
        "phases": phase_marks(curve),
        "rss_curve_columns": CURVE_COLUMNS,
        "rss_curve": curve,
    }


def to_json(report):
    """Indented JSON with one line per row of the curve."""
    rows = report["rss_curve"]
    text = json.dumps({**report, "rss_curve": "@CURVE@"}, indent=1)
    curve = "[\n" + ",\n".join("  " + json.dumps(row) for row in rows) + "\n ]" if rows else "[]"
    return text.replace('"@CURVE@"', curve) + "\n"


# --- Measuring. -------------------------------------------------------------

def open_fds(pid, proc_root="/proc"):
    try:
        return len(os.listdir(os.path.join(proc_root, str(pid), "fd")))
    except OSError:
        return None


class CurveSampler(run.RssSampler):
    """bench/run.py's RssSampler, which keeps the peak, keeping every sample
    too: [seconds since t0, RSS KiB, open fds, the client's phase]."""

    def __init__(self, pid, phase, t0, interval=SAMPLE_INTERVAL_S, proc_root="/proc"):
        super().__init__(pid, interval, proc_root)
        self.phase, self.t0, self.curve = phase, t0, []

    def sample(self):
        if self.error:
            return False
        try:
            kib = run.tree_rss_kib(self.pid, self.proc_root)
        except run.ProcessGone as e:
            self.error = str(e)
            return False
        self.samples += 1
        self.peak_kib = max(self.peak_kib, kib)
        self.curve.append([round(time.monotonic() - self.t0, 2), kib, open_fds(self.pid, self.proc_root), self.phase()])
        return True


def build_info(kiln):
    """When the binary was built, and the tracked files that differed from
    the commit when the soak ran (the binary may hold those changes)."""
    try:
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        changed = []
    return {"kiln_binary": os.path.relpath(kiln, ROOT),
            "kiln_binary_mtime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.stat(kiln).st_mtime)),
            "uncommitted_changes": [line[3:] for line in changed if line.strip()]}


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def wait_until_serving(proc, port):
    deadline = time.monotonic() + START_DEADLINE_S
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"kiln {run.describe_exit(proc.returncode)} before serving"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as reply:
                if reply.status == 200:
                    return None
                last = f"GET / answered {reply.status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.1)
    return f"kiln was not serving within {START_DEADLINE_S} s ({last})"


def read_all(f):
    fd = f.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")


def panic_line(output):
    return next((line.strip() for line in output.splitlines() if "panicked" in line), "")


def run_client(args, port, phase_holder, server_proc):
    """Runs soak.js to its end (or kills it at the deadline) and returns
    (its verdict or None, its exit code or None if killed, its stderr tail)."""
    cmd = run.pinned(1, ["node", CLIENT, "--port", str(port), "--connections", str(args.connections),
                         "--messages", str(args.messages), "--window", str(args.window), "--batch", str(args.batch),
                         "--deadline", str(max(60, args.deadline - 60))])
    client = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr_lines, stdout_chunks = [], []

    def read_stderr():
        for line in client.stderr:
            if line.startswith("phase "):
                phase_holder[0] = line.split()[1]
            stderr_lines.append(line)
            del stderr_lines[:-200]
            print("  client: " + line.rstrip(), file=sys.stderr, flush=True)

    def read_stdout():
        stdout_chunks.append(client.stdout.read())

    readers = [threading.Thread(target=read_stderr, daemon=True), threading.Thread(target=read_stdout, daemon=True)]
    for t in readers:
        t.start()
    deadline = time.monotonic() + args.deadline
    server_gone_at = None
    killed = False
    while client.poll() is None:
        time.sleep(0.2)
        now = time.monotonic()
        if server_gone_at is None and server_proc.poll() is not None:
            server_gone_at = now
        # A dead server ends the client's connections: it ends soon after by itself.
        if now > deadline or (server_gone_at is not None and now - server_gone_at > 60):
            client.kill()
            killed = True
            break
    client.wait()
    for t in readers:
        t.join(timeout=5)
    verdict = None
    for line in reversed("".join(stdout_chunks).splitlines()):
        try:
            verdict = json.loads(line)
            break
        except ValueError:
            continue
    return verdict, (None if killed else client.returncode), "".join(stderr_lines)[-run.TAIL_CHARS:]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--window", type=int, default=10, help="messages in flight per connection (default 10)")
    parser.add_argument("--batch", type=int, default=500, help="connections opened at a time (default 500)")
    parser.add_argument("--deadline", type=int, default=900, help="seconds for the whole client run (default 900)")
    parser.add_argument("--max-connections", type=int, default=None,
                        help="pass --max-connections N to kiln (its default cap is 10,000 per listener)")
    parser.add_argument("--kiln", default=KILN)
    parser.add_argument("--json", default=DEFAULT_JSON, help="where the results go (default bench/soak-results.json)")
    build = parser.add_mutually_exclusive_group()
    build.add_argument("--no-build", dest="build", action="store_false", help="do not build kiln (the default)")
    build.add_argument("--build", dest="build", action="store_true", help="build kiln first: " + " ".join(BUILD))
    parser.set_defaults(build=False)
    args = parser.parse_args(argv)
    for name in ("connections", "messages", "window", "batch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.build:
        run.sh(BUILD)
    if not os.access(args.kiln, os.X_OK):
        print(f"soak: {os.path.relpath(args.kiln, ROOT)} not found; build it with: {' '.join(BUILD)}", file=sys.stderr)
        return 2
    run.raise_file_limit()

    def kiln_command(port):
        cmd = [args.kiln, "dev", "bench/echo.js", "--quiet", "--port", str(port)]
        if args.max_connections:
            cmd += ["--max-connections", str(args.max_connections)]
        return cmd

    t0 = time.monotonic()
    # bench/run.py's Server: pinned to CPU 0, a session of its own, output kept.
    server_run = run.Server("kiln", command=kiln_command)
    proc, port, log = server_run.proc, server_run.port, server_run.output
    kiln_cmd = kiln_command(port)
    phase = ["start"]
    sampler = CurveSampler(proc.pid, lambda: phase[0], t0)
    try:
        failure = wait_until_serving(proc, port)
        if failure:
            print(f"soak: {failure}\n{run.tail(read_all(log))}", file=sys.stderr)
            return 1
        time.sleep(1.0)
        before = {"rss_kib": run.tree_rss_kib(proc.pid), "open_fds": open_fds(proc.pid)}
        sampler.start()
        client, client_exit, client_stderr = run_client(args, port, phase, proc)
        phase[0] = "after"
        # RSS after: sampled until it settles, at most SETTLE_MAX_S.
        ended = time.monotonic()
        while time.monotonic() - ended < SETTLE_MAX_S and proc.poll() is None:
            time.sleep(SAMPLE_INTERVAL_S)
            if settled(sampler.curve, before["open_fds"]) and time.monotonic() - ended >= 2.0:
                break
        wait_s = round(time.monotonic() - ended, 1)
        sampler.stop()
        alive = proc.poll() is None
        last = sampler.curve[-1] if sampler.curve else [None, None, None]
        after = {"rss_kib": last[1] if alive else None, "open_fds": last[2] if alive else None,
                 "settled": alive and settled(sampler.curve, before["open_fds"]), "wait_s": wait_s}
        output = read_all(log)
        server = {"alive": alive, "exit_code": proc.returncode, "panicked": "panicked" in output,
                  "panic_line": panic_line(output), "output_tail": run.tail(output), "command": " ".join(kiln_cmd)}
        if client is None:
            client_note = client_stderr
        else:
            client_note = None
        report = build_report(args, git_commit(), client, client_exit, server, sampler.curve, before, after,
                              build=build_info(args.kiln))
        if client_note:
            report["client_stderr_tail"] = client_note
        with open(args.json, "w") as f:
            f.write(to_json(report))
        print(summary(report))
        print(f"results: {os.path.relpath(args.json)}")
        return exit_status(report)
    finally:
        sampler.stop()
        server_run.stop()


if __name__ == "__main__":
    sys.exit(main())
