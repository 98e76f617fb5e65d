#!/usr/bin/env bash
# Open-model benchmark (not a test): chats arriving at RATE (default 20/s, Poisson)
# with lognormal chat lengths (mean 5 min, sd 2.5 min; about 6,000 concurrent at
# steady state, Little's law) against the embedded server, for DURATION (default
# 10m: the first 5 min fill up). Prints per run the arrival lateness p99 (how late
# the spawner started each planned arrival), the poll schedule lateness p99, the
# expected and measured mean concurrency, the requests and the CPU (user + system
# of the one process, the embedded server included), then the median of REPEAT runs.
#
# Usage: scripts/bench_open.sh   (RATE=20/s DURATION=10m REPEAT=3; BIN=path to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE="${RATE:-20/s}"
DURATION="${DURATION:-10m}"
REPEAT="${REPEAT:-3}"
source scripts/lib.sh
bench_init

echo "open-model benchmark: $RATE Poisson, lognormal 5m/2m30s chats, $DURATION, $REPEAT runs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %14s %14s %10s %10s %10s %9s %8s\n' run arrival_p99_ms poll_late_p99 expected measured requests cpu_s peak_mib
for i in $(seq "$REPEAT"); do
  dir="$OUT/run$i"
  # Exit 3 (a threshold or the generator's own verdict) still leaves the reports.
  /usr/bin/time -f "%U %S %M" -o "$OUT/time$i" "$BIN" run --quiet --arrival-rate "$RATE" \
    --sessions 20000 --session-duration lognormal:5m:2m30s -d "$DURATION" --seed "$i" \
    --out "$dir" >/dev/null 2>&1 || true
  # With a non-zero exit, time(1) writes a "Command exited ..." line first.
  read -r user sys kib < <(tail -n 1 "$OUT/time$i")
  jq -r --arg run "$i" --arg cpu "$(echo "$user $sys" | awk '{printf "%.1f", $1 + $2}')" \
    --arg mib "$((kib / 1024))" \
    '[$run, .open_model.arrival_lateness_ms.p99, .generator.schedule_lateness_ms.p99,
      .open_model.expected_concurrency, .open_model.measured_concurrency, .requests.total,
      $cpu, $mib] | @tsv' "$dir/summary.json" |
    awk -F'\t' '{printf "%-4s %14.2f %14.2f %10.0f %10.0f %10d %9s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8}' |
    tee -a "$OUT/rows"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf 'median %13s %14s %10s %10s %10s %9s %8s\n' \
  "$(awk '{print $2}' "$OUT/rows" | median)" "$(awk '{print $3}' "$OUT/rows" | median)" \
  "$(awk '{print $4}' "$OUT/rows" | median)" "$(awk '{print $5}' "$OUT/rows" | median)" \
  "$(awk '{print $6}' "$OUT/rows" | median)" "$(awk '{print $7}' "$OUT/rows" | median)" \
  "$(awk '{print $8}' "$OUT/rows" | median)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
