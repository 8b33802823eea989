// Runs one deploy activity in a process of its own, as a worker would, so a test can kill it mid-way.
// TypeScript is compiled on load by @swc/core (as jest does); usage: node deploy-worker-runner.js <activity> '<json input>'
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const { createDeployActivities } = require('../../activities/deploy');
const { loadConfig } = require('../../infra/config');

const [verb, input] = process.argv.slice(2);
const activities = createDeployActivities({ config: loadConfig(), heartbeat: () => process.stderr.write('.') });
activities[verb](JSON.parse(input)).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exitCode = 1;
  },
);
