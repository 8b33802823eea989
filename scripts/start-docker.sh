#!/usr/bin/env bash
# Uses a running Docker engine (DOCKER_HOST or the default socket); otherwise starts dockerd and waits for it.
source "$(dirname "$0")/lib.sh"
if docker info >/dev/null 2>&1; then info "docker: engine answering (${DOCKER_HOST:-unix:///var/run/docker.sock})"; exit 0; fi
if [ -n "${DOCKER_HOST:-}" ]; then die "docker: DOCKER_HOST=$DOCKER_HOST does not answer (start that engine or unset DOCKER_HOST)"; fi
command -v dockerd >/dev/null || die "docker: dockerd is not installed (apt-get install docker.io)"
[ "$(id -u)" = 0 ] || die "docker: no engine answers and starting dockerd needs root (start Docker, or run as root)"
mkdir -p "$AIRLOCK_HOME/logs" "$AIRLOCK_HOME/run"
step "starting dockerd (log: $AIRLOCK_HOME/logs/dockerd.log)"
nohup dockerd >"$AIRLOCK_HOME/logs/dockerd.log" 2>&1 &
echo $! > "$AIRLOCK_HOME/run/dockerd.pid"
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then info "docker: engine up"; exit 0; fi
  sleep 0.5
done
die "docker: dockerd did not answer within 30s (see $AIRLOCK_HOME/logs/dockerd.log)"
