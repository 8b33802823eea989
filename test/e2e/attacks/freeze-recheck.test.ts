// Attack (issue 11, item 7): freeze windows (and exception expiry) were checked once, at the policy stage,
// before an approval wait that can last days. A change waits for approval while a freeze window starts; it
// is approved after the start and deployed into the freeze. Through `airlock trigger` and `airlock approve`
// on the real stack; the window is computed from the current time.
import { SCENARIOS } from '../../../cli/demo/scenarios';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS, sleep } from '../../support/e2e-world';

let world: E2eWorld;
// the freeze window must be in the policy the environment runs (its stable release: policy anchor), so the
// test makes the first release itself, with the window in its policy
useE2eWorld({ name: 'freeze', bootstrap: false }, (w) => (world = w));

const endpoint = SCENARIOS[1]!; // a new endpoint: medium risk, one approver
/** Time from the commit to the window's start: long enough for the first release, then build, scan and the gate of the change, on a busy machine. */
const LEAD_MS = 270_000;

test('a freeze window starts while the pipeline waits for approval; approved after its start: not deployed, and it says why', async () => {
  const start = new Date(Date.now() + LEAD_MS);
  const end = new Date(start.getTime() + 60 * 60_000);
  // The policy the environment runs (its first release, what the gate reads) freezes it from `start` for an hour.
  world.repo.edit('airlock.policy.yaml', (t) =>
    t.replace(/^freezeWindows:.*$/m, '').concat(
      `\nfreezeWindows:\n  - name: attack-window\n    reason: incident review\n    environments: [${world.environment}]\n    start: ${start.toISOString()}\n    end: ${end.toISOString()}\n`,
    ),
  );
  world.repo.commit('policy: freeze window for the incident review');
  await world.firstRelease();
  const head = world.repo.commit(endpoint.change(world.repo));
  const id = world.pipelineId(head);

  const r = world.trigger();
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  const waiting = await world.waitForState(id, (s) => s.stage === 'approval' || s.status !== 'RUNNING', 'waiting for approval');
  if (Date.now() >= start.getTime()) throw new Error(`the pipeline reached approval only after the window started (${start.toISOString()}): the machine is too slow for LEAD_MS; state ${JSON.stringify(waiting)}`);
  expect(waiting).toMatchObject({ status: 'RUNNING', stage: 'approval', policy: { allowed: true } });

  await sleep(start.getTime() - Date.now() + 2000); // the window has started
  const approved = world.cli(['approve', id, '--as', 'alice']);
  expect({ code: approved.code, stderr: approved.stderr }).toMatchObject({ code: 0 });

  // (no re-trigger here: a `trigger` after the run ended would start a new run of the same id)
  const state = await world.waitForState(id, (s) => s.status !== 'RUNNING', 'finished');
  expect({ outcome: state.outcome, traffic: state.traffic }).toMatchObject({
    outcome: {
      kind: 'blocked_by_policy',
      violations: [expect.stringMatching(/^freeze-window: deploys to .* are frozen by window "attack-window" \(incident review\).*re-checked before the deploy at /)],
    },
    traffic: 0,
  });
  const status = world.cli(['status', id]);
  expect(status.stdout + status.stderr).toMatch(/attack-window/);
  const history = world.cli(['history', id, '--json']);
  expect(history.stdout).not.toMatch(/deployCandidate/);
}, PIPELINE_TIMEOUT_MS * 3 + LEAD_MS);
