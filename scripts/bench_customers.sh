#!/usr/bin/env bash
# Customers-file benchmark (not a test): time and peak memory to validate and
# index a ROWS-row customers file (CSV, and JSON Lines), against a 1-row file.
# The run is stopped right after the file is loaded by a deliberately bad
# `--proxy` (validated after the customers file), so the figures are the
# process start plus the load, nothing else. Prints the median of REPEAT runs.
#
# Usage: scripts/bench_customers.sh [ROWS]   (default 1000000; REPEAT=3; BIN=path to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-1000000}"
REPEAT="${REPEAT:-3}"
source scripts/lib.sh
bench_init
awk -v n="$ROWS" 'BEGIN {
  print "nickname,first_name,last_name,email,subject,userData.segment,userData.account,message,message"
  for (i = 0; i < n; i++)
    printf "cust%d,First%d,Last%d,cust%d@example.com,billing question %d,gold,AC%08d,Hello I have a question about invoice %d,Thanks\n", i, i, i, i, i, i, i
}' > "$OUT/big.csv"
awk -v n="$ROWS" 'BEGIN {
  for (i = 0; i < n; i++)
    printf "{\"nickname\":\"cust%d\",\"email\":\"cust%d@example.com\",\"subject\":\"billing question %d\",\"userData\":{\"segment\":\"gold\",\"account\":\"AC%08d\"},\"messages\":[\"Hello I have a question about invoice %d\"]}\n", i, i, i, i, i
}' > "$OUT/big.jsonl"
head -2 "$OUT/big.csv" > "$OUT/one.csv"

# measure FILE: prints "seconds peak_kib cpu_seconds" (chatload exits 2 on purpose, at the bad --proxy)
measure() {
  { /usr/bin/time -f "%e %M %U %S" "$BIN" run --quiet --target http://127.0.0.1:1 --customers "$1" \
    --proxy not-a-url 2>&1 >/dev/null || true; } | tail -1 | awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "customers file benchmark: $ROWS rows, $(du -h "$OUT/big.csv" | cut -f1) CSV, $(du -h "$OUT/big.jsonl" | cut -f1) JSONL, $REPEAT runs"
for f in one.csv big.csv big.jsonl; do
  for i in $(seq "$REPEAT"); do measure "$OUT/$f"; done > "$OUT/$f.runs"
  secs=$(awk '{print $1}' "$OUT/$f.runs" | median)
  kib=$(awk '{print $2}' "$OUT/$f.runs" | median)
  cpu=$(awk '{print $3}' "$OUT/$f.runs" | median)
  echo "$f: load ${secs}s wall, ${cpu}s CPU (medians), peak RSS ${kib} KiB"
  echo "$f $kib" >> "$OUT/rss"
done
awk -v n="$ROWS" 'NR==1 {base=$2} NR>1 {printf "%s: %.1f bytes per row above the 1-row file\n", $1, ($2-base)*1024/n}' "$OUT/rss"
