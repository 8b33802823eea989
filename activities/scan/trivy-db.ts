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
}

/**
 * The vulnerability DB's metadata.json (`db/metadata.json` next to `db/trivy.db`). In fixture mode a
 * missing DB is an error saying how to build it; in online mode Trivy downloads it itself.
 */
export async function dbMetadata(cacheDir: string, mode: DbMode): Promise<DbMetadata | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(cacheDir, 'db', 'metadata.json'), 'utf8')) as { Version?: number; UpdatedAt?: string };
    if (!(await stat(join(cacheDir, 'db', 'trivy.db'))).isFile()) throw new Error('trivy.db is not a file');
    return { version: meta.Version ?? 0, updatedAt: meta.UpdatedAt ?? '' };
  } catch {
    if (mode === 'online') return undefined;
    throw new ScannerError(
      `the fixture vulnerability DB is missing in ${join(cacheDir, 'db')}: build it with \`bash scripts/build-trivy-fixture-db.sh\` (part of \`npx airlock dev up\`), or set AIRLOCK_TRIVY_DB=online`,
      { cacheDir },
    );
  }
}
