import type { PolicyException, SecurityRequirements } from '../../model/policy';
import {
  MAX_FINDINGS,
  RUNTIME_CHECKS,
  type CheckStatus,
  type RuntimeCheck,
  type RuntimeFinding,
  type RuntimeSecurityReport,
} from '../../model/runtime-security';
import { applyExceptions, normalizeId } from '../policy/exceptions';
import type { Probe } from './plan';

/** What came back for one probe (the first bytes of the body only). */
export interface ProbeResponse {
  id: string;
  /** null: no HTTP answer (timeout, reset, refused, or not sent because the budget ran out). */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  error?: 'timeout' | 'not-sent' | string;
  ms: number;
  /** TLS version negotiated (https only). */
  tls?: string | null;
}

/** Everything the judge looks at; `logs` undefined: the candidate's logs could not be read (not checked). */
export interface JudgeInput {
  url: string;
  requirements: SecurityRequirements;
  exceptions: PolicyException[];
  probes: Probe[];
  responses: ProbeResponse[];
  logs?: string;
  endpoints: number;
  durationMs: number;
  now: Date;
}

/** Which security_requirements values make a check's findings blocking. */
const ENFORCED: Record<RuntimeCheck, readonly string[]> = {
  authentication: ['mandatory'],
  input_validation: ['strict', 'basic'],
  error_handling: ['secure'],
  encryption_in_transit: ['required'],
  logging: ['comprehensive', 'basic'],
};
const required = (req: SecurityRequirements, check: RuntimeCheck): boolean => ENFORCED[check].includes(req[check] ?? '');

// Error-handling leaks: stack frames of the common runtimes, absolute source paths, framework banners.
const STACK_PATTERNS: [RegExp, string][] = [
  [/\n\s+at [^\n]+\(?[^\n()]+:\d+:\d+\)?/, 'a JavaScript stack trace'],
  [/Traceback \(most recent call last\)/, 'a Python traceback'],
  [/\bat [a-z][\w$]*(\.[\w$]+)+\([\w$]+\.java:\d+\)/, 'a Java stack trace'],
  [/\bgoroutine \d+ \[[a-z ]+\]:/, 'a Go panic trace'],
  [/\b[A-Za-z]*(Error|Exception): [^\n]*\n\s+(at|File) /, 'an exception with its stack'],
];
const PATH_PATTERN = /(?:^|[\s"'(=])((?:\/(?:app|usr|home|srv|opt|var|root|src|tmp|workspace)\/[\w.@/-]+\.(?:js|ts|mjs|cjs|py|rb|go|java|php))|(?:[A-Z]:\\[\w\\.-]+\.\w+))/;
const BANNER_PATTERN = /\b(Express|Werkzeug|Django|Flask|Spring Boot|Apache Tomcat|Kestrel|PHP)\/?\s?v?\d+(\.\d+)*/i;

/** Leaks in one response: headers and body. */
export function leaksOf(r: Pick<ProbeResponse, 'headers' | 'body'>): string[] {
  const out: string[] = [];
  const powered = r.headers['x-powered-by'];
  if (powered) out.push(`header X-Powered-By: ${powered.slice(0, 60)}`);
  const server = r.headers['server'];
  if (server && /\d/.test(server)) out.push(`header Server with a version: ${server.slice(0, 60)}`);
  for (const [re, what] of STACK_PATTERNS) if (re.test(r.body)) out.push(`${what} in the body`);
  const path = PATH_PATTERN.exec(r.body)?.[1];
  if (path) out.push(`a file path in the body (${path.slice(0, 80)})`);
  const banner = BANNER_PATTERN.exec(r.body)?.[0];
  if (banner) out.push(`a framework banner in the body (${banner})`);
  return [...new Set(out)];
}

/** A finding before the policy decides whether it blocks. */
export interface RawFinding {
  check: RuntimeCheck;
  endpoint: string;
  probe: string;
  detail: string;
  /** Blocks under `input_validation: strict` only (malformed input accepted, not failed on). */
  strictOnly?: true;
}

const answered = (r: ProbeResponse | undefined): string =>
  !r ? 'no response recorded' : r.status !== null ? `answered ${r.status}` : r.error === 'timeout' ? 'did not answer in time (hang)' : r.error === 'not-sent' ? 'was not sent: the stage ran out of time' : `failed (${r.error ?? 'no answer'})`;

/** Raw findings of the responses, before requirements and exceptions decide which block. */
export function findingsOf(input: Pick<JudgeInput, 'probes' | 'responses' | 'logs' | 'url'>): RawFinding[] {
  const byId = new Map(input.responses.map((r) => [r.id, r]));
  const out: RawFinding[] = [];
  for (const p of input.probes) {
    const r = byId.get(p.id);
    const probe = `${p.kind} (${p.id})`;
    const status = r?.status ?? null;
    if (p.check === 'authentication') {
      if (status === null) out.push({ check: 'authentication', endpoint: p.endpoint, probe, detail: `${p.kind} ${answered(r)}, expected 401 or 403` });
      else if (status < 400) out.push({ check: 'authentication', endpoint: p.endpoint, probe, detail: `answered ${status} to a request with ${describe(p)}: expected 401 or 403` });
      else if (status >= 500) out.push({ check: 'input_validation', endpoint: p.endpoint, probe, detail: `answered ${status} to a request with ${describe(p)}` });
    } else {
      if (status === null || status >= 500) out.push({ check: 'input_validation', endpoint: p.endpoint, probe, detail: `${p.kind} ${answered(r)}: malformed input must get a 4xx` });
      else if (p.expectsRejection && status < 400)
        out.push({ check: 'input_validation', endpoint: p.endpoint, probe, detail: `${p.kind} was accepted (${status}): strict validation answers 4xx`, strictOnly: true });
    }
    if (r) for (const leak of leaksOf(r)) out.push({ check: 'error_handling', endpoint: p.endpoint, probe, detail: `${leak} (answer ${r.status ?? 'none'} to ${p.kind})` });
  }
  const https = new URL(input.url).protocol === 'https:';
  if (https) {
    const first = input.responses.find((r) => r.status !== null);
    if (first && !(first.tls === 'TLSv1.2' || first.tls === 'TLSv1.3')) out.push({ check: 'encryption_in_transit', endpoint: '*', probe: 'tls', detail: `negotiated ${first.tls ?? 'no TLS'}: TLS 1.2 or newer is required` });
    const noHsts = input.responses.filter((r) => r.status !== null && !/max-age=[1-9]/.test(r.headers['strict-transport-security'] ?? ''));
    if (noHsts.length) out.push({ check: 'encryption_in_transit', endpoint: '*', probe: 'hsts', detail: `${noHsts.length} of ${input.responses.length} answers carry no Strict-Transport-Security with a max-age` });
  }
  if (input.logs !== undefined) out.push(...logFindings(input.probes, input.logs));
  return out;
}

const describe = (p: Probe): string =>
  p.kind === 'no-credentials' ? 'no credentials' : p.kind === 'malformed-token' ? 'a malformed bearer token' : p.kind === 'expired-token' ? 'an expired JWT' : p.kind;

/** Every probe's request id in the logs (per endpoint), and no token the probes sent. */
export function logFindings(probes: Probe[], logs: string): RawFinding[] {
  const out: RawFinding[] = [];
  const missing = new Map<string, string[]>();
  for (const p of probes) if (!logs.includes(p.id)) missing.set(p.endpoint, [...(missing.get(p.endpoint) ?? []), p.id]);
  for (const [endpoint, ids] of missing)
    out.push({ check: 'logging', endpoint, probe: 'request-logged', detail: `${ids.length} probe request(s) not in the candidate's logs (request id ${ids[0]}${ids.length > 1 ? ', ...' : ''})` });
  for (const p of probes)
    for (const s of p.secrets) if (logs.includes(s)) out.push({ check: 'logging', endpoint: p.endpoint, probe: `secret-in-logs (${p.id})`, detail: `the bearer token sent by ${p.kind} appears verbatim in the logs` });
  return out;
}

/** Per check: the status, given the requirement and what was probed. */
function statusOf(check: RuntimeCheck, input: JudgeInput, blocking: RuntimeFinding[], reported: number): { status: CheckStatus; detail: string } {
  const want = input.requirements[check];
  if (check === 'encryption_in_transit' && new URL(input.url).protocol !== 'https:')
    return { status: 'not-served', detail: `the candidate serves plain HTTP at ${input.url}: TLS is terminated elsewhere (router or ingress), not verified here` };
  if (!required(input.requirements, check)) return { status: 'not-checked', detail: `not required by the policy (${check}: ${want ?? 'unset'}); ${reported} finding(s) reported` };
  if (blocking.length) return { status: 'violated', detail: `${blocking.length} blocking finding(s)` };
  if (check === 'authentication' && !input.probes.some((p) => p.check === 'authentication'))
    return { status: 'not-checked', detail: 'no declared endpoint has auth: required' };
  if (check === 'logging' && input.logs === undefined) return { status: 'not-checked', detail: "the candidate's logs could not be read" };
  return { status: 'verified', detail: `${want}: held for ${input.probes.length} probe(s) of ${input.endpoints} endpoint(s)` };
}

/**
 * The stage's verdict: raw findings, made blocking by the policy's security_requirements, then the
 * policy's exceptions (id `runtime.<check>`, `packages` naming endpoints like `GET /api/entries`) applied.
 */
export function judgeProbes(input: JudgeInput): RuntimeSecurityReport {
  const raw = findingsOf(input);
  const logging = input.requirements.logging;
  const candidates = raw.map((f) => {
    // `logging: basic` needs no secrets in the logs; `comprehensive` also every request logged
    const relaxed = (f.check === 'logging' && logging === 'basic' && f.probe === 'request-logged') || (f.strictOnly && input.requirements.input_validation !== 'strict');
    const enforced = required(input.requirements, f.check) && !relaxed;
    const { strictOnly: _, ...finding } = f;
    return {
      finding,
      violation: { rule: `runtime.${f.check}`, severity: 'high' as const, detail: f.detail, blocking: enforced, subject: `runtime.${f.check}` },
      subject: { id: `runtime.${f.check}`, pkg: f.endpoint, label: `${f.check} on ${f.endpoint}` },
    };
  });
  const { violations, applied } = applyExceptions({ exceptions: input.exceptions }, input.now, candidates);
  const stillBlocking = new Set(violations.filter((v) => v.blocking));
  const findings: RuntimeFinding[] = candidates.map((c) => ({ ...c.finding, blocking: stillBlocking.has(c.violation) }));
  // an expired exception is a notice of its own (applyExceptions adds it): kept as a non-blocking finding
  for (const v of violations) {
    const check = RUNTIME_CHECKS.find((c) => normalizeId(v.subject ?? '') === `runtime.${c}`);
    if (v.rule === 'exception.expired' && check) findings.push({ check, endpoint: '*', probe: 'exception', detail: v.detail, blocking: false });
  }
  findings.sort((a, b) => Number(b.blocking) - Number(a.blocking));
  const checks = Object.fromEntries(
    RUNTIME_CHECKS.map((c) => [c, statusOf(c, input, findings.filter((f) => f.check === c && f.blocking), findings.filter((f) => f.check === c).length)]),
  ) as RuntimeSecurityReport['checks'];
  return {
    url: input.url,
    endpoints: input.endpoints,
    requests: input.responses.filter((r) => r.error !== 'not-sent').length,
    durationMs: input.durationMs,
    checks,
    findings: findings.slice(0, MAX_FINDINGS),
    findingCount: findings.length,
    exceptionsApplied: applied.map((a) => ({ id: a.id, owner: a.owner, expires: a.expires, covered: a.covered })),
    passed: !findings.some((f) => f.blocking),
    at: input.now.toISOString(),
  };
}
