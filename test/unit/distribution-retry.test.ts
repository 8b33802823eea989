import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256 } from '../../activities/evidence/cosign-layout';
import { Distribution, TRANSIENT_ATTEMPTS } from '../../activities/evidence/distribution';
import { RegistryError } from '../../activities/errors';

/**
 * registry:2's filesystem driver writes a tag's link file in place: a read that meets a concurrent put of the
 * same tag finds it empty and answers 500 "unknown error" (seen in CI: the concurrent-appends test of
 * registry-attestations). Idempotent requests are sent again; an upload session is not.
 */

const UNKNOWN = JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'unknown error' }] });
const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [] }));

async function registry(handler: (req: IncomingMessage, res: ServerResponse, seen: number) => void): Promise<{ server: Server; address: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => handler(req, res, requests.length));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const unknownError = (res: ServerResponse) => res.writeHead(500, { 'Content-Type': 'application/json' }).end(UNKNOWN);

describe('registry requests that meet a transient 5xx', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('reads a manifest again after a 500 and returns what the registry then serves', async () => {
    const r = await registry((_req, res, seen) => {
      if (seen <= 2) return unknownError(res);
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': sha256(manifest) }).end(manifest);
    });
    servers.push(r.server);
    const stored = await new Distribution(r.address).manifest('app', 'sha256-abc.att');
    expect(stored?.digest).toBe(sha256(manifest));
    expect(r.requests).toEqual(Array(3).fill('GET /v2/app/manifests/sha256-abc.att'));
  });

  it('gives up after a bounded number of tries, naming the operation and the status', async () => {
    const r = await registry((_req, res) => unknownError(res));
    servers.push(r.server);
    const read = new Distribution(r.address).manifest('app', 'latest');
    await expect(read).rejects.toThrow(RegistryError);
    await expect(read).rejects.toThrow('GET manifest app:latest answered 500: UNKNOWN unknown error');
    expect(r.requests).toHaveLength(TRANSIENT_ATTEMPTS);
  });

  it('puts a manifest again after a 500 (the same bytes under the same name)', async () => {
    const r = await registry((_req, res, seen) => {
      if (seen === 1) return unknownError(res);
      res.writeHead(201, { 'Docker-Content-Digest': sha256(manifest) }).end();
    });
    servers.push(r.server);
    await expect(new Distribution(r.address).putManifest('app', 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json')).resolves.toBe(sha256(manifest));
    expect(r.requests).toEqual(['PUT /v2/app/manifests/v1', 'PUT /v2/app/manifests/v1']);
  });

  it('does not open a second upload session when the first answers 500', async () => {
    const r = await registry((req, res) => {
      if (req.method === 'HEAD') return res.writeHead(404).end();
      unknownError(res);
    });
    servers.push(r.server);
    await expect(new Distribution(r.address).pushBlob('app', Buffer.from('layer'))).rejects.toThrow('POST blob upload app answered 500');
    expect(r.requests.filter((q) => q.startsWith('POST'))).toHaveLength(1);
  });

  it('does not retry a 4xx', async () => {
    const r = await registry((_req, res) => res.writeHead(401).end());
    servers.push(r.server);
    await expect(new Distribution(r.address).manifest('app', 'latest')).rejects.toThrow('answered 401');
    expect(r.requests).toHaveLength(1);
  });
});
