# Shared helpers for the load benchmarks (bench/http.sh, bench/co.sh, bench/memory.sh).
# Source it from bash: `. "$(dirname "$0")/lib.sh"`. Only 127.0.0.1 is ever contacted
# (apart from apt-get / cargo install when a tool is missing).

# Root of the crate, and the release binary.
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STRESS_BIN=${STRESS_BIN:-$BENCH_ROOT/target/release/stress}

# Installs Debian packages when their command is missing: need_apt CMD PACKAGE...
need_apt() {
  local cmd=$1
  shift
  command -v "$cmd" > /dev/null && return 0
  echo "# installing $* (apt-get)" >&2
  timeout 600 apt-get update -qq > /dev/null
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "$@" > /dev/null
}

# Builds the release binary unless STRESS_BIN is given (and exists) or BENCH_NO_BUILD=1.
build_stress() {
  if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    (cd "$BENCH_ROOT" && cargo build --release --quiet)
  fi
  [[ -x $STRESS_BIN ]] || { echo "error: $STRESS_BIN missing" >&2; exit 3; }
}

# start_nginx DIR PORT [WORKER_CONNECTIONS] [CPU]: nginx with its own minimal config
# (1 worker, access_log off, `return 200 "ok"`), pid/logs/temp files in DIR, listening on
# 127.0.0.1:PORT. With CPU, nginx's worker is pinned to that core (worker_cpu_affinity).
# Sets NGINX_PID. Stop it with stop_nginx (call it from an EXIT trap).
start_nginx() {
  local dir=$1 port=$2 conns=${3:-4096} cpu=${4:-}
  need_apt nginx nginx
  mkdir -p "$dir"/{client_body,proxy,fastcgi,uwsgi,scgi}
  local affinity=""
  if [[ -n $cpu ]]; then
    # worker_cpu_affinity takes a bit mask, rightmost bit = CPU 0.
    local mask=1
    for ((i = 0; i < cpu; i++)); do mask="${mask}0"; done
    affinity="worker_cpu_affinity $mask;"
  fi
  cat > "$dir/nginx.conf" << EOF
daemon on;
worker_processes 1;
$affinity
worker_rlimit_nofile $(ulimit -Hn);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $conns; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port backlog=65535;
    location / { default_type text/plain; return 200 "ok"; }
  }
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  for _ in $(seq 50); do
    [[ -s $dir/nginx.pid ]] && curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
  NGINX_PID=$(cat "$dir/nginx.pid")
  NGINX_DIR=$dir
}

stop_nginx() {
  if [[ -n ${NGINX_PID:-} ]] && kill -0 "$NGINX_PID" 2> /dev/null; then
    kill -QUIT "$NGINX_PID" 2> /dev/null || true
    for _ in $(seq 30); do kill -0 "$NGINX_PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$NGINX_PID" 2> /dev/null || true
  fi
  NGINX_PID=""
}

# Pids of nginx's workers (children of the master).
nginx_workers() { pgrep -P "$NGINX_PID" || true; }

# CPU seconds (user+system) a process has used so far, from /proc/PID/stat.
proc_cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat" 2> /dev/null || echo 0
}

# VmRSS of a process in KiB (0 when gone).
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2> /dev/null || echo 0; }

# One line describing the machine, for the README.
machine_line() {
  echo "$(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(free -h | awk '/^Mem:/ { print $2 }') RAM, kernel $(uname -r)"
}

# The 1-minute load average (to show whether something else was running).
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# What binary is measured: STRESS_LABEL if set (e.g. when STRESS_BIN comes from elsewhere),
# else the crate's commit, "+dirty" when src/ has uncommitted changes.
stress_label() {
  if [[ -n ${STRESS_LABEL:-} ]]; then
    echo "$STRESS_LABEL"
  else
    echo "$(git -C "$BENCH_ROOT" rev-parse --short HEAD)$(git -C "$BENCH_ROOT" diff --quiet HEAD -- src 2> /dev/null || echo "+dirty")"
  fi
}
