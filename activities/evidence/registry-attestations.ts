import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInputError, parseWith } from '../../model/parse';
import { RegistryError } from '../errors';
import {
  attestationImage,
  attestationTag,
  DSSE_ENVELOPE,
  EMPTY_CONFIG,
  envelopeLayer,
  envelopeSchema,
  imageManifestSchema,
  mergeLayers,
  OCI_MANIFEST,
  pinnedImage,
  referrerManifest,
  type Descriptor,
  type Envelope,
} from './cosign-layout';
import { Distribution, type StoredManifest } from './distribution';

/**
 * Attestations stored next to their image in the registry, where `cosign verify-attestation` and
 * `cosign download attestation` find them (layout: cosign-layout.ts).
 *
 * Appending is read-modify-write of the `.att` tag, and the distribution API has no compare-and-swap: a writer
 * that read the tag before our put can overwrite it and drop our layers. Two guards:
 * - in one process, writers of the same tag take turns from read to put (`inTurn`); the settle wait below
 *   is outside the turn, so appends of one process overlap their waits;
 * - across processes, a write window: a writer puts only if its put leaves within `writeWindowMs` of its read
 *   (else it reads again), then waits that window plus twice its own put's duration, reads the tag again and
 *   puts again if one of its layers is gone. Any writer that read before our put has put by then, so a lost
 *   layer is seen, unless a put takes far longer to land than ours did. Bounded timing, not a lock: the chain
 *   verifier (every link required) is the last line, and a re-run of the activity puts the missing link back.
 */

/**
 * The write window (see above). Reads and puts to a registry take milliseconds; 250 ms leaves room for a slow
 * one (a put that starts later reads again) and keeps one attach, window wait included, near 300 ms
 * (bench/evidence.ts: signing and pushing a release's links).
 */
export const DEFAULT_WRITE_WINDOW_MS = 250;

export interface AttachResult {
  /** Digest of the `.att` manifest holding the envelopes now. */
  manifestDigest: string;
  /** Layer digests this call added (empty: every envelope was there already). */
  added: string[];
  /** Layers in the attestation image after this call. */
  total: number;
  /** Whether each envelope was also pushed as an OCI 1.1 referrer of the image. */
  referrers: boolean;
}

export interface AttestationList {
  /** The envelopes, in layer order, each checked against its layer digest. */
  envelopes: Envelope[];
  /** Their layer descriptors (digest, size, annotations), index for index. */
  layers: Descriptor[];
  /** Digest of the `.att` manifest read, undefined when the image has no attestations. */
  manifestDigest: string | undefined;
}

export interface RegistryAttestationsOptions {
  /** Puts of the `.att` tag before giving up on writers that keep replacing it. */
  attempts?: number;
  /** Longest time from reading the `.att` tag to sending its put (see the top of this file). */
  writeWindowMs?: number;
  timeoutMs?: number;
}

export class RegistryAttestations {
  private readonly dist: Distribution;
  private readonly attempts: number;
  private readonly writeWindowMs: number;

  constructor(
    readonly registry: string,
    options: RegistryAttestationsOptions = {},
  ) {
    this.dist = new Distribution(registry, options.timeoutMs);
    this.attempts = options.attempts ?? 10;
    this.writeWindowMs = options.writeWindowMs ?? DEFAULT_WRITE_WINDOW_MS;
  }

  /**
   * Adds `envelopes` (DSSE, in-toto payloads) to the attestations of `image` (`[registry/]repo@sha256:...`),
   * keeping those already there; an envelope whose bytes are there already is not added twice, so a retried
   * call is a no-op. The image must be in the registry.
   */
  async attach(image: string, envelopes: unknown[]): Promise<AttachResult> {
    const { repository, digest } = pinnedImage(image, this.registry);
    if (envelopes.length === 0) throw InvalidInputError.line('attestations', `no envelopes to attach to ${image}`);
    const encoded = envelopes.map((e, i) => envelopeLayer(e, `attestation envelope ${i + 1} for ${image}`));
    const wanted = mergeLayers([], encoded.map((l) => l.descriptor));
    const bytes = new Map(encoded.map((l) => [l.descriptor.digest, l.bytes]));
    const subject = await this.dist.manifest(repository, digest);
    if (!subject)
      throw new RegistryError(`registry ${this.registry}: there is no image ${repository}@${digest} to attach attestations to`, { registry: this.registry, repository, digest });
    await Promise.all(wanted.map((layer) => this.dist.pushBlob(repository, bytes.get(layer.digest)!)));

    const tag = attestationTag(digest);
    const result = await this.appendToTag(repository, tag, wanted);
    const referrers = await this.dist.supportsReferrers(repository, digest);
    if (referrers) await this.pushReferrers(repository, wanted, subject);
    return { ...result, referrers };
  }

  private async appendToTag(repository: string, tag: string, wanted: Descriptor[]): Promise<Omit<AttachResult, 'referrers'>> {
    const added = new Set<string>();
    const key = `${this.registry}/${repository}:${tag}`;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      // in this process writers of the tag take turns from read to put; their settle waits overlap (a writer
      // that reads after our put keeps our layers, so only writers of other processes can drop them)
      const put = await inTurn(key, () => this.readAndPut(repository, tag, wanted));
      if (put.kind === 'present') return { manifestDigest: put.manifestDigest, added: [...added], total: put.total };
      if (put.kind === 'stale') continue; // what we read may be stale for writers that trust the window: read again
      for (const digest of put.added) added.add(digest);
      await sleep(this.writeWindowMs + 2 * put.putMs + 50);

      const after = await this.dist.manifest(repository, tag);
      const present = new Set(after ? this.parseAtt(after, repository, tag).layers.map((l) => l.digest) : []);
      if (after && wanted.every((l) => present.has(l.digest))) return { manifestDigest: after.digest, added: [...added], total: present.size };
      // Another writer replaced the tag with a list that lacks ours: read its list and add ours again.
      await sleep(Math.floor(Math.random() * 100 * attempt));
    }
    throw new RegistryError(`registry ${this.registry}: PUT manifest ${repository}:${tag}: other writers replaced it ${this.attempts} times without our attestations`, {
      registry: this.registry,
      operation: `PUT manifest ${repository}:${tag}`,
    });
  }

  /** One read-modify-write of the tag: every wanted layer there already, or put within the write window, or too slow (stale). */
  private async readAndPut(
    repository: string,
    tag: string,
    wanted: Descriptor[],
  ): Promise<{ kind: 'present'; manifestDigest: string; total: number } | { kind: 'stale' } | { kind: 'put'; added: string[]; putMs: number }> {
    const read = Date.now();
    const current = await this.dist.manifest(repository, tag);
    const existing = current ? this.parseAtt(current, repository, tag).layers : [];
    const merged = mergeLayers(existing, wanted);
    if (current && merged.length === existing.length) return { kind: 'present', manifestDigest: current.digest, total: merged.length };
    const next = attestationImage(merged);
    await this.dist.pushBlob(repository, next.config);
    if (Date.now() - read > this.writeWindowMs) return { kind: 'stale' };
    const putStart = Date.now();
    await this.dist.putManifest(repository, tag, next.manifest, OCI_MANIFEST);
    return { kind: 'put', added: merged.slice(existing.length).map((l) => l.digest), putMs: Date.now() - putStart };
  }

  private parseAtt(stored: StoredManifest, repository: string, tag: string) {
    let json: unknown;
    try {
      json = JSON.parse(stored.bytes.toString('utf8'));
    } catch {
      json = undefined;
    }
    return parseWith(imageManifestSchema, json, `attestation manifest ${repository}:${tag} (${stored.digest}) in registry ${this.registry}`);
  }

  /** One OCI 1.1 artifact per envelope with the image as subject, put by digest (idempotent). Untested here: registry:2 has no referrers API. */
  private async pushReferrers(repository: string, layers: Descriptor[], subject: StoredManifest): Promise<void> {
    const subjectDescriptor = { mediaType: subject.mediaType || OCI_MANIFEST, digest: subject.digest, size: subject.bytes.length };
    await this.dist.pushBlob(repository, EMPTY_CONFIG);
    for (const layer of layers) {
      const artifact = referrerManifest(layer, subjectDescriptor);
      await this.dist.putManifest(repository, artifact.digest, artifact.manifest, OCI_MANIFEST);
    }
  }

  /**
   * Every DSSE envelope stored for `image` in its `.att` tag, each blob checked against its digest and size and
   * parsed as an envelope. Layers of other media types are skipped. Signatures are not checked here: that is
   * the verifier's job, with keys it trusts.
   */
  async list(image: string): Promise<AttestationList> {
    const { repository, digest } = pinnedImage(image, this.registry);
    const tag = attestationTag(digest);
    const stored = await this.dist.manifest(repository, tag);
    if (!stored) return { envelopes: [], layers: [], manifestDigest: undefined };
    const layers = this.parseAtt(stored, repository, tag).layers.filter((l) => l.mediaType === DSSE_ENVELOPE);
    // a few reads at a time: a chain that months of rescans made long is not one request after the other
    const envelopes = await mapLimit(layers, LIST_READS, async (layer) => {
      const blob = await this.dist.blob(repository, layer);
      if (!blob)
        throw new RegistryError(`registry ${this.registry}: attestation layer ${layer.digest} of ${repository}:${tag} is missing`, { registry: this.registry, digest: layer.digest });
      const source = `attestation layer ${layer.digest} of ${repository}:${tag}`;
      let json: unknown;
      try {
        json = JSON.parse(blob.toString('utf8'));
      } catch {
        json = undefined;
      }
      return parseWith(envelopeSchema, json, source);
    });
    return { envelopes, layers, manifestDigest: stored.digest };
  }
}

/** The attestations of `image` in `registry` (see RegistryAttestations.list), for exporting an evidence bundle. */
export function listAttestations(registry: string, image: string): Promise<AttestationList> {
  return new RegistryAttestations(registry).list(image);
}

/** Blob reads of one `list` in flight at once. */
const LIST_READS = 8;

/** `fn` over `items`, at most `limit` at a time; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Tail of the queue of writers of one tag in this process. */
const turns = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier `inTurn` call with the same key has settled. */
async function inTurn<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = turns.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(fn);
  turns.set(key, mine);
  try {
    return await mine;
  } finally {
    if (turns.get(key) === mine) turns.delete(key);
  }
}
