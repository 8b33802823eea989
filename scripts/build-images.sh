#!/usr/bin/env bash
# Builds airlock's base images without any registry: a Debian bookworm rootfs from debootstrap, imported
# with `docker import` as the base image (nodejs, ca-certificates, curl), then HAProxy installed into the
# same rootfs and imported as the router image. Cached by tag; rebuilt only when missing.
source "$(dirname "$0")/lib.sh"
hold_lock images   # one build at a time, even when two bootstraps run at once
BASE_IMAGE=${AIRLOCK_BASE_IMAGE:-airlock/base:bookworm-1}
ROUTER_IMAGE=${AIRLOCK_ROUTER_IMAGE:-airlock/router:bookworm-1}
MIRROR=${AIRLOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}

have() { docker image inspect "$1" >/dev/null 2>&1; }
if have "$BASE_IMAGE" && have "$ROUTER_IMAGE"; then
  info "base image $BASE_IMAGE, router image $ROUTER_IMAGE: present"; exit 0
fi
command -v debootstrap >/dev/null || die "base image: debootstrap is not installed (apt-get install debootstrap)"
[ "$(id -u)" = 0 ] || die "base image: debootstrap needs root (run as root, or set AIRLOCK_BASE_IMAGE/AIRLOCK_ROUTER_IMAGE to images you have)"

import() { # import ROOT TAG CMD
  rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb \
         "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/tmp/*
  tar -C "$1" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c "CMD $3" - "$2" >/dev/null
}

step "building base images with debootstrap (first time only: one to three minutes)"
started=$SECONDS
root=$(mktemp -d "${TMPDIR:-/tmp}/airlock-rootfs.XXXXXX")
trap 'rm -rf "$root" "$root.log"' EXIT
debootstrap --variant=minbase --include=nodejs,ca-certificates,curl bookworm "$root" "$MIRROR" >"$root.log" 2>&1 \
  || { tail -20 "$root.log" >&2; die "base image: debootstrap failed (mirror $MIRROR; set AIRLOCK_DEBIAN_MIRROR)"; }
chroot "$root" apt-get clean
if ! have "$BASE_IMAGE"; then import "$root" "$BASE_IMAGE" '["/bin/bash"]'; info "base image $BASE_IMAGE imported"; fi
if ! have "$ROUTER_IMAGE"; then
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" bash -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends haproxy && apt-get clean' >"$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; die "router image: installing haproxy into the rootfs failed"; }
  : > "$root/etc/resolv.conf"
  chroot "$root" haproxy -v >/dev/null || die "router image: haproxy does not run in the rootfs"
  import "$root" "$ROUTER_IMAGE" '["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]'
  info "router image $ROUTER_IMAGE imported"
fi
info "images built in $((SECONDS - started))s"
