#!/usr/bin/env bash
# The main job (`npm run demo`): install what is missing, then `airlock demo` (which runs `airlock dev up`
# and four pipelines end to end on the local stack).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund
else
  echo "==> build" >&2
  npm run --silent build
fi
exec node dist/cli/main.js demo "$@"
