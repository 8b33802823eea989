import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicKeyOf } from '../model/approval';
import { EXIT, ExitError } from './errors';

// Approver keys: ed25519 private keys, 32 bytes hex, one file per identity under AIRLOCK_HOME/keys (0600).

const IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/;

export function keyFile(keysDir: string, identity: string): string {
  if (!IDENTITY.test(identity)) throw new ExitError(EXIT.badInput, `--as: "${identity}" is not a valid identity (letters, digits, . _ @ + -)`);
  return join(keysDir, `${identity}.ed25519`);
}

/** Creates a key for `identity` (refuses to overwrite one) and returns its public key (hex). */
export function createKey(keysDir: string, identity: string): string {
  const file = keyFile(keysDir, identity);
  if (existsSync(file)) throw new ExitError(EXIT.badInput, `a key for ${identity} already exists: ${file}`);
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const privateKey = randomBytes(32).toString('hex');
  writeFileSync(file, `${privateKey}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return publicKeyOf(privateKey);
}

export function readKey(keysDir: string, identity: string): string {
  const file = keyFile(keysDir, identity);
  if (!existsSync(file)) throw new ExitError(EXIT.badInput, `no key for ${identity} (create one with: airlock keys create --as ${identity})`);
  const key = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(key)) throw new ExitError(EXIT.badInput, `${file} is not an airlock ed25519 key`);
  return key;
}
