import { admittedFirst } from '../../activities/pipeline';
import { EvidenceNotVerifiedError } from '../../activities/errors';
import { InvalidInputError } from '../../model/parse';
import type { VerifyEvidenceRequest } from '../../model/evidence-record';
import type { PipelineActivities } from '../../model/activities';

// deployCandidate's `admit` (patch verify-in-deploy): the pipeline's own chain check runs inside the deploy
// activity, first. A chain that does not verify stops it before the deploy starts; the environment checked is
// the deploy's own, never one the caller names apart from it. `admit.approvals` (patch approvals-in-deploy): the
// approvals link is recorded first, for the deploy's own release and image, so that the verification sees it.

const IMAGE = `127.0.0.1:5000/shop@sha256:${'e'.repeat(64)}`;
const target = {
  service: 'shop',
  environment: 'prod',
  run: { port: 8080, health: '/healthz', replicas: 1 },
  settings: { routerPort: 18080 },
} as never;
const input = (extra: Record<string, unknown> = {}) => ({ releaseId: 'shop-prod-abc', service: 'shop', environment: 'prod', image: IMAGE, target, ...extra });

function harness(refuse?: string, recordFails?: string) {
  const asked: VerifyEvidenceRequest[] = [];
  const deployed: unknown[] = [];
  const recorded: unknown[] = [];
  const order: string[] = [];
  const record = async (req: unknown) => {
    order.push('record');
    recorded.push(req);
    if (recordFails) throw new Error(recordFails);
    return { links: ['approvals'], added: 1 };
  };
  const verify = async (req: VerifyEvidenceRequest) => {
    order.push('verify');
    asked.push(req);
    if (refuse) throw new EvidenceNotVerifiedError(`the evidence chain of ${req.image} does not verify: ${refuse}`, { image: req.image, link: 'approvals' });
    return { ok: true, links: [] };
  };
  const deploy = (async (i: unknown) => {
    order.push('deploy');
    deployed.push(i);
    return { releaseId: 'shop-prod-abc', image: IMAGE, containers: ['shop-prod-abc-1'] };
  }) as PipelineActivities['deployCandidate'];
  return { run: admittedFirst(verify, deploy, record), asked, deployed, recorded, order };
}

test('with admit: the chain is verified for the deploy\'s environment with the policy\'s keys, then the deploy runs', async () => {
  const h = harness();
  await h.run(input({ admit: { trustedKeys: ['-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n'], passedIn: 'staging' } }));
  expect(h.asked).toEqual([
    { releaseId: 'shop-prod-abc', image: IMAGE, environment: 'prod', trustedKeys: ['-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n'], passedIn: 'staging' },
  ]);
  expect(h.deployed).toHaveLength(1);
});

test('a chain that does not verify refuses before the deploy starts', async () => {
  const h = harness('approvals link: signature of alice does not verify');
  await expect(h.run(input({ admit: {} }))).rejects.toThrow(EvidenceNotVerifiedError);
  expect(h.deployed).toEqual([]);
});

test('without admit (a deploy host of a fleet, airlock deploy, older runs): no pipeline check here', async () => {
  const h = harness('would refuse');
  await h.run(input());
  expect(h.asked).toEqual([]);
  expect(h.deployed).toHaveLength(1);
});

test('admit is parsed at the boundary: no environment of its own, no empty key list, nothing unknown', async () => {
  for (const [admit, field] of [
    [{ environment: 'dev' }, /admit/],
    [{ trustedKeys: [] }, /admit\.trustedKeys/],
    [{ passedIn: 'Staging!' }, /admit\.passedIn.*lowercase slugs/],
  ] as const) {
    const h = harness();
    const err = await h.run(input({ admit })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String((err as Error).message)).toMatch(field);
    expect([h.asked, h.deployed]).toEqual([[], []]);
  }
});

const APPROVALS = {
  pipelineId: 'airlock/shop/prod/abc',
  runId: 'run-1',
  state: { pipelineId: 'airlock/shop/prod/abc', environment: 'prod', risk: { level: 'medium' } },
  rule: { approvals: 1, groups: [], require: [] },
  authors: ['dana@example.com'],
};

test('with admit.approvals: the approvals link is recorded for the deploy\'s release and image, then verified without it, then deployed', async () => {
  const h = harness();
  await h.run(input({ admit: { approvals: APPROVALS } }));
  expect(h.order).toEqual(['record', 'verify', 'deploy']);
  // what the workflow gave recordEvidence for this link before the patch
  expect(h.recorded).toEqual([{ releaseId: 'shop-prod-abc', image: IMAGE, link: 'approvals', ...APPROVALS }]);
  expect(h.asked).toEqual([{ releaseId: 'shop-prod-abc', image: IMAGE, environment: 'prod' }]);
});

test('an approvals link that cannot be recorded stops it before the verification and the deploy', async () => {
  const h = harness(undefined, 'registry unavailable');
  await expect(h.run(input({ admit: { approvals: APPROVALS } }))).rejects.toThrow('registry unavailable');
  expect(h.order).toEqual(['record']);
});

test('admit.approvals is parsed at the boundary: it cannot name another image or release, and its rule is a level rule', async () => {
  for (const [approvals, field] of [
    [{ ...APPROVALS, image: 'other@sha256:' + 'f'.repeat(64) }, /admit\.approvals/],
    [{ ...APPROVALS, releaseId: 'other' }, /admit\.approvals/],
    [{ ...APPROVALS, rule: { approvals: 'one' } }, /admit\.approvals\.rule/],
    [{ ...APPROVALS, runId: '' }, /admit\.approvals\.runId/],
  ] as const) {
    const h = harness();
    const err = await h.run(input({ admit: { approvals } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String((err as Error).message)).toMatch(field);
    expect(h.order).toEqual([]);
  }
});
