#!/usr/bin/env bash
# Benchmark (issue 14): `stress check` time on the worst shapes the fuzzer found, at 100, 200, 400
# and 800 kB each: unclosed `(`, `[`, `{a:` and `"${` in a block (once doubling per bracket),
# bad statements with open groups, CR-only line endings with comments, long operator chains.
# Linear parsing shows as time roughly doubling with size (and staying in milliseconds).
# Usage: bash bench/parse_time.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=${STRESS_BIN:-target/release/stress}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shape() { # $1 = shape name, $2 = size in bytes
  python3 - "$1" "$2" <<'PY'
import sys
name, size = sys.argv[1], int(sys.argv[2])
filler = lambda unit: unit * (size // len(unit))
deep = lambda opener: 'workload w { think ' + opener * 60 + '\n'
shapes = {
  'unclosed (': filler('let a = (1)\n') + deep('('),
  'unclosed [': filler('let a = [1]\n') + deep('['),
  'unclosed {a:': filler('let a = {a: 1}\n') + deep('{a:'),
  'unclosed "${': filler('let a = "${1}"\n') + deep('"${'),
  'bad statements': filler('workload w { bogus ((((x)))) }\n') + deep('('),
  'CR comments': filler('# (((\r let a = [1]\r'),
  'operators': 'let x = ' + filler('1 + ') + '1\n',
  'objects': filler('let o = {a: 1, b: [1, {c: "${1}"}]}\n'),
}
sys.stdout.write(shapes[name])
PY
}
printf '| shape | 100 kB | 200 kB | 400 kB | 800 kB |\n| --- | ---: | ---: | ---: | ---: |\n'
for name in 'unclosed (' 'unclosed [' 'unclosed {a:' 'unclosed "${' 'bad statements' 'CR comments' 'operators' 'objects'; do
  row="| $name |"
  for kb in 100 200 400 800; do
    shape "$name" $((kb * 1000)) > "$tmp/f.stress"
    start=$(date +%s%N)
    "$bin" check --color never "$tmp/f.stress" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    row="$row $(( (end - start) / 1000000 )) ms |"
  done
  echo "$row"
done
