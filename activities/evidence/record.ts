import { hostname } from 'node:os';
import type { AirlockConfig } from '../../infra/config';
import {
  breakGlassPredicate,
  flagPredicate,
  buildPredicate,
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  LINKS,
  policyVerdictPredicate,
  rescanPredicate,
  rolloutPredicate,
  sbomPredicate,
  signEnvelope,
  statementBytes,
  trustedKeyFromPem,
  verifyChain,
  vulnPredicate,
  approvalsPredicate,
  type ChainResult,
  type LinkName,
  type TrustedKey,
  fromBase64,
  parseImageRef,
} from '../../model/evidence';
import type { EvidenceRequest, RecordedEvidence, VerifyEvidenceRequest } from '../../model/evidence-record';
import { EvidenceNotVerifiedError } from '../errors';
import { evidenceHandover } from './handover';
import { putEvidence, sha256 } from './store';
import { RegistryAttestations } from './registry-attestations';
import { loadSigningKey, type SigningKey } from './signing-key';

// The evidence chain of a release as the pipeline records it (docs/evidence.md): one activity signs a link
// with the worker's key and pushes it next to the image (cosign's `.att` tag), a copy in the evidence store;
// another verifies the whole chain before a deploy. Statements are built from the activity's input only, so
// a retried call makes the same statement, finds it stored and adds nothing.

export interface EvidenceDeps {
  config: Pick<AirlockConfig, 'registry' | 'signingKey' | 'dirs'>;
}

export function createEvidenceActivities({ config }: EvidenceDeps) {
  const registry = new RegistryAttestations(config.registry);
  // the SBOM was written by the scan, on a build worker: from the registry when it is not in this worker's store
  const handover = evidenceHandover(config.registry, config.dirs.evidence);
  let key: Promise<SigningKey> | undefined;
  const signingKey = () => (key ??= loadSigningKey(config).catch((err: unknown) => ((key = undefined), Promise.reject(err))));
  const builderId = `https://airlock.dev/worker/${hostname()}`;

  /** The statements of one request: the scan gives two links (SBOM and vulnerability report). */
  async function statements(req: EvidenceRequest): Promise<{ link: LinkName; bytes: Uint8Array }[]> {
    const image = parseImageRef(req.image);
    const make = (link: LinkName, predicate: unknown) => ({ link, bytes: statementBytes(buildStatement(image, LINKS[link].predicateType, predicate)) });
    switch (req.link) {
      case 'build':
        if (!req.manifestDigest) throw new RangeError('recordEvidence build: manifestDigest is missing (the adapter reads airlock.yaml at the commit)');
        return [
          make(
            'build',
            buildPredicate({
              repository: req.repo,
              commit: req.commit,
              serviceDir: req.serviceDir,
              manifestDigest: req.manifestDigest,
              builderId,
              pipelineId: req.pipelineId,
              runId: req.runId,
              startedOn: req.startedOn,
              finishedOn: req.finishedOn,
            }),
          ),
        ];
      case 'scan': {
        const sbom = JSON.parse((await handover.read(req.image, req.scan.sbomDigest)).toString('utf8')) as unknown;
        return [
          make('sbom', sbomPredicate(sbom)),
          make(
            'vuln',
            vulnPredicate({
              summary: req.scan,
              dbUri: dbUriOf(req.scan),
              parameters: ['image', '--scanners', 'vuln,secret,misconfig,license', '--format', 'json'],
              pipelineId: req.pipelineId,
              runId: req.runId,
              builderId,
              scanStartedOn: req.startedOn,
              scanFinishedOn: req.finishedOn,
            }),
          ),
        ];
      }
      case 'policy':
        return [make('policy', policyVerdictPredicate(req.environment, req.verdict, req.origin, req.snapshot))];
      case 'approvals':
        return [make('approvals', approvalsPredicate({ state: req.state, runId: req.runId, rule: req.rule, authors: req.authors }))];
      case 'rollout':
        return [make('rollout', rolloutPredicate(req))];
      case 'break-glass':
        return [make('break-glass', breakGlassPredicate(req))];
      case 'rescan':
        return [make('rescan', rescanPredicate({ status: req.status, statusDigest: req.statusDigest, scan: req.scan, dbUri: dbUriOf(req.scan), rescanId: req.pipelineId, runId: req.runId, builderId }))];
      case 'flag': {
        const { releaseId: _r, image: _i, pipelineId, runId, link: _l, ...change } = req;
        return [make('flag', flagPredicate({ ...change, workflowId: pipelineId, runId, builderId }))];
      }
    }
  }

  /** Signs and stores the link(s) of `req`; statements already attached to the image are not signed again. */
  async function recordEvidence(req: EvidenceRequest): Promise<RecordedEvidence> {
    const made = await statements(req);
    const existing = await registry.list(req.image);
    const have = new Set(existing.envelopes.filter((e) => e.payloadType === IN_TOTO_PAYLOAD_TYPE).map((e) => sha256(fromBase64(e.payload))));
    const fresh = made.filter((m) => !have.has(sha256(m.bytes)));
    const { signer } = await signingKey();
    const envelopes = await Promise.all(fresh.map((m) => signEnvelope(IN_TOTO_PAYLOAD_TYPE, m.bytes, signer)));
    const stored = await Promise.all(envelopes.map((e) => putEvidence(config.dirs.evidence, JSON.stringify(e))));
    const attached = envelopes.length
      ? await registry.attach(req.image, envelopes)
      : { manifestDigest: existing.manifestDigest ?? '', added: [] as string[] };
    return { links: made.map((m) => m.link), added: attached.added.length, manifestDigest: attached.manifestDigest, stored };
  }

  /** The chain of `image` from the registry, checked for `environment`: refused (non-retryable) when a link does not hold. */
  async function verifyEvidence(req: VerifyEvidenceRequest): Promise<ChainResult> {
    const trusted = await trustedKeys(req.trustedKeys);
    const { envelopes } = await registry.list(req.image);
    const digest = req.image.slice(req.image.lastIndexOf('@') + 1);
    const checked = checkForEnvironment(verifyChain(envelopes, { digest, trustedKeys: trusted }), envelopes, req.environment);
    const result = req.passedIn ? checkPassedIn(checked, envelopes, req.passedIn) : checked;
    if (!result.ok && !req.check) {
      const b = result.firstBroken!;
      throw new EvidenceNotVerifiedError(`the evidence chain of ${req.image} does not verify: ${brokenLink(b)}`, { image: req.image, link: b.link });
    }
    return result;
  }

  async function trustedKeys(pems: string[] | undefined): Promise<TrustedKey[]> {
    if (pems?.length) return pems.map((pem) => trustedKeyFromPem(pem));
    return [(await signingKey()).trusted];
  }

  /** Whether `image` has a build link for `commit` signed by this worker (the build reuses only such a tag). */
  async function hasProvenance(image: string, commit: string): Promise<boolean> {
    const { envelopes } = await registry.list(image);
    const key = (await signingKey()).trusted;
    const digest = image.slice(image.lastIndexOf('@') + 1);
    const chain = verifyChain(envelopes, { digest, trustedKeys: [key], required: [] });
    return chain.links.some((l) => {
      if (!l.ok || l.link !== 'build') return false;
      const s = statementOf(envelopes[l.index]);
      return (s?.predicate as { buildDefinition?: { externalParameters?: { commit?: string } } } | undefined)?.buildDefinition?.externalParameters?.commit === commit;
    });
  }

  return { recordEvidence, verifyEvidence, hasProvenance };
}

/** Where the scan's vulnerability DB came from, as the scan links record it. */
const dbUriOf = (scan: { dbMode: 'fixture' | 'online' }): string => (scan.dbMode === 'fixture' ? 'fixture:airlock-test-db' : 'ghcr.io/aquasecurity/trivy-db');

/** "<link> link: <reason>", or the reason alone when it names its link already ("the build link is missing"). */
export function brokenLink(b: { link: string; reason?: string }): string {
  const reason = b.reason ?? 'does not hold';
  return reason.includes(`${b.link} link`) ? reason : `${b.link} link: ${reason}`;
}

/**
 * A chain that verifies is for `environment` when it has a policy verdict and approvals judged for it (a
 * promoted image has one pair per environment it went to; verifyChain checked each is single per environment).
 */
export function checkForEnvironment(result: ChainResult, envelopes: readonly unknown[], environment: string): ChainResult {
  if (!result.ok) return result;
  const env = environmentsOf(envelopes);
  for (const link of ['policy', 'approvals'] as const) {
    const got = env[link];
    if (!got.includes(environment)) {
      const l = result.links.find((x) => x.link === link)!;
      const broken = { ...l, ok: false, reason: `judged for environment ${got.join(', ') || '(none)'}, not ${environment}` };
      return { ok: false, links: result.links.map((x) => (x === l ? broken : x)), firstBroken: broken };
    }
  }
  return result;
}

/**
 * "Passed in <environment>" (promotion): the chain holds a rollout record of `environment` whose outcome is
 * `promoted` (its rollout, analysis and soak passed there); the next environment admits the image only then.
 */
export function checkPassedIn(result: ChainResult, envelopes: readonly unknown[], environment: string): ChainResult {
  if (!result.ok) return result;
  const passed = result.links.some((l) => {
    if (!l.ok || l.link !== 'rollout' || l.index < 0) return false;
    const p = statementOf(envelopes[l.index])?.predicate as { environment?: string; outcome?: string } | undefined;
    return p?.environment === environment && p.outcome === 'promoted';
  });
  if (passed) return result;
  const broken: ChainResult['links'][number] = { index: -1, link: 'rollout', predicateType: LINKS.rollout.predicateType, ok: false, reason: `the image has not passed in ${environment}: no rollout record of ${environment} with outcome promoted` };
  return { ok: false, links: [...result.links, broken], firstBroken: broken };
}

/** The environments the policy and approvals links name (verifyChain checked they are signed and about `digest`). */
function environmentsOf(envelopes: readonly unknown[]): Record<'policy' | 'approvals', string[]> {
  const out: Record<'policy' | 'approvals', string[]> = { policy: [], approvals: [] };
  for (const e of envelopes) {
    const s = statementOf(e);
    for (const link of ['policy', 'approvals'] as const) {
      const env = (s?.predicate as { environment?: string } | undefined)?.environment;
      if (s?.predicateType === LINKS[link].predicateType && env) out[link].push(env);
    }
  }
  return out;
}

function statementOf(envelope: unknown): { predicateType: string; predicate: unknown } | undefined {
  try {
    return JSON.parse(Buffer.from(fromBase64((envelope as { payload: string }).payload)).toString('utf8')) as { predicateType: string; predicate: unknown };
  } catch {
    return undefined;
  }
}
