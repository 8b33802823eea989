import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { buildTimeline } from '../../cli/history/timeline';
import { canaryChart } from '../../cli/ui/chart';
import { decisionRequestSchema } from '../../cli/ui/decide';
import { createUiApp } from '../../cli/ui/app';
import { esc } from '../../cli/ui/html';
import { pipelineLive, pipelinePage, pipelineRows } from '../../cli/ui/pages';
import { allowedHosts, hostAllowed, sameOrigin, SECURITY_HEADERS } from '../../cli/ui/security';
import { historyFromJson } from '../workflow/support/history-json';
import { recordFromHistory } from '../../cli/metrics/record';
import { barChart, metricsPage, metricsSeries } from '../../cli/ui/metrics';
import { computeMetrics } from '../../model/metrics';

// The dashboard's pure parts: the HTTP safety rules, the pages rendered from saved pipeline histories
// (the same timeline as `airlock history`), the canary chart, and the decision payload's schema.

const DIR = join(__dirname, '..', 'fixtures', 'histories');
const ids = JSON.parse(readFileSync(join(DIR, 'workflow-ids.json'), 'utf8')) as Record<string, string>;
const view = (file: string) => {
  const id = ids[file]!;
  return { id, status: 'COMPLETED', timeline: buildTimeline(id, historyFromJson(readFileSync(join(DIR, file), 'utf8')).events ?? []) };
};

describe('hosts and origins', () => {
  const hosts = allowedHosts('127.0.0.1', 8234);
  test('loopback answers its loopback names only', () => {
    expect(hosts).toEqual(['127.0.0.1:8234', 'localhost:8234', '[::1]:8234']);
    expect(hostAllowed('localhost:8234', hosts)).toBe(true);
    expect(hostAllowed('attacker.example:8234', hosts)).toBe(false); // DNS rebinding
    expect(hostAllowed('127.0.0.1:9999', hosts)).toBe(false);
    expect(hostAllowed(undefined, hosts)).toBe(false);
  });
  test('a POST needs the Origin of the page it was served to', () => {
    expect(sameOrigin('http://127.0.0.1:8234', '127.0.0.1:8234', hosts)).toBe(true);
    expect(sameOrigin(undefined, '127.0.0.1:8234', hosts)).toBe(false);
    expect(sameOrigin('null', '127.0.0.1:8234', hosts)).toBe(false);
    expect(sameOrigin('http://evil.example', '127.0.0.1:8234', hosts)).toBe(false);
    expect(sameOrigin('http://localhost:8234', '127.0.0.1:8234', hosts)).toBe(false);
    expect(sameOrigin('https://127.0.0.1:8234', '127.0.0.1:8234', hosts)).toBe(false);
  });
  test('another address is its own single name', () => {
    expect(allowedHosts('10.0.0.5', 80)).toEqual(['10.0.0.5:80']);
  });
});

describe('the server refuses before it reads anything', () => {
  // these requests are refused or served without touching Temporal: a client that throws proves it
  const client = new Proxy({}, { get: () => { throw new Error('Temporal must not be called'); } }) as Client;
  const app = createUiApp({ client, hosts: allowedHosts('127.0.0.1', 8234) });
  const url = 'http://127.0.0.1:8234';

  test('static files come with the security headers', async () => {
    const res = await app.request(`${url}/static/app.js`, { headers: { host: '127.0.0.1:8234' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(k)).toBe(v);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
  test('an unknown Host is refused (421), with the headers', async () => {
    const res = await app.request(`${url}/`, { headers: { host: 'rebound.example:8234' } });
    expect(res.status).toBe(421);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
  test('a POST without the same Origin is refused (403)', async () => {
    for (const origin of [undefined, 'http://evil.example']) {
      const res = await app.request(`${url}/api/decide`, {
        method: 'POST',
        headers: { host: '127.0.0.1:8234', 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body: '{}',
      });
      expect(res.status).toBe(403);
    }
  });
  test('a same-origin POST with a bad payload is a 400 naming the fields', async () => {
    const res = await app.request(`${url}/api/decide`, {
      method: 'POST',
      headers: { host: '127.0.0.1:8234', origin: url, 'content-type': 'application/json' },
      body: JSON.stringify({ pipelineId: 'x', decision: 'approve', approver: 'alice', signature: 'nope', privateKey: 'ab' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/signature: must be a 64-byte ed25519 signature/);
  });
});

describe('decision payloads', () => {
  const sig = 'a'.repeat(128);
  test('the approval fields of the CLI, a pipeline and a decision; nothing else', () => {
    expect(decisionRequestSchema.safeParse({ pipelineId: 'p', decision: 'approve', approver: 'alice', signature: sig }).success).toBe(true);
    expect(decisionRequestSchema.safeParse({ pipelineId: 'p', decision: 'approve', approver: 'alice', signature: sig, key: 'x' }).success).toBe(false);
    expect(decisionRequestSchema.safeParse({ pipelineId: 'p', decision: 'promote', approver: 'alice', signature: sig }).success).toBe(false);
  });
  test('reject and abort say why', () => {
    expect(decisionRequestSchema.safeParse({ pipelineId: 'p', decision: 'reject', approver: 'alice', signature: sig }).success).toBe(false);
    expect(decisionRequestSchema.safeParse({ pipelineId: 'p', decision: 'abort', approver: 'alice', signature: sig, comment: 'stop' }).success).toBe(true);
  });
});

describe('pages from saved histories', () => {
  test('two signed approvals, verified, with their groups', () => {
    const html = pipelineLive(view('high-two-approvals.json'));
    expect(html).toMatch(/<strong>approve<\/strong> by alice \(dev\).*signature verified/);
    expect(html).toMatch(/<strong>approve<\/strong> by sam \(security\).*signature verified/);
    expect(html).toContain('outcome: promoted');
    expect(html).toContain('risk-medium');
  });
  test('a failed analysis: the stages, the verdict and a chart of its measurements', () => {
    const v = view('analysis-fails-rollback.json');
    const html = pipelineLive(v);
    expect(html).toContain('outcome: rolled back');
    expect(html).toMatch(/<td>analyze<\/td>/);
    expect(html).toContain('<svg');
    expect(html).toMatch(/class="pt fail"/);
  });
  test('a finished pipeline offers no controls', () => {
    expect(pipelinePage(view('high-two-approvals.json'))).toMatch(/<section id="decide"[^>]* hidden>/);
  });
  test('a running pipeline with its outcome already (settling the old release after the promote) offers no controls either', () => {
    const v = view('high-two-approvals.json');
    const settling = { ...v, status: 'RUNNING', state: { stage: 'promote', outcome: { kind: 'promoted' } } } as unknown as typeof v;
    expect(pipelinePage(settling)).toMatch(/<section id="decide"[^>]* hidden>/);
    expect(pipelineLive(settling)).toContain('data-running="false"');
    const waiting = { ...v, status: 'RUNNING', state: { stage: 'approval' } } as unknown as typeof v;
    expect(pipelinePage(waiting)).toMatch(/<section id="decide" data-pipeline="[^"]*">/);
  });
  test('no inline script or style: the CSP forbids them', () => {
    const html = pipelinePage(view('analysis-fails-rollback.json'));
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=/);
  });
});

test('values are redacted, then escaped', () => {
  expect(esc('<b>')).toBe('&lt;b&gt;');
  expect(esc('token=ghp_abcdefghijklmnopqrstuvwxyz0123')).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123');
  const rows = pipelineRows(
    [{ pipelineId: 'airlock/demo/prod/<x>', status: 'RUNNING', service: 'demo', environment: 'prod', stage: 'approval', risk: 'medium', outcome: '', author: 'a', started: '2026-01-01T00:00:00.000Z' }],
    Date.parse('2026-01-01T00:01:00Z'),
  );
  expect(rows).toContain('awaiting approval');
  expect(rows).toContain('&lt;x&gt;');
  expect(rows).toContain('>60s<');
});

test('the chart: one per metric, the threshold drawn, nothing when no values', () => {
  const m = (value: number | null, passed: boolean) => ({ metric: 'success-rate', step: 50, value, threshold: 0.99, passed, at: '', query: '' });
  const svg = canaryChart([{ step: 50, verdict: 'fail', measurements: [m(1, true), m(0.5, false)] }]);
  expect(svg.match(/<svg/g)).toHaveLength(1);
  expect(svg).toContain('class="threshold"');
  expect(svg).toMatch(/aria-label="success-rate: 2 measurements at 50%, 1 passed, threshold 0.99"/);
  expect(canaryChart([{ step: 50, verdict: 'pass', measurements: [m(null, true)] }])).toBe('');
});

describe('the metrics page', () => {
  const records = ['high-two-approvals.json', 'analysis-fails-rollback.json', 'low-auto-promote.json'].map((file) =>
    recordFromHistory(ids[file]!, historyFromJson(readFileSync(join(DIR, file), 'utf8')).events ?? []),
  );
  const now = new Date(Date.parse(records[0]!.startedAt) + 3 * 86_400_000);
  test('the window is airlock metrics; each bucket is the same computation over its own days', () => {
    const s = metricsSeries(records, now, 7, {});
    expect(s.total).toEqual(computeMetrics(records, now, { since: new Date(now.getTime() - 7 * 86_400_000), filter: {} }));
    expect(s.buckets.length).toBeGreaterThanOrEqual(7);
    expect(s.buckets.length).toBeLessThanOrEqual(8);
    const promoted = s.buckets.reduce((n, b) => n + b.report.dora.deploymentFrequency.promoted, 0);
    expect(promoted).toBe(s.total.dora.deploymentFrequency.promoted);
    expect(promoted).toBeGreaterThan(0);
  });
  test('cards with bands and a chart per series, no inline code', () => {
    const html = metricsPage(metricsSeries(records, now, 30, {}), 30, {});
    expect(html).toMatch(/deployment frequency/);
    expect(html.match(/<svg/g)?.length).toBe(6);
    expect(html).toContain('deployments per week');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|\sstyle=|<style/);
  });
  test('a bar per bucket; no data is n/a, not zero', () => {
    const svg = barChart('x', [{ label: 'a', value: 2 }, { label: 'b', value: null }], String);
    expect(svg).toContain('aria-label="x: a 2, b n/a"');
  });
});
