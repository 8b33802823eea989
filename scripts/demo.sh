#!/usr/bin/env bash
# The main job (`npm run demo`): install what is missing (Node >= 22, npm packages), then `airlock demo`
# (which runs `airlock dev up` and four pipelines end to end on the local stack).
source "$(dirname "$0")/node.sh"   # Node >= 22 first on PATH (installed into the tool cache when missing)
cd "$AIRLOCK_ROOT"
# The demo's findings come from the fixture vulnerability DB (offline); `airlock demo` sets it too.
export AIRLOCK_TRIVY_DB=fixture
npm_ready
exec node dist/cli/main.js demo "$@"
