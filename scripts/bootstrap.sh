#!/usr/bin/env bash
# Turns a bare machine into one that can run airlock's local stack: Node >= 22, Debian packages, a Docker
# engine, the Go-built tools and the base images. Idempotent: every step checks before it acts.
source "$(dirname "$0")/lib.sh"
started=$SECONDS
step "airlock bootstrap (cache: $AIRLOCK_CACHE, state: $AIRLOCK_HOME)"
source "$AIRLOCK_ROOT/scripts/node.sh"
prefetch_tools   # (started already by npm test / npm run demo when they installed npm packages)
bash "$AIRLOCK_ROOT/scripts/install-packages.sh"
bash "$AIRLOCK_ROOT/scripts/start-docker.sh"
bash "$AIRLOCK_ROOT/scripts/build-tools.sh"
bash "$AIRLOCK_ROOT/scripts/build-images.sh"
# The fixture DB is built whatever AIRLOCK_TRIVY_DB says: the tests and the demo set AIRLOCK_TRIVY_DB=fixture.
bash "$AIRLOCK_ROOT/scripts/build-trivy-fixture-db.sh"
if [ ! -d "$AIRLOCK_ROOT/node_modules" ]; then
  step "installing npm dependencies (npm ci)"
  (cd "$AIRLOCK_ROOT" && npm ci --no-audit --no-fund)
fi
info "bootstrap done in $((SECONDS - started))s"
