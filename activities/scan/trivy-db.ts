import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AirlockConfig } from '../../infra/config';
import { ScannerError } from '../errors';

export type DbMode = 'fixture' | 'online';

/**
 * Trivy's cache directory for a DB mode. The fixture DB (built from test/fixtures/trivy-db) and the real
 * one never share a directory, so switching AIRLOCK_TRIVY_DB never mixes them.
 */
export function trivyCacheDir(config: Pick<AirlockConfig, 'trivy'>, mode: DbMode = config.trivy.db): string {
  return join(config.trivy.cacheDir, mode);
}

export interface DbMetadata {
  version: number;
  updatedAt: string;
  nextUpdate?: string;
}

/**
 * The vulnerability DB's metadata.json (`db/metadata.json` next to `db/trivy.db`). In fixture mode a
 * missing DB is an error saying how to build it; in online mode Trivy downloads it itself.
 */
export async function dbMetadata(cacheDir: string, mode: DbMode): Promise<DbMetadata | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(cacheDir, 'db', 'metadata.json'), 'utf8')) as { Version?: number; UpdatedAt?: string; NextUpdate?: string };
    if (!(await stat(join(cacheDir, 'db', 'trivy.db'))).isFile()) throw new Error('trivy.db is not a file');
    return { version: meta.Version ?? 0, updatedAt: meta.UpdatedAt ?? '', ...(meta.NextUpdate ? { nextUpdate: meta.NextUpdate } : {}) };
  } catch {
    if (mode === 'online') return undefined;
    throw new ScannerError(
      `the fixture vulnerability DB (AIRLOCK_TRIVY_DB=fixture, for tests and the demo) is missing in ${join(cacheDir, 'db')}: build it with \`bash scripts/build-trivy-fixture-db.sh\` (part of \`npx airlock dev up\`), or unset AIRLOCK_TRIVY_DB for Trivy's real DB`,
      { cacheDir },
    );
  }
}

/**
 * What to do when Trivy cannot get its real DB (online mode, the default): said in the scan's error, since
 * a machine without access to ghcr.io fails every scan until it is set up.
 */
export function onlineDbHelp(repository: string | undefined): string {
  return [
    `airlock could not get Trivy's vulnerability DB (AIRLOCK_TRIVY_DB=online, the default${repository ? `, from ${repository}` : ', from mirror.gcr.io/aquasec/trivy-db or ghcr.io/aquasecurity/trivy-db'}).`,
    'Scans need a current DB: give the worker access to it, or mirror it (e.g. `oras copy ghcr.io/aquasecurity/trivy-db:2 <registry>/trivy-db:2`)',
    'and set AIRLOCK_TRIVY_DB_REPOSITORY=<registry>/trivy-db. AIRLOCK_TRIVY_DB=fixture uses the one-advisory test DB: for tests and the demo only.',
  ].join(' ');
}
