import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
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
 *
 * Crash-safe: written to a temp file, fsynced, renamed, and the directory fsynced, so a crash or a full
 * disk leaves either the whole file or none. A file already there is reused only when its bytes hash
 * to its name; a corrupt one (a torn write from before, a disk error) is replaced instead of poisoning
 * every later run that stores the same evidence.
 */
export async function putEvidence(dir: string, input: Uint8Array | string): Promise<string> {
  const bytes = redactEvidence(input);
  const digest = sha256(bytes);
  const file = pathOf(dir, digest);
  if (await intactEvidence(dir, digest)) return digest;
  const parent = join(dir, 'sha256');
  await mkdir(parent, { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, 0o444);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(parent);
  return digest;
}

/** fsync of a directory makes a rename in it durable; some filesystems refuse it, which loses nothing more. */
async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    /* not supported here: the rename is still atomic */
  } finally {
    await handle.close();
  }
}

/** True when the stored file exists and its bytes hash to `digest`. */
async function intactEvidence(dir: string, digest: string): Promise<boolean> {
  try {
    return sha256(await readFile(pathOf(dir, digest))) === digest;
  } catch {
    return false;
  }
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
