import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Approval, ApprovalReceipt } from '../model/approval-rules';
import { pipelineId } from '../model/names';
import type { PipelineInput, PipelineState } from '../model/pipeline';
import type { LockGrantMessage, LockReleaseMessage, LockRequest, LockState } from './lock-queue';
import { initialSearchAttributes } from './search-attributes';

// Wire names of every message airlock's workflows accept. The CLI imports this module: renaming a
// definition breaks running pipelines and saved histories, so names only ever get added.

/**
 * Signed approval (ed25519 over the bound message of model/approval-rules.ts: pipeline, run, env, image,
 * judged commits, risk, policy digest, "approve"); the validator rejects bad ones.
 */
export const approveUpdate = defineUpdate<ApprovalReceipt, [Approval]>('approve');
/** Signed rejection: the pipeline ends `rejected`, nothing is deployed. */
export const rejectUpdate = defineUpdate<ApprovalReceipt, [Approval]>('reject');
/** Signed by an approver during analysis: skip the remaining analysis and promote. */
export const promoteUpdate = defineUpdate<ApprovalReceipt, [Approval]>('promote');

/**
 * `airlock trigger --wait` starts the pipeline, or attaches to the running one, with this Update
 * (Update-with-Start): one call answers with the run's state after its first workflow task, where a start,
 * a describe and a first state query took three. Read-only; each accepted one adds two events to the
 * history, so a run accepts at most MAX_TRIGGER_ANSWERS (later ones are refused by the validator, which
 * writes nothing, and the trigger falls back to start and the state query).
 */
export const triggerUpdate = defineUpdate<PipelineState, []>('trigger');
export const MAX_TRIGGER_ANSWERS = 20;

export interface AbortRequest {
  by: string;
  reason: string;
}
/**
 * The unsigned abort of earlier versions. Since patch `signed-abort` a pipeline records it in
 * `ignoredAborts` and carries on: anyone who reaches Temporal could send it. Kept registered for the
 * histories of pipelines started before.
 */
export const abortSignal = defineSignal<[AbortRequest]>('abort');

export interface AbortReceipt {
  accepted: true;
  decision: 'abort';
  stage: string;
}
/**
 * Signed abort (decision `abort` over the bound message; `comment` is the reason): stop now, roll back
 * if anything was deployed, else end `failed` with cause PipelineAborted. Any approver of a group that
 * may decide at the pipeline's risk level may abort, the change's author included.
 */
export const abortSignedUpdate = defineUpdate<AbortReceipt, [Approval]>('abortSigned');

export const stateQuery = defineQuery<PipelineState>('state');

// Per-environment lock protocol (workflows/lock.ts <-> workflows/lock-client.ts).
export const lockRequestSignal = defineSignal<[LockRequest]>('lockRequest');
// Since patch `lock-secret` every message carries the requester's per-run secret; each side ignores (and
// logs) a message without the right one. The secret is in the lock's history: it keeps out whoever can
// signal but not read histories (docs/security.md).
export const lockReleaseSignal = defineSignal<[LockReleaseMessage]>('lockRelease');
export const lockGrantedSignal = defineSignal<[LockGrantMessage?]>('lockGranted');
/** Sent by the lock to older pipelines when a newer one queues; only a waiting pipeline obeys. */
export const supersededSignal = defineSignal<[{ by: string; secret?: string }]>('superseded');
/**
 * Sent by the holder while it holds the lock (patch `lock-lease`): the lease starts again from now. A run
 * that is alive keeps the lock however long its compensations retry; one whose worker is gone for a whole
 * lease loses it, and the fencing check (activities/deploy/lease.ts) stops it when it comes back.
 */
export const lockRenewSignal = defineSignal<[LockReleaseMessage]>('lockRenew');
export const lockStateQuery = defineQuery<LockState>('lockState');

/**
 * How to start a pipeline (spread into `client.workflow.start(deploymentPipeline, ...)`): the same commit
 * for the same env attaches to the running pipeline (USE_EXISTING: no second pipeline, no second build);
 * once closed, the same commit may run again (ALLOW_DUPLICATE), e.g. after it expired.
 */
export function pipelineStartOptions(input: PipelineInput, taskQueue: string) {
  return {
    taskQueue,
    workflowId: pipelineId(input.service, input.environment, input.headCommit),
    args: [input] as [PipelineInput],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: initialSearchAttributes(input),
  };
}
