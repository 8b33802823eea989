#!/usr/bin/env bash
# Installs the Debian packages airlock's local stack runs on, when they are missing.
source "$(dirname "$0")/lib.sh"

declare -A probe=( [docker.io]=dockerd [docker-registry]=docker-registry [haproxy]=haproxy
                   [prometheus]=prometheus [debootstrap]=debootstrap [git]=git [iproute2]=ip
                   [chromium]=chromium )
missing=()
for pkg in "${!probe[@]}"; do
  command -v "${probe[$pkg]}" >/dev/null 2>&1 || [ -x "/usr/sbin/${probe[$pkg]}" ] || [ -x "/usr/bin/${probe[$pkg]}" ] || missing+=("$pkg")
done
# Chromium runs the dashboard's browser tests (playwright-core drives /usr/bin/chromium: browser downloads
# are not possible here); a text font keeps its screenshots readable without the recommended packages.
if [[ " ${missing[*]} " == *" chromium "* ]]; then missing+=(fonts-liberation); fi
if [ ${#missing[@]} -eq 0 ]; then info "Debian packages: all present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
fi
step "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
# The packages' own services are not what airlock runs: it starts its own, on loopback, under AIRLOCK_HOME.
for svc in prometheus docker-registry haproxy prometheus-node-exporter; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
done
info "installed ${missing[*]}"
