import { readFile } from 'node:fs/promises';
import { bytesToUtf8 } from '@noble/curves/utils';
import type { AirlockConfig } from '../../infra/config';
import { InvalidInputError } from '../../model/errors';
import { IN_TOTO_PAYLOAD_TYPE, LINKS, parseImageRef, statementSchema, trustedKeyFromPem, verifyChain, verifyEnvelope, type TrustedKey } from '../../model/evidence';
import { EvidenceNotVerifiedError } from '../errors';
import { brokenLink, checkForEnvironment } from '../evidence/record';
import { RegistryAttestations } from '../evidence/registry-attestations';
import { loadSigningKey } from '../evidence/signing-key';

// Admission on the deploy host (docs/security.md item 24). The pipeline role verifies an image's evidence
// chain before it schedules the deploy; a deploy worker of a fleet checks again before it creates anything,
// because whoever can schedule activity tasks on its queue (a rogue workflow on a worker of its own) skips
// the pipeline's check. It trusts only its own configuration: the keys whose evidence signatures count
// (AIRLOCK_TRUSTED_KEYS: the pipeline workers' public keys) and the environment the task names, which the
// chain itself must name: a signed policy verdict and approvals for that environment, or a signed
// break-glass record for it.

/** Refuses (EvidenceNotVerifiedError, not retried) an image whose chain does not admit it to `environment`. */
export type DeployAdmission = (image: string, environment: string) => Promise<void>;

/** The admission of this worker's configuration (`config.deployAdmission`): a no-op when it is `off`. */
export function deployAdmissionOf(
  config: Pick<AirlockConfig, 'deployAdmission' | 'registry' | 'signingKey' | 'dirs'>,
  registry: Pick<RegistryAttestations, 'list'> = new RegistryAttestations(config.registry),
): DeployAdmission {
  if (config.deployAdmission.mode === 'off') return async () => {};
  let keys: Promise<TrustedKey[]> | undefined;
  const trusted = () => (keys ??= trustedKeysOf(config).catch((err: unknown) => ((keys = undefined), Promise.reject(err))));
  return async (image, environment) => {
    let digest: string;
    try {
      digest = parseImageRef(image).digest;
    } catch {
      throw new EvidenceNotVerifiedError(`the deploy host admits only an image pinned by digest (<repository>@sha256:<64 hex>), not ${image}`, { image });
    }
    const trustedKeys = await trusted();
    const { envelopes } = await registry.list(image);
    const gated = checkForEnvironment(verifyChain(envelopes, { digest, trustedKeys }), envelopes, environment);
    if (gated.ok || breakGlassFor(envelopes, trustedKeys, digest, environment)) return;
    const hint = config.deployAdmission.trustedKeys ? '' : '; it trusts only its own key: set AIRLOCK_TRUSTED_KEYS to the pipeline workers\' public keys';
    throw new EvidenceNotVerifiedError(
      `the deploy host refuses ${image} for ${environment}: its evidence chain does not verify (${brokenLink(gated.firstBroken!)}) and it has no signed break-glass record for ${environment}${hint}`,
      { image, link: gated.firstBroken!.link },
    );
  };
}

/**
 * A break-glass record of `environment` for this image, signed by a trusted worker key: the pipeline role
 * re-verified the group's N of M signatures before it signed the record (workflows/deploy-release.ts); the
 * deploy host needs no approver keys to believe its own fleet's signature.
 */
export function breakGlassFor(envelopes: readonly unknown[], trustedKeys: readonly TrustedKey[], digest: string, environment: string): boolean {
  const hex = digest.replace(/^sha256:/, '');
  return envelopes.some((envelope) => {
    const env = verifyEnvelope(envelope, trustedKeys);
    if (!env.ok || env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return false;
    try {
      const s = statementSchema.safeParse(JSON.parse(bytesToUtf8(env.payload)));
      if (!s.success || s.data.predicateType !== LINKS['break-glass'].predicateType) return false;
      if (!s.data.subject.length || s.data.subject.some((x) => x.digest.sha256 !== hex)) return false;
      const p = LINKS['break-glass'].schema.safeParse(s.data.predicate);
      return p.success && (p.data as { environment: string }).environment === environment;
    } catch {
      return false;
    }
  });
}

/** AIRLOCK_TRUSTED_KEYS (one or more PEM public keys in one file), else this worker's own signing key. */
async function trustedKeysOf(config: Pick<AirlockConfig, 'deployAdmission' | 'signingKey' | 'dirs'>): Promise<TrustedKey[]> {
  const file = config.deployAdmission.trustedKeys;
  if (!file) return [(await loadSigningKey(config)).trusted];
  return parseTrustedKeys(await readFile(file, 'utf8'), file);
}

/** Every `PUBLIC KEY` PEM block of `text`; at least one, each an ECDSA P-256 key. */
export function parseTrustedKeys(text: string, file: string): TrustedKey[] {
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (!blocks.length) throw InvalidInputError.line('AIRLOCK_TRUSTED_KEYS', `${file} holds no PEM public key (-----BEGIN PUBLIC KEY-----)`);
  return blocks.map((pem, i) => {
    try {
      return trustedKeyFromPem(`${pem}\n`);
    } catch (err) {
      throw InvalidInputError.line('AIRLOCK_TRUSTED_KEYS', `${file}, key ${i + 1}: ${(err as Error).message}`);
    }
  });
}
