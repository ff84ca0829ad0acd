#!/usr/bin/env python3
"""WebSocket compression benchmark: permessage-deflate echo, side by side.

Each server runs the echo of bench/run.py (kiln and workerd: bench/echo.js;
Bun: bench/bun-echo.js with `deflate`, Bun.serve with perMessageDeflate; Deno:
bench/deno-echo.js, as Deno.upgradeWebSocket has no compression), pinned to
core 0, and ws-deflate-load (bench/src/bin/ws-deflate-load.rs), pinned to
core 1, offers `permessage-deflate`, compresses what it sends, inflates and
checks every echo, and reports:

  msgs/s, p50/p99 ms   echoes per second and round trips, 50 connections
  down B/msg           bytes on the wire per echo, server to client (frame
                       headers included): what compression saves
  up B/msg             the same, client to server (the client's compression)
  raw B/msg            the message itself, uncompressed

Workloads: `chat` (JSON chat messages of 60-250 B, 8 in flight) and `doc`
(16 KiB JSON documents, 4 in flight). A server that does not agree to
compression is measured all the same and shown with agreement `none`.

A figure is the median of the repetitions that completed, min-max in
parentheses; a failed repetition keeps its place with its reason, and the
exit status is 1 when any failed.

    bench/compression.py [--servers kiln,workerd,bun,deno] [--repeat 3] [--quick] [--no-build] [--json FILE]
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the shared helpers of bench/run.py)

ROOT = run.ROOT
TOOL = os.path.join(ROOT, "target", "release", "ws-deflate-load")
SERVERS = {
    "kiln": run.SERVERS["kiln"],
    "workerd": run.SERVERS["workerd"],
    "bun": lambda port: run.SERVERS["bun"](port) + ["deflate"],
    "deno": run.SERVERS["deno"],
}
WORKLOADS = {
    # name: (connections, messages, quick messages, in flight)
    "chat": (50, 2000, 400, 8),
    "doc": (50, 200, 50, 4),
}
FIELDS = ["msgs_per_s", "p50_ms", "p99_ms", "up_bytes", "down_bytes", "raw_bytes"]


# --- The pure part (bench/test_compression.py) ------------------------------

def parse_line(returncode, stdout, stderr):
    """ws-deflate-load's one line: six figures and the agreement."""
    failure = run.exit_failure("ws-deflate-load", returncode, stderr)
    if failure:
        return failure
    parts = stdout.split()
    try:
        figures = dict(zip(FIELDS, (float(p) for p in parts[:6])))
        agreement = parts[6]
    except (ValueError, IndexError):
        return run.failed("ws-deflate-load printed no result", stdout_tail=run.tail(stdout), stderr_tail=run.tail(stderr))
    if len(figures) != 6 or figures["msgs_per_s"] <= 0:
        return run.failed("ws-deflate-load printed no rate", stdout_tail=run.tail(stdout))
    return run.completed({**figures, "agreement": agreement})


def agreement_of(runs):
    """The agreement the completed runs saw: one value, or the set if they differ."""
    seen = sorted({r["agreement"] for r in runs if r["status"] != "failed"})
    return seen[0] if len(seen) == 1 else ("/".join(seen) if seen else "-")


def table(report):
    lines = [f"| server | workload | agreement | msgs/s | p50 ms | p99 ms | down B/msg | up B/msg | raw B/msg | runs |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, workloads in report["servers"].items():
        for workload, entry in workloads.items():
            summary = entry["summary"]
            cells = [run.figure_cell(summary, key, fmt) for key, fmt in
                     [("msgs_per_s", ".0f"), ("p50_ms", ".2f"), ("p99_ms", ".2f"),
                      ("down_bytes", ".1f"), ("up_bytes", ".1f"), ("raw_bytes", ".1f")]]
            lines.append(f"| {name} | {workload} | {entry['agreement']} | " + " | ".join(cells) + f" | {run.runs_cell(summary)} |")
    return "\n".join(lines)


# --- Running ----------------------------------------------------------------

def measure(server, workload, quick, timeout=180):
    connections, messages, quick_messages, in_flight = WORKLOADS[workload]
    cmd = run.pinned(1, [TOOL, "--addr", f"127.0.0.1:{server.port}", "--workload", workload,
                         "--connections", str(connections), "--messages", str(quick_messages if quick else messages),
                         "--in-flight", str(in_flight), "--timeout", str(timeout)])
    return parse_line(*run.run_load("ws-deflate-load", cmd, timeout + 10, server))


def wait_ready(server, deadline_s=30):
    """Until the server accepts a connection (or has exited)."""
    import socket
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.exit_code() is not None:
            raise run.RunFailed(run.failed(f"the server {run.describe_exit(server.exit_code())}",
                                           output_tail=server.output_tail()))
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise run.RunFailed(run.failed(f"the server did not accept connections within {deadline_s} s"))


def run_once(name, quick):
    results = {}
    try:
        server = run.Server(name, SERVERS[name])
    except Exception as e:
        return {w: run.failed(f"could not start the server: {type(e).__name__}: {e}") for w in WORKLOADS}
    try:
        wait_ready(server)
        for workload in WORKLOADS:
            try:
                result = measure(server, workload, quick)
            except run.RunFailed as e:
                result = e.result
            results[workload] = server.settle(workload, result)
    except run.RunFailed as e:
        return {w: e.result for w in WORKLOADS}
    finally:
        server.stop()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    names = [n for n in args.servers.split(",") if n]
    unknown = [n for n in names if n not in SERVERS]
    if unknown:
        parser.error(f"unknown servers: {', '.join(unknown)} (known: {', '.join(SERVERS)})")
    if not args.no_build:
        run.prepare()
        run.sh(["cargo", "build", "--locked", "--release", "-p", "kiln-bench", "--bin", "ws-deflate-load"])
    runs = {name: {w: [] for w in WORKLOADS} for name in names}
    # Servers take turns, so that a machine that slows down weighs on all.
    for i in range(1, args.repeat + 1):
        for name in names:
            print(f"== {name}, run {i}/{args.repeat}", file=sys.stderr)
            for workload, result in run_once(name, args.quick).items():
                if result["status"] != "ok":
                    print(f"{name} run {i} {workload}: {result['status']}: {result.get('error') or result.get('flags')}",
                          file=sys.stderr)
                runs[name][workload].append(result)
    report = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "repeat": args.repeat,
        "quick": args.quick,
        "spread": run.SPREAD,
        "servers": {name: {w: {"agreement": agreement_of(r), "summary": run.summarise(r), "runs": r}
                           for w, r in workloads.items()} for name, workloads in runs.items()},
    }
    print(table(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    failed = any(r["status"] == "failed" for w in runs.values() for rs in w.values() for r in rs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
