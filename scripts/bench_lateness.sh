#!/usr/bin/env bash
# Pacing-clock benchmark (not a test): schedule lateness p50/p99/max, client CPU per request
# and corrected vs service poll p50, against a separate `chatload serve`, with nothing
# sampling the processes while they run (bench_engine.sh reads /proc twice a second, and
# those forks alone move a sub-millisecond p99). CPU is the client's user + sys time from
# /usr/bin/time. Prints one line per run; interleave builds and quote medians.
#
# Usage: scripts/bench_lateness.sh [SESSIONS] [DURATION] [RUNS]
#   SESSIONS  concurrent sessions (default 10000); DURATION run length (default 20s, ramp
#             a third of it); RUNS runs (default 1)
#   POLL=2s   poll interval
#   BIN=path  the client build (default: a fresh release build of this tree)
#   SERVER=path  the server build (default: BIN), so client builds share one server
#   RUN_ARGS="--pacing-grid 1ms"  extra flags for the client's `run`
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS="${1:-10000}"
DURATION="${2:-20s}"
RUNS="${3:-1}"
POLL="${POLL:-2s}"
source scripts/lib.sh
bench_init
SERVER="$(realpath "${SERVER:-$BIN}")"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench_lateness.sh needs GNU time at /usr/bin/time (apt install time)" >&2; exit 2; }
secs="${DURATION%s}"
ramp="$((secs / 3))s"

echo "chatload lateness benchmark: $SESSIONS sessions @ $POLL, $DURATION (ramp $ramp), $(nproc) cores, $(basename "$BIN") ${RUN_ARGS:-}"
for i in $(seq 1 "$RUNS"); do
  dir="$OUT/run$i"
  bench_serve /dev/null "$SERVER"
  # shellcheck disable=SC2086 # RUN_ARGS is a list of flags
  "$TIME" -o "$dir.time" -f "%U %S" "$BIN" run --quiet --sessions "$SESSIONS" --ramp-up "$ramp" \
    --duration "$DURATION" --poll-interval "$POLL" --messages 0 --end wait-for-agent --seed 1 \
    --log-interval 1s --target "http://127.0.0.1:$PORT" --out "$dir" ${RUN_ARGS:-} \
    >/dev/null 2>"$dir.err" || true
  bench_stop_server
  read -r user sys < <(tail -1 "$dir.time")
  jq -r --argjson user "$user" --argjson sys "$sys" --arg load "$(cut -d' ' -f1 /proc/loadavg)" '
    "run lateness_p50_ms=\(.generator.schedule_lateness_ms.p50)" +
    " lateness_p99_ms=\(.generator.schedule_lateness_ms.p99)" +
    " lateness_max_ms=\(.generator.schedule_lateness_ms.max)" +
    " cpu_us_per_req=\(($user + $sys) * 1e6 / ([.requests.total, 1] | max) | floor)" +
    " poll_p50_ms=\(.latency_ms.poll.p50) poll_service_p50_ms=\(.service_time_ms.poll.p50)" +
    " verdict=\(.generator.verdict) load=\($load)"' "$dir/summary.json"
done
