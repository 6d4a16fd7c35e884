#!/usr/bin/env bash
# Issue #4, benchmark 1: HTTP throughput and generator CPU cost per request against nginx.
#
# Starts nginx on 127.0.0.1:18080 with its own minimal config (1 worker, access_log off,
# `return 200 "ok"`), then runs, at 50 connections / VUs for ~10 s each:
#   wrk      -t1 -c50 -d10s
#   oha      -c 50 -z 10s           (cargo install oha --locked when missing)
#   stress   bench/http.stress, test "get"        (hold 50 users for 10s)
#   stress   bench/http.stress, test "get_check"  (same, with `check status == 200`)
# Each tool runs REPEATS times, interleaved (so background noise hits all alike). Generator
# CPU (user+sys) comes from /usr/bin/time; nginx worker CPU from /proc/PID/stat.
# Prints one row per run and a summary of medians: req/s, CPU-s, req per CPU-s, ratio vs wrk.
#
# Usage: bash bench/http.sh
# Environment: DURATION=10 CONNS=50 REPEATS=3 NGINX_CPU=0 GEN_CPU=1 (empty = no pinning)
#              BENCH_NO_BUILD=1 to skip `cargo build --release`; STRESS_BIN=path to measure
#              another build; STRESS_VARIANTS="label=/path/to/stress ..." adds rows
#              `stress[label]` (test "get") for experimental builds (see bench/README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
REPEATS=${REPEATS:-3}
NGINX_CPU=${NGINX_CPU-0}
GEN_CPU=${GEN_CPU-1}
PORT=18080
URL="http://127.0.0.1:$PORT/"

need_apt wrk wrk
if ! command -v oha > /dev/null; then
  echo "# installing oha (cargo install oha --locked; takes a few minutes)" >&2
  timeout 1800 cargo install oha --locked --quiet
fi
build_stress

tmp=$(mktemp -d)
trap 'stop_nginx; rm -rf "$tmp"' EXIT
start_nginx "$tmp/nginx" "$PORT" 4096 "$NGINX_CPU"
worker=$(nginx_workers | head -1)

pin=()
[[ -n $GEN_CPU ]] && pin=(taskset -c "$GEN_CPU")

# run_one TOOL: runs one measurement, appends "tool requests seconds cpu_s nginx_cpu_s load"
# to $tmp/rows.
run_one() {
  local tool=$1 out=$tmp/out.txt tm=$tmp/time.txt requests secs
  local load ng0 ng1
  load=$(loadavg)
  ng0=$(proc_cpu_s "$worker")
  case $tool in
    wrk)
      /usr/bin/time -f "%U %S" -o "$tm" "${pin[@]}" \
        wrk -t1 -c"$CONNS" -d"${DURATION}s" "$URL" > "$out" 2>&1
      read -r requests secs < <(awk '/requests in/ { gsub(/s,$/, "", $4); print $1, $4 }' "$out")
      ;;
    oha)
      /usr/bin/time -f "%U %S" -o "$tm" "${pin[@]}" \
        oha --no-tui --output-format json -c "$CONNS" -z "${DURATION}s" "$URL" > "$out" 2> "$tmp/oha.err"
      read -r requests secs < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
n = sum(s["statusCodeDistribution"].values())
print(n, s["summary"]["total"])' "$out")
      ;;
    stress | stress_check | stress\[*)
      local test=get bin=$STRESS_BIN
      [[ $tool == stress_check ]] && test=get_check
      if [[ $tool == stress\[* ]]; then
        local label=${tool#stress[}
        bin=${variants[${label%]}]}
      fi
      /usr/bin/time -f "%U %S" -o "$tm" "${pin[@]}" \
        "$bin" run --color never --test "$test" --set "users=$CONNS" \
        --set "duration=${DURATION}s" "$here/http.stress" > "$out" 2> "$tmp/stress.err"
      requests=$(awk '/^  total / { print $2; exit }' "$out")
      secs=$(awk '/^=== scenario/ { for (i = 1; i <= NF; i++) if ($i == "ran") { v = $(i + 1); sub(/s$/, "", v); print v; exit } }' "$out")
      if ! grep -q "failed 0 (0%)" "$out"; then
        echo "warning: $tool had failed requests:" >&2
        grep "total " "$out" >&2
      fi
      ;;
  esac
  ng1=$(proc_cpu_s "$worker")
  local cpu
  cpu=$(awk '{ print $1 + $2 }' "$tm")
  echo "$tool $requests $secs $cpu $(awk -v a="$ng0" -v b="$ng1" 'BEGIN { print b - a }') $load" >> "$tmp/rows"
}

tools=(wrk oha stress stress_check)
declare -A variants=()
for v in ${STRESS_VARIANTS:-}; do
  variants[${v%%=*}]=${v#*=}
  tools+=("stress[${v%%=*}]")
done
: > "$tmp/rows"
for r in $(seq "$REPEATS"); do
  for tool in "${tools[@]}"; do
    echo "# run $r/$REPEATS: $tool" >&2
    run_one "$tool"
    sleep 1
  done
done

echo "# $(date -u +%Y-%m-%dT%H:%MZ) · $(machine_line)"
echo "# stress $("$STRESS_BIN" --version | awk '{ print $2 }') ($(stress_label)) · $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }') · $(oha --version) · $(nginx -v 2>&1 | sed 's/.*: //')"
echo "# ${CONNS} connections/VUs, ${DURATION} s per run, ${REPEATS} runs per tool; nginx worker on CPU ${NGINX_CPU:-any}, generator on CPU ${GEN_CPU:-any}"
python3 - "$tmp/rows" << 'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print(f"{'run':<4} {'tool':<24} {'requests':>9} {'secs':>6} {'req/s':>8} {'CPU-s':>6} {'req/CPU-s':>10} {'nginx CPU':>9} {'load1':>5}")
by = {}
for i, (tool, n, secs, cpu, ng, load) in enumerate(rows):
    n, secs, cpu, ng = int(n), float(secs), float(cpu), float(ng)
    by.setdefault(tool, []).append((n / secs, cpu, n / cpu, ng / secs))
    print(f"{i:<4} {tool:<24} {n:>9} {secs:>6.2f} {n / secs:>8.0f} {cpu:>6.2f} {n / cpu:>10.0f} {100 * ng / secs:>8.0f}% {load:>5}")
print()
print("medians")
print(f"{'tool':<24} {'req/s':>8} {'CPU-s':>6} {'req/CPU-s':>10} {'vs wrk':>7} {'vs oha':>7} {'nginx CPU':>9}")
med = {t: [statistics.median(c) for c in zip(*v)] for t, v in by.items()}
for tool, (rps, cpu, eff, ng) in med.items():
    print(f"{tool:<24} {rps:>8.0f} {cpu:>6.2f} {eff:>10.0f} {eff / med['wrk'][2]:>6.0%} {eff / med['oha'][2]:>6.0%} {100 * ng:>8.0f}%")
PY
