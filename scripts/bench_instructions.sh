#!/usr/bin/env bash
# Instructions per request on the client's request path (not a test; issue 15): a
# deterministic companion to scripts/bench_client.sh for a machine whose CPU time is
# noisy (shared cores, no hardware counters). The client runs under valgrind's
# callgrind against `chatload serve` in its own process; only instructions inside a
# session's call (`Shared::call`: building, reqwest, the body read, the decode) and
# hyper's connection task are counted, inclusive. Two runs, SHORT and LONG seconds, of
# 10 sessions polling every 100 ms; the difference in instructions over the difference
# in requests cancels what a run does once (connections, request_chat, disconnect).
# Kernel time, the scheduler and the pacing clock are outside the count.
# CAVEAT: since `Shared::call` became an async block (d1b9865) its poll-path copy is
# inlined into the caller, so on later builds this counts only part of the path
# (~13k instead of ~69k); compare only builds from before that, until it has a new anchor.
#
# Usage: BIN=path scripts/bench_instructions.sh   (needs valgrind)
#   SERVER=path  run `serve` from this binary (default BIN)
#   SHORT=4 LONG=12  the two run lengths in seconds
# Prints: instructions_per_request=N requests=SHORT_REQ/LONG_REQ
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_init
SHORT="${SHORT:-4}"
LONG="${LONG:-12}"
cat >"$OUT/poll.toml" <<EOF
name = "bench-instructions"
dialect = "gms-v2"
[customer]
poll_interval = "100ms"
messages = 0
end = "wait-for-agent"
EOF
bench_serve "$OUT/server.log" "${SERVER:-$BIN}"

# One counted run of $1 seconds: prints "instructions requests".
counted_run() {
  local secs=$1 dir="$OUT/run$1"
  valgrind --tool=callgrind --collect-atstart=no \
    --toggle-collect='*Shared*call*' --toggle-collect='*UpgradeableConnection*poll*' \
    --callgrind-out-file="$dir.cg" \
    "$BIN" run "$OUT/poll.toml" --quiet -n 10 --ramp-up 0s -d "${secs}s" --seed 1 \
    --target "http://127.0.0.1:$PORT" --out "$dir" >/dev/null 2>"$dir.err" || true # a verdict other than ok exits non-zero; the counts stand
  echo "$(grep -oE 'Collected : [0-9]+' "$dir.err" | grep -oE '[0-9]+$') $(jq .requests.total "$dir/summary.json")"
}
read -r ir_short req_short < <(counted_run "$SHORT")
read -r ir_long req_long < <(counted_run "$LONG")
echo "instructions_per_request=$(((ir_long - ir_short) / (req_long - req_short))) requests=$req_short/$req_long bin=$(basename "$BIN")"
