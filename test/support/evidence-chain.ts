import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { publicKeyOf, signApproval, boundSubject, type ApprovalRecord } from '../../model/approval';
import {
  IN_TOTO_PAYLOAD_TYPE,
  buildPredicate,
  buildStatement,
  policyVerdictPredicate,
  approvalsPredicate,
  sbomPredicate,
  signEnvelope,
  statementBytes,
  trustedKeyFromPem,
  vulnPredicate,
  APPROVALS_TYPE,
  COSIGN_VULN_TYPE,
  CYCLONEDX_TYPE,
  POLICY_VERDICT_TYPE,
  SLSA_PROVENANCE_TYPE,
  type Envelope,
  type ImageRef,
  type Signer,
  type Statement,
  type TrustedKey,
} from '../../model/evidence';
import { parseWith } from '../../model/parse';
import type { PipelineState } from '../../model/pipeline';
import { policySnapshotSchema, type PolicySnapshot } from '../../model/policy-snapshot';
import type { PolicyVerdict } from '../../model/policy-verdict';
import type { ScanSummary } from '../../model/scan';

// A complete, valid evidence chain for one image, built with the real builders and a fresh P-256 key:
// the evidence unit tests tamper with it one way at a time.

export function workerKey(): { signer: Signer; trusted: TrustedKey; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const trusted = trustedKeyFromPem(pem);
  return { pem, trusted, signer: { keyid: trusted.keyid, sign: (pae) => new Uint8Array(sign('sha256', pae, privateKey)) } };
}

export const publicPemOf = (key: Parameters<typeof createPublicKey>[0]) => createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();

export const DIGEST = `sha256:${'e'.repeat(64)}`;
export const IMAGE: ImageRef = { name: '127.0.0.1:5000/shop', digest: DIGEST };
export const POLICY_DIGEST = `sha256:${'f'.repeat(64)}`;
const HEAD = 'c'.repeat(40);
const BASE = 'b'.repeat(40);
export const RUN_ID = 'run-1';

export const APPROVER_KEYS = { dana: 'd1'.repeat(32), alice: 'a1'.repeat(32), bob: 'b1'.repeat(32), sam: '5a'.repeat(32) };
type Who = keyof typeof APPROVER_KEYS;
const member = (id: Who, aliases: string[] = []) => ({ id, publicKey: publicKeyOf(APPROVER_KEYS[id]), aliases });

export const policy: PolicySnapshot = parseWith(
  policySnapshotSchema,
  {
    source: `git:https://git.example/shop@${BASE}:airlock.policy.yaml`,
    policyDigest: POLICY_DIGEST,
    groups: { dev: [member('dana', ['dana@example.com']), member('bob')], security: [member('sam'), member('alice')], oncall: [member('bob'), member('sam')] },
    levels: { medium: { approvals: 1 }, high: { approvals: 2, groups: ['dev', 'security'], require: ['security'] } },
    approvalTimeoutMs: 60_000,
  },
  'policy',
);

export function pipelineState(approvers: Who[] = ['bob', 'sam']): PipelineState {
  const state = {
    pipelineId: `airlock/shop/prod/${HEAD}`,
    runId: RUN_ID,
    judged: { base: BASE, head: HEAD, policyDigest: POLICY_DIGEST },
    releaseId: 'shop-prod-cccccccccccc',
    service: 'shop',
    environment: 'prod',
    headCommit: HEAD,
    author: 'dana@example.com',
    stage: 'deploying',
    risk: { score: 80, level: 'high', reasons: ['touches auth/'] },
    image: `${IMAGE.name}@${DIGEST}`,
    traffic: 0,
    analysis: [],
    compensations: [],
    approval: { needed: 2, require: ['security'], groups: ['dev', 'security'], decisions: [] as ApprovalRecord[] },
  } as unknown as PipelineState;
  for (const who of approvers) {
    const groups = Object.entries(policy.groups).filter(([, ms]) => ms.some((m) => m.id === who)).map(([g]) => g);
    state.approval!.decisions.push({ approver: who, decision: 'approve', groups, at: '2026-05-01T10:00:00Z', signature: signApproval(APPROVER_KEYS[who], boundSubject(state, RUN_ID, 'approve')) });
  }
  return state;
}

export const summary: ScanSummary = {
  image: `${IMAGE.name}@${DIGEST}`,
  vulnerabilities: { counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 2, UNKNOWN: 0 }, findings: [] },
  secrets: [],
  misconfigurations: [],
  licenses: [],
  reportDigest: `sha256:${'1'.repeat(64)}`,
  sbomDigest: `sha256:${'2'.repeat(64)}`,
  trivyVersion: '0.58.1',
  dbMode: 'fixture',
  dbUpdatedAt: '2026-04-30T00:00:00Z',
};

export const verdict = (allowed = true): PolicyVerdict => ({
  allowed,
  violations: allowed ? [] : [{ rule: 'vulnerabilities.max-severity', severity: 'critical', detail: 'CVE-2026-0001 in openssl', blocking: true, subject: 'CVE-2026-0001' }],
  exceptionsApplied: [{ id: 'ex-1', owner: 'sam', reason: 'no fix yet', expires: '2026-06-01', covered: ['CVE-2025-1 in zlib'] }],
  policyDigest: POLICY_DIGEST,
  notVerifiable: [],
  evaluatedAt: '2026-05-01T09:59:00Z',
  action: 'deploy',
  environment: 'prod',
});

export function statements(opts: { allowed?: boolean; state?: PipelineState } = {}): Statement<unknown>[] {
  const state = opts.state ?? pipelineState();
  return [
    buildStatement(
      IMAGE,
      SLSA_PROVENANCE_TYPE,
      buildPredicate({
        repository: 'https://git.example/shop',
        commit: HEAD,
        serviceDir: '.',
        manifestDigest: `sha256:${'3'.repeat(64)}`,
        baseImage: { ref: 'airlock/base:bookworm-1', digest: `sha256:${'4'.repeat(64)}` },
        builderId: 'https://airlock.dev/worker/test',
        pipelineId: state.pipelineId,
        runId: RUN_ID,
        startedOn: '2026-05-01T09:50:00Z',
        finishedOn: '2026-05-01T09:52:00Z',
      }),
    ),
    buildStatement(IMAGE, CYCLONEDX_TYPE, sbomPredicate({ bomFormat: 'CycloneDX', specVersion: '1.6', metadata: { timestamp: '2026-05-01T09:53:00Z' }, components: [] })),
    buildStatement(
      IMAGE,
      COSIGN_VULN_TYPE,
      vulnPredicate({ summary, dbUri: 'fixture', parameters: ['image', '--format', 'json'], pipelineId: state.pipelineId, runId: RUN_ID, builderId: 'https://airlock.dev/worker/test', scanStartedOn: '2026-05-01T09:53:00Z', scanFinishedOn: '2026-05-01T09:54:00Z' }),
    ),
    buildStatement(
      IMAGE,
      POLICY_VERDICT_TYPE,
      policyVerdictPredicate('prod', verdict(opts.allowed ?? true), { commit: BASE, policyDigest: POLICY_DIGEST, policySource: policy.source, branch: 'main' }),
    ),
    buildStatement(IMAGE, APPROVALS_TYPE, approvalsPredicate({ state, runId: RUN_ID, rule: policy.levels.high, authors: ['dana@example.com'] })),
  ];
}

export function signAll(list: Statement<unknown>[], signer: Signer): Promise<Envelope[]> {
  return Promise.all(list.map((s) => signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(s), signer)));
}
