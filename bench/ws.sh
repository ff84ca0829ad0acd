#!/usr/bin/env bash
# WebSocket echo benchmark: kiln (release, QuickJS, a JavaScript echo worker)
# against the raw-Rust ceiling (fastwebsockets, no JavaScript) and workerd,
# in one run, with the same load generator (bench ws-load). The server is
# pinned to CPU 0 and the load generator to CPU 1. Bounded: a fixed number of
# messages per connection, with a timeout.
# Usage: bench/ws.sh [CONNECTIONS] [MESSAGES_PER_CONNECTION] [IN_FLIGHT]
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${1:-50}"
messages="${2:-2000}"
in_flight="${3:-8}"

build/setup
cargo build --locked --release -p kiln --no-default-features --features quickjs
cargo build --locked --release -p kiln-bench
(cd bench && npm install --no-audit --no-fund --silent)
workerd_bin=bench/node_modules/@cloudflare/workerd-linux-64/bin/workerd

pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2
  return 1
}

declare -A rate
run() { # name port size
  local out
  out=$(taskset -c 1 target/release/ws-load --addr "127.0.0.1:$2" --connections "$connections" \
    --messages "$messages" --size "$3" --in-flight "$in_flight" --raw)
  read -r r p50 p99 <<<"$out"
  rate["$1/$3"]=$r
  printf '| %-8s | %6s | %12s | %8s | %8s |\n' "$1" "$3" "$r" "$p50" "$p99"
}

start() { # name port command...
  local name=$1 port=$2
  shift 2
  taskset -c 0 "$@" >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$port"
}

stop() {
  kill -9 "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
}

echo "WebSocket echo, $connections connections, $messages messages each, $in_flight in flight, $(date -u +%Y-%m-%d), $(nproc) cores"
printf '| %-8s | %6s | %12s | %8s | %8s |\n' server bytes "messages/s" "p50 ms" "p99 ms"
printf '|%s|%s|%s|%s|%s|\n' "----------" "--------" "--------------" "----------" "----------"
for size in 64 16384; do
  start ceiling 8791 target/release/ws-echo-ceiling --listen 127.0.0.1:8791
  run ceiling 8791 "$size"
  stop
  start kiln 8793 target/release/kiln dev bench/echo.js --port 8793
  run kiln 8793 "$size"
  stop
  start workerd 8792 "$workerd_bin" serve bench/workerd-echo.capnp
  run workerd 8792 "$size"
  stop
done
echo
for size in 64 16384; do
  awk -v k="${rate[kiln/$size]}" -v c="${rate[ceiling/$size]}" -v w="${rate[workerd/$size]}" -v s="$size" \
    'BEGIN { printf "%s B: kiln/ceiling %.2f, kiln/workerd %.2f\n", s, k / c, k / w }'
done
