#!/usr/bin/env bash
# Instructions per request (valgrind --tool=callgrind, whole process including start-up) of
# 20,000 GETs from 10 connections against nginx: stress against itself at another build
# (BASELINE_BIN, e.g. a release binary of the previous commit) and, when installed, oha.
# Counts do not depend on machine noise, so a refactor can show it did not add work per
# request. Usage: bench/callgrind.sh [BASELINE_BIN]   (prints a table)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_apt valgrind valgrind
build_stress
WORK=$(mktemp -d)
trap 'stop_nginx; rm -rf "$WORK"' EXIT
start_nginx "$WORK/nginx" 18081
BASELINE=${1:-${BASELINE_BIN:-}}

# instructions CMD...: total Ir of one run of CMD under callgrind.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$@" > /dev/null 2>"$WORK/cg.err" || true
  grep -E '^(summary|totals):' "$WORK/cg.out" | head -1 | awk '{print $2}'
}

row() {
  local name=$1 ir=$2
  printf '| %s | %s | %.1f k |\n' "$name" "$(printf "%'d" "$ir")" "$(echo "$ir / 20000 / 1000" | bc -l)"
}

echo "| build | instructions | per request |"
echo "| --- | ---: | ---: |"
if command -v oha > /dev/null; then
  row "oha $(oha --version | awk '{print $2}') (-n 20000 -c 10)" "$(instructions oha --no-tui -n 20000 -c 10 http://127.0.0.1:18081/)"
fi
if [[ -n $BASELINE ]]; then
  row "stress baseline ($BASELINE)" "$(instructions "$BASELINE" run -q "$BENCH_ROOT/bench/callgrind.stress")"
fi
row "stress $(cd "$BENCH_ROOT" && git rev-parse --short HEAD)" "$(instructions "$STRESS_BIN" run -q "$BENCH_ROOT/bench/callgrind.stress")"
