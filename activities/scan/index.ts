import type { ScanSummary } from '../../model/scan';
import type { AirlockConfig } from '../../infra/config';
import { resolveTool } from '../../infra/local/tools';
import { stageActivity, type StageLogger } from '../shared';
import { ScannerError } from '../errors';
import { scanImage, type ScanRequest } from './scan-image';

export { scanImage, type ScanRequest } from './scan-image';
export { parseTrivyReport, redactReport } from './trivy-report';
export { scanWorkRoot, sweepScanWork } from './scan-work';

export interface ScanActivityDeps {
  config: Pick<AirlockConfig, 'trivy' | 'dirs' | 'cache' | 'tools'>;
  log?: StageLogger;
}

/** Path of the trivy binary; a missing tool is a (retryable) scanner failure saying how to get it. */
export function trivyBinary(config: ScanActivityDeps['config']): string {
  try {
    return resolveTool(config, 'trivy');
  } catch (err) {
    throw new ScannerError((err as Error).message, { tool: 'trivy' });
  }
}

/** The scan stage as an activity: heartbeats while Trivy runs, kills it on cancellation. */
export function createScanActivities(deps: ScanActivityDeps) {
  return {
    scanImage: stageActivity(deps.log, (req: ScanRequest, hooks, log): Promise<ScanSummary> =>
      scanImage({ config: deps.config, trivy: trivyBinary(deps.config), log }, req, hooks),
    ),
  };
}
