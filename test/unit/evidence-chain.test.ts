import { bytesToHex } from '@noble/curves/utils';
import { boundSubject, publicKeyOf, signApproval, signBreakGlass, type BreakGlassSubject } from '../../model/approval';
import { signFlagKill } from '../../model/flag-rules';
import {
  BREAK_GLASS_TYPE,
  IN_TOTO_PAYLOAD_TYPE,
  RESCAN_TYPE,
  FLAG_TYPE,
  flagPredicate,
  ROLLOUT_TYPE,
  MAX_RESCAN_FINDINGS,
  breakGlassPredicate,
  buildStatement,
  rescanPredicate,
  rolloutPredicate,
  signEnvelope,
  statementBytes,
  verifyChain,
  type ChainOptions,
  type Envelope,
} from '../../model/evidence';
import { APPROVER_KEYS, DIGEST, IMAGE, POLICY_DIGEST, pipelineState, policy, signAll, statements, summary, workerKey } from '../support/evidence-chain';

const key = workerKey();
const opts = (extra: Partial<ChainOptions> = {}): ChainOptions => ({ digest: DIGEST, trustedKeys: [key.trusted], policy, ...extra });
const chain = async (o: Parameters<typeof statements>[0] = {}) => signAll(statements(o), key.signer);
const without = (envs: Envelope[], i: number) => envs.filter((_, j) => j !== i);

describe('verifyChain', () => {
  test('a complete chain verifies: every link, its signer and its time', async () => {
    const result = verifyChain(await chain(), opts());
    expect(result.firstBroken).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.links.map((l) => [l.link, l.ok, l.keyid])).toEqual(['build', 'sbom', 'vuln', 'policy', 'approvals'].map((l) => [l, true, key.trusted.keyid]));
    expect(result.links.map((l) => l.time)).toEqual(['2026-05-01T09:52:00Z', '2026-05-01T09:53:00Z', '2026-05-01T09:54:00Z', '2026-05-01T09:59:00Z', '2026-05-01T10:00:00Z']);
  });

  test('one byte of a predicate changed: that link is broken (signature)', async () => {
    const envs = await chain();
    const body = Buffer.from(envs[2]!.payload, 'base64');
    const at = body.indexOf('"MEDIUM":1');
    body[at + '"MEDIUM":'.length] = '0'.charCodeAt(0);
    envs[2] = { ...envs[2]!, payload: body.toString('base64') };
    const result = verifyChain(envs, opts());
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ index: 2, ok: false, reason: expect.stringContaining('no signature verifies') });
  });

  test('a statement about another image, even signed by the worker, is broken', async () => {
    const envs = await chain();
    const other = { ...IMAGE, digest: `sha256:${'9'.repeat(64)}` };
    const [sbom] = statements().slice(1, 2);
    envs[1] = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(buildStatement(other, sbom!.predicateType, sbom!.predicate)), key.signer);
    expect(verifyChain(envs, opts()).firstBroken).toMatchObject({ index: 1, reason: expect.stringContaining(`not the image's ${DIGEST}`) });
  });

  test('the approvals link removed: the chain misses a required link', async () => {
    const result = verifyChain(without(await chain(), 4), opts());
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ index: -1, link: 'approvals', reason: 'the approvals link is missing' });
  });

  test('a link signed by an unknown key is broken', async () => {
    const envs = await chain();
    envs[0] = (await signAll(statements().slice(0, 1), workerKey().signer))[0]!;
    expect(verifyChain(envs, opts()).firstBroken).toMatchObject({ index: 0, reason: expect.stringContaining('no signature verifies against a trusted key') });
  });

  test('a blocked policy verdict breaks the chain', async () => {
    expect(verifyChain(await chain({ allowed: false }), opts()).firstBroken).toMatchObject({ link: 'policy', reason: expect.stringContaining('blocked the image: vulnerabilities.max-severity') });
  });

  test('a payload type other than in-toto is broken', async () => {
    const envs = await chain();
    envs[3] = await signEnvelope('application/json', statementBytes(statements()[3]!), key.signer);
    expect(verifyChain(envs, opts()).firstBroken).toMatchObject({ index: 3, reason: `payloadType is application/json, expected ${IN_TOTO_PAYLOAD_TYPE}` });
  });

  test('a second approvals link is broken (which one would a reader believe?)', async () => {
    const envs = await chain();
    expect(verifyChain([...envs, envs[4]!], opts()).firstBroken).toMatchObject({ index: 5, reason: expect.stringContaining('a second approvals link') });
  });

  test('a wrong or missing digest option is a programming error', () => {
    expect(() => verifyChain([], opts({ digest: 'sha256:xyz' }))).toThrow(RangeError);
  });
});

describe('approvals are re-verified with the policy keys', () => {
  const brokenApprovals = async (state = pipelineState(), o: Partial<ChainOptions> = {}) => verifyChain(await chain({ state }), opts(o)).firstBroken;

  test('without the policy the approvals cannot be re-checked', async () => {
    expect(await brokenApprovals(undefined, { policy: undefined })).toMatchObject({ link: 'approvals', reason: expect.stringContaining('no approver keys given') });
  });

  test('one approval where the high-risk rule needs two (one from security)', async () => {
    expect(await brokenApprovals(pipelineState(['sam']))).toMatchObject({ link: 'approvals', reason: expect.stringContaining('1 of 2 approvals') });
  });

  test('the author approving their own change', async () => {
    expect(await brokenApprovals(pipelineState(['dana', 'sam']))).toMatchObject({ reason: expect.stringContaining('"dana" is an author of this change') });
  });

  test('a signature made for another run does not verify', async () => {
    const state = pipelineState(['bob', 'sam']);
    const other = pipelineState(['bob', 'sam']);
    other.runId = 'run-0';
    state.approval!.decisions[1]!.signature = signApproval(APPROVER_KEYS.sam, boundSubject(other, 'run-0', 'approve'));
    expect(await brokenApprovals(state)).toMatchObject({ reason: expect.stringContaining('signature of "sam" does not verify') });
  });

  test('an approver key the policy does not list', async () => {
    const groups = { ...policy.groups, security: policy.groups.security!.map((m) => (m.id === 'sam' ? { ...m, publicKey: bytesToHex(new Uint8Array(32).fill(7)) } : m)) };
    expect(await brokenApprovals(undefined, { policy: { ...policy, groups } })).toMatchObject({ reason: expect.stringContaining('signature of "sam" does not verify') });
  });

  test('keys of another policy', async () => {
    expect(await brokenApprovals(undefined, { policy: { ...policy, policyDigest: `sha256:${'8'.repeat(64)}` } })).toMatchObject({ reason: expect.stringContaining('the keys given are of policy') });
  });
});

describe('rollout and break-glass links', () => {
  test('a rollout record joins the chain', async () => {
    const rollout = rolloutPredicate({
      environment: 'prod',
      releaseId: 'shop-prod-cccccccccccc',
      strategy: 'canary',
      steps: [{ weight: 10, analyze: true }, { weight: 100, analyze: true }],
      analysis: [{ step: 10, verdict: 'pass', measurements: [{ metric: 'success-rate', step: 10, value: 1, threshold: 0.99, passed: true, at: '2026-05-01T10:05:00Z', query: 'q' }] }],
      outcome: 'promoted',
      startedAt: '2026-05-01T10:01:00Z',
      finishedAt: '2026-05-01T10:10:00Z',
    });
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(buildStatement(IMAGE, ROLLOUT_TYPE, rollout)), key.signer);
    const result = verifyChain([...(await chain()), env], opts());
    expect(result.ok).toBe(true);
    expect(result.links[5]).toMatchObject({ link: 'rollout', time: '2026-05-01T10:10:00Z' });
  });

  test('rescan records join the chain, one per scheduled rescan, the newest last; a forged one does not verify', async () => {
    const rescan = (scannedAt: string, findings: string[]) =>
      rescanPredicate({
        status: {
          service: 'shop', environment: 'prod', releaseId: 'shop-prod-cccccccccccc', image: `${IMAGE.name}@${DIGEST}`, compliant: findings.length === 0, scannedAt,
          dbMode: 'fixture', reportDigest: summary.reportDigest, policyDigest: POLICY_DIGEST, findings, expiring: [], onViolation: 'alert',
        },
        statusDigest: `sha256:${'5'.repeat(64)}`,
        scan: summary,
        dbUri: 'fixture:airlock-test-db',
        rescanId: 'airlock-rescan/shop/prod-2026-05-02T10:00:00Z',
        runId: 'run-r',
        builderId: 'https://airlock.dev/worker/test',
      });
    const sign = (p: unknown, signer = key.signer) => signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(buildStatement(IMAGE, RESCAN_TYPE, p)), signer);
    const clean = await sign(rescan('2026-05-02T10:00:00Z', []));
    const many = Array.from({ length: MAX_RESCAN_FINDINGS + 5 }, (_, i) => `vulnerability CVE-2026-${1000 + i}: CRITICAL`);
    const dirty = rescan('2026-05-03T10:00:00Z', many);
    expect(dirty.compliance).toMatchObject({ compliant: false, findingsOmitted: 5 });
    expect(dirty.compliance.findings).toHaveLength(MAX_RESCAN_FINDINGS);
    const result = verifyChain([...(await chain()), clean, await sign(dirty)], opts());
    expect(result.ok).toBe(true);
    expect(result.links.slice(5).map((l) => [l.link, l.ok, l.time])).toEqual([
      ['rescan', true, '2026-05-02T10:00:00Z'],
      ['rescan', true, '2026-05-03T10:00:00Z'],
    ]);
    // a "compliant" rescan signed by anyone but a trusted worker key is not part of the chain
    const forged = await sign(rescan('2026-05-04T10:00:00Z', []), workerKey().signer);
    expect(verifyChain([...(await chain()), forged], opts()).firstBroken).toMatchObject({ index: 5, ok: false });
  });

  test('flag changes join the chain: a rollout with its outcome, a signed kill re-verified; a kill whose reason was edited breaks', async () => {
    const common = { service: 'shop', environment: 'prod', flag: 'new-checkout', source: { pipelineId: 'airlock/shop/prod/abc', commit: 'a'.repeat(40) }, runId: 'run-f', builderId: 'https://airlock.dev/worker/test' };
    const rollout = flagPredicate({
      ...common,
      change: 'rollout',
      workflowId: 'airlock-flag/shop/prod/new-checkout',
      steps: [1, 5, 25, 50, 100],
      analysis: [{ step: 3, share: 25, verdict: 'fail', on: { requests: 15, errors: 3, denied: 0 }, off: { requests: 45, errors: 0, denied: 0 }, reasons: ['on: 5xx 20.0% > 2.0% (3/15)'] }],
      outcome: { kind: 'killed', step: 3, share: 25, by: 'airlock', reason: 'step 3 (25%): on: 5xx 20.0% > 2.0% (3/15)' },
      recordedAt: '2026-05-02T11:00:00.000Z',
    });
    const killId = 'airlock-flag-kill/shop/prod/new-checkout/n1';
    const signature = signFlagKill(APPROVER_KEYS.bob, { service: 'shop', environment: 'prod', flag: 'new-checkout', reason: 'pager', workflowId: killId });
    const kill = flagPredicate({
      ...common,
      change: 'kill',
      workflowId: killId,
      outcome: { kind: 'killed', share: 0, by: 'bob', reason: 'pager' },
      kill: { by: 'bob', reason: 'pager', publicKey: publicKeyOf(APPROVER_KEYS.bob), signature },
      recordedAt: '2026-05-02T11:05:00.000Z',
    });
    const sign = (p: unknown) => signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(buildStatement(IMAGE, FLAG_TYPE, p)), key.signer);
    const result = verifyChain([...(await chain()), await sign(rollout), await sign(kill)], opts());
    expect(result.ok).toBe(true);
    expect(result.links.slice(5).map((l) => [l.link, l.ok, l.time, l.summary])).toEqual([
      ['flag', true, '2026-05-02T11:00:00.000Z', 'new-checkout rollout 1,5,25,50,100: killed at step 3 (25%) by airlock: step 3 (25%): on: 5xx 20.0% > 2.0% (3/15)'],
      ['flag', true, '2026-05-02T11:05:00.000Z', 'new-checkout kill: killed by bob: pager'],
    ]);
    // the worker signed a kill record whose reason no longer matches what the approver signed: broken
    const edited = { ...kill, kill: { ...kill.kill!, reason: 'routine clean-up' } };
    expect(verifyChain([...(await chain()), await sign(edited)], opts()).firstBroken).toMatchObject({ index: 5, link: 'flag', reason: expect.stringContaining('not the one bound') });
  });

  test('break-glass signatures are re-checked against the group in the policy', async () => {
    const subject: BreakGlassSubject = { service: 'shop', environment: 'prod', imageDigest: DIGEST, reason: 'outage', workflowId: 'airlock-break-glass/shop/prod/n1', expiresAt: '2026-05-01T12:00:00Z' };
    const sign = (who: 'bob' | 'sam') => ({ approver: who, signature: signBreakGlass(APPROVER_KEYS[who], subject) });
    const link = async (signers: ('bob' | 'sam')[], s = subject) =>
      signEnvelope(
        IN_TOTO_PAYLOAD_TYPE,
        statementBytes(buildStatement(IMAGE, BREAK_GLASS_TYPE, breakGlassPredicate({ subject: s, group: 'oncall', policy: { digest: POLICY_DIGEST, source: policy.source }, signatures: signers.map(sign), signers }))),
        key.signer,
      );
    const base = await chain();
    expect(verifyChain([...base, await link(['bob', 'sam'])], opts()).ok).toBe(true);
    // recorded for another image: the message no longer binds this one
    const elsewhere = verifyChain([...base, await link(['bob'], { ...subject, imageDigest: `sha256:${'9'.repeat(64)}` })], opts());
    expect(elsewhere.firstBroken).toMatchObject({ link: 'break-glass', reason: expect.stringContaining('not the one bound to this image') });
  });
});
