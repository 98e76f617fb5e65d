#!/usr/bin/env bash
# TLS benchmark (not a test): the client's CPU per request over http, https
# (HTTP/1.1) and https with --http2, on the engine benchmark's workload
# (scripts/bench_engine.sh, separate mode: `chatload serve` in its own process,
# so the CPU measured is the client's alone). Runs the variants interleaved,
# REPEAT times, and prints every run and then the median per variant with the
# ratio to http. The certificates are made by openssl in a temp dir.
#
# Usage: scripts/bench_tls.sh [SESSIONS] [DURATION]
#   SESSIONS  concurrent sessions (default 2000)
#   DURATION  run length (default 20s; ramp is a third of it)
#   REPEAT=3  runs per variant
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS="${1:-2000}"
DURATION="${2:-20s}"
REPEAT="${REPEAT:-3}"
BIN=  # always this tree's build: the TLS figures compare its http and https
source scripts/lib.sh
bench_init
secs="${DURATION%s}"
ramp="$((secs / 3))s"

# A CA and a server certificate for 127.0.0.1 (EC P-256, like most deployments' ECDHE certs).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=chatload bench CA" -keyout "$OUT/ca.key" -out "$OUT/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$OUT/server.key" -out "$OUT/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$OUT/ext"
openssl x509 -req -in "$OUT/server.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca.key" -CAcreateserial \
  -days 2 -extfile "$OUT/ext" -out "$OUT/server.pem" 2>/dev/null

# CPU ticks (user + system) of a process, sampled until it exits.
watch_ticks() {
  local pid=$1 ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "$ticks")
    sleep 0.2
  done
  echo "$ticks"
}

# run_one VARIANT N: prints "VARIANT cpu_us_per_req req errors versions"
run_one() {
  local variant=$1 n=$2 dir="$OUT/$1-$2" scheme=http tls=() extra=()
  if [ "$variant" != http ]; then
    scheme=https
    tls=(--tls-cert "$OUT/server.pem" --tls-key "$OUT/server.key")
    extra=(--cacert "$OUT/ca.pem")
  fi
  [ "$variant" = https-h2 ] && extra+=(--http2)
  bench_serve /dev/null "$BIN" "${tls[@]}"
  $BIN run --quiet --sessions "$SESSIONS" --ramp-up "$ramp" --duration "$DURATION" \
    --poll-interval 2s --messages 0 --end wait-for-agent --seed 1 \
    --target "$scheme://127.0.0.1:$PORT" "${extra[@]}" --out "$dir" >/dev/null 2>"$dir.err" &
  local pid=$!
  local ticks; ticks=$(watch_ticks "$pid")
  wait "$pid" || true
  bench_stop_server
  local hz; hz=$(getconf CLK_TCK)
  jq -r --arg v "$variant" --argjson ticks "$ticks" --argjson hz "$hz" '
    "\($v) \((($ticks / $hz) * 1e6 / ([.requests.total,1]|max)) | floor) \(.requests.total) \(.requests.errors) \(.scenario.http.versions | join("+"))"' \
    "$dir/summary.json"
}

echo "chatload TLS benchmark: $SESSIONS sessions, poll 2s, $DURATION per run (ramp $ramp), $(nproc) cores, $REPEAT runs per variant"
echo "variant cpu_us_per_req requests errors http_versions"
for i in $(seq "$REPEAT"); do
  for v in http https https-h2; do
    run_one "$v" "$i" | tee -a "$OUT/all"
  done
done
echo "medians:"
for v in http https https-h2; do
  awk -v v="$v" '$1 == v {print $2}' "$OUT/all" | sort -n | awk -v v="$v" '{a[NR]=$1} END {print v, a[int((NR+1)/2)]}'
done | tee "$OUT/medians"
awk 'NR==1 {base=$2} {printf "%s: %s us/request, %.2fx http\n", $1, $2, $2/base}' "$OUT/medians"
