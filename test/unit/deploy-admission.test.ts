import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployAdmissionOf, parseTrustedKeys } from '../../activities/deploy/admission';
import { resolveDeps } from '../../activities/deploy/deps';
import { deployCandidate } from '../../activities/deploy/deploy-candidate';
import { EvidenceNotVerifiedError } from '../../activities/errors';
import type { StackDriver } from '../../infra/deploy/stack';
import { loadConfig } from '../../infra/config';
import { APPROVALS_TYPE, BREAK_GLASS_TYPE, POLICY_VERDICT_TYPE, approvalsPredicate, breakGlassPredicate, buildStatement, policyVerdictPredicate, type Envelope, type Statement } from '../../model/evidence';
import { DIGEST, IMAGE, POLICY_DIGEST, RUN_ID, pipelineState, policy, signAll, statements, verdict, workerKey } from '../support/evidence-chain';

// Admission on the deploy host (docs/security.md item 24): a fleet's deploy worker checks the image's evidence
// chain itself before it creates anything. Its task queue is no proof that the pipeline's check ran: a rogue
// workflow on a worker of its own can schedule deployCandidate there with any image.

const pipelineKey = workerKey();
const rogueKey = workerKey();
const image = `${IMAGE.name}@${DIGEST}`;
let dir: string;
let keysFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-admission-'));
  keysFile = join(dir, 'trusted.pem');
  // the operator's file: the pipeline workers' public keys
  writeFileSync(keysFile, `${workerKey().pem}\n${pipelineKey.pem}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (mode: 'verify' | 'off') => ({ ...loadConfig({ AIRLOCK_HOME: dir }), deployAdmission: { mode, trustedKeys: keysFile } });

/** The admission of a deploy host whose registry holds `envelopes` for the image. */
function admission(envelopes: Envelope[], mode: 'verify' | 'off' = 'verify') {
  const listed: string[] = [];
  const admit = deployAdmissionOf(config(mode), {
    list: async (ref: string) => {
      listed.push(ref);
      return { envelopes, manifestDigest: undefined } as never;
    },
  });
  return { admit, listed };
}

/**
 * The chain a pipeline records for prod: build, SBOM, vulnerabilities, then the verdict (which carries the
 * judging policy's approver keys, as the worker records it) and the approvals.
 */
function gatedChain(): Statement<unknown>[] {
  const [build, sbom, vuln] = statements();
  const state = pipelineState();
  return [
    build!,
    sbom!,
    vuln!,
    buildStatement(IMAGE, POLICY_VERDICT_TYPE, policyVerdictPredicate('prod', verdict(), { commit: 'b'.repeat(40), policyDigest: POLICY_DIGEST, policySource: policy.source, branch: 'main' }, policy)),
    buildStatement(IMAGE, APPROVALS_TYPE, approvalsPredicate({ state, runId: RUN_ID, rule: policy.levels.high, authors: ['dana@example.com'] })),
  ];
}

const breakGlass = (environment: string): Statement<unknown> =>
  buildStatement(
    IMAGE,
    BREAK_GLASS_TYPE,
    breakGlassPredicate({
      subject: { service: 'shop', environment, imageDigest: DIGEST, reason: 'outage', workflowId: 'airlock-deploy/shop/x', expiresAt: '2026-05-01T11:00:00Z' },
      group: 'breakglass',
      policy: { digest: POLICY_DIGEST, source: 'airlock.policy.yaml@main' },
      signatures: [{ approver: 'alice', signature: 'ab'.repeat(64) }],
      signers: ['alice'],
    }),
  );

test('a chain a trusted pipeline worker signed for the environment is admitted', async () => {
  const { admit, listed } = admission(await signAll(gatedChain(), pipelineKey.signer));
  await expect(admit(image, 'prod')).resolves.toBeUndefined();
  expect(listed).toEqual([image]);
});

test('attack: an image with no chain, a chain for another environment, or signed by a key the host does not trust', async () => {
  await expect(admission([]).admit(image, 'prod')).rejects.toThrow(/the deploy host refuses .* for prod: its evidence chain does not verify \(the build link is missing\)/);
  await expect(admission(await signAll(gatedChain(), pipelineKey.signer)).admit(image, 'staging')).rejects.toThrow(/policy link: judged for environment prod, not staging/);
  const forged = admission(await signAll(gatedChain(), rogueKey.signer));
  await expect(forged.admit(image, 'prod')).rejects.toThrow(EvidenceNotVerifiedError);
  await expect(forged.admit(image, 'prod')).rejects.toThrow(/no signature verifies against a trusted key/);
});

test('attack: an image by tag, not by digest', async () => {
  await expect(admission([]).admit(`${IMAGE.name}:latest`, 'prod')).rejects.toThrow(/admits only an image pinned by digest/);
});

test('break-glass: a signed break-glass record of the environment admits the image (the pipeline role checked the N of M signatures)', async () => {
  const [build, sbom, vuln] = statements();
  const { admit } = admission(await signAll([build!, sbom!, vuln!, breakGlass('prod')], pipelineKey.signer));
  await expect(admit(image, 'prod')).resolves.toBeUndefined();
  await expect(admit(image, 'staging')).rejects.toThrow(/no signed break-glass record for staging/);
  const rogue = admission(await signAll([build!, sbom!, vuln!, breakGlass('prod')], rogueKey.signer));
  await expect(rogue.admit(image, 'prod')).rejects.toThrow(EvidenceNotVerifiedError);
});

test('off (the one-process default): nothing is read', async () => {
  const { admit, listed } = admission([], 'off');
  await expect(admit(image, 'prod')).resolves.toBeUndefined();
  expect(listed).toEqual([]);
});

test('deployCandidate asks the admission before it touches the stack', async () => {
  const touched: string[] = [];
  const driver = new Proxy({} as StackDriver, {
    get: (_t, name) => () => {
      touched.push(String(name));
      throw new Error(`the stack was touched: ${String(name)}`);
    },
  });
  const deps = resolveDeps({ config: config('verify'), driver, admit: admission([]).admit, heartbeat: () => undefined });
  await expect(deployCandidate(deps)({ service: 'shop', environment: 'prod', releaseId: 'shop-abc', image, repo: '/r', commit: 'c', serviceDir: '.' })).rejects.toThrow(EvidenceNotVerifiedError);
  expect(touched).toEqual([]);
});

test('configuration: verify by default for a fleet (roles set), off for one process; AIRLOCK_TRUSTED_KEYS parsed with errors that name it', () => {
  expect(loadConfig({ AIRLOCK_HOME: dir }).deployAdmission.mode).toBe('off');
  expect(loadConfig({ AIRLOCK_HOME: dir, AIRLOCK_WORKER_ROLES: 'build,deploy:local' }).deployAdmission.mode).toBe('verify');
  expect(loadConfig({ AIRLOCK_HOME: dir, AIRLOCK_DEPLOY_ADMISSION: 'verify' }).deployAdmission.mode).toBe('verify');
  expect(() => loadConfig({ AIRLOCK_DEPLOY_ADMISSION: 'maybe' })).toThrow(/AIRLOCK_DEPLOY_ADMISSION/);
  expect(parseTrustedKeys(`${pipelineKey.pem}${rogueKey.pem}`, 'f.pem').map((k) => k.keyid)).toEqual([pipelineKey.trusted.keyid, rogueKey.trusted.keyid]);
  expect(() => parseTrustedKeys('nothing here', 'f.pem')).toThrow(/f\.pem holds no PEM public key/);
  expect(() => parseTrustedKeys('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', 'f.pem')).toThrow(/f\.pem, key 1:/);
});
