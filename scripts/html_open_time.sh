#!/usr/bin/env bash
# How long headless Chromium takes to open and lay out the HTML report of a huge run
# (1 h, 100,000 sessions: 3,600 timeline points, 11 operations, 50 worst sessions).
# Prints the page size and the median of 5 runs of start + load + DOM dump, and the same for
# the small fixture report as the browser start-up baseline.
# Usage: scripts/html_open_time.sh   (needs chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --quiet --test html huge >/dev/null
huge=target/test-artifacts/huge-report.html
small=$(mktemp -d)
cp tests/fixtures/summary.json "$small/"
cargo run --quiet -- report "$small" >/dev/null
profile=$(mktemp -d)
trap 'rm -rf "$profile" "$small"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_open() {
  for _ in 1 2 3 4 5; do
    rm -rf "$profile"/*
    local t0 t1
    t0=$(date +%s.%N)
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
      --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir="$profile" --dump-dom "file://$(realpath "$1")" \
      >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
  done | median
}
echo "huge report: $(stat -c %s "$huge") bytes, open median $(time_open "$huge") s"
echo "fixture report (browser start-up baseline): open median $(time_open "$small/report.html") s"
