#!/usr/bin/env python3
"""Durable Object benchmark: kiln and workerd side by side, one object.

For each server and each repetition: start it on a fresh state folder (both
keep objects in SQLite on disk), warm the object up, then time, from outside,
one HTTP request per workload in which the worker (or the object) performs N
operations one after the other:

  rpc    N calls stub.inc() from the worker into the object
  fetch  N calls stub.fetch() from the worker into the object
  put    N awaited ctx.storage.put() inside the object
  get    N awaited ctx.storage.get() inside the object
  sql    N ctx.storage.sql.exec(INSERT ...) inside the object

and report operations per second as the median and the spread (min-max) of
the repetitions. `ceiling` is kiln's storage layer driven from Rust with no
JavaScript (bench/src/bin/do-storage-ceiling.rs): what SQLite itself allows.
A failed run (the server did not start, a request failed or answered the
wrong count) is reported with its reason, never dropped.

    bench/durable_objects.py [--repeat 3] [--n 2000] [--no-build] [--json FILE]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the shared helpers of bench/run.py)

ROOT = run.ROOT
WORKLOADS = ["rpc", "fetch", "put", "get", "sql"]
WORKERD_CONFIG = """using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .w),
    (name = "do-disk", disk = (path = "{state}", writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:{port}", http = (), service = "main")],
);
const w :Workerd.Worker = (
  compatibilityDate = "2026-05-01",
  modules = [(name = "worker.js", esModule = embed "{worker}")],
  durableObjectNamespaces = [(className = "Counter", uniqueKey = "bench-Counter", enableSql = true)],
  durableObjectStorage = (localDisk = "do-disk"),
  bindings = [(name = "COUNTER", durableObjectNamespace = "Counter")],
);
"""


def command(name, port, state):
    if name == "kiln":
        return ["target/release/kiln", "dev", "-c", "bench/do/wrangler.toml",
                "--persist-to", state, "--quiet", "--port", str(port)]
    # Beside worker.js: capnp's embed paths are relative to the config file.
    config = os.path.join(ROOT, "bench", "do", ".workerd.generated.capnp")
    disk = os.path.join(state, "do")
    os.makedirs(disk, exist_ok=True)
    with open(config, "w") as f:
        f.write(WORKERD_CONFIG.format(state=disk, port=port, worker="worker.js"))
    return [run.NODE_MODULES + "/@cloudflare/workerd-linux-64/bin/workerd", "serve", config]


def get(port, path, timeout=120):
    """(status, body) of one GET; an error if the connection fails."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as reply:
            return reply.status, reply.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def wait_until_serving(port, proc, deadline_s=30):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise run.RunFailed(run.failed(f"exited with code {proc.returncode} while starting"))
        try:
            get(port, "/rpc?n=1", timeout=5)
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.05)
    raise run.RunFailed(run.failed(f"not serving within {deadline_s} s"))


def expected_count(workload, n, before):
    """What the worker answers when every operation happened: the object's
    counter for rpc/fetch (it counts on from `before`), else n."""
    return before + n if workload in ("rpc", "fetch") else n


def measure(port, workload, n, counter):
    start = time.monotonic()
    status, body = get(port, f"/{workload}?n={n}")
    elapsed = time.monotonic() - start
    if status != 200:
        return run.failed(f"/{workload} answered {status}", body_tail=run.tail(body))
    want = expected_count(workload, n, counter[0])
    if body.strip() != str(want):
        return run.failed(f"/{workload} answered {body.strip()!r}, expected {want}: operations were lost")
    if workload in ("rpc", "fetch"):
        counter[0] = want
    return run.completed({"ops_per_s": round(n / elapsed)})


def run_server(name, n, quick):
    state = tempfile.mkdtemp(prefix=f"kiln-do-bench-{name}-")
    port = run.free_port()
    log = tempfile.TemporaryFile()
    results = {}
    proc = None
    try:
        proc = subprocess.Popen(run.pinned(0, command(name, port, state)), cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_serving(port, proc)
        # The object's counter after the readiness probe and the warm-up.
        counter = [1]
        for workload in WORKLOADS:
            warm = measure(port, workload, 50, counter)
            if warm["status"] == "failed":
                raise run.RunFailed(warm)
        for workload in WORKLOADS:
            result = measure(port, workload, n // 4 if quick else n, counter)
            if proc.poll() is not None:
                result = run.failed(f"the server exited with code {proc.returncode} during {workload}")
            results[workload] = result
    except run.RunFailed as e:
        log.seek(0)
        reason = dict(e.result)
        reason["server_output_tail"] = run.tail(log.read().decode(errors="replace"))
        for workload in WORKLOADS:
            results.setdefault(workload, reason)
    finally:
        if proc is not None:
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.wait()
        log.close()
        shutil.rmtree(state, ignore_errors=True)
    return results


def run_ceiling(n):
    state = tempfile.mkdtemp(prefix="kiln-do-bench-ceiling-")
    try:
        out = subprocess.run(run.pinned(0, ["target/release/do-storage-ceiling", "--n", str(n), "--dir", state]),
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            reason = run.failed(f"do-storage-ceiling exited with code {out.returncode}", stderr_tail=run.tail(out.stderr))
            return {w: reason for w in ("put", "get", "sql")}
        figures = json.loads(out.stdout)
        return {w: run.completed({"ops_per_s": figures[w]}) for w in ("put", "get", "sql")}
    finally:
        shutil.rmtree(state, ignore_errors=True)


def summarise(runs):
    """Per workload: median and min-max of the completed runs, with every
    failure's reason."""
    out = {}
    for workload in WORKLOADS:
        results = [r[workload] for r in runs if workload in r]
        if not results:
            continue
        ok = [r["ops_per_s"] for r in results if r["status"] != "failed"]
        out[workload] = {
            "ok": len(ok),
            "runs": len(results),
            "reasons": [r["error"] for r in results if r["status"] == "failed"],
        }
        if ok:
            out[workload].update(run.spread(ok))
    return out


def table(summaries):
    servers = list(summaries)
    lines = ["| workload | " + " | ".join(f"{s} ops/s" for s in servers) + " | kiln / workerd |",
             "|---|" + "---|" * (len(servers) + 1)]
    for workload in WORKLOADS:
        cells = []
        for server in servers:
            s = summaries[server].get(workload)
            if s is None:
                cells.append("-")
            elif s["ok"] == 0:
                cells.append(f"FAILED 0/{s['runs']}: {s['reasons'][0]}")
            else:
                note = "" if s["ok"] == s["runs"] else f" ({s['ok']}/{s['runs']} ok: {s['reasons'][0]})"
                cells.append(f"{s['median']:,.0f} ({s['min']:,.0f}-{s['max']:,.0f}){note}")
        k, w = summaries.get("kiln", {}).get(workload), summaries.get("workerd", {}).get(workload)
        ratio = f"{k['median'] / w['median']:.2f}" if k and w and k["ok"] and w["ok"] else "-"
        lines.append(f"| {workload} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=2000, help="operations per workload and run")
    parser.add_argument("--quick", action="store_true", help="a quarter of the operations")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "do-results.json"))
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not args.no_build:
        run.prepare()
    runs = {"kiln": [], "workerd": [], "ceiling": []}
    for i in range(args.repeat):
        # Servers take turns, so a machine that slows down part-way affects both alike.
        for name in ("kiln", "workerd"):
            print(f"run {i + 1}/{args.repeat}: {name}", file=sys.stderr)
            runs[name].append(run_server(name, args.n, args.quick))
        runs["ceiling"].append(run_ceiling(args.n))
    summaries = {name: summarise(r) for name, r in runs.items()}
    report = {"date": time.strftime("%Y-%m-%d"), "n": args.n, "repeat": args.repeat,
              "spread": run.SPREAD, "summary": summaries, "runs": runs}
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    print(table(summaries))
    failed = any(s["ok"] < s["runs"] for summary in summaries.values() for s in summary.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
