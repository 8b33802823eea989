import type { PipelineActivities } from '../../model/activities';
import { readChangeInputSchema } from '../../model/deploy';
import { EMPTY_TREE } from '../../model/names';
import { parseWith } from '../../model/parse';

/**
 * readChange (patch `read-change-together`) from the three activities it replaces: the policy at the anchor
 * and airlock.yaml at head side by side, then the change anchor..head (a first release: the empty tree..head)
 * assessed with that policy's file path and `risk:` block, exactly as the workflow chained them before.
 */
export function readChangeWith(parts: Pick<PipelineActivities, 'readAnchorPolicy' | 'readManifest' | 'assessChange'>): PipelineActivities['readChange'] {
  return async (raw) => {
    const { releaseId, service, environment, repo, serviceDir, headCommit, anchor, promotion } = parseWith(readChangeInputSchema, raw, 'readChange input');
    const [policy, settings] = await Promise.all([
      parts.readAnchorPolicy({ releaseId, repo, serviceDir, environment, headCommit, anchor }),
      parts.readManifest({ releaseId, service, environment, repo, commit: headCommit, serviceDir, ...(promotion ? { promotion } : {}) }),
    ]);
    const baseCommit = anchor ?? EMPTY_TREE;
    const { change, risk } = await parts.assessChange({ releaseId, repo, baseCommit, headCommit, ...(policy.path ? { policyPath: policy.path } : {}), riskPolicy: policy.policy.policy.risk });
    return { policy, settings, change, risk };
  };
}
