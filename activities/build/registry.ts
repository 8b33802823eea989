import { createHash } from 'node:crypto';
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
  layers?: { size: number }[];
  manifests?: { digest: string }[];
}

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
