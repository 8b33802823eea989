import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactText } from '../../model/redact';

/**
 * Content-addressed evidence files: `<dir>/sha256/<hex>`, written once (atomically) and read-only after.
 * Scan reports and SBOMs live here; the workflow carries only their digests.
 */
export const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function pathOf(dir: string, digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new RangeError(`not a sha256 digest: ${digest}`);
  return join(dir, 'sha256', m[1]!);
}

export const evidencePath = pathOf;

/** UTF-8 text redacted; bytes that are not text (and text with nothing to mask) unchanged. */
function redactEvidence(input: Uint8Array | string): Uint8Array | string {
  if (typeof input === 'string') return redactText(input);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return input;
  }
  const redacted = redactText(text);
  return redacted === text ? input : redacted;
}

/**
 * Stores `bytes` and returns their digest; storing the same bytes twice is a no-op. Text is stored
 * redacted (model/redact.ts): secret-looking values masked, URL userinfo stripped; the digest is of what is stored.
 */
export async function putEvidence(dir: string, input: Uint8Array | string): Promise<string> {
  const bytes = redactEvidence(input);
  const digest = sha256(bytes);
  const file = pathOf(dir, digest);
  if (await hasEvidence(dir, digest)) return digest;
  await mkdir(join(dir, 'sha256'), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, bytes);
  await chmod(tmp, 0o444);
  await rename(tmp, file);
  return digest;
}

export async function hasEvidence(dir: string, digest: string): Promise<boolean> {
  try {
    return (await stat(pathOf(dir, digest))).isFile();
  } catch {
    return false;
  }
}

/** The stored bytes, checked against their digest. */
export async function readEvidence(dir: string, digest: string): Promise<Buffer> {
  const bytes = await readFile(pathOf(dir, digest));
  if (sha256(bytes) !== digest) throw new Error(`evidence ${digest} is corrupt (its bytes hash to ${sha256(bytes)})`);
  return bytes;
}
