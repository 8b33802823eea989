import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSigningKey } from '../../activities/evidence';
import { InvalidInputError } from '../../model/errors';
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding, signEnvelope, verifyEnvelope } from '../../model/evidence';

const home = () => mkdtempSync(join(tmpdir(), 'airlock-signing-'));
const config = (dir: string, signingKey?: string) => ({ signingKey, dirs: { keys: join(dir, 'keys') } }) as Parameters<typeof loadSigningKey>[0];
const pkcs8 = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('loadSigningKey', () => {
  test('creates a P-256 key on first use (0600, public key beside it) and reuses it after', async () => {
    const dir = home();
    const first = await loadSigningKey(config(dir));
    expect(first.path).toBe(join(dir, 'keys', 'worker-signing.pem'));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    const pub = readFileSync(join(dir, 'keys', 'worker-signing.pub.pem'), 'utf8');
    expect(pub).toBe(first.publicKeyPem);
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const again = await loadSigningKey(config(dir));
    expect(again.keyid).toBe(first.keyid);
    expect(first.keyid).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('its signer makes DER ECDSA signatures over the PAE that node:crypto and verifyEnvelope accept', async () => {
    const key = await loadSigningKey(config(home()));
    const payload = new TextEncoder().encode('{}');
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key.signer);
    expect(verify('sha256', preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload), createPublicKey(key.publicKeyPem), Buffer.from(env.signatures[0]!.sig, 'base64'))).toBe(true);
    expect(verifyEnvelope(env, [key.trusted]).ok).toBe(true);
  });

  test('AIRLOCK_SIGNING_KEY names an existing key; it is never created', async () => {
    const dir = home();
    const file = join(dir, 'operator.pem');
    await expect(loadSigningKey(config(dir, file))).rejects.toThrow(/does not exist/);
    writeFileSync(file, pkcs8('P-256'), { mode: 0o600 });
    const key = await loadSigningKey(config(dir, file));
    expect(key.path).toBe(file);
  });

  test('refuses a key file its group or others can read, naming the fix', async () => {
    const dir = home();
    const file = join(dir, 'k.pem');
    writeFileSync(file, pkcs8('P-256'));
    chmodSync(file, 0o640);
    const err = await loadSigningKey(config(dir, file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(`mode 640): run chmod 600 ${file}`);
  });

  test('refuses a key that is not P-256, and a symbolic link', async () => {
    const dir = home();
    const p384 = join(dir, 'p384.pem');
    writeFileSync(p384, pkcs8('P-384'), { mode: 0o600 });
    await expect(loadSigningKey(config(dir, p384))).rejects.toThrow(/not ECDSA P-256/);
    const ed = join(dir, 'ed.pem');
    writeFileSync(ed, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    await expect(loadSigningKey(config(dir, ed))).rejects.toThrow(/is ed25519, not ECDSA P-256/);
    const link = join(dir, 'link.pem');
    symlinkSync(p384, link);
    await expect(loadSigningKey(config(dir, link))).rejects.toThrow(/symbolic link/);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'hello', { mode: 0o600 });
    await expect(loadSigningKey(config(dir, junk))).rejects.toThrow(/not a PEM private key/);
  });

  test('a public key file beside the key that names another key is refused, not overwritten', async () => {
    const dir = home();
    await loadSigningKey(config(dir));
    const pubFile = join(dir, 'keys', 'worker-signing.pub.pem');
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(pubFile, foreign);
    await expect(loadSigningKey(config(dir))).rejects.toThrow(/is not the public key of worker-signing.pem/);
    expect(readFileSync(pubFile, 'utf8')).toBe(foreign);
  });
});
