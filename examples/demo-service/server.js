// The demo service airlock deploys: / (the work), /api/ping, /healthz, /version, /metrics (Prometheus text format),
// /api/entries (api.js), /checkout. One log line per request, with its x-request-id and never its headers.
// Feature flags (flags.js, flags.flagd.json): `new-greeting` on / and `new-checkout` on /checkout, per user
// (x-user-id); every answer is counted by the variant it was served with (flag_requests_total).
'use strict';

const http = require('node:http');
const release = require('./release');
const { createMetrics } = require('./metrics');
const { api } = require('./api');
const { createFlags } = require('./flags');

const port = Number(process.env.PORT || 8080);
const fault = process.env.DEMO_FAULT || release.fault;
const metrics = createMetrics(release.version);
const flags = createFlags();
let served = 0;
let apiServed = 0;
let checkouts = 0;

function work(res, done, greeting = 'world') {
  served += 1;
  if (fault === 'errors' && served % 10 < 3) return done(500, { error: 'injected failure' });
  const reply = () => done(200, { hello: greeting, version: release.version });
  if (fault === 'latency') setTimeout(reply, 800);
  else reply();
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const path = (req.url || '/').split('?')[0];
  const done = (code, body, type = 'application/json') => {
    const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
    res.writeHead(code, { 'content-type': type, 'x-demo-version': release.version });
    res.end(text);
    // the request line as sent (path and query), its id, the answer: no header values (tokens stay out)
    const id = String(req.headers['x-request-id'] || '-').slice(0, 100);
    console.log(`${req.method} ${(req.url || '/').slice(0, 2048)} ${code} id=${id}`);
    const known = ['/', '/healthz', '/version', '/metrics', '/api/ping', '/checkout'].includes(path) ? path : 'other';
    metrics.observe(known, code, Number(process.hrtime.bigint() - started) / 1e9);
    for (const [flag, variant] of Object.entries(variants)) metrics.observeFlag(flag, variant, code);
  };
  const variants = {}; // flag -> variant this request was served with (flags.js hook)
  const user = String(req.headers['x-user-id'] || '').slice(0, 200);
  if (path === '/healthz') return done(200, { ok: true });
  // 'auth-storm': a broken auth layer refuses everyone (health stays green, so only analysis can tell).
  if (fault === 'auth-storm') return done(401, { error: 'unauthorized' });
  if (path === '/api/ping') {
    apiServed += 1;
    if (fault === 'api-errors' && apiServed % 10 < 3) return done(500, { error: 'injected failure on /api/ping' });
    return done(200, { pong: true, version: release.version });
  }
  if (path === '/version') return done(200, { version: release.version, fault });
  if (path === '/metrics') return done(200, metrics.render(), 'text/plain; version=0.0.4');
  if (path === '/') {
    flags.isOn('new-greeting', user, variants).then((on) => work(res, done, on ? 'world, from the new greeting' : 'world'));
    return undefined;
  }
  if (path === '/checkout') {
    flags.isOn('new-checkout', user, variants).then((on) => {
      checkouts += 1;
      // the new checkout flow, shipped dark, has a bug: one checkout in five fails
      if (on && checkouts % 5 === 0) return done(500, { error: 'checkout failed (new flow)' });
      return done(200, { checkout: on ? 'new' : 'classic', version: release.version });
    });
    return undefined;
  }
  if (api(req, path, fault, done)) return undefined;
  return done(404, { error: 'not found' });
});

server.keepAliveTimeout = 5000;
server.listen(port, () => console.log(`demo-service ${release.version} (fault: ${fault}) listening on :${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  // close() waits for every connection; idle keep-alive ones (Prometheus scrapes every second) are closed at
  // once, so a stop takes milliseconds instead of the engine's whole grace period (promotion removes the old release)
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections?.();
  });
}
