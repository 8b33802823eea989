// The demo's four changes through the airlock CLI, as CI, approvers and auditors use it, on the real
// stack (worker process, Temporal, Docker, registry, Trivy, Pulumi, HAProxy, Prometheus): a docs change
// promoted on its own; a new endpoint that waits, is refused to its author, found by `list`, approved
// through the official Temporal CLI and followed by a re-triggered `--wait`; a bad release rolled back;
// a planted secret blocked. Then `airlock metrics` over these five runs (the environment's first release
// included), checked against values computed here by hand from each run's `airlock history --json` and git.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyFile } from '../../cli/keys';
import { SCENARIOS } from '../../cli/demo/scenarios';
import { approvalMessageText, boundSubject, signApproval } from '../../model/approval';
import type { PipelineState } from '../../model/pipeline';
import type { Timeline } from '../../cli/history/timeline';
import type { MetricsReport } from '../../model/metrics';
import { signWithOpenssl, temporalCli } from '../support/e2e-approval';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS, sleep } from '../support/e2e-world';

const [docs, endpoint, bad, secret] = SCENARIOS;
let world: E2eWorld;
let lastGood: string;
const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;

const ids: Record<'first' | 'docs' | 'endpoint' | 'bad' | 'secret', string> = { first: '', docs: '', endpoint: '', bad: '', secret: '' };

useE2eWorld({ name: 'scenarios', authorIsDeveloper: true }, (w) => {
  world = w;
  ids.first = w.pipelineId(w.repo.head()); // the environment's first release, deployed by the world
});

const commitScenario = (s: (typeof SCENARIOS)[number]) => world.repo.commit(s.change(world.repo));

test('a docs change: low risk, approved automatically, canary, promoted: trigger --wait exits 0', () => {
  const commit = commitScenario(docs!);
  ids.docs = world.pipelineId(commit);
  const r = world.trigger('--wait');
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(r.stderr).toContain(`started pipeline ${world.pipelineId(commit)}`);
  expect(r.stderr).toMatch(/risk low/);
  expect(r.stderr).toMatch(/auto-approved/);
  expect(r.stderr).toMatch(/analysis at 50%: pass/);
  expect(r.stderr).toMatch(/outcome: promoted 127\.0\.0\.1:5000\/demo@sha256:[0-9a-f]{64}/);
  lastGood = commit;
}, PIPELINE);

describe('a new endpoint: medium risk, waits for one approver', () => {
  let id: string;
  let digest: string;

  test('trigger without --wait exits 0 once started; the pipeline waits in stage approval', async () => {
    const commit = commitScenario(endpoint!);
    id = ids.endpoint = world.pipelineId(commit);
    const r = world.trigger();
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stderr).toContain(`started pipeline ${id}`);
    const state = await world.waitForState(id, (s) => s.stage === 'approval' || s.status !== 'RUNNING', 'waiting for approval');
    expect(state).toMatchObject({ status: 'RUNNING', stage: 'approval', risk: { level: 'medium' }, approval: { needed: 1, decisions: [] } });
    digest = state.image!.split('@')[1]!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, PIPELINE);

  test('list --stage awaiting-approval finds it', async () => {
    let rows: { pipelineId: string; stage: string; risk: string; author: string }[] = [];
    for (let i = 0; i < 30 && !rows.some((row) => row.pipelineId === id); i++) {
      if (i) await sleep(500); // visibility is eventually consistent
      const r = world.cli(['list', '--stage', 'awaiting-approval', '--json']);
      expect(r.code).toBe(0);
      rows = JSON.parse(r.stdout) as typeof rows;
    }
    expect(rows.find((row) => row.pipelineId === id)).toMatchObject({ stage: 'approval', risk: 'medium', author: 'dana@example.com' });
  });

  test('its author cannot approve it: the validator refuses, exit != 0, one line', () => {
    const r = world.cli(['approve', id, '--as', 'dana@example.com']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(`approve refused: "dana@example.com" is an author of this change and cannot approve it`);
  });

  test('approved through the official Temporal CLI (temporal workflow update execute)', () => {
    const key = keyFile(world.config.dirs.keys, 'alice');
    const printed = world.cli(['approve', id, '--print-message']);
    expect({ code: printed.code, stderr: printed.stderr }).toMatchObject({ code: 0 });
    const state = JSON.parse(world.cli(['status', id, '--json']).stdout) as PipelineState;
    const subject = boundSubject(state, state.runId!, 'approve');
    expect(subject.imageDigest).toBe(digest);
    expect(printed.stdout).toBe(approvalMessageText(subject)); // the exact bytes, no newline
    const messageFile = join(world.dir, 'approve.msg');
    writeFileSync(messageFile, printed.stdout);
    const signature = signWithOpenssl(key, messageFile);
    // the README's openssl recipe signs the same bytes as airlock: ed25519 is deterministic
    expect(signature).toBe(signApproval(readFileSync(key, 'utf8').trim(), subject));
    const payload = JSON.stringify({ approver: 'alice', signature, comment: 'approved with the temporal CLI' });
    const r = temporalCli(world.config, ['workflow', 'update', 'execute', '--name', 'approve', '--workflow-id', id, '--input', payload]);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/Result\s+map\[accepted:true approvals:1 decision:approve missingGroups:\[\] needed:1\]/);
  });

  test('the same commit triggered again with --wait attaches to the pipeline and exits 0 when promoted', () => {
    const r = world.trigger('--wait');
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stderr).toContain(`attached to running pipeline ${id}`);
    expect(r.stderr).toMatch(/outcome: promoted/);
    lastGood = world.repo.head();
  }, PIPELINE);

  test('history --json has the approval with identity, comment and a verified signature', () => {
    const r = world.cli(['history', id, '--json']);
    expect(r.code).toBe(0);
    const tl = JSON.parse(r.stdout) as Timeline;
    expect(tl.status).toBe('completed');
    expect(tl.decisions).toEqual([
      expect.objectContaining({ decision: 'approve', approver: 'alice', groups: ['developers'], signature: 'verified', comment: 'approved with the temporal CLI' }),
    ]);
    expect(tl.risk?.level).toBe('medium');
    expect(tl.result?.outcome.kind).toBe('promoted');
    expect(tl.stages.map((s) => s.activity)).toEqual(expect.arrayContaining(['buildImage', 'scanImage', 'evaluatePolicy', 'deployCandidate', 'analyze', 'promote']));
    const text = world.cli(['history', id]);
    expect(text.stdout).toMatch(/approve by alice \(developers\)\s+signature verified/);
  });

  test('temporal workflow show --detailed names the stages (activity types) and the approval update', () => {
    const r = temporalCli(world.config, ['workflow', 'show', '--workflow-id', id, '--detailed']);
    expect(r.code).toBe(0);
    // the policy, airlock.yaml and the change's assessment are one activity (patch read-change-together)
    for (const name of ['resolveAnchor', 'readChange', 'buildImage', 'scanImage', 'deployCandidate', 'analyze', 'promote'])
      expect(r.stdout).toContain(`activityType.name: ${name}\n`);
    // the policy evaluation is a local activity (patch local-quick-steps): a marker, which `airlock history` reads
    expect(r.stdout).toContain('markerName: core_local_activity\n');
    expect(r.stdout).toMatch(/acceptedRequest\.input\.name: approve\n/);
  });
});

test(
  'a bad release: approved, then the canary analysis fails and it is rolled back: trigger --wait exits 6',
  async () => {
    const id = (ids.bad = world.pipelineId(commitScenario(bad!)));
    const waiting = world.cliAsync(world.triggerArgs('--wait'));
    await world.waitForState(id, (s) => s.stage === 'approval' || s.status !== 'RUNNING', 'waiting for approval');
    const approved = await world.cliAsync(['approve', id, '--as', 'alice', '--comment', 'looks fine to me']);
    expect({ code: approved.code, stderr: approved.stderr }).toMatchObject({ code: 0 });
    expect(approved.stdout).toBe('approve by alice accepted (1/1 approvals)\n');
    const r = await waiting;
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 6 });
    expect(r.stderr).toContain(`airlock approve ${id} --as <identity>`); // the hint while it waited
    expect(r.stderr).toMatch(/approve by alice: looks fine to me/);
    expect(r.stderr).toMatch(/analysis at 50%: fail/);
    expect(r.stderr).toMatch(/outcome: rolled back at 50%/);
    world.repo.resetTo(lastGood); // the next change starts from what runs
  },
  2 * PIPELINE,
);

test('a planted secret: Trivy finds it, blocked by policy: exit 3', () => {
  ids.secret = world.pipelineId(commitScenario(secret!));
  const r = world.trigger('--wait');
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 3 });
  expect(r.stderr).toMatch(/1 secrets/);
  expect(r.stderr).toMatch(/outcome: blocked by policy: .*secret/i);
}, PIPELINE);

const end = (s: { startedAt: string; durationMs?: number }) => Date.parse(s.startedAt) + (s.durationMs ?? 0);
const stages = (tl: Timeline, activity: string) => tl.stages.filter((s) => s.activity === activity);
const commitTime = (id: string) => Date.parse(execFileSync('git', ['-C', world.repo.dir, 'show', '-s', '--format=%cI', id.split('/').pop()!], { encoding: 'utf8' }).trim());
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

test('metrics --json over these runs match the values computed by hand', async () => {
  const tl = Object.fromEntries(
    Object.entries(ids).map(([k, id]) => {
      const r = world.cli(['history', id, '--json']);
      expect(r.code).toBe(0);
      return [k, JSON.parse(r.stdout) as Timeline];
    }),
  ) as Record<keyof typeof ids, Timeline>;
  expect(Object.values(tl).map((t) => t.result?.outcome.kind)).toEqual(['promoted', 'promoted', 'promoted', 'rolled_back', 'blocked_by_policy']);

  // visibility is eventually consistent: wait until it lists the five, closed
  let m: MetricsReport | undefined;
  for (let i = 0; i < 40; i++) {
    const r = world.cli(['metrics', '--env', world.environment, '--since', '1h', '--json']);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    m = JSON.parse(r.stdout) as MetricsReport;
    if (m.pipelines.total === 5 && !m.pipelines.byOutcome.running && m.security.runningReleases.releases.length === 1) break;
    await sleep(500);
  }
  expect(m!.pipelines).toEqual({ total: 5, byOutcome: { promoted: 3, rolled_back: 1, blocked_by_policy: 1 } });

  // DORA: lead time = git commit time -> the promote activity's end; restore = first traffic -> traffic back to stable
  const promoted = ['first', 'docs', 'endpoint'] as const;
  const leads = promoted.map((k) => end(stages(tl[k], 'promote')[0]!) - commitTime(ids[k]));
  // the first move is inside the first analysis (patch `shift-in-analysis`): live at its verdict's traffic.at
  const forward = Date.parse(tl.bad.canary[0]!.traffic!.at);
  const [back, ...more] = stages(tl.bad, 'shiftTraffic');
  expect({ moves: more.length, first: tl.bad.canary[0]!.traffic!.weight > 0 }).toEqual({ moves: 0, first: true });
  const restore = end(back!) - forward;
  const detect = Date.parse(back!.startedAt) - forward;
  const d = m!.dora;
  expect(d.deploymentFrequency).toMatchObject({ promoted: 3, band: 'elite' });
  expect(d.deploymentFrequency.perDay).toBeCloseTo(72, 6); // 3 in one hour
  expect(d.leadTime).toMatchObject({ medianMs: median(leads), samples: 3, missingCommitTime: 0, band: 'elite' });
  expect(d.changeFailureRate).toEqual({ promoted: 3, rolledBack: 1, rate: 1 / 4, band: 'low' });
  expect(d.timeToRestore).toEqual({ medianMs: restore, samples: 1, band: 'elite' });

  // security
  const s = m!.security;
  const blockedRules = tl.secret.policy!.violations.filter((v) => !v.endsWith('(not blocking)')).map((v) => v.split(/[ :(]/)[0]!);
  expect(s.blockedByPolicy).toEqual({ total: 1, byRule: Object.fromEntries([...new Set(blockedRules)].map((r) => [r, 1])) });
  expect(s.timeToDetect).toEqual({ meanMs: detect, samples: 1 });
  const gated = [tl.first, tl.docs, tl.endpoint, tl.bad];
  const expectedAuto = Object.fromEntries(
    (['low', 'medium', 'high'] as const).map((level) => {
      const at = gated.filter((t) => t.risk?.level === level);
      const automatic = at.filter((t) => t.decisions.some((x) => x.decision === 'automatic-approve')).length;
      return [level, { changes: at.length, automatic, share: at.length ? automatic / at.length : null }];
    }),
  );
  expect(s.autoApproved).toEqual(expectedAuto);
  expect(s.autoApproved.low).toEqual({ changes: 1, automatic: 1, share: 1 }); // the docs change
  // the human waits (first release, new endpoint, bad release) end at the last approval, after the policy stage
  expect(s.approvalWait.samples).toBe(3);
  const upper = [tl.first, tl.endpoint, tl.bad].map((t) => Date.parse(t.decisions.filter((x) => x.decision === 'approve').pop()!.at) - end(stages(t, 'evaluatePolicy')[0]!));
  expect(s.approvalWait.medianMs).toBeGreaterThan(0);
  expect(s.approvalWait.medianMs).toBeLessThanOrEqual(median(upper));
  // the running release is the new endpoint's, scanned by its own pipeline minutes ago
  expect(s.runningReleases.releases).toEqual([
    expect.objectContaining({ service: 'demo', environment: world.environment, pipelineId: ids.endpoint, image: tl.endpoint.image, scannedWithinInterval: true, secrets: 0 }),
  ]);
  expect(s.runningReleases).toMatchObject({ scanSource: 'pipeline scans', scanCoverage: 1 });
  expect(s.runningReleases.openFindings.vulnerabilities).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0, ...tl.endpoint.scan!.vulnerabilities });

  const text = world.cli(['metrics', '--env', world.environment, '--since', '1h']);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/change failure rate\s+25\.0%\s+low/);
  expect(text.stdout).toContain('from the pipeline scans');
}, PIPELINE);
