#!/usr/bin/env python3
"""What kiln's ICU4X Intl costs (QuickJS build): two kiln binaries side by
side, one with Intl and one built without it (e.g. from the commit before
it), on bench/intl-worker.js.

- Size of each binary.
- Start-up: process start to the first 200 from GET / (--starts fresh
  starts, taking turns), and the RSS right after it.
- First call: in a fresh process, the time of the first GET /dtf (which
  builds an Intl.DateTimeFormat and formats a date, loading its CLDR data)
  next to the median of the 5 GET /dtf after it, and the same for
  /components (a DateTimeFormat of component options, matched against
  CLDR's skeleton patterns), /nf (Intl.NumberFormat with a currency) and
  /unit (style "unit"). Measured from the client, so the difference
  between first and later calls is the one-time cost. A binary without
  Intl answers these paths too (with v8x's placeholder).

Each figure is the median of the runs that completed, with the min-max;
failed runs are listed and never averaged in; the exit status is 1 when any
run failed.

    bench/intl.py --with target/release/kiln --without /tmp/kiln-without-intl [--starts 7] [--json FILE]
"""

import argparse
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import projects  # noqa: E402
import run  # noqa: E402

WORKER = os.path.join(run.ROOT, "bench", "intl-worker.js")
PATHS = ["/dtf", "/components", "/nf", "/unit"]


def command(binary):
    return lambda port: [binary, "dev", WORKER, "--quiet", "--no-watch", "--port", str(port)]


def timed_get(port, path):
    """Milliseconds for one GET (status 200 required), or None."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            response.read()
            if response.status != 200:
                return None
    except OSError:
        return None
    return round((time.monotonic() - started) * 1000, 2)


def first_calls(server):
    """For each path: the first call's ms and the median of the next five."""
    out = {}
    for path in PATHS:
        times = [timed_get(server.port, path) for _ in range(6)]
        if any(t is None for t in times):
            return None
        later = sorted(times[1:])
        out[path] = {"first_ms": times[0], "later_ms": later[len(later) // 2]}
    return out


def one_start(binary):
    server, figure = projects.start(command(binary), lambda cmd: run.Server("kiln", cmd, cpus=0))
    if server is None:
        return figure
    try:
        rss = round(run.tree_rss_kib(server.pid) / 1024, 1)
        calls = first_calls(server)
        if calls is None:
            return run.failed("a GET of " + ", ".join(PATHS) + " did not answer 200", output_tail=server.output_tail())
        figures = {"ms": figure, "idle_rss_mib": rss}
        for path, pair in calls.items():
            figures[f"{path[1:]}_first_ms"] = pair["first_ms"]
            figures[f"{path[1:]}_later_ms"] = pair["later_ms"]
        return run.completed(figures)
    finally:
        server.stop()


KEYS = ["ms", "idle_rss_mib"] + [f"{p[1:]}_{when}_ms" for p in PATHS for when in ("first", "later")]


def build_report(binaries, results, starts):
    report = {"date": time.strftime("%Y-%m-%d"), "starts": starts, "binaries": {}}
    for name, path in binaries.items():
        report["binaries"][name] = {
            "path": path,
            "size_mib": round(os.path.getsize(path) / (1024 * 1024), 1),
            **{key: projects.summary(results[name], key) for key in KEYS},
        }
    report["runs"] = results
    return report


def fine(s):
    """A call's figure, to a hundredth of a millisecond."""
    if not s.get("ok"):
        return projects.cell(s, "ms")
    return f"{s['median']:.2f} ms ({s['min']:.2f}-{s['max']:.2f})"


def render(report):
    lines = [f"Intl's cost, median of {report['starts']} fresh starts (min-max):"]
    for name, b in report["binaries"].items():
        lines.append(f"  {name:<8} binary {b['size_mib']} MiB; start-up {projects.cell(b['ms'], 'ms')}; "
                     f"idle RSS {projects.cell(b['idle_rss_mib'], 'MiB')}")
        for path in PATHS:
            name = path[1:]
            lines.append(f"           GET {path}: first {fine(b[name + '_first_ms'])}, later {fine(b[name + '_later_ms'])}")
    return "\n".join(lines)


def any_failed(report):
    return any(b["ms"]["ok"] < b["ms"]["runs"] for b in report["binaries"].values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--with", dest="with_intl", required=True)
    parser.add_argument("--without", required=True)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--json", default=os.path.join(run.ROOT, "bench", "intl-results.json"))
    args = parser.parse_args(argv)
    binaries = {"with": os.path.abspath(args.with_intl), "without": os.path.abspath(args.without)}
    results = {name: [] for name in binaries}
    # The binaries take turns, so that a slow minute of the machine is spread.
    for _ in range(args.starts):
        for name, path in binaries.items():
            results[name].append(one_start(path))
    report = build_report(binaries, results, args.starts)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
    print(render(report))
    return 1 if any_failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
