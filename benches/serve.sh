#!/usr/bin/env bash
# Benchmarks our serve endpoint against the official JS SDK (tests/peer) on loopback, in the
# same run: GET introspection, and a POST call request that memoizes two steps of
# `conformance-sequential` and runs the third. Prints requests/s, p50 and p99 per server and
# the ratio of ours to the peer.
#
# Usage: bash benches/serve.sh
# Settings (environment): DURATION (seconds per measured run, default 10), CONNECTIONS
# (default 16), THREADS (default 2), PORT_OURS and PORT_PEER (default 38471 and 38472).
#
# Needs wrk (installed with apt-get when missing), curl, Node.js 20+ and npm; builds our
# release binary with cargo.

set -euo pipefail

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-16}"
THREADS="${THREADS:-2}"
PORT_OURS="${PORT_OURS:-38471}"
PORT_PEER="${PORT_PEER:-38472}"
APP_ID="bench-app"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
fi
for tool in curl node npm cargo; do
  command -v "$tool" >/dev/null || { echo "benches/serve.sh needs $tool on PATH" >&2; exit 1; }
done

cargo build --release --quiet --bin switchyard --manifest-path "$ROOT/Cargo.toml"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ ! -f "$ROOT/tests/peer/node_modules/inngest/package.json" ]; then
  (cd "$ROOT/tests/peer" && npm ci --no-audit --no-fund >/dev/null)
fi

# Both servers in dev mode, with nothing else from the caller's environment.
env -i PATH="$PATH" HOME="${HOME:-/root}" INNGEST_DEV=1 PORT="$PORT_OURS" RUST_LOG=warn \
  "$TARGET_DIR/release/switchyard" --app-id "$APP_ID" serve >"$WORK/ours.log" 2>&1 &
PIDS+=($!)
(cd "$ROOT/tests/peer" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" INNGEST_DEV=1 \
  PORT="$PORT_PEER" SWITCHYARD_APP_ID="$APP_ID" node server.js >"$WORK/peer.log" 2>&1) &
PIDS+=($!)

wait_for() {
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$1/api/inngest" >/dev/null && return 0
    sleep 0.1
  done
  echo "nothing answers on port $1" >&2
  cat "$WORK"/*.log >&2
  exit 1
}
wait_for "$PORT_OURS"
wait_for "$PORT_PEER"

# sha1("greet") and sha1("shout"): the two memoized steps; "measure" runs.
BODY='{"ctx":{"attempt":0,"disable_immediate_execution":false,"env":"","fn_id":"fn-bench","max_attempts":3,"run_id":"01RUNBENCH","stack":{"current":2,"stack":["35ff71782def36154c8c5bb550a28b4665c227e0","d1c79aa3eaf40441348a624006cf134356514b0d"]},"step_id":"step","use_api":false},"event":{"data":{"name":"ada"},"id":"evt-bench","name":"conformance/sequential","ts":1773311000000,"user":{}},"events":[{"data":{"name":"ada"},"id":"evt-bench","name":"conformance/sequential","ts":1773311000000,"user":{}}],"steps":{"35ff71782def36154c8c5bb550a28b4665c227e0":{"data":"hello ada"},"d1c79aa3eaf40441348a624006cf134356514b0d":{"data":"HELLO ADA"}},"use_api":false,"version":2}'
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$BODY]]
LUA
QUERY="fnId=$APP_ID-conformance-sequential&stepId=step"

# Both servers must run the third step, and only it, before they are timed.
for port in "$PORT_OURS" "$PORT_PEER"; do
  answer="$(curl -s -o "$WORK/check.json" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data "$BODY" \
    "http://127.0.0.1:$port/api/inngest?$QUERY")"
  if [ "$answer" != 206 ] || ! grep -q '"name":"measure"' "$WORK/check.json" \
    || ! grep -q '"data":9' "$WORK/check.json"; then
    echo "port $port did not run the third step: $answer $(cat "$WORK/check.json")" >&2
    exit 1
  fi
done

# Prints "requests/s p50_ms p99_ms" for one wrk run.
measure() {
  local url="$1" script="$2" args=(-t "$THREADS" -c "$CONNECTIONS" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  wrk "${args[@]}" -d 2 "$url" >/dev/null
  wrk "${args[@]}" -d "$DURATION" "$url" >"$WORK/wrk.txt"
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then
    echo "wrk saw error answers from $url:" >&2
    cat "$WORK/wrk.txt" >&2
    exit 1
  fi
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }
  ' "$WORK/wrk.txt"
}

echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per run, loopback"
printf '%-34s %-10s %12s %10s %10s\n' "request" "server" "requests/s" "p50 ms" "p99 ms"
for endpoint in get post; do
  if [ "$endpoint" = get ]; then
    label="GET introspection"; script=""; query=""
  else
    label="POST 2 memoized steps + 1 run"; script="$WORK/post.lua"; query="?$QUERY"
  fi
  ours="$(measure "http://127.0.0.1:$PORT_OURS/api/inngest$query" "$script")"
  peer="$(measure "http://127.0.0.1:$PORT_PEER/api/inngest$query" "$script")"
  read -r ours_rps ours_p50 ours_p99 <<<"$ours"
  read -r peer_rps peer_p50 peer_p99 <<<"$peer"
  printf '%-34s %-10s %12s %10s %10s\n' "$label" "switchyard" "$ours_rps" "$ours_p50" "$ours_p99"
  printf '%-34s %-10s %12s %10s %10s\n' "$label" "js-peer" "$peer_rps" "$peer_p50" "$peer_p99"
  awk -v a="$ours_rps" -v b="$peer_rps" -v l="$label" \
    'BEGIN { printf "%-34s ratio      %11.1fx\n", l, a / b }'
done
