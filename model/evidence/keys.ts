import { p256 } from '@noble/curves/nist';
import { bytesToHex, equalBytes } from '@noble/curves/utils';
import { sha256 } from '@noble/hashes/sha2';
import { fromBase64, toBase64 } from './base64';

// The worker's evidence key as a verifier sees it: an ECDSA P-256 public key in SPKI PEM, the form
// `cosign verify-attestation --key pub.pem` takes. Pure JS (noble) so model/ stays sandbox-safe.

/** SubjectPublicKeyInfo DER prefix of an uncompressed P-256 key: id-ecPublicKey, prime256v1, BIT STRING of 66 bytes. */
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
]);

export interface TrustedKey {
  /** `sha256:<hex of the SPKI DER>`: see keyIdOf. */
  keyid: string;
  /** The uncompressed point (65 bytes, 0x04 || x || y). */
  point: Uint8Array;
  /** The PEM it came from (what `airlock verify` prints and cosign takes). */
  pem: string;
}

/**
 * keyid = `sha256:` + hex SHA-256 of the SPKI DER. DSSE leaves keyid's format to the application and cosign
 * ignores it when verifying with --key; a digest of the exact public key bytes is stable, needs no
 * registry of names, and `openssl pkey -pubin -outform DER | sha256sum` reproduces it.
 */
export function keyIdOf(spkiDer: Uint8Array): string {
  return `sha256:${bytesToHex(sha256(spkiDer))}`;
}

/** The DER inside one PEM block of `label`. */
export function pemBody(pem: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!m) throw new RangeError(`not a PEM ${label}`);
  return fromBase64(m[1]!.replace(/\s+/g, ''));
}

export function pemOf(der: Uint8Array, label: string): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Parses an ECDSA P-256 public key (SPKI PEM, uncompressed point, as Node, OpenSSL and cosign write it). */
export function trustedKeyFromPem(pem: string): TrustedKey {
  const der = pemBody(pem, 'PUBLIC KEY');
  if (der.length !== P256_SPKI_PREFIX.length + 65 || !equalBytes(der.subarray(0, P256_SPKI_PREFIX.length), P256_SPKI_PREFIX))
    throw new RangeError('not an ECDSA P-256 public key (SPKI with an uncompressed point): evidence keys are P-256');
  const point = der.slice(P256_SPKI_PREFIX.length);
  p256.Point.fromBytes(point).assertValidity(); // on the curve, not the identity
  return { keyid: keyIdOf(der), point, pem };
}
