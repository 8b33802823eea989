// `airlock metrics` over real pipelines on the real stack: the environment's first release (high risk, two
// human approvals), a docs change (low, automatic, promoted), a bad release (approved, rolled back by the
// canary analysis) and a planted secret (blocked by policy). The expected numbers are computed here by hand
// from each run's own `airlock history --json` and git, not with the metrics code.
import { execFileSync } from 'node:child_process';
import type { Timeline } from '../../cli/history/timeline';
import { SCENARIOS } from '../../cli/demo/scenarios';
import type { MetricsReport } from '../../model/metrics';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS, sleep } from '../support/e2e-world';

const [docs, , bad, secret] = SCENARIOS;
let world: E2eWorld;
const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;
const ids: Record<'first' | 'docs' | 'bad' | 'secret', string> = { first: '', docs: '', bad: '', secret: '' };

useE2eWorld({ name: 'metrics' }, (w) => {
  world = w;
  ids.first = w.pipelineId(w.repo.head());
});

test('the runs: docs change promoted (exit 0), bad release rolled back (6), planted secret blocked (3)', async () => {
  ids.docs = world.pipelineId(world.repo.commit(docs!.change(world.repo)));
  expect(world.trigger('--wait')).toMatchObject({ code: 0 });
  const good = world.repo.head();

  ids.bad = world.pipelineId(world.repo.commit(bad!.change(world.repo)));
  const waiting = world.cliAsync(world.triggerArgs('--wait'));
  await world.waitForState(ids.bad, (s) => s.stage === 'approval' || s.status !== 'RUNNING', 'waiting for approval');
  expect(await world.cliAsync(['approve', ids.bad, '--as', 'alice'])).toMatchObject({ code: 0 });
  expect(await waiting).toMatchObject({ code: 6 });
  world.repo.resetTo(good);

  ids.secret = world.pipelineId(world.repo.commit(secret!.change(world.repo)));
  expect(world.trigger('--wait')).toMatchObject({ code: 3 });
}, 4 * PIPELINE);

const end = (s: { startedAt: string; durationMs?: number }) => Date.parse(s.startedAt) + (s.durationMs ?? 0);
const stages = (tl: Timeline, activity: string) => tl.stages.filter((s) => s.activity === activity);
const commitTime = (id: string) => Date.parse(execFileSync('git', ['-C', world.repo.dir, 'show', '-s', '--format=%cI', id.split('/').pop()!], { encoding: 'utf8' }).trim());

test('metrics --json match the values computed by hand from the runs', async () => {
  const tl = Object.fromEntries(
    Object.entries(ids).map(([k, id]) => {
      const r = world.cli(['history', id, '--json']);
      expect(r.code).toBe(0);
      return [k, JSON.parse(r.stdout) as Timeline];
    }),
  ) as Record<keyof typeof ids, Timeline>;
  expect(Object.values(tl).map((t) => t.result?.outcome.kind)).toEqual(['promoted', 'promoted', 'rolled_back', 'blocked_by_policy']);

  // visibility is eventually consistent: wait until it lists the four, closed
  let m: MetricsReport | undefined;
  for (let i = 0; i < 40; i++) {
    const r = world.cli(['metrics', '--env', world.environment, '--since', '1h', '--json']);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    m = JSON.parse(r.stdout) as MetricsReport;
    if (m.pipelines.total === 4 && !m.pipelines.byOutcome.running && m.security.runningReleases.releases.length === 1) break;
    await sleep(500);
  }
  expect(m!.pipelines).toEqual({ total: 4, byOutcome: { promoted: 2, rolled_back: 1, blocked_by_policy: 1 } });

  // DORA: lead time = git commit time -> the promote activity's end; restore = first traffic -> traffic back to stable
  const promotedAt = (t: Timeline) => end(stages(t, 'promote')[0]!);
  const leads = [tl.first, tl.docs].map((t, i) => promotedAt(t) - commitTime(i ? ids.docs : ids.first)).sort((a, b) => a - b);
  const [forward, back] = stages(tl.bad, 'shiftTraffic');
  const restore = end(back!) - end(forward!);
  const detect = Date.parse(back!.startedAt) - end(forward!);
  const d = m!.dora;
  expect(d.deploymentFrequency).toMatchObject({ promoted: 2, band: 'elite' });
  expect(d.deploymentFrequency.perDay).toBeCloseTo(48, 6); // 2 in one hour
  expect(d.leadTime).toMatchObject({ medianMs: (leads[0]! + leads[1]!) / 2, samples: 2, missingCommitTime: 0, band: 'elite' });
  expect(d.changeFailureRate).toEqual({ promoted: 2, rolledBack: 1, rate: 1 / 3, band: 'low' });
  expect(d.timeToRestore).toEqual({ medianMs: restore, samples: 1, band: 'elite' });

  // security
  const s = m!.security;
  const blockedRules = tl.secret.policy!.violations.filter((v) => !v.endsWith('(not blocking)')).map((v) => v.split(/[ :(]/)[0]!);
  expect(s.blockedByPolicy).toEqual({ total: 1, byRule: Object.fromEntries([...new Set(blockedRules)].map((r) => [r, 1])) });
  expect(s.timeToDetect).toEqual({ meanMs: detect, samples: 1 });
  const gated = [tl.first, tl.docs, tl.bad];
  const expectedAuto = Object.fromEntries(
    (['low', 'medium', 'high'] as const).map((level) => {
      const at = gated.filter((t) => t.risk?.level === level);
      const automatic = at.filter((t) => t.decisions.some((x) => x.decision === 'automatic-approve')).length;
      return [level, { changes: at.length, automatic, share: at.length ? automatic / at.length : null }];
    }),
  );
  expect(s.autoApproved).toEqual(expectedAuto);
  expect(s.autoApproved.low).toEqual({ changes: 1, automatic: 1, share: 1 }); // the docs change
  // the human waits (first release, bad release) end at the last approval, after the policy stage
  expect(s.approvalWait.samples).toBe(2);
  const upper = [tl.first, tl.bad].map((t) => Date.parse(t.decisions.filter((x) => x.decision === 'approve').pop()!.at) - end(stages(t, 'evaluatePolicy')[0]!));
  expect(s.approvalWait.medianMs).toBeGreaterThan(0);
  expect(s.approvalWait.medianMs).toBeLessThanOrEqual((upper[0]! + upper[1]!) / 2);
  // the running release is the docs change, scanned by its own pipeline minutes ago
  expect(s.runningReleases.releases).toEqual([
    expect.objectContaining({ service: 'demo', environment: world.environment, pipelineId: ids.docs, image: tl.docs.image, scannedWithinInterval: true, secrets: 0 }),
  ]);
  expect(s.runningReleases).toMatchObject({ scanSource: 'pipeline scans', scanCoverage: 1 });
  expect(s.runningReleases.openFindings.vulnerabilities).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0, ...tl.docs.scan!.vulnerabilities });

  const text = world.cli(['metrics', '--env', world.environment, '--since', '1h']);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/change failure rate\s+33\.3%\s+low/);
  expect(text.stdout).toContain('from the pipeline scans');
}, PIPELINE);
