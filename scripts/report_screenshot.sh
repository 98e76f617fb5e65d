#!/usr/bin/env bash
# Render RUN_DIR/report.html with `chatload report` and screenshot it in headless Chromium.
# Usage: scripts/report_screenshot.sh RUN_DIR [OUT.png]   (default OUT: docs/report.png)
# Needs: chromium; optional: ImageMagick `convert` (trim) and `pngquant` (shrink below 300 KB).
set -euo pipefail
run_dir=${1:?usage: scripts/report_screenshot.sh RUN_DIR [OUT.png]}
out=${2:-docs/report.png}
cargo run --quiet -- report "$run_dir"
profile=$(mktemp -d)
raw=$(mktemp --suffix=.png)
trap 'rm -rf "$profile" "$raw"' EXIT
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars \
  --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir="$profile" \
  --window-size=1280,5600 --screenshot="$raw" "file://$(realpath "$run_dir")/report.html" 2>/dev/null
if command -v convert >/dev/null && convert -version >/dev/null 2>&1; then
  # Trim the empty bottom of the window, keep the page margins.
  height=$(convert "$raw" -trim -format '%[fx:page.y+h+24]' info:)
  convert "$raw" -crop "1280x${height}+0+0" +repage "$raw"
fi
if command -v pngquant >/dev/null; then
  pngquant --quality=60-85 --speed 1 --force --output "$out" "$raw"
else
  cp "$raw" "$out"
fi
echo "wrote $out ($(( $(stat -c %s "$out") / 1024 )) KB)"
