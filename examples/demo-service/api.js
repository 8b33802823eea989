// The demo's small API, the surface airlock.yaml declares under `security.endpoints`:
//   GET  /api/entries  auth required: `Authorization: Bearer <DEMO_TOKEN>` (unset: nobody gets in)
//   POST /api/entries  public, strict JSON body {"text": "<1..200 chars>"}; at most 4 KiB
// Faults (release.js `fault` or DEMO_FAULT): 'no-auth' drops the token check of GET /api/entries;
// 'stack-trace' answers a body that is not JSON with a 500 and the parser's stack trace.
'use strict';

const { timingSafeEqual } = require('node:crypto');

const MAX_BODY = 4096;
/** Bytes read (and dropped) past the limit before answering 413, so the client sees the answer. */
const DRAIN_LIMIT = 256 * 1024;
const entries = [];

function authorized(req) {
  const token = process.env.DEMO_TOKEN;
  const header = req.headers.authorization || '';
  if (!token || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function readBody(req, done) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= MAX_BODY) chunks.push(c);
    else if (size > DRAIN_LIMIT) req.destroy();
  });
  req.on('end', () => done(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8'), size));
}

/** Exactly {"text": string of 1..200 characters}: anything else is refused. */
function validEntry(value) {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof value.text === 'string' &&
    value.text.length >= 1 &&
    value.text.length <= 200
  );
}

function api(req, path, fault, done) {
  if (path !== '/api/entries') return false;
  if (req.method === 'GET') {
    if (fault !== 'no-auth' && !authorized(req)) return done(401, { error: 'unauthorized' }), true;
    return done(200, { entries }), true;
  }
  if (req.method === 'POST') {
    readBody(req, (text) => {
      if (text === null) return done(413, { error: 'body too large' });
      let value;
      try {
        value = JSON.parse(text);
      } catch (err) {
        if (fault === 'stack-trace') return done(500, `${err.stack}\n`, 'text/plain');
        return done(400, { error: 'body must be JSON' });
      }
      if (!validEntry(value)) return done(400, { error: 'body must be {"text": "<1..200 characters>"}' });
      entries.push({ text: value.text, at: new Date().toISOString() });
      if (entries.length > 100) entries.shift();
      return done(201, { ok: true });
    });
    return true;
  }
  done(405, { error: 'method not allowed' });
  return true;
}

module.exports = { api };
