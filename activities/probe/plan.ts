import { endpointName, type SecurityEndpoint } from '../../model/runtime-security';

/**
 * The probes of the runtime security stage, planned from the declared endpoints alone (pure): no
 * credentials and bad tokens against `auth: required` endpoints, malformed inputs against every endpoint.
 * Every probe carries a unique request id (header and query) so the candidate's logs can be checked for it.
 */
export type ProbeKind =
  | 'no-credentials'
  | 'malformed-token'
  | 'expired-token'
  | 'injection-query'
  | 'malformed-json'
  | 'wrong-types'
  | 'unexpected-fields'
  | 'oversized-body'
  | 'injection-body';

export interface Probe {
  /** Unique request id: `x-request-id` header and `airlock_probe` query parameter. */
  id: string;
  kind: ProbeKind;
  /** `GET /api/entries` */
  endpoint: string;
  /** What answers to this probe prove: auth probes must be refused, input probes must be 4xx. */
  check: 'authentication' | 'input_validation';
  /** Body probes: a 2xx means the endpoint accepted malformed input (a violation under `strict`). */
  expectsRejection: boolean;
  method: string;
  /** Path and query, as sent. */
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** Credential-like values sent (bad tokens): they must never appear in the logs. */
  secrets: string[];
}

/** Bounded: an oversized body is 64 KiB, enough to trip a missing size limit without being a load test. */
export const OVERSIZED_BYTES = 64 * 1024;
/** Upper bound of probes per endpoint (the stage's request budget is endpoints x this). */
export const MAX_PROBES_PER_ENDPOINT = 9;

export const INJECTIONS = ["' OR '1'='1", '"><script>alert(1)</script>', '../../../../etc/passwd', '${jndi:ldap://127.0.0.1/x}', '; cat /etc/passwd', '{"$gt":""}'];

const b64url = (s: string): string => Buffer.from(s).toString('base64url');

/** A JWT that expired in 2001, with a signature nobody can verify: a service that only decodes it is caught. */
export function expiredJwt(nonce: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ sub: 'airlock-probe', iat: 978307200, exp: 978310800, jti: nonce }));
  return `${header}.${payload}.${b64url(`airlock-probe-signature-${nonce}`)}`;
}

const sample: Record<string, unknown> = { string: 'airlock', number: 1, boolean: true, object: {}, array: [] };
const wrong: Record<string, unknown> = { string: 12345, number: 'not-a-number', boolean: 'yes', object: 'x', array: { not: 'an array' } };

/** A body matching the declaration (for the auth probes: only credentials differ from a real request). */
const validBody = (e: SecurityEndpoint) => Object.fromEntries(Object.entries(e.body ?? {}).map(([k, t]) => [k, sample[t]]));
const takesBody = (e: SecurityEndpoint): boolean => e.body !== undefined || ['POST', 'PUT', 'PATCH'].includes(e.method);

/**
 * The probe list for `endpoints`; `nonce` (random per run, chosen by the caller) makes the request ids and
 * token values unique, so log lines of this run are told apart from any other.
 */
export function planProbes(endpoints: SecurityEndpoint[], nonce: string): Probe[] {
  if (!/^[a-z0-9]{4,32}$/.test(nonce)) throw new RangeError('nonce must be 4..32 lowercase letters or digits');
  const probes: Probe[] = [];
  endpoints.forEach((e, i) => {
    const name = endpointName(e);
    const add = (kind: ProbeKind, check: Probe['check'], opts: { headers?: Record<string, string>; body?: string; query?: string; secrets?: string[]; expectsRejection?: boolean }) => {
      const id = `airlock-${nonce}-${i + 1}-${probes.length + 1}`;
      const query = `airlock_probe=${id}${opts.query ? `&${opts.query}` : ''}`;
      probes.push({
        id,
        kind,
        endpoint: name,
        check,
        expectsRejection: opts.expectsRejection ?? false,
        method: e.method,
        target: `${e.path}?${query}`,
        headers: { 'x-request-id': id, 'user-agent': 'airlock-probe', ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        ...(opts.body !== undefined ? { body: opts.body } : {}),
        secrets: opts.secrets ?? [],
      });
    };
    const valid = takesBody(e) ? JSON.stringify(validBody(e)) : undefined;
    if (e.auth === 'required') {
      const malformed = `airlock-probe-${nonce}-not-a-token`;
      const expired = expiredJwt(nonce);
      add('no-credentials', 'authentication', valid !== undefined ? { body: valid } : {});
      add('malformed-token', 'authentication', { headers: { authorization: `Bearer ${malformed}` }, secrets: [malformed], ...(valid !== undefined ? { body: valid } : {}) });
      add('expired-token', 'authentication', { headers: { authorization: `Bearer ${expired}` }, secrets: [expired], ...(valid !== undefined ? { body: valid } : {}) });
    }
    add('injection-query', 'input_validation', { query: INJECTIONS.map((v, n) => `q${n}=${encodeURIComponent(v)}`).join('&') });
    if (!takesBody(e)) return;
    add('malformed-json', 'input_validation', { body: '{"airlock": ', expectsRejection: true });
    add('oversized-body', 'input_validation', { body: JSON.stringify({ airlock: 'x'.repeat(OVERSIZED_BYTES) }), expectsRejection: true });
    const fields = Object.entries(e.body ?? {});
    if (fields.length === 0) return;
    add('wrong-types', 'input_validation', { body: JSON.stringify(Object.fromEntries(fields.map(([k, t]) => [k, wrong[t]]))), expectsRejection: true });
    add('unexpected-fields', 'input_validation', { body: JSON.stringify({ ...validBody(e), airlock_unexpected: true, isAdmin: true }), expectsRejection: true });
    // injection strings are well-typed: a strict service may accept them (2xx), it must not fail (5xx)
    const strings = fields.filter(([, t]) => t === 'string');
    if (strings.length) add('injection-body', 'input_validation', { body: JSON.stringify({ ...validBody(e), ...Object.fromEntries(strings.map(([k], n) => [k, INJECTIONS[n % INJECTIONS.length]])) }) });
  });
  return probes;
}
