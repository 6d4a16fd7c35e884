#!/usr/bin/env bash
# Benchmark: `stress check` on generated files of 2,500 / 5,000 / 10,000 lines (many workloads,
# scenarios and tests), to show it is fast and linear in file size. Prints a table.
# Usage: bash bench/check.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/stress
tmp=$(mktemp -d)
gen() { # $1 = number of blocks (each ~25 lines)
  python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1])
out = ['target api = "http://127.0.0.1:8080"']
for i in range(n):
    out.append(f'''
workload w{i} {{
  request r{i}: post api "/v1/items/${{user}}" {{
    json {{ id: {i}, name: "item ${{iteration}}", tags: ["a", "b"] }}
    timeout 5s
    check status == 200 || status == 429
    capture t{i} = json.usage.total_tokens
  }}
  think 10ms..50ms
}}
scenario s{i} {{ error_rate(10%, 503) }}
test "t{i}" {{
  workload w{i}
  profile {{ hold 5 users for 10s as p{i}  pause 1s }}
  scenarios s{i}
  slo {{
    p95(latency) < 500ms
    error_rate < 20%
    count(status == 429) == 0 during p{i}
  }}
}}''')
print("\n".join(out))
PY
}
printf '%-8s %-8s %-12s %-12s\n' lines bytes "mean (ms)" "ms/1k lines"
for blocks in 100 200 400; do
  f="$tmp/gen_$blocks.stress"; gen "$blocks" > "$f"
  lines=$(wc -l < "$f"); bytes=$(wc -c < "$f")
  "$bin" check --color never "$f" > /dev/null
  start=$(date +%s%N); runs=10
  for _ in $(seq $runs); do "$bin" check --color never "$f" > /dev/null; done
  end=$(date +%s%N)
  mean=$(( (end - start) / runs / 1000000 ))
  printf '%-8s %-8s %-12s %-12s\n' "$lines" "$bytes" "$mean" "$(python3 -c "print(round($mean*1000/$lines,2))")"
done
rm -rf "$tmp"
