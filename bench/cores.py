#!/usr/bin/env python3
"""Start-up, idle memory and HTTP hello world of kiln next to Deno, Bun and
workerd, on bench/echo.js (bench/deno-echo.js, bench/bun-echo.js), with
kiln also run as `kiln dev --isolates 2`.

- Start-up: process start to the first 200 from GET / (polled every 2 ms),
  --starts fresh starts of each server, pinned to CPU 0. Idle memory is the
  server's RSS (its child processes included) right after that 200.
- HTTP: `wrk -t1 -c50 -d5s` on GET /, --repeat fresh starts of each server.
  Here the server and wrk may both run on either core (bench/run.py pins
  the server to CPU 0): several isolates need more than one core, and this
  machine has two, shared with the load generator.

Each figure is the median of the runs that completed, with the min-max; a
run that failed is listed with its reason and never averaged in; the exit
status is 1 when any run failed.

    bench/cores.py [--starts 7] [--repeat 3] [--seconds 5] [--no-build] [--json FILE]
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import projects  # noqa: E402
import run  # noqa: E402

def kiln(*more):
    return lambda port: ["target/release/kiln", "dev", "bench/echo.js", "--quiet", "--no-watch",
                         "--port", str(port)] + list(more)


SERVERS = {
    "kiln": kiln(),
    "kiln --isolates 2": kiln("--isolates", "2"),
    "deno": run.SERVERS["deno"],
    "bun": run.SERVERS["bun"],
    "workerd": run.SERVERS["workerd"],
}
STARTUP = ["kiln", "deno", "bun", "workerd"]
HTTP = ["kiln", "kiln --isolates 2", "deno", "bun", "workerd"]


def start(name, cpus):
    """(server, start-up ms) once GET / answers 200, or (None, failure)."""
    return projects.start(SERVERS[name], lambda command: run.Server(name, command, cpus=cpus))


def startup(name):
    server, figure = start(name, 0)
    if server is None:
        return figure
    try:
        return run.completed({"ms": figure, "idle_rss_mib": round(run.tree_rss_kib(server.pid) / 1024, 1)})
    finally:
        server.stop()


def http(name, seconds):
    server, figure = start(name, "0,1")
    if server is None:
        return figure
    try:
        cmd = [run.WRK, "-t1", "-c50", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{server.port}/"]
        return server.settle("http", run.parse_wrk(*run.run_load("wrk", cmd, seconds + 30, server)))
    finally:
        server.stop()


def ratios(rows, key, reference):
    """Each row's median over the reference row's, where both have one."""
    base = rows.get(reference, {}).get("median")
    return {name: round(s["median"] / base, 2) if base and s.get("median") else None for name, s in rows.items()}


def render(report):
    lines = [f"Start-up, process start to the first 200 from GET / (median of {report['starts']}, min-max), "
             "and RSS right after it:"]
    for name, s in report["startup_ms"].items():
        rss = report["idle_rss_mib"][name]
        ratio = report["startup_vs_deno"][name]
        lines.append(f"  {name:<18} {projects.cell(s, 'ms')}; idle RSS {projects.cell(rss, 'MiB')}"
                     + (f"; {ratio}x Deno's" if ratio is not None else ""))
    lines.append(f"HTTP hello world, wrk -t1 -c50 -d{report['seconds']}s, server and wrk on either core "
                 f"(median of {report['repeat']}, min-max):")
    for name, s in report["http_requests_per_s"].items():
        ratio = report["http_vs_deno"][name]
        lines.append(f"  {name:<18} {projects.cell(s, 'requests/s')}"
                     + (f"; {ratio}x Deno's" if ratio is not None else ""))
    return "\n".join(lines)


def any_failed(report):
    parts = ("startup_ms", "http_requests_per_s")
    return any(s["ok"] < s["runs"] for part in parts for s in report[part].values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--json", default=os.path.join(run.ROOT, "bench", "cores-results.json"))
    args = parser.parse_args(argv)
    if not args.no_build:
        run.prepare()
    run.raise_file_limit()
    report = {"date": time.strftime("%Y-%m-%d"), "starts": args.starts, "repeat": args.repeat,
              "seconds": args.seconds, "startup_ms": {}, "idle_rss_mib": {}, "http_requests_per_s": {}}
    # Servers take turns, so that a slow minute of the machine is spread.
    starts = {name: [] for name in STARTUP}
    for _ in range(args.starts):
        for name in STARTUP:
            starts[name].append(startup(name))
    for name, results in starts.items():
        report["startup_ms"][name] = projects.summary(results, "ms")
        report["idle_rss_mib"][name] = projects.summary(results, "idle_rss_mib")
    loads = {name: [] for name in HTTP}
    for _ in range(args.repeat):
        for name in HTTP:
            loads[name].append(http(name, args.seconds))
    for name, results in loads.items():
        report["http_requests_per_s"][name] = projects.summary(results, "requests_per_s")
    report["startup_vs_deno"] = ratios(report["startup_ms"], "ms", "deno")
    report["http_vs_deno"] = ratios(report["http_requests_per_s"], "requests_per_s", "deno")
    report["runs"] = {"startup": starts, "http": loads}
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
    print(render(report))
    return 1 if any_failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
