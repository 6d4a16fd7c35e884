#!/usr/bin/env bash
# Screenshots of the HTML report, to look at it like a user.
#
#   bash docs/screenshots/take.sh    → docs/report-1400.png, docs/report-800.png
#
# 1. installs chromium when missing (apt-get);
# 2. writes /tmp/stress-shot/report.html: `stress run docs/screenshots/showcase.stress --out …`
#    (embedded mock, ~20 s: stages, a chaos window, retries), or with SAMPLE=1 the synthetic
#    multi-scenario page of the ignored test `artifacts::html::tests::write_sample_html`;
# 3. screenshots it headless at 1400 px and at 800 px.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=/tmp/stress-shot
WIDE=${WIDE:-1400,2600}
NARROW=${NARROW:-800,2600}

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
  # The report is wanted whatever the verdict; the run's output goes to a log.
  echo "running docs/screenshots/showcase.stress (log: $OUT.log)…" >&2
  cargo run --release --quiet -- run docs/screenshots/showcase.stress --out "$OUT" >"$OUT.log" 2>&1 || true
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
shot "$WIDE" docs/report-1400.png
shot "$NARROW" docs/report-800.png
ls -l docs/report-1400.png docs/report-800.png
