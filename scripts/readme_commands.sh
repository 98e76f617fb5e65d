#!/usr/bin/env bash
# Runs every command of the README's ```sh blocks, in order, and checks its exit
# code, so the README cannot drift from the tool. Called by .ci/run.
#
# Rules (each command is one line; a trailing `\` joins the next line):
# - `chatload ...` runs the built binary (CHATLOAD, default target/debug/chatload;
#   built if missing). `cargo run --release -- ARGS` runs `chatload ARGS`: the same
#   program, without a second (release) build of the whole tree in CI.
# - A trailing comment with `ci: skip` skips the command deliberately (say why:
#   a remote target, serves until Ctrl-C, opens a browser ...).
# - `ci: exit N` expects exit code N instead of 0; `ci: needs PROG` runs the
#   command only when PROG is installed.
# - A command naming a host other than loopback (127.0.0.1, localhost, [::1])
#   without `ci: skip` fails the check without being run: traffic goes to
#   loopback only.
# Commands run in a scratch directory holding links to scenarios/, docs/ and tests/,
# so reports and files they write never land in the repository.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
README=${1:-README.md}
CHATLOAD=${CHATLOAD:-$ROOT/target/debug/chatload}
if [ ! -x "$CHATLOAD" ]; then
  cargo build --quiet || exit 1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin"
ln -s "$CHATLOAD" "$WORK/bin/chatload"
for d in scenarios docs tests; do ln -s "$ROOT/$d" "$WORK/$d"; done

# One command per line: the ```sh blocks, continuations joined, comments-only lines dropped.
extract() {
  awk '
    /^```sh[[:space:]]*$/ { inside = 1; line = ""; next }
    /^```/ { inside = 0; next }
    !inside { next }
    {
      text = $0
      if (text ~ /\\$/) { sub(/\\$/, "", text); line = line text; next }
      line = line text
      if (line !~ /^[[:space:]]*(#|$)/) print line
      line = ""
    }
  ' "$1"
}

ran=0 skipped=0 failed=0
while IFS= read -r line; do
  comment=""
  case "$line" in *"# "*) comment="# ${line#*# }" ;; esac
  if [[ "$comment" == *"ci: skip"* ]]; then
    echo "skip: $line"
    skipped=$((skipped + 1))
    continue
  fi
  if [[ "$comment" =~ ci:\ needs\ ([A-Za-z0-9_-]+) ]] && ! command -v "${BASH_REMATCH[1]}" >/dev/null; then
    echo "skip (no ${BASH_REMATCH[1]}): $line"
    skipped=$((skipped + 1))
    continue
  fi
  expect=0
  if [[ "$comment" =~ ci:\ exit\ ([0-9]+) ]]; then expect=${BASH_REMATCH[1]}; fi
  hosts=$(grep -oE '(https?://|--listen )\[?[A-Za-z0-9.:-]+' <<<"$line" \
    | sed -E 's#^(https?://|--listen )##; s#\]$##; s#:[0-9]+$##' \
    | grep -vxE '127\.0\.0\.1|localhost|\[?::1' || true)
  if [ -n "$hosts" ]; then
    echo "FAIL: $line"
    echo "  names a host that is not loopback ($hosts): mark it '# ci: skip (reason)'" >&2
    failed=$((failed + 1))
    continue
  fi
  cmd=${line/#cargo run --release -- /chatload }
  first=${cmd%% *}
  case "$first" in
    chatload | CHATLOAD_*=*) ;;
    *)
      echo "FAIL: $line"
      echo "  not a chatload command: mark it '# ci: skip (reason)' or '# ci: needs PROG'" >&2
      failed=$((failed + 1))
      continue
      ;;
  esac
  echo "run:  $cmd"
  start=$SECONDS
  (cd "$WORK" && PATH="$WORK/bin:$PATH" timeout 600 bash -o pipefail -c "$cmd" \
    >"$WORK/.out" 2>&1 </dev/null)
  code=$?
  ran=$((ran + 1))
  if [ "$code" -eq 3 ] && [ "$expect" -le 1 ] && grep -q "load generator was overloaded" "$WORK/.out"; then
    # The verdict's ok bound is tight (p99 lateness within min(10 ms, 5 % of the poll)): a busy
    # machine can miss it. That is the machine, not the README; say so and go on.
    echo "      exit 3 in $((SECONDS - start)) s: the generator judged itself overloaded on this machine (tolerated)"
  elif [ "$code" -ne "$expect" ]; then
    echo "FAIL: exit $code, expected $expect, after $((SECONDS - start)) s; output:"
    tail -n 30 "$WORK/.out"
    failed=$((failed + 1))
  else
    echo "      exit $code in $((SECONDS - start)) s"
  fi
done < <(extract "$README")

echo "README commands: $ran run, $skipped skipped, $failed failed"
[ "$failed" -eq 0 ]
