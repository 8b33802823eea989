import {
  attestationImage,
  attestationTag,
  envelopeLayer,
  MAX_LAYERS,
  mergeLayers,
  pinnedImage,
  referrerManifest,
  sha256,
  type Descriptor,
} from '../../activities/evidence/cosign-layout';
import { InvalidInputError } from '../../model/parse';

const hex = 'ab'.repeat(32);
const statement = (predicateType: string) =>
  Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x', digest: { sha256: hex } }], predicateType, predicate: {} })).toString('base64');
const envelope = (predicateType = 'https://slsa.dev/provenance/v1') => ({
  payloadType: 'application/vnd.in-toto+json',
  payload: statement(predicateType),
  signatures: [{ keyid: 'sha256:00', sig: 'MEUCIQ==' }],
});

describe('cosign attestation layout', () => {
  it('names the tag as cosign does: sha256:<hex> -> sha256-<hex>.att', () => {
    expect(attestationTag(`sha256:${hex}`)).toBe(`sha256-${hex}.att`);
    expect(() => attestationTag('sha256:abc')).toThrow(InvalidInputError);
  });

  it('stores an envelope as canonical JSON with the DSSE media type and cosign annotations', () => {
    const { bytes, descriptor } = envelopeLayer(envelope());
    expect(bytes.toString()).toBe(JSON.stringify(envelope()));
    expect(descriptor).toEqual({
      mediaType: 'application/vnd.dsse.envelope.v1+json',
      digest: sha256(bytes),
      size: bytes.length,
      annotations: { 'dev.cosignproject.cosign/signature': '', predicateType: 'https://slsa.dev/provenance/v1' },
    });
    // key order and a missing keyid do not change the bytes of an otherwise equal envelope
    const shuffled = { signatures: [{ sig: 'MEUCIQ==' }], payload: envelope().payload, payloadType: 'application/vnd.in-toto+json' };
    expect(envelopeLayer(shuffled).bytes.toString()).toBe(JSON.stringify({ ...envelope(), signatures: [{ keyid: '', sig: 'MEUCIQ==' }] }));
  });

  it('refuses envelopes cosign would not verify as attestations', () => {
    expect(() => envelopeLayer({ ...envelope(), payloadType: 'text/plain' })).toThrow(/payloadType/);
    expect(() => envelopeLayer({ ...envelope(), signatures: [] })).toThrow(InvalidInputError);
    expect(() => envelopeLayer({ ...envelope(), payload: Buffer.from('not json').toString('base64') })).toThrow(/not base64 of a JSON in-toto statement/);
    expect(() => envelopeLayer({ ...envelope(), payload: Buffer.from('{}').toString('base64') })).toThrow(/predicateType/);
  });

  it('appends only layers whose digest is new, keeping the order', () => {
    const d = (n: number): Descriptor => ({ mediaType: 'm', digest: `sha256:${String(n).repeat(64)}`, size: n });
    expect(mergeLayers([d(1), d(2)], [d(2), d(3), d(3), d(1), d(4)])).toEqual([d(1), d(2), d(3), d(4)]);
  });

  it('writes the config and manifest go-containerregistry writes for cosign (mutate.Append on empty.Signatures)', () => {
    const layer = envelopeLayer(envelope()).descriptor;
    const { config, manifest, digest } = attestationImage([layer]);
    expect(config.toString()).toBe(
      `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${layer.digest}"]},"config":{}}`,
    );
    expect(manifest.toString()).toBe(
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${config.length},"digest":"${sha256(config)}"},` +
        `"layers":[{"mediaType":"application/vnd.dsse.envelope.v1+json","size":${layer.size},"digest":"${layer.digest}","annotations":{"dev.cosignproject.cosign/signature":"","predicateType":"https://slsa.dev/provenance/v1"}}]}`,
    );
    expect(digest).toBe(sha256(manifest));
    expect(() => attestationImage(Array.from({ length: MAX_LAYERS + 1 }, () => layer))).toThrow(/at most 1000/);
  });

  it('makes one OCI 1.1 referrer artifact per envelope, with the image as subject', () => {
    const layer = envelopeLayer(envelope('https://cyclonedx.org/bom')).descriptor;
    const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${hex}`, size: 400 };
    const { manifest, digest } = referrerManifest(layer, subject);
    expect(JSON.parse(manifest.toString())).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.dsse.envelope.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' },
      layers: [layer],
      subject,
      annotations: { predicateType: 'https://cyclonedx.org/bom' },
    });
    expect(digest).toBe(sha256(manifest));
  });

  it('reads an image pinned by digest in the configured registry, and nothing else', () => {
    const digest = `sha256:${hex}`;
    expect(pinnedImage(`127.0.0.1:5000/demo/app@${digest}`, '127.0.0.1:5000')).toEqual({ repository: 'demo/app', digest });
    expect(pinnedImage(`demo@${digest}`, '127.0.0.1:5000')).toEqual({ repository: 'demo', digest });
    expect(pinnedImage(`team/demo@${digest}`, '127.0.0.1:5000')).toEqual({ repository: 'team/demo', digest });
    expect(() => pinnedImage(`ghcr.io/team/demo@${digest}`, '127.0.0.1:5000')).toThrow(/attestations are stored in 127.0.0.1:5000/);
    expect(() => pinnedImage('127.0.0.1:5000/demo:latest', '127.0.0.1:5000')).toThrow(/not an image pinned by digest/);
    expect(() => pinnedImage(`Team/demo@${digest}`, '127.0.0.1:5000')).toThrow(/not an image pinned by digest/);
    expect(() => pinnedImage(`127.0.0.1:5000/../x@${digest}`, '127.0.0.1:5000')).toThrow(/not an image pinned by digest/);
  });
});
