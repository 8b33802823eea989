import { p256 } from '@noble/curves/nist';
import { concatBytes, utf8ToBytes } from '@noble/curves/utils';
import { z } from 'zod';
import { fromBase64, toBase64 } from './base64';
import type { TrustedKey } from './keys';

// DSSE (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md) with ECDSA P-256 / SHA-256 and
// ASN.1 DER signatures, base64: the envelope cosign writes for `attest --key` and checks in
// `verify-attestation --key`. Signing goes through an injected Signer (the worker's key lives in
// activities/evidence); verification is pure.

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export const envelopeSchema = z
  .object({
    payloadType: z.string().min(1),
    payload: z.string(),
    signatures: z.array(z.object({ keyid: z.string().default(''), sig: z.string().min(1) })).min(1),
  })
  .loose();
export type Envelope = z.output<typeof envelopeSchema>;

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body; LEN in ASCII decimal, bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8ToBytes(payloadType);
  return concatBytes(utf8ToBytes(`DSSEv1 ${type.length} `), type, utf8ToBytes(` ${payload.length} `), payload);
}

/** Signs PAE bytes with ECDSA P-256 over SHA-256 and returns the DER signature. */
export interface Signer {
  keyid: string;
  sign(pae: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export async function signEnvelope(payloadType: string, payload: Uint8Array, signer: Signer): Promise<Envelope> {
  const sig = await signer.sign(preAuthEncoding(payloadType, payload));
  return { payloadType, payload: toBase64(payload), signatures: [{ keyid: signer.keyid, sig: toBase64(sig) }] };
}

export type EnvelopeCheck =
  | { ok: true; keyid: string; payloadType: string; payload: Uint8Array }
  | { ok: false; reason: string };

/**
 * The first signature that verifies against one of `trustedKeys` wins. A signature's keyid only narrows
 * which key is tried (an empty keyid tries them all, as cosign does); a keyid naming no trusted key skips
 * the signature. ECDSA malleability is accepted (lowS off): Go and OpenSSL sign with high S too, and the
 * signed bytes, not the signature bytes, are what the chain depends on.
 */
export function verifyEnvelope(input: unknown, trustedKeys: readonly TrustedKey[]): EnvelopeCheck {
  const parsed = envelopeSchema.safeParse(input);
  if (!parsed.success) return { ok: false, reason: `not a DSSE envelope: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
  const env = parsed.data;
  let payload: Uint8Array;
  try {
    payload = fromBase64(env.payload);
  } catch (e) {
    return { ok: false, reason: `payload: ${(e as Error).message}` };
  }
  const pae = preAuthEncoding(env.payloadType, payload);
  for (const s of env.signatures) {
    let sig: Uint8Array;
    try {
      sig = fromBase64(s.sig);
    } catch {
      continue;
    }
    for (const key of trustedKeys) {
      if (s.keyid && s.keyid !== key.keyid) continue;
      if (verifyDer(sig, pae, key.point)) return { ok: true, keyid: key.keyid, payloadType: env.payloadType, payload };
    }
  }
  const ids = env.signatures.map((s) => s.keyid || '(no keyid)').join(', ');
  return { ok: false, reason: `no signature verifies against a trusted key (signatures by ${ids}; trusted: ${trustedKeys.map((k) => k.keyid).join(', ') || 'none'})` };
}

function verifyDer(sig: Uint8Array, message: Uint8Array, point: Uint8Array): boolean {
  try {
    return p256.verify(sig, message, point, { prehash: true, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}
