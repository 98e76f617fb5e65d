# shellcheck shell=bash
# The bench and soak scripts' shared preamble (sourced, not run): `bench_init` takes
# the binary under test (BIN=path, or a fresh release build of this tree), makes a
# temporary OUT directory, removes it and stops a SERVER_PID the script started when
# the script exits, and raises the open-files limit to the hard limit (10k+ sessions
# need a descriptor each).

bench_init() {
  if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/chatload
  fi
  BIN="$(realpath "$BIN")"
  OUT="$(mktemp -d)"
  SERVER_PID=
  trap bench_cleanup EXIT
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

bench_cleanup() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$OUT"
}
