#!/usr/bin/env python3
"""What permessage-deflate costs a WebSocket pass-through, on kiln.

Two kiln processes share CPU 0: bench/echo.js (the backend), and
bench/passthrough/proxy.js, which forwards each client's upgrade to it with
the client's offer and returns the backend's socket unaccepted (kiln then
carries frames between the two connections in Rust). ws-deflate-load (CPU
1) runs the `chat` workload of bench/compression.py through the proxy, once
offering permessage-deflate and once offering nothing. Compressed, the
proxy passes each compressed message from one connection to the other as
it came (both agreed the same parameters), so what compression costs is
the client's and the backend's work, not the proxy's.

    bench/passthrough.py [--repeat 3] [--no-build]
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compression  # noqa: E402
import run  # noqa: E402

KILN = os.path.join(run.ROOT, "target", "release", "kiln")


def once(offer):
    backend = run.Server("backend", lambda port: [KILN, "dev", "bench/echo.js", "--quiet", "--port", str(port)])
    try:
        compression.wait_ready(backend)
        url = f"ws://127.0.0.1:{backend.port}/"
        proxy = run.Server("proxy", lambda port: [KILN, "dev", "bench/passthrough/proxy.js", "--quiet", "--port", str(port),
                                                  "--var", f"BACKEND:{url.replace('ws:', 'http:')}"])
        try:
            compression.wait_ready(proxy)
            cmd = run.pinned(1, [compression.TOOL, "--addr", f"127.0.0.1:{proxy.port}", "--workload", "chat",
                                 "--connections", "50", "--messages", "1000", "--in-flight", "8", "--offer", offer])
            return compression.parse_line(*run.run_load("ws-deflate-load", cmd, 190, proxy))
        finally:
            proxy.stop()
    finally:
        backend.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args(argv)
    if not args.no_build:
        run.prepare()
        run.sh(["cargo", "build", "--locked", "--release", "-p", "kiln-bench", "--bin", "ws-deflate-load"])
    failed = False
    for offer, label in [("permessage-deflate", "compressed"), ("x-none", "uncompressed")]:
        runs = [once(offer) for _ in range(args.repeat)]
        done = [r for r in runs if r["status"] != "failed"]
        failed |= len(done) < len(runs)
        for r in runs:
            if r["status"] == "failed":
                print(f"{label}: failed: {r['error']}", file=sys.stderr)
        if done:
            rates = sorted(r["msgs_per_s"] for r in done)
            print(f"{label}: {statistics.median(rates):.0f} msgs/s ({rates[0]:.0f}-{rates[-1]:.0f}), "
                  f"down {statistics.median(r['down_bytes'] for r in done):.1f} B/msg, "
                  f"agreement {done[0]['agreement']}, {len(done)}/{len(runs)} ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
