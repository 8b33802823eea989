import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../model/parse';
import type { ScanSummary } from '../../model/scan';
import type { AirlockConfig } from '../../infra/config';
import type { StageHooks, StageLogger } from '../shared';
import { putEvidence } from '../evidence/store';
import { readImageUser, splitPinned } from './image-user';
import { cachedScan, storeScan, type ScanCacheKey } from './scan-cache';
import { summarize } from './summarize';
import { imageScanArgs, runTrivy, sbomArgs, SCANNERS, trivyVersion } from './trivy';
import { dbMetadata, onlineDbHelp, trivyCacheDir } from './trivy-db';
import { ScannerError } from '../errors';
import { parseTrivyReport, redactReport } from './trivy-report';
import { scanWorkDir, scanWorkRoot, sweepScanWork } from './scan-work';

export interface ScanDeps {
  config: Pick<AirlockConfig, 'trivy' | 'dirs'>;
  /** Path of the trivy binary (resolveTool(config, 'trivy')). */
  trivy: string;
  log: StageLogger;
}

export interface ScanRequest {
  /** `repo@sha256:...`: scans are of pinned images only. */
  image: string;
}

const PINNED = /^[^@\s]+@(sha256:[0-9a-f]{64})$/;

/**
 * Scans a pinned image with Trivy (vulnerabilities, secrets, misconfigurations, licenses), stores the
 * redacted report and a CycloneDX SBOM in the evidence store and returns the summary, with the user the
 * image runs as (read from the registry by digest, not from Trivy). The same digest with the same DB and
 * Trivy is served from the scan cache.
 */
export async function scanImage(deps: ScanDeps, req: ScanRequest, hooks: StageHooks = {}): Promise<ScanSummary> {
  const m = PINNED.exec(req.image);
  if (!m) throw new InvalidInputError('image', [`${req.image}: must be pinned by digest (repo@sha256:<64 hex>); build output gives image@digest`]);
  splitPinned(req.image);
  const mode = deps.config.trivy.db;
  const cacheDir = trivyCacheDir(deps.config);
  const meta = await dbMetadata(cacheDir, mode);
  const version = await trivyVersion(deps.trivy);
  const key: ScanCacheKey = {
    digest: m[1]!,
    trivyVersion: version,
    dbMode: mode,
    dbUpdatedAt: meta?.updatedAt ?? '',
    scanners: `${SCANNERS.scanners}+config:${SCANNERS.imageConfigScanners}`,
  };
  const resultsDir = join(cacheDir, 'airlock-scans');
  const hit = meta ? await cachedScan(resultsDir, deps.config.dirs.evidence, key) : undefined;
  if (hit) {
    deps.log.info('scan served from cache', { image: req.image, reportDigest: hit.reportDigest });
    return { ...hit, image: req.image, cached: true };
  }

  // the raw report lives here (0700) until it is redacted; leftovers of a crashed scan go first
  const workRoot = scanWorkRoot(deps.config.dirs);
  await sweepScanWork(workRoot);
  const work = await scanWorkDir(workRoot);
  try {
    const raw = join(work, 'report.json');
    hooks.heartbeat?.({ phase: 'scan', image: req.image });
    const dbRepository = deps.config.trivy.dbRepository;
    await runTrivy(deps.trivy, imageScanArgs({ cacheDir, output: raw, image: req.image, offline: mode === 'fixture', ...(dbRepository ? { dbRepository } : {}) }), hooks).catch(
      (err: unknown) => {
        // Online mode without a DB it can reach: say so, and how to fix it, instead of Trivy's raw error alone.
        if (err instanceof ScannerError && mode === 'online' && /vulnerability DB|db error|trivy-db|OCI repository/i.test(err.message)) {
          throw new ScannerError(`${onlineDbHelp(dbRepository)}\n${err.message}`, err.details);
        }
        throw err;
      },
    );
    const report = parseTrivyReport(await readFile(raw, 'utf8'));
    // Only the redacted report ever leaves this directory; the SBOM is converted from it too.
    const redacted = `${JSON.stringify(redactReport(report), null, 1)}\n`;
    await rm(raw);
    const imageUser = await readImageUser(req.image, hooks);
    const redactedFile = join(work, 'report.redacted.json');
    await writeFile(redactedFile, redacted);
    const sbomFile = join(work, 'sbom.cdx.json');
    await runTrivy(deps.trivy, sbomArgs(cacheDir, redactedFile, sbomFile), hooks, 'sbom');
    const sbom = await readFile(sbomFile);
    const reportDigest = await putEvidence(deps.config.dirs.evidence, redacted);
    const sbomDigest = await putEvidence(deps.config.dirs.evidence, sbom);
    const freshMeta = meta ?? (await dbMetadata(cacheDir, mode));
    const summary = summarize(report, {
      image: req.image,
      reportDigest,
      sbomDigest,
      trivyVersion: version,
      dbMode: mode,
      imageUser,
      ...(freshMeta?.updatedAt ? { dbUpdatedAt: freshMeta.updatedAt } : {}),
      ...(freshMeta?.nextUpdate ? { dbNextUpdate: freshMeta.nextUpdate } : {}),
    });
    await storeScan(resultsDir, { ...key, dbUpdatedAt: freshMeta?.updatedAt ?? '' }, summary);
    deps.log.info('image scanned', { image: req.image, dbMode: mode, dbUpdatedAt: summary.dbUpdatedAt, counts: summary.vulnerabilities.counts, secrets: summary.secrets.length, user: imageUser.user, uid: imageUser.uid, reportDigest });
    return { ...summary, cached: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
