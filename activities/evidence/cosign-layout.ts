import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError, parseWith } from '../../model/parse';

/**
 * The registry layout cosign reads attestations from (sigstore/cosign pkg/oci/remote, pkg/oci/static,
 * pkg/oci/mutate, pkg/oci/empty; go-containerregistry pkg/v1/mutate), written without cosign:
 * - tag `sha256-<hex>.att` in the image's repository (remote.AttestationTag: `normalize(h, "", "att")`);
 * - an OCI image manifest whose config is an image config (application/vnd.oci.image.config.v1+json) with
 *   rootfs.diff_ids = the layer digests and one empty history entry a layer, as go-containerregistry's
 *   mutate.Append on empty.Image writes it;
 * - one layer a DSSE envelope, mediaType application/vnd.dsse.envelope.v1+json (types.DssePayloadType),
 *   annotations `dev.cosignproject.cosign/signature: ""` (the signature is inside the envelope; cosign's
 *   sigLayer refuses a layer without that key) and `predicateType: <uri>` (cosign attest.go).
 * Pure functions: bytes in, bytes and descriptors out; the I/O is in registry-attestations.ts.
 */

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
/** cosign refuses an attestation image with more layers than this (pkg/oci/remote/signatures.go maxLayers). */
export const MAX_LAYERS = 1000;

export const sha256Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md) as cosign stores it. */
export const envelopeSchema = z.object({
  payloadType: z.string().min(1),
  payload: base64,
  signatures: z.array(z.object({ keyid: z.string().optional(), sig: base64.min(1) })).min(1),
});
export type Envelope = z.infer<typeof envelopeSchema>;

export const descriptorSchema = z.object({
  mediaType: z.string().min(1),
  digest: sha256Digest,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  artifactType: z.string().optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

/** The fields of an image manifest this code reads; others are kept out (we rewrite the whole manifest). */
export const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

const statementHead = z.object({ predicateType: z.string().min(1) });

export const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** cosign's attestation tag for an image digest: `sha256:<hex>` -> `sha256-<hex>.att`. */
export function attestationTag(digest: string): string {
  return `${parseWith(sha256Digest, digest, 'image digest').replace(':', '-')}.att`;
}

/** One envelope as a blob: its canonical JSON bytes (fixed key order, so equal envelopes dedupe) and its layer descriptor. */
export function envelopeLayer(input: unknown, source = 'attestation envelope'): { bytes: Buffer; descriptor: Descriptor; envelope: Envelope } {
  const envelope = parseWith(envelopeSchema, input, source);
  if (envelope.payloadType !== IN_TOTO_PAYLOAD)
    throw InvalidInputError.line(source, `payloadType: '${envelope.payloadType}' is not ${IN_TOTO_PAYLOAD} (cosign verify-attestation reads in-toto statements only)`);
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  } catch {
    throw InvalidInputError.line(source, 'payload: is not base64 of a JSON in-toto statement');
  }
  const { predicateType } = parseWith(statementHead, statement, `${source} payload`);
  const canonical: Envelope = {
    payloadType: envelope.payloadType,
    payload: envelope.payload,
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid ?? '', sig: s.sig })),
  };
  const bytes = Buffer.from(JSON.stringify(canonical), 'utf8');
  return {
    bytes,
    envelope: canonical,
    descriptor: {
      mediaType: DSSE_ENVELOPE,
      digest: sha256(bytes),
      size: bytes.length,
      annotations: { [SIGNATURE_ANNOTATION]: '', [PREDICATE_TYPE_ANNOTATION]: predicateType },
    },
  };
}

/** `existing` followed by the layers of `added` whose digest it does not hold yet (first occurrence wins). */
export function mergeLayers(existing: Descriptor[], added: Descriptor[]): Descriptor[] {
  const seen = new Set(existing.map((l) => l.digest));
  const merged = [...existing];
  for (const layer of added) {
    if (seen.has(layer.digest)) continue;
    seen.add(layer.digest);
    merged.push(layer);
  }
  return merged;
}

/**
 * The config blob and manifest of an attestation image holding `layers`, byte for byte what
 * go-containerregistry marshals for `mutate.Append(empty.Signatures(), ...)` (field order of v1.ConfigFile).
 */
export function attestationImage(layers: Descriptor[]): { config: Buffer; manifest: Buffer; digest: string } {
  if (layers.length > MAX_LAYERS)
    throw InvalidInputError.line('attestations', `an image can carry at most ${MAX_LAYERS} attestation layers (cosign's limit); this one would have ${layers.length}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
    'utf8',
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_IMAGE_CONFIG, size: config.length, digest: sha256(config) },
      layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest, ...(l.annotations ? { annotations: l.annotations } : {}) })),
    }),
    'utf8',
  );
  return { config, manifest, digest: sha256(manifest) };
}

/** The OCI 1.1 empty config (`{}`) every referrer artifact points at. */
export const EMPTY_CONFIG = Buffer.from('{}', 'utf8');

/**
 * One envelope as an OCI 1.1 artifact referring to the image (`subject`), for registries with the referrers
 * API. Pushed by digest, so pushing it again is a no-op. cosign v3 does not read this form for DSSE layers
 * (its referrers path expects sigstore bundles): the `.att` tag stays the copy cosign verifies.
 */
export function referrerManifest(layer: Descriptor, subject: Descriptor): { manifest: Buffer; digest: string } {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: DSSE_ENVELOPE,
      config: { mediaType: OCI_EMPTY, size: EMPTY_CONFIG.length, digest: sha256(EMPTY_CONFIG) },
      layers: [{ mediaType: layer.mediaType, size: layer.size, digest: layer.digest, ...(layer.annotations ? { annotations: layer.annotations } : {}) }],
      subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
      ...(layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ? { annotations: { [PREDICATE_TYPE_ANNOTATION]: layer.annotations[PREDICATE_TYPE_ANNOTATION] } } : {}),
    }),
    'utf8',
  );
  return { manifest, digest: sha256(manifest) };
}

/**
 * `<registry>/<repository>@sha256:<hex>` (the registry must be `registry`, the one this worker is configured
 * with) or `<repository>@sha256:<hex>`: the repository and digest of an image pinned by digest.
 */
export function pinnedImage(image: string, registry: string): { repository: string; digest: string } {
  const bad = () => InvalidInputError.line('image', `'${image}' is not an image pinned by digest: [<registry>/]<repository>@sha256:<64 hex>`);
  const m = /^([^@\s]+)@(sha256:[0-9a-f]{64})$/.exec(image);
  if (!m) throw bad();
  const [, name, digest] = m as unknown as [string, string, string];
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  // A first segment with a dot, a colon or `localhost` is a registry host (docker's reference grammar).
  const host = /[.:]/.test(first) || first === 'localhost' ? first : undefined;
  if (host !== undefined && host !== registry)
    throw InvalidInputError.line('image', `'${image}' is in registry ${host}; attestations are stored in ${registry}, the configured registry`);
  const repository = host === undefined ? name : name.slice(slash + 1);
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) throw bad();
  return { repository, digest };
}
