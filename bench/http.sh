#!/usr/bin/env bash
# HTTP hello-world benchmark: kiln (release, QuickJS) against workerd, one
# after the other in the same run, with the same load generator (wrk).
# The server is pinned to CPU 0 and wrk to CPU 1. Bounded: DURATION seconds
# per server. Usage: bench/http.sh [DURATION] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-50}"

build/setup
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
cargo build --locked --release -p kiln --no-default-features --features quickjs
(cd bench && npm install --no-audit --no-fund --silent)
workerd_bin=bench/node_modules/@cloudflare/workerd-linux-64/bin/workerd

pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$1/" >/dev/null && return 0
    sleep 0.05
  done
  echo "server on port $1 did not answer" >&2
  return 1
}

run() { # name port
  local out
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$2/")
  local rps p50 p99
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '| %-8s | %12s | %8s | %8s |\n' "$1" "$rps" "$p50" "$p99"
}

echo "HTTP hello world, $connections connections, ${duration}s each, $(date -u +%Y-%m-%d), $(nproc) cores"
printf '| %-8s | %12s | %8s | %8s |\n' server "requests/s" p50 p99
printf '|%s|%s|%s|%s|\n' "----------" "--------------" "----------" "----------"

taskset -c 0 target/release/kiln dev bench/hello.js --port 8789 >/dev/null 2>&1 &
pids+=($!)
wait_port 8789
run kiln 8789
kill -9 "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

taskset -c 0 "$workerd_bin" serve bench/workerd-hello.capnp >/dev/null 2>&1 &
pids+=($!)
wait_port 8790
run workerd 8790
