import { generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryError } from '../../activities/errors';
import { listAttestations, RegistryAttestations, type AttachResult } from '../../activities/evidence';
import { attestationTag, DSSE_ENVELOPE, OCI_IMAGE_CONFIG, OCI_MANIFEST, SIGNATURE_ANNOTATION, type Envelope } from '../../activities/evidence/cosign-layout';
import { Distribution } from '../../activities/evidence/distribution';
import { loadConfig } from '../../infra/config';
import { InvalidInputError } from '../../model/parse';
import { pushTinyImage } from '../support/tiny-image';

// Against the real local registry (registry:2, no referrers API), in a scratch repository of its own.
const execFileAsync = promisify(execFile);
const registry = loadConfig({ AIRLOCK_REGISTRY: process.env.AIRLOCK_REGISTRY }).registry;
const repository = `scratch-registry-${randomBytes(4).toString('hex')}/app`;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** DSSE pre-authentication encoding (DSSE protocol.md), as cosign verifies it. */
const pae = (type: string, body: Buffer) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);

/** An in-toto statement about the image, in a DSSE envelope signed with a P-256 key (what cosign --key checks). */
function envelope(digest: string, predicateType: string, predicate: unknown, key: KeyObject = privateKey): Envelope {
  const statement = Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: `${registry}/${repository}`, digest: { sha256: digest.slice(7) } }], predicateType, predicate }),
  );
  const payloadType = 'application/vnd.in-toto+json';
  return { payloadType, payload: statement.toString('base64'), signatures: [{ keyid: '', sig: sign('sha256', pae(payloadType, statement), key).toString('base64') }] };
}

/** A real (tiny) image: an image config and one gzipped empty tar layer, pushed by digest. */
const pushImage = (dist: Distribution): Promise<string> => pushTinyImage(dist, repository, Buffer.alloc(1024));

/** The `.att` manifest as the registry serves it to anyone (cosign included). */
async function rawAtt(digest: string) {
  const res = await fetch(`http://${registry}/v2/${repository}/manifests/${attestationTag(digest)}`, { headers: { Accept: OCI_MANIFEST } });
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type'), body: (await res.json()) as { mediaType: string; config: { mediaType: string; digest: string }; layers: { mediaType: string; digest: string; annotations: Record<string, string> }[] } };
}

/** An HTTP proxy in front of the registry that flips one byte of the blob `digest` (a tampering registry or path). */
async function tamperingProxy(digest: string): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(`http://${registry}${req.url}`, { method: req.method, headers: { Accept: req.headers.accept ?? '*/*' } });
      let body = Buffer.from(await upstream.arrayBuffer());
      if (req.url?.endsWith(`/blobs/${digest}`)) {
        body = Buffer.from(body);
        body.writeUInt8(body.readUInt8(body.length - 3) ^ 0x01, body.length - 3);
      }
      const headers: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') headers[k] = v;
      });
      res.writeHead(upstream.status, headers).end(req.method === 'HEAD' ? undefined : body);
    })().catch((err: Error) => res.writeHead(502).end(err.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** RegistryAttestations.attach run by another node process (attach-runner.js). */
async function attachInProcess(image: string, envelopes: Envelope[]): Promise<AttachResult> {
  const { stdout } = await execFileAsync(process.execPath, [join(__dirname, 'attach-runner.js'), registry, image, JSON.stringify(envelopes)], { timeout: 60_000 });
  return JSON.parse(stdout) as AttachResult;
}

describe('attestations in the registry, in the layout cosign reads', () => {
  const dist = new Distribution(registry);
  const attestations = new RegistryAttestations(registry);
  let digest: string;
  let image: string;
  let envelopes: Envelope[];

  beforeAll(async () => {
    const up = await fetch(`http://${registry}/v2/`).catch(() => undefined);
    if (!up?.ok) throw new Error(`the registry at ${registry} is not answering: these tests use the running local stack (npx airlock dev up)`);
    digest = await pushImage(dist);
    image = `${registry}/${repository}@${digest}`;
    envelopes = [
      envelope(digest, 'https://slsa.dev/provenance/v1', { buildDefinition: { buildType: 'https://airlock.dev/build/v1' } }),
      envelope(digest, 'https://cyclonedx.org/bom', { bomFormat: 'CycloneDX', specVersion: '1.5' }),
      envelope(digest, 'https://cosign.sigstore.dev/attestation/vuln/v1', { scanner: { uri: 'pkg:github/aquasecurity/trivy' } }),
    ];
  });

  it('attaches two envelopes under sha256-<hex>.att, appends a third, and reads all three back', async () => {
    expect(await listAttestations(registry, image)).toEqual({ envelopes: [], layers: [], manifestDigest: undefined });

    const first = await attestations.attach(image, envelopes.slice(0, 2));
    expect(first.added).toHaveLength(2);
    expect(first.total).toBe(2);
    expect(first.referrers).toBe(false); // registry:2 has no referrers API: the tag is the only copy

    const third = await attestations.attach(image, [envelopes[2]]);
    expect(third.added).toHaveLength(1);
    expect(third.total).toBe(3);
    expect(third.manifestDigest).not.toBe(first.manifestDigest);

    const listed = await listAttestations(registry, image);
    expect(listed.manifestDigest).toBe(third.manifestDigest);
    expect(listed.envelopes).toEqual(envelopes);
    // each envelope still verifies as cosign checks it: ECDSA over PAE(payloadType, payload)
    for (const e of listed.envelopes) {
      expect(verify('sha256', pae(e.payloadType, Buffer.from(e.payload, 'base64')), publicKey, Buffer.from(e.signatures[0]!.sig, 'base64'))).toBe(true);
    }

    // what cosign reads: an OCI manifest, image config, DSSE layers with the signature and predicateType annotations
    const { contentType, body } = await rawAtt(digest);
    expect(contentType).toBe(OCI_MANIFEST);
    expect(body.mediaType).toBe(OCI_MANIFEST);
    expect(body.config.mediaType).toBe(OCI_IMAGE_CONFIG);
    expect(body.layers.map((l) => l.mediaType)).toEqual([DSSE_ENVELOPE, DSSE_ENVELOPE, DSSE_ENVELOPE]);
    expect(body.layers.map((l) => l.annotations)).toEqual([
      { [SIGNATURE_ANNOTATION]: '', predicateType: 'https://slsa.dev/provenance/v1' },
      { [SIGNATURE_ANNOTATION]: '', predicateType: 'https://cyclonedx.org/bom' },
      { [SIGNATURE_ANNOTATION]: '', predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1' },
    ]);
    const config = (await (await fetch(`http://${registry}/v2/${repository}/blobs/${body.config.digest}`)).json()) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toEqual(body.layers.map((l) => l.digest));
  });

  it('re-attaching envelopes already there changes nothing', async () => {
    const before = await listAttestations(registry, image);
    const again = await attestations.attach(image, [envelopes[1], envelopes[0], envelopes[2], envelopes[1]]);
    expect(again).toEqual({ manifestDigest: before.manifestDigest, added: [], total: 3, referrers: false });
    expect((await listAttestations(registry, image)).envelopes).toEqual(envelopes);
  });

  it('concurrent appends all land, from one process and from several', async () => {
    const extra = [1, 2, 3, 4, 5].map((n) => envelope(digest, 'https://airlock.dev/attestation/rollout/v1', { environment: `env-${n}` }));
    const inProcess = extra.slice(0, 2).map((e) => attestations.attach(image, [e]));
    const processes = extra.slice(2).map((e) => attachInProcess(image, [e]));
    const results = await Promise.all([...inProcess, ...processes]);
    expect(results.map((r) => r.added.length)).toEqual([1, 1, 1, 1, 1]);
    const listed = await listAttestations(registry, image);
    expect(listed.envelopes.slice(0, 3)).toEqual(envelopes);
    expect(listed.envelopes).toHaveLength(8);
    expect(new Set(listed.envelopes.slice(3).map((e) => e.payload))).toEqual(new Set(extra.map((e) => e.payload)));
  });

  it('refuses an envelope blob whose bytes do not hash to its digest', async () => {
    const { layers } = await listAttestations(registry, image);
    const proxy = await tamperingProxy(layers[1]!.digest);
    try {
      const address = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const read = listAttestations(address, `${repository}@${digest}`);
      await expect(read).rejects.toThrow(RegistryError);
      await expect(listAttestations(address, `${repository}@${digest}`)).rejects.toThrow(new RegExp(`GET blob ${repository}@${layers[1]!.digest} returned content whose digest is sha256:[0-9a-f]{64}, not ${layers[1]!.digest}: refused`));
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('refuses what it cannot store as cosign reads it: no image, another registry, a payload that is not in-toto', async () => {
    const missing = `${repository}@sha256:${'0'.repeat(64)}`;
    await expect(attestations.attach(missing, [envelopes[0]])).rejects.toThrow(/there is no image/);
    await expect(attestations.attach(`ghcr.io/${repository}@${digest}`, [envelopes[0]])).rejects.toThrow(InvalidInputError);
    const notInToto = { ...envelopes[0]!, payloadType: 'text/plain' };
    await expect(attestations.attach(image, [notInToto])).rejects.toThrow(/payloadType: 'text\/plain' is not application\/vnd.in-toto\+json/);
  });
});
