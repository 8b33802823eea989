import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { RegistryError } from '../errors';
import { OCI_MANIFEST, sha256, type Descriptor } from './cosign-layout';

/**
 * The write half of the OCI distribution API that attestations need (blob upload, manifest put, referrers
 * probe), plus reads that check every byte against the digest naming it. Plain HTTP, like RegistryClient
 * (activities/build/registry.ts): the registry is a local address. Every failure is a RegistryError naming
 * the registry and the operation; the registry is trusted for availability only, never for content.
 */

const MANIFEST_ACCEPT = [OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');
/** cosign's default cap on one attestation payload (pkg/cosign/payloadsize: 128 MiB). */
export const MAX_BLOB_BYTES = 128 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Tries of an idempotent request that the registry answers 5xx, and the first wait between them (doubling). */
export const TRANSIENT_ATTEMPTS = 4;
const TRANSIENT_BACKOFF_MS = 50;

const errorBody = z.object({ errors: z.array(z.object({ code: z.string(), message: z.string().optional() })).min(1) });

export interface StoredManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export class Distribution {
  private referrers: Promise<boolean> | undefined;

  constructor(
    readonly address: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /**
   * One HTTP exchange. Reads and manifest puts (idempotent: the same bytes under the same name) are sent again
   * when the registry answers 5xx: registry:2's filesystem driver writes a tag's link file in place, so a read
   * that meets a concurrent put of the same tag can find it empty and answer 500 "unknown error"
   * (distribution/distribution#4489). Blob upload sessions are not repeated (a session is used once).
   */
  private async request(operation: string, url: string, init: RequestInit = {}, idempotent = (init.method ?? 'GET') !== 'POST'): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.send(operation, url, init);
      if (!idempotent || res.status < 500 || attempt >= TRANSIENT_ATTEMPTS) return res;
      await res.body?.cancel();
      await sleep(TRANSIENT_BACKOFF_MS * 2 ** (attempt - 1));
    }
  }

  private async send(operation: string, url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (err as Error).message;
      throw new RegistryError(`registry ${this.address}: ${operation} failed (${cause}): is the registry running? (\`npx airlock dev up\`, or set AIRLOCK_REGISTRY)`, {
        registry: this.address,
        operation,
      });
    }
  }

  private async refused(operation: string, res: Response): Promise<RegistryError> {
    const text = await res.text().catch(() => '');
    let why = '';
    try {
      const parsed = errorBody.safeParse(JSON.parse(text));
      if (parsed.success) why = `: ${parsed.data.errors.map((e) => (e.message ? `${e.code} ${e.message}` : e.code)).join('; ')}`;
    } catch {
      // not the distribution error format: the status says enough
    }
    return new RegistryError(`registry ${this.address}: ${operation} answered ${res.status}${why}`, { registry: this.address, operation, status: res.status });
  }

  private url(repository: string, rest: string): string {
    return `http://${this.address}/v2/${repository}/${rest}`;
  }

  /** A response body, refused above `limit` bytes (the registry does not get to fill the worker's memory). */
  private async body(operation: string, res: Response, limit: number): Promise<Buffer> {
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > limit) throw new RegistryError(`registry ${this.address}: ${operation} answered ${declared} bytes, more than ${limit}: refused`, { registry: this.address, operation });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > limit) throw new RegistryError(`registry ${this.address}: ${operation} answered ${bytes.length} bytes, more than ${limit}: refused`, { registry: this.address, operation });
    return bytes;
  }

  private mismatch(operation: string, expected: string, actual: string): RegistryError {
    return new RegistryError(`registry ${this.address}: ${operation} returned content whose digest is ${actual}, not ${expected}: refused`, {
      registry: this.address,
      operation,
      expected,
      actual,
    });
  }

  /**
   * The manifest a tag or digest names, or undefined when there is none. By digest, the bytes must hash to it;
   * by tag, to the Docker-Content-Digest the registry states (when it states one). `digest` is of the bytes.
   */
  async manifest(repository: string, reference: string): Promise<StoredManifest | undefined> {
    const operation = `GET manifest ${repository}:${reference}`;
    const res = await this.request(operation, this.url(repository, `manifests/${reference}`), { headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw await this.refused(operation, res);
    const bytes = await this.body(operation, res, MAX_MANIFEST_BYTES);
    const digest = sha256(bytes);
    const expected = reference.startsWith('sha256:') ? reference : res.headers.get('docker-content-digest');
    if (expected && expected !== digest) throw this.mismatch(operation, expected, digest);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { bytes, digest, mediaType };
  }

  /** The blob a descriptor names, checked against its digest and size; undefined when the registry lacks it. */
  async blob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Buffer | undefined> {
    const operation = `GET blob ${repository}@${descriptor.digest}`;
    if (descriptor.size > MAX_BLOB_BYTES)
      throw new RegistryError(`registry ${this.address}: ${operation}: the manifest says ${descriptor.size} bytes, more than ${MAX_BLOB_BYTES}: refused`, { registry: this.address, operation });
    const res = await this.request(operation, this.url(repository, `blobs/${descriptor.digest}`));
    if (res.status === 404) return undefined;
    if (!res.ok) throw await this.refused(operation, res);
    const bytes = await this.body(operation, res, MAX_BLOB_BYTES);
    const digest = sha256(bytes);
    if (digest !== descriptor.digest) throw this.mismatch(operation, descriptor.digest, digest);
    if (bytes.length !== descriptor.size)
      throw new RegistryError(`registry ${this.address}: ${operation} returned ${bytes.length} bytes, the manifest says ${descriptor.size}: refused`, { registry: this.address, operation });
    return bytes;
  }

  /** The blob with this digest, checked against it (no manifest gives its size: bounded by MAX_BLOB_BYTES); undefined when absent. */
  async blobByDigest(repository: string, digest: string): Promise<Buffer | undefined> {
    const operation = `GET blob ${repository}@${digest}`;
    const res = await this.request(operation, this.url(repository, `blobs/${digest}`));
    if (res.status === 404) return undefined;
    if (!res.ok) throw await this.refused(operation, res);
    const bytes = await this.body(operation, res, MAX_BLOB_BYTES);
    const actual = sha256(bytes);
    if (actual !== digest) throw this.mismatch(operation, digest, actual);
    return bytes;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const operation = `HEAD blob ${repository}@${digest}`;
    const res = await this.request(operation, this.url(repository, `blobs/${digest}`), { method: 'HEAD' });
    if (res.status === 404) return false;
    if (!res.ok) throw await this.refused(operation, res);
    return true;
  }

  /** Uploads `bytes` (POST an upload session, PUT its content with the digest); a blob already there is not sent again. */
  async pushBlob(repository: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    if (await this.hasBlob(repository, digest)) return digest;
    const start = `POST blob upload ${repository}`;
    const session = await this.request(start, this.url(repository, 'blobs/uploads/'), { method: 'POST', headers: { 'Content-Length': '0' } });
    if (session.status !== 202) throw await this.refused(start, session);
    await session.body?.cancel();
    const location = session.headers.get('location');
    if (!location) throw new RegistryError(`registry ${this.address}: ${start} answered without a Location`, { registry: this.address, operation: start });
    const target = new URL(location, `http://${this.address}/`);
    target.searchParams.set('digest', digest);
    const put = `PUT blob ${repository}@${digest}`;
    const res = await this.request(
      put,
      target.href,
      { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) }, body: new Uint8Array(bytes) },
      false,
    );
    if (res.status !== 201) throw await this.refused(put, res);
    await res.body?.cancel();
    const stored = res.headers.get('docker-content-digest');
    if (stored && stored !== digest) throw this.mismatch(put, digest, stored);
    return digest;
  }

  /** Puts a manifest under a tag or its digest; the registry must store exactly these bytes. Returns their digest. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const digest = sha256(bytes);
    const operation = `PUT manifest ${repository}:${reference}`;
    const res = await this.request(operation, this.url(repository, `manifests/${reference}`), {
      method: 'PUT',
      headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
      body: new Uint8Array(bytes),
    });
    if (res.status !== 201) throw await this.refused(operation, res);
    await res.body?.cancel();
    const stored = res.headers.get('docker-content-digest');
    if (stored && stored !== digest) throw this.mismatch(operation, digest, stored);
    return digest;
  }

  /**
   * Whether the registry serves the OCI 1.1 referrers API, asked once per client: a registry that has it must
   * answer 200 with an image index for any digest of an existing repository (distribution-spec, "Listing
   * Referrers"); one without it answers 404 (registry:2) or another 4xx.
   */
  supportsReferrers(repository: string, digest: string): Promise<boolean> {
    this.referrers ??= (async () => {
      const operation = `GET referrers ${repository}@${digest}`;
      const res = await this.request(operation, this.url(repository, `referrers/${digest}`), { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
      if (res.status >= 500) throw await this.refused(operation, res);
      await res.body?.cancel();
      return res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('application/vnd.oci.image.index.v1+json');
    })();
    // a failed probe is asked again next time rather than remembered
    this.referrers.catch(() => (this.referrers = undefined));
    return this.referrers;
  }
}
