#!/usr/bin/env node
// The airlock command. Compiled code lives in dist/ (`npm ci` builds it through the prepare script).
// airlock needs Node >= 22. Started by an older node, it runs itself again with the Node the set-up installed
// into the tool cache (scripts/node.sh), or says how to get one.
'use strict';

const MIN_MAJOR = 22;

if (Number(process.versions.node.split('.')[0]) >= MIN_MAJOR) {
  require('../dist/cli/main.js').runCli();
} else {
  runWithCachedNode();
}

function runWithCachedNode() {
  const { spawn } = require('node:child_process');
  const { existsSync, readFileSync } = require('node:fs');
  const { homedir } = require('node:os');
  const { delimiter, dirname, join } = require('node:path');

  const versions = readFileSync(join(__dirname, '..', 'scripts', 'versions.env'), 'utf8');
  const version = /^NODE_VERSION=(.+)$/m.exec(versions)?.[1]?.trim();
  const cache = process.env.AIRLOCK_CACHE || join(homedir(), '.cache', 'airlock');
  const node = join(cache, 'tools', `node-${version}`, 'bin', 'node');
  if (!version || !existsSync(node)) {
    process.stderr.write(
      `airlock: needs Node.js >= ${MIN_MAJOR}, and this is ${process.version} (${process.execPath}).\n` +
        `  \`npm test\`, \`npm run demo\` or \`bash scripts/bootstrap.sh\` install Node ${version ?? ''} into ${join(cache, 'tools')},\n` +
        `  or install Node.js >= ${MIN_MAJOR} yourself.\n`,
    );
    process.exitCode = 2;
    return;
  }
  // Same command, same arguments; what it starts by name (`node`, npm) finds the same node first on PATH.
  const env = { ...process.env, PATH: [dirname(node), process.env.PATH].filter(Boolean).join(delimiter) };
  const child = spawn(node, [__filename, ...process.argv.slice(2)], { stdio: 'inherit', env });
  // Ctrl-C and a closed terminal signal the whole process group, the child included: wait for it to finish.
  // A SIGTERM is sent to this process alone: pass it on.
  const signals = { SIGINT: () => {}, SIGHUP: () => {}, SIGTERM: () => child.kill('SIGTERM') };
  for (const [signal, handler] of Object.entries(signals)) process.on(signal, handler);
  child.on('error', (err) => {
    process.stderr.write(`airlock: could not start ${node}: ${err.message}\n`);
    process.exitCode = 2;
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const [s, handler] of Object.entries(signals)) process.off(s, handler);
      process.kill(process.pid, signal);
    } else {
      process.exitCode = code ?? 1;
    }
  });
}
