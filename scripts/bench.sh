#!/usr/bin/env bash
# Benchmarks (`npm run bench [-- NAME...]`): each bench/NAME.ts prints its figures, a baseline measured
# in the same run and the ratio to its target. They need the local stack, which this starts first.
source "$(dirname "$0")/node.sh"   # Node >= 22 first on PATH (installed into the tool cache when missing)
cd "$AIRLOCK_ROOT"
# Benchmarks scan with the fixture vulnerability DB (offline, the same every run), like the tests.
export AIRLOCK_TRIVY_DB=fixture
prefetch_tools   # tools still to build: their modules download meanwhile
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
node dist/cli/main.js dev up
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/*.ts; do names+=("$(basename "$f" .ts)"); done
fi
for name in "${names[@]}"; do
  echo "==> bench/$name" >&2
  node "dist/bench/$name.js"
done
