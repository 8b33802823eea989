import type { RescanTarget } from '../../model/compliance';
import { deploymentPipeline, pipelineStartOptions, rescanRelease } from '../../workflows';
import { deployRelease, deployWorkflowId, rollbackRelease, rollbackWorkflowId } from '../../workflows/deploy-release';
import { input } from './support/fixtures';
import { useHarness, withWorker, type Harness } from './support/harness';
import { digestOf, mockActivities, nonRetryable, type MockOptions } from './support/mock-activities';

// Scheduled rescans (docs/compliance.md) with mocked activities: a promoted pipeline points the
// environment's schedule at its release; a rescan that finds a new blocking finding alerts, or rolls back
// through the environment lock (rollbackRelease, the same workflow as `airlock rollback`).

let h: Harness;
useHarness((x) => (h = x));

const CVE = { id: 'CVE-2026-4242', pkg: 'zlib1g', installed: '1:1.2.13', severity: 'CRITICAL' as const, target: 'debian 12' };
const target = (service: string): RescanTarget => ({
  service,
  environment: 'prod',
  releaseId: `${service}-prod-${'c'.repeat(12)}`,
  image: `127.0.0.1:5000/${service}@${digestOf(`${service}-prod`)}`,
  source: { repo: '/repos/shop', commit: 'c'.repeat(40), serviceDir: '.' },
  pipelineId: `airlock/${service}/prod/${'c'.repeat(40)}`,
});

async function rescan(name: string, opts: MockOptions) {
  const mocks = mockActivities(opts);
  const result = await withWorker(h, mocks, name, (taskQueue) =>
    h.env.client.workflow.execute(rescanRelease, { taskQueue, workflowId: `airlock-rescan/${name}/prod-test`, args: [target(name)] }),
  );
  return { result, mocks };
}

test('a promoted pipeline points the environment rescan schedule at its release, read with the policy at its commit', async () => {
  const mocks = mockActivities({ risk: 'low', compliance: { rescanEvery: '1h' } });
  const inp = input({ service: 'sched' });
  const result = await withWorker(h, mocks, 'sched', (taskQueue) => h.env.client.workflow.execute(deploymentPipeline, pipelineStartOptions(inp, taskQueue)));
  expect(result.outcome.kind).toBe('promoted');
  // after the promotion: the policy read, then both schedules (the rollout's evidence record runs beside them,
  // patch overlap-independent-steps; so does the stack update, patch settle-beside-records)
  const tail = mocks.calls.slice(mocks.calls.map((c) => c.name).lastIndexOf('readAnchorPolicy'));
  const beside = new Set(['recordEvidence', 'settleRelease']);
  expect(tail.map((c) => c.name).filter((n) => !beside.has(n))).toEqual(['readAnchorPolicy', 'scheduleRescan', 'ensureDriftSchedule']);
  // the policy is the one at the promoted commit: the environment's anchor from now on
  expect(tail[0]!.input).toMatchObject({ anchor: inp.headCommit, headCommit: inp.headCommit, environment: 'prod' });
  // the drift schedule exists from the first promotion on, at the policy's driftEvery (not only from a worker restart)
  expect(mocks.driftSchedules.get('airlock-drift/sched/prod')).toBe('1h');
  expect(mocks.schedules.get('airlock-rescan/sched/prod')).toEqual({
    service: 'sched',
    environment: 'prod',
    releaseId: result.releaseId,
    image: (result.outcome as { image: string }).image,
    source: { repo: inp.repo, commit: inp.headCommit, serviceDir: '.' },
    pipelineId: result.pipelineId,
  });
});

test('a clean rescan: compliant, nothing else happens', async () => {
  const { result, mocks } = await rescan('clean', { compliance: { onViolation: 'rollback' } });
  expect(result).toMatchObject({ compliant: true, findings: [], releaseId: target('clean').releaseId });
  expect(result).not.toHaveProperty('action');
  expect(mocks.names()).toEqual(['readAnchorPolicy', 'scanImage', 'assessCompliance', 'recordEvidence']);
  // the rescan is a signed link of the release's chain: the scan and the decision (patch compliance-attest)
  expect(result.attested).toBe(true);
  expect(mocks.calls.at(-1)!.input).toMatchObject({ link: 'rescan', releaseId: target('clean').releaseId, image: target('clean').image, statusDigest: result.statusDigest, status: { compliant: true } });
});

test('the rescan link cannot be recorded: the decision stands, the status says it is not attested', async () => {
  const fail = { recordEvidence: () => nonRetryable('RegistryError', 'registry down') };
  const { result } = await rescan('unattested', { scanFindings: [CVE], fail, compliance: { onViolation: 'alert' } });
  expect(result).toMatchObject({ compliant: false, action: 'alerted', attested: false });
});

const deployInput = (service: string, releaseId: string) => ({
  target: { service, environment: 'prod', run: { port: 8080, health: '/healthz', replicas: 1 }, settings: { routerPort: 18082, rollout: { strategy: 'blue-green' }, analysis: { interval: '1s', checks: 1, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 0 }, env: {} } } as never,
  releaseId,
  image: `127.0.0.1:5000/${service}@${digestOf(releaseId)}`,
});

test('airlock deploy and airlock rollback point the rescan schedule at the release they leave serving', async () => {
  const mocks = mockActivities({ risk: 'low' });
  const inp = input({ service: 'follow' });
  await withWorker(h, mocks, 'follow', async (taskQueue) => {
    const piped = await h.env.client.workflow.execute(deploymentPipeline, pipelineStartOptions(inp, taskQueue));
    expect(mocks.schedules.get('airlock-rescan/follow/prod')).toMatchObject({ releaseId: piped.releaseId });

    const dep = deployInput('follow', `follow-prod-${'d'.repeat(12)}`);
    const id = deployWorkflowId('follow', 'prod', dep.releaseId);
    expect(await h.env.client.workflow.execute(deployRelease, { workflowId: id, taskQueue, args: [dep] })).toMatchObject({ kind: 'promoted' });
    expect(mocks.schedules.get('airlock-rescan/follow/prod')).toEqual({
      service: 'follow', environment: 'prod', releaseId: dep.releaseId, image: dep.image, source: { repo: inp.repo, commit: inp.headCommit, serviceDir: '.' }, pipelineId: id,
    });

    const back = rollbackWorkflowId('follow', 'prod', piped.releaseId);
    await h.env.client.workflow.execute(rollbackRelease, { workflowId: back, taskQueue, args: [{ service: 'follow', environment: 'prod', toReleaseId: piped.releaseId }] });
    expect(mocks.schedules.get('airlock-rescan/follow/prod')).toMatchObject({ releaseId: piped.releaseId, pipelineId: back });
  });
});

test('no pipeline of the environment was promoted: airlock deploy leaves the schedules alone (no protected policy to judge with)', async () => {
  const mocks = mockActivities({});
  const dep = deployInput('nosched', `nosched-prod-${'d'.repeat(12)}`);
  const out = await withWorker(h, mocks, 'nosched', (taskQueue) => h.env.client.workflow.execute(deployRelease, { workflowId: deployWorkflowId('nosched', 'prod', dep.releaseId), taskQueue, args: [dep] }));
  expect(out).toMatchObject({ kind: 'promoted' });
  expect(mocks.names()).toContain('rescanTargetNow');
  expect(mocks.names()).not.toContain('scheduleRescan');
  expect(mocks.schedules.size).toBe(0);
});

const notifications = { webhooks: [{ name: 'sec', url: 'http://127.0.0.1:1/sec', events: ['release.noncompliant', 'exception.expiring'] }] };

/** Polls until `n` deliveries were made (the delivery children run after the rescan may have finished). */
async function delivered(mocks: ReturnType<typeof mockActivities>, n: number) {
  const deadline = Date.now() + 20_000;
  while (mocks.delivered.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300)); // and no more than n
  return mocks.delivered.map((d) => ({ webhook: d.webhook.name, type: d.event.type, subject: d.event.subject, data: d.event.data }));
}

test('a new blocking finding: non-compliant, release.noncompliant sent to the policy webhook (onViolation: alert)', async () => {
  const mocks = mockActivities({ scanFindings: [CVE], notifications });
  const result = await withWorker(h, mocks, 'alert', async (taskQueue) => {
    const r = await h.env.client.workflow.execute(rescanRelease, { taskQueue, workflowId: 'airlock-rescan/alert/prod-test', args: [target('alert')] });
    expect(await delivered(mocks, 1)).toEqual([
      { webhook: 'sec', type: 'release.noncompliant', subject: 'alert/prod', data: expect.objectContaining({ releaseId: target('alert').releaseId, image: target('alert').image, findings: [expect.stringContaining('CVE-2026-4242')] }) },
    ]);
    return r;
  });
  expect(result).toMatchObject({ compliant: false, onViolation: 'alert', action: 'alerted' });
  expect(mocks.names()).not.toContain('restoreRelease');
});

test('a new blocking finding with onViolation rollback: the newest release compliant now is put back through the lock, and rescanned from then on', async () => {
  const at = (releaseId: string) => `127.0.0.1:5000/rollback@${digestOf(releaseId)}`;
  // newest first: the running one, one before it that has the same vulnerable package, then a clean one
  const history = [target('rollback'), { releaseId: 'rollback-prod-vulnerable-too' }, { releaseId: 'rollback-prod-clean' }, { releaseId: 'rollback-prod-oldest' }].map((r) => ({ releaseId: r.releaseId, image: 'image' in r ? r.image : at(r.releaseId) }));
  const { result, mocks } = await rescan('rollback', { scanFindingsFor: (image) => (image === at('rollback-prod-clean') || image === at('rollback-prod-oldest') ? [] : [CVE]), history, compliance: { onViolation: 'rollback' } });
  expect(result).toMatchObject({ compliant: false, onViolation: 'rollback' });
  expect(result.action).toMatch(/^alerted; rolled back to rollback-prod-clean \(airlock-rollback\/rollback\/prod\/noncompliant-/);
  // the earlier releases were rescanned newest first until a compliant one: the oldest was not needed
  expect(mocks.calls.filter((c) => c.name === 'scanImage').map((c) => c.input.image)).toEqual([target('rollback').image, at('rollback-prod-vulnerable-too'), at('rollback-prod-clean')]);
  const restore = mocks.calls.find((c) => c.name === ('restoreRelease' as never))!;
  expect(restore.input).toMatchObject({ service: 'rollback', environment: 'prod', toReleaseId: 'rollback-prod-clean' });
  expect(restore.input.reason).toContain('CVE-2026-4242');
  expect(mocks.schedules.get('airlock-rescan/rollback/prod')).toMatchObject({ releaseId: 'rollback-prod-clean', image: at('rollback-prod-clean') });
  // through rollbackRelease, the workflow `airlock rollback` starts (it holds the environment lock)
  const child = await h.env.client.workflow.getHandle(`airlock-rollback/rollback/prod/noncompliant-${target('rollback').releaseId}`).describe();
  expect({ type: child.type, status: child.status.name }).toEqual({ type: 'rollbackRelease', status: 'COMPLETED' });
});

test('onViolation rollback with no earlier release compliant now: nothing is rolled back, the status says why', async () => {
  const history = [target('nocompliant'), { releaseId: 'nocompliant-prod-old', image: `127.0.0.1:5000/nocompliant@${digestOf('nocompliant-prod-old')}` }];
  const { result, mocks } = await rescan('nocompliant', { scanFindings: [CVE], history, compliance: { onViolation: 'rollback' } });
  expect(result.action).toMatch(/^alerted; not rolled back: no earlier release is compliant now \(nocompliant-prod-old: .*CVE-2026-4242/);
  expect(mocks.names()).not.toContain('restoreRelease');
});

test('a finding covered by an exception that expires within 7 days: compliant, and the exception is reported', async () => {
  const soon = new Date(Date.now() + 2 * 86_400_000 + 3_600_000).toISOString();
  const exceptions = [{ id: CVE.id, owner: 'sec@example.com', reason: 'no fixed package yet', expires: soon }];
  const mocks = mockActivities({ scanFindings: [CVE], exceptions, notifications });
  const result = await withWorker(h, mocks, 'expiring', async (taskQueue) => {
    const r = await h.env.client.workflow.execute(rescanRelease, { taskQueue, workflowId: 'airlock-rescan/expiring/prod-test', args: [target('expiring')] });
    expect(await delivered(mocks, 1)).toEqual([{ webhook: 'sec', type: 'exception.expiring', subject: 'expiring/prod', data: expect.objectContaining({ exception: CVE.id, owner: 'sec@example.com', daysLeft: 2 }) }]);
    return r;
  });
  expect(result).toMatchObject({ compliant: true, expiring: [{ id: CVE.id, owner: 'sec@example.com', daysLeft: 2 }] });
});

test('block-promotion: a rescan alerts; `airlock deploy` then refuses the non-compliant digest (the gate record says why), break-glass aside', async () => {
  const { result } = await rescan('block', { scanFindings: [CVE], compliance: { onViolation: 'block-promotion' } });
  expect(result).toMatchObject({ compliant: false, onViolation: 'block-promotion', action: expect.stringMatching(/airlock deploy refuses this digest/) });

  const why = `${result.image.split('@')[1]} is not compliant in block/prod (rescan ${result.scannedAt}: ${result.findings[0]}) and its policy says compliance.onViolation: block-promotion`;
  const mocks = mockActivities({ gateRecord: () => ({ passed: { pipelineId: 'airlock/block/staging/c', runId: 'r', releaseId: 'r1' }, priorRuns: 0, nonCompliant: why }) });
  const releaseId = `block-staging-${'c'.repeat(12)}`;
  const outcome = await withWorker(h, mocks, 'block-deploy', (taskQueue) =>
    h.env.client.workflow.execute(deployRelease, {
      workflowId: deployWorkflowId('block', 'staging', releaseId),
      taskQueue,
      args: [{ target: { service: 'block', environment: 'staging', run: { port: 8080, health: '/healthz', replicas: 1 }, settings: { routerPort: 18081, rollout: { strategy: 'blue-green' }, analysis: { interval: '1s', checks: 1, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 0 }, env: {} } } as never, releaseId, image: result.image }],
    }),
  );
  expect(outcome).toMatchObject({ kind: 'failed', stage: 'deploy', cause: { type: 'GateNotPassedError', message: expect.stringContaining('CVE-2026-4242') } });
  expect(mocks.names()).toEqual(['findGateRecord']);
});
