import { boundSubject, signApproval } from '../../model/approval';
import {
  APPROVALS_TYPE,
  POLICY_VERDICT_TYPE,
  ROLLOUT_TYPE,
  approvalsPredicate,
  buildStatement,
  policyVerdictPredicate,
  rolloutPredicate,
  verifyChain,
} from '../../model/evidence';
import { checkForEnvironment, checkPassedIn } from '../../activities/evidence/record';
import { APPROVER_KEYS, DIGEST, IMAGE, POLICY_DIGEST, RUN_ID, pipelineState, policy, signAll, statements, verdict, workerKey } from '../support/evidence-chain';

// A promoted image carries one policy verdict and one approvals link per environment it went to, and a
// rollout record per environment: the next environment admits it only with the previous one's `promoted`.

const key = workerKey();
const BASE = 'b'.repeat(40);

function judgedFor(environment: string) {
  const state = pipelineState([]);
  state.environment = environment;
  for (const who of ['bob', 'sam'] as const) {
    const groups = Object.entries(policy.groups).filter(([, ms]) => ms.some((m) => m.id === who)).map(([g]) => g);
    state.approval!.decisions.push({ approver: who, decision: 'approve', groups, at: '2026-05-01T10:00:00Z', signature: signApproval(APPROVER_KEYS[who], boundSubject(state, RUN_ID, 'approve')) });
  }
  return [
    buildStatement(IMAGE, POLICY_VERDICT_TYPE, policyVerdictPredicate(environment, { ...verdict(), environment }, { commit: BASE, policyDigest: POLICY_DIGEST, policySource: policy.source, branch: 'main' })),
    buildStatement(IMAGE, APPROVALS_TYPE, approvalsPredicate({ state, runId: RUN_ID, rule: policy.levels.high, authors: ['dana@example.com'] })),
  ];
}

const rollout = (environment: string, outcome: 'promoted' | 'rolled_back') =>
  buildStatement(
    IMAGE,
    ROLLOUT_TYPE,
    rolloutPredicate({ environment, releaseId: `shop-${environment}-cccccccccccc`, strategy: 'blue-green', steps: [{ weight: 0, analyze: true }, { weight: 100, analyze: false }], analysis: [], outcome, startedAt: '2026-05-01T10:01:00Z', finishedAt: '2026-05-01T10:10:00Z' }),
  );

const verify = async (list: ReturnType<typeof statements>) => {
  const envelopes = await signAll(list, key.signer);
  return { envelopes, result: verifyChain(envelopes, { digest: DIGEST, trustedKeys: [key.trusted], policy }) };
};

test('one pair of policy and approvals links per environment verifies, each for its own environment', async () => {
  const { envelopes, result } = await verify([...statements(), ...judgedFor('staging')]);
  expect(result.firstBroken).toBeUndefined();
  expect(checkForEnvironment(result, envelopes, 'prod').ok).toBe(true);
  expect(checkForEnvironment(result, envelopes, 'staging').ok).toBe(true);
  expect(checkForEnvironment(result, envelopes, 'qa').firstBroken).toMatchObject({ link: 'policy', reason: 'judged for environment prod, staging, not qa' });
});

test('a second verdict for the same environment is still broken', async () => {
  const { result } = await verify([...statements(), ...judgedFor('prod').slice(0, 1)]);
  expect(result.firstBroken).toMatchObject({ link: 'policy', reason: expect.stringContaining('a second policy link for prod') });
});

test('approvals for an environment without a verdict for it are broken', async () => {
  const { result } = await verify([...statements(), ...judgedFor('staging').slice(1)]);
  expect(result.firstBroken).toMatchObject({ link: 'approvals', reason: 'approvals are for environment staging, the verdict for prod' });
});

test('"passed in staging": only a promoted rollout record of staging admits the image to the next environment', async () => {
  const base = [...statements(), ...judgedFor('staging')];
  for (const [extra, ok] of [
    [[], false],
    [[rollout('staging', 'rolled_back')], false],
    [[rollout('prod', 'promoted')], false],
    [[rollout('staging', 'promoted')], true],
  ] as const) {
    const { envelopes, result } = await verify([...base, ...extra]);
    const passed = checkPassedIn(result, envelopes, 'staging');
    expect(passed.ok).toBe(ok);
    if (!ok) expect(passed.firstBroken).toMatchObject({ link: 'rollout', reason: 'the image has not passed in staging: no rollout record of staging with outcome promoted' });
  }
});
