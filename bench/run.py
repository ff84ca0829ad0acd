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

Usage: bench/run.py [--servers kiln,ceiling,...] [--quick] [--json FILE]
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_MODULES = os.path.join(ROOT, "bench", "node_modules")
WS_LOAD = os.path.join(ROOT, "target", "release", "ws-load")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Each server's command line for a port. Ports are fresh for every start:
# a port that a previous run left in TIME_WAIT by the thousand slows the
# first connections down and would distort the start-up figure.
SERVERS = {
    "kiln": lambda port: ["target/release/kiln", "dev", "bench/echo.js", "--port", str(port)],
    "ceiling": lambda port: ["target/release/ws-echo-ceiling", "--listen", f"127.0.0.1:{port}"],
    "workerd": lambda port: [
        NODE_MODULES + "/@cloudflare/workerd-linux-64/bin/workerd", "serve", workerd_config(port)],
    "deno": lambda port: [NODE_MODULES + "/@deno/linux-x64-glibc/deno", "run", "-A", "bench/deno-echo.js", str(port)],
    "bun": lambda port: [NODE_MODULES + "/bun/bin/bun.exe", "run", "bench/bun-echo.js", str(port)],
}


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
    # 10,000 idle connections need 10,000 descriptors on each side.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), max(hard, want)))
    except (ValueError, PermissionError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_memory_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def ws_load(port, *args, timeout=120):
    cmd = ["taskset", "-c", "1", WS_LOAD, "--addr", f"127.0.0.1:{port}", "--raw", "--timeout", str(timeout)] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 10)
    if out.returncode != 0:
        raise RuntimeError(f"ws-load {' '.join(args)}: {out.stderr.strip()}")
    rate, p50, p99 = out.stdout.split()
    return {"messages_per_s": float(rate), "p50_ms": float(p50), "p99_ms": float(p99)}


def wrk(port, seconds):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c50", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, timeout=seconds + 30,
    ).stdout
    result = {}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec"):
            result["requests_per_s"] = float(parts[1])
        elif parts[:1] in (["50%"], ["99%"]):
            value = parts[1]
            ms = float(value[:-2]) if value.endswith("ms") else float(value[:-2]) / 1000 if value.endswith("us") else float(value[:-1]) * 1000
            result["p50_ms" if parts[0] == "50%" else "p99_ms"] = ms
    return result


def idle(pid, port, count, hold):
    before = proc_memory_kib(pid, "VmRSS")
    cmd = ["taskset", "-c", "1", WS_LOAD, "--addr", f"127.0.0.1:{port}", "--idle", str(count), "--hold", str(hold), "--timeout", "120"]
    loader = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    opened = 0
    for line in loader.stderr:
        if line.startswith("open "):
            opened = int(line.split()[1])
            break
    time.sleep(min(1.0, hold / 2))
    during = proc_memory_kib(pid, "VmRSS")
    loader.wait(timeout=hold + 130)
    return {
        "connections": opened,
        "rss_growth_kib": during - before,
        "kib_per_connection": round((during - before) / opened, 2) if opened else None,
    }


def start_and_time(name):
    """Starts a server; returns it, its port, and the milliseconds from the
    spawn to the first completed upgrade and echo."""
    port = free_port()
    t0 = time.monotonic()
    server = subprocess.Popen(["taskset", "-c", "0"] + SERVERS[name](port), cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ws_load(port, "--retry", "--connections", "1", "--messages", "1", "--in-flight", "1", timeout=30)
    except Exception:
        server.kill()
        server.wait()
        raise
    return server, port, round((time.monotonic() - t0) * 1000, 1)


def run_server(name, quick):
    # A first start may fill caches (kiln: the QuickJS bytecode of its
    # modules, after a new build); the figure that matters day to day is the
    # next one. Both are reported.
    first, _, cold_ms = start_and_time(name)
    first.kill()
    first.wait()
    server, port, warm_ms = start_and_time(name)
    results = {"startup_first_ms": cold_ms, "startup_ms": warm_ms}
    try:
        messages = "400" if quick else "2000"
        for label, size in (("echo_64", "64"), ("echo_16k", "16384")):
            cpu = proc_cpu_seconds(server.pid)
            r = ws_load(port, "--connections", "50", "--messages", messages, "--size", size, "--in-flight", "8")
            r["cpu_s"] = round(proc_cpu_seconds(server.pid) - cpu, 2)
            results[label] = r
        results["ping_pong"] = ws_load(port, "--connections", "1", "--messages", "1000" if quick else "5000", "--in-flight", "1")
        if name != "ceiling":
            cpu = proc_cpu_seconds(server.pid)
            results["http"] = wrk(port, 2 if quick else 5)
            results["http"]["cpu_s"] = round(proc_cpu_seconds(server.pid) - cpu, 2)
        results["idle"] = idle(server.pid, port, 1000 if quick else 10000, 2 if quick else 3)
        results["peak_rss_mib"] = round(proc_memory_kib(server.pid, "VmHWM") / 1024, 1)
    finally:
        server.kill()
        server.wait()
    return results


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def table(results):
    date = time.strftime("%Y-%m-%d", time.gmtime())
    lines = [f"kiln benchmark suite, {date}, {os.cpu_count()} cores (server on CPU 0, load on CPU 1)", ""]
    names = list(results)

    def get(name, *path):
        value = results[name]
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    for label, title in (("echo_64", "WebSocket echo, 64 B, 50 connections x 8 in flight"),
                         ("echo_16k", "WebSocket echo, 16 KiB, 50 connections x 8 in flight")):
        lines += [f"{title}:", "", "| server | messages/s | p50 ms | p99 ms | server CPU s | vs workerd | vs ceiling |", "|---|---|---|---|---|---|---|"]
        for n in names:
            rate = get(n, label, "messages_per_s")
            lines.append(f"| {n} | {rate:,.0f} | {get(n, label, 'p50_ms')} | {get(n, label, 'p99_ms')} | {get(n, label, 'cpu_s')} | "
                         f"{ratio(rate, get('workerd', label, 'messages_per_s') if 'workerd' in results else None)} | "
                         f"{ratio(rate, get('ceiling', label, 'messages_per_s') if 'ceiling' in results else None)} |")
        lines.append("")
    lines += ["One connection, one message in flight (round trip):", "", "| server | p50 ms | p99 ms |", "|---|---|---|"]
    for n in names:
        lines.append(f"| {n} | {get(n, 'ping_pong', 'p50_ms')} | {get(n, 'ping_pong', 'p99_ms')} |")
    lines += ["", "Idle WebSockets, start-up, HTTP hello world, memory:", "",
              "| server | idle connections | RSS per idle connection KiB | start-up ms (first start in the run) | HTTP requests/s | HTTP p99 ms | peak RSS MiB |",
              "|---|---|---|---|---|---|---|"]
    for n in names:
        http = get(n, "http", "requests_per_s")
        lines.append(f"| {n} | {get(n, 'idle', 'connections')} | {get(n, 'idle', 'kib_per_connection')} | {get(n, 'startup_ms')} ({get(n, 'startup_first_ms')}) | "
                     f"{f'{http:,.0f}' if http else '-'} | {get(n, 'http', 'p99_ms') or '-'} | {get(n, 'peak_rss_mib')} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        prepare()
    results = {}
    for name in args.servers.split(","):
        print(f"== {name}", file=sys.stderr)
        try:
            results[name] = run_server(name, args.quick)
        except Exception as e:  # a server that fails is reported, the others still run
            print(f"{name}: {e}", file=sys.stderr)
            results[name] = {"error": str(e)}
    print(table({k: v for k, v in results.items() if "error" not in v}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
