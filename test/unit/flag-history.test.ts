import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFlagTimeline, isFlagWorkflowId, renderFlagTimeline } from '../../cli/history/flag-timeline';
import { historyFromJson } from '../workflow/support/history-json';

// `airlock history` of flag changes (issue 18), from the recorded histories of the flag workflows
// (test/fixtures/histories/flag-*-flag-evidence.json, written by record-histories.ts).

const DIR = join(__dirname, '..', 'fixtures', 'histories');
const ids = JSON.parse(readFileSync(join(DIR, 'workflow-ids.json'), 'utf8')) as Record<string, string>;
const timeline = (file: string) => buildFlagTimeline(ids[file]!, historyFromJson(readFileSync(join(DIR, file), 'utf8')).events ?? []);

test('flag workflow ids are told from pipeline ids', () => {
  expect(isFlagWorkflowId('airlock-flag/demo/production/new-checkout')).toBe(true);
  expect(isFlagWorkflowId('airlock-flag-kill/demo/production/new-checkout/0a1b')).toBe(true);
  expect(isFlagWorkflowId('airlock/demo/production/abc')).toBe(false);
});

test("a rollout killed by its analysis: steps, each window's variants, thresholds, the outcome and its record in the chain", () => {
  const tl = timeline('flag-rollout-killed-flag-evidence.json');
  expect(tl).toMatchObject({
    kind: 'rollout',
    status: 'completed',
    flag: 'new-checkout',
    steps: [25, 50, 100],
    requestedBy: 'dana',
    source: { pipelineId: 'airlock/demo/prod/abc', commit: 'a'.repeat(40), risk: { level: 'low' }, thresholds: { minRequests: 40 } },
    outcome: { kind: 'killed', step: 2, share: 50, by: 'airlock' },
    evidence: { recorded: true, image: expect.stringMatching(/@sha256:b{64}$/) },
  });
  expect(tl.shares.map((s) => s.share)).toEqual([25, 50]);
  expect(tl.windows.map((w) => [w.share, w.verdict])).toEqual([[25, 'pass'], [50, 'fail']]);
  const text = renderFlagTimeline(tl);
  expect(text).toContain('outcome: new-checkout rollout 25,50,100: killed at step 2 (50%) by airlock: step 2 (50%): on: 5xx 20.0% > 2.0% (10/50)');
  expect(text).toContain('thresholds (protected policy): on 5xx <= 1%');
  expect(text).toMatch(/evidence: flag link in the chain of 127\.0\.0\.1:5000\/demo@sha256:b{64}/);
});

test('a high-risk rollout shows its approvals; a kill shows its signer and reason', () => {
  const approved = timeline('flag-rollout-high-approved-flag-evidence.json');
  expect(approved.approvals.map((a) => a.approver)).toEqual(['alice', 'sam']);
  expect(approved.outcome).toEqual({ kind: 'completed', share: 100 });
  const kill = timeline('flag-kill-flag-evidence.json');
  expect(kill).toMatchObject({ kind: 'kill', requestedBy: 'alice', reason: 'recorded', evidence: { recorded: true } });
  expect(renderFlagTimeline(kill)).toContain('outcome: new-checkout kill: killed by alice: recorded');
});

test('a history from before patch flag-evidence says nothing about the chain', () => {
  expect(timeline('flag-rollout-killed.json').evidence).toBeUndefined();
});
