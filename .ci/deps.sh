#!/usr/bin/env bash
# Installs the real servers the tests and scenarios drive as systems under test (Debian
# packages): nginx, HAProxy and redis-server; bat for the editor grammar tests; kubectl and (from PyPI)
# kubernetes-validate for the deploy/kubernetes tests; prometheus-client (PyPI) for the scrape
# tests. Idempotent: does nothing when they are already there.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
# redis-server behind the TCP fault proxy (tests/proxy_tcp.rs), with redis-cli.
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# bat highlights with the shipped sublime-syntax in editors/test.sh.
command -v bat >/dev/null 2>&1 || command -v batcat >/dev/null 2>&1 || need+=(bat)
# python3 runs the service tests' fixture server (tests/fixtures/body_server.py), and
# kubernetes-validate (below).
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
# kubectl renders deploy/kubernetes (`kubectl kustomize`, no cluster) in tests/deploy.rs.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "deps: please install ${need[*]} (Debian packages)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The packages start their default daemons; the tests start their own on loopback.
  systemctl stop nginx haproxy redis-server 2>/dev/null || service nginx stop 2>/dev/null || true
  pkill -x nginx 2>/dev/null || true
  pkill -x haproxy 2>/dev/null || true
  pkill -x redis-server 2>/dev/null || true
fi
# prometheus-client (PyPI) is the exporter of the scrape tests (tests/fixtures/prom_exporter.py):
# a real Prometheus text exposition, as a service under test prints it.
if ! python3 -c 'import prometheus_client' >/dev/null 2>&1; then
  export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
  python3 -m pip install --quiet 'prometheus-client==0.21.1' 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages 'prometheus-client==0.21.1'
fi
# kubernetes-validate (PyPI) checks deploy/kubernetes against the Kubernetes JSON schemas it
# bundles, offline (tests/deploy.rs). Pinned, so the schemas do not change under the tests.
if ! python3 -c 'import kubernetes_validate' >/dev/null 2>&1; then
  export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
  python3 -m pip install --quiet 'kubernetes-validate==1.37.0' 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages 'kubernetes-validate==1.37.0'
fi
