#!/usr/bin/env bash
# Issue #16 (4): `stress merge` at scale. Merging 100 shard folders of a 10-minute run should
# take seconds and bounded memory, and the merged interval logs and time charts must be right.
#
# For each point (SHARDS_LIST, default 1, 10 and 100 shards of a MINUTES-minute run):
#   1. bench/synth_shards.rs (cargo example) writes the shard folders with the library's own
#      writers (plan.json, metrics.json, summary.json with its `shard` record, interval logs;
#      bench/merge.stress, 3 requests per iteration, RATE requests/s per shard). They are cached
#      under CACHE, keyed by the source of src/ and of the generator.
#   2. `stress merge DIR… --out OUT` under /usr/bin/time -v (wall, CPU, peak RSS), and the same
#      without --out (metrics and report only, no interval logs written).
#   3. The peer: bench/merge_peer.py, HdrHistogram's Python package (hdrh, C codec) merging the
#      same interval logs interval by interval and overall (merged logs written, per-second
#      count and percentiles, whole-run p99), also under /usr/bin/time -v.
#   4. bench/merge_check.py checks that the merge is right (request count = the shards' sum;
#      p99 = the union's; every second of the merged time chart = the peer's; merged logs hold
#      every interval) and prints the table.
#
# Usage: bash bench/merge.sh
# Environment: SHARDS_LIST="1 10 100" MINUTES=10 RATE=500 (requests/s per shard) JOBS=2
#              (generator threads) CACHE=/tmp/stress-bench-merge VENV=/tmp/stress-bench-venv
#              BENCH_NO_BUILD=1 to skip `cargo build --release`; STRESS_BIN=path to measure
#              another build; NO_OUT=0 to skip the runs without --out.
# Exits 1 when a check fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

SHARDS_LIST=${SHARDS_LIST:-"1 10 100"}
MINUTES=${MINUTES:-10}
RATE=${RATE:-500}
JOBS=${JOBS:-2}
CACHE=${CACHE:-/tmp/stress-bench-merge}
VENV=${VENV:-/tmp/stress-bench-venv}
NO_OUT=${NO_OUT:-1}

build_stress
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
  (cd "$BENCH_ROOT" && cargo build --release --quiet --example synth_shards)
fi
GEN=$BENCH_ROOT/target/release/examples/synth_shards
[[ -x $GEN ]] || { echo "error: $GEN missing (cargo build --release --example synth_shards)" >&2; exit 3; }

if ! "$VENV/bin/python" -c 'import hdrh' 2> /dev/null; then
  echo "# installing hdrhistogram (pip, into $VENV)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet hdrhistogram
fi
PY=$VENV/bin/python

# The shards depend on the writers (src/) and the generator: cache them by their source.
key=$(cd "$BENCH_ROOT" && { git ls-files -s src bench/synth_shards.rs bench/merge.stress; git diff HEAD -- src bench/synth_shards.rs bench/merge.stress; } | sha1sum | cut -c1-12)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure TOOL ROWS CMD...: runs CMD under /usr/bin/time -v, appends
# "TOOL wall_s cpu_s max_rss_kib exit" to ROWS.
measure() {
  local tool=$1 rows=$2
  shift 2
  local code=0
  /usr/bin/time -v -o "$tmp/time.txt" "$@" > "$tmp/$tool.out" 2> "$tmp/$tool.err" || code=$?
  awk -v tool="$tool" -v code="$code" '
    /Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = (n == 3) ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2] }
    /User time/ { user = $NF } /System time/ { sys = $NF }
    /Maximum resident set size/ { rss = $NF }
    END { print tool, wall, user + sys, rss, code }' "$tmp/time.txt" >> "$rows"
  if [[ $code != 0 && $code != 1 ]]; then
    echo "warning: $tool exited $code:" >&2
    tail -5 "$tmp/$tool.err" >&2
  fi
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) · $(machine_line) · load $(loadavg)"
echo "# stress $("$STRESS_BIN" --version | awk '{ print $2 }') ($(stress_label)) · hdrh $("$PY" -c 'import importlib.metadata as m; print(m.version("hdrhistogram"))') · $("$PY" --version)"
echo "# shards of bench/merge.stress: ${RATE} requests/s per shard (3 steps), ${MINUTES} min, interval logs per second; cache $CACHE/$key"
printf '%-18s %6s %7s %9s %7s %6s %8s %13s %8s\n' tool shards minutes intervals "wall s" "CPU s" "RSS MiB" requests "p99 µs"
status=0
for n in $SHARDS_LIST; do
  data=$CACHE/$key/n$n-m$MINUTES-r$RATE
  if [[ ! -f $data/.done ]]; then
    rm -rf "$data"
    echo "# generating $n shards × $MINUTES min into $data" >&2
    "$GEN" --shards "$n" --minutes "$MINUTES" --rate "$RATE" --jobs "$JOBS" --out "$data" >&2
    touch "$data/.done"
  fi
  dirs=("$data"/shard-*)
  rows=$tmp/rows-$n
  : > "$rows"
  # Warm the page cache so that every tool reads from memory.
  cat "$data"/shard-*/metrics.json "$data"/shard-*/histograms/*/*/*.hlog > /dev/null
  rm -rf "$tmp/stress-out" "$tmp/peer-out"
  mkdir -p "$tmp/peer-out"
  echo "# $n shards: stress merge --out" >&2
  measure stress "$rows" "$STRESS_BIN" merge --color never "${dirs[@]}" --out "$tmp/stress-out"
  if [[ $NO_OUT == 1 ]]; then
    echo "# $n shards: stress merge (no --out)" >&2
    measure stress-no-out "$rows" "$STRESS_BIN" merge --color never "${dirs[@]}"
  fi
  echo "# $n shards: hdrh" >&2
  measure hdrh-py "$rows" "$PY" "$here/merge_peer.py" "$tmp/peer-out" "${dirs[@]}"
  "$PY" "$here/merge_check.py" "$n" "$MINUTES" "$rows" "$tmp/stress-out" "$tmp/peer-out" "${dirs[@]}" > "$tmp/check.txt" || status=1
  # Rows first (they line up under the header), checks after all rows.
  awk '/^$/ { exit } { print }' "$tmp/check.txt"
  awk 'found { print } /^$/ { found = 1 }' "$tmp/check.txt" | sed "s/^/# $n shards:/" >> "$tmp/checks.txt"
done
echo
cat "$tmp/checks.txt"
exit $status
