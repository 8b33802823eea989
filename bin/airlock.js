#!/usr/bin/env node
// The airlock command. Compiled code lives in dist/ (`npm ci` builds it through the prepare script).
require('../dist/cli/main.js').runCli();
