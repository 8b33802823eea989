#!/usr/bin/env bash
# The test command (`npm test`): sets up everything the tests need on a bare machine, then runs them all.
# Set-up is idempotent and fast when done: npm ci when node_modules is stale, the bootstrap, the services.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund
fi
echo "==> build (tsc + workflow bundle)" >&2
npm run --silent build
echo "==> lint" >&2
npx eslint .
node dist/cli/main.js dev up
echo "==> jest" >&2
npx jest --ci "$@"
