#!/usr/bin/env bash
# Soak (not a test): one long run with the streamed files on, sampling the process's RSS each
# minute; prints the RSS at 5, 15 and 30 min and the growth from 5 min (after the ramp) to the
# end. Issue 16's bar: under 5 % growth after the ramp over 30 min at 20,000 sessions.
#
# Usage: scripts/soak.sh [SESSIONS] [MINUTES]   (defaults 20000 and 30; ramp 2 min, poll 3s)
#        BIN=path soaks that binary instead of building target/release/chatload.
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS="${1:-20000}"
MINUTES="${2:-30}"
source scripts/lib.sh
bench_init
$BIN run --quiet --sessions "$SESSIONS" --ramp-up 2m --duration "${MINUTES}m" \
  --poll-interval 3s --messages 0 --end wait-for-agent --seed 1 --out "$OUT/run" \
  >/dev/null 2>"$OUT/err" &
pid=$!
declare -A rss
for ((m = 1; m <= MINUTES; m++)); do
  for ((s = 0; s < 60; s++)); do
    kill -0 "$pid" 2>/dev/null || break 2
    sleep 1
  done
  rss[$m]=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  echo "minute $m rss_kib=${rss[$m]}"
  last=$m
done
wait "$pid" || true
# The run ends within its last minute, so the last sample is the end (minute MINUTES - 1).
for m in 5 15 "${last:-0}"; do echo "rss at ${m} min: ${rss[$m]:-n/a} KiB"; done
if [ -n "${rss[5]:-}" ] && [ -n "${last:-}" ] && [ "$last" -gt 5 ]; then
  awk -v a="${rss[5]}" -v b="${rss[$last]}" -v m="$last" 'BEGIN { printf "growth after the ramp (minute 5 to %d): %.1f %%\n", m, (b - a) * 100 / a }'
fi
ls -la "$OUT/run"
jq -c '{end: .run.end, requests: .requests.total, flagged: .sessions.flagged, verdict: .generator.verdict}' "$OUT/run/summary.json"
