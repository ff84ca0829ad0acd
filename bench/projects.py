#!/usr/bin/env python3
"""A real project's start-up and throughput: tests/projects/hono-app, a
TypeScript Hono app with npm packages, run unchanged.

Start-up (process start to the first 200 from GET /, polled every 5 ms) for:
- kiln on the project as it is (TypeScript, node_modules);
- kiln on wrangler's bundle of it (`wrangler deploy --dry-run --outdir`,
  esbuild), i.e. what kiln starts from when the project is bundled by hand;
- `wrangler dev` (4.86.0, its own workerd) on the project.

Hello world through Hono (GET /, wrk -t1 -c50, server on CPU 0, wrk on
CPU 1) for kiln on the project, kiln on the bundle, and Deno 2.9.6 serving
the same bundle with Deno.serve.

Each figure is the median of --repeat runs (start-up: --starts), with the
min-max in parentheses; a run that failed is reported with its reason and
never averaged in. The exit status is 1 when any run failed.

    bench/projects.py [--starts 7] [--repeat 3] [--seconds 5] [--no-build] [--json FILE]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

PROJECT = os.path.join(run.ROOT, "tests", "projects", "hono-app")
KILN = os.path.join(run.ROOT, "target", "release", "kiln")
DENO = os.path.join(run.NODE_MODULES, "@deno", "linux-x64-glibc", "deno")
WRANGLER = os.path.join(run.NODE_MODULES, ".bin", "wrangler")
START_TIMEOUT_S = 60


def bundle(out_dir):
    """wrangler's esbuild bundle of the project (dist/index.js)."""
    env = dict(os.environ, WRANGLER_SEND_METRICS="false")
    subprocess.run([WRANGLER, "deploy", "--dry-run", "--outdir", out_dir], cwd=PROJECT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = os.path.join(out_dir, "index.js")
    # Served by the bundle's own worker (dist/ has no configuration).
    with open(os.path.join(out_dir, "wrangler.toml"), "w") as f:
        f.write('name = "hono-app"\nmain = "index.js"\ncompatibility_date = "2026-05-01"\n')
    return path


def deno_server(bundle_path, dir_):
    """Deno.serve around the bundle's fetch handler."""
    path = os.path.join(dir_, "deno-hono.js")
    with open(path, "w") as f:
        f.write(
            f"import worker from {json.dumps(bundle_path)};\n"
            "const ctx = { waitUntil() {}, passThroughOnException() {} };\n"
            "Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.args[0]), onListen() {} },\n"
            "  (request) => worker.fetch(request, {}, ctx));\n")
    return path


def commands(bundle_dir, deno_script):
    return {
        "kiln (TypeScript project)": lambda port: [KILN, "dev", "--quiet", "--no-watch", "--port", str(port)],
        "kiln (wrangler's bundle)": lambda port: [KILN, "dev", "-c", os.path.join(bundle_dir, "wrangler.toml"),
                                                  "--quiet", "--no-watch", "--port", str(port)],
        "wrangler dev": lambda port: [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", str(port),
                                      "--inspector-port", str(run.free_port()),
                                      "--show-interactive-dev-session=false"],
        "deno (wrangler's bundle)": lambda port: [DENO, "run", "-A", deno_script, str(port)],
    }


def get_status(port):
    """The status of GET /, or None when nothing answers yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            head = s.recv(64)
        return int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else None
    except (OSError, ValueError, IndexError):
        return None


class ProjectServer(run.Server):
    """A server started in the project's folder (wrangler and kiln read its
    configuration from there)."""

    def __init__(self, command):
        self.port = run.free_port()
        self.output = tempfile.TemporaryFile()
        self.started = time.monotonic()
        env = dict(os.environ, WRANGLER_SEND_METRICS="false")
        self.proc = subprocess.Popen(run.pinned(0, command(self.port)), cwd=PROJECT, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid


def start(command, make_server=ProjectServer):
    """(server, milliseconds to the first 200) or (None, failure);
    `make_server(command)` starts it (in the project's folder by default)."""
    server = make_server(command)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        status = get_status(server.port)
        if status == 200:
            return server, round((time.monotonic() - server.started) * 1000, 1)
        code = server.exit_code()
        if code is not None:
            failure = run.failed(f"exited ({run.describe_exit(code)}) before answering", output_tail=server.output_tail())
            server.stop()
            return None, failure
        time.sleep(0.005)
    failure = run.failed(f"no 200 from GET / within {START_TIMEOUT_S} s", output_tail=server.output_tail())
    server.stop()
    return None, failure


def runs(command, count, measure):
    """`count` fresh starts of a server, each measured by `measure(server,
    start-up ms)`; a start that failed is its own failed result."""
    results = []
    for _ in range(count):
        server, figure = start(command)
        if server is None:
            results.append(figure)
            continue
        try:
            results.append(measure(server, figure))
        finally:
            server.stop()
    return results


def hello(server, seconds):
    cmd = run.pinned(1, [run.WRK, "-t1", "-c50", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{server.port}/"])
    return run.parse_wrk(*run.run_load("wrk", cmd, seconds + 30, server))


def summary(results, key):
    done = [r[key] for r in results if r["status"] != "failed"]
    out = {"runs": len(results), "ok": len(done), "failures": [r["error"] for r in results if r["status"] == "failed"]}
    if done:
        out.update(run.spread(done))
    return out


def cell(s, unit):
    if not s.get("ok"):
        return f"failed ({'; '.join(s['failures'])[:120]})"
    text = f"{s['median']:,.0f} {unit} ({s['min']:,.0f}-{s['max']:,.0f}), {s['ok']}/{s['runs']} ok"
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--json", default=os.path.join(run.ROOT, "bench", "projects-results.json"))
    args = parser.parse_args(argv)
    if not args.no_build:
        run.prepare()
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=PROJECT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        bundle_dir = os.path.join(tmp, "dist")
        bundle_path = bundle(bundle_dir)
        servers = commands(bundle_dir, deno_server(bundle_path, tmp))
        report = {"date": time.strftime("%Y-%m-%d"), "start_up_ms": {}, "hello_requests_per_s": {}}
        for name in ["kiln (TypeScript project)", "kiln (wrangler's bundle)", "wrangler dev"]:
            results = runs(servers[name], args.starts, lambda server, ms: run.completed({"ms": ms}))
            report["start_up_ms"][name] = summary(results, "ms")
        for name in ["kiln (TypeScript project)", "kiln (wrangler's bundle)", "deno (wrangler's bundle)"]:
            results = runs(servers[name], args.repeat,
                           lambda server, ms: server.settle("hello", hello(server, args.seconds)))
            report["hello_requests_per_s"][name] = summary(results, "requests_per_s")
    with open(args.json, "w") as f:
        json.dump(report, f, indent=2)
    print(f"Start-up, process start to the first 200 (median of {args.starts}, min-max):")
    for name, s in report["start_up_ms"].items():
        print(f"  {name:<28} {cell(s, 'ms')}")
    print(f"Hello world through Hono, wrk -t1 -c50 -d{args.seconds}s (median of {args.repeat}, min-max):")
    for name, s in report["hello_requests_per_s"].items():
        print(f"  {name:<28} {cell(s, 'requests/s')}")
    failed = any(s["ok"] < s["runs"] for part in ("start_up_ms", "hello_requests_per_s") for s in report[part].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
