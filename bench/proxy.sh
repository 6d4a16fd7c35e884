#!/usr/bin/env bash
# Issue 13: the fault proxy's overhead with no faults.
#
# Upstream: nginx on 127.0.0.1:18090 (1 worker, `return 200 "ok"`, lib.sh's start_nginx).
# The same open-model load (bench/proxy.stress: `rate RATE for DURATION`, `check status ==
# 200`, latency from the intended start) is sent three ways, one leg after the other:
#   direct        straight to the upstream
#   stress proxy  through `proxy bench` on :18091, hosted by bench/proxy_host.stress in its own
#                 `stress run` process (so its CPU is read apart from the generator's; that
#                 process also sends 1 request/s straight upstream to stay up: negligible)
#   nginx proxy   through a second nginx on :18092 as a plain reverse proxy (1 worker,
#                 proxy_pass with an upstream keep-alive pool, HTTP/1.1 both sides)
# Each leg runs REPEATS times, interleaved. Per leg: requests, failures, latency p50/p99 (the
# generator's summary.json), the added latency (leg − direct of the same round), and the
# proxy's CPU time over the leg (/proc/PID/stat), as requests per CPU-second.
# Toxiproxy is not installable here (no package in the registries this project reaches).
#
# Usage: bash bench/proxy.sh
# Environment: RATE=2000 DURATION=10 REPEATS=3 SRV_CPU=0 GEN_CPU=1 (empty = no pinning)
#              BENCH_NO_BUILD=1 to skip `cargo build --release`; STRESS_BIN=path
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

RATE=${RATE:-2000}
DURATION=${DURATION:-10}
REPEATS=${REPEATS:-3}
SRV_CPU=${SRV_CPU-0}
GEN_CPU=${GEN_CPU-1}
UP_PORT=18090
NGINX_PROXY_PORT=18092

build_stress
need_apt nginx nginx

tmp=$(mktemp -d)
host_pid=""
proxy_nginx_pid=""
cleanup() {
  if [[ -n $host_pid ]] && kill -0 "$host_pid" 2> /dev/null; then
    kill -TERM "$host_pid" 2> /dev/null || true
    wait "$host_pid" 2> /dev/null || true
  fi
  if [[ -n $proxy_nginx_pid ]] && kill -0 "$proxy_nginx_pid" 2> /dev/null; then
    kill -QUIT "$proxy_nginx_pid" 2> /dev/null || true
    for _ in $(seq 30); do kill -0 "$proxy_nginx_pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$proxy_nginx_pid" 2> /dev/null || true
  fi
  stop_nginx
  rm -rf "$tmp"
}
trap cleanup EXIT

pin_srv=()
[[ -n $SRV_CPU ]] && pin_srv=(taskset -c "$SRV_CPU")
pin_gen=()
[[ -n $GEN_CPU ]] && pin_gen=(taskset -c "$GEN_CPU")

# The upstream.
start_nginx "$tmp/up" "$UP_PORT" 4096 "$SRV_CPU"
up_pid=$NGINX_PID

# nginx as a plain reverse proxy in front of it.
pdir=$tmp/nginx-proxy
mkdir -p "$pdir"/{client_body,proxy,fastcgi,uwsgi,scgi}
cat > "$pdir/nginx.conf" << EOF
daemon on;
worker_processes 1;
worker_rlimit_nofile $(ulimit -Hn);
pid $pdir/nginx.pid;
error_log $pdir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path $pdir/client_body;
  proxy_temp_path $pdir/proxy;
  fastcgi_temp_path $pdir/fastcgi;
  uwsgi_temp_path $pdir/uwsgi;
  scgi_temp_path $pdir/scgi;
  upstream up { server 127.0.0.1:$UP_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$NGINX_PROXY_PORT backlog=65535;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
"${pin_srv[@]}" nginx -p "$pdir" -c "$pdir/nginx.conf" -e "$pdir/error.log"
for _ in $(seq 50); do
  [[ -s $pdir/nginx.pid ]] && curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PROXY_PORT/" && break
  sleep 0.1
done
proxy_nginx_pid=$(cat "$pdir/nginx.pid")
proxy_nginx_worker=$(pgrep -P "$proxy_nginx_pid" | head -1)

# The stress proxy, in its own process, up for every leg (+ margin).
hold=$(((DURATION + 3) * 3 * REPEATS + 30))
"${pin_srv[@]}" "$STRESS_BIN" run --color never --quiet --set "hold=${hold}s" \
  "$here/proxy_host.stress" > "$tmp/host.txt" 2>&1 &
host_pid=$!
for _ in $(seq 50); do
  curl -sf -o /dev/null "http://127.0.0.1:18091/" && break
  sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:18091/" || { echo "error: the stress proxy did not start" >&2; cat "$tmp/host.txt" >&2; exit 3; }

# run_leg LEG: one run of bench/proxy.stress's test LEG; appends a row to $tmp/rows:
# "round leg requests failed p50_us p99_us proxy_cpu_s seconds load1".
run_leg() {
  local round=$1 leg=$2 cpu_pid="" c0=0 c1=0 load t0 t1
  case $leg in
    stress_proxy) cpu_pid=$host_pid ;;
    nginx_proxy) cpu_pid=$proxy_nginx_worker ;;
  esac
  load=$(loadavg)
  [[ -n $cpu_pid ]] && c0=$(proc_cpu_s "$cpu_pid")
  t0=$(date +%s.%N)
  rm -rf "$tmp/out"
  timeout $((DURATION + 30)) "${pin_gen[@]}" "$STRESS_BIN" run --color never --quiet \
    --out "$tmp/out" --test "$leg" --set "rate=${RATE}/s" --set "duration=${DURATION}s" \
    "$here/proxy.stress" > "$tmp/gen.txt" 2>&1 || true
  t1=$(date +%s.%N)
  [[ -n $cpu_pid ]] && c1=$(proc_cpu_s "$cpu_pid")
  python3 - "$tmp/out/summary.json" "$round" "$leg" "$c0" "$c1" "$t0" "$t1" "$load" >> "$tmp/rows" << 'PY'
import json, sys
path, rnd, leg, c0, c1, t0, t1, load = sys.argv[1:]
sc = json.load(open(path))["tests"][0]["scenarios"][0]
step = sc["steps"][0]
lat = step["latency"]
print(rnd, leg, step["requests"], step["failed"], lat["p50_us"], lat["p99_us"],
      float(c1) - float(c0), float(t1) - float(t0), load)
PY
}

: > "$tmp/rows"
for r in $(seq "$REPEATS"); do
  for leg in direct stress_proxy nginx_proxy; do
    echo "# round $r/$REPEATS: $leg" >&2
    run_leg "$r" "$leg"
    sleep 1
  done
done

echo "# $(date -u +%Y-%m-%dT%H:%MZ) · $(machine_line)"
echo "# stress $("$STRESS_BIN" --version | awk '{ print $2 }') ($(stress_label)) · $(nginx -v 2>&1 | sed 's/.*: //') · upstream nginx return 200 \"ok\""
echo "# open model ${RATE}/s for ${DURATION} s per leg (bench/proxy.stress), ${REPEATS} rounds; upstream and proxies on CPU ${SRV_CPU:-any}, generator on CPU ${GEN_CPU:-any}"
echo "# latency from the intended start (stress's summary.json); added = leg − direct of the same round; proxy CPU = user+sys of the proxy process over the leg"
python3 - "$tmp/rows" << 'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
direct = {r[0]: r for r in rows if r[1] == "direct"}
print(f"{'round':<5} {'leg':<13} {'requests':>8} {'failed':>6} {'p50':>8} {'p99':>8} {'+p50':>8} {'+p99':>8} {'proxy CPU-s':>11} {'req/CPU-s':>10} {'load1':>5}")
by = {}
for rnd, leg, n, failed, p50, p99, cpu, secs, load in rows:
    n, failed, p50, p99, cpu = int(n), int(failed), int(p50), int(p99), float(cpu)
    d = direct[rnd]
    add50, add99 = p50 - int(d[4]), p99 - int(d[5])
    eff = n / cpu if cpu > 0 else None
    by.setdefault(leg, []).append((p50, p99, add50, add99, cpu, eff))
    ms = lambda us: f"{us / 1000:.2f}ms"
    print(f"{rnd:<5} {leg:<13} {n:>8} {failed:>6} {ms(p50):>8} {ms(p99):>8} "
          f"{ms(add50) if leg != 'direct' else '-':>8} {ms(add99) if leg != 'direct' else '-':>8} "
          f"{f'{cpu:.2f}' if leg != 'direct' else '-':>11} {f'{eff:.0f}' if eff and leg != 'direct' else '-':>10} {load:>5}")
print()
print("medians")
print(f"{'leg':<13} {'p50':>8} {'p99':>8} {'+p50':>8} {'+p99':>8} {'proxy CPU-s':>11} {'req/CPU-s':>10}")
for leg, v in by.items():
    p50, p99, add50, add99, cpu, eff = (statistics.median([x for x in c if x is not None]) if any(x is not None for x in c) else None for c in zip(*v))
    ms = lambda us: f"{us / 1000:.2f}ms"
    if leg == "direct":
        print(f"{leg:<13} {ms(p50):>8} {ms(p99):>8} {'-':>8} {'-':>8} {'-':>11} {'-':>10}")
    else:
        print(f"{leg:<13} {ms(p50):>8} {ms(p99):>8} {ms(add50):>8} {ms(add99):>8} {cpu:>11.2f} {eff:>10.0f}")
PY
