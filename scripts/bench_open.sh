#!/usr/bin/env bash
# Open-model benchmark (not a test): chats arriving at RATE (default 20/s, Poisson)
# with lognormal chat lengths (mean 5 min, sd 2.5 min; about 6,000 concurrent at
# steady state, Little's law) against the embedded server, for DURATION (default
# 10m: the first 5 min fill up). Prints per run the arrival lateness p99 (how late
# the spawner started each planned arrival), the poll schedule lateness p99, the
# expected and measured mean concurrency, the requests and the CPU (user + system
# of the one process, the embedded server included) as seconds, % of a core and µs
# per request, the peak and last-2-minute concurrency, the peak RSS and the load
# average, then the median of REPEAT runs (each column's own median).
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
# arr_p50/arr_p99: arrival lateness (ms); poll_p99: poll schedule lateness (ms);
# expected: Little's law (rate x mean chat length); mean: session time / run time;
# last2m: mean active sessions over the run's last 2 minutes (timeline); peak: the
# timeline's highest active sessions; cpu_s: user + system of the one process (embedded
# server included); cpu%: of one core over the run's wall time; us/req: CPU per request;
# rss: peak resident MiB; load1: the 1-minute load average when the run ended.
cols='%-4s %8s %8s %8s %8s %8s %8s %8s %9s %7s %6s %6s %6s %6s\n'
# shellcheck disable=SC2059
printf "$cols" run arr_p50 arr_p99 poll_p99 expected mean last2m peak requests cpu_s cpu% us/req rss load1
for i in $(seq "$REPEAT"); do
  dir="$OUT/run$i"
  # Exit 3 (a threshold or the generator's own verdict) still leaves the reports.
  /usr/bin/time -f "%U %S %M %e" -o "$OUT/time$i" "$BIN" run --quiet --arrival-rate "$RATE" \
    --sessions 20000 --session-duration lognormal:5m:2m30s -d "$DURATION" --seed "$i" \
    --out "$dir" >/dev/null 2>&1 || true
  load1="$(cut -d' ' -f1 /proc/loadavg)"
  # With a non-zero exit, time(1) writes a "Command exited ..." line first.
  read -r user sys kib wall < <(tail -n 1 "$OUT/time$i")
  jq -r --arg run "$i" --argjson cpu "$(echo "$user $sys" | awk '{print $1 + $2}')" \
    --argjson wall "$wall" --argjson mib "$((kib / 1024))" --arg load1 "$load1" '
    .timeline as $tl | ($tl | map(.t_s) | max) as $tmax
    | ($tl | map(select(.t_s > $tmax - 120) | .active_sessions)) as $last
    | [$run, .open_model.arrival_lateness_ms.p50, .open_model.arrival_lateness_ms.p99,
       .generator.schedule_lateness_ms.p99, .open_model.expected_concurrency,
       .open_model.measured_concurrency, ($last | add / length),
       ($tl | map(.active_sessions) | max), .requests.total, $cpu, 100 * $cpu / $wall,
       1e6 * $cpu / .requests.total, $mib, $load1] | @tsv' "$dir/summary.json" |
    awk -F'\t' '{printf "%-4s %8.2f %8.2f %8.2f %8.0f %8.0f %8.0f %8d %9d %7.1f %6.1f %6.0f %6d %6s\n",
      $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14}' |
    tee -a "$OUT/rows"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
meds=(median)
for c in $(seq 2 14); do meds+=("$(awk -v c="$c" '{print $c}' "$OUT/rows" | median)"); done
# shellcheck disable=SC2059
printf "$cols" "${meds[@]}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
