import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTimeline } from '../../cli/history/render';
import { buildTimeline } from '../../cli/history/timeline';
import { historyFromJson } from '../workflow/support/history-json';

// `airlock history` reads the risk and the approval snapshot from the activities' results: the same
// audit view from pipelines started before patch read-once (scoreRisk, readPolicySnapshot) and after
// (assessChange, readBasePolicy).

const DIR = join(__dirname, '..', 'fixtures', 'histories');
const ids = JSON.parse(readFileSync(join(DIR, 'workflow-ids.json'), 'utf8')) as Record<string, string>;
const timeline = (file: string) => buildTimeline(ids[file]!, historyFromJson(readFileSync(join(DIR, file), 'utf8')).events ?? []);

test.each(['low-auto-promote.json', 'low-auto-promote-read-once.json'])('%s: a low risk, approved automatically', (file) => {
  const tl = timeline(file);
  expect(tl.result?.outcome.kind).toBe('promoted');
  expect(tl.risk).toMatchObject({ level: 'low', score: 10 });
  expect(tl.decisions).toEqual([expect.objectContaining({ decision: 'automatic-approve', approver: 'airlock' })]);
});

test.each(['high-two-approvals.json', 'high-two-approvals-read-once.json'])('%s: both approvals verified against the base policy', (file) => {
  const tl = timeline(file);
  expect(tl.result?.outcome.kind).toBe('promoted');
  expect(tl.decisions.map((d) => [d.approver, d.groups, d.signature])).toEqual([
    ['alice', ['dev'], 'verified'],
    ['sam', ['security'], 'verified'],
  ]);
});

test('the read-once path records the reads and the assessment as activities', () => {
  const names = timeline('low-auto-promote-read-once.json').stages.map((s) => s.activity);
  expect(names.slice(0, 3).sort()).toEqual(['assessChange', 'readBasePolicy', 'readManifest']);
  expect(names).not.toContain('scoreRisk');
});

test('the runtime security stage (patch runtime-security): its report, and the rollback it caused', () => {
  const tl = timeline('runtime-security-rollback-runtime-security.json');
  expect(tl.result?.outcome).toMatchObject({ kind: 'rolled_back', step: 0, reason: expect.stringContaining('authentication: GET /api/entries') });
  expect(tl.runtimeSecurity).toMatchObject({ passed: false, checks: { authentication: { status: 'violated' } } });
  const text = renderTimeline(tl);
  expect(text).toContain('runtime security: NOT PASSED');
  expect(text).toContain('BLOCKING authentication GET /api/entries: answered 200 to a request with no credentials');
  expect(tl.stages.map((s) => s.activity)).toEqual(expect.arrayContaining(['deployCandidate', 'verifyRuntimeSecurity', 'rollback']));
});

test('a promotion (patch promotion): every stage names its environment, the approval is the production one', () => {
  const tl = timeline('promotion-promoted.json');
  expect(tl.result?.outcome.kind).toBe('promoted');
  const deploys = tl.stages.filter((s) => s.activity === 'deployCandidate').map((s) => s.environment);
  expect(deploys).toEqual(['staging', 'production']);
  expect(tl.stages.filter((s) => s.activity === 'buildImage')).toHaveLength(1);
  // "passed already?" is a question answered in the history, not a failed stage
  expect(tl.stages.filter((s) => s.result !== 'completed')).toEqual([]);
  expect(tl.decisions.map((d) => [d.approver, d.signature])).toEqual([['alice', 'verified']]);
  const text = renderTimeline(tl);
  expect(text).toMatch(/deployCandidate \[staging\]/);
  expect(text).toMatch(/deployCandidate \[production\]/);
});

test('an Update that is not a decision (trigger --wait: Update-with-Start) is not read as an approval', () => {
  const file = 'high-two-approvals.json';
  const events = [...(historyFromJson(readFileSync(join(DIR, file), 'utf8')).events ?? [])];
  const at = events[0]!.eventTime;
  // what `trigger --wait` adds: the `trigger` Update, no arguments, answered with the state
  const trigger = [
    { eventId: 2, eventTime: at, workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { meta: { updateId: 'start' }, input: { name: 'trigger' } } } },
    { eventId: 3, eventTime: at, workflowExecutionUpdateCompletedEventAttributes: { meta: { updateId: 'start' }, outcome: { success: {} } } },
  ] as unknown as typeof events;
  events.splice(1, 0, ...trigger);
  const tl = buildTimeline(ids[file]!, events);
  expect(tl.decisions.map((d) => [d.approver, d.signature])).toEqual([
    ['alice', 'verified'],
    ['sam', 'verified'],
  ]);
});

test('local activities (patch local-quick-steps) are stages too: the policy verdict is read from their markers', () => {
  const blocked = timeline('blocked-by-policy-local-steps.json');
  expect(blocked.policy).toMatchObject({ allowed: false, violations: [expect.stringContaining('secrets.none')] });
  const policy = blocked.stages.find((s) => s.activity === 'evaluatePolicy');
  expect(policy).toMatchObject({ result: 'completed', local: true, attempts: 1 });
  expect(policy!.durationMs).toBeGreaterThanOrEqual(0);
  expect(Date.parse(policy!.startedAt)).toBeGreaterThan(Date.parse(blocked.startedAt!) - 1);
  const promoted = timeline('low-auto-promote-local-steps.json');
  expect(promoted.policy).toMatchObject({ allowed: true });
  expect(promoted.stages.filter((s) => s.local).map((s) => s.activity)).toEqual(expect.arrayContaining(['evaluatePolicy', 'recheckWindows']));
  expect(renderTimeline(blocked)).toMatch(/evaluatePolicy/);
});

// patch read-change-together: the policy (the approval snapshot) and the assessment come from one readChange result
test('read-change-together: the risk and the snapshot from readChange; the approval verifies against it', () => {
  const low = timeline('low-auto-promote-read-change-together.json');
  expect(low.stages.map((s) => s.activity)).toEqual(expect.arrayContaining(['resolveAnchor', 'readChange']));
  expect(low.stages.map((s) => s.activity)).not.toContain('assessChange');
  expect(low.risk).toMatchObject({ level: 'low', score: 10 });
  expect(low.decisions).toEqual([expect.objectContaining({ decision: 'automatic-approve', approver: 'airlock' })]);
  const medium = timeline('medium-one-approval-read-change-together.json');
  expect(medium.risk).toMatchObject({ level: 'medium' });
  expect(medium.decisions.map((d) => [d.decision, d.signature])).toEqual([['approve', 'verified']]);
  // a first release is high whatever its score (routeRisk), and the timeline says so from readChange too
  expect(timeline('bootstrap-first-release-read-change-together.json').risk).toMatchObject({ level: 'high' });
});

// patch shift-in-analysis: each analyzed step's move is in its analysis' verdict; `airlock history` prints it
test('shift-in-analysis: the steps\' moves are in the canary verdicts, none in shiftTraffic stages', () => {
  const low = timeline('low-auto-promote-shift-in-analysis.json');
  expect(low.stages.map((s) => s.activity)).not.toContain('shiftTraffic');
  expect(low.canary.map((v) => [v.step, v.traffic?.weight])).toEqual([[10, 10], [50, 50], [100, 100]]);
  const text = renderTimeline(low);
  for (const w of [10, 50, 100]) expect(text).toMatch(new RegExp(`at ${w}%: pass[^\\n]*\\n    traffic moved to ${w}% at \\S+ \\(\\d+ ms\\)`));
  // a rollback's give-back is still a shiftTraffic to 0, after the moves made in the analyses
  const bad = timeline('analysis-fails-rollback-shift-in-analysis.json');
  expect(bad.stages.filter((s) => s.activity === 'shiftTraffic')).toHaveLength(1);
  expect(bad.canary.map((v) => v.traffic?.weight)).toEqual([10, 50]);
});
