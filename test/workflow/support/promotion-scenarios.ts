import { stateQuery } from '../../../workflows';
import { input } from './fixtures';
import { startPipeline, waitForState, withWorker, type Harness } from './harness';
import { mockActivities, type MockOptions } from './mock-activities';
import { approve, type ScenarioRun } from './scenarios';

// Promotion paths (patch `promotion`) whose histories are saved for replay (record-histories.ts,
// replay.test.ts); test/workflow/promotion.test.ts asserts on the behaviour in detail.

const analysis = { interval: '1s', checks: 1, failureLimit: 1, loadRps: 0 };
const manifest = {
  service: 'x',
  build: {},
  run: { port: 8080, health: '/healthz' },
  environments: {
    staging: { routerPort: 18081, rollout: { strategy: 'blue-green' }, analysis, soak: '6s', approvals: 'low' },
    production: { routerPort: 18082, rollout: { strategy: 'canary', steps: [50, 100] }, analysis },
  },
  promotion: ['staging', 'production'],
};

async function promotion(h: Harness, name: string, opts: MockOptions, drive?: (p: Awaited<ReturnType<typeof startPipeline>>) => Promise<void>): Promise<ScenarioRun> {
  const mocks = mockActivities({ promotion: { head: manifest, anchor: manifest }, ...opts });
  const run: ScenarioRun = { results: [], states: [], mocks, recorded: [], refusals: {}, receipts: [] };
  await withWorker(h, mocks, name, async (taskQueue) => {
    const handle = await startPipeline(h, taskQueue, input({ service: name, environment: 'production' }));
    await drive?.(handle);
    run.results.push(await handle.result());
    run.states.push(await handle.query(stateQuery));
    run.recorded.push({ name, workflowId: handle.workflowId });
  });
  return run;
}

export const promotionScenarios = {
  'promotion-promoted': (h: Harness) =>
    promotion(h, 'promotion-promoted', { risk: 'medium' }, async (p) => {
      await waitForState(p, (s) => s.stage === 'approval' && s.environment === 'production', 'approval in production');
      await approve(p, 'alice');
    }),
  // issue 13 (patch promotion-links-beside): each link takes 700 ms; `events` has each start and end (with the
  // environment of policy and approvals links), the verdicts' and the deploys' starts
  'promotion-links-beside': async (h: Harness) => {
    const events: string[] = [];
    // (the approvals link names its environment in the state it records)
    const link = (i: Record<string, unknown>) => {
      const environment = i.environment ?? (i.state as { environment?: string } | undefined)?.environment;
      return i.link === 'build' || i.link === 'scan' ? String(i.link) : `${String(i.link)}:${String(environment)}`;
    };
    const run = await promotion(h, 'promotion-links-beside', {
      risk: 'low',
      // (`fail` runs as an activity starts: used here to see the start, it fails nothing)
      fail: {
        recordEvidence: (i) => void events.push(`start:${link(i)}`),
        scanImage: () => void events.push('start:scanImage'),
        evaluatePolicy: (i) => void events.push(`start:evaluatePolicy:${String(i.environment)}`),
        deployCandidate: (i) => void events.push(`start:deployCandidate:${String(i.environment)}`),
      },
      during: {
        recordEvidence: async (i) => {
          if (i.link !== 'rollout') await new Promise((r) => setTimeout(r, 700));
          events.push(`end:${link(i)}`);
        },
      },
    });
    return Object.assign(run, { events });
  },
  'promotion-soak-fails': (h: Harness) => {
    let atFull = 0;
    return promotion(h, 'promotion-soak-fails', { risk: 'low', verdict: (step) => (step === 100 && ++atFull >= 2 ? 'fail' : 'pass') });
  },
};
