#!/usr/bin/env bash
# Installs Debian's Prometheus (prometheus + promtool) when missing: the deploy tests run a real
# Prometheus against a live node and check the alert rules with `promtool test rules`.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-prometheus: prometheus/promtool missing; run as root or: sudo apt-get install prometheus" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: no node exporter, no service started for nothing.
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# The package starts a Prometheus on :9090 where an init system exists: the tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus || true
fi
command -v prometheus >/dev/null && command -v promtool >/dev/null
