import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { demuxLogs, judgeProbes, leaksOf, planProbes, runProbes, sendProbes, type Probe, type ProbeResponse } from '../../activities/probe';
import { OVERSIZED_BYTES } from '../../activities/probe/plan';
import { manifestSchema } from '../../model/manifest';
import { InvalidInputError, parseWith } from '../../model/parse';
import { securitySurfaceSchema, type SecurityEndpoint } from '../../model/runtime-security';
import type { SecurityRequirements } from '../../model/policy';

const endpoints: SecurityEndpoint[] = [
  { path: '/', method: 'GET', auth: 'public' },
  { path: '/api/entries', method: 'GET', auth: 'required' },
  { path: '/api/entries', method: 'POST', auth: 'public', body: { title: 'string', count: 'number' } },
];
const STRICT: SecurityRequirements = { authentication: 'mandatory', input_validation: 'strict', error_handling: 'secure', encryption_in_transit: 'required', logging: 'comprehensive' };
const NOW = new Date('2026-06-01T00:00:00Z');

/** A well-behaved answer to every probe: 401 for auth probes, 400 for body probes, 200 otherwise. */
const good = (p: Probe): ProbeResponse => ({
  id: p.id,
  status: p.check === 'authentication' ? 401 : p.expectsRejection ? 400 : 200,
  headers: { 'content-type': 'application/json' },
  body: '{"error":"bad request"}',
  ms: 1,
});
const judge = (probes: Probe[], answer: (p: Probe) => ProbeResponse, extra: Partial<Parameters<typeof judgeProbes>[0]> = {}) =>
  judgeProbes({ url: 'http://127.0.0.1:9', requirements: STRICT, exceptions: [], probes, responses: probes.map(answer), logs: probes.map((p) => `GET ${p.target} id=${p.id}`).join('\n'), endpoints: 3, durationMs: 5, now: NOW, ...extra });

describe('planProbes', () => {
  const probes = planProbes(endpoints, 'abc123');
  it('gives every probe a unique request id, in a header and in the query', () => {
    expect(new Set(probes.map((p) => p.id)).size).toBe(probes.length);
    for (const p of probes) {
      expect(p.headers['x-request-id']).toBe(p.id);
      expect(p.target).toContain(`airlock_probe=${p.id}`);
    }
  });
  it('sends auth probes (none, malformed bearer, expired JWT) to auth: required endpoints only', () => {
    const auth = probes.filter((p) => p.check === 'authentication');
    expect(auth.map((p) => `${p.endpoint} ${p.kind}`)).toEqual(['GET /api/entries no-credentials', 'GET /api/entries malformed-token', 'GET /api/entries expired-token']);
    expect(auth[0]!.headers.authorization).toBeUndefined();
    const jwt = auth[2]!.headers.authorization!.replace('Bearer ', '');
    expect(JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).exp * 1000).toBeLessThan(Date.now());
    expect(auth[1]!.secrets).toHaveLength(1);
  });
  it('sends malformed bodies (bounded) to endpoints that take one', () => {
    const post = probes.filter((p) => p.endpoint === 'POST /api/entries').map((p) => p.kind);
    expect(post).toEqual(['injection-query', 'malformed-json', 'oversized-body', 'wrong-types', 'unexpected-fields', 'injection-body']);
    const big = probes.find((p) => p.kind === 'oversized-body')!;
    expect(Buffer.byteLength(big.body!)).toBeGreaterThanOrEqual(OVERSIZED_BYTES);
    expect(Buffer.byteLength(big.body!)).toBeLessThan(OVERSIZED_BYTES + 100);
    expect(JSON.parse(probes.find((p) => p.kind === 'wrong-types')!.body!)).toEqual({ title: 12345, count: 'not-a-number' });
  });
  it('refuses a nonce that could break out of a header or log line', () => {
    expect(() => planProbes(endpoints, 'a b\n')).toThrow(RangeError);
  });
});

describe('judgeProbes', () => {
  const probes = planProbes(endpoints, 'abc123');
  it('passes a service that refuses, validates and logs', () => {
    const r = judge(probes, good);
    expect(r.passed).toBe(true);
    expect(r.checks.authentication.status).toBe('verified');
    expect(r.checks.input_validation.status).toBe('verified');
    expect(r.checks.logging.status).toBe('verified');
    expect(r.checks.encryption_in_transit).toEqual({ status: 'not-served', detail: expect.stringContaining('TLS is terminated elsewhere') });
  });
  it('a 2xx without credentials on an auth: required endpoint blocks, naming the endpoint', () => {
    const r = judge(probes, (p) => (p.kind === 'no-credentials' ? { ...good(p), status: 200 } : good(p)));
    expect(r.passed).toBe(false);
    expect(r.checks.authentication.status).toBe('violated');
    expect(r.findings[0]).toMatchObject({ check: 'authentication', endpoint: 'GET /api/entries', blocking: true, detail: expect.stringContaining('answered 200 to a request with no credentials') });
  });
  it('a 5xx or a hang on malformed input blocks; an accepted malformed body blocks under strict only', () => {
    const five = judge(probes, (p) => (p.kind === 'malformed-json' ? { ...good(p), status: 500 } : p.kind === 'oversized-body' ? { ...good(p), status: null, error: 'timeout' } : good(p)));
    expect(five.findings.filter((f) => f.blocking).map((f) => f.detail)).toEqual([
      expect.stringContaining('malformed-json answered 500'),
      expect.stringContaining('oversized-body did not answer in time (hang)'),
    ]);
    const accepted = (p: Probe) => (p.kind === 'unexpected-fields' ? { ...good(p), status: 201 } : good(p));
    expect(judge(probes, accepted).passed).toBe(false);
    expect(judge(probes, accepted, { requirements: { ...STRICT, input_validation: 'basic' } }).passed).toBe(true);
  });
  it('stack traces, file paths and framework banners are error-handling violations', () => {
    const trace = 'SyntaxError: Unexpected end of JSON input\n    at JSON.parse (<anonymous>)\n    at IncomingMessage.<anonymous> (/app/server.js:31:22)';
    const r = judge(probes, (p) => (p.kind === 'malformed-json' ? { ...good(p), body: trace } : good(p)));
    expect(r.passed).toBe(false);
    expect(r.findings.filter((f) => f.check === 'error_handling').map((f) => f.detail)).toEqual([
      expect.stringContaining('a JavaScript stack trace'),
      expect.stringContaining('an exception with its stack'),
      expect.stringContaining('a file path in the body (/app/server.js'),
    ]);
    expect(leaksOf({ headers: { 'x-powered-by': 'Express' }, body: '' })).toEqual(['header X-Powered-By: Express']);
    expect(leaksOf({ headers: { server: 'nginx/1.25.3' }, body: '' })).toEqual(['header Server with a version: nginx/1.25.3']);
    expect(leaksOf({ headers: { server: 'nginx' }, body: '{"error":"bad request"}' })).toEqual([]);
  });
  it('logging: a probe missing from the logs, or a token in them, is a violation', () => {
    const missing = judge(probes, good, { logs: '' });
    expect(missing.checks.logging.status).toBe('violated');
    expect(missing.findings.filter((f) => f.check === 'logging').map((f) => f.endpoint)).toEqual(['GET /', 'GET /api/entries', 'POST /api/entries']);
    const token = probes.find((p) => p.kind === 'malformed-token')!.secrets[0]!;
    const leaked = judge(probes, good, { logs: `${probes.map((p) => p.id).join('\n')}\nauthorization: Bearer ${token}` });
    expect(leaked.findings).toEqual([expect.objectContaining({ check: 'logging', blocking: true, detail: expect.stringContaining('appears verbatim in the logs') })]);
    // basic logging: only secrets block
    expect(judge(probes, good, { logs: '', requirements: { ...STRICT, logging: 'basic' } }).passed).toBe(true);
    expect(judge(probes, good, { logs: undefined }).checks.logging.status).toBe('not-checked');
  });
  it('findings of a check the policy does not require are reported, not blocking', () => {
    const r = judge(probes, (p) => (p.kind === 'no-credentials' ? { ...good(p), status: 200 } : good(p)), { requirements: {} });
    expect(r.passed).toBe(true);
    expect(r.findings[0]).toMatchObject({ check: 'authentication', blocking: false });
    expect(r.checks.authentication.status).toBe('not-checked');
  });
  it("the policy's exceptions (owner, expiry, endpoints in `packages`) apply; expired ones do not", () => {
    const open = (p: Probe) => (p.kind === 'no-credentials' ? { ...good(p), status: 200 } : good(p));
    const exception = { id: 'runtime.authentication', owner: 'sec@example.com', reason: 'read-only catalogue', expires: '2026-07-01', packages: ['GET /api/entries'] };
    const r = judge(probes, open, { exceptions: [exception] });
    expect(r.passed).toBe(true);
    expect(r.exceptionsApplied).toEqual([{ id: 'runtime.authentication', owner: 'sec@example.com', expires: '2026-07-01', covered: ['authentication on GET /api/entries'] }]);
    const otherEndpoint = judge(probes, open, { exceptions: [{ ...exception, packages: ['GET /'] }] });
    expect(otherEndpoint.passed).toBe(false);
    const expired = judge(probes, open, { exceptions: [{ ...exception, expires: '2026-05-01' }] });
    expect(expired.passed).toBe(false);
    expect(expired.findings.map((f) => f.detail)).toContainEqual(expect.stringContaining('expired 2026-05-01'));
  });
  it('over https: TLS below 1.2 or no HSTS is an encryption_in_transit violation', () => {
    const tls = (version: string, hsts: boolean) => (p: Probe): ProbeResponse => ({ ...good(p), tls: version, headers: hsts ? { 'strict-transport-security': 'max-age=31536000' } : ({} as Record<string, string>) });
    expect(judge(probes, tls('TLSv1.3', true), { url: 'https://127.0.0.1:9' }).checks.encryption_in_transit.status).toBe('verified');
    expect(judge(probes, tls('TLSv1.1', true), { url: 'https://127.0.0.1:9' }).checks.encryption_in_transit.status).toBe('violated');
    expect(judge(probes, tls('TLSv1.3', false), { url: 'https://127.0.0.1:9' }).findings[0]!.detail).toContain('Strict-Transport-Security');
  });
  it('probes left unsent when the budget ran out count against the check, never as passed', () => {
    const r = judge(probes, (p) => (p.kind === 'expired-token' ? { id: p.id, status: null, headers: {}, body: '', error: 'not-sent', ms: 0 } : good(p)));
    expect(r.passed).toBe(false);
    expect(r.findings[0]!.detail).toContain('was not sent: the stage ran out of time');
  });
});

describe('manifest security.endpoints', () => {
  const base = { service: 'svc', build: {}, run: { port: 8080, health: '/healthz' }, environments: { staging: { routerPort: 18080 } } };
  it('parses the declared surface (method defaults to GET)', () => {
    const m = manifestSchema.parse({ ...base, security: { endpoints: [{ path: '/api', auth: 'required' }] } });
    expect(m.security?.endpoints).toEqual([{ path: '/api', method: 'GET', auth: 'required' }]);
  });
  it('rejects bad declarations with path: message lines', () => {
    const bad = { endpoints: [{ path: 'api?x=1', auth: 'sometimes', extra: 1 }, { path: '/a', auth: 'public' }, { path: '/a', auth: 'public' }] };
    let err: unknown;
    try {
      parseWith(securitySurfaceSchema, bad, 'airlock.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    const text = (err as Error).message;
    expect(text).toContain('endpoints.0.path');
    expect(text).toContain('endpoints.0.auth');
    expect(text).toMatch(/endpoints\.0.*extra|Unrecognized key/);
  });
});

describe('sendProbes and runProbes against a local server', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url?.startsWith('/hang')) return; // never answers
      req.resume();
      req.on('end', () => {
        res.writeHead(req.headers.authorization === 'Bearer good' ? 200 : 401, { 'content-type': 'application/json' });
        res.end('{"error":"unauthorized"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('refuses a non-loopback URL before sending anything', async () => {
    await expect(sendProbes('http://10.1.2.3:8080', planProbes(endpoints, 'abcd'))).rejects.toThrow('security probes only goes to loopback addresses, not 10.1.2.3');
    await expect(runProbes({ url: 'http://example.com', endpoints, requirements: STRICT, exceptions: [] })).rejects.toThrow(RangeError);
  });
  it('a hang is a timeout, and the budget bounds the run', async () => {
    const probes = planProbes([{ path: '/hang', method: 'GET', auth: 'public' }, ...endpoints], 'abcd');
    const t = Date.now();
    const r = await sendProbes(url, probes, { timeoutMs: 200, budgetMs: 5000, concurrency: 4, maxRequests: 100 });
    expect(Date.now() - t).toBeLessThan(3000);
    expect(r[0]).toMatchObject({ status: null, error: 'timeout' });
    expect(r.slice(1).every((x) => x.status === 401)).toBe(true);
    const capped = await sendProbes(url, probes, { timeoutMs: 200, budgetMs: 5000, concurrency: 4, maxRequests: 2 });
    expect(capped.filter((x) => x.error === 'not-sent')).toHaveLength(probes.length - 2);
  });
  it('runProbes judges what the server answered', async () => {
    const r = await runProbes({ url, endpoints, requirements: STRICT, exceptions: [] });
    expect(r.checks.authentication.status).toBe('verified');
    expect(r.checks.logging.status).toBe('not-checked');
    expect(r.requests).toBe(planProbes(endpoints, 'abcd').length);
  });
});

describe('demuxLogs', () => {
  it('reads the multiplexed stdout/stderr frames of docker logs', () => {
    const frame = (type: number, text: string) => Buffer.concat([Buffer.from([type, 0, 0, 0]), Buffer.from(new Uint32Array([0]).buffer).fill(0), Buffer.from(text)]);
    const f = (type: number, text: string) => {
      const b = frame(type, text);
      b.writeUInt32BE(Buffer.byteLength(text), 4);
      return b;
    };
    expect(demuxLogs(Buffer.concat([f(1, 'a line\n'), f(2, 'an error\n')]))).toBe('a line\nan error\n');
    expect(demuxLogs(Buffer.from('plain tty text\n'))).toBe('plain tty text\n');
  });
});
