// Attaches attestations from a process of its own, so a test can run writers of one `.att` tag in parallel
// processes (the in-process queue does not order them). TypeScript is compiled on load by @swc/core, as jest
// does. Usage: node attach-runner.js <registry> <image> '<json envelopes>'; prints the AttachResult as JSON.
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

const { RegistryAttestations } = require('../../activities/evidence/registry-attestations');

const [registry, image, envelopes] = process.argv.slice(2);
new RegistryAttestations(registry)
  .attach(image, JSON.parse(envelopes))
  .then((result) => process.stdout.write(JSON.stringify(result)))
  .catch((err) => {
    process.stderr.write(`${err.name}: ${err.message}\n`);
    process.exitCode = 1;
  });
