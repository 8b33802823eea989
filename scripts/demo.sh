#!/usr/bin/env bash
# The main job (`npm run demo`): install what is missing (Node >= 22, npm packages), then `airlock demo`
# (which runs `airlock dev up` and four pipelines end to end on the local stack).
source "$(dirname "$0")/node.sh"   # Node >= 22 first on PATH (installed into the tool cache when missing)
cd "$AIRLOCK_ROOT"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund
else
  echo "==> build" >&2
  npm run --silent build
fi
exec node dist/cli/main.js demo "$@"
