#!/usr/bin/env bash
# Sharding benchmark (not a test): one process running SESSIONS sessions against a
# separate `chatload serve`, then N `run --shard I/N` processes with one --start-at on
# the same machine, against the same kind of server. Prints, for each, the client CPU per
# request (all client processes together) and the worst shard's lateness p99. On one
# machine this shows what sharding costs, not a speed-up.
#
# Usage: scripts/bench_shards.sh [SESSIONS] [N] [DURATION]   (defaults 8000 4 20s; poll 2s)
#        BIN=path benchmarks that binary instead of building target/release/chatload.
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS="${1:-8000}"
N="${2:-4}"
DURATION="${3:-20s}"
source scripts/lib.sh
bench_init
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# Start a reference server on a free-ish loopback port; sets TARGET and SERVER_PID.
serve() {
  bench_serve /dev/null "$BIN"
  TARGET="http://127.0.0.1:$PORT"
}

# run_all LABEL COUNT: COUNT client processes (COUNT=1: the whole plan, no --shard)
run_all() {
  local label=$1 count=$2 start pids=() i
  serve
  start=$(date -u -d '+3 sec' +%Y-%m-%dT%H:%M:%S.%3NZ)
  for ((i = 1; i <= count; i++)); do
    local shard=()
    [ "$count" -gt 1 ] && shard=(--shard "$i/$count")
    /usr/bin/time -f "%U %S" -o "$OUT/$label.$i.time" "$BIN" run --quiet -n "$SESSIONS" \
      -d "$DURATION" --ramp-up 5s --poll-interval 2s --messages 0 --seed 1 \
      --target "$TARGET" --start-at "$start" "${shard[@]}" --out "$OUT/$label.$i" \
      >/dev/null 2>&1 || true &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  bench_stop_server
  local cpu req lat
  cpu=$(cat "$OUT/$label".*.time | awk '{s += $1 + $2} END {print s}')
  req=$(cat "$OUT/$label".*/summary.json | jq -s 'map(.requests.total) | add')
  lat=$(cat "$OUT/$label".*/summary.json | jq -s 'map(.generator.schedule_lateness_ms.p99) | max')
  awk -v l="$label" -v c="$cpu" -v r="$req" -v p="$lat" -v n="$count" \
    'BEGIN { printf "%s: %d process(es), %d requests, client CPU %.1f s, %.0f µs per request, worst lateness p99 %.2f ms\n", l, n, r, c, c * 1e6 / r, p }'
}

echo "sharding benchmark: $SESSIONS sessions, poll 2s, $DURATION, $(nproc) cores"
run_all one 1
run_all shards "$N"
