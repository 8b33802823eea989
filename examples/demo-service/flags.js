// Feature flags through OpenFeature with flagd's provider in in-process mode: the flag definitions come from
// a flagd file airlock keeps per environment and mounts read-only (AIRLOCK_FLAGS_FILE); the provider
// evaluates locally (no daemon) and re-reads the file when airlock changes it. A hook records which variant
// each request got, so /metrics can count requests, errors and 401/403 by flag variant.
// Without the packages (vendor/node_modules, see vendor/README.md) or without a file, every flag is off.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const VENDORED = path.join(__dirname, 'vendor', 'node_modules');

function load() {
  try {
    const paths = [VENDORED, ...(require.resolve.paths('x') || [])];
    const sdk = require(require.resolve('@openfeature/server-sdk', { paths }));
    const flagd = require(require.resolve('@openfeature/flagd-provider', { paths }));
    return { OpenFeature: sdk.OpenFeature, FlagdProvider: flagd.FlagdProvider };
  } catch (err) {
    console.log(`feature flags off: OpenFeature packages not found (${err.code || err.message})`);
    return null;
  }
}

/** The variant a request got ('on' / 'off'): flagd's variant name, else the value the code used. */
function variantOf(details) {
  if (details && (details.variant === 'on' || details.variant === 'off')) return details.variant;
  return details && details.value === true ? 'on' : 'off';
}

/** The OpenFeature hook: after each evaluation, the variant goes into the request's record (hook hints). */
const variantHook = {
  after(hookContext, details, hints) {
    if (hints && hints.variants) hints.variants[hookContext.flagKey] = variantOf(details);
  },
  error(hookContext, _err, hints) {
    if (hints && hints.variants) hints.variants[hookContext.flagKey] = 'off';
  },
};

/** Polling interval of the flag file, ms: the provider's own watcher polls every 5 s (Node's default). */
const POLL_MS = 100;

function createFlags(file = process.env.AIRLOCK_FLAGS_FILE) {
  const lib = file ? load() : null;
  if (!lib) {
    return { ready: Promise.resolve(), async isOn(_key, _userId, variants) { return false; } };
  }
  // Node keeps one StatWatcher per path and the first watchFile's options apply to every later listener of
  // that path: registered before the provider's, this makes the provider see a change within POLL_MS.
  fs.watchFile(file, { interval: POLL_MS }, () => {});
  const provider = new lib.FlagdProvider({ resolverType: 'in-process', offlineFlagSourcePath: file });
  const ready = lib.OpenFeature.setProviderAndWait(provider).catch((err) => console.log(`flag provider not ready: ${err.message}`));
  lib.OpenFeature.addHooks(variantHook);
  const client = lib.OpenFeature.getClient('demo-service');
  return {
    ready,
    /** Whether `key` is on for this user; records the variant in `variants` (the request's record). */
    async isOn(key, userId, variants) {
      const details = await client.getBooleanDetails(key, false, { targetingKey: userId || 'anonymous' }, { hookHints: { variants } });
      return details.value === true;
    },
  };
}

module.exports = { createFlags, variantOf };
