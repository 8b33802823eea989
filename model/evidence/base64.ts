// Base64 without Buffer or atob: model/ stays sandbox-safe (no node built-ins), and decoding is strict, so
// one envelope has one encoding (no trailing garbage, no non-zero padding bits smuggling extra bytes).

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Standard alphabet with padding: what cosign (Go's base64.StdEncoding) writes and reads. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += STD[(n >> 18) & 63]! + STD[(n >> 12) & 63]!;
    out += b === undefined ? '=' : STD[(n >> 6) & 63]!;
    out += c === undefined ? '=' : STD[n & 63]!;
  }
  return out;
}

/**
 * Decodes standard or URL-safe base64 (the DSSE spec asks verifiers to accept both), padding optional;
 * throws RangeError on anything else.
 */
export function fromBase64(text: string): Uint8Array {
  const alphabet = /[-_]/.test(text) ? URL_SAFE : STD;
  const body = text.replace(/={1,2}$/, '');
  if (body.length % 4 === 1 || (text.length !== body.length && text.length % 4 !== 0)) throw new RangeError('invalid base64 length');
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const ch of body) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new RangeError(`invalid base64 character ${JSON.stringify(ch)}`);
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  if (bits > 0 && (value & ((1 << bits) - 1)) !== 0) throw new RangeError('invalid base64: non-zero padding bits');
  return out;
}
