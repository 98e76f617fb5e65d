#!/usr/bin/env bash
# Run every cargo-fuzz target for SECONDS each (default 60) on the nightly toolchain,
# starting from the checked-in corpus (fuzz/corpus/<target>). Needs `rustup toolchain
# install nightly` and `cargo install cargo-fuzz`; without them it says so and exits 2.
# The stable test `cargo test --test fuzz_corpus` replays the corpus without nightly.
set -euo pipefail
secs="${1:-60}"
cd "$(dirname "$0")/.."
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz.sh: no nightly toolchain; install it with: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz is not installed; install it with: cargo install cargo-fuzz" >&2
  exit 2
fi
for target in classify scenario threshold summary router; do
  echo "== $target (${secs}s)"
  # Work on a copy, so the checked-in corpus stays small.
  work="$(mktemp -d)"
  cp fuzz/corpus/"$target"/* "$work"/
  cargo +nightly fuzz run "$target" "$work" -- -max_total_time="$secs" -max_len=65536 2>&1 |
    grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs|==[0-9]+== ERROR)' || true
  rm -rf "$work"
done
