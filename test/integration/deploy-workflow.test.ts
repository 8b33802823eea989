import { canaryAnalysisSchema } from '../../model/manifest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createDeployActivities } from '../../activities/deploy';
import { resolveTool } from '../../infra/local/tools';
import { releaseIdForImage, type DeployTarget } from '../../model/deploy';
import { bundleWorkflows } from '../../worker/workflow-source';
import { deployRelease, deployWorkflowId, rollbackRelease, rollbackWorkflowId } from '../../workflows/deploy-release';
import { buildDemoImage, demoTarget, deployTestKit, destroyEnvironment, expectStackMatchesDocker, sample, uniqueService, type DeployTestKit } from './deploy-helpers';
import { freePort } from '../support/ports';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import type { VerifyEvidenceRequest } from '../../model/evidence-record';
import { createEvidenceActivities } from '../../activities/evidence/record';
import { oneQueueRouting } from '../support/routing';

// `airlock deploy` / `airlock rollback` end to end below the CLI: the deployRelease and rollbackRelease
// workflows on a real Temporal dev server, with the real deploy activities on the real stack. The gate
// (verifyEvidence: the image's evidence chain in the registry) is real for the first deploy (refused: no
// chain); the rollout part then stands in a verified chain for the test's own images, since making one is
// a pipeline's job (test/e2e/evidence-chain.test.ts and attacks/side-doors.test.ts deploy real chains).
const ENV = 'production';
const service = uniqueService('wf');
let kit: DeployTestKit;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let target: DeployTarget;

beforeAll(async () => {
  kit = await deployTestKit();
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    /* installed already */
  }
  [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: resolveTool(kit.config, 'temporal') }, searchAttributes: searchAttributeKeys() },
    }),
    bundleWorkflows(),
  ]);
  target = demoTarget(service, ENV, await freePort(), {
    replicas: 1,
    rollout: { strategy: 'canary', steps: [20, 100] },
    analysis: canaryAnalysisSchema.parse({ interval: '2s', checks: 1, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 20 }),
  });
});

afterAll(async () => {
  await env?.teardown();
  if (kit) await destroyEnvironment(kit, service, ENV);
});

test('deploy v1 and v2 (promoted), v3 (bad: rolled back by itself), then roll back to v1', async () => {
  const [v1, v2, v3] = [await buildDemoImage(kit, '1.0.0', 'none'), await buildDemoImage(kit, '2.0.0', 'none'), await buildDemoImage(kit, '3.0.0', 'errors')];
  const real = { ...createDeployActivities({ config: kit.config }), ...createEvidenceActivities({ config: kit.config }), ...oneQueueRouting() };
  const deploy = (image: string) => {
    const releaseId = releaseIdForImage(service, ENV, image);
    return env.client.workflow.execute(deployRelease, {
      workflowId: deployWorkflowId(service, ENV, releaseId),
      taskQueue: `deploy-${service}`,
      args: [{ target, releaseId, image }],
    });
  };
  const gateWorker = await Worker.create({ connection: env.nativeConnection, taskQueue: `deploy-${service}`, workflowBundle: bundle, activities: real });
  const refused = await gateWorker.runUntil(deploy(v1));
  expect(refused).toMatchObject({ kind: 'failed', stage: 'deploy', cause: { type: 'EvidenceNotVerifiedError', message: expect.stringContaining('the build link is missing') } });

  const passed = new Set([v1, v2, v3]);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: `deploy-${service}`,
    workflowBundle: bundle,
    activities: {
      ...real,
      verifyEvidence: async (input: VerifyEvidenceRequest) =>
        passed.has(input.image) ? { ok: true, links: [{ index: 0, link: 'build' as const, predicateType: 'fixture', ok: true }] } : real.verifyEvidence(input),
    },
  });
  await worker.runUntil(async () => {
    expect(await deploy(v1)).toMatchObject({ kind: 'promoted' });
    const second = await deploy(v2);
    expect(second).toMatchObject({ kind: 'promoted' });
    expect(second.kind === 'promoted' && second.analysis.map((a) => `${a.step}:${a.verdict}`)).toEqual(['20:pass', '100:pass']);

    const third = await deploy(v3);
    expect(third).toMatchObject({ kind: 'rolled_back', step: 20 });
    expect(third.kind === 'rolled_back' && third.reason).toMatch(/^success-rate 0\.\d+ < 0\.99/);
    let state = await expectStackMatchesDocker(kit, service, ENV);
    expect(await sample(state.router!.url, 6)).toEqual({ '2.0.0': 6 });

    const back = await env.client.workflow.execute(rollbackRelease, {
      workflowId: rollbackWorkflowId(service, ENV, releaseIdForImage(service, ENV, v1)),
      taskQueue: `deploy-${service}`,
      args: [{ service, environment: ENV, toReleaseId: releaseIdForImage(service, ENV, v1), reason: 'test' }],
    });
    expect(back.stable.releaseId).toBe(releaseIdForImage(service, ENV, v1));
    state = await expectStackMatchesDocker(kit, service, ENV);
    expect(await sample(state.router!.url, 6)).toEqual({ '1.0.0': 6 });
  });
});
