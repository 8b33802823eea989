#!/usr/bin/env bash
# The test command (`npm test`): sets up everything the tests need on a bare machine, then runs them all.
# Set-up is idempotent and fast when already done: Node >= 22, npm ci when node_modules is stale, the bootstrap
# (packages, dockerd, tools, images) and the local services, all through `airlock dev up`.
# Extra arguments go to jest (e.g. `npm test -- test/unit`).
source "$(dirname "$0")/node.sh"   # Node >= 22 first on PATH (installed into the tool cache when missing)
cd "$AIRLOCK_ROOT"
# Tests scan with the one-advisory fixture DB (offline, known findings); users get Trivy's real DB by default.
# jest sets it too (test/support/jest-env.js), for runs of jest alone.
export AIRLOCK_TRIVY_DB=fixture
npm_ready
echo "==> lint" >&2
npx eslint .
npx tsc --noEmit -p tsconfig.json
echo "==> airlock dev up" >&2
node dist/cli/main.js dev up
results=$(mktemp -d)
status=0
if [ $# -gt 0 ]; then
  npx jest --ci --json --outputFile="$results/args.json" "$@" || status=$?
else
  # Pure and workflow tests in parallel; tests on the shared local stack one file at a time.
  echo "==> jest: unit, workflow" >&2
  npx jest --ci --json --outputFile="$results/fast.json" --selectProjects unit workflow || status=$?
  echo "==> jest: integration, e2e (in band: they share the local stack)" >&2
  npx jest --ci --json --outputFile="$results/stack.json" --selectProjects integration e2e --runInBand || status=$?
fi
node -e '
  const fs = require("fs"); let p = 0, f = 0, s = 0;
  for (const file of process.argv.slice(1)) { try { const r = JSON.parse(fs.readFileSync(file, "utf8"));
    p += r.numPassedTests; f += r.numFailedTests + r.numRuntimeErrorTestSuites; s += r.numPendingTests + r.numTodoTests; } catch { f += 1; } }
  console.log(`tests: ${p} passed, ${f} failed` + (s ? `, ${s} skipped` : ""));
' "$results"/*.json
rm -rf "$results"
exit $status
