#!/usr/bin/env bash
# Client request-path benchmark (not a test; issue 15): the client process alone
# against `chatload serve` in its own process. Each run prints the client's CPU
# (user+sys) per request and the kernel's (sys) part of it, its peak RSS per
# session over the process's base, the schedule lateness p50/p99/max, the request count, the server's CPU seconds (to
# tell whether the server, not the client, is the limit) and the verdict; the last line
# is the median of the runs. The load average is printed with each run (other
# builds on the machine move the lateness more than the CPU time).
#
# Usage: scripts/bench_client.sh [SESSIONS] [DURATION] [RUNS]
#   SESSIONS  concurrent sessions (default 10000)
#   DURATION  run length (default 20s; the ramp is a quarter of it)
#   RUNS      repetitions, medians printed at the end (default 3)
#   POLL=1s JITTER=200ms   poll interval and its uniform ± jitter
#   PROFILES=N  spread the customers over N equal [[customers]] profiles (per-profile figures)
#   BIN=path  benchmark this binary instead of building target/release/chatload
#   SERVER=path  run `serve` from this binary (default BIN): compare clients against one server
#   RUN_ARGS="--max-connections=64"  extra flags for the client's `run`
#   PERF=file run the client under `perf record` writing to that file (flat profile;
#        PERF_CALLS=1 adds DWARF call graphs, PERF_FREQ=N sets the sample rate)
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS="${1:-10000}"
DURATION="${2:-20s}"
RUNS="${3:-3}"
POLL="${POLL:-1s}"
JITTER="${JITTER:-200ms}"
source scripts/lib.sh
bench_init
secs="${DURATION%s}"
ramp="$((secs / 4))s"
cat >"$OUT/bench.toml" <<EOF
name = "bench-client"
dialect = "gms-v2"
[customer]
poll_interval = "$POLL"
jitter = { distribution = "uniform", amount = "$JITTER" }
messages = 0
end = "wait-for-agent"
EOF
for i in $(seq 1 "${PROFILES:-0}"); do printf '[[customers]]\nname = "p%s"\n' "$i" >>"$OUT/bench.toml"; done

# One client run against a fresh server: prints "client_cpu_s peak_kib server_cpu_s sys_s".
client_run() {
  local n=$1 dur=$2 ramp=$3 dir=$4
  bench_serve "$dir.server" "${SERVER:-$BIN}"
  local cmd=("$BIN" run "$OUT/bench.toml" --quiet --sessions "$n" --ramp-up "$ramp"
    --duration "$dur" --seed 1 --target "http://127.0.0.1:$PORT" --out "$dir" ${RUN_ARGS:-})
  if [ -n "${PERF:-}" ]; then cmd=(perf record -F "${PERF_FREQ:-1999}" ${PERF_CALLS:+--call-graph dwarf,32768} -o "$PERF" -- "${cmd[@]}"); fi
  /usr/bin/time -f "%U %S %M" -o "$dir.time" "${cmd[@]}" >/dev/null 2>"$dir.err" || true
  local server_s
  server_s=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0)
  bench_stop_server
  local user sys peak
  read -r user sys peak < <(tail -n 1 "$dir.time")
  if [ "$(wc -l <"$dir.time")" -gt 1 ]; then echo "note: $(head -n 1 "$dir.time"): $(tail -n 3 "$dir.err" | tr "\n" " ")" >&2; fi
  echo "$(echo "$user + $sys" | bc) $peak $server_s $sys"
}

echo "chatload client benchmark: $SESSIONS sessions, poll $POLL ±$JITTER, $DURATION (ramp $ramp), $(nproc) cores, $(basename "$BIN") $(stat -c %y "$BIN" | cut -d. -f1)"
read -r _ base _ _ < <(client_run 1 3s 0s "$OUT/base")
echo "base RSS (1 session, 3 s): $base KiB"
for i in $(seq 1 "$RUNS"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r cpu peak server_s sys_s < <(client_run "$SESSIONS" "$DURATION" "$ramp" "$OUT/run$i")
  jq -r --argjson cpu "$cpu" --argjson sys "$sys_s" --argjson server "$server_s" --argjson peak "$peak" --argjson base "$base" \
        --argjson n "$SESSIONS" --arg load "$load" '
    "cpu_us_per_req=\($cpu * 1e6 / ([.requests.total,1]|max) | . * 10 | floor / 10)" +
    " sys_us_per_req=\($sys * 1e6 / ([.requests.total,1]|max) | . * 10 | floor / 10)" +
    " rss_kib_per_session=\(($peak - $base) / $n | . * 100 | floor / 100)" +
    " lateness_p50_ms=\(.generator.schedule_lateness_ms.p50)" +
    " lateness_p99_ms=\(.generator.schedule_lateness_ms.p99)" +
    " lateness_max_ms=\(.generator.schedule_lateness_ms.max)" +
    " requests=\(.requests.total) sessions=\(.sessions.peak_active)/\($n)" +
    " cpu_s=\($cpu) server_cpu_s=\($server) peak_kib=\($peak) verdict=\(.generator.verdict) load=\($load)"' \
    "$OUT/run$i/summary.json" | tee -a "$OUT/lines"
done
# Median of each numeric field over the runs.
line="median of $RUNS:"
for key in cpu_us_per_req sys_us_per_req rss_kib_per_session lateness_p50_ms lateness_p99_ms lateness_max_ms requests cpu_s server_cpu_s load; do
  med=$(grep -oE "(^| )$key=[0-9.]+" "$OUT/lines" | cut -d= -f2 | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  line="$line $key=$med"
done
echo "$line"
