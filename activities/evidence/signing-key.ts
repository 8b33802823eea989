import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AirlockConfig } from '../../infra/config';
import { InvalidInputError } from '../../model/errors';
import { trustedKeyFromPem, type Signer, type TrustedKey } from '../../model/evidence';

// The worker's evidence signing identity: an ECDSA P-256 key in a PKCS#8 PEM file only the worker's user
// can read. P-256 (not the approvers' ed25519) because it is what `cosign verify-attestation --key` takes.

export const SIGNING_KEY_FILE = 'worker-signing.pem';
export const SIGNING_PUB_FILE = 'worker-signing.pub.pem';

export interface SigningKey {
  /** The private key file. */
  path: string;
  keyid: string;
  /** SPKI PEM: what `airlock verify` and `cosign verify-attestation --key` are given. */
  publicKeyPem: string;
  /** The public half as model/evidence verifies with it. */
  trusted: TrustedKey;
  signer: Signer;
}

/**
 * AIRLOCK_SIGNING_KEY when set (the file must exist), else $AIRLOCK_HOME/keys/worker-signing.pem, created
 * on first use (0600, with worker-signing.pub.pem beside it). Refuses a key file that its group or others
 * can read or write, and a key that is not ECDSA P-256.
 */
export async function loadSigningKey(config: Pick<AirlockConfig, 'signingKey' | 'dirs'>): Promise<SigningKey> {
  const path = config.signingKey ?? join(config.dirs.keys, SIGNING_KEY_FILE);
  if (!config.signingKey) await createIfMissing(config.dirs.keys, path);
  const privateKey = parsePrivateKey(path, await readPrivate(path));
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  if (!config.signingKey) await writePublicBeside(join(config.dirs.keys, SIGNING_PUB_FILE), publicKeyPem);
  const trusted = trustedKeyFromPem(publicKeyPem);
  return {
    path,
    keyid: trusted.keyid,
    publicKeyPem,
    trusted,
    // Node signs ECDSA with DER-encoded (r, s) by default: the DSSE/cosign signature form.
    signer: { keyid: trusted.keyid, sign: (pae) => new Uint8Array(sign('sha256', pae, privateKey)) },
  };
}

async function createIfMissing(dir: string, path: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    // O_EXCL: two workers starting at once both end up with the one key that won
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/** Reads through one descriptor, so the mode checked is the mode of the bytes read; no symlinks followed. */
async function readPrivate(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw InvalidInputError.line(path, `signing key ${path} does not exist (AIRLOCK_SIGNING_KEY must name an existing PKCS#8 PEM file)`);
    if (code === 'ELOOP') throw InvalidInputError.line(path, `signing key ${path} is a symbolic link: name the file itself`);
    throw e;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw InvalidInputError.line(path, `signing key ${path} is not a regular file`);
    if ((st.mode & 0o077) !== 0)
      throw InvalidInputError.line(path, `signing key ${path} is readable or writable by group or others (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${path}`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

function parsePrivateKey(path: string, pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw InvalidInputError.line(path, `signing key ${path} is not a PEM private key: ${(e as Error).message}`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1')
    throw InvalidInputError.line(path, `signing key ${path} is ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}, not ECDSA P-256: evidence is signed with P-256 so cosign can verify it`);
  return key;
}

/** The public key beside a created key; one that names another key is refused, not overwritten. */
async function writePublicBeside(path: string, pem: string): Promise<void> {
  try {
    await writeFile(path, pem, { mode: 0o644, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const existing = await readFile(path, 'utf8');
    if (existing.trim() !== pem.trim()) throw InvalidInputError.line(path, `${path} is not the public key of ${SIGNING_KEY_FILE} beside it: remove it and it is written again`);
  }
}
