#!/usr/bin/env bash
# Load-engine benchmark (not a test): how many sessions chatload sustains at a
# 2 s and a 5 s poll, with the p99 scheduling lateness, CPU per request and RSS
# per session. Prints one line per run; quote the medians of repeated runs.
#
# Usage: scripts/bench_engine.sh [SESSIONS] [DURATION]
#   SESSIONS  concurrent sessions (default 20000)
#   DURATION  run length per poll interval (default 60s; ramp is a third of it)
#   MODE=embedded|separate  embedded = server in the same process (the default
#        target); separate = `chatload serve` in its own process, so CPU and RSS
#        are the client's alone (default: both).
#   POLLS="2s 5s"  poll intervals to run (default both).
#   LOG_INTERVAL=1s  --log-interval of the runs (0 = no latency.hlog/events.jsonl,
#        to measure what the streamed files cost; default: chatload's own, 1s).
#   BIN=path  benchmark this binary instead of building target/release/chatload
#        (e.g. a copy of the release build before a change, for before/after).
#   RUN_ARGS="--pacing-grid 1ms"  extra flags for the client's `run`.
#   SERVER_NICE=N  run the separate server under `nice -n N` (it shares the cores with
#        the client only because this machine has two; default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS="${1:-20000}"
DURATION="${2:-60s}"
MODES="${MODE:-embedded separate}"
POLLS="${POLLS:-2s 5s}"
source scripts/lib.sh
bench_init
secs="${DURATION%s}"
ramp="$((secs / 3))s"

# Sample a process's CPU ticks and peak RSS while it runs; prints "ticks peak_kib".
watch_proc() {
  local pid=$1 peak=0 rss
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "${ticks:-0}")
    sleep 0.5
  done
  echo "${ticks:-0} $peak"
}

run_one() {
  local mode=$1 poll=$2 dir="$OUT/$1-$2" target=()
  if [ "$mode" = separate ]; then
    bench_serve /dev/null "$BIN"
    target=(--target "http://127.0.0.1:$PORT")
  fi
  $BIN run --quiet --sessions "$SESSIONS" --ramp-up "$ramp" --duration "$DURATION" \
    --poll-interval "$poll" --messages 0 --end wait-for-agent --seed 1 ${RUN_ARGS:-} \
    ${LOG_INTERVAL:+--log-interval "$LOG_INTERVAL"} "${target[@]}" --out "$dir" >/dev/null 2>"$dir.err" &
  local pid=$!
  read -r ticks peak < <(watch_proc "$pid")
  wait "$pid" || true
  if [ "$mode" = separate ]; then bench_stop_server; fi
  local hz; hz=$(getconf CLK_TCK)
  jq -r --arg mode "$mode" --arg poll "$poll" --argjson ticks "$ticks" --argjson hz "$hz" \
        --argjson peak "$peak" --argjson n "$SESSIONS" '
    "\($mode) poll=\($poll) sessions=\(.sessions.peak_active)/\($n) flagged=\(.sessions.flagged)" +
    " req/s=\(.requests.rate_per_s | floor) lateness_p50_ms=\(.generator.schedule_lateness_ms.p50)" +
    " lateness_p99_ms=\(.generator.schedule_lateness_ms.p99)" +
    " lateness_max_ms=\(.generator.schedule_lateness_ms.max) cpu_us_per_req=\((($ticks / $hz) * 1e6 / ([.requests.total,1]|max)) | floor)" +
    " rss_kib_per_session=\(($peak / $n * 10 | floor) / 10)" +
    " poll_p50_ms=\(.latency_ms.poll.p50) poll_service_p50_ms=\(.service_time_ms.poll.p50)" +
    " verdict=\(.generator.verdict) end=\(.run.end)"' \
    "$dir/summary.json"
}

echo "chatload engine benchmark: $SESSIONS sessions, $DURATION per run (ramp $ramp), $(nproc) cores"
for mode in $MODES; do
  for poll in $POLLS; do
    run_one "$mode" "$poll"
  done
done
