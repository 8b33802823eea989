import { log, workflowInfo } from '@temporalio/workflow';
import type { FlagChangeInput } from '../model/evidence';
import type { FlagAnchor } from '../model/flag-activities';
import { evidenceActivities } from './activity-options';

// A flag change in the evidence chain (issue 18): a signed `flag` link next to the image of the release that
// served the environment when the flag changed (the anchor's promoted release). The change has happened
// already: a failure to record it is logged and reported in the result, not the change's outcome.

/** From this patch on flag rollouts and kills record themselves (a `flag` link; `airlock verify`, `airlock history`). */
export const FLAG_EVIDENCE_PATCH = 'flag-evidence';

export interface FlagEvidence {
  /** The image whose chain holds the record; absent: none known (a worker before the anchor carried it). */
  image?: string;
  recorded: boolean;
}

export async function recordFlagChange(anchor: FlagAnchor, change: Omit<FlagChangeInput, 'source' | 'recordedAt'>): Promise<FlagEvidence> {
  if (!anchor.image || !anchor.releaseId) {
    log.warn('flag change not recorded: the release serving the environment is not known', { pipelineId: anchor.pipelineId });
    return { recorded: false };
  }
  const { workflowId, runId } = workflowInfo();
  try {
    await evidenceActivities.recordEvidence({
      link: 'flag',
      releaseId: anchor.releaseId,
      image: anchor.image,
      pipelineId: workflowId,
      runId,
      ...change,
      source: { pipelineId: anchor.pipelineId, commit: anchor.commit },
      recordedAt: new Date().toISOString(),
    });
    return { image: anchor.image, recorded: true };
  } catch (err) {
    log.warn('flag change not recorded in the evidence chain', { image: anchor.image, error: String(err) });
    return { image: anchor.image, recorded: false };
  }
}
