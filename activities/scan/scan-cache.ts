import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scanSummarySchema, type ScanSummary } from '../../model/scan';
import { hasEvidence } from '../evidence/store';

/** What a scan result depends on besides the policy: same key, same result. */
export interface ScanCacheKey {
  digest: string; // sha256:... of the image manifest
  trivyVersion: string;
  dbMode: string;
  dbUpdatedAt: string;
  scanners: string;
}

const FORMAT = 2; // bump when the summary shape changes (2: imageUser)

const keyFile = (dir: string, key: ScanCacheKey) =>
  join(dir, `${createHash('sha256').update(JSON.stringify({ FORMAT, ...key })).digest('hex')}.json`);

/** A cached summary whose report and SBOM are still in the evidence store, else undefined. */
export async function cachedScan(dir: string, evidenceDir: string, key: ScanCacheKey): Promise<ScanSummary | undefined> {
  let text: string;
  try {
    text = await readFile(keyFile(dir, key), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = scanSummarySchema.safeParse(JSON.parse(text));
  if (!parsed.success) return undefined;
  const s = parsed.data;
  if (!(await hasEvidence(evidenceDir, s.reportDigest)) || !(await hasEvidence(evidenceDir, s.sbomDigest))) return undefined;
  return s;
}

export async function storeScan(dir: string, key: ScanCacheKey, summary: ScanSummary): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = keyFile(dir, key);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(summary));
  await rename(tmp, file);
}
