import { spawnSync } from 'node:child_process';
import { resolveTool } from '../../infra/local/tools';
import type { AirlockConfig } from '../../infra/config';
import type { CliResult } from './cli';

/**
 * The README's recipe for signing an approval without airlock's key handling (openssl + xxd): the ed25519
 * signature over the exact bytes `airlock approve <id> --print-message` prints (airlock-approval-v2) with
 * the approver's key file (32 bytes hex, wrapped into a PKCS#8 DER for openssl). ed25519 is
 * deterministic, so it must equal model/approval.ts signApproval.
 */
export const OPENSSL_SIGN_RECIPE = `set -euo pipefail
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
printf '302e020100300506032b657004220420%s' "$(cat "$KEY")" | xxd -r -p > "$T/key.der"
openssl pkeyutl -sign -keyform DER -inkey "$T/key.der" -rawin -in "$MSG" | xxd -p -c 256`;

/** Signs the bytes in file `messageFile` (the output of `airlock approve <id> --print-message`). */
export function signWithOpenssl(keyFile: string, messageFile: string): string {
  const r = spawnSync('bash', ['-c', OPENSSL_SIGN_RECIPE], { encoding: 'utf8', env: { ...process.env, KEY: keyFile, MSG: messageFile } });
  if (r.status !== 0) throw new Error(`openssl signing recipe failed (needs openssl 3 and xxd): ${r.stderr}`);
  return r.stdout.trim();
}

/** The official Temporal CLI (the pinned binary `airlock dev up` uses) against the configured server. */
export function temporalCli(config: AirlockConfig, args: string[]): CliResult {
  const r = spawnSync(resolveTool(config, 'temporal'), [...args, '--address', config.temporal.address, '--namespace', config.temporal.namespace], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
