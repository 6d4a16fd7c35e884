#!/usr/bin/env bash
# Installs the real servers the tests and scenarios drive as systems under test (Debian
# packages): nginx and HAProxy; and bat for the editor grammar tests. Idempotent: does nothing when they are already there.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
# bat highlights with the shipped sublime-syntax in editors/test.sh.
command -v bat >/dev/null 2>&1 || command -v batcat >/dev/null 2>&1 || need+=(bat)
# python3 runs the service tests' fixture server (tests/fixtures/body_server.py).
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "deps: please install ${need[*]} (Debian packages)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The packages start their default daemons; the tests start their own on loopback.
  systemctl stop nginx haproxy 2>/dev/null || service nginx stop 2>/dev/null || true
  pkill -x nginx 2>/dev/null || true
  pkill -x haproxy 2>/dev/null || true
fi
