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

# bench_serve LOG SERVER [FLAGS...]: start `SERVER serve` (under `nice -n $SERVER_NICE`, default 0)
# on a free-ish loopback port with FLAGS, its output to LOG; sets PORT and SERVER_PID and returns
# once the port accepts connections (at most 10 s).
bench_serve() {
  local log=$1 bin=$2
  shift 2
  PORT=$((20000 + RANDOM % 20000))
  nice -n "${SERVER_NICE:-0}" "$bin" serve --listen "127.0.0.1:$PORT" "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  local _
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench_serve: the server did not listen on 127.0.0.1:$PORT within 10 s (see $log)" >&2
  return 1
}

# bench_stop_server: stop the server bench_serve started.
bench_stop_server() {
  if [ -n "${SERVER_PID:-}" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
