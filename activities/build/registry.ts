import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { RegistryError } from '../errors';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export interface RegistryImage {
  /** `sha256:...` of the manifest */
  digest: string;
  /** Bytes stored in the registry: config plus layers, compressed. */
  sizeBytes: number;
  labels: Record<string, string>;
}

interface Manifest {
  mediaType?: string;
  config?: { digest: string; size: number };
  layers?: { digest: string; mediaType?: string; size: number }[];
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

/** One layer of an image, bottom first in `PinnedImage.layers`. */
export interface Layer {
  digest: string;
  mediaType: string;
}

/** An image read by digest: every document checked against the digest that names it. */
export interface PinnedImage {
  /** `sha256:...` of the image config blob */
  configDigest: string;
  /** The image config (`config.User`, `config.Labels`...), as stored. */
  config: { config?: { User?: string | null } | null };
  layers: Layer[];
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const NODE_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/**
 * Minimal OCI distribution client for the registry airlock pushes to (plain HTTP on a local address,
 * like Docker treats 127.0.0.0/8): looks up a tag or digest and the labels of its image config.
 */
export class RegistryClient {
  constructor(private readonly address: string) {}

  private async get(path: string, accept: string, timeoutMs = 15_000): Promise<Response | undefined> {
    const url = `http://${this.address}/v2/${path}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { Accept: accept }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (err as Error).message;
      throw new RegistryError(`registry ${this.address} is not answering (${cause}): run \`npx airlock dev up\`, or set AIRLOCK_REGISTRY`, {
        registry: this.address,
      });
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new RegistryError(`registry ${this.address}: GET ${path} answered ${res.status}`, { registry: this.address, status: res.status });
    return res;
  }

  /** The bytes of a manifest or blob named by its digest, refused when they do not hash to it. */
  private async verified(path: string, accept: string, digest: string): Promise<Buffer | undefined> {
    const res = await this.get(path, accept);
    if (!res) return undefined;
    const body = Buffer.from(await res.arrayBuffer());
    const actual = sha256(body);
    if (actual !== digest)
      throw new RegistryError(`registry ${this.address}: GET ${path} returned content whose digest is ${actual}: refused`, { registry: this.address, expected: digest, actual });
    return body;
  }

  /**
   * The image a manifest digest names (an index resolves to its entry for this platform), its config and
   * its layers, each checked against its digest; undefined when the registry does not have it.
   */
  async pinnedImage(repository: string, digest: string): Promise<PinnedImage | undefined> {
    const body = await this.verified(`${repository}/manifests/${digest}`, MANIFEST_TYPES, digest);
    if (!body) return undefined;
    let manifest = JSON.parse(body.toString('utf8')) as Manifest;
    if (manifest.manifests) {
      const arch = NODE_ARCH[process.arch] ?? process.arch;
      const entry = manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? manifest.manifests[0];
      if (!entry) throw new RegistryError(`registry ${this.address}: ${repository}@${digest} is an empty index`, {});
      const inner = await this.verified(`${repository}/manifests/${entry.digest}`, MANIFEST_TYPES, entry.digest);
      if (!inner) return undefined;
      manifest = JSON.parse(inner.toString('utf8')) as Manifest;
    }
    if (!manifest.config) throw new RegistryError(`registry ${this.address}: ${repository}@${digest} has no image config`, {});
    const config = await this.verified(`${repository}/blobs/${manifest.config.digest}`, '*/*', manifest.config.digest);
    if (!config) throw new RegistryError(`registry ${this.address}: the config ${manifest.config.digest} of ${repository}@${digest} is missing`, {});
    return {
      configDigest: manifest.config.digest,
      config: JSON.parse(config.toString('utf8')) as PinnedImage['config'],
      layers: (manifest.layers ?? []).map((l) => ({ digest: l.digest, mediaType: l.mediaType ?? '' })),
    };
  }

  /** A blob as a stream (layers are large); the reader checks its digest. */
  async blobStream(repository: string, digest: string): Promise<Readable> {
    const res = await this.get(`${repository}/blobs/${digest}`, '*/*', 300_000);
    if (!res?.body) throw new RegistryError(`registry ${this.address}: blob ${digest} of ${repository} is missing`, { registry: this.address, digest });
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  /** The image a tag or digest names, or undefined when the registry does not have it. */
  async lookup(repository: string, reference: string): Promise<RegistryImage | undefined> {
    const res = await this.get(`${repository}/manifests/${reference}`, MANIFEST_TYPES);
    if (!res) return undefined;
    const body = Buffer.from(await res.arrayBuffer());
    const digest = res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
    let manifest = JSON.parse(body.toString('utf8')) as Manifest;
    if (manifest.manifests?.[0]) {
      // an index (multi-platform): airlock builds single-platform images, so describe the first entry
      const inner = await this.get(`${repository}/manifests/${manifest.manifests[0].digest}`, MANIFEST_TYPES);
      if (!inner) return undefined;
      manifest = (await inner.json()) as Manifest;
    }
    if (!manifest.config) throw new RegistryError(`registry ${this.address}: ${repository}:${reference} has no image config`, {});
    const sizeBytes = manifest.config.size + (manifest.layers ?? []).reduce((n, l) => n + l.size, 0);
    const config = await this.get(`${repository}/blobs/${manifest.config.digest}`, '*/*');
    const labels = config ? (((await config.json()) as { config?: { Labels?: Record<string, string> | null } }).config?.Labels ?? {}) : {};
    return { digest, sizeBytes, labels };
  }
}
