#!/usr/bin/env python3
"""WebSocket hibernation benchmark: kiln and workerd side by side, one room.

For each server and each repetition, a fresh server runs
bench/hibernation/worker.js, whose Durable Object `Room` takes every
WebSocket with ctx.acceptWebSocket, and ws-hibernation (bench's Rust client,
bench/src/bin/ws-hibernation.rs) opens N of them (--clients, 1000) to the one
room "bench" and holds them for the whole repetition. Then:

  broadcast          one client sends "broadcast": the room sends one message
                     to every socket of ctx.getWebSockets(); the time from
                     that write until all N clients have it (ws-hibernation
                     timestamps each arrival), --rounds times
  memory, awake      server RSS with the N sockets open, minus its RSS before
                     they connected, per socket
  wake               the room is hibernated, then one client sends a message
                     and times the reply, which must come from a new instance
                     (the reply carries a module-level count of constructor
                     runs, which the isolate keeps, and the instance's own id)
  memory, hibernated the same figure with the room hibernated, sampled before
                     the first wake (and valid once that wake proves it)
  broadcast from     the room is hibernated once more and the broadcast is
  hibernation        triggered on it: wake plus fan-out, and proof that all N
                     sockets survived hibernation

Hibernation: kiln's is forced with `POST /cdn-cgi/kiln/hibernate?class=Room`,
whose answer must say `"hibernated": true` for the room. workerd cannot be
told to: it evicts an idle object after 10 s of inactivity, so the benchmark
waits --workerd-idle seconds (12) before each workerd wake, and takes fewer
wake samples on workerd (--workerd-samples, 3, against --kiln-samples, 10).

A figure is the median of the repetitions that completed, with their min-max
in parentheses (each repetition's own figure is the median of its rounds or
samples; the JSON holds every one). A failed repetition keeps its place with
its reason; the exit status is 1 when any repetition failed.

    bench/hibernation.py [--repeat 3] [--clients 1000] [--kiln PATH] [--no-build]
"""

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the shared helpers of bench/run.py)

ROOT = run.ROOT
HERE = os.path.join(ROOT, "bench", "hibernation")
TOOL = os.path.join(ROOT, "target", "release", "ws-hibernation")
DEFAULT_KILN = os.path.join(ROOT, "target", "release", "kiln")
WORKERD_CANDIDATES = [
    os.path.join(ROOT, "bench", "node_modules", "@cloudflare", "workerd-linux-64", "bin", "workerd"),
    os.path.join(ROOT, "tests", "reference", "node_modules", "@cloudflare", "workerd-linux-64", "bin", "workerd"),
]
SERVERS = ["kiln", "workerd"]
CLASS, ROOM = "Room", "bench"
# In the order a run measures them.
WORKLOADS = ["memory_awake", "broadcast", "round_trip", "wake", "memory_hibernated", "wake_broadcast"]
AWAKE_PINGS = 20
# Pauses before RSS is read: memory freed by a hibernation, or taken by the
# last upgrades, shows in RSS a moment later.
SETTLE_S = 1.0
START_DEADLINE_S = 30
WORKERD_CONFIG = """using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .w)],
  sockets = [(name = "http", address = "127.0.0.1:{port}", http = (), service = "main")],
);
const w :Workerd.Worker = (
  compatibilityDate = "2026-05-01",
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  durableObjectNamespaces = [(className = "{cls}", uniqueKey = "bench-hibernation-{cls}", enableSql = true)],
  durableObjectStorage = (inMemory = void),
  bindings = [(name = "ROOM", durableObjectNamespace = "{cls}")],
);
"""


# --- The pure part: commands, parsing, deciding. bench/test_hibernation.py
# calls these without starting anything. ----------------------------------

def workerd_config(port):
    return WORKERD_CONFIG.format(port=port, cls=CLASS)


def kiln_command(kiln, port):
    return [kiln, "dev", "-c", os.path.join(HERE, "wrangler.toml"), "--quiet", "--port", str(port), "--no-persist"]


def tool_command(port, args):
    return [TOOL, "--addr", f"127.0.0.1:{port}", "--path", f"/ws?room={ROOM}", "--clients", str(args.clients),
            "--timeout", str(args.timeout), "--max-seconds", str(tool_budget_s(args))]


def samples_for(name, args):
    return args.kiln_samples if name == "kiln" else args.workerd_samples


def tool_budget_s(args):
    """How long ws-hibernation may live: every step at its own deadline,
    workerd's idle waits included, with a margin. Its backstop, not the
    figure that normally ends it (the driver's quit)."""
    samples = max(args.kiln_samples, args.workerd_samples) + 1  # + the broadcast from hibernation
    per_step = args.timeout + 10
    return int(args.connect_timeout + (args.rounds + AWAKE_PINGS) * per_step
               + samples * (args.workerd_idle + per_step + SETTLE_S) + 60)


def parse_reply(text):
    """The room's replies: `pong TOKEN CONSTRUCTIONS INSTANCE` and
    `bcast TOKEN SOCKETS CONSTRUCTIONS INSTANCE` (bench/hibernation/worker.js)."""
    parts = (text or "").split()
    try:
        if len(parts) == 4 and parts[0] == "pong":
            return {"token": parts[1], "constructions": int(parts[2]), "instance": parts[3]}
        if len(parts) == 5 and parts[0] == "bcast":
            return {"token": parts[1], "sockets": int(parts[2]), "constructions": int(parts[3]), "instance": parts[4]}
    except ValueError:
        pass
    raise ValueError(f"not a reply of the room: {text!r}")


def recreated(before, after):
    """Whether `after` came from an instance constructed after `before`'s:
    (None, flags) if so, else (the reason, []). The instance id decides; the
    module-level count must have grown too, unless the isolate itself was
    replaced (which the flag says)."""
    if after["instance"] == before["instance"]:
        return (f"the reply came from the same instance as before (constructor runs still "
                f"{after['constructions']}): the object had not hibernated"), []
    if after["constructions"] > before["constructions"]:
        return None, []
    return None, [f"a new instance, but the count of constructor runs went from {before['constructions']} "
                  f"to {after['constructions']}: the isolate was replaced too"]


def hibernate_answer(status, body, clients):
    """kiln's answer to POST /cdn-cgi/kiln/hibernate?class=Room: a completed
    result if it hibernated the room (flagged if it counts other than
    `clients` sockets), else a failed one with kiln's reason."""
    what = f"POST /cdn-cgi/kiln/hibernate?class={CLASS}"
    first = next((line.strip() for line in (body or "").splitlines() if line.strip()), "")
    if status != 200:
        hint = (" (the request reached the worker: this kiln has no hibernation endpoint)"
                if first.startswith("no route for") else "")
        return run.failed(f"{what} answered {status}: {run.cell_text(first, 160)}{hint}", body_tail=run.tail(body))
    try:
        objects = json.loads(body)["objects"]
        rooms = [o for o in objects if o.get("class") == CLASS]
    except (ValueError, KeyError, TypeError, AttributeError):
        return run.failed(f"{what} answered 200 with no objects list: {run.cell_text(first, 160)}", body_tail=run.tail(body))
    named = [o for o in rooms if o.get("name") == ROOM]
    room = named[0] if named else (rooms[0] if len(rooms) == 1 else None)
    if room is None:
        return run.failed(f"{what} lists no {CLASS} object named {ROOM!r} ({len(rooms)} of class {CLASS})",
                          body_tail=run.tail(body))
    if room.get("hibernated") is not True:
        return run.failed(f"kiln did not hibernate the room: {room.get('reason') or 'no reason given'}"
                          f" (hibernated: {json.dumps(room.get('hibernated'))})", answer=room)
    flags = []
    if room.get("webSockets") != clients:
        flags.append(f"kiln counts {room.get('webSockets')} sockets on the hibernated room, {clients} are open")
    return run.completed({"web_sockets": room.get("webSockets")}, flags) | {"answer": room}


def memory_result(before_kib, during_kib, clients, state):
    """RSS growth per socket. A fall makes the figure void, and says so."""
    growth = during_kib - before_kib
    flags = []
    if growth < 0:
        flags.append(f"RSS fell by {-growth} KiB below its level before the sockets connected "
                     f"(memory returned to the system): the per-socket figure is void")
    return run.completed({"kib_per_socket": round(growth / clients, 2), "rss_mib": round(during_kib / 1024, 1),
                          "rss_before_mib": round(before_kib / 1024, 1), "state": state}, flags)


def broadcast_result(rounds, clients, connect_ms):
    """rounds: ws-hibernation's answers to `broadcast`, each already
    checked for all N arrivals. The repetition's figures are the medians."""
    flags = sorted({f"the room counted {parse_reply(r['reply'])['sockets']} sockets, {clients} are open"
                    for r in rounds if parse_reply(r["reply"])["sockets"] != clients})
    median = lambda key: round(statistics.median(r[key] for r in rounds), 3)  # noqa: E731
    return run.completed({"last_ms": median("last_ms"), "p50_ms": median("p50_ms"), "first_ms": median("first_ms"),
                          "last_ms_max": max(r["last_ms"] for r in rounds), "rounds": len(rounds),
                          "connect_ms": connect_ms, "round_last_ms": [r["last_ms"] for r in rounds]}, flags)


def round_trip_result(sample_ms):
    return run.completed({"round_trip_ms": round(statistics.median(sample_ms), 3), "round_trip_max_ms": max(sample_ms),
                          "samples": len(sample_ms), "sample_ms": sample_ms})


def wake_result(wake_ms, flags, how):
    return run.completed({"wake_ms": round(statistics.median(wake_ms), 3), "wake_max_ms": max(wake_ms),
                          "samples": len(wake_ms), "sample_ms": wake_ms, "hibernation": how}, flags)


def fill(results, failure):
    """Every workload not measured gets the failure that stopped the run:
    as it is for the step that failed, as the reason for the others."""
    first = True
    for workload in WORKLOADS:
        if workload not in results:
            results[workload] = failure if first else run.failed(f"not run: {failure['error']}")
            first = False
    return results


def build_report(runs, args, versions, date=None, cores=None):
    servers = {}
    for name, server_runs in runs.items():
        summary = {w: run.summarise([r.get(w, run.failed("no result recorded")) for r in server_runs])
                   for w in WORKLOADS}
        servers[name] = {"summary": summary, "runs": [{"run": i, "workloads": r} for i, r in enumerate(server_runs, 1)]}
    return {
        "date": date or time.strftime("%Y-%m-%d", time.gmtime()),
        "cores": cores or os.cpu_count(),
        "clients": args.clients,
        "repeat": args.repeat,
        "rounds": args.rounds,
        "samples": {name: samples_for(name, args) for name in runs},
        "workerd_idle_s": args.workerd_idle,
        "versions": versions,
        "spread": run.SPREAD + "; each run's own figure is the median of its rounds or samples",
        "servers": servers,
    }


# (title, rows (workload, row label), columns (header, figure, format), figure compared with workerd's)
TABLES = [
    ("Broadcast by one awake object to its {clients} sockets, from the trigger message to the last arrival",
     [("broadcast", "")],
     [("last ms", "last_ms", ".2f"), ("p50 ms", "p50_ms", ".2f"), ("first ms", "first_ms", ".2f"),
      ("connect all ms", "connect_ms", ",.0f")], "last_ms"),
    ("Wake: one message to a hibernated object ({clients} sockets) and its reply from a new instance",
     [("wake", "")],
     [("wake ms", "wake_ms", ".2f"), ("slowest wake ms", "wake_max_ms", ".2f"), ("samples per run", "samples", ".0f")],
     "wake_ms"),
    ("For comparison, the same message to the awake object and its reply",
     [("round_trip", "")],
     [("round trip ms", "round_trip_ms", ".2f"), ("slowest ms", "round_trip_max_ms", ".2f"),
      ("samples per run", "samples", ".0f")], "round_trip_ms"),
    ("Broadcast from hibernation: the trigger wakes the object, which sends to all {clients} sockets",
     [("wake_broadcast", "")],
     [("last ms", "last_ms", ".2f"), ("p50 ms", "p50_ms", ".2f"), ("first ms", "first_ms", ".2f")], "last_ms"),
    ("Server RSS per connected socket ({clients} sockets; RSS minus RSS before they connected)",
     [("memory_awake", "awake"), ("memory_hibernated", "hibernated")],
     [("KiB per socket", "kib_per_socket", ".2f"), ("RSS MiB", "rss_mib", ".1f"), ("RSS before MiB", "rss_before_mib", ".1f")],
     "kib_per_socket"),
]


def table(report):
    servers = report["servers"]
    samples = ", ".join(f"{name} {n}" for name, n in report["samples"].items())
    idle = (f" (workerd hibernates by itself after 10 s idle: each of its wakes follows {report['workerd_idle_s']:g} s "
            f"without a message)" if "workerd" in report["samples"] else "")
    lines = [f"Hibernation benchmark, {report['date']}, {report['cores']} cores (server on CPU 0, clients on CPU 1), "
             f"{report['repeat']} run{'s' if report['repeat'] != 1 else ''} per server, {report['clients']:,} sockets, "
             f"{report['rounds']} broadcast rounds per run, wake samples per run: {samples}{idle}.",
             f"Figures: {report['spread']}.", ""]
    for title, rows, columns, compared in TABLES:
        headers = [header for header, _, _ in columns] + ["÷ workerd", "runs"]
        lines += [title.format(clients=f"{report['clients']:,}") + ":", "",
                  "| server | " + " | ".join(headers) + " |", "|---" * (len(headers) + 1) + "|"]
        for workload, label in rows:
            for name, server in servers.items():
                summary = server["summary"][workload]
                reference = servers.get("workerd", {}).get("summary", {}).get(workload)
                cells = [run.figure_cell(summary, key, fmt) for _, key, fmt in columns]
                cells += [run.ratio(summary, reference, compared), run.runs_cell(summary)]
                lines.append(f"| {name}{', ' + label if label else ''} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def exit_status(report):
    return 1 if any(s["reasons"] for server in report["servers"].values() for s in server["summary"].values()) else 0


# --- The server, the client tool, and one run. ----------------------------

def http(port, method, path, timeout):
    """(status, body) of one request; OSError if there is no answer."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


class Server:
    """One start of kiln or workerd, pinned to CPU 0, its output in a file."""

    def __init__(self, name, cmd, port, cleanup=None):
        self.name, self.port, self.cleanup = name, port, cleanup
        self.log = tempfile.TemporaryFile()
        # A session of its own, so that stop() ends whatever it started too.
        self.proc = subprocess.Popen(run.pinned(0, cmd), cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output_tail(self):
        fd = self.log.fileno()
        size = os.fstat(fd).st_size
        start = max(0, size - 4 * run.TAIL_CHARS)
        return run.tail(os.pread(fd, size - start, start).decode(errors="replace"))

    def check_alive(self, during, grace=0.0):
        """RunFailed with the server's exit and last output if it has exited.
        Its sockets can close a moment before its exit is visible, hence the grace."""
        try:
            code = self.proc.wait(timeout=grace) if grace else self.proc.poll()
        except subprocess.TimeoutExpired:
            code = None
        if code is not None:
            output = self.output_tail()
            line = run.last_line(output)
            raise run.RunFailed(run.failed(f"the server {run.describe_exit(code)} during {during}"
                                           + (f": {line}" if line else ""), server_output_tail=output))

    def wait_until_serving(self):
        deadline = time.monotonic() + START_DEADLINE_S
        last = "no answer"
        while time.monotonic() < deadline:
            self.check_alive("start-up")
            try:
                status, body = http(self.port, "GET", "/health", timeout=5)
                if status == 200:
                    return
                last = f"GET /health answered {status}: {run.cell_text(body, 120)}"
            except OSError as e:
                last = str(e)
            time.sleep(0.05)
        raise run.RunFailed(run.failed(f"not serving within {START_DEADLINE_S} s ({last})",
                                       server_output_tail=self.output_tail()))

    def rss_kib(self, during):
        try:
            return run.tree_rss_kib(self.proc.pid)
        except run.ProcessGone:
            self.check_alive(during)
            raise

    def stop(self):
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()
        if self.cleanup:
            self.cleanup()


def start_server(name, args):
    port = run.free_port()
    if name == "kiln":
        return Server(name, kiln_command(args.kiln, port), port)
    # Beside a copy of worker.js: capnp's embed paths are relative to the config.
    folder = tempfile.mkdtemp(prefix="kiln-hibernation-workerd-")
    shutil.copy(os.path.join(HERE, "worker.js"), folder)
    config = os.path.join(folder, "config.capnp")
    with open(config, "w") as f:
        f.write(workerd_config(port))
    return Server(name, [args.workerd, "serve", config], port, cleanup=lambda: shutil.rmtree(folder, ignore_errors=True))


class Tool:
    """ws-hibernation, pinned to CPU 1: N sockets held open, one command at a
    time on stdin, one JSON answer per line on stdout."""

    def __init__(self, port, args):
        self.timeout = args.timeout
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(run.pinned(1, tool_command(port, args)), cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, start_new_session=True)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _gone(self, what):
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.stderr.seek(0)
        err = self.stderr.read().decode(errors="replace")
        line = run.last_line(err)
        state = run.describe_exit(code) if code is not None else "closed its output"
        return run.RunFailed(run.failed(f"ws-hibernation {state} during {what}" + (f": {line}" if line else ""),
                                        stderr_tail=run.tail(err)))

    def answer(self, what, timeout):
        """The next answer, {"ok": ...}; RunFailed if the tool is gone or silent."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise run.RunFailed(run.failed(f"ws-hibernation gave no answer to {what} within {timeout} s")) from None
        if line is None:
            raise self._gone(what)
        try:
            return json.loads(line)
        except ValueError:
            raise run.RunFailed(run.failed(f"ws-hibernation printed {run.cell_text(line, 120)!r} for {what}")) from None

    def command(self, text):
        try:
            self.proc.stdin.write(text + "\n")
            self.proc.stdin.flush()
        except OSError:
            raise self._gone(text) from None
        # The tool gives up after --timeout by itself; the margin covers its own answer.
        return self.answer(text, self.timeout + 10)

    def stop(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # it has exited already
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.reader.join(timeout=5)
        self.proc.stdout.close()
        self.stderr.close()


def require(answer, what):
    """A tool answer that must be ok, as a RunFailed otherwise."""
    if not answer.get("ok"):
        raise run.RunFailed(run.failed(f"{what}: {answer.get('error', 'no reason given')}"))
    return answer


class Steps:
    """One repetition's steps against a started server and a connected tool."""

    def __init__(self, server, tool, args, label):
        self.server, self.tool, self.args = server, tool, args
        self.tokens = (f"{label}-{i}" for i in range(1_000_000))

    def command(self, verb, what):
        # A server that exited explains a failed answer (sockets closed, no
        # reply) better than the answer does, so it is checked first.
        try:
            answer = self.tool.command(f"{verb} {next(self.tokens)}")
        except run.RunFailed:
            self.server.check_alive(what, grace=0.5)
            raise
        self.server.check_alive(what, grace=0 if answer.get("ok") else 0.5)
        return require(answer, what)

    def broadcast(self, what):
        return self.command("broadcast", what)

    def ping(self, what):
        return self.command("ping", what)

    def hibernate(self, what):
        """Puts the room to sleep (kiln: forced; workerd: its own eviction,
        awaited). Returns how, for the JSON; RunFailed if kiln refuses."""
        if self.server.name == "kiln":
            try:
                status, body = http(self.server.port, "POST", f"/cdn-cgi/kiln/hibernate?class={CLASS}", self.args.timeout)
            except OSError as e:
                self.server.check_alive(what)
                raise run.RunFailed(run.failed(f"POST /cdn-cgi/kiln/hibernate: no answer within "
                                               f"{self.args.timeout} s ({e})")) from None
            result = hibernate_answer(status, body, self.args.clients)
            if result["status"] == "failed":
                raise run.RunFailed(result)
            return {"forced": result["answer"], "flags": result["flags"]}
        # workerd offers no control: idle past its 10 s, then the next event
        # finds the object gone (the wake's reply is the proof).
        time.sleep(self.args.workerd_idle)
        self.server.check_alive(what)
        return {"waited_s": self.args.workerd_idle, "flags": []}


def run_server(name, args, label):
    """One repetition on a fresh server: a result for every workload."""
    results = {}
    server = tool = None
    try:
        try:
            server = start_server(name, args)
        except OSError as e:
            raise run.RunFailed(run.failed(f"could not start {name}: {e}")) from None
        server.wait_until_serving()
        before = server.rss_kib("start-up")
        tool = Tool(server.port, args)
        connected = require(tool.answer(f"opening {args.clients} sockets", args.connect_timeout),
                            f"opening {args.clients} sockets")
        server.check_alive("the connects")
        time.sleep(SETTLE_S)
        results["memory_awake"] = memory_result(before, server.rss_kib("the memory sample"), args.clients, "awake")
        steps = Steps(server, tool, args, label)

        rounds = [steps.broadcast(f"broadcast round {i + 1}") for i in range(args.rounds)]
        results["broadcast"] = broadcast_result(rounds, args.clients, connected["connect_ms"])

        awake = [steps.ping(f"awake ping {i + 1}") for i in range(AWAKE_PINGS)]
        results["round_trip"] = round_trip_result([a["ms"] for a in awake])
        previous = parse_reply(awake[-1]["reply"])
        wake_ms, flags, how = [], [], []
        for i in range(samples_for(name, args)):
            hibernated = steps.hibernate(f"hibernation {i + 1}")
            how.append(hibernated)
            flags += hibernated["flags"]
            if i == 0:
                time.sleep(SETTLE_S)
                rss_hibernated = server.rss_kib("the hibernated memory sample")
            answer = steps.ping(f"wake {i + 1}")
            reply = parse_reply(answer["reply"])
            reason, new_flags = recreated(previous, reply)
            if reason:
                raise run.RunFailed(run.failed(f"wake {i + 1}: {reason}", reply=answer["reply"]))
            flags += new_flags
            if i == 0:
                # Only now is the room known to have been asleep when sampled.
                results["memory_hibernated"] = memory_result(before, rss_hibernated, args.clients, "hibernated")
            wake_ms.append(answer["ms"])
            previous = reply
        results["wake"] = wake_result(wake_ms, sorted(set(flags)), how)

        hibernated = steps.hibernate("the hibernation before the broadcast")
        answer = steps.broadcast("the broadcast from hibernation")
        reply = parse_reply(answer["reply"])
        reason, new_flags = recreated(previous, reply)
        if reason:
            raise run.RunFailed(run.failed(f"broadcast from hibernation: {reason}", reply=answer["reply"]))
        result = broadcast_result([answer], args.clients, connected["connect_ms"])
        result["flags"] += hibernated["flags"] + new_flags
        result["hibernation"] = hibernated
        result["status"] = "flagged" if result["flags"] else "ok"
        results["wake_broadcast"] = result
    except run.RunFailed as e:
        failure = dict(e.result)
        if server is not None and "server_output_tail" not in failure:
            failure["server_output_tail"] = server.output_tail()
        fill(results, failure)
    except run.ProcessGone as e:
        fill(results, run.failed(f"the server was gone when its RSS was sampled: {e}"))
    except Exception as e:  # a broken step is this run's failure, not the benchmark's end
        fill(results, run.failed(f"{type(e).__name__}: {e}"))
    finally:
        if tool is not None:
            tool.stop()
        if server is not None:
            server.stop()
    return {w: results[w] for w in WORKLOADS}


# --- Setting up. -----------------------------------------------------------

def sh(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=ROOT, check=True, **kw)


def find_workerd():
    return next((path for path in WORKERD_CANDIDATES if os.path.exists(path)), WORKERD_CANDIDATES[0])


def prepare(args):
    if "kiln" in args.servers and os.path.abspath(args.kiln) == DEFAULT_KILN:
        sh(["cargo", "build", "--release", "-p", "kiln", "--no-default-features", "--features", "quickjs"])
    sh(["cargo", "build", "--release", "-p", "kiln-bench", "--bin", "ws-hibernation"])
    if "workerd" in args.servers and not os.path.exists(args.workerd):
        sh(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=os.path.join(ROOT, "bench"))


def version(cmd):
    try:
        out = subprocess.run(cmd + ["--version"], capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip() or f"exit code {out.returncode}"
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({e})"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default=",".join(SERVERS), help="kiln,workerd (default both)")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="runs of each server (default 3)")
    parser.add_argument("--clients", type=int, default=1000, metavar="N", help="sockets in the room (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="broadcasts per run (default 5)")
    parser.add_argument("--kiln-samples", type=int, default=10, help="forced hibernations and wakes per kiln run (default 10)")
    parser.add_argument("--workerd-samples", type=int, default=3,
                        help="wakes per workerd run (default 3), each after --workerd-idle seconds of idleness")
    parser.add_argument("--workerd-idle", type=float, default=12.0, metavar="S",
                        help="idle seconds awaited for workerd's 10 s eviction (default 12)")
    parser.add_argument("--timeout", type=int, default=30, metavar="S", help="deadline of each step (default 30)")
    parser.add_argument("--connect-timeout", type=int, default=120, metavar="S",
                        help="deadline for opening every socket (default 120)")
    parser.add_argument("--kiln", default=DEFAULT_KILN, help="the kiln binary (default: the repo's release build)")
    parser.add_argument("--workerd", default=find_workerd(), help="the workerd binary (default: bench's npm install)")
    parser.add_argument("--no-build", action="store_true", help="build neither kiln nor ws-hibernation")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "hibernation-results.json"))
    args = parser.parse_args(argv)
    args.servers = list(dict.fromkeys(n for n in args.servers.split(",") if n))
    unknown = [n for n in args.servers if n not in SERVERS]
    if unknown or not args.servers:
        parser.error(f"--servers: unknown {', '.join(unknown) or 'empty list'} (known: {', '.join(SERVERS)})")
    for name in ("repeat", "clients", "rounds", "kiln_samples", "workerd_samples", "timeout", "connect_timeout"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    args.kiln = os.path.abspath(args.kiln)
    return args


def main(argv=None):
    args = parse_args(argv)
    if not args.no_build:
        prepare(args)
    for path, what in [(TOOL, "ws-hibernation")] + [(getattr(args, n), n) for n in args.servers]:
        if not os.access(path, os.X_OK):
            print(f"hibernation.py: {what} not found at {path} (build it, or drop --no-build)", file=sys.stderr)
            return 2
    # N sockets are N descriptors in the server and N in the tool, which both inherit this.
    run.raise_file_limit()
    versions = {"kiln": f"{version([args.kiln])} ({args.kiln})", "workerd": version([args.workerd])}
    versions = {name: versions[name] for name in args.servers}
    runs = {name: [] for name in args.servers}
    for i in range(1, args.repeat + 1):
        # Servers take turns, so a machine that slows down part-way weighs on both alike.
        for name in args.servers:
            print(f"== {name}, run {i}/{args.repeat}", file=sys.stderr)
            results = run_server(name, args, f"{name}{i}")
            for workload, result in results.items():
                if result["status"] != "ok" and not result.get("error", "").startswith("not run:"):
                    print(f"{name} run {i} {workload}: {result['status']}: "
                          f"{result.get('error') or '; '.join(result['flags'])}", file=sys.stderr)
            runs[name].append(results)
    report = build_report(runs, args, versions)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    print(table(report))
    return exit_status(report)


if __name__ == "__main__":
    sys.exit(main())
