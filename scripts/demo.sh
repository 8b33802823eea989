#!/usr/bin/env bash
# The main job (`npm run demo`): install what is missing (Node >= 22, npm packages), then `airlock demo`
# (which runs `airlock dev up` and four pipelines end to end on the local stack).
source "$(dirname "$0")/node.sh"   # Node >= 22 first on PATH (installed into the tool cache when missing)
cd "$AIRLOCK_ROOT"
npm_ready
exec node dist/cli/main.js demo "$@"
