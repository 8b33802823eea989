import { canaryAnalysisSchema } from '../../../model/manifest';
import type { DeployTarget } from '../../../model/deploy';
import { deployRelease, deployWorkflowId, type DeployReleaseOutcome } from '../../../workflows/deploy-release';
import { commit } from './fixtures';
import { withWorker, type Harness } from './harness';
import { mockActivities, nonRetryable, type MockOptions, type Mocks } from './mock-activities';

// deployRelease (`airlock deploy`) on the real dev server with mocked activities: the pipeline's rollout
// with a known image and target. record-histories.ts saves their histories for replay, like the pipeline's.

export interface DeployReleaseRun {
  outcome: DeployReleaseOutcome;
  mocks: Mocks;
  recorded: { name: string; workflowId: string }[];
}

const target = (service: string, rollout: DeployTarget['settings']['rollout']): DeployTarget => ({
  service,
  environment: 'prod',
  run: { port: 8080, health: '/healthz', replicas: 1 },
  settings: {
    routerPort: 18080,
    rollout,
    analysis: canaryAnalysisSchema.parse({ interval: '1s', checks: 1, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 0 }),
    env: {},
  },
});

/** One deployRelease run; `alreadyStable`: deployCandidate finds the release serving already. */
async function single(h: Harness, name: string, opts: MockOptions, rollout: DeployTarget['settings']['rollout'], alreadyStable = false): Promise<DeployReleaseRun> {
  const mocks = mockActivities(opts);
  if (alreadyStable) {
    const deploy = mocks.activities.deployCandidate;
    mocks.activities.deployCandidate = async (i) => ({ ...(await deploy(i)), alreadyStable: true });
  }
  const releaseId = `${name}-prod-${commit().slice(0, 12)}`;
  const image = `127.0.0.1:5000/${name}@sha256:${'0d'.repeat(32)}`;
  return withWorker(h, mocks, name, async (taskQueue) => {
    const workflowId = deployWorkflowId(name, 'prod', releaseId);
    const outcome = await h.env.client.workflow.execute(deployRelease, { workflowId, taskQueue, args: [{ target: target(name, rollout), releaseId, image }] });
    return { outcome, mocks, recorded: [{ name, workflowId }] };
  });
}

const canary = { strategy: 'canary' as const, steps: [10, 50, 100] };

export const deployReleaseScenarios = {
  'deploy-release-promoted': (h: Harness) => single(h, 'deploy-release-promoted', {}, canary),
  'deploy-release-blue-green': (h: Harness) => single(h, 'deploy-release-blue-green', {}, { strategy: 'blue-green' }),
  'deploy-release-analysis-fails': (h: Harness) => single(h, 'deploy-release-analysis-fails', { verdict: (step) => (step === 50 ? 'fail' : 'pass') }, canary),
  'deploy-release-error-after-traffic': (h: Harness) =>
    single(
      h,
      'deploy-release-error-after-traffic',
      { fail: { shiftTraffic: (i) => (i.weight === 50 ? nonRetryable('DeployProgramError', 'router rejected weight 50: backend down') : undefined) } },
      canary,
    ),
  'deploy-release-deploy-fails': (h: Harness) =>
    single(h, 'deploy-release-deploy-fails', { fail: { deployCandidate: () => nonRetryable('DeployProgramError', 'port 8080 already allocated') } }, canary),
  'deploy-release-unchanged': (h: Harness) => single(h, 'deploy-release-unchanged', {}, canary, true),
};
