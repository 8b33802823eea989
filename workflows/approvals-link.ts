import { patched } from '@temporalio/workflow';
import type { LevelRule } from '../model/policy-snapshot';
import { evidenceActivities, onWorkflowQueue } from './activity-options';
import type { Admission } from './rollout';
import type { PipelineContext } from './state';

/**
 * The approvals link after the gate, as of now (the gate's decisions). An automatic gate's goes beside the
 * other links still being stored (`links`); after a gate that waited for people (the other links are stored
 * by then) the deploy records it when `patch` is on and the deploy runs on the workflow's own queue: the
 * content is returned for `admit.approvals` (activities/pipeline.ts admittedFirst), one dispatch and one
 * workflow task fewer between the approval and the deploy. Otherwise it is recorded here.
 */
export async function storeApprovalsLink(
  ctx: PipelineContext,
  o: { ids: { releaseId: string; pipelineId: string; runId: string }; image: string; rule: LevelRule; automatic: boolean; patch: string; links?: () => Promise<unknown> },
): Promise<Admission['approvals']> {
  const approvals = { pipelineId: o.ids.pipelineId, runId: o.ids.runId, state: { ...ctx.state }, rule: o.rule, authors: ctx.authors };
  if (!o.automatic && patched(o.patch) && onWorkflowQueue('deployCandidate', ctx.target)) {
    await o.links?.();
    return approvals;
  }
  const record = evidenceActivities.recordEvidence({ ...o.ids, image: o.image, link: 'approvals', ...approvals });
  await Promise.all([o.links?.(), record]);
  return undefined;
}
