import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist';
import { fromBase64, keyIdOf, pemBody, preAuthEncoding, signEnvelope, toBase64, trustedKeyFromPem, verifyEnvelope, IN_TOTO_PAYLOAD_TYPE } from '../../model/evidence';
import { workerKey } from '../support/evidence-chain';

// DSSE conformance. The independent checks below implement PAE from the spec text
// (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md) with Buffer and node:crypto, sharing
// no code with model/evidence, so an envelope that passes them is what any DSSE verifier (cosign) accepts.

/** PAE(type, body) = "DSSEv1" + SP + LEN(type) + SP + type + SP + LEN(body) + SP + body, LEN = ASCII decimal byte count. */
function specPae(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type, 'utf8');
  return Buffer.concat([Buffer.from('DSSEv1'), Buffer.from(' '), Buffer.from(String(t.length)), Buffer.from(' '), t, Buffer.from(' '), Buffer.from(String(body.length)), Buffer.from(' '), body]);
}

const payload = new TextEncoder().encode(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', note: 'héllo ✓' }));

describe('DSSE envelopes', () => {
  test('PAE matches the spec example', () => {
    const pae = preAuthEncoding('http://example.com/HelloWorld', new TextEncoder().encode('hello world'));
    expect(Buffer.from(pae).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  test('an envelope signEnvelope made verifies with an independent PAE and node:crypto (ECDSA P-256, SHA-256, DER)', async () => {
    const key = workerKey();
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key.signer);
    expect(Object.keys(env).sort()).toEqual(['payload', 'payloadType', 'signatures']);
    const body = Buffer.from(env.payload, 'base64');
    expect(body.equals(Buffer.from(payload))).toBe(true);
    expect(env.signatures).toHaveLength(1);
    const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
    expect(sig[0]).toBe(0x30); // an ASN.1 SEQUENCE: DER, not the 64-byte r||s form
    expect(verify('sha256', specPae(env.payloadType, body), createPublicKey(key.pem), sig)).toBe(true);
    // and keyid is sha256 of the SPKI DER, computed independently
    const der = createPublicKey(key.pem).export({ type: 'spki', format: 'der' });
    expect(env.signatures[0]!.keyid).toBe(`sha256:${createHash('sha256').update(der).digest('hex')}`);
  });

  test('an envelope made independently (spec PAE, node:crypto) verifies with verifyEnvelope', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const body = Buffer.from(payload);
    const env = { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: body.toString('base64'), signatures: [{ keyid: '', sig: sign('sha256', specPae(IN_TOTO_PAYLOAD_TYPE, body), privateKey).toString('base64') }] };
    const check = verifyEnvelope(env, [trustedKeyFromPem(pem)]);
    expect(check.ok).toBe(true);
    if (check.ok) expect(Buffer.from(check.payload).equals(body)).toBe(true);
  });

  test('a high-S signature (Go and OpenSSL produce them) verifies', async () => {
    const key = workerKey();
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key.signer);
    const s = p256.Signature.fromBytes(fromBase64(env.signatures[0]!.sig), 'der');
    const flipped = new p256.Signature(s.r, p256.Point.Fn.ORDER - s.s);
    for (const sig of [s, flipped]) expect(verifyEnvelope({ ...env, signatures: [{ keyid: '', sig: toBase64(sig.toBytes('der')) }] }, [key.trusted]).ok).toBe(true);
  });

  test('the signature covers the payload type and every payload byte', async () => {
    const key = workerKey();
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key.signer);
    expect(verifyEnvelope({ ...env, payloadType: 'application/json' }, [key.trusted]).ok).toBe(false);
    const body = Buffer.from(env.payload, 'base64');
    body[5] = body[5]! ^ 1;
    expect(verifyEnvelope({ ...env, payload: body.toString('base64') }, [key.trusted]).ok).toBe(false);
  });

  test('an unknown key, a keyid naming another key and a malformed envelope are refused', async () => {
    const [key, other] = [workerKey(), workerKey()];
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key.signer);
    const unknown = verifyEnvelope(env, [other.trusted]);
    expect(unknown).toMatchObject({ ok: false, reason: expect.stringContaining('no signature verifies') });
    expect(verifyEnvelope({ ...env, signatures: [{ ...env.signatures[0]!, keyid: other.trusted.keyid }] }, [key.trusted]).ok).toBe(false);
    expect(verifyEnvelope({ ...env, signatures: [] }, [key.trusted])).toMatchObject({ ok: false, reason: expect.stringContaining('not a DSSE envelope') });
    expect(verifyEnvelope({ ...env, payload: 'not base64!' }, [key.trusted])).toMatchObject({ ok: false, reason: expect.stringContaining('payload') });
  });

  test('URL-safe base64 is accepted, as the spec asks of verifiers', async () => {
    const key = workerKey();
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key.signer);
    const url = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(verifyEnvelope({ ...env, payload: url(env.payload), signatures: [{ keyid: '', sig: url(env.signatures[0]!.sig) }] }, [key.trusted]).ok).toBe(true);
  });
});

describe('base64 and keys', () => {
  test('base64 round-trips every length and agrees with Buffer', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect(Buffer.from(fromBase64(toBase64(bytes))).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  test('non-canonical base64 is refused', () => {
    expect(() => fromBase64('QQ=')).toThrow(RangeError); // bad padding
    expect(() => fromBase64('QR==')).toThrow(/padding bits/); // 'A' with stray bits
    expect(() => fromBase64('Q')).toThrow(RangeError);
    expect(() => fromBase64('QQ==\n')).toThrow(RangeError);
  });

  test('keyIdOf is sha256 of the SPKI DER; a key that is not P-256 is refused', () => {
    const key = workerKey();
    expect(keyIdOf(pemBody(key.pem, 'PUBLIC KEY'))).toBe(key.trusted.keyid);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const pem of [ed, p384]) expect(() => trustedKeyFromPem(pem)).toThrow(/not an ECDSA P-256 public key/);
  });
});
