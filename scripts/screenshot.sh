#!/usr/bin/env bash
# Screenshots of the HTML report, to look at it like a user.
#
#   scripts/screenshot.sh            → docs/report.png (1400 px wide), /tmp/stress-shot/report-800.png
#
# 1. installs chromium when missing (apt-get);
# 2. writes /tmp/stress-shot/report.html: `stress run scenarios/bad_day.stress --out …` when
#    the binary writes report.html, else the synthetic multi-scenario page of the ignored test
#    `artifacts::html::tests::write_sample_html` (SAMPLE=1 forces the synthetic page);
# 3. screenshots it headless at 1400 px and at 800 px.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=/tmp/stress-shot
WIDE=${WIDE:-1400,2400}
NARROW=${NARROW:-800,2400}

chromium_bin() {
  for b in chromium chromium-browser google-chrome; do
    command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return; }
  done
}

if [ -z "$(chromium_bin)" ]; then
  echo "installing chromium…" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  if ! $SUDO apt-get install -y chromium >/dev/null 2>&1; then
    $SUDO apt-get update
    $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  fi
fi
CHROMIUM=$(chromium_bin)

rm -rf "$OUT"
mkdir -p "$OUT"
if [ "${SAMPLE:-0}" != 1 ]; then
  # Exit code 1 (an SLO failed) is expected on a bad day; the run's output goes to a log.
  echo "running scenarios/bad_day.stress (log: $OUT.log)…" >&2
  cargo run --release --quiet -- run scenarios/bad_day.stress --out "$OUT" >"$OUT.log" 2>&1 || true
fi
if [ ! -s "$OUT/report.html" ]; then
  [ "${SAMPLE:-0}" = 1 ] || { tail -5 "$OUT.log" >&2 || true; }
  echo "no report.html from \`stress run --out\`: writing the synthetic sample" >&2
  cargo test --lib --quiet artifacts::html::tests::write_sample_html -- --ignored --exact >/dev/null
fi
test -s "$OUT/report.html"

shot() { # width,height png
  local profile
  profile=$(mktemp -d)
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$profile" --window-size="$1" --screenshot="$2" \
    "file://$OUT/report.html" >/dev/null 2>&1
  rm -rf "$profile"
  test -s "$2"
}
mkdir -p docs
shot "$WIDE" docs/report.png
shot "$NARROW" "$OUT/report-800.png"
ls -l docs/report.png "$OUT/report-800.png"
