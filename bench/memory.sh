#!/usr/bin/env bash
# Issue #4, benchmark 3: the generator's memory against nginx on 127.0.0.1:18080.
#
#  steady: bench/memory.stress test "steady", `rate 1000/s for 5m max users 200`. VmRSS of the
#          stress process sampled every SAMPLE_S (5) s from /proc/PID/status. Reports the RSS
#          at WARMUP_S (30 s), the final RSS (last sample before the run ends), growth % between
#          the two, and the least-squares slope after warm-up. Requirement: growth < 5%.
#  vus:    test "vus", `hold 10000 users for 20s` (nginx worker_connections raised, ulimit -n
#          65536). VmRSS sampled every 0.5 s, plus the kernel's peak (VmHWM) at the end.
#          Requirement: peak < 1 GiB.
#
# Usage: bash bench/memory.sh [steady|vus|all]    (default all)
# Environment: STEADY_FOR=5m RATE=1000 WARMUP_S=30 SAMPLE_S=5 VUS=10000 VUS_FOR=20
#              NGINX_CPU=0 GEN_CPU=1 (empty = no pinning) BENCH_NO_BUILD=1
#              NICE=-10: run stress and nginx's worker at that niceness (a shared machine's
#              other processes then delay them less)
#              SPIKE_AT=S SPIKE_MS=M (steady only): at S seconds, freeze nginx's worker for M ms
#              (SIGSTOP/SIGCONT) to provoke a burst of in-flight requests, to show how RSS
#              follows the peak number of connections (see bench/README.md).
# The RSS series are written to $OUT_DIR (default: a temp dir, printed) as CSV.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

MODE=${1:-all}
STEADY_FOR=${STEADY_FOR:-5m}
RATE=${RATE:-1000}
WARMUP_S=${WARMUP_S:-30}
SAMPLE_S=${SAMPLE_S:-5}
VUS=${VUS:-10000}
VUS_FOR=${VUS_FOR:-20}
NGINX_CPU=${NGINX_CPU-0}
GEN_CPU=${GEN_CPU-1}
PORT=18080

build_stress
# 65536 descriptors where allowed; a container may cap the hard limit (then use it all).
ulimit -n 65536 2> /dev/null || ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < VUS + 1000)); then
  echo "error: open-file limit $(ulimit -n) is too low for $VUS VUs" >&2
  exit 3
fi
tmp=$(mktemp -d)
OUT_DIR=${OUT_DIR:-$tmp/out}
mkdir -p "$OUT_DIR"
trap 'stop_nginx; [[ $OUT_DIR == $tmp/* ]] || rm -rf "$tmp"' EXIT
start_nginx "$tmp/nginx" "$PORT" $(($(ulimit -n) - 100)) "$NGINX_CPU"

pin=()
[[ -n $GEN_CPU ]] && pin=(taskset -c "$GEN_CPU")
if [[ -n ${NICE:-} ]]; then
  pin=(nice -n "$NICE" "${pin[@]}")
  renice -n "$NICE" -p "$(nginx_workers | head -1)" > /dev/null
fi

to_seconds() { # 5m -> 300, 20s -> 20, 20 -> 20
  case $1 in *m) echo $((${1%m} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac
}

# run_sampled TEST SAMPLE_INTERVAL CSV BOUND_S EXTRA_ARGS...: runs one test of memory.stress in
# the background (bounded by timeout), samples VmRSS and the number of open file descriptors
# (≈ connections) into CSV "t_s,rss_kib,fds" until it exits;
# leaves the report in $OUT_DIR/TEST.txt and VmHWM (KiB) in $OUT_DIR/TEST.hwm.
run_sampled() {
  local test=$1 every=$2 csv=$3 bound=$4
  shift 4
  echo "t_s,rss_kib,fds" > "$csv"
  timeout -s INT "$bound" "${pin[@]}" "$STRESS_BIN" run --color never --test "$test" "$@" \
    "$here/memory.stress" > "$OUT_DIR/$test.txt" 2> "$OUT_DIR/$test.err" &
  local tpid=$! spid="" start hwm=0
  for _ in $(seq 100); do
    spid=$(pgrep -P "$tpid" || true)
    [[ -n $spid ]] && break
    sleep 0.05
  done
  start=$(date +%s.%N)
  while kill -0 "$spid" 2> /dev/null; do
    local rss h fds
    rss=$(rss_kib "$spid")
    h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$spid/status" 2> /dev/null || echo 0)
    [[ -n $h && $h -gt $hwm ]] && hwm=$h
    fds=$(ls "/proc/$spid/fd" 2> /dev/null | wc -l)
    [[ -n $rss && $rss -gt 0 ]] && echo "$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'),$rss,$fds" >> "$csv"
    sleep "$every"
  done
  wait "$tpid" || true
  echo "$hwm" > "$OUT_DIR/$test.hwm"
}

report_line() { # TEST: requests, throughput, failed, dropped from the text report
  awk '/^  total / { print "  " $0 } /dropped arrivals/ { print "  " $0 }' "$OUT_DIR/$1.txt"
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) · $(machine_line) · load1 $(loadavg)"
echo "# stress $("$STRESS_BIN" --version | awk '{ print $2 }') ($(stress_label)) · nginx $(nginx -v 2>&1 | sed 's/.*: //') · nginx on CPU ${NGINX_CPU:-any}, generator on CPU ${GEN_CPU:-any} · ulimit -n $(ulimit -n) · nice ${NICE:-0}"
status=0

if [[ $MODE == steady || $MODE == all ]]; then
  secs=$(to_seconds "$STEADY_FOR")
  echo "## steady: rate ${RATE}/s for $STEADY_FOR max users 200 (RSS every ${SAMPLE_S}s)"
  if [[ -n ${SPIKE_AT:-} ]]; then
    w=$(nginx_workers | head -1)
    echo "  (nginx worker $w frozen for ${SPIKE_MS:-300} ms at ${SPIKE_AT}s)"
    (
      sleep "$SPIKE_AT"
      kill -STOP "$w"
      sleep "$(awk -v m="${SPIKE_MS:-300}" 'BEGIN { print m / 1000 }')"
      kill -CONT "$w"
    ) &
  fi
  run_sampled steady "$SAMPLE_S" "$OUT_DIR/steady-rss.csv" $((secs + 120)) \
    --set "arrival_rate=${RATE}/s" --set "steady_for=${STEADY_FOR}"
  report_line steady
  python3 - "$OUT_DIR/steady-rss.csv" "$WARMUP_S" "$(cat "$OUT_DIR/steady.hwm")" << 'PY' || status=1
import csv, sys
raw = list(csv.DictReader(open(sys.argv[1])))
rows = [(float(r["t_s"]), int(r["rss_kib"])) for r in raw]
fds = [int(r["fds"]) for r in raw]
warm_s, hwm = float(sys.argv[2]), int(sys.argv[3])
warm = next((r for r in rows if r[0] >= warm_s), None)
final = rows[-1]
after = [r for r in rows if r[0] >= warm_s]
n = len(after)
mt = sum(t for t, _ in after) / n
mr = sum(v for _, v in after) / n
slope = sum((t - mt) * (v - mr) for t, v in after) / max(1e-9, sum((t - mt) ** 2 for t, _ in after))
growth = (final[1] - warm[1]) / warm[1]
trend = slope * (final[0] - warm[0]) / warm[1]
print(f"  samples {len(rows)}; RSS at {warm[0]:.0f}s (warm-up) {warm[1]/1024:.1f} MiB; final at {final[0]:.0f}s {final[1]/1024:.1f} MiB; "
      f"min/max after warm-up {min(v for _, v in after)/1024:.1f}/{max(v for _, v in after)/1024:.1f} MiB; peak (VmHWM) {hwm/1024:.1f} MiB")
print(f"  growth final vs warm-up {growth:+.2%}; least-squares trend after warm-up {trend:+.2%} "
      f"-> {'PASS' if growth < 0.05 else 'FAIL'} (< 5%)")
wi = rows.index(warm)
print(f"  open fds (sockets + a few files): at warm-up {fds[wi]}, final {fds[-1]}, max {max(fds)}; "
      f"absolute growth {(final[1] - warm[1])/1024:+.2f} MiB")
# RSS explained by time and by the most connections open so far (freed connection memory is
# not returned to the OS): least squares RSS = a + b*t + c*max_fds_so_far after warm-up.
hw, pts = 0, []
for (t, v), f in zip(rows, fds):
    hw = max(hw, f)
    if t >= warm_s:
        pts.append((1.0, t, float(hw), float(v)))
A = [[sum(p[i] * p[j] for p in pts) for j in range(3)] for i in range(3)]
B = [sum(p[i] * p[3] for p in pts) for i in range(3)]
M = [A[i] + [B[i]] for i in range(3)]
try:
    for i in range(3):
        k = max(range(i, 3), key=lambda r: abs(M[r][i]))
        M[i], M[k] = M[k], M[i]
        for r in range(3):
            if r != i:
                f = M[r][i] / M[i][i]
                M[r] = [x - f * y for x, y in zip(M[r], M[i])]
    a, b, c = (M[i][3] / M[i][i] for i in range(3))
    span = final[0] - warm[0]
    print(f"  fit RSS = a + b*t + c*(most fds open so far): c = {c:.1f} KiB per connection, "
          f"b = {b * 60:.0f} KiB/min ({b * span / warm[1]:+.2%} of warm-up RSS over the run)")
except ZeroDivisionError:
    print("  fit: connections never changed after warm-up (nothing to separate)")
sys.exit(0 if growth < 0.05 else 1)
PY
fi

if [[ $MODE == vus || $MODE == all ]]; then
  echo "## vus: hold $VUS users for ${VUS_FOR}s (RSS every 0.5s)"
  run_sampled vus 0.5 "$OUT_DIR/vus-rss.csv" $((VUS_FOR + 120)) \
    --set "vus=$VUS" --set "vus_for=${VUS_FOR}s"
  report_line vus
  python3 - "$OUT_DIR/vus-rss.csv" "$(cat "$OUT_DIR/vus.hwm")" << 'PY' || status=1
import csv, sys
raw = list(csv.DictReader(open(sys.argv[1])))
rows = [(float(r["t_s"]), int(r["rss_kib"])) for r in raw]
fds = max(int(r["fds"]) for r in raw)
hwm = int(sys.argv[2])
peak = max(max(v for _, v in rows), hwm)
t_peak = max(rows, key=lambda r: r[1])[0]
print(f"  samples {len(rows)}; peak sampled RSS {max(v for _, v in rows)/1024:.1f} MiB at {t_peak:.1f}s; "
      f"VmHWM {hwm/1024:.1f} MiB; max open fds {fds} -> {'PASS' if peak < 1024 * 1024 else 'FAIL'} (< 1 GiB)")
sys.exit(0 if peak < 1024 * 1024 else 1)
PY
fi
echo "# series in $OUT_DIR"
exit "$status"
